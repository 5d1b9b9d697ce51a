/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for daemon/config.c: defaults parse, units, bounds, errors;
 * the settings file (types, units, ranges, unknown keys, positions,
 * restart-only keys) and ggend's "a bad file keeps the old values". */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <unistd.h>
#include <cmocka.h>

#include <ev.h>

#include "config.h"
#include "ggend.h"
#include "engine.h"
#include "history.h"
#include "strbuf.h"

static void
test_defaults(void **state)
{
	struct ggend_config cfg;
	char buf[64];
	size_t i;

	(void)state;
	config_init(&cfg);
	assert_int_equal(cfg.max_line_bytes, 1048576);
	assert_int_equal(cfg.obuf_hard_bytes, (uint64_t)32 << 20);
	assert_int_equal(cfg.obuf_soft_ms, 10000);
	assert_int_equal(cfg.log_level, 2);
	assert_string_equal(cfg.socket_path, "");
	/* The output tails history keeps: its old caps, now settings. */
	assert_int_equal(cfg.history_output_tail, HISTORY_OUTPUT_MAX);
	assert_int_equal(cfg.history_span_output_tail,
	    HISTORY_SPAN_OUTPUT_MAX);
	assert_true(config_find("history.output_tail")->flags & CFG_RESTART);
	assert_int_equal(cfg.runs_queue_max, ENGINE_QUEUE_MAX);
	for (i = 0; i < config_table_len; i++) {
		assert_non_null(config_table[i].doc);
		assert_ptr_equal(config_find(config_table[i].key),
		    &config_table[i]);
		config_format(&cfg, &config_table[i], buf, sizeof(buf));
	}
	config_format(&cfg, config_find("log.level"), buf, sizeof(buf));
	assert_string_equal(buf, "info");
	config_release(&cfg);
}

struct bad_value {
	const char *assignment;
	enum gerr_code code;
	const char *fragment;
};

static const struct bad_value config_bad[] = {
	{ "nokey", GERR_INVALID, "expected key=value" },
	{ "=1", GERR_INVALID, "expected key=value" },
	{ "client.nope=1", GERR_NOT_FOUND, "unknown config key \"client.nope\"" },
	{ "client.max=abc", GERR_INVALID, "client.max: expected a number" },
	{ "client.max=5x", GERR_INVALID, "unknown unit \"x\"" },
	{ "client.max=0", GERR_INVALID, "out of range [1, 65536]" },
	{ "client.max_line_bytes=12", GERR_INVALID, "out of range" },
	{ "client.obuf_soft_ms=2h", GERR_INVALID, "unknown unit \"h\"" },
	{ "log.level=loud", GERR_INVALID,
	  "log.level: expected one of error|warn|info|debug, found \"loud\"" },
	{ "client.max=99999999999999999999999", GERR_INVALID, "too large" },
	/* A remote that could never work is refused when set, not found
	 * later as a disabled remote in status. */
	{ "cache.remote.url=notaurl", GERR_INVALID,
	  "cache.remote.url: expected \"\" or an http:// or https:// URL, "
	  "found \"notaurl\"" },
	{ "cache.remote.url=ftp://cache", GERR_INVALID, "found \"ftp://" },
	{ "cache.remote.url=http://", GERR_INVALID, "http:// or https://" },
	{ "cache.remote.url=http://a b", GERR_INVALID, "no space" },
	{ "history.output_tail=1023", GERR_INVALID,
	  "history.output_tail: 1023 out of range [1024, 16777216]" },
	{ "history.output_tail=17MiB", GERR_INVALID, "out of range" },
	{ "history.span_output_tail=0", GERR_INVALID, "out of range" },
	{ "history.span_output_tail=1x", GERR_INVALID, "unknown unit" },
	{ "runs.queue_max=0", GERR_INVALID,
	  "runs.queue_max: 0 out of range [1, 65536]" },
	{ "runs.queue_max=65537", GERR_INVALID, "out of range" },
	{ "runs.queue_max=1KiB", GERR_INVALID, "unknown unit" },
};

