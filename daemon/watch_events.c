/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * watch_events.c - the roots' loop wiring and their batches.
 *
 * Owns: the loop watchers of struct watch (ev_io on the notifier fd, the
 * pool's ev_async, an ev_idle running crawl slices, the poll ev_timer) and
 * of each root (its debounce ev_timer), and each root's pending batch.
 * Called by: libev (the callbacks here) and watch.c. Loop thread only.
 *
 * Invariants:
 * - The idle watcher runs only while some root crawls, the poll timer only
 *   while some directory is polled, a root's debounce timer only while a
 *   batch is pending: an idle daemon has no wake-ups.
 * - A batch is the set of files that changed since the last one; each
 *   path appears once, with what it was before the batch (live or not,
 *   its hash), so an editor's rename dance that ends where it started is
 *   no change, and a temp file created and renamed away is none either.
 * - A batch settles when its window closes AND every live file in it has
 *   a known hash (or failed): listeners never see a half-known file.
 * - Events the kernel queued before a window closed are read before it
 *   settles (watch_events_deb_cb asks the notifier), once per window.
 * - After the files.changed event is queued and the listener called,
 *   nothing here touches the root again (the listener may remove it).
 */
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "log.h"
#include "notifier.h"
#include "path.h"
#include "watch_int.h"
#include "xmalloc.h"

/* Directory entries one crawl slice handles per root and loop turn. */
#define WATCH_EVENTS_STEP_ENTRIES 2048

static uint32_t
watch_events_hash(const char *path)
{
	return (uint32_t)XXH3_64bits(path, strlen(path));
}

static struct watch_pending *
watch_events_pend_find(struct watch_root *r, const char *path, size_t *slot)
{
	size_t mask, i;
	uint32_t idx;

	if (r->pend_slots == 0) {
		*slot = 0;
		return NULL;
	}
	mask = r->pend_slots - 1;
	for (i = watch_events_hash(path) & mask;; i = (i + 1) & mask) {
		idx = r->pend_index[i];
		if (idx == 0) {
			*slot = i;
			return NULL;
		}
		if (strcmp(r->pend[idx - 1].path, path) == 0)
			return &r->pend[idx - 1];
	}
}

static void
watch_events_pend_grow(struct watch_root *r)
{
	size_t i, j, mask;

	free(r->pend_index);
	r->pend_slots = r->pend_slots ? r->pend_slots * 2 : 64;
	r->pend_index = xcalloc(r->pend_slots, sizeof(*r->pend_index));
	mask = r->pend_slots - 1;
	for (i = 0; i < r->npend; i++) {
		for (j = watch_events_hash(r->pend[i].path) & mask;
		    r->pend_index[j] != 0; j = (j + 1) & mask)
			;
		r->pend_index[j] = (uint32_t)i + 1;
	}
}

/*
 * Have the debounce timer fire by the batch's deadline. Lazily: a timer
 * already due at or before the deadline is left alone (within a batch the
 * deadline only moves later), and when it fires early watch_events_deb_cb
 * finds the deadline ahead and arms it again. So the events of one save
 * (2-6 for some editors) cost one timer start, not a stop and a start
 * each.
 */
static void
watch_events_arm(struct watch_root *r)
{
	struct ev_loop *loop = r->w->loop;
	uint64_t deadline = debounce_deadline(&r->deb), now_us;

	if (deadline == 0 || r->win_max_ms == 0) {
		ev_timer_stop(loop, &r->deb_timer);
		return;
	}
	if (ev_is_active(&r->deb_timer) && r->deb_armed_ms <= deadline)
		return;
	ev_timer_stop(loop, &r->deb_timer);
	/* libev counts the delay from ev_now, the time its last poll
	 * returned: after a long callback that is in the past and the timer
	 * would fire early, find the deadline not reached and wait another
	 * (rounded-up) poll. Count from the present, to the microsecond. */
	ev_now_update(loop);
	now_us = clock_mono_us();
	ev_timer_set(&r->deb_timer, deadline * 1000 > now_us ?
	    (double)(deadline * 1000 - now_us) / 1e6 : 0.0, 0.0);
	ev_timer_start(loop, &r->deb_timer);
	r->deb_armed_ms = deadline;
}

/*
 * When a change happened, for the quiet window. A rewrite is stamped only
 * once its new hash differs, a worker's round trip after the inotify event
 * that caused it: counting the window from the hash result would add that
 * round trip to every save. So a change within one window of the root's
 * last event dates from that event; anything else (a poll, a rescan) from
 * now.
 */
static uint64_t
watch_events_change_ms(const struct watch_root *r)
{
	uint64_t now = clock_mono_ms();

	if (r->event_ms != 0 && r->event_ms <= now &&
	    now - r->event_ms < debounce_window_ms(&r->deb))
		return r->event_ms;
	return now;
}

void
watch_events_change(void *arg, const struct filetable_entry *e,
    enum filetable_change change)
{
	struct watch_root *r = arg;
	struct watch_pending *p;
	enum ignore_kind ikind;
	const char *base;
	size_t blen, slot;

	if (e->kind != FILETABLE_FILE)
		return;
	base = path_basename(e->path, &blen);
	if (ignore_file_kind(base, &ikind))
		watch_root_reload_ignore(r, e->path);
	if (ignore_is_editor_temp(base))
		return;
	if (strcmp(base, MAKE_FILE_NAME) == 0)
		r->model_dirty = true;
	p = watch_events_pend_find(r, e->path, &slot);
	if (p == NULL) {
		if ((r->npend + 1) * 2 > r->pend_slots) {
			watch_events_pend_grow(r);
			watch_events_pend_find(r, e->path, &slot);
		}
		if (r->npend == r->cappend) {
			r->cappend = r->cappend ? r->cappend * 2 : 16;
			r->pend = xreallocarray(r->pend, r->cappend,
			    sizeof(*r->pend));
		}
		p = &r->pend[r->npend];
		memset(p, 0, sizeof(*p));
		p->path = xstrdup(e->path);
		p->existed = change != FILETABLE_CHANGE_ADDED;
		p->modified = change == FILETABLE_CHANGE_MODIFIED;
		if (change == FILETABLE_CHANGE_REMOVED &&
		    (e->flags & FILETABLE_F_HASH_KNOWN)) {
			p->had_hash = true;
			p->old_hash = e->hash;
		}
		r->pend_index[slot] = (uint32_t)++r->npend;
	}
	if (r->cause > r->batch_cause)
		r->batch_cause = r->cause;
	debounce_event(&r->deb, watch_events_change_ms(r));
	watch_events_arm(r);
}

static int
watch_events_cmp(const void *a, const void *b)
{
	const struct watch_change *x = a, *y = b;

	return strcmp(x->relpath, y->relpath);
}

/* The daemon wrote this content itself: not a user change. *writer gets
 * the phase that wrote it (transferred; NULL when none). */
static bool
watch_events_expected(struct watch_root *r, const struct filetable_entry *e,
    char **writer)
{
	size_t i;

	*writer = NULL;
	for (i = 0; i < r->nexpects; i++) {
		if (strcmp(r->expects[i].path, e->path) != 0)
			continue;
		if (!(e->flags & FILETABLE_F_HASH_KNOWN) ||
		    !XXH128_isEqual(e->hash, r->expects[i].hash))
			return false;
		free(r->expects[i].path);
		*writer = r->expects[i].writer;
		r->expects[i] = r->expects[--r->nexpects];
		return true;
	}
	return false;
}

static const char *
watch_events_reason(enum watch_cause c)
{
	switch (c) {
	case WATCH_CAUSE_EVENTS:
		return "events";
	case WATCH_CAUSE_POLL:
		return "poll";
	case WATCH_CAUSE_IGNORE:
		return "ignore";
	case WATCH_CAUSE_RESCAN:
		return "rescan";
	}
	return "events";
}

/* The batch has user changes (writer NULL): subscribers hear of them. */
static void
watch_events_publish(struct watch *w, const struct watch_batch *b)
{
	struct watch_event ev = { .kind = WATCH_EVENT_FILES_CHANGED,
	    .root = b->root, .batch = b };

	if (w->publish != NULL)
		w->publish(w->publish_arg, &ev);
}

static bool
watch_events_is_make(const char *relpath)
{
	size_t blen;
	const char *base = path_basename(relpath, &blen);

	return strcmp(base, MAKE_FILE_NAME) == 0;
}

/* Settle the pending batch if its window closed and its hashes are in. */
static void
watch_events_try_settle(struct watch_root *r)
{
	const struct filetable *t = rootsync_table(r->wr);
	const struct filetable_entry *e;
	struct watch_change *ch;
	struct watch_pending *pend;
	struct watch_batch b;
	struct watch *w = r->w;
	size_t i, n = 0, npend, own = 0;
	bool reparse = false;
	char *writer;
	int kind;

	if (!r->settle_due)
		return;
	for (i = 0; i < r->npend; i++) {
		e = filetable_lookup(t, r->pend[i].path);
		if (e != NULL && e->kind == FILETABLE_FILE && !(e->flags &
		    (FILETABLE_F_HASH_KNOWN | FILETABLE_F_HASH_ERROR)))
			return;		/* the hash drain calls again */
	}
	r->settle_due = false;
	ch = xcalloc(r->npend + 1, sizeof(*ch));
	for (i = 0; i < r->npend; i++) {
		struct watch_pending *p = &r->pend[i];
		bool live;

		e = filetable_lookup(t, p->path);
		live = e != NULL && e->kind == FILETABLE_FILE;
		if (live && !p->existed)
			kind = WATCH_ADDED;
		else if (live && !p->modified && p->had_hash &&
		    (e->flags & FILETABLE_F_HASH_KNOWN) &&
		    XXH128_isEqual(e->hash, p->old_hash))
			kind = -1;	/* back where it started */
		else if (live)
			kind = WATCH_MODIFIED;
		else
			kind = p->existed ? WATCH_REMOVED : -1;
		writer = NULL;
		if (kind < 0 || (live && r->nexpects > 0 &&
		    watch_events_expected(r, e, &writer) && writer == NULL))
			continue;
		ch[n].writer = writer;
		if (writer != NULL)
			own++;
		ch[n].relpath = p->path;
		ch[n++].kind = (enum watch_change_kind)kind;
		if (r->model_dirty && watch_events_is_make(p->path))
			reparse = true;
	}
	/* Only a content change parses again (a touch is no change), and
	 * not twice when a run already parsed it (watch_root_model_ref). */
	r->model_dirty = false;
	if (reparse && watch_root_model_stale(r))
		watch_root_load_model(r);
	/* Detach the batch: the listener may add to the next one or remove
	 * the root. */
	pend = r->pend;
	npend = r->npend;
	r->pend = NULL;
	r->npend = r->cappend = 0;
	if (r->pend_slots > 0)
		memset(r->pend_index, 0, r->pend_slots *
		    sizeof(*r->pend_index));
	b.root = r;
	b.clock = filetable_clock(t);
	b.changes = ch;
	b.n = n;
	b.reason = watch_events_reason(r->batch_cause);
	r->batch_cause = WATCH_CAUSE_EVENTS;
	watch_root_changed(r);
	if (n > 0) {
		qsort(ch, n, sizeof(*ch), watch_events_cmp);
		r->batches++;
		r->last_settle_ms = clock_wall_ms();
		log_debug("watch_events_try_settle: %s: %zu changes, clock "
		    "%llu (%s)", r->path, n, (unsigned long long)b.clock,
		    b.reason);
		if (n > own)
			watch_events_publish(w, &b);
		if (w->batch_fn != NULL)
			w->batch_fn(w->batch_arg, &b);
	}
	for (i = 0; i < npend; i++)
		free(pend[i].path);
	free(pend);
	for (i = 0; i < n; i++)
		free((char *)ch[i].writer);
	free(ch);
}

static void
watch_events_deb_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct watch_root *r = t->data;
	uint64_t now = clock_mono_ms(), deadline;

	(void)revents;
	/* The loop came back late (descheduled, busy, slow under valgrind)
	 * and the kernel holds events it has not read: they were queued
	 * before the window closed, so they may be the rest of this save
	 * (the create read, the write not). Read them first: fed now, the
	 * fd's watcher runs right after this callback, and this timer comes
	 * round again in the next loop turn. Once per window, so a stream
	 * of events elsewhere cannot hold this batch; the debounce cap
	 * still bounds a stream into it. */
	deadline = debounce_deadline(&r->deb);
	if (deadline != 0 && deadline <= now && !r->deb_rechecked &&
	    notifier_queued() > 0) {
		r->deb_rechecked = true;
		ev_feed_event(loop, &r->w->io, EV_READ);
		ev_timer_set(t, 0.0, 0.0);
		ev_timer_start(loop, t);
		return;
	}
	r->deb_rechecked = false;
	if (debounce_fire(&r->deb, now)) {
		r->settle_due = true;
		watch_events_try_settle(r);
	} else {
		watch_events_arm(r);
	}
}

