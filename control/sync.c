/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IPVS's connection sync daemons (control/sync.h): sockets as the kernel
 * makes them (make_send_sock, make_receive_sock in ip_vs_sync.c), batching
 * as its master thread does, records in and out through the workers' rings.
 */
#include "control/sync.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <rte_ethdev.h>
#include <rte_log.h>
#include <rte_ring.h>
#include <rte_thash.h>

#include "control/clock.h"
#include "dataplane/worker.h"

#define RSS_KEY_MAX	64
#define RETA_MAX	RTE_ETH_RSS_RETA_SIZE_512
#define RX_PER_POLL	64	/* datagrams a poll takes at most */

struct daemon {
	bool on;
	struct lb_sync_cfg cfg;
	int fd;
};

static struct daemon daemons[LB_SYNC_ROLES] = { { .fd = -1 }, { .fd = -1 } };
static struct lb_worker *const *workers;
static uint16_t n_workers;
static struct lb_sync_counters cnt;

/* the master's message being filled */
static uint8_t msg_buf[LB_SYNC_MAXLEN_MAX];
static struct lb_sync_msg msg;
static uint64_t msg_since;	/* ms its first record waits since, 0 = empty */

/* RSS of the port clients reach the VIPs on: key and redirection table */
static uint8_t rss_key[RSS_KEY_MAX];
static uint16_t reta[RETA_MAX];
static uint16_t reta_size;

static const char *const role_name[LB_SYNC_ROLES] = { "master", "backup" };

void
lb_sync_init(struct lb_worker *const *w, uint16_t n, uint16_t port_id)
{
	struct rte_eth_rss_conf conf = { .rss_key = rss_key, .rss_key_len = RSS_KEY_MAX };
	struct rte_eth_rss_reta_entry64 conf64[RETA_MAX / RTE_ETH_RETA_GROUP_SIZE];
	struct rte_eth_dev_info di;
	uint16_t i;

	workers = w;
	n_workers = n;
	reta_size = 0;
	if (n < 2 || rte_eth_dev_info_get(port_id, &di) != 0 || di.reta_size == 0 ||
			di.reta_size > RETA_MAX || di.hash_key_size > RSS_KEY_MAX ||
			rte_eth_dev_rss_hash_conf_get(port_id, &conf) != 0)
		goto no_rss;
	memset(conf64, 0, sizeof(conf64));
	for (i = 0; i < di.reta_size / RTE_ETH_RETA_GROUP_SIZE; i++)
		conf64[i].mask = UINT64_MAX;
	if (rte_eth_dev_rss_reta_query(port_id, conf64, di.reta_size) != 0)
		goto no_rss;
	for (i = 0; i < di.reta_size; i++)
		reta[i] = conf64[i / RTE_ETH_RETA_GROUP_SIZE].reta[i % RTE_ETH_RETA_GROUP_SIZE];
	lb_sync_set_rss(rss_key, conf.rss_key_len, reta, di.reta_size, n);
	return;
no_rss:
	if (n >= 2)
		RTE_LOG(WARNING, USER1, "sync: port %u tells no RSS key or redirection table: "
				"synced connections go to worker 0\n", port_id);
}

void
lb_sync_set_rss(const uint8_t *key, size_t key_len, const uint16_t *table, uint16_t size,
		uint16_t n)
{
	if (key_len > RSS_KEY_MAX || size > RETA_MAX || n == 0) {
		reta_size = 0;
		return;
	}
	memmove(rss_key, key, key_len);
	memset(rss_key + key_len, 0, RSS_KEY_MAX - key_len);
	memmove(reta, table, size * sizeof(*table));
	reta_size = size;
	n_workers = n;
}

/* RSS's choice, as rte_softrss computes the NIC's Toeplitz hash (over the
 * addresses and ports, in host order): redirection table slot, queue, and
 * the worker polling that queue (queue q is worker q % workers). */
uint16_t
lb_sync_worker_of(const struct lb_sync_conn *r)
{
	uint32_t tuple[3], h;

	if (reta_size == 0)
		return 0;
	tuple[0] = ntohl(r->caddr);
	tuple[1] = ntohl(r->vaddr);
	tuple[2] = (uint32_t)ntohs(r->cport) << 16 | ntohs(r->vport);
	h = rte_softrss(tuple, RTE_DIM(tuple), rss_key);
	return (uint16_t)(reta[h % reta_size] % n_workers);
}

