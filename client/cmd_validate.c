/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cmd_validate.c - `ggenc validate [PATH]`: check a make.toml (and its
 * workspaces' own make.toml files) against common/make's rule table and
 * print every finding GNU style with the source line and a caret, then a
 * summary; --json prints the findings as an object instead. Once the
 * make.toml is valid, every template its phases name is compiled too
 * (common/make_templates: template-error, template-missing).
 *
 * Owns: nothing beyond one call. Called by: client/main.c through the
 * command table. It never starts a daemon: when one is running and
 * watches the root, its hot findings answer (the internal `validate`
 * request); otherwise, or on any failure talking to it, the file is
 * checked here. Both go through one JSON shape (proto_validate_result)
 * and one printer, so the output is identical either way.
 * Exit status: 1 when any error was found or the file cannot be read,
 * 0 otherwise (warnings only), 2 on usage.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "call.h"
#include "cmd.h"
#include "cmd_entries.h"
#include "commands.h"
#include "conn.h"
#include "errors.h"
#include "make.h"
#include "make_templates.h"
#include "message.h"
#include "path.h"
#include "strbuf.h"
#include "validate.h"
#include "version.h"
#include "xmalloc.h"

/* The file the user asked about and how to reach it. */
struct cmd_validate_target {
	char *dir;		/* make_load's root, NULL for a lone file */
	char *file;		/* the file as shown in messages */
};

static void
cmd_validate_target_release(struct cmd_validate_target *t)
{
	free(t->dir);
	free(t->file);
}

/*
 * PATH is a directory holding make.toml, a file named make.toml (its
 * directory is the root, so workspaces are checked too) or any other TOML
 * file, checked alone.
 */
static void
cmd_validate_resolve(const char *arg, struct cmd_validate_target *t)
{
	struct stat st;
	size_t base_len, len = strlen(arg);
	const char *base;

	memset(t, 0, sizeof(*t));
	while (len > 1 && arg[len - 1] == '/')
		len--;
	base = path_basename(arg, &base_len);
	if (stat(arg, &st) == 0 && S_ISDIR(st.st_mode))
		t->dir = xasprintf("%.*s", (int)len, arg);
	else if (base_len == strlen(MAKE_FILE_NAME) &&
	    memcmp(base, MAKE_FILE_NAME, base_len) == 0)
		t->dir = path_dirname_len(arg) == 0 ? xstrdup(".") :
		    xasprintf("%.*s", (int)path_dirname_len(arg), arg);
	else {
		t->file = xstrdup(arg);
		return;
	}
	/* Named as make_load names it, so the summary matches findings. */
	t->file = strcmp(t->dir, ".") == 0 ? xstrdup(MAKE_FILE_NAME) :
	    xasprintf("%s/%s", t->dir, MAKE_FILE_NAME);
}

static const char *
cmd_validate_str(const cJSON *obj, const char *name)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, name);

	return cJSON_IsString(item) ? item->valuestring : "";
}

static int
cmd_validate_int(const cJSON *obj, const char *name)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, name);

	return cJSON_IsNumber(item) ? item->valueint : 0;
}

/* Print one finding, then its source line and caret when it has one. */
static void
cmd_validate_print_one(FILE *out, const cJSON *o, struct strbuf *src,
    char **src_name)
{
	struct make_finding mf = {
		.rule = make_rule_find(cmd_validate_str(o, "rule")),
		.file = (char *)cmd_validate_str(o, "file"),
		.line = cmd_validate_int(o, "line"),
		.col = cmd_validate_int(o, "col"),
		.message = (char *)cmd_validate_str(o, "message"),
	};
	/* A rule this ggenc does not know (a newer daemon's) still prints. */
	struct make_rule unknown = { .id = cmd_validate_str(o, "rule") };
	struct strbuf sb = STRBUF_INIT;
	bool missing = false;

	if (mf.rule == NULL)
		mf.rule = &unknown;
	mf.severity = strcmp(cmd_validate_str(o, "severity"), "error") == 0 ?
	    MAKE_ERROR : MAKE_WARNING;
	make_finding_format(&mf, &sb);
	strbuf_addch(&sb, '\n');
	/* Findings come grouped by file: read each file once. */
	if (mf.line > 0 && (*src_name == NULL ||
	    strcmp(*src_name, mf.file) != 0)) {
		free(*src_name);
		*src_name = xstrdup(mf.file);
		strbuf_reset(src);
		if (make_read_file(mf.file, src, &missing, NULL) != 0 ||
		    missing)
			strbuf_reset(src);
	}
	if (mf.line > 0 && src->len > 0) {
		size_t before = sb.len;

		make_source_caret(src->buf, src->len, mf.line, mf.col, &sb);
		if (sb.len > before)
			strbuf_addch(&sb, '\n');
	}
	fwrite(sb.buf, 1, sb.len, out);
	strbuf_release(&sb);
}

