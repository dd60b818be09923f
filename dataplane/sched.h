/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Schedulers: pick a real server for a new connection, with IPVS's semantics
 * (rr wrr lc wlc sed nq sh mh).
 *
 * Shape: the control plane builds a struct lb_sched_svc for each service (the
 * real servers in list order, their weights and any lookup table sh/mh need)
 * with lb_sched_build(); it is immutable afterwards and shared by all workers
 * through the RCU-published service snapshot. What changes per decision lives
 * elsewhere and is never shared between cores:
 *   - struct lb_sched_state: rr position and wrr current weight, one per worker
 *     and service, so rr/wrr take no atomic and touch no shared line;
 *   - the connection counts lc/wlc/sed/nq read: the calling worker's own
 *     counts (see lb_sched_pick()).
 * Each worker therefore runs an exact IPVS scheduler over its own share of the
 * traffic. With W workers fed by RSS, rr/wrr give every server its exact share
 * of each worker's cycle, so the global split is exact to within W-1
 * connections per cycle; lc-family schedulers keep each worker's counts
 * balanced to one connection, so the global counts differ from a single
 * scheduler's by at most W-1 per server.
 *
 * The overload flag (-x/-y thresholds) is global: the control plane sums the
 * counts of all workers and sets or clears LB_SDEST_F_OVERLOAD with hysteresis;
 * schedulers only read it.
 *
 * Plain C, no DPDK: unit tests drive it directly.
 */
#ifndef LB_SCHED_H
#define LB_SCHED_H

#include <stdbool.h>
#include <stdint.h>

enum lb_sched_kind {
	LB_SCHED_RR = 0,
	LB_SCHED_WRR,
	LB_SCHED_LC,
	LB_SCHED_WLC,
	LB_SCHED_SED,
	LB_SCHED_NQ,
	LB_SCHED_SH,
	LB_SCHED_MH,
	LB_SCHED_COUNT,
};

/* Scheduler flags (ipvsadm -b): sh-fallback/mh-fallback, sh-port/mh-port. */
#define LB_SCHED_F_FALLBACK	0x1u
#define LB_SCHED_F_PORT		0x2u

#define LB_SH_TABLE_SIZE	256u	/* IPVS's sh table */
#define LB_MH_TABLE_SIZE	4093u	/* IPVS's default mh table (prime) */

#define LB_SDEST_F_OVERLOAD	0x1u	/* written by the control plane only */

/* One real server as schedulers see it; dest[i] of a service is server i in list order. */
struct lb_sched_dest {
	uint32_t addr;		/* IPv4, network order */
	uint16_t port;		/* network order */
	uint16_t flags;		/* LB_SDEST_F_*, read with __atomic_load_n */
	uint32_t weight;	/* 0 = quiescent: never picked */
	uint32_t last_weight;	/* last non-zero weight: mh builds its table from it */
};

/* What a worker knows of one server's connections (its own entries only). */
struct lb_sched_count {
	uint32_t active;
	uint32_t inactive;
};

/* Per worker, per service mutable state; all-zero is a valid initial state. */
struct lb_sched_state {
	uint32_t last;		/* rr/wrr: last position picked + 1, 0 = none yet */
	int32_t cw;		/* wrr current weight */
};

struct lb_sched_svc {
	enum lb_sched_kind kind;
	uint32_t flags;		/* LB_SCHED_F_* */
	uint32_t n;		/* number of servers */
	struct lb_sched_dest *dest;	/* n entries, owned by the caller */
	/* derived by lb_sched_build() */
	int32_t wrr_gcd;	/* gcd of the positive weights */
	int32_t wrr_max;	/* largest weight */
	uint16_t *table;	/* sh: 256 slots, mh: LB_MH_TABLE_SIZE slots; server positions */
	uint32_t table_size;
};

/* Name <-> kind ("wlc" <-> LB_SCHED_WLC); -1 / NULL when unknown. */
int lb_sched_from_name(const char *name);
const char *lb_sched_name(enum lb_sched_kind kind);

/* "sh-fallback" etc. -> LB_SCHED_F_* for that scheduler; -1 when not its flag. */
int lb_sched_flag_from_name(enum lb_sched_kind kind, const char *name);

/*
 * Control plane: derive the tables of svc from svc->dest[0..n). Returns 0 or
 * -errno (-ENOMEM). Any previous table is not freed: call lb_sched_free() on
 * the old object after its grace period.
 */
int lb_sched_build(struct lb_sched_svc *svc);
void lb_sched_free(struct lb_sched_svc *svc);

/*
 * Worker: pick a server for a new connection from client caddr:cport (network
 * order). cnt[i] are the counts of server i as this worker sees them. Returns
 * the server's position in svc->dest, or -1 when none is available (all weight
 * 0 or overloaded): the caller answers ICMP port unreachable.
 */
int lb_sched_pick(const struct lb_sched_svc *svc, struct lb_sched_state *st,
		const struct lb_sched_count *cnt, uint32_t caddr, uint16_t cport);

#endif
