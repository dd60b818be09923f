/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lbd --from-keepalived: each virtual_server block and its real_server blocks
 * into a service and its real servers (struct svc, struct dest), for emit.c.
 *
 * A virtual server is read in keepalived's order of meaning: its lb_kind and
 * protocol first (one lbd cannot run is not read further), then its options,
 * then its real servers, each with the virtual server's options as the
 * defaults of its own and of its checker (checker.c resolves them). What lbd
 * cannot do (NAT, TUN, SCTP, fwmark services, groups, scripts) is reported
 * and leaves the server out or the option unconverted, never approximated in
 * silence.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "control/config.h"
#include "control/keepalived/ka.h"
#include "control/limits.h"
#include "dataplane/sched.h"

#define KA_MAX_FLAGS		8		/* scheduler flag keywords kept */

struct vs_ctx {
	struct svc *sv;
	struct opts o;
	int64_t weight;		/* the virtual server's default for its real servers */
};

static void
real_server(struct conv *c, struct vs_ctx *vx, const struct node *n)
{
	const struct node *k, *first = NULL;
	struct svc *sv = vx->sv;
	struct dest *d, *o;
	struct checker ck;
	struct opts ro;
	uint16_t check_port = 0;
	int64_t port = 0;
	bool known;
	uint32_t a;

	if (n->argc == 0) {
		ka_problem(c, &n->w, "real_server needs an address and a port: not converted");
		return;
	}
	if (!ka_get_addr(c, n, "real_server", n->argv[0], "not converted", &a))
		return;
	if (n->argc >= 2 && !ka_arg_port(c, n, 1, "not converted", &port))
		return;
	if (n->argc > 2)
		ka_problem(c, &n->w, "real_server takes an address and a port: '%s' and what"
				" follows ignored", ka_q(c, n->argv[2]));
	for (k = n->child; k != NULL; k = k->next) {
		const char *s = k->argc > 0 ? k->argv[0] : NULL;

		if (k->kw != NULL && !k->include && (strcmp(k->kw, "lvs_method") == 0 ||
				strcmp(k->kw, "lb_kind") == 0) && s != NULL &&
				strcasecmp(s, "DR") != 0) {
			ka_problem(c, &k->w, "%s %s not converted: lbd forwards by direct routing"
					" (DR) only: real_server not converted", k->kw, ka_q(c, s));
			return;
		}
	}
	for (o = sv->dests; o != NULL; o = o->next)
		if (o->addr == a) {
			ka_problem(c, &n->w, "real_server %s is already in this virtual_server"
					" (%s:%d): not converted again", ka_q(c, n->argv[0]),
					o->w.file, o->w.line);
			return;
		}
	if (port != 0 && sv->port == 0) {
		check_port = (uint16_t)port;	/* every port: the port is the check's */
	} else if (port != 0 && port != sv->port) {
		ka_problem(c, &n->w, "real_server port %lld differs from the virtual_server port"
				" %u: direct routing forwards to port %u (converted so); its check"
				" still connects to %lld", (long long)port, sv->port, sv->port,
				(long long)port);
		check_port = (uint16_t)port;
	}
	if (sv->n_dests >= lb_limit_max(LB_LIMIT_DESTS_PER_SVC) ||
			c->n_dests >= lb_limit_max(LB_LIMIT_DESTS)) {
		ka_problem(c, &n->w, "real_server not converted: lbd holds at most %u real"
				" servers in a service, %u in all",
				lb_limit_max(LB_LIMIT_DESTS_PER_SVC), lb_limit_max(LB_LIMIT_DESTS));
		return;
	}
	d = ka_xcalloc(c, 1, sizeof(*d));
	if (d == NULL)
		return;
	d->w = n->w;
	d->addr = a;
	d->weight = vx->weight != KA_UNSET ? vx->weight : 1;
	d->uthreshold = KA_UNSET;
	d->lthreshold = KA_UNSET;
	d->title = ka_xasprintf(c, "real_server %s%s%s", ka_q(c, n->argv[0]),
			n->argc > 1 ? " " : "", n->argc > 1 ? ka_q(c, n->argv[1]) : "");
	ka_opts_init(&ro);
	memset(&ck, 0, sizeof(ck));
	ka_opts_init(&ck.o);
	ck.connect_port = KA_UNSET;
	ck.timeout = KA_UNSET;

	for (k = n->child; k != NULL && first == NULL; k = k->next)
		if (k->kw != NULL && !k->include && ka_usable_checker(k))
			first = k;
	for (k = n->child; k != NULL; k = k->next) {
		const char *kw = k->kw, *unchecked = "; this real server gets no check";
		enum ck_type t;

		if (k->include || kw == NULL)
			continue;
		if (first != NULL)
			unchecked = "";
		t = ka_checker_type(kw, &known);
		if (known) {
			if (k == first) {
				ck.type = t;
				if (k->argc > 0)
					ka_problem(c, &k->w, "%s takes no value: '%s' ignored", kw,
							ka_q(c, k->argv[0]));
				ka_checker_block(c, &ck, k);
			} else if (t == CT_MISC && !ka_usable_checker(k)) {
				ka_problem(c, &k->w, "MISC_CHECK without misc_path not converted:"
						" keepalived ignores it too%s", unchecked);
			} else if (t == CT_NONE) {
				ka_problem(c, &k->w, "%s not converted: lbd's checks are"
						" TCP_CHECK, HTTP_GET, SSL_GET and"
						" MISC_CHECK%s", kw, unchecked);
			} else {
				ka_problem(c, &k->w, "%s not converted: lbd runs one check per real"
						" server, the first (%s:%d)", kw, first->w.file,
						first->w.line);
			}
			continue;
		}
		ka_no_block(c, k);
		if (strcmp(kw, "weight") == 0)
			ka_get_uint(c, k, 0, 65535, &d->weight);
		else if (strcmp(kw, "uthreshold") == 0)
			ka_get_uint(c, k, 0, INT32_MAX, &d->uthreshold);
		else if (strcmp(kw, "lthreshold") == 0)
			ka_get_uint(c, k, 0, INT32_MAX, &d->lthreshold);
		else if (strcmp(kw, "lvs_method") == 0 || strcmp(kw, "lb_kind") == 0)
			ka_one_value(c, k);	/* not DR: refused above */
		else if (strcmp(kw, "notify_up") == 0 || strcmp(kw, "notify_down") == 0)
			ka_problem(c, &k->w, "%s not converted: lbd runs no script when a real"
					" server changes state", kw);
		else if (!ka_common_opt(c, k, &ro, false) && !ka_cosmetic_opt(c, k))
			ka_unknown(c, k, "real_server");
	}
	if (d->uthreshold != KA_UNSET && d->lthreshold != KA_UNSET && d->uthreshold != 0 &&
			d->lthreshold > d->uthreshold) {
		ka_problem(c, &n->w, "lthreshold %lld is above uthreshold %lld: lthreshold not"
				" converted", (long long)d->lthreshold, (long long)d->uthreshold);
		d->lthreshold = KA_UNSET;
	}
	ka_build_check(c, &d->ck, &ck, &ro, &vx->o, check_port);
	free(ck.command);
	*sv->dest_tail = d;
	sv->dest_tail = &d->next;
	sv->n_dests++;
	c->n_dests++;
}

