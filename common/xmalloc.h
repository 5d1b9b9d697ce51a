/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xmalloc.h - the only allocation entry points in ggen.
 *
 * Every function here either succeeds or logs one line and aborts: callers
 * never check for NULL. Sizes are overflow-checked (nmemb * size). What a
 * function returns is the caller's to free() unless the caller's own API says
 * it hands it on.
 *
 * Callers bound what they allocate with configured caps; this file only
 * refuses the impossible (overflow) and dies on exhaustion.
 */
#ifndef GGEN_XMALLOC_H
#define GGEN_XMALLOC_H

#include <stdarg.h>
#include <stddef.h>

void *xmalloc(size_t size);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *ptr, size_t size);
void *xreallocarray(void *ptr, size_t nmemb, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
void *xmemdup(const void *p, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *xvasprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

#endif
