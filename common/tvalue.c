/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tvalue.c - reference-counted template values.
 *
 * Owns every value's storage. Called by the template engine, frontmatter,
 * the JSON converter and the daemon building render contexts.
 * Invariants: refs > 0 for live mortal values, refs < 0 for immortal ones
 * (never freed by unref); a map's index, when present, holds every entry
 * (entry i stored as i + 1, 0 = empty slot) and index_cap is a power of two
 * at least twice the entry count. Maps never delete keys, so no tombstones.
 */
#include "tvalue.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"

/* Shared constants: never written because they are immortal. */
static struct tvalue tvalue_null_const = { .type = TVALUE_NULL, .refs = -1 };
static struct tvalue tvalue_true_const = { .type = TVALUE_BOOL, .refs = -1,
	.u.b = true };
static struct tvalue tvalue_false_const = { .type = TVALUE_BOOL, .refs = -1,
	.u.b = false };

static struct tvalue *
tvalue_alloc(enum tvalue_type type)
{
	struct tvalue *v = xmalloc(sizeof *v);

	/* Not calloc: this is the hottest allocation of a render. */
	memset(&v->u, 0, sizeof v->u);
	v->type = type;
	v->refs = 1;
	return v;
}

struct tvalue *
tvalue_null(void)
{
	return &tvalue_null_const;
}

struct tvalue *
tvalue_bool(bool b)
{
	return b ? &tvalue_true_const : &tvalue_false_const;
}

/* Immortal small integers (loop indexes, lengths): never allocated,
 * never written (immortal values ignore ref/unref). */
#define TVALUE_I1(n) { .type = TVALUE_INT, .refs = -1, .u.i = (n) }
#define TVALUE_I4(n) TVALUE_I1(n), TVALUE_I1((n) + 1), TVALUE_I1((n) + 2), \
	TVALUE_I1((n) + 3)
#define TVALUE_I16(n) TVALUE_I4(n), TVALUE_I4((n) + 4), TVALUE_I4((n) + 8), \
	TVALUE_I4((n) + 12)
#define TVALUE_I64(n) TVALUE_I16(n), TVALUE_I16((n) + 16), \
	TVALUE_I16((n) + 32), TVALUE_I16((n) + 48)
#define TVALUE_SMALL_INTS 256
static struct tvalue tvalue_small_ints[TVALUE_SMALL_INTS] = {
	TVALUE_I64(0), TVALUE_I64(64), TVALUE_I64(128), TVALUE_I64(192),
};

struct tvalue *
tvalue_int(int64_t i)
{
	if (i >= 0 && i < TVALUE_SMALL_INTS)
		return &tvalue_small_ints[i];

	struct tvalue *v = tvalue_alloc(TVALUE_INT);

	v->u.i = i;
	return v;
}

struct tvalue *
tvalue_double(double d)
{
	struct tvalue *v = tvalue_alloc(TVALUE_DOUBLE);

	v->u.d = d;
	return v;
}

struct tvalue *
tvalue_string_take(char *s, size_t len)
{
	struct tvalue *v = tvalue_alloc(TVALUE_STRING);

	v->u.str.s = s;
	v->u.str.len = len;
	return v;
}

struct tvalue *
tvalue_stringn(const char *s, size_t len)
{
	char *p = xmalloc(len + 1);

	memcpy(p, s, len);
	p[len] = '\0';
	return tvalue_string_take(p, len);
}

struct tvalue *
tvalue_string(const char *s)
{
	return tvalue_stringn(s, strlen(s));
}

struct tvalue *
tvalue_string_from_strbuf(struct strbuf *sb)
{
	size_t len;
	char *p = strbuf_detach(sb, &len);

	return tvalue_string_take(p, len);
}

struct tvalue *
tvalue_array_new(void)
{
	return tvalue_alloc(TVALUE_ARRAY);
}

struct tvalue *
tvalue_map_new(void)
{
	return tvalue_alloc(TVALUE_MAP);
}

