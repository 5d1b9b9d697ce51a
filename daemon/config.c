/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * config.c - config_table[] and the value parsers behind it.
 *
 * Called by ggend's main (defaults, --set, --help-config), by ggend_init
 * and, on SIGHUP, ggend_reload, which load the settings file
 * (config_load_file) into a fresh copy and swap it in only when it had no
 * error. Invariants: each default parses under its own row's rules
 * (config_init aborts otherwise; test_config checks it); source[i] says
 * where row i's value came from; a file value goes through the same
 * config_set_value as --set, so both accept and refuse the same things.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "make.h"
#include "strbuf.h"
#include "toml.h"
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
	{ .key = "watch.walk_threads", .type = CFG_U64,
	  .off = CONFIG_OFF(watch_walk_threads), .def = "0", .min = 0,
	  .max = 16, .flags = CFG_RESTART,
	  .doc = "Threads stat'ing files in a restart's walk from the "
	      "snapshot; 0 = two per online core, 4 to 16." },
	{ .key = "watch.snapshot_idle_ms", .type = CFG_MS,
	  .off = CONFIG_OFF(watch_snapshot_idle_ms), .def = "30s", .min = 0,
	  .max = 86400000,
	  .doc = "Save a root's file table (for a warm restart) once it has "
	      "been quiet this long after a change, and at least 1000 times "
	      "its last save's duration after that save (a 1M-file table: "
	      "about 8 minutes); 0 = only at shutdown." },
	{ .key = "templates.cache_entries", .type = CFG_U64,
	  .off = CONFIG_OFF(templates_cache_entries), .def = "1024", .min = 1,
	  .max = 1048576,
	  .doc = "Compiled templates kept hot (least recently used go first)." },
	{ .key = "templates.cache_bytes", .type = CFG_SIZE,
	  .off = CONFIG_OFF(templates_cache_bytes), .def = "64MiB",
	  .min = 65536,
	  .doc = "Source bytes of the compiled templates kept hot." },
	{ .key = "history.path", .type = CFG_PATH,
	  .off = CONFIG_OFF(history_path), .def = "", .flags = CFG_RESTART,
	  .doc = "Run history database; empty: history.db in the state "
	      "directory." },
	{ .key = "history.keep", .type = CFG_U64,
	  .off = CONFIG_OFF(history_keep), .def = "100", .min = 1,
	  .max = 1000000, .flags = CFG_RESTART,
	  .doc = "Runs kept per (root, workspace, phase); older ones are "
	      "trimmed after each flush." },
	{ .key = "history.output_tail", .type = CFG_SIZE,
	  .off = CONFIG_OFF(history_output_tail), .def = "64KiB",
	  .min = 1024, .max = 16777216, .flags = CFG_RESTART,
	  .doc = "Last bytes of a run's output kept in history (show, "
	      "logs); earlier output is dropped." },
	{ .key = "history.span_output_tail", .type = CFG_SIZE,
	  .off = CONFIG_OFF(history_span_output_tail), .def = "64KiB",
	  .min = 1024, .max = 16777216, .flags = CFG_RESTART,
	  .doc = "Last bytes of each phase's own output kept in history "
	      "(logs PHASE)." },
	{ .key = "runs.queue_max", .type = CFG_U64,
	  .off = CONFIG_OFF(runs_queue_max), .def = "256", .min = 1,
	  .max = 65536, .flags = CFG_RESTART,
	  .doc = "Runs waiting at once; a run requested beyond it is refused "
	      "(busy)." },
	{ .key = "cache.local_max", .type = CFG_SIZE,
	  .off = CONFIG_OFF(cache_local_max), .def = "2GiB", .min = 0,
	  .doc = "Bound of the local output store (state directory, "
	      "outstore/); least recently used results go first; 0 = no "
	      "store (turning it on again needs a restart)." },
	{ .key = "cache.remote.url", .type = CFG_URL,
	  .off = CONFIG_OFF(cache_remote_url), .def = "",
	  .doc = "Remote cache speaking Bazel's HTTP protocol ({url}/cas/, "
	      "{url}/ac/): bazel-remote, nginx or Apache with WebDAV PUT; "
	      "empty = none." },
	{ .key = "cache.remote.read", .type = CFG_BOOL,
	  .off = CONFIG_OFF(cache_remote_read), .def = "true",
	  .doc = "Ask the remote cache when the local store misses." },
	{ .key = "cache.remote.write", .type = CFG_BOOL,
	  .off = CONFIG_OFF(cache_remote_write), .def = "true",
	  .doc = "Upload results of successful cached phases (in the "
	      "background)." },
	{ .key = "cache.remote.timeout", .type = CFG_MS,
	  .off = CONFIG_OFF(cache_remote_timeout_ms), .def = "5s", .min = 10,
	  .max = 600000,
	  .doc = "Connect and transfer timeout of one remote request (more "
	      "for blobs over 64 MiB); a slower remote counts as down." },
	{ .key = "cache.remote.max_bytes", .type = CFG_SIZE,
	  .off = CONFIG_OFF(cache_remote_max_bytes), .def = "256MiB",
	  .min = 1024,
	  .doc = "Largest blob, and largest result in all, fetched from or "
	      "sent to the remote." },
	{ .key = "cache.remote.headers_file", .type = CFG_PATH,
	  .off = CONFIG_OFF(cache_remote_headers_file), .def = "",
	  .doc = "File of \"Name: value\" lines sent with every remote "
	      "request (auth); must be mode 0600 and yours." },
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

