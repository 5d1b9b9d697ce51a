/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests for daemon/outstore.c (the local output store) and the
 * portability of phase keys (daemon/engine_cache.c + the action key):
 * capture and restore into another checkout, a symlink on the way refused,
 * a wrong sha256 discarded, eviction to the bound (least recently used
 * first), a damaged manifest dropped, and two roots at different paths
 * getting equal keys.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "cachekey_platform.h"
#include "engine_cache.h"
#include "make.h"
#include "outstore.h"
#include "sha256.h"
#include "testutil.h"
#include "xmalloc.h"

#define KEY1 "1111111111111111111111111111111111111111111111111111111111111111"
#define KEY2 "2222222222222222222222222222222222222222222222222222222222222222"
#define KEY3 "3333333333333333333333333333333333333333333333333333333333333333"

static char *
slurp(const char *dir, const char *rel)
{
	char *p = xasprintf("%s/%s", dir, rel);
	FILE *f = fopen(p, "rb");
	char *buf = xcalloc(1, 65536);

	free(p);
	if (f == NULL) {
		free(buf);
		return NULL;
	}
	if (fread(buf, 1, 65535, f) == 0)
		buf[0] = '\0';
	fclose(f);
	return buf;
}

static void
test_capture_restore(void **state)
{
	char *st = testutil_tmpdir("os-state"), *a = testutil_tmpdir("os-a");
	char *b = testutil_tmpdir("os-b");
	const char *outs[] = { "out/", "./bin" };
	struct outmanifest *m = NULL, *got = NULL;
	struct outstore *s;
	struct stat sb;
	uint64_t bytes = 0;
	char *text, *p;

	(void)state;
	testutil_mkdir(a, "out");
	testutil_mkdir(a, "out/sub");
	testutil_put(a, "out/x", "ex\n");
	testutil_put(a, "out/sub/y", "why\n");
	testutil_put(a, "bin", "#!/bin/sh\n");
	p = xasprintf("%s/bin", a);
	chmod(p, 0755);
	free(p);
	s = outstore_open(st, 1 << 20, NULL);
	assert_non_null(s);
	assert_int_equal(outstore_capture(s, KEY1, "build", a, outs, 2, "t",
	    1, &m, NULL), 0);
	assert_int_equal(m->n_files, 3);
	assert_string_equal(m->files[0].path, "bin");
	assert_int_equal(m->files[0].mode, 0755);
	outmanifest_free(m);
	assert_int_equal(outstore_get(s, KEY1, &got, NULL), 0);
	/* Into another checkout with an old file in the way. */
	testutil_mkdir(b, "out");
	testutil_put(b, "out/x", "stale content\n");
	assert_false(outstore_present(got, b, NULL));
	{
		struct gerr e;

		gerr_clear(&e);
		if (outstore_restore(s, got, b, &bytes, &e) != 0)
			fail_msg("restore: %s", e.msg);
	}
	assert_int_equal(bytes, 3 + 4 + 10);
	assert_true(outstore_present(got, b, NULL));
	text = slurp(b, "out/sub/y");
	assert_string_equal(text, "why\n");
	free(text);
	text = slurp(b, "out/x");
	assert_string_equal(text, "ex\n");
	free(text);
	p = xasprintf("%s/bin", b);
	assert_int_equal(stat(p, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0755);
	free(p);
	outmanifest_free(got);
	/* Missing output: nothing recorded. */
	{
		const char *gone[] = { "nope" };

		assert_int_equal(outstore_capture(s, KEY2, "b", a, gone, 1,
		    NULL, 0, NULL, NULL), GERR_NOT_FOUND);
		assert_int_equal(outstore_get(s, KEY2, &got, NULL),
		    GERR_NOT_FOUND);
	}
	outstore_free(s);
	/* Reopened: the index is read back from disk. */
	s = outstore_open(st, 1 << 20, NULL);
	assert_int_equal(outstore_get(s, KEY1, &got, NULL), 0);
	outmanifest_free(got);
	outstore_free(s);
	testutil_rmtree(st);
	testutil_rmtree(a);
	testutil_rmtree(b);
}

static void
test_symlink_refused(void **state)
{
	char *st = testutil_tmpdir("os-state"), *a = testutil_tmpdir("os-a");
	char *b = testutil_tmpdir("os-b"), *victim = testutil_tmpdir("os-v");
	const char *outs[] = { "out" };
	struct outmanifest *m = NULL;
	struct outstore *s;
	struct gerr err;
	uint64_t bytes;
	char *link;

	(void)state;
	testutil_mkdir(a, "out");
	testutil_put(a, "out/x", "ex\n");
	s = outstore_open(st, 1 << 20, NULL);
	assert_int_equal(outstore_capture(s, KEY1, "b", a, outs, 1, NULL, 0,
	    &m, NULL), 0);
	link = xasprintf("%s/out", b);
	assert_int_equal(symlink(victim, link), 0);
	free(link);
	gerr_clear(&err);
	assert_int_equal(outstore_restore(s, m, b, &bytes, &err),
	    GERR_OUTSIDE_ROOT);
	assert_non_null(strstr(err.msg, "symlink"));
	{
		char *t = slurp(victim, "x");

		assert_null(t);
	}
	/* A symlink among the outputs is not captured. */
	link = xasprintf("%s/out/l", a);
	assert_int_equal(symlink("/etc/passwd", link), 0);
	free(link);
	assert_int_equal(outstore_capture(s, KEY2, "b", a, outs, 1, NULL, 0,
	    NULL, NULL), GERR_INVALID);
	outmanifest_free(m);
	outstore_free(s);
	testutil_rmtree(st);
	testutil_rmtree(a);
	testutil_rmtree(b);
	testutil_rmtree(victim);
}

static void
test_blob_checked(void **state)
{
	char *st = testutil_tmpdir("os-state");
	struct outstore_blobw *w = NULL;
	struct outstore *s = outstore_open(st, 1 << 20, NULL);
	char sha[SHA256_HEX_SIZE];
	uint64_t size;

	(void)state;
	sha256_hex("hello", 5, sha);
	assert_int_equal(outstore_blob_begin(s, 0, &w, NULL), 0);
	assert_int_equal(outstore_blob_write(w, "jello", 5, NULL), 0);
	assert_int_equal(outstore_blob_commit(w, sha, NULL, NULL, NULL),
	    GERR_INVALID);
	assert_false(outstore_has_blob(s, sha, 5));
	assert_int_equal(outstore_blob_begin(s, 4, &w, NULL), 0);
	assert_int_equal(outstore_blob_write(w, "hello", 5, NULL),
	    GERR_TOO_LARGE);
	outstore_blob_abort(w);
	assert_int_equal(outstore_blob_begin(s, 5, &w, NULL), 0);
	assert_int_equal(outstore_blob_write(w, "hello", 5, NULL), 0);
	assert_int_equal(outstore_blob_commit(w, sha, NULL, &size, NULL), 0);
	assert_int_equal(size, 5);
	assert_true(outstore_has_blob(s, sha, 5));
	outstore_free(s);
	testutil_rmtree(st);
}

static void
test_eviction(void **state)
{
	char *st = testutil_tmpdir("os-state"), *a = testutil_tmpdir("os-a");
	const char *outs[] = { "f" };
	const char *keys[] = { KEY1, KEY2, KEY3 };
	struct outmanifest *m = NULL;
	struct outstore_stats ss;
	struct outstore *s = outstore_open(st, 2500, NULL);
	char body[1001];

	(void)state;
	for (int i = 0; i < 3; i++) {
		memset(body, 'a' + i, 1000);
		body[1000] = '\0';
		testutil_put(a, "f", body);
		assert_int_equal(outstore_capture(s, keys[i], "b", a, outs, 1,
		    NULL, 0, NULL, NULL), 0);
		if (i == 1) {
			/* Use the first: the second is now the oldest. */
			assert_int_equal(outstore_get(s, KEY1, &m, NULL), 0);
			outmanifest_free(m);
		}
	}
	outstore_stats(s, &ss);
	assert_int_equal(ss.entries, 2);
	assert_int_equal(ss.bytes, 2000);
	assert_int_equal(ss.evictions, 1);
	assert_int_equal(outstore_get(s, KEY2, &m, NULL), GERR_NOT_FOUND);
	assert_int_equal(outstore_get(s, KEY1, &m, NULL), 0);
	outmanifest_free(m);
	/* Larger than the whole bound: refused, nothing else evicted. */
	memset(body, 'z', 1000);
	testutil_put(a, "f", body);
	outstore_set_max(s, 500);
	assert_int_equal(outstore_capture(s, KEY2, "b", a, outs, 1, NULL, 0,
	    NULL, NULL), GERR_TOO_LARGE);
	outstore_free(s);
	testutil_rmtree(st);
	testutil_rmtree(a);
}

static void
test_damaged_manifest(void **state)
{
	char *st = testutil_tmpdir("os-state"), *a = testutil_tmpdir("os-a");
	const char *outs[] = { "f" };
	struct outmanifest *m = NULL;
	struct outstore *s = outstore_open(st, 1 << 20, NULL);
	char *path;

	(void)state;
	testutil_put(a, "f", "data");
	assert_int_equal(outstore_capture(s, KEY1, "b", a, outs, 1, NULL, 0,
	    NULL, NULL), 0);
	path = xasprintf("%s/outstore/ac", st);
	testutil_put(path, KEY1, "{\"ggen_manifest\":1,\"key\":\"" KEY1 "\","
	    "\"phase\":\"b\",\"exit_code\":0,\"files\":[{\"path\":\"../x\","
	    "\"mode\":\"0644\",\"size\":4,\"sha256\":\"" KEY2 "\"}]}");
	assert_int_equal(outstore_get(s, KEY1, &m, NULL), GERR_NOT_FOUND);
	assert_null(m);
	/* Dropped from disk and index. */
	assert_int_equal(outstore_get(s, KEY1, &m, NULL), GERR_NOT_FOUND);
	free(path);
	outstore_free(s);
	testutil_rmtree(st);
	testutil_rmtree(a);
}

/* A blob found on disk at start is re-hashed on first use: damaged (the
 * store writes without fsync), it drops its result. */
static void
test_damaged_blob_after_restart(void **state)
{
	char *st = testutil_tmpdir("os-state"), *a = testutil_tmpdir("os-a");
	char *b = testutil_tmpdir("os-b");
	const char *outs[] = { "f" };
	struct outmanifest *m = NULL;
	struct outstore *s = outstore_open(st, 1 << 20, NULL);
	struct gerr err;
	uint64_t bytes;
	char *dir;

	(void)state;
	testutil_put(a, "f", "precious data");
	assert_int_equal(outstore_capture(s, KEY1, "b", a, outs, 1, NULL, 0,
	    &m, NULL), 0);
	/* Same process: trusted, restored. */
	assert_int_equal(outstore_restore(s, m, b, &bytes, NULL), 0);
	outstore_free(s);
	dir = xasprintf("%s/outstore/cas/%.2s", st, m->files[0].sha256);
	testutil_put(dir, m->files[0].sha256, "precious dat4");
	free(dir);
	s = outstore_open(st, 1 << 20, NULL);
	outmanifest_free(m);
	assert_int_equal(outstore_get(s, KEY1, &m, NULL), 0);
	gerr_clear(&err);
	assert_int_equal(outstore_restore(s, m, b, &bytes, &err),
	    GERR_INVALID);
	assert_non_null(strstr(err.msg, "damaged"));
	outmanifest_free(m);
	m = NULL;
	assert_int_equal(outstore_get(s, KEY1, &m, NULL), GERR_NOT_FOUND);
	{
		/* The old output was left as it was. */
		char *t = slurp(b, "f");

		assert_string_equal(t, "precious data");
		free(t);
	}
	outstore_free(s);
	testutil_rmtree(st);
	testutil_rmtree(a);
	testutil_rmtree(b);
}

/* doc/remote-cache.md: the key holds root-relative paths only, so two checkouts
 * at different paths share it (and the action key too). */
static void
test_portable_keys(void **state)
{
	static const char toml[] =
	    "[project]\nname = \"p\"\n"
	    "[lifecycle.build]\ncommand = \"make\"\ninputs = [\"src/**\"]\n"
	    "outputs = [\"out/\"]\ncache = true\n";
	char *r1 = testutil_tmpdir("key-one");
	char *r2 = testutil_tmpdir("key-two-longer");
	struct make_project *p = NULL;
	char k1[CACHEKEY_HEX_SIZE], k2[CACHEKEY_HEX_SIZE];
	char a1[CACHEKEY_HEX_SIZE], a2[CACHEKEY_HEX_SIZE];
	char plat[CACHEKEY_HEX_SIZE];
	const char *outs[] = { "out/" };
	char *deeper;

	(void)state;
	deeper = xasprintf("%s/nested/again", r2);
	testutil_mkdir(r2, "nested");
	testutil_mkdir(r2, "nested/again");
	assert_int_equal(make_parse_buffer(toml, sizeof(toml) - 1, "make.toml",
	    &p, NULL, NULL), 0);
	for (int i = 0; i < 2; i++) {
		const char *r = i == 0 ? r1 : deeper;

		testutil_mkdir(r, "src");
		testutil_mkdir(r, "src/lib");
		testutil_put(r, "src/main.c", "int main(void) { return 0; }\n");
		testutil_put(r, "src/lib/a.c", "int a;\n");
	}
	assert_string_not_equal(r1, deeper);
	assert_int_equal(engine_cache_key(&p->phases[0], r1, "", p, k1, NULL), 0);
	assert_int_equal(engine_cache_key(&p->phases[0], deeper, "", p, k2, NULL), 0);
	assert_string_equal(k1, k2);
	cachekey_platform("Linux", "x86_64", NULL, 0, plat);
	cachekey_action(k1, plat, outs, 1, a1);
	cachekey_action(k2, plat, outs, 1, a2);
	assert_string_equal(a1, a2);
	/* A content change changes it. */
	testutil_put(deeper, "src/lib/a.c", "int b;\n");
	assert_int_equal(engine_cache_key(&p->phases[0], deeper, "", p, k2, NULL), 0);
	assert_string_not_equal(k1, k2);
	make_project_unref(p);
	free(deeper);
	testutil_rmtree(r1);
	testutil_rmtree(r2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_capture_restore),
		cmocka_unit_test(test_symlink_refused),
		cmocka_unit_test(test_blob_checked),
		cmocka_unit_test(test_eviction),
		cmocka_unit_test(test_damaged_manifest),
		cmocka_unit_test(test_damaged_blob_after_restart),
		cmocka_unit_test(test_portable_keys),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
