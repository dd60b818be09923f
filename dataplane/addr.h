/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * An IP address of either family, as lbd stores it everywhere outside the
 * packet: services, real servers, connection listings, the control protocol.
 *
 * IPv4 sits in the first four bytes (network order) and the other twelve are
 * zero, so the IPv4 paths read one 32-bit word, exactly as before IPv6, and
 * two addresses of one family compare as two 64-bit words. The family is
 * never guessed from the bytes (::a.b.c.d is a valid IPv6 address): whoever
 * holds an address holds its family beside it, AF_INET or AF_INET6, as
 * IPVS's union nf_inet_addr and its af fields do.
 *
 * Plain C: lbadm, the tests and the dataplane include it.
 */
#ifndef LB_ADDR_H
#define LB_ADDR_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <netinet/in.h>
#include <sys/socket.h>

union lb_ip {
	uint32_t v4;		/* AF_INET, network order; bytes 4..15 zero */
	uint8_t v6[16];		/* AF_INET6, network order */
	uint32_t v6_32[4];
	uint64_t w[2];
};

static inline bool
lb_ip_eq(const union lb_ip *a, const union lb_ip *b)
{
	return a->w[0] == b->w[0] && a->w[1] == b->w[1];
}

static inline bool
lb_ip_is_zero(const union lb_ip *a)
{
	return (a->w[0] | a->w[1]) == 0;
}

static inline union lb_ip
lb_ip_from_v4(uint32_t v4)
{
	union lb_ip a = { .w = { 0, 0 } };

	a.v4 = v4;
	return a;
}

static inline union lb_ip
lb_ip_from_v6(const void *v6)
{
	union lb_ip a;

	memcpy(a.v6, v6, sizeof(a.v6));
	return a;
}

/*
 * The 32-bit word schedulers hash (sh, mh): the address itself for IPv4, the
 * XOR of its four words for IPv6, as IPVS folds it (ip_vs_sh_hashkey,
 * ip_vs_mh_hashkey), so that a client keeps its server across directors.
 */
static inline uint32_t
lb_ip_fold(uint8_t af, const union lb_ip *a)
{
	if (af != AF_INET6)
		return a->v4;
	return a->v6_32[0] ^ a->v6_32[1] ^ a->v6_32[2] ^ a->v6_32[3];
}

/* a masked to its first plen bits (0..128), for IPv6 persistence (-M 64). */
static inline union lb_ip
lb_ip6_prefix(const union lb_ip *a, unsigned int plen)
{
	union lb_ip r = *a;
	unsigned int i;

	for (i = 0; i < 16; i++) {
		unsigned int keep = plen >= 8 * (i + 1) ? 8 : plen > 8 * i ? plen - 8 * i : 0;

		r.v6[i] &= (uint8_t)(0xff00u >> keep);
	}
	return r;
}

#endif
