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
 * control/ipvsfmt.c.
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
#include "control/sync_wire.h"
#include "dataplane/counters.h"
#include "dataplane/limits.h"
#include "dataplane/sched.h"

#define MAX_TIMEOUT	(86400 * 31)

enum cmd {
	CMD_NONE = 0, CMD_ADD, CMD_EDIT, CMD_DEL, CMD_FLUSH, CMD_LIST, CMD_ADDDEST,
	CMD_DELDEST, CMD_EDITDEST, CMD_TIMEOUT, CMD_STARTDAEMON, CMD_STOPDAEMON,
	CMD_RESTORE, CMD_SAVE, CMD_ZERO,
};

static const char *const cmdnames[] = {
	"add-service", "edit-service", "delete-service", "flush", "list", "add-server",
	"delete-server", "edit-server", "set", "start-daemon", "stop-daemon", "restore",
	"save", "zero",
};

/* ipvsadm's options, in its order (bit i = optnames[i]) */
enum {
	OPT_NUMERIC = 1 << 0, OPT_CONNECTION = 1 << 1, OPT_SERVICE = 1 << 2,
	OPT_SCHEDULER = 1 << 3, OPT_PERSISTENT = 1 << 4, OPT_NETMASK = 1 << 5,
	OPT_SERVER = 1 << 6, OPT_FORWARD = 1 << 7, OPT_WEIGHT = 1 << 8,
	OPT_UTHRESHOLD = 1 << 9, OPT_LTHRESHOLD = 1 << 10, OPT_MCAST = 1 << 11,
	OPT_TIMEOUT = 1 << 12, OPT_DAEMON = 1 << 13, OPT_STATS = 1 << 14,
	OPT_RATE = 1 << 15, OPT_THRESHOLDS = 1 << 16, OPT_PERSISTENTCONN = 1 << 17,
	OPT_NOSORT = 1 << 18, OPT_SYNCID = 1 << 19, OPT_EXACT = 1 << 20,
	OPT_SCHEDFLAGS = 1 << 21, OPT_TUNINFO = 1 << 22,
	N_OPT = 23,
};

static const char *const optnames[N_OPT] = {
	"numeric", "connection", "service-address", "scheduler", "persistent", "netmask",
	"real-server", "forwarding-method", "weight", "u-threshold", "l-threshold",
	"mcast-interface", "timeout", "daemon", "stats", "rate", "thresholds",
	"persistent-conn", "nosort", "syncid", "exact", "sched-flags", "tun-info",
};

/*
 * ipvsadm's table of legal combinations: '+' compulsory, 'x' illegal, '1'
 * exclusive, ' ' optional.
 */
