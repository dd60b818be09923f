/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The configuration file: load a libconfig file into struct lb_conf, checking
 * every key against one schema.
 *
 * The loader never stops at the first problem: an operator fixing a file wants
 * every mistake at once, each as "FILE:LINE: message" on the line that holds it.
 * It does not touch DPDK, so `lbd --check` runs anywhere, without root or
 * hugepages. Control thread only.
 */
#ifndef LB_CONFIG_H
#define LB_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <arpa/inet.h>

#include "control/check.h"
#include "control/sync.h"
#include "dataplane/addr.h"
#include "dataplane/limits.h"
#include "dataplane/tcp_state.h"

#define LB_CONF_DEFAULT_PATH	"/etc/lbd/lbd.conf"
#define LB_CONF_DEFAULT_SOCKET	"/run/lbd/lbd.sock"
#define LB_MAX_TIMEOUT		(31u * 24 * 3600)	/* 31 days, the timer's range */
#define LB_PERSIST_DEFAULT	360u	/* ipvsadm -p without a value */

/* The kernel interface of a port (control/host.h). */
enum lb_host_backend {
	LB_HOST_AUTO = 0,	/* virtio_user where /dev/vhost-net exists, else tap */
	LB_HOST_TAP,
	LB_HOST_VIRTIO_USER,
};

#define LB_HOST_IFNAME_LEN	16	/* IFNAMSIZ, its NUL included */

/*
 * IPVS's defences against floods and a full table (dataplane/worker.h,
 * lb_core_defend), as the file's dataplane group and lbadm --sysctl set them.
 */
struct lb_defense {
	uint8_t drop_entry;	/* 0 never, 1 automatic, 3 always */
	uint8_t drop_packet;
	uint8_t stateless_mh;
	uint8_t threshold;	/* percent of a worker's table, 1..100 */
	uint32_t am_droprate;	/* drop_packet's 1 in N in mode 3 */
};

struct lb_conf_port {
	char *device;		/* ethdev name: PCI address or vdev name */
	bool has_host;		/* a kernel interface: what is not lbd's goes there */
	char host_ifname[LB_HOST_IFNAME_LEN];
	uint8_t host_backend;	/* enum lb_host_backend */
	uint32_t addr;		/* network order */
	uint8_t prefix;		/* 0..32 */
	/* address6 = "2001:db8::2/64": the port's IPv6 address (NDP's source,
	 * the on-link test for IPv6 real servers); none = link-local only */
	bool has_addr6;
	uint8_t prefix6;	/* 1..128 */
	union lb_ip addr6;
	bool has_mac;
	uint8_t mac[6];
	uint16_t mtu;		/* IPv4 MTU toward the real servers */
	int line;
};

struct lb_conf_dest {
	union lb_ip addr;	/* its service's family */
	uint16_t port;		/* host order */
	uint32_t weight;	/* 0..65535 */
	uint32_t u_threshold;	/* -x, 0 = none */
	uint32_t l_threshold;	/* -y, 0 = none */
	bool has_mac;
	uint8_t mac[6];
	/* its health check, the service's overridden by its own keys; NULL when
	 * neither the service nor the server has one (owned by the conf) */
	struct lb_check_conf *check;
	int line;
};

struct lb_conf_service {
	uint8_t proto;		/* IPPROTO_TCP or IPPROTO_UDP */
	uint8_t af;		/* AF_INET or AF_INET6, the VIP's */
	union lb_ip vip;
	uint16_t port;		/* host order; 0 = every port (persistent only) */
	int sched;		/* enum lb_sched_kind */
	uint32_t sched_flags;	/* LB_SCHED_F_* */
	uint32_t persistence;	/* seconds, 0 = off */
	/* AF_INET: a mask, network order; AF_INET6: a prefix length (as IPVS) */
	uint32_t netmask;
	/* keepalived's: the sum of healthy servers' weights it needs, the
	 * dampening around it, and who takes the traffic while it is lost */
	uint32_t quorum;	/* default 1 */
	uint32_t hysteresis;
	union lb_ip sorry_server;	/* the service's family; zero = none */
	bool sloppy;		/* IPVS's sloppy_tcp for this service alone */
	struct lb_check_conf *check;	/* what lbadm -a gives a new server; NULL = none */
	struct lb_conf_dest *dests;
	unsigned int n_dests;
	int line;
};

struct lb_conf {
	char *path;
	char **eal;		/* EAL arguments from the file, NULL-terminated */
	unsigned int n_eal;
	struct lb_conf_port ports[LB_MAX_PORTS];
	unsigned int n_ports;
	struct lb_conf_service *services;
	unsigned int n_services;
	uint32_t timeout[LB_S_COUNT];	/* seconds, per state */
	/* dataplane */
	uint32_t mbufs;
	uint32_t connections;
	uint32_t burst;
	uint32_t idle_sleep_us;	/* an idle worker's pause, 0 = pure polling */
	bool sloppy_tcp;
	bool secure_tcp;
	bool expire_nodest_conn;
	struct lb_defense defense;
	bool vip_arp_never;	/* vip_arp = "never": no ARP for VIPs */
	bool vip_arp_kernel;	/* vip_arp = "kernel": for the VIPs the kernel holds */
	/* announce = { table; drain_seconds; } (control/announce.h) */
	bool has_announce;
	uint32_t announce_table;
	uint32_t announce_drain;	/* seconds of forwarding after SIGTERM */
	/* sync = ( { state; interface; syncid; ... }, ... ) (control/sync.h) */
	bool sync_on[LB_SYNC_ROLES];
	struct lb_sync_cfg sync[LB_SYNC_ROLES];
	/* metrics = { listen = "ADDR:PORT"; } (control/metrics.h) */
	bool has_metrics;
	uint32_t metrics_addr;	/* network order */
	uint16_t metrics_port;	/* host order */
	/* control */
	char *socket;
	char *socket_group;	/* may list */
	char *admin_group;	/* may change; NULL = root only */
};

/*
 * Load and check path into conf (which the call initialises). Every problem is
 * printed to errs as "FILE:LINE: message". Returns the number of problems
 * found, 0 when the file is valid; conf must be released with lb_conf_free()
 * in every case.
 */
int lb_conf_load(struct lb_conf *conf, const char *path, FILE *errs);
void lb_conf_free(struct lb_conf *conf);

/* Text forms shared by the loader, lbd's logs and lbadm. */
int lb_parse_ipv4(const char *s, uint32_t *addr);
/* IPv4 or IPv6 (inet_pton's forms); 0 or -EINVAL. */
int lb_parse_ip(const char *s, uint8_t *af, union lb_ip *addr);
/* inet_ntop's form; "[addr]:port" for IPv6 (ipvsadm's); buf returned. */
#define LB_ADDRPORT_STRLEN	(INET6_ADDRSTRLEN + 8)
const char *lb_ip_str(uint8_t af, const union lb_ip *addr, char *buf, size_t len);
const char *lb_addrport_str(uint8_t af, const union lb_ip *addr, uint16_t port, char *buf,
		size_t len);
int lb_parse_mac(const char *s, uint8_t mac[6]);
const char *lb_proto_name(uint8_t proto);	/* "TCP" / "UDP" */
int lb_hex_digit(int ch);	/* 0..15, or -1 when ch is no hex digit */

#endif
