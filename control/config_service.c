/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The configuration's services and their real servers: addresses,
 * schedulers, persistence, quorum and sorry servers, and DR's rules
 * (every server on a port's subnet).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <libconfig.h>
#include <limits.h>
#include <math.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <rte_ether.h>

#include "control/config_int.h"
#include "control/limits.h"
#include "dataplane/sched.h"


/* Only against ports whose own address is valid, or one typo reports twice. */
static bool
on_a_port(const struct lb_conf *conf, uint8_t af, const union lb_ip *addr)
{
	unsigned int i;

	for (i = 0; i < conf->n_ports; i++) {
		const struct lb_conf_port *p = &conf->ports[i];

		if (af == AF_INET && (p->prefix == 0 || conf_in_subnet(addr->v4, p)))
			return true;
		if (af == AF_INET6 && p->has_addr6) {
			union lb_ip x = lb_ip6_prefix(addr, p->prefix6);
			union lb_ip y = lb_ip6_prefix(&p->addr6, p->prefix6);

			if (lb_ip_eq(&x, &y))
				return true;
		}
	}
	return conf->n_ports == 0;
}

static void
load_dest(struct loader *ld, struct lb_conf *conf, const struct lb_conf_service *svc,
		const config_setting_t *svc_check, const config_setting_t *g,
		struct lb_conf_dest *d)
{
	const char *addr = conf_get_str(g, conf_dest_keys, "address");
	uint32_t port = svc->port;
	const config_setting_t *own;
	uint8_t af;

	d->line = (int)config_setting_source_line(g);
	d->weight = 1;
	conf_get_u32(g, conf_dest_keys, "weight", &d->weight);
	conf_get_u32(g, conf_dest_keys, "upper_threshold", &d->u_threshold);
	conf_get_u32(g, conf_dest_keys, "lower_threshold", &d->l_threshold);
	if (d->u_threshold != 0 && d->l_threshold > d->u_threshold)
		conf_report(ld, g, "lower_threshold %u is above upper_threshold %u",
				d->l_threshold, d->u_threshold);
	if (conf_get_u32(g, conf_dest_keys, "port", &port) && port != svc->port)
		conf_report(ld, config_setting_get_member(g, "port"),
				"real server port %u differs from the service port %u:"
				" direct routing cannot change ports", port, svc->port);
	d->port = svc->port;
	conf_get_mac(ld, g, conf_dest_keys, &d->has_mac, d->mac);
	own = conf_valid(g, conf_dest_keys, "check");
	d->check = conf_load_check(ld, svc_check, own, own != NULL ? own : g, true);
	if (addr == NULL || svc->af == 0)
		return;
	if (!conf_get_ip(ld, config_setting_get_member(g, "address"), addr, svc->af, &af, &d->addr))
		return;
	if (!on_a_port(conf, af, &d->addr))
		conf_report(ld, config_setting_get_member(g, "address"),
				af == AF_INET6 ? "real server %s is on no port's IPv6 prefix"
				" (address6): direct routing needs it on a connected network" :
				"real server %s is on no port's subnet: direct routing needs it"
				" on a connected network", addr);
}

static void
load_dests(struct loader *ld, struct lb_conf *conf, const config_setting_t *g,
		const config_setting_t *s, struct lb_conf_service *svc)
{
	unsigned int i, j;

	svc->dests = calloc((size_t)config_setting_length(s) + 1, sizeof(*svc->dests));
	if (svc->dests == NULL) {
		conf_report(ld, s, "out of memory");
		return;
	}
	for (i = 0; i < (unsigned int)config_setting_length(s); i++) {
		const config_setting_t *e = config_setting_get_elem(s, i);
		struct lb_conf_dest *d = &svc->dests[svc->n_dests];

		if (config_setting_type(e) != CONFIG_TYPE_GROUP)
			continue;
		if (conf_over_limit(ld, e, LB_LIMIT_DESTS_PER_SVC, (uint64_t)svc->n_dests + 1) ||
				conf_over_limit(ld, e, LB_LIMIT_DESTS, (uint64_t)ld->n_dests + 1))
			break;
		load_dest(ld, conf, svc, conf_valid(g, conf_service_keys, "check"), e, d);
		for (j = 0; !lb_ip_is_zero(&d->addr) && j < svc->n_dests; j++)
			if (lb_ip_eq(&svc->dests[j].addr, &d->addr)) {
				conf_report(ld, e, "duplicate real server %s:%u (first at line %d)",
						config_setting_get_string(
							config_setting_get_member(e, "address")),
						d->port, svc->dests[j].line);
				break;
			}
		if (!lb_ip_is_zero(&d->addr) && lb_ip_eq(&d->addr, &svc->sorry_server))
			conf_report(ld, e, "real server %s is also the service's sorry_server",
					config_setting_get_string(
						config_setting_get_member(e, "address")));
		if (!lb_ip_is_zero(&d->addr) && j == svc->n_dests) {
			svc->n_dests++;
			ld->n_dests++;
		} else {
			free(d->check);
			d->check = NULL;
		}
	}
}

/* connect_ip is an IPv4 address: an IPv6 service's checks cannot take one. */
static void
refuse_connect_ip(struct loader *ld, const config_setting_t *owner)
{
	const config_setting_t *c = config_setting_get_member(owner, "check");
	const config_setting_t *ip = c != NULL ? config_setting_get_member(c, "connect_ip") : NULL;

	if (ip != NULL)
		conf_report(ld, ip, "'connect_ip' is IPv4 only: an IPv6 service's check connects to"
				" each server's own address (connect_port may change the port)");
}

static void
load_service(struct loader *ld, struct lb_conf *conf, const config_setting_t *g,
		struct lb_conf_service *svc)
{
	const config_setting_t *s;
	const char *str;
	unsigned int i;

	svc->line = (int)config_setting_source_line(g);
	svc->sched = LB_SCHED_WLC;
	svc->netmask = 0xffffffffu;

	str = conf_get_str(g, conf_service_keys, "protocol");
	if (str != NULL) {
		if (strcasecmp(str, "tcp") == 0)
			svc->proto = IPPROTO_TCP;
		else if (strcasecmp(str, "udp") == 0)
			svc->proto = IPPROTO_UDP;
		else
			conf_report(ld, config_setting_get_member(g, "protocol"),
					"unknown protocol '%s' (expected \"tcp\" or \"udp\")", str);
	}
	str = conf_get_str(g, conf_service_keys, "vip");
	if (str != NULL && !conf_get_ip(ld, config_setting_get_member(g, "vip"), str, 0, &svc->af,
				&svc->vip))
		svc->af = 0;
	for (i = 0; svc->af != 0 && i < conf->n_ports; i++)
		if ((svc->af == AF_INET && conf->ports[i].addr == svc->vip.v4) ||
				(svc->af == AF_INET6 && conf->ports[i].has_addr6 &&
				 lb_ip_eq(&conf->ports[i].addr6, &svc->vip)))
			conf_report(ld, config_setting_get_member(g, "vip"),
					"vip %s is also the address of port '%s'", str,
					conf->ports[i].device ? conf->ports[i].device : "?");
	str = conf_get_str(g, conf_service_keys, "scheduler");
	if (str != NULL) {
		int k = lb_sched_from_name(str);

		if (k < 0)
			conf_report(ld, config_setting_get_member(g, "scheduler"),
					"unknown scheduler '%s' (expected rr, wrr, lc, wlc, sed,"
					" nq, sh or mh)", str);
		else
			svc->sched = k;
	}
	s = conf_valid(g, conf_service_keys, "sched_flags");
	for (i = 0; s != NULL && i < (unsigned int)config_setting_length(s); i++) {
		const char *f = config_setting_get_string_elem(s, (int)i);
		int bit = lb_sched_flag_from_name(svc->sched, f);

		if (bit < 0)
			conf_report(ld, s, "scheduler flag '%s' does not apply to scheduler %s",
					f, lb_sched_name(svc->sched));
		else
			svc->sched_flags |= (uint32_t)bit;
	}
	conf_get_u32(g, conf_service_keys, "persistence", &svc->persistence);
	if (svc->af == AF_INET6)
		svc->netmask = 128;
	str = conf_get_str(g, conf_service_keys, "netmask");
	if (str != NULL && svc->af == AF_INET6) {
		char *end;
		long plen = strtol(str, &end, 10);

		/* IPv6 persistence granularity is a prefix length (ipvsadm -M 64) */
		if (*str == '\0' || *end != '\0' || plen < 1 || plen > 128)
			conf_report(ld, config_setting_get_member(g, "netmask"),
					"bad netmask '%s' for an IPv6 service (expected a prefix"
					" length, 1..128, such as \"64\")", str);
		else
			svc->netmask = (uint32_t)plen;
	} else if (str != NULL) {
		uint32_t h;

		/* 0.0.0.0 is IPVS's "every client under one template" */
		if (lb_parse_ipv4(str, &svc->netmask) < 0 ||
				((h = ntohl(svc->netmask)) != 0 && (~h & (~h + 1)) != 0)) {
			conf_report(ld, config_setting_get_member(g, "netmask"),
					"bad netmask '%s' (expected a contiguous mask such as"
					" 255.255.255.0)", str);
			svc->netmask = 0xffffffffu;
		}
	}
	if (conf_get_u32(g, conf_service_keys, "port", &i)) {
		svc->port = (uint16_t)i;
		if (i == 0 && svc->persistence == 0)
			conf_report(ld, config_setting_get_member(g, "port"),
					"Zero port specified for non-persistent service");
	}

	svc->sloppy = conf_get_bool(g, conf_service_keys, "sloppy", false);
	svc->quorum = 1;
	conf_get_u32(g, conf_service_keys, "quorum", &svc->quorum);
	conf_get_u32(g, conf_service_keys, "hysteresis", &svc->hysteresis);
	str = conf_get_str(g, conf_service_keys, "sorry_server");
	if (str != NULL && svc->af != 0) {
		uint8_t af;

		if (conf_get_ip(ld, config_setting_get_member(g, "sorry_server"), str,
					svc->af, &af, &svc->sorry_server) &&
				!on_a_port(conf, af, &svc->sorry_server)) {
			conf_report(ld, config_setting_get_member(g, "sorry_server"),
					"sorry_server %s is on no port's subnet: direct routing needs"
					" it on a connected network", str);
		}
	}
	svc->check = conf_load_check(ld, conf_valid(g, conf_service_keys, "check"), NULL, NULL,
			false);

	s = conf_valid(g, conf_service_keys, "real_servers");
	if (s != NULL)
		load_dests(ld, conf, g, s, svc);
	if (svc->af == AF_INET6) {
		refuse_connect_ip(ld, g);
		for (i = 0; s != NULL && i < (unsigned int)config_setting_length(s); i++)
			if (config_setting_type(config_setting_get_elem(s, i)) == CONFIG_TYPE_GROUP)
				refuse_connect_ip(ld, config_setting_get_elem(s, i));
	}
	/* the sorry server takes the id of a real server */
	if (!lb_ip_is_zero(&svc->sorry_server) &&
			!conf_over_limit(ld, config_setting_get_member(g, "sorry_server"),
				LB_LIMIT_DESTS_PER_SVC, (uint64_t)svc->n_dests + 1) &&
			!conf_over_limit(ld, config_setting_get_member(g, "sorry_server"),
				LB_LIMIT_DESTS, ld->n_dests + 1))
		ld->n_dests++;
}

void
conf_free_service(struct lb_conf_service *svc)
{
	unsigned int j;

	for (j = 0; j < svc->n_dests; j++)
		free(svc->dests[j].check);
	free(svc->check);
	free(svc->dests);
	memset(svc, 0, sizeof(*svc));
}

void
conf_load_services(struct loader *ld, struct lb_conf *conf, const config_setting_t *list)
{
	unsigned int i, j, n = (unsigned int)config_setting_length(list);
	char a[LB_ADDRPORT_STRLEN];

	conf->services = calloc(n + 1, sizeof(*conf->services));
	if (conf->services == NULL) {
		conf_report(ld, list, "out of memory");
		return;
	}
	for (i = 0; i < n; i++) {
		const config_setting_t *g = config_setting_get_elem(list, i);
		struct lb_conf_service *svc = &conf->services[conf->n_services];

		if (config_setting_type(g) != CONFIG_TYPE_GROUP)
			continue;
		if (conf_over_limit(ld, g, LB_LIMIT_SERVICES, (uint64_t)conf->n_services + 1))
			break;
		load_service(ld, conf, g, svc);
		if (svc->proto == 0 || svc->af == 0) {
			conf_free_service(svc);
			continue;
		}
		for (j = 0; j < conf->n_services; j++) {
			const struct lb_conf_service *o = &conf->services[j];

			if (o->proto == svc->proto && o->af == svc->af &&
					lb_ip_eq(&o->vip, &svc->vip) && o->port == svc->port)
				break;
		}
		if (j < conf->n_services) {
			conf_report(ld, g, "duplicate service %s %s (first at line %d)",
					lb_proto_name(svc->proto),
					lb_addrport_str(svc->af, &svc->vip, svc->port, a, sizeof(a)),
					conf->services[j].line);
			conf_free_service(svc);
			continue;
		}
		conf->n_services++;
	}
}

