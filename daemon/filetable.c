/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * filetable.c - path -> (dev, ino, size, mtime_ns, ctime_ns, XXH3-128 hash,
 * change clock) for one root; directories also hold their inotify wd.
 *
 * Owns: the entries (in fixed-size pages, so growth never moves them and has
 * at most one page of slack), the path strings (packed in 64 KiB blocks,
 * compacted when freed ones outweigh live ones), the path index (open
 * addressing, linear probing, backward-shift deletion: no deleted markers),
 * the wd index, and two clock-ordered doubly linked lists threaded through
 * the entries by 32-bit ids: live entries and tombstones.
 * Called by: the loop thread only (watch code, hash results drained from the
 * pool, request handlers). Nothing here locks, blocks or does I/O.
 *
 * Invariants (filetable_check verifies them):
 * - hash and wd share their bytes (the entry is 96 bytes, not 104): wd is
 *   read or written only for a FILETABLE_DIR, hash only for a
 *   FILETABLE_FILE; a kind change goes through filetable_kill, which resets
 *   a dir's wd before the bytes can be read as a hash.
 * - A stored hash belongs to the stored stat tuple: FILETABLE_F_HASH_KNOWN is
 *   set only by filetable_set_hash with a tuple equal to st, and any tuple
 *   change clears it. A result for an outdated tuple is dropped.
 * - The clock only grows. Each list is ordered by entry clock, oldest at the
 *   head: stamping moves an entry to the tail of its list, so walking from
 *   the tail until clock <= since visits exactly the changes (O(changes)).
 * - A content change is a hash change, not a stat change: a touch with
 *   identical content stamps nothing.
 * - At most max_tombstones tombstones; trimming the oldest raises
 *   trimmed_clock, and a since below it gets a "fresh" answer.
 * Never: store a path with a leading '/', follow the filesystem, or free an
 * entry while it is in a list or an index.
 */
#include "filetable.h"

#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "wdmap.h"
#include "xmalloc.h"

#define FILETABLE_PAGE_SHIFT 10
#define FILETABLE_PAGE_SIZE (1u << FILETABLE_PAGE_SHIFT)
#define FILETABLE_NIL UINT32_MAX
/* Grow an index past 70% load: linear probing stays short below that. */
#define FILETABLE_LOAD_NUM 7
#define FILETABLE_LOAD_DEN 10
#define FILETABLE_INDEX_MIN 64
#define FILETABLE_NAME_BLOCK (64 * 1024)
/*
 * An index slot holds id + 1 in its low FILETABLE_ID_BITS bits and, above
 * them, the top bits of the path's hash: a probe passes over most other
 * paths without reading their entries (a cache miss each, in a big
 * table: a restart's restore probes a million of them).
 */
#define FILETABLE_ID_BITS 27
#define FILETABLE_ID_MASK ((UINT32_C(1) << FILETABLE_ID_BITS) - 1)

/* The memory budget (issue 4) counts on this; a new field must pay for
 * itself elsewhere. */
_Static_assert(sizeof(void *) != 8 || sizeof(struct filetable_entry) == 96,
    "struct filetable_entry is 96 bytes on LP64");

struct filetable_list {
	uint32_t head, tail;
};

struct filetable {
	struct filetable_entry **pages;
	size_t npages;
	uint32_t next_id;	/* ids below it have been handed out */
	uint32_t free_head;	/* freed ids, linked through next */

	uint32_t *index;	/* filetable_slot(id, hash); 0 = empty */
	size_t index_size;	/* power of two */
	size_t index_used;

	struct wdmap wds;	/* wd -> entry id of a watched dir */

	struct filetable_list live, tomb;
	uint64_t clock;
	uint64_t trimmed_clock;	/* newest clock of a trimmed tombstone */
	/* Changes a snapshot records that do not move the clock (see
	 * filetable_edits). */
	uint64_t edits;
	size_t max_tombstones;

	size_t nfiles, ndirs, ntomb, npending, nhash_errors;
	size_t nwatched, npolled;	/* live dirs by wd */

	/* Path strings, packed end to end in blocks: no malloc header per
	 * name. Freed names are garbage until a compaction copies the live
	 * ones into fresh blocks. */
	char **name_blocks;
	size_t *name_block_sizes;
	size_t nname_blocks;
	size_t name_fill;	/* bytes used in the last block */
	size_t names_total;	/* bytes of all blocks */
	size_t names_live;	/* strlen + 1 of every stored path */
	size_t names_garbage;	/* strlen + 1 of freed paths */

	/* Restored directories' children (filetable_restore_children):
	 * kids[kid_off[d]..kid_off[d + 1]) are dir d's, for d < nkid_off - 1. */
	uint32_t *kid_off;
	uint32_t *kids;
	size_t nkid_off;
};

static struct filetable_entry *
filetable_entry_at(const struct filetable *t, uint32_t id)
{
	return &t->pages[id >> FILETABLE_PAGE_SHIFT][id & (FILETABLE_PAGE_SIZE - 1)];
}