struct tvalue *
tvalue_ref(struct tvalue *v)
{
	if (v != NULL && __atomic_load_n(&v->refs, __ATOMIC_RELAXED) >= 0)
		__atomic_fetch_add(&v->refs, 1, __ATOMIC_RELAXED);
	return v;
}

static void
tvalue_destroy(struct tvalue *v)
{
	size_t i;

	switch (v->type) {
	case TVALUE_STRING:
		free(v->u.str.s);
		break;
	case TVALUE_ARRAY:
		for (i = 0; i < v->u.arr.len; i++)
			tvalue_unref(v->u.arr.items[i]);
		free(v->u.arr.items);
		break;
	case TVALUE_MAP:
		for (i = 0; i < v->u.map.len; i++) {
			tvalue_unref(v->u.map.ents[i].key);
			tvalue_unref(v->u.map.ents[i].val);
		}
		free(v->u.map.ents);
		free(v->u.map.index);
		break;
	case TVALUE_NULL:
	case TVALUE_BOOL:
	case TVALUE_INT:
	case TVALUE_DOUBLE:
		break;
	}
	free(v);
}

void
tvalue_unref(struct tvalue *v)
{
	if (v == NULL || __atomic_load_n(&v->refs, __ATOMIC_RELAXED) < 0)
		return;
	if (__atomic_sub_fetch(&v->refs, 1, __ATOMIC_ACQ_REL) == 0)
		tvalue_destroy(v);
}

void
tvalue_make_immortal(struct tvalue *v)
{
	size_t i;

	if (v == NULL || v->refs < 0)
		return;
	v->refs = -1;
	if (v->type == TVALUE_ARRAY)
		for (i = 0; i < v->u.arr.len; i++)
			tvalue_make_immortal(v->u.arr.items[i]);
	else if (v->type == TVALUE_MAP)
		for (i = 0; i < v->u.map.len; i++) {
			tvalue_make_immortal(v->u.map.ents[i].key);
			tvalue_make_immortal(v->u.map.ents[i].val);
		}
}

void
tvalue_free_immortal(struct tvalue *v)
{
	if (v == NULL || v == &tvalue_null_const || v == &tvalue_true_const ||
	    v == &tvalue_false_const ||
	    ((uintptr_t)v >= (uintptr_t)tvalue_small_ints &&
	    (uintptr_t)v < (uintptr_t)(tvalue_small_ints + TVALUE_SMALL_INTS)))
		return;
	if (v->refs >= 0) {
		tvalue_unref(v);
		return;
	}
	/* Children are immortal too: make them mortal with one ref so that
	 * destroy's unref frees them. */
	v->refs = 1;
	if (v->type == TVALUE_ARRAY)
		for (size_t i = 0; i < v->u.arr.len; i++)
			tvalue_free_immortal(v->u.arr.items[i]), v->u.arr.items[i] = NULL;
	else if (v->type == TVALUE_MAP)
		for (size_t i = 0; i < v->u.map.len; i++) {
			tvalue_free_immortal(v->u.map.ents[i].key);
			tvalue_free_immortal(v->u.map.ents[i].val);
			v->u.map.ents[i].key = v->u.map.ents[i].val = NULL;
		}
	tvalue_destroy(v);
}

void
tvalue_array_push(struct tvalue *arr, struct tvalue *item)
{
	if (arr->u.arr.len == arr->u.arr.cap) {
		arr->u.arr.cap = arr->u.arr.cap ? arr->u.arr.cap * 2 : 4;
		arr->u.arr.items = xreallocarray(arr->u.arr.items,
		    arr->u.arr.cap, sizeof *arr->u.arr.items);
	}
	arr->u.arr.items[arr->u.arr.len++] = item;
}

size_t
tvalue_len(const struct tvalue *v)
{
	if (v == NULL)
		return 0;
	switch (v->type) {
	case TVALUE_STRING:
		return v->u.str.len;
	case TVALUE_ARRAY:
		return v->u.arr.len;
	case TVALUE_MAP:
		return v->u.map.len;
	default:
		return 0;
	}
}

