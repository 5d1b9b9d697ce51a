/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * watch.h - the watched roots: each a daemon/rootsync wired into the loop
 * (crawl slices on an ev_idle, the notifier fd on an ev_io, hash results
 * on an ev_async, polling on an ev_timer that runs only while something is
 * polled), ignore rules, per-root debounce, files.changed publication, the
 * batch listener and persistence of the root list.
 *
 * A component: it gets its loop, settings, state directory and a publish
 * callback injected (struct watch_deps) and knows nothing of the daemon
 * around it; daemon/ggend.c wires it, tests/unit/test_watch.c runs it
 * alone. Loop thread only (libinotifytools included). Paths given to
 * watch_* are canonicalised with realpath(3); a directory inside an
 * existing root answers with that root (roots never nest).
 */
#ifndef GGEN_WATCH_H
#define GGEN_WATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <xxhash.h>

#include "gerr.h"

struct ev_loop;
struct filetable;
struct make_project;
struct make_findings;
struct watch_batch;

struct watch;		/* all roots (the daemon's g->watch) */
struct watch_root;	/* one root */

/* The settings watch uses (the daemon's watch.* config keys). */
struct watch_settings {
	uint64_t debounce_min_ms;	/* when make.toml does not say */
	uint64_t debounce_max_ms;
	uint64_t poll_ms;		/* polled directories' re-stat period */
	uint64_t snapshot_idle_ms;	/* save a changed table after this
					   long idle; 0 = only at the end */
	uint64_t max_watches;		/* test cap on inotify watches; 0 =
					   none; read by watch_new only */
	unsigned hash_threads;		/* 0 = one per online core; read by
					   watch_new only */
	unsigned walk_threads;		/* stat'ing a restart's known names;
					   0 = two per core, 4 to 16 */
};

/* What watch tells subscribers about; the host turns it into a wire
 * event (daemon/wire_watch.c). */
enum watch_event_kind {
	/* batch settled with at least one user change (writer NULL);
	 * entries with a writer are the daemon's own writes, not news */
	WATCH_EVENT_FILES_CHANGED,
	/* the root's make.toml failed to parse: watch_root_model_error,
	 * watch_root_findings, watch_root_model (the kept one, or NULL) */
	WATCH_EVENT_MODEL_INVALID,
	/* it parses again after a WATCH_EVENT_MODEL_INVALID */
	WATCH_EVENT_MODEL_VALID,
};

struct watch_event {
	enum watch_event_kind kind;
	struct watch_root *root;
	const struct watch_batch *batch;	/* FILES_CHANGED, else NULL */
};

/* ev and what it points to borrowed for the call; the callback must not
 * remove the root. */
typedef void (*watch_publish_fn)(void *arg, const struct watch_event *ev);

/* What watch gets from its host. */
struct watch_deps {
	struct ev_loop *loop;
	struct watch_settings settings;	/* copied */
	/* The roots file (roots.json) and the snapshots live here: copied,
	 * must exist. */
	const char *state_dir;
	/* files.changed, model.invalid and model.valid events go here;
	 * NULL = nowhere. */
	watch_publish_fn publish;
	void *publish_arg;
};

/*
 * The roots' component: the notifier, the hash pool (owned) and their
 * loop watchers, no root yet. One at a time per process: the notifier
 * (libinotifytools) is process-wide. Returns NULL with err set on failure:
 * GERR_IO (inotify unavailable, threads). Does not re-watch persisted
 * roots: see watch_restore.
 */
struct watch *watch_new(const struct watch_deps *deps, struct gerr *err);

/* Re-watch every root listed in the state dir's roots file (missing roots
 * are logged and dropped from the list). */
void watch_restore(struct watch *w);

/* The settings changed (SIGHUP): s copied. Roots whose make.toml does not
 * set the debounce window take the new one, and each root's
 * .git/info/exclude is read again (a changed one rescans the root). NULL w
 * ok. */
void watch_reload(struct watch *w, const struct watch_settings *s);

/* The host is stopping: answer every ready waiter (watch, run) and
 * every on-demand hash with GERR_SHUTTING_DOWN / ECANCELED now, while the
 * loop can still write the replies. Roots stay. Idempotent; NULL w ok. */
void watch_answer_waiters(struct watch *w);

/* Save each root's table, free every root and w; NULL ok. */
void watch_free(struct watch *w);

/* Root containing path (any path inside it, canonicalised), or NULL.
 * NULL w ok (no root). */
struct watch_root *watch_root_find(struct watch *w, const char *path);

/*
 * Start watching dir (or return the existing root containing it). cb (may
 * be NULL) runs once the root is ready (first crawl done and every hash
 * known), at once if already ready; it gets err set if the root failed.
 * *out (may be NULL) is borrowed: valid until watch_root_remove or
 * watch_free. Errors: GERR_NOT_FOUND / GERR_IO (dir missing, not a
 * directory), GERR_INVALID (dir empty or relative after realpath fails).
 */
