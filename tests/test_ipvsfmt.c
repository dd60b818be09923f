/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Golden tests of lbadm's listings: control/lbadm/ipvsfmt.c fed the data that
 * tests/golden/write_fixtures.py renders from ipvsadm's printf formats, and
 * compared byte for byte (trailing spaces included) with the .txt files of tests/golden.
 *   test_ipvsfmt GOLDEN_DIR
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "control/lbadm/ipvsfmt.h"
#include "dataplane/sched.h"
#include "dataplane/tcp_state.h"

static const char *golden_dir;

/* An address of either family, and its family: IPv6 when it has a ':'. */
static uint8_t
af_of(const char *s)
{
	return strchr(s, ':') != NULL ? AF_INET6 : AF_INET;
}

static union lb_ip
ip(const char *s)
{
	union lb_ip a = { .w = { 0, 0 } };

	if (af_of(s) == AF_INET6)
		assert_int_equal(inet_pton(AF_INET6, s, a.v6), 1);
	else
		assert_int_equal(inet_pton(AF_INET, s, &a.v4), 1);
	return a;
}

/* An IPv4 mask in network order, as lb_api_svc.netmask holds it. */
static uint32_t
mask4(const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a.s_addr;
}

static struct lb_api_stats
stats(uint64_t k)
{
	struct lb_api_stats s = {
		.conns = k, .inpkts = k * 10 + 1, .inbytes = k * 1000 + 7,
		.cps = k % 1000, .inpps = k % 100000, .inbps = k * 8,
	};
	return s;
}

/* The blob of a SVC_LIST reply, in the fixture's (unsorted) order; aligned
 * as lbadm's malloc'd replies are (union lb_ip holds 64-bit words). */
static uint8_t blob[4096] __attribute__((aligned(8)));
static size_t blob_len;

static void
put_svc(uint8_t proto, const char *vip, uint16_t port, const char *sched, uint32_t persistent,
		const char *mask, uint32_t sflags, uint64_t k, uint32_t n_dests)
{
	struct lb_api_svc s;

	memset(&s, 0, sizeof(s));
	s.key.proto = proto;
	s.key.af = af_of(vip);
	s.key.vip = ip(vip);
	s.key.port = port;
	snprintf(s.sched, sizeof(s.sched), "%s", sched);
	s.sched_flags = sflags;
	if (persistent) {
		s.flags = LB_API_SVC_F_PERSISTENT;
		s.timeout = persistent;
	}
	/* IPv6: a prefix length, "64" */
	s.netmask = s.key.af == AF_INET6 ? (uint32_t)atoi(mask) : mask4(mask);
	s.n_dests = n_dests;
	s.stats = stats(k);
	memcpy(blob + blob_len, &s, sizeof(s));
	blob_len += sizeof(s);
}

static void
put_dest(const char *addr, uint16_t port, uint32_t w, uint32_t ut, uint32_t lt, uint32_t act,
		uint32_t inact, uint32_t pers, uint64_t k)
{
	struct lb_api_dest d;

	memset(&d, 0, sizeof(d));
	d.af = af_of(addr);
	d.addr = ip(addr);
	d.port = port;
	d.fwd = LB_API_FWD_ROUTE;
	d.weight = w;
	d.u_threshold = ut;
	d.l_threshold = lt;
	d.active = act;
	d.inactive = inact;
	d.persist = pers;
	d.stats = stats(k);
	memcpy(blob + blob_len, &d, sizeof(d));
	blob_len += sizeof(d);
}

/* The same three services as write_fixtures.py; returns where each starts. */
static size_t svc_at[3];

static void
build_blob(void)
{
	blob_len = 0;
	svc_at[0] = blob_len;
	put_svc(IPPROTO_UDP, "10.0.0.100", 53, "rr", 360, "255.255.255.0", 0, 99999999, 1);
	put_dest("10.0.1.12", 53, 2, 0, 0, 0, 17, 3, 100000000ULL);
	svc_at[1] = blob_len;
	put_svc(IPPROTO_TCP, "10.0.0.100", 80, "wlc", 0, "255.255.255.255", 0, 999999999ULL, 3);
	put_dest("10.0.1.12", 80, 1, 100, 50, 3, 1, 0, 1000000000ULL);
	put_dest("10.0.1.11", 80, 3, 0, 0, 12, 4, 0, 99999999999ULL);
	put_dest("10.0.1.2", 80, 0, 0, 0, 0, 0, 0, 100000000000ULL);
	svc_at[2] = blob_len;
	put_svc(IPPROTO_TCP, "192.168.7.1", 443, "mh", 1800, "255.255.0.0",
		LB_SCHED_F_FALLBACK | LB_SCHED_F_PORT, 100000000000000ULL, 1);
	put_dest("192.168.8.10", 443, 65535, 0, 0, 4294967295u, 0, 0, 0);
}

