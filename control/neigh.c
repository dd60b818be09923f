/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Neighbour resolution (see neigh.h). The learned MAC is stored into
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

#include "control/host.h"
#include "control/neigh.h"

#define RETRY_S		1
#define REFRESH_S	60

static struct rte_mempool *neigh_pool;
static struct lb_worker **neigh_workers;
static uint16_t neigh_n_workers;
static uint32_t next_try[LB_MAX_DESTS];

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
	m->hash.usr = port;
	if (rte_ring_mp_enqueue(neigh_workers[0]->from_ctl, m) != 0)
		rte_pktmbuf_free(m);
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
}

static void
learn(struct rte_mbuf *m)
{
	const struct rte_arp_hdr *ah;
	uint16_t l2 = sizeof(struct rte_ether_hdr);
	const struct rte_ether_hdr *eh = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	uint64_t mac = 0;
	uint32_t i;

	if (eh->ether_type == RTE_BE16(RTE_ETHER_TYPE_VLAN))
		l2 += sizeof(struct rte_vlan_hdr);
	if (rte_pktmbuf_data_len(m) < l2 + sizeof(*ah))
		return;
	ah = rte_pktmbuf_mtod_offset(m, const struct rte_arp_hdr *, l2);
	if (!rte_is_unicast_ether_addr(&ah->arp_data.arp_sha))
		return;
	memcpy(&mac, &ah->arp_data.arp_sha, RTE_ETHER_ADDR_LEN);
	mac |= LB_MAC_VALID;
	for (i = 0; i < LB_MAX_DESTS; i++) {
		struct lb_dest *d = &lb_dests[i];

		if (!d->in_use || d->mac_static || d->af != AF_INET ||
				d->addr.v4 != ah->arp_data.arp_sip)
			continue;
		if (d->mac != mac) {
			char a[RTE_ETHER_ADDR_FMT_SIZE];

			rte_ether_format_addr(a, sizeof(a), &ah->arp_data.arp_sha);
			RTE_LOG(INFO, USER1, "neighbour %u.%u.%u.%u is at %s\n",
					((uint8_t *)&d->addr)[0], ((uint8_t *)&d->addr)[1],
					((uint8_t *)&d->addr)[2], ((uint8_t *)&d->addr)[3], a);
			__atomic_store_n(&d->mac, mac, __ATOMIC_RELEASE);
		}
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
		send_arp(d->tx_port, RTE_ARP_OP_REQUEST, snap->port[d->tx_port].addr, d->addr.v4);
		next_try[i] = now + ((d->mac & LB_MAC_VALID) ? REFRESH_S : RETRY_S);
	}
}
