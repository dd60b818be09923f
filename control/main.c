/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lbd's entry point: split the command line DPDK's way (EAL options, "--",
 * lbd's own), load and check the configuration, then hand over to the daemon.
 *
 * Everything here happens before rte_eal_init(), so --check,
 * --from-keepalived, --help and --version work without root, hugepages or
 * devices.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control/config.h"
#include "control/daemon.h"
#include "control/keepalived.h"

static void
usage(FILE *out, const char *prog)
{
	fprintf(out,
		"Usage: %s [EAL options] -- [-f FILE] [--check]\n"
		"       %s [-f FILE] [--check]\n"
		"       %s --from-keepalived KEEPALIVED.CONF > FILE\n"
		"\n"
		"An LVS-DR (direct routing) layer-4 load balancer on DPDK.\n"
		"\n"
		"  -f, --config FILE  configuration file (default " LB_CONF_DEFAULT_PATH ")\n"
		"  -c, --check        check the configuration and exit: 0 if valid, else 1\n"
		"                     after printing every problem as FILE:LINE: message\n"
		"      --from-keepalived KEEPALIVED.CONF\n"
		"                     write the LVS part of a keepalived.conf as an lbd\n"
		"                     configuration on stdout, what it cannot convert as\n"
		"                     FILE:LINE: message on stderr; exit 0 if all of it\n"
		"                     converted, 1 if some, 2 if none (or unreadable)\n"
		"  -h, --help         show this help and exit\n"
		"  -V, --version      show the version and exit\n"
		"\n"
		"EAL options come before \"--\"; without them, the file's 'eal' list is used.\n",
		prog, prog, prog);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'f' },
		{ "check", no_argument, NULL, 'c' },
		{ "from-keepalived", required_argument, NULL, 'K' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = LB_CONF_DEFAULT_PATH, *keepalived = NULL;
	int eal_argc = 0, app_argc, opt, i, nerr, rc;
	char **app_argv;
	bool check = false, path_set = false;
	struct lb_conf conf;

	/* DPDK's convention: EAL options, then "--", then the application's. */
	for (i = 1; i < argc; i++)
		if (strcmp(argv[i], "--") == 0) {
			eal_argc = i;
			break;
		}
	app_argv = argv + eal_argc;
	app_argc = argc - eal_argc;
	app_argv[0] = argv[0];

	while ((opt = getopt_long(app_argc, app_argv, "f:chV", longopts, NULL)) != -1) {
		switch (opt) {
		case 'f':
			path = optarg;
			path_set = true;
			break;
		case 'K':
			keepalived = optarg;
			break;
		case 'c':
			check = true;
			break;
		case 'h':
			usage(stdout, argv[0]);
			return 0;
		case 'V':
			printf("lbd " LB_VERSION "\n");
			return 0;
		default:
			usage(stderr, argv[0]);
			return 1;
		}
	}
	if (optind < app_argc) {
		fprintf(stderr, "%s: unexpected argument '%s'%s\n", argv[0], app_argv[optind],
				eal_argc == 0 ? " (EAL options go before \"--\")" : "");
		return 1;
	}

	if (keepalived != NULL) {
		if (check || path_set || eal_argc > 0) {
			fprintf(stderr, "%s: --from-keepalived takes no other option (check its"
					" output with --check -f FILE)\n", argv[0]);
			return 2;
		}
		rc = lb_keepalived_convert(keepalived, stdout, stderr);
		return rc < 0 ? 2 : rc > 0 ? 1 : 0;
	}

	nerr = lb_conf_load(&conf, path, stderr);
	if (nerr > 0) {
		fprintf(stderr, "%s: %d problem%s in %s\n", check ? "check" : "lbd", nerr,
				nerr == 1 ? "" : "s", path);
		lb_conf_free(&conf);
		return 1;
	}
	if (check) {
		printf("%s: OK (%u port%s, %u service%s)\n", path, conf.n_ports,
				conf.n_ports == 1 ? "" : "s", conf.n_services,
				conf.n_services == 1 ? "" : "s");
		lb_conf_free(&conf);
		return 0;
	}

	rc = lb_daemon_run(&conf, argv[0], eal_argc > 0 ? eal_argc - 1 : 0, argv + 1);
	lb_conf_free(&conf);
	return rc;
}
