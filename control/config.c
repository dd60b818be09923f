/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Configuration loader (see config.h).
 *
 * Two passes over the libconfig tree. The first walks it against a schema (the
 * tables below: every key, its type and range) and reports unknown keys, wrong
 * types and out-of-range numbers. The second reads the values that passed into
 * struct lb_conf and checks what a schema cannot: addresses, prefixes, MACs,
 * names, duplicates and DR's rules. A value the first pass rejected is simply
 * skipped by the second, so each mistake is reported once.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <libconfig.h>
#include <limits.h>
#include <math.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <rte_ether.h>

#include "control/config_int.h"
#include "control/limits.h"
#include "dataplane/sched.h"


static const struct key host_keys[] = {
	{ "ifname", K_STR, true, 0, 0, NULL },
	{ "backend", K_STR, false, 0, 0, NULL },
	{ NULL, 0, false, 0, 0, NULL },
};

static const struct key port_keys[] = {
	{ "device", K_STR, true, 0, 0, NULL },
	{ "host", K_GROUP, false, 0, 0, host_keys },
	{ "address", K_STR, true, 0, 0, NULL },
	{ "address6", K_STR, false, 0, 0, NULL },
	{ "mac", K_STR, false, 0, 0, NULL },
	{ "mtu", K_INT, false, 576, 9702, NULL },
	{ NULL, 0, false, 0, 0, NULL },
};

const struct key conf_check_keys[] = {
	{ "type", K_STR, false, 0, 0, NULL },
	{ "delay_loop", K_SECS, false, 10, LB_CHECK_MAX_MS, NULL },
	{ "connect_timeout", K_SECS, false, 10, LB_CHECK_MAX_MS, NULL },
	{ "retry", K_INT, false, 0, 1000, NULL },
	{ "delay_before_retry", K_SECS, false, 0, LB_CHECK_MAX_MS, NULL },
	{ "warmup", K_SECS, false, 0, LB_CHECK_MAX_MS, NULL },
	{ "alpha", K_BOOL, false, 0, 0, NULL },
	{ "inhibit_on_failure", K_BOOL, false, 0, 0, NULL },
	{ "connect_port", K_INT, false, 0, 65535, NULL },
	{ "connect_ip", K_STR, false, 0, 0, NULL },
	{ "path", K_STR, false, 0, 0, NULL },
	{ "status_code", K_CODES, false, 100, 599, NULL },
	{ "digest", K_STR, false, 0, 0, NULL },
	{ "virtualhost", K_STR, false, 0, 0, NULL },
	{ "command", K_STR, false, 0, 0, NULL },
	{ "timeout", K_SECS, false, 10, LB_CHECK_MAX_MS, NULL },
	{ "dynamic", K_BOOL, false, 0, 0, NULL },
	{ NULL, 0, false, 0, 0, NULL },
};

const struct key conf_dest_keys[] = {
	{ "address", K_STR, true, 0, 0, NULL },
	{ "port", K_INT, false, 0, 65535, NULL },
	{ "weight", K_INT, false, 0, 65535, NULL },
	{ "mac", K_STR, false, 0, 0, NULL },
	{ "upper_threshold", K_INT, false, 0, INT32_MAX, NULL },
	{ "lower_threshold", K_INT, false, 0, INT32_MAX, NULL },
	{ "check", K_GROUP, false, 0, 0, conf_check_keys },
	{ NULL, 0, false, 0, 0, NULL },
};

const struct key conf_service_keys[] = {
	{ "protocol", K_STR, true, 0, 0, NULL },
	{ "vip", K_STR, true, 0, 0, NULL },
	{ "port", K_INT, true, 0, 65535, NULL },
	{ "scheduler", K_STR, false, 0, 0, NULL },
	{ "sched_flags", K_STRS, false, 0, 0, NULL },
	{ "persistence", K_INT, false, 0, LB_MAX_TIMEOUT, NULL },
	{ "netmask", K_STR, false, 0, 0, NULL },
	{ "sloppy", K_BOOL, false, 0, 0, NULL },
	{ "quorum", K_INT, false, 1, INT32_MAX, NULL },
	{ "hysteresis", K_INT, false, 0, INT32_MAX, NULL },
	{ "sorry_server", K_STR, false, 0, 0, NULL },
	{ "check", K_GROUP, false, 0, 0, conf_check_keys },
	{ "real_servers", K_LIST, false, 0, 0, conf_dest_keys },
	{ NULL, 0, false, 0, 0, NULL },
};