/* Virtual servers */

static void
sched_flag(struct conv *c, struct svc *sv, const struct node *k)
{
	const char *name = k->kw;
	unsigned int i;

	if (strcmp(name, "flag-1") == 0)
		name = strcmp(sv->sched, "sh") == 0 ? "sh-fallback" :
			strcmp(sv->sched, "mh") == 0 ? "mh-fallback" : name;
	else if (strcmp(name, "flag-2") == 0)
		name = strcmp(sv->sched, "sh") == 0 ? "sh-port" :
			strcmp(sv->sched, "mh") == 0 ? "mh-port" : name;
	if (lb_sched_flag_from_name((enum lb_sched_kind)lb_sched_from_name(sv->sched),
			name) < 0) {
		ka_note(c, &k->w, "%s skipped: it has no effect with lb_algo %s", k->kw,
				sv->sched);
		return;
	}
	for (i = 0; i < sv->n_flags; i++)
		if (strcmp(sv->flags[i], name) == 0)
			return;
	if (sv->n_flags < KA_DIM(sv->flags))
		sv->flags[sv->n_flags++] = name;
}

/* lb_kind and protocol first: a virtual server lbd cannot run is not read further. */
static bool
vs_kind(struct conv *c, struct svc *sv, const struct node *n)
{
	const struct node *k, *kind = NULL, *proto = NULL;
	const char *s;

	for (k = n->child; k != NULL; k = k->next) {
		if (k->kw == NULL || k->include)
			continue;
		if (strcmp(k->kw, "lb_kind") == 0 || strcmp(k->kw, "lvs_method") == 0)
			kind = k;
		else if (strcmp(k->kw, "protocol") == 0)
			proto = k;
	}
	if (kind != NULL) {
		if (kind->argc == 0) {
			ka_problem(c, &kind->w, "%s needs a value: virtual_server not converted",
					kind->kw);
			return false;
		}
		if (strcasecmp(kind->argv[0], "DR") != 0) {
			ka_problem(c, &kind->w, "%s %s not converted: lbd forwards by direct"
					" routing (DR) only: virtual_server not converted",
					kind->kw, ka_q(c, kind->argv[0]));
			return false;
		}
		if (kind->argc > 1)
			ka_problem(c, &kind->w, "%s takes one value: '%s' and what follows ignored",
					kind->kw, ka_q(c, kind->argv[1]));
	} else {
		ka_problem(c, &n->w, "virtual_server without lb_kind: keepalived forwards by"
				" NAT then; converted as DR, lbd's only method (set up the real"
				" servers for DR)");
	}
	sv->proto = IPPROTO_TCP;
	if (proto == NULL) {
		ka_problem(c, &n->w, "virtual_server without protocol: converted as TCP"
				" (keepalived 2 uses UDP then): say protocol TCP or UDP");
		return true;
	}
	s = ka_one_value(c, proto);
	if (s == NULL)
		return true;
	if (strcasecmp(s, "UDP") == 0)
		sv->proto = IPPROTO_UDP;
	else if (strcasecmp(s, "SCTP") == 0) {
		ka_problem(c, &proto->w, "protocol SCTP not converted: lbd balances TCP and UDP:"
				" virtual_server not converted");
		return false;
	} else if (strcasecmp(s, "TCP") != 0) {
		ka_problem(c, &proto->w, "unknown protocol '%s' (expected TCP or UDP):"
				" virtual_server not converted", ka_q(c, s));
		return false;
	}
	return true;
}

