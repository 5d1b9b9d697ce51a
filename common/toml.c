/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * toml.c - TOML 1.0 parser and tree (see toml.h).
 *
 * Owns: one arena per document holding nodes and strings; child arrays and
 * key indexes are separate heap blocks freed by toml_doc_free.
 * Called by: common/make.c, the conformance decoder, the fuzz target, and
 * anything else that reads TOML (daemon settings).
 *
 * Invariants:
 *  - the whole input is checked as UTF-8 before parsing, so every string
 *    handed out is valid UTF-8;
 *  - no node is deeper than TOML_MAX_DEPTH; value parsing recurses only
 *    through arrays and inline tables, each level checked against the cap,
 *    so hostile input cannot exhaust the stack;
 *  - a table's child keys are unique; tables with many children carry an
 *    open-addressing index so lookups stay O(1) on huge tables.
 * Never: reads past buf + len, allocates other than through xmalloc.
 */
#include "toml.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"
#include "xmalloc.h"

#define TOML_ARENA_CHUNK 8192
/* Tables with at least this many children get a hash index. */
#define TOML_INDEX_MIN 12
#define TOML_KEY_PART_MAX TOML_MAX_DEPTH

struct toml_chunk {
	struct toml_chunk *next;
	size_t used, cap;
	max_align_t data[];
};

struct toml_doc {
	struct toml_chunk *chunks;
	struct toml_node *root;
};

struct toml_key {
	const char *ptr;	/* arena copy, NUL-terminated */
	size_t len;
	int line, col;
};

struct toml_parser {
	const char *buf;
	size_t len;
	size_t pos;
	int line;
	size_t line_start;
	const char *file;
	struct toml_doc *doc;
	struct toml_node *cur;	/* table receiving key = value lines */
	struct strbuf scratch;
	/* Keys of the statement being parsed: one buffer, not one per
	 * recursion level, because a key is fully resolved before its value
	 * (which may nest) is parsed. */
	struct toml_key keys[TOML_KEY_PART_MAX];
	struct gerr *err;
};

static void *
toml_alloc(struct toml_doc *doc, size_t size)
{
	struct toml_chunk *c = doc->chunks;
	size_t align = sizeof(max_align_t);
	void *p;

	size = (size + align - 1) / align * align;
	if (c == NULL || c->cap - c->used < size) {
		size_t cap = size > TOML_ARENA_CHUNK ? size : TOML_ARENA_CHUNK;

		c = xmalloc(sizeof(*c) + cap);
		c->used = 0;
		c->cap = cap;
		c->next = doc->chunks;
		doc->chunks = c;
	}
	p = (char *)c->data + c->used;
	c->used += size;
	return p;
}

static const char *
toml_strdup(struct toml_doc *doc, const char *s, size_t len)
{
	char *p = toml_alloc(doc, len + 1);

	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

static int
toml_col(const struct toml_parser *p, size_t pos)
{
	return (int)(pos - p->line_start) + 1;
}

__attribute__((format(printf, 4, 5)))
static int
toml_error_lc(struct toml_parser *p, int line, int col, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	gerr_vset_at(p->err, GERR_PARSE, p->file, line, col, fmt, ap);
	va_end(ap);
	return GERR_PARSE;
}

/* Error at byte pos, which must lie on the current line. */
#define toml_error(p, pos, ...) \
	toml_error_lc((p), (p)->line, toml_col((p), (pos)), __VA_ARGS__)

static int
toml_limit(struct toml_parser *p, size_t pos)
{
	return gerr_set_at(p->err, GERR_LIMIT, p->file, p->line,
	    toml_col(p, pos), "nesting deeper than %d levels", TOML_MAX_DEPTH);
}

/* Describe the byte at pos for messages: "end of input", "'x'", "0x01". */
static const char *
toml_what(const struct toml_parser *p, size_t pos, char *buf, size_t size)
{
	unsigned char c;

	if (pos >= p->len)
		return "end of input";
	c = (unsigned char)p->buf[pos];
	if (c == '\n')
		return "end of line";
	if (c == '\r')
		return "carriage return";
	if (c >= 0x20 && c < 0x7f)
		snprintf(buf, size, "'%c'", c);
	else
		snprintf(buf, size, "byte 0x%02x", c);
	return buf;
}

static const char *
toml_article(enum toml_type type)
{
	return type == TOML_ARRAY || type == TOML_INTEGER ? "an" : "a";
}

/* ---- UTF-8 ---------------------------------------------------------- */

/* Length of the valid UTF-8 sequence at s (n bytes available), or 0. */
static int
toml_utf8_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		return n >= 2 && (s[1] & 0xc0) == 0x80 ? 2 : 0;
	if (c >= 0xe0 && c <= 0xef) {
		if (n < 3 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80)
			return 0;
		if (c == 0xe0 && s[1] < 0xa0)
			return 0;	/* overlong */
		if (c == 0xed && s[1] >= 0xa0)
			return 0;	/* surrogate */
		return 3;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		if (n < 4 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80 ||
		    (s[3] & 0xc0) != 0x80)
			return 0;
		if (c == 0xf0 && s[1] < 0x90)
			return 0;
		if (c == 0xf4 && s[1] >= 0x90)
			return 0;
		return 4;
	}
	return 0;
}

