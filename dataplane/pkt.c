/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Frame parsing (see pkt.h). Each check names the drop reason it returns; the
 * order of checks is the order of the headers, so the first problem in a frame
 * is the one counted.
 *
 * IPv6: the parser walks hop-by-hop, destination options and routing headers
 * to the upper-layer header, as ipv6_find_hdr() does for IPVS, at most
 * LB_IP6_MAX_EXT of them and only within the first segment. A Fragment
 * header marks the packet a fragment (dropped at a VIP, where IPVS would
 * reassemble first) unless it is an atomic fragment (offset 0, no more
 * fragments: RFC 6946 says to process it as a whole packet). A routing header
 * with segments left names a later destination than the VIP: lbd is not
 * that router, and drops it.
 */
#include <rte_arp.h>
#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include <string.h>

#include "dataplane/pkt.h"

static unsigned int
parse_l4(const uint8_t *l4, uint16_t room, struct lb_pkt *p)
{
	const struct rte_tcp_hdr *th;
	const struct rte_udp_hdr *uh;
	unsigned int doff;

	switch (p->proto) {
	case IPPROTO_TCP:
		if (room < sizeof(*th))
			return LB_DROP_l4_short;
		th = (const struct rte_tcp_hdr *)l4;
		doff = (th->data_off >> 4) * 4u;
		if (doff < sizeof(*th) || doff > room)
			return LB_DROP_tcp_doff;
		p->sport = th->src_port;
		p->dport = th->dst_port;
		p->tcp_flags = th->tcp_flags;
		break;
	case IPPROTO_UDP:
		if (room < sizeof(*uh))
			return LB_DROP_l4_short;
		uh = (const struct rte_udp_hdr *)l4;
		p->sport = uh->src_port;
		p->dport = uh->dst_port;
		break;
	case IPPROTO_ICMP:
		if (room < sizeof(struct rte_icmp_hdr))
			return LB_DROP_l4_short;
		p->icmp_type = l4[0];
		p->icmp_code = l4[1];
		break;
	case IPPROTO_ICMPV6:
		/* type, code, checksum and the 4 bytes every message has */
		if (room < 8)
			return LB_DROP_l4_short;
		p->icmp_type = l4[0];
		p->icmp_code = l4[1];
		break;
	default:
		break;
	}
	return LB_PASS;
}

static unsigned int
parse_ipv4(const struct rte_mbuf *m, const uint8_t *data, uint16_t seg_len,
		struct lb_pkt *p)
{
	const struct rte_ipv4_hdr *ip;
	uint16_t ihl, frag, avail;

	if (seg_len < p->l2_len + sizeof(*ip))
		return LB_DROP_short_frame;
	ip = (const struct rte_ipv4_hdr *)(data + p->l2_len);
	if ((ip->version_ihl >> 4) != 4)
		return LB_DROP_ip_version;
	ihl = (ip->version_ihl & 0xf) * 4u;
	if (ihl < sizeof(*ip))
		return LB_DROP_ip_ihl;
	p->l3_len = rte_be_to_cpu_16(ip->total_length);
	if (p->l3_len < ihl)
		return LB_DROP_ip_len_short;
	if ((uint32_t)p->l2_len + p->l3_len > rte_pktmbuf_pkt_len(m))
		return LB_DROP_ip_len_trunc;
	if (ihl > sizeof(*ip))
		return LB_DROP_ip_options;
	/* A checksum the NIC already verified is not summed again. */
	if ((m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK) == RTE_MBUF_F_RX_IP_CKSUM_BAD)
		return LB_DROP_ip_csum;
	if ((m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK) != RTE_MBUF_F_RX_IP_CKSUM_GOOD &&
			rte_raw_cksum(ip, sizeof(*ip)) != 0xffff)
		return LB_DROP_ip_csum;
	/* Martian sources (RFC 1812 5.3.7): Linux drops them before IPVS sees
	 * them, and no connection may be made to one. */
	switch (rte_be_to_cpu_32(ip->src_addr) >> 24) {
	case 0:
	case 127:
	case 224 ... 255:
		return LB_DROP_ip_martian;
	}

	p->kind = LB_PKT_IPV4;
	p->proto = ip->next_proto_id;
	p->saddr = ip->src_addr;
	p->daddr = ip->dst_addr;
	p->l4_off = p->l2_len + ihl;
	p->l4_len = p->l3_len - ihl;
	frag = rte_be_to_cpu_16(ip->fragment_offset);
	p->is_frag = (frag & (RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK)) != 0;
	p->first_frag = (frag & RTE_IPV4_HDR_OFFSET_MASK) == 0;
	if (!p->first_frag)
		return LB_PASS;
	/* L4 must lie within both the IP packet and the first segment. */
	avail = seg_len - p->l4_off;
	if (avail > p->l4_len)
		avail = p->l4_len;
	return parse_l4(data + p->l4_off, avail, p);
}

static unsigned int
parse_ipv6(const struct rte_mbuf *m, const uint8_t *data, uint16_t seg_len,
		struct lb_pkt *p)
{
	const struct rte_ipv6_hdr *ip;
	uint16_t off, end, avail;
	uint64_t w[2];
	uint8_t nh;
	unsigned int n, r;

