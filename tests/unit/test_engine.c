/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests for daemon/engine.c's on-save path on a real libev default
 * loop: engine_on_batch with the busy policies (queue: ten saves during a
 * one-second build give exactly one rerun that absorbs them; restart;
 * ignore), a phase's own outputs never triggering it, workspace routing
 * with GGEN_CHANGED relative to the workspace, and the run listener's
 * events. No sleeps in the tests: the loop runs until the awaited run
 * events, under a safety timer that fails instead of hanging.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine.h"
#include "strbuf.h"
#include "wire_run.h"
#include "xmalloc.h"

#define ET_SAFETY_S 30.0
#define ET_RUNS_MAX 16

struct et {
	struct ev_loop *loop;
	struct engine *g;
	char *dir;		/* the root */
	char *state;		/* state dir */
	int started, finished, span_starts, span_ends;
	enum engine_status status[ET_RUNS_MAX + 1];
	size_t trigger_files[ET_RUNS_MAX + 1];
	int seen_output;	/* follower saw "start" (0 or 1) */
	bool timed_out;
	bool manual;		/* runs are engine_submit'ed, not saves */
	ev_timer safety;
};

static void
et_listener(void *arg, const struct engine_event *ev)
{
	struct et *t = arg;

	assert_true(ev->run_id >= 1 && ev->run_id <= ET_RUNS_MAX);
	switch (ev->kind) {
	case ENGINE_EV_RUN_START:
		t->started++;
		t->trigger_files[ev->run_id] = ev->n_trigger_files;
		assert_int_equal(ev->trigger, t->manual ?
		    ENGINE_TRIGGER_MANUAL : ENGINE_TRIGGER_SAVE);
		break;
	case ENGINE_EV_SPAN_START:
		assert_int_equal(ev->span->dur_us, -1);
		assert_true(ev->span->parent < ev->span->id);
		t->span_starts++;
		break;
	case ENGINE_EV_SPAN_END:
		assert_true(ev->span->dur_us >= 0);
		t->span_ends++;
		break;
	case ENGINE_EV_RUN_END:
		t->finished++;
		t->status[ev->run_id] = ev->status;
		assert_true(ev->end_us >= ev->start_us);
		break;
	default:
		fail_msg("listener got event kind %d", (int)ev->kind);
	}
}

static void
et_follower(void *arg, const struct engine_event *ev)
{
	struct et *t = arg;

	if (ev->kind == ENGINE_EV_OUTPUT && ev->output_len >= 5 &&
	    memmem(ev->output, ev->output_len, "start", 5) != NULL)
		t->seen_output = 1;
}

static void
et_safety_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct et *t = w->data;

	(void)revents;
	t->timed_out = true;
	ev_break(loop, EVBREAK_ALL);
}

static void
et_write(const char *dir, const char *rel, const char *text)
{
	char *path = xasprintf("%s/%s", dir, rel);
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	free(path);
}

static char *
et_read(const char *dir, const char *rel)
{
	char *path = xasprintf("%s/%s", dir, rel);
	struct strbuf sb;
	char buf[256];
	size_t n;
	FILE *f = fopen(path, "r");

	free(path);
	strbuf_init(&sb);
	if (f == NULL)
		return strbuf_detach(&sb, NULL);
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		strbuf_add(&sb, buf, n);
	fclose(f);
	return strbuf_detach(&sb, NULL);
}

static int
et_setup(void **state)
{
	struct et *t = xcalloc(1, sizeof(*t));
	char tmpl[] = "/tmp/ggen-engine-XXXXXX";

	assert_non_null(mkdtemp(tmpl));
	t->dir = xasprintf("%s/root", tmpl);
	t->state = xstrdup(tmpl);
	assert_int_equal(mkdir(t->dir, 0700), 0);
	t->loop = ev_default_loop(0);
	t->g = engine_new(t->loop, t->state);
	assert_int_equal(engine_add_run_listener(t->g, et_listener, t, NULL),
	    0);
	ev_timer_init(&t->safety, et_safety_cb, ET_SAFETY_S, 0);
	t->safety.data = t;
	*state = t;
	return 0;
}

