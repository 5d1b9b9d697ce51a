/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for daemon/tplcache.c: hit/miss by content hash, no recompile
 * of unchanged sources, cached compile errors, memo kept across a
 * recompile, LRU eviction by entry count and by bytes, dependencies
 * (included / imported / extended files, and names not found) checked on
 * lookup. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <sys/stat.h>
#include <unistd.h>

#include "tplcache.h"
#include "xmalloc.h"

static XXH128_hash_t
test_tplcache_hash(const char *s)
{
	return XXH3_128bits(s, strlen(s));
}

static void
test_tplcache_put_str(struct tplcache *c, const char *path, const char *src,
    struct tplcache_entry *e)
{
	XXH128_hash_t h = test_tplcache_hash(src);

	assert_int_equal(tplcache_put(c, path, path, &h, src, strlen(src), e), 0);
}

static void
test_hit_miss_and_no_recompile(void **state)
{
	struct tplcache *c = tplcache_new(0, 0);
	struct tplcache_entry e;
	struct tplcache_stats st;
	XXH128_hash_t h1 = test_tplcache_hash("a {{ x }}");
	XXH128_hash_t h2 = test_tplcache_hash("b {{ x }}");

	(void)state;
	assert_false(tplcache_lookup(c, "t/a.tmpl", &h1, &e));
	test_tplcache_put_str(c, "t/a.tmpl", "a {{ x }}", &e);
	assert_non_null(e.ft);
	assert_null(e.err);
	for (int i = 0; i < 5; i++)
		assert_true(tplcache_lookup(c, "t/a.tmpl", &h1, &e));
	assert_false(tplcache_lookup(c, "t/a.tmpl", &h2, &e));
	assert_false(tplcache_lookup(c, "t/b.tmpl", &h1, &e));
	tplcache_stats(c, &st);
	assert_int_equal(st.hits, 5);
	assert_int_equal(st.misses, 3);
	assert_int_equal(st.compiles, 1);
	assert_int_equal(st.entries, 1);
	tplcache_free(c);
}

static void
test_compile_error_cached(void **state)
{
	struct tplcache *c = tplcache_new(0, 0);
	struct tplcache_entry e;
	struct tplcache_stats st;
	const char *bad = "x\n{% if %}\n";
	XXH128_hash_t h = test_tplcache_hash(bad);

	(void)state;
	test_tplcache_put_str(c, "bad.tmpl", bad, &e);
	assert_null(e.ft);
	assert_non_null(e.err);
	assert_int_equal(e.err->code, GERR_TEMPLATE);
	assert_int_equal(e.err->line, 2);
	assert_string_equal(e.err->file, "bad.tmpl");
	assert_true(tplcache_lookup(c, "bad.tmpl", &h, &e));
	assert_non_null(e.err);
	tplcache_stats(c, &st);
	assert_int_equal(st.compiles, 1);
	tplcache_free(c);
}

static void
test_memo_survives_recompile(void **state)
{
	struct tplcache *c = tplcache_new(0, 0);
	struct tplcache_entry e;

	(void)state;
	test_tplcache_put_str(c, "a.tmpl", "one", &e);
	e.memo->valid = true;
	e.memo->out_path = xstrdup("/r/a");
	test_tplcache_put_str(c, "a.tmpl", "two", &e);
	assert_true(e.memo->valid);
	assert_string_equal(e.memo->out_path, "/r/a");
	tplcache_free(c);
}

static void
test_evict_by_entries_lru(void **state)
{
	struct tplcache *c = tplcache_new(3, 0);
	struct tplcache_entry e;
	struct tplcache_stats st;
	XXH128_hash_t ha = test_tplcache_hash("A");
	XXH128_hash_t hb = test_tplcache_hash("B");

	(void)state;
	test_tplcache_put_str(c, "a", "A", &e);
	test_tplcache_put_str(c, "b", "B", &e);
	test_tplcache_put_str(c, "c", "C", &e);
	assert_true(tplcache_lookup(c, "a", &ha, &e));	/* a is now recent */
	test_tplcache_put_str(c, "d", "D", &e);		/* evicts b */
	assert_false(tplcache_lookup(c, "b", &hb, &e));
	assert_true(tplcache_lookup(c, "a", &ha, &e));
	tplcache_stats(c, &st);
	assert_int_equal(st.entries, 3);
	assert_int_equal(st.evictions, 1);
	tplcache_free(c);
}

