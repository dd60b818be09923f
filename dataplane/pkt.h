/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Parsing and validating received frames.
 *
 * lb_pkt_parse() reads Ethernet (untagged or one 802.1Q tag), then ARP, IPv4
 * or IPv6 (with its extension headers) and the TCP/UDP/ICMP/ICMPv6 header, and fills struct lb_pkt with what the
 * rest of the packet core needs, so nothing downstream parses again. It never
 * reads past the frame: every header is checked against the first segment's
 * data length before it is read (lbd's pools hold whole frames in one segment;
 * a frame whose headers spill into a second segment is "short"). Whether the
 * destination is ours and whether fragments are allowed is decided later, by
 * the caller, which knows the VIPs.
 *
 * Worker threads; no state.
 */
#ifndef LB_PKT_H
#define LB_PKT_H

#include <stdint.h>

#include <rte_mbuf.h>

#include "dataplane/counters.h"

#define LB_PASS LB_DROP_COUNT
#define LB_IP6_MAX_EXT	8	/* extension headers walked before the upper layer */	/* "no drop": parse functions return a reason or this */

enum lb_pkt_kind {
	LB_PKT_ARP = 1,
	LB_PKT_IPV4,
	LB_PKT_IPV6,
};

struct lb_pkt {
	uint8_t kind;		/* enum lb_pkt_kind */
	uint8_t proto;		/* IPv4 protocol; IPv6: the upper-layer header's */
	uint8_t tcp_flags;
	uint8_t is_frag;	/* MF set or fragment offset != 0; IPv6: a Fragment header */
	uint8_t first_frag;	/* fragment offset == 0 (L4 header present) */
	uint16_t l2_len;	/* 14 or 18 */
	uint16_t l3_len;	/* IPv4 total length; IPv6: 40 + payload length */
	uint16_t l4_off;	/* from the start of the frame */
	uint16_t l4_len;	/* l3_len - IP header (IPv6: extension headers too) */
	uint32_t saddr;		/* network order */
	uint32_t daddr;
	uint16_t sport;		/* network order; ICMP: 0 */
	uint16_t dport;
	/* IPv6 (saddr and daddr are then 0): the addresses in the frame
	 * (unaligned: read with memcpy) */
	const uint8_t *saddr6;
	const uint8_t *daddr6;
	uint8_t hop_limit;
	uint8_t icmp_type;	/* ICMP, ICMPv6: type and code */
	uint8_t icmp_code;
};

/*
 * Parse m. Returns LB_PASS and fills p, or the drop reason. For IPv4 the L4
 * header is validated (present, TCP data offset sane) unless the packet is a
 * non-first fragment.
 */
unsigned int lb_pkt_parse(const struct rte_mbuf *m, struct lb_pkt *p);

#endif
