/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Neighbour resolution (see neigh.h). IPv6 real servers are solicited
 * (RFC 4861 7.2.2: to the target's solicited-node group, from the port's
 * address, its own link-layer address given) and learned from their
 * advertisements, which the workers hand over as they do ARP; IPv6 VIPs are
 * announced with an unsolicited advertisement to all nodes (override set,
 * not solicited, RFC 4861 7.2.6). The learned MAC is stored into
 * lb_dests[id].mac with one 8-byte atomic store: a worker reads either the
 * old or the new MAC, never a mix.
 *
 * Whether a server's MAC is configured (never ARPed, never learned) is the
 * server's own state, lb_dests[id].mac_static, written whenever the id is
 * (re)claimed: a server deleted and added back without a MAC is resolved
 * like any other, whatever the file said at start.
 */
#include <string.h>

#include <rte_arp.h>
#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_log.h>
#include <rte_mbuf.h>

#include "control/config.h"
#include "control/host.h"
#include "control/neigh.h"
#include "dataplane/nd.h"

#define RETRY_S		1
#define REFRESH_S	60

static struct rte_mempool *neigh_pool;
static struct lb_worker **neigh_workers;
static uint16_t neigh_n_workers;
static uint32_t next_try[LB_MAX_DESTS];

static void
give(struct rte_mbuf *m, uint16_t port)
{
	m->hash.usr = port;
	if (rte_ring_mp_enqueue(neigh_workers[0]->from_ctl, m) != 0)
		rte_pktmbuf_free(m);
}

/* An NS for target (to its solicited-node group) or an unsolicited NA of it. */
static void
send_nd(uint16_t port, uint8_t type, const union lb_ip *target)
{
	static const uint8_t all_nodes[16] = { 0xff, 0x02, [15] = 1 };
	const struct lb_snap *snap = lb_snap_current;
	const struct lb_port_info *pi;
	struct rte_ether_hdr *eh;
	struct rte_mbuf *m;
	uint8_t group[16];
	const uint8_t *src, *dst;

	if (snap == NULL || port >= snap->n_ports || neigh_n_workers == 0)
		return;
	pi = &snap->port[port];
	m = rte_pktmbuf_alloc(neigh_pool);
	if (m == NULL)
		return;
	eh = (struct rte_ether_hdr *)rte_pktmbuf_append(m, sizeof(*eh) + LB_ND_FRAME_L3);
	if (eh == NULL) {
		rte_pktmbuf_free(m);
		return;
	}
	if (type == LB_ND_NEIGH_SOL) {
		lb_nd_solicited_node(target->v6, group, &eh->dst_addr);
		dst = group;
		/* the port's global address when it has one: a server on the
		 * prefix answers it without needing our link-local */
		src = pi->has_addr6 ? pi->addr6.v6 : pi->ll6.v6;
	} else {
		lb_ip6_mcast_mac(all_nodes, &eh->dst_addr);
		dst = all_nodes;
		src = target->v6;
	}
	rte_ether_addr_copy(&pi->mac, &eh->src_addr);
	eh->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV6);
	lb_nd_fill((uint8_t *)(eh + 1), type, LB_NA_F_OVERRIDE, src, dst, target->v6, &pi->mac);
	give(m, port);
}

static void
send_arp(uint16_t port, uint16_t op, uint32_t sip, uint32_t tip)
{
	const struct lb_snap *snap = lb_snap_current;
	struct rte_ether_hdr *eh;
	struct rte_arp_hdr *ah;
	struct rte_mbuf *m;

	if (snap == NULL || port >= snap->n_ports || neigh_n_workers == 0)
		return;
	m = rte_pktmbuf_alloc(neigh_pool);
	if (m == NULL)
		return;
	eh = (struct rte_ether_hdr *)rte_pktmbuf_append(m, sizeof(*eh) + sizeof(*ah));
	if (eh == NULL) {
		rte_pktmbuf_free(m);
		return;
	}
	memset(&eh->dst_addr, 0xff, RTE_ETHER_ADDR_LEN);
	rte_ether_addr_copy(&snap->port[port].mac, &eh->src_addr);
	eh->ether_type = RTE_BE16(RTE_ETHER_TYPE_ARP);
	ah = (struct rte_arp_hdr *)(eh + 1);
	ah->arp_hardware = RTE_BE16(RTE_ARP_HRD_ETHER);
	ah->arp_protocol = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	ah->arp_hlen = RTE_ETHER_ADDR_LEN;
	ah->arp_plen = 4;
	ah->arp_opcode = rte_cpu_to_be_16(op);
	rte_ether_addr_copy(&snap->port[port].mac, &ah->arp_data.arp_sha);
	ah->arp_data.arp_sip = sip;
	memset(&ah->arp_data.arp_tha, op == RTE_ARP_OP_REPLY ? 0xff : 0, RTE_ETHER_ADDR_LEN);
	ah->arp_data.arp_tip = tip;
	give(m, port);
}

