/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fuzz_template.c - libFuzzer target: compile the input as a .tmpl file
 * (frontmatter + body) and render it against a fixed context, with small
 * output and iteration caps so that hostile loops end quickly. Any result
 * is fine; crashes, sanitizer reports and leaks are the findings.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "frontmatter.h"
#include "template.h"
#include "tvalue_json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char fuzz_template_ctx[] =
    "{\"name\":\"HTTPServer\",\"n\":3,\"f\":2.5,\"t\":true,\"z\":null,"
    "\"items\":[1,\"two\",[3],{\"k\":4}],\"m\":{\"a\":1,\"b\":[1,2]},"
    "\"s\":\"h\\u00e9llo w\\u00f6rld\",\"e\":[]}";

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct template_render_opts opts = { .max_output_bytes = 1 << 16,
		.max_iterations = 10000 };
	struct frontmatter_template *ft;
	struct frontmatter fm;
	struct tvalue *ctx, *env;
	struct strbuf out = STRBUF_INIT;
	struct gerr err;

	gerr_clear(&err);
	if (tvalue_from_json_text(fuzz_template_ctx,
	    sizeof fuzz_template_ctx - 1, "ctx", &ctx, &err) != 0)
		return 0;
	env = tvalue_map_new();
	tvalue_map_set(env, "HOME", tvalue_string("/home/fuzz"));
	opts.env = env;
	if (frontmatter_compile((const char *)data, size, "fuzz.tmpl", &ft,
	    &err) == 0) {
		/* Render twice: a compiled template must be reusable. */
		for (int i = 0; i < 2; i++) {
			gerr_clear(&err);
			strbuf_reset(&out);
			if (frontmatter_render(ft, ctx, NULL, &opts, &fm, &out,
			    NULL, &err) == 0) {
				struct strbuf applied = STRBUF_INIT;
				enum frontmatter_action action;
				const char *reason;
				char *path = NULL;

				frontmatter_apply(&fm, "line1\nline2\n", 12,
				    out.buf, out.len, &applied, &action,
				    &reason, &err);
				if (fm.to != NULL)
					frontmatter_resolve_to("/root", fm.to,
					    &path, &err);
				free(path);
				strbuf_release(&applied);
			}
			frontmatter_release(&fm);
		}
		frontmatter_template_free(ft);
	}
	strbuf_release(&out);
	tvalue_unref(ctx);
	tvalue_unref(env);
	return 0;
}