static void
test_bad_values_keep_config(void **state)
{
	struct ggend_config cfg;
	struct gerr err;
	size_t i;

	(void)state;
	config_init(&cfg);
	for (i = 0; i < sizeof(config_bad) / sizeof(config_bad[0]); i++) {
		gerr_clear(&err);
		assert_int_equal(config_set_assignment(&cfg,
		    config_bad[i].assignment, &err), config_bad[i].code);
		if (strstr(err.msg, config_bad[i].fragment) == NULL)
			fail_msg("%s: \"%s\" lacks \"%s\"",
			    config_bad[i].assignment, err.msg,
			    config_bad[i].fragment);
	}
	assert_int_equal(cfg.max_clients, 256);
	assert_int_equal(cfg.log_level, 2);
	assert_string_equal(cfg.cache_remote_url, "");
	/* Good URLs, and "" for none, are taken. */
	assert_int_equal(config_set_assignment(&cfg,
	    "cache.remote.url=https://cache.example:8443/ggen", &err), 0);
	assert_string_equal(cfg.cache_remote_url,
	    "https://cache.example:8443/ggen");
	assert_int_equal(config_set_assignment(&cfg, "cache.remote.url=",
	    &err), 0);
	assert_string_equal(cfg.cache_remote_url, "");
	config_release(&cfg);
}

static void
test_units(void **state)
{
	struct ggend_config cfg, copy;

	(void)state;
	config_init(&cfg);
	assert_int_equal(config_set_assignment(&cfg,
	    "client.obuf_soft_bytes=64KiB", NULL), 0);
	assert_int_equal(cfg.obuf_soft_bytes, 65536);
	assert_int_equal(config_set(&cfg, "client.obuf_soft_ms", "2s", NULL),
	    0);
	assert_int_equal(cfg.obuf_soft_ms, 2000);
	assert_int_equal(config_set(&cfg, "client.obuf_soft_ms", "250", NULL),
	    0);
	assert_int_equal(cfg.obuf_soft_ms, 250);
	assert_int_equal(config_set(&cfg, "history.output_tail", "1MiB",
	    NULL), 0);
	assert_int_equal(cfg.history_output_tail, 1048576);
	assert_int_equal(config_set(&cfg, "history.span_output_tail", "16MiB",
	    NULL), 0);
	assert_int_equal(cfg.history_span_output_tail, 16777216);
	assert_int_equal(config_set(&cfg, "history.span_output_tail", "1024",
	    NULL), 0);
	assert_int_equal(cfg.history_span_output_tail, 1024);
	assert_int_equal(config_set(&cfg, "runs.queue_max", "1", NULL), 0);
	assert_int_equal(cfg.runs_queue_max, 1);
	assert_int_equal(config_set(&cfg, "socket.path", "/x/y.sock", NULL),
	    0);
	config_copy(&copy, &cfg);
	assert_string_equal(copy.socket_path, "/x/y.sock");
	assert_ptr_not_equal(copy.socket_path, cfg.socket_path);
	config_release(&copy);
	config_release(&cfg);
}


/* Write text to a fresh temp file; returns its path (caller frees). */
static char *
write_temp(const char *text)
{
	char *path = strdup("/tmp/ggen-test-config-XXXXXX");
	int fd;

	assert_non_null(path);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

static void
rewrite(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	fclose(f);
}

/* Load text into cfg (initialised); returns the code, fills rep/err. */
static int
load_text(struct ggend_config *cfg, const char *text,
    struct config_report *rep, struct gerr *err, char **path_out)
{
	char *path = write_temp(text);
	bool missing = true;
	int rc;

	config_report_init(rep);
	gerr_clear(err);
	rc = config_load_file(cfg, path, &missing, rep, err);
	assert_false(missing);
	assert_true(rep->loaded);
	if (path_out != NULL)
		*path_out = path;
	else {
		unlink(path);
		free(path);
	}
	return rc;
}

static void
test_file_dotted_and_tables(void **state)
{
	static const char *const texts[] = {
		"log.level = \"debug\"\n"
		"client.obuf_hard_bytes = \"64MiB\"\n"
		"client.obuf_soft_ms = \"2min\"\n"
		"client.max = 8\n"
		"client.max_line_bytes = 4096\n"
		"state.dir = \"/var/x\"\n",
		"[log]\nlevel = \"debug\"\n"
		"[client]\nobuf_hard_bytes = \"64MiB\"\nobuf_soft_ms = \"2min\"\n"
		"max = 8\nmax_line_bytes = 4096\n[state]\ndir = \"/var/x\"\n",
		"log = { level = \"debug\" }\nstate = { dir = \"/var/x\" }\n"
		"client = { obuf_hard_bytes = \"64MiB\", obuf_soft_ms = 120000, "
		"max = 8, max_line_bytes = \"4KiB\" }\n",
	};
	struct config_report rep;
	struct ggend_config cfg;
	struct gerr err;

	(void)state;
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		config_init(&cfg);
		assert_int_equal(load_text(&cfg, texts[i], &rep, &err, NULL),
		    0);
		assert_int_equal(rep.errors + rep.warnings, 0);
		assert_int_equal(cfg.log_level, 3);
		assert_int_equal(cfg.obuf_hard_bytes, (uint64_t)64 << 20);
		assert_int_equal(cfg.obuf_soft_ms, 120000);
		assert_int_equal(cfg.max_clients, 8);
		assert_int_equal(cfg.max_line_bytes, 4096);
		assert_string_equal(cfg.state_dir, "/var/x");
		assert_int_equal(config_source_of(&cfg,
		    config_find("client.max")), CONFIG_SRC_FILE);
		assert_int_equal(config_source_of(&cfg,
		    config_find("client.obuf_soft_bytes")), CONFIG_SRC_DEFAULT);
		config_report_release(&rep);
		config_release(&cfg);
	}
}

