/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * template_render.c - the tree-walking renderer (template_render).
 *
 * Reads struct template (built by template_parse.c) and never writes it.
 * Callers: frontmatter.c, the daemon's render path, the conformance driver,
 * fuzz and perf programs.
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
 * The run remembers the innermost array loop's variable (bind_sym), so
 * `f.name` and `if f.type == "x"` take small front functions
 * (template_resolve, template_eval_cond) that walk no frames; the parser
 * joins text and the `{{ }}` after it into one node.
 * Reference counts stay atomic because one context may be read by
 * concurrent renders; values made during a render never leave it.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "template_filters_int.h"
#include "template_int.h"
#include "xmalloc.h"

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
	uint32_t len, cap;	/* bounded by the number of symbols */
	const struct template_loop *loop;	/* NULL for the top frame */
	bool inl;		/* vars is the caller's storage: not freed */
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
#define TEMPLATE_MEMO_SLOTS 512	/* a power of two, multiple of 64 */
#define TEMPLATE_OUTPUT_HINT_MAX (1u << 20)

struct template_memo {
	const struct template_filter_def *def;
	struct tvalue *in;
	const struct template_expr *site;
	struct tvalue *out;	/* NULL: the result is out_len bytes ... */
	size_t out_off, out_len;	/* ... at out_off in the render output */
	unsigned gen;			/* ... of that output (r->outgen) */
};

