/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * rootsync.c - keeps one root's file table in sync with the disk.
 *
 * Owns: the root's filetable, its current crawl and the queue of directories
 * still to crawl, the backlog of files waiting for room in the hash pool,
 * the moved_from events waiting for their moved_to, the scratch paths.
 * Borrows: the hash pool (jobs tagged with cfg.generation) and the
 * process-wide notifier (watches added and removed for this root's dirs).
 * Called by: the daemon's loop callbacks (see rootsync.h), loop thread only.
 *
 * Invariants:
 * - A directory is watched before it is listed (crawl reports it first), so
 *   files created in between are seen by the listing or by an event.
 * - A directory has a watch (wd >= 0), is polled (FILETABLE_WD_POLLED: out
 *   of watches, or a remote fs) or is waiting for its crawl.
 * - Changes reach on_change once: every mutation batch ends with
 *   rootsync_emit, which reports what the table stamped since the last
 *   emit (filetable_changes_since, O(changes)). The initial crawl is not
 *   reported: a fresh root has no "changes".
 * - Whatever leaves the tree (moved out, deleted, forgotten) loses its
 *   watches here, so the notifier's used count stays true.
 * Never: block on hashing (the pool does it), follow symlinks, crawl
 * anything is_ignored rejects.
 */
#include "rootsync.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "log.h"
#include "notifier.h"
#include "poller.h"
#include "strbuf.h"
#include "strvec.h"
#include "xmalloc.h"

/* A file at most this big, changed after the first crawl, is hashed on
 * the loop as its event is handled (hashpool_hash_small): ~10 us, where
 * the pool's round trip costs two thread wake-ups. Bigger ones, and every
 * file of a crawl, go to the pool. */
#define ROOTSYNC_INLINE_HASH_BYTES (64 * 1024)

/* A directory is marked complete after its listing only when its mtime is
 * older than this: an entry made later in the same timestamp granule
 * (coarse clocks, 1 s or 2 s filesystems) leaves the mtime as it was. */
#define ROOTSYNC_COMPLETE_AGE_NS ((int64_t)2000000000)

/* A pipelined warm walk's crawl_step handles this many times the
 * caller's max_entries: several pool runs per step, each overlapping the
 * reports of the previous one (~30 ms of loop time per step). */
#define ROOTSYNC_PIPELINE_STEPS 16

struct rootsync_move {
	uint32_t cookie;
	char *path;
};

struct rootsync {
	char *root;
	struct rootsync_config cfg;
	struct filetable *t;
	enum crawl_fs_kind fs;
	bool remote;
	bool gone;		/* the root directory itself was deleted or
				 * moved: nothing under it is watched now */
	bool initial;		/* the first crawl of "" is running (warm: or
				 * its re-hashes): nothing is reported */
	bool warm;		/* the table was restored (cfg.table) */
	size_t swept;
	/* The directory the crawl reported last (the one it handles now). */
	uint32_t dir_id;
	enum filetable_upsert_result dir_result;
	size_t dirs_known, dirs_walked;
	/* Warm walk: directories with ignored names taken from their lists
	 * (rules_same checked at its end), and the re-read that follows
	 * when the rules changed. */
	size_t dirs_known_ignored;
	bool reread;
	bool pipelined;		/* the crawl's pool watches (cfg.watch) */
	struct crawl *crawl;
	struct strvec starts;		/* dirs to crawl (LIFO) */
	/* Files to hash, NUL-terminated end to end (FIFO from byte
	 * backlog_head): one buffer, not one allocation per path, so a crawl
	 * of 100k files leaves no heap fragments behind once it drains. */
	struct strbuf backlog;
	size_t backlog_head;
	size_t backlog_n;		/* paths from backlog_head on */
	struct rootsync_move *moves;
	size_t nmoves, capmoves;
	uint64_t emitted;	/* clock already reported */
	bool emit_fresh;	/* this emit lost its base (see rootsync_emit) */
	uint64_t overflows;
	char limit_msg[GERR_MSG_MAX];
	uint64_t files_hashed, bytes_hashed;
	char *inline_buf;	/* ROOTSYNC_INLINE_HASH_BYTES, made on first use */
	struct strbuf abs;	/* scratch: root + "/" + rel */
	struct strbuf rel;	/* scratch: dir + "/" + name */
};

static const char *
rootsync_abs(struct rootsync *w, const char *rel)
{
	strbuf_reset(&w->abs);
	strbuf_addstr(&w->abs, w->root);
	if (rel[0] != '\0') {
		strbuf_addch(&w->abs, '/');
		strbuf_addstr(&w->abs, rel);
	}
	return w->abs.buf;
}

static void
rootsync_emit_one(void *arg, const struct filetable_entry *e,
    enum filetable_change change)
{
	struct rootsync *w = arg;

	if (!w->emit_fresh)
		w->cfg.on_change(w->cfg.arg, e, change);
}

/* Report what the table stamped since the last report. */
static void
rootsync_emit(struct rootsync *w)
{
	uint64_t now = filetable_clock(w->t);

	if (now == w->emitted)
		return;
	/* One batch removing more than max_tombstones trims the tombstones
	 * this emit needs: the removals cannot be listed any more, and a
	 * "fresh" list is no change list. Say so instead of guessing. */
	if (!w->initial && w->cfg.on_change != NULL) {
		filetable_changes_since(w->t, w->emitted, rootsync_emit_one, w,
		    &w->emit_fresh);
		if (w->emit_fresh)
			log_warn("root %s: too many removals at once to list "
			    "them (over the tombstone cap)", w->root);
	}
	w->emitted = now;
}

/*
 * The first walk is over (and, for a restored table, every re-hash it
 * asked for is in): from now on changes are reported. What the warm walk
 * found stays stamped in the table for changes_since, but is no batch: a
 * restart runs nothing by itself, as a first crawl does not.
 */
static void
rootsync_initial_done(struct rootsync *w)
{
	struct filetable_counts n;

	if (!w->initial || w->crawl != NULL || w->starts.n > 0)
		return;
	if (w->warm) {
		filetable_counts(w->t, &n);
		if (n.hash_pending > 0 || w->backlog_n > 0)
			return;
	}
	w->initial = false;
	w->emitted = filetable_clock(w->t);
}

static void
rootsync_pump(struct rootsync *w)
{
	struct strbuf *b = &w->backlog;

	while (w->backlog_n > 0 && hashpool_room(w->cfg.pool) > 0) {
		const char *rel = b->buf + w->backlog_head;

		if (hashpool_submit(w->cfg.pool, rootsync_abs(w, rel),
		    w->cfg.generation, 0, NULL) != 0)
			fatal("rootsync: pool refused a job it had room for");
		w->backlog_head += strlen(rel) + 1;
		w->backlog_n--;
	}
	if (w->backlog_n == 0 && b->cap > 0) {
		/* Give the crawl's buffer back rather than keep it for the
		 * next event's single path. */
		strbuf_release(b);
		strbuf_init(b);
		w->backlog_head = 0;
	}
}

static void
rootsync_hash(struct rootsync *w, const char *rel)
{
	strbuf_add(&w->backlog, rel, strlen(rel) + 1);
	w->backlog_n++;
	rootsync_pump(w);
}

/* rel changed (an event): hash it now when it is small and the first
 * crawl is over, else on the pool. */
static void
rootsync_hash_event(struct rootsync *w, const char *rel,
    const struct stat *st)
{
	struct filetable_stat fst;
	XXH128_hash_t h;
	int rc;

	if (w->initial || w->remote || !S_ISREG(st->st_mode) ||
	    st->st_size >= ROOTSYNC_INLINE_HASH_BYTES) {
		rootsync_hash(w, rel);
		return;
	}
	if (w->inline_buf == NULL)
		w->inline_buf = xmalloc(ROOTSYNC_INLINE_HASH_BYTES);
	rc = hashpool_hash_small(rootsync_abs(w, rel), w->inline_buf,
	    ROOTSYNC_INLINE_HASH_BYTES, &fst, &h);
	if (rc == 0) {
		w->files_hashed++;
		w->bytes_hashed += (uint64_t)fst.size;
		filetable_set_hash(w->t, rel, &fst, h);
	} else if (rc == EFBIG || rc == ELOOP) {
		rootsync_hash(w, rel);
	} else {
		/* Vanished or unreadable: as a pool error would be; a
		 * vanished file's event follows. */
		filetable_set_hash_error(w->t, rel);
	}
}

/* Give directory rel (entry id) its watch, or mark it polled. */
static void
rootsync_watch(struct rootsync *w, const char *rel, uint32_t id)
{
	struct gerr err;
	int32_t wd;
	int rc;

	if (w->remote || w->cfg.force_poll) {
		filetable_set_wd_id(w->t, id, FILETABLE_WD_POLLED);
		return;
	}
	gerr_clear(&err);
	rc = notifier_add_watch(rootsync_abs(w, rel), &wd, &err);
	if (rc == 0) {
		filetable_set_wd_id(w->t, id, wd);
	} else if (rc == GERR_LIMIT) {
		if (w->limit_msg[0] == '\0')
			log_warn("%s", err.msg);
		memcpy(w->limit_msg, err.msg, sizeof(w->limit_msg));
		filetable_set_wd_id(w->t, id, FILETABLE_WD_POLLED);
	}
	/* GERR_IO: gone already; its parent's event removes it. */
}

/* Directory rel (entry id) was watched by the crawl's pool: record the
 * outcome as rootsync_watch would. */
static void
rootsync_adopt(struct rootsync *w, const char *rel, uint32_t id, int32_t wd,
    int error)
{
	struct gerr err;
	int32_t got;
	int rc;

	gerr_clear(&err);
	rc = notifier_adopt_watch(rootsync_abs(w, rel), wd, error, &got, &err);
	if (rc == 0) {
		filetable_set_wd_id(w->t, id, got);
	} else if (rc == GERR_LIMIT) {
		if (w->limit_msg[0] == '\0')
			log_warn("%s", err.msg);
		memcpy(w->limit_msg, err.msg, sizeof(w->limit_msg));
		filetable_set_wd_id(w->t, id, FILETABLE_WD_POLLED);
	}
	/* GERR_IO: gone already; its parent's event removes it. */
}

/* crawl_watch_cb, on the crawl's pool threads: nothing of w but its
 * (constant) root is read. */
static int
rootsync_pool_watch(void *arg, const char *rel, int32_t *wd)
{
	const struct rootsync *w = arg;
	char path[PATH_MAX];
	int n, got;

	n = rel[0] != '\0' ? snprintf(path, sizeof(path), "%s/%s", w->root,
	    rel) : snprintf(path, sizeof(path), "%s", w->root);
	if (n < 0 || (size_t)n >= sizeof(path))
		return ENAMETOOLONG;
	got = inotify_add_watch(notifier_fd(), path, NOTIFIER_MASK);
	if (got < 0)
		return errno;
	*wd = got;
	return 0;
}

struct rootsync_wds {
	const char *prefix;
	size_t len;
	int32_t *wds;
	size_t n, cap;
};

static void
rootsync_collect_wds(void *arg, const struct filetable_entry *e)
{
	struct rootsync_wds *c = arg;

	if (e->kind != FILETABLE_DIR || e->wd < 0 ||
	    !filetable_path_within(e->path, c->prefix, c->len))
		return;
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 16;
		c->wds = xreallocarray(c->wds, c->cap, sizeof(*c->wds));
	}
	c->wds[c->n++] = e->wd;
}

