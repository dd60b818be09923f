/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Port set-up (see port.h). All ports get the same number of queues, the
 * smallest any of them supports, so that worker i always owns queue i on
 * every port and a frame may leave by any port without a shared TX queue.
 */
#include <errno.h>
#include <string.h>

#include <rte_ethdev.h>
#include <rte_log.h>

#include "control/clock.h"
#include "control/model.h"
#include "control/port.h"

#define RX_DESC	1024
#define TX_DESC	1024

static int
find_port(const struct lb_conf_port *cp, uint16_t *pid)
{
	if (rte_eth_dev_get_port_by_name(cp->device, pid) != 0) {
		RTE_LOG(ERR, USER1, "port '%s': no such device (is it probed? add --vdev,"
				" or allow its PCI address, in the EAL options)\n", cp->device);
		return -ENODEV;
	}
	return 0;
}

static int
setup_port(const struct lb_conf_port *cp, uint16_t pid, uint16_t nq,
		struct rte_mempool *pool, struct lb_port_info *info)
{
	struct rte_eth_conf pconf = { 0 };
	struct rte_eth_dev_info di;
	uint16_t nrxd = RX_DESC, ntxd = TX_DESC, q;
	struct rte_ether_addr mac;
	int rc;

	rc = rte_eth_dev_info_get(pid, &di);
	if (rc != 0)
		return rc;
	if (nq > 1) {
		pconf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		pconf.rx_adv_conf.rss_conf.rss_hf = (RTE_ETH_RSS_IPV4 |
				RTE_ETH_RSS_NONFRAG_IPV4_TCP | RTE_ETH_RSS_NONFRAG_IPV4_UDP |
				RTE_ETH_RSS_IPV6 | RTE_ETH_RSS_NONFRAG_IPV6_TCP |
				RTE_ETH_RSS_NONFRAG_IPV6_UDP) & di.flow_type_rss_offloads;
		if (pconf.rx_adv_conf.rss_conf.rss_hf == 0)
			pconf.rxmode.mq_mode = RTE_ETH_MQ_RX_NONE;
	}
	if (di.tx_offload_capa & RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE)
		pconf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE;
	if (di.rx_offload_capa & RTE_ETH_RX_OFFLOAD_IPV4_CKSUM)
		pconf.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_IPV4_CKSUM;
	rc = rte_eth_dev_configure(pid, nq, nq, &pconf);
	if (rc != 0) {
		RTE_LOG(ERR, USER1, "port '%s': configure: %s\n", cp->device, strerror(-rc));
		return rc;
	}
	rc = rte_eth_dev_adjust_nb_rx_tx_desc(pid, &nrxd, &ntxd);
	if (rc != 0)
		return rc;
	for (q = 0; q < nq; q++) {
		rc = rte_eth_rx_queue_setup(pid, q, nrxd, rte_eth_dev_socket_id(pid), NULL, pool);
		if (rc == 0)
			rc = rte_eth_tx_queue_setup(pid, q, ntxd, rte_eth_dev_socket_id(pid), NULL);
		if (rc != 0) {
			RTE_LOG(ERR, USER1, "port '%s': queue %u: %s\n", cp->device, q,
					strerror(-rc));
			return rc;
		}
	}
	if (cp->has_mac) {
		memcpy(mac.addr_bytes, cp->mac, RTE_ETHER_ADDR_LEN);
		if (rte_eth_dev_default_mac_addr_set(pid, &mac) != 0) {
			/* The device keeps its own: take frames for ours anyway. */
			RTE_LOG(WARNING, USER1, "port '%s': cannot set MAC, going promiscuous\n",
					cp->device);
			rte_eth_promiscuous_enable(pid);
		}
	} else {
		rte_eth_macaddr_get(pid, &mac);
	}
	rc = rte_eth_dev_start(pid);
	if (rc != 0) {
		RTE_LOG(ERR, USER1, "port '%s': start: %s\n", cp->device, strerror(-rc));
		return rc;
	}
	/* Neighbour solicitations for VIPs go to their solicited-node groups
	 * (33:33:ff:xx:xx:xx), one per VIP and changing with them: take every
	 * multicast frame rather than program a list. */
	if (rte_eth_allmulticast_enable(pid) != 0 && rte_eth_allmulticast_get(pid) != 1)
		RTE_LOG(INFO, USER1, "port '%s': no all-multicast mode in its driver:"
				" solicitations for IPv6 VIPs arrive only if it does not filter"
				" multicast (af_packet, pcap and tap do not)\n", cp->device);
	info->port_id = pid;
	lb_model_port_info(cp, &mac, info);
	return 0;
}

