/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The connection sync daemons, IPVS's: a master sends the workers' records
 * (dataplane/sync.h) to a multicast group, a backup receives a group's and
 * hands each record to the worker RSS gives its connection. Both may run at
 * once, as in IPVS. They use ordinary kernel UDP sockets on an interface of
 * lbd's namespace (the port's kernel interface), and run from the control
 * loop: lb_sync_poll() every iteration, nothing blocking.
 */
#ifndef LB_CONTROL_SYNC_H
#define LB_CONTROL_SYNC_H

#include <arpa/inet.h>
#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "control/sync_wire.h"

struct lb_worker;

enum lb_sync_role { LB_SYNC_MASTER = 0, LB_SYNC_BACKUP = 1, LB_SYNC_ROLES };

#define LB_SYNC_MAXLEN_DEFAULT	1472	/* 1500 - 28, as IPVS */
#define LB_SYNC_MAXLEN_MIN	(LB_SYNC_HDR + LB_SYNC_REC)
#define LB_SYNC_SEND_DELAY_MS	20	/* a partial message waits at most this */

struct lb_sync_cfg {
	char ifname[IF_NAMESIZE];	/* --mcast-interface */
	uint8_t syncid;			/* 0..255; a backup with 0 takes every group */
	uint16_t maxlen;		/* bytes of UDP payload */
	uint32_t group;			/* network order */
	uint16_t port;
	uint8_t ttl;			/* 1..255 */
};

/* cfg with ipvsadm's defaults for what is 0. */
static inline void
lb_sync_cfg_defaults(struct lb_sync_cfg *cfg)
{
	if (cfg->maxlen == 0)
		cfg->maxlen = LB_SYNC_MAXLEN_DEFAULT;
	if (cfg->group == 0)
		cfg->group = htonl(LB_SYNC_GROUP);
	if (cfg->port == 0)
		cfg->port = LB_SYNC_PORT;
	if (cfg->ttl == 0)
		cfg->ttl = 1;
}

struct lb_sync_counters {
	uint64_t sent_msgs, sent_conns, send_errors;
	uint64_t ring_full;		/* records for a worker whose ring was full */
	struct lb_sync_rx_stats rx;
};

/* At start: the workers, and the port whose RSS spreads VIP traffic. */
void lb_sync_init(struct lb_worker *const *workers, uint16_t n_workers, uint16_t port_id);

/* Start a daemon (0), or a negative errno with a message in err. */
int lb_sync_start(enum lb_sync_role role, const struct lb_sync_cfg *cfg, char *err,
		size_t errlen);
/* Stop it: 0, or -ESRCH if it does not run. */
int lb_sync_stop(enum lb_sync_role role);
/* Whether it runs, its configuration. */
bool lb_sync_get(enum lb_sync_role role, struct lb_sync_cfg *cfg);
void lb_sync_counters_get(struct lb_sync_counters *out);

/* The port's RSS key and redirection table, for n workers (lb_sync_init
 * reads them from the port; size 0 sends everything to worker 0). */
void lb_sync_set_rss(const uint8_t *key, size_t key_len, const uint16_t *table, uint16_t size,
		uint16_t n);

/* The worker RSS gives a client's packets of (caddr, cport) -> (vaddr, vport). */
uint16_t lb_sync_worker_of(const struct lb_sync_conn *r);

void lb_sync_poll(void);
void lb_sync_fini(void);

#endif
