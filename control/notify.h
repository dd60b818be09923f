/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * systemd's service protocol (sd_notify, through libsystemd): READY=1 once
 * the ports are up and the first configuration is published, RELOADING=1
 * and READY=1 around a reload, STOPPING=1 at the end, and WATCHDOG=1 every
 * half WatchdogSec while every worker is alive.
 *
 * Alive means the worker's loop counter moved since the last look: a worker
 * stuck in a driver, or spinning in a bug, stops the keep-alives and systemd
 * restarts lbd (Restart=on-watchdog in conf/lbd.service). Without
 * NOTIFY_SOCKET (not under systemd) every call is a no-op. Main thread.
 */
#ifndef LB_NOTIFY_H
#define LB_NOTIFY_H

#include <stdint.h>

struct lb_worker;

void lb_notify_init(struct lb_worker *const *workers, uint16_t n_workers);
void lb_notify_ready(void);
void lb_notify_reloading(void);
void lb_notify_stopping(void);
/* From the control loop: a keep-alive when one is due and deserved. */
void lb_notify_poll(void);

#endif
