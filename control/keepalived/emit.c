/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lbd --from-keepalived: the services (server.c) as an lbd configuration
 * file. First the ports, which keepalived.conf does not say: one per /24 of
 * the real and sorry servers, with CHANGE-ME devices for the operator to set
 * (a server on a /24 past lbd's ports is not converted). Then each
 * service, its check group and its real servers, each under a comment that
 * names the keepalived.conf line it comes from; then lvs_timeouts.
 *
 * A service's check group is hoisted from its real servers (the keys most of
 * them share at one value), so that each real server's check says only how it
 * differs from it.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control/keepalived/ka.h"
#include "control/limits.h"

static const char *const ck_names[CK_COUNT] = {
	"type", "delay_loop", "connect_timeout", "retry", "delay_before_retry",
	"warmup", "alpha", "inhibit_on_failure", "connect_ip", "connect_port", "path",
	"status_code", "digest", "virtualhost", "command", "timeout", "dynamic",
};

/* The value of key k for the comparisons of hoisting: connect_port 0 = unset. */
static const char *
ck_value(const struct check *ck, int k)
{
	if (k == CK_CONNECT_PORT && ck->v[k] == NULL)
		return ck->v[CK_TYPE] != NULL && strcmp(ck->v[CK_TYPE], "\"misc\"") != 0 &&
			strcmp(ck->v[CK_TYPE], "\"none\"") != 0 ? "0" : NULL;
	return ck->v[k];
}

static bool
same(const char *a, const char *b)
{
	return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/*
 * The service's check group: when all real servers run the same type of
 * check, each key every one of them has, at the value more than half of them
 * have. The real servers then carry what differs.
 */
static void
hoist(struct conv *c, struct svc *sv)
{
	const struct dest *d, *e, *best;
	unsigned int n, best_n, n_dests = 0;
	const char *v;
	int k;

	if (sv->dests == NULL)
		return;
	for (d = sv->dests; d != NULL; d = d->next, n_dests++)
		if (!same(d->ck.v[CK_TYPE], sv->dests->ck.v[CK_TYPE]))
			return;
	sv->hoisted = true;
	for (k = 0; k < CK_COUNT; k++) {
		for (d = sv->dests; d != NULL && ck_value(&d->ck, k) != NULL; d = d->next)
			;
		if (d != NULL)
			continue;
		best = NULL;
		best_n = 0;
		for (d = sv->dests; d != NULL; d = d->next) {
			for (n = 0, e = sv->dests; e != NULL; e = e->next)
				n += same(ck_value(&d->ck, k), ck_value(&e->ck, k));
			if (n > best_n) {
				best = d;
				best_n = n;
			}
		}
		if (best_n * 2 <= n_dests)
			continue;
		v = ck_value(&best->ck, k);
		if (!(k == CK_CONNECT_PORT && strcmp(v, "0") == 0))
			sv->ck.v[k] = ka_xstrdup(c, v);
	}
}

static void
emit_check(FILE *out, const char *ind, const struct check *ck, const struct check *base)
{
	bool any = false;
	const char *v;
	int k;

	for (k = 0; k < CK_COUNT; k++) {
		v = base != NULL ? ck_value(ck, k) : ck->v[k];
		if (v == NULL || (base != NULL && same(v, ck_value(base, k))))
			continue;
		if (base != NULL && k == CK_CONNECT_PORT && base->v[k] == NULL &&
				strcmp(v, "0") == 0)
			continue;
		if (!any)
			fprintf(out, "%scheck = {\n", ind);
		any = true;
		fprintf(out, "%s  %s = %s;\n", ind, ck_names[k], v);
	}
	if (any)
		fprintf(out, "%s};\n", ind);
}

static void
emit_dest(FILE *out, const struct svc *sv, const struct dest *d)
{
	char a[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &d->addr, a, sizeof(a));
	fprintf(out, "      # %s:%d: %s\n", d->w.file, d->w.line, d->title);
	fprintf(out, "      {\n");
	fprintf(out, "        address = \"%s\";\n", a);
	fprintf(out, "        port = %u;\n", sv->port);
	fprintf(out, "        weight = %lld;\n", (long long)d->weight);
	if (d->uthreshold != KA_UNSET)
		fprintf(out, "        upper_threshold = %lld;\n", (long long)d->uthreshold);
	if (d->lthreshold != KA_UNSET)
		fprintf(out, "        lower_threshold = %lld;\n", (long long)d->lthreshold);
	emit_check(out, "        ", &d->ck, sv->hoisted ? &sv->ck : NULL);
	fprintf(out, "      }%s\n", d->next != NULL ? "," : "");
}

static void
emit_svc(FILE *out, const struct svc *sv)
{
	char a[INET_ADDRSTRLEN];
	const struct dest *d;
	unsigned int i;

	inet_ntop(AF_INET, &sv->vip, a, sizeof(a));
	fprintf(out, "  # %s:%d: %s\n", sv->w.file, sv->w.line, sv->title);
	fprintf(out, "  {\n");
	fprintf(out, "    protocol = \"%s\";\n", sv->proto == IPPROTO_UDP ? "udp" : "tcp");
	fprintf(out, "    vip = \"%s\";\n", a);
	fprintf(out, "    port = %u;\n", sv->port);
	fprintf(out, "    scheduler = \"%s\";\n", sv->sched);
	if (sv->n_flags > 0) {
		fprintf(out, "    sched_flags = [");
		for (i = 0; i < sv->n_flags; i++)
			fprintf(out, "%s \"%s\"", i > 0 ? "," : "", sv->flags[i]);
		fprintf(out, " ];\n");
	}
	if (sv->persistence > 0)
		fprintf(out, "    persistence = %u;\n", sv->persistence);
	if (sv->has_netmask) {
		inet_ntop(AF_INET, &sv->netmask, a, sizeof(a));
		fprintf(out, "    netmask = \"%s\";\n", a);
	}
	if (sv->quorum != KA_UNSET)
		fprintf(out, "    quorum = %lld;\n", (long long)sv->quorum);
	if (sv->hysteresis != KA_UNSET)
		fprintf(out, "    hysteresis = %lld;\n", (long long)sv->hysteresis);
	if (sv->has_sorry) {
		inet_ntop(AF_INET, &sv->sorry, a, sizeof(a));
		fprintf(out, "    sorry_server = \"%s\";\n", a);
	}
	if (sv->hoisted)
		emit_check(out, "    ", &sv->ck, NULL);
	fprintf(out, "    real_servers = (\n");
	for (d = sv->dests; d != NULL; d = d->next)
		emit_dest(out, sv, d);
	fprintf(out, "    );\n");
	fprintf(out, "  }%s\n", sv->next != NULL ? "," : "");
}

static bool
in_list(const uint32_t *list, size_t n, uint32_t a)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (list[i] == a)
			return true;
	return false;
}

