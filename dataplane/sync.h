/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Connection sync, the workers' side (IPVS's sync daemon: control/sync.c).
 *
 * A worker whose director runs a master daemon hands a record of a
 * connection to the control plane when IPVS's rules say so (the state
 * changed to one other than ESTABLISHED, or the connection's packet count
 * is threshold modulo period), through a ring only it fills. A backup's
 * records come back the other way, each to the worker that RSS gives the
 * connection's packets, through a ring only the control plane fills: the
 * worker stays the only writer of its table.
 *
 * No DPDK type here: the wire code (control/sync_wire.c) and its test tool
 * use struct lb_sync_conn too.
 */
#ifndef LB_SYNC_H
#define LB_SYNC_H

#include <stdint.h>

#define LB_SYNC_RING		4096	/* records in each ring */
#define LB_SYNC_THRESHOLD	3	/* IPVS's sync_threshold default: "3 50" */
#define LB_SYNC_PERIOD		50

/* IPVS connection flags (include/uapi/linux/ip_vs.h) that lbd sends or reads. */
#define LB_SYNC_F_FWD_MASK	0x0007
#define LB_SYNC_F_DROUTE	0x0003
#define LB_SYNC_F_SYNC		0x0020
#define LB_SYNC_F_HASHED	0x0040
#define LB_SYNC_F_NOOUTPUT	0x0080
#define LB_SYNC_F_INACTIVE	0x0100
#define LB_SYNC_F_SEQ_MASK	0x0600
#define LB_SYNC_F_NO_CPORT	0x0800
#define LB_SYNC_F_TEMPLATE	0x1000
/* what a backup keeps of a record's flags (IP_VS_CONN_F_BACKUP_MASK) */
#define LB_SYNC_F_BACKUP_MASK	(LB_SYNC_F_FWD_MASK | LB_SYNC_F_NOOUTPUT | LB_SYNC_F_INACTIVE | \
				 LB_SYNC_F_SEQ_MASK | LB_SYNC_F_NO_CPORT | LB_SYNC_F_TEMPLATE)

/* One connection (or persistence template) as a record carries it. */
struct lb_sync_conn {
	uint32_t caddr, vaddr, daddr;	/* network order */
	uint16_t cport, vport, dport;	/* network order */
	uint8_t proto;			/* IPPROTO_TCP, IPPROTO_UDP */
	uint8_t version;		/* of the message it came in: 0 or 1 */
	uint16_t state;			/* IPVS's: TCP as enum lb_conn_state, UDP 0 */
	uint32_t flags;			/* IPVS connection flags (LB_SYNC_F_* in sync_wire.h) */
	uint32_t timeout;		/* seconds; 0: the receiver's own */
	uint32_t fwmark;
};

/* A worker's sync counters (it is their only writer). */
struct lb_sync_stats {
	uint64_t queued;	/* records handed to the master daemon */
	uint64_t ring_full;	/* records not handed: its ring was full */
	uint64_t created;	/* synced entries created */
	uint64_t updated;	/* entries a record refreshed */
	uint64_t replaced;	/* entries of another server, replaced */
	uint64_t stale;		/* expiry notes of an entry already replaced: ignored */
	uint64_t no_service;	/* records of a service this director does not have */
	uint64_t no_dest;	/* records of a real server its service does not have */
	uint64_t table_full;	/* records not applied: table full */
};

#endif