/* Every row's default, written in a file the way --help-config shows it,
 * loads without a finding: the loader handles every row type. */
static void
test_file_every_key_default(void **state)
{
	struct config_report rep;
	struct ggend_config cfg;
	struct gerr err;
	struct strbuf sb = STRBUF_INIT;

	(void)state;
	assert_true(config_table_len <= CONFIG_KEYS_MAX);
	for (size_t i = 0; i < config_table_len; i++) {
		const struct config_def *d = &config_table[i];

		if (d->type == CFG_U64 || d->type == CFG_BOOL)
			strbuf_addf(&sb, "%s = %s\n", d->key, d->def);
		else
			strbuf_addf(&sb, "%s = \"%s\"\n", d->key, d->def);
	}
	config_init(&cfg);
	assert_int_equal(load_text(&cfg, sb.buf, &rep, &err, NULL), 0);
	assert_int_equal(rep.errors + rep.warnings, 0);
	for (size_t i = 0; i < config_table_len; i++)
		assert_int_equal(config_source_of(&cfg, &config_table[i]),
		    CONFIG_SRC_FILE);
	config_report_release(&rep);
	config_release(&cfg);
	strbuf_release(&sb);
}

struct bad_file {
	const char *text;
	enum gerr_code code;
	int line, col;
	const char *fragment;
};

static const struct bad_file config_bad_files[] = {
	{ "client.max = 0\n", GERR_INVALID, 1, 14,
	  "client.max: 0 out of range [1, 65536]" },
	{ "[client]\nmax = 70000\n", GERR_INVALID, 2, 7,
	  "client.max: 70000 out of range" },
	{ "\n[client]\n  max = -3\n", GERR_INVALID, 3, 9,
	  "client.max: -3 out of range [1, 65536]" },
	{ "client.max = \"8\"\n", GERR_INVALID, 1, 14,
	  "client.max: expected an integer, found string" },
	{ "client.max = 1.5\n", GERR_INVALID, 1, 14,
	  "expected an integer, found float" },
	{ "log.level = 3\n", GERR_INVALID, 1, 13,
	  "log.level: expected a string, found integer" },
	{ "log.level = \"loud\"\n", GERR_INVALID, 1, 13,
	  "expected one of error|warn|info|debug, found \"loud\"" },
	{ "client.obuf_soft_ms = true\n", GERR_INVALID, 1, 23,
	  "expected an integer (ms) or a string like \"10s\", found bool" },
	{ "client.obuf_soft_ms = \"2h\"\n", GERR_INVALID, 1, 23,
	  "unknown unit \"h\"" },
	{ "client.obuf_hard_bytes = \"1KiB\"\n", GERR_INVALID, 1, 26,
	  "out of range [4096," },
	{ "client.obuf_hard_bytes = [1]\n", GERR_INVALID, 1, 26,
	  "found array" },
	{ "socket.path = 5\n", GERR_INVALID, 1, 15,
	  "socket.path: expected a string, found integer" },
	{ "[client.max]\nx = 1\n", GERR_INVALID, 1, 1,
	  "client.max: expected an integer, found table" },
	{ "client.max = \n", GERR_PARSE, 1, 14, "expected a value" },
	{ "client.max = 1\nclient.max = 2\n", GERR_PARSE, 2, 8,
	  "duplicate key 'client.max' (first defined at 1:8)" },
};

