/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sockpath.c - socket/state path rules and the private-directory check.
 *
 * Called by ggend at startup (before bind) and by ggenc before connecting or
 * starting a daemon. Never creates anything but the socket's own directory
 * (and, via sockpath_mkdirs, the state dir), always 0700. The check uses
 * lstat so that a symlink planted by another user is refused, not followed.
 */
#include "sockpath.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Check what snprintf returned against the buffer and the path limit. */
static int
sockpath_fits(int n, size_t size, size_t limit, const char *buf,
    struct gerr *err)
{
	if (n < 0 || (size_t)n >= size || (size_t)n >= limit)
		return gerr_set(err, GERR_TOO_LARGE,
		    "path too long (over %zu bytes): %.200s...", limit - 1, buf);
	return 0;
}

int
sockpath_default(char *buf, size_t size, struct gerr *err)
{
	const char *env;
	int n;

	env = getenv("GGEN_SOCK");
	if (env != NULL && env[0] != '\0')
		n = snprintf(buf, size, "%s", env);
	else if ((env = getenv("XDG_RUNTIME_DIR")) != NULL && env[0] == '/')
		n = snprintf(buf, size, "%s/ggen/ggend.sock", env);
	else
		n = snprintf(buf, size, "/tmp/ggen-%lu/ggend.sock",
		    (unsigned long)getuid());
	return sockpath_fits(n, size, SOCKPATH_MAX, buf, err);
}

int
sockpath_state_dir(char *buf, size_t size, struct gerr *err)
{
	const char *env;
	int n;

	env = getenv("XDG_STATE_HOME");
	if (env != NULL && env[0] == '/')
		n = snprintf(buf, size, "%s/ggen", env);
	else if ((env = getenv("HOME")) != NULL && env[0] == '/')
		n = snprintf(buf, size, "%s/.local/state/ggen", env);
	else
		return gerr_set(err, GERR_NOT_FOUND,
		    "cannot find a state directory: set XDG_STATE_HOME or HOME");
	return sockpath_fits(n, size, SOCKPATH_PATH_MAX, buf, err);
}

int
sockpath_check_dir(const char *sock_path, bool create, struct gerr *err)
{
	char dir[SOCKPATH_PATH_MAX];
	const char *slash;
	struct stat st;
	size_t n;

	slash = strrchr(sock_path, '/');
	if (slash == NULL) {
		dir[0] = '.';
		dir[1] = '\0';
	} else {
		n = slash == sock_path ? 1 : (size_t)(slash - sock_path);
		if (n >= sizeof(dir))
			return gerr_set(err, GERR_TOO_LARGE,
			    "socket directory path too long");
		memcpy(dir, sock_path, n);
		dir[n] = '\0';
	}
	if (lstat(dir, &st) != 0) {
		if (errno != ENOENT || !create)
			return gerr_set(err, GERR_IO, "stat %s: %s", dir,
			    strerror(errno));
		if (mkdir(dir, 0700) != 0 && errno != EEXIST)
			return gerr_set(err, GERR_IO, "mkdir %s: %s", dir,
			    strerror(errno));
		if (lstat(dir, &st) != 0)
			return gerr_set(err, GERR_IO, "stat %s: %s", dir,
			    strerror(errno));
	}
	if (!S_ISDIR(st.st_mode))
		return gerr_set(err, GERR_PERMISSION,
		    "socket directory %s is not a directory; fix: remove it "
		    "or choose another path with --socket or GGEN_SOCK", dir);
	/* A shared directory (/, /tmp: sticky) is never to be removed or
	 * closed to others: the fix is a directory of one's own. */
	if ((st.st_mode & S_ISVTX) != 0 || strcmp(dir, "/") == 0) {
		if (st.st_uid == getuid() && (st.st_mode & 077) == 0)
			return 0;
		return gerr_set(err, GERR_PERMISSION,
		    "socket directory %s is shared (mode %04o, uid %lu): "
		    "other users could reach the socket; fix: a socket in a "
		    "directory of your own, mode 0700, with --socket or "
		    "GGEN_SOCK (the default is $XDG_RUNTIME_DIR/ggen/"
		    "ggend.sock)", dir, (unsigned)(st.st_mode & 07777),
		    (unsigned long)st.st_uid);
	}
	if (st.st_uid != getuid())
		return gerr_set(err, GERR_PERMISSION,
		    "socket directory %s is owned by uid %lu, not by you "
		    "(uid %lu); fix: remove it or choose another path with "
		    "--socket or GGEN_SOCK", dir, (unsigned long)st.st_uid,
		    (unsigned long)getuid());
	if ((st.st_mode & 077) != 0)
		return gerr_set(err, GERR_PERMISSION,
		    "socket directory %s has mode %04o, other users could "
		    "reach the socket; fix: chmod 700 %s", dir,
		    (unsigned)(st.st_mode & 07777), dir);
	return 0;
}

int
sockpath_mkdirs(const char *path, unsigned mode, struct gerr *err)
{
	char buf[SOCKPATH_PATH_MAX];
	size_t i, n = strlen(path);

	if (n == 0 || n >= sizeof(buf))
		return gerr_set(err, GERR_TOO_LARGE, "bad directory path");
	memcpy(buf, path, n + 1);
	for (i = 1; i <= n; i++) {
		if (buf[i] != '/' && buf[i] != '\0')
			continue;
		buf[i] = '\0';
		if (mkdir(buf, (mode_t)mode) != 0 && errno != EEXIST)
			return gerr_set(err, GERR_IO, "mkdir %s: %s", buf,
			    strerror(errno));
		buf[i] = path[i];
	}
	return 0;
}

int
sockpath_addr(const char *path, struct sockaddr_un *sa, socklen_t *len,
    struct gerr *err)
{
	size_t n = strlen(path);

	if (n >= sizeof(sa->sun_path))
		return gerr_set(err, GERR_TOO_LARGE,
		    "socket path too long (%zu bytes, at most %zu): %s", n,
		    sizeof(sa->sun_path) - 1, path);
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	memcpy(sa->sun_path, path, n + 1);
	*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
	return 0;
}
