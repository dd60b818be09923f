/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lbd's control protocol: the one definition of what lbd and lbadm exchange
 * over the UNIX stream socket. Both sides include this header; nothing here
 * is copied elsewhere.
 *
 * Framing: every request is a struct lb_api_req followed by len bytes of
 * body; every reply is a struct lb_api_resp followed by len bytes. One reply
 * per request, in order. A client may pipeline requests. Integers are in the
 * host's byte order (the socket never leaves the machine), addresses and
 * nothing else in network order. An address is a union lb_ip
 * (dataplane/addr.h) with its family (AF_INET, AF_INET6) beside it. Bodies are arrays of the fixed-size structs
 * below; a field added later goes at the end of its struct with the version
 * bumped, so a reply's element size is always sizeof() of this version's.
 *
 * Limits: a request body is at most LB_API_MAX_REQ bytes (lbd replies EMSGSIZE
 * and closes otherwise); a reply at most LB_API_MAX_RESP. Long listings
 * (connections) are paged with a cursor.
 */
#ifndef LB_API_H
#define LB_API_H

#include <stdbool.h>
#include <stdint.h>

#include "dataplane/addr.h"

#define LB_API_MAGIC		0x4c424431u	/* "LBD1" */
#define LB_API_VERSION		6u
#define LB_API_MAX_REQ		4096u
#define LB_API_N_STATES		12u	/* LB_S_COUNT, checked by ctl.c */
#define LB_API_MAX_RESP		(1u << 20)

/*
 * The IPVS version whose behaviour lbd implements, a<<16 | b<<8 | c, as
 * Linux reports it (1.2.1): ipvsadm prints it in its header and warns
 * below its minimum (1.1.4). lbd's own version is lb_api_info.version.
 */
#define LB_API_IPVS_VERSION	0x010201u

enum lb_api_type {
	LB_API_INFO = 1,	/* -> struct lb_api_info */
	LB_API_SVC_LIST,	/* lb_api_svc_key (proto 0 = all) -> [lb_api_svc, lb_api_dest * n_dests]... */
	LB_API_SVC_ADD,		/* lb_api_svc -> - */
	LB_API_SVC_EDIT,	/* lb_api_svc -> - */
	LB_API_SVC_DEL,		/* lb_api_svc_key -> - */
	LB_API_DEST_ADD,	/* lb_api_dest_req -> - */
	LB_API_DEST_EDIT,	/* lb_api_dest_req -> - */
	LB_API_DEST_DEL,	/* lb_api_dest_req -> - */
	LB_API_CLEAR,		/* - -> -: delete every service */
	LB_API_ZERO,		/* lb_api_svc_key (proto 0 = all) -> -: counters and rates */
	LB_API_TIMEOUT_GET,	/* - -> lb_api_timeouts */
	LB_API_TIMEOUT_SET,	/* lb_api_timeouts (0 = unchanged) -> - */
	LB_API_CONN_LIST,	/* lb_api_conn_cursor -> lb_api_conn_page + lb_api_conn * n */
	LB_API_COUNTERS,	/* - -> lb_api_counters + lb_api_core * n_cores + lb_api_host * n_hosts */
	LB_API_SYSCTL_GET,	/* - -> lb_api_sysctl */
	LB_API_SYSCTL_SET,	/* lb_api_sysctl (-1 = unchanged) -> - */
	LB_API_HEALTH,		/* lb_api_svc_key (proto 0 = all) -> lb_api_health_hdr + [lb_api_health_svc, lb_api_health_dest * n_dests]... */
	LB_API_ANNOUNCE_LIST,	/* - -> lb_api_announce_hdr + lb_api_announce * n */
	LB_API_ANNOUNCE_SET,	/* lb_api_announce_set -> -: --announce / --withdraw */
	LB_API_SYNC_GET,	/* - -> lb_api_sync: -L --daemon */
	LB_API_SYNC_START,	/* lb_api_sync_daemon -> -: --start-daemon */
	LB_API_SYNC_STOP,	/* lb_api_sync_daemon (role) -> -: --stop-daemon */
	LB_API_TYPE_COUNT,
};

struct lb_api_req {
	uint32_t magic;		/* LB_API_MAGIC */
	uint16_t version;	/* LB_API_VERSION */
	uint16_t type;		/* enum lb_api_type */
	uint32_t len;		/* body bytes that follow */
	uint32_t id;		/* echoed in the reply */
};

struct lb_api_resp {
	uint32_t magic;
	uint16_t version;
	uint16_t _pad;
	int32_t status;		/* 0 or a positive errno (below: what each means) */
	uint32_t len;		/* body bytes that follow */
	uint32_t id;		/* the request's */
	uint32_t _pad2;
};

