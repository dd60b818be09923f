/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the packet-core and control-socket fuzzers share: the EAL started for
 * a fuzzer (no hugepages, no PCI, no telemetry, quiet), and the model built
 * from tests/core/core.conf (or $LBD_FUZZ_CONF) and published, as the daemon
 * builds it from its file. Aborts on any failure: a fuzzer that cannot
 * start has nothing to report.
 */
#ifndef LB_FUZZ_MODEL_H
#define LB_FUZZ_MODEL_H

#include "control/config.h"

void lb_fuzz_model_init(const char *argv0, struct lb_conf *conf);

#endif
