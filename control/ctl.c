/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control server (see ctl.h). Requests are dispatched through one table
 * of handlers, each with the body size it accepts and whether it changes
 * the configuration; a change is applied to the model and published to the
 * workers (RCU) before the reply is sent, so when lbadm returns the
 * dataplane already runs the new configuration.
 *
 * The main loop also runs neighbour resolution and the overload flags, so no
 * client may hold it for long: each loop iteration serves at most one request
 * per client (clients take turns), a request is only taken while that
 * client's unsent replies are below LB_CTL_OUT_MAX, and the one long request,
 * a page of connections, stops scanning after CONN_PAGE_US. A client that
 * pipelines a thousand listings gets them one page per turn, and another
 * client's -Ln waits at most one page behind it.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_log.h>
#include <rte_malloc.h>
#include <rte_mempool.h>

#include "control/ctl.h"
#include "control/announce.h"
#include "control/sync.h"
#include "control/clock.h"
#include "control/health.h"
#include "control/host.h"
#include "control/lb_api.h"
#include "control/model.h"
#include "dataplane/worker.h"

/* Unsent reply bytes above which a client's next request waits its turn. */
#define LB_CTL_OUT_MAX		LB_API_MAX_RESP

struct client {
	int fd;
	bool admin;
	uint8_t in[sizeof(struct lb_api_req) + LB_API_MAX_REQ];
	size_t in_len;
	uint8_t *out;
	size_t out_len, out_off, out_cap;
	uint64_t last_ms;
	bool closing;		/* close once out is flushed */
};

static int listen_fd = -1;
static char sock_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
static struct client clients[LB_CTL_MAX_CLIENTS];
static struct lb_worker *const *ctl_workers;
static uint16_t ctl_n_workers;
static gid_t admin_gid;
static bool admin_gid_set;
static uint64_t loop_max_ns;

/* ---- output ---- */

static void *
out_reserve(struct client *c, size_t len)
{
	void *p;

	if (c->out_len + len > c->out_cap) {
		size_t cap = c->out_cap ? c->out_cap : 4096;
		uint8_t *n;

		while (cap < c->out_len + len)
			cap *= 2;
		n = realloc(c->out, cap);
		if (n == NULL)
			return NULL;
		c->out = n;
		c->out_cap = cap;
	}
	p = c->out + c->out_len;
	c->out_len += len;
	return p;
}

static int
out_put(struct client *c, const void *data, size_t len)
{
	void *p = out_reserve(c, len);

	if (p == NULL)
		return -ENOMEM;
	memcpy(p, data, len);
	return 0;
}

/* ---- handlers: 0 or -errno; a body is appended with out_put ---- */

static int
h_info(struct client *c, const void *body, uint32_t len)
{
	struct lb_api_info info;
	uint16_t w;

	memset(&info, 0, sizeof(info));
	info.version_code = LB_API_IPVS_VERSION;
	snprintf(info.version, sizeof(info.version), "%s", LB_VERSION);
	info.n_workers = ctl_n_workers;
	info.n_services = lb_model_n_svcs();
	for (w = 0; w < ctl_n_workers; w++) {
		info.conn_tab_size += lb_conn_capacity(ctl_workers[w]->ct);
		info.conns += lb_conn_count(ctl_workers[w]->ct);
	}
	return out_put(c, &info, sizeof(info));
}

static bool
key_match(const struct lb_api_svc_key *k, const struct lb_api_svc *s)
{
	return k->proto == 0 || lb_api_svc_key_eq(k, &s->key);
}

static int
h_svc_list(struct client *c, const void *body, uint32_t len)
{
	const struct lb_api_svc_key *k = body;
	struct lb_api_svc s;
	struct lb_api_dest d;
	uint32_t i, j, found = 0;
	int rc;

	for (i = 0; i < lb_model_n_svcs(); i++) {
		lb_model_svc_record(i, &s);
		if (!key_match(k, &s))
			continue;
		found++;
		rc = out_put(c, &s, sizeof(s));
		for (j = 0; rc == 0 && j < s.n_dests; j++) {
			lb_model_dest_record(i, j, &d);
			rc = out_put(c, &d, sizeof(d));
		}
		if (rc < 0)
			return rc;
	}
	return k->proto != 0 && found == 0 ? -ESRCH : 0;
}

