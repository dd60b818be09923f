/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lbadm: ipvsadm for lbd.
 *
 * The command line is ipvsadm's: the same commands, options, combined short
 * options (-lnc, -Ln), the same table of which options each command takes,
 * the same messages for the same mistakes and the same exit statuses (2 for
 * a usage error, 255 for an error the daemon reports), so that scripts
 * written for ipvsadm run unchanged. Options of its own (--json, --summary,
 * --lcore, --counters, --socket) never change ipvsadm's output.
 *
 * Each command becomes requests of control/lb_api.h; listings are printed by
 * ipvsfmt.c. The command line is read by parse.c (lbadm_int.h between them).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "control/config.h"
#include "control/lbadm/healthfmt.h"
#include "control/lbadm/ipvsfmt.h"
#include "control/lb_api.h"
#include "control/lbadm/client.h"
#include "control/lbadm/lbadm_int.h"
#include "control/sync_wire.h"
#include "dataplane/counters.h"
#include "dataplane/limits.h"
#include "dataplane/sched.h"

static const char *prog = "lbadm";
const char *lbadm_socket_path;
static int server_fd = -1;

void __attribute__((noreturn, format(printf, 2, 3)))
lbadm_fail(int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(status);
}

void __attribute__((noreturn))
lbadm_tryhelp_exit(int status)
{
	fprintf(stderr, "Try `%s -h' or '%s --help' for more information.\n", prog, prog);
	exit(status);
}

void __attribute__((noreturn))
lbadm_usage_exit(int status)
{
	FILE *f = status ? stderr : stdout;

	fprintf(f, "lbadm " LB_VERSION " (ipvsadm for lbd, the LVS-DR director on DPDK)\n"
		"Usage:\n"
		"  %1$s -A|E -t|u service-address [-s scheduler] [-p [timeout]] [-M netmask] [-b sched-flags]\n"
		"  %1$s -D -t|u service-address\n"
		"  %1$s -C\n"
		"  %1$s -R\n"
		"  %1$s -S [-n]\n"
		"  %1$s -a|e -t|u service-address -r server-address [options]\n"
		"  %1$s -d -t|u service-address -r server-address\n"
		"  %1$s -L|l [options]\n"
		"  %1$s -Z [-t|u service-address]\n"
		"  %1$s --set tcp tcpfin udp\n"
		"  %1$s -h\n\n"
		"Options as ipvsadm's; lbd forwards by direct routing (-g) only.\n"
		"service-address and server-address: host[:port], IPv6 as [address]:port\n"
		"(-M of an IPv6 service: a prefix length, 1 to 128).\n"
		"lbadm's own:\n"
		"  --socket PATH      the daemon's socket (else $LBD_SOCKET, else " LB_CONF_DEFAULT_SOCKET ")\n"
		"  --json             any listing as JSON\n"
		"  --summary          connection entries per state per service\n"
		"  --lcore            -c listing: the owning core of each entry\n"
		"  --counters         per-core packet counters and drop reasons\n"
		"  --announced        the VIPs' announcement to routers, and why\n"
		"  --announce VIP, --withdraw VIP\n"
		"                     let the VIP be announced again, or withdraw it (drain)\n"
		"  --health [-t|u service-address]\n"
		"                     health checks: quorum per service, state per server\n"
		"  --sysctl [NAME=N]  IPVS's switches and defences (secure_tcp, sloppy_tcp,\n"
		"                     expire_nodest_conn, drop_entry, drop_packet, am_droprate,\n"
		"                     stateless_mh, defense_threshold): list, or set one\n", prog);
	exit(status);
}

/* ---- talking to lbd ---- */

static void
connect_once(void)
{
	if (server_fd >= 0)
		return;
	server_fd = lb_client_connect(lbadm_socket_path);
	if (server_fd < 0)
		lbadm_fail(2, "Can't initialize ipvs: cannot reach lbd at %s: %s\n"
				"Is lbd running, and is this the socket of its control.socket?",
				lbadm_socket_path, strerror(-server_fd));
}

