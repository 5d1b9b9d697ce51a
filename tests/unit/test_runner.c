/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests for daemon/runner.c on a real libev default loop. No sleeps:
 * each test drives the loop until on_exit fires, under a loop-level safety
 * timer that fails the test instead of hanging it. The test process is a
 * child subreaper so that killed grandchildren are reaped (as in ggend) and
 * "no process of the group remains" can be checked with kill(-pgid, 0).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runenv.h"
#include "runner.h"
#include "strbuf.h"
#include "xmalloc.h"

extern char **environ;

#define RT_SAFETY_S 30.0
#define RT_MANY 50

struct rt {
	struct child c;
	bool done;
	struct runner_result res;
	char *tail;
	size_t tail_len;
	struct strbuf out, err;
	uint64_t streamed;
	pid_t pgid;
	int group_errno;	/* errno of kill(-pgid, 0) in on_exit */
	bool cancel_on_output;
	int *finished;		/* shared counter for the concurrency test */
};

static void
rt_on_output(struct child *c, enum runner_stream stream, const char *bytes,
    size_t len)
{
	struct rt *t = c->data;

	assert_true(len > 0);
	t->streamed += len;
	/* One pipe for both streams: every chunk is RUNNER_STDOUT, and err
	 * stays empty (asserted by tests that print on stderr). */
	strbuf_add(stream == RUNNER_STDOUT ? &t->out : &t->err, bytes, len);
	if (t->cancel_on_output)
		runner_cancel(c);
}

static void
rt_on_exit(struct child *c, const struct runner_result *res)
{
	struct rt *t = c->data;

	assert_false(t->done);
	t->done = true;
	t->res = *res;
	t->tail = ring_dup(res->output, &t->tail_len);
	t->pgid = c->pid;
	t->group_errno = kill(-c->pid, 0) == -1 ? errno : 0;
	if (t->finished != NULL)
		(*t->finished)++;
}

static void
rt_safety_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	*(bool *)w->data = true;
}

/* Run the loop until *flag (a bool) or *count reaches want. */
static void
rt_wait(bool *flag, int *count, int want)
{
	struct ev_loop *loop = EV_DEFAULT;
	bool expired = false;
	ev_timer safety;

	ev_timer_init(&safety, rt_safety_cb, RT_SAFETY_S, 0.);
	safety.data = &expired;
	ev_timer_start(loop, &safety);
	while (!expired && (flag != NULL ? !*flag : *count < want))
		ev_run(loop, EVRUN_ONCE);
	ev_timer_stop(loop, &safety);
	if (expired)
		fail_msg("safety timeout: on_exit did not fire");
}

static void
rt_spec(struct spawn_spec *s, struct rt *t, const char *cmd)
{
	memset(s, 0, sizeof *s);
	memset(t, 0, sizeof *t);
	strbuf_init(&t->out);
	strbuf_init(&t->err);
	s->command = cmd;
	s->cwd = "/";
	s->on_output = rt_on_output;
	s->on_exit = rt_on_exit;
	s->data = t;
}

static void
rt_free(struct rt *t)
{
	runner_child_free(&t->c);
	free(t->tail);
	strbuf_release(&t->out);
	strbuf_release(&t->err);
}

/* Spawn, run to on_exit, assert the group is gone. */
static void
rt_run(struct spawn_spec *s, struct rt *t)
{
	struct gerr err;

	gerr_clear(&err);
	if (runner_spawn(EV_DEFAULT, s, &t->c, &err) != 0)
		fail_msg("runner_spawn: %s", err.msg);
	assert_true(runner_running(&t->c));
	rt_wait(&t->done, NULL, 0);
	assert_false(runner_running(&t->c));
	assert_int_equal(t->group_errno, ESRCH);
	assert_int_equal(t->streamed, t->res.output_bytes);
}

