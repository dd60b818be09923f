/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The packet core timed in-process: lb_core_rx() and lb_core_expire()
 * (dataplane/worker.h), the code a worker runs on every burst, over frames
 * built in mbufs, with a virtual clock and no ports. It counts what the core
 * costs; what a driver costs is measured through a real port by
 * bench_ports.py.
 *
 * Frames: mbufs are reused, and the core rewrites their Ethernet header and
 * TTL, so each round of ROUND frames is rewritten (template copied, 5-tuple,
 * flags, IPv4 checksum) before it goes in, outside the timed part. That
 * leaves the frames in L1, as a software device (net_pcap, memif, vhost)
 * leaves what it has just copied; a NIC writes them to the LLC instead.
 * Frames carry RTE_MBUF_F_RX_IP_CKSUM_GOOD, as from a NIC that checks IPv4
 * checksums (lbd enables that offload when the port has it), except in the
 * "-swcsum" runs, where the core sums the header itself as on net_pcap.
 *
 * Timed: per burst of BURST frames, lb_core_rx() then
 * lb_core_expire(LB_EXPIRE_BUDGET), as lb_worker_loop() does; rdtsc around
 * each round of ROUND frames. Every frame must come out forwarded, or the run
 * stops: a dropped frame would be freed and could not be reused.
 *
 * Tests (one JSON object per line on stdout, one per repetition):
 *   fast N         N established flows in a table of CAPACITY entries
 *                  (default N: full), one ACK of a random flow per frame;
 *                  with a full table, also the memory per connection
 *   fast-swcsum N  the same, IPv4 header checksum summed in software
 *   fast6 N        the fast path over IPv6 flows (the first IPv6 service of
 *                  CONF; 74-byte frames, no header checksum), memory too
 *   newconn6       new connections, IPv6
 *   newconn        a SYN with a fresh 5-tuple per frame into an empty table
 *                  of NEW_CAP entries: lookup miss, schedule (wlc over 4
 *                  servers), insert, forward; the table is emptied by expiry
 *                  between repetitions, and the first is not reported
 *   mix            MIX_FLOWS concurrent flows of SYN, 8 ACKs, FIN, each
 *                  replaced by a fresh one when it ends; the clock advances
 *                  one second every MIX_TICK frames, FIN_WAIT lasts 2 s
 *                  (bench.conf), so the wheel frees entries all along
 *   l2ref          reference: only what testpmd's mac mode does to a frame
 *                  (both MACs rewritten), over the same frames
 *   memfloor N     reference: 3, then 2, random lines per packet read from a
 *                  region the size of a table of N entries; no lbd code
 *
 * usage: bench_pipeline CONF TEST [N [REPS [CAPACITY]]]   (CAPACITY: fast only)
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>

#include "control/config.h"
#include "control/model.h"
#include "dataplane/worker.h"

#define BURST		32
#define ROUND		256		/* frames rewritten, then timed, at a time */
#define FRAME_LEN	60		/* a 64-byte frame without its FCS */
#define FRAME6_LEN	74		/* Ethernet, IPv6, TCP: the smallest IPv6 segment */
#define FAST_PKTS	(16u << 20)	/* frames per repetition */
#define NEW_CAP		(4u << 20)
#define NEW_PKTS	(2u << 20)
#define MIX_CAP		(4u << 20)
#define MIX_FLOWS	65536u
#define MIX_TICK	4000000u	/* frames per virtual second */
#define MIX_WARM	4u		/* virtual seconds before measuring */
#define MIX_SECS	4u		/* virtual seconds per repetition */
#define FLOW_PKTS	10u		/* SYN, 8 ACKs, FIN */

static struct lb_conf conf;
static struct rte_mempool *pool;
static struct rte_mbuf *fr[ROUND];
static uint8_t tmpl[FRAME6_LEN];
static bool v6;			/* the IPv6 runs (fast6, newconn6) */
static uint32_t now = 1000;
static uint64_t seed = 0x9e3779b97f4a7c15ull;

static uint64_t
xorshift(void)
{
	seed ^= seed << 13;
	seed ^= seed >> 7;
	seed ^= seed << 17;
	return seed;
}

