/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tplcache.c - LRU cache of compiled .tmpl files keyed by (path, hash).
 *
 * Owns every entry: its path, compiled template, cached compile error and
 * render memo. Called by daemon/generate.c on the loop thread.
 * Invariants: at most one entry per path; entries are kept in `ents`
 * ordered by last use (the tail is the most recent), so eviction takes from
 * the front; bytes == sum of entry sizes. Linear search is fine: lookups
 * compare a 64-bit path hash first and max_entries is bounded by config.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "path.h"
#include "template_load.h"
#include "tplcache.h"
#include "xmalloc.h"

struct tplcache_slot {
	char *path;
	uint64_t path_hash;
	XXH128_hash_t hash;
	XXH128_hash_t set_hash;
	char **deps;		/* absolute paths of loaded templates */
	XXH128_hash_t *dep_hashes;
	bool *dep_absent;	/* a name looked up there and not found */
	size_t ndeps;
	struct frontmatter_template *ft;
	struct gerr *err;
	struct tplcache_memo memo;
	size_t bytes;
};

struct tplcache {
	struct tplcache_slot *ents;	/* LRU order, most recent last */
	size_t len, cap;
	size_t bytes, max_entries, max_bytes;
	uint64_t hits, misses, compiles, evictions;
};

struct tplcache *
tplcache_new(size_t max_entries, size_t max_bytes)
{
	struct tplcache *c = xcalloc(1, sizeof(*c));

	tplcache_set_limits(c, max_entries, max_bytes);
	return c;
}

static void
tplcache_slot_release(struct tplcache_slot *s, bool keep_memo)
{
	free(s->path);
	for (size_t i = 0; i < s->ndeps; i++)
		free(s->deps[i]);
	free(s->deps);
	free(s->dep_hashes);
	free(s->dep_absent);
	frontmatter_template_free(s->ft);
	free(s->err);
	if (!keep_memo)
		free(s->memo.out_path);
}

void
tplcache_free(struct tplcache *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->len; i++)
		tplcache_slot_release(&c->ents[i], false);
	free(c->ents);
	free(c);
}

static void
tplcache_check(const struct tplcache *c)
{
#ifndef NDEBUG
	size_t sum = 0;

	for (size_t i = 0; i < c->len; i++)
		sum += c->ents[i].bytes;
	assert(sum == c->bytes);
	assert(c->len <= c->max_entries);
#else
	(void)c;
#endif
}

static ptrdiff_t
tplcache_find(const struct tplcache *c, const char *path, uint64_t ph)
{
	for (size_t i = c->len; i-- > 0;)
		if (c->ents[i].path_hash == ph &&
		    strcmp(c->ents[i].path, path) == 0)
			return (ptrdiff_t)i;
	return -1;
}

/* Take slot i out (moving later ones down); returns it by value. */
static struct tplcache_slot
tplcache_take(struct tplcache *c, size_t i)
{
	struct tplcache_slot s = c->ents[i];

	memmove(&c->ents[i], &c->ents[i + 1], (c->len - i - 1) *
	    sizeof(*c->ents));
	c->len--;
	c->bytes -= s.bytes;
	return s;
}

static void
tplcache_fill(const struct tplcache_slot *s, struct tplcache_entry *out)
{
	out->set_hash = s->set_hash;
	out->ft = s->ft;
	out->err = s->err;
	out->memo = (struct tplcache_memo *)&s->memo;
}

/* Evict least recently used entries until extra_entries more entries of
 * extra_bytes more bytes fit (or the cache is empty). */
static void
tplcache_evict(struct tplcache *c, size_t extra_entries, size_t extra_bytes)
{
	while (c->len > 0 && (c->len + extra_entries > c->max_entries ||
	    c->bytes + extra_bytes > c->max_bytes)) {
		struct tplcache_slot old = tplcache_take(c, 0);

		tplcache_slot_release(&old, false);
		c->evictions++;
	}
}

void
tplcache_set_limits(struct tplcache *c, size_t max_entries, size_t max_bytes)
{
	c->max_entries = max_entries ? max_entries :
	    TPLCACHE_DEFAULT_MAX_ENTRIES;
	c->max_bytes = max_bytes ? max_bytes : TPLCACHE_DEFAULT_MAX_BYTES;
	tplcache_evict(c, 0, 0);
	tplcache_check(c);
}