/*
 * The ports: keepalived.conf does not say them. One per /24 of the real and
 * sorry servers, in the order they come (the first VIP's /24 when there are
 * none), on its .254 or the highest address no real server, sorry server or
 * VIP has. A server on a /24 past lbd's ports is not converted.
 */
static void
plan_ports(struct conv *c)
{
	unsigned int max = lb_limit_max(LB_LIMIT_PORTS), i, h;
	size_t n_used = 0, cap = 1;
	struct dest *d, **pd;
	uint32_t *used, net;
	char a[INET_ADDRSTRLEN];
	struct svc *sv;

	if (max > LB_MAX_PORTS)
		max = LB_MAX_PORTS;
	for (sv = c->svcs; sv != NULL; sv = sv->next)
		cap += 2 + sv->n_dests;
	used = ka_xcalloc(c, cap, sizeof(*used));
	if (used == NULL)
		return;
	for (sv = c->svcs; sv != NULL; sv = sv->next) {
		used[n_used++] = sv->vip;
		for (pd = &sv->dests; (d = *pd) != NULL; ) {
			used[n_used++] = d->addr;
			net = d->addr & htonl(0xffffff00u);
			if (!in_list(c->nets, c->n_nets, net) && c->n_nets < max)
				c->nets[c->n_nets++] = net;
			if (in_list(c->nets, c->n_nets, net)) {
				pd = &d->next;
				continue;
			}
			inet_ntop(AF_INET, &d->addr, a, sizeof(a));
			ka_problem(c, &d->w, "real_server %s not converted: its /24 would be a"
					" port past lbd's %u", a, max);
			*pd = d->next;
			ka_free_check(&d->ck);
			free(d->title);
			free(d);
			sv->n_dests--;
		}
		sv->dest_tail = pd;
		if (!sv->has_sorry)
			continue;
		used[n_used++] = sv->sorry;
		net = sv->sorry & htonl(0xffffff00u);
		if (!in_list(c->nets, c->n_nets, net) && c->n_nets < max)
			c->nets[c->n_nets++] = net;
		if (!in_list(c->nets, c->n_nets, net)) {
			inet_ntop(AF_INET, &sv->sorry, a, sizeof(a));
			ka_problem(c, &sv->sorry_w, "sorry_server %s not converted: its /24 would"
					" be a port past lbd's %u", a, max);
			sv->has_sorry = false;
		}
	}
	if (c->n_nets == 0)
		c->nets[c->n_nets++] = c->svcs->vip & htonl(0xffffff00u);
	for (i = 0; i < c->n_nets; i++) {
		for (h = 254; h > 0 && in_list(used, n_used, c->nets[i] | htonl(h)); h--)
			;
		if (h == 0) {
			inet_ntop(AF_INET, &c->nets[i], a, sizeof(a));
			ka_problem(c, &c->svcs->w, "every address of %s/24 is taken: set the"
					" address of port CHANGE-ME-%u by hand", a, i);
			h = 254;
		}
		c->ports[i] = c->nets[i] | htonl(h);
	}
	free(used);
}

