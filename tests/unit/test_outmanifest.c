/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests for common/outmanifest.c (action-result manifests) and
 * common/cachekey_platform.c (platform part and action key): a round trip,
 * a table of refused manifests (each with the code and a message
 * fragment), truncation at every byte, caps, and key properties.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cachekey_platform.h"
#include "outmanifest.h"
#include "sha256.h"
#include "xmalloc.h"

#define SHA_A "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
#define KEY "979c06fbbd2d9c8a1d0dc9a8ae7e8c47bd52e9a4f8cb1c1e8dfa7fe16eb2e6ee"

static void
test_sha256(void **state)
{
	char hex[SHA256_HEX_SIZE];

	(void)state;
	sha256_hex("hello", 5, hex);
	assert_string_equal(hex, SHA_A);
	assert_true(sha256_hex_valid(SHA_A));
	assert_false(sha256_hex_valid("2CF24DBA5FB0A30E26E83B2AC5B9E29E1B161E5C"
	    "1FA7425E73043362938B9824"));
	assert_false(sha256_hex_valid("abc"));
}

static void
test_round_trip(void **state)
{
	struct outmanifest *m = outmanifest_new(KEY, "build"), *back = NULL;
	char *text;

	(void)state;
	assert_int_equal(outmanifest_add(m, "out/b", 0755, 5, SHA_A, NULL), 0);
	assert_int_equal(outmanifest_add(m, "out/a", 0644, 5, SHA_A, NULL), 0);
	outmanifest_set_tail(m, "done\n", 5);
	assert_int_equal(outmanifest_seal(m, NULL), 0);
	assert_string_equal(m->files[0].path, "out/a");
	assert_int_equal(m->total_bytes, 10);
	text = outmanifest_to_json(m);
	assert_non_null(strstr(text, "\"mode\":\"0755\""));
	assert_int_equal(outmanifest_parse(text, strlen(text), KEY, 0, &back,
	    NULL), 0);
	assert_int_equal(back->n_files, 2);
	assert_string_equal(back->files[1].path, "out/b");
	assert_int_equal(back->files[1].mode, 0755);
	assert_int_equal(back->files[1].size, 5);
	assert_string_equal(back->output_tail, "done\n");
	assert_string_equal(back->phase, "build");
	/* Every truncation fails cleanly (ASan watches the reads). */
	for (size_t n = 0; n < strlen(text); n++) {
		struct outmanifest *t = NULL;

		assert_int_not_equal(outmanifest_parse(text, n, KEY, 0, &t,
		    NULL), 0);
		assert_null(t);
	}
	/* The byte budget and the key asked for. */
	outmanifest_free(back);
	back = NULL;
	assert_int_equal(outmanifest_parse(text, strlen(text), KEY, 9, &back,
	    NULL), GERR_TOO_LARGE);
	assert_int_equal(outmanifest_parse(text, strlen(text), SHA_A, 0, &back,
	    NULL), GERR_INVALID);
	free(text);
	outmanifest_free(m);
}

struct bad_case {
	const char *files;	/* JSON array text */
	int code;
	const char *msg;
};

