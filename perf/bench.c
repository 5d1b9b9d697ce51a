/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * bench.c - clock, statistics and the JSON line format of perf/ benchmarks
 * (format documented in bench.h). Called by the bench_*.c programs only.
 * Invariants: every timed body runs through bench_call(), which stays a
 * real, non-inlined symbol even under LTO, so perf/check can count its
 * instructions; output lines are flushed one by one so a driver reading a
 * pipe sees each figure as soon as it is measured. Holds no state.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench.h"
#include "xmalloc.h"

/* Public (not static) and noipa so LTO can neither inline nor clone it:
 * perf/check passes this exact name to callgrind. */
void bench_call(bench_body_cb body, void *arg);

__attribute__((noinline, noipa)) void
bench_call(bench_body_cb body, void *arg)
{
	body(arg);
}

uint64_t
bench_now_ns(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
		abort();
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static bool
bench_env_set(const char *name)
{
	const char *v = getenv(name);

	return v != NULL && v[0] != '\0' && strcmp(v, "0") != 0;
}

bool
bench_quick(void)
{
	return bench_env_set("GGEN_BENCH_QUICK");
}

int
bench_reps(int full_reps, int quick_reps)
{
	const char *v = getenv("GGEN_BENCH_REPS");
	long n;

	if (v != NULL && v[0] != '\0') {
		n = strtol(v, NULL, 10);
		if (n < 1)
			n = 1;
		if (n > BENCH_MAX_REPS)
			n = BENCH_MAX_REPS;
		return (int)n;
	}
	return bench_quick() ? quick_reps : full_reps;
}

static int
bench_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

void
bench_stats_compute(double *v, int n, struct bench_stats *out)
{
	size_t p99;

	qsort(v, (size_t)n, sizeof *v, bench_cmp);
	/* Nearest rank: the smallest sample with at least 99% at or below. */
	p99 = ((size_t)n * 99 + 99) / 100;
	out->min = v[0];
	out->median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	out->p99 = v[p99 - 1];
	out->max = v[n - 1];
	out->n = n;
}

static void
bench_check_name(const char *what, const char *s)
{
	if (s[0] == '\0' || strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_")
	    != strlen(s)) {
		fprintf(stderr, "bench: %s \"%s\" is not [a-z0-9_]+\n", what,
		    s);
		abort();
	}
}

void
bench_emit(const char *bench, const char *figure, const char *unit,
    const char *peer, double *v, int n, uint64_t ops,
    const char *extra_json)
{
	struct bench_stats st;

	bench_check_name("bench", bench);
	bench_check_name("figure", figure);
	if (peer != NULL)
		bench_check_name("peer", peer);
	bench_stats_compute(v, n, &st);
	printf("{\"bench\":\"%s\",\"figure\":\"%s\",\"unit\":\"%s\","
	    "\"min\":%.6g,\"median\":%.6g,\"p99\":%.6g,\"max\":%.6g,"
	    "\"reps\":%d", bench, figure, unit, st.min, st.median, st.p99,
	    st.max, st.n);
	if (ops != 0)
		printf(",\"ops\":%llu", (unsigned long long)ops);
	if (peer != NULL)
		printf(",\"peer\":\"%s\"", peer);
	if (extra_json != NULL && extra_json[0] != '\0')
		printf(",\"extra\":{%s}", extra_json);
	printf("}\n");
	fflush(stdout);
}

bool
bench_figure_run(const struct bench_figure *f)
{
	const char *only = getenv("GGEN_BENCH_ONLY");
	int reps = f->reps < 1 ? 1 : f->reps;
	double *v;

	if (only != NULL && only[0] != '\0' && strcmp(only, f->figure) != 0)
		return false;
	if (reps > BENCH_MAX_REPS)
		reps = BENCH_MAX_REPS;
	v = xcalloc((size_t)reps, sizeof *v);
	for (int r = 0; r < reps; r++) {
		uint64_t t0 = bench_now_ns();

		bench_call(f->body, f->arg);
		v[r] = (double)(bench_now_ns() - t0) / (double)f->ops;
	}
	bench_emit(f->bench, f->figure, "ns/op", f->peer, v, reps, f->ops,
	    f->extra_json);
	free(v);
	return true;
}
