/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The schedulers against IPVS's behaviour, with expectations worked out by
 * hand: wrr sequences written out letter by letter, lc-family picks from
 * counts whose ratios are computed in the comments, sh bucket counts from the
 * fill rule, and for mh the two properties that make Maglev worth having (a
 * quiesced server moves only its own clients; slots follow weights).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include "dataplane/sched.h"

#define MAX_DESTS	16
#define A		0
#define B		1
#define C		2

static uint32_t rng_state;

static uint32_t
rng(void)
{
	/* xorshift32: the same clients on every run. */
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 17;
	rng_state ^= rng_state << 5;
	return rng_state;
}

static void
set_dests(struct lb_sched_dest *d, const uint32_t *weights, uint32_t n)
{
	uint32_t i;

	memset(d, 0, n * sizeof(*d));
	for (i = 0; i < n; i++) {
		d[i].addr = htonl(0x0a000001 + i);
		d[i].port = htons(80);
		d[i].weight = weights[i];
		d[i].last_weight = weights[i];
	}
}

static void
build(struct lb_sched_svc *svc, enum lb_sched_kind kind, uint32_t flags,
		struct lb_sched_dest *d, uint32_t n)
{
	memset(svc, 0, sizeof(*svc));
	svc->kind = kind;
	svc->flags = flags;
	svc->n = n;
	svc->dest = d;
	assert_int_equal(lb_sched_build(svc), 0);
}

static void
expect_sequence(const struct lb_sched_svc *svc, struct lb_sched_state *st,
		const int *seq, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		assert_int_equal(lb_sched_pick(svc, st, NULL, 0, 0), seq[i]);
}

static void
test_names(void **ctx)
{
	static const char *const names[] = {
		"rr", "wrr", "lc", "wlc", "sed", "nq", "sh", "mh",
	};
	int k;

	for (k = 0; k < LB_SCHED_COUNT; k++) {
		assert_int_equal(lb_sched_from_name(names[k]), k);
		assert_string_equal(lb_sched_name(k), names[k]);
	}
	assert_int_equal(lb_sched_from_name("WLC"), -1);
	assert_int_equal(lb_sched_from_name(""), -1);
	assert_int_equal(lb_sched_from_name("dh"), -1);
	assert_int_equal(lb_sched_from_name(NULL), -1);
	assert_null(lb_sched_name(LB_SCHED_COUNT));

	assert_int_equal(lb_sched_flag_from_name(LB_SCHED_SH, "sh-fallback"), LB_SCHED_F_FALLBACK);
	assert_int_equal(lb_sched_flag_from_name(LB_SCHED_SH, "sh-port"), LB_SCHED_F_PORT);
	assert_int_equal(lb_sched_flag_from_name(LB_SCHED_MH, "mh-fallback"), LB_SCHED_F_FALLBACK);
	assert_int_equal(lb_sched_flag_from_name(LB_SCHED_MH, "mh-port"), LB_SCHED_F_PORT);
	assert_int_equal(lb_sched_flag_from_name(LB_SCHED_SH, "mh-port"), -1);
	assert_int_equal(lb_sched_flag_from_name(LB_SCHED_MH, "sh-fallback"), -1);
	assert_int_equal(lb_sched_flag_from_name(LB_SCHED_RR, "sh-port"), -1);
	assert_int_equal(lb_sched_flag_from_name(LB_SCHED_WLC, "mh-fallback"), -1);
	assert_int_equal(lb_sched_flag_from_name(LB_SCHED_SH, "sh-pers"), -1);
	assert_int_equal(lb_sched_flag_from_name(LB_SCHED_SH, "sh-"), -1);
	assert_int_equal(lb_sched_flag_from_name(LB_SCHED_SH, NULL), -1);
}

