/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ipvsadm's listings, byte for byte, over lbd's control-protocol structs.
 * The formats are ipvsadm 1.31's (see docs/cli.md); the golden tests in
 * tests/golden/ hold fixtures written from them.
 */
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "control/lbadm/ipvsfmt.h"
#include "dataplane/sched.h"
#include "dataplane/tcp_state.h"

void
lb_fmt_largenum(FILE *f, uint64_t v, unsigned int format)
{
	unsigned long long i = v;

	if (format & LB_FMT_EXACT) {
		int len = snprintf(NULL, 0, "%llu", i);

		fprintf(f, "%*llu", len <= 8 ? 9 : len + 1, i);
	} else if (i < 100000000ULL) {
		fprintf(f, "%9llu", i);
	} else if (i < 1000000000ULL) {
		fprintf(f, "%8lluK", i / 1000ULL);
	} else if (i < 100000000000ULL) {
		fprintf(f, "%8lluM", i / 1000000ULL);
	} else if (i < 100000000000000ULL) {
		fprintf(f, "%8lluG", i / 1000000000ULL);
	} else {
		fprintf(f, "%8lluT", i / 1000000000000ULL);
	}
}

/*
 * Name resolution without -n, as ipvsadm: the host's name when the resolver
 * has one (IPv4 and IPv6 alike), else the address; the service's name from
 * /etc/services, else the number. A listing repeats the same few addresses,
 * so a small cache keeps a long -c from asking the resolver once per line.
 */
#define NAME_CACHE	256

struct name_slot {
	union lb_ip addr;
	uint8_t af;
	bool used;
	char name[NI_MAXHOST];
};

static struct name_slot name_cache[NAME_CACHE];

/* inet_ntop of an address of family af (anything but AF_INET6 is IPv4). */
static const char *
addr_text(uint8_t af, const union lb_ip *addr, char *buf, size_t size)
{
	if (af == AF_INET6)
		return inet_ntop(AF_INET6, addr->v6, buf, (socklen_t)size);
	return inet_ntop(AF_INET, &addr->v4, buf, (socklen_t)size);
}

static const char *
host_name(uint8_t af, const union lb_ip *addr)
{
	uint32_t h = ntohl(lb_ip_fold(af, addr)) * 2654435761u;
	struct name_slot *s = &name_cache[h >> 24];
	struct sockaddr_storage ss;
	socklen_t sl;
	int rc;

	if (s->used && s->af == af && lb_ip_eq(&s->addr, addr))
		return s->name;
	memset(&ss, 0, sizeof(ss));
	if (af == AF_INET6) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

		sin6->sin6_family = AF_INET6;
		memcpy(&sin6->sin6_addr, addr->v6, sizeof(sin6->sin6_addr));
		sl = sizeof(*sin6);
	} else {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		sin->sin_family = AF_INET;
		sin->sin_addr.s_addr = addr->v4;
		sl = sizeof(*sin);
	}
	s->addr = *addr;
	s->af = af;
	s->used = true;
	rc = getnameinfo((struct sockaddr *)&ss, sl, s->name, sizeof(s->name), NULL, 0,
			NI_NAMEREQD);
	if (rc != 0)
		addr_text(af, addr, s->name, sizeof(s->name));
	return s->name;
}

void
lb_fmt_addrport(char *buf, size_t size, uint8_t af, const union lb_ip *addr, uint16_t port,
		uint8_t proto, unsigned int format)
{
	/* ipvsadm brackets an IPv6 address whether it prints it or its name */
	const char *lb = af == AF_INET6 ? "[" : "", *rb = af == AF_INET6 ? "]" : "";
	char out[LB_FMT_ADDRPORT_MAX];

	if (format & LB_FMT_NUMERIC) {
		char a[INET6_ADDRSTRLEN];

		snprintf(out, sizeof(out), "%s%s%s:%u", lb, addr_text(af, addr, a, sizeof(a)),
			rb, port);
	} else {
		const struct servent *se = NULL;

		if (proto == IPPROTO_TCP)
			se = getservbyport(htons(port), "tcp");
		else if (proto == IPPROTO_UDP)
			se = getservbyport(htons(port), "udp");
		if (se != NULL)
			snprintf(out, sizeof(out), "%s%s%s:%s", lb, host_name(af, addr), rb,
				se->s_name);
		else
			snprintf(out, sizeof(out), "%s%s%s:%u", lb, host_name(af, addr), rb,
				port);
	}
	snprintf(buf, size, "%s", out);
}

/* ---- services ---- */

struct svc_view {
	const struct lb_api_svc *svc;
	const struct lb_api_dest *dests;
};

