/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests for daemon/pidfile.c: the lock says who runs; a live holder
 * refuses us with its pid; a dead daemon whose child still holds the lock
 * for a moment (posix_spawn's clone-to-exec window) is waited for, within
 * a bound.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "pidfile.h"

static char *
test_pidfile_path(void)
{
	char tmpl[] = "/tmp/ggen-pidfile-XXXXXX";
	char *dir = mkdtemp(tmpl);
	char *path;

	assert_non_null(dir);
	path = malloc(strlen(dir) + 16);
	assert_non_null(path);
	sprintf(path, "%s/ggend.pid", dir);
	return path;
}

static void
test_pidfile_cleanup(char *path)
{
	char *slash = strrchr(path, '/');

	unlink(path);
	*slash = '\0';
	rmdir(path);
	free(path);
}

/*
 * Fork a "daemon" that takes the lock and writes its pid, then forks a
 * "child" that inherits the descriptor and holds it for hold_ms after the
 * daemon has exited. Returns once the daemon is gone (reaped), with
 * *ready_fd readable once the child holds the descriptor. The child is
 * reparented, so not ours to reap.
 */
static void
test_orphan_lock(const char *path, int hold_ms, int *ready_fd)
{
	int sync[2];
	pid_t daemon_pid;
	int status;

	assert_int_equal(pipe(sync), 0);
	daemon_pid = fork();
	assert_true(daemon_pid >= 0);
	if (daemon_pid == 0) {
		int fd = open(path, O_RDWR | O_CREAT, 0600);
		char buf[32];

		if (fd < 0 || flock(fd, LOCK_EX) != 0)
			_exit(1);
		snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
		if (write(fd, buf, strlen(buf)) < 0)
			_exit(1);
		if (fork() == 0) {
			/* The child: holds fd, tells the test, lingers.
			 * It lets go of the test's output so the runner
			 * does not wait for it. */
			int null = open("/dev/null", O_WRONLY);

			dup2(null, 1);
			dup2(null, 2);
			close(sync[0]);
			if (write(sync[1], "x", 1) != 1)
				_exit(1);
			close(sync[1]);
			usleep((useconds_t)hold_ms * 1000);
			_exit(0);
		}
		_exit(0);
	}
	close(sync[1]);
	assert_int_equal(waitpid(daemon_pid, &status, 0), daemon_pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	*ready_fd = sync[0];
}

static void
test_acquire_release(void **state)
{
	char *path = test_pidfile_path();
	struct gerr err;
	int fd, fd2;
	char buf[32];

	(void)state;
	gerr_clear(&err);
	assert_int_equal(pidfile_acquire(path, &fd, &err), 0);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, buf, sizeof(buf), 0) > 0, 1);
	assert_int_equal(atol(buf), (long)getpid());
	/* A second acquire (another open file description) is refused with
	 * our pid, since we are alive. */
	gerr_clear(&err);
	assert_int_equal(pidfile_acquire(path, &fd2, &err),
	    GERR_ALREADY_RUNNING);
	assert_int_equal(fd2, -1);
	assert_non_null(strstr(err.msg, "already running"));
	snprintf(buf, sizeof(buf), "pid %ld", (long)getpid());
	assert_non_null(strstr(err.msg, buf));
	pidfile_release(path, fd);
	assert_int_equal(access(path, F_OK), -1);
	test_pidfile_cleanup(path);
}

static void
test_dead_owner_child_holding_lock_is_waited_for(void **state)
{
	char *path = test_pidfile_path();
	struct gerr err;
	int fd, sync_fd;
	char c;

	(void)state;
	test_orphan_lock(path, 300, &sync_fd);
	assert_int_equal(read(sync_fd, &c, 1), 1);	/* child holds it */
	close(sync_fd);
	gerr_clear(&err);
	assert_int_equal(pidfile_acquire(path, &fd, &err), 0);
	assert_true(fd >= 0);
	pidfile_release(path, fd);
	test_pidfile_cleanup(path);
}

static void
test_dead_owner_lock_held_too_long_is_refused(void **state)
{
	char *path = test_pidfile_path();
	struct gerr err;
	int fd, sync_fd;
	char c;

	(void)state;
	test_orphan_lock(path, 6000, &sync_fd);
	assert_int_equal(read(sync_fd, &c, 1), 1);
	close(sync_fd);
	gerr_clear(&err);
	assert_int_equal(pidfile_acquire(path, &fd, &err),
	    GERR_ALREADY_RUNNING);
	assert_int_equal(fd, -1);
	assert_non_null(strstr(err.msg, "already running"));
	test_pidfile_cleanup(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_acquire_release),
		cmocka_unit_test(test_dead_owner_child_holding_lock_is_waited_for),
		cmocka_unit_test(test_dead_owner_lock_held_too_long_is_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
