/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target over the control socket's request parser and handlers:
 * each input is what one client sends on lbd's real UNIX socket (served by
 * lb_ctl_poll, as in the daemon) before it half-closes; the replies are read
 * and dropped. The model behind it is tests/core/core.conf's, and changes
 * the inputs make (the fuzzer runs as root: it may change things) stay for
 * the inputs after, as they would in a long-running lbd.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_mbuf.h>

#include "control/config.h"
#include "control/ctl.h"
#include "control/model.h"
#include "control/sync.h"
#include "dataplane/worker.h"
#include "tests/fuzz/fuzz_model.h"

static struct lb_conf conf;
static struct lb_worker *workers[1];
/* LeakSanitizer does not scan DPDK's memory, where the worker (and so its
 * pointer to the table) lives: a global says the table is not lost */
static struct lb_conn_table *table;
static struct sockaddr_un sun = { .sun_family = AF_UNIX };

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct rte_mempool *pool;

	lb_fuzz_model_init((*argv)[0], &conf);
	lb_clock_init();	/* as the daemon does: the seconds entries expire in */
	pool = rte_pktmbuf_pool_create("fuzz", 1024, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	workers[0] = lb_worker_create(0, 1024, 100, pool);
	if (pool == NULL || workers[0] == NULL)
		abort();
	table = workers[0]->ct;
	lb_model_set_workers(workers, 1, NULL);
	lb_sync_init(workers, 1, 0);
	free(conf.socket);
	snprintf(sun.sun_path, sizeof(sun.sun_path), "/tmp/lbd-fuzz-ctl-%d.sock", (int)getpid());
	conf.socket = strdup(sun.sun_path);
	if (lb_ctl_init(&conf, workers, 1) != 0)
		abort();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
	char buf[65536];
	size_t sent = 0;
	int i;

	if (fd < 0)
		abort();
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0)
		abort();
	/* the request, in as many turns as the socket needs, then EOF */
	for (i = 0; i < 256 && sent < size; i++) {
		ssize_t n = write(fd, data + sent, size - sent);

		if (n > 0)
			sent += (size_t)n;
		lb_ctl_poll(0);
		while (read(fd, buf, sizeof(buf)) > 0)
			;
	}
	shutdown(fd, SHUT_WR);
	for (i = 0; i < 256; i++) {
		ssize_t n;

		lb_ctl_poll(0);
		while ((n = read(fd, buf, sizeof(buf))) > 0)
			;
		if (n == 0)
			break;	/* lbd closed it: the client is gone */
	}
	close(fd);
	lb_ctl_poll(0);
	lb_model_gc();
	return 0;
}
