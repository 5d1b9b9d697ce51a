/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for perf/bench.c: statistics (median of odd/even counts, p99
 * by nearest rank), repetition overrides from the environment, the exact
 * JSON line, name checks that abort, and GGEN_BENCH_ONLY filtering. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "bench.h"
#include "xmalloc.h"

/* Runs fn(arg) with stdout sent to a temporary file; returns what it
 * printed (caller frees). */
static char *
test_bench_capture(void (*fn)(void *), void *arg)
{
	FILE *tmp = tmpfile();
	int saved = dup(STDOUT_FILENO);
	char *buf = xcalloc(1, 4096);
	size_t n;

	assert_non_null(tmp);
	assert_true(saved >= 0);
	fflush(stdout);
	assert_true(dup2(fileno(tmp), STDOUT_FILENO) >= 0);
	fn(arg);
	fflush(stdout);
	assert_true(dup2(saved, STDOUT_FILENO) >= 0);
	close(saved);
	rewind(tmp);
	n = fread(buf, 1, 4095, tmp);
	buf[n] = '\0';
	fclose(tmp);
	return buf;
}

static void
test_stats_odd_even(void **state)
{
	double odd[] = { 5, 1, 3 }, even[] = { 4, 1, 3, 2 };
	struct bench_stats st;

	(void)state;
	bench_stats_compute(odd, 3, &st);
	assert_true(st.min == 1 && st.median == 3 && st.max == 5);
	assert_true(st.p99 == 5);
	assert_int_equal(st.n, 3);
	assert_true(odd[0] == 1 && odd[2] == 5);	/* sorted in place */
	bench_stats_compute(even, 4, &st);
	assert_true(st.median == 2.5);
	assert_true(st.min == 1 && st.max == 4);
}

static void
test_stats_p99_nearest_rank(void **state)
{
	double v[200];
	struct bench_stats st;

	(void)state;
	for (int i = 0; i < 200; i++)
		v[i] = 200 - i;	/* 200..1, reversed to exercise the sort */
	bench_stats_compute(v, 100, &st);
	/* First 100 samples are 200..101: rank 99 of 100 is 199. */
	assert_true(st.p99 == 199);
	for (int i = 0; i < 200; i++)
		v[i] = i + 1;
	bench_stats_compute(v, 200, &st);
	assert_true(st.p99 == 198);
	bench_stats_compute(v, 1, &st);
	assert_true(st.min == 1 && st.median == 1 && st.p99 == 1 &&
	    st.max == 1);
}

static void
test_reps_environment(void **state)
{
	(void)state;
	unsetenv("GGEN_BENCH_REPS");
	unsetenv("GGEN_BENCH_QUICK");
	assert_int_equal(bench_reps(7, 2), 7);
	assert_false(bench_quick());
	setenv("GGEN_BENCH_QUICK", "0", 1);
	assert_false(bench_quick());
	setenv("GGEN_BENCH_QUICK", "1", 1);
	assert_true(bench_quick());
	assert_int_equal(bench_reps(7, 2), 2);
	setenv("GGEN_BENCH_REPS", "5", 1);
	assert_int_equal(bench_reps(7, 2), 5);
	setenv("GGEN_BENCH_REPS", "0", 1);
	assert_int_equal(bench_reps(7, 2), 1);
	setenv("GGEN_BENCH_REPS", "999999", 1);
	assert_int_equal(bench_reps(7, 2), BENCH_MAX_REPS);
	unsetenv("GGEN_BENCH_REPS");
	unsetenv("GGEN_BENCH_QUICK");
}

static void
test_bench_emit_full(void *arg)
{
	double v[] = { 3, 1, 2 };

	(void)arg;
	bench_emit("hash", "hash_files", "MB/s", "sha256sum", v, 3, 42,
	    "\"bytes\":7");
}

static void
test_bench_emit_plain(void *arg)
{
	double v[] = { 2.5 };

	(void)arg;
	bench_emit("idle", "idle_cpu", "ms", NULL, v, 1, 0, NULL);
}

static void
test_emit_exact_line(void **state)
{
	char *out;

	(void)state;
	out = test_bench_capture(test_bench_emit_full, NULL);
	assert_string_equal(out, "{\"bench\":\"hash\",\"figure\":\"hash_files\","
	    "\"unit\":\"MB/s\",\"min\":1,\"median\":2,\"p99\":3,\"max\":3,"
	    "\"reps\":3,\"ops\":42,\"peer\":\"sha256sum\","
	    "\"extra\":{\"bytes\":7}}\n");
	free(out);
	out = test_bench_capture(test_bench_emit_plain, NULL);
	assert_string_equal(out, "{\"bench\":\"idle\",\"figure\":\"idle_cpu\","
	    "\"unit\":\"ms\",\"min\":2.5,\"median\":2.5,\"p99\":2.5,"
	    "\"max\":2.5,\"reps\":1}\n");
	free(out);
}

/* A name with an upper-case letter, a dash, a space, or empty aborts. */
static void
test_emit_bad_names_abort(void **state)
{
	static const char *const bad[] = { "Hash", "hash-files", "a b", "" };
	double v[] = { 1 };

	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		for (int which = 0; which < 3; which++) {
			int st;
			pid_t pid;

			fflush(stdout);
			pid = fork();
			assert_true(pid >= 0);
			if (pid == 0) {
				/* Keep the child's complaint out of the TAP. */
				if (freopen("/dev/null", "w", stderr) == NULL)
					_exit(3);
				bench_emit(which == 0 ? bad[i] : "b",
				    which == 1 ? bad[i] : "f", "us",
				    which == 2 ? bad[i] : NULL, v, 1, 0, NULL);
				_exit(0);
			}
			assert_int_equal(waitpid(pid, &st, 0), pid);
			assert_true(WIFSIGNALED(st));
			assert_int_equal(WTERMSIG(st), SIGABRT);
		}
	}
}

static void
test_bench_count_body(void *arg)
{
	(*(int *)arg)++;
}

struct test_bench_fig_run {
	const struct bench_figure *f;
	bool ran;
};

static void
test_bench_run_figure(void *arg)
{
	struct test_bench_fig_run *r = arg;

	r->ran = bench_figure_run(r->f);
}

static void
test_figure_run_and_only(void **state)
{
	int calls = 0;
	struct bench_figure f = { .bench = "t", .figure = "count", .ops = 4,
	    .body = test_bench_count_body, .arg = &calls, .reps = 3 };
	struct test_bench_fig_run r = { .f = &f };
	char *out;

	(void)state;
	setenv("GGEN_BENCH_ONLY", "other", 1);
	out = test_bench_capture(test_bench_run_figure, &r);
	assert_false(r.ran);
	assert_int_equal(calls, 0);
	assert_string_equal(out, "");
	free(out);

	setenv("GGEN_BENCH_ONLY", "count", 1);
	out = test_bench_capture(test_bench_run_figure, &r);
	unsetenv("GGEN_BENCH_ONLY");
	assert_true(r.ran);
	/* No hidden warm-up: perf/check relies on exactly reps calls. */
	assert_int_equal(calls, 3);
	assert_non_null(strstr(out, "\"figure\":\"count\",\"unit\":\"ns/op\""));
	assert_non_null(strstr(out, "\"reps\":3,\"ops\":4}\n"));
	free(out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stats_odd_even),
		cmocka_unit_test(test_stats_p99_nearest_rank),
		cmocka_unit_test(test_reps_environment),
		cmocka_unit_test(test_emit_exact_line),
		cmocka_unit_test(test_emit_bad_names_abort),
		cmocka_unit_test(test_figure_run_and_only),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
