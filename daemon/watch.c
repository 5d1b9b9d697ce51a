/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * watch.c - the set of watched roots (struct watch): registration,
 * readiness, ignore rules, the make.toml model, persistence and the plain
 * data status replies are built from (watch_root_info; the wire form is
 * daemon/wire_watch.c).
 *
 * Owns: every struct watch_root (a linked list) with its rootsync, its
 * ignore matcher, one reference to its last good make.toml model (runs take
 * their own through watch_root_model_ref, so a re-parse never frees a model
 * a run still uses) and the latest parse's findings; the hash pool; the roots file
 * (<state dir>/roots.json) and each root's snapshot (<state
 * dir>/snap-<hash>.ggs, daemon/snapshot.c), both written by the one state
 * writer here (watch_write_state: temp file, fsync, rename, fsync of the
 * directory); each root's idle save timer (armed by a change, so an idle
 * daemon never wakes). Clock tokens: this run's random instance id, each
 * root's id and the earlier runs its restored table answers for.
 * Loop wiring, batches and files.changed live in watch_events.c.
 * Called by: ggend (new, restore, reload, free), the req_watch, req_unwatch,
 * req_roots, req_changes, req_hash and req_status handlers, and the engine
 * through watch.h. Loop thread only.
 * Ignore changes without a restart: a changed .gitignore/.ggenignore (or
 * make.toml [watch] ignore) rescans the root; directories the new rules
 * reject lose their watches and their entries, reported as removed with
 * reason "ignore" (the user asked to stop seeing them; a later un-ignore
 * reports them added). .git is never watched, not even .git/info: its
 * exclude file is read again whenever another ignore file changes and on
 * SIGHUP (watch_reload), and a changed content rescans the same way.
 * Invariants: a root's path is realpath(3)-canonical; roots never nest (a
 * path inside a root answers with that root, and adding a parent of roots
 * is refused); a root is ready once its first crawl is done and every file
 * hash is known (or failed), and its waiters are called exactly once.
 */
#include "watch.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "fault.h"
#include "fileio.h"
#include "log.h"
#include "notifier.h"
#include "path.h"
#include "projtree.h"
#include "rootsfile.h"
#include "snapshot.h"
#include "watch_int.h"
#include "xmalloc.h"

#define WATCH_ROOTS_FILE "roots.json"
/* A constant writer still gets its table saved this many idle periods
 * after its first unsaved change. */
#define WATCH_SAVE_MAX_DELAYS 10
#define WATCH_PROGRESS_MS 100

static void watch_model_files_clear(struct watch_root *r);

static void
watch_pool_notify(void *arg)
{
	struct watch *w = arg;

	ev_async_send(w->loop, &w->async);
}

struct watch *
watch_new(const struct watch_deps *deps, struct gerr *err)
{
	struct hashpool_config pcfg = { .threads =
	    deps->settings.hash_threads };
	struct watch *w;
	int rc;

	rc = notifier_init(err);
	if (rc != 0)
		return NULL;
	notifier_set_watch_cap((size_t)deps->settings.max_watches);
	w = xcalloc(1, sizeof(*w));
	w->loop = deps->loop;
	w->set = deps->settings;
	w->state_dir = xstrdup(deps->state_dir);
	w->publish = deps->publish;
	w->publish_arg = deps->publish_arg;
	w->next_generation = WATCH_GEN_ON_DEMAND + 1;
	/* A clock of another daemon run must never read as one of ours:
	 * 64 random bits, never 0 (0 marks "none" in snapshots). */
	while (w->instance == 0) {
		if (getrandom(&w->instance, sizeof(w->instance), 0) !=
		    (ssize_t)sizeof(w->instance))
			w->instance = clock_wall_us() ^
			    ((uint64_t)getpid() << 32);
	}
	rc = hashpool_new(&pcfg, watch_pool_notify, w, &w->pool, err);
	if (rc != 0) {
		free(w->state_dir);
		free(w);
		notifier_cleanup();
		return NULL;
	}
	watch_events_start(w);
	return w;
}

static void
watch_root_free(struct watch_root *r)
{
	size_t i;

	ev_timer_stop(r->w->loop, &r->save_timer);
	watch_events_root_release(r);
	rootsync_free(r->wr);
	ignore_free(r->ign);
	make_project_unref(r->model);
	make_findings_release(&r->findings);
	watch_model_files_clear(r);
	for (i = 0; i < r->nexpects; i++) {
		free(r->expects[i].path);
		free(r->expects[i].writer);
	}
	free(r->expects);
	free(r->waiters);
	free(r->snap_path);
	free(r->path);
	free(r);
}

static void watch_snapshot_save(struct watch_root *r, const char *why);

void
watch_answer_waiters(struct watch *w)
{
	struct watch_root *r;
	struct watch_hash_job *j, *jn;
	struct watch_waiter *ws;
	struct gerr err;
	size_t i, n;

	if (w == NULL)
		return;
	gerr_clear(&err);
	gerr_set(&err, GERR_SHUTTING_DOWN, "the daemon is stopping");
	for (r = w->roots; r != NULL; r = r->next) {
		ws = r->waiters;
		n = r->nwaiters;
		r->waiters = NULL;
		r->nwaiters = r->capwaiters = 0;
		for (i = 0; i < n; i++)
			ws[i].ready(ws[i].arg, r, &err);
		free(ws);
	}
	for (j = w->jobs; j != NULL; j = jn) {
		jn = j->next;
		j->cb(j->arg, ECANCELED, NULL, NULL);
		free(j);
	}
	w->jobs = NULL;
}

