/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * outstore.c - the local content-addressed output store (see outstore.h).
 *
 * Owns: the store directory, an in-memory index (one entry per manifest:
 * key, last use, the blobs it names) built lazily from ac/ on first use,
 * and the counters, all under mu. Blob and manifest files are written
 * through temp files and renamed; restores open every directory with
 * O_NOFOLLOW so nothing is ever written through a symlink.
 * Invariants (under mu, once loaded): every indexed manifest's blobs exist
 * in cas/; bytes is the sum of the unique blobs' sizes; at most
 * OUTSTORE_ENTRIES_MAX entries. Eviction recomputes blob references from
 * the index (sort + count), so no refcount can drift.
 * Never: follow a symlink under a workspace, keep a blob whose sha256 was
 * not checked, or hold mu during a large copy.
 */
#include "outstore.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "crawl.h"
#include "fileio.h"
#include "log.h"
#include "sha256.h"
#include "strbuf.h"
#include "xmalloc.h"

#define OUTSTORE_COPY_CHUNK (1u << 20)

struct outstore_entry {
	char key[SHA256_HEX_SIZE];
	uint64_t last_used_ns;
	char (*blobs)[SHA256_HEX_SIZE];	/* shas named by the manifest */
	bool verified;		/* its blobs were written or checked by this
				   process: trusted without re-hashing */
	uint64_t *sizes;
	size_t n_blobs;
};

struct outstore {
	char *dir, *cas, *ac, *tmp;
	pthread_mutex_t mu;
	bool loaded;
	struct outstore_entry *entries;
	size_t n_entries;
	uint64_t tmp_seq;
	struct outstore_stats st;
};

struct outstore_blobw {
	struct outstore *s;
	char *tmp;		/* tmp/blob.PID.SEQ: fileio's destination */
	struct fileio_writer fw;
	bool open;		/* fw begun, not committed or aborted */
	uint64_t size, max;
	struct sha256 sha;
	char *buf;		/* write-behind buffer */
	size_t used;
};

static void
outstore_lock(struct outstore *s)
{
	pthread_mutex_lock(&s->mu);
}

static void
outstore_unlock(struct outstore *s)
{
	pthread_mutex_unlock(&s->mu);
}

static int
outstore_mkdir(const char *path, struct gerr *err)
{
	if (mkdir(path, 0700) != 0 && errno != EEXIST)
		return gerr_set(err, GERR_IO, "mkdir %s: %s", path,
		    strerror(errno));
	return 0;
}

/* Remove every file in dir (not recursive): temp files of a dead run. */
static void
outstore_empty_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.' || (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0))
			unlinkat(dirfd(d), de->d_name, 0);
	closedir(d);
}

struct outstore *
outstore_open(const char *state_dir, uint64_t max_bytes, struct gerr *err)
{
	struct outstore *s = xcalloc(1, sizeof(*s));

	s->dir = xasprintf("%s/outstore", state_dir);
	s->cas = xasprintf("%s/cas", s->dir);
	s->ac = xasprintf("%s/ac", s->dir);
	s->tmp = xasprintf("%s/tmp", s->dir);
	if (outstore_mkdir(s->dir, err) != 0 || outstore_mkdir(s->cas,
	    err) != 0 || outstore_mkdir(s->ac, err) != 0 ||
	    outstore_mkdir(s->tmp, err) != 0) {
		free(s->dir);
		free(s->cas);
		free(s->ac);
		free(s->tmp);
		free(s);
		return NULL;
	}
	pthread_mutex_init(&s->mu, NULL);
	s->st.max_bytes = max_bytes;
	return s;
}

static void
outstore_entry_release(struct outstore_entry *e)
{
	free(e->blobs);
	free(e->sizes);
}

void
outstore_free(struct outstore *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->n_entries; i++)
		outstore_entry_release(&s->entries[i]);
	free(s->entries);
	pthread_mutex_destroy(&s->mu);
	free(s->dir);
	free(s->cas);
	free(s->ac);
	free(s->tmp);
	free(s);
}

void
outstore_set_max(struct outstore *s, uint64_t max_bytes)
{
	outstore_lock(s);
	s->st.max_bytes = max_bytes;
	outstore_unlock(s);
}

void
outstore_stats(struct outstore *s, struct outstore_stats *out)
{
	outstore_lock(s);
	*out = s->st;
	out->entries = s->n_entries;
	out->loaded = s->loaded;
	outstore_unlock(s);
}

const char *
outstore_dir(const struct outstore *s)
{
	return s->dir;
}

static char *
outstore_blob_path(const struct outstore *s, const char *sha)
{
	return xasprintf("%s/%.2s/%s", s->cas, sha, sha);
}