typedef void (*watch_ready_cb)(void *arg, struct watch_root *root,
    const struct gerr *err);
int watch_root_add(struct watch *w, const char *dir, watch_ready_cb cb,
    void *arg, struct watch_root **out, struct gerr *err);

/*
 * Stop watching the root r; pending ready callbacks get GERR_CANCELLED-like
 * errors (GERR_NOT_FOUND "root removed"). The roots file is rewritten.
 */
void watch_root_remove(struct watch *w, struct watch_root *r);

/*
 * A handle on r that outlives it: asynchronous work (a render waiting on
 * sh_before, a request) keeps the id, never the pointer, and gets the root
 * back with watch_root_get, NULL once the root was removed. Ids are never
 * reused within a daemon's life and never 0.
 */
uint64_t watch_root_id(const struct watch_root *r);
struct watch_root *watch_root_get(struct watch *w, uint64_t id);

/* Canonical absolute path, borrowed for the root's life. */
const char *watch_root_path(const struct watch_root *r);
bool watch_root_ready(const struct watch_root *r);
/* Hot hashes; borrowed until the next loop turn. */
const struct filetable *watch_root_table(const struct watch_root *r);

/*
 * The root's last good make.toml model (NULL if none ever parsed) and the
 * current findings (errors of a newer invalid version included). Re-parsed
 * only when make.toml's content hash changes, also for each workspace's
 * make.toml. Borrowed until the next batch of r.
 */
const struct make_project *watch_root_model(const struct watch_root *r);

/* Re-parse r's make.toml files now when one changed on disk since the
 * last parse (a save whose events are not settled yet). */
void watch_root_refresh_model(struct watch_root *r);

/*
 * For a run: a new reference to r's last good model in *out (the caller
 * unrefs it, and keeps that model however make.toml changes meanwhile).
 * With no good model, *out NULL, *findings the latest load's findings
 * (borrowed until the next batch of r) and the load's error: its code
 * (GERR_PARSE, GERR_INVALID, GERR_IO, ...) and err with file:line:col.
 * Parses only when a make.toml of the last parse changed on disk (stat)
 * since: saved, but its batch not settled yet.
 */
int watch_root_model_ref(struct watch_root *r, struct make_project **out,
    const struct make_findings **findings, struct gerr *err);
const struct make_findings *watch_root_findings(const struct watch_root *r);

enum watch_change_kind { WATCH_ADDED, WATCH_MODIFIED, WATCH_REMOVED };

struct watch_change {
	const char *relpath;
	enum watch_change_kind kind;
	/* NULL for an edit from outside; else the phase whose render wrote
	 * this content (watch_expect_write): not a user edit, and never a
	 * trigger for that phase, but a change for every other phase. */
	const char *writer;
};

struct watch_batch {
	struct watch_root *root;
	uint64_t clock;			/* the table's clock after the batch */
	const struct watch_change *changes;	/* sorted by relpath */
	size_t n;
	const char *reason;		/* "events", "rescan", "poll", ... */
};

/* One listener (the engine) gets every settled batch, after the
 * files.changed event is published. b borrowed for the call. Call after
 * watch_new; a second call replaces the first. */
typedef void (*watch_batch_fn)(void *arg, const struct watch_batch *b);
void watch_set_batch_listener(struct watch *w, watch_batch_fn fn, void *arg);

/*
 * The daemon itself is about to write relpath with content hash h
 * (template outputs) for phase writer (NULL: no phase): when the write is
 * seen with that content, it updates the table but is not reported as a
 * user change (no files.changed entry); with a writer it still reaches the
 * batch listener, marked with it, so the phases that watch the file run
 * (make.toml(5): generated files rebuild what uses them). h and writer
 * copied.
 */
void watch_expect_write(struct watch_root *r, const char *relpath,
    const XXH128_hash_t *h, const char *writer);

/* Iterate roots: first with prev NULL, NULL at the end. */
struct watch_root *watch_root_next(struct watch *w, struct watch_root *prev);

/* Relative path of abs inside r ("" for the root itself), or NULL when abs
 * is outside r. abs must be canonical. Returns a pointer into abs. */
const char *watch_root_relpath(const struct watch_root *r, const char *abs);

/* Progress of r for `watch` (files seen by the crawl, files hashed). */
struct watch_progress {
	uint64_t files_seen;
	uint64_t files_hashed;
	uint64_t dirs_seen;
	bool ready;
};
void watch_root_progress(const struct watch_root *r,
    struct watch_progress *out);

/*
 * As watch_root_add, plus progress (may be NULL): called at most every
 * 100 ms while the root is not ready, from the loop after a crawl slice or
 * a hash drain. Used by `watch`.
 */
