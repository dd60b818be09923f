/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Connection table and timing wheel (see conn.h for the design).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <rte_hash_crc.h>
#include <rte_vect.h>

#include "dataplane/conn.h"

#define BUCKET_SLOTS	8
#define WHEEL_BITS	12	/* 4096 one-second slots: 68 minutes per turn */
#define WHEEL_SLOTS	(1u << WHEEL_BITS)
#define WHEEL_MASK	(WHEEL_SLOTS - 1)

struct bucket {
	uint32_t sig[BUCKET_SLOTS];	/* low half of the hash, never 0; 0 = empty */
	uint32_t idx[BUCKET_SLOTS];	/* entry index; idx[0]'s top bits: overflow */
} __rte_cache_aligned;

/*
 * A key goes to its first bucket while that one has fewer than PRIMARY_MAX
 * slots used; past that, to the emptier of its two (two choices, which keep a
 * full table from ever finding both buckets full). Entry indexes are below
 * 2^28 (lb_conn_table_create), so the top 4 bits of a bucket's idx[0] count
 * the keys whose first bucket it is that went to their second one
 * ("overflow"), saturating at OVF_MAX, where the count stays (lookups then
 * always look at the second bucket too: slower, never wrong). While it is 0,
 * a key absent from its first bucket is absent: a lookup reads one bucket
 * line and one entry line, not two and one. A table at its capacity has 2
 * keys per bucket on average; a simulation of this rule with uniform hashes
 * (1M keys into a full 1M table) put 0.3% of them in their second bucket.
 */
#define IDX_BITS	28
#define IDX_MASK	((1u << IDX_BITS) - 1)
#define OVF_MAX		15u
#define PRIMARY_MAX	6

static inline uint32_t
slot_idx(const struct bucket *b, int s)
{
	return b->idx[s] & IDX_MASK;
}

static inline uint32_t
overflow(const struct bucket *b)
{
	return b->idx[0] >> IDX_BITS;
}

static inline void
overflow_add(struct bucket *b, int d)
{
	uint32_t o = overflow(b);

	if (o == OVF_MAX)
		return;		/* saturated: kept */
	o += d;
	b->idx[0] = (b->idx[0] & IDX_MASK) | (o << IDX_BITS);
}

struct lb_conn_table {
	struct bucket *buckets;
	struct lb_conn *conns;
	union lb_ip (*addr6)[2];	/* [capacity]: an IPv6 entry's addresses */
	uint32_t bucket_mask;
	uint32_t capacity;
	uint32_t count;
	uint32_t free_head;
	/* wheel */
	uint32_t wheel_time;	/* next second to visit */
	uint32_t pending;	/* entries of the slot being visited */
	uint32_t pending_time;
	uint32_t slot[WHEEL_SLOTS];
	size_t map_len;
	void *map;
};

static void *
map_zeroed(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	/* Two lines per lookup over hundreds of MB: TLB misses matter. */
	madvise(p, len, MADV_HUGEPAGE);
	return p;
}

struct lb_conn_table *
lb_conn_table_create(uint32_t capacity, uint32_t now)
{
	struct lb_conn_table *ct;
	uint32_t nb = 1, i;
	size_t blen, clen, alen;

	if (capacity == 0 || capacity > (1u << 28)) {
		errno = EINVAL;
		return NULL;
	}
	while (nb < capacity / 2 || nb < 1)
		nb <<= 1;
	ct = calloc(1, sizeof(*ct));
	if (ct == NULL)
		return NULL;
	blen = (size_t)nb * sizeof(struct bucket);
	clen = (size_t)capacity * sizeof(struct lb_conn);
	alen = (size_t)capacity * sizeof(ct->addr6[0]);
	ct->map_len = blen + clen + alen;
	ct->map = map_zeroed(ct->map_len);
	if (ct->map == NULL) {
		free(ct);
		return NULL;
	}
	ct->buckets = ct->map;
	ct->conns = (struct lb_conn *)((char *)ct->map + blen);
	ct->addr6 = (void *)((char *)ct->map + blen + clen);
	ct->bucket_mask = nb - 1;
	ct->capacity = capacity;
	for (i = 0; i < capacity; i++)
		ct->conns[i].next = i + 1 < capacity ? i + 1 : LB_CONN_NONE;
	ct->free_head = 0;
	for (i = 0; i < WHEEL_SLOTS; i++)
		ct->slot[i] = LB_CONN_NONE;
	ct->pending = LB_CONN_NONE;
	ct->wheel_time = now;
	return ct;
}