static char *
outstore_ac_path(const struct outstore *s, const char *key)
{
	return xasprintf("%s/%s", s->ac, key);
}

/* Read a whole small file (at most max bytes). */
static int
outstore_read_small(const char *path, size_t max, char **buf, size_t *len,
    struct gerr *err)
{
	return fileio_read(path, max, FILEIO_NOFOLLOW, buf, len, NULL, err);
}

/* ---- the index (under mu) ------------------------------------------ */

struct outstore_ref {
	const char *sha;
	uint64_t size;
	size_t refs;
};

static int
outstore_ref_cmp(const void *a, const void *b)
{
	const struct outstore_ref *x = a, *y = b;

	return strcmp(x->sha, y->sha);
}

/* Every blob named by the index, sorted and counted; *n unique ones. */
static struct outstore_ref *
outstore_refs(const struct outstore *s, size_t *n)
{
	struct outstore_ref *r;
	size_t total = 0, u = 0;

	for (size_t i = 0; i < s->n_entries; i++)
		total += s->entries[i].n_blobs;
	r = xcalloc(total + 1, sizeof(*r));
	total = 0;
	for (size_t i = 0; i < s->n_entries; i++)
		for (size_t j = 0; j < s->entries[i].n_blobs; j++) {
			r[total].sha = s->entries[i].blobs[j];
			r[total].size = s->entries[i].sizes[j];
			r[total].refs = 1;
			total++;
		}
	if (total > 1)
		qsort(r, total, sizeof(*r), outstore_ref_cmp);
	for (size_t i = 0; i < total; i++) {
		if (u > 0 && strcmp(r[u - 1].sha, r[i].sha) == 0)
			r[u - 1].refs++;
		else
			r[u++] = r[i];
	}
	*n = u;
	return r;
}

static struct outstore_ref *
outstore_ref_find(struct outstore_ref *r, size_t n, const char *sha)
{
	struct outstore_ref k = { .sha = sha };

	return bsearch(&k, r, n, sizeof(*r), outstore_ref_cmp);
}

static void
outstore_recount(struct outstore *s)
{
	size_t n;
	struct outstore_ref *r = outstore_refs(s, &n);

	s->st.bytes = 0;
	for (size_t i = 0; i < n; i++)
		s->st.bytes += r[i].size;
	s->st.blobs = n;
	free(r);
}

static void
outstore_entry_fill(struct outstore_entry *e, const struct outmanifest *m,
    uint64_t used_ns)
{
	snprintf(e->key, sizeof(e->key), "%s", m->key);
	e->last_used_ns = used_ns;
	e->verified = false;
	e->n_blobs = m->n_files;
	e->blobs = xcalloc(m->n_files + 1, sizeof(*e->blobs));
	e->sizes = xcalloc(m->n_files + 1, sizeof(*e->sizes));
	for (size_t i = 0; i < m->n_files; i++) {
		memcpy(e->blobs[i], m->files[i].sha256, SHA256_HEX_SIZE);
		e->sizes[i] = m->files[i].size;
	}
}

static struct outstore_entry *
outstore_find(struct outstore *s, const char *key)
{
	for (size_t i = 0; i < s->n_entries; i++)
		if (strcmp(s->entries[i].key, key) == 0)
			return &s->entries[i];
	return NULL;
}

static void
outstore_remove_at(struct outstore *s, size_t i)
{
	outstore_entry_release(&s->entries[i]);
	s->entries[i] = s->entries[s->n_entries - 1];
	s->n_entries--;
}

/* Blob files in cas/ that no manifest names (a crash between a blob and
 * its manifest, or an eviction cut short) are removed. */
static void
outstore_sweep_orphans(struct outstore *s)
{
	size_t n;
	struct outstore_ref *r = outstore_refs(s, &n);
	DIR *top = opendir(s->cas);
	struct dirent *de;

	while (top != NULL && (de = readdir(top)) != NULL) {
		char *sub;
		DIR *d;
		struct dirent *be;

		if (de->d_name[0] == '.')
			continue;
		sub = xasprintf("%s/%s", s->cas, de->d_name);
		d = opendir(sub);
		while (d != NULL && (be = readdir(d)) != NULL) {
			if (be->d_name[0] == '.')
				continue;
			if (!sha256_hex_valid(be->d_name) ||
			    outstore_ref_find(r, n, be->d_name) == NULL)
				unlinkat(dirfd(d), be->d_name, 0);
		}
		if (d != NULL)
			closedir(d);
		free(sub);
	}
	if (top != NULL)
		closedir(top);
	free(r);
}

/* Read ac/ into the index: bad manifests and ones whose blobs are gone
 * are deleted. */
