/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The packet core of an LVS-DR director (see worker.h).
 *
 * A burst is handled in three passes. The first parses every frame and, for
 * TCP and UDP, hashes the 5-tuple and prefetches its first index bucket; the
 * second finds each frame's candidate entry and prefetches it; the third
 * handles each frame, by which time those lines are (mostly) in cache. Each frame gets exactly one outcome: forwarded, replied,
 * handed to the control plane, or dropped under a named reason; lbd's own
 * ICMP errors are new frames, counted apart.
 *
 * DR forwarding touches only the Ethernet header, the TTL and the IPv4
 * checksum (updated incrementally, RFC 1624), or IPv6's hop limit; addresses,
 * ports and the L4 checksum are left as the client sent them.
 *
 * IPv6 takes the same path as IPv4 from the service lookup on: one state
 * machine, one table (IPv6 keys, conn.h), the same schedulers over the
 * address's fold. What differs is at the edges: neighbour discovery instead
 * of ARP, ICMPv6's errors (Packet Too Big instead of fragmentation needed:
 * IPv6 routers never fragment), and extension headers the parser walked.
 */
#include <string.h>

#include <rte_arp.h>
#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_random.h>
#include <rte_tcp.h>

#include "dataplane/nd.h"
#include "dataplane/pkt.h"

/* ICMP types DPDK 22.11 does not name. */
#define ICMP_DEST_UNREACH	3
#define ICMP_SOURCE_QUENCH	4
#define ICMP_REDIRECT		5
#define ICMP_TIME_EXCEEDED	11
#define ICMP_PARAMETERPROB	12
#define ICMP_CODE_PORT_UNREACH	3
#define ICMP_CODE_FRAG_NEEDED	4
#include "dataplane/worker.h"

struct lb_dest *lb_dests;
struct lb_snap *lb_snap_current;

static inline void
drop(struct lb_worker *wk, struct rte_mbuf *m, unsigned int reason)
{
	wk->stats.drop[reason]++;
	rte_pktmbuf_free(m);
}

static inline void
emit(struct lb_out *out, struct rte_mbuf *m, uint16_t port)
{
	out->pkts[out->n] = m;
	out->port[out->n] = port;
	out->n++;
}

static inline struct rte_ipv4_hdr *
ip_of(struct rte_mbuf *m, const struct lb_pkt *p)
{
	return rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, p->l2_len);
}

static inline struct rte_ipv6_hdr *
ip6_of(struct rte_mbuf *m, const struct lb_pkt *p)
{
	return rte_pktmbuf_mtod_offset(m, struct rte_ipv6_hdr *, p->l2_len);
}

static inline union lb_ip
ip6_load(const uint8_t *a)
{
	union lb_ip r;

	memcpy(r.v6, a, sizeof(r.v6));
	return r;
}

/* The connection key of p's flow: IPv4's 16 bytes, or an IPv6 key (the
 * parser folded its addresses already). */
static inline struct lb_conn_key *
flow_key(const struct lb_pkt *p, struct lb_conn_key6 *k)
{
	if (p->kind == LB_PKT_IPV6) {
		memcpy(k->caddr.v6, p->saddr6, 16);
		memcpy(k->vaddr.v6, p->daddr6, 16);
		lb_conn_key_fill(&k->k, 0, 0, p->sport, p->dport, p->proto, 0, LB_CONN_KEY_V6);
	} else {
		lb_conn_key_set(&k->k, p->saddr, p->daddr, p->sport, p->dport, p->proto, 0);
	}
	return &k->k;
}

/* A TCP/UDP frame's flow, found in the first passes of a burst. */
struct flow {
	uint64_t hash;		/* 0: not a flow (not TCP/UDP, a fragment...) */
	uint32_t cand;		/* the candidate entry, prefetched */
	struct lb_conn_key6 key;	/* key.k alone for IPv4 */
};

/* ---- counts ---- */

static inline void
count_state(struct lb_worker *wk, uint32_t dest, unsigned int state, int delta)
{
	struct lb_dest_count *dc = &wk->dest_cnt[dest];

	wk->n_state[state] += (uint32_t)delta;
	if (lb_state_is_active(state))
		dc->active += (uint32_t)delta;
	else
		dc->inactive += (uint32_t)delta;
}

/* c no longer counts toward its persistence template. */
static inline void
tmpl_release(struct lb_worker *wk, struct lb_conn *c)
{
	if (c->tmpl != LB_CONN_NONE) {
		lb_conn_at(wk->ct, c->tmpl)->n_control--;
		c->tmpl = LB_CONN_NONE;
	}
}

static bool
conn_expired(struct lb_conn *c, void *arg)
{
	struct lb_worker *wk = arg;

	if (c->flags & LB_CONN_F_TEMPLATE) {
		/* IPVS: a template lives as long as a connection it controls. */
		if (c->n_control > 0) {
			c->expire = wk->now + LB_TMPL_REARM;
			return true;
		}
		if (c->dest != LB_CONN_NONE)
			wk->dest_cnt[c->dest].persist--;
		return false;
	}
	if (c->dest != LB_CONN_NONE)
		count_state(wk, c->dest, c->state, -1);
	tmpl_release(wk, c);
	wk->stats.conn_expired++;
	return false;
}

uint32_t
lb_core_expire(struct lb_worker *wk, uint32_t now, uint32_t budget)
{
	wk->now = now;
	return lb_conn_expire(wk->ct, now, budget, conn_expired, wk);
}

/* ---- defences (worker.h: lb_core_defend) ---- */

/* What drop_entry may free: a TCP connection that never got established,
 * or is over (ip_vs_random_dropentry's SYN_RECV/SYNACK, and NONE/CLOSE). */
static inline bool
half_open(const struct lb_conn *c)
{
	if (!(c->flags & LB_CONN_F_USED) || (c->flags & LB_CONN_F_TEMPLATE) ||
			c->key.proto != IPPROTO_TCP)
		return false;
	return c->state == LB_S_SYN_RECV || c->state == LB_S_SYNACK ||
		c->state == LB_S_NONE || c->state == LB_S_CLOSE;
}

static void
conn_evict(struct lb_worker *wk, struct lb_conn *c)
{
	if (c->dest != LB_CONN_NONE)
		count_state(wk, c->dest, c->state, -1);
	tmpl_release(wk, c);
	lb_conn_evict(wk->ct, c);
	wk->stats.conn_evicted++;
}

void
lb_core_defend(struct lb_worker *wk, const struct lb_snap *snap, uint32_t now)
{
	uint32_t cap = lb_conn_capacity(wk->ct), count = lb_conn_count(wk->ct);
	uint32_t thresh = (uint32_t)((uint64_t)cap * snap->defense_pct / 100);
	bool over = count > thresh;
	uint8_t active = 0;
	uint32_t probes;

	if (snap->drop_packet == 3 || (snap->drop_packet != 0 && over)) {
		uint32_t rate = snap->drop_packet == 3 ? snap->am_droprate :
			(cap - thresh) / (count - thresh);

		rate = rate == 0 ? 1 : rate;
		if (wk->drop_rate != rate)
			wk->drop_counter = rate;
		wk->drop_rate = rate;
		active |= LB_DEF_DROP_PACKET;
	} else {
		wk->drop_rate = 0;
	}
	if (snap->stateless_mh == 3 || (snap->stateless_mh != 0 && count >= cap))
		active |= LB_DEF_STATELESS;

	if (snap->drop_entry == 3 && !over) {
		/* always on, the table not under pressure: IPVS's 1/32 a second */
		if (wk->evict_second != now) {
			wk->evict_second = now;
			wk->evict_left = cap / 32 > 0 ? cap / 32 : 1;
		}
		probes = RTE_MIN(wk->evict_left, (uint32_t)LB_DEFEND_PROBES);
		wk->evict_left -= probes;
		thresh = 0;
		active |= LB_DEF_DROP_ENTRY;
	} else if (snap->drop_entry != 0 && over) {
		probes = LB_DEFEND_PROBES;
		active |= LB_DEF_DROP_ENTRY;
	} else {
		probes = 0;
	}
	while (probes-- > 0 && lb_conn_count(wk->ct) > thresh) {
		/* DPDK's per-lcore generator: no state of our own, no lock */
		struct lb_conn *c = lb_conn_at(wk->ct, (uint32_t)rte_rand_max(cap));

		if (half_open(c))
			conn_evict(wk, c);
	}
	if (wk->def_active != active)
		wk->def_active = active;
}

/* ---- ICMP errors lbd sends ---- */

