/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * pidfile.c - flock'ed pidfile. Called by ggend_start/ggend_release.
 * Invariant: we unlink only a file whose lock we hold, so a second daemon
 * refused at startup never removes the first one's pidfile.
 */
#include "pidfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "log.h"

int
pidfile_acquire(const char *path, int *fd, struct gerr *err)
{
	char buf[32];
	ssize_t n;
	int len, pfd;

	*fd = -1;
	pfd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (pfd < 0)
		return gerr_set(err, GERR_IO, "open %s: %s", path,
		    strerror(errno));
	if (flock(pfd, LOCK_EX | LOCK_NB) != 0) {
		int e = errno;

		n = read(pfd, buf, sizeof(buf) - 1);
		buf[n > 0 ? n : 0] = '\0';
		buf[strcspn(buf, "\n")] = '\0';
		close(pfd);
		if (e == EWOULDBLOCK)
			return gerr_set(err, GERR_ALREADY_RUNNING,
			    "ggend is already running (pid %s, pidfile %s)",
			    buf[0] != '\0' ? buf : "unknown", path);
		return gerr_set(err, GERR_IO, "flock %s: %s", path,
		    strerror(e));
	}
	len = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (ftruncate(pfd, 0) != 0 ||
	    pwrite(pfd, buf, (size_t)len, 0) != (ssize_t)len) {
		int e = errno;

		close(pfd);
		return gerr_set(err, GERR_IO, "write %s: %s", path,
		    strerror(e));
	}
	*fd = pfd;
	return 0;
}

void
pidfile_release(const char *path, int fd)
{
	if (fd < 0)
		return;
	if (unlink(path) != 0)
		log_warn("unlink %s: %s", path, strerror(errno));
	close(fd);
}