/* Every dependency of s still has the content it was compiled with. */
static bool
tplcache_deps_fresh(const struct tplcache_slot *s,
    const struct tplcache_io *io)
{
	XXH128_hash_t now;

	if (io == NULL || io->hash == NULL)
		return true;
	for (size_t i = 0; i < s->ndeps; i++) {
		bool exists = io->hash(io->ctx, s->deps[i], &now);

		if (s->dep_absent[i] ? exists : (!exists ||
		    !XXH128_isEqual(now, s->dep_hashes[i])))
			return false;
	}
	return true;
}

bool
tplcache_lookup(struct tplcache *c, const char *path, const XXH128_hash_t *h,
    struct tplcache_entry *out)
{
	return tplcache_lookup_io(c, path, h, NULL, out);
}

bool
tplcache_lookup_io(struct tplcache *c, const char *path,
    const XXH128_hash_t *h, const struct tplcache_io *io,
    struct tplcache_entry *out)
{
	uint64_t ph = XXH3_64bits(path, strlen(path));
	ptrdiff_t i = tplcache_find(c, path, ph);
	struct tplcache_slot s;

	if (i < 0 || !XXH128_isEqual(c->ents[i].hash, *h) ||
	    !tplcache_deps_fresh(&c->ents[i], io)) {
		c->misses++;
		return false;
	}
	c->hits++;
	/* Move to the most recent end. */
	s = tplcache_take(c, (size_t)i);
	c->ents[c->len++] = s;
	c->bytes += s.bytes;
	tplcache_fill(&c->ents[c->len - 1], out);
	return true;
}

/* The loader of one put: the file-system loader below io->base, which
 * records what it loaded in the slot being built. */
struct tplcache_loading {
	const struct tplcache_io *io;
	struct template_fs_loader fs;
	struct tplcache_slot *s;
};

/* Record dependency abs (TAKEN) of slot s: its content hash, or absent. */
static void
tplcache_dep_add(struct tplcache_slot *s, char *abs, XXH128_hash_t h,
    bool absent)
{
	s->deps = xreallocarray(s->deps, s->ndeps + 1, sizeof *s->deps);
	s->dep_hashes = xreallocarray(s->dep_hashes, s->ndeps + 1,
	    sizeof *s->dep_hashes);
	s->dep_absent = xreallocarray(s->dep_absent, s->ndeps + 1,
	    sizeof *s->dep_absent);
	s->deps[s->ndeps] = abs;
	s->dep_hashes[s->ndeps] = h;
	s->dep_absent[s->ndeps++] = absent;
}

/*
 * Every place name was looked for before it was found (all of them when it
 * was not) is an absent dependency: a file created there later changes
 * what the template loads (`ignore missing`, a missing include, a name
 * shadowing one from the template directories).
 */
static void
tplcache_dep_misses(struct tplcache_loading *l, const char *from_abs,
    const char *name, const char *found)
{
	char *dir = xstrndup(from_abs, path_dirname_len(from_abs));
	XXH128_hash_t none = { 0, 0 };

	for (size_t i = 0; i <= l->fs.ndirs; i++) {
		char *j = path_join(i == 0 ? dir : l->fs.dirs[i - 1], name);
		char *cand = path_normalize(j);

		free(j);
		if (found != NULL && strcmp(cand, found) == 0) {
			free(cand);
			break;
		}
		tplcache_dep_add(l->s, cand, none, true);
	}
	free(dir);
}

static int
tplcache_load(void *ctx, const char *from, const char *name, char **src,
    size_t *len, char **resolved, struct gerr *err)
{
	struct tplcache_loading *l = ctx;
	char *from_abs = path_join(l->io->base, from);
	char *abs = NULL;
	int rc;

	/* Read below base, report names relative to it (as the template's
	 * own name is). */
	rc = template_fs_load(&l->fs, from_abs, name, src, len, &abs, err);
	if (rc == 0 || rc == GERR_NOT_FOUND)
		tplcache_dep_misses(l, from_abs, name, abs);
	free(from_abs);
	if (rc != 0)
		return rc;
	if (path_relative(l->io->base, abs, resolved, NULL) != 0)
		*resolved = xstrdup(abs);
	tplcache_dep_add(l->s, abs, XXH3_128bits(*src, *len), false);
	return 0;
}