static int
et_teardown(void **state)
{
	struct et *t = *state;
	char *cmd;

	engine_free(t->g);
	ev_timer_stop(t->loop, &t->safety);
	cmd = xasprintf("rm -rf '%s'", t->state);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	free(t->dir);
	free(t->state);
	free(t);
	return 0;
}

/* Run the loop until *counter reaches n (or the safety timer fires). */
static void
et_wait(struct et *t, const int *counter, int n)
{
	ev_timer_start(t->loop, &t->safety);
	while (*counter < n && !t->timed_out)
		ev_run(t->loop, EVRUN_ONCE);
	ev_timer_stop(t->loop, &t->safety);
	assert_false(t->timed_out);
}

/* Follow run id and run the loop until it printed "start". */
static void
et_wait_output(struct et *t, uint64_t id)
{
	t->seen_output = 0;
	assert_int_equal(engine_follow(t->g, id, et_follower, t, NULL), 0);
	et_wait(t, &t->seen_output, 1);
}

static void
et_batch(struct et *t, const char *path)
{
	const char *changed[1] = { path };

	engine_on_batch(t->g, t->dir, NULL, changed, NULL, 1);
}

static double
et_next_id(struct et *t)
{
	struct engine_overview ov;
	cJSON *s;
	double id;

	/* Through the wire form `status` sends (daemon/wire_run.h). */
	engine_overview_get(t->g, &ov);
	s = wire_run_overview(&ov);
	engine_overview_release(&ov);
	id = cJSON_GetObjectItem(s, "next_id")->valuedouble;
	cJSON_Delete(s);
	return id;
}

static void
test_queue_absorbs_saves(void **state)
{
	struct et *t = *state;
	char *log;

	et_write(t->dir, "make.toml", "[project]\nname = \"t\"\n"
	    "[lifecycle.build]\ncommand = \"echo run >> log.txt; sleep 1\"\n"
	    "watch = [\"src/*.c\"]\n");
	et_batch(t, "src/a0.c");
	assert_int_equal(t->started, 1);
	/* nine more saves while the one-second build runs */
	for (int i = 1; i < 10; i++) {
		char p[32];

		snprintf(p, sizeof(p), "src/a%d.c", i);
		et_batch(t, p);
	}
	et_batch(t, "README.md");	/* not watched: no run */
	et_wait(t, &t->finished, 2);
	assert_int_equal(t->started, 2);
	assert_int_equal(t->status[1], ENGINE_OK);
	assert_int_equal(t->status[2], ENGINE_OK);
	assert_int_equal(t->trigger_files[1], 1);
	assert_int_equal(t->trigger_files[2], 9);	/* one rerun, all saves */
	assert_true(et_next_id(t) == 3);
	log = et_read(t->dir, "log.txt");
	assert_string_equal(log, "run\nrun\n");
	free(log);
	/* phase + command span per run */
	assert_int_equal(t->span_starts, 4);
	assert_int_equal(t->span_ends, 4);
}

/* runs.queue_max: with a bound of 1, a second waiting run is refused
 * busy, naming the setting; the waiting one still runs. */
