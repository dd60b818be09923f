/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lbd's commands on DPDK's telemetry socket, beside /ethdev/stats and the
 * rest (dpdk-telemetry.py -f FILE_PREFIX):
 *
 *   /lbd/services             every service: scheduler, servers, counters
 *   /lbd/services,PROTO:VIP:PORT   that service's real servers
 *   /lbd/counters             the workers' counters summed, drops by reason
 *   /lbd/conns_summary        connection entries: per state, per worker
 *
 * DPDK runs the callbacks on its telemetry threads; each asks the main loop
 * over the control socket (control/obs.h), as the metrics server does. 22.11
 * nests containers one level deep and a dict holds at most 256 entries: a
 * longer list ends with "truncated": 1.
 */
#ifndef LB_TELEMETRY_H
#define LB_TELEMETRY_H

/* Register the commands; socket is the control socket's path. Main thread. */
int lb_telemetry_init(const char *socket);

#endif
