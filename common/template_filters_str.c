/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * template_filters_str.c - Tera's string and number filters (and the
 * `matching` test), with Tera's argument names and defaults. Rows are in
 * template_filters.c's table. Pure, reentrant, locale-free; any thread.
 *
 * Approximations, named: `truncate` and `reverse` count code points, not
 * grapheme clusters; `slugify` transliterates Latin-1 (the rest of
 * non-ASCII text separates words); `matching` uses POSIX extended regular
 * expressions with the Perl classes \d \w \s \D \W \S translated.
 */
#include <errno.h>
#include <math.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gerr.h"
#include "template_filters_int.h"

#define WANT_STRING(in) do { \
	if ((in)->type != TVALUE_STRING) \
		return template_filters_fail(msg, msgsz, "expected a string, " \
		    "found %s", tvalue_type_name((in)->type)); \
} while (0)

#define ARG_STRING(i, name) do { \
	if (args[i] != NULL && args[i]->type != TVALUE_STRING) \
		return template_filters_fail(msg, msgsz, "`%s` must be a " \
		    "string", name); \
} while (0)

static bool
template_filters_ws(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
	    c == '\v';
}

TEMPLATE_FILTERS_FN(template_filters_wordcount)
{
	const char *s;
	size_t n, words = 0;
	bool in_word = false;

	(void)args;
	WANT_STRING(in);
	s = in->u.str.s;
	n = in->u.str.len;
	for (size_t i = 0; i < n; i++) {
		bool ws = template_filters_ws((unsigned char)s[i]);

		if (!ws && !in_word)
			words++;
		in_word = !ws;
	}
	*out = tvalue_int((int64_t)words);
	return 0;
}

/* Replace every byte that has an entry in `map` by that string. */
static struct tvalue *
template_filters_subst(const struct tvalue *in, const char *const *map)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_grow(&sb, in->u.str.len);
	for (size_t i = 0; i < in->u.str.len; i++) {
		unsigned char c = (unsigned char)in->u.str.s[i];

		if (c < 128 && map[c] != NULL)
			strbuf_addstr(&sb, map[c]);
		else
			strbuf_addch(&sb, c);
	}
	return tvalue_string_from_strbuf(&sb);
}

TEMPLATE_FILTERS_FN(template_filters_addslashes)
{
	static const char *const map[128] = { ['\\'] = "\\\\",
		['"'] = "\\\"", ['\''] = "\\'" };

	(void)args;
	WANT_STRING(in);
	*out = template_filters_subst(in, map);
	return 0;
}

TEMPLATE_FILTERS_FN(template_filters_escape)
{
	static const char *const map[128] = { ['&'] = "&amp;",
		['<'] = "&lt;", ['>'] = "&gt;", ['"'] = "&quot;",
		['\''] = "&#x27;", ['/'] = "&#x2F;" };

	(void)args;
	WANT_STRING(in);
	*out = template_filters_subst(in, map);
	return 0;
}

TEMPLATE_FILTERS_FN(template_filters_escape_xml)
{
	static const char *const map[128] = { ['&'] = "&amp;",
		['<'] = "&lt;", ['>'] = "&gt;", ['"'] = "&quot;",
		['\''] = "&apos;" };

	(void)args;
	WANT_STRING(in);
	*out = template_filters_subst(in, map);
	return 0;
}

static int
template_filters_urlenc(const struct tvalue *in, struct tvalue **out,
    char *msg, size_t msgsz, bool strict)
{
	static const char hex[] = "0123456789ABCDEF";
	struct strbuf sb = STRBUF_INIT;

	WANT_STRING(in);
	for (size_t i = 0; i < in->u.str.len; i++) {
		unsigned char c = (unsigned char)in->u.str.s[i];
		bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || (!strict && (c == '/' ||
		    c == '-' || c == '_' || c == '.' || c == '~'));

		if (keep)
			strbuf_addch(&sb, c);
		else {
			strbuf_addch(&sb, '%');
			strbuf_addch(&sb, hex[c >> 4]);
			strbuf_addch(&sb, hex[c & 15]);
		}
	}
	*out = tvalue_string_from_strbuf(&sb);
	return 0;
}

