/* SPDX-License-Identifier: BSD-3-Clause */
/* lbadm's socket client (see client.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "control/lbadm/client.h"

int
lb_client_connect(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	strcpy(sun.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		int e = errno;

		close(fd);
		return -e;
	}
	return fd;
}

static int
write_all(int fd, const void *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -EIO;
		p = (const char *)p + w;
		n -= (size_t)w;
	}
	return 0;
}

static int
read_all(int fd, void *p, size_t n)
{
	while (n > 0) {
		ssize_t r = read(fd, p, n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -EIO;
		p = (char *)p + r;
		n -= (size_t)r;
	}
	return 0;
}

int
lb_client_call(int fd, uint16_t type, const void *body, uint32_t len, void **resp,
		uint32_t *resp_len)
{
	static uint32_t next_id;
	struct lb_api_req req = {
		.magic = LB_API_MAGIC, .version = LB_API_VERSION, .type = type, .len = len,
		.id = __atomic_add_fetch(&next_id, 1, __ATOMIC_RELAXED),
	};
	struct lb_api_resp r;
	void *buf = NULL;

	*resp = NULL;
	*resp_len = 0;
	if (write_all(fd, &req, sizeof(req)) < 0 || (len > 0 && write_all(fd, body, len) < 0))
		return -EIO;
	if (read_all(fd, &r, sizeof(r)) < 0)
		return -EIO;
	if (r.magic != LB_API_MAGIC || r.version != LB_API_VERSION || r.len > LB_API_MAX_RESP ||
			(r.id != req.id && r.status == 0))
		return -EPROTO;
	if (r.len > 0) {
		buf = malloc(r.len);
		if (buf == NULL)
			return -ENOMEM;
		if (read_all(fd, buf, r.len) < 0) {
			free(buf);
			return -EIO;
		}
	}
	*resp = buf;
	*resp_len = r.len;
	return r.status;
}
