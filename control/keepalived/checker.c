/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lbd --from-keepalived: a real server's checker (TCP_CHECK, HTTP_GET,
 * SSL_GET, MISC_CHECK and its url blocks) into the check group lbd runs.
 *
 * The block is read into a struct checker as it is written, then
 * ka_build_check() resolves keepalived's precedence (a checker's option over
 * its real server's over its virtual server's over keepalived's default)
 * into explicit values, written as lbd text: the result means what the
 * keepalived.conf meant whatever lbd's own defaults are.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control/config.h"
#include "control/keepalived/ka.h"

static const char *const ct_names[] = { "none", "tcp", "http", "https", "misc" };

enum ck_type
ka_checker_type(const char *kw, bool *known)
{
	static const char *const unsupported[] = {
		"SMTP_CHECK", "DNS_CHECK", "BFD_CHECK", "UDP_CHECK", "PING_CHECK",
		"FILE_CHECK",
	};
	size_t i;

	*known = true;
	if (strcmp(kw, "TCP_CHECK") == 0)
		return CT_TCP;
	if (strcmp(kw, "HTTP_GET") == 0)
		return CT_HTTP;
	if (strcmp(kw, "SSL_GET") == 0)
		return CT_HTTPS;
	if (strcmp(kw, "MISC_CHECK") == 0)
		return CT_MISC;
	for (i = 0; i < KA_DIM(unsupported); i++)
		if (strcmp(kw, unsupported[i]) == 0)
			return CT_NONE;
	*known = false;
	return CT_NONE;
}

/* A checker lbd runs: a known type, and a MISC_CHECK with its misc_path. */
bool
ka_usable_checker(const struct node *n)
{
	const struct node *k;
	bool known;
	enum ck_type t = ka_checker_type(n->kw, &known);

	if (t != CT_MISC)
		return t != CT_NONE;
	for (k = n->child; k != NULL; k = k->next)
		if (k->kw != NULL && strcmp(k->kw, "misc_path") == 0 && k->argc > 0)
			return true;
	return false;
}

static bool
shell_safe(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++)
		if (strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
				"0123456789_@%+=:,./-", *s) == NULL)
			return false;
	return true;
}

/* misc_path's words as one /bin/sh command: a single word as it is, else quoted. */
static char *
misc_command(struct conv *c, const struct node *n)
{
	size_t len = 1;
	char *cmd, *p;
	const char *s;
	int i;

	if (n->argc == 1)
		return ka_xstrdup(c, n->argv[0]);
	for (i = 0; i < n->argc; i++)
		len += strlen(n->argv[i]) * 4 + 3;
	cmd = ka_xcalloc(c, len, 1);
	if (cmd == NULL)
		return NULL;
	for (p = cmd, i = 0; i < n->argc; i++) {
		if (i > 0)
			*p++ = ' ';
		if (shell_safe(n->argv[i])) {
			p = stpcpy(p, n->argv[i]);
			continue;
		}
		*p++ = '\'';
		for (s = n->argv[i]; *s != '\0'; s++)
			if (*s == '\'')
				p = stpcpy(p, "'\\''");
			else
				*p++ = *s;
		*p++ = '\'';
	}
	*p = '\0';
	return cmd;
}

/* genhash's MD5: 32 hex digits, kept in lower case. */
static void
url_digest(struct conv *c, struct checker *ck, const struct node *k)
{
	const char *s = ka_one_value(c, k);
	int i;

	if (s == NULL)
		return;
	for (i = 0; i < 32 && lb_hex_digit((unsigned char)s[i]) >= 0; i++)
		ck->digest[i] = (char)(s[i] >= 'A' && s[i] <= 'F' ? s[i] + 32 : s[i]);
	ck->digest[i] = '\0';
	if (i < 32 || s[32] != '\0') {
		ka_problem(c, &k->w, "bad digest '%s' (expected 32 hex digits, an MD5 as"
				" genhash prints it): ignored", ka_q(c, s));
		ck->digest[0] = '\0';
	}
}

/* One status_code word: a code or a range, 100..599; false when it is neither. */
static bool
parse_codes(const char *s, uint64_t *lo, uint64_t *hi)
{
	const char *dash = strchr(s, '-');
	char buf[8];

	if (dash == NULL)
		return ka_parse_u64(s, 599, lo) && (*hi = *lo) >= 100;
	if ((size_t)(dash - s) >= sizeof(buf))
		return false;
	memcpy(buf, s, (size_t)(dash - s));
	buf[dash - s] = '\0';
	return ka_parse_u64(buf, 599, lo) && ka_parse_u64(dash + 1, 599, hi) && *lo >= 100 &&
		*hi >= *lo;
}

