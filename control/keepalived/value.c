/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lbd --from-keepalived: keepalived's values (<TIMER>, <BOOL>, integers,
 * ports, IPv4 addresses) and the options a virtual server, a real server and
 * a checker all take, for server.c and checker.c.
 *
 * A bad value is reported and ignored, never guessed at: what it would have
 * set keeps the value it had, KA_UNSET at first for keepalived's precedence
 * (checker.c) to fill.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "control/config.h"
#include "control/keepalived/ka.h"

/* n's one value, or NULL (reported) when it has none. */
const char *
ka_one_value(struct conv *c, const struct node *n)
{
	if (n->argc == 0) {
		ka_problem(c, &n->w, "%s needs a value: ignored", ka_q(c, n->kw));
		return NULL;
	}
	if (n->argc > 1)
		ka_problem(c, &n->w, "%s takes one value: '%s' and what follows ignored",
				ka_q(c, n->kw), ka_q(c, n->argv[1]));
	return n->argv[0];
}

bool
ka_parse_u64(const char *s, uint64_t max, uint64_t *v)
{
	uint64_t x = 0;

	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return false;
		x = x * 10 + (uint64_t)(*s - '0');
		if (x > max)
			return false;
	}
	*v = x;
	return true;
}

/* keepalived's <TIMER>: seconds with up to six decimals, in microseconds. */
static bool
parse_timer(const char *s, int64_t *us)
{
	int64_t sec = 0, frac = 0;
	bool digits = false;
	int n = 0;

	for (; *s >= '0' && *s <= '9'; s++, digits = true) {
		sec = sec * 10 + (*s - '0');
		if (sec > LB_MAX_TIMEOUT)
			return false;
	}
	if (*s == '.')
		for (s++; *s >= '0' && *s <= '9'; s++, digits = true)
			if (n < 6) {
				frac = frac * 10 + (*s - '0');
				n++;
			}
	if (!digits || *s != '\0')
		return false;
	for (; n < 6; n++)
		frac *= 10;
	*us = sec * KA_USEC + frac;
	return *us <= (int64_t)LB_MAX_TIMEOUT * KA_USEC;
}

bool
ka_get_timer(struct conv *c, const struct node *n, bool zero_ok, int64_t *dst)
{
	const char *s = ka_one_value(c, n);
	int64_t us;

	if (s == NULL)
		return false;
	if (!parse_timer(s, &us) || (!zero_ok && us == 0)) {
		ka_problem(c, &n->w, "bad %s '%s' (expected seconds%s, up to %u, such as 5"
				" or 0.5): ignored", ka_q(c, n->kw), ka_q(c, s),
				zero_ok ? "" : " above 0", LB_MAX_TIMEOUT);
		return false;
	}
	*dst = us;
	return true;
}

bool
ka_get_uint(struct conv *c, const struct node *n, uint64_t min, uint64_t max, int64_t *dst)
{
	const char *s = ka_one_value(c, n);
	uint64_t v;

	if (s == NULL)
		return false;
	if (!ka_parse_u64(s, max, &v) || v < min) {
		ka_problem(c, &n->w, "bad %s '%s' (expected an integer, %llu to %llu): ignored",
				ka_q(c, n->kw), ka_q(c, s), (unsigned long long)min,
				(unsigned long long)max);
		return false;
	}
	*dst = (int64_t)v;
	return true;
}

/* n's word i as a port; false (reported, "skip" said) when it is not one. */
bool
ka_arg_port(struct conv *c, const struct node *n, int i, const char *skip, int64_t *port)
{
	uint64_t v;

	if (!ka_parse_u64(n->argv[i], 65535, &v)) {
		ka_problem(c, &n->w, "%s: bad port '%s' (expected 0 to 65535): %s", n->kw,
				ka_q(c, n->argv[i]), skip);
		return false;
	}
	*port = (int64_t)v;
	return true;
}

/* keepalived's <BOOL>: on off true false yes no; no word at all means true. */
bool
ka_get_bool(struct conv *c, const struct node *n, int *dst)
{
	const char *s;

	if (n->argc == 0) {
		*dst = 1;
		return true;
	}
	s = n->argv[0];
	if (n->argc > 1)
		ka_problem(c, &n->w, "%s takes one value: '%s' and what follows ignored",
				ka_q(c, n->kw), ka_q(c, n->argv[1]));
	if (strcasecmp(s, "on") == 0 || strcasecmp(s, "true") == 0 ||
			strcasecmp(s, "yes") == 0)
		*dst = 1;
	else if (strcasecmp(s, "off") == 0 || strcasecmp(s, "false") == 0 ||
			strcasecmp(s, "no") == 0)
		*dst = 0;
	else {
		ka_problem(c, &n->w, "bad %s '%s' (expected on, off, true, false, yes or no):"
				" ignored", ka_q(c, n->kw), ka_q(c, s));
		return false;
	}
	return true;
}

