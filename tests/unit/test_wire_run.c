/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_wire_run.c - daemon/wire_run: engine and history structs to the
 * protocol's JSON, read back as a client reads it (the line built by
 * protocol/message.c, parsed again): round trips of every field, members
 * left out or null for NULL and missing values, names that are not UTF-8
 * (U+FFFD text plus exact bytes in the NAME_b64 twin), published event
 * lines of each kind, and run ids read from requests.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "message.h"
#include "wire_run.h"
#include "xmalloc.h"

/* obj (consumed) as a client sees it: sent as an event's data, parsed
 * back. Asserts the line is valid UTF-8. Caller deletes. */
static cJSON *
sent(cJSON *obj)
{
	char *line = msg_event("t", obj);
	cJSON *doc, *data;

	assert_int_equal(msg_utf8_check(line, strlen(line)), strlen(line));
	doc = cJSON_Parse(line);
	free(line);
	assert_non_null(doc);
	data = cJSON_DetachItemFromObject(doc, "data");
	cJSON_Delete(doc);
	assert_non_null(data);
	return data;
}

/* An event line (consumed) parsed; asserts its name. Caller deletes the
 * returned data. */
static cJSON *
line_data(char *line, const char *name)
{
	cJSON *doc, *data;

	assert_non_null(line);
	assert_int_equal(msg_utf8_check(line, strlen(line)), strlen(line));
	doc = cJSON_Parse(line);
	free(line);
	assert_non_null(doc);
	assert_string_equal(cJSON_GetObjectItem(doc, "event")->valuestring,
	    name);
	data = cJSON_DetachItemFromObject(doc, "data");
	cJSON_Delete(doc);
	return data;
}

static const char *
str(const cJSON *o, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

	assert_true(cJSON_IsString(v));
	return v->valuestring;
}

static double
num(const cJSON *o, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

	assert_true(cJSON_IsNumber(v));
	return v->valuedouble;
}

static bool
has(const cJSON *o, const char *name)
{
	return cJSON_HasObjectItem(o, name);
}

static bool
is_null(const cJSON *o, const char *name)
{
	return cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(o, name));
}

/* RFC 4648 base64 decoded (test helper; caller frees, *len bytes). */
static char *
unb64(const char *s, size_t *len)
{
	static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmn"
	    "opqrstuvwxyz0123456789+/";
	char *out = xmalloc(strlen(s) + 1);
	unsigned acc = 0;
	int bits = 0;
	size_t n = 0;

	for (; *s != '\0' && *s != '='; s++) {
		const char *p = strchr(tab, *s);

		assert_non_null(p);
		acc = (acc << 6) | (unsigned)(p - tab);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[n++] = (char)((acc >> bits) & 0xff);
		}
	}
	*len = n;
	return out;
}

static const char *const phases2[] = { "build", "test" };
static const char *const skipped1[] = { "deploy" };

static void
test_run_round_trip(void **state)
{
	struct engine_run_info r = {
		.id = 42, .root = "/r", .phases = phases2, .n_phases = 2,
		.phase = "build test", .workspace = "w",
		.trigger = ENGINE_TRIGGER_SAVE, .status = ENGINE_FAILED,
		.start_us = 1795309931205475, .dur_us = 1500,
		.steps = 3, .steps_done = 2, .steps_cached = 1,
		.skipped = skipped1, .n_skipped = 1,
		.exit_code = 2, .signal = 9, .message = "boom",
	};
	cJSON *o = sent(wire_run_object(&r)), *a;

	(void)state;
	assert_int_equal(num(o, "id"), 42);
	assert_string_equal(str(o, "root"), "/r");
	a = cJSON_GetObjectItem(o, "phases");
	assert_int_equal(cJSON_GetArraySize(a), 2);
	assert_string_equal(cJSON_GetArrayItem(a, 1)->valuestring, "test");
	assert_string_equal(str(o, "phase"), "build test");
	assert_string_equal(str(o, "workspace"), "w");
	assert_string_equal(str(o, "trigger"), "save");
	assert_string_equal(str(o, "status"), "failed");
	assert_true(num(o, "start_us") == 1795309931205475.0);
	assert_true(num(o, "duration_ms") == 1.5);
	assert_int_equal(num(o, "steps"), 3);
	assert_int_equal(num(o, "steps_done"), 2);
	assert_int_equal(num(o, "steps_cached"), 1);
	assert_string_equal(cJSON_GetArrayItem(cJSON_GetObjectItem(o,
	    "skipped"), 0)->valuestring, "deploy");
	assert_int_equal(num(o, "exit_code"), 2);
	assert_int_equal(num(o, "signal"), 9);
	assert_string_equal(str(o, "message"), "boom");
	cJSON_Delete(o);
}

