/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The per-worker connection table and its timing wheel.
 *
 * Each worker owns one table: only that worker inserts, changes and frees
 * entries, so the packet path needs no lock and no atomic. Other threads (the
 * control plane listing connections) read entries in place through a
 * per-entry sequence counter, which the owner bumps around every change of an
 * entry's identity or state (a seqlock whose write side is two plain stores).
 *
 * Layout: a fixed pool of 64-byte entries (one cache line each) and an index
 * of 64-byte buckets holding 8 (signature, entry) pairs. A key hashes to two
 * buckets. An insert goes to the first while it has fewer than 6 keys, then
 * to the emptier of the two ("two choices"), so with as many bucket slots as
 * 4x the capacity a full table still never finds both buckets full in
 * practice; each bucket counts the keys that went on to their second bucket,
 * and while that count is 0 a lookup need not read the second one. A lookup
 * so costs one bucket line and one entry line (at capacity, about 0.3% of keys
 * need a second bucket line), which the caller prefetches a burst ahead. Per
 * live connection: 64 bytes of entry + 32 bytes of index = 96 bytes, the
 * timer included (below).
 *
 * Expiry is a wheel of one-second slots, lazy in the way nginx's timers are:
 * a packet that extends an entry's life only writes the new expiry second; the
 * entry stays in the slot of the expiry it had when it was last placed. When
 * the wheel reaches that slot, the entry is freed if its time has come, or
 * moved to the slot of its current expiry. Only a move to an earlier second
 * (a state with a shorter timeout: FIN, RST) relinks at once, in O(1), which
 * happens once or twice in a connection's life, never per packet. Timeouts longer than the wheel just go round
 * more than once. lb_conn_expire() does a bounded amount of this work per
 * call, so no number of simultaneous expiries stalls the worker.
 *
 * IPv6 flows live in the same table, so that every worker path (expiry,
 * templates, listing, the defences) is one code: an IPv6 key is the same
 * 16-byte key, its address words zero and LB_CONN_KEY_V6 in its family byte,
 * followed in memory by the two full addresses (struct lb_conn_key6), which
 * the hash reads. Its entry keeps the full addresses in a
 * side array parallel to the entries (32 bytes each), which a lookup reads
 * only after the 16-byte key matched. The side array is anonymous memory
 * too, so an IPv4-only director never touches a page of it: IPv4 entries stay
 * one line and 96 bytes a connection; an IPv6 connection costs 128.
 *
 * Why not rte_hash: measured by tests/bench/bench_conn.c on this project's
 * 2-core test machine, random lookups in bursts of 32, each side on its best
 * bulk path and counting the read of the entry itself: at 1M live entries
 * this table 91-95 cycles per lookup, rte_hash 115 (with or without
 * RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF); at 4M 115 against 127; at 64K
 * 17 against 29. (Reading both buckets of every key, as this table did
 * first, it was level with rte_hash.) rte_hash also needs its key store
 * (about 40 bytes per entry) on top of our 64-byte entry, where this index
 * costs 32, and keeps no timer. docs/benchmarks.md has the table.
 */
#ifndef LB_CONN_H
#define LB_CONN_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <rte_atomic.h>
#include <rte_common.h>
#include <rte_pause.h>
#include <rte_prefetch.h>

#include "dataplane/addr.h"

#define LB_CONN_NONE		UINT32_MAX
#define LB_CONN_F_USED		0x01	/* entry holds a connection */
#define LB_CONN_F_TEMPLATE	0x02	/* persistence template */
#define LB_CONN_F_ASSURED	0x04	/* template: a connection reached ESTABLISHED */
#define LB_CONN_F_SYNC		0x08	/* made from a sync record (IPVS's Origin SYNC) */

/* The 5-tuple, laid out so that a key is two 8-byte words. */
struct lb_conn_key {
	uint32_t caddr;		/* network order */
	uint32_t vaddr;
	uint16_t cport;
	uint16_t vport;
	uint8_t proto;
	uint8_t pad[3];		/* pad[0]: tag; pad[1]: family (LB_CONN_KEY_V6); pad[2] 0 */
};

#define LB_CONN_KEY_V6		6	/* pad[1] of an IPv6 key */

/*
 * An IPv6 key: what lb_conn_* take as a struct lb_conn_key * whenever
 * k.pad[1] is LB_CONN_KEY_V6 (they read the addresses after it).
 */