static const struct key timeout_keys[] = {
	{ "none", K_INT, false, 1, LB_MAX_TIMEOUT, NULL },
	{ "established", K_INT, false, 1, LB_MAX_TIMEOUT, NULL },
	{ "syn_sent", K_INT, false, 1, LB_MAX_TIMEOUT, NULL },
	{ "syn_recv", K_INT, false, 1, LB_MAX_TIMEOUT, NULL },
	{ "fin_wait", K_INT, false, 1, LB_MAX_TIMEOUT, NULL },
	{ "time_wait", K_INT, false, 1, LB_MAX_TIMEOUT, NULL },
	{ "close", K_INT, false, 1, LB_MAX_TIMEOUT, NULL },
	{ "close_wait", K_INT, false, 1, LB_MAX_TIMEOUT, NULL },
	{ "last_ack", K_INT, false, 1, LB_MAX_TIMEOUT, NULL },
	{ "listen", K_INT, false, 1, LB_MAX_TIMEOUT, NULL },
	{ "synack", K_INT, false, 1, LB_MAX_TIMEOUT, NULL },
	{ "udp", K_INT, false, 1, LB_MAX_TIMEOUT, NULL },
	{ NULL, 0, false, 0, 0, NULL },
};

static const struct key dataplane_keys[] = {
	{ "mbufs", K_INT, false, 1024, 1 << 30, NULL },
	{ "connections", K_INT, false, 16, 1 << 28, NULL },
	{ "burst", K_INT, false, 1, 256, NULL },
	{ "idle_sleep_us", K_INT, false, 0, 100000, NULL },
	{ "sloppy_tcp", K_BOOL, false, 0, 0, NULL },
	{ "secure_tcp", K_BOOL, false, 0, 0, NULL },
	{ "expire_nodest_conn", K_BOOL, false, 0, 0, NULL },
	{ "drop_entry", K_INT, false, 0, 3, NULL },
	{ "drop_packet", K_INT, false, 0, 3, NULL },
	{ "stateless_mh", K_INT, false, 0, 3, NULL },
	{ "am_droprate", K_INT, false, 1, 1000000, NULL },
	{ "defense_threshold", K_INT, false, 1, 100, NULL },
	{ NULL, 0, false, 0, 0, NULL },
};

static const struct key control_keys[] = {
	{ "socket", K_STR, false, 0, 0, NULL },
	{ "group", K_STR, false, 0, 0, NULL },
	{ "admin_group", K_STR, false, 0, 0, NULL },
	{ NULL, 0, false, 0, 0, NULL },
};

static const struct key announce_keys[] = {
	{ "table", K_INT, true, 1, 0xfffffffeLL, NULL },
	{ "drain_seconds", K_INT, false, 0, 3600, NULL },
	{ NULL, 0, false, 0, 0, NULL },
};

static const struct key sync_keys[] = {
	{ "state", K_STR, true, 0, 0, NULL },
	{ "interface", K_STR, true, 0, 0, NULL },
	{ "syncid", K_INT, false, 0, 255, NULL },
	{ "maxlen", K_INT, false, LB_SYNC_MAXLEN_MIN, LB_SYNC_MAXLEN_MAX, NULL },
	{ "group", K_STR, false, 0, 0, NULL },
	{ "port", K_INT, false, 1, 65535, NULL },
	{ "ttl", K_INT, false, 1, 255, NULL },
	{ NULL, 0, false, 0, 0, NULL },
};

static const struct key metrics_keys[] = {
	{ "listen", K_STR, true, 0, 0, NULL },
	{ NULL, 0, false, 0, 0, NULL },
};

static const struct key top_keys[] = {
	{ "eal", K_STRS, false, 0, 0, NULL },
	{ "vip_arp", K_STR, false, 0, 0, NULL },
	{ "announce", K_GROUP, false, 0, 0, announce_keys },
	{ "sync", K_LIST, false, 0, 0, sync_keys },
	{ "metrics", K_GROUP, false, 0, 0, metrics_keys },
	{ "ports", K_LIST, true, 0, 0, port_keys },
	{ "services", K_LIST, false, 0, 0, conf_service_keys },
	{ "timeouts", K_GROUP, false, 0, 0, timeout_keys },
	{ "dataplane", K_GROUP, false, 0, 0, dataplane_keys },
	{ "control", K_GROUP, false, 0, 0, control_keys },
	{ NULL, 0, false, 0, 0, NULL },
};


void __attribute__((format(printf, 3, 4)))
conf_report(struct loader *ld, const config_setting_t *s, const char *fmt, ...)
{
	const char *file = s != NULL ? config_setting_source_file(s) : NULL;
	int line = s != NULL ? (int)config_setting_source_line(s) : 0;
	char msg[512];
	char *text;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* The root group has no line of its own: a key missing from it is line 1's. */
	if (line == 0)
		line = 1;
	if (asprintf(&text, "%s:%d: %s", file != NULL ? file : ld->path, line, msg) < 0)
		text = NULL;
	if (ld->n_kept == ld->cap) {
		int cap = ld->cap ? ld->cap * 2 : 16;
		struct problem *p = realloc(ld->problems, (size_t)cap * sizeof(*p));

		if (p == NULL) {
			free(text);
			text = NULL;
		} else {
			ld->problems = p;
			ld->cap = cap;
		}
	}
	if (text == NULL) {	/* out of memory: print at once rather than lose it */
		fprintf(ld->errs, "%s:%d: %s\n", ld->path, line, msg);
		ld->n_errs++;
		return;
	}
	ld->problems[ld->n_kept] = (struct problem){ line, ld->n_kept, text };
	ld->n_kept++;
	ld->n_errs++;
}

