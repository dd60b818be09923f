/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The connection table and its timing wheel, driven directly with a virtual
 * clock (the now arguments), no EAL. The wheel is lazy and bounded, so the
 * cases that matter are at its edges: expiries just below, at and beyond one
 * turn (4096 s), clocks that step one second at a time and clocks that jump
 * more than a turn at once (one visit of every slot catches up), refreshes
 * that only write a later second, moves to an earlier second, and a budget
 * smaller than the work due. A random run checks all of it against a plain
 * array of expiry seconds: after every full lb_conn_expire() at now, the live
 * entries are exactly those the model expects to outlive now.
 *
 * Each entry carries its test-side identity in c->dest, so the expiry
 * callback can tell which entry it was handed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "dataplane/conn.h"

#define T0		1000u		/* the virtual clock starts here */
#define WHEEL		4096u		/* one turn of the wheel, as in conn.c */

/* ---- helpers ---- */

static uint64_t rng = 0x2545f4914f6cdd1dull;

static uint64_t
rnd(void)
{
	/* xorshift64*: fixed seed, same run every time */
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545f4914f6cdd1dull;
}

static uint32_t
rnd_range(uint32_t lo, uint32_t hi)
{
	return lo + (uint32_t)(rnd() % ((uint64_t)hi - lo + 1));
}

/* A bijection on 32 bits, so that distinct ids give distinct keys. */
static uint32_t
scramble(uint32_t x)
{
	x ^= x >> 16;
	x *= 0x7feb352du;
	x ^= x >> 15;
	x *= 0x846ca68bu;
	x ^= x >> 16;
	return x;
}

/* Key number id: distinct for distinct ids, padding zeroed. */
static struct lb_conn_key
key_of(uint32_t id)
{
	struct lb_conn_key k;

	memset(&k, 0, sizeof(k));
	k.caddr = scramble(id);
	k.vaddr = 0x0100000a;	/* 10.0.0.1 */
	k.cport = (uint16_t)(id * 7919u);
	k.vport = 0x5000;	/* 80 */
	k.proto = 6;
	return k;
}

/* A random key, still made distinct by id (in vaddr). */
static struct lb_conn_key
key_random(uint32_t id)
{
	struct lb_conn_key k;
	uint64_t r = rnd();

	memset(&k, 0, sizeof(k));
	k.caddr = (uint32_t)r;
	k.cport = (uint16_t)(r >> 32);
	k.vport = (uint16_t)(r >> 48);
	k.vaddr = scramble(id);
	k.proto = (r & 1) ? 6 : 17;
	return k;
}

static struct lb_conn *
lookup(struct lb_conn_table *ct, uint32_t id)
{
	struct lb_conn_key k = key_of(id);

	return lb_conn_lookup(ct, &k, lb_conn_hash(&k));
}

/* Insert key id, tagged with id in dest; NULL when the table refuses. */
static struct lb_conn *
insert(struct lb_conn_table *ct, uint32_t id, uint32_t now, uint32_t expire)
{
	struct lb_conn_key k = key_of(id);
	struct lb_conn *c = lb_conn_insert(ct, &k, lb_conn_hash(&k), now, expire);

	if (c != NULL) {
		lb_conn_write_begin(c);
		c->dest = id;
		lb_conn_write_end(c);
	}
	return c;
}

static struct lb_conn_table *
table(uint32_t capacity, uint32_t now)
{
	struct lb_conn_table *ct = lb_conn_table_create(capacity, now);

	assert_non_null(ct);
	assert_int_equal(lb_conn_capacity(ct), capacity);
	assert_int_equal(lb_conn_count(ct), 0);
	return ct;
}

/* What the expiry callback saw. */
struct seen {
	uint32_t now;		/* now of the lb_conn_expire() call in progress */
	uint32_t n;		/* entries handed to the callback */
	uint32_t last;		/* dest (test id) of the last one */
	uint32_t early;		/* handed over before their expiry second */
	uint32_t id;		/* the id to count in n_id */
	uint32_t n_id;
};

static bool
on_expire(struct lb_conn *c, void *arg)
{
	struct seen *s = arg;

	assert_true(c->flags & LB_CONN_F_USED);
	s->n++;
	s->last = c->dest;
	if ((int32_t)(c->expire - s->now) > 0)
		s->early++;
	if (c->dest == s->id)
		s->n_id++;
	return false;
}

static uint32_t
expire(struct lb_conn_table *ct, uint32_t now, struct seen *s)
{
	s->now = now;
	return lb_conn_expire(ct, now, UINT32_MAX, on_expire, s);
}

/* ---- 1. insert, lookup, count ---- */

