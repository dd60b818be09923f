/* SPDX-License-Identifier: BSD-3-Clause */
/* The fuzzers' EAL and model (see fuzz_model.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_eal.h>

#include "control/model.h"
#include "tests/fuzz/fuzz_model.h"

void
lb_fuzz_model_init(const char *argv0, struct lb_conf *conf)
{
	char *eal[] = { (char *)(uintptr_t)argv0, "--no-huge", "--no-shconf", "--no-pci", "-l",
		"0", "--no-telemetry", "--log-level=*:crit", NULL };
	const char *path = getenv("LBD_FUZZ_CONF");
	struct lb_port_info ports[LB_MAX_PORTS];
	uint32_t i;

	if (path == NULL)
		path = LBD_FUZZ_CONF_DEFAULT;
	if (rte_eal_init((int)RTE_DIM(eal) - 1, eal) < 0)
		abort();
	if (lb_conf_load(conf, path, stderr) != 0)
		abort();
	memset(ports, 0, sizeof(ports));
	for (i = 0; i < conf->n_ports; i++) {
		struct rte_ether_addr mac;

		memcpy(&mac, conf->ports[i].mac, 6);
		ports[i].port_id = (uint16_t)i;
		lb_model_port_info(&conf->ports[i], &mac, &ports[i]);
	}
	if (lb_model_init(conf, ports, conf->n_ports) != 0 || lb_model_publish() != 0)
		abort();
}