static void
outstore_load(struct outstore *s)
{
	DIR *d;
	struct dirent *de;

	if (s->loaded)
		return;
	s->loaded = true;
	outstore_empty_dir(s->tmp);
	d = opendir(s->ac);
	while (d != NULL && (de = readdir(d)) != NULL) {
		struct outmanifest *m = NULL;
		struct stat sb;
		char *path, *buf = NULL;
		size_t len = 0;
		bool ok;

		if (de->d_name[0] == '.')
			continue;
		path = outstore_ac_path(s, de->d_name);
		ok = sha256_hex_valid(de->d_name) && stat(path, &sb) == 0 &&
		    outstore_read_small(path, OUTMANIFEST_TEXT_MAX, &buf, &len,
		    NULL) == 0 && outmanifest_parse(buf, len, de->d_name, 0, &m,
		    NULL) == 0;
		for (size_t i = 0; ok && i < m->n_files; i++) {
			char *bp = outstore_blob_path(s, m->files[i].sha256);
			struct stat bs;

			ok = stat(bp, &bs) == 0 && S_ISREG(bs.st_mode) &&
			    (uint64_t)bs.st_size == m->files[i].size;
			free(bp);
		}
		if (ok && s->n_entries < OUTSTORE_ENTRIES_MAX) {
			s->entries = xreallocarray(s->entries, s->n_entries + 1,
			    sizeof(*s->entries));
			outstore_entry_fill(&s->entries[s->n_entries++], m,
			    (uint64_t)sb.st_mtim.tv_sec * 1000000000u +
			    (uint64_t)sb.st_mtim.tv_nsec);
		} else {
			log_debug("outstore_load: dropping manifest %s",
			    de->d_name);
			unlink(path);
		}
		outmanifest_free(m);
		free(buf);
		free(path);
	}
	if (d != NULL)
		closedir(d);
	outstore_sweep_orphans(s);
	outstore_recount(s);
	log_debug("outstore_load: %zu manifests, %" PRIu64 " bytes",
	    s->n_entries, s->st.bytes);
}

static int
outstore_used_cmp(const void *a, const void *b)
{
	const struct outstore_entry *x = a, *y = b;

	return x->last_used_ns < y->last_used_ns ? -1 :
	    x->last_used_ns > y->last_used_ns;
}

/* Drop least recently used manifests until within the bounds; blobs
 * named by none of the rest go with them. */
static void
outstore_evict(struct outstore *s)
{
	struct outstore_ref *r;
	size_t n, drop = 0;
	uint64_t bytes;

	outstore_recount(s);
	if (s->st.bytes <= s->st.max_bytes &&
	    s->n_entries <= OUTSTORE_ENTRIES_MAX)
		return;
	qsort(s->entries, s->n_entries, sizeof(*s->entries),
	    outstore_used_cmp);
	r = outstore_refs(s, &n);
	bytes = s->st.bytes;
	while (drop < s->n_entries && (bytes > s->st.max_bytes ||
	    s->n_entries - drop > OUTSTORE_ENTRIES_MAX)) {
		struct outstore_entry *e = &s->entries[drop++];
		char *path = outstore_ac_path(s, e->key);

		unlink(path);
		free(path);
		for (size_t j = 0; j < e->n_blobs; j++) {
			struct outstore_ref *x = outstore_ref_find(r, n,
			    e->blobs[j]);

			if (x == NULL || x->refs == 0)
				continue;
			if (--x->refs == 0) {
				char *bp = outstore_blob_path(s, x->sha);

				unlink(bp);
				free(bp);
				bytes -= x->size;
			}
		}
		s->st.evictions++;
		log_debug("outstore_evict: %.16s... (%zu blobs)", e->key,
		    e->n_blobs);
	}
	free(r);
	for (size_t i = 0; i < drop; i++)
		outstore_entry_release(&s->entries[i]);
	memmove(s->entries, s->entries + drop,
	    (s->n_entries - drop) * sizeof(*s->entries));
	s->n_entries -= drop;
	outstore_recount(s);
}

/* ---- lookups ---------------------------------------------------------- */

int
outstore_get(struct outstore *s, const char *key, struct outmanifest **out,
    struct gerr *err)
{
	struct outstore_entry *e;
	char *path, *buf = NULL;
	struct outmanifest *m = NULL;
	struct gerr e2;
	size_t len = 0;
	int rc;

