/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * remote.h - a client of Bazel's HTTP remote-cache protocol: GET/PUT
 * {url}/cas/{sha256} for blobs and {url}/ac/{key} for manifests
 * (doc/remote-cache.md), over libcurl.
 *
 * The remote is optional and never trusted: every transfer has a timeout
 * and a size cap, blobs are verified by sha256 as they land in the local
 * store, manifests are validated by common/outmanifest. A failure (down,
 * timeout, 4xx other than 404, 5xx, a cut transfer, a bad blob) is counted,
 * logged once as a warning while the remote is unreachable, and starts a
 * backoff (1 s doubling to 5 min) during which remote calls return
 * GERR_BUSY at once; the first success clears it.
 *
 * Threads: remote_new/free/configure/stats_json on the loop; the transfer
 * calls block and run on worker threads, each with its own
 * struct remote_conn (one libcurl easy handle: connections are reused).
 * Settings and counters are under one mutex.
 */
#ifndef GGEN_REMOTE_H
#define GGEN_REMOTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "gerr.h"
#include "outmanifest.h"
#include "outstore.h"

/* Headers file: at most this many bytes and lines. */
#define REMOTE_HEADERS_MAX_BYTES 16384
#define REMOTE_HEADERS_MAX 32

struct remote_settings {
	const char *url;		/* "" = no remote */
	bool read, write;
	uint64_t timeout_ms;
	uint64_t max_bytes;		/* per blob and per manifest total */
	const char *headers_file;	/* "" = none */
};

struct remote;
struct remote_conn;

/* Calls curl_global_init: create before any worker thread exists. */
struct remote *remote_new(void);
void remote_free(struct remote *r);

/*
 * Apply settings (borrowed for the call). The headers file is read here:
 * it must be a regular file owned by this user with no group or other
 * permission bits (0600), holding "Name: value" lines; otherwise the
 * remote is disabled and the reason shows as last_error (and the log).
 * Returns 0 or the reason's code (GERR_PERMISSION, GERR_IO, GERR_INVALID).
 */
int remote_configure(struct remote *r, const struct remote_settings *s,
    struct gerr *err);

/* Whether reads / writes are configured and not in backoff. */
bool remote_can_read(struct remote *r);
bool remote_can_write(struct remote *r);

struct remote_conn *remote_conn_new(struct remote *r);
void remote_conn_free(struct remote_conn *c);

/*
 * The manifest of key, validated (caller frees *out). GERR_NOT_FOUND on a
 * 404 (a miss); GERR_INVALID for a refused manifest; GERR_BUSY in backoff;
 * GERR_IO / GERR_TIMEOUT / GERR_TOO_LARGE on transfer failures.
 */
int remote_get_manifest(struct remote_conn *c, const char *key,
    struct outmanifest **out, struct gerr *err);

/* Download blob sha (size bytes) into the local store, verifying it.
 * GERR_INVALID when its content does not hash to sha (discarded). */
int remote_get_blob(struct remote_conn *c, const char *sha, uint64_t size,
    struct outstore *store, struct gerr *err);

/* Download blob sha (size bytes) straight into w (an output's temp
 * file), verifying it: GERR_INVALID when its content does not hash to
 * sha (the caller aborts w). */
int remote_get_blob_into(struct remote_conn *c, const char *sha,
    uint64_t size, struct fileio_writer *w, struct gerr *err);

/* Upload m's blobs from the store (skipping ones the server has, by HEAD)
 * then m itself. */
int remote_put_result(struct remote_conn *c, const struct outmanifest *m,
    struct outstore *store, struct gerr *err);

/* Count a remote hit (the whole result restored) or miss. */
void remote_count(struct remote *r, bool hit);

/* {"url", "read", "write", "reachable", "hits", ...} (new object). */
cJSON *remote_stats_json(struct remote *r);

#endif