/* ipvsadm's messages for the errors its kernel calls return (libipvs). */
static const char *
api_strerror(uint16_t type, int err)
{
	static const struct { uint16_t type; int err; const char *msg; } table[] = {
		{ LB_API_SVC_ADD, EEXIST, "Service already exists" },
		{ LB_API_SVC_ADD, ENOENT, "Scheduler not found" },
		{ LB_API_SVC_EDIT, ESRCH, "No such service" },
		{ LB_API_SVC_EDIT, ENOENT, "Scheduler not found" },
		{ LB_API_SVC_DEL, ESRCH, "No such service" },
		{ LB_API_ZERO, ESRCH, "No such service" },
		{ LB_API_DEST_ADD, ESRCH, "Service not defined" },
		{ LB_API_DEST_ADD, EEXIST, "Destination already exists" },
		{ LB_API_DEST_EDIT, ESRCH, "Service not defined" },
		{ LB_API_DEST_EDIT, ENOENT, "No such destination" },
		{ LB_API_DEST_DEL, ESRCH, "Service not defined" },
		{ LB_API_DEST_DEL, ENOENT, "No such destination" },
		{ LB_API_SVC_LIST, ESRCH, "No such service" },
		{ LB_API_HEALTH, ESRCH, "No such service" },
		{ LB_API_ANNOUNCE_SET, ESRCH, "No service has this virtual IP" },
		{ LB_API_ANNOUNCE_SET, ENOTSUP, "lbd announces nothing: its configuration has no announce group" },
		{ LB_API_SYNC_START, EEXIST, "Daemon has already run" },
		{ LB_API_SYNC_START, ENODEV, "No such interface in lbd's network namespace" },
		{ LB_API_SYNC_START, EADDRNOTAVAIL, "lbd cannot open the sync socket on that interface (its log says why)" },
		{ LB_API_SYNC_STOP, ESRCH, "No daemon is running" },
		{ 0, EPERM, "Permission denied (you must be root)" },
		{ 0, EINVAL, "Invalid operation.  Possibly wrong module version, address not unicast, ..." },
		{ 0, ENOMEM, "Memory allocation problem" },
		{ 0, EOPNOTSUPP, "lbd forwards by direct routing only (-g)" },
		{ 0, EAFNOSUPPORT, "Operation not supported with specified address family" },
		{ 0, ENETUNREACH, "Real server is on no subnet of lbd's ports" },
		{ LB_API_SVC_ADD, ENOSPC, "Too many services: lbd holds at most "
			RTE_STR(LB_MAX_SERVICES) },
		{ LB_API_DEST_ADD, ENOSPC, "Too many real servers: lbd holds at most "
			RTE_STR(LB_MAX_DESTS_PER_SVC) " per service and " RTE_STR(LB_MAX_DESTS)
			" in all (deleted ones count until their connections end)" },
		{ 0, ENOSPC, "Too many services or real servers" },
		{ 0, EMSGSIZE, "Module is wrong version" },
		{ 0, EPROTO, "lbd speaks another version of the control protocol" },
	};
	size_t i;

	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if ((table[i].type == 0 || table[i].type == type) && table[i].err == err)
			return table[i].msg;
	return strerror(err);
}

/* One request; on failure print ipvsadm's message and return -1. */
static int
call(uint16_t type, const void *body, uint32_t len, void **resp, uint32_t *resp_len)
{
	void *dummy;
	uint32_t dummy_len;
	int rc;

	connect_once();
	if (resp == NULL) {
		resp = &dummy;
		resp_len = &dummy_len;
	}
	rc = lb_client_call(server_fd, type, body, len, resp, resp_len);
	if (rc < 0)
		lbadm_fail(2, "lbd closed the control connection: %s", strerror(-rc));
	if (resp == &dummy)
		free(dummy);
	if (rc > 0) {
		fprintf(stderr, "%s\n", api_strerror(type, rc));
		return -1;
	}
	return 0;
}

