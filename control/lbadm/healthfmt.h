/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lbadm --health's output: the reply of LB_API_HEALTH (control/lb_api.h) as
 * a table (per service its quorum, per server its check, state, since when,
 * weights, failures, latency and last result) or as JSON with the same
 * fields. lbadm only.
 */
#ifndef LB_HEALTHFMT_H
#define LB_HEALTHFMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "control/lb_api.h"

/* 0, or -1 (nothing printed) when blob is not a well-formed reply. */
int lb_fmt_health(FILE *f, const void *blob, size_t len, bool as_json);

/* lbadm --announced: LB_API_ANNOUNCE_LIST's reply; 0 or -1 as above. */
int lb_fmt_announce(FILE *f, const void *blob, size_t len, bool as_json);

#endif
