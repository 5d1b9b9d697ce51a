/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests for daemon/snapshot.c: a table round-trips (entries, hashes,
 * clocks, tombstones, changes_since answers); every truncation and every
 * flipped byte is refused whole; a snapshot of another root is refused;
 * and git's racy-clean rule, with a real file whose stat tuple matches
 * the saved one but whose content does not (a rewrite within one mtime
 * granule of the hash): within the racy window of the save it is
 * re-hashed and reported modified by a real rootsync walk; safely older,
 * its tuple is trusted (which is why the window must cover the
 * filesystem's timestamp granularity). The warm walk of a real tree:
 * directories unchanged and complete are stat'ed from their saved lists
 * (not read), the others read; a file changed in place in an unchanged
 * directory, files and directories added and removed while down are all
 * found, the same with the walk's stat pool as without.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "notifier.h"
#include "snapshot.h"
#include "strbuf.h"
#include "testutil.h"
#include "rootsync.h"
#include "xmalloc.h"

static int
buf_write(void *arg, const void *p, size_t len)
{
	strbuf_add(arg, p, len);
	return 0;
}

static struct filetable_stat
st_of(int64_t n)
{
	struct filetable_stat st = { .dev = 1, .ino = (uint64_t)n,
	    .size = n, .mtime_ns = n * 1000, .ctime_ns = n * 1000 };

	return st;
}

static XXH128_hash_t
h_of(const char *s)
{
	return XXH3_128bits(s, strlen(s));
}

/* "" a/ a/x (hashed) b (pending) c (hashed, later modified), gone
 * (tombstone). */
static struct filetable *
sample(void)
{
	struct filetable *t = filetable_new(NULL);
	struct filetable_stat st;

	st = st_of(1);
	filetable_upsert(t, "", FILETABLE_DIR, &st);
	st = st_of(2);
	filetable_upsert(t, "a", FILETABLE_DIR, &st);
	st = st_of(3);
	filetable_upsert(t, "a/x", FILETABLE_FILE, &st);
	filetable_set_hash(t, "a/x", &st, h_of("x"));
	st = st_of(4);
	filetable_upsert(t, "b", FILETABLE_FILE, &st);
	st = st_of(5);
	filetable_upsert(t, "gone", FILETABLE_FILE, &st);
	filetable_set_hash(t, "gone", &st, h_of("g"));
	st = st_of(6);
	filetable_upsert(t, "c", FILETABLE_FILE, &st);
	filetable_set_hash(t, "c", &st, h_of("c1"));
	filetable_remove(t, "gone");
	st = st_of(7);
	filetable_upsert(t, "c", FILETABLE_FILE, &st);
	filetable_set_hash(t, "c", &st, h_of("c2"));
	return t;
}

static void
meta_init(struct snapshot_meta *m, int64_t saved_ns)
{
	memset(m, 0, sizeof(*m));
	m->saved_ns = saved_ns;
	m->root_id = 0x1234;
	m->inst[0].id = 42;
	m->ninst = 1;
}

struct listing {
	char text[512];
};

static void
list_one(void *arg, const struct filetable_entry *e,
    enum filetable_change c)
{
	struct listing *l = arg;
	size_t n = strlen(l->text);

	snprintf(l->text + n, sizeof(l->text) - n, "%s%c ", e->path,
	    c == FILETABLE_CHANGE_ADDED ? '+' :
	    c == FILETABLE_CHANGE_MODIFIED ? '~' : '-');
}

static void
test_round_trip(void **state)
{
	struct filetable *t = sample(), *u = NULL;
	struct snapshot_meta m, m2;
	struct listing a = { "" }, b = { "" };
	const struct filetable_entry *e;
	struct strbuf sb;
	size_t racy = 99;

	(void)state;
	strbuf_init(&sb);
	meta_init(&m, (int64_t)1 << 62);
	m.inst[1].id = 7;
	m.inst[1].max_clock = 3;
	m.ninst = 2;
	m.ignore_digest = 0xfeedULL;
	assert_int_equal(snapshot_encode(t, "/r", &m, buf_write, &sb), 0);
	assert_int_equal(snapshot_decode(sb.buf, sb.len, "/r", NULL, &u, &m2,
	    &racy, NULL), 0);
	filetable_check(u);
	assert_int_equal(racy, 1);	/* b had no hash */
	assert_true(m2.saved_ns == m.saved_ns && m2.root_id == 0x1234 &&
	    m2.ninst == 2 && m2.inst[1].id == 7 && m2.inst[1].max_clock == 3);
	assert_true(m2.ignore_digest == 0xfeedULL);
	assert_true(filetable_clock(u) == filetable_clock(t));
	e = filetable_lookup(u, "a/x");
	assert_non_null(e);
	assert_true((e->flags & FILETABLE_F_HASH_KNOWN) &&
	    XXH128_isEqual(e->hash, h_of("x")));
	assert_true(e->st.size == 3 && e->st.mtime_ns == 3000);
	e = filetable_lookup(u, "b");
	assert_true(e != NULL && !(e->flags & FILETABLE_F_HASH_KNOWN) &&
	    e->st.size == -1);
	assert_null(filetable_lookup(u, "gone"));
	/* Same answers from every clock, removals included. */
	for (uint64_t since = 1; since <= filetable_clock(t); since++) {
		bool fa, fb;

		a.text[0] = b.text[0] = '\0';
		filetable_changes_since(t, since, list_one, &a, &fa);
		filetable_changes_since(u, since, list_one, &b, &fb);
		assert_string_equal(a.text, b.text);
		assert_true(fa == fb);
	}
	/* Nothing walked yet: every live entry would be swept. */
	assert_int_equal(filetable_sweep_unseen(u), 5);
	filetable_check(u);
	filetable_free(u);
	filetable_free(t);
	strbuf_release(&sb);
}

/* More entries than the decode's lookahead (paths hashed and index slots
 * fetched ahead): every path is found again, with its stat and hash, in
 * tables of 1 to 1,000 entries (the lookahead's edges included). */
static void
test_round_trip_many(void **state)
{
	static const size_t sizes[] = { 1, 15, 16, 17, 33, 1000 };
	char path[64];

	(void)state;
	for (size_t z = 0; z < sizeof(sizes) / sizeof(sizes[0]); z++) {
		struct filetable_config cfg = { .max_tombstones = 16 };
		struct filetable *t = filetable_new(&cfg), *u = NULL;
		struct filetable_stat st;
		struct snapshot_meta m, m2;
		const struct filetable_entry *e;
		struct strbuf sb;

		strbuf_init(&sb);
		for (size_t i = 0; i < sizes[z]; i++) {
			snprintf(path, sizeof(path), "dir%zu/file-%zu.c",
			    i % 7, i);
			st = st_of((int)i + 1);
			filetable_upsert(t, path, FILETABLE_FILE, &st);
			filetable_set_hash(t, path, &st, h_of(path));
		}
		meta_init(&m, (int64_t)1 << 62);
		assert_int_equal(snapshot_encode(t, "/r", &m, buf_write, &sb),
		    0);
		assert_int_equal(snapshot_decode(sb.buf, sb.len, "/r", NULL,
		    &u, &m2, NULL, NULL), 0);
		for (size_t i = 0; i < sizes[z]; i++) {
			snprintf(path, sizeof(path), "dir%zu/file-%zu.c",
			    i % 7, i);
			e = filetable_lookup(u, path);
			assert_non_null(e);
			st = st_of((int)i + 1);
			assert_int_equal(e->st.ino, st.ino);
			assert_true(XXH128_isEqual(e->hash, h_of(path)));
		}
		assert_null(filetable_lookup(u, "dir0/file-1.c"));
		filetable_check(u);
		filetable_free(u);
		filetable_free(t);
		strbuf_release(&sb);
	}
}

static void
test_every_truncation_and_flip_refused(void **state)
{
	struct filetable *t = sample(), *u;
	struct snapshot_meta m, m2;
	struct strbuf sb;
	struct gerr err;

	(void)state;
	strbuf_init(&sb);
	meta_init(&m, 0);
	assert_int_equal(snapshot_encode(t, "/r", &m, buf_write, &sb), 0);
	for (size_t len = 0; len < sb.len; len++) {
		u = NULL;
		gerr_clear(&err);
		assert_int_equal(snapshot_decode(sb.buf, len, "/r", NULL, &u,
		    &m2, NULL, &err), GERR_PARSE);
		assert_null(u);
	}
	for (size_t i = 0; i < sb.len; i++) {
		u = NULL;
		sb.buf[i] ^= 0x40;
		gerr_clear(&err);
		assert_int_not_equal(snapshot_decode(sb.buf, sb.len, "/r",
		    NULL, &u, &m2, NULL, &err), 0);
		assert_null(u);
		sb.buf[i] ^= 0x40;
	}
	gerr_clear(&err);
	assert_int_equal(snapshot_decode(sb.buf, sb.len, "/other", NULL, &u,
	    &m2, NULL, &err), GERR_INVALID);
	assert_non_null(strstr(err.msg, "another root"));
	filetable_free(t);
	strbuf_release(&sb);
}

/* A version 2 snapshot (no ignore digest) is still read, its digest
 * unknown (0); a version from the future, or before 2, is refused. */
static void
test_versions(void **state)
{
	struct filetable *t = sample(), *u = NULL;
	struct snapshot_meta m, m2;
	struct strbuf sb, old;
	struct gerr err;
	/* magic, version, endian, saved_ns, clock, trimmed, root_id, ninst,
	 * one instance: then the digest (version 3). */
	size_t at = 8 + 4 + 4 + 8 + 8 + 8 + 4 + 4 + 16;
	uint32_t v = 2;
	uint64_t sum;

	(void)state;
	strbuf_init(&sb);
	strbuf_init(&old);
	meta_init(&m, (int64_t)1 << 62);
	m.ignore_digest = 0x1234abcdULL;
	assert_int_equal(snapshot_encode(t, "/r", &m, buf_write, &sb), 0);
	strbuf_add(&old, sb.buf, at);
	strbuf_add(&old, sb.buf + at + 8, sb.len - at - 8 - 8);
	memcpy(old.buf + 8, &v, 4);
	sum = XXH3_64bits(old.buf, old.len);
	strbuf_add(&old, (const char *)&sum, 8);
	assert_int_equal(snapshot_decode(old.buf, old.len, "/r", NULL, &u,
	    &m2, NULL, NULL), 0);
	assert_true(m2.ignore_digest == 0);
	assert_non_null(filetable_lookup(u, "a/x"));
	assert_true(filetable_clock(u) == filetable_clock(t));
	filetable_free(u);
	for (uint32_t bad = 0; bad < 6; bad++) {
		if (bad == 2 || bad == 3)
			continue;
		memcpy(sb.buf + 8, &bad, 4);
		u = NULL;
		gerr_clear(&err);
		assert_int_equal(snapshot_decode(sb.buf, sb.len, "/r", NULL,
		    &u, &m2, NULL, &err), GERR_PARSE);
		assert_null(u);
		assert_non_null(strstr(err.msg, "snapshot version"));
	}
	filetable_free(t);
	strbuf_release(&sb);
	strbuf_release(&old);
}

/* Idle saves cost at most 1/SNAPSHOT_IDLE_COST of the time. */
static void
test_idle_wait(void **state)
{
	(void)state;
	/* Never saved, or a quick save: the quiet period. */
	assert_int_equal(snapshot_idle_wait_ms(30000, 5000, 0, 0), 30000);
	assert_int_equal(snapshot_idle_wait_ms(30000, 100000, 99000, 2000),
	    30000);
	/* A 0.5 s save that ended at 100 s: not before 600 s. */
	assert_int_equal(snapshot_idle_wait_ms(30000, 101000, 100000,
	    500000), 499000);
	assert_int_equal(snapshot_idle_wait_ms(30000, 580000, 100000,
	    500000), 30000);
	assert_int_equal(snapshot_idle_wait_ms(30000, 900000, 100000,
	    500000), 30000);
}

/* ---- the racy-clean rule, end to end through a rootsync walk ---- */

struct fx {
	int pipe[2];
	struct hashpool *pool;
	struct rootsync *w;
};

static void
fx_notify(void *arg)
{
	struct fx *f = arg;
	ssize_t n = write(f->pipe[1], "x", 1);

	(void)n;
}

static void
fx_result(void *arg, const struct hashpool_result *r)
{
	struct fx *f = arg;

	rootsync_hash_result(f->w, r);
}

static void
fx_discard(void *arg, int32_t wd, uint32_t mask, uint32_t cookie,
    const char *name)
{
	(void)arg;
	(void)wd;
	(void)mask;
	(void)cookie;
	(void)name;
}

/*
 * Save a table of root claiming file "r" (whose disk content is "new!")
 * still holds "old!" under its current stat tuple, with the save at
 * r's mtime + save_after_ns; load it into a rootsync, walk, and return
 * what changes_since(saved clock) lists.
 */
static void
racy_case(const char *root, int64_t save_after_ns, struct listing *out,
    XXH128_hash_t *hash_after)
{
	struct hashpool_config pcfg = { .threads = 1, .max_jobs = 8 };
	struct filetable *t = filetable_new(NULL), *u = NULL;
	struct rootsync_config cfg = { .generation = 3 };
	struct filetable_stat fst;
	struct snapshot_meta m;
	struct rootsync_status ws;
	struct strbuf sb;
	struct stat st;
	struct fx f;
	char *abs;
	uint64_t saved;
	char buf[16];

	abs = xasprintf("%s", root);
	assert_int_equal(lstat(abs, &st), 0);
	filetable_stat_from(&fst, &st);
	filetable_upsert(t, "", FILETABLE_DIR, &fst);
	free(abs);
	abs = xasprintf("%s/r", root);
	assert_int_equal(lstat(abs, &st), 0);
	free(abs);
	filetable_stat_from(&fst, &st);
	filetable_upsert(t, "r", FILETABLE_FILE, &fst);
	filetable_set_hash(t, "r", &fst, h_of("old!"));
	saved = filetable_clock(t);
	meta_init(&m, fst.mtime_ns + save_after_ns);
	strbuf_init(&sb);
	assert_int_equal(snapshot_encode(t, root, &m, buf_write, &sb), 0);
	filetable_free(t);
	assert_int_equal(snapshot_decode(sb.buf, sb.len, root, NULL, &u, &m,
	    NULL, NULL), 0);
	strbuf_release(&sb);

	assert_int_equal(pipe2(f.pipe, O_CLOEXEC | O_NONBLOCK), 0);
	assert_int_equal(hashpool_new(&pcfg, fx_notify, &f, &f.pool, NULL),
	    0);
	cfg.pool = f.pool;
	cfg.table = u;
	cfg.force_poll = true;		/* no inotify needed here */
	assert_int_equal(rootsync_new(root, &cfg, &f.w, NULL), 0);
	while (rootsync_step(f.w, 100))
		;
	for (;;) {
		struct pollfd p = { .fd = f.pipe[0], .events = POLLIN };

		notifier_drain(fx_discard, NULL);
		hashpool_drain(f.pool, fx_result, &f);
		rootsync_status(f.w, &ws);
		if (!ws.loading)
			break;
		assert_true(poll(&p, 1, 10000) > 0);
		assert_true(read(f.pipe[0], buf, sizeof(buf)) > 0);
	}
	out->text[0] = '\0';
	filetable_changes_since(rootsync_table(f.w), saved, list_one, out,
	    NULL);
	*hash_after = filetable_lookup(rootsync_table(f.w), "r")->hash;
	filetable_check(rootsync_table(f.w));
	rootsync_free(f.w);
	hashpool_free(f.pool);
	close(f.pipe[0]);
	close(f.pipe[1]);
}

/* ---- the warm walk: lists of unchanged directories ---- */

/* The ignore rules of ww_walk: *.log while ww_ignore_logs; what the
 * rules_same callback answers (-1: no callback). */
static bool ww_ignore_logs = true;
static int ww_rules = -1;
static size_t ww_rules_asked;

static bool
ww_ignored(void *arg, const char *rel, bool is_dir)
{
	size_t n = strlen(rel);

	(void)arg;
	return ww_ignore_logs && !is_dir && n > 4 &&
	    strcmp(rel + n - 4, ".log") == 0;
}

static bool
ww_rules_same(void *arg)
{
	(void)arg;
	ww_rules_asked++;
	return ww_rules == 1;
}

/* Walk root from snapshot in (NULL: a first crawl) until loaded; the
 * changes after since go to out (sorted), the status to ws, the table's
 * snapshot (saved "later": nothing in it racy) to saved. */
static void
ww_walk(const char *root, const struct strbuf *in, unsigned threads,
    uint64_t since, struct listing *out, struct rootsync_status *ws,
    struct strbuf *saved)
{
	struct hashpool_config pcfg = { .threads = 2, .max_jobs = 64 };
	struct rootsync_config cfg = { .generation = 5 };
	struct filetable *t = NULL;
	struct snapshot_meta m;
	struct fx f;
	char buf[16], *toks[64], *save = NULL, *text;
	size_t n = 0, len = 0;

	assert_int_equal(pipe2(f.pipe, O_CLOEXEC | O_NONBLOCK), 0);
	assert_int_equal(hashpool_new(&pcfg, fx_notify, &f, &f.pool, NULL),
	    0);
	if (in != NULL)
		assert_int_equal(snapshot_decode(in->buf, in->len, root, NULL,
		    &t, &m, NULL, NULL), 0);
	cfg.pool = f.pool;
	cfg.table = t;
	cfg.force_poll = true;
	cfg.is_ignored = ww_ignored;
	cfg.rules_same = ww_rules >= 0 ? ww_rules_same : NULL;
	cfg.walk_threads = threads;
	assert_int_equal(rootsync_new(root, &cfg, &f.w, NULL), 0);
	while (rootsync_step(f.w, 7))
		;
	for (;;) {
		struct pollfd p = { .fd = f.pipe[0], .events = POLLIN };

		hashpool_drain(f.pool, fx_result, &f);
		rootsync_status(f.w, ws);
		if (!ws->loading && ws->hash_pending == 0 &&
		    ws->hash_backlog == 0)
			break;
		assert_true(poll(&p, 1, 10000) > 0);
		assert_true(read(f.pipe[0], buf, sizeof(buf)) > 0);
	}
	out->text[0] = '\0';
	filetable_changes_since(rootsync_table(f.w), since, list_one, out,
	    NULL);
	text = xstrdup(out->text);
	for (char *tk = strtok_r(text, " ", &save); tk != NULL && n < 64;
	    tk = strtok_r(NULL, " ", &save))
		toks[n++] = tk;
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && strcmp(toks[j - 1], toks[j]) > 0;
		    j--) {
			char *x = toks[j];

			toks[j] = toks[j - 1];
			toks[j - 1] = x;
		}
	out->text[0] = '\0';
	for (size_t i = 0; i < n; i++)
		len += (size_t)snprintf(out->text + len, sizeof(out->text) - len,
		    "%s ", toks[i]);
	free(text);
	filetable_check(rootsync_table(f.w));
	meta_init(&m, (int64_t)time(NULL) * 1000000000 + 10 * SNAPSHOT_RACY_NS);
	strbuf_reset(saved);
	assert_int_equal(snapshot_encode(rootsync_table(f.w), root, &m,
	    buf_write, saved), 0);
	rootsync_free(f.w);
	hashpool_free(f.pool);
	close(f.pipe[0]);
	close(f.pipe[1]);
}