static void
test_insert_lookup_count(void **state)
{
	const uint32_t n = 50000;
	struct lb_conn_table *ct = table(65536, T0);
	struct lb_conn **got = calloc(n, sizeof(*got));
	struct lb_conn_key k;
	uint32_t i;

	assert_non_null(got);
	for (i = 0; i < n; i++) {
		got[i] = insert(ct, i, T0, T0 + 300);
		assert_non_null(got[i]);
		assert_int_equal(got[i]->state, 0);
		assert_int_equal(got[i]->flags, LB_CONN_F_USED);
		assert_int_equal(got[i]->expire, T0 + 300);
		assert_int_equal(got[i]->created, T0);
		assert_int_equal(got[i]->tmpl, LB_CONN_NONE);
		assert_int_equal(got[i]->pkts, 0);
		assert_ptr_equal(lb_conn_at(ct, lb_conn_index(ct, got[i])), got[i]);
	}
	assert_int_equal(lb_conn_count(ct), n);
	for (i = 0; i < n; i++) {
		struct lb_conn *c = lookup(ct, i);

		assert_ptr_equal(c, got[i]);
		k = key_of(i);
		assert_memory_equal(&c->key, &k, sizeof(k));
		assert_int_equal(c->dest, i);
	}
	/* Never inserted: not found, whether its id is near or far. */
	for (i = n; i < n + 10000; i++)
		assert_null(lookup(ct, i));
	k = key_of(7);
	k.proto = 17;	/* same addresses and ports, other protocol */
	assert_null(lb_conn_lookup(ct, &k, lb_conn_hash(&k)));
	assert_null(lb_conn_at(ct, 65536));
	lb_conn_table_free(ct);
	free(got);
}

/* ---- 2. capacity ---- */

static void
test_capacity(void **state)
{
	const uint32_t cap = 1000;
	struct lb_conn_table *ct = table(cap, T0);
	struct seen s = { .id = UINT32_MAX };
	uint32_t i;

	/* The first 100 for 10 s, the rest for 1000 s. */
	for (i = 0; i < cap; i++)
		assert_non_null(insert(ct, i, T0, T0 + (i < 100 ? 10 : 1000)));
	assert_int_equal(lb_conn_count(ct), cap);
	assert_null(insert(ct, cap, T0, T0 + 10));
	assert_null(insert(ct, cap + 1, T0, T0 + 10));
	assert_int_equal(lb_conn_count(ct), cap);
	assert_null(lookup(ct, cap));

	expire(ct, T0 + 9, &s);
	assert_int_equal(s.n, 0);
	assert_null(insert(ct, cap, T0 + 9, T0 + 100));
	expire(ct, T0 + 10, &s);
	assert_int_equal(s.n, 100);
	assert_int_equal(s.early, 0);
	assert_int_equal(lb_conn_count(ct), cap - 100);
	for (i = 0; i < 100; i++)
		assert_null(lookup(ct, i));
	for (i = 0; i < 100; i++)
		assert_non_null(insert(ct, cap + i, T0 + 10, T0 + 100));
	assert_int_equal(lb_conn_count(ct), cap);
	assert_null(insert(ct, cap + 100, T0 + 10, T0 + 100));
	for (i = 100; i < cap + 100; i++)
		assert_non_null(lookup(ct, i));
	lb_conn_table_free(ct);
}

/*
 * Full to the last entry with random keys: the index has 4 slots per entry,
 * spread over two independent bucket choices, so an insert below capacity
 * must never find both of its buckets full.
 */
static void
test_fill_large_table(void **state)
{
	const uint32_t caps[] = { 1u << 20, 100003, 4097, 16, 5, 1 };
	unsigned int t;

	for (t = 0; t < RTE_DIM(caps); t++) {
		struct lb_conn_table *ct = table(caps[t], T0);
		struct lb_conn_key k;
		uint32_t i;

		for (i = 0; i < caps[t]; i++) {
			k = key_random(i);
			if (lb_conn_insert(ct, &k, lb_conn_hash(&k), T0, T0 + 60) == NULL)
				fail_msg("capacity %u: insert %u failed with the table not full",
						caps[t], i);
		}
		assert_int_equal(lb_conn_count(ct), caps[t]);
		k = key_random(caps[t]);
		assert_null(lb_conn_insert(ct, &k, lb_conn_hash(&k), T0, T0 + 60));
		lb_conn_table_free(ct);
	}
}

/* Every way of looking key id up finds c (NULL: finds nothing). */
static void
assert_found(struct lb_conn_table *ct, uint32_t id, struct lb_conn *c)
{
	struct lb_conn_key k = key_of(id);
	uint64_t h = lb_conn_hash(&k);
	struct lb_conn out;

	lb_conn_prefetch(ct, h);
	assert_ptr_equal(lb_conn_lookup(ct, &k, h), c);
	assert_ptr_equal(lb_conn_lookup_at(ct, &k, h, lb_conn_candidate(ct, h)), c);
	assert_int_equal(lb_conn_peek(ct, &k, h, &out), c != NULL);
	if (c != NULL)
		assert_int_equal(out.dest, id);
}