TEMPLATE_FILTERS_FN(template_filters_urlencode)
{
	(void)args;
	return template_filters_urlenc(in, out, msg, msgsz, false);
}

TEMPLATE_FILTERS_FN(template_filters_urlencode_strict)
{
	(void)args;
	return template_filters_urlenc(in, out, msg, msgsz, true);
}

/* ASCII spelling of Latin-1 letters U+00C0..U+00FF (deunicode's). */
static const char *const template_filters_latin1[64] = {
	"A", "A", "A", "A", "A", "A", "AE", "C", "E", "E", "E", "E", "I", "I",
	"I", "I", "D", "N", "O", "O", "O", "O", "O", "x", "O", "U", "U", "U",
	"U", "Y", "Th", "ss", "a", "a", "a", "a", "a", "a", "ae", "c", "e",
	"e", "e", "e", "i", "i", "i", "i", "d", "n", "o", "o", "o", "o", "o",
	"/", "o", "u", "u", "u", "u", "y", "th", "y",
};

TEMPLATE_FILTERS_FN(template_filters_slugify)
{
	struct strbuf ascii = STRBUF_INIT, sb = STRBUF_INIT;
	const unsigned char *s;
	size_t n, len;
	bool dash = true;

	(void)args;
	WANT_STRING(in);
	s = (const unsigned char *)in->u.str.s;
	n = in->u.str.len;
	for (size_t i = 0; i < n; i += len) {
		long cp = template_filters_utf8_next(s + i, n - i, &len);

		if (cp >= 0 && cp < 0x80)
			strbuf_addch(&ascii, (int)cp);
		else if (cp >= 0xc0 && cp <= 0xff)
			strbuf_addstr(&ascii, template_filters_latin1[cp - 0xc0]);
		else
			strbuf_addch(&ascii, ' ');
	}
	for (size_t i = 0; i < ascii.len; i++) {
		char c = ascii.buf[i];

		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
			strbuf_addch(&sb, c);
			dash = false;
		} else if (c >= 'A' && c <= 'Z') {
			strbuf_addch(&sb, c - 'A' + 'a');
			dash = false;
		} else if (!dash) {
			strbuf_addch(&sb, '-');
			dash = true;
		}
	}
	if (sb.len > 0 && sb.buf[sb.len - 1] == '-')
		sb.buf[--sb.len] = '\0';
	strbuf_release(&ascii);
	*out = tvalue_string_from_strbuf(&sb);
	return 0;
}

TEMPLATE_FILTERS_FN(template_filters_trim_start)
{
	size_t i = 0;

	(void)args;
	WANT_STRING(in);
	while (i < in->u.str.len &&
	    template_filters_ws((unsigned char)in->u.str.s[i]))
		i++;
	*out = tvalue_stringn(in->u.str.s + i, in->u.str.len - i);
	return 0;
}

TEMPLATE_FILTERS_FN(template_filters_trim_end)
{
	size_t n;

	(void)args;
	WANT_STRING(in);
	n = in->u.str.len;
	while (n > 0 && template_filters_ws((unsigned char)in->u.str.s[n - 1]))
		n--;
	*out = tvalue_stringn(in->u.str.s, n);
	return 0;
}

static int
template_filters_trim_matches(const struct tvalue *in,
    struct tvalue *const *args, struct tvalue **out, char *msg, size_t msgsz,
    bool start)
{
	const char *s, *p;
	size_t n, pn;

	WANT_STRING(in);
	ARG_STRING(0, "pat");
	s = in->u.str.s;
	n = in->u.str.len;
	p = args[0]->u.str.s;
	pn = args[0]->u.str.len;
	if (pn > 0) {
		if (start)
			while (n >= pn && memcmp(s, p, pn) == 0)
				s += pn, n -= pn;
		else
			while (n >= pn && memcmp(s + n - pn, p, pn) == 0)
				n -= pn;
	}
	*out = tvalue_stringn(s, n);
	return 0;
}

TEMPLATE_FILTERS_FN(template_filters_trim_start_matches)
{
	return template_filters_trim_matches(in, args, out, msg, msgsz, true);
}