/* write_fixtures.py's SERVICES6: IPv6 services, an IPv4 one among them. */
static size_t svc6_at[6];

static void
build_blob6(void)
{
	blob_len = 0;
	svc6_at[0] = blob_len;
	put_svc(IPPROTO_UDP, "2001:db8::100", 53, "rr", 360, "64", 0, 99999999, 1);
	put_dest("2001:db8::12", 53, 2, 0, 0, 0, 17, 3, 100000000ULL);
	svc6_at[1] = blob_len;
	put_svc(IPPROTO_TCP, "2001:db8::100", 80, "wlc", 0, "128", 0, 999999999ULL, 4);
	put_dest("2001:db8::12", 80, 1, 100, 50, 3, 1, 0, 1000000000ULL);
	put_dest("2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff", 80, 3, 0, 0, 12, 4, 0,
		99999999999ULL);
	put_dest("fd00::1", 80, 0, 0, 0, 0, 0, 0, 100000000000ULL);
	put_dest("2001:db8::11", 80, 5, 7, 2, 1, 2, 9, 42);
	svc6_at[2] = blob_len;
	put_svc(IPPROTO_TCP, "10.0.0.100", 80, "wrr", 0, "255.255.255.255", 0, 7, 1);
	put_dest("10.0.1.11", 80, 1, 0, 0, 0, 0, 0, 0);
	svc6_at[3] = blob_len;
	put_svc(IPPROTO_TCP, "fd00:1:2:3:4:5:6:7", 443, "mh", 1800, "128",
		LB_SCHED_F_FALLBACK | LB_SCHED_F_PORT, 100000000000000ULL, 1);
	put_dest("fd00:1:2:3:4:5:6:8", 443, 65535, 0, 0, 4294967295u, 0, 0, 0);
	svc6_at[4] = blob_len;
	put_svc(IPPROTO_TCP, "2001:db8:1234:5678:9abc:def0:1234:5678", 8080, "sh", 300, "48", 0,
		123456789, 1);
	put_dest("2001:db8:1234:5678:9abc:def0:1234:9999", 8080, 1, 0, 0, 0, 0, 1, 5);
	svc6_at[5] = blob_len;
}

/* The header shows the IPVS version lbd implements, not lbd's own. */
static const struct lb_api_info info = {
	.version_code = LB_API_IPVS_VERSION,
	.conn_tab_size = 1048576,
	.version = "0.1.0",
};