/* Every change is published by the model before it is acknowledged. */
static int
h_svc_add(struct client *c, const void *body, uint32_t len)
{
	return lb_model_svc_add(body);
}

static int
h_svc_edit(struct client *c, const void *body, uint32_t len)
{
	return lb_model_svc_edit(body);
}

static int
h_svc_del(struct client *c, const void *body, uint32_t len)
{
	return lb_model_svc_del(body);
}

static int
h_dest_add(struct client *c, const void *body, uint32_t len)
{
	const struct lb_api_dest_req *r = body;

	return lb_model_dest_add(&r->svc, &r->dest);
}

static int
h_dest_edit(struct client *c, const void *body, uint32_t len)
{
	const struct lb_api_dest_req *r = body;

	return lb_model_dest_edit(&r->svc, &r->dest);
}

static int
h_dest_del(struct client *c, const void *body, uint32_t len)
{
	const struct lb_api_dest_req *r = body;

	return lb_model_dest_del(&r->svc, &r->dest);
}

static int
h_clear(struct client *c, const void *body, uint32_t len)
{
	return lb_model_clear();
}

static int
h_zero(struct client *c, const void *body, uint32_t len)
{
	const struct lb_api_svc_key *k = body;
	uint16_t w;

	/* -Z of everything restarts the longest-pause figures too */
	if (k->proto == 0) {
		for (w = 0; w < ctl_n_workers; w++)
			ctl_workers[w]->loop_reset++;
		loop_max_ns = 0;
		lb_health_zero();
	}
	return lb_model_zero(k->proto == 0 ? NULL : k);
}

static int
h_timeout_get(struct client *c, const void *body, uint32_t len)
{
	struct lb_api_timeouts t;

	lb_model_timeouts(&t);
	return out_put(c, &t, sizeof(t));
}

static int
h_sysctl_get(struct client *c, const void *body, uint32_t len)
{
	struct lb_api_sysctl s;

	lb_model_sysctl(&s);
	return out_put(c, &s, sizeof(s));
}

static int
h_sysctl_set(struct client *c, const void *body, uint32_t len)
{
	struct lb_api_sysctl s;

	memcpy(&s, body, sizeof(s));
	return lb_model_set_sysctl(&s);
}

static int
h_timeout_set(struct client *c, const void *body, uint32_t len)
{
	return lb_model_set_timeouts(body);
}

/*
 * A page of connections, read in place from the workers' tables (seqlock
 * per entry: the workers never wait). A page ends when it is full, after
 * CONN_SCAN_PER_PAGE slots or after CONN_PAGE_US, whichever comes first, so
 * a huge, sparse table costs several short pages (some of them empty: only
 * `done` says the listing is over), never a long pause of the main loop.
 */
#define CONN_SCAN_PER_PAGE	(1u << 18)
#define CONN_PAGE_US		2000u
#define CONN_CLOCK_EVERY	1024u	/* slots between two looks at the clock */

static void
conn_record(const struct lb_worker *wk, const struct lb_conn *e, const union lb_ip *a6,
		uint32_t now, struct lb_api_conn *a)
{
	const struct lb_dest *d = &lb_dests[e->dest];

	memset(a, 0, sizeof(*a));
	a->proto = e->key.proto;
	a->state = e->state;
	if (lb_conn_key_is_v6(&e->key)) {
		a->af = AF_INET6;
		a->caddr = a6[0];
		a->vaddr = a6[1];
	} else {
		a->af = AF_INET;
		a->caddr = lb_ip_from_v4(e->key.caddr);
		a->vaddr = lb_ip_from_v4(e->key.vaddr);
	}
	a->cport = rte_be_to_cpu_16(e->key.cport);
	a->vport = rte_be_to_cpu_16(e->key.vport);
	a->daddr = d->addr;
	/* DR keeps the port: a port-zero service's server gets the client's */
	a->dport = rte_be_to_cpu_16(d->port != 0 ? d->port : e->key.vport);
	a->lcore = (uint16_t)wk->lcore_id;
	a->expire = (int32_t)(e->expire - now) > 0 ? e->expire - now : 0;
	if (e->flags & LB_CONN_F_TEMPLATE)
		a->flags |= LB_API_CONN_F_TEMPLATE;
	if (e->flags & LB_CONN_F_ASSURED)
		a->flags |= LB_API_CONN_F_ASSURED;
	if (e->flags & LB_CONN_F_SYNC)
		a->flags |= LB_API_CONN_F_SYNC;
}

