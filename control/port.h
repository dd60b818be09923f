/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Ports: find, configure and start every configured ethdev with one RX and
 * one TX queue per worker (RSS over the IPv4 TCP/UDP 4-tuple where the device
 * has it), and stop and close them at the end. Main thread only.
 */
#ifndef LB_PORT_H
#define LB_PORT_H

#include <rte_mempool.h>

#include "control/config.h"
#include "dataplane/svc.h"

/*
 * Set up conf's ports for up to *n_queues workers; on return *n_queues is
 * the number every port supports (<= the request), info[] describes the
 * ports. Returns 0 or -errno after logging the cause.
 */
int lb_ports_init(const struct lb_conf *conf, struct rte_mempool *pool, uint16_t *n_queues,
		struct lb_port_info *info);

void lb_ports_fini(const struct lb_port_info *info, uint32_t n_ports);

/*
 * From the control loop: each port's link, every 100 ms. A port whose link
 * goes down after it was seen up (a memif or vhost peer that quit, a cable
 * pulled) is reported to the model, which stops the workers polling it and
 * sending on it until it is up again; a port never seen up (a device that
 * reports no link) is left alone. Returns how many ports changed.
 */
uint32_t lb_ports_poll(const struct lb_port_info *info, uint32_t n_ports);

#endif