static const struct bad_case bad_cases[] = {
	{ "[{\"path\":\"../x\",\"mode\":\"0644\",\"size\":1,\"sha256\":\""
	  SHA_A "\"}]", GERR_INVALID, "contains \"..\"" },
	{ "[{\"path\":\"a/../../x\",\"mode\":\"0644\",\"size\":1,\"sha256\":\""
	  SHA_A "\"}]", GERR_INVALID, "contains \"..\"" },
	{ "[{\"path\":\"/etc/passwd\",\"mode\":\"0644\",\"size\":1,\"sha256\":"
	  "\"" SHA_A "\"}]", GERR_INVALID, "is absolute" },
	{ "[{\"path\":\"a//b\",\"mode\":\"0644\",\"size\":1,\"sha256\":\""
	  SHA_A "\"}]", GERR_INVALID, "empty component" },
	{ "[{\"path\":\"./a\",\"mode\":\"0644\",\"size\":1,\"sha256\":\""
	  SHA_A "\"}]", GERR_INVALID, "contains \".\"" },
	{ "[{\"path\":\"a/\",\"mode\":\"0644\",\"size\":1,\"sha256\":\""
	  SHA_A "\"}]", GERR_INVALID, "ends with '/'" },
	{ "[{\"path\":\"\",\"mode\":\"0644\",\"size\":1,\"sha256\":\""
	  SHA_A "\"}]", GERR_INVALID, "empty output path" },
	{ "[{\"path\":\"a\",\"mode\":\"4755\",\"size\":1,\"sha256\":\""
	  SHA_A "\"}]", GERR_INVALID, "mode" },
	{ "[{\"path\":\"a\",\"mode\":644,\"size\":1,\"sha256\":\""
	  SHA_A "\"}]", GERR_INVALID, "mode" },
	{ "[{\"path\":\"a\",\"mode\":\"0644\",\"size\":-1,\"sha256\":\""
	  SHA_A "\"}]", GERR_INVALID, "size" },
	{ "[{\"path\":\"a\",\"mode\":\"0644\",\"size\":1.5,\"sha256\":\""
	  SHA_A "\"}]", GERR_INVALID, "size" },
	{ "[{\"path\":\"a\",\"mode\":\"0644\",\"size\":1,\"sha256\":\"ab\"}]",
	  GERR_INVALID, "sha256" },
	{ "[{\"path\":\"a\",\"mode\":\"0644\",\"size\":1}]", GERR_INVALID,
	  "sha256" },
	{ "[{\"mode\":\"0644\",\"size\":1,\"sha256\":\"" SHA_A "\"}]",
	  GERR_INVALID, "files[0].path" },
	{ "[1]", GERR_INVALID, "files[0] is not an object" },
	{ "[{\"path\":\"a\",\"mode\":\"0644\",\"size\":1,\"sha256\":\"" SHA_A
	  "\"},{\"path\":\"a\",\"mode\":\"0644\",\"size\":1,\"sha256\":\""
	  SHA_A "\"}]", GERR_INVALID, "listed twice" },
	{ "[{\"path\":\"a\",\"mode\":\"0644\",\"size\":1,\"sha256\":\"" SHA_A
	  "\"},{\"path\":\"a/b\",\"mode\":\"0644\",\"size\":1,\"sha256\":\""
	  SHA_A "\"}]", GERR_INVALID, "below the file" },
	{ "{}", GERR_INVALID, "files missing" },
};

static void
test_bad_files(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		char *text = xasprintf("{\"ggen_manifest\":1,\"key\":\"%s\","
		    "\"phase\":\"b\",\"exit_code\":0,\"files\":%s}", KEY,
		    bad_cases[i].files);
		struct outmanifest *m = NULL;
		struct gerr err;

		gerr_clear(&err);
		if (outmanifest_parse(text, strlen(text), NULL, 0, &m, &err) !=
		    bad_cases[i].code || strstr(err.msg, bad_cases[i].msg) ==
		    NULL)
			fail_msg("case %zu: code %d, message \"%s\"", i, err.code,
			    err.msg);
		assert_null(m);
		free(text);
	}
}

