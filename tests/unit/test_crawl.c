/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests for daemon/crawl.c: 1,000 files found exactly, ignored dirs
 * never entered, symlinks reported and not followed, special files skipped,
 * slicing bounds the work per step, deep trees, subtree starts, errors,
 * filesystem classification; directories walked from a known list of
 * names (stat'ed, never read: a name missing on disk is skipped, one not
 * listed is not seen), hints handed back, completeness reported, and the
 * batched walk on a thread pool reporting exactly what the serial one does;
 * the pipelined walk (the pool watches directories too) reporting the same,
 * each directory's watch before the stat it is judged by, every directory
 * watched in a step reported in it, with its wd or the watch's error.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include <stdatomic.h>

#include "crawl.h"
#include "filetable.h"
#include "testutil.h"
#include "xmalloc.h"

struct seen {
	char **paths;
	int *kinds;
	size_t n, cap;
	size_t calls_this_step;
	char *ignore;		/* relpath to ignore, or NULL */
	bool asked_inside_ignored;
	char *error_path;
	int error;
};

static void
seen_entry(void *arg, const char *relpath, enum crawl_kind ckind,
    const struct stat *st)
{
	enum filetable_kind kind = (enum filetable_kind)ckind;
	struct seen *s = arg;

	if (kind == FILETABLE_DIR)
		assert_true(S_ISDIR(st->st_mode));
	else
		assert_false(S_ISDIR(st->st_mode));
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 256;
		s->paths = xreallocarray(s->paths, s->cap, sizeof(*s->paths));
		s->kinds = xreallocarray(s->kinds, s->cap, sizeof(*s->kinds));
	}
	s->paths[s->n] = xstrdup(relpath);
	s->kinds[s->n++] = (int)kind;
	s->calls_this_step++;
}

static bool
seen_ignore(void *arg, const char *relpath, bool is_dir)
{
	struct seen *s = arg;
	size_t len;

	(void)is_dir;
	if (s->ignore == NULL)
		return false;
	len = strlen(s->ignore);
	if (strncmp(relpath, s->ignore, len) == 0 && relpath[len] == '/')
		s->asked_inside_ignored = true;
	return strcmp(relpath, s->ignore) == 0;
}

static void
seen_error(void *arg, const char *relpath, int error)
{
	struct seen *s = arg;

	free(s->error_path);
	s->error_path = xstrdup(relpath);
	s->error = error;
}

static int
seen_find(const struct seen *s, const char *path)
{
	for (size_t i = 0; i < s->n; i++) {
		if (strcmp(s->paths[i], path) == 0)
			return s->kinds[i];
	}
	return 0;
}

static void
seen_free(struct seen *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->paths[i]);
	free(s->paths);
	free(s->kinds);
	free(s->error_path);
}

static struct crawl *
crawl_open(const char *root, const char *start, struct seen *s)
{
	struct crawl_config cfg = { .is_ignored = seen_ignore,
		.on_entry = seen_entry, .on_error = seen_error, .arg = s };
	struct crawl *c = NULL;

	assert_int_equal(crawl_new(root, start, &cfg, &c, NULL), 0);
	return c;
}

static void
crawl_all(struct crawl *c)
{
	while (crawl_step(c, 100) == CRAWL_MORE)
		;
}

