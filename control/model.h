/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control plane's model of services and real servers: the authority that
 * the configuration file fills at start and lbadm changes at run time, and
 * its publication to the workers.
 *
 * Workers see the model only through snapshots (dataplane/svc.h). Every
 * change is a transaction: it is checked (limits included, control/limits.h),
 * the complete snapshot it would give is built, and only when that
 * succeeded is the model changed and the snapshot published: the pointer
 * workers load is swapped, and the old snapshot is freed once an RCU grace
 * period has passed (every worker has finished the burst that might hold
 * the old pointer): checked from the control loop, never waited for, so that
 * a stalled worker cannot stall the control plane. A refused change changes
 * nothing, and the model and the dataplane never disagree.
 *
 * A change touches only what it concerns. Each service carries a generation
 * that moves only when what its scheduler is built from moves (its servers,
 * their weights, its scheduler and flags); a snapshot reuses the built
 * scheduler (sh/mh tables included) of every service whose generation did not
 * move, and workers keep their rr/wrr positions for it.
 *
 * Identities are stable: a service keeps its id (the index of its counters in
 * every worker) for its life, a real server its lb_dests id. A deleted real
 * server is retired, not freed: its id stays reserved while any connection
 * entry refers to it (its packets are dropped, or rescheduled with
 * expire_nodest_conn), it comes back as it was if re-added meanwhile (as
 * IPVS's "trash"), and lb_model_gc() recycles it once no entry is left.
 *
 * Counters shown to operators are the workers' sums minus a baseline taken
 * when an id is (re)allocated or zeroed (-Z): workers never have their
 * counters written by anyone else. Main thread only.
 */
#ifndef LB_MODEL_H
#define LB_MODEL_H

#include <rte_rcu_qsbr.h>

#include "control/config.h"
#include "control/lb_api.h"
#include "dataplane/svc.h"

struct lb_worker;

/*
 * What workers know of port cp whose MAC is mac (port_id, n_rxq and host are
 * the caller's): its addresses, IPv4 mask, MTU and IPv6 link-local address.
 */
void lb_model_port_info(const struct lb_conf_port *cp, const struct rte_ether_addr *mac,
		struct lb_port_info *out);

/*
 * Allocate lb_dests[] and build the model from conf, for the ports in
 * ports[0..n_ports) (their MACs and ethdev ids). Returns 0 or -errno.
 */
int lb_model_init(const struct lb_conf *conf, const struct lb_port_info *ports,
		uint32_t n_ports);

/*
 * The workers whose counters the model reads, and the RCU variable they
 * report to (after lb_model_init; qsbr NULL when no worker runs, as in tests).
 */
void lb_model_set_workers(struct lb_worker *const *workers, uint16_t n_workers,
		struct rte_rcu_qsbr *qsbr);

/* Build and publish a snapshot of the model as it is (at start). */
int lb_model_publish(void);

/*
 * Changes, as ipvsadm makes them. Each returns 0 once the change is published
 * to the workers, or -errno (the errno values of lb_api.h) with nothing
 * changed.
 */
int lb_model_svc_add(const struct lb_api_svc *s);
int lb_model_svc_edit(const struct lb_api_svc *s);
int lb_model_svc_del(const struct lb_api_svc_key *k);
int lb_model_dest_add(const struct lb_api_svc_key *k, const struct lb_api_dest *d);
int lb_model_dest_edit(const struct lb_api_svc_key *k, const struct lb_api_dest *d);
int lb_model_dest_del(const struct lb_api_svc_key *k, const struct lb_api_dest *d);
int lb_model_clear(void);
/* -Z: counters and rates of one service and its servers, or of all (k NULL). */
int lb_model_zero(const struct lb_api_svc_key *k);
void lb_model_timeouts(struct lb_api_timeouts *t);
int lb_model_set_timeouts(const struct lb_api_timeouts *t);
/* secure_tcp & co (-1 = unchanged). */
void lb_model_sysctl(struct lb_api_sysctl *out);
int lb_model_set_sysctl(const struct lb_api_sysctl *in);

/*
 * vip_arp = "kernel": answer ARP only for the VIPs vips[0..n) (held by the
 * ports' kernel interfaces), with kernel_mode; published at once.
 */
int lb_model_set_vip_owned(bool kernel_mode, const uint32_t *vips, uint32_t n);

/* Port i's link (control/port.h): published at once; 0 or -errno. */
int lb_model_set_port_link(uint32_t i, bool up);

/* Listing: services in model order, each with its servers' records. */
uint32_t lb_model_n_svcs(void);
uint32_t lb_model_svc_n_dests(uint32_t i);
void lb_model_svc_record(uint32_t i, struct lb_api_svc *out);
void lb_model_dest_record(uint32_t i, uint32_t j, struct lb_api_dest *out);
uint32_t lb_model_n_dests_total(void);

/*
 * Housekeeping, from the control loop: overload flags (-x/-y) every call,
 * rates every 2 s (IPVS's estimator), recycling of retired server ids.
 */
void lb_model_update_overload(struct lb_worker *const *workers, uint16_t n_workers);
void lb_model_estimate(uint32_t now);
void lb_model_gc(void);

/*
 * Health checks (control/health.h). The model keeps each server's health
 * apart from the operator's weight, and what follows from it: a server that
 * is down leaves the scheduler (its packets are dropped, as IPVS does for a
 * deleted server) or, under inhibit_on_failure, stays with weight 0; each
 * service's quorum; its sorry server while the quorum is lost. Listings
 * (lb_model_svc_record and co) show what IPVS under keepalived would hold.
 *
 * lb_model_health_dirty: the servers changed since lb_model_health_targets
 * last listed those with a check (at most max of them into out).
 * lb_model_health_set: what the checker found for the server of token (up, and
 * the weight a dynamic check gives, -1 = none); -ENOENT when it is gone.
 * lb_model_health_publish: publish what lb_model_health_set changed (0, or
 * -ENOMEM with the change kept for the next call).
 */
bool lb_model_health_dirty(void);
uint32_t lb_model_health_targets(struct lb_health_target *out, uint32_t max);
int lb_model_health_set(uint64_t token, bool up, int32_t weight);
int lb_model_health_publish(void);
/* --health: service i's quorum; server j of it (every one, sorry server
 * included), returning its token for the checker's details (0 = unchecked). */
void lb_model_health_svc(uint32_t i, struct lb_api_health_svc *out);
uint64_t lb_model_health_dest(uint32_t i, uint32_t j, struct lb_api_health_dest *out);
/* Whether the service has its quorum (the announcement's input). */
bool lb_model_quorum(uint8_t proto, uint32_t vip, uint16_t port);
/* Service i's VIP (network order), and whether it has its quorum. */
uint32_t lb_model_svc_vip(uint32_t i);
bool lb_model_svc_quorum(uint32_t i);

/*
 * Reload (control/reload.h): make the model what conf describes, in one
 * publication. Services are matched by (proto, VIP, port), real servers by
 * address within their service. A service or server the file keeps keeps
 * its id, counters, scheduler state (unless what the scheduler is built from
 * changed) and health; one it drops is deleted as lbadm -D/-d would (a
 * server's connections follow IPVS's trash rules); timeouts, secure_tcp,
 * sloppy_tcp, expire_nodest_conn and vip_arp always/never follow the file.
 * Returns 0; -ENOSPC with nothing changed when the new servers would need
 * more ids than are free (st->ids_*); -ENOMEM when memory ran out half-way
 * (what was done is published, or will be from lb_model_gc()).
 */
struct lb_model_reload_stats {
	uint32_t svc_added, svc_removed, svc_changed;
	uint32_t dest_added, dest_removed, dest_changed;
	bool params_changed;
	uint32_t admin_changes;	/* lbadm changes since the last read, replaced */
	uint32_t ids_needed, ids_free;	/* -ENOSPC */
};
int lb_model_reload(const struct lb_conf *conf, struct lb_model_reload_stats *st);

/* Free the published snapshot and the model (workers stopped). */
void lb_model_fini(void);

#endif
