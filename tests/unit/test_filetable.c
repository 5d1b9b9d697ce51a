/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests for daemon/filetable.c: upsert/modify/remove, subtree removal,
 * monotonic clock, exact changes-since, "too old" after tombstone trimming,
 * stale hash results dropped, touch with same content is no change, memory.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "filetable.h"

static struct filetable_stat
st_make(uint64_t ino, int64_t size, int64_t mtime_ns)
{
	struct filetable_stat st = { .dev = 1, .ino = ino, .size = size,
		.mtime_ns = mtime_ns, .ctime_ns = mtime_ns };

	return st;
}

static XXH128_hash_t
hash_make(uint64_t v)
{
	XXH128_hash_t h = { .low64 = v, .high64 = ~v };

	return h;
}

#define CHANGES_MAX 64

struct changes {
	size_t n;
	char path[CHANGES_MAX][64];
	enum filetable_change what[CHANGES_MAX];
};

static void
changes_cb(void *arg, const struct filetable_entry *e,
    enum filetable_change what)
{
	struct changes *c = arg;

	assert_true(c->n < CHANGES_MAX);
	snprintf(c->path[c->n], sizeof(c->path[0]), "%s", e->path);
	c->what[c->n++] = what;
}

/* The change recorded for path, or 0 when it was not reported. */
static int
changes_find(const struct changes *c, const char *path)
{
	for (size_t i = 0; i < c->n; i++) {
		if (strcmp(c->path[i], path) == 0)
			return (int)c->what[i];
	}
	return 0;
}

static void
test_upsert_lookup_modify(void **state)
{
	struct filetable *t = filetable_new(NULL);
	struct filetable_stat a = st_make(10, 5, 100), b = st_make(10, 6, 200);
	const struct filetable_entry *e;
	struct filetable_counts n;

	(void)state;
	assert_null(filetable_lookup(t, "src/a.c"));
	assert_int_equal(filetable_upsert(t, "src", FILETABLE_DIR, &a),
	    FILETABLE_ADDED);
	assert_int_equal(filetable_upsert(t, "src/a.c", FILETABLE_FILE, &a),
	    FILETABLE_ADDED);
	assert_int_equal(filetable_upsert(t, "src/a.c", FILETABLE_FILE, &a),
	    FILETABLE_UNCHANGED);
	e = filetable_lookup(t, "src/a.c");
	assert_non_null(e);
	assert_string_equal(e->path, "src/a.c");
	assert_int_equal(e->st.size, 5);
	assert_false(e->flags & FILETABLE_F_HASH_KNOWN);
	filetable_counts(t, &n);
	assert_int_equal(n.files, 1);
	assert_int_equal(n.dirs, 1);
	assert_int_equal(n.hash_pending, 1);
	assert_int_equal(filetable_set_hash(t, "src/a.c", &a, hash_make(1)),
	    FILETABLE_HASH_FIRST);
	e = filetable_lookup(t, "src/a.c");
	assert_true(e->flags & FILETABLE_F_HASH_KNOWN);
	assert_int_equal(filetable_upsert(t, "src/a.c", FILETABLE_FILE, &b),
	    FILETABLE_STAT_CHANGED);
	e = filetable_lookup(t, "src/a.c");
	assert_false(e->flags & FILETABLE_F_HASH_KNOWN);
	assert_int_equal(e->st.size, 6);
	filetable_counts(t, &n);
	assert_int_equal(n.hash_pending, 1);
	assert_int_equal(filetable_set_hash(t, "src/a.c", &b, hash_make(2)),
	    FILETABLE_HASH_CHANGED);
	filetable_counts(t, &n);
	assert_int_equal(n.hash_pending, 0);
	/* A dir has no hash. */
	assert_int_equal(filetable_set_hash(t, "src", &a, hash_make(1)),
	    FILETABLE_HASH_STALE);
	filetable_check(t);
	filetable_free(t);
}

