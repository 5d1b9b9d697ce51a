/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * notifier.c - THE one file that touches libinotifytools.
 *
 * libinotifytools keeps process-wide state (its inotify fd, watch trees, a
 * static event buffer) and is not thread-safe. That state, and this file's
 * notifier_state mirroring it, are the only sanctioned globals besides the
 * logger (doc/ARCHITECTURE.md 2): every function here runs on the loop
 * thread.
 *
 * Owns: the library's initialisation, knowledge of its inotify fd, and the
 * set of watch descriptors we hold (for `status` used/limit and the test
 * cap). Called by: the daemon's watch code (add/remove a directory watch,
 * drain from the fd's ev_io callback), status, and main (init, cleanup).
 *
 * Why watches bypass the library: inotifytools_watch_file only returns 1/0
 * and keeps a filename -> wd tree that is never told when the kernel drops
 * a watch (directory deleted), so a new directory at the same path would
 * map to the dead wd. We call inotify_add_watch/inotify_rm_watch on the
 * library's own fd instead; the caller maps wd -> directory in its file
 * table.
 *
 * Why events are read directly too: inotifytools_next_events(0, ...)
 * costs, per call, a pselect (is anything there?), an ioctl(FIONREAD) and
 * the read, and the drain needs a second call and pselect to learn the
 * queue is empty: four syscalls where one read(2) of a large buffer does
 * (measured for issue 15: 3 of the 12 syscalls of a small file's save).
 * The library's own buffer stays empty since nothing reads through it,
 * so nothing is hidden from the loop's poll: an event that arrives after
 * our read makes the (level-triggered) fd readable again.
 *
 * Invariants: notifier_state.active holds exactly the wds added and not yet
 * removed or IN_IGNORED; fd is the library's fd while init is true.
 * Never: call libinotifytools from a worker thread, read events through
 * the library (its buffer would hide them from poll), or use the library's
 * filename table.
 */
#include "notifier.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <inotifytools/inotifytools.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "wdmap.h"
#include "xmalloc.h"

#define NOTIFIER_ANON "anon_inode:inotify"
#define NOTIFIER_LIMIT_PATH "/proc/sys/fs/inotify/max_user_watches"
#define NOTIFIER_FDINFO_MAX 65536
/* One read(2) takes up to this much of the queue: ~2000 events of short
 * names. The kernel hands out whole events only. */
#define NOTIFIER_READ_BYTES 65536
/* The largest single event: a read that left at least this much of the
 * buffer unused found the queue empty. */
#define NOTIFIER_EVENT_MAX (sizeof(struct inotify_event) + NAME_MAX + 1)

static struct {
	bool init;
	int fd;
	struct wdmap active;
	size_t cap;
	uint64_t enospc;
	uint64_t overflows;
	/* The drain's read buffer, aligned for struct inotify_event. */
	union {
		struct inotify_event ev;
		char bytes[NOTIFIER_READ_BYTES];
	} buf;
} notifier_state = { .fd = -1 };

struct notifier_fdset {
	int *fds;
	size_t n;
};

/* Every fd of this process that is an inotify instance. */
static int
notifier_list_inotify_fds(struct notifier_fdset *set, struct gerr *err)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	char link[64];

	set->fds = NULL;
	set->n = 0;
	if (d == NULL)
		return gerr_set(err, GERR_IO, "opendir /proc/self/fd: %s",
		    strerror(errno));
	while ((de = readdir(d)) != NULL) {
		ssize_t len;

		if (de->d_name[0] == '.')
			continue;
		len = readlinkat(dirfd(d), de->d_name, link, sizeof(link) - 1);
		if (len < 0)
			continue;	/* closed meanwhile, or the DIR's own fd */
		link[len] = '\0';
		if (strcmp(link, NOTIFIER_ANON) != 0)
			continue;
		set->fds = xreallocarray(set->fds, set->n + 1,
		    sizeof(*set->fds));
		set->fds[set->n++] = atoi(de->d_name);
	}
	closedir(d);
	return 0;
}

static bool
notifier_fdset_has(const struct notifier_fdset *set, int fd)
{
	for (size_t i = 0; i < set->n; i++) {
		if (set->fds[i] == fd)
			return true;
	}
	return false;
}

