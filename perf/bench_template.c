/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * bench_template.c - time the template engine on a code-generation
 * template (perf/bench_template.tmpl + .json: a 20-field struct rendered in
 * several for loops with filters).
 *
 * Usage:
 *   bench_template TMPL JSON [--out FILE]     timing figures as JSON lines
 *   bench_template TMPL JSON --count MODE N   render N times and exit
 *                                             (MODE cached|uncached), for
 *                                             callgrind instruction counts
 * cached = compiled once, rendered each time (the daemon's hot path);
 * uncached = compile + render each time. Never run as a test.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "strbuf.h"
#include "template.h"
#include "tvalue_json.h"

#define BENCH_TEMPLATE_REPS 31

static char *
bench_template_slurp(const char *path, size_t *len)
{
	struct strbuf sb = STRBUF_INIT;
	char buf[8192];
	size_t n;
	FILE *f = fopen(path, "rb");

	if (f == NULL) {
		perror(path);
		exit(2);
	}
	while ((n = fread(buf, 1, sizeof buf, f)) > 0)
		strbuf_add(&sb, buf, n);
	fclose(f);
	return strbuf_detach(&sb, len);
}

static double
bench_template_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static void
bench_template_die(const struct gerr *err)
{
	char buf[700];

	fprintf(stderr, "%s\n", gerr_format(err, buf, sizeof buf));
	exit(1);
}

/* One render (and compile when t is NULL) into sb. */
static void
bench_template_once(const struct template *t, const char *src, size_t len,
    const struct tvalue *ctx, struct strbuf *sb)
{
	struct template *own = NULL;
	struct gerr err;

	gerr_clear(&err);
	strbuf_reset(sb);
	if (t == NULL) {
		if (template_compile(src, len, "bench.tmpl", &own, &err) != 0)
			bench_template_die(&err);
		t = own;
	}
	if (template_render(t, ctx, NULL, sb, &err) != 0)
		bench_template_die(&err);
	template_free(own);
}

static int
bench_template_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void
bench_template_figure(const char *figure, const struct template *t,
    const char *src, size_t len, const struct tvalue *ctx, int per_rep)
{
	double us[BENCH_TEMPLATE_REPS];
	struct strbuf sb = STRBUF_INIT;

	for (int i = 0; i < per_rep; i++)	/* warm up */
		bench_template_once(t, src, len, ctx, &sb);
	for (int r = 0; r < BENCH_TEMPLATE_REPS; r++) {
		double t0 = bench_template_now_us();

		for (int i = 0; i < per_rep; i++)
			bench_template_once(t, src, len, ctx, &sb);
		us[r] = (bench_template_now_us() - t0) / per_rep;
	}
	qsort(us, BENCH_TEMPLATE_REPS, sizeof us[0], bench_template_cmp);
	printf("{\"bench\": \"template\", \"figure\": \"%s\", \"unit\": \"us\", "
	    "\"min\": %.3f, \"median\": %.3f, \"max\": %.3f, \"reps\": %d, "
	    "\"per_rep\": %d, \"output_bytes\": %zu}\n", figure, us[0],
	    us[BENCH_TEMPLATE_REPS / 2], us[BENCH_TEMPLATE_REPS - 1],
	    BENCH_TEMPLATE_REPS, per_rep, sb.len);
	strbuf_release(&sb);
}

int
main(int argc, char **argv)
{
	struct template *t;
	struct tvalue *ctx;
	struct strbuf sb = STRBUF_INIT;
	struct gerr err;
	size_t len, jlen;
	char *src, *json;

	if (argc < 3) {
		fprintf(stderr, "usage: %s TMPL JSON [--out FILE | --count "
		    "cached|uncached N]\n", argv[0]);
		return 2;
	}
	src = bench_template_slurp(argv[1], &len);
	json = bench_template_slurp(argv[2], &jlen);
	gerr_clear(&err);
	if (tvalue_from_json_text(json, jlen, argv[2], &ctx, &err) != 0)
		bench_template_die(&err);
	if (template_compile(src, len, argv[1], &t, &err) != 0)
		bench_template_die(&err);
	if (argc >= 6 && strcmp(argv[3], "--count") == 0) {
		bool cached = strcmp(argv[4], "cached") == 0;
		long n = strtol(argv[5], NULL, 10);

		for (long i = 0; i < n; i++)
			bench_template_once(cached ? t : NULL, src, len, ctx,
			    &sb);
	} else {
		bench_template_figure("render_cached", t, src, len, ctx, 2000);
		bench_template_figure("compile_render_uncached", NULL, src, len,
		    ctx, 500);
		if (argc >= 5 && strcmp(argv[3], "--out") == 0) {
			FILE *f = fopen(argv[4], "wb");

			bench_template_once(t, src, len, ctx, &sb);
			if (f == NULL || fwrite(sb.buf, 1, sb.len, f) != sb.len) {
				perror(argv[4]);
				return 1;
			}
			fclose(f);
		}
	}
	strbuf_release(&sb);
	template_free(t);
	tvalue_unref(ctx);
	free(src);
	free(json);
	return 0;
}