/* ---- commands ---- */

static void *
fetch_services(const struct lb_api_svc_key *k, uint32_t *len)
{
	void *resp;

	if (call(LB_API_SVC_LIST, k, sizeof(*k), &resp, len) < 0)
		exit(1);
	return resp;
}

static struct lb_api_info
fetch_info(void)
{
	struct lb_api_info info;
	uint32_t len;
	void *resp;

	memset(&info, 0, sizeof(info));
	if (call(LB_API_INFO, NULL, 0, &resp, &len) < 0)
		exit(1);
	if (resp != NULL && len == sizeof(info))
		memcpy(&info, resp, sizeof(info));
	free(resp);
	return info;
}

/*
 * All connections, page by page, each page handed to `each` as it arrives:
 * lbadm's memory stays one page however many entries lbd holds.
 */
static void
for_each_conn_page(void (*each)(const struct lb_api_conn *, uint32_t, void *), void *arg)
{
	struct lb_api_conn_cursor cur = { 0 };

	for (;;) {
		const struct lb_api_conn_page *page;
		uint32_t len;
		void *resp;

		if (call(LB_API_CONN_LIST, &cur, sizeof(cur), &resp, &len) < 0)
			exit(255);
		if (len < sizeof(*page))
			lbadm_fail(2, "lbd sent a malformed connection page");
		page = resp;
		if (len != sizeof(*page) + (size_t)page->n * sizeof(struct lb_api_conn))
			lbadm_fail(2, "lbd sent a malformed connection page");
		each((const struct lb_api_conn *)(page + 1), page->n, arg);
		cur = page->next;
		cur.max = 0;
		/* a page may be empty (lbd bounds the scan per page): only done ends it */
		if (page->done) {
			free(resp);
			return;
		}
		free(resp);
	}
}

struct conn_print {
	unsigned int format;
	bool json;
	bool first;
	struct lb_fmt_summary *summary;
};

static void
print_conn_page(const struct lb_api_conn *c, uint32_t n, void *arg)
{
	struct conn_print *p = arg;
	uint32_t i;

	if (p->summary != NULL) {
		if (lb_fmt_summary_add(p->summary, c, n) < 0)
			lbadm_fail(2, "Memory allocation problem");
		return;
	}
	for (i = 0; i < n; i++) {
		if (p->json)
			lb_fmt_json_conn(stdout, &c[i], p->first);
		else
			lb_fmt_conn(stdout, &c[i], p->format);
		p->first = false;
	}
}

/* -L --daemon: what ipvsadm prints of IPVS's sync daemons; --json adds
 * their counters. */