static bool
icmp_allowed(struct lb_worker *wk, uint32_t now)
{
	if (now != wk->icmp_time) {
		uint64_t t = wk->icmp_tokens + (uint64_t)(now - wk->icmp_time) * LB_ICMP_RATE;

		wk->icmp_tokens = t > LB_ICMP_BURST ? LB_ICMP_BURST : (uint32_t)t;
		wk->icmp_time = now;
	}
	if (wk->icmp_tokens == 0) {
		wk->stats.sent_icmp_limited++;
		return false;
	}
	wk->icmp_tokens--;
	return true;
}

/* RFC 1122 3.2.2: no ICMP error is sent about an ICMP error. */
static bool
is_icmp_error(const struct rte_mbuf *m, const struct lb_pkt *p)
{
	const struct rte_icmp_hdr *ic;

	if (p->proto != IPPROTO_ICMP)
		return false;
	ic = rte_pktmbuf_mtod_offset(m, const struct rte_icmp_hdr *, p->l4_off);
	return ic->icmp_type == ICMP_DEST_UNREACH || ic->icmp_type == ICMP_SOURCE_QUENCH ||
		ic->icmp_type == ICMP_REDIRECT || ic->icmp_type == ICMP_TIME_EXCEEDED ||
		ic->icmp_type == ICMP_PARAMETERPROB;
}

/*
 * An ICMP error about the frame orig (type/code, RFC 792: the original IPv4
 * header and 8 bytes of its payload), from src, back out of rx_port to the
 * frame's sender, in the frame's VLAN when it came tagged.
 */
static void
send_icmp_error(struct lb_worker *wk, const struct lb_snap *snap, uint16_t rx_port,
		struct rte_mbuf *orig, const struct lb_pkt *p, uint8_t type, uint8_t code,
		uint16_t mtu, uint32_t src, uint32_t now, struct lb_out *out)
{
	const struct rte_ether_hdr *oeh = rte_pktmbuf_mtod(orig, const struct rte_ether_hdr *);
	uint16_t quote = p->l3_len < sizeof(struct rte_ipv4_hdr) + 8 ?
		p->l3_len : sizeof(struct rte_ipv4_hdr) + 8;
	struct rte_ether_hdr *eh;
	struct rte_ipv4_hdr *ip;
	struct rte_icmp_hdr *ic;
	struct rte_mbuf *m;
	uint16_t len;

	if (wk->pool == NULL || is_icmp_error(orig, p) || !icmp_allowed(wk, now))
		return;
	if (rte_pktmbuf_data_len(orig) < p->l2_len + quote)
		return;
	m = rte_pktmbuf_alloc(wk->pool);
	if (m == NULL)
		return;
	len = p->l2_len + sizeof(*ip) + sizeof(*ic) + quote;
	eh = (struct rte_ether_hdr *)rte_pktmbuf_append(m, len);
	if (eh == NULL) {
		rte_pktmbuf_free(m);
		return;
	}
	rte_ether_addr_copy(&oeh->src_addr, &eh->dst_addr);
	rte_ether_addr_copy(&snap->port[rx_port].mac, &eh->src_addr);
	/* the parser let through one 802.1Q tag at most: keep it */
	memcpy(&eh->ether_type, &oeh->ether_type, p->l2_len - offsetof(struct rte_ether_hdr,
				ether_type));
	ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, p->l2_len);
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->type_of_service = 0xc0;	/* internetwork control, as Linux sends */
	ip->total_length = rte_cpu_to_be_16(len - p->l2_len);
	ip->packet_id = 0;
	ip->fragment_offset = 0;
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_ICMP;
	ip->src_addr = src;
	ip->dst_addr = p->saddr;
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	ic = (struct rte_icmp_hdr *)(ip + 1);
	ic->icmp_type = type;
	ic->icmp_code = code;
	ic->icmp_cksum = 0;
	/* unused field, or next-hop MTU for fragmentation needed (RFC 1191) */
	ic->icmp_ident = 0;
	ic->icmp_seq_nb = rte_cpu_to_be_16(mtu);
	memcpy(ic + 1, rte_pktmbuf_mtod_offset(orig, const void *, p->l2_len), quote);
	ic->icmp_cksum = (uint16_t)~rte_raw_cksum(ic, sizeof(*ic) + quote);
	m->port = orig->port;
	wk->stats.sent_icmp++;
	emit(out, m, rx_port);
}

/* RFC 4443 2.4 (e): no error about an ICMPv6 error, nor about a packet from
 * an address that does not name one host. */
static bool
icmp6_error_forbidden(const struct lb_pkt *p)
{
	static const uint8_t zero[16];

	if (p->proto == IPPROTO_ICMPV6 && p->icmp_type < 128)
		return true;
	return memcmp(p->saddr6, zero, 16) == 0;
}

/*
 * An ICMPv6 error about orig (RFC 4443: as much of the packet as fits in
 * the minimum MTU), from the address it was sent to (a VIP), back to its
 * source out of rx_port, in its VLAN. param: Packet Too Big's MTU.
 */
static void
send_icmp6_error(struct lb_worker *wk, const struct lb_snap *snap, uint16_t rx_port,
		struct rte_mbuf *orig, const struct lb_pkt *p, uint8_t type, uint8_t code,
		uint32_t param, uint32_t now, struct lb_out *out)
{
	const struct rte_ether_hdr *oeh = rte_pktmbuf_mtod(orig, const struct rte_ether_hdr *);
	uint16_t quote = RTE_MIN(p->l3_len, (uint16_t)LB_ICMP6_ERR_QUOTE);
	struct rte_ether_hdr *eh;
	struct rte_ipv6_hdr *ip;
	uint8_t *ic;
	struct rte_mbuf *m;
	uint16_t len, sum;
	uint32_t be;

	if (wk->pool == NULL || icmp6_error_forbidden(p) || !icmp_allowed(wk, now))
		return;
	quote = RTE_MIN(quote, (uint16_t)(rte_pktmbuf_data_len(orig) - p->l2_len));
	m = rte_pktmbuf_alloc(wk->pool);
	if (m == NULL)
		return;
	len = p->l2_len + sizeof(*ip) + 8 + quote;
	eh = (struct rte_ether_hdr *)rte_pktmbuf_append(m, len);
	if (eh == NULL) {
		rte_pktmbuf_free(m);
		return;
	}
	rte_ether_addr_copy(&oeh->src_addr, &eh->dst_addr);
	rte_ether_addr_copy(&snap->port[rx_port].mac, &eh->src_addr);
	memcpy(&eh->ether_type, &oeh->ether_type, p->l2_len - offsetof(struct rte_ether_hdr,
				ether_type));
	ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv6_hdr *, p->l2_len);
	ip->vtc_flow = RTE_BE32(6u << 28);
	ip->payload_len = rte_cpu_to_be_16(8 + quote);
	ip->proto = IPPROTO_ICMPV6;
	ip->hop_limits = 64;
	memcpy(ip->src_addr, p->daddr6, 16);
	memcpy(ip->dst_addr, p->saddr6, 16);
	ic = (uint8_t *)(ip + 1);
	ic[0] = type;
	ic[1] = code;
	ic[2] = ic[3] = 0;
	be = rte_cpu_to_be_32(param);
	memcpy(ic + 4, &be, 4);
	memcpy(ic + 8, rte_pktmbuf_mtod_offset(orig, const void *, p->l2_len), quote);
	sum = lb_icmp6_cksum(ip->src_addr, ip->dst_addr, ic, 8u + quote);
	memcpy(ic + 2, &sum, 2);
	m->port = orig->port;
	wk->stats.sent_icmp++;
	emit(out, m, rx_port);
}

/* ---- the kernel interface ---- */

/* m goes to the kernel interface of the port it came in on (control/host.h). */
static void
to_host(struct lb_worker *wk, uint16_t rx_port, struct rte_mbuf *m)
{
	m->hash.usr = rx_port;
	if (wk->to_host != NULL && rte_ring_sp_enqueue(wk->to_host, m) == 0) {
		wk->stats.to_host++;
		return;
	}
	drop(wk, m, LB_DROP_host_full);
}

/*
 * What a port's host owns besides its address: broadcast (limited and the
 * subnet's) and link-local multicast, 224.0.0.0/24 (VRRP, the IPVS sync
 * group, OSPF).
 */
