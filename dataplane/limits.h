/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The sizes of what lbd holds: the dataplane's arrays are sized by them, and
 * control/limits.h checks every configuration and every run-time change
 * against them, in one place. Plain C, no DPDK: lbadm quotes them in its
 * messages.
 */
#ifndef LB_LIMITS_DP_H
#define LB_LIMITS_DP_H

#define LB_MAX_PORTS		8	/* ports, each with one queue pair per worker */
#define LB_MAX_SERVICES		1024	/* services, the ids of their counters */
#define LB_MAX_VIP_OWNED	64	/* VIPs a kernel interface holds (vip_arp "kernel") */
#define LB_MAX_DESTS_PER_SVC	1024	/* real servers of one service */
#define LB_MAX_DESTS		4096	/* real server ids over all services, retired ones included */

#endif
