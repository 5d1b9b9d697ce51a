/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * filetable.h - one root's table: relative path -> stat tuple, XXH3-128
 * content hash, change clock; directories also carry their watch.
 *
 * Loop thread only: no function here locks. Paths are relative to the root,
 * without a leading or trailing '/', "" being the root itself.
 */
#ifndef GGEN_FILETABLE_H
#define GGEN_FILETABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <xxhash.h>

struct filetable;

/* The stat tuple a hash belongs to; all fields compared for "changed". */
struct filetable_stat {
	uint64_t dev;
	uint64_t ino;
	int64_t size;
	int64_t mtime_ns;
	int64_t ctime_ns;
};

/* Fill out from a stat result (any thread). */
void filetable_stat_from(struct filetable_stat *out, const struct stat *st);

enum filetable_kind {
	FILETABLE_FILE = 1,
	FILETABLE_DIR = 2,
};

/* Values of filetable_entry.wd besides a real inotify watch descriptor. */
#define FILETABLE_WD_NONE (-1)		/* no watch yet (or a file) */
#define FILETABLE_WD_POLLED (-2)	/* out of watches or remote fs: polled */

/* Bits of filetable_entry.flags. */
#define FILETABLE_F_HASH_KNOWN 0x01	/* hash belongs to st */
#define FILETABLE_F_HAD_HASH 0x02	/* hash is an older tuple's, kept to compare */
#define FILETABLE_F_TOMBSTONE 0x04	/* removed; kept for changes_since;
					 * HASH_KNOWN kept: hash is the last content */
#define FILETABLE_F_HASH_ERROR 0x08	/* hashing failed; retried on a stat change */
#define FILETABLE_F_UNSEEN 0x10		/* restored from a snapshot, not confirmed
					 * by the walk yet (filetable_sweep_unseen) */
#define FILETABLE_F_COMPLETE 0x20	/* a dir whose last listing reported every
					 * entry not ignored: its live children are
					 * all it holds but those (filetable_set_complete) */
#define FILETABLE_F_IGNORED 0x40	/* a dir whose last listing met ignored
					 * names (filetable_set_ignored) */

/* No entry id (filetable_upsert_hint, filetable_known_children). */
#define FILETABLE_NO_ID UINT32_MAX

/* Read-only for callers; borrowed until the next call that mutates the table. */
struct filetable_entry {
	char *path;
	struct filetable_stat st;
	/* A file has a hash, a directory a watch, never both: they share the
	 * bytes. Read hash only when kind is FILETABLE_FILE, wd only when it
	 * is FILETABLE_DIR. */
	union {
		XXH128_hash_t hash;	/* valid iff FILETABLE_F_HASH_KNOWN */
		int32_t wd;
	};
	uint64_t clock;			/* last add/modify/remove */
	uint64_t born_clock;		/* when this path was (re)added */
	uint32_t prev, next;		/* clock-ordered list (private) */
	uint32_t path_hash;		/* private */
	uint8_t kind;			/* enum filetable_kind */
	uint8_t flags;
};

struct filetable_config {
	/* Removed entries kept for `changes --since`; over it the oldest go and
	 * clocks before them answer "fresh". 0 keeps none. */
	size_t max_tombstones;
};

#define FILETABLE_DEFAULT_MAX_TOMBSTONES 65536

struct filetable_counts {
	size_t files;
	size_t dirs;
	size_t tombstones;
	size_t hash_pending;	/* live files whose hash is unknown */
	size_t hash_errors;	/* live files that could not be hashed */
	size_t watched_dirs;	/* live dirs with a watch (wd >= 0) */
	size_t polled_dirs;	/* live dirs marked FILETABLE_WD_POLLED */
	size_t bytes_table;	/* entries, index, lists: everything but paths */
	size_t bytes_names;	/* blocks holding the path strings */
};

enum filetable_upsert_result {
	FILETABLE_UNCHANGED = 0,	/* same kind and stat tuple */
	FILETABLE_ADDED,		/* new path (or back from a tombstone) */
	FILETABLE_STAT_CHANGED,		/* tuple differs: hash cleared */
};

enum filetable_hash_result {
	FILETABLE_HASH_STALE = 0,	/* path gone or tuple differs: dropped */
	FILETABLE_HASH_SAME,		/* stored; content as before (no stamp) */
	FILETABLE_HASH_CHANGED,		/* stored; content differs (stamped) */
	FILETABLE_HASH_FIRST,		/* stored; first hash of a new path */
};

enum filetable_change {
	FILETABLE_CHANGE_ADDED = 1,
	FILETABLE_CHANGE_MODIFIED,
	FILETABLE_CHANGE_REMOVED,
};