/* Reports item s, the n-th of kind l, when it is one too many; true then. */
bool
conf_over_limit(struct loader *ld, const config_setting_t *s, enum lb_limit l, uint64_t n)
{
	if (lb_limit_check(l, n) == 0)
		return false;
	conf_report(ld, s, "more than %u %s: lbd holds at most %u", lb_limit_max(l),
			lb_limit_what(l), lb_limit_max(l));
	return true;
}

static int
problem_cmp(const void *a, const void *b)
{
	const struct problem *x = a, *y = b;

	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void
print_problems(struct loader *ld)
{
	int i, n = ld->n_kept;

	if (ld->problems == NULL)
		return;
	qsort(ld->problems, (size_t)n, sizeof(*ld->problems), problem_cmp);
	for (i = 0; i < n; i++) {
		fprintf(ld->errs, "%s\n", ld->problems[i].text);
		free(ld->problems[i].text);
	}
	free(ld->problems);
	ld->problems = NULL;
}

static const char *
kind_name(enum kind k)
{
	switch (k) {
	case K_INT: return "an integer";
	case K_STR: return "a string";
	case K_BOOL: return "true or false";
	case K_STRS: return "a list of strings, [ \"...\", ... ]";
	case K_LIST: return "a list of groups, ( { ... }, ... )";
	case K_GROUP: return "a group, { ... }";
	case K_SECS: return "a number of seconds";
	case K_CODES: return "a list of status codes, [ 200, ... ] or [ \"200-299\", ... ]";
	}
	return "?";
}

static bool
is_int(const config_setting_t *s)
{
	int t = config_setting_type(s);

	return t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64;
}

static bool
kind_matches(const config_setting_t *s, const struct key *k)
{
	int t = config_setting_type(s);
	int i, n;

	switch (k->kind) {
	case K_INT:
		return is_int(s);
	case K_STR:
		return t == CONFIG_TYPE_STRING;
	case K_BOOL:
		return t == CONFIG_TYPE_BOOL;
	case K_STRS:
		if (t != CONFIG_TYPE_ARRAY && t != CONFIG_TYPE_LIST)
			return false;
		n = config_setting_length(s);
		for (i = 0; i < n; i++)
			if (config_setting_type(config_setting_get_elem(s, i)) !=
					CONFIG_TYPE_STRING)
				return false;
		return true;
	case K_LIST:
		return t == CONFIG_TYPE_LIST;
	case K_GROUP:
		return t == CONFIG_TYPE_GROUP;
	case K_SECS:
		return is_int(s) || t == CONFIG_TYPE_FLOAT;
	case K_CODES:
		if (t != CONFIG_TYPE_ARRAY && t != CONFIG_TYPE_LIST)
			return false;
		n = config_setting_length(s);
		for (i = 0; i < n; i++) {
			t = config_setting_type(config_setting_get_elem(s, i));
			if (t != CONFIG_TYPE_INT && t != CONFIG_TYPE_STRING)
				return false;
		}
		return true;
	}
	return false;
}

/* A K_SECS value in milliseconds, rounded up (a fraction of a ms is a ms). */
long long
conf_secs_ms(const config_setting_t *s)
{
	double v;

	if (is_int(s)) {
		long long i = config_setting_get_int64(s);

		return i > LLONG_MAX / 1000 || i < -LLONG_MAX / 1000 ? (i < 0 ? -1 : LLONG_MAX) :
			i * 1000;
	}
	v = config_setting_get_float(s) * 1000.0;
	if (!(v >= 0))	/* negative or NaN */
		return -1;
	if (v > 1e15)
		return LLONG_MAX;
	return (long long)ceil(v);
}

static const struct key *
find_key(const struct key *keys, const char *name)
{
	for (; keys->name != NULL; keys++)
		if (strcmp(keys->name, name) == 0)
			return keys;
	return NULL;
}

static void check_group(struct loader *ld, const config_setting_t *g,
		const struct key *keys, const char *where);

/* Pass one: unknown keys, types, ranges, missing keys. */
static void
check_setting(struct loader *ld, const config_setting_t *s, const struct key *k,
		const char *where)
{
	long long v;
	int i, n;

	if (!kind_matches(s, k)) {
		conf_report(ld, s, "'%s' in %s must be %s", k->name, where, kind_name(k->kind));
		return;
	}
	switch (k->kind) {
	case K_INT:
		v = config_setting_get_int64(s);
		if (v < k->min || v > k->max)
			conf_report(ld, s, "'%s' = %lld is out of range [%lld, %lld]",
					k->name, v, k->min, k->max);
		break;
	case K_LIST:
		n = config_setting_length(s);
		for (i = 0; i < n; i++) {
			const config_setting_t *e = config_setting_get_elem(s, i);

			if (config_setting_type(e) != CONFIG_TYPE_GROUP)
				conf_report(ld, e, "each entry of '%s' must be a group, { ... }",
						k->name);
			else
				check_group(ld, e, k->sub, k->name);
		}
		break;
	case K_GROUP:
		check_group(ld, s, k->sub, k->name);
		break;
	case K_SECS:
		v = conf_secs_ms(s);
		if (v < k->min || v > k->max)
			conf_report(ld, s, "'%s' is out of range [%g, %g] seconds", k->name,
					(double)k->min / 1000, (double)k->max / 1000);
		break;
	default:
		break;
	}
}

static void
check_group(struct loader *ld, const config_setting_t *g, const struct key *keys,
		const char *where)
{
	const struct key *k;
	int i, n = config_setting_length(g);

	for (i = 0; i < n; i++) {
		const config_setting_t *s = config_setting_get_elem(g, i);
		const char *name = config_setting_name(s);

		k = find_key(keys, name);
		if (k == NULL)
			conf_report(ld, s, "unknown key '%s' in %s", name, where);
		else
			check_setting(ld, s, k, where);
	}
	for (k = keys; k->name != NULL; k++)
		if (k->required && config_setting_get_member(g, k->name) == NULL)
			conf_report(ld, g, "missing '%s' in %s", k->name, where);
}

/* Pass two helpers: the setting if present and valid per the schema, else NULL. */
const config_setting_t *
conf_valid(const config_setting_t *g, const struct key *keys, const char *name)
{
	const config_setting_t *s = config_setting_get_member(g, name);
	const struct key *k = find_key(keys, name);
	long long v;

	if (s == NULL || k == NULL || !kind_matches(s, k))
		return NULL;
	if (k->kind == K_INT) {
		v = config_setting_get_int64(s);
		if (v < k->min || v > k->max)
			return NULL;
	}
	if (k->kind == K_SECS) {
		v = conf_secs_ms(s);
		if (v < k->min || v > k->max)
			return NULL;
	}
	return s;
}

bool
conf_get_u32(const config_setting_t *g, const struct key *keys, const char *name,
		uint32_t *v)
{
	const config_setting_t *s = conf_valid(g, keys, name);

	if (s == NULL)
		return false;
	*v = (uint32_t)config_setting_get_int64(s);
	return true;
}

const char *
conf_get_str(const config_setting_t *g, const struct key *keys, const char *name)
{
	const config_setting_t *s = conf_valid(g, keys, name);

	return s != NULL ? config_setting_get_string(s) : NULL;
}

bool
conf_get_bool(const config_setting_t *g, const struct key *keys, const char *name, bool def)
{
	const config_setting_t *s = conf_valid(g, keys, name);

	return s != NULL ? config_setting_get_bool(s) != 0 : def;
}

int
lb_parse_ipv4(const char *s, uint32_t *addr)
{
	struct in_addr in;

	if (inet_pton(AF_INET, s, &in) != 1)
		return -EINVAL;
	*addr = in.s_addr;
	return 0;
}

int
lb_parse_ip(const char *s, uint8_t *af, union lb_ip *addr)
{
	*addr = (union lb_ip){ .w = { 0, 0 } };
	if (inet_pton(AF_INET, s, &addr->v4) == 1) {
		*af = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, addr->v6) == 1) {
		*af = AF_INET6;
		return 0;
	}
	return -EINVAL;
}

