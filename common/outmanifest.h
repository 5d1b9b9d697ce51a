/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * outmanifest.h - the action result of a cached phase: which output files
 * it produced (path relative to the phase's workspace, mode, size,
 * sha256), its exit status and output tail. Stored as JSON in the local
 * output store (STATE_DIR/outstore/ac/KEY) and on a remote cache as
 * {url}/ac/KEY; the format is documented in doc/remote-cache.md.
 *
 * A manifest is untrusted input (it may come from any cache server):
 * outmanifest_parse refuses absolute paths, "." / ".." / empty components,
 * duplicate paths, a path that is also a directory of another, bad modes,
 * bad sha256 names and anything over the caps below or the caller's
 * byte budget. Symlinks on disk are the restorer's check (daemon/outstore).
 *
 * Ownership: a struct outmanifest owns all its strings. Any thread; no
 * global state.
 */
#ifndef GGEN_OUTMANIFEST_H
#define GGEN_OUTMANIFEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gerr.h"
#include "sha256.h"

#define OUTMANIFEST_VERSION 1
/* Largest manifest text accepted. */
#define OUTMANIFEST_TEXT_MAX (4u << 20)
/* Files per manifest. */
#define OUTMANIFEST_FILES_MAX 20000
/* Bytes of one path. */
#define OUTMANIFEST_PATH_MAX 4096
/* Output tail kept. */
#define OUTMANIFEST_TAIL_MAX (64u * 1024)

struct outmanifest_file {
	char *path;		/* relative, validated */
	unsigned mode;		/* permission bits only (0 .. 0777) */
	uint64_t size;
	char sha256[SHA256_HEX_SIZE];
};

struct outmanifest {
	char *key;		/* the action key (hex) */
	char *phase;		/* for people reading the server; not trusted */
	int exit_code;
	char *output_tail;	/* NULL = none */
	struct outmanifest_file *files;	/* sorted by path (strcmp) */
	size_t n_files, cap;
	uint64_t total_bytes;	/* sum of sizes */
};

/* A new empty manifest for key and phase (both copied). */
struct outmanifest *outmanifest_new(const char *key, const char *phase);
void outmanifest_free(struct outmanifest *m);

/*
 * Check one relative path: non-empty, at most OUTMANIFEST_PATH_MAX bytes,
 * not absolute, no empty, "." or ".." component, no trailing '/'.
 * GERR_INVALID naming the path and the rule.
 */
int outmanifest_check_path(const char *path, struct gerr *err);

/*
 * Append a file (path copied, checked as above; sha256 must be valid hex).
 * Call outmanifest_seal after the last one. GERR_INVALID, GERR_LIMIT
 * (over OUTMANIFEST_FILES_MAX).
 */
int outmanifest_add(struct outmanifest *m, const char *path, unsigned mode,
    uint64_t size, const char *sha256, struct gerr *err);

/* Set the output tail (copied, cut to its last OUTMANIFEST_TAIL_MAX
 * bytes). */
void outmanifest_set_tail(struct outmanifest *m, const char *tail,
    size_t len);

/*
 * Sort the files and refuse duplicates and a path that is a directory of
 * another ("a" and "a/b"): GERR_INVALID naming both.
 */
int outmanifest_seal(struct outmanifest *m, struct gerr *err);

/* The manifest as one line of JSON (caller frees). m must be sealed. */
char *outmanifest_to_json(const struct outmanifest *m);

/*
 * Parse len bytes of text (need not be NUL-terminated) into a new sealed
 * manifest in *out (caller frees). want_key: when not NULL, the manifest's
 * key must equal it. max_total_bytes: refuse a manifest whose files sum to
 * more (0 = no limit). Errors: GERR_TOO_LARGE (text or total over a cap),
 * GERR_PARSE (not JSON), GERR_INVALID (a field missing, mistyped or
 * refused; the message names files[i] and the field), GERR_LIMIT.
 */
int outmanifest_parse(const char *text, size_t len, const char *want_key,
    uint64_t max_total_bytes, struct outmanifest **out, struct gerr *err);

#endif