/* cfg borrowed for the call (NULL = defaults). Returns an owned table. */
struct filetable *filetable_new(const struct filetable_config *cfg);
/* Frees t and every path; t may be NULL. */
void filetable_free(struct filetable *t);

/* Live entry for path (tombstones are not found), or NULL. Path borrowed. */
const struct filetable_entry *filetable_lookup(const struct filetable *t,
    const char *path);

/*
 * Record what stat said about path. A new path is stamped (added). A changed
 * tuple clears the hash (kept aside to compare with the next one); it is
 * stamped only once the new hash differs, or at once when no older hash is
 * known to compare with. A kind change (file <-> dir) counts as removal and
 * re-addition. Files needing a hash: result ADDED or STAT_CHANGED. Path
 * copied.
 */
enum filetable_upsert_result filetable_upsert(struct filetable *t,
    const char *path, enum filetable_kind kind, const struct filetable_stat *st);

/*
 * A worker hashed path and saw tuple st at open. Stored only if path is a
 * live file whose tuple still equals st; otherwise dropped (STALE).
 */
enum filetable_hash_result filetable_set_hash(struct filetable *t,
    const char *path, const struct filetable_stat *st, XXH128_hash_t hash);

/*
 * Hashing path failed (unreadable, vanished): it stops counting as pending
 * until its next stat change. False (nothing recorded) if path is not a
 * live file waiting for its hash.
 */
bool filetable_set_hash_error(struct filetable *t, const char *path);

/* Tombstone path; returns false if it was not live. Costs O(1). */
bool filetable_remove(struct filetable *t, const char *path);

/*
 * Tombstone dir and everything below it ("" = the whole table). Returns how
 * many live entries went. Costs O(table size): meant for rm -rf and
 * directories moved out, not per event.
 */
size_t filetable_remove_subtree(struct filetable *t, const char *dir);

/* Is path dir itself or below it? dirlen = strlen(dir); "" holds all. */
bool filetable_path_within(const char *path, const char *dir, size_t dirlen);

/* Set a directory's watch; returns false if path is not a live dir. */
bool filetable_set_wd(struct filetable *t, const char *path, int32_t wd);
/* Live directory watched by wd (>= 0), or NULL. */
const struct filetable_entry *filetable_lookup_wd(const struct filetable *t,
    int32_t wd);

typedef void (*filetable_entry_cb)(void *arg, const struct filetable_entry *e);
/* Every live entry, in no particular order. cb must not modify t. */
void filetable_foreach(const struct filetable *t, filetable_entry_cb cb,
    void *arg);

typedef void (*filetable_change_cb)(void *arg, const struct filetable_entry *e,
    enum filetable_change change);
/*
 * Report entries added, modified or removed after clock since, at O(number
 * of changes). When since is 0, in the future, or older than the oldest kept
 * tombstone, the answer is "fresh": *fresh = true and every live entry is
 * reported as ADDED; *fresh (may be NULL) is set before the first callback.
 * cb must not modify t. Returns the table's current clock (the client's
 * next since).
 */
uint64_t filetable_changes_since(const struct filetable *t, uint64_t since,
    filetable_change_cb cb, void *arg, bool *fresh);

/*
 * Restoring a saved table (daemon/snapshot.c). Entries must come in the
 * order filetable_foreach_saved gives (live by clock, then tombstones by
 * clock), after filetable_restore_clock. A live entry is restored
 * FILETABLE_F_UNSEEN. has_hash: hash is the content of st (a file); with
 * racy set, the hash is kept only to compare with (FILETABLE_F_HAD_HASH)
 * and st.size becomes -1, so no stat can match it and the walk re-hashes
 * the file. Returns false (nothing stored) for a duplicate or empty path,
 * a clock out of order or above the restored clock, or a bad kind.
 */
void filetable_restore_clock(struct filetable *t, uint64_t clock,
    uint64_t trimmed_clock);
bool filetable_restore(struct filetable *t, const char *path,
    enum filetable_kind kind, const struct filetable_stat *st,
    bool has_hash, bool racy, XXH128_hash_t hash, uint64_t clock,
    uint64_t born_clock, bool tombstone);
/*
 * The restore's lookahead: the hash of path (len bytes, no NUL needed)
 * that filetable_restore_hashed takes, after asking the cache for its
 * index slot (a restore's probes are random over an index of millions of
 * slots: fetched some entries ahead, the miss overlaps the work between).
 * For the restore only: the index must not grow before the entry is
 * restored (filetable_reserve first).
 */
