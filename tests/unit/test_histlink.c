/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_histlink.c - daemon/histlink: engine events (spans reported
 * children first) become a proper span tree under the engine's run id;
 * the 100 ms timer writes a started run; run end flushes at once; slow
 * phases (budget and median) are marked and published; runs never started
 * and runs live at close are recorded; the status object.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "histlink.h"
#include "log.h"
#include "wire_run.h"
#include "xmalloc.h"

struct fixture {
	char dir[64];
	char path[128];
	struct ev_loop *loop;
	struct histlink *hl;
	char events[8][512];	/* published lines */
	int n_events;
};

/* The slow-phase events, as the lines subscribers get (wire_run.h). */
static void
publish(void *arg, const struct histlink_slow *ev)
{
	struct fixture *f = arg;
	char *line = wire_run_slow_line(ev);

	if (f->n_events < 8)
		snprintf(f->events[f->n_events++], sizeof(f->events[0]), "%s",
		    line);
	free(line);
}

/* The history object of `status`, as sent (wire_run.h). */
static cJSON *
status_json(const struct histlink *hl)
{
	struct histlink_status st;

	histlink_status_get(hl, &st);
	return wire_run_history_status(&st);
}

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void
fx_open(struct fixture *f)
{
	assert_int_equal(histlink_open(f->loop, f->path, 0, 0, 0, &f->hl, NULL), 0);
	histlink_set_publish(f->hl, publish, f);
}

static int
setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));

	log_set_level(LOG_LEVEL_ERROR);
	snprintf(f->dir, sizeof(f->dir), "/tmp/test_histlink.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/h/history.db", f->dir);
	f->loop = ev_loop_new(EVFLAG_AUTO);
	fx_open(f);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	histlink_free(f->hl);
	ev_loop_destroy(f->loop);
	nftw(f->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

/* A RUN_START (status ENGINE_RUNNING) or RUN_END event for run id. */
static void
feed_run(struct fixture *f, enum engine_event_kind kind, uint64_t id,
    const char *phase, enum engine_status st, int64_t start_us,
    int64_t end_us)
{
	struct engine_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.kind = kind;
	ev.run_id = id;
	ev.root = "/r";
	ev.workspace = "";
	ev.phase = phase;
	ev.trigger = ENGINE_TRIGGER_MANUAL;
	ev.start_us = start_us;
	ev.end_us = end_us;
	ev.status = st;
	ev.exit_code = st == ENGINE_OK ? 0 : -1;
	if (kind == ENGINE_EV_RUN_END) {
		ev.output = "hello\n";
		ev.output_len = 6;
	}
	histlink_on_event(f->hl, &ev);
}

#define feed_start(f, id, phase, start_us) \
	feed_run((f), ENGINE_EV_RUN_START, (id), (phase), ENGINE_RUNNING, \
	    (start_us), 0)
#define feed_end(f, id, phase, st, start_us, end_us) \
	feed_run((f), ENGINE_EV_RUN_END, (id), (phase), (st), (start_us), \
	    (end_us))

/* A SPAN_START (dur_us -1, running) or SPAN_END (ok) event of run. */
static void
feed_span_ev(struct fixture *f, enum engine_event_kind ek, uint64_t run,
    uint64_t id, uint64_t parent, enum engine_span_kind kind,
    const char *name, int64_t start_us, int64_t dur_us, bool slow)
{
	struct engine_span sp = {
		.id = id, .parent = parent, .kind = kind, .name = name,
		.workspace = "", .start_us = start_us, .dur_us = dur_us,
		.status = ek == ENGINE_EV_SPAN_END ? ENGINE_OK : ENGINE_RUNNING,
		.slow = slow,
	};
	struct engine_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.kind = ek;
	ev.run_id = run;
	ev.root = "/r";
	ev.span = &sp;
	histlink_on_event(f->hl, &ev);
}

#define feed_span(f, run, id, parent, kind, name, start_us, dur_us, slow) \
	feed_span_ev((f), ENGINE_EV_SPAN_END, (run), (id), (parent), (kind), \
	    (name), (start_us), (dur_us), (slow))
#define feed_span_start(f, run, id, parent, kind, name, start_us) \
	feed_span_ev((f), ENGINE_EV_SPAN_START, (run), (id), (parent), \
	    (kind), (name), (start_us), -1, false)

static double
status_num(struct fixture *f, const char *name)
{
	cJSON *o = status_json(f->hl);
	double v = cJSON_GetObjectItemCaseSensitive(o, name)->valuedouble;

	cJSON_Delete(o);
	return v;
}

static bool
status_bool(struct fixture *f, const char *name)
{
	cJSON *o = status_json(f->hl);
	bool v = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, name));

	cJSON_Delete(o);
	return v;
}

