/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The transition tables against IPVS's, written here by name exactly as the
 * reference lists them (current state \ event: SYN FIN ACK RST none), so a slip
 * in the numeric table of tcp_state.c cannot hide behind the same slip here.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "dataplane/tcp_state.h"

static const char *const normal[LB_S_TCP_COUNT][6] = {
	{ "NONE", "SYN_RECV", "CLOSE", "ESTABLISHED", "CLOSE", "CLOSE" },
	{ "ESTABLISHED", "ESTABLISHED", "FIN_WAIT", "ESTABLISHED", "CLOSE", "CLOSE" },
	{ "SYN_SENT", "ESTABLISHED", "SYN_SENT", "SYN_SENT", "CLOSE", "CLOSE" },
	{ "SYN_RECV", "SYN_RECV", "TIME_WAIT", "ESTABLISHED", "SYN_RECV", "CLOSE" },
	{ "FIN_WAIT", "SYN_RECV", "FIN_WAIT", "FIN_WAIT", "CLOSE", "CLOSE" },
	{ "TIME_WAIT", "SYN_RECV", "TIME_WAIT", "TIME_WAIT", "CLOSE", "CLOSE" },
	{ "CLOSE", "SYN_RECV", "CLOSE", "CLOSE", "CLOSE", "CLOSE" },
	{ "CLOSE_WAIT", "SYN_RECV", "CLOSE_WAIT", "CLOSE_WAIT", "CLOSE", "CLOSE" },
	{ "LAST_ACK", "SYN_RECV", "LAST_ACK", "CLOSE", "LAST_ACK", "CLOSE" },
	{ "LISTEN", "SYN_RECV", "LISTEN", "LISTEN", "LISTEN", "CLOSE" },
	{ "SYNACK", "SYN_RECV", "TIME_WAIT", "ESTABLISHED", "CLOSE", "CLOSE" },
};

/* secure_tcp: only the SYN column differs. */
static const char *const secure_syn[LB_S_TCP_COUNT][2] = {
	{ "NONE", "SYNACK" },
	{ "ESTABLISHED", "ESTABLISHED" },
	{ "SYN_SENT", "ESTABLISHED" },
	{ "SYN_RECV", "SYN_RECV" },
	{ "FIN_WAIT", "SYNACK" },
	{ "TIME_WAIT", "SYNACK" },
	{ "CLOSE", "SYNACK" },
	{ "CLOSE_WAIT", "SYNACK" },
	{ "LAST_ACK", "SYNACK" },
	{ "LISTEN", "SYNACK" },
	{ "SYNACK", "SYNACK" },
};

static unsigned int
state_by_name(const char *name)
{
	unsigned int s;

	for (s = 0; s < LB_S_COUNT; s++)
		if (strcmp(lb_state_name(s), name) == 0)
			return s;
	fail_msg("unknown state %s", name);
	return 0;
}

static void
test_normal_table(void **ctx)
{
	unsigned int row, ev, checked = 0;

	for (row = 0; row < LB_S_TCP_COUNT; row++) {
		unsigned int s = state_by_name(normal[row][0]);

		for (ev = 0; ev < LB_EV_COUNT; ev++) {
			const char *got = lb_state_name(lb_tcp_trans[LB_TCP_TABLE_NORMAL][s][ev]);

			if (strcmp(got, normal[row][ev + 1]) != 0)
				fail_msg("%s --%s--> %s, expected %s", normal[row][0],
						lb_event_name(ev), got, normal[row][ev + 1]);
			checked++;
		}
	}
	assert_int_equal(checked, 55);
}

static void
test_secure_table(void **ctx)
{
	unsigned int row, ev, checked = 0;

	for (row = 0; row < LB_S_TCP_COUNT; row++) {
		unsigned int s = state_by_name(normal[row][0]);

		for (ev = 0; ev < LB_EV_COUNT; ev++) {
			const char *want = ev == LB_EV_SYN ? secure_syn[s][1] : normal[row][ev + 1];
			const char *got = lb_state_name(lb_tcp_trans[LB_TCP_TABLE_SECURE][s][ev]);

			assert_string_equal(secure_syn[s][0], normal[row][0]);
			if (strcmp(got, want) != 0)
				fail_msg("secure: %s --%s--> %s, expected %s", normal[row][0],
						lb_event_name(ev), got, want);
			checked++;
		}
	}
	assert_int_equal(checked, 55);
}

static void
test_flag_precedence(void **ctx)
{
	const uint8_t FIN = 0x01, SYN = 0x02, RST = 0x04, PSH = 0x08, ACK = 0x10, URG = 0x20;

	assert_int_equal(lb_tcp_event_of(SYN), LB_EV_SYN);
	assert_int_equal(lb_tcp_event_of(SYN | ACK), LB_EV_SYN);
	assert_int_equal(lb_tcp_event_of(FIN | ACK), LB_EV_FIN);
	assert_int_equal(lb_tcp_event_of(RST | ACK), LB_EV_RST);
	assert_int_equal(lb_tcp_event_of(RST | SYN | FIN | ACK), LB_EV_RST);
	assert_int_equal(lb_tcp_event_of(SYN | FIN), LB_EV_SYN);
	assert_int_equal(lb_tcp_event_of(ACK | PSH), LB_EV_ACK);
	assert_int_equal(lb_tcp_event_of(0), LB_EV_NOFLAG);
	assert_int_equal(lb_tcp_event_of(PSH | URG), LB_EV_NOFLAG);
}

static void
test_timeouts_and_classes(void **ctx)
{
	static const struct { const char *name; uint32_t timeout; int active; } ref[] = {
		{ "NONE", 2, 0 }, { "ESTABLISHED", 900, 1 }, { "SYN_SENT", 120, 1 },
		{ "SYN_RECV", 60, 1 }, { "FIN_WAIT", 120, 0 }, { "TIME_WAIT", 120, 0 },
		{ "CLOSE", 10, 0 }, { "CLOSE_WAIT", 60, 0 }, { "LAST_ACK", 30, 0 },
		{ "LISTEN", 120, 0 }, { "SYNACK", 120, 1 }, { "UDP", 300, 0 },
	};
	unsigned int i;

	for (i = 0; i < sizeof(ref) / sizeof(ref[0]); i++) {
		unsigned int s = state_by_name(ref[i].name);

		assert_int_equal(s, i);		/* IPVS's numbering */
		assert_int_equal(lb_state_timeout_default[s], ref[i].timeout);
		assert_int_equal(lb_state_is_active(s), ref[i].active);
	}
	assert_string_equal(lb_state_key(LB_S_SYN_RECV), "syn_recv");
	assert_null(lb_state_key(LB_S_COUNT));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_normal_table),
		cmocka_unit_test(test_secure_table),
		cmocka_unit_test(test_flag_precedence),
		cmocka_unit_test(test_timeouts_and_classes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
