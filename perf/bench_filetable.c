/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * bench_filetable.c - how fast a root becomes ready, and what the file table
 * costs in memory, next to inotifywait -r on the same tree.
 *
 * Usage: bench_filetable [FILES [DIRS [REPS]]]   (default 100000 10000 3)
 * Builds FILES files spread over DIRS directories (two levels) in a fresh
 * temp dir under /tmp, then per rep:
 *   ready_ms   rootsync: crawl + lstat + table fill + one inotify watch
 *              per directory (before it can answer about a root)
 *   hashed_ms  from the same start until the pool has hashed every file
 *              and the table knows all hashes (page cache warm after the
 *              first rep; hashing overlaps the crawl, as in the daemon)
 * and once: bytes per file of the table without names, and of the names;
 * inotifywait -r until it prints "Watches established." (the peer).
 * Prints one JSON object per figure on stdout (see perf/meson.build).
 * Owns its temp tree and removes it at exit. Single-threaded apart from
 * the hash pool's workers.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "filetable.h"
#include "gerr.h"
#include "hashpool.h"
#include "log.h"
#include "notifier.h"
#include "rootsync.h"
#include "xmalloc.h"

#define BENCH_MAX_REPS 32

extern char **environ;

struct bench {
	struct rootsync *w;
	struct hashpool *pool;
	int notify_pipe[2];
};

static double
bench_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int
bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void
bench_print(const char *figure, const char *unit, double *v, int reps,
    const char *peer)
{
	qsort(v, (size_t)reps, sizeof(*v), bench_cmp_double);
	printf("{\"bench\": \"filetable\", \"figure\": \"%s\", \"unit\": "
	    "\"%s\", \"min\": %.3f, \"median\": %.3f, \"max\": %.3f, "
	    "\"reps\": %d%s%s%s}\n", figure, unit, v[0], v[reps / 2],
	    v[reps - 1], reps, peer ? ", \"peer\": \"" : "", peer ? peer : "",
	    peer ? "\"" : "");
	fflush(stdout);
}

static void
bench_make_tree(const char *root, long files, long dirs)
{
	long top = 1, per_dir;
	char path[4096];

	while (top * top < dirs)
		top++;
	per_dir = (files + dirs - 1) / dirs;
	for (long d = 0, f = 0; d < dirs; d++) {
		snprintf(path, sizeof(path), "%s/t%ld", root, d / top);
		if (d % top == 0 && mkdir(path, 0755) != 0)
			fatal("mkdir %s: %s", path, strerror(errno));
		snprintf(path, sizeof(path), "%s/t%ld/d%ld", root, d / top, d);
		if (mkdir(path, 0755) != 0)
			fatal("mkdir %s: %s", path, strerror(errno));
		for (long i = 0; i < per_dir && f < files; i++, f++) {
			char body[64];
			int fd, n;

			snprintf(path, sizeof(path), "%s/t%ld/d%ld/f%ld.c",
			    root, d / top, d, f);
			fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
			if (fd < 0)
				fatal("create %s: %s", path, strerror(errno));
			n = snprintf(body, sizeof(body), "int f%ld;\n", f);
			if (write(fd, body, (size_t)n) != n)
				fatal("write %s: %s", path, strerror(errno));
			close(fd);
		}
	}
}

static void
bench_notify(void *arg)
{
	struct bench *b = arg;
	ssize_t n = write(b->notify_pipe[1], "x", 1);

	(void)n;	/* a full pipe wakes the reader all the same */
}

static void
bench_result(void *arg, const struct hashpool_result *r)
{
	struct bench *b = arg;

	if (r->error != 0)
		fatal("hash %s: %s", r->path, strerror(r->error));
	rootsync_hash_result(b->w, r);
}

/* Feed pool results to the root until every file has its hash. */
static void
bench_wait_hashes(struct bench *b)
{
	struct filetable_counts n;
	char buf[64];

	for (;;) {
		struct pollfd p = { .fd = b->notify_pipe[0], .events = POLLIN };

		hashpool_drain(b->pool, bench_result, b);
		/* Not rootsync_status: it walks the table. */
		filetable_counts(rootsync_table(b->w), &n);
		if (n.hash_pending == 0)
			return;
		if (poll(&p, 1, -1) == 1 &&
		    read(b->notify_pipe[0], buf, sizeof(buf)) < 0)
			fatal("read notify pipe: %s", strerror(errno));
	}
}

