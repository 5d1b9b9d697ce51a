/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * generate.c - the render step of a phase (see generate.h).
 *
 * Owns: struct generate_job (copies of the root and workspace paths, the
 * template work list, the variables as template values, one runner child
 * at a time for sh_before/sh_after, an ev_idle watcher). Called by the
 * lifecycle engine on the loop thread; everything here runs there.
 *
 * A job is a small state machine driven by its idle watcher: each turn
 * takes the current template one stage further (prepare and render, run
 * one sh_before command, write, run one sh_after command), so a phase with
 * many templates never holds the loop for long, and a child process is
 * waited for by the runner's watchers, never by blocking. Templates are
 * small files (GENERATE_MAX_TEMPLATE_BYTES), read synchronously.
 *
 * Invariants: at most one child is live per job; the done callback runs
 * exactly once, from the idle watcher (never inside generate_start), and
 * never after generate_cancel; the job frees itself right after it.
 * The file table's hashes (when the root has one) decide what is clean;
 * without a table (a root still crawling) every template is read and
 * hashed here.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <ev.h>
#include <xxhash.h>

#include "filetable.h"
#include "clock.h"
#include "frontmatter.h"
#include "generate.h"
#include "genout.h"
#include "ggend.h"
#include "log.h"
#include "make.h"
#include "path.h"
#include "projtree.h"
#include "runner.h"
#include "strbuf.h"
#include "template_load.h"
#include "tplcache.h"
#include "treefiles.h"
#include "tvalue_json.h"
#include "tvalue_toml.h"
#include "watch.h"
#include "xmalloc.h"

extern char **environ;

enum generate_stage {
	GENERATE_STAGE_PREPARE,
	GENERATE_STAGE_SH_BEFORE,
	GENERATE_STAGE_WRITE,
	GENERATE_STAGE_SH_AFTER,
	GENERATE_STAGE_FINISH,
};

struct generate_item {
	char *rel;		/* workspace-relative template path */
	size_t entry;		/* index of the templates entry it matched */
	bool have_hash;		/* hash from the file table */
	XXH128_hash_t hash;
	char *out_abs;		/* resolved output, once known */
};

struct generate_job {
	struct ggend *g;
	uint64_t root_id;	/* watch_root_id of the root, 0 = none: the
				   root may be unwatched while the job waits
				   on a child, so it is looked up each time */
	char *root_path;	/* canonical root */
	char *dir;		/* workspace directory (absolute) */
	const struct make_phase *phase;
	const char *model_file;	/* make.toml, for positions; borrowed */
	struct tvalue *toml_vars, *req_vars, *env;
	XXH128_hash_t vars_fp;
	bool force;		/* no changed list: render everything */
	struct generate_item *items;
	size_t n_items, cap_items, cur;
	enum generate_stage stage;
	/* the current template */
	XXH128_hash_t src_hash;
	struct frontmatter fm;
	struct strbuf body;
	size_t sh_i;
	bool failed;		/* current template failed: skip to FINISH */
	enum generate_status status;
	uint64_t start_wall_ms;
	struct timespec start_mono;
	/* one child at a time */
	struct child child;
	bool child_live, child_done;
	int child_exit;		/* exit code, or 128 + signal */
	bool child_timed_out;
	ev_idle idle;
	struct generate_result res;
	generate_done_cb cb;
	void *arg;
};

static void generate_idle_cb(struct ev_loop *loop, ev_idle *w, int revents);

/* The job's root now, or NULL (none, or unwatched since the start). */
static struct watch_root *
generate_root(const struct generate_job *job)
{
	return job->root_id != 0 ? watch_root_get(job->g->watch, job->root_id) :
	    NULL;
}

/* Record err as the job's first error (the result keeps the first one). */
static void
generate_fail(struct generate_job *job, int code, const struct gerr *err)
{
	job->failed = true;
	job->status = GENERATE_FAILED;
	if (job->res.code == 0) {
		job->res.code = code;
		if (err != NULL)
			job->res.err = *err;
		else
			gerr_set(&job->res.err, code, "generate failed");
	}
}

/* Put err's message at file:line:1 (line 0: the file alone), so that a
 * system or path error names the template it came from. */
static void
generate_anchor(struct gerr *err, const char *file, int line)
{
	char why[GERR_MSG_MAX];
	enum gerr_code code = err->code;

	snprintf(why, sizeof(why), "%s", err->msg);
	gerr_clear(err);
	gerr_set_at(err, code, file, line, line > 0 ? 1 : 0, "%s", why);
}

