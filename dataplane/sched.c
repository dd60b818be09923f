/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The IPVS schedulers (see sched.h): rr wrr lc wlc sed nq walk the server list
 * on every pick; sh and mh look the client up in a table that
 * lb_sched_build() fills on the control plane, so the worker does no more
 * than a hash and a load or two.
 *
 * Every pick reads weights and the overload flag live, so a server that has
 * just become unavailable is never chosen, even from a table built before.
 *
 * wrr is IPVS's interleaving, with one shortcut: IPVS lowers the current weight
 * one gcd step per pass over the list, even when no available server is that
 * heavy (all the heavy ones overloaded), and picks nothing on such passes. Here
 * those passes are skipped arithmetically, which gives the same sequence with
 * at most two passes per pick instead of max_weight/gcd.
 *
 * Hashes are murmur3's 32-bit finaliser applied twice (address, then port),
 * on host-order values: every director, whatever its CPU, sends a client to
 * the same server. When the sh or mh slot of a client is unavailable and the
 * fallback flag is set, the client is rehashed with another seed, up to
 * FALLBACK_REHASHES times, then the table is walked on from the last slot
 * tried (bounded: a worker never searches long). IPVS rehashes the same way
 * for mh, but for sh walks the table from a point derived from the first
 * bucket: the clients of a failed server, whose buckets are consecutive, then
 * land on the few servers owning the buckets after those points; rehashing
 * spreads them over all the others by their share of buckets.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane/sched.h"

#define NO_DEST			UINT16_MAX	/* free table slot during a build */
#define FALLBACK_REHASHES	32u
#define MH_TURN_BITS		6	/* IPVS: a server claims < 64 slots in a row */

/* Seeds of the hashes: client slot, then the server's Maglev offset and skip. */
#define SEED_CLIENT		0x2545f491u
#define SEED_OFFSET		0x9e3779b9u
#define SEED_SKIP		0x85ebca77u
#define SEED_STEP		0x61c88647u	/* between fallback rehashes */

static const char *const sched_names[LB_SCHED_COUNT] = {
	[LB_SCHED_RR] = "rr",
	[LB_SCHED_WRR] = "wrr",
	[LB_SCHED_LC] = "lc",
	[LB_SCHED_WLC] = "wlc",
	[LB_SCHED_SED] = "sed",
	[LB_SCHED_NQ] = "nq",
	[LB_SCHED_SH] = "sh",
	[LB_SCHED_MH] = "mh",
};

int
lb_sched_from_name(const char *name)
{
	int k;

	if (name == NULL)
		return -1;
	for (k = 0; k < LB_SCHED_COUNT; k++)
		if (strcmp(sched_names[k], name) == 0)
			return k;
	return -1;
}

const char *
lb_sched_name(enum lb_sched_kind kind)
{
	return (unsigned int)kind < LB_SCHED_COUNT ? sched_names[kind] : NULL;
}

/* ipvsadm -b names each flag after the one scheduler it applies to. */
static const struct sched_flag_name {
	enum lb_sched_kind kind;
	const char *name;
	int flag;
} sched_flag_names[] = {
	{ LB_SCHED_SH, "sh-fallback", LB_SCHED_F_FALLBACK },
	{ LB_SCHED_SH, "sh-port", LB_SCHED_F_PORT },
	{ LB_SCHED_MH, "mh-fallback", LB_SCHED_F_FALLBACK },
	{ LB_SCHED_MH, "mh-port", LB_SCHED_F_PORT },
};

int
lb_sched_flag_from_name(enum lb_sched_kind kind, const char *name)
{
	size_t i;

	if (name == NULL)
		return -1;
	for (i = 0; i < sizeof(sched_flag_names) / sizeof(sched_flag_names[0]); i++)
		if (sched_flag_names[i].kind == kind &&
				strcmp(sched_flag_names[i].name, name) == 0)
			return sched_flag_names[i].flag;
	return -1;
}

static inline bool
dest_available(const struct lb_sched_dest *d)
{
	return d->weight > 0 &&
		(__atomic_load_n(&d->flags, __ATOMIC_RELAXED) & LB_SDEST_F_OVERLOAD) == 0;
}

