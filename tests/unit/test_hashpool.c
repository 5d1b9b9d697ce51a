/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests for daemon/hashpool.c: hashes equal XXH3-128 computed directly,
 * 1,000 files, per-file errors as results, the job cap, cancellation by
 * generation, shutdown with queued jobs (ASan checks for leaks).
 * Waiting is on the notify callback's pipe, never on a sleep.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include <stdatomic.h>

#include "hashpool.h"
#include "testutil.h"
#include "xmalloc.h"

struct fixture {
	char *dir;
	int pipe[2];
	struct hashpool *pool;
	size_t nresults;
	size_t cap;
	atomic_size_t notifies;
	struct hashpool_result *results;	/* paths duplicated */
};

static void
fixture_notify(void *arg)
{
	struct fixture *f = arg;
	ssize_t n = write(f->pipe[1], "x", 1);

	atomic_fetch_add(&f->notifies, 1);
	(void)n;	/* a full pipe already wakes the reader */
}

static void
fixture_collect(void *arg, const struct hashpool_result *r)
{
	struct fixture *f = arg;

	if (f->nresults == f->cap) {
		f->cap = f->cap ? f->cap * 2 : 64;
		f->results = xreallocarray(f->results, f->cap,
		    sizeof(*f->results));
	}
	f->results[f->nresults] = *r;
	f->results[f->nresults].path = xstrdup(r->path);
	f->nresults++;
}

/* Block on the notify pipe until n results have been drained. */
static void
fixture_wait(struct fixture *f, size_t n)
{
	char buf[64];

	while (f->nresults < n) {
		struct pollfd p = { .fd = f->pipe[0], .events = POLLIN };

		hashpool_drain(f->pool, fixture_collect, f);
		if (f->nresults >= n)
			break;
		assert_int_equal(poll(&p, 1, 10000), 1);
		assert_true(read(f->pipe[0], buf, sizeof(buf)) > 0);
	}
}

static const struct hashpool_result *
fixture_find(const struct fixture *f, const char *path)
{
	for (size_t i = 0; i < f->nresults; i++) {
		if (strcmp(f->results[i].path, path) == 0)
			return &f->results[i];
	}
	return NULL;
}

static struct fixture *
fixture_new(const struct hashpool_config *cfg)
{
	struct fixture *f = xcalloc(1, sizeof(*f));
	struct gerr err;

	f->dir = testutil_tmpdir("hashpool");
	assert_int_equal(pipe2(f->pipe, O_CLOEXEC | O_NONBLOCK), 0);
	gerr_clear(&err);
	assert_int_equal(hashpool_new(cfg, fixture_notify, f, &f->pool, &err),
	    0);
	assert_non_null(f->pool);
	return f;
}

static void
fixture_free(struct fixture *f)
{
	hashpool_free(f->pool);
	close(f->pipe[0]);
	close(f->pipe[1]);
	for (size_t i = 0; i < f->nresults; i++)
		free((char *)f->results[i].path);
	free(f->results);
	testutil_rmtree(f->dir);
	free(f);
}

static char *
write_file(const char *dir, const char *name, const void *data, size_t len)
{
	char *path = xasprintf("%s/%s", dir, name);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
	return path;
}

static void
test_hash_matches_direct(void **state)
{
	struct hashpool_config cfg = { .threads = 2, .chunk_bytes = 4096 };
	struct fixture *f = fixture_new(&cfg);
	size_t big_len = 1000 * 1000 + 7;
	char *big = xmalloc(big_len);
	char *p_small, *p_big, *p_empty;
	const struct hashpool_result *r;
	struct stat st;

	(void)state;
	for (size_t i = 0; i < big_len; i++)
		big[i] = (char)(i * 131 + 7);
	p_small = write_file(f->dir, "small", "hello\n", 6);
	p_big = write_file(f->dir, "big", big, big_len);
	p_empty = write_file(f->dir, "empty", "", 0);
	assert_int_equal(hashpool_submit(f->pool, p_small, 1, 11, NULL), 0);
	assert_int_equal(hashpool_submit(f->pool, p_big, 1, 12, NULL), 0);
	assert_int_equal(hashpool_submit(f->pool, p_empty, 1, 13, NULL), 0);
	fixture_wait(f, 3);

	r = fixture_find(f, p_small);
	assert_non_null(r);
	assert_int_equal(r->error, 0);
	assert_int_equal(r->cookie, 11);
	assert_true(XXH128_isEqual(r->hash, XXH3_128bits("hello\n", 6)));
	assert_int_equal(stat(p_small, &st), 0);
	assert_int_equal(r->st.ino, st.st_ino);
	assert_int_equal(r->st.size, 6);

	r = fixture_find(f, p_big);
	assert_int_equal(r->error, 0);
	assert_int_equal(r->st.size, (int64_t)big_len);
	assert_true(XXH128_isEqual(r->hash, XXH3_128bits(big, big_len)));

	r = fixture_find(f, p_empty);
	assert_int_equal(r->error, 0);
	assert_true(XXH128_isEqual(r->hash, XXH3_128bits("", 0)));
	free(big);
	free(p_small);
	free(p_big);
	free(p_empty);
	fixture_free(f);
}

