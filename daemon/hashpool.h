/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * hashpool.h - worker threads computing XXH3-128 of files for the loop.
 *
 * The loop submits paths; workers open, fstat, read in chunks and hash, then
 * append a result to a completion list and call the notify callback (the
 * daemon passes one doing ev_async_send). The loop collects results with
 * hashpool_drain. Every result carries the stat tuple the worker saw at open,
 * so filetable_set_hash can drop results for outdated tuples.
 *
 * All functions but the notify callback run on the loop thread.
 */
#ifndef GGEN_HASHPOOL_H
#define GGEN_HASHPOOL_H

#include <stddef.h>
#include <stdint.h>
#include <xxhash.h>

#include "filetable.h"
#include "gerr.h"

struct hashpool;

struct hashpool_config {
	unsigned threads;	/* 0 = one per online core */
	size_t max_jobs;	/* queued + running + undrained; 0 = default */
	size_t chunk_bytes;	/* read size per worker; 0 = default */
};

#define HASHPOOL_DEFAULT_MAX_JOBS 4096
#define HASHPOOL_DEFAULT_CHUNK_BYTES (128 * 1024)

struct hashpool_result {
	const char *path;	/* as submitted; borrowed for the callback */
	uint64_t generation;
	uint64_t cookie;
	int error;		/* 0, or the errno of open/read (ENOENT, EACCES,
				 * EINVAL for a non-regular file) */
	struct filetable_stat st;	/* tuple at open; valid when !error */
	XXH128_hash_t hash;		/* valid when !error */
};

/*
 * Called on a worker thread when the completion list turns non-empty. It must
 * be async-signal-light: no pool calls, just wake the loop (ev_async_send).
 */
typedef void (*hashpool_notify_cb)(void *arg);
typedef void (*hashpool_result_cb)(void *arg, const struct hashpool_result *r);

/*
 * Start the workers. cfg borrowed for the call (NULL = defaults); notify and
 * arg kept until hashpool_free. *out is the caller's pool on success.
 * Errors: GERR_IO when a thread cannot be created (none is left running).
 */
int hashpool_new(const struct hashpool_config *cfg, hashpool_notify_cb notify,
    void *arg, struct hashpool **out, struct gerr *err);

/*
 * Stop and join the workers; queued and undrained jobs are dropped without
 * callbacks. pool may be NULL.
 */
void hashpool_free(struct hashpool *pool);

/*
 * Queue path (copied) for hashing. generation groups jobs for
 * hashpool_cancel (one per root); cookie is returned untouched. Errors:
 * GERR_BUSY when max_jobs are outstanding (drain, then submit again).
 * Symlinks are not followed: their target text is hashed, with the tuple of
 * the link itself.
 */
int hashpool_submit(struct hashpool *pool, const char *path,
    uint64_t generation, uint64_t cookie, struct gerr *err);

/* How many more jobs hashpool_submit accepts now. */
size_t hashpool_room(struct hashpool *pool);

/*
 * Forget every job of generation: queued ones are dropped, running ones stop
 * at their next chunk, and their results are never delivered.
 */
void hashpool_cancel(struct hashpool *pool, uint64_t generation);

/* Hand every finished result to cb (on the calling thread, without the lock
 * held). cb may call hashpool_submit. Returns the number delivered. */
size_t hashpool_drain(struct hashpool *pool, hashpool_result_cb cb, void *arg);

/* Hash the open file fd (read to EOF in chunks of buf). Returns 0 or an
 * errno. Any thread. Exposed for on-demand hashing and tests. */
int hashpool_hash_fd(int fd, void *buf, size_t bufsize, XXH128_hash_t *out);

/*
 * Hash the small regular file at path now, on the calling thread, as a
 * worker would (symlinks not followed, tuple from fstat at open), when it
 * fits in one read of buf (at most bufsize - 1 bytes). For the loop after
 * an inotify event: a round trip through a worker costs two thread
 * wake-ups per save. Returns 0 with *st and *out set; EFBIG when the file
 * is larger or changed size while read, ELOOP for a symlink (both: hash
 * it on the pool), EINVAL for a non-regular file, or the errno of
 * open/fstat/read. Any thread.
 */
int hashpool_hash_small(const char *path, void *buf, size_t bufsize,
    struct filetable_stat *st, XXH128_hash_t *out);

#endif