/* Walks a SVC_LIST blob into views; NULL when it is malformed. */
static struct svc_view *
parse_services(const void *blob, size_t len, size_t *n)
{
	/* an empty table may come as NULL: no arithmetic on it */
	const uint8_t *p = blob, *end = len != 0 ? p + len : p;
	struct svc_view *v = NULL;
	size_t cap = 0;

	*n = 0;
	while (p < end) {
		struct lb_api_svc s;

		if ((size_t)(end - p) < sizeof(s))
			goto bad;
		memcpy(&s, p, sizeof(s));
		if (s.n_dests > (size_t)(end - p - sizeof(s)) / sizeof(struct lb_api_dest))
			goto bad;
		if (*n == cap) {
			struct svc_view *nv;

			cap = cap ? cap * 2 : 16;
			nv = realloc(v, cap * sizeof(*v));
			if (nv == NULL)
				goto bad;
			v = nv;
		}
		v[*n].svc = (const struct lb_api_svc *)p;
		v[*n].dests = (const struct lb_api_dest *)(p + sizeof(s));
		(*n)++;
		p += sizeof(s) + (size_t)s.n_dests * sizeof(struct lb_api_dest);
	}
	if (v == NULL)
		v = malloc(sizeof(*v));
	return v;
bad:
	free(v);
	return NULL;
}

/*
 * ipvsadm sorts with libipvs's comparators, which subtract host-order
 * addresses as unsigned and read the result as int: addresses more than 2^31
 * apart compare "backwards" (10.0.0.1 after 200.0.0.1). Byte-for-byte output
 * means the same order.
 */
static int
cmp_u32_as_int(uint32_t a, uint32_t b)
{
	return (int)(a - b);
}

/* Two addresses of family af: IPv6 word by word, each word as above. */
static int
cmp_addr(uint8_t af, const union lb_ip *a, const union lb_ip *b)
{
	int r = 0, i;

	if (af != AF_INET6)
		return cmp_u32_as_int(ntohl(a->v4), ntohl(b->v4));
	for (i = 0; r == 0 && i < 4; i++)
		r = cmp_u32_as_int(ntohl(a->v6_32[i]), ntohl(b->v6_32[i]));
	return r;
}

/* libipvs's service order: family (IPv4 first), protocol, address, port. */
static int
cmp_key(const struct lb_api_svc_key *x, const struct lb_api_svc_key *y)
{
	int r = (int)x->af - (int)y->af;

	if (r != 0)
		return r;
	r = (int)x->proto - (int)y->proto;
	if (r != 0)
		return r;
	r = cmp_addr(x->af, &x->vip, &y->vip);
	if (r != 0)
		return r;
	return (int)x->port - (int)y->port;
}

static int
cmp_svc(const void *a, const void *b)
{
	return cmp_key(&((const struct svc_view *)a)->svc->key,
		&((const struct svc_view *)b)->svc->key);
}

/* libipvs's server order: address (in the family of the first), port. */
static int
cmp_dest(const void *a, const void *b)
{
	const struct lb_api_dest *x = *(const struct lb_api_dest *const *)a;
	const struct lb_api_dest *y = *(const struct lb_api_dest *const *)b;
	int r = cmp_addr(x->af, &x->addr, &y->addr);

	if (r != 0)
		return r;
	return (int)x->port - (int)y->port;
}

static const char *
fwd_name(uint16_t fwd)
{
	switch (fwd) {
	case LB_API_FWD_MASQ:
		return "Masq";
	case LB_API_FWD_TUNNEL:
		return "Tunnel";
	case LB_API_FWD_LOCAL:
		return "Local";
	default:
		return "Route";
	}
}

static const char *
fwd_switch(uint16_t fwd)
{
	switch (fwd) {
	case LB_API_FWD_MASQ:
		return "-m";
	case LB_API_FWD_TUNNEL:
		return "-i";
	default:
		return "-g";
	}
}

static const char *
proto_name(uint8_t proto)
{
	return proto == IPPROTO_UDP ? "UDP" : "TCP";
}

/* ipvsadm 1.31's print_sched_flags: sh/mh flags by name, others flag-N. */
static void
print_sched_flags(FILE *f, const struct lb_api_svc *s)
{
	const char *pfx = NULL;
	bool first = true;

	if (strcmp(s->sched, "sh") == 0)
		pfx = "sh";
	else if (strcmp(s->sched, "mh") == 0)
		pfx = "mh";
	if (s->sched_flags & LB_SCHED_F_FALLBACK) {
		if (pfx)
			fprintf(f, "%s-fallback", pfx);
		else
			fputs("flag-1", f);
		first = false;
	}
	if (s->sched_flags & LB_SCHED_F_PORT) {
		if (!first)
			fputc(',', f);
		if (pfx)
			fprintf(f, "%s-port", pfx);
		else
			fputs("flag-2", f);
	}
}