/* ----------------------------------------------------- template list */

static void
generate_add_item(struct generate_job *job, const char *rel, size_t entry,
    const XXH128_hash_t *h)
{
	struct generate_item *it;

	for (size_t i = 0; i < job->n_items; i++)
		if (strcmp(job->items[i].rel, rel) == 0)
			return;		/* the first entry that names it wins */
	if (job->n_items == GENERATE_MAX_TEMPLATES)
		return;
	if (job->n_items == job->cap_items) {
		job->cap_items = job->cap_items ? job->cap_items * 2 : 16;
		job->items = xreallocarray(job->items, job->cap_items,
		    sizeof(*job->items));
	}
	it = &job->items[job->n_items++];
	memset(it, 0, sizeof(*it));
	it->rel = xstrdup(rel);
	it->entry = entry;
	if (h != NULL) {
		it->have_hash = true;
		it->hash = *h;
	}
}

/* One file of the workspace: a template when an entry's glob matches.
 * A table hash is the content's only for a regular file (a symlink's is
 * its target text): a symlinked template is read and hashed instead. */
static int
generate_scan_file(void *arg, const struct treefiles_file *f)
{
	struct generate_job *job = arg;
	long e = make_strlist_match(&job->phase->templates, f->rel);
	const XXH128_hash_t *h = NULL;

	if (e < 0)
		return 0;
	if (f->e != NULL && (f->e->flags & FILETABLE_F_HASH_KNOWN)) {
		char *abs = path_join(job->root_path, f->root_rel);
		struct stat st;

		if (lstat(abs, &st) == 0 && S_ISREG(st.st_mode))
			h = &f->e->hash;
		free(abs);
	}
	generate_add_item(job, f->rel, (size_t)e, h);
	return 0;
}

static int
generate_item_cmp(const void *a, const void *b)
{
	return strcmp(((const struct generate_item *)a)->rel,
	    ((const struct generate_item *)b)->rel);
}

/* Fill job->items from the phase's templates entries, sorted by path so
 * that runs (and their first error) do not depend on directory order.
 * Files come from the root's table, else from a walk with the same ignore
 * policy (daemon/treefiles.h); root_model: for `[watch] ignore`. */
static int
generate_expand(struct generate_job *job,
    const struct make_project *root_model, struct gerr *err)
{
	const struct make_strlist *t = &job->phase->templates;
	struct watch_root *root = generate_root(job);
	const struct filetable *table = root != NULL ?
	    watch_root_table(root) : NULL;
	char *ws_rel = NULL, *src;
	int rc;

	for (size_t e = 0; e < t->len; e++) {
		if ((src = projtree_template_pair_src(t->items[e].s)) != NULL)
			generate_add_item(job, src, e, NULL);
		free(src);
	}
	rc = path_relative(job->root_path, job->dir, &ws_rel, err);
	if (rc == 0)
		rc = treefiles_foreach(table, job->root_path,
		    strcmp(ws_rel, ".") == 0 ? "" : ws_rel, root_model,
		    generate_scan_file, job, err);
	if (rc != 0 && err != NULL)
		generate_anchor(err, job->model_file, t->line);
	if (job->n_items > 1)
		qsort(job->items, job->n_items, sizeof(*job->items),
		    generate_item_cmp);
	free(ws_rel);
	return rc;
}

/* --------------------------------------------------------- variables */

static XXH128_hash_t
generate_fingerprint(const struct tvalue *a, const struct tvalue *b)
{
	XXH3_state_t *st = XXH3_createState();
	XXH128_hash_t h;
	const struct tvalue *v[2] = { a, b };

	XXH3_128bits_reset(st);
	for (int i = 0; i < 2; i++) {
		cJSON *j = tvalue_to_cjson(v[i]);
		char *s = cJSON_PrintUnformatted(j);

		XXH3_128bits_update(st, s, strlen(s) + 1);
		cJSON_free(s);
		cJSON_Delete(j);
	}
	h = XXH3_128bits_digest(st);
	XXH3_freeState(st);
	return h;
}

/* ----------------------------------------------------------- stages */

static void
generate_child_exit(struct child *c, const struct runner_result *r)
{
	struct generate_job *job = c->data;

	job->child_done = true;
	job->child_exit = r->exited ? r->exit_code : 128 + r->signal;
	job->child_timed_out = r->timed_out;
	ev_idle_start(job->g->loop, &job->idle);
}

