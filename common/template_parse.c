/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * template_parse.c - tokens to AST, and template_compile / template_free.
 *
 * Owns struct template: a private copy of the source (text nodes point into
 * it), the AST, and the literal values (immortal, so that concurrent renders
 * never touch their reference counts). Recursion is bounded by
 * TEMPLATE_MAX_BLOCK_DEPTH / TEMPLATE_MAX_EXPR_DEPTH; filters and tests are
 * resolved to their table rows and variable names to integer symbols here.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "template_int.h"
#include "xmalloc.h"

/* -------------------------------------------------------------- symbols */

/*
 * Variable names (references, loop variables, set targets) are interned to
 * small integers at compile time, so that a render finds a variable by
 * comparing integers. The table (a map name -> TVALUE_INT) lives only
 * while compiling; symbol 0 is always `loop`.
 */

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

/* State shared by the parsers of every unit of one compile. */
struct template_compiler {
	struct template *t;
	const struct template_loader *loader;
	struct tvalue *syms;
	int stack[TEMPLATE_MAX_CALL_DEPTH];	/* units being parsed */
	int nstack;
	struct template_expr **calls;	/* macro calls to resolve */
	int *call_units;
	size_t ncalls, capcalls;
	struct gerr *err;
};

struct template_parser {
	struct template_compiler *c;
	int unit;
	bool in_macro;
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

void
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
	free(e->argnames);
	free(e->argnamelens);
	free(e->argmap);
	/* e itself is in the template's arena. */
}

/* Zeroed memory for one AST node from the template's arena (freed all at
 * once by template_free): parsing makes hundreds of small nodes. */
static void *
template_arena_alloc(struct template_arena *a, size_t size)
{
	struct template_arena_chunk *c = a->head;
	void *p;

	size = (size + 15) & ~(size_t)15;
	if (c == NULL || c->used + size > c->size) {
		size_t csize = size > TEMPLATE_ARENA_CHUNK ? size :
		    TEMPLATE_ARENA_CHUNK;

		c = xcalloc(1, sizeof *c + csize);
		c->size = csize;
		c->next = a->head;
		a->head = c;
	}
	p = c->mem + c->used;
	c->used += size;
	return p;
}

void
template_arena_free(struct template_arena *a)
{
	struct template_arena_chunk *c = a->head, *next;

	for (; c != NULL; c = next) {
		next = c->next;
		free(c);
	}
	a->head = NULL;
}

