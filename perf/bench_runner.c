/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * bench_runner.c - spawn-to-exit latency of `sh -c true` through the runner
 * (posix_spawn, pipes, ev_child, group check) next to a plain
 * fork + execve + waitpid of the same command, measured in the same run,
 * interleaved so both see the same machine load.
 *
 * Usage: bench_runner [REPS] (default 200, 30 quick). Prints one JSON
 * object per figure (microseconds, see perf/bench.h): ours, and the plain
 * fork/exec as its peer.
 */
#include <errno.h>
#include <paths.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <ev.h>

#include "bench.h"
#include "runner.h"
#include "xmalloc.h"

extern char **environ;

#define BENCH_RUNNER_DEFAULT_REPS 200
#define BENCH_RUNNER_QUICK_REPS 30

static double
bench_runner_now_us(void)
{
	return (double)bench_now_ns() / 1e3;
}

static void
bench_runner_on_exit(struct child *c, const struct runner_result *res)
{
	if (!res->exited || res->exit_code != 0) {
		fprintf(stderr, "bench_runner: child failed\n");
		exit(1);
	}
	*(double *)c->data = bench_runner_now_us();
}

static double
bench_runner_one_runner(void)
{
	struct spawn_spec spec = { 0 };
	struct child c;
	struct gerr err;
	double start, end = 0;

	spec.command = "true";
	spec.cwd = "/";
	spec.on_exit = bench_runner_on_exit;
	spec.data = &end;
	spec.output_cap = 4096;
	gerr_clear(&err);
	start = bench_runner_now_us();
	if (runner_spawn(EV_DEFAULT, &spec, &c, &err) != 0) {
		fprintf(stderr, "bench_runner: %s\n", err.msg);
		exit(1);
	}
	while (end == 0)
		ev_run(EV_DEFAULT, EVRUN_ONCE);
	runner_child_free(&c);
	return end - start;
}

static double
bench_runner_one_plain(void)
{
	char *argv[] = { (char *)"sh", (char *)"-c", (char *)"true", NULL };
	double start = bench_runner_now_us();
	int st;
	pid_t pid = fork();

	if (pid == -1) {
		perror("fork");
		exit(1);
	}
	if (pid == 0) {
		execve(_PATH_BSHELL, argv, environ);
		_exit(127);
	}
	while (waitpid(pid, &st, 0) == -1 && errno == EINTR)
		;
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		fprintf(stderr, "bench_runner: plain child failed\n");
		exit(1);
	}
	return bench_runner_now_us() - start;
}

int
main(int argc, char **argv)
{
	int reps = argc > 1 ? atoi(argv[1]) :
	    bench_reps(BENCH_RUNNER_DEFAULT_REPS, BENCH_RUNNER_QUICK_REPS);
	double *runner, *plain;

	if (reps <= 0) {
		fprintf(stderr, "usage: bench_runner [REPS]\n");
		return 2;
	}
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	ev_default_loop(0);
	runner = xcalloc((size_t)reps, sizeof *runner);
	plain = xcalloc((size_t)reps, sizeof *plain);
	/* Warm the page cache and the shell once each. */
	bench_runner_one_plain();
	bench_runner_one_runner();
	for (int i = 0; i < reps; i++) {
		runner[i] = bench_runner_one_runner();
		plain[i] = bench_runner_one_plain();
	}
	bench_emit("runner", "spawn_to_exit_sh_true", "us", NULL, runner, reps,
	    0, NULL);
	bench_emit("runner", "spawn_to_exit_sh_true", "us",
	    "fork_exec_waitpid", plain, reps, 0, NULL);
	free(runner);
	free(plain);
	return 0;
}
