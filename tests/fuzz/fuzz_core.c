/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target over the packet core: any bytes, cut into a burst of 1 to
 * 4 frames, go through lb_core_rx() against the services of
 * tests/core/core.conf, with the clock moving so that the wheel expires and
 * entries are reused. After each input every mbuf must be back in the pool:
 * a frame that is neither sent nor freed is a leak, and aborts.
 *
 * Build and run: make fuzz (long), or tests/fuzz/run.sh (bounded, in make test).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_eal.h>
#include <rte_mbuf.h>

#include "control/config.h"
#include "control/model.h"
#include "dataplane/worker.h"

static struct rte_mempool *pool;
static struct lb_worker *wk;
static struct lb_conf conf;
static uint32_t now = 100;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char *eal[] = { (*argv)[0], "--no-huge", "--no-shconf", "--no-pci", "-l", "0",
		"--no-telemetry", "--log-level=*:crit", NULL };
	const char *path = getenv("LBD_FUZZ_CONF");
	struct lb_port_info ports[LB_MAX_PORTS];
	uint32_t i;

	if (path == NULL)
		path = LBD_FUZZ_CONF_DEFAULT;
	if (rte_eal_init((int)RTE_DIM(eal) - 1, eal) < 0)
		abort();
	if (lb_conf_load(&conf, path, stderr) != 0)
		abort();
	memset(ports, 0, sizeof(ports));
	for (i = 0; i < conf.n_ports; i++) {
		ports[i].port_id = (uint16_t)i;
		memcpy(&ports[i].mac, conf.ports[i].mac, 6);
		ports[i].addr = conf.ports[i].addr;
		ports[i].mask = rte_cpu_to_be_32(~0u << (32 - conf.ports[i].prefix));
		ports[i].mtu = conf.ports[i].mtu;
	}
	if (lb_model_init(&conf, ports, conf.n_ports) != 0 || lb_model_publish() != 0)
		abort();
	pool = rte_pktmbuf_pool_create("fuzz", 1024, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	/* a small table, so that "full" is reached too */
	wk = lb_worker_create(0, 64, now, pool);
	if (pool == NULL || wk == NULL)
		abort();
	wk->to_ctl = rte_ring_create("to_ctl", 16, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (wk->to_ctl == NULL)
		abort();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rte_mbuf *pkts[4], *m;
	struct lb_out out = { .n = 0 };
	uint16_t n, i, room = rte_pktmbuf_data_room_size(pool) - RTE_PKTMBUF_HEADROOM;
	size_t each;

	if (size < 2)
		return 0;
	n = 1 + (data[0] & 3);
	now += data[1] & 0x3f;	/* up to 63 s per input: states time out */
	data += 2;
	size -= 2;
	each = size / n;
	for (i = 0; i < n; i++) {
		size_t len = i == n - 1 ? size - each * i : each;
		char *p;

		if (len > room)
			len = room;
		pkts[i] = rte_pktmbuf_alloc(pool);
		if (pkts[i] == NULL)
			abort();
		p = rte_pktmbuf_append(pkts[i], (uint16_t)len);
		if (p == NULL && len > 0)
			abort();
		if (len > 0)
			memcpy(p, data + each * i, len);
	}
	lb_core_rx(wk, lb_snap_current, (data[-2] >> 2) & 1, pkts, n, now, &out);
	for (i = 0; i < out.n; i++) {
		if (out.port[i] >= lb_snap_current->n_ports)
			abort();
		rte_pktmbuf_free(out.pkts[i]);
	}
	while (rte_ring_dequeue(wk->to_ctl, (void **)&m) == 0)
		rte_pktmbuf_free(m);
	lb_core_expire(wk, now, UINT32_MAX);
	if (rte_mempool_in_use_count(pool) != 0) {
		fprintf(stderr, "mbuf leak: %u in use\n", rte_mempool_in_use_count(pool));
		abort();
	}
	return 0;
}
