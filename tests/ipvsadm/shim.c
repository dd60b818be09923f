/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * An LD_PRELOAD shim that makes the real ipvsadm list lbd's live state, so
 * that tests/ipvsadm/compare.py can hold lbadm's output against ipvsadm's
 * own, byte for byte, instead of against our reading of ipvsadm's source.
 *
 * ipvsadm (libipvs) speaks to IPVS over one of two interfaces, and the shim
 * answers either, from lbd's control socket ($LBD_SOCKET), as Linux would:
 *
 *   - generic netlink (the default; $LBD_SHIM_IPVS=netlink), the interface
 *     libipvs uses on every modern kernel and the only one that carries
 *     IPv6. socket(AF_NETLINK, SOCK_RAW, NETLINK_GENERIC) returns one end
 *     of an AF_UNIX datagram socketpair; bind, getsockname, connect and the
 *     SOL_NETLINK options behave as on a netlink socket, and what libnl
 *     sends (sendmsg, sendto, send, write) is taken as the kernel takes it
 *     (netlink_rcv_skb, genl_rcv_msg): the controller answers
 *     CTRL_CMD_GETFAMILY for "IPVS" and "nlctrl", the IPVS family answers
 *     GET_INFO, GET_CONFIG, GET_SERVICE (one, or all as a dump), GET_DEST
 *     and GET_DAEMON (dumps), with the attributes of ip_vs_ctl.c's
 *     ip_vs_genl_fill_*. Answers are the kernel's datagrams: a reply then
 *     its ACK, NLMSG_ERROR with the request echoed, dumps of NLM_F_MULTI
 *     messages packed as netlink_dump packs them and closed by NLMSG_DONE
 *     in a datagram of its own. They wait in a queue and go into the
 *     socketpair one at a time, as ipvsadm reads them (recvmsg, recvfrom,
 *     recv, read: MSG_PEEK and MSG_TRUNC as the kernel's), each with the
 *     kernel's sockaddr_nl as its source. The raw socket of the other
 *     interface is refused: a netlink answer libipvs did not like must
 *     fail, not fall back.
 *
 *   - the old socket-option interface ($LBD_SHIM_IPVS=sockopt), kept for
 *     the IPv4 comparison: the netlink socket is refused, so that libipvs
 *     falls back (even on a kernel with IPVS loaded: the output must be
 *     lbd's, never the host's); socket(AF_INET, SOCK_RAW, IPPROTO_RAW)
 *     returns a connection to lbd and each getsockopt(IP_VS_SO_GET_*) on it
 *     is filled with the kernel's fixed structures. Those are IPv4-only: as
 *     in the kernel, IPv6 services are neither counted nor listed there.
 *     Stats are that interface's 32-bit counters, as on Linux.
 *
 * On both, an fopen() or open() of /proc/net/ip_vs_conn returns a memory
 * file holding lbd's connection table in the kernel's text format (IPv6
 * addresses as %pI6 prints them), and only listings are answered: the
 * commands that change IPVS fail with EPERM. Everything is rendered from
 * the layouts and attribute numbers of Linux's include/uapi/linux/ip_vs.h.
 * execv() of modprobe is refused: ipvsadm tries to load ip_vs when its
 * first request fails, which must never touch the host's kernel.
 */
/*
 * fopen/fopen64 and open/open64 are interposed by their own names: no
 * redirection of one to the other (meson's _FILE_OFFSET_BITS), no fortified
 * inline open() or read().
 */
#undef _FILE_OFFSET_BITS
#undef _FORTIFY_SOURCE

#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <linux/genetlink.h>
#include <linux/netlink.h>

#include "control/lb_api.h"
#include "control/lbadm/client.h"
#include "dataplane/sched.h"
#include "dataplane/tcp_state.h"

/* ---- IPVS as include/uapi/linux/ip_vs.h has it ---- */

#define IPVS_BASE_CTL		(64 + 1024 + 64)
#define IPVS_SO_SET_MIN		IPVS_BASE_CTL
#define IPVS_SO_SET_MAX		(IPVS_BASE_CTL + 15)
#define IPVS_SO_GET_VERSION	IPVS_BASE_CTL
#define IPVS_SO_GET_INFO	(IPVS_BASE_CTL + 1)
#define IPVS_SO_GET_SERVICES	(IPVS_BASE_CTL + 2)
#define IPVS_SO_GET_SERVICE	(IPVS_BASE_CTL + 3)
#define IPVS_SO_GET_DESTS	(IPVS_BASE_CTL + 4)
#define IPVS_SO_GET_DEST	(IPVS_BASE_CTL + 5)
#define IPVS_SO_GET_TIMEOUT	(IPVS_BASE_CTL + 6)
#define IPVS_SO_GET_DAEMON	(IPVS_BASE_CTL + 7)

#define IPVS_SVC_F_PERSISTENT	0x0001
#define IPVS_SVC_F_HASHED	0x0002	/* every service in the table has it */
#define IPVS_SVC_F_SCHED1	0x0008	/* sh-fallback, mh-fallback */
#define IPVS_SVC_F_SCHED2	0x0010	/* sh-port, mh-port */

#define IPVS_CONN_F_FWD_MASK	0x0007
#define IPVS_CONN_F_MASQ	0x0000
#define IPVS_CONN_F_LOCALNODE	0x0001
#define IPVS_CONN_F_TUNNEL	0x0002
#define IPVS_CONN_F_DROUTE	0x0003
#define IPVS_CONN_F_INACTIVE	0x0100	/* the kernel sets it on every dest */

#define IPVS_STATE_MASTER	0x0001
#define IPVS_STATE_BACKUP	0x0002

#define IPVS_SCHEDNAME_MAXLEN	16
#define IPVS_PENAME_MAXLEN	16
#define IPVS_IFNAME_MAXLEN	16

/* what ip_vs_sync.c's start_sync_thread fills in for a daemon started without them */
#define IPVS_SYNC_GROUP		0xe0000051u	/* 224.0.0.81 */
#define IPVS_SYNC_PORT		8848
#define IPVS_SYNC_MAXLEN	1472	/* an Ethernet MTU less IPv4 and UDP */

struct ipvs_stats_user {
	uint32_t conns;
	uint32_t inpkts;
	uint32_t outpkts;
	uint64_t inbytes;
	uint64_t outbytes;
	uint32_t cps;
	uint32_t inpps;
	uint32_t outpps;
	uint32_t inbps;
	uint32_t outbps;
};

struct ipvs_getinfo {
	unsigned int version;
	unsigned int size;
	unsigned int num_services;
};

struct ipvs_service_entry {
	uint16_t protocol;
	uint32_t addr;		/* network order */
	uint16_t port;		/* network order */
	uint32_t fwmark;
	char sched_name[IPVS_SCHEDNAME_MAXLEN];
	unsigned int flags;
	unsigned int timeout;	/* seconds */
	uint32_t netmask;	/* network order */
	unsigned int num_dests;
	struct ipvs_stats_user stats;
};

struct ipvs_dest_entry {
	uint32_t addr;
	uint16_t port;
	unsigned int conn_flags;
	int weight;
	uint32_t u_threshold;
	uint32_t l_threshold;
	uint32_t activeconns;
	uint32_t inactconns;
	uint32_t persistconns;
	struct ipvs_stats_user stats;
};

struct ipvs_get_dests {
	uint16_t protocol;
	uint32_t addr;
	uint16_t port;
	uint32_t fwmark;
	unsigned int num_dests;
	struct ipvs_dest_entry entrytable[];
};

struct ipvs_get_services {
	unsigned int num_services;
	struct ipvs_service_entry entrytable[];
};

struct ipvs_timeout_user {
	int tcp_timeout;
	int tcp_fin_timeout;
	int udp_timeout;
};

struct ipvs_daemon_user {
	int state;
	char mcast_ifn[IPVS_IFNAME_MAXLEN];
	int syncid;
};

/* The x86-64 / aarch64 ABI of those structures, as the kernel has them. */
_Static_assert(sizeof(struct ipvs_stats_user) == 56, "ip_vs_stats_user");
_Static_assert(offsetof(struct ipvs_stats_user, inbytes) == 16, "ip_vs_stats_user.inbytes");
_Static_assert(sizeof(struct ipvs_getinfo) == 12, "ip_vs_getinfo");
_Static_assert(sizeof(struct ipvs_service_entry) == 104, "ip_vs_service_entry");
_Static_assert(offsetof(struct ipvs_service_entry, stats) == 48, "ip_vs_service_entry.stats");
_Static_assert(sizeof(struct ipvs_dest_entry) == 96, "ip_vs_dest_entry");
_Static_assert(offsetof(struct ipvs_dest_entry, stats) == 40, "ip_vs_dest_entry.stats");
_Static_assert(sizeof(struct ipvs_get_dests) == 24, "ip_vs_get_dests");
_Static_assert(sizeof(struct ipvs_get_services) == 8, "ip_vs_get_services");
_Static_assert(sizeof(struct ipvs_timeout_user) == 12, "ip_vs_timeout_user");
_Static_assert(sizeof(struct ipvs_daemon_user) == 24, "ip_vs_daemon_user");

/* The generic netlink family "IPVS": its commands and attributes. */
#define IPVS_GENL_FAMILY	"IPVS"
#define IPVS_GENL_VER		1
/* Linux hands the id out when ip_vs loads (the first free one): any id
 * above the controller's serves, this one is what a typical host gets. */
#define IPVS_GENL_ID		0x22

enum {
	IPVS_C_NEW_SERVICE = 1,
	IPVS_C_SET_SERVICE,
	IPVS_C_DEL_SERVICE,
	IPVS_C_GET_SERVICE,
	IPVS_C_NEW_DEST,
	IPVS_C_SET_DEST,
	IPVS_C_DEL_DEST,
	IPVS_C_GET_DEST,
	IPVS_C_NEW_DAEMON,
	IPVS_C_DEL_DAEMON,
	IPVS_C_GET_DAEMON,
	IPVS_C_SET_CONFIG,
	IPVS_C_GET_CONFIG,
	IPVS_C_SET_INFO,	/* only the reply to GET_INFO */
	IPVS_C_GET_INFO,
	IPVS_C_ZERO,
	IPVS_C_FLUSH,
};

enum {
	CMD_A_SERVICE = 1,	/* nested SVC_A_* */
	CMD_A_DEST,		/* nested DEST_A_* */
	CMD_A_DAEMON,		/* nested DAEMON_A_* */
	CMD_A_TIMEOUT_TCP,
	CMD_A_TIMEOUT_TCP_FIN,
	CMD_A_TIMEOUT_UDP,
	CMD_A_MAX = CMD_A_TIMEOUT_UDP,
};

enum {
	SVC_A_AF = 1,
	SVC_A_PROTOCOL,
	SVC_A_ADDR,		/* union nf_inet_addr, 16 bytes */
	SVC_A_PORT,		/* network order */
	SVC_A_FWMARK,
	SVC_A_SCHED_NAME,
	SVC_A_FLAGS,		/* struct ip_vs_flags */
	SVC_A_TIMEOUT,
	SVC_A_NETMASK,		/* as the service keeps it (see lb_api_svc.netmask) */
	SVC_A_STATS,		/* nested STATS_A_*, 32-bit counters */
	SVC_A_PE_NAME,
	SVC_A_STATS64,		/* nested STATS_A_*, all 64-bit */
	SVC_A_MAX = SVC_A_STATS64,
};

enum {
	DEST_A_ADDR = 1,
	DEST_A_PORT,
	DEST_A_FWD_METHOD,
	DEST_A_WEIGHT,
	DEST_A_U_THRESH,
	DEST_A_L_THRESH,
	DEST_A_ACTIVE_CONNS,
	DEST_A_INACT_CONNS,
	DEST_A_PERSIST_CONNS,
	DEST_A_STATS,
	DEST_A_ADDR_FAMILY,
	DEST_A_STATS64,
	DEST_A_TUN_TYPE,
	DEST_A_TUN_PORT,
	DEST_A_TUN_FLAGS,
};

enum {
	DAEMON_A_STATE = 1,
	DAEMON_A_MCAST_IFN,
	DAEMON_A_SYNC_ID,
	DAEMON_A_SYNC_MAXLEN,
	DAEMON_A_MCAST_GROUP,
	DAEMON_A_MCAST_GROUP6,
	DAEMON_A_MCAST_PORT,
	DAEMON_A_MCAST_TTL,
};

enum {
	STATS_A_CONNS = 1,
	STATS_A_INPKTS,
	STATS_A_OUTPKTS,
	STATS_A_INBYTES,
	STATS_A_OUTBYTES,
	STATS_A_CPS,
	STATS_A_INPPS,
	STATS_A_OUTPPS,
	STATS_A_INBPS,
	STATS_A_OUTBPS,
};

enum {
	INFO_A_VERSION = 1,
	INFO_A_CONN_TAB_SIZE,
};

struct ipvs_flags_attr {
	uint32_t flags;
	uint32_t mask;
};

/* And, where the system has the kernel's header, against it as well. */
#if __has_include(<linux/ip_vs.h>)
#include <linux/ip_vs.h>
_Static_assert(sizeof(struct ipvs_stats_user) == sizeof(struct ip_vs_stats_user), "stats");
_Static_assert(sizeof(struct ipvs_service_entry) == sizeof(struct ip_vs_service_entry), "svc");
_Static_assert(sizeof(struct ipvs_dest_entry) == sizeof(struct ip_vs_dest_entry), "dest");
_Static_assert(sizeof(struct ipvs_get_dests) == sizeof(struct ip_vs_get_dests), "dests");
_Static_assert(sizeof(struct ipvs_get_services) == sizeof(struct ip_vs_get_services), "svcs");
_Static_assert(sizeof(struct ipvs_daemon_user) == sizeof(struct ip_vs_daemon_user), "daemon");
_Static_assert(sizeof(struct ipvs_flags_attr) == sizeof(struct ip_vs_flags), "flags");
_Static_assert(IPVS_SO_GET_DAEMON == IP_VS_SO_GET_DAEMON, "IP_VS_SO_GET_DAEMON");
_Static_assert(IPVS_SVC_F_SCHED2 == IP_VS_SVC_F_SCHED2, "IP_VS_SVC_F_SCHED2");
_Static_assert(IPVS_CONN_F_DROUTE == IP_VS_CONN_F_DROUTE, "IP_VS_CONN_F_DROUTE");
_Static_assert(IPVS_CONN_F_FWD_MASK == IP_VS_CONN_F_FWD_MASK, "IP_VS_CONN_F_FWD_MASK");
_Static_assert(IPVS_STATE_BACKUP == IP_VS_STATE_BACKUP, "IP_VS_STATE_BACKUP");
_Static_assert(IPVS_PENAME_MAXLEN == IP_VS_PENAME_MAXLEN, "IP_VS_PENAME_MAXLEN");
_Static_assert(IPVS_GENL_VER == IPVS_GENL_VERSION, "IPVS_GENL_VERSION");
_Static_assert((int)IPVS_C_GET_DEST == (int)IPVS_CMD_GET_DEST &&
		(int)IPVS_C_FLUSH == (int)IPVS_CMD_FLUSH &&
		(int)IPVS_C_GET_INFO == (int)IPVS_CMD_GET_INFO, "IPVS_CMD_*");
_Static_assert((int)CMD_A_MAX == (int)IPVS_CMD_ATTR_MAX, "IPVS_CMD_ATTR_*");
_Static_assert((int)SVC_A_STATS64 == (int)IPVS_SVC_ATTR_STATS64 &&
		(int)SVC_A_NETMASK == (int)IPVS_SVC_ATTR_NETMASK, "IPVS_SVC_ATTR_*");
_Static_assert((int)DEST_A_ADDR_FAMILY == (int)IPVS_DEST_ATTR_ADDR_FAMILY &&
		(int)DEST_A_TUN_FLAGS == (int)IPVS_DEST_ATTR_TUN_FLAGS, "IPVS_DEST_ATTR_*");
_Static_assert((int)DAEMON_A_MCAST_TTL == (int)IPVS_DAEMON_ATTR_MCAST_TTL,
		"IPVS_DAEMON_ATTR_*");
_Static_assert((int)STATS_A_OUTBPS == (int)IPVS_STATS_ATTR_OUTBPS, "IPVS_STATS_ATTR_*");
_Static_assert((int)INFO_A_CONN_TAB_SIZE == (int)IPVS_INFO_ATTR_CONN_TAB_SIZE,
		"IPVS_INFO_ATTR_*");
#endif

/* lbd numbers its TCP states as IPVS does; the names below rely on it. */
_Static_assert(LB_S_NONE == 0 && LB_S_ESTABLISHED == 1 && LB_S_SYN_RECV == 3 &&
		LB_S_FIN_WAIT == 4 && LB_S_SYNACK == 10 && LB_S_TCP_COUNT == 11,
		"lbd's TCP states are IPVS's");
_Static_assert(sizeof(union lb_ip) == 16, "union lb_ip is union nf_inet_addr's size");

/* ip_vs_proto_tcp.c's tcp_state_name_table, by IPVS state number. */
static const char *const tcp_state_names[] = {
	"NONE", "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT", "TIME_WAIT", "CLOSE",
	"CLOSE_WAIT", "LAST_ACK", "LISTEN", "SYNACK",
};

/* ---- the real functions ---- */

static int (*real_socket)(int, int, int);
static int (*real_getsockopt)(int, int, int, void *, socklen_t *);
static int (*real_setsockopt)(int, int, int, const void *, socklen_t);
static int (*real_bind)(int, const struct sockaddr *, socklen_t);
static int (*real_connect)(int, const struct sockaddr *, socklen_t);
static int (*real_getsockname)(int, struct sockaddr *, socklen_t *);
static ssize_t (*real_sendmsg)(int, const struct msghdr *, int);
static ssize_t (*real_sendto)(int, const void *, size_t, int, const struct sockaddr *,
		socklen_t);
static ssize_t (*real_send)(int, const void *, size_t, int);
static ssize_t (*real_write)(int, const void *, size_t);
static ssize_t (*real_recvmsg)(int, struct msghdr *, int);
static ssize_t (*real_recvfrom)(int, void *, size_t, int, struct sockaddr *, socklen_t *);
static ssize_t (*real_recv)(int, void *, size_t, int);
static ssize_t (*real_read)(int, void *, size_t);
static int (*real_close)(int);
static int (*real_execv)(const char *, char *const[]);
static FILE *(*real_fopen)(const char *, const char *);
static FILE *(*real_fopen64)(const char *, const char *);
static int (*real_open)(const char *, int, ...);
static int (*real_open64)(const char *, int, ...);
static int (*real_openat)(int, const char *, int, ...);

static void *
next_sym(const char *name)
{
	void *p = dlsym(RTLD_NEXT, name);

	if (p == NULL) {
		fprintf(stderr, "ipvsadm shim: no %s in the next library\n", name);
		abort();
	}
	return p;
}

/* Which IPVS interface ipvsadm gets ($LBD_SHIM_IPVS). */
static bool use_netlink = true;

static void nlsocks_init(void);

static void __attribute__((constructor))
shim_init(void)
{
	const char *api = getenv("LBD_SHIM_IPVS");

	/*
	 * libipvs's sockopt path copies only the kernel's part of each service
	 * and server entry into a malloc'd table, leaving its own fields (the
	 * persistence engine's name, the tunnel fields) as the heap had them:
	 * ipvsadm would print garbage as " pe ...". Zero-filled allocations
	 * make them read as empty, which is what its netlink path reports.
	 */
	mallopt(M_PERTURB, 0xff);
	real_socket = next_sym("socket");
	real_getsockopt = next_sym("getsockopt");
	real_setsockopt = next_sym("setsockopt");
	real_bind = next_sym("bind");
	real_connect = next_sym("connect");
	real_getsockname = next_sym("getsockname");
	real_sendmsg = next_sym("sendmsg");
	real_sendto = next_sym("sendto");
	real_send = next_sym("send");
	real_write = next_sym("write");
	real_recvmsg = next_sym("recvmsg");
	real_recvfrom = next_sym("recvfrom");
	real_recv = next_sym("recv");
	real_read = next_sym("read");
	real_close = next_sym("close");
	real_execv = next_sym("execv");
	real_fopen = next_sym("fopen");
	real_fopen64 = next_sym("fopen64");
	real_open = next_sym("open");
	real_open64 = next_sym("open64");
	real_openat = next_sym("openat");
	nlsocks_init();
	if (api == NULL || api[0] == '\0' || strcmp(api, "netlink") == 0) {
		use_netlink = true;
	} else if (strcmp(api, "sockopt") == 0) {
		use_netlink = false;
	} else {
		fprintf(stderr, "ipvsadm shim: LBD_SHIM_IPVS is \"%s\", not netlink or sockopt\n",
				api);
		abort();
	}
}

/* The descriptor libipvs believes is its raw IPVS socket: lbd's control socket. */
static int ipvs_fd = -1;

static const char *
lbd_socket_path(void)
{
	const char *p = getenv("LBD_SOCKET");

	return p != NULL && p[0] != '\0' ? p : "/run/lbd/lbd.sock";
}

#define CONN_PROC_FILE	"/proc/net/ip_vs_conn"

/* ---- requests to lbd ---- */

/* One request on fd; 0 with a malloc'd body, or a positive errno. */
static int
ask(int fd, uint16_t type, const void *body, uint32_t len, void **resp, uint32_t *resp_len)
{
	int rc = lb_client_call(fd, type, body, len, resp, resp_len);

	if (rc < 0)
		return -rc;
	return rc;
}

/* One request whose reply is exactly one struct of len bytes, copied to out. */
static int
ask_struct(int fd, uint16_t type, void *out, uint32_t len)
{
	uint32_t rlen;
	void *resp;
	int rc;

	rc = ask(fd, type, NULL, 0, &resp, &rlen);
	if (rc != 0)
		return rc;
	if (rlen != len) {
		free(resp);
		return EPROTO;
	}
	memcpy(out, resp, len);
	free(resp);
	return 0;
}

/* The SVC_LIST reply walked into services (n of them), checked. */
struct svc_list {
	void *blob;
	size_t n;
	const struct lb_api_svc **svc;
};

static void
svc_list_free(struct svc_list *l)
{
	free(l->blob);
	free(l->svc);
	memset(l, 0, sizeof(*l));
}

/* The services key selects (proto 0: all), those of family af only unless af is 0. */
static int
svc_list_get(int fd, const struct lb_api_svc_key *key, uint8_t af, struct svc_list *l)
{
	uint32_t len;
	const uint8_t *p, *end;
	size_t cap = 0;
	int rc;

	memset(l, 0, sizeof(*l));
	rc = ask(fd, LB_API_SVC_LIST, key, sizeof(*key), &l->blob, &len);
	if (rc != 0)
		return rc;
	p = l->blob;
	end = p + len;
	while (p < end) {
		struct lb_api_svc s;

		if ((size_t)(end - p) < sizeof(s))
			goto bad;
		memcpy(&s, p, sizeof(s));
		if (s.n_dests > (size_t)(end - p - sizeof(s)) / sizeof(struct lb_api_dest))
			goto bad;
		if (af == 0 || s.key.af == af) {
			if (l->n == cap) {
				const struct lb_api_svc **v;

				cap = cap ? cap * 2 : 16;
				v = realloc(l->svc, cap * sizeof(*v));
				if (v == NULL)
					goto bad;
				l->svc = v;
			}
			l->svc[l->n++] = (const struct lb_api_svc *)p;
		}
		p += sizeof(s) + (size_t)s.n_dests * sizeof(struct lb_api_dest);
	}
	return 0;
bad:
	svc_list_free(l);
	return EPROTO;
}

static const struct lb_api_dest *
svc_dests(const struct lb_api_svc *s)
{
	return (const struct lb_api_dest *)(s + 1);
}

/* ---- lbd's service and server fields as IPVS keeps them ---- */

/* svc->flags */
static unsigned int
svc_flags(const struct lb_api_svc *s)
{
	unsigned int f = IPVS_SVC_F_HASHED;

	if (s->flags & LB_API_SVC_F_PERSISTENT)
		f |= IPVS_SVC_F_PERSISTENT;
	if (s->sched_flags & LB_SCHED_F_FALLBACK)
		f |= IPVS_SVC_F_SCHED1;
	if (s->sched_flags & LB_SCHED_F_PORT)
		f |= IPVS_SVC_F_SCHED2;
	return f;
}

/* svc->timeout / HZ: what ipvsadm set, which is only ever with -p */
static unsigned int
svc_timeout(const struct lb_api_svc *s)
{
	return (s->flags & LB_API_SVC_F_PERSISTENT) ? s->timeout : 0;
}

/* dest->conn_flags */
static unsigned int
dest_conn_flags(const struct lb_api_dest *d)
{
	static const unsigned int fwd[] = {
		[LB_API_FWD_ROUTE] = IPVS_CONN_F_DROUTE,
		[LB_API_FWD_MASQ] = IPVS_CONN_F_MASQ,
		[LB_API_FWD_TUNNEL] = IPVS_CONN_F_TUNNEL,
		[LB_API_FWD_LOCAL] = IPVS_CONN_F_LOCALNODE,
	};

	return (d->fwd < sizeof(fwd) / sizeof(fwd[0]) ? fwd[d->fwd] : 0) | IPVS_CONN_F_INACTIVE;
}

/* ---- the socket-option interface: lbd's structures -> the kernel's ---- */

static void
stats_user(struct ipvs_stats_user *u, const struct lb_api_stats *s)
{
	/* ip_vs_export_stats_user: the 32-bit fields are truncated */
	u->conns = (uint32_t)s->conns;
	u->inpkts = (uint32_t)s->inpkts;
	u->outpkts = (uint32_t)s->outpkts;
	u->inbytes = s->inbytes;
	u->outbytes = s->outbytes;
	u->cps = (uint32_t)s->cps;
	u->inpps = (uint32_t)s->inpps;
	u->outpps = (uint32_t)s->outpps;
	u->inbps = (uint32_t)s->inbps;
	u->outbps = (uint32_t)s->outbps;
}

/* ip_vs_copy_service */
static void
service_entry(struct ipvs_service_entry *e, const struct lb_api_svc *s)
{
	memset(e, 0, sizeof(*e));
	e->protocol = s->key.proto;
	e->addr = s->key.vip.v4;
	e->port = htons(s->key.port);
	snprintf(e->sched_name, sizeof(e->sched_name), "%.*s", LB_API_SCHED_LEN, s->sched);
	e->flags = svc_flags(s);
	e->timeout = svc_timeout(s);
	e->netmask = s->netmask;
	e->num_dests = s->n_dests;
	stats_user(&e->stats, &s->stats);
}

static void
dest_entry(struct ipvs_dest_entry *e, const struct lb_api_dest *d)
{
	memset(e, 0, sizeof(*e));
	e->addr = d->addr.v4;
	e->port = htons(d->port);
	e->conn_flags = dest_conn_flags(d);
	e->weight = (int)d->weight;
	e->u_threshold = d->u_threshold;
	e->l_threshold = d->l_threshold;
	e->activeconns = d->active;
	e->inactconns = d->inactive;
	e->persistconns = d->persist;
	stats_user(&e->stats, &d->stats);
}

/* ---- the IP_VS_SO_GET_* commands, checked as do_ip_vs_get_ctl checks them ---- */

static int
get_info(int fd, struct ipvs_getinfo *gi)
{
	struct lb_api_svc_key all = { 0 };
	struct lb_api_info info;
	struct svc_list l;
	int rc;

	rc = ask_struct(fd, LB_API_INFO, &info, sizeof(info));
	if (rc != 0)
		return rc;
	/* the count GET_SERVICES is then asked for: IPv4 services only, as
	 * ip_vs_add_service counts them for this interface */
	rc = svc_list_get(fd, &all, AF_INET, &l);
	if (rc != 0)
		return rc;
	gi->version = info.version_code;
	gi->size = info.conn_tab_size;
	gi->num_services = (unsigned int)l.n;
	svc_list_free(&l);
	return 0;
}

static int
so_get(int fd, int cmd, void *arg, socklen_t *len)
{
	struct lb_api_svc_key all = { 0 };
	struct svc_list l;
	int rc = 0;
	size_t i;

	switch (cmd) {
	case IPVS_SO_GET_VERSION: {
		struct ipvs_getinfo gi;
		char buf[64];

		if (*len < sizeof(buf))
			return EINVAL;
		rc = get_info(fd, &gi);
		if (rc != 0)
			return rc;
		snprintf(buf, sizeof(buf), "IP Virtual Server version %u.%u.%u (size=%u)",
			(gi.version >> 16) & 0xff, (gi.version >> 8) & 0xff, gi.version & 0xff,
			gi.size);
		memcpy(arg, buf, strlen(buf) + 1);
		*len = (socklen_t)(strlen(buf) + 1);
		return 0;
	}
	case IPVS_SO_GET_INFO: {
		struct ipvs_getinfo gi;

		if (*len < sizeof(gi))
			return EINVAL;
		rc = get_info(fd, &gi);
		if (rc == 0)
			memcpy(arg, &gi, sizeof(gi));
		return rc;
	}
	case IPVS_SO_GET_SERVICES: {
		struct ipvs_get_services *get = arg;
		unsigned int want;

		if (*len < sizeof(*get))
			return EINVAL;
		want = get->num_services;
		if (*len != sizeof(*get) + (size_t)want * sizeof(struct ipvs_service_entry))
			return EINVAL;
		/* as the kernel: IPv4 services only, at most the count asked
		 * for, in table order */
		rc = svc_list_get(fd, &all, AF_INET, &l);
		if (rc != 0)
			return rc;
		for (i = 0; i < l.n && i < want; i++)
			service_entry(&get->entrytable[i], l.svc[i]);
		for (; i < want; i++)
			memset(&get->entrytable[i], 0, sizeof(get->entrytable[i]));
		svc_list_free(&l);
		return 0;
	}
	case IPVS_SO_GET_SERVICE: {
		struct ipvs_service_entry *e = arg;
		struct lb_api_svc_key k = { 0 };

		/* at least the kernel's entry (libipvs passes its own, larger one) */
		if (*len < sizeof(*e))
			return EINVAL;
		if (e->fwmark != 0)
			return ESRCH;	/* lbd has no fwmark services */
		k.proto = (uint8_t)e->protocol;
		k.af = AF_INET;
		k.vip = lb_ip_from_v4(e->addr);
		k.port = ntohs(e->port);
		if (k.proto == 0 || e->protocol > UINT8_MAX)
			return ESRCH;	/* lbd reads proto 0 as "every service" */
		rc = svc_list_get(fd, &k, AF_INET, &l);
		if (rc != 0)
			return rc;
		if (l.n != 1)
			rc = ESRCH;
		else
			service_entry(e, l.svc[0]);
		svc_list_free(&l);
		return rc;
	}
	case IPVS_SO_GET_DESTS: {
		struct ipvs_get_dests *get = arg;
		struct lb_api_svc_key k = { 0 };
		const struct lb_api_dest *d;
		unsigned int want;

		if (*len < sizeof(*get))
			return EINVAL;
		want = get->num_dests;
		if (*len != sizeof(*get) + (size_t)want * sizeof(struct ipvs_dest_entry))
			return EINVAL;
		if (get->fwmark != 0 || get->protocol == 0 || get->protocol > UINT8_MAX)
			return ESRCH;
		k.proto = (uint8_t)get->protocol;
		k.af = AF_INET;
		k.vip = lb_ip_from_v4(get->addr);
		k.port = ntohs(get->port);
		rc = svc_list_get(fd, &k, AF_INET, &l);
		if (rc != 0)
			return rc;
		if (l.n != 1) {
			svc_list_free(&l);
			return ESRCH;
		}
		d = svc_dests(l.svc[0]);
		for (i = 0; i < l.svc[0]->n_dests && i < want; i++)
			dest_entry(&get->entrytable[i], &d[i]);
		for (; i < want; i++)
			memset(&get->entrytable[i], 0, sizeof(get->entrytable[i]));
		svc_list_free(&l);
		return 0;
	}
	case IPVS_SO_GET_TIMEOUT: {
		struct ipvs_timeout_user t;
		struct lb_api_timeouts lt;

		if (*len < sizeof(t))
			return EINVAL;
		rc = ask_struct(fd, LB_API_TIMEOUT_GET, &lt, sizeof(lt));
		if (rc != 0)
			return rc;
		t.tcp_timeout = (int)lt.tcp;
		t.tcp_fin_timeout = (int)lt.tcpfin;
		t.udp_timeout = (int)lt.udp;
		memcpy(arg, &t, sizeof(t));
		return 0;
	}
	case IPVS_SO_GET_DAEMON: {
		struct ipvs_daemon_user d[2];
		struct lb_api_sync sy;

		if (*len < sizeof(d))
			return EINVAL;
		rc = ask_struct(fd, LB_API_SYNC_GET, &sy, sizeof(sy));
		if (rc != 0)
			return rc;
		/* the master in d[0], the backup in d[1], each only when running;
		 * this interface has no room for maxlen, group, port or ttl */
		memset(d, 0, sizeof(d));
		for (i = 0; i < 2; i++) {
			if (!sy.daemon[i].on)
				continue;
			d[i].state = i == 0 ? IPVS_STATE_MASTER : IPVS_STATE_BACKUP;
			snprintf(d[i].mcast_ifn, sizeof(d[i].mcast_ifn), "%.*s",
					IPVS_IFNAME_MAXLEN - 1, sy.daemon[i].ifname);
			d[i].syncid = (int)sy.daemon[i].syncid;
		}
		memcpy(arg, d, sizeof(d));
		return 0;
	}
	default:
		return EINVAL;
	}
}

/* ---- generic netlink: messages built as the kernel builds them ---- */

/* A growing buffer of netlink messages; positions are offsets (it moves). */
struct mbuf {
	uint8_t *p;
	size_t len;
	size_t cap;
	bool oom;
};

static void
mb_free(struct mbuf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

/* n more bytes, zeroed, then zeros up to the next 4-byte boundary (as
 * nla_put and nlmsg_append pad); their offset. */
static size_t
mb_put(struct mbuf *b, const void *data, size_t n)
{
	size_t off = b->len, total = NLMSG_ALIGN(n);

	if (b->oom)
		return off;
	if (b->len + total > b->cap) {
		size_t cap = b->cap ? b->cap : 1024;
		uint8_t *p;

		while (cap < b->len + total)
			cap *= 2;
		p = realloc(b->p, cap);
		if (p == NULL) {
			b->oom = true;
			return off;
		}
		b->p = p;
		b->cap = cap;
	}
	memset(b->p + off, 0, total);
	if (data != NULL)
		memcpy(b->p + off, data, n);
	b->len += total;
	return off;
}

/* nlmsg_put: a header whose length msg_end() fills in. */
static size_t
msg_begin(struct mbuf *b, uint16_t type, uint16_t flags, uint32_t seq, uint32_t portid)
{
	struct nlmsghdr h = {
		.nlmsg_type = type, .nlmsg_flags = flags, .nlmsg_seq = seq, .nlmsg_pid = portid,
	};

	return mb_put(b, &h, sizeof(h));
}

static void
msg_end(struct mbuf *b, size_t off)
{
	uint32_t len = (uint32_t)(b->len - off);

	if (!b->oom)
		memcpy(b->p + off + offsetof(struct nlmsghdr, nlmsg_len), &len, sizeof(len));
}

static void
genl_put(struct mbuf *b, uint8_t cmd, uint8_t version)
{
	struct genlmsghdr g = { .cmd = cmd, .version = version };

	mb_put(b, &g, sizeof(g));
}

static void
attr_put(struct mbuf *b, uint16_t type, const void *data, size_t n)
{
	struct nlattr a = { .nla_len = (uint16_t)(NLA_HDRLEN + n), .nla_type = type };

	/* the header is 4 bytes, the payload follows, then pads to 4 */
	mb_put(b, &a, sizeof(a));
	mb_put(b, data, n);
}

static void
put_u8(struct mbuf *b, uint16_t type, uint8_t v)
{
	attr_put(b, type, &v, sizeof(v));
}

static void
put_u16(struct mbuf *b, uint16_t type, uint16_t v)
{
	attr_put(b, type, &v, sizeof(v));
}

static void
put_u32(struct mbuf *b, uint16_t type, uint32_t v)
{
	attr_put(b, type, &v, sizeof(v));
}

/* nla_put_u64_64bit: no IPVS_STATS_ATTR_PAD on x86-64 and arm64, whose
 * unaligned accesses are efficient */
static void
put_u64(struct mbuf *b, uint16_t type, uint64_t v)
{
	attr_put(b, type, &v, sizeof(v));
}

static void
put_str(struct mbuf *b, uint16_t type, const char *s, size_t maxlen)
{
	size_t n = strnlen(s, maxlen);
	char buf[64];

	if (n >= sizeof(buf))
		n = sizeof(buf) - 1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	attr_put(b, type, buf, n + 1);
}

/* nla_nest_start_noflag: the kernel does not set NLA_F_NESTED here */
static size_t
nest_begin(struct mbuf *b, uint16_t type)
{
	struct nlattr a = { .nla_len = NLA_HDRLEN, .nla_type = type };

	return mb_put(b, &a, sizeof(a));
}

static void
nest_end(struct mbuf *b, size_t off)
{
	uint16_t len = (uint16_t)(b->len - off);

	if (!b->oom)
		memcpy(b->p + off + offsetof(struct nlattr, nla_len), &len, sizeof(len));
}

/* ---- generic netlink: attributes received, checked as nla_parse checks them ---- */

enum pol_type { P_NONE, P_U8, P_U16, P_U32, P_U64, P_NESTED, P_BINARY, P_NUL_STRING };

struct policy {
	uint8_t type;		/* enum pol_type */
	uint16_t len;		/* P_BINARY: at most; P_NUL_STRING: at most, NUL excluded */
};

/* validate_nla, in the lenient ("deprecated") mode the IPVS and controller
 * commands are parsed with: too short is an error, too long is not. */
static int
attr_valid(const struct nlattr *a, const struct policy *pt)
{
	static const uint8_t minlen[] = {
		[P_U8] = 1, [P_U16] = 2, [P_U32] = 4, [P_U64] = 8,
	};
	const char *d = (const char *)a + NLA_HDRLEN;
	size_t n = a->nla_len - NLA_HDRLEN;

	switch (pt->type) {
	case P_U8:
	case P_U16:
	case P_U32:
	case P_U64:
		return n < minlen[pt->type] ? -ERANGE : 0;
	case P_NESTED:
		return n != 0 && n < NLA_HDRLEN ? -ERANGE : 0;
	case P_BINARY:
		return pt->len != 0 && n > pt->len ? -ERANGE : 0;
	case P_NUL_STRING: {
		size_t m = pt->len != 0 && n > (size_t)pt->len + 1 ? (size_t)pt->len + 1 : n;

		if (m == 0 || memchr(d, '\0', m) == NULL)
			return -EINVAL;
		if (d[n - 1] == '\0')
			n--;
		return pt->len != 0 && n > pt->len ? -ERANGE : 0;
	}
	default:
		return 0;
	}
}

/* nla_parse: tb[type] = the last attribute of each type up to max; types
 * beyond max are ignored, a truncated tail ends the walk. 0 or -errno. */
static int
attrs_parse(const struct nlattr **tb, int max, const struct policy *pol, const void *data,
		size_t len)
{
	const uint8_t *p = data;

	memset(tb, 0, (size_t)(max + 1) * sizeof(*tb));
	while (len >= NLA_HDRLEN) {
		const struct nlattr *a = (const struct nlattr *)p;
		int type = a->nla_type & NLA_TYPE_MASK;
		size_t step;

		if (a->nla_len < NLA_HDRLEN || a->nla_len > len)
			break;
		if (type > 0 && type <= max) {
			int rc = attr_valid(a, &pol[type]);

			if (rc != 0)
				return rc;
			tb[type] = a;
		}
		step = NLA_ALIGN(a->nla_len);
		if (step >= len)
			break;
		p += step;
		len -= step;
	}
	return 0;
}

static const void *
attr_data(const struct nlattr *a)
{
	return (const uint8_t *)a + NLA_HDRLEN;
}

static size_t
attr_len(const struct nlattr *a)
{
	return a->nla_len - NLA_HDRLEN;
}

static uint16_t
get_u16(const struct nlattr *a)
{
	uint16_t v;

	memcpy(&v, attr_data(a), sizeof(v));
	return v;
}

/* ---- generic netlink: the sockets ---- */

/* One answer datagram (an skb the kernel would queue). */
struct dgram {
	struct dgram *next;
	size_t len;
	uint8_t data[];
};

#define NL_F_EXT_ACK	0x1u
#define NL_F_CAP_ACK	0x2u

struct nlsock {
	int fd;			/* ipvsadm's end of the socketpair; -1 = free slot */
	int kfd;		/* the end the answers are written to */
	int lbd;		/* lbd's control socket */
	int type;		/* SOCK_RAW or SOCK_DGRAM, as asked */
	uint32_t portid;	/* 0 until bound */
	uint32_t groups;	/* as bound */
	uint32_t flags;		/* NL_F_* as set with SOL_NETLINK */
	int opts[NETLINK_GET_STRICT_CHK + 1];	/* the other SOL_NETLINK flags */
	struct dgram *head;	/* answers not read yet, the first one in kfd */
	struct dgram **tailp;
	bool head_in;		/* head has been written to kfd */
	size_t max_recvmsg_len;	/* the largest read buffer so far, at most 32 KiB */
};

#define MAX_NLSOCKS	16
static struct nlsock nlsocks[MAX_NLSOCKS];
static uint32_t autobind_rover = (uint32_t)-4096;	/* netlink_autobind's */

static void
nlsocks_init(void)
{
	unsigned int i;

	for (i = 0; i < MAX_NLSOCKS; i++)
		nlsocks[i].fd = -1;
}

static struct nlsock *
nlsock_of(int fd)
{
	unsigned int i;

	if (fd < 0)
		return NULL;
	for (i = 0; i < MAX_NLSOCKS; i++)
		if (nlsocks[i].fd == fd)
			return &nlsocks[i];
	return NULL;
}

static bool
portid_used(uint32_t portid)
{
	unsigned int i;

	for (i = 0; i < MAX_NLSOCKS; i++)
		if (nlsocks[i].fd >= 0 && nlsocks[i].portid == portid)
			return true;
	return false;
}

/* netlink_autobind: the process id first, then negative ids downwards. */
static void
nl_autobind(struct nlsock *ns)
{
	uint32_t id = (uint32_t)getpid();

	if (ns->portid != 0)
		return;
	while (portid_used(id))
		id = autobind_rover--;
	ns->portid = id;
}

/* Write the head of the queue into the socketpair unless it is there already. */
static void
nl_feed(struct nlsock *ns)
{
	ssize_t n;

	if (ns->head == NULL || ns->head_in)
		return;
	n = real_send(ns->kfd, ns->head->data, ns->head->len, MSG_NOSIGNAL);
	if (n != (ssize_t)ns->head->len) {
		fprintf(stderr, "ipvsadm shim: cannot queue a netlink answer of %zu bytes: %s\n",
				ns->head->len, strerror(errno));
		return;
	}
	ns->head_in = true;
}

/* ipvsadm read the datagram in the socketpair: the next one goes in. */
static void
nl_consumed(struct nlsock *ns)
{
	struct dgram *d = ns->head;

	if (d == NULL || !ns->head_in)
		return;
	ns->head = d->next;
	if (ns->head == NULL)
		ns->tailp = &ns->head;
	free(d);
	ns->head_in = false;
	nl_feed(ns);
}

/* Queue b's messages as one datagram; b is emptied. -ENOMEM on failure. */
static int
nl_queue(struct nlsock *ns, struct mbuf *b)
{
	struct dgram *d;

	if (b->oom) {
		mb_free(b);
		return -ENOMEM;
	}
	d = malloc(sizeof(*d) + b->len);
	if (d == NULL) {
		mb_free(b);
		return -ENOMEM;
	}
	d->next = NULL;
	d->len = b->len;
	memcpy(d->data, b->p, b->len);
	*ns->tailp = d;
	ns->tailp = &d->next;
	mb_free(b);
	nl_feed(ns);
	return 0;
}

static void
nl_queue_free(struct nlsock *ns)
{
	while (ns->head != NULL) {
		struct dgram *d = ns->head;

		ns->head = d->next;
		free(d);
	}
	ns->tailp = &ns->head;
	ns->head_in = false;
}

/* netlink_ack: an error, or with NLM_F_ACK a success, for request req. */
static void
nl_ack(struct nlsock *ns, const struct nlmsghdr *req, int err)
{
	struct nlmsgerr e = { .error = err, .msg = *req };
	bool capped = err == 0 || (ns->flags & NL_F_CAP_ACK);
	struct mbuf b = { 0 };
	size_t off;

	/* no extended-ACK TLVs: IPVS reports no message, no attribute */
	off = msg_begin(&b, NLMSG_ERROR, capped ? NLM_F_CAPPED : 0, req->nlmsg_seq, ns->portid);
	mb_put(&b, &e, sizeof(e));
	if (!capped)
		mb_put(&b, NLMSG_DATA(req), req->nlmsg_len - NLMSG_HDRLEN);
	msg_end(&b, off);
	nl_queue(ns, &b);
}

/*
 * A dump being answered: netlink_dump packs messages into skbs of the
 * largest buffer the reader has offered so far (capped at 32 KiB), at
 * least NLMSG_GOODSIZE, and sends NLMSG_DONE in an skb of its own after a
 * pass that filled something.
 */
#define NLMSG_GOODSIZE_4K	(4096 - 320)	/* a page less skb_shared_info */
#define MAX_RECVMSG_LEN		32768

struct dump {
	struct nlsock *ns;
	const struct nlmsghdr *req;
	struct mbuf cur;
	int err;
};

/* A message for the dump: its header, whose end dump_end() marks. */
static size_t
dump_begin(struct dump *d, struct mbuf *m, uint8_t cmd)
{
	size_t off;

	memset(m, 0, sizeof(*m));
	off = msg_begin(m, IPVS_GENL_ID, NLM_F_MULTI, d->req->nlmsg_seq, d->ns->portid);
	genl_put(m, cmd, IPVS_GENL_VER);
	return off;
}

static void
dump_end(struct dump *d, struct mbuf *m, size_t off)
{
	msg_end(m, off);
	if (m->oom) {
		d->err = -ENOMEM;
	} else {
		size_t room = d->ns->max_recvmsg_len > NLMSG_GOODSIZE_4K ?
			d->ns->max_recvmsg_len : NLMSG_GOODSIZE_4K;

		if (d->cur.len > 0 && d->cur.len + m->len > room && d->err == 0)
			d->err = nl_queue(d->ns, &d->cur);
		mb_put(&d->cur, m->p, m->len);
	}
	mb_free(m);
}

/* NLMSG_DONE, its payload the dump's status (0); -EINTR, netlink_dump_start's
 * "the dump is under way", or the error that stopped it. */
static int
dump_finish(struct dump *d)
{
	int32_t status = 0;
	size_t off;

	if (d->err != 0) {
		mb_free(&d->cur);
		return d->err;
	}
	if (d->cur.len > 0 && (d->err = nl_queue(d->ns, &d->cur)) != 0)
		return d->err;
	off = msg_begin(&d->cur, NLMSG_DONE, NLM_F_MULTI, d->req->nlmsg_seq, d->ns->portid);
	mb_put(&d->cur, &status, sizeof(status));
	msg_end(&d->cur, off);
	d->err = nl_queue(d->ns, &d->cur);
	return d->err != 0 ? d->err : -EINTR;
}

/* ---- generic netlink: the controller ("nlctrl") ---- */

struct genl_op_info {
	uint8_t cmd;
	uint8_t flags;		/* GENL_ADMIN_PERM, GENL_CMD_CAP_* */
};

#define OP_DO		(GENL_CMD_CAP_DO | GENL_CMD_CAP_HASPOL)
#define OP_DUMP		(GENL_CMD_CAP_DUMP | GENL_CMD_CAP_HASPOL)
#define OP_ADMIN	GENL_ADMIN_PERM

/* ip_vs_genl_ops, in their order */
static const struct genl_op_info ipvs_ops[] = {
	{ IPVS_C_NEW_SERVICE, OP_ADMIN | OP_DO },
	{ IPVS_C_SET_SERVICE, OP_ADMIN | OP_DO },
	{ IPVS_C_DEL_SERVICE, OP_ADMIN | OP_DO },
	{ IPVS_C_GET_SERVICE, OP_ADMIN | OP_DO | OP_DUMP },
	{ IPVS_C_NEW_DEST, OP_ADMIN | OP_DO },
	{ IPVS_C_SET_DEST, OP_ADMIN | OP_DO },
	{ IPVS_C_DEL_DEST, OP_ADMIN | OP_DO },
	{ IPVS_C_GET_DEST, OP_ADMIN | OP_DUMP },
	{ IPVS_C_NEW_DAEMON, OP_ADMIN | OP_DO },
	{ IPVS_C_DEL_DAEMON, OP_ADMIN | OP_DO },
	{ IPVS_C_GET_DAEMON, OP_ADMIN | OP_DUMP },
	{ IPVS_C_SET_CONFIG, OP_ADMIN | OP_DO },
	{ IPVS_C_GET_CONFIG, OP_ADMIN | OP_DO },
	{ IPVS_C_GET_INFO, OP_ADMIN | OP_DO },
	{ IPVS_C_ZERO, OP_ADMIN | OP_DO },
	{ IPVS_C_FLUSH, OP_ADMIN | OP_DO },
};

/* genl_ctrl_ops */
static const struct genl_op_info ctrl_ops[] = {
	{ CTRL_CMD_GETFAMILY, OP_DO | OP_DUMP },
	{ CTRL_CMD_GETPOLICY, OP_DUMP },
};

struct genl_family_info {
	const char *name;
	uint16_t id;
	uint32_t version;
	uint32_t maxattr;
	const struct genl_op_info *ops;
	size_t n_ops;
	const char *mcgrp;	/* its one multicast group, if any */
};

static const struct genl_family_info families[] = {
	{ "nlctrl", GENL_ID_CTRL, 2, 0, ctrl_ops, sizeof(ctrl_ops) / sizeof(ctrl_ops[0]),
		"notify" },
	{ IPVS_GENL_FAMILY, IPVS_GENL_ID, IPVS_GENL_VER, CMD_A_MAX, ipvs_ops,
		sizeof(ipvs_ops) / sizeof(ipvs_ops[0]), NULL },
};
#define N_FAMILIES	(sizeof(families) / sizeof(families[0]))

static const struct genl_op_info *
family_op(const struct genl_family_info *f, uint8_t cmd)
{
	size_t i;

	for (i = 0; i < f->n_ops; i++)
		if (f->ops[i].cmd == cmd)
			return &f->ops[i];
	return NULL;
}

/* ctrl_fill_info */
static void
ctrl_fill(struct mbuf *b, const struct genl_family_info *f)
{
	size_t ops, grps, nest;
	size_t i;

	put_str(b, CTRL_ATTR_FAMILY_NAME, f->name, GENL_NAMSIZ);
	put_u16(b, CTRL_ATTR_FAMILY_ID, f->id);
	put_u32(b, CTRL_ATTR_VERSION, f->version);
	put_u32(b, CTRL_ATTR_HDRSIZE, 0);
	put_u32(b, CTRL_ATTR_MAXATTR, f->maxattr);
	ops = nest_begin(b, CTRL_ATTR_OPS);
	for (i = 0; i < f->n_ops; i++) {
		nest = nest_begin(b, (uint16_t)(i + 1));
		put_u32(b, CTRL_ATTR_OP_ID, f->ops[i].cmd);
		put_u32(b, CTRL_ATTR_OP_FLAGS, f->ops[i].flags);
		nest_end(b, nest);
	}
	nest_end(b, ops);
	if (f->mcgrp != NULL) {
		grps = nest_begin(b, CTRL_ATTR_MCAST_GROUPS);
		nest = nest_begin(b, 1);
		put_u32(b, CTRL_ATTR_MCAST_GRP_ID, f->id);
		put_str(b, CTRL_ATTR_MCAST_GRP_NAME, f->mcgrp, GENL_NAMSIZ);
		nest_end(b, nest);
		nest_end(b, grps);
	}
}

static int
ctrl_msg(struct nlsock *ns, const struct nlmsghdr *req, uint16_t flags, struct mbuf *b,
		const struct genl_family_info *f)
{
	size_t off = msg_begin(b, GENL_ID_CTRL, flags, req->nlmsg_seq, ns->portid);

	genl_put(b, CTRL_CMD_NEWFAMILY, 2);
	ctrl_fill(b, f);
	msg_end(b, off);
	return b->oom ? -ENOMEM : 0;
}

static const struct policy ctrl_policy[CTRL_ATTR_MAX + 1] = {
	[CTRL_ATTR_FAMILY_ID] = { P_U16, 0 },
	[CTRL_ATTR_FAMILY_NAME] = { P_NUL_STRING, GENL_NAMSIZ - 1 },
};

static int
ctrl_rcv(struct nlsock *ns, const struct nlmsghdr *req)
{
	const struct genlmsghdr *g = NLMSG_DATA(req);
	const struct genl_op_info *op = family_op(&families[0], g->cmd);
	const struct nlattr *tb[CTRL_ATTR_MAX + 1];
	const struct genl_family_info *f = NULL;
	struct mbuf b = { 0 };
	int rc;
	size_t i;

	if (op == NULL)
		return -EOPNOTSUPP;
	if ((req->nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP) {
		struct dump d = { .ns = ns, .req = req };

		if (g->cmd != CTRL_CMD_GETFAMILY)
			return -EOPNOTSUPP;	/* no policies to tell */
		/* ctrl_dumpfamily: every family, by id */
		for (i = 0; i < N_FAMILIES; i++) {
			struct mbuf m = { 0 };
			size_t off = msg_begin(&m, GENL_ID_CTRL, NLM_F_MULTI, req->nlmsg_seq,
					ns->portid);

			genl_put(&m, CTRL_CMD_NEWFAMILY, 2);
			ctrl_fill(&m, &families[i]);
			dump_end(&d, &m, off);
		}
		return dump_finish(&d);
	}
	if (!(op->flags & GENL_CMD_CAP_DO))
		return -EOPNOTSUPP;
	rc = attrs_parse(tb, CTRL_ATTR_MAX, ctrl_policy,
			(const uint8_t *)NLMSG_DATA(req) + GENL_HDRLEN,
			req->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN));
	if (rc != 0)
		return rc;
	/* ctrl_getfamily: by id, then by name; neither is -EINVAL */
	rc = -EINVAL;
	if (tb[CTRL_ATTR_FAMILY_ID] != NULL) {
		rc = -ENOENT;
		for (i = 0; i < N_FAMILIES; i++)
			if (families[i].id == get_u16(tb[CTRL_ATTR_FAMILY_ID]))
				f = &families[i];
	}
	if (tb[CTRL_ATTR_FAMILY_NAME] != NULL) {
		rc = -ENOENT;
		f = NULL;
		for (i = 0; i < N_FAMILIES; i++)
			if (strcmp(families[i].name, attr_data(tb[CTRL_ATTR_FAMILY_NAME])) == 0)
				f = &families[i];
	}
	if (f == NULL)
		return rc;
	rc = ctrl_msg(ns, req, 0, &b, f);
	if (rc != 0) {
		mb_free(&b);
		return rc;
	}
	return nl_queue(ns, &b);
}

/* ---- generic netlink: the IPVS family (ip_vs_ctl.c's ip_vs_genl_*) ---- */

static const struct policy cmd_policy[CMD_A_MAX + 1] = {
	[CMD_A_SERVICE] = { P_NESTED, 0 },
	[CMD_A_DEST] = { P_NESTED, 0 },
	[CMD_A_DAEMON] = { P_NESTED, 0 },
	[CMD_A_TIMEOUT_TCP] = { P_U32, 0 },
	[CMD_A_TIMEOUT_TCP_FIN] = { P_U32, 0 },
	[CMD_A_TIMEOUT_UDP] = { P_U32, 0 },
};

static const struct policy svc_policy[SVC_A_MAX + 1] = {
	[SVC_A_AF] = { P_U16, 0 },
	[SVC_A_PROTOCOL] = { P_U16, 0 },
	[SVC_A_ADDR] = { P_BINARY, sizeof(union lb_ip) },
	[SVC_A_PORT] = { P_U16, 0 },
	[SVC_A_FWMARK] = { P_U32, 0 },
	[SVC_A_SCHED_NAME] = { P_NUL_STRING, IPVS_SCHEDNAME_MAXLEN - 1 },
	[SVC_A_PE_NAME] = { P_NUL_STRING, IPVS_PENAME_MAXLEN },
	[SVC_A_FLAGS] = { P_BINARY, sizeof(struct ipvs_flags_attr) },
	[SVC_A_TIMEOUT] = { P_U32, 0 },
	[SVC_A_NETMASK] = { P_U32, 0 },
	[SVC_A_STATS] = { P_NESTED, 0 },
};

/*
 * ip_vs_genl_parse_service, identifying fields only: the service the
 * nested attribute names, in *l (one service) and 0; -EINVAL without the
 * fields, -EAFNOSUPPORT for another family, -ESRCH when lbd has none such
 * (fwmark services among them), another -errno when lbd did not answer.
 */
static int
nl_find_service(struct nlsock *ns, const struct nlattr *nla, struct svc_list *l)
{
	const struct nlattr *tb[SVC_A_MAX + 1];
	struct lb_api_svc_key k = { 0 };
	uint16_t af, proto;
	int rc;

	if (nla == NULL || attrs_parse(tb, SVC_A_MAX, svc_policy, attr_data(nla),
				attr_len(nla)) != 0)
		return -EINVAL;
	if (tb[SVC_A_AF] == NULL || (tb[SVC_A_FWMARK] == NULL && (tb[SVC_A_PORT] == NULL ||
				tb[SVC_A_PROTOCOL] == NULL || tb[SVC_A_ADDR] == NULL)))
		return -EINVAL;
	af = get_u16(tb[SVC_A_AF]);
	if (af != AF_INET && af != AF_INET6)
		return -EAFNOSUPPORT;
	if (tb[SVC_A_FWMARK] != NULL)
		return -ESRCH;
	proto = get_u16(tb[SVC_A_PROTOCOL]);
	if (proto == 0 || proto > UINT8_MAX)
		return -ESRCH;	/* lbd reads proto 0 as "every service" */
	k.proto = (uint8_t)proto;
	k.af = (uint8_t)af;
	/* nla_memcpy into a zeroed address; IPv4 compares its first word only */
	memcpy(&k.vip, attr_data(tb[SVC_A_ADDR]), af == AF_INET ?
			(attr_len(tb[SVC_A_ADDR]) < 4 ? attr_len(tb[SVC_A_ADDR]) : 4) :
			attr_len(tb[SVC_A_ADDR]));
	k.port = ntohs(get_u16(tb[SVC_A_PORT]));
	rc = svc_list_get(ns->lbd, &k, (uint8_t)af, l);
	if (rc != 0)
		return -rc;
	if (l->n != 1) {
		svc_list_free(l);
		return -ESRCH;
	}
	return 0;
}

/* ip_vs_genl_fill_stats, ip_vs_genl_fill_stats64 */
static void
fill_stats(struct mbuf *b, uint16_t type, const struct lb_api_stats *s)
{
	size_t nest = nest_begin(b, type);

	put_u32(b, STATS_A_CONNS, (uint32_t)s->conns);
	put_u32(b, STATS_A_INPKTS, (uint32_t)s->inpkts);
	put_u32(b, STATS_A_OUTPKTS, (uint32_t)s->outpkts);
	put_u64(b, STATS_A_INBYTES, s->inbytes);
	put_u64(b, STATS_A_OUTBYTES, s->outbytes);
	put_u32(b, STATS_A_CPS, (uint32_t)s->cps);
	put_u32(b, STATS_A_INPPS, (uint32_t)s->inpps);
	put_u32(b, STATS_A_OUTPPS, (uint32_t)s->outpps);
	put_u32(b, STATS_A_INBPS, (uint32_t)s->inbps);
	put_u32(b, STATS_A_OUTBPS, (uint32_t)s->outbps);
	nest_end(b, nest);
}

static void
fill_stats64(struct mbuf *b, uint16_t type, const struct lb_api_stats *s)
{
	size_t nest = nest_begin(b, type);

	put_u64(b, STATS_A_CONNS, s->conns);
	put_u64(b, STATS_A_INPKTS, s->inpkts);
	put_u64(b, STATS_A_OUTPKTS, s->outpkts);
	put_u64(b, STATS_A_INBYTES, s->inbytes);
	put_u64(b, STATS_A_OUTBYTES, s->outbytes);
	put_u64(b, STATS_A_CPS, s->cps);
	put_u64(b, STATS_A_INPPS, s->inpps);
	put_u64(b, STATS_A_OUTPPS, s->outpps);
	put_u64(b, STATS_A_INBPS, s->inbps);
	put_u64(b, STATS_A_OUTBPS, s->outbps);
	nest_end(b, nest);
}

/* ip_vs_genl_fill_service (no persistence engine: no PE_NAME) */
static void
fill_service(struct mbuf *b, const struct lb_api_svc *s)
{
	struct ipvs_flags_attr fl = { .flags = svc_flags(s), .mask = ~0u };
	size_t nest = nest_begin(b, CMD_A_SERVICE);

	put_u16(b, SVC_A_AF, s->key.af);
	put_u16(b, SVC_A_PROTOCOL, s->key.proto);
	attr_put(b, SVC_A_ADDR, &s->key.vip, sizeof(s->key.vip));
	put_u16(b, SVC_A_PORT, htons(s->key.port));
	put_str(b, SVC_A_SCHED_NAME, s->sched, LB_API_SCHED_LEN);
	attr_put(b, SVC_A_FLAGS, &fl, sizeof(fl));
	put_u32(b, SVC_A_TIMEOUT, svc_timeout(s));
	put_u32(b, SVC_A_NETMASK, s->netmask);
	fill_stats(b, SVC_A_STATS, &s->stats);
	fill_stats64(b, SVC_A_STATS64, &s->stats);
	nest_end(b, nest);
}

/* ip_vs_genl_fill_dest: DR servers have no tunnel, whose fields are 0 */
static void
fill_dest(struct mbuf *b, const struct lb_api_dest *d)
{
	size_t nest = nest_begin(b, CMD_A_DEST);

	attr_put(b, DEST_A_ADDR, &d->addr, sizeof(d->addr));
	put_u16(b, DEST_A_PORT, htons(d->port));
	put_u32(b, DEST_A_FWD_METHOD, dest_conn_flags(d) & IPVS_CONN_F_FWD_MASK);
	put_u32(b, DEST_A_WEIGHT, d->weight);
	put_u8(b, DEST_A_TUN_TYPE, 0);
	put_u16(b, DEST_A_TUN_PORT, 0);
	put_u16(b, DEST_A_TUN_FLAGS, 0);
	put_u32(b, DEST_A_U_THRESH, d->u_threshold);
	put_u32(b, DEST_A_L_THRESH, d->l_threshold);
	put_u32(b, DEST_A_ACTIVE_CONNS, d->active);
	put_u32(b, DEST_A_INACT_CONNS, d->inactive);
	put_u32(b, DEST_A_PERSIST_CONNS, d->persist);
	put_u16(b, DEST_A_ADDR_FAMILY, d->af);
	fill_stats(b, DEST_A_STATS, &d->stats);
	fill_stats64(b, DEST_A_STATS64, &d->stats);
	nest_end(b, nest);
}

/* ip_vs_genl_fill_daemon, with start_sync_thread's defaults in lbd's zeros */
static void
fill_daemon(struct mbuf *b, uint32_t state, const struct lb_api_sync_daemon *sd)
{
	size_t nest = nest_begin(b, CMD_A_DAEMON);
	uint32_t group = sd->group != 0 ? sd->group : htonl(IPVS_SYNC_GROUP);

	put_u32(b, DAEMON_A_STATE, state);
	put_str(b, DAEMON_A_MCAST_IFN, sd->ifname, sizeof(sd->ifname));
	put_u32(b, DAEMON_A_SYNC_ID, sd->syncid);
	put_u16(b, DAEMON_A_SYNC_MAXLEN, (uint16_t)(sd->maxlen != 0 ? sd->maxlen :
				IPVS_SYNC_MAXLEN));
	put_u16(b, DAEMON_A_MCAST_PORT, (uint16_t)(sd->port != 0 ? sd->port : IPVS_SYNC_PORT));
	put_u8(b, DAEMON_A_MCAST_TTL, (uint8_t)(sd->ttl != 0 ? sd->ttl : 1));
	attr_put(b, DAEMON_A_MCAST_GROUP, &group, sizeof(group));
	nest_end(b, nest);
}

/* ip_vs_genl_dump_services: every service, in lbd's table order */
static int
dump_services(struct nlsock *ns, const struct nlmsghdr *req)
{
	struct lb_api_svc_key all = { 0 };
	struct dump d = { .ns = ns, .req = req };
	struct svc_list l;
	size_t i;
	int rc;

	rc = svc_list_get(ns->lbd, &all, 0, &l);
	if (rc != 0)
		return -rc;
	for (i = 0; i < l.n; i++) {
		struct mbuf m;
		size_t off = dump_begin(&d, &m, IPVS_C_NEW_SERVICE);

		fill_service(&m, l.svc[i]);
		dump_end(&d, &m, off);
	}
	svc_list_free(&l);
	return dump_finish(&d);
}

/* ip_vs_genl_dump_dests: a service that cannot be found dumps nothing */
static int
dump_dests(struct nlsock *ns, const struct nlmsghdr *req)
{
	const struct nlattr *tb[CMD_A_MAX + 1];
	struct dump d = { .ns = ns, .req = req };
	struct svc_list l;
	uint32_t i;
	int rc;

	if (attrs_parse(tb, CMD_A_MAX, cmd_policy, (const uint8_t *)NLMSG_DATA(req) + GENL_HDRLEN,
				req->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN)) != 0)
		return dump_finish(&d);
	rc = nl_find_service(ns, tb[CMD_A_SERVICE], &l);
	if (rc == -EINVAL || rc == -EAFNOSUPPORT || rc == -ESRCH)
		return dump_finish(&d);
	if (rc != 0)
		return rc;	/* lbd did not answer: no dump at all */
	for (i = 0; i < l.svc[0]->n_dests; i++) {
		struct mbuf m;
		size_t off = dump_begin(&d, &m, IPVS_C_NEW_DEST);

		fill_dest(&m, &svc_dests(l.svc[0])[i]);
		dump_end(&d, &m, off);
	}
	svc_list_free(&l);
	return dump_finish(&d);
}

/* ip_vs_genl_dump_daemons: the master, then the backup, those running */
static int
dump_daemons(struct nlsock *ns, const struct nlmsghdr *req)
{
	static const uint32_t state[2] = { IPVS_STATE_MASTER, IPVS_STATE_BACKUP };
	struct dump d = { .ns = ns, .req = req };
	struct lb_api_sync sy;
	unsigned int i;
	int rc;

	rc = ask_struct(ns->lbd, LB_API_SYNC_GET, &sy, sizeof(sy));
	if (rc != 0)
		return -rc;
	for (i = 0; i < 2; i++) {
		struct mbuf m;
		size_t off;

		if (!sy.daemon[i].on)
			continue;
		off = dump_begin(&d, &m, IPVS_C_NEW_DAEMON);
		fill_daemon(&m, state[i], &sy.daemon[i]);
		dump_end(&d, &m, off);
	}
	return dump_finish(&d);
}

/* ip_vs_genl_get_cmd: one reply, reply_cmd, then the ACK libnl asked for. */
static int
ipvs_get(struct nlsock *ns, const struct nlmsghdr *req, uint8_t cmd,
		const struct nlattr *const *tb)
{
	struct mbuf b = { 0 };
	size_t off;
	int rc;

	switch (cmd) {
	case IPVS_C_GET_SERVICE: {
		struct svc_list l;

		rc = nl_find_service(ns, tb[CMD_A_SERVICE], &l);
		if (rc != 0)
			return rc;
		off = msg_begin(&b, IPVS_GENL_ID, 0, req->nlmsg_seq, ns->portid);
		genl_put(&b, IPVS_C_NEW_SERVICE, IPVS_GENL_VER);
		fill_service(&b, l.svc[0]);
		svc_list_free(&l);
		break;
	}
	case IPVS_C_GET_CONFIG: {
		struct lb_api_timeouts t;

		rc = ask_struct(ns->lbd, LB_API_TIMEOUT_GET, &t, sizeof(t));
		if (rc != 0)
			return -rc;
		off = msg_begin(&b, IPVS_GENL_ID, 0, req->nlmsg_seq, ns->portid);
		genl_put(&b, IPVS_C_SET_CONFIG, IPVS_GENL_VER);
		put_u32(&b, CMD_A_TIMEOUT_TCP, t.tcp);
		put_u32(&b, CMD_A_TIMEOUT_TCP_FIN, t.tcpfin);
		put_u32(&b, CMD_A_TIMEOUT_UDP, t.udp);
		break;
	}
	case IPVS_C_GET_INFO: {
		struct lb_api_info info;

		rc = ask_struct(ns->lbd, LB_API_INFO, &info, sizeof(info));
		if (rc != 0)
			return -rc;
		off = msg_begin(&b, IPVS_GENL_ID, 0, req->nlmsg_seq, ns->portid);
		genl_put(&b, IPVS_C_SET_INFO, IPVS_GENL_VER);
		put_u32(&b, INFO_A_VERSION, info.version_code);
		put_u32(&b, INFO_A_CONN_TAB_SIZE, info.conn_tab_size);
		break;
	}
	default:
		/* listings only: a change goes through lbadm */
		return -EPERM;
	}
	msg_end(&b, off);
	return nl_queue(ns, &b);
}

static int
ipvs_rcv(struct nlsock *ns, const struct nlmsghdr *req)
{
	const struct genlmsghdr *g = NLMSG_DATA(req);
	const struct genl_op_info *op = family_op(&families[1], g->cmd);
	const struct nlattr *tb[CMD_A_MAX + 1];
	int rc;

	if (op == NULL)
		return -EOPNOTSUPP;
	if ((req->nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP) {
		/* GENL_DONT_VALIDATE_DUMP: nothing is parsed before the dump */
		switch (g->cmd) {
		case IPVS_C_GET_SERVICE:
			return dump_services(ns, req);
		case IPVS_C_GET_DEST:
			return dump_dests(ns, req);
		case IPVS_C_GET_DAEMON:
			return dump_daemons(ns, req);
		default:
			return -EOPNOTSUPP;
		}
	}
	if (!(op->flags & GENL_CMD_CAP_DO))
		return -EOPNOTSUPP;
	rc = attrs_parse(tb, CMD_A_MAX, cmd_policy, (const uint8_t *)NLMSG_DATA(req) + GENL_HDRLEN,
			req->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN));
	if (rc != 0)
		return rc;
	return ipvs_get(ns, req, g->cmd, tb);
}

/* genl_rcv_msg: -EINTR when a dump is under way (no ACK then). */
static int
genl_rcv(struct nlsock *ns, const struct nlmsghdr *req)
{
	if (req->nlmsg_type != GENL_ID_CTRL && req->nlmsg_type != IPVS_GENL_ID)
		return -ENOENT;
	if (req->nlmsg_len < NLMSG_LENGTH(GENL_HDRLEN))
		return -EINVAL;
	if (req->nlmsg_type == GENL_ID_CTRL)
		return ctrl_rcv(ns, req);
	return ipvs_rcv(ns, req);
}

/* netlink_rcv_skb over what ipvsadm sent (copied, so aligned). */
static void
nl_input(struct nlsock *ns, const uint8_t *p, size_t len)
{
	while (len >= NLMSG_HDRLEN) {
		const struct nlmsghdr *h = (const struct nlmsghdr *)p;
		size_t step;
		int err = 0;

		if (h->nlmsg_len < NLMSG_HDRLEN || len < h->nlmsg_len)
			return;
		/* only requests are handled, control messages are skipped */
		if ((h->nlmsg_flags & NLM_F_REQUEST) && h->nlmsg_type >= NLMSG_MIN_TYPE) {
			err = genl_rcv(ns, h);
			if (err == -EINTR)
				goto skip;
		}
		if ((h->nlmsg_flags & NLM_F_ACK) || err != 0)
			nl_ack(ns, h, err);
skip:
		step = NLMSG_ALIGN(h->nlmsg_len);
		if (step > len)
			step = len;
		p += step;
		len -= step;
	}
}

/* netlink_sendmsg: to the kernel only (nl_pid 0); the length sent, or -1. */
static ssize_t
nl_send(struct nlsock *ns, const struct iovec *iov, size_t iovcnt, const void *name,
		socklen_t namelen)
{
	uint8_t *buf;
	size_t len = 0, i;

	if (namelen != 0) {
		struct sockaddr_nl to;

		if (name == NULL || namelen < sizeof(to)) {
			errno = EINVAL;
			return -1;
		}
		memcpy(&to, name, sizeof(to));
		if (to.nl_family != AF_NETLINK) {
			errno = EINVAL;
			return -1;
		}
		if (to.nl_pid != 0) {
			errno = ECONNREFUSED;	/* no other netlink peer here */
			return -1;
		}
	}
	for (i = 0; i < iovcnt; i++)
		len += iov[i].iov_len;
	buf = malloc(len ? len : 1);
	if (buf == NULL) {
		errno = ENOBUFS;
		return -1;
	}
	len = 0;
	for (i = 0; i < iovcnt; i++) {
		memcpy(buf + len, iov[i].iov_base, iov[i].iov_len);
		len += iov[i].iov_len;
	}
	nl_autobind(ns);
	nl_input(ns, buf, len);
	free(buf);
	return (ssize_t)len;
}

/* netlink_recvmsg's source address: the kernel's port, 0. */
static void
nl_name(void *name, socklen_t *namelen)
{
	struct sockaddr_nl from = { .nl_family = AF_NETLINK };
	socklen_t n;

	if (name == NULL || namelen == NULL)
		return;
	n = *namelen < sizeof(from) ? *namelen : (socklen_t)sizeof(from);
	memcpy(name, &from, n);
	*namelen = sizeof(from);
}

/* Before a read: nothing queued will ever come, which on Linux would block
 * ipvsadm for good. Say so and let it fail now. */
static bool
nl_would_hang(struct nlsock *ns, int flags)
{
	int fl;

	if (ns->head != NULL)
		return false;
	fl = fcntl(ns->fd, F_GETFL);
	if ((flags & MSG_DONTWAIT) || (fl >= 0 && (fl & O_NONBLOCK))) {
		errno = EAGAIN;
		return true;
	}
	fprintf(stderr, "ipvsadm shim: ipvsadm waits for a netlink answer that will not come\n");
	errno = EAGAIN;
	return true;
}

/* After a read of n bytes with flags into a buffer of len bytes. */
static ssize_t
nl_read_done(struct nlsock *ns, ssize_t n, int flags, size_t len)
{
	int e = errno;

	if (len > ns->max_recvmsg_len)
		ns->max_recvmsg_len = len < MAX_RECVMSG_LEN ? len : MAX_RECVMSG_LEN;

	if (n >= 0 && !(flags & MSG_PEEK))
		nl_consumed(ns);
	errno = e;
	return n;
}

static int
nl_socket(int type)
{
	int base = type & ~(SOCK_CLOEXEC | SOCK_NONBLOCK);
	struct nlsock *ns = NULL;
	int sv[2], lbd, e;
	unsigned int i;

	if (base != SOCK_RAW && base != SOCK_DGRAM) {
		errno = ESOCKTNOSUPPORT;
		return -1;
	}
	for (i = 0; i < MAX_NLSOCKS && ns == NULL; i++)
		if (nlsocks[i].fd < 0)
			ns = &nlsocks[i];
	if (ns == NULL) {
		errno = EMFILE;
		return -1;
	}
	lbd = lb_client_connect(lbd_socket_path());
	if (lbd < 0) {
		/* libipvs then tries the raw socket, refused: say why here */
		fprintf(stderr, "ipvsadm shim: no lbd at %s: %s\n", lbd_socket_path(),
				strerror(-lbd));
		errno = -lbd;
		return -1;
	}
	if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv) < 0) {
		e = errno;
		real_close(lbd);
		errno = e;
		return -1;
	}
	if (!(type & SOCK_CLOEXEC))
		fcntl(sv[0], F_SETFD, 0);
	if (type & SOCK_NONBLOCK)
		fcntl(sv[0], F_SETFL, O_NONBLOCK);
	memset(ns, 0, sizeof(*ns));
	ns->fd = sv[0];
	ns->kfd = sv[1];
	ns->lbd = lbd;
	ns->type = base;
	ns->tailp = &ns->head;
	return ns->fd;
}

