/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lbd --from-keepalived (see keepalived.h): the entry point, and the top level
 * of the keepalived.conf.
 *
 * Three stages, one after the other over one struct conv (ka.h): the reader
 * (read.c) turns the file and its includes into a tree of statements; the
 * converter walks the tree into services and real servers (the top level
 * here, each virtual_server in server.c, checkers in checker.c), resolving
 * keepalived's defaults and precedence into explicit values; emit.c writes
 * them as lbd's configuration. The messages of all three are printed last, in
 * the order of the input (msg.c). At the top level only virtual_server
 * blocks and global_defs' lvs_timeouts are converted: the blocks that stay
 * keepalived's (VRRP, global_defs...) are noted once a kind, anything else is
 * reported.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "control/config.h"
#include "control/keepalived.h"
#include "control/keepalived/ka.h"

/* The one-time notes for blocks that stay keepalived's. */
static const char *const skipped_kinds[] = {
	"global_defs", "static_ipaddress", "static_routes", "static_rules",
	"static_track_group", "linkbeat_interfaces", "interface_up_down_delays",
	"track_file", "bfd_instance", "net_namespace", "net_namespace_ipvs",
	"namespace_with_ipsets", "instance", "use_pid_dir", "linkbeat_use_polling",
	"child_wait_time",
};

static const char *const vrrp_kinds[] = {
	"vrrp_instance", "vrrp_sync_group", "vrrp_script", "vrrp_track_process",
	"vrrp_track_file", "garp_group",
};

/*
 * lvs_sync_daemon IF [VRRP_INSTANCE | inst NAME] [id N] [maxlen N] [port N]
 * [ttl N] [group ADDR]: keepalived runs IPVS's master or backup daemon as
 * the instance's state says; lbd runs both at once (high-availability.md).
 */
static void
sync_daemon(struct conv *c, const struct node *k)
{
	static const char *const opts[] = { "id", "maxlen", "port", "ttl" };
	static const uint64_t max[] = { 255, 65507, 65535, 255 };
	static const uint64_t min[] = { 0, 44, 1, 1 };
	struct in_addr g;
	int i = 1;
	size_t j;

	if (k->argc < 1 || strlen(k->argv[0]) >= sizeof(c->sync_if)) {
		ka_problem(c, &k->w, "lvs_sync_daemon needs an interface name: ignored");
		return;
	}
	snprintf(c->sync_if, sizeof(c->sync_if), "%s", k->argv[0]);
	for (j = 0; j < KA_DIM(c->sync_opt); j++)
		c->sync_opt[j] = -1;
	c->sync_group[0] = '\0';
	if (i < k->argc && strcmp(k->argv[i], "inst") == 0)
		i++;
	if (i < k->argc && strcmp(k->argv[i], "id") != 0 && strcmp(k->argv[i], "maxlen") != 0 &&
			strcmp(k->argv[i], "port") != 0 && strcmp(k->argv[i], "ttl") != 0 &&
			strcmp(k->argv[i], "group") != 0)
		i++;	/* the VRRP instance: lbd does not follow it */
	for (; i + 1 < k->argc; i += 2) {
		uint64_t v;

		if (strcmp(k->argv[i], "group") == 0) {
			if (inet_pton(AF_INET, k->argv[i + 1], &g) != 1 ||
					!IN_MULTICAST(ntohl(g.s_addr))) {
				ka_problem(c, &k->w, "lvs_sync_daemon: group '%s' is not an IPv4"
						" multicast address: ignored", ka_q(c, k->argv[i + 1]));
				continue;
			}
			snprintf(c->sync_group, sizeof(c->sync_group), "%s", k->argv[i + 1]);
			continue;
		}
		for (j = 0; j < KA_DIM(opts); j++)
			if (strcmp(k->argv[i], opts[j]) == 0)
				break;
		if (j == KA_DIM(opts)) {
			ka_problem(c, &k->w, "lvs_sync_daemon: unknown '%s': ignored",
					ka_q(c, k->argv[i]));
			continue;
		}
		if (!ka_parse_u64(k->argv[i + 1], max[j], &v) || v < min[j]) {
			ka_problem(c, &k->w, "lvs_sync_daemon: bad %s '%s' (%llu to %llu): ignored",
					opts[j], ka_q(c, k->argv[i + 1]), (unsigned long long)min[j],
					(unsigned long long)max[j]);
			continue;
		}
		c->sync_opt[j] = (int64_t)v;
	}
	if (i < k->argc)
		ka_problem(c, &k->w, "lvs_sync_daemon: '%s' without a value: ignored",
				ka_q(c, k->argv[i]));
	c->has_sync = true;
	c->sync_w = k->w;
	ka_problem(c, &k->w, "lvs_sync_daemon: lbd runs a master and a backup at once rather"
			" than following the VRRP instance; '%s' must be lbd's kernel interface",
			ka_q(c, c->sync_if));
}