	*out = NULL;
	outstore_lock(s);
	outstore_load(s);
	e = outstore_find(s, key);
	if (e == NULL) {
		s->st.misses++;
		outstore_unlock(s);
		return gerr_set(err, GERR_NOT_FOUND, "no stored result for "
		    "%.16s...", key);
	}
	path = outstore_ac_path(s, key);
	gerr_clear(&e2);
	rc = outstore_read_small(path, OUTMANIFEST_TEXT_MAX, &buf, &len, &e2);
	if (rc == 0)
		rc = outmanifest_parse(buf, len, key, 0, &m, &e2);
	free(buf);
	if (rc != 0) {
		/* Gone or damaged behind our back: forget it. */
		log_warn("output store: %s: %s; dropped", path, e2.msg);
		unlink(path);
		outstore_remove_at(s, (size_t)(e - s->entries));
		outstore_recount(s);
		s->st.misses++;
		s->st.errors++;
		outstore_unlock(s);
		free(path);
		return gerr_set(err, GERR_NOT_FOUND, "stored result for "
		    "%.16s... unreadable: %s", key, e2.msg);
	}
	e->last_used_ns = clock_wall_us() * 1000u;
	/* The order survives a restart as the manifest's mtime. */
	utimensat(AT_FDCWD, path, NULL, 0);
	s->st.hits++;
	outstore_unlock(s);
	free(path);
	*out = m;
	return 0;
}

bool
outstore_has_blob(struct outstore *s, const char *sha, uint64_t size)
{
	char *bp = outstore_blob_path(s, sha);
	struct stat sb;
	bool ok = stat(bp, &sb) == 0 && S_ISREG(sb.st_mode) &&
	    (uint64_t)sb.st_size == size;

	free(bp);
	return ok;
}

/* ---- writing blobs ---------------------------------------------------- */

int
outstore_blob_begin(struct outstore *s, uint64_t max_bytes,
    struct outstore_blobw **out, struct gerr *err)
{
	struct outstore_blobw *w;
	uint64_t seq;

	outstore_lock(s);
	/* The first load sweeps unnamed blobs: it must come before any
	 * blob of ours is written. */
	outstore_load(s);
	seq = ++s->tmp_seq;
	outstore_unlock(s);
	w = xcalloc(1, sizeof(*w));
	w->s = s;
	w->max = max_bytes;
	w->tmp = xasprintf("%s/blob.%ld.%" PRIu64, s->tmp, (long)getpid(),
	    seq);
	/* The one atomic writer (common/fileio): data fsynced before the
	 * rename that names it in tmp/; a second rename files it under its
	 * sha256 once that is known and checked. */
	if (fileio_begin(&w->fw, w->tmp, 0600, FILEIO_NO_SYNC, err) != 0) {
		int rc = err != NULL ? (int)err->code : GERR_IO;

		free(w->tmp);
		free(w);
		return rc != 0 ? rc : GERR_IO;
	}
	w->open = true;
	sha256_init(&w->sha);
	w->buf = xmalloc(OUTSTORE_COPY_CHUNK);
	*out = w;
	return 0;
}

static int
outstore_blob_flush(struct outstore_blobw *w, struct gerr *err)
{
	int rc = 0;

	if (w->used > 0)
		rc = fileio_add(&w->fw, w->buf, w->used, err);
	w->used = 0;
	return rc;
}

int
outstore_blob_write(struct outstore_blobw *w, const void *p, size_t n,
    struct gerr *err)
{
	const char *c = p;
	int rc;

	if (w->max > 0 && (n > w->max || w->size > w->max - n))
		return gerr_set(err, GERR_TOO_LARGE, "blob over %" PRIu64
		    " bytes", w->max);
	sha256_update(&w->sha, p, n);
	w->size += n;
	while (n > 0) {
		size_t room = OUTSTORE_COPY_CHUNK - w->used;
		size_t k = n < room ? n : room;

		memcpy(w->buf + w->used, c, k);
		w->used += k;
		c += k;
		n -= k;
		if (w->used == OUTSTORE_COPY_CHUNK &&
		    (rc = outstore_blob_flush(w, err)) != 0)
			return rc;
	}
	return 0;
}

void
outstore_blob_abort(struct outstore_blobw *w)
{
	if (w == NULL)
		return;
	sha256_release(&w->sha);
	if (w->open)
		fileio_abort(&w->fw);
	else
		unlink(w->tmp);
	free(w->tmp);
	free(w->buf);
	free(w);
}

