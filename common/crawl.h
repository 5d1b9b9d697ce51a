/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * crawl.h - walk one directory tree in slices, for the loop thread.
 *
 * A crawl visits a directory, reports it, then reads its entries: each file
 * (regular file or symlink, never followed) is reported with its lstat data,
 * each subdirectory is queued unless is_ignored says otherwise, and ignored
 * entries are never reported nor entered. Reporting a directory before
 * reading it lets the caller add its watch first, so files created in
 * between are not missed. crawl_step bounds the work per call so the loop
 * stays responsive and can show progress.
 */
#ifndef GGEN_CRAWL_H
#define GGEN_CRAWL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "gerr.h"

struct crawl;

/* What an entry is. The values are those of daemon/filetable.h's enum
 * filetable_kind (asserted where the two meet, daemon/rootsync.c). */
enum crawl_kind {
	CRAWL_FILE = 1,		/* a regular file or a symlink */
	CRAWL_DIR = 2,
};

/* Paths are relative to the crawl's root ("" = the root itself). */
typedef bool (*crawl_ignore_cb)(void *arg, const char *relpath, bool is_dir);
typedef void (*crawl_entry_cb)(void *arg, const char *relpath,
    enum crawl_kind kind, const struct stat *st);
/* A directory that could not be read (vanished, EACCES): errno given. */
typedef void (*crawl_error_cb)(void *arg, const char *relpath, int error);

/* No hint (crawl_hint). */
#define CRAWL_NO_HINT UINT32_MAX

/*
 * Called right after on_entry reported directory relpath, before it is
 * read, with st a stat of it taken after on_entry returned (after the
 * caller watched it: judge from this one whether it changed, since an
 * entry made between on_entry's stat and the watch has no event). Return
 * true after giving, with crawl_known_add, the names it holds (known from
 * elsewhere: a restart's snapshot of a directory whose stat says it did
 * not change): the crawl then stats those names instead of reading the
 * directory. Each name is asked about and reported as a read one would
 * be. The caller answers for the list being complete.
 */
struct crawl;
typedef bool (*crawl_known_cb)(void *arg, struct crawl *c,
    const char *relpath, const struct stat *st);
/* Directory relpath is done: complete when every entry not ignored was
 * reported (read, or stat'ed from the known list); crawl_dir_ignored says
 * whether some were ignored. */
typedef void (*crawl_dir_done_cb)(void *arg, const char *relpath,
    bool complete);

/*
 * Watch directory relpath (the crawl's root joined with it); called on the
 * pool's threads, so it must be thread-safe (inotify_add_watch on one fd
 * is). 0 with *wd set, or an errno (*wd untouched).
 */
typedef int (*crawl_watch_cb)(void *arg, const char *relpath, int32_t *wd);

struct crawl_config {
	crawl_ignore_cb is_ignored;	/* NULL = nothing ignored */
	crawl_entry_cb on_entry;	/* required */
	crawl_error_cb on_error;	/* NULL = counted only */
	crawl_known_cb known;		/* NULL = every directory is read */
	crawl_dir_done_cb on_dir_done;	/* NULL = none */
	void *arg;			/* passed to all of them */
	/*
	 * Over 1 (with known): directories whose names are known are taken
	 * in batches (up to CRAWL_BATCH_ENTRIES names): each is reported and
	 * its names given, then all the names are stat'ed on this many
	 * threads (the caller's included), then reported in order on the
	 * caller's thread, all in one crawl_step call (nothing else runs
	 * between a stat and its report). Callbacks always run on the
	 * caller's thread.
	 */
	unsigned threads;
	/*
	 * With threads (and known): directories are watched on the pool by
	 * this, then fstat'ed there (the stat after the watch), then reported
	 * on the caller's thread, whose on_entry learns the outcome with
	 * crawl_dir_watch and records it. A pipeline: while the pool stats a
	 * batch's names and watches and stats the next directories, the
	 * caller's thread reports the previous batch's names, then helps
	 * the pool. Every directory watched in a crawl_step is reported in
	 * it. NULL = on_entry watches each directory itself.
	 */
	crawl_watch_cb watch;
};

