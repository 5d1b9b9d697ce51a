/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * template_driver.c - compile and render templates for jinja_diff.py.
 *
 * Batch mode (default): reads one JSON object per line on stdin,
 * {"template": "...", "context": {...}}, and writes one line per case,
 * {"ok": true, "out": "..."} or {"ok": false, "code": N, "error": "..."}.
 * With `-1`: the whole of stdin is one template, argv[2] (if any) a JSON
 * context file; output goes to stdout, the error to stderr (exit 1).
 * A test helper: single-threaded, exits on bad driver input.
 */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"
#include "template.h"
#include "tvalue_json.h"
#include "xmalloc.h"

static char *
template_driver_slurp(FILE *f, size_t *len)
{
	struct strbuf sb = STRBUF_INIT;
	char buf[4096];
	size_t n;

	while ((n = fread(buf, 1, sizeof buf, f)) > 0)
		strbuf_add(&sb, buf, n);
	return strbuf_detach(&sb, len);
}

static void
template_driver_case(const char *line)
{
	cJSON *req = cJSON_Parse(line), *rep = cJSON_CreateObject();
	const cJSON *tj, *cj;
	struct tvalue *ctx = NULL;
	struct strbuf out = STRBUF_INIT;
	struct gerr err;
	char ebuf[1024];
	char *s;
	int rc;

	gerr_clear(&err);
	tj = cJSON_GetObjectItemCaseSensitive(req, "template");
	cj = cJSON_GetObjectItemCaseSensitive(req, "context");
	if (!cJSON_IsString(tj)) {
		fprintf(stderr, "bad request line\n");
		exit(2);
	}
	rc = cj != NULL ? tvalue_from_cjson(cj, &ctx, &err) : 0;
	if (rc == 0)
		rc = template_render_string(tj->valuestring,
		    strlen(tj->valuestring), "case", 1, ctx, NULL, &out, &err);
	cJSON_AddBoolToObject(rep, "ok", rc == 0);
	if (rc == 0)
		cJSON_AddStringToObject(rep, "out", out.buf);
	else {
		cJSON_AddNumberToObject(rep, "code", rc);
		cJSON_AddStringToObject(rep, "error",
		    gerr_format(&err, ebuf, sizeof ebuf));
	}
	s = cJSON_PrintUnformatted(rep);
	printf("%s\n", s);
	fflush(stdout);
	free(s);
	cJSON_Delete(req);
	cJSON_Delete(rep);
	tvalue_unref(ctx);
	strbuf_release(&out);
}

int
main(int argc, char **argv)
{
	struct tvalue *ctx = NULL;
	struct strbuf out = STRBUF_INIT;
	struct gerr err;
	char ebuf[1024];
	size_t len, clen;
	char *src, *ctext;
	int rc = 0;

	gerr_clear(&err);
	if (argc > 1 && strcmp(argv[1], "-1") == 0) {
		src = template_driver_slurp(stdin, &len);
		if (argc > 2) {
			FILE *f = fopen(argv[2], "rb");

			if (f == NULL) {
				perror(argv[2]);
				return 2;
			}
			ctext = template_driver_slurp(f, &clen);
			fclose(f);
			rc = tvalue_from_json_text(ctext, clen, argv[2], &ctx,
			    &err);
			free(ctext);
		}
		if (rc == 0)
			rc = template_render_string(src, len, "stdin", 1, ctx,
			    NULL, &out, &err);
		if (rc == 0)
			fwrite(out.buf, 1, out.len, stdout);
		else
			fprintf(stderr, "%s\n", gerr_format(&err, ebuf,
			    sizeof ebuf));
		free(src);
		tvalue_unref(ctx);
		strbuf_release(&out);
		return rc == 0 ? 0 : 1;
	}
	char *line = NULL;
	size_t cap = 0;

	while (getline(&line, &cap, stdin) > 0)
		template_driver_case(line);
	free(line);
	return 0;
}
