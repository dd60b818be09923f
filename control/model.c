/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Services model and snapshot publication (see model.h).
 *
 * The model is a plain array of services in the order they were added (the
 * order ipvsadm -S would print them back), each with its array of real
 * servers. Services and servers are few (thousands at most), so lookups
 * here are linear: simple, and never on the packet path.
 *
 * A change is prepared as a struct change: the new version of the one
 * service it concerns (or the service to delete, or new parameters), with
 * its real-server array copied, and the ids it would take found but not yet
 * taken. The snapshot is built from the model seen through the change; only
 * then is the change committed (ids claimed, lb_dests[] written, the service
 * replaced) and the snapshot swapped in. Until the commit, nothing a worker or
 * a listing can see has moved.
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

/* zero (bss: it is half a megabyte) until lb_model_init() */
struct lb_model_state lb_model;

/* ---- counters ---- */

void
model_sum_svc(uint32_t id, struct lb_traffic_stats *t)
{
	uint16_t w;

	memset(t, 0, sizeof(*t));
	for (w = 0; w < lb_model.n_workers; w++) {
		const struct lb_traffic_stats *s = &lb_model.workers[w]->svc_stats[id];

		t->conns += s->conns;
		t->inpkts += s->inpkts;
		t->inbytes += s->inbytes;
	}
}

void
model_sum_dest(uint32_t id, struct lb_traffic_stats *t, struct lb_dest_count *c)
{
	uint16_t w;

	memset(t, 0, sizeof(*t));
	if (c != NULL)
		memset(c, 0, sizeof(*c));
	for (w = 0; w < lb_model.n_workers; w++) {
		const struct lb_traffic_stats *s = &lb_model.workers[w]->dest_stats[id];

		t->conns += s->conns;
		t->inpkts += s->inpkts;
		t->inbytes += s->inbytes;
		if (c != NULL) {
			c->active += lb_model.workers[w]->dest_cnt[id].active;
			c->inactive += lb_model.workers[w]->dest_cnt[id].inactive;
			c->persist += lb_model.workers[w]->dest_cnt[id].persist;
		}
	}
}

static void
reset_shown(struct shown *sh, const struct lb_traffic_stats *now)
{
	memset(sh, 0, sizeof(*sh));
	sh->base = *now;
	sh->last = *now;
}

void
model_zero_svc(uint32_t id)
{
	struct lb_traffic_stats t;

	model_sum_svc(id, &t);
	reset_shown(&lb_model.svc_shown[id], &t);
}

void
model_zero_dest(uint32_t id)
{
	struct lb_traffic_stats t;

	model_sum_dest(id, &t, NULL);
	reset_shown(&lb_model.dest_shown[id], &t);
}

/* ---- lookups ---- */

struct msvc *
model_find_svc(uint8_t proto, uint8_t af, const union lb_ip *vip, uint16_t port)
{
	uint32_t i;

	for (i = 0; i < lb_model.n_svcs; i++)
		if (lb_model.svcs[i].cfg.proto == proto && lb_model.svcs[i].cfg.af == af &&
				lb_ip_eq(&lb_model.svcs[i].cfg.vip, vip) &&
				lb_model.svcs[i].cfg.port == port)
			return &lb_model.svcs[i];
	return NULL;
}

int
model_find_dest(const struct msvc *s, const union lb_ip *addr)
{
	uint32_t j;

	for (j = 0; j < s->n_dests; j++)
		if (lb_ip_eq(&s->dests[j].cfg.addr, addr) && !s->dests[j].sorry)
			return (int)j;
	return -1;
}

/* The port on whose subnet addr is (IPv6: the prefix of its address6). */
int
model_port_for(uint8_t af, const union lb_ip *addr)
{
	uint32_t i;

	for (i = 0; i < lb_model.n_ports; i++) {
		const struct lb_port_info *pi = &lb_model.ports[i];

		if (af == AF_INET6) {
			union lb_ip a = lb_ip6_prefix(addr, pi->plen6);
			union lb_ip b = lb_ip6_prefix(&pi->addr6, pi->plen6);

			if (pi->has_addr6 && lb_ip_eq(&a, &b))
				return (int)i;
		} else if ((addr->v4 & pi->mask) == (pi->addr & pi->mask)) {
			return (int)i;
		}
	}
	return -1;
}

/* ---- ids: found while a change is prepared, claimed when it commits ---- */

static int
svc_id_find(void)
{
	int i;

	for (i = 0; i < LB_MAX_SERVICES; i++)
		if (!lb_model.svc_id_used[i])
			return i;
	return -1;
}

