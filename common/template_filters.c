/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * template_filters.c - every filter and test of the template engine, in one
 * table (template_filters_table), plus the edit distance used for "did you
 * mean" suggestions.
 *
 * Called by template_parse.c and template_render.c at compile time (lookup, argument checking) and at
 * render time (the functions). All functions are pure and reentrant: no
 * locale, no global state. Case mapping is done here with small tables
 * (ASCII, Latin-1, Latin Extended-A, Greek, Cyrillic) instead of
 * towupper(), whose result depends on the process locale; other scripts
 * pass through unchanged. Invalid UTF-8 bytes pass through unchanged.
 */
#include "template_filters.h"

#include <stdarg.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gerr.h"
#include "template_filters_int.h"
#include "strbuf.h"
#include "xmalloc.h"

/* ------------------------------------------------------------ UTF-8 */

/* Decode one code point at s (n bytes left); *len gets its byte length.
 * Invalid sequences decode as the single byte with cp = -1. */
static inline long
template_filters_utf8_get(const unsigned char *s, size_t n, size_t *len)
{
	long cp;
	size_t need, i;

	if (s[0] < 0x80) {
		*len = 1;
		return s[0];
	}
	if ((s[0] & 0xe0) == 0xc0) {
		need = 2;
		cp = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		need = 3;
		cp = s[0] & 0x0f;
	} else if ((s[0] & 0xf8) == 0xf0) {
		need = 4;
		cp = s[0] & 0x07;
	} else {
		*len = 1;
		return -1;
	}
	if (need > n) {
		*len = 1;
		return -1;
	}
	for (i = 1; i < need; i++) {
		if ((s[i] & 0xc0) != 0x80) {
			*len = 1;
			return -1;
		}
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	*len = need;
	return cp;
}

static void
template_filters_utf8_put(struct strbuf *sb, long cp)
{
	if (cp < 0x80)
		strbuf_addch(sb, (int)cp);
	else if (cp < 0x800) {
		strbuf_addch(sb, 0xc0 | (int)(cp >> 6));
		strbuf_addch(sb, 0x80 | (int)(cp & 0x3f));
	} else if (cp < 0x10000) {
		strbuf_addch(sb, 0xe0 | (int)(cp >> 12));
		strbuf_addch(sb, 0x80 | (int)((cp >> 6) & 0x3f));
		strbuf_addch(sb, 0x80 | (int)(cp & 0x3f));
	} else {
		strbuf_addch(sb, 0xf0 | (int)(cp >> 18));
		strbuf_addch(sb, 0x80 | (int)((cp >> 12) & 0x3f));
		strbuf_addch(sb, 0x80 | (int)((cp >> 6) & 0x3f));
		strbuf_addch(sb, 0x80 | (int)(cp & 0x3f));
	}
}

static inline long
template_filters_cp_upper(long cp)
{
	if (cp >= 'a' && cp <= 'z')
		return cp - 32;
	if (cp < 0x80)
		return cp;
	if ((cp >= 0xe0 && cp <= 0xfe && cp != 0xf7))
		return cp - 32;
	if (cp == 0xff)
		return 0x178;
	if (cp == 0xb5)
		return 0x39c;
	if ((cp >= 0x100 && cp <= 0x137) || (cp >= 0x14a && cp <= 0x177))
		return cp & 1 ? cp - 1 : cp;
	if ((cp >= 0x139 && cp <= 0x148) || (cp >= 0x179 && cp <= 0x17e))
		return cp & 1 ? cp : cp - 1;
	if (cp == 0x131)
		return 'I';
	if (cp == 0x17f)
		return 'S';
	if (cp == 0x3c2)
		return 0x3a3;
	if (cp >= 0x3b1 && cp <= 0x3cb)
		return cp - 32;
	if (cp == 0x3ac)
		return 0x386;
	if (cp >= 0x3ad && cp <= 0x3af)
		return cp - 37;
	if (cp == 0x3cc)
		return 0x38c;
	if (cp == 0x3cd || cp == 0x3ce)
		return cp - 63;
	if (cp >= 0x430 && cp <= 0x44f)
		return cp - 32;
	if (cp >= 0x450 && cp <= 0x45f)
		return cp - 80;
	return cp;
}

static inline long
template_filters_cp_lower(long cp)
{
	if (cp >= 'A' && cp <= 'Z')
		return cp + 32;
	if (cp < 0x80)
		return cp;
	if (cp >= 0xc0 && cp <= 0xde && cp != 0xd7)
		return cp + 32;
	if (cp == 0x178)
		return 0xff;
	if ((cp >= 0x100 && cp <= 0x137) || (cp >= 0x14a && cp <= 0x177))
		return cp & 1 ? cp : cp + 1;
	if ((cp >= 0x139 && cp <= 0x148) || (cp >= 0x179 && cp <= 0x17e))
		return cp & 1 ? cp + 1 : cp;
	if (cp == 0x130)
		return 'i';
	if (cp >= 0x391 && cp <= 0x3ab && cp != 0x3a2)
		return cp + 32;
	if (cp == 0x386)
		return 0x3ac;
	if (cp >= 0x388 && cp <= 0x38a)
		return cp + 37;
	if (cp == 0x38c)
		return 0x3cc;
	if (cp == 0x38e || cp == 0x38f)
		return cp + 63;
	if (cp >= 0x410 && cp <= 0x42f)
		return cp + 32;
	if (cp >= 0x400 && cp <= 0x40f)
		return cp + 80;
	return cp;
}

enum template_filters_case { CASE_KEEP, CASE_UPPER, CASE_LOWER };

/* Append the code point in the given case (ß uppercases to SS). */
static void
template_filters_put_case(struct strbuf *sb, long cp, size_t len,
    const unsigned char *raw, enum template_filters_case c)
{
	if (cp >= 0 && cp < 0x80) {
		/* ASCII, the common case: no table walk, no UTF-8 encoder. */
		if (c == CASE_UPPER && cp >= 'a' && cp <= 'z')
			cp -= 32;
		else if (c == CASE_LOWER && cp >= 'A' && cp <= 'Z')
			cp += 32;
		if (sb->len + 1 < sb->cap) {
			sb->buf[sb->len++] = (char)cp;
			sb->buf[sb->len] = '\0';
		} else
			strbuf_addch(sb, (int)cp);
		return;
	}
	if (cp < 0) {
		strbuf_add(sb, raw, len);
		return;
	}
	if (c == CASE_UPPER && cp == 0xdf) {
		strbuf_addstr(sb, "SS");
		return;
	}
	if (c == CASE_UPPER)
		cp = template_filters_cp_upper(cp);
	else if (c == CASE_LOWER)
		cp = template_filters_cp_lower(cp);
	template_filters_utf8_put(sb, cp);
}

static inline bool
template_filters_is_alnum(long cp)
{
	if (cp < 0)
		return false;
	if (cp < 0x80)
		return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') ||
		    (cp >= '0' && cp <= '9');
	/* Non-ASCII: letters of the mapped scripts and everything above the
	 * Latin-1 punctuation block count as word characters. */
	return cp >= 0xc0 && cp != 0xd7 && cp != 0xf7;
}

static inline bool
template_filters_is_upper(long cp)
{
	return cp >= 0 && template_filters_cp_lower(cp) != cp;
}

static inline bool
template_filters_is_lower(long cp)
{
	return cp >= 0 && (template_filters_cp_upper(cp) != cp || cp == 0xdf);
}

long
template_filters_utf8_next(const unsigned char *s, size_t n, size_t *len)
{
	return template_filters_utf8_get(s, n, len);
}

void
template_filters_utf8_append(struct strbuf *sb, long cp)
{
	template_filters_utf8_put(sb, cp);
}

long
template_filters_lower_cp(long cp)
{
	return template_filters_cp_lower(cp);
}

/* ---------------------------------------------------------- helpers */

int
template_filters_fail(char *msg, size_t msgsz, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, msgsz, fmt, ap);
	va_end(ap);
	return GERR_TEMPLATE;
}

