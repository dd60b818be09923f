/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The daemon's life: EAL (the command line's options, else the file's), the
 * packet pool, ports with one queue pair per worker lcore, the services
 * snapshot, the workers, then the control loop on the main lcore until
 * SIGINT/SIGTERM (SIGHUP reloads the file: control/reload.h). Stopping is the reverse: workers leave their loops (and
 * flush their TX buffers), ports are stopped and closed (so devices such as
 * net_pcap complete their output), memory is returned, exit status 0.
 */
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_log.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "control/ctl.h"
#include "control/daemon.h"
#include "control/announce.h"
#include "control/clock.h"
#include "control/health.h"
#include "control/host.h"
#include "control/metrics.h"
#include "control/model.h"
#include "control/neigh.h"
#include "control/notify.h"
#include "control/port.h"
#include "control/reload.h"
#include "control/sync.h"
#include "control/telemetry.h"
#include "control/vipown.h"
#include "dataplane/worker.h"

#define RING_SIZE	1024

static volatile sig_atomic_t stop, drain, reload;

/* SIGTERM drains (the VIPs withdrawn, forwarding on for drain_seconds);
 * SIGINT, or a second SIGTERM, stops at once. */
static void
on_signal(int sig)
{
	if (sig == SIGHUP)
		reload = 1;	/* control/reload.h */
	else if (sig == SIGTERM && !drain)
		drain = 1;
	else
		stop = 1;
}

static char **
eal_args(const struct lb_conf *conf, const char *prog, int eal_argc, char **eal_argv,
		int *argc)
{
	int n = eal_argc > 0 ? eal_argc : (int)conf->n_eal;
	char **src = eal_argc > 0 ? eal_argv : conf->eal;
	char **argv = calloc((size_t)n + 2, sizeof(char *));
	int i;

	if (argv == NULL)
		return NULL;
	argv[0] = (char *)(uintptr_t)prog;
	for (i = 0; i < n; i++)
		argv[i + 1] = src[i];
	*argc = n + 1;
	return argv;
}

struct daemon {
	struct rte_mempool *pool;
	struct lb_port_info ports[LB_MAX_PORTS];
	uint32_t n_ports;
	struct lb_worker *workers[LB_MAX_WORKERS];
	uint16_t n_workers;
	struct rte_rcu_qsbr *qsbr;
};