static int
h_conn_list(struct client *c, const void *body, uint32_t len)
{
	const struct lb_api_conn_cursor *cur = body;
	uint32_t max = LB_API_MAX_RESP / sizeof(struct lb_api_conn) - 1;
	uint32_t w = cur->worker, idx = cur->index, scanned = 0, n = 0, now = lb_clock_now();
	uint64_t deadline = rte_rdtsc() + rte_get_tsc_hz() / 1000000 * CONN_PAGE_US;
	struct lb_api_conn_page page;
	size_t page_off;

	if (cur->max != 0 && cur->max < max)
		max = cur->max;
	if (out_reserve(c, sizeof(page)) == NULL)
		return -ENOMEM;
	page_off = c->out_len - sizeof(page);
	for (; w < ctl_n_workers; w++, idx = 0) {
		const struct lb_worker *wk = ctl_workers[w];
		uint32_t cap = lb_conn_capacity(wk->ct);

		for (; idx < cap; idx++) {
			struct lb_conn e;
			struct lb_api_conn a;
			union lb_ip a6[2];

			if (n == max || scanned == CONN_SCAN_PER_PAGE ||
					(scanned % CONN_CLOCK_EVERY == CONN_CLOCK_EVERY - 1 &&
					 rte_rdtsc() > deadline))
				goto out;
			scanned++;
			if (!lb_conn_read6(wk->ct, idx, &e, a6) || e.dest == LB_CONN_NONE)
				continue;
			conn_record(wk, &e, a6, now, &a);
			if (out_put(c, &a, sizeof(a)) < 0)
				return -ENOMEM;
			n++;
		}
	}
out:
	memset(&page, 0, sizeof(page));
	page.next.worker = w;
	page.next.index = idx;
	page.n = n;
	page.done = w >= ctl_n_workers;
	memcpy(c->out + page_off, &page, sizeof(page));
	return 0;
}

struct pools {
	struct lb_api_pool p[LB_API_MAX_POOLS];
	uint32_t n;
};

static void
pool_one(struct rte_mempool *mp, void *arg)
{
	struct pools *ps = arg;
	struct lb_api_pool *p;

	if (ps->n == LB_API_MAX_POOLS)
		return;
	p = &ps->p[ps->n++];
	memset(p, 0, sizeof(*p));
	snprintf(p->name, sizeof(p->name), "%s", mp->name);
	p->size = mp->size;
	p->in_use = rte_mempool_in_use_count(mp);
}

static int
h_counters(struct client *c, const void *body, uint32_t len)
{
	struct pools pools = { .n = 0 };
	struct lb_api_counters hdr = { .n_cores = ctl_n_workers, .n_drops = LB_DROP_COUNT,
		.ctl_loop_max_ns = loop_max_ns, .n_hosts = lb_host_count() };
	uint32_t h;
	uint16_t w;
	int r, rc;

	RTE_BUILD_BUG_ON(LB_DROP_COUNT > LB_API_MAX_DROPS);
	RTE_BUILD_BUG_ON(LB_S_COUNT != LB_API_N_STATES);
	rte_mempool_walk(pool_one, &pools);
	hdr.n_pools = pools.n;
	for (w = 0; w < ctl_n_workers; w++)
		for (h = 0; h < LB_MAX_SERVICES; h++) {
			const struct lb_traffic_stats *t = &ctl_workers[w]->svc_stats[h];

			hdr.total_conns += t->conns;
			hdr.total_inpkts += t->inpkts;
			hdr.total_inbytes += t->inbytes;
		}
	rc = out_put(c, &hdr, sizeof(hdr));
	for (w = 0; rc == 0 && w < ctl_n_workers; w++) {
		const struct lb_worker *wk = ctl_workers[w];
		struct lb_api_core core;

		memset(&core, 0, sizeof(core));
		core.lcore = wk->lcore_id;
		core.rx = wk->stats.rx;
		core.fwd = wk->stats.fwd;
		core.reply = wk->stats.reply;
		core.to_control = wk->stats.to_control;
		core.to_host = wk->stats.to_host;
		core.tx = wk->stats.tx;
		core.tx_dropped = wk->stats.tx_dropped;
		core.sent_icmp = wk->stats.sent_icmp;
		core.sent_control = wk->stats.sent_control;
		core.conns = lb_conn_count(wk->ct);
		core.capacity = lb_conn_capacity(wk->ct);
		core.conn_evicted = wk->stats.conn_evicted;
		core.fwd_stateless = wk->stats.fwd_stateless;
		for (r = 0; r < LB_S_COUNT; r++)
			core.state[r] = wk->n_state[r];
		core.loop_max_ns = wk->stats.loop_max_tsc * 1000000000ull / rte_get_tsc_hz();
		for (r = 0; r < LB_DROP_COUNT; r++)
			core.drop[r] = wk->stats.drop[r];
		rc = out_put(c, &core, sizeof(core));
	}
	for (h = 0; rc == 0 && h < hdr.n_hosts; h++) {
		struct lb_host_stats st;
		struct lb_api_host ah;
		const char *ifname;
		uint16_t port;

		lb_host_get(h, &port, &ifname, &st);
		memset(&ah, 0, sizeof(ah));
		ah.port = port;
		snprintf(ah.ifname, sizeof(ah.ifname), "%s", ifname);
		ah.to_kernel = st.to_kernel;
		ah.to_kernel_dropped = st.to_kernel_dropped;
		ah.from_kernel = st.from_kernel;
		ah.from_kernel_dropped = st.from_kernel_dropped;
		ah.csum_fixed = st.csum_fixed;
		rc = out_put(c, &ah, sizeof(ah));
	}
	if (rc == 0)
		rc = out_put(c, pools.p, pools.n * sizeof(pools.p[0]));
	return rc;
}