int
lb_ports_init(const struct lb_conf *conf, struct rte_mempool *pool, uint16_t *n_queues,
		struct lb_port_info *info)
{
	uint16_t pids[LB_MAX_PORTS], nq = *n_queues, host;
	struct rte_eth_dev_info di;
	uint32_t i;
	int rc;

	for (i = 0; i < conf->n_ports; i++) {
		rc = find_port(&conf->ports[i], &pids[i]);
		if (rc != 0)
			return rc;
		rc = rte_eth_dev_info_get(pids[i], &di);
		if (rc != 0)
			return rc;
		/* a kernel interface's frames leave by a queue pair of their own */
		host = conf->ports[i].has_host;
		if (di.max_rx_queues < nq + host || di.max_tx_queues < nq + host) {
			uint16_t m = RTE_MIN(di.max_rx_queues, di.max_tx_queues);

			if (m <= host) {
				RTE_LOG(ERR, USER1, "port '%s' has %u queue pair(s): its kernel"
						" interface needs one besides the workers' (e.g."
						" qpairs=2 for net_af_packet)\n",
						conf->ports[i].device, m);
				return -EINVAL;
			}
			RTE_LOG(WARNING, USER1, "port '%s' has %u queue pair(s): %u worker(s)"
					" instead of %u\n", conf->ports[i].device, m, m - host, nq);
			nq = m - host;
		}
	}
	if (nq == 0)
		return -EINVAL;
	for (i = 0; i < conf->n_ports; i++) {
		host = conf->ports[i].has_host;
		rc = setup_port(&conf->ports[i], pids[i], nq + host, pool, &info[i]);
		if (rc != 0)
			return rc;
		info[i].n_rxq = nq + host;
		info[i].host = host;
	}
	*n_queues = nq;
	return 0;
}

void
lb_ports_fini(const struct lb_port_info *info, uint32_t n_ports)
{
	uint32_t i;

	for (i = 0; i < n_ports; i++) {
		rte_eth_dev_stop(info[i].port_id);
		rte_eth_dev_close(info[i].port_id);
	}
}

uint32_t
lb_ports_poll(const struct lb_port_info *info, uint32_t n_ports)
{
	static uint8_t seen_up[LB_MAX_PORTS], down[LB_MAX_PORTS];
	static uint64_t next_ms;
	uint64_t now = lb_mono_ms();
	uint32_t i, changed = 0;

	if (now < next_ms)
		return 0;
	next_ms = now + 100;
	for (i = 0; i < n_ports; i++) {
		struct rte_eth_link link;
		bool up;

		if (rte_eth_link_get_nowait(info[i].port_id, &link) != 0)
			continue;
		up = link.link_status == RTE_ETH_LINK_UP;
		if (up)
			seen_up[i] = 1;
		if (!seen_up[i] || up == !down[i])
			continue;
		down[i] = !up;
		if (up)
			RTE_LOG(NOTICE, USER1, "port %u: link up: polled again\n", i);
		else
			RTE_LOG(WARNING, USER1, "port %u: link down: not polled, nothing sent on"
					" it, until it is back\n", i);
		if (lb_model_set_port_link(i, up) == 0)
			changed++;
		else
			down[i] = up;	/* not published: tried again in 100 ms */
	}
	return changed;
}
