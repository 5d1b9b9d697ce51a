/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * histlink.c - run listener -> history store, flush scheduling, slow phases.
 *
 * Owns the struct history, the flush ev_timer, the ev_async the store's
 * writer thread sends when a batch is done, and one histlink_run per engine
 * run between its start and its end. Called by ggend (open, free, status)
 * and by the engine, through histlink_on_event, on the loop thread.
 *
 * Rows go to the store as things happen: the run at its start, a span at
 * its start (running) and again at its end, so `show` follows a live run
 * and a daemon killed mid-run leaves it `running` on disk, which the next
 * start marks `interrupted`. The engine numbers spans itself; each run
 * keeps engine span id -> store span id to translate parents (a parent
 * always starts before its children).
 *
 * Invariants: the flush timer is active only while history_pending() (idle
 * means zero wake-ups); hl->runs holds only runs whose RUN_END has not been
 * seen; span_map[i] is 0 or the store id of engine span i. Never blocks
 * the loop on disk: flushes hand batches to the writer.
 */
#include "histlink.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "log.h"
#include "worker.h"
#include "xmalloc.h"

struct histlink_run {
	uint64_t engine_id;
	uint64_t hist_id;
	char *root;
	char *workspace;	/* requested target, "" = root/all */
	char *phase;		/* requested phases, space separated */
	uint64_t *span_map;	/* engine span id -> store span id */
	size_t n_map;
	uint64_t phase_sid;	/* store id of the top span named phase */
	bool phase_slow;	/* that span was over its budget */
	bool slow;		/* marked slow in the store */
};

struct histlink {
	struct ev_loop *loop;
	struct history *h;
	char *path;
	unsigned keep;
	ev_timer flush_timer;
	ev_timer seen_timer;	/* while runs are live: their "seen" mark */
	struct worker *worker;	/* trim and stats */
	ev_async notify;
	struct histlink_run **runs;
	size_t n_runs, cap_runs;
	histlink_publish_cb publish;
	void *publish_arg;
	uint64_t flush_errors;
	uint64_t slow_phases;
	int last_err_code;	/* logs a store error once per change */
	/* "root\x1fworkspace\x1fphase" of every phase with a successful
	 * span in the history (first_run_only), sorted: loaded at open and
	 * after a trim, grown as spans end ok. */
	char **done;
	size_t n_done, cap_done;
};

/* Writer thread: only wake the loop (history.h forbids anything else). */
static void
histlink_notify(void *arg)
{
	struct histlink *hl = arg;

	ev_async_send(hl->loop, &hl->notify);
}

static void
histlink_report(struct histlink *hl, int rc, const struct gerr *err)
{
	if (rc == 0) {
		hl->last_err_code = 0;
		return;
	}
	hl->flush_errors++;
	if (rc != hl->last_err_code)
		log_warn("history: %s", err->msg);
	hl->last_err_code = rc;
}

static void
histlink_arm(struct histlink *hl)
{
	if (history_pending(hl->h)) {
		if (!ev_is_active(&hl->flush_timer)) {
			ev_timer_set(&hl->flush_timer,
			    HISTLINK_FLUSH_MS / 1000.0, 0.0);
			ev_timer_start(hl->loop, &hl->flush_timer);
		}
	} else if (ev_is_active(&hl->flush_timer))
		ev_timer_stop(hl->loop, &hl->flush_timer);
}

static void
histlink_flush(struct histlink *hl)
{
	struct gerr err;

	gerr_clear(&err);
	histlink_report(hl, history_flush(hl->h, &err), &err);
	histlink_arm(hl);
}

static void
histlink_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	histlink_flush(w->data);
}

/* Every live run was alive now: the row keeps it (history_run_seen), so
 * a kill -9 leaves a duration within HISTLINK_SEEN_MS of the truth. */
static void
histlink_seen_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct histlink *hl = w->data;
	struct timeval tv;
	int64_t now;

	(void)loop;
	(void)revents;
	gettimeofday(&tv, NULL);
	now = (int64_t)tv.tv_sec * 1000000 + tv.tv_usec;
	for (size_t i = 0; i < hl->n_runs; i++)
		history_run_seen(hl->h, hl->runs[i]->hist_id, now, NULL);
	histlink_arm(hl);
}

