/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * hashpool.c - worker threads that hash files with XXH3-128.
 *
 * Owns: the worker threads, one read buffer per worker, the job queue (FIFO)
 * and the completion list, all behind one mutex. A job is one allocation
 * (struct + path) that moves queue -> worker -> completion list -> drained
 * and freed by hashpool_drain.
 * Called by: the loop thread (submit, cancel, drain, free); the notify
 * callback is the only code run on workers that is not ours.
 * Invariants:
 * - outstanding (queued + running + completed, not yet drained) never
 *   exceeds max_jobs: the memory is bounded by configuration.
 * - a job whose generation was cancelled is never delivered.
 * - a job reads at most the st_size its fstat saw at open: a file that
 *   grows (or a pseudo file that never ends) cannot hold a worker; the
 *   tuple changes, so the loop drops such a result as stale anyway.
 * - workers never touch the file table: the loop owns it; results carry the
 *   stat tuple seen by fstat at open so the loop can drop stale ones.
 * Never: read a whole file into memory, follow a symlink, block the loop
 * (the lock is held only for list operations).
 */
#include "hashpool.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fifo.h"
#include "log.h"
#include "xmalloc.h"

#ifdef GGEN_XXH_DISPATCH
/* XXH3_128bits* become libxxhash's run-time dispatched versions (AVX2 or
 * AVX-512 when the CPU has them, else SSE2): the plain exports are built
 * for the baseline ISA, 0.8x the speed of `xxhsum -H2`. Same digests. */
#include <xxh_x86dispatch.h>
#endif

#define HASHPOOL_NICE 10
/* Results per loop wake-up while more work is queued. */
#define HASHPOOL_NOTIFY_BATCH 64

struct hashpool_job {
	struct fifo_link link;	/* in queue or done */
	struct hashpool_result r;
	char path[];
};

struct hashpool_worker {
	struct hashpool *pool;
	pthread_t thread;
	struct hashpool_job *job;	/* running, under lock */
	atomic_bool cancel;		/* job's generation cancelled */
};

struct hashpool {
	pthread_mutex_t lock;
	pthread_cond_t work;
	struct fifo queue, done;	/* of struct hashpool_job */
	bool notified;		/* notify called since the last drain */
	size_t outstanding;
	size_t max_jobs;
	size_t chunk_bytes;
	bool stopping;
	hashpool_notify_cb notify;
	void *notify_arg;
	unsigned nworkers;
	struct hashpool_worker *workers;
};

/* Whether j is one of the jobs a cancel names (cookie 0: any). */
static bool
hashpool_job_matches(const struct hashpool_job *j, uint64_t generation,
    uint64_t cookie)
{
	return j->r.generation == generation && (cookie == 0 ||
	    j->r.cookie == cookie);
}

struct hashpool_cancel {
	uint64_t generation, cookie;
};

static bool
hashpool_cancel_matches(void *arg, const struct fifo_link *l)
{
	const struct hashpool_cancel *c = arg;

	return hashpool_job_matches(FIFO_ENTRY(l, const struct hashpool_job,
	    link), c->generation, c->cookie);
}

static void
hashpool_job_free(void *arg, struct fifo_link *l)
{
	(void)arg;
	free(FIFO_ENTRY(l, struct hashpool_job, link));
}

/* Remove and free the jobs of generation (and cookie, unless 0) from q;
 * returns how many. */
static size_t
hashpool_queue_cancel(struct fifo *q, uint64_t generation, uint64_t cookie)
{
	struct hashpool_cancel c = { generation, cookie };

	return fifo_remove_if(q, hashpool_cancel_matches, hashpool_job_free,
	    &c);
}

static void
hashpool_queue_free(struct fifo *q)
{
	struct fifo_link *l;

	while ((l = fifo_pop(q)) != NULL)
		hashpool_job_free(NULL, l);
}

static XXH3_state_t *
hashpool_state_new(void)
{
	XXH3_state_t *state = XXH3_createState();

	if (state == NULL)
		fatal("hashpool: out of memory for an XXH3 state");
	return state;
}