static void
test_build(void **ctx)
{
	static const uint32_t w[] = { 4, 0, 6 };
	struct lb_sched_dest d[3], *many;
	struct lb_sched_svc svc;
	struct lb_sched_state st = { 0 };
	int k;

	set_dests(d, w, 3);
	build(&svc, LB_SCHED_WRR, 0, d, 3);
	assert_int_equal(svc.wrr_gcd, 2);
	assert_int_equal(svc.wrr_max, 6);
	assert_null(svc.table);

	build(&svc, LB_SCHED_SH, 0, d, 3);
	assert_non_null(svc.table);
	assert_int_equal(svc.table_size, LB_SH_TABLE_SIZE);
	lb_sched_free(&svc);
	assert_null(svc.table);
	assert_int_equal(svc.table_size, 0);

	build(&svc, LB_SCHED_MH, 0, d, 3);
	assert_non_null(svc.table);
	assert_int_equal(svc.table_size, LB_MH_TABLE_SIZE);
	lb_sched_free(&svc);
	assert_null(svc.table);

	/* No server: builds, and nothing is ever picked. */
	for (k = 0; k < LB_SCHED_COUNT; k++) {
		build(&svc, k, 0, NULL, 0);
		assert_int_equal(lb_sched_pick(&svc, &st, NULL, htonl(0xc0000201), 0), -1);
		lb_sched_free(&svc);
	}

	memset(&svc, 0, sizeof(svc));
	svc.kind = LB_SCHED_COUNT;
	svc.n = 3;
	svc.dest = d;
	assert_int_equal(lb_sched_build(&svc), -EINVAL);
	svc.kind = LB_SCHED_WLC;
	svc.dest = NULL;
	assert_int_equal(lb_sched_build(&svc), -EINVAL);
	svc.dest = d;
	svc.flags = 0x4;
	assert_int_equal(lb_sched_build(&svc), -EINVAL);
	svc.flags = 0;
	d[1].weight = (uint32_t)INT32_MAX + 1;
	assert_int_equal(lb_sched_build(&svc), -EINVAL);
	d[1].weight = INT32_MAX;
	assert_int_equal(lb_sched_build(&svc), 0);

	/* IPVS refuses more mh servers than table slots. */
	many = calloc(LB_MH_TABLE_SIZE + 1, sizeof(*many));
	assert_non_null(many);
	memset(&svc, 0, sizeof(svc));
	svc.kind = LB_SCHED_MH;
	svc.n = LB_MH_TABLE_SIZE + 1;
	svc.dest = many;
	assert_int_equal(lb_sched_build(&svc), -EINVAL);
	free(many);
}

static void
test_rr(void **ctx)
{
	static const uint32_t w[] = { 1, 5, 1 };
	static const int all[] = { A, B, C, A, B, C, A };
	static const int no_b[] = { C, A, C, A };
	static const int no_a[] = { B, C, B, C };
	struct lb_sched_dest d[3];
	struct lb_sched_svc svc;
	struct lb_sched_state st = { 0 };

	set_dests(d, w, 3);
	build(&svc, LB_SCHED_RR, 0, d, 3);
	/* rr ignores the size of weights. */
	expect_sequence(&svc, &st, all, 7);

	/* Last pick was A: B is quiesced, so C, then A again. */
	d[B].weight = 0;
	expect_sequence(&svc, &st, no_b, 4);

	d[B].weight = 5;
	d[A].flags = LB_SDEST_F_OVERLOAD;
	expect_sequence(&svc, &st, no_a, 4);
}

static void
test_wrr_432(void **ctx)
{
	static const uint32_t w[] = { 4, 3, 2 };
	static const int seq[] = {
		A, A, B, A, B, C, A, B, C,
		A, A, B, A, B, C, A, B, C,
	};
	struct lb_sched_dest d[3];
	struct lb_sched_svc svc;
	struct lb_sched_state st = { 0 };

	set_dests(d, w, 3);
	build(&svc, LB_SCHED_WRR, 0, d, 3);
	expect_sequence(&svc, &st, seq, 18);
}

static void
test_wrr_511(void **ctx)
{
	static const uint32_t w[] = { 5, 1, 1 };
	static const int seq[] = {
		A, A, A, A, A, B, C,
		A, A, A, A, A, B, C,
	};
	struct lb_sched_dest d[3];
	struct lb_sched_svc svc;
	struct lb_sched_state st = { 0 };

	set_dests(d, w, 3);
	build(&svc, LB_SCHED_WRR, 0, d, 3);
	expect_sequence(&svc, &st, seq, 14);
}

