/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control side's clocks, for every thread that is not a worker (the
 * main loop, the checker, the announcer): monotonic time for timeouts and
 * deadlines, and the calling thread's own CPU time for what an iteration
 * cost. Workers use the TSC (dataplane/worker.h) instead: no system call
 * on the packet path.
 */
#ifndef LB_CLOCK_H
#define LB_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline uint64_t
lb_clock_read_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Monotonic time, nanoseconds and milliseconds. */
static inline uint64_t
lb_mono_ns(void)
{
	return lb_clock_read_ns(CLOCK_MONOTONIC);
}

static inline uint64_t
lb_mono_ms(void)
{
	return lb_mono_ns() / 1000000;
}

/* CPU time of the calling thread: its work, not its waits. */
static inline uint64_t
lb_thread_cpu_ns(void)
{
	return lb_clock_read_ns(CLOCK_THREAD_CPUTIME_ID);
}

#endif