const char *
lb_ip_str(uint8_t af, const union lb_ip *addr, char *buf, size_t len)
{
	if (inet_ntop(af == AF_INET6 ? AF_INET6 : AF_INET, addr, buf, (socklen_t)len) == NULL)
		snprintf(buf, len, "?");
	return buf;
}

const char *
lb_addrport_str(uint8_t af, const union lb_ip *addr, uint16_t port, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	lb_ip_str(af, addr, a, sizeof(a));
	snprintf(buf, len, af == AF_INET6 ? "[%s]:%u" : "%s:%u", a, port);
	return buf;
}

/* xx:xx:xx:xx:xx:xx, hex digits only; DPDK's parser, as every DPDK tool reads MACs. */
int
lb_parse_mac(const char *s, uint8_t mac[6])
{
	struct rte_ether_addr ea;

	if (strlen(s) != 17 || s[2] != ':' || rte_ether_unformat_addr(s, &ea) != 0)
		return -EINVAL;
	memcpy(mac, ea.addr_bytes, RTE_ETHER_ADDR_LEN);
	return 0;
}

const char *
lb_proto_name(uint8_t proto)
{
	return proto == IPPROTO_TCP ? "TCP" : proto == IPPROTO_UDP ? "UDP" : "?";
}

static bool
unicast_host(uint32_t addr)
{
	uint32_t h = ntohl(addr);

	return h != 0 && h != 0xffffffffu && (h >> 28) != 0xe && (h >> 24) != 127;
}

/*
 * An address a service, a real server or a port may have: IPv4 as above;
 * IPv6 neither unspecified, loopback, multicast, link-local (fe80::/10: a VIP
 * or a server must be routable) nor IPv4-mapped (::ffff:0:0/96, which is an
 * IPv4 host and would be served as one by IPVS).
 */