static void
test_stale_hash_dropped(void **state)
{
	struct filetable *t = filetable_new(NULL);
	struct filetable_stat a = st_make(10, 5, 100), b = st_make(10, 5, 101);
	const struct filetable_entry *e;

	(void)state;
	filetable_upsert(t, "f", FILETABLE_FILE, &a);
	filetable_upsert(t, "f", FILETABLE_FILE, &b);
	/* The worker opened the file before the second write. */
	assert_int_equal(filetable_set_hash(t, "f", &a, hash_make(7)),
	    FILETABLE_HASH_STALE);
	e = filetable_lookup(t, "f");
	assert_false(e->flags & FILETABLE_F_HASH_KNOWN);
	assert_int_equal(filetable_set_hash(t, "f", &b, hash_make(8)),
	    FILETABLE_HASH_FIRST);
	assert_true(XXH128_isEqual(filetable_lookup(t, "f")->hash,
	    hash_make(8)));
	/* Unknown and removed paths drop results too. */
	assert_int_equal(filetable_set_hash(t, "nope", &b, hash_make(8)),
	    FILETABLE_HASH_STALE);
	filetable_remove(t, "f");
	assert_int_equal(filetable_set_hash(t, "f", &b, hash_make(8)),
	    FILETABLE_HASH_STALE);
	filetable_check(t);
	filetable_free(t);
}

static void
test_touch_same_content_is_no_change(void **state)
{
	struct filetable *t = filetable_new(NULL);
	struct filetable_stat a = st_make(3, 5, 100), b = st_make(3, 5, 999);
	struct changes c = { 0 };
	uint64_t clk;
	bool fresh;

	(void)state;
	filetable_upsert(t, "f", FILETABLE_FILE, &a);
	filetable_set_hash(t, "f", &a, hash_make(42));
	clk = filetable_clock(t);
	assert_int_equal(filetable_upsert(t, "f", FILETABLE_FILE, &b),
	    FILETABLE_STAT_CHANGED);
	assert_int_equal(filetable_set_hash(t, "f", &b, hash_make(42)),
	    FILETABLE_HASH_SAME);
	assert_int_equal(filetable_clock(t), clk);
	assert_int_equal(filetable_changes_since(t, clk, changes_cb, &c,
	    &fresh), clk);
	assert_false(fresh);
	assert_int_equal(c.n, 0);
	filetable_free(t);
}

/* What a snapshot records but the clock does not count moves
 * filetable_edits (the daemon saves again on it); what changes nothing
 * leaves it. */
static void
test_edits_without_clock(void **state)
{
	struct filetable *t = filetable_new(NULL);
	struct filetable_stat a = st_make(3, 5, 100), b = st_make(3, 5, 999);
	struct filetable_stat d = st_make(9, 0, 100);
	uint32_t dir;
	uint64_t clk, ed;

	(void)state;
	filetable_upsert(t, "d", FILETABLE_DIR, &d);
	filetable_upsert(t, "d/f", FILETABLE_FILE, &a);
	filetable_set_hash(t, "d/f", &a, hash_make(42));
	dir = filetable_lookup_id(t, "d");
	clk = filetable_clock(t);
	ed = filetable_edits(t);
	/* Nothing new: the same stat, the same completeness. */
	assert_int_equal(filetable_upsert(t, "d/f", FILETABLE_FILE, &a),
	    FILETABLE_UNCHANGED);
	filetable_set_complete(t, dir, false);
	assert_int_equal(filetable_edits(t), ed);
	/* A touch: a new stat, then the same hash read again. */
	filetable_upsert(t, "d/f", FILETABLE_FILE, &b);
	assert_true(filetable_edits(t) > ed);
	ed = filetable_edits(t);
	assert_int_equal(filetable_set_hash(t, "d/f", &b, hash_make(42)),
	    FILETABLE_HASH_SAME);
	assert_true(filetable_edits(t) > ed);
	ed = filetable_edits(t);
	/* A directory found complete. */
	filetable_set_complete(t, dir, true);
	assert_true(filetable_edits(t) > ed);
	ed = filetable_edits(t);
	filetable_set_complete(t, dir, true);
	assert_int_equal(filetable_edits(t), ed);
	assert_int_equal(filetable_clock(t), clk);
	filetable_free(t);
}

