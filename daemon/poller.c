/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * poller.c - polling for directories without a watch.
 *
 * Owns nothing between calls: each poller_scan builds a "seen" table (a
 * second struct filetable used as a set of paths) and frees it. Called by:
 * the daemon's poll timer on the loop thread, for one root at a time.
 * How: every polled directory whose parent is not polled (a subtree top) is
 * crawled, with watched directories pruned (their events keep them
 * current); whatever the crawl reports is upserted into the table; then any
 * table entry whose parent directory was listed but which was not seen has
 * been removed. Invariant: only directories this scan listed can lose
 * entries, so watched parts of the tree are never touched.
 * Never: add or remove inotify watches (the daemon does, via notifier.c).
 */
#include "poller.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "strvec.h"

struct poller_scan {
	struct filetable *t;
	struct filetable *seen;
	crawl_ignore_cb is_ignored;
	poller_change_cb on_change;
	void *arg;
	bool all;
	struct poller_result *res;
	struct strvec paths;	/* tops, then removals */
};

static void
poller_report(struct poller_scan *s, const char *relpath,
    enum filetable_kind kind, enum poller_change change)
{
	s->res->changes++;
	if (s->on_change != NULL)
		s->on_change(s->arg, relpath, kind, change);
}

/* dirname of a relative path into buf ("" for top-level names). */
static const char *
poller_parent(const char *path, char *buf, size_t size)
{
	const char *slash = strrchr(path, '/');
	size_t len = slash != NULL ? (size_t)(slash - path) : 0;

	if (len >= size)
		len = size - 1;
	memcpy(buf, path, len);
	buf[len] = '\0';
	return buf;
}

static void
poller_find_tops(void *arg, const struct filetable_entry *e)
{
	struct poller_scan *s = arg;
	const struct filetable_entry *parent;
	char buf[4096];

	if (e->kind != FILETABLE_DIR || e->wd != FILETABLE_WD_POLLED)
		return;
	parent = e->path[0] != '\0' ?
	    filetable_lookup(s->t, poller_parent(e->path, buf, sizeof(buf))) :
	    NULL;
	if (parent == NULL || parent->wd != FILETABLE_WD_POLLED)
		strvec_push(&s->paths, e->path);
}

/* Prune watched directories: their watches report their changes. */
static bool
poller_ignore(void *arg, const char *relpath, bool is_dir)
{
	struct poller_scan *s = arg;
	const struct filetable_entry *e;

	if (s->is_ignored != NULL && s->is_ignored(s->arg, relpath, is_dir))
		return true;
	if (!is_dir || s->all)
		return false;
	e = filetable_lookup(s->t, relpath);
	if (e == NULL || e->kind != FILETABLE_DIR ||
	    e->wd == FILETABLE_WD_POLLED)
		return false;
	/* Still there: the sweep must not take it for removed. Marked as a
	 * file in seen, where DIR means "listed by this scan". */
	filetable_upsert(s->seen, relpath, FILETABLE_FILE, &e->st);
	return true;
}

static void
poller_entry(void *arg, const char *relpath, enum crawl_kind ckind,
    const struct stat *st)
{
	enum filetable_kind kind = (enum filetable_kind)ckind;
	struct poller_scan *s = arg;
	struct filetable_stat fst;
	enum filetable_upsert_result r;

	filetable_stat_from(&fst, st);
	filetable_upsert(s->seen, relpath, kind, &fst);
	if (kind == FILETABLE_DIR)
		s->res->dirs_scanned++;
	r = filetable_upsert(s->t, relpath, kind, &fst);
	if (r == FILETABLE_ADDED) {
		if (kind == FILETABLE_DIR && !s->all)
			filetable_set_wd(s->t, relpath, FILETABLE_WD_POLLED);
		poller_report(s, relpath, kind, POLLER_ADDED);
	} else if (r == FILETABLE_STAT_CHANGED && kind == FILETABLE_FILE) {
		poller_report(s, relpath, kind, POLLER_STAT_CHANGED);
	}
}

/* A subtree top that cannot be listed any more is gone. */
static void
poller_error(void *arg, const char *relpath, int error)
{
	struct poller_scan *s = arg;

	if (error == ENOENT || error == ENOTDIR) {
		filetable_remove_subtree(s->t, relpath);
		poller_report(s, relpath, FILETABLE_DIR, POLLER_REMOVED);
	}
}

static void
poller_find_gone(void *arg, const struct filetable_entry *e)
{
	struct poller_scan *s = arg;
	const struct filetable_entry *parent;
	char buf[4096];

	if (e->path[0] == '\0' || filetable_lookup(s->seen, e->path) != NULL)
		return;
	parent = filetable_lookup(s->seen, poller_parent(e->path, buf,
	    sizeof(buf)));
	if (parent != NULL && parent->kind == FILETABLE_DIR)
		strvec_push(&s->paths, e->path);
}

int
poller_scan(const char *root, struct filetable *t, crawl_ignore_cb is_ignored,
    poller_change_cb on_change, void *arg, unsigned flags,
    struct poller_result *out, struct gerr *err)
{
	struct poller_scan s = { .t = t, .is_ignored = is_ignored,
		.on_change = on_change, .arg = arg,
		.all = (flags & POLLER_ALL) != 0, .res = out };
	struct crawl_config cfg = { .is_ignored = poller_ignore,
		.on_entry = poller_entry, .on_error = poller_error, .arg = &s };
	int rc = 0;

	memset(out, 0, sizeof(*out));
	s.seen = filetable_new(&(struct filetable_config){ 0 });
	if (s.all)
		strvec_push(&s.paths, "");
	else
		filetable_foreach(t, poller_find_tops, &s);
	for (size_t i = 0; i < s.paths.n && rc == 0; i++) {
		struct crawl *c;

		rc = crawl_new(root, s.paths.v[i], &cfg, &c, err);
		if (rc != 0)
			break;
		while (crawl_step(c, SIZE_MAX) == CRAWL_MORE)
			;
		crawl_free(c);
	}
	strvec_clear_from(&s.paths, 0);
	if (rc == 0) {
		filetable_foreach(t, poller_find_gone, &s);
		for (size_t i = 0; i < s.paths.n; i++) {
			const char *path = s.paths.v[i];
			const struct filetable_entry *e =
			    filetable_lookup(t, path);
			enum filetable_kind kind;

			if (e == NULL)	/* inside a subtree removed before */
				continue;
			kind = (enum filetable_kind)e->kind;
			if (kind == FILETABLE_DIR)
				filetable_remove_subtree(t, path);
			else
				filetable_remove(t, path);
			poller_report(&s, path, kind, POLLER_REMOVED);
		}
	}
	strvec_release(&s.paths);
	filetable_free(s.seen);
	return rc;
}