static uint32_t
filetable_hash_path(const char *path, size_t len)
{
	uint64_t h = XXH3_64bits(path, len);

	return (uint32_t)(h ^ (h >> 32));
}

static bool
filetable_stat_equal(const struct filetable_stat *a,
    const struct filetable_stat *b)
{
	return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
	    a->mtime_ns == b->mtime_ns && a->ctime_ns == b->ctime_ns;
}

void
filetable_stat_from(struct filetable_stat *out, const struct stat *st)
{
	out->dev = (uint64_t)st->st_dev;
	out->ino = (uint64_t)st->st_ino;
	out->size = (int64_t)st->st_size;
	out->mtime_ns = (int64_t)st->st_mtim.tv_sec * 1000000000 +
	    st->st_mtim.tv_nsec;
	out->ctime_ns = (int64_t)st->st_ctim.tv_sec * 1000000000 +
	    st->st_ctim.tv_nsec;
}

struct filetable *
filetable_new(const struct filetable_config *cfg)
{
	struct filetable *t = xcalloc(1, sizeof(*t));

	t->free_head = FILETABLE_NIL;
	t->live.head = t->live.tail = FILETABLE_NIL;
	t->tomb.head = t->tomb.tail = FILETABLE_NIL;
	t->max_tombstones = cfg != NULL ? cfg->max_tombstones :
	    FILETABLE_DEFAULT_MAX_TOMBSTONES;
	t->index_size = FILETABLE_INDEX_MIN;
	t->index = xcalloc(t->index_size, sizeof(*t->index));
	wdmap_init(&t->wds);
	return t;
}

void
filetable_free(struct filetable *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < t->nname_blocks; i++)
		free(t->name_blocks[i]);
	free(t->name_blocks);
	free(t->name_block_sizes);
	for (size_t i = 0; i < t->npages; i++)
		free(t->pages[i]);
	free(t->pages);
	free(t->index);
	wdmap_release(&t->wds);
	filetable_drop_children(t);
	free(t);
}

/* ---- names ---- */

static void
filetable_name_block(struct filetable *t, size_t size)
{
	t->name_blocks = xreallocarray(t->name_blocks, t->nname_blocks + 1,
	    sizeof(*t->name_blocks));
	t->name_block_sizes = xreallocarray(t->name_block_sizes,
	    t->nname_blocks + 1, sizeof(*t->name_block_sizes));
	t->name_blocks[t->nname_blocks] = xmalloc(size);
	t->name_block_sizes[t->nname_blocks++] = size;
	t->names_total += size;
	t->name_fill = 0;
}

static char *
filetable_name_store(struct filetable *t, const char *path, size_t len)
{
	char *p;

	if (t->nname_blocks == 0 || len + 1 >
	    t->name_block_sizes[t->nname_blocks - 1] - t->name_fill)
		filetable_name_block(t, len + 1 > FILETABLE_NAME_BLOCK ?
		    len + 1 : FILETABLE_NAME_BLOCK);
	p = t->name_blocks[t->nname_blocks - 1] + t->name_fill;
	memcpy(p, path, len + 1);
	t->name_fill += len + 1;
	t->names_live += len + 1;
	return p;
}

/*
 * Once freed names outweigh live ones, copy the live ones into new blocks.
 * Moves every path: only called at the end of a mutating public function,
 * when no pointer into the table is held (header: borrowed until the next
 * mutation).
 */
static void
filetable_name_compact(struct filetable *t)
{
	char **old = t->name_blocks;
	size_t *old_sizes = t->name_block_sizes, nold = t->nname_blocks;

	if (t->names_garbage < FILETABLE_NAME_BLOCK ||
	    t->names_garbage < t->names_live)
		return;
	t->name_blocks = NULL;
	t->name_block_sizes = NULL;
	t->nname_blocks = 0;
	t->names_total = t->names_live = t->names_garbage = 0;
	for (uint32_t id = 0; id < t->next_id; id++) {
		struct filetable_entry *e = filetable_entry_at(t, id);

		if (e->path != NULL)
			e->path = filetable_name_store(t, e->path,
			    strlen(e->path));
	}
	for (size_t i = 0; i < nold; i++)
		free(old[i]);
	free(old);
	free(old_sizes);
}

/* ---- ids ---- */

static uint32_t
filetable_alloc_id(struct filetable *t)
{
	uint32_t id;

	if (t->free_head != FILETABLE_NIL) {
		id = t->free_head;
		t->free_head = filetable_entry_at(t, id)->next;
		return id;
	}
	if (t->next_id >= FILETABLE_ID_MASK - 1)
		fatal("filetable: more than %u entries", FILETABLE_ID_MASK - 1);
	id = t->next_id++;
	if ((id >> FILETABLE_PAGE_SHIFT) >= t->npages) {
		t->pages = xreallocarray(t->pages, t->npages + 1,
		    sizeof(*t->pages));
		t->pages[t->npages++] = xmalloc(FILETABLE_PAGE_SIZE *
		    sizeof(struct filetable_entry));
	}
	return id;
}

