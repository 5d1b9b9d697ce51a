/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * config.h - the daemon's settings: one row per key in config_table[].
 *
 * A row gives the key, type, offset into struct ggend_config, default (as
 * text, run through the same parser as user input), bounds or choices,
 * flags and a one-line doc. The table drives defaults, `--set key=value`,
 * `ggend --help-config` and (when common/toml lands) the config file.
 * Values live in a struct ggend_config that is passed around, never global.
 * Loop thread only.
 */
#ifndef GGEN_CONFIG_H
#define GGEN_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "gerr.h"

enum config_type {
	CFG_BOOL = 1,	/* true|false */
	CFG_U64,	/* decimal integer */
	CFG_SIZE,	/* integer with optional B, KiB, MiB, GiB */
	CFG_MS,		/* integer with optional ms, s, min (bare = ms) */
	CFG_ENUM,	/* one of choices; stored as its index */
	CFG_PATH,	/* a path; "" = computed default */
};

#define CFG_RESTART 0x1u	/* a change needs a restart */
#define CFG_SECRET 0x2u		/* never logged or shown */

struct config_def {
	const char *key;
	enum config_type type;
	size_t off;		/* offsetof(struct ggend_config, ...) */
	const char *def;	/* default as text */
	uint64_t min, max;	/* CFG_U64/SIZE/MS bounds (max 0 = none) */
	const char *const *choices;	/* CFG_ENUM: NULL-terminated */
	unsigned flags;
	const char *doc;
};

struct ggend_config {
	char *socket_path;	/* owned; "" = default from the environment */
	char *state_dir;	/* owned; "" = default from the environment */
	uint64_t log_level;	/* index into the log level choices */
	uint64_t max_line_bytes;
	uint64_t obuf_soft_bytes;
	uint64_t obuf_hard_bytes;
	uint64_t obuf_soft_ms;
	uint64_t max_clients;
	uint64_t watch_debounce_min_ms;	/* when make.toml does not say */
	uint64_t watch_debounce_max_ms;
	uint64_t watch_poll_ms;		/* polled directories' re-stat period */
	uint64_t watch_max_watches;	/* test cap on inotify watches; 0 = none */
	uint64_t watch_hash_threads;	/* 0 = one per online core */
	uint64_t templates_cache_entries;	/* daemon/tplcache bounds */
	uint64_t templates_cache_bytes;
};

extern const struct config_def config_table[];
extern const size_t config_table_len;

/* Set every key to its default. Aborts if a default does not parse (a bug). */
void config_init(struct ggend_config *cfg);

/* Free owned strings; cfg must be re-initialised before reuse. */
void config_release(struct ggend_config *cfg);

/* Deep copy src into dst (dst uninitialised or released). */
void config_copy(struct ggend_config *dst, const struct ggend_config *src);

/* Row for key, or NULL. Static storage. */
const struct config_def *config_find(const char *key);

/*
 * Parse value (borrowed) for key and store it. GERR_NOT_FOUND for an unknown
 * key, GERR_INVALID with expected/found for a bad value or one out of range.
 * cfg is unchanged on error.
 */
int config_set(struct ggend_config *cfg, const char *key, const char *value,
    struct gerr *err);

/* As config_set, from "key=value" (GERR_INVALID without '='). */
int config_set_assignment(struct ggend_config *cfg, const char *assignment,
    struct gerr *err);

/* Format the value of def's key in cfg into buf; returns buf. */
const char *config_format(const struct ggend_config *cfg,
    const struct config_def *def, char *buf, size_t size);

/* Print every key, type, default and doc (ggend --help-config). */
void config_help(FILE *out);

#endif