void
watch_free(struct watch *w)
{
	struct watch_root *r, *next;

	if (w == NULL)
		return;
	watch_events_stop(w);
	/* Whoever waits is answered now, while roots and requests exist. */
	watch_answer_waiters(w);
	/* Each table as it is now, for the next start: the last clock any
	 * reply carried is the one saved, so every clock of this run stays
	 * answerable after the restart. */
	for (r = w->roots; r != NULL; r = r->next)
		watch_snapshot_save(r, "shutdown");
	/* Roots cancel their jobs in the pool, so the pool goes last; its
	 * results are never drained again (the async watcher is stopped). */
	for (r = w->roots; r != NULL; r = next) {
		next = r->next;
		watch_root_free(r);
	}
	hashpool_free(w->pool);
	notifier_cleanup();
	free(w->state_dir);
	free(w);
}

const char *
watch_root_relpath(const struct watch_root *r, const char *abs)
{
	if (strncmp(abs, r->path, r->pathlen) != 0)
		return NULL;
	if (abs[r->pathlen] == '\0')
		return abs + r->pathlen;
	if (r->pathlen == 1)
		return abs + 1;		/* the root is "/" */
	if (abs[r->pathlen] == '/')
		return abs + r->pathlen + 1;
	return NULL;
}

static struct watch_root *
watch_find_canonical(struct watch *w, const char *canon)
{
	struct watch_root *r;

	if (w == NULL)
		return NULL;
	for (r = w->roots; r != NULL; r = r->next)
		if (watch_root_relpath(r, canon) != NULL)
			return r;
	return NULL;
}

struct watch_root *
watch_root_find(struct watch *w, const char *path)
{
	char canon[PATH_MAX];

	if (w == NULL || realpath(path, canon) == NULL)
		return NULL;
	return watch_find_canonical(w, canon);
}

/* Read a whole small file (ignore files, the roots file) that is not a
 * symlink; NULL when absent, too big or unreadable (said in a WARN, as
 * the file is then treated as absent). */
static char *
watch_read_file(const char *path, size_t max, size_t *len)
{
	char *buf = NULL;
	bool missing;
	struct gerr err;

	gerr_clear(&err);
	if (fileio_read(path, max, FILEIO_NOFOLLOW, &buf, len, &missing,
	    &err) != 0) {
		log_warn("%s; treated as absent", err.msg);
		return NULL;
	}
	return buf;
}

static void
watch_ignore_warn(void *arg, const struct gerr *err)
{
	struct watch_root *r = arg;

	log_warn("root %s: %s:%d:%d: %s", r->path, err->file, err->line,
	    err->col, err->msg);
}

/* (Re)load the ignore file of kind in directory dir of r (the loader of
 * common/projtree.h: one policy for the daemon, validate and render); a
 * missing file removes the source. Returns whether the root's
 * .git/info/exclude changed (always false for other kinds). */
static bool
watch_load_ignore(struct watch_root *r, enum ignore_kind kind,
    const char *dir)
{
	uint64_t h = projtree_ignore_load(r->ign, r->path, kind, dir,
	    watch_ignore_warn, r);

	/* 0 stands for "absent": a real hash of 0 only costs one needless
	 * rescan. */
	if (kind != IGNORE_EXCLUDE || h == r->exclude_hash)
		return false;
	r->exclude_hash = h;
	return true;
}

void
watch_reload(struct watch *w, const struct watch_settings *s)
{
	struct watch_root *r;

	if (w == NULL)
		return;
	w->set = *s;
	/* Takes effect from the next poll on (ev_timer_again re-arms). */
	w->poll.repeat = (double)w->set.poll_ms / 1000.0;
	if (ev_is_active(&w->poll))
		ev_timer_again(w->loop, &w->poll);
	for (r = w->roots; r != NULL; r = r->next) {
		watch_events_window(r);
		if (watch_load_ignore(r, IGNORE_EXCLUDE, ""))
			watch_events_ignore_changed(r);
	}
}

/*
 * The crawl, the poller and events ask about every entry. A directory not
 * in the table yet is being discovered: its ignore files are read now,
 * before any entry inside it is asked about.
 */
static bool
watch_is_ignored(void *arg, const char *rel, bool is_dir)
{
	struct watch_root *r = arg;
	const struct filetable_entry *e;

	if (ignore_check(r->ign, rel, strlen(rel), is_dir, NULL))
		return true;
	if (is_dir && r->wr != NULL) {
		e = filetable_lookup(rootsync_table(r->wr), rel);
		if (e == NULL || e->kind != FILETABLE_DIR) {
			watch_load_ignore(r, IGNORE_GGENIGNORE, rel);
			watch_load_ignore(r, IGNORE_GITIGNORE, rel);
		}
	}
	return false;
}

/* watch.walk_threads, 0 resolved: two per core (a cold page cache wants
 * I/O in flight more than cores), 4 to 16. */
static unsigned
watch_walk_threads(const struct watch *w)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	if (w->set.walk_threads > 0)
		return w->set.walk_threads;
	n = n > 0 ? 2 * n : 4;
	return (unsigned)(n < 4 ? 4 : n > 16 ? 16 : n);
}