static void
filetable_free_id(struct filetable *t, uint32_t id)
{
	struct filetable_entry *e = filetable_entry_at(t, id);

	t->names_garbage += strlen(e->path) + 1;
	t->names_live -= strlen(e->path) + 1;
	e->path = NULL;
	e->next = t->free_head;
	t->free_head = id;
}

/* ---- lists ---- */

static void
filetable_list_unlink(struct filetable *t, struct filetable_list *l,
    uint32_t id)
{
	struct filetable_entry *e = filetable_entry_at(t, id);

	if (e->prev != FILETABLE_NIL)
		filetable_entry_at(t, e->prev)->next = e->next;
	else
		l->head = e->next;
	if (e->next != FILETABLE_NIL)
		filetable_entry_at(t, e->next)->prev = e->prev;
	else
		l->tail = e->prev;
	e->prev = e->next = FILETABLE_NIL;
}

static void
filetable_list_append(struct filetable *t, struct filetable_list *l,
    uint32_t id)
{
	struct filetable_entry *e = filetable_entry_at(t, id);

	e->next = FILETABLE_NIL;
	e->prev = l->tail;
	if (l->tail != FILETABLE_NIL)
		filetable_entry_at(t, l->tail)->next = id;
	else
		l->head = id;
	l->tail = id;
}

/* Stamp a change: new clock, move to the tail of its (live) list. */
static void
filetable_stamp(struct filetable *t, uint32_t id)
{
	filetable_list_unlink(t, &t->live, id);
	filetable_entry_at(t, id)->clock = ++t->clock;
	filetable_list_append(t, &t->live, id);
}

/* ---- path index ---- */


static uint32_t
filetable_slot(uint32_t id, uint32_t h)
{
	return (h & ~FILETABLE_ID_MASK) | (id + 1);
}

static uint32_t
filetable_slot_id(uint32_t slot)
{
	return (slot & FILETABLE_ID_MASK) - 1;
}

static size_t
filetable_index_find(const struct filetable *t, const char *path,
    uint32_t h)
{
	size_t mask = t->index_size - 1;

	for (size_t i = h & mask;; i = (i + 1) & mask) {
		uint32_t slot = t->index[i];
		const struct filetable_entry *e;

		if (slot == 0)
			return i;
		if (((slot ^ h) & ~FILETABLE_ID_MASK) != 0)
			continue;
		e = filetable_entry_at(t, filetable_slot_id(slot));
		if (e->path_hash == h && strcmp(e->path, path) == 0)
			return i;
	}
}

static void
filetable_index_grow(struct filetable *t)
{
	uint32_t *old = t->index;
	size_t oldsize = t->index_size;

	t->index_size *= 2;
	t->index = xcalloc(t->index_size, sizeof(*t->index));
	for (size_t i = 0; i < oldsize; i++) {
		size_t mask = t->index_size - 1, j;

		if (old[i] == 0)
			continue;
		j = filetable_entry_at(t, filetable_slot_id(old[i]))->path_hash &
		    mask;
		while (t->index[j] != 0)
			j = (j + 1) & mask;
		t->index[j] = old[i];
	}
	free(old);
}

/* Empty slot i and shift later members of its probe run back into the gap. */
static void
filetable_index_delete(struct filetable *t, size_t i)
{
	size_t mask = t->index_size - 1;

	t->index[i] = 0;
	t->index_used--;
	for (size_t j = (i + 1) & mask; t->index[j] != 0; j = (j + 1) & mask) {
		size_t k = filetable_entry_at(t,
		    filetable_slot_id(t->index[j]))->path_hash & mask;

		/* Move j back to i only if its home k is not in (i, j]. */
		if ((j > i && (k <= i || k > j)) || (j < i && k <= i && k > j)) {
			t->index[i] = t->index[j];
			t->index[j] = 0;
			i = j;
		}
	}
}

/* ---- entries ---- */

static void
filetable_count(struct filetable *t, const struct filetable_entry *e, int d)
{
	if (e->kind == FILETABLE_DIR) {
		t->ndirs += d;
		if (e->wd >= 0)
			t->nwatched += d;
		else if (e->wd == FILETABLE_WD_POLLED)
			t->npolled += d;
		return;
	}
	t->nfiles += d;
	if (e->flags & FILETABLE_F_HASH_ERROR)
		t->nhash_errors += d;
	else if (!(e->flags & FILETABLE_F_HASH_KNOWN))
		t->npending += d;
}

/* Drop the oldest tombstones over the cap, for good. */
static void
filetable_trim(struct filetable *t)
{
	while (t->ntomb > t->max_tombstones) {
		uint32_t id = t->tomb.head;
		struct filetable_entry *e = filetable_entry_at(t, id);

		t->trimmed_clock = e->clock;
		filetable_list_unlink(t, &t->tomb, id);
		filetable_index_delete(t, filetable_index_find(t, e->path,
		    e->path_hash));
		t->ntomb--;
		filetable_free_id(t, id);
	}
	filetable_name_compact(t);
}