static void
test_thousand_files(void **state)
{
	struct fixture *f = fixture_new(NULL);
	char name[32], body[64];

	(void)state;
	for (int i = 0; i < 1000; i++) {
		char *p;

		snprintf(name, sizeof(name), "f%04d", i);
		snprintf(body, sizeof(body), "content %d\n", i);
		p = write_file(f->dir, name, body, strlen(body));
		assert_int_equal(hashpool_submit(f->pool, p, 7, (uint64_t)i,
		    NULL), 0);
		free(p);
	}
	fixture_wait(f, 1000);
	assert_int_equal(f->nresults, 1000);
	for (size_t i = 0; i < f->nresults; i++) {
		const struct hashpool_result *r = &f->results[i];

		snprintf(body, sizeof(body), "content %d\n", (int)r->cookie);
		assert_int_equal(r->error, 0);
		assert_int_equal(r->generation, 7);
		assert_true(XXH128_isEqual(r->hash,
		    XXH3_128bits(body, strlen(body))));
	}
	assert_int_equal(hashpool_room(f->pool), HASHPOOL_DEFAULT_MAX_JOBS);
	fixture_free(f);
}

static void
test_errors_are_results(void **state)
{
	struct fixture *f = fixture_new(NULL);
	char *gone = write_file(f->dir, "gone", "x", 1);
	char *fifo = xasprintf("%s/fifo", f->dir);
	char *link = xasprintf("%s/link", f->dir);
	char *secret = write_file(f->dir, "secret", "s", 1);
	const struct hashpool_result *r;
	size_t n = 4;

	(void)state;
	assert_int_equal(unlink(gone), 0);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	assert_int_equal(symlink("target/text", link), 0);
	assert_int_equal(chmod(secret, 0), 0);
	assert_int_equal(hashpool_submit(f->pool, gone, 1, 0, NULL), 0);
	assert_int_equal(hashpool_submit(f->pool, fifo, 1, 0, NULL), 0);
	assert_int_equal(hashpool_submit(f->pool, f->dir, 1, 0, NULL), 0);
	assert_int_equal(hashpool_submit(f->pool, link, 1, 0, NULL), 0);
	if (geteuid() != 0) {
		assert_int_equal(hashpool_submit(f->pool, secret, 1, 0, NULL),
		    0);
		n++;
	}
	fixture_wait(f, n);
	assert_int_equal(fixture_find(f, gone)->error, ENOENT);
	assert_int_equal(fixture_find(f, fifo)->error, EINVAL);
	assert_int_equal(fixture_find(f, f->dir)->error, EINVAL);
	r = fixture_find(f, link);
	assert_int_equal(r->error, 0);
	assert_int_equal(r->st.size, strlen("target/text"));
	assert_true(XXH128_isEqual(r->hash, XXH3_128bits("target/text", 11)));
	if (geteuid() != 0)
		assert_int_equal(fixture_find(f, secret)->error, EACCES);
	free(gone);
	free(fifo);
	free(link);
	free(secret);
	fixture_free(f);
}

static void
test_job_cap(void **state)
{
	struct hashpool_config cfg = { .threads = 1, .max_jobs = 4 };
	struct fixture *f = fixture_new(&cfg);
	char *p = write_file(f->dir, "a", "a", 1);
	struct gerr err;

	(void)state;
	for (int i = 0; i < 4; i++)
		assert_int_equal(hashpool_submit(f->pool, p, 1, 0, NULL), 0);
	gerr_clear(&err);
	assert_int_equal(hashpool_submit(f->pool, p, 1, 0, &err), GERR_BUSY);
	assert_int_equal(err.code, GERR_BUSY);
	assert_non_null(strstr(err.msg, "4 jobs outstanding"));
	/* Undrained results still count against the cap. */
	fixture_wait(f, 4);
	assert_int_equal(hashpool_room(f->pool), 4);
	assert_int_equal(hashpool_submit(f->pool, p, 1, 0, NULL), 0);
	fixture_wait(f, 5);
	free(p);
	fixture_free(f);
}

static void
test_cancel_generation(void **state)
{
	struct hashpool_config cfg = { .threads = 1, .max_jobs = 1000 };
	struct fixture *f = fixture_new(&cfg);
	char *p = write_file(f->dir, "a", "abc", 3);
	size_t gen2 = 0;

	(void)state;
	for (int i = 0; i < 200; i++)
		assert_int_equal(hashpool_submit(f->pool, p, i % 2 ? 2 : 1, 0,
		    NULL), 0);
	hashpool_cancel(f->pool, 1);
	/* gen 1 results drained before the cancel would have been counted. */
	while (gen2 < 100) {
		fixture_wait(f, f->nresults + 1);
		gen2 = 0;
		for (size_t i = 0; i < f->nresults; i++) {
			assert_int_equal(f->results[i].generation, 2);
			gen2++;
		}
	}
	assert_int_equal(gen2, 100);
	assert_int_equal(hashpool_room(f->pool), 1000);
	free(p);
	fixture_free(f);
}

