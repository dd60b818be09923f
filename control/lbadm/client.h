/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lbadm's end of the control socket: connect, send one request, read its
 * reply whole. Blocking and simple: lbadm does one thing and exits. lbd's
 * metrics and telemetry threads use it too (control/obs.h), one connection
 * each, with socket timeouts of their own; calls are thread-safe.
 */
#ifndef LB_LBADM_CLIENT_H
#define LB_LBADM_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "control/lb_api.h"

/* The socket: --socket PATH, else $LBD_SOCKET, else the default. */
int lb_client_connect(const char *path);

/*
 * Send request type with body, wait for the reply. On success returns the
 * reply's status (0 or a positive errno) and, when status is 0, a malloc'd
 * body in *resp (NULL when empty) of *resp_len bytes. -errno when the
 * exchange itself failed.
 */
int lb_client_call(int fd, uint16_t type, const void *body, uint32_t len, void **resp,
		uint32_t *resp_len);

#endif