/* rel left the tree: drop its watches (a directory's whole subtree). */
static void
rootsync_forget(struct rootsync *w, const char *rel)
{
	const struct filetable_entry *e = filetable_lookup(w->t, rel);
	struct rootsync_wds c = { .prefix = rel, .len = strlen(rel) };

	if (e == NULL)
		return;
	if (e->kind != FILETABLE_DIR) {
		filetable_remove(w->t, rel);
		return;
	}
	/* O(table): only for directories leaving, not per file event. */
	filetable_foreach(w->t, rootsync_collect_wds, &c);
	for (size_t i = 0; i < c.n; i++)
		notifier_remove_watch(c.wds[i]);
	free(c.wds);
	filetable_remove_subtree(w->t, rel);
}

static void
rootsync_queue_crawl(struct rootsync *w, const char *rel)
{
	strvec_push(&w->starts, rel);
}

/* rel (not a directory we know) may have appeared, changed or gone. */
static void
rootsync_restat(struct rootsync *w, const char *rel)
{
	struct filetable_stat fst;
	enum filetable_upsert_result r;
	struct stat st;

	if (lstat(rootsync_abs(w, rel), &st) != 0) {
		rootsync_forget(w, rel);
		return;
	}
	if (S_ISDIR(st.st_mode)) {
		if (filetable_lookup(w->t, rel) == NULL ||
		    filetable_lookup(w->t, rel)->kind != FILETABLE_DIR) {
			rootsync_forget(w, rel);
			rootsync_queue_crawl(w, rel);
		} else {
			filetable_stat_from(&fst, &st);
			filetable_upsert(w->t, rel, FILETABLE_DIR, &fst);
		}
		return;
	}
	if (!S_ISREG(st.st_mode) && !S_ISLNK(st.st_mode)) {
		rootsync_forget(w, rel);
		return;
	}
	filetable_stat_from(&fst, &st);
	r = filetable_upsert(w->t, rel, FILETABLE_FILE, &fst);
	if (r != FILETABLE_UNCHANGED)
		rootsync_hash_event(w, rel, &st);
}