static void
test_evict_by_bytes(void **state)
{
	struct tplcache *c = tplcache_new(0, 4096);
	struct tplcache_entry e;
	struct tplcache_stats st;
	char *big = xmalloc(3001);

	(void)state;
	memset(big, 'x', 3000);
	big[3000] = '\0';
	test_tplcache_put_str(c, "small", "s", &e);
	test_tplcache_put_str(c, "big1", big, &e);
	tplcache_stats(c, &st);
	assert_int_equal(st.entries, 2);
	big[0] = 'y';
	test_tplcache_put_str(c, "big2", big, &e);	/* evicts small, big1 */
	tplcache_stats(c, &st);
	assert_int_equal(st.entries, 1);
	assert_true(st.bytes <= 4096);
	assert_int_equal(st.evictions, 2);
	/* Larger than the cap alone: still stored, alone. */
	big = xrealloc(big, 8001);
	memset(big, 'z', 8000);
	big[8000] = '\0';
	test_tplcache_put_str(c, "huge", big, &e);
	assert_non_null(e.ft);
	tplcache_stats(c, &st);
	assert_int_equal(st.entries, 1);
	free(big);
	tplcache_free(c);
}

static void
test_set_limits_evicts(void **state)
{
	struct tplcache *c = tplcache_new(0, 0);
	struct tplcache_entry e;
	struct tplcache_stats st;
	XXH128_hash_t hc = test_tplcache_hash("C");

	(void)state;
	test_tplcache_put_str(c, "a", "A", &e);
	test_tplcache_put_str(c, "b", "B", &e);
	test_tplcache_put_str(c, "c", "C", &e);
	tplcache_set_limits(c, 1, 0);
	tplcache_stats(c, &st);
	assert_int_equal(st.entries, 1);
	assert_int_equal(st.max_entries, 1);
	assert_int_equal(st.max_bytes, TPLCACHE_DEFAULT_MAX_BYTES);
	assert_int_equal(st.evictions, 2);
	assert_true(tplcache_lookup(c, "c", &hc, &e));	/* the newest stays */
	tplcache_free(c);
}

/* tplcache_io's hash over real files. */
static bool
test_tplcache_file_hash(void *ctx, const char *abs, XXH128_hash_t *out)
{
	char buf[4096];
	FILE *f = fopen(abs, "rb");
	size_t n;

	(void)ctx;
	if (f == NULL)
		return false;
	n = fread(buf, 1, sizeof buf, f);
	fclose(f);
	*out = XXH3_128bits(buf, n);
	return true;
}

static void
test_tplcache_write(const char *dir, const char *rel, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", dir, rel);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void
test_dependencies_checked(void **state)
{
	char dir[] = "/tmp/ggen-tplcache-XXXXXX", sub[600], path[600];
	const char *dirs[] = { "lib" };
	struct tplcache_io io = { .hash = test_tplcache_file_hash,
		.base = dir, .dirs = dirs, .ndirs = 1 };
	const char *src = "{% include 'part' %}{% include 'opt' ignore missing "
	    "%}";
	XXH128_hash_t h = test_tplcache_hash(src), set1;
	struct tplcache *c = tplcache_new(0, 0);
	struct tplcache_entry e;
	const char *const *deps;
	struct tplcache_stats st;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(sub, sizeof sub, "%s/lib", dir);
	assert_int_equal(mkdir(sub, 0700), 0);
	test_tplcache_write(dir, "lib/part", "P1");
	snprintf(path, sizeof path, "%s/a.tmpl", dir);
	assert_int_equal(tplcache_put_io(c, path, "a.tmpl", &h, src,
	    strlen(src), &io, &e), 0);
	assert_null(e.err);
	set1 = e.set_hash;
	assert_false(XXH128_isEqual(set1, h));
	/* part: not beside a.tmpl (absent), found in lib; opt: absent in
	 * both places. */
	assert_int_equal(tplcache_deps(c, path, &deps), 4);
	assert_true(tplcache_lookup_io(c, path, &h, &io, &e));
	/* Editing the included file: a miss, and a new set hash. */
	test_tplcache_write(dir, "lib/part", "P2");
	assert_false(tplcache_lookup_io(c, path, &h, &io, &e));
	assert_int_equal(tplcache_put_io(c, path, "a.tmpl", &h, src,
	    strlen(src), &io, &e), 0);
	assert_false(XXH128_isEqual(e.set_hash, set1));
	assert_true(tplcache_lookup_io(c, path, &h, &io, &e));
	/* A file appearing where a name was not found: a miss too. */
	test_tplcache_write(dir, "opt", "O");
	assert_false(tplcache_lookup_io(c, path, &h, &io, &e));
	/* Without io, dependencies are not checked. */
	assert_true(tplcache_lookup(c, path, &h, &e));
	tplcache_stats(c, &st);
	assert_int_equal(st.compiles, 2);
	tplcache_free(c);
	snprintf(path, sizeof path, "%s/opt", dir);
	unlink(path);
	snprintf(path, sizeof path, "%s/lib/part", dir);
	unlink(path);
	rmdir(sub);
	rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hit_miss_and_no_recompile),
		cmocka_unit_test(test_compile_error_cached),
		cmocka_unit_test(test_memo_survives_recompile),
		cmocka_unit_test(test_evict_by_entries_lru),
		cmocka_unit_test(test_evict_by_bytes),
		cmocka_unit_test(test_set_limits_evicts),
		cmocka_unit_test(test_dependencies_checked),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