static void
test_thousand_files_exact(void **state)
{
	char *dir = testutil_tmpdir("crawl");
	struct seen s = { 0 };
	struct crawl_progress pr;
	struct crawl *c;
	char rel[64];

	(void)state;
	for (int a = 0; a < 10; a++) {
		snprintf(rel, sizeof(rel), "d%d", a);
		testutil_mkdir(dir, rel);
		for (int b = 0; b < 10; b++) {
			snprintf(rel, sizeof(rel), "d%d/e%d", a, b);
			testutil_mkdir(dir, rel);
			for (int f = 0; f < 10; f++) {
				snprintf(rel, sizeof(rel), "d%d/e%d/f%d", a, b,
				    f);
				testutil_put(dir, rel, "");
			}
		}
	}
	c = crawl_open(dir, "", &s);
	crawl_all(c);
	crawl_progress(c, &pr);
	assert_int_equal(pr.files, 1000);
	assert_int_equal(pr.dirs, 111);
	assert_int_equal(pr.pending_dirs, 0);
	assert_int_equal(s.n, 1111);
	assert_int_equal(seen_find(&s, ""), FILETABLE_DIR);
	assert_int_equal(seen_find(&s, "d3/e7"), FILETABLE_DIR);
	for (int a = 0; a < 10; a++) {
		for (int b = 0; b < 10; b++) {
			for (int f = 0; f < 10; f++) {
				snprintf(rel, sizeof(rel), "d%d/e%d/f%d", a, b,
				    f);
				assert_int_equal(seen_find(&s, rel),
				    FILETABLE_FILE);
			}
		}
	}
	/* Done stays done. */
	assert_int_equal(crawl_step(c, 10), CRAWL_DONE);
	crawl_free(c);
	seen_free(&s);
	testutil_rmtree(dir);
}

static void
test_ignored_dir_never_entered(void **state)
{
	char *dir = testutil_tmpdir("crawl");
	struct seen s = { .ignore = "node_modules" };
	struct crawl_progress pr;
	struct crawl *c;

	(void)state;
	testutil_mkdir(dir, "node_modules");
	testutil_mkdir(dir, "node_modules/pkg");
	testutil_put(dir, "node_modules/pkg/index.js", "");
	testutil_put(dir, "main.c", "");
	c = crawl_open(dir, "", &s);
	crawl_all(c);
	crawl_progress(c, &pr);
	assert_false(s.asked_inside_ignored);
	assert_int_equal(seen_find(&s, "node_modules"), 0);
	assert_int_equal(seen_find(&s, "node_modules/pkg/index.js"), 0);
	assert_int_equal(seen_find(&s, "main.c"), FILETABLE_FILE);
	assert_int_equal(pr.ignored, 1);
	assert_int_equal(s.n, 2);
	crawl_free(c);
	seen_free(&s);
	testutil_rmtree(dir);
}

static void
test_symlinks_not_followed(void **state)
{
	char *dir = testutil_tmpdir("crawl");
	char *loop = xasprintf("%s/loop", dir), *ext = xasprintf("%s/ext", dir);
	char *fifo = xasprintf("%s/fifo", dir);
	struct seen s = { 0 };
	struct crawl *c;

	(void)state;
	testutil_mkdir(dir, "real");
	testutil_put(dir, "real/x", "");
	assert_int_equal(symlink(".", loop), 0);
	assert_int_equal(symlink("/etc", ext), 0);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	c = crawl_open(dir, "", &s);
	crawl_all(c);
	assert_int_equal(seen_find(&s, "loop"), FILETABLE_FILE);
	assert_int_equal(seen_find(&s, "ext"), FILETABLE_FILE);
	assert_int_equal(seen_find(&s, "fifo"), 0);
	assert_int_equal(seen_find(&s, "real/x"), FILETABLE_FILE);
	for (size_t i = 0; i < s.n; i++) {
		assert_null(strstr(s.paths[i], "loop/"));
		assert_null(strstr(s.paths[i], "ext/"));
	}
	assert_int_equal(s.n, 5);	/* "", real, real/x, loop, ext */
	crawl_free(c);
	free(loop);
	free(ext);
	free(fifo);
	seen_free(&s);
	testutil_rmtree(dir);
}

static void
test_slicing_bounds_work(void **state)
{
	char *dir = testutil_tmpdir("crawl");
	struct seen s = { 0 };
	struct crawl *c;
	char rel[32];
	size_t steps = 0;
	enum crawl_state st;

	(void)state;
	testutil_mkdir(dir, "a");
	for (int i = 0; i < 50; i++) {
		snprintf(rel, sizeof(rel), "a/f%d", i);
		testutil_put(dir, rel, "");
	}
	c = crawl_open(dir, "", &s);
	do {
		s.calls_this_step = 0;
		st = crawl_step(c, 1);
		assert_true(s.calls_this_step <= 1);
		steps++;
	} while (st == CRAWL_MORE);
	assert_int_equal(s.n, 52);
	assert_true(steps >= 52);
	crawl_free(c);
	seen_free(&s);
	/* Larger slices take fewer steps. */
	memset(&s, 0, sizeof(s));
	c = crawl_open(dir, "", &s);
	steps = 0;
	while (crawl_step(c, 10) == CRAWL_MORE)
		steps++;
	assert_true(steps >= 5 && steps <= 7);
	assert_int_equal(s.n, 52);
	crawl_free(c);
	seen_free(&s);
	testutil_rmtree(dir);
}

