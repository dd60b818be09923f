/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * An LD_PRELOAD shim that makes the real ipvsadm list lbd's live state, so
 * that tests/ipvsadm/compare.py can hold lbadm's output against ipvsadm's
 * own, byte for byte, instead of against our reading of ipvsadm's source.
 *
 * ipvsadm (libipvs) first looks for the generic netlink family "IPVS"; when
 * that fails it falls back to IPVS's old socket-option interface: a raw
 * IPv4 socket and getsockopt(IPPROTO_IP, IP_VS_SO_GET_*) filled with the
 * kernel's fixed structures. Its connection listing reads the text of
 * /proc/net/ip_vs_conn. This shim
 *   - refuses the generic netlink socket, so the fallback is taken even on
 *     a kernel that has IPVS loaded (the output must be lbd's, never the
 *     host's),
 *   - answers socket(AF_INET, SOCK_RAW, IPPROTO_RAW) with a connection to
 *     lbd's control socket ($LBD_SOCKET), and each IPVS getsockopt on it
 *     with the kernel's structure built from lbd's replies,
 *   - answers an fopen() or open() of /proc/net/ip_vs_conn with a memory
 *     file holding lbd's connection table in the kernel's text format.
 * Everything is rendered as the kernel renders it (ip_vs_ctl.c,
 * ip_vs_conn.c), from the layouts of Linux's include/uapi/linux/ip_vs.h.
 * Stats are the old interface's 32-bit counters, as on Linux.
 * Only listings are answered: the IP_VS_SO_SET_* commands fail.
 */
/*
 * fopen/fopen64 and open/open64 are interposed by their own names: no
 * redirection of one to the other (meson's _FILE_OFFSET_BITS), no fortified
 * inline open().
 */
#undef _FILE_OFFSET_BITS
#undef _FORTIFY_SOURCE

#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/netlink.h>

#include "control/lb_api.h"
#include "control/lbadm_client.h"
#include "dataplane/sched.h"
#include "dataplane/tcp_state.h"

/* ---- the kernel's socket-option interface (include/uapi/linux/ip_vs.h) ---- */

#define IPVS_BASE_CTL		(64 + 1024 + 64)
#define IPVS_SO_SET_MIN		IPVS_BASE_CTL
#define IPVS_SO_SET_MAX		(IPVS_BASE_CTL + 15)
#define IPVS_SO_GET_VERSION	IPVS_BASE_CTL
#define IPVS_SO_GET_INFO	(IPVS_BASE_CTL + 1)
#define IPVS_SO_GET_SERVICES	(IPVS_BASE_CTL + 2)
#define IPVS_SO_GET_SERVICE	(IPVS_BASE_CTL + 3)
#define IPVS_SO_GET_DESTS	(IPVS_BASE_CTL + 4)
#define IPVS_SO_GET_DEST	(IPVS_BASE_CTL + 5)
#define IPVS_SO_GET_TIMEOUT	(IPVS_BASE_CTL + 6)
#define IPVS_SO_GET_DAEMON	(IPVS_BASE_CTL + 7)

#define IPVS_SVC_F_PERSISTENT	0x0001
#define IPVS_SVC_F_HASHED	0x0002	/* every service in the table has it */
#define IPVS_SVC_F_SCHED1	0x0008	/* sh-fallback, mh-fallback */
#define IPVS_SVC_F_SCHED2	0x0010	/* sh-port, mh-port */

#define IPVS_CONN_F_MASQ	0x0000
#define IPVS_CONN_F_LOCALNODE	0x0001
#define IPVS_CONN_F_TUNNEL	0x0002
#define IPVS_CONN_F_DROUTE	0x0003
#define IPVS_CONN_F_INACTIVE	0x0100	/* the kernel sets it on every dest */

#define IPVS_SCHEDNAME_MAXLEN	16
#define IPVS_IFNAME_MAXLEN	16

struct ipvs_stats_user {
	uint32_t conns;
	uint32_t inpkts;
	uint32_t outpkts;
	uint64_t inbytes;
	uint64_t outbytes;
	uint32_t cps;
	uint32_t inpps;
	uint32_t outpps;
	uint32_t inbps;
	uint32_t outbps;
};

struct ipvs_getinfo {
	unsigned int version;
	unsigned int size;
	unsigned int num_services;
};

struct ipvs_service_entry {
	uint16_t protocol;
	uint32_t addr;		/* network order */
	uint16_t port;		/* network order */
	uint32_t fwmark;
	char sched_name[IPVS_SCHEDNAME_MAXLEN];
	unsigned int flags;
	unsigned int timeout;	/* seconds */
	uint32_t netmask;	/* network order */
	unsigned int num_dests;
	struct ipvs_stats_user stats;
};

struct ipvs_dest_entry {
	uint32_t addr;
	uint16_t port;
	unsigned int conn_flags;
	int weight;
	uint32_t u_threshold;
	uint32_t l_threshold;
	uint32_t activeconns;
	uint32_t inactconns;
	uint32_t persistconns;
	struct ipvs_stats_user stats;
};

struct ipvs_get_dests {
	uint16_t protocol;
	uint32_t addr;
	uint16_t port;
	uint32_t fwmark;
	unsigned int num_dests;
	struct ipvs_dest_entry entrytable[];
};

struct ipvs_get_services {
	unsigned int num_services;
	struct ipvs_service_entry entrytable[];
};

struct ipvs_timeout_user {
	int tcp_timeout;
	int tcp_fin_timeout;
	int udp_timeout;
};

struct ipvs_daemon_user {
	int state;
	char mcast_ifn[IPVS_IFNAME_MAXLEN];
	int syncid;
};

/* The x86-64 / aarch64 ABI of those structures, as the kernel has them. */
_Static_assert(sizeof(struct ipvs_stats_user) == 56, "ip_vs_stats_user");
_Static_assert(offsetof(struct ipvs_stats_user, inbytes) == 16, "ip_vs_stats_user.inbytes");
_Static_assert(sizeof(struct ipvs_getinfo) == 12, "ip_vs_getinfo");
_Static_assert(sizeof(struct ipvs_service_entry) == 104, "ip_vs_service_entry");
_Static_assert(offsetof(struct ipvs_service_entry, stats) == 48, "ip_vs_service_entry.stats");
_Static_assert(sizeof(struct ipvs_dest_entry) == 96, "ip_vs_dest_entry");
_Static_assert(offsetof(struct ipvs_dest_entry, stats) == 40, "ip_vs_dest_entry.stats");
_Static_assert(sizeof(struct ipvs_get_dests) == 24, "ip_vs_get_dests");
_Static_assert(sizeof(struct ipvs_get_services) == 8, "ip_vs_get_services");
_Static_assert(sizeof(struct ipvs_timeout_user) == 12, "ip_vs_timeout_user");
_Static_assert(sizeof(struct ipvs_daemon_user) == 24, "ip_vs_daemon_user");

/* And, where the system has the kernel's header, against it as well. */
#if __has_include(<linux/ip_vs.h>)
#include <linux/ip_vs.h>
_Static_assert(sizeof(struct ipvs_stats_user) == sizeof(struct ip_vs_stats_user), "stats");
_Static_assert(sizeof(struct ipvs_service_entry) == sizeof(struct ip_vs_service_entry), "svc");
_Static_assert(sizeof(struct ipvs_dest_entry) == sizeof(struct ip_vs_dest_entry), "dest");
_Static_assert(sizeof(struct ipvs_get_dests) == sizeof(struct ip_vs_get_dests), "dests");
_Static_assert(sizeof(struct ipvs_get_services) == sizeof(struct ip_vs_get_services), "svcs");
_Static_assert(sizeof(struct ipvs_daemon_user) == sizeof(struct ip_vs_daemon_user), "daemon");
_Static_assert(IPVS_SO_GET_DAEMON == IP_VS_SO_GET_DAEMON, "IP_VS_SO_GET_DAEMON");
_Static_assert(IPVS_SVC_F_SCHED2 == IP_VS_SVC_F_SCHED2, "IP_VS_SVC_F_SCHED2");
_Static_assert(IPVS_CONN_F_DROUTE == IP_VS_CONN_F_DROUTE, "IP_VS_CONN_F_DROUTE");
#endif

/* lbd numbers its TCP states as IPVS does; the names below rely on it. */
_Static_assert(LB_S_NONE == 0 && LB_S_ESTABLISHED == 1 && LB_S_SYN_RECV == 3 &&
		LB_S_FIN_WAIT == 4 && LB_S_SYNACK == 10 && LB_S_TCP_COUNT == 11,
		"lbd's TCP states are IPVS's");

/* ip_vs_proto_tcp.c's tcp_state_name_table, by IPVS state number. */
static const char *const tcp_state_names[] = {
	"NONE", "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT", "TIME_WAIT", "CLOSE",
	"CLOSE_WAIT", "LAST_ACK", "LISTEN", "SYNACK",
};

/* ---- the real functions ---- */

static int (*real_socket)(int, int, int);
static int (*real_getsockopt)(int, int, int, void *, socklen_t *);
static int (*real_setsockopt)(int, int, int, const void *, socklen_t);
static int (*real_close)(int);
static FILE *(*real_fopen)(const char *, const char *);
static FILE *(*real_fopen64)(const char *, const char *);
static int (*real_open)(const char *, int, ...);
static int (*real_open64)(const char *, int, ...);
static int (*real_openat)(int, const char *, int, ...);

static void *
next_sym(const char *name)
{
	void *p = dlsym(RTLD_NEXT, name);

	if (p == NULL) {
		fprintf(stderr, "ipvsadm shim: no %s in the next library\n", name);
		abort();
	}
	return p;
}

static void __attribute__((constructor))
shim_init(void)
{
	/*
	 * libipvs's sockopt path copies only the kernel's part of each service
	 * and server entry into a malloc'd table, leaving its own fields (the
	 * persistence engine's name, the tunnel fields) as the heap had them:
	 * ipvsadm would print garbage as " pe ...". Zero-filled allocations
	 * make them read as empty, which is what its netlink path reports.
	 */
	mallopt(M_PERTURB, 0xff);
	real_socket = next_sym("socket");
	real_getsockopt = next_sym("getsockopt");
	real_setsockopt = next_sym("setsockopt");
	real_close = next_sym("close");
	real_fopen = next_sym("fopen");
	real_fopen64 = next_sym("fopen64");
	real_open = next_sym("open");
	real_open64 = next_sym("open64");
	real_openat = next_sym("openat");
}

/* The descriptor libipvs believes is its raw IPVS socket: lbd's control socket. */
static int ipvs_fd = -1;

static const char *
lbd_socket_path(void)
{
	const char *p = getenv("LBD_SOCKET");

	return p != NULL && p[0] != '\0' ? p : "/run/lbd/lbd.sock";
}

#define CONN_PROC_FILE	"/proc/net/ip_vs_conn"

/* ---- requests to lbd ---- */

/* One request on fd; 0 with a malloc'd body, or a positive errno. */
static int
ask(int fd, uint16_t type, const void *body, uint32_t len, void **resp, uint32_t *resp_len)
{
	int rc = lb_client_call(fd, type, body, len, resp, resp_len);

	if (rc < 0)
		return -rc;
	return rc;
}

/* The SVC_LIST reply walked into services (n of them), checked. */
struct svc_list {
	void *blob;
	size_t n;
	const struct lb_api_svc **svc;
};

static void
svc_list_free(struct svc_list *l)
{
	free(l->blob);
	free(l->svc);
	memset(l, 0, sizeof(*l));
}

static int
svc_list_get(int fd, const struct lb_api_svc_key *key, struct svc_list *l)
{
	uint32_t len;
	const uint8_t *p, *end;
	size_t cap = 0;
	int rc;

	memset(l, 0, sizeof(*l));
	rc = ask(fd, LB_API_SVC_LIST, key, sizeof(*key), &l->blob, &len);
	if (rc != 0)
		return rc;
	p = l->blob;
	end = p + len;
	while (p < end) {
		struct lb_api_svc s;

		if ((size_t)(end - p) < sizeof(s))
			goto bad;
		memcpy(&s, p, sizeof(s));
		if (s.n_dests > (size_t)(end - p - sizeof(s)) / sizeof(struct lb_api_dest))
			goto bad;
		if (l->n == cap) {
			const struct lb_api_svc **v;

			cap = cap ? cap * 2 : 16;
			v = realloc(l->svc, cap * sizeof(*v));
			if (v == NULL)
				goto bad;
			l->svc = v;
		}
		l->svc[l->n++] = (const struct lb_api_svc *)p;
		p += sizeof(s) + (size_t)s.n_dests * sizeof(struct lb_api_dest);
	}
	return 0;
bad:
	svc_list_free(l);
	return EPROTO;
}

/* ---- lbd's structures -> the kernel's ---- */

static void
stats_user(struct ipvs_stats_user *u, const struct lb_api_stats *s)
{
	/* ip_vs_export_stats_user: the 32-bit fields are truncated */
	u->conns = (uint32_t)s->conns;
	u->inpkts = (uint32_t)s->inpkts;
	u->outpkts = (uint32_t)s->outpkts;
	u->inbytes = s->inbytes;
	u->outbytes = s->outbytes;
	u->cps = (uint32_t)s->cps;
	u->inpps = (uint32_t)s->inpps;
	u->outpps = (uint32_t)s->outpps;
	u->inbps = (uint32_t)s->inbps;
	u->outbps = (uint32_t)s->outbps;
}

/* ip_vs_copy_service */
static void
service_entry(struct ipvs_service_entry *e, const struct lb_api_svc *s)
{
	memset(e, 0, sizeof(*e));
	e->protocol = s->key.proto;
	e->addr = s->key.vip;
	e->port = htons(s->key.port);
	snprintf(e->sched_name, sizeof(e->sched_name), "%.*s", LB_API_SCHED_LEN, s->sched);
	e->flags = IPVS_SVC_F_HASHED;
	if (s->flags & LB_API_SVC_F_PERSISTENT) {
		e->flags |= IPVS_SVC_F_PERSISTENT;
		e->timeout = s->timeout;
	}
	if (s->sched_flags & LB_SCHED_F_FALLBACK)
		e->flags |= IPVS_SVC_F_SCHED1;
	if (s->sched_flags & LB_SCHED_F_PORT)
		e->flags |= IPVS_SVC_F_SCHED2;
	e->netmask = s->netmask;
	e->num_dests = s->n_dests;
	stats_user(&e->stats, &s->stats);
}

static void
dest_entry(struct ipvs_dest_entry *e, const struct lb_api_dest *d)
{
	static const unsigned int fwd[] = {
		[LB_API_FWD_ROUTE] = IPVS_CONN_F_DROUTE,
		[LB_API_FWD_MASQ] = IPVS_CONN_F_MASQ,
		[LB_API_FWD_TUNNEL] = IPVS_CONN_F_TUNNEL,
		[LB_API_FWD_LOCAL] = IPVS_CONN_F_LOCALNODE,
	};

	memset(e, 0, sizeof(*e));
	e->addr = d->addr;
	e->port = htons(d->port);
	e->conn_flags = (d->fwd < sizeof(fwd) / sizeof(fwd[0]) ? fwd[d->fwd] : 0) |
		IPVS_CONN_F_INACTIVE;
	e->weight = (int)d->weight;
	e->u_threshold = d->u_threshold;
	e->l_threshold = d->l_threshold;
	e->activeconns = d->active;
	e->inactconns = d->inactive;
	e->persistconns = d->persist;
	stats_user(&e->stats, &d->stats);
}

/* ---- the IP_VS_SO_GET_* commands, checked as do_ip_vs_get_ctl checks them ---- */

static int
get_info(int fd, struct ipvs_getinfo *gi)
{
	struct lb_api_svc_key all = { 0 };
	struct lb_api_info info;
	struct svc_list l;
	uint32_t len;
	void *resp;
	int rc;

	rc = ask(fd, LB_API_INFO, NULL, 0, &resp, &len);
	if (rc != 0)
		return rc;
	if (len != sizeof(info)) {
		free(resp);
		return EPROTO;
	}
	memcpy(&info, resp, sizeof(info));
	free(resp);
	/* the count GET_SERVICES is then asked for: the services listed */
	rc = svc_list_get(fd, &all, &l);
	if (rc != 0)
		return rc;
	gi->version = info.version_code;
	gi->size = info.conn_tab_size;
	gi->num_services = (unsigned int)l.n;
	svc_list_free(&l);
	return 0;
}

static int
so_get(int fd, int cmd, void *arg, socklen_t *len)
{
	struct lb_api_svc_key all = { 0 };
	struct svc_list l;
	int rc = 0;
	size_t i;

	switch (cmd) {
	case IPVS_SO_GET_VERSION: {
		struct ipvs_getinfo gi;
		char buf[64];

		if (*len < sizeof(buf))
			return EINVAL;
		rc = get_info(fd, &gi);
		if (rc != 0)
			return rc;
		snprintf(buf, sizeof(buf), "IP Virtual Server version %u.%u.%u (size=%u)",
			(gi.version >> 16) & 0xff, (gi.version >> 8) & 0xff, gi.version & 0xff,
			gi.size);
		memcpy(arg, buf, strlen(buf) + 1);
		*len = (socklen_t)(strlen(buf) + 1);
		return 0;
	}
	case IPVS_SO_GET_INFO: {
		struct ipvs_getinfo gi;

		if (*len < sizeof(gi))
			return EINVAL;
		rc = get_info(fd, &gi);
		if (rc == 0)
			memcpy(arg, &gi, sizeof(gi));
		return rc;
	}
	case IPVS_SO_GET_SERVICES: {
		struct ipvs_get_services *get = arg;
		unsigned int want;

		if (*len < sizeof(*get))
			return EINVAL;
		want = get->num_services;
		if (*len != sizeof(*get) + (size_t)want * sizeof(struct ipvs_service_entry))
			return EINVAL;
		rc = svc_list_get(fd, &all, &l);
		if (rc != 0)
			return rc;
		/* as the kernel: at most the count asked for, in table order */
		for (i = 0; i < l.n && i < want; i++)
			service_entry(&get->entrytable[i], l.svc[i]);
		for (; i < want; i++)
			memset(&get->entrytable[i], 0, sizeof(get->entrytable[i]));
		svc_list_free(&l);
		return 0;
	}
	case IPVS_SO_GET_SERVICE: {
		struct ipvs_service_entry *e = arg;
		struct lb_api_svc_key k = { 0 };

		/* at least the kernel's entry (libipvs passes its own, larger one) */
		if (*len < sizeof(*e))
			return EINVAL;
		if (e->fwmark != 0)
			return ESRCH;	/* lbd has no fwmark services */
		k.proto = (uint8_t)e->protocol;
		k.vip = e->addr;
		k.port = ntohs(e->port);
		if (k.proto == 0)
			return ESRCH;	/* lbd reads proto 0 as "every service" */
		rc = svc_list_get(fd, &k, &l);
		if (rc != 0)
			return rc;
		if (l.n != 1)
			rc = ESRCH;
		else
			service_entry(e, l.svc[0]);
		svc_list_free(&l);
		return rc;
	}
	case IPVS_SO_GET_DESTS: {
		struct ipvs_get_dests *get = arg;
		struct lb_api_svc_key k = { 0 };
		const struct lb_api_dest *d;
		unsigned int want;

		if (*len < sizeof(*get))
			return EINVAL;
		want = get->num_dests;
		if (*len != sizeof(*get) + (size_t)want * sizeof(struct ipvs_dest_entry))
			return EINVAL;
		if (get->fwmark != 0 || get->protocol == 0)
			return ESRCH;
		k.proto = (uint8_t)get->protocol;
		k.vip = get->addr;
		k.port = ntohs(get->port);
		rc = svc_list_get(fd, &k, &l);
		if (rc != 0)
			return rc;
		if (l.n != 1) {
			svc_list_free(&l);
			return ESRCH;
		}
		d = (const struct lb_api_dest *)(l.svc[0] + 1);
		for (i = 0; i < l.svc[0]->n_dests && i < want; i++)
			dest_entry(&get->entrytable[i], &d[i]);
		for (; i < want; i++)
			memset(&get->entrytable[i], 0, sizeof(get->entrytable[i]));
		svc_list_free(&l);
		return 0;
	}
	case IPVS_SO_GET_TIMEOUT: {
		struct ipvs_timeout_user t;
		struct lb_api_timeouts lt;
		uint32_t rlen;
		void *resp;

		if (*len < sizeof(t))
			return EINVAL;
		rc = ask(fd, LB_API_TIMEOUT_GET, NULL, 0, &resp, &rlen);
		if (rc != 0)
			return rc;
		if (rlen != sizeof(lt)) {
			free(resp);
			return EPROTO;
		}
		memcpy(&lt, resp, sizeof(lt));
		free(resp);
		t.tcp_timeout = (int)lt.tcp;
		t.tcp_fin_timeout = (int)lt.tcpfin;
		t.udp_timeout = (int)lt.udp;
		memcpy(arg, &t, sizeof(t));
		return 0;
	}
	case IPVS_SO_GET_DAEMON: {
		struct ipvs_daemon_user d[2];

		if (*len < sizeof(d))
			return EINVAL;
		/* lbd runs no sync daemon: neither master nor backup */
		memset(d, 0, sizeof(d));
		memcpy(arg, d, sizeof(d));
		return 0;
	}
	default:
		return EINVAL;
	}
}

/* ---- /proc/net/ip_vs_conn ---- */

static const char *
proto_name(uint8_t proto)
{
	/* ip_vs_proto_name */
	switch (proto) {
	case IPPROTO_IP:
		return "IP";
	case IPPROTO_TCP:
		return "TCP";
	case IPPROTO_UDP:
		return "UDP";
	case IPPROTO_SCTP:
		return "SCTP";
	case IPPROTO_ICMP:
		return "ICMP";
	default:
		return "ERR!";
	}
}

/* ip_vs_state_name: a template shows its template state, whatever its protocol. */
static const char *
state_name(const struct lb_api_conn *c)
{
	if (c->flags & LB_API_CONN_F_TEMPLATE)
		return (c->flags & LB_API_CONN_F_ASSURED) ? "ASSURED" : "NONE";
	if (c->proto == IPPROTO_TCP)
		return c->state < sizeof(tcp_state_names) / sizeof(tcp_state_names[0]) ?
			tcp_state_names[c->state] : "ERR!";
	if (c->proto == IPPROTO_UDP)
		return "UDP";	/* IP_VS_UDP_S_NORMAL, the one UDP state */
	return "ERR!";
}

/* ip_vs_conn_seq_show, for every entry of every worker (no persistence engine). */
static int
write_conns(FILE *f)
{
	struct lb_api_conn_cursor cur = { 0 };
	int fd, rc = 0;

	fd = lb_client_connect(lbd_socket_path());
	if (fd < 0)
		return -fd;
	fputs("Pro FromIP   FPrt ToIP     TPrt DestIP   DPrt State       Expires PEName PEData\n",
		f);
	for (;;) {
		const struct lb_api_conn_page *page;
		const struct lb_api_conn *c;
		uint32_t len, i;
		void *resp;
		bool last;

		rc = ask(fd, LB_API_CONN_LIST, &cur, sizeof(cur), &resp, &len);
		if (rc != 0)
			break;
		page = resp;
		if (len < sizeof(*page) ||
				len != sizeof(*page) + (size_t)page->n * sizeof(*c)) {
			free(resp);
			rc = EPROTO;
			break;
		}
		c = (const struct lb_api_conn *)(page + 1);
		for (i = 0; i < page->n; i++)
			fprintf(f, "%-3s %08X %04X %08X %04X %08X %04X %-11s %7u\n",
				proto_name(c[i].proto), ntohl(c[i].caddr), c[i].cport,
				ntohl(c[i].vaddr), c[i].vport, ntohl(c[i].daddr), c[i].dport,
				state_name(&c[i]), c[i].expire);
		cur = page->next;
		cur.max = 0;
		/* a page may be empty (lbd bounds its scan per page): only done ends */
		last = page->done != 0;
		free(resp);
		if (last)
			break;
	}
	real_close(fd);
	return rc;
}

/* A readable descriptor on the text of /proc/net/ip_vs_conn; -1 and errno. */
static int
conn_file(void)
{
	int fd = memfd_create("ip_vs_conn", MFD_CLOEXEC), rc;
	FILE *w;

	if (fd < 0)
		return -1;
	w = fdopen(dup(fd), "w");
	if (w == NULL) {
		real_close(fd);
		return -1;
	}
	rc = write_conns(w);
	if (fclose(w) != 0 && rc == 0)
		rc = EIO;
	if (rc != 0) {
		real_close(fd);
		errno = rc;
		return -1;
	}
	lseek(fd, 0, SEEK_SET);
	return fd;
}

static bool
is_conn_file(const char *path)
{
	return path != NULL && strcmp(path, CONN_PROC_FILE) == 0;
}

/* ---- the interposed calls ---- */

int
socket(int domain, int type, int protocol)
{
	int base = type & ~(SOCK_CLOEXEC | SOCK_NONBLOCK);

	/* no "IPVS" generic netlink family: libipvs falls back to sockopts */
	if (domain == AF_NETLINK && protocol == NETLINK_GENERIC) {
		errno = EPROTONOSUPPORT;
		return -1;
	}
	if (domain == AF_INET && base == SOCK_RAW && protocol == IPPROTO_RAW) {
		int fd = lb_client_connect(lbd_socket_path());

		if (fd < 0) {
			errno = -fd;
			return -1;
		}
		ipvs_fd = fd;
		return fd;
	}
	return real_socket(domain, type, protocol);
}

int
getsockopt(int fd, int level, int optname, void *optval, socklen_t *optlen)
{
	int rc;

	if (fd != ipvs_fd || fd < 0 || level != IPPROTO_IP)
		return real_getsockopt(fd, level, optname, optval, optlen);
	if (optname < IPVS_SO_GET_VERSION || optname > IPVS_SO_GET_DAEMON ||
			optval == NULL || optlen == NULL) {
		errno = EINVAL;
		return -1;
	}
	rc = so_get(fd, optname, optval, optlen);
	if (rc != 0) {
		errno = rc;
		return -1;
	}
	return 0;
}

int
setsockopt(int fd, int level, int optname, const void *optval, socklen_t optlen)
{
	if (fd == ipvs_fd && fd >= 0 && level == IPPROTO_IP &&
			optname >= IPVS_SO_SET_MIN && optname <= IPVS_SO_SET_MAX) {
		/* listings only: a change goes through lbadm */
		errno = EPERM;
		return -1;
	}
	return real_setsockopt(fd, level, optname, optval, optlen);
}

int
close(int fd)
{
	if (fd == ipvs_fd)
		ipvs_fd = -1;
	return real_close(fd);
}

static FILE *
conn_fopen(const char *mode)
{
	FILE *f;
	int fd;

	if (mode[0] != 'r' || strchr(mode, '+') != NULL) {
		errno = EACCES;	/* read-only, as in /proc */
		return NULL;
	}
	fd = conn_file();
	if (fd < 0)
		return NULL;
	f = fdopen(fd, "r");
	if (f == NULL)
		real_close(fd);
	return f;
}

FILE *
fopen(const char *path, const char *mode)
{
	if (is_conn_file(path))
		return conn_fopen(mode);
	return real_fopen(path, mode);
}

FILE *
fopen64(const char *path, const char *mode)
{
	if (is_conn_file(path))
		return conn_fopen(mode);
	return real_fopen64(path, mode);
}

static int
conn_open(int flags)
{
	if ((flags & O_ACCMODE) != O_RDONLY) {
		errno = EACCES;
		return -1;
	}
	return conn_file();
}

/* open(2)'s mode is there only with O_CREAT or O_TMPFILE. */
#define OPEN_MODE(flags, mode) do { \
	if ((flags) & (O_CREAT | O_TMPFILE)) { \
		va_list ap; \
		va_start(ap, flags); \
		mode = va_arg(ap, mode_t); \
		va_end(ap); \
	} \
} while (0)

int
open(const char *path, int flags, ...)
{
	mode_t mode = 0;

	OPEN_MODE(flags, mode);
	if (is_conn_file(path))
		return conn_open(flags);
	return real_open(path, flags, mode);
}

int
open64(const char *path, int flags, ...)
{
	mode_t mode = 0;

	OPEN_MODE(flags, mode);
	if (is_conn_file(path))
		return conn_open(flags);
	return real_open64(path, flags, mode);
}

int
openat(int dirfd, const char *path, int flags, ...)
{
	mode_t mode = 0;

	OPEN_MODE(flags, mode);
	if (is_conn_file(path))
		return conn_open(flags);
	return real_openat(dirfd, path, flags, mode);
}
