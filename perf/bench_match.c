/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * bench_match.c - throughput of the watch matchers: ignore_check and
 * ignore_check_entry over 100k generated paths with a realistic set of
 * ignore files, and glob_match (a make.toml glob, a basename glob, and a
 * backtracking-heavy pattern). Prints one JSON object per figure (see
 * perf/meson.build). Deterministic input (fixed-seed xorshift), no files.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "glob.h"
#include "ignore.h"
#include "xmalloc.h"

#define BENCH_PATHS 100000
#define BENCH_REPS 7

static const char bench_root_gitignore[] =
    "# Build output\n"
    "*.o\n*.a\n*.so\n*.so.*\n*.d\n*.gcda\n*.gcno\n"
    "/build/\n/build-*/\n/dist/\n"
    "*.log\n!important.log\n"
    "# Editors\n"
    ".vscode/\n.idea/\n*.swp\n*~\n\\#*\\#\n"
    "# Python\n"
    "__pycache__/\n*.py[cod]\n.venv/\n*.egg-info/\n"
    "# Node\n"
    "npm-debug.log*\n.next/\ncoverage/\n"
    "docs/_build/\n"
    "**/tmp/**\n"
    "src/**/generated/\n"
    ".DS_Store\nThumbs.db\n";

static const char bench_sub_gitignore[] =
    "*.gen.c\n!keep.gen.c\n/local/\n";

static uint64_t
bench_rand(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static char **
bench_paths(size_t n)
{
	static const char *const dirs[] = {
		"src", "lib", "include", "tests", "docs", "build", "tmp",
		"node_modules", "target", "generated", "core", "net", "util",
		"__pycache__", "local", "app", "vendor", ".idea",
	};
	static const char *const exts[] = {
		".c", ".h", ".o", ".log", ".py", ".pyc", ".js", ".gen.c",
		".md", ".toml", "", ".swp", ".d",
	};
	size_t nd = sizeof dirs / sizeof dirs[0];
	size_t ne = sizeof exts / sizeof exts[0];
	uint64_t seed = 0x9e3779b97f4a7c15ull;
	char **p = xcalloc(n, sizeof *p);
	char buf[512];

	for (size_t i = 0; i < n; i++) {
		int depth = 1 + (int)(bench_rand(&seed) % 6);
		size_t len = 0;

		for (int d = 0; d < depth; d++)
			len += (size_t)snprintf(buf + len, sizeof buf - len,
			    "%s/", dirs[bench_rand(&seed) % nd]);
		snprintf(buf + len, sizeof buf - len, "file%u%s",
		    (unsigned)(bench_rand(&seed) % 1000),
		    exts[bench_rand(&seed) % ne]);
		p[i] = xstrdup(buf);
	}
	return p;
}

static double
bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int
bench_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void
bench_print(const char *figure, double *v, int reps, const char *peer,
    size_t peer_val)
{
	qsort(v, (size_t)reps, sizeof *v, bench_cmp);
	printf("{\"bench\": \"match\", \"figure\": \"%s\", \"unit\": "
	    "\"ns/op\", \"min\": %.1f, \"median\": %.1f, \"max\": %.1f, "
	    "\"reps\": %d, \"%s\": %zu}\n", figure, v[0], v[reps / 2],
	    v[reps - 1], reps, peer, peer_val);
}

int
main(void)
{
	char **paths = bench_paths(BENCH_PATHS);
	size_t *lens = xcalloc(BENCH_PATHS, sizeof *lens);
	struct ignore *m = ignore_new();
	static const char *const subs[] = { "src", "lib/core", "app" };
	double v[BENCH_REPS];
	size_t hits = 0;
	struct glob *g;
	char *aaa;

	for (size_t i = 0; i < BENCH_PATHS; i++)
		lens[i] = strlen(paths[i]);
	if (ignore_set_file(m, IGNORE_GITIGNORE, "", NULL,
	    bench_root_gitignore, strlen(bench_root_gitignore), NULL, NULL,
	    NULL) != 0)
		return 1;
	for (size_t i = 0; i < 3; i++)
		ignore_set_file(m, IGNORE_GITIGNORE, subs[i], NULL,
		    bench_sub_gitignore, strlen(bench_sub_gitignore), NULL,
		    NULL, NULL);

	for (int r = 0; r < BENCH_REPS; r++) {
		double t0 = bench_now_ns();

		hits = 0;
		for (size_t i = 0; i < BENCH_PATHS; i++)
			hits += ignore_check(m, paths[i], lens[i], false, NULL);
		v[r] = (bench_now_ns() - t0) / BENCH_PATHS;
	}
	bench_print("ignore_check", v, BENCH_REPS, "ignored_of_100k", hits);

	for (int r = 0; r < BENCH_REPS; r++) {
		double t0 = bench_now_ns();

		hits = 0;
		for (size_t i = 0; i < BENCH_PATHS; i++)
			hits += ignore_check_entry(m, paths[i], lens[i], false,
			    NULL);
		v[r] = (bench_now_ns() - t0) / BENCH_PATHS;
	}
	bench_print("ignore_check_entry", v, BENCH_REPS, "ignored_of_100k",
	    hits);

	static const struct { const char *fig, *pat; unsigned flags; } gl[] = {
		{ "glob_match_src_c", "src/**/*.c", 0 },
		{ "glob_match_basename", "*.log", GLOB_BASENAME },
		{ "glob_match_class", "**/[a-f]*[0-9].[ch]", 0 },
	};
	for (size_t k = 0; k < sizeof gl / sizeof gl[0]; k++) {
		if (glob_compile(gl[k].pat, gl[k].flags, &g, NULL) != 0)
			return 1;
		for (int r = 0; r < BENCH_REPS; r++) {
			double t0 = bench_now_ns();

			hits = 0;
			for (size_t i = 0; i < BENCH_PATHS; i++)
				hits += glob_match(g, paths[i], lens[i]);
			v[r] = (bench_now_ns() - t0) / BENCH_PATHS;
		}
		bench_print(gl[k].fig, v, BENCH_REPS, "matches_of_100k", hits);
		glob_free(g);
	}

	/* Worst case for naive backtracking: 4 KiB of 'a' against a*..b. */
	aaa = xmalloc(4096);
	memset(aaa, 'a', 4096);
	if (glob_compile("*a*a*a*a*a*a*b", 0, &g, NULL) != 0)
		return 1;
	for (int r = 0; r < BENCH_REPS; r++) {
		double t0 = bench_now_ns();

		hits = 0;
		for (int i = 0; i < 100; i++)
			hits += glob_match(g, aaa, 4096);
		v[r] = (bench_now_ns() - t0) / 100;
	}
	bench_print("glob_match_pathological_4k", v, BENCH_REPS, "matches",
	    hits);
	glob_free(g);
	free(aaa);

	for (size_t i = 0; i < BENCH_PATHS; i++)
		free(paths[i]);
	free(paths);
	free(lens);
	ignore_free(m);
	return 0;
}