static int
template_filters_want_string(const struct tvalue *in, char *msg, size_t msgsz)
{
	if (in->type != TVALUE_STRING)
		return template_filters_fail(msg, msgsz, "expected a string, "
		    "found %s", tvalue_type_name(in->type));
	return 0;
}

/* Map every code point through case c. */
static int
template_filters_map_case(const struct tvalue *in, struct tvalue **out,
    char *msg, size_t msgsz, enum template_filters_case c)
{
	struct strbuf sb = STRBUF_INIT;
	const unsigned char *s;
	size_t i, n, len;
	int rc = template_filters_want_string(in, msg, msgsz);

	if (rc != 0)
		return rc;
	s = (const unsigned char *)in->u.str.s;
	n = in->u.str.len;
	strbuf_grow(&sb, n);
	for (i = 0; i < n; i += len) {
		long cp = template_filters_utf8_get(s + i, n - i, &len);

		template_filters_put_case(&sb, cp, len, s + i, c);
	}
	*out = tvalue_string_from_strbuf(&sb);
	return 0;
}

/* ---------------------------------------------------------- filters */

static int
template_filters_upper(const struct tvalue *in, struct tvalue *const *args,
    struct tvalue **out, char *msg, size_t msgsz)
{
	(void)args;
	return template_filters_map_case(in, out, msg, msgsz, CASE_UPPER);
}

static int
template_filters_lower(const struct tvalue *in, struct tvalue *const *args,
    struct tvalue **out, char *msg, size_t msgsz)
{
	(void)args;
	return template_filters_map_case(in, out, msg, msgsz, CASE_LOWER);
}

/* Words are runs of alphanumerics and apostrophes: first letter upper,
 * the rest lower (Tera's title). With only_first, just the first word
 * character of the whole string is uppercased and the rest lowered
 * (capitalize); with keep_rest the rest is left alone (ucfirst). */
static int
template_filters_title_like(const struct tvalue *in, struct tvalue **out,
    char *msg, size_t msgsz, bool only_first, bool keep_rest)
{
	struct strbuf sb = STRBUF_INIT;
	const unsigned char *s;
	size_t i, n, len;
	bool in_word = false, done_first = false;
	int rc = template_filters_want_string(in, msg, msgsz);

	if (rc != 0)
		return rc;
	s = (const unsigned char *)in->u.str.s;
	n = in->u.str.len;
	strbuf_grow(&sb, n + 8);
	for (i = 0; i < n; i += len) {
		long cp;
		bool word;
		enum template_filters_case c;

		if (only_first && done_first) {
			/* capitalize / ucfirst after the first character:
			 * ASCII bytes lowered (or kept) in a tight loop. */
			while (i < n && s[i] < 0x80 && sb.len + 1 < sb.cap) {
				unsigned char b = s[i++];

				if (!keep_rest && b >= 'A' && b <= 'Z')
					b += 32;
				sb.buf[sb.len++] = (char)b;
			}
			len = 0;
			if (i >= n)
				continue;
			/* A non-ASCII byte, or no room: the general path. */
		}

		if (s[i] < 0x80 && sb.len + 1 < sb.cap) {
			/* ASCII: no decoding, no encoder, no call. */
			unsigned char b = s[i];
			bool lower = b >= 'a' && b <= 'z';
			bool upper = b >= 'A' && b <= 'Z';

			word = lower || upper || (b >= '0' && b <= '9') ||
			    b == '\'' || b == '_';
			if (only_first) {
				c = !done_first ? CASE_UPPER : keep_rest ?
				    CASE_KEEP : CASE_LOWER;
				done_first = true;
			} else
				c = word && !in_word ? CASE_UPPER : CASE_LOWER;
			in_word = word;
			if (c == CASE_UPPER && lower)
				b -= 32;
			else if (c == CASE_LOWER && upper)
				b += 32;
			sb.buf[sb.len++] = (char)b;
			len = 1;
			continue;
		}
		cp = template_filters_utf8_get(s + i, n - i, &len);
		word = template_filters_is_alnum(cp) || cp == '\'' ||
		    cp == '_';

		if (only_first) {
			c = !done_first ? CASE_UPPER : keep_rest ? CASE_KEEP :
			    CASE_LOWER;
			done_first = true;
		} else
			c = word && !in_word ? CASE_UPPER : CASE_LOWER;
		in_word = word;
		template_filters_put_case(&sb, cp, len, s + i, c);
	}
	sb.buf[sb.len] = '\0';
	*out = tvalue_string_from_strbuf(&sb);
	return 0;
}

static int
template_filters_title(const struct tvalue *in, struct tvalue *const *args,
    struct tvalue **out, char *msg, size_t msgsz)
{
	(void)args;
	return template_filters_title_like(in, out, msg, msgsz, false, false);
}

static int
template_filters_capitalize(const struct tvalue *in,
    struct tvalue *const *args, struct tvalue **out, char *msg, size_t msgsz)
{
	(void)args;
	return template_filters_title_like(in, out, msg, msgsz, true, false);
}

