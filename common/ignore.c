/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ignore.c - the ignore matcher of one root (semantics in ignore.h).
 *
 * Owns: every source's parsed rules (compiled globs and their text) and the
 * built-in rules. The daemon's watch code calls it: it feeds file contents
 * on start and on change, and asks ignore_check / ignore_check_entry for
 * every crawled entry and every event. No I/O, no global state.
 *
 * Invariants: srcs[] is sorted by (dir, kind) with no duplicate pair, so a
 * source is found by binary search for each ancestor directory of a path;
 * a source's dir never has a leading or trailing '/'; rules keep file
 * order, and are scanned from the last one because the last match wins.
 *
 * The "cannot re-include below an excluded directory" rule is not a rule
 * lookup at all: ignore_check tests each parent directory first, which is
 * what git gets by never descending into one.
 */
#include "ignore.h"

#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xxhash.h>

#include "glob.h"
#include "path.h"
#include "xmalloc.h"

struct ignore_rule {
	struct glob *g;
	char *text;		/* the line as written, trimmed */
	int line;
	bool negated;
	bool dir_only;
};

struct ignore_src {
	enum ignore_kind kind;
	char *dir;
	size_t dir_len;
	char *name;
	struct ignore_rule *rules;
	size_t nrules;
};

struct ignore {
	struct ignore_src **srcs;
	size_t nsrc;
	size_t cap;
	struct ignore_src builtin;
};

/* Directory names pruned everywhere unless a user rule re-includes them. */
static const char *const ignore_builtin_dirs[] = {
	".hg", ".svn", "node_modules", "target", ".ggen",
};

static const char ignore_builtin_name[] = "<builtin>";

static void
ignore_src_clear(struct ignore_src *s)
{
	for (size_t i = 0; i < s->nrules; i++) {
		glob_free(s->rules[i].g);
		free(s->rules[i].text);
	}
	free(s->rules);
	s->rules = NULL;
	s->nrules = 0;
}

static void
ignore_src_free(struct ignore_src *s)
{
	ignore_src_clear(s);
	free(s->dir);
	free(s->name);
	free(s);
}

struct ignore *
ignore_new(void)
{
	struct ignore *m = xcalloc(1, sizeof *m);
	size_t n = sizeof ignore_builtin_dirs / sizeof ignore_builtin_dirs[0];

	m->builtin.rules = xcalloc(n, sizeof *m->builtin.rules);
	for (size_t i = 0; i < n; i++) {
		struct ignore_rule *r = &m->builtin.rules[i];

		if (glob_compile(ignore_builtin_dirs[i], GLOB_BASENAME, &r->g,
		    NULL) != 0)
			abort();	/* constant patterns: a bug if bad */
		r->text = xasprintf("%s/", ignore_builtin_dirs[i]);
		r->dir_only = true;
		m->builtin.nrules++;
	}
	return m;
}

void
ignore_free(struct ignore *m)
{
	if (m == NULL)
		return;
	for (size_t i = 0; i < m->nsrc; i++)
		ignore_src_free(m->srcs[i]);
	free(m->srcs);
	ignore_src_clear(&m->builtin);
	free(m);
}

/* Order of srcs[]: dir bytes, then dir length, then kind. */
static int
ignore_cmp(const char *dir, size_t dir_len, enum ignore_kind kind,
    const struct ignore_src *s)
{
	size_t n = dir_len < s->dir_len ? dir_len : s->dir_len;
	int c = memcmp(dir, s->dir, n);

	if (c != 0)
		return c;
	if (dir_len != s->dir_len)
		return dir_len < s->dir_len ? -1 : 1;
	if (kind != s->kind)
		return kind < s->kind ? -1 : 1;
	return 0;
}

/* Index of the (dir, kind) source, or where it would go with *found false. */
static size_t
ignore_find(const struct ignore *m, const char *dir, size_t dir_len,
    enum ignore_kind kind, bool *found)
{
	size_t lo = 0, hi = m->nsrc;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = ignore_cmp(dir, dir_len, kind, m->srcs[mid]);