static inline bool
host_group(const struct lb_port_info *pi, uint32_t daddr)
{
	return daddr == RTE_BE32(0xffffffffu) ||
		(pi->mask != RTE_BE32(0xffffffffu) && daddr == (pi->addr | ~pi->mask)) ||
		(daddr & RTE_BE32(0xffffff00u)) == RTE_BE32(0xe0000000u);
}

/* ---- ARP ---- */

static bool
is_dest_addr(uint32_t addr, const struct lb_snap *snap)
{
	uint32_t i, j;

	for (i = 0; i < snap->n_svcs; i++) {
		if (snap->svcs[i].af != AF_INET)
			continue;
		for (j = 0; j < snap->svcs[i].sched.n; j++)
			if (snap->svcs[i].sched.dest[j].addr == addr)
				return true;
	}
	return false;
}

static void
handle_arp(struct lb_worker *wk, const struct lb_snap *snap, uint16_t rx_port,
		struct rte_mbuf *m, const struct lb_pkt *p, struct lb_out *out)
{
	struct rte_ether_hdr *eh = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_arp_hdr *ah = rte_pktmbuf_mtod_offset(m, struct rte_arp_hdr *, p->l2_len);
	const struct rte_ether_addr *mine = &snap->port[rx_port].mac;
	uint32_t tip = ah->arp_data.arp_tip, sip = ah->arp_data.arp_sip;

	bool host = snap->port[rx_port].host;

	/* With a kernel interface the kernel answers for the port's address. */
	if (ah->arp_opcode == RTE_BE16(RTE_ARP_OP_REQUEST) && sip != tip &&
			(lb_snap_vip_arp(snap, tip) ||
			 (!host && snap->port[rx_port].addr == tip))) {
		ah->arp_opcode = RTE_BE16(RTE_ARP_OP_REPLY);
		rte_ether_addr_copy(&ah->arp_data.arp_sha, &ah->arp_data.arp_tha);
		rte_ether_addr_copy(mine, &ah->arp_data.arp_sha);
		ah->arp_data.arp_tip = sip;
		ah->arp_data.arp_sip = tip;
		rte_ether_addr_copy(&eh->src_addr, &eh->dst_addr);
		rte_ether_addr_copy(mine, &eh->src_addr);
		wk->stats.reply++;
		emit(out, m, rx_port);
		return;
	}
	/* Replies and announcements from real servers feed the neighbour table
	 * (which passes them on to the kernel interface, when there is one). */
	if (wk->to_ctl != NULL && is_dest_addr(sip, snap)) {
		m->port = snap->port[rx_port].port_id;
		m->hash.usr = rx_port;
		if (rte_ring_sp_enqueue(wk->to_ctl, m) == 0) {
			wk->stats.to_control++;
			return;
		}
		drop(wk, m, LB_DROP_to_control_full);
		return;
	}
	/* The kernel's: requests for the port's address, and every reply. */
	if (host && (ah->arp_opcode == RTE_BE16(RTE_ARP_OP_REPLY) ||
				tip == snap->port[rx_port].addr)) {
		to_host(wk, rx_port, m);
		return;
	}
	drop(wk, m, LB_DROP_arp_not_ours);
}

/* ---- ICMP to our addresses ---- */

/* One's-complement add of delta to a checksum field in network order (RFC 1624). */
static inline uint16_t
cksum_add(uint16_t cksum_be, uint16_t delta)
{
	uint32_t sum = (uint32_t)rte_be_to_cpu_16(cksum_be) + delta;

	sum = (sum & 0xffff) + (sum >> 16);
	return rte_cpu_to_be_16((uint16_t)sum);
}

/* m, rewritten into a reply in place, goes back to its sender. */
static inline void
reply_out(struct lb_worker *wk, const struct lb_snap *snap, uint16_t rx_port,
		struct rte_mbuf *m, struct lb_out *out)
{
	struct rte_ether_hdr *eh = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);

	rte_ether_addr_copy(&eh->src_addr, &eh->dst_addr);
	rte_ether_addr_copy(&snap->port[rx_port].mac, &eh->src_addr);
	wk->stats.reply++;
	emit(out, m, rx_port);
}

static void
echo_reply(struct lb_worker *wk, const struct lb_snap *snap, uint16_t rx_port,
		struct rte_mbuf *m, const struct lb_pkt *p, struct lb_out *out)
{
	struct rte_ipv4_hdr *ip = ip_of(m, p);
	struct rte_icmp_hdr *ic = rte_pktmbuf_mtod_offset(m, struct rte_icmp_hdr *, p->l4_off);

	ip->dst_addr = p->saddr;
	ip->src_addr = p->daddr;
	ip->time_to_live = 64;
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	/* type 8 -> 0: the checksum grows by 0x0800. */
	ic->icmp_type = RTE_IP_ICMP_ECHO_REPLY;
	ic->icmp_cksum = cksum_add(ic->icmp_cksum, 0x0800);
	reply_out(wk, snap, rx_port, m, out);
}

/* ---- DR transmit ---- */

/* IPv6: the hop limit, and Packet Too Big where IPv4 would fragment. */
static void
dr_forward6(struct lb_worker *wk, const struct lb_snap *snap, uint16_t rx_port,
		struct rte_mbuf *m, const struct lb_pkt *p, const struct lb_dest *d,
		uint64_t mac, uint32_t now, struct lb_out *out)
{
	struct rte_ether_hdr *eh = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_ipv6_hdr *ip = ip6_of(m, p);

	if (ip->hop_limits <= 1) {
		send_icmp6_error(wk, snap, rx_port, m, p, LB_ICMP6_TIME_EXCEEDED, 0, 0, now, out);
		drop(wk, m, LB_DROP_ttl_exceeded);
		return;
	}
	if (p->l3_len > d->mtu) {
		send_icmp6_error(wk, snap, rx_port, m, p, LB_ICMP6_PKT_TOO_BIG, 0, d->mtu, now,
				out);
		drop(wk, m, LB_DROP_pkt_too_big);
		return;
	}
	ip->hop_limits--;
	memcpy(&eh->dst_addr, &mac, RTE_ETHER_ADDR_LEN);
	rte_ether_addr_copy(&snap->port[d->tx_port].mac, &eh->src_addr);
	wk->stats.fwd++;
	emit(out, m, d->tx_port);
}

static void
dr_forward(struct lb_worker *wk, const struct lb_snap *snap, uint16_t rx_port,
		struct rte_mbuf *m, const struct lb_pkt *p, const struct lb_dest *d,
		uint32_t now, struct lb_out *out)
{
	struct rte_ether_hdr *eh = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_ipv4_hdr *ip = ip_of(m, p);
	uint64_t mac = __atomic_load_n(&d->mac, __ATOMIC_RELAXED);
	uint32_t sum;

	if (!(mac & LB_MAC_VALID)) {
		drop(wk, m, LB_DROP_dest_unresolved);
		return;
	}
	if (p->kind == LB_PKT_IPV6) {
		dr_forward6(wk, snap, rx_port, m, p, d, mac, now, out);
		return;
	}
	if (ip->time_to_live <= 1) {
		send_icmp_error(wk, snap, rx_port, m, p, ICMP_TIME_EXCEEDED, 0, 0,
				snap->port[rx_port].addr, now, out);
		drop(wk, m, LB_DROP_ttl_exceeded);
		return;
	}
	if (p->l3_len > d->mtu) {
		if (ip->fragment_offset & RTE_BE16(RTE_IPV4_HDR_DF_FLAG))
			send_icmp_error(wk, snap, rx_port, m, p, ICMP_DEST_UNREACH,
					ICMP_CODE_FRAG_NEEDED, d->mtu,
					snap->port[rx_port].addr, now, out);
		drop(wk, m, LB_DROP_frag_needed);
		return;
	}
	/* TTL is the high byte of its 16-bit word: one less adds 0x0100 to the sum. */
	ip->time_to_live--;
	sum = (uint32_t)rte_be_to_cpu_16(ip->hdr_checksum) + 0x0100;
	sum = (sum & 0xffff) + (sum >> 16);
	ip->hdr_checksum = rte_cpu_to_be_16((uint16_t)sum);

	memcpy(&eh->dst_addr, &mac, RTE_ETHER_ADDR_LEN);
	rte_ether_addr_copy(&snap->port[d->tx_port].mac, &eh->src_addr);
	wk->stats.fwd++;
	emit(out, m, d->tx_port);
}

/* ---- connections ---- */

static inline uint32_t
conn_timeout(const struct lb_snap *snap, unsigned int state)
{
	return snap->timeout[state];
}

