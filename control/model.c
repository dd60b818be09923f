/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Services model and snapshot publication (see model.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_log.h>
#include <rte_malloc.h>

#include "control/model.h"
#include "dataplane/worker.h"

static struct lb_conf *model_conf;	/* services as configured */
static uint32_t **model_dest_ids;	/* [service][dest] -> lb_dests id */
static struct lb_port_info model_ports[LB_MAX_PORTS_DP];
static uint32_t model_n_ports;
static uint32_t model_gen;

static int
port_for(const struct lb_port_info *ports, uint32_t n_ports, uint32_t addr)
{
	uint32_t i;

	for (i = 0; i < n_ports; i++)
		if ((addr & ports[i].mask) == (ports[i].addr & ports[i].mask))
			return (int)i;
	return -1;
}

static int
dest_alloc(void)
{
	int i;

	for (i = 0; i < LB_MAX_DESTS; i++)
		if (!lb_dests[i].in_use)
			return i;
	return -1;
}

static void
lk_put(struct lb_snap *s, uint8_t proto, uint32_t vip, uint16_t port, int32_t idx)
{
	uint32_t i = lb_svc_hash(proto, vip, port) & s->lk_mask;

	while (s->lk[i].used) {
		if (s->lk[i].proto == proto && s->lk[i].vip == vip && s->lk[i].port == port)
			return;	/* a VIP marker seen before */
		i = (i + 1) & s->lk_mask;
	}
	s->lk[i] = (struct lb_svc_key){ .vip = vip, .port = port, .proto = proto,
		.used = 1, .idx = idx };
}

void
lb_snap_free(struct lb_snap *snap)
{
	uint32_t i;

	if (snap == NULL)
		return;
	for (i = 0; i < snap->n_svcs; i++) {
		lb_sched_free(&snap->svcs[i].sched);
		free(snap->svcs[i].sched.dest);
		free(snap->svcs[i].dest_ids);
	}
	free(snap->svcs);
	free(snap->lk);
	free(snap);
}

struct lb_snap *
lb_snap_build(const struct lb_conf *conf, const struct lb_port_info *ports, uint32_t n_ports,
		const uint32_t *const *dest_ids, uint32_t gen)
{
	struct lb_snap *s = calloc(1, sizeof(*s));
	uint32_t i, j, size = 16;

	if (s == NULL)
		return NULL;
	s->n_ports = n_ports;
	memcpy(s->port, ports, n_ports * sizeof(*ports));
	memcpy(s->timeout, conf->timeout, sizeof(s->timeout));
	s->tcp_table = conf->secure_tcp ? LB_TCP_TABLE_SECURE : LB_TCP_TABLE_NORMAL;
	s->sloppy_tcp = conf->sloppy_tcp;
	s->expire_nodest_conn = conf->expire_nodest_conn;

	/* Services and VIP markers at most half fill the table: probes stay short. */
	while (size < 4 * (conf->n_services + 1))
		size <<= 1;
	s->lk_mask = size - 1;
	s->lk = calloc(size, sizeof(*s->lk));
	s->svcs = calloc(conf->n_services + 1, sizeof(*s->svcs));
	if (s->lk == NULL || s->svcs == NULL)
		goto fail;

	for (i = 0; i < conf->n_services; i++) {
		const struct lb_conf_service *cs = &conf->services[i];
		struct lb_svc *svc = &s->svcs[i];

		svc->id = i;
		svc->gen = gen;
		svc->vip = cs->vip;
		svc->port = rte_cpu_to_be_16(cs->port);
		svc->proto = cs->proto;
		svc->persistence = cs->persistence;
		svc->netmask = cs->netmask;
		svc->sched.kind = cs->sched;
		svc->sched.flags = cs->sched_flags;
		svc->sched.n = cs->n_dests;
		svc->sched.dest = calloc(cs->n_dests + 1, sizeof(*svc->sched.dest));
		svc->dest_ids = calloc(cs->n_dests + 1, sizeof(*svc->dest_ids));
		s->n_svcs = i + 1;
		if (svc->sched.dest == NULL || svc->dest_ids == NULL)
			goto fail;
		for (j = 0; j < cs->n_dests; j++) {
			const struct lb_conf_dest *cd = &cs->dests[j];
			struct lb_sched_dest *sd = &svc->sched.dest[j];

			sd->addr = cd->addr;
			sd->port = rte_cpu_to_be_16(cd->port);
			sd->weight = cd->weight;
			sd->last_weight = cd->weight;
			svc->dest_ids[j] = dest_ids[i][j];
			if (lb_dests != NULL && lb_dests[dest_ids[i][j]].overloaded)
				sd->flags |= LB_SDEST_F_OVERLOAD;
		}
		if (lb_sched_build(&svc->sched) < 0)
			goto fail;
		lk_put(s, svc->proto, svc->vip, svc->port, (int32_t)i);
		lk_put(s, 0, svc->vip, 0, -2);
	}
	return s;
fail:
	lb_snap_free(s);
	return NULL;
}

int
lb_model_init(const struct lb_conf *conf, const struct lb_port_info *ports, uint32_t n_ports)
{
	uint32_t i, j;

	lb_dests = rte_zmalloc("lb_dests", LB_MAX_DESTS * sizeof(*lb_dests),
			RTE_CACHE_LINE_SIZE);
	model_dest_ids = calloc(conf->n_services + 1, sizeof(*model_dest_ids));
	if (lb_dests == NULL || model_dest_ids == NULL)
		return -ENOMEM;
	model_conf = (struct lb_conf *)(uintptr_t)conf;
	memcpy(model_ports, ports, n_ports * sizeof(*ports));
	model_n_ports = n_ports;

	for (i = 0; i < conf->n_services; i++) {
		const struct lb_conf_service *cs = &conf->services[i];

		model_dest_ids[i] = calloc(cs->n_dests + 1, sizeof(uint32_t));
		if (model_dest_ids[i] == NULL)
			return -ENOMEM;
		for (j = 0; j < cs->n_dests; j++) {
			const struct lb_conf_dest *cd = &cs->dests[j];
			int id = dest_alloc(), port = port_for(ports, n_ports, cd->addr);
			struct lb_dest *d;
			uint64_t mac = 0;

			if (id < 0) {
				RTE_LOG(ERR, USER1, "more than %d real servers\n", LB_MAX_DESTS);
				return -ENOSPC;
			}
			if (port < 0)
				return -EINVAL;	/* the loader checks this */
			d = &lb_dests[id];
			d->in_use = 1;
			d->addr = cd->addr;
			d->port = rte_cpu_to_be_16(cd->port);
			d->tx_port = (uint16_t)port;
			d->mtu = ports[port].mtu;
			d->svc_id = i;
			d->u_threshold = cd->u_threshold;
			d->l_threshold = cd->l_threshold;
			if (cd->has_mac) {
				memcpy(&mac, cd->mac, 6);
				mac |= LB_MAC_VALID;
			}
			d->mac = mac;
			model_dest_ids[i][j] = (uint32_t)id;
		}
	}
	return 0;
}

int
lb_model_publish(struct rte_rcu_qsbr *qsbr)
{
	struct lb_snap *snap, *old;

	snap = lb_snap_build(model_conf, model_ports, model_n_ports,
			(const uint32_t *const *)model_dest_ids, ++model_gen);
	if (snap == NULL)
		return -ENOMEM;
	old = __atomic_exchange_n(&lb_snap_current, snap, __ATOMIC_RELEASE);
	if (old != NULL) {
		if (qsbr != NULL)
			rte_rcu_qsbr_synchronize(qsbr, RTE_QSBR_THRID_INVALID);
		lb_snap_free(old);
	}
	return 0;
}

/*
 * IPVS: a server is overloaded from the moment its active+inactive count
 * reaches the upper threshold, until it falls below the lower one (3/4 of
 * the upper when no lower is set). The counts are each worker's own,
 * summed here; the flag lags them by at most one call.
 */
void
lb_model_update_overload(struct lb_worker *const *workers, uint16_t n_workers)
{
	struct lb_snap *snap = lb_snap_current;
	uint32_t i, j;
	uint16_t w;

	if (snap == NULL)
		return;
	for (i = 0; i < snap->n_svcs; i++) {
		struct lb_svc *svc = &snap->svcs[i];

		for (j = 0; j < svc->sched.n; j++) {
			struct lb_dest *d = &lb_dests[svc->dest_ids[j]];
			uint64_t conns = 0;
			uint32_t low;

			if (d->u_threshold == 0) {
				d->overloaded = 0;
				continue;
			}
			for (w = 0; w < n_workers; w++) {
				const struct lb_dest_count *c = &workers[w]->dest_cnt[svc->dest_ids[j]];

				conns += c->active + c->inactive;
			}
			low = d->l_threshold ? d->l_threshold : d->u_threshold * 3 / 4;
			if (!d->overloaded && conns >= d->u_threshold)
				d->overloaded = 1;
			else if (d->overloaded && conns < low)
				d->overloaded = 0;
			__atomic_store_n(&svc->sched.dest[j].flags,
					d->overloaded ? LB_SDEST_F_OVERLOAD : 0, __ATOMIC_RELAXED);
		}
	}
}

void
lb_model_fini(void)
{
	uint32_t i;

	lb_snap_free(lb_snap_current);
	lb_snap_current = NULL;
	for (i = 0; model_conf != NULL && i < model_conf->n_services; i++)
		free(model_dest_ids[i]);
	free(model_dest_ids);
	model_dest_ids = NULL;
	rte_free(lb_dests);
	lb_dests = NULL;
}