/* global_defs' lvs_timeouts (true when it has one) and lvs_sync_daemon. */
static bool
global_defs(struct conv *c, const struct node *n)
{
	static const char *const names[] = { "tcp", "tcpfin", "udp" };
	const struct node *k;
	bool found = false;
	int64_t v;
	int i;
	size_t j;

	for (k = n->child; k != NULL; k = k->next) {
		if (k->kw == NULL || k->include)
			continue;
		if (strcmp(k->kw, "lvs_sync_daemon") == 0) {
			sync_daemon(c, k);
		} else if (strcmp(k->kw, "lvs_timeouts") == 0) {
			found = true;
			if (k->argc == 0 || k->argc % 2 != 0)
				ka_problem(c, &k->w, "lvs_timeouts takes pairs such as 'tcp 900'");
			for (i = 0; i + 1 < k->argc; i += 2) {
				struct node one = *k;

				for (j = 0; j < KA_DIM(names); j++)
					if (strcmp(k->argv[i], names[j]) == 0)
						break;
				if (j == KA_DIM(names)) {
					ka_problem(c, &k->w, "lvs_timeouts: unknown '%s' (expected"
							" tcp, tcpfin or udp): ignored",
							ka_q(c, k->argv[i]));
					continue;
				}
				one.kw = k->argv[i];
				one.argv = &k->argv[i + 1];
				one.argc = 1;
				if (ka_get_uint(c, &one, 0, LB_MAX_TIMEOUT, &v) && v > 0) {
					c->timeouts[j] = (uint32_t)v;
					c->has_timeouts = true;
					c->timeouts_w = k->w;
				}
			}
		}
	}
	return found;
}

static void
top_level(struct conv *c, const struct node *root)
{
	bool skipped_seen[KA_DIM(skipped_kinds)] = { false };
	const char *vrrp_seen[KA_DIM(vrrp_kinds)];	/* in the order they come */
	struct where vrrp_w = { NULL, 0, 0 };
	unsigned int n_vrrp = 0;
	const struct node *n;
	size_t i;

	for (n = root->child; n != NULL; n = n->next) {
		if (n->kw == NULL || n->include)
			continue;
		if (strcmp(n->kw, "virtual_server") == 0) {
			ka_virtual_server(c, n);
			continue;
		}
		if (strcmp(n->kw, "virtual_server_group") == 0) {
			ka_problem(c, &n->w, "virtual_server_group not converted: lbd has no server"
					" groups (write one virtual_server per address)");
			continue;
		}
		if (strcmp(n->kw, "SSL") == 0) {
			ka_problem(c, &n->w, "SSL not converted: lbd's https check takes no key,"
					" certificate or CA");
			continue;
		}
		for (i = 0; i < KA_DIM(vrrp_kinds); i++)
			if (strcmp(n->kw, vrrp_kinds[i]) == 0)
				break;
		if (i < KA_DIM(vrrp_kinds)) {
			const char *kind = vrrp_kinds[i];

			if (n_vrrp == 0)
				vrrp_w = n->w;
			for (i = 0; i < n_vrrp && vrrp_seen[i] != kind; i++)
				;
			if (i == n_vrrp)
				vrrp_seen[n_vrrp++] = kind;
			continue;
		}
		for (i = 0; i < KA_DIM(skipped_kinds); i++)
			if (strcmp(n->kw, skipped_kinds[i]) == 0)
				break;
		if (i < KA_DIM(skipped_kinds)) {
			bool t = i == 0 && global_defs(c, n), sy = i == 0 && c->has_sync;
			const char *but = t && sy ? " but for its lvs_timeouts and lvs_sync_daemon"
				" (converted to timeouts and sync)" : t ? " but for its lvs_timeouts"
				" (converted to timeouts)" : sy ? " but for its lvs_sync_daemon"
				" (converted to sync)" : "";

			if (!skipped_seen[i])
				ka_note(c, &n->w, "%s skipped%s: it is not LVS configuration,"
						" it stays keepalived's", n->kw, but);
			skipped_seen[i] = true;
			continue;
		}
		ka_unknown(c, n, "the top level");
	}
	if (n_vrrp > 0) {
		char kinds[160] = "";
		size_t len = 0;

		for (i = 0; i < n_vrrp; i++)
			len += (size_t)snprintf(kinds + len, sizeof(kinds) - len, "%s%s",
					len > 0 ? ", " : "", vrrp_seen[i]);
		ka_note(c, &vrrp_w, "%s skipped: VRRP keeps running in keepalived (see"
				" docs/health-checks.md)", kinds);
	}
}

static void
conv_free(struct conv *c, struct node *root)
{
	struct svc *sv, *next;

	for (sv = c->svcs; sv != NULL; sv = next) {
		next = sv->next;
		ka_free_svc(sv);
	}
	ka_read_free(c, root);
}

int
lb_keepalived_convert(const char *path, FILE *out, FILE *errs)
{
	struct conv c = { .errs = errs, .path = path };
	struct node root = { 0 };
	int rc;

	c.svc_tail = &c.svcs;
	rc = ka_read(&c, &root);
	if (rc < 0) {
		conv_free(&c, &root);
		return rc;
	}
	if (!c.oom)
		top_level(&c, &root);
	if (c.oom) {
		rc = -ENOMEM;
		fprintf(errs, "%s:0: out of memory\n", path);
	} else if (c.n_svcs == 0) {
		rc = -ENODATA;
		ka_problem(&c, &(struct where){ path, 0, UINT64_MAX }, "nothing converted: no"
				" virtual_server lbd can run");
	} else {
		ka_emit(&c, out);
		rc = c.oom ? -ENOMEM : c.n_problems;
		if (fflush(out) != 0 || ferror(out)) {
			fprintf(errs, "%s:0: cannot write the output: %s\n", path,
					strerror(errno));
			rc = -EIO;
		}
	}
	ka_print_msgs(&c);
	conv_free(&c, &root);
	return rc;
}
