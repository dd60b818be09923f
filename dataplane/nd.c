/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Neighbour discovery messages and the ICMPv6 checksum (see nd.h).
 */
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ip.h>

#include "dataplane/nd.h"

static uint32_t
pseudo_sum(const uint8_t src[16], const uint8_t dst[16], uint32_t len)
{
	/* RFC 8200 8.1: addresses, upper-layer length, next header 58 */
	uint32_t ph[2] = { rte_cpu_to_be_32(len), rte_cpu_to_be_32(IPPROTO_ICMPV6) };
	uint32_t sum = __rte_raw_cksum(src, 16, 0);

	sum = __rte_raw_cksum(dst, 16, sum);
	return __rte_raw_cksum(ph, sizeof(ph), sum);
}

uint16_t
lb_icmp6_cksum(const uint8_t src[16], const uint8_t dst[16], const void *l4, uint32_t len)
{
	uint32_t sum = __rte_raw_cksum(l4, len, pseudo_sum(src, dst, len));

	return (uint16_t)~__rte_raw_cksum_reduce(sum);
}

bool
lb_icmp6_cksum_ok(const uint8_t src[16], const uint8_t dst[16], const void *l4, uint32_t len)
{
	uint32_t sum = __rte_raw_cksum(l4, len, pseudo_sum(src, dst, len));

	return __rte_raw_cksum_reduce(sum) == 0xffff;
}

void
lb_ip6_mcast_mac(const uint8_t group[16], struct rte_ether_addr *mac)
{
	mac->addr_bytes[0] = 0x33;
	mac->addr_bytes[1] = 0x33;
	memcpy(&mac->addr_bytes[2], &group[12], 4);
}

void
lb_nd_solicited_node(const uint8_t addr[16], uint8_t group[16], struct rte_ether_addr *mac)
{
	static const uint8_t prefix[13] = { 0xff, 0x02, [11] = 0x01, [12] = 0xff };

	memcpy(group, prefix, sizeof(prefix));
	memcpy(&group[13], &addr[13], 3);
	lb_ip6_mcast_mac(group, mac);
}

uint16_t
lb_nd_fill(uint8_t *l3, uint8_t type, uint8_t flags, const uint8_t src[16],
		const uint8_t dst[16], const uint8_t target[16], const struct rte_ether_addr *mac)
{
	struct rte_ipv6_hdr *ip = (struct rte_ipv6_hdr *)l3;
	uint8_t *icmp = l3 + sizeof(*ip);
	uint16_t sum;

	ip->vtc_flow = RTE_BE32(6u << 28);
	ip->payload_len = rte_cpu_to_be_16(LB_ND_MSG_LEN + 8);
	ip->proto = IPPROTO_ICMPV6;
	ip->hop_limits = LB_ND_HOP_LIMIT;
	memcpy(ip->src_addr, src, 16);
	memcpy(ip->dst_addr, dst, 16);
	memset(icmp, 0, LB_ND_MSG_LEN + 8);
	icmp[0] = type;
	icmp[4] = type == LB_ND_NEIGH_ADV ? flags : 0;
	memcpy(icmp + 8, target, 16);
	icmp[LB_ND_MSG_LEN] = type == LB_ND_NEIGH_ADV ? LB_ND_OPT_TLLA : LB_ND_OPT_SLLA;
	icmp[LB_ND_MSG_LEN + 1] = 1;	/* in units of 8 bytes */
	memcpy(icmp + LB_ND_MSG_LEN + 2, mac->addr_bytes, RTE_ETHER_ADDR_LEN);
	sum = lb_icmp6_cksum(src, dst, icmp, LB_ND_MSG_LEN + 8);
	memcpy(icmp + 2, &sum, sizeof(sum));
	return LB_ND_FRAME_L3;
}

int
lb_nd_find_lla(const uint8_t *opts, uint32_t len, uint8_t opt, struct rte_ether_addr *mac)
{
	int found = 0;

	while (len > 0) {
		uint32_t olen;

		if (len < 2 || opts[1] == 0)
			return -1;
		olen = opts[1] * 8u;
		if (olen > len)
			return -1;
		if (opts[0] == opt && olen >= 2 + RTE_ETHER_ADDR_LEN && !found) {
			memcpy(mac->addr_bytes, opts + 2, RTE_ETHER_ADDR_LEN);
			found = 1;
		}
		opts += olen;
		len -= olen;
	}
	return found;
}