TEMPLATE_FILTERS_FN(template_filters_trim_end_matches)
{
	return template_filters_trim_matches(in, args, out, msg, msgsz, false);
}

TEMPLATE_FILTERS_FN(template_filters_truncate)
{
	const unsigned char *s;
	size_t n, len, i, count = 0;
	int64_t length = 255;
	struct strbuf sb = STRBUF_INIT;

	WANT_STRING(in);
	ARG_STRING(1, "end");
	if (args[0] != NULL) {
		if (args[0]->type != TVALUE_INT || args[0]->u.i < 0)
			return template_filters_fail(msg, msgsz, "`length` must "
			    "be a non-negative integer");
		length = args[0]->u.i;
	}
	s = (const unsigned char *)in->u.str.s;
	n = in->u.str.len;
	for (i = 0; i < n && (int64_t)count < length; i += len, count++)
		template_filters_utf8_next(s + i, n - i, &len);
	if (i >= n) {
		*out = tvalue_ref((struct tvalue *)in);
		return 0;
	}
	strbuf_add(&sb, s, i);
	if (args[1] != NULL)
		strbuf_add(&sb, args[1]->u.str.s, args[1]->u.str.len);
	else
		strbuf_addstr(&sb, "\xe2\x80\xa6");	/* … */
	*out = tvalue_string_from_strbuf(&sb);
	return 0;
}

TEMPLATE_FILTERS_FN(template_filters_linebreaksbr)
{
	struct strbuf sb = STRBUF_INIT;
	const char *s;
	size_t n;

	(void)args;
	WANT_STRING(in);
	s = in->u.str.s;
	n = in->u.str.len;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\r' && i + 1 < n && s[i + 1] == '\n') {
			strbuf_addstr(&sb, "<br>");
			i++;
		} else if (s[i] == '\n')
			strbuf_addstr(&sb, "<br>");
		else
			strbuf_addch(&sb, s[i]);
	}
	*out = tvalue_string_from_strbuf(&sb);
	return 0;
}

/* Tera's `>\s+<` -> `><`. */
TEMPLATE_FILTERS_FN(template_filters_spaceless)
{
	struct strbuf sb = STRBUF_INIT;
	const char *s;
	size_t n;

	(void)args;
	WANT_STRING(in);
	s = in->u.str.s;
	n = in->u.str.len;
	for (size_t i = 0; i < n; i++) {
		strbuf_addch(&sb, s[i]);
		if (s[i] != '>')
			continue;
		size_t j = i + 1;

		while (j < n && template_filters_ws((unsigned char)s[j]))
			j++;
		if (j > i + 1 && j < n && s[j] == '<')
			i = j - 1;
	}
	*out = tvalue_string_from_strbuf(&sb);
	return 0;
}

/* Tera's `(<!--.*?-->|<[^>]*>)` -> `` (`.` stops at a newline). */
TEMPLATE_FILTERS_FN(template_filters_striptags)
{
	struct strbuf sb = STRBUF_INIT;
	const char *s;
	size_t n;

	(void)args;
	WANT_STRING(in);
	s = in->u.str.s;
	n = in->u.str.len;
	for (size_t i = 0; i < n; i++) {
		if (s[i] != '<') {
			strbuf_addch(&sb, s[i]);
			continue;
		}
		if (n - i >= 4 && memcmp(s + i, "<!--", 4) == 0) {
			size_t j;

			for (j = i + 4; j + 3 <= n && s[j] != '\n'; j++)
				if (memcmp(s + j, "-->", 3) == 0)
					break;
			if (j + 3 <= n && s[j] != '\n') {
				i = j + 2;
				continue;
			}
		}
		const char *gt = memchr(s + i, '>', n - i);

		if (gt == NULL) {
			strbuf_addch(&sb, s[i]);
			continue;
		}
		i = (size_t)(gt - s);
	}
	*out = tvalue_string_from_strbuf(&sb);
	return 0;
}

