/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * glob.c - compile and match path globs (syntax in glob.h).
 *
 * Owns: the compiled form of one pattern: an array of segments (one per
 * '/'-separated piece), each either a globstar or a run of tokens, plus
 * 256-bit class bitmaps. Called by make.toml validation, the watch code and
 * common/ignore.c; pure, no I/O, no global state.
 *
 * Matching works on two levels that share one idea: inside a segment `*`
 * may absorb bytes, across segments `**` may absorb whole segments. Both
 * keep only the most recent star as a backtrack point: whatever an earlier
 * star absorbed can be left as is, since the later star can absorb any
 * extra, so the first (leftmost) fit of the pieces between stars is always
 * good enough. That gives O(n * m) worst case with no recursion.
 *
 * Invariants: no segment is empty; consecutive `*` tokens are collapsed;
 * two globstars are never adjacent; a trailing globstar is followed by a
 * GLOB_SEG_ANY segment so it needs at least one path segment; class bitmaps
 * never contain '/'.
 */
#include "glob.h"

#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"

enum glob_tok_kind {
	GLOB_TOK_LIT,		/* ch */
	GLOB_TOK_ONE,		/* ? */
	GLOB_TOK_STAR,		/* * */
	GLOB_TOK_CLASS,		/* cls indexes g->classes */
};

struct glob_tok {
	uint8_t kind;
	uint8_t ch;
	uint16_t cls;
};

enum glob_seg_kind {
	GLOB_SEG_LITERAL,	/* bytes lit[0..lit_len) exactly */
	GLOB_SEG_SUFFIX,	/* `*` then literal: ends with lit */
	GLOB_SEG_ANY,		/* `*` alone: any one segment */
	GLOB_SEG_TOKENS,	/* general token run */
	GLOB_SEG_GLOBSTAR,	/* `**`: zero or more segments */
};

struct glob_seg {
	uint8_t kind;
	uint32_t tok;		/* first token (GLOB_SEG_TOKENS) */
	uint32_t ntok;
	uint32_t lit;		/* offset in g->lits (LITERAL, SUFFIX) */
	uint32_t lit_len;
};

struct glob_class {
	uint8_t bits[32];
};

struct glob {
	unsigned flags;
	bool literal;
	char *pattern;
	struct glob_seg *segs;
	size_t nseg;
	struct glob_tok *toks;
	size_t ntok;
	struct glob_class *classes;
	size_t ncls;
	char *lits;
	size_t nlits;
};

static inline bool
glob_class_has(const struct glob_class *c, unsigned char b)
{
	return (c->bits[b >> 3] >> (b & 7)) & 1;
}

static inline void
glob_class_set(struct glob_class *c, unsigned char b)
{
	c->bits[b >> 3] |= (uint8_t)(1u << (b & 7));
}

static int
glob_err(struct gerr *err, enum gerr_code code, size_t col, const char *what)
{
	return gerr_set_at(err, code, NULL, 1, (int)col, "%s", what);
}

struct glob_named {
	const char *name;
	int (*pred)(int);
};

static int glob_is_alpha(int c) { return (c | 32) >= 'a' && (c | 32) <= 'z'; }
static int glob_is_digit(int c) { return c >= '0' && c <= '9'; }
static int glob_is_alnum(int c) { return glob_is_alpha(c) || glob_is_digit(c); }
static int glob_is_upper(int c) { return c >= 'A' && c <= 'Z'; }
static int glob_is_lower(int c) { return c >= 'a' && c <= 'z'; }
static int
glob_is_space(int c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}
static int
glob_is_punct(int c)
{
	return c > ' ' && c < 127 && !glob_is_alnum(c);
}
static int
glob_is_xdigit(int c)
{
	return glob_is_digit(c) || ((c | 32) >= 'a' && (c | 32) <= 'f');
}

/* ASCII only on purpose: matching must not depend on the daemon's locale. */
static const struct glob_named glob_named_classes[] = {
	{ "alpha", glob_is_alpha }, { "digit", glob_is_digit },
	{ "alnum", glob_is_alnum }, { "upper", glob_is_upper },
	{ "lower", glob_is_lower }, { "space", glob_is_space },
	{ "punct", glob_is_punct }, { "xdigit", glob_is_xdigit },
};

/*
 * Parse the class starting at p[*i] == '['. On success *i is just past ']'.
 */
static int
glob_parse_class(const char *p, size_t n, size_t *i, struct glob_class *cls,
    struct gerr *err)
{
	size_t open = *i, j = *i + 1;
	bool negate = false, first = true;