static uint32_t
gcd32(uint32_t a, uint32_t b)
{
	while (b != 0) {
		uint32_t t = a % b;

		a = b;
		b = t;
	}
	return a;
}

static inline uint32_t
fmix32(uint32_t h)
{
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	h ^= h >> 16;
	return h;
}

/* addr and port in network order, as packets and lb_sched_dest carry them. */
static inline uint32_t
hash_addr_port(uint32_t addr, uint16_t port, uint32_t seed)
{
	return fmix32(fmix32(ntohl(addr) ^ seed) + ntohs(port));
}

static void
sh_fill(const struct lb_sched_svc *svc, uint16_t *table)
{
	uint32_t pos = 0, used = 0, b;

	/* The caller made sure some server has a positive weight. */
	for (b = 0; b < LB_SH_TABLE_SIZE; b++) {
		while (svc->dest[pos].weight == 0)
			pos = (pos + 1) % svc->n;
		table[b] = (uint16_t)pos;
		if (++used >= svc->dest[pos].weight) {
			used = 0;
			pos = (pos + 1) % svc->n;
		}
	}
}

struct mh_setup {
	uint32_t next;		/* next slot this server would like */
	uint32_t skip;
	uint32_t turns;		/* slots claimed in a row, 0 = none at all */
};

/*
 * Maglev population over last_weight rather than weight, as IPVS does: a
 * server set to weight 0 keeps its slots, so no other server's clients move;
 * the lookup skips it while it is unavailable.
 */
static int
mh_fill(const struct lb_sched_svc *svc, uint16_t *table, uint32_t g)
{
	const uint32_t m = LB_MH_TABLE_SIZE;
	struct mh_setup *su;
	uint32_t i, pos, turn, filled, max = 0, shift = 0;

	su = calloc(svc->n, sizeof(*su));
	if (su == NULL)
		return -ENOMEM;
	for (i = 0; i < svc->n; i++)
		if (svc->dest[i].last_weight / g > max)
			max = svc->dest[i].last_weight / g;
	/* Scale huge weight ratios down so light servers still get turns. */
	if (32 - __builtin_clz(max) > MH_TURN_BITS)
		shift = 32 - __builtin_clz(max) - MH_TURN_BITS;
	for (i = 0; i < svc->n; i++) {
		const struct lb_sched_dest *d = &svc->dest[i];
		uint32_t lw = d->last_weight;

		su[i].next = hash_addr_port(d->addr, d->port, SEED_OFFSET) % m;
		su[i].skip = hash_addr_port(d->addr, d->port, SEED_SKIP) % (m - 1) + 1;
		su[i].turns = (lw / g) >> shift;
		if (su[i].turns == 0 && lw != 0)
			su[i].turns = 1;
	}

	for (i = 0; i < m; i++)
		table[i] = NO_DEST;
	/* m is prime and 0 < skip < m: each server's walk visits every slot, so
	 * it always reaches a free one while some are left. */
	pos = 0;
	turn = 0;
	for (filled = 0; filled < m; ) {
		struct mh_setup *s = &su[pos];

		if (s->turns == 0) {
			pos = (pos + 1) % svc->n;
			continue;
		}
		while (table[s->next] != NO_DEST) {
			s->next += s->skip;
			if (s->next >= m)
				s->next -= m;
		}
		table[s->next] = (uint16_t)pos;
		filled++;
		if (++turn >= s->turns) {
			turn = 0;
			pos = (pos + 1) % svc->n;
		}
	}
	free(su);
	return 0;
}

