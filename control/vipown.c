/* SPDX-License-Identifier: BSD-3-Clause */
/* VIP ownership that follows the kernel interfaces (control/vipown.h). */
#include "control/vipown.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include <rte_log.h>

#include "control/clock.h"
#include "control/model.h"
#include "control/neigh.h"
#include "dataplane/svc.h"
#include "dataplane/worker.h"

#define POLL_MS	100

static bool enabled;
static char ifnames[LB_MAX_PORTS][IF_NAMESIZE];
static unsigned int n_ifnames;
static uint32_t owned[LB_MAX_VIP_OWNED];
static uint32_t n_owned;
static uint64_t next_poll;

void
lb_vipown_init(const struct lb_conf *conf)
{
	uint32_t i;

	enabled = conf->vip_arp_kernel;
	n_ifnames = 0;
	n_owned = 0;
	for (i = 0; enabled && i < conf->n_ports; i++)
		if (conf->ports[i].has_host)
			snprintf(ifnames[n_ifnames++], IF_NAMESIZE, "%s", conf->ports[i].host_ifname);
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static bool
is_host_if(const char *name)
{
	unsigned int i;

	for (i = 0; i < n_ifnames; i++)
		if (strcmp(ifnames[i], name) == 0)
			return true;
	return false;
}

static bool
in(const uint32_t *v, uint32_t n, uint32_t x)
{
	uint32_t i;

	for (i = 0; i < n; i++)
		if (v[i] == x)
			return true;
	return false;
}

void
lb_vipown_poll(void)
{
	const struct lb_snap *snap = lb_snap_current;
	uint32_t now_owned[LB_MAX_VIP_OWNED], n = 0, i;
	struct ifaddrs *ifa, *p;
	char a[INET_ADDRSTRLEN];

	if (!enabled || lb_mono_ms() < next_poll)
		return;
	next_poll = lb_mono_ms() + POLL_MS;
	if (getifaddrs(&ifa) != 0)
		return;
	for (p = ifa; p != NULL; p = p->ifa_next) {
		uint32_t addr;

		if (p->ifa_addr == NULL || p->ifa_addr->sa_family != AF_INET ||
				!is_host_if(p->ifa_name))
			continue;
		addr = ((const struct sockaddr_in *)(const void *)p->ifa_addr)->sin_addr.s_addr;
		if (lb_snap_is_vip(snap, addr) && !in(now_owned, n, addr) && n < LB_MAX_VIP_OWNED)
			now_owned[n++] = addr;
	}
	freeifaddrs(ifa);
	qsort(now_owned, n, sizeof(now_owned[0]), cmp_u32);
	if (n == n_owned && memcmp(now_owned, owned, n * sizeof(owned[0])) == 0)
		return;
	if (lb_model_set_vip_owned(true, now_owned, n) != 0) {
		RTE_LOG(ERR, USER1, "vip_arp: cannot publish the VIPs the kernel holds\n");
		return;
	}
	for (i = 0; i < n_owned; i++)
		if (!in(now_owned, n, owned[i]))
			RTE_LOG(INFO, USER1, "vip_arp: %s left the kernel interface: no ARP for it\n",
					inet_ntop(AF_INET, &owned[i], a, sizeof(a)));
	for (i = 0; i < n; i++)
		if (!in(owned, n_owned, now_owned[i])) {
			RTE_LOG(INFO, USER1, "vip_arp: %s is on the kernel interface: answering ARP"
					" for it, gratuitous ARP sent\n",
					inet_ntop(AF_INET, &now_owned[i], a, sizeof(a)));
			lb_neigh_announce_vip(now_owned[i]);
		}
	memcpy(owned, now_owned, n * sizeof(owned[0]));
	n_owned = n;
}
