/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * bench_history.c - daemon/history throughput and query latency.
 *
 * Usage: bench_history [--runs N] [--query-runs M] [--keep K] [--dir DIR]
 *
 * 1. Insert N runs (default 100000) with 5 spans each over 300 keys
 *    (20 roots x 3 workspaces x 5 phases), retention K (default 100),
 *    batched as the daemon does it: a flush whenever 100 ms have passed
 *    since the last one (the ev_timer) -> runs per second, final database
 *    size, longest write (writer thread) and longest loop-side copy.
 * 2. The same with history_flush after every run end (the daemon's other
 *    flush point), on N/5 runs: while the writer is busy, runs pile up and
 *    go together in the next transaction.
 * 3. Continue to M runs in total (default 1000000), trimmed as it goes, then
 *    time history_list(limit 100) 1000 times -> p50/p99 latency; also with a
 *    phase filter.
 *
 * Prints one JSON object per figure (see perf/meson.build). Owns a temp
 * directory it removes at exit unless --dir is given.
 */
#include <ftw.h>
#include <stdatomic.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "history.h"
#include "log.h"
#include "xmalloc.h"

#define BENCH_ROOTS 20
#define BENCH_WORKSPACES 3
#define BENCH_PHASES 5
#define BENCH_FLUSH_US 100000
#define BENCH_QUERY_REPS 1000
#define BENCH_BACKPRESSURE_RUNS 4000	/* < HISTORY_QUEUE_RUNS_DEFAULT */

static const char *const bench_phases[BENCH_PHASES] = {
	"generate", "build", "test", "lint", "deploy",
};
static const char *const bench_workspaces[BENCH_WORKSPACES] = {
	"", "core", "cli",
};

static uint64_t
bench_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* One run shaped like a real one: phase, hook, two commands, a render. */
static void
bench_one_run(struct history *h, uint64_t n)
{
	static const char out[] = "cc -c main.c\ncc -o app main.o\n";
	char root[32];
	struct history_run_info info = { .trigger = HISTORY_TRIGGER_SAVE };
	struct history_run_end end = { .status = HISTORY_OK, .exit_code = 0,
	    .output = out, .output_len = sizeof(out) - 1 };
	const char *file = "src/main.c";
	uint64_t id, ph;
	int64_t t = 1700000000000000LL + (int64_t)n * 1000;
	const char *ws;

	snprintf(root, sizeof(root), "/home/u/proj%02u",
	    (unsigned)(n % BENCH_ROOTS));
	ws = bench_workspaces[(n / BENCH_ROOTS) % BENCH_WORKSPACES];
	info.root = root;
	info.workspace = ws;
	info.phase = bench_phases[(n / (BENCH_ROOTS * BENCH_WORKSPACES)) %
	    BENCH_PHASES];
	info.trigger_files = &file;
	info.n_trigger_files = 1;
	info.start_us = t;
	id = history_run_begin(h, &info);
	history_span_add(h, id, 0, HISTORY_SPAN_PHASE, info.phase, ws, t, -1,
	    HISTORY_OK, &ph, NULL);
	history_span_add(h, id, ph, HISTORY_SPAN_HOOK, "before", ws, t + 1,
	    100, HISTORY_OK, NULL, NULL);
	history_span_add(h, id, ph, HISTORY_SPAN_RENDER, "templates", ws,
	    t + 101, 50, HISTORY_OK, NULL, NULL);
	history_span_add(h, id, ph, HISTORY_SPAN_COMMAND, "make", ws, t + 151,
	    300, HISTORY_OK, NULL, NULL);
	history_span_add(h, id, ph, HISTORY_SPAN_COMMAND, "make check", ws,
	    t + 451, 400, HISTORY_OK, NULL, NULL);
	history_span_end(h, id, ph, 900, HISTORY_OK, NULL);
	end.end_us = t + 901 + (int64_t)(n % 97);
	history_run_end(h, id, &end, NULL);
}

static void
bench_figure(const char *figure, const char *unit, double min, double med,
    double max, unsigned reps, const char *extra)
{
	printf("{\"bench\":\"history\",\"figure\":\"%s\",\"unit\":\"%s\","
	    "\"min\":%.3f,\"median\":%.3f,\"max\":%.3f,\"reps\":%u%s}\n",
	    figure, unit, min, med, max, reps, extra != NULL ? extra : "");
}

static int
bench_rm(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(p);
}

/* The ev_async stand-in: set on the writer thread, polled per run. */
static void
bench_notify(void *arg)
{
	atomic_store((atomic_bool *)arg, true);
}

static struct history *
bench_open(const char *dir, const char *name, unsigned keep,
    atomic_bool *done)
{
	struct history_config cfg = { .keep = keep, .notify = bench_notify,
	    .notify_arg = done };
	struct history *h = NULL;
	char *path = xasprintf("%s/%s", dir, name);

	cfg.path = path;
	if (history_open(&cfg, &h, NULL) != 0 || history_degraded(h)) {
		fprintf(stderr, "bench_history: cannot open %s: %s\n", path,
		    h != NULL ? history_status_text(h) : "?");
		exit(1);
	}
	free(path);
	return h;
}

/* Insert runs [from, to) flushing every 100 ms (timer) or every run, and
 * reaping whenever the writer says a batch is back. */
