/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lbadm: ipvsadm for lbd. Until the control protocol lands, it only finds the
 * daemon's socket (--socket PATH, else $LBD_SOCKET, else the default) and says
 * whether it can reach it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "control/config.h"

int
main(int argc, char **argv)
{
	const char *path = getenv("LBD_SOCKET");
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int i, fd;

	if (path == NULL || path[0] == '\0')
		path = LB_CONF_DEFAULT_SOCKET;
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--socket") == 0 && i + 1 < argc)
			path = argv[++i];
		else if (strncmp(argv[i], "--socket=", 9) == 0)
			path = argv[i] + 9;
		else if (strcmp(argv[i], "--version") == 0 || strcmp(argv[i], "-v") == 0) {
			printf("lbadm " LB_VERSION "\n");
			return 0;
		}
	}
	if (strlen(path) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "lbadm: socket path too long: %s\n", path);
		return 1;
	}
	strcpy(sun.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		fprintf(stderr, "lbadm: cannot reach lbd at %s: %s\n", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return 2;
	}
	close(fd);
	fprintf(stderr, "lbadm: reached lbd at %s, but this lbadm speaks no command yet\n",
			path);
	return 2;
}