static int
h_health(struct client *c, const void *body, uint32_t len)
{
	const struct lb_api_svc_key *k = body;
	struct lb_api_health_hdr hdr;
	struct lb_api_health_svc hs;
	struct lb_api_health_dest hd;
	uint32_t i, j, found = 0;
	size_t hdr_off = c->out_len;
	int rc;

	lb_health_stats(&hdr);
	hdr.n_svcs = 0;
	rc = out_put(c, &hdr, sizeof(hdr));
	for (i = 0; rc == 0 && i < lb_model_n_svcs(); i++) {
		lb_model_health_svc(i, &hs);
		if (k->proto != 0 && !lb_api_svc_key_eq(k, &hs.key))
			continue;
		found++;
		rc = out_put(c, &hs, sizeof(hs));
		for (j = 0; rc == 0 && j < hs.n_dests; j++) {
			lb_health_status(lb_model_health_dest(i, j, &hd), &hd);
			rc = out_put(c, &hd, sizeof(hd));
		}
	}
	if (rc < 0)
		return rc;
	hdr.n_svcs = found;
	memcpy(c->out + hdr_off, &hdr, sizeof(hdr));
	return k->proto != 0 && found == 0 ? -ESRCH : 0;
}

static int
h_announce_list(struct client *c, const void *body, uint32_t len)
{
	static struct lb_api_announce list[LB_MAX_SERVICES];
	struct lb_api_announce_hdr hdr;
	int rc;

	memset(&hdr, 0, sizeof(hdr));
	hdr.enabled = lb_announce_enabled(&hdr.table);
	hdr.drain_seconds = lb_announce_drain_seconds();
	hdr.n = lb_announce_list(list, RTE_DIM(list));
	rc = out_put(c, &hdr, sizeof(hdr));
	return rc < 0 ? rc : out_put(c, list, hdr.n * sizeof(*list));
}

static int
h_announce_set(struct client *c, const void *body, uint32_t len)
{
	const struct lb_api_announce_set *r = body;

	if (r->on > 1)
		return -EINVAL;
	return lb_announce_admin(r->vip, r->on == 1);
}

