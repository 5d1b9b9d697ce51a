/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * systemd.c - LISTEN_FDS adoption and sd_notify, written against the
 * documented environment protocol (sd_listen_fds(3), sd_notify(3)).
 *
 * Called by ggend_start only. Owns nothing after returning: the adopted fd
 * goes to the server, the notify socket is closed at once. Reads and unsets
 * environment variables, so it must run before any thread starts.
 */
#include "systemd.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"

static int
systemd_parse_ulong(const char *s, unsigned long *out)
{
	char *end;

	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	*out = strtoul(s, &end, 10);
	return errno != 0 || *end != '\0' ? -1 : 0;
}

int
systemd_listen_fd(int *fd, struct gerr *err)
{
	const char *pid_s = getenv("LISTEN_PID");
	const char *fds_s = getenv("LISTEN_FDS");
	unsigned long pid, n;

	*fd = -1;
	if (pid_s == NULL || fds_s == NULL)
		return 0;
	if (systemd_parse_ulong(pid_s, &pid) != 0)
		return gerr_set(err, GERR_INVALID,
		    "LISTEN_PID: expected a pid, found \"%.32s\"", pid_s);
	if (pid != (unsigned long)getpid())
		return 0;	/* meant for another process */
	if (systemd_parse_ulong(fds_s, &n) != 0 || n == 0)
		return gerr_set(err, GERR_INVALID,
		    "LISTEN_FDS: expected a count >= 1, found \"%.32s\"",
		    fds_s);
	if (n > 1)
		log_warn("LISTEN_FDS=%lu: only the first socket is used", n);
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	*fd = SYSTEMD_LISTEN_FDS_START;
	return 0;
}

int
systemd_notify(const char *state, struct gerr *err)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa;
	socklen_t salen;
	size_t n;
	int fd, rc = 0;

	if (path == NULL || path[0] == '\0')
		return 0;
	n = strlen(path);
	if ((path[0] != '/' && path[0] != '@') || n >= sizeof(sa.sun_path))
		return gerr_set(err, GERR_INVALID,
		    "NOTIFY_SOCKET: unusable address \"%.64s\"", path);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, n);
	if (path[0] == '@')
		sa.sun_path[0] = '\0';	/* abstract namespace */
	salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n +
	    (path[0] == '@' ? 0 : 1));
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return gerr_set(err, GERR_IO, "socket: %s", strerror(errno));
	if (sendto(fd, state, strlen(state), MSG_NOSIGNAL,
	    (const struct sockaddr *)&sa, salen) < 0)
		rc = gerr_set(err, GERR_IO, "sendto NOTIFY_SOCKET %s: %s", path,
		    strerror(errno));
	close(fd);
	return rc;
}