typedef void (*watch_progress_cb)(void *arg, struct watch_root *root,
    const struct watch_progress *p);
int watch_root_add_full(struct watch *w, const char *dir, watch_ready_cb cb,
    watch_progress_cb progress, void *arg, struct watch_root **out,
    struct gerr *err);

/* Forget every waiter of r registered with arg (its request went away):
 * their callbacks never run. */
void watch_root_cancel_waits(struct watch_root *r, void *arg);

/*
 * Hash the file at abs (absolute) on the pool, for `hash` when the table
 * does not know it. cb runs later on the loop (never inside this call)
 * with error 0 and the hash, or an errno (ECANCELED, h and st NULL, when
 * the daemon stops first). Cancel with watch_hash_cancel (then cb never
 * runs). Errors: GERR_BUSY when the pool is full.
 */
struct filetable_stat;
typedef void (*watch_hash_cb)(void *arg, int error, const XXH128_hash_t *h,
    const struct filetable_stat *st);
int watch_hash_file(struct watch *w, const char *abs, watch_hash_cb cb,
    void *arg, struct gerr *err);
void watch_hash_cancel(struct watch *w, void *arg);

/*
 * The clock token (common/clock.h) of counter in r: this daemon run's
 * instance and r's id. buf has CLOCK_TOKEN_MAX bytes; returns buf.
 */
struct clock_token;
char *watch_root_clock(const struct watch_root *r, uint64_t counter,
    char *buf);

/*
 * Can r answer "changes since tok" exactly? True with *since the counter
 * to ask the table for when tok is r's (same root) and minted by this run
 * or by an earlier run the restored table covers (counter not past that
 * run's last save). False (the answer must be fresh) for a legacy bare
 * counter, another root, an unknown instance, or a counter minted after
 * the last save of its run. The table still says fresh for a counter in
 * the future or older than its kept removals.
 */
bool watch_root_since(const struct watch_root *r, const struct clock_token *tok,
    uint64_t *since);

/* The first error of r's latest make.toml load (file:line:col), with
 * code 0 when it parsed. Borrowed until the next batch of r. */
const struct gerr *watch_root_model_error(const struct watch_root *r);

enum watch_model_state {
	WATCH_MODEL_OK,		/* the latest load parsed */
	WATCH_MODEL_INVALID,	/* it failed (the last good one may be kept) */
	WATCH_MODEL_ABSENT,	/* there is no make.toml */
};

/* Everything `status`, `roots` and `watch` say about a root: plain data,
 * the wire form is built at the edge (daemon/wire_watch.c). Strings and
 * pointers borrowed until the next loop turn. */
struct watch_root_info {
	const char *path;
	bool ready;			/* ready and not gone */
	bool gone;			/* the directory itself went away */
	const char *fs;			/* its file system kind */
	bool polled;			/* the whole root is polled (remote fs) */
	size_t files, dirs;
	size_t watched_dirs, polled_dirs;
	size_t watches_used;		/* inotify watches of the process */
	long watches_limit;		/* max_user_watches, -1 unreadable */
	size_t watches_cap;		/* test cap, 0 = none */
	const char *watch_limit_msg;	/* "" unless watches ran out */
	uint64_t overflows, rescans;
	size_t hash_pending, hash_errors;
	uint64_t bytes_hashed, files_hashed;
	uint64_t window_ms, window_min_ms, window_max_ms;
	uint64_t batches;
	uint64_t last_settle_ms;	/* CLOCK_REALTIME ms, 0 = never */
	uint64_t clock;			/* the table's counter */
	/* how the table was built at the start */
	bool warm;			/* from the snapshot */
	const char *load_msg;		/* why a full crawl ("" warm) */
	bool load_done;			/* ready once (not reset by gone) */
	uint64_t load_ms, load_walk_ms;
	uint64_t load_rehashed;
	size_t load_racy, load_gone;
	/* Warm walk: directories read, and walked from their saved lists. */
	size_t load_dirs_read, load_dirs_known;
	const char *snapshot;		/* its snapshot file */
	bool snapshot_saved;		/* on disk up to clock */
	/* its make.toml */
	enum watch_model_state model_state;
	bool model_ok;			/* a good model from the latest load */
	bool model_kept;		/* an older good one held for runs */
	uint64_t models_parsed;
	const struct gerr *model_err;	/* code 0 when model_ok */
	const struct make_findings *findings;
};
void watch_root_info(const struct watch_root *r, struct watch_root_info *out);

/*
 * The root holding path (canonicalised). *canon (caller frees) gets the
 * canonical path. Errors: GERR_NOT_FOUND / GERR_IO when path cannot be
 * resolved, GERR_ROOT_NOT_FOUND when no root holds it.
 */
int watch_root_lookup(struct watch *w, const char *path,
    struct watch_root **out, char **canon, struct gerr *err);

#endif