static void
emit_ports(struct conv *c, FILE *out)
{
	struct where w = { c->svcs->w.file, c->svcs->w.line, UINT64_MAX };
	char a[INET_ADDRSTRLEN];
	unsigned int i;

	fprintf(out, "# keepalived.conf does not say which port reaches the real servers:"
			" here is\n# one per /24 of theirs. Set each 'device' (a PCI address or"
			" a vdev name)\n# and 'address' (the director's own address on that"
			" network, with its\n# real prefix length).\n");
	fprintf(out, "ports = (\n");
	for (i = 0; i < c->n_nets; i++) {
		inet_ntop(AF_INET, &c->nets[i], a, sizeof(a));
		fprintf(out, "  # for %s/24\n", a);
		inet_ntop(AF_INET, &c->ports[i], a, sizeof(a));
		fprintf(out, "  {\n    device = \"CHANGE-ME-%u\";\n    address = \"%s/24\";\n"
				"  }%s\n", i, a, i + 1 < c->n_nets ? "," : "");
	}
	fprintf(out, ");\n\n");
	if (c->n_nets == 1)
		ka_note(c, &w, "port CHANGE-ME-0 written: keepalived.conf does not say which"
				" port reaches the real servers: set its device and address");
	else
		ka_note(c, &w, "ports CHANGE-ME-0 to CHANGE-ME-%u written: keepalived.conf does"
				" not say which port reaches the real servers: set their devices"
				" and addresses", c->n_nets - 1);
}

void
ka_emit(struct conv *c, FILE *out)
{
	const struct svc *sv;
	struct svc *s;

	plan_ports(c);
	for (s = c->svcs; s != NULL; s = s->next)
		hoist(c, s);
	fprintf(out, "# lbd configuration converted from %s by lbd --from-keepalived.\n"
			"# Review it, then check it with: lbd --check -f FILE\n\n", c->path);
	emit_ports(c, out);
	fprintf(out, "services = (\n");
	for (sv = c->svcs; sv != NULL; sv = sv->next)
		emit_svc(out, sv);
	fprintf(out, ");\n");
	if (c->has_timeouts) {
		fprintf(out, "\n# %s:%d: lvs_timeouts\ntimeouts = {\n", c->timeouts_w.file,
				c->timeouts_w.line);
		if (c->timeouts[0] != 0)
			fprintf(out, "  established = %u;\n", c->timeouts[0]);
		if (c->timeouts[1] != 0)
			fprintf(out, "  fin_wait = %u;\n", c->timeouts[1]);
		if (c->timeouts[2] != 0)
			fprintf(out, "  udp = %u;\n", c->timeouts[2]);
		fprintf(out, "};\n");
	}
	if (c->has_sync) {
		static const char *const role[2] = { "master", "backup" };
		static const char *const key[4] = { "syncid", "maxlen", "port", "ttl" };
		int r, j;

		fprintf(out, "\n# %s:%d: lvs_sync_daemon\nsync = (\n", c->sync_w.file,
				c->sync_w.line);
		for (r = 0; r < 2; r++) {
			fprintf(out, "  { state = \"%s\"; interface = \"%s\";", role[r], c->sync_if);
			for (j = 0; j < 4; j++)
				if (c->sync_opt[j] >= 0)
					fprintf(out, " %s = %lld;", key[j], (long long)c->sync_opt[j]);
			if (c->sync_group[0] != '\0')
				fprintf(out, " group = \"%s\";", c->sync_group);
			fprintf(out, " }%s\n", r == 0 ? "," : "");
		}
		fprintf(out, ");\n");
	}
}

