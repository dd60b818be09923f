/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The running daemon: EAL, ports, workers and the control loop, from a checked
 * configuration until SIGINT/SIGTERM. Main thread only.
 */
#ifndef LB_DAEMON_H
#define LB_DAEMON_H

#include "control/config.h"

/*
 * Run lbd. eal_argv[0..eal_argc) are the EAL options from the command line
 * (without the program name); when there are none, conf->eal is used.
 * Returns the process exit status.
 */
int lb_daemon_run(struct lb_conf *conf, const char *prog, int eal_argc, char **eal_argv);

#endif