int
outstore_blob_commit(struct outstore_blobw *w, const char *want_sha,
    char sha_out[SHA256_HEX_SIZE], uint64_t *size_out, struct gerr *err)
{
	struct outstore *s = w->s;
	char sha[SHA256_HEX_SIZE];
	char *final, *sub;
	int rc;

	if ((rc = outstore_blob_flush(w, err)) != 0) {
		outstore_blob_abort(w);
		return rc;
	}
	sha256_final_hex(&w->sha, sha);
	if (want_sha != NULL && strcmp(sha, want_sha) != 0) {
		rc = gerr_set(err, GERR_INVALID, "blob %.16s...: content "
		    "hashes to %.16s...; discarded", want_sha, sha);
		outstore_blob_abort(w);
		return rc;
	}
	w->open = false;
	if ((rc = fileio_commit(&w->fw, err)) != 0) {
		outstore_blob_abort(w);
		return rc;
	}
	sub = xasprintf("%s/%.2s", s->cas, sha);
	final = outstore_blob_path(s, sha);
	if ((mkdir(sub, 0700) != 0 && errno != EEXIST) ||
	    rename(w->tmp, final) != 0) {
		rc = gerr_set(err, GERR_IO, "rename %s to %s: %s", w->tmp,
		    final, strerror(errno));
		free(sub);
		free(final);
		outstore_blob_abort(w);
		return rc;
	}
	free(sub);
	free(final);
	if (sha_out != NULL)
		memcpy(sha_out, sha, SHA256_HEX_SIZE);
	if (size_out != NULL)
		*size_out = w->size;
	free(w->tmp);
	free(w->buf);
	free(w);
	return 0;
}

/* ---- manifests -------------------------------------------------------- */

int
outstore_put(struct outstore *s, const struct outmanifest *m,
    struct gerr *err)
{
	struct outstore_entry *e;
	char *path, *text;
	int rc;

	for (size_t i = 0; i < m->n_files; i++)
		if (!outstore_has_blob(s, m->files[i].sha256,
		    m->files[i].size))
			return gerr_set(err, GERR_NOT_FOUND, "blob %.16s... of "
			    "%s not stored", m->files[i].sha256,
			    m->files[i].path);
	outstore_lock(s);
	outstore_load(s);
	if (m->total_bytes > s->st.max_bytes) {
		outstore_unlock(s);
		return gerr_set(err, GERR_TOO_LARGE, "outputs of %" PRIu64
		    " bytes exceed the store's bound of %" PRIu64,
		    m->total_bytes, s->st.max_bytes);
	}
	path = outstore_ac_path(s, m->key);
	text = outmanifest_to_json(m);
	rc = fileio_write(path, text, strlen(text), 0600, FILEIO_NO_SYNC,
	    err);
	free(text);
	if (rc == 0) {
		e = outstore_find(s, m->key);
		if (e != NULL) {
			outstore_entry_release(e);
		} else {
			s->entries = xreallocarray(s->entries, s->n_entries + 1,
			    sizeof(*s->entries));
			e = &s->entries[s->n_entries++];
		}
		outstore_entry_fill(e, m, clock_wall_us() * 1000u);
		e->verified = true;
		outstore_evict(s);
	} else {
		s->st.errors++;
	}
	outstore_unlock(s);
	free(path);
	return rc;
}

/* ---- capture ---------------------------------------------------------- */

struct outstore_capture {
	struct outstore *s;
	struct outmanifest *m;
	const char *ws_dir;
	uint64_t max, bytes;
	struct gerr *err;
	int rc;
};

/* Copy one regular file (rel to ws_dir) into the store. */
static void
outstore_capture_file(struct outstore_capture *c, const char *rel)
{
	struct outstore_blobw *w = NULL;
	char sha[SHA256_HEX_SIZE];
	char *path, *buf = NULL;
	struct stat sb;
	uint64_t size = 0;
	ssize_t n;
	int fd;

	if (c->rc != 0)
		return;
	path = xasprintf("%s/%s", c->ws_dir, rel);
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &sb) != 0) {
		c->rc = gerr_set(c->err, errno == ENOENT ? GERR_NOT_FOUND :
		    GERR_IO, "open %s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(sb.st_mode)) {
		c->rc = gerr_set(c->err, GERR_INVALID, "output %s is not a "
		    "regular file", rel);
		goto out;
	}
	if ((uint64_t)sb.st_size > c->max - c->bytes) {
		c->rc = gerr_set(c->err, GERR_TOO_LARGE, "outputs over %"
		    PRIu64 " bytes", c->max);
		goto out;
	}
	if ((c->rc = outstore_blob_begin(c->s, 0, &w, c->err)) != 0)
		goto out;
	buf = xmalloc(OUTSTORE_COPY_CHUNK);
	while ((n = read(fd, buf, OUTSTORE_COPY_CHUNK)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			c->rc = gerr_set(c->err, GERR_IO, "read %s: %s", path,
			    strerror(errno));
			break;
		}
		if ((c->rc = outstore_blob_write(w, buf, (size_t)n,
		    c->err)) != 0)
			break;
	}
	if (c->rc != 0) {
		outstore_blob_abort(w);
		goto out;
	}
	c->rc = outstore_blob_commit(w, NULL, sha, &size, c->err);
	if (c->rc == 0) {
		c->bytes += size;
		c->rc = outmanifest_add(c->m, rel, sb.st_mode & 0777, size,
		    sha, c->err);
	}
out:
	if (fd >= 0)
		close(fd);
	free(buf);
	free(path);
}