static void
test_deep_tree(void **state)
{
	char *dir = testutil_tmpdir("crawl");
	struct seen s = { 0 };
	struct crawl *c;
	char rel[1024] = "";
	const int depth = 200;

	(void)state;
	for (int i = 0; i < depth; i++) {
		strcat(rel, i ? "/d" : "d");
		testutil_mkdir(dir, rel);
	}
	strcat(rel, "/leaf");
	testutil_put(dir, rel, "");
	c = crawl_open(dir, "", &s);
	crawl_all(c);
	assert_int_equal(s.n, depth + 2);
	assert_int_equal(seen_find(&s, rel), FILETABLE_FILE);
	crawl_free(c);
	seen_free(&s);
	testutil_rmtree(dir);
}

static void
test_subtree_start_and_errors(void **state)
{
	char *dir = testutil_tmpdir("crawl");
	char *missing = xasprintf("%s/missing", dir);
	struct seen s = { 0 };
	struct crawl_config cfg = { .on_entry = seen_entry, .arg = &s };
	struct crawl_progress pr;
	struct crawl *c = NULL;
	struct gerr err;

	(void)state;
	testutil_mkdir(dir, "a");
	testutil_mkdir(dir, "a/b");
	testutil_put(dir, "a/b/f", "");
	testutil_put(dir, "a/g", "");
	c = crawl_open(dir, "a/b", &s);
	crawl_all(c);
	assert_int_equal(s.n, 2);
	assert_int_equal(seen_find(&s, "a/b"), FILETABLE_DIR);
	assert_int_equal(seen_find(&s, "a/b/f"), FILETABLE_FILE);
	crawl_free(c);

	/* A start that vanished: reported, crawl ends. */
	c = crawl_open(dir, "gone", &s);
	assert_int_equal(crawl_step(c, 10), CRAWL_DONE);
	assert_string_equal(s.error_path, "gone");
	assert_int_equal(s.error, ENOENT);
	crawl_progress(c, &pr);
	assert_int_equal(pr.errors, 1);
	crawl_free(c);

	/* A missing root fails up front; without is_ignored/on_error. */
	gerr_clear(&err);
	c = NULL;
	assert_int_equal(crawl_new(missing, "", &cfg, &c, &err), GERR_IO);
	assert_null(c);
	assert_non_null(strstr(err.msg, "open "));
	assert_non_null(strstr(err.msg, "No such file or directory"));
	assert_int_equal(crawl_new(dir, "", &cfg, &c, NULL), 0);
	crawl_all(c);
	crawl_free(c);
	free(missing);
	seen_free(&s);
	testutil_rmtree(dir);
}

static void
test_fs_kind(void **state)
{
	enum crawl_fs_kind k = CRAWL_FS_NFS;
	struct gerr err;

	(void)state;
	assert_int_equal(crawl_fs_kind_from_magic(0x6969), CRAWL_FS_NFS);
	assert_int_equal(crawl_fs_kind_from_magic(0xFF534D42), CRAWL_FS_CIFS);
	assert_int_equal(crawl_fs_kind_from_magic(0xFE534D42), CRAWL_FS_CIFS);
	assert_int_equal(crawl_fs_kind_from_magic(0x517B), CRAWL_FS_CIFS);
	assert_int_equal(crawl_fs_kind_from_magic(0x65735546), CRAWL_FS_FUSE);
	assert_int_equal(crawl_fs_kind_from_magic(0xEF53), CRAWL_FS_LOCAL);
	assert_string_equal(crawl_fs_kind_name(CRAWL_FS_FUSE), "fuse");
	assert_string_equal(crawl_fs_kind_name(CRAWL_FS_NFS), "nfs");
	assert_string_equal(crawl_fs_kind_name(CRAWL_FS_CIFS), "cifs");
	assert_string_equal(crawl_fs_kind_name(CRAWL_FS_LOCAL), "local");
	/* /proc is procfs: local as far as polling goes. */
	assert_int_equal(crawl_fs_kind("/proc", &k, NULL), 0);
	assert_int_equal(k, CRAWL_FS_LOCAL);
	gerr_clear(&err);
	assert_int_equal(crawl_fs_kind("/nonexistent/x", &k, &err), GERR_IO);
	assert_non_null(strstr(err.msg, "statfs /nonexistent/x: No such file"));
}