/*
 * Keys whose first bucket is the same (a hot bucket) must still have second
 * buckets of their own: 64 of them all fit in a table of 4096. conn.c takes
 * the first bucket from the low bits of the hash's low half, for a table of
 * 4096 the low 11 bits (2048 buckets of 8). The first PRIMARY_MAX (6) stay
 * in it; the others are found only through its overflow count, which 64
 * saturates and 12 does not: every way of looking a key up must find each
 * of them while they are there, and not once they are gone, also after the
 * first bucket's own keys left (a count that went down for those would
 * hide the others).
 */
static void
hot_bucket(uint32_t want)
{
	const uint32_t cap = 4096, mask = 2047;
	struct lb_conn_table *ct = table(cap, T0);
	uint32_t id, n = 0, first = UINT32_MAX, ids[64], i, round;
	struct lb_conn *cs[64];

	assert_true(want <= RTE_DIM(ids));
	for (id = 0; n < want; id++) {
		struct lb_conn_key k = key_of(id);
		uint64_t h = lb_conn_hash(&k);

		if (first == UINT32_MAX)
			first = (uint32_t)h & mask;
		if (((uint32_t)h & mask) != first)
			continue;
		cs[n] = insert(ct, id, T0, T0 + 60);
		if (cs[n] == NULL)
			fail_msg("key %u of %u sharing a first bucket refused by a table "
					"holding %u of %u", n + 1, want, lb_conn_count(ct), cap);
		ids[n++] = id;
	}
	assert_int_equal(lb_conn_count(ct), want);
	/* round 0: all there; round 1: the first bucket's 6 gone; round 2:
	 * every other one of the rest gone too */
	for (round = 0; round < 3; round++) {
		for (i = 0; i < want; i++) {
			bool there = round == 0 || (i >= 6 && (round == 1 || i % 2 == 0));

			assert_found(ct, ids[i], there ? cs[i] : NULL);
		}
		for (i = 0; i < want; i++)
			if (round == 0 ? i < 6 : (round == 1 && i >= 6 && i % 2 == 1))
				lb_conn_evict(ct, cs[i]);
	}
	/* the freed slots take new keys of that first bucket again */
	for (n = 0; n < 6; id++) {
		struct lb_conn_key k = key_of(id);
		uint64_t h = lb_conn_hash(&k);

		if (((uint32_t)h & mask) != first)
			continue;
		assert_found(ct, id, insert(ct, id, T0, T0 + 60));
		n++;
	}
	for (i = 6; i < want; i += 2)
		assert_found(ct, ids[i], cs[i]);
	lb_conn_table_free(ct);
}

static void
test_two_choices_are_independent(void **state)
{
	hot_bucket(64);
	hot_bucket(12);
}

/* ---- 3. exact expiry ---- */

static const uint32_t timeouts[] = {
	1, 2, 59, 60, 61, 900, 4095, 4096, 4097, 10000, 86400, 2678400,
};

/*
 * All timeouts in one table, the wheel stepped every second for 31 days:
 * each second frees exactly the entry due then, and nothing else.
 */
static void
test_expiry_exact_stepping(void **state)
{
	const uint32_t n = RTE_DIM(timeouts);
	struct lb_conn_table *ct = table(64, T0);
	struct seen s = { .id = UINT32_MAX };
	uint32_t i, now, next = 0;

	for (i = 0; i < n; i++)
		assert_non_null(insert(ct, i, T0, T0 + timeouts[i]));
	for (now = T0; now <= T0 + timeouts[n - 1]; now++) {
		uint32_t before = s.n;

		expire(ct, now, &s);
		if (next < n && now == T0 + timeouts[next]) {
			if (s.n != before + 1 || s.last != next)
				fail_msg("timeout %u: at +%u freed %u entries (last id %u)",
						timeouts[next], now - T0, s.n - before, s.last);
			assert_null(lookup(ct, next));
			next++;
		} else if (s.n != before) {
			fail_msg("at +%u: freed id %u, due at +%u", now - T0, s.last,
					timeouts[s.last]);
		}
		assert_int_equal(lb_conn_count(ct), n - next);
	}
	assert_int_equal(next, n);
	assert_int_equal(s.early, 0);
	lb_conn_table_free(ct);
}

/* One entry, expire at T0 + t: alive through now - 1, gone at now. */
static void
check_edge(struct lb_conn_table *ct, struct lb_conn *c, uint32_t t, struct seen *s,
		const char *how)
{
	expire(ct, T0 + t - 1, s);
	if (s->n_id != 0 || lookup(ct, 0) != c)
		fail_msg("%s, timeout %u: gone at +%u, one second early", how, t, t - 1);
	assert_int_equal(lb_conn_count(ct), 1);
	expire(ct, T0 + t, s);
	if (s->n_id != 1)
		fail_msg("%s, timeout %u: callback called %u times at +%u", how, t,
				s->n_id, t);
	assert_null(lookup(ct, 0));
	assert_int_equal(lb_conn_count(ct), 0);
	assert_int_equal(s->early, 0);
	/* And never again. */
	expire(ct, T0 + t + 3 * WHEEL, s);
	assert_int_equal(s->n_id, 1);
}

