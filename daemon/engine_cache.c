/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * engine_cache.c - cache keys and the last successful key per
 * (root, workspace, phase) for the lifecycle engine.
 *
 * Owns the in-memory key table and the state file
 * STATE_DIR/engine-cache.json ({"ROOT\tWS\tPHASE": "hex"}), rewritten
 * through a temp file and rename after every store so a crash leaves the
 * old or the new file, never half of one. Called by daemon/engine.c only.
 * Invariant: at most one entry per (root, ws, phase); at most
 * ENGINE_CACHE_MAX entries (oldest stored evicted first).
 *
 * Inputs are found by walking the workspace directory and hashing matched
 * files (XXH3-128, canonical hex). This is blocking I/O on the loop: it is
 * the stand-in until the watch module's hot file table is wired in, which
 * already holds every path with its content hash (DESIGN.md 3).
 */
#include "engine_cache.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <xxhash.h>

#include "fileio.h"
#include "filetable.h"
#include "glob.h"
#include "log.h"
#include "strbuf.h"
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
};

static const char *const engine_cache_skip_dirs[] = {
	".git", ".hg", ".svn", "node_modules", "target", ".ggen",
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

struct engine_cache *
engine_cache_new(const char *state_dir)
{
	struct engine_cache *c = xcalloc(1, sizeof(*c));
	const cJSON *item;
	cJSON *doc;
	size_t len = 0;
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
	doc = cJSON_ParseWithLength(buf, len);
	free(buf);
	if (!cJSON_IsObject(doc)) {
		log_warn("%s: not a JSON object; cache starts empty", c->path);
		cJSON_Delete(doc);
		return c;
	}
	cJSON_ArrayForEach(item, doc)
		if (cJSON_IsString(item) && strlen(item->valuestring) ==
		    CACHEKEY_HEX_SIZE - 1)
			engine_cache_put(c, item->string, item->valuestring);
	cJSON_Delete(doc);
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

static void
engine_cache_save(const struct engine_cache *c)
{
	cJSON *doc = cJSON_CreateObject();
	struct gerr err;
	char *text;

	for (size_t i = 0; i < c->len; i++)
		cJSON_AddStringToObject(doc, c->items[i].id, c->items[i].key);
	text = cJSON_PrintUnformatted(doc);
	cJSON_Delete(doc);
	gerr_clear(&err);
	if (fileio_write(c->path, text, strlen(text), 0600, 0, &err) != 0)
		log_warn("%s; cache hits will not survive a restart", err.msg);
	cJSON_free(text);
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

/* Compile list's patterns; those that fail are left NULL (never match). */
static struct glob **
engine_cache_compile(const struct make_strlist *list, bool as_dirs)
{
	struct glob **g = xcalloc(list->len + 1, sizeof(*g));

	for (size_t i = 0; i < list->len; i++) {
		char *p = xstrdup(list->items[i].s);
		size_t n = strlen(p);

		if (as_dirs)
			while (n > 1 && p[n - 1] == '/')
				p[--n] = '\0';
		if (glob_compile(p, as_dirs ? GLOB_DIR_PREFIX : 0, &g[i],
		    NULL) != 0)
			g[i] = NULL;
		free(p);
	}
	return g;
}

static void
engine_cache_globs_free(struct glob **g, size_t n)
{
	for (size_t i = 0; i < n; i++)
		glob_free(g[i]);
	free(g);
}

static bool
engine_cache_match(struct glob *const *g, size_t n, const char *rel)
{
	for (size_t i = 0; i < n; i++)
		if (g[i] != NULL && glob_match(g[i], rel, strlen(rel)))
			return true;
	return false;
}

bool
engine_glob_any(const struct make_strlist *list, const char *rel,
    bool as_dirs)
{
	struct glob **g;
	bool hit;

	if (list->len == 0)
		return false;
	g = engine_cache_compile(list, as_dirs);
	hit = engine_cache_match(g, list->len, rel);
	engine_cache_globs_free(g, list->len);
	return hit;
}

struct engine_cache_walk {
	struct glob **g;
	size_t n_g;
	char **paths;		/* matched, relative */
	char **hashes;		/* table walk: hex of each path's hash */
	size_t n, cap;
	const char *root;	/* table walk: the root directory */
	const char *prefix;	/* table walk: workspace path + "/", or "" */
	size_t prefix_len;
	struct gerr *err;
	int rc;
};

static void
engine_cache_walk_add(struct engine_cache_walk *w, const char *rel,
    const char *hex)
{
	if (w->n == ENGINE_CACHE_INPUTS_MAX) {
		w->rc = gerr_set(w->err, GERR_LIMIT, "more than %d input files",
		    ENGINE_CACHE_INPUTS_MAX);
		return;
	}
	if (w->n == w->cap) {
		w->cap = w->cap ? w->cap * 2 : 64;
		w->paths = xreallocarray(w->paths, w->cap, sizeof(*w->paths));
		w->hashes = xreallocarray(w->hashes, w->cap,
		    sizeof(*w->hashes));
	}
	w->paths[w->n] = xstrdup(rel);
	w->hashes[w->n] = hex != NULL ? xstrdup(hex) : NULL;
	w->n++;
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

static bool
engine_cache_skipped(const char *name)
{
	for (size_t i = 0; i < sizeof(engine_cache_skip_dirs) /
	    sizeof(engine_cache_skip_dirs[0]); i++)
		if (strcmp(name, engine_cache_skip_dirs[i]) == 0)
			return true;
	return false;
}

/* Walk abs (whose path relative to the workspace is rel, "" at the top). */
static void
engine_cache_walk_dir(struct engine_cache_walk *w, struct strbuf *abs,
    struct strbuf *rel)
{
	DIR *d = opendir(abs->buf);
	struct dirent *de;

	if (d == NULL)
		return;		/* vanished or unreadable: not an input */
	while (w->rc == 0 && (de = readdir(d)) != NULL) {
		size_t al = abs->len, rl = rel->len;
		struct stat st;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		strbuf_addch(abs, '/');
		strbuf_addstr(abs, de->d_name);
		if (rel->len > 0)
			strbuf_addch(rel, '/');
		strbuf_addstr(rel, de->d_name);
		if (lstat(abs->buf, &st) == 0) {
			if (S_ISDIR(st.st_mode)) {
				if (!engine_cache_skipped(de->d_name))
					engine_cache_walk_dir(w, abs, rel);
			} else if (S_ISREG(st.st_mode) &&
			    engine_cache_match(w->g, w->n_g, rel->buf)) {
				engine_cache_walk_add(w, rel->buf, NULL);
			}
		}
		strbuf_truncate(abs, al);
		strbuf_truncate(rel, rl);
	}
	closedir(d);
}

static void
engine_cache_hex(XXH128_hash_t h, char hex[33])
{
	XXH128_canonical_t canon;

	XXH128_canonicalFromHash(&canon, h);
	for (size_t i = 0; i < sizeof(canon.digest); i++)
		snprintf(hex + 2 * i, 3, "%02x", canon.digest[i]);
}

static int
engine_cache_hash_file(const char *path, char hex[33], struct gerr *err)
{
	XXH3_state_t *st;
	char buf[65536];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

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

/* The key of ph over w's inputs (hashing files under ws_dir when w has no
 * hashes); releases w. */
static int
engine_cache_finish_key(const struct make_phase *ph,
    struct engine_cache_walk *w, const char *ws_dir,
    char key[CACHEKEY_HEX_SIZE], struct gerr *err)
{
	struct cachekey ck;
	char hex[33];
	int rc = w->rc;

	engine_cache_walk_sort(w);
	if (rc == 0)
		rc = cachekey_begin(&ck, ph->name, err);
	if (rc != 0) {
		engine_cache_walk_release(w);
		return rc;
	}
	for (size_t i = 0; i < ph->commands.len; i++)
		cachekey_add_command(&ck, ph->commands.items[i].s, err);
	for (size_t i = 0; i < ph->env_len; i++)
		cachekey_add_env(&ck, ph->env[i].key, ph->env[i].value, err);
	for (size_t i = 0; rc == 0 && i < w->n; i++) {
		if (w->hashes[i] == NULL) {
			char *p = xasprintf("%s/%s", ws_dir, w->paths[i]);

			rc = engine_cache_hash_file(p, hex, err);
			free(p);
		} else {
			snprintf(hex, sizeof(hex), "%s", w->hashes[i]);
		}
		if (rc == 0)
			rc = cachekey_add_input(&ck, w->paths[i], hex, err);
	}
	engine_cache_walk_release(w);
	if (rc != 0) {
		cachekey_release(&ck);
		return rc;
	}
	return cachekey_finish(&ck, key, err);
}

int
engine_cache_key(const struct make_phase *ph, const char *ws_dir,
    char key[CACHEKEY_HEX_SIZE], struct gerr *err)
{
	struct engine_cache_walk w = { .err = err };
	struct strbuf abs, rel;

	if (ph->inputs.len > 0) {
		w.g = engine_cache_compile(&ph->inputs, false);
		w.n_g = ph->inputs.len;
		strbuf_init(&abs);
		strbuf_init(&rel);
		strbuf_addstr(&abs, ws_dir);
		engine_cache_walk_dir(&w, &abs, &rel);
		strbuf_release(&abs);
		strbuf_release(&rel);
		engine_cache_globs_free(w.g, w.n_g);
	}
	return engine_cache_finish_key(ph, &w, ws_dir, key, err);
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

static void
engine_cache_table_entry(void *arg, const struct filetable_entry *e)
{
	struct engine_cache_walk *w = arg;
	const char *rel = e->path;
	char hex[33];

	if (w->rc != 0 || e->kind != FILETABLE_FILE ||
	    (e->flags & FILETABLE_F_TOMBSTONE) != 0)
		return;
	if (w->prefix_len > 0) {
		if (strncmp(rel, w->prefix, w->prefix_len) != 0)
			return;
		rel += w->prefix_len;
	}
	if (!engine_cache_match(w->g, w->n_g, rel))
		return;
	if ((e->flags & FILETABLE_F_HASH_KNOWN) == 0) {
		w->rc = gerr_set(w->err, GERR_BUSY, "%s: hash not known yet",
		    e->path);
		return;
	}
	if (!engine_cache_stat_matches(w->root, e)) {
		/* Saved but its event not read yet (a script that saves then
		 * runs at once): the table's hash is stale. */
		w->rc = gerr_set(w->err, GERR_BUSY, "%s: changed since hashed",
		    e->path);
		return;
	}
	engine_cache_hex(e->hash, hex);
	engine_cache_walk_add(w, rel, hex);
}

int
engine_cache_key_table(const struct make_phase *ph, const struct filetable *t,
    const char *root, const char *ws_rel, char key[CACHEKEY_HEX_SIZE],
    struct gerr *err)
{
	struct engine_cache_walk w = { .err = err, .root = root };
	char *prefix = ws_rel[0] != '\0' ? xasprintf("%s/", ws_rel) :
	    xstrdup("");

	if (ph->inputs.len > 0) {
		w.g = engine_cache_compile(&ph->inputs, false);
		w.n_g = ph->inputs.len;
		w.prefix = prefix;
		w.prefix_len = strlen(prefix);
		filetable_foreach(t, engine_cache_table_entry, &w);
		engine_cache_globs_free(w.g, w.n_g);
	}
	free(prefix);
	return engine_cache_finish_key(ph, &w, NULL, key, err);
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