static int
template_filters_ucfirst(const struct tvalue *in, struct tvalue *const *args,
    struct tvalue **out, char *msg, size_t msgsz)
{
	(void)args;
	return template_filters_title_like(in, out, msg, msgsz, true, true);
}

static int
template_filters_replace(const struct tvalue *in, struct tvalue *const *args,
    struct tvalue **out, char *msg, size_t msgsz)
{
	struct strbuf sb = STRBUF_INIT;
	const struct tvalue *from = args[0], *to = args[1];
	const char *s, *hit;
	size_t n, i, len;
	int rc = template_filters_want_string(in, msg, msgsz);

	if (rc == 0 && (from->type != TVALUE_STRING ||
	    to->type != TVALUE_STRING))
		return template_filters_fail(msg, msgsz, "`from` and `to` must "
		    "be strings");
	if (rc != 0)
		return rc;
	s = in->u.str.s;
	n = in->u.str.len;
	if (from->u.str.len == 0) {
		/* As Rust's str::replace: `to` at every character boundary. */
		for (i = 0; i < n; i += len) {
			strbuf_add(&sb, to->u.str.s, to->u.str.len);
			template_filters_utf8_get((const unsigned char *)s + i,
			    n - i, &len);
			strbuf_add(&sb, s + i, len);
		}
		strbuf_add(&sb, to->u.str.s, to->u.str.len);
		*out = tvalue_string_from_strbuf(&sb);
		return 0;
	}
	for (i = 0; i < n;) {
		hit = memmem(s + i, n - i, from->u.str.s, from->u.str.len);
		if (hit == NULL)
			break;
		strbuf_add(&sb, s + i, (size_t)(hit - (s + i)));
		strbuf_add(&sb, to->u.str.s, to->u.str.len);
		i = (size_t)(hit - s) + from->u.str.len;
	}
	if (i < n)
		strbuf_add(&sb, s + i, n - i);
	*out = tvalue_string_from_strbuf(&sb);
	return 0;
}

static int
template_filters_default(const struct tvalue *in, struct tvalue *const *args,
    struct tvalue **out, char *msg, size_t msgsz)
{
	(void)msg;
	(void)msgsz;
	/* Tera treats a null like an undefined value here. */
	*out = tvalue_ref((struct tvalue *)(in != NULL &&
	    in->type != TVALUE_NULL ? in : args[0]));
	return 0;
}

/* `{{ x | default(value=...) }}`: print the one chosen, no reference. */
static int
template_filters_default_emit(const struct tvalue *in,
    struct tvalue *const *args, struct strbuf *out, char *msg, size_t msgsz)
{
	(void)msg;
	(void)msgsz;
	tvalue_render(in != NULL && in->type != TVALUE_NULL ? in : args[0],
	    out);
	return 0;
}

static bool
template_filters_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
	    c == '\v';
}

/* The trimmed span of in (a string) in *s, *n; errors as the filter. */
static int
template_filters_trim_span(const struct tvalue *in, const char **s, size_t *n,
    char *msg, size_t msgsz)
{
	int rc = template_filters_want_string(in, msg, msgsz);

	if (rc != 0)
		return rc;
	*s = in->u.str.s;
	*n = in->u.str.len;
	while (*n > 0 && template_filters_space(**s))
		(*s)++, (*n)--;
	while (*n > 0 && template_filters_space((*s)[*n - 1]))
		(*n)--;
	return 0;
}

static int
template_filters_trim(const struct tvalue *in, struct tvalue *const *args,
    struct tvalue **out, char *msg, size_t msgsz)
{
	const char *s;
	size_t n;
	int rc = template_filters_trim_span(in, &s, &n, msg, msgsz);

	(void)args;
	if (rc == 0)
		*out = tvalue_stringn(s, n);
	return rc;
}

static int
template_filters_trim_emit(const struct tvalue *in, struct tvalue *const *args,
    struct strbuf *out, char *msg, size_t msgsz)
{
	const char *s;
	size_t n;
	int rc = template_filters_trim_span(in, &s, &n, msg, msgsz);

	(void)args;
	if (rc == 0)
		strbuf_add(out, s, n);
	return rc;
}

static int
template_filters_length(const struct tvalue *in, struct tvalue *const *args,
    struct tvalue **out, char *msg, size_t msgsz)
{
	size_t count = 0, i, len;

	(void)args;
	switch (in->type) {
	case TVALUE_STRING:
		for (i = 0; i < in->u.str.len; i += len) {
			template_filters_utf8_get(
			    (const unsigned char *)in->u.str.s + i,
			    in->u.str.len - i, &len);
			count++;
		}
		break;
	case TVALUE_ARRAY:
	case TVALUE_MAP:
		count = tvalue_len(in);
		break;
	default:
		return template_filters_fail(msg, msgsz, "expected a string, "
		    "array or map, found %s", tvalue_type_name(in->type));
	}
	*out = tvalue_int((int64_t)count);
	return 0;
}

static int
template_filters_join(const struct tvalue *in, struct tvalue *const *args,
    struct tvalue **out, char *msg, size_t msgsz)
{
	struct strbuf sb = STRBUF_INIT;
	const struct tvalue *sep = args[0];

	if (in->type != TVALUE_ARRAY)
		return template_filters_fail(msg, msgsz, "expected an array, "
		    "found %s", tvalue_type_name(in->type));
	if (sep != NULL && sep->type != TVALUE_STRING)
		return template_filters_fail(msg, msgsz, "`sep` must be a "
		    "string");
	for (size_t i = 0; i < in->u.arr.len; i++) {
		if (i > 0 && sep != NULL)
			strbuf_add(&sb, sep->u.str.s, sep->u.str.len);
		tvalue_render(in->u.arr.items[i], &sb);
	}
	*out = tvalue_string_from_strbuf(&sb);
	return 0;
}

static int
template_filters_first_last(const struct tvalue *in, struct tvalue **out,
    char *msg, size_t msgsz, bool last)
{
	if (in->type != TVALUE_ARRAY)
		return template_filters_fail(msg, msgsz, "expected an array, "
		    "found %s", tvalue_type_name(in->type));
	if (in->u.arr.len == 0)
		*out = tvalue_null();
	else
		*out = tvalue_ref(in->u.arr.items[last ? in->u.arr.len - 1 : 0]);
	return 0;
}

static int
template_filters_first(const struct tvalue *in, struct tvalue *const *args,
    struct tvalue **out, char *msg, size_t msgsz)
{
	(void)args;
	return template_filters_first_last(in, out, msg, msgsz, false);
}