static void
test_exit_codes(void **state)
{
	static const char *cmds[] = { "exit 0", "exit 1", "exit 42" };
	static const int codes[] = { 0, 1, 42 };
	struct spawn_spec s;
	struct rt t;

	(void)state;
	for (int i = 0; i < 3; i++) {
		rt_spec(&s, &t, cmds[i]);
		rt_run(&s, &t);
		assert_true(t.res.exited);
		assert_int_equal(t.res.exit_code, codes[i]);
		assert_int_equal(t.res.signal, 0);
		assert_false(t.res.timed_out);
		assert_false(t.res.cancelled);
		assert_true(t.res.end_mono.tv_sec > t.res.start_mono.tv_sec ||
		    (t.res.end_mono.tv_sec == t.res.start_mono.tv_sec &&
		    t.res.end_mono.tv_nsec >= t.res.start_mono.tv_nsec));
		assert_true(t.res.start_wall.tv_sec > 1600000000);
		rt_free(&t);
	}
}

static void
test_killed_by_signal(void **state)
{
	struct spawn_spec s;
	struct rt t;

	(void)state;
	rt_spec(&s, &t, "kill -9 $$");
	rt_run(&s, &t);
	assert_false(t.res.exited);
	assert_int_equal(t.res.signal, SIGKILL);
	rt_free(&t);
}

static void
test_output_over_cap_keeps_tail(void **state)
{
	struct spawn_spec s;
	struct rt t;
	struct strbuf want = STRBUF_INIT;

	(void)state;
	rt_spec(&s, &t, "i=0; while [ $i -lt 3000 ]; do printf '%05d\\n' $i; "
	    "i=$((i+1)); done");
	s.output_cap = 1000;
	for (int i = 0; i < 3000; i++)
		strbuf_addf(&want, "%05d\n", i);
	rt_run(&s, &t);
	assert_int_equal(t.res.exit_code, 0);
	assert_int_equal(t.res.output_bytes, 18000);
	assert_int_equal(t.tail_len, 1000);
	assert_memory_equal(t.tail, want.buf + 17000, 1000);
	assert_true(ring_dropped(t.res.output));
	assert_string_equal(t.out.buf, want.buf);
	strbuf_release(&want);
	rt_free(&t);
}

static void
test_stderr_captured(void **state)
{
	struct spawn_spec s;
	struct rt t;

	(void)state;
	rt_spec(&s, &t, "echo out; echo err >&2; exit 3");
	rt_run(&s, &t);
	assert_int_equal(t.res.exit_code, 3);
	assert_string_equal(t.out.buf, "out\nerr\n");
	assert_string_equal(t.err.buf, "");
	assert_int_equal(t.res.output_bytes, 8);
	assert_string_equal(t.tail, "out\nerr\n");
	rt_free(&t);
}

/* stdout and stderr interleaved line by line, with no pause between the
 * writes: the order survives (two pipes would lose it), streamed and in
 * the tail. */
static void
test_interleaved_order_kept(void **state)
{
	static const char *want = "out1\nerr1\nout2\nerr2\nout3\nerr3\n";
	struct spawn_spec s;
	struct rt t;

	(void)state;
	rt_spec(&s, &t, "for i in 1 2 3; do echo out$i; echo err$i >&2; done");
	rt_run(&s, &t);
	assert_int_equal(t.res.exit_code, 0);
	assert_string_equal(t.out.buf, want);
	assert_string_equal(t.tail, want);
	rt_free(&t);
}

/* tty: both streams are a terminal, TERM is provided when the
 * environment has none, the width is the one asked for, "\n" is not
 * turned into "\r\n", and the group still dies with the leader. */
static void
test_tty(void **state)
{
	static char *const env[] = { (char *)"PATH=/usr/bin:/bin", NULL };
	static char *const env_term[] = { (char *)"PATH=/usr/bin:/bin",
		(char *)"TERM=dumb", NULL };
	struct spawn_spec s;
	struct rt t;

	(void)state;
	rt_spec(&s, &t, "[ -t 1 ] && [ -t 2 ] && echo tty12; [ -t 0 ] || "
	    "echo no0; echo \"$TERM\"; stty size </dev/tty; echo e >&2; "
	    "sleep 1000 &");
	s.envp = env;
	s.tty = true;
	s.tty_cols = 132;
	rt_run(&s, &t);
	assert_int_equal(t.res.exit_code, 0);
	assert_string_equal(t.out.buf, "tty12\nno0\n" RUNNER_TTY_TERM
	    "\n24 132\ne\n");
	rt_free(&t);

	rt_spec(&s, &t, "echo \"$TERM\"; stty size </dev/tty; "
	    "printf '\\033[31mred\\033[0m\\n'");
	s.envp = env_term;
	s.tty = true;
	rt_run(&s, &t);
	assert_string_equal(t.out.buf, "dumb\n24 80\n\033[31mred\033[0m\n");
	rt_free(&t);

	/* A pipe is not a terminal. */
	rt_spec(&s, &t, "[ -t 1 ] || echo pipe");
	rt_run(&s, &t);
	assert_string_equal(t.out.buf, "pipe\n");
	rt_free(&t);
}

