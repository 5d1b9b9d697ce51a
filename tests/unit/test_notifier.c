/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests for daemon/notifier.c against real inotify in a temp dir:
 * create, close_write, moved_from/moved_to sharing a cookie, delete,
 * delete_self + ignored, the fd's flags, the watch cap (ENOSPC path),
 * error messages, queue overflow, a queue larger than one read, re-init
 * next to a foreign inotify fd.
 * Waiting is poll() on the notifier fd, never a sleep.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "notifier.h"
#include "testutil.h"
#include "xmalloc.h"

#define EVENTS_MAX 64

struct event {
	int32_t wd;
	uint32_t mask;
	uint32_t cookie;
	char name[64];
};

struct events {
	size_t n;
	size_t total;
	bool overflow;
	struct event ev[EVENTS_MAX];
};

static void
events_cb(void *arg, int32_t wd, uint32_t mask, uint32_t cookie,
    const char *name)
{
	struct events *e = arg;

	e->total++;
	if (wd == -1 && (mask & IN_Q_OVERFLOW))
		e->overflow = true;
	if (e->n == EVENTS_MAX)
		return;
	e->ev[e->n].wd = wd;
	e->ev[e->n].mask = mask;
	e->ev[e->n].cookie = cookie;
	snprintf(e->ev[e->n].name, sizeof(e->ev[0].name), "%s", name);
	e->n++;
}

/* Index of the first event with wd, a bit of mask and name, or -1. */
static int
events_find(const struct events *e, int32_t wd, uint32_t mask,
    const char *name)
{
	for (size_t i = 0; i < e->n; i++) {
		if (e->ev[i].wd == wd && (e->ev[i].mask & mask) &&
		    strcmp(e->ev[i].name, name) == 0)
			return (int)i;
	}
	return -1;
}

/* Drain until an event matching (wd, mask, name) has arrived. */
static const struct event *
events_wait(struct events *e, int32_t wd, uint32_t mask, const char *name)
{
	int i;

	while ((i = events_find(e, wd, mask, name)) < 0) {
		struct pollfd p = { .fd = notifier_fd(), .events = POLLIN };

		if (poll(&p, 1, 10000) != 1)
			fail_msg("no event %x on wd %d for \"%s\" in %zu events",
			    mask, wd, name, e->total);
		notifier_drain(events_cb, e);
	}
	return &e->ev[i];
}

static int
setup(void **state)
{
	struct gerr err;

	(void)state;
	gerr_clear(&err);
	if (notifier_init(&err) != 0) {
		fprintf(stderr, "notifier_init: %s\n", err.msg);
		return -1;
	}
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	notifier_set_watch_cap(0);
	notifier_cleanup();
	return 0;
}

static void
test_fd_flags(void **state)
{
	int fd = notifier_fd();
	struct gerr err;

	(void)state;
	assert_true(fd >= 0);
	assert_true(fcntl(fd, F_GETFL) & O_NONBLOCK);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	gerr_clear(&err);
	assert_int_equal(notifier_init(&err), GERR_BUSY);
	/* Nothing queued: drain returns at once. */
	assert_int_equal(notifier_drain(events_cb, &(struct events){ 0 }), 0);
}

static void
test_file_events(void **state)
{
	char *dir = testutil_tmpdir("notifier");
	char *a = xasprintf("%s/a", dir), *b = xasprintf("%s/b", dir);
	struct events e = { 0 };
	const struct event *from, *to;
	int32_t wd;
	int fd;

	(void)state;
	assert_int_equal(notifier_add_watch(dir, &wd, NULL), 0);
	fd = open(a, O_WRONLY | O_CREAT, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "x", 1), 1);
	close(fd);
	events_wait(&e, wd, IN_CREATE, "a");
	events_wait(&e, wd, IN_CLOSE_WRITE, "a");
	assert_true(events_find(&e, wd, IN_CREATE, "a") <
	    events_find(&e, wd, IN_CLOSE_WRITE, "a"));
	assert_int_equal(chmod(a, 0600), 0);
	events_wait(&e, wd, IN_ATTRIB, "a");
	assert_int_equal(rename(a, b), 0);
	from = events_wait(&e, wd, IN_MOVED_FROM, "a");
	to = events_wait(&e, wd, IN_MOVED_TO, "b");
	assert_true(from->cookie != 0);
	assert_int_equal(from->cookie, to->cookie);
	assert_int_equal(unlink(b), 0);
	events_wait(&e, wd, IN_DELETE, "b");
	free(a);
	free(b);
	testutil_rmtree(dir);
}