/* The warm walk reaches a restored directory (rootsync_ignores_cb). */
static void
watch_load_dir_ignores(void *arg, const char *rel, unsigned kinds)
{
	struct watch_root *r = arg;

	if (kinds & ROOTSYNC_IGN_GGENIGNORE)
		watch_load_ignore(r, IGNORE_GGENIGNORE, rel);
	if (kinds & ROOTSYNC_IGN_GITIGNORE)
		watch_load_ignore(r, IGNORE_GITIGNORE, rel);
}

/* make.toml's `[watch] ignore` patterns become the config source. */
static void
watch_apply_model_ignore(struct watch_root *r)
{
	if (r->model == NULL)
		return;
	projtree_ignore_model(r->ign, r->model, watch_ignore_warn, r);
}

/* Tell subscribers about r's model: kind is WATCH_EVENT_MODEL_INVALID
 * (where it failed, at once: a save has no one to answer otherwise) or
 * WATCH_EVENT_MODEL_VALID (it parses again: runs may start). */
static void
watch_publish_model(struct watch_root *r, enum watch_event_kind kind)
{
	struct watch_event ev = { .kind = kind, .root = r };

	if (r->w->publish != NULL)
		r->w->publish(r->w->publish_arg, &ev);
}

/* No make.toml at all (not an invalid one): nothing to report. */
static bool
watch_model_absent(const struct watch_root *r)
{
	return r->model_rc == GERR_IO && r->model == NULL &&
	    strstr(r->model_err.msg, "No such file") != NULL;
}

static void
watch_model_file_stat(struct watch_model_file *f)
{
	struct stat st;

	f->present = stat(f->path, &st) == 0;
	if (!f->present)
		return;
	f->dev = st.st_dev;
	f->ino = st.st_ino;
	f->size = st.st_size;
	f->mtime = st.st_mtim;
	f->ctime = st.st_ctim;
}

static void
watch_model_files_add(struct watch_root *r, char *path)
{
	r->mfiles = xreallocarray(r->mfiles, r->nmfiles + 1,
	    sizeof(*r->mfiles));
	memset(&r->mfiles[r->nmfiles], 0, sizeof(*r->mfiles));
	r->mfiles[r->nmfiles].path = path;
	watch_model_file_stat(&r->mfiles[r->nmfiles++]);
}

static void
watch_model_files_clear(struct watch_root *r)
{
	for (size_t i = 0; i < r->nmfiles; i++)
		free(r->mfiles[i].path);
	free(r->mfiles);
	r->mfiles = NULL;
	r->nmfiles = 0;
}

bool
watch_root_model_stale(const struct watch_root *r)
{
	struct watch_model_file now;

	for (size_t i = 0; i < r->nmfiles; i++) {
		const struct watch_model_file *f = &r->mfiles[i];

		now.path = f->path;
		watch_model_file_stat(&now);
		if (now.present != f->present)
			return true;
		if (f->present && (now.dev != f->dev || now.ino != f->ino ||
		    now.size != f->size ||
		    now.mtime.tv_sec != f->mtime.tv_sec ||
		    now.mtime.tv_nsec != f->mtime.tv_nsec ||
		    now.ctime.tv_sec != f->ctime.tv_sec ||
		    now.ctime.tv_nsec != f->ctime.tv_nsec))
			return true;
	}
	return false;
}

void
watch_root_load_model(struct watch_root *r)
{
	struct make_project *p = NULL;
	const struct make_project *m;
	int rc;

	/* model.invalid was published (not merely no make.toml): a good
	 * parse now is news. */
	bool was_invalid = r->model_rc != 0 && !watch_model_absent(r);

	make_findings_release(&r->findings);
	make_findings_init(&r->findings);
	gerr_clear(&r->model_err);
	r->models_parsed++;
	/* Stat before reading: a write in between makes the next check
	 * stale (one extra parse), never hides a change. */
	watch_model_files_clear(r);
	watch_model_files_add(r, xasprintf("%s/%s", r->path, MAKE_FILE_NAME));
	rc = make_load(r->path, &p, &r->findings, &r->model_err);
	r->model_rc = rc;
	m = rc == 0 ? p : r->model;
	for (size_t i = 0; m != NULL && i < m->workspaces_len; i++)
		watch_model_files_add(r, xasprintf("%s/%s/%s", r->path,
		    m->workspaces[i].path, MAKE_FILE_NAME));
	if (rc == 0) {
		/* Runs under way keep their own reference to the old one. */
		make_project_unref(r->model);
		r->model = p;
		watch_apply_model_ignore(r);
		watch_events_window(r);
		if (was_invalid)
			watch_publish_model(r, WATCH_EVENT_MODEL_VALID);
		return;
	}
	if (watch_model_absent(r))
		return;
	{
		/* With its file:line:col, so an editor can jump to it. */
		char where[GERR_MSG_MAX + GERR_FILE_MAX + 32];

		log_warn("root %s: %s; no run starts until it is fixed%s",
		    r->path, gerr_format(&r->model_err, where, sizeof(where)),
		    r->model != NULL ? " (runs under way finish; the last "
		    "good [watch] settings stay)" : "");
	}
	watch_publish_model(r, WATCH_EVENT_MODEL_INVALID);
}

int
watch_root_model_ref(struct watch_root *r, struct make_project **out,
    const struct make_findings **findings, struct gerr *err)
{
	*findings = NULL;
	*out = NULL;
	/* Saved but not settled yet (the run request raced the watcher):
	 * parse now, so "edit, then run" never runs the old version. */
	if (watch_root_model_stale(r))
		watch_root_load_model(r);
	/* An invalid make.toml refuses new runs: the last good model is
	 * kept only for the runs already under way (they hold references). */
	if (r->model != NULL && r->model_rc == 0) {
		*out = make_project_ref(r->model);
		return 0;
	}
	*findings = &r->findings;
	if (err != NULL)
		*err = r->model_err;
	return r->model_rc != 0 ? r->model_rc : gerr_set(err, GERR_INTERNAL,
	    "root %s: no model", r->path);
}

