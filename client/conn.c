/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * conn.c - connect/autostart, send and receive for ggenc.
 *
 * Owns the socket fd, the lock fd (only while starting a daemon) and the
 * readiness pipe. Called by client/main.c. Between fork and exec the child
 * uses only async-signal-safe calls on data prepared before fork; exec
 * failure is reported on the readiness pipe like any startup error.
 */
#include "conn.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ready.h"
#include "sockpath.h"
#include "xmalloc.h"

#define CONN_READ_BYTES 65536

/* connect(); returns fd or -1 with errno set. */
static int
conn_try(const char *path, struct gerr *err)
{
	struct sockaddr_un sa;
	socklen_t len;
	int fd, e;

	if (sockpath_addr(path, &sa, &len, err) != 0) {
		errno = ENAMETOOLONG;
		return -1;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, len) != 0) {
		e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

/* Where ggend is: next to our own binary, else found on $PATH by exec. */
static char *
conn_find_ggend(void)
{
	char self[PATH_MAX], *slash, *p;
	ssize_t n;

	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = '\0';
		slash = strrchr(self, '/');
		if (slash != NULL) {
			*slash = '\0';
			p = xasprintf("%s/ggend", self);
			if (access(p, X_OK) == 0)
				return p;
			free(p);
		}
	}
	return xstrdup("ggend");
}

/* Start ggend for path and wait until it listens. */
static int
conn_spawn(const char *path, char *const *extra, struct gerr *err)
{
	char state[SOCKPATH_PATH_MAX], *log_path, *ggend, fdarg[16];
	char *argv[8 + CONN_SPAWN_ARGS_MAX];
	const char *state_set = NULL;
	size_t n;
	struct gerr rerr;
	static const char exec_fail[] = "cannot execute ggend (not next to "
	    "ggenc and not on $PATH)\n";
	int p[2], logfd, nullfd, rc;
	pid_t pid;

	logfd = -1;
	for (n = 0; extra != NULL && extra[n] != NULL; n++)
		if (strncmp(extra[n], "state.dir=", 10) == 0 &&
		    extra[n][10] != '\0')
			state_set = extra[n] + 10;
	if (state_set != NULL && strlen(state_set) < sizeof(state))
		snprintf(state, sizeof(state), "%s", state_set);
	if ((state_set != NULL || sockpath_state_dir(state, sizeof(state),
	    NULL) == 0) && sockpath_mkdirs(state, 0700, NULL) == 0) {
		log_path = xasprintf("%s/ggend.log", state);
		logfd = open(log_path, O_WRONLY | O_CREAT | O_APPEND |
		    O_CLOEXEC, 0600);
	} else
		log_path = xstrdup("/dev/null");
	nullfd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (pipe2(p, O_CLOEXEC) != 0) {
		rc = gerr_set(err, GERR_UNREACHABLE, "pipe: %s",
		    strerror(errno));
		goto out;
	}
	ggend = conn_find_ggend();
	snprintf(fdarg, sizeof(fdarg), "%d", 3);
	argv[0] = ggend;
	argv[1] = (char *)"--foreground";
	argv[2] = (char *)"--socket";
	argv[3] = (char *)path;
	argv[4] = (char *)"--ready-fd";
	argv[5] = fdarg;
	for (n = 0; extra != NULL && extra[n] != NULL &&
	    n < CONN_SPAWN_ARGS_MAX; n++)
		argv[6 + n] = extra[n];
	argv[6 + n] = NULL;
	pid = fork();
	if (pid == 0) {
		setsid();
		if (nullfd >= 0) {
			dup2(nullfd, 0);
			dup2(nullfd, 1);
		}
		if (logfd >= 0)
			dup2(logfd, 2);
		/* fd 3 is the readiness pipe; dup2 clears its CLOEXEC. */
		if ((p[1] == 3 ? fcntl(3, F_SETFD, 0) : dup2(p[1], 3)) < 0)
			_exit(127);
		execvp(ggend, argv);
		if (write(3, exec_fail, sizeof(exec_fail) - 1) < 0)
			_exit(127);
		_exit(127);
	}
	close(p[1]);
	if (pid < 0)
		rc = gerr_set(err, GERR_UNREACHABLE, "fork: %s",
		    strerror(errno));
	else {
		gerr_clear(&rerr);
		rc = ready_wait(p[0], CONN_READY_TIMEOUT_MS, &rerr);
		if (rc != 0) {
			rc = gerr_set(err, GERR_UNREACHABLE, "%s (log: %s)",
			    rerr.msg, log_path);
			waitpid(pid, NULL, WNOHANG);
		} else
			/* Once, on stderr: a daemon now runs that the user
			 * did not start by hand; say where to look. */
			fprintf(stderr, "ggenc: started ggend (pid %ld) on %s; "
			    "it logs to %s\n", (long)pid, path, log_path);
	}
	close(p[0]);
	free(ggend);
out:
	if (nullfd >= 0)
		close(nullfd);
	if (logfd >= 0)
		close(logfd);
	free(log_path);
	return rc;
}

