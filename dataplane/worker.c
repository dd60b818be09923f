/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The worker lcore's poll loop (see worker.h).
 *
 * One iteration: for each port, one RX burst through the packet core and
 * out again as one TX burst per port; frames the control plane asked this
 * worker to send; a bounded slice of expiry work; a quiescent-state report
 * so the control plane can free old snapshots. The snapshot pointer and the
 * clock are read once per iteration.
 *
 * With idle_sleep_us, a worker that found nothing to do for LB_IDLE_POLLS
 * iterations in a row sleeps that long after each further empty one, so
 * that idle directors (several on one machine, a lab) leave the CPU to
 * others; the first frame ends it. Under load it never sleeps: the cost is
 * a counter per iteration.
 */
#include <stdlib.h>

#include <rte_cycles.h>
#include <rte_lcore.h>
#include <rte_malloc.h>

#include "dataplane/worker.h"

#define LB_IDLE_POLLS	100

static uint64_t clock_tsc0;
static uint64_t clock_hz;

void
lb_clock_init(void)
{
	clock_hz = rte_get_tsc_hz();
	clock_tsc0 = rte_rdtsc() - clock_hz;	/* start at second 1: 0 is "never" */
}

/* The second of TSC value tsc. */
static inline uint32_t
clock_at(uint64_t tsc)
{
	return (uint32_t)((tsc - clock_tsc0) / clock_hz);
}

uint32_t
lb_clock_now(void)
{
	return clock_at(rte_rdtsc());
}

struct lb_worker *
lb_worker_create(uint16_t index, uint32_t capacity, uint32_t now, struct rte_mempool *pool)
{
	struct lb_worker *wk = rte_zmalloc("lb_worker", sizeof(*wk), RTE_CACHE_LINE_SIZE);

	if (wk == NULL)
		return NULL;
	wk->index = index;
	wk->pool = pool;
	wk->burst = 32;
	wk->icmp_tokens = LB_ICMP_BURST;
	wk->icmp_time = now;
	wk->svc_stats = rte_zmalloc("lb_svc_stats",
			LB_MAX_SERVICES * sizeof(*wk->svc_stats), RTE_CACHE_LINE_SIZE);
	wk->dest_stats = rte_zmalloc("lb_dest_stats",
			LB_MAX_DESTS * sizeof(*wk->dest_stats), RTE_CACHE_LINE_SIZE);
	wk->dest_cnt = rte_zmalloc("lb_dest_cnt",
			LB_MAX_DESTS * sizeof(*wk->dest_cnt), RTE_CACHE_LINE_SIZE);
	wk->sched = rte_zmalloc("lb_sched",
			LB_MAX_SERVICES * sizeof(*wk->sched), RTE_CACHE_LINE_SIZE);
	wk->ct = lb_conn_table_create(capacity, now);
	if (wk->svc_stats == NULL || wk->dest_stats == NULL || wk->dest_cnt == NULL ||
			wk->sched == NULL || wk->ct == NULL) {
		lb_worker_free(wk);
		return NULL;
	}
	return wk;
}

void
lb_worker_free(struct lb_worker *wk)
{
	if (wk == NULL)
		return;
	lb_conn_table_free(wk->ct);
	rte_free(wk->svc_stats);
	rte_free(wk->dest_stats);
	rte_free(wk->dest_cnt);
	rte_free(wk->sched);
	rte_free(wk);
}

/*
 * Sends n frames on port index p: what the TX queue does not take is freed
 * and counted, as any forwarder's full ring drops. No buffering: each RX
 * burst leaves as one TX burst, so a frame never waits for the next one
 * (rte_eth_tx_buffer here cost about 5 cycles a frame on the port path, in
 * its length store and reload, and held a lone frame up to 100 us).
 */
static inline void
send_burst(struct lb_worker *wk, const struct lb_snap *snap, uint16_t p,
		struct rte_mbuf **pkts, uint16_t n)
{
	uint16_t sent = 0;

	if (likely(!snap->port[p].link_down))	/* else no peer to take them */
		sent = rte_eth_tx_burst(snap->port[p].port_id, wk->index, pkts, n);
	if (unlikely(sent < n)) {
		rte_pktmbuf_free_bulk(pkts + sent, n - sent);
		wk->stats.tx_dropped += n - sent;
	}
}