/* A flag that may carry a <BOOL>: true when set and on. */
bool
ka_flag_on(struct conv *c, const struct node *n)
{
	int v = 0;

	return ka_get_bool(c, n, &v) && v == 1;
}

static bool
unicast_host(uint32_t addr)
{
	uint32_t h = ntohl(addr);

	return h != 0 && h != 0xffffffffu && (h >> 28) != 0xe && (h >> 28) != 0xf &&
		(h >> 24) != 127 && (h >> 24) != 0;
}

/* what's address s into *a; false (reported, "skip" said) when lbd cannot use it. */
bool
ka_get_addr(struct conv *c, const struct node *n, const char *what, const char *s,
		const char *skip, uint32_t *a)
{
	struct in6_addr a6;

	if (lb_parse_ipv4(s, a) == 0) {
		if (unicast_host(*a))
			return true;
		ka_problem(c, &n->w, "%s %s is not a unicast address: %s", what, ka_q(c, s), skip);
	} else if (inet_pton(AF_INET6, s, &a6) == 1) {
		ka_problem(c, &n->w, "%s %s: IPv6 is not supported (lbd is IPv4 only): %s",
				what, ka_q(c, s), skip);
	} else {
		ka_problem(c, &n->w, "%s '%s' is not an IPv4 address: %s", what, ka_q(c, s), skip);
	}
	return false;
}

void
ka_opts_init(struct opts *o)
{
	o->delay_loop = KA_UNSET;
	o->connect_timeout = KA_UNSET;
	o->retry = KA_UNSET;
	o->delay_before_retry = KA_UNSET;
	o->warmup = KA_UNSET;
	o->alpha = KA_UNSET;
	o->inhibit = KA_UNSET;
	o->vhost = NULL;
}

/* The options all three levels take (inhibit and virtualhost: not checkers). */
bool
ka_common_opt(struct conv *c, const struct node *n, struct opts *o, bool checker)
{
	const char *kw = n->kw, *s;

	if (strcmp(kw, "delay_loop") == 0)
		ka_get_timer(c, n, false, &o->delay_loop);
	else if (strcmp(kw, "connect_timeout") == 0)
		ka_get_timer(c, n, false, &o->connect_timeout);
	else if (strcmp(kw, "retry") == 0 || strcmp(kw, "nb_get_retry") == 0)
		ka_get_uint(c, n, 0, INT32_MAX, &o->retry);
	else if (strcmp(kw, "delay_before_retry") == 0)
		ka_get_timer(c, n, true, &o->delay_before_retry);
	else if (strcmp(kw, "warmup") == 0)
		ka_get_timer(c, n, true, &o->warmup);
	else if (strcmp(kw, "alpha") == 0)
		ka_get_bool(c, n, &o->alpha);
	else if (!checker && strcmp(kw, "inhibit_on_failure") == 0)
		ka_get_bool(c, n, &o->inhibit);
	else if (!checker && strcmp(kw, "virtualhost") == 0) {
		s = ka_one_value(c, n);
		if (s != NULL)
			o->vhost = s;
	} else
		return false;
	return true;
}

/* Keywords that are keepalived's own business, the same at every level. */
bool
ka_cosmetic_opt(struct conv *c, const struct node *n)
{
	if (strcmp(n->kw, "smtp_alert") == 0)
		ka_note(c, &n->w, "smtp_alert skipped: lbd sends no email");
	else if (strcmp(n->kw, "snmp_name") == 0)
		ka_note(c, &n->w, "snmp_name skipped: lbd has no SNMP agent");
	else if (strcmp(n->kw, "log_all_failures") == 0)
		ka_note(c, &n->w, "log_all_failures skipped: a keepalived logging option");
	else
		return false;
	return true;
}

void
ka_unknown(struct conv *c, const struct node *n, const char *where)
{
	if (n->kw[0] == '@')
		ka_problem(c, &n->w, "conditional line '%s' not converted: lbd does not know"
				" keepalived's config-id", ka_q(c, n->kw));
	else if (n->kw[0] == '$')
		ka_problem(c, &n->w, "parameter '%s' not converted: lbd does not substitute"
				" keepalived's parameters", ka_q(c, n->kw));
	else
		ka_problem(c, &n->w, "unknown keyword '%s' in %s: not converted", ka_q(c, n->kw),
				where);
}

/* A value keyword that came with a block: the block is not read. */
void
ka_no_block(struct conv *c, const struct node *n)
{
	if (n->block)
		ka_problem(c, &n->w, "%s takes no { } block: its block is ignored", ka_q(c, n->kw));
}