static void
test_dir_delete_self_and_ignored(void **state)
{
	char *dir = testutil_tmpdir("notifier");
	char *sub = xasprintf("%s/sub", dir);
	struct events e = { 0 };
	struct notifier_status st;
	const struct event *ev;
	int32_t wd, wd_sub;
	size_t used;

	(void)state;
	assert_int_equal(notifier_add_watch(dir, &wd, NULL), 0);
	assert_int_equal(mkdir(sub, 0755), 0);
	ev = events_wait(&e, wd, IN_CREATE, "sub");
	assert_true(ev->mask & IN_ISDIR);
	assert_int_equal(notifier_add_watch(sub, &wd_sub, NULL), 0);
	assert_true(wd_sub != wd);
	notifier_status(&st);
	used = st.used;
	assert_int_equal(rmdir(sub), 0);
	events_wait(&e, wd_sub, IN_DELETE_SELF, "");
	events_wait(&e, wd_sub, IN_IGNORED, "");
	events_wait(&e, wd, IN_DELETE, "sub");
	notifier_status(&st);
	assert_int_equal(st.used, used - 1);
	/* The kernel dropped it; removing again is a no-op. */
	assert_false(notifier_remove_watch(wd_sub));
	/* Explicit removal: true once, and IN_IGNORED follows. */
	assert_true(notifier_remove_watch(wd));
	assert_false(notifier_remove_watch(wd));
	events_wait(&e, wd, IN_IGNORED, "");
	notifier_status(&st);
	assert_int_equal(st.used, used - 2);
	free(sub);
	testutil_rmtree(dir);
}

static void
test_move_self(void **state)
{
	char *dir = testutil_tmpdir("notifier");
	char *sub = xasprintf("%s/sub", dir), *moved = xasprintf("%s/m", dir);
	struct events e = { 0 };
	int32_t wd_sub;

	(void)state;
	assert_int_equal(mkdir(sub, 0755), 0);
	assert_int_equal(notifier_add_watch(sub, &wd_sub, NULL), 0);
	assert_int_equal(rename(sub, moved), 0);
	events_wait(&e, wd_sub, IN_MOVE_SELF, "");
	assert_true(notifier_remove_watch(wd_sub));
	free(sub);
	free(moved);
	testutil_rmtree(dir);
}

static void
test_watch_cap_is_enospc(void **state)
{
	char *dir = testutil_tmpdir("notifier");
	char *d1 = xasprintf("%s/d1", dir), *d2 = xasprintf("%s/d2", dir);
	struct notifier_status st;
	struct gerr err;
	int32_t wd1, wd2 = -7;

	(void)state;
	assert_int_equal(mkdir(d1, 0755), 0);
	assert_int_equal(mkdir(d2, 0755), 0);
	notifier_status(&st);
	notifier_set_watch_cap(st.used + 1);
	assert_int_equal(notifier_add_watch(d1, &wd1, NULL), 0);
	gerr_clear(&err);
	assert_int_equal(notifier_add_watch(d2, &wd2, &err), GERR_LIMIT);
	assert_int_equal(err.code, GERR_LIMIT);
	assert_non_null(strstr(err.msg, "out of watches"));
	assert_non_null(strstr(err.msg, d2));
	assert_non_null(strstr(err.msg, "test cap"));
	assert_int_equal(wd2, -7);
	notifier_status(&st);
	assert_int_equal(st.enospc, 1);
	assert_int_equal(st.cap, st.used);
	assert_true(st.limit > 0);
	/* Room again once a watch goes: recovery needs no restart. */
	assert_true(notifier_remove_watch(wd1));
	assert_int_equal(notifier_add_watch(d2, &wd2, NULL), 0);
	assert_true(wd2 >= 0);
	notifier_set_watch_cap(0);
	free(d1);
	free(d2);
	testutil_rmtree(dir);
}

static void
test_add_errors(void **state)
{
	char *dir = testutil_tmpdir("notifier");
	char *missing = xasprintf("%s/missing", dir);
	char *file = xasprintf("%s/file", dir);
	struct gerr err;
	int32_t wd;
	int fd;

	(void)state;
	gerr_clear(&err);
	assert_int_equal(notifier_add_watch(missing, &wd, &err), GERR_IO);
	assert_non_null(strstr(err.msg, missing));
	assert_non_null(strstr(err.msg, "No such file or directory"));
	fd = open(file, O_WRONLY | O_CREAT, 0644);
	close(fd);
	gerr_clear(&err);
	assert_int_equal(notifier_add_watch(file, &wd, &err), GERR_IO);
	assert_non_null(strstr(err.msg, "Not a directory"));
	free(missing);
	free(file);
	testutil_rmtree(dir);
}

