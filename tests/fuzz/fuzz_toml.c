/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fuzz_toml.c - libFuzzer target for common/toml.c (and, on the same input,
 * the make.toml model built on it).
 *
 * Each input is one document. A parse must either fail with a positioned
 * GERR_PARSE/GERR_LIMIT or produce a tree every node of which can be walked
 * and looked up again by its own key; anything else aborts. Seeds are in
 * tests/fuzz/corpus/toml/ (toml-test cases, MIT, see README there).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "make.h"
#include "toml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Depth is capped by the parser, so this recursion is bounded. */
static size_t
fuzz_toml_walk(const struct toml_node *n)
{
	char buf[64];
	size_t count = 1;

	if (n->depth > TOML_MAX_DEPTH)
		abort();
	switch (n->type) {
	case TOML_TABLE:
		for (size_t i = 0; i < toml_len(n); i++) {
			const struct toml_node *c = toml_at(n, i);

			if (toml_getn(n, c->key, c->key_len) != c)
				abort();
			count += fuzz_toml_walk(c);
		}
		break;
	case TOML_ARRAY:
		for (size_t i = 0; i < toml_len(n); i++)
			count += fuzz_toml_walk(toml_at(n, i));
		break;
	case TOML_DATETIME:
	case TOML_DATETIME_LOCAL:
	case TOML_DATE_LOCAL:
	case TOML_TIME_LOCAL:
		toml_datetime_format(n, buf, sizeof(buf));
		break;
	default:
		break;
	}
	return count;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct toml_doc *doc;
	struct make_project *p;
	struct make_findings f;
	struct gerr err;
	int rc;

	gerr_clear(&err);
	rc = toml_parse((const char *)data, size, "fuzz", &doc, &err);
	if (rc != 0) {
		if ((rc != GERR_PARSE && rc != GERR_LIMIT) || err.line < 1 ||
		    err.col < 1 || doc != NULL)
			abort();
		return 0;
	}
	fuzz_toml_walk(toml_doc_root(doc));
	toml_doc_free(doc);
	make_findings_init(&f);
	if (make_parse_buffer((const char *)data, size, "fuzz", &p, &f,
	    NULL) == 0)
		make_project_free(p);
	make_findings_release(&f);
	return 0;
}
