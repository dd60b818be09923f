/* SPDX-License-Identifier: BSD-3-Clause */
/* The /lbd/ telemetry commands (see telemetry.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_log.h>
#include <rte_telemetry.h>

#include "control/config.h"
#include "control/obs.h"
#include "control/telemetry.h"
#include "dataplane/counters.h"
#include "dataplane/tcp_state.h"

/* RTE_TEL_MAX_DICT_ENTRIES in 22.11, one kept for "truncated" */
#define DICT_MAX	255

static char sock_path[108];

/* A fresh connection per call: DPDK may run callbacks on several threads. */
static int
fetch(struct lb_obs *o)
{
	struct lb_obs_client c;
	int rc;

	lb_obs_client_init(&c, sock_path);
	rc = lb_obs_fetch(&c, o);
	lb_obs_client_close(&c);
	return rc;
}

/* The counters' reply, checked: its header and its cores; o freed on failure. */
static int
fetch_counters(struct lb_obs *o, const struct lb_api_counters **hdr,
		const struct lb_api_core **cs)
{
	if (fetch(o) < 0)
		goto fail;
	*hdr = o->counters;
	*cs = (const struct lb_api_core *)(*hdr + 1);
	if (sizeof(**hdr) + (uint64_t)(*hdr)->n_cores * sizeof(**cs) > o->counters_len)
		goto fail;
	return 0;
fail:
	lb_obs_free(o);
	return -1;
}

/* "TCP:10.0.0.100:80", "TCP:[2001:db8::100]:80": what /lbd/services takes too. */
static void
svc_name(const struct lb_api_svc_key *k, char *buf, size_t len)
{
	char v[LB_ADDRPORT_STRLEN];

	snprintf(buf, len, "%s:%s", lb_proto_name(k->proto),
			lb_addrport_str(k->af, &k->vip, k->port, v, sizeof(v)));
}

/* Service s as a dict of scalars; NULL out of memory. */
static struct rte_tel_data *
svc_dict(const struct lb_api_svc *s)
{
	const struct lb_api_dest *d = (const struct lb_api_dest *)(s + 1);
	struct rte_tel_data *t = rte_tel_data_alloc();
	uint64_t active = 0, inactive = 0;
	char name[80];
	uint32_t j;

	if (t == NULL)
		return NULL;
	for (j = 0; j < s->n_dests; j++) {
		active += d[j].active;
		inactive += d[j].inactive;
	}
	rte_tel_data_start_dict(t);
	svc_name(&s->key, name, sizeof(name));
	rte_tel_data_add_dict_string(t, "service", name);
	rte_tel_data_add_dict_string(t, "scheduler", s->sched);
	rte_tel_data_add_dict_u64(t, "persistence", (s->flags & LB_API_SVC_F_PERSISTENT) ?
			s->timeout : 0);
	rte_tel_data_add_dict_u64(t, "servers", s->n_dests);
	rte_tel_data_add_dict_u64(t, "active", active);
	rte_tel_data_add_dict_u64(t, "inactive", inactive);
	rte_tel_data_add_dict_u64(t, "conns", s->stats.conns);
	rte_tel_data_add_dict_u64(t, "inpkts", s->stats.inpkts);
	rte_tel_data_add_dict_u64(t, "inbytes", s->stats.inbytes);
	rte_tel_data_add_dict_u64(t, "cps", s->stats.cps);
	rte_tel_data_add_dict_u64(t, "inpps", s->stats.inpps);
	return t;
}

/* A real server as a dict of scalars. */
static struct rte_tel_data *
dest_dict(const struct lb_api_dest *d)
{
	struct rte_tel_data *t = rte_tel_data_alloc();
	char a[INET6_ADDRSTRLEN];

	if (t == NULL)
		return NULL;
	rte_tel_data_start_dict(t);
	lb_ip_str(d->af, &d->addr, a, sizeof(a));
	rte_tel_data_add_dict_string(t, "address", a);
	rte_tel_data_add_dict_u64(t, "port", d->port);
	rte_tel_data_add_dict_u64(t, "weight", d->weight);
	rte_tel_data_add_dict_u64(t, "active", d->active);
	rte_tel_data_add_dict_u64(t, "inactive", d->inactive);
	rte_tel_data_add_dict_u64(t, "persist", d->persist);
	rte_tel_data_add_dict_u64(t, "conns", d->stats.conns);
	rte_tel_data_add_dict_u64(t, "inpkts", d->stats.inpkts);
	rte_tel_data_add_dict_u64(t, "inbytes", d->stats.inbytes);
	return t;
}

static int
add_dict(struct rte_tel_data *d, const char *name, struct rte_tel_data *val)
{
	if (val == NULL)
		return -ENOMEM;
	if (rte_tel_data_add_dict_container(d, name, val, 0) < 0) {
		rte_tel_data_free(val);
		return -ENOSPC;
	}
	return 0;
}

static int
cmd_services(const char *cmd, const char *params, struct rte_tel_data *d)
{
	const struct lb_api_svc *s;
	struct lb_obs o;
	uint32_t at = 0, n = 0, j;
	bool found = false;
	char name[80];

	if (fetch(&o) < 0) {
		lb_obs_free(&o);
		return -1;
	}
	rte_tel_data_start_dict(d);
	while ((s = lb_obs_next(o.svcs, o.svcs_len, &at, sizeof(*s), sizeof(struct lb_api_dest),
					lb_obs_svc_n)) != NULL) {
		const struct lb_api_dest *dst = (const struct lb_api_dest *)(s + 1);

		svc_name(&s->key, name, sizeof(name));
		if (params == NULL || params[0] == '\0') {
			char key[16];

			if (n == DICT_MAX) {
				rte_tel_data_add_dict_int(d, "truncated", 1);
				break;
			}
			snprintf(key, sizeof(key), "%u", n++);
			add_dict(d, key, svc_dict(s));
			continue;
		}
		if (strcmp(params, name) != 0)
			continue;
		found = true;
		for (j = 0; j < s->n_dests; j++) {
			char key[16];

			if (j == DICT_MAX) {
				rte_tel_data_add_dict_int(d, "truncated", 1);
				break;
			}
			snprintf(key, sizeof(key), "%u", j);
			add_dict(d, key, dest_dict(&dst[j]));
		}
	}
	lb_obs_free(&o);
	/* an unknown service: {"/lbd/services": null}, as DPDK's own commands */
	return params != NULL && params[0] != '\0' && !found ? -1 : 0;
}

