/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Connection states and the IPVS input-only transition tables.
 *
 * A DR director sees only the client-to-server half of a TCP conversation, so it
 * runs IPVS's INPUT-ONLY rows: the event is the most important flag of the segment
 * (RST > SYN > FIN > ACK, none of them = "no flag") and the next state is a plain
 * table lookup. The tables are data, in tcp_state.c, so that the dataplane, the
 * unit tests and the diagram generator (tests/gen_tcp_states.c) all read the same
 * bytes. Plain C: no DPDK, usable from any thread.
 */
#ifndef LB_TCP_STATE_H
#define LB_TCP_STATE_H

#include <stdint.h>

/* The order and the numbers are IPVS's (ip_vs_proto_tcp.c), UDP is ours. */
enum lb_conn_state {
	LB_S_NONE = 0,
	LB_S_ESTABLISHED,
	LB_S_SYN_SENT,
	LB_S_SYN_RECV,
	LB_S_FIN_WAIT,
	LB_S_TIME_WAIT,
	LB_S_CLOSE,
	LB_S_CLOSE_WAIT,
	LB_S_LAST_ACK,
	LB_S_LISTEN,
	LB_S_SYNACK,
	LB_S_TCP_COUNT,		/* number of TCP states */
	LB_S_UDP = LB_S_TCP_COUNT,	/* the one UDP state */
	LB_S_COUNT,
};

enum lb_tcp_event {
	LB_EV_SYN = 0,
	LB_EV_FIN,
	LB_EV_ACK,
	LB_EV_RST,
	LB_EV_NOFLAG,
	LB_EV_COUNT,
};

enum lb_tcp_table {
	LB_TCP_TABLE_NORMAL = 0,
	LB_TCP_TABLE_SECURE,	/* IPVS secure_tcp: SYN-flood hardened */
	LB_TCP_TABLE_COUNT,
};

/* [table][state][event] -> next state. */
extern const uint8_t lb_tcp_trans[LB_TCP_TABLE_COUNT][LB_S_TCP_COUNT][LB_EV_COUNT];

/* Default timeouts in seconds, per state (IPVS's), UDP last. */
extern const uint32_t lb_state_timeout_default[LB_S_COUNT];

/* Printed name as ipvsadm -lnc shows it ("ESTABLISHED"), and config key ("established"). */
const char *lb_state_name(unsigned int state);
const char *lb_state_key(unsigned int state);
const char *lb_event_name(unsigned int ev);

/* Whether entries in this state count as ActiveConn (else InActConn). */
static inline int
lb_state_is_active(unsigned int state)
{
	return state == LB_S_ESTABLISHED || state == LB_S_SYN_SENT ||
		state == LB_S_SYN_RECV || state == LB_S_SYNACK;
}

/* TCP flag byte (th->tcp_flags) -> event, by IPVS precedence RST > SYN > FIN > ACK. */
static inline enum lb_tcp_event
lb_tcp_event_of(uint8_t flags)
{
	if (flags & 0x04)
		return LB_EV_RST;
	if (flags & 0x02)
		return LB_EV_SYN;
	if (flags & 0x01)
		return LB_EV_FIN;
	if (flags & 0x10)
		return LB_EV_ACK;
	return LB_EV_NOFLAG;
}

#endif