static int
toml_check_utf8(struct toml_parser *p)
{
	const unsigned char *s = (const unsigned char *)p->buf;
	int line = 1;
	size_t line_start = 0;

	for (size_t i = 0; i < p->len;) {
		int n = toml_utf8_len(s + i, p->len - i);

		if (n == 0)
			return toml_error_lc(p, line, (int)(i - line_start) + 1,
			    "invalid UTF-8 byte 0x%02x", s[i]);
		if (s[i] == '\n') {
			line++;
			line_start = i + 1;
		}
		i += (size_t)n;
	}
	return 0;
}

static void
toml_utf8_put(struct strbuf *sb, uint32_t cp)
{
	char b[4];

	if (cp < 0x80) {
		strbuf_addch(sb, (int)cp);
	} else if (cp < 0x800) {
		b[0] = (char)(0xc0 | (cp >> 6));
		b[1] = (char)(0x80 | (cp & 0x3f));
		strbuf_add(sb, b, 2);
	} else if (cp < 0x10000) {
		b[0] = (char)(0xe0 | (cp >> 12));
		b[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		b[2] = (char)(0x80 | (cp & 0x3f));
		strbuf_add(sb, b, 3);
	} else {
		b[0] = (char)(0xf0 | (cp >> 18));
		b[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		b[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		b[3] = (char)(0x80 | (cp & 0x3f));
		strbuf_add(sb, b, 4);
	}
}

/* ---- tree ------------------------------------------------------------ */

static struct toml_node *
toml_node_new(struct toml_parser *p, enum toml_type type, int depth,
    int line, int col)
{
	struct toml_node *n = toml_alloc(p->doc, sizeof(*n));

	memset(n, 0, sizeof(*n));
	n->type = type;
	n->depth = depth;
	n->line = line;
	n->col = col;
	return n;
}

static uint32_t
toml_hash(const char *s, size_t len)
{
	uint32_t h = 2166136261u;	/* FNV-1a */

	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 16777619u;
	}
	return h;
}

static void
toml_index_insert(struct toml_node *t, uint32_t item)
{
	const struct toml_node *c = t->u.c.items[item];
	size_t mask = t->u.c.index_cap - 1;
	size_t i = toml_hash(c->key, c->key_len) & mask;

	while (t->u.c.index[i] != 0)
		i = (i + 1) & mask;
	t->u.c.index[i] = item + 1;	/* 0 marks an empty slot */
}

static void
toml_index_rebuild(struct toml_node *t)
{
	size_t cap = 32;

	while (cap < t->u.c.len * 2)
		cap *= 2;
	free(t->u.c.index);
	t->u.c.index = xcalloc(cap, sizeof(*t->u.c.index));
	t->u.c.index_cap = cap;
	for (size_t i = 0; i < t->u.c.len; i++)
		toml_index_insert(t, (uint32_t)i);
}

static void
toml_append(struct toml_node *parent, struct toml_node *child)
{
	struct toml_node *t = parent;

	if (t->u.c.len == t->u.c.cap) {
		t->u.c.cap = t->u.c.cap ? t->u.c.cap * 2 : 4;
		t->u.c.items = xreallocarray(t->u.c.items, t->u.c.cap,
		    sizeof(*t->u.c.items));
	}
	t->u.c.items[t->u.c.len++] = child;
	if (t->type != TOML_TABLE || t->u.c.len < TOML_INDEX_MIN)
		return;
	if (t->u.c.index == NULL || t->u.c.len * 2 > t->u.c.index_cap)
		toml_index_rebuild(t);
	else
		toml_index_insert(t, (uint32_t)(t->u.c.len - 1));
}

const struct toml_node *
toml_getn(const struct toml_node *t, const char *key, size_t key_len)
{
	if (t == NULL || t->type != TOML_TABLE)
		return NULL;
	if (t->u.c.index != NULL) {
		size_t mask = t->u.c.index_cap - 1;
		size_t i = toml_hash(key, key_len) & mask;

		for (; t->u.c.index[i] != 0; i = (i + 1) & mask) {
			const struct toml_node *c =
			    t->u.c.items[t->u.c.index[i] - 1];

			if (c->key_len == key_len &&
			    memcmp(c->key, key, key_len) == 0)
				return c;
		}
		return NULL;
	}
	for (size_t i = 0; i < t->u.c.len; i++) {
		const struct toml_node *c = t->u.c.items[i];

		if (c->key_len == key_len && memcmp(c->key, key, key_len) == 0)
			return c;
	}
	return NULL;
}

const struct toml_node *
toml_get(const struct toml_node *t, const char *key)
{
	return toml_getn(t, key, strlen(key));
}

static struct toml_node *
toml_lookup(struct toml_node *t, const struct toml_key *k)
{
	return (struct toml_node *)toml_getn(t, k->ptr, k->len);
}

size_t
toml_len(const struct toml_node *n)
{
	if (n == NULL || (n->type != TOML_TABLE && n->type != TOML_ARRAY))
		return 0;
	return n->u.c.len;
}

const struct toml_node *
toml_at(const struct toml_node *n, size_t i)
{
	return i < toml_len(n) ? n->u.c.items[i] : NULL;
}

const char *
toml_type_name(enum toml_type type)
{
	switch (type) {
	case TOML_TABLE: return "table";
	case TOML_ARRAY: return "array";
	case TOML_STRING: return "string";
	case TOML_INTEGER: return "integer";
	case TOML_FLOAT: return "float";
	case TOML_BOOL: return "bool";
	case TOML_DATETIME: return "datetime";
	case TOML_DATETIME_LOCAL: return "datetime-local";
	case TOML_DATE_LOCAL: return "date-local";
	case TOML_TIME_LOCAL: return "time-local";
	}
	return "?";
}

const struct toml_node *
toml_doc_root(const struct toml_doc *doc)
{
	return doc->root;
}

/* Depth is capped, so this recursion is bounded by TOML_MAX_DEPTH. */
static void
toml_node_release(struct toml_node *n)
{
	if (n->type != TOML_TABLE && n->type != TOML_ARRAY)
		return;
	for (size_t i = 0; i < n->u.c.len; i++)
		toml_node_release(n->u.c.items[i]);
	free(n->u.c.items);
	free(n->u.c.index);
}

void
toml_doc_free(struct toml_doc *doc)
{
	struct toml_chunk *c, *next;

	if (doc == NULL)
		return;
	if (doc->root != NULL)
		toml_node_release(doc->root);
	for (c = doc->chunks; c != NULL; c = next) {
		next = c->next;
		free(c);
	}
	free(doc);
}

/* ---- lexing helpers ------------------------------------------------- */

static int
toml_peek(const struct toml_parser *p, size_t off)
{
	return p->pos + off < p->len ? (unsigned char)p->buf[p->pos + off] : -1;
}

static void
toml_skip_ws(struct toml_parser *p)
{
	while (p->pos < p->len && (p->buf[p->pos] == ' ' ||
	    p->buf[p->pos] == '\t'))
		p->pos++;
}

static void
toml_newline(struct toml_parser *p)
{
	p->line++;
	p->line_start = p->pos;
}

/* A comment from '#' to the end of the line (newline not consumed). */
static int
toml_skip_comment(struct toml_parser *p)
{
	if (toml_peek(p, 0) != '#')
		return 0;
	for (p->pos++; p->pos < p->len; p->pos++) {
		unsigned char c = (unsigned char)p->buf[p->pos];

		if (c == '\n')
			break;
		if (c == '\r' && toml_peek(p, 1) == '\n')
			break;
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return toml_error(p, p->pos,
			    "control character 0x%02x in comment", c);
	}
	return 0;
}

/* Consume one newline (LF or CRLF) if present; 1 if consumed. */
static int
toml_eat_newline(struct toml_parser *p)
{
	if (toml_peek(p, 0) == '\n') {
		p->pos++;
		toml_newline(p);
		return 1;
	}
	if (toml_peek(p, 0) == '\r' && toml_peek(p, 1) == '\n') {
		p->pos += 2;
		toml_newline(p);
		return 1;
	}
	return 0;
}

/* Whitespace, comments and newlines (inside arrays, between lines). */
static int
toml_skip_ws_nl(struct toml_parser *p)
{
	int rc;

	for (;;) {
		toml_skip_ws(p);
		if ((rc = toml_skip_comment(p)) != 0)
			return rc;
		if (!toml_eat_newline(p))
			return 0;
	}
}

/* After a key = value or a header: only a comment, then EOL or EOF. */
static int
toml_expect_eol(struct toml_parser *p)
{
	char w[16];
	int rc;

	toml_skip_ws(p);
	if ((rc = toml_skip_comment(p)) != 0)
		return rc;
	if (p->pos >= p->len || toml_eat_newline(p))
		return 0;
	return toml_error(p, p->pos, "expected end of line, found %s",
	    toml_what(p, p->pos, w, sizeof(w)));
}

/* ---- strings -------------------------------------------------------- */

static int
toml_hex(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int
toml_escape(struct toml_parser *p, struct strbuf *sb)
{
	size_t start = p->pos;	/* at the backslash */
	int c = toml_peek(p, 1);
	int ndig;
	uint32_t cp = 0;

	switch (c) {
	case 'b': strbuf_addch(sb, '\b'); p->pos += 2; return 0;
	case 't': strbuf_addch(sb, '\t'); p->pos += 2; return 0;
	case 'n': strbuf_addch(sb, '\n'); p->pos += 2; return 0;
	case 'f': strbuf_addch(sb, '\f'); p->pos += 2; return 0;
	case 'r': strbuf_addch(sb, '\r'); p->pos += 2; return 0;
	case '"': strbuf_addch(sb, '"'); p->pos += 2; return 0;
	case '\\': strbuf_addch(sb, '\\'); p->pos += 2; return 0;
	case 'u': ndig = 4; break;
	case 'U': ndig = 8; break;
	default:
		if (c >= 0x20 && c < 0x7f)
			return toml_error(p, start, "invalid escape '\\%c'", c);
		return toml_error(p, start, "invalid escape sequence");
	}
	for (int i = 0; i < ndig; i++) {
		int h = toml_hex(toml_peek(p, 2 + (size_t)i));

		if (h < 0)
			return toml_error(p, start,
			    "\\%c needs %d hex digits", c, ndig);
		cp = cp << 4 | (uint32_t)h;
	}
	if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return toml_error(p, start,
		    "escape \\%c is not a Unicode scalar value", c);
	toml_utf8_put(sb, cp);
	p->pos += 2 + (size_t)ndig;
	return 0;
}

static bool
toml_is_ctrl(unsigned char c)
{
	return (c < 0x20 && c != '\t') || c == 0x7f;
}

/* Parse a string at p->pos into p->scratch; kind from the opening quotes. */
static int
toml_string(struct toml_parser *p, bool allow_multi)
{
	struct strbuf *sb = &p->scratch;
	char q = p->buf[p->pos];
	bool multi = false;
	size_t start = p->pos;
	int start_line = p->line, start_col = toml_col(p, start);
	int rc;

	strbuf_reset(sb);
	if (toml_peek(p, 1) == q && toml_peek(p, 2) == q) {
		if (!allow_multi)
			return toml_error(p, start,
			    "multi-line string not allowed as a key");
		multi = true;
		p->pos += 3;
		/* A newline right after the opening quotes is trimmed. */
		toml_eat_newline(p);
	} else {
		p->pos++;
	}
	for (;;) {
		unsigned char c;

		if (p->pos >= p->len)
			return toml_error_lc(p, start_line, start_col,
			    "unterminated string");
		c = (unsigned char)p->buf[p->pos];
		if (c == (unsigned char)q) {
			if (!multi) {
				p->pos++;
				return 0;
			}
			if (toml_peek(p, 1) == q && toml_peek(p, 2) == q) {
				/* Up to two quotes may precede the closing three. */
				int extra = 0;

				while (extra < 2 && toml_peek(p, 3 +
				    (size_t)extra) == q)
					extra++;
				strbuf_add(sb, p->buf + p->pos, (size_t)extra);
				p->pos += 3 + (size_t)extra;
				return 0;
			}
			strbuf_addch(sb, c);
			p->pos++;
			continue;
		}
		if (c == '\\' && q == '"') {
			if (multi) {
				/* Line-ending backslash: trim to next non-ws. */
				size_t j = p->pos + 1;

				while (j < p->len && (p->buf[j] == ' ' ||
				    p->buf[j] == '\t'))
					j++;
				if (j < p->len && (p->buf[j] == '\n' ||
				    (p->buf[j] == '\r' && j + 1 < p->len &&
				    p->buf[j + 1] == '\n'))) {
					p->pos = j;
					for (;;) {
						toml_skip_ws(p);
						if (!toml_eat_newline(p))
							break;
					}
					continue;
				}
			}
			if ((rc = toml_escape(p, sb)) != 0)
				return rc;
			continue;
		}
		if (c == '\n' || (c == '\r' && toml_peek(p, 1) == '\n')) {
			if (!multi)
				return toml_error(p, p->pos,
				    "newline in single-line string");
			if (c == '\r')
				p->pos++;
			strbuf_addch(sb, '\n');
			p->pos++;
			toml_newline(p);
			continue;
		}
		if (toml_is_ctrl(c))
			return toml_error(p, p->pos,
			    "control character 0x%02x in string", c);
		{
			/* Copy a run of plain bytes at once. */
			size_t e = p->pos + 1;

			while (e < p->len) {
				unsigned char d = (unsigned char)p->buf[e];

				if (d == (unsigned char)q || d == '\\' ||
				    toml_is_ctrl(d))
					break;
				e++;
			}
			strbuf_add(sb, p->buf + p->pos, e - p->pos);
			p->pos = e;
		}
	}
}

/* ---- keys ----------------------------------------------------------- */

static bool
toml_is_bare(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '_' || c == '-';
}

/* Parse a (dotted) key into keys[]; stops before '=' or ']'. */
static int
toml_key(struct toml_parser *p, int *nkeys, int depth)
{
	struct toml_key *keys = p->keys;
	char w[16];
	int rc, n = 0;

	for (;;) {
		struct toml_key *k;
		int c;

		toml_skip_ws(p);
		c = toml_peek(p, 0);
		if (depth + n + 1 > TOML_MAX_DEPTH)
			return toml_limit(p, p->pos);
		k = &keys[n];
		k->line = p->line;
		k->col = toml_col(p, p->pos);
		if (c == '"' || c == '\'') {
			if ((rc = toml_string(p, false)) != 0)
				return rc;
			k->len = p->scratch.len;
			k->ptr = toml_strdup(p->doc, p->scratch.buf, k->len);
		} else if (toml_is_bare(c)) {
			size_t s = p->pos;

			while (toml_is_bare(toml_peek(p, 0)))
				p->pos++;
			k->len = p->pos - s;
			k->ptr = toml_strdup(p->doc, p->buf + s, k->len);
		} else {
			return toml_error(p, p->pos, "expected a key, found %s",
			    toml_what(p, p->pos, w, sizeof(w)));
		}
		n++;
		toml_skip_ws(p);
		if (toml_peek(p, 0) != '.')
			break;
		p->pos++;
	}
	*nkeys = n;
	return 0;
}

static void
toml_keyname(const struct toml_key *keys, int n, char *buf, size_t size)
{
	size_t off = 0;

	buf[0] = '\0';
	for (int i = 0; i < n && off + 1 < size; i++) {
		int w = snprintf(buf + off, size - off, "%s%.*s",
		    i ? "." : "", (int)keys[i].len, keys[i].ptr);

		if (w < 0)
			break;
		off += (size_t)w;
		if (off >= size)
			break;
	}
}

static struct toml_node *
toml_new_child(struct toml_parser *p, struct toml_node *parent,
    enum toml_type type, const struct toml_key *k)
{
	struct toml_node *n = toml_node_new(p, type, parent->depth + 1,
	    k->line, k->col);

	n->key = k->ptr;
	n->key_len = k->len;
	n->key_line = k->line;
	n->key_col = k->col;
	toml_append(parent, n);
	return n;
}

/* ---- values --------------------------------------------------------- */

static int toml_value(struct toml_parser *p, struct toml_node *n);

static bool
toml_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

static int
toml_num2(const char *s)
{
	return (s[0] - '0') * 10 + (s[1] - '0');
}

static bool
toml_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Parse HH:MM:SS[.frac] at s (n bytes); returns bytes used or 0. */
static size_t
toml_time(const char *s, size_t n, struct toml_datetime *dt)
{
	size_t i = 8;

	if (n < 8 || !toml_digits(s, 2) || s[2] != ':' ||
	    !toml_digits(s + 3, 2) || s[5] != ':' || !toml_digits(s + 6, 2))
		return 0;
	dt->hour = toml_num2(s);
	dt->minute = toml_num2(s + 3);
	dt->second = toml_num2(s + 6);
	if (dt->hour > 23 || dt->minute > 59 || dt->second > 60)
		return 0;
	if (i < n && s[i] == '.') {
		int d = 0;

		i++;
		while (i < n && s[i] >= '0' && s[i] <= '9') {
			if (d < 9)
				dt->nanosecond = dt->nanosecond * 10 +
				    (s[i] - '0');
			d++;
			i++;
		}
		if (d == 0)
			return 0;
		for (int k = d; k < 9; k++)
			dt->nanosecond *= 10;
		dt->frac_digits = d;
	}
	return i;
}

static int
toml_datetime(struct toml_parser *p, struct toml_node *n, const char *s,
    size_t len, size_t start)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
		30, 31 };
	struct toml_datetime *dt = &n->u.dt;
	size_t i;

	memset(dt, 0, sizeof(*dt));
	if (len >= 3 && s[2] == ':') {
		if (toml_time(s, len, dt) != len)
			goto bad;
		n->type = TOML_TIME_LOCAL;
		return 0;
	}
	if (len < 10 || !toml_digits(s, 4) || s[4] != '-' ||
	    !toml_digits(s + 5, 2) || s[7] != '-' || !toml_digits(s + 8, 2))
		goto bad;
	dt->year = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + toml_num2(s + 2);
	dt->month = toml_num2(s + 5);
	dt->day = toml_num2(s + 8);
	if (dt->month < 1 || dt->month > 12 || dt->day < 1)
		goto bad;
	if (dt->day > mdays[dt->month - 1] + (dt->month == 2 &&
	    toml_leap(dt->year)))
		goto bad;
	if (len == 10) {
		n->type = TOML_DATE_LOCAL;
		return 0;
	}
	if (s[10] != 'T' && s[10] != 't' && s[10] != ' ')
		goto bad;
	i = toml_time(s + 11, len - 11, dt);
	if (i == 0)
		goto bad;
	i += 11;
	if (i == len) {
		n->type = TOML_DATETIME_LOCAL;
		return 0;
	}
	if ((s[i] == 'Z' || s[i] == 'z') && i + 1 == len) {
		dt->offset_z = true;
		n->type = TOML_DATETIME;
		return 0;
	}
	if ((s[i] == '+' || s[i] == '-') && len - i == 6 &&
	    toml_digits(s + i + 1, 2) && s[i + 3] == ':' &&
	    toml_digits(s + i + 4, 2)) {
		int h = toml_num2(s + i + 1), m = toml_num2(s + i + 4);

		if (h > 23 || m > 59)
			goto bad;
		dt->offset_min = (s[i] == '-' ? -1 : 1) * (h * 60 + m);
		n->type = TOML_DATETIME;
		return 0;
	}
bad:
	return toml_error(p, start, "invalid date/time '%.*s'", (int)len, s);
}

/* Copy digits of s[0..n) to out without '_', checking '_' sits between
 * digits (of the given base). Returns the copied length or -1. */
static long
toml_strip(const char *s, size_t n, int base, char *out)
{
	long o = 0;

	for (size_t i = 0; i < n; i++) {
		int d = toml_hex(s[i]);

		if (s[i] == '_') {
			if (i == 0 || i + 1 == n || toml_hex(s[i - 1]) < 0 ||
			    toml_hex(s[i + 1]) < 0)
				return -1;
			continue;
		}
		if (d < 0 || d >= base)
			return -1;
		out[o++] = s[i];
	}
	return o;
}

static int
toml_number(struct toml_parser *p, struct toml_node *n, const char *s,
    size_t len, size_t start)
{
	char buf[512];
	const char *q = s;
	size_t qn = len;
	bool neg = false, is_float = false;
	size_t i, int_end, o = 0;

	if (len >= sizeof(buf) - 1)
		goto bad;
	if (*q == '+' || *q == '-') {
		neg = *q == '-';
		q++;
		qn--;
	}
	if (qn == 3 && (memcmp(q, "inf", 3) == 0 || memcmp(q, "nan", 3) == 0)) {
		n->type = TOML_FLOAT;
		n->u.f = q[0] == 'i' ? INFINITY : NAN;
		if (neg)
			n->u.f = -n->u.f;
		return 0;
	}
	if (qn > 2 && q[0] == '0' && (q[1] == 'x' || q[1] == 'o' ||
	    q[1] == 'b')) {
		int base = q[1] == 'x' ? 16 : q[1] == 'o' ? 8 : 2;
		long m;
		uint64_t v = 0;

		if (q != s)
			goto bad;
		m = toml_strip(q + 2, qn - 2, base, buf);
		if (m <= 0)
			goto bad;
		for (long k = 0; k < m; k++) {
			uint64_t d = (uint64_t)toml_hex(buf[k]);

			if (v > ((uint64_t)INT64_MAX - d) / (uint64_t)base)
				return toml_error(p, start,
				    "integer '%.*s' out of range", (int)len, s);
			v = v * (uint64_t)base + d;
		}
		n->type = TOML_INTEGER;
		n->u.i = (int64_t)v;
		return 0;
	}
	/* decimal: int part, then optional .frac, then optional exponent */
	for (i = 0; i < qn && ((q[i] >= '0' && q[i] <= '9') || q[i] == '_'); i++)
		;
	int_end = i;
	if (int_end == 0 || (q[0] == '0' && int_end > 1))
		goto bad;
	if (neg)
		buf[o++] = '-';
	{
		long m = toml_strip(q, int_end, 10, buf + o);

		if (m < 0)
			goto bad;
		o += (size_t)m;
	}
	if (i < qn && q[i] == '.') {
		size_t fs = ++i;
		long m;

		while (i < qn && ((q[i] >= '0' && q[i] <= '9') || q[i] == '_'))
			i++;
		buf[o++] = '.';
		m = toml_strip(q + fs, i - fs, 10, buf + o);
		if (m <= 0)
			goto bad;
		o += (size_t)m;
		is_float = true;
	}
	if (i < qn && (q[i] == 'e' || q[i] == 'E')) {
		size_t es;
		long m;

		buf[o++] = 'e';
		i++;
		if (i < qn && (q[i] == '+' || q[i] == '-'))
			buf[o++] = q[i++];
		es = i;
		while (i < qn && ((q[i] >= '0' && q[i] <= '9') || q[i] == '_'))
			i++;
		m = toml_strip(q + es, i - es, 10, buf + o);
		if (m <= 0)
			goto bad;
		o += (size_t)m;
		is_float = true;
	}
	if (i != qn)
		goto bad;
	buf[o] = '\0';
	errno = 0;
	if (is_float) {
		n->type = TOML_FLOAT;
		n->u.f = strtod(buf, NULL);
		return 0;
	}
	n->type = TOML_INTEGER;
	n->u.i = strtoll(buf, NULL, 10);
	if (errno == ERANGE)
		return toml_error(p, start, "integer '%.*s' out of range",
		    (int)len, s);
	return 0;
bad:
	return toml_error(p, start, "invalid value '%.*s'",
	    (int)(len > 40 ? 40 : len), s);
}

static bool
toml_is_token(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') ||
	    (c >= 'a' && c <= 'z') || c == '_' || c == '+' || c == '-' ||
	    c == '.' || c == ':';
}

/* Numbers, booleans and dates: one bare token, classified afterwards. */
static int
toml_scalar(struct toml_parser *p, struct toml_node *n)
{
	size_t start = p->pos, len;
	const char *s = p->buf + start;
	char w[16];

	while (toml_is_token(toml_peek(p, 0)))
		p->pos++;
	/* "1979-05-27 07:32:00": a space may separate date and time. */
	if (p->pos - start == 10 && toml_peek(p, 0) == ' ' &&
	    s[4] == '-' && toml_digits(s, 4) &&
	    p->pos + 3 < p->len && toml_digits(p->buf + p->pos + 1, 2) &&
	    p->buf[p->pos + 3] == ':') {
		p->pos++;
		while (toml_is_token(toml_peek(p, 0)))
			p->pos++;
	}
	len = p->pos - start;
	if (len == 0)
		return toml_error(p, start, "expected a value, found %s",
		    toml_what(p, start, w, sizeof(w)));
	if (len == 4 && memcmp(s, "true", 4) == 0) {
		n->type = TOML_BOOL;
		n->u.b = true;
		return 0;
	}
	if (len == 5 && memcmp(s, "false", 5) == 0) {
		n->type = TOML_BOOL;
		n->u.b = false;
		return 0;
	}
	if (memchr(s, ':', len) != NULL || (len >= 5 && toml_digits(s, 4) &&
	    s[4] == '-'))
		return toml_datetime(p, n, s, len, start);
	return toml_number(p, n, s, len, start);
}

static int
toml_array(struct toml_parser *p, struct toml_node *n)
{
	char w[16];
	int rc;

	n->type = TOML_ARRAY;
	if (n->depth > TOML_MAX_DEPTH)
		return toml_limit(p, p->pos);
	p->pos++;
	for (;;) {
		struct toml_node *e;

		if ((rc = toml_skip_ws_nl(p)) != 0)
			return rc;
		if (toml_peek(p, 0) == ']') {
			p->pos++;
			return 0;
		}
		e = toml_node_new(p, TOML_BOOL, n->depth + 1, p->line,
		    toml_col(p, p->pos));
		toml_append(n, e);
		if ((rc = toml_value(p, e)) != 0)
			return rc;
		if ((rc = toml_skip_ws_nl(p)) != 0)
			return rc;
		if (toml_peek(p, 0) == ',') {
			p->pos++;
			continue;
		}
		if (toml_peek(p, 0) == ']') {
			p->pos++;
			return 0;
		}
		return toml_error(p, p->pos,
		    "expected ',' or ']' in array, found %s",
		    toml_what(p, p->pos, w, sizeof(w)));
	}
}

/*
 * Walk the dotted prefix keys[0..n-1) from t for key = value, creating
 * dotted tables; then check the final key is new. Sets *parent.
 */
static int
toml_dotted(struct toml_parser *p, struct toml_node *t,
    const struct toml_key *keys, int n, struct toml_node **parent)
{
	char name[256];

	for (int i = 0; i < n - 1; i++) {
		struct toml_node *c = toml_lookup(t, &keys[i]);

		if (t->depth + 1 > TOML_MAX_DEPTH)
			return toml_limit(p, p->pos);
		if (c == NULL) {
			c = toml_new_child(p, t, TOML_TABLE, &keys[i]);
			c->kind = TOML_TABLE_DOTTED;
		} else if (c->type != TOML_TABLE ||
		    c->kind != TOML_TABLE_DOTTED) {
			toml_keyname(keys, i + 1, name, sizeof(name));
			return toml_error_lc(p, keys[i].line, keys[i].col,
			    "cannot add keys to '%s' (%s defined at %d:%d)",
			    name, c->type == TOML_TABLE ? (c->kind ==
			    TOML_TABLE_INLINE ? "inline table" : "table") :
			    toml_type_name(c->type), c->key_line, c->key_col);
		}
		t = c;
	}
	if (toml_lookup(t, &keys[n - 1]) != NULL) {
		const struct toml_node *c = toml_lookup(t, &keys[n - 1]);

		toml_keyname(keys, n, name, sizeof(name));
		return toml_error_lc(p, keys[n - 1].line, keys[n - 1].col,
		    "duplicate key '%s' (first defined at %d:%d)", name,
		    c->key_line, c->key_col);
	}
	*parent = t;
	return 0;
}

/* key = value into table t (dotted keys create tables below t). */
static int
toml_pair(struct toml_parser *p, struct toml_node *t)
{
	const struct toml_key *keys = p->keys;
	struct toml_node *parent = NULL, *v;
	char w[16];
	int rc, nkeys = 0;

	if ((rc = toml_key(p, &nkeys, t->depth)) != 0)
		return rc;
	if (toml_peek(p, 0) != '=')
		return toml_error(p, p->pos, "expected '=' after key, found %s",
		    toml_what(p, p->pos, w, sizeof(w)));
	p->pos++;
	toml_skip_ws(p);
	if ((rc = toml_dotted(p, t, keys, nkeys, &parent)) != 0)
		return rc;
	v = toml_new_child(p, parent, TOML_BOOL, &keys[nkeys - 1]);
	v->line = p->line;
	v->col = toml_col(p, p->pos);
	return toml_value(p, v);
}

static int
toml_inline_table(struct toml_parser *p, struct toml_node *n)
{
	char w[16];
	int rc;

	n->type = TOML_TABLE;
	n->kind = TOML_TABLE_DOTTED;	/* extendable while being parsed */
	if (n->depth > TOML_MAX_DEPTH)
		return toml_limit(p, p->pos);
	p->pos++;
	toml_skip_ws(p);
	if (toml_peek(p, 0) == '}') {
		p->pos++;
		n->kind = TOML_TABLE_INLINE;
		return 0;
	}
	for (;;) {
		if ((rc = toml_pair(p, n)) != 0)
			return rc;
		toml_skip_ws(p);
		if (toml_peek(p, 0) == ',') {
			p->pos++;
			toml_skip_ws(p);
			continue;
		}
		if (toml_peek(p, 0) == '}') {
			p->pos++;
			n->kind = TOML_TABLE_INLINE;
			return 0;
		}
		return toml_error(p, p->pos,
		    "expected ',' or '}' in inline table, found %s",
		    toml_what(p, p->pos, w, sizeof(w)));
	}
}

/* Parse the value at p->pos into n (type set here; position set by caller). */
static int
toml_value(struct toml_parser *p, struct toml_node *n)
{
	int c = toml_peek(p, 0), rc;

	switch (c) {
	case '"':
	case '\'':
		if ((rc = toml_string(p, true)) != 0)
			return rc;
		n->type = TOML_STRING;
		n->u.s.len = p->scratch.len;
		n->u.s.ptr = toml_strdup(p->doc, p->scratch.buf, p->scratch.len);
		return 0;
	case '[':
		return toml_array(p, n);
	case '{':
		return toml_inline_table(p, n);
	default:
		return toml_scalar(p, n);
	}
}

/* ---- statements ----------------------------------------------------- */

static int
toml_keyval(struct toml_parser *p)
{
	int rc;

	if ((rc = toml_pair(p, p->cur)) != 0)
		return rc;
	return toml_expect_eol(p);
}

static int
toml_header(struct toml_parser *p)
{
	const struct toml_key *keys = p->keys;
	struct toml_node *t = p->doc->root, *c;
	size_t start = p->pos;
	int hline = p->line, hcol = toml_col(p, start);
	bool aot = toml_peek(p, 1) == '[';
	char w[16], name[256];
	int rc, nkeys = 0;

	p->pos += aot ? 2 : 1;
	if ((rc = toml_key(p, &nkeys, 0)) != 0)
		return rc;
	if (toml_peek(p, 0) != ']' || (aot && toml_peek(p, 1) != ']'))
		return toml_error(p, p->pos, "expected '%s' after table name, "
		    "found %s", aot ? "]]" : "]",
		    toml_what(p, p->pos, w, sizeof(w)));
	p->pos += aot ? 2 : 1;
	for (int i = 0; i < nkeys; i++) {
		if (t->depth + 1 > TOML_MAX_DEPTH)
			return toml_limit(p, start);
		if (i == nkeys - 1)
			break;
		c = toml_lookup(t, &keys[i]);
		if (c == NULL) {
			c = toml_new_child(p, t, TOML_TABLE, &keys[i]);
			c->kind = TOML_TABLE_IMPLICIT;
		} else if (c->type == TOML_ARRAY && c->aot) {
			c = c->u.c.items[c->u.c.len - 1];
		} else if (c->type != TOML_TABLE ||
		    c->kind == TOML_TABLE_INLINE) {
			toml_keyname(keys, i + 1, name, sizeof(name));
			return toml_error_lc(p, keys[i].line, keys[i].col,
			    "cannot add tables to '%s' (%s defined at %d:%d)",
			    name, c->type == TOML_TABLE ? "inline table" :
			    toml_type_name(c->type), c->key_line, c->key_col);
		}
		t = c;
	}
	c = toml_lookup(t, &keys[nkeys - 1]);
	toml_keyname(keys, nkeys, name, sizeof(name));
	if (aot) {
		if (c == NULL) {
			c = toml_new_child(p, t, TOML_ARRAY, &keys[nkeys - 1]);
			c->aot = true;
			c->line = hline;
			c->col = hcol;
		} else if (c->type != TOML_ARRAY || !c->aot) {
			return toml_error_lc(p, hline, hcol,
			    "cannot define '%s' as an array of tables "
			    "(already %s %s at %d:%d)", name,
			    toml_article(c->type), toml_type_name(c->type),
			    c->key_line, c->key_col);
		}
		if (c->depth + 1 > TOML_MAX_DEPTH)
			return toml_limit(p, start);
		t = toml_node_new(p, TOML_TABLE, c->depth + 1, hline, hcol);
		t->kind = TOML_TABLE_EXPLICIT;
		toml_append(c, t);
		p->cur = t;
		return toml_expect_eol(p);
	}
	if (c == NULL) {
		c = toml_new_child(p, t, TOML_TABLE, &keys[nkeys - 1]);
	} else if (c->type == TOML_TABLE && c->kind == TOML_TABLE_IMPLICIT) {
		/* Report later clashes at the header, not the first mention. */
		c->key_line = keys[nkeys - 1].line;
		c->key_col = keys[nkeys - 1].col;
	} else if (c->type == TOML_TABLE) {
		return toml_error_lc(p, keys[nkeys - 1].line,
		    keys[nkeys - 1].col,
		    "duplicate table '%s' (first defined at %d:%d)", name,
		    c->key_line, c->key_col);
	} else {
		return toml_error_lc(p, keys[nkeys - 1].line,
		    keys[nkeys - 1].col,
		    "cannot define table '%s' (already %s %s at %d:%d)", name,
		    toml_article(c->type), toml_type_name(c->type),
		    c->key_line, c->key_col);
	}
	c->kind = TOML_TABLE_EXPLICIT;
	c->line = hline;
	c->col = hcol;
	p->cur = c;
	return toml_expect_eol(p);
}

static int
toml_document(struct toml_parser *p)
{
	int rc;

	for (;;) {
		if ((rc = toml_skip_ws_nl(p)) != 0)
			return rc;
		if (p->pos >= p->len)
			return 0;
		if (p->buf[p->pos] == '[')
			rc = toml_header(p);
		else
			rc = toml_keyval(p);
		if (rc != 0)
			return rc;
	}
}

int
toml_parse(const char *buf, size_t len, const char *filename,
    struct toml_doc **out, struct gerr *err)
{
	struct toml_parser p = {
		.buf = buf, .len = len, .line = 1, .file = filename,
		.err = err, .scratch = STRBUF_INIT,
	};
	int rc;

	*out = NULL;
	p.doc = xcalloc(1, sizeof(*p.doc));
	p.doc->root = toml_node_new(&p, TOML_TABLE, 0, 1, 1);
	p.doc->root->kind = TOML_TABLE_EXPLICIT;
	p.cur = p.doc->root;
	if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0) {
		p.pos = 3;
		p.line_start = 3;
	}
	rc = toml_check_utf8(&p);
	if (rc == 0)
		rc = toml_document(&p);
	strbuf_release(&p.scratch);
	if (rc != 0) {
		toml_doc_free(p.doc);
		return rc;
	}
	*out = p.doc;
	return 0;
}

