/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A re-read configuration file applied to the model (lb_model_reload,
 * for control/reload.c): services and servers matched by address, what
 * the file keeps keeping its id, counters, scheduler state and health,
 * what it drops deleted as lbadm would, all in one publication.
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

/* ---- reload (control/reload.h) ---- */

static bool
dest_cfg_same(const struct lb_conf_dest *a, const struct lb_conf_dest *b)
{
	return a->weight == b->weight && a->u_threshold == b->u_threshold &&
		a->l_threshold == b->l_threshold && a->has_mac == b->has_mac &&
		(!a->has_mac || memcmp(a->mac, b->mac, sizeof(a->mac)) == 0);
}

static bool
svc_cfg_same(const struct lb_conf_service *a, const struct lb_conf_service *b)
{
	return a->sched == b->sched && a->sched_flags == b->sched_flags &&
		a->persistence == b->persistence && a->netmask == b->netmask &&
		(a->quorum ? a->quorum : 1) == (b->quorum ? b->quorum : 1) &&
		a->hysteresis == b->hysteresis && lb_ip_eq(&a->sorry_server, &b->sorry_server) &&
		a->sloppy == b->sloppy;
}

static int32_t
conf_dest_find(const struct lb_conf_service *cs, const union lb_ip *addr)
{
	unsigned int j;

	for (j = 0; j < cs->n_dests; j++)
		if (lb_ip_eq(&cs->dests[j].addr, addr))
			return (int32_t)j;
	return -1;
}

static const struct lb_conf_service *
conf_svc_find(const struct lb_conf *conf, const struct msvc *s)
{
	unsigned int i;

	for (i = 0; i < conf->n_services; i++)
		if (conf->services[i].proto == s->cfg.proto && conf->services[i].af == s->cfg.af &&
				lb_ip_eq(&conf->services[i].vip, &s->cfg.vip) &&
				conf->services[i].port == s->cfg.port)
			return &conf->services[i];
	return NULL;
}

/*
 * Whether every real server the file adds can have an id: the same
 * server's retired id, or a free one. Servers the reload deletes keep
 * theirs (retired), so they do not help. The only refusal the batch below
 * could meet half-way, checked before anything moves.
 */
static int
reload_ids_ok(const struct lb_conf *conf, uint32_t *need, uint32_t *have)
{
	static uint8_t taken[LB_MAX_DESTS];
	unsigned int i, j;
	uint32_t k;

	memset(taken, 0, sizeof(taken));
	*need = 0;
	*have = 0;
	for (k = 0; k < LB_MAX_DESTS; k++)
		*have += !lb_dests[k].in_use;
	for (i = 0; i < conf->n_services; i++) {
		const struct lb_conf_service *cs = &conf->services[i];
		const struct msvc *s = model_find_svc(cs->proto, cs->af, &cs->vip, cs->port);
		struct msvc probe = { .cfg = *cs };

		for (j = 0; j <= cs->n_dests; j++) {
			const union lb_ip *addr = j < cs->n_dests ? &cs->dests[j].addr :
				&cs->sorry_server;
			int32_t at = s != NULL ? model_find_dest(s, addr) : -1;

			if (lb_ip_is_zero(addr) || (at >= 0 && (bool)s->dests[at].sorry == (j == cs->n_dests)))
				continue;	/* none, or kept */
			for (k = 0; k < LB_MAX_DESTS; k++)
				if (!taken[k] && model_retired_match(k, &probe, addr))
					break;
			if (k < LB_MAX_DESTS)
				taken[k] = 1;	/* comes back with its connections */
			else
				(*need)++;
		}
	}
	return *need <= *have ? 0 : -ENOSPC;
}

/* Commit a prepared change without publishing (the batch publishes once). */
static void
batch_commit(struct change *ch)
{
	if (ch->op == OP_ADD || ch->op == OP_REPLACE)
		ch->quorum_moved = model_quorum_eval(&ch->svc);
	model_commit(ch);
}

/* Delete server j of service at (IPVS's rules for its connections: retired). */
static int
reload_del_dest(uint32_t at, uint32_t j)
{
	struct change ch;
	int rc = model_change_copy(&ch, at, 0);

	if (rc < 0)
		return rc;
	ch.retire = (int32_t)ch.svc.dests[j].id;
	memmove(&ch.svc.dests[j], &ch.svc.dests[j + 1],
			(ch.svc.n_dests - j - 1) * sizeof(*ch.svc.dests));
	ch.svc.n_dests--;
	ch.svc.gen = lb_model.gen_next++;
	batch_commit(&ch);
	return 0;
}

/* Service at becomes cs: its own keys, then its servers one by one. */
static int
reload_update_svc(uint32_t at, const struct lb_conf_service *cs,
		struct lb_model_reload_stats *st)
{
	struct msvc *s = &lb_model.svcs[at];
	struct lb_conf_dest sorry_cd = { .addr = cs->sorry_server, .port = cs->port,
		.weight = 1 };
	int64_t chk = model_check_intern(cs->check);
	bool edited = false;
	struct change ch;
	uint32_t j;
	int rc;