void
lb_conn_table_free(struct lb_conn_table *ct)
{
	if (ct == NULL)
		return;
	munmap(ct->map, ct->map_len);
	free(ct);
}

uint32_t
lb_conn_capacity(const struct lb_conn_table *ct)
{
	return ct->capacity;
}

uint32_t
lb_conn_count(const struct lb_conn_table *ct)
{
	return ct->count;
}

/* The family byte (pad[1]) from the key's second word, already in a register. */
static inline bool
key_v6(const struct lb_conn_key *k, uint64_t w1)
{
#if RTE_BYTE_ORDER == RTE_LITTLE_ENDIAN
	RTE_SET_USED(k);
	return (uint8_t)(w1 >> 48) == LB_CONN_KEY_V6;
#else
	RTE_SET_USED(w1);
	return lb_conn_key_is_v6(k);
#endif
}

uint64_t
lb_conn_hash(const struct lb_conn_key *k)
{
	uint64_t w[2];
	uint32_t h1, h2;

	memcpy(w, k, sizeof(w));
	if (unlikely(key_v6(k, w[1]))) {
		/*
		 * The address words are 0: the addresses are hashed, four words
		 * mixed into two (a multiply each: not linear, so unlike a xor two
		 * flows cannot cancel out by swapping words), then two CRCs a
		 * chain as for IPv4, with the ports and the rest of w[1].
		 */
		const struct lb_conn_key6 *k6 = (const struct lb_conn_key6 *)k;
		uint64_t a = k6->caddr.w[0] ^ k6->caddr.w[1] * 0xff51afd7ed558ccdull ^ w[1];
		uint64_t b = k6->vaddr.w[0] ^ k6->vaddr.w[1] * 0xc4ceb9fe1a85ec53ull;

		h1 = rte_hash_crc_8byte(b, rte_hash_crc_8byte(a, 0x9747b28c));
		h2 = rte_hash_crc_8byte(b * 0x9e3779b97f4a7c15ull,
				rte_hash_crc_8byte(a * 0xc2b2ae3d27d4eb4full, 0x2f5a1b3d));
	} else {
		h1 = rte_hash_crc_8byte(w[1], rte_hash_crc_8byte(w[0], 0x9747b28c));
		/*
		 * Not the same CRC with another seed: CRC is linear, so h2 would be h1
		 * xor a constant, and all the keys of a bucket would share one second
		 * bucket (16 slots for them, not two choices). Multiplying the words
		 * first (not linear over GF(2)) makes the second choice independent.
		 */
		h2 = rte_hash_crc_8byte(w[1] * 0x9e3779b97f4a7c15ull,
				rte_hash_crc_8byte(w[0] * 0xc2b2ae3d27d4eb4full, 0x2f5a1b3d));
	}
	if (h1 == 0)
		h1 = 1;
	return ((uint64_t)h2 << 32) | h1;
}

static inline uint32_t
bucket1(const struct lb_conn_table *ct, uint64_t hash)
{
	return (uint32_t)hash & ct->bucket_mask;
}

static inline uint32_t
bucket2(const struct lb_conn_table *ct, uint64_t hash)
{
	return (uint32_t)(hash >> 32) & ct->bucket_mask;
}

void
lb_conn_prefetch(const struct lb_conn_table *ct, uint64_t hash)
{
	/* the second bucket only matters once the first overflowed: read then */
	rte_prefetch0(&ct->buckets[bucket1(ct, hash)]);
}

static inline bool
key_eq(const struct lb_conn_key *a, const struct lb_conn_key *b)
{
	const uint64_t *x = (const uint64_t *)a, *y = (const uint64_t *)b;

	return ((x[0] ^ y[0]) | (x[1] ^ y[1])) == 0;
}

/* Entry idx holds key k: its 16 bytes, then an IPv6 key's addresses. */
static inline bool
entry_eq(const struct lb_conn_table *ct, uint32_t idx, const struct lb_conn_key *k)
{
	const struct lb_conn_key6 *k6;

	if (!key_eq(&ct->conns[idx].key, k))
		return false;
	if (likely(!lb_conn_key_is_v6(k)))
		return true;
	k6 = (const struct lb_conn_key6 *)k;
	return lb_ip_eq(&ct->addr6[idx][0], &k6->caddr) && lb_ip_eq(&ct->addr6[idx][1], &k6->vaddr);
}

