/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Connection-table lookup: lbd's table (dataplane/conn.c) against DPDK's
 * rte_hash in its lock-free reader mode, the alternative a DPDK engineer
 * would reach for. Same keys, same random lookup order, bursts of 32 with
 * each side's best bulk/prefetch path; cycles per lookup by rdtsc. The
 * figure is quoted in conn.h's design comment and in docs/benchmarks.md.
 *
 * usage: bench_conn [entries] (default 1048576)
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>

#include "dataplane/conn.h"

#define BURST 32
#ifndef LF_FLAGS
#define LF_FLAGS RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF
#endif

static uint64_t
xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

int
main(int argc, char **argv)
{
	char *eal[] = { argv[0], "--no-huge", "--no-shconf", "--no-pci", "-l", "0", "-m", "2048",
		"--log-level=*:error", "--no-telemetry", NULL };
	uint32_t n = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 0) : 1u << 20;
	uint32_t lookups = 8u << 20, i, j, found_ours = 0, found_theirs = 0;
	struct lb_conn_key *keys;
	uint32_t *order;
	struct lb_conn_table *ct;
	struct rte_hash *h;
	struct lb_conn *c;
	uint64_t seed = 88172645463325252ull, t0, ours, theirs;
	struct rte_hash_parameters hp = {
		.name = "bench", .entries = n + n / 4, .key_len = sizeof(struct lb_conn_key),
		.hash_func = rte_hash_crc, .socket_id = 0,
		.extra_flag = LF_FLAGS,
	};

	if (rte_eal_init((int)RTE_DIM(eal) - 1, eal) < 0)
		return 1;
	keys = calloc(n, sizeof(*keys));
	order = calloc(lookups, sizeof(*order));
	ct = lb_conn_table_create(n, 1);
	h = rte_hash_create(&hp);
	if (keys == NULL || order == NULL || ct == NULL || h == NULL) {
		fprintf(stderr, "allocation failed\n");
		return 1;
	}
	for (i = 0; i < n; i++) {
		uint64_t r = xorshift(&seed);

		keys[i].caddr = (uint32_t)r;
		keys[i].vaddr = 0x6400000a;
		keys[i].cport = (uint16_t)(r >> 32);
		keys[i].vport = 0x5000;
		keys[i].proto = 6;
		if (lb_conn_lookup(ct, &keys[i], lb_conn_hash(&keys[i])) != NULL) {
			i--;	/* duplicate key: draw again */
			continue;
		}
		c = lb_conn_insert(ct, &keys[i], lb_conn_hash(&keys[i]), 1, 100);
		/* rte_hash's data: the entry's index (+1, so never NULL) */
		if (c == NULL || rte_hash_add_key_data(h, &keys[i],
					(void *)(uintptr_t)(lb_conn_index(ct, c) + 1)) < 0) {
			fprintf(stderr, "insert %u failed\n", i);
			return 1;
		}
	}
	for (i = 0; i < lookups; i++)
		order[i] = (uint32_t)(xorshift(&seed) % n);

	/* lbd: hash and prefetch a burst, then look it up */
	t0 = rte_rdtsc();
	for (i = 0; i < lookups; i += BURST) {
		uint64_t hs[BURST];
		uint32_t cand[BURST];

		for (j = 0; j < BURST; j++) {
			hs[j] = lb_conn_hash(&keys[order[i + j]]);
			lb_conn_prefetch(ct, hs[j]);
		}
		for (j = 0; j < BURST; j++)
			cand[j] = lb_conn_candidate(ct, hs[j]);
		for (j = 0; j < BURST; j++)
			found_ours += lb_conn_lookup_at(ct, &keys[order[i + j]], hs[j], cand[j]) != NULL;
	}
	ours = rte_rdtsc() - t0;

	/* rte_hash: its bulk lookup does its own pipelining */
	t0 = rte_rdtsc();
	for (i = 0; i < lookups; i += BURST) {
		const void *kp[BURST];
		void *data[BURST];
		uint64_t hits = 0;

		for (j = 0; j < BURST; j++)
			kp[j] = &keys[order[i + j]];
		rte_hash_lookup_bulk_data(h, kp, BURST, &hits, data);
		/* lbd would then read its entry: count that line too */
		for (j = 0; j < BURST; j++)
			rte_prefetch0(lb_conn_at(ct, (uint32_t)(uintptr_t)data[j] - 1));
		for (j = 0; j < BURST; j++)
			found_theirs += lb_conn_at(ct, (uint32_t)(uintptr_t)data[j] - 1)->flags != 0;
	}
	theirs = rte_rdtsc() - t0;

	if (found_ours != lookups || found_theirs != lookups) {
		fprintf(stderr, "lookups missed: %u, %u of %u\n", lookups - found_ours,
				lookups - found_theirs, lookups);
		return 1;
	}
	printf("entries %u: lbd conn table %.1f cycles/lookup, rte_hash (lock-free) %.1f"
			" cycles/lookup, ratio %.2f\n", n, (double)ours / lookups,
			(double)theirs / lookups, (double)theirs / (double)ours);
	return 0;
}
