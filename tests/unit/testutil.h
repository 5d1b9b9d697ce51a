/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * testutil.h - temp trees for unit tests that touch the filesystem.
 * Failures abort the test through cmocka's assertions.
 */
#ifndef GGEN_TESTUTIL_H
#define GGEN_TESTUTIL_H

/* A fresh private directory /tmp/ggen-TAG-XXXXXX; the caller frees it
 * with testutil_rmtree. */
char *testutil_tmpdir(const char *tag);
/* Remove dir and everything below it (no symlink followed), free dir. */
void testutil_rmtree(char *dir);
/* Create or truncate dir/rel with body. */
void testutil_put(const char *dir, const char *rel, const char *body);
/* mkdir dir/rel (the parent must exist). */
void testutil_mkdir(const char *dir, const char *rel);

#endif