static bool
unicast_ip(uint8_t af, const union lb_ip *a)
{
	static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };
	union lb_ip lo = { .v6 = { [15] = 1 } };

	if (af == AF_INET)
		return unicast_host(a->v4);
	return !lb_ip_is_zero(a) && !lb_ip_eq(a, &lo) && a->v6[0] != 0xff &&
		!(a->v6[0] == 0xfe && (a->v6[1] & 0xc0) == 0x80) &&
		memcmp(a->v6, mapped, sizeof(mapped)) != 0;
}

/*
 * Parse str (setting s) as an address of family want (0: either) for what
 * ("vip", "real server"...): true with *af and *a set, or false, reported.
 */
bool
conf_get_ip(struct loader *ld, const config_setting_t *s, const char *str, uint8_t want,
		uint8_t *af, union lb_ip *a)
{
	uint8_t got;
	int rc = lb_parse_ip(str, &got, a);

	if (rc == 0 && !unicast_ip(got, a)) {
		/* a real address, but no host's: say which family it is */
		conf_report(ld, s, got == AF_INET ? "bad IPv4 address '%s'" : "bad IPv6 address '%s'"
				" (not a unicast address a host may hold)", str);
	} else if (rc < 0) {
		conf_report(ld, s, want == AF_INET ? "bad IPv4 address '%s'" : want == AF_INET6 ?
				"bad IPv6 address '%s'" : "bad IP address '%s' (neither IPv4 nor IPv6)",
				str);
	} else if (want != 0 && got != want) {
		conf_report(ld, s, "%s is an %s address in an %s service: direct routing cannot"
				" change the family", str, got == AF_INET ? "IPv4" : "IPv6",
				want == AF_INET ? "IPv4" : "IPv6");
	} else {
		*af = got;
		return true;
	}
	*a = (union lb_ip){ .w = { 0, 0 } };
	return false;
}

void
conf_get_mac(struct loader *ld, const config_setting_t *g, const struct key *keys,
		bool *has, uint8_t mac[6])
{
	const char *s = conf_get_str(g, keys, "mac");

	*has = false;
	if (s == NULL)
		return;
	if (lb_parse_mac(s, mac) < 0)
		conf_report(ld, config_setting_get_member(g, "mac"),
				"bad MAC address '%s' (expected xx:xx:xx:xx:xx:xx)", s);
	else if ((mac[0] & 1) || !(mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5]))
		conf_report(ld, config_setting_get_member(g, "mac"),
				"MAC address '%s' is not a unicast address", s);
	else
		*has = true;
}

/* A kernel interface name the kernel takes: 1..15 bytes, no '/', ':' or blank. */
static bool
good_ifname(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n >= LB_HOST_IFNAME_LEN || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return false;
	for (i = 0; i < n; i++)
		if (s[i] == '/' || s[i] == ':' || s[i] <= ' ' || s[i] > '~')
			return false;
	return true;
}

static void
load_host(struct loader *ld, const config_setting_t *g, struct lb_conf_port *p)
{
	static const char *const backends[] = {
		[LB_HOST_AUTO] = "auto", [LB_HOST_TAP] = "tap",
		[LB_HOST_VIRTIO_USER] = "virtio_user",
	};
	const char *ifname, *backend;
	size_t i;

	if (g == NULL)
		return;
	ifname = conf_get_str(g, host_keys, "ifname");
	backend = conf_get_str(g, host_keys, "backend");
	if (ifname == NULL)
		return;	/* reported by the schema pass */
	if (!good_ifname(ifname)) {
		conf_report(ld, config_setting_get_member(g, "ifname"),
				"bad interface name '%s' (1 to %d characters, no '/', ':' or"
				" blanks)", ifname, LB_HOST_IFNAME_LEN - 1);
		return;
	}
	p->host_backend = LB_HOST_AUTO;
	if (backend != NULL) {
		for (i = 0; i < RTE_DIM(backends); i++)
			if (strcmp(backend, backends[i]) == 0)
				break;
		if (i == RTE_DIM(backends)) {
			conf_report(ld, config_setting_get_member(g, "backend"),
					"unknown host backend '%s' (expected \"auto\", \"tap\" or"
					" \"virtio_user\")", backend);
			return;
		}
		p->host_backend = (uint8_t)i;
	}
	snprintf(p->host_ifname, sizeof(p->host_ifname), "%s", ifname);
	p->has_host = true;
}

