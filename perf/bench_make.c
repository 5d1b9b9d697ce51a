/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * bench_make.c - parse + validate cost of make.toml (issue 3 item 6).
 *
 * Figures: make_parse_buffer on fixture F1, on ggen's largest real
 * lifecycle file (comprehensive-rust-showcase: depends_on, command hooks,
 * environment overrides, ggen-only tables) and on a generated 200-phase
 * make.toml, each in microseconds per call (min/median/max over reps of a
 * timed batch), plus microseconds per KB. Not a test: nothing is asserted.
 *
 * Usage: bench_make [--reps N] [--calls N] [--only f1|real|gen200]
 *        [DATA_DIR (default tests/data)]
 * --calls N with --only runs exactly N calls and prints nothing, for
 * perf/callgrind_make.sh, which derives instructions per call.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "make.h"
#include "strbuf.h"
#include "xmalloc.h"

#define BENCH_MAKE_PHASES 200
#define BENCH_MAKE_BATCH_MIN_NS 20000000LL	/* time batches of >= 20 ms */

static long long
bench_make_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void
bench_make_once(const struct strbuf *doc)
{
	struct make_project *p;
	struct make_findings f;

	make_findings_init(&f);
	if (make_parse_buffer(doc->buf, doc->len, "make.toml", &p, &f,
	    NULL) != 0) {
		fprintf(stderr, "bench_make: document does not validate\n");
		exit(1);
	}
	make_project_free(p);
	make_findings_release(&f);
}

static void
bench_make_generate(struct strbuf *sb)
{
	strbuf_addstr(sb, "[project]\nname = \"gen\"\ntype = \"app\"\n"
	    "[watch]\nignore = [\"*.log\", \"dist/**\"]\n"
	    "debounce_min_ms = 10\ndebounce_max_ms = 500\n");
	for (int i = 0; i < BENCH_MAKE_PHASES; i++)
		strbuf_addf(sb, "\n[lifecycle.phase%03d]\n"
		    "description = \"phase number %d\"\n"
		    "commands = [\"make -C dir%d\", \"echo done %d\"]\n"
		    "watch = [\"src/%d/**/*.c\"]\ninputs = [\"src/%d/**\"]\n"
		    "outputs = [\"build/%d\"]\ncache = true\n"
		    "env = { CFLAGS = \"-O2\", N = \"%d\" }\ntimeout = 60\n",
		    i, i, i, i, i, i, i, i);
	strbuf_addstr(sb, "\n[hooks]\n");
	for (int i = 1; i < BENCH_MAKE_PHASES; i++)
		strbuf_addf(sb, "before_phase%03d = [\"phase%03d\"]\n", i, i - 1);
}

static int
bench_make_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void
bench_make_run(const char *figure, const struct strbuf *doc, int reps)
{
	double *us = xcalloc((size_t)reps, sizeof(*us));
	long long calls = 1;

	/* Size the batch so one timing is well above clock resolution. */
	for (;;) {
		long long t0 = bench_make_now_ns();

		for (long long i = 0; i < calls; i++)
			bench_make_once(doc);
		if (bench_make_now_ns() - t0 >= BENCH_MAKE_BATCH_MIN_NS / 10)
			break;
		calls *= 2;
	}
	calls *= 10;
	for (int r = 0; r < reps; r++) {
		long long t0 = bench_make_now_ns();

		for (long long i = 0; i < calls; i++)
			bench_make_once(doc);
		us[r] = (double)(bench_make_now_ns() - t0) / 1000.0 /
		    (double)calls;
	}
	qsort(us, (size_t)reps, sizeof(*us), bench_make_cmp);
	printf("{\"bench\": \"make\", \"figure\": \"%s\", \"unit\": \"us/call\", "
	    "\"min\": %.3f, \"median\": %.3f, \"max\": %.3f, \"reps\": %d, "
	    "\"calls_per_rep\": %lld, \"bytes\": %zu}\n", figure, us[0],
	    us[reps / 2], us[reps - 1], reps, calls, doc->len);
	printf("{\"bench\": \"make\", \"figure\": \"%s_per_kb\", "
	    "\"unit\": \"us/KB\", \"min\": %.3f, \"median\": %.3f, "
	    "\"max\": %.3f, \"reps\": %d}\n", figure,
	    us[0] * 1024.0 / (double)doc->len,
	    us[reps / 2] * 1024.0 / (double)doc->len,
	    us[reps - 1] * 1024.0 / (double)doc->len, reps);
	free(us);
}

static int
bench_make_read(const char *path, struct strbuf *sb)
{
	FILE *fp = fopen(path, "rb");
	char buf[4096];
	size_t n;

	if (fp == NULL) {
		perror(path);
		return -1;
	}
	while ((n = fread(buf, 1, sizeof(buf), fp)) > 0)
		strbuf_add(sb, buf, n);
	fclose(fp);
	return 0;
}

int
main(int argc, char **argv)
{
	const char *shared = GGEN_DATA_DIR, *only = NULL;
	struct strbuf f1 = STRBUF_INIT, gen = STRBUF_INIT, real = STRBUF_INIT;
	char *path;
	int reps = 15;
	long calls = 0;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--reps") == 0 && i + 1 < argc)
			reps = atoi(argv[++i]);
		else if (strcmp(argv[i], "--calls") == 0 && i + 1 < argc)
			calls = atol(argv[++i]);
		else if (strcmp(argv[i], "--only") == 0 && i + 1 < argc)
			only = argv[++i];
		else
			shared = argv[i];
	}
	if (reps < 1)
		reps = 1;
	path = xasprintf("%s/ggen/F1-example/make.toml", shared);
	if (bench_make_read(path, &f1) != 0)
		return 1;
	free(path);
	path = xasprintf("%s/ggen/real/comprehensive-rust-showcase.make.toml",
	    shared);
	if (bench_make_read(path, &real) != 0)
		return 1;
	free(path);
	bench_make_generate(&gen);
	if (calls > 0 && only != NULL) {
		const struct strbuf *doc = strcmp(only, "f1") == 0 ? &f1 :
		    strcmp(only, "real") == 0 ? &real : &gen;

		for (long i = 0; i < calls; i++)
			bench_make_once(doc);
	} else {
		if (only == NULL || strcmp(only, "f1") == 0)
			bench_make_run("parse_validate_f1", &f1, reps);
		if (only == NULL || strcmp(only, "real") == 0)
			bench_make_run("parse_validate_real_showcase", &real,
			    reps);
		if (only == NULL || strcmp(only, "gen200") == 0)
			bench_make_run("parse_validate_200_phases", &gen, reps);
	}
	strbuf_release(&f1);
	strbuf_release(&real);
	strbuf_release(&gen);
	return 0;
}
