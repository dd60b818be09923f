/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Health-check definitions shared by the loader, the model and the checker
 * (see check.h).
 */
#include <stdio.h>
#include <string.h>

#include "control/check.h"

static const char *const type_names[LB_CHECK_TYPE_COUNT] = {
	[LB_CHECK_NONE] = "none",
	[LB_CHECK_TCP] = "tcp",
	[LB_CHECK_HTTP] = "http",
	[LB_CHECK_HTTPS] = "https",
	[LB_CHECK_MISC] = "misc",
};

void
lb_check_defaults(struct lb_check_conf *c, uint8_t type)
{
	memset(c, 0, sizeof(*c));
	c->type = type;
	c->delay_loop_ms = LB_CHECK_DELAY_LOOP_MS;
	c->connect_timeout_ms = LB_CHECK_CONNECT_TIMEOUT_MS;
	/* keepalived: MISC_CHECK retries 0 times, the others once; HTTP_GET and
	 * SSL_GET wait 3 s before a retry, the others 1 s */
	c->retry = type == LB_CHECK_MISC ? 0 : 1;
	c->delay_before_retry_ms = type == LB_CHECK_HTTP || type == LB_CHECK_HTTPS ?
		3000 : 1000;
	snprintf(c->path, sizeof(c->path), "/");
}

const char *
lb_check_type_name(uint8_t type)
{
	return type < LB_CHECK_TYPE_COUNT ? type_names[type] : "?";
}

int
lb_check_type_from_name(const char *s)
{
	int i;

	for (i = 0; i < LB_CHECK_TYPE_COUNT; i++)
		if (strcmp(s, type_names[i]) == 0)
			return i;
	return -1;
}

bool
lb_check_code_ok(const struct lb_check_conf *c, unsigned int status)
{
	unsigned int i;

	if (c->n_codes == 0)
		return status >= 200 && status <= 299;
	for (i = 0; i < c->n_codes; i++)
		if (status >= c->code_lo[i] && status <= c->code_hi[i])
			return true;
	return false;
}
