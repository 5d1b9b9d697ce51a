/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fuzz_template.c - libFuzzer target: compile the input as a .tmpl file
 * (frontmatter + body) and render it against a fixed context, with small
 * output and iteration caps so that hostile loops end quickly. Any result
 * is fine; crashes, sanitizer reports and leaks are the findings.
 *
 * Multi-template loading goes through an in-memory loader: the input is
 * split at lines "=== NAME" (the part before the first one is the main
 * template, each later part the template NAME), and a few fixed templates
 * (FUZZ_LIB: macros, a base with blocks, a self-include) are always there,
 * so include / import / extends / macro calls / super() / cycles all get
 * exercised from small inputs.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "frontmatter.h"
#include "template.h"
#include "tvalue_json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const fuzz_template_lib[] = {
	"m", "{% macro f(a, b=1) %}[{{ a }}{{ b }}]{% endmacro f %}"
	"{% macro r(n) %}{% if n > 0 %}{{ self::r(n=n - 1) }}{% endif %}"
	"{{ n }}{% endmacro r %}",
	"base", "<{% block a %}A{% endblock a %}|{% block b %}B{% endblock b %}>",
	"mid", "{% extends 'base' %}{% block a %}m{{ super() }}{% endblock a %}",
	"loop", "{% include 'loop' %}",
	"part", "({{ name }}{% include 'missing' ignore missing %})",
	NULL, NULL,
};

struct fuzz_template_set {
	const char *names[16];
	const char *srcs[16];
	size_t lens[16], n;
};

static int
fuzz_template_load(void *ctx, const char *from, const char *name,
    char **src, size_t *len, char **resolved, struct gerr *err)
{
	const struct fuzz_template_set *set = ctx;

	(void)from;
	(void)err;
	for (size_t i = 0; i < set->n; i++)
		if (strcmp(set->names[i], name) == 0) {
			*len = set->lens[i];
			*src = malloc(*len + 1);
			*resolved = strdup(name);
			if (*src == NULL || *resolved == NULL)
				abort();
			memcpy(*src, set->srcs[i], *len);
			(*src)[*len] = '\0';
			return 0;
		}
	for (size_t i = 0; fuzz_template_lib[i] != NULL; i += 2)
		if (strcmp(fuzz_template_lib[i], name) == 0) {
			*len = strlen(fuzz_template_lib[i + 1]);
			*src = strdup(fuzz_template_lib[i + 1]);
			*resolved = strdup(name);
			if (*src == NULL || *resolved == NULL)
				abort();
			return 0;
		}
	return GERR_NOT_FOUND;
}

/* Split data at "\n=== NAME\n" lines; names point into names_buf. */
static size_t
fuzz_template_split(const char *data, size_t size,
    struct fuzz_template_set *set, char *names_buf, size_t names_cap)
{
	const char *p = data, *end = data + size, *mark;
	size_t main_len = size, used = 0;

	set->n = 0;
	while (set->n < 16 && (mark = memmem(p, (size_t)(end - p), "\n=== ",
	    5)) != NULL) {
		const char *nl = memchr(mark + 5, '\n', (size_t)(end - mark - 5));
		size_t nlen;

		if (nl == NULL || (nlen = (size_t)(nl - mark - 5)) == 0 ||
		    used + nlen + 1 > names_cap)
			break;
		if (set->n == 0)
			main_len = (size_t)(mark - data);
		else
			set->lens[set->n - 1] = (size_t)(mark -
			    set->srcs[set->n - 1]);
		memcpy(names_buf + used, mark + 5, nlen);
		names_buf[used + nlen] = '\0';
		set->names[set->n] = names_buf + used;
		set->srcs[set->n] = nl + 1;
		set->lens[set->n] = (size_t)(end - nl - 1);
		used += nlen + 1;
		set->n++;
		p = nl + 1;
	}
	return main_len;
}

static const char fuzz_template_ctx[] =
    "{\"name\":\"HTTPServer\",\"n\":3,\"f\":2.5,\"t\":true,\"z\":null,"
    "\"items\":[1,\"two\",[3],{\"k\":4}],\"m\":{\"a\":1,\"b\":[1,2]},"
    "\"s\":\"h\\u00e9llo w\\u00f6rld\",\"e\":[],"
    "\"recs\":[{\"name\":\"userId\",\"type\":\"bool\",\"doc\":\" d \"},"
    "{\"type\":\"int\",\"name\":\"HTTPStatus\",\"default\":1},"
    "{\"name\":7,\"type\":[\"x\"]}]}";

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
	struct fuzz_template_set set;
	struct template_loader loader = { .load = fuzz_template_load,
		.ctx = &set };
	char names[512];
	size_t main_len = fuzz_template_split((const char *)data, size, &set,
	    names, sizeof names);

	gerr_clear(&err);
	if (tvalue_from_json_text(fuzz_template_ctx,
	    sizeof fuzz_template_ctx - 1, "ctx", &ctx, &err) != 0)
		return 0;
	env = tvalue_map_new();
	tvalue_map_set(env, "HOME", tvalue_string("/home/fuzz"));
	tvalue_map_set(env, "SOURCE_DATE_EPOCH", tvalue_string("1700000000"));
	opts.env = env;
	if (frontmatter_compile_with((const char *)data, main_len, "fuzz.tmpl",
	    &loader, &ft, &err) == 0) {
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
