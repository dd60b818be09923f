/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Counters: the one list of drop reasons, and the per-core, per-service and
 * per-real-server counters.
 *
 * Every counter has exactly one writer, the worker that owns it, which updates
 * it with a plain store (no atomic read-modify-write, no shared cache line);
 * readers on other threads sum the copies of all workers. 64-bit loads and
 * stores are single instructions on the 64-bit targets DPDK supports, so a
 * reader never sees a torn value, only one that is a few packets old.
 *
 * Each received frame ends in exactly one outcome: forwarded, replied (turned
 * into an ARP or echo reply in place), handed to the control plane or to the
 * kernel interface, or dropped under one reason below. So rx = fwd + reply +
 * to_control + to_host + sum(drops), which tests assert. Packets lbd originates (ICMP errors, ARP requests) are counted
 * apart, under "sent".
 */
#ifndef LB_COUNTERS_H
#define LB_COUNTERS_H

#include <stdint.h>

#include <rte_common.h>

/* X(name, description): the drop reasons, in the order they are shown. */
#define LB_DROP_REASONS(X) \
	X(short_frame, "frame shorter than its headers") \
	X(vlan_nested, "more than one 802.1Q tag") \
	X(ethertype, "neither IPv4, IPv6 nor ARP") \
	X(arp_malformed, "ARP that is not Ethernet/IPv4") \
	X(arp_not_ours, "ARP request for an address that is not ours") \
	X(ip_version, "IP version is not the ethertype's (4 or 6)") \
	X(ip_ihl, "IPv4 header length below 5 words") \
	X(ip_options, "IPv4 options") \
	X(ip_len_short, "IPv4 total length below the header; IPv6 payload length 0") \
	X(ip_len_trunc, "IP length beyond the frame") \
	X(ip_csum, "bad IPv4 header checksum") \
	X(ip_martian, "source a router would drop: 0/8, 127/8, multicast, 240/4;" \
			" IPv6 multicast, loopback, IPv4-mapped, unspecified") \
	X(ip6_ext_short, "IPv6 extension header beyond the packet or its first segment") \
	X(ip6_ext_order, "hop-by-hop options not first, or over 8 IPv6 extension headers") \
	X(ip6_routing, "IPv6 routing header with segments left (lbd is not that router)") \
	X(ip_not_ours, "destination is neither a VIP nor a port address") \
	X(ip_fragment, "fragment to a VIP") \
	X(ip_proto, "protocol lbd does not serve at this address") \
	X(l4_short, "TCP/UDP/ICMP/ICMPv6 header beyond the packet") \
	X(tcp_doff, "TCP data offset below 5 words or beyond the packet") \
	X(no_service, "no service on this VIP port") \
	X(tcp_no_conn, "TCP segment without SYN and no connection") \
	X(no_dest, "no real server available (ICMP unreachable sent)") \
	X(dest_removed, "connection's real server was deleted") \
	X(dest_unresolved, "real server's MAC not resolved yet") \
	X(conn_full, "connection table full") \
	X(drop_packet, "new connection dropped by the drop_packet defence") \
	X(ttl_exceeded, "TTL (IPv6: hop limit) would reach 0 (ICMP time exceeded sent)") \
	X(frag_needed, "DF packet over the egress MTU (ICMP sent)") \
	X(pkt_too_big, "IPv6 packet over the egress MTU (ICMPv6 packet too big sent)") \
	X(icmp_unsupported, "ICMP type lbd does not answer") \
	X(icmp_no_conn, "ICMP error for no known connection") \
	X(icmp6_csum, "bad ICMPv6 checksum (neighbour discovery, echo)") \
	X(nd_malformed, "neighbour discovery: hop limit not 255, bad code, length or option") \
	X(nd_not_ours, "neighbour solicitation for an address that is not ours") \
	X(to_control_full, "control ring full") \
	X(host_full, "ring to the port's kernel interface full")

enum lb_drop {
#define LB_X_ENUM(name, desc) LB_DROP_##name,
	LB_DROP_REASONS(LB_X_ENUM)
#undef LB_X_ENUM
	LB_DROP_COUNT,
};

extern const char *const lb_drop_name[LB_DROP_COUNT];
extern const char *const lb_drop_desc[LB_DROP_COUNT];

/* One worker's own counters. */
struct lb_core_stats {
	uint64_t rx;		/* frames received */
	uint64_t rx_bytes;
	uint64_t fwd;		/* DR-forwarded to a real server */
	uint64_t reply;		/* turned into an ARP or ICMP echo reply */
	uint64_t to_control;	/* handed to the control plane (ARP for neighbours) */
	uint64_t to_host;	/* handed to the port's kernel interface */
	uint64_t drop[LB_DROP_COUNT];
	/* originated by lbd, not received */
	uint64_t sent_icmp;	/* ICMP errors sent (unreachable, frag needed, time exceeded) */
	uint64_t sent_icmp_limited;	/* ICMP errors not sent: over the rate limit */
	uint64_t sent_control;	/* packets sent for the control plane (ARP requests) */
	uint64_t tx;		/* frames handed to the driver */
	uint64_t tx_dropped;	/* frames the driver refused (TX queue full) */
	uint64_t conn_created;
	uint64_t conn_expired;
	uint64_t conn_reused;
	uint64_t conn_evicted;	/* half-open entries drop_entry freed */
	uint64_t fwd_stateless;	/* of fwd: mh services' packets sent without an entry */
	/* the longest loop iteration (TSC cycles) since the last reset: how long
	 * the worker went without polling its queues */
	uint64_t loop_max_tsc;
} __rte_cache_aligned;

/* Per service and per real server, per worker: what ipvsadm --stats shows. */
struct lb_traffic_stats {
	uint64_t conns;
	uint64_t inpkts;
	uint64_t inbytes;
};

/* A real server's connections as one worker sees them. */
struct lb_dest_count {
	uint32_t active;
	uint32_t inactive;
	uint32_t persist;	/* persistence templates pointing at it */
	uint32_t _pad;
};

#endif
