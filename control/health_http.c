/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The health checker's HTTP_GET and SSL_GET (see health.h): once the
 * connection is up, keepalived's request goes out (over TLS for https), the
 * status line and headers are read into a bounded buffer, the body into an
 * MD5 when the check has a digest. Everything is non-blocking: each step
 * returns to the checker's epoll when the socket (or TLS) would block, and
 * every end, good or bad, goes through lb_hc_finish(). Checker thread only.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include <openssl/evp.h>
#include <openssl/ssl.h>

#include "control/check.h"
#include "control/config.h"
#include "control/health_int.h"

/* The request keepalived's HTTP_GET sends. */
static int
request(const struct hc *h, char *buf, size_t size)
{
	const struct lb_check_conf *c = h->t.check;
	char a[INET6_ADDRSTRLEN + 2], ip[INET6_ADDRSTRLEN];
	uint16_t port = c->connect_port ? c->connect_port : h->t.port;
	bool std_port = port == (c->type == LB_CHECK_HTTPS ? 443 : 80);
	char host[LB_CHECK_HOST_LEN + 24];

	/* an IPv6 literal goes in brackets (RFC 3986 3.2.2), as keepalived sends it */
	lb_ip_str(h->t.af, &h->t.addr, ip, sizeof(ip));
	snprintf(a, sizeof(a), h->t.af == AF_INET6 ? "[%s]" : "%s", ip);
	if (c->virtualhost[0] != '\0')
		snprintf(host, sizeof(host), "%s", c->virtualhost);
	else if (std_port)
		snprintf(host, sizeof(host), "%s", a);
	else
		snprintf(host, sizeof(host), "%s:%u", a, port);
	return snprintf(buf, size, "GET %s HTTP/1.0\r\nUser-Agent: KeepAliveClient\r\n"
			"Host: %s\r\n\r\n", c->path, host);
}


/* -1: failed (finished), 0: wait for epoll, n > 0 bytes moved. */
static int
xfer(struct hc *h, void *buf, size_t n, bool out)
{
	ssize_t r;
	int e;

	if (h->ssl != NULL) {
		r = out ? SSL_write(h->ssl, buf, (int)n) : SSL_read(h->ssl, buf, (int)n);
		if (r > 0)
			return (int)r;
		e = SSL_get_error(h->ssl, (int)r);
		if (e == SSL_ERROR_WANT_READ)
			return lb_hc_watch(h, EPOLLIN) < 0 ? -1 : 0;
		if (e == SSL_ERROR_WANT_WRITE)
			return lb_hc_watch(h, EPOLLOUT) < 0 ? -1 : 0;
		if (e == SSL_ERROR_ZERO_RETURN || (!out && e == SSL_ERROR_SYSCALL && r == 0))
			return -2;	/* closed */
		return -1;
	}
	r = out ? send(h->fd, buf, n, MSG_NOSIGNAL) : recv(h->fd, buf, n, 0);
	if (r > 0)
		return (int)r;
	if (r == 0)
		return -2;
	if (errno == EAGAIN || errno == EINTR)
		return lb_hc_watch(h, out ? EPOLLOUT : EPOLLIN) < 0 ? -1 : 0;
	return -1;
}

/* The status line and Content-Length, once the headers are in hdr[]. */
static bool
parse_head(struct hc *h, uint32_t end)
{
	char *p, *line_end;
	int major, minor, status;

	h->hdr[end - 1] = '\0';
	if (sscanf(h->hdr, "HTTP/%d.%d %3d", &major, &minor, &status) != 3 ||
			status < 100 || status > 599)
		return false;
	h->status = status;
	for (p = strstr(h->hdr, "\r\n"); p != NULL; p = line_end) {
		p += 2;
		line_end = strstr(p, "\r\n");
		if (strncasecmp(p, "Content-Length:", 15) == 0) {
			long long v = strtoll(p + 15, NULL, 10);

			if (v >= 0)
				h->body_left = v;
		}
	}
	return true;
}