static void
sync_store(struct fixture *f)
{
	assert_int_equal(history_sync(histlink_history(f->hl), NULL), 0);
}

#define T0 ((int64_t)1763780000 * 1000000)

static void
test_tree_and_ids(void **state)
{
	struct fixture *f = *state;
	struct history_run *r = NULL;

	assert_int_equal(histlink_next_run_id(f->hl), 1);
	feed_start(f, 7, "build", T0);
	assert_true(status_bool(f, "pending"));
	/* Starts parents first, ends children first, as the engine does. */
	feed_span_start(f, 7, 1, 0, ENGINE_SPAN_PHASE, "build", T0);
	feed_span_start(f, 7, 2, 1, ENGINE_SPAN_HOOK, "lint", T0 + 10);
	feed_span_start(f, 7, 3, 2, ENGINE_SPAN_COMMAND, "make", T0 + 20);
	/* A live run shows its running spans. */
	sync_store(f);
	assert_int_equal(history_get_run(histlink_history(f->hl), 7, &r,
	    NULL), 0);
	assert_int_equal(r->n_spans, 3);
	assert_int_equal(r->spans[2].status, HISTORY_RUNNING);
	assert_int_equal(r->spans[2].dur_us, -1);
	history_run_free(r);
	feed_span(f, 7, 3, 2, ENGINE_SPAN_COMMAND, "make", T0 + 20, 500, false);
	feed_span(f, 7, 2, 1, ENGINE_SPAN_HOOK, "lint", T0 + 10, 600, false);
	feed_span(f, 7, 1, 0, ENGINE_SPAN_PHASE, "build", T0, 800, false);
	/* An end without a start is still recorded (top level if its parent
	 * is unknown). */
	feed_span(f, 7, 4, 9, ENGINE_SPAN_PHASE, "late", T0 + 900, 5, false);
	feed_end(f, 7, "build", ENGINE_OK, T0, T0 + 1000);
	/* Run end posted the batch at once: nothing left for the timer. */
	assert_false(status_bool(f, "pending"));
	sync_store(f);
	assert_int_equal(histlink_next_run_id(f->hl), 8);
	assert_int_equal(history_get_run(histlink_history(f->hl), 7, &r,
	    NULL), 0);
	assert_int_equal(r->id, 7);
	assert_int_equal(r->status, HISTORY_OK);
	assert_int_equal(r->end_us - r->start_us, 1000);
	assert_string_equal(r->output, "hello\n");
	assert_int_equal(r->n_spans, 4);
	/* Store ids follow engine ids (start order), parents first. */
	assert_string_equal(r->spans[0].name, "build");
	assert_int_equal(r->spans[0].parent, 0);
	assert_string_equal(r->spans[1].name, "lint");
	assert_int_equal(r->spans[1].kind, HISTORY_SPAN_HOOK);
	assert_int_equal(r->spans[1].parent, r->spans[0].id);
	assert_string_equal(r->spans[2].name, "make");
	assert_int_equal(r->spans[2].parent, r->spans[1].id);
	assert_int_equal(r->spans[2].dur_us, 500);
	assert_int_equal(r->spans[2].status, HISTORY_OK);
	assert_string_equal(r->spans[3].name, "late");
	assert_int_equal(r->spans[3].parent, 0);
	history_run_free(r);
	/* Two batches (the sync mid-run, then run end): the run row twice,
	 * the three started spans twice, `late` once. */
	assert_int_equal(status_num(f, "transactions"), 2);
	assert_int_equal(status_num(f, "runs_written"), 2);
	assert_int_equal(status_num(f, "spans_written"), 7);
	assert_int_equal(f->n_events, 0);
}

/* A SPAN_END of phase name (workspace ws) with its own output and st. */
static void
feed_phase_end(struct fixture *f, uint64_t run, uint64_t id, const char *ws,
    const char *name, enum engine_status st, const char *out)
{
	struct engine_span sp = {
		.id = id, .kind = ENGINE_SPAN_PHASE, .name = name,
		.workspace = ws, .start_us = T0, .dur_us = 5, .status = st,
	};
	struct engine_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.kind = ENGINE_EV_SPAN_END;
	ev.run_id = run;
	ev.root = "/r";
	ev.span = &sp;
	ev.output = out;
	ev.output_len = out != NULL ? strlen(out) : 0;
	histlink_on_event(f->hl, &ev);
}

/* Each phase span keeps the output its SPAN_END carried; the successful
 * phases answer first_run_only from memory, before and after a reopen. */