static void
test_wrr_gcd_and_skips(void **ctx)
{
	/* gcd 2: the same as weights 2, 1 (the zero one never counts). */
	static const uint32_t w[] = { 4, 0, 2 };
	static const int seq[] = { A, A, C, A, A, C };
	/* The heaviest overloaded: B and C interleave as weights 3, 2 would. */
	static const uint32_t w2[] = { 4, 3, 2 };
	static const int seq2[] = { B, B, C, B, C, B, B, C, B, C };
	/* A far heavier and overloaded: nine passes in a row pick nothing, and
	 * B must still come out of every call. */
	static const uint32_t w3[] = { 10, 1 };
	static const int seq3[] = { B, B, B, B };
	struct lb_sched_dest d[3];
	struct lb_sched_svc svc;
	struct lb_sched_state st = { 0 };
	int i;

	set_dests(d, w, 3);
	build(&svc, LB_SCHED_WRR, 0, d, 3);
	assert_int_equal(svc.wrr_gcd, 2);
	expect_sequence(&svc, &st, seq, 6);

	set_dests(d, w2, 3);
	d[A].flags = LB_SDEST_F_OVERLOAD;
	build(&svc, LB_SCHED_WRR, 0, d, 3);
	memset(&st, 0, sizeof(st));
	expect_sequence(&svc, &st, seq2, 10);

	set_dests(d, w3, 2);
	d[A].flags = LB_SDEST_F_OVERLOAD;
	build(&svc, LB_SCHED_WRR, 0, d, 2);
	memset(&st, 0, sizeof(st));
	expect_sequence(&svc, &st, seq3, 4);
	d[A].flags = 0;
	/* A back: the next pass starts over at cw 10, and the plain 10/1 cycle
	 * (A ten times, then B) follows. */
	for (i = 0; i < 10; i++)
		assert_int_equal(lb_sched_pick(&svc, &st, NULL, 0, 0), A);
	assert_int_equal(lb_sched_pick(&svc, &st, NULL, 0, 0), B);
	assert_int_equal(lb_sched_pick(&svc, &st, NULL, 0, 0), A);
}

static void
test_wrr_reweight(void **ctx)
{
	static const uint32_t w[] = { 4, 3, 2 };
	static const uint32_t w2[] = { 2, 1, 1 };
	/*
	 * After one pick at cw 4, the new maximum is 2: cw is clamped to 2, the
	 * rest of the pass (B, C) is below it, then cw 1 takes A B C, and from
	 * there on the 2/1/1 cycle A, A B C.
	 */
	static const int seq[] = { A, B, C, A, A, B, C, A, A, B, C };
	struct lb_sched_dest d[3], d2[3];
	struct lb_sched_svc svc, svc2;
	struct lb_sched_state st = { 0 };

	set_dests(d, w, 3);
	build(&svc, LB_SCHED_WRR, 0, d, 3);
	assert_int_equal(lb_sched_pick(&svc, &st, NULL, 0, 0), A);
	assert_int_equal(st.cw, 4);

	set_dests(d2, w2, 3);
	build(&svc2, LB_SCHED_WRR, 0, d2, 3);
	expect_sequence(&svc2, &st, seq, 11);
	assert_true(st.cw >= 1 && st.cw <= 2);

	/* A server removed behind the state's back: still a valid pick. */
	st.last = 3;
	svc2.n = 2;
	assert_int_equal(lb_sched_pick(&svc2, &st, NULL, 0, 0), A);
}

static void
pick_least_case(enum lb_sched_kind kind, const uint32_t *w,
		const struct lb_sched_count *cnt, uint32_t n, int expect)
{
	struct lb_sched_dest d[MAX_DESTS];
	struct lb_sched_svc svc;
	struct lb_sched_state st = { 0 };

	set_dests(d, w, n);
	build(&svc, kind, 0, d, n);
	assert_int_equal(lb_sched_pick(&svc, &st, cnt, 0, 0), expect);
}

static void
test_lc(void **ctx)
{
	/* Overheads 256, 300, 266. */
	static const uint32_t w1[] = { 1, 1, 1 };
	static const struct lb_sched_count c1[] = { { 1, 0 }, { 0, 300 }, { 1, 10 } };
	/* Overheads 300, 256, 266: one active outweighs 255 inactive. */
	static const struct lb_sched_count c2[] = { { 0, 300 }, { 1, 0 }, { 1, 10 } };
	/* Tie at 5: the first wins. */
	static const struct lb_sched_count c3[] = { { 0, 7 }, { 0, 5 }, { 0, 5 } };
	/* lc ignores weights: 512 beats 768 although B weighs 100. */
	static const uint32_t w4[] = { 1, 100 };
	static const struct lb_sched_count c4[] = { { 2, 0 }, { 3, 0 } };

	pick_least_case(LB_SCHED_LC, w1, c1, 3, A);
	pick_least_case(LB_SCHED_LC, w1, c2, 3, B);
	pick_least_case(LB_SCHED_LC, w1, c3, 3, B);
	pick_least_case(LB_SCHED_LC, w4, c4, 2, A);
}

