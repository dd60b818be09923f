/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The configuration's health checks (control/check.h): a service's `check`
 * group and each real server's override, key by key, with keepalived's
 * names and defaults.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <libconfig.h>
#include <limits.h>
#include <math.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <rte_ether.h>

#include "control/config_int.h"
#include "control/limits.h"
#include "dataplane/sched.h"


/* ---- health checks (control/check.h) ---- */

static bool
get_ms(const config_setting_t *g, const char *name, uint32_t *ms)
{
	const config_setting_t *s = conf_valid(g, conf_check_keys, name);

	if (s == NULL)
		return false;
	*ms = (uint32_t)conf_secs_ms(s);
	return true;
}

/* A text sent on the wire or to a shell must hold no control character. */
static bool
printable(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < ' ' || *s == 0x7f)
			return false;
	return true;
}

static bool
copy_text(struct loader *ld, const config_setting_t *g, const char *name, char *dst,
		size_t size, bool quiet)
{
	const char *v = conf_get_str(g, conf_check_keys, name);

	if (v == NULL)
		return false;
	if (strlen(v) >= size || !printable(v)) {
		if (!quiet)
			conf_report(ld, config_setting_get_member(g, name),
					"'%s' must be 1 to %zu printable characters", name,
					size - 1);
		return false;
	}
	snprintf(dst, size, "%s", v);
	return true;
}

static void
load_codes(struct loader *ld, const config_setting_t *s, struct lb_check_conf *c, bool quiet)
{
	int i, n = config_setting_length(s);

	c->n_codes = 0;
	for (i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, i);
		long lo, hi;
		char *end;

		if (config_setting_type(e) == CONFIG_TYPE_INT) {
			lo = hi = config_setting_get_int(e);
		} else {
			const char *v = config_setting_get_string(e);

			lo = hi = strtol(v, &end, 10);
			if (end != v && *end == '-')
				hi = strtol(end + 1, &end, 10);
			if (end == v || *end != '\0')
				lo = -1;
		}
		if (lo < 100 || hi > 599 || lo > hi) {
			if (!quiet)
				conf_report(ld, e, "bad status code in 'status_code' (expected 100..599"
						" or a range such as \"200-299\")");
			continue;
		}
		if (c->n_codes == LB_CHECK_MAX_CODES) {
			if (!quiet)
				conf_report(ld, e, "more than %d entries in 'status_code'",
						LB_CHECK_MAX_CODES);
			break;
		}
		c->code_lo[c->n_codes] = (uint16_t)lo;
		c->code_hi[c->n_codes] = (uint16_t)hi;
		c->n_codes++;
	}
}