/* NULL strings, no skipped phases, no message, no process: members empty,
 * left out or null, never a crash. */
static void
test_run_missing_fields(void **state)
{
	struct engine_run_info r;
	cJSON *o;

	(void)state;
	memset(&r, 0, sizeof(r));
	r.id = 1;
	r.status = ENGINE_QUEUED;
	r.exit_code = -1;
	o = sent(wire_run_object(&r));
	assert_string_equal(str(o, "root"), "");
	assert_string_equal(str(o, "phase"), "");
	assert_string_equal(str(o, "workspace"), "");
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(o, "phases")),
	    0);
	assert_string_equal(str(o, "status"), "queued");
	assert_true(num(o, "duration_ms") == 0);
	assert_false(has(o, "skipped"));
	assert_false(has(o, "message"));
	assert_true(is_null(o, "exit_code"));
	assert_true(is_null(o, "signal"));
	cJSON_Delete(o);
}

static void
test_overview(void **state)
{
	struct engine_run_info act = { .id = 5, .root = "/a",
		.phases = phases2, .n_phases = 1, .workspace = "",
		.trigger = ENGINE_TRIGGER_MANUAL, .status = ENGINE_RUNNING };
	struct engine_root_env envs[2] = {
		{ .root = "/a", .env = "prod", .source = "-e" },
		{ .root = "/b", .env = NULL, .source = NULL },
	};
	struct engine_loop_info loop = { .root = "/a", .workspace = "",
		.phase = "gen" };
	struct engine_overview st = { .running = 1, .queued = 0,
		.finished = 7, .next_id = 9, .models_loaded = 2,
		.active = &act, .n_active = 1, .envs = envs, .n_envs = 2,
		.loops = &loop, .n_loops = 1 };
	cJSON *o, *e;

	(void)state;
	o = sent(wire_run_overview(&st));
	assert_int_equal(num(o, "running"), 1);
	assert_int_equal(num(o, "finished"), 7);
	assert_int_equal(num(o, "next_id"), 9);
	assert_int_equal(num(o, "models_loaded"), 2);
	assert_false(has(o, "last"));		/* no run finished */
	e = cJSON_GetArrayItem(cJSON_GetObjectItem(o, "active"), 0);
	assert_int_equal(num(e, "run"), 5);
	assert_string_equal(str(e, "status"), "running");
	assert_string_equal(str(e, "trigger"), "manual");
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(o, "failed")),
	    0);
	e = cJSON_GetObjectItem(o, "environments");
	assert_string_equal(str(cJSON_GetArrayItem(e, 0), "env"), "prod");
	assert_string_equal(str(cJSON_GetArrayItem(e, 0), "source"), "-e");
	assert_true(is_null(cJSON_GetArrayItem(e, 1), "env"));
	assert_false(has(cJSON_GetArrayItem(e, 1), "source"));
	e = cJSON_GetArrayItem(cJSON_GetObjectItem(o, "loops_stopped"), 0);
	assert_string_equal(str(e, "phase"), "gen");
	cJSON_Delete(o);
	st.has_last = true;
	st.last = act;
	o = sent(wire_run_overview(&st));
	assert_int_equal(num(cJSON_GetObjectItem(o, "last"), "id"), 5);
	cJSON_Delete(o);
}

/* Followers' progress: output bytes that are not UTF-8 and NUL become
 * U+FFFD; command spans and published-only kinds are not sent. */