	if (chk < 0)
		return -ENOMEM;
	if (!svc_cfg_same(&s->cfg, cs) || s->check != (uint32_t)chk) {
		rc = model_change_copy(&ch, at, 0);
		if (rc < 0)
			return rc;
		ch.svc.cfg.sched = cs->sched;
		ch.svc.cfg.sched_flags = cs->sched_flags;
		ch.svc.cfg.persistence = cs->persistence;
		ch.svc.cfg.netmask = cs->netmask;
		ch.svc.cfg.quorum = cs->quorum ? cs->quorum : 1;
		ch.svc.cfg.hysteresis = cs->hysteresis;
		ch.svc.cfg.sloppy = cs->sloppy;
		ch.svc.check = (uint32_t)chk;
		ch.svc.gen = lb_model.gen_next++;
		batch_commit(&ch);
		edited = true;
	}
	/* servers the file no longer has, the sorry server if it moved */
	for (j = s->n_dests; j-- > 0;) {
		const struct mdest *md = &s->dests[j];
		bool keep = md->sorry ? lb_ip_eq(&md->cfg.addr, &cs->sorry_server) :
			conf_dest_find(cs, &md->cfg.addr) >= 0;

		bool sorry = md->sorry;

		if (keep)
			continue;
		rc = reload_del_dest(at, j);	/* frees the array md is in */
		if (rc < 0)
			return rc;
		s = &lb_model.svcs[at];
		if (!sorry)
			st->dest_removed++;
		edited |= sorry;
	}
	s->cfg.sorry_server = cs->sorry_server;
	for (j = 0; j < cs->n_dests; j++) {
		const struct lb_conf_dest *cd = &cs->dests[j];
		int32_t k = model_find_dest(s, &cd->addr);
		int64_t dchk = cd->check != NULL ? model_check_intern(cd->check) : (int64_t)chk;
		struct mdest *md;

		if (dchk < 0)
			return -ENOMEM;
		if (k < 0) {
			rc = model_prepare_dest_add(at, cd, false, &ch);
			if (rc < 0)
				return rc;
			batch_commit(&ch);
			s = &lb_model.svcs[at];
			st->dest_added++;
			continue;
		}
		if (dest_cfg_same(&s->dests[k].cfg, cd) && s->dests[k].check == (uint32_t)dchk)
			continue;
		rc = model_change_copy(&ch, at, 0);
		if (rc < 0)
			return rc;
		md = &ch.svc.dests[k];
		if (md->check != (uint32_t)dchk) {
			/* another check: a new checker, started as keepalived starts a
			 * new server's (down until a success under alpha) */
			md->check = (uint32_t)dchk;
			md->token = lb_model.token_next++;
			md->dyn_weight = -1;
			md->down = lb_model.checks[dchk]->type != LB_CHECK_NONE &&
				lb_model.checks[dchk]->alpha;
		}
		if (md->cfg.weight != cd->weight)
			ch.svc.gen = lb_model.gen_next++;
		md->cfg.weight = cd->weight;
		md->cfg.u_threshold = cd->u_threshold;
		md->cfg.l_threshold = cd->l_threshold;
		md->cfg.has_mac = cd->has_mac;
		memcpy(md->cfg.mac, cd->mac, sizeof(md->cfg.mac));
		if (cd->weight > 0)
			md->last_weight = cd->weight;
		if (cd->has_mac)
			model_dest_fill(&lb_dests[md->id], &md->cfg, s->cfg.af, ch.svc.id,
					model_port_for(s->cfg.af, &md->cfg.addr));
		else
			lb_dests[md->id].mac_static = 0;	/* ARP takes over from now */
		batch_commit(&ch);
		s = &lb_model.svcs[at];
		st->dest_changed++;
	}
	if (!lb_ip_is_zero(&cs->sorry_server) && model_find_dest(s, &cs->sorry_server) < 0) {
		rc = model_prepare_dest_add(at, &sorry_cd, true, &ch);
		if (rc < 0)
			return rc;
		batch_commit(&ch);
		s = &lb_model.svcs[at];
		edited = true;
	}
	if (model_quorum_eval(s))
		model_log_quorum(s);
	model_sync_removed(s);
	st->svc_changed += edited;
	return 0;
}

int
lb_model_reload(const struct lb_conf *conf, struct lb_model_reload_stats *st)
{
	struct change ch;
	uint32_t i, need, have;
	unsigned int k;
	int rc = 0;

	memset(st, 0, sizeof(*st));
	if (reload_ids_ok(conf, &need, &have) < 0) {
		st->ids_needed = need;
		st->ids_free = have;
		return -ENOSPC;
	}
	st->admin_changes = lb_model.admin_changes;
	/* deletions first: their service ids are free for the additions */
	for (i = lb_model.n_svcs; i-- > 0;)
		if (conf_svc_find(conf, &lb_model.svcs[i]) == NULL) {
			model_del_svc_at(i);
			st->svc_removed++;
		}
	for (k = 0; rc == 0 && k < conf->n_services; k++) {
		const struct lb_conf_service *cs = &conf->services[k];
		struct msvc *s = model_find_svc(cs->proto, cs->af, &cs->vip, cs->port);

		if (s != NULL)
			rc = reload_update_svc((uint32_t)(s - lb_model.svcs), cs, st);
		else {
			rc = model_svc_add_conf(cs, conf->path, &st->dest_added);
			st->svc_added += rc == 0;
		}
	}
	lb_model.targets_dirty = true;

	/* what applies to every service rides the one publication */
	model_change_init(&ch, OP_PARAMS);
	model_params_from_conf(&ch.params, conf);
	st->params_changed = memcmp(&ch.params.defense, &lb_model.params.defense,
			sizeof(lb_model.params.defense)) != 0 ||
		memcmp(ch.params.timeout, lb_model.params.timeout,
			sizeof(lb_model.params.timeout)) != 0 ||
		ch.params.secure_tcp != lb_model.params.secure_tcp ||
		ch.params.sloppy_tcp != lb_model.params.sloppy_tcp ||
		ch.params.expire_nodest_conn != lb_model.params.expire_nodest_conn ||
		ch.params.vip_arp != lb_model.params.vip_arp;
	if (model_apply(&ch) < 0) {
		lb_model.publish_pending = true;	/* lb_model_gc() retries */
		return -ENOMEM;
	}
	lb_model.admin_changes = 0;
	return rc;
}