static void
test_clock_monotonic_and_changes_exact(void **state)
{
	struct filetable *t = filetable_new(NULL);
	struct filetable_stat st = st_make(1, 1, 1);
	struct changes c = { 0 };
	uint64_t c0, c1, prev = 0;
	bool fresh;
	char name[32];

	(void)state;
	for (int i = 0; i < 20; i++) {
		snprintf(name, sizeof(name), "f%d", i);
		filetable_upsert(t, name, FILETABLE_FILE, &st);
		filetable_set_hash(t, name, &st, hash_make((uint64_t)i));
		assert_true(filetable_clock(t) > prev);
		prev = filetable_clock(t);
	}
	c0 = filetable_clock(t);
	/* f3 modified, f5 removed, g added, f7 touched only. */
	st = st_make(1, 2, 2);
	filetable_upsert(t, "f3", FILETABLE_FILE, &st);
	filetable_set_hash(t, "f3", &st, hash_make(1000));
	filetable_remove(t, "f5");
	filetable_upsert(t, "g", FILETABLE_FILE, &st);
	filetable_upsert(t, "f7", FILETABLE_FILE, &st);
	filetable_set_hash(t, "f7", &st, hash_make(7));
	/* Born and gone between the clocks: not reported at all. */
	filetable_upsert(t, "tmp", FILETABLE_FILE, &st);
	filetable_remove(t, "tmp");
	c1 = filetable_changes_since(t, c0, changes_cb, &c, &fresh);
	assert_false(fresh);
	assert_true(c1 > c0);
	assert_int_equal(c.n, 3);
	assert_int_equal(changes_find(&c, "f3"), FILETABLE_CHANGE_MODIFIED);
	assert_int_equal(changes_find(&c, "f5"), FILETABLE_CHANGE_REMOVED);
	assert_int_equal(changes_find(&c, "g"), FILETABLE_CHANGE_ADDED);
	/* Nothing since the latest clock. */
	c.n = 0;
	assert_int_equal(filetable_changes_since(t, c1, changes_cb, &c,
	    &fresh), c1);
	assert_false(fresh);
	assert_int_equal(c.n, 0);
	/* Re-adding a removed path: added again. */
	filetable_upsert(t, "f5", FILETABLE_FILE, &st);
	filetable_changes_since(t, c1, changes_cb, &c, &fresh);
	assert_int_equal(c.n, 1);
	assert_int_equal(changes_find(&c, "f5"), FILETABLE_CHANGE_ADDED);
	filetable_check(t);
	filetable_free(t);
}

static void
test_unknown_clock_is_fresh(void **state)
{
	struct filetable *t = filetable_new(NULL);
	struct filetable_stat st = st_make(1, 1, 1);
	struct changes c = { 0 };
	bool fresh = false;

	(void)state;
	filetable_upsert(t, "a", FILETABLE_FILE, &st);
	filetable_upsert(t, "b", FILETABLE_FILE, &st);
	filetable_remove(t, "b");
	filetable_changes_since(t, 0, changes_cb, &c, &fresh);
	assert_true(fresh);
	assert_int_equal(c.n, 1);
	assert_int_equal(changes_find(&c, "a"), FILETABLE_CHANGE_ADDED);
	c.n = 0;
	fresh = false;
	filetable_changes_since(t, filetable_clock(t) + 5, changes_cb, &c,
	    &fresh);
	assert_true(fresh);
	assert_int_equal(c.n, 1);
	filetable_free(t);
}