void
model_dest_fill(struct lb_dest *d, const struct lb_conf_dest *cd, uint8_t af, uint32_t svc_id,
		int port)
{
	uint64_t mac = 0;

	d->addr = cd->addr;
	d->af = af;
	d->port = rte_cpu_to_be_16(cd->port);
	d->tx_port = (uint16_t)port;
	d->mtu = lb_model.ports[port].mtu;
	d->svc_id = svc_id;
	d->u_threshold = cd->u_threshold;
	d->l_threshold = cd->l_threshold;
	d->overloaded = 0;
	d->mac_static = cd->has_mac;
	if (cd->has_mac) {
		memcpy(&mac, cd->mac, 6);
		mac |= LB_MAC_VALID;
	}
	/* A server without a configured MAC keeps what ARP learned for its address. */
	if (mac != 0 || !(d->mac & LB_MAC_VALID))
		__atomic_store_n(&d->mac, mac, __ATOMIC_RELEASE);
}

bool
model_retired_match(uint32_t i, const struct msvc *s, const union lb_ip *addr)
{
	return lb_dests[i].in_use && lb_model.dest_retired[i] &&
		lb_ip_eq(&lb_dests[i].addr, addr) &&
		lb_model.retired_proto[i] == s->cfg.proto && lb_model.retired_af[i] == s->cfg.af &&
		lb_ip_eq(&lb_model.retired_vip[i], &s->cfg.vip) &&
		lb_model.retired_vport[i] == s->cfg.port;
}

/*
 * An id for server cd of service s: the retired id of the same server of
 * the same service if there is one (its connections then flow again), else a
 * free one. -1 when all are taken.
 */
static int
dest_id_find(const struct msvc *s, const struct lb_conf_dest *cd)
{
	int i, free_id = -1;

	for (i = 0; i < LB_MAX_DESTS; i++) {
		if (model_retired_match((uint32_t)i, s, &cd->addr))
			return i;
		if (!lb_dests[i].in_use && free_id < 0)
			free_id = i;
	}
	return free_id;
}

static void
dest_claim(const struct msvc *s, const struct mdest *md)
{
	struct lb_dest *d = &lb_dests[md->id];
	int port = model_port_for(s->cfg.af, &md->cfg.addr);

	if (model_retired_match(md->id, s, &md->cfg.addr)) {
		lb_model.dest_retired[md->id] = 0;
		model_dest_fill(d, &md->cfg, s->cfg.af, s->id, port);
		__atomic_store_n(&d->removed, 0, __ATOMIC_RELEASE);
		return;
	}
	memset(d, 0, sizeof(*d));
	model_dest_fill(d, &md->cfg, s->cfg.af, s->id, port);
	d->in_use = 1;
	if (lb_model.workers != NULL)
		model_zero_dest(md->id);
}

static void
dest_retire(const struct msvc *s, uint32_t id)
{
	lb_model.dest_retired[id] = 1;
	lb_model.retired_proto[id] = s->cfg.proto;
	lb_model.retired_vip[id] = s->cfg.vip;
	lb_model.retired_af[id] = s->cfg.af;
	lb_model.retired_vport[id] = s->cfg.port;
	__atomic_store_n(&lb_dests[id].removed, 1, __ATOMIC_RELEASE);
}

/* ---- validation shared by the file and lbadm ---- */

static bool
contiguous_mask(uint32_t mask_be)
{
	uint32_t h = rte_be_to_cpu_32(mask_be);

	return (~h & (~h + 1)) == 0;
}

int
model_check_svc(const struct lb_conf_service *c)
{
	if (c->proto != IPPROTO_TCP && c->proto != IPPROTO_UDP)
		return -EINVAL;
	if (c->sched < 0 || c->sched >= LB_SCHED_COUNT)
		return -ENOENT;	/* ipvsadm: "Scheduler not found" */
	if (c->sched_flags & ~(LB_SCHED_F_FALLBACK | LB_SCHED_F_PORT))
		return -EINVAL;
	if (c->port == 0 && c->persistence == 0)
		return -EINVAL;	/* "Zero port specified for non-persistent service" */
	if (c->persistence > LB_MAX_TIMEOUT)
		return -EINVAL;
	if (c->af != AF_INET && c->af != AF_INET6)
		return -EINVAL;
	if (lb_ip_is_zero(&c->vip))
		return -EINVAL;
	/* IPv6 persistence takes a prefix length, as ipvsadm -M 64 -6 */
	if (c->af == AF_INET6 ? c->netmask < 1 || c->netmask > 128 : !contiguous_mask(c->netmask))
		return -EINVAL;
	return 0;
}

int
model_check_dest(const struct msvc *s, const struct lb_conf_dest *d)
{
	if (d->port != s->cfg.port)
		return -EINVAL;	/* direct routing cannot change ports */
	if (d->weight > 65535 || lb_ip_is_zero(&d->addr))
		return -EINVAL;
	if (d->u_threshold > INT32_MAX || d->l_threshold > INT32_MAX)
		return -EINVAL;
	if (d->u_threshold != 0 && d->l_threshold > d->u_threshold)
		return -EINVAL;
	if (model_port_for(s->cfg.af, &d->addr) < 0)
		return -ENETUNREACH;	/* on no port's subnet */
	return 0;
}