		if (c == 0) {
			*found = true;
			return mid;
		}
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	*found = false;
	return lo;
}

static const struct ignore_src *
ignore_lookup(const struct ignore *m, const char *dir, size_t dir_len,
    enum ignore_kind kind)
{
	bool found;
	size_t i;

	if (m->nsrc == 0)
		return NULL;
	i = ignore_find(m, dir, dir_len, kind, &found);
	return found ? m->srcs[i] : NULL;
}

/* The sorted-and-unique invariant of srcs[]; free when NDEBUG. */
static void
ignore_verify(const struct ignore *m)
{
	for (size_t i = 1; i < m->nsrc; i++)
		assert(ignore_cmp(m->srcs[i - 1]->dir, m->srcs[i - 1]->dir_len,
		    m->srcs[i - 1]->kind, m->srcs[i]) < 0);
	(void)m;
}

struct ignore_loader {
	struct ignore_src *src;
	ignore_warn_cb warn;
	void *warn_arg;
	struct gerr *err;
	int rc;
	size_t cap;
};

static void
ignore_report(struct ignore_loader *ld, enum gerr_code code, int line,
    int col, const char *msg)
{
	struct gerr e;

	gerr_clear(&e);
	gerr_set_at(&e, code, ld->src->name, line, col, "%s", msg);
	if (ld->warn != NULL)
		ld->warn(ld->warn_arg, &e);
	if (ld->rc == 0) {
		ld->rc = code;
		gerr_set_at(ld->err, code, ld->src->name, line, col, "%s",
		    msg);
	}
}

/*
 * Parse one line l[0..n) (no newline). col0 is the 1-based column of l[0]
 * in the file (past a BOM on line 1).
 */
static void
ignore_parse_line(struct ignore_loader *ld, const char *l, size_t n,
    int line, int col0)
{
	size_t end = 0, start = 0;
	bool negated = false, dir_only = false, anchored;
	struct ignore_rule *r;
	struct gerr gerr;
	struct glob *g;
	char *pat;

	if (n > 0 && l[n - 1] == '\r')
		n--;
	if (n == 0 || l[0] == '#')
		return;
	/* Drop trailing spaces, but an escaped one (`\ `) is content. */
	for (size_t i = 0; i < n; i++) {
		if (l[i] == '\\' && i + 1 < n)
			end = ++i + 1;
		else if (l[i] != ' ')
			end = i + 1;
	}
	n = end;
	if (n == 0)
		return;
	if (memchr(l, '\0', n) != NULL) {
		ignore_report(ld, GERR_PARSE, line,
		    col0 + (int)((const char *)memchr(l, '\0', n) - l),
		    "NUL byte in pattern");
		return;
	}
	if (l[0] == '!') {
		negated = true;
		start = 1;
	}
	if (n > start && l[n - 1] == '/' && (n < 2 || l[n - 2] != '\\')) {
		dir_only = true;
		n--;
	}
	anchored = memchr(l + start, '/', n - start) != NULL;
	if (n > start && l[start] == '/')
		start++;
	if (n == start) {
		ignore_report(ld, GERR_PARSE, line, col0, "empty pattern");
		return;
	}
	pat = xstrndup(l + start, n - start);
	gerr_clear(&gerr);
	if (glob_compile(pat, anchored ? 0 : GLOB_BASENAME, &g, &gerr) != 0) {
		ignore_report(ld, gerr.code, line,
		    col0 + (int)start + gerr.col - 1, gerr.msg);
		free(pat);
		return;
	}
	free(pat);
	if (ld->src->nrules == ld->cap) {
		ld->cap = ld->cap ? ld->cap * 2 : 8;
		ld->src->rules = xreallocarray(ld->src->rules, ld->cap,
		    sizeof *ld->src->rules);
	}
	r = &ld->src->rules[ld->src->nrules++];
	r->g = g;
	r->text = xstrndup(l, end);
	r->line = line;
	r->negated = negated;
	r->dir_only = dir_only;
}