static void
test_queue_max_refuses_busy(void **state)
{
	struct et *t = *state;
	const char *phases[1] = { "serve" };
	struct engine_request req = { .root = t->dir, .phases = phases,
	    .n_phases = 1, .trigger = ENGINE_TRIGGER_MANUAL };
	uint64_t a = 0, b = 0, c = 0;
	struct gerr err;

	et_write(t->dir, "make.toml", "[project]\nname = \"t\"\n"
	    "[lifecycle.serve]\ncommand = \"echo start; exec sleep 30\"\n");
	engine_set_queue_max(t->g, 1);
	t->manual = true;
	assert_int_equal(engine_submit(t->g, &req, NULL, NULL, &a, NULL), 0);
	req.after_run = a;	/* waits behind a: queued */
	assert_int_equal(engine_submit(t->g, &req, NULL, NULL, &b, NULL), 0);
	gerr_clear(&err);
	assert_int_equal(engine_submit(t->g, &req, NULL, NULL, &c, &err),
	    GERR_BUSY);
	assert_non_null(strstr(err.msg,
	    "1 runs are already waiting (runs.queue_max)"));
	assert_int_equal(engine_cancel(t->g, b, NULL), 0);
	assert_int_equal(engine_cancel(t->g, a, NULL), 0);
	et_wait(t, &t->finished, 2);
	assert_int_equal(t->status[a], ENGINE_CANCELLED);
	assert_int_equal(t->status[b], ENGINE_CANCELLED);
	/* 0 restores the default bound */
	engine_set_queue_max(t->g, 0);
}

static void
test_restart_restarts_server(void **state)
{
	struct et *t = *state;
	char *log;

	et_write(t->dir, "make.toml", "[project]\nname = \"t\"\n"
	    "[lifecycle.serve]\ncommand = \"echo start >> log.txt; echo start;"
	    " exec sleep 30\"\nwatch = true\non_busy = \"restart\"\n");
	et_batch(t, "a.txt");
	assert_int_equal(t->started, 1);
	/* the server is up (it printed), then a save restarts it */
	et_wait_output(t, 1);
	et_batch(t, "b.txt");
	et_wait(t, &t->started, 2);
	assert_int_equal(t->status[1], ENGINE_CANCELLED);
	et_wait_output(t, 2);
	assert_int_equal(engine_cancel(t->g, 2, NULL), 0);
	et_wait(t, &t->finished, 2);
	assert_int_equal(t->status[2], ENGINE_CANCELLED);
	log = et_read(t->dir, "log.txt");
	assert_string_equal(log, "start\nstart\n");
	free(log);
	assert_int_equal(engine_cancel(t->g, 2, NULL), GERR_RUN_NOT_FOUND);
}

static void
test_ignore_drops_batches(void **state)
{
	struct et *t = *state;

	et_write(t->dir, "make.toml", "[project]\nname = \"t\"\n"
	    "[lifecycle.serve]\ncommand = \"exec sleep 30\"\nwatch = true\n"
	    "on_busy = \"ignore\"\n");
	et_batch(t, "a.txt");
	et_batch(t, "b.txt");
	et_batch(t, "c.txt");
	assert_true(et_next_id(t) == 2);
	assert_int_equal(engine_cancel(t->g, 1, NULL), 0);
	et_wait(t, &t->finished, 1);
	assert_int_equal(t->status[1], ENGINE_CANCELLED);
	assert_int_equal(t->started, 1);
}

static void
test_outputs_and_workspaces(void **state)
{
	struct et *t = *state;
	char *dir = xasprintf("%s/w1", t->dir), *s;

	assert_int_equal(mkdir(dir, 0700), 0);
	et_write(t->dir, "make.toml", "[project]\nname = \"t\"\n"
	    "[workspace.w1]\npath = \"w1\"\n");
	et_write(dir, "make.toml", "[project]\nname = \"w\"\n"
	    "[lifecycle.gen]\ncommand = \"printf '%s' \\\"$GGEN_CHANGED\\\" > "
	    "out/changed.txt\"\nwatch = true\noutputs = [\"out/\"]\n");
	s = xasprintf("%s/out", dir);
	assert_int_equal(mkdir(s, 0700), 0);
	free(s);
	/* its own outputs never trigger it; other places neither */
	et_batch(t, "w1/out/changed.txt");
	et_batch(t, "w1/out");
	et_batch(t, "elsewhere/x.c");
	assert_true(et_next_id(t) == 1);
	et_batch(t, "w1/src/x.c");
	et_wait(t, &t->finished, 1);
	assert_int_equal(t->status[1], ENGINE_OK);
	s = et_read(dir, "out/changed.txt");
	assert_string_equal(s, "src/x.c");
	free(s);
	free(dir);
}

