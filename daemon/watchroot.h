/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * watchroot.h - one watched root: crawl, watches, events, hashes, polling,
 * composed from filetable, crawl, notifier, hashpool and poller.
 *
 * Loop thread only. The daemon wires it into the loop:
 *   - while watchroot_busy(): call watchroot_step() from an ev_idle (crawls
 *     run in slices: the initial one, directories created or moved in);
 *   - notifier fd readable: notifier_drain() and hand each event to the root
 *     owning its wd (watchroot_owns_wd) via watchroot_event(); an event with
 *     wd -1 and IN_Q_OVERFLOW goes to every root's watchroot_overflow();
 *     after the drain call watchroot_flush_moves() on every root;
 *   - hash pool ev_async: hashpool_drain() and hand results whose
 *     generation matches to watchroot_hash_result();
 *   - while watchroot_status().polled_dirs > 0: an ev_timer calling
 *     watchroot_poll().
 * Content changes (added, modified = new hash differs, removed) reach the
 * on_change callback, each exactly once, in clock order.
 */
#ifndef GGEN_WATCHROOT_H
#define GGEN_WATCHROOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crawl.h"
#include "filetable.h"
#include "gerr.h"
#include "hashpool.h"

struct watchroot;

/* e borrowed for the call; the table is consistent when it runs. */
typedef void (*watchroot_change_cb)(void *arg, const struct filetable_entry *e,
    enum filetable_change change);

struct watchroot_config {
	crawl_ignore_cb is_ignored;	/* NULL = nothing ignored */
	watchroot_change_cb on_change;	/* NULL = none */
	void *arg;			/* for both */
	struct hashpool *pool;		/* borrowed, outlives the root */
	uint64_t generation;		/* this root's jobs in the pool */
	size_t max_tombstones;		/* 0 = filetable default */
	bool force_poll;		/* poll even a local root (tests) */
	/* A table restored from a snapshot (transferred to the root, NULL =
	 * start empty): the first crawl then compares stat tuples with it,
	 * hashes only what differs (or is racy), and tombstones what it does
	 * not find. Until that walk and its hashes are done, nothing is
	 * reported to on_change (as for a first crawl); the differences are
	 * stamped in the table for changes_since. */
	struct filetable *table;
};

struct watchroot_status {
	size_t files, dirs;
	size_t watched_dirs;
	size_t polled_dirs;
	size_t hash_pending;	/* files whose hash is not known yet */
	size_t hash_errors;	/* files that could not be read */
	size_t hash_backlog;	/* waiting for room in the pool */
	bool crawling;
	bool remote;		/* whole root polled: fs is nfs/cifs/fuse */
	bool gone;		/* the root itself was deleted or moved away */
	const char *fs;		/* crawl_fs_kind_name */
	uint64_t overflows;
	uint64_t clock;
	bool warm;		/* started from a restored table */
	bool loading;		/* first walk (and, warm, its hashes) not done */
	size_t swept;		/* restored entries the warm walk did not find */
	uint64_t files_hashed;	/* read and hashed (pool or inline) */
	uint64_t bytes_hashed;
	/* Last "out of watches" message (used/limit, sysctl), "" if none;
	 * borrowed until the next call on w. */
	const char *watch_limit_msg;
};

/*
 * Start watching root (an absolute directory path, copied). Nothing is
 * crawled yet: the first watchroot_step does. cfg copied. Errors: GERR_IO
 * when root cannot be statfs'ed. *out owned by the caller on success.
 */
int watchroot_new(const char *root, const struct watchroot_config *cfg,
    struct watchroot **out, struct gerr *err);

/* Remove every watch of the root, cancel its hash jobs, free it. NULL ok. */
void watchroot_free(struct watchroot *w);

/* Crawl work left (initial crawl, new or moved-in directories)? */
bool watchroot_busy(const struct watchroot *w);
/* Do up to max_entries of crawl work; returns watchroot_busy(). */
bool watchroot_step(struct watchroot *w, size_t max_entries);

bool watchroot_owns_wd(const struct watchroot *w, int32_t wd);
/* One inotify event (from notifier_drain) on a wd this root owns. */
void watchroot_event(struct watchroot *w, int32_t wd, uint32_t mask,
    uint32_t cookie, const char *name);
/* End of a drain: a moved_from without its moved_to left the root. */
void watchroot_flush_moves(struct watchroot *w);
/* The kernel dropped events: rescan, report only real changes. */
void watchroot_overflow(struct watchroot *w);
/* Rescan the whole root as after an overflow, without counting one: the
 * ignore rules changed, so entries may have to leave or join the table. */
void watchroot_rescan(struct watchroot *w);
/* A pool result of this root's generation. */
void watchroot_hash_result(struct watchroot *w,
    const struct hashpool_result *r);
/*
 * Timer tick while directories are polled: re-stat them, then try to give
 * polled directories their watch back (recovery once watches free up).
 */
void watchroot_poll(struct watchroot *w);

/* The table, for queries (lookup, changes_since); borrowed. */
const struct filetable *watchroot_table(const struct watchroot *w);
/* O(1): cheap enough to decide, after each callback, whether the idle
 * watcher and the poll timer should run. */
void watchroot_status(const struct watchroot *w, struct watchroot_status *out);

#endif
