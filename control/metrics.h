/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The Prometheus endpoint: GET /metrics on metrics.listen, text format 0.0.4
 * (control/promfmt.h), from a thread of its own.
 *
 * The thread does all of the network work (accept, read the request, write
 * the reply, time out a slow client) and asks lbd's state of the main loop
 * over the control socket (control/obs.h): a scraper that stalls holds only
 * this thread, never a worker or the main loop. It runs on the main lcore's
 * CPUs (it inherits their affinity), so it never takes a worker's core.
 *
 * HTTP/1.1 without keep-alive: each reply closes its connection, which
 * Prometheus handles. At most LB_METRICS_CLIENTS at once (when all are
 * taken, the oldest one still sending its request is dropped for the new
 * one), a request's head at most 8 KiB, LB_METRICS_TIMEOUT_MS for the whole
 * exchange.
 */
#ifndef LB_METRICS_H
#define LB_METRICS_H

#include "control/config.h"

#define LB_METRICS_CLIENTS	8
#define LB_METRICS_TIMEOUT_MS	5000

/* Bind metrics.listen and start the thread (a no-op without a metrics
 * group); 0, or -errno after logging why. Main thread, after lb_ctl_init. */
int lb_metrics_start(const struct lb_conf *conf);

/* Stop the thread and close its sockets. */
void lb_metrics_stop(void);

#endif