/* Spawn inotifywait -r on root; ms until "Watches established." */
static double
bench_inotifywait(const char *root)
{
	posix_spawn_file_actions_t fa;
	char *argv[] = { "inotifywait", "-r", "-m", "-e",
		"create,close_write,moved_from,moved_to,delete,delete_self,"
		"move_self,attrib", (char *)root, NULL };
	char buf[4096];
	size_t len = 0;
	int pfd[2], status;
	double t0, t = -1;
	pid_t pid;

	if (pipe2(pfd, O_CLOEXEC) != 0)
		fatal("pipe: %s", strerror(errno));
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, pfd[1], 2);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	t0 = bench_now_ms();
	if (posix_spawnp(&pid, "inotifywait", &fa, NULL, argv, environ) != 0) {
		posix_spawn_file_actions_destroy(&fa);
		close(pfd[0]);
		close(pfd[1]);
		return -1;
	}
	posix_spawn_file_actions_destroy(&fa);
	close(pfd[1]);
	while (len < sizeof(buf) - 1) {
		ssize_t n = read(pfd[0], buf + len, sizeof(buf) - 1 - len);

		if (n <= 0)
			break;
		len += (size_t)n;
		buf[len] = '\0';
		if (strstr(buf, "Watches established") != NULL) {
			t = bench_now_ms() - t0;
			break;
		}
	}
	kill(pid, SIGTERM);
	waitpid(pid, &status, 0);
	close(pfd[0]);
	return t;
}

static void
bench_rm_tree(const char *root)
{
	char *argv[] = { "rm", "-rf", (char *)root, NULL };
	int status;
	pid_t pid;

	if (posix_spawnp(&pid, "rm", NULL, NULL, argv, environ) == 0)
		waitpid(pid, &status, 0);
}

int
main(int argc, char **argv)
{
	long files = argc > 1 ? atol(argv[1]) : 100000;
	long dirs = argc > 2 ? atol(argv[2]) : 10000;
	int reps = argc > 3 ? atoi(argv[3]) : 3;
	double ready[BENCH_MAX_REPS], hashed[BENCH_MAX_REPS];
	double peer[BENCH_MAX_REPS], v[1];
	char root[] = "/tmp/ggen-bench-filetable-XXXXXX";
	struct filetable_counts n;
	struct bench b = { 0 };
	struct gerr err;
	int peer_reps = 0;

	if (files < 1 || dirs < 1 || files < dirs || reps < 1 ||
	    reps > BENCH_MAX_REPS) {
		fprintf(stderr, "usage: bench_filetable [FILES [DIRS [REPS]]] "
		    "(FILES >= DIRS >= 1, 1 <= REPS <= %d)\n", BENCH_MAX_REPS);
		return 2;
	}
	if (mkdtemp(root) == NULL)
		fatal("mkdtemp: %s", strerror(errno));
	bench_make_tree(root, files, dirs);
	if (pipe2(b.notify_pipe, O_CLOEXEC | O_NONBLOCK) != 0)
		fatal("pipe: %s", strerror(errno));

	for (int r = 0; r < reps; r++) {
		struct rootsync_config cfg = { .generation = 1 };
		struct rootsync_status st;
		double t0;

		gerr_clear(&err);
		if (notifier_init(&err) != 0)
			fatal("notifier_init: %s", err.msg);
		if (hashpool_new(NULL, bench_notify, &b, &b.pool, &err) != 0)
			fatal("hashpool: %s", err.msg);
		cfg.pool = b.pool;
		/* Ready: crawled, stat'ed, in the table, every dir watched;
		 * hashing starts meanwhile, as in the daemon. */
		t0 = bench_now_ms();
		if (rootsync_new(root, &cfg, &b.w, &err) != 0)
			fatal("rootsync: %s", err.msg);
		while (rootsync_step(b.w, 4096))
			;
		ready[r] = bench_now_ms() - t0;
		bench_wait_hashes(&b);
		hashed[r] = bench_now_ms() - t0;

		rootsync_status(b.w, &st);
		if (st.files != (size_t)files || st.polled_dirs != 0)
			fatal("root has %zu files, %zu polled dirs; want %ld, 0",
			    st.files, st.polled_dirs, files);
		filetable_counts(rootsync_table(b.w), &n);
		rootsync_free(b.w);
		hashpool_free(b.pool);
		notifier_cleanup();
	}
	bench_print("ready_ms", "ms", ready, reps, NULL);
	bench_print("hashed_ms", "ms", hashed, reps, NULL);
	v[0] = (double)n.bytes_table / (double)n.files;
	bench_print("table_bytes_per_file", "bytes", v, 1, NULL);
	v[0] = (double)n.bytes_table / (double)(n.files + n.dirs);
	bench_print("table_bytes_per_entry", "bytes", v, 1, NULL);
	v[0] = (double)n.bytes_names / (double)(n.files + n.dirs);
	bench_print("name_bytes_per_entry", "bytes", v, 1, NULL);

	for (int r = 0; r < reps; r++) {
		double t = bench_inotifywait(root);

		if (t >= 0)
			peer[peer_reps++] = t;
	}
	if (peer_reps > 0)
		/* Same figure name as ggen's: the peer's "ready" is its
		 * "Watches established." line (perf/bench.h pairs by name). */
		bench_print("ready_ms", "ms", peer, peer_reps,
		    "inotifywait_r");
	else
		fprintf(stderr, "bench_filetable: inotifywait not run\n");

	close(b.notify_pipe[0]);
	close(b.notify_pipe[1]);
	bench_rm_tree(root);
	return 0;
}