static void
nl_close(struct nlsock *ns)
{
	nl_queue_free(ns);
	real_close(ns->kfd);
	real_close(ns->lbd);
	ns->fd = -1;
}

/* ---- /proc/net/ip_vs_conn ---- */

static const char *
proto_name(uint8_t proto)
{
	/* ip_vs_proto_name */
	switch (proto) {
	case IPPROTO_IP:
		return "IP";
	case IPPROTO_TCP:
		return "TCP";
	case IPPROTO_UDP:
		return "UDP";
	case IPPROTO_SCTP:
		return "SCTP";
	case IPPROTO_ICMP:
		return "ICMP";
	case IPPROTO_ICMPV6:
		return "ICMPv6";
	default:
		return "ERR!";
	}
}

/* ip_vs_state_name: a template shows its template state, whatever its protocol. */
static const char *
state_name(const struct lb_api_conn *c)
{
	if (c->flags & LB_API_CONN_F_TEMPLATE)
		return (c->flags & LB_API_CONN_F_ASSURED) ? "ASSURED" : "NONE";
	if (c->proto == IPPROTO_TCP)
		return c->state < sizeof(tcp_state_names) / sizeof(tcp_state_names[0]) ?
			tcp_state_names[c->state] : "ERR!";
	if (c->proto == IPPROTO_UDP)
		return "UDP";	/* IP_VS_UDP_S_NORMAL, the one UDP state */
	return "ERR!";
}