static void
filetable_kill(struct filetable *t, uint32_t id)
{
	struct filetable_entry *e = filetable_entry_at(t, id);

	filetable_count(t, e, -1);
	if (e->kind == FILETABLE_DIR) {
		if (e->wd >= 0)
			wdmap_del(&t->wds, e->wd);
		e->wd = FILETABLE_WD_NONE;
	}
	filetable_list_unlink(t, &t->live, id);
	/* A known hash stays known on the tombstone, so a path that comes
	 * back (an editor's rename dance) can be compared with what it was. */
	e->flags = FILETABLE_F_TOMBSTONE | (e->flags & FILETABLE_F_HASH_KNOWN);
	e->clock = ++t->clock;
	filetable_list_append(t, &t->tomb, id);
	t->ntomb++;
}

const struct filetable_entry *
filetable_lookup(const struct filetable *t, const char *path)
{
	size_t i = filetable_index_find(t, path,
	    filetable_hash_path(path, strlen(path)));
	const struct filetable_entry *e;

	if (t->index[i] == 0)
		return NULL;
	e = filetable_entry_at(t, filetable_slot_id(t->index[i]));
	return (e->flags & FILETABLE_F_TOMBSTONE) ? NULL : e;
}

/* Set a (re)born entry's kind and tuple and stamp it. */
static enum filetable_upsert_result
filetable_born(struct filetable *t, uint32_t id, enum filetable_kind kind,
    const struct filetable_stat *st)
{
	struct filetable_entry *e = filetable_entry_at(t, id);

	e->st = *st;
	e->kind = (uint8_t)kind;
	e->flags = 0;
	if (kind == FILETABLE_DIR)
		e->wd = FILETABLE_WD_NONE;
	filetable_stamp(t, id);
	e->born_clock = e->clock;
	filetable_count(t, e, +1);
	return FILETABLE_ADDED;
}

/* filetable_upsert on the existing entry id (live or a tombstone). */
static enum filetable_upsert_result
filetable_upsert_at(struct filetable *t, uint32_t id, enum filetable_kind kind,
    const struct filetable_stat *st)
{
	struct filetable_entry *e = filetable_entry_at(t, id);

	if (!(e->flags & FILETABLE_F_TOMBSTONE) && e->kind != kind)
		filetable_kill(t, id);
	if (e->flags & FILETABLE_F_TOMBSTONE) {
		filetable_list_unlink(t, &t->tomb, id);
		t->ntomb--;
		filetable_list_append(t, &t->live, id);
		return filetable_born(t, id, kind, st);
	}
	if (filetable_stat_equal(&e->st, st)) {
		e->flags &= ~FILETABLE_F_UNSEEN;
		return FILETABLE_UNCHANGED;
	}
	filetable_count(t, e, -1);
	e->st = *st;
	t->edits++;
	e->flags &= ~(FILETABLE_F_HASH_ERROR | FILETABLE_F_UNSEEN);
	if (e->flags & FILETABLE_F_HASH_KNOWN)
		e->flags = (e->flags & ~FILETABLE_F_HASH_KNOWN) |
		    FILETABLE_F_HAD_HASH;
	else if (!(e->flags & FILETABLE_F_HAD_HASH) &&
	    kind == FILETABLE_FILE)
		/* Nothing to compare the next hash with: report the write
		 * now rather than never. */
		filetable_stamp(t, id);
	filetable_count(t, e, +1);
	return FILETABLE_STAT_CHANGED;
}

static enum filetable_upsert_result
filetable_upsert_path(struct filetable *t, const char *path,
    enum filetable_kind kind, const struct filetable_stat *st, uint32_t *idp)
{
	size_t len = strlen(path);
	uint32_t h = filetable_hash_path(path, len);
	size_t i = filetable_index_find(t, path, h);
	struct filetable_entry *e;
	uint32_t id;

	if (t->index[i] != 0) {
		id = filetable_slot_id(t->index[i]);
		if (idp != NULL)
			*idp = id;
		return filetable_upsert_at(t, id, kind, st);
	}
	id = filetable_alloc_id(t);
	e = filetable_entry_at(t, id);
	memset(e, 0, sizeof(*e));
	e->path = filetable_name_store(t, path, len);
	e->path_hash = h;
	e->prev = e->next = FILETABLE_NIL;
	t->index[i] = filetable_slot(id, h);
	t->index_used++;
	filetable_list_append(t, &t->live, id);
	if (t->index_used * FILETABLE_LOAD_DEN >
	    t->index_size * FILETABLE_LOAD_NUM)
		filetable_index_grow(t);
	if (idp != NULL)
		*idp = id;
	return filetable_born(t, id, kind, st);
}

enum filetable_upsert_result
filetable_upsert(struct filetable *t, const char *path,
    enum filetable_kind kind, const struct filetable_stat *st)
{
	return filetable_upsert_path(t, path, kind, st, NULL);
}