static void
test_env_verbatim(void **state)
{
	static const char *tricky = "a b  \"q\" 'x' $(echo pwned) `id` ;|&\\";
	struct spawn_spec s;
	struct runenv env;
	struct rt t;
	struct strbuf want = STRBUF_INIT;

	(void)state;
	runenv_init(&env);
	runenv_import(&env, environ);
	assert_int_equal(runenv_set(&env, "GGEN_TRICKY", tricky, NULL), 0);
	runenv_set_ggen(&env, "/r", "/r/ws", "build", "17");
	assert_int_equal(runenv_set(&env, "HOME", "/phase/home", NULL), 0);
	rt_spec(&s, &t, "printf '%s|%s|%s|%s|%s|%s' \"$GGEN_TRICKY\" "
	    "\"$GGEN_PHASE\" \"$GGEN_RUN_ID\" \"$HOME\" \"$GGEN_ROOT\" "
	    "\"$GGEN_WORKSPACE\"");
	s.envp = runenv_envp(&env);
	rt_run(&s, &t);
	strbuf_addf(&want, "%s|build|17|/phase/home|/r|/r/ws", tricky);
	assert_string_equal(t.out.buf, want.buf);
	assert_string_equal(t.err.buf, "");
	strbuf_release(&want);
	runenv_release(&env);
	rt_free(&t);
}

static void
test_changed_files_reach_child(void **state)
{
	const char *paths[] = { "a b.c", "src/x.h", "odd\nname" };
	char dir[] = "/tmp/ggen-runner-XXXXXX", *file;
	struct spawn_spec s;
	struct runenv env;
	struct rt t;

	(void)state;
	assert_non_null(mkdtemp(dir));
	runenv_init(&env);
	runenv_import(&env, environ);
	assert_int_equal(runenv_set_changed(&env, paths, 3, dir, NULL), 0);
	rt_spec(&s, &t, "printf '%s/%s/%s|' \"$GGEN_CHANGED\" "
	    "\"$GGEN_CHANGED_COUNT\" \"$GGEN_CHANGED_TRUNCATED\"; "
	    "tr '\\0\\n' ':N' < \"$GGEN_CHANGED_FILE\"");
	s.envp = runenv_envp(&env);
	rt_run(&s, &t);
	assert_string_equal(t.err.buf, "");
	assert_string_equal(t.out.buf, "a b.c\nsrc/x.h/3/1|a b.c:src/x.h:oddNname:");
	file = xstrdup(runenv_get(&env, "GGEN_CHANGED_FILE"));
	assert_int_equal(unlink(file), 0);
	assert_int_equal(rmdir(dir), 0);
	free(file);
	runenv_release(&env);
	rt_free(&t);
}

static void
test_cwd_honoured(void **state)
{
	char dir[] = "/tmp/ggen-runner-XXXXXX", real[PATH_MAX];
	struct spawn_spec s;
	struct rt t;

	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_non_null(realpath(dir, real));
	rt_spec(&s, &t, "pwd -P");
	s.cwd = dir;
	rt_run(&s, &t);
	strcat(real, "\n");
	assert_string_equal(t.out.buf, real);
	rt_free(&t);
	assert_int_equal(rmdir(dir), 0);
}

