/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IPv6 neighbour discovery (RFC 4861) and ICMPv6 (RFC 4443) as lbd needs
 * them: the layouts, the checksum, and the one builder of NS and NA messages
 * that the workers (answers for VIPs) and the control plane (solicitations
 * for real servers, announcements of VIPs) share.
 *
 * lbd speaks only the part of ND a director needs: it answers solicitations
 * for its VIPs (and its ports' own addresses when no kernel interface owns
 * them), solicits its real servers, and announces VIPs unsolicited. Router
 * discovery, redirects and MLD belong to a kernel interface when there is one.
 *
 * Any thread; no state.
 */
#ifndef LB_ND_H
#define LB_ND_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_ether.h>

#define LB_ICMP6_DST_UNREACH	1
#define LB_ICMP6_PKT_TOO_BIG	2
#define LB_ICMP6_TIME_EXCEEDED	3
#define LB_ICMP6_PARAM_PROB	4
#define LB_ICMP6_ECHO_REQUEST	128
#define LB_ICMP6_ECHO_REPLY	129
#define LB_ICMP6_MLD_QUERY	130
#define LB_ICMP6_MLD_REPORT	131
#define LB_ICMP6_MLD_DONE	132
#define LB_ND_ROUTER_SOL	133
#define LB_ND_ROUTER_ADV	134
#define LB_ND_NEIGH_SOL		135
#define LB_ND_NEIGH_ADV		136
#define LB_ND_REDIRECT		137
#define LB_ICMP6_MLD2_REPORT	143
#define LB_ICMP6_CODE_PORT_UNREACH	4

#define LB_ND_OPT_SLLA		1	/* source link-layer address */
#define LB_ND_OPT_TLLA		2	/* target link-layer address */

/* NA flags, first byte of the reserved word */
#define LB_NA_F_ROUTER		0x80
#define LB_NA_F_SOLICITED	0x40
#define LB_NA_F_OVERRIDE	0x20

#define LB_ND_HOP_LIMIT		255	/* on every ND message, sent and accepted */
#define LB_ND_MSG_LEN		24	/* type .. target: NS and NA without options */
#define LB_ND_FRAME_L3		(40 + LB_ND_MSG_LEN + 8)	/* IPv6 + NS/NA + one LLA option */
#define LB_ICMP6_ERR_QUOTE	(1280 - 40 - 8)	/* an error fits the minimum MTU */

/* The ICMPv6 checksum field value of len bytes at l4 (its own checksum 0). */
uint16_t lb_icmp6_cksum(const uint8_t src[16], const uint8_t dst[16], const void *l4,
		uint32_t len);

/* Whether len bytes at l4 carry a correct ICMPv6 checksum. */
bool lb_icmp6_cksum_ok(const uint8_t src[16], const uint8_t dst[16], const void *l4,
		uint32_t len);

/* addr's solicited-node group ff02::1:ffXX:XXXX (RFC 4291 2.7.1) and its MAC. */
void lb_nd_solicited_node(const uint8_t addr[16], uint8_t group[16],
		struct rte_ether_addr *mac);

/* An IPv6 multicast group's MAC, 33:33 and its low 32 bits (RFC 2464 7). */
void lb_ip6_mcast_mac(const uint8_t group[16], struct rte_ether_addr *mac);

/*
 * Write at l3 an IPv6 header and an NS (type LB_ND_NEIGH_SOL) or NA
 * (LB_ND_NEIGH_ADV, with flags LB_NA_F_*) about target, from src to dst, hop
 * limit 255, with one link-layer option (SLLA for an NS, TLLA for an NA)
 * holding mac; the checksum set. Returns the bytes written, LB_ND_FRAME_L3.
 */
uint16_t lb_nd_fill(uint8_t *l3, uint8_t type, uint8_t flags, const uint8_t src[16],
		const uint8_t dst[16], const uint8_t target[16], const struct rte_ether_addr *mac);

/*
 * The link-layer address option of type opt in the ND options at opts
 * (len bytes): 1 with *mac set, 0 when there is none, -1 when an option is
 * malformed (length 0, beyond the message: RFC 4861 says to drop it).
 */
int lb_nd_find_lla(const uint8_t *opts, uint32_t len, uint8_t opt, struct rte_ether_addr *mac);

#endif
