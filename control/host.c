/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The kernel interfaces of lbd's ports and the thread that owns them (see
 * host.h). The interface is configured with the classic ioctls (address,
 * netmask, flags, ethtool offloads): four calls at start need no netlink.
 */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/ethtool.h>
#include <linux/sockios.h>

#include <rte_bus_vdev.h>
#include <rte_cycles.h>
#include <rte_dev.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_lcore.h>
#include <rte_log.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "control/host.h"
#include "dataplane/worker.h"

#define BURST		32
#define HOST_DESC	512

struct host_if {
	bool up;			/* device created */
	uint16_t port;			/* index in lb_snap.port[] */
	uint16_t phys_id;		/* the physical port's ethdev */
	uint16_t tap_id;		/* the kernel interface's ethdev */
	uint16_t mtu;			/* the port's: longer frames from the kernel are dropped */
	char vdev[32];			/* net_tap_lbdN / virtio_user_lbdN */
	char ifname[LB_HOST_IFNAME_LEN];
	struct lb_host_stats stats;
};

static struct host_if hosts[LB_MAX_PORTS];
static uint32_t n_hosts;
static int16_t host_of_port[LB_MAX_PORTS];	/* port index -> hosts[] index, -1 */
static uint16_t host_txq;
static struct rte_mempool *host_pool;
static struct rte_ring *from_main;		/* ARP handed on by the neighbour module */
static struct lb_worker *const *host_workers;
static uint16_t host_n_workers;
static pthread_t host_thread;
static bool host_thread_running;
static volatile bool host_stop;

/* ---- the kernel side of an interface ---- */

static int
if_ioctl(int fd, unsigned long req, struct ifreq *ifr, const char *what)
{
	if (ioctl(fd, req, ifr) == 0)
		return 0;
	RTE_LOG(ERR, USER1, "host: %s: %s: %s\n", ifr->ifr_name, what, strerror(errno));
	return -errno;
}

/* Best effort: the interface works without it, with checksums completed here. */
static void
ethtool_off(int fd, const char *ifname, uint32_t cmd, const char *what)
{
	struct ethtool_value ev = { .cmd = cmd, .data = 0 };
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	ifr.ifr_data = (void *)&ev;
	if (ioctl(fd, SIOCETHTOOL, &ifr) < 0)
		RTE_LOG(DEBUG, USER1, "host: %s: %s off: %s\n", ifname, what, strerror(errno));
}

static void
ipv6_sysctl(const char *ifname, const char *name, const char *val)
{
	char path[96];
	int fd;

	snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/%s", ifname, name);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return;	/* no IPv6 in this kernel: nothing to set */
	if (write(fd, val, strlen(val)) != (ssize_t)strlen(val))
		RTE_LOG(WARNING, USER1, "host: %s: cannot set IPv6's %s\n", ifname, name);
	close(fd);
}

/* The kernel's in6_ifreq (linux/ipv6.h), which glibc's headers do not carry. */
struct host_in6_ifreq {
	struct in6_addr addr;
	uint32_t prefixlen;
	int ifindex;
};

/*
 * The port's IPv6 address on the interface, without duplicate address
 * detection (the port's address is lbd's to give, and a tentative address
 * would refuse BGP for a second); the kernel then owns it and the
 * link-local address it derives from the same MAC, as for IPv4.
 */
static int
if_configure6(const char *ifname, const union lb_ip *addr, uint8_t plen)
{
	struct host_in6_ifreq r;
	int fd, rc = 0;

	ipv6_sysctl(ifname, "accept_dad", "0");
	fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	memset(&r, 0, sizeof(r));
	memcpy(&r.addr, addr->v6, sizeof(r.addr));
	r.prefixlen = plen;
	r.ifindex = (int)if_nametoindex(ifname);
	if (r.ifindex == 0 || ioctl(fd, SIOCSIFADDR, &r) < 0) {
		rc = -errno;
		RTE_LOG(ERR, USER1, "host: %s: address6: %s\n", ifname, strerror(errno));
	}
	close(fd);
	return rc;
}

/* The port's address and prefix on the interface, IPv6 off unless the port
 * has an address6, offloads off, up. */