static void
test_tombstone_trim_too_old(void **state)
{
	struct filetable_config cfg = { .max_tombstones = 2 };
	struct filetable *t = filetable_new(&cfg);
	struct filetable_stat st = st_make(1, 1, 1);
	struct filetable_counts n;
	struct changes c = { 0 };
	uint64_t c0, c1;
	bool fresh;

	(void)state;
	filetable_upsert(t, "a", FILETABLE_FILE, &st);
	filetable_upsert(t, "b", FILETABLE_FILE, &st);
	filetable_upsert(t, "c", FILETABLE_FILE, &st);
	filetable_upsert(t, "keep", FILETABLE_FILE, &st);
	c0 = filetable_clock(t);
	filetable_remove(t, "a");
	c1 = filetable_clock(t);
	filetable_remove(t, "b");
	filetable_changes_since(t, c0, changes_cb, &c, &fresh);
	assert_false(fresh);
	assert_int_equal(c.n, 2);
	/* The third removal trims "a": c0 can no longer be answered. */
	filetable_remove(t, "c");
	filetable_counts(t, &n);
	assert_int_equal(n.tombstones, 2);
	c.n = 0;
	filetable_changes_since(t, c0, changes_cb, &c, &fresh);
	assert_true(fresh);
	assert_int_equal(c.n, 1);
	assert_int_equal(changes_find(&c, "keep"), FILETABLE_CHANGE_ADDED);
	/* c1 (after a's removal) still is exact. */
	c.n = 0;
	filetable_changes_since(t, c1, changes_cb, &c, &fresh);
	assert_false(fresh);
	assert_int_equal(c.n, 2);
	assert_int_equal(changes_find(&c, "b"), FILETABLE_CHANGE_REMOVED);
	assert_int_equal(changes_find(&c, "c"), FILETABLE_CHANGE_REMOVED);
	assert_null(filetable_lookup(t, "a"));
	filetable_check(t);
	filetable_free(t);
}

static void
test_remove_subtree(void **state)
{
	struct filetable *t = filetable_new(NULL);
	struct filetable_stat st = st_make(1, 1, 1);
	const char *paths[] = { "d", "d/x", "d/sub", "d/sub/y", "dd", "dd/z",
		"e" };
	struct filetable_counts n;

	(void)state;
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		filetable_upsert(t, paths[i], strchr(paths[i], '/') == NULL &&
		    paths[i][0] != 'e' ? FILETABLE_DIR : FILETABLE_FILE, &st);
	assert_true(filetable_set_wd(t, "d", 5));
	assert_non_null(filetable_lookup_wd(t, 5));
	assert_int_equal(filetable_remove_subtree(t, "d"), 4);
	assert_null(filetable_lookup(t, "d/sub/y"));
	assert_null(filetable_lookup(t, "d"));
	assert_null(filetable_lookup_wd(t, 5));
	/* "dd" shares the prefix but is not below "d". */
	assert_non_null(filetable_lookup(t, "dd/z"));
	assert_non_null(filetable_lookup(t, "e"));
	assert_false(filetable_remove(t, "d/x"));
	assert_int_equal(filetable_remove_subtree(t, ""), 3);
	filetable_counts(t, &n);
	assert_int_equal(n.files + n.dirs, 0);
	filetable_check(t);
	filetable_free(t);
}