int
tplcache_put(struct tplcache *c, const char *path, const char *name,
    const XXH128_hash_t *h, const char *src, size_t len,
    struct tplcache_entry *out)
{
	return tplcache_put_io(c, path, name, h, src, len, NULL, out);
}

size_t
tplcache_deps(const struct tplcache *c, const char *path,
    const char *const **out)
{
	ptrdiff_t i = tplcache_find(c, path, XXH3_64bits(path, strlen(path)));

	*out = NULL;
	if (i < 0)
		return 0;
	*out = (const char *const *)c->ents[i].deps;
	return c->ents[i].ndeps;
}

int
tplcache_put_io(struct tplcache *c, const char *path, const char *name,
    const XXH128_hash_t *h, const char *src, size_t len,
    const struct tplcache_io *io, struct tplcache_entry *out)
{
	uint64_t ph = XXH3_64bits(path, strlen(path));
	ptrdiff_t i = tplcache_find(c, path, ph);
	struct tplcache_slot s;
	struct gerr err;

	memset(&s, 0, sizeof(s));
	if (i >= 0) {
		struct tplcache_slot old = tplcache_take(c, (size_t)i);

		s.memo = old.memo;
		tplcache_slot_release(&old, true);
	}
	gerr_clear(&err);
	c->compiles++;
	{
		struct tplcache_loading l = { .io = io, .s = &s };
		struct template_loader loader = { .load = tplcache_load,
			.ctx = &l };
		XXH3_state_t *st = XXH3_createState();

		/* Template directories are relative to base: make them
		 * absolute for the file-system loader. */
		char **dirs = io != NULL && io->ndirs > 0 ?
		    xcalloc(io->ndirs, sizeof *dirs) : NULL;

		for (size_t k = 0; dirs != NULL && k < io->ndirs; k++)
			dirs[k] = path_join(io->base, io->dirs[k]);
		l.fs.dirs = (const char *const *)dirs;
		l.fs.ndirs = dirs != NULL ? io->ndirs : 0;
		if (frontmatter_compile_with(src, len, name, io != NULL ?
		    &loader : NULL, &s.ft, &err) != 0) {
			s.ft = NULL;
			s.err = xmemdup(&err, sizeof(err));
		}
		for (size_t k = 0; dirs != NULL && k < io->ndirs; k++)
			free(dirs[k]);
		free(dirs);
		XXH3_128bits_reset(st);
		XXH3_128bits_update(st, h, sizeof *h);
		for (size_t k = 0; k < s.ndeps; k++) {
			if (s.dep_absent[k])
				continue;
			XXH3_128bits_update(st, s.deps[k], strlen(s.deps[k]));
			XXH3_128bits_update(st, &s.dep_hashes[k],
			    sizeof s.dep_hashes[k]);
		}
		s.set_hash = s.ndeps > 0 ? XXH3_128bits_digest(st) : *h;
		XXH3_freeState(st);
	}
	s.path = xstrdup(path);
	s.path_hash = ph;
	s.hash = *h;
	s.bytes = len + strlen(path) + sizeof(s);
	tplcache_evict(c, 1, s.bytes);
	if (c->len == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 16;
		c->ents = xreallocarray(c->ents, c->cap, sizeof(*c->ents));
	}
	c->ents[c->len++] = s;
	c->bytes += s.bytes;
	tplcache_check(c);
	tplcache_fill(&c->ents[c->len - 1], out);
	return 0;
}

struct tplcache_memo *
tplcache_memo(struct tplcache *c, const char *path, const XXH128_hash_t *h)
{
	ptrdiff_t i = tplcache_find(c, path, XXH3_64bits(path, strlen(path)));

	if (i < 0 || !XXH128_isEqual(c->ents[i].set_hash, *h))
		return NULL;
	return &c->ents[i].memo;
}

void
tplcache_stats(const struct tplcache *c, struct tplcache_stats *out)
{
	out->entries = c->len;
	out->bytes = c->bytes;
	out->max_entries = c->max_entries;
	out->max_bytes = c->max_bytes;
	out->hits = c->hits;
	out->misses = c->misses;
	out->compiles = c->compiles;
	out->evictions = c->evictions;
}
