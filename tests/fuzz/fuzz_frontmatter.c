/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fuzz_frontmatter.c - libFuzzer target for common/frontmatter.c below the
 * template layer: the YAML parser bridge (frontmatter_parse), placement of
 * a body into an existing file (frontmatter_apply: inject, before/after
 * regexes, at_line, skip_if), and the path checks (frontmatter_resolve_to,
 * frontmatter_default_output).
 *
 * Input: up to four parts separated by NUL bytes: YAML, existing file
 * content, body, templates entry. Invariants checked: a parse error carries
 * a 1-based position; a resolved `to` never contains a ".." component and
 * starts with the root.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "frontmatter.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_FRONTMATTER_PARTS 4

static void
fuzz_frontmatter_resolve(const char *to)
{
	struct gerr err;
	char *path = NULL;

	gerr_clear(&err);
	if (frontmatter_resolve_to("/r", to, &path, &err) == 0) {
		if (strncmp(path, "/r/", 3) != 0 && strcmp(path, "/r") != 0)
			abort();
		if (strstr(path, "/../") != NULL ||
		    (strlen(path) >= 3 &&
		    strcmp(path + strlen(path) - 3, "/..") == 0))
			abort();
	}
	free(path);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *part[FUZZ_FRONTMATTER_PARTS] = { NULL };
	size_t len[FUZZ_FRONTMATTER_PARTS] = { 0 };
	struct strbuf out = STRBUF_INIT;
	enum frontmatter_action action;
	struct frontmatter fm;
	const char *reason, *p = (const char *)data, *end = p + size;
	struct gerr err;
	char *dflt = NULL;
	int i, rc;

	for (i = 0; i < FUZZ_FRONTMATTER_PARTS; i++) {
		const char *nul = p < end ? memchr(p, '\0', (size_t)(end - p))
		    : NULL;

		len[i] = nul != NULL ? (size_t)(nul - p) : (size_t)(end - p);
		part[i] = malloc(len[i] + 1);
		if (part[i] == NULL)
			abort();
		memcpy(part[i], p, len[i]);
		part[i][len[i]] = '\0';
		p = nul != NULL ? nul + 1 : end;
	}
	frontmatter_init(&fm);
	gerr_clear(&err);
	rc = frontmatter_parse(part[0], len[0], "fuzz.tmpl", 2, &fm, &err);
	if (rc == GERR_PARSE && (err.line < 1 || err.col < 1))
		abort();
	if (rc == 0) {
		gerr_clear(&err);
		frontmatter_apply(&fm, len[1] > 0 ? part[1] : NULL, len[1],
		    part[2], len[2], &out, &action, &reason, &err);
		if (fm.to != NULL)
			fuzz_frontmatter_resolve(fm.to);
	}
	frontmatter_release(&fm);
	fuzz_frontmatter_resolve(part[2]);
	gerr_clear(&err);
	if (frontmatter_default_output(part[3], part[2], &dflt, &err) == 0)
		fuzz_frontmatter_resolve(dflt);
	free(dflt);
	strbuf_release(&out);
	for (i = 0; i < FUZZ_FRONTMATTER_PARTS; i++)
		free(part[i]);
	return 0;
}
