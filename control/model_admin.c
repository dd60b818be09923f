/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Changes from lbadm, each one transaction, and the listings (see model.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_byteorder.h>
#include <rte_log.h>
#include <rte_malloc.h>

#include "control/limits.h"
#include "control/model_int.h"

/* ---- changes from lbadm ---- */

/* lbadm's changes are counted: a reload says it replaces them. */
static int
admin_apply(struct change *ch)
{
	int rc = model_apply(ch);

	if (rc == 0)
		lb_model.admin_changes++;
	return rc;
}

static void
svc_from_api(const struct lb_api_svc *a, struct lb_conf_service *c)
{
	memset(c, 0, sizeof(*c));
	c->proto = a->key.proto;
	c->af = a->key.af;
	c->vip = a->key.vip;
	c->port = a->key.port;
	c->sched = lb_sched_from_name(a->sched);
	c->sched_flags = a->sched_flags;
	c->persistence = (a->flags & LB_API_SVC_F_PERSISTENT) ? a->timeout : 0;
	/* as given: 0.0.0.0 puts every client under one template, as in IPVS */
	c->netmask = a->netmask;
}

static void
dest_from_api(const struct lb_api_dest *a, struct lb_conf_dest *c)
{
	memset(c, 0, sizeof(*c));
	c->addr = a->addr;
	c->port = a->port;
	c->weight = a->weight;
	c->u_threshold = a->u_threshold;
	c->l_threshold = a->l_threshold;
}

int
lb_model_svc_add(const struct lb_api_svc *a)
{
	struct lb_conf_service c;
	struct change ch;
	int rc;

	svc_from_api(a, &c);
	rc = model_prepare_svc_add(&c, &ch);
	return rc < 0 ? rc : admin_apply(&ch);
}

int
lb_model_svc_edit(const struct lb_api_svc *a)
{
	struct msvc *s = model_find_svc(a->key.proto, a->key.af, &a->key.vip, a->key.port);
	struct lb_conf_service c;
	struct change ch;
	int rc;

	if (s == NULL)
		return -ESRCH;
	svc_from_api(a, &c);
	rc = model_check_svc(&c);
	if (rc == 0)
		rc = model_change_copy(&ch, (uint32_t)(s - lb_model.svcs), 0);
	if (rc < 0)
		return rc;
	ch.svc.cfg.sched = c.sched;
	ch.svc.cfg.sched_flags = c.sched_flags;
	ch.svc.cfg.persistence = c.persistence;
	ch.svc.cfg.netmask = c.netmask;
	ch.svc.gen = lb_model.gen_next++;
	return admin_apply(&ch);
}

int
lb_model_svc_del(const struct lb_api_svc_key *k)
{
	struct msvc *s = model_find_svc(k->proto, k->af, &k->vip, k->port);
	struct change ch;

	if (s == NULL)
		return -ESRCH;
	model_change_init(&ch, OP_DELETE);
	ch.at = (uint32_t)(s - lb_model.svcs);
	return admin_apply(&ch);
}

int
lb_model_clear(void)
{
	struct change ch;

	model_change_init(&ch, OP_CLEAR);
	return admin_apply(&ch);
}

int
lb_model_dest_add(const struct lb_api_svc_key *k, const struct lb_api_dest *a)
{
	struct msvc *s = model_find_svc(k->proto, k->af, &k->vip, k->port);
	struct lb_conf_dest c;
	struct change ch;
	int rc;

	if (s == NULL)
		return -ESRCH;
	if (a->fwd != LB_API_FWD_ROUTE)
		return -EOPNOTSUPP;
	if (a->af != s->cfg.af)
		return -EAFNOSUPPORT;	/* direct routing cannot change the family */
	dest_from_api(a, &c);
	rc = model_prepare_dest_add((uint32_t)(s - lb_model.svcs), &c, false, &ch);
	return rc < 0 ? rc : admin_apply(&ch);
}

/* Server a of service k: its position in *s's servers, or -ESRCH or -ENOENT. */
static int
find_svc_dest(const struct lb_api_svc_key *k, const struct lb_api_dest *a, struct msvc **s)
{
	int j;

	*s = model_find_svc(k->proto, k->af, &k->vip, k->port);
	if (*s == NULL)
		return -ESRCH;
	j = model_find_dest(*s, &a->addr);
	if (j < 0 || a->port != (*s)->cfg.port)
		return -ENOENT;
	return j;
}

int
lb_model_dest_edit(const struct lb_api_svc_key *k, const struct lb_api_dest *a)
{
	struct msvc *s;
	struct lb_conf_dest c;
	struct mdest *md;
	struct change ch;
	int j, rc;

	j = find_svc_dest(k, a, &s);
	if (j < 0)
		return j;
	if (a->fwd != LB_API_FWD_ROUTE)
		return -EOPNOTSUPP;
	c = s->dests[j].cfg;
	c.weight = a->weight;
	c.u_threshold = a->u_threshold;
	c.l_threshold = a->l_threshold;
	rc = model_check_dest(s, &c);
	if (rc == 0)
		rc = model_change_copy(&ch, (uint32_t)(s - lb_model.svcs), 0);
	if (rc < 0)
		return rc;
	md = &ch.svc.dests[j];
	/* thresholds are read by the control plane only: the scheduler stays */
	if (md->cfg.weight != c.weight)
		ch.svc.gen = lb_model.gen_next++;
	md->cfg = c;
	if (c.weight > 0)
		md->last_weight = c.weight;
	return admin_apply(&ch);
}

int
lb_model_dest_del(const struct lb_api_svc_key *k, const struct lb_api_dest *a)
{
	struct msvc *s;
	struct change ch;
	int j, rc;

	j = find_svc_dest(k, a, &s);
	if (j < 0)
		return j;
	rc = model_change_copy(&ch, (uint32_t)(s - lb_model.svcs), 0);
	if (rc < 0)
		return rc;
	ch.retire = (int32_t)s->dests[j].id;
	memmove(&ch.svc.dests[j], &ch.svc.dests[j + 1],
			(ch.svc.n_dests - (uint32_t)j - 1) * sizeof(*ch.svc.dests));
	ch.svc.n_dests--;
	ch.svc.gen = lb_model.gen_next++;
	return admin_apply(&ch);
}

int
lb_model_zero(const struct lb_api_svc_key *k)
{
	uint32_t i, j;
	bool any = false;

	for (i = 0; i < lb_model.n_svcs; i++) {
		struct msvc *s = &lb_model.svcs[i];

		if (k != NULL && (s->cfg.proto != k->proto || s->cfg.af != k->af ||
					!lb_ip_eq(&s->cfg.vip, &k->vip) || s->cfg.port != k->port))
			continue;
		any = true;
		model_zero_svc(s->id);
		for (j = 0; j < s->n_dests; j++)
			model_zero_dest(s->dests[j].id);
	}
	return k == NULL || any ? 0 : -ESRCH;
}

void
lb_model_timeouts(struct lb_api_timeouts *t)
{
	t->tcp = lb_model.params.timeout[LB_S_ESTABLISHED];
	t->tcpfin = lb_model.params.timeout[LB_S_FIN_WAIT];
	t->udp = lb_model.params.timeout[LB_S_UDP];
}

int
lb_model_set_timeouts(const struct lb_api_timeouts *t)
{
	struct change ch;

	if (t->tcp > LB_MAX_TIMEOUT || t->tcpfin > LB_MAX_TIMEOUT || t->udp > LB_MAX_TIMEOUT)
		return -EINVAL;
	model_change_init(&ch, OP_PARAMS);
	if (t->tcp != 0)
		ch.params.timeout[LB_S_ESTABLISHED] = t->tcp;
	if (t->tcpfin != 0)
		ch.params.timeout[LB_S_FIN_WAIT] = t->tcpfin;
	if (t->udp != 0)
		ch.params.timeout[LB_S_UDP] = t->udp;
	return admin_apply(&ch);
}

/* A defence's mode as IPVS shows it: an automatic one reads 2 while it is on. */
static int32_t
mode_shown(uint8_t mode, uint8_t bit)
{
	uint16_t w;

	if (mode != 1 && mode != 2)
		return mode;
	for (w = 0; w < lb_model.n_workers; w++)
		if (lb_model.workers[w]->def_active & bit)
			return 2;
	return 1;
}

void
lb_model_sysctl(struct lb_api_sysctl *out)
{
	const struct lb_defense *d = &lb_model.params.defense;

	memset(out, 0, sizeof(*out));
	out->secure_tcp = lb_model.params.secure_tcp;
	out->sloppy_tcp = lb_model.params.sloppy_tcp;
	out->expire_nodest_conn = lb_model.params.expire_nodest_conn;
	out->drop_entry = mode_shown(d->drop_entry, LB_DEF_DROP_ENTRY);
	out->drop_packet = mode_shown(d->drop_packet, LB_DEF_DROP_PACKET);
	out->stateless_mh = mode_shown(d->stateless_mh, LB_DEF_STATELESS);
	out->am_droprate = (int32_t)d->am_droprate;
	out->defense_threshold = d->threshold;
}

int
lb_model_set_sysctl(const struct lb_api_sysctl *in)
{
	const int32_t v[3] = { in->secure_tcp, in->sloppy_tcp, in->expire_nodest_conn };
	const int32_t mode[3] = { in->drop_entry, in->drop_packet, in->stateless_mh };
	struct change ch;
	bool *dst[3] = { &ch.params.secure_tcp, &ch.params.sloppy_tcp,
		&ch.params.expire_nodest_conn };
	uint8_t *mdst[3] = { &ch.params.defense.drop_entry, &ch.params.defense.drop_packet,
		&ch.params.defense.stateless_mh };
	int i;

	for (i = 0; i < 3; i++)
		if (v[i] < -1 || v[i] > 1 || mode[i] < -1 || mode[i] > 3)
			return -EINVAL;
	if (in->am_droprate < -1 || in->defense_threshold < -1 || in->defense_threshold > 100)
		return -EINVAL;
	model_change_init(&ch, OP_PARAMS);
	for (i = 0; i < 3; i++) {
		if (v[i] >= 0)
			*dst[i] = v[i] == 1;
		if (mode[i] >= 0)
			*mdst[i] = (uint8_t)mode[i];
	}
	if (in->am_droprate > 0)
		ch.params.defense.am_droprate = (uint32_t)in->am_droprate;
	if (in->defense_threshold > 0)
		ch.params.defense.threshold = (uint8_t)in->defense_threshold;
	return admin_apply(&ch);
}

int
lb_model_set_vip_owned(bool kernel_mode, const uint32_t *vips, uint32_t n)
{
	struct change ch;
	uint32_t i;

	if (n > LB_MAX_VIP_OWNED)
		return -ENOSPC;
	model_change_init(&ch, OP_PARAMS);
	ch.params.vip_arp_kernel = kernel_mode;
	ch.params.n_vip_owned = (uint16_t)n;
	memset(ch.params.vip_owned, 0, sizeof(ch.params.vip_owned));
	for (i = 0; i < n; i++)
		ch.params.vip_owned[i] = vips[i];
	return model_apply(&ch);
}

int
lb_model_set_port_link(uint32_t i, bool up)
{
	struct change ch;
	uint8_t was;
	int rc;

	if (i >= lb_model.n_ports)
		return -EINVAL;
	was = lb_model.ports[i].link_down;
	lb_model.ports[i].link_down = !up;
	model_change_init(&ch, OP_PARAMS);
	rc = model_apply(&ch);
	if (rc != 0)
		lb_model.ports[i].link_down = was;
	return rc;
}

/* ---- listing ---- */

uint32_t
lb_model_n_svcs(void)
{
	return lb_model.n_svcs;
}

/* The j-th server the scheduler holds (what ipvsadm would list), or NULL. */
static const struct mdest *
listed(const struct msvc *s, uint32_t j)
{
	uint32_t k;

	for (k = 0; k < s->n_dests; k++)
		if (model_in_sched(s, &s->dests[k]) && j-- == 0)
			return &s->dests[k];
	return NULL;
}

static uint32_t
n_listed(const struct msvc *s)
{
	uint32_t k, n = 0;

	for (k = 0; k < s->n_dests; k++)
		n += model_in_sched(s, &s->dests[k]);
	return n;
}

uint32_t
lb_model_svc_n_dests(uint32_t i)
{
	return i < lb_model.n_svcs ? n_listed(&lb_model.svcs[i]) : 0;
}

uint32_t
lb_model_n_dests_total(void)
{
	uint32_t i, n = 0;

	for (i = 0; i < lb_model.n_svcs; i++)
		n += lb_model.svcs[i].n_dests;
	return n;
}

static void
fill_stats(struct lb_api_stats *o, const struct lb_traffic_stats *t, const struct shown *sh)
{
	memset(o, 0, sizeof(*o));
	o->conns = t->conns - sh->base.conns;
	o->inpkts = t->inpkts - sh->base.inpkts;
	o->inbytes = t->inbytes - sh->base.inbytes;
	/* IPVS rounds its scaled averages up to whole units */
	o->cps = (sh->cps + 0x1ff) >> 10;
	o->inpps = (sh->inpps + 0x1ff) >> 10;
	o->inbps = (sh->inbps + 0xf) >> 5;
}

void
lb_model_svc_record(uint32_t i, struct lb_api_svc *o)
{
	const struct msvc *s = &lb_model.svcs[i];
	struct lb_traffic_stats t;

	memset(o, 0, sizeof(*o));
	o->key.proto = s->cfg.proto;
	o->key.af = s->cfg.af;
	o->key.vip = s->cfg.vip;
	o->key.port = s->cfg.port;
	snprintf(o->sched, sizeof(o->sched), "%s", lb_sched_name(s->cfg.sched));
	o->sched_flags = s->cfg.sched_flags;
	if (s->cfg.persistence != 0) {
		o->flags |= LB_API_SVC_F_PERSISTENT;
		o->timeout = s->cfg.persistence;
	}
	o->netmask = s->cfg.netmask;
	o->n_dests = n_listed(s);
	model_sum_svc(s->id, &t);
	fill_stats(&o->stats, &t, &lb_model.svc_shown[s->id]);
}

void
lb_model_dest_record(uint32_t i, uint32_t j, struct lb_api_dest *o)
{
	const struct mdest *md = listed(&lb_model.svcs[i], j);
	struct lb_traffic_stats t;
	struct lb_dest_count c;

	memset(o, 0, sizeof(*o));
	if (md == NULL)
		return;
	o->addr = md->cfg.addr;
	o->af = lb_model.svcs[i].cfg.af;
	o->port = md->cfg.port;
	o->fwd = LB_API_FWD_ROUTE;
	o->weight = model_eff_weight(md);
	o->u_threshold = md->cfg.u_threshold;
	o->l_threshold = md->cfg.l_threshold;
	model_sum_dest(md->id, &t, &c);
	o->active = c.active;
	o->inactive = c.inactive;
	o->persist = c.persist;
	fill_stats(&o->stats, &t, &lb_model.dest_shown[md->id]);
}