/* The clock jumps: straight there, or in strides both under and over a turn. */
static void
test_expiry_exact_jumping(void **state)
{
	const uint32_t strides[] = { 0, 1000, 4095, 4096, 4097, 5000, 9000 };
	unsigned int t, j;

	for (t = 0; t < RTE_DIM(timeouts); t++) {
		uint32_t tm = timeouts[t];

		for (j = 0; j < RTE_DIM(strides); j++) {
			struct lb_conn_table *ct = table(16, T0);
			struct seen s = { .id = 0 };
			struct lb_conn *c = insert(ct, 0, T0, T0 + tm);
			uint32_t now = T0;

			assert_non_null(c);
			/* strides[0]: no call before the edge at all */
			while (strides[j] != 0 && now + strides[j] < T0 + tm - 1) {
				now += strides[j];
				expire(ct, now, &s);
				assert_int_equal(s.n, 0);
			}
			check_edge(ct, c, tm, &s, "jumping");
			lb_conn_table_free(ct);
		}
		/* Random strides of 1..9000 s, a different path each time. */
		for (j = 0; j < 4; j++) {
			struct lb_conn_table *ct = table(16, T0);
			struct seen s = { .id = 0 };
			struct lb_conn *c = insert(ct, 0, T0, T0 + tm);
			uint32_t now = T0, step;

			assert_non_null(c);
			for (;;) {
				step = rnd() & 1 ? rnd_range(1, 60) : rnd_range(1, 9000);
				if (now + step >= T0 + tm - 1)
					break;
				now += step;
				expire(ct, now, &s);
				assert_int_equal(s.n, 0);
			}
			check_edge(ct, c, tm, &s, "random strides");
			lb_conn_table_free(ct);
		}
	}
}

/* ---- 4. refresh ---- */

/*
 * Refreshed every `every` s to now + tm while the clock advances by `step`
 * (calling lb_conn_expire each time) until `until`; then it must live exactly
 * tm more seconds.
 */
static void
refresh_run(uint32_t tm, uint32_t every, uint32_t step, uint32_t until)
{
	struct lb_conn_table *ct = table(16, T0);
	struct seen s = { .id = 0 };
	struct lb_conn *c = insert(ct, 0, T0, T0 + tm);
	uint32_t now, last = T0;

	assert_non_null(c);
	for (now = T0 + step; now <= until; now += step) {
		expire(ct, now, &s);
		if (s.n != 0)
			fail_msg("timeout %u refreshed every %u: freed at +%u, last refresh +%u",
					tm, every, now - T0, last - T0);
		assert_ptr_equal(lookup(ct, 0), c);
		if ((now - T0) % every == 0) {
			lb_conn_set_expire(ct, c, now + tm);
			last = now;
		}
	}
	for (now = last + 1; now < last + tm; now += now + 997 < last + tm ? 997 : 1) {
		expire(ct, now, &s);
		assert_int_equal(s.n, 0);
	}
	expire(ct, last + tm - 1, &s);
	assert_int_equal(s.n, 0);
	assert_ptr_equal(lookup(ct, 0), c);
	expire(ct, last + tm, &s);
	assert_int_equal(s.n_id, 1);
	assert_int_equal(s.early, 0);
	assert_null(lookup(ct, 0));
	assert_int_equal(lb_conn_count(ct), 0);
	lb_conn_table_free(ct);
}

static void
test_refresh(void **state)
{
	/* 60 s timeout, a packet every 10 s, over almost five turns */
	refresh_run(60, 10, 1, T0 + 20000);
	refresh_run(60, 10, 10, T0 + 20000);
	refresh_run(60, 50, 5, T0 + 20000);
	/* ESTABLISHED (900 s), refreshed every 899 s: always just in time */
	refresh_run(900, 899, 1, T0 + 899 * 20);
	/* beyond the wheel: 10000 s refreshed every 5000 s, clock jumping a turn */
	refresh_run(10000, 5000, 5000, T0 + 100000);
	refresh_run(10000, 5000, 1, T0 + 30000);
	/* refresh every second */
	refresh_run(4097, 1, 1, T0 + 10000);
}

/* ---- 5. moving the expiry earlier ---- */

/*
 * Expiring at T0 + first; at T0 + at (after an optional refresh to T0 + later
 * at T0, which the wheel does not see) set to T0 + to, the clock stepping one
 * second at a time or jumping. It must go exactly at T0 + to.
 */
static void
shorten_run(uint32_t first, uint32_t later, uint32_t at, uint32_t to, bool step)
{
	struct lb_conn_table *ct = table(16, T0);
	struct seen s = { .id = 0 };
	struct lb_conn *c = insert(ct, 0, T0, T0 + first);
	uint32_t now;

	assert_non_null(c);
	for (now = T0; now <= T0 + at; now += step ? 1 : at) {
		expire(ct, now, &s);
		if (later != 0 && now == T0)
			lb_conn_set_expire(ct, c, T0 + later);
	}
	assert_int_equal(s.n, 0);
	lb_conn_set_expire(ct, c, T0 + to);
	assert_int_equal(c->expire, T0 + to);
	if (step) {
		for (now = T0 + at + 1; now < T0 + to; now++) {
			expire(ct, now, &s);
			if (s.n != 0)
				fail_msg("%u -> %u at %u: freed at +%u", first, to, at, now - T0);
		}
	}
	check_edge(ct, c, to, &s, "shortened");
	lb_conn_table_free(ct);
}

