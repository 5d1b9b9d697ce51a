/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * frontmatter.h - ggen's .tmpl files: a YAML frontmatter block between
 * `---` lines, then a Tera body.
 *
 * Life of a template file, as the daemon uses it:
 *   frontmatter_compile()   once per content hash: splits the file and
 *                           compiles both parts (the frontmatter text is
 *                           itself a template). The result is immutable.
 *   frontmatter_render()    per render: renders the frontmatter with
 *                           [vars] + request vars, parses it with libyaml
 *                           into struct frontmatter, then renders the body
 *                           with [vars] < frontmatter vars < request vars.
 *   frontmatter_resolve_to()  lexical check that `to` stays in the root
 *                           (the daemon adds the symlink check).
 *   frontmatter_apply()     pure: existing file content (or none) +
 *                           rendered body -> new content or "skip"
 *                           (unless_exists, skip_if, inject rules).
 *   sh_before / sh_after    returned as strings; the daemon runs them with
 *                           its runner (never system()).
 *
 * Keys (ggen's meaning): to, force, unless_exists, inject, prepend, append,
 * before, after, at_line, skip_if, sh_before, sh_after, vars. Unknown keys
 * are ignored and counted in unknown_keys (ggenc validate warns).
 * before/after/skip_if are POSIX extended regexes; before/after match
 * single lines. at_line is 0-based (insert before that line; past the end
 * appends). With inject, the first that applies of prepend > append >
 * before > after > at_line places the body, else it is appended.
 *
 * Without frontmatter (or without `to`), the output path comes from the
 * phase's `templates` entry, see frontmatter_default_output.
 * All functions: any thread; no global state.
 */
#ifndef GGEN_FRONTMATTER_H
#define GGEN_FRONTMATTER_H

#include <stdbool.h>
#include <stddef.h>

#include "gerr.h"
#include "strbuf.h"
#include "template.h"
#include "tvalue.h"

#define FRONTMATTER_MAX_DEPTH 32	/* YAML nesting in vars */
#define FRONTMATTER_MAX_NODES 10000	/* YAML nodes converted (alias bombs) */
#define FRONTMATTER_MAX_SH 64		/* commands per sh_before/sh_after */

struct frontmatter {
	char *to;		/* rendered, as written; NULL when absent */
	bool force;
	bool unless_exists;
	bool inject;
	bool prepend;
	bool append;
	char *before;		/* ERE or NULL */
	char *after;		/* ERE or NULL */
	long at_line;		/* -1 when absent */
	char *skip_if;		/* ERE or NULL */
	char **sh_before;	/* a string or a list in YAML */
	size_t n_sh_before;
	char **sh_after;
	size_t n_sh_after;
	struct tvalue *vars;	/* map (owned) or NULL */
	unsigned unknown_keys;
	int line;		/* file line of the first frontmatter line */
};

/* Compiled .tmpl: owned by the caller (frontmatter_template_free). */
struct frontmatter_template;

/*
 * Split and compile a template file. name is used in error positions.
 * A file starts with frontmatter when its first line is `---`; the block
 * ends at the next line that is exactly `---` (CRLF accepted). Errors:
 * GERR_PARSE (unterminated block, at 1:1), template compile errors with
 * positions in the file.
 */
int frontmatter_compile(const char *src, size_t len, const char *name,
    struct frontmatter_template **out, struct gerr *err);
/* The same, with the body's include / import / extends loaded through
 * loader (borrowed; NULL: none). */
int frontmatter_compile_with(const char *src, size_t len, const char *name,
    const struct template_loader *loader, struct frontmatter_template **out,
    struct gerr *err);
void frontmatter_template_free(struct frontmatter_template *ft);

/*
 * Render: fm is filled (caller frees with frontmatter_release, also on
 * error); body gets the rendered body; *ctx_out (if not NULL) gets the
 * context used for the body (a new reference). toml_vars and request_vars
 * are maps or NULL (borrowed). Errors: template errors, GERR_PARSE (bad
 * YAML, with file position), GERR_INVALID (a key of the wrong type, at its
 * position; a bad regex).
 */
int frontmatter_render(const struct frontmatter_template *ft,
    const struct tvalue *toml_vars, const struct tvalue *request_vars,
    const struct template_render_opts *opts, struct frontmatter *fm,
    struct strbuf *body, struct tvalue **ctx_out, struct gerr *err);

/* Parse already-rendered YAML text (first_line = its file line). */
int frontmatter_parse(const char *yaml, size_t len, const char *name,
    int first_line, struct frontmatter *fm, struct gerr *err);
void frontmatter_init(struct frontmatter *fm);
void frontmatter_release(struct frontmatter *fm);

/*
 * Lexically resolve `to` (relative to root; absolute paths and any `..`
 * that climbs above the root are refused with GERR_OUTSIDE_ROOT, an empty
 * path with GERR_INVALID). *out: root + "/" + normalised path, caller frees.
 */
int frontmatter_resolve_to(const char *root, const char *to, char **out,
    struct gerr *err);

/*
 * Output path for a template without `to`, from the phase's `templates`
 * entry that matched it. Forms: a glob, DIR followed by wildcard
 * components (e.g. templates, then any depth, then .tmpl files): the
 * template's path below DIR (the part before the first wildcard), without
 * the ".tmpl" suffix; "SRC.tmpl:DEST" (an explicit pair): DEST. *out is
 * root-relative (check it with frontmatter_resolve_to), caller frees.
 * GERR_INVALID if tmpl_path is not under the entry's directory.
 */
int frontmatter_default_output(const char *entry, const char *tmpl_path,
    char **out, struct gerr *err);

enum frontmatter_action {
	FRONTMATTER_WRITE,	/* *out holds the file's new content */
	FRONTMATTER_SKIP,	/* leave the file alone; reason set */
};

/*
 * Decide what to write. existing is the current content (NULL when the
 * file does not exist). Rules: skip_if matching existing content -> skip;
 * no inject: exists and unless_exists (and not force) -> skip, else the
 * body; inject into a missing file -> skip (nothing to inject into);
 * inject: placement by the order above; before/after with no matching
 * line -> GERR_NOT_FOUND. Injected text gets a trailing newline if it has
 * none. *reason (static string) says why on skip.
 */
int frontmatter_apply(const struct frontmatter *fm, const char *existing,
    size_t existing_len, const char *body, size_t body_len,
    struct strbuf *out, enum frontmatter_action *action, const char **reason,
    struct gerr *err);

#endif
