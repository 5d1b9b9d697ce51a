/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cmd_render.c - `ggenc render TEMPLATE [--var k=v ...] [--vars FILE.json]
 * [--to -|PATH] [--diff]`: render one template locally, no daemon needed.
 *
 * Variables, lowest to highest: [vars] of the nearest make.toml found by
 * walking up from the template's directory (types kept), the template's
 * frontmatter vars, --vars (a JSON object, types kept), then each --var
 * (strings; `a.b=v` sets a nested key). env.NAME reads ggenc's environment.
 *
 * Output: --to - prints the rendered body; --to PATH writes PATH (as
 * given, relative to the current directory); otherwise the frontmatter's
 * `to:`, else the path the make.toml's phases give it (a `templates` entry
 * naming it: glob or SRC:DEST), both relative to the make.toml's directory
 * and confined to it as the daemon does; with neither the body is printed. Writing applies the
 * frontmatter rules (unless_exists, skip_if, inject) and touches the file
 * only when its bytes change. --diff prints a unified diff of the file's
 * current content against what would be written and writes nothing.
 * sh_before/sh_after are not run here (the daemon's generate step runs
 * them); ggenc says so on stderr.
 *
 * Exit: 0 ok, 1 on errors (printed as file:line:col: error: message),
 * 2 on usage errors. Single-threaded; everything is freed before return.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "cmd_entries.h"
#include "errors.h"
#include "frontmatter.h"
#include "genout.h"
#include "make.h"
#include "path.h"
#include "projtree.h"
#include "template_load.h"
#include "toml.h"
#include "tvalue_json.h"
#include "tvalue_toml.h"
#include "udiff.h"
#include "xmalloc.h"

extern char **environ;

#define CMD_RENDER_MAX_VARS 256

struct cmd_render_opts {
	const char *template;
	const char *vars_file;
	const char *to;
	bool diff;
	const char *var[CMD_RENDER_MAX_VARS];
	size_t n_var;
};

static int
cmd_render_usage(const char *why)
{
	fprintf(stderr, "ggenc: render: %s\n", why);
	cmd_print_usage(&cmd_render_entry, stderr);
	return ERR_EXIT_USAGE;
}

static int
cmd_render_parse(const struct cmd_ctx *ctx, int argc, char **argv,
    struct cmd_render_opts *o)
{
	(void)argc;
	o->template = argv[0];
	for (size_t i = 0; i < ctx->optc; i++) {
		const char *name = ctx->optv[i].opt->name;
		const char *v = ctx->optv[i].value;

		if (strcmp(name, "--var") == 0) {
			if (strchr(v, '=') == NULL || v[0] == '=')
				return cmd_render_usage("--var wants KEY=VALUE");
			if (o->n_var == CMD_RENDER_MAX_VARS)
				return cmd_render_usage("too many --var");
			o->var[o->n_var++] = v;
		}
	}
	o->vars_file = cmd_opt_value(ctx, "--vars");
	o->to = cmd_opt_value(ctx, "--to");
	o->diff = cmd_opt_flag(ctx, "--diff");
	if (o->diff && o->to != NULL && strcmp(o->to, "-") == 0)
		return cmd_render_usage("--diff compares with a file; not with "
		    "--to -");
	return 0;
}

/* Set dotted key (a.b.c) to a string in map m, making maps on the way;
 * a non-map in the way is replaced. */
static void
cmd_render_set_var(struct tvalue *m, const char *kv)
{
	const char *eq = strchr(kv, '=');
	const char *k = kv;

	for (;;) {
		const char *dot = memchr(k, '.', (size_t)(eq - k));
		struct tvalue *sub;

		if (dot == NULL || dot == k) {
			tvalue_map_setn(m, k, (size_t)(eq - k),
			    tvalue_string(eq + 1));
			return;
		}
		sub = tvalue_map_getn(m, k, (size_t)(dot - k));
		if (sub == NULL || sub->type != TVALUE_MAP) {
			sub = tvalue_map_new();
			tvalue_map_setn(m, k, (size_t)(dot - k), sub);
		}
		m = sub;
		k = dot + 1;
	}
}

/* Directory holding the nearest make.toml at or above dir (absolute), or
 * NULL. */
static char *
cmd_render_find_root(const char *dir)
{
	char *d = xstrdup(dir);

	for (;;) {
		char *mk = path_join(d, "make.toml");
		bool found = access(mk, F_OK) == 0;
		size_t n;

		free(mk);
		if (found)
			return d;
		if (strcmp(d, "/") == 0)
			break;
		n = path_dirname_len(d);
		d[n > 0 ? n : 1] = '\0';
	}
	free(d);
	return NULL;
}