/* ---- changes ---- */


void
model_change_init(struct change *ch, enum op op)
{
	memset(ch, 0, sizeof(*ch));
	ch->op = op;
	ch->claim = -1;
	ch->retire = -1;
	ch->params = lb_model.params;
}

static void
change_discard(struct change *ch)
{
	free(ch->svc.dests);
	ch->svc.dests = NULL;
}

/* ch replaces service at with a copy of it that has room for extra more servers. */
int
model_change_copy(struct change *ch, uint32_t at, uint32_t extra)
{
	const struct msvc *s = &lb_model.svcs[at];

	model_change_init(ch, OP_REPLACE);
	ch->at = at;
	ch->svc = *s;
	ch->svc.dests = malloc((s->n_dests + extra + 1) * sizeof(*s->dests));
	if (ch->svc.dests == NULL)
		return -ENOMEM;
	if (s->n_dests > 0)
		memcpy(ch->svc.dests, s->dests, s->n_dests * sizeof(*s->dests));
	return 0;
}

/* The model as the change would leave it: its number of services, and each. */
static uint32_t
view_n(const struct change *ch)
{
	switch (ch->op) {
	case OP_ADD:
		return lb_model.n_svcs + 1;
	case OP_DELETE:
		return lb_model.n_svcs - 1;
	case OP_CLEAR:
		return 0;
	default:
		return lb_model.n_svcs;
	}
}

static const struct msvc *
view_at(const struct change *ch, uint32_t i)
{
	if ((ch->op == OP_ADD && i == lb_model.n_svcs) || (ch->op == OP_REPLACE && i == ch->at))
		return &ch->svc;
	if (ch->op == OP_DELETE && i >= ch->at)
		i++;
	return &lb_model.svcs[i];
}

void
model_del_svc_at(uint32_t i)
{
	struct msvc *s = &lb_model.svcs[i];
	uint32_t j;

	for (j = 0; j < s->n_dests; j++)
		dest_retire(s, s->dests[j].id);
	free(s->dests);
	lb_model.svc_id_used[s->id] = 0;
	memmove(&lb_model.svcs[i], &lb_model.svcs[i + 1],
		(lb_model.n_svcs - i - 1) * sizeof(*lb_model.svcs));
	lb_model.n_svcs--;
}

/* Make the change the model's. Nothing here can fail. */
void
model_commit(struct change *ch)
{
	struct msvc *s;
	uint32_t j;

	lb_model.params = ch->params;
	switch (ch->op) {
	case OP_ADD:
		lb_model.svc_id_used[ch->svc.id] = 1;
		if (lb_model.workers != NULL)
			model_zero_svc(ch->svc.id);
		lb_model.svcs[lb_model.n_svcs++] = ch->svc;
		if (ch->quorum_moved)
			model_log_quorum(&lb_model.svcs[lb_model.n_svcs - 1]);
		break;
	case OP_REPLACE:
		s = &lb_model.svcs[ch->at];
		if (ch->retire >= 0)
			dest_retire(s, (uint32_t)ch->retire);
		if (ch->claim >= 0)
			dest_claim(&ch->svc, &ch->svc.dests[ch->claim]);
		for (j = 0; j < ch->svc.n_dests; j++) {
			lb_dests[ch->svc.dests[j].id].u_threshold = ch->svc.dests[j].cfg.u_threshold;
			lb_dests[ch->svc.dests[j].id].l_threshold = ch->svc.dests[j].cfg.l_threshold;
		}
		free(s->dests);
		*s = ch->svc;
		model_sync_removed(s);
		if (ch->quorum_moved)
			model_log_quorum(s);
		break;
	case OP_DELETE:
		model_del_svc_at(ch->at);
		break;
	case OP_CLEAR:
		while (lb_model.n_svcs > 0)
			model_del_svc_at(lb_model.n_svcs - 1);
		break;
	case OP_PARAMS:
		break;
	}
	ch->svc.dests = NULL;	/* the model's now */
	lb_model.targets_dirty = true;
}

