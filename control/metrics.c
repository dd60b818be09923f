/* SPDX-License-Identifier: BSD-3-Clause */
/* The metrics server's thread: a small HTTP server for /metrics (see metrics.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <rte_log.h>

#include "control/clock.h"
#include "control/metrics.h"
#include "control/obs.h"
#include "control/promfmt.h"

#define HEAD_MAX	8192

struct client {
	int fd;			/* -1: free slot */
	char in[HEAD_MAX];
	size_t in_len;
	char *out;		/* the whole reply, once the request is read */
	size_t out_len, out_off;
	uint64_t deadline_ms;
};

static struct {
	int listen_fd;
	int wake[2];		/* the stop signal: a byte on wake[1] */
	pthread_t thread;
	bool running;
	struct lb_obs_client obs;
	struct lb_prom_self self;
	struct client clients[LB_METRICS_CLIENTS];
} ms = { .listen_fd = -1, .wake = { -1, -1 } };

static void
client_close(struct client *c)
{
	close(c->fd);
	free(c->out);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

/* c's reply: status line, headers, body (not sent for HEAD). */
static void
respond(struct client *c, const char *status, const char *type, const char *extra,
		const char *body, size_t body_len, bool head)
{
	char hdr[512];
	int n = snprintf(hdr, sizeof(hdr), "HTTP/1.1 %s\r\nContent-Type: %s\r\n"
			"Content-Length: %zu\r\n%sConnection: close\r\n\r\n", status, type,
			body_len, extra);
	size_t len = (size_t)n + (head ? 0 : body_len);

	c->out = malloc(len);
	if (c->out == NULL) {
		c->out_len = 0;
		return;
	}
	memcpy(c->out, hdr, (size_t)n);
	if (!head && body_len > 0)
		memcpy(c->out + n, body, body_len);
	c->out_len = len;
	c->out_off = 0;
}

static void
serve_metrics(struct client *c, bool head)
{
	static const char fail[] = "lbd's control socket did not answer\n";
	struct lb_obs o;
	char *body = NULL;
	size_t len = 0;
	uint64_t t0 = lb_mono_ns();
	FILE *m;
	int rc;

	rc = lb_obs_fetch(&ms.obs, &o);
	if (rc == 0) {
		ms.self.scrapes++;
		m = open_memstream(&body, &len);
		if (m == NULL || lb_prom_write(m, &o, &ms.self) < 0)
			rc = -ENOMEM;
		if (m != NULL)
			fclose(m);
	}
	lb_obs_free(&o);
	ms.self.last_seconds = (double)(lb_mono_ns() - t0) / 1e9;
	if (rc == 0)
		respond(c, "200 OK", "text/plain; version=0.0.4; charset=utf-8", "", body, len,
				head);
	else {
		ms.self.errors++;
		respond(c, "503 Service Unavailable", "text/plain; charset=utf-8", "", fail,
				sizeof(fail) - 1, head);
	}
	free(body);
}

/* The request's head is in: answer it. */
static void
handle(struct client *c)
{
	static const char index_page[] = "<html><head><title>lbd</title></head><body>"
		"<h1>lbd</h1><p><a href=\"/metrics\">Metrics</a></p></body></html>\n";
	char method[8], target[256], version[16];
	bool head;

	c->in[c->in_len] = '\0';
	if (sscanf(c->in, "%7s %255s %15s", method, target, version) != 3 ||
			strncmp(version, "HTTP/1.", 7) != 0) {
		respond(c, "400 Bad Request", "text/plain", "", "bad request\n", 12, false);
		return;
	}
	head = strcmp(method, "HEAD") == 0;
	if (!head && strcmp(method, "GET") != 0) {
		respond(c, "405 Method Not Allowed", "text/plain", "Allow: GET, HEAD\r\n",
				"GET or HEAD\n", 12, false);
		return;
	}
	if (strcmp(target, "/metrics") == 0 || strncmp(target, "/metrics?", 9) == 0)
		serve_metrics(c, head);
	else if (strcmp(target, "/") == 0)
		respond(c, "200 OK", "text/html; charset=utf-8", "", index_page,
				sizeof(index_page) - 1, head);
	else
		respond(c, "404 Not Found", "text/plain", "", "not found: try /metrics\n", 24,
				head);
}

static void
on_readable(struct client *c)
{
	ssize_t n = read(c->fd, c->in + c->in_len, HEAD_MAX - 1 - c->in_len);

	if (n <= 0) {
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		client_close(c);
		return;
	}
	c->in_len += (size_t)n;
	c->in[c->in_len] = '\0';
	if (strstr(c->in, "\r\n\r\n") != NULL || strstr(c->in, "\n\n") != NULL)
		handle(c);
	else if (c->in_len == HEAD_MAX - 1)
		respond(c, "431 Request Header Fields Too Large", "text/plain", "",
				"request head over 8 KiB\n", 24, false);
	else
		return;	/* more of the head to come */
	if (c->out == NULL)
		client_close(c);	/* no memory for the reply */
}

static void
on_writable(struct client *c)
{
	ssize_t n = write(c->fd, c->out + c->out_off, c->out_len - c->out_off);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		client_close(c);
		return;
	}
	c->out_off += (size_t)n;
	if (c->out_off == c->out_len)
		client_close(c);
}