static void
print_title(FILE *f, unsigned int format)
{
	if (format & LB_FMT_STATS)
		fprintf(f, "%-33s %8s %8s %8s %8s %8s\n  -> RemoteAddress:Port\n",
			"Prot LocalAddress:Port", "Conns", "InPkts", "OutPkts", "InBytes",
			"OutBytes");
	else if (format & LB_FMT_RATE)
		fprintf(f, "%-33s %8s %8s %8s %8s %8s\n  -> RemoteAddress:Port\n",
			"Prot LocalAddress:Port", "CPS", "InPPS", "OutPPS", "InBPS", "OutBPS");
	else if (format & LB_FMT_THRESHOLDS)
		fprintf(f, "%-33s %-10s %-10s %-10s %-10s\n  -> RemoteAddress:Port\n",
			"Prot LocalAddress:Port", "Uthreshold", "Lthreshold", "ActiveConn",
			"InActConn");
	else if (format & LB_FMT_PERSISTENTCONN)
		fprintf(f, "%-33s %-9s %-11s %-10s %-10s\n  -> RemoteAddress:Port\n",
			"Prot LocalAddress:Port", "Weight", "PersistConn", "ActiveConn",
			"InActConn");
	else if (format & LB_FMT_TUNINFO)
		fputs("Prot LocalAddress:Port Scheduler Flags\n"
		      "  -> RemoteAddress:Port           Forward TunnelInfo    Weight ActiveConn"
		      " InActConn\n", f);
	else if (!(format & LB_FMT_RULE))
		fputs("Prot LocalAddress:Port Scheduler Flags\n"
		      "  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n", f);
}

static void
print_stats5(FILE *f, const struct lb_api_stats *st, unsigned int format, bool rate)
{
	if (rate) {
		lb_fmt_largenum(f, st->cps, format);
		lb_fmt_largenum(f, st->inpps, format);
		lb_fmt_largenum(f, st->outpps, format);
		lb_fmt_largenum(f, st->inbps, format);
		lb_fmt_largenum(f, st->outbps, format);
	} else {
		lb_fmt_largenum(f, st->conns, format);
		lb_fmt_largenum(f, st->inpkts, format);
		lb_fmt_largenum(f, st->outpkts, format);
		lb_fmt_largenum(f, st->inbytes, format);
		lb_fmt_largenum(f, st->outbytes, format);
	}
}

/*
 * The persistence granularity after "-M " or " mask ", as ipvsadm prints it:
 * IPv4's mask dotted, IPv6's prefix length; nothing when it is the whole
 * address (/32, /128).
 */
static void
print_netmask(FILE *f, const struct lb_api_svc *s, const char *what)
{
	if (s->key.af == AF_INET && s->netmask != 0xffffffffu) {
		char m[INET_ADDRSTRLEN];

		inet_ntop(AF_INET, &s->netmask, m, sizeof(m));
		fprintf(f, "%s%s", what, m);
	} else if (s->key.af == AF_INET6 && s->netmask != 128) {
		fprintf(f, "%s%i", what, (int)s->netmask);
	}
}

static void
print_dest(FILE *f, const struct lb_api_svc *s, const char *svc_name,
		const struct lb_api_dest *e, unsigned int format)
{
	char dname[LB_FMT_ADDRPORT_MAX];

	lb_fmt_addrport(dname, sizeof(dname), e->af, &e->addr, e->port, s->key.proto, format);
	if (format & LB_FMT_RULE) {
		/* ipvsadm saves no -x/-y either; --json has them */
		fprintf(f, "-a %s -r %s %s -w %d\n", svc_name, dname, fwd_switch(e->fwd),
			(int)e->weight);
		return;
	}
	/* ipvsadm cuts an IPv4 server to its column; an IPv6 one pushes the rest */
	if (e->af != AF_INET6)
		dname[28] = '\0';
	if (format & LB_FMT_STATS) {
		fprintf(f, "  -> %-28s", dname);
		print_stats5(f, &e->stats, format, false);
		fputc('\n', f);
	} else if (format & LB_FMT_RATE) {
		fprintf(f, "  -> %-28s %8llu %8llu %8llu", dname,
			(unsigned long long)e->stats.cps, (unsigned long long)e->stats.inpps,
			(unsigned long long)e->stats.outpps);
		lb_fmt_largenum(f, e->stats.inbps, format);
		lb_fmt_largenum(f, e->stats.outbps, format);
		fputc('\n', f);
	} else if (format & LB_FMT_THRESHOLDS) {
		fprintf(f, "  -> %-28s %-10u %-10u %-10u %-10u\n", dname, e->u_threshold,
			e->l_threshold, e->active, e->inactive);
	} else if (format & LB_FMT_PERSISTENTCONN) {
		fprintf(f, "  -> %-28s %-9u %-11u %-10u %-10u\n", dname, e->weight,
			e->persist, e->active, e->inactive);
	} else if (format & LB_FMT_TUNINFO) {
		/* TunnelInfo: "n/a", as for every server that is not a tunnel */
		fprintf(f, "  -> %-28s %-7s %-13s %-6d %-10u %-10u\n", dname,
			fwd_name(e->fwd), "n/a", (int)e->weight, e->active, e->inactive);
	} else {
		fprintf(f, "  -> %-28s %-7s %-6d %-10u %-10u\n", dname, fwd_name(e->fwd),
			(int)e->weight, e->active, e->inactive);
	}
}