int
model_prepare_svc_add(const struct lb_conf_service *c, struct change *ch)
{
	int id, rc = model_check_svc(c);
	int64_t chk;

	if (rc < 0)
		return rc;
	if (model_find_svc(c->proto, c->af, &c->vip, c->port) != NULL)
		return -EEXIST;
	if (lb_limit_check(LB_LIMIT_SERVICES, (uint64_t)lb_model.n_svcs + 1) < 0)
		return -ENOSPC;
	id = svc_id_find();
	if (id < 0)
		return -ENOSPC;
	if (lb_model.n_svcs == lb_model.cap_svcs) {
		uint32_t cap = lb_model.cap_svcs ? lb_model.cap_svcs * 2 : 16;
		struct msvc *p = realloc(lb_model.svcs, cap * sizeof(*p));

		if (p == NULL)
			return -ENOMEM;
		lb_model.svcs = p;
		lb_model.cap_svcs = cap;
	}
	chk = model_check_intern(c->check);
	if (chk < 0)
		return -ENOMEM;
	model_change_init(ch, OP_ADD);
	ch->svc.id = (uint32_t)id;
	ch->svc.gen = lb_model.gen_next++;
	ch->svc.cfg = *c;
	ch->svc.cfg.dests = NULL;
	ch->svc.cfg.n_dests = 0;
	ch->svc.cfg.check = NULL;
	if (ch->svc.cfg.quorum == 0)
		ch->svc.cfg.quorum = 1;
	ch->svc.check = (uint32_t)chk;
	ch->svc.quorum_up = 1;
	return 0;
}

int
model_prepare_dest_add(uint32_t at, const struct lb_conf_dest *cd, bool sorry, struct change *ch)
{
	const struct msvc *s = &lb_model.svcs[at];
	struct mdest *md;
	int id, rc = model_check_dest(s, cd);
	int64_t chk = sorry ? 0 : cd->check != NULL ? model_check_intern(cd->check) : s->check;

	if (rc < 0)
		return rc;
	if (chk < 0)
		return -ENOMEM;
	if (model_find_dest(s, &cd->addr) >= 0)
		return -EEXIST;
	if (lb_limit_check(LB_LIMIT_DESTS_PER_SVC, (uint64_t)s->n_dests + 1) < 0)
		return -ENOSPC;
	id = dest_id_find(s, cd);
	if (id < 0)
		return -ENOSPC;	/* LB_LIMIT_DESTS: every id is live or retired */
	rc = model_change_copy(ch, at, 1);
	if (rc < 0)
		return rc;
	md = &ch->svc.dests[ch->svc.n_dests];
	memset(md, 0, sizeof(*md));
	md->id = (uint32_t)id;
	md->cfg = *cd;
	md->cfg.check = NULL;
	md->last_weight = cd->weight;
	md->token = lb_model.token_next++;
	md->check = (uint32_t)chk;
	md->sorry = sorry;
	md->dyn_weight = -1;
	/* keepalived: a server starts up, or down until its first success with alpha */
	md->down = lb_model.checks[chk]->type != LB_CHECK_NONE && lb_model.checks[chk]->alpha;
	ch->claim = (int32_t)ch->svc.n_dests++;
	ch->svc.gen = lb_model.gen_next++;
	return 0;
}

/* ---- snapshot ---- */