static int
cmd_validate_render(const struct cmd_ctx *ctx, const cJSON *result)
{
	const cJSON *arr = cJSON_GetObjectItemCaseSensitive(result,
	    "findings");
	const cJSON *o;
	struct strbuf src = STRBUF_INIT;
	char *src_name = NULL;
	int errors = cmd_validate_int(result, "errors");
	int warnings = cmd_validate_int(result, "warnings");
	int dropped = cmd_validate_int(result, "dropped");

	if (ctx->json) {
		cmd_print_json(ctx, result);
		return errors > 0 ? ERR_EXIT_FAILED : 0;
	}
	cJSON_ArrayForEach(o, arr)
		cmd_validate_print_one(ctx->out, o, &src, &src_name);
	free(src_name);
	strbuf_release(&src);
	fprintf(ctx->out, "%s: %d error%s, %d warning%s",
	    cmd_validate_str(result, "file"), errors, errors == 1 ? "" : "s",
	    warnings, warnings == 1 ? "" : "s");
	if (dropped > 0)
		fprintf(ctx->out, " (%d not shown)", dropped);
	fputc('\n', ctx->out);
	return errors > 0 ? ERR_EXIT_FAILED : 0;
}

/* Name a file the daemon gave as absolute the way the user named its root:
 * abs_dir/x becomes dir/x (just x for "."). */
static void
cmd_validate_rename(cJSON *finding, const char *abs_dir, const char *dir)
{
	const char *file = cJSON_GetStringValue(
	    cJSON_GetObjectItemCaseSensitive(finding, "file"));
	size_t n = strlen(abs_dir);
	char *shown;

	if (file == NULL || strncmp(file, abs_dir, n) != 0 || file[n] != '/')
		return;
	shown = strcmp(dir, ".") == 0 ? xstrdup(file + n + 1) :
	    xasprintf("%s/%s", dir, file + n + 1);
	cJSON_ReplaceItemInObjectCaseSensitive(finding, "file",
	    cJSON_CreateString(shown));
	free(shown);
}

/*
 * Ask a running daemon (never starting one) for the hot findings of the
 * watched root whose make.toml t names. Returns the result (caller frees),
 * or NULL when there is no daemon, no such root, or any failure: then the
 * file is checked locally, with the same output.
 */
static cJSON *
cmd_validate_ask(const struct cmd_ctx *ctx,
    const struct cmd_validate_target *t)
{
	char *abs_dir = t->dir != NULL ? realpath(t->dir, NULL) : NULL;
	cJSON *fields, *res = NULL, *f;
	struct msg_reply msg;
	struct call call;
	struct gerr err;
	char *path;

	gerr_clear(&err);
	if (abs_dir == NULL || call_open(ctx, false, &call, &err) != 0) {
		if (abs_dir != NULL)
			call_close(&call);
		free(abs_dir);
		return NULL;
	}
	fields = cJSON_CreateObject();
	path = xasprintf("%s/%s", abs_dir, MAKE_FILE_NAME);
	cJSON_AddStringToObject(fields, "path", path);
	free(path);
	if (call_request(ctx, NULL, &call, proto_cmd_get(PROTO_CMD_VALIDATE)->name,
	    fields, &msg, &err) == 0) {
		if (msg.ok && cJSON_IsObject(msg.body))
			res = cJSON_Duplicate(msg.body, true);
		msg_reply_release(&msg);
	}
	call_close(&call);
	if (res != NULL) {
		cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(res,
		    "findings"))
			cmd_validate_rename(f, abs_dir, t->dir);
		cJSON_ReplaceItemInObjectCaseSensitive(res, "file",
		    cJSON_CreateString(t->file));
	}
	free(abs_dir);
	return res;
}

