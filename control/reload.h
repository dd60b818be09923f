/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Live reload: SIGHUP makes lbd re-read its configuration file and apply the
 * difference, or nothing.
 *
 * The contract (docs/configuration.md has it key by key):
 *   - a file with errors changes nothing; each error is logged as FILE:LINE;
 *   - a file that changes a key only a restart can apply (EAL arguments,
 *     ports, pool and table sizes, burst, the control socket, the metrics
 *     listener, the announce table, vip_arp "kernel") is refused whole, with
 *     one line per such key;
 *   - otherwise services, real servers, weights, thresholds, schedulers,
 *     persistence, quorums, sorry servers, checks, timeouts, the sysctl
 *     switches, vip_arp always/never, announce drain_seconds and the sync
 *     daemons follow the file in one publication (control/model.h,
 *     lb_model_reload), and what the file keeps keeps its state;
 *   - changes made with lbadm since the file was last read are replaced
 *     by the file, and the log says how many there were.
 * Main thread.
 */
#ifndef LB_RELOAD_H
#define LB_RELOAD_H

#include "control/config.h"

/*
 * Re-read running->path and apply it. On success running becomes the new
 * file's configuration and 0 is returned; otherwise -EINVAL (errors in the
 * file), -EPERM (restart-only keys), -ENOSPC or -ENOMEM (lb_model_reload),
 * each logged.
 */
int lb_reload(struct lb_conf *running);

#endif
