/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the workers know of the configuration: real servers, services and the
 * director's own addresses.
 *
 * Real servers live in one global array, lb_dests[], indexed by a stable id
 * that connection entries store (4 bytes instead of a pointer). The control
 * plane writes a real server's MAC (one 8-byte store, so a worker never sees
 * half a MAC) and its "removed" flag; everything else in struct lb_dest is set
 * before the id is published and never changes until the id is recycled, which
 * happens only once no entry refers to it any more.
 *
 * Services are an immutable snapshot (struct lb_snap) that the control plane
 * builds whole, publishes with one pointer store and frees after an RCU grace
 * period. A worker loads the pointer once per burst and reports a quiescent
 * state between bursts.
 */
#ifndef LB_SVC_H
#define LB_SVC_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_common.h>
#include <rte_ether.h>

#include "dataplane/addr.h"
#include "dataplane/limits.h"
#include "dataplane/sched.h"
#include "dataplane/tcp_state.h"

#define LB_MAC_VALID		(1ull << 63)

struct lb_dest {
	uint64_t mac;		/* bytes 0..5 as on the wire, | LB_MAC_VALID; 0 = unresolved */
	union lb_ip addr;
	uint8_t af;		/* AF_INET, AF_INET6: its service's */
	uint8_t _r0;
	uint16_t port;		/* network order */
	uint16_t tx_port;	/* index in lb_snap.port[] of the port that reaches it */
	uint32_t svc_id;
	uint8_t removed;	/* deleted from its service */
	uint8_t in_use;		/* id allocated (control plane's bookkeeping) */
	uint16_t mtu;		/* of tx_port */
	/* control plane only: -x/-y thresholds and the overload state they drive */
	uint32_t u_threshold;
	uint32_t l_threshold;
	uint8_t overloaded;
	uint8_t mac_static;	/* the MAC was configured: never ARPed, never learned */
} __rte_aligned(32);

extern struct lb_dest *lb_dests;	/* [LB_MAX_DESTS] */

struct lb_svc {
	uint32_t id;		/* stable: index of stats and scheduler state */
	uint32_t gen;		/* changes whenever sched is rebuilt */
	union lb_ip vip;
	uint8_t af;		/* AF_INET, AF_INET6 */
	uint16_t port;		/* network order; 0 = every port */
	uint8_t proto;
	uint8_t sloppy;		/* a TCP segment without SYN may create an entry */
	uint32_t persistence;	/* seconds */
	uint32_t netmask;	/* AF_INET: network order */
	uint8_t plen6;		/* AF_INET6: persistence prefix length */
	struct lb_sched_svc sched;
	uint32_t *dest_ids;	/* sched position -> lb_dests id */
};

struct lb_port_info {
	uint16_t port_id;	/* ethdev */
	uint16_t n_rxq;		/* RX queues; worker w polls w, w + workers, ... */
	uint8_t host;		/* has a kernel interface (control/host.h) */
	uint8_t link_down;	/* its link went down after being up: not polled
				 * (a memif peer gone), nothing sent on it */
	struct rte_ether_addr mac;
	uint32_t addr;		/* network order */
	uint32_t mask;		/* network order */
	uint16_t mtu;
	/* IPv6: the configured address (has_addr6) and the link-local one
	 * (fe80::/64 with the EUI-64 of mac), NDP's sources */
	uint8_t has_addr6;
	uint8_t plen6;
	union lb_ip addr6;
	union lb_ip ll6;
};

struct lb_snap {
	uint32_t n_svcs;
	struct lb_svc *svcs;
	/* Open addressing over (proto, vip, port) -> index in svcs; -1 = empty.
	 * (0, vip, 0) entries mark the VIPs themselves, for ARP and ping. */
	uint32_t lk_mask;
	struct lb_svc_key {
		uint32_t vip;
		uint16_t port;
		uint8_t proto;
		uint8_t used;
		int32_t idx;	/* -2 for a VIP marker */
	} *lk;
	/* The same for IPv6 services, apart so that IPv4 lookups stay one
	 * 32-bit compare; (0, vip, 0) marks an IPv6 VIP (NDP, echo). */
	uint32_t lk6_mask;
	struct lb_svc_key6 {
		union lb_ip vip;
		uint16_t port;
		uint8_t proto;
		uint8_t used;
		int32_t idx;
	} *lk6;
	uint32_t n_ports;
	struct lb_port_info port[LB_MAX_PORTS];
	uint32_t timeout[LB_S_COUNT];	/* seconds */
	uint8_t tcp_table;	/* enum lb_tcp_table */
	bool sloppy_tcp;
	bool expire_nodest_conn;
	bool vip_arp;		/* answer ARP for VIPs (false behind a router) */
	/* vip_arp = "kernel": answer only for the VIPs the ports' kernel
	 * interfaces hold (keepalived's VRRP moves them), sorted */
	bool vip_arp_kernel;
	uint16_t n_vip_owned;
	uint32_t vip_owned[LB_MAX_VIP_OWNED];
	/* Floods and a full table (lb_core_defend, dataplane/worker.h), IPVS's modes: 0 never,
	 * 1 automatic (past defense_pct of a worker's table; stateless_mh: when
	 * it is full), 3 always */
	uint8_t drop_entry;
	uint8_t drop_packet;
	uint8_t stateless_mh;
	uint8_t defense_pct;	/* 1..100 */
	uint32_t am_droprate;	/* drop_packet's 1 in N in mode 3 */
};