void
watch_root_refresh_model(struct watch_root *r)
{
	if (watch_root_model_stale(r))
		watch_root_load_model(r);
}

void
watch_root_reload_ignore(struct watch_root *r, const char *relpath)
{
	size_t dlen = path_dirname_len(relpath);
	char *dir = xstrndup(relpath, dlen);
	enum ignore_kind kind;
	size_t blen;
	const char *base = path_basename(relpath, &blen);

	if (ignore_file_kind(base, &kind))
		watch_load_ignore(r, kind, dir);
	/* .git is never watched: its exclude file is read again whenever
	 * another ignore file changes (and on SIGHUP, watch_reload). */
	watch_load_ignore(r, IGNORE_EXCLUDE, "");
	free(dir);
	r->ignore_dirty = true;
}

void
watch_root_progress(const struct watch_root *r, struct watch_progress *out)
{
	struct rootsync_status st;

	memset(out, 0, sizeof(*out));
	rootsync_status(r->wr, &st);
	out->files_seen = st.files;
	out->dirs_seen = st.dirs;
	out->files_hashed = st.files - st.hash_pending;
	out->ready = r->ready;
}

void
watch_root_check_ready(struct watch_root *r, bool force_progress)
{
	struct rootsync_status st;
	struct watch_progress p;
	uint64_t now;
	size_t i, n;
	struct watch_waiter *ws;

	if (r->ready)
		return;
	rootsync_status(r->wr, &st);
	if (!st.crawling && r->load_walk_ms == 0)
		r->load_walk_ms = clock_mono_ms() - r->load_start_ms + 1;
	if (!st.crawling && st.hash_pending == 0 && st.hash_backlog == 0 &&
	    !st.loading) {
		r->ready = true;
		r->load_ready_ms = clock_mono_ms() - r->load_start_ms;
		if (r->load_ready_ms == 0)
			r->load_ready_ms = 1;
		r->load_hashed = st.files_hashed;
		if (r->warm)
			log_info("root %s ready from its snapshot in %llu ms: "
			    "%zu files, %zu directories, %llu re-hashed, %zu "
			    "gone", r->path,
			    (unsigned long long)r->load_ready_ms, st.files,
			    st.dirs, (unsigned long long)r->load_hashed,
			    st.swept);
		else
			log_info("root %s ready in %llu ms (full crawl: %s): "
			    "%zu files, %zu directories", r->path,
			    (unsigned long long)r->load_ready_ms, r->load_msg,
			    st.files, st.dirs);
		watch_root_changed(r);
		/* Callbacks may add waiters or remove roots: detach first. */
		ws = r->waiters;
		n = r->nwaiters;
		r->waiters = NULL;
		r->nwaiters = r->capwaiters = 0;
		for (i = 0; i < n; i++)
			ws[i].ready(ws[i].arg, r, NULL);
		free(ws);
		return;
	}
	if (r->nwaiters == 0)
		return;
	now = clock_mono_ms();
	watch_root_progress(r, &p);
	for (i = 0; i < r->nwaiters; i++) {
		if (r->waiters[i].progress == NULL || (!force_progress &&
		    now - r->waiters[i].last_progress_ms < WATCH_PROGRESS_MS))
			continue;
		r->waiters[i].last_progress_ms = now;
		r->waiters[i].progress(r->waiters[i].arg, r, &p);
	}
}

/* Write the roots file through common/fileio (temp, fsync, rename, fsync
 * of the directory), so a crash leaves the old list or the new one, never
 * a torn one. */
static void
watch_persist(struct watch *w)
{
	struct watch_root *r;
	const char **paths;
	char *text, *final;
	size_t n = 0, len;
	struct gerr err;

	for (r = w->roots; r != NULL; r = r->next)
		n++;
	paths = xcalloc(n + 1, sizeof(*paths));
	n = 0;
	for (r = w->roots; r != NULL; r = r->next)
		paths[n++] = r->path;
	text = rootsfile_encode(paths, n, &len);
	free(paths);
	final = xasprintf("%s/%s", w->state_dir, WATCH_ROOTS_FILE);
	gerr_clear(&err);
	if (fileio_write(final, text, len, 0600, 0, &err) != 0)
		log_error("%s; the root list will not survive a restart",
		    err.msg);
	free(text);
	free(final);
}

/* ---- snapshots (DESIGN section 10) ---- */

/* The snapshot's chunks go to common/fileio's streamed atomic write. */
struct watch_snap_out {
	struct fileio_writer fw;
	struct gerr *err;
	bool first;
};

static int
watch_snap_chunk(void *arg, const void *buf, size_t len)
{
	struct watch_snap_out *o = arg;

	/* The kill -9 test: die with half of the first chunk in the temp
	 * file, the snapshot in place untouched. */
	if (o->first && fault_hit(FAULT_SNAPSHOT_KILL)) {
		fileio_add(&o->fw, buf, len / 2, NULL);
		raise(SIGKILL);
	}
	o->first = false;
	return fileio_add(&o->fw, buf, len, o->err) != 0 ? EIO : 0;
}