static void
test_wlc(void **ctx)
{
	/* 256/1 against 512/4 = 128: B, where lc would take A. */
	static const uint32_t w1[] = { 1, 4 };
	static const struct lb_sched_count c1[] = { { 1, 0 }, { 2, 0 } };
	/* 600/2 = 300 against 256/1: B. */
	static const uint32_t w2[] = { 2, 1 };
	static const struct lb_sched_count c2[] = { { 2, 88 }, { 1, 0 } };
	/* 100/1 = 200/2 = 300/3: the first. */
	static const uint32_t w3[] = { 3, 1, 2 };
	static const struct lb_sched_count c3[] = { { 1, 44 }, { 0, 100 }, { 0, 200 } };
	/* 0/1 against 256/3: an idle server wins over a lighter per-weight one. */
	static const uint32_t w4[] = { 1, 3 };
	static const struct lb_sched_count c4[] = { { 0, 0 }, { 1, 0 } };
	/*
	 * Beyond 64 bits: A 2^34/1, B (2^34 + 256)/2^30. The cross product
	 * 2^34 * 2^30 is 2^64 and would wrap to 0 in 64 bits, keeping A.
	 */
	static const uint32_t w5[] = { 1, 1u << 30 };
	static const struct lb_sched_count c5[] = { { 1u << 26, 0 }, { (1u << 26) + 1, 0 } };

	pick_least_case(LB_SCHED_WLC, w1, c1, 2, B);
	pick_least_case(LB_SCHED_WLC, w2, c2, 2, B);
	pick_least_case(LB_SCHED_WLC, w3, c3, 3, A);
	pick_least_case(LB_SCHED_WLC, w4, c4, 2, A);
	pick_least_case(LB_SCHED_WLC, w5, c5, 2, B);
}

static void
test_sed(void **ctx)
{
	/* (0+1)/1 = 1 against (1+1)/3: B, where wlc takes the idle A. */
	static const uint32_t w1[] = { 1, 3 };
	static const struct lb_sched_count c1[] = { { 0, 0 }, { 1, 0 } };
	/* 2/1 = 4/2: the first. */
	static const uint32_t w2[] = { 1, 2 };
	static const struct lb_sched_count c2[] = { { 1, 0 }, { 3, 0 } };
	/* Inactive connections do not count: 1/1 against 2/1. */
	static const uint32_t w3[] = { 1, 1 };
	static const struct lb_sched_count c3[] = { { 0, 1000 }, { 1, 0 } };
	/* 3/1, 3/2, 4/3: C at 1.33. */
	static const uint32_t w4[] = { 1, 2, 3 };
	static const struct lb_sched_count c4[] = { { 2, 0 }, { 2, 0 }, { 3, 0 } };

	pick_least_case(LB_SCHED_SED, w1, c1, 2, B);
	pick_least_case(LB_SCHED_SED, w2, c2, 2, A);
	pick_least_case(LB_SCHED_SED, w3, c3, 2, A);
	pick_least_case(LB_SCHED_SED, w4, c4, 3, C);
}

static void
test_nq(void **ctx)
{
	/* The first idle server, although C is idle and heavier (sed: C). */
	static const uint32_t w1[] = { 1, 1, 5 };
	static const struct lb_sched_count c1[] = { { 2, 0 }, { 0, 0 }, { 0, 0 } };
	/* Nobody idle: sed, 3/1 against 5/2 = 2.5: B. */
	static const uint32_t w2[] = { 1, 2 };
	static const struct lb_sched_count c2[] = { { 2, 0 }, { 4, 0 } };
	/* Nobody idle, 2/1 = 4/2: the first. */
	static const struct lb_sched_count c3[] = { { 1, 0 }, { 3, 0 } };
	/* Idle means no active connection: inactive ones do not count. */
	static const uint32_t w4[] = { 10, 1 };
	static const struct lb_sched_count c4[] = { { 1, 0 }, { 0, 500 } };

	pick_least_case(LB_SCHED_NQ, w1, c1, 3, B);
	pick_least_case(LB_SCHED_SED, w1, c1, 3, C);
	pick_least_case(LB_SCHED_NQ, w2, c2, 2, B);
	pick_least_case(LB_SCHED_NQ, w2, c3, 2, A);
	pick_least_case(LB_SCHED_NQ, w4, c4, 2, B);
}

/* B is the one to avoid; its counts make it the lc-family's favourite. */
static const struct lb_sched_count skip_counts[] = { { 5, 0 }, { 0, 0 }, { 3, 0 } };