/*
 * rel, a file the table knows, was written and closed (IN_CLOSE_WRITE):
 * open it, fstat the open file and hash it, the fstat standing in for
 * restat's lstat (one syscall less per save: issue 15). False when that
 * does not apply (first crawl, remote, unknown or not a file, a symlink:
 * ELOOP, too big, gone, not regular): restat it instead.
 */
static bool
rootsync_written(struct rootsync *w, const char *rel)
{
	const struct filetable_entry *e;
	struct filetable_stat fst;
	XXH128_hash_t h;

	if (w->initial || w->remote)
		return false;
	e = filetable_lookup(w->t, rel);
	if (e == NULL || e->kind != FILETABLE_FILE)
		return false;
	if (w->inline_buf == NULL)
		w->inline_buf = xmalloc(ROOTSYNC_INLINE_HASH_BYTES);
	if (hashpool_hash_small(rootsync_abs(w, rel), w->inline_buf,
	    ROOTSYNC_INLINE_HASH_BYTES, &fst, &h) != 0)
		return false;
	if (filetable_upsert(w->t, rel, FILETABLE_FILE, &fst) !=
	    FILETABLE_UNCHANGED) {
		w->files_hashed++;
		w->bytes_hashed += (uint64_t)fst.size;
		filetable_set_hash(w->t, rel, &fst, h);
	}
	return true;
}