struct tvalue *
tvalue_array_at(const struct tvalue *arr, size_t i)
{
	if (arr == NULL || arr->type != TVALUE_ARRAY || i >= arr->u.arr.len)
		return NULL;
	return arr->u.arr.items[i];
}

static uint32_t
tvalue_hash(const char *s, size_t len)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 16777619u;
	return h;
}

static void
tvalue_index_insert(struct tvalue *map, size_t ent)
{
	const struct tvalue *k = map->u.map.ents[ent].key;
	size_t mask = map->u.map.index_cap - 1;
	size_t slot = tvalue_hash(k->u.str.s, k->u.str.len) & mask;

	while (map->u.map.index[slot] != 0)
		slot = (slot + 1) & mask;
	map->u.map.index[slot] = (uint32_t)ent + 1;
}

static void
tvalue_index_rebuild(struct tvalue *map)
{
	size_t cap = 32;

	while (cap < map->u.map.len * 2 + 2)
		cap *= 2;
	free(map->u.map.index);
	map->u.map.index = xcalloc(cap, sizeof *map->u.map.index);
	map->u.map.index_cap = cap;
	for (size_t i = 0; i < map->u.map.len; i++)
		tvalue_index_insert(map, i);
}

static ssize_t
tvalue_map_find(const struct tvalue *map, const char *key, size_t keylen)
{
	const struct tvalue_entry *e = map->u.map.ents;

	if (map->u.map.index == NULL) {
		/* Length and first byte first: most keys differ there, and
		 * that skips the memcmp call. */
		for (size_t i = 0; i < map->u.map.len; i++)
			if (e[i].key->u.str.len == keylen && (keylen == 0 ||
			    (e[i].key->u.str.s[0] == key[0] &&
			    memcmp(e[i].key->u.str.s, key, keylen) == 0)))
				return (ssize_t)i;
		return -1;
	}
	size_t mask = map->u.map.index_cap - 1;
	size_t slot = tvalue_hash(key, keylen) & mask;

	while (map->u.map.index[slot] != 0) {
		size_t i = map->u.map.index[slot] - 1;

		if (e[i].key->u.str.len == keylen &&
		    memcmp(e[i].key->u.str.s, key, keylen) == 0)
			return (ssize_t)i;
		slot = (slot + 1) & mask;
	}
	return -1;
}

void
tvalue_map_setn(struct tvalue *map, const char *key, size_t keylen,
    struct tvalue *val)
{
	ssize_t at = tvalue_map_find(map, key, keylen);

	if (at >= 0) {
		tvalue_unref(map->u.map.ents[at].val);
		map->u.map.ents[at].val = val;
		return;
	}
	if (map->u.map.len == map->u.map.cap) {
		map->u.map.cap = map->u.map.cap ? map->u.map.cap * 2 : 4;
		map->u.map.ents = xreallocarray(map->u.map.ents,
		    map->u.map.cap, sizeof *map->u.map.ents);
	}
	map->u.map.ents[map->u.map.len].key = tvalue_stringn(key, keylen);
	map->u.map.ents[map->u.map.len].val = val;
	map->u.map.len++;
	if (map->u.map.index != NULL &&
	    map->u.map.len * 2 + 2 <= map->u.map.index_cap)
		tvalue_index_insert(map, map->u.map.len - 1);
	else if (map->u.map.len >= TVALUE_MAP_INDEX_MIN)
		tvalue_index_rebuild(map);
}

void
tvalue_map_set(struct tvalue *map, const char *key, struct tvalue *val)
{
	tvalue_map_setn(map, key, strlen(key), val);
}

struct tvalue *
tvalue_map_getn(const struct tvalue *map, const char *key, size_t keylen)
{
	ssize_t at;

	if (map == NULL || map->type != TVALUE_MAP)
		return NULL;
	at = tvalue_map_find(map, key, keylen);
	return at < 0 ? NULL : map->u.map.ents[at].val;
}

struct tvalue *
tvalue_map_get(const struct tvalue *map, const char *key)
{
	return tvalue_map_getn(map, key, strlen(key));
}

