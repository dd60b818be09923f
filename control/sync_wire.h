/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IPVS connection synchronisation on the wire: the messages Linux's
 * ip_vs_sync sends and takes, so that lbd and a Linux director can be each
 * other's master or backup.
 *
 * A message is one UDP datagram to 224.0.0.81:8848 (by default):
 *
 *   version 1: reserved u8 (0), syncid u8, size be16 (the whole datagram),
 *              nr_conns u8, version s8 (1), spare be16 (0); then nr_conns
 *              records, each padded to 4 bytes:
 *              type u8 (bit 0: IPv6), protocol u8, ver_size be16 (top 4 bits
 *              the record's version, 0; low 12 its length with options),
 *              flags be32, state be16, cport, vport, dport be16, fwmark be32,
 *              timeout be32 (seconds: the state's full timeout), caddr,
 *              vaddr, daddr be32: 36 bytes for IPv4. Options (type u8, len
 *              u8, data) may follow: 1 sequence data (24 bytes), 2 and 3 the
 *              persistence engine's data and name; a type with 0x40 set may
 *              be skipped, another unknown one drops the record.
 *   version 0: nr_conns u8, syncid u8, size be16; records of 24 bytes:
 *              reserved u8, protocol u8, cport, vport, dport be16, caddr,
 *              vaddr, daddr be32, flags be16, state be16; 24 bytes of
 *              sequence data after a record whose flags have a SEQ bit. No
 *              timeout: the receiver uses its own for the state.
 *
 * A datagram is taken as version 1 when version is 1 and reserved and spare
 * are 0, as version 0 otherwise: the kernel's rule. Receiving follows the
 * kernel's checks, record by record, and counts each reason it drops for
 * (enum lb_sync_drop). Pure functions: no socket, no DPDK.
 */
#ifndef LB_SYNC_WIRE_H
#define LB_SYNC_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "dataplane/sync.h"	/* struct lb_sync_conn */

#define LB_SYNC_GROUP		0xe0000051u	/* 224.0.0.81, host order */
#define LB_SYNC_PORT		8848
#define LB_SYNC_HDR		8	/* version 1 message header */
#define LB_SYNC_HDR_V0		4
#define LB_SYNC_REC		36	/* version 1 IPv4 record */
#define LB_SYNC_REC_V6		72
#define LB_SYNC_REC_V0		24
#define LB_SYNC_SEQ		24	/* sequence data, option 1 or after a v0 record */
#define LB_SYNC_MAXLEN_MAX	(65535 - 28)	/* UDP payload: 65535 minus IP and UDP */

/* IPVS's state counts: TCP's 11 (lbd's enum lb_conn_state), UDP's 1 */
#define LB_SYNC_TCP_STATES	11
#define LB_SYNC_UDP_STATES	1

/* Why a datagram, or a record in it, was not taken. */
#define LB_SYNC_DROPS(X) \
	X(short)	/* shorter than a header */ \
	X(size)		/* the header's size is not the datagram's */ \
	X(syncid)	/* another sync group's message */ \
	X(truncated)	/* a record runs past the end: the rest is dropped */ \
	X(rec_version)	/* a record of another version: the rest is dropped */ \
	X(malformed)	/* a record's length or options are wrong: the rest is dropped */ \
	X(ipv6)		/* an IPv6 record: skipped */ \
	X(option)	/* an unknown mandatory option: the record skipped */ \
	X(proto)	/* neither TCP nor UDP: skipped */ \
	X(state)	/* a state the protocol does not have: skipped */

enum lb_sync_drop {
#define LB_SYNC_DROP_ENUM(n) LB_SYNC_DROP_##n,
	LB_SYNC_DROPS(LB_SYNC_DROP_ENUM)
#undef LB_SYNC_DROP_ENUM
	LB_SYNC_DROP_COUNT
};

extern const char *const lb_sync_drop_names[LB_SYNC_DROP_COUNT];

struct lb_sync_rx_stats {
	uint64_t msgs;			/* datagrams taken (some records may not be) */
	uint64_t conns;			/* records handed on */
	uint64_t drop[LB_SYNC_DROP_COUNT];
};

typedef void (*lb_sync_conn_cb)(const struct lb_sync_conn *c, void *arg);

/*
 * Parse the datagram p[0..len): cb(record, arg) for each record taken, in
 * order; what is not taken is counted in st. syncid 0 takes every group's.
 * Returns the number of records handed to cb.
 */
unsigned int lb_sync_parse(const uint8_t *p, size_t len, uint8_t syncid, lb_sync_conn_cb cb,
		void *arg, struct lb_sync_rx_stats *st);

/* A version 1 message being filled, in a buffer of at least maxlen bytes. */
struct lb_sync_msg {
	uint8_t *buf;
	uint16_t maxlen;
	uint16_t len;
	uint8_t n;
};

/* Start a message of at most maxlen bytes (LB_SYNC_HDR + LB_SYNC_REC ..
 * LB_SYNC_MAXLEN_MAX) for sync group syncid. */
void lb_sync_msg_start(struct lb_sync_msg *m, uint8_t *buf, uint16_t maxlen, uint8_t syncid);

/* Append c as an IPv4 record (c->version is not sent). Returns 0, or -1 when
 * it does not fit (bytes, or 255 records): send the message and start again. */
int lb_sync_msg_add(struct lb_sync_msg *m, const struct lb_sync_conn *c);

/* Close the message: its length in bytes, 0 if it holds no record. */
uint16_t lb_sync_msg_end(struct lb_sync_msg *m);

#endif