static int
h_sync_get(struct client *c, const void *body, uint32_t len)
{
	struct lb_api_sync r;
	struct lb_sync_counters sc;
	struct lb_sync_cfg cfg;
	unsigned int i;
	uint16_t w;

	memset(&r, 0, sizeof(r));
	for (i = 0; i < LB_SYNC_ROLES; i++) {
		r.daemon[i].role = i;
		if (!lb_sync_get(i, &cfg))
			continue;
		r.daemon[i].on = 1;
		snprintf(r.daemon[i].ifname, sizeof(r.daemon[i].ifname), "%s", cfg.ifname);
		r.daemon[i].syncid = cfg.syncid;
		r.daemon[i].maxlen = cfg.maxlen;
		r.daemon[i].group = cfg.group;
		r.daemon[i].port = cfg.port;
		r.daemon[i].ttl = cfg.ttl;
	}
	lb_sync_counters_get(&sc);
	r.sent_msgs = sc.sent_msgs;
	r.sent_conns = sc.sent_conns;
	r.send_errors = sc.send_errors;
	r.ring_full = sc.ring_full;
	r.rx_msgs = sc.rx.msgs;
	r.rx_conns = sc.rx.conns;
	RTE_BUILD_BUG_ON(LB_SYNC_DROP_COUNT > LB_API_SYNC_DROPS);
	for (i = 0; i < LB_SYNC_DROP_COUNT; i++)
		r.rx_drop[i] = sc.rx.drop[i];
	for (w = 0; w < ctl_n_workers; w++) {
		const struct lb_sync_stats *s = &ctl_workers[w]->sync;

		r.queued += s->queued;
		r.queue_full += s->ring_full;
		r.created += s->created;
		r.updated += s->updated;
		r.replaced += s->replaced;
		r.stale += s->stale;
		r.no_service += s->no_service;
		r.no_dest += s->no_dest;
		r.table_full += s->table_full;
	}
	return out_put(c, &r, sizeof(r));
}

static int
h_sync_start(struct client *c, const void *body, uint32_t len)
{
	const struct lb_api_sync_daemon *d = body;
	struct lb_sync_cfg cfg = { 0 };
	char err[160];
	int rc;

	if (d->role >= LB_SYNC_ROLES || d->syncid > 255 || d->maxlen > UINT16_MAX ||
			d->port > UINT16_MAX || d->ttl > 255 ||
			memchr(d->ifname, '\0', sizeof(d->ifname)) == NULL || d->ifname[0] == '\0')
		return -EINVAL;
	snprintf(cfg.ifname, sizeof(cfg.ifname), "%s", d->ifname);
	cfg.syncid = (uint8_t)d->syncid;
	cfg.maxlen = (uint16_t)d->maxlen;
	cfg.group = d->group;
	cfg.port = (uint16_t)d->port;
	cfg.ttl = (uint8_t)d->ttl;
	rc = lb_sync_start(d->role, &cfg, err, sizeof(err));
	if (rc != 0)
		RTE_LOG(WARNING, USER1, "sync: --start-daemon: %s\n", err);
	return rc == -EIO ? -EADDRNOTAVAIL : rc;
}

static int
h_sync_stop(struct client *c, const void *body, uint32_t len)
{
	const struct lb_api_sync_daemon *d = body;

	if (d->role >= LB_SYNC_ROLES)
		return -EINVAL;
	return lb_sync_stop(d->role);
}

struct handler {
	int (*fn)(struct client *c, const void *body, uint32_t len);
	uint32_t len;		/* exact body size */
	bool admin;		/* changes the configuration */
};

static const struct handler handlers[LB_API_TYPE_COUNT] = {
	[LB_API_INFO] = { h_info, 0, false },
	[LB_API_SVC_LIST] = { h_svc_list, sizeof(struct lb_api_svc_key), false },
	[LB_API_SVC_ADD] = { h_svc_add, sizeof(struct lb_api_svc), true },
	[LB_API_SVC_EDIT] = { h_svc_edit, sizeof(struct lb_api_svc), true },
	[LB_API_SVC_DEL] = { h_svc_del, sizeof(struct lb_api_svc_key), true },
	[LB_API_DEST_ADD] = { h_dest_add, sizeof(struct lb_api_dest_req), true },
	[LB_API_DEST_EDIT] = { h_dest_edit, sizeof(struct lb_api_dest_req), true },
	[LB_API_DEST_DEL] = { h_dest_del, sizeof(struct lb_api_dest_req), true },
	[LB_API_CLEAR] = { h_clear, 0, true },
	[LB_API_ZERO] = { h_zero, sizeof(struct lb_api_svc_key), true },
	[LB_API_TIMEOUT_GET] = { h_timeout_get, 0, false },
	[LB_API_TIMEOUT_SET] = { h_timeout_set, sizeof(struct lb_api_timeouts), true },
	[LB_API_CONN_LIST] = { h_conn_list, sizeof(struct lb_api_conn_cursor), false },
	[LB_API_COUNTERS] = { h_counters, 0, false },
	[LB_API_SYSCTL_GET] = { h_sysctl_get, 0, false },
	[LB_API_SYSCTL_SET] = { h_sysctl_set, sizeof(struct lb_api_sysctl), true },
	[LB_API_HEALTH] = { h_health, sizeof(struct lb_api_svc_key), false },
	[LB_API_ANNOUNCE_LIST] = { h_announce_list, 0, false },
	[LB_API_ANNOUNCE_SET] = { h_announce_set, sizeof(struct lb_api_announce_set), true },
	[LB_API_SYNC_GET] = { h_sync_get, 0, false },
	[LB_API_SYNC_START] = { h_sync_start, sizeof(struct lb_api_sync_daemon), true },
	[LB_API_SYNC_STOP] = { h_sync_stop, sizeof(struct lb_api_sync_daemon), true },
};