/* After a loop callback touched r: ignore changes, window-0 settling. */
static void
watch_events_after(struct watch_root *r)
{
	if (r->ignore_dirty) {
		r->ignore_dirty = false;
		r->cause = WATCH_CAUSE_IGNORE;
		r->rescans++;
		rootsync_rescan(r->wr);
		r->cause = WATCH_CAUSE_EVENTS;
	}
	if (r->npend > 0 && r->win_max_ms == 0)
		r->settle_due = true;
	watch_events_try_settle(r);
}

void
watch_events_ignore_changed(struct watch_root *r)
{
	r->ignore_dirty = true;
	watch_events_after(r);
}

void
watch_events_update(struct watch *w)
{
	struct rootsync_status st;
	struct watch_root *r;
	bool busy = false, polled = false;

	for (r = w->roots; r != NULL; r = r->next) {
		rootsync_status(r->wr, &st);
		busy = busy || st.crawling;
		polled = polled || st.polled_dirs > 0;
	}
	if (busy && !ev_is_active(&w->idle))
		ev_idle_start(w->loop, &w->idle);
	else if (!busy && ev_is_active(&w->idle))
		ev_idle_stop(w->loop, &w->idle);
	if (polled && !ev_is_active(&w->poll))
		ev_timer_again(w->loop, &w->poll);
	else if (!polled && ev_is_active(&w->poll))
		ev_timer_stop(w->loop, &w->poll);
}