static void
test_shorten(void **state)
{
	/* ESTABLISHED -> FIN_WAIT at +10 */
	shorten_run(900, 0, 10, 130, true);
	shorten_run(900, 0, 10, 130, false);
	/* first placed in the slot of +900, refreshed to +2000 unseen by the wheel */
	shorten_run(900, 2000, 10, 130, true);
	shorten_run(900, 2000, 10, 1000, true);
	shorten_run(900, 2000, 10, 1000, false);
	/* from beyond the wheel's horizon */
	shorten_run(10000, 0, 10, 130, true);
	shorten_run(10000, 0, 10, 5000, true);
	shorten_run(2678400, 0, 10, 130, false);
	/* after going round once (its slot visited at +1808) */
	shorten_run(10000, 0, 2000, 2100, true);
	shorten_run(10000, 0, 2000, 2001, true);
	/* to the very next second */
	shorten_run(900, 0, 10, 11, true);
}

/* ---- 6. bounded work ---- */

static void
test_bounded_work(void **state)
{
	const uint32_t n = 100000, budget = 256;
	struct lb_conn_table *ct = table(n, T0);
	struct seen s = { .id = UINT32_MAX };
	uint32_t i, work, calls = 0;

	for (i = 0; i < n; i++)
		assert_non_null(insert(ct, i, T0, T0 + 100));
	s.now = T0 + 99;
	do {
		work = lb_conn_expire(ct, T0 + 99, budget, on_expire, &s);
		assert_true(work <= budget);
	} while (work == budget);
	assert_int_equal(s.n, 0);
	assert_int_equal(lb_conn_count(ct), n);

	s.now = T0 + 100;
	do {
		uint32_t before = s.n;

		work = lb_conn_expire(ct, T0 + 100, budget, on_expire, &s);
		assert_true(work <= budget);
		assert_true(s.n - before <= work);
		assert_int_equal(lb_conn_count(ct), n - s.n);
		calls++;
	} while (work == budget);
	assert_int_equal(s.n, n);
	assert_int_equal(s.early, 0);
	assert_int_equal(lb_conn_count(ct), 0);
	assert_true(calls >= n / budget);
	/* Caught up: nothing more to do this second. */
	assert_int_equal(lb_conn_expire(ct, T0 + 100, budget, on_expire, &s), 0);

	/* A budget of 1 still makes progress, over a jump of more than a turn. */
	for (i = 0; i < 1000; i++)
		assert_non_null(insert(ct, i, T0 + 100, T0 + 200 + i * 7));
	s.now = T0 + 20000;
	calls = 0;
	while (lb_conn_expire(ct, T0 + 20000, 1, on_expire, &s) == 1)
		calls++;
	assert_int_equal(s.n, n + 1000);
	assert_int_equal(lb_conn_count(ct), 0);
	/* one visit of each of the 4096 slots, and the 1000 entries */
	assert_int_equal(calls, WHEEL + 1000);
	lb_conn_table_free(ct);
}

/* ---- 7. random run against a model ---- */

#define MODEL_KEYS	1024
#define MODEL_CAP	768

struct model {
	struct lb_conn_table *ct;
	struct lb_conn *conn[MODEL_KEYS];	/* NULL: not in the table */
	uint32_t exp[MODEL_KEYS];
	uint32_t live;
	uint32_t now;		/* now of the lb_conn_expire() call in progress */
	uint64_t freed;
};

static bool
model_expired(struct lb_conn *c, void *arg)
{
	struct model *m = arg;
	uint32_t id = c->dest;

	if (id >= MODEL_KEYS || m->conn[id] != c)
		fail_msg("callback for an entry the model does not hold (id %u)", id);
	if (c->expire != m->exp[id])
		fail_msg("id %u: entry expires at %u, model at %u", id, c->expire, m->exp[id]);
	if ((int32_t)(c->expire - m->now) > 0)
		fail_msg("id %u freed at %u, due at %u", id, m->now, c->expire);
	m->conn[id] = NULL;
	m->live--;
	m->freed++;
	return false;
}

/* After a complete lb_conn_expire() at m->now: live set == { exp > now }. */
static void
model_check(struct model *m)
{
	struct lb_conn out;
	uint32_t id;

	assert_int_equal(lb_conn_count(m->ct), m->live);
	for (id = 0; id < MODEL_KEYS; id++) {
		struct lb_conn *c = lookup(m->ct, id);

		if (c != m->conn[id])
			fail_msg("id %u: lookup %p, model %p", id, (void *)c, (void *)m->conn[id]);
		if (c == NULL)
			continue;
		if ((int32_t)(m->exp[id] - m->now) <= 0)
			fail_msg("id %u still live at %u, due at %u", id, m->now, m->exp[id]);
		assert_true(lb_conn_read(m->ct, lb_conn_index(m->ct, c), &out));
		assert_int_equal(out.dest, id);
	}
}