/* may_fail: sh/mh without fallback, where B's clients get -1. */
static void
expect_never_b(const struct lb_sched_svc *svc, bool may_fail)
{
	struct lb_sched_state st = { 0 };
	unsigned int seen[3] = { 0 }, i;
	int pos;

	rng_state = 12345;
	for (i = 0; i < 3000; i++) {
		pos = lb_sched_pick(svc, &st, skip_counts, rng(), (uint16_t)rng());
		if (may_fail && pos == -1)
			continue;
		assert_true(pos == A || pos == C);
		seen[pos]++;
	}
	switch (svc->kind) {
	case LB_SCHED_LC:
	case LB_SCHED_WLC:
	case LB_SCHED_SED:
	case LB_SCHED_NQ:
		/* C: overhead 768 < 1280, (3+1)/1 < (5+1)/1. */
		assert_int_equal(seen[C], 3000);
		break;
	default:
		assert_true(seen[A] > 500 && seen[C] > 500);
		break;
	}
}

static void
test_weight_zero_skipped(void **ctx)
{
	static const uint32_t w[] = { 1, 0, 1 };
	struct lb_sched_dest d[3];
	struct lb_sched_svc svc;
	int k;

	for (k = 0; k < LB_SCHED_COUNT; k++) {
		set_dests(d, w, 3);
		/* mh keeps B's slots (last weight 1): only the fallback avoids it. */
		d[B].last_weight = 1;
		build(&svc, k, k == LB_SCHED_MH ? LB_SCHED_F_FALLBACK : 0, d, 3);
		expect_never_b(&svc, false);
		lb_sched_free(&svc);
	}

	/* sh gives a weight-0 server no bucket at all. */
	set_dests(d, w, 3);
	build(&svc, LB_SCHED_SH, 0, d, 3);
	for (k = 0; k < (int)svc.table_size; k++)
		assert_int_not_equal(svc.table[k], B);
	lb_sched_free(&svc);
}

static void
test_overload_skipped(void **ctx)
{
	static const uint32_t w[] = { 1, 1, 1 };
	struct lb_sched_dest d[3];
	struct lb_sched_svc svc;
	int k;

	set_dests(d, w, 3);
	d[B].flags = LB_SDEST_F_OVERLOAD;
	for (k = 0; k < LB_SCHED_COUNT; k++) {
		build(&svc, k, 0, d, 3);
		/* sh and mh without fallback: B's clients get nothing. */
		expect_never_b(&svc, k == LB_SCHED_SH || k == LB_SCHED_MH);
		lb_sched_free(&svc);
		if (k == LB_SCHED_SH || k == LB_SCHED_MH) {
			build(&svc, k, LB_SCHED_F_FALLBACK, d, 3);
			expect_never_b(&svc, false);
			lb_sched_free(&svc);
		}
	}
}

static void
expect_none(struct lb_sched_dest *d, uint32_t n)
{
	static const struct lb_sched_count cnt[4];
	struct lb_sched_state st = { 0 };
	struct lb_sched_svc svc;
	uint32_t f, i;
	int k;

	for (k = 0; k < LB_SCHED_COUNT; k++) {
		for (f = 0; f <= (LB_SCHED_F_FALLBACK | LB_SCHED_F_PORT); f++) {
			build(&svc, k, f, d, n);
			rng_state = 777;
			for (i = 0; i < 200; i++)
				assert_int_equal(lb_sched_pick(&svc, &st, cnt, rng(),
						(uint16_t)rng()), -1);
			lb_sched_free(&svc);
		}
	}
}

static void
test_none_available(void **ctx)
{
	static const uint32_t w[] = { 1, 2, 3, 4 };
	static const uint32_t zero[] = { 0, 0, 0, 0 };
	struct lb_sched_dest d[4];
	uint32_t i;

	/* All quiesced, mh tables still built from the last weights. */
	set_dests(d, w, 4);
	for (i = 0; i < 4; i++)
		d[i].weight = 0;
	expect_none(d, 4);

	/* Never had a weight: no table at all. */
	set_dests(d, zero, 4);
	expect_none(d, 4);

	set_dests(d, w, 4);
	for (i = 0; i < 4; i++)
		d[i].flags = LB_SDEST_F_OVERLOAD;
	expect_none(d, 4);
}

static void
count_slots(const struct lb_sched_svc *svc, unsigned int *per, uint32_t n)
{
	uint32_t i;

	memset(per, 0, n * sizeof(*per));
	for (i = 0; i < svc->table_size; i++) {
		assert_true(svc->table[i] < n);
		per[svc->table[i]]++;
	}
}