/* ---- framing ---- */

static void
reply(struct client *c, const struct lb_api_req *req, int status, size_t hdr_off)
{
	struct lb_api_resp *r = (struct lb_api_resp *)(c->out + hdr_off);

	r->magic = LB_API_MAGIC;
	r->version = LB_API_VERSION;
	r->status = status;
	r->len = (uint32_t)(c->out_len - hdr_off - sizeof(*r));
	r->id = req != NULL ? req->id : 0;
}

/* An error reply with no body; the connection is closed after it when fatal. */
static void
reply_error(struct client *c, const struct lb_api_req *req, int err, bool fatal)
{
	size_t off = c->out_len;

	if (out_reserve(c, sizeof(struct lb_api_resp)) == NULL) {
		c->closing = true;
		return;
	}
	memset(c->out + off, 0, sizeof(struct lb_api_resp));
	reply(c, req, err, off);
	if (fatal)
		c->closing = true;
}

static void
dispatch(struct client *c, const struct lb_api_req *req, const void *body)
{
	const struct handler *h = req->type < LB_API_TYPE_COUNT ? &handlers[req->type] : NULL;
	size_t off;
	int rc;

	if (h == NULL || h->fn == NULL) {
		reply_error(c, req, EINVAL, false);
		return;
	}
	if (req->len != h->len) {
		reply_error(c, req, EINVAL, false);
		return;
	}
	if (h->admin && !c->admin) {
		reply_error(c, req, EPERM, false);
		return;
	}
	off = c->out_len;
	if (out_reserve(c, sizeof(struct lb_api_resp)) == NULL) {
		c->closing = true;
		return;
	}
	rc = h->fn(c, body, req->len);
	if (rc < 0)
		c->out_len = off + sizeof(struct lb_api_resp);	/* no partial body */
	reply(c, req, rc < 0 ? -rc : 0, off);
}

/* The next request in c->in, if it is complete (and sane). */
static bool
next_request(struct client *c, struct lb_api_req *req)
{
	if (c->closing || c->in_len < sizeof(*req))
		return false;
	memcpy(req, c->in, sizeof(*req));
	if (req->magic != LB_API_MAGIC || req->version != LB_API_VERSION) {
		reply_error(c, req, EPROTO, true);
		return false;
	}
	if (req->len > LB_API_MAX_REQ) {
		reply_error(c, req, EMSGSIZE, true);
		return false;
	}
	return c->in_len >= sizeof(*req) + req->len;
}

static size_t
out_pending(const struct client *c)
{
	return c->out_len - c->out_off;
}

/* One request of c, its turn: the body is copied so handlers read it aligned. */
static void
consume_one(struct client *c)
{
	static uint64_t body[LB_API_MAX_REQ / sizeof(uint64_t)];
	struct lb_api_req req;
	size_t total;

	if (out_pending(c) >= LB_CTL_OUT_MAX || !next_request(c, &req))
		return;
	total = sizeof(req) + req.len;
	memcpy(body, c->in + sizeof(req), req.len);
	dispatch(c, &req, body);
	memmove(c->in, c->in + total, c->in_len - total);
	c->in_len -= total;
}