static void
print_service(FILE *f, const struct svc_view *v, unsigned int format)
{
	const struct lb_api_svc *s = v->svc;
	const struct lb_api_dest **d;
	char vname[LB_FMT_ADDRPORT_MAX], svc_name[LB_FMT_ADDRPORT_MAX + 8];
	uint32_t i;

	lb_fmt_addrport(vname, sizeof(vname), s->key.af, &s->key.vip, s->key.port,
		s->key.proto, format);
	if (format & LB_FMT_RULE) {
		snprintf(svc_name, sizeof(svc_name), "%s %s",
			s->key.proto == IPPROTO_UDP ? "-u" : "-t", vname);
	} else {
		snprintf(svc_name, sizeof(svc_name), "%s  %s", proto_name(s->key.proto), vname);
		/* IPv4 fits the column or is cut; IPv6 is not cut */
		if (s->key.af != AF_INET6)
			svc_name[33] = '\0';
	}

	if (format & LB_FMT_RULE) {
		/* ipvsadm's order: -p and -M, then -b */
		fprintf(f, "-A %s -s %s", svc_name, s->sched);
		if (s->flags & LB_API_SVC_F_PERSISTENT) {
			fprintf(f, " -p %u", s->timeout);
			print_netmask(f, s, " -M ");
		}
		if (s->sched_flags & (LB_SCHED_F_FALLBACK | LB_SCHED_F_PORT)) {
			fputs(" -b ", f);
			print_sched_flags(f, s);
		}
	} else if (format & (LB_FMT_STATS | LB_FMT_RATE)) {
		fprintf(f, "%-33s", svc_name);
		print_stats5(f, &s->stats, format, !(format & LB_FMT_STATS));
	} else {
		fprintf(f, "%s %s", svc_name, s->sched);
		if (s->sched_flags & (LB_SCHED_F_FALLBACK | LB_SCHED_F_PORT)) {
			fputs(" (", f);
			print_sched_flags(f, s);
			fputc(')', f);
		}
		if (s->flags & LB_API_SVC_F_PERSISTENT) {
			fprintf(f, " persistent %u", s->timeout);
			print_netmask(f, s, " mask ");
		}
	}
	fputc('\n', f);

	d = malloc((s->n_dests ? s->n_dests : 1) * sizeof(*d));
	if (d == NULL)
		return;
	for (i = 0; i < s->n_dests; i++)
		d[i] = &v->dests[i];
	if (!(format & LB_FMT_NOSORT))
		qsort(d, s->n_dests, sizeof(*d), cmp_dest);
	for (i = 0; i < s->n_dests; i++)
		print_dest(f, s, svc_name, d[i], format);
	free(d);
}

int
lb_fmt_services(FILE *f, const struct lb_api_info *info, const void *blob, size_t len,
		unsigned int format, bool with_version)
{
	struct svc_view *v;
	size_t n, i;

	v = parse_services(blob, len, &n);
	if (v == NULL)
		return -1;
	if (with_version && !(format & LB_FMT_RULE))
		fprintf(f, "IP Virtual Server version %u.%u.%u (size=%u)\n",
			(info->version_code >> 16) & 0xff, (info->version_code >> 8) & 0xff,
			info->version_code & 0xff, info->conn_tab_size);
	if (!(format & LB_FMT_NOSORT))
		qsort(v, n, sizeof(*v), cmp_svc);
	print_title(f, format);
	for (i = 0; i < n; i++)
		print_service(f, &v[i], format);
	free(v);
	return 0;
}

/* ---- JSON ---- */

static void
json_addr(FILE *f, const char *key, uint8_t af, const union lb_ip *addr)
{
	char a[INET6_ADDRSTRLEN];

	fprintf(f, "\"%s\":\"%s\"", key, addr_text(af, addr, a, sizeof(a)));
}

static void
json_stats(FILE *f, const struct lb_api_stats *st)
{
	fprintf(f, "\"stats\":{\"conns\":%llu,\"inpkts\":%llu,\"outpkts\":%llu,"
		"\"inbytes\":%llu,\"outbytes\":%llu},",
		(unsigned long long)st->conns, (unsigned long long)st->inpkts,
		(unsigned long long)st->outpkts, (unsigned long long)st->inbytes,
		(unsigned long long)st->outbytes);
	fprintf(f, "\"rates\":{\"cps\":%llu,\"inpps\":%llu,\"outpps\":%llu,"
		"\"inbps\":%llu,\"outbps\":%llu}",
		(unsigned long long)st->cps, (unsigned long long)st->inpps,
		(unsigned long long)st->outpps, (unsigned long long)st->inbps,
		(unsigned long long)st->outbps);
}