void
lb_neigh_init(struct rte_mempool *pool, struct lb_worker **workers, uint16_t n_workers)
{
	uint32_t i;

	neigh_pool = pool;
	neigh_workers = workers;
	neigh_n_workers = n_workers;
	for (i = 0; i < LB_MAX_DESTS; i++)
		next_try[i] = 0;
}

void
lb_neigh_announce_vip(uint32_t vip)
{
	const struct lb_snap *snap = lb_snap_current;
	bool sent = false;
	uint32_t p;

	/* On the port whose subnet holds the VIP, else on every port. */
	for (p = 0; p < snap->n_ports; p++)
		if ((vip & snap->port[p].mask) == (snap->port[p].addr & snap->port[p].mask)) {
			send_arp((uint16_t)p, RTE_ARP_OP_REQUEST, vip, vip);
			sent = true;
		}
	for (p = 0; !sent && p < snap->n_ports; p++)
		send_arp((uint16_t)p, RTE_ARP_OP_REQUEST, vip, vip);
}

/* An IPv6 VIP: on the port whose prefix holds it, else on every port. */
static void
announce_vip6(const struct lb_snap *snap, const union lb_ip *vip)
{
	bool sent = false;
	uint32_t p;

	for (p = 0; p < snap->n_ports; p++) {
		const struct lb_port_info *pi = &snap->port[p];
		union lb_ip a = lb_ip6_prefix(vip, pi->plen6), b = lb_ip6_prefix(&pi->addr6, pi->plen6);

		if (pi->has_addr6 && lb_ip_eq(&a, &b)) {
			send_nd((uint16_t)p, LB_ND_NEIGH_ADV, vip);
			sent = true;
		}
	}
	for (p = 0; !sent && p < snap->n_ports; p++)
		send_nd((uint16_t)p, LB_ND_NEIGH_ADV, vip);
}

void
lb_neigh_announce(void)
{
	const struct lb_snap *snap = lb_snap_current;
	uint32_t i;

	for (i = 0; i <= snap->lk_mask; i++) {
		const struct lb_svc_key *k = &snap->lk[i];

		/* behind a router the VIPs are routed, never announced; with
		 * vip_arp "kernel" only those the kernel holds */
		if (k->used && k->proto == 0 && lb_snap_vip_arp(snap, k->vip))
			lb_neigh_announce_vip(k->vip);
	}
	/* IPv6 VIPs as the workers answer for them (core.c, handle_ns) */
	for (i = 0; snap->vip_arp && !snap->vip_arp_kernel && i <= snap->lk6_mask; i++) {
		const struct lb_svc_key6 *k = &snap->lk6[i];

		if (k->used && k->proto == 0)
			announce_vip6(snap, &k->vip);
	}
}

static void
set_mac(struct lb_dest *d, const struct rte_ether_addr *ea)
{
	uint64_t mac = 0;

	memcpy(&mac, ea, RTE_ETHER_ADDR_LEN);
	mac |= LB_MAC_VALID;
	if (d->mac != mac) {
		char a[RTE_ETHER_ADDR_FMT_SIZE], ip[LB_ADDRPORT_STRLEN];

		rte_ether_format_addr(a, sizeof(a), ea);
		RTE_LOG(INFO, USER1, "neighbour %s is at %s\n",
				lb_ip_str(d->af, &d->addr, ip, sizeof(ip)), a);
		__atomic_store_n(&d->mac, mac, __ATOMIC_RELEASE);
	}
}