/* Results wake the loop in batches (not once each), and a wake-up is
 * never lost: not when the queue runs dry, not when a cancel empties it
 * under results that were waiting for their batch to fill. */
static void
test_wakeups_batched_never_lost(void **state)
{
	struct hashpool_config cfg = { .threads = 1, .max_jobs = 1000 };
	struct fixture *f = fixture_new(&cfg);
	char *p = write_file(f->dir, "a", "abc", 3);

	(void)state;
	for (int i = 0; i < 300; i++)
		assert_int_equal(hashpool_submit(f->pool, p, 1, 0, NULL), 0);
	fixture_wait(f, 300);
	assert_true(atomic_load(&f->notifies) >= 1);
	assert_true(atomic_load(&f->notifies) < 150);
	for (int i = 0; i < 10; i++)
		assert_int_equal(hashpool_submit(f->pool, p, 2, 0, NULL), 0);
	for (int i = 0; i < 500; i++)
		assert_int_equal(hashpool_submit(f->pool, p, 3, 0, NULL), 0);
	hashpool_cancel(f->pool, 3);
	fixture_wait(f, 310);
	assert_int_equal(f->nresults, 310);
	assert_int_equal(f->results[309].generation, 2);
	free(p);
	fixture_free(f);
}

static void
test_shutdown_with_queued_jobs(void **state)
{
	struct hashpool_config cfg = { .threads = 1, .max_jobs = 600 };
	struct fixture *f = fixture_new(&cfg);
	char *p = write_file(f->dir, "a", "abc", 3);

	(void)state;
	for (int i = 0; i < 500; i++)
		assert_int_equal(hashpool_submit(f->pool, p, 1, 0, NULL), 0);
	assert_true(hashpool_room(f->pool) >= 100);
	/* fixture_free frees the pool with jobs queued; ASan reports leaks. */
	free(p);
	fixture_free(f);
}

static void
test_hash_fd_direct(void **state)
{
	char buf[3];
	XXH128_hash_t h;
	int fd[2];

	(void)state;
	assert_int_equal(pipe(fd), 0);
	assert_int_equal(write(fd[1], "abcdefg", 7), 7);
	close(fd[1]);
	assert_int_equal(hashpool_hash_fd(fd[0], buf, sizeof(buf), &h), 0);
	assert_true(XXH128_isEqual(h, XXH3_128bits("abcdefg", 7)));
	close(fd[0]);
	assert_int_equal(hashpool_hash_fd(fd[0], buf, sizeof(buf), &h), EBADF);
}

/* hashpool_hash_small: the same digest and tuple a worker gets, and the
 * refusals that send a file to the pool instead. */
static void
test_hash_small_inline(void **state)
{
	char *dir = testutil_tmpdir("hashsmall"), *p, big[100];
	struct filetable_stat st;
	XXH128_hash_t h;
	struct stat sb;
	char buf[64];

	(void)state;
	testutil_put(dir, "small", "hello\n");
	p = xasprintf("%s/small", dir);
	assert_int_equal(hashpool_hash_small(p, buf, sizeof(buf), &st, &h),
	    0);
	assert_true(XXH128_isEqual(h, XXH3_128bits("hello\n", 6)));
	assert_int_equal(lstat(p, &sb), 0);
	assert_true(st.size == 6 && st.ino == (uint64_t)sb.st_ino);
	free(p);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	testutil_put(dir, "big", big);
	p = xasprintf("%s/big", dir);
	assert_int_equal(hashpool_hash_small(p, buf, sizeof(buf), &st, &h),
	    EFBIG);
	free(p);
	p = xasprintf("%s/link", dir);
	assert_int_equal(symlink("small", p), 0);
	assert_int_equal(hashpool_hash_small(p, buf, sizeof(buf), &st, &h),
	    ELOOP);
	free(p);
	assert_int_equal(hashpool_hash_small(dir, buf, sizeof(buf), &st, &h),
	    EINVAL);
	p = xasprintf("%s/missing", dir);
	assert_int_equal(hashpool_hash_small(p, buf, sizeof(buf), &st, &h),
	    ENOENT);
	free(p);
	testutil_rmtree(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hash_matches_direct),
		cmocka_unit_test(test_thousand_files),
		cmocka_unit_test(test_errors_are_results),
		cmocka_unit_test(test_job_cap),
		cmocka_unit_test(test_cancel_generation),
		cmocka_unit_test(test_wakeups_batched_never_lost),
		cmocka_unit_test(test_shutdown_with_queued_jobs),
		cmocka_unit_test(test_hash_fd_direct),
		cmocka_unit_test(test_hash_small_inline),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
