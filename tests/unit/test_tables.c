/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Walks the command tables: protocol rows, daemon handlers, ggenc entries
 * and err_table[] must agree (doc/ARCHITECTURE.md 8). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "cmd.h"
#include "commands.h"
#include "errors.h"
#include "req.h"

static void
test_proto_rows(void **state)
{
	size_t i, j, k;

	(void)state;
	for (i = 0; i < PROTO_CMD_COUNT; i++) {
		assert_int_equal(proto_cmd_table[i].id, i);
		assert_non_null(proto_cmd_table[i].name);
		assert_non_null(proto_cmd_table[i].summary);
		assert_ptr_equal(proto_cmd_find(proto_cmd_table[i].name),
		    &proto_cmd_table[i]);
		for (j = i + 1; j < PROTO_CMD_COUNT; j++)
			assert_string_not_equal(proto_cmd_table[i].name,
			    proto_cmd_table[j].name);
		for (j = 0; j < PROTO_FIELDS_MAX &&
		    proto_cmd_table[i].fields[j].name != NULL; j++) {
			assert_string_not_equal(proto_cmd_table[i].fields[j].name,
			    "id");
			assert_string_not_equal(proto_cmd_table[i].fields[j].name,
			    "cmd");
			for (k = j + 1; k < PROTO_FIELDS_MAX &&
			    proto_cmd_table[i].fields[k].name != NULL; k++)
				assert_string_not_equal(
				    proto_cmd_table[i].fields[j].name,
				    proto_cmd_table[i].fields[k].name);
		}
	}
	assert_null(proto_cmd_find("nope"));
}

static void
test_one_handler_per_command(void **state)
{
	size_t i, j, n;

	(void)state;
	for (i = 0; i < PROTO_CMD_COUNT; i++) {
		for (n = 0, j = 0; j < req_table_len; j++)
			if (req_table[j]->proto == (enum proto_cmd_id)i)
				n++;
		if (n != 1)
			fail_msg("command \"%s\" has %zu daemon handlers",
			    proto_cmd_table[i].name, n);
	}
	for (j = 0; j < req_table_len; j++)
		assert_non_null(req_table[j]->handler);
	assert_int_equal(req_table_len, PROTO_CMD_COUNT);
}

static void
test_one_client_entry_per_command(void **state)
{
	size_t i, j, n;

	(void)state;
	for (i = 0; i < PROTO_CMD_COUNT; i++) {
		for (n = 0, j = 0; j < cmd_table_len; j++)
			if (cmd_table[j]->proto == (int)i)
				n++;
		if (proto_cmd_table[i].flags & PROTO_CMD_INTERNAL) {
			if (n != 0)
				fail_msg("internal \"%s\" has a ggenc entry",
				    proto_cmd_table[i].name);
		} else if (n != 1)
			fail_msg("command \"%s\" has %zu ggenc entries",
			    proto_cmd_table[i].name, n);
	}
}

static void
test_client_entries(void **state)
{
	const struct cmd_entry *e, *f;
	size_t i, j;

	(void)state;
	for (i = 0; i < cmd_table_len; i++) {
		e = cmd_table[i];
		assert_non_null(e->name);
		assert_non_null(e->usage);
		assert_non_null(e->summary);
		assert_true(e->args.min <= e->args.max);
		if (e->proto == CMD_LOCAL)
			assert_non_null(e->run);
		else {
			assert_true(e->proto >= 0 && e->proto < PROTO_CMD_COUNT);
			assert_non_null(e->render);
		}
		for (j = i + 1; j < cmd_table_len; j++) {
			f = cmd_table[j];
			assert_string_not_equal(e->name, f->name);
			if (e->alias != NULL && f->alias != NULL)
				assert_string_not_equal(e->alias, f->alias);
			if (e->alias != NULL)
				assert_string_not_equal(e->alias, f->name);
			if (f->alias != NULL)
				assert_string_not_equal(f->alias, e->name);
		}
	}
}

