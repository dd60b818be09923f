/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lbd --from-keepalived, inside: what the files of control/keepalived/ share.
 * The public interface is control/keepalived.h; nothing else includes this.
 *
 * The stages, in the order lb_keepalived_convert() runs them:
 *   read.c     the file and its includes into a tree of statements
 *   convert.c  the entry point, and the top level of the tree
 *   server.c   each virtual_server and its real servers into a service
 *   checker.c  a real server's checker into its check group
 *   value.c    keepalived's values, and the options all levels share
 *   emit.c     hoisting shared check keys, the ports, the lbd configuration
 *   msg.c      the messages of every stage; allocation that notes running out
 * One struct conv holds the whole conversion and is passed to every function:
 * no global state. Each declaration below says which file owns it.
 */
#ifndef LB_KA_H
#define LB_KA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "control/limits.h"

#define KA_MAX_CODES		32		/* status_code ranges of a url */
#define KA_USEC			1000000ll
#define KA_UNSET		(-1)
#define KA_DIM(a)		(sizeof(a) / sizeof((a)[0]))

/* A position in the input: seq orders positions across included files. */
struct where {
	const char *file;
	int line;
	uint64_t seq;
};

/* One statement: "kw argv... [{ children }]". Built by read.c, read by all. */
struct node {
	char *kw;		/* NULL: a block with no keyword (reported) */
	char **argv;
	int argc;
	int cap;
	struct where w;
	bool block;
	bool include;		/* an include, done by the reader */
	struct node *child;
	struct node *last;
	struct node *next;
};

/*
 * A check group's keys in the order they are written; values are lbd text.
 * checker.c fills them, emit.c hoists and writes them (its ck_names).
 */
enum ck_key {
	CK_TYPE, CK_DELAY_LOOP, CK_CONNECT_TIMEOUT, CK_RETRY, CK_DELAY_BEFORE_RETRY,
	CK_WARMUP, CK_ALPHA, CK_INHIBIT, CK_CONNECT_IP, CK_CONNECT_PORT, CK_PATH,
	CK_STATUS_CODE, CK_DIGEST, CK_VIRTUALHOST, CK_COMMAND, CK_TIMEOUT, CK_DYNAMIC,
	CK_COUNT,
};

struct check {
	char *v[CK_COUNT];	/* NULL: not set */
};

/* The checkers lbd runs (checker.c; its ct_names). */
enum ck_type { CT_NONE, CT_TCP, CT_HTTP, CT_HTTPS, CT_MISC };

/* A real server as it is written: built by server.c, written by emit.c. */
struct dest {
	struct dest *next;
	struct where w;
	char *title;
	uint32_t addr;		/* network order */
	int64_t weight;
	int64_t uthreshold;
	int64_t lthreshold;
	struct check ck;
};

/* A service as it is written: built by server.c, written by emit.c. */
struct svc {
	struct svc *next;
	struct where w;
	char *title;
	uint8_t proto;
	uint32_t vip;		/* network order */
	uint16_t port;
	char sched[8];
	const char *flags[4];
	unsigned int n_flags;
	uint32_t persistence;
	bool has_netmask;
	uint32_t netmask;	/* network order */
	int64_t quorum;
	int64_t hysteresis;
	struct where quorum_w;
	struct where hysteresis_w;
	bool has_sorry;
	uint32_t sorry;		/* network order */
	struct where sorry_w;
	struct dest *dests;
	struct dest **dest_tail;
	unsigned int n_dests;
	bool hoisted;		/* ck is the service's check group (emit.c) */
	struct check ck;
};

/* The options a virtual server, a real server and a checker share (value.c). */
struct opts {
	int64_t delay_loop;		/* microseconds, or KA_UNSET */
	int64_t connect_timeout;
	int64_t retry;
	int64_t delay_before_retry;
	int64_t warmup;
	int alpha;			/* 0, 1 or KA_UNSET */
	int inhibit;
	const char *vhost;
};

/* What one checker block says: server.c sets it up, checker.c reads into it. */
struct checker {
	enum ck_type type;
	struct opts o;
	const char *connect_ip;
	int64_t connect_port;
	bool url_seen;
	struct where url_w;
	const char *path;
	char digest[33];
	const char *url_vhost;
	uint16_t codes[KA_MAX_CODES][2];
	unsigned int n_codes;
	char *command;
	int64_t timeout;
	bool dynamic;
};

/* The reader's own (read.c), and a message kept (msg.c). */
struct src;
struct name;
struct msg;