static void
test_sh_buckets(void **ctx)
{
	static const uint32_t w1[] = { 1, 2, 3 };
	static const uint32_t w2[] = { 1, 0, 3 };
	static const uint32_t w3[] = { 300, 1 };
	struct lb_sched_dest d[3];
	struct lb_sched_svc svc;
	struct lb_sched_state st = { 0 };
	unsigned int per[3], hits[3] = { 0 }, i;
	int pos;

	/* 42 rounds of A BB CCC fill 252 buckets; the last 4 are A BB C. */
	set_dests(d, w1, 3);
	build(&svc, LB_SCHED_SH, 0, d, 3);
	count_slots(&svc, per, 3);
	assert_int_equal(per[A], 43);
	assert_int_equal(per[B], 86);
	assert_int_equal(per[C], 127);
	/* Consecutive buckets, in list order. */
	assert_int_equal(svc.table[0], A);
	assert_int_equal(svc.table[1], B);
	assert_int_equal(svc.table[2], B);
	assert_int_equal(svc.table[3], C);
	assert_int_equal(svc.table[6], A);

	/* Clients follow the buckets. */
	rng_state = 99;
	for (i = 0; i < 60000; i++) {
		pos = lb_sched_pick(&svc, &st, NULL, rng(), 0);
		assert_true(pos >= 0 && pos < 3);
		hits[pos]++;
	}
	for (i = 0; i < 3; i++)
		assert_true(abs((int)hits[i] - (int)(60000 * per[i] / 256)) < 60000 / 50);
	lb_sched_free(&svc);

	set_dests(d, w2, 3);
	build(&svc, LB_SCHED_SH, 0, d, 3);
	count_slots(&svc, per, 3);
	assert_int_equal(per[A], 64);
	assert_int_equal(per[B], 0);
	assert_int_equal(per[C], 192);
	lb_sched_free(&svc);

	/* A weight beyond the table takes it whole, as in IPVS. */
	set_dests(d, w3, 2);
	build(&svc, LB_SCHED_SH, 0, d, 2);
	count_slots(&svc, per, 2);
	assert_int_equal(per[A], 256);
	assert_int_equal(per[B], 0);
	lb_sched_free(&svc);
}

static void
test_sh_sticky(void **ctx)
{
	static const uint32_t w[] = { 1, 1, 1, 1 };
	struct lb_sched_dest d[4];
	struct lb_sched_svc svc, port;
	struct lb_sched_state st = { 0 };
	unsigned int i, p, seen, spread = 0;
	uint32_t caddr;
	int first, pos;

	set_dests(d, w, 4);
	build(&svc, LB_SCHED_SH, 0, d, 4);
	build(&port, LB_SCHED_SH, LB_SCHED_F_PORT, d, 4);
	rng_state = 4242;
	for (i = 0; i < 500; i++) {
		caddr = rng();
		first = lb_sched_pick(&svc, &st, NULL, caddr, htons(1024));
		assert_true(first >= 0 && first < 4);
		seen = 0;
		for (p = 0; p < 16; p++) {
			/* Without sh-port the source port does not matter. */
			pos = lb_sched_pick(&svc, &st, NULL, caddr, htons(1024 + p));
			assert_int_equal(pos, first);
			/* With it, each port is sticky on its own. */
			pos = lb_sched_pick(&port, &st, NULL, caddr, htons(1024 + p));
			assert_int_equal(lb_sched_pick(&port, &st, NULL, caddr,
					htons(1024 + p)), pos);
			seen |= 1u << pos;
		}
		if (__builtin_popcount(seen) > 1)
			spread++;
	}
	/* 16 ports of one address on a single server out of 4: 4^-15. */
	assert_int_equal(spread, 500);
	lb_sched_free(&svc);
	lb_sched_free(&port);
}

