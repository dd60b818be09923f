/* SPDX-License-Identifier: BSD-3-Clause */
/* lbd's limits (see limits.h): one table, one check. */
#include <errno.h>

#include "control/limits.h"

static const struct {
	uint32_t max;
	const char *what;
} limits[LB_LIMIT_COUNT] = {
	[LB_LIMIT_PORTS] = { LB_MAX_PORTS, "ports" },
	[LB_LIMIT_SERVICES] = { LB_MAX_SERVICES, "services" },
	[LB_LIMIT_DESTS_PER_SVC] = { LB_MAX_DESTS_PER_SVC, "real servers in one service" },
	[LB_LIMIT_DESTS] = { LB_MAX_DESTS, "real servers over all services" },
};

uint32_t
lb_limit_max(enum lb_limit l)
{
	return (unsigned int)l < LB_LIMIT_COUNT ? limits[l].max : 0;
}

const char *
lb_limit_what(enum lb_limit l)
{
	return (unsigned int)l < LB_LIMIT_COUNT ? limits[l].what : "?";
}

int
lb_limit_check(enum lb_limit l, uint64_t n)
{
	return n <= lb_limit_max(l) ? 0 : -ENOSPC;
}