static void
transmit(struct lb_worker *wk, const struct lb_snap *snap, struct lb_out *out)
{
	struct rte_mbuf *sub[LB_MAX_BURST];
	uint16_t i, k, p, n = out->n, first = out->port[0], left;
	uint16_t same = 0;

	if (n == 0)
		return;
	out->n = 0;
	wk->stats.tx += n;
	for (i = 0; i < n; i++)
		same += out->port[i] == first;
	if (likely(same == n && first < snap->n_ports)) {
		send_burst(wk, snap, first, out->pkts, n);
		return;
	}
	/* several ports: one burst each, frames in their order */
	left = n;
	for (p = 0; p < snap->n_ports && left != 0; p++) {
		for (i = k = 0; i < n; i++)
			if (out->port[i] == p)
				sub[k++] = out->pkts[i];
		if (k != 0)
			send_burst(wk, snap, p, sub, k);
		left -= k;
	}
	if (unlikely(left != 0)) {	/* a port index the snapshot no longer has */
		for (i = 0; i < n; i++)
			if (out->port[i] >= snap->n_ports)
				rte_pktmbuf_free(out->pkts[i]);
		wk->stats.tx_dropped += left;
	}
}

int
lb_worker_loop(void *arg)
{
	struct lb_worker *wk = arg;
	struct rte_mbuf *pkts[LB_MAX_BURST];
	struct lb_out out = { .n = 0 };
	uint16_t step = wk->n_peers > 0 ? wk->n_peers : 1;
	uint64_t next_second = 0, prev = 0;
	uint32_t idle = 0, now = 0;
	uint16_t p, q, n;

	rte_rcu_qsbr_thread_online(wk->qsbr, wk->index);
	while (!wk->stop) {
		const struct lb_snap *snap = __atomic_load_n(&lb_snap_current, __ATOMIC_ACQUIRE);
		/* One clock read per iteration: the second (a division only when
		 * it changes) and the length of the previous iteration. */
		uint64_t start = rte_rdtsc();
		uint32_t got = 0;

		if (unlikely(start >= next_second)) {
			now = clock_at(start);
			next_second = clock_tsc0 + (uint64_t)(now + 1) * clock_hz;
		}
		if (unlikely(wk->loop_reset != wk->loop_reset_seen)) {
			wk->loop_reset_seen = wk->loop_reset;
			wk->stats.loop_max_tsc = 0;
		} else if (prev != 0 && unlikely(start - prev > wk->stats.loop_max_tsc)) {
			wk->stats.loop_max_tsc = start - prev;
		}
		prev = start;
		for (p = 0; p < snap->n_ports; p++) {
			if (unlikely(snap->port[p].link_down))
				continue;	/* its peer is gone: lb_ports_poll */
			/* a port with more RX queues than workers (one that must
			 * pair a TX queue for its kernel interface with an RX one)
			 * has them shared out: worker w polls w, w + workers, ... */
			for (q = wk->index; q < snap->port[p].n_rxq; q += step) {
				n = rte_eth_rx_burst(snap->port[p].port_id, q, pkts, wk->burst);
				if (n == 0)
					continue;
				got += n;
				lb_core_rx(wk, snap, p, pkts, n, now, &out);
				transmit(wk, snap, &out);
			}
		}
		/* Frames from the control plane (ARP requests, announcements). */
		if (wk->from_ctl != NULL) {
			n = (uint16_t)rte_ring_sc_dequeue_burst(wk->from_ctl, (void **)pkts,
					wk->burst, NULL);
			got += n;
			for (p = 0; p < n; p++) {
				out.port[p] = pkts[p]->hash.usr;	/* lb_snap.port[] index */
				out.pkts[p] = pkts[p];
			}
			out.n = n;
			wk->stats.sent_control += n;
			transmit(wk, snap, &out);
		}
		/* Connections a backup daemon received (dataplane/sync.h). */
		if (wk->sync_in != NULL) {
			struct lb_sync_conn recs[32];

			n = (uint16_t)rte_ring_sc_dequeue_burst_elem(wk->sync_in, recs,
					sizeof(recs[0]), RTE_DIM(recs), NULL);
			got += n;
			for (p = 0; p < n; p++)
				lb_core_sync_apply(wk, snap, &recs[p], now);
		}
		lb_core_expire(wk, now, LB_EXPIRE_BUDGET);
		if (unlikely(snap->drop_entry | snap->drop_packet | snap->stateless_mh))
			lb_core_defend(wk, snap, now);
		else if (unlikely(wk->def_active | wk->drop_rate)) {
			wk->def_active = 0;	/* switched off */
			wk->drop_rate = 0;
		}
		rte_rcu_qsbr_quiescent(wk->qsbr, wk->index);
		wk->loops++;
		if (got != 0) {
			idle = 0;
		} else if (wk->idle_sleep_us != 0 && ++idle >= LB_IDLE_POLLS) {
			rte_delay_us_sleep(wk->idle_sleep_us);
			prev = 0;	/* a pause is not work */
		}
	}
	rte_rcu_qsbr_thread_offline(wk->qsbr, wk->index);
	return 0;
}
