/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * statemap.h - the text of state files that are one flat JSON object of
 * string members ({"NAME":"VALUE",...}), such as engine-cache.json: so
 * the tables that own those files (daemon/engine_cache.c) keep no JSON
 * code. Names and values are any bytes but NUL, kept as they are. Pure:
 * no I/O; any thread.
 */
#ifndef GGEN_STATEMAP_H
#define GGEN_STATEMAP_H

#include <stddef.h>

/* One member: name and value borrowed for the call. */
typedef void (*statemap_put_fn)(void *arg, const char *name,
    const char *value);

/* Call put for each string member of the object in text (len bytes), in
 * order; members of other types are skipped. -1 when text is not a JSON
 * object (nothing is put), else 0. */
int statemap_parse(const char *text, size_t len, statemap_put_fn put,
    void *arg);

/* The object of the n pairs (borrowed) as one line of text, without a
 * newline (caller frees). */
char *statemap_print(const char *const *names, const char *const *values,
    size_t n);

#endif