static int
if_configure(const char *ifname, uint32_t addr, uint32_t mask, bool v6)
{
	struct sockaddr_in *sin;
	struct ifreq ifr;
	int fd, rc;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	ipv6_sysctl(ifname, "disable_ipv6", v6 ? "0" : "1");
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	sin = (struct sockaddr_in *)&ifr.ifr_addr;
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = addr;
	rc = if_ioctl(fd, SIOCSIFADDR, &ifr, "address");
	if (rc == 0) {
		sin->sin_addr.s_addr = mask;
		rc = if_ioctl(fd, SIOCSIFNETMASK, &ifr, "netmask");
	}
	ethtool_off(fd, ifname, ETHTOOL_STXCSUM, "tx checksum");
	ethtool_off(fd, ifname, ETHTOOL_STSO, "tso");
	ethtool_off(fd, ifname, ETHTOOL_SGSO, "gso");
	if (rc == 0)
		rc = if_ioctl(fd, SIOCGIFFLAGS, &ifr, "flags");
	if (rc == 0) {
		ifr.ifr_flags |= IFF_UP;
		rc = if_ioctl(fd, SIOCSIFFLAGS, &ifr, "up");
	}
	close(fd);
	return rc;
}

/* ---- the DPDK side ---- */

static bool
vhost_net_usable(void)
{
	return access("/dev/vhost-net", R_OK | W_OK) == 0;
}

static int
if_create(struct host_if *h, const struct lb_conf_port *cp, const struct lb_port_info *pi)
{
	struct rte_eth_conf pconf = { 0 };
	char args[256], mac[RTE_ETHER_ADDR_FMT_SIZE];
	bool virtio = cp->host_backend == LB_HOST_VIRTIO_USER ||
		(cp->host_backend == LB_HOST_AUTO && vhost_net_usable());
	uint16_t nrxd = HOST_DESC, ntxd = HOST_DESC;
	int rc;

	if (cp->host_backend == LB_HOST_VIRTIO_USER && !vhost_net_usable()) {
		RTE_LOG(ERR, USER1, "host: %s: backend virtio_user needs /dev/vhost-net,"
				" which this machine lacks (backend \"tap\" or \"auto\" works)\n",
				cp->host_ifname);
		return -ENODEV;
	}
	rte_ether_format_addr(mac, sizeof(mac), &pi->mac);
	snprintf(h->ifname, sizeof(h->ifname), "%s", cp->host_ifname);
	snprintf(h->vdev, sizeof(h->vdev), "%s_lbd%u", virtio ? "virtio_user" : "net_tap",
			h->port);
	if (virtio)
		snprintf(args, sizeof(args), "path=/dev/vhost-net,queues=1,queue_size=1024,"
				"iface=%s,mac=%s", h->ifname, mac);
	else
		snprintf(args, sizeof(args), "iface=%s,mac=%s", h->ifname, mac);
	rc = rte_eal_hotplug_add("vdev", h->vdev, args);
	if (rc < 0) {
		RTE_LOG(ERR, USER1, "host: cannot create %s (%s %s): %s\n", h->ifname, h->vdev,
				args, strerror(-rc));
		return rc;
	}
	h->up = true;
	rc = rte_eth_dev_get_port_by_name(h->vdev, &h->tap_id);
	if (rc == 0)
		rc = rte_eth_dev_configure(h->tap_id, 1, 1, &pconf);
	if (rc == 0)
		rc = rte_eth_dev_adjust_nb_rx_tx_desc(h->tap_id, &nrxd, &ntxd);
	if (rc == 0)
		rc = rte_eth_rx_queue_setup(h->tap_id, 0, nrxd, rte_socket_id(), NULL, host_pool);
	if (rc == 0)
		rc = rte_eth_tx_queue_setup(h->tap_id, 0, ntxd, rte_socket_id(), NULL);
	if (rc == 0)
		rc = rte_eth_dev_start(h->tap_id);
	if (rc != 0) {
		RTE_LOG(ERR, USER1, "host: %s: cannot start %s: %s\n", h->ifname, h->vdev,
				strerror(rc < 0 ? -rc : rc));
		return rc < 0 ? rc : -rc;
	}
	rc = if_configure(h->ifname, pi->addr, pi->mask, pi->has_addr6);
	if (rc == 0 && pi->has_addr6)
		rc = if_configure6(h->ifname, &pi->addr6, pi->plen6);
	if (rc == 0)
		RTE_LOG(INFO, USER1, "host: %s (%s) for port %u, %s\n", h->ifname,
				virtio ? "virtio_user" : "tap", h->port, mac);
	return rc;
}

