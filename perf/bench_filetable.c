/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * bench_filetable.c - how fast a root becomes ready, and what the file table
 * costs in memory, next to inotifywait -r on the same tree.
 *
 * Usage: bench_filetable [FILES [DIRS [REPS]]]   (default 100000 10000 3)
 * Builds FILES files spread over DIRS directories (two levels) in a fresh
 * temp dir under /tmp, then per rep:
 *   ready_ms   crawl + lstat + table fill + one inotify watch per directory
 *              (what the daemon does before it can answer about a root)
 *   hashed_ms  every file hashed by the pool until the table knows all
 *              hashes (page cache warm after the first rep)
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

#include "crawl.h"
#include "filetable.h"
#include "gerr.h"
#include "hashpool.h"
#include "log.h"
#include "notifier.h"
#include "strbuf.h"
#include "xmalloc.h"

#define BENCH_MAX_REPS 32

extern char **environ;

struct bench {
	const char *root;
	struct filetable *table;
	struct strbuf abspath;
	size_t watch_failures;
	int notify_pipe[2];
	struct hashpool *pool;
	size_t hashed;
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
bench_entry(void *arg, const char *relpath, enum filetable_kind kind,
    const struct stat *st)
{
	struct bench *b = arg;
	struct filetable_stat fst;
	int32_t wd;

	filetable_stat_from(&fst, st);
	filetable_upsert(b->table, relpath, kind, &fst);
	if (kind != FILETABLE_DIR)
		return;
	strbuf_reset(&b->abspath);
	strbuf_addstr(&b->abspath, b->root);
	if (relpath[0] != '\0') {
		strbuf_addch(&b->abspath, '/');
		strbuf_addstr(&b->abspath, relpath);
	}
	if (notifier_add_watch(b->abspath.buf, &wd, NULL) == 0)
		filetable_set_wd(b->table, relpath, wd);
	else
		b->watch_failures++;
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
	size_t rootlen = strlen(b->root) + 1;

	if (r->error != 0)
		fatal("hash %s: %s", r->path, strerror(r->error));
	if (filetable_set_hash(b->table, r->path + rootlen, &r->st,
	    r->hash) == FILETABLE_HASH_STALE)
		fatal("hash %s: stale", r->path);
	b->hashed++;
}

struct bench_submit {
	struct bench *b;
	const struct filetable_entry **todo;
	size_t n;
};

static void
bench_collect(void *arg, const struct filetable_entry *e)
{
	struct bench_submit *s = arg;

	if (e->kind == FILETABLE_FILE)
		s->todo[s->n++] = e;
}

/* Hash every file; submit as room allows, drain on each wake-up. */
static void
bench_hash_all(struct bench *b, size_t files)
{
	struct bench_submit s = { .b = b };
	size_t next = 0;
	char buf[64];

	s.todo = xreallocarray(NULL, files, sizeof(*s.todo));
	filetable_foreach(b->table, bench_collect, &s);
	b->hashed = 0;
	while (b->hashed < s.n) {
		struct pollfd p = { .fd = b->notify_pipe[0], .events = POLLIN };

		while (next < s.n) {
			char *path = xasprintf("%s/%s", b->root,
			    s.todo[next]->path);
			int rc = hashpool_submit(b->pool, path, 1, 0, NULL);

			free(path);
			if (rc != 0)
				break;
			next++;
		}
		if (poll(&p, 1, -1) == 1 &&
		    read(b->notify_pipe[0], buf, sizeof(buf)) < 0)
			fatal("read notify pipe: %s", strerror(errno));
		hashpool_drain(b->pool, bench_result, b);
	}
	free(s.todo);
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
	struct bench b = { .root = root };
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
	strbuf_init(&b.abspath);
	if (pipe2(b.notify_pipe, O_CLOEXEC | O_NONBLOCK) != 0)
		fatal("pipe: %s", strerror(errno));

	for (int r = 0; r < reps; r++) {
		struct crawl_config cfg = { .on_entry = bench_entry, .arg = &b };
		struct crawl *c;
		double t0;

		gerr_clear(&err);
		if (notifier_init(&err) != 0)
			fatal("notifier_init: %s", err.msg);
		b.table = filetable_new(NULL);
		b.watch_failures = 0;
		t0 = bench_now_ms();
		if (crawl_new(root, "", &cfg, &c, &err) != 0)
			fatal("crawl: %s", err.msg);
		while (crawl_step(c, 4096) == CRAWL_MORE)
			;
		ready[r] = bench_now_ms() - t0;
		crawl_free(c);
		if (b.watch_failures != 0)
			fprintf(stderr, "bench_filetable: %zu watches refused\n",
			    b.watch_failures);

		b.pool = hashpool_new(NULL, bench_notify, &b, &err);
		if (b.pool == NULL)
			fatal("hashpool: %s", err.msg);
		t0 = bench_now_ms();
		bench_hash_all(&b, (size_t)files);
		hashed[r] = bench_now_ms() - t0;
		hashpool_free(b.pool);

		filetable_counts(b.table, &n);
		if (n.files != (size_t)files || n.hash_pending != 0)
			fatal("table has %zu files, %zu unhashed; want %ld, 0",
			    n.files, n.hash_pending, files);
		if (r < reps - 1)
			filetable_free(b.table);
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
	filetable_free(b.table);

	for (int r = 0; r < reps; r++) {
		double t = bench_inotifywait(root);

		if (t >= 0)
			peer[peer_reps++] = t;
	}
	if (peer_reps > 0)
		bench_print("watches_established_ms", "ms", peer, peer_reps,
		    "inotifywait -r");
	else
		fprintf(stderr, "bench_filetable: inotifywait not run\n");

	close(b.notify_pipe[0]);
	close(b.notify_pipe[1]);
	strbuf_release(&b.abspath);
	bench_rm_tree(root);
	return 0;
}
