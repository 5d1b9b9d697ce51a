/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * bench.h - the one output format and timing helpers of every C benchmark
 * in perf/ (perf build only; never linked into ggend or ggenc).
 *
 * Output: one JSON object per line on stdout, one line per figure:
 *
 *   {"bench":"match","figure":"ignore_check","unit":"ns/op",
 *    "min":81.2,"median":83.0,"p99":90.1,"max":90.1,"reps":7,
 *    "ops":100000,"peer":"inotifywait","extra":{...}}
 *
 *   bench    the program's name without "bench_"      [a-z0-9_]+
 *   figure   what is measured, machine-independent     [a-z0-9_]+
 *            (no sizes of this machine, no paths, no pids)
 *   unit     "ns/op", "us", "ms", "MB/s", "requests/s", "files/s", ...;
 *            a unit ending in "/s" means higher is better, else lower
 *   min, median, p99, max   over the samples (one per repetition, or one
 *            per operation for latency distributions)
 *   reps     number of samples
 *   ops      (optional) operations per sample; present on figures timed
 *            with bench_figure(), which perf/check also counts under
 *            callgrind (instructions per op)
 *   peer     (optional) this line is a peer's figure (another tool, or a
 *            baseline implementation) for the ggen figure of the same
 *            bench and figure name; perf/run prints ours/peer
 *   extra    (optional) object of numbers or strings (hit counts, sizes)
 *
 * Lines that do not start with '{' are comments for humans; perf/run
 * ignores them. Environment read here (set by perf/run and perf/check):
 *   GGEN_BENCH_QUICK=1   smoke run: bench_reps() returns its quick value,
 *                        bench_quick() is true (benches shrink inputs)
 *   GGEN_BENCH_REPS=N    force N repetitions (perf/check uses 1)
 *   GGEN_BENCH_ONLY=FIG  bench_figure() runs only that figure
 *
 * Threads: single-threaded helpers; call from one thread. Every string
 * and array argument below is borrowed for the duration of the call.
 * Nothing here returns an error: a benchmark that cannot measure aborts.
 */
#ifndef GGEN_BENCH_H
#define GGEN_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Upper bound of samples bench_figure() keeps; more reps are clamped. */
#define BENCH_MAX_REPS 1000

/* Nanoseconds from CLOCK_MONOTONIC. Never fails (aborts if the clock is
 * missing, which POSIX systems do not allow). */
uint64_t bench_now_ns(void);

/* True when GGEN_BENCH_QUICK is set to a non-empty value other than "0". */
bool bench_quick(void);

/* Repetitions to use: GGEN_BENCH_REPS when set (clamped to 1..
 * BENCH_MAX_REPS), else quick_reps in a quick run, else full_reps. */
int bench_reps(int full_reps, int quick_reps);

/* Summary of n samples (n >= 1). Sorts v in place (borrowed, caller's). */
struct bench_stats {
	double min, median, p99, max;
	int n;
};
void bench_stats_compute(double *v, int n, struct bench_stats *out);

/* Prints one figure line from n raw samples (sorted in place). peer and
 * extra_json may be NULL; extra_json is the inside of the "extra" object
 * without braces, e.g. "\"hits\":12". ops 0 omits the "ops" key. Aborts if
 * bench or figure is not [a-z0-9_]+ (a programming error, not input). */
void bench_emit(const char *bench, const char *figure, const char *unit,
    const char *peer, double *v, int n, uint64_t ops,
    const char *extra_json);

/* The body of a timed figure: performs `ops` operations on arg. */
typedef void (*bench_body_cb)(void *arg);

struct bench_figure {
	const char *bench;	/* "match" */
	const char *figure;	/* "ignore_check" */
	const char *peer;	/* NULL for ggen's own figure */
	uint64_t ops;		/* operations per call of body, >= 1 */
	bench_body_cb body;
	void *arg;		/* borrowed for the call */
	int reps;		/* from bench_reps() */
	const char *extra_json;	/* may be NULL; read after the last rep */
};

/* Runs f->body f->reps times (no warm-up call: the first rep is one
 * sample like the others, so callgrind sees exactly reps calls), each
 * timed, and emits ns/op. Every call of body goes through one non-inlined
 * function, bench_call(), that perf/check isolates with callgrind's
 * --toggle-collect and --dump-after. Returns false (and prints nothing)
 * when GGEN_BENCH_ONLY names another figure. */
bool bench_figure_run(const struct bench_figure *f);

#endif