/* Hash fd to EOF, or after limit bytes, with state (reset here); *cancel
 * (may be NULL) is polled between chunks. */
static int
hashpool_hash_fd_cancel(int fd, void *buf, size_t bufsize, uint64_t limit,
    XXH3_state_t *state, XXH128_hash_t *out, const atomic_bool *cancel)
{
	int rc = 0;

	XXH3_128bits_reset(state);
	while (limit > 0) {
		ssize_t n = read(fd, buf, limit < bufsize ? (size_t)limit :
		    bufsize);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = errno;
			break;
		}
		if (n == 0)
			break;
		XXH3_128bits_update(state, buf, (size_t)n);
		limit -= (uint64_t)n;
		if (cancel != NULL && atomic_load_explicit(cancel,
		    memory_order_relaxed)) {
			rc = ECANCELED;
			break;
		}
	}
	if (rc == 0)
		*out = XXH3_128bits_digest(state);
	return rc;
}

int
hashpool_hash_fd(int fd, void *buf, size_t bufsize, XXH128_hash_t *out)
{
	XXH3_state_t *state = hashpool_state_new();
	int rc = hashpool_hash_fd_cancel(fd, buf, bufsize, UINT64_MAX, state,
	    out, NULL);

	XXH3_freeState(state);
	return rc;
}

