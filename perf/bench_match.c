/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * bench_match.c - throughput of the watch matchers: ignore_check and
 * ignore_check_entry over 100k generated paths with a realistic set of
 * ignore files, and glob_match (a make.toml glob, a basename glob, and a
 * backtracking-heavy pattern), and a phase's glob list as on-save
 * matching uses it (make_strlist_match on globs the model compiled once)
 * next to what it replaced (compile, match, free per path). Prints one
 * JSON object per figure (see perf/bench.h). Deterministic input
 * (fixed-seed xorshift), no files.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "glob.h"
#include "ignore.h"
#include "make.h"
#include "xmalloc.h"

/* Full and quick (smoke / callgrind) input sizes and repetitions. */
#define BENCH_MATCH_PATHS 100000
#define BENCH_MATCH_PATHS_QUICK 10000
#define BENCH_MATCH_REPS 7
#define BENCH_MATCH_REPS_QUICK 3
/* The pathological pattern: text length and matches per sample. */
#define BENCH_MATCH_AAA_LEN 4096
#define BENCH_MATCH_AAA_CALLS 100

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
bench_match_rand(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static char **
bench_match_paths(size_t n)
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
		int depth = 1 + (int)(bench_match_rand(&seed) % 6);
		size_t len = 0;

		for (int d = 0; d < depth; d++)
			len += (size_t)snprintf(buf + len, sizeof buf - len,
			    "%s/", dirs[bench_match_rand(&seed) % nd]);
		snprintf(buf + len, sizeof buf - len, "file%u%s",
		    (unsigned)(bench_match_rand(&seed) % 1000),
		    exts[bench_match_rand(&seed) % ne]);
		p[i] = xstrdup(buf);
	}
	return p;
}

struct bench_match_ctx {
	struct ignore *ign;
	struct glob *glob;
	char **paths;
	size_t *lens;
	size_t n;
	size_t hits;
	bool entry;		/* ignore_check_entry, else ignore_check */
	const struct make_strlist *list;	/* a phase's globs */
	char extra[64];
};

static void
bench_match_ignore(void *arg)
{
	struct bench_match_ctx *c = arg;

	/* Two direct-call loops, not a function pointer: an indirect call
	 * would add its own cost to the figure (and keep LTO from inlining). */
	c->hits = 0;
	for (size_t i = 0; c->entry && i < c->n; i++)
		c->hits += ignore_check_entry(c->ign, c->paths[i], c->lens[i],
		    false, NULL);
	for (size_t i = 0; !c->entry && i < c->n; i++)
		c->hits += ignore_check(c->ign, c->paths[i], c->lens[i], false,
		    NULL);
	snprintf(c->extra, sizeof c->extra, "\"ignored\":%zu", c->hits);
}

static void
bench_match_glob(void *arg)
{
	struct bench_match_ctx *c = arg;

	c->hits = 0;
	for (size_t i = 0; i < c->n; i++)
		c->hits += glob_match(c->glob, c->paths[i], c->lens[i]);
	snprintf(c->extra, sizeof c->extra, "\"matches\":%zu", c->hits);
}

/* The hot path of on-save matching: the model's compiled globs. */
static void
bench_match_phase(void *arg)
{
	struct bench_match_ctx *c = arg;

	c->hits = 0;
	for (size_t i = 0; i < c->n; i++)
		c->hits += make_strlist_match(c->list, c->paths[i]) >= 0;
	snprintf(c->extra, sizeof c->extra, "\"matches\":%zu", c->hits);
}

/* What the model-time compile replaced: every glob compiled per path. */
static void
bench_match_phase_compile(void *arg)
{
	struct bench_match_ctx *c = arg;

	c->hits = 0;
	for (size_t i = 0; i < c->n; i++) {
		bool hit = false;

		for (size_t k = 0; k < c->list->len; k++) {
			struct glob *g;

			if (glob_compile(c->list->items[k].s, 0, &g, NULL) != 0)
				continue;
			hit = hit || glob_match(g, c->paths[i], c->lens[i]);
			glob_free(g);
		}
		c->hits += hit;
	}
	snprintf(c->extra, sizeof c->extra, "\"matches\":%zu", c->hits);
}