static void
watch_events_notify(void *arg, int32_t wd, uint32_t mask, uint32_t cookie,
    const char *name)
{
	struct watch *w = arg;
	struct watch_root *r;

	if (wd < 0) {
		if (!(mask & IN_Q_OVERFLOW))
			return;
		for (r = w->roots; r != NULL; r = r->next) {
			r->cause = WATCH_CAUSE_RESCAN;
			r->rescans++;
			rootsync_overflow(r->wr);
			r->cause = WATCH_CAUSE_EVENTS;
		}
		return;
	}
	for (r = w->roots; r != NULL; r = r->next) {
		if (rootsync_owns_wd(r->wr, wd)) {
			r->event_ms = clock_mono_ms();
			rootsync_event(r->wr, wd, mask, cookie, name);
			return;
		}
	}
}

static void
watch_events_io_cb(struct ev_loop *loop, ev_io *io, int revents)
{
	struct watch *w = io->data;
	struct watch_root *r, *next;

	(void)loop;
	(void)revents;
	notifier_drain(watch_events_notify, w);
	for (r = w->roots; r != NULL; r = r->next)
		rootsync_flush_moves(r->wr);
	for (r = w->roots; r != NULL; r = next) {
		next = r->next;
		watch_events_after(r);
	}
	/* An event can settle the last hash a root waits for (a small file
	 * saved during the first load is hashed inline, right here): no
	 * hash result or crawl slice follows to notice it is ready. */
	for (r = w->roots; r != NULL; r = next) {
		next = r->next;
		watch_root_check_ready(r, false);
	}
	watch_events_update(w);
}

