/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * rootsync.h - keeps one watched root's file table in sync with the disk:
 * crawl, watches, events, hashes, polling, composed from filetable, crawl,
 * notifier, hashpool and poller. (The root as the daemon knows it, with
 * its model, ignore rules and waiters, is struct watch_root in watch.h;
 * it holds one struct rootsync.)
 *
 * Loop thread only. The daemon wires it into the loop:
 *   - while rootsync_busy(): call rootsync_step() from an ev_idle (crawls
 *     run in slices: the initial one, directories created or moved in);
 *   - notifier fd readable: notifier_drain() and hand each event to the root
 *     owning its wd (rootsync_owns_wd) via rootsync_event(); an event with
 *     wd -1 and IN_Q_OVERFLOW goes to every root's rootsync_overflow();
 *     after the drain call rootsync_flush_moves() on every root;
 *   - hash pool ev_async: hashpool_drain() and hand results whose
 *     generation matches to rootsync_hash_result();
 *   - while rootsync_status().polled_dirs > 0: an ev_timer calling
 *     rootsync_poll().
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

struct rootsync;

/* e borrowed for the call; the table is consistent when it runs. */
typedef void (*rootsync_change_cb)(void *arg, const struct filetable_entry *e,
    enum filetable_change change);

/* Bits of rootsync_ignores_cb's kinds. */
#define ROOTSYNC_IGN_GGENIGNORE 0x1u
#define ROOTSYNC_IGN_GITIGNORE 0x2u

/*
 * The warm walk is about to handle directory rel (not the root), restored
 * from the table: read the ignore files of kinds there now (a directory
 * new to the table gets them read by is_ignored, as it is discovered).
 */
typedef void (*rootsync_ignores_cb)(void *arg, const char *rel,
    unsigned kinds);

struct rootsync_config {
	crawl_ignore_cb is_ignored;	/* NULL = nothing ignored */
	rootsync_change_cb on_change;	/* NULL = none */
	rootsync_ignores_cb load_ignores;	/* NULL = none */
	void *arg;			/* for all three */
	struct hashpool *pool;		/* borrowed, outlives the root */
	uint64_t generation;		/* this root's jobs in the pool */
	size_t max_tombstones;		/* 0 = filetable default */
	bool force_poll;		/* poll even a local root (tests) */
	/* Threads stat'ing a warm walk's known names (crawl_config.threads;
	 * 0 or 1: the loop thread alone). */
	unsigned walk_threads;
	/* A table restored from a snapshot (transferred to the root, NULL =
	 * start empty): the first crawl then compares stat tuples with it,
	 * hashes only what differs (or is racy), and tombstones what it does
	 * not find. Until that walk and its hashes are done, nothing is
	 * reported to on_change (as for a first crawl); the differences are
	 * stamped in the table for changes_since. A restored directory whose
	 * stat is unchanged, that was complete (filetable_set_complete) and
	 * has its children list (filetable_restore_children) is not read:
	 * its known entries are stat'ed (each still is). One that held
	 * ignored names (FILETABLE_F_IGNORED) is not read either when
	 * rules_same is set; at the end of the walk, every ignore file then
	 * read, rules_same says whether the rules are those the table was
	 * saved under, and if not the whole root is read again before it is
	 * ready (a name ignored then may not be now). */
	struct filetable *table;
	bool (*rules_same)(void *arg);	/* NULL = read such directories */
};

struct rootsync_status {
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
	size_t dirs_known;	/* warm walk: dirs stat'ed from their list */
	size_t dirs_read;	/* dirs read (crawl) */
	uint64_t files_hashed;	/* read and hashed (pool or inline) */
	uint64_t bytes_hashed;
	/* Last "out of watches" message (used/limit, sysctl), "" if none;
	 * borrowed until the next call on w. */
	const char *watch_limit_msg;
};

/*
 * Start watching root (an absolute directory path, copied). Nothing is
 * crawled yet: the first rootsync_step does. cfg copied. Errors: GERR_IO
 * when root cannot be statfs'ed. *out owned by the caller on success.
 */
int rootsync_new(const char *root, const struct rootsync_config *cfg,
    struct rootsync **out, struct gerr *err);

/* Remove every watch of the root, cancel its hash jobs, free it. NULL ok. */
void rootsync_free(struct rootsync *w);

/* Crawl work left (initial crawl, new or moved-in directories)? */
bool rootsync_busy(const struct rootsync *w);
/* Do up to max_entries of crawl work; returns rootsync_busy(). */
bool rootsync_step(struct rootsync *w, size_t max_entries);

bool rootsync_owns_wd(const struct rootsync *w, int32_t wd);
/* One inotify event (from notifier_drain) on a wd this root owns. */
void rootsync_event(struct rootsync *w, int32_t wd, uint32_t mask,
    uint32_t cookie, const char *name);
/* End of a drain: a moved_from without its moved_to left the root. */
void rootsync_flush_moves(struct rootsync *w);
/* The kernel dropped events: rescan, report only real changes. */
void rootsync_overflow(struct rootsync *w);
/* Rescan the whole root as after an overflow, without counting one: the
 * ignore rules changed, so entries may have to leave or join the table. */
void rootsync_rescan(struct rootsync *w);
/* A pool result of this root's generation. */
void rootsync_hash_result(struct rootsync *w,
    const struct hashpool_result *r);
/*
 * Timer tick while directories are polled: re-stat them, then try to give
 * polled directories their watch back (recovery once watches free up).
 */
void rootsync_poll(struct rootsync *w);

/* The table, for queries (lookup, changes_since); borrowed. */
const struct filetable *rootsync_table(const struct rootsync *w);
/* O(1): cheap enough to decide, after each callback, whether the idle
 * watcher and the poll timer should run. */
void rootsync_status(const struct rootsync *w, struct rootsync_status *out);

#endif