static void
test_file_bad_values(void **state)
{
	struct config_report rep;
	struct ggend_config cfg;
	struct gerr err;

	(void)state;
	for (size_t i = 0; i < sizeof(config_bad_files) /
	    sizeof(config_bad_files[0]); i++) {
		const struct bad_file *b = &config_bad_files[i];
		char *path;
		char want[600];

		config_init(&cfg);
		assert_int_equal(load_text(&cfg, b->text, &rep, &err, &path),
		    b->code);
		if (err.line != b->line || err.col != b->col ||
		    strstr(err.msg, b->fragment) == NULL)
			fail_msg("case %zu: got %d:%d \"%s\", want %d:%d \"%s\"",
			    i, err.line, err.col, err.msg, b->line, b->col,
			    b->fragment);
		assert_string_equal(err.file, path);
		assert_int_equal(rep.errors, 1);
		assert_int_equal(rep.len, 1);
		snprintf(want, sizeof(want), "%s:%d:%d: error: ", path,
		    b->line, b->col);
		assert_true(strncmp(rep.lines[0], want, strlen(want)) == 0);
		config_report_release(&rep);
		config_release(&cfg);
		unlink(path);
		free(path);
	}
}

static void
test_file_unknown_keys_and_all_findings(void **state)
{
	struct config_report rep;
	struct ggend_config cfg;
	struct gerr err;
	char *path;
	char want[600];

	(void)state;
	config_init(&cfg);
	assert_int_equal(load_text(&cfg,
	    "log.levle = \"debug\"\n"
	    "[client]\nmax_lin_bytes = 3\nmax = 0\nobuf_soft_ms = \"1s\"\n"
	    "[nothing]\nnear = 1\n", &rep, &err, &path), GERR_INVALID);
	assert_int_equal(rep.errors, 1);
	assert_int_equal(rep.warnings, 3);
	assert_int_equal(rep.len, 4);
	/* A dotted key is placed at its last segment. */
	snprintf(want, sizeof(want), "%s:1:5: warning: unknown key "
	    "'log.levle'; did you mean 'log.level'?", path);
	assert_string_equal(rep.lines[0], want);
	snprintf(want, sizeof(want), "%s:3:1: warning: unknown key "
	    "'client.max_lin_bytes'; did you mean 'client.max_line_bytes'?",
	    path);
	assert_string_equal(rep.lines[1], want);
	snprintf(want, sizeof(want), "%s:4:7: error: client.max: 0 out of "
	    "range [1, 65536]", path);
	assert_string_equal(rep.lines[2], want);
	snprintf(want, sizeof(want), "%s:7:1: warning: unknown key "
	    "'nothing.near'", path);
	assert_string_equal(rep.lines[3], want);
	/* Later valid keys were still read (the caller discards cfg). */
	assert_int_equal(cfg.obuf_soft_ms, 1000);
	config_report_release(&rep);
	config_release(&cfg);

	/* Warnings alone do not fail the load. */
	config_init(&cfg);
	rewrite(path, "client.mux = 3\nclient.max = 3\n");
	config_report_init(&rep);
	bool missing;
	assert_int_equal(config_load_file(&cfg, path, &missing, &rep, NULL),
	    0);
	assert_int_equal(rep.warnings, 1);
	assert_int_equal(cfg.max_clients, 3);
	config_report_release(&rep);
	config_release(&cfg);
	unlink(path);
	free(path);
}

static void
test_file_report_cap(void **state)
{
	struct config_report rep;
	struct ggend_config cfg;
	struct gerr err;
	char text[4096] = "";
	size_t n = 0;

	(void)state;
	for (int i = 0; i < CONFIG_REPORT_MAX + 10; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "k%d = 1\n",
		    i);
	config_init(&cfg);
	assert_int_equal(load_text(&cfg, text, &rep, &err, NULL), 0);
	assert_int_equal(rep.warnings, CONFIG_REPORT_MAX + 10);
	assert_int_equal(rep.len, CONFIG_REPORT_MAX);
	config_report_release(&rep);
	config_release(&cfg);
}

static void
test_file_missing_and_empty(void **state)
{
	struct config_report rep;
	struct ggend_config cfg;
	struct gerr err;
	bool missing = false;

	(void)state;
	config_init(&cfg);
	config_report_init(&rep);
	gerr_clear(&err);
	assert_int_equal(config_load_file(&cfg, "/nonexistent/ggend.toml",
	    &missing, &rep, &err), GERR_IO);
	assert_true(missing);
	assert_false(rep.loaded);
	assert_string_equal(err.msg,
	    "open /nonexistent/ggend.toml: No such file or directory");
	config_report_release(&rep);
	/* Empty file, BOM, CRLF: all fine. */
	assert_int_equal(load_text(&cfg, "", &rep, &err, NULL), 0);
	config_report_release(&rep);
	assert_int_equal(load_text(&cfg, "\xef\xbb\xbf" "client.max = 5\r\n",
	    &rep, &err, NULL), 0);
	assert_int_equal(cfg.max_clients, 5);
	config_report_release(&rep);
	config_release(&cfg);
}