/* Flow id -> client address and port: 16384 ports per address. */
static inline uint32_t
flow_addr(uint64_t id)
{
	return rte_cpu_to_be_32(0x0b000000u + (uint32_t)(id >> 14));
}

static inline uint16_t
flow_port(uint64_t id)
{
	return rte_cpu_to_be_16((uint16_t)(1024 + (id & 16383)));
}

/* IPv6 flows: client 2001:db8:1::<id / 16384>, the same ports as IPv4's. */
static void
make_template6(void)
{
	struct rte_ether_hdr *eh = (struct rte_ether_hdr *)tmpl;
	struct rte_ipv6_hdr *ip = (struct rte_ipv6_hdr *)(eh + 1);
	struct rte_tcp_hdr *th = (struct rte_tcp_hdr *)(ip + 1);
	const struct rte_ether_addr client = {{ 2, 0, 0, 0, 0, 0xc1 }};
	const struct lb_conf_service *svc = NULL;
	static const uint8_t net[8] = { 0x20, 0x01, 0x0d, 0xb8, 0, 1 };
	uint32_t i;

	for (i = 0; i < conf.n_services && svc == NULL; i++)
		if (conf.services[i].af == AF_INET6)
			svc = &conf.services[i];
	if (svc == NULL) {
		fprintf(stderr, "bench_pipeline: no IPv6 service in the configuration\n");
		exit(1);
	}
	memset(tmpl, 0, sizeof(tmpl));
	memcpy(&eh->dst_addr, conf.ports[0].mac, RTE_ETHER_ADDR_LEN);
	eh->src_addr = client;
	eh->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV6);
	ip->vtc_flow = RTE_BE32(6u << 28);
	ip->payload_len = RTE_BE16(sizeof(*th));
	ip->proto = IPPROTO_TCP;
	ip->hop_limits = 64;
	memcpy(ip->src_addr, net, sizeof(net));
	memcpy(ip->dst_addr, svc->vip.v6, 16);
	th->dst_port = rte_cpu_to_be_16(svc->port);
	th->data_off = 5 << 4;
	th->rx_win = RTE_BE16(65535);
}

static void
make_template(void)
{
	struct rte_ether_hdr *eh = (struct rte_ether_hdr *)tmpl;
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eh + 1);
	struct rte_tcp_hdr *th = (struct rte_tcp_hdr *)(ip + 1);
	const struct rte_ether_addr client = {{ 2, 0, 0, 0, 0, 0xc1 }};

	memset(tmpl, 0, sizeof(tmpl));
	memcpy(&eh->dst_addr, conf.ports[0].mac, RTE_ETHER_ADDR_LEN);
	eh->src_addr = client;
	eh->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->total_length = RTE_BE16(sizeof(*ip) + sizeof(*th));
	ip->fragment_offset = RTE_BE16(RTE_IPV4_HDR_DF_FLAG);
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_TCP;
	ip->dst_addr = conf.services[0].vip.v4;
	th->dst_port = rte_cpu_to_be_16(conf.services[0].port);
	th->data_off = 5 << 4;
	th->rx_win = RTE_BE16(65535);
}

static inline void
build(struct rte_mbuf *m, uint64_t id, uint8_t flags)
{
	uint8_t *d = rte_pktmbuf_mtod(m, uint8_t *);
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(d + sizeof(struct rte_ether_hdr));
	struct rte_tcp_hdr *th = (struct rte_tcp_hdr *)(ip + 1);

	if (v6) {
		struct rte_ipv6_hdr *ip6 = (struct rte_ipv6_hdr *)ip;
		uint32_t host = (uint32_t)(id >> 14);

		memcpy(d, tmpl, FRAME6_LEN);
		th = (struct rte_tcp_hdr *)(ip6 + 1);
		memcpy(&ip6->src_addr[12], &host, 4);
		th->src_port = flow_port(id);
		th->tcp_flags = flags;
		return;
	}

	memcpy(d, tmpl, FRAME_LEN);
	ip->src_addr = flow_addr(id);
	th->src_port = flow_port(id);
	th->tcp_flags = flags;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
}

