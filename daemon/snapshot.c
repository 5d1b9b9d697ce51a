/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * snapshot.c - encode and decode a root's file table (contract in
 * snapshot.h).
 *
 * Owns: nothing past a call (the encoder's chunk buffer and checksum state
 * live on the heap for the call only). Called by: daemon/watch.c (save on
 * shutdown and after an idle period, load at start) and the unit tests.
 * Layout (host byte order; the endianness mark refuses a foreign one):
 *   "GGENSNP1" u32 version u32 0x01020304
 *   i64 saved_ns u64 clock u64 trimmed_clock u32 root_id u32 ninst
 *   ninst x (u64 id, u64 max_clock)
 *   u64 ignore_digest (version 3; version 2 has none and is read as 0)
 *   u32 rootlen, root bytes, u64 nentries
 *   nentries x (u16 pathlen, u8 kind, u8 flags, u64 dev, u64 ino,
 *               i64 size, i64 mtime_ns, i64 ctime_ns, 16 bytes hash,
 *               u64 clock, u64 born_clock, u32 parent, path bytes)
 *   u64 XXH3-64 of every byte before it
 * Entries come live first, then tombstones, each in clock order, so decoding
 * appends them to the table's clock-ordered lists as they come. parent is
 * the index (in this order) of a live entry's directory (UINT32_MAX for the
 * root and tombstones): decoding gives the table each directory's children
 * (filetable_restore_children) without a path lookup, for the warm walk.
 * A directory flagged complete (its last listing reported every entry not
 * ignored) and not racy may have that list walked instead of the directory
 * read; one also flagged ignored (it held ignored names: version 2 never
 * sets this, its complete directories held none) only while the ignore
 * rules digest still matches at the end of the walk (rootsync.c).
 * Invariant: decode builds the whole table before handing it out; any
 * inconsistency frees it and fails.
 */
#include "snapshot.h"

#include <stdlib.h>
#include <string.h>

#include <xxhash.h>

#include "log.h"
#include "xmalloc.h"

#define SNAPSHOT_MAGIC "GGENSNP1"
#define SNAPSHOT_MAGIC_LEN 8
#define SNAPSHOT_VERSION 3u
#define SNAPSHOT_VERSION_OLDEST 2u
#define SNAPSHOT_ENDIAN 0x01020304u
#define SNAPSHOT_F_HASH 0x01u
#define SNAPSHOT_F_TOMB 0x02u
#define SNAPSHOT_F_COMPLETE 0x04u
#define SNAPSHOT_F_IGNORED 0x08u
/* u16 + u8 + u8 + 5 x 8 + 16 + 8 + 8 + 4 */
#define SNAPSHOT_ENTRY_FIXED 80u
#define SNAPSHOT_PATH_MAX 65535u

struct snapshot_enc {
	const struct filetable *t;
	uint32_t *pos;		/* id -> index in the snapshot (or NO_ID) */
	uint32_t last_parent;	/* cache: id of the last entry's directory */
	const char *last_dir;	/* its path, and length */
	size_t last_dir_len;
	unsigned char *buf;
	size_t len;
	XXH3_state_t *xs;
	snapshot_write_cb cb;
	void *arg;
	int rc;
};

static void
snapshot_flush(struct snapshot_enc *e)
{
	if (e->rc == 0 && e->len > 0) {
		XXH3_64bits_update(e->xs, e->buf, e->len);
		e->rc = e->cb(e->arg, e->buf, e->len);
	}
	e->len = 0;
}

static void
snapshot_put(struct snapshot_enc *e, const void *p, size_t n)
{
	while (n > 0 && e->rc == 0) {
		size_t room = SNAPSHOT_CHUNK_BYTES - e->len;
		size_t k = n < room ? n : room;

		memcpy(e->buf + e->len, p, k);
		e->len += k;
		p = (const unsigned char *)p + k;
		n -= k;
		if (e->len == SNAPSHOT_CHUNK_BYTES)
			snapshot_flush(e);
	}
}

static void
snapshot_put_u64(struct snapshot_enc *e, uint64_t v)
{
	snapshot_put(e, &v, sizeof(v));
}

