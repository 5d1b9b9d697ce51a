/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tplcache.h - the daemon's compiled templates, keyed by path and content
 * hash (XXH3-128, the file table's), bounded by entry count and source
 * bytes (least recently used out first).
 *
 * An entry also remembers what its template last produced (the render
 * memo: vars fingerprint, output path and output hash), so the generate
 * step can tell that nothing a template reads has changed and skip it.
 * A compile error is cached like a template (same source, same error):
 * an unchanged broken file is never recompiled.
 *
 * Ownership: the cache owns entries and compiled templates. In a struct
 * tplcache_entry, ft and err stay valid until the entry is evicted or
 * replaced (a later tplcache_put) or the cache is freed; memo only until
 * the next tplcache_lookup/tplcache_put (entries move). Loop thread only.
 */
#ifndef GGEN_TPLCACHE_H
#define GGEN_TPLCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <xxhash.h>

#include "frontmatter.h"
#include "gerr.h"

#define TPLCACHE_DEFAULT_MAX_ENTRIES 1024
#define TPLCACHE_DEFAULT_MAX_BYTES (64u << 20)

struct tplcache;

struct tplcache_memo {
	bool valid;
	XXH128_hash_t src_hash;	/* the source it was rendered from */
	XXH128_hash_t vars_fp;	/* fingerprint of the variables rendered with */
	XXH128_hash_t out_hash;	/* content of the output it left */
	char *out_path;		/* absolute; owned by the entry */
};

struct tplcache_entry {
	/* The hash of the whole set: the file's and those of every template
	 * it includes, imports or extends (memos compare this). */
	XXH128_hash_t set_hash;
	const struct frontmatter_template *ft;	/* NULL when compile failed */
	const struct gerr *err;			/* the compile error, or NULL */
	struct tplcache_memo *memo;		/* mutable by the caller */
};

struct tplcache_stats {
	size_t entries, bytes;
	size_t max_entries, max_bytes;
	uint64_t hits, misses, compiles, evictions;
};

/*
 * How an entry's dependencies (included, imported, extended templates) are
 * read when compiling and checked on lookup: names resolve relative to the
 * including template, then below dirs, all relative to base (a directory;
 * the template's own name is relative to it too). hash gives the current
 * content hash of an absolute path (false: gone or unreadable).
 */
struct tplcache_io {
	bool (*hash)(void *ctx, const char *abs, XXH128_hash_t *out);
	void *ctx;
	const char *base;
	const char *const *dirs;
	size_t ndirs;
};

/* 0 = default for either cap. */
struct tplcache *tplcache_new(size_t max_entries, size_t max_bytes);
void tplcache_free(struct tplcache *c);
/* New caps (0 = default); entries over them are evicted at once. */
void tplcache_set_limits(struct tplcache *c, size_t max_entries,
    size_t max_bytes);

/*
 * Entry for path whose content hash is h: true and *out filled on a hit
 * (counted), false on a miss (counted; an entry of path with another hash
 * stays until tplcache_put replaces it). path borrowed.
 */
bool tplcache_lookup(struct tplcache *c, const char *path,
    const XXH128_hash_t *h, struct tplcache_entry *out);
/* The same, and a hit only if every dependency still has the hash it was
 * compiled with (io->hash); io NULL: dependencies are not checked. */
bool tplcache_lookup_io(struct tplcache *c, const char *path,
    const XXH128_hash_t *h, const struct tplcache_io *io,
    struct tplcache_entry *out);

/*
 * Compile src (len bytes, content hash h; borrowed) under the key path and
 * store it (name, borrowed, is the file name its errors carry),
 * evicting least recently used entries over the caps (an entry larger than
 * max_bytes alone is still stored, as the only one). The memo of an older
 * entry for path is kept (its output is still on disk). Always returns 0
 * and fills *out; a compile error is in out->err.
 */
int tplcache_put(struct tplcache *c, const char *path, const char *name,
    const XXH128_hash_t *h, const char *src, size_t len,
    struct tplcache_entry *out);
/* The same, loading dependencies through io (NULL: none can be loaded)
 * and recording each one's path and content hash. */
int tplcache_put_io(struct tplcache *c, const char *path, const char *name,
    const XXH128_hash_t *h, const char *src, size_t len,
    const struct tplcache_io *io, struct tplcache_entry *out);
/* Dependencies of path's current entry (absolute paths, borrowed until
 * the next put/eviction), the places where a name was looked for and not
 * found included: count, or 0 when there is no entry. */
size_t tplcache_deps(const struct tplcache *c, const char *path,
    const char *const **out);

/* The memo of path's entry when its set_hash is h, else NULL; not counted
 * as a lookup. Borrowed until the next tplcache_lookup/tplcache_put. */
struct tplcache_memo *tplcache_memo(struct tplcache *c, const char *path,
    const XXH128_hash_t *h);

void tplcache_stats(const struct tplcache *c, struct tplcache_stats *out);

#endif
