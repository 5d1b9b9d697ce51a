/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * bench_generate.c - the generate step on a real loop: N templates (a
 * struct of 20 fields each, `to:` from [vars]) in a temp workspace, no
 * watched root (the job reads and hashes templates itself).
 *
 * Figures (microseconds per template, whole job / N):
 *   cold       first run: read, hash, compile, render, write (fsync)
 *   forced     explicit run: cached compile, render, identical bytes, no write
 *   clean      batch run: nothing changed, nothing rendered
 *
 * Usage: bench_generate [N [REPS]] (defaults 100, 20). One JSON object
 * per figure: min, median, max, reps.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <ev.h>

#include "generate.h"
#include "ggend.h"
#include "make.h"
#include "tplcache.h"
#include "xmalloc.h"

struct bench_generate {
	struct ggend g;
	char dir[64];
	struct make_project *model;
	int done;
	int code;
};

static double
bench_generate_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static void
bench_generate_done(void *arg, const struct generate_result *res)
{
	struct bench_generate *b = arg;

	b->done = 1;
	b->code = res->code;
}

static double
bench_generate_once(struct bench_generate *b, bool force)
{
	const char *changed[] = { "x" };
	struct generate_job *job;
	struct gerr err;
	double t0 = bench_generate_now_us();

	gerr_clear(&err);
	b->done = 0;
	if (generate_start(&b->g, NULL, b->dir, b->model,
	    make_phase_find(b->model, "generate"), NULL,
	    force ? NULL : changed, 1, bench_generate_done, b, &job,
	    &err) != 0) {
		fprintf(stderr, "bench_generate: %s\n", err.msg);
		exit(1);
	}
	while (!b->done)
		ev_run(b->g.loop, EVRUN_ONCE);
	if (b->code != 0) {
		fprintf(stderr, "bench_generate: run failed (%d)\n", b->code);
		exit(1);
	}
	return bench_generate_now_us() - t0;
}

static int
bench_generate_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void
bench_generate_print(const char *figure, double *v, int reps, int n)
{
	qsort(v, (size_t)reps, sizeof(*v), bench_generate_cmp);
	printf("{\"bench\":\"generate\",\"figure\":\"%s\",\"unit\":"
	    "\"us/template\",\"templates\":%d,\"min\":%.2f,\"median\":%.2f,"
	    "\"max\":%.2f,\"reps\":%d}\n", figure, n, v[0] / n,
	    v[reps / 2] / n, v[reps - 1] / n, reps);
}

int
main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 100;
	int reps = argc > 2 ? atoi(argv[2]) : 20;
	struct bench_generate b;
	const char *toml = "[project]\nname = \"bench\"\n[vars]\nprefix = \"b\"\n"
	    "[lifecycle.generate]\ntemplates = [\"t/*.tmpl\"]\n";
	double *cold, *forced, *clean;
	struct gerr err;
	char cmd[128];

	if (n < 1 || reps < 1) {
		fprintf(stderr, "usage: bench_generate [N [REPS]]\n");
		return 2;
	}
	memset(&b, 0, sizeof(b));
	b.g.loop = ev_default_loop(0);
	gerr_clear(&err);
	if (make_parse_buffer(toml, strlen(toml), "make.toml", &b.model, NULL,
	    &err) != 0) {
		fprintf(stderr, "bench_generate: %s\n", err.msg);
		return 1;
	}
	cold = xcalloc((size_t)reps, sizeof(*cold));
	forced = xcalloc((size_t)reps, sizeof(*forced));
	clean = xcalloc((size_t)reps, sizeof(*clean));
	for (int r = 0; r < reps; r++) {
		snprintf(b.dir, sizeof(b.dir), "/tmp/ggen-bench-gen-XXXXXX");
		if (mkdtemp(b.dir) == NULL)
			return 1;
		snprintf(cmd, sizeof(cmd), "%s/t", b.dir);
		mkdir(cmd, 0700);
		for (int i = 0; i < n; i++) {
			char path[128];
			FILE *f;

			snprintf(path, sizeof(path), "%s/t/s%d.tmpl", b.dir, i);
			f = fopen(path, "w");
			fprintf(f, "---\nto: out/{{ prefix }}%d.h\nvars:\n  fields:"
			    "\n", i);
			for (int k = 0; k < 20; k++)
				fprintf(f, "    - { name: field_%d, ty: int%d_t }\n",
				    k, k % 2 ? 32 : 64);
			fprintf(f, "---\nstruct {{ prefix | pascal }}%d {\n"
			    "{%% for f in fields %%}\t{{ f.ty }} {{ f.name | "
			    "snake }};{%% if loop.last %%} /* {{ loop.index }} "
			    "*/{%% endif %%}\n{%% endfor %%}};\n", i);
			fclose(f);
		}
		tplcache_free(b.g.tplcache);
		b.g.tplcache = NULL;
		cold[r] = bench_generate_once(&b, true);
		forced[r] = bench_generate_once(&b, true);
		clean[r] = bench_generate_once(&b, false);
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", b.dir);
		if (system(cmd) != 0)
			return 1;
	}
	bench_generate_print("cold", cold, reps, n);
	bench_generate_print("forced", forced, reps, n);
	bench_generate_print("clean", clean, reps, n);
	free(cold);
	free(forced);
	free(clean);
	tplcache_free(b.g.tplcache);
	make_project_free(b.model);
	return 0;
}
