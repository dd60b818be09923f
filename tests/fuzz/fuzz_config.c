/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target over the configuration loaders: an input's first byte
 * picks lbd's own (lb_conf_load, the libconfig file) when even, keepalived's
 * (lb_keepalived_convert, lbd --from-keepalived) when odd; the rest is the
 * file. Every outcome (valid, errors, unreadable) must come back without a
 * crash, a leak or undefined behaviour.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "control/config.h"
#include "control/keepalived.h"

static char path[64];
static FILE *devnull;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	snprintf(path, sizeof(path), "/tmp/lbd-fuzz-config-%d.conf", (int)getpid());
	devnull = fopen("/dev/null", "w");
	if (devnull == NULL)
		abort();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lb_conf conf;
	FILE *f;

	if (size < 1)
		return 0;
	f = fopen(path, "w");
	if (f == NULL || fwrite(data + 1, 1, size - 1, f) != size - 1 || fclose(f) != 0)
		abort();
	if ((data[0] & 1) == 0) {
		lb_conf_load(&conf, path, devnull);
		lb_conf_free(&conf);
	} else {
		lb_keepalived_convert(path, devnull, devnull);
	}
	return 0;
}
