/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * engine_cache.c - cache keys and the last successful key per
 * (root, workspace, phase) for the lifecycle engine.
 *
 * Owns the in-memory key table and the state file
 * STATE_DIR/engine-cache.json ({"ROOT\tWS\tPHASE": "hex"}), rewritten
 * through common/fileio (temp file, fsync, rename, fsync of the
 * directory) after every store, so a crash leaves the old or the new
 * file, never half of one; the write runs on the engine's worker thread
 * (one at a time, the newest table last), off the loop. Called by
 * daemon/engine.c only.
 * Invariant: at most one entry per (root, ws, phase); at most
 * ENGINE_CACHE_MAX entries (oldest stored evicted first).
 *
 * Inputs are the workspace's files (daemon/treefiles.c: the watched
 * root's hot file table, whose hashes are used as they are, or else the
 * common/projtree walker with the same ignore policy, hashing each
 * matched file here: XXH3-128 of a file's bytes or of a symlink's target
 * text, as the hash pool does) that the phase's compiled `inputs` globs
 * match. The walk and its hashing are blocking I/O on the caller's thread:
 * the engine calls engine_cache_key on its worker (dry runs too; inline
 * only when it has no worker). The state file's text is
 * daemon/statemap.c's.
 */
#include "engine_cache.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <xxhash.h>

#include "fileio.h"
#include "filetable.h"
#include "log.h"
#include "statemap.h"
#include "treefiles.h"
#include "worker.h"
#include "xmalloc.h"

#define ENGINE_CACHE_FILE "engine-cache.json"
#define ENGINE_CACHE_FILE_MAX (4 * 1024 * 1024)

struct engine_cache_entry {
	char *id;			/* "ROOT\tWS\tPHASE" */
	char key[CACHEKEY_HEX_SIZE];
};

struct engine_cache {
	char *path;			/* the state file */
	struct engine_cache_entry *items;	/* oldest stored first */
	size_t len;
	struct worker *worker;		/* writes the file; NULL: inline */
	bool saving;			/* a write is on the worker */
	bool dirty;			/* stored since that write's text */
};

/* One write of the state file: the text as it was when stored. */
struct engine_cache_write {
	struct engine_cache *c;
	char *path;
	char *text;
	int rc;
	struct gerr err;
};

static void
engine_cache_put(struct engine_cache *c, const char *id, const char *key)
{
	size_t i;

	for (i = 0; i < c->len; i++)
		if (strcmp(c->items[i].id, id) == 0)
			break;
	if (i < c->len) {
		/* Move to the end: the newest are evicted last. */
		struct engine_cache_entry e = c->items[i];

		memmove(&c->items[i], &c->items[i + 1],
		    (c->len - i - 1) * sizeof(*c->items));
		c->items[c->len - 1] = e;
	} else {
		if (c->len == ENGINE_CACHE_MAX) {
			free(c->items[0].id);
			memmove(&c->items[0], &c->items[1],
			    (c->len - 1) * sizeof(*c->items));
			c->len--;
		}
		c->items = xreallocarray(c->items, c->len + 1,
		    sizeof(*c->items));
		c->items[c->len].id = xstrdup(id);
		c->len++;
	}
	snprintf(c->items[c->len - 1].key, CACHEKEY_HEX_SIZE, "%s", key);
}

/* statemap_put_fn: one entry of the state file. */
static void
engine_cache_load_one(void *arg, const char *id, const char *key)
{
	if (strlen(key) == CACHEKEY_HEX_SIZE - 1)
		engine_cache_put(arg, id, key);
}

struct engine_cache *
engine_cache_new(const char *state_dir)
{
	struct engine_cache *c = xcalloc(1, sizeof(*c));
	size_t len = 0;
	int rc;
	char *buf;
	struct gerr err;

	c->path = xasprintf("%s/%s", state_dir, ENGINE_CACHE_FILE);
	gerr_clear(&err);
	if (fileio_read(c->path, ENGINE_CACHE_FILE_MAX, 0, &buf, &len, NULL,
	    &err) != 0) {
		if (err.code != GERR_NOT_FOUND)
			log_warn("%s; cache starts empty", err.msg);
		return c;
	}
	rc = statemap_parse(buf, len, engine_cache_load_one, c);
	free(buf);
	if (rc != 0)
		log_warn("%s: not a JSON object; cache starts empty", c->path);
	return c;
}

