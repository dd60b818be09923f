/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Mass expiry: N entries of lbd's connection table (dataplane/conn.c) all
 * expire in the same second; the worker drains them LB_EXPIRE_BUDGET units
 * per loop iteration, as lb_worker_loop does. Prints the longest and the
 * 99.9th-percentile time of one lb_conn_expire() call, the number of calls
 * and the total drain time. docs/benchmarks.md quotes the figures.
 *
 * usage: bench_expire [entries] (default 1048576)
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_eal.h>

#include "dataplane/conn.h"
#include "dataplane/worker.h"

static uint64_t
xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* What lbd's expiry callback does for a plain connection: it is released. */
static bool
expired(struct lb_conn *c, void *arg)
{
	(*(uint64_t *)arg)++;
	(void)c;
	return false;
}

int
main(int argc, char **argv)
{
	char *eal[] = { argv[0], "--no-huge", "--no-shconf", "--no-pci", "-l", "0", "-m", "2048",
		"--log-level=*:error", "--no-telemetry", NULL };
	uint32_t n = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 0) : 1u << 20;
	uint64_t seed = 88172645463325252ull, released = 0, *calls, t_all, hz;
	struct lb_conn_table *ct;
	size_t n_calls = 0, cap;
	uint32_t i, now = 1000, timeout = 60;

	if (rte_eal_init((int)RTE_DIM(eal) - 1, eal) < 0)
		return 1;
	hz = rte_get_tsc_hz();
	ct = lb_conn_table_create(n + n / 8, now);
	cap = (size_t)n / 16 + 1024;
	calls = calloc(cap, sizeof(*calls));
	if (ct == NULL || calls == NULL) {
		fprintf(stderr, "allocation failed\n");
		return 1;
	}
	for (i = 0; i < n; i++) {
		struct lb_conn_key k = { 0 };
		uint64_t r = xorshift(&seed);

		k.caddr = (uint32_t)r;
		k.cport = (uint16_t)(r >> 32);
		k.vaddr = 0x6400000a;
		k.vport = 0x5000;
		k.proto = 6;
		if (lb_conn_lookup(ct, &k, lb_conn_hash(&k)) != NULL ||
				lb_conn_insert(ct, &k, lb_conn_hash(&k), now, now + timeout) == NULL) {
			i--;	/* a duplicate key: draw again */
			continue;
		}
	}
	/* The seconds before: nothing to do but turn the wheel. */
	for (now = 1001; now < 1000 + timeout; now++)
		lb_conn_expire(ct, now, LB_EXPIRE_BUDGET, expired, &released);

	t_all = rte_rdtsc();
	while (lb_conn_count(ct) > 0) {
		uint64_t t = rte_rdtsc();

		lb_conn_expire(ct, now, LB_EXPIRE_BUDGET, expired, &released);
		if (n_calls < cap)
			calls[n_calls++] = rte_rdtsc() - t;
	}
	t_all = rte_rdtsc() - t_all;
	qsort(calls, n_calls, sizeof(*calls), cmp_u64);
	printf("entries %u\n", n);
	printf("budget_per_call %u\n", LB_EXPIRE_BUDGET);
	printf("calls %zu\n", n_calls);
	printf("released %" PRIu64 "\n", released);
	printf("drain_ms %.1f\n", (double)t_all * 1e3 / (double)hz);
	printf("call_p50_us %.1f\n", (double)calls[n_calls / 2] * 1e6 / (double)hz);
	printf("call_p999_us %.1f\n", (double)calls[n_calls * 999 / 1000] * 1e6 / (double)hz);
	printf("call_max_us %.1f\n", (double)calls[n_calls - 1] * 1e6 / (double)hz);
	return released == n ? 0 : 1;
}