	memset(cls, 0, sizeof *cls);
	if (j < n && (p[j] == '!' || p[j] == '^')) {
		negate = true;
		j++;
	}
	for (;;) {
		unsigned char lo, hi;

		if (j >= n)
			return glob_err(err, GERR_PARSE, open + 1,
			    "unterminated '[' (character class)");
		if (p[j] == ']' && !first)
			break;
		first = false;
		if (p[j] == '[' && j + 1 < n && p[j + 1] == ':') {
			const char *end = strstr(p + j + 2, ":]");
			size_t k, len;

			if (end != NULL) {
				len = (size_t)(end - (p + j + 2));
				for (k = 0; k < sizeof glob_named_classes /
				    sizeof glob_named_classes[0]; k++) {
					if (strlen(glob_named_classes[k].name)
					    == len && memcmp(glob_named_classes[k].name,
					    p + j + 2, len) == 0)
						break;
				}
				if (k == sizeof glob_named_classes /
				    sizeof glob_named_classes[0])
					return glob_err(err, GERR_PARSE, j + 1,
					    "unknown character class name");
				for (int c = 0; c < 256; c++)
					if (glob_named_classes[k].pred(c))
						glob_class_set(cls, (unsigned char)c);
				j = (size_t)(end - p) + 2;
				continue;
			}
		}
		if (p[j] == '\\') {
			j++;
			if (j >= n)
				return glob_err(err, GERR_PARSE, open + 1,
				    "unterminated '[' (character class)");
		}
		if (p[j] == '/')
			return glob_err(err, GERR_PARSE, j + 1,
			    "'/' cannot appear in a character class");
		lo = hi = (unsigned char)p[j++];
		if (j + 1 < n && p[j] == '-' && p[j + 1] != ']') {
			size_t at = j + 1;

			j++;
			if (p[j] == '\\') {
				j++;
				if (j >= n)
					return glob_err(err, GERR_PARSE,
					    open + 1,
					    "unterminated '[' (character class)");
			}
			if (p[j] == '/')
				return glob_err(err, GERR_PARSE, j + 1,
				    "'/' cannot appear in a character class");
			hi = (unsigned char)p[j++];
			if (hi < lo)
				return glob_err(err, GERR_PARSE, at,
				    "reversed range in character class");
		}
		for (unsigned c = lo; c <= hi; c++)
			glob_class_set(cls, (unsigned char)c);
	}
	if (negate)
		for (size_t k = 0; k < sizeof cls->bits; k++)
			cls->bits[k] = (uint8_t)~cls->bits[k];
	/* A class is a one-segment thing: it must never match a separator. */
	cls->bits['/' >> 3] &= (uint8_t)~(1u << ('/' & 7));
	*i = j + 1;
	return 0;
}

static void
glob_add_seg(struct glob *g, uint8_t kind, size_t tok, size_t ntok)
{
	struct glob_seg *s = &g->segs[g->nseg++];

	if (kind != GLOB_SEG_LITERAL)
		g->literal = false;
	s->kind = kind;
	s->tok = (uint32_t)tok;
	s->ntok = (uint32_t)ntok;
	s->lit = s->lit_len = 0;
}

/* Pick the fast form for the segment just parsed into toks[tok..). */
static void
glob_classify_seg(struct glob *g, size_t tok)
{
	size_t ntok = g->ntok - tok, k, first = 0;
	struct glob_seg *s;
	uint8_t kind = GLOB_SEG_LITERAL;

	if (ntok == 1 && g->toks[tok].kind == GLOB_TOK_STAR) {
		glob_add_seg(g, GLOB_SEG_ANY, tok, ntok);
		return;
	}
	if (g->toks[tok].kind == GLOB_TOK_STAR) {
		kind = GLOB_SEG_SUFFIX;
		first = 1;
	}
	for (k = first; k < ntok; k++)
		if (g->toks[tok + k].kind != GLOB_TOK_LIT)
			break;
	if (k < ntok) {
		glob_add_seg(g, GLOB_SEG_TOKENS, tok, ntok);
		return;
	}
	glob_add_seg(g, kind, tok, ntok);
	s = &g->segs[g->nseg - 1];
	s->lit = (uint32_t)g->nlits;
	s->lit_len = (uint32_t)(ntok - first);
	for (k = first; k < ntok; k++)
		g->lits[g->nlits++] = (char)g->toks[tok + k].ch;
}

