/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * escape.c - escaped file names for human output (see escape.h).
 */
#include <stdlib.h>
#include <string.h>

#include "escape.h"
#include "message.h"
#include "strbuf.h"
#include "xmalloc.h"

/* One byte that is a control or not UTF-8, escaped. */
static void
escape_byte(struct strbuf *sb, unsigned char c)
{
	if (c == '\n')
		strbuf_addstr(sb, "\\n");
	else if (c == '\t')
		strbuf_addstr(sb, "\\t");
	else if (c == '\r')
		strbuf_addstr(sb, "\\r");
	else
		strbuf_addf(sb, "\\x%02x", c);
}

/* The valid UTF-8 run [s, s + len): ASCII and C1 controls escaped. */
static void
escape_valid(struct strbuf *sb, const unsigned char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\\')
			strbuf_addstr(sb, "\\\\");
		else if (s[i] < 0x20 || s[i] == 0x7f)
			escape_byte(sb, s[i]);
		else if (s[i] == 0xc2 && i + 1 < len && s[i + 1] >= 0x80 &&
		    s[i + 1] <= 0x9f) {
			strbuf_addf(sb, "\\xc2\\x%02x", s[i + 1]);
			i++;
		} else
			strbuf_addch(sb, (char)s[i]);
	}
}

char *
escape_bytes(const char *s, size_t len)
{
	struct strbuf sb = STRBUF_INIT;
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	while (i < len) {
		size_t ok = msg_utf8_check(s + i, len - i);

		escape_valid(&sb, p + i, ok);
		i += ok;
		if (i < len)
			escape_byte(&sb, p[i++]);
	}
	return strbuf_detach(&sb, NULL);
}

char *
escape_text(const char *s)
{
	return escape_bytes(s != NULL ? s : "?", s != NULL ? strlen(s) : 1);
}

/* The value of one base64 digit, or -1. */
static int
escape_b64_digit(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* b64 (RFC 4648, padded or not) decoded into *out and *len (caller frees);
 * -1 on a bad digit. */
static int
escape_b64_decode(const char *b64, char **out, size_t *len)
{
	size_t n = strlen(b64), o = 0;
	unsigned acc = 0;
	int bits = 0;
	char *buf = xmalloc(n / 4 * 3 + 3);

	for (size_t i = 0; i < n && b64[i] != '='; i++) {
		int d = escape_b64_digit(b64[i]);

		if (d < 0) {
			free(buf);
			return -1;
		}
		acc = (acc << 6) | (unsigned)d;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			buf[o++] = (char)((acc >> bits) & 0xff);
		}
	}
	*out = buf;
	*len = o;
	return 0;
}

/* The exact bytes of b (a base64 twin) escaped when it decodes, else v's
 * text escaped; either may be NULL. */
static char *
escape_shown(const cJSON *v, const cJSON *b)
{
	char *raw, *shown;
	size_t len;

	if (cJSON_IsString(b) && escape_b64_decode(b->valuestring, &raw,
	    &len) == 0) {
		shown = escape_bytes(raw, len);
		free(raw);
		return shown;
	}
	return escape_text(cJSON_IsString(v) ? v->valuestring : NULL);
}

char *
escape_member(const cJSON *obj, const char *name)
{
	char *twin = xasprintf("%s_b64", name);
	char *shown = escape_shown(cJSON_GetObjectItemCaseSensitive(obj, name),
	    cJSON_GetObjectItemCaseSensitive(obj, twin));

	free(twin);
	return shown;
}

char *
escape_member_at(const cJSON *obj, const char *name, int i)
{
	char *twin = xasprintf("%s_b64", name);
	char *shown = escape_shown(cJSON_GetArrayItem(
	    cJSON_GetObjectItemCaseSensitive(obj, name), i),
	    cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(obj, twin), i));

	free(twin);
	return shown;
}
