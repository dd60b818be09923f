/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Inside the health checker (control/health.c, health_http.c): one server's
 * check record, and what the HTTP part shares with the rest. Checker thread
 * only.
 */
#ifndef LB_HEALTH_INT_H
#define LB_HEALTH_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <openssl/evp.h>
#include <openssl/ssl.h>

#include "control/check.h"
#include "control/lb_api.h"

#define HDR_MAX		8192	/* status line and headers of an HTTP reply */
#define BODY_MAX	(16u << 20)	/* what a digest is computed over, at most */
#define RESULT_LEN	LB_API_HEALTH_TEXT

extern char **environ;

enum phase {
	P_IDLE,		/* waiting for the next attempt */
	P_CONNECT,
	P_TLS,		/* handshake */
	P_SEND,
	P_RECV,
	P_CHILD,	/* a misc command runs */
};

struct hc {
	struct lb_health_target t;
	uint64_t due_ms;	/* the one deadline, CLOCK_MONOTONIC ms */
	uint32_t heap_pos;
	enum phase phase;
	int fd;			/* socket or pidfd; -1 */
	pid_t pid;
	SSL *ssl;
	uint64_t started_ns;
	/* HTTP */
	uint32_t sent;
	uint32_t hdr_len;	/* bytes of hdr[] used, until the headers end */
	int status;		/* parsed status, 0 = not yet */
	int64_t body_left;	/* from Content-Length, -1 = until close */
	uint64_t body_len;
	EVP_MD_CTX *md5;
	char *hdr;		/* HDR_MAX bytes while an HTTP attempt runs */
	/* state */
	bool up;
	int32_t weight;		/* a dynamic check's, -1 = none */
	uint32_t fails;
	/* shown by --health (written under the lock) */
	int64_t since;
	uint64_t checks;
	uint32_t latency_us;
	char result[RESULT_LEN];
};

/* The attempt ended: ok (with a dynamic weight, -1 = none), or failed with why. */
void lb_hc_finish(struct hc *h, bool ok, int32_t weight, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Wait for h's descriptor to be ready for what (EPOLLIN, EPOLLOUT); 0 or -errno. */
int lb_hc_watch(struct hc *h, uint32_t what);
/* health_http.c: the connection is up, start the HTTP (or TLS) exchange; go on with it. */
void lb_hc_http_begin(struct hc *h, SSL_CTX *tls);
void lb_hc_http_io(struct hc *h);

#endif