/* The client as schedulers hash it; an IPv6 one folded as IPVS folds it. */
static inline uint32_t
client_word(const struct lb_pkt *p)
{
	union lb_ip a;

	if (p->kind != LB_PKT_IPV6)
		return p->saddr;
	memcpy(a.v6, p->saddr6, 16);
	return lb_ip_fold(AF_INET6, &a);
}

/* A real server for a new connection of svc, or LB_CONN_NONE. */
static uint32_t
schedule(struct lb_worker *wk, const struct lb_svc *svc, const struct lb_pkt *p)
{
	struct lb_sched_count cnt[LB_MAX_DESTS_PER_SVC];
	struct lb_sched_slot *slot = &wk->sched[svc->id];
	uint32_t i, n = svc->sched.n;
	int pos;

	if (slot->gen != svc->gen) {
		slot->gen = svc->gen;
		slot->st = (struct lb_sched_state){ 0 };
	}
	switch (svc->sched.kind) {
	case LB_SCHED_LC:
	case LB_SCHED_WLC:
	case LB_SCHED_SED:
	case LB_SCHED_NQ:
		for (i = 0; i < n; i++) {
			const struct lb_dest_count *dc = &wk->dest_cnt[svc->dest_ids[i]];

			cnt[i].active = dc->active;
			cnt[i].inactive = dc->inactive;
		}
		break;
	default:
		break;
	}
	pos = lb_sched_pick(&svc->sched, &slot->st, cnt, client_word(p), p->sport);
	return pos < 0 ? LB_CONN_NONE : svc->dest_ids[pos];
}

/*
 * Persistence (IPVS's templates): the server for a new connection of a
 * persistent service is the one of the client network's template, found in
 * this worker's table, else in another worker's (read in place, no lock:
 * a client's connections land on different cores), else scheduled. This
 * worker then holds its own template for it, re-armed by every new
 * connection and kept while it controls any. Two cores making the first
 * template of one client network in the same microsecond may pick two
 * servers; each keeps its choice for the connections it has made.
 */
static uint32_t
persist_pick(struct lb_worker *wk, const struct lb_svc *svc, const struct lb_pkt *p,
		uint32_t now, uint32_t *tidx)
{
	struct lb_conn_key6 k6;
	struct lb_conn_key *k = &k6.k;
	uint64_t h;
	uint32_t life = now + svc->persistence, dest = LB_CONN_NONE;
	struct lb_conn *t;
	uint16_t w;

	if (p->kind == LB_PKT_IPV6) {
		union lb_ip c = ip6_load(p->saddr6);

		c = lb_ip6_prefix(&c, svc->plen6);
		lb_conn_key6_set(&k6, c.v6, p->daddr6, 0, svc->port, p->proto, 1);
	} else {
		lb_conn_key_set(&k6.k, p->saddr & svc->netmask, p->daddr, 0, svc->port, p->proto,
				1);
	}
	h = lb_conn_hash(k);
	t = lb_conn_lookup(wk->ct, k, h);

	*tidx = LB_CONN_NONE;
	if (t != NULL && t->dest != LB_CONN_NONE && !lb_dests[t->dest].removed &&
			((int32_t)(t->expire - now) > 0 || t->n_control > 0)) {
		if ((int32_t)(life - t->expire) > 0)
			lb_conn_set_expire(wk->ct, t, life);
		*tidx = lb_conn_index(wk->ct, t);
		return t->dest;
	}
	if (t == NULL) {
		for (w = 0; w < wk->n_peers && dest == LB_CONN_NONE; w++) {
			struct lb_conn copy;

			if (wk->peers[w] == wk || !lb_conn_peek(wk->peers[w]->ct, k, h, &copy))
				continue;
			if (copy.dest != LB_CONN_NONE && (int32_t)(copy.expire - now) > 0 &&
					!lb_dests[copy.dest].removed)
				dest = copy.dest;
		}
		if (lb_conn_count(wk->ct) < lb_conn_capacity(wk->ct))
			t = lb_conn_insert(wk->ct, k, h, now, life);
	}
	if (dest == LB_CONN_NONE)
		dest = schedule(wk, svc, p);
	if (t == NULL || dest == LB_CONN_NONE)
		return dest;	/* no room for a template: the connection goes alone */
	lb_conn_write_begin(t);
	if (t->dest != LB_CONN_NONE)
		wk->dest_cnt[t->dest].persist--;
	t->dest = dest;
	t->state = LB_S_NONE;
	t->flags = LB_CONN_F_USED | LB_CONN_F_TEMPLATE;
	t->created = now;
	lb_conn_write_end(t);
	wk->dest_cnt[dest].persist++;
	if (t->expire != life)
		lb_conn_set_expire(wk->ct, t, life);
	*tidx = lb_conn_index(wk->ct, t);
	return dest;
}

/* Bind c to a freshly scheduled server; false when none is available. */
static bool
conn_bind(struct lb_worker *wk, const struct lb_svc *svc, struct lb_conn *c,
		const struct lb_pkt *p, uint32_t now)
{
	uint32_t tidx = LB_CONN_NONE;
	uint32_t dest = svc->persistence != 0 ? persist_pick(wk, svc, p, now, &tidx) :
		schedule(wk, svc, p);

	if (dest == LB_CONN_NONE)
		return false;
	if (tidx != LB_CONN_NONE) {
		c->tmpl = tidx;
		lb_conn_at(wk->ct, tidx)->n_control++;
	}
	lb_conn_write_begin(c);
	c->dest = dest;
	c->state = LB_S_NONE;
	c->flags &= ~LB_CONN_F_SYNC;	/* this director's own from now on */
	c->created = now;
	c->pkts = 0;
	lb_conn_write_end(c);
	count_state(wk, dest, LB_S_NONE, +1);
	wk->svc_stats[svc->id].conns++;
	wk->dest_stats[dest].conns++;
	wk->stats.conn_created++;
	return true;
}

/* c no longer holds a connection (counts included). */
static void
conn_release(struct lb_worker *wk, struct lb_conn *c)
{
	if (c->dest != LB_CONN_NONE)
		count_state(wk, c->dest, c->state, -1);
	tmpl_release(wk, c);
	lb_conn_write_begin(c);
	c->dest = LB_CONN_NONE;
	lb_conn_write_end(c);
}

/* End c's current connection so that it can be reused. */
static void
conn_end(struct lb_worker *wk, struct lb_conn *c)
{
	conn_release(wk, c);
	wk->stats.conn_reused++;
}

static void
no_dest(struct lb_worker *wk, const struct lb_snap *snap, uint16_t rx_port,
		struct rte_mbuf *m, const struct lb_pkt *p, uint32_t now, struct lb_out *out)
{
	/* As IPVS: port unreachable from the VIP, for TCP too. */
	if (p->kind == LB_PKT_IPV6)
		send_icmp6_error(wk, snap, rx_port, m, p, LB_ICMP6_DST_UNREACH,
				LB_ICMP6_CODE_PORT_UNREACH, 0, now, out);
	else
		send_icmp_error(wk, snap, rx_port, m, p, ICMP_DEST_UNREACH,
				ICMP_CODE_PORT_UNREACH, 0, p->daddr, now, out);
	drop(wk, m, LB_DROP_no_dest);
}

/* ---- connection sync (dataplane/sync.h) ---- */

/* The TCP states IPVS syncs: never SYN_RECV or SYNACK (ip_vs_sync_conn_needed). */
#define SYNC_TCP_STATES	(1u << LB_S_ESTABLISHED | 1u << LB_S_FIN_WAIT | 1u << LB_S_CLOSE | \
			 1u << LB_S_CLOSE_WAIT | 1u << LB_S_TIME_WAIT)

/* IPVS's rule, after c's packet moved it from state old: a change to a
 * state other than ESTABLISHED at once, else every period-th packet from
 * the threshold-th on (sync_threshold "3 50"). */
static inline bool
sync_needed(const struct lb_conn *c, unsigned int old, bool tcp)
{
	if (tcp) {
		if (!((1u << c->state) & SYNC_TCP_STATES))
			return false;
		if (c->state != old && c->state != LB_S_ESTABLISHED)
			return true;
	}
	return c->pkts % LB_SYNC_PERIOD == LB_SYNC_THRESHOLD;
}

static void
sync_put(struct lb_worker *wk, struct lb_sync_conn *r)
{
	if (rte_ring_sp_enqueue_elem(wk->sync_out, r, sizeof(*r)) == 0)
		wk->sync.queued++;
	else
		wk->sync.ring_full++;
}