int
lb_fmt_json_services(FILE *f, const struct lb_api_info *info, const void *blob, size_t len)
{
	struct svc_view *v;
	size_t n, i;
	uint32_t j;

	v = parse_services(blob, len, &n);
	if (v == NULL)
		return -1;
	qsort(v, n, sizeof(*v), cmp_svc);
	fprintf(f, "{\"version\":\"%.*s\",\"conn_tab_size\":%u,\"connections\":%u,"
		"\"services\":[", (int)sizeof(info->version), info->version,
		info->conn_tab_size, info->conns);
	for (i = 0; i < n; i++) {
		const struct lb_api_svc *s = v[i].svc;
		char m[INET_ADDRSTRLEN];

		/* as the configuration file takes it: a mask, or a prefix length */
		if (s->key.af == AF_INET6)
			snprintf(m, sizeof(m), "%u", s->netmask);
		else
			inet_ntop(AF_INET, &s->netmask, m, sizeof(m));
		fprintf(f, "%s{\"protocol\":\"%s\",", i ? "," : "", proto_name(s->key.proto));
		json_addr(f, "vip", s->key.af, &s->key.vip);
		fprintf(f, ",\"port\":%u,\"scheduler\":\"%.*s\",\"sched_flags\":[",
			s->key.port, LB_API_SCHED_LEN, s->sched);
		if (s->sched_flags & LB_SCHED_F_FALLBACK)
			fputs("\"fallback\"", f);
		if (s->sched_flags & LB_SCHED_F_PORT)
			fprintf(f, "%s\"port\"", (s->sched_flags & LB_SCHED_F_FALLBACK) ? "," : "");
		fprintf(f, "],\"persistence\":%u,\"netmask\":\"%s\",",
			(s->flags & LB_API_SVC_F_PERSISTENT) ? s->timeout : 0, m);
		json_stats(f, &s->stats);
		fputs(",\"real_servers\":[", f);
		for (j = 0; j < s->n_dests; j++) {
			const struct lb_api_dest *e = &v[i].dests[j];

			fprintf(f, "%s{", j ? "," : "");
			json_addr(f, "address", e->af, &e->addr);
			fprintf(f, ",\"port\":%u,\"forward\":\"%s\",\"weight\":%u,"
				"\"u_threshold\":%u,\"l_threshold\":%u,\"active_conns\":%u,"
				"\"inactive_conns\":%u,\"persist_conns\":%u,",
				e->port, fwd_name(e->fwd), e->weight, e->u_threshold,
				e->l_threshold, e->active, e->inactive, e->persist);
			json_stats(f, &e->stats);
			fputc('}', f);
		}
		fputs("]}", f);
	}
	fputs("]}\n", f);
	free(v);
	return 0;
}

/* ---- connections ---- */

void
lb_fmt_conn_header(FILE *f, unsigned int format)
{
	fputs("IPVS connection entries\n", f);
	if (format & LB_FMT_LCORE)
		fprintf(f, "pro expire %-11s %-18s %-18s %-18s %s\n", "state", "source",
			"virtual", "destination", "lcore");
	else if (format & LB_FMT_PERSISTENTCONN)
		fprintf(f, "pro expire %-11s %-18s %-18s %-18s %-16s %s\n", "state", "source",
			"virtual", "destination", "pe name", "pe_data");
	else
		fprintf(f, "pro expire %-11s %-18s %-18s %s\n", "state", "source", "virtual",
			"destination");
}

/*
 * IPVS's ip_vs_state_name: a persistence template shows its template state,
 * NONE or ASSURED, whatever its protocol; a UDP entry its one state.
 */
static const char *
conn_state_name(const struct lb_api_conn *c)
{
	if (c->flags & LB_API_CONN_F_TEMPLATE)
		return (c->flags & LB_API_CONN_F_ASSURED) ? "ASSURED" : "NONE";
	if (c->proto == IPPROTO_UDP)
		return "UDP";
	return c->state < LB_S_COUNT ? lb_state_name(c->state) : "ERR!";
}