static void
vs_sched(struct conv *c, struct svc *sv, const struct node *k)
{
	static const char *const unsupported[] = {
		"lblc", "lblcr", "dh", "fo", "ovf", "twos",
	};
	const char *s = ka_one_value(c, k);
	char name[8];
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; s[i] != '\0' && i < sizeof(name) - 1; i++)
		name[i] = (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] + 32 : s[i]);
	name[i] = '\0';
	if (s[i] == '\0' && lb_sched_from_name(name) >= 0) {
		snprintf(sv->sched, sizeof(sv->sched), "%s", name);
		return;
	}
	for (i = 0; i < KA_DIM(unsupported); i++)
		if (strcmp(name, unsupported[i]) == 0 && strlen(s) == strlen(name))
			break;
	ka_problem(c, &k->w, "%s %s %s: lbd's schedulers are rr wrr lc wlc sed nq sh"
			" mh; converted with wlc", k->kw, ka_q(c, s),
			i < KA_DIM(unsupported) ? "not supported" : "unknown");
}

static bool
contiguous(uint32_t mask)
{
	uint32_t h = ntohl(mask);

	return h == 0 || (~h & (~h + 1)) == 0;
}

static void
vs_sorry(struct conv *c, struct svc *sv, const struct node *k)
{
	int64_t port = 0;
	uint32_t a;

	if (k->argc == 0) {
		ka_problem(c, &k->w, "sorry_server needs an address and a port: ignored");
		return;
	}
	if (!ka_get_addr(c, k, "sorry_server", k->argv[0], "ignored", &a))
		return;
	if (k->argc >= 2 && !ka_arg_port(c, k, 1, "ignored", &port))
		return;
	if (k->argc > 2)
		ka_problem(c, &k->w, "sorry_server takes an address and a port: '%s' and what"
				" follows ignored", ka_q(c, k->argv[2]));
	if (port != 0 && port != sv->port)
		ka_problem(c, &k->w, "sorry_server port %lld differs from the virtual_server port"
				" %u: direct routing forwards to port %u (converted so)",
				(long long)port, sv->port, sv->port);
	sv->has_sorry = true;
	sv->sorry = a;
	sv->sorry_w = k->w;
}