static void
test_cmd_find(void **state)
{
	const struct cmd_entry *e;
	struct gerr err;

	(void)state;
	assert_int_equal(cmd_find("status", &e, NULL), 0);
	assert_string_equal(e->name, "status");
	assert_int_equal(cmd_find("st", &e, NULL), 0);	/* alias wins */
	assert_string_equal(e->name, "status");
	assert_int_equal(cmd_find("shut", &e, NULL), 0);	/* prefix */
	assert_string_equal(e->name, "shutdown");
	gerr_clear(&err);
	assert_int_equal(cmd_find("s", &e, &err), GERR_INVALID);
	assert_string_equal(err.msg,
	    "ambiguous command \"s\": status, show, stats, shutdown");
	assert_null(e);
	gerr_clear(&err);
	assert_int_equal(cmd_find("zzz", &e, &err), GERR_NOT_FOUND);
	assert_non_null(strstr(err.msg, "unknown command \"zzz\""));
	gerr_clear(&err);
	assert_int_equal(cmd_find("", &e, &err), GERR_NOT_FOUND);
}

static void
test_err_table(void **state)
{
	size_t i, j;

	(void)state;
	for (i = 0; i < GERR_CODE_COUNT; i++) {
		if (err_table[i].wire == NULL)
			fail_msg("gerr code %zu has no err_table row", i);
		assert_int_equal(err_table[i].code, i);
		assert_non_null(err_table[i].text);
		assert_ptr_equal(err_by_wire(err_table[i].wire), &err_table[i]);
		assert_true(strspn(err_table[i].wire,
		    "abcdefghijklmnopqrstuvwxyz_") == strlen(err_table[i].wire));
		for (j = i + 1; j < GERR_CODE_COUNT; j++)
			assert_string_not_equal(err_table[i].wire,
			    err_table[j].wire);
	}
	assert_int_equal(err_lookup(GERR_UNREACHABLE)->exit_status,
	    ERR_EXIT_UNREACHABLE);
	assert_int_equal(err_lookup(GERR_PHASE_NOT_FOUND)->exit_status,
	    ERR_EXIT_FAILED);
	assert_string_equal(err_lookup(GERR_PHASE_NOT_FOUND)->wire,
	    "phase_not_found");
	assert_ptr_equal(err_lookup((enum gerr_code)9999),
	    &err_table[GERR_INTERNAL]);
	assert_null(err_by_wire("no_such_code"));
}

/* Integer bounds live in the protocol row: the daemon's validation and
 * ggenc's option checks read the same numbers. */
static void
test_field_bounds(void **state)
{
	const struct proto_cmd *run = proto_cmd_get(PROTO_CMD_RUN);
	const struct proto_field *jobs = proto_field_find(PROTO_CMD_RUN,
	    "jobs");
	const char *cases[] = { "0", "1025", "-3" };
	struct gerr err;
	cJSON *req;

	(void)state;
	assert_non_null(jobs);
	assert_int_equal(jobs->min, 1);
	assert_int_equal(jobs->max, 1024);
	assert_int_equal(proto_field_find(PROTO_CMD_TRIM, "keep")->max,
	    1000000);
	assert_null(proto_field_find(PROTO_CMD_RUN, "nope"));
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char text[128];

		snprintf(text, sizeof(text), "{\"phases\":[],\"root\":\"/\","
		    "\"jobs\":%s}", cases[i]);
		req = cJSON_Parse(text);
		gerr_clear(&err);
		assert_int_equal(proto_cmd_validate(run, req, &err),
		    GERR_INVALID);
		assert_non_null(strstr(err.msg, "expected 1 to 1024"));
		cJSON_Delete(req);
	}
	req = cJSON_Parse("{\"phases\":[],\"root\":\"/\",\"jobs\":1024}");
	assert_int_equal(proto_cmd_validate(run, req, NULL), 0);
	cJSON_Delete(req);
	/* Unbounded integers stay unbounded. */
	req = cJSON_Parse("{\"run\":123456789}");
	assert_int_equal(proto_cmd_validate(proto_cmd_get(PROTO_CMD_CANCEL),
	    req, NULL), 0);
	cJSON_Delete(req);
}

/* Every option row: "--name" form, unique per command and against the
 * global rows, a help line; every command has an example. */
static void
test_option_rows(void **state)
{
	const struct cmd_opt *o, *q;

	(void)state;
	for (size_t i = 0; i < cmd_table_len; i++) {
		const struct cmd_entry *e = cmd_table[i];

		if (!(e->flags & CMD_HIDDEN))
			assert_non_null(e->example);
		for (o = e->opts; o != NULL && o->name != NULL; o++) {
			assert_true(strncmp(o->name, "--", 2) == 0);
			assert_non_null(o->help);
			for (q = o + 1; q->name != NULL; q++)
				assert_string_not_equal(o->name, q->name);
			for (q = cmd_global_opts; q->name != NULL; q++)
				assert_string_not_equal(o->name, q->name);
		}
	}
}