/* An address as ip_vs_conn_seq_show prints it: %08X, or %pI6 (eight groups
 * of four lowercase hex digits, nothing compressed). */
static void
conn_addr(char *buf, size_t len, uint8_t af, const union lb_ip *a)
{
	if (af == AF_INET6)
		snprintf(buf, len, "%02x%02x:%02x%02x:%02x%02x:%02x%02x:%02x%02x:%02x%02x:"
				"%02x%02x:%02x%02x", a->v6[0], a->v6[1], a->v6[2], a->v6[3],
				a->v6[4], a->v6[5], a->v6[6], a->v6[7], a->v6[8], a->v6[9],
				a->v6[10], a->v6[11], a->v6[12], a->v6[13], a->v6[14], a->v6[15]);
	else
		snprintf(buf, len, "%08X", ntohl(a->v4));
}

/* ip_vs_conn_seq_show, for every entry of every worker (no persistence engine). */
static int
write_conns(FILE *f)
{
	struct lb_api_conn_cursor cur = { 0 };
	int fd, rc = 0;

	fd = lb_client_connect(lbd_socket_path());
	if (fd < 0)
		return -fd;
	fputs("Pro FromIP   FPrt ToIP     TPrt DestIP   DPrt State       Expires PEName PEData\n",
		f);
	for (;;) {
		const struct lb_api_conn_page *page;
		const struct lb_api_conn *c;
		uint32_t len, i;
		void *resp;
		bool last;

		rc = ask(fd, LB_API_CONN_LIST, &cur, sizeof(cur), &resp, &len);
		if (rc != 0)
			break;
		page = resp;
		if (len < sizeof(*page) ||
				len != sizeof(*page) + (size_t)page->n * sizeof(*c)) {
			free(resp);
			rc = EPROTO;
			break;
		}
		c = (const struct lb_api_conn *)(page + 1);
		for (i = 0; i < page->n; i++) {
			char ca[40], va[40], da[40];

			conn_addr(ca, sizeof(ca), c[i].af, &c[i].caddr);
			conn_addr(va, sizeof(va), c[i].af, &c[i].vaddr);
			conn_addr(da, sizeof(da), c[i].af, &c[i].daddr);
			fprintf(f, "%-3s %s %04X %s %04X %s %04X %-11s %7u\n",
				proto_name(c[i].proto), ca, c[i].cport, va, c[i].vport, da,
				c[i].dport, state_name(&c[i]), c[i].expire);
		}
		cur = page->next;
		cur.max = 0;
		/* a page may be empty (lbd bounds its scan per page): only done ends */
		last = page->done != 0;
		free(resp);
		if (last)
			break;
	}
	real_close(fd);
	return rc;
}