static void
lk_put6(struct lb_snap *s, uint8_t proto, const union lb_ip *vip, uint16_t port, int32_t idx)
{
	uint32_t i = lb_svc_hash6(proto, vip, port) & s->lk6_mask;

	while (s->lk6[i].used) {
		if (s->lk6[i].proto == proto && lb_ip_eq(&s->lk6[i].vip, vip) &&
				s->lk6[i].port == port)
			return;	/* a VIP marker seen before */
		i = (i + 1) & s->lk6_mask;
	}
	s->lk6[i] = (struct lb_svc_key6){ .vip = *vip, .port = port, .proto = proto,
		.used = 1, .idx = idx };
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

/* at[id] = index in snap of the service with that id, -1 when none. */
static void
index_by_id(const struct lb_snap *snap, int32_t *at)
{
	uint32_t i;

	for (i = 0; i < LB_MAX_SERVICES; i++)
		at[i] = -1;
	for (i = 0; snap != NULL && i < snap->n_svcs; i++)
		at[snap->svcs[i].id] = (int32_t)i;
}

/* Free snap, except the built services it shares with other (may be NULL). */
static void
snap_free(struct lb_snap *snap, const struct lb_snap *other)
{
	static int32_t at[LB_MAX_SERVICES];
	uint32_t i;

	if (snap == NULL)
		return;
	index_by_id(other, at);
	for (i = 0; i < snap->n_svcs; i++) {
		struct lb_svc *svc = &snap->svcs[i];
		int32_t o = at[svc->id];

		if (o >= 0 && other->svcs[o].sched.dest == svc->sched.dest)
			continue;
		lb_sched_free(&svc->sched);
		free(svc->sched.dest);
		free(svc->dest_ids);
	}
	free(snap->svcs);
	free(snap->lk);
	free(snap->lk6);
	free(snap);
}

static int
sdest_cmp(const void *a, const void *b)
{
	const struct lb_sched_dest *x = a, *y = b;
	uint32_t ha = rte_be_to_cpu_32(x->addr), hb = rte_be_to_cpu_32(y->addr);

	if (ha != hb)
		return ha < hb ? -1 : 1;
	return rte_be_to_cpu_16(x->port) < rte_be_to_cpu_16(y->port) ? -1 :
		rte_be_to_cpu_16(x->port) > rte_be_to_cpu_16(y->port);
}

/*
 * mh fills its table from its servers in list order: in address order
 * instead, directors with the same servers build the same table whatever
 * order the servers were added in, and send a flow to the same server
 * whichever of them the router picks. dest_ids follow their servers.
 */
static void
canonical_order(struct lb_svc *svc)
{
	struct lb_sched_dest *sd = svc->sched.dest;
	uint32_t i, j, n = svc->sched.n;

	/* a few hundred servers, sorted once per change: insertion sort keeps
	 * the two arrays paired without an index array */
	for (i = 1; i < n; i++) {
		struct lb_sched_dest d = sd[i];
		uint32_t id = svc->dest_ids[i];

		for (j = i; j > 0 && sdest_cmp(&sd[j - 1], &d) > 0; j--) {
			sd[j] = sd[j - 1];
			svc->dest_ids[j] = svc->dest_ids[j - 1];
		}
		sd[j] = d;
		svc->dest_ids[j] = id;
	}
}

/* The scheduler of ms, built afresh. */
static int
svc_build(const struct msvc *ms, struct lb_svc *svc)
{
	uint32_t j;

	svc->id = ms->id;
	svc->gen = ms->gen;
	svc->vip = ms->cfg.vip;
	svc->af = ms->cfg.af;
	svc->plen6 = ms->cfg.af == AF_INET6 ? (uint8_t)ms->cfg.netmask : 0;
	svc->port = rte_cpu_to_be_16(ms->cfg.port);
	svc->proto = ms->cfg.proto;
	svc->persistence = ms->cfg.persistence;
	svc->netmask = ms->cfg.af == AF_INET6 ? 0 : ms->cfg.netmask;
	svc->sloppy = ms->cfg.sloppy;
	svc->sched.kind = ms->cfg.sched;
	svc->sched.flags = ms->cfg.sched_flags;
	svc->sched.n = 0;
	svc->sched.dest = calloc(ms->n_dests + 1, sizeof(*svc->sched.dest));
	svc->dest_ids = calloc(ms->n_dests + 1, sizeof(*svc->dest_ids));
	if (svc->sched.dest == NULL || svc->dest_ids == NULL)
		return -ENOMEM;
	for (j = 0; j < ms->n_dests; j++) {
		const struct mdest *md = &ms->dests[j];
		const struct lb_dest *d = &lb_dests[md->id];
		struct lb_sched_dest *sd = &svc->sched.dest[svc->sched.n];

		if (!model_in_sched(ms, md))
			continue;
		sd->addr = lb_ip_fold(ms->cfg.af, &md->cfg.addr);
		sd->port = rte_cpu_to_be_16(md->cfg.port);
		sd->weight = model_eff_weight(md);
		sd->last_weight = md->last_weight;
		svc->dest_ids[svc->sched.n++] = md->id;
		/* an id the change has yet to claim holds a former server's state */
		if (d->in_use && !lb_model.dest_retired[md->id] && d->overloaded)
			sd->flags |= LB_SDEST_F_OVERLOAD;
	}
	if (svc->sched.kind == LB_SCHED_MH)
		canonical_order(svc);
	return lb_sched_build(&svc->sched);
}

/* The snapshot of the model seen through ch; the current one's unchanged services are reused. */
struct lb_snap *
model_snap_build(const struct change *ch)
{
	static int32_t cur_at[LB_MAX_SERVICES];
	const struct lb_snap *cur = lb_snap_current;
	struct lb_snap *s = calloc(1, sizeof(*s));
	uint32_t i, n = view_n(ch), n6 = 0, size = 16, size6 = 16;

	if (s == NULL)
		return NULL;
	s->n_ports = lb_model.n_ports;
	memcpy(s->port, lb_model.ports, lb_model.n_ports * sizeof(*lb_model.ports));
	memcpy(s->timeout, ch->params.timeout, sizeof(s->timeout));
	s->tcp_table = ch->params.secure_tcp ? LB_TCP_TABLE_SECURE : LB_TCP_TABLE_NORMAL;
	s->sloppy_tcp = ch->params.sloppy_tcp;
	s->expire_nodest_conn = ch->params.expire_nodest_conn;
	s->vip_arp = ch->params.vip_arp;
	s->vip_arp_kernel = ch->params.vip_arp_kernel;
	s->n_vip_owned = ch->params.n_vip_owned;
	s->drop_entry = ch->params.defense.drop_entry;
	s->drop_packet = ch->params.defense.drop_packet;
	s->stateless_mh = ch->params.defense.stateless_mh;
	s->defense_pct = ch->params.defense.threshold;
	s->am_droprate = ch->params.defense.am_droprate;
	memcpy(s->vip_owned, ch->params.vip_owned, sizeof(s->vip_owned));

	/* Services and VIP markers at most half fill each family's table:
	 * probes stay short, and an IPv4-only model allocates (and a change
	 * zeroes) no IPv6 table to speak of. */
	for (i = 0; i < n; i++)
		n6 += view_at(ch, i)->cfg.af == AF_INET6;
	while (size < 4 * (n - n6 + 1))
		size <<= 1;
	while (size6 < 4 * (n6 + 1))
		size6 <<= 1;
	s->lk_mask = size - 1;
	s->lk = calloc(size, sizeof(*s->lk));
	s->lk6_mask = size6 - 1;
	s->lk6 = calloc(size6, sizeof(*s->lk6));
	s->svcs = calloc(n + 1, sizeof(*s->svcs));
	if (s->lk == NULL || s->lk6 == NULL || s->svcs == NULL)
		goto fail;
	index_by_id(cur, cur_at);
	for (i = 0; i < n; i++) {
		const struct msvc *ms = view_at(ch, i);
		struct lb_svc *svc = &s->svcs[i];
		int32_t c = cur_at[ms->id];

		s->n_svcs = i + 1;
		if (c >= 0 && cur->svcs[c].gen == ms->gen)
			*svc = cur->svcs[c];	/* shared with cur until cur is freed */
		else if (svc_build(ms, svc) < 0)
			goto fail;
		if (svc->af == AF_INET6) {
			lk_put6(s, svc->proto, &svc->vip, svc->port, (int32_t)i);
			lk_put6(s, 0, &svc->vip, 0, -2);
		} else {
			lk_put(s, svc->proto, svc->vip.v4, svc->port, (int32_t)i);
			lk_put(s, 0, svc->vip.v4, 0, -2);
		}
	}
	return s;
fail:
	snap_free(s, cur);
	return NULL;
}

/*
 * Snapshots replaced but perhaps still held by a worker, oldest first, each
 * with the RCU token of its replacement. They are freed once every worker
 * has reported a quiescent state since (reap()), never waited for: a worker
 * that stalls must not stall the control plane with it (the watchdog that
 * withdraws the VIPs runs there). Each shares its unchanged services with
 * the next one, so each is freed against its successor.
 */
struct retired_snap {
	struct lb_snap *snap;
	uint64_t token;
};
static struct retired_snap *retired;
static uint32_t n_retired, cap_retired;

static void
reap(void)
{
	uint32_t k = 0;

	while (k < n_retired && (lb_model.qsbr == NULL ||
				rte_rcu_qsbr_check(lb_model.qsbr, retired[k].token, false) == 1)) {
		snap_free(retired[k].snap,
				k + 1 < n_retired ? retired[k + 1].snap : lb_snap_current);
		k++;
	}
	if (k > 0)
		memmove(retired, retired + k, (n_retired - k) * sizeof(*retired));
	n_retired -= k;
}

/* Swap snap in; the old one is freed once no worker can hold it. */
void
model_snap_publish(struct lb_snap *snap)
{
	struct lb_snap *old = __atomic_exchange_n(&lb_snap_current, snap, __ATOMIC_RELEASE);

	if (old == NULL)
		return;
	if (lb_model.qsbr == NULL) {	/* no worker runs (tests) */
		snap_free(old, snap);
		return;
	}
	if (n_retired == cap_retired) {
		uint32_t cap = cap_retired ? cap_retired * 2 : 16;
		struct retired_snap *p = realloc(retired, cap * sizeof(*p));

		if (p == NULL) {
			/* no room to defer: wait, as the only safe choice left */
			rte_rcu_qsbr_synchronize(lb_model.qsbr, RTE_QSBR_THRID_INVALID);
			reap();
			snap_free(old, snap);
			return;
		}
		retired = p;
		cap_retired = cap;
	}
	retired[n_retired].snap = old;
	retired[n_retired].token = rte_rcu_qsbr_start(lb_model.qsbr);
	n_retired++;
	reap();
}

/* The transaction: build, then commit, then publish; or nothing at all. */
int
model_apply(struct change *ch)
{
	struct lb_snap *snap;

	if (ch->op == OP_ADD || ch->op == OP_REPLACE)
		ch->quorum_moved = model_quorum_eval(&ch->svc);
	snap = model_snap_build(ch);

	if (snap == NULL) {
		change_discard(ch);
		return -ENOMEM;
	}
	model_commit(ch);
	model_snap_publish(snap);
	return 0;
}

int
lb_model_publish(void)
{
	struct change ch;

	model_change_init(&ch, OP_PARAMS);
	return model_apply(&ch);
}

/* ---- start and stop ---- */

void
lb_model_port_info(const struct lb_conf_port *cp, const struct rte_ether_addr *mac,
		struct lb_port_info *out)
{
	const uint8_t *b = mac->addr_bytes;

	out->mac = *mac;
	out->addr = cp->addr;
	out->mask = rte_cpu_to_be_32(cp->prefix == 0 ? 0 : ~0u << (32 - cp->prefix));
	out->mtu = cp->mtu;
	out->has_addr6 = cp->has_addr6;
	out->plen6 = cp->prefix6;
	out->addr6 = cp->addr6;
	/* fe80::/64 with the modified EUI-64 of the MAC (RFC 4291 2.5.1), the
	 * address a kernel interface with this MAC derives too */
	out->ll6 = (union lb_ip){ .v6 = { 0xfe, 0x80, [8] = b[0] ^ 0x02, b[1], b[2], 0xff, 0xfe,
		b[3], b[4], b[5] } };
}

/*
 * Service cs with its real servers and sorry server, committed but not
 * published (lb_model_init and reload publish once, after). A refusal is
 * logged against path:line. *n_dests (when not NULL) counts the servers.
 */
int
model_svc_add_conf(const struct lb_conf_service *cs, const char *path, uint32_t *n_dests)
{
	struct lb_conf_dest sorry = { .addr = cs->sorry_server, .port = cs->port,
		.weight = 1, .line = cs->line };
	struct change ch;
	unsigned int j;
	int rc = model_prepare_svc_add(cs, &ch);

	if (rc < 0) {
		RTE_LOG(ERR, USER1, "%s:%d: service refused: %s\n", path, cs->line, strerror(-rc));
		return rc;
	}
	model_commit(&ch);
	for (j = 0; j < cs->n_dests; j++) {
		rc = model_prepare_dest_add(lb_model.n_svcs - 1, &cs->dests[j], false, &ch);
		if (rc < 0) {
			RTE_LOG(ERR, USER1, "%s:%d: real server refused: %s\n", path,
					cs->dests[j].line, strerror(-rc));
			return rc;
		}
		model_commit(&ch);
		if (n_dests != NULL)
			(*n_dests)++;
	}
	if (!lb_ip_is_zero(&cs->sorry_server)) {
		rc = model_prepare_dest_add(lb_model.n_svcs - 1, &sorry, true, &ch);
		if (rc < 0) {
			RTE_LOG(ERR, USER1, "%s:%d: sorry server refused: %s\n", path, cs->line,
					strerror(-rc));
			return rc;
		}
		model_commit(&ch);
	}
	if (model_quorum_eval(&lb_model.svcs[lb_model.n_svcs - 1]))
		model_log_quorum(&lb_model.svcs[lb_model.n_svcs - 1]);
	model_sync_removed(&lb_model.svcs[lb_model.n_svcs - 1]);
	return 0;
}

int
lb_model_init(const struct lb_conf *conf, const struct lb_port_info *ports, uint32_t n_ports)
{
	uint32_t i;
	int rc;

	lb_dests = rte_zmalloc("lb_dests", LB_MAX_DESTS * sizeof(*lb_dests),
			RTE_CACHE_LINE_SIZE);
	if (lb_dests == NULL)
		return -ENOMEM;
	/* 0 is "none" for a generation (a worker's "no state yet") and a
	 * checker token; both keep counting across a fini and a new init */
	if (lb_model.gen_next == 0)
		lb_model.gen_next = 1;
	if (lb_model.token_next == 0)
		lb_model.token_next = 1;
	lb_model.targets_dirty = true;
	memcpy(lb_model.ports, ports, n_ports * sizeof(*ports));
	lb_model.n_ports = n_ports;
	model_params_from_conf(&lb_model.params, conf);
	lb_model.params.vip_arp_kernel = conf->vip_arp_kernel;	/* restart only */

	/* The loader checked all of this; a refusal here is a bug worth a line. */
	for (i = 0; i < conf->n_services; i++) {
		rc = model_svc_add_conf(&conf->services[i], conf->path, NULL);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* What applies to every service, as conf has it (vip_arp "kernel" aside). */
void
model_params_from_conf(struct params *p, const struct lb_conf *conf)
{
	memcpy(p->timeout, conf->timeout, sizeof(p->timeout));
	p->secure_tcp = conf->secure_tcp;
	p->sloppy_tcp = conf->sloppy_tcp;
	p->expire_nodest_conn = conf->expire_nodest_conn;
	p->vip_arp = !conf->vip_arp_never;
	p->defense = conf->defense;
}

void
lb_model_set_workers(struct lb_worker *const *workers, uint16_t n_workers,
		struct rte_rcu_qsbr *qsbr)
{
	uint32_t i, j;

	lb_model.workers = workers;
	lb_model.n_workers = n_workers;
	lb_model.qsbr = qsbr;
	for (i = 0; i < lb_model.n_svcs; i++) {
		model_zero_svc(lb_model.svcs[i].id);
		for (j = 0; j < lb_model.svcs[i].n_dests; j++)
			model_zero_dest(lb_model.svcs[i].dests[j].id);
	}
}

/* ---- housekeeping ---- */

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

			if (d->u_threshold == 0) {
				if (d->overloaded) {
					d->overloaded = 0;
					__atomic_store_n(&svc->sched.dest[j].flags, 0,
							__ATOMIC_RELAXED);
				}
				continue;
			}
			for (w = 0; w < n_workers; w++) {
				const struct lb_dest_count *c = &workers[w]->dest_cnt[svc->dest_ids[j]];

				conns += c->active + c->inactive;
			}
			/* IPVS clears it below the lower threshold, else below 3/4 of
			 * the upper: conns * 4 < upper * 3, in 64 bits */
			if (!d->overloaded && conns >= d->u_threshold)
				d->overloaded = 1;
			else if (d->overloaded && (d->l_threshold ? conns < d->l_threshold :
						conns * 4 < (uint64_t)d->u_threshold * 3))
				d->overloaded = 0;
			__atomic_store_n(&svc->sched.dest[j].flags,
					d->overloaded ? LB_SDEST_F_OVERLOAD : 0, __ATOMIC_RELAXED);
		}
	}
}