/* Output for a template without `to:` from the `templates` entry of the
 * first [lifecycle.*] phase that names it (tmpl_rel: relative to the
 * make.toml's directory root), as the daemon's render step finds it: the
 * model's compiled globs over the files the ignore policy keeps
 * (common/projtree.h), so a template in an ignored directory has none.
 * NULL if none. */
static char *
cmd_render_default_to(const struct make_project *m, const char *root,
    const char *tmpl_rel)
{
	struct projtree *tree;
	bool ignored;

	if (!path_is_clean_relative(tmpl_rel))
		return NULL;
	tree = projtree_new(root, m);
	ignored = projtree_ignored(tree, tmpl_rel, false);
	projtree_free(tree);
	for (size_t i = 0; !ignored && i < m->phases_len; i++) {
		long e = projtree_template_entry(&m->phases[i], tmpl_rel);
		char *out = NULL;

		if (e < 0)
			continue;
		frontmatter_default_output(m->phases[i].templates.items[e].s,
		    tmpl_rel, &out, NULL);
		if (out != NULL)
			return out;
	}
	return NULL;
}

/* [vars] of root/make.toml (*vars; an empty map without the file) and the
 * default output of tmpl_abs per its phases (*default_to, or NULL). */
/* After the error line: the source line and a caret, as `ggenc validate`
 * shows them, when the error names a readable file (not under --json). */
static void
cmd_render_print_caret(const struct cmd_ctx *ctx, const struct gerr *err)
{
	struct strbuf src = STRBUF_INIT, sb = STRBUF_INIT;
	bool missing = false;

	if (ctx->json || err->file[0] == '\0' || err->line <= 0 ||
	    make_read_file(err->file, &src, &missing, NULL) != 0 || missing) {
		strbuf_release(&src);
		return;
	}
	make_source_caret(src.buf, src.len, err->line, err->col > 0 ?
	    err->col : 1, &sb);
	if (sb.len > 0)
		fprintf(stderr, "%s\n", sb.buf);
	strbuf_release(&sb);
	strbuf_release(&src);
}

/* The root's template directories (absolute) from every phase's
 * `templates` entries, appended to *dirs / *n. */
static void
cmd_render_tpl_dirs(const struct toml_node *top, const char *root,
    char ***dirs, size_t *n)
{
	const struct toml_node *lc = toml_get(top, "lifecycle");

	for (size_t i = 0; i < toml_len(lc); i++) {
		const struct toml_node *list = toml_get(toml_at(lc, i),
		    "templates");

		for (size_t j = 0; j < toml_len(list); j++) {
			const struct toml_node *e = toml_at(list, j);
			char *entry, *rel;
			size_t cut;

			if (e->type != TOML_STRING)
				continue;
			entry = xstrndup(e->u.s.ptr, e->u.s.len);
			cut = template_load_entry_dir(entry);
			if (cut > 0) {
				rel = xstrndup(entry, cut);
				*dirs = xreallocarray(*dirs, *n + 1,
				    sizeof **dirs);
				(*dirs)[(*n)++] = path_join(root, rel);
				free(rel);
			}
			free(entry);
		}
	}
}

static int
cmd_render_toml(const char *root, const char *tmpl_abs, struct tvalue **vars,
    char **default_to, char ***dirs, size_t *ndirs, struct gerr *err)
{
	char *path = path_join(root, "make.toml"), *buf, *rel = NULL;
	struct make_project *m = NULL;
	struct toml_doc *doc;
	size_t len;
	bool exists;
	int rc;

	*vars = NULL;
	*default_to = NULL;
	rc = genout_read(path, GENOUT_MAX_BYTES, &buf, &len, &exists, err);
	if (rc == 0 && exists) {
		rc = toml_parse(buf, len, path, &doc, err);
		if (rc == 0) {
			const struct toml_node *top = toml_doc_root(doc);

			*vars = tvalue_from_toml(toml_get(top, "vars"));
			cmd_render_tpl_dirs(top, root, dirs, ndirs);
			toml_doc_free(doc);
		}
		/* Phases from the model the daemon would load; a make.toml
		 * with errors gives no default output (validate says why). */
		if (rc == 0 && make_parse_buffer(buf, len, path, &m, NULL,
		    NULL) == 0 && path_relative(root, tmpl_abs, &rel,
		    NULL) == 0)
			*default_to = cmd_render_default_to(m, root, rel);
		make_project_free(m);
	}
	free(rel);
	free(buf);
	free(path);
	return rc;
}

static int
cmd_render_request_vars(const struct cmd_render_opts *o, struct tvalue **out,
    struct gerr *err)
{
	struct tvalue *m = NULL;
	char *buf;
	size_t len;
	bool exists;
	int rc;