/* A readable descriptor on the text of /proc/net/ip_vs_conn; -1 and errno. */
static int
conn_file(void)
{
	int fd = memfd_create("ip_vs_conn", MFD_CLOEXEC), rc;
	FILE *w;

	if (fd < 0)
		return -1;
	w = fdopen(dup(fd), "w");
	if (w == NULL) {
		real_close(fd);
		return -1;
	}
	rc = write_conns(w);
	if (fclose(w) != 0 && rc == 0)
		rc = EIO;
	if (rc != 0) {
		real_close(fd);
		errno = rc;
		return -1;
	}
	lseek(fd, 0, SEEK_SET);
	return fd;
}

static bool
is_conn_file(const char *path)
{
	return path != NULL && strcmp(path, CONN_PROC_FILE) == 0;
}

/* ---- the interposed calls ---- */

int
socket(int domain, int type, int protocol)
{
	int base = type & ~(SOCK_CLOEXEC | SOCK_NONBLOCK);

	if (domain == AF_NETLINK && protocol == NETLINK_GENERIC) {
		if (use_netlink)
			return nl_socket(type);
		/* no "IPVS" generic netlink family: libipvs falls back to sockopts */
		errno = EPROTONOSUPPORT;
		return -1;
	}
	if (domain == AF_INET && base == SOCK_RAW && protocol == IPPROTO_RAW) {
		int fd;

		if (use_netlink) {
			/* netlink only: a failed netlink answer must not fall back */
			errno = EPROTONOSUPPORT;
			return -1;
		}
		fd = lb_client_connect(lbd_socket_path());
		if (fd < 0) {
			errno = -fd;
			return -1;
		}
		ipvs_fd = fd;
		return fd;
	}
	return real_socket(domain, type, protocol);
}