_Static_assert((int)CRAWL_FILE == (int)FILETABLE_FILE &&
    (int)CRAWL_DIR == (int)FILETABLE_DIR, "crawl kinds are table kinds");

static void
rootsync_crawl_entry(void *arg, const char *rel, enum crawl_kind ckind,
    const struct stat *st)
{
	enum filetable_kind kind = (enum filetable_kind)ckind;
	struct rootsync *w = arg;
	struct filetable_stat fst;
	enum filetable_upsert_result r;
	uint32_t id;
	int32_t wd;
	int werr;

	filetable_stat_from(&fst, st);
	/* A name from a known list comes with its id: no path lookup. */
	r = filetable_upsert_hint(w->t, rel, crawl_hint(w->crawl), kind, &fst,
	    &id);
	if (kind == FILETABLE_DIR) {
		w->dir_id = id;
		w->dir_result = r;
		/* before it is listed (the pool's watch: already) */
		if (crawl_dir_watch(w->crawl, &wd, &werr))
			rootsync_adopt(w, rel, id, wd, werr);
		else
			rootsync_watch(w, rel, id);
	} else if (r != FILETABLE_UNCHANGED) {
		rootsync_hash(w, rel);
	}
}

/* The base name of child path kid of directory rel (rlen bytes), or NULL
 * when kid is not directly in it. */
static const char *
rootsync_kid_name(const char *rel, size_t rlen, const char *kid)
{
	const char *name = kid;

	if (rlen > 0) {
		if (strncmp(kid, rel, rlen) != 0 || kid[rlen] != '/')
			return NULL;
		name = kid + rlen + 1;
	}
	return name[0] != '\0' && strchr(name, '/') == NULL ? name : NULL;
}

/*
 * The crawl entered directory rel (reported just now by
 * rootsync_crawl_entry). In the warm walk, a restored directory whose stat
 * did not change and whose last listing was complete is not read: its
 * children from the snapshot are stat'ed instead. Safe because adding,
 * removing or renaming an entry changes the directory's mtime (the
 * snapshot drops "complete" when that mtime was racy), and every entry
 * still gets its stat: a file changed in place is found as always.
 */
