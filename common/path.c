/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * path.c - lexical path helpers (contract and their limits in path.h).
 *
 * Owns nothing. Called by config/make.toml loading, the watch code and the
 * request handlers to key and compare paths. Never touches the filesystem:
 * symlink-safe containment is the caller's job (realpath, openat2).
 *
 * Invariant of path_normalize's output: no empty, `.` or inner `..`
 * segment (only a leading run of `..` in a relative path), no trailing
 * '/' except the lone "/".
 */
#include "path.h"

#include <stdlib.h>
#include <string.h>

#include "strbuf.h"
#include "xmalloc.h"

char *
path_normalize(const char *p)
{
	bool abs = p[0] == '/';
	struct strbuf sb = STRBUF_INIT;
	size_t keep = 0;	/* bytes of sb that are leading `..` segments */
	const char *s = p;

	if (abs)
		strbuf_addch(&sb, '/');
	while (*s != '\0') {
		const char *e = strchrnul(s, '/');
		size_t n = (size_t)(e - s);

		if (n == 0 || (n == 1 && s[0] == '.')) {
			/* empty or `.`: nothing */
		} else if (n == 2 && s[0] == '.' && s[1] == '.') {
			size_t base = abs ? 1 : 0;

			if (sb.len > keep && sb.len > base) {
				/* Drop the last real segment. */
				char *slash = memrchr(sb.buf + base, '/',
				    sb.len - base);
				size_t cut = slash != NULL ?
				    (size_t)(slash - sb.buf) : base;

				strbuf_truncate(&sb, cut);
			} else if (!abs) {
				if (sb.len > 0)
					strbuf_addch(&sb, '/');
				strbuf_add(&sb, "..", 2);
				keep = sb.len;
			}
		} else {
			if (sb.len > 0 && sb.buf[sb.len - 1] != '/')
				strbuf_addch(&sb, '/');
			strbuf_add(&sb, s, n);
		}
		s = *e == '/' ? e + 1 : e;
	}
	if (sb.len == 0)
		strbuf_addch(&sb, '.');
	return strbuf_detach(&sb, NULL);
}

char *
path_join(const char *a, const char *b)
{
	size_t n = strlen(a);

	if (b[0] == '/' || n == 0)
		return xstrdup(b);
	if (b[0] == '\0')
		return xstrdup(a);
	if (a[n - 1] == '/')
		return xasprintf("%s%s", a, b);
	return xasprintf("%s/%s", a, b);
}

/*
 * If path (normalised) is root (normalised) or below it, return the offset
 * of the relative part in path, else -1.
 */
static long
path_inside_at(const char *root, const char *path)
{
	size_t rn = strlen(root);

	if ((root[0] == '/') != (path[0] == '/'))
		return -1;
	if (strcmp(root, ".") == 0) {
		if (strcmp(path, ".") == 0)
			return (long)strlen(path);
		if (strncmp(path, "..", 2) == 0 &&
		    (path[2] == '\0' || path[2] == '/'))
			return -1;
		return 0;
	}
	if (strcmp(root, "/") == 0)
		return 1;
	if (strncmp(root, path, rn) != 0)
		return -1;
	if (path[rn] == '\0')
		return (long)rn;
	if (path[rn] == '/')
		return (long)rn + 1;
	return -1;
}

bool
path_is_inside(const char *root, const char *path)
{
	char *r = path_normalize(root), *p = path_normalize(path);
	bool in = path_inside_at(r, p) >= 0;

	free(r);
	free(p);
	return in;
}

int
path_relative(const char *root, const char *path, char **out,
    struct gerr *err)
{
	char *r = path_normalize(root), *p = path_normalize(path);
	long at = path_inside_at(r, p);
	int rc = 0;

	*out = NULL;
	if (at < 0)
		rc = gerr_set(err, GERR_OUTSIDE_ROOT,
		    "path \"%s\" is outside root \"%s\"", path, root);
	else
		*out = xstrdup(p + at);
	free(r);
	free(p);
	return rc;
}

const char *
path_basename(const char *p, size_t *len)
{
	size_t n = strlen(p);
	const char *slash;

	while (n > 1 && p[n - 1] == '/')
		n--;
	if (n == 1 && p[0] == '/') {
		*len = 1;
		return p;
	}
	slash = memrchr(p, '/', n);
	if (slash == NULL) {
		*len = n;
		return p;
	}
	*len = n - (size_t)(slash + 1 - p);
	return slash + 1;
}

size_t
path_dirname_len(const char *p)
{
	size_t n = strlen(p);
	const char *slash;

	while (n > 1 && p[n - 1] == '/')
		n--;
	slash = memrchr(p, '/', n);
	if (slash == NULL)
		return 0;
	n = (size_t)(slash - p);
	while (n > 1 && p[n - 1] == '/')
		n--;
	return n == 0 ? 1 : n;	/* "/a": the root itself */
}

bool
path_is_clean_relative(const char *p)
{
	const char *s = p;

	if (*p == '\0' || *p == '/')
		return false;
	for (;;) {
		const char *e = strchrnul(s, '/');
		size_t n = (size_t)(e - s);

		if (n == 0 || (n == 1 && s[0] == '.') ||
		    (n == 2 && s[0] == '.' && s[1] == '.'))
			return false;
		if (*e == '\0')
			return true;
		s = e + 1;
	}
}
