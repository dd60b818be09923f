/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target over lbadm's command line: an input is its arguments,
 * NUL-separated, given to lbadm's main (control/lbadm/lbadm.c, built with main
 * renamed, exit() turned into a jump back here and gethostbyname() into a
 * lookup that finds nothing). The socket is one that
 * does not exist, so every command ends at the latest when lbadm would talk
 * to lbd: the parsing and checking before that is the target. stdin is
 * /dev/null (for -R); run.sh silences lbadm's stdout and stderr with
 * -close_fd_mask=3 (libFuzzer keeps its own reports).
 */
#include <fcntl.h>
#include <netdb.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_ARGS	48

int lbadm_main(int argc, char **argv);
void lb_fuzz_exit(int status) __attribute__((noreturn));
struct hostent *lb_fuzz_gethostbyname(const char *name);
int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static jmp_buf back;

/* lbadm's exit(): back to the input's caller. */
void
lb_fuzz_exit(int status)
{
	(void)status;
	longjmp(back, 1);
}

/* lbadm's gethostbyname(): no name resolves here. A lookup would go to DNS,
 * making runs slow and dependent on the network; numeric addresses, the
 * parser's own work, never get this far. */
struct hostent *
lb_fuzz_gethostbyname(const char *name)
{
	(void)name;
	return NULL;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	int fd = open("/dev/null", O_RDWR);

	if (fd < 0)
		abort();
	dup2(fd, 0);
	close(fd);
	setenv("LBD_SOCKET", "/nonexistent/lbd.sock", 1);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char buf[4096];
	char *argv[MAX_ARGS + 2];
	volatile int argc = 1;
	size_t i, start = 0;

	if (size >= sizeof(buf))
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	argv[0] = "lbadm";
	for (i = 0; i <= size && argc < MAX_ARGS + 1; i++)
		if (buf[i] == '\0') {
			argv[argc++] = buf + start;
			start = i + 1;
		}
	argv[argc] = NULL;
	if (setjmp(back) == 0)
		lbadm_main(argc, argv);
	return 0;
}