static int
template_filters_last(const struct tvalue *in, struct tvalue *const *args,
    struct tvalue **out, char *msg, size_t msgsz)
{
	(void)args;
	return template_filters_first_last(in, out, msg, msgsz, true);
}

static int
template_filters_safe(const struct tvalue *in, struct tvalue *const *args,
    struct tvalue **out, char *msg, size_t msgsz)
{
	(void)args;
	(void)msg;
	(void)msgsz;
	*out = tvalue_ref((struct tvalue *)in);
	return 0;
}

/* Split s into words the way heck does: runs of alphanumerics, split again
 * at lower->Upper and before the last capital of a capital run that is
 * followed by a lowercase letter (HTTPServer -> HTTP, Server). Each word is
 * written through `emit`. */

enum template_filters_style {
	STYLE_SNAKE, STYLE_KEBAB, STYLE_CONSTANT, STYLE_PASCAL, STYLE_CAMEL,
};

/* Byte classes for the ASCII fast path. */
enum { CLS_OTHER, CLS_LOWER, CLS_UPPER, CLS_DIGIT, CLS_HIGH };

/* Class of every byte: one load per byte in the loop below. */
static const unsigned char template_filters_cls_tab[256] = {
#define TEMPLATE_FILTERS_R16(c) c, c, c, c, c, c, c, c, c, c, c, c, c, c, c, c
	TEMPLATE_FILTERS_R16(CLS_OTHER), TEMPLATE_FILTERS_R16(CLS_OTHER),
	TEMPLATE_FILTERS_R16(CLS_OTHER),
	/* 0x30 */ CLS_DIGIT, CLS_DIGIT, CLS_DIGIT, CLS_DIGIT, CLS_DIGIT,
	CLS_DIGIT, CLS_DIGIT, CLS_DIGIT, CLS_DIGIT, CLS_DIGIT, CLS_OTHER,
	CLS_OTHER, CLS_OTHER, CLS_OTHER, CLS_OTHER, CLS_OTHER,
	/* 0x40 */ CLS_OTHER, CLS_UPPER, CLS_UPPER, CLS_UPPER, CLS_UPPER,
	CLS_UPPER, CLS_UPPER, CLS_UPPER, CLS_UPPER, CLS_UPPER, CLS_UPPER,
	CLS_UPPER, CLS_UPPER, CLS_UPPER, CLS_UPPER, CLS_UPPER,
	/* 0x50 */ CLS_UPPER, CLS_UPPER, CLS_UPPER, CLS_UPPER, CLS_UPPER,
	CLS_UPPER, CLS_UPPER, CLS_UPPER, CLS_UPPER, CLS_UPPER, CLS_UPPER,
	CLS_OTHER, CLS_OTHER, CLS_OTHER, CLS_OTHER, CLS_OTHER,
	/* 0x60 */ CLS_OTHER, CLS_LOWER, CLS_LOWER, CLS_LOWER, CLS_LOWER,
	CLS_LOWER, CLS_LOWER, CLS_LOWER, CLS_LOWER, CLS_LOWER, CLS_LOWER,
	CLS_LOWER, CLS_LOWER, CLS_LOWER, CLS_LOWER, CLS_LOWER,
	/* 0x70 */ CLS_LOWER, CLS_LOWER, CLS_LOWER, CLS_LOWER, CLS_LOWER,
	CLS_LOWER, CLS_LOWER, CLS_LOWER, CLS_LOWER, CLS_LOWER, CLS_LOWER,
	CLS_OTHER, CLS_OTHER, CLS_OTHER, CLS_OTHER, CLS_OTHER,
	TEMPLATE_FILTERS_R16(CLS_HIGH), TEMPLATE_FILTERS_R16(CLS_HIGH),
	TEMPLATE_FILTERS_R16(CLS_HIGH), TEMPLATE_FILTERS_R16(CLS_HIGH),
	TEMPLATE_FILTERS_R16(CLS_HIGH), TEMPLATE_FILTERS_R16(CLS_HIGH),
	TEMPLATE_FILTERS_R16(CLS_HIGH), TEMPLATE_FILTERS_R16(CLS_HIGH),
#undef TEMPLATE_FILTERS_R16
};

/*
 * The same word split as the general loop below, for pure ASCII input (the
 * usual identifier): no decoding, no tables of code points; appends
 * straight into sb, which has room for 2 * n + 8 more bytes. s[n] must be
 * readable and NUL (a string value's terminator). Returns false,
 * with sb unchanged, at the first non-ASCII byte.
 *
 * A word starts at an alphanumeric after a non-alphanumeric (or at the
 * start), and at a capital after a lowercase letter or digit, or after a
 * capital when a lowercase letter follows (HTTPServer -> HTTP, Server).
 */
/* Does a word start at cur after prev (both classes, cur alphanumeric)?
 * 2: only if the next byte is lowercase (a capital after a capital). */
static const unsigned char template_filters_start_tab[4][4] = {
	/* prev OTHER */ { 0, 1, 1, 1 },
	/* prev LOWER */ { 0, 0, 1, 0 },
	/* prev UPPER */ { 0, 0, 2, 0 },
	/* prev DIGIT */ { 0, 0, 1, 0 },
};

/* ASCII upper and lower case of every byte below 0x80. */
static const unsigned char template_filters_up_tab[128] = {
#define TEMPLATE_FILTERS_I8(b) b, b + 1, b + 2, b + 3, b + 4, b + 5, b + 6, b + 7
#define TEMPLATE_FILTERS_I32(b) TEMPLATE_FILTERS_I8(b), TEMPLATE_FILTERS_I8(b + 8), \
	TEMPLATE_FILTERS_I8(b + 16), TEMPLATE_FILTERS_I8(b + 24)
	TEMPLATE_FILTERS_I32(0), TEMPLATE_FILTERS_I32(32), TEMPLATE_FILTERS_I32(64),
	/* 0x60 */ 0x60, TEMPLATE_FILTERS_I8(0x41), TEMPLATE_FILTERS_I8(0x49),
	TEMPLATE_FILTERS_I8(0x51), 0x59, 0x5a, 0x7b, 0x7c, 0x7d, 0x7e, 0x7f,
};
static const unsigned char template_filters_low_tab[128] = {
	TEMPLATE_FILTERS_I32(0), TEMPLATE_FILTERS_I32(32),
	/* 0x40 */ 0x40, TEMPLATE_FILTERS_I8(0x61), TEMPLATE_FILTERS_I8(0x69),
	TEMPLATE_FILTERS_I8(0x71), 0x79, 0x7a, 0x5b, 0x5c, 0x5d, 0x5e, 0x5f,
	TEMPLATE_FILTERS_I32(96),
#undef TEMPLATE_FILTERS_I32
#undef TEMPLATE_FILTERS_I8
};