int
lb_hex_digit(int ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* Group g's keys over c; quiet: g was reported already (a service's, seen again). */
static void
apply_check(struct loader *ld, const config_setting_t *g, struct lb_check_conf *c, bool quiet)
{
	const config_setting_t *s;
	const char *v;
	uint32_t u;
	int i;

	get_ms(g, "delay_loop", &c->delay_loop_ms);
	get_ms(g, "connect_timeout", &c->connect_timeout_ms);
	conf_get_u32(g, conf_check_keys, "retry", &c->retry);
	get_ms(g, "delay_before_retry", &c->delay_before_retry_ms);
	get_ms(g, "warmup", &c->warmup_ms);
	get_ms(g, "timeout", &c->timeout_ms);
	c->alpha = conf_get_bool(g, conf_check_keys, "alpha", c->alpha);
	c->inhibit = conf_get_bool(g, conf_check_keys, "inhibit_on_failure", c->inhibit);
	c->dynamic = conf_get_bool(g, conf_check_keys, "dynamic", c->dynamic);
	if (conf_get_u32(g, conf_check_keys, "connect_port", &u))
		c->connect_port = (uint16_t)u;
	v = conf_get_str(g, conf_check_keys, "connect_ip");
	/* loopback allowed: a check may go through a local agent */
	if (v != NULL && (lb_parse_ipv4(v, &c->connect_ip) < 0 || c->connect_ip == 0 ||
				(ntohl(c->connect_ip) >> 28) >= 0xe)) {
		if (!quiet)
			conf_report(ld, config_setting_get_member(g, "connect_ip"),
					"bad IPv4 address '%s'", v);
		c->connect_ip = 0;
	}
	if (copy_text(ld, g, "path", c->path, sizeof(c->path), quiet) && c->path[0] != '/') {
		if (!quiet)
			conf_report(ld, config_setting_get_member(g, "path"),
					"'path' must start with '/'");
		snprintf(c->path, sizeof(c->path), "/");
	}
	copy_text(ld, g, "virtualhost", c->virtualhost, sizeof(c->virtualhost), quiet);
	copy_text(ld, g, "command", c->command, sizeof(c->command), quiet);
	s = conf_valid(g, conf_check_keys, "status_code");
	if (s != NULL)
		load_codes(ld, s, c, quiet);
	v = conf_get_str(g, conf_check_keys, "digest");
	if (v != NULL) {
		c->has_digest = false;
		for (i = 0; i < 16 && strlen(v) == 32; i++) {
			int hi = lb_hex_digit(v[2 * i]), lo = lb_hex_digit(v[2 * i + 1]);

			if (hi < 0 || lo < 0)
				break;
			c->digest[i] = (uint8_t)(hi << 4 | lo);
		}
		if (i == 16)
			c->has_digest = true;
		else if (v[0] != '\0' && !quiet)
			conf_report(ld, config_setting_get_member(g, "digest"),
					"bad digest '%s' (expected the 32 hex digits of an MD5, as"
					" genhash prints it)", v);
	}
}

static int
check_type_of(struct loader *ld, const config_setting_t *g, bool quiet)
{
	const char *v = g != NULL ? conf_get_str(g, conf_check_keys, "type") : NULL;
	int t;

	if (v == NULL)
		return -1;
	t = lb_check_type_from_name(v);
	if (t < 0 && !quiet)
		conf_report(ld, config_setting_get_member(g, "type"),
				"unknown check type '%s' (expected \"tcp\", \"http\", \"https\","
				" \"misc\" or \"none\")", v);
	return t;
}

/*
 * The check of a server: the service's group (svc_g, reported when the
 * service was loaded) overridden key by key by its own (dest_g); the
 * service's own default when dest_g is NULL. NULL when neither exists.
 */
struct lb_check_conf *
conf_load_check(struct loader *ld, const config_setting_t *svc_g, const config_setting_t *dest_g,
		const config_setting_t *server, bool svc_quiet)
{
	const config_setting_t *own = dest_g != NULL ? dest_g : svc_g;
	struct lb_check_conf *c;
	int t;

	if (svc_g == NULL && dest_g == NULL)
		return NULL;
	c = malloc(sizeof(*c));
	if (c == NULL) {
		conf_report(ld, own, "out of memory");
		return NULL;
	}
	t = check_type_of(ld, dest_g, false);
	if (t < 0)
		t = check_type_of(ld, svc_g, svc_quiet || dest_g != NULL);
	lb_check_defaults(c, t < 0 ? LB_CHECK_TCP : (uint8_t)t);
	if (svc_g != NULL)
		apply_check(ld, svc_g, c, svc_quiet);
	if (dest_g != NULL)
		apply_check(ld, dest_g, c, false);
	/* A service's misc check may leave the command to each server. */
	if (c->type == LB_CHECK_MISC && c->command[0] == '\0' && svc_quiet)
		conf_report(ld, server, "a \"misc\" check needs a 'command'%s",
				dest_g == NULL ? " (the service's check has none)" : "");
	if (c->type != LB_CHECK_MISC && c->dynamic && !(dest_g == NULL && svc_quiet))
		conf_report(ld, config_setting_get_member(own, "dynamic") ?
				config_setting_get_member(own, "dynamic") : own,
				"'dynamic' applies to \"misc\" checks only");
	if (c->timeout_ms == 0)
		c->timeout_ms = c->delay_loop_ms;	/* keepalived's misc_timeout */
	return c;
}

