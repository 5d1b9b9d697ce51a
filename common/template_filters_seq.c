/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * template_filters_seq.c - Tera's array, map and JSON filters, with Tera's
 * argument names and defaults; serde_json's output format for json_encode
 * (keys byte-sorted, floats keep a fraction). Rows are in
 * template_filters.c's table. Pure and reentrant; any thread.
 *
 * An `attribute` argument is a dotted path (`a.b.0`), as Tera's.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gerr.h"
#include "template_filters_int.h"
#include "xmalloc.h"

#define WANT_ARRAY(in) do { \
	if ((in)->type != TVALUE_ARRAY) \
		return template_filters_fail(msg, msgsz, "expected an array, " \
		    "found %s", tvalue_type_name((in)->type)); \
} while (0)

/* Value at dotted path (len bytes) inside v, borrowed, or NULL. */
static const struct tvalue *
template_filters_path(const struct tvalue *v, const char *path, size_t len)
{
	size_t i = 0;

	while (v != NULL && i <= len) {
		const char *dot = memchr(path + i, '.', len - i);
		size_t end = dot != NULL ? (size_t)(dot - path) : len;

		if (v->type == TVALUE_MAP)
			v = tvalue_map_getn(v, path + i, end - i);
		else if (v->type == TVALUE_ARRAY && end > i) {
			char tmp[24], *e;
			unsigned long long k;

			if (end - i >= sizeof tmp)
				return NULL;
			memcpy(tmp, path + i, end - i);
			tmp[end - i] = '\0';
			k = strtoull(tmp, &e, 10);
			v = *e == '\0' ? tvalue_array_at(v, (size_t)k) : NULL;
		} else
			return NULL;
		if (dot == NULL)
			break;
		i = end + 1;
	}
	return v;
}

/* The attribute argument args[i] (a string) or an error. */
#define ARG_ATTR(i, required) do { \
	if (args[i] != NULL && args[i]->type != TVALUE_STRING) \
		return template_filters_fail(msg, msgsz, "`attribute` must be " \
		    "a string"); \
	if ((required) && args[i] == NULL) \
		return template_filters_fail(msg, msgsz, "needs argument " \
		    "`attribute`"); \
} while (0)

static const struct tvalue *
template_filters_attr(const struct tvalue *item, const struct tvalue *attr)
{
	if (attr == NULL)
		return item;
	return template_filters_path(item, attr->u.str.s, attr->u.str.len);
}

TEMPLATE_FILTERS_FN(template_filters_reverse)
{
	(void)args;
	if (in->type == TVALUE_STRING) {
		const unsigned char *s = (const unsigned char *)in->u.str.s;
		size_t n = in->u.str.len, len;
		char *buf = xmalloc(n + 1);

		for (size_t i = 0; i < n; i += len) {
			template_filters_utf8_next(s + i, n - i, &len);
			memcpy(buf + n - i - len, s + i, len);
		}
		buf[n] = '\0';
		*out = tvalue_string_take(buf, n);
		return 0;
	}
	WANT_ARRAY(in);
	struct tvalue *arr = tvalue_array_new();

	for (size_t i = in->u.arr.len; i > 0; i--)
		tvalue_array_push(arr, tvalue_ref(in->u.arr.items[i - 1]));
	*out = arr;
	return 0;
}

TEMPLATE_FILTERS_FN(template_filters_nth)
{
	WANT_ARRAY(in);
	if (args[0]->type != TVALUE_INT || args[0]->u.i < 0)
		return template_filters_fail(msg, msgsz, "`n` must be a "
		    "non-negative integer");
	/* Out of range: null, printed as nothing (as Tera). */
	if ((uint64_t)args[0]->u.i >= in->u.arr.len) {
		*out = tvalue_null();
		return 0;
	}
	*out = tvalue_ref(in->u.arr.items[args[0]->u.i]);
	return 0;
}

struct template_filters_sortent {
	const struct tvalue *key;
	struct tvalue *item;
	size_t pos;
};