static void
outstore_crawl_entry(void *arg, const char *rel, enum filetable_kind kind,
    const struct stat *st)
{
	struct outstore_capture *c = arg;

	if (c->rc != 0 || kind == FILETABLE_DIR)
		return;
	/* The walker reports symlinks as files, never followed. */
	if (kind != FILETABLE_FILE || st == NULL || !S_ISREG(st->st_mode)) {
		c->rc = gerr_set(c->err, GERR_INVALID, "output %s is a symlink "
		    "or special file; not cached", rel);
		return;
	}
	outstore_capture_file(c, rel);
}

static void
outstore_crawl_error(void *arg, const char *rel, int error)
{
	struct outstore_capture *c = arg;

	if (c->rc == 0)
		c->rc = gerr_set(c->err, GERR_IO, "read directory %s: %s", rel,
		    strerror(error));
}

/* "./a/b/" -> "a/b" (caller frees). */
static char *
outstore_clean_output(const char *o)
{
	char *p;
	size_t n;

	while (o[0] == '.' && o[1] == '/')
		o += 2;
	p = xstrdup(o);
	n = strlen(p);
	while (n > 0 && p[n - 1] == '/')
		p[--n] = '\0';
	return p;
}

static int
outstore_capture_one(struct outstore_capture *c, const char *output)
{
	char *rel = outstore_clean_output(output);
	char *path = NULL;
	struct stat sb;
	int rc;

	if ((rc = outmanifest_check_path(rel, c->err)) != 0)
		goto out;
	path = xasprintf("%s/%s", c->ws_dir, rel);
	if (lstat(path, &sb) != 0) {
		rc = gerr_set(c->err, errno == ENOENT ? GERR_NOT_FOUND :
		    GERR_IO, "output %s: %s", rel, strerror(errno));
	} else if (S_ISREG(sb.st_mode)) {
		outstore_capture_file(c, rel);
		rc = c->rc;
	} else if (S_ISDIR(sb.st_mode)) {
		struct crawl_config cfg = { .on_entry = outstore_crawl_entry,
			.on_error = outstore_crawl_error, .arg = c };
		struct crawl *cr;

		rc = crawl_new(c->ws_dir, rel, &cfg, &cr, c->err);
		if (rc == 0) {
			while (c->rc == 0 && crawl_step(cr, 4096) == CRAWL_MORE)
				;
			crawl_free(cr);
			rc = c->rc;
		}
	} else {
		rc = gerr_set(c->err, GERR_INVALID, "output %s is a symlink "
		    "or special file; not cached", rel);
	}
out:
	free(rel);
	free(path);
	return rc;
}

int
outstore_capture(struct outstore *s, const char *key, const char *phase,
    const char *ws_dir, const char *const *outputs, size_t n_outputs,
    const char *tail, size_t tail_len, struct outmanifest **out,
    struct gerr *err)
{
	struct outstore_capture c = { .s = s, .ws_dir = ws_dir, .err = err };
	int rc = 0;

	if (out != NULL)
		*out = NULL;
	outstore_lock(s);
	c.max = s->st.max_bytes;
	outstore_unlock(s);
	c.m = outmanifest_new(key, phase);
	for (size_t i = 0; rc == 0 && i < n_outputs; i++)
		rc = outstore_capture_one(&c, outputs[i]);
	if (rc == 0) {
		outmanifest_set_tail(c.m, tail, tail_len);
		rc = outmanifest_seal(c.m, err);
	}
	if (rc == 0)
		rc = outstore_put(s, c.m, err);
	outstore_lock(s);
	if (rc == 0) {
		s->st.captures++;
		s->st.captured_bytes += c.m->total_bytes;
	}
	outstore_unlock(s);
	if (rc == 0 && out != NULL)
		*out = c.m;
	else
		outmanifest_free(c.m);
	return rc;
}

/* ---- restore ---------------------------------------------------------- */

/* A restored file written to its temp name, not yet published. */
struct outstore_pending {
	struct fileio_writer fw;
	bool open;
};

/*
 * Open (creating as needed) the directory of rel under the workspace fd,
 * never following a symlink. Returns an fd (owned) or -1 with err set;
 * *base points at rel's last component.
 */
static int
outstore_open_parent(int wsfd, const char *rel, const char **base,
    struct gerr *err)
{
	int fd = dup(wsfd), next;
	const char *p = rel, *slash;