static int
cmd_counters(const char *cmd, const char *params, struct rte_tel_data *d)
{
	static const struct {
		const char *name;
		size_t off;
	} f[] = {
		{ "rx", offsetof(struct lb_api_core, rx) },
		{ "fwd", offsetof(struct lb_api_core, fwd) },
		{ "reply", offsetof(struct lb_api_core, reply) },
		{ "to_control", offsetof(struct lb_api_core, to_control) },
		{ "to_host", offsetof(struct lb_api_core, to_host) },
		{ "tx", offsetof(struct lb_api_core, tx) },
		{ "tx_dropped", offsetof(struct lb_api_core, tx_dropped) },
		{ "sent_icmp", offsetof(struct lb_api_core, sent_icmp) },
		{ "sent_control", offsetof(struct lb_api_core, sent_control) },
		{ "conn_evicted", offsetof(struct lb_api_core, conn_evicted) },
		{ "fwd_stateless", offsetof(struct lb_api_core, fwd_stateless) },
	};
	const struct lb_api_counters *hdr;
	const struct lb_api_core *cs;
	struct rte_tel_data *drops;
	struct lb_obs o;
	unsigned int k, r;
	uint32_t i;

	if (fetch_counters(&o, &hdr, &cs) < 0)
		return -1;
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "workers", hdr->n_cores);
	for (k = 0; k < sizeof(f) / sizeof(f[0]); k++) {
		uint64_t sum = 0, v;

		for (i = 0; i < hdr->n_cores; i++) {
			memcpy(&v, (const char *)&cs[i] + f[k].off, sizeof(v));
			sum += v;
		}
		rte_tel_data_add_dict_u64(d, f[k].name, sum);
	}
	rte_tel_data_add_dict_u64(d, "total_conns", hdr->total_conns);
	rte_tel_data_add_dict_u64(d, "total_inpkts", hdr->total_inpkts);
	rte_tel_data_add_dict_u64(d, "total_inbytes", hdr->total_inbytes);
	drops = rte_tel_data_alloc();
	if (drops != NULL) {
		rte_tel_data_start_dict(drops);
		for (r = 0; r < hdr->n_drops && r < LB_DROP_COUNT; r++) {
			uint64_t sum = 0;

			for (i = 0; i < hdr->n_cores; i++)
				sum += cs[i].drop[r];
			rte_tel_data_add_dict_u64(drops, lb_drop_name[r], sum);
		}
		add_dict(d, "drops", drops);
	}
	lb_obs_free(&o);
	return 0;
}

static int
cmd_conns_summary(const char *cmd, const char *params, struct rte_tel_data *d)
{
	const struct lb_api_counters *hdr;
	const struct lb_api_core *cs;
	struct rte_tel_data *states, *workers;
	uint64_t entries = 0, capacity = 0;
	struct lb_obs o;
	unsigned int r;
	uint32_t i;

	if (fetch_counters(&o, &hdr, &cs) < 0)
		return -1;
	for (i = 0; i < hdr->n_cores; i++) {
		entries += cs[i].conns;
		capacity += cs[i].capacity;
	}
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "entries", entries);
	rte_tel_data_add_dict_u64(d, "capacity", capacity);
	states = rte_tel_data_alloc();
	if (states != NULL) {
		rte_tel_data_start_dict(states);
		for (r = 0; r < LB_API_N_STATES; r++) {
			uint64_t sum = 0;

			for (i = 0; i < hdr->n_cores; i++)
				sum += cs[i].state[r];
			rte_tel_data_add_dict_u64(states, lb_state_name(r), sum);
		}
		add_dict(d, "states", states);
	}
	workers = rte_tel_data_alloc();
	if (workers != NULL) {
		rte_tel_data_start_dict(workers);
		for (i = 0; i < hdr->n_cores && i < DICT_MAX; i++) {
			char name[24];

			snprintf(name, sizeof(name), "lcore_%u", cs[i].lcore);
			rte_tel_data_add_dict_u64(workers, name, cs[i].conns);
		}
		add_dict(d, "entries_per_lcore", workers);
	}
	lb_obs_free(&o);
	return 0;
}

int
lb_telemetry_init(const char *socket)
{
	int rc;

	snprintf(sock_path, sizeof(sock_path), "%s", socket);
	rc = rte_telemetry_register_cmd("/lbd/services", cmd_services,
			"Services and their counters. Parameter: PROTO:VIP:PORT for its real servers");
	if (rc == 0)
		rc = rte_telemetry_register_cmd("/lbd/counters", cmd_counters,
				"The workers' packet counters summed, drops by reason");
	if (rc == 0)
		rc = rte_telemetry_register_cmd("/lbd/conns_summary", cmd_conns_summary,
				"Connection entries: capacity, per state, per worker lcore");
	if (rc != 0)
		RTE_LOG(WARNING, USER1, "telemetry: cannot register lbd's commands: %s\n",
				strerror(-rc));
	return rc;
}