#define CRAWL_BATCH_ENTRIES 4096
/* Directories watched and stat'ed on the pool at a time (cfg.watch). */
#define CRAWL_BATCH_DIRS 512
#define CRAWL_MAX_THREADS 16

struct crawl_progress {
	uint64_t dirs;
	uint64_t files;
	uint64_t ignored;
	uint64_t errors;
	size_t pending_dirs;	/* queued, not yet read */
};

enum crawl_state {
	CRAWL_DONE = 0,
	CRAWL_MORE = 1,
};

/*
 * Prepare a crawl of root/start (start "" = the whole root, or a directory
 * moved in). root, start and cfg are copied. The root stays open as a
 * directory fd until crawl_free, so directories are opened relative to it.
 * Errors: GERR_IO naming the path (missing, not a directory, EACCES).
 * *out is an owned crawl on success, untouched otherwise.
 */
int crawl_new(const char *root, const char *start,
    const struct crawl_config *cfg, struct crawl **out, struct gerr *err);
void crawl_free(struct crawl *c);

/* Handle up to max_entries directory entries (>= 1); CRAWL_MORE until the
 * tree is exhausted. Callbacks run inside; they must not free c. */
enum crawl_state crawl_step(struct crawl *c, size_t max_entries);

void crawl_progress(const struct crawl *c, struct crawl_progress *out);

/* Inside crawl_known_cb: one name of the directory (no '/'; copied) and a
 * hint the caller's on_entry gets back through crawl_hint. */
void crawl_known_add(struct crawl *c, const char *name, uint32_t hint);
/* Inside on_entry, crawl_known_cb and crawl_dir_done_cb: the hint given
 * with the entry's name to crawl_known_add (a directory keeps its own),
 * CRAWL_NO_HINT for an entry read from the disk. */
uint32_t crawl_hint(const struct crawl *c);

/* Inside crawl_dir_done_cb: true when the directory's listing met
 * ignored names (not reported; complete then covers the others only). */
bool crawl_dir_ignored(const struct crawl *c);
/* Inside crawl_dir_done_cb: true when its names came from crawl_known_cb's
 * list rather than a read (ignored names were then not seen at all). */
bool crawl_dir_listed(const struct crawl *c);

/* Inside on_entry for a directory: true when cfg.watch already ran for it
 * (on the pool), with *wd its watch, or *error its errno (*wd -1). False:
 * the caller watches it. */
bool crawl_dir_watch(const struct crawl *c, int32_t *wd, int *error);

/* Filesystems watched by polling: inotify misses changes made elsewhere. */
enum crawl_fs_kind {
	CRAWL_FS_LOCAL = 0,
	CRAWL_FS_NFS,
	CRAWL_FS_CIFS,		/* CIFS, SMB, SMB2 */
	CRAWL_FS_FUSE,
};

/*
 * Pseudo filesystems (procfs, sysfs, devpts, debugfs, cgroup, ...: anything
 * whose files are not stored content) are never crawled nor hashed: their
 * "files" can be endless (/proc/PID/pagemap) and there are hundreds of
 * thousands of them. Pure: whether a statfs f_type is one.
 */
bool crawl_fs_magic_is_pseudo(uint64_t magic);
/* Whether path (absolute, existing) lies on a pseudo filesystem: its
 * statfs type, or devtmpfs (a tmpfs) under /dev. False when statfs fails. */
bool crawl_path_is_pseudo(const char *path);

/* Map a statfs f_type to its kind. Pure. */
enum crawl_fs_kind crawl_fs_kind_from_magic(uint64_t magic);
/* "local", "nfs", "cifs", "fuse". */
const char *crawl_fs_kind_name(enum crawl_fs_kind kind);
/* statfs(path) and classify. Errors: GERR_IO naming path. */
int crawl_fs_kind(const char *path, enum crawl_fs_kind *out,
    struct gerr *err);

#endif
