/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vip_arp = "kernel": lbd answers ARP for a VIP only while one of its ports'
 * kernel interfaces holds that VIP as an address, so that whatever moves
 * addresses between directors (keepalived's VRRP, unmodified) decides which
 * director owns a VIP. The main loop polls the interfaces' addresses; a VIP
 * gained is announced with a gratuitous ARP, every change is logged.
 */
#ifndef LB_VIPOWN_H
#define LB_VIPOWN_H

#include "control/config.h"

void lb_vipown_init(const struct lb_conf *conf);
void lb_vipown_poll(void);	/* every main-loop iteration: acts every 100 ms */

#endif
