/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IPVS sync messages, versions 1 and 0: parsing with the kernel's checks
 * (ip_vs_process_message, ip_vs_proc_sync_conn), and building version 1.
 * The layouts are in sync_wire.h.
 */
#include "control/sync_wire.h"

#include <netinet/in.h>
#include <stdbool.h>
#include <string.h>

const char *const lb_sync_drop_names[LB_SYNC_DROP_COUNT] = {
#define LB_SYNC_DROP_NAME(n) #n,
	LB_SYNC_DROPS(LB_SYNC_DROP_NAME)
#undef LB_SYNC_DROP_NAME
};

#define OPT_SEQ_DATA	1
#define OPT_PE_DATA	2
#define OPT_PE_NAME	3
#define OPT_F_PARAM	0x40	/* an option a receiver may skip */
#define PE_DATA_MAX	255	/* IP_VS_PEDATA_MAXLEN */
#define PE_NAME_MAX	16	/* IP_VS_PENAME_MAXLEN */

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* network-order fields copied as they are */
static uint16_t
raw16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static uint32_t
raw32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* A record's protocol and state: LB_SYNC_DROP_COUNT when both are right. */
static enum lb_sync_drop
check_conn(const struct lb_sync_conn *c)
{
	unsigned int states;

	if (c->flags & LB_SYNC_F_TEMPLATE)
		return LB_SYNC_DROP_COUNT;	/* the kernel takes any template state */
	if (c->proto == IPPROTO_TCP)
		states = LB_SYNC_TCP_STATES;
	else if (c->proto == IPPROTO_UDP)
		states = LB_SYNC_UDP_STATES;
	else
		return LB_SYNC_DROP_proto;
	return c->state < states ? LB_SYNC_DROP_COUNT : LB_SYNC_DROP_state;
}

/*
 * One version 1 record, rec[0..size) with size >= LB_SYNC_REC: 1 taken
 * (in *c), 0 skipped (counted), -1 the rest of the message must go (counted).
 */
static int
parse_v1_rec(const uint8_t *rec, size_t size, struct lb_sync_conn *c,
		struct lb_sync_rx_stats *st)
{
	const uint8_t *p, *end = rec + size;
	unsigned int seen = 0;
	enum lb_sync_drop why;

	if (rec[0] & 1) {
		/* IPv6: skipped as a kernel without IPv6 does, once its fixed
		 * part is known to fit */
		if (size < LB_SYNC_REC_V6) {
			st->drop[LB_SYNC_DROP_malformed]++;
			return -1;
		}
		st->drop[LB_SYNC_DROP_ipv6]++;
		return 0;
	}
	if (rec[0] != 0) {
		st->drop[LB_SYNC_DROP_malformed]++;
		return -1;
	}
	for (p = rec + LB_SYNC_REC; p < end; ) {
		unsigned int type, len;

		if (end - p < 2 || p[1] == 0 || (size_t)(end - p - 2) < p[1]) {
			st->drop[LB_SYNC_DROP_malformed]++;
			return -1;
		}
		type = p[0] & ~OPT_F_PARAM;
		len = p[1];
		if (type == OPT_SEQ_DATA || type == OPT_PE_DATA || type == OPT_PE_NAME) {
			/* each at most once, of its size */
			if ((seen & 1u << type) ||
					(type == OPT_SEQ_DATA && len != LB_SYNC_SEQ) ||
					(type == OPT_PE_DATA && len > PE_DATA_MAX) ||
					(type == OPT_PE_NAME && len > PE_NAME_MAX)) {
				st->drop[LB_SYNC_DROP_malformed]++;
				return -1;
			}
			seen |= 1u << type;
		} else if (!(p[0] & OPT_F_PARAM)) {
			st->drop[LB_SYNC_DROP_option]++;
			return 0;
		}
		p += 2 + len;
	}
	*c = (struct lb_sync_conn){
		.proto = rec[1],
		.version = 1,
		.flags = get32(rec + 4),
		.state = get16(rec + 8),
		.cport = raw16(rec + 10),
		.vport = raw16(rec + 12),
		.dport = raw16(rec + 14),
		.fwmark = get32(rec + 16),
		.timeout = get32(rec + 20),
		.caddr = raw32(rec + 24),
		.vaddr = raw32(rec + 28),
		.daddr = raw32(rec + 32),
	};
	why = check_conn(c);
	if (why != LB_SYNC_DROP_COUNT) {
		st->drop[why]++;
		return 0;
	}
	return 1;
}

static unsigned int
parse_v1(const uint8_t *msg, size_t len, lb_sync_conn_cb cb, void *arg,
		struct lb_sync_rx_stats *st)
{
	unsigned int i, n = msg[4], taken = 0;
	size_t off = LB_SYNC_HDR;

