/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * runner.h - run one shell command as a child process group on the loop.
 *
 * runner_spawn is the only fork/exec in the daemon. A child runs
 * `_PATH_BSHELL -c CMD` (no quoting anywhere: values travel in the
 * environment), in its own process group, in spec->cwd, with stdin from
 * /dev/null and stdout and stderr on ONE pipe read by the loop (or, with
 * spec->tty, on one pseudo-terminal). Output goes to on_output as it
 * arrives and into a bounded ring (the tail).
 *
 * Lifecycle of a struct child (caller-owned memory):
 *   runner_spawn -> [on_output ...] -> on_exit (once) -> runner_child_free
 * on_exit fires once the leader has exited AND the output reached EOF AND
 * no process of the group remains, so no output is lost and nothing keeps
 * running. After the leader exits, the runner SIGKILLs what is left of its
 * group (e.g. `sleep 1000 &`) and drains the output; if a process escaped
 * the group but holds the pipe open, the runner gives up after grace_ms and
 * reports what it has. Timeout and cancel: SIGTERM to the group, then
 * SIGKILL after grace_ms.
 *
 * Threads and loops: loop thread only; the loop must be the default loop
 * (libev watches children only there), and nothing else in the process may
 * call waitpid (libev reaps every child). For grandchildren to be reaped (so
 * the group really disappears), the daemon calls prctl(PR_SET_CHILD_SUBREAPER)
 * once in main(); without it the runner waits grace_ms for foreign reaping.
 *
 * Callbacks must not free the child. To free after on_exit, the caller
 * defers: set a flag and free from an ev_prepare/ev_idle watcher, or after
 * ev_run returns.
 *
 * Output order: stdout and stderr share one pipe (2>&1), so the bytes come
 * in exactly the order the child wrote them, across both streams; two
 * pipes cannot keep that order once both hold data when the loop wakes.
 * The price is that the streams are not told apart: every chunk is
 * RUNNER_STDOUT.
 *
 * Pseudo-terminal (spec->tty): the child starts a new session
 * (POSIX_SPAWN_SETSID, so its pid is still its process group id) whose
 * controlling terminal is the slave side; stdout and stderr are the
 * slave, so isatty() is true and compilers keep their colours. Output
 * post-processing is off (no "\n" -> "\r\n"), so the bytes are the
 * child's own. TERM is set to RUNNER_TTY_TERM when the environment has
 * none. The window is tty_cols x 24 (80 when tty_cols is 0).
 */
#ifndef GGEN_RUNNER_H
#define GGEN_RUNNER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include <ev.h>

#include "gerr.h"
#include "ring.h"

struct child;

/* The protocol's stream number of the shared output (1). */
enum runner_stream {
	RUNNER_STDOUT = 1,
};

#define RUNNER_TTY_TERM "xterm-256color"
#define RUNNER_TTY_ROWS 24
#define RUNNER_TTY_COLS 80

struct runner_result {
	bool exited;			/* normal exit: exit_code is valid */
	int exit_code;			/* 0..255 when exited */
	int signal;			/* terminating signal when !exited, else 0 */
	bool timed_out;			/* the timeout fired before exit */
	bool cancelled;			/* runner_cancel was called before exit */
	struct timespec start_mono, end_mono;	/* CLOCK_MONOTONIC */
	struct timespec start_wall, end_wall;	/* CLOCK_REALTIME */
	uint64_t output_bytes;		/* stdout + stderr, all of it */
	const struct ring *output;	/* the tail; borrowed from the child */
};

/* bytes (borrowed for the call) just read from stream; len > 0. */
typedef void (*runner_output_cb)(struct child *c, enum runner_stream stream,
    const char *bytes, size_t len);
/* Once per child; res is borrowed until runner_child_free. */
typedef void (*runner_exit_cb)(struct child *c,
    const struct runner_result *res);

struct spawn_spec {
	const char *command;		/* passed as sh -c COMMAND; required */
	const char *cwd;		/* required; must be a directory */
	char *const *envp;		/* full environment, NULL-terminated;
					   NULL = the daemon's environ. Build
					   it with runenv (daemon/runenv.h). */
	const char *shell;		/* NULL = _PATH_BSHELL; tests only */
	uint64_t timeout_ms;		/* 0 = none */
	uint64_t grace_ms;		/* SIGTERM -> SIGKILL; 0 = default */
	size_t output_cap;		/* tail bytes kept; 0 = default */
	bool tty;			/* run on a pseudo-terminal */
	unsigned tty_cols;		/* its width; 0 = RUNNER_TTY_COLS */
	runner_output_cb on_output;	/* may be NULL */
	runner_exit_cb on_exit;		/* required */
	void *data;			/* for the caller, in child->data */
};

#define RUNNER_DEFAULT_GRACE_MS 2000
#define RUNNER_DEFAULT_OUTPUT_CAP (64 * 1024)

/* Private to runner.c; in the header only so callers can embed it. */
struct child {
	struct ev_loop *loop;
	void *data;			/* spec->data, the caller's */
	pid_t pid;			/* also the process group id */
	int fd;				/* read end (pipe or pty master);
					   -1 closed */
	ev_io io;
	bool tty;			/* fd is a pty master: EIO = EOF */
	ev_child exit_w;		/* the leader */
	ev_child reap_w;		/* any child, while waiting for the group */
	ev_timer timer;			/* timeout, then grace, then linger */
	int timer_stage;
	bool running;			/* spawned and on_exit not yet called */
	bool leader_done, group_gone;
	uint64_t grace_ms;
	runner_output_cb on_output;
	runner_exit_cb on_exit;
	struct ring ring;
	struct runner_result result;
};

/*
 * Start spec->command as described above. c is caller-owned storage that
 * must stay put until runner_child_free (watchers point into it); spec and
 * everything it points to are borrowed for the call only.
 *
 * Errors (nothing was started, c needs no free but runner_child_free is
 * safe): GERR_NOT_FOUND for a missing cwd or shell, GERR_INVALID when cwd
 * is not a directory or a required field is missing, GERR_IO for pipe, pty
 * or spawn failures (message names the operation and strerror). A command that
 * does not exist inside the shell is not an error here: the shell exits 127
 * and says "not found" on stderr.
 */
int runner_spawn(struct ev_loop *loop, const struct spawn_spec *spec,
    struct child *c, struct gerr *err);

/*
 * Stop the child: SIGTERM to its group now, SIGKILL after grace_ms; on_exit
 * follows with cancelled = true. No effect once the leader has exited.
 */
void runner_cancel(struct child *c);

/* True between a successful runner_spawn and on_exit. */
bool runner_running(const struct child *c);

/*
 * Stop all watchers, close fds, free the ring. If the child is still
 * running, its group is SIGKILLed first (it will be reaped by libev).
 * Never call from within c's own callbacks. Safe on a zeroed or failed
 * child and twice.
 */
void runner_child_free(struct child *c);

#endif