/* The seen timer runs exactly while runs are live (idle: no wake-up). */
static void
histlink_seen_update(struct histlink *hl)
{
	/* Unref'ed: the marks alone never keep the loop running. */
	if (hl->n_runs > 0 && !ev_is_active(&hl->seen_timer)) {
		ev_timer_start(hl->loop, &hl->seen_timer);
		ev_unref(hl->loop);
	} else if (hl->n_runs == 0 && ev_is_active(&hl->seen_timer)) {
		ev_ref(hl->loop);
		ev_timer_stop(hl->loop, &hl->seen_timer);
	}
}

static void
histlink_async_cb(struct ev_loop *loop, ev_async *w, int revents)
{
	struct histlink *hl = w->data;
	struct gerr err;

	(void)loop;
	(void)revents;
	gerr_clear(&err);
	histlink_report(hl, history_reap(hl->h, &err), &err);
	histlink_arm(hl);
}

/* Index of key in hl->done, or where it would go (*found false). */
static size_t
histlink_done_pos(const struct histlink *hl, const char *key, bool *found)
{
	size_t lo = 0, hi = hl->n_done;

	*found = false;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(hl->done[mid], key);

		if (c == 0) {
			*found = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static char *
histlink_done_key(const char *root, const char *ws, const char *phase)
{
	return xasprintf("%s\x1f%s\x1f%s", root, ws != NULL ? ws : "", phase);
}

static void
histlink_done_add(void *arg, const char *root, const char *ws,
    const char *phase)
{
	struct histlink *hl = arg;
	char *key = histlink_done_key(root, ws, phase);
	bool found;
	size_t pos = histlink_done_pos(hl, key, &found);

	if (found) {
		free(key);
		return;
	}
	if (hl->n_done == hl->cap_done) {
		hl->cap_done = hl->cap_done ? hl->cap_done * 2 : 16;
		hl->done = xreallocarray(hl->done, hl->cap_done,
		    sizeof(*hl->done));
	}
	memmove(hl->done + pos + 1, hl->done + pos,
	    (hl->n_done - pos) * sizeof(*hl->done));
	hl->done[pos] = key;
	hl->n_done++;
}

static void
histlink_done_clear(struct histlink *hl)
{
	for (size_t i = 0; i < hl->n_done; i++)
		free(hl->done[i]);
	hl->n_done = 0;
}

void
histlink_reload_done(struct histlink *hl)
{
	struct gerr err;

	histlink_done_clear(hl);
	gerr_clear(&err);
	if (history_each_ok_phase(hl->h, histlink_done_add, hl, &err) != 0)
		log_warn("history: first_run_only: %s", err.msg);
}

bool
histlink_first_run_done(void *arg, const char *root, const char *ws,
    const char *phase)
{
	struct histlink *hl = arg;
	char *key = histlink_done_key(root, ws, phase);
	bool found;

	histlink_done_pos(hl, key, &found);
	free(key);
	return found;
}

int
histlink_open(struct ev_loop *loop, const char *path, unsigned keep,
    size_t output_max, size_t span_output_max, struct histlink **out,
    struct gerr *err)
{
	struct history_config cfg;
	struct histlink *hl;
	int rc;

	*out = NULL;
	if (path == NULL || path[0] == '\0')
		return gerr_set(err, GERR_INVALID, "history: empty path");
	hl = xcalloc(1, sizeof(*hl));
	hl->loop = loop;
	hl->path = xstrdup(path);
	hl->keep = keep != 0 ? keep : HISTORY_KEEP_DEFAULT;
	ev_timer_init(&hl->flush_timer, histlink_timer_cb, 0.0, 0.0);
	hl->flush_timer.data = hl;
	ev_timer_init(&hl->seen_timer, histlink_seen_cb,
	    HISTLINK_SEEN_MS / 1000.0, HISTLINK_SEEN_MS / 1000.0);
	hl->seen_timer.data = hl;
	ev_async_init(&hl->notify, histlink_async_cb);
	hl->notify.data = hl;
	ev_async_start(loop, &hl->notify);
	/* The async watcher must not keep the loop alive by itself. */
	ev_unref(loop);
	memset(&cfg, 0, sizeof(cfg));
	cfg.path = path;
	cfg.keep = hl->keep;
	cfg.output_max = output_max;
	cfg.span_output_max = span_output_max;
	cfg.notify = histlink_notify;
	cfg.notify_arg = hl;
	rc = history_open(&cfg, &hl->h, err);
	if (rc != 0) {
		ev_ref(loop);
		ev_async_stop(loop, &hl->notify);
		free(hl->path);
		free(hl);
		return rc;
	}
	hl->worker = worker_new(loop, "history");
	/* A degraded store has logged its own WARN with the reason. */
	if (!history_degraded(hl->h))
		log_info("history: %s (keep %u runs per phase)", path,
		    hl->keep);
	histlink_reload_done(hl);
	*out = hl;
	return 0;
}

static void
histlink_run_free(struct histlink_run *r)
{
	if (r == NULL)
		return;
	free(r->span_map);
	free(r->root);
	free(r->workspace);
	free(r->phase);
	free(r);
}

static int64_t
histlink_now_us(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (int64_t)tv.tv_sec * 1000000 + tv.tv_usec;
}

static void
histlink_finish(struct histlink *hl, struct histlink_run *r,
    const struct history_run_end *end)
{
	struct gerr err;

	gerr_clear(&err);
	histlink_report(hl, history_run_end(hl->h, r->hist_id, end, &err),
	    &err);
}

void
histlink_free(struct histlink *hl)
{
	struct history_run_end end;
	struct gerr err;
	size_t i;

	if (hl == NULL)
		return;
	/* Trims and stats under way end first (they use the store). */
	worker_free(hl->worker);
	memset(&end, 0, sizeof(end));
	end.status = HISTORY_INTERRUPTED;
	end.exit_code = -1;
	for (i = 0; i < hl->n_runs; i++) {
		histlink_finish(hl, hl->runs[i], &end);
		histlink_run_free(hl->runs[i]);
	}
	free(hl->runs);
	ev_timer_stop(hl->loop, &hl->flush_timer);
	if (ev_is_active(&hl->seen_timer)) {
		ev_ref(hl->loop);
		ev_timer_stop(hl->loop, &hl->seen_timer);
	}
	gerr_clear(&err);
	if (history_sync(hl->h, &err) != 0)
		log_warn("history: at shutdown: %s", err.msg);
	history_close(hl->h);
	histlink_done_clear(hl);
	free(hl->done);
	ev_ref(hl->loop);
	ev_async_stop(hl->loop, &hl->notify);
	free(hl->path);
	free(hl);
}

void
histlink_set_publish(struct histlink *hl, histlink_publish_cb fn, void *arg)
{
	hl->publish = fn;
	hl->publish_arg = arg;
}

uint64_t
histlink_next_run_id(const struct histlink *hl)
{
	return history_last_id(hl->h) + 1;
}

struct worker *
histlink_worker(struct histlink *hl)
{
	return hl->worker;
}

struct history *
histlink_history(struct histlink *hl)
{
	return hl->h;
}

static struct histlink_run *
histlink_find(struct histlink *hl, uint64_t engine_id, size_t *idx)
{
	size_t i;

	for (i = 0; i < hl->n_runs; i++)
		if (hl->runs[i]->engine_id == engine_id) {
			if (idx != NULL)
				*idx = i;
			return hl->runs[i];
		}
	return NULL;
}

/* Engine values become history values by a cast here: both take them
 * from common/run.h, and the compiler checks every one. */
_Static_assert((int)ENGINE_TRIGGER_SAVE == (int)HISTORY_TRIGGER_SAVE &&
    (int)ENGINE_TRIGGER_MANUAL == (int)HISTORY_TRIGGER_MANUAL &&
    (int)ENGINE_TRIGGER_STARTUP == (int)HISTORY_TRIGGER_STARTUP,
    "engine and history triggers are the run vocabulary's");
_Static_assert((int)ENGINE_RUNNING == (int)HISTORY_RUNNING &&
    (int)ENGINE_OK == (int)HISTORY_OK &&
    (int)ENGINE_FAILED == (int)HISTORY_FAILED &&
    (int)ENGINE_CANCELLED == (int)HISTORY_CANCELLED &&
    (int)ENGINE_TIMEOUT == (int)HISTORY_TIMEOUT &&
    (int)ENGINE_CACHED == (int)HISTORY_CACHED &&
    (int)ENGINE_INTERRUPTED == (int)HISTORY_INTERRUPTED &&
    (int)ENGINE_INTERRUPTED + 1 == (int)ENGINE_QUEUED,
    "engine and history statuses are the run vocabulary's");
_Static_assert((int)ENGINE_SPAN_PHASE == (int)HISTORY_SPAN_PHASE &&
    (int)ENGINE_SPAN_HOOK == (int)HISTORY_SPAN_HOOK &&
    (int)ENGINE_SPAN_COMMAND == (int)HISTORY_SPAN_COMMAND &&
    (int)ENGINE_SPAN_RENDER == (int)HISTORY_SPAN_RENDER,
    "engine and history span kinds are the run vocabulary's");

/* Anything past INTERRUPTED (queued) cannot be a final state and counts
 * as failed. */
static enum history_status
histlink_status(enum engine_status s)
{
	if (s > ENGINE_INTERRUPTED)
		return HISTORY_FAILED;
	return (enum history_status)s;
}

static struct histlink_run *
histlink_begin(struct histlink *hl, const struct engine_event *ev)
{
	struct history_run_info info;
	struct histlink_run *r;

	memset(&info, 0, sizeof(info));
	info.root = ev->root;
	info.workspace = ev->workspace;
	info.phase = ev->phase;
	info.trigger = (enum history_trigger)ev->trigger;
	info.trigger_files = ev->trigger_files;
	info.n_trigger_files = ev->n_trigger_files;
	info.start_us = ev->start_us;
	info.cache_key = ev->cache_key;
	info.id = ev->run_id;
	r = xcalloc(1, sizeof(*r));
	r->engine_id = ev->run_id;
	r->hist_id = history_run_begin(hl->h, &info);
	r->root = xstrdup(ev->root != NULL ? ev->root : "");
	r->workspace = xstrdup(ev->workspace != NULL ? ev->workspace : "");
	r->phase = xstrdup(ev->phase != NULL ? ev->phase : "");
	if (hl->n_runs == hl->cap_runs) {
		hl->cap_runs = hl->cap_runs ? hl->cap_runs * 2 : 8;
		hl->runs = xreallocarray(hl->runs, hl->cap_runs,
		    sizeof(*hl->runs));
	}
	hl->runs[hl->n_runs++] = r;
	return r;
}

/* Publish phase.slow and log it. */
static void
histlink_slow_event(struct histlink *hl, const struct histlink_run *r,
    const char *workspace, const char *phase, int64_t dur_us,
    enum history_slow_reason why, int64_t median_us)
{
	struct histlink_slow ev;

	hl->slow_phases++;
	log_info("run %llu: phase %s is slow: %lld ms (%s)",
	    (unsigned long long)r->hist_id, phase, (long long)(dur_us / 1000),
	    why == HISTORY_SLOW_BUDGET ? "over its budget_ms" :
	    "over 110% of its median and 50 ms over it");
	if (hl->publish == NULL)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.run = r->hist_id;
	ev.root = r->root;
	ev.workspace = workspace;
	ev.phase = phase;
	ev.dur_us = dur_us;
	ev.why = why;
	ev.median_us = median_us > 0 ? median_us : 0;
	hl->publish(hl->publish_arg, &ev);
}

/* Store id of engine span id in r, 0 if it was never added. */
static uint64_t
histlink_span_id(const struct histlink_run *r, uint64_t id)
{
	return id < r->n_map ? r->span_map[id] : 0;
}

/* Add sp to the store (dur_us -1: still running); remember its id. */
static uint64_t
histlink_span_add(struct histlink *hl, struct histlink_run *r,
    const struct engine_span *sp, int64_t dur_us)
{
	struct gerr err;
	uint64_t sid = 0;
	size_t n;
	int rc;

	gerr_clear(&err);
	rc = history_span_add(hl->h, r->hist_id,
	    histlink_span_id(r, sp->parent),
	    (enum history_span_kind)sp->kind, sp->name != NULL ? sp->name : "",
	    sp->workspace, sp->start_us, dur_us, dur_us < 0 ?
	    HISTORY_RUNNING : histlink_status(sp->status), &sid, &err);
	if (rc != 0) {
		histlink_report(hl, rc, &err);
		return 0;
	}
	/* The store takes at most HISTORY_SPANS_MAX spans per run, so engine
	 * ids (1, 2, ...) past that never get here: the map stays bounded. */
	if (sp->id >= r->n_map) {
		n = r->n_map ? r->n_map : 16;
		while (n <= sp->id)
			n *= 2;
		r->span_map = xreallocarray(r->span_map, n,
		    sizeof(*r->span_map));
		memset(r->span_map + r->n_map, 0,
		    (n - r->n_map) * sizeof(*r->span_map));
		r->n_map = n;
	}
	r->span_map[sp->id] = sid;
	if (r->phase_sid == 0 && sp->parent == 0 &&
	    sp->kind == ENGINE_SPAN_PHASE && sp->name != NULL &&
	    strcmp(sp->name, r->phase) == 0)
		r->phase_sid = sid;
	return sid;
}

/* Mark span sid (0 = none) and its run slow in the store. */
static void
histlink_mark_slow(struct histlink *hl, struct histlink_run *r, uint64_t sid)
{
	struct gerr err;

	if (sid != 0) {
		gerr_clear(&err);
		histlink_report(hl, history_mark_slow(hl->h, r->hist_id, sid,
		    &err), &err);
	}
	if (!r->slow) {
		r->slow = true;
		gerr_clear(&err);
		histlink_report(hl, history_mark_slow(hl->h, r->hist_id, 0,
		    &err), &err);
	}
}

/* output (NULL = none): the span's own output, from its SPAN_END. */
static void
histlink_span_end(struct histlink *hl, struct histlink_run *r,
    const struct engine_span *sp, const char *output, size_t output_len)
{
	uint64_t sid = histlink_span_id(r, sp->id);
	struct gerr err;

	gerr_clear(&err);
	if (sid == 0)	/* no start seen (or refused): add it whole */
		sid = histlink_span_add(hl, r, sp, sp->dur_us);
	else
		histlink_report(hl, history_span_end(hl->h, r->hist_id, sid,
		    sp->dur_us, histlink_status(sp->status), &err), &err);
	if (sid != 0 && output != NULL && output_len > 0) {
		gerr_clear(&err);
		histlink_report(hl, history_span_output(hl->h, r->hist_id,
		    sid, output, output_len, &err), &err);
	}
	if ((sp->kind == ENGINE_SPAN_PHASE || sp->kind == ENGINE_SPAN_HOOK) &&
	    sp->name != NULL &&
	    (sp->status == ENGINE_OK || sp->status == ENGINE_CACHED))
		histlink_done_add(hl, r->root, sp->workspace, sp->name);
	/* Over budget_ms: the engine's verdict, for any phase it ran. */
	if (!sp->slow || sp->status != ENGINE_OK || sp->name == NULL ||
	    (sp->kind != ENGINE_SPAN_PHASE && sp->kind != ENGINE_SPAN_HOOK))
		return;
	histlink_slow_event(hl, r, sp->workspace != NULL ? sp->workspace : "",
	    sp->name, sp->dur_us, HISTORY_SLOW_BUDGET, 0);
	histlink_mark_slow(hl, r, sid);
	if (sid != 0 && sid == r->phase_sid)
		r->phase_slow = true;
}

/*
 * Over the median: a successful run of a phase against the median of that
 * phase's last retained successful runs (history_phase_median compares
 * whole runs, so the run is what is measured). Before history_run_end, so
 * the run does not count in its own median.
 */
static void
histlink_check_median(struct histlink *hl, struct histlink_run *r,
    const struct history_run_end *end, int64_t start_us)
{
	int64_t median_us = 0, dur_us = end->end_us - start_us;

	if (end->status != HISTORY_OK || r->phase_slow || start_us <= 0 ||
	    dur_us < 0 || history_check_slow(hl->h, r->root, r->workspace,
	    r->phase, dur_us, 0, &median_us) != HISTORY_SLOW_MEDIAN)
		return;
	histlink_slow_event(hl, r, r->workspace, r->phase, dur_us,
	    HISTORY_SLOW_MEDIAN, median_us);
	histlink_mark_slow(hl, r, r->phase_sid);
}

void
histlink_on_event(void *arg, const struct engine_event *ev)
{
	struct histlink *hl = arg;
	struct history_run_end end;
	struct histlink_run *r;
	size_t idx = 0;

	switch (ev->kind) {
	case ENGINE_EV_RUN_START:
		if (histlink_find(hl, ev->run_id, NULL) == NULL)
			histlink_begin(hl, ev);
		histlink_seen_update(hl);
		histlink_arm(hl);
		return;
	case ENGINE_EV_SPAN_START:
	case ENGINE_EV_SPAN_END:
		r = histlink_find(hl, ev->run_id, NULL);
		if (r == NULL || ev->span == NULL)
			return;
		if (ev->kind == ENGINE_EV_SPAN_END)
			histlink_span_end(hl, r, ev->span, ev->output,
			    ev->output_len);
		else if (histlink_span_id(r, ev->span->id) == 0)
			histlink_span_add(hl, r, ev->span, -1);
		histlink_arm(hl);
		return;
	case ENGINE_EV_RUN_END:
		/* A run cancelled while queued never started: still a run. */
		if (histlink_find(hl, ev->run_id, &idx) == NULL) {
			histlink_begin(hl, ev);
			idx = hl->n_runs - 1;
		}
		r = hl->runs[idx];
		memset(&end, 0, sizeof(end));
		end.status = histlink_status(ev->status);
		if (end.status == HISTORY_RUNNING)
			end.status = HISTORY_FAILED;
		end.exit_code = ev->exit_code;
		end.signal = ev->signal;
		end.end_us = ev->end_us != 0 ? ev->end_us : histlink_now_us();
		end.cache_key = ev->cache_key;
		end.output = ev->output;
		end.output_len = ev->output_len;
		histlink_check_median(hl, r, &end, ev->start_us);
		histlink_finish(hl, r, &end);
		hl->runs[idx] = hl->runs[--hl->n_runs];
		histlink_run_free(r);
		histlink_seen_update(hl);
		histlink_flush(hl);
		return;
	case ENGINE_EV_OUTPUT:
	case ENGINE_EV_RUN_QUEUED:	/* published only: never here */
	case ENGINE_EV_PHASE_SKIPPED:
	case ENGINE_EV_PHASE_LOOP:
		return;
	}
}

void
histlink_status_get(const struct histlink *hl, struct histlink_status *o)
{
	memset(o, 0, sizeof(*o));
	history_get_flush_stats(hl->h, &o->flush);
	o->path = hl->path;
	o->size_bytes = history_db_size(hl->h);
	o->degraded = history_degraded(hl->h);
	o->reason = history_status_text(hl->h);
	o->keep = hl->keep;
	o->pending = history_pending(hl->h);
	o->flush_errors = hl->flush_errors;
	o->slow_phases = hl->slow_phases;
}

int
histlink_get_run(struct histlink *hl, uint64_t id, struct history_run **out,
    struct gerr *err)
{
	*out = NULL;
	return history_get_run(hl->h, id, out, err);
}
