/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * VIP announcement (see announce.h).
 *
 * Each poll computes, for every VIP of the model, whether it should be
 * announced and why not, then brings the table in line: a route added for
 * each VIP newly wanted, deleted for each VIP no longer wanted (or no longer
 * configured). Netlink requests wait for the kernel's answer, which comes at
 * once for a local table; a receive timeout bounds the wait anyway, and a
 * refused request is retried on the next poll. The routes are lbd's alone:
 * at start every configured VIP's route is deleted first (left by a lbd that
 * was killed), at exit every route lbd added.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>

#include <rte_log.h>

#include "control/announce.h"
#include "control/clock.h"
#include "control/model.h"
#include "dataplane/worker.h"

#define POLL_MS		100
#define STALL_MS	1000	/* a worker whose loop did not move this long */
#define MAX_VIPS	LB_MAX_SERVICES

struct vip {
	uint32_t vip;
	bool announced;
	uint8_t why;
	uint32_t lcore;
	int32_t error;
	int64_t since;
};

static bool enabled;
static uint32_t table, drain;
static struct mnl_socket *nl;
static uint32_t seq;
static struct vip vips[MAX_VIPS];
static uint32_t n_vips;
static uint32_t withdrawn[MAX_VIPS];	/* by lbadm, until --announce */
static uint32_t n_withdrawn;
static bool stopping;
static struct lb_worker *const *workers;
static uint16_t n_workers;
static uint64_t last_loops[LB_MAX_WORKERS], last_move_ms[LB_MAX_WORKERS];
static uint64_t last_poll_ms;

static const char *
why_text(uint8_t why)
{
	switch (why) {
	case LB_API_ANN_OK: return "announced";
	case LB_API_ANN_ADMIN: return "withdrawn by lbadm";
	case LB_API_ANN_QUORUM: return "no service has its quorum";
	case LB_API_ANN_WORKER: return "a worker stalled";
	case LB_API_ANN_STOPPING: return "lbd is stopping";
	case LB_API_ANN_ERROR: return "the kernel refused the route";
	}
	return "?";
}

/* Add or delete blackhole vip/32 in the table: 0 or -errno. */
static int
route(uint32_t vip, bool add)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct rtmsg *rtm;
	uint32_t id = ++seq;
	int n;

	nlh->nlmsg_type = add ? RTM_NEWROUTE : RTM_DELROUTE;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | (add ? NLM_F_CREATE | NLM_F_REPLACE : 0);
	nlh->nlmsg_seq = id;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = AF_INET;
	rtm->rtm_dst_len = 32;
	rtm->rtm_table = table < 256 ? (uint8_t)table : RT_TABLE_UNSPEC;
	/* static, not kernel or boot: routing daemons learn it (BIRD's kernel
	 * protocol skips its own, the kernel's and unspec ones); a delete
	 * matches any protocol: the table is lbd's, whoever left a route */
	rtm->rtm_protocol = add ? RTPROT_STATIC : RTPROT_UNSPEC;
	rtm->rtm_scope = RT_SCOPE_UNIVERSE;
	rtm->rtm_type = RTN_BLACKHOLE;
	mnl_attr_put_u32(nlh, RTA_DST, vip);
	mnl_attr_put_u32(nlh, RTA_TABLE, table);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	for (;;) {
		n = (int)mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (n < 0)
			return -errno;
		n = mnl_cb_run(buf, (size_t)n, id, mnl_socket_get_portid(nl), NULL, NULL);
		if (n <= MNL_CB_STOP)
			return n < 0 ? -errno : 0;
	}
}

static bool
is_withdrawn(uint32_t vip)
{
	uint32_t i;

	for (i = 0; i < n_withdrawn; i++)
		if (withdrawn[i] == vip)
			return true;
	return false;
}

/* vips[] and the lists below are kept in this order: lookups are bsearch. */
static int
vip_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static struct vip *
find(uint32_t vip)
{
	return bsearch(&vip, vips, n_vips, sizeof(*vips), vip_cmp);
}

/* The stalled worker's index, or -1. */
static int
stalled(uint64_t now)
{
	uint16_t w;

	for (w = 0; w < n_workers; w++) {
		uint64_t l = workers[w]->loops;

		if (l != last_loops[w] || last_move_ms[w] == 0) {
			last_loops[w] = l;
			last_move_ms[w] = now;
		} else if (now - last_move_ms[w] >= STALL_MS) {
			return w;
		}
	}
	return -1;
}

static void
log_change(const struct vip *v)
{
	char a[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &v->vip, a, sizeof(a));
	if (v->announced)
		RTE_LOG(NOTICE, USER1, "announce: %s announced (table %u)\n", a, table);
	else if (v->why == LB_API_ANN_WORKER)
		RTE_LOG(WARNING, USER1, "announce: %s withdrawn: worker lcore %u stalled\n", a,
				v->lcore);
	else if (v->why == LB_API_ANN_ERROR)
		RTE_LOG(ERR, USER1, "announce: %s: the kernel refused the route: %s\n", a,
				strerror(-v->error));
	else
		RTE_LOG(NOTICE, USER1, "announce: %s withdrawn: %s\n", a, why_text(v->why));
}