/* Spawn the command; the idle watcher waits (stopped) until it exits. */
static void
generate_spawn(struct generate_job *job, const char *cmd)
{
	struct spawn_spec spec = {
		.command = cmd,
		.cwd = job->dir,
		.timeout_ms = (uint64_t)job->phase->timeout_s * 1000,
		.on_exit = generate_child_exit,
		.data = job,
	};
	struct gerr err;

	gerr_clear(&err);
	memset(&job->child, 0, sizeof(job->child));
	if (runner_spawn(job->g->loop, &spec, &job->child, &err) != 0) {
		runner_child_free(&job->child);
		generate_fail(job, err.code, &err);
		return;
	}
	job->child_live = true;
	job->child_done = false;
	ev_idle_stop(job->g->loop, &job->idle);
}

/* Collect a finished child; false when it failed (job marked). */
static bool
generate_reap(struct generate_job *job, const char *what, const char *cmd)
{
	struct gerr err;

	runner_child_free(&job->child);
	job->child_live = false;
	job->child_done = false;
	if (job->child_exit == 0)
		return true;
	gerr_clear(&err);
	gerr_set_at(&err, GERR_INVALID, job->items[job->cur].rel, job->fm.line,
	    1, "%s `%s` %s %d", what, cmd, job->child_timed_out ?
	    "timed out; status" : "failed with status", job->child_exit);
	generate_fail(job, err.code, &err);
	return false;
}

static bool
generate_is_clean(struct generate_job *job, const struct tplcache_memo *m)
{
	struct watch_root *root;
	const struct filetable *table;
	const struct filetable_entry *e;
	const char *rel;
	char *buf;
	size_t len;
	bool exists, clean;

	if (job->force || m == NULL || !m->valid || m->out_path == NULL ||
	    !XXH128_isEqual(m->src_hash, job->src_hash) ||
	    !XXH128_isEqual(m->vars_fp, job->vars_fp))
		return false;
	/* The output must still hold what we left there (a user edit or a
	 * delete makes the template render again). The file table knows its
	 * hash unless it was just written; only then is it read here. */
	root = generate_root(job);
	table = root != NULL ? watch_root_table(root) : NULL;
	rel = table != NULL ? watch_root_relpath(root, m->out_path) : NULL;
	e = rel != NULL ? filetable_lookup(table, rel) : NULL;
	if (e != NULL && (e->flags & FILETABLE_F_HASH_KNOWN))
		return XXH128_isEqual(e->hash, m->out_hash);
	if (genout_read(m->out_path, GENOUT_MAX_BYTES, &buf, &len, &exists,
	    NULL) != 0 || !exists)
		return false;
	clean = XXH128_isEqual(XXH3_128bits(buf, len), m->out_hash);
	free(buf);
	return clean;
}

/* tplcache_io's hash: the file table's when known, else read the file. */
static bool
generate_dep_hash(void *ctx, const char *abs, XXH128_hash_t *out)
{
	struct generate_job *job = ctx;
	struct watch_root *root = generate_root(job);
	const struct filetable *table = root != NULL ?
	    watch_root_table(root) : NULL;
	const char *rel = table != NULL ? watch_root_relpath(root, abs) :
	    NULL;
	const struct filetable_entry *e = rel != NULL ?
	    filetable_lookup(table, rel) : NULL;
	char *buf;
	size_t len;
	bool exists;

	if (e != NULL && (e->flags & FILETABLE_F_HASH_KNOWN)) {
		*out = e->hash;
		return true;
	}
	if (genout_read(abs, GENERATE_MAX_TEMPLATE_BYTES, &buf, &len, &exists,
	    NULL) != 0 || !exists)
		return false;
	*out = XXH3_128bits(buf, len);
	free(buf);
	return true;
}

/* The template directories of the phase (examples/TEMPLATES.md): each `templates`
 * entry's directory part before its first wildcard. *n set; free with
 * generate_tpl_dirs_free. */
static char **
generate_tpl_dirs(const struct make_phase *ph, size_t *n)
{
	char **dirs = xcalloc(ph->templates.len + 1, sizeof *dirs);

	*n = 0;
	for (size_t i = 0; i < ph->templates.len; i++) {
		const char *g = ph->templates.items[i].s;
		size_t cut = template_load_entry_dir(g);

		if (cut > 0)
			dirs[(*n)++] = xstrndup(g, cut);
	}
	return dirs;
}