static void
http_done(struct hc *h)
{
	const struct lb_check_conf *c = h->t.check;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	char hex[33];
	unsigned int i;

	if (!lb_check_code_ok(c, (unsigned int)h->status)) {
		lb_hc_finish(h, false, -1, "HTTP status %d", h->status);
		return;
	}
	if (!c->has_digest) {
		lb_hc_finish(h, true, -1, "HTTP %d", h->status);
		return;
	}
	EVP_DigestFinal_ex(h->md5, md, &mdlen);
	for (i = 0; i < 16 && i < mdlen; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	if (mdlen != 16 || memcmp(md, c->digest, 16) != 0)
		lb_hc_finish(h, false, -1, "HTTP %d, digest %s differs", h->status, hex);
	else
		lb_hc_finish(h, true, -1, "HTTP %d, digest ok", h->status);
}

/* Body bytes: into the digest, until Content-Length or the end. */
static bool
body(struct hc *h, const char *p, uint64_t n)
{
	if (h->body_left >= 0 && (int64_t)n > h->body_left)
		n = (uint64_t)h->body_left;
	if (h->body_len + n > BODY_MAX) {
		lb_hc_finish(h, false, -1, "body over %u MiB", BODY_MAX >> 20);
		return false;
	}
	EVP_DigestUpdate(h->md5, p, n);
	h->body_len += n;
	if (h->body_left >= 0)
		h->body_left -= (int64_t)n;
	if (h->body_left == 0 || !h->t.check->has_digest) {
		http_done(h);
		return false;
	}
	return true;
}

void
lb_hc_http_io(struct hc *h)
{
	char req[LB_CHECK_PATH_LEN + LB_CHECK_HOST_LEN + 128], buf[16384];
	int n, len, r;
	char *end;

	if (h->phase == P_TLS) {
		r = SSL_do_handshake(h->ssl);
		if (r != 1) {
			int e = SSL_get_error(h->ssl, r);

			if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
				if (lb_hc_watch(h, e == SSL_ERROR_WANT_READ ? EPOLLIN : EPOLLOUT) < 0)
					lb_hc_finish(h, false, -1, "epoll: %s", strerror(errno));
				return;
			}
			lb_hc_finish(h, false, -1, "TLS handshake failed");
			return;
		}
		h->phase = P_SEND;
	}
	if (h->phase == P_SEND) {
		len = request(h, req, sizeof(req));
		while (h->sent < (uint32_t)len) {
			n = xfer(h, req + h->sent, (size_t)len - h->sent, true);
			if (n == 0)
				return;
			if (n < 0) {
				lb_hc_finish(h, false, -1, "send: %s", n == -2 ? "connection closed" :
						strerror(errno));
				return;
			}
			h->sent += (uint32_t)n;
		}
		h->phase = P_RECV;
	}
	for (;;) {
		if (h->status == 0) {
			n = xfer(h, h->hdr + h->hdr_len, HDR_MAX - 1 - h->hdr_len, false);
		} else {
			n = xfer(h, buf, sizeof(buf), false);
		}
		if (n == 0)
			return;
		if (n == -2) {	/* the server closed: the reply is complete */
			if (h->status == 0)
				lb_hc_finish(h, false, -1, "connection closed before an HTTP reply");
			else
				http_done(h);
			return;
		}
		if (n < 0) {
			lb_hc_finish(h, false, -1, "receive: %s", h->ssl ? "TLS error" : strerror(errno));
			return;
		}
		if (h->status != 0) {
			if (!body(h, buf, (uint64_t)n))
				return;
			continue;
		}
		h->hdr_len += (uint32_t)n;
		h->hdr[h->hdr_len] = '\0';
		/* memmem: a reply may hold NULs before its headers end */
		end = memmem(h->hdr, h->hdr_len, "\r\n\r\n", 4);
		if (end == NULL) {
			if (h->hdr_len >= HDR_MAX - 1) {
				lb_hc_finish(h, false, -1, "HTTP headers over %u bytes", HDR_MAX);
				return;
			}
			continue;
		}
		len = (int)(end - h->hdr) + 4;
		if (!parse_head(h, (uint32_t)len)) {
			lb_hc_finish(h, false, -1, "not an HTTP reply");
			return;
		}
		if ((uint32_t)len < h->hdr_len || h->body_left == 0 || !h->t.check->has_digest) {
			if (!body(h, h->hdr + len, h->hdr_len - (uint32_t)len))
				return;
		}
	}
}

void
lb_hc_http_begin(struct hc *h, SSL_CTX *tls)
{
	const struct lb_check_conf *c = h->t.check;

	h->hdr = malloc(HDR_MAX);
	h->md5 = EVP_MD_CTX_new();
	if (h->hdr == NULL || h->md5 == NULL || EVP_DigestInit_ex(h->md5, EVP_md5(), NULL) != 1) {
		lb_hc_finish(h, false, -1, "out of memory");
		return;
	}
	h->sent = 0;
	h->hdr_len = 0;
	h->status = 0;
	h->body_left = -1;
	h->body_len = 0;
	if (c->type == LB_CHECK_HTTPS) {
		h->ssl = tls != NULL ? SSL_new(tls) : NULL;
		if (h->ssl == NULL || SSL_set_fd(h->ssl, h->fd) != 1) {
			lb_hc_finish(h, false, -1, "TLS: cannot start a session");
			return;
		}
		if (c->virtualhost[0] != '\0')
			SSL_set_tlsext_host_name(h->ssl, c->virtualhost);
		SSL_set_connect_state(h->ssl);
		h->phase = P_TLS;
	} else {
		h->phase = P_SEND;
	}
	lb_hc_http_io(h);
}