/* Hand the master daemon c's record, and its template's as IPVS does. */
static void
sync_queue(struct lb_worker *wk, const struct lb_snap *snap, const struct lb_svc *svc,
		const struct lb_conn *c)
{
	const struct lb_dest *d = &lb_dests[c->dest];
	struct lb_sync_conn r = {
		.caddr = c->key.caddr, .vaddr = c->key.vaddr, .daddr = d->addr.v4,
		.cport = c->key.cport, .vport = c->key.vport, .dport = d->port,
		.proto = c->key.proto, .version = 1,
		.state = c->state == LB_S_UDP ? 0 : c->state,
		/* DR, no output; inactive but in ESTABLISHED, as IPVS's flag */
		.flags = LB_SYNC_F_DROUTE | LB_SYNC_F_NOOUTPUT |
			(c->state == LB_S_ESTABLISHED ? 0 : LB_SYNC_F_INACTIVE),
		.timeout = conn_timeout(snap, c->state),
	};

	if (lb_conn_key_is_v6(&c->key))
		return;		/* the records lbd sends are IPv4's (docs/high-availability.md) */
	sync_put(wk, &r);
	if (c->tmpl != LB_CONN_NONE) {
		const struct lb_conn *t = lb_conn_at(wk->ct, c->tmpl);

		if (t->dest == LB_CONN_NONE)
			return;
		r.caddr = t->key.caddr;
		r.cport = 0;
		r.vport = t->key.vport;
		r.daddr = lb_dests[t->dest].addr.v4;
		r.dport = lb_dests[t->dest].port;
		r.state = t->flags & LB_CONN_F_ASSURED ? 1 : 0;
		r.flags = LB_SYNC_F_DROUTE | LB_SYNC_F_NOOUTPUT | LB_SYNC_F_TEMPLATE;
		r.timeout = svc->persistence;
		sync_put(wk, &r);
	}
}

/* svc's real server at addr:port, or LB_CONN_NONE. */
static uint32_t
svc_dest(const struct lb_svc *svc, uint32_t addr, uint16_t port)
{
	uint32_t i;

	for (i = 0; i < svc->sched.n; i++) {
		uint32_t id = svc->dest_ids[i];

		if (lb_dests[id].af == AF_INET && lb_dests[id].addr.v4 == addr &&
				lb_dests[id].port == port && !lb_dests[id].removed)
			return id;
	}
	return LB_CONN_NONE;
}

#define SYNC_MAX_TIMEOUT	(366u * 86400)	/* longer is a year: IPVS caps too */
#define SYNC_TMPL_TIMEOUT	180		/* a template record without one (v0) */

void
lb_core_sync_apply(struct lb_worker *wk, const struct lb_snap *snap,
		const struct lb_sync_conn *r, uint32_t now)
{
	bool tmpl = (r->flags & LB_SYNC_F_TEMPLATE) != 0, fresh = false;
	const struct lb_svc *svc = lb_snap_service(snap, r->proto, r->vaddr, r->vport);
	unsigned int state;
	struct lb_conn_key k;
	struct lb_conn *c;
	uint32_t dest, timeout;
	uint64_t h;

	if (svc == NULL) {
		wk->sync.no_service++;
		return;
	}
	dest = svc_dest(svc, r->daddr, r->dport);
	if (dest == LB_CONN_NONE) {
		wk->sync.no_dest++;
		return;
	}
	state = tmpl ? LB_S_NONE : r->proto == IPPROTO_TCP ? r->state : LB_S_UDP;
	timeout = r->timeout != 0 ? RTE_MIN(r->timeout, SYNC_MAX_TIMEOUT) :
		tmpl ? SYNC_TMPL_TIMEOUT : conn_timeout(snap, state);
	lb_conn_key_set(&k, r->caddr, r->vaddr, tmpl ? 0 : r->cport, r->vport, r->proto,
			tmpl ? 1 : 0);
	h = lb_conn_hash(&k);
	c = lb_conn_lookup(wk->ct, &k, h);
	if (c == NULL) {
		if (lb_conn_count(wk->ct) >= lb_conn_capacity(wk->ct) ||
				(c = lb_conn_insert(wk->ct, &k, h, now, now + timeout)) == NULL) {
			wk->sync.table_full++;
			return;
		}
		fresh = true;
	}
	if (tmpl) {
		lb_conn_write_begin(c);
		if (c->dest != dest) {
			if (c->dest != LB_CONN_NONE)
				wk->dest_cnt[c->dest].persist--;
			wk->dest_cnt[dest].persist++;
			c->dest = dest;
		}
		c->state = LB_S_NONE;
		c->flags = LB_CONN_F_USED | LB_CONN_F_TEMPLATE | LB_CONN_F_SYNC |
			(r->state == 1 ? LB_CONN_F_ASSURED : 0);
		if (fresh)
			c->created = now;
		lb_conn_write_end(c);
		if ((int32_t)(now + timeout - c->expire) > 0)
			lb_conn_set_expire(wk->ct, c, now + timeout);
		wk->sync.updated += !fresh;
		wk->sync.created += fresh;
		return;
	}
	if (c->dest != LB_CONN_NONE && c->dest != dest) {
		/* another server's: the sender's word wins, unless this is the
		 * expiry note of the entry it replaced (IPVS's rule) */
		if (r->flags & LB_SYNC_F_INACTIVE) {
			wk->sync.stale++;
			return;
		}
		conn_release(wk, c);
		wk->sync.replaced++;
	}
	if (c->dest == LB_CONN_NONE) {
		lb_conn_write_begin(c);
		c->dest = dest;
		c->state = (uint8_t)state;
		c->flags |= LB_CONN_F_SYNC;
		c->created = now;
		c->pkts = LB_SYNC_THRESHOLD;
		lb_conn_write_end(c);
		count_state(wk, dest, state, +1);
		wk->sync.created++;
	} else {
		if (state != c->state) {
			count_state(wk, dest, c->state, -1);
			count_state(wk, dest, state, +1);
			lb_conn_write_begin(c);
			c->state = (uint8_t)state;
			lb_conn_write_end(c);
		}
		wk->sync.updated++;
	}
	lb_conn_set_expire(wk->ct, c, now + timeout);
}

/*
 * Maglev's fallback: an mh service's packet sent by mh alone, no entry made.
 * mh gives a packet of the flow the server its first one got, as long as
 * the servers do not change; counted under fwd and fwd_stateless.
 */
static void
stateless(struct lb_worker *wk, const struct lb_snap *snap, uint16_t rx_port,
		struct rte_mbuf *m, const struct lb_pkt *p, const struct lb_svc *svc,
		uint32_t now, struct lb_out *out)
{
	uint32_t dest = schedule(wk, svc, p);
	uint64_t fwd;

	if (dest == LB_CONN_NONE) {
		no_dest(wk, snap, rx_port, m, p, now, out);
		return;
	}
	if (p->proto != IPPROTO_TCP || (p->tcp_flags & (RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG)) ==
			RTE_TCP_SYN_FLAG) {
		wk->svc_stats[svc->id].conns++;
		wk->dest_stats[dest].conns++;
	}
	wk->svc_stats[svc->id].inpkts++;
	wk->svc_stats[svc->id].inbytes += p->l3_len;
	wk->dest_stats[dest].inpkts++;
	wk->dest_stats[dest].inbytes += p->l3_len;
	fwd = wk->stats.fwd;
	dr_forward(wk, snap, rx_port, m, p, &lb_dests[dest], now, out);
	wk->stats.fwd_stateless += wk->stats.fwd - fwd;	/* not if dropped (TTL, MTU) */
}