/* True while r's table is what its snapshot on disk holds: neither a
 * stamped change nor an edit the clock does not count (a touch, a racy
 * file read again) since it was saved or loaded. */
static bool
watch_snapshot_current(const struct watch_root *r)
{
	const struct filetable *t = rootsync_table(r->wr);

	return filetable_clock(t) == r->saved_clock &&
	    filetable_edits(t) == r->saved_edits;
}

/* Save r's table if it is complete and changed since the last save. */
static void
watch_snapshot_save(struct watch_root *r, const char *why)
{
	const struct filetable *t = rootsync_table(r->wr);
	struct rootsync_status st;
	struct snapshot_meta m;
	struct watch_snap_out o = { .first = true };
	uint64_t t0 = clock_mono_us(), cpu0 = clock_thread_cpu_us();
	struct gerr err;
	int rc;

	ev_timer_stop(r->w->loop, &r->save_timer);
	rootsync_status(r->wr, &st);
	/* A table still loading is not the tree: the snapshot on disk (if
	 * any) stays the truth until this one is complete. */
	if (!r->ready || st.gone || watch_snapshot_current(r))
		return;
	memset(&m, 0, sizeof(m));
	m.saved_ns = (int64_t)clock_wall_us() * 1000;
	m.root_id = r->root_id;
	m.inst[0].id = r->inst[0].id;
	m.inst[0].max_clock = filetable_clock(t);
	for (size_t i = 1; i < r->ninst; i++)
		m.inst[i] = r->inst[i];
	m.ninst = r->ninst;
	m.ignore_digest = ignore_digest(r->ign);
	gerr_clear(&err);
	o.err = &err;
	rc = fileio_begin(&o.fw, r->snap_path, 0600, 0, &err);
	if (rc == 0) {
		if (snapshot_encode(t, r->path, &m, watch_snap_chunk, &o) != 0) {
			fileio_abort(&o.fw);
			rc = err.code != 0 ? (int)err.code : gerr_set(&err,
			    GERR_IO, "write %s: failed", r->snap_path);
		} else {
			rc = fileio_commit(&o.fw, &err);
		}
	}
	if (rc != 0) {
		log_error("%s; root %s will be crawled again at the next "
		    "start", err.msg, r->path);
		return;
	}
	r->saved_clock = filetable_clock(t);
	r->saved_edits = filetable_edits(t);
	/* Its CPU, not its wall time: an fsync waiting on a busy disk
	 * costs nothing here, and does not grow with the table. */
	r->save_us = clock_thread_cpu_us() - cpu0;
	r->save_end_ms = clock_mono_ms();
	log_info("root %s: snapshot saved (%s, %zu files, clock %llu) in "
	    "%llu us", r->path, why, st.files,
	    (unsigned long long)r->saved_clock,
	    (unsigned long long)(clock_mono_us() - t0));
}

static void
watch_save_cb(struct ev_loop *loop, ev_timer *timer, int revents)
{
	struct watch_root *r = timer->data;

	(void)loop;
	(void)revents;
	watch_snapshot_save(r, "idle");
}

void
watch_root_changed(struct watch_root *r)
{
	struct ev_loop *loop = r->w->loop;
	uint64_t idle_ms = r->w->set.snapshot_idle_ms;
	double idle_s;

	if (idle_ms == 0 || !r->ready || watch_snapshot_current(r))
		return;
	/* A table whose save is long waits longer (snapshot.h). */
	idle_s = (double)snapshot_idle_wait_ms(idle_ms, clock_mono_ms(),
	    r->save_end_ms, r->save_us) / 1000.0;
	/* Trailing: each change pushes the save back by one idle period,
	 * up to WATCH_SAVE_MAX_DELAYS periods after the first. */
	if (!ev_is_active(&r->save_timer)) {
		r->save_timer.data = r;
		ev_timer_set(&r->save_timer, idle_s, 0.0);
		ev_timer_start(loop, &r->save_timer);
		r->save_first_ms = clock_mono_ms();
	} else if (clock_mono_ms() - r->save_first_ms <
	    WATCH_SAVE_MAX_DELAYS * idle_ms) {
		ev_timer_stop(loop, &r->save_timer);
		ev_timer_set(&r->save_timer, idle_s, 0.0);
		ev_timer_start(loop, &r->save_timer);
	}
}

/*
 * Load r's snapshot: the restored table, or NULL with r->load_msg saying
 * why the root is crawled in full instead. The file is mapped, not read:
 * no heap copy of it.
 */
/* Temp files of r's snapshot left by a crash mid-write (fileio names
 * them ".BASE.ggen-tmp.XXXXXX" beside the destination): removed. */
static void
watch_snapshot_strays(struct watch_root *r)
{
	const char *base = strrchr(r->snap_path, '/') + 1;
	char *prefix = xasprintf(".%s.ggen-tmp.", base);
	size_t plen = strlen(prefix);
	struct dirent *de;
	DIR *d = opendir(r->w->state_dir);

	while (d != NULL && (de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, prefix, plen) == 0 &&
		    unlinkat(dirfd(d), de->d_name, 0) == 0)
			log_info("removed %s/%s, a snapshot write cut short",
			    r->w->state_dir, de->d_name);
	}
	if (d != NULL)
		closedir(d);
	free(prefix);
}