static void
generate_tpl_dirs_free(char **dirs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(dirs[i]);
	free(dirs);
}

/* Compile (or find), render, resolve the output. */
static void
generate_prepare(struct generate_job *job)
{
	struct generate_item *it = &job->items[job->cur];
	struct template_render_opts opts = { .env = job->env };
	struct tplcache_entry ce;
	char *abs = path_join(job->dir, it->rel), *src = NULL, *to = NULL;
	size_t len;
	bool exists, hit = false;
	struct gerr err;
	int rc = 0;
	size_t ndirs = 0;
	char **dirs = generate_tpl_dirs(job->phase, &ndirs);
	struct tplcache_io io = { .hash = generate_dep_hash, .ctx = job,
		.base = job->dir, .dirs = (const char *const *)dirs,
		.ndirs = ndirs };

	gerr_clear(&err);
	frontmatter_init(&job->fm);
	strbuf_reset(&job->body);
	if (it->have_hash) {
		job->src_hash = it->hash;
		hit = tplcache_lookup_io(job->g->tplcache, abs, &it->hash, &io,
		    &ce);
		/* Memos compare the whole set (file + its includes). */
		if (hit)
			job->src_hash = ce.set_hash;
		if (hit && generate_is_clean(job, ce.memo)) {
			job->status = GENERATE_CLEAN;
			job->stage = GENERATE_STAGE_FINISH;
			free(abs);
			generate_tpl_dirs_free(dirs, ndirs);
			return;
		}
	}
	if (!hit) {
		rc = genout_read(abs, GENERATE_MAX_TEMPLATE_BYTES, &src, &len,
		    &exists, &err);
		if (rc == 0 && !exists)
			rc = gerr_set(&err, GERR_NOT_FOUND, "open %s: %s", it->rel,
			    strerror(ENOENT));
		if (rc == 0) {
			XXH128_hash_t h = XXH3_128bits(src, len);

			/* The table's hash already missed: look again only if
			 * the file changed since it was hashed. */
			if (!it->have_hash || !XXH128_isEqual(h, it->hash))
				hit = tplcache_lookup_io(job->g->tplcache, abs,
				    &h, &io, &ce);
			if (!hit)
				tplcache_put_io(job->g->tplcache, abs, it->rel,
				    &h, src, len, &io, &ce);
			job->src_hash = ce.set_hash;
			if (generate_is_clean(job, ce.memo)) {
				job->status = GENERATE_CLEAN;
				job->stage = GENERATE_STAGE_FINISH;
				goto out;
			}
		}
	}
	if (rc == 0 && ce.err != NULL) {
		err = *ce.err;
		rc = err.code;
	}
	if (rc == 0)
		rc = frontmatter_render(ce.ft, job->toml_vars, job->req_vars,
		    &opts, &job->fm, &job->body, NULL, &err);
	job->res.rendered += rc == 0;
	if (rc == 0 && job->fm.to == NULL)
		rc = frontmatter_default_output(
		    job->phase->templates.items[it->entry].s, it->rel, &to, &err);
	if (rc == 0)
		rc = genout_resolve(job->root_path, job->dir, job->fm.to != NULL ?
		    job->fm.to : to, true, &it->out_abs, &err);
	if (rc != 0) {
		if (err.line == 0 && err.code == GERR_OUTSIDE_ROOT)
			generate_anchor(&err, it->rel, job->fm.line > 0 ?
			    job->fm.line : 1);
		else if (err.file[0] == '\0')
			generate_anchor(&err, it->rel, 0);
		generate_fail(job, rc, &err);
		job->stage = GENERATE_STAGE_FINISH;
		goto out;
	}
	job->sh_i = 0;
	job->stage = job->fm.n_sh_before > 0 ? GENERATE_STAGE_SH_BEFORE :
	    GENERATE_STAGE_WRITE;
out:
	generate_tpl_dirs_free(dirs, ndirs);
	free(abs);
	free(src);
	free(to);
}

