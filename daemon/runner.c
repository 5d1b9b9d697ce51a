/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * runner.c - child processes for phase commands: spawn, stream, time out,
 * reap.
 *
 * Owns, per struct child: the output read end (a pipe, or a pty master),
 * the ev_io/ev_child/ev_timer watchers, the output ring. Called by the lifecycle engine (runner_spawn,
 * runner_cancel, runner_child_free); libev calls the rest.
 *
 * Invariants: this is the only place the daemon creates processes, always
 * through posix_spawn (no code runs between fork and exec in our address
 * space). Every fd we create is O_CLOEXEC, so a child inherits exactly 0, 1
 * and 2 (1 and 2 the same pipe or pty slave). The child's pid is its
 * process group id; signals go to the group,
 * never to the pid alone, so `sh -c` cannot orphan its own children. on_exit
 * runs at most once and only after leader exit, pipe EOF and group death
 * (or the linger deadline). Never blocks: pipes are non-blocking and each
 * read callback is bounded; no waitpid (libev reaps).
 */
#include "runner.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <paths.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "log.h"
#include "xmalloc.h"

extern char **environ;

/* One read callback reads at most this much so one chatty child cannot
 * starve the loop. */
#define RUNNER_READ_CHUNK 16384
#define RUNNER_READS_PER_CB 4

enum runner_timer_stage {
	RUNNER_TIMER_NONE = 0,
	RUNNER_TIMER_TIMEOUT,	/* waiting for the command's deadline */
	RUNNER_TIMER_GRACE,	/* SIGTERM sent, SIGKILL when this fires */
	RUNNER_TIMER_LINGER,	/* leader gone, waiting for pipes and group */
};

static double
runner_seconds(uint64_t ms)
{
	return (double)ms / 1000.0;
}

static void
runner_signal_group(struct child *c, int sig)
{
	if (kill(-c->pid, sig) == -1 && errno != ESRCH)
		log_warn("runner: kill(-%d, %d): %s", (int)c->pid, sig,
		    strerror(errno));
}

static void
runner_timer_set(struct child *c, int stage, uint64_t ms)
{
	ev_timer_stop(c->loop, &c->timer);
	c->timer_stage = stage;
	if (stage == RUNNER_TIMER_NONE)
		return;
	ev_timer_set(&c->timer, runner_seconds(ms), 0.);
	ev_timer_start(c->loop, &c->timer);
}

static void
runner_close_output(struct child *c)
{
	if (c->fd < 0)
		return;
	ev_io_stop(c->loop, &c->io);
	close(c->fd);
	c->fd = -1;
}

/*
 * Read up to max_reads chunks of output. Stops at EAGAIN, closes the
 * output at EOF or on a read error (the output is then incomplete, which is
 * logged, but the run itself is still reported). A pty master reads EIO
 * once every slave fd is closed: that is its EOF.
 */
static void
runner_read(struct child *c, int max_reads)
{
	char buf[RUNNER_READ_CHUNK];

	while (max_reads-- > 0 && c->fd >= 0) {
		ssize_t n = read(c->fd, buf, sizeof buf);

		if (n > 0) {
			ring_append(&c->ring, buf, (size_t)n);
			if (c->on_output != NULL)
				c->on_output(c, RUNNER_STDOUT, buf, (size_t)n);
			continue;
		}
		if (n == -1 && errno == EINTR) {
			max_reads++;
			continue;
		}
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n == -1 && !(c->tty && errno == EIO))
			log_warn("runner: pid %d: read output: %s",
			    (int)c->pid, strerror(errno));
		runner_close_output(c);
	}
}

/* Does any process of the child's group still exist (zombies count)? */
static bool
runner_group_alive(const struct child *c)
{
	return kill(-c->pid, 0) == 0 || errno != ESRCH;
}

/* The invariants of the file comment, in debug builds. */
static void
runner_check(const struct child *c)
{
	assert(!c->running || c->pid > 0);
	assert(c->leader_done || !c->group_gone);
	assert(!c->leader_done || c->timer_stage == RUNNER_TIMER_NONE ||
	    c->timer_stage == RUNNER_TIMER_LINGER);
	(void)c;
}

static void
runner_maybe_finish(struct child *c)
{
	runner_check(c);
	if (!c->running || !c->leader_done || c->fd >= 0)
		return;
	if (!c->group_gone && runner_group_alive(c))
		return;
	c->group_gone = true;
	runner_timer_set(c, RUNNER_TIMER_NONE, 0);
	ev_child_stop(c->loop, &c->reap_w);
	c->running = false;
	clock_gettime(CLOCK_MONOTONIC, &c->result.end_mono);
	clock_gettime(CLOCK_REALTIME, &c->result.end_wall);
	c->result.output_bytes = ring_total(&c->ring);
	c->result.output = &c->ring;
	c->on_exit(c, &c->result);
}