/*
 * Status values with an ipvsadm meaning (ipvsadm prints these messages):
 *   EEXIST  "Service already exists" / "Destination already exists"
 *   ESRCH   "No such service" / "Service not defined" (a server's service)
 *   ENOENT  "No such destination" / "Scheduler not found" (SVC_ADD, SVC_EDIT)
 *   EINVAL  the request is malformed (body size, field out of range)
 *   EPERM   the peer may not change the configuration
 *   EMSGSIZE request body over LB_API_MAX_REQ
 *   EPROTO  bad magic or version
 *   ENOSPC  too many services or real servers
 *   EBUSY   sent once to a client over the connection limit, then closed
 */

#define LB_API_SCHED_LEN	16

struct lb_api_svc_key {
	uint8_t proto;		/* IPPROTO_TCP / IPPROTO_UDP; 0 = every service (list, zero) */
	uint8_t af;		/* AF_INET, AF_INET6 (0 only with proto 0) */
	uint16_t port;		/* host order */
	union lb_ip vip;
};

static inline bool
lb_api_svc_key_eq(const struct lb_api_svc_key *a, const struct lb_api_svc_key *b)
{
	return a->proto == b->proto && a->af == b->af && a->port == b->port &&
		lb_ip_eq(&a->vip, &b->vip);
}

/* ipvsadm --stats / --rate; DR: the Out columns stay 0. */
struct lb_api_stats {
	uint64_t conns;
	uint64_t inpkts;
	uint64_t outpkts;
	uint64_t inbytes;
	uint64_t outbytes;
	/* rates, IPVS's estimator: per second */
	uint64_t cps;
	uint64_t inpps;
	uint64_t outpps;
	uint64_t inbps;
	uint64_t outbps;
};

#define LB_API_SVC_F_PERSISTENT	0x1u

struct lb_api_svc {
	struct lb_api_svc_key key;
	char sched[LB_API_SCHED_LEN];	/* "wlc", NUL-terminated */
	uint32_t sched_flags;	/* LB_SCHED_F_* (dataplane/sched.h) */
	uint32_t flags;		/* LB_API_SVC_F_* */
	uint32_t timeout;	/* persistence, seconds (when persistent) */
	/* persistence granularity, as IPVS keeps it: AF_INET a mask in network
	 * order, AF_INET6 a prefix length (1..128) in host order */
	uint32_t netmask;
	uint32_t n_dests;	/* list replies: lb_api_dest entries that follow */
	uint32_t _pad;
	struct lb_api_stats stats;
};

enum lb_api_fwd {
	LB_API_FWD_ROUTE = 0,	/* -g, the only one lbd does: "Route" */
	LB_API_FWD_MASQ,
	LB_API_FWD_TUNNEL,
	LB_API_FWD_LOCAL,
};

struct lb_api_dest {
	union lb_ip addr;	/* of its service's family (DR keeps it) */
	uint16_t port;		/* host order */
	uint16_t fwd;		/* enum lb_api_fwd */
	uint8_t af;		/* AF_INET, AF_INET6 */
	uint8_t _pad[3];
	uint32_t weight;
	uint32_t u_threshold;
	uint32_t l_threshold;
	uint32_t active;	/* ActiveConn */
	uint32_t inactive;	/* InActConn */
	uint32_t persist;	/* persistence templates pointing at it */
	struct lb_api_stats stats;
};

/* Which fields of a DEST_EDIT / SVC_EDIT to change (0 = all given). */
struct lb_api_dest_req {
	struct lb_api_svc_key svc;
	struct lb_api_dest dest;
};

struct lb_api_timeouts {
	uint32_t tcp;		/* ESTABLISHED */
	uint32_t tcpfin;	/* FIN_WAIT */
	uint32_t udp;
};

/*
 * IPVS's behaviour switches (its /proc/sys/net/ipv4/vs/ sysctls of the same
 * names), changed at run time: 0 or 1, -1 in a SET = leave as it is.
 */
/* SYSCTL_SET: -1 leaves a field as it is (0 too for am_droprate and
 * defense_threshold, which cannot be 0). */
struct lb_api_sysctl {
	int32_t secure_tcp;		/* the SYN-flood hardened state table */
	int32_t sloppy_tcp;		/* a non-SYN segment may create an entry */
	int32_t expire_nodest_conn;	/* drop a deleted server's entries at once */
	/* the defences, IPVS's modes 0..3 (GET: 2 = automatic and on now) */
	int32_t drop_entry;
	int32_t drop_packet;
	int32_t stateless_mh;		/* mh services sent without entries */
	int32_t am_droprate;		/* drop_packet's 1 in N in mode 3, >= 1 */
	int32_t defense_threshold;	/* percent of a worker's table, 1..100 */
};