static void
snapshot_put_u32(struct snapshot_enc *e, uint32_t v)
{
	snapshot_put(e, &v, sizeof(v));
}

/* The snapshot index of live entry fe's directory, UINT32_MAX for none.
 * Consecutive entries mostly share theirs (a crawl stamps a directory's
 * files in a row): one index lookup per run of them. */
static uint32_t
snapshot_parent(struct snapshot_enc *e, const struct filetable_entry *fe)
{
	const char *slash = strrchr(fe->path, '/');
	size_t dlen = slash != NULL ? (size_t)(slash - fe->path) : 0;
	uint32_t id;

	if ((fe->flags & FILETABLE_F_TOMBSTONE) || fe->path[0] == '\0')
		return UINT32_MAX;
	if (e->last_dir == NULL || dlen != e->last_dir_len ||
	    memcmp(e->last_dir, fe->path, dlen) != 0) {
		e->last_parent = filetable_parent_id(e->t, fe->path);
		e->last_dir = fe->path;
		e->last_dir_len = dlen;
	}
	id = e->last_parent;
	return id == FILETABLE_NO_ID ? UINT32_MAX : e->pos[id];
}

static void
snapshot_entry(void *arg, const struct filetable_entry *fe, uint32_t id)
{
	struct snapshot_enc *e = arg;
	size_t len = strlen(fe->path);
	unsigned char fixed[SNAPSHOT_ENTRY_FIXED], *p = fixed;
	uint16_t plen = (uint16_t)len;
	uint8_t flags = 0;
	uint32_t parent;
	XXH128_hash_t h = { 0, 0 };

	(void)id;
	if (len > SNAPSHOT_PATH_MAX)
		return;		/* no such path on Linux (PATH_MAX 4096) */
	parent = snapshot_parent(e, fe);
	if (fe->kind == FILETABLE_FILE &&
	    (fe->flags & FILETABLE_F_HASH_KNOWN)) {
		flags |= SNAPSHOT_F_HASH;
		h = fe->hash;
	}
	if (fe->flags & FILETABLE_F_TOMBSTONE)
		flags |= SNAPSHOT_F_TOMB;
	if (fe->kind == FILETABLE_DIR && (fe->flags & FILETABLE_F_COMPLETE))
		flags |= SNAPSHOT_F_COMPLETE;
	if (fe->kind == FILETABLE_DIR && (fe->flags & FILETABLE_F_IGNORED))
		flags |= SNAPSHOT_F_IGNORED;
	memcpy(p, &plen, 2);
	p[2] = fe->kind;
	p[3] = flags;
	p += 4;
	memcpy(p, &fe->st.dev, 8);
	memcpy(p + 8, &fe->st.ino, 8);
	memcpy(p + 16, &fe->st.size, 8);
	memcpy(p + 24, &fe->st.mtime_ns, 8);
	memcpy(p + 32, &fe->st.ctime_ns, 8);
	memcpy(p + 40, &h.high64, 8);
	memcpy(p + 48, &h.low64, 8);
	memcpy(p + 56, &fe->clock, 8);
	memcpy(p + 64, &fe->born_clock, 8);
	memcpy(p + 72, &parent, 4);
	snapshot_put(e, fixed, sizeof(fixed));
	snapshot_put(e, fe->path, len);
}

struct snapshot_count {
	uint64_t n;
	uint32_t *pos;
};

/* Counts the entries kept and numbers them (pos). */
static void
snapshot_count_one(void *arg, const struct filetable_entry *fe, uint32_t id)
{
	struct snapshot_count *c = arg;

	if (strlen(fe->path) <= SNAPSHOT_PATH_MAX)
		c->pos[id] = (uint32_t)c->n++;
}

uint64_t
snapshot_idle_wait_ms(uint64_t idle_ms, uint64_t now_ms, uint64_t last_end_ms,
    uint64_t last_us)
{
	uint64_t spaced = last_end_ms + SNAPSHOT_IDLE_COST * last_us / 1000;

	return last_us > 0 && spaced > now_ms + idle_ms ? spaced - now_ms :
	    idle_ms;
}

