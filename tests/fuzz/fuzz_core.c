/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target over the packet core: any bytes, cut into a burst of 1 to
 * 4 frames, go through lb_core_rx() against the services of
 * tests/core/core.conf, with the clock moving so that the wheel expires and
 * entries are reused. After each input every mbuf must be back in the pool:
 * a frame that is neither sent nor freed is a leak, and aborts. The second
 * byte's top bits switch the table-full defences (drop_entry and
 * stateless_mh; drop_packet), so that their paths are fuzzed too.
 *
 * Build and run: make fuzz (long), or tests/fuzz/run.sh (bounded, in make test).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_eal.h>
#include <rte_mbuf.h>

#include "control/config.h"
#include "control/model.h"
#include "dataplane/worker.h"
#include "tests/fuzz/fuzz_model.h"

static struct rte_mempool *pool;
static struct lb_worker *wk;
static struct lb_conf conf;
static uint32_t now = 100;
static uint64_t frames, inputs;
static int defense = -1;	/* the modes the previous input asked for */

/* At the end of a run: how many frames went through (docs/testing.md). */
static void
report(void)
{
	fprintf(stderr, "fuzz_core: %llu frames in %llu inputs, 0 mbufs leaked\n",
			(unsigned long long)frames, (unsigned long long)inputs);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	lb_fuzz_model_init((*argv)[0], &conf);
	pool = rte_pktmbuf_pool_create("fuzz", 1024, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	/* a small table, so that "full" is reached too */
	wk = lb_worker_create(0, 64, now, pool);
	if (pool == NULL || wk == NULL)
		abort();
	wk->to_ctl = rte_ring_create("to_ctl", 16, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (wk->to_ctl == NULL)
		abort();
	atexit(report);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rte_mbuf *pkts[4], *m;
	struct lb_out out = { .n = 0 };
	uint16_t n, i, room = rte_pktmbuf_data_room_size(pool) - RTE_PKTMBUF_HEADROOM;
	size_t each;

	if (size < 2)
		return 0;
	n = 1 + (data[0] & 3);
	now += data[1] & 0x3f;	/* up to 63 s per input: states time out */
	if ((data[1] >> 6) != defense) {
		struct lb_api_sysctl d = { -1, -1, -1, (data[1] & 0x40) ? 3 : 0,
			(data[1] & 0x80) ? 1 : 0, (data[1] & 0x40) ? 1 : 0, 2, 50 };

		defense = data[1] >> 6;
		if (lb_model_set_sysctl(&d) != 0)
			abort();
	}
	frames += n;
	inputs++;
	data += 2;
	size -= 2;
	each = size / n;
	for (i = 0; i < n; i++) {
		size_t len = i == n - 1 ? size - each * i : each;
		char *p;

		if (len > room)
			len = room;
		pkts[i] = rte_pktmbuf_alloc(pool);
		if (pkts[i] == NULL)
			abort();
		p = rte_pktmbuf_append(pkts[i], (uint16_t)len);
		if (p == NULL && len > 0)
			abort();
		if (len > 0)
			memcpy(p, data + each * i, len);
	}
	lb_core_rx(wk, lb_snap_current, (data[-2] >> 2) & 1, pkts, n, now, &out);
	for (i = 0; i < out.n; i++) {
		if (out.port[i] >= lb_snap_current->n_ports)
			abort();
		rte_pktmbuf_free(out.pkts[i]);
	}
	while (rte_ring_dequeue(wk->to_ctl, (void **)&m) == 0)
		rte_pktmbuf_free(m);
	lb_core_expire(wk, now, UINT32_MAX);
	lb_core_defend(wk, lb_snap_current, now);
	if (rte_mempool_in_use_count(pool) != 0) {
		fprintf(stderr, "mbuf leak: %u in use\n", rte_mempool_in_use_count(pool));
		abort();
	}
	return 0;
}