static uint32_t
model_timeout(void)
{
	switch (rnd() % 4) {
	case 0:
		return rnd_range(1, 10);
	case 1:
		return rnd_range(1, 300);
	case 2:
		return rnd_range(1, 3000);
	default:
		return rnd_range(1, 20000);
	}
}

static uint32_t
model_advance(void)
{
	switch (rnd() % 3) {
	case 0:
		return rnd_range(1, 5);
	case 1:
		return rnd_range(1, 300);
	default:
		return rnd_range(1, 5000);
	}
}

/* Insert a random absent key; refused only when the table is full. */
static void
model_insert(struct model *m)
{
	uint32_t id = rnd() % MODEL_KEYS;
	struct lb_conn *c;

	if (m->conn[id] != NULL)
		return;
	m->exp[id] = m->now + model_timeout();
	c = insert(m->ct, id, m->now, m->exp[id]);
	if (m->live == MODEL_CAP) {
		assert_null(c);
		return;
	}
	if (c == NULL)
		fail_msg("insert refused with %u of %u live", m->live, MODEL_CAP);
	m->conn[id] = c;
	m->live++;
}

/* Give a random live key any expiry after now: later or earlier than before. */
static void
model_refresh(struct model *m, bool to_now)
{
	uint32_t id = rnd() % MODEL_KEYS;

	if (m->conn[id] == NULL)
		return;
	/*
	 * core.c sets an entry's expiry to now itself to drop it; that only
	 * promises the next second, so it is done only when the clock moves on
	 * before the model is compared.
	 */
	if (to_now && rnd() % 8 == 0)
		m->exp[id] = m->now;
	else
		m->exp[id] = m->now + model_timeout();
	lb_conn_set_expire(m->ct, m->conn[id], m->exp[id]);
}

/*
 * Random inserts, refreshes and clock advances. With budget == UINT32_MAX,
 * lb_conn_expire() runs to completion right after every advance and the
 * model is compared then. With a small budget, inserts and refreshes go on
 * while the wheel is still catching up (entries in the list being visited,
 * entries whose recorded visit was skipped by a jump), and the model is
 * compared each time a call leaves budget unused (caught up).
 */
static void
model_run(uint32_t ops, uint32_t budget)
{
	struct model *m = calloc(1, sizeof(*m));
	uint32_t i, r, work, checks = 0;
	bool behind = false;	/* the wheel has not caught up with m->now */

	assert_non_null(m);
	m->now = T0;
	m->ct = table(MODEL_CAP, T0);
	for (i = 0; i < ops; i++) {
		r = rnd() % 100;
		if (r < 45) {
			model_insert(m);
		} else if (r < 88) {
			model_refresh(m, budget == UINT32_MAX);
		} else if (!behind) {
			m->now += model_advance();
			behind = true;
		}
		if (behind && (budget == UINT32_MAX || rnd() % 4 != 0)) {
			work = lb_conn_expire(m->ct, m->now, budget, model_expired, m);
			assert_true(work <= budget);
			if (work < budget) {
				model_check(m);
				behind = false;
				checks++;
			}
		}
	}
	/* Let everything expire. */
	m->now += 40000;
	while (lb_conn_expire(m->ct, m->now, budget, model_expired, m) == budget)
		;
	model_check(m);
	assert_int_equal(m->live, 0);
	assert_true(checks >= 100);
	assert_true(m->freed > ops / 10);
	print_message("budget %u: %u ops, %u comparisons, %llu entries expired, "
			"clock at +%u s\n", budget, ops, checks,
			(unsigned long long)m->freed, m->now - T0);
	lb_conn_table_free(m->ct);
	free(m);
}

static void
test_model(void **state)
{
	model_run(400000, UINT32_MAX);
}

static void
test_model_bounded(void **state)
{
	model_run(200000, 16);
	model_run(200000, 3);
}

/* ---- 8. the seqlock reader ---- */