static void
test_phase_output_and_first_run(void **state)
{
	struct fixture *f = *state;
	struct history_run *r = NULL;

	assert_false(histlink_first_run_done(f->hl, "/r", "", "b"));
	feed_start(f, 3, "d", T0);
	feed_span_start(f, 3, 1, 0, ENGINE_SPAN_PHASE, "b", T0);
	feed_span_start(f, 3, 2, 0, ENGINE_SPAN_PHASE, "c", T0);
	feed_phase_end(f, 3, 2, "", "c", ENGINE_FAILED, "c1\nc2\n");
	feed_phase_end(f, 3, 1, "", "b", ENGINE_OK, "b1\nb2\n");
	feed_phase_end(f, 3, 3, "w", "e", ENGINE_CACHED, NULL);
	assert_true(histlink_first_run_done(f->hl, "/r", "", "b"));
	assert_false(histlink_first_run_done(f->hl, "/r", "", "c"));
	assert_true(histlink_first_run_done(f->hl, "/r", "w", "e"));
	assert_false(histlink_first_run_done(f->hl, "/r", "", "e"));
	assert_false(histlink_first_run_done(f->hl, "/other", "", "b"));
	feed_end(f, 3, "d", ENGINE_FAILED, T0, T0 + 100);
	histlink_free(f->hl);
	fx_open(f);
	assert_true(histlink_first_run_done(f->hl, "/r", "", "b"));
	assert_true(histlink_first_run_done(f->hl, "/r", "w", "e"));
	assert_false(histlink_first_run_done(f->hl, "/r", "", "c"));
	assert_int_equal(history_get_run(histlink_history(f->hl), 3, &r,
	    NULL), 0);
	assert_int_equal(r->n_spans, 3);
	assert_string_equal(r->spans[0].name, "b");
	assert_string_equal(r->spans[0].output, "b1\nb2\n");
	assert_string_equal(r->spans[1].output, "c1\nc2\n");
	assert_null(r->spans[2].output);
	assert_string_equal(r->output, "hello\n");	/* the run's, as before */
	history_run_free(r);
}

static void
test_late_queued_run_keeps_its_id(void **state)
{
	struct fixture *f = *state;
	struct history_filter flt = { 0 };
	struct history_run *runs = NULL;
	size_t n = 0;

	/* Engine run 5 waits in the queue while run 6 starts and ends. */
	feed_start(f, 6, "other", T0);
	feed_end(f, 6, "other", ENGINE_OK, T0, T0 + 10);
	feed_start(f, 5, "build", T0 + 20);
	feed_start(f, 5, "build", T0 + 20);	/* a repeat is ignored */
	feed_end(f, 5, "build", ENGINE_OK, T0 + 20, T0 + 30);
	feed_start(f, 9, "build", T0 + 40);
	feed_end(f, 9, "build", ENGINE_OK, T0 + 40, T0 + 50);
	sync_store(f);
	assert_int_equal(history_list(histlink_history(f->hl), &flt, &runs,
	    &n, NULL), 0);
	assert_int_equal(n, 3);
	assert_int_equal(runs[0].id, 9);
	assert_int_equal(runs[1].id, 6);
	assert_int_equal(runs[2].id, 5);
	assert_string_equal(runs[2].phase, "build");
	history_runs_free(runs, n);
	assert_int_equal(histlink_next_run_id(f->hl), 10);
}

static void
test_timer_writes_started_run(void **state)
{
	struct fixture *f = *state;
	struct history_run *runs = NULL;
	struct history_filter flt = { 0 };
	size_t n = 0;

	feed_start(f, 1, "long", 0);
	assert_true(status_bool(f, "pending"));
	assert_int_equal(status_num(f, "transactions"), 0);
	/* The armed timer is the loop's only reason to run: it fires once,
	 * flushes, and the loop ends (nothing left armed). */
	ev_run(f->loop, 0);
	assert_false(status_bool(f, "pending"));
	sync_store(f);
	assert_int_equal(status_num(f, "transactions"), 1);
	/* A second daemon would see it: reopen (close ends it interrupted). */
	histlink_free(f->hl);
	fx_open(f);
	assert_int_equal(history_list(histlink_history(f->hl), &flt, &runs,
	    &n, NULL), 0);
	assert_int_equal(n, 1);
	assert_int_equal(runs[0].status, HISTORY_INTERRUPTED);
	history_runs_free(runs, n);
	assert_int_equal(histlink_next_run_id(f->hl), 2);
}

static void
test_never_started_run(void **state)
{
	struct fixture *f = *state;
	struct history_run *r = NULL;

	feed_end(f, 3, "build", ENGINE_CANCELLED, T0, T0 + 5);
	sync_store(f);
	assert_int_equal(history_get_run(histlink_history(f->hl), 3, &r,
	    NULL), 0);
	assert_int_equal(r->status, HISTORY_CANCELLED);
	assert_int_equal(r->n_spans, 0);
	history_run_free(r);
	/* A status the store has no word for counts as failed. */
	feed_start(f, 4, "build", T0);
	feed_end(f, 4, "build", ENGINE_QUEUED, T0, T0 + 5);
	sync_store(f);
	assert_int_equal(history_get_run(histlink_history(f->hl), 4, &r,
	    NULL), 0);
	assert_int_equal(r->status, HISTORY_FAILED);
	history_run_free(r);
}