	for (i = 0; i < n; i++) {
		struct lb_sync_conn c;
		size_t size;
		int r;

		if (len - off < LB_SYNC_REC) {
			st->drop[LB_SYNC_DROP_truncated]++;
			break;
		}
		size = get16(msg + off + 2) & 0x0fff;
		if (size > len - off) {
			st->drop[LB_SYNC_DROP_truncated]++;
			break;
		}
		if (get16(msg + off + 2) >> 12) {
			st->drop[LB_SYNC_DROP_rec_version]++;
			break;
		}
		/* the kernel would read the fixed part past a shorter length */
		if (size < LB_SYNC_REC) {
			st->drop[LB_SYNC_DROP_malformed]++;
			break;
		}
		r = parse_v1_rec(msg + off, size, &c, st);
		if (r < 0)
			break;
		if (r > 0) {
			cb(&c, arg);
			taken++;
		}
		off += (size + 3) & ~(size_t)3;
		if (off > len)
			off = len;
	}
	return taken;
}

static unsigned int
parse_v0(const uint8_t *msg, size_t len, lb_sync_conn_cb cb, void *arg,
		struct lb_sync_rx_stats *st)
{
	unsigned int i, n = msg[0], taken = 0;
	size_t off = LB_SYNC_HDR_V0;

	for (i = 0; i < n; i++) {
		const uint8_t *r = msg + off;
		struct lb_sync_conn c;
		enum lb_sync_drop why;
		uint16_t flags;

		if (len - off < LB_SYNC_REC_V0) {
			st->drop[LB_SYNC_DROP_truncated]++;
			break;
		}
		flags = get16(r + 20);
		off += LB_SYNC_REC_V0;
		if (flags & LB_SYNC_F_SEQ_MASK) {
			if (len - off < LB_SYNC_SEQ) {
				st->drop[LB_SYNC_DROP_truncated]++;
				break;
			}
			off += LB_SYNC_SEQ;
		}
		c = (struct lb_sync_conn){
			.proto = r[1],
			.version = 0,
			.cport = raw16(r + 2),
			.vport = raw16(r + 4),
			.dport = raw16(r + 6),
			.caddr = raw32(r + 8),
			.vaddr = raw32(r + 12),
			.daddr = raw32(r + 16),
			.flags = flags & ~LB_SYNC_F_HASHED,
			.state = get16(r + 22),
		};
		why = check_conn(&c);
		if (why != LB_SYNC_DROP_COUNT) {
			st->drop[why]++;
			continue;
		}
		cb(&c, arg);
		taken++;
	}
	return taken;
}

unsigned int
lb_sync_parse(const uint8_t *p, size_t len, uint8_t syncid, lb_sync_conn_cb cb, void *arg,
		struct lb_sync_rx_stats *st)
{
	unsigned int taken;
	bool v1;

	if (len < LB_SYNC_HDR_V0) {
		st->drop[LB_SYNC_DROP_short]++;
		return 0;
	}
	if (get16(p + 2) != len) {
		st->drop[LB_SYNC_DROP_size]++;
		return 0;
	}
	if (syncid != 0 && p[1] != syncid) {
		st->drop[LB_SYNC_DROP_syncid]++;
		return 0;
	}
	v1 = len >= LB_SYNC_HDR && p[5] == 1 && p[0] == 0 && get16(p + 6) == 0;
	st->msgs++;
	taken = v1 ? parse_v1(p, len, cb, arg, st) : parse_v0(p, len, cb, arg, st);
	st->conns += taken;
	return taken;
}

void
lb_sync_msg_start(struct lb_sync_msg *m, uint8_t *buf, uint16_t maxlen, uint8_t syncid)
{
	m->buf = buf;
	m->maxlen = maxlen;
	m->len = LB_SYNC_HDR;
	m->n = 0;
	memset(buf, 0, LB_SYNC_HDR);
	buf[1] = syncid;
	buf[5] = 1;		/* version */
}

int
lb_sync_msg_add(struct lb_sync_msg *m, const struct lb_sync_conn *c)
{
	uint8_t *r;

	if (m->n == UINT8_MAX || m->maxlen - m->len < LB_SYNC_REC)
		return -1;
	r = m->buf + m->len;
	r[0] = 0;			/* IPv4 */
	r[1] = c->proto;
	put16(r + 2, LB_SYNC_REC);	/* version 0 record, no option */
	put32(r + 4, c->flags & ~LB_SYNC_F_HASHED);
	put16(r + 8, c->state);
	memcpy(r + 10, &c->cport, 2);
	memcpy(r + 12, &c->vport, 2);
	memcpy(r + 14, &c->dport, 2);
	put32(r + 16, c->fwmark);
	put32(r + 20, c->timeout);
	memcpy(r + 24, &c->caddr, 4);
	memcpy(r + 28, &c->vaddr, 4);
	memcpy(r + 32, &c->daddr, 4);
	m->len += LB_SYNC_REC;		/* a multiple of 4: no pad */
	m->n++;
	return 0;
}

uint16_t
lb_sync_msg_end(struct lb_sync_msg *m)
{
	if (m->n == 0)
		return 0;
	m->buf[4] = m->n;
	put16(m->buf + 2, m->len);
	return m->len;
}