void
lb_fmt_conn(FILE *f, const struct lb_api_conn *c, unsigned int format)
{
	char cn[LB_FMT_ADDRPORT_MAX], vn[LB_FMT_ADDRPORT_MAX], dn[LB_FMT_ADDRPORT_MAX];
	char exp[24];

	/* an IPv6 entry's "[addr]:port" is wider than its column and pushes the
	 * next ones, as in ipvsadm */
	lb_fmt_addrport(cn, sizeof(cn), c->af, &c->caddr, c->cport, c->proto, format);
	lb_fmt_addrport(vn, sizeof(vn), c->af, &c->vaddr, c->vport, c->proto, format);
	lb_fmt_addrport(dn, sizeof(dn), c->af, &c->daddr, c->dport, c->proto, format);
	snprintf(exp, sizeof(exp), "%02u:%02u", c->expire / 60, c->expire % 60);
	if (format & LB_FMT_LCORE)
		fprintf(f, "%-3s %-6s %-11s %-18s %-18s %-18s %u\n", proto_name(c->proto), exp,
			conn_state_name(c), cn, vn, dn, c->lcore);
	else
		fprintf(f, "%-3s %-6s %-11s %-18s %-18s %s\n", proto_name(c->proto), exp,
			conn_state_name(c), cn, vn, dn);
}

void
lb_fmt_json_conns_begin(FILE *f)
{
	fputs("{\"connections\":[", f);
}

void
lb_fmt_json_conn(FILE *f, const struct lb_api_conn *c, bool first)
{
	fprintf(f, "%s\n{\"protocol\":\"%s\",\"state\":\"%s\",\"expire\":%u,",
		first ? "" : ",", proto_name(c->proto), conn_state_name(c), c->expire);
	json_addr(f, "client", c->af, &c->caddr);
	fprintf(f, ",\"client_port\":%u,", c->cport);
	json_addr(f, "vip", c->af, &c->vaddr);
	fprintf(f, ",\"vport\":%u,", c->vport);
	json_addr(f, "server", c->af, &c->daddr);
	fprintf(f, ",\"server_port\":%u,\"lcore\":%u,\"template\":%s,\"origin\":\"%s\"}",
		c->dport, c->lcore, (c->flags & LB_API_CONN_F_TEMPLATE) ? "true" : "false",
		(c->flags & LB_API_CONN_F_SYNC) ? "sync" : "local");
}

void
lb_fmt_json_conns_end(FILE *f)
{
	fputs("\n]}\n", f);
}

void
lb_fmt_timeouts(FILE *f, const struct lb_api_timeouts *t)
{
	fprintf(f, "Timeout (tcp tcpfin udp): %d %d %d\n", (int)t->tcp, (int)t->tcpfin,
		(int)t->udp);
}

void
lb_fmt_json_timeouts(FILE *f, const struct lb_api_timeouts *t)
{
	fprintf(f, "{\"tcp\":%u,\"tcpfin\":%u,\"udp\":%u}\n", t->tcp, t->tcpfin, t->udp);
}

/* ---- --summary ---- */

/*
 * Columns: the states a DR entry can be in, in the order an operator reads
 * them during an incident; the states the input-only table never reaches
 * from NONE are summed under OTHER; persistence templates apart.
 */
static const uint8_t sum_states[] = {
	LB_S_ESTABLISHED, LB_S_SYN_RECV, LB_S_SYNACK, LB_S_FIN_WAIT, LB_S_TIME_WAIT,
	LB_S_CLOSE, LB_S_NONE, LB_S_UDP,
};
#define SUM_COLS	(sizeof(sum_states) + 1)	/* + OTHER */

struct sum_row {
	struct lb_api_svc_key key;
	uint64_t total;
	uint64_t templates;
	uint64_t col[SUM_COLS];
};

struct lb_fmt_summary {
	struct sum_row *rows;
	size_t n, cap;
};

struct lb_fmt_summary *
lb_fmt_summary_new(void)
{
	return calloc(1, sizeof(struct lb_fmt_summary));
}

void
lb_fmt_summary_free(struct lb_fmt_summary *s)
{
	if (s != NULL)
		free(s->rows);
	free(s);
}

static struct sum_row *
sum_row(struct lb_fmt_summary *s, const struct lb_api_svc_key *key)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (lb_api_svc_key_eq(&s->rows[i].key, key))
			return &s->rows[i];
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		struct sum_row *r = realloc(s->rows, cap * sizeof(*r));

		if (r == NULL)
			return NULL;
		s->rows = r;
		s->cap = cap;
	}
	memset(&s->rows[s->n], 0, sizeof(s->rows[0]));
	s->rows[s->n].key = *key;
	return &s->rows[s->n++];
}

int
lb_fmt_summary_add(struct lb_fmt_summary *s, const struct lb_api_conn *c, uint32_t n)
{
	uint32_t i;

	for (i = 0; i < n; i++) {
		struct lb_api_svc_key key = {
			.proto = c[i].proto, .af = c[i].af, .port = c[i].vport, .vip = c[i].vaddr,
		};
		struct sum_row *r = sum_row(s, &key);
		unsigned int col = sizeof(sum_states);	/* OTHER */
		unsigned int st = c[i].proto == IPPROTO_UDP ? LB_S_UDP : c[i].state;
		size_t k;

		if (r == NULL)
			return -1;
		r->total++;
		if (c[i].flags & LB_API_CONN_F_TEMPLATE) {
			r->templates++;
			continue;
		}
		for (k = 0; k < sizeof(sum_states); k++)
			if (sum_states[k] == st)
				col = (unsigned int)k;
		r->col[col]++;
	}
	return 0;
}