/* The whole conversion: convert.c sets it up; each part says its owner. */
struct conv {
	FILE *errs;
	const char *path;
	bool oom;
	/* reader (read.c) */
	struct src *top;
	struct name *names;
	size_t input;
	uint64_t seq;
	unsigned long words;
	char *word;
	size_t word_len;
	size_t word_cap;
	bool glob_line;		/* an include's line: braces are the glob's */
	/* messages (msg.c) */
	struct msg *msgs;
	size_t n_msgs;
	size_t cap_msgs;
	size_t n_dropped;
	int n_problems;
	char ring[4][80];
	unsigned int ring_i;
	/* result (server.c, convert.c's lvs_timeouts; ports: emit.c) */
	struct svc *svcs;
	struct svc **svc_tail;
	unsigned int n_svcs;
	unsigned long n_dests;
	uint32_t nets[LB_MAX_PORTS];	/* the ports' /24s, network order */
	uint32_t ports[LB_MAX_PORTS];	/* their addresses */
	unsigned int n_nets;
	bool has_timeouts;
	struct where timeouts_w;
	uint32_t timeouts[3];	/* tcp, tcpfin, udp; 0 = unchanged */
	/* lvs_sync_daemon: lbd's sync list, a master and a backup */
	bool has_sync;
	struct where sync_w;
	char sync_if[16];
	int64_t sync_opt[4];	/* id, maxlen, port, ttl; -1 = not given */
	char sync_group[16];	/* dotted quad, or "" */
};

/* msg.c: messages */

/*
 * s as a message may show it (printable ASCII, 64 characters at most), in a
 * ring of four buffers: good until the fourth call after.
 */
const char *ka_q(struct conv *c, const char *s);
/* Keep a problem (it counts) at w, to be printed in the order of the input. */
void ka_problem(struct conv *c, const struct where *w, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Keep a note (it does not count) at w. */
void ka_note(struct conv *c, const struct where *w, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Print the messages kept to c->errs, sorted, and free them. */
void ka_print_msgs(struct conv *c);

/* msg.c: allocation that sets c->oom when it fails */

void *ka_xcalloc(struct conv *c, size_t n, size_t size);
char *ka_xstrdup(struct conv *c, const char *s);
char *ka_xasprintf(struct conv *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* read.c: the reader */

/*
 * Read the file c->path and what it includes into root's children: 0, or
 * -errno when c->path cannot be read (said on c->errs).
 */
int ka_read(struct conv *c, struct node *root);
/* Free the tree under root and what the reader still holds. */
void ka_read_free(struct conv *c, struct node *root);

/* value.c: keepalived's values, each reported when it is bad */

/* n's one value, or NULL when it has none. */
const char *ka_one_value(struct conv *c, const struct node *n);
/* s as a decimal integer up to max (not reported). */
bool ka_parse_u64(const char *s, uint64_t max, uint64_t *v);
/* n's <TIMER> into *dst in microseconds. */
bool ka_get_timer(struct conv *c, const struct node *n, bool zero_ok, int64_t *dst);
/* n's integer, min to max, into *dst. */
bool ka_get_uint(struct conv *c, const struct node *n, uint64_t min, uint64_t max,
		int64_t *dst);
/* n's word i as a port. */
bool ka_arg_port(struct conv *c, const struct node *n, int i, const char *skip,
		int64_t *port);
/* n's <BOOL> into *dst (0 or 1). */
bool ka_get_bool(struct conv *c, const struct node *n, int *dst);
/* n is a flag set and on. */
bool ka_flag_on(struct conv *c, const struct node *n);
/* s as a unicast IPv4 address of what. */
bool ka_get_addr(struct conv *c, const struct node *n, const char *what, const char *s,
		const char *skip, uint32_t *a);
/* Every option of o unset. */
void ka_opts_init(struct opts *o);
/* n as an option all levels take, into o: false when it is not one. */
bool ka_common_opt(struct conv *c, const struct node *n, struct opts *o, bool checker);
/* n as a keyword lbd skips at every level (noted): false when it is not one. */
bool ka_cosmetic_opt(struct conv *c, const struct node *n);
/* Report n as a keyword that where does not take. */
void ka_unknown(struct conv *c, const struct node *n, const char *where);
/* Report n's block when n is a value keyword. */
void ka_no_block(struct conv *c, const struct node *n);

/* checker.c: checkers */

/* The type of checker kw names; *known false when kw names none. */
enum ck_type ka_checker_type(const char *kw, bool *known);
/* n is a checker lbd runs. */
bool ka_usable_checker(const struct node *n);
/* The checker block n into ck, its type already set. */
void ka_checker_block(struct conv *c, struct checker *ck, const struct node *n);
/* The check group ck gives with its real server's and virtual server's options. */
void ka_build_check(struct conv *c, struct check *out, const struct checker *ck,
		const struct opts *ro, const struct opts *vo, uint16_t port);
/* Free a check group's values. */
void ka_free_check(struct check *ck);

/* server.c: virtual and real servers */

/* The virtual_server statement n into a service on c->svcs, or reported. */
void ka_virtual_server(struct conv *c, const struct node *n);
/* Free a service and its real servers. */
void ka_free_svc(struct svc *sv);

/* emit.c: the output */

/* Plan the ports, hoist the check groups and write the configuration to out. */
void ka_emit(struct conv *c, FILE *out);

#endif