static double
bench_insert(struct history *h, atomic_bool *done, uint64_t from,
    uint64_t to, bool each)
{
	uint64_t t0 = bench_now_us(), last = t0, n, now;

	for (n = from; n < to; n++) {
		bench_one_run(h, n);
		/* Back-pressure: this producer outruns any disk, and the store
		 * drops unwritten runs past queue_runs; wait for the writer
		 * well before that, so the rate is the sustained one. */
		if ((n - from) % BENCH_BACKPRESSURE_RUNS ==
		    BENCH_BACKPRESSURE_RUNS - 1)
			history_sync(h, NULL);
		if (atomic_exchange(done, false))
			history_reap(h, NULL);
		if (each) {
			history_flush(h, NULL);
			continue;
		}
		now = bench_now_us();
		if (now - last >= BENCH_FLUSH_US) {
			history_flush(h, NULL);
			last = now;
		}
	}
	history_sync(h, NULL);
	return (double)(to - from) * 1e6 / (double)(bench_now_us() - t0);
}

static int
bench_cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

static void
bench_query(struct history *h, const char *figure, const char *phase)
{
	struct history_filter f = { .limit = 100, .phase = phase };
	struct history_run *runs;
	uint64_t lat[BENCH_QUERY_REPS], t0;
	size_t n = 0, i;
	char extra[64];

	for (i = 0; i < BENCH_QUERY_REPS; i++) {
		t0 = bench_now_us();
		if (history_list(h, &f, &runs, &n, NULL) != 0 || n != 100) {
			fprintf(stderr, "bench_history: list failed\n");
			exit(1);
		}
		history_runs_free(runs, n);
		lat[i] = bench_now_us() - t0;
	}
	qsort(lat, BENCH_QUERY_REPS, sizeof(lat[0]), bench_cmp_u64);
	snprintf(extra, sizeof(extra), ",\"p99\":%.3f",
	    (double)lat[BENCH_QUERY_REPS * 99 / 100] / 1000.0);
	bench_figure(figure, "ms", (double)lat[0] / 1000.0,
	    (double)lat[BENCH_QUERY_REPS / 2] / 1000.0,
	    (double)lat[BENCH_QUERY_REPS - 1] / 1000.0, BENCH_QUERY_REPS,
	    extra);
}

int
main(int argc, char **argv)
{
	uint64_t runs = 100000, query_runs = 1000000;
	unsigned keep = HISTORY_KEEP_DEFAULT;
	char tmpl[] = "/tmp/ggen-bench-history-XXXXXX", extra[256];
	const char *dir = NULL;
	struct history_flush_stats fs;
	struct history *h;
	atomic_bool done = false;
	double rate;
	int i;

	for (i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--runs") == 0)
			runs = strtoull(argv[i + 1], NULL, 10);
		else if (strcmp(argv[i], "--query-runs") == 0)
			query_runs = strtoull(argv[i + 1], NULL, 10);
		else if (strcmp(argv[i], "--keep") == 0)
			keep = (unsigned)strtoul(argv[i + 1], NULL, 10);
		else if (strcmp(argv[i], "--dir") == 0)
			dir = argv[i + 1];
		else
			break;
	}
	if (i < argc || runs == 0 || keep == 0) {
		fprintf(stderr, "usage: bench_history [--runs N] "
		    "[--query-runs M] [--keep K] [--dir DIR]\n");
		return 2;
	}
	log_set_level(LOG_LEVEL_WARN);
	if (dir == NULL && (dir = mkdtemp(tmpl)) == NULL) {
		perror("mkdtemp");
		return 1;
	}

	h = bench_open(dir, "batched.db", keep, &done);
	rate = bench_insert(h, &done, 0, runs, false);
	history_get_flush_stats(h, &fs);
	snprintf(extra, sizeof(extra), ",\"runs\":%" PRIu64 ",\"keep\":%u,"
	    "\"db_bytes\":%" PRIu64 ",\"flushes\":%" PRIu64
	    ",\"longest_write_ms\":%.3f,\"longest_loop_ms\":%.3f,"
	    "\"runs_dropped\":%" PRIu64, runs, keep,
	    history_db_size(h), fs.flushes,
	    (double)fs.longest_flush_us / 1000.0,
	    (double)fs.longest_loop_us / 1000.0, fs.runs_dropped);
	bench_figure("insert_batched_100ms", "runs/s", rate, rate, rate, 1,
	    extra);

	if (query_runs > runs) {
		bench_insert(h, &done, runs, query_runs, false);
		history_get_flush_stats(h, &fs);
		snprintf(extra, sizeof(extra), ",\"runs\":%" PRIu64
		    ",\"db_bytes\":%" PRIu64 ",\"longest_write_ms\":%.3f,"
		    "\"runs_dropped\":%" PRIu64, query_runs,
		    history_db_size(h), (double)fs.longest_flush_us / 1000.0,
		    fs.runs_dropped);
		printf("{\"bench\":\"history\",\"figure\":\"state_after_insert\""
		    "%s}\n", extra);
	}
	bench_query(h, "list_limit_100", NULL);
	bench_query(h, "list_limit_100_phase", "build");
	history_close(h);

	h = bench_open(dir, "each.db", keep, &done);
	rate = bench_insert(h, &done, 0, runs / 5 > 0 ? runs / 5 : 1, true);
	history_get_flush_stats(h, &fs);
	snprintf(extra, sizeof(extra), ",\"runs\":%" PRIu64
	    ",\"transactions\":%" PRIu64 ",\"longest_write_ms\":%.3f,"
	    "\"longest_loop_ms\":%.3f,\"runs_dropped\":%" PRIu64, runs / 5,
	    fs.transactions, (double)fs.longest_flush_us / 1000.0,
	    (double)fs.longest_loop_us / 1000.0, fs.runs_dropped);
	bench_figure("insert_flush_each_run", "runs/s", rate, rate, rate, 1,
	    extra);
	history_close(h);

	if (strcmp(dir, tmpl) == 0)
		nftw(dir, bench_rm, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}