/*
 * IPVS's rate estimator (ip_vs_est.c): every 2 seconds, the rate over the
 * interval, scaled, is folded into the average as avg += (rate - avg) / 4.
 */
static void
estimate(struct shown *sh, const struct lb_traffic_stats *t)
{
	int64_t r;

	r = (int64_t)((t->conns - sh->last.conns) << 9);	/* per 2 s, <<10 */
	sh->cps = (uint64_t)((int64_t)sh->cps + ((r - (int64_t)sh->cps) >> 2));
	r = (int64_t)((t->inpkts - sh->last.inpkts) << 9);
	sh->inpps = (uint64_t)((int64_t)sh->inpps + ((r - (int64_t)sh->inpps) >> 2));
	r = (int64_t)((t->inbytes - sh->last.inbytes) << 4);	/* <<5 */
	sh->inbps = (uint64_t)((int64_t)sh->inbps + ((r - (int64_t)sh->inbps) >> 2));
	sh->last = *t;
}

void
lb_model_estimate(uint32_t now)
{
	static uint32_t last;
	struct lb_traffic_stats t;
	uint32_t i, j;

	if (lb_model.workers == NULL || now - last < 2)
		return;
	last = now;
	for (i = 0; i < lb_model.n_svcs; i++) {
		model_sum_svc(lb_model.svcs[i].id, &t);
		estimate(&lb_model.svc_shown[lb_model.svcs[i].id], &t);
		for (j = 0; j < lb_model.svcs[i].n_dests; j++) {
			model_sum_dest(lb_model.svcs[i].dests[j].id, &t, NULL);
			estimate(&lb_model.dest_shown[lb_model.svcs[i].dests[j].id], &t);
		}
	}
}

