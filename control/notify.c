/* SPDX-License-Identifier: BSD-3-Clause */
/* systemd readiness and watchdog (see notify.h). */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <systemd/sd-daemon.h>

#include <rte_log.h>

#include "control/clock.h"
#include "control/notify.h"
#include "dataplane/worker.h"

static struct lb_worker *const *n_workers_p;
static uint16_t n_workers;
static uint64_t interval_ms;	/* half of WatchdogSec; 0 = no watchdog */
static uint64_t next_ms;
static uint64_t seen[LB_MAX_WORKERS];
static int stalled = -1;	/* the worker last logged as stalled */

void
lb_notify_init(struct lb_worker *const *workers, uint16_t n)
{
	uint64_t usec = 0;
	uint16_t i;

	n_workers_p = workers;
	n_workers = n;
	for (i = 0; i < n; i++)
		seen[i] = workers[i]->loops;
	if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0) {
		interval_ms = usec / 2000 > 0 ? usec / 2000 : 1;
		next_ms = lb_mono_ms() + interval_ms;
		RTE_LOG(INFO, USER1, "systemd: watchdog every %llu ms while the workers run\n",
				(unsigned long long)interval_ms);
	}
}

void
lb_notify_ready(void)
{
	sd_notifyf(0, "READY=1\nSTATUS=forwarding with %u worker(s)", n_workers);
}

void
lb_notify_reloading(void)
{
	struct timespec ts;

	/* systemd 253's reload protocol wants the time; older ones ignore it */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	sd_notifyf(0, "RELOADING=1\nMONOTONIC_USEC=%llu\nSTATUS=reloading",
			(unsigned long long)ts.tv_sec * 1000000ull + (unsigned long long)ts.tv_nsec / 1000);
}

void
lb_notify_stopping(void)
{
	sd_notify(0, "STOPPING=1\nSTATUS=stopping");
}

void
lb_notify_poll(void)
{
	uint64_t now;
	uint16_t i;
	bool alive = true;

	if (interval_ms == 0)
		return;
	now = lb_mono_ms();
	if (now < next_ms)
		return;
	next_ms = now + interval_ms;
	for (i = 0; i < n_workers; i++) {
		uint64_t l = n_workers_p[i]->loops;

		if (l == seen[i]) {
			alive = false;
			if (stalled != (int)i)
				RTE_LOG(ERR, USER1, "systemd: worker on lcore %u stalled: no"
						" watchdog keep-alive\n", n_workers_p[i]->lcore_id);
			stalled = (int)i;
		}
		seen[i] = l;
	}
	if (alive) {
		stalled = -1;
		sd_notify(0, "WATCHDOG=1");
	}
}