	if (seg_len < p->l2_len + sizeof(*ip))
		return LB_DROP_short_frame;
	ip = (const struct rte_ipv6_hdr *)(data + p->l2_len);
	if ((data[p->l2_len] >> 4) != 6)
		return LB_DROP_ip_version;
	p->l3_len = rte_be_to_cpu_16(ip->payload_len);
	/* 0 is a jumbogram's (RFC 2675): no link of lbd's carries one */
	if (p->l3_len == 0)
		return LB_DROP_ip_len_short;
	if (p->l3_len > UINT16_MAX - sizeof(*ip))
		return LB_DROP_ip_len_trunc;
	p->l3_len += sizeof(*ip);
	if ((uint32_t)p->l2_len + p->l3_len > rte_pktmbuf_pkt_len(m))
		return LB_DROP_ip_len_trunc;
	/* Linux drops these sources before any rule sees them (ip6_rcv_core):
	 * multicast, loopback, IPv4-mapped; the unspecified one below, where
	 * duplicate address detection may use it. Two word loads, no memcmp. */
	memcpy(w, ip->src_addr, sizeof(w));
	if (ip->src_addr[0] == 0xff ||
			(w[0] == 0 && (w[1] == RTE_BE64(1) ||
				       (w[1] & RTE_BE64(0xffffffff00000000ull)) ==
				       RTE_BE64(0x0000ffff00000000ull))))
		return LB_DROP_ip_martian;
	p->kind = LB_PKT_IPV6;
	/* saddr and daddr stay 0: every IPv6 path reads the addresses */
	p->saddr6 = ip->src_addr;
	p->daddr6 = ip->dst_addr;
	p->hop_limit = ip->hop_limits;

	/* extension headers: within the packet and the first segment */
	end = p->l2_len + p->l3_len;
	if (end > seg_len)
		end = seg_len;
	off = p->l2_len + sizeof(*ip);
	nh = ip->proto;
	for (n = 0;; n++) {
		const uint8_t *h = data + off;
		uint16_t len;

		if (nh != IPPROTO_HOPOPTS && nh != IPPROTO_ROUTING && nh != IPPROTO_DSTOPTS &&
				nh != IPPROTO_FRAGMENT)
			break;
		/* hop-by-hop only first (RFC 8200 4.1); a bounded walk */
		if ((nh == IPPROTO_HOPOPTS && n != 0) || n == LB_IP6_MAX_EXT)
			return LB_DROP_ip6_ext_order;
		if (off + 8 > end)
			return LB_DROP_ip6_ext_short;
		len = nh == IPPROTO_FRAGMENT ? 8 : (uint16_t)((h[1] + 1) * 8);
		if (off + len > end)
			return LB_DROP_ip6_ext_short;
		if (nh == IPPROTO_ROUTING && h[3] != 0)
			return LB_DROP_ip6_routing;
		if (nh == IPPROTO_FRAGMENT) {
			uint16_t fo = (uint16_t)(h[2] << 8 | h[3]);

			/* an atomic fragment is a whole packet (RFC 6946) */
			if ((fo & 0xfff9) != 0) {
				p->is_frag = 1;
				p->first_frag = (fo & 0xfff8) == 0;
			}
		}
		nh = h[0];
		off += len;
	}
	p->proto = nh;
	p->l4_off = off;
	p->l4_len = p->l2_len + p->l3_len - off;
	if (p->is_frag && !p->first_frag)
		return LB_PASS;
	avail = end - off;
	r = parse_l4(data + off, avail, p);
	/* only a node checking its address for duplicates speaks from :: */
	if (r == LB_PASS && (w[0] | w[1]) == 0 &&
			!(nh == IPPROTO_ICMPV6 && p->icmp_type == 135 /* NS */))
		return LB_DROP_ip_martian;
	return r;
}

unsigned int
lb_pkt_parse(const struct rte_mbuf *m, struct lb_pkt *p)
{
	const uint8_t *data = rte_pktmbuf_mtod(m, const uint8_t *);
	uint16_t seg_len = rte_pktmbuf_data_len(m);
	const struct rte_ether_hdr *eh;
	const struct rte_vlan_hdr *vh;
	uint16_t type;

	*p = (struct lb_pkt){ 0 };
	if (seg_len < sizeof(*eh))
		return LB_DROP_short_frame;
	eh = (const struct rte_ether_hdr *)data;
	type = eh->ether_type;
	p->l2_len = sizeof(*eh);
	if (type == RTE_BE16(RTE_ETHER_TYPE_VLAN)) {
		if (seg_len < sizeof(*eh) + sizeof(*vh))
			return LB_DROP_short_frame;
		vh = (const struct rte_vlan_hdr *)(eh + 1);
		type = vh->eth_proto;
		p->l2_len += sizeof(*vh);
		if (type == RTE_BE16(RTE_ETHER_TYPE_VLAN) ||
				type == RTE_BE16(RTE_ETHER_TYPE_QINQ))
			return LB_DROP_vlan_nested;
	} else if (type == RTE_BE16(RTE_ETHER_TYPE_QINQ)) {
		return LB_DROP_vlan_nested;
	}

	if (type == RTE_BE16(RTE_ETHER_TYPE_IPV4))
		return parse_ipv4(m, data, seg_len, p);
	if (type == RTE_BE16(RTE_ETHER_TYPE_IPV6))
		return parse_ipv6(m, data, seg_len, p);
	if (type == RTE_BE16(RTE_ETHER_TYPE_ARP)) {
		const struct rte_arp_hdr *ah;

		if (seg_len < p->l2_len + sizeof(*ah))
			return LB_DROP_short_frame;
		ah = (const struct rte_arp_hdr *)(data + p->l2_len);
		if (ah->arp_hardware != RTE_BE16(RTE_ARP_HRD_ETHER) ||
				ah->arp_protocol != RTE_BE16(RTE_ETHER_TYPE_IPV4) ||
				ah->arp_hlen != RTE_ETHER_ADDR_LEN || ah->arp_plen != 4)
			return LB_DROP_arp_malformed;
		p->kind = LB_PKT_ARP;
		p->saddr = ah->arp_data.arp_sip;
		p->daddr = ah->arp_data.arp_tip;
		return LB_PASS;
	}
	return LB_DROP_ethertype;
}