static void
test_read(void **state)
{
	struct lb_conn_table *ct = table(64, T0);
	struct seen s = { .id = UINT32_MAX };
	bool used[64] = { false };
	struct lb_conn out;
	struct lb_conn *c;
	uint32_t i, idx;

	for (i = 0; i < 10; i++) {
		c = insert(ct, i, T0, T0 + 10 + i);
		assert_non_null(c);
		lb_conn_write_begin(c);
		c->state = (uint8_t)(i + 1);
		c->dest = 100 + i;
		lb_conn_write_end(c);
		assert_int_equal(c->seq % 2, 0);
		used[lb_conn_index(ct, c)] = true;
	}
	for (i = 0; i < 10; i++) {
		struct lb_conn_key k = key_of(i);

		c = lookup(ct, i);
		assert_non_null(c);
		memset(&out, 0xa5, sizeof(out));
		assert_true(lb_conn_read(ct, lb_conn_index(ct, c), &out));
		assert_memory_equal(&out.key, &k, sizeof(k));
		assert_int_equal(out.state, i + 1);
		assert_int_equal(out.dest, 100 + i);
		assert_int_equal(out.flags, LB_CONN_F_USED);
		assert_int_equal(out.expire, T0 + 10 + i);
	}
	for (idx = 0; idx < 64; idx++)
		if (!used[idx])
			assert_false(lb_conn_read(ct, idx, &out));
	/* Freed entries read as free too. */
	c = lookup(ct, 0);
	idx = lb_conn_index(ct, c);
	expire(ct, T0 + 10, &s);
	assert_int_equal(s.n, 1);
	assert_false(lb_conn_read(ct, idx, &out));
	assert_int_equal(out.flags & LB_CONN_F_USED, 0);
	lb_conn_table_free(ct);
}

/* ---- 9. reuse ---- */

static void
test_reuse(void **state)
{
	const uint32_t cap = 256;
	struct lb_conn_table *ct = table(cap, T0);
	struct seen s = { .id = UINT32_MAX };
	bool freed[256] = { false };
	uint32_t i, id = 0, now = T0, round, before;
	struct lb_conn *c;

	for (round = 0; round < 50; round++) {
		/* Fill up; every entry comes from the pool. */
		while (lb_conn_count(ct) < cap) {
			c = insert(ct, id, now, now + 1 + id % 17);
			assert_non_null(c);
			assert_true(lb_conn_index(ct, c) < cap);
			assert_ptr_equal(lb_conn_at(ct, lb_conn_index(ct, c)), c);
			/* After the first round, only freed entries can be handed out. */
			if (round > 0) {
				assert_true(freed[lb_conn_index(ct, c)]);
				freed[lb_conn_index(ct, c)] = false;
			}
			assert_int_equal(c->flags, LB_CONN_F_USED);
			assert_int_equal(c->state, 0);
			assert_int_equal(c->dest, id);
			id++;
		}
		assert_null(insert(ct, id, now, now + 1));
		assert_int_equal(lb_conn_count(ct), cap);
		/* Some expire, then are replaced. */
		now += 1 + rnd() % 9;
		for (i = 0; i < cap; i++) {
			c = lb_conn_at(ct, i);
			if ((int32_t)(c->expire - now) <= 0)
				freed[i] = true;
		}
		before = s.n;
		expire(ct, now, &s);
		assert_true(s.n > before);
		assert_int_equal(lb_conn_count(ct), cap - (s.n - before));
		assert_int_equal(s.early, 0);
	}
	lb_conn_table_free(ct);
}

/* ---- the hash ---- */

static void
test_hash(void **state)
{
	struct lb_conn_key a = key_of(1), b = key_of(1);
	uint32_t i, zero = 0;

	assert_int_equal(lb_conn_hash(&a), lb_conn_hash(&b));
	b.cport ^= 1;
	assert_int_not_equal(lb_conn_hash(&a), lb_conn_hash(&b));
	for (i = 0; i < 100000; i++) {
		struct lb_conn_key k = key_random(i);

		zero += (uint32_t)lb_conn_hash(&k) == 0;
	}
	/* 0 marks an empty index slot: never a signature. */
	assert_int_equal(zero, 0);
}

/* ---- 10. IPv6 keys ---- */

/* An IPv6 key of client 2001:db8:<id>::<id>, VIP 2001:db8::100:80. */
static struct lb_conn_key6
key6_of(uint32_t id)
{
	uint8_t c[16] = { 0x20, 0x01, 0x0d, 0xb8 }, v[16] = { 0x20, 0x01, 0x0d, 0xb8,
		[14] = 0x01 };
	uint32_t x = scramble(id);
	struct lb_conn_key6 k;

	memcpy(&c[4], &x, 4);
	memcpy(&c[12], &id, 4);
	memset(&k, 0x5a, sizeof(k));	/* the setter owns every byte */
	lb_conn_key6_set(&k, c, v, (uint16_t)id, 0x5000, 6, 0);
	return k;
}

/*
 * IPv6 keys share the table with IPv4 ones: found by their full addresses,
 * never confused with an IPv4 key of the same 16 bytes or with another IPv6
 * key of the same 16 bytes (the side array decides), read
 * back with their addresses, and unindexed on expiry.
 */