static void
test_slow_budget_and_median(void **state)
{
	struct fixture *f = *state;
	struct history_run *r = NULL;
	cJSON *ev, *data;
	uint64_t id;

	/* Over budget (the engine's verdict). */
	feed_start(f, 1, "b", T0);
	feed_span(f, 1, 1, 0, ENGINE_SPAN_PHASE, "b", T0, 3000, true);
	feed_end(f, 1, "b", ENGINE_OK, T0, T0 + 3000);
	assert_int_equal(f->n_events, 1);
	ev = cJSON_Parse(f->events[0]);
	assert_non_null(ev);
	assert_string_equal(cJSON_GetObjectItem(ev, "event")->valuestring,
	    "phase.slow");
	data = cJSON_GetObjectItem(ev, "data");
	assert_string_equal(cJSON_GetObjectItem(data, "reason")->valuestring,
	    "budget");
	assert_string_equal(cJSON_GetObjectItem(data, "phase")->valuestring,
	    "b");
	assert_int_equal(cJSON_GetObjectItem(data, "run")->valuedouble, 1);
	cJSON_Delete(ev);
	/* Median: five runs of 1 s, then 1.1 s (not over 10%), then 1.2 s
	 * (both over the 50 ms floor, so the 10% rule decides). */
	for (id = 2; id <= 6; id++) {
		feed_start(f, id, "m", T0);
		feed_span(f, id, 1, 0, ENGINE_SPAN_PHASE, "m", T0, 1000000, false);
		feed_end(f, id, "m", ENGINE_OK, T0, T0 + 1000000);
	}
	feed_start(f, 7, "m", T0);
	feed_span(f, 7, 1, 0, ENGINE_SPAN_PHASE, "m", T0, 1100000, false);
	feed_end(f, 7, "m", ENGINE_OK, T0, T0 + 1100000);
	assert_int_equal(f->n_events, 1);
	feed_start(f, 8, "m", T0);
	feed_span(f, 8, 1, 0, ENGINE_SPAN_PHASE, "m", T0, 1200000, false);
	/* Only phase and hook spans are judged, however long the rest. */
	feed_span(f, 8, 2, 0, ENGINE_SPAN_COMMAND, "m", T0, 99000000, false);
	feed_end(f, 8, "m", ENGINE_OK, T0, T0 + 1200000);
	assert_int_equal(f->n_events, 2);
	ev = cJSON_Parse(f->events[1]);
	data = cJSON_GetObjectItem(ev, "data");
	assert_string_equal(cJSON_GetObjectItem(data, "reason")->valuestring,
	    "median");
	assert_int_equal(cJSON_GetObjectItem(data, "median_ms")->valuedouble,
	    1000);
	cJSON_Delete(ev);
	sync_store(f);
	assert_int_equal(history_get_run(histlink_history(f->hl), 8, &r,
	    NULL), 0);
	assert_true(r->slow);
	assert_true(r->spans[0].slow);
	assert_false(r->spans[1].slow);
	history_run_free(r);
	assert_int_equal(history_get_run(histlink_history(f->hl), 7, &r,
	    NULL), 0);
	assert_false(r->slow);
	history_run_free(r);
	assert_int_equal(status_num(f, "slow_phases"), 2);
}

static void
test_status_and_bad_path(void **state)
{
	struct fixture *f = *state;
	struct histlink *hl = NULL;
	struct gerr err;
	cJSON *o;

	o = status_json(f->hl);
	assert_string_equal(cJSON_GetObjectItem(o, "path")->valuestring,
	    f->path);
	assert_false(cJSON_IsTrue(cJSON_GetObjectItem(o, "degraded")));
	assert_string_equal(cJSON_GetObjectItem(o, "reason")->valuestring,
	    "ok");
	assert_int_equal(cJSON_GetObjectItem(o, "keep")->valuedouble,
	    HISTORY_KEEP_DEFAULT);
	assert_true(cJSON_GetObjectItem(o, "size_bytes")->valuedouble > 0);
	cJSON_Delete(o);
	gerr_clear(&err);
	assert_int_equal(histlink_open(f->loop, "", 0, 0, 0, &hl, &err),
	    GERR_INVALID);
	assert_null(hl);
	assert_non_null(strstr(err.msg, "empty path"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_phase_output_and_first_run,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_tree_and_ids, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_late_queued_run_keeps_its_id, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timer_writes_started_run,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_never_started_run, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_slow_budget_and_median,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_status_and_bad_path, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
