/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lbd's state in Prometheus's text exposition format 0.0.4, from what the
 * control socket gave (control/obs.h).
 *
 * Two sets of names. node_exporter's IPVS collector's, exactly (names, types,
 * help texts, labels, label values), so that a dashboard built on a Linux
 * director works unchanged: five global counters and three gauges per real
 * server. And lbd's own under lbd_: per worker, per drop reason, per state of
 * the connection table, the kernel interfaces, health checks, the VIP
 * announcement and connection sync. docs/operations.md lists every one.
 *
 * Pure formatting: no socket, no thread; the metrics server calls it.
 */
#ifndef LB_PROMFMT_H
#define LB_PROMFMT_H

#include <stdio.h>

#include "control/obs.h"

/* Scrape statistics the server keeps, exported with the rest. */
struct lb_prom_self {
	uint64_t scrapes;	/* answered with 200, this one included */
	uint64_t errors;	/* answered with 503: lbd's socket did not answer */
	double last_seconds;	/* how long the previous scrape's fetch took */
};

/* Write every family of o to f; returns 0, or -1 when f failed. */
int lb_prom_write(FILE *f, const struct lb_obs *o, const struct lb_prom_self *self);

#endif
