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
#include "control/model.h"
#include "dataplane/worker.h"

struct mdest {
	uint32_t id;		/* lb_dests id */
	uint32_t last_weight;	/* last non-zero weight: mh keeps the server's slots */
	struct lb_conf_dest cfg;	/* cfg.weight: the operator's; cfg.check unused */
	/* health (control/health.h): kept apart from the operator's weight */
	uint64_t token;		/* names it to the checker */
	uint32_t check;		/* index in checks[]; 0 = not checked */
	uint8_t down;
	uint8_t sorry;		/* the service's sorry server, not a real server */
	int32_t dyn_weight;	/* a dynamic misc check's weight, -1 = none */
};

struct msvc {
	uint32_t id;		/* stats and scheduler-state index */
	uint32_t gen;		/* moves with what its scheduler is built from */
	struct lb_conf_service cfg;	/* cfg.dests, cfg.check unused: see dests, check */
	uint32_t check;		/* what a server added with lbadm -a gets */
	uint8_t quorum_up;
	uint8_t sorry_active;	/* quorum lost: only the sorry server is scheduled */
	int64_t quorum_since;
	struct mdest *dests;
	uint32_t n_dests;
};

/* What applies to every service. */
struct params {
	uint32_t timeout[LB_S_COUNT];
	bool secure_tcp, sloppy_tcp, expire_nodest_conn;
	bool vip_arp;
	bool vip_arp_kernel;		/* vip_arp = "kernel" */
	uint16_t n_vip_owned;
	uint32_t vip_owned[LB_MAX_VIP_OWNED];	/* the VIPs the kernel holds */
	struct lb_defense defense;		/* drop_entry & co */
};

/* Counters as shown: workers' sums minus base; rates by IPVS's estimator. */
struct shown {
	struct lb_traffic_stats base;
	struct lb_traffic_stats last;	/* sums at the last estimate */
	uint64_t cps, inpps, inbps;	/* scaled as IPVS: <<10, <<10, <<5 */
};

static struct msvc *svcs;
static uint32_t n_svcs, cap_svcs;
static uint32_t gen_next = 1;	/* 0 is a worker's "no state yet" */
static uint8_t svc_id_used[LB_MAX_SERVICES];
static struct shown svc_shown[LB_MAX_SERVICES];
static struct shown dest_shown[LB_MAX_DESTS];
static uint8_t dest_retired[LB_MAX_DESTS];
static uint8_t retired_proto[LB_MAX_DESTS];	/* the service it was retired from */
static union lb_ip retired_vip[LB_MAX_DESTS];
static uint8_t retired_af[LB_MAX_DESTS];
static uint16_t retired_vport[LB_MAX_DESTS];

static struct params params;

/*
 * Every distinct check configuration, each allocated once and kept until
 * lb_model_fini(): the checker thread reads them without a lock, and they
 * are few (one per service, plus one per server that overrides it).
 */
static struct lb_check_conf **checks;
static uint32_t n_checks, cap_checks;
static uint64_t token_next = 1;
static bool targets_dirty = true;	/* the checker's list is out of date */
static bool health_pending;	/* a health change is yet to be published */
static bool publish_pending;	/* a reload's publication is yet to be done */
static uint32_t admin_changes;	/* made with lbadm since the file was last read */
static struct lb_port_info model_ports[LB_MAX_PORTS];
static uint32_t model_n_ports;
static struct lb_worker *const *model_workers;
static uint16_t model_n_workers;
static struct rte_rcu_qsbr *model_qsbr;

/* ---- counters ---- */

static void
sum_svc(uint32_t id, struct lb_traffic_stats *t)
{
	uint16_t w;

	memset(t, 0, sizeof(*t));
	for (w = 0; w < model_n_workers; w++) {
		const struct lb_traffic_stats *s = &model_workers[w]->svc_stats[id];

		t->conns += s->conns;
		t->inpkts += s->inpkts;
		t->inbytes += s->inbytes;
	}
}