static void
accept_one(void)
{
	int fd = accept4(ms.listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	unsigned int i;
	struct client *c = NULL, *free_slot = NULL;

	if (fd < 0)
		return;
	for (i = 0; i < LB_METRICS_CLIENTS && free_slot == NULL; i++)
		if (ms.clients[i].fd < 0)
			free_slot = &ms.clients[i];
	/* every slot busy: the oldest client still sending its request gives way,
	 * so that idle connections cannot lock scrapers out */
	for (i = 0; i < LB_METRICS_CLIENTS && free_slot == NULL; i++)
		if (ms.clients[i].out == NULL && (c == NULL || ms.clients[i].deadline_ms <
					c->deadline_ms))
			c = &ms.clients[i];
	if (free_slot != NULL)
		c = free_slot;
	if (c == NULL) {
		close(fd);	/* all of them being answered: the scraper retries */
		return;
	}
	if (c->fd >= 0)
		client_close(c);
	c->fd = fd;
	c->deadline_ms = lb_mono_ms() + LB_METRICS_TIMEOUT_MS;
}

static void *
metrics_main(void *arg)
{
	struct pollfd pfd[2 + LB_METRICS_CLIENTS];
	int slot[2 + LB_METRICS_CLIENTS];
	unsigned int i, n;

	for (;;) {
		uint64_t now = lb_mono_ms();

		pfd[0] = (struct pollfd){ .fd = ms.wake[0], .events = POLLIN };
		pfd[1] = (struct pollfd){ .fd = ms.listen_fd, .events = POLLIN };
		n = 2;
		for (i = 0; i < LB_METRICS_CLIENTS; i++) {
			struct client *c = &ms.clients[i];

			if (c->fd < 0)
				continue;
			if (now >= c->deadline_ms) {
				client_close(c);
				continue;
			}
			pfd[n] = (struct pollfd){ .fd = c->fd,
				.events = c->out_len > 0 ? POLLOUT : POLLIN };
			slot[n++] = (int)i;
		}
		if (poll(pfd, n, 1000) < 0 && errno != EINTR)
			break;
		if (pfd[0].revents != 0)
			break;
		for (i = 2; i < n; i++) {
			struct client *c = &ms.clients[slot[i]];

			if (pfd[i].revents & (POLLERR | POLLNVAL))
				client_close(c);
			else if (pfd[i].revents & POLLOUT)
				on_writable(c);
			else if (pfd[i].revents & (POLLIN | POLLHUP))
				on_readable(c);
		}
		if (pfd[1].revents & POLLIN)
			accept_one();
	}
	for (i = 0; i < LB_METRICS_CLIENTS; i++)
		if (ms.clients[i].fd >= 0)
			client_close(&ms.clients[i]);
	lb_obs_client_close(&ms.obs);
	return NULL;
}

int
lb_metrics_start(const struct lb_conf *conf)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
		.sin_addr.s_addr = conf->metrics_addr, .sin_port = htons(conf->metrics_port) };
	char a[INET_ADDRSTRLEN];
	unsigned int i;
	int one = 1, rc;

	if (!conf->has_metrics)
		return 0;
	inet_ntop(AF_INET, &conf->metrics_addr, a, sizeof(a));
	for (i = 0; i < LB_METRICS_CLIENTS; i++)
		ms.clients[i].fd = -1;
	ms.listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (ms.listen_fd < 0 || pipe2(ms.wake, O_CLOEXEC) < 0) {
		rc = -errno;
		goto fail;
	}
	setsockopt(ms.listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(ms.listen_fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
			listen(ms.listen_fd, 16) < 0) {
		rc = -errno;
		goto fail;
	}
	lb_obs_client_init(&ms.obs, conf->socket);
	rc = -pthread_create(&ms.thread, NULL, metrics_main, NULL);
	if (rc != 0)
		goto fail;
	pthread_setname_np(ms.thread, "lbd-metrics");
	ms.running = true;
	RTE_LOG(INFO, USER1, "metrics: serving http://%s:%u/metrics\n", a, conf->metrics_port);
	return 0;
fail:
	RTE_LOG(ERR, USER1, "metrics: cannot listen on %s:%u: %s\n", a, conf->metrics_port,
			strerror(-rc));
	lb_metrics_stop();
	return rc;
}

void
lb_metrics_stop(void)
{
	if (ms.running) {
		if (write(ms.wake[1], "x", 1) != 1)
			RTE_LOG(ERR, USER1, "metrics: cannot wake the thread: %s\n", strerror(errno));
		pthread_join(ms.thread, NULL);
		ms.running = false;
	}
	if (ms.listen_fd >= 0)
		close(ms.listen_fd);
	if (ms.wake[0] >= 0)
		close(ms.wake[0]);
	if (ms.wake[1] >= 0)
		close(ms.wake[1]);
	ms.listen_fd = ms.wake[0] = ms.wake[1] = -1;
}
