/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * config.h - the daemon's settings: one row per key in config_table[].
 *
 * A row gives the key, type, offset into struct ggend_config, default (as
 * text, run through the same parser as user input), bounds or choices,
 * flags and a one-line doc. The table drives defaults, `--set key=value`,
 * `ggend --help-config` and the settings file (config_load_file).
 * Values live in a struct ggend_config that is passed around, never global.
 * Loop thread only.
 */
#ifndef GGEN_CONFIG_H
#define GGEN_CONFIG_H

#include <stdbool.h>
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
	CFG_STRING,	/* free text */
	CFG_URL,	/* "" or http://... or https://... (a remote) */
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

/* Where a live value came from (config get shows it). */
enum config_source {
	CONFIG_SRC_DEFAULT = 0,
	CONFIG_SRC_FILE,
	CONFIG_SRC_SET,		/* --set or a dedicated option on argv */
};

/* Rows in config_table[] are at most this many (test_config checks). */
#define CONFIG_KEYS_MAX 64

struct ggend_config {
	unsigned char source[CONFIG_KEYS_MAX];	/* enum config_source per row */
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
	uint64_t watch_walk_threads;	/* 0 = 2 per core, 4 to 16 */
	uint64_t watch_snapshot_idle_ms;	/* save a changed table after
						 * this much quiet; 0 = at
						 * shutdown only */
	uint64_t templates_cache_entries;	/* daemon/tplcache bounds */
	uint64_t templates_cache_bytes;
	char *history_path;	/* owned; "" = <state dir>/history.db */
	uint64_t history_keep;	/* runs kept per (root, workspace, phase) */
	uint64_t history_output_tail;		/* bytes kept per run */
	uint64_t history_span_output_tail;	/* and per phase span */
	uint64_t runs_queue_max;		/* runs waiting at once */
	/* the output cache (daemon/outcache.h) */
	uint64_t cache_local_max;	/* store bound; 0 = no local store */
	char *cache_remote_url;		/* owned; "" = no remote */
	bool cache_remote_read, cache_remote_write;
	uint64_t cache_remote_timeout_ms;
	uint64_t cache_remote_max_bytes;
	char *cache_remote_headers_file;	/* owned; "" = none */
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

/* "default", "file" or "set". Static storage. */
const char *config_source_name(enum config_source src);

/* Source of def's value in cfg. */
enum config_source config_source_of(const struct ggend_config *cfg,
    const struct config_def *def);

/*
 * Diagnostics of one settings file: one GNU-style line per finding
 * ("path:line:col: error|warning: message"), kept for `status` and the log.
 * At most CONFIG_REPORT_MAX lines are kept; the rest are only counted.
 */
#define CONFIG_REPORT_MAX 32

struct config_report {
	char *path;		/* owned; the file read, NULL if none */
	bool loaded;		/* the file existed and was read */
	size_t errors, warnings;
	char *lines[CONFIG_REPORT_MAX];	/* owned */
	size_t len;
};

void config_report_init(struct config_report *rep);
void config_report_release(struct config_report *rep);

/*
 * The settings file's default path into a new string (caller frees):
 * $XDG_CONFIG_HOME/ggen/ggend.toml, else $HOME/.config/ggen/ggend.toml;
 * NULL when neither variable is set.
 */
char *config_default_path(void);

/*
 * Read the TOML settings file at path (borrowed) into cfg, which holds the
 * values below it (defaults): keys are the table's dotted names, written
 * dotted (`client.max = 8`) or as tables (`[client] max = 8`). Sizes and
 * durations take an integer (bytes, ms) or a string with a unit ("32MiB",
 * "10s"). Every finding goes to rep (initialised by the caller; rep->path
 * set here): unknown keys are warnings (with "did you mean"), a wrong type
 * or a value out of range an error at the value's line:col; valid keys are
 * still applied so the caller can show everything at once.
 * Returns 0 when there was no error (warnings allowed); GERR_IO with
 * *missing set when the file does not exist; GERR_IO / GERR_TOO_LARGE
 * when it cannot be read; GERR_PARSE for TOML syntax; GERR_INVALID for a
 * bad value. err holds the first error, with file:line:col. On error the
 * caller must discard cfg (it is partly updated): parse into a copy.
 */
int config_load_file(struct ggend_config *cfg, const char *path,
    bool *missing, struct config_report *rep, struct gerr *err);

/*
 * Restart-only keys (CFG_RESTART) cannot change in a running daemon: copy
 * each one that differs from live back into next, with a warning in rep
 * naming the key and the value kept. Returns how many were kept.
 */
size_t config_keep_restart(struct ggend_config *next,
    const struct ggend_config *live, struct config_report *rep);

/* Format the value of def's key in cfg into buf; returns buf. */
const char *config_format(const struct ggend_config *cfg,
    const struct config_def *def, char *buf, size_t size);

/* Print every key, type, default and doc (ggend --help-config). */
void config_help(FILE *out);
/* The same table as a man page, ggend.toml(5) (`ggend --help-config=man`):
 * doc/ggend.toml.5 is this output, and a test keeps them equal. */
void config_help_man(FILE *out, const char *version);

#endif