int
bind(int fd, __CONST_SOCKADDR_ARG addr, socklen_t len)
{
	struct nlsock *ns = nlsock_of(fd);
	struct sockaddr_nl a;

	if (ns == NULL)
		return real_bind(fd, addr.__sockaddr__, len);
	/* netlink_bind */
	if (addr.__sockaddr__ == NULL || len < sizeof(a)) {
		errno = EINVAL;
		return -1;
	}
	memcpy(&a, addr.__sockaddr__, sizeof(a));
	if (a.nl_family != AF_NETLINK) {
		errno = EINVAL;
		return -1;
	}
	if (ns->portid != 0) {
		if (a.nl_pid != ns->portid) {
			errno = EINVAL;
			return -1;
		}
	} else if (a.nl_pid == 0) {
		nl_autobind(ns);
	} else if (portid_used(a.nl_pid)) {
		errno = EADDRINUSE;
		return -1;
	} else {
		ns->portid = a.nl_pid;
	}
	ns->groups = a.nl_groups;
	return 0;
}

int
connect(int fd, __CONST_SOCKADDR_ARG addr, socklen_t len)
{
	struct nlsock *ns = nlsock_of(fd);
	struct sockaddr_nl a;

	if (ns == NULL)
		return real_connect(fd, addr.__sockaddr__, len);
	/* netlink_connect: AF_UNSPEC disconnects, the kernel is the one peer */
	if (addr.__sockaddr__ == NULL || len < sizeof(addr.__sockaddr__->sa_family)) {
		errno = EINVAL;
		return -1;
	}
	if (addr.__sockaddr__->sa_family == AF_UNSPEC)
		return 0;
	if (len < sizeof(a)) {
		errno = EINVAL;
		return -1;
	}
	memcpy(&a, addr.__sockaddr__, sizeof(a));
	if (a.nl_family != AF_NETLINK) {
		errno = EINVAL;
		return -1;
	}
	nl_autobind(ns);
	return 0;
}

