/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_watch.c - daemon/watch alone, as its dependencies inject it: a
 * bare libev loop, real inotify, a temp tree, a state dir of its own and a
 * recording publish callback (no daemon, no server).
 *
 * Covered: readiness with the right file set; each kind of edit (create,
 * modify in place, delete, rename within, move in and out, mkdir -p deep
 * then write, rm -r of a subtree) settling as exactly one batch with
 * exactly the expected paths, and the same files.changed event; ignore
 * rules; expected writes; the make.toml model and its events; nesting
 * rules; removal during the first crawl and during hashing (ASan: nothing
 * outlives the root); on-demand hashes, cancelled or answered when the
 * host stops mid-crawl; a root whose directory is deleted; the id handle
 * after removal; the roots file and the snapshots in the injected state
 * dir, restored by a new instance.
 *
 * "Exactly one batch": after the expected batch, a sentinel file is
 * written and the very next batch must hold the sentinel alone, so a
 * straggler of the edit (a second batch, or a path in the sentinel's) is
 * caught without sleeping. Waits run the loop until a condition, with a
 * generous deadline as a safety net only.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <ev.h>

#include "clock.h"
#include "filetable.h"
#include "make.h"
#include "strbuf.h"
#include "testutil.h"
#include "watch.h"
#include "xmalloc.h"

#define FX_MAX 64
#define FX_DEADLINE_MS 30000

/* One settled batch as the listener saw it. */
struct fx_rec {
	char *root;
	char *changes;		/* "a:path m:path r:path", sorted by path;
				   a daemon write as "w:path" */
	char *reason;
	char *event;		/* its files.changed event's files, or NULL
				   when none was published */
	uint64_t clock;
};

struct fx {
	struct ev_loop *loop;
	struct watch *w;
	char *top;
	char *root;
	char *state;
	int ready_calls;
	int ready_errors;
	enum gerr_code ready_code;
	struct watch_root *ready_root;
	struct fx_rec recs[FX_MAX];
	size_t nrecs;
	char *pending_event;	/* published, its batch not seen yet */
	int model_invalid, model_valid;
	int sentinels;
};

static char *
fx_changes_string(const struct watch_batch *b, bool user_only)
{
	static const char kinds[] = { 'a', 'm', 'r' };
	struct strbuf sb = STRBUF_INIT;
	char *out;

	for (size_t i = 0; i < b->n; i++) {
		if (user_only && b->changes[i].writer != NULL)
			continue;
		if (sb.len > 0)
			strbuf_addch(&sb, ' ');
		strbuf_addf(&sb, "%c:%s", b->changes[i].writer != NULL ? 'w' :
		    kinds[b->changes[i].kind], b->changes[i].relpath);
	}
	out = xstrdup(sb.len > 0 ? sb.buf : "");
	strbuf_release(&sb);
	return out;
}

static void
fx_publish(void *arg, const struct watch_event *ev)
{
	struct fx *f = arg;

	assert_non_null(ev->root);
	switch (ev->kind) {
	case WATCH_EVENT_FILES_CHANGED:
		assert_non_null(ev->batch);
		assert_ptr_equal(ev->batch->root, ev->root);
		/* One event per batch, before the listener hears of it. */
		assert_null(f->pending_event);
		f->pending_event = fx_changes_string(ev->batch, true);
		break;
	case WATCH_EVENT_MODEL_INVALID:
		assert_null(ev->batch);
		assert_true(watch_root_model_error(ev->root)->code != 0);
		f->model_invalid++;
		break;
	case WATCH_EVENT_MODEL_VALID:
		assert_null(ev->batch);
		f->model_valid++;
		break;
	}
}

static void
fx_batch(void *arg, const struct watch_batch *b)
{
	struct fx *f = arg;
	struct fx_rec *rec;

	assert_true(f->nrecs < FX_MAX);
	rec = &f->recs[f->nrecs++];
	rec->root = xstrdup(watch_root_path(b->root));
	rec->changes = fx_changes_string(b, false);
	rec->reason = xstrdup(b->reason);
	rec->event = f->pending_event;
	f->pending_event = NULL;
	rec->clock = b->clock;
	/* Clocks only go forward within a root. */
	for (size_t i = 0; i + 1 < f->nrecs; i++)
		if (strcmp(f->recs[i].root, rec->root) == 0)
			assert_true(b->clock > f->recs[i].clock);
}

static void
fx_ready(void *arg, struct watch_root *r, const struct gerr *err)
{
	struct fx *f = arg;

	f->ready_calls++;
	f->ready_root = r;
	if (err != NULL) {
		f->ready_errors++;
		f->ready_code = err->code;
	}
}

/* Run the loop until cond(f, arg) or FX_DEADLINE_MS pass (a safety net
 * under load, never the expected way out). */
static void
fx_run_until(struct fx *f, bool (*cond)(struct fx *, void *), void *arg)
{
	uint64_t end = clock_mono_ms() + FX_DEADLINE_MS;

	while (!cond(f, arg)) {
		assert_true(clock_mono_ms() < end);
		ev_run(f->loop, EVRUN_ONCE);
	}
}

static bool
fx_is_ready(struct fx *f, void *arg)
{
	(void)arg;
	return f->ready_calls > 0;
}

static bool
fx_has_recs(struct fx *f, void *arg)
{
	return f->nrecs >= *(size_t *)arg;
}

static void
fx_wait_recs(struct fx *f, size_t n)
{
	fx_run_until(f, fx_has_recs, &n);
}

static struct watch *
fx_watch_new(struct fx *f)
{
	struct watch_deps deps = { 0 };
	struct watch *w;

	deps.loop = f->loop;
	deps.state_dir = f->state;
	/* make.toml files without [watch] debounce get these; the fixture's
	 * says 100..400 ms. A quiet window of at least 100 ms keeps one edit
	 * in one batch on a loaded machine; the window doubles for batches
	 * that follow each other closely (common/debounce.h), up to max. */
	deps.settings.debounce_min_ms = 100;
	deps.settings.debounce_max_ms = 500;
	deps.settings.poll_ms = 2000;
	deps.settings.snapshot_idle_ms = 30000;
	deps.settings.hash_threads = 2;
	deps.publish = fx_publish;
	deps.publish_arg = f;
	w = watch_new(&deps, NULL);
	assert_non_null(w);
	watch_set_batch_listener(w, fx_batch, f);
	return w;
}

static int
fx_setup(void **state)
{
	struct fx *f = xcalloc(1, sizeof(*f));

	f->loop = EV_DEFAULT;
	f->top = testutil_tmpdir("watch");
	testutil_mkdir(f->top, "root");
	testutil_mkdir(f->top, "state");
	testutil_mkdir(f->top, "outside");
	f->root = xasprintf("%s/root", f->top);
	f->state = xasprintf("%s/state", f->top);
	testutil_mkdir(f->root, "src");
	testutil_mkdir(f->root, "src/lib");
	testutil_mkdir(f->root, "build");
	testutil_mkdir(f->root, "gen");
	testutil_put(f->root, "src/a.c", "int a;\n");
	testutil_put(f->root, "src/lib/b.c", "int b;\n");
	testutil_put(f->root, "src/a.o", "object\n");
	testutil_put(f->root, "build/out.bin", "binary\n");
	testutil_put(f->root, "gen/g.c", "int g;\n");
	testutil_put(f->root, ".gitignore", "build/\n*.o\n");
	testutil_put(f->root, "make.toml", "[project]\nname = \"t\"\n\n"
	    "[watch]\ndebounce_min_ms = 100\ndebounce_max_ms = 400\n");
	f->w = fx_watch_new(f);
	*state = f;
	return 0;
}

static void
fx_recs_clear(struct fx *f)
{
	for (size_t i = 0; i < f->nrecs; i++) {
		free(f->recs[i].root);
		free(f->recs[i].changes);
		free(f->recs[i].reason);
		free(f->recs[i].event);
	}
	f->nrecs = 0;
}

static int
fx_teardown(void **state)
{
	struct fx *f = *state;

	watch_free(f->w);
	fx_recs_clear(f);
	free(f->pending_event);
	testutil_rmtree(f->top);
	free(f->root);
	free(f->state);
	free(f);
	return 0;
}

/* Add f->root and run until it is ready. */
static struct watch_root *
fx_add_ready(struct fx *f, const char *dir)
{
	struct watch_root *r = NULL;

	f->ready_calls = f->ready_errors = 0;
	assert_int_equal(watch_root_add(f->w, dir, fx_ready, f, &r, NULL), 0);
	fx_run_until(f, fx_is_ready, NULL);
	assert_int_equal(f->ready_errors, 0);
	assert_ptr_equal(f->ready_root, r);
	assert_true(watch_root_ready(r));
	return r;
}

struct fx_list {
	char **v;
	size_t n;
};

static void
fx_add_path(void *arg, const struct filetable_entry *e)
{
	struct fx_list *l = arg;

	if (e->kind != FILETABLE_FILE)
		return;
	l->v = xreallocarray(l->v, l->n + 1, sizeof(*l->v));
	l->v[l->n++] = xstrdup(e->path);
}

static int
fx_strcmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The files of r's table, sorted, space separated (caller frees). */
static char *
fx_files(const struct watch_root *r)
{
	struct fx_list l = { NULL, 0 };
	struct strbuf sb = STRBUF_INIT;
	char *out;

	filetable_foreach(watch_root_table(r), fx_add_path, &l);
	qsort(l.v, l.n, sizeof(*l.v), fx_strcmp);
	for (size_t i = 0; i < l.n; i++) {
		if (i > 0)
			strbuf_addch(&sb, ' ');
		strbuf_addstr(&sb, l.v[i]);
		free(l.v[i]);
	}
	free(l.v);
	out = xstrdup(sb.len > 0 ? sb.buf : "");
	strbuf_release(&sb);
	return out;
}

static char *
fx_read(const char *path)
{
	char buf[4096];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	assert_true(fd >= 0);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	assert_true(n >= 0);
	buf[n] = '\0';
	return xstrdup(buf);
}

/* Nothing but the sentinel settles next: whatever was done since mark
 * made no batch (mark = f->nrecs before it). */
static void
fx_expect_quiet(struct fx *f, size_t mark)
{
	char name[32], expect[40];

	assert_int_equal(f->nrecs, mark);
	snprintf(name, sizeof(name), "s%d", ++f->sentinels);
	snprintf(expect, sizeof(expect), "a:%s", name);
	testutil_put(f->root, name, "sentinel\n");
	fx_wait_recs(f, mark + 1);
	assert_string_equal(f->recs[mark].changes, expect);
	assert_non_null(f->recs[mark].event);
	assert_string_equal(f->recs[mark].event, expect);
}

/* The edit done since mark settles as exactly one batch, changes, with
 * the same files.changed event; then nothing more (the sentinel). */
static void
fx_expect_batch(struct fx *f, size_t mark, const char *changes)
{
	fx_wait_recs(f, mark + 1);
	assert_string_equal(f->recs[mark].root, f->root);
	assert_string_equal(f->recs[mark].changes, changes);
	assert_string_equal(f->recs[mark].reason, "events");
	assert_non_null(f->recs[mark].event);
	assert_string_equal(f->recs[mark].event, changes);
	fx_expect_quiet(f, mark + 1);
}

static char *
fx_path(const struct fx *f, const char *rel)
{
	return xasprintf("%s/%s", f->root, rel);
}

static void
fx_append(struct fx *f, const char *rel, const char *text)
{
	char *p = fx_path(f, rel);
	int fd = open(p, O_WRONLY | O_APPEND);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	free(p);
}

static void
fx_rename(const char *from, const char *to)
{
	if (rename(from, to) != 0)
		fail_msg("rename %s %s: %s", from, to, strerror(errno));
}

static void
test_ready_file_set(void **state)
{
	struct fx *f = *state;
	struct watch_root *r;
	struct watch_root_info in;
	char *files;

	r = fx_add_ready(f, f->root);
	/* Ignored by .gitignore: build/ and *.o, never in the table. */
	files = fx_files(r);
	assert_string_equal(files, ".gitignore gen/g.c make.toml src/a.c "
	    "src/lib/b.c");
	free(files);
	assert_null(filetable_lookup(watch_root_table(r), "build"));
	watch_root_info(r, &in);
	assert_string_equal(in.path, f->root);
	assert_true(in.ready);
	assert_false(in.gone);
	assert_int_equal(in.files, 5);
	assert_true(in.load_done);
	assert_false(in.warm);
	assert_int_equal(in.hash_pending, 0);
	assert_int_equal(in.window_min_ms, 100);
	assert_int_equal(in.window_max_ms, 400);
	assert_int_equal(in.model_state, WATCH_MODEL_OK);
	assert_true(in.model_ok);
	/* The snapshot lives in the injected state dir. */
	assert_int_equal(strncmp(in.snapshot, f->state, strlen(f->state)), 0);
	/* Getting ready is no batch. */
	assert_int_equal(f->nrecs, 0);
}

static void
test_each_edit_is_one_batch(void **state)
{
	struct fx *f = *state;
	char *a, *b;
	size_t mark;

	fx_add_ready(f, f->root);

	/* create */
	mark = f->nrecs;
	testutil_put(f->root, "src/new.c", "int n;\n");
	fx_expect_batch(f, mark, "a:src/new.c");

	/* modify in place */
	mark = f->nrecs;
	fx_append(f, "src/a.c", "int more;\n");
	fx_expect_batch(f, mark, "m:src/a.c");

	/* delete */
	mark = f->nrecs;
	a = fx_path(f, "src/new.c");
	assert_int_equal(unlink(a), 0);
	free(a);
	fx_expect_batch(f, mark, "r:src/new.c");

	/* rename within the root */
	mark = f->nrecs;
	a = fx_path(f, "src/a.c");
	b = fx_path(f, "src/lib/renamed.c");
	fx_rename(a, b);
	free(a);
	free(b);
	fx_expect_batch(f, mark, "r:src/a.c a:src/lib/renamed.c");

	/* move a directory in from outside */
	testutil_mkdir(f->top, "outside/pkg");
	testutil_mkdir(f->top, "outside/pkg/sub");
	testutil_put(f->top, "outside/pkg/x.c", "x\n");
	testutil_put(f->top, "outside/pkg/sub/y.c", "y\n");
	mark = f->nrecs;
	a = xasprintf("%s/outside/pkg", f->top);
	b = fx_path(f, "pkg");
	fx_rename(a, b);
	fx_expect_batch(f, mark, "a:pkg/sub/y.c a:pkg/x.c");

	/* ... and out again */
	mark = f->nrecs;
	fx_rename(b, a);
	free(a);
	free(b);
	fx_expect_batch(f, mark, "r:pkg/sub/y.c r:pkg/x.c");

	/* a single file moved in */
	testutil_put(f->top, "outside/one.c", "one\n");
	mark = f->nrecs;
	a = xasprintf("%s/outside/one.c", f->top);
	b = fx_path(f, "one.c");
	fx_rename(a, b);
	free(a);
	free(b);
	fx_expect_batch(f, mark, "a:one.c");

	/* mkdir -p deep, then write at the bottom at once: the new
	 * directories' watches race the write */
	mark = f->nrecs;
	testutil_mkdir(f->root, "d1");
	testutil_mkdir(f->root, "d1/d2");
	testutil_mkdir(f->root, "d1/d2/d3");
	testutil_mkdir(f->root, "d1/d2/d3/d4");
	testutil_mkdir(f->root, "d1/d2/d3/d4/d5");
	testutil_put(f->root, "d1/d2/d3/d4/d5/deep.c", "deep\n");
	fx_expect_batch(f, mark, "a:d1/d2/d3/d4/d5/deep.c");

	/* rm -r of a subtree */
	testutil_mkdir(f->root, "tree");
	testutil_mkdir(f->root, "tree/in");
	testutil_put(f->root, "tree/t1.c", "1\n");
	testutil_put(f->root, "tree/in/t2.c", "2\n");
	fx_expect_batch(f, f->nrecs, "a:tree/in/t2.c a:tree/t1.c");
	mark = f->nrecs;
	testutil_rmtree(fx_path(f, "tree"));
	fx_expect_batch(f, mark, "r:tree/in/t2.c r:tree/t1.c");

	/* an editor's save: write a temp file, rename it over the original */
	mark = f->nrecs;
	testutil_put(f->root, "src/lib/.b.c.swp", "swap\n");
	testutil_put(f->root, "src/lib/b.c.tmp", "int b2;\n");
	a = fx_path(f, "src/lib/b.c.tmp");
	b = fx_path(f, "src/lib/b.c");
	fx_rename(a, b);
	free(a);
	free(b);
	a = fx_path(f, "src/lib/.b.c.swp");
	assert_int_equal(unlink(a), 0);
	free(a);
	fx_expect_batch(f, mark, "m:src/lib/b.c");
}

static void
test_ignore_rules(void **state)
{
	struct fx *f = *state;
	struct watch_root *r;
	size_t mark;
	char *files;

	r = fx_add_ready(f, f->root);
	/* Writes the rules reject make no batch. */
	mark = f->nrecs;
	testutil_put(f->root, "src/new.o", "object\n");
	testutil_put(f->root, "build/more.bin", "binary\n");
	testutil_mkdir(f->root, "build/deeper");
	testutil_put(f->root, "build/deeper/x", "x\n");
	fx_expect_quiet(f, mark);
	assert_null(filetable_lookup(watch_root_table(r), "src/new.o"));

	/* A nested .gitignore applies below its directory. */
	mark = f->nrecs;
	testutil_put(f->root, "src/.gitignore", "*.log\n");
	fx_expect_batch(f, mark, "a:src/.gitignore");
	mark = f->nrecs;
	testutil_put(f->root, "src/lib/debug.log", "log\n");
	testutil_put(f->root, "debug.log", "log\n");
	fx_expect_batch(f, mark, "a:debug.log");

	/* A rule added later: what it rejects is reported removed, with the
	 * reason "ignore". */
	mark = f->nrecs;
	fx_append(f, ".gitignore", "gen/\n");
	fx_wait_recs(f, mark + 1);
	assert_string_equal(f->recs[mark].changes, "m:.gitignore r:gen/g.c");
	assert_string_equal(f->recs[mark].reason, "ignore");
	fx_expect_quiet(f, mark + 1);
	files = fx_files(r);
	assert_null(strstr(files, "gen/"));
	free(files);
}

static void
test_model_and_events(void **state)
{
	struct fx *f = *state;
	struct watch_root *r, *r2 = NULL;
	const struct make_project *m;
	char *sub = xasprintf("%s/src", f->root);
	size_t mark;

	r = fx_add_ready(f, f->root);
	m = watch_root_model(r);
	assert_non_null(m);
	assert_string_equal(m->name, "t");
	assert_int_equal(m->debounce_max_ms, 400);
	assert_int_equal(watch_root_findings(r)->errors, 0);
	/* Ready already: at once; a dir inside answers with the root. */
	assert_int_equal(watch_root_add(f->w, sub, fx_ready, f, &r2, NULL), 0);
	assert_int_equal(f->ready_calls, 2);
	assert_ptr_equal(r2, r);
	assert_ptr_equal(watch_root_find(f->w, sub), r);
	assert_string_equal(watch_root_relpath(r, sub), "src");
	assert_null(watch_root_find(f->w, f->top));
	/* A parent of a root is refused. */
	assert_int_equal(watch_root_add(f->w, f->top, NULL, NULL, NULL, NULL),
	    GERR_INVALID);

	/* A broken make.toml: model.invalid is published, findings show it,
	 * the last good model stays. */
	mark = f->nrecs;
	testutil_put(f->root, "make.toml", "[project\n");
	fx_expect_batch(f, mark, "m:make.toml");
	assert_int_equal(f->model_invalid, 1);
	assert_int_equal(f->model_valid, 0);
	assert_true(watch_root_findings(r)->errors > 0);
	assert_int_equal(watch_root_model_error(r)->code, GERR_PARSE);
	assert_int_equal(watch_root_model_error(r)->line, 1);
	assert_non_null(watch_root_model(r));
	assert_string_equal(watch_root_model(r)->name, "t");
	{
		struct watch_root_info in;

		watch_root_info(r, &in);
		assert_int_equal(in.model_state, WATCH_MODEL_INVALID);
		assert_false(in.model_ok);
		assert_true(in.model_kept);
	}
	/* Fixed: model.valid. */
	mark = f->nrecs;
	testutil_put(f->root, "make.toml", "[project]\nname = \"u\"\n");
	fx_expect_batch(f, mark, "m:make.toml");
	assert_int_equal(f->model_valid, 1);
	assert_string_equal(watch_root_model(r)->name, "u");
	/* Its [watch] window is gone: the injected settings apply. */
	{
		struct watch_root_info in;
		struct watch_settings s = { .debounce_min_ms = 120,
		    .debounce_max_ms = 2500, .poll_ms = 2000 };

		watch_root_info(r, &in);
		assert_int_equal(in.window_min_ms, 100);
		assert_int_equal(in.window_max_ms, 500);
		/* Reloaded settings reach the root. */
		watch_reload(f->w, &s);
		watch_root_info(r, &in);
		assert_int_equal(in.window_min_ms, 120);
		assert_int_equal(in.window_max_ms, 2500);
	}
	free(sub);
}

static void
test_expected_write_is_not_reported(void **state)
{
	struct fx *f = *state;
	struct watch_root *r;
	XXH128_hash_t h = XXH3_128bits("generated\n", 10);
	size_t mark;

	r = fx_add_ready(f, f->root);
	watch_expect_write(r, "src/gen.c", &h, NULL);
	mark = f->nrecs;
	testutil_put(f->root, "src/gen.c", "generated\n");
	testutil_put(f->root, "src/user.c", "user\n");
	fx_expect_batch(f, mark, "a:src/user.c");
	/* The table knows the generated file all the same. */
	assert_non_null(filetable_lookup(watch_root_table(r), "src/gen.c"));
	/* The expectation is used up: a user edit of it is reported. */
	mark = f->nrecs;
	testutil_put(f->root, "src/gen.c", "edited\n");
	fx_expect_batch(f, mark, "m:src/gen.c");
	/* A write with other content than expected is a change too. */
	mark = f->nrecs;
	watch_expect_write(r, "src/gen.c", &h, NULL);
	testutil_put(f->root, "src/gen.c", "not what was expected\n");
	fx_expect_batch(f, mark, "m:src/gen.c");
	/* A phase's own write reaches the listener marked with it, and no
	 * files.changed event is published for it. */
	mark = f->nrecs;
	watch_expect_write(r, "src/gen.c", &h, "generate");
	testutil_put(f->root, "src/gen.c", "generated\n");
	fx_wait_recs(f, mark + 1);
	assert_string_equal(f->recs[mark].changes, "w:src/gen.c");
	assert_null(f->recs[mark].event);
	fx_expect_quiet(f, mark + 1);
}

/* A tree big enough for several crawl slices (2048 entries each). */
static char *
fx_big_tree(struct fx *f, size_t dirs, size_t files)
{
	char *big = xasprintf("%s/big", f->top);
	char rel[64];

	testutil_mkdir(f->top, "big");
	for (size_t d = 0; d < dirs; d++) {
		snprintf(rel, sizeof(rel), "d%03zu", d);
		testutil_mkdir(big, rel);
		for (size_t i = 0; i < files; i++) {
			snprintf(rel, sizeof(rel), "d%03zu/f%03zu.txt", d, i);
			testutil_put(big, rel, rel);
		}
	}
	return big;
}

static bool
fx_crawl_started(struct fx *f, void *arg)
{
	struct watch_root_info in;

	(void)f;
	watch_root_info(arg, &in);
	return in.files > 0;
}

static bool
fx_walk_done(struct fx *f, void *arg)
{
	struct watch_root_info in;

	(void)f;
	watch_root_info(arg, &in);
	return in.load_walk_ms > 0;
}

/* r was removed: its waiter heard why, its handle finds nothing, and the
 * loop runs on (stray crawl slices, hash results) until another root got
 * ready, with no batch from r. */
static void
fx_check_removed(struct fx *f, uint64_t id, const char *path)
{
	assert_int_equal(f->ready_calls, 1);
	assert_int_equal(f->ready_errors, 1);
	assert_int_equal(f->ready_code, GERR_ROOT_NOT_FOUND);
	assert_null(watch_root_get(f->w, id));
	assert_null(watch_root_find(f->w, path));
	assert_null(watch_root_next(f->w, NULL));
	fx_add_ready(f, f->root);
	for (size_t i = 0; i < f->nrecs; i++)
		assert_string_not_equal(f->recs[i].root, path);
}

static void
test_unwatch_during_first_crawl(void **state)
{
	struct fx *f = *state;
	char *big = fx_big_tree(f, 40, 80);
	struct watch_root_info in;
	struct watch_root *r = NULL;
	uint64_t id;

	assert_int_equal(watch_root_add(f->w, big, fx_ready, f, &r, NULL), 0);
	id = watch_root_id(r);
	fx_run_until(f, fx_crawl_started, r);
	watch_root_info(r, &in);
	/* Mid-crawl: some of the 3200 files seen, the walk not done. */
	assert_true(in.files < 3200);
	assert_int_equal(in.load_walk_ms, 0);
	assert_int_equal(f->ready_calls, 0);
	watch_root_remove(f->w, r);
	fx_check_removed(f, id, big);
	free(big);
}

static void
test_unwatch_during_hashing(void **state)
{
	struct fx *f = *state;
	char *big = fx_big_tree(f, 40, 80);
	struct watch_root_info in;
	struct watch_root *r = NULL;
	uint64_t id;

	assert_int_equal(watch_root_add(f->w, big, fx_ready, f, &r, NULL), 0);
	id = watch_root_id(r);
	/* The loop turn that ends the walk submitted hash jobs whose
	 * results can only be read on a later turn: not ready yet. */
	fx_run_until(f, fx_walk_done, r);
	watch_root_info(r, &in);
	assert_int_equal(in.files, 3200);
	assert_true(in.hash_pending > 0);
	assert_false(in.load_done);
	assert_int_equal(f->ready_calls, 0);
	watch_root_remove(f->w, r);
	fx_check_removed(f, id, big);
	free(big);
}

static void
test_root_deleted(void **state)
{
	struct fx *f = *state;
	struct watch_root *r;
	struct watch_root_info in;
	uint64_t id;
	char *file = xasprintf("%s/roots.json", f->state);
	char *text;

	r = fx_add_ready(f, f->root);
	id = watch_root_id(r);
	/* The directory itself goes: its files are reported removed in one
	 * batch, the root says it is gone and not ready, and stays until the
	 * host unwatches it. */
	testutil_rmtree(xstrdup(f->root));
	fx_wait_recs(f, 1);
	assert_string_equal(f->recs[0].changes, "r:.gitignore r:gen/g.c "
	    "r:make.toml r:src/a.c r:src/lib/b.c");
	assert_string_equal(f->recs[0].event, f->recs[0].changes);
	watch_root_info(r, &in);
	assert_true(in.gone);
	assert_false(in.ready);
	assert_int_equal(in.files, 0);
	assert_ptr_equal(watch_root_get(f->w, id), r);
	watch_root_remove(f->w, r);
	assert_null(watch_root_get(f->w, id));
	text = fx_read(file);
	assert_string_equal(text, "{\"roots\":[]}\n");
	free(text);
	free(file);
	assert_int_equal(f->nrecs, 1);
}

/* One on-demand hash's answer. */
struct fx_hash {
	int calls;
	int error;
	XXH128_hash_t h;
	int64_t size;
};

static void
fx_hash_done(void *arg, int error, const XXH128_hash_t *h,
    const struct filetable_stat *st)
{
	struct fx_hash *x = arg;

	x->calls++;
	x->error = error;
	if (error == 0) {
		x->h = *h;
		x->size = st->size;
	} else {
		assert_null(h);
		assert_null(st);
	}
}

static bool
fx_hash_answered(struct fx *f, void *arg)
{
	(void)f;
	return ((struct fx_hash *)arg)->calls > 0;
}

static void
test_hash_file_cancel_and_shutdown(void **state)
{
	struct fx *f = *state;
	char *big = fx_big_tree(f, 40, 80);
	char *a = fx_path(f, "src/a.c");
	char *b = fx_path(f, "src/lib/b.c");
	struct fx_hash x = { 0 }, y = { 0 }, z = { 0 };
	XXH128_hash_t want = XXH3_128bits("int a;\n", 7);
	struct watch_root *r = NULL;

	/* No root needed: hashed on the pool, answered on the loop, never
	 * inside the call. */
	assert_int_equal(watch_hash_file(f->w, a, fx_hash_done, &x, NULL), 0);
	assert_int_equal(x.calls, 0);
	fx_run_until(f, fx_hash_answered, &x);
	assert_int_equal(x.calls, 1);
	assert_int_equal(x.error, 0);
	assert_true(XXH128_isEqual(x.h, want));
	assert_int_equal(x.size, 7);

	/* Cancelled: its callback never runs (the next one does). */
	memset(&x, 0, sizeof(x));
	assert_int_equal(watch_hash_file(f->w, a, fx_hash_done, &x, NULL), 0);
	assert_int_equal(watch_hash_file(f->w, b, fx_hash_done, &y, NULL), 0);
	watch_hash_cancel(f->w, &x);
	fx_run_until(f, fx_hash_answered, &y);
	assert_int_equal(y.error, 0);
	assert_int_equal(x.calls, 0);

	/* The host stops in the middle of a first crawl with a hash asked
	 * for: both hear it now, once; freeing w then is clean (ASan). */
	assert_int_equal(watch_root_add(f->w, big, fx_ready, f, &r, NULL), 0);
	fx_run_until(f, fx_crawl_started, r);
	assert_int_equal(watch_hash_file(f->w, a, fx_hash_done, &z, NULL), 0);
	watch_answer_waiters(f->w);
	assert_int_equal(f->ready_calls, 1);
	assert_int_equal(f->ready_code, GERR_SHUTTING_DOWN);
	assert_int_equal(z.calls, 1);
	assert_int_equal(z.error, ECANCELED);
	watch_answer_waiters(f->w);	/* idempotent */
	assert_int_equal(f->ready_calls, 1);
	assert_int_equal(z.calls, 1);
	/* The root stays (the host frees it); a few more loop turns run
	 * crawl slices and hash results with nobody waiting. */
	assert_ptr_equal(watch_root_next(f->w, NULL), r);
	for (int i = 0; i < 3; i++)
		ev_run(f->loop, EVRUN_NOWAIT);
	watch_free(f->w);
	f->w = NULL;
	assert_int_equal(z.calls, 1);
	free(a);
	free(b);
	free(big);
}

static void
test_handle_after_removal(void **state)
{
	struct fx *f = *state;
	struct watch_root *r, *r2;
	uint64_t id, id2;

	r = fx_add_ready(f, f->root);
	id = watch_root_id(r);
	assert_true(id != 0);
	assert_ptr_equal(watch_root_get(f->w, id), r);
	assert_null(watch_root_get(f->w, 0));
	watch_root_remove(f->w, r);
	assert_null(watch_root_get(f->w, id));
	/* Watched again: a new root and a new id; the old one stays dead. */
	r2 = fx_add_ready(f, f->root);
	id2 = watch_root_id(r2);
	assert_true(id2 != id);
	assert_null(watch_root_get(f->w, id));
	assert_ptr_equal(watch_root_get(f->w, id2), r2);
	/* Edits go on being seen by the new root. */
	testutil_put(f->root, "src/h.c", "h\n");
	fx_expect_batch(f, f->nrecs, "a:src/h.c");
}

static void
test_remove_answers_waiters_and_persists(void **state)
{
	struct fx *f = *state;
	struct watch_root *r = NULL;
	char *file = xasprintf("%s/roots.json", f->state);
	char *text, *expect;

	assert_int_equal(watch_root_add(f->w, f->root, fx_ready, f, &r, NULL),
	    0);
	text = fx_read(file);
	expect = xasprintf("{\"roots\":[\"%s\"]}\n", f->root);
	assert_string_equal(text, expect);
	free(text);
	free(expect);
	/* Removed before it got ready: the waiter hears why, once. */
	watch_root_remove(f->w, r);
	assert_int_equal(f->ready_calls, 1);
	assert_int_equal(f->ready_errors, 1);
	assert_null(watch_root_next(f->w, NULL));
	text = fx_read(file);
	assert_string_equal(text, "{\"roots\":[]}\n");
	free(text);
	assert_int_equal(watch_root_add(f->w, "/nonexistent/x", NULL, NULL,
	    NULL, NULL), GERR_NOT_FOUND);
	free(file);
}

static void
test_restore_from_state_dir(void **state)
{
	struct fx *f = *state;
	char *other = xasprintf("%s/other", f->top);
	char *file = xasprintf("%s/roots.json", f->state);
	struct watch_root *r;
	struct watch_root_info in;
	char *before, *after, *text, *expect;
	size_t mark;

	testutil_mkdir(f->top, "other");
	testutil_put(other, "o.c", "o\n");
	r = fx_add_ready(f, f->root);
	fx_add_ready(f, other);
	mark = f->nrecs;
	testutil_put(f->root, "src/late.c", "late\n");
	fx_expect_batch(f, mark, "a:src/late.c");
	before = fx_files(r);
	/* Freeing saves each ready root's table into the state dir. */
	watch_free(f->w);
	f->w = NULL;
	/* One root goes away while nothing watches. */
	testutil_rmtree(xstrdup(other));

	f->w = fx_watch_new(f);
	watch_restore(f->w);
	r = watch_root_next(f->w, NULL);
	assert_non_null(r);
	assert_string_equal(watch_root_path(r), f->root);
	assert_null(watch_root_next(f->w, r));
	/* The root list no longer names the missing one. */
	text = fx_read(file);
	expect = xasprintf("{\"roots\":[\"%s\"]}\n", f->root);
	assert_string_equal(text, expect);
	free(text);
	free(expect);
	/* Warm: the table comes from the snapshot, with the same files. */
	assert_ptr_equal(fx_add_ready(f, f->root), r);
	watch_root_info(r, &in);
	assert_true(in.warm);
	assert_string_equal(in.load_msg, "");
	after = fx_files(r);
	assert_string_equal(after, before);
	/* And it watches: an edit after the restart is one batch. */
	mark = f->nrecs;
	fx_append(f, "src/late.c", "later\n");
	fx_expect_batch(f, mark, "m:src/late.c");
	free(before);
	free(after);
	free(file);
	free(other);
}

int
main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)
	const struct CMUnitTest tests[] = {
		T(test_ready_file_set),
		T(test_each_edit_is_one_batch),
		T(test_ignore_rules),
		T(test_model_and_events),
		T(test_expected_write_is_not_reported),
		T(test_unwatch_during_first_crawl),
		T(test_unwatch_during_hashing),
		T(test_root_deleted),
		T(test_hash_file_cancel_and_shutdown),
		T(test_handle_after_removal),
		T(test_remove_answers_waiters_and_persists),
		T(test_restore_from_state_dir),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