static int
template_filters_sortcmp(const void *pa, const void *pb)
{
	const struct template_filters_sortent *a = pa, *b = pb;
	bool ok;
	int c;

	if (a->key->type == TVALUE_BOOL)
		c = (int)a->key->u.b - (int)b->key->u.b;
	else
		c = tvalue_compare(a->key, b->key, &ok);
	if (c != 0)
		return c;
	return (a->pos > b->pos) - (a->pos < b->pos);	/* stable */
}

static int
template_filters_kind(const struct tvalue *v)
{
	return tvalue_is_number(v) ? TVALUE_INT : (int)v->type;
}

TEMPLATE_FILTERS_FN(template_filters_sort)
{
	struct template_filters_sortent *ents;
	size_t n;
	int kind = -1;

	WANT_ARRAY(in);
	ARG_ATTR(0, false);
	n = in->u.arr.len;
	ents = xcalloc(n + 1, sizeof *ents);
	for (size_t i = 0; i < n; i++) {
		const struct tvalue *k = template_filters_attr(
		    in->u.arr.items[i], args[0]);

		if (k == NULL) {
			free(ents);
			return template_filters_fail(msg, msgsz, "item %zu has "
			    "no attribute `%s`", i, args[0]->u.str.s);
		}
		if (kind < 0)
			kind = template_filters_kind(k);
		if (template_filters_kind(k) != kind || (kind != TVALUE_INT &&
		    kind != TVALUE_STRING && kind != TVALUE_BOOL)) {
			free(ents);
			return template_filters_fail(msg, msgsz, "cannot sort "
			    "%s values%s", tvalue_type_name(k->type),
			    template_filters_kind(k) != kind ? " mixed with "
			    "other types" : "");
		}
		ents[i].key = k;
		ents[i].item = in->u.arr.items[i];
		ents[i].pos = i;
	}
	qsort(ents, n, sizeof *ents, template_filters_sortcmp);
	*out = tvalue_array_new();
	for (size_t i = 0; i < n; i++)
		tvalue_array_push(*out, tvalue_ref(ents[i].item));
	free(ents);
	return 0;
}

static bool
template_filters_same(const struct tvalue *a, const struct tvalue *b,
    bool fold)
{
	size_t la, lb, i = 0, j = 0;

	if (!fold || a->type != TVALUE_STRING || b->type != TVALUE_STRING)
		return tvalue_equal(a, b);
	while (i < a->u.str.len && j < b->u.str.len) {
		long x = template_filters_utf8_next((const unsigned char *)
		    a->u.str.s + i, a->u.str.len - i, &la);
		long y = template_filters_utf8_next((const unsigned char *)
		    b->u.str.s + j, b->u.str.len - j, &lb);

		if (template_filters_lower_cp(x) != template_filters_lower_cp(y))
			return false;
		i += la;
		j += lb;
	}
	return i == a->u.str.len && j == b->u.str.len;
}

TEMPLATE_FILTERS_FN(template_filters_unique)
{
	const struct tvalue **seen;
	size_t nseen = 0;
	bool fold = true;

	WANT_ARRAY(in);
	ARG_ATTR(0, false);
	if (args[1] != NULL) {
		if (args[1]->type != TVALUE_BOOL)
			return template_filters_fail(msg, msgsz, "`case_sensitive`"
			    " must be a boolean");
		fold = !args[1]->u.b;
	}
	seen = xcalloc(in->u.arr.len + 1, sizeof *seen);
	*out = tvalue_array_new();
	for (size_t i = 0; i < in->u.arr.len; i++) {
		const struct tvalue *k = template_filters_attr(
		    in->u.arr.items[i], args[0]);
		bool dup = false;

		if (k == NULL) {
			free(seen);
			tvalue_unref(*out);
			*out = NULL;
			return template_filters_fail(msg, msgsz, "item %zu has "
			    "no attribute `%s`", i, args[0]->u.str.s);
		}
		/* Quadratic, like a linear scan; arrays here are small. */
		for (size_t j = 0; j < nseen && !dup; j++)
			dup = template_filters_same(seen[j], k, fold);
		if (dup)
			continue;
		seen[nseen++] = k;
		tvalue_array_push(*out, tvalue_ref(in->u.arr.items[i]));
	}
	free(seen);
	return 0;
}