static int
list_daemon(const struct command *c)
{
	static const char *const role[2] = { "master", "backup" };
	struct lb_api_sync r;
	void *resp;
	uint32_t len;
	unsigned int i;
	char g[INET_ADDRSTRLEN];

	if (call(LB_API_SYNC_GET, NULL, 0, &resp, &len) < 0)
		return 255;
	if (len != sizeof(r))
		lbadm_fail(2, "lbd sent a malformed sync daemon listing");
	memcpy(&r, resp, sizeof(r));
	free(resp);
	if (!(c->extra & X_JSON)) {
		for (i = 0; i < 2; i++) {
			const struct lb_api_sync_daemon *d = &r.daemon[i];

			if (!d->on)
				continue;
			inet_ntop(AF_INET, &d->group, g, sizeof(g));
			printf("%s sync daemon (mcast=%.16s, syncid=%u, maxlen=%u, group=%s, "
					"port=%u, ttl=%u)\n", role[i], d->ifname, d->syncid, d->maxlen,
					g, d->port, d->ttl);
		}
		return 0;
	}
	printf("{");
	for (i = 0; i < 2; i++) {
		const struct lb_api_sync_daemon *d = &r.daemon[i];

		inet_ntop(AF_INET, &d->group, g, sizeof(g));
		if (d->on)
			printf("\"%s\":{\"mcast_interface\":\"%.16s\",\"syncid\":%u,\"maxlen\":%u,"
					"\"group\":\"%s\",\"port\":%u,\"ttl\":%u},", role[i],
					d->ifname, d->syncid, d->maxlen, g, d->port, d->ttl);
		else
			printf("\"%s\":null,", role[i]);
	}
	printf("\"sent\":{\"queued\":%" PRIu64 ",\"queue_full\":%" PRIu64 ",\"msgs\":%" PRIu64
			",\"conns\":%" PRIu64 ",\"errors\":%" PRIu64 "},", r.queued, r.queue_full,
			r.sent_msgs, r.sent_conns, r.send_errors);
	printf("\"received\":{\"msgs\":%" PRIu64 ",\"conns\":%" PRIu64 ",\"ring_full\":%" PRIu64
			",\"created\":%" PRIu64 ",\"updated\":%" PRIu64 ",\"replaced\":%" PRIu64
			",\"stale\":%" PRIu64 ",\"no_service\":%" PRIu64 ",\"no_dest\":%" PRIu64
			",\"table_full\":%" PRIu64 ",\"drop\":{", r.rx_msgs, r.rx_conns, r.ring_full,
			r.created, r.updated, r.replaced, r.stale, r.no_service, r.no_dest,
			r.table_full);
	for (i = 0; i < LB_SYNC_DROP_COUNT; i++)
		printf("%s\"%s\":%" PRIu64, i ? "," : "", lb_sync_drop_names[i], r.rx_drop[i]);
	printf("}}}\n");
	return 0;
}

static int
do_list(struct command *c)
{
	struct lb_api_svc_key all = { 0 };
	struct lb_api_info info;
	uint32_t len;
	void *svcs;
	int rc;

	connect_once();	/* nothing printed before lbd is known to answer */
	/* ipvsadm's rule: -c takes --persistent-conn, --timeout and --daemon do not */
	if (((c->options & (OPT_CONNECTION | OPT_TIMEOUT | OPT_DAEMON)) &&
			(c->options & (OPT_STATS | OPT_RATE | OPT_THRESHOLDS))) ||
			((c->options & (OPT_TIMEOUT | OPT_DAEMON)) &&
			(c->options & OPT_PERSISTENTCONN)))
		lbadm_fail(2, "options conflicts in the list command");

	if (c->extra & X_COUNTERS) {
		void *resp;
		const struct lb_api_counters *hdr;

		if (call(LB_API_COUNTERS, NULL, 0, &resp, &len) < 0)
			return 1;
		hdr = resp;
		if (len < sizeof(*hdr) ||
				len != sizeof(*hdr) + (size_t)hdr->n_cores * sizeof(struct lb_api_core) +
				(size_t)hdr->n_hosts * sizeof(struct lb_api_host) +
				(size_t)hdr->n_pools * sizeof(struct lb_api_pool))
			lbadm_fail(2, "lbd sent malformed counters");
		lb_fmt_counters(stdout, hdr, (const struct lb_api_core *)(hdr + 1),
				(const struct lb_api_host *)((const struct lb_api_core *)(hdr + 1) +
					hdr->n_cores),
				lb_drop_name, LB_DROP_COUNT, (c->extra & X_JSON) != 0);
		free(resp);
		return 0;
	}
	if (c->options & OPT_DAEMON)
		return list_daemon(c);
	if (c->options & OPT_TIMEOUT) {
		struct lb_api_timeouts t;
		void *resp;

		if (call(LB_API_TIMEOUT_GET, NULL, 0, &resp, &len) < 0 || len != sizeof(t))
			return 1;
		memcpy(&t, resp, sizeof(t));
		free(resp);
		if (c->extra & X_JSON)
			lb_fmt_json_timeouts(stdout, &t);
		else
			lb_fmt_timeouts(stdout, &t);
		return 0;
	}
	if ((c->options & OPT_CONNECTION) || (c->extra & X_SUMMARY)) {
		struct conn_print p = {
			.format = c->format,
			.json = (c->extra & X_JSON) != 0,
			.first = true,
		};

		if (c->extra & X_SUMMARY) {
			p.summary = lb_fmt_summary_new();
			if (p.summary == NULL)
				lbadm_fail(2, "Memory allocation problem");
			for_each_conn_page(print_conn_page, &p);
			svcs = fetch_services(&all, &len);
			if (lb_fmt_summary_print(stdout, p.summary, svcs, len, p.json) < 0)
				lbadm_fail(2, "lbd sent a malformed service list");
			lb_fmt_summary_free(p.summary);
			free(svcs);
			return 0;
		}
		if (p.json)
			lb_fmt_json_conns_begin(stdout);
		else
			lb_fmt_conn_header(stdout, c->format);
		for_each_conn_page(print_conn_page, &p);
		if (p.json)
			lb_fmt_json_conns_end(stdout);
		return 0;
	}
	info = fetch_info();
	if (c->options & OPT_SERVICE) {
		svcs = fetch_services(&c->svc.key, &len);
	} else {
		svcs = fetch_services(&all, &len);
	}
	if (c->extra & X_JSON)
		rc = lb_fmt_json_services(stdout, &info, svcs, len);
	else
		rc = lb_fmt_services(stdout, &info, svcs, len, c->format,
				!(c->options & OPT_SERVICE));
	free(svcs);
	if (rc < 0)
		lbadm_fail(2, "lbd sent a malformed service list");
	return 0;
}

