/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The health checker (see health.h).
 *
 * One record per checked server, in an array sorted by token: epoll events
 * and timers carry the token, so the array can be rebuilt when the model
 * changes without leaving a stale pointer anywhere. Each record always has
 * exactly one deadline, in a binary heap: the start of its next attempt, or
 * the end of the running one. Thousands of servers cost one heap operation
 * per attempt and nothing while they wait. The HTTP and TLS exchange is in
 * health_http.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>

#include <rte_common.h>
#include <rte_lcore.h>
#include <rte_log.h>

#include "control/check.h"
#include "control/clock.h"
#include "control/config.h"
#include "control/health.h"
#include "control/model.h"

#define WAKE_TOKEN	0	/* the eventfd's; server tokens start at 1 */
#include "control/health_int.h"

struct event {
	uint64_t token;
	int32_t weight;
	bool up;
};

/* Shared with the main thread, under lock. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct lb_health_target *pending;	/* a new target list, or NULL */
static uint32_t n_pending;
static bool have_pending;
static struct event *events;
static uint32_t n_events, cap_events;
static volatile bool quit;
static struct lb_api_health_hdr figures;

/* The checker's own (records are read by the main thread under lock). */
static struct hc *hcs;
static uint32_t n_hcs;
static uint32_t *heap;		/* indices in hcs */
static uint32_t n_heap;
static int ep = -1, wake_fd = -1;
static SSL_CTX *tls;
static pthread_t thread;
static bool started;
static uint64_t start_ms;

/* ---- the deadline heap ---- */

static bool
earlier(uint32_t a, uint32_t b)
{
	return hcs[heap[a]].due_ms < hcs[heap[b]].due_ms;
}

static void
heap_swap(uint32_t a, uint32_t b)
{
	uint32_t t = heap[a];

	heap[a] = heap[b];
	heap[b] = t;
	hcs[heap[a]].heap_pos = a;
	hcs[heap[b]].heap_pos = b;
}

