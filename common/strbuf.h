/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * strbuf.h - a growable byte buffer that is always NUL-terminated.
 *
 * Ownership: a struct strbuf owns buf. STRBUF_INIT (or strbuf_init) makes an
 * empty buffer that allocates nothing until the first append; strbuf_release
 * frees and resets it; strbuf_detach hands buf to the caller (to free()) and
 * resets the strbuf. buf may contain NUL bytes; len is authoritative.
 * Allocation goes through xmalloc (never fails). Not thread-safe.
 */
#ifndef GGEN_STRBUF_H
#define GGEN_STRBUF_H

#include <stdarg.h>
#include <stddef.h>

struct strbuf {
	char *buf;	/* never NULL after init: points at "" when empty */
	size_t len;
	size_t cap;	/* 0 while buf points at the shared empty string */
};

extern char strbuf_empty[1];
#define STRBUF_INIT { strbuf_empty, 0, 0 }

void strbuf_init(struct strbuf *sb);
void strbuf_release(struct strbuf *sb);
/* Returns buf (caller frees; never NULL), leaves sb empty. */
char *strbuf_detach(struct strbuf *sb, size_t *len);
/* Make room for extra more bytes plus the NUL. */
void strbuf_grow(struct strbuf *sb, size_t extra);
void strbuf_reset(struct strbuf *sb);
void strbuf_add(struct strbuf *sb, const void *data, size_t len);
void strbuf_addstr(struct strbuf *sb, const char *s);
void strbuf_addch(struct strbuf *sb, int c);
void strbuf_addf(struct strbuf *sb, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void strbuf_vaddf(struct strbuf *sb, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
/* Drop the first n bytes (n <= len), shifting the rest down. */
void strbuf_consume(struct strbuf *sb, size_t n);
void strbuf_truncate(struct strbuf *sb, size_t len);
/*
 * Append s[0..len) as a JSON string, quotes included, escaped byte for
 * byte as cJSON's printer does (\" \\ \b \f \n \r \t, other bytes
 * below 0x20 as \u00xx, the rest as is), so a line written with it reads
 * the same as one cJSON printed. The caller checks s is valid UTF-8.
 */
void strbuf_add_json_str(struct strbuf *sb, const char *s, size_t len);

#endif