/* One option of a virtual server (real servers are read afterwards). */
static void
vs_option(struct conv *c, struct vs_ctx *vx, const struct node *k,
		const struct node **flags, unsigned int *n_flags, bool *sorry_dr)
{
	struct svc *sv = vx->sv;
	const char *kw = k->kw, *s;
	int64_t v;

	ka_no_block(c, k);
	if (strcmp(kw, "lb_algo") == 0 || strcmp(kw, "lvs_sched") == 0)
		vs_sched(c, sv, k);
	else if (strcmp(kw, "lb_kind") == 0 || strcmp(kw, "lvs_method") == 0 ||
			strcmp(kw, "protocol") == 0)
		;	/* read first, by vs_kind() */
	else if (strcmp(kw, "persistence_timeout") == 0) {
		if (k->argc == 0)
			sv->persistence = LB_PERSIST_DEFAULT;
		else if (ka_get_uint(c, k, 0, LB_MAX_TIMEOUT, &v))
			sv->persistence = (uint32_t)v;
	} else if (strcmp(kw, "persistence_granularity") == 0) {
		s = ka_one_value(c, k);
		if (s != NULL && (lb_parse_ipv4(s, &sv->netmask) < 0 || !contiguous(sv->netmask)))
			ka_problem(c, &k->w, "bad persistence_granularity '%s' (expected an IPv4"
					" netmask such as 255.255.255.0): ignored", ka_q(c, s));
		else if (s != NULL)
			sv->has_netmask = true;
	} else if (strcmp(kw, "quorum") == 0) {
		if (ka_get_uint(c, k, 1, INT32_MAX, &sv->quorum))
			sv->quorum_w = k->w;
	} else if (strcmp(kw, "hysteresis") == 0) {
		if (ka_get_uint(c, k, 0, INT32_MAX, &sv->hysteresis))
			sv->hysteresis_w = k->w;
	}
	else if (strcmp(kw, "sorry_server") == 0)
		vs_sorry(c, sv, k);
	else if (strcmp(kw, "sorry_server_lvs_method") == 0 ||
			strcmp(kw, "sorry_server_lb_kind") == 0) {
		s = ka_one_value(c, k);
		if (s != NULL && strcasecmp(s, "DR") != 0) {
			ka_problem(c, &k->w, "%s %s not converted: lbd forwards by direct routing"
					" (DR) only: sorry_server not converted", kw, ka_q(c, s));
			*sorry_dr = false;
		}
	} else if (strcmp(kw, "weight") == 0)
		ka_get_uint(c, k, 0, 65535, &vx->weight);
	else if (strcmp(kw, "ip_family") == 0) {
		s = ka_one_value(c, k);
		if (s != NULL && strcmp(s, "inet") != 0)
			ka_problem(c, &k->w, "ip_family %s not converted: lbd is IPv4 only",
					ka_q(c, s));
	} else if (strcmp(kw, "sh-port") == 0 || strcmp(kw, "sh-fallback") == 0 ||
			strcmp(kw, "mh-port") == 0 || strcmp(kw, "mh-fallback") == 0 ||
			strcmp(kw, "flag-1") == 0 || strcmp(kw, "flag-2") == 0 ||
			strcmp(kw, "flag-3") == 0) {
		if (*n_flags < KA_MAX_FLAGS)
			flags[(*n_flags)++] = k;
	} else if (strcmp(kw, "ops") == 0 || strcmp(kw, "one_packet_scheduler") == 0) {
		if (sv->proto == IPPROTO_UDP)
			ka_problem(c, &k->w, "%s not converted: lbd has no one-packet"
					" scheduling, a client's datagrams go to one real server"
					" until its entry expires", kw);
		else
			ka_note(c, &k->w, "%s skipped: one-packet scheduling is for UDP,"
					" keepalived ignores it here too", kw);
	} else if (strcmp(kw, "ha_suspend") == 0)
		ka_problem(c, &k->w, "ha_suspend not converted: lbd checks the real servers"
				" whether the VIP is up or not");
	else if (strcmp(kw, "omega") == 0)
		ka_problem(c, &k->w, "omega not converted: lbd runs no script when it stops");
	else if (strcmp(kw, "quorum_up") == 0 || strcmp(kw, "quorum_down") == 0)
		ka_problem(c, &k->w, "%s not converted: lbd runs no script when the quorum"
				" changes", kw);
	else if (strcmp(kw, "sorry_server_inhibit") == 0)
		ka_problem(c, &k->w, "sorry_server_inhibit not converted: lbd has no"
				" inhibit_on_failure for the sorry server");
	else if (strcmp(kw, "persistence_engine") == 0)
		ka_problem(c, &k->w, "persistence_engine not converted: lbd has no persistence"
				" engines");
	else if (!ka_common_opt(c, k, &vx->o, false) && !ka_cosmetic_opt(c, k))
		ka_unknown(c, k, "virtual_server");
}

