/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * toml_decoder.c - the toml-test decoder contract over common/toml.c.
 *
 * Reads one TOML document from stdin as raw bytes; on success writes the
 * tagged JSON form (tests/conformance/toml-test/README.md) to stdout and exits 0
 * with nothing on stderr; on a parse error prints file:line:col: message on
 * stderr and exits exactly 1. Any other failure (read error) exits 2.
 * Run by tests/conformance/toml_test.py, one process per case.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gerr.h"
#include "strbuf.h"
#include "toml.h"

static void
toml_decoder_string(struct strbuf *sb, const char *s, size_t len)
{
	strbuf_addch(sb, '"');
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\') {
			strbuf_addch(sb, '\\');
			strbuf_addch(sb, c);
		} else if (c < 0x20 || c == 0x7f) {
			strbuf_addf(sb, "\\u%04x", c);
		} else {
			strbuf_addch(sb, c);
		}
	}
	strbuf_addch(sb, '"');
}

static void
toml_decoder_scalar(struct strbuf *sb, const char *type, const char *value)
{
	strbuf_addf(sb, "{\"type\":\"%s\",\"value\":", type);
	toml_decoder_string(sb, value, strlen(value));
	strbuf_addch(sb, '}');
}

/* Recursion is bounded by TOML_MAX_DEPTH. */
static void
toml_decoder_node(struct strbuf *sb, const struct toml_node *n)
{
	char buf[64];

	switch (n->type) {
	case TOML_TABLE:
		strbuf_addch(sb, '{');
		for (size_t i = 0; i < toml_len(n); i++) {
			const struct toml_node *c = toml_at(n, i);

			if (i > 0)
				strbuf_addch(sb, ',');
			toml_decoder_string(sb, c->key, c->key_len);
			strbuf_addch(sb, ':');
			toml_decoder_node(sb, c);
		}
		strbuf_addch(sb, '}');
		return;
	case TOML_ARRAY:
		strbuf_addch(sb, '[');
		for (size_t i = 0; i < toml_len(n); i++) {
			if (i > 0)
				strbuf_addch(sb, ',');
			toml_decoder_node(sb, toml_at(n, i));
		}
		strbuf_addch(sb, ']');
		return;
	case TOML_STRING:
		strbuf_addstr(sb, "{\"type\":\"string\",\"value\":");
		toml_decoder_string(sb, n->u.s.ptr, n->u.s.len);
		strbuf_addch(sb, '}');
		return;
	case TOML_INTEGER:
		snprintf(buf, sizeof(buf), "%" PRId64, n->u.i);
		toml_decoder_scalar(sb, "integer", buf);
		return;
	case TOML_FLOAT:
		if (isnan(n->u.f))
			snprintf(buf, sizeof(buf), "nan");
		else if (isinf(n->u.f))
			snprintf(buf, sizeof(buf), "%sinf", n->u.f < 0 ? "-" : "");
		else
			snprintf(buf, sizeof(buf), "%.17g", n->u.f);
		toml_decoder_scalar(sb, "float", buf);
		return;
	case TOML_BOOL:
		toml_decoder_scalar(sb, "bool", n->u.b ? "true" : "false");
		return;
	case TOML_DATETIME:
	case TOML_DATETIME_LOCAL:
	case TOML_DATE_LOCAL:
	case TOML_TIME_LOCAL:
		toml_decoder_scalar(sb, toml_type_name(n->type),
		    toml_datetime_format(n, buf, sizeof(buf)));
		return;
	}
}

int
main(void)
{
	struct strbuf in = STRBUF_INIT, out = STRBUF_INIT;
	struct toml_doc *doc;
	struct gerr err;
	char msg[GERR_MSG_MAX + GERR_FILE_MAX + 32];
	size_t n;

	gerr_clear(&err);
	do {
		strbuf_grow(&in, 65536);
		n = fread(in.buf + in.len, 1, 65536, stdin);
		in.len += n;
		in.buf[in.len] = '\0';
	} while (n > 0);
	if (ferror(stdin)) {
		fprintf(stderr, "read stdin failed\n");
		return 2;
	}
	if (toml_parse(in.buf, in.len, "<stdin>", &doc, &err) != 0) {
		fprintf(stderr, "%s\n", gerr_format(&err, msg, sizeof(msg)));
		strbuf_release(&in);
		return 1;
	}
	toml_decoder_node(&out, toml_doc_root(doc));
	strbuf_addch(&out, '\n');
	fwrite(out.buf, 1, out.len, stdout);
	toml_doc_free(doc);
	strbuf_release(&in);
	strbuf_release(&out);
	return 0;
}
