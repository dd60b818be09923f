/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lbadm --health and --announced: the checker's and the announcer's views,
 * as text or JSON (see healthfmt.h).
 *
 * The reply is checked whole before anything is printed: a malformed one
 * prints nothing and returns -1.
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>

#include "control/check.h"
#include "control/lbadm/healthfmt.h"

static bool
well_formed(const void *blob, size_t len)
{
	const struct lb_api_health_hdr *hdr = blob;
	const uint8_t *p = blob;
	size_t off = sizeof(*hdr);
	uint32_t i;

	if (len < sizeof(*hdr))
		return false;
	for (i = 0; i < hdr->n_svcs; i++) {
		const struct lb_api_health_svc *s = (const void *)(p + off);

		if (len - off < sizeof(*s))
			return false;
		off += sizeof(*s);
		if ((len - off) / sizeof(struct lb_api_health_dest) < s->n_dests)
			return false;
		off += (size_t)s->n_dests * sizeof(struct lb_api_health_dest);
	}
	return off == len;
}

#define ADDR_LEN	INET6_ADDRSTRLEN
#define ADDRPORT_LEN	(ADDR_LEN + 8)	/* "[" addr "]:" port */

static const char *
addr_str(uint8_t af, const union lb_ip *a, char *buf)
{
	if (af == AF_INET6)
		return inet_ntop(AF_INET6, a->v6, buf, ADDR_LEN);
	return inet_ntop(AF_INET, &a->v4, buf, ADDR_LEN);
}

/* Announcements are of IPv4 VIPs only (control/lb_api.h). */
static const char *
v4_str(uint32_t a, char *buf)
{
	return inet_ntop(AF_INET, &a, buf, ADDR_LEN);
}

/* "addr:port", "[addr]:port" for IPv6 as ipvsadm writes them. */
static const char *
addrport_str(uint8_t af, const union lb_ip *a, uint16_t port, char *buf)
{
	char t[ADDR_LEN];

	snprintf(buf, ADDRPORT_LEN, af == AF_INET6 ? "[%s]:%u" : "%s:%u", addr_str(af, a, t),
			port);
	return buf;
}

static void
when(int64_t t, char *buf, size_t size)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (t <= 0 || localtime_r(&tt, &tm) == NULL)
		snprintf(buf, size, "-");
	else
		strftime(buf, size, "%Y-%m-%d %H:%M:%S", &tm);
}

static const char *
state_name(const struct lb_api_health_dest *d)
{
	if (d->sorry)
		return d->in_sched ? "ACTIVE" : "STANDBY";
	return d->state == LB_API_HEALTH_DOWN ? "DOWN" : "UP";
}

static void
json_text(FILE *f, const char *s, size_t max)
{
	size_t i;

	fputc('"', f);
	for (i = 0; i < max && s[i] != '\0'; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch < 0x20 || ch == 0x7f)
			fprintf(f, "\\u%04x", ch);
		else
			fputc(ch, f);
	}
	fputc('"', f);
}

