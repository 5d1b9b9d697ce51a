/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * toml.h - a TOML 1.0 parser producing a position-annotated tree.
 *
 * One struct toml_doc owns every node and every string of one parsed
 * document (an arena); nodes are read-only for callers and live until
 * toml_doc_free. Children keep source order. Every node records the line:col
 * (1-based, byte column) of its key (0 for array elements and the root) and
 * of its value (for a table: its header or its first mention).
 *
 * Strings and keys are NUL-terminated for convenience but may hold NUL bytes
 * ("\u0000"): use the _len fields. All strings are valid UTF-8.
 *
 * Caps: nesting (tables, arrays, inline tables and every part of a dotted key
 * or a [header]) is limited to TOML_MAX_DEPTH levels, so consumers may recurse
 * over a tree safely. The input size is the caller's to bound.
 *
 * Thread: a doc may be read from any thread; nothing here has global state.
 */
#ifndef GGEN_TOML_H
#define GGEN_TOML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gerr.h"

#define TOML_MAX_DEPTH 128

enum toml_type {
	TOML_TABLE,
	TOML_ARRAY,
	TOML_STRING,
	TOML_INTEGER,
	TOML_FLOAT,
	TOML_BOOL,
	TOML_DATETIME,		/* offset date-time */
	TOML_DATETIME_LOCAL,
	TOML_DATE_LOCAL,
	TOML_TIME_LOCAL,
};

/* How a table came to exist; TOML's redefinition rules depend on it. */
enum toml_table_kind {
	TOML_TABLE_IMPLICIT,	/* created as a parent by a [a.b] header */
	TOML_TABLE_EXPLICIT,	/* [header], [[header]] element, or the root */
	TOML_TABLE_DOTTED,	/* created by a dotted key a.b = 1 */
	TOML_TABLE_INLINE,	/* { ... }: closed, never extended */
};

struct toml_datetime {
	int year, month, day;	/* valid when the kind has a date */
	int hour, minute, second;
	int nanosecond;		/* fraction, truncated to 9 digits */
	int frac_digits;	/* digits written in the source (0 = none) */
	int offset_min;		/* TOML_DATETIME only: minutes east of UTC */
	bool offset_z;		/* written as Z (offset_min is 0) */
};

struct toml_node {
	enum toml_type type;
	enum toml_table_kind kind;	/* tables only */
	bool aot;		/* arrays only: built by [[header]] */
	int depth;		/* root = 0 */
	const char *key;	/* NULL for array elements and the root */
	size_t key_len;
	int key_line, key_col;
	int line, col;		/* where the value starts */
	union {
		struct {
			struct toml_node **items;
			size_t len, cap;
			uint32_t *index;	/* hash of child keys, big tables */
			size_t index_cap;
		} c;			/* TOML_TABLE, TOML_ARRAY */
		struct {
			const char *ptr;
			size_t len;
		} s;			/* TOML_STRING */
		int64_t i;
		double f;
		bool b;
		struct toml_datetime dt;
	} u;
};

struct toml_doc;

/*
 * Parse len bytes of buf (NUL bytes allowed; a leading UTF-8 BOM is skipped).
 * filename is only used in err (borrowed for the call; may be NULL).
 * On success *out is a new doc (caller frees with toml_doc_free).
 * Errors: GERR_PARSE (syntax, encoding, redefinition) or GERR_LIMIT (nesting
 * over TOML_MAX_DEPTH), with line:col and a message naming what was expected
 * or which key clashed; *out is NULL. Any thread.
 */
int toml_parse(const char *buf, size_t len, const char *filename,
    struct toml_doc **out, struct gerr *err);

/* Free doc and all its nodes. doc may be NULL. */
void toml_doc_free(struct toml_doc *doc);

/* The root table; borrowed until toml_doc_free. */
const struct toml_node *toml_doc_root(const struct toml_doc *doc);

/* Child of a table by key, or NULL (also when node is not a table). */
const struct toml_node *toml_get(const struct toml_node *table,
    const char *key);
const struct toml_node *toml_getn(const struct toml_node *table,
    const char *key, size_t key_len);

/* Children of a table or array in source order (0 for scalars). */
size_t toml_len(const struct toml_node *node);
const struct toml_node *toml_at(const struct toml_node *node, size_t i);

/* "table", "array", "string", "integer", "float", "bool", "datetime", ... */
const char *toml_type_name(enum toml_type type);

/*
 * Format a date/time value the RFC 3339 way into buf (at least 40 bytes):
 * "1979-05-27T07:32:00.5-07:00", "07:32:00", ... Returns buf.
 */
const char *toml_datetime_format(const struct toml_node *node, char *buf,
    size_t size);

#endif
