/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * make_rules.h - internal to common/make.c and common/make_rules.c: rule ids
 * indexing make_rules[], the reporting helper and the checks that look at
 * the whole model. Not for other modules: they use make.h.
 */
#ifndef GGEN_MAKE_RULES_H
#define GGEN_MAKE_RULES_H

#include <stddef.h>

#include "make.h"

/* Index into make_rules[]; keep in the same order as the table. */
enum make_rule_id {
	MAKE_RULE_TOML_SYNTAX,
	MAKE_RULE_MISSING_TABLE,
	MAKE_RULE_MISSING_KEY,
	MAKE_RULE_WRONG_TYPE,
	MAKE_RULE_BAD_VALUE,
	MAKE_RULE_UNKNOWN_KEY,
	MAKE_RULE_PHASE_EMPTY,
	MAKE_RULE_COMMAND_CONFLICT,
	MAKE_RULE_HOOK_UNKNOWN_PHASE,
	MAKE_RULE_HOOK_CYCLE,
	MAKE_RULE_WORKSPACE_PATH,
	MAKE_RULE_UNKNOWN_WORKSPACE,
	MAKE_RULE_BAD_GLOB,
	MAKE_RULE_ENV_NAME,
	MAKE_RULE_TEMPLATE_ERROR,
	MAKE_RULE_TEMPLATE_MISSING,
	MAKE_RULE_COUNT
};

/* Where findings of one file go; findings may be NULL (count only). */
struct make_report {
	const char *file;
	struct make_findings *findings;
	size_t errors;		/* errors reported through this struct */
	struct gerr first;	/* the first error, for the caller's err */
};

void make_report_add(struct make_report *r, enum make_rule_id rule, int line,
    int col, const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Sort findings [from, len) by position, keeping report order on ties. */
void make_findings_sort(struct make_findings *f, size_t from);

/* The closest of candidates[0..n) to word within a small edit distance,
 * or NULL. Also NULL when r keeps no more findings (nobody would read the
 * suggestion, and on hostile files the search is the costly part). */
const char *make_suggest(const struct make_report *r, const char *word,
    const char *const *candidates, size_t n);

/* Checks over a built model (phases sorted): hook names, hook cycles,
 * phase workspace filters, env names. */
void make_check_model(struct make_report *r, const struct make_project *p);

/* Compile s (a string value, what = its key for the message) as a glob
 * with flags (enum glob_flags): the glob (caller frees with glob_free),
 * or NULL after reporting bad-glob. */
struct glob *make_check_glob(struct make_report *r, const char *what,
    const struct make_str *s, unsigned flags);

#endif