/* Tera's slice index: negative counts from the end; clamped. */
static int
template_filters_index(const struct tvalue *v, size_t len, size_t dflt,
    size_t *out, char *msg, size_t msgsz, const char *name)
{
	int64_t i;

	if (v == NULL) {
		*out = dflt;
		return 0;
	}
	if (v->type != TVALUE_INT)
		return template_filters_fail(msg, msgsz, "`%s` must be an "
		    "integer", name);
	i = v->u.i;
	if (i < 0)
		i += (int64_t)len;
	if (i < 0)
		i = 0;
	*out = (uint64_t)i > len ? len : (size_t)i;
	return 0;
}

TEMPLATE_FILTERS_FN(template_filters_slice)
{
	size_t start = 0, end = 0, len;
	int rc;

	WANT_ARRAY(in);
	len = in->u.arr.len;
	rc = template_filters_index(args[0], len, 0, &start, msg, msgsz,
	    "start");
	if (rc == 0)
		rc = template_filters_index(args[1], len, len, &end, msg, msgsz,
		    "end");
	if (rc != 0)
		return rc;
	*out = tvalue_array_new();
	for (size_t i = start; i < end; i++)
		tvalue_array_push(*out, tvalue_ref(in->u.arr.items[i]));
	return 0;
}

TEMPLATE_FILTERS_FN(template_filters_map)
{
	WANT_ARRAY(in);
	ARG_ATTR(0, true);
	*out = tvalue_array_new();
	for (size_t i = 0; i < in->u.arr.len; i++) {
		const struct tvalue *v = template_filters_attr(
		    in->u.arr.items[i], args[0]);

		if (v != NULL && v->type != TVALUE_NULL)
			tvalue_array_push(*out, tvalue_ref((struct tvalue *)v));
	}
	return 0;
}

TEMPLATE_FILTERS_FN(template_filters_filter)
{
	WANT_ARRAY(in);
	ARG_ATTR(0, true);
	*out = tvalue_array_new();
	for (size_t i = 0; i < in->u.arr.len; i++) {
		const struct tvalue *v = template_filters_attr(
		    in->u.arr.items[i], args[0]);
		bool isnull = v == NULL || v->type == TVALUE_NULL;
		bool keep = args[1] == NULL || args[1]->type == TVALUE_NULL ?
		    !isnull : !isnull && tvalue_equal(v, args[1]);

		if (keep)
			tvalue_array_push(*out, tvalue_ref(in->u.arr.items[i]));
	}
	return 0;
}

TEMPLATE_FILTERS_FN(template_filters_concat)
{
	WANT_ARRAY(in);
	*out = tvalue_array_new();
	for (size_t i = 0; i < in->u.arr.len; i++)
		tvalue_array_push(*out, tvalue_ref(in->u.arr.items[i]));
	if (args[0]->type == TVALUE_ARRAY)
		for (size_t i = 0; i < args[0]->u.arr.len; i++)
			tvalue_array_push(*out,
			    tvalue_ref(args[0]->u.arr.items[i]));
	else
		tvalue_array_push(*out, tvalue_ref(args[0]));
	return 0;
}

TEMPLATE_FILTERS_FN(template_filters_group_by)
{
	struct strbuf key = STRBUF_INIT;

	WANT_ARRAY(in);
	ARG_ATTR(0, true);
	*out = tvalue_map_new();
	for (size_t i = 0; i < in->u.arr.len; i++) {
		const struct tvalue *v = template_filters_attr(
		    in->u.arr.items[i], args[0]);
		struct tvalue *group;

		if (v == NULL || v->type == TVALUE_NULL)
			continue;
		strbuf_reset(&key);
		if (v->type == TVALUE_STRING)
			strbuf_add(&key, v->u.str.s, v->u.str.len);
		else
			template_filters_json(v, false, 0, &key);
		group = tvalue_map_getn(*out, key.buf, key.len);
		if (group == NULL) {
			group = tvalue_array_new();
			tvalue_map_setn(*out, key.buf, key.len, group);
		}
		tvalue_array_push(group, tvalue_ref(in->u.arr.items[i]));
	}
	strbuf_release(&key);
	return 0;
}