static void
heap_fix(uint32_t i)
{
	while (i > 0 && earlier(i, (i - 1) / 2)) {
		heap_swap(i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
	for (;;) {
		uint32_t l = 2 * i + 1, m = i;

		if (l < n_heap && earlier(l, m))
			m = l;
		if (l + 1 < n_heap && earlier(l + 1, m))
			m = l + 1;
		if (m == i)
			return;
		heap_swap(i, m);
		i = m;
	}
}

static void
set_due(struct hc *h, uint64_t due)
{
	h->due_ms = due;
	heap_fix(h->heap_pos);
}

static struct hc *
find(uint64_t token)
{
	uint32_t lo = 0, hi = n_hcs;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (hcs[mid].t.token == token)
			return &hcs[mid];
		if (hcs[mid].t.token < token)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* ---- results ---- */

static void
describe(const struct hc *h, char *buf, size_t size)
{
	char v[LB_ADDRPORT_STRLEN], a[LB_ADDRPORT_STRLEN];

	snprintf(buf, size, "%s %s -> %s", lb_proto_name(h->t.proto),
			lb_addrport_str(h->t.af, &h->t.vip, h->t.vport, v, sizeof(v)),
			lb_addrport_str(h->t.af, &h->t.addr, h->t.port, a, sizeof(a)));
}

static void
push_event(const struct hc *h)
{
	if (n_events == cap_events) {
		uint32_t cap = cap_events ? cap_events * 2 : 64;
		struct event *p = realloc(events, cap * sizeof(*p));

		if (p == NULL)
			return;	/* the next transition carries the state again */
		events = p;
		cap_events = cap;
	}
	events[n_events++] = (struct event){ h->t.token, h->weight, h->up };
}

static void
abandon(struct hc *h)
{
	if (h->ssl != NULL) {
		SSL_free(h->ssl);
		h->ssl = NULL;
	}
	if (h->fd >= 0) {
		close(h->fd);	/* leaves the epoll set with it */
		h->fd = -1;
	}
	if (h->pid > 0) {
		kill(-h->pid, SIGKILL);
		waitpid(h->pid, NULL, 0);
		h->pid = 0;
	}
	if (h->md5 != NULL) {
		EVP_MD_CTX_free(h->md5);
		h->md5 = NULL;
	}
	free(h->hdr);
	h->hdr = NULL;
	h->phase = P_IDLE;
}

void
lb_hc_finish(struct hc *h, bool ok, int32_t weight, const char *fmt, ...)
{
	const struct lb_check_conf *c = h->t.check;
	uint64_t now = lb_mono_ms();
	char what[80], text[RESULT_LEN];
	bool moved = false;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	abandon(h);
	pthread_mutex_lock(&lock);
	h->latency_us = (uint32_t)RTE_MIN((lb_mono_ns() - h->started_ns) / 1000, UINT32_MAX);
	snprintf(h->result, sizeof(h->result), "%s", text);
	if (ok) {
		h->fails = 0;
		if (!h->up || weight != h->weight) {
			moved = !h->up;
			h->up = true;
			h->weight = weight;
			if (moved)
				h->since = (int64_t)time(NULL);
			push_event(h);
		}
	} else {
		h->fails++;
		if (h->up && h->fails > c->retry) {
			h->up = false;
			h->since = (int64_t)time(NULL);
			moved = true;
			push_event(h);
		}
	}
	pthread_mutex_unlock(&lock);
	if (moved) {
		describe(h, what, sizeof(what));
		if (h->up)
			RTE_LOG(NOTICE, USER1, "check: %s UP: %s\n", what, text);
		else
			RTE_LOG(WARNING, USER1, "check: %s DOWN after %u failure%s: %s\n", what,
					h->fails, h->fails == 1 ? "" : "s", text);
	}
	/* keepalived: a failure of a server still up is retried sooner */
	if (!ok && h->up)
		set_due(h, now + c->delay_before_retry_ms);
	else
		set_due(h, now + c->delay_loop_ms);
}

/* ---- attempts ---- */

int
lb_hc_watch(struct hc *h, uint32_t what)
{
	struct epoll_event ev = { .events = what, .data.u64 = h->t.token };

	if (epoll_ctl(ep, EPOLL_CTL_MOD, h->fd, &ev) == 0)
		return 0;
	return epoll_ctl(ep, EPOLL_CTL_ADD, h->fd, &ev) == 0 ? 0 : -errno;
}

static void
start_misc(struct hc *h)
{
	const struct lb_check_conf *c = h->t.check;
	char *argv[] = { (char *)(uintptr_t)"/bin/sh", (char *)(uintptr_t)"-c",
		(char *)(uintptr_t)c->command, NULL };
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none, all;
	int rc;

	if (c->command[0] == '\0') {	/* a service's default left it to each server */
		lb_hc_finish(h, false, -1, "no command to run");
		return;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&attr);
	/* nothing of lbd's reaches the command: no descriptor, no signal mask */
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addclosefrom_np(&fa, 3);
	sigemptyset(&none);
	sigfillset(&all);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &all);
	posix_spawnattr_setpgroup(&attr, 0);	/* a timeout kills the whole group */
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
			POSIX_SPAWN_SETSIGDEF);
	rc = posix_spawn(&h->pid, "/bin/sh", &fa, &attr, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	if (rc != 0) {
		h->pid = 0;
		lb_hc_finish(h, false, -1, "cannot run the command: %s", strerror(rc));
		return;
	}
	h->fd = (int)syscall(SYS_pidfd_open, h->pid, 0);
	if (h->fd < 0 || lb_hc_watch(h, EPOLLIN) < 0) {
		lb_hc_finish(h, false, -1, "cannot watch the command: %s", strerror(errno));
		return;
	}
	h->phase = P_CHILD;
	set_due(h, lb_mono_ms() + c->timeout_ms);
}

static void
child_done(struct hc *h)
{
	const struct lb_check_conf *c = h->t.check;
	int st, code;

	if (waitpid(h->pid, &st, WNOHANG) != h->pid)
		return;	/* not yet */
	h->pid = 0;
	if (WIFSIGNALED(st)) {
		lb_hc_finish(h, false, -1, "killed by signal %d", WTERMSIG(st));
		return;
	}
	code = WEXITSTATUS(st);
	/* keepalived: 0 up, 1 down; with misc_dynamic 2..255 up with weight exit-2 */
	if (code == 0)
		lb_hc_finish(h, true, -1, "exit 0");
	else if (c->dynamic && code >= 2)
		lb_hc_finish(h, true, code - 2, "exit %d: weight %d", code, code - 2);
	else
		lb_hc_finish(h, false, -1, "exit %d", code);
}

static void
start_connect(struct hc *h)
{
	const struct lb_check_conf *c = h->t.check;
	uint16_t port = htons(c->connect_port ? c->connect_port : h->t.port);
	struct sockaddr_in sa = {
		.sin_family = AF_INET, .sin_port = port,
		.sin_addr.s_addr = c->connect_ip ? c->connect_ip : h->t.addr.v4,
	};
	/* connect_ip is IPv4 (the loader refuses it in an IPv6 service) */
	struct sockaddr_in6 sa6 = { .sin6_family = AF_INET6, .sin6_port = port };
	bool v6 = h->t.af == AF_INET6;

	memcpy(&sa6.sin6_addr, h->t.addr.v6, sizeof(sa6.sin6_addr));
	h->fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (h->fd < 0) {
		lb_hc_finish(h, false, -1, "socket: %s", strerror(errno));
		return;
	}
	h->phase = P_CONNECT;
	set_due(h, lb_mono_ms() + c->connect_timeout_ms);
	if (connect(h->fd, v6 ? (struct sockaddr *)&sa6 : (struct sockaddr *)&sa,
				v6 ? sizeof(sa6) : sizeof(sa)) < 0 && errno != EINPROGRESS) {
		lb_hc_finish(h, false, -1, "connect: %s", strerror(errno));
		return;
	}
	if (lb_hc_watch(h, EPOLLOUT) < 0)
		lb_hc_finish(h, false, -1, "epoll: %s", strerror(errno));
}

static void
start(struct hc *h)
{
	uint64_t ns = lb_mono_ns(), due_us = h->due_ms * 1000, now_us = ns / 1000;
	uint64_t late = now_us > due_us ? now_us - due_us : 0;

	pthread_mutex_lock(&lock);
	h->checks++;
	figures.attempts++;
	figures.late_attempts++;
	figures.late_sum_us += late;
	if (late > figures.late_max_us)
		figures.late_max_us = late;
	pthread_mutex_unlock(&lock);
	h->started_ns = ns;
	if (h->t.check->type == LB_CHECK_MISC)
		start_misc(h);
	else
		start_connect(h);
}


static void
connected(struct hc *h)
{
	const struct lb_check_conf *c = h->t.check;
	socklen_t len = sizeof(int);
	int err = 0;

	if (getsockopt(h->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		err = errno;
	if (err != 0) {
		lb_hc_finish(h, false, -1, "%s", err == ECONNREFUSED ? "connection refused" :
				strerror(err));
		return;
	}
	if (c->type == LB_CHECK_TCP) {
		lb_hc_finish(h, true, -1, "connected");
		return;
	}
	lb_hc_http_begin(h, tls);
}

static void
on_io(struct hc *h)
{
	switch (h->phase) {
	case P_CONNECT:
		connected(h);
		break;
	case P_TLS:
	case P_SEND:
	case P_RECV:
		lb_hc_http_io(h);
		break;
	case P_CHILD:
		child_done(h);
		break;
	case P_IDLE:
		break;
	}
}

static void
on_due(struct hc *h)
{
	const struct lb_check_conf *c = h->t.check;

	switch (h->phase) {
	case P_IDLE:
		start(h);
		break;
	case P_CHILD:
		lb_hc_finish(h, false, -1, "timed out after %.3g s: killed", c->timeout_ms / 1000.0);
		break;
	case P_CONNECT:
		lb_hc_finish(h, false, -1, "connect timed out after %.3g s",
				c->connect_timeout_ms / 1000.0);
		break;
	default:
		lb_hc_finish(h, false, -1, "no complete reply within %.3g s",
				c->connect_timeout_ms / 1000.0);
		break;
	}
}

/* ---- the target list ---- */

static int
target_cmp(const void *a, const void *b)
{
	const struct lb_health_target *x = a, *y = b;

	return x->token < y->token ? -1 : x->token > y->token;
}

static void
hc_init(struct hc *h, const struct lb_health_target *t, uint64_t now)
{
	memset(h, 0, sizeof(*h));
	h->t = *t;
	h->fd = -1;
	h->up = !t->check->alpha;
	h->weight = -1;
	h->since = (int64_t)time(NULL);
	snprintf(h->result, sizeof(h->result), "not checked yet");
	h->due_ms = now;
	if (t->check->warmup_ms > 0)
		h->due_ms += (uint64_t)rand() % t->check->warmup_ms;
}

/* Merge the model's new list into hcs: a server kept keeps its state. */
static void
reconcile(struct lb_health_target *t, uint32_t n)
{
	struct hc *next = calloc((size_t)n + 1, sizeof(*next));
	uint32_t *nheap = calloc((size_t)n + 1, sizeof(*nheap));
	uint64_t now = lb_mono_ms();
	uint32_t i, j = 0;

	if (next == NULL || nheap == NULL) {
		free(next);
		free(nheap);
		RTE_LOG(ERR, USER1, "check: out of memory: the checks stay as they were\n");
		return;
	}
	qsort(t, n, sizeof(*t), target_cmp);
	for (i = 0; i < n_hcs; i++) {
		while (j < n && t[j].token < hcs[i].t.token)
			j++;
		if (j < n && t[j].token == hcs[i].t.token && t[j].check == hcs[i].t.check)
			continue;
		abandon(&hcs[i]);	/* gone, or checked differently */
	}
	pthread_mutex_lock(&lock);
	for (i = 0, j = 0; i < n; i++) {
		while (j < n_hcs && hcs[j].t.token < t[i].token)
			j++;
		if (j < n_hcs && hcs[j].t.token == t[i].token && hcs[j].t.check == t[i].check) {
			next[i] = hcs[j];
			next[i].t = t[i];
		} else {
			hc_init(&next[i], &t[i], now);
			/* the same server checked differently keeps the state the
			 * model has: only a transition is ever reported */
			if (j < n_hcs && hcs[j].t.token == t[i].token) {
				next[i].up = hcs[j].up;
				next[i].weight = hcs[j].weight;
				next[i].since = hcs[j].since;
			}
		}
		nheap[i] = i;
		next[i].heap_pos = i;
	}
	free(hcs);
	free(heap);
	hcs = next;
	heap = nheap;
	n_hcs = n_heap = n;
	figures.n_checked = n;
	pthread_mutex_unlock(&lock);
	for (i = n / 2 + 1; i-- > 0;)
		if (i < n_heap)
			heap_fix(i);
}

static void *
checker(void *arg)
{
	struct epoll_event evs[64];
	uint32_t i;
	int n;

	(void)arg;
	while (!quit) {
		uint64_t now = lb_mono_ms();
		int timeout = 1000;

		if (n_heap > 0)
			timeout = hcs[heap[0]].due_ms <= now ? 0 :
				(int)RTE_MIN(hcs[heap[0]].due_ms - now, 1000u);
		n = epoll_wait(ep, evs, RTE_DIM(evs), timeout);
		for (i = 0; n > 0 && i < (uint32_t)n; i++) {
			struct hc *h;

			if (evs[i].data.u64 == WAKE_TOKEN) {
				uint64_t v;
				struct lb_health_target *t = NULL;
				uint32_t nt = 0;
				bool got;

				if (read(wake_fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
					continue;
				pthread_mutex_lock(&lock);
				got = have_pending;
				if (got) {
					t = pending;
					nt = n_pending;
					pending = NULL;
					have_pending = false;
				}
				pthread_mutex_unlock(&lock);
				if (got)
					reconcile(t, nt);
				free(t);
				continue;
			}
			h = find(evs[i].data.u64);
			if (h != NULL)
				on_io(h);
		}
		now = lb_mono_ms();
		while (n_heap > 0 && hcs[heap[0]].due_ms <= now && !quit)
			on_due(&hcs[heap[0]]);
		__atomic_store_n(&figures.cpu_ns, lb_thread_cpu_ns(), __ATOMIC_RELAXED);
	}
	for (i = 0; i < n_hcs; i++)
		abandon(&hcs[i]);
	return NULL;
}

/* ---- the main thread's side ---- */

int
lb_health_start(void)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = WAKE_TOKEN };
	int rc;

	ep = epoll_create1(EPOLL_CLOEXEC);
	wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (ep < 0 || wake_fd < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, wake_fd, &ev) < 0) {
		rc = -errno;
		RTE_LOG(ERR, USER1, "check: cannot set up the checker: %s\n", strerror(-rc));
		return rc;
	}
	/* No certificate is verified, as keepalived's SSL_GET without a CA. */
	tls = SSL_CTX_new(TLS_client_method());
	if (tls != NULL)
		SSL_CTX_set_verify(tls, SSL_VERIFY_NONE, NULL);
	else
		RTE_LOG(WARNING, USER1, "check: no TLS context: https checks will fail\n");
	quit = false;
	start_ms = lb_mono_ms();
	rc = rte_ctrl_thread_create(&thread, "lbd-health", NULL, checker, NULL);
	if (rc != 0) {
		RTE_LOG(ERR, USER1, "check: cannot start the checker thread: %s\n",
				strerror(rc));
		return -rc;
	}
	started = true;
	return 0;
}

void
lb_health_poll(void)
{
	static struct lb_health_target list[LB_MAX_DESTS];
	struct event *ev = NULL;
	uint32_t i, n = 0;
	uint64_t one = 1;

	if (!started)
		return;
	if (lb_model_health_dirty()) {
		uint32_t nt = lb_model_health_targets(list, RTE_DIM(list));
		struct lb_health_target *copy = malloc(((size_t)nt + 1) * sizeof(*copy));

		if (copy != NULL) {
			memcpy(copy, list, nt * sizeof(*copy));
			pthread_mutex_lock(&lock);
			free(pending);
			pending = copy;
			n_pending = nt;
			have_pending = true;
			pthread_mutex_unlock(&lock);
			if (write(wake_fd, &one, sizeof(one)) < 0)
				RTE_LOG(DEBUG, USER1, "check: wake: %s\n", strerror(errno));
		}
	}
	pthread_mutex_lock(&lock);
	if (n_events > 0) {
		ev = events;
		n = n_events;
		events = NULL;
		n_events = cap_events = 0;
	}
	pthread_mutex_unlock(&lock);
	for (i = 0; i < n; i++)
		lb_model_health_set(ev[i].token, ev[i].up, ev[i].weight);
	free(ev);
	lb_model_health_publish();
}

void
lb_health_status(uint64_t token, struct lb_api_health_dest *o)
{
	const struct hc *h;

	if (token == 0 || !started)
		return;
	pthread_mutex_lock(&lock);
	h = find(token);
	if (h != NULL) {
		o->fails = h->fails;
		o->latency_us = h->latency_us;
		o->checks = h->checks;
		o->since = h->since;
		snprintf(o->result, sizeof(o->result), "%s", h->result);
	} else {
		snprintf(o->result, sizeof(o->result), "not checked yet");
	}
	pthread_mutex_unlock(&lock);
}

void
lb_health_stats(struct lb_api_health_hdr *o)
{
	pthread_mutex_lock(&lock);
	*o = figures;
	pthread_mutex_unlock(&lock);
	o->cpu_ns = __atomic_load_n(&figures.cpu_ns, __ATOMIC_RELAXED);
	o->running_ms = started ? lb_mono_ms() - start_ms : 0;
}

void
lb_health_zero(void)
{
	pthread_mutex_lock(&lock);
	figures.late_max_us = 0;
	figures.late_sum_us = 0;
	figures.late_attempts = 0;
	pthread_mutex_unlock(&lock);
}

void
lb_health_stop(void)
{
	uint64_t one = 1;

	if (!started)
		return;
	quit = true;
	if (write(wake_fd, &one, sizeof(one)) < 0)
		RTE_LOG(DEBUG, USER1, "check: wake: %s\n", strerror(errno));
	pthread_join(thread, NULL);
	started = false;
	free(hcs);
	free(heap);
	hcs = NULL;
	heap = NULL;
	n_hcs = n_heap = 0;
	free(pending);
	pending = NULL;
	free(events);
	events = NULL;
	n_events = cap_events = 0;
	SSL_CTX_free(tls);
	tls = NULL;
	close(ep);
	close(wake_fd);
	ep = wake_fd = -1;
}