TEMPLATE_FILTERS_FN(template_filters_split)
{
	struct tvalue *arr;
	const char *s, *p;
	size_t n, pn, i, len;

	WANT_STRING(in);
	ARG_STRING(0, "pat");
	arr = tvalue_array_new();
	s = in->u.str.s;
	n = in->u.str.len;
	p = args[0]->u.str.s;
	pn = args[0]->u.str.len;
	if (pn == 0) {
		/* As Rust: "" then every character then "". */
		tvalue_array_push(arr, tvalue_stringn("", 0));
		for (i = 0; i < n; i += len) {
			template_filters_utf8_next((const unsigned char *)s + i,
			    n - i, &len);
			tvalue_array_push(arr, tvalue_stringn(s + i, len));
		}
		tvalue_array_push(arr, tvalue_stringn("", 0));
		*out = arr;
		return 0;
	}
	for (i = 0;;) {
		const char *hit = memmem(s + i, n - i, p, pn);

		if (hit == NULL) {
			tvalue_array_push(arr, tvalue_stringn(s + i, n - i));
			break;
		}
		tvalue_array_push(arr, tvalue_stringn(s + i,
		    (size_t)(hit - (s + i))));
		i = (size_t)(hit - s) + pn;
	}
	*out = arr;
	return 0;
}

/* Tera 1.20: every line but the first (unless first=true) gets prefix
 * (default four spaces); blank lines only with blank=true. Lines as Rust's
 * str::lines (a final newline ends the last line, "\r\n" counts as one). */
TEMPLATE_FILTERS_FN(template_filters_indent)
{
	struct strbuf sb = STRBUF_INIT;
	const char *s, *pre = "    ";
	size_t n, pren = 4, i = 0;
	bool first = false, blank = false, firstline = true;

	WANT_STRING(in);
	ARG_STRING(0, "prefix");
	if ((args[1] != NULL && args[1]->type != TVALUE_BOOL) ||
	    (args[2] != NULL && args[2]->type != TVALUE_BOOL))
		return template_filters_fail(msg, msgsz, "`first` and `blank` "
		    "must be booleans");
	if (args[0] != NULL) {
		pre = args[0]->u.str.s;
		pren = args[0]->u.str.len;
	}
	first = args[1] != NULL && args[1]->u.b;
	blank = args[2] != NULL && args[2]->u.b;
	s = in->u.str.s;
	n = in->u.str.len;
	while (i < n) {
		const char *nl = memchr(s + i, '\n', n - i);
		size_t end = nl != NULL ? (size_t)(nl - s) : n, len = end - i;
		bool empty = true;

		if (len > 0 && s[end - 1] == '\r' && nl != NULL)
			len--;
		for (size_t k = i; k < i + len; k++)
			if (!template_filters_ws((unsigned char)s[k]))
				empty = false;
		if (firstline) {
			if (first)
				strbuf_add(&sb, pre, pren);
			firstline = false;
		} else {
			strbuf_addch(&sb, '\n');
			if (blank || !empty)
				strbuf_add(&sb, pre, pren);
		}
		strbuf_add(&sb, s + i, len);
		i = nl != NULL ? end + 1 : n;
	}
	*out = tvalue_string_from_strbuf(&sb);
	return 0;
}

TEMPLATE_FILTERS_FN(template_filters_as_str)
{
	struct strbuf sb = STRBUF_INIT;

	(void)args;
	(void)msg;
	(void)msgsz;
	tvalue_render(in, &sb);
	*out = tvalue_string_from_strbuf(&sb);
	return 0;
}

#define WANT_NUMBER(in) do { \
	if (!tvalue_is_number(in)) \
		return template_filters_fail(msg, msgsz, "expected a number, " \
		    "found %s", tvalue_type_name((in)->type)); \
} while (0)