static void
url_codes(struct conv *c, struct checker *ck, const struct node *k)
{
	uint64_t lo, hi;
	int i;

	if (k->argc == 0)
		ka_problem(c, &k->w, "status_code needs a value: ignored");
	for (i = 0; i < k->argc; i++) {
		if (!parse_codes(k->argv[i], &lo, &hi)) {
			ka_problem(c, &k->w, "bad status_code '%s' (expected a code or a range of"
					" codes, 100 to 599, such as 200 or 200-299): ignored",
					ka_q(c, k->argv[i]));
			continue;
		}
		if (ck->n_codes == KA_MAX_CODES) {
			ka_problem(c, &k->w, "more than %d status codes: '%s' and what follows"
					" ignored", KA_MAX_CODES, ka_q(c, k->argv[i]));
			return;
		}
		ck->codes[ck->n_codes][0] = (uint16_t)lo;
		ck->codes[ck->n_codes][1] = (uint16_t)hi;
		ck->n_codes++;
	}
}

static void
url_block(struct conv *c, struct checker *ck, const struct node *u)
{
	const struct node *k;
	const char *s;

	if (ck->url_seen) {
		ka_problem(c, &u->w, "url not converted: lbd checks one url per real server,"
				" the first (%s:%d)", ck->url_w.file, ck->url_w.line);
		return;
	}
	ck->url_seen = true;
	ck->url_w = u->w;
	if (u->argc > 0)
		ka_problem(c, &u->w, "url takes no value: '%s' ignored", ka_q(c, u->argv[0]));
	for (k = u->child; k != NULL; k = k->next) {
		if (k->include || k->kw == NULL)
			continue;
		ka_no_block(c, k);
		if (strcmp(k->kw, "path") == 0) {
			s = ka_one_value(c, k);
			if (s != NULL)
				ck->path = s;
		} else if (strcmp(k->kw, "digest") == 0) {
			url_digest(c, ck, k);
		} else if (strcmp(k->kw, "status_code") == 0) {
			url_codes(c, ck, k);
		} else if (strcmp(k->kw, "virtualhost") == 0) {
			s = ka_one_value(c, k);
			if (s != NULL)
				ck->url_vhost = s;
		} else if (strncmp(k->kw, "regex", 5) == 0 && (k->kw[5] == '\0' ||
				k->kw[5] == '_')) {
			ka_problem(c, &k->w, "%s not converted: lbd's http check has no regex, it"
					" checks the status code and the digest", ka_q(c, k->kw));
		} else if (strcmp(k->kw, "tls_compliant") == 0) {
			if (ka_flag_on(c, k))
				ka_problem(c, &k->w, "tls_compliant not converted: lbd's https"
						" check has no such setting");
		} else
			ka_unknown(c, k, "url");
	}
	if (ck->path == NULL)
		ka_problem(c, &u->w, "url without path: lbd checks \"/\"");
}