static void
test_bad_top(void **state)
{
	static const struct {
		const char *text;
		int code;
		const char *msg;
	} cases[] = {
		{ "", GERR_PARSE, "not valid JSON" },
		{ "[]", GERR_INVALID, "not a JSON object" },
		{ "{\"ggen_manifest\":2}", GERR_INVALID, "ggen_manifest" },
		{ "{\"ggen_manifest\":1,\"key\":\"x\"}", GERR_INVALID, "key" },
		{ "{\"ggen_manifest\":1,\"key\":\"" KEY "\",\"phase\":1}",
		  GERR_INVALID, "phase" },
		{ "{\"ggen_manifest\":1,\"key\":\"" KEY "\",\"phase\":\"b\","
		  "\"exit_code\":999,\"files\":[]}", GERR_INVALID, "exit_code" },
		{ "{\"ggen_manifest\":1,\"key\":\"" KEY "\",\"phase\":\"b\","
		  "\"exit_code\":0,\"files\":[],\"output_tail\":3}",
		  GERR_INVALID, "output_tail" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct outmanifest *m = NULL;
		struct gerr err;

		gerr_clear(&err);
		assert_int_equal(outmanifest_parse(cases[i].text,
		    strlen(cases[i].text), NULL, 0, &m, &err), cases[i].code);
		assert_non_null(strstr(err.msg, cases[i].msg));
		assert_null(m);
	}
}

static void
test_caps(void **state)
{
	struct outmanifest *m = outmanifest_new(KEY, "b");
	char *big = xmalloc(OUTMANIFEST_TEXT_MAX + 2);
	char path[32];

	(void)state;
	memset(big, ' ', OUTMANIFEST_TEXT_MAX + 1);
	big[OUTMANIFEST_TEXT_MAX + 1] = '\0';
	{
		struct outmanifest *t = NULL;

		assert_int_equal(outmanifest_parse(big, OUTMANIFEST_TEXT_MAX +
		    1, NULL, 0, &t, NULL), GERR_TOO_LARGE);
		assert_null(t);
	}
	free(big);
	for (int i = 0; i < OUTMANIFEST_FILES_MAX; i++) {
		snprintf(path, sizeof(path), "f%d", i);
		assert_int_equal(outmanifest_add(m, path, 0644, 1, SHA_A, NULL),
		    0);
	}
	assert_int_equal(outmanifest_add(m, "one-more", 0644, 1, SHA_A, NULL),
	    GERR_LIMIT);
	assert_int_equal(outmanifest_seal(m, NULL), 0);
	outmanifest_free(m);
	/* A long path is refused. */
	big = xmalloc(OUTMANIFEST_PATH_MAX + 2);
	memset(big, 'a', OUTMANIFEST_PATH_MAX + 1);
	big[OUTMANIFEST_PATH_MAX + 1] = '\0';
	assert_int_equal(outmanifest_check_path(big, NULL), GERR_INVALID);
	free(big);
	/* The tail keeps its last bytes. */
	m = outmanifest_new(KEY, "b");
	big = xmalloc(OUTMANIFEST_TAIL_MAX + 11);
	memset(big, 'x', OUTMANIFEST_TAIL_MAX + 10);
	memcpy(big + OUTMANIFEST_TAIL_MAX + 6, "END", 3);
	big[OUTMANIFEST_TAIL_MAX + 10] = '\0';
	outmanifest_set_tail(m, big, OUTMANIFEST_TAIL_MAX + 10);
	assert_int_equal(strlen(m->output_tail), OUTMANIFEST_TAIL_MAX);
	assert_non_null(strstr(m->output_tail, "END"));
	free(big);
	outmanifest_free(m);
}

static void
test_action_key(void **state)
{
	struct cachekey_platform_input in[] = {
		{ "cc --version", SHA_A },
	};
	const char *outs[] = { "out/", "dist/app" };
	char p1[CACHEKEY_HEX_SIZE], p2[CACHEKEY_HEX_SIZE];
	char p3[CACHEKEY_HEX_SIZE], a1[CACHEKEY_HEX_SIZE];
	char a2[CACHEKEY_HEX_SIZE], a3[CACHEKEY_HEX_SIZE];
	char want[CACHEKEY_HEX_SIZE];

	(void)state;
	cachekey_platform("Linux", "x86_64", NULL, 0, p1);
	/* The documented preimage, hashed independently. */
	{
		const char pre[] = "ggen-platform-v1\nos=Linux\narch=x86_64";

		sha256_hex(pre, sizeof(pre) - 1, want);
		assert_string_equal(p1, want);
	}
	cachekey_platform("Linux", "aarch64", NULL, 0, p2);
	cachekey_platform("Linux", "x86_64", in, 1, p3);
	assert_string_not_equal(p1, p2);
	assert_string_not_equal(p1, p3);
	cachekey_action(KEY, p1, outs, 2, a1);
	cachekey_action(KEY, p1, outs, 1, a2);
	cachekey_action(KEY, p2, outs, 2, a3);
	assert_true(sha256_hex_valid(a1));
	assert_string_not_equal(a1, a2);
	assert_string_not_equal(a1, a3);
	cachekey_action(KEY, p1, outs, 2, a2);
	assert_string_equal(a1, a2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sha256),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_bad_files),
		cmocka_unit_test(test_bad_top),
		cmocka_unit_test(test_caps),
		cmocka_unit_test(test_action_key),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