void
ka_free_svc(struct svc *sv)
{
	struct dest *d, *next;

	for (d = sv->dests; d != NULL; d = next) {
		next = d->next;
		ka_free_check(&d->ck);
		free(d->title);
		free(d);
	}
	ka_free_check(&sv->ck);
	free(sv->title);
	free(sv);
}

void
ka_virtual_server(struct conv *c, const struct node *n)
{
	const struct node *k, *flags[KA_MAX_FLAGS], *algo = NULL;
	struct vs_ctx vx = { .weight = KA_UNSET };
	unsigned int n_flags = 0, i;
	bool sorry_dr = true;
	int64_t port = 0, sum = 0, quorum;
	struct svc *sv, *o;
	struct dest *d;
	char a[INET_ADDRSTRLEN];

	if (n->argc == 0) {
		ka_problem(c, &n->w, "virtual_server needs an address and a port: not converted");
		return;
	}
	if (strcmp(n->argv[0], "fwmark") == 0) {
		ka_problem(c, &n->w, "virtual_server fwmark not converted: lbd has no firewall"
				" mark services");
		return;
	}
	if (strcmp(n->argv[0], "group") == 0) {
		ka_problem(c, &n->w, "virtual_server group not converted: lbd has no"
				" virtual_server_group (write one virtual_server per address)");
		return;
	}
	sv = ka_xcalloc(c, 1, sizeof(*sv));
	if (sv == NULL)
		return;
	sv->w = n->w;
	sv->dest_tail = &sv->dests;
	sv->quorum = KA_UNSET;
	sv->hysteresis = KA_UNSET;
	snprintf(sv->sched, sizeof(sv->sched), "wlc");
	vx.sv = sv;
	ka_opts_init(&vx.o);
	if (!ka_get_addr(c, n, "virtual_server", n->argv[0], "not converted", &sv->vip))
		goto drop;
	if (n->argc >= 2 && !ka_arg_port(c, n, 1, "not converted", &port))
		goto drop;
	sv->port = (uint16_t)port;
	if (n->argc > 2)
		ka_problem(c, &n->w, "virtual_server takes an address and a port: '%s' and what"
				" follows ignored", ka_q(c, n->argv[2]));
	if (!n->block) {
		ka_problem(c, &n->w, "virtual_server without a { } block: not converted");
		goto drop;
	}
	for (k = n->child; k != NULL; k = k->next)
		if (k->kw != NULL && !k->include && strcmp(k->kw, "real_server") == 0)
			break;
	if (k == NULL) {
		ka_problem(c, &n->w, "virtual_server without real_server not converted:"
				" keepalived ignores it too");
		goto drop;
	}
	if (!vs_kind(c, sv, n))
		goto drop;
	for (o = c->svcs; o != NULL; o = o->next)
		if (o->proto == sv->proto && o->vip == sv->vip && o->port == sv->port) {
			inet_ntop(AF_INET, &sv->vip, a, sizeof(a));
			ka_problem(c, &n->w, "virtual_server %s %s %u is already converted"
					" (%s:%d): not converted again", lb_proto_name(sv->proto),
					a, sv->port, o->w.file, o->w.line);
			goto drop;
		}
	if (c->n_svcs >= lb_limit_max(LB_LIMIT_SERVICES)) {
		ka_problem(c, &n->w, "virtual_server not converted: lbd holds at most %u"
				" services", lb_limit_max(LB_LIMIT_SERVICES));
		goto drop;
	}
	for (k = n->child; k != NULL; k = k->next) {
		if (k->kw == NULL || k->include || strcmp(k->kw, "real_server") == 0)
			continue;
		if (strcmp(k->kw, "lb_algo") == 0 || strcmp(k->kw, "lvs_sched") == 0)
			algo = k;
		vs_option(c, &vx, k, flags, &n_flags, &sorry_dr);
	}
	if (algo == NULL)
		ka_note(c, &n->w, "virtual_server without lb_algo: keepalived's default, wlc,"
				" written");
	for (i = 0; i < n_flags; i++)
		sched_flag(c, sv, flags[i]);
	if (!sorry_dr)
		sv->has_sorry = false;
	if (sv->port == 0 && sv->persistence == 0) {
		ka_note(c, &n->w, "virtual_server without a port is persistent: converted with"
				" keepalived's persistence_timeout, %u", LB_PERSIST_DEFAULT);
		sv->persistence = LB_PERSIST_DEFAULT;
	}
	for (k = n->child; k != NULL; k = k->next)
		if (k->kw != NULL && !k->include && strcmp(k->kw, "real_server") == 0)
			real_server(c, &vx, k);
	for (d = sv->dests; d != NULL; d = d->next)
		sum += d->weight;
	if (sv->quorum != KA_UNSET && sum > 0 && sv->quorum > sum) {
		ka_note(c, &sv->quorum_w, "quorum %lld is above the real servers' total"
				" weight %lld: keepalived lowers it to %lld, so does the"
				" conversion",
				(long long)sv->quorum, (long long)sum, (long long)sum);
		sv->quorum = sum;
	}
	quorum = sv->quorum != KA_UNSET ? sv->quorum : 1;
	if (sv->hysteresis != KA_UNSET && sv->hysteresis >= quorum) {
		ka_note(c, &sv->hysteresis_w, "hysteresis %lld is not below the quorum %lld:"
				" keepalived lowers it to %lld, so does the conversion",
				(long long)sv->hysteresis, (long long)quorum,
				(long long)quorum - 1);
		sv->hysteresis = quorum - 1;
	}
	sv->title = ka_xasprintf(c, "virtual_server %s%s%s", ka_q(c, n->argv[0]),
			n->argc > 1 ? " " : "", n->argc > 1 ? ka_q(c, n->argv[1]) : "");
	*c->svc_tail = sv;
	c->svc_tail = &sv->next;
	c->n_svcs++;
	return;
drop:
	c->n_dests -= sv->n_dests;
	ka_free_svc(sv);
}