static bool
rootsync_known(void *arg, struct crawl *c, const char *rel,
    const struct stat *st)
{
	struct rootsync *w = arg;
	const struct filetable_entry *d, *k;
	struct filetable_stat now;
	const uint32_t *kids;
	size_t n, rlen = strlen(rel);
	unsigned ign = 0;
	bool skip;

	if (!w->initial || !w->warm || w->dir_result == FILETABLE_ADDED)
		return false;
	d = filetable_entry_id(w->t, w->dir_id);
	n = filetable_known_children(w->t, w->dir_id, &kids);
	/* st is from after the watch: an entry made before it changed the
	 * mtime (an old one: complete dirs are), one made after has its
	 * event. */
	filetable_stat_from(&now, st);
	skip = d != NULL && w->dir_result == FILETABLE_UNCHANGED &&
	    (d->flags & FILETABLE_F_COMPLETE) &&
	    (!(d->flags & FILETABLE_F_IGNORED) ||
	    w->cfg.rules_same != NULL) &&
	    filetable_children_kept(w->t) && now.ino == d->st.ino &&
	    now.dev == d->st.dev && now.size == d->st.size &&
	    now.mtime_ns == d->st.mtime_ns && now.ctime_ns == d->st.ctime_ns;
	for (size_t i = 0; skip && i < n; i++) {
		const char *name;

		k = filetable_entry_id(w->t, kids[i]);
		name = k != NULL ? rootsync_kid_name(rel, rlen, k->path) : NULL;
		if (name == NULL) {
			skip = false;	/* lists out of date: read it */
			break;
		}
		if (strcmp(name, ".ggenignore") == 0)
			ign |= ROOTSYNC_IGN_GGENIGNORE;
		else if (strcmp(name, ".gitignore") == 0)
			ign |= ROOTSYNC_IGN_GITIGNORE;
		crawl_known_add(c, name, kids[i]);
	}
	if (!skip)
		ign = ROOTSYNC_IGN_GGENIGNORE | ROOTSYNC_IGN_GITIGNORE;
	/* A restored directory's ignore files are read before its entries
	 * are asked about (a new one's were, as it was discovered); one
	 * not read has none but those its complete list names. */
	if (rlen > 0 && ign != 0 && w->cfg.load_ignores != NULL)
		w->cfg.load_ignores(w->cfg.arg, rel, ign);
	if (skip) {
		w->dirs_known++;
		if (d->flags & FILETABLE_F_IGNORED)
			w->dirs_known_ignored++;
	}
	return skip;
}

static void
rootsync_dir_done(void *arg, const char *rel, bool complete)
{
	struct rootsync *w = arg;
	uint32_t id = crawl_hint(w->crawl);
	const struct filetable_entry *d = filetable_entry_id(w->t, id);
	struct timespec now;
	bool ignored;

	w->dirs_walked++;
	if (d == NULL || strcmp(d->path, rel) != 0) {
		id = filetable_lookup_id(w->t, rel);
		d = filetable_entry_id(w->t, id);
	}
	if (d == NULL)
		return;
	/* Walked from its list, its ignored names were not seen: they are
	 * still there (its stat is unchanged). */
	ignored = crawl_dir_ignored(w->crawl) || (crawl_dir_listed(w->crawl) &&
	    (d->flags & FILETABLE_F_IGNORED));
	clock_gettime(CLOCK_REALTIME, &now);
	if (complete && d->st.mtime_ns >= (int64_t)now.tv_sec * 1000000000 +
	    now.tv_nsec - ROOTSYNC_COMPLETE_AGE_NS)
		complete = false;
	filetable_set_complete(w->t, id, complete);
	filetable_set_ignored(w->t, id, ignored);
}

static bool
rootsync_ignored(void *arg, const char *rel, bool is_dir)
{
	struct rootsync *w = arg;

	return w->cfg.is_ignored != NULL &&
	    w->cfg.is_ignored(w->cfg.arg, rel, is_dir);
}

int
rootsync_new(const char *root, const struct rootsync_config *cfg,
    struct rootsync **out, struct gerr *err)
{
	struct filetable_config tcfg = { .max_tombstones =
	    cfg->max_tombstones ? cfg->max_tombstones :
	    FILETABLE_DEFAULT_MAX_TOMBSTONES };
	enum crawl_fs_kind fs;
	struct rootsync *w;
	size_t len = strlen(root);
	int rc;

	rc = crawl_fs_kind(root, &fs, err);
	if (rc != 0) {
		filetable_free(cfg->table);
		return rc;
	}
	w = xcalloc(1, sizeof(*w));
	while (len > 1 && root[len - 1] == '/')
		len--;
	w->root = xstrndup(root, len);
	w->cfg = *cfg;
	w->cfg.table = NULL;
	w->warm = cfg->table != NULL;
	w->t = cfg->table != NULL ? cfg->table : filetable_new(&tcfg);
	w->fs = fs;
	w->remote = fs != CRAWL_FS_LOCAL;
	w->initial = true;
	strbuf_init(&w->abs);
	strbuf_init(&w->rel);
	strbuf_init(&w->backlog);
	rootsync_queue_crawl(w, "");
	if (w->remote)
		log_info("root %s is on %s: polled, not watched", w->root,
		    crawl_fs_kind_name(fs));
	*out = w;
	return 0;
}