static void
watch_events_hash_result(void *arg, const struct hashpool_result *res)
{
	struct watch *w = arg;
	struct watch_hash_job **pp, *j;
	struct watch_root *r;

	if (res->generation == WATCH_GEN_ON_DEMAND) {
		for (pp = &w->jobs; *pp != NULL; pp = &(*pp)->next) {
			j = *pp;
			if (j->cookie != res->cookie)
				continue;
			*pp = j->next;
			j->cb(j->arg, res->error, &res->hash, &res->st);
			free(j);
			return;
		}
		return;
	}
	for (r = w->roots; r != NULL; r = r->next) {
		if (r->generation != res->generation)
			continue;
		rootsync_hash_result(r->wr, res);
		return;
	}
}

static void
watch_events_async_cb(struct ev_loop *loop, ev_async *a, int revents)
{
	struct watch *w = a->data;
	struct watch_root *r, *next;

	(void)loop;
	(void)revents;
	hashpool_drain(w->pool, watch_events_hash_result, w);
	for (r = w->roots; r != NULL; r = next) {
		next = r->next;
		watch_events_after(r);
	}
	for (r = w->roots; r != NULL; r = next) {
		next = r->next;
		watch_root_check_ready(r, false);
	}
	watch_events_update(w);
}

static void
watch_events_idle_cb(struct ev_loop *loop, ev_idle *idle, int revents)
{
	struct watch *w = idle->data;
	struct watch_root *r, *next;

	(void)loop;
	(void)revents;
	for (r = w->roots; r != NULL; r = next) {
		next = r->next;
		if (rootsync_busy(r->wr)) {
			rootsync_step(r->wr, WATCH_EVENTS_STEP_ENTRIES);
			watch_events_after(r);
		}
	}
	for (r = w->roots; r != NULL; r = next) {
		next = r->next;
		watch_root_check_ready(r, false);
	}
	watch_events_update(w);
}