static struct filetable *
watch_snapshot_load(struct watch_root *r)
{
	struct filetable *t = NULL;
	struct snapshot_meta m;
	struct gerr err;
	struct stat st;
	void *map;
	int fd, rc;

	watch_snapshot_strays(r);
	fd = open(r->snap_path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		snprintf(r->load_msg, sizeof(r->load_msg), "%s",
		    errno == ENOENT ? "no snapshot" : strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size == 0) {
		snprintf(r->load_msg, sizeof(r->load_msg), "snapshot refused: "
		    "empty or not a file");
		close(fd);
		return NULL;
	}
	map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (map == MAP_FAILED) {
		snprintf(r->load_msg, sizeof(r->load_msg), "snapshot refused: "
		    "mmap: %s", strerror(errno));
		return NULL;
	}
	gerr_clear(&err);
	rc = snapshot_decode(map, (size_t)st.st_size, r->path, NULL, &t, &m,
	    &r->load_racy, &err);
	munmap(map, (size_t)st.st_size);
	if (rc == 0 && m.root_id != r->root_id) {
		filetable_free(t);
		t = NULL;
		rc = gerr_set(&err, GERR_INVALID, "snapshot of another root "
		    "(id %08lx)", (unsigned long)m.root_id);
	}
	if (rc != 0) {
		snprintf(r->load_msg, sizeof(r->load_msg), "snapshot refused: "
		    "%.400s", err.msg);
		log_warn("root %s: %s: %s; crawling it in full", r->path,
		    r->snap_path, r->load_msg);
		return NULL;
	}
	/* This run mints its own clocks; the saved runs' stay answerable
	 * up to what the snapshot covers. */
	for (size_t i = 0; i < m.ninst && r->ninst < SNAPSHOT_MAX_INSTANCES;
	    i++)
		r->inst[r->ninst++] = m.inst[i];
	r->saved_clock = filetable_clock(t);
	r->saved_edits = filetable_edits(t);
	r->snap_ignore_digest = m.ignore_digest;
	r->warm = true;
	return t;
}

char *
watch_root_clock(const struct watch_root *r, uint64_t counter, char *buf)
{
	struct clock_token tok = { .instance = r->inst[0].id,
	    .root = r->root_id, .counter = counter };

	return clock_token_format(&tok, buf);
}

bool
watch_root_since(const struct watch_root *r, const struct clock_token *tok,
    uint64_t *since)
{
	if (tok->legacy || tok->root != r->root_id)
		return false;
	if (tok->instance == r->inst[0].id) {
		*since = tok->counter;
		return true;
	}
	for (size_t i = 1; i < r->ninst; i++) {
		if (r->inst[i].id != tok->instance)
			continue;
		if (tok->counter > r->inst[i].max_clock)
			return false;	/* minted after its last save */
		*since = tok->counter;
		return true;
	}
	return false;
}

void
watch_restore(struct watch *w)
{
	char *path, *text, **roots;
	struct gerr err;
	size_t len = 0, n;

	if (w == NULL)
		return;
	path = xasprintf("%s/%s", w->state_dir, WATCH_ROOTS_FILE);
	text = watch_read_file(path, (size_t)64 << 20, &len);
	if (text == NULL) {
		free(path);
		return;
	}
	gerr_clear(&err);
	if (rootsfile_decode(text, len, &roots, &n, &err) != 0)
		log_warn("%s: %s; no root is watched again", path, err.msg);
	free(text);
	free(path);
	for (size_t i = 0; i < n; i++) {
		gerr_clear(&err);
		if (watch_root_add(w, roots[i], NULL, NULL, NULL, &err) != 0)
			log_warn("not watching %s again: %s", roots[i],
			    err.msg);
		else
			log_info("watching %s again", roots[i]);
	}
	rootsfile_free(roots);
	watch_persist(w);	/* drops the roots that are gone */
}

/* rootsync's rules_same: the ignore rules (every ignore file now read)
 * are those r's snapshot was saved under. */
static bool
watch_rules_same(void *arg)
{
	struct watch_root *r = arg;

	return r->snap_ignore_digest != 0 &&
	    ignore_digest(r->ign) == r->snap_ignore_digest;
}

static struct watch_root *
watch_root_new(struct watch *w, const char *canon, struct gerr *err)
{
	struct rootsync_config cfg = { 0 };
	struct watch_root *r;
	int rc;

	r = xcalloc(1, sizeof(*r));
	r->w = w;
	r->path = xstrdup(canon);
	r->pathlen = strlen(canon);
	r->generation = w->next_generation++;
	r->load_start_ms = clock_mono_ms();
	r->root_id = clock_root_id(r->path, r->pathlen);
	r->inst[0].id = w->instance;
	r->ninst = 1;
	r->saved_clock = UINT64_MAX;
	r->snap_path = xasprintf("%s/snap-%016llx.ggs", w->state_dir,
	    (unsigned long long)XXH3_64bits(r->path, r->pathlen));
	ev_timer_init(&r->save_timer, watch_save_cb, 0.0, 0.0);
	r->save_timer.data = r;
	r->ign = ignore_new();
	make_findings_init(&r->findings);
	watch_load_ignore(r, IGNORE_EXCLUDE, "");
	watch_load_ignore(r, IGNORE_GGENIGNORE, "");
	watch_load_ignore(r, IGNORE_GITIGNORE, "");
	cfg.is_ignored = watch_is_ignored;
	cfg.load_ignores = watch_load_dir_ignores;
	cfg.rules_same = watch_rules_same;
	cfg.on_change = watch_events_change;
	cfg.arg = r;
	cfg.pool = w->pool;
	cfg.walk_threads = watch_walk_threads(w);
	cfg.generation = r->generation;
	cfg.table = watch_snapshot_load(r);
	watch_events_root_init(r);
	/* The model's `[watch] ignore` must prune the first crawl. */
	watch_root_load_model(r);
	rc = rootsync_new(canon, &cfg, &r->wr, err);
	if (rc != 0) {
		watch_root_free(r);
		return NULL;
	}
	return r;
}

int
watch_root_add_full(struct watch *w, const char *dir, watch_ready_cb cb,
    watch_progress_cb progress, void *arg, struct watch_root **out,
    struct gerr *err)
{
	char canon[PATH_MAX];
	struct watch_root *r;
	struct stat st;

	if (w == NULL)
		return gerr_set(err, GERR_INTERNAL, "watching is not running");
	if (dir == NULL || dir[0] == '\0')
		return gerr_set(err, GERR_INVALID, "empty directory name");
	if (realpath(dir, canon) == NULL)
		return gerr_set(err, errno == ENOENT ? GERR_NOT_FOUND : GERR_IO,
		    "%s: %s", dir, strerror(errno));
	if (stat(canon, &st) != 0 || !S_ISDIR(st.st_mode))
		return gerr_set(err, GERR_INVALID, "%s: not a directory", dir);
	r = watch_find_canonical(w, canon);
	if (r == NULL && strcmp(canon, "/") == 0)
		return gerr_set(err, GERR_INVALID, "refusing to watch /: it "
		    "holds /proc, /sys and every other tree; watch a project "
		    "directory");
	if (r == NULL && crawl_path_is_pseudo(canon))
		return gerr_set(err, GERR_INVALID, "refusing to watch %s: it "
		    "is on a pseudo filesystem (proc, sys, dev, ...), not "
		    "files on a disk", canon);
	if (r == NULL) {
		for (r = w->roots; r != NULL; r = r->next)
			if (path_is_inside(canon, r->path))
				return gerr_set(err, GERR_INVALID,
				    "%s holds the root %s: unwatch it first",
				    canon, r->path);
		r = watch_root_new(w, canon, err);
		if (r == NULL)
			return err != NULL ? err->code : GERR_IO;
		r->next = w->roots;
		w->roots = r;
		log_info("watching %s", r->path);
		watch_persist(w);
		watch_events_update(w);
	}
	if (out != NULL)
		*out = r;
	if (cb != NULL && r->ready) {
		cb(arg, r, NULL);
	} else if (cb != NULL) {
		if (r->nwaiters == r->capwaiters) {
			r->capwaiters = r->capwaiters ? r->capwaiters * 2 : 4;
			r->waiters = xreallocarray(r->waiters, r->capwaiters,
			    sizeof(*r->waiters));
		}
		r->waiters[r->nwaiters++] = (struct watch_waiter){ .ready = cb,
		    .progress = progress, .arg = arg };
	}
	return 0;
}

int
watch_root_add(struct watch *w, const char *dir, watch_ready_cb cb,
    void *arg, struct watch_root **out, struct gerr *err)
{
	return watch_root_add_full(w, dir, cb, NULL, arg, out, err);
}

void
watch_root_cancel_waits(struct watch_root *r, void *arg)
{
	size_t i = 0;

	while (i < r->nwaiters) {
		if (r->waiters[i].arg == arg)
			r->waiters[i] = r->waiters[--r->nwaiters];
		else
			i++;
	}
}

void
watch_root_remove(struct watch *w, struct watch_root *r)
{
	struct watch_root **pp;
	struct watch_waiter *ws;
	struct gerr err;
	size_t i, n;

	for (pp = &w->roots; *pp != NULL; pp = &(*pp)->next)
		if (*pp == r)
			break;
	if (*pp == NULL)
		return;
	*pp = r->next;
	log_info("not watching %s any more", r->path);
	ws = r->waiters;
	n = r->nwaiters;
	r->waiters = NULL;
	r->nwaiters = 0;
	gerr_clear(&err);
	gerr_set(&err, GERR_ROOT_NOT_FOUND, "root %s was unwatched", r->path);
	for (i = 0; i < n; i++)
		ws[i].ready(ws[i].arg, r, &err);
	free(ws);
	/* Unwatched: a later watch starts from a full crawl, and clocks of
	 * this root's past are fresh then. */
	if (unlink(r->snap_path) != 0 && errno != ENOENT)
		log_warn("unlink %s: %s", r->snap_path, strerror(errno));
	watch_root_free(r);
	watch_persist(w);
	watch_events_update(w);
}

uint64_t
watch_root_id(const struct watch_root *r)
{
	return r->generation;
}

struct watch_root *
watch_root_get(struct watch *w, uint64_t id)
{
	struct watch_root *r;

	if (w == NULL || id == 0)
		return NULL;
	for (r = w->roots; r != NULL; r = r->next)
		if (r->generation == id)
			return r;
	return NULL;
}

const char *
watch_root_path(const struct watch_root *r)
{
	return r->path;
}

bool
watch_root_ready(const struct watch_root *r)
{
	return r->ready;
}

const struct filetable *
watch_root_table(const struct watch_root *r)
{
	return rootsync_table(r->wr);
}

const struct make_project *
watch_root_model(const struct watch_root *r)
{
	return r->model;
}

const struct make_findings *
watch_root_findings(const struct watch_root *r)
{
	return &r->findings;
}

void
watch_set_batch_listener(struct watch *w, watch_batch_fn fn, void *arg)
{
	w->batch_fn = fn;
	w->batch_arg = arg;
}

void
watch_expect_write(struct watch_root *r, const char *relpath,
    const XXH128_hash_t *h, const char *writer)
{
	size_t i;

	for (i = 0; i < r->nexpects; i++) {
		if (strcmp(r->expects[i].path, relpath) == 0) {
			r->expects[i].hash = *h;
			free(r->expects[i].writer);
			r->expects[i].writer = writer != NULL ?
			    xstrdup(writer) : NULL;
			return;
		}
	}
	if (r->nexpects == r->capexpects) {
		r->capexpects = r->capexpects ? r->capexpects * 2 : 8;
		r->expects = xreallocarray(r->expects, r->capexpects,
		    sizeof(*r->expects));
	}
	r->expects[r->nexpects].path = xstrdup(relpath);
	r->expects[r->nexpects].writer = writer != NULL ? xstrdup(writer) :
	    NULL;
	r->expects[r->nexpects++].hash = *h;
}

struct watch_root *
watch_root_next(struct watch *w, struct watch_root *prev)
{
	if (prev != NULL)
		return prev->next;
	return w != NULL ? w->roots : NULL;
}

int
watch_hash_file(struct watch *w, const char *abs, watch_hash_cb cb,
    void *arg, struct gerr *err)
{
	struct watch_hash_job *j;
	int rc;

	if (w == NULL)
		return gerr_set(err, GERR_INTERNAL, "watching is not running");
	rc = hashpool_submit(w->pool, abs, WATCH_GEN_ON_DEMAND,
	    w->next_cookie + 1, err);
	if (rc != 0)
		return rc;
	j = xcalloc(1, sizeof(*j));
	j->cookie = ++w->next_cookie;
	j->cb = cb;
	j->arg = arg;
	j->next = w->jobs;
	w->jobs = j;
	return 0;
}

void
watch_hash_cancel(struct watch *w, void *arg)
{
	struct watch_hash_job **pp, *j;

	if (w == NULL)
		return;
	for (pp = &w->jobs; *pp != NULL;) {
		j = *pp;
		if (j->arg == arg) {
			*pp = j->next;
			/* Nobody waits: stop the worker too (a huge or endless
			 * file must not hold it). */
			hashpool_cancel_job(w->pool, WATCH_GEN_ON_DEMAND,
			    j->cookie);
			free(j);
		} else
			pp = &j->next;
	}
}

int
watch_root_lookup(struct watch *w, const char *path, struct watch_root **out,
    char **canon, struct gerr *err)
{
	char buf[PATH_MAX];

	*out = NULL;
	*canon = NULL;
	if (realpath(path, buf) == NULL)
		return gerr_set(err, errno == ENOENT ? GERR_NOT_FOUND : GERR_IO,
		    "%s: %s", path, strerror(errno));
	*out = watch_find_canonical(w, buf);
	if (*out == NULL)
		return gerr_set(err, GERR_ROOT_NOT_FOUND,
		    "%s is not inside a watched root", buf);
	*canon = xstrdup(buf);
	return 0;
}

const struct gerr *
watch_root_model_error(const struct watch_root *r)
{
	return &r->model_err;
}

void
watch_root_info(const struct watch_root *r, struct watch_root_info *out)
{
	struct notifier_status ns;
	struct rootsync_status st;

	memset(out, 0, sizeof(*out));
	notifier_status(&ns);
	rootsync_status(r->wr, &st);
	out->path = r->path;
	out->ready = r->ready && !st.gone;
	out->gone = st.gone;
	out->fs = st.fs;
	out->polled = st.remote;
	out->files = st.files;
	out->dirs = st.dirs;
	out->watched_dirs = st.watched_dirs;
	out->polled_dirs = st.polled_dirs;
	out->watches_used = ns.used;
	out->watches_limit = ns.limit;
	out->watches_cap = ns.cap;
	out->watch_limit_msg = st.watch_limit_msg;
	out->overflows = st.overflows;
	out->rescans = r->rescans;
	out->hash_pending = st.hash_pending;
	out->hash_errors = st.hash_errors;
	out->bytes_hashed = st.bytes_hashed;
	out->files_hashed = st.files_hashed;
	out->window_ms = debounce_window_ms(&r->deb);
	out->window_min_ms = r->win_min_ms;
	out->window_max_ms = r->win_max_ms;
	out->batches = r->batches;
	out->last_settle_ms = r->last_settle_ms;
	out->clock = st.clock;
	out->warm = r->warm;
	out->load_msg = r->load_msg;
	out->load_done = r->ready;
	out->load_ms = r->load_ready_ms;
	out->load_walk_ms = r->load_walk_ms;
	out->load_rehashed = r->ready ? r->load_hashed : st.files_hashed;
	out->load_racy = r->load_racy;
	out->load_gone = st.swept;
	out->load_dirs_read = st.dirs_read;
	out->load_dirs_known = st.dirs_known;
	out->snapshot = r->snap_path;
	out->snapshot_saved = watch_snapshot_current(r);
	out->model_state = r->model_rc == 0 ? WATCH_MODEL_OK :
	    watch_model_absent(r) ? WATCH_MODEL_ABSENT : WATCH_MODEL_INVALID;
	out->model_ok = r->model != NULL && r->model_rc == 0;
	out->model_kept = r->model != NULL && r->model_rc != 0;
	out->models_parsed = r->models_parsed;
	out->model_err = &r->model_err;
	out->findings = &r->findings;
}
