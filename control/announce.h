/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Announcing the VIPs to routers: lbd decides, a routing daemon speaks BGP.
 *
 * With `announce = { table = N; }` lbd keeps, in kernel routing table N of its
 * network namespace (the one of its kernel interfaces), one `blackhole
 * VIP/32` route (protocol static) per VIP it wants announced, over netlink;
 * BIRD (`protocol kernel { learn; kernel table N; }`) or FRR (`network
 * VIP/32` with its import check) announces what it finds there. A VIP is
 * announced while all of these hold:
 *   - an operator has not withdrawn it (lbadm --withdraw / --announce);
 *   - at least one of its services has its quorum (control/health.h);
 *   - every worker is alive: its loop counter moved within the last second
 *     (the watchdog: a stalled worker withdraws every VIP);
 *   - lbd is not stopping (SIGTERM withdraws everything first, then lbd
 *     keeps forwarding for drain_seconds while routers move the flows).
 * Every change is logged, with its reason. Main thread only.
 */
#ifndef LB_ANNOUNCE_H
#define LB_ANNOUNCE_H

#include <stdbool.h>
#include <stdint.h>

#include "control/config.h"
#include "control/lb_api.h"

struct lb_worker;

/* Open the netlink socket when conf announces; 0 or -errno. */
int lb_announce_init(const struct lb_conf *conf, struct lb_worker *const *workers,
		uint16_t n_workers);

/* From the control loop: re-evaluate (at most every 100 ms) and apply. */
void lb_announce_poll(void);

/* lbadm --withdraw / --announce: 0, -ESRCH (no service on vip) or -ENOTSUP
 * (no announce group in the configuration). */
int lb_announce_admin(uint32_t vip, bool on);

/* lbadm --announced: every VIP with its state, into out (at most max). */
uint32_t lb_announce_list(struct lb_api_announce *out, uint32_t max);

/* SIGTERM: withdraw everything now; lbd stops drain_seconds later. */
void lb_announce_stop(void);
uint32_t lb_announce_drain_seconds(void);
/* A reload's new drain_seconds (control/reload.h). */
void lb_announce_set_drain_seconds(uint32_t seconds);

/* Whether announcing is on, and its table. */
bool lb_announce_enabled(uint32_t *table);

/* Delete every route lbd added and close the socket. */
void lb_announce_fini(void);

#endif