static struct template_expr *
template_expr_new(struct template_parser *ps, enum template_expr_kind kind,
    const struct template_tok *t)
{
	struct template_expr *e = template_arena_alloc(&ps->c->t->arena,
	    sizeof *e);

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
template_expr_wrap(struct template_parser *ps, struct template_expr **out,
    enum template_expr_kind kind, const struct template_tok *t)
{
	struct template_expr *e = template_expr_new(ps, kind, t);

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

static int template_parse_args(struct template_parser *ps,
    struct template_expr *e, const struct template_tok *nametok);

/* After `name` (t) with `(` next: super() or a function call. */
static int
template_parse_func(struct template_parser *ps, struct template_expr *e,
    const struct template_tok *t)
{
	const char *why;
	int rc;

	e->name = t->s;
	e->namelen = t->len;
	if (template_tok_is(t, "super")) {
		e->kind = EXPR_SUPER;
		template_next(ps);
		rc = template_expect_op(ps, OP_RPAREN, ")");
		if (rc == 0)
			template_expr_span(ps, e);
		return rc;
	}
	e->kind = EXPR_FUNC;
	e->def = template_filters_find(TEMPLATE_FUNCTION, t->s, t->len);
	if (e->def == NULL) {
		why = template_functions_unsupported(t->s, t->len);
		if (why != NULL)
			return template_perr(ps, t, "unsupported function "
			    "`%.*s`: %s", (int)t->len, t->s, why);
		return template_perr(ps, t, "unknown function `%.*s` (Tera's "
		    "functions: range, now, throw, get_env, get_random)",
		    (int)t->len, t->s);
	}
	rc = template_parse_args(ps, e, t);
	if (rc == 0)
		template_expr_span(ps, e);
	return rc;
}

/* After `ns` (t) with `::` next: ns::name(k=v, ...). Resolved once every
 * unit is loaded (template_resolve_calls). */
static int
template_parse_macro_call(struct template_parser *ps, struct template_expr *e,
    const struct template_tok *t)
{
	struct template_compiler *c = ps->c;
	struct template_tok *name;
	size_t cap = 0;
	char buf[48];
	int rc;

	template_next(ps);	/* :: */
	name = template_next(ps);
	if (name->kind != TOK_IDENT)
		return template_perr(ps, name, "expected a macro name after "
		    "`%.*s::`, found %s", (int)t->len, t->s,
		    template_tok_desc(name, buf, sizeof buf));
	e->ns = t->s;
	e->nslen = t->len;
	e->name = name->s;
	e->namelen = name->len;
	e->munit = ps->unit;
	rc = template_expect_op(ps, OP_LPAREN, "(");
	while (rc == 0 && !template_tok_op(template_peek(ps), OP_RPAREN)) {
		struct template_tok *a = template_next(ps);

		if (a->kind != TOK_IDENT || !template_tok_op(template_peek(ps),
		    OP_ASSIGN))
			return template_perr(ps, a, "macro arguments are named: "
			    "expected `name=value`, found %s",
			    template_tok_desc(a, buf, sizeof buf));
		template_next(ps);
		if (e->nitems == cap) {
			cap = cap ? cap * 2 : 4;
			e->items = xreallocarray(e->items, cap, sizeof *e->items);
			e->argnames = xreallocarray(e->argnames, cap,
			    sizeof *e->argnames);
			e->argnamelens = xreallocarray(e->argnamelens, cap,
			    sizeof *e->argnamelens);
		}
		e->argnames[e->nitems] = a->s;
		e->argnamelens[e->nitems] = a->len;
		e->items[e->nitems++] = NULL;
		rc = template_parse_expr(ps, &e->items[e->nitems - 1]);
		if (rc != 0)
			return rc;
		if (!template_tok_op(template_peek(ps), OP_COMMA))
			break;
		template_next(ps);
	}
	if (rc == 0)
		rc = template_expect_op(ps, OP_RPAREN, ")");
	if (rc != 0)
		return rc;
	template_expr_span(ps, e);
	if (c->ncalls == c->capcalls) {
		c->capcalls = c->capcalls ? c->capcalls * 2 : 8;
		c->calls = xreallocarray(c->calls, c->capcalls,
		    sizeof *c->calls);
		c->call_units = xreallocarray(c->call_units, c->capcalls,
		    sizeof *c->call_units);
	}
	c->calls[c->ncalls] = e;
	c->call_units[c->ncalls++] = ps->unit;
	return 0;
}

/* A comparison, test or logical operator (refused inside parentheses). */
static bool
template_is_logic(const struct template_expr *e)
{
	if (e->kind == EXPR_AND || e->kind == EXPR_OR || e->kind == EXPR_NOT ||
	    e->kind == EXPR_TEST)
		return true;
	return e->kind == EXPR_BIN && (e->op == OP_EQ || e->op == OP_NE ||
	    e->op == OP_LT || e->op == OP_LE || e->op == OP_GT ||
	    e->op == OP_GE || e->op == OP_IN || e->op == OP_NOT_IN);
}

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
		e = template_expr_new(ps, EXPR_CONST, t);
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
		e = template_expr_new(ps, EXPR_CONST, t);
		e->cval = tvalue_double(strtod(tmp, NULL));
		tvalue_make_immortal(e->cval);
		*out = e;
		return 0;
	}
	case TOK_STRING:
		e = template_expr_new(ps, EXPR_CONST, t);
		e->src--;
		e->srclen += 2;
		e->cval = tvalue_stringn(t->s, t->len);
		tvalue_make_immortal(e->cval);
		*out = e;
		return 0;
	case TOK_IDENT:
		e = template_expr_new(ps, EXPR_CONST, t);
		if (template_tok_is(t, "true") || template_tok_is(t, "True"))
			e->cval = tvalue_bool(true);
		else if (template_tok_is(t, "false") ||
		    template_tok_is(t, "False"))
			e->cval = tvalue_bool(false);
		else if (template_tok_is(t, "none") ||
		    template_tok_is(t, "None"))
			e->cval = tvalue_null();
		else if (template_tok_is(t, "and") || template_tok_is(t, "or") ||
		    template_tok_is(t, "not") || template_tok_is(t, "in")) {
			return template_perr(ps, t, "expected a value, found "
			    "`%.*s`", (int)t->len, t->s);
		} else if (template_tok_op(template_peek(ps), OP_DCOLON)) {
			e->kind = EXPR_MACRO;
			*out = e;
			return template_parse_macro_call(ps, e, t);
		} else if (template_tok_op(template_peek(ps), OP_LPAREN)) {
			*out = e;
			return template_parse_func(ps, e, t);
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
			/* Tera's parentheses group arithmetic only. */
			if (rc == 0 && template_is_logic(*out))
				return template_perr(ps, t, "parentheses may only "
				    "group arithmetic (Tera), not comparisons or "
				    "`and`/`or`/`not`");
			return rc;
		}
		if (t->op == OP_LBRACK) {
			e = template_expr_new(ps, EXPR_ARRAY, t);
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
			n = template_expr_new(ps, EXPR_ATTR, t);
			n->line = e->line;
			n->col = e->col;
			n->src = e->src;
			n->name = t->s;
			n->namelen = t->len;
			n->a = e;
			n->loop_attr = template_loop_attr(e, t);
			n->varattr = n->loop_attr == LOOP_ATTR_NONE &&
			    e->kind == EXPR_VAR;
			template_expr_span(ps, n);
			*out = n;
		} else if (template_tok_op(t, OP_LBRACK)) {
			template_next(ps);
			n = template_expr_new(ps, EXPR_INDEX, t);
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
	e = template_expr_new(ps, kind, t);
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

	/* Tera negates number literals only (`-1`, `-2.5`), not names. */
	if (template_tok_op(t, OP_MINUS)) {
		struct template_tok *v = &ps->toks[ps->pos + 1];

		if ((v->kind != TOK_INT && v->kind != TOK_FLOAT) ||
		    v->s != t->s + 1)
			return template_perr(ps, t, "only a number literal can "
			    "be negated (Tera): write `0 - x` to negate a value");
		return template_parse_prefix(ps, out, EXPR_NEG,
		    template_parse_unary);
	}
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
	e = template_expr_wrap(ps, out, EXPR_BIN, t);
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
	int rc;

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
	rc = template_parse_args(ps, e, t);
	if (rc != 0)
		return rc;
	e->memo = e->noargs = true;
	for (int i = 0; i < e->def->nargs; i++) {
		if (e->args[i] != NULL)
			e->noargs = false;
		if (e->args[i] != NULL && e->args[i]->kind != EXPR_CONST)
			e->memo = false;
	}
	e->msite = e->def->nargs > 0 ? e : NULL;
	for (int i = 0; e->memo && i < e->def->nargs; i++)
		e->cargs[i] = e->args[i] != NULL ? e->args[i]->cval : NULL;
	return 0;
}

/* `v.attr` with v a plain name: the operand of the fast conditions. */
static bool
template_is_var_attr(const struct template_expr *x)
{
	return x->kind == EXPR_ATTR && x->varattr;
}

/* Decide the fast form of if/elif condition e and of the operands of its
 * not / and / or (see enum template_cond_shape). */
static void
template_cond_shape(struct template_expr *e)
{
	const struct template_expr *x = e;
	bool neg = false;

	if (e->kind == EXPR_AND || e->kind == EXPR_OR) {
		template_cond_shape(e->a);
		template_cond_shape(e->b);
		return;
	}
	while (x->kind == EXPR_NOT) {
		neg = !neg;
		x = x->a;
	}
	if (x != e && x->kind != EXPR_ATTR && x->kind != EXPR_BIN &&
	    x->kind != EXPR_TEST) {
		template_cond_shape((struct template_expr *)x);
		return;
	}
	e->cshape = COND_ANY;
	if (x->kind == EXPR_BIN && (x->op == OP_EQ || x->op == OP_NE) &&
	    x->b->kind == EXPR_CONST && x->b->cval != NULL &&
	    x->b->cval->type == TVALUE_STRING && template_is_var_attr(x->a))
		e->cshape = COND_ATTR_EQ;
	else if (x->kind == EXPR_TEST && x->def->nargs == 0 &&
	    template_is_var_attr(x->a))
		e->cshape = COND_ATTR_TEST;
	else if (x->kind == EXPR_ATTR && x->loop_attr == LOOP_ATTR_FIRST)
		e->cshape = COND_LOOP_FIRST;
	else if (x->kind == EXPR_ATTR && x->loop_attr == LOOP_ATTR_LAST)
		e->cshape = COND_LOOP_LAST;
	e->cneg = neg;
	e->cx = x;
}

static bool
template_is_arith(const struct template_tok *t)
{
	/* Not `~`: Tera refuses `x | f ~ y`. */
	return t->kind == TOK_OP && (t->op == OP_PLUS || t->op == OP_MINUS ||
	    t->op == OP_MUL || t->op == OP_DIV || t->op == OP_MOD);
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
		struct template_expr *e = template_expr_wrap(ps, out, EXPR_FILTER, t);

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
			e = template_expr_wrap(ps, out, EXPR_TEST, t);
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
		struct template_expr *e = template_expr_wrap(ps, out, kind, t);

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
	/* n itself is in the template's arena. */
}

void
template_block_free(struct template_block *b)
{
	for (size_t i = 0; i < b->len; i++)
		template_node_free(b->nodes[i]);
	free(b->nodes);
	b->nodes = NULL;
	b->len = b->cap = 0;
}

static struct template_node *
template_block_add(struct template_parser *ps, struct template_block *b,
    enum template_node_kind kind, const struct template_tok *t)
{
	struct template_node *n = template_arena_alloc(&ps->c->t->arena,
	    sizeof *n);

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
	"endraw", "include", "import", "macro", "endmacro", "extends", "block",
	"endblock", "filter", "endfilter" };

static const char *const template_foreign_tags[] = { "with", "endwith",
	"call", "endcall", "autoescape", "endautoescape", "trans", "endtrans",
	"do", "while", "load", "url", "csrf_token", "comment", "verbatim",
	"spaceless", "ifequal", "cycle", "now", "print" };

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
		if (rc == 0) {
			template_cond_shape(n->conds[n->nconds - 1]);
			rc = template_expect_bclose(ps);
		}
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
	if (rc == 0 && n->expr->kind == EXPR_CONST &&
	    n->expr->cval->type == TVALUE_STRING)
		return template_perr(ps, t + 1, "a `for` loop iterates a "
		    "variable, a function or an array, not a string literal "
		    "(Tera)");
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

static int template_load(struct template_parser *ps,
    const struct template_tok *at, const struct template_tok *name,
    bool import, int *unit);

/* `{% end<tag> [name] %}` after the end word: the optional name must
 * match (Tera allows `endmacro name`, `endblock name`). */
static int
template_end_name(struct template_parser *ps, const char *name, size_t len)
{
	struct template_tok *t = template_peek(ps);

	if (t->kind == TOK_IDENT) {
		if (t->len != len || memcmp(t->s, name, len) != 0)
			return template_perr(ps, t, "`%.*s` closes `%.*s`",
			    (int)t->len, t->s, (int)len, name);
		template_next(ps);
	}
	return template_expect_bclose(ps);
}

/* Body of a tag up to {% endword [name] %}. */
static int
template_parse_body(struct template_parser *ps, struct template_block *b,
    const struct template_tok *open, const char *tag, const char *name,
    size_t len)
{
	char endword[16];
	const char *ends[] = { endword, NULL };
	struct template_tok *end;
	int rc;

	snprintf(endword, sizeof endword, "end%s", tag);
	if (++ps->depth > TEMPLATE_MAX_BLOCK_DEPTH) {
		gerr_set_at(ps->err, GERR_LIMIT, ps->name, open->line, open->col,
		    "blocks nested deeper than %d", TEMPLATE_MAX_BLOCK_DEPTH);
		return GERR_LIMIT;
	}
	rc = template_parse_block(ps, b, ends, &end);
	ps->depth--;
	if (rc != 0)
		return rc;
	if (end == NULL)
		return template_unclosed(ps, open, tag);
	return template_end_name(ps, name, name != NULL ? len : 0);
}

static int
template_parse_include(struct template_parser *ps, struct template_node *n,
    const struct template_tok *open)
{
	struct template_tok *names[16], *t;
	size_t nnames = 0;
	bool list = false, ignore = false;
	char buf[48];
	int rc;

	if (template_tok_op(template_peek(ps), OP_LBRACK)) {
		template_next(ps);
		list = true;
	}
	do {
		t = template_next(ps);
		if (t->kind != TOK_STRING)
			return template_perr(ps, t, "`include` takes a template "
			    "name (a string literal) or a list of them, found %s",
			    template_tok_desc(t, buf, sizeof buf));
		if (nnames == sizeof names / sizeof names[0])
			return template_perr(ps, t, "more than %zu names in one "
			    "`include`", sizeof names / sizeof names[0]);
		names[nnames++] = t;
	} while (list && template_tok_op(template_peek(ps), OP_COMMA) &&
	    (template_next(ps), !template_tok_op(template_peek(ps), OP_RBRACK)));
	if (list && (rc = template_expect_op(ps, OP_RBRACK, "]")) != 0)
		return rc;
	if (template_tok_is(template_peek(ps), "ignore")) {
		template_next(ps);
		t = template_next(ps);
		if (!template_tok_is(t, "missing"))
			return template_perr(ps, t, "expected `missing` after "
			    "`ignore`");
		ignore = true;
	}
	rc = template_expect_bclose(ps);
	if (rc != 0)
		return rc;
	n->unit = -1;
	for (size_t i = 0; i < nnames && n->unit < 0; i++) {
		rc = template_load(ps, open, names[i], false, &n->unit);
		if (rc != 0)
			return rc;
	}
	if (n->unit >= 0 && ps->c->t->units[n->unit]->parent >= 0)
		return template_perr(ps, open, "`%s` extends another template: "
		    "inheritance in included templates is not supported (Tera)",
		    ps->c->t->units[n->unit]->name);
	if (n->unit >= 0 || ignore)
		return 0;
	if (nnames == 1)
		return template_perr(ps, names[0], "template \"%.*s\" not found "
		    "(include)", (int)names[0]->len, names[0]->s);
	return template_perr(ps, names[0], "none of the %zu templates of this "
	    "`include` was found", nnames);
}

static int
template_parse_import(struct template_parser *ps,
    const struct template_tok *open)
{
	struct template_unit *u;
	struct template_tok *name = template_next(ps), *as, *ns;
	char buf[48];
	int rc, unit = -1;

	if (name->kind != TOK_STRING)
		return template_perr(ps, name, "`import` takes a template name "
		    "(a string literal), found %s", template_tok_desc(name, buf,
		    sizeof buf));
	as = template_next(ps);
	if (!template_tok_is(as, "as"))
		return template_perr(ps, as, "expected `as`, found %s",
		    template_tok_desc(as, buf, sizeof buf));
	ns = template_next(ps);
	if (ns->kind != TOK_IDENT)
		return template_perr(ps, ns, "expected a namespace name, found "
		    "%s", template_tok_desc(ns, buf, sizeof buf));
	rc = template_expect_bclose(ps);
	if (rc == 0)
		rc = template_load(ps, open, name, true, &unit);
	if (rc != 0)
		return rc;
	if (unit < 0)
		return template_perr(ps, name, "template \"%.*s\" not found "
		    "(import)", (int)name->len, name->s);
	u = ps->c->t->units[ps->unit];
	u->imports = xreallocarray(u->imports, u->nimports + 1,
	    sizeof *u->imports);
	u->imports[u->nimports].ns = ns->s;
	u->imports[u->nimports].nslen = ns->len;
	u->imports[u->nimports++].unit = unit;
	return 0;
}

static int
template_parse_macro(struct template_parser *ps, struct template_node *n,
    const struct template_tok *open)
{
	struct template_unit *u = ps->c->t->units[ps->unit];
	struct template_macro *m;
	struct template_tok *name = template_next(ps);
	size_t cap = 0;
	char buf[48];
	int rc;

	if (ps->depth > 0 || ps->in_macro)
		return template_perr(ps, open, "`macro` can only be defined at "
		    "the top level of a template");
	if (name->kind != TOK_IDENT)
		return template_perr(ps, name, "expected a macro name, found %s",
		    template_tok_desc(name, buf, sizeof buf));
	for (size_t i = 0; i < u->nmacros; i++)
		if (u->macros[i].namelen == name->len &&
		    memcmp(u->macros[i].name, name->s, name->len) == 0)
			return template_perr(ps, name, "macro `%.*s` defined "
			    "twice", (int)name->len, name->s);
	u->macros = xreallocarray(u->macros, u->nmacros + 1,
	    sizeof *u->macros);
	m = &u->macros[u->nmacros++];
	memset(m, 0, sizeof *m);
	m->name = name->s;
	m->namelen = name->len;
	n->var = name->s;
	n->varlen = name->len;
	m->line = name->line;
	m->col = name->col;
	rc = template_expect_op(ps, OP_LPAREN, "(");
	while (rc == 0 && !template_tok_op(template_peek(ps), OP_RPAREN)) {
		struct template_tok *p = template_next(ps);

		if (p->kind != TOK_IDENT)
			return template_perr(ps, p, "expected a parameter name, "
			    "found %s", template_tok_desc(p, buf, sizeof buf));
		if (m->nparams == cap) {
			cap = cap ? cap * 2 : 4;
			m->params = xreallocarray(m->params, cap,
			    sizeof *m->params);
			m->paramlens = xreallocarray(m->paramlens, cap,
			    sizeof *m->paramlens);
			m->defaults = xreallocarray(m->defaults, cap,
			    sizeof *m->defaults);
			m->psyms = xreallocarray(m->psyms, cap,
			    sizeof *m->psyms);
		}
		m->params[m->nparams] = p->s;
		m->paramlens[m->nparams] = p->len;
		m->psyms[m->nparams] = template_sym(ps->syms, p->s, p->len);
		m->defaults[m->nparams++] = NULL;
		if (template_tok_op(template_peek(ps), OP_ASSIGN)) {
			template_next(ps);
			rc = template_parse_expr(ps,
			    &m->defaults[m->nparams - 1]);
			if (rc != 0)
				return rc;
		}
		if (!template_tok_op(template_peek(ps), OP_COMMA))
			break;
		template_next(ps);
	}
	if (rc == 0)
		rc = template_expect_op(ps, OP_RPAREN, ")");
	if (rc == 0)
		rc = template_expect_bclose(ps);
	if (rc != 0)
		return rc;
	ps->in_macro = true;
	/* The body may not move: parse into a block owned by the macro,
	 * whose array can grow while nested templates load. */
	{
		struct template_block body = { 0 };
		int mi = (int)(m - u->macros);

		rc = template_parse_body(ps, &body, open, "macro", name->s,
		    name->len);
		u = ps->c->t->units[ps->unit];
		u->macros[mi].body = body;
	}
	ps->in_macro = false;
	return rc;
}

static int
template_parse_extends(struct template_parser *ps, struct template_block *b,
    const struct template_tok *open)
{
	struct template_unit *u = ps->c->t->units[ps->unit];
	struct template_tok *name = template_next(ps);
	char buf[48];
	int rc, unit = -1;

	for (size_t i = 0; i < b->len; i++) {
		const struct template_node *n = b->nodes[i];
		bool blank = n->kind == NODE_TEXT;

		for (size_t k = 0; blank && k < n->len; k++)
			blank = template_is_space(n->text[k]);
		if (!blank || ps->depth > 0)
			return template_perr(ps, open, "`extends` must be the "
			    "first tag of a template");
	}
	if (u->parent >= 0)
		return template_perr(ps, open, "a template extends only one "
		    "parent");
	if (name->kind != TOK_STRING)
		return template_perr(ps, name, "`extends` takes a template name "
		    "(a string literal), found %s", template_tok_desc(name, buf,
		    sizeof buf));
	rc = template_expect_bclose(ps);
	if (rc == 0)
		rc = template_load(ps, open, name, false, &unit);
	if (rc != 0)
		return rc;
	if (unit < 0)
		return template_perr(ps, name, "template \"%.*s\" not found: "
		    "`%s` extends it", (int)name->len, name->s, ps->name);
	ps->c->t->units[ps->unit]->parent = unit;
	return 0;
}

static int
template_parse_blocktag(struct template_parser *ps, struct template_node *n,
    const struct template_tok *open)
{
	struct template_unit *u = ps->c->t->units[ps->unit];
	struct template_tok *name = template_next(ps);
	char buf[48];
	int rc;

	if (ps->loops > 0)
		return template_perr(ps, open, "`block` cannot be inside a `for` "
		    "loop");
	if (ps->in_macro)
		return template_perr(ps, open, "`block` cannot be inside a "
		    "macro");
	if (name->kind != TOK_IDENT)
		return template_perr(ps, name, "expected a block name, found %s",
		    template_tok_desc(name, buf, sizeof buf));
	for (size_t i = 0; i < u->nblocks; i++)
		if (u->blocks[i]->varlen == name->len &&
		    memcmp(u->blocks[i]->var, name->s, name->len) == 0)
			return template_perr(ps, name, "block `%.*s` defined "
			    "twice", (int)name->len, name->s);
	n->var = name->s;
	n->varlen = name->len;
	u->blocks = xreallocarray(u->blocks, u->nblocks + 1,
	    sizeof *u->blocks);
	u->blocks[u->nblocks++] = n;
	rc = template_expect_bclose(ps);
	if (rc == 0)
		rc = template_parse_body(ps, &n->body, open, "block", name->s,
		    name->len);
	return rc;
}

static int
template_parse_filtertag(struct template_parser *ps, struct template_node *n,
    const struct template_tok *open)
{
	struct template_tok *t = template_peek(ps);
	struct template_expr *e = template_expr_new(ps, EXPR_FILTER, t);
	int rc;

	n->expr = e;
	e->a = template_expr_new(ps, EXPR_VAR, t);
	e->a->name = TEMPLATE_FILTER_BODY_NAME;
	e->a->namelen = strlen(TEMPLATE_FILTER_BODY_NAME);
	e->a->sym = TEMPLATE_SYM_FILTER_BODY;
	rc = template_parse_callee(ps, e, TEMPLATE_FILTER);
	if (rc == 0)
		rc = template_expect_bclose(ps);
	if (rc == 0)
		rc = template_parse_body(ps, &n->body, open, "filter", NULL, 0);
	return rc;
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
		n = template_block_add(ps, b, NODE_IF, t);
		if (++ps->depth > TEMPLATE_MAX_BLOCK_DEPTH)
			goto deep;
		rc = template_parse_if(ps, n, t);
		ps->depth--;
		return rc;
	}
	if (template_tok_is(t, "for")) {
		n = template_block_add(ps, b, NODE_FOR, t);
		if (++ps->depth > TEMPLATE_MAX_BLOCK_DEPTH)
			goto deep;
		rc = template_parse_for(ps, n, t);
		ps->depth--;
		return rc;
	}
	if (template_tok_is(t, "set") || template_tok_is(t, "set_global")) {
		struct template_tok *v = template_next(ps);

		n = template_block_add(ps, b, NODE_SET, t);
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
	if (template_tok_is(t, "include"))
		return template_parse_include(ps, template_block_add(ps, b,
		    NODE_INCLUDE, t), t);
	if (template_tok_is(t, "import"))
		return template_parse_import(ps, t);
	if (template_tok_is(t, "macro"))
		return template_parse_macro(ps, template_block_add(ps, b, NODE_MACRO,
		    t), t);
	if (template_tok_is(t, "extends"))
		return template_parse_extends(ps, b, t);
	if (template_tok_is(t, "block"))
		return template_parse_blocktag(ps, template_block_add(ps, b,
		    NODE_BLOCK, t), t);
	if (template_tok_is(t, "filter"))
		return template_parse_filtertag(ps, template_block_add(ps, b,
		    NODE_FILTER, t), t);
	if (template_tok_is(t, "break") || template_tok_is(t, "continue")) {
		if (ps->loops == 0)
			return template_perr(ps, t, "`%.*s` outside a for loop",
			    (int)t->len, t->s);
		template_block_add(ps, b, t->len == 5 ? NODE_BREAK : NODE_CONTINUE,
		    t);
		return template_expect_bclose(ps);
	}
	(void)open;
	for (size_t i = 0; i < sizeof template_tags / sizeof template_tags[0];
	    i++)
		if (template_tok_is(t, template_tags[i]))
			return template_perr(ps, t, "unexpected `%.*s`",
			    (int)t->len, t->s);
	/* Constructs of jinja2 (and Django) that Tera does not have. */
	for (size_t i = 0; i < sizeof template_foreign_tags /
	    sizeof template_foreign_tags[0]; i++)
		if (template_tok_is(t, template_foreign_tags[i]))
			return template_perr(ps, t, "unsupported tag `%.*s`: it "
			    "is jinja2's, not Tera's (examples/TEMPLATES.md)",
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
			if (t->len == 0)
				break;
			n = b->len > 0 ? b->nodes[b->len - 1] : NULL;
			if (n != NULL && n->kind == NODE_OUT &&
			    n->postlen == 0) {
				/* `}}` then text: one node (see NODE_OUT). */
				n->post = t->s;
				n->postlen = t->len;
				n->pline = t->line;
				n->pcol = t->col;
			} else {
				n = template_block_add(ps, b, NODE_TEXT, t);
				n->text = t->s;
				n->len = t->len;
			}
			break;
		case TOK_VOPEN:
			template_next(ps);
			n = b->len > 0 ? b->nodes[b->len - 1] : NULL;
			if (n != NULL && n->kind == NODE_TEXT) {
				/* Text then `{{`: one node (see NODE_OUT). */
				n->kind = NODE_OUT;
				n->tline = n->line;
				n->tcol = n->col;
				n->line = t->line;
				n->col = t->col;
			} else
				n = template_block_add(ps, b, NODE_OUT, t);
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

/* Add a unit owning a copy of src (len bytes) named name (TAKEN). */
static int
template_unit_add(struct template *t, const char *src, size_t len,
    char *name)
{
	struct template_unit *u = xcalloc(1, sizeof *u);

	u->name = name;
	u->src = xmalloc(len + 1 + TEMPLATE_SRC_PAD);
	memcpy(u->src, src, len);
	memset(u->src + len, 0, 1 + TEMPLATE_SRC_PAD);
	u->srclen = len;
	u->parent = -1;
	t->units = xreallocarray(t->units, t->nunits + 1, sizeof *t->units);
	t->units[t->nunits] = u;
	return (int)t->nunits++;
}

/* Lex and parse unit `unit`; first_line as for template_compile_at. */
static int
template_unit_parse(struct template_compiler *c, int unit, int first_line)
{
	struct template_unit *u = c->t->units[unit];
	struct template_lexer lx = { 0 };
	struct template_parser ps = { 0 };
	struct template_tok *end;
	int rc;

	lx.src = lx.p = u->src;
	lx.end = u->src + u->srclen;
	lx.name = u->name;
	lx.line = first_line > 0 ? first_line : 1;
	lx.col = 1;
	lx.err = c->err;
	rc = template_lex(&lx);
	if (rc == 0) {
		ps.c = c;
		ps.unit = unit;
		ps.toks = lx.toks;
		ps.name = u->name;
		ps.err = c->err;
		ps.syms = c->syms;
		rc = template_parse_block(&ps, &u->root, NULL, &end);
		if (rc == 0 && end != NULL)
			rc = template_perr(&ps, end, "unexpected `%.*s`",
			    (int)end->len, end->s);
	}
	free(lx.toks);
	return rc;
}

/* Append " (included from NAME:L:C)" to the error of a loaded template. */
static void
template_err_from(struct gerr *err, const char *how, const char *name,
    int line, int col)
{
	size_t n = strlen(err->msg);

	if (n + 1 < sizeof err->msg)
		snprintf(err->msg + n, sizeof err->msg - n, " (%s from %s:%d:%d)",
		    how, name, line, col);
}

/*
 * Load the template named by string token `name` for unit ps->unit: *unit
 * gets its unit index, or -1 when the loader has no such template. Each
 * resolved name is loaded once; reaching a template that is still being
 * parsed is a cycle, refused for include and extends (imports may be
 * mutual: macros are resolved after loading).
 */
static int
template_load(struct template_parser *ps, const struct template_tok *at,
    const struct template_tok *name, bool import, int *unit)
{
	struct template_compiler *c = ps->c;
	char *want, *src = NULL, *resolved = NULL;
	size_t len = 0;
	int rc, u;

	*unit = -1;
	if (c->loader == NULL)
		return 0;
	want = xstrndup(name->s, name->len);
	rc = c->loader->load(c->loader->ctx, ps->name, want, &src, &len,
	    &resolved, c->err);
	free(want);
	if (rc == GERR_NOT_FOUND) {
		gerr_clear(c->err);
		return 0;
	}
	if (rc != 0) {
		if (c->err->line == 0)
			gerr_set_at(c->err, rc, ps->name, name->line, name->col,
			    "%s", c->err->msg);
		return rc;
	}
	for (size_t i = 0; i < c->t->nunits; i++) {
		if (strcmp(c->t->units[i]->name, resolved) != 0)
			continue;
		free(src);
		free(resolved);
		for (int k = 0; !import && k < c->nstack; k++) {
			struct strbuf chain = STRBUF_INIT;

			if (c->stack[k] != (int)i)
				continue;
			for (int j = k; j < c->nstack; j++) {
				strbuf_addstr(&chain, c->t->units[c->stack[j]]->name);
				strbuf_addstr(&chain, " -> ");
			}
			strbuf_addstr(&chain, c->t->units[i]->name);
			gerr_set_at(c->err, GERR_TEMPLATE, ps->name, at->line,
			    at->col, "%s cycle: %s", template_tok_is(at,
			    "extends") ? "extends" : "include", chain.buf);
			strbuf_release(&chain);
			return GERR_TEMPLATE;
		}
		*unit = (int)i;
		return 0;
	}
	if (c->nstack >= TEMPLATE_MAX_CALL_DEPTH) {
		free(src);
		free(resolved);
		gerr_set_at(c->err, GERR_LIMIT, ps->name, at->line, at->col,
		    "templates nested deeper than %d", TEMPLATE_MAX_CALL_DEPTH);
		return GERR_LIMIT;
	}
	u = template_unit_add(c->t, src, len, resolved);
	free(src);
	c->stack[c->nstack++] = u;
	rc = template_unit_parse(c, u, 1);
	c->nstack--;
	if (rc != 0) {
		template_err_from(c->err, import ? "imported" : "loaded",
		    ps->name, at->line, at->col);
		return rc;
	}
	*unit = u;
	return 0;
}

/* Bind every ns::name(...) call to its macro, checking its arguments. */
static int
template_resolve_calls(struct template_compiler *c)
{
	for (size_t i = 0; i < c->ncalls; i++) {
		struct template_expr *e = c->calls[i];
		const struct template_unit *from = c->t->units[c->call_units[i]];
		const struct template_unit *u = NULL;
		const struct template_macro *m = NULL;

		if (e->nslen == 4 && memcmp(e->ns, "self", 4) == 0)
			u = from;
		for (size_t k = 0; u == NULL && k < from->nimports; k++)
			if (from->imports[k].nslen == e->nslen &&
			    memcmp(from->imports[k].ns, e->ns, e->nslen) == 0)
				u = c->t->units[from->imports[k].unit];
		if (u == NULL)
			return gerr_set_at(c->err, GERR_TEMPLATE, from->name,
			    e->line, e->col, "unknown macro namespace `%.*s`: "
			    "import it first ({%% import \"file\" as %.*s %%})",
			    (int)e->nslen, e->ns, (int)e->nslen, e->ns);
		for (size_t k = 0; m == NULL && k < u->nmacros; k++)
			if (u->macros[k].namelen == e->namelen &&
			    memcmp(u->macros[k].name, e->name, e->namelen) == 0)
				m = &u->macros[k];
		if (m == NULL)
			return gerr_set_at(c->err, GERR_TEMPLATE, from->name,
			    e->line, e->col, "macro `%.*s::%.*s` not found in "
			    "`%s`", (int)e->nslen, e->ns, (int)e->namelen,
			    e->name, u->name);
		for (size_t k = 0; k < c->t->nunits; k++)
			if (c->t->units[k] == u)
				e->munit = (int)k;
		e->mindex = (int)(m - u->macros);
		e->argmap = xcalloc(m->nparams + 1, sizeof *e->argmap);
		for (size_t a = 0; a < e->nitems; a++) {
			size_t p;

			for (p = 0; p < m->nparams; p++)
				if (m->paramlens[p] == e->argnamelens[a] &&
				    memcmp(m->params[p], e->argnames[a],
				    e->argnamelens[a]) == 0)
					break;
			if (p == m->nparams)
				return gerr_set_at(c->err, GERR_TEMPLATE,
				    from->name, e->line, e->col, "macro `%.*s` "
				    "has no argument `%.*s`", (int)e->namelen,
				    e->name, (int)e->argnamelens[a],
				    e->argnames[a]);
		}
		for (size_t p = 0; p < m->nparams; p++) {
			e->argmap[p] = -1;
			for (size_t a = 0; a < e->nitems; a++)
				if (m->paramlens[p] == e->argnamelens[a] &&
				    memcmp(m->params[p], e->argnames[a],
				    e->argnamelens[a]) == 0)
					e->argmap[p] = (int)a;
			if (e->argmap[p] < 0 && m->defaults[p] == NULL)
				return gerr_set_at(c->err, GERR_TEMPLATE,
				    from->name, e->line, e->col, "macro `%.*s` is "
				    "missing the argument `%.*s`", (int)e->namelen,
				    e->name, (int)m->paramlens[p], m->params[p]);
		}
	}
	return 0;
}

int
template_compile_with(const char *src, size_t len, const char *name,
    int first_line, const struct template_loader *loader,
    struct template **out, struct gerr *err)
{
	struct template *t = xcalloc(1, sizeof *t);
	struct template_compiler c = { 0 };
	int rc;

	*out = NULL;
	template_unit_add(t, src, len, xstrdup(name != NULL ? name :
	    "<template>"));
	t->name = t->units[0]->name;
	t->srclen = len;
	c.t = t;
	c.loader = loader;
	c.err = err;
	c.syms = tvalue_map_new();
	template_sym(c.syms, "loop", 4);	/* TEMPLATE_SYM_LOOP */
	template_sym(c.syms, TEMPLATE_FILTER_BODY_NAME,
	    strlen(TEMPLATE_FILTER_BODY_NAME));	/* TEMPLATE_SYM_FILTER_BODY */
	c.stack[c.nstack++] = 0;
	rc = template_unit_parse(&c, 0, first_line);
	if (rc == 0)
		rc = template_resolve_calls(&c);
	tvalue_unref(c.syms);
	free(c.calls);
	free(c.call_units);
	if (rc != 0) {
		template_free(t);
		return rc;
	}
	*out = t;
	return 0;
}

int
template_compile_at(const char *src, size_t len, const char *name,
    int first_line, struct template **out, struct gerr *err)
{
	return template_compile_with(src, len, name, first_line, NULL, out,
	    err);
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
	for (size_t i = 0; i < t->nunits; i++) {
		struct template_unit *u = t->units[i];

		template_block_free(&u->root);
		for (size_t k = 0; k < u->nmacros; k++) {
			struct template_macro *m = &u->macros[k];

			for (size_t p = 0; p < m->nparams; p++)
				template_expr_free(m->defaults[p]);
			free(m->params);
			free(m->paramlens);
			free(m->defaults);
			free(m->psyms);
			template_block_free(&m->body);
		}
		free(u->macros);
		free(u->imports);
		free(u->blocks);
		free(u->src);
		free(u->name);
		free(u);
	}
	free(t->units);
	template_arena_free(&t->arena);
	free(t);
}

const char *
template_name(const struct template *t)
{
	return t->name;
}

size_t
template_dep_count(const struct template *t)
{
	return t->nunits - 1;
}

const char *
template_dep_name(const struct template *t, size_t i)
{
	return i + 1 < t->nunits ? t->units[i + 1]->name : NULL;
}
