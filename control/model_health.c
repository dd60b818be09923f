/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The model's side of health checks (control/health.h drives them):
 * check configurations interned, the checker's targets, up/down and
 * dynamic weights kept apart from the operator's weight, quorum.
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

/* ---- health ---- */

/* The id of a copy of c in lb_model.checks[] (0, "none", for NULL); -1 out of memory. */
int64_t
model_check_intern(const struct lb_check_conf *c)
{
	struct lb_check_conf *copy;
	uint32_t i;

	if (lb_model.checks == NULL) {
		lb_model.checks = calloc(16, sizeof(*lb_model.checks));
		if (lb_model.checks == NULL)
			return -1;
		lb_model.cap_checks = 16;
		lb_model.checks[0] = calloc(1, sizeof(**lb_model.checks));	/* type none */
		if (lb_model.checks[0] == NULL)
			return -1;
		lb_model.n_checks = 1;
	}
	if (c == NULL || c->type == LB_CHECK_NONE)
		return 0;
	for (i = 1; i < lb_model.n_checks; i++)
		if (memcmp(lb_model.checks[i], c, sizeof(*c)) == 0)
			return i;
	if (lb_model.n_checks == lb_model.cap_checks) {
		struct lb_check_conf **p = realloc(lb_model.checks,
				2 * lb_model.cap_checks * sizeof(*p));

		if (p == NULL)
			return -1;
		lb_model.checks = p;
		lb_model.cap_checks *= 2;
	}
	copy = malloc(sizeof(*copy));
	if (copy == NULL)
		return -1;
	memcpy(copy, c, sizeof(*c));
	lb_model.checks[lb_model.n_checks] = copy;
	return lb_model.n_checks++;
}

static const struct lb_check_conf *
check_of(const struct mdest *md)
{
	return lb_model.checks != NULL ? lb_model.checks[md->check] : NULL;
}

static bool
inhibited(const struct mdest *md)
{
	const struct lb_check_conf *c = check_of(md);

	return c != NULL && c->inhibit;
}

/*
 * What IPVS under keepalived would hold: a server that is down leaves the
 * scheduler, or stays with weight 0 under inhibit_on_failure; while the
 * quorum is lost and a sorry server exists, that one replaces the live ones.
 */
bool
model_in_sched(const struct msvc *s, const struct mdest *md)
{
	if (md->sorry)
		return s->sorry_active;
	if (s->sorry_active)
		return md->down && inhibited(md);
	return !md->down || inhibited(md);
}

uint32_t
model_eff_weight(const struct mdest *md)
{
	if (md->down)
		return 0;
	return md->dyn_weight >= 0 ? (uint32_t)md->dyn_weight : md->cfg.weight;
}

static uint32_t
weight_up(const struct msvc *s)
{
	uint64_t sum = 0;
	uint32_t j;

	for (j = 0; j < s->n_dests; j++)
		if (!s->dests[j].sorry)
			sum += model_eff_weight(&s->dests[j]);
	return sum > UINT32_MAX ? UINT32_MAX : (uint32_t)sum;
}

/*
 * keepalived's quorum (update_quorum_state): regained at quorum + hysteresis,
 * lost below quorum - hysteresis or when no healthy weight is left. Returns
 * whether it moved; the sorry server follows it.
 */
bool
model_quorum_eval(struct msvc *s)
{
	uint32_t w = weight_up(s);
	int64_t down_at = (int64_t)s->cfg.quorum - s->cfg.hysteresis;
	bool up = s->quorum_up;

	if (!up && (uint64_t)w >= (uint64_t)s->cfg.quorum + s->cfg.hysteresis)
		up = true;
	else if (up && (w == 0 || (int64_t)w < down_at))
		up = false;
	s->sorry_active = !up && !lb_ip_is_zero(&s->cfg.sorry_server);
	if (up == (bool)s->quorum_up)
		return false;
	s->quorum_up = up;
	s->quorum_since = (int64_t)time(NULL);
	return true;
}

void
model_log_quorum(const struct msvc *s)
{
	char v[LB_ADDRPORT_STRLEN], y[LB_ADDRPORT_STRLEN];

	lb_addrport_str(s->cfg.af, &s->cfg.vip, s->cfg.port, v, sizeof(v));
	lb_addrport_str(s->cfg.af, &s->cfg.sorry_server, s->cfg.port, y, sizeof(y));
	if (s->quorum_up)
		RTE_LOG(NOTICE, USER1, "check: %s %s quorum regained (healthy"
				" weight %u, quorum %u)%s\n", lb_proto_name(s->cfg.proto),
				v, weight_up(s), s->cfg.quorum,
				!lb_ip_is_zero(&s->cfg.sorry_server) ?
				": real servers back, sorry server out" : "");
	else if (s->sorry_active)
		RTE_LOG(WARNING, USER1, "check: %s %s quorum lost (healthy"
				" weight %u, quorum %u): sorry server %s takes the"
				" traffic\n", lb_proto_name(s->cfg.proto), v,
				weight_up(s), s->cfg.quorum, y);
	else
		RTE_LOG(WARNING, USER1, "check: %s %s quorum lost (healthy"
				" weight %u, quorum %u)\n", lb_proto_name(s->cfg.proto),
				v, weight_up(s), s->cfg.quorum);
}

