/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * floor_restart.c - the floor of a warm restart on a big tree: what any
 * watcher that must be exact after a restart has to do at the least, so
 * that perf/bench_million.py can put ggend's restart to ready next to it
 * in the same run (peer "floor" of restart_ready_<N>k and
 * restart_cpu_<N>k).
 *
 * Usage: floor_restart [--threads N] [--chunk DIRS] [--reps N | --stdin]
 *                      DIR
 *
 * First, untimed: DIR's tree is read once (readdir, breadth first) and
 * every directory's path and children's names are kept in memory, as a
 * restart from a snapshot has them. Then each pass, timed: N threads take
 * the directories in chunks of DIRS (an atomic counter), and per
 * directory add one inotify watch (ggend's mask, by absolute path, on one
 * inotify fd shared by all threads, as ggend's pool does), open it
 * (O_PATH), fstat it, and fstatat every child (AT_SYMLINK_NOFOLLOW). That
 * is the whole pass: no snapshot decode, no table, no comparison of stat
 * fields, no ignore rules, no event loop. Every file is stat'ed because a
 * file rewritten in place in an unchanged directory changes nothing but
 * its own inode: exactness needs that stat.
 *
 * Each pass prints one JSON line on stdout:
 *   {"wall_s":1.23,"user_s":0.4,"sys_s":2.1,"dirs":100101,
 *    "entries":1100100,"threads":4,"watch_failed":0,"stat_failed":0}
 * (user_s and sys_s: getrusage of the whole process over the pass). The
 * inotify fd, and so every watch, is closed after the pass, untimed, before
 * the line is printed: a peer started next gets the watches back. The
 * first line, once the tree is read, is {"ready":true,...}. --reps N runs
 * N passes (default 1); --stdin runs one pass per line read from stdin
 * until EOF (perf/bench_million.py alternates passes with ggend restarts
 * this way, the tree read once).
 *
 * Threads: main reads the tree and starts the pass's threads; each pass
 * thread reads the shared tree (not changed during a pass) and updates
 * only its own counters and the atomic chunk counter.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "xmalloc.h"

/* daemon/notifier.h NOTIFIER_MASK: the mask ggend watches directories
 * with (the watch's cost does not depend on it, but keep it the same). */
#define FLOOR_RESTART_MASK (IN_CREATE | IN_CLOSE_WRITE | IN_MOVED_FROM | \
	IN_MOVED_TO | IN_DELETE | IN_DELETE_SELF | IN_MOVE_SELF | IN_ATTRIB | \
	IN_ONLYDIR | IN_DONT_FOLLOW | IN_EXCL_UNLINK)
#define FLOOR_RESTART_MAX_THREADS 16
#define FLOOR_RESTART_CHUNK 16

struct floor_restart_dir {
	char *path;		/* absolute */
	char *names;		/* n NUL-terminated names, back to back */
	size_t n;
};

struct floor_restart {
	struct floor_restart_dir *dirs;
	size_t ndirs, capdirs, entries;
	size_t chunk;
	int in;			/* this pass's inotify fd */
	atomic_size_t next;	/* the next directory to take */
};

struct floor_restart_worker {
	pthread_t thread;
	struct floor_restart *r;	/* borrowed */
	size_t watch_failed, stat_failed;
};

static void
floor_restart_die(const char *what, const char *path, int err)
{
	fprintf(stderr, "floor_restart: %s%s%s: %s\n", what, path ? " " : "",
	    path ? path : "", strerror(err));
	exit(1);
}

