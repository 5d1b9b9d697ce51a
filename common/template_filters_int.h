/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * template_filters_int.h - private to common/template_filters*.c: the
 * helpers the filter files share and the filters whose rows live in the
 * table of template_filters.c but whose code lives in
 * template_filters_str.c (strings and numbers) and template_filters_seq.c
 * (arrays, maps, JSON). Same contract as template_filters.h's functions.
 */
#ifndef GGEN_TEMPLATE_FILTERS_INT_H
#define GGEN_TEMPLATE_FILTERS_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "strbuf.h"
#include "template_filters.h"
#include "tvalue.h"

int template_filters_fail(char *msg, size_t msgsz, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* One UTF-8 code point at s (n bytes left), its length in *len; -1 for an
 * invalid byte (length 1). */
long template_filters_utf8_next(const unsigned char *s, size_t n,
    size_t *len);
void template_filters_utf8_append(struct strbuf *sb, long cp);
long template_filters_lower_cp(long cp);

#define TEMPLATE_FILTERS_FN(name) \
	int name(const struct tvalue *in, struct tvalue *const *args, \
	    struct tvalue **out, char *msg, size_t msgsz)
#define TEMPLATE_TESTS_FN(name) \
	int name(const struct tvalue *in, struct tvalue *const *args, \
	    bool *out, char *msg, size_t msgsz)

/* template_filters_str.c */
TEMPLATE_FILTERS_FN(template_filters_wordcount);
TEMPLATE_FILTERS_FN(template_filters_addslashes);
TEMPLATE_FILTERS_FN(template_filters_slugify);
TEMPLATE_FILTERS_FN(template_filters_trim_start);
TEMPLATE_FILTERS_FN(template_filters_trim_end);
TEMPLATE_FILTERS_FN(template_filters_trim_start_matches);
TEMPLATE_FILTERS_FN(template_filters_trim_end_matches);
TEMPLATE_FILTERS_FN(template_filters_truncate);
TEMPLATE_FILTERS_FN(template_filters_linebreaksbr);
TEMPLATE_FILTERS_FN(template_filters_spaceless);
TEMPLATE_FILTERS_FN(template_filters_striptags);
TEMPLATE_FILTERS_FN(template_filters_escape);
TEMPLATE_FILTERS_FN(template_filters_escape_xml);
TEMPLATE_FILTERS_FN(template_filters_urlencode);
TEMPLATE_FILTERS_FN(template_filters_urlencode_strict);
TEMPLATE_FILTERS_FN(template_filters_split);
TEMPLATE_FILTERS_FN(template_filters_indent);
TEMPLATE_FILTERS_FN(template_filters_as_str);
TEMPLATE_FILTERS_FN(template_filters_round);
TEMPLATE_FILTERS_FN(template_filters_abs);
TEMPLATE_FILTERS_FN(template_filters_filesizeformat);
TEMPLATE_FILTERS_FN(template_filters_int);
TEMPLATE_FILTERS_FN(template_filters_float);
TEMPLATE_TESTS_FN(template_filters_t_matching);

/* template_filters_date.c */
TEMPLATE_FILTERS_FN(template_filters_date);

/* template_filters_seq.c */
TEMPLATE_FILTERS_FN(template_filters_reverse);
TEMPLATE_FILTERS_FN(template_filters_nth);
TEMPLATE_FILTERS_FN(template_filters_sort);
TEMPLATE_FILTERS_FN(template_filters_unique);
TEMPLATE_FILTERS_FN(template_filters_slice);
TEMPLATE_FILTERS_FN(template_filters_map);
TEMPLATE_FILTERS_FN(template_filters_filter);
TEMPLATE_FILTERS_FN(template_filters_concat);
TEMPLATE_FILTERS_FN(template_filters_group_by);
TEMPLATE_FILTERS_FN(template_filters_get);
TEMPLATE_FILTERS_FN(template_filters_json_encode);

/* template_functions.c */
#define TEMPLATE_FUNCTIONS_FN(name) \
	int name(const struct template_fn_ctx *c, struct tvalue *const *args, \
	    struct tvalue **out, char *msg, size_t msgsz)
TEMPLATE_FUNCTIONS_FN(template_functions_range);
TEMPLATE_FUNCTIONS_FN(template_functions_now);
TEMPLATE_FUNCTIONS_FN(template_functions_throw);
TEMPLATE_FUNCTIONS_FN(template_functions_get_env);
TEMPLATE_FUNCTIONS_FN(template_functions_get_random);

/* Append v as JSON the way serde_json does (keys byte-sorted, floats with
 * a fraction, compact or pretty with two-space indents). */
void template_filters_json(const struct tvalue *v, bool pretty, int depth,
    struct strbuf *out);
/* The entries of map m in byte order of their keys: fills idx[0..len) with
 * entry indexes (idx has tvalue_len(m) slots). */
void template_filters_map_order(const struct tvalue *m, size_t *idx);

#endif