/* Does /proc/self/fdinfo/fd list a watch wd on inode ino? */
static bool
notifier_fdinfo_has(int fd, int wd, ino_t ino)
{
	char path[64], needle[64];
	char *buf = xmalloc(NOTIFIER_FDINFO_MAX);
	ssize_t len = -1;
	bool found = false;
	int info;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	info = open(path, O_RDONLY | O_CLOEXEC);
	if (info >= 0) {
		len = read(info, buf, NOTIFIER_FDINFO_MAX - 1);
		close(info);
	}
	if (len > 0) {
		buf[len] = '\0';
		/* The kernel prints both in hex. */
		snprintf(needle, sizeof(needle), "inotify wd:%x ino:%jx ",
		    (unsigned)wd, (uintmax_t)ino);
		found = strstr(buf, needle) != NULL;
	}
	free(buf);
	return found;
}

/* The library's fd is the one inotify fd that is new since before; prove it
 * by watching "/" through the library and finding that watch in fdinfo. */
static int
notifier_find_fd(const struct notifier_fdset *before, int *fd_out,
    struct gerr *err)
{
	struct notifier_fdset after;
	struct stat st;
	int fd = -1, wd, rc;
	bool ok;

	rc = notifier_list_inotify_fds(&after, err);
	if (rc != 0)
		return rc;
	for (size_t i = 0; i < after.n && rc == 0; i++) {
		if (notifier_fdset_has(before, after.fds[i]))
			continue;
		if (fd != -1)
			rc = gerr_set(err, GERR_INTERNAL, "notifier: two new "
			    "inotify fds (%d, %d) after init", fd,
			    after.fds[i]);
		fd = after.fds[i];
	}
	free(after.fds);
	if (rc != 0)
		return rc;
	if (fd == -1)
		return gerr_set(err, GERR_INTERNAL, "notifier: no new %s fd "
		    "in /proc/self/fd after init", NOTIFIER_ANON);
	if (stat("/", &st) != 0 ||
	    !inotifytools_watch_file("/", IN_DELETE_SELF))
		return gerr_set(err, GERR_IO, "notifier: probe watch on /: %s",
		    strerror(errno));
	wd = inotifytools_wd_from_filename("/");
	ok = wd > 0 && notifier_fdinfo_has(fd, wd, st.st_ino);
	inotifytools_remove_watch_by_filename("/");
	if (!ok)
		return gerr_set(err, GERR_INTERNAL, "notifier: fd %d does not "
		    "hold libinotifytools' probe watch", fd);
	*fd_out = fd;
	return 0;
}

static void
notifier_discard(void *arg, int32_t wd, uint32_t mask, uint32_t cookie,
    const char *name)
{
	(void)arg;
	(void)wd;
	(void)mask;
	(void)cookie;
	(void)name;
}

int
notifier_init(struct gerr *err)
{
	struct notifier_fdset before;
	int fd = -1, flags, rc;

	if (notifier_state.init)
		return gerr_set(err, GERR_BUSY, "notifier: already initialised");
	rc = notifier_list_inotify_fds(&before, err);
	if (rc != 0)
		return rc;
	if (!inotifytools_initialize()) {
		free(before.fds);
		return gerr_set(err, GERR_IO, "inotify_init: %s",
		    strerror(inotifytools_error()));
	}
	rc = notifier_find_fd(&before, &fd, err);
	free(before.fds);
	if (rc != 0) {
		inotifytools_cleanup();
		return rc;
	}
	flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0 ||
	    fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) {
		int e = errno;

		inotifytools_cleanup();
		return gerr_set(err, GERR_IO, "fcntl inotify fd: %s",
		    strerror(e));
	}
	notifier_state.fd = fd;
	notifier_state.init = true;
	notifier_state.enospc = notifier_state.overflows = 0;
	wdmap_init(&notifier_state.active);
	/* The probe's IN_IGNORED is ours, not the caller's. */
	(void)notifier_drain(notifier_discard, NULL);
	return 0;
}

void
notifier_cleanup(void)
{
	if (!notifier_state.init)
		return;
	inotifytools_cleanup();
	wdmap_release(&notifier_state.active);
	notifier_state.init = false;
	notifier_state.fd = -1;
}

int
notifier_fd(void)
{
	return notifier_state.fd;
}

static long
notifier_read_limit(void)
{
	char buf[32];
	ssize_t n = -1;
	int fd = open(NOTIFIER_LIMIT_PATH, O_RDONLY | O_CLOEXEC);

	if (fd >= 0) {
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
	}
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return strtol(buf, NULL, 10);
}

