/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Neighbours: announce the VIPs (gratuitous ARP when the ports come up) and
 * resolve the MAC of every real server that has none configured, by ARP,
 * retrying each second until it answers and refreshing once a minute.
 *
 * Runs on the main thread. Frames go out through a worker (its from_ctl ring,
 * sent on that worker's own TX queue), and ARP from real servers comes back
 * through each worker's to_ctl ring, so the control plane never touches a
 * queue a worker owns.
 */
#ifndef LB_NEIGH_H
#define LB_NEIGH_H

#include <stdint.h>

#include <rte_mempool.h>

#include "dataplane/worker.h"

void lb_neigh_init(struct rte_mempool *pool, struct lb_worker **workers, uint16_t n_workers);

/* Send the gratuitous ARPs for every VIP. */
/* A gratuitous ARP for one VIP (vip_arp "kernel": when the kernel gains it). */
void lb_neigh_announce_vip(uint32_t vip);
void lb_neigh_announce(void);

/* Learn from the workers' ARP and send due requests; call often (each ~10 ms). */
void lb_neigh_poll(uint32_t now);

#endif