static void
test_sh_fallback(void **ctx)
{
	static const uint32_t w[] = { 1, 1, 1, 1 };
	struct lb_sched_dest d[4];
	struct lb_sched_svc plain, fb;
	struct lb_sched_state st = { 0 };
	unsigned int moved_to[4] = { 0 }, i, moved = 0;
	int home, p, f;
	uint32_t caddr;

	set_dests(d, w, 4);
	build(&plain, LB_SCHED_SH, 0, d, 4);
	build(&fb, LB_SCHED_SH, LB_SCHED_F_FALLBACK, d, 4);
	rng_state = 31337;
	for (i = 0; i < 20000; i++) {
		caddr = rng();
		d[C].flags = 0;
		home = lb_sched_pick(&plain, &st, NULL, caddr, 0);
		assert_int_equal(lb_sched_pick(&fb, &st, NULL, caddr, 0), home);
		d[C].flags = LB_SDEST_F_OVERLOAD;
		p = lb_sched_pick(&plain, &st, NULL, caddr, 0);
		f = lb_sched_pick(&fb, &st, NULL, caddr, 0);
		if (home != C) {
			assert_int_equal(p, home);
			assert_int_equal(f, home);
			continue;
		}
		assert_int_equal(p, -1);
		assert_true(f >= 0 && f < 4 && f != C);
		/* Deterministic: the same client falls back to the same server. */
		assert_int_equal(lb_sched_pick(&fb, &st, NULL, caddr, 0), f);
		moved_to[f]++;
		moved++;
	}
	assert_true(moved > 20000 / 5 && moved < 20000 * 3 / 10);
	/* Rehashing spreads C's clients over all the others, not the next one. */
	for (i = 0; i < 4; i++)
		if (i != C)
			assert_true(moved_to[i] > moved / 5);
	lb_sched_free(&plain);
	lb_sched_free(&fb);
}

#define MH_CLIENTS	100000

static void
test_mh_consistent(void **ctx)
{
	static const uint32_t w[10] = { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1 };
	const int zeroed = 3;
	struct lb_sched_dest d[10];
	struct lb_sched_svc before, after, plain;
	struct lb_sched_state st = { 0 };
	unsigned int moved_to[10] = { 0 }, kept = 0, others = 0, moved = 0, i;
	uint32_t *caddr;
	int8_t *home;
	int pos;

	caddr = malloc(MH_CLIENTS * sizeof(*caddr));
	home = malloc(MH_CLIENTS * sizeof(*home));
	assert_non_null(caddr);
	assert_non_null(home);
	set_dests(d, w, 10);
	build(&before, LB_SCHED_MH, LB_SCHED_F_FALLBACK, d, 10);
	rng_state = 2718281;
	for (i = 0; i < MH_CLIENTS; i++) {
		caddr[i] = rng();
		home[i] = (int8_t)lb_sched_pick(&before, &st, NULL, caddr[i], 0);
		assert_true(home[i] >= 0 && home[i] < 10);
	}

	/* Quiesce one server (its last weight stays) and rebuild as the control
	 * plane would: the table must not change at all. */
	d[zeroed].weight = 0;
	build(&after, LB_SCHED_MH, LB_SCHED_F_FALLBACK, d, 10);
	assert_memory_equal(before.table, after.table,
			LB_MH_TABLE_SIZE * sizeof(*before.table));
	build(&plain, LB_SCHED_MH, 0, d, 10);

	for (i = 0; i < MH_CLIENTS; i++) {
		pos = lb_sched_pick(&after, &st, NULL, caddr[i], 0);
		assert_true(pos >= 0 && pos < 10 && pos != zeroed);
		if (home[i] != zeroed) {
			others++;
			if (pos == home[i])
				kept++;
			/* Every client that moved was on the zeroed server. */
			assert_int_equal(pos, home[i]);
			assert_int_equal(lb_sched_pick(&plain, &st, NULL, caddr[i], 0), pos);
		} else {
			moved++;
			moved_to[pos]++;
			assert_int_equal(lb_sched_pick(&plain, &st, NULL, caddr[i], 0), -1);
		}
	}
	assert_true(kept >= others / 100 * 99);
	assert_int_equal(kept + moved, MH_CLIENTS);
	/* About a tenth were on the zeroed server... */
	assert_true(moved > MH_CLIENTS / 100 * 8 && moved < MH_CLIENTS / 100 * 12);
	/* ...and they spread over the nine others. */
	for (i = 0; i < 10; i++)
		if ((int)i != zeroed)
			assert_true(moved_to[i] > moved / 9 / 2);

	lb_sched_free(&before);
	lb_sched_free(&after);
	lb_sched_free(&plain);
	free(caddr);
	free(home);
}