static int config_set_value(struct ggend_config *cfg,
    const struct config_def *def, const char *value, struct gerr *err);

int
config_set(struct ggend_config *cfg, const char *key, const char *value,
    struct gerr *err)
{
	const struct config_def *def = config_find(key);
	int rc;

	if (def == NULL)
		return gerr_set(err, GERR_NOT_FOUND, "unknown config key \"%.64s\"",
		    key);
	/* Only a successful set changes the source; config_init and the file
	 * loader overwrite it with their own. */
	rc = config_set_value(cfg, def, value, err);
	if (rc == 0)
		cfg->source[def - config_table] = CONFIG_SRC_SET;
	return rc;
}

static int
config_set_value(struct ggend_config *cfg, const struct config_def *def,
    const char *value, struct gerr *err)
{
	char *base = (char *)cfg;
	uint64_t n = 0;
	size_t i;
	int rc;

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
	case CFG_URL:
		/* Refused here, not found later as a disabled remote. */
		if (value[0] != '\0' && !(strncmp(value, "http://", 7) == 0 &&
		    value[7] != '\0') && !(strncmp(value, "https://", 8) == 0 &&
		    value[8] != '\0'))
			return gerr_set(err, GERR_INVALID,
			    "%s: expected \"\" or an http:// or https:// URL, "
			    "found \"%.200s\"", def->key, value);
		for (i = 0; value[i] != '\0'; i++)
			if ((unsigned char)value[i] <= ' ' ||
			    value[i] == 0x7f)
				return gerr_set(err, GERR_INVALID,
				    "%s: a URL holds no space or control "
				    "character, found \"%.200s\"", def->key,
				    value);
		/* fall through */
	case CFG_PATH:
	case CFG_STRING:
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
	memset(cfg->source, CONFIG_SRC_DEFAULT, sizeof(cfg->source));
}

void
config_release(struct ggend_config *cfg)
{
	free(cfg->socket_path);
	free(cfg->state_dir);
	free(cfg->history_path);
	free(cfg->cache_remote_url);
	free(cfg->cache_remote_headers_file);
	cfg->socket_path = cfg->state_dir = cfg->history_path = NULL;
	cfg->cache_remote_url = cfg->cache_remote_headers_file = NULL;
}

void
config_copy(struct ggend_config *dst, const struct ggend_config *src)
{
	*dst = *src;
	dst->socket_path = xstrdup(src->socket_path);
	dst->state_dir = xstrdup(src->state_dir);
	dst->history_path = xstrdup(src->history_path);
	dst->cache_remote_url = xstrdup(src->cache_remote_url);
	dst->cache_remote_headers_file = xstrdup(src->cache_remote_headers_file);
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
	case CFG_STRING:
	case CFG_URL:
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
		[CFG_STRING] = "string", [CFG_URL] = "url",
	};
	const struct config_def *d;
	size_t i;

	fputs("ggend settings: set with --set KEY=VALUE, or in the TOML file\n"
	    "$XDG_CONFIG_HOME/ggen/ggend.toml (~/.config/ggen/ggend.toml; "
	    "--config FILE),\n"
	    "read at start and on SIGHUP, dotted (client.max = 64) or in "
	    "tables ([client]\nmax = 64). Sizes: bytes or \"32MiB\"; durations: "
	    "ms or \"10s\". --set wins.\n\n", out);
	for (i = 0; i < config_table_len; i++) {
		d = &config_table[i];
		fprintf(out, "%s (%s, default \"%s\"%s)\n    %s\n", d->key,
		    names[d->type], d->def,
		    d->flags & CFG_RESTART ? ", restart to change" : "", d->doc);
	}
}