static void
load_port(struct loader *ld, const config_setting_t *g, struct lb_conf_port *p)
{
	const char *dev = conf_get_str(g, port_keys, "device");
	const char *addr = conf_get_str(g, port_keys, "address");
	uint32_t mtu = 1500;

	p->line = (int)config_setting_source_line(g);
	if (dev != NULL) {
		if (dev[0] == '\0')
			conf_report(ld, config_setting_get_member(g, "device"),
					"'device' must not be empty");
		p->device = strdup(dev);
	}
	if (addr != NULL) {
		char buf[64], *slash, *end;
		long prefix;

		snprintf(buf, sizeof(buf), "%s", addr);
		slash = strchr(buf, '/');
		if (slash == NULL) {
			conf_report(ld, config_setting_get_member(g, "address"),
					"port address '%s' needs a prefix length, as in 192.0.2.2/24",
					addr);
		} else {
			*slash = '\0';
			errno = 0;
			prefix = strtol(slash + 1, &end, 10);
			if (lb_parse_ipv4(buf, &p->addr) < 0 || !unicast_host(p->addr))
				conf_report(ld, config_setting_get_member(g, "address"),
						"bad IPv4 address '%s'", buf);
			else if (slash[1] == '\0' || *end != '\0' || prefix < 1 || prefix > 32)
				conf_report(ld, config_setting_get_member(g, "address"),
						"bad prefix length '/%s' (expected 1..32)", slash + 1);
			else
				p->prefix = (uint8_t)prefix;
		}
	}
	addr = conf_get_str(g, port_keys, "address6");
	if (addr != NULL) {
		const config_setting_t *s = config_setting_get_member(g, "address6");
		char buf[64], *slash, *end;
		uint8_t af;
		long prefix;

		snprintf(buf, sizeof(buf), "%s", addr);
		slash = strchr(buf, '/');
		if (slash == NULL) {
			conf_report(ld, s, "port address6 '%s' needs a prefix length, as in"
					" 2001:db8::2/64", addr);
		} else {
			*slash = '\0';
			prefix = strtol(slash + 1, &end, 10);
			if (!conf_get_ip(ld, s, buf, AF_INET6, &af, &p->addr6))
				;
			else if (slash[1] == '\0' || *end != '\0' || prefix < 1 || prefix > 128)
				conf_report(ld, s, "bad prefix length '/%s' (expected 1..128)", slash + 1);
			else {
				p->prefix6 = (uint8_t)prefix;
				p->has_addr6 = true;
			}
		}
	}
	conf_get_mac(ld, g, port_keys, &p->has_mac, p->mac);
	conf_get_u32(g, port_keys, "mtu", &mtu);
	p->mtu = (uint16_t)mtu;
	load_host(ld, conf_valid(g, port_keys, "host"), p);
}

bool
conf_in_subnet(uint32_t addr, const struct lb_conf_port *p)
{
	uint32_t mask = p->prefix == 0 ? 0 : htonl(~0u << (32 - p->prefix));

	return p->prefix != 0 && (addr & mask) == (p->addr & mask);
}

/* One entry of sync: a master or a backup daemon, as --start-daemon takes. */
static void
load_sync(struct loader *ld, struct lb_conf *conf, const config_setting_t *g)
{
	const char *state = conf_get_str(g, sync_keys, "state");
	const char *ifname = conf_get_str(g, sync_keys, "interface");
	const char *group = conf_get_str(g, sync_keys, "group");
	struct lb_sync_cfg c = { 0 };
	uint32_t v;
	int role;

	if (config_setting_type(g) != CONFIG_TYPE_GROUP || state == NULL || ifname == NULL)
		return;
	role = strcmp(state, "master") == 0 ? LB_SYNC_MASTER :
		strcmp(state, "backup") == 0 ? LB_SYNC_BACKUP : -1;
	if (role < 0) {
		conf_report(ld, config_setting_get_member(g, "state"),
				"unknown sync state '%s' (expected \"master\" or \"backup\")", state);
		return;
	}
	if (conf->sync_on[role]) {
		conf_report(ld, g, "a second %s sync daemon: there is one of each", state);
		return;
	}
	if (ifname[0] == '\0' || strlen(ifname) >= sizeof(c.ifname)) {
		conf_report(ld, config_setting_get_member(g, "interface"),
				"sync interface '%s' is not an interface name (1..%zu characters)",
				ifname, sizeof(c.ifname) - 1);
		return;
	}
	snprintf(c.ifname, sizeof(c.ifname), "%s", ifname);
	if (conf_get_u32(g, sync_keys, "syncid", &v))
		c.syncid = (uint8_t)v;
	if (conf_get_u32(g, sync_keys, "maxlen", &v))
		c.maxlen = (uint16_t)v;
	if (conf_get_u32(g, sync_keys, "port", &v))
		c.port = (uint16_t)v;
	if (conf_get_u32(g, sync_keys, "ttl", &v))
		c.ttl = (uint8_t)v;
	if (group != NULL && (inet_pton(AF_INET, group, &c.group) != 1 ||
			!IN_MULTICAST(ntohl(c.group)))) {
		conf_report(ld, config_setting_get_member(g, "group"),
				"sync group '%s' is not an IPv4 multicast address", group);
		return;
	}
	lb_sync_cfg_defaults(&c);
	conf->sync[role] = c;
	conf->sync_on[role] = true;
}

