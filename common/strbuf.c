/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * strbuf.c - growable NUL-terminated byte buffers.
 *
 * Invariant: buf[len] == '\0' and len < cap whenever cap > 0; when cap == 0
 * buf is the shared read-only-by-convention strbuf_empty and len == 0.
 * Growth doubles, so appending n bytes one at a time is O(n).
 */
#include "strbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"

char strbuf_empty[1];

void
strbuf_init(struct strbuf *sb)
{
	sb->buf = strbuf_empty;
	sb->len = sb->cap = 0;
}

void
strbuf_release(struct strbuf *sb)
{
	if (sb->cap > 0)
		free(sb->buf);
	strbuf_init(sb);
}

char *
strbuf_detach(struct strbuf *sb, size_t *len)
{
	char *p;

	if (len != NULL)
		*len = sb->len;
	p = sb->cap > 0 ? sb->buf : xstrdup("");
	strbuf_init(sb);
	return p;
}

static void
strbuf_die_overflow(void)
{
	fprintf(stderr, "fatal: strbuf size overflow\n");
	abort();
}

void
strbuf_grow(struct strbuf *sb, size_t extra)
{
	size_t need, cap;

	if (extra > (size_t)-1 - sb->len - 1)
		strbuf_die_overflow();
	need = sb->len + extra + 1;
	if (need <= sb->cap)
		return;
	cap = sb->cap < 64 ? 64 : sb->cap;
	while (cap < need) {
		if (cap > (size_t)-1 / 2)
			strbuf_die_overflow();
		cap *= 2;
	}
	if (sb->cap == 0) {
		sb->buf = xmalloc(cap);
		sb->buf[0] = '\0';
	} else
		sb->buf = xrealloc(sb->buf, cap);
	sb->cap = cap;
}

void
strbuf_reset(struct strbuf *sb)
{
	strbuf_truncate(sb, 0);
}

void
strbuf_truncate(struct strbuf *sb, size_t len)
{
	if (sb->cap == 0 || len >= sb->len)
		return;
	sb->len = len;
	sb->buf[len] = '\0';
}

void
strbuf_add(struct strbuf *sb, const void *data, size_t len)
{
	if (len == 0)
		return;
	strbuf_grow(sb, len);
	memcpy(sb->buf + sb->len, data, len);
	sb->len += len;
	sb->buf[sb->len] = '\0';
}

void
strbuf_addstr(struct strbuf *sb, const char *s)
{
	strbuf_add(sb, s, strlen(s));
}

void
strbuf_addch(struct strbuf *sb, int c)
{
	char ch = (char)c;

	strbuf_add(sb, &ch, 1);
}

void
strbuf_vaddf(struct strbuf *sb, const char *fmt, va_list ap)
{
	va_list ap2;
	int n;

	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n <= 0)
		return;
	strbuf_grow(sb, (size_t)n);
	vsnprintf(sb->buf + sb->len, (size_t)n + 1, fmt, ap);
	sb->len += (size_t)n;
}

void
strbuf_addf(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	strbuf_vaddf(sb, fmt, ap);
	va_end(ap);
}

void
strbuf_consume(struct strbuf *sb, size_t n)
{
	if (n == 0 || sb->cap == 0)
		return;
	if (n >= sb->len) {
		strbuf_truncate(sb, 0);
		return;
	}
	memmove(sb->buf, sb->buf + n, sb->len - n);
	sb->len -= n;
	sb->buf[sb->len] = '\0';
}

void
strbuf_add_json_str(struct strbuf *sb, const char *s, size_t len)
{
	/* The two-character escapes of the control bytes, by byte value. */
	static const char ctl[0x20] = { ['\b'] = 'b', ['\t'] = 't',
	    ['\n'] = 'n', ['\f'] = 'f', ['\r'] = 'r' };
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;
	size_t i, run = 0;
	char esc[6] = { '\\', 'u', '0', '0' };

	strbuf_grow(sb, len + 2);
	strbuf_addch(sb, '"');
	for (i = 0; i < len; i++) {
		unsigned char c = p[i];

		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		strbuf_add(sb, p + run, i - run);
		run = i + 1;
		if (c >= 0x20 || ctl[c] != '\0') {
			char two[2] = { '\\', c >= 0x20 ? (char)c : ctl[c] };

			strbuf_add(sb, two, 2);
		} else {
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			strbuf_add(sb, esc, 6);
		}
	}
	strbuf_add(sb, p + run, len - run);
	strbuf_addch(sb, '"');
}