/* ---- known names ---- */

struct kn {
	struct crawl *c;
	char out[8192];		/* "path:hint " per entry, then sorted */
	char done[2048];	/* "dir:complete[:ignored][:listed] " each */
	size_t n;
};

static void
kn_entry(void *arg, const char *relpath, enum crawl_kind kind,
    const struct stat *st)
{
	struct kn *k = arg;
	size_t len = strlen(k->out);
	uint32_t h = crawl_hint(k->c);

	(void)st;
	(void)kind;
	snprintf(k->out + len, sizeof(k->out) - len, "%s:%ld ", relpath,
	    h == CRAWL_NO_HINT ? -1L : (long)h);
	k->n++;
}

static bool
kn_ignore(void *arg, const char *relpath, bool is_dir)
{
	(void)arg;
	(void)is_dir;
	return strcmp(relpath, "d3/f1") == 0;
}

/* Every dN but d5 (read from the disk) is known: f0..f3, a name not on
 * disk, and (d7) not f3, which then is never seen. Hints N*10 + i. */
static bool
kn_known(void *arg, struct crawl *c, const char *relpath,
    const struct stat *st)
{
	char name[16];
	int d;

	(void)arg;
	assert_true(S_ISDIR(st->st_mode));
	if (sscanf(relpath, "d%d", &d) != 1 || d == 5)
		return false;
	assert_int_equal(crawl_hint(c), (uint32_t)(100 + d));
	for (int i = 0; i < 4; i++) {
		if (d == 7 && i == 3)
			continue;
		snprintf(name, sizeof(name), "f%d", i);
		crawl_known_add(c, name, (uint32_t)(d * 10 + i));
	}
	crawl_known_add(c, "ghost", 9999);
	return true;
}

static bool
kn_known_root(void *arg, struct crawl *c, const char *relpath,
    const struct stat *st)
{
	char name[16];

	if (relpath[0] != '\0')
		return kn_known(arg, c, relpath, st);
	for (int d = 0; d < 10; d++) {
		snprintf(name, sizeof(name), "d%d", d);
		crawl_known_add(c, name, (uint32_t)(100 + d));
	}
	return true;
}

static void
kn_done(void *arg, const char *relpath, bool complete)
{
	struct kn *k = arg;
	size_t len = strlen(k->done);

	if (strcmp(relpath, "d3") == 0 || strcmp(relpath, "d5") == 0 ||
	    relpath[0] == '\0')
		snprintf(k->done + len, sizeof(k->done) - len, "%s:%d%s%s ",
		    relpath[0] ? relpath : "/", complete,
		    crawl_dir_ignored(k->c) ? ":ignored" : "",
		    crawl_dir_listed(k->c) ? ":listed" : "");
}

static int
kn_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* k->out's tokens sorted (the order of a walk is unspecified). */
static void
kn_sort(char *text, size_t size)
{
	char *toks[256], *copy = xstrdup(text), *save = NULL;
	size_t n = 0, len = 0;

	for (char *t = strtok_r(copy, " ", &save); t != NULL && n < 256;
	    t = strtok_r(NULL, " ", &save))
		toks[n++] = t;
	qsort(toks, n, sizeof(*toks), kn_cmp);
	text[0] = '\0';
	for (size_t i = 0; i < n; i++)
		len += (size_t)snprintf(text + len, size - len, "%s ", toks[i]);
	free(copy);
}

/* ---- the pipeline: watches on the pool ---- */

static atomic_uint kn_watches;
static char *kn_root;

