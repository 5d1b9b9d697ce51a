/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * template.c - lexer, parser and tree-walking renderer of the Tera subset.
 *
 * Owns struct template: a private copy of the source (text nodes point into
 * it), the AST, and the literal values (immortal, so that concurrent renders
 * never touch their reference counts). Callers: frontmatter.c, the daemon's
 * render path, the conformance driver, fuzz and perf programs.
 *
 * Invariants: after template_compile returns, nothing in struct template is
 * written again; every render keeps its mutable state (frames, counters) in
 * struct template_run on the caller's stack. Recursion is bounded: parsing
 * by TEMPLATE_MAX_BLOCK_DEPTH / TEMPLATE_MAX_EXPR_DEPTH, rendering by the
 * AST depth (so by the same caps). Output and loop iterations are capped per
 * render. Never calls anything that touches process-global state.
 *
 * Hot path (perf/callgrind_template.sh counts it): filters and tests are
 * resolved to their table rows, variable names to integer symbols and
 * `loop.NAME` to an enum at compile time; `{{ x | f }}` with a filter that
 * has an emit form writes straight into the output; pure filter results are
 * memoised per render, as values or as spans of the output already
 * written; loop variables are lent by the loop's sequence instead of
 * reference-counted; if/elif conditions become a bool without values.
 * Reference counts stay atomic because one context may be read by
 * concurrent renders; values made during a render never leave it.
 */
#include "template.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "template_filters.h"
#include "xmalloc.h"

/* ---------------------------------------------------------------- lexer */

enum template_tok_kind {
	TOK_TEXT,
	TOK_VOPEN,	/* {{ */
	TOK_VCLOSE,	/* }} */
	TOK_BOPEN,	/* {% */
	TOK_BCLOSE,	/* %} */
	TOK_IDENT,
	TOK_INT,
	TOK_FLOAT,
	TOK_STRING,
	TOK_OP,		/* op holds a code below */
	TOK_EOF,
};

enum template_op {
	OP_NONE, OP_PLUS, OP_MINUS, OP_MUL, OP_DIV, OP_MOD, OP_TILDE, OP_PIPE,
	OP_LPAREN, OP_RPAREN, OP_LBRACK, OP_RBRACK, OP_COMMA, OP_DOT,
	OP_ASSIGN, OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE,
	/* non-lexical: produced by the parser */
	OP_IN, OP_NOT_IN,
};

struct template_tok {
	enum template_tok_kind kind;
	enum template_op op;
	const char *s;		/* into the template's source copy */
	size_t len;
	int line, col;
};

struct template_lexer {
	const char *src, *p, *end;
	const char *name;
	int line, col;
	struct template_tok *toks;
	size_t ntoks, cap;
	bool strip_next;	/* previous tag ended with '-' */
	struct gerr *err;
};

static void
template_lex_advance(struct template_lexer *lx, size_t n)
{
	while (n-- > 0 && lx->p < lx->end) {
		if (*lx->p == '\n') {
			lx->line++;
			lx->col = 1;
		} else
			lx->col++;
		lx->p++;
	}
}

static struct template_tok *
template_lex_push(struct template_lexer *lx, enum template_tok_kind kind,
    const char *s, size_t len, int line, int col)
{
	struct template_tok *t;

	if (lx->ntoks == lx->cap) {
		lx->cap = lx->cap ? lx->cap * 2 : 64;
		lx->toks = xreallocarray(lx->toks, lx->cap, sizeof *lx->toks);
	}
	t = &lx->toks[lx->ntoks++];
	t->kind = kind;
	t->op = OP_NONE;
	t->s = s;
	t->len = len;
	t->line = line;
	t->col = col;
	return t;
}

static bool
template_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
	    c == '\v';
}

/* Drop trailing whitespace of the last token if it is text ({{- etc.). */
static void
template_lex_rstrip_prev(struct template_lexer *lx)
{
	struct template_tok *t;

	if (lx->ntoks == 0 || lx->toks[lx->ntoks - 1].kind != TOK_TEXT)
		return;
	t = &lx->toks[lx->ntoks - 1];
	while (t->len > 0 && template_is_space(t->s[t->len - 1]))
		t->len--;
}

static void
template_lex_text(struct template_lexer *lx, const char *s, size_t len,
    int line, int col)
{
	if (lx->strip_next) {
		while (len > 0 && template_is_space(*s)) {
			if (*s == '\n') {
				line++;
				col = 1;
			} else
				col++;
			s++;
			len--;
		}
		lx->strip_next = false;
	}
	template_lex_push(lx, TOK_TEXT, s, len, line, col);
}

static bool
template_starts(const struct template_lexer *lx, const char *p, const char *lit)
{
	size_t n = strlen(lit);

	return (size_t)(lx->end - p) >= n && memcmp(p, lit, n) == 0;
}

/*
 * If p (just after "{%" and an optional '-') opens `raw %}` or `endraw %}`
 * (per word), return a pointer past the closing "%}" and set *strip_after;
 * else NULL.
 */
static const char *
template_lex_match_tag(const struct template_lexer *lx, const char *p,
    const char *word, bool *strip_after)
{
	size_t n = strlen(word);

	while (p < lx->end && template_is_space(*p))
		p++;
	if ((size_t)(lx->end - p) < n || memcmp(p, word, n) != 0)
		return NULL;
	p += n;
	if (p < lx->end && !template_is_space(*p) && *p != '-' && *p != '%')
		return NULL;
	while (p < lx->end && template_is_space(*p))
		p++;
	*strip_after = false;
	if (p < lx->end && *p == '-') {
		*strip_after = true;
		p++;
	}
	if (!template_starts(lx, p, "%}"))
		return NULL;
	return p + 2;
}

static int
template_lex_error(struct template_lexer *lx, int line, int col,
    const char *msg)
{
	return gerr_set_at(lx->err, GERR_TEMPLATE, lx->name, line, col, "%s",
	    msg);
}

/* Handle `{% raw %}...{% endraw %}`; p points just past the opening
 * delimiter's optional '-'. Returns 1 if it was a raw block, 0 if not,
 * or an error code < 0 negated. */
static int
template_lex_raw(struct template_lexer *lx, const char *after_open, int line,
    int col)
{
	bool strip_in, strip_end_before, strip_after;
	const char *body, *q, *close;

	body = template_lex_match_tag(lx, after_open, "raw", &strip_in);
	if (body == NULL)
		return 0;
	for (q = body; q < lx->end; q++) {
		const char *r;

		if (!template_starts(lx, q, "{%"))
			continue;
		r = q + 2;
		strip_end_before = false;
		if (r < lx->end && *r == '-') {
			strip_end_before = true;
			r++;
		}
		close = template_lex_match_tag(lx, r, "endraw", &strip_after);
		if (close == NULL)
			continue;
		template_lex_advance(lx, (size_t)(body - lx->p));
		{
			const char *s = body;
			size_t len = (size_t)(q - body);
			int tl = lx->line, tc = lx->col;

			lx->strip_next = strip_in;
			if (strip_end_before)
				while (len > 0 && template_is_space(s[len - 1]))
					len--;
			template_lex_text(lx, s, len, tl, tc);
		}
		template_lex_advance(lx, (size_t)(close - lx->p));
		lx->strip_next = strip_after;
		return 1;
	}
	template_lex_error(lx, line, col, "unclosed `raw` block: expected "
	    "{% endraw %}");
	return -1;
}