TEMPLATE_FILTERS_FN(template_filters_get)
{
	const struct tvalue *v;

	if (in->type != TVALUE_MAP)
		return template_filters_fail(msg, msgsz, "expected a map, found "
		    "%s", tvalue_type_name(in->type));
	if (args[0]->type != TVALUE_STRING)
		return template_filters_fail(msg, msgsz, "`key` must be a "
		    "string");
	v = tvalue_map_getn(in, args[0]->u.str.s, args[0]->u.str.len);
	if (v == NULL && args[1] == NULL)
		return template_filters_fail(msg, msgsz, "tried to get key "
		    "`%.60s` but it wasn't found", args[0]->u.str.s);
	*out = tvalue_ref((struct tvalue *)(v != NULL ? v : args[1]));
	return 0;
}

/* ------------------------------------------------------------------ JSON */

static int
template_filters_keycmp(const void *pa, const void *pb)
{
	const struct tvalue *a = *(struct tvalue *const *)pa;
	const struct tvalue *b = *(struct tvalue *const *)pb;
	bool ok;

	return tvalue_compare(a, b, &ok);
}

void
template_filters_map_order(const struct tvalue *m, size_t *idx)
{
	size_t n = tvalue_len(m), i;
	const struct tvalue **keys;
	bool sorted = true;

	for (i = 0; i < n; i++)
		idx[i] = i;
	for (i = 1; i < n && sorted; i++) {
		bool ok;

		sorted = tvalue_compare(tvalue_map_at(m, i - 1)->key,
		    tvalue_map_at(m, i)->key, &ok) < 0;
	}
	if (sorted)
		return;
	/* Sort the key pointers; each key's entry index is found back by
	 * its address (keys are distinct objects). */
	keys = xcalloc(n, sizeof *keys);
	for (i = 0; i < n; i++)
		keys[i] = tvalue_map_at(m, i)->key;
	qsort(keys, n, sizeof *keys, template_filters_keycmp);
	for (i = 0; i < n; i++)
		for (size_t j = 0; j < n; j++)
			if (tvalue_map_at(m, j)->key == keys[i]) {
				idx[i] = j;
				break;
			}
	free(keys);
}

static void
template_filters_json_string(const char *s, size_t n, struct strbuf *out)
{
	static const char hex[] = "0123456789abcdef";

	strbuf_addch(out, '"');
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		switch (c) {
		case '"': strbuf_addstr(out, "\\\""); break;
		case '\\': strbuf_addstr(out, "\\\\"); break;
		case '\n': strbuf_addstr(out, "\\n"); break;
		case '\r': strbuf_addstr(out, "\\r"); break;
		case '\t': strbuf_addstr(out, "\\t"); break;
		case '\b': strbuf_addstr(out, "\\b"); break;
		case '\f': strbuf_addstr(out, "\\f"); break;
		default:
			if (c < 0x20) {
				strbuf_addstr(out, "\\u00");
				strbuf_addch(out, hex[c >> 4]);
				strbuf_addch(out, hex[c & 15]);
			} else
				strbuf_addch(out, c);
		}
	}
	strbuf_addch(out, '"');
}

/* serde_json's float: shortest round trip, always a fraction or an
 * exponent; NaN and infinities are null. */