void
engine_cache_free(struct engine_cache *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->len; i++)
		free(c->items[i].id);
	free(c->items);
	free(c->path);
	free(c);
}

static char *
engine_cache_id(const char *root, const char *ws, const char *phase)
{
	return xasprintf("%s\t%s\t%s", root, ws, phase);
}

const char *
engine_cache_lookup(const struct engine_cache *c, const char *root,
    const char *ws, const char *phase)
{
	char *id = engine_cache_id(root, ws, phase);
	const char *key = NULL;

	for (size_t i = 0; i < c->len && key == NULL; i++)
		if (strcmp(c->items[i].id, id) == 0)
			key = c->items[i].key;
	free(id);
	return key;
}

/* The table as the state file's text (caller frees). */
static char *
engine_cache_text(const struct engine_cache *c)
{
	const char **ids = xcalloc(c->len + 1, sizeof(*ids));
	const char **keys = xcalloc(c->len + 1, sizeof(*keys));
	char *text;

	for (size_t i = 0; i < c->len; i++) {
		ids[i] = c->items[i].id;
		keys[i] = c->items[i].key;
	}
	text = statemap_print(ids, keys, c->len);
	free(ids);
	free(keys);
	return text;
}

static void
engine_cache_write_fn(void *arg)
{
	struct engine_cache_write *wr = arg;

	gerr_clear(&wr->err);
	wr->rc = fileio_write(wr->path, wr->text, strlen(wr->text), 0600, 0,
	    &wr->err);
}

static void engine_cache_save(struct engine_cache *c);

/* Loop thread: report, and write again if keys were stored meanwhile. */
static void
engine_cache_write_done(void *arg)
{
	struct engine_cache_write *wr = arg;
	struct engine_cache *c = wr->c;

	if (wr->rc != 0)
		log_warn("%s; cache hits will not survive a restart",
		    wr->err.msg);
	free(wr->path);
	free(wr->text);
	free(wr);
	c->saving = false;
	if (c->dirty) {
		c->dirty = false;
		engine_cache_save(c);
	}
}

/*
 * Save the table: the text is built here (cheap, bounded by
 * ENGINE_CACHE_MAX entries), the write (fileio: temp file, fsync, rename,
 * fsync of the directory) happens on the worker, off the loop. One write
 * at a time: stores during a write mark the table dirty and the newest
 * text follows when it is done.
 */
static void
engine_cache_save(struct engine_cache *c)
{
	struct engine_cache_write *wr = xcalloc(1, sizeof(*wr));

	if (c->saving) {
		c->dirty = true;
		free(wr);
		return;
	}
	wr->c = c;
	wr->path = xstrdup(c->path);
	wr->text = engine_cache_text(c);
	if (c->worker == NULL) {
		engine_cache_write_fn(wr);
		if (wr->rc != 0)
			log_warn("%s; cache hits will not survive a restart",
			    wr->err.msg);
		free(wr->path);
		free(wr->text);
		free(wr);
		return;
	}
	c->saving = true;
	worker_submit(c->worker, engine_cache_write_fn, engine_cache_write_done,
	    wr);
}

void
engine_cache_set_worker(struct engine_cache *c, struct worker *w)
{
	c->worker = w;
}

void
engine_cache_store(struct engine_cache *c, const char *root, const char *ws,
    const char *phase, const char *key)
{
	char *id = engine_cache_id(root, ws, phase);
	const char *old = engine_cache_lookup(c, root, ws, phase);
	bool same = old != NULL && strcmp(old, key) == 0;

	engine_cache_put(c, id, key);
	free(id);
	if (!same)
		engine_cache_save(c);
}

struct engine_cache_walk {
	const struct make_phase *ph;
	char **paths;		/* matched, relative to the workspace */
	char **hashes;		/* hex of each path's content hash */
	size_t n, cap;
	const char *root;	/* the root directory */
	struct gerr *err;
};