/* A checker block into ck (its type already set). */
void
ka_checker_block(struct conv *c, struct checker *ck, const struct node *n)
{
	bool http = ck->type == CT_HTTP || ck->type == CT_HTTPS;
	bool misc = ck->type == CT_MISC;
	const struct node *k;
	const char *s, *kw;
	uint32_t a;

	for (k = n->child; k != NULL; k = k->next) {
		if (k->include || k->kw == NULL)
			continue;
		kw = k->kw;
		if (!(http && strcmp(kw, "url") == 0))
			ka_no_block(c, k);
		if (misc && (strcmp(kw, "connect_ip") == 0 || strcmp(kw, "connect_port") == 0 ||
				strcmp(kw, "bindto") == 0 || strcmp(kw, "bind_if") == 0 ||
				strcmp(kw, "bind_port") == 0 || strcmp(kw, "fwmark") == 0)) {
			ka_problem(c, &k->w, "%s not converted: it does not apply to MISC_CHECK",
					kw);
		} else if (strcmp(kw, "connect_ip") == 0) {
			s = ka_one_value(c, k);
			if (s != NULL && ka_get_addr(c, k, "connect_ip", s, "ignored", &a))
				ck->connect_ip = s;
		} else if (strcmp(kw, "connect_port") == 0) {
			ka_get_uint(c, k, 0, 65535, &ck->connect_port);
		} else if (strcmp(kw, "bindto") == 0 || strcmp(kw, "bind_if") == 0 ||
				strcmp(kw, "bind_port") == 0) {
			ka_problem(c, &k->w, "%s not converted: lbd's checks have no source"
					" address, interface or port setting", kw);
		} else if (strcmp(kw, "fwmark") == 0) {
			ka_problem(c, &k->w, "fwmark not converted: lbd's checks do not mark their"
					" packets");
		} else if (misc && strcmp(kw, "connect_timeout") == 0) {
			ka_note(c, &k->w, "connect_timeout skipped: it has no effect on MISC_CHECK"
					" (misc_timeout bounds the command)");
		} else if (ka_common_opt(c, k, &ck->o, true) || ka_cosmetic_opt(c, k)) {
			/* done */
		} else if (http && strcmp(kw, "url") == 0) {
			url_block(c, ck, k);
		} else if (http && strcmp(kw, "virtualhost") == 0) {
			s = ka_one_value(c, k);
			if (s != NULL)
				ck->o.vhost = s;
		} else if (http && strcmp(kw, "http_protocol") == 0) {
			s = ka_one_value(c, k);
			if (s != NULL && strcmp(s, "1.0") != 0)
				ka_problem(c, &k->w, "http_protocol %s not converted: lbd's http"
						" check has no protocol setting", ka_q(c, s));
		} else if (http && strcmp(kw, "fast_recovery") == 0) {
			if (ka_flag_on(c, k))
				ka_note(c, &k->w, "fast_recovery skipped: with one url it changes"
						" nothing");
		} else if (http && (strcmp(kw, "enable_sni") == 0 ||
				strcmp(kw, "tls_compliant") == 0)) {
			if (ka_flag_on(c, k))
				ka_problem(c, &k->w, "%s not converted: lbd's https check has no"
						" such setting", kw);
		} else if (http && strcmp(kw, "sni_name") == 0) {
			ka_problem(c, &k->w, "sni_name not converted: lbd's https check has no SNI"
					" setting");
		} else if (misc && strcmp(kw, "misc_path") == 0) {
			if (k->argc == 0) {
				ka_problem(c, &k->w, "misc_path needs a command: ignored");
				continue;
			}
			free(ck->command);
			ck->command = misc_command(c, k);
		} else if (misc && strcmp(kw, "misc_timeout") == 0) {
			ka_get_timer(c, k, false, &ck->timeout);
		} else if (misc && strcmp(kw, "misc_dynamic") == 0) {
			int v = 0;

			if (ka_get_bool(c, k, &v))
				ck->dynamic = v == 1;
		} else if (misc && strcmp(kw, "user") == 0) {
			ka_problem(c, &k->w, "user not converted: lbd's misc check has no user"
					" setting");
		} else
			ka_unknown(c, k, n->kw);
	}
	if (http && !ck->url_seen)
		ka_problem(c, &n->w, "%s without url: lbd checks path \"/\" for status 200-299",
				n->kw);
}

static char *
fmt_time(struct conv *c, int64_t us)
{
	char frac[8];
	int i;

	if (us % KA_USEC == 0)
		return ka_xasprintf(c, "%lld", (long long)(us / KA_USEC));
	snprintf(frac, sizeof(frac), "%06lld", (long long)(us % KA_USEC));
	for (i = 5; i > 0 && frac[i] == '0'; i--)
		frac[i] = '\0';
	return ka_xasprintf(c, "%lld.%s", (long long)(us / KA_USEC), frac);
}

/* s as a libconfig string, quotes included. */
static char *
fmt_str(struct conv *c, const char *s)
{
	char *r = ka_xcalloc(c, strlen(s) * 4 + 3, 1), *p = r;

	if (r == NULL)
		return NULL;
	*p++ = '"';
	for (; *s != '\0'; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\') {
			*p++ = '\\';
			*p++ = (char)ch;
		} else if (ch < 0x20 || ch >= 0x7f) {
			p += sprintf(p, "\\x%02x", ch);
		} else
			*p++ = (char)ch;
	}
	*p++ = '"';
	*p = '\0';
	return r;
}