static void
test_missing_cwd_fails_at_once(void **state)
{
	struct spawn_spec s;
	struct gerr err;
	struct rt t;

	(void)state;
	rt_spec(&s, &t, "true");
	s.cwd = "/nonexistent/ggen-dir";
	gerr_clear(&err);
	assert_int_equal(runner_spawn(EV_DEFAULT, &s, &t.c, &err),
	    GERR_NOT_FOUND);
	assert_string_equal(err.msg, "working directory /nonexistent/ggen-dir: "
	    "No such file or directory");
	assert_false(runner_running(&t.c));
	rt_free(&t);

	rt_spec(&s, &t, "true");
	s.cwd = "/dev/null";
	gerr_clear(&err);
	assert_int_equal(runner_spawn(EV_DEFAULT, &s, &t.c, &err),
	    GERR_INVALID);
	assert_non_null(strstr(err.msg, "Not a directory"));
	rt_free(&t);
}

static void
test_missing_command_and_shell(void **state)
{
	struct spawn_spec s;
	struct gerr err;
	struct rt t;

	(void)state;
	rt_spec(&s, &t, "/nonexistent/ggen-cmd --flag");
	rt_run(&s, &t);
	assert_true(t.res.exited);
	assert_int_equal(t.res.exit_code, 127);
	assert_non_null(strstr(t.out.buf, "/nonexistent/ggen-cmd"));
	assert_non_null(strstr(t.out.buf, "not found"));
	rt_free(&t);

	/* valgrind turns posix_spawn's CLONE_VFORK into a plain fork, so an
	 * exec failure is not reported synchronously under it (tests/valgrind/
	 * wrap sets this); the child still exits 127, checked above. */
	if (getenv("GGEN_UNDER_VALGRIND") != NULL)
		return;
	rt_spec(&s, &t, "true");
	s.shell = "/nonexistent/sh";
	gerr_clear(&err);
	assert_int_equal(runner_spawn(EV_DEFAULT, &s, &t.c, &err),
	    GERR_NOT_FOUND);
	assert_non_null(strstr(err.msg, "spawn /nonexistent/sh -c in /: "
	    "No such file or directory"));
	rt_free(&t);
}

static void
test_timeout_kills_grandchild(void **state)
{
	struct spawn_spec s;
	struct rt t;

	(void)state;
	rt_spec(&s, &t, "sleep 1000 & sleep 1000");
	s.timeout_ms = 100;
	s.grace_ms = 5000;
	rt_run(&s, &t);
	assert_true(t.res.timed_out);
	assert_false(t.res.cancelled);
	assert_false(t.res.exited);
	assert_int_equal(t.res.signal, SIGTERM);
	rt_free(&t);
}

static void
test_cancel_escalates_to_sigkill(void **state)
{
	struct spawn_spec s;
	struct rt t;

	(void)state;
	/* "armed" is printed after the trap is set, so SIGTERM is ignored
	 * for sure when the cancel (from on_output) sends it. */
	rt_spec(&s, &t, "trap '' TERM; echo armed; while :; do :; done");
	t.cancel_on_output = true;
	s.grace_ms = 100;
	rt_run(&s, &t);
	assert_string_equal(t.out.buf, "armed\n");
	assert_true(t.res.cancelled);
	assert_false(t.res.timed_out);
	assert_int_equal(t.res.signal, SIGKILL);
	rt_free(&t);
}

static void
test_background_leftover_killed_after_exit(void **state)
{
	struct spawn_spec s;
	struct rt t;

	(void)state;
	/* The grandchild keeps both pipes open; exit must not wait for it. */
	rt_spec(&s, &t, "sleep 1000 & echo hi");
	s.grace_ms = 10000;
	rt_run(&s, &t);
	assert_true(t.res.exited);
	assert_int_equal(t.res.exit_code, 0);
	assert_false(t.res.timed_out);
	assert_string_equal(t.out.buf, "hi\n");
	rt_free(&t);
}