static void
client_close(struct client *c)
{
	close(c->fd);
	free(c->out);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

/*
 * The groups the peer process had when it connected (SO_PEERGROUPS), not
 * those the user database lists for its user: a process that dropped a group
 * loses its rights, one given a group (newgrp, setpriv, a service manager)
 * has them.
 */
static bool
peer_in_group(int fd, const struct ucred *cred, gid_t want)
{
	gid_t small[64], *groups = small;
	socklen_t len = sizeof(small);
	bool found = cred->gid == want;
	size_t i;

	if (found)
		return true;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) < 0) {
		if (errno != ERANGE)
			return false;
		groups = malloc(len);
		if (groups == NULL ||
				getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) < 0) {
			free(groups);
			return false;
		}
	}
	for (i = 0; i < len / sizeof(gid_t); i++)
		if (groups[i] == want)
			found = true;
	if (groups != small)
		free(groups);
	return found;
}

static void
accept_one(void)
{
	struct ucred cred;
	socklen_t clen = sizeof(cred);
	struct client *c = NULL;
	int fd, i;

	fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return;
	for (i = 0; i < LB_CTL_MAX_CLIENTS; i++)
		if (clients[i].fd < 0) {
			c = &clients[i];
			break;
		}
	if (c == NULL) {
		/* Full: say so (best effort) rather than leave it hanging. */
		struct lb_api_resp r = { .magic = LB_API_MAGIC, .version = LB_API_VERSION,
			.status = EBUSY };

		if (write(fd, &r, sizeof(r)) < 0)
			RTE_LOG(DEBUG, USER1, "control: refused a client\n");
		close(fd);
		return;
	}
	memset(c, 0, sizeof(*c));
	c->fd = fd;
	c->last_ms = lb_mono_ms();
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) == 0)
		c->admin = cred.uid == 0 ||
			(admin_gid_set && peer_in_group(fd, &cred, admin_gid));
}

/* Send what can be sent now; false when c was closed. */
static bool
flush(struct client *c)
{
	ssize_t n;

	if (out_pending(c) > 0) {
		n = write(c->fd, c->out + c->out_off, out_pending(c));
		if (n < 0 && errno != EAGAIN && errno != EINTR) {
			client_close(c);
			return false;
		}
		if (n > 0) {
			c->out_off += (size_t)n;
			c->last_ms = lb_mono_ms();
		}
		if (c->out_off == c->out_len)
			c->out_off = c->out_len = 0;
	}
	if (c->closing && c->out_len == 0) {
		client_close(c);
		return false;
	}
	return true;
}

static void
serve(struct client *c, short revents)
{
	ssize_t n;

	if (revents & (POLLERR | POLLNVAL)) {
		client_close(c);
		return;
	}
	if ((revents & (POLLIN | POLLHUP)) && !c->closing && c->in_len < sizeof(c->in)) {
		n = read(c->fd, c->in + c->in_len, sizeof(c->in) - c->in_len);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
			client_close(c);
			return;
		}
		if (n > 0) {
			c->in_len += (size_t)n;
			c->last_ms = lb_mono_ms();
		}
	}
	flush(c);
}

/* A request of c is ready to be taken on its next turn. */
static bool
ready(struct client *c)
{
	struct lb_api_req req;

	return c->fd >= 0 && out_pending(c) < LB_CTL_OUT_MAX && next_request(c, &req);
}

void
lb_ctl_poll(int timeout_ms)
{
	struct pollfd pfd[LB_CTL_MAX_CLIENTS + 1];
	int map[LB_CTL_MAX_CLIENTS + 1];
	uint64_t now = lb_mono_ms();
	int n = 0, i;

	if (listen_fd >= 0) {
		pfd[n] = (struct pollfd){ .fd = listen_fd, .events = POLLIN };
		map[n++] = -1;
	}
	for (i = 0; i < LB_CTL_MAX_CLIENTS; i++) {
		struct client *c = &clients[i];
		short ev = 0;

		if (c->fd < 0)
			continue;
		/* Half a request for too long, or idle for very long: drop it. */
		if ((c->in_len > 0 && out_pending(c) == 0 && !ready(c) &&
					now - c->last_ms > LB_CTL_TIMEOUT_MS) ||
				now - c->last_ms > LB_CTL_IDLE_MS) {
			client_close(c);
			continue;
		}
		if (ready(c))
			timeout_ms = 0;	/* work waiting: just look at the sockets */
		/* Read more only once the replies so far are out: bounded memory. */
		if (out_pending(c) > 0)
			ev |= POLLOUT;
		else if (c->in_len < sizeof(c->in))
			ev |= POLLIN;
		pfd[n] = (struct pollfd){ .fd = c->fd, .events = ev };
		map[n++] = i;
	}
	if (poll(pfd, (nfds_t)n, timeout_ms) > 0)
		for (i = 0; i < n; i++) {
			if (pfd[i].revents == 0)
				continue;
			if (map[i] < 0)
				accept_one();
			else
				serve(&clients[map[i]], pfd[i].revents);
		}
	/* Each client's turn: one request, its reply sent as far as it goes. */
	for (i = 0; i < LB_CTL_MAX_CLIENTS; i++) {
		struct client *c = &clients[i];

		if (c->fd < 0)
			continue;
		consume_one(c);
		flush(c);
	}
}

