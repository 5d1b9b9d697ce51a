/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * config.c - config_table[] and the value parsers behind it.
 *
 * Called by ggend's main (defaults, --set, --help-config) and on SIGHUP by
 * ggend_reload, which builds a fresh struct in a copy and swaps it in only
 * when every value parsed. Invariant: each default parses under its own
 * row's rules (config_init aborts otherwise; test_config checks it).
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "xmalloc.h"

static const char *const config_log_levels[] = {
	"error", "warn", "info", "debug", NULL
};

#define CONFIG_OFF(f) offsetof(struct ggend_config, f)

const struct config_def config_table[] = {
	{ .key = "socket.path", .type = CFG_PATH, .off = CONFIG_OFF(socket_path),
	  .def = "", .flags = CFG_RESTART,
	  .doc = "Socket path; empty: $GGEN_SOCK, $XDG_RUNTIME_DIR/ggen/"
	      "ggend.sock, /tmp/ggen-$UID/ggend.sock." },
	{ .key = "state.dir", .type = CFG_PATH, .off = CONFIG_OFF(state_dir),
	  .def = "", .flags = CFG_RESTART,
	  .doc = "State directory; empty: $XDG_STATE_HOME/ggen or "
	      "~/.local/state/ggen." },
	{ .key = "log.level", .type = CFG_ENUM, .off = CONFIG_OFF(log_level),
	  .def = "info", .choices = config_log_levels,
	  .doc = "Lowest level written to stderr." },
	{ .key = "client.max_line_bytes", .type = CFG_SIZE,
	  .off = CONFIG_OFF(max_line_bytes), .def = "1MiB", .min = 1024,
	  .max = (uint64_t)256 << 20,
	  .doc = "Longest request line; a longer one gets line_too_long and "
	      "the connection closes." },
	{ .key = "client.obuf_soft_bytes", .type = CFG_SIZE,
	  .off = CONFIG_OFF(obuf_soft_bytes), .def = "1MiB", .min = 1024,
	  .doc = "Output backlog at which a client's requests stop being "
	      "read until it drains." },
	{ .key = "client.obuf_hard_bytes", .type = CFG_SIZE,
	  .off = CONFIG_OFF(obuf_hard_bytes), .def = "32MiB", .min = 4096,
	  .doc = "Output backlog at which a client is disconnected at once." },
	{ .key = "client.obuf_soft_ms", .type = CFG_MS,
	  .off = CONFIG_OFF(obuf_soft_ms), .def = "10s", .min = 1,
	  .max = 3600000,
	  .doc = "A client over the soft limit this long is disconnected." },
	{ .key = "client.max", .type = CFG_U64, .off = CONFIG_OFF(max_clients),
	  .def = "256", .min = 1, .max = 65536,
	  .doc = "Connections served at once; more are refused with busy." },
	{ .key = "watch.debounce_min_ms", .type = CFG_MS,
	  .off = CONFIG_OFF(watch_debounce_min_ms), .def = "10ms", .min = 0,
	  .max = 600000,
	  .doc = "Shortest quiet window that settles a batch of changes, "
	      "unless the root's make.toml [watch] sets debounce_min_ms." },
	{ .key = "watch.debounce_max_ms", .type = CFG_MS,
	  .off = CONFIG_OFF(watch_debounce_max_ms), .def = "500ms", .min = 0,
	  .max = 600000,
	  .doc = "Longest window, and the cap for a constant writer; 0 "
	      "settles each drain at once. make.toml's debounce_max_ms wins." },
	{ .key = "watch.poll_ms", .type = CFG_MS,
	  .off = CONFIG_OFF(watch_poll_ms), .def = "2s", .min = 10,
	  .max = 3600000,
	  .doc = "How often directories without a watch (out of watches, "
	      "NFS/CIFS/FUSE) are re-read; the timer runs only while some are." },
	{ .key = "watch.max_watches", .type = CFG_U64,
	  .off = CONFIG_OFF(watch_max_watches), .def = "0", .min = 0,
	  .flags = CFG_RESTART,
	  .doc = "Refuse inotify watches beyond this many as if the kernel "
	      "limit were reached (tests); 0 = the kernel's limit only." },
	{ .key = "watch.hash_threads", .type = CFG_U64,
	  .off = CONFIG_OFF(watch_hash_threads), .def = "0", .min = 0,
	  .max = 256, .flags = CFG_RESTART,
	  .doc = "Hashing threads; 0 = one per online core." },
	{ .key = "templates.cache_entries", .type = CFG_U64,
	  .off = CONFIG_OFF(templates_cache_entries), .def = "1024", .min = 1,
	  .max = 1048576,
	  .doc = "Compiled templates kept hot (least recently used go first)." },
	{ .key = "templates.cache_bytes", .type = CFG_SIZE,
	  .off = CONFIG_OFF(templates_cache_bytes), .def = "64MiB",
	  .min = 65536,
	  .doc = "Source bytes of the compiled templates kept hot." },
};