/*
 * --sysctl: IPVS's switches by their sysctl names, and lbd's table-full
 * defences. Alone it lists them (as `sysctl net.ipv4.vs` would), with
 * NAME=VALUE it sets one.
 */
static const struct sysctl_field {
	const char *name;
	size_t off;		/* in struct lb_api_sysctl */
	int32_t min, max;
} sysctl_fields[] = {
	{ "secure_tcp", offsetof(struct lb_api_sysctl, secure_tcp), 0, 1 },
	{ "sloppy_tcp", offsetof(struct lb_api_sysctl, sloppy_tcp), 0, 1 },
	{ "expire_nodest_conn", offsetof(struct lb_api_sysctl, expire_nodest_conn), 0, 1 },
	{ "drop_entry", offsetof(struct lb_api_sysctl, drop_entry), 0, 3 },
	{ "drop_packet", offsetof(struct lb_api_sysctl, drop_packet), 0, 3 },
	{ "am_droprate", offsetof(struct lb_api_sysctl, am_droprate), 1, 1000000 },
	{ "stateless_mh", offsetof(struct lb_api_sysctl, stateless_mh), 0, 3 },
	{ "defense_threshold", offsetof(struct lb_api_sysctl, defense_threshold), 1, 100 },
};
#define N_SYSCTL	(sizeof(sysctl_fields) / sizeof(sysctl_fields[0]))

static int32_t *
sysctl_at(struct lb_api_sysctl *s, size_t i)
{
	return (int32_t *)(void *)((char *)s + sysctl_fields[i].off);
}

