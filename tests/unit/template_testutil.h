/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * template_testutil.h - helpers shared by the template unit tests: render a
 * template string against a JSON context and compare output or error.
 * Header-only (static functions) so each test program stays one file.
 */
#ifndef GGEN_TEMPLATE_TESTUTIL_H
#define GGEN_TEMPLATE_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "strbuf.h"
#include "template.h"
#include "tvalue_json.h"

/* Render src with a JSON context (NULL = none). Returns the GERR code;
 * *out gets the output (caller frees), err the error. */
static int
tt_render(const char *src, const char *json, char **out, struct gerr *err)
{
	struct tvalue *ctx = NULL;
	struct strbuf sb = STRBUF_INIT;
	int rc = 0;

	gerr_clear(err);
	if (json != NULL) {
		rc = tvalue_from_json_text(json, strlen(json), "ctx", &ctx, err);
		assert_int_equal(rc, 0);
	}
	rc = template_render_string(src, strlen(src), "t.tmpl", 1, ctx, NULL,
	    &sb, err);
	tvalue_unref(ctx);
	*out = strbuf_detach(&sb, NULL);
	return rc;
}

struct tt_ok {
	const char *src, *ctx, *want;
};

struct tt_bad {
	const char *src, *ctx;
	int code, line, col;
	const char *frag;
};

static void
tt_run_ok(const struct tt_ok *cases, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct gerr err;
		char *out, buf[700];
		int rc = tt_render(cases[i].src, cases[i].ctx, &out, &err);

		if (rc != 0 || strcmp(out, cases[i].want) != 0)
			fail_msg("case %zu `%s`: rc=%d out=`%s` want=`%s` err=%s",
			    i, cases[i].src, rc, out, cases[i].want,
			    gerr_format(&err, buf, sizeof buf));
		free(out);
	}
}

static void
tt_run_bad(const struct tt_bad *cases, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct gerr err;
		char *out, buf[700];
		int rc = tt_render(cases[i].src, cases[i].ctx, &out, &err);

		free(out);
		if (rc != cases[i].code || err.line != cases[i].line ||
		    err.col != cases[i].col ||
		    strstr(err.msg, cases[i].frag) == NULL ||
		    strcmp(err.file, "t.tmpl") != 0)
			fail_msg("case %zu `%s`: rc=%d (want %d) err=%s "
			    "(want %d:%d `%s`)", i, cases[i].src, rc,
			    cases[i].code, gerr_format(&err, buf, sizeof buf),
			    cases[i].line, cases[i].col, cases[i].frag);
	}
}

#define TT_COUNT(a) (sizeof(a) / sizeof((a)[0]))

#endif
