/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * make.h - the make.toml model (doc/ARCHITECTURE.md 7) and its validation.
 *
 * make_load reads <root>/make.toml and each workspace's own make.toml;
 * make_parse_buffer does the same for one in-memory file. Both fill a
 * struct make_findings with EVERY rule violation (errors and warnings,
 * sorted by file then position) and build the model only when there is no
 * error. ggen's keys keep ggen's meaning (command wins over commands, phase
 * timeout 300 s by default); unknown keys are left out of the model and
 * reported as warnings. The keys of ggen's own files (make.toml(5)) are
 * modelled: depends_on, [env] and [env.NAME] profiles, phase overrides
 * [lifecycle.X.env.NAME] (make_phase.variants), hooks as tables of
 * commands, on_error as a string, cache_key, first_run_only,
 * requires_approval; [project] is optional (missing-project warning);
 * ggen's own tables get one ggen-only warning each; a cargo-make file
 * is one error at 1:1.
 *
 * Ownership: a struct make_project owns everything it points to, including
 * the TOML document that vars points into, and is reference-counted: a new
 * project holds one reference, make_project_ref adds one and
 * make_project_unref (or make_project_free, the same) drops one; the last
 * drop frees it. A workspace's own project belongs to its parent and lives
 * as long as the parent (never unref it alone). The count is not atomic:
 * take and drop references on one thread (the daemon's loop).
 * Findings own their strings; make_findings_release frees them.
 * Thread: no global state; a project may be read from any thread once
 * built; building and freeing are the caller's thread.
 */
#ifndef GGEN_MAKE_H
#define GGEN_MAKE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gerr.h"
#include "strbuf.h"
#include "toml.h"

#define MAKE_TIMEOUT_DEFAULT_S 300
#define MAKE_FILE_NAME "make.toml"
/* make.toml files larger than this are refused (GERR_TOO_LARGE). */
#define MAKE_FILE_MAX_BYTES (4 * 1024 * 1024)

enum make_severity {
	MAKE_ERROR,
	MAKE_WARNING,
};

/* One row per rule: ids are stable (scripts and the --json output use them). */
struct make_rule {
	const char *id;
	enum make_severity severity;
	const char *summary;
};

/* The rule table; terminated by a row with id == NULL. */
extern const struct make_rule make_rules[];

struct make_finding {
	const struct make_rule *rule;
	enum make_severity severity;
	char *file;		/* as the user named it */
	int line, col;		/* 1-based; 0 = whole file */
	char *message;
};

/* At most this many findings are kept per make_findings; the rest are
 * only counted (in errors/warnings and dropped), so a hostile file cannot
 * make validation output unbounded. */
#define MAKE_FINDINGS_MAX 1000

struct make_findings {
	struct make_finding *items;
	size_t len, cap;
	size_t errors, warnings;	/* all findings, kept or dropped */
	size_t dropped;
};

enum make_watch {
	MAKE_WATCH_NONE,	/* absent or false */
	MAKE_WATCH_ALL,		/* true: any change in the workspace */
	MAKE_WATCH_GLOBS,	/* a list of globs in watch_globs */
};

enum make_on_busy {
	MAKE_ON_BUSY_QUEUE,
	MAKE_ON_BUSY_RESTART,
	MAKE_ON_BUSY_IGNORE,
};

/* Where a key was written (1-based); {0, 0} when absent. */
struct make_pos {
	int line, col;
};

/* A string from the file with the position of its value. */
struct make_str {
	char *s;
	int line, col;
};

struct glob;

struct make_strlist {
	struct make_str *items;
	size_t len;
	int line, col;		/* of the key; 0 when absent */
	/* Glob lists of a phase (templates, watch, inputs, outputs): each
	 * item compiled once when the model is loaded, len entries; NULL
	 * for other lists. globs[i] is NULL for a templates SRC:DEST pair
	 * and for a pattern that does not compile (reported as bad-glob). */
	struct glob **globs;
};

struct make_env {
	char *key;
	char *value;
	int line, col;		/* of the key */
};

/* [lifecycle.X] tty: absent = a pseudo-terminal while a `ggenc dev` on a
 * terminal follows the root; true = always; false = never (pipes). */
enum make_tty {
	MAKE_TTY_AUTO = 0,
	MAKE_TTY_ON,
	MAKE_TTY_OFF,
};

struct make_phase {
	char *name;
	int line, col;		/* of the phase's key in [lifecycle.NAME] */
	char *description;	/* NULL when absent */
	struct make_strlist commands;	/* `command` wins over `commands` */
	struct make_strlist templates;
	enum make_watch watch;
	struct make_strlist watch_globs;
	/* hashed into the cache key; when absent, a copy of watch_globs
	 * (what changes the phase's result is what triggers it) with line 0
	 * on the list itself; cache_key's files are appended */
	struct make_strlist inputs;
	struct make_strlist outputs;
	bool cache;
	struct make_env *env;	/* sorted by key (byte order) */
	size_t env_len;
	int64_t timeout_s;	/* default MAKE_TIMEOUT_DEFAULT_S */
	bool parallel;
	struct make_strlist workspaces;	/* filter; empty = all */
	enum make_on_busy on_busy;
	int64_t budget_ms;	/* 0 = none */
	enum make_tty tty;
	/* [hooks] before_NAME / after_NAME: phase names, in file order. */
	struct make_strlist before;
	struct make_strlist after;
	/* [hooks.before_NAME] / [hooks.after_NAME] tables of commands
	 * (make.toml(5)): a phase of their own named "before_NAME", run
	 * after the named hook phases (before) or after them (after), with
	 * cache off; NULL when absent. Owned. */
	struct make_phase *before_cmds;
	struct make_phase *after_cmds;
	/* depends_on: phases run first, in listed order (make.toml(5)). */
	struct make_strlist depends_on;
	bool first_run_only;	/* only while no successful run is known */
	bool requires_approval;	/* never on save; --yes or a terminal */
	size_t decl;		/* declaration order in [lifecycle] */
	/* [lifecycle.NAME.env.ENV] tables, and [env.ENV] commands.NAME: the
	 * whole phase as it is in environment ENV (its own keys replaced by
	 * the override's), sorted by env name. Owned. Their own variants,
	 * hooks and depends_on are empty: those of the base phase apply. */
	struct make_variant *variants;
	size_t variants_len;
	/* Key positions of the scalar settings, for messages. */
	struct make_pos pos_description, pos_watch, pos_cache, pos_env,
	    pos_timeout, pos_parallel, pos_on_busy, pos_budget;
};

/* One environment's version of a phase (see make_phase.variants). */
struct make_variant {
	char *env;
	int line, col;		/* of the override table */
	struct make_phase *phase;
};

/* [env.NAME]: a profile of environment variables (make.toml(5)). */
struct make_profile {
	char *name;
	int line, col;
	struct make_env *env;	/* string values, sorted by key */
	size_t env_len;
};

struct make_hooks {
	struct make_strlist before_all;
	struct make_strlist after_all;
	struct make_strlist on_error;	/* shell commands: a string or a list */
	struct make_strlist on_success;
	bool parallel;
	/* [hooks.before_all] / [hooks.after_all] tables of commands, as
	 * make_phase.before_cmds; NULL when absent. Owned. */
	struct make_phase *before_all_cmds;
	struct make_phase *after_all_cmds;
};

struct make_project;

struct make_workspace {
	char *name;
	char *path;		/* as written, relative to the root */
	int line, col;		/* of [workspace.NAME] */
	int path_line, path_col;	/* of the path value */
	struct make_project *own;	/* its own make.toml, or NULL */
};

struct make_project {
	char *file;		/* path of the make.toml it came from */
	char *name;		/* [project] name, else the directory's name */
	bool has_project;	/* a [project] table was written */
	char *type, *version, *description;	/* NULL when absent */
	const struct toml_node *vars;	/* [vars] subtree or NULL */
	struct make_strlist watch_ignore;
	int64_t debounce_min_ms, debounce_max_ms;	/* -1 = not set */
	struct make_phase *phases;	/* sorted by name (byte order) */
	size_t phases_len;
	struct make_hooks hooks;
	/* [cache] remote (default true): results may go to and come from
	 * the daemon's remote cache; platform_inputs: commands whose output
	 * is hashed into every result's key (a compiler version). */
	bool cache_remote;
	struct make_strlist platform_inputs;
	struct make_workspace *workspaces;	/* sorted by name */
	size_t workspaces_len;
	/* Top-level [env]: string values for every phase (sorted by key);
	 * `detect = "auto"` selects a profile from $GGEN_ENV. */
	struct make_env *env;
	size_t env_len;
	bool env_detect_auto;
	struct make_profile *profiles;	/* [env.NAME], sorted by name */
	size_t profiles_len;
	struct toml_doc *doc;	/* owns vars */
	unsigned refs;		/* make_project_ref/unref; 1 when built */
};

void make_findings_init(struct make_findings *f);
void make_findings_release(struct make_findings *f);

/*
 * Parse one make.toml held in buf (len bytes, may hold NUL) named filename
 * (borrowed; used in findings and err). Workspace paths are checked only
 * lexically (no root on disk). findings may be NULL.
 * Returns 0 and a new project in *out (caller frees) when no rule gave an
 * error; else *out is NULL and: GERR_PARSE (TOML syntax), GERR_LIMIT
 * (nesting cap) or GERR_INVALID (rules), err holding the first error with
 * file:line:col. Warnings never fail the call.
 */
int make_parse_buffer(const char *buf, size_t len, const char *filename,
    struct make_project **out, struct make_findings *findings,
    struct gerr *err);

/*
 * Read root_dir/make.toml, then for each declared workspace check its path
 * (must exist, be a directory and stay inside root_dir, symlinks resolved)
 * and load root_dir/PATH/make.toml when present as that workspace's own
 * model (which then replaces the root's for that workspace). Findings of
 * every file go to findings (may be NULL). Returns as make_parse_buffer,
 * plus GERR_IO (cannot read; message "open PATH: strerror") and
 * GERR_TOO_LARGE (over MAKE_FILE_MAX_BYTES). root_dir is borrowed.
 */
int make_load(const char *root_dir, struct make_project **out,
    struct make_findings *findings, struct gerr *err);

/*
 * Index of the first glob of l (a phase's templates, watch, inputs or
 * outputs list of a loaded model: compiled by make_load) that matches rel
 * (a path relative to the phase's workspace), or -1. No allocation, no
 * compile: the hot path of on-save matching. Any thread (read only).
 */
long make_strlist_match(const struct make_strlist *l, const char *rel);

/*
 * Read the whole file at path (borrowed) into sb (appended), capped at
 * MAKE_FILE_MAX_BYTES. Returns 0, with *missing set when the file does not
 * exist (ENOENT); GERR_IO ("open PATH: strerror") or GERR_TOO_LARGE. Used
 * by make_load and by anything else reading a TOML file to show its source
 * (validate's caret lines, the daemon's settings file).
 */
int make_read_file(const char *path, struct strbuf *sb, bool *missing,
    struct gerr *err);

/* Take one more reference to p (not NULL); returns p. A run keeps the
 * model it started with this way while a newer one replaces it. */
struct make_project *make_project_ref(struct make_project *p);

/* Drop one reference; the last frees the project, its workspaces' own
 * projects and its document. NULL ok. Dropping more references than were
 * taken aborts (fatal). */
void make_project_unref(struct make_project *p);

/* The same as make_project_unref (the name callers that never share a
 * project use). NULL ok. */
void make_project_free(struct make_project *p);

/* Phase by name, or NULL. Borrowed until make_project_free. */
const struct make_phase *make_phase_find(const struct make_project *p,
    const char *name);

/*
 * The version of phase ph in environment env (NULL or "" = none): the
 * variant for env when ph has one, else ph. Borrowed from the model.
 */
const struct make_phase *make_phase_in_env(const struct make_phase *ph,
    const char *env);

/* Whether environment name is declared by p: an [env.NAME] profile or an
 * override of some phase (of p or of a workspace's own model). */
bool make_env_declared(const struct make_project *p, const char *name);

/* Profile by name, or NULL. Borrowed until make_project_free. */
const struct make_profile *make_profile_find(const struct make_project *p,
    const char *name);

/* Workspace by name, or NULL. Borrowed until make_project_free. */
const struct make_workspace *make_workspace_find(const struct make_project *p,
    const char *name);

/* Append "file:line:col: error: message [rule-id]" (no newline) to out. */
void make_finding_format(const struct make_finding *f, struct strbuf *out);

/*
 * Append line `line` of buf (without its newline) then a newline and a caret
 * line pointing at byte column col (tabs kept so the caret lines up) to out.
 * Appends nothing when the line does not exist.
 */
void make_source_caret(const char *buf, size_t len, int line, int col,
    struct strbuf *out);

/*
 * The closest of candidates[0..n) (borrowed) to word within a small edit
 * distance (2, and less than word's length), for "did you mean"; NULL when
 * none is close. Returns one of candidates.
 */
const char *make_suggest_word(const char *word,
    const char *const *candidates, size_t n);

/* Rule row by id, or NULL. */
const struct make_rule *make_rule_find(const char *id);

#endif