	if (fd < 0) {
		gerr_set(err, GERR_IO, "dup: %s", strerror(errno));
		return -1;
	}
	while ((slash = strchr(p, '/')) != NULL) {
		char *comp = xstrndup(p, (size_t)(slash - p));

		next = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		    O_CLOEXEC);
		if (next < 0 && errno == ENOENT) {
			if (mkdirat(fd, comp, 0755) != 0 && errno != EEXIST) {
				gerr_set(err, GERR_IO, "mkdir %.*s: %s",
				    (int)(slash - rel), rel, strerror(errno));
				free(comp);
				close(fd);
				return -1;
			}
			next = openat(fd, comp, O_RDONLY | O_DIRECTORY |
			    O_NOFOLLOW | O_CLOEXEC);
		}
		if (next < 0) {
			if (errno == ELOOP || errno == ENOTDIR)
				gerr_set(err, GERR_OUTSIDE_ROOT, "output %s: "
				    "%.*s is a symlink or not a directory; "
				    "refused", rel, (int)(slash - rel), rel);
			else
				gerr_set(err, GERR_IO, "open %.*s: %s",
				    (int)(slash - rel), rel, strerror(errno));
			free(comp);
			close(fd);
			return -1;
		}
		free(comp);
		close(fd);
		fd = next;
		p = slash + 1;
	}
	*base = p;
	return fd;
}

/* Check f's way in (no symlink, no directory in the way), then open its
 * temp file through the atomic writer; p->open on success. */
static int
outstore_target(int wsfd, const char *ws_dir, const struct outmanifest_file *f,
    struct outstore_pending *p, struct gerr *err)
{
	const char *base = NULL;
	struct stat sb;
	char *dest;
	bool isdir;
	int dfd, rc;

	dfd = outstore_open_parent(wsfd, f->path, &base, err);
	if (dfd < 0)
		return err != NULL && err->code != GERR_OK ? (int)err->code :
		    GERR_OUTSIDE_ROOT;
	isdir = fstatat(dfd, base, &sb, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISDIR(sb.st_mode);
	close(dfd);
	if (isdir)
		return gerr_set(err, GERR_OUTSIDE_ROOT, "output %s is a "
		    "directory on disk; refused", f->path);
	dest = xasprintf("%s/%s", ws_dir, f->path);
	/* No fsync: see "Durability" in doc/remote-cache.md (outputs unseen
	 * since start are checked against the store by content). */
	rc = fileio_begin(&p->fw, dest, f->mode, FILEIO_OUTPUT |
	    FILEIO_NO_SYNC, err);
	free(dest);
	if (rc == 0)
		p->open = true;
	return rc;
}

struct outstore_local {
	struct outstore *s;
	bool verify;		/* re-hash: the result predates this process */
	char *buf;
};

/* outstore_fill_cb from the store's blob of f. */
static int
outstore_fill_local(void *arg, const struct outmanifest_file *f,
    struct fileio_writer *w, struct gerr *err)
{
	struct outstore_local *l = arg;
	char *bp = outstore_blob_path(l->s, f->sha256);
	uint64_t left = f->size;
	char got[SHA256_HEX_SIZE];
	struct sha256 h;
	struct stat sb;
	int in, rc = 0;

	in = open(bp, O_RDONLY | O_CLOEXEC);
	free(bp);
	if (in < 0 || fstat(in, &sb) != 0 || (uint64_t)sb.st_size != f->size) {
		if (in >= 0)
			close(in);
		return gerr_set(err, GERR_NOT_FOUND, "blob %.16s... of %s "
		    "missing or damaged in the store", f->sha256, f->path);
	}
	if (!l->verify) {
		/* Trusted content (sizes checked): copied in the kernel. */
		bool short_src;

		rc = fileio_add_fd(w, in, f->size, &short_src, err);
		close(in);
		return rc;
	}
	sha256_init(&h);
	while (rc == 0 && left > 0) {
		ssize_t n = read(in, l->buf, left < OUTSTORE_COPY_CHUNK ?
		    (size_t)left : OUTSTORE_COPY_CHUNK);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = gerr_set(err, GERR_IO, "read blob of %s: %s",
			    f->path, n == 0 ? "short file" : strerror(errno));
			break;
		}
		sha256_update(&h, l->buf, (size_t)n);
		rc = fileio_add(w, l->buf, (size_t)n, err);
		left -= (uint64_t)n;
	}
	close(in);
	if (rc != 0) {
		sha256_release(&h);
		return rc;
	}
	sha256_final_hex(&h, got);
	if (strcmp(got, f->sha256) != 0)
		return gerr_set(err, GERR_INVALID, "blob %.16s... of %s "
		    "damaged in the store (hashes to %.16s...)", f->sha256,
		    f->path, got);
	return 0;
}