static char *
ignore_default_name(enum ignore_kind kind, const char *dir)
{
	static const char *const base[IGNORE_KIND_COUNT] = {
		[IGNORE_CONFIG] = "make.toml [watch] ignore",
		[IGNORE_GGENIGNORE] = ".ggenignore",
		[IGNORE_GITIGNORE] = ".gitignore",
		[IGNORE_EXCLUDE] = ".git/info/exclude",
	};

	if (dir[0] == '\0')
		return xstrdup(base[kind]);
	return xasprintf("%s/%s", dir, base[kind]);
}

/* Find or create the (dir, kind) source, emptied of its old rules. */
static struct ignore_src *
ignore_src_get(struct ignore *m, enum ignore_kind kind, const char *dir,
    const char *name)
{
	size_t dir_len = strlen(dir), i;
	struct ignore_src *s;
	bool found;

	i = ignore_find(m, dir, dir_len, kind, &found);
	if (found) {
		s = m->srcs[i];
		ignore_src_clear(s);
		free(s->name);
	} else {
		if (m->nsrc == m->cap) {
			m->cap = m->cap ? m->cap * 2 : 8;
			m->srcs = xreallocarray(m->srcs, m->cap,
			    sizeof *m->srcs);
		}
		memmove(m->srcs + i + 1, m->srcs + i,
		    (m->nsrc - i) * sizeof *m->srcs);
		s = xcalloc(1, sizeof *s);
		s->kind = kind;
		s->dir = xstrdup(dir);
		s->dir_len = dir_len;
		m->srcs[i] = s;
		m->nsrc++;
	}
	s->name = name != NULL ? xstrdup(name) : ignore_default_name(kind, dir);
	ignore_verify(m);
	return s;
}

static int
ignore_check_args(enum ignore_kind kind, const char *dir, struct gerr *err)
{
	size_t n = strlen(dir);

	if ((unsigned)kind >= IGNORE_KIND_COUNT)
		return gerr_set(err, GERR_INVALID, "bad ignore source kind %d",
		    (int)kind);
	if ((kind == IGNORE_CONFIG || kind == IGNORE_EXCLUDE) && n > 0)
		return gerr_set(err, GERR_INVALID,
		    "ignore source kind %d only exists at the root", (int)kind);
	if (n > 0 && !path_is_clean_relative(dir))
		return gerr_set(err, GERR_INVALID,
		    "ignore directory \"%s\" is not a clean relative path",
		    dir);
	return 0;
}

int
ignore_set_file(struct ignore *m, enum ignore_kind kind, const char *dir,
    const char *name, const char *text, size_t len, ignore_warn_cb warn,
    void *warn_arg, struct gerr *err)
{
	struct ignore_loader ld = { .warn = warn, .warn_arg = warn_arg,
	    .err = err };
	size_t pos = 0;
	int line = 1, rc;

	if ((rc = ignore_check_args(kind, dir, err)) != 0)
		return rc;
	ld.src = ignore_src_get(m, kind, dir, name);
	if (len > IGNORE_FILE_MAX_BYTES) {
		ignore_report(&ld, GERR_TOO_LARGE, 0, 0,
		    "ignore file larger than 1 MiB; none of its rules apply");
		ignore_remove_file(m, kind, dir);
		return ld.rc;
	}
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t end = nl != NULL ? (size_t)(nl - text) : len;
		int col0 = 1;
		size_t skip = 0;

		if (line == 1 && end - pos >= 3 &&
		    memcmp(text + pos, "\xEF\xBB\xBF", 3) == 0) {
			skip = 3;
			col0 = 4;
		}
		ignore_parse_line(&ld, text + pos + skip, end - pos - skip,
		    line, col0);
		pos = end + 1;
		line++;
	}
	return ld.rc;
}