struct lb_api_info {
	uint32_t version_code;	/* LB_API_IPVS_VERSION: the IPVS lbd behaves as */
	uint32_t conn_tab_size;	/* connection-table capacity, all workers */
	uint32_t n_workers;
	uint32_t n_services;
	uint32_t conns;		/* live entries */
	uint32_t _pad;
	char version[32];	/* lbd's own version, "0.1.0" */
};

/* Paging through connections: worker by worker, entry index by index. */
struct lb_api_conn_cursor {
	uint32_t worker;	/* start here (0 for the first page) */
	uint32_t index;		/* and at this entry of its table */
	uint32_t max;		/* at most this many entries in the reply */
	uint32_t _pad;
};

struct lb_api_conn_page {
	struct lb_api_conn_cursor next;	/* where the next page starts */
	uint32_t n;		/* lb_api_conn entries that follow */
	uint32_t done;		/* 1 when no entry is left after these */
};

#define LB_API_CONN_F_TEMPLATE	0x1u	/* persistence template (sport 0) */
#define LB_API_CONN_F_ASSURED	0x2u
#define LB_API_CONN_F_SYNC	0x4u	/* made from a sync record, not by this director */

struct lb_api_conn {
	uint8_t proto;
	uint8_t state;		/* enum lb_conn_state (dataplane/tcp_state.h) */
	uint16_t flags;		/* LB_API_CONN_F_* */
	uint8_t af;		/* AF_INET, AF_INET6: of all three addresses */
	uint8_t _pad[3];
	union lb_ip caddr;
	union lb_ip vaddr;
	union lb_ip daddr;
	uint16_t cport;		/* host order */
	uint16_t vport;
	uint16_t dport;
	uint16_t lcore;		/* owning worker's lcore */
	uint32_t expire;	/* seconds left */
};

struct lb_api_counters {
	uint32_t n_cores;
	uint32_t n_drops;	/* entries in each lb_api_core.drop */
	/* the control loop's longest iteration since -Z, in CPU time of the main
	 * thread (waiting in poll() and being preempted do not count): how long
	 * neighbour timers and clients could have been kept waiting */
	uint64_t ctl_loop_max_ns;
	uint32_t n_hosts;	/* lb_api_host entries after the cores */
	uint32_t n_pools;	/* lb_api_pool entries after the hosts */
	/* every service's traffic since start, deleted services' included, -Z
	 * not applied: IPVS's global totals (/proc/net/ip_vs_stats), monotonic */
	uint64_t total_conns;
	uint64_t total_inpkts;
	uint64_t total_inbytes;
};

/* A mempool (DPDK's, lbd's packet pool among them): a leak shows here. */
struct lb_api_pool {
	char name[32];
	uint32_t size;		/* objects */
	uint32_t in_use;	/* taken, per-lcore caches counted as free */
};

#define LB_API_MAX_POOLS	16

/* A port's kernel interface (control/host.h). */
struct lb_api_host {
	uint32_t port;		/* index in the configuration's ports */
	char ifname[16];
	uint32_t _pad;
	uint64_t to_kernel;	/* frames written to the interface */
	uint64_t to_kernel_dropped;
	uint64_t from_kernel;	/* frames the kernel wrote, sent on the port */
	uint64_t from_kernel_dropped;
	uint64_t csum_fixed;	/* of those, with a TCP/UDP checksum completed */
};

/* Health checks (control/health.h): the checker, then per service its
 * quorum and each server. */
struct lb_api_health_hdr {
	uint32_t n_svcs;	/* lb_api_health_svc entries that follow */
	uint32_t n_checked;	/* servers with a check */
	uint64_t attempts;	/* since start */
	uint64_t cpu_ns;	/* the checker thread's CPU time since start */
	/* since -Z: attempts started this late after their time at most, and
	 * in all over late_attempts of them */
	uint64_t late_max_us;
	uint64_t late_sum_us;
	uint64_t late_attempts;
	uint64_t running_ms;	/* since the checker started */
};


struct lb_api_health_svc {
	struct lb_api_svc_key key;
	uint32_t quorum;	/* healthy weight the service needs */
	uint32_t hysteresis;
	uint32_t weight_up;	/* sum of the weights of its healthy servers */
	uint8_t quorum_up;
	uint8_t sorry_active;	/* the sorry server has the traffic */
	uint16_t _pad;
	uint32_t n_dests;	/* lb_api_health_dest entries that follow */
	union lb_ip sorry_addr;	/* the service's family; all zero = none */
	int64_t quorum_since;	/* unix seconds of the last quorum change, 0 = never */
};

enum lb_api_health_state {
	LB_API_HEALTH_UP = 1,
	LB_API_HEALTH_DOWN,
};

#define LB_API_HEALTH_TEXT	96