int
getsockname(int fd, __SOCKADDR_ARG addr, socklen_t *__restrict len)
{
	struct nlsock *ns = nlsock_of(fd);
	struct sockaddr_nl a = { .nl_family = AF_NETLINK };
	socklen_t n;

	if (ns == NULL)
		return real_getsockname(fd, addr.__sockaddr__, len);
	if (addr.__sockaddr__ == NULL || len == NULL) {
		errno = EFAULT;
		return -1;
	}
	a.nl_pid = ns->portid;
	a.nl_groups = ns->groups;
	n = *len < sizeof(a) ? *len : (socklen_t)sizeof(a);
	memcpy(addr.__sockaddr__, &a, n);
	*len = sizeof(a);
	return 0;
}

static int
nl_getsockopt(struct nlsock *ns, int level, int optname, void *optval, socklen_t *optlen)
{
	int v;

	if (level == SOL_SOCKET) {
		switch (optname) {
		case SO_DOMAIN:
			v = AF_NETLINK;
			break;
		case SO_PROTOCOL:
			v = NETLINK_GENERIC;
			break;
		case SO_TYPE:
			v = ns->type;
			break;
		default:
			return real_getsockopt(ns->fd, level, optname, optval, optlen);
		}
	} else if (level == SOL_NETLINK) {
		switch (optname) {
		case NETLINK_CAP_ACK:
			v = (ns->flags & NL_F_CAP_ACK) != 0;
			break;
		case NETLINK_EXT_ACK:
			v = (ns->flags & NL_F_EXT_ACK) != 0;
			break;
		case NETLINK_PKTINFO:
		case NETLINK_BROADCAST_ERROR:
		case NETLINK_NO_ENOBUFS:
		case NETLINK_LISTEN_ALL_NSID:
		case NETLINK_GET_STRICT_CHK:
			v = ns->opts[optname];
			break;
		case NETLINK_LIST_MEMBERSHIPS:
			v = 0;
			if (optlen != NULL)
				*optlen = 0;
			return 0;
		default:
			errno = ENOPROTOOPT;
			return -1;
		}
	} else {
		errno = ENOPROTOOPT;
		return -1;
	}
	if (optval == NULL || optlen == NULL || *optlen < sizeof(int)) {
		errno = EINVAL;
		return -1;
	}
	memcpy(optval, &v, sizeof(v));
	*optlen = sizeof(v);
	return 0;
}

