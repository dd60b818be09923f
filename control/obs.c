/* SPDX-License-Identifier: BSD-3-Clause */
/* The exporters' view of lbd, read over the control socket (see obs.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "control/lbadm/client.h"
#include "control/obs.h"

void
lb_obs_client_init(struct lb_obs_client *c, const char *path)
{
	snprintf(c->path, sizeof(c->path), "%s", path);
	c->fd = -1;
}

void
lb_obs_client_close(struct lb_obs_client *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

int
lb_obs_call(struct lb_obs_client *c, uint16_t type, const void *body, uint32_t len,
		void **resp, uint32_t *resp_len)
{
	struct timeval tv = { .tv_sec = LB_OBS_TIMEOUT_MS / 1000,
		.tv_usec = (LB_OBS_TIMEOUT_MS % 1000) * 1000 };
	int rc, attempt;

	*resp = NULL;
	*resp_len = 0;
	/* a connection lbd closed (idle timeout, restart) is retried once */
	for (attempt = 0; attempt < 2; attempt++) {
		if (c->fd < 0) {
			rc = lb_client_connect(c->path);
			if (rc < 0)
				return rc;
			c->fd = rc;
			setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
			setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		}
		rc = lb_client_call(c->fd, type, body, len, resp, resp_len);
		if (rc >= 0)
			return rc;
		lb_obs_client_close(c);	/* half a reply may be left in it */
	}
	return rc;
}

/* A list's reply, or NULL (with len 0) when the request failed. */
static void *
fetch(struct lb_obs_client *c, uint16_t type, const void *body, uint32_t len,
		uint32_t *out_len)
{
	void *resp;
	int rc = lb_obs_call(c, type, body, len, &resp, out_len);

	if (rc != 0) {
		free(resp);
		*out_len = 0;
		return NULL;
	}
	return resp;
}

int
lb_obs_fetch(struct lb_obs_client *c, struct lb_obs *o)
{
	struct lb_api_svc_key all = { 0 };
	uint32_t len;
	void *p;

	memset(o, 0, sizeof(*o));
	o->svcs = fetch(c, LB_API_SVC_LIST, &all, sizeof(all), &o->svcs_len);
	o->counters = fetch(c, LB_API_COUNTERS, NULL, 0, &o->counters_len);
	o->health = fetch(c, LB_API_HEALTH, &all, sizeof(all), &o->health_len);
	o->announce = fetch(c, LB_API_ANNOUNCE_LIST, NULL, 0, &o->announce_len);
	p = fetch(c, LB_API_SYNC_GET, NULL, 0, &len);
	if (p != NULL && len == sizeof(o->sync)) {
		memcpy(&o->sync, p, sizeof(o->sync));
		o->has_sync = true;
	}
	free(p);
	if (o->counters != NULL && o->counters_len < sizeof(struct lb_api_counters)) {
		free(o->counters);
		o->counters = NULL;
	}
	/* an empty service list is a NULL body with status 0: fine */
	return o->counters != NULL ? 0 : -EIO;
}

void
lb_obs_free(struct lb_obs *o)
{
	free(o->svcs);
	free(o->counters);
	free(o->health);
	free(o->announce);
	memset(o, 0, sizeof(*o));
}

const void *
lb_obs_next(const void *buf, uint32_t len, uint32_t *at, uint32_t fixed_len,
		uint32_t item_len, uint32_t (*n_of)(const void *rec))
{
	const char *rec;
	uint64_t size;

	if (buf == NULL || *at >= len || len - *at < fixed_len)
		return NULL;
	rec = (const char *)buf + *at;
	size = fixed_len + (uint64_t)n_of(rec) * item_len;
	if (size > len - *at)
		return NULL;
	*at += (uint32_t)size;
	return rec;
}

uint32_t
lb_obs_svc_n(const void *rec)
{
	const struct lb_api_svc *s = rec;

	return s->n_dests;
}

uint32_t
lb_obs_health_n(const void *rec)
{
	const struct lb_api_health_svc *s = rec;

	return s->n_dests;
}