const char *
toml_datetime_format(const struct toml_node *n, char *buf, size_t size)
{
	const struct toml_datetime *dt = &n->u.dt;
	size_t off = 0;

	buf[0] = '\0';
	if (n->type == TOML_DATETIME || n->type == TOML_DATETIME_LOCAL ||
	    n->type == TOML_DATE_LOCAL)
		off += (size_t)snprintf(buf, size, "%04d-%02d-%02d", dt->year,
		    dt->month, dt->day);
	if (n->type == TOML_DATE_LOCAL || off >= size)
		return buf;
	if (n->type != TOML_TIME_LOCAL)
		buf[off++] = 'T';
	off += (size_t)snprintf(buf + off, size - off, "%02d:%02d:%02d",
	    dt->hour, dt->minute, dt->second);
	if (dt->frac_digits > 0 && off < size) {
		int d = dt->frac_digits > 9 ? 9 : dt->frac_digits;
		int v = dt->nanosecond;

		for (int k = d; k < 9; k++)
			v /= 10;
		off += (size_t)snprintf(buf + off, size - off, ".%0*d", d, v);
	}
	if (n->type != TOML_DATETIME || off >= size)
		return buf;
	if (dt->offset_z)
		snprintf(buf + off, size - off, "Z");
	else
		snprintf(buf + off, size - off, "%c%02d:%02d",
		    dt->offset_min < 0 ? '-' : '+', abs(dt->offset_min) / 60,
		    abs(dt->offset_min) % 60);
	return buf;
}
