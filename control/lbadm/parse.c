/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lbadm's command line, parsed as ipvsadm parses it: its commands and
 * options, combined short options, its table of which options each command
 * takes, and its messages and exit statuses for each mistake.
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

static const char *const cmdnames[] = {
	"add-service", "edit-service", "delete-service", "flush", "list", "add-server",
	"delete-server", "edit-server", "set", "start-daemon", "stop-daemon", "restore",
	"save", "zero",
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
		lbadm_fail(2, "illegal %s specified", what);
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

int
lbadm_parse_timeout(const char *buf, int min, int max)
{
	int i;

	if (buf == NULL)
		return LB_PERSIST_DEFAULT;
	i = string_to_number(buf, min, max);
	if (i < 0)
		lbadm_fail(2, "invalid timeout value `%s' specified", buf);
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
		lbadm_fail(2, "invalid fwmark value `%s' specified", buf);
	return (uint32_t)l;
}

static void
set_command(struct command *c, enum cmd cmd)
{
	if (c->cmd != CMD_NONE)
		lbadm_fail(2, "multiple commands specified");
	c->cmd = cmd;
}

static void
set_option(struct command *c, unsigned int opt)
{
	int i;

	if (c->options & opt) {
		for (i = 0; i < N_OPT && !(opt & (1u << i)); i++)
			;
		lbadm_fail(2, "multiple '%s' options specified", optnames[i]);
	}
	c->options |= opt;
}

void
lbadm_generic_opt_check(enum cmd cmd, unsigned int options)
{
	int i = (int)cmd - 1, j, last = 0, count = 0;

	for (j = 0; j < N_OPT; j++) {
		if (!(options & (1u << j))) {
			if (cmd_opts[i][j] == '+')
				lbadm_fail(2, "You need to supply the '%s' option for the '%s' command",
						optnames[j], cmdnames[i]);
		} else {
			if (cmd_opts[i][j] == 'x')
				lbadm_fail(2, "Illegal '%s' option with the '%s' command", optnames[j],
						cmdnames[i]);
			if (cmd_opts[i][j] == '1') {
				if (++count == 1) {
					last = j;
					continue;
				}
				lbadm_fail(2, "The option '%s' conflicts with the '%s' option in the"
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
				lbadm_fail(2, "%s scheduler flag specified for %s", tok,
						lb_sched_name((enum lb_sched_kind)kind));
		}
		if (f < 0)
			lbadm_fail(2, "invalid scheduler flag `%s' specified", tok);
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
			lbadm_fail(2, "illegal %s parameter specified",
					o->tag == TAG_START_DAEMON ? "start-daemon" : "stop-daemon");
		break;
	case 'h': lbadm_usage_exit(0);
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
			lbadm_fail(2, "illegal virtual server address[:port] specified");
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
			lbadm_fail(2, "-6 used before -f\n");
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
		c->svc.timeout = (uint32_t)lbadm_parse_timeout(arg, 1, MAX_TIMEOUT);
		break;
	case 'M':
		set_option(c, OPT_NETMASK);
		if (c->svc.key.af == AF_INET6) {
			/* a prefix length, read with atoi as ipvsadm reads it
			 * ("64x" is 64) */
			c->svc.netmask = arg != NULL ? (uint32_t)atoi(arg) : 0;
			if (c->svc.netmask < 1 || c->svc.netmask > 128)
				lbadm_fail(2, "illegal ipv6 netmask specified");
		} else if (arg == NULL || host_to_addr(arg, &c->svc.netmask) < 0) {
			lbadm_fail(2, "illegal virtual server persistent mask specified");
		}
		break;
	case 'r': {
		uint16_t port = c->svc.key.port;

		set_option(c, OPT_SERVER);
		r = parse_service(arg, c->svc.key.proto, &c->dest.af, &c->dest.addr, &port);
		if (!(r & SERVICE_ADDR))
			lbadm_fail(2, "illegal real server address[:port] specified");
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
			lbadm_fail(2, "illegal weight specified");
		c->dest.weight = (uint32_t)n;
		break;
	case 'x':
		set_option(c, OPT_UTHRESHOLD);
		n = string_to_number(arg, 0, INT_MAX);
		if (n < 0)
			lbadm_fail(2, "illegal u_threshold specified");
		c->dest.u_threshold = (uint32_t)n;
		break;
	case 'y':
		set_option(c, OPT_LTHRESHOLD);
		n = string_to_number(arg, 0, INT_MAX);
		if (n < 0)
			lbadm_fail(2, "illegal l_threshold specified");
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
			lbadm_fail(2, "too long interface name");
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
			lbadm_fail(2, "illegal IPv4 mcast-group specified");
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
	case TAG_SOCKET: lbadm_socket_path = arg; break;
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
			lbadm_fail(2, "multiple '%s' options specified", "announce/withdraw");
		c->announce_arg = arg;
		c->announce_on = o->tag == TAG_ANNOUNCE;
		break;
	case TAG_SYSCTL:
		if (c->extra & X_SYSCTL)
			lbadm_fail(2, "multiple '%s' options specified", "sysctl");
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

void
lbadm_parse_args(int argc, char **argv, struct command *c, char **pos, int *npos)
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
				lbadm_tryhelp_exit(2);
			}
			if (eq != NULL) {
				if (o->arg == ARG_NONE) {
					fprintf(stderr, "%s: option does not take an argument\n", a);
					lbadm_tryhelp_exit(2);
				}
				val = eq + 1;
			} else if (o->arg == ARG_REQUIRED) {
				if (i + 1 >= argc) {
					fprintf(stderr, "%s: missing argument\n", a);
					lbadm_tryhelp_exit(2);
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
					lbadm_tryhelp_exit(2);
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
						lbadm_tryhelp_exit(2);
					}
					apply(c, o, val);
					break;
				}
				apply(c, o, NULL);
			}
		} else if (*npos < MAX_POS) {
			pos[(*npos)++] = argv[i];
		} else {
			lbadm_fail(2, "unexpected argument %s", argv[i]);
		}
	}
}