/* s for a man page line: backslashes and dashes escaped, and a leading
 * '.' or '\'' guarded so troff does not read it as a request. */
static void
config_man_text(FILE *out, const char *s)
{
	if (*s == '.' || *s == '\'')
		fputs("\\&", out);
	for (; *s != '\0'; s++) {
		if (*s == '\\')
			fputs("\\e", out);
		else if (*s == '-')
			fputs("\\-", out);
		else
			fputc(*s, out);
	}
}

void
config_help_man(FILE *out, const char *version)
{
	static const char *const names[] = {
		[CFG_BOOL] = "bool", [CFG_U64] = "integer", [CFG_SIZE] = "size",
		[CFG_MS] = "duration", [CFG_ENUM] = "enum", [CFG_PATH] = "path",
		[CFG_STRING] = "string", [CFG_URL] = "url",
	};
	const struct config_def *d;
	size_t i;

	fprintf(out, ".\\\" SPDX-License-Identifier: GPL-2.0-or-later\n"
	    ".\\\" Generated by `ggend --help-config=man` from config_table[] "
	    "(daemon/config.c);\n.\\\" do not edit: tests/integration/"
	    "test_man.py compares it with the table.\n"
	    ".TH GGEND.TOML 5 \"\" \"ggen %s\" \"File Formats\"\n", version);
	fputs(".SH NAME\nggend.toml \\- settings of the ggen daemon\n"
	    ".SH SYNOPSIS\n.I $XDG_CONFIG_HOME/ggen/ggend.toml\n"
	    "(default\n.IR ~/.config/ggen/ggend.toml ;\n"
	    ".B ggend \\-\\-config\n.I FILE\nnames another)\n"
	    ".SH DESCRIPTION\n"
	    "The settings file of\n.BR ggend (8)\n"
	    "is TOML. A key is written dotted\n(\\fBclient.max = 64\\fR)\n"
	    "or inside its table\n(\\fB[client]\\fR then \\fBmax = 64\\fR).\n"
	    "Sizes are bytes or a number with B, KiB, MiB or GiB\n"
	    "(\\fB\"32MiB\"\\fR);\ndurations are milliseconds or a number "
	    "with ms, s or min\n(\\fB\"10s\"\\fR).\n.PP\n"
	    "The file is read at start, on SIGHUP and on\n"
	    ".BR \"ggenc reload\" .\n"
	    "An unknown key is a warning; a bad type or an out\\-of\\-range "
	    "value is an error\nat its line and column, and a file with an "
	    "error is not applied: the last good\nsettings stay in force.\n"
	    "Keys marked \\(lqrestart to change\\(rq keep their value until "
	    "the daemon restarts\n(\\fBggenc restart\\fR).\n"
	    "The others can also be changed in the running daemon with\n"
	    ".BR \"ggenc config set\" \" KEY VALUE\"\n"
	    "(kept across reloads and \\fBggenc restart\\fR, gone once the "
	    "daemon stops).\n"
	    "Precedence, lowest first: the default, the file,\n"
	    ".B ggend \\-\\-set KEY=VALUE\n(and the options that stand for "
	    "one), then\n.BR \"ggenc config set\" .\n"
	    ".SH SETTINGS\n", out);
	for (i = 0; i < config_table_len; i++) {
		d = &config_table[i];
		fputs(".TP\n.B ", out);
		config_man_text(out, d->key);
		fprintf(out, "\n(%s, default \\fB\"", names[d->type]);
		config_man_text(out, d->def);
		fputs("\"\\fR", out);
		if (d->type == CFG_ENUM && d->choices != NULL) {
			fputs("; one of", out);
			for (size_t k = 0; d->choices[k] != NULL; k++) {
				fputs(k ? ", " : " ", out);
				config_man_text(out, d->choices[k]);
			}
		}
		if (d->max > 0 && (d->type == CFG_U64 || d->type == CFG_SIZE ||
		    d->type == CFG_MS))
			fprintf(out, "; %" PRIu64 "..%" PRIu64, d->min, d->max);
		else if (d->min > 0)
			fprintf(out, "; at least %" PRIu64, d->min);
		fprintf(out, "%s)\n", d->flags & CFG_RESTART ?
		    "; restart to change" : "");
		config_man_text(out, d->doc);
		fputc('\n', out);
	}
	fputs(".SH EXAMPLE\n.nf\n.RS\n# ~/.config/ggen/ggend.toml\n"
	    "log.level = \"debug\"\n\n[client]\nmax = 64\n"
	    "obuf_hard_bytes = \"64MiB\"\n\n[watch]\n"
	    "debounce_min_ms = 20\n.RE\n.fi\n"
	    ".SH SEE ALSO\n.BR ggend (8),\n.BR ggenc (1),\n"
	    ".BR make.toml (5)\n", out);
}

