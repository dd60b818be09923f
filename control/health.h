/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The health checker: keepalived's checkers and state machine, run by a
 * thread of its own ("lbd-health"), never by a worker and never blocking the
 * main loop.
 *
 * Checks use the host's sockets (the kernel interface of a port, or any
 * route the host has), all non-blocking under one epoll; a misc command is
 * spawned (posix_spawn, its own process group) and watched through a pidfd.
 * Every attempt has a deadline: connect_timeout for the whole exchange of
 * tcp/http/https (as keepalived), timeout for a command (then its process
 * group is killed).
 *
 * The state machine is keepalived's: a server starts up (down with alpha);
 * while up, a failed attempt is retried delay_before_retry later, and after
 * retry failed retries it is down; while down, one success brings it up.
 * Attempts are delay_loop apart otherwise. Each transition is logged and
 * handed to the main thread, which applies it to the model
 * (lb_model_health_set) and publishes.
 *
 * Threads: lb_health_start/stop/poll/status run on the main thread; the rest
 * is the checker's. The two share a target list and a queue of results
 * under one mutex, each held for a copy only.
 */
#ifndef LB_HEALTH_H
#define LB_HEALTH_H

#include <stdint.h>

#include "control/lb_api.h"

/* Start the checker thread; 0 or -errno. */
int lb_health_start(void);

/*
 * From the control loop: hand the checker the model's servers when they
 * changed, and apply (then publish) what it found.
 */
void lb_health_poll(void);

/* The checker's view of the server of token, into out's check fields. */
void lb_health_status(uint64_t token, struct lb_api_health_dest *out);

/* The checker's own figures, for --health. */
void lb_health_stats(struct lb_api_health_hdr *out);

/* -Z: the lateness figures start again (attempts and CPU time run on). */
void lb_health_zero(void);

/* Stop the thread: attempts are abandoned, commands killed. */
void lb_health_stop(void);

#endif