static int
do_sysctl(const struct command *c)
{
	struct lb_api_sysctl s;
	const char *eq = c->sysctl_arg != NULL ? strchr(c->sysctl_arg, '=') : NULL;
	uint32_t len;
	void *resp;
	size_t i;

	if (c->sysctl_arg == NULL) {
		if (call(LB_API_SYSCTL_GET, NULL, 0, &resp, &len) < 0)
			return 255;
		if (len != sizeof(s))
			lbadm_fail(2, "lbd sent a malformed reply");
		memcpy(&s, resp, sizeof(s));
		free(resp);
		for (i = 0; i < N_SYSCTL; i++) {
			if (c->extra & X_JSON)
				printf("%s\"%s\":%d", i == 0 ? "{" : ",", sysctl_fields[i].name,
						*sysctl_at(&s, i));
			else
				printf("%s = %d\n", sysctl_fields[i].name, *sysctl_at(&s, i));
		}
		if (c->extra & X_JSON)
			printf("}\n");
		return 0;
	}
	for (i = 0; i < N_SYSCTL; i++)
		*sysctl_at(&s, i) = -1;
	for (i = 0; eq != NULL && i < N_SYSCTL; i++) {
		const struct sysctl_field *f = &sysctl_fields[i];
		char *end;
		long v;

		if (strlen(f->name) != (size_t)(eq - c->sysctl_arg) ||
				strncmp(c->sysctl_arg, f->name, strlen(f->name)) != 0)
			continue;
		errno = 0;
		v = strtol(eq + 1, &end, 10);
		if (eq[1] == '\0' || *end != '\0' || errno != 0 || v < f->min || v > f->max)
			lbadm_fail(2, "illegal value `%s' for %s (%d to %d)", eq + 1, f->name, f->min,
					f->max);
		*sysctl_at(&s, i) = (int32_t)v;
		break;
	}
	if (eq == NULL || i == N_SYSCTL)
		lbadm_fail(2, "unknown sysctl `%s' (secure_tcp, sloppy_tcp, expire_nodest_conn,"
				" drop_entry, drop_packet, am_droprate, stateless_mh,"
				" defense_threshold)", c->sysctl_arg);
	return call(LB_API_SYSCTL_SET, &s, sizeof(s), NULL, NULL) < 0 ? 255 : 0;
}

/* --announced, --announce VIP, --withdraw VIP */
static int
do_announce(const struct command *c)
{
	struct lb_api_announce_set r = { 0 };
	uint32_t len;
	void *resp;
	int rc;

	if (c->cmd != CMD_NONE || c->options != 0 ||
			(c->announce_arg != NULL && (c->extra & X_ANNOUNCED)))
		lbadm_fail(2, "--announced, --announce and --withdraw take no other command or option");
	if (c->announce_arg != NULL) {
		struct in6_addr in6;

		if (inet_pton(AF_INET6, c->announce_arg, &in6) == 1)
			lbadm_fail(2, "lbd announces IPv4 VIPs only: `%s'", c->announce_arg);
		if (inet_pton(AF_INET, c->announce_arg, &r.vip) != 1)
			lbadm_fail(2, "illegal virtual IP address `%s'", c->announce_arg);
		r.on = c->announce_on;
		return call(LB_API_ANNOUNCE_SET, &r, sizeof(r), NULL, NULL) < 0 ? 255 : 0;
	}
	if (call(LB_API_ANNOUNCE_LIST, NULL, 0, &resp, &len) < 0)
		return 255;
	rc = lb_fmt_announce(stdout, resp, len, (c->extra & X_JSON) != 0);
	free(resp);
	if (rc < 0)
		lbadm_fail(2, "lbd sent a malformed announcement listing");
	return 0;
}

/* --health [-t|-u service]: the checker's view of every server. */
static int
do_health(const struct command *c)
{
	struct lb_api_svc_key all = { 0 };
	uint32_t len;
	void *resp;
	int rc;

	if (c->cmd != CMD_NONE || (c->options & ~(unsigned int)OPT_SERVICE) != 0)
		lbadm_fail(2, "--health takes no other command or option than a service");
	if (call(LB_API_HEALTH, (c->options & OPT_SERVICE) ? &c->svc.key : &all,
				sizeof(all), &resp, &len) < 0)
		return (c->options & OPT_SERVICE) ? 1 : 255;
	rc = lb_fmt_health(stdout, resp, len, (c->extra & X_JSON) != 0);
	free(resp);
	if (rc < 0)
		lbadm_fail(2, "lbd sent a malformed health listing");
	return 0;
}

static int run_command(int argc, char **argv, bool from_stdin);