static int
make_dirs(const char *path)
{
	char buf[sizeof(sock_path)], *p;

	snprintf(buf, sizeof(buf), "%s", path);
	for (p = buf + 1; (p = strchr(p, '/')) != NULL; p++) {
		*p = '\0';
		if (mkdir(buf, 0755) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	return 0;
}

int
lb_ctl_init(const struct lb_conf *conf, struct lb_worker *const *workers,
		uint16_t n_workers)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct stat st;
	int i, rc, probe;

	for (i = 0; i < LB_CTL_MAX_CLIENTS; i++)
		clients[i].fd = -1;
	ctl_workers = workers;
	ctl_n_workers = n_workers;
	if (conf->admin_group != NULL) {
		struct group *g = getgrnam(conf->admin_group);

		if (g == NULL) {
			RTE_LOG(ERR, USER1, "control: no such group '%s'\n", conf->admin_group);
			return -ENOENT;
		}
		admin_gid = g->gr_gid;
		admin_gid_set = true;
	}
	snprintf(sock_path, sizeof(sock_path), "%s", conf->socket);
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", conf->socket);
	rc = make_dirs(sock_path);
	if (rc < 0) {
		RTE_LOG(ERR, USER1, "control: cannot create the directory of %s: %s\n",
				sock_path, strerror(-rc));
		return rc;
	}
	/* A socket file nobody answers on is a leftover; one that answers is not. */
	probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (probe >= 0 && connect(probe, (struct sockaddr *)&sun, sizeof(sun)) == 0) {
		close(probe);
		RTE_LOG(ERR, USER1, "control: another lbd is listening on %s\n", sock_path);
		return -EADDRINUSE;
	}
	if (probe >= 0)
		close(probe);
	/* Only a leftover socket is ours to remove: never a file that is not one. */
	if (lstat(sock_path, &st) == 0 && !S_ISSOCK(st.st_mode)) {
		RTE_LOG(ERR, USER1, "control: %s exists and is not a socket: not replacing it\n",
				sock_path);
		return -EEXIST;
	}
	unlink(sock_path);
	listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (listen_fd < 0 || bind(listen_fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 ||
			listen(listen_fd, LB_CTL_MAX_CLIENTS) < 0) {
		rc = -errno;
		RTE_LOG(ERR, USER1, "control: cannot listen on %s: %s\n", sock_path,
				strerror(-rc));
		lb_ctl_fini();
		return rc;
	}
	if (chmod(sock_path, 0660) < 0)
		RTE_LOG(WARNING, USER1, "control: chmod %s: %s\n", sock_path, strerror(errno));
	if (conf->socket_group != NULL) {
		struct group *g = getgrnam(conf->socket_group);

		if (g == NULL || chown(sock_path, (uid_t)-1, g->gr_gid) < 0) {
			RTE_LOG(ERR, USER1, "control: cannot give %s to group '%s'\n", sock_path,
					conf->socket_group);
			lb_ctl_fini();
			return -EPERM;
		}
	}
	RTE_LOG(INFO, USER1, "control: listening on %s\n", sock_path);
	return 0;
}

void
lb_ctl_loop_done(uint64_t cpu_ns)
{
	if (cpu_ns > loop_max_ns)
		loop_max_ns = cpu_ns;
}

void
lb_ctl_fini(void)
{
	int i;

	for (i = 0; i < LB_CTL_MAX_CLIENTS; i++)
		if (clients[i].fd >= 0)
			client_close(&clients[i]);
	if (listen_fd >= 0) {
		close(listen_fd);
		unlink(sock_path);
		listen_fd = -1;
	}
}