static void
test_progress(void **state)
{
	struct engine_span sp = { .id = 1, .kind = ENGINE_SPAN_HOOK,
		.name = "lint", .workspace = "w", .dur_us = 2500,
		.status = ENGINE_CACHED, .cache = "restored" };
	struct engine_event ev;
	cJSON *o;

	(void)state;
	memset(&ev, 0, sizeof(ev));
	ev.kind = ENGINE_EV_OUTPUT;
	ev.run_id = 3;
	ev.output = "a\xff" "b\0c";
	ev.output_len = 5;
	ev.stream = 2;
	ev.span = &sp;
	o = sent(wire_run_progress(&ev));
	assert_string_equal(str(o, "type"), "output");
	assert_string_equal(str(o, "data"),
	    "a\xef\xbf\xbd" "b\xef\xbf\xbd" "c");
	assert_string_equal(str(o, "workspace"), "w");
	assert_int_equal(num(o, "stream"), 2);
	assert_int_equal(num(o, "run"), 3);
	cJSON_Delete(o);
	ev.kind = ENGINE_EV_SPAN_END;
	o = sent(wire_run_progress(&ev));
	assert_string_equal(str(o, "type"), "phase.finished");
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(o, "hook")));
	assert_string_equal(str(o, "status"), "cached");
	assert_int_equal(num(o, "duration_ms"), 2);
	assert_string_equal(str(o, "cache"), "restored");
	cJSON_Delete(o);
	sp.kind = ENGINE_SPAN_COMMAND;
	assert_null(wire_run_progress(&ev));
	ev.kind = ENGINE_EV_RUN_QUEUED;
	assert_null(wire_run_progress(&ev));
	ev.kind = ENGINE_EV_OUTPUT;
	ev.span = NULL;
	ev.output = NULL;
	ev.output_len = 0;
	o = sent(wire_run_progress(&ev));
	assert_string_equal(str(o, "data"), "");
	assert_false(has(o, "workspace"));
	cJSON_Delete(o);
}