int
lb_sched_build(struct lb_sched_svc *svc)
{
	uint32_t i, g = 0, mw = 0, lg = 0, size;
	uint16_t *table;
	int ret;

	if (svc == NULL || (unsigned int)svc->kind >= LB_SCHED_COUNT ||
			(svc->n > 0 && svc->dest == NULL) ||
			(svc->flags & ~(LB_SCHED_F_FALLBACK | LB_SCHED_F_PORT)) != 0)
		return -EINVAL;
	svc->table = NULL;
	svc->table_size = 0;
	/* IPVS weights are ints; wrr keeps them in int32_t. */
	for (i = 0; i < svc->n; i++) {
		const struct lb_sched_dest *d = &svc->dest[i];

		if (d->weight > INT32_MAX || d->last_weight > INT32_MAX)
			return -EINVAL;
		if (d->weight > 0)
			g = gcd32(d->weight, g);
		if (d->weight > mw)
			mw = d->weight;
		if (d->last_weight > 0)
			lg = gcd32(d->last_weight, lg);
	}
	svc->wrr_gcd = (int32_t)g;
	svc->wrr_max = (int32_t)mw;

	if (svc->kind != LB_SCHED_SH && svc->kind != LB_SCHED_MH)
		return 0;
	/* Slots hold positions as uint16_t, NO_DEST excluded; IPVS refuses more
	 * mh servers than slots. */
	if (svc->n >= NO_DEST || (svc->kind == LB_SCHED_MH && svc->n > LB_MH_TABLE_SIZE))
		return -EINVAL;
	/* With nobody to put in it, the table stays absent and picks fail. */
	if ((svc->kind == LB_SCHED_SH && g == 0) || (svc->kind == LB_SCHED_MH && lg == 0))
		return 0;

	size = svc->kind == LB_SCHED_SH ? LB_SH_TABLE_SIZE : LB_MH_TABLE_SIZE;
	table = malloc(size * sizeof(*table));
	if (table == NULL)
		return -ENOMEM;
	if (svc->kind == LB_SCHED_SH) {
		sh_fill(svc, table);
	} else {
		ret = mh_fill(svc, table, lg);
		if (ret < 0) {
			free(table);
			return ret;
		}
	}
	svc->table = table;
	svc->table_size = size;
	return 0;
}

void
lb_sched_free(struct lb_sched_svc *svc)
{
	if (svc == NULL)
		return;
	free(svc->table);
	svc->table = NULL;
	svc->table_size = 0;
}

static int
pick_rr(const struct lb_sched_svc *svc, struct lb_sched_state *st)
{
	uint32_t n = svc->n, i, k;

	if (n == 0)
		return -1;
	/* Start after the last pick and come back to it last, as IPVS does. */
	i = st->last % n;
	for (k = 0; k < n; k++) {
		if (dest_available(&svc->dest[i])) {
			st->last = i + 1;
			return (int)i;
		}
		if (++i == n)
			i = 0;
	}
	return -1;
}

/* The current weight of the next pass, skipping passes that cannot pick. */
static int64_t
wrr_next_cw(int64_t cw, int64_t g, int64_t mw, int64_t top)
{
	cw -= g;
	if (cw <= 0)
		cw = mw;
	if (cw > top)
		cw -= (cw - top + g - 1) / g * g;
	/* Only a gcd that does not divide the weights (svc not rebuilt after a
	 * change) gets here; any positive value keeps the scan finite. */
	if (cw <= 0)
		cw = top;
	return cw;
}

static int
pick_wrr(const struct lb_sched_svc *svc, struct lb_sched_state *st)
{
	uint32_t n = svc->n, i;
	int64_t g = svc->wrr_gcd > 0 ? svc->wrr_gcd : 1;
	int64_t mw = svc->wrr_max, top = 0, cw;
	uint64_t step;

	/* The heaviest available server bounds the search: a pass at cw <= top
	 * always finds it. */
	for (i = 0; i < n; i++)
		if (dest_available(&svc->dest[i]) && svc->dest[i].weight > top)
			top = svc->dest[i].weight;
	if (top == 0)
		return -1;
	if (mw < top)
		mw = top;

	/* cw 0 is the initial state. Above mw, the weights dropped since st was
	 * last used: clamp to the new maximum, as IPVS does on an update (IPVS
	 * also goes back to the head of the list; keeping the position spares
	 * the servers after it a turn's wait). */
	cw = st->cw;
	if (cw <= 0 || cw > mw)
		cw = mw;
	i = st->last < n ? st->last : n;
	for (step = 0; step < 2 * (uint64_t)n + 2; step++) {
		const struct lb_sched_dest *d;

		if (i == n) {
			i = 0;
			cw = wrr_next_cw(cw, g, mw, top);
			continue;
		}
		d = &svc->dest[i++];
		if (dest_available(d) && d->weight >= cw) {
			st->last = i;
			st->cw = (int32_t)cw;
			return (int)(i - 1);
		}
	}
	/* Flags changed under us and nothing is left. */
	return -1;
}