/*
 * The same word split as the general loop below, for pure ASCII input (the
 * usual identifier): no decoding, no tables of code points; appends
 * straight into sb, which has room for 2 * n + 8 more bytes. s[n] must be
 * readable and NUL (a string value's terminator). Returns false,
 * with sb unchanged, at the first non-ASCII byte.
 *
 * A word starts at an alphanumeric after a non-alphanumeric (or at the
 * start), and at a capital after a lowercase letter or digit, or after a
 * capital when a lowercase letter follows (HTTPServer -> HTTP, Server).
 * Table-driven (start_tab, and the case map of the first word start, of
 * the other word starts and of the rest chosen once per style): the loop
 * is the per-byte cost of every case filter in generated code.
 */
static bool
template_filters_case_ascii(const unsigned char *s, size_t n,
    struct strbuf *sb, enum template_filters_style style)
{
	const unsigned char *cls = template_filters_cls_tab;
	const unsigned char *up = template_filters_up_tab;
	const unsigned char *low = template_filters_low_tab;
	char *o = sb->buf + sb->len;
	char sep = style == STYLE_KEBAB ? '-' : style == STYLE_PASCAL ||
	    style == STYLE_CAMEL ? '\0' : '_';
	const unsigned char *rest = style == STYLE_CONSTANT ? up : low;
	const unsigned char *wstart = style == STYLE_SNAKE ||
	    style == STYLE_KEBAB ? low : up;
	const unsigned char *first = style == STYLE_CONSTANT ||
	    style == STYLE_PASCAL ? up : low;
	int prev = CLS_OTHER;
	size_t i = 0;

	/* Up to the first word start: nothing is written. */
	for (; i < n; i++) {
		unsigned c = s[i];
		int cur = cls[c];

		if (cur == CLS_HIGH) {
			sb->buf[sb->len] = '\0';
			return false;
		}
		if (cur != CLS_OTHER) {
			*o++ = (char)first[c];
			prev = cur;
			i++;
			break;
		}
	}
	for (; i < n; i++) {
		unsigned c = s[i];
		int cur = cls[c], st;

		if (cur == CLS_HIGH) {
			sb->buf[sb->len] = '\0';
			return false;
		}
		if (cur == CLS_OTHER) {
			prev = cur;
			continue;
		}
		st = template_filters_start_tab[prev][cur];
		if (st == 2)
			st = i + 1 < n && cls[s[i + 1]] == CLS_LOWER;
		if (st) {
			if (sep != '\0')
				*o++ = sep;
			*o++ = (char)wstart[c];
		} else
			*o++ = (char)rest[c];
		prev = cur;
		/* A run of lowercase letters continues the word: the usual
		 * bytes of an identifier, taken without the start test and
		 * without a bound, as s[n] is the string's NUL (CLS_OTHER). */
		if (cls[s[i + 1]] == CLS_LOWER) {
			const unsigned char *p = s + i + 1;

			do
				*o++ = (char)rest[*p++];
			while (cls[*p] == CLS_LOWER);
			i = (size_t)(p - s) - 1;
			prev = CLS_LOWER;
		}
	}
	*o = '\0';
	sb->len = (size_t)(o - sb->buf);
	return true;
}

/* Append the case-converted in to sb: shared by the filters (into a fresh
 * strbuf) and their emit forms (into the render output), so both give the
 * same bytes and the same errors. */
static int
template_filters_case_into(const struct tvalue *in, struct strbuf *sb,
    char *msg, size_t msgsz, enum template_filters_style style)
{
	const unsigned char *s;
	size_t n, i, len, nlen, words = 0;
	bool in_word = false;
	size_t word_pos = 0;
	int rc = template_filters_want_string(in, msg, msgsz);

	if (rc != 0)
		return rc;
	s = (const unsigned char *)in->u.str.s;
	n = in->u.str.len;
	if (sb->cap <= sb->len + 2 * n + 8)
		strbuf_grow(sb, 2 * n + 8);	/* separators at most double it */
	if (template_filters_case_ascii(s, n, sb, style))
		return 0;
	long prev = -1;

	for (i = 0; i < n; i += len) {
		long cp = template_filters_utf8_get(s + i, n - i, &len);
		long next = -1;

		if (!template_filters_is_alnum(cp)) {
			in_word = false;
			prev = cp;
			continue;
		}
		if (i + len < n)
			next = template_filters_utf8_get(s + i + len,
			    n - i - len, &nlen);
		if (in_word && template_filters_is_upper(cp) &&
		    (template_filters_is_lower(prev) ||
		    (prev >= '0' && prev <= '9') ||
		    (template_filters_is_upper(prev) &&
		    template_filters_is_lower(next))))
			in_word = false;
		if (!in_word) {
			if (words > 0 && style != STYLE_PASCAL &&
			    style != STYLE_CAMEL)
				strbuf_addch(sb, style == STYLE_KEBAB ? '-' : '_');
			words++;
			word_pos = 0;
			in_word = true;
		}
		enum template_filters_case c = CASE_LOWER;

		if (style == STYLE_CONSTANT)
			c = CASE_UPPER;
		else if (word_pos == 0 && (style == STYLE_PASCAL ||
		    (style == STYLE_CAMEL && words > 1)))
			c = CASE_UPPER;
		template_filters_put_case(sb, cp, len, s + i, c);
		word_pos++;
		prev = cp;
	}
	return 0;
}

static int
template_filters_case_style(const struct tvalue *in, struct tvalue **out,
    char *msg, size_t msgsz, enum template_filters_style style)
{
	struct strbuf sb = STRBUF_INIT;
	int rc = template_filters_case_into(in, &sb, msg, msgsz, style);

	if (rc != 0) {
		strbuf_release(&sb);
		return rc;
	}
	*out = tvalue_string_from_strbuf(&sb);
	return 0;
}