/* A server the scheduler no longer holds has its packets dropped, as in IPVS. */
void
model_sync_removed(const struct msvc *s)
{
	uint32_t j;

	for (j = 0; j < s->n_dests; j++)
		__atomic_store_n(&lb_dests[s->dests[j].id].removed,
				model_in_sched(s, &s->dests[j]) ? 0 : 1, __ATOMIC_RELEASE);
}

/* ---- health checks (control/health.h drives these) ---- */

bool
lb_model_health_dirty(void)
{
	return lb_model.targets_dirty;
}

uint32_t
lb_model_health_targets(struct lb_health_target *out, uint32_t max)
{
	uint32_t i, j, n = 0;

	lb_model.targets_dirty = false;
	for (i = 0; i < lb_model.n_svcs; i++)
		for (j = 0; j < lb_model.svcs[i].n_dests; j++) {
			const struct mdest *md = &lb_model.svcs[i].dests[j];

			if (md->check == 0 || md->sorry)
				continue;
			if (n == max)
				return n;
			out[n++] = (struct lb_health_target){
				.token = md->token, .proto = lb_model.svcs[i].cfg.proto,
				.af = lb_model.svcs[i].cfg.af,
				.vport = lb_model.svcs[i].cfg.port, .vip = lb_model.svcs[i].cfg.vip,
				.addr = md->cfg.addr, .port = md->cfg.port,
				.check = lb_model.checks[md->check],
			};
		}
	return n;
}

int
lb_model_health_set(uint64_t token, bool up, int32_t weight)
{
	uint32_t i, j;

	for (i = 0; i < lb_model.n_svcs; i++)
		for (j = 0; j < lb_model.svcs[i].n_dests; j++) {
			struct msvc *s = &lb_model.svcs[i];
			struct mdest *md = &s->dests[j];

			if (md->token != token)
				continue;
			if (md->down == !up && md->dyn_weight == weight)
				return 0;
			md->down = !up;
			md->dyn_weight = weight;
			if (weight > 0)
				md->last_weight = (uint32_t)weight;
			s->gen = lb_model.gen_next++;
			if (model_quorum_eval(s))
				model_log_quorum(s);
			lb_model.health_pending = true;
			return 0;
		}
	return -ENOENT;	/* gone meanwhile: the checker's list catches up */
}

/*
 * Health changes are the model's at once (the checker is not asked twice) and
 * published together: if the snapshot cannot be built, the next call tries
 * again, and listings show what the dataplane will have.
 */
int
lb_model_health_publish(void)
{
	struct lb_snap *snap;
	struct change ch;
	uint32_t i;

	if (!lb_model.health_pending)
		return 0;
	model_change_init(&ch, OP_PARAMS);
	snap = model_snap_build(&ch);
	if (snap == NULL)
		return -ENOMEM;
	lb_model.health_pending = false;
	/* servers back in the scheduler accept packets before it schedules them */
	for (i = 0; i < lb_model.n_svcs; i++)
		model_sync_removed(&lb_model.svcs[i]);
	model_snap_publish(snap);
	return 0;
}

void
lb_model_health_svc(uint32_t i, struct lb_api_health_svc *o)
{
	const struct msvc *s = &lb_model.svcs[i];

	memset(o, 0, sizeof(*o));
	o->key.proto = s->cfg.proto;
	o->key.af = s->cfg.af;
	o->key.vip = s->cfg.vip;
	o->key.port = s->cfg.port;
	o->quorum = s->cfg.quorum;
	o->hysteresis = s->cfg.hysteresis;
	o->weight_up = weight_up(s);
	o->quorum_up = s->quorum_up;
	o->sorry_active = s->sorry_active;
	o->sorry_addr = s->cfg.sorry_server;
	o->n_dests = s->n_dests;
	o->quorum_since = s->quorum_since;
}

uint64_t
lb_model_health_dest(uint32_t i, uint32_t j, struct lb_api_health_dest *o)
{
	const struct msvc *s = &lb_model.svcs[i];
	const struct mdest *md = &s->dests[j];

	memset(o, 0, sizeof(*o));
	o->addr = md->cfg.addr;
	o->port = md->cfg.port;
	o->check = check_of(md) != NULL ? check_of(md)->type : LB_CHECK_NONE;
	o->state = md->down ? LB_API_HEALTH_DOWN : LB_API_HEALTH_UP;
	o->inhibit = inhibited(md);
	o->sorry = md->sorry;
	o->in_sched = model_in_sched(s, md);
	o->weight = md->cfg.weight;
	o->eff_weight = o->in_sched ? model_eff_weight(md) : 0;
	return md->check != 0 ? md->token : 0;
}

bool
lb_model_quorum(uint8_t proto, uint32_t vip, uint16_t port)
{
	union lb_ip a = lb_ip_from_v4(vip);
	const struct msvc *s = model_find_svc(proto, AF_INET, &a, port);

	return s != NULL && s->quorum_up;
}

uint32_t
lb_model_svc_vip(uint32_t i)
{
	return i < lb_model.n_svcs && lb_model.svcs[i].cfg.af == AF_INET ?
		lb_model.svcs[i].cfg.vip.v4 : 0;
}

bool
lb_model_svc_quorum(uint32_t i)
{
	return i < lb_model.n_svcs && lb_model.svcs[i].quorum_up;
}