/* A symlink: hash its target text, with the link's own tuple. */
static int
hashpool_hash_link(struct hashpool_result *r, char *buf, size_t bufsize)
{
	struct stat st;
	ssize_t n;

	if (fstatat(AT_FDCWD, r->path, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno;
	if (!S_ISLNK(st.st_mode))
		return ELOOP;
	n = readlink(r->path, buf, bufsize);
	if (n < 0)
		return errno;
	if ((size_t)n == bufsize)
		return ENAMETOOLONG;
	filetable_stat_from(&r->st, &st);
	r->hash = XXH3_128bits(buf, (size_t)n);
	return 0;
}

static int
hashpool_hash_job(struct hashpool_worker *w, struct hashpool_job *j,
    void *buf, XXH3_state_t *state)
{
	/* O_NONBLOCK so a FIFO cannot hang the worker in open(). */
	int flags = O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY;
	struct stat st;
	int fd, rc;

	fd = open(j->path, flags | O_NOATIME);
	if (fd < 0 && errno == EPERM)	/* O_NOATIME needs ownership */
		fd = open(j->path, flags);
	if (fd < 0) {
		if (errno == ELOOP)
			return hashpool_hash_link(&j->r, buf,
			    w->pool->chunk_bytes);
		return errno;
	}
	if (fstat(fd, &st) < 0) {
		rc = errno;
	} else if (!S_ISREG(st.st_mode)) {
		rc = EINVAL;
	} else {
		filetable_stat_from(&j->r.st, &st);
		rc = hashpool_hash_fd_cancel(fd, buf, w->pool->chunk_bytes,
		    st.st_size > 0 ? (uint64_t)st.st_size : 0, state,
		    &j->r.hash, &w->cancel);
	}
	close(fd);
	return rc;
}

static void *
hashpool_worker_main(void *arg)
{
	struct hashpool_worker *w = arg;
	struct hashpool *pool = w->pool;
	void *buf = xmalloc(pool->chunk_bytes);
	XXH3_state_t *state = hashpool_state_new();
	struct hashpool_job *j;
	bool wake;

	/* Below the loop thread: on a busy machine the loop stays
	 * responsive (and a crawl finishes first) while hashing soaks up
	 * what is left. Linux nice is per thread; failure is harmless. */
	(void)setpriority(PRIO_PROCESS, (id_t)gettid(), HASHPOOL_NICE);
	pthread_mutex_lock(&pool->lock);
	for (;;) {
		while (!pool->stopping && fifo_empty(&pool->queue))
			pthread_cond_wait(&pool->work, &pool->lock);
		if (pool->stopping)
			break;
		j = FIFO_POP(&pool->queue, struct hashpool_job, link);
		w->job = j;
		atomic_store(&w->cancel, false);
		pthread_mutex_unlock(&pool->lock);

		j->r.error = hashpool_hash_job(w, j, buf, state);

		pthread_mutex_lock(&pool->lock);
		w->job = NULL;
		if (atomic_load(&w->cancel)) {
			free(j);
			pool->outstanding--;
			j = NULL;
		} else {
			fifo_push(&pool->done, &j->link);
		}
		/* Wake the loop once per batch: when the queue ran dry (no
		 * later push is sure to come) or the batch is full. One
		 * wake per result costs a context switch per small file. */
		wake = !pool->notified && !fifo_empty(&pool->done) &&
		    (fifo_empty(&pool->queue) ||
		    pool->done.n >= HASHPOOL_NOTIFY_BATCH);
		if (wake)
			pool->notified = true;
		if (wake && pool->notify != NULL) {
			pthread_mutex_unlock(&pool->lock);
			pool->notify(pool->notify_arg);
			pthread_mutex_lock(&pool->lock);
		}
	}
	pthread_mutex_unlock(&pool->lock);
	XXH3_freeState(state);
	free(buf);
	return NULL;
}

int
hashpool_new(const struct hashpool_config *cfg, hashpool_notify_cb notify,
    void *arg, struct hashpool **out, struct gerr *err)
{
	struct hashpool *pool = xcalloc(1, sizeof(*pool));
	unsigned n = cfg != NULL ? cfg->threads : 0;
	int rc;

	if (n == 0) {
		long cores = sysconf(_SC_NPROCESSORS_ONLN);

		n = cores > 0 ? (unsigned)cores : 1;
	}
	pool->max_jobs = cfg != NULL && cfg->max_jobs > 0 ? cfg->max_jobs :
	    HASHPOOL_DEFAULT_MAX_JOBS;
	pool->chunk_bytes = cfg != NULL && cfg->chunk_bytes > 0 ?
	    cfg->chunk_bytes : HASHPOOL_DEFAULT_CHUNK_BYTES;
	pool->notify = notify;
	pool->notify_arg = arg;
	pthread_mutex_init(&pool->lock, NULL);
	pthread_cond_init(&pool->work, NULL);
	pool->workers = xcalloc(n, sizeof(*pool->workers));
	for (unsigned i = 0; i < n; i++) {
		pool->workers[i].pool = pool;
		rc = pthread_create(&pool->workers[i].thread, NULL,
		    hashpool_worker_main, &pool->workers[i]);
		if (rc != 0) {
			hashpool_free(pool);
			return gerr_set(err, GERR_IO, "hashpool: start thread "
			    "%u of %u: %s", i + 1, n, strerror(rc));
		}
		pool->nworkers++;
	}
	*out = pool;
	return 0;
}

void
hashpool_free(struct hashpool *pool)
{
	if (pool == NULL)
		return;
	pthread_mutex_lock(&pool->lock);
	pool->stopping = true;
	/* Running jobs stop at their next chunk. */
	for (unsigned i = 0; i < pool->nworkers; i++)
		atomic_store(&pool->workers[i].cancel, true);
	pthread_cond_broadcast(&pool->work);
	pthread_mutex_unlock(&pool->lock);
	for (unsigned i = 0; i < pool->nworkers; i++)
		pthread_join(pool->workers[i].thread, NULL);
	hashpool_queue_free(&pool->queue);
	hashpool_queue_free(&pool->done);
	pthread_cond_destroy(&pool->work);
	pthread_mutex_destroy(&pool->lock);
	free(pool->workers);
	free(pool);
}

int
hashpool_submit(struct hashpool *pool, const char *path, uint64_t generation,
    uint64_t cookie, struct gerr *err)
{
	size_t len = strlen(path);
	struct hashpool_job *j;

	pthread_mutex_lock(&pool->lock);
	if (pool->outstanding >= pool->max_jobs) {
		pthread_mutex_unlock(&pool->lock);
		return gerr_set(err, GERR_BUSY, "hashpool: %zu jobs outstanding",
		    pool->max_jobs);
	}
	pool->outstanding++;
	pthread_mutex_unlock(&pool->lock);

	j = xmalloc(sizeof(*j) + len + 1);
	memset(j, 0, sizeof(*j));
	memcpy(j->path, path, len + 1);
	j->r.path = j->path;
	j->r.generation = generation;
	j->r.cookie = cookie;

	pthread_mutex_lock(&pool->lock);
	fifo_push(&pool->queue, &j->link);
	pthread_cond_signal(&pool->work);
	pthread_mutex_unlock(&pool->lock);
	return 0;
}

size_t
hashpool_room(struct hashpool *pool)
{
	size_t room;

	pthread_mutex_lock(&pool->lock);
	room = pool->max_jobs - pool->outstanding;
	pthread_mutex_unlock(&pool->lock);
	return room;
}

void
hashpool_cancel(struct hashpool *pool, uint64_t generation)
{
	hashpool_cancel_job(pool, generation, 0);
}

void
hashpool_cancel_job(struct hashpool *pool, uint64_t generation,
    uint64_t cookie)
{
	bool wake;
	size_t n;

	pthread_mutex_lock(&pool->lock);
	pool->outstanding -= hashpool_queue_cancel(&pool->queue, generation,
	    cookie);
	n = hashpool_queue_cancel(&pool->done, generation, cookie);
	pool->outstanding -= n;
	for (unsigned i = 0; i < pool->nworkers; i++) {
		struct hashpool_worker *w = &pool->workers[i];

		if (w->job != NULL && hashpool_job_matches(w->job, generation,
		    cookie))
			atomic_store(&w->cancel, true);
	}
	/* The jobs that would have woken the loop may be gone. */
	wake = !pool->notified && !fifo_empty(&pool->done);
	if (wake)
		pool->notified = true;
	pthread_mutex_unlock(&pool->lock);
	if (wake && pool->notify != NULL)
		pool->notify(pool->notify_arg);
}

size_t
hashpool_drain(struct hashpool *pool, hashpool_result_cb cb, void *arg)
{
	struct fifo done;
	struct hashpool_job *j;
	size_t n = 0;

	pthread_mutex_lock(&pool->lock);
	done = fifo_take(&pool->done);
	pool->notified = false;
	pthread_mutex_unlock(&pool->lock);

	while ((j = FIFO_POP(&done, struct hashpool_job, link)) != NULL) {
		cb(arg, &j->r);
		free(j);
		n++;
		/* Room frees one by one so cb can submit follow-up work. */
		pthread_mutex_lock(&pool->lock);
		pool->outstanding--;
		pthread_mutex_unlock(&pool->lock);
	}
	return n;
}

int
hashpool_hash_small(const char *path, void *buf, size_t bufsize,
    struct filetable_stat *st, XXH128_hash_t *out)
{
	int flags = O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY;
	struct stat sb;
	ssize_t n = 0;
	int fd, rc = 0;

	fd = open(path, flags | O_NOATIME);
	if (fd < 0 && errno == EPERM)	/* O_NOATIME needs ownership */
		fd = open(path, flags);
	if (fd < 0)
		return errno;
	if (fstat(fd, &sb) < 0)
		rc = errno;
	else if (!S_ISREG(sb.st_mode))
		rc = EINVAL;
	else if (sb.st_size < 0 || (uint64_t)sb.st_size >= bufsize)
		rc = EFBIG;
	while (rc == 0 && (n = read(fd, buf, bufsize)) < 0)
		if (errno != EINTR)
			rc = errno;
	/* A short read of a regular file is its end; one that does not
	 * match the size fstat saw is a write under way: the pool's reader
	 * (and the tuple check) sort that out. */
	if (rc == 0 && n != (ssize_t)sb.st_size)
		rc = EFBIG;
	close(fd);
	if (rc != 0)
		return rc;
	filetable_stat_from(st, &sb);
	*out = XXH3_128bits(buf, (size_t)n);
	return 0;
}
