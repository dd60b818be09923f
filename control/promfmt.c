/* SPDX-License-Identifier: BSD-3-Clause */
/* Prometheus text format 0.0.4 from the control socket's replies (see promfmt.h). */
#include <arpa/inet.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stddef.h>
#include <string.h>

#include "control/check.h"
#include "control/config.h"
#include "control/promfmt.h"
#include "control/sync_wire.h"
#include "dataplane/counters.h"
#include "dataplane/tcp_state.h"

static void
family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* As node_exporter prints an address it parsed (Go's net.IP: IPv6 compressed, no brackets). */
static const char *
ip(uint8_t af, const union lb_ip *addr, char buf[INET6_ADDRSTRLEN])
{
	return inet_ntop(af == AF_INET6 ? AF_INET6 : AF_INET, addr, buf, INET6_ADDRSTRLEN);
}

/* node_exporter's backend labels, in the order its output sorts them. */
static void
backend_labels(FILE *f, const struct lb_api_svc_key *k, const union lb_ip *raddr,
		uint16_t rport)
{
	char v[INET6_ADDRSTRLEN], r[INET6_ADDRSTRLEN];

	fprintf(f, "{local_address=\"%s\",local_mark=\"\",local_port=\"%u\",proto=\"%s\","
			"remote_address=\"%s\",remote_port=\"%u\"}", ip(k->af, &k->vip, v), k->port,
			lb_proto_name(k->proto), ip(k->af, raddr, r), rport);
}

static void
service_labels(FILE *f, const struct lb_api_svc_key *k)
{
	char v[INET6_ADDRSTRLEN];

	fprintf(f, "{local_address=\"%s\",local_port=\"%u\",proto=\"%s\"}", ip(k->af, &k->vip, v),
			k->port, lb_proto_name(k->proto));
}

/* ---- node_exporter's IPVS collector ---- */

static void
node_ipvs(FILE *f, const struct lb_obs *o, const struct lb_api_counters *hdr)
{
	static const struct {
		const char *name, *type, *help;
		size_t off;	/* in lb_api_dest */
	} gauges[] = {
		{ "node_ipvs_backend_connections_active", "gauge",
			"The current active connections by local and remote address.",
			offsetof(struct lb_api_dest, active) },
		{ "node_ipvs_backend_connections_inactive", "gauge",
			"The current inactive connections by local and remote address.",
			offsetof(struct lb_api_dest, inactive) },
		{ "node_ipvs_backend_weight", "gauge",
			"The current backend weight by local and remote address.",
			offsetof(struct lb_api_dest, weight) },
	};
	unsigned int g;

	family(f, "node_ipvs_connections_total", "counter", "The total number of connections made.");
	fprintf(f, "node_ipvs_connections_total %" PRIu64 "\n", hdr->total_conns);
	family(f, "node_ipvs_incoming_packets_total", "counter",
			"The total number of incoming packets.");
	fprintf(f, "node_ipvs_incoming_packets_total %" PRIu64 "\n", hdr->total_inpkts);
	/* direct routing: replies never cross the director */
	family(f, "node_ipvs_outgoing_packets_total", "counter",
			"The total number of outgoing packets.");
	fputs("node_ipvs_outgoing_packets_total 0\n", f);
	family(f, "node_ipvs_incoming_bytes_total", "counter", "The total amount of incoming data.");
	fprintf(f, "node_ipvs_incoming_bytes_total %" PRIu64 "\n", hdr->total_inbytes);
	family(f, "node_ipvs_outgoing_bytes_total", "counter", "The total amount of outgoing data.");
	fputs("node_ipvs_outgoing_bytes_total 0\n", f);

	for (g = 0; g < sizeof(gauges) / sizeof(gauges[0]); g++) {
		const struct lb_api_svc *s;
		uint32_t at = 0, j;

		family(f, gauges[g].name, gauges[g].type, gauges[g].help);
		while ((s = lb_obs_next(o->svcs, o->svcs_len, &at, sizeof(*s),
						sizeof(struct lb_api_dest), lb_obs_svc_n)) != NULL) {
			const struct lb_api_dest *d = (const struct lb_api_dest *)(s + 1);

			for (j = 0; j < s->n_dests; j++) {
				uint32_t v;

				memcpy(&v, (const char *)&d[j] + gauges[g].off, sizeof(v));
				fputs(gauges[g].name, f);
				backend_labels(f, &s->key, &d[j].addr, d[j].port);
				fprintf(f, " %u\n", v);
			}
		}
	}
}

/* ---- lbd's own ---- */

static void
services(FILE *f, const struct lb_obs *o)
{
	static const struct {
		const char *name, *help;
		size_t off;	/* in lb_api_stats */
	} c[] = {
		{ "lbd_service_connections_total", "Connections scheduled (ipvsadm --stats Conns; -Z resets it).",
			offsetof(struct lb_api_stats, conns) },
		{ "lbd_service_incoming_packets_total", "Packets forwarded (--stats InPkts).",
			offsetof(struct lb_api_stats, inpkts) },
		{ "lbd_service_incoming_bytes_total", "Bytes forwarded, IP headers included (--stats InBytes).",
			offsetof(struct lb_api_stats, inbytes) },
	};
	unsigned int k;

	for (k = 0; k < sizeof(c) / sizeof(c[0]); k++) {
		const struct lb_api_svc *s;
		uint32_t at = 0;

		family(f, c[k].name, "counter", c[k].help);
		while ((s = lb_obs_next(o->svcs, o->svcs_len, &at, sizeof(*s),
						sizeof(struct lb_api_dest), lb_obs_svc_n)) != NULL) {
			uint64_t v;

			memcpy(&v, (const char *)&s->stats + c[k].off, sizeof(v));
			fputs(c[k].name, f);
			service_labels(f, &s->key);
			fprintf(f, " %" PRIu64 "\n", v);
		}
	}
}

static void
cores(FILE *f, const struct lb_api_counters *hdr, const struct lb_api_core *cs)
{
	static const struct {
		const char *name, *help;
		size_t off;	/* in lb_api_core */
	} c[] = {
		{ "lbd_rx_packets_total", "Frames received by the worker.",
			offsetof(struct lb_api_core, rx) },
		{ "lbd_forwarded_packets_total", "Frames forwarded to a real server.",
			offsetof(struct lb_api_core, fwd) },
		{ "lbd_replies_total", "Frames answered in place (ARP, ICMP echo).",
			offsetof(struct lb_api_core, reply) },
		{ "lbd_to_control_packets_total", "Frames handed to the control plane (ARP replies).",
			offsetof(struct lb_api_core, to_control) },
		{ "lbd_to_host_packets_total", "Frames handed to a port's kernel interface.",
			offsetof(struct lb_api_core, to_host) },
		{ "lbd_tx_packets_total", "Frames handed to the driver.",
			offsetof(struct lb_api_core, tx) },
		{ "lbd_tx_dropped_total", "Frames the driver refused (TX queue full).",
			offsetof(struct lb_api_core, tx_dropped) },
		{ "lbd_sent_icmp_total", "ICMP errors lbd sent.",
			offsetof(struct lb_api_core, sent_icmp) },
		{ "lbd_sent_control_total", "Frames sent for the control plane (ARP requests).",
			offsetof(struct lb_api_core, sent_control) },
		{ "lbd_conn_evicted_total", "Half-open entries the drop_entry defence freed.",
			offsetof(struct lb_api_core, conn_evicted) },
		{ "lbd_stateless_forwarded_total",
			"Of the forwarded frames, mh services' sent without an entry (stateless_mh).",
			offsetof(struct lb_api_core, fwd_stateless) },
	};
	unsigned int n_drops = hdr->n_drops < LB_DROP_COUNT ? hdr->n_drops : LB_DROP_COUNT;
	unsigned int k, r;
	uint32_t i;

	for (k = 0; k < sizeof(c) / sizeof(c[0]); k++) {
		family(f, c[k].name, "counter", c[k].help);
		for (i = 0; i < hdr->n_cores; i++) {
			uint64_t v;

			memcpy(&v, (const char *)&cs[i] + c[k].off, sizeof(v));
			fprintf(f, "%s{lcore=\"%u\"} %" PRIu64 "\n", c[k].name, cs[i].lcore, v);
		}
	}
	family(f, "lbd_drops_total", "counter",
			"Frames dropped, by reason (lbadm --counters; docs/architecture.md).");
	for (i = 0; i < hdr->n_cores; i++)
		for (r = 0; r < n_drops; r++)
			fprintf(f, "lbd_drops_total{lcore=\"%u\",reason=\"%s\"} %" PRIu64 "\n",
					cs[i].lcore, lb_drop_name[r], cs[i].drop[r]);
	family(f, "lbd_conn_entries", "gauge",
			"Entries in the worker's connection table, persistence templates included.");
	for (i = 0; i < hdr->n_cores; i++)
		fprintf(f, "lbd_conn_entries{lcore=\"%u\"} %" PRIu64 "\n", cs[i].lcore, cs[i].conns);
	family(f, "lbd_conn_capacity", "gauge", "Entries the worker's connection table can hold.");
	for (i = 0; i < hdr->n_cores; i++)
		fprintf(f, "lbd_conn_capacity{lcore=\"%u\"} %" PRIu64 "\n", cs[i].lcore,
				cs[i].capacity);
	family(f, "lbd_conn_state_entries", "gauge",
			"Connection entries by state, as lbadm -lnc names them.");
	for (i = 0; i < hdr->n_cores; i++)
		for (r = 0; r < LB_API_N_STATES; r++)
			fprintf(f, "lbd_conn_state_entries{lcore=\"%u\",state=\"%s\"} %" PRIu64 "\n",
					cs[i].lcore, lb_state_name(r), cs[i].state[r]);
	family(f, "lbd_loop_max_seconds", "gauge",
			"The worker's longest loop iteration since start or lbadm -Z.");
	for (i = 0; i < hdr->n_cores; i++)
		fprintf(f, "lbd_loop_max_seconds{lcore=\"%u\"} %.9f\n", cs[i].lcore,
				cs[i].loop_max_ns / 1e9);
	family(f, "lbd_control_loop_max_seconds", "gauge",
			"The control loop's longest iteration in CPU time since start or lbadm -Z.");
	fprintf(f, "lbd_control_loop_max_seconds %.9f\n", hdr->ctl_loop_max_ns / 1e9);
}

static void
hosts(FILE *f, const struct lb_api_counters *hdr, const struct lb_api_host *hs)
{
	static const struct {
		const char *name, *help;
		size_t off;
	} c[] = {
		{ "lbd_host_to_kernel_packets_total", "Frames written to the kernel interface.",
			offsetof(struct lb_api_host, to_kernel) },
		{ "lbd_host_to_kernel_dropped_total", "Frames the kernel interface did not take.",
			offsetof(struct lb_api_host, to_kernel_dropped) },
		{ "lbd_host_from_kernel_packets_total", "Frames the kernel sent, sent on the port.",
			offsetof(struct lb_api_host, from_kernel) },
		{ "lbd_host_from_kernel_dropped_total", "Frames the kernel sent that the port did not take.",
			offsetof(struct lb_api_host, from_kernel_dropped) },
		{ "lbd_host_csum_fixed_total", "Frames from the kernel whose checksum lbd completed.",
			offsetof(struct lb_api_host, csum_fixed) },
	};
	unsigned int k;
	uint32_t i;

	if (hdr->n_hosts == 0)
		return;
	for (k = 0; k < sizeof(c) / sizeof(c[0]); k++) {
		family(f, c[k].name, "counter", c[k].help);
		for (i = 0; i < hdr->n_hosts; i++) {
			char name[sizeof(hs[i].ifname) + 1];
			uint64_t v;

			memcpy(name, hs[i].ifname, sizeof(hs[i].ifname));
			name[sizeof(hs[i].ifname)] = '\0';
			memcpy(&v, (const char *)&hs[i] + c[k].off, sizeof(v));
			fprintf(f, "%s{port=\"%u\",ifname=\"%s\"} %" PRIu64 "\n", c[k].name,
					hs[i].port, name, v);
		}
	}
}

static void
pools(FILE *f, const struct lb_api_counters *hdr, const struct lb_api_pool *ps)
{
	uint32_t i;

	family(f, "lbd_mempool_in_use", "gauge",
			"Objects taken from the mempool (mbufs in flight or held).");
	for (i = 0; i < hdr->n_pools; i++)
		fprintf(f, "lbd_mempool_in_use{pool=\"%.*s\"} %u\n", (int)sizeof(ps[i].name),
				ps[i].name, ps[i].in_use);
	family(f, "lbd_mempool_size", "gauge", "Objects in the mempool.");
	for (i = 0; i < hdr->n_pools; i++)
		fprintf(f, "lbd_mempool_size{pool=\"%.*s\"} %u\n", (int)sizeof(ps[i].name),
				ps[i].name, ps[i].size);
}

static void
health(FILE *f, const struct lb_obs *o)
{
	const struct lb_api_health_hdr *hdr = o->health;
	const struct lb_api_health_svc *s;
	uint32_t at = sizeof(*hdr), j;

	if (hdr == NULL || o->health_len < sizeof(*hdr))
		return;
	family(f, "lbd_health_checks_total", "counter", "Health-check attempts since start.");
	fprintf(f, "lbd_health_checks_total %" PRIu64 "\n", hdr->attempts);
	family(f, "lbd_health_checked_servers", "gauge", "Real servers with a health check.");
	fprintf(f, "lbd_health_checked_servers %u\n", hdr->n_checked);
	family(f, "lbd_health_checker_cpu_seconds_total", "counter",
			"CPU time of the health checker's thread.");
	fprintf(f, "lbd_health_checker_cpu_seconds_total %.6f\n", hdr->cpu_ns / 1e9);
	family(f, "lbd_service_quorum_up", "gauge",
			"1 while the service has its quorum (keepalived's), else 0.");
	while ((s = lb_obs_next(o->health, o->health_len, &at, sizeof(*s),
					sizeof(struct lb_api_health_dest), lb_obs_health_n)) != NULL) {
		fputs("lbd_service_quorum_up", f);
		service_labels(f, &s->key);
		fprintf(f, " %u\n", s->quorum_up);
	}
	family(f, "lbd_backend_up", "gauge",
			"1 while the real server's check passes (or it has none), else 0.");
	at = sizeof(*hdr);
	while ((s = lb_obs_next(o->health, o->health_len, &at, sizeof(*s),
					sizeof(struct lb_api_health_dest), lb_obs_health_n)) != NULL) {
		const struct lb_api_health_dest *d = (const struct lb_api_health_dest *)(s + 1);

		for (j = 0; j < s->n_dests; j++) {
			fputs("lbd_backend_up", f);
			backend_labels(f, &s->key, &d[j].addr, d[j].port);
			fprintf(f, " %u\n", d[j].state != LB_API_HEALTH_DOWN);
		}
	}
	family(f, "lbd_backend_check_failures", "gauge",
			"Consecutive failed check attempts of the real server.");
	at = sizeof(*hdr);
	while ((s = lb_obs_next(o->health, o->health_len, &at, sizeof(*s),
					sizeof(struct lb_api_health_dest), lb_obs_health_n)) != NULL) {
		const struct lb_api_health_dest *d = (const struct lb_api_health_dest *)(s + 1);

		for (j = 0; j < s->n_dests; j++) {
			if (d[j].check == LB_CHECK_NONE)
				continue;
			fputs("lbd_backend_check_failures", f);
			backend_labels(f, &s->key, &d[j].addr, d[j].port);
			fprintf(f, " %u\n", d[j].fails);
		}
	}
}

static const char *const why_names[] = {
	[LB_API_ANN_OK] = "ok", [LB_API_ANN_ADMIN] = "admin", [LB_API_ANN_QUORUM] = "quorum",
	[LB_API_ANN_WORKER] = "worker", [LB_API_ANN_STOPPING] = "stopping",
	[LB_API_ANN_ERROR] = "error",
};

static void
announce(FILE *f, const struct lb_obs *o)
{
	const struct lb_api_announce_hdr *hdr = o->announce;
	const struct lb_api_announce *a;
	uint32_t i;

	if (hdr == NULL || o->announce_len < sizeof(*hdr) || !hdr->enabled ||
			(uint64_t)hdr->n * sizeof(*a) > o->announce_len - sizeof(*hdr))
		return;
	a = (const struct lb_api_announce *)(hdr + 1);
	family(f, "lbd_vip_announced", "gauge",
			"1 while the VIP's route is in the announce table, else 0; reason says why not.");
	for (i = 0; i < hdr->n; i++) {
		char v[INET6_ADDRSTRLEN];
		union lb_ip vip = lb_ip_from_v4(a[i].vip);

		fprintf(f, "lbd_vip_announced{vip=\"%s\",reason=\"%s\"} %u\n", ip(AF_INET, &vip, v),
				a[i].why < sizeof(why_names) / sizeof(why_names[0]) ?
				why_names[a[i].why] : "unknown", a[i].announced);
	}
}

static void
sync_state(FILE *f, const struct lb_obs *o)
{
	static const struct {
		const char *name, *help;
		size_t off;	/* in lb_api_sync */
	} c[] = {
		{ "lbd_sync_records_queued_total", "Master: connection records the workers handed.",
			offsetof(struct lb_api_sync, queued) },
		{ "lbd_sync_queue_full_total", "Master: records lost, a worker's ring full.",
			offsetof(struct lb_api_sync, queue_full) },
		{ "lbd_sync_sent_messages_total", "Master: sync messages sent.",
			offsetof(struct lb_api_sync, sent_msgs) },
		{ "lbd_sync_sent_conns_total", "Master: connection records sent.",
			offsetof(struct lb_api_sync, sent_conns) },
		{ "lbd_sync_send_errors_total", "Master: messages the socket refused.",
			offsetof(struct lb_api_sync, send_errors) },
		{ "lbd_sync_received_messages_total", "Backup: sync messages received.",
			offsetof(struct lb_api_sync, rx_msgs) },
		{ "lbd_sync_received_conns_total", "Backup: connection records received.",
			offsetof(struct lb_api_sync, rx_conns) },
		{ "lbd_sync_ring_full_total", "Backup: records lost, a worker's ring full.",
			offsetof(struct lb_api_sync, ring_full) },
	};
	static const struct {
		const char *result;
		size_t off;
	} applied[] = {
		{ "created", offsetof(struct lb_api_sync, created) },
		{ "updated", offsetof(struct lb_api_sync, updated) },
		{ "replaced", offsetof(struct lb_api_sync, replaced) },
		{ "stale", offsetof(struct lb_api_sync, stale) },
		{ "no_service", offsetof(struct lb_api_sync, no_service) },
		{ "no_dest", offsetof(struct lb_api_sync, no_dest) },
		{ "table_full", offsetof(struct lb_api_sync, table_full) },
	};
	const struct lb_api_sync *s = &o->sync;
	unsigned int k;
	uint64_t v;

	if (!o->has_sync)
		return;
	family(f, "lbd_sync_daemon_running", "gauge", "1 while the sync daemon of the role runs.");
	fprintf(f, "lbd_sync_daemon_running{role=\"master\"} %u\n", s->daemon[0].on ? 1 : 0);
	fprintf(f, "lbd_sync_daemon_running{role=\"backup\"} %u\n", s->daemon[1].on ? 1 : 0);
	for (k = 0; k < sizeof(c) / sizeof(c[0]); k++) {
		family(f, c[k].name, "counter", c[k].help);
		memcpy(&v, (const char *)s + c[k].off, sizeof(v));
		fprintf(f, "%s %" PRIu64 "\n", c[k].name, v);
	}
	family(f, "lbd_sync_rx_drops_total", "counter",
			"Backup: datagrams or records not taken, by reason.");
	for (k = 0; k < LB_SYNC_DROP_COUNT; k++)
		fprintf(f, "lbd_sync_rx_drops_total{reason=\"%s\"} %" PRIu64 "\n",
				lb_sync_drop_names[k], s->rx_drop[k]);
	family(f, "lbd_sync_applied_total", "counter",
			"Backup: records the workers applied, by result.");
	for (k = 0; k < sizeof(applied) / sizeof(applied[0]); k++) {
		memcpy(&v, (const char *)s + applied[k].off, sizeof(v));
		fprintf(f, "lbd_sync_applied_total{result=\"%s\"} %" PRIu64 "\n", applied[k].result, v);
	}
}

int
lb_prom_write(FILE *f, const struct lb_obs *o, const struct lb_prom_self *self)
{
	const struct lb_api_counters *hdr = o->counters;
	const struct lb_api_core *cs = (const struct lb_api_core *)(hdr + 1);
	uint64_t need = sizeof(*hdr) + (uint64_t)hdr->n_cores * sizeof(*cs) +
		(uint64_t)hdr->n_hosts * sizeof(struct lb_api_host) +
		(uint64_t)hdr->n_pools * sizeof(struct lb_api_pool);

	family(f, "lbd_info", "gauge", "lbd's version, as a label; always 1.");
	fputs("lbd_info{version=\"" LB_VERSION "\"} 1\n", f);
	if (need > o->counters_len)
		return -1;	/* lbd and this thread come from one build: never */
	node_ipvs(f, o, hdr);
	services(f, o);
	cores(f, hdr, cs);
	hosts(f, hdr, (const struct lb_api_host *)(cs + hdr->n_cores));
	pools(f, hdr, (const struct lb_api_pool *)((const struct lb_api_host *)(cs + hdr->n_cores) +
				hdr->n_hosts));
	health(f, o);
	announce(f, o);
	sync_state(f, o);
	family(f, "lbd_metrics_scrapes_total", "counter", "Scrapes the metrics server answered.");
	fprintf(f, "lbd_metrics_scrapes_total %" PRIu64 "\n", self->scrapes);
	family(f, "lbd_metrics_errors_total", "counter",
			"Scrapes answered 503: lbd's control socket did not answer.");
	fprintf(f, "lbd_metrics_errors_total %" PRIu64 "\n", self->errors);
	family(f, "lbd_metrics_fetch_seconds", "gauge",
			"How long this scrape took to read lbd's state over the control socket.");
	fprintf(f, "lbd_metrics_fetch_seconds %.6f\n", self->last_seconds);
	return ferror(f) ? -1 : 0;
}