struct lb_api_health_dest {
	union lb_ip addr;	/* the service's family */
	uint16_t port;		/* host order */
	uint8_t check;		/* enum lb_check_type (control/check.h); 0 = none */
	uint8_t state;		/* enum lb_api_health_state */
	uint8_t inhibit;	/* inhibit_on_failure: down means weight 0 */
	uint8_t sorry;		/* the service's sorry server */
	uint8_t in_sched;	/* in the scheduler (what -Ln shows) */
	uint8_t _pad;
	uint32_t weight;	/* the operator's (configuration, lbadm -e) */
	uint32_t eff_weight;	/* what the scheduler uses now */
	uint32_t fails;		/* consecutive failed attempts */
	uint32_t latency_us;	/* of the last completed attempt */
	uint64_t checks;	/* attempts since the check started */
	int64_t since;		/* unix seconds of the last transition, or of the start */
	char result[LB_API_HEALTH_TEXT];	/* the last attempt: "ok", or why it failed */
};

/* VIP announcement (control/announce.h). */
struct lb_api_announce_hdr {
	uint32_t enabled;	/* the configuration has an announce group */
	uint32_t table;		/* the kernel routing table lbd writes */
	uint32_t drain_seconds;
	uint32_t n;		/* lb_api_announce entries that follow */
};

enum lb_api_announce_why {
	LB_API_ANN_OK = 0,	/* announced */
	LB_API_ANN_ADMIN,	/* withdrawn by lbadm --withdraw */
	LB_API_ANN_QUORUM,	/* no service on the VIP has its quorum */
	LB_API_ANN_WORKER,	/* a worker stalled (the watchdog) */
	LB_API_ANN_STOPPING,	/* lbd is stopping (SIGTERM) */
	LB_API_ANN_ERROR,	/* the kernel refused the route (error) */
};

struct lb_api_announce {
	uint32_t vip;		/* network order */
	uint8_t announced;	/* its route is in the table */
	uint8_t admin;		/* 1 unless withdrawn by lbadm */
	uint8_t why;		/* enum lb_api_announce_why */
	uint8_t _pad;
	uint32_t lcore;		/* LB_API_ANN_WORKER: the stalled worker's lcore */
	int32_t error;		/* LB_API_ANN_ERROR: the errno netlink gave */
	int64_t since;		/* unix seconds of the last change */
};

struct lb_api_announce_set {
	uint32_t vip;		/* network order */
	uint32_t on;		/* 1 --announce, 0 --withdraw */
};

/* Connection sync daemons (control/sync.h). */
struct lb_api_sync_daemon {
	uint32_t role;		/* 0 master, 1 backup */
	uint32_t on;		/* LB_API_SYNC_GET: it runs */
	char ifname[16];	/* --mcast-interface */
	uint32_t syncid;	/* 0..255 */
	uint32_t maxlen;	/* 0: the default (1472) */
	uint32_t group;		/* network order; 0: 224.0.0.81 */
	uint32_t port;		/* 0: 8848 */
	uint32_t ttl;		/* 0: 1 */
};

#define LB_API_SYNC_DROPS	16

struct lb_api_sync {
	struct lb_api_sync_daemon daemon[2];
	/* the master */
	uint64_t queued;	/* records the workers handed */
	uint64_t queue_full;	/* records lost: a worker's ring was full */
	uint64_t sent_msgs, sent_conns, send_errors;
	/* the backup */
	uint64_t rx_msgs, rx_conns;
	uint64_t rx_drop[LB_API_SYNC_DROPS];	/* by reason, sync_wire.h's order */
	uint64_t ring_full;	/* records lost: a worker's ring was full */
	uint64_t created, updated, replaced, stale, no_service, no_dest, table_full;
};

#define LB_API_MAX_DROPS	48

struct lb_api_core {
	uint32_t lcore;
	uint32_t _pad;
	uint64_t rx;
	uint64_t fwd;
	uint64_t reply;
	uint64_t to_control;
	uint64_t tx;
	uint64_t tx_dropped;
	uint64_t sent_icmp;
	uint64_t sent_control;
	uint64_t conns;		/* live entries */
	uint64_t drop[LB_API_MAX_DROPS];	/* by reason, in counters.h order */
	uint64_t loop_max_ns;	/* longest worker loop iteration since -Z */
	uint64_t to_host;	/* handed to the port's kernel interface */
	uint64_t capacity;	/* entries the worker's table can hold */
	uint64_t conn_evicted;	/* half-open entries drop_entry freed */
	uint64_t fwd_stateless;	/* of fwd: mh packets sent without an entry */
	/* bound connection entries per state (enum lb_conn_state order:
	 * NONE, ESTABLISHED, ... SYNACK, UDP); templates are not in them */
	uint64_t state[LB_API_N_STATES];
};

#endif