/* Every entry of root an hour old (its dirs last). */
static void
ww_age(const char *root, const char *const *rels, size_t n)
{
	struct timespec ts[2] = { { time(NULL) - 3600, 0 },
	    { time(NULL) - 3600, 0 } };

	for (size_t i = 0; i < n; i++) {
		char *abs = xasprintf("%s/%s", root, rels[i]);

		assert_int_equal(utimensat(AT_FDCWD, abs, ts,
		    AT_SYMLINK_NOFOLLOW), 0);
		free(abs);
	}
}

static void
test_warm_walk_lists(void **state)
{
	char *top = testutil_tmpdir("snapshot");
	static const char *const files[] = { "a/1.txt", "a/2.txt", "a/3.txt",
	    "b/x.txt", "b/c/z.txt", "d/w.txt", "f/keep.txt", "f/out.log" };
	static const char *const dirs[] = { "a", "b", "d", "e", "f", "b/c",
	    "" };
	struct filetable *t;
	struct rootsync_status ws;
	struct listing l1, l2, l0;
	struct strbuf s0, s1;
	uint64_t since;
	const char *expect = "a/2.txt~ b/new.txt+ d- d/w.txt- g+ g/h.txt+ ";

	(void)state;
	assert_int_equal(notifier_init(NULL), 0);
	for (size_t i = 0; i + 1 < sizeof(dirs) / sizeof(dirs[0]); i++)
		testutil_mkdir(top, dirs[i]);
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		testutil_put(top, files[i], files[i]);
	ww_age(top, files, sizeof(files) / sizeof(files[0]));
	ww_age(top, dirs, sizeof(dirs) / sizeof(dirs[0]));
	strbuf_init(&s0);
	strbuf_init(&s1);
	/* A first crawl: every directory read, the old ones marked
	 * complete, f also as holding an ignored name (out.log). */
	ww_walk(top, NULL, 1, 0, &l0, &ws, &s0);
	assert_int_equal(ws.dirs_known, 0);
	assert_int_equal(ws.dirs_read, 7);
	assert_int_equal(snapshot_decode(s0.buf, s0.len, top, NULL, &t,
	    &(struct snapshot_meta){ 0 }, NULL, NULL), 0);
	assert_true(filetable_lookup(t, "a")->flags & FILETABLE_F_COMPLETE);
	assert_true(filetable_lookup(t, "")->flags & FILETABLE_F_COMPLETE);
	assert_true(filetable_lookup(t, "f")->flags & FILETABLE_F_COMPLETE);
	assert_true(filetable_lookup(t, "f")->flags & FILETABLE_F_IGNORED);
	assert_false(filetable_lookup(t, "a")->flags & FILETABLE_F_IGNORED);
	assert_null(filetable_lookup(t, "f/out.log"));
	since = filetable_clock(t);
	filetable_free(t);
	/* While down: a/2.txt rewritten in place (a keeps its mtime), b
	 * gains a file, d goes, g comes. */
	testutil_put(top, "a/2.txt", "A/2.TXT");
	testutil_put(top, "b/new.txt", "new");
	testutil_rmtree(xasprintf("%s/d", top));
	testutil_mkdir(top, "g");
	testutil_put(top, "g/h.txt", "h");
	/* Walked from the lists: a, b/c, e; read: the root, b, f, g. */
	ww_walk(top, &s0, 1, since, &l1, &ws, &s1);
	assert_string_equal(l1.text, expect);
	assert_int_equal(ws.dirs_known, 3);
	assert_int_equal(ws.dirs_read, 4);
	assert_int_equal(ws.files_hashed, 3);
	assert_int_equal(ws.swept, 2);
	/* The same from the same snapshot with the stat pool. */
	ww_walk(top, &s0, 4, since, &l2, &ws, &s1);
	assert_string_equal(l2.text, expect);
	assert_int_equal(ws.dirs_known, 3);
	assert_int_equal(ws.dirs_read, 4);
	assert_int_equal(ws.files_hashed, 3);
	/* Nothing changed since: no change, nothing hashed. The root, b
	 * and g were just written: not marked complete, read again. */
	assert_int_equal(snapshot_decode(s1.buf, s1.len, top, NULL, &t,
	    &(struct snapshot_meta){ 0 }, NULL, NULL), 0);
	since = filetable_clock(t);
	filetable_free(t);
	ww_walk(top, &s1, 4, since, &l2, &ws, &s0);
	assert_string_equal(l2.text, "");
	assert_int_equal(ws.files_hashed, 0);
	assert_int_equal(ws.dirs_known, 3);
	assert_int_equal(ws.dirs_read, 4);
	/* With the rules known the same, f comes from its list too (it
	 * stays flagged: its out.log is still there, unseen). */
	ww_rules = 1;
	ww_rules_asked = 0;
	ww_walk(top, &s1, 4, since, &l2, &ws, &s0);
	assert_string_equal(l2.text, "");
	assert_int_equal(ws.dirs_known, 4);
	assert_int_equal(ws.dirs_read, 3);
	assert_int_equal(ws.files_hashed, 0);
	assert_int_equal(ww_rules_asked, 1);
	assert_int_equal(snapshot_decode(s0.buf, s0.len, top, NULL, &t,
	    &(struct snapshot_meta){ 0 }, NULL, NULL), 0);
	assert_true(filetable_lookup(t, "f")->flags & FILETABLE_F_IGNORED);
	filetable_free(t);
	/* The rules changed while down (*.log no longer ignored): f was
	 * taken from its list, so the whole root is read again before it
	 * is loaded, and out.log is found. */
	ww_ignore_logs = false;
	ww_rules = 0;
	ww_walk(top, &s1, 4, since, &l2, &ws, &s0);
	assert_string_equal(l2.text, "f/out.log+ ");
	assert_int_equal(ws.files_hashed, 1);
	assert_int_equal(ws.dirs_known, 4);
	assert_int_equal(ws.dirs_read, 3 + 7);
	assert_int_equal(ws.swept, 0);
	ww_ignore_logs = true;
	ww_rules = -1;
	strbuf_release(&s0);
	strbuf_release(&s1);
	notifier_cleanup();
	testutil_rmtree(top);
}

static void
test_racy_file_rehashed(void **state)
{
	char *top = testutil_tmpdir("snapshot");
	struct listing l;
	XXH128_hash_t h;

	(void)state;
	assert_int_equal(notifier_init(NULL), 0);
	testutil_put(top, "r", "new!");
	/* Saved 1 ms after the file's mtime: within one granule. */
	racy_case(top, 1000000, &l, &h);
	assert_string_equal(l.text, "r~ ");
	assert_true(XXH128_isEqual(h, h_of("new!")));
	/* Saved well after: the tuple is trusted and the file not read. */
	racy_case(top, 10 * SNAPSHOT_RACY_NS, &l, &h);
	assert_string_equal(l.text, "");
	assert_true(XXH128_isEqual(h, h_of("old!")));
	notifier_cleanup();
	testutil_rmtree(top);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_round_trip_many),
		cmocka_unit_test(test_every_truncation_and_flip_refused),
		cmocka_unit_test(test_versions),
		cmocka_unit_test(test_idle_wait),
		cmocka_unit_test(test_racy_file_rehashed),
		cmocka_unit_test(test_warm_walk_lists),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