static void
sum_dest(uint32_t id, struct lb_traffic_stats *t, struct lb_dest_count *c)
{
	uint16_t w;

	memset(t, 0, sizeof(*t));
	if (c != NULL)
		memset(c, 0, sizeof(*c));
	for (w = 0; w < model_n_workers; w++) {
		const struct lb_traffic_stats *s = &model_workers[w]->dest_stats[id];

		t->conns += s->conns;
		t->inpkts += s->inpkts;
		t->inbytes += s->inbytes;
		if (c != NULL) {
			c->active += model_workers[w]->dest_cnt[id].active;
			c->inactive += model_workers[w]->dest_cnt[id].inactive;
			c->persist += model_workers[w]->dest_cnt[id].persist;
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

static void
zero_svc(uint32_t id)
{
	struct lb_traffic_stats t;

	sum_svc(id, &t);
	reset_shown(&svc_shown[id], &t);
}

static void
zero_dest(uint32_t id)
{
	struct lb_traffic_stats t;

	sum_dest(id, &t, NULL);
	reset_shown(&dest_shown[id], &t);
}

/* ---- lookups ---- */

static struct msvc *
find_svc(uint8_t proto, uint8_t af, const union lb_ip *vip, uint16_t port)
{
	uint32_t i;

	for (i = 0; i < n_svcs; i++)
		if (svcs[i].cfg.proto == proto && svcs[i].cfg.af == af &&
				lb_ip_eq(&svcs[i].cfg.vip, vip) && svcs[i].cfg.port == port)
			return &svcs[i];
	return NULL;
}

static int
find_dest(const struct msvc *s, const union lb_ip *addr)
{
	uint32_t j;

	for (j = 0; j < s->n_dests; j++)
		if (lb_ip_eq(&s->dests[j].cfg.addr, addr) && !s->dests[j].sorry)
			return (int)j;
	return -1;
}

/* The port on whose subnet addr is (IPv6: the prefix of its address6). */
static int
port_for(uint8_t af, const union lb_ip *addr)
{
	uint32_t i;

	for (i = 0; i < model_n_ports; i++) {
		const struct lb_port_info *pi = &model_ports[i];

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

/* ---- health ---- */

/* The id of a copy of c in checks[] (0, "none", for NULL); -1 out of memory. */
static int64_t
check_intern(const struct lb_check_conf *c)
{
	struct lb_check_conf *copy;
	uint32_t i;

	if (checks == NULL) {
		checks = calloc(16, sizeof(*checks));
		if (checks == NULL)
			return -1;
		cap_checks = 16;
		checks[0] = calloc(1, sizeof(**checks));	/* type none */
		if (checks[0] == NULL)
			return -1;
		n_checks = 1;
	}
	if (c == NULL || c->type == LB_CHECK_NONE)
		return 0;
	for (i = 1; i < n_checks; i++)
		if (memcmp(checks[i], c, sizeof(*c)) == 0)
			return i;
	if (n_checks == cap_checks) {
		struct lb_check_conf **p = realloc(checks, 2 * cap_checks * sizeof(*p));

		if (p == NULL)
			return -1;
		checks = p;
		cap_checks *= 2;
	}
	copy = malloc(sizeof(*copy));
	if (copy == NULL)
		return -1;
	memcpy(copy, c, sizeof(*c));
	checks[n_checks] = copy;
	return n_checks++;
}

static const struct lb_check_conf *
check_of(const struct mdest *md)
{
	return checks != NULL ? checks[md->check] : NULL;
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
static bool
in_sched(const struct msvc *s, const struct mdest *md)
{
	if (md->sorry)
		return s->sorry_active;
	if (s->sorry_active)
		return md->down && inhibited(md);
	return !md->down || inhibited(md);
}

static uint32_t
eff_weight(const struct mdest *md)
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
			sum += eff_weight(&s->dests[j]);
	return sum > UINT32_MAX ? UINT32_MAX : (uint32_t)sum;
}

/*
 * keepalived's quorum (update_quorum_state): regained at quorum + hysteresis,
 * lost below quorum - hysteresis or when no healthy weight is left. Returns
 * whether it moved; the sorry server follows it.
 */
static bool
quorum_eval(struct msvc *s)
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

static void
log_quorum(const struct msvc *s)
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
static void
sync_removed(const struct msvc *s)
{
	uint32_t j;

	for (j = 0; j < s->n_dests; j++)
		__atomic_store_n(&lb_dests[s->dests[j].id].removed,
				in_sched(s, &s->dests[j]) ? 0 : 1, __ATOMIC_RELEASE);
}

/* ---- ids: found while a change is prepared, claimed when it commits ---- */

static int
svc_id_find(void)
{
	int i;

	for (i = 0; i < LB_MAX_SERVICES; i++)
		if (!svc_id_used[i])
			return i;
	return -1;
}

static void
dest_fill(struct lb_dest *d, const struct lb_conf_dest *cd, uint8_t af, uint32_t svc_id,
		int port)
{
	uint64_t mac = 0;

	d->addr = cd->addr;
	d->af = af;
	d->port = rte_cpu_to_be_16(cd->port);
	d->tx_port = (uint16_t)port;
	d->mtu = model_ports[port].mtu;
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

static bool
retired_match(uint32_t i, const struct msvc *s, const union lb_ip *addr)
{
	return lb_dests[i].in_use && dest_retired[i] && lb_ip_eq(&lb_dests[i].addr, addr) &&
		retired_proto[i] == s->cfg.proto && retired_af[i] == s->cfg.af &&
		lb_ip_eq(&retired_vip[i], &s->cfg.vip) &&
		retired_vport[i] == s->cfg.port;
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
		if (retired_match((uint32_t)i, s, &cd->addr))
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
	int port = port_for(s->cfg.af, &md->cfg.addr);

	if (retired_match(md->id, s, &md->cfg.addr)) {
		dest_retired[md->id] = 0;
		dest_fill(d, &md->cfg, s->cfg.af, s->id, port);
		__atomic_store_n(&d->removed, 0, __ATOMIC_RELEASE);
		return;
	}
	memset(d, 0, sizeof(*d));
	dest_fill(d, &md->cfg, s->cfg.af, s->id, port);
	d->in_use = 1;
	if (model_workers != NULL)
		zero_dest(md->id);
}

static void
dest_retire(const struct msvc *s, uint32_t id)
{
	dest_retired[id] = 1;
	retired_proto[id] = s->cfg.proto;
	retired_vip[id] = s->cfg.vip;
	retired_af[id] = s->cfg.af;
	retired_vport[id] = s->cfg.port;
	__atomic_store_n(&lb_dests[id].removed, 1, __ATOMIC_RELEASE);
}

/* ---- validation shared by the file and lbadm ---- */

static bool
contiguous_mask(uint32_t mask_be)
{
	uint32_t h = rte_be_to_cpu_32(mask_be);

	return (~h & (~h + 1)) == 0;
}

static int
check_svc(const struct lb_conf_service *c)
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

static int
check_dest(const struct msvc *s, const struct lb_conf_dest *d)
{
	if (d->port != s->cfg.port)
		return -EINVAL;	/* direct routing cannot change ports */
	if (d->weight > 65535 || lb_ip_is_zero(&d->addr))
		return -EINVAL;
	if (d->u_threshold > INT32_MAX || d->l_threshold > INT32_MAX)
		return -EINVAL;
	if (d->u_threshold != 0 && d->l_threshold > d->u_threshold)
		return -EINVAL;
	if (port_for(s->cfg.af, &d->addr) < 0)
		return -ENETUNREACH;	/* on no port's subnet */
	return 0;
}

/* ---- changes ---- */

enum op { OP_PARAMS, OP_ADD, OP_REPLACE, OP_DELETE, OP_CLEAR };

struct change {
	enum op op;
	uint32_t at;		/* OP_REPLACE, OP_DELETE: index in svcs */
	struct msvc svc;	/* OP_ADD, OP_REPLACE: the new version; owns svc.dests */
	int32_t claim;		/* position in svc.dests of a server whose id to claim, or -1 */
	int32_t retire;		/* id of a server deleted from it, or -1 */
	bool quorum_moved;	/* the service's quorum state changes with it */
	struct params params;
};

static void
change_init(struct change *ch, enum op op)
{
	memset(ch, 0, sizeof(*ch));
	ch->op = op;
	ch->claim = -1;
	ch->retire = -1;
	ch->params = params;
}

static void
change_discard(struct change *ch)
{
	free(ch->svc.dests);
	ch->svc.dests = NULL;
}

/* ch replaces service at with a copy of it that has room for extra more servers. */
static int
change_copy(struct change *ch, uint32_t at, uint32_t extra)
{
	const struct msvc *s = &svcs[at];

	change_init(ch, OP_REPLACE);
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
		return n_svcs + 1;
	case OP_DELETE:
		return n_svcs - 1;
	case OP_CLEAR:
		return 0;
	default:
		return n_svcs;
	}
}

static const struct msvc *
view_at(const struct change *ch, uint32_t i)
{
	if ((ch->op == OP_ADD && i == n_svcs) || (ch->op == OP_REPLACE && i == ch->at))
		return &ch->svc;
	if (ch->op == OP_DELETE && i >= ch->at)
		i++;
	return &svcs[i];
}

static void
del_svc_at(uint32_t i)
{
	struct msvc *s = &svcs[i];
	uint32_t j;

	for (j = 0; j < s->n_dests; j++)
		dest_retire(s, s->dests[j].id);
	free(s->dests);
	svc_id_used[s->id] = 0;
	memmove(&svcs[i], &svcs[i + 1], (n_svcs - i - 1) * sizeof(*svcs));
	n_svcs--;
}

/* Make the change the model's. Nothing here can fail. */
static void
commit(struct change *ch)
{
	struct msvc *s;
	uint32_t j;

	params = ch->params;
	switch (ch->op) {
	case OP_ADD:
		svc_id_used[ch->svc.id] = 1;
		if (model_workers != NULL)
			zero_svc(ch->svc.id);
		svcs[n_svcs++] = ch->svc;
		if (ch->quorum_moved)
			log_quorum(&svcs[n_svcs - 1]);
		break;
	case OP_REPLACE:
		s = &svcs[ch->at];
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
		sync_removed(s);
		if (ch->quorum_moved)
			log_quorum(s);
		break;
	case OP_DELETE:
		del_svc_at(ch->at);
		break;
	case OP_CLEAR:
		while (n_svcs > 0)
			del_svc_at(n_svcs - 1);
		break;
	case OP_PARAMS:
		break;
	}
	ch->svc.dests = NULL;	/* the model's now */
	targets_dirty = true;
}

static int
prepare_svc_add(const struct lb_conf_service *c, struct change *ch)
{
	int id, rc = check_svc(c);
	int64_t chk;

	if (rc < 0)
		return rc;
	if (find_svc(c->proto, c->af, &c->vip, c->port) != NULL)
		return -EEXIST;
	if (lb_limit_check(LB_LIMIT_SERVICES, (uint64_t)n_svcs + 1) < 0)
		return -ENOSPC;
	id = svc_id_find();
	if (id < 0)
		return -ENOSPC;
	if (n_svcs == cap_svcs) {
		uint32_t cap = cap_svcs ? cap_svcs * 2 : 16;
		struct msvc *p = realloc(svcs, cap * sizeof(*p));

		if (p == NULL)
			return -ENOMEM;
		svcs = p;
		cap_svcs = cap;
	}
	chk = check_intern(c->check);
	if (chk < 0)
		return -ENOMEM;
	change_init(ch, OP_ADD);
	ch->svc.id = (uint32_t)id;
	ch->svc.gen = gen_next++;
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

static int
prepare_dest_add(uint32_t at, const struct lb_conf_dest *cd, bool sorry, struct change *ch)
{
	const struct msvc *s = &svcs[at];
	struct mdest *md;
	int id, rc = check_dest(s, cd);
	int64_t chk = sorry ? 0 : cd->check != NULL ? check_intern(cd->check) : s->check;

	if (rc < 0)
		return rc;
	if (chk < 0)
		return -ENOMEM;
	if (find_dest(s, &cd->addr) >= 0)
		return -EEXIST;
	if (lb_limit_check(LB_LIMIT_DESTS_PER_SVC, (uint64_t)s->n_dests + 1) < 0)
		return -ENOSPC;
	id = dest_id_find(s, cd);
	if (id < 0)
		return -ENOSPC;	/* LB_LIMIT_DESTS: every id is live or retired */
	rc = change_copy(ch, at, 1);
	if (rc < 0)
		return rc;
	md = &ch->svc.dests[ch->svc.n_dests];
	memset(md, 0, sizeof(*md));
	md->id = (uint32_t)id;
	md->cfg = *cd;
	md->cfg.check = NULL;
	md->last_weight = cd->weight;
	md->token = token_next++;
	md->check = (uint32_t)chk;
	md->sorry = sorry;
	md->dyn_weight = -1;
	/* keepalived: a server starts up, or down until its first success with alpha */
	md->down = checks[chk]->type != LB_CHECK_NONE && checks[chk]->alpha;
	ch->claim = (int32_t)ch->svc.n_dests++;
	ch->svc.gen = gen_next++;
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

		if (!in_sched(ms, md))
			continue;
		sd->addr = lb_ip_fold(ms->cfg.af, &md->cfg.addr);
		sd->port = rte_cpu_to_be_16(md->cfg.port);
		sd->weight = eff_weight(md);
		sd->last_weight = md->last_weight;
		svc->dest_ids[svc->sched.n++] = md->id;
		/* an id the change has yet to claim holds a former server's state */
		if (d->in_use && !dest_retired[md->id] && d->overloaded)
			sd->flags |= LB_SDEST_F_OVERLOAD;
	}
	if (svc->sched.kind == LB_SCHED_MH)
		canonical_order(svc);
	return lb_sched_build(&svc->sched);
}

/* The snapshot of the model seen through ch; the current one's unchanged services are reused. */
static struct lb_snap *
snap_build(const struct change *ch)
{
	static int32_t cur_at[LB_MAX_SERVICES];
	const struct lb_snap *cur = lb_snap_current;
	struct lb_snap *s = calloc(1, sizeof(*s));
	uint32_t i, n = view_n(ch), n6 = 0, size = 16, size6 = 16;

	if (s == NULL)
		return NULL;
	s->n_ports = model_n_ports;
	memcpy(s->port, model_ports, model_n_ports * sizeof(*model_ports));
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

	while (k < n_retired && (model_qsbr == NULL ||
				rte_rcu_qsbr_check(model_qsbr, retired[k].token, false) == 1)) {
		snap_free(retired[k].snap,
				k + 1 < n_retired ? retired[k + 1].snap : lb_snap_current);
		k++;
	}
	if (k > 0)
		memmove(retired, retired + k, (n_retired - k) * sizeof(*retired));
	n_retired -= k;
}

/* Swap snap in; the old one is freed once no worker can hold it. */
static void
snap_publish(struct lb_snap *snap)
{
	struct lb_snap *old = __atomic_exchange_n(&lb_snap_current, snap, __ATOMIC_RELEASE);

	if (old == NULL)
		return;
	if (model_qsbr == NULL) {	/* no worker runs (tests) */
		snap_free(old, snap);
		return;
	}
	if (n_retired == cap_retired) {
		uint32_t cap = cap_retired ? cap_retired * 2 : 16;
		struct retired_snap *p = realloc(retired, cap * sizeof(*p));

		if (p == NULL) {
			/* no room to defer: wait, as the only safe choice left */
			rte_rcu_qsbr_synchronize(model_qsbr, RTE_QSBR_THRID_INVALID);
			reap();
			snap_free(old, snap);
			return;
		}
		retired = p;
		cap_retired = cap;
	}
	retired[n_retired].snap = old;
	retired[n_retired].token = rte_rcu_qsbr_start(model_qsbr);
	n_retired++;
	reap();
}

/* The transaction: build, then commit, then publish; or nothing at all. */
static int
apply(struct change *ch)
{
	struct lb_snap *snap;

	if (ch->op == OP_ADD || ch->op == OP_REPLACE)
		ch->quorum_moved = quorum_eval(&ch->svc);
	snap = snap_build(ch);

	if (snap == NULL) {
		change_discard(ch);
		return -ENOMEM;
	}
	commit(ch);
	snap_publish(snap);
	return 0;
}

int
lb_model_publish(void)
{
	struct change ch;

	change_init(&ch, OP_PARAMS);
	return apply(&ch);
}

/* ---- changes from lbadm ---- */

/* lbadm's changes are counted: a reload says it replaces them. */
static int
admin_apply(struct change *ch)
{
	int rc = apply(ch);

	if (rc == 0)
		admin_changes++;
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
	rc = prepare_svc_add(&c, &ch);
	return rc < 0 ? rc : admin_apply(&ch);
}

int
lb_model_svc_edit(const struct lb_api_svc *a)
{
	struct msvc *s = find_svc(a->key.proto, a->key.af, &a->key.vip, a->key.port);
	struct lb_conf_service c;
	struct change ch;
	int rc;

	if (s == NULL)
		return -ESRCH;
	svc_from_api(a, &c);
	rc = check_svc(&c);
	if (rc == 0)
		rc = change_copy(&ch, (uint32_t)(s - svcs), 0);
	if (rc < 0)
		return rc;
	ch.svc.cfg.sched = c.sched;
	ch.svc.cfg.sched_flags = c.sched_flags;
	ch.svc.cfg.persistence = c.persistence;
	ch.svc.cfg.netmask = c.netmask;
	ch.svc.gen = gen_next++;
	return admin_apply(&ch);
}

int
lb_model_svc_del(const struct lb_api_svc_key *k)
{
	struct msvc *s = find_svc(k->proto, k->af, &k->vip, k->port);
	struct change ch;

	if (s == NULL)
		return -ESRCH;
	change_init(&ch, OP_DELETE);
	ch.at = (uint32_t)(s - svcs);
	return admin_apply(&ch);
}

int
lb_model_clear(void)
{
	struct change ch;

	change_init(&ch, OP_CLEAR);
	return admin_apply(&ch);
}

int
lb_model_dest_add(const struct lb_api_svc_key *k, const struct lb_api_dest *a)
{
	struct msvc *s = find_svc(k->proto, k->af, &k->vip, k->port);
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
	rc = prepare_dest_add((uint32_t)(s - svcs), &c, false, &ch);
	return rc < 0 ? rc : admin_apply(&ch);
}

int
lb_model_dest_edit(const struct lb_api_svc_key *k, const struct lb_api_dest *a)
{
	struct msvc *s = find_svc(k->proto, k->af, &k->vip, k->port);
	struct lb_conf_dest c;
	struct mdest *md;
	struct change ch;
	int j, rc;

	if (s == NULL)
		return -ESRCH;
	j = find_dest(s, &a->addr);
	if (j < 0 || a->port != s->cfg.port)
		return -ENOENT;
	if (a->fwd != LB_API_FWD_ROUTE)
		return -EOPNOTSUPP;
	c = s->dests[j].cfg;
	c.weight = a->weight;
	c.u_threshold = a->u_threshold;
	c.l_threshold = a->l_threshold;
	rc = check_dest(s, &c);
	if (rc == 0)
		rc = change_copy(&ch, (uint32_t)(s - svcs), 0);
	if (rc < 0)
		return rc;
	md = &ch.svc.dests[j];
	/* thresholds are read by the control plane only: the scheduler stays */
	if (md->cfg.weight != c.weight)
		ch.svc.gen = gen_next++;
	md->cfg = c;
	if (c.weight > 0)
		md->last_weight = c.weight;
	return admin_apply(&ch);
}

int
lb_model_dest_del(const struct lb_api_svc_key *k, const struct lb_api_dest *a)
{
	struct msvc *s = find_svc(k->proto, k->af, &k->vip, k->port);
	struct change ch;
	int j, rc;

	if (s == NULL)
		return -ESRCH;
	j = find_dest(s, &a->addr);
	if (j < 0 || a->port != s->cfg.port)
		return -ENOENT;
	rc = change_copy(&ch, (uint32_t)(s - svcs), 0);
	if (rc < 0)
		return rc;
	ch.retire = (int32_t)s->dests[j].id;
	memmove(&ch.svc.dests[j], &ch.svc.dests[j + 1],
			(ch.svc.n_dests - (uint32_t)j - 1) * sizeof(*ch.svc.dests));
	ch.svc.n_dests--;
	ch.svc.gen = gen_next++;
	return admin_apply(&ch);
}

int
lb_model_zero(const struct lb_api_svc_key *k)
{
	uint32_t i, j;
	bool any = false;

	for (i = 0; i < n_svcs; i++) {
		struct msvc *s = &svcs[i];

		if (k != NULL && (s->cfg.proto != k->proto || s->cfg.af != k->af ||
					!lb_ip_eq(&s->cfg.vip, &k->vip) || s->cfg.port != k->port))
			continue;
		any = true;
		zero_svc(s->id);
		for (j = 0; j < s->n_dests; j++)
			zero_dest(s->dests[j].id);
	}
	return k == NULL || any ? 0 : -ESRCH;
}

void
lb_model_timeouts(struct lb_api_timeouts *t)
{
	t->tcp = params.timeout[LB_S_ESTABLISHED];
	t->tcpfin = params.timeout[LB_S_FIN_WAIT];
	t->udp = params.timeout[LB_S_UDP];
}

int
lb_model_set_timeouts(const struct lb_api_timeouts *t)
{
	struct change ch;

	if (t->tcp > LB_MAX_TIMEOUT || t->tcpfin > LB_MAX_TIMEOUT || t->udp > LB_MAX_TIMEOUT)
		return -EINVAL;
	change_init(&ch, OP_PARAMS);
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
	for (w = 0; w < model_n_workers; w++)
		if (model_workers[w]->def_active & bit)
			return 2;
	return 1;
}

void
lb_model_sysctl(struct lb_api_sysctl *out)
{
	const struct lb_defense *d = &params.defense;

	memset(out, 0, sizeof(*out));
	out->secure_tcp = params.secure_tcp;
	out->sloppy_tcp = params.sloppy_tcp;
	out->expire_nodest_conn = params.expire_nodest_conn;
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
	change_init(&ch, OP_PARAMS);
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
	change_init(&ch, OP_PARAMS);
	ch.params.vip_arp_kernel = kernel_mode;
	ch.params.n_vip_owned = (uint16_t)n;
	memset(ch.params.vip_owned, 0, sizeof(ch.params.vip_owned));
	for (i = 0; i < n; i++)
		ch.params.vip_owned[i] = vips[i];
	return apply(&ch);
}

int
lb_model_set_port_link(uint32_t i, bool up)
{
	struct change ch;
	uint8_t was;
	int rc;

	if (i >= model_n_ports)
		return -EINVAL;
	was = model_ports[i].link_down;
	model_ports[i].link_down = !up;
	change_init(&ch, OP_PARAMS);
	rc = apply(&ch);
	if (rc != 0)
		model_ports[i].link_down = was;
	return rc;
}

/* ---- listing ---- */

uint32_t
lb_model_n_svcs(void)
{
	return n_svcs;
}

/* The j-th server the scheduler holds (what ipvsadm would list), or NULL. */
static const struct mdest *
listed(const struct msvc *s, uint32_t j)
{
	uint32_t k;

	for (k = 0; k < s->n_dests; k++)
		if (in_sched(s, &s->dests[k]) && j-- == 0)
			return &s->dests[k];
	return NULL;
}

static uint32_t
n_listed(const struct msvc *s)
{
	uint32_t k, n = 0;

	for (k = 0; k < s->n_dests; k++)
		n += in_sched(s, &s->dests[k]);
	return n;
}

uint32_t
lb_model_svc_n_dests(uint32_t i)
{
	return i < n_svcs ? n_listed(&svcs[i]) : 0;
}

uint32_t
lb_model_n_dests_total(void)
{
	uint32_t i, n = 0;

	for (i = 0; i < n_svcs; i++)
		n += svcs[i].n_dests;
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
	const struct msvc *s = &svcs[i];
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
	sum_svc(s->id, &t);
	fill_stats(&o->stats, &t, &svc_shown[s->id]);
}

void
lb_model_dest_record(uint32_t i, uint32_t j, struct lb_api_dest *o)
{
	const struct mdest *md = listed(&svcs[i], j);
	struct lb_traffic_stats t;
	struct lb_dest_count c;

	memset(o, 0, sizeof(*o));
	if (md == NULL)
		return;
	o->addr = md->cfg.addr;
	o->af = svcs[i].cfg.af;
	o->port = md->cfg.port;
	o->fwd = LB_API_FWD_ROUTE;
	o->weight = eff_weight(md);
	o->u_threshold = md->cfg.u_threshold;
	o->l_threshold = md->cfg.l_threshold;
	sum_dest(md->id, &t, &c);
	o->active = c.active;
	o->inactive = c.inactive;
	o->persist = c.persist;
	fill_stats(&o->stats, &t, &dest_shown[md->id]);
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
static int
svc_add_conf(const struct lb_conf_service *cs, const char *path, uint32_t *n_dests)
{
	struct lb_conf_dest sorry = { .addr = cs->sorry_server, .port = cs->port,
		.weight = 1, .line = cs->line };
	struct change ch;
	unsigned int j;
	int rc = prepare_svc_add(cs, &ch);

	if (rc < 0) {
		RTE_LOG(ERR, USER1, "%s:%d: service refused: %s\n", path, cs->line, strerror(-rc));
		return rc;
	}
	commit(&ch);
	for (j = 0; j < cs->n_dests; j++) {
		rc = prepare_dest_add(n_svcs - 1, &cs->dests[j], false, &ch);
		if (rc < 0) {
			RTE_LOG(ERR, USER1, "%s:%d: real server refused: %s\n", path,
					cs->dests[j].line, strerror(-rc));
			return rc;
		}
		commit(&ch);
		if (n_dests != NULL)
			(*n_dests)++;
	}
	if (!lb_ip_is_zero(&cs->sorry_server)) {
		rc = prepare_dest_add(n_svcs - 1, &sorry, true, &ch);
		if (rc < 0) {
			RTE_LOG(ERR, USER1, "%s:%d: sorry server refused: %s\n", path, cs->line,
					strerror(-rc));
			return rc;
		}
		commit(&ch);
	}
	if (quorum_eval(&svcs[n_svcs - 1]))
		log_quorum(&svcs[n_svcs - 1]);
	sync_removed(&svcs[n_svcs - 1]);
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
	memcpy(model_ports, ports, n_ports * sizeof(*ports));
	model_n_ports = n_ports;
	memcpy(params.timeout, conf->timeout, sizeof(params.timeout));
	params.secure_tcp = conf->secure_tcp;
	params.sloppy_tcp = conf->sloppy_tcp;
	params.expire_nodest_conn = conf->expire_nodest_conn;
	params.vip_arp = !conf->vip_arp_never;
	params.vip_arp_kernel = conf->vip_arp_kernel;
	params.defense = conf->defense;

	/* The loader checked all of this; a refusal here is a bug worth a line. */
	for (i = 0; i < conf->n_services; i++) {
		rc = svc_add_conf(&conf->services[i], conf->path, NULL);
		if (rc < 0)
			return rc;
	}
	return 0;
}

void
lb_model_set_workers(struct lb_worker *const *workers, uint16_t n_workers,
		struct rte_rcu_qsbr *qsbr)
{
	uint32_t i, j;

	model_workers = workers;
	model_n_workers = n_workers;
	model_qsbr = qsbr;
	for (i = 0; i < n_svcs; i++) {
		zero_svc(svcs[i].id);
		for (j = 0; j < svcs[i].n_dests; j++)
			zero_dest(svcs[i].dests[j].id);
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

	if (model_workers == NULL || now - last < 2)
		return;
	last = now;
	for (i = 0; i < n_svcs; i++) {
		sum_svc(svcs[i].id, &t);
		estimate(&svc_shown[svcs[i].id], &t);
		for (j = 0; j < svcs[i].n_dests; j++) {
			sum_dest(svcs[i].dests[j].id, &t, NULL);
			estimate(&dest_shown[svcs[i].dests[j].id], &t);
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

	if (publish_pending && lb_model_publish() == 0)
		publish_pending = false;
	reap();
	/* a snapshot a worker may still hold may name a retired id */
	if (n_retired > 0)
		return;

	for (i = 0; i < LB_MAX_DESTS; i++) {
		if (!dest_retired[i])
			continue;
		sum_dest(i, &t, &c);
		if (c.active + c.inactive + c.persist == 0) {
			dest_retired[i] = 0;
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
	while (n_svcs > 0) {
		n_svcs--;
		free(svcs[n_svcs].dests);
	}
	free(svcs);
	svcs = NULL;
	cap_svcs = 0;
	memset(svc_id_used, 0, sizeof(svc_id_used));
	while (n_checks > 0)
		free(checks[--n_checks]);
	free(checks);
	checks = NULL;
	cap_checks = 0;
	targets_dirty = true;
	health_pending = false;
	memset(dest_retired, 0, sizeof(dest_retired));
	model_workers = NULL;
	model_n_workers = 0;
	model_qsbr = NULL;
	rte_free(lb_dests);
	lb_dests = NULL;
}

/* ---- health checks (control/health.h drives these) ---- */

bool
lb_model_health_dirty(void)
{
	return targets_dirty;
}

uint32_t
lb_model_health_targets(struct lb_health_target *out, uint32_t max)
{
	uint32_t i, j, n = 0;

	targets_dirty = false;
	for (i = 0; i < n_svcs; i++)
		for (j = 0; j < svcs[i].n_dests; j++) {
			const struct mdest *md = &svcs[i].dests[j];

			if (md->check == 0 || md->sorry)
				continue;
			if (n == max)
				return n;
			out[n++] = (struct lb_health_target){
				.token = md->token, .proto = svcs[i].cfg.proto,
				.af = svcs[i].cfg.af,
				.vport = svcs[i].cfg.port, .vip = svcs[i].cfg.vip,
				.addr = md->cfg.addr, .port = md->cfg.port,
				.check = checks[md->check],
			};
		}
	return n;
}

int
lb_model_health_set(uint64_t token, bool up, int32_t weight)
{
	uint32_t i, j;

	for (i = 0; i < n_svcs; i++)
		for (j = 0; j < svcs[i].n_dests; j++) {
			struct msvc *s = &svcs[i];
			struct mdest *md = &s->dests[j];

			if (md->token != token)
				continue;
			if (md->down == !up && md->dyn_weight == weight)
				return 0;
			md->down = !up;
			md->dyn_weight = weight;
			if (weight > 0)
				md->last_weight = (uint32_t)weight;
			s->gen = gen_next++;
			if (quorum_eval(s))
				log_quorum(s);
			health_pending = true;
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

	if (!health_pending)
		return 0;
	change_init(&ch, OP_PARAMS);
	snap = snap_build(&ch);
	if (snap == NULL)
		return -ENOMEM;
	health_pending = false;
	/* servers back in the scheduler accept packets before it schedules them */
	for (i = 0; i < n_svcs; i++)
		sync_removed(&svcs[i]);
	snap_publish(snap);
	return 0;
}

void
lb_model_health_svc(uint32_t i, struct lb_api_health_svc *o)
{
	const struct msvc *s = &svcs[i];

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
	const struct msvc *s = &svcs[i];
	const struct mdest *md = &s->dests[j];

	memset(o, 0, sizeof(*o));
	o->addr = md->cfg.addr;
	o->port = md->cfg.port;
	o->check = check_of(md) != NULL ? check_of(md)->type : LB_CHECK_NONE;
	o->state = md->down ? LB_API_HEALTH_DOWN : LB_API_HEALTH_UP;
	o->inhibit = inhibited(md);
	o->sorry = md->sorry;
	o->in_sched = in_sched(s, md);
	o->weight = md->cfg.weight;
	o->eff_weight = o->in_sched ? eff_weight(md) : 0;
	return md->check != 0 ? md->token : 0;
}

bool
lb_model_quorum(uint8_t proto, uint32_t vip, uint16_t port)
{
	union lb_ip a = lb_ip_from_v4(vip);
	const struct msvc *s = find_svc(proto, AF_INET, &a, port);

	return s != NULL && s->quorum_up;
}

uint32_t
lb_model_svc_vip(uint32_t i)
{
	return i < n_svcs && svcs[i].cfg.af == AF_INET ? svcs[i].cfg.vip.v4 : 0;
}

bool
lb_model_svc_quorum(uint32_t i)
{
	return i < n_svcs && svcs[i].quorum_up;
}

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
		const struct msvc *s = find_svc(cs->proto, cs->af, &cs->vip, cs->port);
		struct msvc probe = { .cfg = *cs };

		for (j = 0; j <= cs->n_dests; j++) {
			const union lb_ip *addr = j < cs->n_dests ? &cs->dests[j].addr :
				&cs->sorry_server;
			int32_t at = s != NULL ? find_dest(s, addr) : -1;

			if (lb_ip_is_zero(addr) || (at >= 0 && (bool)s->dests[at].sorry == (j == cs->n_dests)))
				continue;	/* none, or kept */
			for (k = 0; k < LB_MAX_DESTS; k++)
				if (!taken[k] && retired_match(k, &probe, addr))
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
		ch->quorum_moved = quorum_eval(&ch->svc);
	commit(ch);
}

/* Delete server j of service at (IPVS's rules for its connections: retired). */
static int
reload_del_dest(uint32_t at, uint32_t j)
{
	struct change ch;
	int rc = change_copy(&ch, at, 0);

	if (rc < 0)
		return rc;
	ch.retire = (int32_t)ch.svc.dests[j].id;
	memmove(&ch.svc.dests[j], &ch.svc.dests[j + 1],
			(ch.svc.n_dests - j - 1) * sizeof(*ch.svc.dests));
	ch.svc.n_dests--;
	ch.svc.gen = gen_next++;
	batch_commit(&ch);
	return 0;
}

/* Service at becomes cs: its own keys, then its servers one by one. */
static int
reload_update_svc(uint32_t at, const struct lb_conf_service *cs,
		struct lb_model_reload_stats *st)
{
	struct msvc *s = &svcs[at];
	struct lb_conf_dest sorry_cd = { .addr = cs->sorry_server, .port = cs->port,
		.weight = 1 };
	int64_t chk = check_intern(cs->check);
	bool edited = false;
	struct change ch;
	uint32_t j;
	int rc;

	if (chk < 0)
		return -ENOMEM;
	if (!svc_cfg_same(&s->cfg, cs) || s->check != (uint32_t)chk) {
		rc = change_copy(&ch, at, 0);
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
		ch.svc.gen = gen_next++;
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
		s = &svcs[at];
		if (!sorry)
			st->dest_removed++;
		edited |= sorry;
	}
	s->cfg.sorry_server = cs->sorry_server;
	for (j = 0; j < cs->n_dests; j++) {
		const struct lb_conf_dest *cd = &cs->dests[j];
		int32_t k = find_dest(s, &cd->addr);
		int64_t dchk = cd->check != NULL ? check_intern(cd->check) : (int64_t)chk;
		struct mdest *md;

		if (dchk < 0)
			return -ENOMEM;
		if (k < 0) {
			rc = prepare_dest_add(at, cd, false, &ch);
			if (rc < 0)
				return rc;
			batch_commit(&ch);
			s = &svcs[at];
			st->dest_added++;
			continue;
		}
		if (dest_cfg_same(&s->dests[k].cfg, cd) && s->dests[k].check == (uint32_t)dchk)
			continue;
		rc = change_copy(&ch, at, 0);
		if (rc < 0)
			return rc;
		md = &ch.svc.dests[k];
		if (md->check != (uint32_t)dchk) {
			/* another check: a new checker, started as keepalived starts a
			 * new server's (down until a success under alpha) */
			md->check = (uint32_t)dchk;
			md->token = token_next++;
			md->dyn_weight = -1;
			md->down = checks[dchk]->type != LB_CHECK_NONE && checks[dchk]->alpha;
		}
		if (md->cfg.weight != cd->weight)
			ch.svc.gen = gen_next++;
		md->cfg.weight = cd->weight;
		md->cfg.u_threshold = cd->u_threshold;
		md->cfg.l_threshold = cd->l_threshold;
		md->cfg.has_mac = cd->has_mac;
		memcpy(md->cfg.mac, cd->mac, sizeof(md->cfg.mac));
		if (cd->weight > 0)
			md->last_weight = cd->weight;
		if (cd->has_mac)
			dest_fill(&lb_dests[md->id], &md->cfg, s->cfg.af, ch.svc.id,
					port_for(s->cfg.af, &md->cfg.addr));
		else
			lb_dests[md->id].mac_static = 0;	/* ARP takes over from now */
		batch_commit(&ch);
		s = &svcs[at];
		st->dest_changed++;
	}
	if (!lb_ip_is_zero(&cs->sorry_server) && find_dest(s, &cs->sorry_server) < 0) {
		rc = prepare_dest_add(at, &sorry_cd, true, &ch);
		if (rc < 0)
			return rc;
		batch_commit(&ch);
		s = &svcs[at];
		edited = true;
	}
	if (quorum_eval(s))
		log_quorum(s);
	sync_removed(s);
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
	st->admin_changes = admin_changes;
	/* deletions first: their service ids are free for the additions */
	for (i = n_svcs; i-- > 0;)
		if (conf_svc_find(conf, &svcs[i]) == NULL) {
			del_svc_at(i);
			st->svc_removed++;
		}
	for (k = 0; rc == 0 && k < conf->n_services; k++) {
		const struct lb_conf_service *cs = &conf->services[k];
		struct msvc *s = find_svc(cs->proto, cs->af, &cs->vip, cs->port);

		if (s != NULL)
			rc = reload_update_svc((uint32_t)(s - svcs), cs, st);
		else {
			rc = svc_add_conf(cs, conf->path, &st->dest_added);
			st->svc_added += rc == 0;
		}
	}
	targets_dirty = true;

	/* what applies to every service rides the one publication */
	change_init(&ch, OP_PARAMS);
	memcpy(ch.params.timeout, conf->timeout, sizeof(ch.params.timeout));
	ch.params.secure_tcp = conf->secure_tcp;
	ch.params.sloppy_tcp = conf->sloppy_tcp;
	ch.params.expire_nodest_conn = conf->expire_nodest_conn;
	ch.params.vip_arp = !conf->vip_arp_never;
	ch.params.defense = conf->defense;
	st->params_changed = memcmp(&ch.params.defense, &params.defense,
			sizeof(params.defense)) != 0 ||
		memcmp(ch.params.timeout, params.timeout, sizeof(params.timeout)) != 0 ||
		ch.params.secure_tcp != params.secure_tcp ||
		ch.params.sloppy_tcp != params.sloppy_tcp ||
		ch.params.expire_nodest_conn != params.expire_nodest_conn ||
		ch.params.vip_arp != params.vip_arp;
	if (apply(&ch) < 0) {
		publish_pending = true;	/* lb_model_gc() retries */
		return -ENOMEM;
	}
	admin_changes = 0;
	return rc;
}