/* A retired id is free again once no worker counts a connection to it. */
void
lb_model_gc(void)
{
	struct lb_traffic_stats t;
	struct lb_dest_count c;
	uint32_t i;

	if (lb_model.publish_pending && lb_model_publish() == 0)
		lb_model.publish_pending = false;
	reap();
	/* a snapshot a worker may still hold may name a retired id */
	if (n_retired > 0)
		return;

	for (i = 0; i < LB_MAX_DESTS; i++) {
		if (!lb_model.dest_retired[i])
			continue;
		model_sum_dest(i, &t, &c);
		if (c.active + c.inactive + c.persist == 0) {
			lb_model.dest_retired[i] = 0;
			lb_dests[i].in_use = 0;
		}
	}
}

void
lb_model_fini(void)
{
	uint32_t k;

	/* the workers are stopped: nothing holds a snapshot any more */
	for (k = 0; k < n_retired; k++)
		snap_free(retired[k].snap, k + 1 < n_retired ? retired[k + 1].snap : lb_snap_current);
	free(retired);
	retired = NULL;
	n_retired = cap_retired = 0;
	snap_free(lb_snap_current, NULL);
	lb_snap_current = NULL;
	while (lb_model.n_svcs > 0) {
		lb_model.n_svcs--;
		free(lb_model.svcs[lb_model.n_svcs].dests);
	}
	free(lb_model.svcs);
	lb_model.svcs = NULL;
	lb_model.cap_svcs = 0;
	memset(lb_model.svc_id_used, 0, sizeof(lb_model.svc_id_used));
	while (lb_model.n_checks > 0)
		free(lb_model.checks[--lb_model.n_checks]);
	free(lb_model.checks);
	lb_model.checks = NULL;
	lb_model.cap_checks = 0;
	lb_model.targets_dirty = true;
	lb_model.health_pending = false;
	memset(lb_model.dest_retired, 0, sizeof(lb_model.dest_retired));
	lb_model.workers = NULL;
	lb_model.n_workers = 0;
	lb_model.qsbr = NULL;
	rte_free(lb_dests);
	lb_dests = NULL;
}