const char *
config_source_name(enum config_source src)
{
	switch (src) {
	case CONFIG_SRC_DEFAULT:
		return "default";
	case CONFIG_SRC_FILE:
		return "file";
	case CONFIG_SRC_SET:
		return "set";
	}
	return "?";
}

enum config_source
config_source_of(const struct ggend_config *cfg, const struct config_def *def)
{
	return (enum config_source)cfg->source[def - config_table];
}

void
config_report_init(struct config_report *rep)
{
	memset(rep, 0, sizeof(*rep));
}

void
config_report_release(struct config_report *rep)
{
	free(rep->path);
	for (size_t i = 0; i < rep->len; i++)
		free(rep->lines[i]);
	memset(rep, 0, sizeof(*rep));
}

static void
config_report_add(struct config_report *rep, bool error, int line, int col,
    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void
config_report_add(struct config_report *rep, bool error, int line, int col,
    const char *fmt, ...)
{
	char msg[GERR_MSG_MAX];
	va_list ap;

	if (error)
		rep->errors++;
	else
		rep->warnings++;
	if (rep->len == CONFIG_REPORT_MAX)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (line > 0)
		rep->lines[rep->len++] = xasprintf("%s:%d:%d: %s: %s",
		    rep->path, line, col, error ? "error" : "warning", msg);
	else
		rep->lines[rep->len++] = xasprintf("%s: %s: %s", rep->path,
		    error ? "error" : "warning", msg);
}

char *
config_default_path(void)
{
	const char *xdg = getenv("XDG_CONFIG_HOME");
	const char *home = getenv("HOME");

	/* The XDG spec says a relative XDG_CONFIG_HOME is to be ignored. */
	if (xdg != NULL && xdg[0] == '/')
		return xasprintf("%s/ggen/ggend.toml", xdg);
	if (home != NULL && home[0] != '\0')
		return xasprintf("%s/.config/ggen/ggend.toml", home);
	return NULL;
}

/* Longest dotted key a file may spell; longer ones are unknown anyway. */
#define CONFIG_KEY_MAX 128

/* The value of a leaf node as the text config_set_value parses, or an
 * error message in err naming the expected type. */
static int
config_node_text(const struct config_def *def, const struct toml_node *n,
    char *buf, size_t size, struct gerr *err)
{
	bool num = def->type == CFG_U64 || def->type == CFG_SIZE ||
	    def->type == CFG_MS;

	if (def->type == CFG_BOOL && n->type == TOML_BOOL) {
		snprintf(buf, size, "%s", n->u.b ? "true" : "false");
		return 0;
	}
	if (num && n->type == TOML_INTEGER) {
		if (n->u.i < 0)
			return gerr_set(err, GERR_INVALID,
			    "%s: %" PRId64 " out of range [%" PRIu64 ", %"
			    PRIu64 "]", def->key, n->u.i, def->min,
			    def->max != 0 ? def->max : UINT64_MAX);
		snprintf(buf, size, "%" PRId64, n->u.i);
		return 0;
	}
	/* Plain integers are not strings with units: "5" would hide a
	 * mistake as often as it helps. */
	if (n->type == TOML_STRING && def->type != CFG_BOOL &&
	    def->type != CFG_U64) {
		if (memchr(n->u.s.ptr, '\0', n->u.s.len) != NULL ||
		    n->u.s.len >= size)
			return gerr_set(err, GERR_INVALID,
			    "%s: value too long or holds a NUL byte", def->key);
		memcpy(buf, n->u.s.ptr, n->u.s.len);
		buf[n->u.s.len] = '\0';
		return 0;
	}
	return gerr_set(err, GERR_INVALID, "%s: expected %s, found %s",
	    def->key,
	    def->type == CFG_BOOL ? "true or false" :
	    def->type == CFG_U64 ? "an integer" :
	    def->type == CFG_SIZE ? "an integer (bytes) or a string like "
	    "\"32MiB\"" :
	    def->type == CFG_MS ? "an integer (ms) or a string like \"10s\"" :
	    "a string", toml_type_name(n->type));
}

struct config_loader {
	struct ggend_config *cfg;
	struct config_report *rep;
	struct gerr *err;
	const char *file;
	const char *keys[CONFIG_KEYS_MAX];
	int rc;
};

static void
config_loader_error(struct config_loader *l, const struct gerr *e, int line,
    int col)
{
	config_report_add(l->rep, true, line, col, "%s", e->msg);
	if (l->rc == 0) {
		l->rc = e->code;
		gerr_set_at(l->err, e->code, l->file, line, col, "%s", e->msg);
	}
}

static void
config_loader_leaf(struct config_loader *l, const char *key,
    const struct toml_node *n)
{
	const struct config_def *def = config_find(key);
	char text[GERR_MSG_MAX];
	struct gerr e;

	gerr_clear(&e);
	if (def == NULL) {
		const char *alt = make_suggest_word(key, l->keys,
		    config_table_len);

		if (alt != NULL)
			config_report_add(l->rep, false, n->key_line,
			    n->key_col, "unknown key '%s'; did you mean '%s'?",
			    key, alt);
		else
			config_report_add(l->rep, false, n->key_line,
			    n->key_col, "unknown key '%s'", key);
		return;
	}
	if (config_node_text(def, n, text, sizeof(text), &e) != 0 ||
	    config_set_value(l->cfg, def, text, &e) != 0) {
		config_loader_error(l, &e, n->line, n->col);
		return;
	}
	l->cfg->source[def - config_table] = CONFIG_SRC_FILE;
}

/* Walk table t whose dotted name is prefix ("" for the root). */
static void
config_loader_table(struct config_loader *l, const char *prefix,
    const struct toml_node *t)
{
	char key[CONFIG_KEY_MAX];

	for (size_t i = 0; i < toml_len(t); i++) {
		const struct toml_node *n = toml_at(t, i);
		int len = snprintf(key, sizeof(key), "%s%s%.*s", prefix,
		    prefix[0] != '\0' ? "." : "", (int)n->key_len, n->key);

		if (len < 0 || (size_t)len >= sizeof(key) ||
		    memchr(n->key, '\0', n->key_len) != NULL) {
			config_report_add(l->rep, false, n->key_line,
			    n->key_col, "unknown key '%.*s'",
			    (int)(n->key_len > 64 ? 64 : n->key_len), n->key);
			continue;
		}
		/* A table named like a key is a type error on that key. */
		if (n->type == TOML_TABLE && config_find(key) == NULL)
			config_loader_table(l, key, n);
		else
			config_loader_leaf(l, key, n);
	}
}

int
config_load_file(struct ggend_config *cfg, const char *path, bool *missing,
    struct config_report *rep, struct gerr *err)
{
	struct config_loader l = { .cfg = cfg, .rep = rep, .err = err,
		.file = path };
	struct strbuf sb = STRBUF_INIT;
	struct toml_doc *doc = NULL;
	struct gerr e;
	int rc;

	free(rep->path);
	rep->path = xstrdup(path);
	gerr_clear(&e);
	rc = make_read_file(path, &sb, missing, &e);
	if (rc == 0 && *missing)
		rc = gerr_set(&e, GERR_IO, "open %s: %s", path,
		    strerror(ENOENT));
	if (rc != 0) {
		config_report_add(rep, true, 0, 0, "%s", e.msg);
		if (err != NULL)
			*err = e;
		strbuf_release(&sb);
		return rc;
	}
	rep->loaded = true;
	rc = toml_parse(sb.buf, sb.len, path, &doc, &e);
	strbuf_release(&sb);
	if (rc != 0) {
		config_report_add(rep, true, e.line, e.col, "%s", e.msg);
		if (err != NULL)
			*err = e;
		return rc;
	}
	for (size_t i = 0; i < config_table_len; i++)
		l.keys[i] = config_table[i].key;
	config_loader_table(&l, "", toml_doc_root(doc));
	toml_doc_free(doc);
	return l.rc;
}

size_t
config_keep_restart(struct ggend_config *next,
    const struct ggend_config *live, struct config_report *rep)
{
	char a[GERR_MSG_MAX], b[GERR_MSG_MAX];
	size_t kept = 0;

	for (size_t i = 0; i < config_table_len; i++) {
		const struct config_def *def = &config_table[i];
		struct gerr e;

		if (!(def->flags & CFG_RESTART))
			continue;
		config_format(next, def, a, sizeof(a));
		config_format(live, def, b, sizeof(b));
		if (strcmp(a, b) == 0)
			continue;
		gerr_clear(&e);
		if (config_set_value(next, def, b, &e) != 0)
			fatal("config_keep_restart: %s", e.msg);
		next->source[i] = live->source[i];
		config_report_add(rep, false, 0, 0,
		    "%s changes only on restart; keeping \"%s\"", def->key, b);
		kept++;
	}
	return kept;
}
