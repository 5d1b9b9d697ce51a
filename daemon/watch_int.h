/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * watch_int.h - what daemon/watch.c (roots, registration, persistence,
 * model, status) and daemon/watch_events.c (loop callbacks, batches,
 * debounce, files.changed) share. Private to those two files. Loop thread
 * only.
 */
#ifndef GGEN_WATCH_INT_H
#define GGEN_WATCH_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ev.h>
#include <xxhash.h>

#include "debounce.h"
#include "hashpool.h"
#include "ignore.h"
#include "make.h"
#include "snapshot.h"
#include "watch.h"
#include "rootsync.h"

/* Someone waiting for a root to be ready (watch_root_add). */
struct watch_waiter {
	watch_ready_cb ready;
	watch_progress_cb progress;	/* NULL = none */
	void *arg;
	uint64_t last_progress_ms;
};

/* One path changed in the batch being collected, with what it was before
 * the batch: settling compares that with what it is now. */
struct watch_pending {
	char *path;
	bool existed;		/* live before the batch */
	bool modified;		/* content changed while it stayed live */
	bool had_hash;		/* old_hash is the pre-batch content */
	XXH128_hash_t old_hash;
};

struct watch_expect {
	char *path;
	XXH128_hash_t hash;
	char *writer;		/* phase whose render writes it, or NULL */
};

/* Why a batch's changes were seen, strongest last. */
enum watch_cause {
	WATCH_CAUSE_EVENTS = 0,
	WATCH_CAUSE_POLL,
	WATCH_CAUSE_IGNORE,
	WATCH_CAUSE_RESCAN,
};

/* One make.toml the model came from (or its absence), to tell at a run
 * whether it changed before the watcher settled the change. */
struct watch_model_file {
	char *path;			/* absolute */
	bool present;
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime, ctime;
};

struct watch_root {
	struct watch_root *next;
	struct watch *w;
	char *path;
	size_t pathlen;
	struct rootsync *wr;
	uint64_t generation;
	struct ignore *ign;
	bool ready;
	struct watch_waiter *waiters;
	size_t nwaiters, capwaiters;

	/* the batch being collected */
	struct debounce deb;
	ev_timer deb_timer;
	uint64_t deb_armed_ms;		/* the deadline deb_timer was set for */
	bool deb_rechecked;		/* this window's timer already waited
					   for events queued when it fired */
	uint64_t win_min_ms, win_max_ms;
	struct watch_pending *pend;
	size_t npend, cappend;
	uint32_t *pend_index;		/* open addressing: index + 1, 0 = free */
	size_t pend_slots;		/* power of two */
	enum watch_cause cause;		/* of the callbacks running now */
	enum watch_cause batch_cause;	/* strongest seen in this batch */
	bool settle_due;		/* window closed, waiting for hashes */
	uint64_t event_ms;		/* monotonic ms of the last inotify
					 * event for this root, 0 = none */
	bool ignore_dirty;		/* an ignore file changed: rescan */
	bool model_dirty;		/* a make.toml changed: re-parse */
	uint64_t exclude_hash;		/* of .git/info/exclude, 0 = absent */

	struct watch_expect *expects;
	size_t nexpects, capexpects;

	struct make_project *model;	/* our reference; runs take others */
	struct make_findings findings;
	int model_rc;			/* last load: 0 or GERR_* */
	struct gerr model_err;		/* its first error, file:line:col */
	uint64_t models_parsed;		/* make_load calls for this root */
	struct watch_model_file *mfiles;	/* make.toml files of the last
						   parse, as stat saw them */
	size_t nmfiles;

	uint64_t batches;
	uint64_t rescans;
	uint64_t last_settle_ms;	/* CLOCK_REALTIME ms, 0 = never */

