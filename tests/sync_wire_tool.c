/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lbd's sync message code (control/sync_wire.c) on the command line, for
 * tests/sync/test_wire.py, which checks it against an encoder and decoder of
 * its own, written from the kernel's struct layouts:
 *
 *   sync_wire_tool decode SYNCID    each stdin line a datagram in hex: one
 *                                   JSON line per datagram, the records
 *                                   taken and the drops it counted
 *   sync_wire_tool encode SYNCID MAXLEN
 *                                   each stdin line a record, "caddr cport
 *                                   vaddr vport daddr dport proto state flags
 *                                   timeout fwmark" (dotted quads, decimal):
 *                                   the datagrams, in hex, one per line
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control/sync_wire.h"

static void
print_conn(const struct lb_sync_conn *c, void *arg)
{
	char ca[INET_ADDRSTRLEN], va[INET_ADDRSTRLEN], da[INET_ADDRSTRLEN];
	int *first = arg;

	inet_ntop(AF_INET, &c->caddr, ca, sizeof(ca));
	inet_ntop(AF_INET, &c->vaddr, va, sizeof(va));
	inet_ntop(AF_INET, &c->daddr, da, sizeof(da));
	printf("%s{\"version\":%u,\"proto\":%u,\"state\":%u,\"flags\":%u,\"timeout\":%u,"
			"\"fwmark\":%u,\"caddr\":\"%s\",\"cport\":%u,\"vaddr\":\"%s\",\"vport\":%u,"
			"\"daddr\":\"%s\",\"dport\":%u}", *first ? "" : ",", c->version, c->proto,
			c->state, c->flags, c->timeout, c->fwmark, ca, ntohs(c->cport), va,
			ntohs(c->vport), da, ntohs(c->dport));
	*first = 0;
}

/* (the tool links the wire code only, not the loader's lb_hex_digit) */
static int
hexval(int ch)
{
	static const char digits[] = "0123456789abcdef";
	const char *p = isxdigit(ch) ? strchr(digits, tolower(ch)) : NULL;

	return p != NULL ? (int)(p - digits) : -1;
}

static int
decode(uint8_t syncid)
{
	static char line[2 * 70000];
	static uint8_t buf[70000];

	while (fgets(line, sizeof(line), stdin) != NULL) {
		struct lb_sync_rx_stats st = { 0 };
		size_t n = 0, i;
		int first = 1, sep = 1;

		for (i = 0; line[i] != '\0' && line[i] != '\n'; i += 2) {
			int hi = hexval(line[i]), lo = hexval(line[i + 1]);

			if (hi < 0 || lo < 0 || n == sizeof(buf)) {
				fprintf(stderr, "bad hex at %zu\n", i);
				return 1;
			}
			buf[n++] = (uint8_t)(hi << 4 | lo);
		}
		printf("{\"conns\":[");
		lb_sync_parse(buf, n, syncid, print_conn, &first, &st);
		printf("],\"msgs\":%llu,\"drop\":{", (unsigned long long)st.msgs);
		for (i = 0; i < LB_SYNC_DROP_COUNT; i++) {
			if (st.drop[i] == 0)
				continue;
			printf("%s\"%s\":%llu", sep ? "" : ",", lb_sync_drop_names[i],
					(unsigned long long)st.drop[i]);
			sep = 0;
		}
		printf("}}\n");
	}
	return 0;
}

static void
flush(struct lb_sync_msg *m)
{
	uint16_t len = lb_sync_msg_end(m), i;

	for (i = 0; i < len; i++)
		printf("%02x", m->buf[i]);
	if (len)
		printf("\n");
}

static int
encode(uint8_t syncid, uint16_t maxlen)
{
	static uint8_t buf[65536];
	struct lb_sync_msg m;
	char ca[64], va[64], da[64], line[512];
	unsigned int cp, vp, dp, proto, state, flags, timeout, fwmark;

	lb_sync_msg_start(&m, buf, maxlen, syncid);
	while (fgets(line, sizeof(line), stdin) != NULL) {
		struct lb_sync_conn c = { 0 };

		if (sscanf(line, "%63s %u %63s %u %63s %u %u %u %u %u %u", ca, &cp, va, &vp, da,
				&dp, &proto, &state, &flags, &timeout, &fwmark) != 11 ||
				inet_pton(AF_INET, ca, &c.caddr) != 1 ||
				inet_pton(AF_INET, va, &c.vaddr) != 1 ||
				inet_pton(AF_INET, da, &c.daddr) != 1) {
			fprintf(stderr, "bad record: %s", line);
			return 1;
		}
		c.cport = htons((uint16_t)cp);
		c.vport = htons((uint16_t)vp);
		c.dport = htons((uint16_t)dp);
		c.proto = (uint8_t)proto;
		c.state = (uint16_t)state;
		c.flags = flags;
		c.timeout = timeout;
		c.fwmark = fwmark;
		if (lb_sync_msg_add(&m, &c) != 0) {
			flush(&m);
			lb_sync_msg_start(&m, buf, maxlen, syncid);
			if (lb_sync_msg_add(&m, &c) != 0) {
				fprintf(stderr, "maxlen %u holds no record\n", maxlen);
				return 1;
			}
		}
	}
	flush(&m);
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "decode") == 0)
		return decode((uint8_t)atoi(argv[2]));
	if (argc == 4 && strcmp(argv[1], "encode") == 0)
		return encode((uint8_t)atoi(argv[2]), (uint16_t)atoi(argv[3]));
	fprintf(stderr, "usage: %s decode SYNCID | encode SYNCID MAXLEN\n", argv[0]);
	return 2;
}
