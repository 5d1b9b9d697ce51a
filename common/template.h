/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * template.h - compile and render Tera 1.20 as ggen renders it
 * (examples/TEMPLATES.md); real Tera's recorded answers are the reference
 * (tests/conformance/tera/).
 *
 * template_compile turns a source buffer into an immutable struct template;
 * template_render evaluates it against a context value into a strbuf. A
 * compiled template is never modified by rendering: one template may be
 * rendered any number of times, from any number of threads at once (its
 * literals are immortal values; render state lives on the caller's stack and
 * heap). The context must not be modified while a render reads it.
 *
 * Syntax: {{ expr }}, {% tag %}, {# comment #}, with Tera's whitespace
 * control: a '-' right inside a delimiter ({{- -}} {%- -%} {#- -#}) strips
 * ALL whitespace (newlines included) on that side; nothing is trimmed
 * otherwise. Tags: if/elif/else/endif, for x in e / for k, v in e (maps
 * in byte order of their keys) with loop.index, loop.index0, loop.first,
 * loop.last, else, break, continue; set, set_global; raw/endraw; filter
 * sections; include (a name or a list, `ignore missing`); import "f" as
 * ns with ns::macro(k=v) and self::macro(...); macro/endmacro; extends
 * with block/endblock and super(). Functions: range, now, throw, get_env,
 * get_random (named arguments). Expressions, loosest first: or, and, not,
 * comparisons (== != < <= > >= on numbers, in, not in, `is [not]
 * test(args)`), filters (`| name(arg=..)`, applied to the whole
 * arithmetic on their left as in Tera), ~ (strings and numbers), + -,
 * * / % (x / 0 is NaN), then . and [] access. As in Tera's grammar:
 * parentheses group arithmetic only, `-` negates number literals only, no
 * filter may be followed by `~`, indexes are not negative. Strings take
 * ", ' or ` quotes and no escapes (as in Tera). Filter arguments are
 * named as in Tera; positional arguments are accepted too and bind in the
 * documented order (an extension shared with jinja2). A whole float
 * prints as an integer, arrays as [a, b], maps as [object] (Tera).
 *
 * Scoping: a for loop opens a frame that lives for the whole loop; `set`
 * writes to the innermost frame, `set_global` to the template's top frame.
 * An included template sees the includer's variables; a macro sees only
 * its arguments. Rendering a macro definition is an error (Tera): files of
 * macros are imported.
 * Lookup: frames innermost first, then the context map, then `env` (the
 * separate env map from the render options).
 *
 * Undefined: printing, filtering (except `default`), arithmetic or iterating
 * an undefined name is GERR_UNDEFINED at its file:line:col, naming the
 * variable and suggesting defined names; in `if`/`elif` conditions, `not`,
 * `and`/`or` operands and the tests defined/undefined it is simply false.
 */
#ifndef GGEN_TEMPLATE_H
#define GGEN_TEMPLATE_H

#include <stddef.h>
#include <stdint.h>

#include "gerr.h"
#include "strbuf.h"
#include "tvalue.h"

struct template;

/*
 * Where include / import / extends names come from. load reads template
 * `name` as asked for by the template `from` (a name load returned before,
 * or the main template's name): *src (len bytes, malloc'd, the caller's),
 * *resolved (malloc'd: the name used in messages and dependencies; equal
 * names are the same template). Returns 0, GERR_NOT_FOUND when there is no
 * such template (err need not be set), or another error set in err.
 */
struct template_loader {
	int (*load)(void *ctx, const char *from, const char *name, char **src,
	    size_t *len, char **resolved, struct gerr *err);
	void *ctx;
};

/* Nesting of include/extends while compiling, and of includes and macro
 * calls while rendering. */
#define TEMPLATE_MAX_CALL_DEPTH 64
/* Variable frames of one render (loops, macro calls, filter sections). */
#define TEMPLATE_MAX_FRAMES 256
/* Compile-time caps: block nesting and expression nesting. */
#define TEMPLATE_MAX_BLOCK_DEPTH 64
#define TEMPLATE_MAX_EXPR_DEPTH 128
/* Render defaults applied when an option is 0. */
#define TEMPLATE_DEFAULT_MAX_OUTPUT (64u << 20)
#define TEMPLATE_DEFAULT_MAX_ITERATIONS 10000000u

struct template_render_opts {
	const struct tvalue *env;	/* borrowed map for env.NAME, or NULL */
	size_t max_output_bytes;	/* 0 = TEMPLATE_DEFAULT_MAX_OUTPUT */
	uint64_t max_iterations;	/* loop bodies per render; 0 = default */
};

/*
 * Compile len bytes of src (borrowed; copied) named `name` (copied; used in
 * error positions). first_line is the file line of src's first byte (1 for a
 * whole file, more for a body after frontmatter). On success *out is the
 * caller's (template_free). Errors: GERR_TEMPLATE (syntax, unknown tag,
 * unknown filter/test with a suggestion, bad arguments) or GERR_LIMIT
 * (nesting), each at name:line:col. Any thread.
 */
int template_compile(const char *src, size_t len, const char *name,
    struct template **out, struct gerr *err);
int template_compile_at(const char *src, size_t len, const char *name,
    int first_line, struct template **out, struct gerr *err);
/* As template_compile_at, loading included, imported and extended
 * templates through loader (NULL: every such name is not found). Include
 * and extends cycles are GERR_TEMPLATE naming the chain; errors inside a
 * loaded template are at its name:line:col, followed by where it was
 * loaded from. */
int template_compile_with(const char *src, size_t len, const char *name,
    int first_line, const struct template_loader *loader,
    struct template **out, struct gerr *err);
void template_free(struct template *t);
/* The resolved names of the other templates t loaded (its dependencies):
 * count, and the i-th (borrowed for t's life). */
size_t template_dep_count(const struct template *t);
const char *template_dep_name(const struct template *t, size_t i);
/* Borrowed for the template's life. */
const char *template_name(const struct template *t);

/*
 * Render t with context ctx (a map, or NULL for none; borrowed) appending to
 * out. opts may be NULL. On error out holds the partial output (the caller
 * discards it) and err has name:line:col. Errors: GERR_UNDEFINED,
 * GERR_TEMPLATE (type errors, filter failures, division by zero),
 * GERR_TOO_LARGE (output cap), GERR_LIMIT (iterations). Any thread.
 */
int template_render(const struct template *t, const struct tvalue *ctx,
    const struct template_render_opts *opts, struct strbuf *out,
    struct gerr *err);

/* Convenience: compile + render a string once (tests, frontmatter). */
int template_render_string(const char *src, size_t len, const char *name,
    int first_line, const struct tvalue *ctx,
    const struct template_render_opts *opts, struct strbuf *out,
    struct gerr *err);

#endif