static void
test_wd_map(void **state)
{
	struct filetable *t = filetable_new(NULL);
	struct filetable_stat st = st_make(1, 1, 1);
	struct filetable_counts n;
	char name[32];

	(void)state;
	for (int i = 0; i < 500; i++) {
		snprintf(name, sizeof(name), "d%d", i);
		filetable_upsert(t, name, FILETABLE_DIR, &st);
		assert_true(filetable_set_wd(t, name, i + 1));
	}
	filetable_upsert(t, "file", FILETABLE_FILE, &st);
	assert_false(filetable_set_wd(t, "file", 9999));
	assert_false(filetable_set_wd(t, "missing", 9999));
	for (int i = 0; i < 500; i += 2) {
		snprintf(name, sizeof(name), "d%d", i);
		filetable_remove(t, name);
	}
	for (int i = 0; i < 500; i++) {
		const struct filetable_entry *e = filetable_lookup_wd(t, i + 1);

		snprintf(name, sizeof(name), "d%d", i);
		if (i % 2 == 0) {
			assert_null(e);
		} else {
			assert_non_null(e);
			assert_string_equal(e->path, name);
		}
	}
	filetable_counts(t, &n);
	assert_int_equal(n.watched_dirs, 250);
	assert_int_equal(n.polled_dirs, 0);
	/* Polled dirs are not in the wd map. */
	assert_true(filetable_set_wd(t, "d1", FILETABLE_WD_POLLED));
	assert_null(filetable_lookup_wd(t, 2));
	assert_int_equal(filetable_lookup(t, "d1")->wd, FILETABLE_WD_POLLED);
	filetable_counts(t, &n);
	assert_int_equal(n.watched_dirs, 249);
	assert_int_equal(n.polled_dirs, 1);
	filetable_remove(t, "d1");
	filetable_counts(t, &n);
	assert_int_equal(n.polled_dirs, 0);
	assert_int_equal(n.dirs, 249);
	filetable_check(t);
	filetable_free(t);
}

static void
test_kind_change(void **state)
{
	struct filetable *t = filetable_new(NULL);
	struct filetable_stat st = st_make(1, 1, 1);
	struct changes c = { 0 };
	uint64_t c0;
	bool fresh;

	(void)state;
	filetable_upsert(t, "x", FILETABLE_FILE, &st);
	c0 = filetable_clock(t);
	assert_int_equal(filetable_upsert(t, "x", FILETABLE_DIR, &st),
	    FILETABLE_ADDED);
	assert_int_equal(filetable_lookup(t, "x")->kind, FILETABLE_DIR);
	filetable_changes_since(t, c0, changes_cb, &c, &fresh);
	assert_int_equal(c.n, 1);
	assert_int_equal(changes_find(&c, "x"), FILETABLE_CHANGE_ADDED);
	filetable_check(t);
	filetable_free(t);
}

/* A file's hash and a directory's wd share bytes: a kind change in either
 * direction must drop the watch, and a watch must not read as a hash. */
static void
test_kind_change_hash_wd_shared(void **state)
{
	struct filetable *t = filetable_new(NULL);
	struct filetable_stat st = st_make(1, 1, 1), st2 = st_make(1, 2, 2);
	const struct filetable_entry *e;
	struct filetable_counts n;

	(void)state;
	filetable_upsert(t, "x", FILETABLE_DIR, &st);
	assert_true(filetable_set_wd(t, "x", 5));
	assert_ptr_equal(filetable_lookup_wd(t, 5), filetable_lookup(t, "x"));
	/* Dir -> file: the watch goes, the file waits for its first hash. */
	assert_int_equal(filetable_upsert(t, "x", FILETABLE_FILE, &st2),
	    FILETABLE_ADDED);
	assert_null(filetable_lookup_wd(t, 5));
	filetable_counts(t, &n);
	assert_int_equal(n.watched_dirs, 0);
	assert_int_equal(n.hash_pending, 1);
	assert_false(filetable_set_wd(t, "x", 6));
	assert_int_equal(filetable_set_hash(t, "x", &st2, hash_make(9)),
	    FILETABLE_HASH_FIRST);
	filetable_check(t);
	/* File -> dir: no watch yet, whatever the hash bytes held. */
	assert_int_equal(filetable_upsert(t, "x", FILETABLE_DIR, &st),
	    FILETABLE_ADDED);
	e = filetable_lookup(t, "x");
	assert_int_equal(e->wd, FILETABLE_WD_NONE);
	assert_int_equal(e->flags & FILETABLE_F_HASH_KNOWN, 0);
	filetable_counts(t, &n);
	assert_int_equal(n.watched_dirs, 0);
	assert_int_equal(n.hash_pending, 0);
	assert_true(filetable_set_wd(t, "x", 7));
	assert_ptr_equal(filetable_lookup_wd(t, 7), filetable_lookup(t, "x"));
	/* Removing the dir drops its watch from the map too. */
	assert_true(filetable_remove(t, "x"));
	assert_null(filetable_lookup_wd(t, 7));
	filetable_check(t);
	filetable_free(t);
}