int
getsockopt(int fd, int level, int optname, void *optval, socklen_t *optlen)
{
	struct nlsock *ns = nlsock_of(fd);
	int rc;

	if (ns != NULL)
		return nl_getsockopt(ns, level, optname, optval, optlen);
	if (fd != ipvs_fd || fd < 0 || level != IPPROTO_IP)
		return real_getsockopt(fd, level, optname, optval, optlen);
	if (optname < IPVS_SO_GET_VERSION || optname > IPVS_SO_GET_DAEMON ||
			optval == NULL || optlen == NULL) {
		errno = EINVAL;
		return -1;
	}
	rc = so_get(fd, optname, optval, optlen);
	if (rc != 0) {
		errno = rc;
		return -1;
	}
	return 0;
}

static int
nl_setsockopt(struct nlsock *ns, int level, int optname, const void *optval, socklen_t optlen)
{
	int v = 0;

	if (level == SOL_SOCKET)
		return real_setsockopt(ns->fd, level, optname, optval, optlen);
	if (level != SOL_NETLINK) {
		errno = ENOPROTOOPT;
		return -1;
	}
	if (optlen >= sizeof(int) && optval != NULL)
		memcpy(&v, optval, sizeof(v));
	else if (optname != NETLINK_ADD_MEMBERSHIP && optname != NETLINK_DROP_MEMBERSHIP) {
		errno = EINVAL;
		return -1;
	}
	switch (optname) {
	case NETLINK_ADD_MEMBERSHIP:
	case NETLINK_DROP_MEMBERSHIP:
		return 0;	/* IPVS multicasts nothing */
	case NETLINK_CAP_ACK:
		ns->flags = v ? ns->flags | NL_F_CAP_ACK : ns->flags & ~NL_F_CAP_ACK;
		return 0;
	case NETLINK_EXT_ACK:
		ns->flags = v ? ns->flags | NL_F_EXT_ACK : ns->flags & ~NL_F_EXT_ACK;
		return 0;
	case NETLINK_PKTINFO:
	case NETLINK_BROADCAST_ERROR:
	case NETLINK_NO_ENOBUFS:
	case NETLINK_LISTEN_ALL_NSID:
	case NETLINK_GET_STRICT_CHK:
		ns->opts[optname] = v != 0;
		return 0;
	default:
		errno = ENOPROTOOPT;
		return -1;
	}
}

