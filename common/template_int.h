/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * template_int.h - private to common/template_*.c: the token stream the
 * lexer (template_lex.c) hands the parser (template_parse.c), the AST the
 * parser hands the renderer (template_render.c), and struct template.
 * Split the way Lua splits llex.c / lparser.c / lvm.c; filters and tests
 * stay table-driven in template_filters.c. Nothing here is public API.
 */
#ifndef GGEN_TEMPLATE_INT_H
#define GGEN_TEMPLATE_INT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

#include "gerr.h"
#include "template.h"
#include "template_filters.h"
#include "tvalue.h"

/* ---------------------------------------------------------------- tokens */

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
	OP_ASSIGN, OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE, OP_DCOLON,
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

static inline bool
template_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
	    c == '\v';
}

static inline bool
template_is_ident_start(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static inline bool
template_is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Lex lx->src..lx->end into lx->toks (the caller frees it), ending with
 * TOK_EOF. Errors: GERR_TEMPLATE at name:line:col. */
int template_lex(struct template_lexer *lx);

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
	EXPR_FUNC,	/* name(k=v, ...): a function row in def */
	EXPR_MACRO,	/* ns::name(k=v, ...), resolved to munit/mindex */
	EXPR_SUPER,	/* super() inside a block */
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

/* Which fast form an if/elif condition takes (template_parse.c decides
 * it, template_render.c answers it, falling back to the general
 * evaluation whenever the values are not of the expected shape). */
enum template_cond_shape {
	COND_ANY,		/* the general evaluation */
	COND_ATTR_EQ,		/* v.attr == "literal" (or !=) */
	COND_ATTR_TEST,		/* v.attr is TEST (no arguments) */
	COND_LOOP_FIRST,	/* loop.first */
	COND_LOOP_LAST,		/* loop.last */
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
	/* EXPR_MACRO: items are the call's arguments, argnames their names;
	 * after resolution argmap[param] is the item index or -1 (default). */
	const char *ns;
	size_t nslen;
	const char **argnames;
	size_t *argnamelens;
	int munit, mindex;
	int *argmap;
	/* FILTER / TEST, set by the parser: every argument a literal or
	 * absent (the result may be memoised), every argument absent. */
	bool memo, noargs;
	/* The memo's call-site key: e when the filter has arguments (their
	 * literals could differ between sites), else NULL. */
	const struct template_expr *msite;
	/* ... and when memo, the literal arguments themselves (immortal),
	 * NULL where absent: what the filter is called with. */
	struct tvalue *cargs[TEMPLATE_FILTER_MAX_ARGS];
	/* ATTR: `v.name` with v a plain name and name not loop's. */
	bool varattr;
	/* if/elif conditions (and the operands of their not/and/or): the
	 * fast form of cx, which is e under cneg `not`s. */
	enum template_cond_shape cshape;
	bool cneg;
	const struct template_expr *cx;
	/* VAR / ATTR: the map entry where the name was found last time, a
	 * hint checked before use. The one field a render writes: relaxed
	 * atomic, so concurrent renders of one template stay race-free. */
	_Atomic uint32_t hint;
};

enum template_node_kind {
	NODE_TEXT,
	NODE_OUT,
	NODE_IF,
	NODE_FOR,
	NODE_SET,
	NODE_BREAK,
	NODE_CONTINUE,
	NODE_INCLUDE,	/* unit to render in place, or -1 (ignore missing) */
	NODE_FILTER,	/* {% filter f %}body{% endfilter %}: expr filters */
	NODE_BLOCK,	/* {% block name %}body{% endblock %} */
	NODE_MACRO,	/* where a macro is defined: rendering it is an error */
};

struct template_block {
	struct template_node **nodes;
	size_t len, cap;
};

struct template_node {
	enum template_node_kind kind;
	int line, col;
	/* TEXT: the text. OUT: text written before the expression (the text
	 * node that preceded it, fused by the parser: one node less to walk),
	 * which began at tline:tcol. */
	const char *text;
	size_t len;
	int tline, tcol;
	/* OUT: text written after the expression (the text node that
	 * followed it, fused too), which began at pline:pcol. */
	const char *post;
	size_t postlen;
	int pline, pcol;
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
	/* include */
	int unit;
};

struct template_macro {
	const char *name;	/* into the unit's source */
	size_t namelen;
	const char **params;
	size_t *paramlens;
	struct template_expr **defaults;	/* NULL: required */
	int *psyms;
	size_t nparams;
	struct template_block body;
	int line, col;
};

struct template_import {
	const char *ns;
	size_t nslen;
	int unit;
};

/*
 * One source file of a compiled set: the main template is unit 0, every
 * template it includes, imports or extends (transitively) one more unit,
 * loaded once each at compile time.
 */
/* Zero bytes after every unit's source (past its NUL): the renderer
 * copies a piece of template text (which always lies in a unit's source)
 * in whole 16-byte words, reading up to this far past its end. */
#define TEMPLATE_SRC_PAD 32

struct template_unit {
	char *name;		/* resolved name, for messages and deps */
	char *src;		/* srclen bytes, NUL, TEMPLATE_SRC_PAD zeros */
	size_t srclen;
	struct template_block root;
	int parent;		/* extends: unit index, else -1 */
	struct template_macro *macros;
	size_t nmacros;
	struct template_import *imports;
	size_t nimports;
	struct template_node **blocks;	/* every {% block %}, borrowed */
	size_t nblocks;
};

/* Bump allocator for the AST nodes of one template (template_parse.c). */
#define TEMPLATE_ARENA_CHUNK 16384
struct template_arena_chunk {
	struct template_arena_chunk *next;
	size_t size, used;
	_Alignas(16) unsigned char mem[];
};

struct template_arena {
	struct template_arena_chunk *head;
};

void template_arena_free(struct template_arena *a);

struct template {
	struct template_arena arena;	/* every expr and node */
	char *name;		/* == units[0]->name */
	size_t srclen;		/* of unit 0 */
	struct template_unit **units;
	size_t nunits;
};

/* Symbol 0 is always `loop` (see template_sym in template_parse.c). */
#define TEMPLATE_SYM_LOOP 0

/* Symbol bound to the body text inside a {% filter %} section. */
#define TEMPLATE_SYM_FILTER_BODY 1
#define TEMPLATE_FILTER_BODY_NAME " body"

void template_expr_free(struct template_expr *e);
void template_block_free(struct template_block *b);

#endif