static void
generate_write(struct generate_job *job)
{
	struct generate_item *it = &job->items[job->cur];
	struct strbuf content = STRBUF_INIT;
	enum frontmatter_action action;
	const char *reason;
	struct tplcache_memo *m;
	XXH128_hash_t h;
	char *old = NULL, *abs = path_join(job->dir, it->rel);
	size_t old_len;
	bool exists, written = false;
	struct gerr err;
	int rc;

	gerr_clear(&err);
	rc = genout_read(it->out_abs, GENOUT_MAX_BYTES, &old, &old_len, &exists,
	    &err);
	if (rc == 0)
		rc = frontmatter_apply(&job->fm, old, old_len, job->body.buf,
		    job->body.len, &content, &action, &reason, &err);
	if (rc == 0 && action == FRONTMATTER_SKIP) {
		job->status = GENERATE_SKIPPED;
		job->res.skipped++;
	} else if (rc == 0) {
		h = XXH3_128bits(content.buf, content.len);
		if (exists && old_len == content.len &&
		    memcmp(old, content.buf, content.len) == 0) {
			job->status = GENERATE_UNCHANGED;
			job->res.unchanged++;
		} else {
			struct watch_root *root = generate_root(job);
			const char *rel = root != NULL ?
			    watch_root_relpath(root, it->out_abs) : NULL;

			if (rel != NULL)
				watch_expect_write(root, rel, &h,
				    job->phase->name);
			rc = genout_write(it->out_abs, content.buf, content.len,
			    &written, &err);
			job->status = GENERATE_WRITTEN;
			job->res.written += written;
		}
		m = tplcache_memo(job->g->tplcache, abs, &job->src_hash);
		if (rc == 0 && m != NULL) {
			m->valid = true;
			m->src_hash = job->src_hash;
			m->vars_fp = job->vars_fp;
			m->out_hash = h;
			free(m->out_path);
			m->out_path = xstrdup(it->out_abs);
		}
	}
	if (rc != 0) {
		if (err.file[0] == '\0')
			generate_anchor(&err, it->rel, 0);
		generate_fail(job, rc, &err);
	}
	free(old);
	free(abs);
	strbuf_release(&content);
	job->sh_i = 0;
	job->stage = !job->failed && job->status != GENERATE_SKIPPED &&
	    job->fm.n_sh_after > 0 ? GENERATE_STAGE_SH_AFTER :
	    GENERATE_STAGE_FINISH;
}

const char *
generate_status_name(enum generate_status status)
{
	switch (status) {
	case GENERATE_WRITTEN:
		return "written";
	case GENERATE_UNCHANGED:
		return "unchanged";
	case GENERATE_SKIPPED:
		return "skipped";
	case GENERATE_CLEAN:
		return "clean";
	case GENERATE_FAILED:
		return "failed";
	}
	return "?";
}

static void
generate_finish_item(struct generate_job *job)
{
	struct generate_item *it = &job->items[job->cur];
	struct generate_span *sp = &job->res.spans[job->res.n_spans++];
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	sp->name = it->rel;
	sp->output = it->out_abs;
	sp->start_wall_ms = job->start_wall_ms;
	sp->duration_us = (uint64_t)((now.tv_sec - job->start_mono.tv_sec) *
	    1000000 + (now.tv_nsec - job->start_mono.tv_nsec) / 1000);
	sp->status = job->status;
	if (job->status == GENERATE_CLEAN)
		job->res.clean++;
	log_debug("generate_finish_item: %s -> %s: %s (%llu us)", it->rel,
	    it->out_abs != NULL ? it->out_abs : "-",
	    generate_status_name(job->status),
	    (unsigned long long)sp->duration_us);
	frontmatter_release(&job->fm);
	frontmatter_init(&job->fm);
	job->cur++;
	job->stage = GENERATE_STAGE_PREPARE;
}

/* Run cmds one by one (one child per turn), then go to next. */
static void
generate_sh_stage(struct generate_job *job, const char *what,
    char *const *cmds, size_t n, enum generate_stage next)
{
	if (job->child_done && !generate_reap(job, what, cmds[job->sh_i++])) {
		job->stage = GENERATE_STAGE_FINISH;
	} else if (job->sh_i < n) {
		generate_spawn(job, cmds[job->sh_i]);
		if (job->failed)
			job->stage = GENERATE_STAGE_FINISH;
	} else {
		job->stage = next;
	}
}

static void
generate_job_free(struct generate_job *job)
{
	if (job->child_live)
		runner_child_free(&job->child);
	ev_idle_stop(job->g->loop, &job->idle);
	for (size_t i = 0; i < job->n_items; i++) {
		free(job->items[i].rel);
		free(job->items[i].out_abs);
	}
	free(job->items);
	free(job->res.spans);
	frontmatter_release(&job->fm);
	strbuf_release(&job->body);
	tvalue_unref(job->toml_vars);
	tvalue_unref(job->req_vars);
	tvalue_unref(job->env);
	free(job->root_path);
	free(job->dir);
	free(job);
}