static int
engine_cache_walk_add(struct engine_cache_walk *w, const char *rel,
    const char *hex)
{
	if (w->n == ENGINE_CACHE_INPUTS_MAX)
		return gerr_set(w->err, GERR_LIMIT, "more than %d input files",
		    ENGINE_CACHE_INPUTS_MAX);
	if (w->n == w->cap) {
		w->cap = w->cap ? w->cap * 2 : 64;
		w->paths = xreallocarray(w->paths, w->cap, sizeof(*w->paths));
		w->hashes = xreallocarray(w->hashes, w->cap,
		    sizeof(*w->hashes));
	}
	w->paths[w->n] = xstrdup(rel);
	w->hashes[w->n] = xstrdup(hex);
	w->n++;
	return 0;
}

static int
engine_cache_idx_cmp(const void *a, const void *b, void *arg)
{
	char *const *paths = arg;

	return strcmp(paths[*(const size_t *)a], paths[*(const size_t *)b]);
}

static void
engine_cache_walk_release(struct engine_cache_walk *w)
{
	for (size_t i = 0; i < w->n; i++) {
		free(w->paths[i]);
		free(w->hashes[i]);
	}
	free(w->paths);
	free(w->hashes);
}

static void
engine_cache_hex(XXH128_hash_t h, char hex[33])
{
	XXH128_canonical_t canon;

	XXH128_canonicalFromHash(&canon, h);
	for (size_t i = 0; i < sizeof(canon.digest); i++)
		snprintf(hex + 2 * i, 3, "%02x", canon.digest[i]);
}

/* The content hash of path as the hash pool computes it: a regular
 * file's bytes, a symlink's target text (never followed). */
static int
engine_cache_hash_file(const char *path, bool is_link, char hex[33],
    struct gerr *err)
{
	XXH3_state_t *st;
	char buf[65536];
	ssize_t n;
	int fd;

	if (is_link) {
		n = readlink(path, buf, sizeof(buf));
		if (n < 0 || (size_t)n == sizeof(buf))
			return gerr_set(err, GERR_IO, "readlink %s: %s", path,
			    n < 0 ? strerror(errno) : "target too long");
		engine_cache_hex(XXH3_128bits(buf, (size_t)n), hex);
		return 0;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0)
		return gerr_set(err, GERR_IO, "open %s: %s", path,
		    strerror(errno));
	st = XXH3_createState();
	if (st == NULL)
		fatal("XXH3_createState: out of memory");
	XXH3_128bits_reset(st);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		XXH3_128bits_update(st, buf, (size_t)n);
	close(fd);
	if (n < 0) {
		XXH3_freeState(st);
		return gerr_set(err, GERR_IO, "read %s: %s", path,
		    strerror(errno));
	}
	engine_cache_hex(XXH3_128bits_digest(st), hex);
	XXH3_freeState(st);
	return 0;
}

/* Whether root/e->path still has the stat tuple its hash belongs to: one
 * lstat, no read. */
static bool
engine_cache_stat_matches(const char *root, const struct filetable_entry *e)
{
	char *path = xasprintf("%s/%s", root, e->path);
	struct filetable_stat now;
	struct stat sb;
	int rc = lstat(path, &sb);

	free(path);
	if (rc != 0)
		return false;
	filetable_stat_from(&now, &sb);
	return now.dev == e->st.dev && now.ino == e->st.ino &&
	    now.size == e->st.size && now.mtime_ns == e->st.mtime_ns &&
	    now.ctime_ns == e->st.ctime_ns;
}