/* ---- the owner thread ---- */

/*
 * The kernel writes complete frames when the interface's offloads are off;
 * should it hand one with a partial TCP/UDP checksum all the same (an
 * interface whose offloads could not be turned off), it is completed here.
 */
static void
complete_csum(struct host_if *h, struct rte_mbuf *m)
{
	struct rte_ether_hdr *eh = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_ipv4_hdr *ip;
	uint16_t ihl, len = rte_pktmbuf_data_len(m);
	void *l4;

	if (eh->ether_type != RTE_BE16(RTE_ETHER_TYPE_IPV4) ||
			len < sizeof(*eh) + sizeof(*ip))
		return;
	ip = (struct rte_ipv4_hdr *)(eh + 1);
	ihl = (uint16_t)((ip->version_ihl & 0xf) * 4);
	if (ihl < sizeof(*ip) || (ip->fragment_offset & RTE_BE16(0x3fff)) != 0 ||
			rte_be_to_cpu_16(ip->total_length) + sizeof(*eh) > len ||
			rte_be_to_cpu_16(ip->total_length) < ihl)
		return;
	l4 = (uint8_t *)ip + ihl;
	if (ip->next_proto_id == IPPROTO_TCP &&
			rte_be_to_cpu_16(ip->total_length) >= ihl + sizeof(struct rte_tcp_hdr)) {
		struct rte_tcp_hdr *th = l4;

		if (__rte_ipv4_udptcp_cksum(ip, th) != 0xffff) {
			th->cksum = 0;
			th->cksum = rte_ipv4_udptcp_cksum(ip, th);
			h->stats.csum_fixed++;
		}
	} else if (ip->next_proto_id == IPPROTO_UDP &&
			rte_be_to_cpu_16(ip->total_length) >= ihl + sizeof(struct rte_udp_hdr)) {
		struct rte_udp_hdr *uh = l4;

		if (uh->dgram_cksum != 0 && __rte_ipv4_udptcp_cksum(ip, uh) != 0xffff) {
			uh->dgram_cksum = 0;
			uh->dgram_cksum = rte_ipv4_udptcp_cksum(ip, uh);
			h->stats.csum_fixed++;
		}
	}
}

/* Frames for the kernel: each names its port (mbuf hash.usr, dataplane/core.c). */
static uint32_t
to_kernel(struct rte_ring *r)
{
	struct rte_mbuf *pkts[BURST];
	uint32_t n, i;

	n = rte_ring_sc_dequeue_burst(r, (void **)pkts, BURST, NULL);
	for (i = 0; i < n; i++) {
		uint32_t port = pkts[i]->hash.usr;
		struct host_if *h;

		if (port >= LB_MAX_PORTS || host_of_port[port] < 0) {
			rte_pktmbuf_free(pkts[i]);
			continue;
		}
		h = &hosts[host_of_port[port]];
		if (rte_eth_tx_burst(h->tap_id, 0, &pkts[i], 1) == 1) {
			h->stats.to_kernel++;
		} else {
			h->stats.to_kernel_dropped++;
			rte_pktmbuf_free(pkts[i]);
		}
	}
	return n;
}

static uint32_t
from_kernel(struct host_if *h)
{
	struct rte_mbuf *pkts[BURST];
	uint16_t n, i, sent;

	uint16_t got, k = 0;

	got = rte_eth_rx_burst(h->tap_id, 0, pkts, BURST);
	for (i = 0; i < got; i++) {
		/* one segment, no longer than the port takes (offloads off: no GSO) */
		if (pkts[i]->nb_segs != 1 || rte_pktmbuf_pkt_len(pkts[i]) >
				(uint32_t)h->mtu + RTE_ETHER_HDR_LEN + RTE_VLAN_HLEN) {
			h->stats.from_kernel_dropped++;
			rte_pktmbuf_free(pkts[i]);
			continue;
		}
		complete_csum(h, pkts[i]);
		pkts[k++] = pkts[i];
	}
	n = k;
	sent = n > 0 ? rte_eth_tx_burst(h->phys_id, host_txq, pkts, n) : 0;
	h->stats.from_kernel += sent;
	h->stats.from_kernel_dropped += (uint64_t)(n - sent);
	for (i = sent; i < n; i++)
		rte_pktmbuf_free(pkts[i]);
	return got;
}