/* The invariants of the file comment; free when NDEBUG. */
static void
glob_check(const struct glob *g)
{
	assert(g->nseg > 0);
	assert(g->segs[g->nseg - 1].kind != GLOB_SEG_GLOBSTAR);
	for (size_t i = 0; i < g->nseg; i++) {
		const struct glob_seg *s = &g->segs[i];

		assert(i == 0 || s->kind != GLOB_SEG_GLOBSTAR ||
		    g->segs[i - 1].kind != GLOB_SEG_GLOBSTAR);
		assert(s->kind != GLOB_SEG_TOKENS || s->ntok > 0);
		for (size_t k = 1; s->kind == GLOB_SEG_TOKENS && k < s->ntok;
		    k++)
			assert(g->toks[s->tok + k].kind != GLOB_TOK_STAR ||
			    g->toks[s->tok + k - 1].kind != GLOB_TOK_STAR);
	}
	for (size_t c = 0; c < g->ncls; c++)
		assert(!glob_class_has(&g->classes[c], '/'));
	(void)g;
}

static void
glob_add_tok(struct glob *g, uint8_t kind, uint8_t ch, size_t cls)
{
	struct glob_tok *t = &g->toks[g->ntok++];

	t->kind = kind;
	t->ch = ch;
	t->cls = (uint16_t)cls;
}

int
glob_compile(const char *pattern, unsigned flags, struct glob **out,
    struct gerr *err)
{
	size_t n = strlen(pattern), i = 0;
	struct glob *g;
	int rc = 0;

	*out = NULL;
	if (n == 0)
		return glob_err(err, GERR_PARSE, 1, "empty pattern");
	if (n > GLOB_PATTERN_MAX)
		return gerr_set_at(err, GERR_TOO_LARGE, NULL, 1,
		    GLOB_PATTERN_MAX + 1, "pattern longer than %d bytes",
		    GLOB_PATTERN_MAX);
	g = xcalloc(1, sizeof *g);
	g->flags = flags;
	g->literal = true;
	g->pattern = xstrdup(pattern);
	/* Bounds: each byte makes at most one token, one segment, one class. */
	g->toks = xcalloc(n + 1, sizeof *g->toks);
	g->segs = xcalloc(n + 3, sizeof *g->segs);
	g->lits = xcalloc(n + 1, 1);
	g->classes = xcalloc(n / 2 + 1, sizeof *g->classes);

	if ((flags & GLOB_BASENAME) && strchr(pattern, '/') == NULL)
		glob_add_seg(g, GLOB_SEG_GLOBSTAR, 0, 0);

	while (i <= n) {
		size_t seg_start = i, tok = g->ntok;

		if (i == n || pattern[i] == '/') {
			rc = glob_err(err, GERR_PARSE, i + 1 > n ? n : i + 1,
			    i == 0 ? "pattern must be relative (leading '/')" :
			    i == n ? "trailing '/' in pattern" :
			    "empty path segment ('//') in pattern");
			goto fail;
		}
		while (i < n && pattern[i] != '/') {
			unsigned char c = (unsigned char)pattern[i];

			if (c == '*') {
				size_t run = 0;

				while (i < n && pattern[i] == '*') {
					run++;
					i++;
				}
				if (run >= 2 && i == seg_start + run &&
				    (i == n || pattern[i] == '/')) {
					/* `**` twice in a row is one `**`. */
					if (g->nseg == 0 || g->segs[g->nseg - 1]
					    .kind != GLOB_SEG_GLOBSTAR)
						glob_add_seg(g,
						    GLOB_SEG_GLOBSTAR, 0, 0);
					goto next_seg;
				}
				if (g->ntok == tok || g->toks[g->ntok - 1]
				    .kind != GLOB_TOK_STAR)
					glob_add_tok(g, GLOB_TOK_STAR, 0, 0);
				continue;
			}
			if (c == '?') {
				glob_add_tok(g, GLOB_TOK_ONE, 0, 0);
				i++;
				continue;
			}
			if (c == '[') {
				rc = glob_parse_class(pattern, n, &i,
				    &g->classes[g->ncls], err);
				if (rc != 0)
					goto fail;
				glob_add_tok(g, GLOB_TOK_CLASS, 0, g->ncls++);
				continue;
			}
			if (c == '\\') {
				if (i + 1 >= n) {
					rc = glob_err(err, GERR_PARSE, i + 1,
					    "trailing '\\' escapes nothing");
					goto fail;
				}
				/* `\/` is still a separator: nothing else could match it. */
				if (pattern[i + 1] == '/') {
					i++;
					continue;
				}
				i++;
				c = (unsigned char)pattern[i];
			}
			glob_add_tok(g, GLOB_TOK_LIT, c, 0);
			i++;
		}
		if (g->ntok == tok) {
			rc = glob_err(err, GERR_PARSE, i,
			    "empty path segment in pattern");
			goto fail;
		}
		glob_classify_seg(g, tok);
next_seg:
		if (i == n)
			break;
		i++;	/* the '/' */
	}
	/* A trailing `**` needs at least one segment, as in gitignore. */
	if (g->segs[g->nseg - 1].kind == GLOB_SEG_GLOBSTAR)
		glob_add_seg(g, GLOB_SEG_ANY, 0, 0);
	glob_check(g);
	*out = g;
	return 0;
fail:
	glob_free(g);
	return rc;
}