#define TEMPLATE_FILTERS_STYLE(fn, style)					\
static int								\
fn(const struct tvalue *in, struct tvalue *const *args,			\
    struct tvalue **out, char *msg, size_t msgsz)			\
{									\
	(void)args;							\
	return template_filters_case_style(in, out, msg, msgsz, style);	\
}									\
static int								\
fn##_emit(const struct tvalue *in, struct tvalue *const *args,		\
    struct strbuf *out, char *msg, size_t msgsz)			\
{									\
	(void)args;							\
	return template_filters_case_into(in, out, msg, msgsz, style);	\
}
TEMPLATE_FILTERS_STYLE(template_filters_snake, STYLE_SNAKE)
TEMPLATE_FILTERS_STYLE(template_filters_kebab, STYLE_KEBAB)
TEMPLATE_FILTERS_STYLE(template_filters_constant, STYLE_CONSTANT)
TEMPLATE_FILTERS_STYLE(template_filters_pascal, STYLE_PASCAL)
TEMPLATE_FILTERS_STYLE(template_filters_camel, STYLE_CAMEL)

static bool
template_filters_ends(const struct tvalue *s, const char *suffix)
{
	size_t n = strlen(suffix);

	return s->u.str.len >= n && strcasecmp(s->u.str.s + s->u.str.len - n,
	    suffix) == 0;
}

/* On a number: Tera's pluralize (`singular` when 1, else `plural`, "" and
 * "s" by default). On a string: English plural of the word (ggen's):
 * s/x/z/ch/sh -> +es, consonant + y -> ies, else +s. */
static int
template_filters_pluralize(const struct tvalue *in, struct tvalue *const *args,
    struct tvalue **out, char *msg, size_t msgsz)
{
	struct strbuf sb = STRBUF_INIT;

	if (tvalue_is_number(in)) {
		bool one = tvalue_as_double(in) == 1.0;
		const struct tvalue *pick = one ? args[0] : args[1];

		if (pick != NULL && pick->type != TVALUE_STRING)
			return template_filters_fail(msg, msgsz, "`%s` must be "
			    "a string", one ? "singular" : "plural");
		*out = pick != NULL ? tvalue_ref((struct tvalue *)pick) :
		    tvalue_string(one ? "" : "s");
		return 0;
	}
	if (in->type != TVALUE_STRING)
		return template_filters_fail(msg, msgsz, "expected a string or "
		    "a number, found %s", tvalue_type_name(in->type));
	if (in->u.str.len == 0) {
		*out = tvalue_string("");
		return 0;
	}
	const char *s = in->u.str.s;
	size_t n = in->u.str.len;
	bool upper = template_filters_is_upper((unsigned char)s[n - 1]);

	if (template_filters_ends(in, "s") || template_filters_ends(in, "x") ||
	    template_filters_ends(in, "z") || template_filters_ends(in, "ch") ||
	    template_filters_ends(in, "sh")) {
		strbuf_add(&sb, s, n);
		strbuf_addstr(&sb, upper ? "ES" : "es");
	} else if (n >= 2 && (s[n - 1] == 'y' || s[n - 1] == 'Y') &&
	    strchr("aeiouAEIOU", s[n - 2]) == NULL) {
		strbuf_add(&sb, s, n - 1);
		strbuf_addstr(&sb, upper ? "IES" : "ies");
	} else {
		strbuf_add(&sb, s, n);
		strbuf_addstr(&sb, upper ? "S" : "s");
	}
	*out = tvalue_string_from_strbuf(&sb);
	return 0;
}

/* English singular of a word (ggen's singular; the inverse of the string
 * pluralize above): consonant + ies -> y, s/x/z/ch/sh + es -> strip es,
 * ss stays, else a final s goes. */
static int
template_filters_singular(const struct tvalue *in, struct tvalue *const *args,
    struct tvalue **out, char *msg, size_t msgsz)
{
	const char *s;
	size_t n;
	bool upper;

	(void)args;
	if (in->type != TVALUE_STRING)
		return template_filters_fail(msg, msgsz, "expected a string, "
		    "found %s", tvalue_type_name(in->type));
	s = in->u.str.s;
	n = in->u.str.len;
	upper = n > 0 && template_filters_is_upper((unsigned char)s[n - 1]);
	if (n >= 4 && template_filters_ends(in, "ies") &&
	    strchr("aeiouAEIOU", s[n - 4]) == NULL) {
		struct strbuf sb = STRBUF_INIT;

		strbuf_add(&sb, s, n - 3);
		strbuf_addstr(&sb, upper ? "Y" : "y");
		*out = tvalue_string_from_strbuf(&sb);
		return 0;
	}
	if (n >= 4 && (template_filters_ends(in, "ches") ||
	    template_filters_ends(in, "shes") ||
	    template_filters_ends(in, "sses") ||
	    template_filters_ends(in, "xes") ||
	    template_filters_ends(in, "zes")))
		n -= 2;
	else if (n >= 2 && (s[n - 1] == 's' || s[n - 1] == 'S') &&
	    !template_filters_ends(in, "ss"))
		n--;
	*out = tvalue_stringn(s, n);
	return 0;
}

/* ------------------------------------------------------------ tests */

static int
template_filters_t_defined(const struct tvalue *in, struct tvalue *const *args,
    bool *out, char *msg, size_t msgsz)
{
	(void)args, (void)msg, (void)msgsz;
	*out = in != NULL;
	return 0;
}

static int
template_filters_t_undefined(const struct tvalue *in,
    struct tvalue *const *args, bool *out, char *msg, size_t msgsz)
{
	(void)args, (void)msg, (void)msgsz;
	*out = in == NULL;
	return 0;
}

static int
template_filters_t_parity(const struct tvalue *in, bool *out, char *msg,
    size_t msgsz, int64_t want)
{
	if (in->type == TVALUE_DOUBLE) {
		/* Tera: x % 2 != 0 on floats too (2.5 is odd). */
		*out = (fmod(in->u.d, 2.0) != 0) == (want != 0);
		return 0;
	}
	if (in->type != TVALUE_INT)
		return template_filters_fail(msg, msgsz, "expected a number, "
		    "found %s", tvalue_type_name(in->type));
	*out = (in->u.i % 2 != 0) == (want != 0);
	return 0;
}

static int
template_filters_t_odd(const struct tvalue *in, struct tvalue *const *args,
    bool *out, char *msg, size_t msgsz)
{
	(void)args;
	return template_filters_t_parity(in, out, msg, msgsz, 1);
}

static int
template_filters_t_even(const struct tvalue *in, struct tvalue *const *args,
    bool *out, char *msg, size_t msgsz)
{
	(void)args;
	return template_filters_t_parity(in, out, msg, msgsz, 0);
}

