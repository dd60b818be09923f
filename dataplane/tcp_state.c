/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The IPVS input-only TCP state tables as data (see tcp_state.h).
 * Rows are the current state, columns the event; both tables are written out in
 * full rather than derived, so each row can be read against IPVS's table.
 */
#include <stddef.h>

#include "dataplane/tcp_state.h"

#define sNO LB_S_NONE
#define sES LB_S_ESTABLISHED
#define sSS LB_S_SYN_SENT
#define sSR LB_S_SYN_RECV
#define sFW LB_S_FIN_WAIT
#define sTW LB_S_TIME_WAIT
#define sCL LB_S_CLOSE
#define sCW LB_S_CLOSE_WAIT
#define sLA LB_S_LAST_ACK
#define sLI LB_S_LISTEN
#define sSA LB_S_SYNACK

const uint8_t lb_tcp_trans[LB_TCP_TABLE_COUNT][LB_S_TCP_COUNT][LB_EV_COUNT] = {
	[LB_TCP_TABLE_NORMAL] = {
		/*              syn  fin  ack  rst  none */
		[sNO] = { sSR, sCL, sES, sCL, sCL },
		[sES] = { sES, sFW, sES, sCL, sCL },
		[sSS] = { sES, sSS, sSS, sCL, sCL },
		[sSR] = { sSR, sTW, sES, sSR, sCL },
		[sFW] = { sSR, sFW, sFW, sCL, sCL },
		[sTW] = { sSR, sTW, sTW, sCL, sCL },
		[sCL] = { sSR, sCL, sCL, sCL, sCL },
		[sCW] = { sSR, sCW, sCW, sCL, sCL },
		[sLA] = { sSR, sLA, sCL, sLA, sCL },
		[sLI] = { sSR, sLI, sLI, sLI, sCL },
		[sSA] = { sSR, sTW, sES, sCL, sCL },
	},
	[LB_TCP_TABLE_SECURE] = {
		/*              syn  fin  ack  rst  none */
		[sNO] = { sSA, sCL, sES, sCL, sCL },
		[sES] = { sES, sFW, sES, sCL, sCL },
		[sSS] = { sES, sSS, sSS, sCL, sCL },
		[sSR] = { sSR, sTW, sES, sSR, sCL },
		[sFW] = { sSA, sFW, sFW, sCL, sCL },
		[sTW] = { sSA, sTW, sTW, sCL, sCL },
		[sCL] = { sSA, sCL, sCL, sCL, sCL },
		[sCW] = { sSA, sCW, sCW, sCL, sCL },
		[sLA] = { sSA, sLA, sCL, sLA, sCL },
		[sLI] = { sSA, sLI, sLI, sLI, sCL },
		[sSA] = { sSA, sTW, sES, sCL, sCL },
	},
};

const uint32_t lb_state_timeout_default[LB_S_COUNT] = {
	[sNO] = 2, [sES] = 900, [sSS] = 120, [sSR] = 60, [sFW] = 120, [sTW] = 120,
	[sCL] = 10, [sCW] = 60, [sLA] = 30, [sLI] = 120, [sSA] = 120,
	[LB_S_UDP] = 300,
};

static const char *const state_names[LB_S_COUNT] = {
	"NONE", "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT", "TIME_WAIT",
	"CLOSE", "CLOSE_WAIT", "LAST_ACK", "LISTEN", "SYNACK", "UDP",
};

static const char *const state_keys[LB_S_COUNT] = {
	"none", "established", "syn_sent", "syn_recv", "fin_wait", "time_wait",
	"close", "close_wait", "last_ack", "listen", "synack", "udp",
};

static const char *const event_names[LB_EV_COUNT] = {
	"syn", "fin", "ack", "rst", "none",
};

const char *
lb_state_name(unsigned int state)
{
	return state < LB_S_COUNT ? state_names[state] : "ERR!";
}

const char *
lb_state_key(unsigned int state)
{
	return state < LB_S_COUNT ? state_keys[state] : NULL;
}

const char *
lb_event_name(unsigned int ev)
{
	return ev < LB_EV_COUNT ? event_names[ev] : NULL;
}
