/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the metrics server and the telemetry commands show, read the way
 * lbadm reads it: as a client of lbd's own control socket (lb_api.h).
 *
 * The model is the main thread's alone (control/model.h); rather than a
 * second way into it, with locks the main loop would have to take, the
 * threads that export it ask the main loop over the socket, which serves them
 * like any lbadm: bounded replies, never a wait on a slow peer. So a scrape
 * sees exactly what `lbadm -Ln`, `--stats` and `--counters` would show at
 * that moment, and the main loop pays only for building the replies.
 *
 * One struct lb_obs_client per thread (not shared); each call reconnects
 * when the previous connection broke, and gives up after LB_OBS_TIMEOUT_MS.
 */
#ifndef LB_OBS_H
#define LB_OBS_H

#include <stdbool.h>
#include <stdint.h>

#include "control/lb_api.h"

#define LB_OBS_TIMEOUT_MS	2000

struct lb_obs_client {
	char path[108];		/* the control socket */
	int fd;			/* -1 when not connected */
};

/* Everything one scrape shows; each part a raw reply, NULL when its request failed. */
struct lb_obs {
	void *svcs;		/* SVC_LIST: [lb_api_svc, lb_api_dest * n_dests]... */
	uint32_t svcs_len;
	void *counters;		/* COUNTERS: lb_api_counters, cores, hosts */
	uint32_t counters_len;
	void *health;		/* HEALTH: hdr, [svc, dests]... */
	uint32_t health_len;
	void *announce;		/* ANNOUNCE_LIST: hdr, entries */
	uint32_t announce_len;
	struct lb_api_sync sync;
	bool has_sync;
};

void lb_obs_client_init(struct lb_obs_client *c, const char *path);
void lb_obs_client_close(struct lb_obs_client *c);

/* One request (lb_client_call's contract), over c's connection. */
int lb_obs_call(struct lb_obs_client *c, uint16_t type, const void *body, uint32_t len,
		void **resp, uint32_t *resp_len);

/*
 * Fetch every part into o (which the call initialises); 0 when the services
 * and the counters came, else -errno. Release with lb_obs_free() either way.
 */
int lb_obs_fetch(struct lb_obs_client *c, struct lb_obs *o);
void lb_obs_free(struct lb_obs *o);

/*
 * Walk the records of a list reply: *at is the offset of the next record
 * (start at 0, or past a header), each record fixed_len bytes followed by
 * n_of(record) items of item_len. Returns the record, or NULL at the end or
 * when the reply is malformed (a count pointing past its end).
 */
const void *lb_obs_next(const void *buf, uint32_t len, uint32_t *at, uint32_t fixed_len,
		uint32_t item_len, uint32_t (*n_of)(const void *rec));

uint32_t lb_obs_svc_n(const void *rec);		/* lb_api_svc.n_dests */
uint32_t lb_obs_health_n(const void *rec);	/* lb_api_health_svc.n_dests */

#endif