static double
floor_restart_now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double
floor_restart_tv_s(struct timeval tv)
{
	return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

static void
floor_restart_add_dir(struct floor_restart *r, char *path)
{
	if (r->ndirs == r->capdirs) {
		r->capdirs = r->capdirs ? 2 * r->capdirs : 1024;
		r->dirs = xreallocarray(r->dirs, r->capdirs, sizeof *r->dirs);
	}
	r->dirs[r->ndirs++] = (struct floor_restart_dir){ .path = path };
}

/* Lists dirs[i]; its subdirectories are appended (breadth first). A
 * directory that cannot be read keeps no names (it is still watched and
 * stat'ed in the pass). */
static void
floor_restart_read_dir(struct floor_restart *r, size_t i)
{
	DIR *d = opendir(r->dirs[i].path);
	size_t len = 0, cap = 0, n = 0;
	char *names = NULL;
	struct dirent *e;

	if (d == NULL) {
		fprintf(stderr, "floor_restart: opendir %s: %s\n",
		    r->dirs[i].path, strerror(errno));
		return;
	}
	while ((e = readdir(d)) != NULL) {
		size_t nl = strlen(e->d_name) + 1;
		bool is_dir = e->d_type == DT_DIR;
		struct stat st;

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (e->d_type == DT_UNKNOWN)
			is_dir = fstatat(dirfd(d), e->d_name, &st,
			    AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
		if (len + nl > cap) {
			cap = cap ? 2 * cap : 256;
			while (cap < len + nl)
				cap *= 2;
			names = xrealloc(names, cap);
		}
		memcpy(names + len, e->d_name, nl);
		len += nl;
		n++;
		if (is_dir)
			floor_restart_add_dir(r, xasprintf("%s/%s",
			    r->dirs[i].path, e->d_name));
	}
	closedir(d);
	/* dirs may have moved in add_dir: index again. */
	r->dirs[i].names = names;
	r->dirs[i].n = n;
	r->entries += n;
}

static void
floor_restart_one(struct floor_restart *r, struct floor_restart_worker *w,
    const struct floor_restart_dir *d)
{
	struct stat st;
	const char *name = d->names;
	int fd;

	if (inotify_add_watch(r->in, d->path, FLOOR_RESTART_MASK) < 0)
		w->watch_failed++;
	fd = open(d->path, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		w->stat_failed += 1 + d->n;
		if (fd >= 0)
			close(fd);
		return;
	}
	for (size_t j = 0; j < d->n; j++) {
		if (fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			w->stat_failed++;
		name += strlen(name) + 1;
	}
	close(fd);
}

static void *
floor_restart_worker_main(void *arg)
{
	struct floor_restart_worker *w = arg;
	struct floor_restart *r = w->r;

	for (;;) {
		size_t i = atomic_fetch_add(&r->next, r->chunk);
		size_t end = i + r->chunk < r->ndirs ? i + r->chunk : r->ndirs;

		if (i >= r->ndirs)
			return NULL;
		for (; i < end; i++)
			floor_restart_one(r, w, &r->dirs[i]);
	}
}

static void
floor_restart_pass(struct floor_restart *r, int threads)
{
	struct floor_restart_worker w[FLOOR_RESTART_MAX_THREADS];
	struct rusage ru0, ru1;
	size_t watch_failed = 0, stat_failed = 0;
	double t0, wall;
	int rc;

	r->in = inotify_init1(IN_CLOEXEC);
	if (r->in < 0)
		floor_restart_die("inotify_init1", NULL, errno);
	atomic_store(&r->next, 0);
	getrusage(RUSAGE_SELF, &ru0);
	t0 = floor_restart_now_s();
	for (int i = 0; i < threads; i++) {
		w[i] = (struct floor_restart_worker){ .r = r };
		rc = pthread_create(&w[i].thread, NULL,
		    floor_restart_worker_main, &w[i]);
		if (rc != 0)
			floor_restart_die("pthread_create", NULL, rc);
	}
	for (int i = 0; i < threads; i++) {
		pthread_join(w[i].thread, NULL);
		watch_failed += w[i].watch_failed;
		stat_failed += w[i].stat_failed;
	}
	wall = floor_restart_now_s() - t0;
	getrusage(RUSAGE_SELF, &ru1);
	close(r->in);
	printf("{\"wall_s\":%.4f,\"user_s\":%.4f,\"sys_s\":%.4f,"
	    "\"dirs\":%zu,\"entries\":%zu,\"threads\":%d,"
	    "\"watch_failed\":%zu,\"stat_failed\":%zu}\n", wall,
	    floor_restart_tv_s(ru1.ru_utime) - floor_restart_tv_s(ru0.ru_utime),
	    floor_restart_tv_s(ru1.ru_stime) - floor_restart_tv_s(ru0.ru_stime),
	    r->ndirs, r->entries, threads, watch_failed, stat_failed);
	fflush(stdout);
}

/* ggend's watch.walk_threads at its default 0 (daemon/watch.c
 * watch_walk_threads): two per online core, 4 to 16. */
static int
floor_restart_default_threads(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	n = n > 0 ? 2 * n : 4;
	return (int)(n < 4 ? 4 : n > 16 ? 16 : n);
}

static bool
floor_restart_arg(const char *opt, const char *text, long lo, long hi,
    long *out)
{
	char *end;

	errno = 0;
	*out = strtol(text, &end, 10);
	if (errno == 0 && *end == '\0' && end != text && *out >= lo &&
	    *out <= hi)
		return true;
	fprintf(stderr, "floor_restart: %s: expected %ld to %ld, found "
	    "\"%s\"\n", opt, lo, hi, text);
	return false;
}

static int
floor_restart_usage(void)
{
	fprintf(stderr, "usage: floor_restart [--threads N] [--chunk DIRS] "
	    "[--reps N | --stdin] DIR\n");
	return 2;
}

int
main(int argc, char **argv)
{
	struct floor_restart r = { .chunk = FLOOR_RESTART_CHUNK };
	long threads = floor_restart_default_threads(), reps = 1, chunk;
	bool from_stdin = false;
	char root[PATH_MAX], line[64];
	double t0;
	int i;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc) {
			if (!floor_restart_arg("--threads", argv[++i], 1,
			    FLOOR_RESTART_MAX_THREADS, &threads))
				return 2;
		} else if (strcmp(argv[i], "--chunk") == 0 && i + 1 < argc) {
			if (!floor_restart_arg("--chunk", argv[++i], 1,
			    1 << 20, &chunk))
				return 2;
			r.chunk = (size_t)chunk;
		} else if (strcmp(argv[i], "--reps") == 0 && i + 1 < argc) {
			if (!floor_restart_arg("--reps", argv[++i], 1, 1000,
			    &reps))
				return 2;
		} else if (strcmp(argv[i], "--stdin") == 0) {
			from_stdin = true;
		} else {
			return floor_restart_usage();
		}
	}
	if (i + 1 != argc)
		return floor_restart_usage();
	if (realpath(argv[i], root) == NULL)
		floor_restart_die("realpath", argv[i], errno);

	t0 = floor_restart_now_s();
	floor_restart_add_dir(&r, xstrdup(root));
	for (size_t d = 0; d < r.ndirs; d++)
		floor_restart_read_dir(&r, d);
	printf("{\"ready\":true,\"dirs\":%zu,\"entries\":%zu,"
	    "\"read_s\":%.3f,\"threads\":%ld,\"chunk\":%zu}\n", r.ndirs,
	    r.entries, floor_restart_now_s() - t0, threads, r.chunk);
	fflush(stdout);

	if (!from_stdin) {
		for (long k = 0; k < reps; k++)
			floor_restart_pass(&r, (int)threads);
	} else {
		while (fgets(line, sizeof line, stdin) != NULL)
			floor_restart_pass(&r, (int)threads);
	}
	for (size_t d = 0; d < r.ndirs; d++) {
		free(r.dirs[d].path);
		free(r.dirs[d].names);
	}
	free(r.dirs);
	return 0;
}