	if (o->vars_file != NULL) {
		rc = genout_read(o->vars_file, GENOUT_MAX_BYTES, &buf, &len,
		    &exists, err);
		if (rc == 0 && !exists)
			rc = gerr_set(err, GERR_NOT_FOUND, "open %s: %s",
			    o->vars_file, strerror(ENOENT));
		if (rc == 0)
			rc = tvalue_from_json_text(buf, len, o->vars_file, &m,
			    err);
		free(buf);
		if (rc != 0)
			return rc;
		if (m->type != TVALUE_MAP) {
			rc = gerr_set_at(err, GERR_INVALID, o->vars_file, 1, 1,
			    "--vars wants a JSON object, found %s",
			    tvalue_type_name(m->type));
			tvalue_unref(m);
			return rc;
		}
	} else {
		m = tvalue_map_new();
	}
	for (size_t i = 0; i < o->n_var; i++)
		cmd_render_set_var(m, o->var[i]);
	*out = m;
	return 0;
}

/* Write or diff the rendered body at dest. */
static int
cmd_render_emit(const struct cmd_ctx *ctx, const struct cmd_render_opts *o,
    const struct frontmatter *fm, const char *dest, const struct strbuf *body,
    struct gerr *err)
{
	struct strbuf content = STRBUF_INIT, diff = STRBUF_INIT;
	enum frontmatter_action action;
	const char *reason = NULL;
	char *old;
	size_t old_len;
	bool exists, written = false;
	int rc;

	rc = genout_read(dest, GENOUT_MAX_BYTES, &old, &old_len, &exists, err);
	if (rc != 0)
		return rc;
	rc = frontmatter_apply(fm, old, old_len, body->buf, body->len,
	    &content, &action, &reason, err);
	if (rc == 0 && action == FRONTMATTER_SKIP && ctx->json) {
		cJSON *j = cJSON_CreateObject();

		cJSON_AddStringToObject(j, "output", dest);
		cJSON_AddBoolToObject(j, "written", false);
		cJSON_AddStringToObject(j, "skipped", reason);
		cmd_print_json(ctx, j);
		cJSON_Delete(j);
	} else if (rc == 0 && action == FRONTMATTER_SKIP) {
		fprintf(ctx->out, "%s: skipped (%s)\n", dest, reason);
	} else if (rc == 0 && o->diff) {
		char *newname = xasprintf("%s (rendered)", dest);

		rc = udiff_unified(old, old_len, exists ? dest : "/dev/null",
		    content.buf, content.len, newname, 0, &diff, err);
		free(newname);
		if (rc == 0)
			fwrite(diff.buf, 1, diff.len, ctx->out);
	} else if (rc == 0) {
		rc = genout_write(dest, content.buf, content.len, &written,
		    err);
		if (rc == 0 && ctx->json) {
			cJSON *j = cJSON_CreateObject();

			cJSON_AddStringToObject(j, "output", dest);
			cJSON_AddBoolToObject(j, "written", written);
			cmd_print_json(ctx, j);
			cJSON_Delete(j);
		}
		else if (rc == 0)
			fprintf(ctx->out, "%s %s\n", written ? "wrote" :
			    "unchanged", dest);
	}
	free(old);
	strbuf_release(&content);
	strbuf_release(&diff);
	return rc;
}

static int
cmd_render_do(const struct cmd_ctx *ctx, const struct cmd_render_opts *o,
    struct gerr *err)
{
	struct tvalue *toml_vars = NULL, *req = NULL, *env;
	struct frontmatter_template *ft = NULL;
	struct frontmatter fm;
	struct strbuf body = STRBUF_INIT;
	struct template_render_opts ropts = { 0 };
	char *src = NULL, *abs = NULL, *dir = NULL, *root = NULL, *dest = NULL;
	char *default_to = NULL, **dirs = NULL;
	size_t len, ndirs = 0;
	bool exists;
	int rc;