/* One file of the workspace: an input when a glob of `inputs` matches. */
static int
engine_cache_file(void *arg, const struct treefiles_file *f)
{
	struct engine_cache_walk *w = arg;
	char hex[33], *abs;
	int rc;

	if (make_strlist_match(&w->ph->inputs, f->rel) < 0)
		return 0;
	if (f->e != NULL) {
		if ((f->e->flags & FILETABLE_F_HASH_KNOWN) == 0)
			return gerr_set(w->err, GERR_BUSY,
			    "%s: hash not known yet", f->root_rel);
		/* Saved but its event not read yet (a script that saves
		 * then runs at once): the table's hash is stale. */
		if (!engine_cache_stat_matches(w->root, f->e))
			return gerr_set(w->err, GERR_BUSY,
			    "%s: changed since hashed", f->root_rel);
		engine_cache_hex(f->e->hash, hex);
		return engine_cache_walk_add(w, f->rel, hex);
	}
	abs = xasprintf("%s/%s", w->root, f->root_rel);
	rc = engine_cache_hash_file(abs, S_ISLNK(f->st->st_mode), hex, w->err);
	free(abs);
	return rc != 0 ? rc : engine_cache_walk_add(w, f->rel, hex);
}

/* Sort w's paths (and their hashes along) by strcmp. */
static void
engine_cache_walk_sort(struct engine_cache_walk *w)
{
	size_t *idx;
	char **p, **h;

	if (w->n < 2)
		return;
	/* Insertion sort would be quadratic on big trees: sort indices. */
	idx = xcalloc(w->n, sizeof(*idx));
	for (size_t i = 0; i < w->n; i++)
		idx[i] = i;
	qsort_r(idx, w->n, sizeof(*idx), engine_cache_idx_cmp, w->paths);
	p = xcalloc(w->n, sizeof(*p));
	h = xcalloc(w->n, sizeof(*h));
	for (size_t i = 0; i < w->n; i++) {
		p[i] = w->paths[idx[i]];
		h[i] = w->hashes[idx[i]];
	}
	free(w->paths);
	free(w->hashes);
	free(idx);
	w->paths = p;
	w->hashes = h;
}

/* The key of ph over the workspace's files, from t or from the disk. */
static int
engine_cache_key_from(const struct make_phase *ph, const struct filetable *t,
    const char *root, const char *ws_rel,
    const struct make_project *root_model, char key[CACHEKEY_HEX_SIZE],
    struct gerr *err)
{
	struct engine_cache_walk w = { .ph = ph, .root = root, .err = err };
	struct cachekey ck;
	int rc = 0;

	if (ph->inputs.len > 0)
		rc = treefiles_foreach(t, root, ws_rel, root_model,
		    engine_cache_file, &w, err);
	engine_cache_walk_sort(&w);
	if (rc == 0)
		rc = cachekey_begin(&ck, ph->name, err);
	if (rc != 0) {
		engine_cache_walk_release(&w);
		return rc;
	}
	for (size_t i = 0; i < ph->commands.len; i++)
		cachekey_add_command(&ck, ph->commands.items[i].s, err);
	for (size_t i = 0; i < ph->env_len; i++)
		cachekey_add_env(&ck, ph->env[i].key, ph->env[i].value, err);
	for (size_t i = 0; rc == 0 && i < w.n; i++)
		rc = cachekey_add_input(&ck, w.paths[i], w.hashes[i], err);
	engine_cache_walk_release(&w);
	if (rc != 0) {
		cachekey_release(&ck);
		return rc;
	}
	return cachekey_finish(&ck, key, err);
}

int
engine_cache_key(const struct make_phase *ph, const char *root,
    const char *ws_rel, const struct make_project *root_model,
    char key[CACHEKEY_HEX_SIZE], struct gerr *err)
{
	return engine_cache_key_from(ph, NULL, root, ws_rel, root_model, key,
	    err);
}

int
engine_cache_key_table(const struct make_phase *ph, const struct filetable *t,
    const char *root, const char *ws_rel, char key[CACHEKEY_HEX_SIZE],
    struct gerr *err)
{
	return engine_cache_key_from(ph, t, root, ws_rel, NULL, key, err);
}

const char *
engine_cache_missing_output(const struct make_phase *ph, const char *ws_dir)
{
	for (size_t i = 0; i < ph->outputs.len; i++) {
		char *p = xasprintf("%s/%s", ws_dir, ph->outputs.items[i].s);
		struct stat st;
		int rc = stat(p, &st);

		free(p);
		if (rc != 0)
			return ph->outputs.items[i].s;
	}
	return NULL;
}