/* Run ROUND built frames through the core at second t; returns TSC cycles. */
static uint64_t
round_core(struct lb_worker *wk, uint32_t t)
{
	uint64_t fwd0 = wk->stats.fwd, t0, t1;
	struct lb_out out;
	uint16_t i;

	t0 = rte_rdtsc();
	for (i = 0; i < ROUND; i += BURST) {
		const struct lb_snap *snap = __atomic_load_n(&lb_snap_current, __ATOMIC_ACQUIRE);

		out.n = 0;
		lb_core_rx(wk, snap, 0, &fr[i], BURST, t, &out);
		lb_core_expire(wk, t, LB_EXPIRE_BUDGET);
	}
	t1 = rte_rdtsc();
	if (wk->stats.fwd - fwd0 != ROUND) {
		int r;

		fprintf(stderr, "bench_pipeline: %" PRIu64 " of %u frames forwarded;",
				wk->stats.fwd - fwd0, ROUND);
		for (r = 0; r < LB_DROP_COUNT; r++)
			if (wk->stats.drop[r] != 0)
				fprintf(stderr, " %s=%" PRIu64, lb_drop_name[r], wk->stats.drop[r]);
		fprintf(stderr, "\n");
		exit(1);
	}
	return t1 - t0;
}

static long
resident_bytes(void)
{
	long size = 0, res = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (f == NULL)
		return -1;
	if (fscanf(f, "%ld %ld", &size, &res) != 2)
		res = -1;
	fclose(f);
	return res < 0 ? -1 : res * sysconf(_SC_PAGESIZE);
}

static struct lb_worker *
worker(uint32_t capacity)
{
	struct lb_worker *wk = lb_worker_create(0, capacity, now, pool);

	if (wk == NULL) {
		fprintf(stderr, "bench_pipeline: cannot create a worker of %u entries\n", capacity);
		exit(1);
	}
	return wk;
}

static void
report(const char *test, uint32_t n, int rep, uint64_t pkts, uint64_t cyc, const char *extra)
{
	double cpp = (double)cyc / (double)pkts;

	printf("{\"test\": \"%s\", \"entries\": %u, \"rep\": %d, \"packets\": %" PRIu64
			", \"cycles\": %.1f, \"ns\": %.1f, \"mpps\": %.2f%s}\n", test, n, rep, pkts,
			cpp, cpp * 1e9 / (double)rte_get_tsc_hz(),
			(double)rte_get_tsc_hz() / cpp / 1e6, extra);
	fflush(stdout);
}

/* N established flows (SYN then ACK each, untimed), then ACKs of random flows. */
static void
test_fast(const char *name, uint32_t n, uint32_t cap, int reps, bool swcsum)
{
	long rss0 = resident_bytes(), rss1;
	struct lb_worker *wk = worker(cap);
	uint32_t i, j;
	int rep;

	for (i = 0; i < ROUND; i++)
		fr[i]->ol_flags = swcsum ? 0 : RTE_MBUF_F_RX_IP_CKSUM_GOOD;
	for (i = 0; i < n; i += ROUND) {
		/* a partial last round repeats flow n-1: its ACK finds it established */
		for (j = 0; j < ROUND; j++)
			build(fr[j], RTE_MIN(i + j, n - 1), RTE_TCP_SYN_FLAG);
		round_core(wk, now);
		for (j = 0; j < ROUND; j++)
			build(fr[j], RTE_MIN(i + j, n - 1), RTE_TCP_ACK_FLAG);
		round_core(wk, now);
	}
	if (lb_conn_count(wk->ct) != n) {
		fprintf(stderr, "bench_pipeline: %u entries live, %u wanted\n",
				lb_conn_count(wk->ct), n);
		exit(1);
	}
	rss1 = resident_bytes();
	/* at a full table: lbd allocates its capacity at start */
	if (!swcsum && n == cap && rss0 > 0 && rss1 > 0)
		printf("{\"test\": \"%s\", \"entries\": %u, \"bytes\": %ld, "
				"\"bytes_per_conn\": %.1f}\n", v6 ? "memory6" : "memory", n, rss1 - rss0,
				(double)(rss1 - rss0) / n);
	for (rep = 1; rep <= reps; rep++) {
		uint64_t cyc = 0, pkts;
		char extra[64];

		for (pkts = 0; pkts < FAST_PKTS; pkts += ROUND) {
			for (j = 0; j < ROUND; j++)
				build(fr[j], xorshift() % n, RTE_TCP_ACK_FLAG);
			cyc += round_core(wk, now);
		}
		snprintf(extra, sizeof(extra), ", \"capacity\": %u", cap);
		report(name, n, rep, pkts, cyc, extra);
	}
	lb_worker_free(wk);
}

