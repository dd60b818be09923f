/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control plane's model of services and real servers, and its publication
 * to the workers.
 *
 * The model is the authority; workers see it only through snapshots
 * (dataplane/svc.h). lb_model_publish() builds a complete new snapshot,
 * swaps the pointer workers load, waits for an RCU grace period (every worker
 * has finished the burst that might hold the old pointer) and only then frees
 * the old snapshot. Main thread only.
 */
#ifndef LB_MODEL_H
#define LB_MODEL_H

#include <rte_rcu_qsbr.h>

#include "control/config.h"
#include "dataplane/svc.h"

/*
 * Allocate lb_dests[] and build the model from conf, for the ports in
 * ports[0..n_ports) (their MACs and ethdev ids). Returns 0 or -errno.
 */
int lb_model_init(const struct lb_conf *conf, const struct lb_port_info *ports,
		uint32_t n_ports);

/* Build and publish a snapshot of the model; qsbr NULL before workers run. */
int lb_model_publish(struct rte_rcu_qsbr *qsbr);

/*
 * Overload (-x/-y): sum each thresholded server's connections over the
 * workers and set or clear its LB_SDEST_F_OVERLOAD flag in the published
 * snapshot, with IPVS's hysteresis. Call often (every ~10 ms).
 */
struct lb_worker;
void lb_model_update_overload(struct lb_worker *const *workers, uint16_t n_workers);

/* Free the published snapshot and the model (workers stopped). */
void lb_model_fini(void);

/* Snapshot life (also used by tests). */
struct lb_snap *lb_snap_build(const struct lb_conf *conf, const struct lb_port_info *ports,
		uint32_t n_ports, const uint32_t *const *dest_ids, uint32_t gen);
void lb_snap_free(struct lb_snap *snap);

#endif
