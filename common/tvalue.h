/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tvalue.h - the value model of the template engine: null, bool, int64,
 * double, string, array and map.
 *
 * Ownership: values are reference-counted. Every constructor returns a new
 * reference the caller owns; tvalue_unref drops one (tvalue_unref(NULL) is a
 * no-op). Container setters TAKE the reference they are given (transfer).
 * Getters return BORROWED pointers, valid while the container lives and is
 * not modified. The reference count is atomic, so a finished tree may be
 * shared by threads that only read it (render contexts); a tree must not be
 * modified while another thread can see it.
 *
 * Immortal values (null, true, false, and constants frozen by
 * tvalue_make_immortal) ignore ref/unref: compiled templates hold their
 * literals that way, which keeps a template immutable across threads.
 *
 * Maps keep INSERTION ORDER: iteration (tvalue_map_at, for-loops in
 * templates, JSON output) visits keys in the order they were first set;
 * setting an existing key replaces the value in place. Lookups are linear
 * for small maps and hashed past TVALUE_MAP_INDEX_MIN entries.
 *
 * Strings are byte strings (UTF-8 by convention) with an explicit length and
 * a terminating NUL. Nothing here knows JSON: see tvalue_json.h.
 */
#ifndef GGEN_TVALUE_H
#define GGEN_TVALUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "strbuf.h"

enum tvalue_type {
	TVALUE_NULL,
	TVALUE_BOOL,
	TVALUE_INT,
	TVALUE_DOUBLE,
	TVALUE_STRING,
	TVALUE_ARRAY,
	TVALUE_MAP,
};

#define TVALUE_MAP_INDEX_MIN 12

struct tvalue;

struct tvalue_entry {
	struct tvalue *key;	/* a TVALUE_STRING */
	struct tvalue *val;
};

struct tvalue {
	enum tvalue_type type;
	int refs;		/* < 0: immortal */
	union {
		bool b;
		int64_t i;
		double d;
		struct {
			char *s;
			size_t len;
		} str;
		struct {
			struct tvalue **items;
			size_t len, cap;
		} arr;
		struct {
			struct tvalue_entry *ents;
			size_t len, cap;
			uint32_t *index;	/* open addressing, NULL while small */
			size_t index_cap;
		} map;
	} u;
};

/* Constructors: each returns a new reference (caller owns). Never fail. */
struct tvalue *tvalue_null(void);
struct tvalue *tvalue_bool(bool b);
struct tvalue *tvalue_int(int64_t i);
struct tvalue *tvalue_double(double d);
/* Copies s (NUL-terminated / len bytes). */
struct tvalue *tvalue_string(const char *s);
struct tvalue *tvalue_stringn(const char *s, size_t len);
/* Takes s (malloc'ed, NUL at s[len]); the value frees it. */
struct tvalue *tvalue_string_take(char *s, size_t len);
/* Takes the strbuf's buffer and resets sb. */
struct tvalue *tvalue_string_from_strbuf(struct strbuf *sb);
struct tvalue *tvalue_array_new(void);
struct tvalue *tvalue_map_new(void);

/* New reference to v (v may be NULL; returns v). */
struct tvalue *tvalue_ref(struct tvalue *v);
/* Drop one reference; frees at zero. NULL ok. */
void tvalue_unref(struct tvalue *v);
/* Make v and everything under it immortal (never freed by unref);
 * tvalue_free_immortal releases such a tree once nothing can use it. */
void tvalue_make_immortal(struct tvalue *v);
void tvalue_free_immortal(struct tvalue *v);

/* Append item (reference TAKEN) to array arr. */
void tvalue_array_push(struct tvalue *arr, struct tvalue *item);
size_t tvalue_len(const struct tvalue *v);	/* array/map entries, string bytes, else 0 */
/* Borrowed; NULL when out of range or not an array. */
struct tvalue *tvalue_array_at(const struct tvalue *arr, size_t i);

/* Set key -> val (val TAKEN; key copied). An existing key keeps its place. */
void tvalue_map_set(struct tvalue *map, const char *key, struct tvalue *val);
void tvalue_map_setn(struct tvalue *map, const char *key, size_t keylen,
    struct tvalue *val);
/* Borrowed value or NULL when absent or map is not a map. */
struct tvalue *tvalue_map_get(const struct tvalue *map, const char *key);
struct tvalue *tvalue_map_getn(const struct tvalue *map, const char *key,
    size_t keylen);
/* Borrowed i-th entry in insertion order, NULL when out of range. */
const struct tvalue_entry *tvalue_map_at(const struct tvalue *map, size_t i);
/* Shallow overlay: every key of src set into dst (src's values ref'ed),
 * so src wins. Used for the vars precedence chain. */
void tvalue_map_update(struct tvalue *dst, const struct tvalue *src);

/* Deep copy (new reference; immortality is not copied). */
struct tvalue *tvalue_copy(const struct tvalue *v);

/* Tera truthiness: null, false, 0, 0.0, "", [] and {} are false. */
bool tvalue_truthy(const struct tvalue *v);
/* Equality: numbers compare by value across int/double; containers deep. */
bool tvalue_equal(const struct tvalue *a, const struct tvalue *b);
/* Order for numbers (by value) and strings (bytewise); *ok = false when the
 * two cannot be ordered. Returns <0, 0, >0. */
int tvalue_compare(const struct tvalue *a, const struct tvalue *b, bool *ok);
const char *tvalue_type_name(enum tvalue_type t);
/* The way Tera prints v: null -> "", bools true/false, doubles as
 * tvalue_format_double, arrays as [a, b] with items bare, maps [object]. */
void tvalue_render(const struct tvalue *v, struct strbuf *out);
/* Append a double as Tera prints it: a whole value as an integer (3.0 ->
 * 3), else the shortest round-trip digits without an exponent; NaN, inf. */
void tvalue_format_double(double d, struct strbuf *out);

static inline bool
tvalue_is_number(const struct tvalue *v)
{
	return v != NULL && (v->type == TVALUE_INT || v->type == TVALUE_DOUBLE);
}

static inline double
tvalue_as_double(const struct tvalue *v)
{
	return v->type == TVALUE_INT ? (double)v->u.i : v->u.d;
}

#endif