/*
 * A SYN of a new 5-tuple per frame, into an empty table. One table serves
 * every repetition: between two, the clock moves past the SYN_RECV timeout
 * and the wheel empties it (untimed), so that no repetition pays for the
 * first touch of fresh memory, which in a virtual machine can cost more than
 * the table does. Repetition 0 is the one that touches it, and is not
 * reported.
 */
static void
test_newconn(const char *name, int reps)
{
	struct lb_worker *wk = worker(NEW_CAP);
	uint64_t id = 0;
	uint32_t j;
	int rep;

	for (j = 0; j < ROUND; j++)
		fr[j]->ol_flags = RTE_MBUF_F_RX_IP_CKSUM_GOOD;
	for (rep = 0; rep <= reps; rep++) {
		uint64_t cyc = 0, pkts, made = wk->stats.conn_created;
		char extra[96];

		for (pkts = 0; pkts < NEW_PKTS; pkts += ROUND) {
			for (j = 0; j < ROUND; j++)
				build(fr[j], id++, RTE_TCP_SYN_FLAG);
			cyc += round_core(wk, now);
		}
		if (wk->stats.conn_created - made != NEW_PKTS || lb_conn_count(wk->ct) != NEW_PKTS) {
			fprintf(stderr, "bench_pipeline: %" PRIu64 " connections made, %u wanted\n",
					wk->stats.conn_created - made, NEW_PKTS);
			exit(1);
		}
		snprintf(extra, sizeof(extra), ", \"capacity\": %u, \"conns_per_s\": %.0f",
				NEW_CAP, (double)rte_get_tsc_hz() * (double)pkts / (double)cyc);
		if (rep > 0)
			report(name, NEW_PKTS, rep, pkts, cyc, extra);
		/* empty the table for the next one */
		now += lb_snap_current->timeout[LB_S_SYN_RECV] + 1;
		lb_core_expire(wk, now, UINT32_MAX);
		if (lb_conn_count(wk->ct) != 0) {
			fprintf(stderr, "bench_pipeline: %u entries left after expiry\n",
					lb_conn_count(wk->ct));
			exit(1);
		}
	}
	lb_worker_free(wk);
}

struct mix_slot {
	uint64_t id;
	uint32_t k;	/* next packet of the flow: 0 SYN, 1..8 ACK, 9 FIN */
};

static void
test_mix(int reps)
{
	struct mix_slot *slot = calloc(MIX_FLOWS, sizeof(*slot));
	struct lb_worker *wk = worker(MIX_CAP);
	uint64_t next_id = 0, total = 0;
	uint32_t i, j, t0 = now;
	int rep;

	if (slot == NULL)
		exit(1);
	for (i = 0; i < MIX_FLOWS; i++)
		slot[i].id = next_id++;
	for (j = 0; j < ROUND; j++)
		fr[j]->ol_flags = RTE_MBUF_F_RX_IP_CKSUM_GOOD;
	for (rep = 0; rep <= reps; rep++) {
		uint64_t cyc = 0, pkts, created0 = wk->stats.conn_created;
		uint64_t expired0 = wk->stats.conn_expired, backlog;
		uint64_t want = (uint64_t)(rep == 0 ? MIX_WARM : MIX_SECS) * MIX_TICK;
		char extra[256];

		for (pkts = 0; pkts < want; pkts += ROUND, total += ROUND) {
			for (j = 0; j < ROUND; j++) {
				struct mix_slot *s = &slot[xorshift() % MIX_FLOWS];
				uint8_t flags = s->k == 0 ? RTE_TCP_SYN_FLAG :
					s->k == FLOW_PKTS - 1 ? RTE_TCP_FIN_FLAG | RTE_TCP_ACK_FLAG :
					RTE_TCP_ACK_FLAG;

				build(fr[j], s->id, flags);
				if (++s->k == FLOW_PKTS) {
					s->id = next_id++;
					s->k = 0;
				}
			}
			now = t0 + (uint32_t)(total / MIX_TICK);
			cyc += round_core(wk, now);
		}
		if (rep == 0)
			continue;	/* warm-up: the table reaches its steady size */
		/* what the wheel still owes at the end (the worker would do it next) */
		backlog = lb_core_expire(wk, now, UINT32_MAX);
		snprintf(extra, sizeof(extra), ", \"flows\": %u, \"tick\": %u, "
				"\"created\": %" PRIu64 ", \"expired\": %" PRIu64 ", \"live\": %u, "
				"\"capacity\": %u, \"backlog\": %" PRIu64 ", \"conns_per_s\": %.0f",
				MIX_FLOWS, MIX_TICK, wk->stats.conn_created - created0,
				wk->stats.conn_expired - expired0, lb_conn_count(wk->ct), MIX_CAP,
				backlog, (double)rte_get_tsc_hz() * (double)(wk->stats.conn_created -
					created0) / (double)cyc);
		report("mix", lb_conn_count(wk->ct), rep, pkts, cyc, extra);
	}
	lb_worker_free(wk);
	free(slot);
}