/* Every published kind as its event line; unpublished kinds give none. */
static void
test_event_lines(void **state)
{
	const char *const files[] = { "ok.c", "bad\xff\xfe" };
	struct engine_span sp = { .kind = ENGINE_SPAN_PHASE, .name = "build",
		.workspace = "", .status = ENGINE_CACHED, .slow = true };
	struct engine_event ev;
	cJSON *d, *twin;
	char *raw;
	size_t len;

	(void)state;
	memset(&ev, 0, sizeof(ev));
	ev.run_id = 8;
	ev.root = "/r";
	ev.workspace = "";
	ev.phases = phases2;
	ev.n_phases = 2;
	ev.trigger = ENGINE_TRIGGER_STARTUP;
	ev.kind = ENGINE_EV_RUN_QUEUED;
	d = line_data(wire_run_event_line(&ev), "run.queued");
	assert_int_equal(num(d, "run"), 8);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(d, "phases")),
	    2);
	assert_string_equal(str(d, "trigger"), "startup");
	cJSON_Delete(d);
	ev.kind = ENGINE_EV_RUN_START;
	cJSON_Delete(line_data(wire_run_event_line(&ev), "run.started"));
	ev.kind = ENGINE_EV_SPAN_START;
	ev.span = &sp;
	ev.hook = "before_build";
	d = line_data(wire_run_event_line(&ev), "phase.started");
	assert_string_equal(str(d, "phase"), "build");
	assert_string_equal(str(d, "hook"), "before_build");
	cJSON_Delete(d);
	ev.hook = NULL;
	d = line_data(wire_run_event_line(&ev), "phase.started");
	assert_false(has(d, "hook"));
	cJSON_Delete(d);
	ev.kind = ENGINE_EV_SPAN_END;
	ev.cache = "skipped";
	ev.dur_us = 1234;
	d = line_data(wire_run_event_line(&ev), "phase.finished");
	assert_string_equal(str(d, "status"), "cached");
	assert_string_equal(str(d, "cache"), "skipped");
	assert_true(num(d, "duration_ms") == 1.234);
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(d, "slow")));
	cJSON_Delete(d);
	ev.kind = ENGINE_EV_PHASE_SKIPPED;
	ev.because = "lint";
	d = line_data(wire_run_event_line(&ev), "phase.finished");
	assert_string_equal(str(d, "status"), "skipped");
	assert_string_equal(str(d, "because"), "lint");
	cJSON_Delete(d);
	ev.kind = ENGINE_EV_PHASE_LOOP;
	ev.phase = "gen";
	ev.trigger_files = files;
	ev.n_trigger_files = 2;
	ev.rounds = 4;
	ev.message = "stopped";
	d = line_data(wire_run_event_line(&ev), "phase.loop");
	assert_int_equal(num(d, "rounds"), 4);
	assert_string_equal(cJSON_GetArrayItem(cJSON_GetObjectItem(d,
	    "files"), 1)->valuestring, "bad\xef\xbf\xbd\xef\xbf\xbd");
	twin = cJSON_GetObjectItem(d, "files_b64");
	assert_true(cJSON_IsNull(cJSON_GetArrayItem(twin, 0)));
	raw = unb64(cJSON_GetArrayItem(twin, 1)->valuestring, &len);
	assert_int_equal(len, 5);
	assert_memory_equal(raw, "bad\xff\xfe", 5);
	free(raw);
	cJSON_Delete(d);
	ev.kind = ENGINE_EV_RUN_END;
	ev.status = ENGINE_TIMEOUT;
	ev.exit_code = -1;
	ev.signal = 15;
	ev.dur_us = 2000000;
	ev.message = NULL;
	d = line_data(wire_run_event_line(&ev), "run.finished");
	assert_string_equal(str(d, "status"), "timeout");
	assert_int_equal(num(d, "duration_ms"), 2000);
	assert_true(is_null(d, "exit_code"));
	assert_int_equal(num(d, "signal"), 15);
	assert_false(has(d, "message"));
	cJSON_Delete(d);
	ev.kind = ENGINE_EV_OUTPUT;
	assert_null(wire_run_event_line(&ev));
	ev.kind = ENGINE_EV_SPAN_END;
	ev.span = NULL;
	assert_null(wire_run_event_line(&ev));
}

static void
test_dry_plan(void **state)
{
	const char *const cmds[] = { "make", "make check" };
	const char *const keys[] = { "CC" }, *const vals[] = { "clang" };
	const char *const after[] = { "lint" };
	struct engine_dry_step steps[2];
	struct engine_dry_plan p;
	cJSON *o, *s;

	(void)state;
	memset(steps, 0, sizeof(steps));
	memset(&p, 0, sizeof(p));
	steps[0].phase = "lint";
	steps[0].workspace = "";
	steps[0].hook = "before_build";
	steps[0].cache = "off";
	steps[1].phase = "build";
	steps[1].workspace = "w";
	steps[1].cache = "miss";
	steps[1].reason = "no previous key";
	snprintf(steps[1].key, sizeof(steps[1].key), "%064d", 7);
	steps[1].commands = cmds;
	steps[1].n_commands = 2;
	steps[1].env_keys = keys;
	steps[1].env_values = vals;
	steps[1].n_env = 1;
	steps[1].requires_approval = true;
	steps[1].after = after;
	steps[1].n_after = 1;
	p.steps = steps;
	p.n_steps = 2;
	o = sent(wire_run_dry_plan(&p));
	assert_true(is_null(o, "env"));
	assert_false(has(o, "env_source"));
	assert_string_equal(str(o, "outline"), "");
	s = cJSON_GetArrayItem(cJSON_GetObjectItem(o, "steps"), 0);
	assert_string_equal(str(s, "hook"), "before_build");
	assert_false(has(s, "key"));
	assert_false(has(s, "reason"));
	assert_false(has(s, "action_key"));
	assert_false(has(s, "after"));
	assert_false(has(s, "requires_approval"));
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(s,
	    "commands")), 0);
	s = cJSON_GetArrayItem(cJSON_GetObjectItem(o, "steps"), 1);
	assert_string_equal(str(s, "workspace"), "w");
	assert_string_equal(str(s, "reason"), "no previous key");
	assert_int_equal(strlen(str(s, "key")), 64);
	assert_string_equal(cJSON_GetArrayItem(cJSON_GetObjectItem(s,
	    "commands"), 1)->valuestring, "make check");
	assert_string_equal(str(cJSON_GetObjectItem(s, "env"), "CC"),
	    "clang");
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(s, "requires_approval")));
	assert_false(has(s, "first_run_only"));
	assert_string_equal(cJSON_GetArrayItem(cJSON_GetObjectItem(s,
	    "after"), 0)->valuestring, "lint");
	cJSON_Delete(o);
	p.env = "prod";
	p.env_source = "GGEN_ENV";
	p.outline = (char *)"lint\nbuild\n";
	o = sent(wire_run_dry_plan(&p));
	assert_string_equal(str(o, "env"), "prod");
	assert_string_equal(str(o, "env_source"), "GGEN_ENV");
	assert_string_equal(str(o, "outline"), "lint\nbuild\n");
	cJSON_Delete(o);
}