/* Without a hot file table the key is computed on the engine's worker
 * (walking and hashing off the loop): the first run misses, the second
 * hits, an input edit misses again, and the key reached the state file
 * (written on the worker too) by the time the engine is freed. */
static void
test_cache_key_on_worker(void **state)
{
	struct et *t = *state;
	char *s;

	et_write(t->dir, "make.toml", "[project]\nname = \"t\"\n"
	    "[lifecycle.build]\ncommand = \"echo built >> log.txt\"\n"
	    "watch = [\"*.c\"]\ncache = true\ninputs = [\"*.c\"]\n");
	et_write(t->dir, "a.c", "int a;\n");
	et_batch(t, "a.c");
	et_wait(t, &t->finished, 1);
	assert_int_equal(t->status[1], ENGINE_OK);
	et_batch(t, "b.c");		/* b.c is no input's match: no change */
	et_wait(t, &t->finished, 2);
	assert_int_equal(t->status[2], ENGINE_CACHED);
	et_write(t->dir, "a.c", "int a = 1;\n");
	et_batch(t, "a.c");
	et_wait(t, &t->finished, 3);
	assert_int_equal(t->status[3], ENGINE_OK);
	s = et_read(t->dir, "log.txt");
	assert_string_equal(s, "built\nbuilt\n");
	free(s);
	engine_free(t->g);
	t->g = engine_new(t->loop, t->state);
	s = et_read(t->state, "engine-cache.json");
	/* the id "ROOT\tWS\tPHASE", tabs escaped in JSON */
	assert_non_null(strstr(s, "\\tbuild\":\""));
	free(s);
}

/* A run cancelled while its key is on the worker ends cancelled at once;
 * the key's late result is dropped (ASan: nothing touches the run). */
static void
test_cancel_while_keying(void **state)
{
	struct et *t = *state;

	et_write(t->dir, "make.toml", "[project]\nname = \"t\"\n"
	    "[lifecycle.build]\ncommand = \"echo built >> log.txt\"\n"
	    "watch = true\ncache = true\ninputs = [\"**\"]\n");
	for (int i = 0; i < 200; i++) {
		char name[32];

		snprintf(name, sizeof(name), "f%d.txt", i);
		et_write(t->dir, name, "some input\n");
	}
	et_batch(t, "f0.txt");
	assert_int_equal(t->started, 1);
	assert_int_equal(engine_cancel(t->g, 1, NULL), 0);
	et_wait(t, &t->finished, 1);
	assert_int_equal(t->status[1], ENGINE_CANCELLED);
	/* freeing the engine now waits for the worker and drops the key */
}

/* A dry run's end as the test sees it. */
struct et_dry {
	int calls;
	enum gerr_code code;		/* of an end without a plan */
	char cache[16];
	char key[CACHEKEY_HEX_SIZE];
	size_t n_steps;
};

static void
et_dry_done(void *arg, struct engine_dry_plan *plan, const struct gerr *err)
{
	struct et_dry *d = arg;

	d->calls++;
	if (plan == NULL) {
		assert_non_null(err);
		d->code = err->code;
		return;
	}
	assert_null(err);
	d->n_steps = plan->n_steps;
	snprintf(d->cache, sizeof(d->cache), "%s", plan->steps[0].cache);
	memcpy(d->key, plan->steps[0].key, sizeof(d->key));
	engine_dry_plan_free(plan);
}

static void
et_dry_request(struct et *t, struct engine_request *er,
    const char *const *phases)
{
	memset(er, 0, sizeof(*er));
	er->root = t->dir;
	er->phases = phases;
	er->n_phases = 1;
	er->target = PLAN_TARGET_DEFAULT;
	er->trigger = ENGINE_TRIGGER_MANUAL;
}

/* A dry run on a root without a hot file table hashes its keys on the
 * worker: engine_dry_run returns before the plan is known and done comes
 * from the loop, once, with the key; a cancelled one is never told (its
 * result dropped); a bad request fails at once, done not called; a
 * stopping daemon ends one still hashing with GERR_SHUTTING_DOWN; one
 * still hashing when the engine is freed is dropped (ASan: no leak). */