enum filetable_upsert_result
filetable_upsert_hint(struct filetable *t, const char *path, uint32_t hint,
    enum filetable_kind kind, const struct filetable_stat *st, uint32_t *id)
{
	const struct filetable_entry *e;

	if (hint < t->next_id) {
		e = filetable_entry_at(t, hint);
		if (e->path != NULL && strcmp(e->path, path) == 0) {
			if (id != NULL)
				*id = hint;
			return filetable_upsert_at(t, hint, kind, st);
		}
	}
	return filetable_upsert_path(t, path, kind, st, id);
}

enum filetable_hash_result
filetable_set_hash(struct filetable *t, const char *path,
    const struct filetable_stat *st, XXH128_hash_t hash)
{
	struct filetable_entry *e =
	    (struct filetable_entry *)filetable_lookup(t, path);
	enum filetable_hash_result r;

	if (e == NULL || e->kind != FILETABLE_FILE ||
	    !filetable_stat_equal(&e->st, st))
		return FILETABLE_HASH_STALE;
	if (e->flags & (FILETABLE_F_HASH_KNOWN | FILETABLE_F_HAD_HASH)) {
		r = XXH128_isEqual(e->hash, hash) ? FILETABLE_HASH_SAME :
		    FILETABLE_HASH_CHANGED;
	} else {
		r = FILETABLE_HASH_FIRST;
	}
	filetable_count(t, e, -1);
	e->hash = hash;
	e->flags = FILETABLE_F_HASH_KNOWN;
	filetable_count(t, e, +1);
	t->edits++;		/* read again: no longer racy, even if SAME */
	if (r == FILETABLE_HASH_CHANGED)
		filetable_stamp(t, filetable_slot_id(t->index[
		    filetable_index_find(t, path, e->path_hash)]));
	return r;
}

bool
filetable_set_hash_error(struct filetable *t, const char *path)
{
	struct filetable_entry *e =
	    (struct filetable_entry *)filetable_lookup(t, path);

	if (e == NULL || e->kind != FILETABLE_FILE ||
	    (e->flags & (FILETABLE_F_HASH_KNOWN | FILETABLE_F_HASH_ERROR)))
		return false;
	filetable_count(t, e, -1);
	e->flags |= FILETABLE_F_HASH_ERROR;
	filetable_count(t, e, +1);
	t->edits++;
	return true;
}

bool
filetable_remove(struct filetable *t, const char *path)
{
	size_t i = filetable_index_find(t, path,
	    filetable_hash_path(path, strlen(path)));

	if (t->index[i] == 0 || (filetable_entry_at(t, filetable_slot_id(t->index[i]))->flags &
	    FILETABLE_F_TOMBSTONE))
		return false;
	filetable_kill(t, filetable_slot_id(t->index[i]));
	filetable_trim(t);
	return true;
}

bool
filetable_path_within(const char *path, const char *dir, size_t dirlen)
{
	return dirlen == 0 || (strncmp(path, dir, dirlen) == 0 &&
	    (path[dirlen] == '\0' || path[dirlen] == '/'));
}

size_t
filetable_remove_subtree(struct filetable *t, const char *dir)
{
	size_t len = strlen(dir), n = 0;

	for (uint32_t id = 0; id < t->next_id; id++) {
		struct filetable_entry *e = filetable_entry_at(t, id);

		if (e->path == NULL || (e->flags & FILETABLE_F_TOMBSTONE))
			continue;
		if (filetable_path_within(e->path, dir, len)) {
			filetable_kill(t, id);
			n++;
		}
	}
	filetable_trim(t);
	return n;
}

bool
filetable_set_wd(struct filetable *t, const char *path, int32_t wd)
{
	struct filetable_entry *e =
	    (struct filetable_entry *)filetable_lookup(t, path);
	size_t i;

	if (e == NULL || e->kind != FILETABLE_DIR)
		return false;
	filetable_count(t, e, -1);
	if (e->wd >= 0)
		wdmap_del(&t->wds, e->wd);
	e->wd = wd;
	filetable_count(t, e, +1);
	if (wd >= 0) {
		i = filetable_index_find(t, path, e->path_hash);
		wdmap_put(&t->wds, wd, filetable_slot_id(t->index[i]));
	}
	return true;
}

bool
filetable_set_wd_id(struct filetable *t, uint32_t id, int32_t wd)
{
	struct filetable_entry *e;

	if (filetable_entry_id(t, id) == NULL)
		return false;
	e = filetable_entry_at(t, id);
	if (e->kind != FILETABLE_DIR)
		return false;
	filetable_count(t, e, -1);
	if (e->wd >= 0)
		wdmap_del(&t->wds, e->wd);
	e->wd = wd;
	filetable_count(t, e, +1);
	if (wd >= 0)
		wdmap_put(&t->wds, wd, id);
	return true;
}

const struct filetable_entry *
filetable_entry_id(const struct filetable *t, uint32_t id)
{
	const struct filetable_entry *e;

	if (id >= t->next_id)
		return NULL;
	e = filetable_entry_at(t, id);
	return e->path == NULL || (e->flags & FILETABLE_F_TOMBSTONE) ? NULL :
	    e;
}

