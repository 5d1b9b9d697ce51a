/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * crawl.c - sliced, non-recursive walk of one directory tree.
 *
 * Owns: the root directory fd, the open DIR being read, the explicit stack
 * of directories still to read (relative paths), a scratch path buffer.
 * Called by: the daemon's watch code on the loop thread (initial crawl of a
 * root, a directory created or moved in, a rescan after IN_Q_OVERFLOW),
 * common/projtree.c (the synchronous walk of validate, render, cache keys
 * and the render step when no file table is at hand) and the benchmark. It holds no table: what it finds goes to callbacks.
 * Invariants: C stack depth is constant whatever the tree depth (the stack
 * is on the heap); a directory is reported before its entries are read;
 * nothing ignored is reported or entered; symlinks are reported, never
 * followed (O_NOFOLLOW, AT_SYMLINK_NOFOLLOW); one crawl_step handles at
 * most max_entries entries, except that a batch (cfg.threads > 1) is done
 * whole in one call. A directory whose names the known callback gives is
 * not read: those names are stat'ed (and asked about) instead; with
 * threads, the names of a batch of such directories are stat'ed on the pool
 * (fstatat relative to each directory's fd: no path built, no callback off
 * the caller's thread) after every directory of the batch was reported
 * (watched), and reported in order before crawl_step returns; with
 * cfg.watch the pool also watches and fstats the directories, and the
 * caller's thread reports one batch while the pool works on the next.
 * Never: chdir, follow a symlink, or stop on a directory that vanished or
 * is unreadable (reported through on_error, the crawl goes on).
 */
#include "crawl.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "strbuf.h"
#include "xmalloc.h"

/* statfs f_type values; kept here so no kernel header is needed. */
#define CRAWL_MAGIC_NFS 0x6969u
#define CRAWL_MAGIC_SMB 0x517Bu
#define CRAWL_MAGIC_CIFS 0xFF534D42u
#define CRAWL_MAGIC_SMB2 0xFE534D42u
#define CRAWL_MAGIC_FUSE 0x65735546u
#define CRAWL_MAGIC_TMPFS 0x01021994u

/* Pseudo filesystems (linux/magic.h values). */
static const uint32_t crawl_pseudo_magic[] = {
	0x9fa0u,	/* proc */
	0x62656572u,	/* sysfs */
	0x1cd1u,	/* devpts */
	0x64626720u,	/* debugfs */
	0x74726163u,	/* tracefs */
	0x73636673u,	/* securityfs */
	0x27e0ebu,	/* cgroup */
	0x63677270u,	/* cgroup2 */
	0x6165676cu,	/* pstore */
	0xcafe4a11u,	/* bpf */
	0x62656570u,	/* configfs */
	0x65735543u,	/* fusectl */
	0x19800202u,	/* mqueue */
	0x42494e4du,	/* binfmt_misc */
	0xde5e81e4u,	/* efivarfs */
	0xf97cff8cu,	/* selinuxfs */
	0x6e736673u,	/* nsfs */
	0x0187u,	/* autofs */
	0x958458f6u,	/* hugetlbfs */
	0x534f434bu,	/* sockfs */
	0x50495045u,	/* pipefs */
	0x43415d53u,	/* smackfs */
};

struct crawl_dir {
	char *relpath;
	uint32_t hint;
};

/* A directory of a batch: its names are jobs first .. first + n - 1. */
struct crawl_bdir {
	char *relpath;
	int fd;
	uint32_t hint;
	size_t first, n;
};

/* One name of a batch to stat, or (dir non-NULL) a directory to open,
 * watch (cfg.watch) and fstat, in that order. */
struct crawl_job {
	int fd;			/* a dir job's: its O_PATH fd, or -1 */
	int err;		/* 0, or fstatat's (open's, fstat's) errno */
	size_t name;		/* offset in crawl.known */
	const char *dir;	/* a dir job's relpath */
	int32_t wd;		/* a dir job's watch, or -1 */
	int werr;		/* and the watch's errno */
	struct stat st;
};

/* A directory watched and stat'ed on the pool, to report (cfg.watch). */
struct crawl_ready {
	char *relpath;
	uint32_t hint;
	int fd, err;
	int32_t wd;
	int werr;
	struct stat st;
};

/* Names a pool thread takes at a time. */
#define CRAWL_CHUNK 16

struct crawl_pool {
	pthread_t th[CRAWL_MAX_THREADS];
	unsigned n;		/* threads running */
	pthread_mutex_t mu;
	pthread_cond_t work, done;
	uint64_t gen;		/* batches posted */
	unsigned busy;		/* threads not done with the batch */
	bool stop;
	atomic_size_t next;	/* next name job to take */
	atomic_size_t dnext;	/* next dir job to take (from nnames) */
	size_t total, nnames;
	size_t dstep;		/* dir jobs taken with each chunk of names */
	struct crawl_job *jobs;
	const char *names;
	const struct crawl *c;	/* dir jobs: root_fd and cfg.watch */
};

/* A batch's names and directories, and its jobs (the pipeline keeps the
 * one being reported beside the one on the pool: crawl_swap_set). */
struct crawl_set {
	struct strbuf known;
	uint32_t *known_hints;
	size_t nknown, capknown;
	struct crawl_bdir *bdirs;
	size_t nbdirs, capbdirs;
	struct crawl_job *jobs;
	size_t capjobs;
};

struct crawl {
	int root_fd;
	dev_t root_dev;
	dev_t real_dev;		/* last mounted-in device seen not pseudo */
	char *root;
	struct crawl_config cfg;
	struct crawl_dir *stack;
	size_t nstack, capstack;
	/* The directory being handled: read through cur, or (cur NULL,
	 * cur_fd open) its known names stat'ed one by one. */
	DIR *cur;
	int cur_fd;
	char *cur_path;
	uint32_t cur_hint;	/* crawl_hint */
	uint32_t cur_dir_hint;	/* the current directory's */
	bool cur_complete;	/* every entry not ignored reported so far */
	bool cur_ignored;	/* an entry was ignored */
	struct strbuf known;	/* NUL-terminated names end to end */
	uint32_t *known_hints;
	size_t nknown, capknown, known_next, known_off;
	/* Batches (cfg.threads > 1): */
	struct crawl_bdir *bdirs;
	size_t nbdirs, capbdirs;
	struct crawl_job *jobs;
	size_t capjobs;
	struct crawl_pool *pool;	/* started with the first batch */
	/* The pipeline (cfg.watch): directories popped for the next pool
	 * run, those it watched and stat'ed waiting to be reported, and
	 * reported ones to read (their names not known). */
	struct crawl_dir *pend;
	size_t npend, cappend;
	struct crawl_ready *ready;
	size_t nready, readyhead, capready;
	struct crawl_bdir *toread;
	size_t ntoread, captoread;
	struct crawl_set prev;	/* stat'ed, to report while the pool runs */
	bool cur_watched;	/* crawl_dir_watch */
	int32_t cur_wd;
	int cur_werr;
	struct strbuf path;
	struct crawl_progress progress;
};

static void
crawl_push(struct crawl *c, char *relpath, uint32_t hint)
{
	if (c->nstack == c->capstack) {
		c->capstack = c->capstack ? c->capstack * 2 : 16;
		c->stack = xreallocarray(c->stack, c->capstack,
		    sizeof(*c->stack));
	}
	c->stack[c->nstack].relpath = relpath;
	c->stack[c->nstack++].hint = hint;
}

void
crawl_known_add(struct crawl *c, const char *name, uint32_t hint)
{
	if (c->nknown == c->capknown) {
		c->capknown = c->capknown ? c->capknown * 2 : 16;
		c->known_hints = xreallocarray(c->known_hints, c->capknown,
		    sizeof(*c->known_hints));
	}
	strbuf_add(&c->known, name, strlen(name) + 1);
	c->known_hints[c->nknown++] = hint;
}

uint32_t
crawl_hint(const struct crawl *c)
{
	return c->cur_hint;
}

/* Empty the known names (a huge directory's buffers are let go). */
static void
crawl_known_reset(struct crawl *c)
{
	if (c->capknown > CRAWL_BATCH_ENTRIES * 2) {
		strbuf_release(&c->known);
		strbuf_init(&c->known);
		free(c->known_hints);
		c->known_hints = NULL;
		c->capknown = 0;
	}
	strbuf_reset(&c->known);
	c->nknown = c->known_next = c->known_off = 0;
}

/* ---- the stat pool ---- */

static void
crawl_job_dir(const struct crawl *c, struct crawl_job *j)
{
	j->wd = -1;
	j->werr = 0;
	j->fd = openat(c->root_fd, j->dir[0] != '\0' ? j->dir : ".",
	    O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (j->fd < 0) {
		j->err = errno;
		return;
	}
	/* The watch first, then the stat the caller judges by. */
	j->werr = c->cfg.watch(c->cfg.arg, j->dir, &j->wd);
	if (j->werr != 0)
		j->wd = -1;
	if (fstat(j->fd, &j->st) < 0) {
		/* Not seen on an open directory fd (EOVERFLOW, ENOMEM); the
		 * directory is then not reported, and a watch added just
		 * now stays unrecorded: it holds one kernel watch, and its
		 * events are dropped as a forgotten wd's. */
		j->err = errno;
		close(j->fd);
		j->fd = -1;
		return;
	}
	j->err = 0;
}

static void
crawl_job_run(const struct crawl_pool *p, struct crawl_job *j)
{
	if (j->dir != NULL) {
		crawl_job_dir(p->c, j);
		return;
	}
	j->err = fstatat(j->fd, p->names + j->name, &j->st,
	    AT_SYMLINK_NOFOLLOW) == 0 ? 0 : errno;
}

/*
 * Take jobs until none is left: a chunk of names, then dstep directories,
 * and again. The directories' watches are spread over the run this way:
 * inotify_add_watch holds the group's mutex, and threads all adding
 * watches at once spun on it (mutex_spin_on_owner, 1.5% of a 1M-file
 * restart's CPU, when the directories came last).
 */
static void
crawl_pool_take(struct crawl_pool *p)
{
	for (;;) {
		size_t i = atomic_fetch_add(&p->next, CRAWL_CHUNK);
		size_t end = i + CRAWL_CHUNK < p->nnames ? i + CRAWL_CHUNK :
		    p->nnames;
		size_t d = atomic_fetch_add(&p->dnext, p->dstep) + p->nnames;
		size_t dend = d + p->dstep < p->total ? d + p->dstep :
		    p->total;

		if (i >= p->nnames && d >= p->total)
			return;
		for (; i < end; i++)
			crawl_job_run(p, &p->jobs[i]);
		for (; d < dend; d++)
			crawl_job_run(p, &p->jobs[d]);
	}
}

static void *
crawl_pool_main(void *arg)
{
	struct crawl_pool *p = arg;
	uint64_t seen = 0;

	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (!p->stop && p->gen == seen)
			pthread_cond_wait(&p->work, &p->mu);
		if (p->stop)
			break;
		seen = p->gen;
		pthread_mutex_unlock(&p->mu);
		crawl_pool_take(p);
		pthread_mutex_lock(&p->mu);
		if (--p->busy == 0)
			pthread_cond_signal(&p->done);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

/* threads - 1 helpers (the caller is one); fewer if creation fails. */
static struct crawl_pool *
crawl_pool_new(unsigned threads)
{
	struct crawl_pool *p = xcalloc(1, sizeof(*p));
	sigset_t all, old;

	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->work, NULL);
	pthread_cond_init(&p->done, NULL);
	atomic_init(&p->next, 0);
	if (threads > CRAWL_MAX_THREADS)
		threads = CRAWL_MAX_THREADS;
	/* Signals stay with the caller's thread (the daemon's loop). */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (unsigned i = 0; i + 1 < threads; i++) {
		if (pthread_create(&p->th[p->n], NULL, crawl_pool_main, p) != 0)
			break;
		p->n++;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return p;
}

static void
crawl_pool_free(struct crawl_pool *p)
{
	if (p == NULL)
		return;
	pthread_mutex_lock(&p->mu);
	p->stop = true;
	pthread_cond_broadcast(&p->work);
	pthread_mutex_unlock(&p->mu);
	for (unsigned i = 0; i < p->n; i++)
		pthread_join(p->th[i], NULL);
	pthread_cond_destroy(&p->done);
	pthread_cond_destroy(&p->work);
	pthread_mutex_destroy(&p->mu);
	free(p);
}

/* Post jobs[0 .. n) (names first, nnames of them, then directories) to
 * the pool's threads; crawl_pool_finish waits. */
static void
crawl_pool_start(struct crawl_pool *p, struct crawl_job *jobs, size_t n,
    size_t nnames, const char *names, const struct crawl *c)
{
	size_t chunks = (nnames + CRAWL_CHUNK - 1) / CRAWL_CHUNK;

	pthread_mutex_lock(&p->mu);
	p->nnames = nnames;
	/* enough per chunk of names that the directories end with them */
	p->dstep = chunks > 0 ? (n - nnames + chunks - 1) / chunks : 2;
	if (p->dstep == 0)
		p->dstep = 1;
	atomic_store(&p->dnext, 0);
	p->jobs = jobs;
	p->names = names;
	p->c = c;
	p->total = n;
	atomic_store(&p->next, 0);
	p->busy = p->n;
	p->gen++;
	pthread_cond_broadcast(&p->work);
	pthread_mutex_unlock(&p->mu);
}

/* Take the posted jobs left on the caller's thread; back when all are
 * done. */
static void
crawl_pool_finish(struct crawl_pool *p)
{
	crawl_pool_take(p);
	pthread_mutex_lock(&p->mu);
	while (p->busy > 0)
		pthread_cond_wait(&p->done, &p->mu);
	pthread_mutex_unlock(&p->mu);
}

/* Stat jobs[0 .. n) on the pool and the caller's thread; back when all
 * are done. */
static void
crawl_pool_run(struct crawl_pool *p, struct crawl_job *jobs, size_t n,
    const char *names, const struct crawl *c)
{
	crawl_pool_start(p, jobs, n, n, names, c);
	crawl_pool_finish(p);
}

int
crawl_new(const char *root, const char *start, const struct crawl_config *cfg,
    struct crawl **out, struct gerr *err)
{
	struct crawl *c;
	int fd;

	fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return gerr_set(err, GERR_IO, "open %s: %s", root,
		    strerror(errno));
	c = xcalloc(1, sizeof(*c));
	c->root_fd = fd;
	{
		struct stat rst;

		if (fstat(fd, &rst) == 0)
			c->root_dev = c->real_dev = rst.st_dev;
	}
	c->root = xstrdup(root);
	c->cfg = *cfg;
	c->cur_fd = -1;
	c->cur_hint = CRAWL_NO_HINT;
	strbuf_init(&c->path);
	strbuf_init(&c->known);
	strbuf_init(&c->prev.known);
	crawl_push(c, xstrdup(start), CRAWL_NO_HINT);
	*out = c;
	return 0;
}

void
crawl_free(struct crawl *c)
{
	if (c == NULL)
		return;
	crawl_pool_free(c->pool);
	for (size_t i = 0; i < c->npend; i++)
		free(c->pend[i].relpath);
	free(c->pend);
	for (size_t i = c->readyhead; i < c->nready; i++) {
		if (c->ready[i].fd >= 0)
			close(c->ready[i].fd);
		free(c->ready[i].relpath);
	}
	free(c->ready);
	for (size_t i = 0; i < c->ntoread; i++) {
		close(c->toread[i].fd);
		free(c->toread[i].relpath);
	}
	free(c->toread);
	for (size_t d = 0; d < c->prev.nbdirs; d++) {
		close(c->prev.bdirs[d].fd);
		free(c->prev.bdirs[d].relpath);
	}
	strbuf_release(&c->prev.known);
	free(c->prev.known_hints);
	free(c->prev.bdirs);
	free(c->prev.jobs);
	if (c->cur != NULL)
		closedir(c->cur);
	else if (c->cur_fd >= 0)
		close(c->cur_fd);
	free(c->cur_path);
	for (size_t i = 0; i < c->nstack; i++)
		free(c->stack[i].relpath);
	free(c->stack);
	strbuf_release(&c->known);
	free(c->known_hints);
	free(c->bdirs);
	free(c->jobs);
	strbuf_release(&c->path);
	close(c->root_fd);
	free(c->root);
	free(c);
}

static void
crawl_fail(struct crawl *c, const char *relpath, int error)
{
	c->progress.errors++;
	if (c->cfg.on_error != NULL)
		c->cfg.on_error(c->cfg.arg, relpath, error);
}

/* Open queued directory dir and report it (before it is read: the caller
 * watches it first); -1 (reported, freed) when it cannot be opened. */
static int
crawl_open(struct crawl *c, struct crawl_dir dir)
{
	struct stat st;
	int fd;

	/* A directory that may be walked from its known names needs no
	 * read: an O_PATH fd is enough for fstatat and cheaper to open and
	 * close (crawl_read opens it for reading when it is read). */
	fd = openat(c->root_fd, dir.relpath[0] != '\0' ? dir.relpath : ".",
	    (c->cfg.known != NULL ? O_PATH : O_RDONLY) | O_DIRECTORY |
	    O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		crawl_fail(c, dir.relpath, errno);
		if (fd >= 0)
			close(fd);
		free(dir.relpath);
		return -1;
	}
	c->progress.dirs++;
	c->cur_hint = dir.hint;
	c->cfg.on_entry(c->cfg.arg, dir.relpath, CRAWL_DIR, &st);
	return fd;
}

/* Whether the caller knows the names of directory relpath (fd), judged on
 * a stat taken now, after on_entry watched it. */
static bool
crawl_ask_known(struct crawl *c, const char *relpath, int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 && c->cfg.known(c->cfg.arg, c, relpath,
	    &st);
}

/* Make opened directory dir (fd) current, to be read. */
static void
crawl_read(struct crawl *c, struct crawl_dir dir, int fd)
{
	if (c->cfg.known != NULL) {
		int rfd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		close(fd);
		if (rfd < 0) {
			crawl_fail(c, dir.relpath, errno);
			free(dir.relpath);
			return;
		}
		fd = rfd;
	}
	c->cur = fdopendir(fd);
	if (c->cur == NULL) {
		crawl_fail(c, dir.relpath, errno);
		close(fd);
		free(dir.relpath);
		return;
	}
	c->cur_fd = dirfd(c->cur);
	c->cur_path = dir.relpath;
	c->cur_dir_hint = dir.hint;
	c->cur_complete = true;
	c->cur_ignored = false;
}

/* Open the next queued directory, report it, make it current. */
static void
crawl_enter(struct crawl *c)
{
	struct crawl_dir dir = c->stack[--c->nstack];
	int fd = crawl_open(c, dir);

	if (fd < 0)
		return;
	crawl_known_reset(c);
	if (c->cfg.known != NULL && crawl_ask_known(c, dir.relpath, fd)) {
		c->cur_fd = fd;
		c->cur_path = dir.relpath;
		c->cur_dir_hint = dir.hint;
		c->cur_complete = true;
		c->cur_ignored = false;
		return;
	}
	c->nknown = 0;
	crawl_read(c, dir, fd);
}

static void
crawl_leave(struct crawl *c)
{
	c->cur_hint = c->cur_dir_hint;
	if (c->cfg.on_dir_done != NULL)
		c->cfg.on_dir_done(c->cfg.arg, c->cur_path, c->cur_complete);
	if (c->cur != NULL)
		closedir(c->cur);
	else
		close(c->cur_fd);
	c->cur = NULL;
	c->cur_fd = -1;
	free(c->cur_path);
	c->cur_path = NULL;
}

/* One entry of the current directory: d_type DT_UNKNOWN when not known
 * (a known name, or a filesystem that does not tell); pre: its stat done
 * already (a batch's), or NULL. */
static void
crawl_entry(struct crawl *c, const char *name, unsigned char d_type,
    const struct crawl_job *pre)
{
	struct stat st;
	bool is_dir, known = d_type != DT_UNKNOWN;

	strbuf_reset(&c->path);
	if (c->cur_path[0] != '\0') {
		strbuf_addstr(&c->path, c->cur_path);
		strbuf_addch(&c->path, '/');
	}
	strbuf_addstr(&c->path, name);

	/* Ask about ignores before stat when d_type already tells. */
	is_dir = d_type == DT_DIR;
	if (known && c->cfg.is_ignored != NULL &&
	    c->cfg.is_ignored(c->cfg.arg, c->path.buf, is_dir)) {
		c->progress.ignored++;
		c->cur_ignored = true;
		return;
	}
	if (pre != NULL) {
		if (pre->err != 0)
			return;		/* gone since: its event follows */
		st = pre->st;
	} else if (fstatat(c->cur_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		return;		/* gone since readdir: its event follows */
	}
	if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode) &&
	    !S_ISLNK(st.st_mode))
		return;		/* fifos, sockets, devices: not content */
	is_dir = S_ISDIR(st.st_mode);
	if (!known && c->cfg.is_ignored != NULL &&
	    c->cfg.is_ignored(c->cfg.arg, c->path.buf, is_dir)) {
		c->progress.ignored++;
		c->cur_ignored = true;
		return;
	}
	if (is_dir && st.st_dev != c->root_dev && st.st_dev != c->real_dev) {
		/* A mount point: never enter a pseudo filesystem. */
		struct statfs sfs;
		int fd = openat(c->cur_fd, name, O_RDONLY |
		    O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		bool pseudo = fd >= 0 && fstatfs(fd, &sfs) == 0 &&
		    crawl_fs_magic_is_pseudo((uint64_t)sfs.f_type);

		if (fd >= 0)
			close(fd);
		if (pseudo) {
			c->progress.ignored++;
			c->cur_complete = false;
			return;
		}
		c->real_dev = st.st_dev;
	}
	if (is_dir) {
		crawl_push(c, xstrdup(c->path.buf), c->cur_hint);
	} else {
		c->progress.files++;
		c->cfg.on_entry(c->cfg.arg, c->path.buf, CRAWL_FILE, &st);
	}
}

/* Jobs for the names taken (the first nknown of njobs; the rest are
 * left to the caller, cleared). */
static void
crawl_name_jobs(struct crawl *c, size_t njobs)
{
	size_t off = 0;

	if (njobs > c->capjobs) {
		c->capjobs = njobs;
		free(c->jobs);
		c->jobs = xreallocarray(NULL, c->capjobs, sizeof(*c->jobs));
	}
	for (size_t d = 0; d < c->nbdirs; d++) {
		for (size_t i = 0; i < c->bdirs[d].n; i++) {
			struct crawl_job *j = &c->jobs[c->bdirs[d].first + i];

			j->fd = c->bdirs[d].fd;
			j->dir = NULL;
			j->name = off;
			off += strlen(c->known.buf + off) + 1;
		}
	}
	for (size_t i = c->nknown; i < njobs; i++)
		c->jobs[i] = (struct crawl_job){ .fd = -1, .wd = -1 };
}

/* Report the names stat'ed for the batch's directories, in order, and
 * leave each directory; the batch is emptied. Returns the names. */
static size_t
crawl_names_report(struct crawl *c)
{
	size_t handled = 0;

	for (size_t d = 0; d < c->nbdirs; d++) {
		struct crawl_bdir *b = &c->bdirs[d];

		c->cur = NULL;
		c->cur_fd = b->fd;
		c->cur_path = b->relpath;
		c->cur_dir_hint = b->hint;
		c->cur_complete = true;
		c->cur_ignored = false;
		for (size_t i = b->first; i < b->first + b->n; i++) {
			c->cur_hint = c->known_hints[i];
			crawl_entry(c, c->known.buf + c->jobs[i].name,
			    DT_UNKNOWN, &c->jobs[i]);
			handled++;
		}
		crawl_leave(c);
	}
	c->nbdirs = 0;
	crawl_known_reset(c);
	return handled;
}

static void
crawl_bdir_add(struct crawl_bdir **v, size_t *n, size_t *cap,
    struct crawl_bdir b)
{
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 64;
		*v = xreallocarray(*v, *cap, sizeof(**v));
	}
	(*v)[(*n)++] = b;
}

/*
 * Report the directories the pool watched and stat'ed, in order, until
 * the batch holds CRAWL_BATCH_ENTRIES names: each one's names are taken
 * (judged on the stat taken after its watch), or it is queued to be read.
 * Returns the directories handled.
 */
static size_t
crawl_ready_report(struct crawl *c)
{
	size_t handled = 0;

	while (c->readyhead < c->nready && c->nknown < CRAWL_BATCH_ENTRIES) {
		struct crawl_ready *r = &c->ready[c->readyhead++];
		size_t first = c->nknown, len = c->known.len;

		handled++;
		if (r->err != 0) {
			crawl_fail(c, r->relpath, r->err);
			free(r->relpath);
			continue;
		}
		c->progress.dirs++;
		c->cur_hint = r->hint;
		c->cur_watched = true;
		c->cur_wd = r->wd;
		c->cur_werr = r->werr;
		c->cfg.on_entry(c->cfg.arg, r->relpath, CRAWL_DIR, &r->st);
		c->cur_watched = false;
		if (c->cfg.known(c->cfg.arg, c, r->relpath, &r->st)) {
			crawl_bdir_add(&c->bdirs, &c->nbdirs, &c->capbdirs,
			    (struct crawl_bdir){ .relpath = r->relpath,
			    .fd = r->fd, .hint = r->hint, .first = first,
			    .n = c->nknown - first });
			continue;
		}
		c->nknown = first;
		strbuf_truncate(&c->known, len);
		crawl_bdir_add(&c->toread, &c->ntoread, &c->captoread,
		    (struct crawl_bdir){ .relpath = r->relpath, .fd = r->fd,
		    .hint = r->hint });
	}
	if (c->readyhead == c->nready)
		c->readyhead = c->nready = 0;
	return handled;
}

/*
 * Queued directories whose names are known, as many as CRAWL_BATCH_ENTRIES
 * names: each opened and reported (watched) and its names taken, then all
 * names stat'ed on the pool, then reported in order. A directory to read
 * ends the batch and is made current after it. Returns the entries
 * handled (at least 1).
 */
static size_t
crawl_batch(struct crawl *c)
{
	struct crawl_dir rd = { NULL, CRAWL_NO_HINT };
	size_t handled = 0;
	int rfd = -1;

	crawl_known_reset(c);
	c->nbdirs = 0;
	while (c->nstack > 0 && c->nknown < CRAWL_BATCH_ENTRIES) {
		struct crawl_dir dir = c->stack[--c->nstack];
		size_t first = c->nknown, len = c->known.len;
		int fd = crawl_open(c, dir);

		handled++;
		if (fd < 0)
			continue;
		if (crawl_ask_known(c, dir.relpath, fd)) {
			if (c->nbdirs == c->capbdirs) {
				c->capbdirs = c->capbdirs ? c->capbdirs * 2 :
				    64;
				c->bdirs = xreallocarray(c->bdirs, c->capbdirs,
				    sizeof(*c->bdirs));
			}
			c->bdirs[c->nbdirs++] = (struct crawl_bdir){
				.relpath = dir.relpath, .fd = fd,
				.hint = dir.hint, .first = first,
				.n = c->nknown - first };
			continue;
		}
		c->nknown = first;
		strbuf_truncate(&c->known, len);
		rd = dir;
		rfd = fd;
		break;
	}
	crawl_name_jobs(c, c->nknown);
	if (c->nknown > 0) {
		if (c->pool == NULL)
			c->pool = crawl_pool_new(c->cfg.threads);
		crawl_pool_run(c->pool, c->jobs, c->nknown, c->known.buf, c);
	}
	handled += crawl_names_report(c);
	if (rfd >= 0)
		crawl_read(c, rd, rfd);
	return handled;
}

/*
 * The pipeline (cfg.watch): each pool run stats the names of the
 * directories reported last and, alongside, opens, watches and fstats the
 * next ones popped from the stack; meanwhile this thread reports the names
 * the previous run stat'ed (c->prev), then joins the pool; then the new
 * directories are reported (each one's known list taken), and so on. Once
 * max_entries are handled no more directories are popped: the step ends
 * when every directory watched in it was reported (its wd recorded before
 * the loop reads any event) and every name taken was stat'ed and reported.
 * A directory whose names are not known is queued to be read (toread).
 */
#define CRAWL_SWAP(a, b) do { \
	__typeof__(a) crawl_swap_tmp = (a); \
	(a) = (b); \
	(b) = crawl_swap_tmp; \
} while (0)

/* Swap the batch in c's fields with c->prev. */
static void
crawl_swap_set(struct crawl *c)
{
	struct crawl_set *p = &c->prev;

	CRAWL_SWAP(c->known, p->known);
	CRAWL_SWAP(c->known_hints, p->known_hints);
	CRAWL_SWAP(c->nknown, p->nknown);
	CRAWL_SWAP(c->capknown, p->capknown);
	CRAWL_SWAP(c->bdirs, p->bdirs);
	CRAWL_SWAP(c->nbdirs, p->nbdirs);
	CRAWL_SWAP(c->capbdirs, p->capbdirs);
	CRAWL_SWAP(c->jobs, p->jobs);
	CRAWL_SWAP(c->capjobs, p->capjobs);
}

static size_t
crawl_pipeline(struct crawl *c, size_t max_entries)
{
	size_t handled = 0;

	crawl_known_reset(c);
	c->nbdirs = 0;
	for (;;) {
		size_t njobs;

		c->npend = 0;
		if (handled < max_entries && c->readyhead == c->nready) {
			while (c->nstack > 0 && c->npend < CRAWL_BATCH_DIRS) {
				if (c->npend == c->cappend) {
					c->cappend = c->cappend ?
					    c->cappend * 2 : 64;
					c->pend = xreallocarray(c->pend,
					    c->cappend, sizeof(*c->pend));
				}
				c->pend[c->npend++] = c->stack[--c->nstack];
			}
		}
		njobs = c->nknown + c->npend;
		if (njobs == 0 && c->prev.nbdirs == 0)
			break;
		if (njobs > 0) {
			crawl_name_jobs(c, njobs);
			for (size_t i = 0; i < c->npend; i++)
				c->jobs[c->nknown + i].dir =
				    c->pend[i].relpath;
			if (c->pool == NULL)
				c->pool = crawl_pool_new(c->cfg.threads);
			crawl_pool_start(c->pool, c->jobs, njobs,
			    c->nknown, c->known.buf, c);
		}
		/* The previous batch is reported while the pool runs. */
		crawl_swap_set(c);
		handled += crawl_names_report(c);
		crawl_swap_set(c);
		if (njobs > 0)
			crawl_pool_finish(c->pool);
		if (c->npend > 0) {
			/* ready is empty: it is refilled only then */
			if (c->npend > c->capready) {
				c->capready = c->npend;
				free(c->ready);
				c->ready = xreallocarray(NULL, c->capready,
				    sizeof(*c->ready));
			}
			for (size_t i = 0; i < c->npend; i++) {
				const struct crawl_job *j =
				    &c->jobs[c->nknown + i];

				c->ready[i] = (struct crawl_ready){
					.relpath = c->pend[i].relpath,
					.hint = c->pend[i].hint, .fd = j->fd,
					.err = j->err, .wd = j->wd,
					.werr = j->werr, .st = j->st };
			}
			c->readyhead = 0;
			c->nready = c->npend;
			c->npend = 0;
		}
		/* This batch, stat'ed, becomes the previous one; the next
		 * takes the names of the directories watched just now. */
		crawl_swap_set(c);
		handled += crawl_ready_report(c);
	}
	return handled;
}

bool
crawl_dir_ignored(const struct crawl *c)
{
	return c->cur_ignored;
}

bool
crawl_dir_listed(const struct crawl *c)
{
	return c->cur == NULL;
}

bool
crawl_dir_watch(const struct crawl *c, int32_t *wd, int *error)
{
	if (!c->cur_watched)
		return false;
	*wd = c->cur_wd;
	*error = c->cur_werr;
	return true;
}

enum crawl_state
crawl_step(struct crawl *c, size_t max_entries)
{
	size_t n = 0;

	while (n < max_entries) {
		struct dirent *de;

		if (c->cur_path == NULL) {
			if (c->ntoread > 0) {
				struct crawl_bdir b = c->toread[--c->ntoread];

				crawl_read(c, (struct crawl_dir){ b.relpath,
				    b.hint }, b.fd);
				continue;
			}
			if (c->nstack == 0)
				return CRAWL_DONE;
			if (c->cfg.threads > 1 && c->cfg.known != NULL &&
			    c->cfg.watch != NULL) {
				n += crawl_pipeline(c, max_entries - n);
				continue;
			}
			if (c->cfg.threads > 1 && c->cfg.known != NULL) {
				n += crawl_batch(c);
				continue;
			}
			crawl_enter(c);
			n++;
			continue;
		}
		if (c->cur == NULL) {
			/* The known names instead of a read. */
			const char *name;

			if (c->known_next == c->nknown) {
				crawl_leave(c);
				continue;
			}
			name = c->known.buf + c->known_off;
			c->known_off += strlen(name) + 1;
			c->cur_hint = c->known_hints[c->known_next++];
			crawl_entry(c, name, DT_UNKNOWN, NULL);
			n++;
			continue;
		}
		errno = 0;
		de = readdir(c->cur);
		if (de == NULL) {
			if (errno != 0) {
				crawl_fail(c, c->cur_path, errno);
				c->cur_complete = false;
			}
			crawl_leave(c);
			continue;
		}
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		c->cur_hint = CRAWL_NO_HINT;
		crawl_entry(c, de->d_name, de->d_type, NULL);
		n++;
	}
	return c->cur_path == NULL && c->nstack == 0 && c->ntoread == 0 ?
	    CRAWL_DONE : CRAWL_MORE;
}

void
crawl_progress(const struct crawl *c, struct crawl_progress *out)
{
	*out = c->progress;
	out->pending_dirs = c->nstack + c->ntoread;
}

bool
crawl_fs_magic_is_pseudo(uint64_t magic)
{
	for (size_t i = 0; i < sizeof(crawl_pseudo_magic) /
	    sizeof(crawl_pseudo_magic[0]); i++)
		if ((uint32_t)magic == crawl_pseudo_magic[i])
			return true;
	return false;
}

bool
crawl_path_is_pseudo(const char *path)
{
	struct statfs sfs;

	if (statfs(path, &sfs) < 0)
		return false;
	if (crawl_fs_magic_is_pseudo((uint64_t)sfs.f_type))
		return true;
	/* devtmpfs says tmpfs: /dev itself tells it apart. */
	return (uint32_t)sfs.f_type == CRAWL_MAGIC_TMPFS &&
	    (strcmp(path, "/dev") == 0 || strncmp(path, "/dev/", 5) == 0);
}

enum crawl_fs_kind
crawl_fs_kind_from_magic(uint64_t magic)
{
	switch ((uint32_t)magic) {
	case CRAWL_MAGIC_NFS:
		return CRAWL_FS_NFS;
	case CRAWL_MAGIC_SMB:
	case CRAWL_MAGIC_CIFS:
	case CRAWL_MAGIC_SMB2:
		return CRAWL_FS_CIFS;
	case CRAWL_MAGIC_FUSE:
		return CRAWL_FS_FUSE;
	default:
		return CRAWL_FS_LOCAL;
	}
}

const char *
crawl_fs_kind_name(enum crawl_fs_kind kind)
{
	switch (kind) {
	case CRAWL_FS_NFS:
		return "nfs";
	case CRAWL_FS_CIFS:
		return "cifs";
	case CRAWL_FS_FUSE:
		return "fuse";
	case CRAWL_FS_LOCAL:
		return "local";
	}
	return "local";
}

int
crawl_fs_kind(const char *path, enum crawl_fs_kind *out, struct gerr *err)
{
	struct statfs sfs;

	if (statfs(path, &sfs) < 0)
		return gerr_set(err, GERR_IO, "statfs %s: %s", path,
		    strerror(errno));
	*out = crawl_fs_kind_from_magic((uint64_t)sfs.f_type);
	return 0;
}