static int
template_filters_t_divisibleby(const struct tvalue *in,
    struct tvalue *const *args, bool *out, char *msg, size_t msgsz)
{
	if (in->type != TVALUE_INT || args[0]->type != TVALUE_INT)
		return template_filters_fail(msg, msgsz, "expected integers");
	if (args[0]->u.i == 0)
		return template_filters_fail(msg, msgsz, "divisor is zero");
	*out = args[0]->u.i == -1 || in->u.i % args[0]->u.i == 0;
	return 0;
}

static int
template_filters_t_type(const struct tvalue *in, bool *out,
    enum tvalue_type a, enum tvalue_type b)
{
	*out = in->type == a || in->type == b;
	return 0;
}

static int
template_filters_t_string(const struct tvalue *in, struct tvalue *const *args,
    bool *out, char *msg, size_t msgsz)
{
	(void)args, (void)msg, (void)msgsz;
	return template_filters_t_type(in, out, TVALUE_STRING, TVALUE_STRING);
}

static int
template_filters_t_number(const struct tvalue *in, struct tvalue *const *args,
    bool *out, char *msg, size_t msgsz)
{
	(void)args, (void)msg, (void)msgsz;
	return template_filters_t_type(in, out, TVALUE_INT, TVALUE_DOUBLE);
}

static int
template_filters_t_iterable(const struct tvalue *in,
    struct tvalue *const *args, bool *out, char *msg, size_t msgsz)
{
	(void)args, (void)msg, (void)msgsz;
	return template_filters_t_type(in, out, TVALUE_ARRAY, TVALUE_MAP);
}

static int
template_filters_t_object(const struct tvalue *in, struct tvalue *const *args,
    bool *out, char *msg, size_t msgsz)
{
	(void)args, (void)msg, (void)msgsz;
	return template_filters_t_type(in, out, TVALUE_MAP, TVALUE_MAP);
}

static int
template_filters_t_affix(const struct tvalue *in, struct tvalue *const *args,
    bool *out, char *msg, size_t msgsz, int where)
{
	const struct tvalue *p = args[0];

	if (where == 2 && in->type == TVALUE_ARRAY) {
		*out = false;
		for (size_t i = 0; i < in->u.arr.len; i++)
			if (tvalue_equal(in->u.arr.items[i], p))
				*out = true;
		return 0;
	}
	if (where == 2 && in->type == TVALUE_MAP) {
		*out = p->type == TVALUE_STRING &&
		    tvalue_map_getn(in, p->u.str.s, p->u.str.len) != NULL;
		return 0;
	}
	if (in->type != TVALUE_STRING || p->type != TVALUE_STRING)
		return template_filters_fail(msg, msgsz, "expected strings");
	size_t n = in->u.str.len, m = p->u.str.len;

	if (where == 0)
		*out = m <= n && memcmp(in->u.str.s, p->u.str.s, m) == 0;
	else if (where == 1)
		*out = m <= n && memcmp(in->u.str.s + n - m, p->u.str.s, m) == 0;
	else
		*out = m == 0 || memmem(in->u.str.s, n, p->u.str.s, m) != NULL;
	return 0;
}

static int
template_filters_t_starting_with(const struct tvalue *in,
    struct tvalue *const *args, bool *out, char *msg, size_t msgsz)
{
	return template_filters_t_affix(in, args, out, msg, msgsz, 0);
}

static int
template_filters_t_ending_with(const struct tvalue *in,
    struct tvalue *const *args, bool *out, char *msg, size_t msgsz)
{
	return template_filters_t_affix(in, args, out, msg, msgsz, 1);
}

static int
template_filters_t_containing(const struct tvalue *in,
    struct tvalue *const *args, bool *out, char *msg, size_t msgsz)
{
	return template_filters_t_affix(in, args, out, msg, msgsz, 2);
}

/* ------------------------------------------------------------ table */

#define F(n, fn, ...) { .kind = TEMPLATE_FILTER, .name = n, .filter = fn, __VA_ARGS__ }
/* A filter that can also append its output straight to the render output. */
#define FE(n, fn, ...) F(n, fn, .emit = fn##_emit, __VA_ARGS__)
#define T(n, fn, ...) { .kind = TEMPLATE_TEST, .name = n, .test = fn, __VA_ARGS__ }