int
ignore_set_patterns(struct ignore *m, const char *const *patterns, size_t n,
    const char *name, ignore_warn_cb warn, void *warn_arg, struct gerr *err)
{
	struct ignore_loader ld = { .warn = warn, .warn_arg = warn_arg,
	    .err = err };

	ld.src = ignore_src_get(m, IGNORE_CONFIG, "", name);
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(patterns[i]);

		/* One list entry is one line: a newline in it is an error. */
		if (memchr(patterns[i], '\n', len) != NULL) {
			ignore_report(&ld, GERR_PARSE, (int)i + 1,
			    (int)((const char *)memchr(patterns[i], '\n', len) -
			    patterns[i]) + 1, "newline in ignore pattern");
			continue;
		}
		if (len > IGNORE_FILE_MAX_BYTES) {
			ignore_report(&ld, GERR_TOO_LARGE, (int)i + 1, 0,
			    "ignore pattern too long");
			continue;
		}
		ignore_parse_line(&ld, patterns[i], len, (int)i + 1, 1);
	}
	return ld.rc;
}

bool
ignore_remove_file(struct ignore *m, enum ignore_kind kind, const char *dir)
{
	bool found;
	size_t i;

	if (m->nsrc == 0)
		return false;
	i = ignore_find(m, dir, strlen(dir), kind, &found);
	if (!found)
		return false;
	ignore_src_free(m->srcs[i]);
	memmove(m->srcs + i, m->srcs + i + 1,
	    (m->nsrc - i - 1) * sizeof *m->srcs);
	m->nsrc--;
	return true;
}

size_t
ignore_source_count(const struct ignore *m)
{
	return m->nsrc;
}

static void
ignore_digest_src(XXH3_state_t *xs, const struct ignore_src *s)
{
	unsigned char kind = (unsigned char)s->kind;

	XXH3_64bits_update(xs, &kind, 1);
	XXH3_64bits_update(xs, s->dir != NULL ? s->dir : "", s->dir_len + 1);
	for (size_t i = 0; i < s->nrules; i++) {
		const struct ignore_rule *r = &s->rules[i];
		unsigned char f = (unsigned char)((r->negated ? 1 : 0) |
		    (r->dir_only ? 2 : 0));

		XXH3_64bits_update(xs, r->text, strlen(r->text) + 1);
		XXH3_64bits_update(xs, &f, 1);
	}
}

uint64_t
ignore_digest(const struct ignore *m)
{
	XXH3_state_t *xs = XXH3_createState();
	uint64_t d;

	if (xs == NULL)
		abort();
	XXH3_64bits_reset(xs);
	ignore_digest_src(xs, &m->builtin);
	/* srcs is kept sorted (ignore_find): the order is the rules'. */
	for (size_t i = 0; i < m->nsrc; i++)
		ignore_digest_src(xs, m->srcs[i]);
	d = XXH3_64bits_digest(xs);
	XXH3_freeState(xs);
	return d != 0 ? d : 1;
}

/*
 * Scan s for the last rule matching rel[0..rel_len). Returns 1 (ignored),
 * 0 (re-included by a `!` rule) or -1 (no rule matched).
 */
static int
ignore_src_match(const struct ignore_src *s, const char *rel, size_t rel_len,
    bool is_dir, const char *path, size_t len, struct ignore_why *why)
{
	if (s == NULL)
		return -1;
	for (size_t i = s->nrules; i-- > 0;) {
		const struct ignore_rule *r = &s->rules[i];

		if (r->dir_only && !is_dir)
			continue;
		if (!glob_match(r->g, rel, rel_len))
			continue;
		if (why != NULL) {
			why->file = s->name != NULL ? s->name :
			    ignore_builtin_name;
			why->line = r->line;
			why->pattern = r->text;
			why->path = path;
			why->path_len = len;
			why->negated = r->negated;
		}
		return r->negated ? 0 : 1;
	}
	return -1;
}