static bool
template_is_ident_start(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool
template_is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Lex tokens inside a tag until its closing delimiter. */
static int
template_lex_inside(struct template_lexer *lx, enum template_tok_kind close,
    int open_line, int open_col)
{
	const char *closer = close == TOK_VCLOSE ? "}}" : "%}";
	static const struct {
		const char *s;
		enum template_op op;
	} ops[] = {
		{ "==", OP_EQ }, { "!=", OP_NE }, { "<=", OP_LE }, { ">=", OP_GE },
		{ "<", OP_LT }, { ">", OP_GT }, { "+", OP_PLUS }, { "-", OP_MINUS },
		{ "*", OP_MUL }, { "/", OP_DIV }, { "%", OP_MOD }, { "~", OP_TILDE },
		{ "|", OP_PIPE }, { "(", OP_LPAREN }, { ")", OP_RPAREN },
		{ "[", OP_LBRACK }, { "]", OP_RBRACK }, { ",", OP_COMMA },
		{ ".", OP_DOT }, { "=", OP_ASSIGN },
	};

	for (;;) {
		while (lx->p < lx->end && template_is_space(*lx->p))
			template_lex_advance(lx, 1);
		if (lx->p >= lx->end) {
			char msg[64];

			snprintf(msg, sizeof msg, "unclosed tag: expected `%s`",
			    closer);
			return template_lex_error(lx, open_line, open_col, msg);
		}
		const char *p = lx->p;
		int line = lx->line, col = lx->col;

		if (*p == '-' && template_starts(lx, p + 1, closer)) {
			template_lex_push(lx, close, p, 3, line, col);
			template_lex_advance(lx, 3);
			lx->strip_next = true;
			return 0;
		}
		if (template_starts(lx, p, closer)) {
			template_lex_push(lx, close, p, 2, line, col);
			template_lex_advance(lx, 2);
			return 0;
		}
		if (template_is_ident_start(*p)) {
			size_t n = 1;

			while (p + n < lx->end && (template_is_ident_start(p[n]) ||
			    template_is_digit(p[n])))
				n++;
			template_lex_push(lx, TOK_IDENT, p, n, line, col);
			template_lex_advance(lx, n);
			continue;
		}
		if (template_is_digit(*p)) {
			size_t n = 0;
			enum template_tok_kind k = TOK_INT;

			while (p + n < lx->end && template_is_digit(p[n]))
				n++;
			if (p + n + 1 < lx->end && p[n] == '.' &&
			    template_is_digit(p[n + 1])) {
				k = TOK_FLOAT;
				n++;
				while (p + n < lx->end && template_is_digit(p[n]))
					n++;
			}
			template_lex_push(lx, k, p, n, line, col);
			template_lex_advance(lx, n);
			continue;
		}
		if (*p == '"' || *p == '\'' || *p == '`') {
			const char *q = memchr(p + 1, *p, (size_t)(lx->end - p - 1));

			if (q == NULL)
				return template_lex_error(lx, line, col,
				    "unterminated string literal");
			template_lex_push(lx, TOK_STRING, p + 1,
			    (size_t)(q - p - 1), line, col);
			template_lex_advance(lx, (size_t)(q - p + 1));
			continue;
		}
		size_t i;

		for (i = 0; i < sizeof ops / sizeof ops[0]; i++)
			if (template_starts(lx, p, ops[i].s))
				break;
		if (i == sizeof ops / sizeof ops[0]) {
			char msg[64];

			if ((unsigned char)*p >= 0x20 && (unsigned char)*p < 0x7f)
				snprintf(msg, sizeof msg,
				    "unexpected character `%c`", *p);
			else
				snprintf(msg, sizeof msg,
				    "unexpected byte 0x%02x",
				    (unsigned char)*p);
			return template_lex_error(lx, line, col, msg);
		}
		template_lex_push(lx, TOK_OP, p, strlen(ops[i].s), line,
		    col)->op = ops[i].op;
		template_lex_advance(lx, strlen(ops[i].s));
	}
}

static int
template_lex(struct template_lexer *lx)
{
	int rc;

	while (lx->p < lx->end) {
		const char *q = lx->p;
		int line = lx->line, col = lx->col;

		/* Find the next delimiter. */
		while (q + 1 < lx->end && !(q[0] == '{' &&
		    (q[1] == '{' || q[1] == '%' || q[1] == '#')))
			q++;
		if (q + 1 >= lx->end)
			q = lx->end;
		if (q > lx->p) {
			template_lex_text(lx, lx->p, (size_t)(q - lx->p), line,
			    col);
			template_lex_advance(lx, (size_t)(q - lx->p));
		} else
			lx->strip_next = false;
		if (lx->p >= lx->end)
			break;
		line = lx->line;
		col = lx->col;
		char kind = lx->p[1];
		bool strip_before = lx->p + 2 < lx->end && lx->p[2] == '-';
		const char *after = lx->p + 2 + (strip_before ? 1 : 0);

		if (strip_before)
			template_lex_rstrip_prev(lx);
		if (kind == '#') {
			const char *c;

			for (c = after; c + 1 < lx->end; c++)
				if (c[0] == '#' && c[1] == '}')
					break;
			if (c + 1 >= lx->end)
				return template_lex_error(lx, line, col,
				    "unclosed comment: expected `#}`");
			lx->strip_next = c > after && c[-1] == '-';
			template_lex_advance(lx, (size_t)(c + 2 - lx->p));
			/* An empty text token: a later `{{-` strips only the
			 * text after the comment, not the text before it. */
			template_lex_push(lx, TOK_TEXT, lx->p, 0, lx->line,
			    lx->col);
			continue;
		}
		if (kind == '%') {
			rc = template_lex_raw(lx, after, line, col);
			if (rc < 0)
				return GERR_TEMPLATE;
			if (rc > 0)
				continue;
		}
		template_lex_push(lx, kind == '{' ? TOK_VOPEN : TOK_BOPEN, lx->p,
		    (size_t)(after - lx->p), line, col);
		template_lex_advance(lx, (size_t)(after - lx->p));
		rc = template_lex_inside(lx, kind == '{' ? TOK_VCLOSE :
		    TOK_BCLOSE, line, col);
		if (rc != 0)
			return rc;
	}
	template_lex_push(lx, TOK_EOF, lx->end, 0, lx->line, lx->col);
	return 0;
}

/* ------------------------------------------------------------------ AST */

enum template_expr_kind {
	EXPR_CONST,
	EXPR_VAR,
	EXPR_ATTR,	/* a.name */
	EXPR_INDEX,	/* a[b] */
	EXPR_BIN,	/* arithmetic, comparison, ~, in */
	EXPR_AND,
	EXPR_OR,
	EXPR_NOT,
	EXPR_NEG,
	EXPR_FILTER,
	EXPR_TEST,
	EXPR_ARRAY,
};

/* What `loop.NAME` reads, decided at compile time. */
enum template_loop_attr {
	LOOP_ATTR_NONE,		/* not an attribute of `loop` */
	LOOP_ATTR_INDEX,
	LOOP_ATTR_INDEX0,
	LOOP_ATTR_FIRST,
	LOOP_ATTR_LAST,
	LOOP_ATTR_LENGTH,
	LOOP_ATTR_OTHER,	/* undefined inside a loop */
};

struct template_expr {
	enum template_expr_kind kind;
	enum template_op op;
	int line, col;
	const char *src;	/* source text of the expression (messages) */
	size_t srclen;
	struct tvalue *cval;	/* EXPR_CONST (immortal) */
	const char *name;	/* VAR / ATTR / FILTER / TEST */
	size_t namelen;
	int sym;		/* VAR: the name's symbol */
	enum template_loop_attr loop_attr;	/* ATTR */
	struct template_expr *a, *b;
	const struct template_filter_def *def;
	struct template_expr *args[TEMPLATE_FILTER_MAX_ARGS];
	struct template_expr **items;	/* EXPR_ARRAY */
	size_t nitems;
	bool negate;		/* `is not` */
};

enum template_node_kind {
	NODE_TEXT,
	NODE_OUT,
	NODE_IF,
	NODE_FOR,
	NODE_SET,
	NODE_BREAK,
	NODE_CONTINUE,
};

struct template_block {
	struct template_node **nodes;
	size_t len, cap;
};

struct template_node {
	enum template_node_kind kind;
	int line, col;
	const char *text;
	size_t len;
	struct template_expr *expr;
	/* if: conds[i] guards bodies[i]; els is the else branch */
	struct template_expr **conds;
	struct template_block *bodies;
	size_t nconds;
	struct template_block els;
	/* for */
	const char *kvar, *vvar;	/* kvar NULL for `for x in` */
	size_t kvarlen, vvarlen;
	int ksym, vsym;
	struct template_block body;
	/* set */
	const char *var;
	size_t varlen;
	int sym;
	bool global;
};

struct template {
	char *name;
	char *src;
	size_t srclen;
	struct template_block root;
};

/* -------------------------------------------------------------- symbols */

/*
 * Variable names (references, loop variables, set targets) are interned to
 * small integers at compile time, so that a render finds a variable by
 * comparing integers. The table (a map name -> TVALUE_INT) lives only
 * while compiling; symbol 0 is always `loop`.
 */
#define TEMPLATE_SYM_LOOP 0

static int
template_sym(struct tvalue *syms, const char *s, size_t n)
{
	struct tvalue *v = tvalue_map_getn(syms, s, n);
	int sym;

	if (v != NULL)
		return (int)v->u.i;
	sym = (int)tvalue_len(syms);
	tvalue_map_setn(syms, s, n, tvalue_int(sym));
	return sym;
}

/* --------------------------------------------------------------- parser */

struct template_parser {
	struct template_tok *toks;
	size_t pos;
	const char *name;
	int depth;		/* block nesting */
	int edepth;		/* expression nesting */
	int loops;		/* enclosing for loops */
	struct tvalue *syms;	/* see template_sym */
	struct gerr *err;
};

static struct template_tok *
template_peek(struct template_parser *ps)
{
	return &ps->toks[ps->pos];
}

static struct template_tok *
template_next(struct template_parser *ps)
{
	struct template_tok *t = &ps->toks[ps->pos];

	if (t->kind != TOK_EOF)
		ps->pos++;
	return t;
}

static bool
template_tok_is(const struct template_tok *t, const char *word)
{
	return t->kind == TOK_IDENT && t->len == strlen(word) &&
	    memcmp(t->s, word, t->len) == 0;
}

static bool
template_tok_op(const struct template_tok *t, enum template_op op)
{
	return t->kind == TOK_OP && t->op == op;
}

static const char *
template_tok_desc(const struct template_tok *t, char *buf, size_t size)
{
	switch (t->kind) {
	case TOK_EOF:
		return "end of template";
	case TOK_TEXT:
		return "text";
	case TOK_STRING:
		snprintf(buf, size, "string \"%.*s\"",
		    t->len > 20 ? 20 : (int)t->len, t->s);
		return buf;
	default:
		snprintf(buf, size, "`%.*s`", t->len > 20 ? 20 : (int)t->len,
		    t->s);
		return buf;
	}
}

static int
template_perr(struct template_parser *ps, const struct template_tok *t,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int
template_perr(struct template_parser *ps, const struct template_tok *t,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	gerr_vset_at(ps->err, GERR_TEMPLATE, ps->name, t->line, t->col, fmt,
	    ap);
	va_end(ap);
	return GERR_TEMPLATE;
}

static int
template_expect_op(struct template_parser *ps, enum template_op op,
    const char *what)
{
	struct template_tok *t = template_peek(ps);
	char buf[48];

	if (!template_tok_op(t, op))
		return template_perr(ps, t, "expected `%s`, found %s", what,
		    template_tok_desc(t, buf, sizeof buf));
	template_next(ps);
	return 0;
}

static void
template_expr_free(struct template_expr *e)
{
	if (e == NULL)
		return;
	tvalue_free_immortal(e->cval);
	template_expr_free(e->a);
	template_expr_free(e->b);
	for (int i = 0; i < TEMPLATE_FILTER_MAX_ARGS; i++)
		template_expr_free(e->args[i]);
	for (size_t i = 0; i < e->nitems; i++)
		template_expr_free(e->items[i]);
	free(e->items);
	free(e);
}

static struct template_expr *
template_expr_new(enum template_expr_kind kind, const struct template_tok *t)
{
	struct template_expr *e = xcalloc(1, sizeof *e);

	e->kind = kind;
	e->line = t->line;
	e->col = t->col;
	e->src = t->s;
	e->srclen = t->len;
	return e;
}

/* A new node of kind at token t whose left operand is *out: it replaces
 * *out and keeps *out's position and source start (for messages). */
static struct template_expr *
template_expr_wrap(struct template_expr **out, enum template_expr_kind kind,
    const struct template_tok *t)
{
	struct template_expr *e = template_expr_new(kind, t);

	e->line = (*out)->line;
	e->col = (*out)->col;
	e->src = (*out)->src;
	e->a = *out;
	*out = e;
	return e;
}

/* Extend e's source span to the end of the previous token. */
static void
template_expr_span(struct template_parser *ps, struct template_expr *e)
{
	const struct template_tok *last = &ps->toks[ps->pos - 1];

	if (last->s + last->len > e->src)
		e->srclen = (size_t)(last->s + last->len - e->src);
	if (last->kind == TOK_STRING)
		e->srclen++;
}

/* One more level of expression nesting, refused past the cap. */
static int
template_depth_enter(struct template_parser *ps, const struct template_tok *t)
{
	if (++ps->edepth > TEMPLATE_MAX_EXPR_DEPTH) {
		gerr_set_at(ps->err, GERR_LIMIT, ps->name, t->line, t->col,
		    "expression nested deeper than %d",
		    TEMPLATE_MAX_EXPR_DEPTH);
		return GERR_LIMIT;
	}
	return 0;
}

/*
 * Every link of a left-associative chain (a + b + c ..., a | f | g ...)
 * makes the tree one level deeper, so links count against the expression
 * depth cap like parentheses do: evaluation and freeing recurse on depth.
 * The caller gives the levels back (edepth -= links) when the chain ends.
 */
static enum template_loop_attr
template_loop_attr(const struct template_expr *obj,
    const struct template_tok *t)
{
	static const char *const names[] = {
		[LOOP_ATTR_INDEX] = "index", [LOOP_ATTR_INDEX0] = "index0",
		[LOOP_ATTR_FIRST] = "first", [LOOP_ATTR_LAST] = "last",
		[LOOP_ATTR_LENGTH] = "length",
	};

	if (obj->kind != EXPR_VAR || obj->sym != TEMPLATE_SYM_LOOP)
		return LOOP_ATTR_NONE;
	for (int i = LOOP_ATTR_INDEX; i <= LOOP_ATTR_LENGTH; i++)
		if (template_tok_is(t, names[i]))
			return (enum template_loop_attr)i;
	return LOOP_ATTR_OTHER;
}

static int
template_chain_link(struct template_parser *ps, const struct template_tok *t,
    int *links)
{
	(*links)++;
	return template_depth_enter(ps, t);
}

typedef int (*template_parse_fn)(struct template_parser *,
    struct template_expr **);

static int template_parse_expr(struct template_parser *ps,
    struct template_expr **out);

static int
template_parse_primary(struct template_parser *ps, struct template_expr **out)
{
	struct template_tok *t = template_next(ps);
	struct template_expr *e;
	char buf[48];
	int rc;

	*out = NULL;
	switch (t->kind) {
	case TOK_INT: {
		char tmp[32];
		char *end;
		long long v;

		if (t->len >= sizeof tmp)
			return template_perr(ps, t, "integer literal too long");
		memcpy(tmp, t->s, t->len);
		tmp[t->len] = '\0';
		errno = 0;
		v = strtoll(tmp, &end, 10);
		e = template_expr_new(EXPR_CONST, t);
		if (errno == ERANGE)
			e->cval = tvalue_double(strtod(tmp, NULL));
		else
			e->cval = tvalue_int(v);
		tvalue_make_immortal(e->cval);
		*out = e;
		return 0;
	}
	case TOK_FLOAT: {
		char tmp[64];

		if (t->len >= sizeof tmp)
			return template_perr(ps, t, "float literal too long");
		memcpy(tmp, t->s, t->len);
		tmp[t->len] = '\0';
		e = template_expr_new(EXPR_CONST, t);
		e->cval = tvalue_double(strtod(tmp, NULL));
		tvalue_make_immortal(e->cval);
		*out = e;
		return 0;
	}
	case TOK_STRING:
		e = template_expr_new(EXPR_CONST, t);
		e->src--;
		e->srclen += 2;
		e->cval = tvalue_stringn(t->s, t->len);
		tvalue_make_immortal(e->cval);
		*out = e;
		return 0;
	case TOK_IDENT:
		e = template_expr_new(EXPR_CONST, t);
		if (template_tok_is(t, "true") || template_tok_is(t, "True"))
			e->cval = tvalue_bool(true);
		else if (template_tok_is(t, "false") ||
		    template_tok_is(t, "False"))
			e->cval = tvalue_bool(false);
		else if (template_tok_is(t, "none") ||
		    template_tok_is(t, "None"))
			e->cval = tvalue_null();
		else if (template_tok_is(t, "and") || template_tok_is(t, "or") ||
		    template_tok_is(t, "not") || template_tok_is(t, "in") ||
		    template_tok_is(t, "is")) {
			free(e);
			return template_perr(ps, t, "expected a value, found "
			    "`%.*s`", (int)t->len, t->s);
		} else {
			e->kind = EXPR_VAR;
			e->name = t->s;
			e->namelen = t->len;
			e->sym = template_sym(ps->syms, t->s, t->len);
		}
		*out = e;
		return 0;
	case TOK_OP:
		if (t->op == OP_LPAREN) {
			rc = template_parse_expr(ps, out);
			if (rc == 0)
				rc = template_expect_op(ps, OP_RPAREN, ")");
			return rc;
		}
		if (t->op == OP_LBRACK) {
			e = template_expr_new(EXPR_ARRAY, t);
			*out = e;
			size_t cap = 0;

			while (!template_tok_op(template_peek(ps), OP_RBRACK)) {
				if (e->nitems == cap) {
					cap = cap ? cap * 2 : 4;
					e->items = xreallocarray(e->items, cap,
					    sizeof *e->items);
				}
				/* Parse in place so that a failure leaves the
				 * partial item owned by the tree. */
				e->items[e->nitems++] = NULL;
				rc = template_parse_expr(ps,
				    &e->items[e->nitems - 1]);
				if (rc != 0)
					return rc;
				if (!template_tok_op(template_peek(ps), OP_COMMA))
					break;
				template_next(ps);
			}
			rc = template_expect_op(ps, OP_RBRACK, "]");
			template_expr_span(ps, e);
			return rc;
		}
		break;
	default:
		break;
	}
	return template_perr(ps, t, "expected a value, found %s",
	    template_tok_desc(t, buf, sizeof buf));
}

static int
template_parse_postfix(struct template_parser *ps, struct template_expr **out)
{
	struct template_expr *e, *n;
	struct template_tok *t;
	int rc, links = 0;

	rc = template_parse_primary(ps, out);
	for (; rc == 0;) {
		e = *out;
		t = template_peek(ps);
		if ((template_tok_op(t, OP_DOT) || template_tok_op(t, OP_LBRACK))
		    && (rc = template_chain_link(ps, t, &links)) != 0)
			break;
		if (template_tok_op(t, OP_DOT)) {
			template_next(ps);
			t = template_next(ps);
			if (t->kind != TOK_IDENT && t->kind != TOK_INT) {
				char buf[48];

				rc = template_perr(ps, t, "expected a name "
				    "after `.`, found %s",
				    template_tok_desc(t, buf, sizeof buf));
				break;
			}
			n = template_expr_new(EXPR_ATTR, t);
			n->line = e->line;
			n->col = e->col;
			n->src = e->src;
			n->name = t->s;
			n->namelen = t->len;
			n->a = e;
			n->loop_attr = template_loop_attr(e, t);
			template_expr_span(ps, n);
			*out = n;
		} else if (template_tok_op(t, OP_LBRACK)) {
			template_next(ps);
			n = template_expr_new(EXPR_INDEX, t);
			n->line = e->line;
			n->col = e->col;
			n->src = e->src;
			n->a = e;
			*out = n;
			rc = template_parse_expr(ps, &n->b);
			if (rc == 0)
				rc = template_expect_op(ps, OP_RBRACK, "]");
			if (rc == 0)
				template_expr_span(ps, n);
		} else
			break;
	}
	ps->edepth -= links;
	return rc;
}

/* A prefix operator (`-x`, `not x`): recursion, so it counts as depth. */
static int
template_parse_prefix(struct template_parser *ps, struct template_expr **out,
    enum template_expr_kind kind, template_parse_fn self)
{
	struct template_tok *t = template_peek(ps);
	struct template_expr *e;
	int rc = template_depth_enter(ps, t);

	if (rc != 0)
		return rc;
	template_next(ps);
	e = template_expr_new(kind, t);
	*out = e;
	rc = self(ps, &e->a);
	ps->edepth--;
	if (rc == 0)
		template_expr_span(ps, e);
	return rc;
}

static int
template_parse_unary(struct template_parser *ps, struct template_expr **out)
{
	struct template_tok *t = template_peek(ps);

	if (template_tok_op(t, OP_MINUS))
		return template_parse_prefix(ps, out, EXPR_NEG,
		    template_parse_unary);
	return template_parse_postfix(ps, out);
}



/*
 * Fold `*out OP rhs` into *out: t is the operator's first token, consumed
 * here with `extra` more (two-word operators: `not in`); sub parses the
 * right operand. Counts one more link of the chain in *links (the caller
 * gives them back to ps->edepth). Shared by every binary level.
 */
static int
template_parse_rhs(struct template_parser *ps, struct template_expr **out,
    struct template_tok *t, enum template_op op, int extra,
    template_parse_fn sub, int *links)
{
	struct template_expr *e;
	int rc;

	if ((rc = template_chain_link(ps, t, links)) != 0)
		return rc;
	template_next(ps);
	while (extra-- > 0)
		template_next(ps);
	e = template_expr_wrap(out, EXPR_BIN, t);
	e->op = op;
	rc = sub(ps, &e->b);
	if (rc == 0)
		template_expr_span(ps, e);
	return rc;
}

/* Left-associative binary level over the given operators. */
static int
template_parse_binary(struct template_parser *ps, struct template_expr **out,
    template_parse_fn sub, const enum template_op *ops, size_t nops)
{
	/* A non-NULL *out is an already parsed left operand (the filtered
	 * expression in `x | f ~ y`). */
	int rc = *out != NULL ? 0 : sub(ps, out), links = 0;

	while (rc == 0) {
		struct template_tok *t = template_peek(ps);
		size_t i;

		if (t->kind != TOK_OP)
			break;
		for (i = 0; i < nops && ops[i] != t->op; i++)
			;
		if (i == nops)
			break;
		rc = template_parse_rhs(ps, out, t, t->op, 0, sub, &links);
	}
	ps->edepth -= links;
	return rc;
}

static int
template_parse_mul(struct template_parser *ps, struct template_expr **out)
{
	static const enum template_op ops[] = { OP_MUL, OP_DIV, OP_MOD };

	return template_parse_binary(ps, out, template_parse_unary, ops, 3);
}

static int
template_parse_add(struct template_parser *ps, struct template_expr **out)
{
	static const enum template_op ops[] = { OP_PLUS, OP_MINUS };

	return template_parse_binary(ps, out, template_parse_mul, ops, 2);
}

static int
template_parse_concat(struct template_parser *ps, struct template_expr **out)
{
	static const enum template_op ops[] = { OP_TILDE };

	return template_parse_binary(ps, out, template_parse_add, ops, 1);
}

/* Arguments of a filter or test call: `(a=1, b=2)` or positional. */
static int
template_parse_args(struct template_parser *ps, struct template_expr *e,
    const struct template_tok *nametok)
{
	const struct template_filter_def *def = e->def;
	bool seen[TEMPLATE_FILTER_MAX_ARGS] = { false };
	int npos = 0, rc;

	if (template_tok_op(template_peek(ps), OP_LPAREN)) {
		template_next(ps);
		while (!template_tok_op(template_peek(ps), OP_RPAREN)) {
			struct template_tok *t = template_peek(ps);
			int slot = -1;

			if (t->kind == TOK_IDENT &&
			    template_tok_op(&ps->toks[ps->pos + 1], OP_ASSIGN)) {
				for (int i = 0; i < def->nargs; i++)
					if (strlen(def->args[i]) == t->len &&
					    memcmp(def->args[i], t->s,
					    t->len) == 0)
						slot = i;
				if (slot < 0)
					return template_perr(ps, t, "%s `%s` "
					    "has no argument `%.*s`",
					    def->kind == TEMPLATE_FILTER ?
					    "filter" : "test", def->name,
					    (int)t->len, t->s);
				template_next(ps);
				template_next(ps);
			} else {
				slot = npos++;
				if (slot >= def->nargs)
					return template_perr(ps, t, "too many "
					    "arguments to `%s` (takes %d)",
					    def->name, def->nargs);
			}
			if (seen[slot])
				return template_perr(ps, t, "argument `%s` "
				    "given twice", def->args[slot]);
			seen[slot] = true;
			rc = template_parse_expr(ps, &e->args[slot]);
			if (rc != 0)
				return rc;
			if (!template_tok_op(template_peek(ps), OP_COMMA))
				break;
			template_next(ps);
		}
		rc = template_expect_op(ps, OP_RPAREN, ")");
		if (rc != 0)
			return rc;
	}
	for (int i = 0; i < def->nrequired; i++)
		if (!seen[i])
			return template_perr(ps, nametok, "%s `%s` needs "
			    "argument `%s`", def->kind == TEMPLATE_FILTER ?
			    "filter" : "test", def->name, def->args[i]);
	return 0;
}

static int
template_parse_callee(struct template_parser *ps, struct template_expr *e,
    enum template_filter_kind kind)
{
	struct template_tok *t = template_next(ps);
	const char *what = kind == TEMPLATE_FILTER ? "filter" : "test";
	char buf[48];

	if (t->kind != TOK_IDENT)
		return template_perr(ps, t, "expected a %s name, found %s",
		    what, template_tok_desc(t, buf, sizeof buf));
	e->name = t->s;
	e->namelen = t->len;
	e->def = template_filters_find(kind, t->s, t->len);
	if (e->def == NULL) {
		const char *s = template_filters_suggest(kind, t->s, t->len);

		if (s != NULL)
			return template_perr(ps, t, "unknown %s `%.*s`; did "
			    "you mean `%s`?", what, (int)t->len, t->s, s);
		return template_perr(ps, t, "unknown %s `%.*s`", what,
		    (int)t->len, t->s);
	}
	return template_parse_args(ps, e, t);
}

static bool
template_is_arith(const struct template_tok *t)
{
	return t->kind == TOK_OP && (t->op == OP_PLUS || t->op == OP_MINUS ||
	    t->op == OP_MUL || t->op == OP_DIV || t->op == OP_MOD ||
	    t->op == OP_TILDE);
}

static int
template_parse_filtered(struct template_parser *ps, struct template_expr **out)
{
	int rc, links = 0;

	*out = NULL;
	rc = template_parse_concat(ps, out);
	while (rc == 0 && (template_tok_op(template_peek(ps), OP_PIPE) ||
	    template_is_arith(template_peek(ps)))) {
		if ((rc = template_chain_link(ps, template_peek(ps), &links)) != 0)
			break;
		if (template_is_arith(template_peek(ps))) {
			/* `x | f + 1`: the filtered value is the left operand
			 * of the arithmetic that follows, at its own level. */
			rc = template_parse_mul(ps, out);
			if (rc == 0)
				rc = template_parse_add(ps, out);
			if (rc == 0)
				rc = template_parse_concat(ps, out);
			continue;
		}
		struct template_tok *t = template_next(ps);
		struct template_expr *e = template_expr_wrap(out, EXPR_FILTER, t);

		rc = template_parse_callee(ps, e, TEMPLATE_FILTER);
		if (rc == 0)
			template_expr_span(ps, e);
		/* Remember where the filter name is, for its runtime errors. */
		e->line = t->line;
		e->col = t->col + 1;
	}
	ps->edepth -= links;
	return rc;
}

static int
template_parse_cmp(struct template_parser *ps, struct template_expr **out)
{
	int rc = template_parse_filtered(ps, out), links = 0;

	while (rc == 0) {
		struct template_tok *t = template_peek(ps);
		struct template_expr *e;
		enum template_op op = OP_NONE;

		if (t->kind == TOK_OP && (t->op == OP_EQ || t->op == OP_NE ||
		    t->op == OP_LT || t->op == OP_LE || t->op == OP_GT ||
		    t->op == OP_GE))
			op = t->op;
		else if (template_tok_is(t, "in"))
			op = OP_IN;
		else if (template_tok_is(t, "not") &&
		    template_tok_is(&ps->toks[ps->pos + 1], "in"))
			op = OP_NOT_IN;
		else if (template_tok_is(t, "is")) {
			if ((rc = template_chain_link(ps, t, &links)) != 0)
				break;
			template_next(ps);
			e = template_expr_wrap(out, EXPR_TEST, t);
			if (template_tok_is(template_peek(ps), "not")) {
				template_next(ps);
				e->negate = true;
			}
			rc = template_parse_callee(ps, e, TEMPLATE_TEST);
			if (rc == 0)
				template_expr_span(ps, e);
			continue;
		} else
			break;
		rc = template_parse_rhs(ps, out, t, op, op == OP_NOT_IN ? 1 : 0,
		    template_parse_filtered, &links);
	}
	ps->edepth -= links;
	return rc;
}

static int
template_parse_not(struct template_parser *ps, struct template_expr **out)
{
	struct template_tok *t = template_peek(ps);

	if (template_tok_is(t, "not"))
		return template_parse_prefix(ps, out, EXPR_NOT,
		    template_parse_not);
	return template_parse_cmp(ps, out);
}

static int
template_parse_logic(struct template_parser *ps, struct template_expr **out,
    template_parse_fn sub, const char *word, enum template_expr_kind kind)
{
	int rc = sub(ps, out), links = 0;

	while (rc == 0 && template_tok_is(template_peek(ps), word)) {
		if ((rc = template_chain_link(ps, template_peek(ps),
		    &links)) != 0)
			break;
		struct template_tok *t = template_next(ps);
		struct template_expr *e = template_expr_wrap(out, kind, t);

		rc = sub(ps, &e->b);
		if (rc == 0)
			template_expr_span(ps, e);
	}
	ps->edepth -= links;
	return rc;
}

static int
template_parse_and(struct template_parser *ps, struct template_expr **out)
{
	return template_parse_logic(ps, out, template_parse_not, "and",
	    EXPR_AND);
}

static int
template_parse_expr(struct template_parser *ps, struct template_expr **out)
{
	struct template_tok *t = template_peek(ps);
	int rc;

	*out = NULL;
	if ((rc = template_depth_enter(ps, t)) != 0)
		return rc;
	rc = template_parse_logic(ps, out, template_parse_and, "or", EXPR_OR);
	ps->edepth--;
	return rc;
}

static void template_block_free(struct template_block *b);

static void
template_node_free(struct template_node *n)
{
	if (n == NULL)
		return;
	template_expr_free(n->expr);
	for (size_t i = 0; i < n->nconds; i++) {
		template_expr_free(n->conds[i]);
		template_block_free(&n->bodies[i]);
	}
	free(n->conds);
	free(n->bodies);
	template_block_free(&n->els);
	template_block_free(&n->body);
	free(n);
}

static void
template_block_free(struct template_block *b)
{
	for (size_t i = 0; i < b->len; i++)
		template_node_free(b->nodes[i]);
	free(b->nodes);
	b->nodes = NULL;
	b->len = b->cap = 0;
}

static struct template_node *
template_block_add(struct template_block *b, enum template_node_kind kind,
    const struct template_tok *t)
{
	struct template_node *n = xcalloc(1, sizeof *n);

	if (b->len == b->cap) {
		b->cap = b->cap ? b->cap * 2 : 8;
		b->nodes = xreallocarray(b->nodes, b->cap, sizeof *b->nodes);
	}
	b->nodes[b->len++] = n;
	n->kind = kind;
	n->line = t->line;
	n->col = t->col;
	return n;
}

static int
template_expect_bclose(struct template_parser *ps)
{
	struct template_tok *t = template_peek(ps);
	char buf[48];

	if (t->kind != TOK_BCLOSE)
		return template_perr(ps, t, "expected `%%}`, found %s",
		    template_tok_desc(t, buf, sizeof buf));
	template_next(ps);
	return 0;
}

static const char *const template_tags[] = { "if", "elif", "else", "endif",
	"for", "endfor", "set", "set_global", "break", "continue", "raw",
	"endraw" };

/*
 * Parse nodes into b until a `{% word %}` in `ends` (NULL-terminated) or EOF.
 * On a terminator, *ended is its token (left after the word); at EOF NULL.
 */
static int template_parse_block(struct template_parser *ps,
    struct template_block *b, const char *const *ends,
    struct template_tok **ended);

static int
template_unclosed(struct template_parser *ps, const struct template_tok *open,
    const char *tag)
{
	return template_perr(ps, open, "unclosed `%s`: expected {%% end%s %%}",
	    tag, tag);
}

/* After `{% else`: the else block up to {% end<tag> %} and its `%}`. */
static int
template_parse_else(struct template_parser *ps, struct template_block *els,
    const struct template_tok *open, const char *tag)
{
	char endword[16];
	const char *ends[] = { endword, NULL };
	struct template_tok *end;
	int rc;

	snprintf(endword, sizeof endword, "end%s", tag);
	rc = template_expect_bclose(ps);
	if (rc == 0)
		rc = template_parse_block(ps, els, ends, &end);
	if (rc != 0)
		return rc;
	if (end == NULL)
		return template_unclosed(ps, open, tag);
	return template_expect_bclose(ps);
}

static int
template_parse_if(struct template_parser *ps, struct template_node *n,
    const struct template_tok *open)
{
	static const char *const ends[] = { "elif", "else", "endif", NULL };
	struct template_tok *end;
	size_t cap = 0;
	int rc;

	for (;;) {
		if (n->nconds == cap) {
			cap = cap ? cap * 2 : 2;
			n->conds = xreallocarray(n->conds, cap, sizeof *n->conds);
			n->bodies = xreallocarray(n->bodies, cap,
			    sizeof *n->bodies);
		}
		n->conds[n->nconds] = NULL;
		memset(&n->bodies[n->nconds], 0, sizeof n->bodies[0]);
		n->nconds++;
		rc = template_parse_expr(ps, &n->conds[n->nconds - 1]);
		if (rc == 0)
			rc = template_expect_bclose(ps);
		if (rc == 0)
			rc = template_parse_block(ps, &n->bodies[n->nconds - 1],
			    ends, &end);
		if (rc != 0)
			return rc;
		if (end == NULL)
			return template_unclosed(ps, open, "if");
		if (template_tok_is(end, "elif"))
			continue;
		if (template_tok_is(end, "else"))
			return template_parse_else(ps, &n->els, open, "if");
		return template_expect_bclose(ps);
	}
}

static int
template_parse_for(struct template_parser *ps, struct template_node *n,
    const struct template_tok *open)
{
	static const char *const ends[] = { "else", "endfor", NULL };
	struct template_tok *t = template_next(ps), *end;
	char buf[48];
	int rc;

	if (t->kind != TOK_IDENT)
		return template_perr(ps, t, "expected a loop variable, found %s",
		    template_tok_desc(t, buf, sizeof buf));
	n->vvar = t->s;
	n->vvarlen = t->len;
	if (template_tok_op(template_peek(ps), OP_COMMA)) {
		template_next(ps);
		t = template_next(ps);
		if (t->kind != TOK_IDENT)
			return template_perr(ps, t, "expected a loop variable, "
			    "found %s", template_tok_desc(t, buf, sizeof buf));
		n->kvar = n->vvar;
		n->kvarlen = n->vvarlen;
		n->ksym = template_sym(ps->syms, n->kvar, n->kvarlen);
		n->vvar = t->s;
		n->vvarlen = t->len;
	}
	n->vsym = template_sym(ps->syms, n->vvar, n->vvarlen);
	t = template_next(ps);
	if (!template_tok_is(t, "in"))
		return template_perr(ps, t, "expected `in`, found %s",
		    template_tok_desc(t, buf, sizeof buf));
	rc = template_parse_expr(ps, &n->expr);
	if (rc == 0)
		rc = template_expect_bclose(ps);
	if (rc != 0)
		return rc;
	ps->loops++;
	rc = template_parse_block(ps, &n->body, ends, &end);
	ps->loops--;
	if (rc != 0)
		return rc;
	if (end == NULL)
		return template_unclosed(ps, open, "for");
	if (template_tok_is(end, "else"))
		return template_parse_else(ps, &n->els, open, "for");
	return template_expect_bclose(ps);
}

static int
template_parse_tag(struct template_parser *ps, struct template_block *b,
    const char *const *ends, struct template_tok **ended, bool *done)
{
	struct template_tok *open = template_next(ps);	/* {% */
	struct template_tok *t = template_next(ps);
	struct template_node *n;
	char buf[48];
	int rc;

	*done = false;
	if (t->kind != TOK_IDENT)
		return template_perr(ps, t, "expected a tag name, found %s",
		    template_tok_desc(t, buf, sizeof buf));
	for (size_t i = 0; ends != NULL && ends[i] != NULL; i++)
		if (template_tok_is(t, ends[i])) {
			*ended = t;
			*done = true;
			return 0;
		}
	if (template_tok_is(t, "if")) {
		n = template_block_add(b, NODE_IF, t);
		if (++ps->depth > TEMPLATE_MAX_BLOCK_DEPTH)
			goto deep;
		rc = template_parse_if(ps, n, t);
		ps->depth--;
		return rc;
	}
	if (template_tok_is(t, "for")) {
		n = template_block_add(b, NODE_FOR, t);
		if (++ps->depth > TEMPLATE_MAX_BLOCK_DEPTH)
			goto deep;
		rc = template_parse_for(ps, n, t);
		ps->depth--;
		return rc;
	}
	if (template_tok_is(t, "set") || template_tok_is(t, "set_global")) {
		struct template_tok *v = template_next(ps);

		n = template_block_add(b, NODE_SET, t);
		n->global = t->len == 10;
		if (v->kind != TOK_IDENT)
			return template_perr(ps, v, "expected a variable name, "
			    "found %s", template_tok_desc(v, buf, sizeof buf));
		n->var = v->s;
		n->varlen = v->len;
		n->sym = template_sym(ps->syms, v->s, v->len);
		rc = template_expect_op(ps, OP_ASSIGN, "=");
		if (rc == 0)
			rc = template_parse_expr(ps, &n->expr);
		if (rc == 0)
			rc = template_expect_bclose(ps);
		return rc;
	}
	if (template_tok_is(t, "break") || template_tok_is(t, "continue")) {
		if (ps->loops == 0)
			return template_perr(ps, t, "`%.*s` outside a for loop",
			    (int)t->len, t->s);
		template_block_add(b, t->len == 5 ? NODE_BREAK : NODE_CONTINUE,
		    t);
		return template_expect_bclose(ps);
	}
	(void)open;
	for (size_t i = 0; i < sizeof template_tags / sizeof template_tags[0];
	    i++)
		if (template_tok_is(t, template_tags[i]))
			return template_perr(ps, t, "unexpected `%.*s`",
			    (int)t->len, t->s);
	{
		const char *best = NULL;
		size_t bestd = 3;

		for (size_t i = 0; i < sizeof template_tags /
		    sizeof template_tags[0]; i++) {
			size_t d = template_filters_distance(t->s, t->len,
			    template_tags[i], strlen(template_tags[i]), 2);

			if (d < bestd) {
				bestd = d;
				best = template_tags[i];
			}
		}
		if (best != NULL)
			return template_perr(ps, t, "unknown tag `%.*s`; did you "
			    "mean `%s`?", (int)t->len, t->s, best);
		return template_perr(ps, t, "unknown tag `%.*s`", (int)t->len,
		    t->s);
	}
deep:
	gerr_set_at(ps->err, GERR_LIMIT, ps->name, t->line, t->col,
	    "blocks nested deeper than %d", TEMPLATE_MAX_BLOCK_DEPTH);
	return GERR_LIMIT;
}

static int
template_parse_block(struct template_parser *ps, struct template_block *b,
    const char *const *ends, struct template_tok **ended)
{
	struct template_node *n;
	bool done;
	int rc;

	*ended = NULL;
	for (;;) {
		struct template_tok *t = template_peek(ps);

		switch (t->kind) {
		case TOK_EOF:
			return 0;
		case TOK_TEXT:
			template_next(ps);
			if (t->len > 0) {
				n = template_block_add(b, NODE_TEXT, t);
				n->text = t->s;
				n->len = t->len;
			}
			break;
		case TOK_VOPEN:
			template_next(ps);
			n = template_block_add(b, NODE_OUT, t);
			rc = template_parse_expr(ps, &n->expr);
			if (rc != 0)
				return rc;
			t = template_next(ps);
			if (t->kind != TOK_VCLOSE) {
				char buf[48];

				return template_perr(ps, t, "expected `}}`, "
				    "found %s", template_tok_desc(t, buf,
				    sizeof buf));
			}
			break;
		case TOK_BOPEN:
			rc = template_parse_tag(ps, b, ends, ended, &done);
			if (rc != 0 || done)
				return rc;
			break;
		default: {
			char buf[48];

			return template_perr(ps, t, "unexpected %s",
			    template_tok_desc(t, buf, sizeof buf));
		}
		}
	}
}

int
template_compile_at(const char *src, size_t len, const char *name,
    int first_line, struct template **out, struct gerr *err)
{
	struct template *t = xcalloc(1, sizeof *t);
	struct template_lexer lx = { 0 };
	struct template_parser ps = { 0 };
	struct template_tok *end;
	int rc;

	*out = NULL;
	t->name = xstrdup(name != NULL ? name : "<template>");
	t->src = xmalloc(len + 1);
	memcpy(t->src, src, len);
	t->src[len] = '\0';
	t->srclen = len;
	lx.src = lx.p = t->src;
	lx.end = t->src + len;
	lx.name = t->name;
	lx.line = first_line > 0 ? first_line : 1;
	lx.col = 1;
	lx.err = err;
	rc = template_lex(&lx);
	if (rc == 0) {
		ps.toks = lx.toks;
		ps.name = t->name;
		ps.err = err;
		ps.syms = tvalue_map_new();
		template_sym(ps.syms, "loop", 4);	/* TEMPLATE_SYM_LOOP */
		rc = template_parse_block(&ps, &t->root, NULL, &end);
		if (rc == 0 && end != NULL)
			rc = template_perr(&ps, end, "unexpected `%.*s`",
			    (int)end->len, end->s);
	}
	free(lx.toks);
	tvalue_unref(ps.syms);
	if (rc != 0) {
		template_free(t);
		return rc;
	}
	*out = t;
	return 0;
}

int
template_compile(const char *src, size_t len, const char *name,
    struct template **out, struct gerr *err)
{
	return template_compile_at(src, len, name, 1, out, err);
}

void
template_free(struct template *t)
{
	if (t == NULL)
		return;
	template_block_free(&t->root);
	free(t->src);
	free(t->name);
	free(t);
}

const char *
template_name(const struct template *t)
{
	return t->name;
}

/* --------------------------------------------------------------- render */

struct template_var {
	int sym;
	const char *name;	/* for messages */
	size_t len;
	struct tvalue *val;
	bool owned;		/* false: lent by an enclosing loop's sequence */
};

struct template_loop {
	size_t index0, len;
};

struct template_frame {
	struct template_var *vars;
	size_t len, cap;
	const struct template_loop *loop;	/* NULL for the top frame */
};

enum template_flow {
	FLOW_NEXT,
	FLOW_BREAK,
	FLOW_CONTINUE,
	FLOW_ERROR,
};

/* Per-render memo of pure filter results, keyed by (filter, input value,
 * call site when it has constant arguments). It holds a reference to the
 * input, so the address cannot be reused for another value while cached;
 * values never change during a render, so a hit is always exact. */
#define TEMPLATE_MEMO_SLOTS 256	/* a power of two, multiple of 64 */
#define TEMPLATE_OUTPUT_HINT_MAX (1u << 20)

struct template_memo {
	const struct template_filter_def *def;
	struct tvalue *in;
	const struct template_expr *site;
	struct tvalue *out;	/* NULL: the result is out_len bytes ... */
	size_t out_off, out_len;	/* ... at out_off in the render output */
};

struct template_run {
	struct template_memo memo[TEMPLATE_MEMO_SLOTS];
	/* Which memo slots hold something: only these 32 bytes are cleared
	 * per render, not the slots. */
	uint64_t memo_used[TEMPLATE_MEMO_SLOTS / 64];
	const struct template *t;
	const struct tvalue *ctx, *env;
	struct strbuf *out;
	size_t out_start, max_out;
	uint64_t iters, max_iters;
	struct template_frame frames[TEMPLATE_MAX_BLOCK_DEPTH + 2];
	int nframes;
	struct gerr *err;
	int rc;
};

static int
template_rerr(struct template_run *r, enum gerr_code code,
    const struct template_expr *e, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int
template_rerr(struct template_run *r, enum gerr_code code,
    const struct template_expr *e, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	gerr_vset_at(r->err, code, r->t->name, e != NULL ? e->line : 0,
	    e != NULL ? e->col : 0, fmt, ap);
	va_end(ap);
	r->rc = code;
	return code;
}

static inline struct template_var *
template_frame_find(struct template_frame *f, int sym)
{
	for (size_t i = 0; i < f->len; i++)
		if (f->vars[i].sym == sym)
			return &f->vars[i];
	return NULL;
}

/* Bind symbol sym (name, len for messages) in frame f to val, which is
 * TAKEN when owned, else lent by a sequence that outlives the binding. */
static void
template_frame_set(struct template_frame *f, int sym, const char *name,
    size_t len, struct tvalue *val, bool owned)
{
	struct template_var *v = template_frame_find(f, sym);

	if (v == NULL) {
		if (f->len == f->cap) {
			f->cap = f->cap ? f->cap * 2 : 4;
			f->vars = xreallocarray(f->vars, f->cap,
			    sizeof *f->vars);
		}
		v = &f->vars[f->len++];
		v->sym = sym;
		v->name = name;
		v->len = len;
	} else if (v->owned)
		tvalue_unref(v->val);
	v->val = val;
	v->owned = owned;
}

static void
template_frame_clear(struct template_frame *f)
{
	for (size_t i = 0; i < f->len; i++)
		if (f->vars[i].owned)
			tvalue_unref(f->vars[i].val);
	free(f->vars);
	memset(f, 0, sizeof *f);
}

/* a[0..n) == b[0..n), for the short keys of records: overlapping word
 * loads instead of a memcmp call. Both must have n readable bytes. */
static inline bool
template_key_eq(const char *a, const char *b, size_t n)
{
	uint64_t x8, y8, z8, w8;
	uint32_t x4, y4, z4, w4;

	if (n >= 8 && n <= 16) {
		memcpy(&x8, a, 8), memcpy(&y8, b, 8);
		memcpy(&z8, a + n - 8, 8), memcpy(&w8, b + n - 8, 8);
		return x8 == y8 && z8 == w8;
	}
	if (n >= 4 && n < 8) {
		memcpy(&x4, a, 4), memcpy(&y4, b, 4);
		memcpy(&z4, a + n - 4, 4), memcpy(&w4, b + n - 4, 4);
		return x4 == y4 && z4 == w4;
	}
	if (n < 4) {
		for (size_t i = 0; i < n; i++)
			if (a[i] != b[i])
				return false;
		return true;
	}
	return memcmp(a, b, n) == 0;
}

/* Small-map lookup without calls (the usual record of a few fields); big
 * maps use their hash index. Borrowed value or NULL. */
static inline struct tvalue *
template_map_get(const struct tvalue *m, const char *key, size_t len)
{
	if (m == NULL || m->type != TVALUE_MAP)
		return NULL;
	if (m->u.map.index != NULL)
		return tvalue_map_getn(m, key, len);
	for (size_t i = 0; i < m->u.map.len; i++) {
		const struct tvalue *k = m->u.map.ents[i].key;

		if (k->u.str.len == len && template_key_eq(k->u.str.s, key, len))
			return m->u.map.ents[i].val;
	}
	return NULL;
}

/* Borrowed value of variable e (an EXPR_VAR), or NULL when undefined.
 * Inlined into the resolvers: it runs for nearly every node. */
static inline __attribute__((always_inline)) struct tvalue *
template_lookup(struct template_run *r, const struct template_expr *e)
{
	struct tvalue *v;

	for (int i = r->nframes - 1; i >= 0; i--) {
		struct template_var *tv = template_frame_find(&r->frames[i],
		    e->sym);

		if (tv != NULL)
			return tv->val;
	}
	v = template_map_get(r->ctx, e->name, e->namelen);
	if (v != NULL)
		return v;
	if (e->namelen == 3 && memcmp(e->name, "env", 3) == 0 &&
	    r->env != NULL)
		return (struct tvalue *)r->env;
	return NULL;
}

/* Innermost loop state if `loop` is not shadowed by a variable. */
static const struct template_loop *
template_current_loop(struct template_run *r)
{
	for (int i = r->nframes - 1; i >= 0; i--) {
		if (template_frame_find(&r->frames[i], TEMPLATE_SYM_LOOP) !=
		    NULL)
			return NULL;
		if (r->frames[i].loop != NULL)
			return r->frames[i].loop;
	}
	return NULL;
}

struct template_suggest {
	const char *want;
	size_t wantlen;
	const char *best;
	size_t bestlen, bestd;
	struct strbuf names;
	int nnames;
};

static void
template_suggest_add(struct template_suggest *s, const char *name, size_t len)
{
	size_t cap = s->wantlen / 3 + 1;
	size_t d;

	if (cap > 3)
		cap = 3;
	d = template_filters_distance(s->want, s->wantlen, name, len, cap);
	if (d <= cap && d < s->bestd) {
		s->bestd = d;
		s->best = name;
		s->bestlen = len;
	}
	if (s->nnames < 8 && s->names.len < 160) {
		strbuf_addstr(&s->names, s->nnames++ ? ", " : "");
		strbuf_add(&s->names, name, len);
	} else if (s->nnames == 8) {
		strbuf_addstr(&s->names, ", ...");
		s->nnames++;
	}
}

static void
template_suggest_map(struct template_suggest *s, const struct tvalue *m)
{
	if (m == NULL || m->type != TVALUE_MAP)
		return;
	for (size_t i = 0; i < tvalue_len(m); i++) {
		const struct tvalue_entry *e = tvalue_map_at(m, i);

		template_suggest_add(s, e->key->u.str.s, e->key->u.str.len);
	}
}

/* The undefined-variable error for expression e (VAR, ATTR or INDEX). */
static int
template_undefined(struct template_run *r, const struct template_expr *e)
{
	struct template_suggest s = { .bestd = (size_t)-1,
		.names = STRBUF_INIT };
	const struct template_expr *base = e;
	const struct tvalue *parent = NULL;

	if (e->kind == EXPR_ATTR || e->kind == EXPR_INDEX) {
		/* Find the innermost part that is undefined. */
		const struct template_expr *chain[TEMPLATE_MAX_EXPR_DEPTH];
		int n = 0;

		for (base = e; (base->kind == EXPR_ATTR ||
		    base->kind == EXPR_INDEX) && n < TEMPLATE_MAX_EXPR_DEPTH;
		    base = base->a)
			chain[n++] = base;
		if (base->kind == EXPR_VAR) {
			parent = template_lookup(r, base);
			if (parent != NULL) {
				for (int i = n - 1; i >= 0; i--) {
					const struct template_expr *c = chain[i];
					const struct tvalue *next = NULL;

					if (c->kind == EXPR_ATTR)
						next = tvalue_map_getn(parent,
						    c->name, c->namelen);
					if (next == NULL) {
						base = c;
						break;
					}
					parent = next;
				}
			}
		}
	}
	if (base->kind == EXPR_ATTR && parent != NULL) {
		s.want = base->name;
		s.wantlen = base->namelen;
		template_suggest_map(&s, parent);
	} else if (base->kind == EXPR_VAR) {
		s.want = base->name;
		s.wantlen = base->namelen;
		for (int i = r->nframes - 1; i >= 0; i--)
			for (size_t j = 0; j < r->frames[i].len; j++)
				template_suggest_add(&s, r->frames[i].vars[j].name,
				    r->frames[i].vars[j].len);
		template_suggest_map(&s, r->ctx);
	}
	if (s.best != NULL)
		template_rerr(r, GERR_UNDEFINED, e, "variable `%.*s` is not "
		    "defined; did you mean `%.*s`? (defined: %s)",
		    (int)(e->srclen > 80 ? 80 : e->srclen), e->src,
		    (int)s.bestlen, s.best, s.names.buf);
	else if (s.nnames > 0)
		template_rerr(r, GERR_UNDEFINED, e, "variable `%.*s` is not "
		    "defined (defined: %s)",
		    (int)(e->srclen > 80 ? 80 : e->srclen), e->src,
		    s.names.buf);
	else
		template_rerr(r, GERR_UNDEFINED, e, "variable `%.*s` is not "
		    "defined", (int)(e->srclen > 80 ? 80 : e->srclen),
		    e->src);
	strbuf_release(&s.names);
	return GERR_UNDEFINED;
}

static int template_eval(struct template_run *r, const struct template_expr *e,
    struct tvalue **out);

/* Evaluate e; an undefined result is an error. */
static int
template_eval_strict(struct template_run *r, const struct template_expr *e,
    struct tvalue **out)
{
	int rc = template_eval(r, e, out);

	if (rc == 0 && *out == NULL)
		return template_undefined(r, e);
	return rc;
}

/*
 * Borrowed value of a plain access path (a literal, a name, a.b, a[0],
 * a["k"]) without touching reference counts: *ok is false when e is not
 * such a path (or needs a fresh value, like loop.index), and the caller
 * evaluates it the general way. NULL with *ok true means undefined.
 */
static struct tvalue *
template_resolve(struct template_run *r, const struct template_expr *e,
    bool *ok)
{
	struct tvalue *obj;

	*ok = true;
	switch (e->kind) {
	case EXPR_CONST:
		return e->cval;
	case EXPR_VAR:
		return template_lookup(r, e);
	case EXPR_ATTR:
		if (e->loop_attr != LOOP_ATTR_NONE)
			break;
		/* var.name, the usual case, without recursing. */
		obj = e->a->kind == EXPR_VAR ? template_lookup(r, e->a) :
		    template_resolve(r, e->a, ok);
		if (!*ok || obj == NULL)
			return NULL;
		if (obj->type == TVALUE_MAP)
			return template_map_get(obj, e->name, e->namelen);
		break;
	case EXPR_INDEX:
		if (e->b->kind != EXPR_CONST)
			break;
		obj = template_resolve(r, e->a, ok);
		if (!*ok || obj == NULL)
			return NULL;
		if (e->b->cval->type == TVALUE_STRING)
			return tvalue_map_getn(obj, e->b->cval->u.str.s,
			    e->b->cval->u.str.len);
		if (e->b->cval->type == TVALUE_INT && e->b->cval->u.i >= 0)
			return tvalue_array_at(obj, (size_t)e->b->cval->u.i);
		break;
	default:
		break;
	}
	*ok = false;
	return NULL;
}

/* template_eval that may lend *out instead of handing a reference:
 * release with template_release(*out, *owned). */
static inline int
template_eval_lend(struct template_run *r, const struct template_expr *e,
    bool strict, struct tvalue **out, bool *owned)
{
	bool ok;

	*out = template_resolve(r, e, &ok);
	*owned = !ok;
	if (!ok)
		return strict ? template_eval_strict(r, e, out) :
		    template_eval(r, e, out);
	if (*out == NULL && strict)
		return template_undefined(r, e);
	return 0;
}

static inline void
template_release(struct tvalue *v, bool owned)
{
	if (owned)
		tvalue_unref(v);
}

static int
template_arith(struct template_run *r, const struct template_expr *e,
    const struct tvalue *a, const struct tvalue *b, struct tvalue **out)
{
	if (!tvalue_is_number(a) || !tvalue_is_number(b)) {
		if (e->op == OP_PLUS && a->type == TVALUE_STRING &&
		    b->type == TVALUE_STRING)
			return template_rerr(r, GERR_TEMPLATE, e, "cannot add "
			    "strings with `+`; use `~` to concatenate");
		return template_rerr(r, GERR_TEMPLATE, e, "`%.*s` needs "
		    "numbers, found %s and %s", (int)(e->srclen > 60 ? 60 :
		    e->srclen), e->src, tvalue_type_name(a->type),
		    tvalue_type_name(b->type));
	}
	if ((e->op == OP_DIV || e->op == OP_MOD) && tvalue_as_double(b) == 0)
		return template_rerr(r, GERR_TEMPLATE, e, "%s by zero",
		    e->op == OP_DIV ? "division" : "modulo");
	/* Integers stay integers except for `/`, which is always a float. */
	if (a->type == TVALUE_INT && b->type == TVALUE_INT && e->op != OP_DIV) {
		int64_t x = a->u.i, y = b->u.i, z = 0;
		bool over = false;

		if (e->op == OP_PLUS)
			over = __builtin_add_overflow(x, y, &z);
		else if (e->op == OP_MINUS)
			over = __builtin_sub_overflow(x, y, &z);
		else if (e->op == OP_MUL)
			over = __builtin_mul_overflow(x, y, &z);
		else
			z = y == -1 ? 0 : x % y;
		if (over)
			goto overflow;
		*out = tvalue_int(z);
		return 0;
	}
	double x = tvalue_as_double(a), y = tvalue_as_double(b);

	*out = tvalue_double(e->op == OP_PLUS ? x + y : e->op == OP_MINUS ?
	    x - y : e->op == OP_MUL ? x * y : e->op == OP_DIV ? x / y :
	    fmod(x, y));
	return 0;
overflow:
	return template_rerr(r, GERR_TEMPLATE, e, "integer overflow in `%.*s`",
	    (int)(e->srclen > 60 ? 60 : e->srclen), e->src);
}

static int
template_contains(struct template_run *r, const struct template_expr *e,
    const struct tvalue *needle, const struct tvalue *hay, bool *out)
{
	*out = false;
	switch (hay->type) {
	case TVALUE_STRING:
		if (needle->type != TVALUE_STRING)
			break;
		*out = needle->u.str.len == 0 || memmem(hay->u.str.s,
		    hay->u.str.len, needle->u.str.s, needle->u.str.len) != NULL;
		return 0;
	case TVALUE_ARRAY:
		for (size_t i = 0; i < hay->u.arr.len; i++)
			if (tvalue_equal(hay->u.arr.items[i], needle)) {
				*out = true;
				break;
			}
		return 0;
	case TVALUE_MAP:
		if (needle->type != TVALUE_STRING)
			break;
		*out = tvalue_map_getn(hay, needle->u.str.s,
		    needle->u.str.len) != NULL;
		return 0;
	default:
		break;
	}
	return template_rerr(r, GERR_TEMPLATE, e, "`in` cannot look for %s in "
	    "%s", tvalue_type_name(needle->type), tvalue_type_name(hay->type));
}

static int
template_eval_bin(struct template_run *r, const struct template_expr *e,
    struct tvalue **out)
{
	struct tvalue *a = NULL, *b = NULL;
	int rc, c;
	bool ok, in, own_a = false, own_b = false;

	rc = template_eval_lend(r, e->a, true, &a, &own_a);
	if (rc == 0)
		rc = template_eval_lend(r, e->b, true, &b, &own_b);
	if (rc != 0)
		goto done;
	switch (e->op) {
	case OP_PLUS:
	case OP_MINUS:
	case OP_MUL:
	case OP_DIV:
	case OP_MOD:
		rc = template_arith(r, e, a, b, out);
		break;
	case OP_TILDE: {
		struct strbuf sb = STRBUF_INIT;

		tvalue_render(a, &sb);
		tvalue_render(b, &sb);
		*out = tvalue_string_from_strbuf(&sb);
		break;
	}
	case OP_EQ:
		*out = tvalue_bool(tvalue_equal(a, b));
		break;
	case OP_NE:
		*out = tvalue_bool(!tvalue_equal(a, b));
		break;
	case OP_LT:
	case OP_LE:
	case OP_GT:
	case OP_GE:
		c = tvalue_compare(a, b, &ok);
		if (!ok) {
			rc = template_rerr(r, GERR_TEMPLATE, e, "cannot compare "
			    "%s with %s", tvalue_type_name(a->type),
			    tvalue_type_name(b->type));
			break;
		}
		*out = tvalue_bool(e->op == OP_LT ? c < 0 : e->op == OP_LE ?
		    c <= 0 : e->op == OP_GT ? c > 0 : c >= 0);
		break;
	case OP_IN:
	case OP_NOT_IN:
		rc = template_contains(r, e, a, b, &in);
		if (rc == 0)
			*out = tvalue_bool(e->op == OP_IN ? in : !in);
		break;
	default:
		rc = template_rerr(r, GERR_INTERNAL, e, "bad operator");
		break;
	}
done:
	template_release(a, own_a);
	template_release(b, own_b);
	return rc;
}

/* Memoisable: a filter whose arguments are all literals (or absent). */
static bool
template_memo_ok(const struct template_expr *e)
{
	for (int i = 0; i < e->def->nargs; i++)
		if (e->args[i] != NULL && e->args[i]->kind != EXPR_CONST)
			return false;
	return true;
}

/* The call site is part of the key only when literal arguments could
 * differ between two calls of the same filter on the same input. */
static inline const struct template_expr *
template_memo_site(const struct template_expr *e)
{
	return e->def->nargs > 0 ? e : NULL;
}

/* The slot number for filter call e on in (multiplicative hashing: heap
 * addresses differ mostly in their middle bits). */
static inline size_t
template_memo_slot(const struct template_expr *e, const struct tvalue *in)
{
	uint64_t h = (uint64_t)(uintptr_t)in ^
	    ((uint64_t)(uintptr_t)e->def << 1) ^
	    ((uint64_t)(uintptr_t)template_memo_site(e) << 2);

	return (size_t)((h * 0x9e3779b97f4a7c15u) >> 32) &
	    (TEMPLATE_MEMO_SLOTS - 1);
}

static inline bool
template_memo_used(const struct template_run *r, size_t slot)
{
	return (r->memo_used[slot / 64] >> (slot % 64)) & 1;
}

/* The memo is two-way: the result of e on in lives in slot or slot ^ 1. */
static inline struct template_memo *
template_memo_get(struct template_run *r, size_t slot,
    const struct template_expr *e, const struct tvalue *in)
{
	for (int way = 0; way < 2; way++, slot ^= 1) {
		struct template_memo *m = &r->memo[slot];

		if (template_memo_used(r, slot) && m->def == e->def &&
		    m->in == in && m->site == template_memo_site(e))
			return m;
	}
	return NULL;
}

/* Replace slot `slot` with the result of e on in: a value (out, TAKEN), or
 * when out is NULL the len bytes at off in the render output. */
static void
template_memo_store(struct template_run *r, size_t slot,
    const struct template_expr *e, struct tvalue *in, struct tvalue *out,
    size_t off, size_t len)
{
	struct template_memo *m;

	if (template_memo_used(r, slot) && !template_memo_used(r, slot ^ 1))
		slot ^= 1;
	m = &r->memo[slot];
	if (template_memo_used(r, slot)) {
		tvalue_unref(m->in);
		tvalue_unref(m->out);
	}
	r->memo_used[slot / 64] |= (uint64_t)1 << (slot % 64);
	m->def = e->def;
	m->in = tvalue_ref(in);
	m->site = template_memo_site(e);
	m->out = out;
	m->out_off = off;
	m->out_len = len;
}

/* The input (lent: release with template_release(*in, *own_in)) and the
 * arguments (owned; NULL when absent) of filter or test call e. */
static inline __attribute__((always_inline)) int
template_call_inputs(struct template_run *r, const struct template_expr *e,
    struct tvalue **in, bool *own_in, struct tvalue **args)
{
	int rc;

	rc = template_eval_lend(r, e->a, !e->def->accepts_undefined, in,
	    own_in);
	for (int i = 0; rc == 0 && i < e->def->nargs; i++)
		if (e->args[i] != NULL)
			rc = template_eval_strict(r, e->args[i], &args[i]);
	return rc;
}

static void
template_call_release(struct tvalue *in, bool own_in, struct tvalue **args)
{
	template_release(in, own_in);
	for (int i = 0; i < TEMPLATE_FILTER_MAX_ARGS; i++)
		tvalue_unref(args[i]);
}

static int
template_call_failed(struct template_run *r, const struct template_expr *e,
    int rc, const char *msg)
{
	return template_rerr(r, rc, e, "%s `%s`: %s", e->kind == EXPR_FILTER ?
	    "filter" : "test", e->def->name, msg);
}

/* `{{ x | f }}` where f has an emit form: f's output goes straight to the
 * render output and no value is made for it (nothing else could see it).
 * Inputs, errors and messages are those of template_eval_call. */
static int
template_emit_call(struct template_run *r, const struct template_expr *e)
{
	struct tvalue *in = NULL, *args[TEMPLATE_FILTER_MAX_ARGS] = { NULL };
	char msg[256];
	int rc;
	bool own_in = false;

	msg[0] = '\0';
	rc = template_call_inputs(r, e, &in, &own_in, args);
	if (rc != 0)
		goto done;
	if (in != NULL && template_memo_ok(e)) {
		size_t slot = template_memo_slot(e, in);
		struct template_memo *m = template_memo_get(r, slot, e, in);
		struct strbuf *sb = r->out;
		size_t off = sb->len;

		if (m != NULL) {
			if (m->out != NULL)
				tvalue_render(m->out, sb);
			else {
				/* Make room first: the source is inside sb. */
				if (sb->len + m->out_len >= sb->cap)
					strbuf_grow(sb, m->out_len);
				memcpy(sb->buf + sb->len, sb->buf + m->out_off,
				    m->out_len);
				sb->len += m->out_len;
				sb->buf[sb->len] = '\0';
			}
			goto done;
		}
		rc = e->def->emit(in, args, sb, msg, sizeof msg);
		if (rc == 0)
			template_memo_store(r, slot, e, in, NULL, off,
			    sb->len - off);
	} else
		rc = e->def->emit(in, args, r->out, msg, sizeof msg);
	if (rc != 0)
		template_call_failed(r, e, rc, msg);
done:
	template_call_release(in, own_in, args);
	return rc;
}

static int
template_eval_call(struct template_run *r, const struct template_expr *e,
    struct tvalue **out)
{
	struct tvalue *in = NULL, *args[TEMPLATE_FILTER_MAX_ARGS] = { NULL };
	char msg[256];
	int rc;
	bool res = false, own_in = false;

	msg[0] = '\0';
	rc = template_call_inputs(r, e, &in, &own_in, args);
	if (rc != 0)
		goto done;
	if (e->kind == EXPR_FILTER && in != NULL && template_memo_ok(e)) {
		size_t slot = template_memo_slot(e, in);
		struct template_memo *m = template_memo_get(r, slot, e, in);

		if (m != NULL && m->out != NULL) {
			*out = tvalue_ref(m->out);
			goto done;
		}
		rc = e->def->filter(in, args, out, msg, sizeof msg);
		if (rc == 0)
			template_memo_store(r, slot, e, in, tvalue_ref(*out),
			    0, 0);
	} else if (e->kind == EXPR_FILTER)
		rc = e->def->filter(in, args, out, msg, sizeof msg);
	else {
		rc = e->def->test(in, args, &res, msg, sizeof msg);
		if (rc == 0)
			*out = tvalue_bool(e->negate ? !res : res);
	}
	if (rc != 0)
		template_call_failed(r, e, rc, msg);
done:
	template_call_release(in, own_in, args);
	return rc;
}

static int
template_eval_access(struct template_run *r, const struct template_expr *e,
    struct tvalue **out)
{
	struct tvalue *obj = NULL, *key = NULL, *v = NULL;
	int rc;

	if (e->kind == EXPR_ATTR && e->loop_attr != LOOP_ATTR_NONE) {
		const struct template_loop *lp = template_current_loop(r);

		if (lp != NULL) {
			switch (e->loop_attr) {
			case LOOP_ATTR_INDEX:
				*out = tvalue_int((int64_t)lp->index0 + 1);
				break;
			case LOOP_ATTR_INDEX0:
				*out = tvalue_int((int64_t)lp->index0);
				break;
			case LOOP_ATTR_FIRST:
				*out = tvalue_bool(lp->index0 == 0);
				break;
			case LOOP_ATTR_LAST:
				*out = tvalue_bool(lp->index0 + 1 == lp->len);
				break;
			case LOOP_ATTR_LENGTH:
				*out = tvalue_int((int64_t)lp->len);
				break;
			case LOOP_ATTR_NONE:
			case LOOP_ATTR_OTHER:
				*out = NULL;
				break;
			}
			return 0;
		}
	}
	rc = template_eval(r, e->a, &obj);
	if (rc != 0 || obj == NULL)
		return rc;
	if (e->kind == EXPR_ATTR) {
		v = tvalue_map_getn(obj, e->name, e->namelen);
		if (v == NULL && obj->type == TVALUE_ARRAY &&
		    template_is_digit(e->name[0])) {
			char tmp[24];

			snprintf(tmp, sizeof tmp, "%.*s", (int)(e->namelen > 20 ?
			    20 : e->namelen), e->name);
			v = tvalue_array_at(obj, strtoull(tmp, NULL, 10));
		}
	} else {
		rc = template_eval_strict(r, e->b, &key);
		if (rc == 0) {
			if (key->type == TVALUE_STRING)
				v = tvalue_map_getn(obj, key->u.str.s,
				    key->u.str.len);
			else if (key->type == TVALUE_INT) {
				int64_t i = key->u.i;

				if (i < 0)
					i += (int64_t)tvalue_len(obj);
				if (i >= 0)
					v = tvalue_array_at(obj, (size_t)i);
			} else
				rc = template_rerr(r, GERR_TEMPLATE, e->b,
				    "cannot index with %s",
				    tvalue_type_name(key->type));
		}
	}
	*out = tvalue_ref(v);
	tvalue_unref(obj);
	tvalue_unref(key);
	return rc;
}

/* *out: a new reference, or NULL when the value is undefined. */
static int
template_eval(struct template_run *r, const struct template_expr *e,
    struct tvalue **out)
{
	struct tvalue *a = NULL;
	int rc = 0;

	*out = NULL;
	switch (e->kind) {
	case EXPR_CONST:
		*out = e->cval;
		return 0;
	case EXPR_VAR:
		*out = tvalue_ref(template_lookup(r, e));
		return 0;
	case EXPR_ATTR:
	case EXPR_INDEX:
		return template_eval_access(r, e, out);
	case EXPR_BIN:
		return template_eval_bin(r, e, out);
	case EXPR_AND:
	case EXPR_OR:
		rc = template_eval(r, e->a, &a);
		if (rc != 0)
			return rc;
		if (tvalue_truthy(a) == (e->kind == EXPR_OR)) {
			tvalue_unref(a);
			*out = tvalue_bool(e->kind == EXPR_OR);
			return 0;
		}
		tvalue_unref(a);
		rc = template_eval(r, e->b, &a);
		if (rc == 0)
			*out = tvalue_bool(tvalue_truthy(a));
		tvalue_unref(a);
		return rc;
	case EXPR_NOT:
		rc = template_eval(r, e->a, &a);
		if (rc == 0)
			*out = tvalue_bool(!tvalue_truthy(a));
		tvalue_unref(a);
		return rc;
	case EXPR_NEG:
		rc = template_eval_strict(r, e->a, &a);
		if (rc != 0)
			return rc;
		if (a->type == TVALUE_INT && a->u.i != INT64_MIN)
			*out = tvalue_int(-a->u.i);
		else if (a->type == TVALUE_DOUBLE)
			*out = tvalue_double(-a->u.d);
		else
			rc = template_rerr(r, GERR_TEMPLATE, e, "cannot negate "
			    "%s", tvalue_type_name(a->type));
		tvalue_unref(a);
		return rc;
	case EXPR_FILTER:
	case EXPR_TEST:
		return template_eval_call(r, e, out);
	case EXPR_ARRAY: {
		struct tvalue *arr = tvalue_array_new();

		for (size_t i = 0; i < e->nitems; i++) {
			rc = template_eval_strict(r, e->items[i], &a);
			if (rc != 0) {
				tvalue_unref(arr);
				return rc;
			}
			tvalue_array_push(arr, a);
		}
		*out = arr;
		return 0;
	}
	}
	return template_rerr(r, GERR_INTERNAL, e, "bad expression");
}

/*
 * Truth of e as an if/elif condition, as tvalue_truthy of a lenient
 * template_eval (undefined is false), but without making values for the
 * usual forms: ==, !=, not, and, or.
 */
static int
template_eval_cond(struct template_run *r, const struct template_expr *e,
    bool *yes)
{
	struct tvalue *a, *b;
	bool own_a, own_b;
	int rc;

	*yes = false;
	switch (e->kind) {
	case EXPR_BIN:
		if (e->op != OP_EQ && e->op != OP_NE)
			break;
		rc = template_eval_lend(r, e->a, true, &a, &own_a);
		if (rc != 0)
			return rc;
		rc = template_eval_lend(r, e->b, true, &b, &own_b);
		if (rc == 0) {
			/* Strings inline (`f.type == "bool"`), the rest as
			 * tvalue_equal. */
			if (a->type == TVALUE_STRING && b->type == TVALUE_STRING)
				*yes = a->u.str.len == b->u.str.len &&
				    template_key_eq(a->u.str.s, b->u.str.s,
				    a->u.str.len);
			else
				*yes = tvalue_equal(a, b);
			*yes = *yes == (e->op == OP_EQ);
			template_release(b, own_b);
		}
		template_release(a, own_a);
		return rc;
	case EXPR_NOT:
		rc = template_eval_cond(r, e->a, yes);
		*yes = rc == 0 && !*yes;
		return rc;
	case EXPR_AND:
	case EXPR_OR:
		rc = template_eval_cond(r, e->a, yes);
		if (rc != 0 || *yes == (e->kind == EXPR_OR))
			return rc;
		return template_eval_cond(r, e->b, yes);
	default:
		break;
	}
	rc = template_eval_lend(r, e, false, &a, &own_a);
	if (rc == 0) {
		*yes = tvalue_truthy(a);
		template_release(a, own_a);
	}
	return rc;
}

static enum template_flow template_run_block(struct template_run *r,
    const struct template_block *b);

/* Append to the output: the common case (room left) without a call. */
static inline void
template_out(struct template_run *r, const char *p, size_t n)
{
	struct strbuf *sb = r->out;

	if (sb->cap > 0 && sb->len + n < sb->cap) {
		memcpy(sb->buf + sb->len, p, n);
		sb->len += n;
		sb->buf[sb->len] = '\0';
	} else
		strbuf_add(sb, p, n);
}

static bool
template_check_output(struct template_run *r, const struct template_node *n)
{
	if (r->out->len - r->out_start <= r->max_out)
		return true;
	gerr_set_at(r->err, GERR_TOO_LARGE, r->t->name, n->line, n->col,
	    "output exceeds %zu bytes", r->max_out);
	r->rc = GERR_TOO_LARGE;
	return false;
}

static enum template_flow
template_run_for(struct template_run *r, const struct template_node *n)
{
	struct tvalue *seq = NULL;
	struct template_loop lp = { 0 };
	struct template_frame *f;
	enum template_flow flow = FLOW_NEXT;
	size_t i;

	if (template_eval_strict(r, n->expr, &seq) != 0)
		return FLOW_ERROR;
	if (seq->type == TVALUE_STRING && n->kvar == NULL) {
		/* Iterate UTF-8 characters: turn the string into an array. */
		struct tvalue *arr = tvalue_array_new();
		const char *s = seq->u.str.s;

		for (i = 0; i < seq->u.str.len;) {
			size_t k = 1;

			while (i + k < seq->u.str.len &&
			    ((unsigned char)s[i + k] & 0xc0) == 0x80)
				k++;
			tvalue_array_push(arr, tvalue_stringn(s + i, k));
			i += k;
		}
		tvalue_unref(seq);
		seq = arr;
	}
	if (seq->type != TVALUE_ARRAY && seq->type != TVALUE_MAP) {
		template_rerr(r, GERR_TEMPLATE, n->expr, "cannot iterate over "
		    "%s `%.*s`", tvalue_type_name(seq->type),
		    (int)(n->expr->srclen > 60 ? 60 : n->expr->srclen),
		    n->expr->src);
		tvalue_unref(seq);
		return FLOW_ERROR;
	}
	if (seq->type == TVALUE_ARRAY && n->kvar != NULL) {
		template_rerr(r, GERR_TEMPLATE, n->expr, "`for %.*s, %.*s` needs "
		    "a map, found an array", (int)n->kvarlen, n->kvar,
		    (int)n->vvarlen, n->vvar);
		tvalue_unref(seq);
		return FLOW_ERROR;
	}
	lp.len = tvalue_len(seq);
	if (lp.len == 0) {
		tvalue_unref(seq);
		return template_run_block(r, &n->els);
	}
	f = &r->frames[r->nframes++];
	memset(f, 0, sizeof *f);
	f->loop = &lp;
	for (i = 0; i < lp.len; i++) {
		if (++r->iters > r->max_iters) {
			gerr_set_at(r->err, GERR_LIMIT, r->t->name, n->line,
			    n->col, "more than %llu loop iterations",
			    (unsigned long long)r->max_iters);
			r->rc = GERR_LIMIT;
			flow = FLOW_ERROR;
			break;
		}
		lp.index0 = i;
		/* Loop variables are lent by seq, which this loop holds
		 * until its frame is cleared: no reference counting. */
		if (seq->type == TVALUE_ARRAY) {
			template_frame_set(f, n->vsym, n->vvar, n->vvarlen,
			    seq->u.arr.items[i], false);
		} else {
			const struct tvalue_entry *ent = tvalue_map_at(seq, i);

			if (n->kvar != NULL) {
				template_frame_set(f, n->ksym, n->kvar,
				    n->kvarlen, ent->key, false);
				template_frame_set(f, n->vsym, n->vvar,
				    n->vvarlen, ent->val, false);
			} else
				template_frame_set(f, n->vsym, n->vvar,
				    n->vvarlen, ent->key, false);
		}
		flow = template_run_block(r, &n->body);
		if (flow == FLOW_ERROR)
			break;
		if (flow == FLOW_BREAK) {
			flow = FLOW_NEXT;
			break;
		}
		flow = FLOW_NEXT;
	}
	template_frame_clear(f);
	r->nframes--;
	tvalue_unref(seq);
	return flow;
}

static enum template_flow
template_run_block(struct template_run *r, const struct template_block *b)
{
	struct tvalue *v;
	enum template_flow flow;
	bool owned;

	for (size_t i = 0; i < b->len; i++) {
		const struct template_node *n = b->nodes[i];

		switch (n->kind) {
		case NODE_TEXT:
			template_out(r, n->text, n->len);
			if (!template_check_output(r, n))
				return FLOW_ERROR;
			break;
		case NODE_OUT:
			if (n->expr->kind == EXPR_FILTER &&
			    n->expr->def->emit != NULL) {
				if (template_emit_call(r, n->expr) != 0)
					return FLOW_ERROR;
				if (!template_check_output(r, n))
					return FLOW_ERROR;
				break;
			}
			if (template_eval_lend(r, n->expr, true, &v, &owned) != 0)
				return FLOW_ERROR;
			if (v->type == TVALUE_STRING)
				template_out(r, v->u.str.s, v->u.str.len);
			else
				tvalue_render(v, r->out);
			template_release(v, owned);
			if (!template_check_output(r, n))
				return FLOW_ERROR;
			break;
		case NODE_IF: {
			const struct template_block *take = &n->els;

			for (size_t c = 0; c < n->nconds; c++) {
				bool yes;

				if (template_eval_cond(r, n->conds[c], &yes) != 0)
					return FLOW_ERROR;
				if (yes) {
					take = &n->bodies[c];
					break;
				}
			}
			flow = template_run_block(r, take);
			if (flow != FLOW_NEXT)
				return flow;
			break;
		}
		case NODE_FOR:
			flow = template_run_for(r, n);
			if (flow != FLOW_NEXT)
				return flow;
			break;
		case NODE_SET:
			if (template_eval_strict(r, n->expr, &v) != 0)
				return FLOW_ERROR;
			template_frame_set(n->global ? &r->frames[0] :
			    &r->frames[r->nframes - 1], n->sym, n->var,
			    n->varlen, v, true);
			break;
		case NODE_BREAK:
			return FLOW_BREAK;
		case NODE_CONTINUE:
			return FLOW_CONTINUE;
		}
	}
	return FLOW_NEXT;
}

int
template_render(const struct template *t, const struct tvalue *ctx,
    const struct template_render_opts *opts, struct strbuf *out,
    struct gerr *err)
{
	/* On the stack: a heap block this size, freed every render, made
	 * malloc consolidate its free lists each time. Frames are cleared as
	 * they are pushed; only the top frame and the memo's used bits start
	 * zeroed. */
	struct template_run run, *r = &run;
	int rc;

	memset(r->memo_used, 0, sizeof r->memo_used);
	memset(&r->frames[0], 0, sizeof r->frames[0]);
	r->iters = 0;
	r->rc = 0;
	r->t = t;
	r->ctx = ctx;
	r->env = opts != NULL ? opts->env : NULL;
	r->out = out;
	r->out_start = out->len;
	r->max_out = opts != NULL && opts->max_output_bytes > 0 ?
	    opts->max_output_bytes : TEMPLATE_DEFAULT_MAX_OUTPUT;
	r->max_iters = opts != NULL && opts->max_iterations > 0 ?
	    opts->max_iterations : TEMPLATE_DEFAULT_MAX_ITERATIONS;
	r->err = err;
	r->nframes = 1;
	/* Generated code is usually a bit larger than its template: reserve
	 * that much (bounded) so the output rarely moves. */
	size_t hint = t->srclen * 2;

	if (hint > TEMPLATE_OUTPUT_HINT_MAX)
		hint = TEMPLATE_OUTPUT_HINT_MAX;
	if (hint < r->max_out)
		strbuf_grow(out, hint);
	if (template_run_block(r, &t->root) == FLOW_ERROR && r->rc == 0)
		r->rc = gerr_set(err, GERR_INTERNAL, "render failed");
	rc = r->rc;
	for (int i = 0; i < r->nframes; i++)
		template_frame_clear(&r->frames[i]);
	for (size_t i = 0; i < TEMPLATE_MEMO_SLOTS; i++) {
		if (template_memo_used(r, i)) {
			tvalue_unref(r->memo[i].in);
			tvalue_unref(r->memo[i].out);
		}
	}
	return rc;
}

int
template_render_string(const char *src, size_t len, const char *name,
    int first_line, const struct tvalue *ctx,
    const struct template_render_opts *opts, struct strbuf *out,
    struct gerr *err)
{
	struct template *t;
	int rc = template_compile_at(src, len, name, first_line, &t, err);

	if (rc != 0)
		return rc;
	rc = template_render(t, ctx, opts, out, err);
	template_free(t);
	return rc;
}