/*
 * What memory alone costs: per packet, `per` random 64-byte lines of a region
 * as large as lbd's table of n entries (96 bytes each, mapped and advised as
 * conn.c does), prefetched a burst ahead and then read, as lb_core_rx's
 * passes do. The lines are independent (lbd's entry line depends on its
 * bucket line), so this is a lower bound. No lbd code runs.
 */
static void
test_memfloor(uint32_t n, int reps)
{
	size_t len = (size_t)n * 96, nl = len / 64;
	uint8_t *mem = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			-1, 0);
	static uint64_t off[ROUND * 3];
	uint64_t sum = 0;
	uint32_t per, j;
	int rep;

	if (mem == MAP_FAILED)
		exit(1);
	madvise(mem, len, MADV_HUGEPAGE);
	memset(mem, 1, len);
	for (per = 3; per >= 2; per--) {
		for (rep = 1; rep <= reps; rep++) {
			uint64_t cyc = 0, pkts, t0;
			char name[16];

			for (pkts = 0; pkts < FAST_PKTS; pkts += ROUND) {
				for (j = 0; j < ROUND * per; j++)
					off[j] = (xorshift() % nl) * 64;
				t0 = rte_rdtsc();
				for (j = 0; j < ROUND * per; j += BURST * per) {
					uint32_t k;

					for (k = 0; k < BURST * per; k++)
						rte_prefetch0(mem + off[j + k]);
					for (k = 0; k < BURST * per; k++)
						sum += mem[off[j + k]];
				}
				cyc += rte_rdtsc() - t0;
			}
			snprintf(name, sizeof(name), "memfloor%u", per);
			report(name, n, rep, pkts, cyc, "");
		}
	}
	munmap(mem, len);
	if (sum == 0)
		exit(1);
}

/* The reference: both MACs rewritten and the frame listed for TX, no more. */
static void
test_l2ref(int reps)
{
	struct rte_ether_addr peer = {{ 2, 0, 0, 0, 0, 0x11 }}, mine;
	struct rte_mbuf *out[ROUND];
	uint32_t j;
	int rep;

	memcpy(&mine, conf.ports[0].mac, RTE_ETHER_ADDR_LEN);
	for (rep = 1; rep <= reps; rep++) {
		uint64_t cyc = 0, pkts, t0, sum = 0;

		for (pkts = 0; pkts < FAST_PKTS; pkts += ROUND) {
			for (j = 0; j < ROUND; j++)
				build(fr[j], xorshift() % 1024, RTE_TCP_ACK_FLAG);
			t0 = rte_rdtsc();
			for (j = 0; j < ROUND; j++) {
				struct rte_ether_hdr *eh = rte_pktmbuf_mtod(fr[j],
						struct rte_ether_hdr *);

				rte_ether_addr_copy(&peer, &eh->dst_addr);
				rte_ether_addr_copy(&mine, &eh->src_addr);
				out[j] = fr[j];
			}
			cyc += rte_rdtsc() - t0;
			sum += out[xorshift() % ROUND]->data_len;
		}
		if (sum == 0)
			exit(1);
		report("l2ref", 0, rep, pkts, cyc, "");
	}
}