static void
test_dry_run_on_worker(void **state)
{
	struct et *t = *state;
	const char *const phases[] = { "build" }, *const bad[] = { "nope" };
	struct engine_request er;
	struct engine_dry *job = NULL;
	struct et_dry d, c;
	struct gerr err;

	et_write(t->dir, "make.toml", "[project]\nname = \"t\"\n"
	    "[lifecycle.build]\ncommand = \"true\"\n"
	    "cache = true\ninputs = [\"*.c\"]\n");
	et_write(t->dir, "a.c", "int a;\n");
	et_dry_request(t, &er, phases);
	memset(&d, 0, sizeof(d));
	assert_int_equal(engine_dry_run(t->g, &er, et_dry_done, &d, &job,
	    NULL), 0);
	assert_non_null(job);
	assert_int_equal(d.calls, 0);		/* not on the loop */
	et_wait(t, &d.calls, 1);
	assert_int_equal(d.n_steps, 1);
	assert_string_equal(d.cache, "miss");
	assert_int_equal(strlen(d.key), CACHEKEY_HEX_SIZE - 1);
	/* Cancelled: never called, even once the worker is done. */
	memset(&c, 0, sizeof(c));
	assert_int_equal(engine_dry_run(t->g, &er, et_dry_done, &c, &job,
	    NULL), 0);
	engine_dry_cancel(t->g, job);
	memset(&d, 0, sizeof(d));
	assert_int_equal(engine_dry_run(t->g, &er, et_dry_done, &d, NULL,
	    NULL), 0);
	et_wait(t, &d.calls, 1);		/* the worker keeps order */
	assert_int_equal(c.calls, 0);
	/* A phase that does not exist: the error now, no callback. */
	et_dry_request(t, &er, bad);
	gerr_clear(&err);
	memset(&c, 0, sizeof(c));
	assert_int_equal(engine_dry_run(t->g, &er, et_dry_done, &c, &job,
	    &err), GERR_PHASE_NOT_FOUND);
	assert_null(job);
	assert_int_equal(c.calls, 0);
	/* Pending at engine_free (the teardown): dropped, untold. */
	et_dry_request(t, &er, phases);
	assert_int_equal(engine_dry_run(t->g, &er, et_dry_done, &c, &job,
	    NULL), 0);
	engine_free(t->g);
	t->g = engine_new(t->loop, t->state);
	assert_int_equal(c.calls, 0);
	/* Pending when the daemon stops: told, once, with the reason. */
	assert_int_equal(engine_dry_run(t->g, &er, et_dry_done, &c, &job,
	    NULL), 0);
	engine_cancel_where(t->g, NULL, "stopping", true);
	assert_int_equal(c.calls, 1);
	assert_int_equal(c.code, GERR_SHUTTING_DOWN);
	engine_free(t->g);
	t->g = NULL;
	assert_int_equal(c.calls, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_queue_max_refuses_busy,
		    et_setup, et_teardown),
		cmocka_unit_test_setup_teardown(test_queue_absorbs_saves,
		    et_setup, et_teardown),
		cmocka_unit_test_setup_teardown(test_restart_restarts_server,
		    et_setup, et_teardown),
		cmocka_unit_test_setup_teardown(test_ignore_drops_batches,
		    et_setup, et_teardown),
		cmocka_unit_test_setup_teardown(test_cache_key_on_worker,
		    et_setup, et_teardown),
		cmocka_unit_test_setup_teardown(test_cancel_while_keying,
		    et_setup, et_teardown),
		cmocka_unit_test_setup_teardown(test_outputs_and_workspaces,
		    et_setup, et_teardown),
		cmocka_unit_test_setup_teardown(test_dry_run_on_worker,
		    et_setup, et_teardown),
	};

	/* As ggend: grandchildren are reparented to us and reaped. */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