/* in -L's order */
static int
cmp_row(const void *a, const void *b)
{
	return cmp_key(&((const struct sum_row *)a)->key, &((const struct sum_row *)b)->key);
}

static const char *
sum_col_name(size_t k)
{
	return k < sizeof(sum_states) ? lb_state_name(sum_states[k]) : "OTHER";
}

int
lb_fmt_summary_print(FILE *f, struct lb_fmt_summary *s, const void *svc_blob, size_t len,
		bool json)
{
	size_t i, k;

	if (svc_blob != NULL) {
		struct svc_view *v;
		size_t n;

		v = parse_services(svc_blob, len, &n);
		if (v == NULL)
			return -1;
		for (i = 0; i < n; i++)
			if (sum_row(s, &v[i].svc->key) == NULL) {
				free(v);
				return -1;
			}
		free(v);
	}
	qsort(s->rows, s->n, sizeof(*s->rows), cmp_row);
	if (json) {
		fputs("{\"services\":[", f);
		for (i = 0; i < s->n; i++) {
			const struct sum_row *r = &s->rows[i];

			fprintf(f, "%s{\"protocol\":\"%s\",", i ? "," : "",
				proto_name(r->key.proto));
			json_addr(f, "vip", r->key.af, &r->key.vip);
			fprintf(f, ",\"port\":%u,\"total\":%llu,\"templates\":%llu,\"states\":{",
				r->key.port, (unsigned long long)r->total,
				(unsigned long long)r->templates);
			for (k = 0; k < SUM_COLS; k++)
				fprintf(f, "%s\"%s\":%llu", k ? "," : "", sum_col_name(k),
					(unsigned long long)r->col[k]);
			fputs("}}", f);
		}
		fputs("]}\n", f);
		return 0;
	}
	fprintf(f, "%-33s %9s", "Prot LocalAddress:Port", "Total");
	for (k = 0; k < SUM_COLS; k++)
		fprintf(f, " %11s", sum_col_name(k));
	fprintf(f, " %9s\n", "Templates");
	for (i = 0; i < s->n; i++) {
		const struct sum_row *r = &s->rows[i];
		char vn[LB_FMT_ADDRPORT_MAX], name[LB_FMT_ADDRPORT_MAX + 8];

		lb_fmt_addrport(vn, sizeof(vn), r->key.af, &r->key.vip, r->key.port,
			r->key.proto, LB_FMT_NUMERIC);
		snprintf(name, sizeof(name), "%s  %s", proto_name(r->key.proto), vn);
		fprintf(f, "%-33s %9llu", name, (unsigned long long)r->total);
		for (k = 0; k < SUM_COLS; k++)
			fprintf(f, " %11llu", (unsigned long long)r->col[k]);
		fprintf(f, " %9llu\n", (unsigned long long)r->templates);
	}
	return 0;
}

/* ---- --counters ---- */

struct core_field {
	const char *name;
	size_t off;
};

#define CF(x) { #x, offsetof(struct lb_api_core, x) }
static const struct core_field core_fields[] = {
	CF(rx), CF(fwd), CF(reply), CF(to_control), CF(tx), CF(tx_dropped),
	CF(sent_icmp), CF(sent_control), CF(conns), CF(loop_max_ns), CF(to_host),
	CF(capacity), CF(conn_evicted), CF(fwd_stateless),
};
#undef CF

#define HF(name) { #name, offsetof(struct lb_api_host, name) }
static const struct host_field {
	const char *name;
	size_t off;
} host_fields[] = {
	HF(to_kernel), HF(to_kernel_dropped), HF(from_kernel), HF(from_kernel_dropped),
	HF(csum_fixed),
};
#undef HF

/* The uint64_t field at off of a record (core_fields, host_fields). */
static uint64_t
field(const void *rec, size_t off)
{
	uint64_t v;

	memcpy(&v, (const uint8_t *)rec + off, sizeof(v));
	return v;
}

