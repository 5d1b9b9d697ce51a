/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for common/genout.c: read (missing, too large, directory),
 * resolve (lexical escapes, symlinked parent and symlinked file pointing
 * out, missing parents created), write (unchanged bytes leave the file
 * alone, mode kept, a failed rename leaves no temp file), and
 * the env map. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "genout.h"
#include "xmalloc.h"

struct test_genout {
	char dir[64];
	char out[64];
};

static int
test_genout_setup(void **state)
{
	struct test_genout *t = xcalloc(1, sizeof(*t));

	snprintf(t->dir, sizeof(t->dir), "/tmp/ggen-genout-XXXXXX");
	snprintf(t->out, sizeof(t->out), "/tmp/ggen-genout-out-XXXXXX");
	assert_non_null(mkdtemp(t->dir));
	assert_non_null(mkdtemp(t->out));
	*state = t;
	return 0;
}

static int
test_genout_teardown(void **state)
{
	struct test_genout *t = *state;
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "chmod -R u+w '%s'; rm -rf '%s' '%s'",
	    t->dir, t->dir, t->out);
	assert_int_equal(system(cmd), 0);
	free(t);
	return 0;
}

static char *
test_genout_path(const struct test_genout *t, const char *rel)
{
	return xasprintf("%s/%s", t->dir, rel);
}

static void
test_read_cases(void **state)
{
	struct test_genout *t = *state;
	char *p = test_genout_path(t, "f"), *buf;
	size_t len;
	bool exists, written;
	struct gerr err;

	gerr_clear(&err);
	assert_int_equal(genout_read(p, 100, &buf, &len, &exists, &err), 0);
	assert_false(exists);
	assert_null(buf);
	assert_int_equal(genout_write(p, "0123456789", 10, &written, &err), 0);
	assert_true(written);
	assert_int_equal(genout_read(p, 10, &buf, &len, &exists, &err), 0);
	assert_true(exists);
	assert_int_equal(len, 10);
	assert_string_equal(buf, "0123456789");
	free(buf);
	assert_int_equal(genout_read(p, 9, &buf, &len, &exists, &err),
	    GERR_TOO_LARGE);
	assert_non_null(strstr(err.msg, "over the 9 byte cap"));
	gerr_clear(&err);
	assert_int_equal(genout_read(t->dir, 100, &buf, &len, &exists, &err),
	    GERR_IO);
	assert_non_null(strstr(err.msg, "Is a directory"));
	free(p);
}

static void
test_resolve_cases(void **state)
{
	struct test_genout *t = *state;
	char *out, *link = test_genout_path(t, "link");
	char *flink = test_genout_path(t, "flink");
	char *target = xasprintf("%s/secret", t->out);
	struct stat st;
	struct gerr err;

	gerr_clear(&err);
	assert_int_equal(genout_resolve(t->dir, t->dir, "a/b/c.txt", true, &out,
	    &err), 0);
	assert_non_null(strstr(out, "/a/b/c.txt"));
	free(out);
	out = test_genout_path(t, "a/b");
	assert_int_equal(stat(out, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	free(out);
	assert_int_equal(genout_resolve(t->dir, t->dir, "../x", true, &out,
	    &err), GERR_OUTSIDE_ROOT);
	assert_null(out);
	gerr_clear(&err);
	assert_int_equal(genout_resolve(t->dir, t->dir, "/etc/x", true, &out,
	    &err), GERR_OUTSIDE_ROOT);
	gerr_clear(&err);
	assert_int_equal(genout_resolve(t->dir, t->dir, "", true, &out, &err),
	    GERR_INVALID);
	gerr_clear(&err);
	assert_int_equal(symlink(t->out, link), 0);
	assert_int_equal(genout_resolve(t->dir, t->dir, "link/new/x", true,
	    &out, &err), GERR_OUTSIDE_ROOT);
	assert_non_null(strstr(err.msg, "through a symlink"));
	assert_int_equal(stat(target, &st), -1);	/* nothing created out */
	gerr_clear(&err);
	assert_int_equal(symlink(target, flink), 0);
	assert_int_equal(genout_resolve(t->dir, t->dir, "flink", true, &out,
	    &err), GERR_OUTSIDE_ROOT);
	assert_non_null(strstr(err.msg, "symlink that points outside"));
	free(link);
	free(flink);
	free(target);
}

static void
test_write_only_on_change(void **state)
{
	struct test_genout *t = *state;
	char *p = test_genout_path(t, "w.txt");
	struct stat st1, st2;
	bool written;
	struct gerr err;

	gerr_clear(&err);
	assert_int_equal(genout_write(p, "a\n", 2, &written, &err), 0);
	assert_true(written);
	assert_int_equal(chmod(p, 0600), 0);
	assert_int_equal(stat(p, &st1), 0);
	assert_int_equal(genout_write(p, "a\n", 2, &written, &err), 0);
	assert_false(written);
	assert_int_equal(stat(p, &st2), 0);
	assert_int_equal(st1.st_ino, st2.st_ino);	/* not replaced */
	assert_int_equal(genout_write(p, "b\n", 2, &written, &err), 0);
	assert_true(written);
	assert_int_equal(stat(p, &st2), 0);
	assert_int_equal(st2.st_mode & 0777, 0600);	/* mode kept */
	free(p);
}

static void
test_write_failure_keeps_old(void **state)
{
	struct test_genout *t = *state;
	char *sub = test_genout_path(t, "d"), *keep = test_genout_path(t, "d/k");
	char *buf;
	size_t len;
	bool written, exists;
	struct gerr err;
	DIR *d;
	struct dirent *de;
	int n = 0;

	/* The destination is a non-empty directory: the temp file is
	 * written, the rename fails (works the same for root). */
	gerr_clear(&err);
	assert_int_equal(mkdir(sub, 0700), 0);
	assert_int_equal(genout_write(keep, "old\n", 4, &written, &err), 0);
	assert_int_equal(genout_write(sub, "new\n", 4, &written, &err), GERR_IO);
	assert_false(written);
	assert_non_null(strstr(err.msg, "rename "));
	assert_int_equal(genout_read(keep, 100, &buf, &len, &exists, NULL), 0);
	assert_string_equal(buf, "old\n");
	free(buf);
	d = opendir(t->dir);
	while ((de = readdir(d)) != NULL)
		n += de->d_name[0] != '.' || strstr(de->d_name, "ggen-tmp");
	closedir(d);
	assert_int_equal(n, 1);		/* only d: no temp file left */
	free(sub);
	free(keep);
}

static void
test_env_map(void **state)
{
	char *envp[] = { "A=1", "B=x=y", "=bad", "noeq", NULL };
	struct tvalue *m = genout_env_map(envp);

	(void)state;
	assert_int_equal(tvalue_len(m), 2);
	assert_string_equal(tvalue_map_get(m, "A")->u.str.s, "1");
	assert_string_equal(tvalue_map_get(m, "B")->u.str.s, "x=y");
	tvalue_unref(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_read_cases,
		    test_genout_setup, test_genout_teardown),
		cmocka_unit_test_setup_teardown(test_resolve_cases,
		    test_genout_setup, test_genout_teardown),
		cmocka_unit_test_setup_teardown(test_write_only_on_change,
		    test_genout_setup, test_genout_teardown),
		cmocka_unit_test_setup_teardown(test_write_failure_keeps_old,
		    test_genout_setup, test_genout_teardown),
		cmocka_unit_test(test_env_map),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