/* wd 1000 for the root, N for dN; ENOENT for d4. d2 gets a subdirectory
 * right after its watch: the stat it is judged by must show it. */
static int
kn_watch(void *arg, const char *relpath, int32_t *wd)
{
	int d;

	(void)arg;
	atomic_fetch_add(&kn_watches, 1);
	if (relpath[0] == '\0') {
		*wd = 1000;
		return 0;
	}
	/* A pool thread: no cmocka assertion here. */
	if (sscanf(relpath, "d%d", &d) != 1)
		return EINVAL;
	if (d == 4)
		return ENOENT;
	if (d == 2) {
		char sub[4096];

		snprintf(sub, sizeof(sub), "%s/d2/sub", kn_root);
		if (mkdir(sub, 0755) != 0)
			return errno;
	}
	*wd = d;
	return 0;
}

static void
kn_entry_watched(void *arg, const char *relpath, enum crawl_kind kind,
    const struct stat *st)
{
	struct kn *k = arg;
	int32_t wd = -7;
	int err = -7, d;

	if (kind == CRAWL_DIR) {
		assert_true(crawl_dir_watch(k->c, &wd, &err));
		if (relpath[0] == '\0') {
			assert_int_equal(wd, 1000);
		} else {
			assert_int_equal(sscanf(relpath, "d%d", &d), 1);
			assert_int_equal(err, d == 4 ? ENOENT : 0);
			assert_int_equal(wd, d == 4 ? -1 : d);
			if (d == 2)	/* ., .., sub */
				assert_int_equal(st->st_nlink, 3);
		}
	} else {
		assert_false(crawl_dir_watch(k->c, &wd, &err));
	}
	kn_entry(arg, relpath, kind, st);
}

static void
kn_run(const char *root, unsigned threads, struct kn *k)
{
	struct crawl_config cfg = { .is_ignored = kn_ignore,
		.on_entry = kn_entry, .known = kn_known_root,
		.on_dir_done = kn_done, .arg = k, .threads = threads };

	if (threads == 99) {
		cfg.threads = 3;
		cfg.watch = kn_watch;
		cfg.on_entry = kn_entry_watched;
	}

	memset(k, 0, sizeof(*k));
	assert_int_equal(crawl_new(root, "", &cfg, &k->c, NULL), 0);
	/* One entry per step: a batch is still done whole. */
	while (crawl_step(k->c, 1) == CRAWL_MORE)
		;
	crawl_free(k->c);
	kn_sort(k->out, sizeof(k->out));
	kn_sort(k->done, sizeof(k->done));
}

static void
test_known_names_serial_and_batched(void **state)
{
	char *dir = testutil_tmpdir("crawl");
	struct kn a, b;
	char rel[64];

	(void)state;
	for (int d = 0; d < 10; d++) {
		snprintf(rel, sizeof(rel), "d%d", d);
		testutil_mkdir(dir, rel);
		for (int i = 0; i < 5; i++) {
			snprintf(rel, sizeof(rel), "d%d/f%d", d, i);
			testutil_put(dir, rel, "x");
		}
	}
	kn_run(dir, 0, &a);
	/* The root and 10 dirs; 4 files each known in 9 (f4 never
	 * listed), d7 3, d3 one ignored; d5 read: its 5, without hints. */
	assert_int_equal(a.n, 1 + 10 + 9 * 4 - 1 - 1 + 5);
	assert_non_null(strstr(a.out, "d0/f0:0 "));
	assert_non_null(strstr(a.out, "d9/f3:93 "));
	assert_non_null(strstr(a.out, "d4:104 "));
	assert_non_null(strstr(a.out, "d5/f4:-1 "));
	assert_null(strstr(a.out, "d0/f4"));
	assert_null(strstr(a.out, "d7/f3"));
	assert_null(strstr(a.out, "d3/f1"));
	assert_null(strstr(a.out, "ghost"));
	/* d3's f1 is ignored: complete (every other name), but not all. */
	assert_string_equal(a.done, "/:1:listed d3:1:ignored:listed d5:1 ");
	kn_run(dir, 4, &b);
	assert_string_equal(a.out, b.out);
	assert_string_equal(a.done, b.done);
	assert_int_equal(a.n, b.n);
	/* Pipelined: the same, each directory watched once. */
	kn_root = dir;
	atomic_store(&kn_watches, 0);
	kn_run(dir, 99, &b);
	assert_string_equal(a.out, b.out);
	assert_string_equal(a.done, b.done);
	assert_int_equal(a.n, b.n);
	assert_int_equal(atomic_load(&kn_watches), 11);
	testutil_rmtree(dir);
}