static void *
host_loop(void *arg)
{
	uint32_t i, work;
	uint16_t w;

	(void)arg;
	while (!host_stop) {
		work = 0;
		for (w = 0; w < host_n_workers; w++)
			work += to_kernel(host_workers[w]->to_host);
		work += to_kernel(from_main);
		for (i = 0; i < n_hosts; i++)
			work += from_kernel(&hosts[i]);
		if (work == 0)
			rte_delay_us_sleep(LB_HOST_IDLE_US);
	}
	return NULL;
}

/* ---- life ---- */

int
lb_host_init(const struct lb_conf *conf, const struct lb_port_info *ports, uint32_t n_ports,
		uint16_t tx_queue)
{
	uint32_t i;
	int rc;

	for (i = 0; i < LB_MAX_PORTS; i++)
		host_of_port[i] = -1;
	host_txq = tx_queue;
	for (i = 0; i < n_ports && i < conf->n_ports; i++)
		if (conf->ports[i].has_host)
			break;
	if (i == n_ports)
		return 0;	/* no port has one: nothing to own */
	host_pool = rte_pktmbuf_pool_create("lb_host_mbufs", LB_HOST_MBUFS, 64, 0,
			RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());
	from_main = rte_ring_create("lb_host_main", LB_HOST_RING, SOCKET_ID_ANY,
			RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (host_pool == NULL || from_main == NULL) {
		RTE_LOG(ERR, USER1, "host: cannot create the host path's pool and ring\n");
		return -ENOMEM;
	}
	for (i = 0; i < n_ports && i < conf->n_ports; i++) {
		struct host_if *h = &hosts[n_hosts];

		if (!conf->ports[i].has_host)
			continue;
		memset(h, 0, sizeof(*h));
		h->port = (uint16_t)i;
		h->phys_id = ports[i].port_id;
		h->mtu = ports[i].mtu;
		host_of_port[i] = (int16_t)n_hosts;
		n_hosts++;
		rc = if_create(h, &conf->ports[i], &ports[i]);
		if (rc < 0)
			return rc;
	}
	return 0;
}

int
lb_host_start(struct lb_worker *const *workers, uint16_t n_workers)
{
	int rc;

	if (n_hosts == 0)
		return 0;
	host_workers = workers;
	host_n_workers = n_workers;
	host_stop = false;
	rc = rte_ctrl_thread_create(&host_thread, "lbd-host", NULL, host_loop, NULL);
	if (rc != 0) {
		RTE_LOG(ERR, USER1, "host: cannot start its thread: %s\n", strerror(rc));
		return -rc;
	}
	host_thread_running = true;
	return 0;
}

bool
lb_host_give(uint16_t port, struct rte_mbuf *m)
{
	if (port >= LB_MAX_PORTS || host_of_port[port] < 0 || from_main == NULL)
		return false;
	m->hash.usr = port;
	return rte_ring_sp_enqueue(from_main, m) == 0;
}

uint32_t
lb_host_count(void)
{
	return n_hosts;
}

void
lb_host_get(uint32_t i, uint16_t *port, const char **ifname, struct lb_host_stats *stats)
{
	*port = hosts[i].port;
	*ifname = hosts[i].ifname;
	*stats = hosts[i].stats;
}

void
lb_host_fini(void)
{
	struct rte_mbuf *m;
	uint32_t i;

	if (host_thread_running) {
		host_stop = true;
		pthread_join(host_thread, NULL);
		host_thread_running = false;
	}
	for (i = 0; i < n_hosts; i++) {
		struct host_if *h = &hosts[i];

		if (!h->up)
			continue;
		rte_eth_dev_stop(h->tap_id);
		rte_eth_dev_close(h->tap_id);
		if (rte_eal_hotplug_remove("vdev", h->vdev) < 0)
			RTE_LOG(WARNING, USER1, "host: cannot remove %s\n", h->vdev);
		h->up = false;
	}
	while (from_main != NULL && rte_ring_dequeue(from_main, (void **)&m) == 0)
		rte_pktmbuf_free(m);
	rte_ring_free(from_main);
	from_main = NULL;
	rte_mempool_free(host_pool);
	host_pool = NULL;
	n_hosts = 0;
}