static void
template_filters_json_double(double d, struct strbuf *out)
{
	char buf[48], *e;
	int prec;

	if (!isfinite(d)) {
		strbuf_addstr(out, "null");
		return;
	}
	for (prec = 1; prec < 17; prec++) {
		snprintf(buf, sizeof buf, "%.*g", prec, d);
		if (strtod(buf, NULL) == d)
			break;
	}
	if (prec == 17)
		snprintf(buf, sizeof buf, "%.17g", d);
	e = strchr(buf, 'e');
	if (e != NULL && fabs(d) >= 1e-5 && fabs(d) < 1e16) {
		/* ryu writes these without an exponent. */
		for (prec = 0; prec <= 17; prec++) {
			snprintf(buf, sizeof buf, "%.*f", prec, d);
			if (strtod(buf, NULL) == d)
				break;
		}
		e = NULL;
	}
	if (e != NULL) {
		/* 1e+21 -> 1e21, 1e-07 -> 1e-7 */
		char mant[48], *p = e + 1;
		bool neg = *p == '-';

		*e = '\0';
		snprintf(mant, sizeof mant, "%s", buf);
		if (*p == '+' || *p == '-')
			p++;
		while (*p == '0' && p[1] != '\0')
			p++;
		strbuf_addstr(out, mant);
		if (strchr(mant, '.') == NULL)
			strbuf_addstr(out, ".0");
		strbuf_addch(out, 'e');
		if (neg)
			strbuf_addch(out, '-');
		strbuf_addstr(out, p);
		return;
	}
	strbuf_addstr(out, buf);
	if (strchr(buf, '.') == NULL)
		strbuf_addstr(out, ".0");
}

static void
template_filters_json_nl(bool pretty, int depth, struct strbuf *out)
{
	if (!pretty)
		return;
	strbuf_addch(out, '\n');
	for (int i = 0; i < depth; i++)
		strbuf_addstr(out, "  ");
}

void
template_filters_json(const struct tvalue *v, bool pretty, int depth,
    struct strbuf *out)
{
	char buf[32];

	switch (v->type) {
	case TVALUE_NULL:
		strbuf_addstr(out, "null");
		break;
	case TVALUE_BOOL:
		strbuf_addstr(out, v->u.b ? "true" : "false");
		break;
	case TVALUE_INT:
		snprintf(buf, sizeof buf, "%lld", (long long)v->u.i);
		strbuf_addstr(out, buf);
		break;
	case TVALUE_DOUBLE:
		template_filters_json_double(v->u.d, out);
		break;
	case TVALUE_STRING:
		template_filters_json_string(v->u.str.s, v->u.str.len, out);
		break;
	case TVALUE_ARRAY:
		strbuf_addch(out, '[');
		for (size_t i = 0; i < v->u.arr.len; i++) {
			if (i > 0)
				strbuf_addch(out, ',');
			template_filters_json_nl(pretty, depth + 1, out);
			template_filters_json(v->u.arr.items[i], pretty,
			    depth + 1, out);
		}
		if (v->u.arr.len > 0)
			template_filters_json_nl(pretty, depth, out);
		strbuf_addch(out, ']');
		break;
	case TVALUE_MAP: {
		size_t n = tvalue_len(v);
		size_t *idx = xcalloc(n + 1, sizeof *idx);

		template_filters_map_order(v, idx);
		strbuf_addch(out, '{');
		for (size_t i = 0; i < n; i++) {
			const struct tvalue_entry *e = tvalue_map_at(v, idx[i]);

			if (i > 0)
				strbuf_addch(out, ',');
			template_filters_json_nl(pretty, depth + 1, out);
			template_filters_json_string(e->key->u.str.s,
			    e->key->u.str.len, out);
			strbuf_addstr(out, pretty ? ": " : ":");
			template_filters_json(e->val, pretty, depth + 1, out);
		}
		if (n > 0)
			template_filters_json_nl(pretty, depth, out);
		strbuf_addch(out, '}');
		free(idx);
		break;
	}
	}
}

TEMPLATE_FILTERS_FN(template_filters_json_encode)
{
	struct strbuf sb = STRBUF_INIT;

	if (args[0] != NULL && args[0]->type != TVALUE_BOOL)
		return template_filters_fail(msg, msgsz, "`pretty` must be a "
		    "boolean");
	template_filters_json(in, args[0] != NULL && args[0]->u.b, 0, &sb);
	*out = tvalue_string_from_strbuf(&sb);
	return 0;
}