static __rte_always_inline void
handle_l4(struct lb_worker *wk, const struct lb_snap *snap, uint16_t rx_port,
		struct rte_mbuf *m, const struct lb_pkt *p, const struct lb_svc *svc,
		const struct flow *f, uint32_t now, struct lb_out *out)
{
	const struct lb_conn_key *key = &f->key.k;
	uint64_t hash = f->hash;
	bool tcp = p->proto == IPPROTO_TCP;
	bool syn = tcp && (p->tcp_flags & (RTE_TCP_SYN_FLAG | RTE_TCP_RST_FLAG)) ==
		RTE_TCP_SYN_FLAG;
	/* What may create an entry: a SYN, any datagram, any non-RST with
	 * sloppy_tcp or a sloppy service (a flow another director started) */
	bool may_create = !tcp || syn ||
		((snap->sloppy_tcp || (svc != NULL && svc->sloppy)) &&
		 !(p->tcp_flags & RTE_TCP_RST_FLAG));
	const struct lb_dest *d;
	struct lb_conn *c;
	unsigned int state, old;

	if (svc == NULL) {
		drop(wk, m, LB_DROP_no_service);
		return;
	}
	c = lb_conn_lookup_at(wk->ct, key, hash, f->cand);
	if (c != NULL) {
		bool expired = (int32_t)(c->expire - now) <= 0;
		bool reuse = syn && (c->state == LB_S_TIME_WAIT || c->state == LB_S_CLOSE ||
				c->state == LB_S_FIN_WAIT);
		/* expire_nodest_conn: any packet of a deleted server's entry expires
		 * it, and is scheduled afresh if it may start a connection (IPVS) */
		bool nodest = c->dest != LB_CONN_NONE && lb_dests[c->dest].removed &&
			snap->expire_nodest_conn;

		if (nodest && !may_create) {
			conn_release(wk, c);
			lb_conn_set_expire(wk->ct, c, now);
			drop(wk, m, LB_DROP_dest_removed);
			return;
		}
		if (expired && !may_create) {
			/* Late packet of a finished flow: as if the entry were gone. */
			drop(wk, m, LB_DROP_tcp_no_conn);
			return;
		}
		if (expired || reuse || nodest || c->dest == LB_CONN_NONE) {
			if (c->dest != LB_CONN_NONE)
				conn_end(wk, c);
			if (!conn_bind(wk, svc, c, p, now)) {
				/* Nothing to bind it to: let it expire now. */
				lb_conn_set_expire(wk->ct, c, now);
				no_dest(wk, snap, rx_port, m, p, now, out);
				return;
			}
		}
	} else {
		bool mh = svc->sched.kind == LB_SCHED_MH && snap->stateless_mh != 0;

		if (!may_create) {
			if (mh)
				stateless(wk, snap, rx_port, m, p, svc, now, out);
			else
				drop(wk, m, tcp ? LB_DROP_tcp_no_conn : LB_DROP_no_service);
			return;
		}
		if (unlikely(wk->drop_rate != 0) && --wk->drop_counter == 0) {
			wk->drop_counter = wk->drop_rate;
			drop(wk, m, LB_DROP_drop_packet);
			return;
		}
		if (mh && (snap->stateless_mh == 3 ||
					lb_conn_count(wk->ct) >= lb_conn_capacity(wk->ct))) {
			stateless(wk, snap, rx_port, m, p, svc, now, out);
			return;
		}
		if (lb_conn_count(wk->ct) >= lb_conn_capacity(wk->ct)) {
			drop(wk, m, LB_DROP_conn_full);
			return;
		}
		c = lb_conn_insert(wk->ct, key, hash, now, now + conn_timeout(snap, LB_S_NONE));
		if (c == NULL) {
			if (mh)
				stateless(wk, snap, rx_port, m, p, svc, now, out);
			else
				drop(wk, m, LB_DROP_conn_full);
			return;
		}
		if (!conn_bind(wk, svc, c, p, now)) {
			/* The wheel frees it within the second; it holds no server. */
			lb_conn_set_expire(wk->ct, c, now);
			no_dest(wk, snap, rx_port, m, p, now, out);
			return;
		}
	}

	d = &lb_dests[c->dest];
	if (d->removed) {
		drop(wk, m, LB_DROP_dest_removed);
		return;
	}

	/* The state machine: input-only transitions, then the new state's timeout. */
	old = c->state;
	state = tcp ? lb_tcp_trans[snap->tcp_table][c->state][lb_tcp_event_of(p->tcp_flags)] :
		LB_S_UDP;
	if (state != c->state) {
		count_state(wk, c->dest, c->state, -1);
		count_state(wk, c->dest, state, +1);
		lb_conn_write_begin(c);
		c->state = (uint8_t)state;
		lb_conn_write_end(c);
		/* A template whose connection got established shows as ASSURED. */
		if (state == LB_S_ESTABLISHED && c->tmpl != LB_CONN_NONE) {
			struct lb_conn *t = lb_conn_at(wk->ct, c->tmpl);

			if (!(t->flags & LB_CONN_F_ASSURED)) {
				lb_conn_write_begin(t);
				t->flags |= LB_CONN_F_ASSURED;
				lb_conn_write_end(t);
			}
		}
	}
	lb_conn_set_expire(wk->ct, c, now + conn_timeout(snap, state));
	c->pkts++;
	if (unlikely(wk->sync_master) && sync_needed(c, old, tcp))
		sync_queue(wk, snap, svc, c);

	wk->svc_stats[svc->id].inpkts++;
	wk->svc_stats[svc->id].inbytes += p->l3_len;
	wk->dest_stats[c->dest].inpkts++;
	wk->dest_stats[c->dest].inbytes += p->l3_len;
	dr_forward(wk, snap, rx_port, m, p, d, now, out);
}

static inline bool
live_dest(uint32_t dest, uint32_t expire, uint32_t now)
{
	return dest != LB_CONN_NONE && (int32_t)(expire - now) > 0 && !lb_dests[dest].removed;
}

/*
 * The live server of the flow of key, in this worker's table or, when it has
 * no entry at all, another's: RSS spreads ICMP by address pair, the flow by
 * its ports, so the entry is usually another worker's. Its table is read in
 * place, as the listing does. LB_CONN_NONE when there is none.
 */
static uint32_t
flow_dest(struct lb_worker *wk, const struct lb_conn_key *key, uint32_t now)
{
	uint64_t h = lb_conn_hash(key);
	struct lb_conn *c = lb_conn_lookup(wk->ct, key, h), copy;
	uint16_t w;

	if (c != NULL)
		return live_dest(c->dest, c->expire, now) ? c->dest : LB_CONN_NONE;
	for (w = 0; w < wk->n_peers; w++)
		if (wk->peers[w] != wk && lb_conn_peek(wk->peers[w]->ct, key, h, &copy) &&
				live_dest(copy.dest, copy.expire, now))
			return copy.dest;
	return LB_CONN_NONE;
}

/* m (an error about the flow of key) to that flow's server, or dropped. */
static void
to_flow(struct lb_worker *wk, const struct lb_snap *snap, uint16_t rx_port,
		struct rte_mbuf *m, const struct lb_pkt *p, const struct lb_conn_key *key,
		uint32_t now, struct lb_out *out)
{
	uint32_t dest = flow_dest(wk, key, now);

	if (dest == LB_CONN_NONE)
		drop(wk, m, LB_DROP_icmp_no_conn);
	else
		dr_forward(wk, snap, rx_port, m, p, &lb_dests[dest], now, out);
}

/* An ICMP error about a packet VIP -> client: forward it to that flow's server. */
static void
handle_icmp_related(struct lb_worker *wk, const struct lb_snap *snap, uint16_t rx_port,
		struct rte_mbuf *m, const struct lb_pkt *p, uint32_t now, struct lb_out *out)
{
	const struct rte_ipv4_hdr *in;
	uint16_t ports[2];
	struct lb_conn_key key;
	uint16_t off = p->l4_off + sizeof(struct rte_icmp_hdr);

	if (p->l4_len < sizeof(struct rte_icmp_hdr) + sizeof(*in) + 4 ||
			rte_pktmbuf_data_len(m) < off + sizeof(*in) + 4) {
		drop(wk, m, LB_DROP_l4_short);
		return;
	}
	in = rte_pktmbuf_mtod_offset(m, const struct rte_ipv4_hdr *, off);
	if ((in->version_ihl & 0xf) != 5 ||
			(in->next_proto_id != IPPROTO_TCP && in->next_proto_id != IPPROTO_UDP) ||
			in->src_addr != p->daddr) {
		drop(wk, m, LB_DROP_icmp_no_conn);
		return;
	}
	memcpy(ports, in + 1, sizeof(ports));
	lb_conn_key_set(&key, in->dst_addr, in->src_addr, ports[1], ports[0],
			in->next_proto_id, 0);
	to_flow(wk, snap, rx_port, m, p, &key, now, out);
}