const size_t config_table_len = sizeof(config_table) / sizeof(config_table[0]);

const struct config_def *
config_find(const char *key)
{
	size_t i;

	for (i = 0; i < config_table_len; i++)
		if (strcmp(config_table[i].key, key) == 0)
			return &config_table[i];
	return NULL;
}

struct config_unit {
	const char *name;
	uint64_t mult;
};

static const struct config_unit config_size_units[] = {
	{ "", 1 }, { "B", 1 }, { "KiB", 1024 }, { "MiB", 1024 * 1024 },
	{ "GiB", (uint64_t)1024 * 1024 * 1024 }, { NULL, 0 }
};

static const struct config_unit config_int_units[] = {
	{ "", 1 }, { NULL, 0 }
};

static const struct config_unit config_ms_units[] = {
	{ "", 1 }, { "ms", 1 }, { "s", 1000 }, { "min", 60000 }, { NULL, 0 }
};

static int
config_parse_number(const struct config_def *def, const char *value,
    const struct config_unit *units, uint64_t *out, struct gerr *err)
{
	unsigned long long n;
	char *end;
	size_t i;

	if (value[0] < '0' || value[0] > '9')
		return gerr_set(err, GERR_INVALID,
		    "%s: expected a number, found \"%.64s\"", def->key, value);
	errno = 0;
	n = strtoull(value, &end, 10);
	if (errno != 0)
		return gerr_set(err, GERR_INVALID, "%s: number too large: %.64s",
		    def->key, value);
	for (i = 0; units[i].name != NULL; i++)
		if (strcmp(end, units[i].name) == 0)
			break;
	if (units[i].name == NULL)
		return gerr_set(err, GERR_INVALID,
		    "%s: unknown unit \"%.16s\" in \"%.64s\"", def->key, end,
		    value);
	if (n > UINT64_MAX / units[i].mult)
		return gerr_set(err, GERR_INVALID, "%s: number too large: %.64s",
		    def->key, value);
	n *= units[i].mult;
	if (n < def->min || (def->max != 0 && n > def->max))
		return gerr_set(err, GERR_INVALID,
		    "%s: %.64s out of range [%" PRIu64 ", %" PRIu64 "]",
		    def->key, value, def->min,
		    def->max != 0 ? def->max : UINT64_MAX);
	*out = n;
	return 0;
}

int
config_set(struct ggend_config *cfg, const char *key, const char *value,
    struct gerr *err)
{
	const struct config_def *def = config_find(key);
	char *base = (char *)cfg;
	uint64_t n = 0;
	size_t i;
	int rc;