static void
test_mh_weights(void **ctx)
{
	static const uint32_t w12[] = { 1, 2 };
	static const uint32_t w4[] = { 1, 1, 1, 1 };
	static const uint32_t w101[] = { 1, 0, 1 };
	static const uint32_t wbig[] = { 1, 1000 };
	struct lb_sched_dest d[4];
	struct lb_sched_svc svc;
	struct lb_sched_state st = { 0 };
	unsigned int per[4], hits[2] = { 0 }, i;
	int pos;

	/* Turns A BB: 1364 rounds and one more slot for A. */
	set_dests(d, w12, 2);
	build(&svc, LB_SCHED_MH, 0, d, 2);
	count_slots(&svc, per, 2);
	assert_int_equal(per[A], 1365);
	assert_int_equal(per[B], 2728);
	assert_true(abs((int)per[A] * 3 - (int)LB_MH_TABLE_SIZE) < (int)LB_MH_TABLE_SIZE * 3 / 50);
	rng_state = 1618;
	for (i = 0; i < MH_CLIENTS; i++) {
		pos = lb_sched_pick(&svc, &st, NULL, rng(), 0);
		assert_true(pos == A || pos == B);
		hits[pos]++;
	}
	assert_true(abs((int)hits[A] * 3 - MH_CLIENTS) < MH_CLIENTS * 3 / 50);
	assert_true(abs((int)hits[B] * 3 - 2 * MH_CLIENTS) < MH_CLIENTS * 3 / 50);
	lb_sched_free(&svc);

	/* Equal weights: M/4 each, to the slot. */
	set_dests(d, w4, 4);
	build(&svc, LB_SCHED_MH, 0, d, 4);
	count_slots(&svc, per, 4);
	for (i = 0; i < 4; i++)
		assert_true(per[i] == 1023 || per[i] == 1024);
	lb_sched_free(&svc);

	/* Never weighted (last weight 0): no slot. */
	set_dests(d, w101, 3);
	build(&svc, LB_SCHED_MH, 0, d, 3);
	count_slots(&svc, per, 3);
	assert_int_equal(per[B], 0);
	assert_int_equal(per[A] + per[C], LB_MH_TABLE_SIZE);
	lb_sched_free(&svc);

	/* 1:1000 is scaled down to 1:62 (6 bits of turns, as IPVS): A keeps a
	 * share, 4093 slots in rounds of 63 give it 65. */
	set_dests(d, wbig, 2);
	build(&svc, LB_SCHED_MH, 0, d, 2);
	count_slots(&svc, per, 2);
	assert_int_equal(per[A], 65);
	assert_int_equal(per[B], LB_MH_TABLE_SIZE - 65);
	lb_sched_free(&svc);
}

static void
test_mh_port(void **ctx)
{
	static const uint32_t w[] = { 1, 1, 1, 1 };
	struct lb_sched_dest d[4];
	struct lb_sched_svc plain, port;
	struct lb_sched_state st = { 0 };
	unsigned int i, p, seen, spread = 0;
	uint32_t caddr;
	int first, pos;

	set_dests(d, w, 4);
	build(&plain, LB_SCHED_MH, 0, d, 4);
	build(&port, LB_SCHED_MH, LB_SCHED_F_PORT, d, 4);
	rng_state = 5150;
	for (i = 0; i < 200; i++) {
		caddr = rng();
		first = lb_sched_pick(&plain, &st, NULL, caddr, htons(40000));
		seen = 0;
		for (p = 0; p < 16; p++) {
			assert_int_equal(lb_sched_pick(&plain, &st, NULL, caddr,
					htons(40000 + p)), first);
			pos = lb_sched_pick(&port, &st, NULL, caddr, htons(40000 + p));
			assert_true(pos >= 0 && pos < 4);
			seen |= 1u << pos;
		}
		if (__builtin_popcount(seen) > 1)
			spread++;
	}
	assert_int_equal(spread, 200);
	lb_sched_free(&plain);
	lb_sched_free(&port);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_build),
		cmocka_unit_test(test_rr),
		cmocka_unit_test(test_wrr_432),
		cmocka_unit_test(test_wrr_511),
		cmocka_unit_test(test_wrr_gcd_and_skips),
		cmocka_unit_test(test_wrr_reweight),
		cmocka_unit_test(test_lc),
		cmocka_unit_test(test_wlc),
		cmocka_unit_test(test_sed),
		cmocka_unit_test(test_nq),
		cmocka_unit_test(test_weight_zero_skipped),
		cmocka_unit_test(test_overload_skipped),
		cmocka_unit_test(test_none_available),
		cmocka_unit_test(test_sh_buckets),
		cmocka_unit_test(test_sh_sticky),
		cmocka_unit_test(test_sh_fallback),
		cmocka_unit_test(test_mh_consistent),
		cmocka_unit_test(test_mh_weights),
		cmocka_unit_test(test_mh_port),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