static void
test_keep_restart(void **state)
{
	struct ggend_config live, next;
	struct config_report rep;

	(void)state;
	config_init(&live);
	config_init(&next);
	config_report_init(&rep);
	rep.path = strdup("f.toml");
	assert_int_equal(config_set(&next, "socket.path", "/new.sock", NULL),
	    0);
	assert_int_equal(config_set(&next, "client.max", "9", NULL), 0);
	assert_int_equal(config_keep_restart(&next, &live, &rep), 1);
	assert_string_equal(next.socket_path, "");
	assert_int_equal(next.max_clients, 9);
	assert_int_equal(rep.warnings, 1);
	assert_string_equal(rep.lines[0], "f.toml: warning: socket.path "
	    "changes only on restart; keeping \"\"");
	assert_int_equal(config_source_of(&next, config_find("socket.path")),
	    CONFIG_SRC_DEFAULT);
	config_report_release(&rep);
	config_release(&next);
	config_release(&live);
}

static void
test_default_path(void **state)
{
	char *p;

	(void)state;
	setenv("XDG_CONFIG_HOME", "/xdg", 1);
	setenv("HOME", "/home/u", 1);
	p = config_default_path();
	assert_string_equal(p, "/xdg/ggen/ggend.toml");
	free(p);
	setenv("XDG_CONFIG_HOME", "relative", 1);
	p = config_default_path();
	assert_string_equal(p, "/home/u/.config/ggen/ggend.toml");
	free(p);
	unsetenv("XDG_CONFIG_HOME");
	unsetenv("HOME");
	assert_null(config_default_path());
}

/* ggend: a bad file never replaces the last good configuration; argv
 * overrides win over the file; restart-only keys keep their value. */
static void
test_reload_keeps_last_good(void **state)
{
	char *ov[] = { (char *)"client.obuf_soft_ms=3s" };
	char *path = write_temp("client.max = 7\nclient.obuf_soft_ms = 1\n");
	struct ggend g;

	(void)state;
	assert_int_equal(ggend_init(&g, ev_default_loop(0), ov, 1, NULL), 0);
	ggend_config_file(&g, path);
	assert_int_equal(g.cfg.max_clients, 7);
	assert_int_equal(g.cfg.obuf_soft_ms, 3000);
	assert_int_equal(config_source_of(&g.cfg, config_find(
	    "client.obuf_soft_ms")), CONFIG_SRC_SET);
	assert_int_equal(g.config_loads, 1);

	rewrite(path, "client.max = 9\nlog.level = \"nope\"\n");
	ggend_reload(&g);
	assert_int_equal(g.cfg.max_clients, 7);
	assert_int_equal(g.cfg.log_level, 2);
	assert_int_equal(g.config_report.errors, 1);
	assert_non_null(strstr(g.config_report.lines[0], ":2:13: error: "
	    "log.level: expected one of"));
	assert_int_equal(g.reloads, 0);

	rewrite(path, "client.max = 9\nstate.dir = \"/elsewhere\"\n");
	ggend_reload(&g);
	assert_int_equal(g.cfg.max_clients, 9);
	assert_string_equal(g.cfg.state_dir, "");
	assert_int_equal(g.config_report.errors, 0);
	assert_int_equal(g.config_report.warnings, 1);
	assert_non_null(strstr(g.config_report.lines[0],
	    "state.dir changes only on restart"));
	assert_int_equal(g.reloads, 1);
	assert_int_equal(g.config_loads, 3);

	/* A file that disappears is an error when named by --config. */
	unlink(path);
	ggend_reload(&g);
	assert_int_equal(g.cfg.max_clients, 9);
	assert_int_equal(g.config_report.errors, 1);
	ggend_release(&g);
	free(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_bad_values_keep_config),
		cmocka_unit_test(test_units),
		cmocka_unit_test(test_file_dotted_and_tables),
		cmocka_unit_test(test_file_every_key_default),
		cmocka_unit_test(test_file_bad_values),
		cmocka_unit_test(test_file_unknown_keys_and_all_findings),
		cmocka_unit_test(test_file_report_cap),
		cmocka_unit_test(test_file_missing_and_empty),
		cmocka_unit_test(test_keep_restart),
		cmocka_unit_test(test_default_path),
		cmocka_unit_test(test_reload_keeps_last_good),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