static int
create_workers(struct daemon *d, const struct lb_conf *conf)
{
	uint32_t cap = conf->connections / d->n_workers, now = lb_clock_now();
	size_t qsz = rte_rcu_qsbr_get_memsize(d->n_workers);
	uint16_t i;
	char name[32];

	if (cap < 16)
		cap = 16;
	d->qsbr = rte_zmalloc("lb_qsbr", qsz, RTE_CACHE_LINE_SIZE);
	if (d->qsbr == NULL || rte_rcu_qsbr_init(d->qsbr, d->n_workers) != 0)
		return -ENOMEM;
	for (i = 0; i < d->n_workers; i++) {
		struct lb_worker *wk = lb_worker_create(i, cap, now, d->pool);

		if (wk == NULL)
			return -ENOMEM;
		d->workers[i] = wk;
		wk->burst = (uint16_t)conf->burst;
		wk->idle_sleep_us = conf->idle_sleep_us;
		wk->qsbr = d->qsbr;
		snprintf(name, sizeof(name), "lb_to_ctl_%u", i);
		wk->to_ctl = rte_ring_create(name, RING_SIZE, SOCKET_ID_ANY,
				RING_F_SP_ENQ | RING_F_SC_DEQ);
		snprintf(name, sizeof(name), "lb_from_ctl_%u", i);
		wk->from_ctl = rte_ring_create(name, RING_SIZE, SOCKET_ID_ANY, RING_F_SC_DEQ);
		snprintf(name, sizeof(name), "lb_to_host_%u", i);
		wk->to_host = rte_ring_create(name, LB_HOST_RING, SOCKET_ID_ANY,
				RING_F_SP_ENQ | RING_F_SC_DEQ);
		snprintf(name, sizeof(name), "lb_sync_out_%u", i);
		wk->sync_out = rte_ring_create_elem(name, sizeof(struct lb_sync_conn),
				LB_SYNC_RING, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
		snprintf(name, sizeof(name), "lb_sync_in_%u", i);
		wk->sync_in = rte_ring_create_elem(name, sizeof(struct lb_sync_conn),
				LB_SYNC_RING, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (wk->to_ctl == NULL || wk->from_ctl == NULL || wk->to_host == NULL ||
				wk->sync_out == NULL || wk->sync_in == NULL)
			return -ENOMEM;
		if (rte_rcu_qsbr_thread_register(d->qsbr, i) != 0)
			return -EINVAL;
	}
	for (i = 0; i < d->n_workers; i++) {
		d->workers[i]->peers = d->workers;
		d->workers[i]->n_peers = d->n_workers;
	}
	return 0;
}

static void
free_workers(struct daemon *d)
{
	struct rte_mbuf *m;
	uint16_t i;

	for (i = 0; i < d->n_workers; i++) {
		struct lb_worker *wk = d->workers[i];

		if (wk == NULL)
			continue;
		while (wk->to_ctl != NULL && rte_ring_dequeue(wk->to_ctl, (void **)&m) == 0)
			rte_pktmbuf_free(m);
		while (wk->from_ctl != NULL && rte_ring_dequeue(wk->from_ctl, (void **)&m) == 0)
			rte_pktmbuf_free(m);
		while (wk->to_host != NULL && rte_ring_dequeue(wk->to_host, (void **)&m) == 0)
			rte_pktmbuf_free(m);
		rte_ring_free(wk->to_ctl);
		rte_ring_free(wk->from_ctl);
		rte_ring_free(wk->to_host);
		rte_ring_free(wk->sync_out);
		rte_ring_free(wk->sync_in);
		lb_worker_free(wk);
	}
	rte_free(d->qsbr);
}

/* At exit, the workers' counters summed, one "name value" per line, so a
 * run on a pcap can be checked against what went in. */
static void
log_counters(const struct daemon *d)
{
	struct lb_core_stats t;
	uint16_t i;
	int r;

	memset(&t, 0, sizeof(t));
	for (i = 0; i < d->n_workers; i++) {
		const struct lb_core_stats *s = &d->workers[i]->stats;

		t.rx += s->rx;
		t.fwd += s->fwd;
		t.reply += s->reply;
		t.to_control += s->to_control;
		t.to_host += s->to_host;
		t.sent_icmp += s->sent_icmp;
		t.sent_icmp_limited += s->sent_icmp_limited;
		t.sent_control += s->sent_control;
		t.tx_dropped += s->tx_dropped;
		t.conn_created += s->conn_created;
		t.conn_expired += s->conn_expired;
		t.conn_reused += s->conn_reused;
		for (r = 0; r < LB_DROP_COUNT; r++)
			t.drop[r] += s->drop[r];
	}
	RTE_LOG(INFO, USER1, "counter rx %" PRIu64 "\n", t.rx);
	RTE_LOG(INFO, USER1, "counter fwd %" PRIu64 "\n", t.fwd);
	RTE_LOG(INFO, USER1, "counter reply %" PRIu64 "\n", t.reply);
	RTE_LOG(INFO, USER1, "counter to_control %" PRIu64 "\n", t.to_control);
	RTE_LOG(INFO, USER1, "counter to_host %" PRIu64 "\n", t.to_host);
	RTE_LOG(INFO, USER1, "counter sent_icmp %" PRIu64 "\n", t.sent_icmp);
	RTE_LOG(INFO, USER1, "counter sent_icmp_limited %" PRIu64 "\n", t.sent_icmp_limited);
	RTE_LOG(INFO, USER1, "counter sent_control %" PRIu64 "\n", t.sent_control);
	RTE_LOG(INFO, USER1, "counter tx_dropped %" PRIu64 "\n", t.tx_dropped);
	RTE_LOG(INFO, USER1, "counter conn_created %" PRIu64 "\n", t.conn_created);
	RTE_LOG(INFO, USER1, "counter conn_expired %" PRIu64 "\n", t.conn_expired);
	RTE_LOG(INFO, USER1, "counter conn_reused %" PRIu64 "\n", t.conn_reused);
	for (r = 0; r < LB_DROP_COUNT; r++)
		RTE_LOG(INFO, USER1, "counter drop.%s %" PRIu64 "\n", lb_drop_name[r], t.drop[r]);
}

static int
run(struct daemon *d, struct lb_conf *conf)
{
	unsigned int lcore;
	uint64_t drain_end = 0;
	uint16_t want, i = 0;
	int rc;

	want = (uint16_t)RTE_MIN(rte_lcore_count() - 1, (unsigned int)LB_MAX_WORKERS);
	if (want == 0) {
		RTE_LOG(ERR, USER1, "lbd needs a worker lcore besides the main one (-l 0-1)\n");
		return -EINVAL;
	}
	d->pool = rte_pktmbuf_pool_create("lb_mbufs", conf->mbufs, 256, 0,
			RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());
	if (d->pool == NULL) {
		RTE_LOG(ERR, USER1, "cannot create a pool of %u mbufs: %s\n", conf->mbufs,
				rte_strerror(rte_errno));
		return -ENOMEM;
	}
	d->n_workers = want;
	rc = lb_ports_init(conf, d->pool, &d->n_workers, d->ports);
	if (rc != 0)
		return rc;
	d->n_ports = conf->n_ports;
	/* the kernel interfaces before the model copies the ports' info */
	rc = lb_host_init(conf, d->ports, d->n_ports, d->n_workers);
	if (rc != 0)
		return rc;
	rc = lb_model_init(conf, d->ports, d->n_ports);
	if (rc == 0)
		rc = lb_model_publish();
	if (rc == 0)
		rc = create_workers(d, conf);
	if (rc != 0) {
		RTE_LOG(ERR, USER1, "start-up failed: %s\n", strerror(-rc));
		return rc;
	}
	rc = lb_host_start(d->workers, d->n_workers);
	if (rc != 0)
		return rc;
	lb_neigh_init(d->pool, d->workers, d->n_workers);
	lb_model_set_workers(d->workers, d->n_workers, d->qsbr);
	rc = lb_ctl_init(conf, d->workers, d->n_workers);
	if (rc != 0)
		return rc;
	lb_telemetry_init(conf->socket);
	rc = lb_metrics_start(conf);
	if (rc != 0)
		return rc;
	rc = lb_health_start();
	if (rc != 0)
		return rc;
	rc = lb_announce_init(conf, d->workers, d->n_workers);
	if (rc != 0)
		return rc;
	lb_sync_init(d->workers, d->n_workers, d->ports[0].port_id);
	lb_vipown_init(conf);
	for (i = 0; i < LB_SYNC_ROLES; i++) {
		char err[160];

		if (conf->sync_on[i] && lb_sync_start(i, &conf->sync[i], err, sizeof(err)) != 0) {
			RTE_LOG(ERR, USER1, "sync: %s\n", err);
			return -EINVAL;
		}
	}
	i = 0;

	RTE_LCORE_FOREACH_WORKER(lcore) {
		if (i == d->n_workers)
			break;
		d->workers[i]->lcore_id = lcore;
		rte_eal_remote_launch(lb_worker_loop, d->workers[i], lcore);
		i++;
	}
	RTE_LOG(INFO, USER1, "lbd " LB_VERSION ": %u port(s), %u worker(s), %u service(s),"
			" %u connections per worker\n", d->n_ports, d->n_workers,
			conf->n_services, lb_conn_capacity(d->workers[0]->ct));

	lb_neigh_announce();
	lb_notify_init(d->workers, d->n_workers);
	lb_notify_ready();
	while (!stop) {
		uint32_t now = lb_clock_now();
		uint64_t t0 = lb_thread_cpu_ns();

		if (drain == 1) {
			drain = 2;
			drain_end = lb_mono_ms() + 1000ull * lb_announce_drain_seconds();
			lb_announce_stop();
			RTE_LOG(INFO, USER1, "lbd: SIGTERM: VIPs withdrawn, forwarding for %u s\n",
					lb_announce_drain_seconds());
		}
		if (drain == 2 && lb_mono_ms() >= drain_end)
			break;
		if (reload) {
			reload = 0;
			lb_notify_reloading();
			lb_reload(conf);
			lb_notify_ready();
		}

		lb_ports_poll(d->ports, d->n_ports);
		lb_neigh_poll(now);
		lb_model_update_overload(d->workers, d->n_workers);
		lb_model_estimate(now);
		lb_model_gc();
		lb_health_poll();
		lb_announce_poll();
		lb_sync_poll();
		lb_vipown_poll();
		lb_notify_poll();
		lb_ctl_poll(10);
		lb_ctl_loop_done(lb_thread_cpu_ns() - t0);
	}
	RTE_LOG(INFO, USER1, "lbd: stopping\n");
	lb_notify_stopping();
	for (i = 0; i < d->n_workers; i++)
		d->workers[i]->stop = true;
	rte_eal_mp_wait_lcore();
	lb_metrics_stop();
	lb_sync_fini();
	lb_announce_fini();
	lb_health_stop();
	lb_host_fini();
	lb_ctl_fini();
	log_counters(d);
	return 0;
}

int
lb_daemon_run(struct lb_conf *conf, const char *prog, int eal_argc, char **eal_argv)
{
	struct daemon d;
	char **argv;
	int argc, rc;

	memset(&d, 0, sizeof(d));
	argv = eal_args(conf, prog, eal_argc, eal_argv, &argc);
	if (argv == NULL)
		return 1;
	if (rte_eal_init(argc, argv) < 0) {
		fprintf(stderr, "lbd: cannot initialise the EAL: %s\n", rte_strerror(rte_errno));
		free(argv);
		return 1;
	}
	free(argv);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);
	lb_clock_init();

	rc = run(&d, conf);

	lb_metrics_stop();	/* when start-up failed half-way */
	lb_announce_fini();
	lb_health_stop();
	lb_host_fini();
	lb_ports_fini(d.ports, d.n_ports);
	free_workers(&d);
	lb_model_fini();
	/* Every mbuf has come back by now (ports closed, rings drained): one
	 * that has not is a leak, and lbd says so with its exit status. */
	if (d.pool != NULL) {
		unsigned int in_use = rte_mempool_in_use_count(d.pool);

		RTE_LOG(INFO, USER1, "counter mbufs_in_use %u\n", in_use);
		if (in_use != 0) {
			RTE_LOG(ERR, USER1, "lbd: %u mbufs never came back to the pool: a leak\n",
					in_use);
			rc = rc != 0 ? rc : -EFAULT;
		}
	}
	rte_mempool_free(d.pool);
	rte_eal_cleanup();
	return rc == 0 ? 0 : 1;
}
