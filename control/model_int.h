/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The services model's inside, shared by its files (main thread only):
 *   model.c         the state, counters, ids, changes as transactions, the
 *                   snapshot, start and stop, housekeeping;
 *   model_admin.c   changes from lbadm, and listings;
 *   model_health.c  health: checks interned, the checker's targets, quorum;
 *   model_reload.c  a new configuration applied as one change per service.
 * Nothing outside control/model*.c includes this: control/model.h is the
 * module's contract.
 */
#ifndef LB_MODEL_INT_H
#define LB_MODEL_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "control/model.h"
#include "dataplane/worker.h"

struct mdest {
	uint32_t id;		/* lb_dests id */
	uint32_t last_weight;	/* last non-zero weight: mh keeps the server's slots */
	struct lb_conf_dest cfg;	/* cfg.weight: the operator's; cfg.check unused */
	/* health (control/health.h): kept apart from the operator's weight */
	uint64_t token;		/* names it to the checker */
	uint32_t check;		/* index in checks[]; 0 = not checked */
	uint8_t down;
	uint8_t sorry;		/* the service's sorry server, not a real server */
	int32_t dyn_weight;	/* a dynamic misc check's weight, -1 = none */
};

struct msvc {
	uint32_t id;		/* stats and scheduler-state index */
	uint32_t gen;		/* moves with what its scheduler is built from */
	struct lb_conf_service cfg;	/* cfg.dests, cfg.check unused: see dests, check */
	uint32_t check;		/* what a server added with lbadm -a gets */
	uint8_t quorum_up;
	uint8_t sorry_active;	/* quorum lost: only the sorry server is scheduled */
	int64_t quorum_since;
	struct mdest *dests;
	uint32_t n_dests;
};

/* What applies to every service. */
struct params {
	uint32_t timeout[LB_S_COUNT];
	bool secure_tcp, sloppy_tcp, expire_nodest_conn;
	bool vip_arp;
	bool vip_arp_kernel;		/* vip_arp = "kernel" */
	uint16_t n_vip_owned;
	uint32_t vip_owned[LB_MAX_VIP_OWNED];	/* the VIPs the kernel holds */
	struct lb_defense defense;		/* drop_entry & co */
};

/* Counters as shown: workers' sums minus base; rates by IPVS's estimator. */
struct shown {
	struct lb_traffic_stats base;
	struct lb_traffic_stats last;	/* sums at the last estimate */
	uint64_t cps, inpps, inbps;	/* scaled as IPVS: <<10, <<10, <<5 */
};

enum op { OP_PARAMS, OP_ADD, OP_REPLACE, OP_DELETE, OP_CLEAR };

struct change {
	enum op op;
	uint32_t at;		/* OP_REPLACE, OP_DELETE: index in svcs */
	struct msvc svc;	/* OP_ADD, OP_REPLACE: the new version; owns svc.dests */
	int32_t claim;		/* position in svc.dests of a server whose id to claim, or -1 */
	int32_t retire;		/* id of a server deleted from it, or -1 */
	bool quorum_moved;	/* the service's quorum state changes with it */
	struct params params;
};

/* The model's state: the one instance is lb_model (model.c). */
struct lb_model_state {
	struct msvc *svcs;
	uint32_t n_svcs, cap_svcs;
	uint32_t gen_next;	/* 0 is a worker's "no state yet" */
	uint8_t svc_id_used[LB_MAX_SERVICES];
	struct shown svc_shown[LB_MAX_SERVICES];
	struct shown dest_shown[LB_MAX_DESTS];
	uint8_t dest_retired[LB_MAX_DESTS];
	uint8_t retired_proto[LB_MAX_DESTS];	/* the service it was retired from */
	union lb_ip retired_vip[LB_MAX_DESTS];
	uint8_t retired_af[LB_MAX_DESTS];
	uint16_t retired_vport[LB_MAX_DESTS];
	struct params params;
	/*
	 * Every distinct check configuration, each allocated once and kept until
	 * lb_model_fini(): the checker thread reads them without a lock, and they
	 * are few (one per service, plus one per server that overrides it).
	 */
	struct lb_check_conf **checks;
	uint32_t n_checks, cap_checks;
	uint64_t token_next;
	bool targets_dirty;	/* the checker's list is out of date */
	bool health_pending;	/* a health change is yet to be published */
	bool publish_pending;	/* a reload's publication is yet to be done */
	uint32_t admin_changes;	/* made with lbadm since the file was last read */
	struct lb_port_info ports[LB_MAX_PORTS];
	uint32_t n_ports;
	struct lb_worker *const *workers;
	uint16_t n_workers;
	struct rte_rcu_qsbr *qsbr;
};

extern struct lb_model_state lb_model;

/* model.c */
int model_apply(struct change *ch);
int model_change_copy(struct change *ch, uint32_t at, uint32_t extra);
void model_change_init(struct change *ch, enum op op);
int model_check_dest(const struct msvc *s, const struct lb_conf_dest *d);
int model_check_svc(const struct lb_conf_service *c);
void model_commit(struct change *ch);
void model_del_svc_at(uint32_t i);
void model_params_from_conf(struct params *p, const struct lb_conf *conf);
void model_dest_fill(struct lb_dest *d, const struct lb_conf_dest *cd, uint8_t af,
		uint32_t svc_id, int port);
int model_find_dest(const struct msvc *s, const union lb_ip *addr);
struct msvc *model_find_svc(uint8_t proto, uint8_t af, const union lb_ip *vip, uint16_t port);
int model_port_for(uint8_t af, const union lb_ip *addr);
int model_prepare_dest_add(uint32_t at, const struct lb_conf_dest *cd, bool sorry,
		struct change *ch);
int model_prepare_svc_add(const struct lb_conf_service *c, struct change *ch);
bool model_retired_match(uint32_t i, const struct msvc *s, const union lb_ip *addr);
struct lb_snap *model_snap_build(const struct change *ch);
void model_snap_publish(struct lb_snap *snap);
void model_sum_dest(uint32_t id, struct lb_traffic_stats *t, struct lb_dest_count *c);
void model_sum_svc(uint32_t id, struct lb_traffic_stats *t);
int model_svc_add_conf(const struct lb_conf_service *cs, const char *path, uint32_t *n_dests);
void model_zero_dest(uint32_t id);
void model_zero_svc(uint32_t id);

/* model_health.c */
int64_t model_check_intern(const struct lb_check_conf *c);
uint32_t model_eff_weight(const struct mdest *md);
bool model_in_sched(const struct msvc *s, const struct mdest *md);
void model_log_quorum(const struct msvc *s);
bool model_quorum_eval(struct msvc *s);
void model_sync_removed(const struct msvc *s);

#endif /* LB_MODEL_INT_H */