static char *
fmt_codes(struct conv *c, const struct checker *ck)
{
	char buf[KA_MAX_CODES * 12 + 8], *p = buf;
	bool ranges = false;
	unsigned int i;

	if (ck->n_codes == 0)
		return ka_xstrdup(c, "[ \"200-299\" ]");
	for (i = 0; i < ck->n_codes; i++)
		ranges |= ck->codes[i][0] != ck->codes[i][1];
	p += sprintf(p, "[ ");
	for (i = 0; i < ck->n_codes; i++) {
		const char *sep = i > 0 ? ", " : "";

		if (!ranges)
			p += sprintf(p, "%s%u", sep, ck->codes[i][0]);
		else if (ck->codes[i][0] == ck->codes[i][1])
			p += sprintf(p, "%s\"%u\"", sep, ck->codes[i][0]);
		else
			p += sprintf(p, "%s\"%u-%u\"", sep, ck->codes[i][0], ck->codes[i][1]);
	}
	sprintf(p, " ]");
	return ka_xstrdup(c, buf);
}

static int64_t
pick(int64_t a, int64_t b, int64_t c, int64_t def)
{
	return a != KA_UNSET ? a : b != KA_UNSET ? b : c != KA_UNSET ? c : def;
}

/*
 * The check group keepalived would run: the checker's options, else its real
 * server's, else its virtual server's, else keepalived's defaults (warmup:
 * the delay_loop; a MISC_CHECK's timeout: the virtual server's delay_loop).
 * port: where the checks connect when that is not the service port.
 */
void
ka_build_check(struct conv *c, struct check *out, const struct checker *ck,
		const struct opts *ro, const struct opts *vo, uint16_t port)
{
	bool http = ck->type == CT_HTTP || ck->type == CT_HTTPS;
	int64_t dl, v;
	const char *vh;

	out->v[CK_TYPE] = fmt_str(c, ct_names[ck->type]);
	if (ck->type == CT_NONE)
		return;
	dl = pick(ck->o.delay_loop, ro->delay_loop, vo->delay_loop, 60 * KA_USEC);
	out->v[CK_DELAY_LOOP] = fmt_time(c, dl);
	if (ck->type != CT_MISC)
		out->v[CK_CONNECT_TIMEOUT] = fmt_time(c, pick(ck->o.connect_timeout,
				ro->connect_timeout, vo->connect_timeout, 5 * KA_USEC));
	v = pick(ck->o.retry, ro->retry, vo->retry, ck->type == CT_MISC ? 0 : 1);
	out->v[CK_RETRY] = ka_xasprintf(c, "%lld", (long long)v);
	out->v[CK_DELAY_BEFORE_RETRY] = fmt_time(c, pick(ck->o.delay_before_retry,
			ro->delay_before_retry, vo->delay_before_retry,
			(http ? 3 : 1) * KA_USEC));
	out->v[CK_WARMUP] = fmt_time(c, pick(ck->o.warmup, ro->warmup, vo->warmup, dl));
	v = pick(ck->o.alpha, ro->alpha, vo->alpha, 0);
	out->v[CK_ALPHA] = ka_xstrdup(c, v == 1 ? "true" : "false");
	v = pick(KA_UNSET, ro->inhibit, vo->inhibit, 0);
	out->v[CK_INHIBIT] = ka_xstrdup(c, v == 1 ? "true" : "false");
	if (ck->connect_ip != NULL)
		out->v[CK_CONNECT_IP] = fmt_str(c, ck->connect_ip);
	if (ck->type != CT_MISC && (ck->connect_port != KA_UNSET || port != 0))
		out->v[CK_CONNECT_PORT] = ka_xasprintf(c, "%lld", (long long)
				(ck->connect_port != KA_UNSET ? ck->connect_port : port));
	if (http) {
		out->v[CK_PATH] = fmt_str(c, ck->path != NULL ? ck->path : "/");
		out->v[CK_STATUS_CODE] = fmt_codes(c, ck);
		if (ck->digest[0] != '\0')
			out->v[CK_DIGEST] = fmt_str(c, ck->digest);
		vh = ck->url_vhost ? ck->url_vhost : ck->o.vhost ? ck->o.vhost :
			ro->vhost ? ro->vhost : vo->vhost;
		if (vh != NULL)
			out->v[CK_VIRTUALHOST] = fmt_str(c, vh);
	}
	if (ck->type == CT_MISC) {
		out->v[CK_COMMAND] = fmt_str(c, ck->command != NULL ? ck->command : "");
		out->v[CK_TIMEOUT] = fmt_time(c, ck->timeout != KA_UNSET ? ck->timeout :
				vo->delay_loop != KA_UNSET ? vo->delay_loop : 60 * KA_USEC);
		out->v[CK_DYNAMIC] = ka_xstrdup(c, ck->dynamic ? "true" : "false");
	}
}

void
ka_free_check(struct check *ck)
{
	int k;

	for (k = 0; k < CK_COUNT; k++)
		free(ck->v[k]);
}