/* Many directories (more than a batch of names, more than a pool run of
 * directories): each step reports every directory it watched. */
struct pl {
	struct crawl *c;
	size_t dirs, files, hinted;
};

static void
pl_entry(void *arg, const char *relpath, enum crawl_kind kind,
    const struct stat *st)
{
	struct pl *p = arg;
	int32_t wd;
	int err;

	(void)st;
	if (kind == CRAWL_DIR) {
		assert_true(crawl_dir_watch(p->c, &wd, &err));
		assert_int_equal(err, 0);
		assert_int_equal(wd, (int32_t)strlen(relpath));
		p->dirs++;
	} else {
		p->files++;
		if (crawl_hint(p->c) != CRAWL_NO_HINT)
			p->hinted++;
	}
}

static int
pl_watch(void *arg, const char *relpath, int32_t *wd)
{
	(void)arg;
	atomic_fetch_add(&kn_watches, 1);
	*wd = (int32_t)strlen(relpath);
	return 0;
}

/* The root lists p0..p599; each pN lists g0..g7, but p17 is read. */
static bool
pl_known(void *arg, struct crawl *c, const char *relpath,
    const struct stat *st)
{
	char name[16];

	(void)arg;
	(void)st;
	if (relpath[0] == '\0') {
		for (int d = 0; d < 600; d++) {
			snprintf(name, sizeof(name), "p%d", d);
			crawl_known_add(c, name, (uint32_t)d);
		}
		return true;
	}
	if (strcmp(relpath, "p17") == 0)
		return false;
	for (int i = 0; i < 8; i++) {
		snprintf(name, sizeof(name), "g%d", i);
		crawl_known_add(c, name, (uint32_t)i);
	}
	return true;
}

static void
test_pipeline_reports_what_it_watched(void **state)
{
	char *dir = testutil_tmpdir("crawl");
	struct crawl_config cfg = { .on_entry = pl_entry, .known = pl_known,
		.watch = pl_watch, .threads = 3 };
	struct pl p = { 0 };
	enum crawl_state st;
	char rel[64];
	size_t steps = 0;

	(void)state;
	for (int d = 0; d < 600; d++) {
		snprintf(rel, sizeof(rel), "p%d", d);
		testutil_mkdir(dir, rel);
		for (int i = 0; i < 8; i++) {
			snprintf(rel, sizeof(rel), "p%d/g%d", d, i);
			testutil_put(dir, rel, "x");
		}
	}
	cfg.arg = &p;
	atomic_store(&kn_watches, 0);
	assert_int_equal(crawl_new(dir, "", &cfg, &p.c, NULL), 0);
	do {
		st = crawl_step(p.c, 100);
		steps++;
		/* Nothing watched is left unreported between steps. */
		assert_int_equal(atomic_load(&kn_watches), p.dirs);
	} while (st == CRAWL_MORE);
	crawl_free(p.c);
	assert_true(steps > 2);
	assert_int_equal(p.dirs, 601);
	assert_int_equal(p.files, 600 * 8);
	assert_int_equal(p.hinted, 599 * 8);	/* p17's were read */
	testutil_rmtree(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_thousand_files_exact),
		cmocka_unit_test(test_ignored_dir_never_entered),
		cmocka_unit_test(test_symlinks_not_followed),
		cmocka_unit_test(test_slicing_bounds_work),
		cmocka_unit_test(test_deep_tree),
		cmocka_unit_test(test_subtree_start_and_errors),
		cmocka_unit_test(test_fs_kind),
		cmocka_unit_test(test_known_names_serial_and_batched),
		cmocka_unit_test(test_pipeline_reports_what_it_watched),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