static void
runner_io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct child *c = w->data;

	(void)loop;
	(void)revents;
	runner_read(c, RUNNER_READS_PER_CB);
	runner_maybe_finish(c);
}

static void
runner_leader_cb(struct ev_loop *loop, ev_child *w, int revents)
{
	struct child *c = w->data;
	int st = w->rstatus;

	(void)revents;
	ev_child_stop(loop, w);
	c->leader_done = true;
	if (WIFEXITED(st)) {
		c->result.exited = true;
		c->result.exit_code = WEXITSTATUS(st);
	} else if (WIFSIGNALED(st))
		c->result.signal = WTERMSIG(st);
	runner_timer_set(c, RUNNER_TIMER_NONE, 0);
	/* What the leader wrote is already in the pipe: take it now. */
	runner_read(c, RUNNER_READS_PER_CB);
	/*
	 * Leftovers of the group (`cmd &`) would keep the pipes open forever
	 * and outlive the run: kill them; reap_w sees them go. A process that
	 * left the group can still hold a pipe, hence the linger deadline.
	 */
	if (runner_group_alive(c)) {
		runner_signal_group(c, SIGKILL);
		ev_child_start(loop, &c->reap_w);
	} else
		c->group_gone = true;
	if (!c->group_gone || c->fd >= 0)
		runner_timer_set(c, RUNNER_TIMER_LINGER, c->grace_ms);
	runner_maybe_finish(c);
}

/* Any child was reaped: maybe the last one of our group. */
static void
runner_reap_cb(struct ev_loop *loop, ev_child *w, int revents)
{
	struct child *c = w->data;

	(void)revents;
	if (!runner_group_alive(c)) {
		c->group_gone = true;
		ev_child_stop(loop, w);
	}
	runner_maybe_finish(c);
}

static void
runner_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct child *c = w->data;

	(void)loop;
	(void)revents;
	switch (c->timer_stage) {
	case RUNNER_TIMER_TIMEOUT:
		c->result.timed_out = true;
		runner_signal_group(c, SIGTERM);
		runner_timer_set(c, RUNNER_TIMER_GRACE, c->grace_ms);
		break;
	case RUNNER_TIMER_GRACE:
		runner_signal_group(c, SIGKILL);
		c->timer_stage = RUNNER_TIMER_NONE;
		break;
	case RUNNER_TIMER_LINGER:
		log_warn("runner: pid %d: %s still open %.3f s after exit; "
		    "reporting without them", (int)c->pid,
		    c->fd >= 0 ? "output" : "process group",
		    runner_seconds(c->grace_ms));
		c->timer_stage = RUNNER_TIMER_NONE;
		runner_read(c, RUNNER_READS_PER_CB);
		runner_close_output(c);
		c->group_gone = true;
		runner_maybe_finish(c);
		break;
	default:
		log_error("runner: pid %d: timer fired in stage %d",
		    (int)c->pid, c->timer_stage);
		break;
	}
}

/* Pipe with both ends close-on-exec and only the read end non-blocking:
 * the child must see ordinary blocking stdout. */
static int
runner_pipe(int p[2], struct gerr *err)
{
	if (pipe2(p, O_CLOEXEC) == -1)
		return gerr_set(err, GERR_IO, "pipe: %s", strerror(errno));
	if (fcntl(p[0], F_SETFL, O_NONBLOCK) == -1) {
		int e = errno;

		close(p[0]);
		close(p[1]);
		return gerr_set(err, GERR_IO, "fcntl O_NONBLOCK: %s",
		    strerror(e));
	}
	return 0;
}