static inline uint32_t
lb_svc_hash(uint8_t proto, uint32_t vip, uint16_t port)
{
	uint64_t k = ((uint64_t)vip << 24) ^ ((uint64_t)port << 8) ^ proto;

	k *= 0x9e3779b97f4a7c15ull;
	return (uint32_t)(k >> 32);
}

static inline const struct lb_svc_key *
lb_snap_find(const struct lb_snap *s, uint8_t proto, uint32_t vip, uint16_t port)
{
	uint32_t i = lb_svc_hash(proto, vip, port) & s->lk_mask;

	for (;; i = (i + 1) & s->lk_mask) {
		const struct lb_svc_key *k = &s->lk[i];

		if (!k->used)
			return NULL;
		if (k->vip == vip && k->port == port && k->proto == proto)
			return k;
	}
}

static inline uint32_t
lb_svc_hash6(uint8_t proto, const union lb_ip *vip, uint16_t port)
{
	uint64_t k = vip->w[0] ^ (vip->w[1] * 0xff51afd7ed558ccdull) ^
		((uint64_t)port << 8) ^ proto;

	k *= 0x9e3779b97f4a7c15ull;
	return (uint32_t)(k >> 32);
}

static inline const struct lb_svc_key6 *
lb_snap_find6(const struct lb_snap *s, uint8_t proto, const union lb_ip *vip, uint16_t port)
{
	uint32_t i = lb_svc_hash6(proto, vip, port) & s->lk6_mask;

	for (;; i = (i + 1) & s->lk6_mask) {
		const struct lb_svc_key6 *k = &s->lk6[i];

		if (!k->used)
			return NULL;
		if (lb_ip_eq(&k->vip, vip) && k->port == port && k->proto == proto)
			return k;
	}
}

static inline const struct lb_svc *
lb_snap_service6(const struct lb_snap *s, uint8_t proto, const union lb_ip *vip, uint16_t port)
{
	const struct lb_svc_key6 *k = lb_snap_find6(s, proto, vip, port);

	if (k == NULL)
		k = lb_snap_find6(s, proto, vip, 0);
	return k != NULL ? &s->svcs[k->idx] : NULL;
}

static inline bool
lb_snap_is_vip6(const struct lb_snap *s, const union lb_ip *addr)
{
	return lb_snap_find6(s, 0, addr, 0) != NULL;
}

/* The service for a packet to vip:port, falling back to an every-port service. */
static inline const struct lb_svc *
lb_snap_service(const struct lb_snap *s, uint8_t proto, uint32_t vip, uint16_t port)
{
	const struct lb_svc_key *k = lb_snap_find(s, proto, vip, port);

	if (k == NULL)
		k = lb_snap_find(s, proto, vip, 0);
	return k != NULL ? &s->svcs[k->idx] : NULL;
}

static inline bool
lb_snap_is_vip(const struct lb_snap *s, uint32_t addr)
{
	return lb_snap_find(s, 0, addr, 0) != NULL;
}

/* Whether lbd answers an ARP request for addr as a VIP. */
static inline bool
lb_snap_vip_arp(const struct lb_snap *s, uint32_t addr)
{
	uint16_t i;

	if (!s->vip_arp || !lb_snap_is_vip(s, addr))
		return false;
	if (!s->vip_arp_kernel)
		return true;
	for (i = 0; i < s->n_vip_owned; i++)
		if (s->vip_owned[i] == addr)
			return true;
	return false;
}

/* The port whose own address is addr, or -1. */
static inline int
lb_snap_own_port(const struct lb_snap *s, uint32_t addr)
{
	uint32_t i;

	for (i = 0; i < s->n_ports; i++)
		if (s->port[i].addr == addr)
			return (int)i;
	return -1;
}

#endif