static int
setup(const char *path)
{
	struct lb_port_info ports[LB_MAX_PORTS];
	uint32_t i;

	if (lb_conf_load(&conf, path, stderr) != 0)
		return -1;
	if (conf.n_ports < 1 || conf.n_services < 1)
		return -1;
	memset(ports, 0, sizeof(ports));
	for (i = 0; i < conf.n_ports; i++) {
		struct rte_ether_addr mac;

		memcpy(&mac, conf.ports[i].mac, RTE_ETHER_ADDR_LEN);
		ports[i].port_id = (uint16_t)i;
		lb_model_port_info(&conf.ports[i], &mac, &ports[i]);
	}
	if (lb_model_init(&conf, ports, conf.n_ports) != 0 || lb_model_publish() != 0)
		return -1;
	pool = rte_pktmbuf_pool_create("bench", 1023, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	if (pool == NULL)
		return -1;
	for (i = 0; i < ROUND; i++) {
		fr[i] = rte_pktmbuf_alloc(pool);
		if (fr[i] == NULL || rte_pktmbuf_append(fr[i], v6 ? FRAME6_LEN : FRAME_LEN) == NULL)
			return -1;
	}
	if (v6)
		make_template6();
	else
		make_template();
	return 0;
}

int
main(int argc, char **argv)
{
	/* the worker's CPU in lbd -l 0-1; CPU 0 on a one-CPU machine */
	char *lcore = sysconf(_SC_NPROCESSORS_ONLN) > 1 ? "1" : "0";
	/* DPDK 22.11: --no-huge implies legacy memory, which --in-memory refuses. */
	char *eal[] = { argv[0], "--no-huge", "--no-shconf", "--no-pci", "-l", lcore,
		"-m", "256", "--log-level=*:error", "--no-telemetry", NULL };
	const char *test;
	uint32_t n, cap;
	int reps;
	uint64_t over = 0;
	int i;

	if (argc < 3) {
		fprintf(stderr, "usage: %s CONF fast|fast-swcsum|fast6|newconn|newconn6|mix|l2ref|"
				"memfloor [N [REPS [CAP]]]\n",
				argv[0]);
		return 2;
	}
	test = argv[2];
	n = argc > 3 ? (uint32_t)strtoul(argv[3], NULL, 0) : 1u << 20;
	reps = argc > 4 ? atoi(argv[4]) : 3;
	cap = argc > 5 ? (uint32_t)strtoul(argv[5], NULL, 0) : n;
	if (n == 0 || reps < 1 || cap < n)
		return 2;
	if (rte_eal_init((int)RTE_DIM(eal) - 1, eal) < 0)
		return 1;
	v6 = strcmp(test, "fast6") == 0 || strcmp(test, "newconn6") == 0;
	if (setup(argv[1]) != 0) {
		fprintf(stderr, "bench_pipeline: set-up failed\n");
		return 1;
	}
	/* what one timing costs, spread over a round */
	for (i = 0; i < 1000; i++) {
		uint64_t a = rte_rdtsc();

		over += rte_rdtsc() - a;
	}
	printf("{\"test\": \"info\", \"tsc_hz\": %" PRIu64 ", \"lcore\": %s, "
			"\"rdtsc_per_pkt\": %.2f}\n", rte_get_tsc_hz(), lcore,
			(double)over / 1000 / ROUND);
	if (strcmp(test, "fast") == 0)
		test_fast("fast", n, cap, reps, false);
	else if (strcmp(test, "fast-swcsum") == 0)
		test_fast("fast-swcsum", n, cap, reps, true);
	else if (strcmp(test, "fast6") == 0)
		test_fast("fast6", n, cap, reps, false);
	else if (strcmp(test, "newconn") == 0 || strcmp(test, "newconn6") == 0)
		test_newconn(test, reps);
	else if (strcmp(test, "mix") == 0)
		test_mix(reps);
	else if (strcmp(test, "l2ref") == 0)
		test_l2ref(reps);
	else if (strcmp(test, "memfloor") == 0)
		test_memfloor(n, reps);
	else {
		fprintf(stderr, "bench_pipeline: unknown test '%s'\n", test);
		return 2;
	}
	lb_model_fini();
	lb_conf_free(&conf);
	return 0;
}
