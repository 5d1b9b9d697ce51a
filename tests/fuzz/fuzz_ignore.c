/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fuzz_ignore.c - libFuzzer target for common/ignore.c, common/glob.c and
 * common/path.c.
 *
 * Input: ignore file contents, then a NUL byte, then '\n'-separated lines.
 * The contents are installed as the root .gitignore, as sub/.ggenignore and
 * as a config pattern list; each line is then checked as a path (file and
 * directory), compiled as a glob (each flag combination) and matched
 * against every line, and normalised. Without a NUL, everything is both.
 * Invariants checked (abort on violation, so the fuzzer reports it):
 *   - an entry ignored by ignore_check_entry is ignored by ignore_check;
 *   - a wildcard-free, escape-free glob matches its own text;
 *   - path_normalize is idempotent and its relative output without `..`
 *     is a clean relative path;
 *   - for short patterns over `abc*?/.`, glob_match agrees with a plain
 *     dynamic-programming reference matcher written here from glob.h's
 *     documented semantics (so the last-star shortcut and the basename
 *     fast path are checked against the spec, not against themselves).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "glob.h"
#include "ignore.h"
#include "path.h"
#include "xmalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Bound the quadratic line x line matching so one input stays fast. */
#define FUZZ_IGNORE_MAX_LINES 64
/* Reference matcher limits: segments and bytes per pattern/path. */
#define FUZZ_REF_MAX 64

struct fuzz_ref_seg {
	const char *s;
	size_t n;
	bool globstar;
};

/* Split p[0..n) at '/' into segs; returns the count, or -1 if too many. */
static int
fuzz_ref_split(const char *p, size_t n, struct fuzz_ref_seg *segs)
{
	int k = 0;
	size_t start = 0;

	for (size_t i = 0; i <= n; i++) {
		if (i < n && p[i] != '/')
			continue;
		if (k == FUZZ_REF_MAX)
			return -1;
		segs[k].s = p + start;
		segs[k].n = i - start;
		segs[k].globstar = false;
		k++;
		start = i + 1;
	}
	return k;
}

/* One segment: `*` any run, `?` one byte, others literal. DP over bytes. */
static bool
fuzz_ref_seg_match(const struct fuzz_ref_seg *p, const char *s, size_t n)
{
	bool dp[FUZZ_REF_MAX + 1][FUZZ_REF_MAX + 1];

	if (p->n > FUZZ_REF_MAX || n > FUZZ_REF_MAX)
		abort();
	for (size_t i = p->n + 1; i-- > 0;) {
		for (size_t j = n + 1; j-- > 0;) {
			if (i == p->n)
				dp[i][j] = j == n;
			else if (p->s[i] == '*')
				dp[i][j] = dp[i + 1][j] || (j < n && dp[i][j + 1]);
			else
				dp[i][j] = j < n && (p->s[i] == '?' ||
				    p->s[i] == s[j]) && dp[i + 1][j + 1];
		}
	}
	return dp[0][0];
}

/*
 * Reference: returns 1/0 for match/no match, -1 when the pattern is out of
 * scope (wrong bytes, too long) or invalid (glob_compile must refuse it).
 */
static int
fuzz_ref_match(const char *pat, unsigned flags, const char *path, size_t len)
{
	struct fuzz_ref_seg ps[FUZZ_REF_MAX + 2], ss[FUZZ_REF_MAX];
	bool dp[FUZZ_REF_MAX + 3][FUZZ_REF_MAX + 1];
	size_t pn = strlen(pat);
	int np = 0, ns, k;

	if (pn == 0 || pn > 32 || strspn(pat, "abc*?/.") != pn || len > 64)
		return -1;
	if ((flags & GLOB_BASENAME) && strchr(pat, '/') == NULL) {
		ps[0].globstar = true;
		np = 1;
	}
	k = fuzz_ref_split(pat, pn, ps + np);
	for (int i = np; i < np + k; i++) {
		if (ps[i].n == 0)
			return -1;
		ps[i].globstar = ps[i].n >= 2 &&
		    strspn(ps[i].s, "*") >= ps[i].n;
	}
	np += k;
	if (ps[np - 1].globstar) {
		ps[np].s = "*";
		ps[np].n = 1;
		ps[np].globstar = false;
		np++;
	}
	if (len > 0 && path[len - 1] == '/')
		len--;
	if (len == 0)
		return 0;
	ns = fuzz_ref_split(path, len, ss);
	if (ns < 0)
		return -1;
	for (int i = np + 1; i-- > 0;) {
		for (int j = ns + 1; j-- > 0;) {
			if (i == np)
				dp[i][j] = j == ns || (flags & GLOB_DIR_PREFIX);
			else if (ps[i].globstar)
				dp[i][j] = dp[i + 1][j] || (j < ns && dp[i][j + 1]);
			else
				dp[i][j] = j < ns && fuzz_ref_seg_match(&ps[i],
				    ss[j].s, ss[j].n) && dp[i + 1][j + 1];
		}
	}
	return dp[0][0];
}

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
	char *a = path_normalize(p), *b = path_normalize(a), *rel = NULL;
	size_t len;

	if (strcmp(a, b) != 0)
		abort();
	if (a[0] != '/' && strcmp(a, ".") != 0 && strncmp(a, "..", 2) != 0 &&
	    !path_is_clean_relative(a))
		abort();
	if (path_relative("/r", p, &rel, NULL) == 0 &&
	    !path_is_inside("/r", p))
		abort();
	free(rel);
	(void)path_basename(p, &len);
	if (path_dirname_len(p) > strlen(p))
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
	for (size_t i = 0; i < nlines; i++) {
		for (size_t j = 0; j < nlines; j++) {
			for (int f = 0; f < 3; f++) {
				size_t lj = strlen(lines[j]);
				int want = fuzz_ref_match(lines[i], flags[f],
				    lines[j], lj);

				if (globs[i][f] == NULL) {
					if (want >= 0)
						abort();
					continue;
				}
				if (glob_match(globs[i][f], lines[j], lj) !=
				    (want != 0) && want >= 0)
					abort();
			}
		}
	}
	for (size_t i = 0; i < nlines; i++)
		for (int f = 0; f < 3; f++)
			glob_free(globs[i][f]);
	ignore_free(m);
	free(rest);
	return 0;
}
