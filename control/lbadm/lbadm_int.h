/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lbadm's inside, shared by its two files: lbadm.c (talking to lbd, the
 * commands, main) and parse.c (the command line, as ipvsadm parses it).
 */
#ifndef LB_LBADM_INT_H
#define LB_LBADM_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "control/lb_api.h"

#define MAX_TIMEOUT	(86400 * 31)
#define MAX_POS	8

enum cmd {
	CMD_NONE = 0, CMD_ADD, CMD_EDIT, CMD_DEL, CMD_FLUSH, CMD_LIST, CMD_ADDDEST,
	CMD_DELDEST, CMD_EDITDEST, CMD_TIMEOUT, CMD_STARTDAEMON, CMD_STOPDAEMON,
	CMD_RESTORE, CMD_SAVE, CMD_ZERO,
};

/* ipvsadm's options, in its order (bit i = optnames[i]) */
enum {
	OPT_NUMERIC = 1 << 0, OPT_CONNECTION = 1 << 1, OPT_SERVICE = 1 << 2,
	OPT_SCHEDULER = 1 << 3, OPT_PERSISTENT = 1 << 4, OPT_NETMASK = 1 << 5,
	OPT_SERVER = 1 << 6, OPT_FORWARD = 1 << 7, OPT_WEIGHT = 1 << 8,
	OPT_UTHRESHOLD = 1 << 9, OPT_LTHRESHOLD = 1 << 10, OPT_MCAST = 1 << 11,
	OPT_TIMEOUT = 1 << 12, OPT_DAEMON = 1 << 13, OPT_STATS = 1 << 14,
	OPT_RATE = 1 << 15, OPT_THRESHOLDS = 1 << 16, OPT_PERSISTENTCONN = 1 << 17,
	OPT_NOSORT = 1 << 18, OPT_SYNCID = 1 << 19, OPT_EXACT = 1 << 20,
	OPT_SCHEDFLAGS = 1 << 21, OPT_TUNINFO = 1 << 22,
	N_OPT = 23,
};

/* lbadm's own listing switches */
#define X_JSON		0x1
#define X_SUMMARY	0x2
#define X_LCORE		0x4
#define X_COUNTERS	0x8
#define X_SYSCTL	0x10
#define X_HEALTH	0x20
#define X_ANNOUNCED	0x40

struct command {
	enum cmd cmd;
	unsigned int options;
	unsigned int format;	/* LB_FMT_* */
	unsigned int extra;	/* X_* */
	struct lb_api_svc svc;
	uint32_t fwmark;	/* -f: lbd has none, see run_command() */
	struct lb_api_dest dest;
	bool dest_port_given;
	struct lb_api_timeouts timeouts;
	const char *sysctl_arg;	/* --sysctl NAME=VALUE, or NULL to list */
	const char *announce_arg;	/* --announce / --withdraw VIP */
	bool announce_on;
	struct lb_api_sync_daemon sync;	/* --start-daemon, --stop-daemon */
	bool sync_extra;	/* --sync-maxlen, --mcast-group/port/ttl given */
};


/* lbadm.c: the daemon's socket (--socket); print a message, or the usage,
 * and exit with status */
extern const char *lbadm_socket_path;
void __attribute__((noreturn, format(printf, 2, 3)))
lbadm_fail(int status, const char *fmt, ...);
void __attribute__((noreturn)) lbadm_tryhelp_exit(int status);
void __attribute__((noreturn)) lbadm_usage_exit(int status);

/* parse.c */
int lbadm_parse_timeout(const char *buf, int min, int max);
void lbadm_generic_opt_check(enum cmd cmd, unsigned int options);
void lbadm_parse_args(int argc, char **argv, struct command *c, char **pos, int *npos);

#endif /* LB_LBADM_INT_H */