/* A history row: trigger files that are not UTF-8 travel as U+FFFD text
 * with their exact bytes in trigger_files_b64 (null for valid names);
 * NULL strings become "", a running row has a null duration. */
static void
test_history_run(void **state)
{
	char *files[3] = { (char *)"src/ok.c", (char *)"src/bad\xff\xfe",
		(char *)"caf\xc3\xa9" };
	struct history_span spans[1];
	struct history_run r;
	cJSON *o, *t, *s;
	char *raw;
	size_t len;

	(void)state;
	memset(&r, 0, sizeof(r));
	memset(spans, 0, sizeof(spans));
	r.id = 12;
	r.root = "/r";
	r.phase = "build";
	r.trigger = HISTORY_TRIGGER_SAVE;
	r.trigger_files = files;
	r.n_trigger_files = 3;
	r.start_us = 1000;
	r.end_us = 4000;
	r.status = HISTORY_OK;
	r.exit_code = 0;
	r.spans = spans;
	r.n_spans = 1;
	spans[0].id = 1;
	spans[0].kind = HISTORY_SPAN_PHASE;
	spans[0].status = HISTORY_OK;
	spans[0].dur_us = 3000;
	o = sent(wire_run_history(&r, false));
	assert_int_equal(num(o, "id"), 12);
	assert_string_equal(str(o, "workspace"), "");	/* NULL */
	assert_true(num(o, "duration_ms") == 3);
	assert_true(is_null(o, "cache_key"));
	assert_false(has(o, "spans"));
	t = cJSON_GetObjectItem(o, "trigger_files");
	assert_int_equal(cJSON_GetArraySize(t), 3);
	assert_string_equal(cJSON_GetArrayItem(t, 1)->valuestring,
	    "src/bad\xef\xbf\xbd\xef\xbf\xbd");
	assert_string_equal(cJSON_GetArrayItem(t, 2)->valuestring,
	    "caf\xc3\xa9");
	t = cJSON_GetObjectItem(o, "trigger_files_b64");
	assert_int_equal(cJSON_GetArraySize(t), 3);
	assert_true(cJSON_IsNull(cJSON_GetArrayItem(t, 0)));
	assert_true(cJSON_IsNull(cJSON_GetArrayItem(t, 2)));
	raw = unb64(cJSON_GetArrayItem(t, 1)->valuestring, &len);
	assert_int_equal(len, strlen(files[1]));
	assert_memory_equal(raw, files[1], len);
	free(raw);
	cJSON_Delete(o);
	/* All valid: no twin. Running: null duration. Detail: spans. */
	r.n_trigger_files = 1;
	r.status = HISTORY_RUNNING;
	o = sent(wire_run_history(&r, true));
	assert_false(has(o, "trigger_files_b64"));
	assert_true(is_null(o, "duration_ms"));
	s = cJSON_GetArrayItem(cJSON_GetObjectItem(o, "spans"), 0);
	assert_string_equal(str(s, "kind"), "phase");
	assert_string_equal(str(s, "name"), "");	/* NULL */
	assert_false(has(s, "output"));
	assert_string_equal(str(o, "output"), "");
	cJSON_Delete(o);
	/* No trigger files at all. */
	r.n_trigger_files = 0;
	r.trigger_files = NULL;
	o = sent(wire_run_history(&r, false));
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(o,
	    "trigger_files")), 0);
	assert_false(has(o, "trigger_files_b64"));
	cJSON_Delete(o);
}