struct template_run {
	struct template_memo memo[TEMPLATE_MEMO_SLOTS];
	/* Which memo slots hold something: only these 32 bytes are cleared
	 * per render, not the slots. */
	uint64_t memo_used[TEMPLATE_MEMO_SLOTS / 64];
	const struct template *t;
	const struct tvalue *ctx, *env;
	struct strbuf *out;
	size_t out_limit, max_out;	/* out->len may not pass out_limit */
	uint64_t iters, max_iters;
	struct template_frame frames[TEMPLATE_MAX_FRAMES];
	int nframes;
	int floor;		/* a macro sees frames from here up only */
	/* The innermost array loop's variable, looked up without walking
	 * the frames: bind_sym is bound to bind_val (not NULL), or -1 when
	 * unknown.
	 * Set by template_run_for each iteration and restored when the loop
	 * ends; forgotten (-1) by anything that could rebind or hide it: a
	 * `set` of that name, a filter section's binding, a macro call. */
	int bind_sym;
	struct tvalue *bind_val;
	const struct template_unit *unit;	/* whose nodes run (messages) */
	unsigned outgen, nextgen;	/* which buffer r->out is (memo) */
	int calls;		/* include and macro nesting */
	const struct template_node *blk;	/* block being rendered */
	int blk_level;		/* ... found at this level of extends */
	uint64_t rng;		/* get_random */
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
	gerr_vset_at(r->err, code, r->unit->name, e != NULL ? e->line : 0,
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
			uint32_t ncap = f->cap ? f->cap * 2 : 4;

			if (f->inl) {
				struct template_var *nv = xreallocarray(NULL,
				    ncap, sizeof *nv);

				memcpy(nv, f->vars, f->len * sizeof *nv);
				f->vars = nv;
				f->inl = false;
			} else
				f->vars = xreallocarray(f->vars, ncap,
				    sizeof *f->vars);
			f->cap = ncap;
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
	if (!f->inl)
		free(f->vars);
	memset(f, 0, sizeof *f);
}

/* a[0..n) == b[0..n), for the short keys of records: overlapping word
 * loads instead of a memcmp call. Both must have n readable bytes. */
static inline __attribute__((always_inline)) bool
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

/* memcpy for a memoised result, usually an identifier: 8 to 16 bytes
 * with two overlapping word moves and no call. d and s do not overlap. */
static inline __attribute__((always_inline)) void
template_copy_short(char *d, const char *s, size_t n)
{
	uint64_t w0, w1;

	if (n >= 8 && n <= 16) {
		memcpy(&w0, s, 8), memcpy(&w1, s + n - 8, 8);
		memcpy(d, &w0, 8), memcpy(d + n - 8, &w1, 8);
	} else
		memcpy(d, s, n);
}

/* memcpy of template text and values, inlined for the short pieces that
 * generated code is made of (overlapping moves, no call). d and s do not
 * overlap. */
static inline __attribute__((always_inline)) void
template_copy(char *d, const char *s, size_t n)
{
	uint64_t w0, w1, w2, w3;
	uint32_t x0, x1;

	if (n > 32) {
		memcpy(d, s, n);
	} else if (n > 16) {
		memcpy(&w0, s, 8), memcpy(&w1, s + 8, 8);
		memcpy(&w2, s + n - 16, 8), memcpy(&w3, s + n - 8, 8);
		memcpy(d, &w0, 8), memcpy(d + 8, &w1, 8);
		memcpy(d + n - 16, &w2, 8), memcpy(d + n - 8, &w3, 8);
	} else if (n >= 8) {
		memcpy(&w0, s, 8), memcpy(&w1, s + n - 8, 8);
		memcpy(d, &w0, 8), memcpy(d + n - 8, &w1, 8);
	} else if (n >= 4) {
		memcpy(&x0, s, 4), memcpy(&x1, s + n - 4, 4);
		memcpy(d, &x0, 4), memcpy(d + n - 4, &x1, 4);
	} else if (n > 0) {
		char a = s[0], b = s[n / 2], c = s[n - 1];

		d[0] = a, d[n / 2] = b, d[n - 1] = c;
	}
}

/* Borrowed value of e's name in map m (NULL if absent), trying first the entry where e found it
 * last time: records of one shape keep their keys in one order, so a
 * loop over them finds every field at once. */
static __attribute__((noinline)) struct tvalue *
template_map_get_scan(const struct tvalue *m, const struct template_expr *e)
{
	const struct tvalue *k;

	if (m->u.map.index != NULL)
		return tvalue_map_getn(m, e->name, e->namelen);
	for (size_t i = 0; i < m->u.map.len; i++) {
		k = m->u.map.ents[i].key;
		if (k->u.str.len == e->namelen &&
		    template_key_eq(k->u.str.s, e->name, e->namelen)) {
			atomic_store_explicit(&((struct template_expr *)e)->hint,
			    (uint32_t)i, memory_order_relaxed);
			return m->u.map.ents[i].val;
		}
	}
	return NULL;
}

static inline __attribute__((always_inline)) struct tvalue *
template_map_get_at(const struct tvalue *m, const struct template_expr *e)
{
	const struct tvalue *k;
	uint32_t h;

	if (m == NULL || m->type != TVALUE_MAP)
		return NULL;
	h = atomic_load_explicit(&((struct template_expr *)e)->hint,
	    memory_order_relaxed);
	if (h < m->u.map.len) {
		k = m->u.map.ents[h].key;
		if (k->u.str.len == e->namelen &&
		    template_key_eq(k->u.str.s, e->name, e->namelen))
			return m->u.map.ents[h].val;
	}
	/* Not where it was last time: scan. */
	return template_map_get_scan(m, e);
}

/* Borrowed value of variable e (an EXPR_VAR), or NULL when undefined.
 * Inlined into the resolvers: it runs for nearly every node. */
static inline __attribute__((always_inline)) struct tvalue *
template_lookup(struct template_run *r, const struct template_expr *e)
{
	struct tvalue *v;

	if (e->sym == r->bind_sym)
		return r->bind_val;
	for (int i = r->nframes - 1; i >= r->floor; i--) {
		struct template_var *tv = template_frame_find(&r->frames[i],
		    e->sym);

		if (tv != NULL)
			return tv->val;
	}
	v = template_map_get_at(r->ctx, e);
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
	for (int i = r->nframes - 1; i >= r->floor; i--) {
		if (template_frame_find(&r->frames[i], TEMPLATE_SYM_LOOP) !=
		    NULL)
			return NULL;
		if (r->frames[i].loop != NULL)
			return r->frames[i].loop;
	}
	return NULL;
}

/* Innermost loop state if `loop` is not shadowed, the usual case first:
 * right in a loop's body, with only the loop's variable bound there (the
 * top frame is never below r->floor). */
static inline __attribute__((always_inline)) const struct template_loop *
template_loop_now(struct template_run *r)
{
	const struct template_frame *f = &r->frames[r->nframes - 1];

	if (f->loop != NULL && f->len == 1 &&
	    f->vars[0].sym != TEMPLATE_SYM_LOOP)
		return f->loop;
	return template_current_loop(r);
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
template_resolve_any(struct template_run *r, const struct template_expr *e,
    bool *ok);

/* `f.name` where f is the innermost loop's variable, the most common
 * path of generated code, in a function that needs no saved registers;
 * the rest goes to template_resolve_any. */
static inline __attribute__((always_inline)) struct tvalue *
template_resolve(struct template_run *r, const struct template_expr *e,
    bool *ok)
{
	struct tvalue *obj;

	if (e->kind != EXPR_ATTR || !e->varattr || e->a->sym != r->bind_sym)
		return template_resolve_any(r, e, ok);
	obj = r->bind_val;	/* never NULL (template_run_for) */
	*ok = obj->type == TVALUE_MAP;
	return *ok ? template_map_get_at(obj, e) : NULL;
}

static __attribute__((noinline)) struct tvalue *
template_resolve_any(struct template_run *r, const struct template_expr *e,
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
			return template_map_get_at(obj, e);
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
	if (e->op == OP_DIV && tvalue_as_double(b) == 0) {
		/* Tera: no number for it, printed as NaN. */
		*out = tvalue_double(NAN);
		return 0;
	}
	if (e->op == OP_MOD && tvalue_as_double(b) == 0)
		return template_rerr(r, GERR_TEMPLATE, e, "modulo by zero");
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

		/* Tera concatenates strings and numbers only. */
		if ((a->type != TVALUE_STRING && !tvalue_is_number(a)) ||
		    (b->type != TVALUE_STRING && !tvalue_is_number(b))) {
			const struct template_expr *bad = a->type !=
			    TVALUE_STRING && !tvalue_is_number(a) ? e->a : e->b;

			rc = template_rerr(r, GERR_TEMPLATE, bad, "`~` joins "
			    "strings and numbers, not %s `%.*s`",
			    tvalue_type_name((bad == e->a ? a : b)->type),
			    (int)(bad->srclen > 60 ? 60 : bad->srclen),
			    bad->src);
			break;
		}

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
		if (!tvalue_is_number(a) || !tvalue_is_number(b))
			ok = false;	/* Tera orders numbers only */
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

/* The call site is part of the key only when literal arguments could
 * differ between two calls of the same filter on the same input. */
static inline const struct template_expr *
template_memo_site(const struct template_expr *e)
{
	return e->msite;
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
static inline __attribute__((always_inline)) void
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
	m->gen = r->outgen;
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
template_call_release(const struct template_expr *e, struct tvalue *in,
    bool own_in, struct tvalue **args)
{
	template_release(in, own_in);
	for (int i = 0; i < e->def->nargs; i++)
		if (args[i] != NULL)
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
 * Inputs, errors and messages are those of template_eval_call. The
 * general form; template_emit_call is the front. */
static __attribute__((noinline)) int
template_emit_call_any(struct template_run *r, const struct template_expr *e)
{
	struct tvalue *in = NULL, *args[TEMPLATE_FILTER_MAX_ARGS] = { NULL };
	char msg[256];
	int rc;
	bool own_in = false;

	msg[0] = '\0';
	rc = template_call_inputs(r, e, &in, &own_in, args);
	if (rc != 0)
		goto done;
	if (in != NULL && e->memo) {
		size_t slot = template_memo_slot(e, in);
		struct template_memo *m = template_memo_get(r, slot, e, in);
		struct strbuf *sb = r->out;
		size_t off = sb->len;

		if (m != NULL && (m->out != NULL || m->gen == r->outgen)) {
			if (m->out != NULL)
				tvalue_render(m->out, sb);
			else {
				/* Make room first: the source is inside sb. */
				if (sb->len + m->out_len >= sb->cap)
					strbuf_grow(sb, m->out_len);
				template_copy_short(sb->buf + sb->len,
				    sb->buf + m->out_off, m->out_len);
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
	template_call_release(e, in, own_in, args);
	return rc;
}

/* Append the memoised result m (of a filter on the same input, earlier
 * in this render) to the output. */
static inline __attribute__((always_inline)) void
template_memo_emit(struct template_run *r, const struct template_memo *m)
{
	struct strbuf *sb = r->out;

	if (m->out != NULL) {
		tvalue_render(m->out, sb);
		return;
	}
	/* Make room first: the source is inside sb. */
	if (sb->len + m->out_len >= sb->cap)
		strbuf_grow(sb, m->out_len);
	template_copy_short(sb->buf + sb->len, sb->buf + m->out_off,
	    m->out_len);
	sb->len += m->out_len;
	sb->buf[sb->len] = '\0';
}

/* A filter with literal (or no) arguments on input in, not memoised yet:
 * emit it and remember where its bytes are. */
static __attribute__((noinline)) int
template_emit_miss(struct template_run *r, const struct template_expr *e,
    struct tvalue *in, size_t slot)
{
	struct strbuf *sb = r->out;
	size_t off = sb->len;
	char msg[256];
	int rc;

	msg[0] = '\0';
	rc = e->def->emit(in, e->cargs, sb, msg, sizeof msg);
	if (rc == 0)
		template_memo_store(r, slot, e, in, NULL, off, sb->len - off);
	else
		template_call_failed(r, e, rc, msg);
	return rc;
}

/*
 * `{{ x | f }}` with an emit form: the usual case, literal (or no)
 * arguments on a defined plain path (`f.name | snake`), taken without
 * evaluating arguments or counting references; the memo hit without a
 * call. Anything else is template_emit_call_any's, with the same result.
 */
static inline __attribute__((always_inline)) int
template_emit_call(struct template_run *r, const struct template_expr *e)
{
	const struct template_memo *m;
	struct tvalue *in;
	size_t slot;
	bool ok;

	if (!e->memo)
		return template_emit_call_any(r, e);
	in = template_resolve(r, e->a, &ok);
	if (!ok || in == NULL)
		return template_emit_call_any(r, e);
	slot = template_memo_slot(e, in);
	m = template_memo_get(r, slot, e, in);
	if (m != NULL && (m->out != NULL || m->gen == r->outgen)) {
		template_memo_emit(r, m);
		return 0;
	}
	return template_emit_miss(r, e, in, slot);
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
	if (e->kind == EXPR_FILTER && in != NULL && e->memo) {
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
	template_call_release(e, in, own_in, args);
	return rc;
}

static int
template_eval_access(struct template_run *r, const struct template_expr *e,
    struct tvalue **out)
{
	struct tvalue *obj = NULL, *key = NULL, *v = NULL;
	int rc;

	if (e->kind == EXPR_ATTR && e->loop_attr != LOOP_ATTR_NONE) {
		const struct template_loop *lp = template_loop_now(r);

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

				/* Tera has no negative indexes. */
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

static enum template_flow template_run_block(struct template_run *r,
    const struct template_block *b);

/* Render into a buffer of its own (macro results, super(), filter
 * sections): save and switch r->out; spans memoised in one buffer are
 * never copied into another (outgen). */
struct template_outsave {
	struct strbuf *out;
	size_t out_limit;
	unsigned gen;
};

static void
template_out_push(struct template_run *r, struct strbuf *sb,
    struct template_outsave *save)
{
	save->out = r->out;
	save->out_limit = r->out_limit;
	save->gen = r->outgen;
	r->out = sb;
	r->out_limit = r->max_out;
	r->outgen = ++r->nextgen;
}

static void
template_out_pop(struct template_run *r, const struct template_outsave *save)
{
	if (r->out->cap > 0)
		r->out->buf[r->out->len] = '\0';
	r->out = save->out;
	r->out_limit = save->out_limit;
	r->outgen = save->gen;
}

/* One more include or macro level, refused past the cap. */
static int
template_call_enter(struct template_run *r, int line, int col,
    const char *what)
{
	if (r->calls >= TEMPLATE_MAX_CALL_DEPTH ||
	    r->nframes >= TEMPLATE_MAX_FRAMES) {
		gerr_set_at(r->err, GERR_LIMIT, r->unit->name, line, col,
		    "%s nested deeper than %d (recursion?)", what,
		    TEMPLATE_MAX_CALL_DEPTH);
		r->rc = GERR_LIMIT;
		return GERR_LIMIT;
	}
	r->calls++;
	return 0;
}

/* Add " (in NAME:L:C)" once an error comes back through a call. */
static void
template_err_via(struct template_run *r, const char *how, int line, int col)
{
	size_t n = strlen(r->err->msg), notes = 0;

	/* The innermost few calls; deep recursion would repeat them. */
	for (const char *p = r->err->msg; (p = strstr(p, " from ")) != NULL;
	    p++)
		notes++;
	if (notes == 4 && n + 6 < sizeof r->err->msg)
		strcat(r->err->msg, " (...)");
	if (notes < 4 && n + 1 < sizeof r->err->msg)
		snprintf(r->err->msg + n, sizeof r->err->msg - n,
		    " (%s from %s:%d:%d)", how, r->unit->name, line, col);
}

static int
template_eval_func(struct template_run *r, const struct template_expr *e,
    struct tvalue **out)
{
	struct tvalue *args[TEMPLATE_FILTER_MAX_ARGS] = { NULL };
	struct template_fn_ctx fc;
	char msg[256];
	int rc = 0;

	msg[0] = '\0';
	for (int i = 0; rc == 0 && i < e->def->nargs; i++)
		if (e->args[i] != NULL)
			rc = template_eval_strict(r, e->args[i], &args[i]);
	if (rc == 0) {
		fc.env = r->env;
		fc.budget = r->max_iters - r->iters;
		fc.rng = &r->rng;
		rc = e->def->func(&fc, args, out, msg, sizeof msg);
		if (rc != 0)
			template_rerr(r, rc, e, "function `%s` failed: %s",
			    e->def->name, msg);
	}
	for (int i = 0; i < TEMPLATE_FILTER_MAX_ARGS; i++)
		tvalue_unref(args[i]);
	return rc;
}

/* ns::name(...): the body renders with only its arguments visible (no
 * context, as in Tera) into a string. */
static int
template_eval_macro(struct template_run *r, const struct template_expr *e,
    struct tvalue **out)
{
	const struct template_unit *u = r->t->units[e->munit];
	const struct template_macro *m = &u->macros[e->mindex];
	struct tvalue *vals[64];
	struct strbuf sb = STRBUF_INIT;
	struct template_outsave save;
	const struct template_unit *saved_unit = r->unit;
	const struct tvalue *saved_ctx = r->ctx;
	int saved_floor = r->floor, rc = 0;
	struct template_frame *f;
	enum template_flow flow;

	if (m->nparams > sizeof vals / sizeof vals[0])
		return template_rerr(r, GERR_LIMIT, e, "macro `%.*s` has more "
		    "than %zu parameters", (int)m->namelen, m->name,
		    sizeof vals / sizeof vals[0]);
	for (size_t p = 0; p < m->nparams; p++) {
		vals[p] = NULL;
		if (rc == 0)
			rc = template_eval_strict(r, e->argmap[p] >= 0 ?
			    e->items[e->argmap[p]] : m->defaults[p], &vals[p]);
	}
	if (rc == 0)
		rc = template_call_enter(r, e->line, e->col, "macro calls");
	if (rc != 0) {
		for (size_t p = 0; p < m->nparams; p++)
			tvalue_unref(vals[p]);
		return rc;
	}
	f = &r->frames[r->nframes];
	memset(f, 0, sizeof *f);
	for (size_t p = 0; p < m->nparams; p++)
		template_frame_set(f, m->psyms[p], m->params[p],
		    m->paramlens[p], vals[p], true);
	r->floor = r->nframes++;
	r->bind_sym = -1;	/* the caller's loop is out of sight */
	r->ctx = NULL;
	r->unit = u;
	template_out_push(r, &sb, &save);
	flow = template_run_block(r, &m->body);
	template_out_pop(r, &save);
	template_frame_clear(&r->frames[r->floor]);
	r->nframes = r->floor;
	r->floor = saved_floor;
	r->ctx = saved_ctx;
	r->unit = saved_unit;
	r->calls--;
	if (flow == FLOW_ERROR) {
		strbuf_release(&sb);
		template_err_via(r, "in a macro called", e->line, e->col);
		return r->rc != 0 ? r->rc : GERR_TEMPLATE;
	}
	*out = tvalue_string_from_strbuf(&sb);
	return 0;
}

/* The definition of block `name` at or above extends level *level (0 =
 * the rendered template), or NULL; *level and *unit get where. */
static const struct template_node *
template_find_block(const struct template_run *r, const char *name,
    size_t len, int *level, const struct template_unit **unit)
{
	const struct template_unit *u = r->t->units[0];
	int lvl = 0;

	for (;;) {
		if (lvl >= *level)
			for (size_t i = 0; i < u->nblocks; i++)
				if (u->blocks[i]->varlen == len &&
				    memcmp(u->blocks[i]->var, name, len) == 0) {
					*level = lvl;
					*unit = u;
					return u->blocks[i];
				}
		if (u->parent < 0)
			return NULL;
		u = r->t->units[u->parent];
		lvl++;
	}
}

/* Render block definition def (at level) in place. */
static enum template_flow
template_run_blockdef(struct template_run *r, const struct template_node *def,
    int level, const struct template_unit *u)
{
	const struct template_node *saved_blk = r->blk;
	const struct template_unit *saved_unit = r->unit;
	int saved_level = r->blk_level;
	enum template_flow flow;

	r->blk = def;
	r->blk_level = level;
	r->unit = u;
	flow = template_run_block(r, &def->body);
	r->blk = saved_blk;
	r->blk_level = saved_level;
	r->unit = saved_unit;
	return flow;
}

static int
template_eval_super(struct template_run *r, const struct template_expr *e,
    struct tvalue **out)
{
	const struct template_node *def;
	const struct template_unit *u;
	struct strbuf sb = STRBUF_INIT;
	struct template_outsave save;
	enum template_flow flow;
	int level;

	if (r->blk == NULL)
		return template_rerr(r, GERR_TEMPLATE, e, "`super()` outside a "
		    "block");
	level = r->blk_level + 1;
	def = template_find_block(r, r->blk->var, r->blk->varlen, &level, &u);
	if (def == NULL)
		return template_rerr(r, GERR_TEMPLATE, e, "`super()`: no parent "
		    "template defines block `%.*s`", (int)r->blk->varlen,
		    r->blk->var);
	template_out_push(r, &sb, &save);
	flow = template_run_blockdef(r, def, level, u);
	template_out_pop(r, &save);
	if (flow == FLOW_ERROR) {
		strbuf_release(&sb);
		return r->rc != 0 ? r->rc : GERR_TEMPLATE;
	}
	*out = tvalue_string_from_strbuf(&sb);
	return 0;
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
	case EXPR_FUNC:
		return template_eval_func(r, e, out);
	case EXPR_MACRO:
		return template_eval_macro(r, e, out);
	case EXPR_SUPER:
		return template_eval_super(r, e, out);
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

static int template_eval_cond_any(struct template_run *r,
    const struct template_expr *e, bool *yes);

/* COND_ATTR_TEST: `v.attr is TEST` on the innermost loop's variable. */
static __attribute__((noinline)) int
template_cond_test(struct template_run *r, const struct template_expr *e,
    bool *yes)
{
	static struct tvalue *const noargs[TEMPLATE_FILTER_MAX_ARGS];
	const struct template_expr *x = e->cx;
	const struct tvalue *v;
	char msg[256];
	bool res;

	if (x->a->a->sym == r->bind_sym && r->bind_val->type == TVALUE_MAP) {
		v = template_map_get_at(r->bind_val, x->a);
		msg[0] = '\0';
		if ((v != NULL || x->def->accepts_undefined) &&
		    x->def->test(v, noargs, &res, msg, sizeof msg) == 0) {
			*yes = (x->negate ? !res : res) != e->cneg;
			return 0;
		}
	}
	return template_eval_cond_any(r, e, yes);
}

/*
 * Truth of e as an if/elif condition. This front answers the fast forms
 * the parser found (enum template_cond_shape): `f.attr == "literal"` (and
 * !=) when the attribute of the innermost loop's variable is a string,
 * `f.attr is TEST`, loop.first and loop.last, each under any number of
 * `not`s; everything else, errors included, is template_eval_cond_any's.
 */
static inline __attribute__((always_inline)) int
template_eval_cond(struct template_run *r, const struct template_expr *e,
    bool *yes)
{
	const struct template_expr *x = e->cx;
	const struct template_loop *lp;
	const struct tvalue *c, *v;

	switch (e->cshape) {
	case COND_ATTR_EQ:
		if (x->a->a->sym != r->bind_sym ||
		    r->bind_val->type != TVALUE_MAP)
			break;
		v = template_map_get_at(r->bind_val, x->a);
		if (v == NULL || v->type != TVALUE_STRING)
			break;
		c = x->b->cval;
		*yes = ((v->u.str.len == c->u.str.len &&
		    template_key_eq(v->u.str.s, c->u.str.s, c->u.str.len)) ==
		    (x->op == OP_EQ)) != e->cneg;
		return 0;
	case COND_ATTR_TEST:
		return template_cond_test(r, e, yes);
	case COND_LOOP_FIRST:
	case COND_LOOP_LAST:
		lp = template_loop_now(r);
		if (lp == NULL)
			break;
		*yes = (e->cshape == COND_LOOP_FIRST ? lp->index0 == 0 :
		    lp->index0 + 1 == lp->len) != e->cneg;
		return 0;
	case COND_ANY:
		break;
	}
	return template_eval_cond_any(r, e, yes);
}

/*
 * Truth of e as an if/elif condition, as tvalue_truthy of a lenient
 * template_eval (undefined is false), but without making values for the
 * usual forms: ==, !=, not, and, or.
 */
static __attribute__((noinline)) int
template_eval_cond_any(struct template_run *r, const struct template_expr *e,
    bool *yes)
{
	struct tvalue *a, *b;
	bool own_a, own_b;
	int rc;

	*yes = false;
	switch (e->kind) {
	case EXPR_ATTR:
		/* loop.first / loop.last without making a value. */
		if (e->loop_attr == LOOP_ATTR_FIRST ||
		    e->loop_attr == LOOP_ATTR_LAST) {
			const struct template_loop *lp = template_current_loop(r);

			if (lp == NULL)
				break;
			*yes = e->loop_attr == LOOP_ATTR_FIRST ? lp->index0 == 0 :
			    lp->index0 + 1 == lp->len;
			return 0;
		}
		break;
	case EXPR_TEST: {
		/* `x is defined` and the like: the test's answer directly. */
		struct tvalue *in = NULL;
		struct tvalue *args[TEMPLATE_FILTER_MAX_ARGS] = { NULL };
		bool own_in = false, res = false;
		char msg[256];

		msg[0] = '\0';
		rc = template_call_inputs(r, e, &in, &own_in, args);
		if (rc == 0) {
			rc = e->def->test(in, args, &res, msg, sizeof msg);
			if (rc != 0)
				template_call_failed(r, e, rc, msg);
			else
				*yes = e->negate ? !res : res;
		}
		template_call_release(e, in, own_in, args);
		return rc;
	}
	case EXPR_BIN:
		if (e->op != OP_EQ && e->op != OP_NE)
			break;
		rc = template_eval_lend(r, e->a, true, &a, &own_a);
		if (rc != 0)
			return rc;
		/* A literal right side (`f.type == "bool"`) as it is. */
		if (e->b->kind == EXPR_CONST && e->b->cval != NULL) {
			b = e->b->cval;
			own_b = false;
			rc = 0;
		} else
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

/* Append to the output: the common case (room left) without a call and
 * without the terminating NUL, which template_out_pop and the end of
 * template_render put back (nothing reads the output as a C string in
 * between). */
static inline __attribute__((always_inline)) void
template_out(struct template_run *r, const char *p, size_t n)
{
	struct strbuf *sb = r->out;

	/* cap is 0 while buf is the shared empty string: never taken. */
	if (sb->len + n < sb->cap) {
		template_copy(sb->buf + sb->len, p, n);
		sb->len += n;
	} else
		strbuf_add(sb, p, n);
}

/* Append the decimal digits of u. */
static inline void
template_out_uint(struct template_run *r, size_t u)
{
	char buf[24], *p = buf + sizeof buf;

	do
		*--p = (char)('0' + u % 10);
	while ((u /= 10) != 0);
	template_out(r, p, (size_t)(buf + sizeof buf - p));
}

static bool
template_check_output_at(struct template_run *r, int line, int col)
{
	if (r->out->len <= r->out_limit)
		return true;
	gerr_set_at(r->err, GERR_TOO_LARGE, r->unit->name, line, col,
	    "output exceeds %zu bytes", r->max_out);
	r->rc = GERR_TOO_LARGE;
	return false;
}

static inline bool
template_check_output(struct template_run *r, const struct template_node *n)
{
	return template_check_output_at(r, n->line, n->col);
}

/* Template text (which began at line:col, and lies in a unit's source) to
 * the output, and the output cap checked: when it fits in the buffer and
 * under the cap, in the same test. */
static inline __attribute__((always_inline)) bool
template_out_text(struct template_run *r, const char *p, size_t n, int line,
    int col)
{
	struct strbuf *sb = r->out;
	size_t end = sb->len + n;
	uint64_t w[4];

	if (n <= 32 && sb->len + 32 < sb->cap && end <= r->out_limit) {
		/* Whole words: p lies in a unit's source, padded after its
		 * end (TEMPLATE_SRC_PAD), and the buffer has room for 32
		 * bytes; what lands past end is overwritten later or cut by
		 * the final NUL. */
		char *d = sb->buf + sb->len;

		memcpy(w, p, 16);
		memcpy(d, w, 16);
		if (n > 16) {
			memcpy(w + 2, p + 16, 16);
			memcpy(d + 16, w + 2, 16);
		}
		sb->len = end;
		return true;
	}
	if (end < sb->cap && end <= r->out_limit) {
		template_copy(sb->buf + sb->len, p, n);
		sb->len = end;
		return true;
	}
	strbuf_add(sb, p, n);
	return template_check_output_at(r, line, col);
}

#define TEMPLATE_ORDER_STACK 32

static enum template_flow
template_run_for(struct template_run *r, const struct template_node *n)
{
	struct tvalue *seq = NULL;
	struct template_loop lp = { 0 };
	struct template_frame *f;
	enum template_flow flow = FLOW_NEXT;
	size_t i, order_stack[TEMPLATE_ORDER_STACK], *order = order_stack;
	struct template_var loopvars[2];
	int saved_sym = r->bind_sym;
	struct tvalue *saved_val = r->bind_val;

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
	if (seq->type == TVALUE_MAP && n->kvar == NULL) {
		template_rerr(r, GERR_TEMPLATE, n->expr, "`for %.*s in %.*s` "
		    "iterates a map: use `for key, value in ...` (Tera: "
		    "\"missing a key\")", (int)n->vvarlen, n->vvar,
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
	if (seq->type == TVALUE_MAP) {
		/* Tera iterates maps in byte order of their keys. */
		order = lp.len <= TEMPLATE_ORDER_STACK ? order_stack :
		    xcalloc(lp.len, sizeof *order);
		template_filters_map_order(seq, order);
	}
	if (r->nframes >= TEMPLATE_MAX_FRAMES) {
		if (order != order_stack)
			free(order);
		tvalue_unref(seq);
		template_rerr(r, GERR_LIMIT, n->expr, "loops and calls nested "
		    "deeper than %d", TEMPLATE_MAX_FRAMES);
		return FLOW_ERROR;
	}
	f = &r->frames[r->nframes++];
	memset(f, 0, sizeof *f);
	/* The loop's variables (one or two) live on this stack frame. */
	f->vars = loopvars;
	f->inl = true;
	f->cap = sizeof loopvars / sizeof loopvars[0];
	f->loop = &lp;
	for (i = 0; i < lp.len; i++) {
		if (++r->iters > r->max_iters) {
			gerr_set_at(r->err, GERR_LIMIT, r->unit->name, n->line,
			    n->col, "more than %llu loop iterations",
			    (unsigned long long)r->max_iters);
			r->rc = GERR_LIMIT;
			flow = FLOW_ERROR;
			break;
		}
		lp.index0 = i;
		/* Loop variables are lent by seq, which this loop holds
		 * until its frame is cleared: no reference counting. The
		 * value variable of an array stays at f->vars[0] (a `set` in
		 * the body only appends or rebinds), so later iterations
		 * rebind it in place. */
		if (seq->type == TVALUE_ARRAY && i > 0) {
			struct template_var *v = &f->vars[0];

			if (v->owned)
				tvalue_unref(v->val);
			v->val = seq->u.arr.items[i];
			v->owned = false;
			r->bind_sym = v->val != NULL ? n->vsym : -1;
			r->bind_val = v->val;
		} else if (seq->type == TVALUE_ARRAY) {
			template_frame_set(f, n->vsym, n->vvar, n->vvarlen,
			    seq->u.arr.items[i], false);
			r->bind_val = seq->u.arr.items[i];
			r->bind_sym = r->bind_val != NULL ? n->vsym : -1;
		} else {
			r->bind_sym = -1;
			const struct tvalue_entry *ent = tvalue_map_at(seq,
			    order[i]);

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
	r->bind_sym = saved_sym;
	r->bind_val = saved_val;
	if (order != order_stack)
		free(order);
	tvalue_unref(seq);
	return flow;
}

static enum template_flow
template_run_block(struct template_run *r, const struct template_block *b)
{
	struct tvalue *v;
	enum template_flow flow;
	bool owned;
	int rc;

	for (size_t i = 0; i < b->len; i++) {
		const struct template_node *n = b->nodes[i];

		switch (n->kind) {
		case NODE_TEXT:
			if (!template_out_text(r, n->text, n->len, n->line,
			    n->col))
				return FLOW_ERROR;
			break;
		case NODE_OUT:
			if (n->len > 0 && !template_out_text(r, n->text, n->len,
			    n->tline, n->tcol))
				return FLOW_ERROR;
			if (n->expr->kind == EXPR_FILTER &&
			    n->expr->def->emit != NULL) {
				if (template_emit_call(r, n->expr) != 0)
					return FLOW_ERROR;
				if (!template_check_output(r, n))
					return FLOW_ERROR;
				goto post;
			}
			if (n->expr->kind == EXPR_ATTR &&
			    (n->expr->loop_attr == LOOP_ATTR_INDEX ||
			    n->expr->loop_attr == LOOP_ATTR_INDEX0)) {
				/* {{ loop.index }}: the number, no value. */
				const struct template_loop *lp =
				    template_loop_now(r);

				if (lp != NULL) {
					template_out_uint(r, lp->index0 +
					    (n->expr->loop_attr ==
					    LOOP_ATTR_INDEX));
					if (!template_check_output(r, n))
						return FLOW_ERROR;
					goto post;
				}
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
		post:
			if (n->postlen > 0 && !template_out_text(r, n->post,
			    n->postlen, n->pline, n->pcol))
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
			if (n->sym == r->bind_sym)
				r->bind_sym = -1;
			template_frame_set(n->global ? &r->frames[r->floor] :
			    &r->frames[r->nframes - 1], n->sym, n->var,
			    n->varlen, v, true);
			break;
		case NODE_INCLUDE:
			if (n->unit < 0)
				break;
			if (template_call_enter(r, n->line, n->col,
			    "includes") != 0)
				return FLOW_ERROR;
			{
				const struct template_unit *saved = r->unit;
				struct template_frame *f = &r->frames[r->nframes++];

				/* Its own scope: a `set` inside stays inside (Tera);
				 * the includer's variables and loop stay visible. */
				memset(f, 0, sizeof *f);
				r->unit = r->t->units[n->unit];
				flow = template_run_block(r, &r->unit->root);
				r->unit = saved;
				template_frame_clear(f);
				r->nframes--;
			}
			r->calls--;
			if (flow == FLOW_ERROR) {
				template_err_via(r, "included", n->line, n->col);
				return flow;
			}
			break;
		case NODE_BLOCK: {
			const struct template_unit *u = r->unit;
			const struct template_node *def;
			int level = 0;

			def = template_find_block(r, n->var, n->varlen, &level,
			    &u);
			if (def == NULL) {
				def = n;
				level = r->blk_level;
				u = r->unit;
			}
			flow = template_run_blockdef(r, def, level, u);
			if (flow != FLOW_NEXT)
				return flow;
			break;
		}
		case NODE_FILTER: {
			struct strbuf sb = STRBUF_INIT;
			struct template_outsave save;
			struct template_frame *f;

			if (r->nframes >= TEMPLATE_MAX_FRAMES) {
				template_rerr(r, GERR_LIMIT, n->expr, "loops and "
				    "calls nested deeper than %d",
				    TEMPLATE_MAX_FRAMES);
				return FLOW_ERROR;
			}
			template_out_push(r, &sb, &save);
			flow = template_run_block(r, &n->body);
			template_out_pop(r, &save);
			if (flow == FLOW_ERROR) {
				strbuf_release(&sb);
				return flow;
			}
			f = &r->frames[r->nframes++];
			memset(f, 0, sizeof *f);
			if (r->bind_sym == TEMPLATE_SYM_FILTER_BODY)
				r->bind_sym = -1;
			template_frame_set(f, TEMPLATE_SYM_FILTER_BODY,
			    TEMPLATE_FILTER_BODY_NAME,
			    strlen(TEMPLATE_FILTER_BODY_NAME),
			    tvalue_string_from_strbuf(&sb), true);
			rc = template_eval_strict(r, n->expr, &v);
			template_frame_clear(f);
			r->nframes--;
			if (rc != 0)
				return FLOW_ERROR;
			tvalue_render(v, r->out);
			tvalue_unref(v);
			if (!template_check_output(r, n))
				return FLOW_ERROR;
			if (flow != FLOW_NEXT)
				return flow;
			break;
		}
		case NODE_MACRO:
			/* Tera: macros are imported and called, never rendered
			 * where they are defined. */
			gerr_set_at(r->err, GERR_TEMPLATE, r->unit->name, n->line,
			    n->col, "invalid macro definition `%.*s`: a template "
			    "that defines macros cannot be rendered itself; "
			    "import it ({%% import \"file\" as ns %%}) and call "
			    "ns::%.*s(...)", (int)n->varlen, n->var,
			    (int)n->varlen, n->var);
			r->rc = GERR_TEMPLATE;
			return FLOW_ERROR;
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
	r->max_out = opts != NULL && opts->max_output_bytes > 0 ?
	    opts->max_output_bytes : TEMPLATE_DEFAULT_MAX_OUTPUT;
	r->out_limit = out->len + r->max_out < out->len ? SIZE_MAX :
	    out->len + r->max_out;
	r->max_iters = opts != NULL && opts->max_iterations > 0 ?
	    opts->max_iterations : TEMPLATE_DEFAULT_MAX_ITERATIONS;
	r->err = err;
	r->nframes = 1;
	r->floor = 0;
	r->bind_sym = -1;
	r->bind_val = NULL;
	r->outgen = r->nextgen = 0;
	r->calls = 0;
	r->blk = NULL;
	r->blk_level = 0;
	r->rng = 0;
	/* With extends, the root-most ancestor's text is what renders; the
	 * blocks come from the most derived template that defines them. */
	const struct template_unit *top = t->units[0];

	while (top->parent >= 0)
		top = t->units[top->parent];
	r->unit = top;
	/* Generated code is usually a bit larger than its template: reserve
	 * that much (bounded) so the output rarely moves. */
	size_t hint = t->srclen * 2;

	if (hint > TEMPLATE_OUTPUT_HINT_MAX)
		hint = TEMPLATE_OUTPUT_HINT_MAX;
	if (hint < r->max_out)
		strbuf_grow(out, hint);
	if (template_run_block(r, &top->root) == FLOW_ERROR && r->rc == 0)
		r->rc = gerr_set(err, GERR_INTERNAL, "render failed");
	if (out->cap > 0)
		out->buf[out->len] = '\0';
	rc = r->rc;
	for (int i = 0; i < r->nframes; i++)
		template_frame_clear(&r->frames[i]);
	/* Only the slots in use, a word of the bitmap at a time. */
	for (size_t w = 0; w < TEMPLATE_MEMO_SLOTS / 64; w++) {
		for (uint64_t bits = r->memo_used[w]; bits != 0;
		    bits &= bits - 1) {
			size_t i = w * 64 + (size_t)__builtin_ctzll(bits);

			tvalue_unref(r->memo[i].in);
			if (r->memo[i].out != NULL)
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