/* One step of the current template (or the end of the job). */
static void
generate_idle_cb(struct ev_loop *loop, ev_idle *w, int revents)
{
	struct generate_job *job = w->data;
	const struct frontmatter *fm = &job->fm;

	(void)loop;
	(void)revents;
	if (job->cur == job->n_items) {
		ev_idle_stop(job->g->loop, &job->idle);
		job->cb(job->arg, &job->res);
		generate_job_free(job);
		return;
	}
	switch (job->stage) {
	case GENERATE_STAGE_PREPARE:
		job->failed = false;
		job->status = GENERATE_WRITTEN;
		job->start_wall_ms = clock_wall_ms();
		clock_gettime(CLOCK_MONOTONIC, &job->start_mono);
		generate_prepare(job);
		break;
	case GENERATE_STAGE_SH_BEFORE:
		generate_sh_stage(job, "sh_before", fm->sh_before,
		    fm->n_sh_before, GENERATE_STAGE_WRITE);
		break;
	case GENERATE_STAGE_WRITE:
		generate_write(job);
		break;
	case GENERATE_STAGE_SH_AFTER:
		generate_sh_stage(job, "sh_after", fm->sh_after,
		    fm->n_sh_after, GENERATE_STAGE_FINISH);
		break;
	case GENERATE_STAGE_FINISH:
		generate_finish_item(job);
		break;
	}
}

int
generate_start(struct ggend *g, struct watch_root *root, const char *dir,
    const struct make_project *model, const struct make_phase *phase,
    const struct cJSON *request_vars, const char *const *changed,
    size_t n_changed, generate_done_cb cb, void *arg,
    struct generate_job **out, struct gerr *err)
{
	struct generate_job *job;
	int rc;

	(void)changed;
	(void)n_changed;
	*out = NULL;
	if (phase == NULL || phase->templates.len == 0)
		return gerr_set(err, GERR_INVALID, "phase \"%s\" has no "
		    "templates", phase != NULL ? phase->name : "?");
	if (request_vars != NULL && !cJSON_IsObject(request_vars))
		return gerr_set(err, GERR_INVALID, "request vars must be a JSON "
		    "object");
	/* Limits follow the live configuration (SIGHUP included). */
	if (g->tplcache == NULL)
		g->tplcache = tplcache_new(0, 0);
	tplcache_set_limits(g->tplcache, (size_t)g->cfg.templates_cache_entries,
	    (size_t)g->cfg.templates_cache_bytes);
	/* A caller without the root (the engine knows only directories)
	 * still gets the file table and the expected-write announcements. */
	if (root == NULL && g->watch != NULL)
		root = watch_root_find(g->watch, dir);
	job = xcalloc(1, sizeof(*job));
	ev_idle_init(&job->idle, generate_idle_cb);
	job->idle.data = job;
	job->g = g;
	job->root_id = root != NULL ? watch_root_id(root) : 0;
	job->dir = path_normalize(dir);
	job->root_path = xstrdup(root != NULL ? watch_root_path(root) :
	    job->dir);
	job->phase = phase;
	job->model_file = model != NULL ? model->file : "make.toml";
	job->cb = cb;
	job->arg = arg;
	job->force = changed == NULL;
	strbuf_init(&job->body);
	frontmatter_init(&job->fm);
	job->toml_vars = tvalue_from_toml(model != NULL ? model->vars : NULL);
	if (request_vars != NULL) {
		rc = tvalue_from_cjson(request_vars, &job->req_vars, err);
		if (rc != 0) {
			generate_job_free(job);
			return rc;
		}
	} else {
		job->req_vars = tvalue_map_new();
	}
	job->env = genout_env_map(environ);
	job->vars_fp = generate_fingerprint(job->toml_vars, job->req_vars);
	rc = generate_expand(job, root != NULL ? watch_root_model(root) : model,
	    err);
	if (rc != 0) {
		generate_job_free(job);
		return rc;
	}
	job->res.spans = xcalloc(job->n_items + 1, sizeof(*job->res.spans));
	ev_idle_start(g->loop, &job->idle);
	*out = job;
	return 0;
}

void
generate_cancel(struct generate_job *job)
{
	if (job == NULL)
		return;
	generate_job_free(job);
}