int
snapshot_encode(const struct filetable *t, const char *root,
    const struct snapshot_meta *m, snapshot_write_cb cb, void *arg)
{
	struct snapshot_enc e = { .t = t, .cb = cb, .arg = arg };
	struct snapshot_count c = { 0 };
	uint32_t bound = filetable_id_bound(t);
	uint32_t rootlen = (uint32_t)strlen(root);
	uint64_t sum;

	e.buf = xmalloc(SNAPSHOT_CHUNK_BYTES);
	e.xs = XXH3_createState();
	if (e.xs == NULL)
		fatal("snapshot: out of memory");
	XXH3_64bits_reset(e.xs);
	c.pos = xmalloc((bound ? bound : 1) * sizeof(*c.pos));
	memset(c.pos, 0xff, (bound ? bound : 1) * sizeof(*c.pos));
	filetable_foreach_saved_id(t, snapshot_count_one, &c);
	e.pos = c.pos;
	snapshot_put(&e, SNAPSHOT_MAGIC, SNAPSHOT_MAGIC_LEN);
	snapshot_put_u32(&e, SNAPSHOT_VERSION);
	snapshot_put_u32(&e, SNAPSHOT_ENDIAN);
	snapshot_put_u64(&e, (uint64_t)m->saved_ns);
	snapshot_put_u64(&e, filetable_clock(t));
	snapshot_put_u64(&e, filetable_trimmed_clock(t));
	snapshot_put_u32(&e, m->root_id);
	snapshot_put_u32(&e, (uint32_t)m->ninst);
	for (size_t i = 0; i < m->ninst; i++) {
		snapshot_put_u64(&e, m->inst[i].id);
		snapshot_put_u64(&e, m->inst[i].max_clock);
	}
	snapshot_put_u64(&e, m->ignore_digest);
	snapshot_put_u32(&e, rootlen);
	snapshot_put(&e, root, rootlen);
	snapshot_put_u64(&e, c.n);
	filetable_foreach_saved_id(t, snapshot_entry, &e);
	snapshot_flush(&e);
	sum = XXH3_64bits_digest(e.xs);
	if (e.rc == 0)
		e.rc = cb(arg, &sum, sizeof(sum));
	XXH3_freeState(e.xs);
	free(e.buf);
	free(c.pos);
	return e.rc;
}

struct snapshot_dec {
	const unsigned char *p, *end;
	bool short_read;
};

static void
snapshot_get(struct snapshot_dec *d, void *out, size_t n)
{
	if ((size_t)(d->end - d->p) < n) {
		d->short_read = true;
		memset(out, 0, n);
		d->p = d->end;
		return;
	}
	memcpy(out, d->p, n);
	d->p += n;
}

static uint64_t
snapshot_get_u64(struct snapshot_dec *d)
{
	uint64_t v;

	snapshot_get(d, &v, sizeof(v));
	return v;
}

static uint32_t
snapshot_get_u32(struct snapshot_dec *d)
{
	uint32_t v;

	snapshot_get(d, &v, sizeof(v));
	return v;
}

/* Entries whose paths are hashed (and index slots fetched) ahead of
 * their restore. */
#define SNAPSHOT_AHEAD 16

/* The lookahead: hash the entry at *ap (unchecked data: false, nothing
 * done, when it does not fit before end) and move *ap past it. */
static bool
snapshot_ahead(const struct filetable *t, const unsigned char **ap,
    const unsigned char *end, uint32_t *h)
{
	uint16_t plen;

	if ((size_t)(end - *ap) < SNAPSHOT_ENTRY_FIXED)
		return false;
	memcpy(&plen, *ap, 2);
	if ((size_t)(end - *ap) - SNAPSHOT_ENTRY_FIXED < plen)
		return false;
	*h = filetable_restore_prefetch(t,
	    (const char *)*ap + SNAPSHOT_ENTRY_FIXED, plen);
	*ap += SNAPSHOT_ENTRY_FIXED + plen;
	return true;
}