static void
handle_ipv4(struct lb_worker *wk, const struct lb_snap *snap, uint16_t rx_port,
		struct rte_mbuf *m, const struct lb_pkt *p, const struct flow *f,
		uint32_t now, struct lb_out *out)
{
	bool vip = lb_snap_is_vip(snap, p->daddr);
	const struct lb_port_info *pi = &snap->port[rx_port];
	const struct rte_icmp_hdr *ic;

	/* With a kernel interface, the port's address and its groups are the
	 * host's: SSH, BGP, health-check replies, VRRP, sync, fragments too. */
	if (pi->host && !vip && (p->daddr == pi->addr || host_group(pi, p->daddr))) {
		to_host(wk, rx_port, m);
		return;
	}
	if (!vip && snap->port[rx_port].addr != p->daddr && lb_snap_own_port(snap, p->daddr) < 0) {
		drop(wk, m, LB_DROP_ip_not_ours);
		return;
	}
	if (p->is_frag) {
		drop(wk, m, LB_DROP_ip_fragment);
		return;
	}
	if (vip && (p->proto == IPPROTO_TCP || p->proto == IPPROTO_UDP)) {
		handle_l4(wk, snap, rx_port, m, p,
				lb_snap_service(snap, p->proto, p->daddr, p->dport), f, now, out);
		return;
	}
	if (p->proto != IPPROTO_ICMP) {
		drop(wk, m, LB_DROP_ip_proto);
		return;
	}
	ic = rte_pktmbuf_mtod_offset(m, const struct rte_icmp_hdr *, p->l4_off);
	if (ic->icmp_type == RTE_IP_ICMP_ECHO_REQUEST && ic->icmp_code == 0) {
		echo_reply(wk, snap, rx_port, m, p, out);
		return;
	}
	if (vip && (ic->icmp_type == ICMP_DEST_UNREACH || ic->icmp_type == ICMP_SOURCE_QUENCH ||
			ic->icmp_type == ICMP_TIME_EXCEEDED)) {
		handle_icmp_related(wk, snap, rx_port, m, p, now, out);
		return;
	}
	drop(wk, m, LB_DROP_icmp_unsupported);
}

/* ---- IPv6 ---- */

/* Whether addr is one of the ports' IPv6 addresses (configured or link-local). */
static bool
own6(const struct lb_snap *snap, const union lb_ip *addr)
{
	uint32_t i;

	for (i = 0; i < snap->n_ports; i++)
		if ((snap->port[i].has_addr6 && lb_ip_eq(&snap->port[i].addr6, addr)) ||
				lb_ip_eq(&snap->port[i].ll6, addr))
			return true;
	return false;
}

static bool
is_dest_addr6(const union lb_ip *addr, const struct lb_snap *snap)
{
	uint32_t i, j;

	for (i = 0; i < snap->n_svcs; i++) {
		if (snap->svcs[i].af != AF_INET6)
			continue;
		for (j = 0; j < snap->svcs[i].sched.n; j++)
			if (lb_ip_eq(&lb_dests[snap->svcs[i].dest_ids[j]].addr, addr))
				return true;
	}
	return false;
}

/* A frame's length is now len (single-segment frames only: ND and echo). */
static bool
set_frame_len(struct rte_mbuf *m, uint16_t len)
{
	if (m->nb_segs != 1 || len > m->buf_len - m->data_off)
		return false;
	m->data_len = len;
	m->pkt_len = len;
	return true;
}

/*
 * A neighbour solicitation (RFC 4861 7.1.1 checked first). For a VIP, or
 * for the port's own address when no kernel interface owns it, the frame
 * becomes the advertisement in place: solicited (not for duplicate address
 * detection), override, the port's MAC as target link-layer address, as
 * Linux answers for its own addresses; to the all-nodes group for DAD.
 */
static void
handle_ns(struct lb_worker *wk, const struct lb_snap *snap, uint16_t rx_port,
		struct rte_mbuf *m, const struct lb_pkt *p, struct lb_out *out)
{
	static const uint8_t all_nodes[16] = { 0xff, 0x02, [15] = 1 };
	static const uint8_t zero[16];
	const struct lb_port_info *pi = &snap->port[rx_port];
	uint8_t *ic = rte_pktmbuf_mtod_offset(m, uint8_t *, p->l4_off);
	struct rte_ether_hdr *eh = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_ether_addr sll, to;
	uint8_t src[16], dst[16], target[16];
	union lb_ip t;
	bool dad, vip, own;
	int r;

	if (rte_pktmbuf_data_len(m) < p->l4_off + p->l4_len || p->l4_len < LB_ND_MSG_LEN) {
		drop(wk, m, LB_DROP_nd_malformed);
		return;
	}
	if (!lb_icmp6_cksum_ok(p->saddr6, p->daddr6, ic, p->l4_len)) {
		drop(wk, m, LB_DROP_icmp6_csum);
		return;
	}
	memcpy(target, ic + 8, 16);
	r = lb_nd_find_lla(ic + LB_ND_MSG_LEN, p->l4_len - LB_ND_MSG_LEN, LB_ND_OPT_SLLA, &sll);
	dad = memcmp(p->saddr6, zero, 16) == 0;
	if (p->hop_limit != LB_ND_HOP_LIMIT || p->icmp_code != 0 || target[0] == 0xff ||
			r < 0 || (dad && r > 0)) {
		drop(wk, m, LB_DROP_nd_malformed);
		return;
	}
	t = ip6_load(target);
	/* vip_arp "kernel" moves IPv4 VIPs with keepalived's VRRP: IPv6 VIPs
	 * are then the kernel's to announce, never lbd's */
	vip = snap->vip_arp && !snap->vip_arp_kernel && lb_snap_is_vip6(snap, &t);
	own = !pi->host && ((pi->has_addr6 && lb_ip_eq(&pi->addr6, &t)) ||
			lb_ip_eq(&pi->ll6, &t));
	if (!vip && !own) {
		if (pi->host)
			to_host(wk, rx_port, m);
		else
			drop(wk, m, LB_DROP_nd_not_ours);
		return;
	}
	if (dad) {
		memcpy(dst, all_nodes, 16);
		lb_ip6_mcast_mac(all_nodes, &to);
	} else {
		memcpy(dst, p->saddr6, 16);
		to = r > 0 ? sll : eh->src_addr;
	}
	memcpy(src, target, 16);
	if (!set_frame_len(m, p->l2_len + LB_ND_FRAME_L3)) {
		drop(wk, m, LB_DROP_nd_malformed);
		return;
	}
	lb_nd_fill(rte_pktmbuf_mtod_offset(m, uint8_t *, p->l2_len), LB_ND_NEIGH_ADV,
			(dad ? 0 : LB_NA_F_SOLICITED) | LB_NA_F_OVERRIDE, src, dst, target, &pi->mac);
	rte_ether_addr_copy(&to, &eh->dst_addr);
	rte_ether_addr_copy(&pi->mac, &eh->src_addr);
	wk->stats.reply++;
	emit(out, m, rx_port);
}

/* A neighbour advertisement: a real server's feeds the neighbour table. */
static void
handle_na(struct lb_worker *wk, const struct lb_snap *snap, uint16_t rx_port,
		struct rte_mbuf *m, const struct lb_pkt *p)
{
	const uint8_t *ic = rte_pktmbuf_mtod_offset(m, const uint8_t *, p->l4_off);
	struct rte_ether_addr tll;
	union lb_ip t;

	if (rte_pktmbuf_data_len(m) < p->l4_off + p->l4_len || p->l4_len < LB_ND_MSG_LEN ||
			p->hop_limit != LB_ND_HOP_LIMIT || p->icmp_code != 0 ||
			lb_nd_find_lla(ic + LB_ND_MSG_LEN, p->l4_len - LB_ND_MSG_LEN,
				LB_ND_OPT_TLLA, &tll) < 0) {
		drop(wk, m, LB_DROP_nd_malformed);
		return;
	}
	if (!lb_icmp6_cksum_ok(p->saddr6, p->daddr6, ic, p->l4_len)) {
		drop(wk, m, LB_DROP_icmp6_csum);
		return;
	}
	t = ip6_load(ic + 8);
	if (wk->to_ctl != NULL && is_dest_addr6(&t, snap)) {
		m->port = snap->port[rx_port].port_id;
		m->hash.usr = rx_port;
		if (rte_ring_sp_enqueue(wk->to_ctl, m) == 0) {
			wk->stats.to_control++;
			return;
		}
		drop(wk, m, LB_DROP_to_control_full);
		return;
	}
	if (snap->port[rx_port].host)
		to_host(wk, rx_port, m);
	else
		drop(wk, m, LB_DROP_nd_not_ours);
}

static void
echo_reply6(struct lb_worker *wk, const struct lb_snap *snap, uint16_t rx_port,
		struct rte_mbuf *m, const struct lb_pkt *p, struct lb_out *out)
{
	struct rte_ipv6_hdr *ip = ip6_of(m, p);
	uint8_t *ic = rte_pktmbuf_mtod_offset(m, uint8_t *, p->l4_off);
	uint8_t a[16];
	uint16_t c;