static void
test_queue_overflow(void **state)
{
	char *dir = testutil_tmpdir("notifier");
	struct events e = { 0 };
	struct notifier_status st;
	long max_queued = 0;
	FILE *f = fopen("/proc/sys/fs/inotify/max_queued_events", "r");
	int32_t wd;

	(void)state;
	assert_non_null(f);
	assert_int_equal(fscanf(f, "%ld", &max_queued), 1);
	fclose(f);
	assert_true(max_queued > 0 && max_queued <= 1 << 20);
	assert_int_equal(notifier_add_watch(dir, &wd, NULL), 0);
	/* Two distinct events per file (create, close_write). */
	for (long i = 0; i <= max_queued / 2 + 8; i++) {
		char *p = xasprintf("%s/f%ld", dir, i);
		int fd = open(p, O_WRONLY | O_CREAT, 0644);

		assert_true(fd >= 0);
		close(fd);
		free(p);
	}
	while (!e.overflow) {
		struct pollfd p = { .fd = notifier_fd(), .events = POLLIN };

		assert_int_equal(poll(&p, 1, 10000), 1);
		notifier_drain(events_cb, &e);
	}
	notifier_status(&st);
	assert_int_equal(st.overflows, 1);
	assert_true(e.total >= (size_t)max_queued);
	assert_true(notifier_remove_watch(wd));
	notifier_drain(events_cb, &e);
	testutil_rmtree(dir);
}

struct long_names {
	size_t n;		/* events seen */
	size_t bad;		/* out of order or with a wrong name */
};

#define LONG_NAME_FILES 1000
#define LONG_NAME_LEN 200

static void
long_name(char *out, size_t i)
{
	memset(out, 'n', LONG_NAME_LEN);
	snprintf(out + LONG_NAME_LEN - 8, 9, "%08zu", i);
}

static void
long_names_cb(void *arg, int32_t wd, uint32_t mask, uint32_t cookie,
    const char *name)
{
	struct long_names *c = arg;
	char want[LONG_NAME_LEN + 1];

	(void)wd;
	(void)cookie;
	/* create, then close_write, file after file. */
	long_name(want, c->n / 2);
	if (strcmp(name, want) != 0 ||
	    !(mask & ((c->n % 2) ? IN_CLOSE_WRITE : IN_CREATE)))
		c->bad++;
	c->n++;
}

/* A queue larger than one read's buffer (~440 KB of events): one drain
 * delivers all of it, in order, each name whole. */
static void
test_drain_beyond_one_read(void **state)
{
	char *dir = testutil_tmpdir("notifier");
	struct long_names c = { 0 };
	char name[LONG_NAME_LEN + 1];
	int32_t wd;

	(void)state;
	assert_int_equal(notifier_add_watch(dir, &wd, NULL), 0);
	for (size_t i = 0; i < LONG_NAME_FILES; i++) {
		char *p;
		int fd;

		long_name(name, i);
		p = xasprintf("%s/%s", dir, name);
		fd = open(p, O_WRONLY | O_CREAT, 0644);
		assert_true(fd >= 0);
		close(fd);
		free(p);
	}
	/* Events are queued by the time the syscalls return. */
	assert_int_equal(notifier_drain(long_names_cb, &c),
	    2 * LONG_NAME_FILES);
	assert_int_equal(c.n, 2 * LONG_NAME_FILES);
	assert_int_equal(c.bad, 0);
	assert_int_equal(notifier_drain(long_names_cb, &c), 0);
	assert_true(notifier_remove_watch(wd));
	notifier_drain(events_cb, &(struct events){ 0 });
	testutil_rmtree(dir);
}

/* A foreign inotify fd opened first must not be mistaken for ours. */
static void
test_reinit_next_to_foreign_fd(void **state)
{
	int foreign = inotify_init1(IN_CLOEXEC);
	char *dir = testutil_tmpdir("notifier");
	struct events e = { 0 };
	int32_t wd;

	(void)state;
	assert_true(foreign >= 0);
	notifier_cleanup();
	assert_int_equal(notifier_fd(), -1);
	assert_int_equal(notifier_init(NULL), 0);
	assert_true(notifier_fd() != foreign);
	assert_int_equal(notifier_add_watch(dir, &wd, NULL), 0);
	assert_int_equal(mkdir(dir, 0755), -1);
	close(open(dir, O_RDONLY));	/* no event for a dir open */
	assert_int_equal(chmod(dir, 0711), 0);
	events_wait(&e, wd, IN_ATTRIB, "");
	close(foreign);
	testutil_rmtree(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_fd_flags, setup, teardown),
		cmocka_unit_test_setup_teardown(test_file_events, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_dir_delete_self_and_ignored,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_move_self, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_watch_cap_is_enospc, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_add_errors, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_queue_overflow, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_drain_beyond_one_read,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_reinit_next_to_foreign_fd,
		    setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