int
snapshot_decode(const void *buf, size_t len, const char *root,
    const struct filetable_config *cfg, struct filetable **out,
    struct snapshot_meta *m, size_t *nracy, struct gerr *err)
{
	struct snapshot_dec d = { .p = buf, .end = (const unsigned char *)buf +
	    len };
	char magic[SNAPSHOT_MAGIC_LEN], path[SNAPSHOT_PATH_MAX + 1];
	uint64_t clock, trimmed, n, sum;
	uint32_t rootlen, ninst, version;
	struct filetable *t;
	uint32_t *parents;
	size_t racy = 0;
	uint32_t ahash[SNAPSHOT_AHEAD];
	const unsigned char *ap;
	uint64_t an = 0;	/* entries hashed ahead */

	if (len < SNAPSHOT_MAGIC_LEN + 8 + 8)
		return gerr_set(err, GERR_PARSE, "truncated (%zu bytes)", len);
	memcpy(&sum, (const unsigned char *)buf + len - 8, 8);
	snapshot_get(&d, magic, sizeof(magic));
	if (memcmp(magic, SNAPSHOT_MAGIC, SNAPSHOT_MAGIC_LEN) != 0)
		return gerr_set(err, GERR_PARSE, "not a ggen snapshot (magic)");
	version = snapshot_get_u32(&d);
	if (version < SNAPSHOT_VERSION_OLDEST || version > SNAPSHOT_VERSION)
		return gerr_set(err, GERR_PARSE, "snapshot version %u is not "
		    "%u..%u", version, SNAPSHOT_VERSION_OLDEST,
		    SNAPSHOT_VERSION);
	if (snapshot_get_u32(&d) != SNAPSHOT_ENDIAN)
		return gerr_set(err, GERR_PARSE, "snapshot of another byte "
		    "order");
	if (XXH3_64bits(buf, len - 8) != sum)
		return gerr_set(err, GERR_PARSE, "checksum mismatch (torn or "
		    "corrupted)");
	d.end -= 8;
	memset(m, 0, sizeof(*m));
	m->saved_ns = (int64_t)snapshot_get_u64(&d);
	clock = snapshot_get_u64(&d);
	trimmed = snapshot_get_u64(&d);
	m->root_id = snapshot_get_u32(&d);
	ninst = snapshot_get_u32(&d);
	if (ninst == 0 || ninst > SNAPSHOT_MAX_INSTANCES)
		return gerr_set(err, GERR_PARSE, "bad instance count %u",
		    ninst);
	for (uint32_t i = 0; i < ninst; i++) {
		m->inst[i].id = snapshot_get_u64(&d);
		m->inst[i].max_clock = snapshot_get_u64(&d);
		if (m->inst[i].id == 0 || m->inst[i].max_clock > clock)
			return gerr_set(err, GERR_PARSE, "bad instance %u", i);
	}
	m->ninst = ninst;
	if (version >= 3)
		m->ignore_digest = snapshot_get_u64(&d);
	rootlen = snapshot_get_u32(&d);
	if (d.short_read || rootlen > (uint32_t)(d.end - d.p))
		return gerr_set(err, GERR_PARSE, "truncated header");
	if (rootlen != strlen(root) || memcmp(d.p, root, rootlen) != 0)
		return gerr_set(err, GERR_INVALID, "snapshot of another root "
		    "(%.*s)", (int)(rootlen < 256 ? rootlen : 256),
		    (const char *)d.p);
	d.p += rootlen;
	n = snapshot_get_u64(&d);
	if (d.short_read || n > (uint64_t)(d.end - d.p) / SNAPSHOT_ENTRY_FIXED)
		return gerr_set(err, GERR_PARSE, "bad entry count");
	t = filetable_new(cfg);
	filetable_reserve(t, (size_t)n);
	parents = xmalloc((n ? (size_t)n : 1) * sizeof(*parents));
	filetable_restore_clock(t, clock, trimmed);
	ap = d.p;
	while (an < n && an < SNAPSHOT_AHEAD &&
	    snapshot_ahead(t, &ap, d.end, &ahash[an]))
		an++;
	for (uint64_t i = 0; i < n; i++) {
		unsigned char fixed[SNAPSHOT_ENTRY_FIXED], *p = fixed;
		struct filetable_stat st;
		XXH128_hash_t h;
		uint64_t eclock, born;
		uint32_t parent;
		uint16_t plen;
		uint32_t hp;
		uint8_t kind, flags;
		bool has_hash, is_racy;

		snapshot_get(&d, fixed, sizeof(fixed));
		memcpy(&plen, p, 2);
		kind = p[2];
		flags = p[3];
		p += 4;
		memcpy(&st.dev, p, 8);
		memcpy(&st.ino, p + 8, 8);
		memcpy(&st.size, p + 16, 8);
		memcpy(&st.mtime_ns, p + 24, 8);
		memcpy(&st.ctime_ns, p + 32, 8);
		memcpy(&h.high64, p + 40, 8);
		memcpy(&h.low64, p + 48, 8);
		memcpy(&eclock, p + 56, 8);
		memcpy(&born, p + 64, 8);
		memcpy(&parent, p + 72, 4);
		snapshot_get(&d, path, plen);
		path[plen] = '\0';
		if (d.short_read || memchr(path, '\0', plen) != NULL) {
			filetable_free(t);
			free(parents);
			return gerr_set(err, GERR_PARSE, "entry %llu: truncated "
			    "or bad path", (unsigned long long)i);
		}
		has_hash = (flags & SNAPSHOT_F_HASH) != 0;
		is_racy = kind == FILETABLE_FILE && has_hash &&
		    !(flags & SNAPSHOT_F_TOMB) &&
		    st.mtime_ns >= m->saved_ns - SNAPSHOT_RACY_NS;
		if (kind == FILETABLE_FILE && !(flags & SNAPSHOT_F_TOMB) &&
		    (is_racy || !has_hash))
			racy++;
		/* Entry i's hash from the lookahead (same bytes), whose
		 * slot then takes entry i + SNAPSHOT_AHEAD. */
		if (i < an) {
			hp = ahash[i % SNAPSHOT_AHEAD];
			if (an < n && an == i + SNAPSHOT_AHEAD &&
			    snapshot_ahead(t, &ap, d.end,
			    &ahash[an % SNAPSHOT_AHEAD]))
				an++;
		} else {
			hp = filetable_restore_prefetch(t, path, plen);
		}
		if (!filetable_restore_hashed(t, path, plen, hp,
		    (enum filetable_kind)kind, &st, has_hash, is_racy, h,
		    eclock, born, (flags & SNAPSHOT_F_TOMB) != 0)) {
			filetable_free(t);
			free(parents);
			return gerr_set(err, GERR_PARSE, "entry %llu (%.200s): "
			    "duplicate, out of order or bad kind",
			    (unsigned long long)i, path);
		}
		/* Ids are handed out in order from 0: entry i is id i. */
		parents[i] = parent == UINT32_MAX || parent >= n ?
		    FILETABLE_NO_ID : parent;
		/* A directory changed within the racy window may have
		 * gained entries without a new mtime: listed again. */
		if (kind == FILETABLE_DIR && (flags & SNAPSHOT_F_COMPLETE) &&
		    !(flags & SNAPSHOT_F_TOMB) &&
		    st.mtime_ns < m->saved_ns - SNAPSHOT_RACY_NS &&
		    st.ctime_ns < m->saved_ns - SNAPSHOT_RACY_NS)
			filetable_set_complete(t, (uint32_t)i, true);
		if (kind == FILETABLE_DIR && (flags & SNAPSHOT_F_IGNORED) &&
		    !(flags & SNAPSHOT_F_TOMB))
			filetable_set_ignored(t, (uint32_t)i, true);
	}
	if (d.p != d.end) {
		filetable_free(t);
		free(parents);
		return gerr_set(err, GERR_PARSE, "%zu bytes after the last entry",
		    (size_t)(d.end - d.p));
	}
	/* Lists that do not hold together are not used: every directory is
	 * then read, as without them. */
	if (!filetable_restore_children(t, parents, (size_t)n))
		log_warn("snapshot: directory lists inconsistent; every "
		    "directory will be read");
	free(parents);
	*out = t;
	if (nracy != NULL)
		*nracy = racy;
	return 0;
}