/* Bit i set when slot i of b holds signature sig. */
static inline uint32_t
sig_match(const struct bucket *b, uint32_t sig)
{
#ifdef __AVX2__
	__m256i v = _mm256_load_si256((const __m256i *)b->sig);

	return (uint32_t)_mm256_movemask_ps(_mm256_castsi256_ps(
				_mm256_cmpeq_epi32(v, _mm256_set1_epi32((int)sig))));
#else
	uint32_t i, m = 0;

	for (i = 0; i < BUCKET_SLOTS; i++)
		m |= (uint32_t)(b->sig[i] == sig) << i;
	return m;
#endif
}

static inline struct lb_conn *
find_in(struct lb_conn_table *ct, const struct bucket *b, uint32_t sig,
		const struct lb_conn_key *k)
{
	uint32_t m = sig_match(b, sig);

	while (m != 0) {
		uint32_t idx = slot_idx(b, __builtin_ctz(m));

		if (entry_eq(ct, idx, k))
			return &ct->conns[idx];
		m &= m - 1;
	}
	return NULL;
}

uint32_t
lb_conn_candidate(const struct lb_conn_table *ct, uint64_t hash)
{
	const struct bucket *b = &ct->buckets[bucket1(ct, hash)];
	uint32_t m = sig_match(b, (uint32_t)hash), idx;

	if (m == 0) {
		if (likely(overflow(b) == 0))
			return LB_CONN_NONE;
		b = &ct->buckets[bucket2(ct, hash)];
		m = sig_match(b, (uint32_t)hash);
		if (m == 0)
			return LB_CONN_NONE;
	}
	idx = slot_idx(b, __builtin_ctz(m));
	rte_prefetch0(&ct->conns[idx]);
	return idx;
}

void
lb_conn_prefetch_addr6(const struct lb_conn_table *ct, uint32_t cand)
{
	if (cand != LB_CONN_NONE)
		rte_prefetch0(&ct->addr6[cand]);
}

const union lb_ip *
lb_conn_addr6(const struct lb_conn_table *ct, const struct lb_conn *c)
{
	return ct->addr6[c - ct->conns];
}

struct lb_conn *
lb_conn_lookup_at(struct lb_conn_table *ct, const struct lb_conn_key *k, uint64_t hash,
		uint32_t cand)
{
	if (cand != LB_CONN_NONE && entry_eq(ct, cand, k))
		return &ct->conns[cand];
	/* No candidate (or a signature collision): look again, since an earlier
	 * packet of the same burst may have inserted this key since. */
	return lb_conn_lookup(ct, k, hash);
}

struct lb_conn *
lb_conn_lookup(struct lb_conn_table *ct, const struct lb_conn_key *k, uint64_t hash)
{
	const struct bucket *b = &ct->buckets[bucket1(ct, hash)];
	uint32_t sig = (uint32_t)hash;
	struct lb_conn *c;

	c = find_in(ct, b, sig, k);
	if (c == NULL && overflow(b) != 0)
		c = find_in(ct, &ct->buckets[bucket2(ct, hash)], sig, k);
	return c;
}

static int
free_slot(const struct bucket *b)
{
	int i;

	for (i = 0; i < BUCKET_SLOTS; i++)
		if (b->sig[i] == 0)
			return i;
	return -1;
}

static int
used_slots(const struct bucket *b)
{
	int i, n = 0;

	for (i = 0; i < BUCKET_SLOTS; i++)
		n += b->sig[i] != 0;
	return n;
}

/*
 * Slot lists are doubly linked through entry indexes. The first entry of a
 * list has, as prev, its list head encoded with the top bit set (entry
 * indexes stay below 2^28): HEAD_SLOT | slot number, or HEAD_PENDING.
 */
#define HEAD_SLOT	0x80000000u
#define HEAD_PENDING	0xc0000000u

static inline uint32_t *
head_of(struct lb_conn_table *ct, uint32_t prev)
{
	return prev == HEAD_PENDING ? &ct->pending : &ct->slot[prev & WHEEL_MASK];
}

static inline void
list_push(struct lb_conn_table *ct, uint32_t *head, uint32_t head_code, uint32_t idx)
{
	struct lb_conn *c = &ct->conns[idx];

	c->next = *head;
	c->prev = head_code;
	if (*head != LB_CONN_NONE)
		ct->conns[*head].prev = idx;
	*head = idx;
}

static inline void
list_unlink(struct lb_conn_table *ct, struct lb_conn *c)
{
	if (c->prev & HEAD_SLOT)
		*head_of(ct, c->prev) = c->next;
	else
		ct->conns[c->prev].next = c->next;
	if (c->next != LB_CONN_NONE)
		ct->conns[c->next].prev = c->prev;
}