/* The first IPv4 address of ifname, network order, or 0. */
static uint32_t
if_addr(const char *ifname)
{
	struct ifaddrs *ifa, *i;
	uint32_t a = 0;

	if (getifaddrs(&ifa) != 0)
		return 0;
	for (i = ifa; i != NULL && a == 0; i = i->ifa_next)
		if (i->ifa_addr != NULL && i->ifa_addr->sa_family == AF_INET &&
				strcmp(i->ifa_name, ifname) == 0)
			a = ((const struct sockaddr_in *)(const void *)i->ifa_addr)->sin_addr.s_addr;
	freeifaddrs(ifa);
	return a;
}

#define FAIL(...) do { snprintf(err, errlen, __VA_ARGS__); goto fail; } while (0)

static int
open_master(const struct lb_sync_cfg *cfg, unsigned int ifindex, char *err, size_t errlen)
{
	struct ip_mreqn mr = { .imr_ifindex = (int)ifindex };
	struct sockaddr_in a = { .sin_family = AF_INET };
	int fd, ttl = cfg->ttl, off = 0, pmtu = IP_PMTUDISC_DONT;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		FAIL("socket: %s", strerror(errno));
	a.sin_addr.s_addr = if_addr(cfg->ifname);
	if (a.sin_addr.s_addr == 0)
		FAIL("%s has no IPv4 address to send from", cfg->ifname);
	if (setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &mr, sizeof(mr)) != 0 ||
			setsockopt(fd, IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof(ttl)) != 0 ||
			setsockopt(fd, IPPROTO_IP, IP_MULTICAST_LOOP, &off, sizeof(off)) != 0 ||
			setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &pmtu, sizeof(pmtu)) != 0)
		FAIL("multicast options on %s: %s", cfg->ifname, strerror(errno));
	if (bind(fd, (const struct sockaddr *)&a, sizeof(a)) != 0)
		FAIL("bind to %s's address: %s", cfg->ifname, strerror(errno));
	a.sin_addr.s_addr = cfg->group;
	a.sin_port = htons(cfg->port);
	if (connect(fd, (const struct sockaddr *)&a, sizeof(a)) != 0)
		FAIL("connect to the group: %s", strerror(errno));
	return fd;
fail:
	if (fd >= 0)
		close(fd);
	return -1;
}

static int
open_backup(const struct lb_sync_cfg *cfg, unsigned int ifindex, char *err, size_t errlen)
{
	struct ip_mreqn mr = { .imr_multiaddr.s_addr = cfg->group, .imr_ifindex = (int)ifindex };
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(cfg->port),
		.sin_addr.s_addr = cfg->group };
	int fd, one = 1;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		FAIL("socket: %s", strerror(errno));
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
			setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, cfg->ifname,
				(socklen_t)strlen(cfg->ifname)) != 0)
		FAIL("socket options on %s: %s", cfg->ifname, strerror(errno));
	if (bind(fd, (const struct sockaddr *)&a, sizeof(a)) != 0)
		FAIL("bind to the group: %s", strerror(errno));
	if (setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mr, sizeof(mr)) != 0)
		FAIL("join the group on %s: %s", cfg->ifname, strerror(errno));
	return fd;
fail:
	if (fd >= 0)
		close(fd);
	return -1;
}

static void
set_master(bool on)
{
	uint16_t i;

	for (i = 0; i < n_workers; i++)
		workers[i]->sync_master = on;
}

int
lb_sync_start(enum lb_sync_role role, const struct lb_sync_cfg *in, char *err, size_t errlen)
{
	struct daemon *d = &daemons[role];
	struct lb_sync_cfg cfg = *in;
	unsigned int ifindex;
	char g[INET_ADDRSTRLEN];

	if (d->on) {
		snprintf(err, errlen, "a %s sync daemon runs already", role_name[role]);
		return -EEXIST;
	}
	lb_sync_cfg_defaults(&cfg);
	if (cfg.maxlen < LB_SYNC_MAXLEN_MIN || cfg.maxlen > LB_SYNC_MAXLEN_MAX) {
		snprintf(err, errlen, "sync maxlen %u is not in %u..%u", cfg.maxlen,
				LB_SYNC_MAXLEN_MIN, LB_SYNC_MAXLEN_MAX);
		return -EINVAL;
	}
	if (!IN_MULTICAST(ntohl(cfg.group))) {
		snprintf(err, errlen, "the sync group is not a multicast address");
		return -EINVAL;
	}
	ifindex = if_nametoindex(cfg.ifname);
	if (ifindex == 0) {
		snprintf(err, errlen, "no interface %s in lbd's namespace", cfg.ifname);
		return -ENODEV;
	}
	d->fd = role == LB_SYNC_MASTER ? open_master(&cfg, ifindex, err, errlen) :
		open_backup(&cfg, ifindex, err, errlen);
	if (d->fd < 0)
		return -EIO;
	d->cfg = cfg;
	d->on = true;
	if (role == LB_SYNC_MASTER) {
		lb_sync_msg_start(&msg, msg_buf, cfg.maxlen, cfg.syncid);
		msg_since = 0;
		set_master(true);
	}
	inet_ntop(AF_INET, &cfg.group, g, sizeof(g));
	RTE_LOG(INFO, USER1, "sync: %s daemon started (mcast=%s, syncid=%u, maxlen=%u, "
			"group=%s, port=%u, ttl=%u)\n", role_name[role], cfg.ifname, cfg.syncid,
			cfg.maxlen, g, cfg.port, cfg.ttl);
	return 0;
}