static void
bench_match_pathological(void *arg)
{
	struct bench_match_ctx *c = arg;

	c->hits = 0;
	for (int i = 0; i < BENCH_MATCH_AAA_CALLS; i++)
		c->hits += glob_match(c->glob, c->paths[0], c->lens[0]);
	snprintf(c->extra, sizeof c->extra, "\"matches\":%zu", c->hits);
}

int
main(void)
{
	static const char *const subs[] = { "src", "lib/core", "app" };
	static const struct { const char *fig, *pat; unsigned flags; } gl[] = {
		{ "glob_match_src_c", "src/**/*.c", 0 },
		{ "glob_match_basename", "*.log", GLOB_BASENAME },
		{ "glob_match_class", "**/[a-f]*[0-9].[ch]", 0 },
	};
	struct bench_match_ctx c = { 0 };
	struct bench_figure f = { .bench = "match", .arg = &c,
	    .extra_json = c.extra };
	size_t aaa_len = BENCH_MATCH_AAA_LEN;
	char *aaa;

	c.n = bench_quick() ? BENCH_MATCH_PATHS_QUICK : BENCH_MATCH_PATHS;
	c.paths = bench_match_paths(c.n);
	c.lens = xcalloc(c.n, sizeof *c.lens);
	c.ign = ignore_new();
	f.reps = bench_reps(BENCH_MATCH_REPS, BENCH_MATCH_REPS_QUICK);
	f.ops = c.n;
	for (size_t i = 0; i < c.n; i++)
		c.lens[i] = strlen(c.paths[i]);
	if (ignore_set_file(c.ign, IGNORE_GITIGNORE, "", NULL,
	    bench_root_gitignore, strlen(bench_root_gitignore), NULL, NULL,
	    NULL) != 0)
		return 1;
	for (size_t i = 0; i < 3; i++)
		if (ignore_set_file(c.ign, IGNORE_GITIGNORE, subs[i], NULL,
		    bench_sub_gitignore, strlen(bench_sub_gitignore), NULL,
		    NULL, NULL) != 0)
			return 1;

	f.body = bench_match_ignore;
	for (int entry = 0; entry < 2; entry++) {
		c.entry = entry;
		f.figure = entry ? "ignore_check_entry" : "ignore_check";
		bench_figure_run(&f);
	}

	f.body = bench_match_glob;
	for (size_t k = 0; k < sizeof gl / sizeof gl[0]; k++) {
		if (glob_compile(gl[k].pat, gl[k].flags, &c.glob, NULL) != 0)
			return 1;
		f.figure = gl[k].fig;
		bench_figure_run(&f);
		glob_free(c.glob);
	}

	/* A phase's watch list, compiled once (make_load does it). */
	{
		static const char *const pats[] = { "src/**/*.c",
		    "src/**/*.h", "include/**", "Makefile" };
		struct make_str items[4];
		struct glob *globs[4];
		struct make_strlist list = { .items = items, .len = 4,
		    .globs = globs };

		for (size_t k = 0; k < 4; k++) {
			items[k] = (struct make_str){ .s = (char *)pats[k] };
			if (glob_compile(pats[k], 0, &globs[k], NULL) != 0)
				return 1;
		}
		c.list = &list;
		f.figure = "phase_globs_match";
		f.body = bench_match_phase;
		bench_figure_run(&f);
		f.figure = "phase_globs_compile_each_path";
		f.body = bench_match_phase_compile;
		bench_figure_run(&f);
		for (size_t k = 0; k < 4; k++)
			glob_free(globs[k]);
	}

	/* Worst case for naive backtracking: 4 KiB of 'a' against a*..b. */
	aaa = xmalloc(aaa_len);
	memset(aaa, 'a', aaa_len);
	if (glob_compile("*a*a*a*a*a*a*b", 0, &c.glob, NULL) != 0)
		return 1;
	{
		struct bench_match_ctx p = { .glob = c.glob, .paths = &aaa,
		    .lens = &aaa_len, .n = 1 };

		f.figure = "glob_match_pathological_4k";
		f.body = bench_match_pathological;
		f.arg = &p;
		f.extra_json = p.extra;
		f.ops = BENCH_MATCH_AAA_CALLS;
		bench_figure_run(&f);
	}
	glob_free(c.glob);
	free(aaa);

	for (size_t i = 0; i < c.n; i++)
		free(c.paths[i]);
	free(c.paths);
	free(c.lens);
	ignore_free(c.ign);
	return 0;
}