/* Link into the slot the wheel visits first at or after c->expire. */
static inline void
wheel_link(struct lb_conn_table *ct, struct lb_conn *c, uint32_t idx)
{
	uint32_t target = c->expire, s;

	if ((int32_t)(target - ct->wheel_time) < 0)
		target = ct->wheel_time;	/* already due: the next slot visited */
	c->visit = ct->wheel_time + ((target - ct->wheel_time) & WHEEL_MASK);
	s = c->visit & WHEEL_MASK;
	list_push(ct, &ct->slot[s], HEAD_SLOT | s, idx);
}

void
lb_conn_relink(struct lb_conn_table *ct, struct lb_conn *c)
{
	/* Visit already passed: it is in the list being visited, seen shortly. */
	if ((int32_t)(c->visit - ct->wheel_time) < 0)
		return;
	list_unlink(ct, c);
	wheel_link(ct, c, lb_conn_index(ct, c));
}

struct lb_conn *
lb_conn_insert(struct lb_conn_table *ct, const struct lb_conn_key *k, uint64_t hash,
		uint32_t now, uint32_t expire)
{
	struct bucket *b1 = &ct->buckets[bucket1(ct, hash)];
	struct bucket *b2 = &ct->buckets[bucket2(ct, hash)];
	struct bucket *b = b1;
	struct lb_conn *c;
	uint32_t idx;
	int s, u1;

	if (ct->free_head == LB_CONN_NONE)
		return NULL;
	u1 = used_slots(b1);
	if (u1 >= PRIMARY_MAX && b2 != b1 && used_slots(b2) < u1)
		b = b2;
	s = free_slot(b);
	if (s < 0)
		return NULL;	/* both full: not seen below the table's capacity */

	idx = ct->free_head;
	c = &ct->conns[idx];
	ct->free_head = c->next;
	ct->count++;

	lb_conn_write_begin(c);
	c->key = *k;
	if (lb_conn_key_is_v6(k)) {
		const struct lb_conn_key6 *k6 = (const struct lb_conn_key6 *)k;

		ct->addr6[idx][0] = k6->caddr;
		ct->addr6[idx][1] = k6->vaddr;
	}
	c->state = 0;
	c->flags = LB_CONN_F_USED;
	c->dest = LB_CONN_NONE;
	c->tmpl = LB_CONN_NONE;
	c->created = now;
	c->expire = expire;
	c->pkts = 0;
	c->n_control = 0;
	lb_conn_write_end(c);

	/* Published to lookups only once the entry is whole (same thread, but
	 * the order keeps a reader's view of the index sane too), and in a
	 * second bucket only once the first one says to look there. */
	if (b != b1)
		overflow_add(b1, 1);
	b->idx[s] = (b->idx[s] & ~IDX_MASK) | idx;
	rte_smp_wmb();
	b->sig[s] = (uint32_t)hash;
	wheel_link(ct, c, idx);
	return c;
}

static void
unindex(struct lb_conn_table *ct, struct lb_conn *c, uint32_t idx)
{
	struct lb_conn_key6 k6 = { .k = c->key };
	uint64_t hash;
	struct bucket *b;
	int i, pass;

	if (lb_conn_key_is_v6(&c->key)) {
		k6.caddr = ct->addr6[idx][0];
		k6.vaddr = ct->addr6[idx][1];
	}
	hash = lb_conn_hash(&k6.k);

	for (pass = 0; pass < 2; pass++) {
		b = &ct->buckets[pass == 0 ? bucket1(ct, hash) : bucket2(ct, hash)];
		for (i = 0; i < BUCKET_SLOTS; i++)
			if (b->sig[i] == (uint32_t)hash && slot_idx(b, i) == idx) {
				b->sig[i] = 0;
				if (pass == 1)	/* (a second bucket that is the first
						 * one matches at pass 0) */
					overflow_add(&ct->buckets[bucket1(ct, hash)], -1);
				return;
			}
	}
}

static void
release(struct lb_conn_table *ct, struct lb_conn *c, uint32_t idx)
{
	unindex(ct, c, idx);
	lb_conn_write_begin(c);
	c->flags = 0;
	lb_conn_write_end(c);
	c->next = ct->free_head;
	ct->free_head = idx;
	ct->count--;
}

