/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What a health check is: keepalived's checkers (TCP_CHECK, HTTP_GET,
 * SSL_GET, MISC_CHECK) with their option names and defaults, so that a
 * keepalived user finds what they know. The configuration loader fills it,
 * the model keeps one copy per distinct check (control/model.h), the checker
 * thread runs it (control/health.h).
 *
 * Times are milliseconds: keepalived takes fractions of a second.
 */
#ifndef LB_CHECK_H
#define LB_CHECK_H

#include <stdbool.h>
#include <stdint.h>

#include "dataplane/addr.h"

enum lb_check_type {
	LB_CHECK_NONE = 0,	/* not checked: always up */
	LB_CHECK_TCP,		/* TCP_CHECK: a connect() */
	LB_CHECK_HTTP,		/* HTTP_GET */
	LB_CHECK_HTTPS,		/* SSL_GET */
	LB_CHECK_MISC,		/* MISC_CHECK: a command's exit status */
	LB_CHECK_TYPE_COUNT,
};

#define LB_CHECK_PATH_LEN	256
#define LB_CHECK_HOST_LEN	128
#define LB_CHECK_CMD_LEN	512
#define LB_CHECK_MAX_CODES	16

/* keepalived's defaults (keepalived.conf(5)) */
#define LB_CHECK_DELAY_LOOP_MS		60000u
#define LB_CHECK_CONNECT_TIMEOUT_MS	5000u
#define LB_CHECK_MAX_MS			(24u * 3600 * 1000)

struct lb_check_conf {
	uint8_t type;		/* enum lb_check_type */
	bool alpha;		/* start down until a first success */
	bool inhibit;		/* inhibit_on_failure: down = weight 0, not removed */
	bool dynamic;		/* misc: exit 2..255 = up with weight exit-2 */
	bool has_digest;
	uint8_t n_codes;	/* 0: 200-299 */
	uint16_t connect_port;	/* 0 = the server's port */
	uint32_t connect_ip;	/* network order; 0 = the server's address */
	uint32_t delay_loop_ms;
	uint32_t connect_timeout_ms;	/* the whole exchange, as keepalived */
	uint32_t retry;		/* failures after the first before down */
	uint32_t delay_before_retry_ms;
	uint32_t warmup_ms;	/* first check after a random delay up to this */
	uint32_t timeout_ms;	/* misc: the command's time */
	uint16_t code_lo[LB_CHECK_MAX_CODES];	/* accepted statuses, ranges */
	uint16_t code_hi[LB_CHECK_MAX_CODES];
	uint8_t digest[16];	/* MD5 of the body */
	char path[LB_CHECK_PATH_LEN];
	char virtualhost[LB_CHECK_HOST_LEN];	/* "" = the server's address */
	char command[LB_CHECK_CMD_LEN];
};

/*
 * One server's check, as the model hands it to the checker thread: the
 * token names the server for as long as it exists (a re-added server gets
 * a new one), check points at the model's copy, which never moves nor
 * changes while the checker runs.
 */
struct lb_health_target {
	uint64_t token;
	uint8_t proto;
	uint8_t af;		/* AF_INET, AF_INET6: the service's */
	uint16_t vport;		/* host order */
	union lb_ip vip;
	union lb_ip addr;
	uint16_t port;		/* host order */
	const struct lb_check_conf *check;
};

/* The defaults of a check of type t. */
void lb_check_defaults(struct lb_check_conf *c, uint8_t type);
const char *lb_check_type_name(uint8_t type);	/* "tcp", ..., "none" */
int lb_check_type_from_name(const char *s);	/* -1 when unknown */
/* Whether status is accepted by c (200-299 when no list). */
bool lb_check_code_ok(const struct lb_check_conf *c, unsigned int status);

#endif
