/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * poller.h - re-stat the parts of a root that have no inotify watch (out of
 * watches, or a remote filesystem) and bring the file table up to date.
 *
 * The daemon calls poller_scan from an ev_timer that runs only while some
 * directory of the root is marked FILETABLE_WD_POLLED. Loop thread only.
 */
#ifndef GGEN_POLLER_H
#define GGEN_POLLER_H

#include <stddef.h>
#include <stdint.h>

#include "crawl.h"
#include "filetable.h"
#include "gerr.h"

enum poller_change {
	POLLER_ADDED = 1,	/* new file or directory (dirs come polled) */
	POLLER_STAT_CHANGED,	/* a file's tuple changed: hash it again */
	POLLER_REMOVED,		/* gone (a directory: with its subtree) */
};

/* relpath borrowed for the call; the table is already updated. */
typedef void (*poller_change_cb)(void *arg, const char *relpath,
    enum filetable_kind kind, enum poller_change change);

/* poller_scan flags. */
#define POLLER_ALL 0x1	/* rescan the whole root, watched or not (after
			 * IN_Q_OVERFLOW); new dirs are left unwatched, not
			 * marked polled: the caller watches them */

struct poller_result {
	size_t dirs_scanned;
	size_t changes;
};

/*
 * Walk every polled subtree of table t under directory root (borrowed):
 * each directory marked FILETABLE_WD_POLLED is listed and its entries
 * lstat'ed; new entries are added (new directories marked polled too),
 * changed tuples recorded (hash cleared), vanished entries removed. Watched
 * directories inside a polled subtree are left to their watches. is_ignored
 * (may be NULL) and arg as in crawl. flags: 0 or POLLER_ALL. on_change (may be NULL) hears of each
 * change. Costs O(polled entries + table size). Errors: GERR_IO when root
 * cannot be opened; unreadable directories inside are skipped.
 */
int poller_scan(const char *root, struct filetable *t,
    crawl_ignore_cb is_ignored, poller_change_cb on_change, void *arg,
    unsigned flags, struct poller_result *out, struct gerr *err);

#endif