uint32_t
filetable_lookup_id(const struct filetable *t, const char *path)
{
	size_t i = filetable_index_find(t, path,
	    filetable_hash_path(path, strlen(path)));

	if (t->index[i] == 0 || (filetable_entry_at(t, filetable_slot_id(t->index[i]))->flags &
	    FILETABLE_F_TOMBSTONE))
		return FILETABLE_NO_ID;
	return filetable_slot_id(t->index[i]);
}

/* Set or clear one of live directory id's listing flags. */
static void
filetable_set_dir_flag(struct filetable *t, uint32_t id, uint8_t flag,
    bool on)
{
	struct filetable_entry *e;

	if (filetable_entry_id(t, id) == NULL)
		return;
	e = filetable_entry_at(t, id);
	if (e->kind != FILETABLE_DIR || !(e->flags & flag) == !on)
		return;
	if (on)
		e->flags |= flag;
	else
		e->flags &= (uint8_t)~flag;
	t->edits++;
}

void
filetable_set_complete(struct filetable *t, uint32_t id, bool complete)
{
	filetable_set_dir_flag(t, id, FILETABLE_F_COMPLETE, complete);
}

void
filetable_set_ignored(struct filetable *t, uint32_t id, bool ignored)
{
	filetable_set_dir_flag(t, id, FILETABLE_F_IGNORED, ignored);
}

void
filetable_clear_complete(struct filetable *t)
{
	for (uint32_t id = 0; id < t->next_id; id++)
		filetable_entry_at(t, id)->flags &= ~FILETABLE_F_COMPLETE;
	t->edits++;
}

bool
filetable_restore_children(struct filetable *t, const uint32_t *parent,
    size_t n)
{
	uint32_t *off, *kids;

	filetable_drop_children(t);
	if (n != t->next_id)
		return false;
	off = xcalloc(n + 2, sizeof(*off));
	for (size_t id = 0; id < n; id++) {
		const struct filetable_entry *p;

		if (parent[id] == FILETABLE_NO_ID) {
			p = filetable_entry_id(t, (uint32_t)id);
			if (p != NULL && p->path[0] != '\0') {
				/* Live but in no directory's list: a walk
				 * trusting the lists would miss it. */
				free(off);
				return false;
			}
			continue;
		}
		p = filetable_entry_id(t, parent[id]);
		if (p == NULL || p->kind != FILETABLE_DIR ||
		    filetable_entry_id(t, (uint32_t)id) == NULL) {
			free(off);
			return false;
		}
		off[parent[id] + 2]++;
	}
	/* off[d + 1] = start of d's run; filled by advancing it. */
	for (size_t d = 2; d < n + 2; d++)
		off[d] += off[d - 1];
	kids = xmalloc((off[n + 1] ? off[n + 1] : 1) * sizeof(*kids));
	for (size_t id = 0; id < n; id++)
		if (parent[id] != FILETABLE_NO_ID)
			kids[off[parent[id] + 1]++] = (uint32_t)id;
	t->kid_off = off;
	t->kids = kids;
	t->nkid_off = n + 1;
	return true;
}

size_t
filetable_known_children(const struct filetable *t, uint32_t dir,
    const uint32_t **ids)
{
	if (t->kid_off == NULL || (size_t)dir + 1 >= t->nkid_off) {
		*ids = NULL;
		return 0;
	}
	*ids = t->kids + t->kid_off[dir];
	return t->kid_off[dir + 1] - t->kid_off[dir];
}

bool
filetable_children_kept(const struct filetable *t)
{
	return t->kid_off != NULL;
}

void
filetable_drop_children(struct filetable *t)
{
	free(t->kid_off);
	free(t->kids);
	t->kid_off = t->kids = NULL;
	t->nkid_off = 0;
}

const struct filetable_entry *
filetable_lookup_wd(const struct filetable *t, int32_t wd)
{
	uint32_t id;

	if (wd < 0 || !wdmap_get(&t->wds, wd, &id))
		return NULL;
	return filetable_entry_at(t, id);
}

void
filetable_foreach(const struct filetable *t, filetable_entry_cb cb, void *arg)
{
	for (uint32_t id = t->live.head; id != FILETABLE_NIL;) {
		const struct filetable_entry *e = filetable_entry_at(t, id);

		id = e->next;
		cb(arg, e);
	}
}

uint64_t
filetable_changes_since(const struct filetable *t, uint64_t since,
    filetable_change_cb cb, void *arg, bool *fresh)
{
	const struct filetable_entry *e;
	bool is_fresh;

	is_fresh = since == 0 || since > t->clock || since < t->trimmed_clock;
	if (fresh != NULL)
		*fresh = is_fresh;
	for (uint32_t id = t->live.tail; id != FILETABLE_NIL; id = e->prev) {
		e = filetable_entry_at(t, id);
		if (!is_fresh && e->clock <= since)
			break;
		cb(arg, e, is_fresh || e->born_clock > since ?
		    FILETABLE_CHANGE_ADDED : FILETABLE_CHANGE_MODIFIED);
	}
	if (is_fresh)
		return t->clock;
	for (uint32_t id = t->tomb.tail; id != FILETABLE_NIL; id = e->prev) {
		e = filetable_entry_at(t, id);
		if (e->clock <= since)
			break;
		/* Born and gone after since: the client never saw it. */
		if (e->born_clock <= since)
			cb(arg, e, FILETABLE_CHANGE_REMOVED);
	}
	return t->clock;
}