	frontmatter_init(&fm);
	env = genout_env_map(environ);
	ropts.env = env;
	rc = genout_read(o->template, GENOUT_MAX_BYTES, &src, &len, &exists,
	    err);
	if (rc == 0 && !exists)
		rc = gerr_set(err, GERR_NOT_FOUND, "open %s: %s", o->template,
		    strerror(ENOENT));
	if (rc != 0)
		goto out;
	/* The template's directory resolved, its last component not: a
	 * symlinked template is a file at its own path, as the daemon's
	 * table has it. */
	{
		size_t dl = path_dirname_len(o->template), bl;
		const char *base = path_basename(o->template, &bl);
		char *d0 = dl > 0 ? xstrndup(o->template, dl) : xstrdup(".");

		dir = realpath(d0, NULL);
		if (dir == NULL)
			rc = gerr_set(err, GERR_IO, "realpath %s: %s", d0,
			    strerror(errno));
		free(d0);
		if (rc != 0)
			goto out;
		abs = xasprintf("%s%s%.*s", dir, strcmp(dir, "/") == 0 ?
		    "" : "/", (int)bl, base);
	}
	root = cmd_render_find_root(dir);
	if (root != NULL)
		rc = cmd_render_toml(root, abs, &toml_vars, &default_to,
		    &dirs, &ndirs, err);
	if (rc == 0)
		rc = cmd_render_request_vars(o, &req, err);
	if (rc == 0) {
		struct template_fs_loader fs = {
			.dirs = (const char *const *)dirs, .ndirs = ndirs };
		struct template_loader loader = template_fs_loader(&fs);

		rc = frontmatter_compile_with(src, len, o->template, &loader,
		    &ft, err);
	}
	if (rc == 0)
		rc = frontmatter_render(ft, toml_vars, req, &ropts, &fm, &body,
		    NULL, err);
	if (rc != 0)
		goto out;
	if (fm.n_sh_before > 0 || fm.n_sh_after > 0)
		fprintf(stderr, "ggenc: render: note: sh_before/sh_after are "
		    "run by the daemon's generate step, not here\n");
	if (o->to != NULL && strcmp(o->to, "-") == 0) {
		fwrite(body.buf, 1, body.len, ctx->out);
		goto out;
	}
	if (o->to != NULL) {
		dest = xstrdup(o->to);
	} else if (fm.to != NULL || default_to != NULL) {
		const char *base = root != NULL ? root : dir;

		rc = genout_resolve(base, base, fm.to != NULL ? fm.to :
		    default_to, !o->diff, &dest, err);
		if (rc != 0) {
			/* Re-anchor the message at the template. */
			char why[GERR_MSG_MAX];

			snprintf(why, sizeof(why), "%s", err->msg);
			gerr_clear(err);
			rc = gerr_set_at(err, rc, o->template,
			    fm.line > 0 ? fm.line : 1, 1, "%s", why);
			goto out;
		}
	} else if (o->diff) {
		rc = gerr_set_at(err, GERR_INVALID, o->template, 1, 1,
		    "--diff needs an output: `to:` in the frontmatter or "
		    "--to PATH");
		goto out;
	} else {
		fwrite(body.buf, 1, body.len, ctx->out);
		goto out;
	}
	rc = cmd_render_emit(ctx, o, &fm, dest, &body, err);
out:
	frontmatter_release(&fm);
	frontmatter_template_free(ft);
	strbuf_release(&body);
	tvalue_unref(toml_vars);
	tvalue_unref(req);
	tvalue_unref(env);
	free(src);
	free(abs);
	free(dir);
	free(root);
	free(dest);
	free(default_to);
	for (size_t i = 0; i < ndirs; i++)
		free(dirs[i]);
	free(dirs);
	return rc;
}

static int
cmd_render_run(const struct cmd_ctx *ctx, int argc, char **argv)
{
	struct cmd_render_opts o;
	struct gerr err;
	int rc;

	memset(&o, 0, sizeof(o));
	rc = cmd_render_parse(ctx, argc, argv, &o);
	if (rc != 0)
		return rc;
	gerr_clear(&err);
	if (cmd_render_do(ctx, &o, &err) != 0) {
		cmd_print_error(ctx, "render", &err);
		cmd_render_print_caret(ctx, &err);
		return ERR_EXIT_FAILED;
	}
	return 0;
}

static const struct cmd_opt cmd_render_opts[] = {
	{ "--var", 0, "KEY=VALUE",
	    "set a variable (repeatable)", 0 },
	{ "--vars", 0, "FILE.json",
	    "variables from a JSON object", 0 },
	{ "--to", 0, "PATH",
	    "write here; - for stdout", 0 },
	{ "--diff", 0, NULL,
	    "show what would change in the target", 0 },
	{ NULL, 0, NULL, NULL, 0 },
};

const struct cmd_entry cmd_render_entry = {
	.name = "render", .alias = NULL,
	.usage = "TEMPLATE [--var k=v ...] [--vars FILE.json] [--to -|PATH] "
	    "[--diff]",
	.summary = "Render a template locally (no daemon needed).",
	.args = { .min = 1, .max = 1 },
	.proto = CMD_LOCAL,
	.run = cmd_render_run,
	.opts = cmd_render_opts,
	.example = "ggenc render templates/greeting.h.tmpl --var name=ada --to -",
};