struct lb_conn_key6 {
	struct lb_conn_key k;
	union lb_ip caddr;
	union lb_ip vaddr;
};

static inline bool
lb_conn_key_is_v6(const struct lb_conn_key *k)
{
	return k->pad[1] == LB_CONN_KEY_V6;
}

/*
 * Fill a key with two 8-byte stores. The hash and the compare read the key
 * as two 8-byte words; a key built field by field (five small stores) cannot
 * be forwarded to those loads, and the stall cost 24.8 against 15.4 cycles
 * per hash in isolation, and 200-210 against 162-170 cycles per packet on
 * bench_pipeline's 1M fast path. tag is pad[0]: 1 for persistence templates.
 */
static inline void
lb_conn_key_fill(struct lb_conn_key *k, uint32_t caddr, uint32_t vaddr, uint16_t cport,
		uint16_t vport, uint8_t proto, uint8_t tag, uint8_t fam)
{
#if RTE_BYTE_ORDER == RTE_LITTLE_ENDIAN
	uint64_t w[2] = {
		(uint64_t)caddr | (uint64_t)vaddr << 32,
		(uint64_t)cport | (uint64_t)vport << 16 | (uint64_t)proto << 32 |
			(uint64_t)tag << 40 | (uint64_t)fam << 48,
	};

	RTE_BUILD_BUG_ON(sizeof(*k) != sizeof(w));
	memcpy(k, w, sizeof(w));
#else
	*k = (struct lb_conn_key){ .caddr = caddr, .vaddr = vaddr, .cport = cport,
		.vport = vport, .proto = proto, .pad = { tag, fam } };
#endif
}

static inline void
lb_conn_key_set(struct lb_conn_key *k, uint32_t caddr, uint32_t vaddr, uint16_t cport,
		uint16_t vport, uint8_t proto, uint8_t tag)
{
	lb_conn_key_fill(k, caddr, vaddr, cport, vport, proto, tag, 0);
}

/*
 * The same for an IPv6 flow: the full addresses, k->k's address words 0
 * (a lookup compares the addresses in the side array once the 16 bytes
 * matched; folding them into the key cost the parser 2 x 4 loads per packet
 * and bought nothing a 32-bit signature had not already filtered).
 */
static inline void
lb_conn_key6_set(struct lb_conn_key6 *k, const void *caddr, const void *vaddr,
		uint16_t cport, uint16_t vport, uint8_t proto, uint8_t tag)
{
	memcpy(k->caddr.v6, caddr, 16);
	memcpy(k->vaddr.v6, vaddr, 16);
	lb_conn_key_fill(&k->k, 0, 0, cport, vport, proto, tag, LB_CONN_KEY_V6);
}

struct lb_conn {
	uint32_t seq;		/* odd while the owner changes the entry */
	uint8_t state;		/* enum lb_conn_state */
	uint8_t flags;		/* LB_CONN_F_* */
	uint16_t _r0;
	struct lb_conn_key key;	/* 16 bytes */
	uint32_t dest;		/* lb_dests id */
	uint32_t expire;	/* absolute second at which it expires */
	uint32_t visit;		/* second at which the wheel visits its slot */
	uint32_t next;		/* wheel slot list, or free list */
	uint32_t prev;		/* wheel slot list (see conn.c) */
	uint32_t tmpl;		/* persistence template entry, or LB_CONN_NONE */
	uint32_t created;	/* second it was created */
	uint32_t n_control;	/* template: connections it controls */
	uint64_t pkts;		/* packets seen, for listing and defences */
} __rte_cache_aligned;

struct lb_conn_table;

/*
 * Called by lb_conn_expire() for each entry whose time has come. Returns
 * false to let it be freed, or true to keep it, after setting c->expire to a
 * later second (a persistence template that still controls connections).
 */
typedef bool (*lb_conn_expire_cb)(struct lb_conn *c, void *arg);

/*
 * Control plane, at start: a table of capacity entries (>= 1). Memory comes
 * from anonymous mappings (transparent huge pages where available), so it is
 * not limited by the EAL's memory. Returns NULL with errno set.
 */
struct lb_conn_table *lb_conn_table_create(uint32_t capacity, uint32_t now);
void lb_conn_table_free(struct lb_conn_table *ct);

uint32_t lb_conn_capacity(const struct lb_conn_table *ct);
uint32_t lb_conn_count(const struct lb_conn_table *ct);