void
filetable_restore_clock(struct filetable *t, uint64_t clock,
    uint64_t trimmed_clock)
{
	t->clock = clock;
	t->trimmed_clock = trimmed_clock;
}

uint32_t
filetable_restore_prefetch(const struct filetable *t, const char *path,
    size_t len)
{
	uint32_t h = filetable_hash_path(path, len);

	__builtin_prefetch(&t->index[h & (t->index_size - 1)], 0, 1);
	return h;
}

bool
filetable_restore(struct filetable *t, const char *path,
    enum filetable_kind kind, const struct filetable_stat *st,
    bool has_hash, bool racy, XXH128_hash_t hash, uint64_t clock,
    uint64_t born_clock, bool tombstone)
{
	size_t len = strlen(path);

	return filetable_restore_hashed(t, path, len,
	    filetable_hash_path(path, len), kind, st, has_hash, racy, hash,
	    clock, born_clock, tombstone);
}

bool
filetable_restore_hashed(struct filetable *t, const char *path, size_t len,
    uint32_t h, enum filetable_kind kind, const struct filetable_stat *st,
    bool has_hash, bool racy, XXH128_hash_t hash, uint64_t clock,
    uint64_t born_clock, bool tombstone)
{
	struct filetable_list *l = tombstone ? &t->tomb : &t->live;
	size_t i = filetable_index_find(t, path, h);
	struct filetable_entry *e;
	uint32_t id;

	if (len == 0 ? kind != FILETABLE_DIR :
	    path[0] == '/' || path[len - 1] == '/')
		return false;
	if (t->index[i] != 0 || (kind != FILETABLE_FILE &&
	    kind != FILETABLE_DIR) || clock > t->clock || clock == 0 ||
	    born_clock > clock)
		return false;
	if (l->tail != FILETABLE_NIL &&
	    filetable_entry_at(t, l->tail)->clock > clock)
		return false;
	id = filetable_alloc_id(t);
	e = filetable_entry_at(t, id);
	memset(e, 0, sizeof(*e));
	e->path = filetable_name_store(t, path, len);
	e->path_hash = h;
	e->st = *st;
	e->kind = (uint8_t)kind;
	e->clock = clock;
	e->born_clock = born_clock;
	if (kind == FILETABLE_DIR) {
		e->wd = FILETABLE_WD_NONE;
	} else if (has_hash) {
		e->hash = hash;
		e->flags = racy ? FILETABLE_F_HAD_HASH : FILETABLE_F_HASH_KNOWN;
	}
	if (kind == FILETABLE_FILE && (racy || !has_hash))
		e->st.size = -1;	/* no stat matches: re-hashed */
	t->index[i] = filetable_slot(id, h);
	t->index_used++;
	filetable_list_append(t, l, id);
	if (tombstone) {
		e->flags |= FILETABLE_F_TOMBSTONE;
		t->ntomb++;
	} else {
		e->flags |= FILETABLE_F_UNSEEN;
		filetable_count(t, e, +1);
	}
	if (t->index_used * FILETABLE_LOAD_DEN >
	    t->index_size * FILETABLE_LOAD_NUM)
		filetable_index_grow(t);
	return true;
}

void
filetable_reserve(struct filetable *t, size_t n)
{
	while ((t->index_used + n) * FILETABLE_LOAD_DEN >
	    t->index_size * FILETABLE_LOAD_NUM)
		filetable_index_grow(t);
}

void
filetable_foreach_saved(const struct filetable *t, filetable_entry_cb cb,
    void *arg)
{
	filetable_foreach(t, cb, arg);
	for (uint32_t id = t->tomb.head; id != FILETABLE_NIL;) {
		const struct filetable_entry *e = filetable_entry_at(t, id);

		id = e->next;
		cb(arg, e);
	}
}

void
filetable_foreach_saved_id(const struct filetable *t, filetable_id_cb cb,
    void *arg)
{
	const struct filetable_list *lists[2] = { &t->live, &t->tomb };

	for (size_t l = 0; l < 2; l++) {
		for (uint32_t id = lists[l]->head; id != FILETABLE_NIL;) {
			const struct filetable_entry *e =
			    filetable_entry_at(t, id);
			uint32_t cur = id;

			id = e->next;
			cb(arg, e, cur);
		}
	}
}

uint32_t
filetable_id_bound(const struct filetable *t)
{
	return t->next_id;
}