/* Many entries with interleaved removals: index backward shift, page reuse,
 * memory figure under the budget. */
static void
test_many_entries_memory(void **state)
{
	struct filetable_config cfg = { .max_tombstones = 1000 };
	struct filetable *t = filetable_new(&cfg);
	struct filetable_stat st = st_make(1, 1, 1);
	struct filetable_counts n;
	char name[64];
	size_t names = 0, full_bytes;
	const int count = 20000;

	(void)state;
	for (int i = 0; i < count; i++) {
		snprintf(name, sizeof(name), "dir%d/file%d.c", i % 100, i);
		names += strlen(name) + 1;
		filetable_upsert(t, name, FILETABLE_FILE, &st);
	}
	filetable_counts(t, &n);
	/* Names packed: at most one block of slack, no per-name header. */
	assert_true(n.bytes_names >= names);
	assert_true(n.bytes_names < names + 70 * 1024);
	/* Well under 150 bytes per entry, names excluded: 96-byte entries
	 * plus a 4-byte index slot at 35-70% load. */
	assert_true(n.bytes_table / count < 115);
	full_bytes = n.bytes_table;
	for (int i = 0; i < count; i += 3) {
		snprintf(name, sizeof(name), "dir%d/file%d.c", i % 100, i);
		assert_true(filetable_remove(t, name));
	}
	for (int i = 0; i < count; i++) {
		snprintf(name, sizeof(name), "dir%d/file%d.c", i % 100, i);
		if (i % 3 == 0)
			assert_null(filetable_lookup(t, name));
		else
			assert_non_null(filetable_lookup(t, name));
	}
	filetable_check(t);
	filetable_counts(t, &n);
	assert_int_equal(n.tombstones, 1000);
	assert_int_equal(n.files, count - (count + 2) / 3);
	/* Trimmed tombstones' slots are reused, not added to. */
	for (int i = 0; i < count / 2; i += 3) {
		snprintf(name, sizeof(name), "new/%d", i);
		filetable_upsert(t, name, FILETABLE_FILE, &st);
	}
	filetable_counts(t, &n);
	assert_int_equal(n.bytes_table, full_bytes);
	filetable_check(t);
	filetable_free(t);
}

/* Freed names are compacted away; every path survives the move. */
static void
test_name_compaction(void **state)
{
	struct filetable_config cfg = { .max_tombstones = 0 };
	struct filetable *t = filetable_new(&cfg);
	struct filetable_stat st = st_make(1, 1, 1);
	struct filetable_counts before, after;
	char name[64];

	(void)state;
	for (int i = 0; i < 40000; i++) {
		snprintf(name, sizeof(name), "%s/some/longer/name%d.c",
		    i % 4 ? "drop" : "keep", i);
		filetable_upsert(t, name, FILETABLE_FILE, &st);
	}
	filetable_counts(t, &before);
	assert_int_equal(filetable_remove_subtree(t, "drop"), 30000);
	filetable_counts(t, &after);
	assert_true(after.bytes_names < before.bytes_names / 2);
	assert_int_equal(after.files, 10000);
	assert_int_equal(after.tombstones, 0);
	for (int i = 0; i < 40000; i++) {
		const struct filetable_entry *e;

		snprintf(name, sizeof(name), "%s/some/longer/name%d.c",
		    i % 4 ? "drop" : "keep", i);
		e = filetable_lookup(t, name);
		if (i % 4) {
			assert_null(e);
		} else {
			assert_non_null(e);
			assert_string_equal(e->path, name);
		}
	}
	filetable_check(t);
	assert_int_equal(filetable_remove_subtree(t, ""), 10000);
	filetable_counts(t, &after);
	assert_int_equal(after.bytes_names, 0);
	filetable_upsert(t, "again", FILETABLE_FILE, &st);
	assert_string_equal(filetable_lookup(t, "again")->path, "again");
	filetable_free(t);
}