static void
text(FILE *f, const struct lb_api_health_hdr *hdr, const uint8_t *p)
{
	char b[ADDR_LEN], ap[ADDRPORT_LEN], since[32];
	uint32_t i, j;

	fprintf(f, "Checker: %u server%s checked, %" PRIu64 " attempts in %.1f s, CPU %.2f s,"
			" started late by %.1f ms at most (%.3f ms mean) since -Z\n", hdr->n_checked,
			hdr->n_checked == 1 ? "" : "s", hdr->attempts, hdr->running_ms / 1000.0,
			hdr->cpu_ns / 1e9, hdr->late_max_us / 1000.0,
			hdr->late_attempts ? hdr->late_sum_us / 1000.0 / (double)hdr->late_attempts :
			0.0);
	fprintf(f, "Prot VirtualAddress:Port      Quorum          Healthy  Sorry server\n");
	fprintf(f, "  -> RemoteAddress:Port       Check State   Since               Weight"
			"     Fails Latency   Checks Result\n");
	p += sizeof(*hdr);
	for (i = 0; i < hdr->n_svcs; i++) {
		const struct lb_api_health_svc *s = (const void *)p;
		char q[32];

		p += sizeof(*s);
		addrport_str(s->key.af, &s->key.vip, s->key.port, ap);
		if (s->hysteresis)
			snprintf(q, sizeof(q), "%u h%u %s", s->quorum, s->hysteresis,
					s->quorum_up ? "up" : "LOST");
		else
			snprintf(q, sizeof(q), "%u %s", s->quorum, s->quorum_up ? "up" : "LOST");
		fprintf(f, "%-4s %-24s %-15s %-8u %s\n",
				s->key.proto == IPPROTO_UDP ? "UDP" : "TCP", ap, q, s->weight_up,
				lb_ip_is_zero(&s->sorry_addr) ? "-" :
				addr_str(s->key.af, &s->sorry_addr, b));
		for (j = 0; j < s->n_dests; j++) {
			const struct lb_api_health_dest *d = (const void *)p;
			char w[24], lat[16];

			p += sizeof(*d);
			addrport_str(s->key.af, &d->addr, d->port, ap);
			when(d->check != LB_CHECK_NONE ? d->since : 0, since, sizeof(since));
			snprintf(w, sizeof(w), "%u/%u%s", d->eff_weight, d->weight,
					d->inhibit ? "i" : "");
			if (d->check != LB_CHECK_NONE && d->checks > 0)
				snprintf(lat, sizeof(lat), "%.1fms", d->latency_us / 1000.0);
			else
				snprintf(lat, sizeof(lat), "-");
			fprintf(f, "  -> %-24s %-5s %-7s %-19s %-10s %-5u %-9s %-6" PRIu64 " %.*s\n",
					ap, d->sorry ? "-" : lb_check_type_name(d->check),
					state_name(d), since, w, d->fails, lat, d->checks,
					(int)sizeof(d->result),
					d->check != LB_CHECK_NONE ? d->result :
					d->sorry ? "sorry server" : "not checked");
		}
	}
}

static void
json(FILE *f, const struct lb_api_health_hdr *hdr, const uint8_t *p)
{
	char a[ADDR_LEN];
	uint32_t i, j;

	fprintf(f, "{\"checker\":{\"checked\":%u,\"attempts\":%" PRIu64 ",\"running_ms\":%" PRIu64
			",\"cpu_ns\":%" PRIu64 ",\"late_max_us\":%" PRIu64 ",\"late_sum_us\":%"
			PRIu64 ",\"late_attempts\":%" PRIu64 "},\"services\":[", hdr->n_checked,
			hdr->attempts, hdr->running_ms, hdr->cpu_ns, hdr->late_max_us,
			hdr->late_sum_us, hdr->late_attempts);
	p += sizeof(*hdr);
	for (i = 0; i < hdr->n_svcs; i++) {
		const struct lb_api_health_svc *s = (const void *)p;

		p += sizeof(*s);
		fprintf(f, "%s{\"protocol\":\"%s\",\"vip\":\"%s\",\"port\":%u,\"quorum\":%u,"
				"\"hysteresis\":%u,\"weight_up\":%u,\"quorum_up\":%s,"
				"\"quorum_since\":%" PRId64 ",", i ? "," : "",
				s->key.proto == IPPROTO_UDP ? "UDP" : "TCP",
				addr_str(s->key.af, &s->key.vip, a),
				s->key.port, s->quorum, s->hysteresis, s->weight_up,
				s->quorum_up ? "true" : "false", s->quorum_since);
		if (!lb_ip_is_zero(&s->sorry_addr))
			fprintf(f, "\"sorry_server\":\"%s\",",
					addr_str(s->key.af, &s->sorry_addr, a));
		else
			fprintf(f, "\"sorry_server\":null,");
		fprintf(f, "\"sorry_active\":%s,\"servers\":[", s->sorry_active ? "true" : "false");
		for (j = 0; j < s->n_dests; j++) {
			const struct lb_api_health_dest *d = (const void *)p;

			p += sizeof(*d);
			fprintf(f, "%s{\"address\":\"%s\",\"port\":%u,\"check\":\"%s\","
					"\"state\":\"%s\",\"sorry\":%s,\"inhibit\":%s,"
					"\"in_scheduler\":%s,\"weight\":%u,\"effective_weight\":%u,"
					"\"fails\":%u,\"latency_us\":%u,\"checks\":%" PRIu64 ","
					"\"since\":%" PRId64 ",\"result\":", j ? "," : "",
					addr_str(s->key.af, &d->addr, a), d->port,
					lb_check_type_name(d->check),
					d->state == LB_API_HEALTH_DOWN ? "down" : "up",
					d->sorry ? "true" : "false", d->inhibit ? "true" : "false",
					d->in_sched ? "true" : "false", d->weight, d->eff_weight,
					d->fails, d->latency_us, d->checks, d->since);
			json_text(f, d->result, sizeof(d->result));
			fputc('}', f);
		}
		fputs("]}", f);
	}
	fputs("]}\n", f);
}