	if (def == NULL)
		return gerr_set(err, GERR_NOT_FOUND, "unknown config key \"%.64s\"",
		    key);
	switch (def->type) {
	case CFG_BOOL:
		if (strcmp(value, "true") == 0)
			n = 1;
		else if (strcmp(value, "false") != 0)
			return gerr_set(err, GERR_INVALID,
			    "%s: expected true or false, found \"%.64s\"",
			    def->key, value);
		*(bool *)(void *)(base + def->off) = n != 0;
		return 0;
	case CFG_U64:
	case CFG_SIZE:
	case CFG_MS:
		rc = config_parse_number(def, value,
		    def->type == CFG_SIZE ? config_size_units :
		    def->type == CFG_MS ? config_ms_units : config_int_units,
		    &n, err);
		if (rc != 0)
			return rc;
		*(uint64_t *)(void *)(base + def->off) = n;
		return 0;
	case CFG_ENUM:
		for (i = 0; def->choices[i] != NULL; i++)
			if (strcmp(def->choices[i], value) == 0) {
				*(uint64_t *)(void *)(base + def->off) = i;
				return 0;
			}
		return gerr_set(err, GERR_INVALID,
		    "%s: expected one of %s|%s|%s|%s, found \"%.64s\"", def->key,
		    def->choices[0], def->choices[1], def->choices[2],
		    def->choices[3], value);
	case CFG_PATH:
		free(*(char **)(void *)(base + def->off));
		*(char **)(void *)(base + def->off) = xstrdup(value);
		return 0;
	}
	return gerr_set(err, GERR_INTERNAL, "%s: bad row type", def->key);
}

int
config_set_assignment(struct ggend_config *cfg, const char *assignment,
    struct gerr *err)
{
	const char *eq = strchr(assignment, '=');
	char *key;
	int rc;

	if (eq == NULL || eq == assignment)
		return gerr_set(err, GERR_INVALID,
		    "expected key=value, found \"%.64s\"", assignment);
	key = xstrndup(assignment, (size_t)(eq - assignment));
	rc = config_set(cfg, key, eq + 1, err);
	free(key);
	return rc;
}

void
config_init(struct ggend_config *cfg)
{
	struct gerr err;
	size_t i;

	memset(cfg, 0, sizeof(*cfg));
	for (i = 0; i < config_table_len; i++) {
		gerr_clear(&err);
		if (config_set(cfg, config_table[i].key, config_table[i].def,
		    &err) != 0)
			fatal("config default: %s", err.msg);
	}
}

void
config_release(struct ggend_config *cfg)
{
	free(cfg->socket_path);
	free(cfg->state_dir);
	cfg->socket_path = cfg->state_dir = NULL;
}

void
config_copy(struct ggend_config *dst, const struct ggend_config *src)
{
	*dst = *src;
	dst->socket_path = xstrdup(src->socket_path);
	dst->state_dir = xstrdup(src->state_dir);
}

const char *
config_format(const struct ggend_config *cfg, const struct config_def *def,
    char *buf, size_t size)
{
	const char *base = (const char *)cfg;
	uint64_t n;

	if (def->flags & CFG_SECRET) {
		snprintf(buf, size, "(secret)");
		return buf;
	}
	switch (def->type) {
	case CFG_BOOL:
		snprintf(buf, size, "%s",
		    *(const bool *)(const void *)(base + def->off) ? "true" :
		    "false");
		break;
	case CFG_ENUM:
		n = *(const uint64_t *)(const void *)(base + def->off);
		snprintf(buf, size, "%s", def->choices[n]);
		break;
	case CFG_PATH:
		snprintf(buf, size, "%s",
		    *(char *const *)(const void *)(base + def->off));
		break;
	case CFG_U64:
	case CFG_SIZE:
	case CFG_MS:
		n = *(const uint64_t *)(const void *)(base + def->off);
		snprintf(buf, size, "%" PRIu64 "%s", n,
		    def->type == CFG_MS ? "ms" : "");
		break;
	}
	return buf;
}

void
config_help(FILE *out)
{
	static const char *const names[] = {
		[CFG_BOOL] = "bool", [CFG_U64] = "integer", [CFG_SIZE] = "size",
		[CFG_MS] = "duration", [CFG_ENUM] = "enum", [CFG_PATH] = "path",
	};
	const struct config_def *d;
	size_t i;

	for (i = 0; i < config_table_len; i++) {
		d = &config_table[i];
		fprintf(out, "%s (%s, default \"%s\"%s)\n    %s\n", d->key,
		    names[d->type], d->def,
		    d->flags & CFG_RESTART ? ", restart to change" : "", d->doc);
	}
}