static void
test_escaped_process_holding_pipe(void **state)
{
	struct spawn_spec s;
	struct rt t;
	long pid;

	(void)state;
	/* setsid leaves our group but keeps stdout: the runner must give up
	 * on the pipe after grace_ms instead of waiting for it forever. The
	 * fifo makes the leader exit only once the escape has happened. */
	rt_spec(&s, &t, "f=$(mktemp -u); mkfifo \"$f\" || exit 1; "
	    "setsid sh -c 'echo $$ > \"$1\"; exec sleep 1000' sh \"$f\" & "
	    "read pid < \"$f\"; rm -f \"$f\"; echo $pid; echo hi");
	s.grace_ms = 200;
	rt_run(&s, &t);
	assert_true(t.res.exited);
	assert_int_equal(t.res.exit_code, 0);
	assert_non_null(strstr(t.out.buf, "\nhi\n"));
	pid = strtol(t.out.buf, NULL, 10);
	assert_true(pid > 1);
	assert_int_equal(kill((pid_t)pid, SIGKILL), 0);
	rt_free(&t);
}

static void
test_cancel(void **state)
{
	struct spawn_spec s;
	struct rt t;

	(void)state;
	rt_spec(&s, &t, "echo ready; sleep 1000");
	t.cancel_on_output = true;
	rt_run(&s, &t);
	assert_true(t.res.cancelled);
	assert_false(t.res.timed_out);
	assert_int_equal(t.res.signal, SIGTERM);
	assert_string_equal(t.out.buf, "ready\n");
	rt_free(&t);
}

static void
rt_watch_cb(struct ev_loop *loop, ev_child *w, int revents)
{
	struct rt *t = w->data;

	(void)revents;
	ev_child_stop(loop, w);
	t->group_errno = w->rstatus;
	t->done = true;
}

static void
test_free_while_running_kills(void **state)
{
	struct spawn_spec s;
	struct rt t;
	ev_child watch;

	(void)state;
	rt_spec(&s, &t, "sleep 1000");
	assert_int_equal(runner_spawn(EV_DEFAULT, &s, &t.c, NULL), 0);
	/* Our own watcher on the leader sees how it died after the free. */
	ev_child_init(&watch, rt_watch_cb, t.c.pid, 0);
	watch.data = &t;
	ev_child_start(EV_DEFAULT, &watch);
	runner_child_free(&t.c);
	assert_false(runner_running(&t.c));
	rt_wait(&t.done, NULL, 0);
	assert_true(WIFSIGNALED(t.group_errno));
	assert_int_equal(WTERMSIG(t.group_errno), SIGKILL);
	runner_child_free(&t.c);
	rt_free(&t);
}

/* fds the harness gave us are not ours to judge: mark them CLOEXEC so
 * that only fds this process creates can show up in a child. */
static void
rt_cloexec_inherited(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;

	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		int fd = atoi(de->d_name);

		if (fd > 2 && fd != dirfd(d))
			fcntl(fd, F_SETFD, FD_CLOEXEC);
	}
	closedir(d);
}