/*
 * lc, wlc, sed and nq: the least cost per unit of weight, first in list order
 * on ties. Costs are compared by cross-multiplication in 128 bits: a 40-bit lc
 * overhead times a 31-bit weight does not fit in 64.
 */
static int
pick_least(const struct lb_sched_svc *svc, const struct lb_sched_count *cnt)
{
	enum lb_sched_kind kind = svc->kind;
	uint64_t best_cost = 0, best_w = 0;
	int best = -1;
	uint32_t i;

	for (i = 0; i < svc->n; i++) {
		const struct lb_sched_dest *d = &svc->dest[i];
		uint64_t cost, w = d->weight;

		if (!dest_available(d))
			continue;
		if (kind == LB_SCHED_NQ && cnt[i].active == 0)
			return (int)i;
		if (kind == LB_SCHED_LC || kind == LB_SCHED_WLC) {
			cost = ((uint64_t)cnt[i].active << 8) + cnt[i].inactive;
		} else {
			cost = (uint64_t)cnt[i].active + 1;
		}
		if (kind == LB_SCHED_LC)
			w = 1;
		if (best < 0 || (unsigned __int128)cost * best_w <
				(unsigned __int128)best_cost * w) {
			best = (int)i;
			best_cost = cost;
			best_w = w;
		}
	}
	return best;
}

static inline int
slot_dest(const struct lb_sched_svc *svc, uint32_t slot)
{
	uint16_t pos = svc->table[slot];

	return dest_available(&svc->dest[pos]) ? pos : -1;
}

static int
pick_table(const struct lb_sched_svc *svc, uint32_t caddr, uint16_t cport)
{
	uint32_t size = svc->table_size, slot, k;
	int pos;

	if (svc->table == NULL || size == 0)
		return -1;
	if ((svc->flags & LB_SCHED_F_PORT) == 0)
		cport = 0;
	slot = hash_addr_port(caddr, cport, SEED_CLIENT) % size;
	pos = slot_dest(svc, slot);
	if (pos >= 0 || (svc->flags & LB_SCHED_F_FALLBACK) == 0)
		return pos;

	/* Cheap way out before the long search when nothing is up at all. */
	for (k = 0; k < svc->n; k++)
		if (dest_available(&svc->dest[k]))
			break;
	if (k == svc->n)
		return -1;
	for (k = 1; k <= FALLBACK_REHASHES; k++) {
		slot = hash_addr_port(caddr, cport, SEED_CLIENT + k * SEED_STEP) % size;
		pos = slot_dest(svc, slot);
		if (pos >= 0)
			return pos;
	}
	/* Few slots are up: walk on, bounded by the table size. */
	for (k = 0; k < size; k++) {
		if (++slot == size)
			slot = 0;
		pos = slot_dest(svc, slot);
		if (pos >= 0)
			return pos;
	}
	return -1;
}

int
lb_sched_pick(const struct lb_sched_svc *svc, struct lb_sched_state *st,
		const struct lb_sched_count *cnt, uint32_t caddr, uint16_t cport)
{
	switch (svc->kind) {
	case LB_SCHED_RR:
		return pick_rr(svc, st);
	case LB_SCHED_WRR:
		return pick_wrr(svc, st);
	case LB_SCHED_LC:
	case LB_SCHED_WLC:
	case LB_SCHED_SED:
	case LB_SCHED_NQ:
		return pick_least(svc, cnt);
	case LB_SCHED_SH:
	case LB_SCHED_MH:
		return pick_table(svc, caddr, cport);
	default:
		return -1;
	}
}