int
conn_open(struct conn *c, const char *path, bool autostart, struct gerr *err)
{
	return conn_open_args(c, path, autostart, NULL, err);
}

int
conn_open_args(struct conn *c, const char *path, bool autostart,
    char *const *spawn_args, struct gerr *err)
{
	struct gerr dir_err;
	char *lock_path;
	int fd, lockfd, e, rc;

	c->fd = -1;
	framing_init(&c->in, CONN_MAX_LINE);
	fd = conn_try(path, err);
	if (fd >= 0) {
		c->fd = fd;
		return 0;
	}
	e = errno;
	if (!autostart || (e != ENOENT && e != ECONNREFUSED))
		return gerr_set(err, GERR_UNREACHABLE,
		    "cannot connect to ggend at %s: %s%s", path, strerror(e),
		    autostart ? "" : " (not starting one)");
	gerr_clear(&dir_err);
	if (sockpath_check_dir(path, true, &dir_err) != 0)
		return gerr_set(err, GERR_UNREACHABLE, "%s", dir_err.msg);
	lock_path = xasprintf("%s.lock", path);
	lockfd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (lockfd < 0 || flock(lockfd, LOCK_EX) != 0) {
		rc = gerr_set(err, GERR_UNREACHABLE, "lock %s: %s", lock_path,
		    strerror(errno));
		if (lockfd >= 0)
			close(lockfd);
		free(lock_path);
		return rc;
	}
	/* Another ggenc may have started a daemon while we waited. */
	fd = conn_try(path, NULL);
	if (fd < 0) {
		rc = conn_spawn(path, spawn_args, err);
		if (rc == 0) {
			fd = conn_try(path, NULL);
			if (fd < 0)
				rc = gerr_set(err, GERR_UNREACHABLE,
				    "ggend started but %s refuses: %s", path,
				    strerror(errno));
		}
	}
	close(lockfd);
	free(lock_path);
	c->fd = fd;
	return fd >= 0 ? 0 : rc;
}

int
conn_send(struct conn *c, const char *line, struct gerr *err)
{
	size_t len = strlen(line), off = 0;
	ssize_t n;

	while (off < len) {
		n = send(c->fd, line + off, len - off, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return gerr_set(err, GERR_UNREACHABLE,
			    "send to ggend: %s", strerror(errno));
		off += (size_t)n;
	}
	return 0;
}

int
conn_recv(struct conn *c, struct msg_reply *msg, struct gerr *err)
{
	return conn_recv_intr(c, NULL, NULL, msg, err);
}

int
conn_recv_intr(struct conn *c, volatile sig_atomic_t *flag,
    const sigset_t *waitmask, struct msg_reply *msg, struct gerr *err)
{
	char buf[CONN_READ_BYTES];
	struct pollfd pfd;
	size_t len;
	char *line;
	ssize_t n;
	int rc;

	memset(msg, 0, sizeof(*msg));
	for (;;) {
		rc = framing_next(&c->in, &line, &len, err);
		if (rc == 1 && len == 0)
			continue;
		if (rc == 1)
			return msg_reply_parse(line, len, msg, err);
		if (rc != 0)
			return rc;
		if (flag != NULL) {
			/* The signal is blocked outside ppoll, so it cannot
			 * slip in between this test and the wait. */
			if (*flag)
				return CONN_INTERRUPTED;
			pfd.fd = c->fd;
			pfd.events = POLLIN;
			pfd.revents = 0;
			if (ppoll(&pfd, 1, NULL, waitmask) < 0) {
				if (errno == EINTR)
					continue;
				return gerr_set(err, GERR_UNREACHABLE,
				    "wait for ggend: %s", strerror(errno));
			}
		}
		n = read(c->fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return gerr_set(err, GERR_UNREACHABLE,
			    "read from ggend: %s", strerror(errno));
		if (n == 0)
			return gerr_set(err, GERR_UNREACHABLE,
			    "ggend closed the connection before replying");
		framing_feed(&c->in, buf, (size_t)n);
	}
}

void
conn_close(struct conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	framing_release(&c->in);
}