static const char cmd_opts[][N_OPT] = {
	/*              -n   -c   svc  -s   -p   -M   -r   fwd  -w   -x   -y   mc   tot  dmn  st   rt   thr  pc   srt  sid  ex   -b   tun */
	/* ADD */     { 'x', 'x', '+', ' ', ' ', ' ', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', ' ', 'x' },
	/* EDIT */    { 'x', 'x', '+', ' ', ' ', ' ', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', ' ', 'x' },
	/* DEL */     { 'x', 'x', '+', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x' },
	/* FLUSH */   { 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x' },
	/* LIST */    { ' ', '1', '1', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', '1', '1', ' ', ' ', ' ', ' ', ' ', ' ', ' ', 'x', ' ' },
	/* ADDSRV */  { 'x', 'x', '+', 'x', 'x', 'x', '+', ' ', ' ', ' ', ' ', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x' },
	/* DELSRV */  { 'x', 'x', '+', 'x', 'x', 'x', '+', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x' },
	/* EDITSRV */ { 'x', 'x', '+', 'x', 'x', 'x', '+', ' ', ' ', ' ', ' ', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x' },
	/* TIMEOUT */ { 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x' },
	/* STARTD */  { 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', ' ', 'x', 'x', 'x', 'x', 'x', 'x', 'x', ' ', 'x', 'x', 'x' },
	/* STOPD */   { 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', ' ', 'x', 'x', 'x' },
	/* RESTORE */ { 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x' },
	/* SAVE */    { ' ', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x' },
	/* ZERO */    { 'x', 'x', ' ', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x' },
};

/* lbadm's own listing switches */
#define X_JSON		0x1
#define X_SUMMARY	0x2
#define X_LCORE		0x4
#define X_COUNTERS	0x8
#define X_SYSCTL	0x10
#define X_HEALTH	0x20
#define X_ANNOUNCED	0x40

struct command {
	enum cmd cmd;
	unsigned int options;
	unsigned int format;	/* LB_FMT_* */
	unsigned int extra;	/* X_* */
	struct lb_api_svc svc;
	uint32_t fwmark;	/* -f: lbd has none, see run_command() */
	struct lb_api_dest dest;
	bool dest_port_given;
	struct lb_api_timeouts timeouts;
	const char *sysctl_arg;	/* --sysctl NAME=VALUE, or NULL to list */
	const char *announce_arg;	/* --announce / --withdraw VIP */
	bool announce_on;
	struct lb_api_sync_daemon sync;	/* --start-daemon, --stop-daemon */
	bool sync_extra;	/* --sync-maxlen, --mcast-group/port/ttl given */
};

static const char *prog = "lbadm";
static const char *socket_path;
static int server_fd = -1;

static void __attribute__((noreturn, format(printf, 2, 3)))
fail(int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(status);
}

static void __attribute__((noreturn))
tryhelp_exit(int status)
{
	fprintf(stderr, "Try `%s -h' or '%s --help' for more information.\n", prog, prog);
	exit(status);
}

static void __attribute__((noreturn))
usage_exit(int status)
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
	server_fd = lb_client_connect(socket_path);
	if (server_fd < 0)
		fail(2, "Can't initialize ipvs: cannot reach lbd at %s: %s\n"
				"Is lbd running, and is this the socket of its control.socket?",
				socket_path, strerror(-server_fd));
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
		fail(2, "lbd closed the control connection: %s", strerror(-rc));
	if (resp == &dummy)
		free(dummy);
	if (rc > 0) {
		fprintf(stderr, "%s\n", api_strerror(type, rc));
		return -1;
	}
	return 0;
}

/* ---- parsing, as ipvsadm does ---- */

/* A number of --syncid, --sync-maxlen, --mcast-port, --mcast-ttl. */
static uint32_t
sync_number(const char *arg, unsigned long lo, unsigned long hi, const char *what)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(arg, &end, 10);
	if (errno != 0 || end == arg || *end != '\0' || arg[0] == '-' || v < lo || v > hi)
		fail(2, "illegal %s specified", what);
	return (uint32_t)v;
}

static int
string_to_number(const char *s, long min, long max)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(s, &end, 10);
	if (*end == '\0' && end != s && errno != ERANGE && n >= min && n <= max)
		return (int)n;
	return -1;
}

static bool
str_is_digit(const char *s)
{
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

static int
host_to_addr(const char *name, uint32_t *addr)
{
	struct in_addr in;
	struct hostent *h;

	if (inet_aton(name, &in) != 0) {
		*addr = in.s_addr;
		return 0;
	}
	h = gethostbyname(name);
	if (h == NULL || h->h_addrtype != AF_INET || h->h_length != 4)
		return -1;
	memcpy(addr, h->h_addr_list[0], 4);
	return 0;
}

#define SERVICE_ADDR	0x1
#define SERVICE_PORT	0x2

/*
 * ipvsadm's parse_service: "host[:port]", an IPv6 address alone, or
 * "[IPv6]:port" -> family, address and port; returns SERVICE_* bits, 0 on
 * error. An IPv6 address takes a port only in brackets, since
 * "2001:db8::1:80" is an address of its own; a bracket must be followed by
 * ':'. What stands in brackets and is no IPv6 address is read as IPv4 with
 * the port after the bracket ignored ("[10.0.0.1]:80" is 10.0.0.1, no port),
 * as ipvsadm reads it. Host names resolve to IPv4 only, as in ipvsadm.
 */
static int
parse_service(const char *arg, uint8_t proto, uint8_t *af, union lb_ip *addr, uint16_t *port)
{
	char buf[256], *host = buf, *portp = NULL;
	struct in6_addr in6;
	struct servent *se;
	uint32_t v4;
	int n;

	if (arg == NULL || str_is_digit(arg) || strlen(arg) >= sizeof(buf))
		return 0;
	snprintf(buf, sizeof(buf), "%s", arg);
	if (buf[0] == '[') {
		char *end = strchr(buf + 1, ']');

		if (end == NULL || end[1] != ':')
			return 0;
		*end = '\0';
		host = buf + 1;
		portp = end + 2;
	}
	if (inet_pton(AF_INET6, host, &in6) == 1) {
		*af = AF_INET6;
		*addr = lb_ip_from_v6(&in6);
	} else {
		portp = strrchr(host, ':');
		if (portp != NULL)
			*portp++ = '\0';
		if (host_to_addr(host, &v4) < 0)
			return 0;
		*af = AF_INET;
		*addr = lb_ip_from_v4(v4);
	}
	if (portp == NULL)
		return SERVICE_ADDR;
	n = string_to_number(portp, 0, 65535);
	if (n < 0) {
		se = getservbyname(portp, proto == IPPROTO_UDP ? "udp" : "tcp");
		if (se == NULL)
			return 0;
		n = ntohs((uint16_t)se->s_port);
	}
	*port = (uint16_t)n;
	return SERVICE_ADDR | SERVICE_PORT;
}

static int
parse_timeout(const char *buf, int min, int max)
{
	int i;

	if (buf == NULL)
		return LB_PERSIST_DEFAULT;
	i = string_to_number(buf, min, max);
	if (i < 0)
		fail(2, "invalid timeout value `%s' specified", buf);
	return i;
}

/* ipvsadm's parse_fwmark: 1 .. UINT32_MAX */
static uint32_t
parse_fwmark(const char *buf)
{
	char *end;
	long long l;

	errno = 0;
	l = strtoll(buf, &end, 10);
	if (*end != '\0' || end == buf || errno == ERANGE || l <= 0 || l > UINT32_MAX)
		fail(2, "invalid fwmark value `%s' specified", buf);
	return (uint32_t)l;
}

static void
set_command(struct command *c, enum cmd cmd)
{
	if (c->cmd != CMD_NONE)
		fail(2, "multiple commands specified");
	c->cmd = cmd;
}

static void
set_option(struct command *c, unsigned int opt)
{
	int i;

	if (c->options & opt) {
		for (i = 0; i < N_OPT && !(opt & (1u << i)); i++)
			;
		fail(2, "multiple '%s' options specified", optnames[i]);
	}
	c->options |= opt;
}

static void
generic_opt_check(enum cmd cmd, unsigned int options)
{
	int i = (int)cmd - 1, j, last = 0, count = 0;

	for (j = 0; j < N_OPT; j++) {
		if (!(options & (1u << j))) {
			if (cmd_opts[i][j] == '+')
				fail(2, "You need to supply the '%s' option for the '%s' command",
						optnames[j], cmdnames[i]);
		} else {
			if (cmd_opts[i][j] == 'x')
				fail(2, "Illegal '%s' option with the '%s' command", optnames[j],
						cmdnames[i]);
			if (cmd_opts[i][j] == '1') {
				if (++count == 1) {
					last = j;
					continue;
				}
				fail(2, "The option '%s' conflicts with the '%s' option in the"
						" '%s' command", optnames[j], optnames[last], cmdnames[i]);
			}
		}
	}
}

enum argtype { ARG_NONE, ARG_REQUIRED, ARG_OPTIONAL };

struct opt {
	const char *lng;
	char shrt;
	enum argtype arg;
	int tag;		/* the short letter, or one of TAG_* */
};

enum {
	TAG_SET = 256, TAG_START_DAEMON, TAG_STOP_DAEMON, TAG_MCAST, TAG_SYNCID, TAG_TIMEOUT,
	TAG_SYNC_MAXLEN, TAG_MCAST_GROUP, TAG_MCAST_PORT, TAG_MCAST_TTL,
	TAG_DAEMON, TAG_STATS, TAG_RATE, TAG_THRESHOLDS, TAG_PERSISTENTCONN, TAG_SORT,
	TAG_NOSORT, TAG_SOCKET, TAG_JSON, TAG_SUMMARY, TAG_LCORE, TAG_COUNTERS, TAG_SYSCTL, TAG_HEALTH,
	TAG_ANNOUNCED, TAG_ANNOUNCE, TAG_WITHDRAW,
	TAG_TUNINFO,
};

static const struct opt opts[] = {
	{ "add-service", 'A', ARG_NONE, 'A' }, { "edit-service", 'E', ARG_NONE, 'E' },
	{ "delete-service", 'D', ARG_NONE, 'D' }, { "clear", 'C', ARG_NONE, 'C' },
	{ "list", 'L', ARG_NONE, 'L' }, { NULL, 'l', ARG_NONE, 'l' },
	{ "zero", 'Z', ARG_NONE, 'Z' }, { "add-server", 'a', ARG_NONE, 'a' },
	{ "edit-server", 'e', ARG_NONE, 'e' }, { "delete-server", 'd', ARG_NONE, 'd' },
	{ "set", 0, ARG_NONE, TAG_SET }, { "help", 'h', ARG_NONE, 'h' },
	{ "version", 'v', ARG_NONE, 'v' }, { "restore", 'R', ARG_NONE, 'R' },
	{ "save", 'S', ARG_NONE, 'S' },
	{ "start-daemon", 0, ARG_REQUIRED, TAG_START_DAEMON },
	{ "stop-daemon", 0, ARG_REQUIRED, TAG_STOP_DAEMON },
	{ "tcp-service", 't', ARG_REQUIRED, 't' }, { "udp-service", 'u', ARG_REQUIRED, 'u' },
	{ "fwmark-service", 'f', ARG_REQUIRED, 'f' }, { "scheduler", 's', ARG_REQUIRED, 's' },
	{ "persistent", 'p', ARG_OPTIONAL, 'p' }, { "netmask", 'M', ARG_REQUIRED, 'M' },
	{ "sched-flags", 'b', ARG_REQUIRED, 'b' },
	{ "real-server", 'r', ARG_REQUIRED, 'r' }, { "masquerading", 'm', ARG_NONE, 'm' },
	{ "ipip", 'i', ARG_NONE, 'i' }, { "gatewaying", 'g', ARG_NONE, 'g' },
	{ "weight", 'w', ARG_REQUIRED, 'w' }, { "u-threshold", 'x', ARG_REQUIRED, 'x' },
	{ "l-threshold", 'y', ARG_REQUIRED, 'y' }, { "numeric", 'n', ARG_NONE, 'n' },
	{ "connection", 'c', ARG_NONE, 'c' }, { "mcast-interface", 0, ARG_REQUIRED, TAG_MCAST },
	{ "syncid", 0, ARG_REQUIRED, TAG_SYNCID }, { "timeout", 0, ARG_NONE, TAG_TIMEOUT },
	{ "sync-maxlen", 0, ARG_REQUIRED, TAG_SYNC_MAXLEN },
	{ "mcast-group", 0, ARG_REQUIRED, TAG_MCAST_GROUP },
	{ "mcast-port", 0, ARG_REQUIRED, TAG_MCAST_PORT },
	{ "mcast-ttl", 0, ARG_REQUIRED, TAG_MCAST_TTL },
	{ "daemon", 0, ARG_NONE, TAG_DAEMON }, { "stats", 0, ARG_NONE, TAG_STATS },
	{ "rate", 0, ARG_NONE, TAG_RATE }, { "thresholds", 0, ARG_NONE, TAG_THRESHOLDS },
	{ "persistent-conn", 0, ARG_NONE, TAG_PERSISTENTCONN },
	{ "nosort", 0, ARG_NONE, TAG_NOSORT }, { "sort", 0, ARG_NONE, TAG_SORT },
	{ "tun-info", 0, ARG_NONE, TAG_TUNINFO },
	{ "exact", 'X', ARG_NONE, 'X' }, { "ipv6", '6', ARG_NONE, '6' },
	{ "socket", 0, ARG_REQUIRED, TAG_SOCKET }, { "json", 0, ARG_NONE, TAG_JSON },
	{ "summary", 0, ARG_NONE, TAG_SUMMARY }, { "lcore", 0, ARG_NONE, TAG_LCORE },
	{ "counters", 0, ARG_NONE, TAG_COUNTERS },
	{ "health", 0, ARG_NONE, TAG_HEALTH },
	{ "announced", 0, ARG_NONE, TAG_ANNOUNCED },
	{ "announce", 0, ARG_REQUIRED, TAG_ANNOUNCE },
	{ "withdraw", 0, ARG_REQUIRED, TAG_WITHDRAW },
	{ "sysctl", 0, ARG_OPTIONAL, TAG_SYSCTL },
	{ NULL, 0, ARG_NONE, 0 },
};

static const struct opt *
find_long(const char *name, size_t len)
{
	const struct opt *o;

	for (o = opts; o->tag != 0; o++)
		if (o->lng != NULL && strlen(o->lng) == len && strncmp(o->lng, name, len) == 0)
			return o;
	return NULL;
}

static const struct opt *
find_short(char c)
{
	const struct opt *o;

	for (o = opts; o->tag != 0; o++)
		if (o->shrt == c)
			return o;
	return NULL;
}

static void
sched_flags(struct command *c, const char *arg)
{
	char buf[128], *tok, *save;
	int kind = lb_sched_from_name(c->svc.sched[0] ? c->svc.sched : "wlc");

	snprintf(buf, sizeof(buf), "%s", arg);
	for (tok = strtok_r(buf, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
		int f = -1, k;

		/* flag-1/2/3 are ipvsadm's generic names: fallback, port */
		if (strcmp(tok, "flag-1") == 0)
			f = LB_SCHED_F_FALLBACK;
		else if (strcmp(tok, "flag-2") == 0)
			f = LB_SCHED_F_PORT;
		for (k = 0; f < 0 && k < LB_SCHED_COUNT; k++) {
			f = lb_sched_flag_from_name((enum lb_sched_kind)k, tok);
			if (f >= 0 && kind >= 0 && k != kind)
				fail(2, "%s scheduler flag specified for %s", tok,
						lb_sched_name((enum lb_sched_kind)kind));
		}
		if (f < 0)
			fail(2, "invalid scheduler flag `%s' specified", tok);
		c->svc.sched_flags |= (uint32_t)f;
	}
}

static void
apply(struct command *c, const struct opt *o, const char *arg)
{
	int n, r;

	switch (o->tag) {
	case 'A': set_command(c, CMD_ADD); break;
	case 'E': set_command(c, CMD_EDIT); break;
	case 'D': set_command(c, CMD_DEL); break;
	case 'a': set_command(c, CMD_ADDDEST); break;
	case 'e': set_command(c, CMD_EDITDEST); break;
	case 'd': set_command(c, CMD_DELDEST); break;
	case 'C': set_command(c, CMD_FLUSH); break;
	case 'L': case 'l': set_command(c, CMD_LIST); break;
	case 'Z': set_command(c, CMD_ZERO); break;
	case TAG_SET: set_command(c, CMD_TIMEOUT); break;
	case 'R': set_command(c, CMD_RESTORE); break;
	case 'S': set_command(c, CMD_SAVE); break;
	case TAG_START_DAEMON:
	case TAG_STOP_DAEMON:
		set_command(c, o->tag == TAG_START_DAEMON ? CMD_STARTDAEMON : CMD_STOPDAEMON);
		if (strcmp(arg, "master") == 0)
			c->sync.role = 0;
		else if (strcmp(arg, "backup") == 0)
			c->sync.role = 1;
		else
			fail(2, "illegal %s parameter specified",
					o->tag == TAG_START_DAEMON ? "start-daemon" : "stop-daemon");
		break;
	case 'h': usage_exit(0);
	case 'v':
		printf("lbadm " LB_VERSION " (ipvsadm v1.31 compatible)\n");
		exit(0);
	case 't':
	case 'u':
		set_option(c, OPT_SERVICE);
		c->svc.key.proto = o->tag == 't' ? IPPROTO_TCP : IPPROTO_UDP;
		r = parse_service(arg, c->svc.key.proto, &c->svc.key.af, &c->svc.key.vip,
				&c->svc.key.port);
		if (!(r & SERVICE_ADDR))
			fail(2, "illegal virtual server address[:port] specified");
		/* IPv6 persistence is a prefix length: the whole address unless -M
		 * follows (a -M before -t is lost, as in ipvsadm) */
		if (c->svc.key.af == AF_INET6)
			c->svc.netmask = 128;
		break;
	case 'f':
		set_option(c, OPT_SERVICE);
		c->svc.key.af = AF_INET;	/* ipvsadm's, unless -6 follows */
		c->fwmark = parse_fwmark(arg);
		break;
	case '6':
		/* ipvsadm's -6 is for fwmark services only (and only after -f) */
		if (c->fwmark == 0)
			fail(2, "-6 used before -f\n");
		c->svc.key.af = AF_INET6;
		c->svc.netmask = 128;
		break;
	case 's':
		set_option(c, OPT_SCHEDULER);
		snprintf(c->svc.sched, sizeof(c->svc.sched), "%s", arg);
		break;
	case 'b':
		set_option(c, OPT_SCHEDFLAGS);
		sched_flags(c, arg);
		break;
	case 'p':
		set_option(c, OPT_PERSISTENT);
		c->svc.flags |= LB_API_SVC_F_PERSISTENT;
		c->svc.timeout = (uint32_t)parse_timeout(arg, 1, MAX_TIMEOUT);
		break;
	case 'M':
		set_option(c, OPT_NETMASK);
		if (c->svc.key.af == AF_INET6) {
			/* a prefix length, read with atoi as ipvsadm reads it
			 * ("64x" is 64) */
			c->svc.netmask = arg != NULL ? (uint32_t)atoi(arg) : 0;
			if (c->svc.netmask < 1 || c->svc.netmask > 128)
				fail(2, "illegal ipv6 netmask specified");
		} else if (arg == NULL || host_to_addr(arg, &c->svc.netmask) < 0) {
			fail(2, "illegal virtual server persistent mask specified");
		}
		break;
	case 'r': {
		uint16_t port = c->svc.key.port;

		set_option(c, OPT_SERVER);
		r = parse_service(arg, c->svc.key.proto, &c->dest.af, &c->dest.addr, &port);
		if (!(r & SERVICE_ADDR))
			fail(2, "illegal real server address[:port] specified");
		c->dest.port = port;
		c->dest_port_given = r & SERVICE_PORT;
		break;
	}
	case 'g':
	case 'i':
	case 'm':
		set_option(c, OPT_FORWARD);
		c->dest.fwd = o->tag == 'g' ? LB_API_FWD_ROUTE :
			o->tag == 'i' ? LB_API_FWD_TUNNEL : LB_API_FWD_MASQ;
		break;
	case 'w':
		set_option(c, OPT_WEIGHT);
		n = string_to_number(arg, 0, 65535);
		if (n < 0)
			fail(2, "illegal weight specified");
		c->dest.weight = (uint32_t)n;
		break;
	case 'x':
		set_option(c, OPT_UTHRESHOLD);
		n = string_to_number(arg, 0, INT_MAX);
		if (n < 0)
			fail(2, "illegal u_threshold specified");
		c->dest.u_threshold = (uint32_t)n;
		break;
	case 'y':
		set_option(c, OPT_LTHRESHOLD);
		n = string_to_number(arg, 0, INT_MAX);
		if (n < 0)
			fail(2, "illegal l_threshold specified");
		c->dest.l_threshold = (uint32_t)n;
		break;
	case 'c': set_option(c, OPT_CONNECTION); break;
	case 'n':
		set_option(c, OPT_NUMERIC);
		c->format |= LB_FMT_NUMERIC;
		break;
	case TAG_MCAST:
		set_option(c, OPT_MCAST);
		if (strlen(arg) >= sizeof(c->sync.ifname))
			fail(2, "too long interface name");
		snprintf(c->sync.ifname, sizeof(c->sync.ifname), "%s", arg);
		break;
	case TAG_SYNCID:
		set_option(c, OPT_SYNCID);
		c->sync.syncid = sync_number(arg, 0, 255, "syncid");
		break;
	case TAG_SYNC_MAXLEN:
		c->sync.maxlen = sync_number(arg, 1, 65535 - 28, "sync-maxlen");
		c->sync_extra = true;
		break;
	case TAG_MCAST_GROUP:
		if (inet_pton(AF_INET, arg, &c->sync.group) != 1 ||
				!IN_MULTICAST(ntohl(c->sync.group)))
			fail(2, "illegal IPv4 mcast-group specified");
		c->sync_extra = true;
		break;
	case TAG_MCAST_PORT:
		c->sync.port = sync_number(arg, 1, 65535, "mcast-port");
		c->sync_extra = true;
		break;
	case TAG_MCAST_TTL:
		c->sync.ttl = sync_number(arg, 1, 255, "mcast-ttl");
		c->sync_extra = true;
		break;
	case TAG_TIMEOUT: set_option(c, OPT_TIMEOUT); break;
	case TAG_DAEMON: set_option(c, OPT_DAEMON); break;
	case TAG_STATS:
		set_option(c, OPT_STATS);
		c->format |= LB_FMT_STATS;
		break;
	case TAG_RATE:
		set_option(c, OPT_RATE);
		c->format |= LB_FMT_RATE;
		break;
	case TAG_THRESHOLDS:
		set_option(c, OPT_THRESHOLDS);
		c->format |= LB_FMT_THRESHOLDS;
		break;
	case TAG_PERSISTENTCONN:
		set_option(c, OPT_PERSISTENTCONN);
		c->format |= LB_FMT_PERSISTENTCONN;
		break;
	case TAG_NOSORT:
		set_option(c, OPT_NOSORT);
		c->format |= LB_FMT_NOSORT;
		break;
	case TAG_SORT: break;
	case TAG_TUNINFO:
		set_option(c, OPT_TUNINFO);
		c->format |= LB_FMT_TUNINFO;
		break;
	case 'X':
		set_option(c, OPT_EXACT);
		c->format |= LB_FMT_EXACT;
		break;
	case TAG_SOCKET: socket_path = arg; break;
	case TAG_JSON: c->extra |= X_JSON; break;
	case TAG_SUMMARY: c->extra |= X_SUMMARY; break;
	case TAG_LCORE:
		c->extra |= X_LCORE;
		c->format |= LB_FMT_LCORE;
		break;
	case TAG_COUNTERS: c->extra |= X_COUNTERS; break;
	case TAG_HEALTH: c->extra |= X_HEALTH; break;
	case TAG_ANNOUNCED: c->extra |= X_ANNOUNCED; break;
	case TAG_ANNOUNCE:
	case TAG_WITHDRAW:
		if (c->announce_arg != NULL)
			fail(2, "multiple '%s' options specified", "announce/withdraw");
		c->announce_arg = arg;
		c->announce_on = o->tag == TAG_ANNOUNCE;
		break;
	case TAG_SYSCTL:
		if (c->extra & X_SYSCTL)
			fail(2, "multiple '%s' options specified", "sysctl");
		c->extra |= X_SYSCTL;
		c->sysctl_arg = arg;
		break;
	}
}

/*
 * argv -> command. Short options combine (-Ln, -lnc); an option's value is
 * the rest of its cluster or the next word; -p's value is optional (taken
 * only when the next word does not start with '-'). Words that are no
 * option are positional (--set's three timeouts).
 */
#define MAX_POS	8

static void
parse_args(int argc, char **argv, struct command *c, char **pos, int *npos)
{
	int i;

	*npos = 0;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *val = NULL;
		const struct opt *o;

		if (a[0] == '-' && a[1] == '-' && a[2] != '\0') {
			const char *eq = strchr(a + 2, '=');

			o = find_long(a + 2, eq ? (size_t)(eq - a - 2) : strlen(a + 2));
			if (o == NULL) {
				fprintf(stderr, "%s: unknown option\n", a);
				tryhelp_exit(2);
			}
			if (eq != NULL) {
				if (o->arg == ARG_NONE) {
					fprintf(stderr, "%s: option does not take an argument\n", a);
					tryhelp_exit(2);
				}
				val = eq + 1;
			} else if (o->arg == ARG_REQUIRED) {
				if (i + 1 >= argc) {
					fprintf(stderr, "%s: missing argument\n", a);
					tryhelp_exit(2);
				}
				val = argv[++i];
			} else if (o->arg == ARG_OPTIONAL && i + 1 < argc && argv[i + 1][0] != '-') {
				val = argv[++i];
			}
			apply(c, o, val);
		} else if (a[0] == '-' && a[1] != '\0') {
			const char *p;

			for (p = a + 1; *p; p++) {
				o = find_short(*p);
				if (o == NULL) {
					fprintf(stderr, "-%c: unknown option\n", *p);
					tryhelp_exit(2);
				}
				if (o->arg != ARG_NONE) {
					if (p[1] != '\0')
						val = p + 1;
					else if (o->arg == ARG_REQUIRED && i + 1 < argc)
						val = argv[++i];
					else if (o->arg == ARG_OPTIONAL && i + 1 < argc &&
							argv[i + 1][0] != '-')
						val = argv[++i];
					else if (o->arg == ARG_REQUIRED) {
						fprintf(stderr, "-%c: missing argument\n", *p);
						tryhelp_exit(2);
					}
					apply(c, o, val);
					break;
				}
				apply(c, o, NULL);
			}
		} else if (*npos < MAX_POS) {
			pos[(*npos)++] = argv[i];
		} else {
			fail(2, "unexpected argument %s", argv[i]);
		}
	}
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
			fail(2, "lbd sent a malformed connection page");
		page = resp;
		if (len != sizeof(*page) + (size_t)page->n * sizeof(struct lb_api_conn))
			fail(2, "lbd sent a malformed connection page");
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
			fail(2, "Memory allocation problem");
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
		fail(2, "lbd sent a malformed sync daemon listing");
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
		fail(2, "options conflicts in the list command");

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
			fail(2, "lbd sent malformed counters");
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
				fail(2, "Memory allocation problem");
			for_each_conn_page(print_conn_page, &p);
			svcs = fetch_services(&all, &len);
			if (lb_fmt_summary_print(stdout, p.summary, svcs, len, p.json) < 0)
				fail(2, "lbd sent a malformed service list");
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
		fail(2, "lbd sent a malformed service list");
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
			fail(2, "lbd sent a malformed reply");
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
			fail(2, "illegal value `%s' for %s (%d to %d)", eq + 1, f->name, f->min,
					f->max);
		*sysctl_at(&s, i) = (int32_t)v;
		break;
	}
	if (eq == NULL || i == N_SYSCTL)
		fail(2, "unknown sysctl `%s' (secure_tcp, sloppy_tcp, expire_nodest_conn,"
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
		fail(2, "--announced, --announce and --withdraw take no other command or option");
	if (c->announce_arg != NULL) {
		struct in6_addr in6;

		if (inet_pton(AF_INET6, c->announce_arg, &in6) == 1)
			fail(2, "lbd announces IPv4 VIPs only: `%s'", c->announce_arg);
		if (inet_pton(AF_INET, c->announce_arg, &r.vip) != 1)
			fail(2, "illegal virtual IP address `%s'", c->announce_arg);
		r.on = c->announce_on;
		return call(LB_API_ANNOUNCE_SET, &r, sizeof(r), NULL, NULL) < 0 ? 255 : 0;
	}
	if (call(LB_API_ANNOUNCE_LIST, NULL, 0, &resp, &len) < 0)
		return 255;
	rc = lb_fmt_announce(stdout, resp, len, (c->extra & X_JSON) != 0);
	free(resp);
	if (rc < 0)
		fail(2, "lbd sent a malformed announcement listing");
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
		fail(2, "--health takes no other command or option than a service");
	if (call(LB_API_HEALTH, (c->options & OPT_SERVICE) ? &c->svc.key : &all,
				sizeof(all), &resp, &len) < 0)
		return (c->options & OPT_SERVICE) ? 1 : 255;
	rc = lb_fmt_health(stdout, resp, len, (c->extra & X_JSON) != 0);
	free(resp);
	if (rc < 0)
		fail(2, "lbd sent a malformed health listing");
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
	parse_args(argc, argv, &c, pos, &npos);
	if (c.cmd == CMD_TIMEOUT) {
		if (npos < 3)
			fail(2, "--set option requires 3 timeout values");
		c.timeouts.tcp = (uint32_t)parse_timeout(pos[0], 0, MAX_TIMEOUT);
		c.timeouts.tcpfin = (uint32_t)parse_timeout(pos[1], 0, MAX_TIMEOUT);
		c.timeouts.udp = (uint32_t)parse_timeout(pos[2], 0, MAX_TIMEOUT);
		first = 3;
	}
	if (npos > first)
		fail(2, "unexpected argument %s", pos[first]);
	if (c.sync_extra && c.cmd != CMD_STARTDAEMON)
		fail(2, "--sync-maxlen, --mcast-group, --mcast-port and --mcast-ttl go with "
				"--start-daemon");
	if (c.extra & X_HEALTH)
		return do_health(&c);
	if ((c.extra & X_ANNOUNCED) || c.announce_arg != NULL)
		return do_announce(&c);
	if (c.extra & X_SYSCTL) {
		if (c.cmd != CMD_NONE || c.options != 0)
			fail(2, "--sysctl takes no other command or option");
		return do_sysctl(&c);
	}
	/* --summary and --counters are listings of their own: -L is implied */
	if (c.cmd == CMD_NONE && (c.extra & (X_SUMMARY | X_COUNTERS)))
		c.cmd = CMD_LIST;
	if (c.cmd == CMD_NONE)
		tryhelp_exit(255);
	generic_opt_check(c.cmd, c.options);
	/* ipvsadm checks this before asking the kernel, fwmark services too */
	if ((c.cmd == CMD_ADDDEST || c.cmd == CMD_EDITDEST) && c.dest.af != c.svc.key.af &&
			c.dest.fwd != LB_API_FWD_TUNNEL)
		fail(2, "Different address family is allowed only for tunneling servers");

	/*
	 * lbd has no fwmark services: a command on one finds no such service,
	 * as it would on IPVS without it (listing one exits 1, as ipvsadm's
	 * list does); only creating one is refused outright.
	 */
	if (c.fwmark != 0) {
		if (c.cmd == CMD_ADD)
			fail(2, "lbd has no fwmark services: use -t or -u");
		connect_once();
		if (c.cmd == CMD_ADDDEST || c.cmd == CMD_EDITDEST || c.cmd == CMD_DELDEST)
			fputs("Service not defined\n", stderr);
		else
			fputs("No such service\n", stderr);
		return c.cmd == CMD_LIST ? 1 : 255;
	}
	if (c.cmd == CMD_ADD || c.cmd == CMD_EDIT) {
		if (c.svc.key.port == 0 && !(c.svc.flags & LB_API_SVC_F_PERSISTENT))
			fail(2, "Zero port specified for non-persistent service");
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
			fail(2, "lbd sent a malformed service list");
		return 0;
	}
	case CMD_RESTORE:
		if (from_stdin)
			tryhelp_exit(255);
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
			fail(2, "--start-daemon needs --mcast-interface");
		rc = call(LB_API_SYNC_START, &c.sync, sizeof(c.sync), NULL, NULL);
		break;
	case CMD_STOPDAEMON:
		rc = call(LB_API_SYNC_STOP, &c.sync, sizeof(c.sync), NULL, NULL);
		break;
	default:
		fail(2, "unknown command");
	}
	return rc < 0 ? 255 : 0;
}

int
main(int argc, char **argv)
{
	char *list_all[] = { argv[0], "-L", NULL };

	socket_path = getenv("LBD_SOCKET");
	if (socket_path == NULL || socket_path[0] == '\0')
		socket_path = LB_CONF_DEFAULT_SOCKET;
	/* Like ipvsadm, no argument lists the table; --socket alone too. */
	if (argc == 1)
		return run_command(2, list_all, false);
	if (argc == 3 && strcmp(argv[1], "--socket") == 0) {
		socket_path = argv[2];
		return run_command(2, list_all, false);
	}
	return run_command(argc, argv, false);
}
