/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * genout.c - read, confine and atomically write template outputs.
 *
 * Owns nothing between calls. Callers: daemon/generate.c (loop thread,
 * small files) and client/cmd_render.c. Invariant: genout_write never
 * leaves a partial file at the destination: it writes through
 * common/fileio.c (temp file, fsync, rename, fsync of the directory).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "frontmatter.h"
#include "genout.h"
#include "path.h"
#include "xmalloc.h"

int
genout_read(const char *path, size_t max, char **buf, size_t *len,
    bool *exists, struct gerr *err)
{
	bool missing;
	int rc = fileio_read(path, max, 0, buf, len, &missing, err);

	*exists = rc == 0 && !missing;
	return rc;
}

/* realpath of the deepest existing ancestor directory of p (p itself
 * excluded), or NULL. */
static char *
genout_existing_ancestor(const char *p)
{
	char *dir = xstrdup(p);

	for (;;) {
		size_t n = path_dirname_len(dir);
		char *real;

		dir[n] = '\0';
		if (n == 0)
			strcpy(dir, "/");
		real = realpath(dir, NULL);
		if (real != NULL || errno != ENOENT || n <= 1) {
			free(dir);
			return real;
		}
	}
}

static int
genout_mkdirs(const char *root, const char *dir, struct gerr *err)
{
	char *copy;
	size_t rootlen = strlen(root);

	/* Only what lies below root is created; root itself must exist. */
	if (strlen(dir) <= rootlen + 1 || strncmp(dir, root, rootlen) != 0)
		return 0;
	copy = xstrdup(dir);
	for (char *s = copy + rootlen + 1; ; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		char c = *s;

		*s = '\0';
		if (mkdir(copy, 0777) != 0 && errno != EEXIST) {
			int e = errno;

			gerr_set(err, GERR_IO, "mkdir %s: %s", copy,
			    strerror(e));
			free(copy);
			return GERR_IO;
		}
		*s = c;
		if (c == '\0')
			break;
	}
	free(copy);
	return 0;
}

int
genout_resolve(const char *root, const char *base_dir, const char *to,
    bool mkdirs, char **out, struct gerr *err)
{
	char *lex = NULL, *rroot = NULL, *anc = NULL, *parent = NULL;
	struct stat st;
	int rc;

	*out = NULL;
	rc = frontmatter_resolve_to(base_dir, to, &lex, err);
	if (rc != 0)
		return rc;
	if (!path_is_inside(root, lex)) {
		rc = gerr_set(err, GERR_OUTSIDE_ROOT, "output path `%s` escapes "
		    "the root %s", to, root);
		goto out;
	}
	rroot = realpath(root, NULL);
	if (rroot == NULL) {
		rc = gerr_set(err, GERR_IO, "realpath %s: %s", root,
		    strerror(errno));
		goto out;
	}
	anc = genout_existing_ancestor(lex);
	if (anc == NULL || !path_is_inside(rroot, anc)) {
		rc = gerr_set(err, GERR_OUTSIDE_ROOT, "output path `%s` leaves "
		    "the root through a symlink (%s)", to, anc ? anc : "?");
		goto out;
	}
	if (lstat(lex, &st) == 0 && S_ISLNK(st.st_mode)) {
		char *target = realpath(lex, NULL);
		bool inside = target != NULL && path_is_inside(rroot, target);

		free(target);
		if (!inside) {
			rc = gerr_set(err, GERR_OUTSIDE_ROOT, "output path `%s` "
			    "is a symlink that points outside the root", to);
			goto out;
		}
	}
	if (mkdirs) {
		parent = xstrndup(lex, path_dirname_len(lex));
		rc = genout_mkdirs(root, parent, err);
		if (rc != 0)
			goto out;
	}
	*out = lex;
	lex = NULL;
out:
	free(lex);
	free(rroot);
	free(anc);
	free(parent);
	return rc;
}

int
genout_write(const char *path, const char *data, size_t len, bool *written,
    struct gerr *err)
{
	char *old = NULL;
	size_t old_len;
	bool exists;
	int rc;

	*written = false;
	rc = genout_read(path, GENOUT_MAX_BYTES, &old, &old_len, &exists, NULL);
	if (rc == 0 && exists && old_len == len && memcmp(old, data, len) == 0) {
		free(old);
		return 0;
	}
	free(old);
	rc = fileio_write(path, data, len, 0644,
	    FILEIO_OUTPUT | FILEIO_KEEP_MODE, err);
	*written = rc == 0;
	return rc;
}

struct tvalue *
genout_env_map(char *const *envp)
{
	struct tvalue *m = tvalue_map_new();

	for (size_t i = 0; envp != NULL && envp[i] != NULL; i++) {
		const char *eq = strchr(envp[i], '=');

		if (eq == NULL || eq == envp[i])
			continue;
		tvalue_map_setn(m, envp[i], (size_t)(eq - envp[i]),
		    tvalue_string(eq + 1));
	}
	return m;
}
