/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cachekey.h - the SHA-256 cache key of a phase (doc/ARCHITECTURE.md 7).
 *
 * Preimage, fed in this order:
 *   phase name
 *   "\n" + cmd                     for each command, in declared order
 *   "\n" + k + "=" + v             for each env pair, sorted by key
 *   "\n" + path + "\0" + hash_hex  for each input file, sorted by path
 * The key is the lowercase hex SHA-256 of that byte string. With no env and
 * no inputs it equals ggen's own key ("format\ncargo fmt" ->
 * 979c06fb...).
 *
 * Sorting is by bytes (strcmp). The incremental builder does not sort: the
 * caller feeds env pairs and inputs already in order (the engine walks its
 * sorted file table without copying) and the builder refuses anything out
 * of order or duplicated, so two callers can never produce two keys for one
 * phase state. cachekey_compute sorts for callers that hold plain arrays.
 *
 * Thread: a builder belongs to one thread at a time; distinct builders may
 * be used concurrently.
 */
#ifndef GGEN_CACHEKEY_H
#define GGEN_CACHEKEY_H

#include <stddef.h>

#include "gerr.h"

/* Lowercase hex SHA-256 plus NUL. */
#define CACHEKEY_HEX_SIZE 65

enum cachekey_stage {
	CACHEKEY_STAGE_COMMANDS = 0,
	CACHEKEY_STAGE_ENV,
	CACHEKEY_STAGE_INPUTS,
	CACHEKEY_STAGE_DONE,
};

struct cachekey {
	void *md;			/* EVP_MD_CTX, opaque to keep OpenSSL out */
	enum cachekey_stage stage;
	char *last;			/* previous env key or input path (owned) */
	int failed;			/* first error code seen, sticky */
};

/* A key=value pair for cachekey_compute (both borrowed). */
struct cachekey_env {
	const char *key;
	const char *value;
};

/* A path and its content hash in hex for cachekey_compute (both borrowed). */
struct cachekey_input {
	const char *path;
	const char *hash_hex;
};

/*
 * Start a key for phase (borrowed for the call). Returns 0, or GERR_INTERNAL
 * when libcrypto cannot provide SHA-256. On error ck holds nothing to free,
 * but cachekey_release is still safe.
 */
int cachekey_begin(struct cachekey *ck, const char *phase, struct gerr *err);
/* Add one command (borrowed; may be empty). Commands come before env. */
int cachekey_add_command(struct cachekey *ck, const char *cmd,
    struct gerr *err);
/*
 * Add one env pair (borrowed). Keys must arrive strictly increasing by
 * strcmp: an equal or smaller key is GERR_INVALID naming both keys; after an
 * input was added it is GERR_INTERNAL. Errors are sticky: cachekey_finish
 * then fails too.
 */
int cachekey_add_env(struct cachekey *ck, const char *key, const char *value,
    struct gerr *err);
/*
 * Add one input file (borrowed): its path relative to the workspace and the
 * hex of its content hash. Paths must be strictly increasing by strcmp
 * (GERR_INVALID otherwise). A path may contain any byte but NUL.
 */
int cachekey_add_input(struct cachekey *ck, const char *path,
    const char *hash_hex, struct gerr *err);
/*
 * Write the key into hex (caller-owned, CACHEKEY_HEX_SIZE bytes) and
 * release ck. Returns 0, or the first error of an earlier call.
 */
int cachekey_finish(struct cachekey *ck, char hex[CACHEKEY_HEX_SIZE],
    struct gerr *err);
/* Drop an unfinished builder (after an error). Safe to call twice. */
void cachekey_release(struct cachekey *ck);

/*
 * One shot: the key for phase, ncmds commands in order, nenv env pairs and
 * ninputs inputs in any order (sorted here; arrays borrowed, not modified).
 * A duplicated env key or input path is GERR_INVALID.
 */
int cachekey_compute(const char *phase, const char *const *cmds, size_t ncmds,
    const struct cachekey_env *env, size_t nenv,
    const struct cachekey_input *inputs, size_t ninputs,
    char hex[CACHEKEY_HEX_SIZE], struct gerr *err);

#endif
