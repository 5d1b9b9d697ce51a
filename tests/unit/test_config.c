/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for daemon/config.c: defaults parse, units, bounds, errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "config.h"

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
	assert_int_equal(config_set(&cfg, "socket.path", "/x/y.sock", NULL),
	    0);
	config_copy(&copy, &cfg);
	assert_string_equal(copy.socket_path, "/x/y.sock");
	assert_ptr_not_equal(copy.socket_path, cfg.socket_path);
	config_release(&copy);
	config_release(&cfg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_bad_values_keep_config),
		cmocka_unit_test(test_units),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