void
lb_fmt_counters(FILE *f, const struct lb_api_counters *hdr, const struct lb_api_core *cores,
		const struct lb_api_host *hosts, const char *const *drop_names,
		unsigned int n_names, bool json)
{
	unsigned int n_drops = hdr->n_drops < LB_API_MAX_DROPS ? hdr->n_drops : LB_API_MAX_DROPS;
	const struct lb_api_pool *pools = (const struct lb_api_pool *)(hosts + hdr->n_hosts);
	uint32_t i;
	size_t k;

	if (n_drops > n_names)
		n_drops = n_names;
	if (json) {
		fputs("{\"cores\":[", f);
		for (i = 0; i < hdr->n_cores; i++) {
			fprintf(f, "%s{\"lcore\":%u", i ? "," : "", cores[i].lcore);
			for (k = 0; k < sizeof(core_fields) / sizeof(core_fields[0]); k++)
				fprintf(f, ",\"%s\":%llu", core_fields[k].name,
					(unsigned long long)field(&cores[i], core_fields[k].off));
			fputs(",\"states\":{", f);
			for (k = 0; k < LB_API_N_STATES; k++)
				fprintf(f, "%s\"%s\":%llu", k ? "," : "", lb_state_name((unsigned int)k),
					(unsigned long long)cores[i].state[k]);
			fputs("},\"drops\":{", f);
			for (k = 0; k < n_drops; k++)
				fprintf(f, "%s\"%s\":%llu", k ? "," : "", drop_names[k],
					(unsigned long long)cores[i].drop[k]);
			fputs("}}", f);
		}
		fputs("],\"host\":[", f);
		for (i = 0; i < hdr->n_hosts; i++) {
			char name[sizeof(hosts[i].ifname) + 1];

			memcpy(name, hosts[i].ifname, sizeof(hosts[i].ifname));
			name[sizeof(hosts[i].ifname)] = '\0';
			fprintf(f, "%s{\"port\":%u,\"ifname\":\"%s\"", i ? "," : "",
					hosts[i].port, name);
			for (k = 0; k < sizeof(host_fields) / sizeof(host_fields[0]); k++)
				fprintf(f, ",\"%s\":%llu", host_fields[k].name,
					(unsigned long long)field(&hosts[i], host_fields[k].off));
			fputs("}", f);
		}
		fputs("],\"pools\":[", f);
		for (i = 0; i < hdr->n_pools; i++)
			fprintf(f, "%s{\"name\":\"%.*s\",\"size\":%u,\"in_use\":%u}", i ? "," : "",
					(int)sizeof(pools[i].name), pools[i].name, pools[i].size,
					pools[i].in_use);
		fprintf(f, "],\"control\":{\"loop_max_ns\":%llu},\"total\":{\"conns\":%llu,"
				"\"inpkts\":%llu,\"inbytes\":%llu}}\n",
				(unsigned long long)hdr->ctl_loop_max_ns,
				(unsigned long long)hdr->total_conns,
				(unsigned long long)hdr->total_inpkts,
				(unsigned long long)hdr->total_inbytes);
		return;
	}
	fprintf(f, "%-32s", "Counter");
	for (i = 0; i < hdr->n_cores; i++) {
		char h[24];

		snprintf(h, sizeof(h), "lcore %u", cores[i].lcore);
		fprintf(f, " %14s", h);
	}
	fprintf(f, " %14s\n", "total");
	for (k = 0; k < sizeof(core_fields) / sizeof(core_fields[0]) + n_drops; k++) {
		bool is_drop = k >= sizeof(core_fields) / sizeof(core_fields[0]);
		size_t d = k - sizeof(core_fields) / sizeof(core_fields[0]);
		char name[64];
		uint64_t total = 0;

		if (is_drop)
			snprintf(name, sizeof(name), "drop %s", drop_names[d]);
		else
			snprintf(name, sizeof(name), "%s", core_fields[k].name);
		fprintf(f, "%-32s", name);
		for (i = 0; i < hdr->n_cores; i++) {
			uint64_t v = is_drop ? cores[i].drop[d] : field(&cores[i], core_fields[k].off);

			total += v;
			fprintf(f, " %14llu", (unsigned long long)v);
		}
		fprintf(f, " %14llu\n", (unsigned long long)total);
	}
	fprintf(f, "%-32s %14llu\n", "control loop_max_ns",
			(unsigned long long)hdr->ctl_loop_max_ns);
	for (i = 0; i < hdr->n_pools; i++) {
		char row[64];

		snprintf(row, sizeof(row), "pool %.*s in_use/size", (int)sizeof(pools[i].name),
				pools[i].name);
		fprintf(f, "%-32s %14u/%u\n", row, pools[i].in_use, pools[i].size);
	}
	for (i = 0; i < hdr->n_hosts; i++) {
		char name[sizeof(hosts[i].ifname) + 1];

		memcpy(name, hosts[i].ifname, sizeof(hosts[i].ifname));
		name[sizeof(hosts[i].ifname)] = '\0';
		for (k = 0; k < sizeof(host_fields) / sizeof(host_fields[0]); k++) {
			char row[64];

			snprintf(row, sizeof(row), "host %s %s", name, host_fields[k].name);
			fprintf(f, "%-32s %14llu\n", row,
					(unsigned long long)field(&hosts[i], host_fields[k].off));
		}
	}
}