void
rootsync_free(struct rootsync *w)
{
	struct rootsync_wds c = { .prefix = "" };

	if (w == NULL)
		return;
	filetable_foreach(w->t, rootsync_collect_wds, &c);
	for (size_t i = 0; i < c.n; i++)
		notifier_remove_watch(c.wds[i]);
	free(c.wds);
	hashpool_cancel(w->cfg.pool, w->cfg.generation);
	crawl_free(w->crawl);
	strvec_release(&w->starts);
	strbuf_release(&w->backlog);
	for (size_t i = 0; i < w->nmoves; i++)
		free(w->moves[i].path);
	free(w->moves);
	filetable_free(w->t);
	strbuf_release(&w->abs);
	strbuf_release(&w->rel);
	free(w->inline_buf);
	free(w->root);
	free(w);
}

bool
rootsync_busy(const struct rootsync *w)
{
	return w->crawl != NULL || w->starts.n > 0;
}

bool
rootsync_step(struct rootsync *w, size_t max_entries)
{
	struct crawl_config cfg = { .is_ignored = rootsync_ignored,
		.on_entry = rootsync_crawl_entry,
		.on_dir_done = rootsync_dir_done, .arg = w };

	/* The warm walk takes names from the saved lists, and stats them on
	 * a pool: CPU on a warm page cache, queue depth on a cold one. */
	struct gerr err;

	if (w->initial && w->warm && !w->reread) {
		cfg.known = rootsync_known;
		if (filetable_children_kept(w->t))
			cfg.threads = w->cfg.walk_threads;
	}
	/* The pool watches the directories too (and the step is longer, so
	 * that its runs overlap the loop's reports: see crawl_pipeline),
	 * unless a test cap on watches is set (checked before each call on
	 * the loop thread) or the root is polled. */
	if (cfg.threads > 1 && !w->remote && !w->cfg.force_poll &&
	    w->crawl == NULL && w->starts.n > 0) {
		struct notifier_status ns;

		notifier_status(&ns);
		if (ns.cap == 0 && notifier_fd() >= 0)
			cfg.watch = rootsync_pool_watch;
	}

	if (w->crawl == NULL && w->starts.n > 0) {
		char *start = strvec_pop(&w->starts);

		gerr_clear(&err);
		if (crawl_new(w->root, start, &cfg, &w->crawl, &err) != 0) {
			log_warn("root %s: %s", w->root, err.msg);
			w->crawl = NULL;
		}
		w->pipelined = w->crawl != NULL && cfg.watch != NULL;
		free(start);
	}
	if (w->crawl != NULL && crawl_step(w->crawl, w->pipelined ?
	    max_entries * ROOTSYNC_PIPELINE_STEPS : max_entries) ==
	    CRAWL_DONE) {
		crawl_free(w->crawl);
		w->crawl = NULL;
		if (w->starts.n == 0 && w->initial && w->warm &&
		    w->dirs_known_ignored > 0 && !w->reread &&
		    !w->cfg.rules_same(w->cfg.arg)) {
			/* A name ignored when the table was saved may not be
			 * now, in a directory taken from its list: read them
			 * all (their entries compare as unchanged). */
			log_info("root %s: ignore rules changed while the "
			    "daemon was down; reading every directory again",
			    w->root);
			w->reread = true;
			strvec_push(&w->starts, "");
		} else if (w->starts.n == 0 && w->initial && w->warm) {
			w->swept = filetable_sweep_unseen(w->t);
			filetable_drop_children(w->t);
		}
		rootsync_initial_done(w);
	}
	rootsync_emit(w);
	return rootsync_busy(w);
}

bool
rootsync_owns_wd(const struct rootsync *w, int32_t wd)
{
	return filetable_lookup_wd(w->t, wd) != NULL;
}

static void
rootsync_moved_to(struct rootsync *w, uint32_t cookie, const char *rel)
{
	for (size_t i = 0; i < w->nmoves; i++) {
		if (w->moves[i].cookie != cookie)
			continue;
		/* Renamed inside the root: the old name is gone. */
		rootsync_forget(w, w->moves[i].path);
		free(w->moves[i].path);
		w->moves[i] = w->moves[--w->nmoves];
		break;
	}
	rootsync_restat(w, rel);
}