static void
test_hash_error(void **state)
{
	struct filetable *t = filetable_new(NULL);
	struct filetable_stat a = st_make(1, 1, 1), b = st_make(1, 2, 2);
	struct filetable_counts n;

	(void)state;
	filetable_upsert(t, "f", FILETABLE_FILE, &a);
	filetable_upsert(t, "d", FILETABLE_DIR, &a);
	assert_true(filetable_set_hash_error(t, "f"));
	assert_false(filetable_set_hash_error(t, "f"));	/* once */
	assert_false(filetable_set_hash_error(t, "d"));
	assert_false(filetable_set_hash_error(t, "nope"));
	filetable_counts(t, &n);
	assert_int_equal(n.hash_pending, 0);
	assert_int_equal(n.hash_errors, 1);
	/* A stat change retries. */
	filetable_upsert(t, "f", FILETABLE_FILE, &b);
	filetable_counts(t, &n);
	assert_int_equal(n.hash_pending, 1);
	assert_int_equal(n.hash_errors, 0);
	assert_int_equal(filetable_set_hash(t, "f", &b, hash_make(3)),
	    FILETABLE_HASH_FIRST);
	assert_false(filetable_set_hash_error(t, "f"));	/* known */
	filetable_counts(t, &n);
	assert_int_equal(n.hash_pending, 0);
	assert_int_equal(n.hash_errors, 0);
	/* An error then a late good result for the same tuple. */
	filetable_upsert(t, "g", FILETABLE_FILE, &a);
	assert_true(filetable_set_hash_error(t, "g"));
	assert_int_equal(filetable_set_hash(t, "g", &a, hash_make(4)),
	    FILETABLE_HASH_FIRST);
	filetable_counts(t, &n);
	assert_int_equal(n.hash_errors, 0);
	assert_int_equal(n.hash_pending, 0);
	filetable_remove(t, "g");
	filetable_counts(t, &n);
	assert_int_equal(n.files, 1);
	filetable_free(t);
}