bool
ignore_check_entry(const struct ignore *m, const char *path, size_t len,
    bool is_dir, struct ignore_why *why)
{
	const char *slash = memrchr(path, '/', len);
	size_t base = slash != NULL ? (size_t)(slash - path) + 1 : 0;
	size_t dl = base > 0 ? base - 1 : 0;
	int v;

	if (why != NULL)
		memset(why, 0, sizeof *why);
	if (len - base == 4 && memcmp(path + base, ".git", 4) == 0) {
		if (why != NULL) {
			why->file = ignore_builtin_name;
			why->pattern = ".git";
			why->path = path;
			why->path_len = len;
		}
		return true;
	}
	v = ignore_src_match(ignore_lookup(m, "", 0, IGNORE_CONFIG), path, len,
	    is_dir, path, len, why);
	if (v >= 0)
		return v;
	/* Deepest directory first: lower .gitignore files override higher. */
	for (;;) {
		const char *rel = dl > 0 ? path + dl + 1 : path;
		size_t rel_len = dl > 0 ? len - dl - 1 : len;

		v = ignore_src_match(ignore_lookup(m, path, dl,
		    IGNORE_GGENIGNORE), rel, rel_len, is_dir, path, len, why);
		if (v < 0)
			v = ignore_src_match(ignore_lookup(m, path, dl,
			    IGNORE_GITIGNORE), rel, rel_len, is_dir, path, len,
			    why);
		if (v >= 0)
			return v;
		if (dl == 0)
			break;
		slash = memrchr(path, '/', dl);
		dl = slash != NULL ? (size_t)(slash - path) : 0;
	}
	v = ignore_src_match(ignore_lookup(m, "", 0, IGNORE_EXCLUDE), path, len,
	    is_dir, path, len, why);
	if (v >= 0)
		return v;
	return ignore_src_match(&m->builtin, path, len, is_dir, path, len,
	    why) == 1;
}

bool
ignore_check(const struct ignore *m, const char *path, size_t len,
    bool is_dir, struct ignore_why *why)
{
	for (size_t i = 0; i < len; i++) {
		if (path[i] != '/')
			continue;
		if (ignore_check_entry(m, path, i, true, why))
			return true;
	}
	return ignore_check_entry(m, path, len, is_dir, why);
}

bool
ignore_file_kind(const char *basename, enum ignore_kind *kind)
{
	if (strcmp(basename, ".gitignore") == 0)
		*kind = IGNORE_GITIGNORE;
	else if (strcmp(basename, ".ggenignore") == 0)
		*kind = IGNORE_GGENIGNORE;
	else
		return false;
	return true;
}

static bool
ignore_has_suffix(const char *s, size_t n, const char *suffix)
{
	size_t k = strlen(suffix);

	return n >= k && memcmp(s + n - k, suffix, k) == 0;
}

static bool
ignore_has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

bool
ignore_is_editor_temp(const char *b)
{
	size_t n = strlen(b);

	if (n == 0)
		return false;
	if (b[n - 1] == '~')
		return true;
	/* Vim: .name.swp, then .swo, .swn, ... down to .swa, and .swx. */
	if (b[0] == '.' && n >= 6 && memcmp(b + n - 4, ".sw", 3) == 0 &&
	    b[n - 1] >= 'a' && b[n - 1] <= 'z')
		return true;
	if (strcmp(b, "4913") == 0)
		return true;
	if (ignore_has_prefix(b, ".#"))
		return true;
	if (n >= 2 && b[0] == '#' && b[n - 1] == '#')
		return true;
	if (ignore_has_suffix(b, n, "___jb_tmp___") ||
	    ignore_has_suffix(b, n, "___jb_old___"))
		return true;
	if (ignore_has_prefix(b, ".goutputstream-"))
		return true;
	if (ignore_has_suffix(b, n, ".kate-swp"))
		return true;
	if (ignore_has_prefix(b, ".~lock.") && b[n - 1] == '#')
		return true;
	return false;
}
