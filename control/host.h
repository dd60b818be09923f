/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The host's own network stack on lbd's ports: a kernel interface per port
 * (ports[].host in the configuration), so that BGP, SSH, health checks, VRRP
 * and connection sync run on a director whose NICs DPDK owns.
 *
 * Each such port gets a net_tap (or, where /dev/vhost-net exists and asked
 * for, virtio_user) device, hot-plugged at start with the port's MAC; lbd
 * gives the kernel interface the port's address, brings it up, turns IPv6
 * and its checksum/segmentation offloads off, and removes it when it stops
 * (a killed lbd closes the device's descriptors and the kernel removes it).
 *
 * Who does what:
 *   - workers classify (dataplane/core.c): what is the host's goes into the
 *     worker's own SP/SC ring to the host path, a full ring drops and counts;
 *   - the main thread hands on the ARP of real servers it has learned from;
 *   - one thread of its own (this module) owns the devices: it writes those
 *     frames to the kernel and sends what the kernel writes, unchanged but
 *     for completed checksums, on a TX queue of its own on the physical port
 *     (queue `workers`), so worker TX queues keep one writer each. A thread,
 *     not the main loop: the control loop may spend milliseconds on a page of
 *     connections or a publish, and BGP keepalives or a ping to the director
 *     should not wait for that; it sleeps LB_HOST_IDLE_US when idle.
 *   - frames from the kernel come from a small pool of the host path's own,
 *     so whatever the kernel does, the workers' pool is not touched.
 */
#ifndef LB_HOST_H
#define LB_HOST_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_mbuf.h>

#include "control/config.h"
#include "dataplane/svc.h"

#define LB_HOST_RING		512	/* frames per worker waiting for the kernel */
#define LB_HOST_MBUFS		2047	/* the host path's pool: frames from the kernel */
#define LB_HOST_IDLE_US		100

struct lb_worker;

struct lb_host_stats {
	uint64_t to_kernel;		/* frames written to the kernel interface */
	uint64_t to_kernel_dropped;	/* refused by the device (its queue full) */
	uint64_t from_kernel;		/* frames the kernel wrote, sent on the port */
	uint64_t from_kernel_dropped;	/* refused by the port's queue, or malformed */
	uint64_t csum_fixed;		/* of those, with a TCP/UDP checksum completed */
};

/*
 * Create the kernel interface of every port that has one (after the
 * physical ports: ports[] gives their MACs and ethdev ids, and the TX queue
 * of the host path, tx_queue, each of them has). Returns 0 or -errno after
 * logging why; lb_host_fini() undoes what was done in every case.
 */
int lb_host_init(const struct lb_conf *conf, const struct lb_port_info *ports,
		uint32_t n_ports, uint16_t tx_queue);

/* Start the owner thread, draining the workers' rings. Main thread. */
int lb_host_start(struct lb_worker *const *workers, uint16_t n_workers);

/*
 * A frame for port's kernel interface, from the main thread; false when the
 * port has none or its ring is full (the caller keeps and frees m).
 */
bool lb_host_give(uint16_t port, struct rte_mbuf *m);

/* Interfaces, for the counters: ifname and stats of the i-th; n of them. */
uint32_t lb_host_count(void);
void lb_host_get(uint32_t i, uint16_t *port, const char **ifname,
		struct lb_host_stats *stats);

/* Stop the thread, remove the interfaces, free the pool (workers stopped). */
void lb_host_fini(void);

#endif