static char *
slurp(const char *name, size_t *len)
{
	char path[512];
	FILE *f;
	char *buf;
	long n;

	snprintf(path, sizeof(path), "%s/%s", golden_dir, name);
	f = fopen(path, "rb");
	if (f == NULL)
		fail_msg("cannot open %s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return buf;
}

/* Compare what the formatter wrote with the golden file, line by line. */
static void
check_golden(const char *name, char *got, size_t got_len)
{
	size_t want_len;
	char *want = slurp(name, &want_len);

	if (got_len != want_len || memcmp(got, want, want_len) != 0) {
		size_t i = 0, line = 1;

		while (i < got_len && i < want_len && got[i] == want[i]) {
			if (got[i] == '\n')
				line++;
			i++;
		}
		print_error("%s differs at line %zu (byte %zu)\n--- want\n%s--- got\n%s",
			name, line, i, want, got);
		free(want);
		free(got);
		fail();
	}
	free(want);
	free(got);
}

#define CAPTURE(f, buf, len) \
	char *buf = NULL; size_t len = 0; FILE *f = open_memstream(&buf, &len); \
	assert_non_null(f)

static void
golden_list_of(void (*build)(void), const char *name, unsigned int format, bool version)
{
	CAPTURE(f, buf, len);

	build();
	assert_int_equal(lb_fmt_services(f, &info, blob, blob_len, format | LB_FMT_NUMERIC,
			version), 0);
	fclose(f);
	check_golden(name, buf, len);
}

static void
golden_list(const char *name, unsigned int format, bool version)
{
	golden_list_of(build_blob, name, format, version);
}

static void test_list(void **s) { (void)s; golden_list("list.txt", 0, true); }
static void test_stats(void **s) { (void)s; golden_list("list_stats.txt", LB_FMT_STATS, true); }
static void test_stats_exact(void **s)
{
	(void)s;
	golden_list("list_stats_exact.txt", LB_FMT_STATS | LB_FMT_EXACT, true);
}
static void test_rate(void **s) { (void)s; golden_list("list_rate.txt", LB_FMT_RATE, true); }
static void test_rate_exact(void **s)
{
	(void)s;
	golden_list("list_rate_exact.txt", LB_FMT_RATE | LB_FMT_EXACT, true);
}
static void test_thresholds(void **s)
{
	(void)s;
	golden_list("list_thresholds.txt", LB_FMT_THRESHOLDS, true);
}
static void test_persistent_conn(void **s)
{
	(void)s;
	golden_list("list_persistent_conn.txt", LB_FMT_PERSISTENTCONN, true);
}
static void test_tun_info(void **s)
{
	(void)s;
	golden_list("list_tun_info.txt", LB_FMT_TUNINFO, true);
}
static void test_save(void **s) { (void)s; golden_list("save.txt", LB_FMT_RULE, false); }

/* -L -t VIP:port: lbd's reply holds that one service; no version line. */
static void
test_one_service(void **state)
{
	CAPTURE(f, buf, len);

	(void)state;
	build_blob();
	assert_int_equal(lb_fmt_services(f, &info, blob + svc_at[1], svc_at[2] - svc_at[1],
			LB_FMT_NUMERIC, false), 0);
	fclose(f);
	check_golden("list_one_service.txt", buf, len);
}

struct conn_row {
	uint8_t proto, state;
	uint16_t flags;
	uint32_t expire;
	const char *c;
	uint16_t cport;
	const char *v;
	uint16_t vport;
	const char *d;
	uint16_t dport, lcore;
};

static const struct conn_row conns[] = {
	{ IPPROTO_TCP, LB_S_ESTABLISHED, 0, 900, "192.0.2.1", 51234, "10.0.0.100", 80,
		"10.0.1.11", 80, 1 },
	{ IPPROTO_TCP, LB_S_SYN_RECV, 0, 59, "198.51.100.200", 1, "10.0.0.100", 80,
		"10.0.1.12", 80, 2 },
	{ IPPROTO_TCP, LB_S_FIN_WAIT, 0, 3725, "192.0.2.1", 65535, "10.0.0.100", 80,
		"10.0.1.11", 80, 1 },
	{ IPPROTO_TCP, LB_S_NONE, LB_API_CONN_F_TEMPLATE, 0, "192.0.2.0", 0, "10.0.0.100", 80,
		"10.0.1.11", 80, 1 },
	{ IPPROTO_TCP, LB_S_NONE, LB_API_CONN_F_TEMPLATE | LB_API_CONN_F_ASSURED, 359999,
		"192.0.2.0", 0, "10.0.0.100", 80, "10.0.1.11", 80, 2 },
	{ IPPROTO_UDP, LB_S_UDP, 0, 300, "203.0.113.9", 5353, "10.0.0.100", 53,
		"10.0.1.12", 53, 2 },
	/* templates show their template state, whatever their protocol */
	{ IPPROTO_UDP, LB_S_UDP, LB_API_CONN_F_TEMPLATE, 360, "203.0.113.0", 0, "10.0.0.100", 53,
		"10.0.1.12", 53, 2 },
	{ IPPROTO_UDP, LB_S_UDP, LB_API_CONN_F_TEMPLATE | LB_API_CONN_F_ASSURED, 1,
		"198.51.100.0", 0, "10.0.0.100", 53, "10.0.1.12", 53, 1 },
};
#define N_CONNS (sizeof(conns) / sizeof(conns[0]))

/* write_fixtures.py's CONNS6: IPv6 entries, two IPv4 ones among them. */
static const struct conn_row conns6[] = {
	{ IPPROTO_TCP, LB_S_ESTABLISHED, 0, 900, "2001:db8:ffff::1", 51234, "2001:db8::100", 80,
		"2001:db8::11", 80, 1 },
	{ IPPROTO_TCP, LB_S_SYN_RECV, 0, 59, "2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff", 65535,
		"2001:db8::100", 80, "2001:db8::12", 80, 2 },
	{ IPPROTO_TCP, LB_S_ESTABLISHED, 0, 900, "192.0.2.1", 51234, "10.0.0.100", 80,
		"10.0.1.11", 80, 1 },
	{ IPPROTO_TCP, LB_S_FIN_WAIT, 0, 3725, "fe80::1", 1, "fd00:1:2:3:4:5:6:7", 443,
		"fd00:1:2:3:4:5:6:8", 443, 1 },
	{ IPPROTO_TCP, LB_S_NONE, LB_API_CONN_F_TEMPLATE, 0, "2001:db8:ffff::", 0,
		"2001:db8::100", 80, "2001:db8::11", 80, 1 },
	{ IPPROTO_TCP, LB_S_ESTABLISHED, 0, 12, "::ffff:192.0.2.1", 4000, "2001:db8::100", 80,
		"2001:db8::11", 80, 2 },
	{ IPPROTO_UDP, LB_S_UDP, 0, 300, "2001:db8:1::9", 5353, "2001:db8::100", 53,
		"2001:db8::12", 53, 2 },
	{ IPPROTO_UDP, LB_S_UDP, LB_API_CONN_F_TEMPLATE | LB_API_CONN_F_ASSURED, 1,
		"2001:db8:1::", 0, "2001:db8::100", 53, "2001:db8::12", 53, 1 },
	{ IPPROTO_UDP, LB_S_UDP, 0, 299, "203.0.113.9", 5353, "10.0.0.100", 53,
		"10.0.1.12", 53, 2 },
};
#define N_CONNS6 (sizeof(conns6) / sizeof(conns6[0]))

static struct lb_api_conn
conn_of(const struct conn_row *r)
{
	struct lb_api_conn c = {
		.proto = r->proto, .state = r->state, .flags = r->flags, .af = af_of(r->c),
		.caddr = ip(r->c), .vaddr = ip(r->v), .daddr = ip(r->d),
		.cport = r->cport, .vport = r->vport, .dport = r->dport,
		.lcore = r->lcore, .expire = r->expire,
	};
	return c;
}

static struct lb_api_conn
conn(size_t i)
{
	return conn_of(&conns[i]);
}

static void
golden_conns_of(const struct conn_row *rows, size_t n, const char *name, unsigned int format)
{
	CAPTURE(f, buf, len);
	size_t i;

	lb_fmt_conn_header(f, format);
	for (i = 0; i < n; i++) {
		struct lb_api_conn c = conn_of(&rows[i]);

		lb_fmt_conn(f, &c, format | LB_FMT_NUMERIC);
	}
	fclose(f);
	check_golden(name, buf, len);
}

static void
golden_conns(const char *name, unsigned int format)
{
	golden_conns_of(conns, N_CONNS, name, format);
}

static void test_conns(void **s) { (void)s; golden_conns("conns.txt", 0); }
static void test_conns_lcore(void **s) { (void)s; golden_conns("conns_lcore.txt", LB_FMT_LCORE); }
static void test_conns_persistent_conn(void **s)
{
	(void)s;
	golden_conns("conns_persistent_conn.txt", LB_FMT_PERSISTENTCONN);
}

/* ---- IPv6 ---- */

static void test_list6(void **s) { (void)s; golden_list_of(build_blob6, "list6.txt", 0, true); }
static void test_stats6(void **s)
{
	(void)s;
	golden_list_of(build_blob6, "list6_stats.txt", LB_FMT_STATS, true);
}
static void test_stats6_exact(void **s)
{
	(void)s;
	golden_list_of(build_blob6, "list6_stats_exact.txt", LB_FMT_STATS | LB_FMT_EXACT, true);
}
static void test_rate6(void **s)
{
	(void)s;
	golden_list_of(build_blob6, "list6_rate.txt", LB_FMT_RATE, true);
}
static void test_rate6_exact(void **s)
{
	(void)s;
	golden_list_of(build_blob6, "list6_rate_exact.txt", LB_FMT_RATE | LB_FMT_EXACT, true);
}
static void test_thresholds6(void **s)
{
	(void)s;
	golden_list_of(build_blob6, "list6_thresholds.txt", LB_FMT_THRESHOLDS, true);
}
static void test_persistent_conn6(void **s)
{
	(void)s;
	golden_list_of(build_blob6, "list6_persistent_conn.txt", LB_FMT_PERSISTENTCONN, true);
}
static void test_tun_info6(void **s)
{
	(void)s;
	golden_list_of(build_blob6, "list6_tun_info.txt", LB_FMT_TUNINFO, true);
}
static void test_nosort6(void **s)
{
	(void)s;
	golden_list_of(build_blob6, "list6_nosort.txt", LB_FMT_NOSORT, true);
}
static void test_save6(void **s) { (void)s; golden_list_of(build_blob6, "save6.txt", LB_FMT_RULE, false); }

/* -L -t [2001:db8::100]:80 */
static void
test_one_service6(void **state)
{
	CAPTURE(f, buf, len);

	(void)state;
	build_blob6();
	assert_int_equal(lb_fmt_services(f, &info, blob + svc6_at[1], svc6_at[2] - svc6_at[1],
			LB_FMT_NUMERIC, false), 0);
	fclose(f);
	check_golden("list6_one_service.txt", buf, len);
}

static void test_conns6(void **s) { (void)s; golden_conns_of(conns6, N_CONNS6, "conns6.txt", 0); }
static void test_conns6_lcore(void **s)
{
	(void)s;
	golden_conns_of(conns6, N_CONNS6, "conns6_lcore.txt", LB_FMT_LCORE);
}
static void test_conns6_persistent_conn(void **s)
{
	(void)s;
	golden_conns_of(conns6, N_CONNS6, "conns6_persistent_conn.txt", LB_FMT_PERSISTENTCONN);
}

/* Numeric addresses: the widest IPv6 one is whole, brackets and port. */
static void
test_addrport6(void **state)
{
	static const struct { const char *a; uint16_t port; const char *want; } cases[] = {
		{ "10.0.0.1", 80, "10.0.0.1:80" },
		{ "2001:db8::1", 80, "[2001:db8::1]:80" },
		{ "::", 0, "[::]:0" },
		{ "2001:0db8:0000:0000:0001:0000:0000:0001", 443, "[2001:db8::1:0:0:1]:443" },
		{ "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 65535,
			"[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		union lb_ip a = ip(cases[i].a);
		char buf[LB_FMT_ADDRPORT_MAX];

		lb_fmt_addrport(buf, sizeof(buf), af_of(cases[i].a), &a, cases[i].port,
			IPPROTO_TCP, LB_FMT_NUMERIC);
		assert_string_equal(buf, cases[i].want);
	}
}

/* --json: IPv6 addresses as text, the prefix length as the netmask. */
static void
test_json6(void **state)
{
	CAPTURE(f, buf, len);
	struct lb_api_conn c = conn_of(&conns6[0]);

	(void)state;
	build_blob6();
	assert_int_equal(lb_fmt_json_services(f, &info, blob, blob_len), 0);
	lb_fmt_json_conns_begin(f);
	lb_fmt_json_conn(f, &c, true);
	lb_fmt_json_conns_end(f);
	fclose(f);
	assert_non_null(strstr(buf, "{\"protocol\":\"UDP\",\"vip\":\"2001:db8::100\",\"port\":53,"
		"\"scheduler\":\"rr\",\"sched_flags\":[],\"persistence\":360,\"netmask\":\"64\","));
	assert_non_null(strstr(buf, "\"vip\":\"2001:db8::100\",\"port\":80,\"scheduler\":\"wlc\","
		"\"sched_flags\":[],\"persistence\":0,\"netmask\":\"128\","));
	assert_non_null(strstr(buf, "{\"address\":\"2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff\","
		"\"port\":80,\"forward\":\"Route\",\"weight\":3,"));
	/* the IPv4 service still has its dotted mask, and comes first */
	assert_non_null(strstr(buf, "\"services\":[{\"protocol\":\"TCP\",\"vip\":\"10.0.0.100\","
		"\"port\":80,\"scheduler\":\"wrr\",\"sched_flags\":[],\"persistence\":0,"
		"\"netmask\":\"255.255.255.255\","));
	assert_non_null(strstr(buf, "\"client\":\"2001:db8:ffff::1\",\"client_port\":51234,"
		"\"vip\":\"2001:db8::100\",\"vport\":80,\"server\":\"2001:db8::11\","
		"\"server_port\":80,"));
	free(buf);
}

/* --summary: an IPv6 service's entries under it, apart from the IPv4 one
 * on the same port. */
static void
test_summary6(void **state)
{
	struct lb_api_conn c[N_CONNS6];
	struct lb_fmt_summary *sum = lb_fmt_summary_new();
	size_t i;

	(void)state;
	for (i = 0; i < N_CONNS6; i++)
		c[i] = conn_of(&conns6[i]);
	assert_int_equal(lb_fmt_summary_add(sum, c, N_CONNS6), 0);
	build_blob6();
	{
		CAPTURE(f, buf, len);

		assert_int_equal(lb_fmt_summary_print(f, sum, blob, blob_len, false), 0);
		fclose(f);
		/* 4 entries: 2 ESTABLISHED (one of an IPv4-mapped client), 1 SYN_RECV,
		 * 1 template; sorted after the IPv4 service */
		assert_non_null(strstr(buf, "\nTCP  10.0.0.100:80                        1 "));
		assert_non_null(strstr(buf, "\nTCP  [2001:db8::100]:80                   4"
			"           2           1 "));
		assert_true(strstr(buf, "TCP  10.0.0.100:80") < strstr(buf, "TCP  [2001:db8::100]:80"));
		assert_non_null(strstr(buf, "\nTCP  [2001:db8:1234:5678:9abc:def0:1234:5678]:8080 "
			"        0 "));
		free(buf);
	}
	{
		CAPTURE(f, buf, len);

		assert_int_equal(lb_fmt_summary_print(f, sum, NULL, 0, true), 0);
		fclose(f);
		assert_non_null(strstr(buf, "{\"protocol\":\"UDP\",\"vip\":\"2001:db8::100\",\"port\":53,"
			"\"total\":2,\"templates\":1,"));
		free(buf);
	}
	lb_fmt_summary_free(sum);
}

/* --json names a template's state as -c does: NONE or ASSURED, also for UDP. */
static void
test_json_template_state(void **state)
{
	struct lb_api_conn c[2] = { conn(N_CONNS - 2), conn(N_CONNS - 1) };
	CAPTURE(f, buf, len);

	(void)state;
	lb_fmt_json_conn(f, &c[0], true);
	lb_fmt_json_conn(f, &c[1], false);
	fclose(f);
	assert_non_null(strstr(buf, "{\"protocol\":\"UDP\",\"state\":\"NONE\",\"expire\":360,"));
	assert_non_null(strstr(buf, "{\"protocol\":\"UDP\",\"state\":\"ASSURED\",\"expire\":1,"));
	assert_int_equal(len, strlen(buf));
	free(buf);
}

static void
test_timeout(void **state)
{
	struct lb_api_timeouts t = { .tcp = 900, .tcpfin = 120, .udp = 300 };
	CAPTURE(f, buf, len);

	(void)state;
	lb_fmt_timeouts(f, &t);
	fclose(f);
	check_golden("timeout.txt", buf, len);
}

/* print_largenum at each boundary, against the reference's thresholds. */
static void
test_largenum(void **state)
{
	static const struct { uint64_t v; unsigned int fmt; const char *want; } cases[] = {
		{ 0, 0, "        0" },
		{ 99999999ULL, 0, " 99999999" },
		{ 100000000ULL, 0, "  100000K" },
		{ 999999999ULL, 0, "  999999K" },
		{ 1000000000ULL, 0, "    1000M" },
		{ 99999999999ULL, 0, "   99999M" },
		{ 100000000000ULL, 0, "     100G" },
		{ 99999999999999ULL, 0, "   99999G" },
		{ 100000000000000ULL, 0, "     100T" },
		{ UINT64_MAX, 0, "18446744T" },
		{ 12345678ULL, LB_FMT_EXACT, " 12345678" },
		{ 123456789ULL, LB_FMT_EXACT, " 123456789" },
		{ UINT64_MAX, LB_FMT_EXACT, " 18446744073709551615" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		CAPTURE(f, buf, len);

		lb_fmt_largenum(f, cases[i].v, cases[i].fmt);
		fclose(f);
		assert_string_equal(buf, cases[i].want);
		free(buf);
	}
}

/* A reply that lies about its size prints nothing and is refused. */
static void
test_malformed_blob(void **state)
{
	CAPTURE(f, buf, len);
	struct lb_api_svc s;

	(void)state;
	build_blob();
	assert_int_equal(lb_fmt_services(f, &info, blob, blob_len - 1, 0, true), -1);
	memcpy(&s, blob, sizeof(s));
	s.n_dests = 0xffffffffu;
	memcpy(blob, &s, sizeof(s));
	assert_int_equal(lb_fmt_services(f, &info, blob, blob_len, 0, true), -1);
	assert_int_equal(lb_fmt_json_services(f, &info, blob, sizeof(s) - 3), -1);
	fclose(f);
	assert_int_equal(len, 0);
	free(buf);
	/* an empty reply is a valid empty table */
	{
		CAPTURE(g, buf2, len2);

		assert_int_equal(lb_fmt_services(g, &info, NULL, 0, LB_FMT_RULE, false), 0);
		fclose(g);
		assert_int_equal(len2, 0);
		free(buf2);
	}
}

/* --summary: every entry counted once, under its service and state. */
static void
test_summary(void **state)
{
	struct lb_api_conn c[N_CONNS];
	struct lb_fmt_summary *sum = lb_fmt_summary_new();
	CAPTURE(f, buf, len);
	size_t i;

	(void)state;
	for (i = 0; i < N_CONNS; i++)
		c[i] = conn(i);
	/* fed in two pages */
	assert_int_equal(lb_fmt_summary_add(sum, c, 2), 0);
	assert_int_equal(lb_fmt_summary_add(sum, c + 2, N_CONNS - 2), 0);
	build_blob();
	assert_int_equal(lb_fmt_summary_print(f, sum, blob, blob_len, true), 0);
	fclose(f);
	assert_non_null(strstr(buf, "{\"protocol\":\"TCP\",\"vip\":\"10.0.0.100\",\"port\":80,"
		"\"total\":5,\"templates\":2,\"states\":{\"ESTABLISHED\":1,\"SYN_RECV\":1,"
		"\"SYNACK\":0,\"FIN_WAIT\":1,\"TIME_WAIT\":0,\"CLOSE\":0,\"NONE\":0,\"UDP\":0,"
		"\"OTHER\":0}}"));
	assert_non_null(strstr(buf, "\"port\":53,\"total\":3,\"templates\":2,"
		"\"states\":{\"ESTABLISHED\":0,\"SYN_RECV\":0,\"SYNACK\":0,\"FIN_WAIT\":0,"
		"\"TIME_WAIT\":0,\"CLOSE\":0,\"NONE\":0,\"UDP\":1,"));
	/* the service with no entry is listed with zeros */
	assert_non_null(strstr(buf, "\"vip\":\"192.168.7.1\",\"port\":443,\"total\":0,"));
	free(buf);
	lb_fmt_summary_free(sum);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_largenum),
		cmocka_unit_test(test_list),
		cmocka_unit_test(test_stats),
		cmocka_unit_test(test_stats_exact),
		cmocka_unit_test(test_rate),
		cmocka_unit_test(test_rate_exact),
		cmocka_unit_test(test_thresholds),
		cmocka_unit_test(test_persistent_conn),
		cmocka_unit_test(test_one_service),
		cmocka_unit_test(test_tun_info),
		cmocka_unit_test(test_save),
		cmocka_unit_test(test_conns),
		cmocka_unit_test(test_conns_lcore),
		cmocka_unit_test(test_conns_persistent_conn),
		cmocka_unit_test(test_json_template_state),
		cmocka_unit_test(test_timeout),
		cmocka_unit_test(test_malformed_blob),
		cmocka_unit_test(test_summary),
		cmocka_unit_test(test_list6),
		cmocka_unit_test(test_stats6),
		cmocka_unit_test(test_stats6_exact),
		cmocka_unit_test(test_rate6),
		cmocka_unit_test(test_rate6_exact),
		cmocka_unit_test(test_thresholds6),
		cmocka_unit_test(test_persistent_conn6),
		cmocka_unit_test(test_tun_info6),
		cmocka_unit_test(test_nosort6),
		cmocka_unit_test(test_one_service6),
		cmocka_unit_test(test_save6),
		cmocka_unit_test(test_conns6),
		cmocka_unit_test(test_conns6_lcore),
		cmocka_unit_test(test_conns6_persistent_conn),
		cmocka_unit_test(test_addrport6),
		cmocka_unit_test(test_json6),
		cmocka_unit_test(test_summary6),
	};

	if (argc != 2) {
		fprintf(stderr, "usage: %s GOLDEN_DIR\n", argv[0]);
		return 2;
	}
	golden_dir = argv[1];
	return cmocka_run_group_tests(tests, NULL, NULL);
}