static void
load_ports(struct loader *ld, struct lb_conf *conf, const config_setting_t *list)
{
	unsigned int i, j, n = (unsigned int)config_setting_length(list);

	if (n == 0)
		conf_report(ld, list, "'ports' is empty: lbd needs at least one port");
	if (n > lb_limit_max(LB_LIMIT_PORTS))
		conf_over_limit(ld, config_setting_get_elem(list, lb_limit_max(LB_LIMIT_PORTS)),
				LB_LIMIT_PORTS, n);
	if (n > LB_MAX_PORTS)
		n = LB_MAX_PORTS;
	for (i = 0; i < n; i++) {
		const config_setting_t *g = config_setting_get_elem(list, i);
		struct lb_conf_port *p = &conf->ports[conf->n_ports];

		if (config_setting_type(g) != CONFIG_TYPE_GROUP)
			continue;
		load_port(ld, g, p);
		for (j = 0; p->device != NULL && j < conf->n_ports; j++)
			if (conf->ports[j].device != NULL &&
					strcmp(conf->ports[j].device, p->device) == 0)
				conf_report(ld, g, "duplicate port '%s' (first at line %d)",
						p->device, conf->ports[j].line);
		for (j = 0; p->has_host && j < conf->n_ports; j++)
			if (conf->ports[j].has_host &&
					strcmp(conf->ports[j].host_ifname, p->host_ifname) == 0)
				conf_report(ld, config_setting_get_member(g, "host"),
						"duplicate host interface '%s' (first at line %d)",
						p->host_ifname, conf->ports[j].line);
		conf->n_ports++;
	}
}

static void
load_control(struct loader *ld, struct lb_conf *conf, const config_setting_t *g)
{
	const char *s;

	s = conf_get_str(g, control_keys, "socket");
	if (s != NULL) {
		struct stat st;

		if (s[0] != '/' || strlen(s) >= sizeof(((struct sockaddr_un *)0)->sun_path))
			conf_report(ld, config_setting_get_member(g, "socket"),
					"socket path must be absolute and shorter than %zu bytes",
					sizeof(((struct sockaddr_un *)0)->sun_path));
		else if (lstat(s, &st) == 0 && !S_ISSOCK(st.st_mode))
			/* lbd replaces a stale socket at start: never another file */
			conf_report(ld, config_setting_get_member(g, "socket"),
					"socket path '%s' exists and is not a socket", s);
		else {
			free(conf->socket);
			conf->socket = strdup(s);
		}
	}
	s = conf_get_str(g, control_keys, "group");
	if (s != NULL)
		conf->socket_group = strdup(s);
	s = conf_get_str(g, control_keys, "admin_group");
	if (s != NULL)
		conf->admin_group = strdup(s);
}

static void
load_defense(const config_setting_t *g, struct lb_defense *d)
{
	uint32_t v;

	if (conf_get_u32(g, dataplane_keys, "drop_entry", &v))
		d->drop_entry = (uint8_t)v;
	if (conf_get_u32(g, dataplane_keys, "drop_packet", &v))
		d->drop_packet = (uint8_t)v;
	if (conf_get_u32(g, dataplane_keys, "stateless_mh", &v))
		d->stateless_mh = (uint8_t)v;
	if (conf_get_u32(g, dataplane_keys, "defense_threshold", &v))
		d->threshold = (uint8_t)v;
	conf_get_u32(g, dataplane_keys, "am_droprate", &d->am_droprate);
}

/* "ADDR:PORT", an IPv4 address (127.0.0.1 keeps it on the host). */
static void
load_metrics(struct loader *ld, struct lb_conf *conf, const config_setting_t *g)
{
	const char *s = conf_get_str(g, metrics_keys, "listen"), *colon;
	char addr[16];
	char *end;
	unsigned long port;

	if (s == NULL)
		return;
	colon = strrchr(s, ':');
	if (colon != NULL && (size_t)(colon - s) < sizeof(addr)) {
		memcpy(addr, s, (size_t)(colon - s));
		addr[colon - s] = '\0';
		errno = 0;
		port = strtoul(colon + 1, &end, 10);
		if (lb_parse_ipv4(addr, &conf->metrics_addr) == 0 && colon[1] != '\0' &&
				*end == '\0' && errno == 0 && port >= 1 && port <= 65535) {
			conf->metrics_port = (uint16_t)port;
			conf->has_metrics = true;
			return;
		}
	}
	conf_report(ld, config_setting_get_member(g, "listen"),
			"metrics listen '%s' is not ADDR:PORT (an IPv4 address, a port 1..65535)", s);
}