/* -R: each line of stdin is a command (as -S prints them). */
static int
do_restore(void)
{
	char line[4096];
	int rc = 0;

	while (fgets(line, sizeof(line), stdin) != NULL) {
		char *words[64], *save, *w;
		int n = 1;

		words[0] = (char *)(uintptr_t)prog;
		for (w = strtok_r(line, " \t\r\n", &save); w != NULL && n < 63;
				w = strtok_r(NULL, " \t\r\n", &save)) {
			if (w[0] == '#')
				break;
			if (n == 1 && (strcmp(w, "ipvsadm") == 0 || strcmp(w, "lbadm") == 0))
				continue;
			words[n++] = w;
		}
		words[n] = NULL;
		if (n > 1 && run_command(n, words, true) != 0)
			rc = 255;
	}
	return rc;
}

static int
run_command(int argc, char **argv, bool from_stdin)
{
	struct command c;
	char *pos[MAX_POS];
	int npos, rc = 0, first = 0;
	uint16_t type = 0;

	memset(&c, 0, sizeof(c));
	c.dest.weight = 1;
	c.dest.fwd = LB_API_FWD_ROUTE;
	c.svc.netmask = 0xffffffffu;
	lbadm_parse_args(argc, argv, &c, pos, &npos);
	if (c.cmd == CMD_TIMEOUT) {
		if (npos < 3)
			lbadm_fail(2, "--set option requires 3 timeout values");
		c.timeouts.tcp = (uint32_t)lbadm_parse_timeout(pos[0], 0, MAX_TIMEOUT);
		c.timeouts.tcpfin = (uint32_t)lbadm_parse_timeout(pos[1], 0, MAX_TIMEOUT);
		c.timeouts.udp = (uint32_t)lbadm_parse_timeout(pos[2], 0, MAX_TIMEOUT);
		first = 3;
	}
	if (npos > first)
		lbadm_fail(2, "unexpected argument %s", pos[first]);
	if (c.sync_extra && c.cmd != CMD_STARTDAEMON)
		lbadm_fail(2, "--sync-maxlen, --mcast-group, --mcast-port and --mcast-ttl go with "
				"--start-daemon");
	if (c.extra & X_HEALTH)
		return do_health(&c);
	if ((c.extra & X_ANNOUNCED) || c.announce_arg != NULL)
		return do_announce(&c);
	if (c.extra & X_SYSCTL) {
		if (c.cmd != CMD_NONE || c.options != 0)
			lbadm_fail(2, "--sysctl takes no other command or option");
		return do_sysctl(&c);
	}
	/* --summary and --counters are listings of their own: -L is implied */
	if (c.cmd == CMD_NONE && (c.extra & (X_SUMMARY | X_COUNTERS)))
		c.cmd = CMD_LIST;
	if (c.cmd == CMD_NONE)
		lbadm_tryhelp_exit(255);
	lbadm_generic_opt_check(c.cmd, c.options);
	/* ipvsadm checks this before asking the kernel, fwmark services too */
	if ((c.cmd == CMD_ADDDEST || c.cmd == CMD_EDITDEST) && c.dest.af != c.svc.key.af &&
			c.dest.fwd != LB_API_FWD_TUNNEL)
		lbadm_fail(2, "Different address family is allowed only for tunneling servers");

	/*
	 * lbd has no fwmark services: a command on one finds no such service,
	 * as it would on IPVS without it (listing one exits 1, as ipvsadm's
	 * list does); only creating one is refused outright.
	 */
	if (c.fwmark != 0) {
		if (c.cmd == CMD_ADD)
			lbadm_fail(2, "lbd has no fwmark services: use -t or -u");
		connect_once();
		if (c.cmd == CMD_ADDDEST || c.cmd == CMD_EDITDEST || c.cmd == CMD_DELDEST)
			fputs("Service not defined\n", stderr);
		else
			fputs("No such service\n", stderr);
		return c.cmd == CMD_LIST ? 1 : 255;
	}
	if (c.cmd == CMD_ADD || c.cmd == CMD_EDIT) {
		if (c.svc.key.port == 0 && !(c.svc.flags & LB_API_SVC_F_PERSISTENT))
			lbadm_fail(2, "Zero port specified for non-persistent service");
		if (c.svc.sched[0] == '\0')
			snprintf(c.svc.sched, sizeof(c.svc.sched), "wlc");
	}
	if (c.cmd == CMD_ADDDEST || c.cmd == CMD_EDITDEST || c.cmd == CMD_DELDEST) {
		/* As ipvsadm: with direct routing the server port is the service port. */
		if (c.dest.fwd == LB_API_FWD_ROUTE || c.dest.fwd == LB_API_FWD_TUNNEL)
			c.dest.port = c.svc.key.port;
	}

	switch (c.cmd) {
	case CMD_LIST:
		return do_list(&c);
	case CMD_SAVE: {
		struct lb_api_svc_key all = { 0 };
		struct lb_api_info info = fetch_info();
		uint32_t len;
		void *svcs = fetch_services(&all, &len);

		rc = lb_fmt_services(stdout, &info, svcs, len, c.format | LB_FMT_RULE, false);
		free(svcs);
		if (rc < 0)
			lbadm_fail(2, "lbd sent a malformed service list");
		return 0;
	}
	case CMD_RESTORE:
		if (from_stdin)
			lbadm_tryhelp_exit(255);
		return do_restore();
	case CMD_FLUSH:
		type = LB_API_CLEAR;
		rc = call(type, NULL, 0, NULL, NULL);
		break;
	case CMD_ADD:
	case CMD_EDIT:
		type = c.cmd == CMD_ADD ? LB_API_SVC_ADD : LB_API_SVC_EDIT;
		rc = call(type, &c.svc, sizeof(c.svc), NULL, NULL);
		break;
	case CMD_DEL:
		rc = call(LB_API_SVC_DEL, &c.svc.key, sizeof(c.svc.key), NULL, NULL);
		break;
	case CMD_ZERO:
		rc = call(LB_API_ZERO, &c.svc.key, sizeof(c.svc.key), NULL, NULL);
		break;
	case CMD_ADDDEST:
	case CMD_EDITDEST:
	case CMD_DELDEST: {
		struct lb_api_dest_req r = { .svc = c.svc.key, .dest = c.dest };

		type = c.cmd == CMD_ADDDEST ? LB_API_DEST_ADD :
			c.cmd == CMD_EDITDEST ? LB_API_DEST_EDIT : LB_API_DEST_DEL;
		rc = call(type, &r, sizeof(r), NULL, NULL);
		break;
	}
	case CMD_TIMEOUT:
		rc = call(LB_API_TIMEOUT_SET, &c.timeouts, sizeof(c.timeouts), NULL, NULL);
		break;
	case CMD_STARTDAEMON:
		if (c.sync.ifname[0] == '\0')
			lbadm_fail(2, "--start-daemon needs --mcast-interface");
		rc = call(LB_API_SYNC_START, &c.sync, sizeof(c.sync), NULL, NULL);
		break;
	case CMD_STOPDAEMON:
		rc = call(LB_API_SYNC_STOP, &c.sync, sizeof(c.sync), NULL, NULL);
		break;
	default:
		lbadm_fail(2, "unknown command");
	}
	return rc < 0 ? 255 : 0;
}

int
main(int argc, char **argv)
{
	char *list_all[] = { argv[0], "-L", NULL };

	lbadm_socket_path = getenv("LBD_SOCKET");
	if (lbadm_socket_path == NULL || lbadm_socket_path[0] == '\0')
		lbadm_socket_path = LB_CONF_DEFAULT_SOCKET;
	/* Like ipvsadm, no argument lists the table; --socket alone too. */
	if (argc == 1)
		return run_command(2, list_all, false);
	if (argc == 3 && strcmp(argv[1], "--socket") == 0) {
		lbadm_socket_path = argv[2];
		return run_command(2, list_all, false);
	}
	return run_command(argc, argv, false);
}