TEMPLATE_FILTERS_FN(template_filters_round)
{
	const char *method = "common";
	double x, mul = 1;

	WANT_NUMBER(in);
	ARG_STRING(0, "method");
	if (args[0] != NULL)
		method = args[0]->u.str.s;
	if (args[1] != NULL) {
		if (args[1]->type != TVALUE_INT || args[1]->u.i < 0 ||
		    args[1]->u.i > 300)
			return template_filters_fail(msg, msgsz, "`precision` "
			    "must be an integer from 0 to 300");
		mul = pow(10.0, (double)args[1]->u.i);
	}
	x = tvalue_as_double(in) * mul;
	if (strcmp(method, "common") == 0)
		x = round(x);
	else if (strcmp(method, "ceil") == 0)
		x = ceil(x);
	else if (strcmp(method, "floor") == 0)
		x = floor(x);
	else
		return template_filters_fail(msg, msgsz, "received an incorrect "
		    "value for arg `method`: got `\"%.40s\"`, only common, ceil "
		    "and floor are allowed", method);
	*out = tvalue_double(x / mul);
	return 0;
}

TEMPLATE_FILTERS_FN(template_filters_abs)
{
	(void)args;
	WANT_NUMBER(in);
	if (in->type == TVALUE_INT) {
		if (in->u.i == INT64_MIN)
			return template_filters_fail(msg, msgsz, "integer "
			    "overflow");
		*out = tvalue_int(in->u.i < 0 ? -in->u.i : in->u.i);
	} else
		*out = tvalue_double(fabs(in->u.d));
	return 0;
}

/* humansize's CONVENTIONAL (Tera 1.17 and the corpus): powers of 1024
 * named KB, MB, ...; two decimals unless the value is whole. `binary` is
 * accepted and, as in the corpus, changes nothing. */
TEMPLATE_FILTERS_FN(template_filters_filesizeformat)
{
	static const char *const units[] = { "KB", "MB", "GB", "TB", "PB",
		"EB", "ZB", "YB" };
	char buf[64];
	double size;
	int u = -1;

	if (in->type != TVALUE_INT || in->u.i < 0)
		return template_filters_fail(msg, msgsz, "expected a "
		    "non-negative integer, found %s",
		    tvalue_type_name(in->type));
	if (args[0] != NULL && args[0]->type != TVALUE_BOOL)
		return template_filters_fail(msg, msgsz, "`binary` must be a "
		    "boolean");
	size = (double)in->u.i;
	if (size < 1024) {
		snprintf(buf, sizeof buf, "%lld B", (long long)in->u.i);
		*out = tvalue_string(buf);
		return 0;
	}
	while (size >= 1024 && u < 7) {
		size /= 1024;
		u++;
	}
	if (size == floor(size))
		snprintf(buf, sizeof buf, "%.0f %s", size, units[u]);
	else
		snprintf(buf, sizeof buf, "%.2f %s", size, units[u]);
	*out = tvalue_string(buf);
	return 0;
}

/* d truncates to an int64 without overflow. */
static bool
template_filters_in_int64(double d)
{
	return isfinite(d) && d > -9223372036854775808.0 &&
	    d < 9223372036854775808.0;
}

TEMPLATE_FILTERS_FN(template_filters_int)
{
	int64_t def = 0, base = 10;

	if (args[0] != NULL) {
		if (args[0]->type != TVALUE_INT)
			return template_filters_fail(msg, msgsz, "`default` must "
			    "be an integer");
		def = args[0]->u.i;
	}
	if (args[1] != NULL) {
		if (args[1]->type != TVALUE_INT || args[1]->u.i < 2 ||
		    args[1]->u.i > 36)
			return template_filters_fail(msg, msgsz, "`base` must be "
			    "an integer from 2 to 36");
		base = args[1]->u.i;
	}
	switch (in->type) {
	case TVALUE_INT:
		*out = tvalue_int(in->u.i);
		return 0;
	case TVALUE_DOUBLE:
		*out = tvalue_int(template_filters_in_int64(in->u.d) ?
		    (int64_t)in->u.d : def);
		return 0;
	case TVALUE_STRING: {
		char tmp[128], *end;
		const char *s = in->u.str.s;
		size_t n = in->u.str.len;
		long long v;

		while (n > 0 && template_filters_ws((unsigned char)*s))
			s++, n--;
		while (n > 0 && template_filters_ws((unsigned char)s[n - 1]))
			n--;
		if (n >= 2 && s[0] == '0' && ((base == 16 && (s[1] == 'x')) ||
		    (base == 8 && s[1] == 'o') || (base == 2 && s[1] == 'b')))
			s += 2, n -= 2;
		if (n == 0 || n >= sizeof tmp) {
			*out = tvalue_int(def);
			return 0;
		}
		memcpy(tmp, s, n);
		tmp[n] = '\0';
		errno = 0;
		v = strtoll(tmp, &end, (int)base);
		if (*end == '\0' && errno == 0 && !template_filters_ws(
		    (unsigned char)tmp[0])) {
			*out = tvalue_int(v);
			return 0;
		}
		if (strchr(tmp, '.') != NULL) {
			double d = strtod(tmp, &end);

			if (*end == '\0' && template_filters_in_int64(d)) {
				*out = tvalue_int((int64_t)d);
				return 0;
			}
		}
		*out = tvalue_int(def);
		return 0;
	}
	default:
		return template_filters_fail(msg, msgsz, "expected a number or "
		    "a string, found %s", tvalue_type_name(in->type));
	}
}