static void
load_tree(struct loader *ld, struct lb_conf *conf, const config_setting_t *root)
{
	const config_setting_t *s, *g;
	unsigned int i;

	check_group(ld, root, top_keys, "the top level");

	s = conf_valid(root, top_keys, "eal");
	if (s != NULL) {
		conf->n_eal = (unsigned int)config_setting_length(s);
		conf->eal = calloc(conf->n_eal + 1, sizeof(char *));
		for (i = 0; conf->eal != NULL && i < conf->n_eal; i++)
			conf->eal[i] = strdup(config_setting_get_string_elem(s, (int)i));
	}
	s = conf_valid(root, top_keys, "ports");
	if (s != NULL)
		load_ports(ld, conf, s);
	s = conf_valid(root, top_keys, "services");
	if (s != NULL)
		conf_load_services(ld, conf, s);

	s = conf_valid(root, top_keys, "vip_arp");
	if (s != NULL) {
		const char *v = config_setting_get_string(s);

		if (strcmp(v, "never") == 0)
			conf->vip_arp_never = true;
		else if (strcmp(v, "kernel") == 0) {
			conf->vip_arp_kernel = true;
			for (i = 0; i < conf->n_ports && !conf->ports[i].has_host; i++)
				;
			if (i == conf->n_ports)
				conf_report(ld, s, "vip_arp \"kernel\" follows the VIPs of the ports'"
						" kernel interfaces, and no port has one (host)");
		}
		else if (strcmp(v, "always") != 0)
			conf_report(ld, s, "unknown vip_arp '%s' (expected \"always\", \"never\" or"
					" \"kernel\")", v);
	}
	g = conf_valid(root, top_keys, "announce");
	if (g != NULL && conf_get_u32(g, announce_keys, "table", &conf->announce_table)) {
		/* 253..255 are the kernel's default, main and local tables */
		if (conf->announce_table >= 253 && conf->announce_table <= 255)
			conf_report(ld, config_setting_get_member(g, "table"),
					"announce table %u is one of the kernel's own (253 default,"
					" 254 main, 255 local): use a table of lbd's own",
					conf->announce_table);
		else
			conf->has_announce = true;
		conf->announce_drain = 5;
		conf_get_u32(g, announce_keys, "drain_seconds", &conf->announce_drain);
	}
	s = conf_valid(root, top_keys, "sync");
	for (i = 0; s != NULL && i < (unsigned int)config_setting_length(s); i++)
		load_sync(ld, conf, config_setting_get_elem(s, (int)i));
	g = conf_valid(root, top_keys, "metrics");
	if (g != NULL)
		load_metrics(ld, conf, g);
	g = conf_valid(root, top_keys, "timeouts");
	for (i = 0; g != NULL && i < LB_S_COUNT; i++)
		conf_get_u32(g, timeout_keys, lb_state_key(i), &conf->timeout[i]);

	g = conf_valid(root, top_keys, "dataplane");
	if (g != NULL) {
		conf_get_u32(g, dataplane_keys, "mbufs", &conf->mbufs);
		conf_get_u32(g, dataplane_keys, "connections", &conf->connections);
		conf_get_u32(g, dataplane_keys, "burst", &conf->burst);
		conf_get_u32(g, dataplane_keys, "idle_sleep_us", &conf->idle_sleep_us);
		conf->sloppy_tcp = conf_get_bool(g, dataplane_keys, "sloppy_tcp", false);
		conf->secure_tcp = conf_get_bool(g, dataplane_keys, "secure_tcp", false);
		conf->expire_nodest_conn = conf_get_bool(g, dataplane_keys,
				"expire_nodest_conn", false);
		load_defense(g, &conf->defense);
	}
	g = conf_valid(root, top_keys, "control");
	if (g != NULL)
		load_control(ld, conf, g);
}

int
lb_conf_load(struct lb_conf *conf, const char *path, FILE *errs)
{
	struct loader ld = { .path = path, .errs = errs, .n_errs = 0 };
	config_t cfg;

	memset(conf, 0, sizeof(*conf));
	conf->path = strdup(path);
	memcpy(conf->timeout, lb_state_timeout_default, sizeof(conf->timeout));
	conf->mbufs = 65535;
	conf->connections = 1048576;
	conf->burst = 32;
	conf->defense.threshold = 90;	/* IPVS's memory threshold, as a share of the table */
	conf->defense.am_droprate = 10;	/* IPVS's am_droprate */
	conf->socket = strdup(LB_CONF_DEFAULT_SOCKET);

	config_init(&cfg);
	if (config_read_file(&cfg, path) != CONFIG_TRUE) {
		if (config_error_type(&cfg) == CONFIG_ERR_FILE_IO)
			fprintf(errs, "%s:0: cannot read file: %s\n", path, strerror(errno));
		else
			fprintf(errs, "%s:%d: %s\n",
					config_error_file(&cfg) ? config_error_file(&cfg) : path,
					config_error_line(&cfg), config_error_text(&cfg));
		config_destroy(&cfg);
		return 1;
	}
	load_tree(&ld, conf, config_root_setting(&cfg));
	print_problems(&ld);
	config_destroy(&cfg);
	return ld.n_errs;
}

void
lb_conf_free(struct lb_conf *conf)
{
	unsigned int i;

	for (i = 0; conf->eal != NULL && i < conf->n_eal; i++)
		free(conf->eal[i]);
	free(conf->eal);
	for (i = 0; i < conf->n_ports; i++)
		free(conf->ports[i].device);
	for (i = 0; conf->services != NULL && i < conf->n_services; i++)
		conf_free_service(&conf->services[i]);
	free(conf->services);
	free(conf->socket);
	free(conf->socket_group);
	free(conf->admin_group);
	free(conf->path);
	memset(conf, 0, sizeof(*conf));
}