static const struct template_filter_def template_filters_table[] = {
	F("lower", template_filters_lower),
	F("upper", template_filters_upper),
	F("title", template_filters_title),
	F("capitalize", template_filters_capitalize),
	F("replace", template_filters_replace, .args = { "from", "to" },
	    .nargs = 2, .nrequired = 2),
	/* `boolean` is accepted and, as in the Tera the corpus was recorded
	 * from, changes nothing. */
	FE("default", template_filters_default, .args = { "value", "boolean" },
	    .nargs = 2, .nrequired = 1, .accepts_undefined = true),
	FE("trim", template_filters_trim),
	F("length", template_filters_length),
	F("join", template_filters_join, .args = { "sep" }, .nargs = 1),
	F("first", template_filters_first),
	F("last", template_filters_last),
	F("safe", template_filters_safe),
	F("date", template_filters_date, .args = { "format", "timezone" },
	    .nargs = 2),
	FE("snake", template_filters_snake),
	FE("pascal", template_filters_pascal),
	FE("kebab", template_filters_kebab),
	FE("camel", template_filters_camel),
	FE("constant", template_filters_constant),
	F("ucfirst", template_filters_ucfirst),
	F("singular", template_filters_singular),
	F("singularize", template_filters_singular),
	/* The `_case` spellings ggen templates use (heck's names). */
	FE("snake_case", template_filters_snake),
	FE("pascal_case", template_filters_pascal),
	FE("upper_camel_case", template_filters_pascal),
	FE("camel_case", template_filters_camel),
	FE("lower_camel_case", template_filters_camel),
	FE("mixed_case", template_filters_camel),
	FE("kebab_case", template_filters_kebab),
	FE("constant_case", template_filters_constant),
	FE("shouty_snake_case", template_filters_constant),
	FE("screaming_snake_case", template_filters_constant),
	F("upper_case", template_filters_upper),
	F("lower_case", template_filters_lower),
	F("pluralize", template_filters_pluralize,
	    .args = { "singular", "plural" }, .nargs = 2),
	F("wordcount", template_filters_wordcount),
	F("addslashes", template_filters_addslashes),
	F("slugify", template_filters_slugify),
	F("trim_start", template_filters_trim_start),
	F("trim_end", template_filters_trim_end),
	F("trim_start_matches", template_filters_trim_start_matches,
	    .args = { "pat" }, .nargs = 1, .nrequired = 1),
	F("trim_end_matches", template_filters_trim_end_matches,
	    .args = { "pat" }, .nargs = 1, .nrequired = 1),
	F("truncate", template_filters_truncate, .args = { "length", "end" },
	    .nargs = 2),
	F("linebreaksbr", template_filters_linebreaksbr),
	F("spaceless", template_filters_spaceless),
	F("striptags", template_filters_striptags),
	F("escape", template_filters_escape),
	F("escape_xml", template_filters_escape_xml),
	F("urlencode", template_filters_urlencode),
	F("urlencode_strict", template_filters_urlencode_strict),
	F("split", template_filters_split, .args = { "pat" }, .nargs = 1,
	    .nrequired = 1),
	F("indent", template_filters_indent,
	    .args = { "prefix", "first", "blank" }, .nargs = 3),
	F("as_str", template_filters_as_str),
	F("round", template_filters_round, .args = { "method", "precision" },
	    .nargs = 2),
	F("abs", template_filters_abs),
	F("filesizeformat", template_filters_filesizeformat,
	    .args = { "binary" }, .nargs = 1),
	F("int", template_filters_int, .args = { "default", "base" },
	    .nargs = 2),
	F("float", template_filters_float, .args = { "default" }, .nargs = 1),
	F("reverse", template_filters_reverse),
	F("nth", template_filters_nth, .args = { "n" }, .nargs = 1,
	    .nrequired = 1),
	F("sort", template_filters_sort, .args = { "attribute" }, .nargs = 1),
	F("unique", template_filters_unique,
	    .args = { "attribute", "case_sensitive" }, .nargs = 2),
	F("slice", template_filters_slice, .args = { "start", "end" },
	    .nargs = 2),
	F("map", template_filters_map, .args = { "attribute" }, .nargs = 1,
	    .nrequired = 1),
	F("filter", template_filters_filter, .args = { "attribute", "value" },
	    .nargs = 2, .nrequired = 1),
	F("concat", template_filters_concat, .args = { "with" }, .nargs = 1,
	    .nrequired = 1),
	F("group_by", template_filters_group_by, .args = { "attribute" },
	    .nargs = 1, .nrequired = 1),
	F("get", template_filters_get, .args = { "key", "default" },
	    .nargs = 2, .nrequired = 1),
	F("json_encode", template_filters_json_encode, .args = { "pretty" },
	    .nargs = 1),
	T("matching", template_filters_t_matching, .args = { "pat" },
	    .nargs = 1, .nrequired = 1),
	{ .kind = TEMPLATE_FUNCTION, .name = "range", .func =
	    template_functions_range, .args = { "end", "start", "step_by" },
	    .nargs = 3, .nrequired = 1 },
	{ .kind = TEMPLATE_FUNCTION, .name = "now", .func =
	    template_functions_now, .args = { "timestamp", "utc" },
	    .nargs = 2 },
	{ .kind = TEMPLATE_FUNCTION, .name = "throw", .func =
	    template_functions_throw, .args = { "message" }, .nargs = 1,
	    .nrequired = 1 },
	{ .kind = TEMPLATE_FUNCTION, .name = "get_env", .func =
	    template_functions_get_env, .args = { "name", "default" },
	    .nargs = 2, .nrequired = 1 },
	{ .kind = TEMPLATE_FUNCTION, .name = "get_random", .func =
	    template_functions_get_random, .args = { "start", "end" },
	    .nargs = 2, .nrequired = 1 },
	T("defined", template_filters_t_defined, .accepts_undefined = true),
	T("undefined", template_filters_t_undefined, .accepts_undefined = true),
	T("odd", template_filters_t_odd),
	T("even", template_filters_t_even),
	T("divisibleby", template_filters_t_divisibleby, .args = { "divisor" },
	    .nargs = 1, .nrequired = 1),
	T("string", template_filters_t_string),
	T("number", template_filters_t_number),
	T("iterable", template_filters_t_iterable),
	T("object", template_filters_t_object),
	T("starting_with", template_filters_t_starting_with,
	    .args = { "pat" }, .nargs = 1, .nrequired = 1),
	T("ending_with", template_filters_t_ending_with, .args = { "pat" },
	    .nargs = 1, .nrequired = 1),
	T("containing", template_filters_t_containing, .args = { "pat" },
	    .nargs = 1, .nrequired = 1),
};

#undef F
#undef FE
#undef T

#define TEMPLATE_FILTERS_COUNT \
	(sizeof template_filters_table / sizeof template_filters_table[0])

const struct template_filter_def *
template_filters_find(enum template_filter_kind kind, const char *name,
    size_t len)
{
	for (size_t i = 0; i < TEMPLATE_FILTERS_COUNT; i++) {
		const struct template_filter_def *d = &template_filters_table[i];

		if (d->kind == kind && d->name[0] == name[0] &&
		    strncmp(d->name, name, len) == 0 && d->name[len] == '\0')
			return d;
	}
	return NULL;
}

size_t
template_filters_distance(const char *a, size_t alen, const char *b,
    size_t blen, size_t cap)
{
	size_t row[64], i, j, diag, tmp, best;

	if (alen >= 63 || blen >= 63)
		return cap + 1;
	if ((alen > blen ? alen - blen : blen - alen) > cap)
		return cap + 1;
	for (j = 0; j <= blen; j++)
		row[j] = j;
	for (i = 1; i <= alen; i++) {
		diag = row[0];
		row[0] = i;
		best = row[0];
		for (j = 1; j <= blen; j++) {
			tmp = row[j];
			size_t sub = diag + (a[i - 1] != b[j - 1]);
			size_t del = row[j] + 1, ins = row[j - 1] + 1;

			row[j] = sub < del ? (sub < ins ? sub : ins) :
			    (del < ins ? del : ins);
			diag = tmp;
			if (row[j] < best)
				best = row[j];
		}
		if (best > cap)
			return cap + 1;
	}
	return row[blen] > cap ? cap + 1 : row[blen];
}

const char *
template_filters_suggest(enum template_filter_kind kind, const char *name,
    size_t len)
{
	const char *best = NULL;
	size_t bestd = 3, cap = len / 3 + 1;

	if (cap > 3)
		cap = 3;
	for (size_t i = 0; i < TEMPLATE_FILTERS_COUNT; i++) {
		const struct template_filter_def *d = &template_filters_table[i];
		size_t dist;

		if (d->kind != kind)
			continue;
		dist = template_filters_distance(name, len, d->name,
		    strlen(d->name), cap);
		if (dist <= cap && (best == NULL || dist < bestd)) {
			best = d->name;
			bestd = dist;
		}
	}
	return best;
}
