/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control server: lbd's end of the UNIX socket lbadm talks to
 * (control/lb_api.h), served from the main lcore's loop.
 *
 * One thread, non-blocking sockets and poll(): a slow or hostile client can
 * hold nothing but its own buffer. Requests are bounded in size, clients in
 * number, and a client that leaves a request half-sent is closed after
 * LB_CTL_TIMEOUT_MS. Who may change the configuration is decided from the
 * peer's credentials (SO_PEERCRED, SO_PEERGROUPS): root, or a process that
 * holds control.admin_group;
 * anyone who can open the socket (mode 0660, group control.group) may list.
 */
#ifndef LB_CTL_H
#define LB_CTL_H

#include <stdint.h>

#include "control/config.h"

#define LB_CTL_MAX_CLIENTS	16
#define LB_CTL_TIMEOUT_MS	5000	/* to finish sending a request */
#define LB_CTL_IDLE_MS		60000	/* an idle connection */

struct lb_worker;

/* Create the socket; returns 0 or -errno after logging why. */
int lb_ctl_init(const struct lb_conf *conf, struct lb_worker *const *workers,
		uint16_t n_workers);

/* Serve what is ready, waiting at most timeout_ms for something to be. */
void lb_ctl_poll(int timeout_ms);

/*
 * The control loop's longest iteration (CPU time of the main thread, ns)
 * since start or -Z; the loop (control/daemon.c) reports each iteration.
 */
void lb_ctl_loop_done(uint64_t cpu_ns);

/* Close every client and remove the socket. */
void lb_ctl_fini(void);

#endif