TEMPLATE_FILTERS_FN(template_filters_float)
{
	double def = 0;

	if (args[0] != NULL) {
		if (!tvalue_is_number(args[0]))
			return template_filters_fail(msg, msgsz, "`default` must "
			    "be a number");
		def = tvalue_as_double(args[0]);
	}
	switch (in->type) {
	case TVALUE_INT:
	case TVALUE_DOUBLE:
		*out = tvalue_double(tvalue_as_double(in));
		return 0;
	case TVALUE_STRING: {
		char tmp[128], *end;
		const char *s = in->u.str.s;
		size_t n = in->u.str.len;
		double d;

		while (n > 0 && template_filters_ws((unsigned char)*s))
			s++, n--;
		while (n > 0 && template_filters_ws((unsigned char)s[n - 1]))
			n--;
		if (n == 0 || n >= sizeof tmp) {
			*out = tvalue_double(def);
			return 0;
		}
		memcpy(tmp, s, n);
		tmp[n] = '\0';
		d = strtod(tmp, &end);
		*out = tvalue_double(*end == '\0' ? d : def);
		return 0;
	}
	default:
		return template_filters_fail(msg, msgsz, "expected a number or "
		    "a string, found %s", tvalue_type_name(in->type));
	}
}

/* Perl classes to POSIX bracket expressions; the rest is copied. */
static void
template_filters_regex_posix(const char *re, size_t n, struct strbuf *sb)
{
	for (size_t i = 0; i < n; i++) {
		if (re[i] == '\\' && i + 1 < n) {
			const char *cls = NULL;

			switch (re[i + 1]) {
			case 'd': cls = "[0-9]"; break;
			case 'D': cls = "[^0-9]"; break;
			case 'w': cls = "[A-Za-z0-9_]"; break;
			case 'W': cls = "[^A-Za-z0-9_]"; break;
			case 's': cls = "[[:space:]]"; break;
			case 'S': cls = "[^[:space:]]"; break;
			default: break;
			}
			if (cls != NULL) {
				strbuf_addstr(sb, cls);
				i++;
				continue;
			}
			strbuf_add(sb, re + i, 2);
			i++;
			continue;
		}
		strbuf_addch(sb, re[i]);
	}
}

TEMPLATE_TESTS_FN(template_filters_t_matching)
{
	struct strbuf pat = STRBUF_INIT;
	regex_t re;
	int rc;

	WANT_STRING(in);
	if (args[0]->type != TVALUE_STRING)
		return template_filters_fail(msg, msgsz, "`pat` must be a "
		    "string");
	template_filters_regex_posix(args[0]->u.str.s, args[0]->u.str.len,
	    &pat);
	rc = regcomp(&re, pat.buf != NULL ? pat.buf : "", REG_EXTENDED |
	    REG_NOSUB);
	strbuf_release(&pat);
	if (rc != 0)
		return template_filters_fail(msg, msgsz, "invalid regular "
		    "expression `%.60s`", args[0]->u.str.s);
	*out = regexec(&re, in->u.str.s, 0, NULL, 0) == 0;
	regfree(&re);
	return 0;
}