/* A real server's neighbour advertisement (the workers checked it). */
static void
learn6(struct rte_mbuf *m, uint16_t l2)
{
	const struct rte_ipv6_hdr *ip = rte_pktmbuf_mtod_offset(m, const struct rte_ipv6_hdr *, l2);
	const struct rte_ether_hdr *eh = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	uint32_t len = rte_be_to_cpu_16(ip->payload_len), i;
	const uint8_t *na = (const uint8_t *)(ip + 1);
	struct rte_ether_addr tll;
	union lb_ip t;
	int r;

	/* an advertisement behind extension headers is not learned: a host's
	 * stack sends none (the next solicitation asks again) */
	if (ip->proto != IPPROTO_ICMPV6 || len < LB_ND_MSG_LEN ||
			rte_pktmbuf_data_len(m) < l2 + sizeof(*ip) + len)
		return;
	memcpy(t.v6, na + 8, 16);
	r = lb_nd_find_lla(na + LB_ND_MSG_LEN, len - LB_ND_MSG_LEN, LB_ND_OPT_TLLA, &tll);
	if (r < 0)
		return;
	/* no target link-layer option: the frame's source speaks for itself */
	if (r == 0)
		tll = eh->src_addr;
	if (!rte_is_unicast_ether_addr(&tll))
		return;
	for (i = 0; i < LB_MAX_DESTS; i++) {
		struct lb_dest *d = &lb_dests[i];

		if (d->in_use && !d->mac_static && d->af == AF_INET6 && lb_ip_eq(&d->addr, &t))
			set_mac(d, &tll);
	}
}

static void
learn(struct rte_mbuf *m)
{
	const struct rte_arp_hdr *ah;
	uint16_t l2 = sizeof(struct rte_ether_hdr);
	const struct rte_ether_hdr *eh = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	uint16_t type = eh->ether_type;
	uint32_t i;

	if (type == RTE_BE16(RTE_ETHER_TYPE_VLAN)) {
		l2 += sizeof(struct rte_vlan_hdr);
		if (rte_pktmbuf_data_len(m) < l2)
			return;
		type = ((const struct rte_vlan_hdr *)(eh + 1))->eth_proto;
	}
	if (type == RTE_BE16(RTE_ETHER_TYPE_IPV6)) {
		learn6(m, l2);
		return;
	}
	if (rte_pktmbuf_data_len(m) < l2 + sizeof(*ah))
		return;
	ah = rte_pktmbuf_mtod_offset(m, const struct rte_arp_hdr *, l2);
	if (!rte_is_unicast_ether_addr(&ah->arp_data.arp_sha))
		return;
	for (i = 0; i < LB_MAX_DESTS; i++) {
		struct lb_dest *d = &lb_dests[i];

		if (d->in_use && !d->mac_static && d->af == AF_INET &&
				d->addr.v4 == ah->arp_data.arp_sip)
			set_mac(d, &ah->arp_data.arp_sha);
	}
}

void
lb_neigh_poll(uint32_t now)
{
	const struct lb_snap *snap = lb_snap_current;
	struct rte_mbuf *pkts[32];
	uint32_t i, n, w;

	for (w = 0; w < neigh_n_workers; w++) {
		if (neigh_workers[w]->to_ctl == NULL)
			continue;
		while ((n = rte_ring_sc_dequeue_burst(neigh_workers[w]->to_ctl, (void **)pkts,
						RTE_DIM(pkts), NULL)) > 0)
			for (i = 0; i < n; i++) {
				learn(pkts[i]);
				/* the kernel interface, if any, needs them too */
				if (!lb_host_give((uint16_t)pkts[i]->hash.usr, pkts[i]))
					rte_pktmbuf_free(pkts[i]);
			}
	}
	for (i = 0; i < LB_MAX_DESTS; i++) {
		struct lb_dest *d = &lb_dests[i];

		if (!d->in_use || d->mac_static || (int32_t)(now - next_try[i]) < 0)
			continue;
		if (d->af == AF_INET6)
			send_nd(d->tx_port, LB_ND_NEIGH_SOL, &d->addr);
		else
			send_arp(d->tx_port, RTE_ARP_OP_REQUEST, snap->port[d->tx_port].addr,
					d->addr.v4);
		next_try[i] = now + ((d->mac & LB_MAC_VALID) ? REFRESH_S : RETRY_S);
	}
}