uint32_t filetable_restore_prefetch(const struct filetable *t,
    const char *path, size_t len);
/* filetable_restore with path's length and hash already known (from
 * filetable_restore_prefetch). */
bool filetable_restore_hashed(struct filetable *t, const char *path,
    size_t len, uint32_t h, enum filetable_kind kind,
    const struct filetable_stat *st, bool has_hash, bool racy,
    XXH128_hash_t hash, uint64_t clock, uint64_t born_clock,
    bool tombstone);

/*
 * The directories of a restored table, for the warm walk (daemon/rootsync.c):
 * parent[id] is the id of entry id's directory (FILETABLE_NO_ID for the
 * root "" and for tombstones), for every id restored (n = ids handed out).
 * Kept until filetable_drop_children. False (nothing kept) when an id is
 * out of range or names no live directory.
 */
bool filetable_restore_children(struct filetable *t, const uint32_t *parent,
    size_t n);
/* The restored live children of directory id dir (ids; borrowed until
 * filetable_drop_children); 0 when none are kept. */
size_t filetable_known_children(const struct filetable *t, uint32_t dir,
    const uint32_t **ids);
void filetable_drop_children(struct filetable *t);
/* Whether children lists are kept (even an empty directory's is known). */
bool filetable_children_kept(const struct filetable *t);

/* The live entry with id id, or NULL. */
const struct filetable_entry *filetable_entry_id(const struct filetable *t,
    uint32_t id);
/* The id of path's live entry, FILETABLE_NO_ID for none. */
uint32_t filetable_lookup_id(const struct filetable *t, const char *path);

/*
 * filetable_upsert, with hint a probable id of path (FILETABLE_NO_ID: none):
 * when the entry at hint has this path (live or a tombstone), no index
 * lookup is made. *id (may be NULL) gets path's id.
 */
enum filetable_upsert_result filetable_upsert_hint(struct filetable *t,
    const char *path, uint32_t hint, enum filetable_kind kind,
    const struct filetable_stat *st, uint32_t *id);
/* filetable_set_wd by id. */
bool filetable_set_wd_id(struct filetable *t, uint32_t id, int32_t wd);
/* Mark live directory id complete or not (FILETABLE_F_COMPLETE). */
void filetable_set_complete(struct filetable *t, uint32_t id, bool complete);
/* Mark live directory id as holding ignored names or not
 * (FILETABLE_F_IGNORED). */
void filetable_set_ignored(struct filetable *t, uint32_t id, bool ignored);
/* No directory complete any more (the ignore rules changed). O(table). */
void filetable_clear_complete(struct filetable *t);

/* Size the path index for n entries at once (a restore knows its count):
 * no rehash of a growing index on the way. */
void filetable_reserve(struct filetable *t, size_t n);

/* Every entry a snapshot keeps: live ones oldest clock first, then
 * tombstones oldest first (the order filetable_restore needs). */
void filetable_foreach_saved(const struct filetable *t, filetable_entry_cb cb,
    void *arg);

/* filetable_foreach_saved, with each entry's id. */
typedef void (*filetable_id_cb)(void *arg, const struct filetable_entry *e,
    uint32_t id);
void filetable_foreach_saved_id(const struct filetable *t, filetable_id_cb cb,
    void *arg);
/* Every id is below this bound. */
uint32_t filetable_id_bound(const struct filetable *t);
/* The id of the live directory holding path ("a/b" -> "a", "a" -> ""),
 * FILETABLE_NO_ID for "" itself or when it is not in the table. */
uint32_t filetable_parent_id(const struct filetable *t, const char *path);

/* Tombstone every live entry still FILETABLE_F_UNSEEN (gone while the
 * daemon was down); returns how many. O(table). */
size_t filetable_sweep_unseen(struct filetable *t);

/* Newest clock of a trimmed tombstone: sinces below it are "fresh". */
uint64_t filetable_trimmed_clock(const struct filetable *t);

/* The change clock: grows by one on every stamp, never decreases. */
uint64_t filetable_clock(const struct filetable *t);
/*
 * Grows on every change a snapshot records that does not move the clock:
 * a stat tuple refreshed with the same content (a touch), a hash read
 * again (a racy or touched file verified), a hash error, a directory's
 * completeness. The table equals its last snapshot while both the clock
 * and this are what they were when it was saved or loaded.
 */
uint64_t filetable_edits(const struct filetable *t);

void filetable_counts(const struct filetable *t, struct filetable_counts *out);

/* Verify the invariants (lists clock-ordered, index consistent); aborts via
 * fatal() on a broken one. O(table); for tests and debug builds. */
void filetable_check(const struct filetable *t);

#endif
