/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A worker: one lcore's share of the dataplane, and the packet core it runs.
 *
 * struct lb_worker holds everything a worker writes: its connection table,
 * counters, least-connection counts and scheduler positions. Each is written
 * by this worker only; the control plane reads them (sums over workers)
 * without a lock. Each worker's struct sits on its own cache lines.
 *
 * lb_core_rx() is the packet core: a burst of received frames in, a list of
 * frames to transmit out, everything else freed and counted. It touches no
 * port, so unit tests, the fuzzer and benchmarks call it directly with a
 * virtual clock. lb_worker_loop() is the lcore's poll loop around it.
 */
#ifndef LB_WORKER_H
#define LB_WORKER_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_common.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include "dataplane/conn.h"
#include "dataplane/counters.h"
#include "dataplane/sched.h"
#include "dataplane/svc.h"
#include "dataplane/sync.h"

#define LB_MAX_BURST		256
#define LB_MAX_WORKERS		64
#define LB_EXPIRE_BUDGET	256	/* wheel work per loop iteration */
#define LB_ICMP_RATE		1000	/* ICMP errors per second per worker */
#define LB_ICMP_BURST		100
#define LB_TMPL_REARM		60	/* s: a template outlives its connections by steps */

struct lb_sched_slot {
	uint32_t gen;		/* the lb_svc.gen this state belongs to */
	struct lb_sched_state st;
};

/* Frames to transmit, with the index (lb_snap.port[]) of the port to use. */
struct lb_out {
	uint16_t n;
	uint16_t port[LB_MAX_BURST];
	struct rte_mbuf *pkts[LB_MAX_BURST];
};

struct lb_worker {
	struct lb_core_stats stats;
	uint16_t index;			/* 0 .. workers-1: RX/TX queue number */
	unsigned int lcore_id;
	struct lb_conn_table *ct;
	struct lb_traffic_stats *svc_stats;	/* [LB_MAX_SERVICES] */
	struct lb_traffic_stats *dest_stats;	/* [LB_MAX_DESTS] */
	struct lb_dest_count *dest_cnt;		/* [LB_MAX_DESTS] */
	uint32_t n_state[LB_S_COUNT];		/* bound connection entries per state */
	struct lb_sched_slot *sched;		/* [LB_MAX_SERVICES] */
	struct rte_mempool *pool;		/* for the ICMP errors lbd sends */
	struct rte_ring *to_ctl;		/* ARP for the neighbour table */
	struct rte_ring *from_ctl;		/* frames the control plane sends */
	struct rte_ring *to_host;		/* frames for the ports' kernel interfaces */
	/* connection sync (dataplane/sync.h) */
	struct rte_ring *sync_out;		/* records for the master daemon */
	struct rte_ring *sync_in;		/* records from the backup daemon */
	volatile uint8_t sync_master;		/* a master daemon runs: hand records */
	struct lb_sync_stats sync;
	/* the defences (lb_core_defend), set each loop, read by the packet path */
	uint32_t drop_rate;		/* drop_packet on: 1 new connection in drop_rate
					 * is dropped; 0 = off */
	uint32_t drop_counter;
	uint32_t evict_second;		/* drop_entry mode 3: IPVS's pace, */
	uint32_t evict_left;		/* slots left to probe this second */
	volatile uint8_t def_active;	/* LB_DEF_* now on, for lbadm --sysctl */
	uint32_t icmp_tokens;
	uint32_t icmp_time;
	uint32_t now;			/* the second being processed */
	/* every worker, this one included: persistence templates are looked up
	 * in the others' tables (read-only) before one is made here */
	struct lb_worker *const *peers;
	uint16_t n_peers;
	/* the loop's */
	struct rte_rcu_qsbr *qsbr;
	uint16_t burst;
	uint32_t idle_sleep_us;		/* 0: poll without pause */
	volatile uint64_t loops;	/* iterations: the control plane's watchdog */
	volatile bool stop;
	/* the control plane bumps loop_reset to restart stats.loop_max_tsc; the
	 * worker, its only writer, does it when it sees a new value */
	volatile uint32_t loop_reset;
	uint32_t loop_reset_seen;
} __rte_cache_aligned;

/* The published snapshot, read by workers once per burst (RCU). */
extern struct lb_snap *lb_snap_current;

/*
 * Process n frames received on port rx_port (index in snap->port[]) at second
 * now. Frames to send are appended to out (out->n is not reset); all others
 * are freed and counted. n <= LB_MAX_BURST - out->n.
 */
void lb_core_rx(struct lb_worker *wk, const struct lb_snap *snap, uint16_t rx_port,
		struct rte_mbuf **pkts, uint16_t n, uint32_t now, struct lb_out *out);

/*
 * Expiry work of wk's table at second now, at most budget units (the wheel's
 * own accounting): counters of each expired entry's server are updated, and
 * persistence templates that still control connections are kept.
 */
uint32_t lb_core_expire(struct lb_worker *wk, uint32_t now, uint32_t budget);

/*
 * The defences against floods and a full table, once per loop, as IPVS's
 * drop_entry and drop_packet (modes 0 never, 1-2 automatic, 3 always) with
 * a worker's table occupancy in place of IPVS's free memory:
 *   - drop_entry: past the threshold, free half-open TCP entries (SYN_RECV,
 *     SYNACK, NONE, CLOSE; never ESTABLISHED or a template) from random slots,
 *     at most LB_DEFEND_PROBES slots a loop, until the table is back under
 *     it; in mode 3, IPVS's pace of 1/32 of the table a second;
 *   - drop_packet: past the threshold, 1 in rate new connections is
 *     dropped, rate = (capacity - threshold) / (entries - threshold) (IPVS's
 *     formula with entries for memory), am_droprate in mode 3;
 *   - stateless_mh: an mh service's packet that cannot have an entry (the
 *     table is full; a non-SYN miss) is sent by mh without one, as Maglev
 *     does; in mode 3 no mh entry is made at all.
 * Bounded work; nothing when every mode is 0.
 */
#define LB_DEFEND_PROBES	64
#define LB_DEF_DROP_ENTRY	0x1
#define LB_DEF_DROP_PACKET	0x2
#define LB_DEF_STATELESS	0x4
void lb_core_defend(struct lb_worker *wk, const struct lb_snap *snap, uint32_t now);

/* Allocate and free a worker's tables (control plane, at start and stop). */
struct lb_worker *lb_worker_create(uint16_t index, uint32_t capacity, uint32_t now,
		struct rte_mempool *pool);
void lb_worker_free(struct lb_worker *wk);

/* The clock workers and the control plane share: whole seconds since start. */
uint32_t lb_clock_now(void);
void lb_clock_init(void);

/*
 * Apply a record of the backup daemon to wk's table at second now: create or
 * refresh the entry it describes, bound to the real server it names (never
 * scheduled), with its state and timeout. Counted in wk->sync.
 */
void lb_core_sync_apply(struct lb_worker *wk, const struct lb_snap *snap,
		const struct lb_sync_conn *r, uint32_t now);

/* rte_eal_remote_launch() entry point; arg is the struct lb_worker. */
int lb_worker_loop(void *arg);

#endif
