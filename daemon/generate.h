/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * generate.h - the in-process render step of a lifecycle phase: a phase
 * with `templates = [...]` renders those templates into files.
 *
 * The lifecycle engine calls generate_start for a phase that has templates
 * (before or instead of its commands); the job expands the globs, renders
 * each template (compiled forms come from the daemon's tplcache), runs
 * frontmatter sh_before/sh_after through daemon/runner, writes outputs
 * that changed, and reports once through the callback.
 *
 * Output path of a template (examples/TEMPLATES.md), relative to the
 * workspace directory:
 *   - frontmatter `to:` (rendered);
 *   - else from the first `templates` entry that matched it:
 *     a glob: the template's path below the glob's literal directory
 *       prefix, ".tmpl" removed (templates/src/a.c.tmpl matched by a glob
 *       starting with "templates/" and a wildcard -> src/a.c);
 *     an explicit pair "SRC:DEST" (e.g. "gen/main.c.tmpl:src/main.c"):
 *       DEST (see frontmatter_default_output).
 * `..` may not climb above the workspace directory.
 * Every output must resolve inside the root: lexically (no absolute path,
 * no `..` climbing out) and with the parent directory's realpath (a
 * symlinked directory pointing out is refused): GERR_OUTSIDE_ROOT.
 *
 * Variables, lowest to highest: make.toml [vars], frontmatter vars, request
 * vars; env.NAME reads the daemon's environment (never in the root map).
 *
 * Thread: loop thread only.
 */
#ifndef GGEN_GENERATE_H
#define GGEN_GENERATE_H

#include <stddef.h>
#include <stdint.h>

#include "gerr.h"

struct ggend;
struct watch_root;
struct make_project;
struct make_phase;
struct cJSON;

struct generate_job;

/* Templates per job (more are ignored) and template file size. */
#define GENERATE_MAX_TEMPLATES 4096
#define GENERATE_MAX_TEMPLATE_BYTES (1u << 20)

enum generate_status {
	GENERATE_WRITTEN,	/* output bytes changed and were written */
	GENERATE_UNCHANGED,	/* rendered; identical bytes, not written */
	GENERATE_SKIPPED,	/* unless_exists / skip_if / inject target missing */
	GENERATE_CLEAN,		/* inputs unchanged since the last render */
	GENERATE_FAILED,
};

/* "written", "unchanged", "skipped", "clean", "failed" (span status in
 * history and logs). Static string. */
const char *generate_status_name(enum generate_status status);

/* One template's render, for history. */
struct generate_span {
	const char *name;	/* template path, workspace-relative; borrowed */
	const char *output;	/* output path or NULL; borrowed */
	uint64_t start_wall_ms;	/* CLOCK_REALTIME */
	uint64_t duration_us;
	enum generate_status status;
};

struct generate_result {
	int code;		/* 0 or GERR_* (first error) */
	struct gerr err;	/* file:line:col for template errors */
	size_t rendered, written, unchanged, skipped;
	size_t clean;		/* not re-rendered: nothing they read changed */
	/* borrowed until the callback returns */
	struct generate_span *spans;
	size_t n_spans;
};

/* res borrowed for the call. The job is freed after the callback returns:
 * do not call generate_cancel from it. */
typedef void (*generate_done_cb)(void *arg, const struct generate_result *res);

/*
 * Render phase's templates for one workspace (dir = its absolute directory,
 * model = its make.toml) in root (NULL: the watched root holding dir, if
 * any; with no root at all, dir bounds the outputs and no file table is
 * used). request_vars: JSON object of request
 * variables (may be NULL), borrowed for the call. changed: the batch's
 * changed relpaths (may be NULL: render all). model, phase and root are
 * borrowed until cb runs (or the job is cancelled); dir is copied.
 * Asynchronous (sh_before/sh_after go through daemon/runner); cb runs
 * exactly once unless cancelled, never from inside generate_start.
 * Returns 0 and *out (owned by the daemon's loop until cb; the caller may
 * only pass it to generate_cancel) or GERR_INVALID (phase has no
 * templates, request_vars not an object) without calling cb.
 */
int generate_start(struct ggend *g, struct watch_root *root, const char *dir,
    const struct make_project *model, const struct make_phase *phase,
    const struct cJSON *request_vars, const char *const *changed,
    size_t n_changed, generate_done_cb cb, void *arg,
    struct generate_job **out, struct gerr *err);

/* Stop the job (kill a running sh_before/sh_after); cb is not called
 * afterwards. The job's memory is released. NULL ok. */
void generate_cancel(struct generate_job *job);

#endif