void
rootsync_event(struct rootsync *w, int32_t wd, uint32_t mask,
    uint32_t cookie, const char *name)
{
	const struct filetable_entry *dir = filetable_lookup_wd(w->t, wd);
	const char *rel;

	if (dir == NULL)
		return;		/* a watch we already forgot */
	strbuf_reset(&w->rel);
	strbuf_addstr(&w->rel, dir->path);
	if (mask & IN_IGNORED) {
		filetable_set_wd(w->t, w->rel.buf, FILETABLE_WD_NONE);
		return;
	}
	if (mask & (IN_DELETE_SELF | IN_MOVE_SELF)) {
		/* Inside the root the parent's event says it all. */
		if (w->rel.len == 0) {
			log_warn("root %s was %s", w->root,
			    (mask & IN_MOVE_SELF) ? "moved" : "deleted");
			w->gone = true;
			rootsync_forget(w, "");
		}
		rootsync_emit(w);
		return;
	}
	if (name[0] == '\0') {
		rootsync_restat(w, w->rel.buf);	/* attrib on the dir */
		rootsync_emit(w);
		return;
	}
	if (w->rel.len > 0)
		strbuf_addch(&w->rel, '/');
	strbuf_addstr(&w->rel, name);
	rel = w->rel.buf;
	if (rootsync_ignored(w, rel, (mask & IN_ISDIR) != 0))
		return;
	if (mask & IN_MOVED_FROM) {
		if (w->nmoves == w->capmoves) {
			w->capmoves = w->capmoves ? w->capmoves * 2 : 8;
			w->moves = xreallocarray(w->moves, w->capmoves,
			    sizeof(*w->moves));
		}
		w->moves[w->nmoves].cookie = cookie;
		w->moves[w->nmoves++].path = xstrdup(rel);
		return;
	}
	if (mask & IN_MOVED_TO)
		rootsync_moved_to(w, cookie, rel);
	else if (mask & IN_DELETE)
		rootsync_forget(w, rel);
	else if (!(mask & IN_CLOSE_WRITE) || !rootsync_written(w, rel))
		rootsync_restat(w, rel);	/* create, close_write, attrib */
	rootsync_emit(w);
}

void
rootsync_flush_moves(struct rootsync *w)
{
	/* moved_to comes right after its moved_from, in the same read: one
	 * left over at the end of a drain went out of the root. */
	for (size_t i = 0; i < w->nmoves; i++) {
		rootsync_forget(w, w->moves[i].path);
		free(w->moves[i].path);
	}
	w->nmoves = 0;
	rootsync_emit(w);
}

static void
rootsync_polled_change(void *arg, const char *rel, enum filetable_kind kind,
    enum poller_change change)
{
	struct rootsync *w = arg;
	const struct filetable_entry *parent;
	const char *slash;

	if (kind == FILETABLE_FILE && change != POLLER_REMOVED) {
		rootsync_hash(w, rel);
		return;
	}
	if (kind != FILETABLE_DIR || change != POLLER_ADDED)
		return;
	/* After an overflow: the top of a new subtree gets crawled (watch,
	 * then list); dirs below it are covered by that crawl. */
	slash = strrchr(rel, '/');
	strbuf_reset(&w->rel);
	strbuf_add(&w->rel, rel, slash != NULL ? (size_t)(slash - rel) : 0);
	parent = filetable_lookup(w->t, w->rel.buf);
	if (parent != NULL && parent->wd >= 0)
		rootsync_queue_crawl(w, rel);
}

void
rootsync_overflow(struct rootsync *w)
{
	w->overflows++;
	log_warn("root %s: inotify queue overflowed; rescanning", w->root);
	rootsync_rescan(w);
}

struct rootsync_ignored_dirs {
	struct rootsync *w;
	struct strvec dirs;
};

static void
rootsync_collect_ignored(void *arg, const struct filetable_entry *e)
{
	struct rootsync_ignored_dirs *c = arg;

	if (e->kind == FILETABLE_DIR && e->path[0] != '\0' &&
	    rootsync_ignored(c->w, e->path, true))
		strvec_push(&c->dirs, e->path);
}

