/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * outstore.h - the local output store (doc/remote-cache.md): phase
 * outputs by content in STATE_DIR/outstore, so a cached phase whose key
 * matches but whose outputs are gone or different is restored instead of
 * rebuilt (a branch switch and back costs no build).
 *
 * Layout: cas/XX/SHA256 (blobs, XX = the first two hex digits),
 * ac/KEY (one manifest per action key, common/outmanifest.h), tmp/ (files
 * being written; emptied on open). The store is bounded by max_bytes
 * (unique blob bytes) and OUTSTORE_ENTRIES_MAX manifests, the least
 * recently used manifest going first; a blob goes with the last manifest
 * that names it. Last use survives restarts as the manifest's mtime.
 *
 * Trust and durability: a blob enters only through outstore_blob_commit,
 * which checks its sha256 before the rename that names it. The store is a
 * cache and writes without fsync (common/fileio, FILEIO_NO_SYNC: still
 * atomic by rename); instead it verifies: a result written or checked by
 * this process is restored with size checks only, one found on disk at
 * start is re-hashed on its first restore (a damaged blob drops the
 * result and the phase is built). Manifests are re-validated when read
 * (a cut one is dropped).
 *
 * Threads: every function may be called from any thread; the index and
 * counters are under one mutex, file copies run outside it. The daemon
 * calls them from its output-cache worker threads (daemon/outcache.c),
 * never from the loop, except outstore_open/free/set_max/stats.
 */
#ifndef GGEN_OUTSTORE_H
#define GGEN_OUTSTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gerr.h"
#include "fileio.h"
#include "outmanifest.h"

#define OUTSTORE_ENTRIES_MAX 16384

struct outstore;

struct outstore_stats {
	uint64_t bytes, max_bytes;	/* unique blob bytes, the bound */
	uint64_t entries, blobs;
	uint64_t hits, misses;		/* manifest lookups */
	uint64_t restores, restored_bytes;
	uint64_t captures, captured_bytes;
	uint64_t evictions;		/* manifests dropped for space */
	uint64_t errors;
	bool loaded;			/* the index was read */
};

/*
 * The store under state_dir/outstore (created 0700). Reading the index
 * happens later, on the first call that needs it (a worker thread).
 * Returns NULL with err set (GERR_IO) when the directories cannot be made.
 */
struct outstore *outstore_open(const char *state_dir, uint64_t max_bytes,
    struct gerr *err);
void outstore_free(struct outstore *s);
/* Change the bound; takes effect at the next capture or put. */
void outstore_set_max(struct outstore *s, uint64_t max_bytes);
void outstore_stats(struct outstore *s, struct outstore_stats *out);
/* The store directory (borrowed for the store's life). */
const char *outstore_dir(const struct outstore *s);

/*
 * The manifest of key (hex) in *out (caller frees), marked most recently
 * used. GERR_NOT_FOUND when absent (counted as a miss); a manifest that
 * fails validation or names a missing blob is dropped and reported as
 * GERR_NOT_FOUND too (message says why).
 */
int outstore_get(struct outstore *s, const char *key,
    struct outmanifest **out, struct gerr *err);

/* Whether the blob sha is stored with size bytes. */
bool outstore_has_blob(struct outstore *s, const char *sha, uint64_t size);

/* A blob being written into tmp/. */
struct outstore_blobw;

/* Start a blob; max_bytes caps what outstore_blob_write accepts (0 = no
 * cap). GERR_IO. */
int outstore_blob_begin(struct outstore *s, uint64_t max_bytes,
    struct outstore_blobw **out, struct gerr *err);
/* Append n bytes; GERR_TOO_LARGE over the cap, GERR_IO. After an error
 * only outstore_blob_abort is valid. */
int outstore_blob_write(struct outstore_blobw *w, const void *p, size_t n,
    struct gerr *err);
/* Check the content against want_sha (NULL = accept whatever it is),
 * fsync, and name it cas/XX/SHA; the sha256 hex and size come back in
 * sha_out / size_out (may be NULL). Frees w. GERR_INVALID when the sha256
 * differs (the data is discarded), GERR_IO. */
int outstore_blob_commit(struct outstore_blobw *w, const char *want_sha,
    char sha_out[SHA256_HEX_SIZE], uint64_t *size_out, struct gerr *err);
/* Drop an unfinished blob (NULL ok). */
void outstore_blob_abort(struct outstore_blobw *w);

/*
 * Record m (sealed; every blob it names already stored) as key's manifest,
 * written atomically, then evict down to the bounds. GERR_IO; GERR_NOT_FOUND
 * when a blob is missing; GERR_TOO_LARGE when m alone is over max_bytes.
 */
int outstore_put(struct outstore *s, const struct outmanifest *m,
    struct gerr *err);

/*
 * Copy the outputs of a finished phase into the store and record them:
 * outputs are paths relative to ws_dir as make.toml lists them (a trailing
 * '/' and a leading "./" are ignored); a directory is taken whole. A
 * missing output, a symlink or special file, or more than max_bytes in
 * all is an error (nothing is recorded): GERR_NOT_FOUND, GERR_INVALID,
 * GERR_TOO_LARGE, GERR_IO. On success *out (may be NULL) gets the manifest
 * (caller frees). exit_code and tail (may be NULL) go into the manifest.
 */
int outstore_capture(struct outstore *s, const char *key, const char *phase,
    const char *ws_dir, const char *const *outputs, size_t n_outputs,
    const char *tail, size_t tail_len, struct outmanifest **out,
    struct gerr *err);

/*
 * Write m's files under ws_dir from the store through the atomic writer
 * (common/fileio: temp file beside the target, no fsync): every file is
 * written to its temp name first, and only once all are complete do they
 * take their names, so a failure leaves the old files as they were.
 * Directories are created as needed; each directory on the way is opened
 * with O_NOFOLLOW first, so a path component that is a symlink or not a
 * directory is refused (GERR_OUTSIDE_ROOT), as is a target that is a
 * directory. Restored files get m's mode. *bytes gets the bytes written.
 * GERR_NOT_FOUND (a blob vanished), GERR_INVALID (a blob from before this
 * process failed its sha256 check: the result is dropped), GERR_IO.
 */
int outstore_restore(struct outstore *s, const struct outmanifest *m,
    const char *ws_dir, uint64_t *bytes, struct gerr *err);

struct fileio_writer;
/* Writes f's bytes into w (an output's temp file); 0 or an error. */
typedef int (*outstore_fill_cb)(void *arg, const struct outmanifest_file *f,
    struct fileio_writer *w, struct gerr *err);

/*
 * As outstore_restore, with the bytes of each file coming from fill (the
 * remote client streams them from the network, verifying each sha256).
 * Every path is checked (and its temp file made) before fill is first
 * called. Needs no store.
 */
int outstore_restore_from(const struct outmanifest *m, const char *ws_dir,
    outstore_fill_cb fill, void *arg, struct gerr *err);

/*
 * Whether ws_dir holds exactly m's files by content (sizes, then sha256 of
 * each; blocking reads, worker threads only). On false, *why (may be
 * NULL) names the first path that differs (borrowed from m).
 */
bool outstore_matches(const struct outmanifest *m, const char *ws_dir,
    const char **why);

/*
 * Whether ws_dir holds m's files as regular files of m's sizes (lstat
 * only, no reading). On false, *why (may be NULL) names the first path
 * that differs (borrowed from m).
 */
bool outstore_present(const struct outmanifest *m, const char *ws_dir,
    const char **why);

#endif