	/* Clocks and persistence (DESIGN section 10). inst[0] is this daemon
	 * run (its max_clock unused: the table's clock is the limit); the
	 * others are earlier runs whose clocks the restored table answers up
	 * to their max_clock, newest first. */
	uint32_t root_id;
	struct snapshot_instance inst[SNAPSHOT_MAX_INSTANCES];
	size_t ninst;
	char *snap_path;		/* <state dir>/snap-<hash>.ggs */
	ev_timer save_timer;		/* armed after a change, never idle */
	uint64_t save_first_ms;		/* monotonic, when it was armed */
	uint64_t save_end_ms, save_us;	/* the last save: when it ended
					 * (monotonic), how long it took */
	uint64_t saved_clock;		/* table clock on disk; UINT64_MAX = none */
	uint64_t saved_edits;		/* filetable_edits on disk, with it */
	uint64_t snap_ignore_digest;	/* the loaded snapshot's; 0 = none */
	bool warm;			/* loaded from a snapshot */
	char load_msg[GERR_MSG_MAX];	/* why a full crawl ("" = warm) */
	size_t load_racy;		/* restored files re-hashed as racy */
	uint64_t load_start_ms;		/* monotonic, at watch_root_new */
	uint64_t load_walk_ms;		/* first walk done - start; 0 = not yet */
	uint64_t load_ready_ms;		/* ready - start; 0 = not yet */
	uint64_t load_hashed;		/* files hashed until ready */
};

struct watch {
	struct ev_loop *loop;		/* injected (struct watch_deps) */
	struct watch_settings set;	/* copied; watch_reload replaces */
	char *state_dir;		/* owned copy */
	watch_publish_fn publish;	/* NULL = nowhere */
	void *publish_arg;
	struct watch_root *roots;
	struct hashpool *pool;
	uint64_t next_generation;
	ev_io io;
	ev_async async;
	ev_idle idle;
	ev_timer poll;
	watch_batch_fn batch_fn;
	void *batch_arg;
	uint64_t instance;		/* this daemon run's clock instance */
	/* on-demand hashes for `hash` (watch_hash_file) */
	struct watch_hash_job *jobs;
	uint64_t next_cookie;
};

/* A pool job for watch_hash_file. */
struct watch_hash_job {
	struct watch_hash_job *next;
	uint64_t cookie;
	watch_hash_cb cb;
	void *arg;
};

/* The generation pool jobs of watch_hash_file carry (roots use >= 2). */
#define WATCH_GEN_ON_DEMAND 1

/* watch_events.c */
void watch_events_start(struct watch *w);
void watch_events_stop(struct watch *w);
/* Start or stop the idle and poll watchers to match the roots' needs. */
void watch_events_update(struct watch *w);
/* rootsync's on_change for root r. */
void watch_events_change(void *arg, const struct filetable_entry *e,
    enum filetable_change change);
void watch_events_root_init(struct watch_root *r);
void watch_events_root_release(struct watch_root *r);
/* Apply the root's debounce settings (model first, then daemon config). */
void watch_events_window(struct watch_root *r);
/* The ignore rules of r changed outside an event (SIGHUP re-read
 * .git/info/exclude): rescan now, settling as after any event. */
void watch_events_ignore_changed(struct watch_root *r);

/* watch.c */
/* Ready now? Then call the waiters (once). Progress to waiters otherwise. */
void watch_root_check_ready(struct watch_root *r, bool force_progress);
/* Parse the root's make.toml again (it changed, or the root got ready). */
void watch_root_load_model(struct watch_root *r);
/* A make.toml of the last parse changed on disk since (stat, no read). */
bool watch_root_model_stale(const struct watch_root *r);
/* Re-read every ignore file listed under dir of r (an ignore file
 * changed), then rescan. */
void watch_root_reload_ignore(struct watch_root *r, const char *relpath);
/* The table of r changed: arm the idle save timer (watch.snapshot_idle_ms)
 * unless it runs already. */
void watch_root_changed(struct watch_root *r);
#endif