/* Restored directories' children lists (the warm walk's), ids and hints. */
static void
test_restore_children_and_hints(void **state)
{
	struct filetable *t = filetable_new(NULL);
	struct filetable_stat st = st_make(1, 1, 1);
	static const char *const paths[] = { "", "a", "a/x", "b", "a/y",
	    "gone" };
	/* parents by id; "gone" is a tombstone */
	uint32_t parent[] = { FILETABLE_NO_ID, 0, 1, 0, 1, FILETABLE_NO_ID };
	uint32_t bad[] = { FILETABLE_NO_ID, 0, 3, 0, 1, FILETABLE_NO_ID };
	uint32_t orphan[] = { FILETABLE_NO_ID, 0, FILETABLE_NO_ID, 0, 1,
	    FILETABLE_NO_ID };
	const uint32_t *kids;
	uint32_t id;
	XXH128_hash_t h = { 0, 0 };

	(void)state;
	filetable_restore_clock(t, 10, 0);
	for (size_t i = 0; i < 6; i++)
		assert_true(filetable_restore(t, paths[i],
		    i == 0 || i == 1 ? FILETABLE_DIR : FILETABLE_FILE, &st,
		    false, false, h, i + 1, i + 1, i == 5));
	assert_false(filetable_children_kept(t));
	/* "b" is a file: no one's directory. A live file in no list would
	 * be missed by a walk trusting the lists: refused too. */
	assert_false(filetable_restore_children(t, bad, 6));
	assert_false(filetable_restore_children(t, orphan, 6));
	assert_false(filetable_restore_children(t, parent, 5));
	assert_false(filetable_children_kept(t));
	assert_true(filetable_restore_children(t, parent, 6));
	assert_true(filetable_children_kept(t));
	assert_int_equal(filetable_known_children(t, 0, &kids), 2);
	assert_true(kids[0] == 1 && kids[1] == 3);
	assert_int_equal(filetable_known_children(t, 1, &kids), 2);
	assert_true(kids[0] == 2 && kids[1] == 4);
	assert_int_equal(filetable_known_children(t, 3, &kids), 0);
	assert_int_equal(filetable_parent_id(t, "a/y"), 1);
	assert_int_equal(filetable_parent_id(t, "b"), 0);
	assert_int_equal(filetable_parent_id(t, ""), FILETABLE_NO_ID);
	assert_int_equal(filetable_parent_id(t, "gone/z"), FILETABLE_NO_ID);
	assert_int_equal(filetable_lookup_id(t, "a/x"), 2);
	assert_int_equal(filetable_lookup_id(t, "gone"), FILETABLE_NO_ID);
	assert_string_equal(filetable_entry_id(t, 4)->path, "a/y");
	assert_null(filetable_entry_id(t, 5));	/* a tombstone */
	assert_null(filetable_entry_id(t, 99));
	/* A right hint, a wrong one, none: the same outcome. */
	assert_int_equal(filetable_upsert_hint(t, "a/x", 2, FILETABLE_FILE,
	    &st, &id), FILETABLE_STAT_CHANGED);	/* restored unhashed */
	assert_int_equal(id, 2);
	assert_int_equal(filetable_upsert_hint(t, "a/y", 3, FILETABLE_FILE,
	    &st, &id), FILETABLE_STAT_CHANGED);
	assert_int_equal(id, 4);
	assert_int_equal(filetable_upsert_hint(t, "a/new", FILETABLE_NO_ID,
	    FILETABLE_FILE, &st, &id), FILETABLE_ADDED);
	assert_int_equal(id, 6);
	assert_int_equal(filetable_upsert_hint(t, "gone", 5, FILETABLE_FILE,
	    &st, &id), FILETABLE_ADDED);	/* back from its tombstone */
	assert_int_equal(id, 5);
	/* Complete marks, dirs only, and all cleared at once. */
	filetable_set_complete(t, 1, true);
	filetable_set_complete(t, 2, true);
	assert_true(filetable_entry_id(t, 1)->flags & FILETABLE_F_COMPLETE);
	assert_false(filetable_entry_id(t, 2)->flags & FILETABLE_F_COMPLETE);
	assert_true(filetable_set_wd_id(t, 1, 7));
	assert_false(filetable_set_wd_id(t, 2, 8));
	assert_ptr_equal(filetable_lookup_wd(t, 7), filetable_entry_id(t, 1));
	filetable_clear_complete(t);
	assert_false(filetable_entry_id(t, 1)->flags & FILETABLE_F_COMPLETE);
	filetable_check(t);
	filetable_drop_children(t);
	assert_false(filetable_children_kept(t));
	assert_int_equal(filetable_known_children(t, 0, &kids), 0);
	filetable_free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_upsert_lookup_modify),
		cmocka_unit_test(test_stale_hash_dropped),
		cmocka_unit_test(test_touch_same_content_is_no_change),
		cmocka_unit_test(test_edits_without_clock),
		cmocka_unit_test(test_clock_monotonic_and_changes_exact),
		cmocka_unit_test(test_unknown_clock_is_fresh),
		cmocka_unit_test(test_tombstone_trim_too_old),
		cmocka_unit_test(test_remove_subtree),
		cmocka_unit_test(test_wd_map),
		cmocka_unit_test(test_kind_change),
		cmocka_unit_test(test_kind_change_hash_wd_shared),
		cmocka_unit_test(test_many_entries_memory),
		cmocka_unit_test(test_name_compaction),
		cmocka_unit_test(test_hash_error),
		cmocka_unit_test(test_restore_children_and_hints),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
