/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Live reload (see reload.h): parse, compare what needs a restart, then hand
 * the rest to the model in one transaction, and restart the sync daemons
 * whose settings moved.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_log.h>

#include "control/announce.h"
#include "control/model.h"
#include "control/reload.h"
#include "control/sync.h"

static bool
str_same(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static bool
port_same(const struct lb_conf_port *a, const struct lb_conf_port *b)
{
	return str_same(a->device, b->device) && a->has_host == b->has_host &&
		strcmp(a->host_ifname, b->host_ifname) == 0 &&
		a->host_backend == b->host_backend && a->addr == b->addr &&
		a->prefix == b->prefix && a->has_mac == b->has_mac &&
		memcmp(a->mac, b->mac, sizeof(a->mac)) == 0 && a->mtu == b->mtu;
}

static bool
eal_same(const struct lb_conf *a, const struct lb_conf *b)
{
	unsigned int i;

	if (a->n_eal != b->n_eal)
		return false;
	for (i = 0; i < a->n_eal; i++)
		if (!str_same(a->eal[i], b->eal[i]))
			return false;
	return true;
}

/* One line per key that differs and needs a restart; how many there were. */
static int
restart_keys(const struct lb_conf *old, const struct lb_conf *new)
{
	struct {
		const char *key;
		bool same;
	} k[] = {
		{ "eal", eal_same(old, new) },
		{ "ports", old->n_ports == new->n_ports },
		{ "dataplane.mbufs", old->mbufs == new->mbufs },
		{ "dataplane.connections", old->connections == new->connections },
		{ "dataplane.burst", old->burst == new->burst },
		{ "dataplane.idle_sleep_us", old->idle_sleep_us == new->idle_sleep_us },
		{ "control.socket", str_same(old->socket, new->socket) },
		{ "control.group", str_same(old->socket_group, new->socket_group) },
		{ "control.admin_group", str_same(old->admin_group, new->admin_group) },
		{ "metrics.listen", old->has_metrics == new->has_metrics &&
			old->metrics_addr == new->metrics_addr &&
			old->metrics_port == new->metrics_port },
		{ "announce.table", old->has_announce == new->has_announce &&
			old->announce_table == new->announce_table },
		{ "vip_arp \"kernel\"", old->vip_arp_kernel == new->vip_arp_kernel },
	};
	unsigned int i, n = 0;

	for (i = 0; i < sizeof(k) / sizeof(k[0]); i++)
		if (!k[i].same) {
			RTE_LOG(ERR, USER1, "reload: %s: %s changed, which needs a restart\n",
					new->path, k[i].key);
			n++;
		}
	for (i = 0; old->n_ports == new->n_ports && i < new->n_ports; i++)
		if (!port_same(&old->ports[i], &new->ports[i])) {
			RTE_LOG(ERR, USER1, "reload: %s:%d: ports[%u] changed, which needs a"
					" restart\n", new->path, new->ports[i].line, i);
			n++;
		}
	return (int)n;
}

static bool
sync_same(const struct lb_sync_cfg *a, const struct lb_sync_cfg *b)
{
	return strcmp(a->ifname, b->ifname) == 0 && a->syncid == b->syncid &&
		a->maxlen == b->maxlen && a->group == b->group && a->port == b->port &&
		a->ttl == b->ttl;
}

/* The daemons the file names, as it names them; the others stopped. */
static void
reload_sync(const struct lb_conf *conf)
{
	static const char *const role[LB_SYNC_ROLES] = { "master", "backup" };
	unsigned int i;

	for (i = 0; i < LB_SYNC_ROLES; i++) {
		struct lb_sync_cfg cur, want = conf->sync[i];
		bool on = lb_sync_get(i, &cur);
		char err[160];

		if (conf->sync_on[i])
			lb_sync_cfg_defaults(&want);
		if (on == conf->sync_on[i] && (!on || sync_same(&cur, &want)))
			continue;
		if (on)
			lb_sync_stop(i);
		if (!conf->sync_on[i]) {
			RTE_LOG(NOTICE, USER1, "reload: sync %s daemon stopped\n", role[i]);
			continue;
		}
		if (lb_sync_start(i, &want, err, sizeof(err)) != 0)
			RTE_LOG(ERR, USER1, "reload: sync %s daemon: %s\n", role[i], err);
		else
			RTE_LOG(NOTICE, USER1, "reload: sync %s daemon (re)started on %s\n", role[i],
					want.ifname);
	}
}

/* The loader's messages, one log line each. */
static void
log_lines(const char *text)
{
	const char *p = text, *nl;

	while (p != NULL && *p != '\0') {
		nl = strchr(p, '\n');
		RTE_LOG(ERR, USER1, "reload: %.*s\n", (int)(nl != NULL ? nl - p : (long)strlen(p)), p);
		p = nl != NULL ? nl + 1 : NULL;
	}
}

int
lb_reload(struct lb_conf *running)
{
	struct lb_model_reload_stats st;
	struct lb_conf next;
	char *errs = NULL;
	size_t errs_len = 0;
	FILE *f = open_memstream(&errs, &errs_len);
	int nerr, rc;

	if (f == NULL)
		return -ENOMEM;
	RTE_LOG(NOTICE, USER1, "reload: reading %s\n", running->path);
	nerr = lb_conf_load(&next, running->path, f);
	fclose(f);
	log_lines(errs);
	free(errs);
	if (nerr > 0) {
		RTE_LOG(ERR, USER1, "reload: %d problem%s in %s: nothing changed\n", nerr,
				nerr == 1 ? "" : "s", running->path);
		lb_conf_free(&next);
		return -EINVAL;
	}
	if (restart_keys(running, &next) > 0) {
		RTE_LOG(ERR, USER1, "reload: refused, nothing changed: restart lbd to apply"
				" the keys above\n");
		lb_conf_free(&next);
		return -EPERM;
	}
	rc = lb_model_reload(&next, &st);
	if (rc == -ENOSPC) {
		RTE_LOG(ERR, USER1, "reload: refused, nothing changed: the new real servers need"
				" %u ids and %u are free (deleted servers keep theirs while their"
				" connections last)\n", st.ids_needed, st.ids_free);
		lb_conf_free(&next);
		return rc;
	}
	if (rc < 0)
		RTE_LOG(ERR, USER1, "reload: out of memory half-way: the part applied is"
				" consistent; reload again\n");
	if (st.admin_changes > 0)
		RTE_LOG(WARNING, USER1, "reload: %u change%s made with lbadm since the file was"
				" last read %s replaced by the file\n", st.admin_changes,
				st.admin_changes == 1 ? "" : "s", st.admin_changes == 1 ? "is" : "are");
	lb_announce_set_drain_seconds(next.announce_drain);
	reload_sync(&next);
	RTE_LOG(NOTICE, USER1, "reload: %s applied: services +%u -%u ~%u, real servers"
			" +%u -%u ~%u%s\n", next.path, st.svc_added, st.svc_removed,
			st.svc_changed, st.dest_added, st.dest_removed, st.dest_changed,
			st.params_changed ? ", timeouts or switches changed" : "");
	lb_conf_free(running);
	*running = next;
	return rc;
}
