/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * pidfile.c - flock'ed pidfile. Called by ggend_start/ggend_release.
 * Invariant: we unlink only a file whose lock we hold, so a second daemon
 * refused at startup never removes the first one's pidfile.
 *
 * One subtlety: flock belongs to the open file description, and a child
 * that posix_spawn has cloned but not yet exec'd still holds a copy of our
 * (CLOEXEC) descriptor. After a kill -9 of the daemon, such a child can keep
 * the lock for a moment after the daemon is gone. So when the lock is held
 * but the pid written in the file no longer exists, the holder can only be
 * such a child: we wait for the lock, at most PIDFILE_ORPHAN_WAIT_S.
 */
#include "pidfile.h"

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "log.h"

#define PIDFILE_ORPHAN_WAIT_S 3

static void
pidfile_alarm(int sig)
{
	(void)sig;	/* only interrupts the blocking flock below */
}

/* Whether the pid text names a process that no longer exists. */
static bool
pidfile_owner_gone(const char *pid_text)
{
	char *end;
	long pid = strtol(pid_text, &end, 10);

	if (pid <= 0 || end == pid_text)
		return false;
	return kill((pid_t)pid, 0) != 0 && errno == ESRCH;
}

/* Block on the lock, interrupted by SIGALRM after PIDFILE_ORPHAN_WAIT_S.
 * Startup only: nothing else uses SIGALRM in ggend. */
static int
pidfile_wait_lock(int fd)
{
	struct sigaction sa = { .sa_handler = pidfile_alarm }, old;
	int rc, e;

	sigemptyset(&sa.sa_mask);	/* no SA_RESTART: flock returns EINTR */
	sigaction(SIGALRM, &sa, &old);
	alarm(PIDFILE_ORPHAN_WAIT_S);
	rc = flock(fd, LOCK_EX);
	e = errno;
	alarm(0);
	sigaction(SIGALRM, &old, NULL);
	errno = e;
	return rc;
}

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
		if (e == EWOULDBLOCK && pidfile_owner_gone(buf)) {
			log_info("pidfile %s: pid %s is gone but its lock is "
			    "still held (a child of it exiting); waiting",
			    path, buf);
			if (pidfile_wait_lock(pfd) == 0)
				goto locked;
			e = errno == EINTR ? EWOULDBLOCK : errno;
		}
		close(pfd);
		if (e == EWOULDBLOCK)
			return gerr_set(err, GERR_ALREADY_RUNNING,
			    "ggend is already running (pid %s, pidfile %s)",
			    buf[0] != '\0' ? buf : "unknown", path);
		return gerr_set(err, GERR_IO, "flock %s: %s", path,
		    strerror(e));
	}
locked:
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
