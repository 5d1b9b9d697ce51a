/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * template_filters.h - the filter and test table of the template engine
 * (internal to common/template*.c and its tests).
 *
 * Each row: kind (filter or test), name, argument names in positional order,
 * how many are required, whether the input may be undefined (`default`,
 * `defined`), and the function. Functions get the input (NULL = undefined,
 * only for rows that accept it) and the arguments (borrowed, NULL when an
 * optional one is absent); a filter returns a new reference in *out, a test
 * a bool. On failure they return a GERR_* code with a message in msg; the
 * engine adds file:line:col. Pure: any thread.
 */
#ifndef GGEN_TEMPLATE_FILTERS_H
#define GGEN_TEMPLATE_FILTERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "strbuf.h"
#include "tvalue.h"

#define TEMPLATE_FILTER_MAX_ARGS 3

enum template_filter_kind {
	TEMPLATE_FILTER,
	TEMPLATE_TEST,
	TEMPLATE_FUNCTION,
};

/* What a function may see of its render (template_functions.c). */
struct template_fn_ctx {
	const struct tvalue *env;	/* env map (get_env, SOURCE_DATE_EPOCH) */
	uint64_t budget;		/* loop iterations left (range's cap) */
	uint64_t *rng;			/* get_random's state, per render */
};

struct template_filter_def {
	enum template_filter_kind kind;
	const char *name;
	const char *args[TEMPLATE_FILTER_MAX_ARGS];
	int nargs;
	int nrequired;
	bool accepts_undefined;
	int (*filter)(const struct tvalue *in, struct tvalue *const *args,
	    struct tvalue **out, char *msg, size_t msgsz);
	int (*test)(const struct tvalue *in, struct tvalue *const *args,
	    bool *out, char *msg, size_t msgsz);
	/* Optional (NULL when absent): append to out exactly the bytes that
	 * printing filter()'s result would, without making a value; same
	 * errors and messages as filter(). The engine uses it for
	 * `{{ x | f }}`, where nothing else sees the result. out may have
	 * received part of the output when it fails (the render fails too). */
	int (*emit)(const struct tvalue *in, struct tvalue *const *args,
	    struct strbuf *out, char *msg, size_t msgsz);
	/* TEMPLATE_FUNCTION rows: called with named arguments only. */
	int (*func)(const struct template_fn_ctx *c, struct tvalue *const *args,
	    struct tvalue **out, char *msg, size_t msgsz);
};

/* Row for name of the given kind, or NULL. Borrowed (static table). */
const struct template_filter_def *template_filters_find(
    enum template_filter_kind kind, const char *name, size_t len);
/* Closest known name of that kind within a small edit distance, or NULL. */
const char *template_filters_suggest(enum template_filter_kind kind,
    const char *name, size_t len);
/* A known-unsupported name (ggen's RDF functions: sparql*, schema_to_*):
 * why, or NULL. */
const char *template_functions_unsupported(const char *name, size_t len);

/* Levenshtein distance, capped at cap + 1 (shared with the engine's
 * "did you mean" for variables and tags). */
size_t template_filters_distance(const char *a, size_t alen, const char *b,
    size_t blen, size_t cap);

#endif