struct parse_case {
	const char *argv[8];
	int rc;			/* 0 or the gerr code */
	const char *msg;	/* fragment of the message, or the command */
	int pos;		/* positionals (rc 0) */
	const char *opt, *value;	/* an option and its value (rc 0) */
};

static const struct parse_case parse_cases[] = {
	{ { "logs", "12", "--follow" }, 0, "logs", 1, "--follow", "" },
	{ { "logs", "-f", "12" }, 0, "logs", 1, "--follow", "" },
	{ { "history", "--since=2h", "build" }, 0, "history", 1, "--since",
	  "2h" },
	{ { "history", "--limit", "5" }, 0, "history", 0, "--limit", "5" },
	{ { "run", "--root", "/p", "build", "test" }, 0, "run", 2, "--root",
	  "/p" },
	{ { "--json", "run", "build", "--", "--force" }, 0, "run", 2, NULL,
	  NULL },
	{ { "logs", "-1" }, 0, "logs", 1, NULL, NULL },	/* a number */
	{ { "stauts" }, GERR_NOT_FOUND,
	  "unknown command \"stauts\"; did you mean \"status\" or \"stats\"?",
	  0, NULL, NULL },
	{ { "logs", "1", "--folow" }, GERR_INVALID,
	  "unknown option \"--folow\" for \"logs\"; did you mean "
	  "\"--follow\"?", 0, NULL, NULL },
	{ { "logs", "1", "-follow" }, GERR_INVALID, "did you mean "
	  "\"--follow\"?", 0, NULL, NULL },
	{ { "--jsn", "roots" }, GERR_INVALID, "unknown option \"--jsn\"; did "
	  "you mean \"--json\"?", 0, NULL, NULL },
	{ { "status", "--zzzzzz" }, GERR_INVALID, "unknown option "
	  "\"--zzzzzz\" for \"status\"", 0, NULL, NULL },
	{ { "history", "--limit" }, GERR_INVALID, "--limit needs a value (N)",
	  0, NULL, NULL },
	{ { "runs", "--all=yes" }, GERR_INVALID, "--all takes no value", 0,
	  NULL, NULL },
	{ { "roots", "x" }, GERR_INVALID, "too many arguments: roots takes 0",
	  0, NULL, NULL },
	{ { "show" }, GERR_INVALID, "too few arguments: show needs 1", 0,
	  NULL, NULL },
	{ { "__man" }, 0, "__man", 0, NULL, NULL },	/* hidden: exact only */
	{ { "__ma" }, GERR_NOT_FOUND, "unknown command", 0, NULL, NULL },
};

static void
test_cmd_parse(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]);
	    i++) {
		const struct parse_case *c = &parse_cases[i];
		char *argv[10] = { (char *)"ggenc" };
		struct cmd_ctx ctx = { 0 };
		struct cmd_parsed p;
		struct gerr err;
		int argc = 1, rc;

		while (c->argv[argc - 1] != NULL)
			argv[argc] = (char *)c->argv[argc - 1], argc++;
		gerr_clear(&err);
		rc = cmd_parse(argc, argv, &p, &err);
		if (rc != c->rc || (rc != 0 && strstr(err.msg, c->msg) == NULL))
			fail_msg("case %zu: rc %d, \"%s\"", i, rc, err.msg);
		if (rc == 0) {
			assert_string_equal(p.entry->name, c->msg);
			assert_int_equal(p.pos, c->pos);
			assert_int_equal(p.argc, c->pos);
			ctx.optv = p.optv;
			ctx.optc = p.optc;
			if (c->opt != NULL)
				assert_string_equal(cmd_opt_value(&ctx, c->opt),
				    c->value);
		}
		cmd_parsed_release(&p);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_proto_rows),
		cmocka_unit_test(test_field_bounds),
		cmocka_unit_test(test_one_handler_per_command),
		cmocka_unit_test(test_one_client_entry_per_command),
		cmocka_unit_test(test_client_entries),
		cmocka_unit_test(test_cmd_find),
		cmocka_unit_test(test_err_table),
		cmocka_unit_test(test_option_rows),
		cmocka_unit_test(test_cmd_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