static void
send_msg(void)
{
	uint16_t len = lb_sync_msg_end(&msg);

	if (len != 0) {
		if (send(daemons[LB_SYNC_MASTER].fd, msg_buf, len, MSG_DONTWAIT) == (ssize_t)len) {
			cnt.sent_msgs++;
			cnt.sent_conns += msg.n;
		} else {
			cnt.send_errors++;
		}
	}
	lb_sync_msg_start(&msg, msg_buf, daemons[LB_SYNC_MASTER].cfg.maxlen,
			daemons[LB_SYNC_MASTER].cfg.syncid);
	msg_since = 0;
}

int
lb_sync_stop(enum lb_sync_role role)
{
	struct daemon *d = &daemons[role];
	struct lb_sync_conn r;
	uint16_t i;

	if (!d->on)
		return -ESRCH;
	if (role == LB_SYNC_MASTER) {
		set_master(false);
		send_msg();
		/* what the workers handed meanwhile goes unsent */
		for (i = 0; i < n_workers; i++)
			while (rte_ring_sc_dequeue_elem(workers[i]->sync_out, &r, sizeof(r)) == 0)
				;
	}
	close(d->fd);
	d->fd = -1;
	d->on = false;
	RTE_LOG(INFO, USER1, "sync: %s daemon stopped\n", role_name[role]);
	return 0;
}

bool
lb_sync_get(enum lb_sync_role role, struct lb_sync_cfg *cfg)
{
	if (daemons[role].on && cfg != NULL)
		*cfg = daemons[role].cfg;
	return daemons[role].on;
}

void
lb_sync_counters_get(struct lb_sync_counters *out)
{
	*out = cnt;
}

static void
master_poll(void)
{
	struct lb_sync_conn recs[64];
	uint16_t i;
	unsigned int n, j;

	for (i = 0; i < n_workers; i++) {
		while ((n = rte_ring_sc_dequeue_burst_elem(workers[i]->sync_out, recs,
				sizeof(recs[0]), RTE_DIM(recs), NULL)) != 0) {
			for (j = 0; j < n; j++) {
				if (lb_sync_msg_add(&msg, &recs[j]) != 0) {
					send_msg();
					lb_sync_msg_add(&msg, &recs[j]);
				}
				if (msg_since == 0)
					msg_since = lb_mono_ms();
			}
		}
	}
	if (msg_since != 0 && lb_mono_ms() - msg_since >= LB_SYNC_SEND_DELAY_MS)
		send_msg();
}

static void
to_worker(const struct lb_sync_conn *r, void *arg)
{
	struct lb_worker *wk = workers[lb_sync_worker_of(r)];
	struct lb_sync_conn copy = *r;

	(void)arg;
	if (rte_ring_sp_enqueue_elem(wk->sync_in, &copy, sizeof(copy)) != 0)
		cnt.ring_full++;
}

static void
backup_poll(void)
{
	static uint8_t buf[65536];
	struct daemon *d = &daemons[LB_SYNC_BACKUP];
	unsigned int i;

	for (i = 0; i < RX_PER_POLL; i++) {
		ssize_t n = recv(d->fd, buf, sizeof(buf), MSG_DONTWAIT);

		if (n < 0)
			break;
		lb_sync_parse(buf, (size_t)n, d->cfg.syncid, to_worker, NULL, &cnt.rx);
	}
}

void
lb_sync_poll(void)
{
	if (daemons[LB_SYNC_MASTER].on)
		master_poll();
	if (daemons[LB_SYNC_BACKUP].on)
		backup_poll();
}

void
lb_sync_fini(void)
{
	enum lb_sync_role r;

	for (r = 0; r < LB_SYNC_ROLES; r++)
		if (daemons[r].on)
			lb_sync_stop(r);
}