	if (rte_pktmbuf_data_len(m) < p->l4_off + p->l4_len) {
		drop(wk, m, LB_DROP_l4_short);	/* a request spread over segments */
		return;
	}
	if (!lb_icmp6_cksum_ok(p->saddr6, p->daddr6, ic, p->l4_len)) {
		drop(wk, m, LB_DROP_icmp6_csum);
		return;
	}
	/* Swapped addresses keep the pseudo-header's sum; type 128 -> 129
	 * adds 0x0100 to the first word, so the checksum loses it: + ~0x0100. */
	memcpy(a, ip->src_addr, 16);
	memcpy(ip->src_addr, ip->dst_addr, 16);
	memcpy(ip->dst_addr, a, 16);
	ip->hop_limits = 64;
	ic[0] = LB_ICMP6_ECHO_REPLY;
	memcpy(&c, ic + 2, 2);
	c = cksum_add(c, 0xfeff);
	memcpy(ic + 2, &c, 2);
	reply_out(wk, snap, rx_port, m, out);
}

/*
 * An ICMPv6 error about a packet VIP -> client (Packet Too Big above all,
 * how path MTU discovery reaches a DR server): to that flow's server, as
 * IPVS does. The quoted header must be the VIP's, TCP or UDP right after its
 * extension headers, and no fragment (ip_vs_in_icmp_v6 drops those).
 */
static void
handle_icmp6_related(struct lb_worker *wk, const struct lb_snap *snap, uint16_t rx_port,
		struct rte_mbuf *m, const struct lb_pkt *p, uint32_t now, struct lb_out *out)
{
	uint16_t off = p->l4_off + 8, end = p->l4_off + p->l4_len;
	const uint8_t *in;
	struct lb_conn_key6 key;
	uint16_t ports[2];
	uint8_t nh;
	unsigned int n;

	if (end > rte_pktmbuf_data_len(m))
		end = rte_pktmbuf_data_len(m);
	if (off + 40 + 4 > end) {
		drop(wk, m, LB_DROP_l4_short);
		return;
	}
	in = rte_pktmbuf_mtod_offset(m, const uint8_t *, off);
	if ((in[0] >> 4) != 6 || memcmp(in + 8, p->daddr6, 16) != 0) {
		drop(wk, m, LB_DROP_icmp_no_conn);
		return;
	}
	nh = in[6];
	off += 40;
	for (n = 0; n < LB_IP6_MAX_EXT && (nh == IPPROTO_HOPOPTS || nh == IPPROTO_ROUTING ||
				nh == IPPROTO_DSTOPTS); n++) {
		const uint8_t *e = rte_pktmbuf_mtod_offset(m, const uint8_t *, off);

		if (off + 8 > end)
			break;
		nh = e[0];
		off += (e[1] + 1) * 8;
	}
	if ((nh != IPPROTO_TCP && nh != IPPROTO_UDP) || off + 4 > end) {
		drop(wk, m, LB_DROP_icmp_no_conn);
		return;
	}
	memcpy(ports, rte_pktmbuf_mtod_offset(m, const void *, off), sizeof(ports));
	lb_conn_key6_set(&key, in + 24, in + 8, ports[1], ports[0], nh, 0);
	to_flow(wk, snap, rx_port, m, p, &key.k, now, out);
}

static void
handle_ipv6(struct lb_worker *wk, const struct lb_snap *snap, uint16_t rx_port,
		struct rte_mbuf *m, const struct lb_pkt *p, const struct flow *f,
		uint32_t now, struct lb_out *out)
{
	const struct lb_port_info *pi = &snap->port[rx_port];
	union lb_ip dst = ip6_load(p->daddr6);
	bool icmp = p->proto == IPPROTO_ICMPV6 && !p->is_frag;
	bool vip;

	/* The fast path first: a flow of a service (the parser refused ::
	 * and the other martian sources), or of the VIP's every-port one */
	if (f->hash != 0) {
		const struct lb_svc_key6 *k = lb_snap_find6(snap, p->proto, &dst, p->dport);

		if (k == NULL)
			k = lb_snap_find6(snap, p->proto, &dst, 0);
		if (k != NULL) {
			handle_l4(wk, snap, rx_port, m, p, &snap->svcs[k->idx], f, now, out);
			return;
		}
	}
	vip = lb_snap_is_vip6(snap, &dst);
	if (icmp && p->icmp_type == LB_ND_NEIGH_SOL) {
		handle_ns(wk, snap, rx_port, m, p, out);
		return;
	}
	if (icmp && p->icmp_type == LB_ND_NEIGH_ADV) {
		handle_na(wk, snap, rx_port, m, p);
		return;
	}
	/* With a kernel interface, the port's addresses and the multicast
	 * groups are the host's: BGP, SSH, router advertisements, MLD. */
	if (pi->host && !vip && (dst.v6[0] == 0xff || lb_ip_eq(&dst, &pi->ll6) ||
				(pi->has_addr6 && lb_ip_eq(&dst, &pi->addr6)))) {
		to_host(wk, rx_port, m);
		return;
	}
	if (!vip && (dst.v6[0] == 0xff || !own6(snap, &dst))) {
		drop(wk, m, LB_DROP_ip_not_ours);
		return;
	}
	if (p->is_frag) {
		drop(wk, m, LB_DROP_ip_fragment);
		return;
	}
	if (vip && (p->proto == IPPROTO_TCP || p->proto == IPPROTO_UDP)) {
		drop(wk, m, LB_DROP_no_service);	/* the fast path found none */
		return;
	}
	if (p->proto != IPPROTO_ICMPV6) {
		drop(wk, m, LB_DROP_ip_proto);
		return;
	}
	if (p->icmp_type == LB_ICMP6_ECHO_REQUEST && p->icmp_code == 0) {
		echo_reply6(wk, snap, rx_port, m, p, out);
		return;
	}
	if (vip && (p->icmp_type == LB_ICMP6_DST_UNREACH || p->icmp_type == LB_ICMP6_PKT_TOO_BIG ||
				p->icmp_type == LB_ICMP6_TIME_EXCEEDED)) {
		handle_icmp6_related(wk, snap, rx_port, m, p, now, out);
		return;
	}
	drop(wk, m, LB_DROP_icmp_unsupported);
}

void
lb_core_rx(struct lb_worker *wk, const struct lb_snap *snap, uint16_t rx_port,
		struct rte_mbuf **pkts, uint16_t n, uint32_t now, struct lb_out *out)
{
	struct lb_pkt info[LB_MAX_BURST];
	struct flow fl[LB_MAX_BURST];
	uint8_t verdict[LB_MAX_BURST];
	uint16_t i;

	wk->now = now;
	/* Pass 1: parse, hash and prefetch the index buckets. */
	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		struct lb_pkt *p = &info[i];

		wk->stats.rx++;
		wk->stats.rx_bytes += rte_pktmbuf_pkt_len(m);
		verdict[i] = (uint8_t)lb_pkt_parse(m, p);
		fl[i].hash = 0;
		if (verdict[i] == LB_PASS && p->kind != LB_PKT_ARP && !p->is_frag &&
				(p->proto == IPPROTO_TCP || p->proto == IPPROTO_UDP)) {
			fl[i].hash = lb_conn_hash(flow_key(p, &fl[i].key));
			lb_conn_prefetch(wk->ct, fl[i].hash);
		}
	}
	/* Pass 2: find each candidate entry and prefetch it (and an IPv6
	 * candidate's addresses). */
	for (i = 0; i < n; i++) {
		fl[i].cand = fl[i].hash != 0 ? lb_conn_candidate(wk->ct, fl[i].hash) : LB_CONN_NONE;
		if (unlikely(info[i].kind == LB_PKT_IPV6))
			lb_conn_prefetch_addr6(wk->ct, fl[i].cand);
	}
	/* Pass 3: decide. */
	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];

		if (verdict[i] != LB_PASS)
			drop(wk, m, verdict[i]);
		else if (info[i].kind == LB_PKT_ARP)
			handle_arp(wk, snap, rx_port, m, &info[i], out);
		else if (info[i].kind == LB_PKT_IPV6)
			handle_ipv6(wk, snap, rx_port, m, &info[i], &fl[i], now, out);
		else
			handle_ipv4(wk, snap, rx_port, m, &info[i], &fl[i], now, out);
	}
}
