/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * notifier.h - the daemon's one inotify instance, through libinotifytools.
 *
 * Process-wide (libinotifytools keeps global state): one init per process,
 * loop thread only. The caller watches notifier_fd() for reading (ev_io) and
 * calls notifier_drain from the callback; it maps wd -> directory itself
 * (filetable_lookup_wd), never through libinotifytools' filename table.
 */
#ifndef GGEN_NOTIFIER_H
#define GGEN_NOTIFIER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/inotify.h>

#include "gerr.h"

/*
 * What every directory watch asks for. IN_ONLYDIR and IN_DONT_FOLLOW make a
 * watch land on the directory itself or fail; IN_EXCL_UNLINK keeps unlinked
 * but open files from producing events.
 */
#define NOTIFIER_MASK (IN_CREATE | IN_CLOSE_WRITE | IN_MOVED_FROM | \
	IN_MOVED_TO | IN_DELETE | IN_DELETE_SELF | IN_MOVE_SELF | IN_ATTRIB | \
	IN_ONLYDIR | IN_DONT_FOLLOW | IN_EXCL_UNLINK)

/* The sysctl that raises the watch limit, for `status` and log lines. */
#define NOTIFIER_SYSCTL "fs.inotify.max_user_watches"

struct notifier_status {
	size_t used;		/* watches this process holds */
	long limit;		/* max_user_watches, -1 if unreadable */
	size_t cap;		/* test cap, 0 = none */
	uint64_t enospc;	/* watches refused for lack of room */
	uint64_t overflows;	/* IN_Q_OVERFLOW events seen */
};

/*
 * wd is -1 for IN_Q_OVERFLOW. name is the entry inside the watched directory
 * ("" for events on the directory itself); borrowed for the call. IN_IGNORED
 * (the watch is gone: rm_watch, directory deleted, unmount) is passed on
 * after the notifier forgot the wd.
 */
typedef void (*notifier_event_cb)(void *arg, int32_t wd, uint32_t mask,
    uint32_t cookie, const char *name);

/*
 * Initialise libinotifytools and find its inotify fd: the one
 * /proc/self/fd entry linking to anon_inode:inotify that was not there
 * before, verified by a watch showing up in its fdinfo. Sets O_NONBLOCK and
 * FD_CLOEXEC. Errors: GERR_IO (inotify unavailable, /proc unreadable),
 * GERR_INTERNAL (fd not found), GERR_BUSY (already initialised).
 */
int notifier_init(struct gerr *err);

/* Close the instance and forget every watch; safe when not initialised. */
void notifier_cleanup(void);

/* The inotify fd (owned by libinotifytools), or -1 before init. */
int notifier_fd(void);

/*
 * Watch directory path (borrowed) with NOTIFIER_MASK; *wd gets the watch
 * descriptor. Errors: GERR_LIMIT when out of watches (ENOSPC, or the test
 * cap): the message shows used/limit and the sysctl; the caller polls that
 * subtree instead. GERR_IO for anything else (ENOENT, ENOTDIR, EACCES), the
 * message naming path and strerror.
 */
int notifier_add_watch(const char *path, int32_t *wd, struct gerr *err);

/*
 * A watch added off the loop thread (a warm walk's pool threads call
 * inotify_add_watch(notifier_fd(), path, NOTIFIER_MASK) themselves: the
 * call is thread-safe on one fd): w is what it returned, error its errno
 * when w < 0. Records w as notifier_add_watch would, with its errors
 * (GERR_LIMIT for ENOSPC, GERR_IO otherwise). Loop thread only; only
 * when no test cap is set (notifier_status: cap 0), as the cap is checked
 * before the call.
 */
int notifier_adopt_watch(const char *path, int32_t w, int error,
    int32_t *wd, struct gerr *err);

/* Remove a watch; false if wd was not ours (already gone). */
bool notifier_remove_watch(int32_t wd);

/*
 * Read the queued events into cb: one read(2) of a 64 KiB buffer, more
 * only while a read fills it. Events queued after the last read leave the
 * fd readable (the caller's level-triggered ev_io calls again). cb must
 * not call notifier_drain. Returns the number of events.
 */
size_t notifier_drain(notifier_event_cb cb, void *arg);

/* Bytes of events queued in the kernel and not read yet (FIONREAD); 0
 * when none, on error, or before notifier_init. */
size_t notifier_queued(void);

void notifier_status(struct notifier_status *out);

/* Test hook (daemon option): refuse watches beyond cap as if the kernel
 * said ENOSPC. 0 removes the cap. */
void notifier_set_watch_cap(size_t cap);

#endif