int
outstore_restore_from(const struct outmanifest *m, const char *ws_dir,
    outstore_fill_cb fill, void *arg, struct gerr *err)
{
	struct outstore_pending *p = xcalloc(m->n_files + 1, sizeof(*p));
	int wsfd, rc = 0;

	wsfd = open(ws_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (wsfd < 0) {
		free(p);
		return gerr_set(err, GERR_IO, "open %s: %s", ws_dir,
		    strerror(errno));
	}
	/* Every path is checked before any byte is fetched. */
	for (size_t i = 0; rc == 0 && i < m->n_files; i++)
		rc = outstore_target(wsfd, ws_dir, &m->files[i], &p[i], err);
	for (size_t i = 0; rc == 0 && i < m->n_files; i++)
		rc = fill(arg, &m->files[i], &p[i].fw, err);
	/* Every file is complete: now they take their names. */
	for (size_t i = 0; i < m->n_files; i++) {
		if (!p[i].open)
			continue;
		p[i].open = false;
		if (rc == 0)
			rc = fileio_commit(&p[i].fw, err);
		else
			fileio_abort(&p[i].fw);
	}
	free(p);
	close(wsfd);
	return rc;
}

int
outstore_restore(struct outstore *s, const struct outmanifest *m,
    const char *ws_dir, uint64_t *bytes, struct gerr *err)
{
	struct outstore_local l = { .s = s };
	struct outstore_entry *e;
	int rc;

	*bytes = 0;
	/* Blobs from before this process started may have been cut by a
	 * crash (they are written without fsync): checked on first use. */
	outstore_lock(s);
	e = outstore_find(s, m->key);
	l.verify = e == NULL || !e->verified;
	outstore_unlock(s);
	l.buf = xmalloc(OUTSTORE_COPY_CHUNK);
	rc = outstore_restore_from(m, ws_dir, outstore_fill_local, &l, err);
	free(l.buf);
	outstore_lock(s);
	e = outstore_find(s, m->key);
	if (rc == 0) {
		s->st.restores++;
		s->st.restored_bytes += m->total_bytes;
		*bytes = m->total_bytes;
		if (e != NULL)
			e->verified = true;
	} else {
		s->st.errors++;
		if (rc == GERR_INVALID && e != NULL) {
			/* A damaged blob: forget the result (its blobs go
			 * with it unless another result names them). */
			char *path = outstore_ac_path(s, m->key);

			log_warn("output store: %s; result %.16s... dropped",
			    err != NULL ? err->msg : "damaged blob", m->key);
			unlink(path);
			free(path);
			for (size_t i = 0; i < m->n_files; i++) {
				char *bp = outstore_blob_path(s,
				    m->files[i].sha256);

				unlink(bp);
				free(bp);
			}
			outstore_remove_at(s, (size_t)(e - s->entries));
			outstore_recount(s);
		}
	}
	outstore_unlock(s);
	return rc;
}

bool
outstore_matches(const struct outmanifest *m, const char *ws_dir,
    const char **why)
{
	char *buf;
	bool same = outstore_present(m, ws_dir, why);

	if (!same)
		return false;
	buf = xmalloc(OUTSTORE_COPY_CHUNK);
	for (size_t i = 0; same && i < m->n_files; i++) {
		char *path = xasprintf("%s/%s", ws_dir, m->files[i].path);
		int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		char got[SHA256_HEX_SIZE];
		struct sha256 h;
		ssize_t n;

		free(path);
		if (fd < 0) {
			same = false;
		} else {
			sha256_init(&h);
			while ((n = read(fd, buf, OUTSTORE_COPY_CHUNK)) > 0)
				sha256_update(&h, buf, (size_t)n);
			close(fd);
			sha256_final_hex(&h, got);
			same = n == 0 && strcmp(got, m->files[i].sha256) == 0;
		}
		if (!same && why != NULL)
			*why = m->files[i].path;
	}
	free(buf);
	return same;
}

bool
outstore_present(const struct outmanifest *m, const char *ws_dir,
    const char **why)
{
	for (size_t i = 0; i < m->n_files; i++) {
		char *path = xasprintf("%s/%s", ws_dir, m->files[i].path);
		struct stat sb;
		bool ok = lstat(path, &sb) == 0 && S_ISREG(sb.st_mode) &&
		    (uint64_t)sb.st_size == m->files[i].size;

		free(path);
		if (!ok) {
			if (why != NULL)
				*why = m->files[i].path;
			return false;
		}
	}
	return true;
}