uint32_t
filetable_parent_id(const struct filetable *t, const char *path)
{
	const char *slash = strrchr(path, '/');
	size_t len = slash != NULL ? (size_t)(slash - path) : 0;
	uint32_t h, id;
	size_t mask = t->index_size - 1;

	if (path[0] == '\0')
		return FILETABLE_NO_ID;
	h = filetable_hash_path(path, len);
	for (size_t i = h & mask; t->index[i] != 0; i = (i + 1) & mask) {
		const struct filetable_entry *e;

		id = filetable_slot_id(t->index[i]);
		e = filetable_entry_at(t, id);
		if (e->path_hash == h && strncmp(e->path, path, len) == 0 &&
		    e->path[len] == '\0')
			return (e->flags & FILETABLE_F_TOMBSTONE) ||
			    e->kind != FILETABLE_DIR ? FILETABLE_NO_ID : id;
	}
	return FILETABLE_NO_ID;
}

size_t
filetable_sweep_unseen(struct filetable *t)
{
	size_t n = 0;

	for (uint32_t id = 0; id < t->next_id; id++) {
		struct filetable_entry *e = filetable_entry_at(t, id);

		if (e->path == NULL || (e->flags & FILETABLE_F_TOMBSTONE) ||
		    !(e->flags & FILETABLE_F_UNSEEN))
			continue;
		filetable_kill(t, id);
		n++;
	}
	filetable_trim(t);
	return n;
}

uint64_t
filetable_trimmed_clock(const struct filetable *t)
{
	return t->trimmed_clock;
}

uint64_t
filetable_clock(const struct filetable *t)
{
	return t->clock;
}

uint64_t
filetable_edits(const struct filetable *t)
{
	return t->edits;
}

void
filetable_counts(const struct filetable *t, struct filetable_counts *out)
{
	out->files = t->nfiles;
	out->dirs = t->ndirs;
	out->tombstones = t->ntomb;
	out->hash_pending = t->npending;
	out->hash_errors = t->nhash_errors;
	out->watched_dirs = t->nwatched;
	out->polled_dirs = t->npolled;
	out->bytes_names = t->names_total +
	    t->nname_blocks * (sizeof(char *) + sizeof(size_t));
	out->bytes_table = sizeof(*t) +
	    t->npages * (sizeof(*t->pages) +
	    FILETABLE_PAGE_SIZE * sizeof(struct filetable_entry)) +
	    t->index_size * sizeof(*t->index) + wdmap_bytes(&t->wds);
}

static void
filetable_check_list(const struct filetable *t, const struct filetable_list *l,
    bool tomb, size_t *n)
{
	uint64_t last = 0;
	uint32_t prev = FILETABLE_NIL;

	*n = 0;
	for (uint32_t id = l->head; id != FILETABLE_NIL;) {
		const struct filetable_entry *e = filetable_entry_at(t, id);

		if (e->prev != prev)
			fatal("filetable: broken list link at %s", e->path);
		if (e->clock < last || e->clock > t->clock)
			fatal("filetable: list out of clock order at %s",
			    e->path);
		if (!!(e->flags & FILETABLE_F_TOMBSTONE) != tomb)
			fatal("filetable: %s in the wrong list", e->path);
		if (filetable_lookup(t, e->path) != (tomb ? NULL : e))
			fatal("filetable: index misses %s", e->path);
		last = e->clock;
		prev = id;
		id = e->next;
		(*n)++;
	}
	if (l->tail != prev)
		fatal("filetable: list tail is wrong");
}

struct filetable_check_dirs {
	const struct filetable *t;
	size_t watched, polled;
};

static void
filetable_check_dir(void *arg, const struct filetable_entry *e)
{
	struct filetable_check_dirs *c = arg;

	if (e->kind != FILETABLE_DIR)
		return;
	if (e->wd == FILETABLE_WD_POLLED)
		c->polled++;
	if (e->wd < 0)
		return;
	c->watched++;
	if (filetable_lookup_wd(c->t, e->wd) != e)
		fatal("filetable: wd %d of %s not in the wd map", e->wd,
		    e->path);
}

void
filetable_check(const struct filetable *t)
{
	size_t nlive, ntomb;
	struct filetable_check_dirs dirs = { .t = t };

	filetable_check_list(t, &t->live, false, &nlive);
	filetable_check_list(t, &t->tomb, true, &ntomb);
	filetable_foreach(t, filetable_check_dir, &dirs);
	if (dirs.watched != t->nwatched || dirs.polled != t->npolled ||
	    dirs.watched != t->wds.used)
		fatal("filetable: %zu watched, %zu polled dirs; counted %zu, "
		    "%zu", dirs.watched, dirs.polled, t->nwatched, t->npolled);
	if (nlive != t->nfiles + t->ndirs || ntomb != t->ntomb ||
	    nlive + ntomb != t->index_used)
		fatal("filetable: counts disagree (%zu live, %zu tombstones, "
		    "%zu indexed)", nlive, ntomb, t->index_used);
	if (t->ntomb > t->max_tombstones)
		fatal("filetable: %zu tombstones over the cap", t->ntomb);
}