const struct tvalue_entry *
tvalue_map_at(const struct tvalue *map, size_t i)
{
	if (map == NULL || map->type != TVALUE_MAP || i >= map->u.map.len)
		return NULL;
	return &map->u.map.ents[i];
}

void
tvalue_map_update(struct tvalue *dst, const struct tvalue *src)
{
	if (src == NULL || src->type != TVALUE_MAP)
		return;
	for (size_t i = 0; i < src->u.map.len; i++) {
		const struct tvalue *k = src->u.map.ents[i].key;

		tvalue_map_setn(dst, k->u.str.s, k->u.str.len,
		    tvalue_ref(src->u.map.ents[i].val));
	}
}

struct tvalue *
tvalue_copy(const struct tvalue *v)
{
	struct tvalue *c;

	switch (v->type) {
	case TVALUE_NULL:
		return tvalue_null();
	case TVALUE_BOOL:
		return tvalue_bool(v->u.b);
	case TVALUE_INT:
		return tvalue_int(v->u.i);
	case TVALUE_DOUBLE:
		return tvalue_double(v->u.d);
	case TVALUE_STRING:
		return tvalue_stringn(v->u.str.s, v->u.str.len);
	case TVALUE_ARRAY:
		c = tvalue_array_new();
		for (size_t i = 0; i < v->u.arr.len; i++)
			tvalue_array_push(c, tvalue_copy(v->u.arr.items[i]));
		return c;
	case TVALUE_MAP:
		c = tvalue_map_new();
		for (size_t i = 0; i < v->u.map.len; i++) {
			const struct tvalue *k = v->u.map.ents[i].key;

			tvalue_map_setn(c, k->u.str.s, k->u.str.len,
			    tvalue_copy(v->u.map.ents[i].val));
		}
		return c;
	}
	return tvalue_null();
}

bool
tvalue_truthy(const struct tvalue *v)
{
	if (v == NULL)
		return false;
	switch (v->type) {
	case TVALUE_NULL:
		return false;
	case TVALUE_BOOL:
		return v->u.b;
	case TVALUE_INT:
		return v->u.i != 0;
	case TVALUE_DOUBLE:
		return v->u.d != 0.0;
	case TVALUE_STRING:
		return v->u.str.len > 0;
	case TVALUE_ARRAY:
		return v->u.arr.len > 0;
	case TVALUE_MAP:
		return v->u.map.len > 0;
	}
	return false;
}

bool
tvalue_equal(const struct tvalue *a, const struct tvalue *b)
{
	if (a == b)
		return true;
	if (a == NULL || b == NULL)
		return false;
	if (tvalue_is_number(a) && tvalue_is_number(b)) {
		if (a->type == TVALUE_INT && b->type == TVALUE_INT)
			return a->u.i == b->u.i;
		return tvalue_as_double(a) == tvalue_as_double(b);
	}
	if (a->type != b->type)
		return false;
	switch (a->type) {
	case TVALUE_NULL:
		return true;
	case TVALUE_BOOL:
		return a->u.b == b->u.b;
	case TVALUE_STRING:
		return a->u.str.len == b->u.str.len &&
		    memcmp(a->u.str.s, b->u.str.s, a->u.str.len) == 0;
	case TVALUE_ARRAY:
		if (a->u.arr.len != b->u.arr.len)
			return false;
		for (size_t i = 0; i < a->u.arr.len; i++)
			if (!tvalue_equal(a->u.arr.items[i], b->u.arr.items[i]))
				return false;
		return true;
	case TVALUE_MAP:
		if (a->u.map.len != b->u.map.len)
			return false;
		for (size_t i = 0; i < a->u.map.len; i++) {
			const struct tvalue *k = a->u.map.ents[i].key;

			if (!tvalue_equal(a->u.map.ents[i].val,
			    tvalue_map_getn(b, k->u.str.s, k->u.str.len)))
				return false;
		}
		return true;
	default:
		return false;
	}
}