int
setsockopt(int fd, int level, int optname, const void *optval, socklen_t optlen)
{
	struct nlsock *ns = nlsock_of(fd);

	if (ns != NULL)
		return nl_setsockopt(ns, level, optname, optval, optlen);
	if (fd == ipvs_fd && fd >= 0 && level == IPPROTO_IP &&
			optname >= IPVS_SO_SET_MIN && optname <= IPVS_SO_SET_MAX) {
		/* listings only: a change goes through lbadm */
		errno = EPERM;
		return -1;
	}
	return real_setsockopt(fd, level, optname, optval, optlen);
}

ssize_t
sendmsg(int fd, const struct msghdr *msg, int flags)
{
	struct nlsock *ns = nlsock_of(fd);

	if (ns == NULL)
		return real_sendmsg(fd, msg, flags);
	if (msg == NULL) {
		errno = EFAULT;
		return -1;
	}
	return nl_send(ns, msg->msg_iov, msg->msg_iovlen, msg->msg_name, msg->msg_namelen);
}

ssize_t
sendto(int fd, const void *buf, size_t len, int flags, __CONST_SOCKADDR_ARG addr,
		socklen_t addrlen)
{
	struct nlsock *ns = nlsock_of(fd);
	struct iovec iov = { .iov_base = (void *)(uintptr_t)buf, .iov_len = len };

	if (ns == NULL)
		return real_sendto(fd, buf, len, flags, addr.__sockaddr__, addrlen);
	return nl_send(ns, &iov, 1, addr.__sockaddr__, addr.__sockaddr__ != NULL ? addrlen : 0);
}

ssize_t
send(int fd, const void *buf, size_t len, int flags)
{
	struct nlsock *ns = nlsock_of(fd);
	struct iovec iov = { .iov_base = (void *)(uintptr_t)buf, .iov_len = len };

	if (ns == NULL)
		return real_send(fd, buf, len, flags);
	return nl_send(ns, &iov, 1, NULL, 0);
}

ssize_t
write(int fd, const void *buf, size_t len)
{
	struct nlsock *ns = nlsock_of(fd);
	struct iovec iov = { .iov_base = (void *)(uintptr_t)buf, .iov_len = len };

	if (ns == NULL)
		return real_write(fd, buf, len);
	return nl_send(ns, &iov, 1, NULL, 0);
}

ssize_t
recvmsg(int fd, struct msghdr *msg, int flags)
{
	struct nlsock *ns = nlsock_of(fd);
	size_t len = 0, i;
	void *name;
	socklen_t namelen;
	ssize_t n;
	int e;

	if (ns == NULL)
		return real_recvmsg(fd, msg, flags);
	if (msg == NULL) {
		errno = EFAULT;
		return -1;
	}
	if (nl_would_hang(ns, flags))
		return -1;
	name = msg->msg_name;
	namelen = msg->msg_namelen;
	msg->msg_name = NULL;
	msg->msg_namelen = 0;
	n = real_recvmsg(fd, msg, flags);
	e = errno;
	msg->msg_name = name;
	msg->msg_namelen = namelen;
	if (n >= 0)
		nl_name(name, &msg->msg_namelen);
	errno = e;
	for (i = 0; i < msg->msg_iovlen; i++)
		len += msg->msg_iov[i].iov_len;
	return nl_read_done(ns, n, flags, len);
}

ssize_t
recvfrom(int fd, void *__restrict buf, size_t len, int flags, __SOCKADDR_ARG addr,
		socklen_t *__restrict addrlen)
{
	struct nlsock *ns = nlsock_of(fd);
	ssize_t n;

	if (ns == NULL)
		return real_recvfrom(fd, buf, len, flags, addr.__sockaddr__, addrlen);
	if (nl_would_hang(ns, flags))
		return -1;
	n = real_recv(fd, buf, len, flags);
	if (n >= 0)
		nl_name(addr.__sockaddr__, addrlen);
	return nl_read_done(ns, n, flags, len);
}

ssize_t
recv(int fd, void *buf, size_t len, int flags)
{
	struct nlsock *ns = nlsock_of(fd);

	if (ns == NULL)
		return real_recv(fd, buf, len, flags);
	if (nl_would_hang(ns, flags))
		return -1;
	return nl_read_done(ns, real_recv(fd, buf, len, flags), flags, len);
}

ssize_t
read(int fd, void *buf, size_t len)
{
	struct nlsock *ns = nlsock_of(fd);

	if (ns == NULL)
		return real_read(fd, buf, len);
	if (nl_would_hang(ns, 0))
		return -1;
	return nl_read_done(ns, real_recv(fd, buf, len, 0), 0, len);
}

int
close(int fd)
{
	struct nlsock *ns = nlsock_of(fd);

	if (ns != NULL)
		nl_close(ns);
	if (fd == ipvs_fd)
		ipvs_fd = -1;
	return real_close(fd);
}

/* ipvsadm's modprobe_ipvs, after a failed first request: never on this host */
int
execv(const char *path, char *const argv[])
{
	const char *base = strrchr(path, '/');

	base = base != NULL ? base + 1 : path;
	if (strcmp(base, "modprobe") == 0) {
		errno = EPERM;
		return -1;
	}
	return real_execv(path, argv);
}

static FILE *
conn_fopen(const char *mode)
{
	FILE *f;
	int fd;

	if (mode[0] != 'r' || strchr(mode, '+') != NULL) {
		errno = EACCES;	/* read-only, as in /proc */
		return NULL;
	}
	fd = conn_file();
	if (fd < 0)
		return NULL;
	f = fdopen(fd, "r");
	if (f == NULL)
		real_close(fd);
	return f;
}

FILE *
fopen(const char *path, const char *mode)
{
	if (is_conn_file(path))
		return conn_fopen(mode);
	return real_fopen(path, mode);
}

FILE *
fopen64(const char *path, const char *mode)
{
	if (is_conn_file(path))
		return conn_fopen(mode);
	return real_fopen64(path, mode);
}

static int
conn_open(int flags)
{
	if ((flags & O_ACCMODE) != O_RDONLY) {
		errno = EACCES;
		return -1;
	}
	return conn_file();
}

/* open(2)'s mode is there only with O_CREAT or O_TMPFILE. */
#define OPEN_MODE(flags, mode) do { \
	if ((flags) & (O_CREAT | O_TMPFILE)) { \
		va_list ap; \
		va_start(ap, flags); \
		mode = va_arg(ap, mode_t); \
		va_end(ap); \
	} \
} while (0)

int
open(const char *path, int flags, ...)
{
	mode_t mode = 0;

	OPEN_MODE(flags, mode);
	if (is_conn_file(path))
		return conn_open(flags);
	return real_open(path, flags, mode);
}

int
open64(const char *path, int flags, ...)
{
	mode_t mode = 0;

	OPEN_MODE(flags, mode);
	if (is_conn_file(path))
		return conn_open(flags);
	return real_open64(path, flags, mode);
}

int
openat(int dirfd, const char *path, int flags, ...)
{
	mode_t mode = 0;

	OPEN_MODE(flags, mode);
	if (is_conn_file(path))
		return conn_open(flags);
	return real_openat(dirfd, path, flags, mode);
}