static int
runner_check_spec(const struct spawn_spec *spec, struct gerr *err)
{
	struct stat st;

	if (spec->command == NULL || spec->cwd == NULL ||
	    spec->on_exit == NULL)
		return gerr_set(err, GERR_INVALID,
		    "runner: command, cwd and on_exit are required");
	/* Reported here, at once: inside the child it would be exit 127. */
	if (stat(spec->cwd, &st) == -1)
		return gerr_set(err, errno == ENOENT ? GERR_NOT_FOUND :
		    GERR_IO, "working directory %s: %s", spec->cwd,
		    strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return gerr_set(err, GERR_INVALID,
		    "working directory %s: Not a directory", spec->cwd);
	return 0;
}

/*
 * A pseudo-terminal for the child: *master (CLOEXEC, non-blocking) is read
 * by the loop; *slave (CLOEXEC) is open only so its settings can be made
 * before the child exists, closed by the caller after the spawn; path is
 * the slave's name, which the child opens to make it its controlling
 * terminal. Output post-processing off: the bytes are the child's own.
 */
static int
runner_pty(int *master, int *slave, char *path, size_t size, unsigned cols,
    struct gerr *err)
{
	struct winsize ws = { .ws_row = RUNNER_TTY_ROWS,
		.ws_col = (unsigned short)(cols > 0 && cols < 10000 ? cols :
		    RUNNER_TTY_COLS) };
	struct termios tio;
	const char *op = "posix_openpt";
	int e;

	*slave = -1;
	*master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (*master == -1)
		goto fail;
	if ((op = "grantpt", grantpt(*master)) == -1 ||
	    (op = "unlockpt", unlockpt(*master)) == -1)
		goto fail;
	op = "ptsname";
	if ((errno = ptsname_r(*master, path, size)) != 0)
		goto fail;
	op = "open pty slave";
	if ((*slave = open(path, O_RDWR | O_NOCTTY | O_CLOEXEC)) == -1)
		goto fail;
	if ((op = "tcgetattr", tcgetattr(*slave, &tio)) == -1)
		goto fail;
	tio.c_oflag &= ~(tcflag_t)OPOST;
	if ((op = "tcsetattr", tcsetattr(*slave, TCSANOW, &tio)) == -1 ||
	    (op = "TIOCSWINSZ", ioctl(*master, TIOCSWINSZ, &ws)) == -1 ||
	    (op = "fcntl O_NONBLOCK", fcntl(*master, F_SETFL,
	    O_NONBLOCK)) == -1)
		goto fail;
	return 0;
fail:
	e = errno;
	if (*slave >= 0)
		close(*slave);
	if (*master >= 0)
		close(*master);
	*master = *slave = -1;
	return gerr_set(err, GERR_IO, "%s: %s", op, strerror(e));
}

/*
 * posix_spawn's attributes and file actions; 0 or the failing call's errno.
 * out is the output pipe's write end, or -1 with tty_path the pty slave to
 * open (after setsid, so it becomes the controlling terminal).
 */
static int
runner_prepare(posix_spawnattr_t *attr, posix_spawn_file_actions_t *fa,
    int out, const char *tty_path, const char *cwd)
{
	sigset_t none, all;
	short flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
	int rc;

	sigemptyset(&none);
	/*
	 * Every signal back to default: the daemon ignores SIGPIPE and
	 * handles SIGTERM/SIGINT/SIGHUP; its children must not inherit that.
	 * All bits, not sigfillset: glibc's sigfillset leaves out its two
	 * internal signals, and its posix_spawn then sets them to SIG_IGN in
	 * the child, which survives exec (seen by non-glibc programs).
	 */
	memset(&all, 0xff, sizeof all);
	sigdelset(&all, SIGKILL);
	sigdelset(&all, SIGSTOP);
	/* A new session is a new process group too (pgid = pid); a session
	 * leader may not setpgid, so the two flags exclude each other. */
	flags |= tty_path != NULL ? POSIX_SPAWN_SETSID : POSIX_SPAWN_SETPGROUP;
	if ((rc = posix_spawnattr_setflags(attr, flags)) != 0 ||
	    (rc = posix_spawnattr_setpgroup(attr, 0)) != 0 ||
	    (rc = posix_spawnattr_setsigmask(attr, &none)) != 0 ||
	    (rc = posix_spawnattr_setsigdefault(attr, &all)) != 0)
		return rc;
	if ((rc = posix_spawn_file_actions_addopen(fa, 0, "/dev/null",
	    O_RDONLY, 0)) != 0)
		return rc;
	if (tty_path != NULL)
		rc = posix_spawn_file_actions_addopen(fa, 1, tty_path, O_RDWR,
		    0);
	else
		rc = posix_spawn_file_actions_adddup2(fa, out, 1);
	if (rc != 0 ||
	    (rc = posix_spawn_file_actions_adddup2(fa, 1, 2)) != 0 ||
	    (rc = posix_spawn_file_actions_addchdir_np(fa, cwd)) != 0)
		return rc;
	return 0;
}

/* envp plus TERM=RUNNER_TTY_TERM when it has no TERM: a new array
 * (pointers borrowed from envp) for the caller to free, or NULL when envp
 * already names a terminal. */
static char **
runner_tty_env(char *const *envp)
{
	size_t n = 0;
	char **out;

	for (; envp[n] != NULL; n++)
		if (strncmp(envp[n], "TERM=", 5) == 0)
			return NULL;
	out = xcalloc(n + 2, sizeof(*out));
	memcpy(out, envp, n * sizeof(*out));
	out[n] = (char *)"TERM=" RUNNER_TTY_TERM;
	return out;
}

int
runner_spawn(struct ev_loop *loop, const struct spawn_spec *spec,
    struct child *c, struct gerr *err)
{
	const char *shell = spec->shell != NULL ? spec->shell : _PATH_BSHELL;
	char *argv[] = { (char *)"sh", (char *)"-c", (char *)spec->command,
	    NULL };
	char *const *envp = spec->envp != NULL ? spec->envp : environ;
	char **tty_env = NULL;
	char tty_path[64];
	posix_spawnattr_t attr;
	posix_spawn_file_actions_t fa;
	int out[2] = { -1, -1 }, slave = -1;
	pid_t pid;
	int rc;

	memset(c, 0, sizeof *c);
	c->fd = -1;
	if ((rc = runner_check_spec(spec, err)) != 0)
		return rc;
	if (!ev_is_default_loop(loop))
		return gerr_set(err, GERR_INTERNAL,
		    "runner: children need the default libev loop");
	if (spec->tty)
		rc = runner_pty(&out[0], &slave, tty_path, sizeof tty_path,
		    spec->tty_cols, err);
	else
		rc = runner_pipe(out, err);
	if (rc != 0)
		return rc;
	if (spec->tty && (tty_env = runner_tty_env(envp)) != NULL)
		envp = tty_env;
	posix_spawnattr_init(&attr);
	posix_spawn_file_actions_init(&fa);
	rc = runner_prepare(&attr, &fa, out[1], spec->tty ? tty_path : NULL,
	    spec->cwd);
	clock_gettime(CLOCK_MONOTONIC, &c->result.start_mono);
	clock_gettime(CLOCK_REALTIME, &c->result.start_wall);
	if (rc == 0)
		rc = posix_spawn(&pid, shell, &fa, &attr, argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	free(tty_env);
	if (out[1] >= 0)
		close(out[1]);
	if (slave >= 0)
		close(slave);
	if (rc != 0) {
		close(out[0]);
		return gerr_set(err, rc == ENOENT ? GERR_NOT_FOUND : GERR_IO,
		    "spawn %s -c in %s: %s", shell, spec->cwd, strerror(rc));
	}
	/* Both sides set the group so no signal can race the child's own
	 * setpgid; EACCES means it already exec'd, which is just as good.
	 * (A pty child is a session leader: setsid made its group.) */
	if (!spec->tty && setpgid(pid, pid) == -1 && errno != EACCES &&
	    errno != ESRCH)
		log_warn("runner: setpgid(%d): %s", (int)pid, strerror(errno));

	c->loop = loop;
	c->data = spec->data;
	c->pid = pid;
	c->fd = out[0];
	c->tty = spec->tty;
	c->grace_ms = spec->grace_ms > 0 ? spec->grace_ms :
	    RUNNER_DEFAULT_GRACE_MS;
	c->on_output = spec->on_output;
	c->on_exit = spec->on_exit;
	ring_init(&c->ring, spec->output_cap > 0 ? spec->output_cap :
	    RUNNER_DEFAULT_OUTPUT_CAP);
	c->running = true;
	/* libev requires the child watcher to start before the loop runs
	 * again, or the exit could be reaped with nobody listening. */
	ev_child_init(&c->exit_w, runner_leader_cb, pid, 0);
	c->exit_w.data = c;
	ev_child_start(loop, &c->exit_w);
	ev_child_init(&c->reap_w, runner_reap_cb, 0, 0);
	c->reap_w.data = c;
	ev_io_init(&c->io, runner_io_cb, c->fd, EV_READ);
	c->io.data = c;
	ev_io_start(loop, &c->io);
	ev_init(&c->timer, runner_timer_cb);
	c->timer.data = c;
	if (spec->timeout_ms > 0)
		runner_timer_set(c, RUNNER_TIMER_TIMEOUT, spec->timeout_ms);
	log_debug("runner_spawn: pid %d in %s%s", (int)pid, spec->cwd,
	    spec->tty ? " (pty)" : "");
	return 0;
}

void
runner_cancel(struct child *c)
{
	if (!c->running || c->leader_done || c->timer_stage ==
	    RUNNER_TIMER_GRACE)
		return;
	c->result.cancelled = true;
	runner_signal_group(c, SIGTERM);
	runner_timer_set(c, RUNNER_TIMER_GRACE, c->grace_ms);
}

bool
runner_running(const struct child *c)
{
	return c->running;
}

void
runner_child_free(struct child *c)
{
	if (c == NULL)
		return;
	if (c->loop != NULL) {
		/* Nobody will wait for them any more: make sure they end. */
		if (c->running && (!c->leader_done || !c->group_gone))
			runner_signal_group(c, SIGKILL);
		ev_child_stop(c->loop, &c->exit_w);
		ev_child_stop(c->loop, &c->reap_w);
		ev_timer_stop(c->loop, &c->timer);
		runner_close_output(c);
		c->running = false;
		c->loop = NULL;
	}
	ring_release(&c->ring);
}