/* Owner only: hash, prefetch, find, add. */
uint64_t lb_conn_hash(const struct lb_conn_key *k);
void lb_conn_prefetch(const struct lb_conn_table *ct, uint64_t hash);
struct lb_conn *lb_conn_lookup(struct lb_conn_table *ct, const struct lb_conn_key *k,
		uint64_t hash);

/*
 * The same lookup in two steps, for a burst: lb_conn_candidate() (buckets
 * already prefetched) finds the entry whose signature matches and
 * prefetches it; lb_conn_lookup_at(), a stage later, checks its key (and
 * looks again when there was no candidate: the key may have been inserted
 * in between).
 */
uint32_t lb_conn_candidate(const struct lb_conn_table *ct, uint64_t hash);
/* An IPv6 key's candidate: its addresses' line too. */
void lb_conn_prefetch_addr6(const struct lb_conn_table *ct, uint32_t cand);
struct lb_conn *lb_conn_lookup_at(struct lb_conn_table *ct, const struct lb_conn_key *k,
		uint64_t hash, uint32_t cand);

/*
 * A new entry for key k (not already present), in state NONE, flags USED,
 * expiring at expire; the caller fills in the rest between
 * lb_conn_write_begin/end. NULL when the table is full.
 */
struct lb_conn *lb_conn_insert(struct lb_conn_table *ct, const struct lb_conn_key *k,
		uint64_t hash, uint32_t now, uint32_t expire);

/*
 * Advance the wheel to now, freeing due entries (cb first) and moving
 * refreshed ones; at most budget units of work (an entry or a slot). Returns
 * the work done; budget not used up means the wheel has caught up with now.
 */
uint32_t lb_conn_expire(struct lb_conn_table *ct, uint32_t now, uint32_t budget,
		lb_conn_expire_cb cb, void *arg);

void lb_conn_relink(struct lb_conn_table *ct, struct lb_conn *c);

/*
 * Owner: free entry c at once, out of its wheel slot (drop_entry's eviction:
 * the slot is wanted now, not at the next visit). The caller settles what
 * the entry counted for (servers, templates) first.
 */
void lb_conn_evict(struct lb_conn_table *ct, struct lb_conn *c);

/*
 * Owner: the entry now expires at second expire. Later than before (a packet
 * refreshing its state) is one store; earlier than the wheel's visit of the
 * entry's slot (a move to a state with a shorter timeout) moves the entry to
 * an earlier slot, so that it still expires on time.
 */
static inline void
lb_conn_set_expire(struct lb_conn_table *ct, struct lb_conn *c, uint32_t expire)
{
	c->expire = expire;
	if ((int32_t)(expire - c->visit) < 0)
		lb_conn_relink(ct, c);
}

/* Owner: bracket any change readers must see whole (key, state, dest, flags). */
static inline void
lb_conn_write_begin(struct lb_conn *c)
{
	c->seq++;
	rte_smp_wmb();	/* x86: a compiler barrier; stores keep their order */
}

static inline void
lb_conn_write_end(struct lb_conn *c)
{
	rte_smp_wmb();
	c->seq++;
}

/*
 * Any thread: look key k up in a table another thread owns and copy the
 * entry into *out. Misses an entry the owner is inserting at that instant;
 * never blocks it. Memory is never freed, so a racing read is only stale.
 */
bool lb_conn_peek(const struct lb_conn_table *ct, const struct lb_conn_key *k,
		uint64_t hash, struct lb_conn *out);

/*
 * Any thread: copy entry idx into *out if it holds a connection; false if it
 * is free. Never blocks the owner; retries while the owner is mid-change.
 */
bool lb_conn_read(const struct lb_conn_table *ct, uint32_t idx, struct lb_conn *out);
/* The same, with an IPv6 entry's addresses (client, virtual) into addr6[0..1]. */
bool lb_conn_read6(const struct lb_conn_table *ct, uint32_t idx, struct lb_conn *out,
		union lb_ip addr6[2]);

/* Owner: an IPv6 entry's addresses (client, virtual). */
const union lb_ip *lb_conn_addr6(const struct lb_conn_table *ct, const struct lb_conn *c);

/* The entry at idx (tests, and the owner resolving c->tmpl). */
struct lb_conn *lb_conn_at(struct lb_conn_table *ct, uint32_t idx);
uint32_t lb_conn_index(const struct lb_conn_table *ct, const struct lb_conn *c);

#endif