static int
notifier_out_of_watches(const char *path, struct gerr *err)
{
	long limit = notifier_read_limit();

	notifier_state.enospc++;
	if (notifier_state.cap != 0)
		return gerr_set(err, GERR_LIMIT, "inotify watch %s: out of "
		    "watches (%zu/%zu, test cap); polling instead", path,
		    notifier_state.active.used, notifier_state.cap);
	return gerr_set(err, GERR_LIMIT, "inotify watch %s: out of watches "
	    "(%zu/%ld); polling instead; raise sysctl %s", path,
	    notifier_state.active.used, limit, NOTIFIER_SYSCTL);
}

int
notifier_add_watch(const char *path, int32_t *wd, struct gerr *err)
{
	int w;

	if (!notifier_state.init)
		return gerr_set(err, GERR_INTERNAL, "notifier: not initialised");
	if (notifier_state.cap != 0 &&
	    notifier_state.active.used >= notifier_state.cap)
		return notifier_out_of_watches(path, err);
	w = inotify_add_watch(notifier_state.fd, path, NOTIFIER_MASK);
	if (w < 0) {
		if (errno == ENOSPC)
			return notifier_out_of_watches(path, err);
		return gerr_set(err, GERR_IO, "inotify watch %s: %s", path,
		    strerror(errno));
	}
	wdmap_put(&notifier_state.active, w, 0);
	*wd = w;
	return 0;
}

bool
notifier_remove_watch(int32_t wd)
{
	if (!notifier_state.init || !wdmap_del(&notifier_state.active, wd))
		return false;
	/* EINVAL here means the kernel dropped it already: same outcome. */
	(void)inotify_rm_watch(notifier_state.fd, wd);
	return true;
}

size_t
notifier_drain(notifier_event_cb cb, void *arg)
{
	char *buf = notifier_state.buf.bytes;
	const struct inotify_event *ev;
	ssize_t len;
	size_t n = 0, off;

	if (!notifier_state.init)
		return 0;
	for (;;) {
		len = read(notifier_state.fd, buf, NOTIFIER_READ_BYTES);
		if (len < 0 && errno == EINTR)
			continue;
		if (len <= 0)
			break;		/* EAGAIN: the queue is empty */
		for (off = 0; off + sizeof(*ev) <= (size_t)len;
		    off += sizeof(*ev) + ev->len) {
			ev = (const struct inotify_event *)(buf + off);
			if (ev->mask & IN_Q_OVERFLOW)
				notifier_state.overflows++;
			if (ev->mask & IN_IGNORED)
				wdmap_del(&notifier_state.active, ev->wd);
			cb(arg, ev->wd, ev->mask, ev->cookie,
			    ev->len > 0 ? ev->name : "");
			n++;
		}
		/* Room for one more event was left: the queue was empty
		 * when read. One read per wake-up, not a second one to see
		 * EAGAIN; a later event makes the fd readable again. */
		if ((size_t)len <= NOTIFIER_READ_BYTES - NOTIFIER_EVENT_MAX)
			break;
	}
	return n;
}

size_t
notifier_queued(void)
{
	int n = 0;

	if (!notifier_state.init ||
	    ioctl(notifier_state.fd, FIONREAD, &n) != 0 || n < 0)
		return 0;
	return (size_t)n;
}

void
notifier_status(struct notifier_status *out)
{
	out->used = notifier_state.init ? notifier_state.active.used : 0;
	out->limit = notifier_read_limit();
	out->cap = notifier_state.cap;
	out->enospc = notifier_state.enospc;
	out->overflows = notifier_state.overflows;
}

void
notifier_set_watch_cap(size_t cap)
{
	notifier_state.cap = cap;
}

int
notifier_adopt_watch(const char *path, int32_t w, int error, int32_t *wd,
    struct gerr *err)
{
	if (!notifier_state.init)
		return gerr_set(err, GERR_INTERNAL, "notifier: not initialised");
	if (w < 0) {
		if (error == ENOSPC)
			return notifier_out_of_watches(path, err);
		return gerr_set(err, GERR_IO, "inotify watch %s: %s", path,
		    strerror(error));
	}
	wdmap_put(&notifier_state.active, w, 0);
	*wd = w;
	return 0;
}