/* "fd fd ..." from ls -l lines "... FD -> TARGET"; stdin shows its target. */
static const char *
rt_fd_list(char *ls)
{
	static char out[256];
	char *line, *save = NULL;

	out[0] = '\0';
	for (line = strtok_r(ls, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		char *arrow = strstr(line, " -> "), *fd, *target;
		size_t tl;

		if (arrow == NULL)
			continue;
		*arrow = '\0';
		target = arrow + 4;
		fd = strrchr(line, ' ') + 1;
		tl = strlen(target);
		if (strncmp(target, "/proc/", 6) == 0 && tl > 3 &&
		    strcmp(target + tl - 3, "/fd") == 0)
			continue;
		strcat(out, fd);
		if (strcmp(fd, "0") == 0) {
			strcat(out, ":");
			strcat(out, target);
		}
		strcat(out, " ");
	}
	return out;
}

static void
test_only_std_fds_inherited(void **state)
{
	struct spawn_spec s;
	struct rt other, t;

	(void)state;
	rt_cloexec_inherited();
	/* Another running child keeps its pipes open in the daemon meanwhile. */
	rt_spec(&s, &other, "sleep 1000");
	assert_int_equal(runner_spawn(EV_DEFAULT, &s, &other.c, NULL), 0);
	/* exec: no shell pipeline fds around; ls's own directory fd (the
	 * one pointing at /proc/PID/fd) is skipped below. */
	rt_spec(&s, &t, "exec ls -l /proc/self/fd");
	rt_run(&s, &t);
	assert_string_equal(t.err.buf, "");
	assert_string_equal(rt_fd_list(t.out.buf), "0:/dev/null 1 2 ");
	runner_cancel(&other.c);
	rt_wait(&other.done, NULL, 0);
	assert_true(other.res.cancelled);
	rt_free(&other);
	rt_free(&t);
}

static void
test_signals_reset_in_child(void **state)
{
	struct sigaction ign = { .sa_handler = SIG_IGN }, old_pipe, old_int;
	sigset_t usr1, old_mask;
	struct spawn_spec s;
	struct rt t;

	(void)state;
	/* What a daemon typically does to itself; none of it may leak. */
	sigemptyset(&ign.sa_mask);
	sigaction(SIGPIPE, &ign, &old_pipe);
	sigaction(SIGINT, &ign, &old_int);
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigprocmask(SIG_BLOCK, &usr1, &old_mask);
	rt_spec(&s, &t, "exec grep -E '^Sig(Blk|Ign)' /proc/self/status");
	rt_run(&s, &t);
	sigprocmask(SIG_SETMASK, &old_mask, NULL);
	sigaction(SIGPIPE, &old_pipe, NULL);
	sigaction(SIGINT, &old_int, NULL);
	assert_string_equal(t.out.buf, "SigBlk:\t0000000000000000\n"
	    "SigIgn:\t0000000000000000\n");
	rt_free(&t);
}

static void
test_many_concurrent(void **state)
{
	struct spawn_spec s;
	struct rt *t = xcalloc(RT_MANY, sizeof *t);
	char cmds[RT_MANY][64];
	int finished = 0;

	(void)state;
	assert_non_null(t);
	for (int i = 0; i < RT_MANY; i++) {
		snprintf(cmds[i], sizeof cmds[i], "echo child %d; exit %d", i,
		    i % 7);
		rt_spec(&s, &t[i], cmds[i]);
		t[i].finished = &finished;
		assert_int_equal(runner_spawn(EV_DEFAULT, &s, &t[i].c, NULL), 0);
	}
	rt_wait(NULL, &finished, RT_MANY);
	for (int i = 0; i < RT_MANY; i++) {
		char want[32];

		snprintf(want, sizeof want, "child %d\n", i);
		assert_true(t[i].done);
		assert_int_equal(t[i].res.exit_code, i % 7);
		assert_string_equal(t[i].out.buf, want);
		rt_free(&t[i]);
	}
	free(t);
}

static void
test_spec_required_fields(void **state)
{
	struct spawn_spec s;
	struct gerr err;
	struct rt t;

	(void)state;
	rt_spec(&s, &t, NULL);
	gerr_clear(&err);
	assert_int_equal(runner_spawn(EV_DEFAULT, &s, &t.c, &err),
	    GERR_INVALID);
	assert_non_null(strstr(err.msg, "required"));
	rt_free(&t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exit_codes),
		cmocka_unit_test(test_killed_by_signal),
		cmocka_unit_test(test_output_over_cap_keeps_tail),
		cmocka_unit_test(test_stderr_captured),
		cmocka_unit_test(test_interleaved_order_kept),
		cmocka_unit_test(test_tty),
		cmocka_unit_test(test_env_verbatim),
		cmocka_unit_test(test_changed_files_reach_child),
		cmocka_unit_test(test_cwd_honoured),
		cmocka_unit_test(test_missing_cwd_fails_at_once),
		cmocka_unit_test(test_missing_command_and_shell),
		cmocka_unit_test(test_timeout_kills_grandchild),
		cmocka_unit_test(test_cancel_escalates_to_sigkill),
		cmocka_unit_test(test_background_leftover_killed_after_exit),
		cmocka_unit_test(test_escaped_process_holding_pipe),
		cmocka_unit_test(test_cancel),
		cmocka_unit_test(test_free_while_running_kills),
		cmocka_unit_test(test_only_std_fds_inherited),
		cmocka_unit_test(test_signals_reset_in_child),
		cmocka_unit_test(test_many_concurrent),
		cmocka_unit_test(test_spec_required_fields),
	};

	/* As ggend does: orphaned grandchildren come to us to be reaped. */
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) == -1)
		perror("prctl PR_SET_CHILD_SUBREAPER");
	ev_default_loop(0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