/* Match one segment s[0..n) against a token run; see the file comment. */
static bool
glob_match_tokens(const struct glob *g, const struct glob_tok *t, size_t nt,
    const char *s, size_t n)
{
	size_t ti = 0, si = 0, star_ti = SIZE_MAX, star_si = 0;

	while (si < n) {
		if (ti < nt) {
			const struct glob_tok *k = &t[ti];
			unsigned char c = (unsigned char)s[si];

			if (k->kind == GLOB_TOK_STAR) {
				star_ti = ti++;
				star_si = si;
				continue;
			}
			if ((k->kind == GLOB_TOK_LIT && k->ch == c) ||
			    k->kind == GLOB_TOK_ONE ||
			    (k->kind == GLOB_TOK_CLASS &&
			    glob_class_has(&g->classes[k->cls], c))) {
				ti++;
				si++;
				continue;
			}
		}
		if (star_ti == SIZE_MAX)
			return false;
		ti = star_ti + 1;
		si = ++star_si;
	}
	while (ti < nt && t[ti].kind == GLOB_TOK_STAR)
		ti++;
	return ti == nt;
}

static bool
glob_match_seg(const struct glob *g, const struct glob_seg *seg,
    const char *s, size_t n)
{
	switch (seg->kind) {
	case GLOB_SEG_LITERAL:
		return n == seg->lit_len && memcmp(s, g->lits + seg->lit, n) == 0;
	case GLOB_SEG_SUFFIX:
		return n >= seg->lit_len && memcmp(s + n - seg->lit_len,
		    g->lits + seg->lit, seg->lit_len) == 0;
	case GLOB_SEG_ANY:
		return true;
	case GLOB_SEG_TOKENS:
		return glob_match_tokens(g, g->toks + seg->tok, seg->ntok, s, n);
	case GLOB_SEG_GLOBSTAR:
		break;
	}
	return false;
}

static size_t
glob_seg_end(const char *path, size_t pos, size_t len)
{
	const char *slash = memchr(path + pos, '/', len - pos);

	return slash != NULL ? (size_t)(slash - path) : len;
}

bool
glob_match(const struct glob *g, const char *path, size_t len)
{
	size_t pi = 0, pos = 0, star_pi = SIZE_MAX, star_pos = 0;

	if (len > 0 && path[len - 1] == '/')
		len--;
	if (len == 0)
		return false;
	/*
	 * The commonest ignore shape (`*.o`, `node_modules` under
	 * GLOB_BASENAME): `**` then one segment is a test of the basename.
	 */
	if (g->nseg == 2 && g->segs[0].kind == GLOB_SEG_GLOBSTAR &&
	    g->segs[1].kind != GLOB_SEG_GLOBSTAR &&
	    !(g->flags & GLOB_DIR_PREFIX)) {
		const char *slash = memrchr(path, '/', len);

		pos = slash != NULL ? (size_t)(slash - path) + 1 : 0;
		return glob_match_seg(g, &g->segs[1], path + pos, len - pos);
	}
	/* pos > len means every path segment has been consumed. */
	while (pos <= len) {
		if (pi < g->nseg) {
			const struct glob_seg *seg = &g->segs[pi];
			size_t end;

			if (seg->kind == GLOB_SEG_GLOBSTAR) {
				star_pi = pi++;
				star_pos = pos;
				continue;
			}
			end = glob_seg_end(path, pos, len);
			if (glob_match_seg(g, seg, path + pos, end - pos)) {
				pi++;
				pos = end + 1;
				continue;
			}
		} else if (g->flags & GLOB_DIR_PREFIX) {
			return true;
		}
		if (star_pi == SIZE_MAX)
			return false;
		/* Let the last `**` absorb one more segment and retry. */
		pi = star_pi + 1;
		star_pos = glob_seg_end(path, star_pos, len) + 1;
		pos = star_pos;
	}
	while (pi < g->nseg && g->segs[pi].kind == GLOB_SEG_GLOBSTAR)
		pi++;
	return pi == g->nseg;
}

const char *
glob_pattern(const struct glob *g)
{
	return g->pattern;
}

bool
glob_is_literal(const struct glob *g)
{
	return g->literal;
}

void
glob_free(struct glob *g)
{
	if (g == NULL)
		return;
	free(g->pattern);
	free(g->segs);
	free(g->toks);
	free(g->classes);
	free(g->lits);
	free(g);
}