void
lb_conn_evict(struct lb_conn_table *ct, struct lb_conn *c)
{
	list_unlink(ct, c);	/* a slot's list, or the one being visited */
	release(ct, c, lb_conn_index(ct, c));
}

uint32_t
lb_conn_expire(struct lb_conn_table *ct, uint32_t now, uint32_t budget,
		lb_conn_expire_cb cb, void *arg)
{
	uint32_t work = 0;

	/* Asleep for more than a turn: one visit of every slot catches up. */
	if (ct->pending == LB_CONN_NONE && (int32_t)(now - ct->wheel_time) >= (int32_t)WHEEL_SLOTS)
		ct->wheel_time = now - WHEEL_SLOTS + 1;

	while (work < budget) {
		struct lb_conn *c;
		uint32_t idx;

		if (ct->pending == LB_CONN_NONE) {
			if ((int32_t)(ct->wheel_time - now) > 0)
				break;	/* caught up */
			ct->pending = ct->slot[ct->wheel_time & WHEEL_MASK];
			ct->slot[ct->wheel_time & WHEEL_MASK] = LB_CONN_NONE;
			if (ct->pending != LB_CONN_NONE)
				ct->conns[ct->pending].prev = HEAD_PENDING;
			ct->pending_time = ct->wheel_time;
			ct->wheel_time++;
			work++;
			continue;
		}
		idx = ct->pending;
		c = &ct->conns[idx];
		list_unlink(ct, c);
		work++;
		if ((int32_t)(c->expire - now) <= 0) {
			if (cb != NULL && cb(c, arg) && (int32_t)(c->expire - now) > 0)
				wheel_link(ct, c, idx);
			else
				release(ct, c, idx);
		} else {
			wheel_link(ct, c, idx);
		}
	}
	return work;
}

bool
lb_conn_read(const struct lb_conn_table *ct, uint32_t idx, struct lb_conn *out)
{
	return lb_conn_read6(ct, idx, out, NULL);
}

bool
lb_conn_read6(const struct lb_conn_table *ct, uint32_t idx, struct lb_conn *out,
		union lb_ip addr6[2])
{
	const volatile struct lb_conn *c = &ct->conns[idx];
	uint32_t s1, s2;

	for (;;) {
		s1 = c->seq;
		rte_smp_rmb();
		if (s1 & 1) {
			rte_pause();
			continue;
		}
		memcpy(out, (const void *)c, sizeof(*out));
		/* written before the entry's seq closes, like the rest of it */
		if (addr6 != NULL && lb_conn_key_is_v6(&out->key))
			memcpy(addr6, (const void *)ct->addr6[idx], sizeof(ct->addr6[idx]));
		rte_smp_rmb();
		s2 = c->seq;
		if (s1 == s2)
			return (out->flags & LB_CONN_F_USED) != 0;
	}
}

bool
lb_conn_peek(const struct lb_conn_table *ct, const struct lb_conn_key *k, uint64_t hash,
		struct lb_conn *out)
{
	const struct bucket *bs[2] = {
		&ct->buckets[bucket1(ct, hash)], &ct->buckets[bucket2(ct, hash)],
	};
	union lb_ip a6[2];
	int b, i;

	for (b = 0; b < 2; b++) {
		if (b == 1 && __atomic_load_n(&bs[0]->idx[0], __ATOMIC_ACQUIRE) >> IDX_BITS == 0)
			break;	/* nothing overflowed from the first bucket */
		for (i = 0; i < BUCKET_SLOTS; i++) {
			uint32_t sig = __atomic_load_n(&bs[b]->sig[i], __ATOMIC_ACQUIRE);
			uint32_t idx = __atomic_load_n(&bs[b]->idx[i], __ATOMIC_RELAXED) & IDX_MASK;

			if (sig != (uint32_t)hash || idx >= ct->capacity)
				continue;
			if (!lb_conn_read6(ct, idx, out, a6) || !key_eq(&out->key, k))
				continue;
			if (!lb_conn_key_is_v6(k) ||
					(lb_ip_eq(&a6[0], &((const struct lb_conn_key6 *)k)->caddr) &&
					 lb_ip_eq(&a6[1], &((const struct lb_conn_key6 *)k)->vaddr)))
				return true;
		}
	}
	return false;
}

struct lb_conn *
lb_conn_at(struct lb_conn_table *ct, uint32_t idx)
{
	return idx < ct->capacity ? &ct->conns[idx] : NULL;
}

uint32_t
lb_conn_index(const struct lb_conn_table *ct, const struct lb_conn *c)
{
	return (uint32_t)(c - ct->conns);
}
