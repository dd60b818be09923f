/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Every limit lbd has, checked in one place. The configuration loader calls
 * lb_limit_check() as it counts what a file declares and reports the first
 * item over a limit at its FILE:LINE; the run-time model calls it before a
 * change and refuses the change with -ENOSPC. So a file `lbd --check`
 * accepts always starts, and a change lbadm is allowed to make can always be
 * published: nothing sized by a limit ever overflows (a scheduler's per-pick
 * array on a worker's stack, a counter array indexed by an id).
 *
 * Control thread (and lbd --check) only.
 */
#ifndef LB_LIMITS_H
#define LB_LIMITS_H

#include <stdint.h>

#include "dataplane/limits.h"

enum lb_limit {
	LB_LIMIT_PORTS,
	LB_LIMIT_SERVICES,
	LB_LIMIT_DESTS_PER_SVC,
	LB_LIMIT_DESTS,
	LB_LIMIT_COUNT,
};

/* The largest number of items of kind l lbd holds. */
uint32_t lb_limit_max(enum lb_limit l);

/* What is counted, for messages: "services", "real servers in one service"... */
const char *lb_limit_what(enum lb_limit l);

/* 0 when n items of kind l fit, else -ENOSPC. */
int lb_limit_check(enum lb_limit l, uint64_t n);

#endif