/* Check a lone TOML file that is not named make.toml (no workspaces). */
static int
cmd_validate_lone(const char *file, struct make_project **p,
    struct make_findings *f, struct gerr *err)
{
	struct strbuf sb = STRBUF_INIT;
	bool missing;
	int rc;

	rc = make_read_file(file, &sb, &missing, err);
	if (rc == 0 && missing)
		rc = gerr_set(err, GERR_IO, "open %s: %s", file,
		    "No such file or directory");
	if (rc == 0)
		rc = make_parse_buffer(sb.buf, sb.len, file, p, f, err);
	strbuf_release(&sb);
	return rc;
}

static int
cmd_validate_run(const struct cmd_ctx *ctx, int argc, char **argv)
{
	struct cmd_validate_target t;
	struct make_findings f;
	struct make_project *p = NULL;
	struct gerr err;
	char root[PATH_MAX], found[PATH_MAX + 16];
	cJSON *res;
	int rc;

	gerr_clear(&err);
	make_findings_init(&f);
	/* No PATH: ./make.toml, else the project's from a subdirectory. */
	if (argc == 0 && access(MAKE_FILE_NAME, F_OK) != 0 &&
	    cmd_project_root(NULL, root, &err) == 0) {
		snprintf(found, sizeof(found), "%s/%s", root, MAKE_FILE_NAME);
		cmd_validate_resolve(found, &t);
	} else
		cmd_validate_resolve(argc > 0 ? argv[0] : MAKE_FILE_NAME, &t);
	gerr_clear(&err);
	res = cmd_validate_ask(ctx, &t);
	if (res != NULL) {
		rc = cmd_validate_render(ctx, res);
		cJSON_Delete(res);
		cmd_validate_target_release(&t);
		return rc;
	}
	if (t.dir != NULL)
		rc = make_load(t.dir, &p, &f, &err);
	else
		rc = cmd_validate_lone(t.file, &p, &f, &err);
	/* Templates are looked at once the make.toml itself is valid: the
	 * phases that name them exist only then. */
	if (rc == 0 && p != NULL) {
		size_t dlen = path_dirname_len(t.file);
		char *dir = t.dir != NULL ? xstrdup(t.dir) : dlen == 0 ?
		    xstrdup(".") : xasprintf("%.*s", (int)dlen, t.file);

		make_templates_check(p, dir, &f, NULL);
		free(dir);
	}
	make_project_free(p);
	/* No finding to show: the file itself could not be read. */
	if (rc == GERR_IO || rc == GERR_TOO_LARGE) {
		fprintf(stderr, "ggenc: %s\n", err.msg);
		make_findings_release(&f);
		cmd_validate_target_release(&t);
		return ERR_EXIT_FAILED;
	}
	res = proto_validate_result(t.file, &f);
	rc = cmd_validate_render(ctx, res);
	cJSON_Delete(res);
	make_findings_release(&f);
	cmd_validate_target_release(&t);
	return rc;
}

const struct cmd_entry cmd_validate_entry = {
	.name = "validate", .alias = NULL, .usage = "[PATH]",
	.summary = "Check a make.toml (default ./make.toml, else the "
	    "project's) and its workspaces; exit 1 on errors.",
	.args = { .min = 0, .max = 1 }, .proto = CMD_LOCAL,
	.run = cmd_validate_run,
	.example = "ggenc validate\n" "ggenc validate ~/src/project/make.toml",
};
