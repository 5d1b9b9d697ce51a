/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fuzz_ignore.c - libFuzzer target for common/ignore.c, common/glob.c and
 * common/paths.c.
 *
 * Input: ignore file contents, then a NUL byte, then '\n'-separated lines.
 * The contents are installed as the root .gitignore, as sub/.ggenignore and
 * as a config pattern list; each line is then checked as a path (file and
 * directory), compiled as a glob (each flag combination) and matched
 * against every line, and normalised. Without a NUL, everything is both.
 * Invariants checked (abort on violation, so the fuzzer reports it):
 *   - an entry ignored by ignore_check_entry is ignored by ignore_check;
 *   - a wildcard-free, escape-free glob matches its own text;
 *   - paths_normalize is idempotent and its relative output without `..`
 *     is a clean relative path.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "glob.h"
#include "ignore.h"
#include "paths.h"
#include "xmalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Bound the quadratic line x line matching so one input stays fast. */
#define FUZZ_IGNORE_MAX_LINES 64

static void
fuzz_ignore_check_path(const struct ignore *m, const char *p, size_t n)
{
	for (int dir = 0; dir < 2; dir++) {
		struct ignore_why why;
		bool entry = ignore_check_entry(m, p, n, dir, &why);
		bool full = ignore_check(m, p, n, dir, &why);

		if (entry && !full)
			abort();
		if (full && why.file == NULL)
			abort();
	}
}

static void
fuzz_ignore_paths(const char *p)
{
	char *a = paths_normalize(p), *b = paths_normalize(a), *rel = NULL;
	size_t len;

	if (strcmp(a, b) != 0)
		abort();
	if (a[0] != '/' && strcmp(a, ".") != 0 && strncmp(a, "..", 2) != 0 &&
	    !paths_is_clean_relative(a))
		abort();
	if (paths_relative("/r", p, &rel, NULL) == 0 &&
	    !paths_is_inside("/r", p))
		abort();
	free(rel);
	(void)paths_basename(p, &len);
	if (paths_dirname_len(p) > strlen(p))
		abort();
	free(a);
	free(b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	const uint8_t *nul = memchr(data, '\0', size);
	size_t text_len = nul != NULL ? (size_t)(nul - data) : size;
	char *rest = nul != NULL ? xstrndup((const char *)nul + 1,
	    size - text_len - 1) : xstrndup(text, size);
	char *lines[FUZZ_IGNORE_MAX_LINES];
	struct glob *globs[FUZZ_IGNORE_MAX_LINES][3];
	size_t nlines = 0;
	struct ignore *m = ignore_new();
	static const unsigned flags[3] = { 0, GLOB_BASENAME,
	    GLOB_BASENAME | GLOB_DIR_PREFIX };

	ignore_set_file(m, IGNORE_GITIGNORE, "", NULL, text, text_len, NULL,
	    NULL, NULL);
	ignore_set_file(m, IGNORE_GGENIGNORE, "sub", NULL, text, text_len,
	    NULL, NULL, NULL);

	for (char *s = rest, *e; nlines < FUZZ_IGNORE_MAX_LINES; s = e + 1) {
		e = strchrnul(s, '\n');
		lines[nlines++] = s;
		if (*e == '\0')
			break;
		*e = '\0';
	}
	ignore_set_patterns(m, (const char *const *)lines, nlines, "fuzz",
	    NULL, NULL, NULL);

	for (size_t i = 0; i < nlines; i++) {
		const char *l = lines[i];

		fuzz_ignore_check_path(m, l, strlen(l));
		fuzz_ignore_paths(l);
		for (int f = 0; f < 3; f++) {
			globs[i][f] = NULL;
			if (glob_compile(l, flags[f], &globs[i][f], NULL) != 0)
				continue;
			if (glob_is_literal(globs[i][f]) &&
			    strchr(l, '\\') == NULL &&
			    !glob_match(globs[i][f], l, strlen(l)))
				abort();
		}
	}
	for (size_t i = 0; i < nlines; i++)
		for (size_t j = 0; j < nlines; j++)
			for (int f = 0; f < 3; f++)
				if (globs[i][f] != NULL)
					(void)glob_match(globs[i][f], lines[j],
					    strlen(lines[j]));
	for (size_t i = 0; i < nlines; i++)
		for (int f = 0; f < 3; f++)
			glob_free(globs[i][f]);
	ignore_free(m);
	free(rest);
	return 0;
}