void
rootsync_rescan(struct rootsync *w)
{
	struct rootsync_ignored_dirs c = { .w = w, .dirs = STRVEC_INIT };
	struct poller_result res;
	struct gerr err;

	/* The rules changed, or events were lost: no directory's list is
	 * known complete until it is read again. */
	filetable_clear_complete(w->t);
	/* Directories the rules now reject leave with their watches; the
	 * poller alone would drop their entries but keep the watches (it
	 * never touches them). Collected first: forgetting edits the table.
	 * A subtree forgotten with its top is skipped (lookup fails). */
	filetable_foreach(w->t, rootsync_collect_ignored, &c);
	for (size_t i = 0; i < c.dirs.n; i++)
		rootsync_forget(w, c.dirs.v[i]);
	strvec_release(&c.dirs);
	gerr_clear(&err);
	if (poller_scan(w->root, w->t, rootsync_ignored,
	    rootsync_polled_change, w, POLLER_ALL, &res, &err) != 0)
		log_warn("root %s: rescan: %s", w->root, err.msg);
	rootsync_emit(w);
}

static void
rootsync_collect_polled(void *arg, const struct filetable_entry *e)
{
	if (e->kind == FILETABLE_DIR && e->wd == FILETABLE_WD_POLLED)
		strvec_push(arg, e->path);
}

void
rootsync_poll(struct rootsync *w)
{
	struct strvec p = STRVEC_INIT;
	struct poller_result res;
	struct gerr err;
	bool room = true;

	gerr_clear(&err);
	if (poller_scan(w->root, w->t, rootsync_ignored,
	    rootsync_polled_change, w, 0, &res, &err) != 0)
		log_warn("root %s: poll: %s", w->root, err.msg);
	if (!w->remote && !w->cfg.force_poll)
		filetable_foreach(w->t, rootsync_collect_polled, &p);
	for (size_t i = 0; i < p.n; i++) {
		int32_t wd;

		/* Watches freed up: take polled dirs back, stop at the
		 * first refusal. Changes in the instant since the scan
		 * above are left to the next event or overflow rescan. */
		if (room && notifier_add_watch(rootsync_abs(w, p.v[i]), &wd,
		    NULL) == 0)
			filetable_set_wd(w->t, p.v[i], wd);
		else
			room = false;
	}
	if (p.n > 0 && room) {
		log_info("root %s: watching again (%zu directories were "
		    "polled)", w->root, p.n);
		w->limit_msg[0] = '\0';
	}
	strvec_release(&p);
	rootsync_emit(w);
}

void
rootsync_hash_result(struct rootsync *w, const struct hashpool_result *r)
{
	size_t len = strlen(w->root);

	if (r->generation != w->cfg.generation)
		return;
	/* An error (vanished, unreadable) is recorded until the file's next
	 * stat change; a vanished file's event follows anyway. */
	if (strncmp(r->path, w->root, len) == 0 && r->path[len] == '/') {
		if (r->error == 0) {
			w->files_hashed++;
			w->bytes_hashed += (uint64_t)r->st.size;
			filetable_set_hash(w->t, r->path + len + 1, &r->st,
			    r->hash);
		}
		else if (r->error != ECANCELED)
			filetable_set_hash_error(w->t, r->path + len + 1);
	}
	rootsync_pump(w);
	rootsync_initial_done(w);
	rootsync_emit(w);
}

const struct filetable *
rootsync_table(const struct rootsync *w)
{
	return w->t;
}

void
rootsync_status(const struct rootsync *w, struct rootsync_status *out)
{
	struct filetable_counts n;

	memset(out, 0, sizeof(*out));
	filetable_counts(w->t, &n);
	out->files = n.files;
	out->dirs = n.dirs;
	out->hash_pending = n.hash_pending;
	out->hash_errors = n.hash_errors;
	out->watched_dirs = n.watched_dirs;
	out->polled_dirs = n.polled_dirs;
	out->gone = w->gone;
	out->hash_backlog = w->backlog_n;
	out->crawling = rootsync_busy(w);
	out->remote = w->remote;
	out->fs = crawl_fs_kind_name(w->fs);
	out->overflows = w->overflows;
	out->clock = filetable_clock(w->t);
	out->watch_limit_msg = w->limit_msg;
	out->warm = w->warm;
	out->loading = w->initial;
	out->swept = w->swept;
	out->dirs_known = w->dirs_known;
	out->dirs_read = w->dirs_walked - w->dirs_known;
	out->files_hashed = w->files_hashed;
	out->bytes_hashed = w->bytes_hashed;
}