static void
test_history_status_and_slow(void **state)
{
	struct histlink_status st;
	struct histlink_slow ev = { .run = 4, .root = "/r", .workspace = "",
		.phase = "b", .dur_us = 3000, .why = HISTORY_SLOW_BUDGET };
	cJSON *o;

	(void)state;
	memset(&st, 0, sizeof(st));
	st.path = "/s/history.db";
	st.size_bytes = 4096;
	st.reason = "ok";
	st.keep = 100;
	st.flush.flushes = 3;
	st.flush.commits = 2;
	st.slow_phases = 1;
	o = sent(wire_run_history_status(&st));
	assert_string_equal(str(o, "path"), "/s/history.db");
	assert_int_equal(num(o, "size_bytes"), 4096);
	assert_false(cJSON_IsTrue(cJSON_GetObjectItem(o, "degraded")));
	assert_int_equal(num(o, "keep"), 100);
	assert_int_equal(num(o, "flushes"), 3);
	assert_int_equal(num(o, "commits"), 2);
	assert_int_equal(num(o, "slow_phases"), 1);
	cJSON_Delete(o);
	st.path = NULL;
	st.reason = NULL;
	o = sent(wire_run_history_status(&st));
	assert_string_equal(str(o, "path"), "");
	cJSON_Delete(o);
	o = line_data(wire_run_slow_line(&ev), "phase.slow");
	assert_string_equal(str(o, "reason"), "budget");
	assert_int_equal(num(o, "duration_ms"), 3);
	assert_false(has(o, "median_ms"));
	cJSON_Delete(o);
	ev.why = HISTORY_SLOW_MEDIAN;
	ev.median_us = 1000;
	ev.root = NULL;
	o = line_data(wire_run_slow_line(&ev), "phase.slow");
	assert_string_equal(str(o, "reason"), "median");
	assert_int_equal(num(o, "median_ms"), 1);
	assert_string_equal(str(o, "root"), "");
	cJSON_Delete(o);
}

static void
test_run_id(void **state)
{
	cJSON *req = cJSON_Parse("{\"run\":3,\"a\":0,\"b\":\"x\"}");
	struct gerr err;
	uint64_t id = 99;

	(void)state;
	assert_int_equal(wire_run_id(cJSON_GetObjectItem(req, "run"), &id,
	    &err), 0);
	assert_int_equal(id, 3);
	gerr_clear(&err);
	assert_int_equal(wire_run_id(cJSON_GetObjectItem(req, "a"), &id,
	    &err), GERR_INVALID);
	assert_int_equal(id, 0);
	assert_string_equal(err.msg, "field \"a\": expected a run id (1 or "
	    "more), found 0");
	gerr_clear(&err);
	assert_int_equal(wire_run_id(cJSON_GetObjectItem(req, "b"), &id,
	    &err), GERR_INVALID);
	gerr_clear(&err);
	assert_int_equal(wire_run_id(NULL, &id, &err), GERR_INVALID);
	assert_non_null(strstr(err.msg, "field \"run\""));
	cJSON_Delete(req);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_run_round_trip),
		cmocka_unit_test(test_run_missing_fields),
		cmocka_unit_test(test_overview),
		cmocka_unit_test(test_progress),
		cmocka_unit_test(test_event_lines),
		cmocka_unit_test(test_dry_plan),
		cmocka_unit_test(test_history_run),
		cmocka_unit_test(test_history_status_and_slow),
		cmocka_unit_test(test_run_id),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
