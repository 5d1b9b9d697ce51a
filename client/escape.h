/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * escape.h - file names and paths for ggenc's human output: one name is
 * one line and cannot move the cursor, whatever its bytes.
 *
 * Control bytes (0x00-0x1f, 0x7f) print as \n, \t, \r or \xNN, C1
 * controls (U+0080-U+009F) as their two bytes \xc2\xNN, bytes that are
 * not valid UTF-8 as \xNN and a backslash as \\. Valid UTF-8 text is kept.
 * Tools' own output (logs, run streams) is not passed through here: it is
 * program output, coloured on purpose.
 */
#ifndef GGEN_ESCAPE_H
#define GGEN_ESCAPE_H

#include <stddef.h>

#include <cjson/cJSON.h>

/* The len bytes at s, escaped (caller frees). */
char *escape_bytes(const char *s, size_t len);

/* The NUL-terminated s escaped (caller frees); NULL gives "?". */
char *escape_text(const char *s);

/*
 * The string member name of obj, escaped (caller frees); "?" when it is
 * absent or not a string. When the daemon sent a twin "NAME_b64" (the
 * exact bytes of a name that is not valid UTF-8, PROTOCOL.md "Text"),
 * those bytes are shown, not the U+FFFD-repaired text.
 */
char *escape_member(const cJSON *obj, const char *name);

/* Element i of the array member name of obj, escaped (caller frees); "?"
 * when it is absent or not a string. A twin array "NAME_b64" (a list of
 * file names, some not valid UTF-8) gives the exact bytes of the names
 * it has a string for. */
char *escape_member_at(const cJSON *obj, const char *name, int i);

#endif