int
lb_fmt_health(FILE *f, const void *blob, size_t len, bool as_json)
{
	if (!well_formed(blob, len))
		return -1;
	if (as_json)
		json(f, blob, blob);
	else
		text(f, blob, blob);
	return 0;
}

static const char *
reason(const struct lb_api_announce *a)
{
	static char buf[64];

	switch (a->why) {
	case LB_API_ANN_OK: return "-";
	case LB_API_ANN_ADMIN: return "withdrawn by lbadm";
	case LB_API_ANN_QUORUM: return "no service has its quorum";
	case LB_API_ANN_WORKER:
		snprintf(buf, sizeof(buf), "worker lcore %u stalled", a->lcore);
		return buf;
	case LB_API_ANN_STOPPING: return "lbd is stopping";
	case LB_API_ANN_ERROR:
		snprintf(buf, sizeof(buf), "the kernel refused the route: %s", strerror(-a->error));
		return buf;
	}
	return "?";
}

int
lb_fmt_announce(FILE *f, const void *blob, size_t len, bool as_json)
{
	const struct lb_api_announce_hdr *hdr = blob;
	const struct lb_api_announce *a = (const void *)(hdr + 1);
	char ip[ADDR_LEN], since[32];
	uint32_t i;

	if (len < sizeof(*hdr) || (len - sizeof(*hdr)) / sizeof(*a) != hdr->n ||
			(len - sizeof(*hdr)) % sizeof(*a) != 0)
		return -1;
	if (as_json) {
		fprintf(f, "{\"enabled\":%s,\"table\":%u,\"drain_seconds\":%u,\"vips\":[",
				hdr->enabled ? "true" : "false", hdr->table, hdr->drain_seconds);
		for (i = 0; i < hdr->n; i++) {
			fprintf(f, "%s{\"vip\":\"%s\",\"announced\":%s,\"admin\":%s,"
					"\"reason\":", i ? "," : "", v4_str(a[i].vip, ip),
					a[i].announced ? "true" : "false", a[i].admin ? "true" : "false");
			json_text(f, a[i].why == LB_API_ANN_OK ? "announced" : reason(&a[i]), 64);
			fprintf(f, ",\"since\":%" PRId64 "}", a[i].since);
		}
		fputs("]}\n", f);
		return 0;
	}
	if (!hdr->enabled) {
		fprintf(f, "Announcing nothing: the configuration has no announce group\n");
		return 0;
	}
	fprintf(f, "Announcing as blackhole routes in table %u (after SIGTERM: %u s of"
			" forwarding)\n", hdr->table, hdr->drain_seconds);
	fprintf(f, "VIP              State      Since                Reason\n");
	for (i = 0; i < hdr->n; i++) {
		when(a[i].since, since, sizeof(since));
		fprintf(f, "%-16s %-10s %-20s %s\n", v4_str(a[i].vip, ip),
				a[i].announced ? "announced" : "withdrawn", since, reason(&a[i]));
	}
	return 0;
}