static void
test_ipv6_keys(void **state)
{
	struct lb_conn_table *ct = table(1024, T0);
	struct seen s = { .id = UINT32_MAX };
	struct lb_conn_key6 k6 = key6_of(7), twin = k6;
	struct lb_conn_key four;
	union lb_ip a6[2];
	struct lb_conn *c, *d, out;
	uint32_t i;

	/* the same 16 bytes, other addresses: two 32-bit words of the client swapped */
	memcpy(&twin.caddr.v6_32[0], &k6.caddr.v6_32[1], 4);
	memcpy(&twin.caddr.v6_32[1], &k6.caddr.v6_32[0], 4);
	lb_conn_key6_set(&twin, twin.caddr.v6, twin.vaddr.v6, k6.k.cport, k6.k.vport, 6, 0);
	assert_memory_equal(&twin.k, &k6.k, sizeof(k6.k));
	assert_false(lb_ip_eq(&twin.caddr, &k6.caddr));
	/* an IPv4 key with the same address words */
	lb_conn_key_set(&four, k6.k.caddr, k6.k.vaddr, k6.k.cport, k6.k.vport, 6, 0);
	assert_int_not_equal(lb_conn_hash(&four), lb_conn_hash(&k6.k));
	/* the hash reads the addresses: twins spread */
	assert_int_not_equal(lb_conn_hash(&twin.k), lb_conn_hash(&k6.k));

	c = lb_conn_insert(ct, &k6.k, lb_conn_hash(&k6.k), T0, T0 + 5);
	assert_non_null(c);
	assert_ptr_equal(lb_conn_lookup(ct, &k6.k, lb_conn_hash(&k6.k)), c);
	assert_null(lb_conn_lookup(ct, &four, lb_conn_hash(&four)));
	/* the twin, looked up under the same signature, must miss */
	assert_null(lb_conn_lookup(ct, &twin.k, lb_conn_hash(&k6.k)));
	assert_null(lb_conn_lookup_at(ct, &twin.k, lb_conn_hash(&k6.k), lb_conn_index(ct, c)));
	assert_false(lb_conn_peek(ct, &twin.k, lb_conn_hash(&k6.k), &out));
	d = lb_conn_insert(ct, &twin.k, lb_conn_hash(&twin.k), T0, T0 + 9);
	assert_non_null(d);
	assert_ptr_not_equal(c, d);
	assert_ptr_equal(lb_conn_lookup(ct, &twin.k, lb_conn_hash(&twin.k)), d);
	assert_ptr_equal(lb_conn_lookup(ct, &k6.k, lb_conn_hash(&k6.k)), c);
	assert_true(lb_conn_peek(ct, &k6.k, lb_conn_hash(&k6.k), &out));
	assert_int_equal(out.expire, T0 + 5);
	/* read back with the addresses */
	memset(a6, 0, sizeof(a6));
	assert_true(lb_conn_read6(ct, lb_conn_index(ct, c), &out, a6));
	assert_true(lb_conn_key_is_v6(&out.key));
	assert_true(lb_ip_eq(&a6[0], &k6.caddr) && lb_ip_eq(&a6[1], &k6.vaddr));
	assert_true(lb_ip_eq(&lb_conn_addr6(ct, d)[0], &twin.caddr));
	/* many of both families, then all expire: the index empties */
	for (i = 0; i < 400; i++) {
		struct lb_conn_key6 k = key6_of(1000 + i);
		struct lb_conn_key k4 = key_of(1000 + i);

		assert_non_null(lb_conn_insert(ct, &k.k, lb_conn_hash(&k.k), T0, T0 + 3));
		assert_non_null(lb_conn_insert(ct, &k4, lb_conn_hash(&k4), T0, T0 + 3));
	}
	for (i = 0; i < 400; i++) {
		struct lb_conn_key6 k = key6_of(1000 + i);

		c = lb_conn_lookup(ct, &k.k, lb_conn_hash(&k.k));
		assert_non_null(c);
		assert_true(lb_ip_eq(&lb_conn_addr6(ct, c)[0], &k.caddr));
		assert_non_null(lookup(ct, 1000 + i));
	}
	expire(ct, T0 + 10, &s);
	assert_int_equal(lb_conn_count(ct), 0);
	for (i = 0; i < 400; i++) {
		struct lb_conn_key6 k = key6_of(1000 + i);

		assert_null(lb_conn_lookup(ct, &k.k, lb_conn_hash(&k.k)));
	}
	/* every slot reusable: the index really forgot them */
	for (i = 0; i < 1024; i++) {
		struct lb_conn_key6 k = key6_of(5000 + i);

		assert_non_null(lb_conn_insert(ct, &k.k, lb_conn_hash(&k.k), T0 + 10, T0 + 20));
	}
	lb_conn_table_free(ct);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hash),
		cmocka_unit_test(test_insert_lookup_count),
		cmocka_unit_test(test_capacity),
		cmocka_unit_test(test_two_choices_are_independent),
		cmocka_unit_test(test_fill_large_table),
		cmocka_unit_test(test_expiry_exact_stepping),
		cmocka_unit_test(test_expiry_exact_jumping),
		cmocka_unit_test(test_refresh),
		cmocka_unit_test(test_shorten),
		cmocka_unit_test(test_bounded_work),
		cmocka_unit_test(test_model),
		cmocka_unit_test(test_model_bounded),
		cmocka_unit_test(test_read),
		cmocka_unit_test(test_reuse),
		cmocka_unit_test(test_ipv6_keys),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