int
tvalue_compare(const struct tvalue *a, const struct tvalue *b, bool *ok)
{
	*ok = true;
	if (tvalue_is_number(a) && tvalue_is_number(b)) {
		if (a->type == TVALUE_INT && b->type == TVALUE_INT)
			return (a->u.i > b->u.i) - (a->u.i < b->u.i);
		double x = tvalue_as_double(a), y = tvalue_as_double(b);

		return (x > y) - (x < y);
	}
	if (a != NULL && b != NULL && a->type == TVALUE_STRING &&
	    b->type == TVALUE_STRING) {
		size_t n = a->u.str.len < b->u.str.len ? a->u.str.len :
		    b->u.str.len;
		int c = memcmp(a->u.str.s, b->u.str.s, n);

		if (c != 0)
			return c;
		return (a->u.str.len > b->u.str.len) -
		    (a->u.str.len < b->u.str.len);
	}
	*ok = false;
	return 0;
}

const char *
tvalue_type_name(enum tvalue_type t)
{
	static const char *const names[] = { "null", "bool", "integer",
		"float", "string", "array", "map" };

	return (unsigned)t < sizeof names / sizeof names[0] ? names[t] : "?";
}

void
tvalue_format_double(double d, struct strbuf *out)
{
	char buf[400];
	int prec, exp10;

	if (isnan(d)) {
		strbuf_addstr(out, "NaN");
		return;
	}
	if (isinf(d)) {
		strbuf_addstr(out, d < 0 ? "-inf" : "inf");
		return;
	}
	if (d == floor(d) && fabs(d) < 9.2e18) {
		/* Tera prints a whole float as the integer it holds. */
		snprintf(buf, sizeof buf, "%lld", (long long)d);
		strbuf_addstr(out, buf);
		return;
	}
	/* Shortest round trip, then written out without an exponent the way
	 * Rust's Display does (1e-7 -> 0.0000001). */
	for (prec = 1; prec < 17; prec++) {
		snprintf(buf, sizeof buf, "%.*e", prec - 1, d);
		if (strtod(buf, NULL) == d)
			break;
	}
	exp10 = atoi(strchr(buf, 'e') + 1);
	snprintf(buf, sizeof buf, "%.*f", prec - 1 - exp10 > 0 ?
	    prec - 1 - exp10 : 0, d);
	strbuf_addstr(out, buf);
}

/* Tera's display of an array item: strings bare, maps as [object]. */
static void
tvalue_render_item(const struct tvalue *v, struct strbuf *out)
{
	if (v->type == TVALUE_MAP)
		strbuf_addstr(out, "[object]");
	else
		tvalue_render(v, out);
}

void
tvalue_render(const struct tvalue *v, struct strbuf *out)
{
	size_t i;

	if (v == NULL)
		return;
	switch (v->type) {
	case TVALUE_NULL:
		break;
	case TVALUE_BOOL:
		strbuf_addstr(out, v->u.b ? "true" : "false");
		break;
	case TVALUE_INT: {
		char buf[24], *p = buf + sizeof buf;
		uint64_t u = v->u.i < 0 ? -(uint64_t)v->u.i : (uint64_t)v->u.i;

		/* Not printf: this runs for every printed integer. */
		do
			*--p = (char)('0' + u % 10);
		while ((u /= 10) != 0);
		if (v->u.i < 0)
			*--p = '-';
		strbuf_add(out, p, (size_t)(buf + sizeof buf - p));
		break;
	}
	case TVALUE_DOUBLE:
		tvalue_format_double(v->u.d, out);
		break;
	case TVALUE_STRING:
		strbuf_add(out, v->u.str.s, v->u.str.len);
		break;
	case TVALUE_ARRAY:
		strbuf_addch(out, '[');
		for (i = 0; i < v->u.arr.len; i++) {
			if (i > 0)
				strbuf_addstr(out, ", ");
			tvalue_render_item(v->u.arr.items[i], out);
		}
		strbuf_addch(out, ']');
		break;
	case TVALUE_MAP:
		strbuf_addstr(out, "[object]");
		break;
	}
}
