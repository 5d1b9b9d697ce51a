/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * testutil.c - temp directory helpers shared by the unit tests of the
 * watch modules (crawl, hashpool, notifier, poller). Test code only.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "testutil.h"
#include "xmalloc.h"

#define TESTUTIL_NFTW_FDS 32

char *
testutil_tmpdir(const char *tag)
{
	char *dir = xasprintf("/tmp/ggen-%s-XXXXXX", tag);

	assert_non_null(mkdtemp(dir));
	return dir;
}

static int
testutil_rm_one(const char *path, const struct stat *st, int flag,
    struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (flag == FTW_DP)
		return rmdir(path);
	return unlink(path);
}

void
testutil_rmtree(char *dir)
{
	assert_int_equal(nftw(dir, testutil_rm_one, TESTUTIL_NFTW_FDS,
	    FTW_DEPTH | FTW_PHYS), 0);
	free(dir);
}

void
testutil_put(const char *dir, const char *rel, const char *body)
{
	char *p = xasprintf("%s/%s", dir, rel);
	size_t len = strlen(body);
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, body, len), (ssize_t)len);
	close(fd);
	free(p);
}

void
testutil_mkdir(const char *dir, const char *rel)
{
	char *p = xasprintf("%s/%s", dir, rel);

	assert_int_equal(mkdir(p, 0755), 0);
	free(p);
}
