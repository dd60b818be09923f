/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Printing lbd's listings the way ipvsadm 1.31 prints IPVS's, byte for byte
 * (widths, trailing spaces, K/M/G/T suffixes, IPv6 addresses in brackets
 * that push the columns), and lbd's own additions:
 * JSON for every listing (schema in docs/cli.md), --summary, --lcore,
 * --counters. Plain C over the structs of control/lb_api.h, no socket and no
 * DPDK, so that the golden tests feed it fixtures directly.
 */
#ifndef LB_IPVSFMT_H
#define LB_IPVSFMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "control/lb_api.h"

/* ipvsadm's FMT_* switches, and lbd's */
#define LB_FMT_NUMERIC		0x0001u	/* -n: no name resolution */
#define LB_FMT_RULE		0x0002u	/* -S: print as commands */
#define LB_FMT_STATS		0x0004u	/* --stats */
#define LB_FMT_RATE		0x0008u	/* --rate */
#define LB_FMT_THRESHOLDS	0x0010u	/* --thresholds */
#define LB_FMT_PERSISTENTCONN	0x0020u	/* --persistent-conn */
#define LB_FMT_NOSORT		0x0040u	/* --nosort */
#define LB_FMT_EXACT		0x0080u	/* --exact */
#define LB_FMT_LCORE		0x0100u	/* --lcore (lbd): owning core in -c */
#define LB_FMT_TUNINFO		0x0200u	/* --tun-info */

/* ipvsadm's print_largenum: %9llu, or K/M/G/T, or the exact figure. */
void lb_fmt_largenum(FILE *f, uint64_t v, unsigned int format);

/*
 * ipvsadm's addrport_to_anyname: "addr:port" for AF_INET, "[addr]:port" for
 * AF_INET6 (compressed, as inet_ntop writes it), numerically or (without
 * LB_FMT_NUMERIC) by name. At most LB_FMT_ADDRPORT_MAX - 1 characters: that
 * is where ipvsadm's buffer cuts a long name.
 */
#define LB_FMT_ADDRPORT_MAX	60
void lb_fmt_addrport(char *buf, size_t size, uint8_t af, const union lb_ip *addr,
		uint16_t port, uint8_t proto, unsigned int format);

/*
 * A SVC_LIST reply: [lb_api_svc, lb_api_dest * n_dests]... Checks the blob
 * first; returns -1 (and prints nothing) when it is malformed.
 * with_version: the "IP Virtual Server version" line (-L of everything; not
 * for one service, not with -S).
 */
int lb_fmt_services(FILE *f, const struct lb_api_info *info, const void *blob,
		size_t len, unsigned int format, bool with_version);
int lb_fmt_json_services(FILE *f, const struct lb_api_info *info, const void *blob,
		size_t len);

/*
 * -c: the header, then one line per entry (pages print as they arrive).
 * With LB_FMT_PERSISTENTCONN the header has ipvsadm's persistence-engine
 * columns; lbd has no persistence engine, so the rows stay the usual ones,
 * as ipvsadm prints an entry without engine data.
 */
void lb_fmt_conn_header(FILE *f, unsigned int format);
void lb_fmt_conn(FILE *f, const struct lb_api_conn *c, unsigned int format);
/* JSON: begin, each entry, end. */
void lb_fmt_json_conns_begin(FILE *f);
void lb_fmt_json_conn(FILE *f, const struct lb_api_conn *c, bool first);
void lb_fmt_json_conns_end(FILE *f);

void lb_fmt_timeouts(FILE *f, const struct lb_api_timeouts *t);
void lb_fmt_json_timeouts(FILE *f, const struct lb_api_timeouts *t);

/* --summary: entries per state per service, fed page by page. */
struct lb_fmt_summary;
struct lb_fmt_summary *lb_fmt_summary_new(void);
int lb_fmt_summary_add(struct lb_fmt_summary *s, const struct lb_api_conn *c, uint32_t n);
/* Services with no entry are listed too (from a SVC_LIST blob; may be NULL). */
int lb_fmt_summary_print(FILE *f, struct lb_fmt_summary *s, const void *svc_blob,
		size_t len, bool json);
void lb_fmt_summary_free(struct lb_fmt_summary *s);

/* --counters: per-core counters and drop reasons. */
void lb_fmt_counters(FILE *f, const struct lb_api_counters *hdr,
		const struct lb_api_core *cores, const struct lb_api_host *hosts,
		const char *const *drop_names, unsigned int n_names, bool json);

#endif