static void
evaluate(uint64_t now)
{
	/* each service's VIP and quorum, sorted by VIP: a VIP has its quorum
	 * when one of its services has */
	static struct { uint32_t vip; uint32_t quorum; } list[MAX_VIPS];
	static struct vip next[MAX_VIPS];
	uint32_t i, j, n = 0, n_next = 0;
	int w = stalled(now);

	for (i = 0; i < lb_model_n_svcs() && n < MAX_VIPS; i++, n++) {
		list[n].vip = lb_model_svc_vip(i);
		list[n].quorum = lb_model_svc_quorum(i);
	}
	qsort(list, n, sizeof(*list), vip_cmp);
	for (i = 0; i < n; i = j) {
		struct vip *old;
		struct vip v = { .vip = list[i].vip };
		bool quorum = false;

		for (j = i; j < n && list[j].vip == v.vip; j++)
			quorum |= list[j].quorum != 0;
		v.why = stopping ? LB_API_ANN_STOPPING : w >= 0 ? LB_API_ANN_WORKER :
			is_withdrawn(v.vip) ? LB_API_ANN_ADMIN :
			!quorum ? LB_API_ANN_QUORUM : LB_API_ANN_OK;
		if (w >= 0)
			v.lcore = workers[w]->lcore_id;
		old = find(v.vip);
		v.announced = old != NULL && old->announced;
		v.since = old != NULL ? old->since : (int64_t)time(NULL);
		if ((v.why == LB_API_ANN_OK) != v.announced) {
			int rc = route(v.vip, v.why == LB_API_ANN_OK);

			if (rc == 0 || (rc == -ESRCH && v.why != LB_API_ANN_OK)) {
				v.announced = v.why == LB_API_ANN_OK;
			} else {
				v.why = LB_API_ANN_ERROR;
				v.error = rc;
			}
		}
		if (old == NULL || old->announced != v.announced || old->why != v.why) {
			v.since = (int64_t)time(NULL);
			if (old != NULL || v.announced || v.why == LB_API_ANN_ERROR)
				log_change(&v);
		}
		next[n_next++] = v;
	}
	/* VIPs no longer configured: their routes go */
	for (i = 0; i < n_vips; i++) {
		bool kept = bsearch(&vips[i].vip, next, n_next, sizeof(*next), vip_cmp) != NULL;

		if (!kept && vips[i].announced) {
			vips[i].announced = false;
			vips[i].why = LB_API_ANN_QUORUM;
			if (route(vips[i].vip, false) == 0)
				log_change(&vips[i]);
		}
	}
	memcpy(vips, next, n_next * sizeof(*next));
	n_vips = n_next;
}

int
lb_announce_init(const struct lb_conf *conf, struct lb_worker *const *wk, uint16_t n)
{
	struct timeval tv = { .tv_sec = 0, .tv_usec = 200000 };
	uint32_t i;

	workers = wk;
	n_workers = n;
	if (!conf->has_announce)
		return 0;
	table = conf->announce_table;
	drain = conf->announce_drain;
	nl = mnl_socket_open(NETLINK_ROUTE);
	if (nl == NULL || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0 ||
			setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVTIMEO, &tv,
				sizeof(tv)) < 0) {
		int rc = -errno;

		RTE_LOG(ERR, USER1, "announce: cannot open netlink: %s\n", strerror(-rc));
		if (nl != NULL)
			mnl_socket_close(nl);
		nl = NULL;
		return rc;
	}
	/* a lbd killed before it could withdraw left its routes behind */
	for (i = 0; i < lb_model_n_svcs(); i++)
		route(lb_model_svc_vip(i), false);
	enabled = true;
	RTE_LOG(INFO, USER1, "announce: VIPs as blackhole routes in table %u\n", table);
	return 0;
}

void
lb_announce_poll(void)
{
	uint64_t now = lb_mono_ms();

	if (!enabled || now - last_poll_ms < POLL_MS)
		return;
	last_poll_ms = now;
	evaluate(now);
}

int
lb_announce_admin(uint32_t vip, bool on)
{
	uint32_t i;
	bool known = false;

	if (!enabled)
		return -ENOTSUP;
	for (i = 0; i < lb_model_n_svcs() && !known; i++)
		known = lb_model_svc_vip(i) == vip;
	if (!known)
		return -ESRCH;
	for (i = 0; i < n_withdrawn; i++)
		if (withdrawn[i] == vip)
			break;
	if (on && i < n_withdrawn)
		withdrawn[i] = withdrawn[--n_withdrawn];
	else if (!on && i == n_withdrawn && n_withdrawn < MAX_VIPS)
		withdrawn[n_withdrawn++] = vip;
	evaluate(lb_mono_ms());	/* at once: the operator waits for it */
	return 0;
}

uint32_t
lb_announce_list(struct lb_api_announce *out, uint32_t max)
{
	uint32_t i;

	for (i = 0; i < n_vips && i < max; i++) {
		memset(&out[i], 0, sizeof(out[i]));
		out[i].vip = vips[i].vip;
		out[i].announced = vips[i].announced;
		out[i].admin = !is_withdrawn(vips[i].vip);
		out[i].why = vips[i].why;
		out[i].lcore = vips[i].lcore;
		out[i].error = vips[i].error;
		out[i].since = vips[i].since;
	}
	return i;
}

void
lb_announce_stop(void)
{
	if (!enabled)
		return;
	stopping = true;
	evaluate(lb_mono_ms());
}

uint32_t
lb_announce_drain_seconds(void)
{
	return enabled ? drain : 0;
}

void
lb_announce_set_drain_seconds(uint32_t seconds)
{
	drain = seconds;
}

void
lb_announce_fini(void)
{
	uint32_t i;

	if (nl == NULL)
		return;
	for (i = 0; i < n_vips; i++)
		if (vips[i].announced && route(vips[i].vip, false) == 0) {
			vips[i].announced = false;
			vips[i].why = LB_API_ANN_STOPPING;
			log_change(&vips[i]);
		}
	mnl_socket_close(nl);
	nl = NULL;
	enabled = false;
}

bool
lb_announce_enabled(uint32_t *tbl)
{
	*tbl = table;
	return enabled;
}