static void
watch_events_poll_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct watch *w = t->data;
	struct rootsync_status st;
	struct watch_root *r, *next;

	(void)loop;
	(void)revents;
	for (r = w->roots; r != NULL; r = next) {
		next = r->next;
		rootsync_status(r->wr, &st);
		/* A root not ready yet reads its polled dirs in its first
		 * crawl: polling them too would only slow it down (a scan
		 * holds the loop, so hash results wait, and with a scan
		 * longer than the period the always-pending timer would
		 * starve the idle watcher that runs the crawl). */
		if (st.polled_dirs == 0 || st.crawling || !r->ready)
			continue;
		r->cause = WATCH_CAUSE_POLL;
		rootsync_poll(r->wr);
		r->cause = WATCH_CAUSE_EVENTS;
		watch_events_after(r);
	}
	/* The next poll is one period after this one ended, not after it
	 * began: a scan longer than the period cannot monopolise the loop. */
	if (ev_is_active(&w->poll))
		ev_timer_again(w->loop, &w->poll);
	watch_events_update(w);
}

void
watch_events_start(struct watch *w)
{
	double poll_s = (double)w->set.poll_ms / 1000.0;

	ev_io_init(&w->io, watch_events_io_cb, notifier_fd(), EV_READ);
	w->io.data = w;
	ev_io_start(w->loop, &w->io);
	ev_async_init(&w->async, watch_events_async_cb);
	w->async.data = w;
	ev_async_start(w->loop, &w->async);
	ev_idle_init(&w->idle, watch_events_idle_cb);
	w->idle.data = w;
	ev_timer_init(&w->poll, watch_events_poll_cb, poll_s, poll_s);
	w->poll.data = w;
}

void
watch_events_stop(struct watch *w)
{
	ev_io_stop(w->loop, &w->io);
	ev_async_stop(w->loop, &w->async);
	ev_idle_stop(w->loop, &w->idle);
	ev_timer_stop(w->loop, &w->poll);
}

void
watch_events_window(struct watch_root *r)
{
	const struct watch_settings *set = &r->w->set;
	uint64_t min = set->debounce_min_ms;
	uint64_t max = set->debounce_max_ms;

	if (r->model != NULL && r->model->debounce_min_ms >= 0)
		min = (uint64_t)r->model->debounce_min_ms;
	if (r->model != NULL && r->model->debounce_max_ms >= 0)
		max = (uint64_t)r->model->debounce_max_ms;
	if (max < min)
		max = min;
	if (min == r->win_min_ms && max == r->win_max_ms &&
	    r->deb.max_ms != 0)
		return;
	r->win_min_ms = min;
	r->win_max_ms = max;
	debounce_init(&r->deb, min, max);
}

void
watch_events_root_init(struct watch_root *r)
{
	ev_timer_init(&r->deb_timer, watch_events_deb_cb, 0.0, 0.0);
	r->deb_timer.data = r;
	watch_events_window(r);
}

void
watch_events_root_release(struct watch_root *r)
{
	size_t i;

	ev_timer_stop(r->w->loop, &r->deb_timer);
	for (i = 0; i < r->npend; i++)
		free(r->pend[i].path);
	free(r->pend);
	free(r->pend_index);
	r->pend = NULL;
	r->npend = 0;
}
