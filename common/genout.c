/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * genout.c - read, confine and atomically write template outputs.
 *
 * Owns nothing between calls. Callers: daemon/generate.c (loop thread,
 * small files) and client/cmd_render.c. Invariant: genout_write never
 * leaves a partial file at the destination: the bytes go to a temp file
 * in the same directory (same filesystem, so rename is atomic) that is
 * fsynced before the rename and removed on any failure.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fault.h"
#include "frontmatter.h"
#include "genout.h"
#include "path.h"
#include "xmalloc.h"

int
genout_read(const char *path, size_t max, char **buf, size_t *len,
    bool *exists, struct gerr *err)
{
	struct stat st;
	char *b;
	size_t got = 0;
	int fd;

	*buf = NULL;
	*len = 0;
	*exists = false;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		return gerr_set(err, GERR_IO, "open %s: %s", path,
		    strerror(errno));
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		int e = errno;

		close(fd);
		return gerr_set(err, GERR_IO, "read %s: %s", path,
		    S_ISDIR(st.st_mode) ? "Is a directory" : strerror(e));
	}
	if ((uint64_t)st.st_size > max) {
		close(fd);
		return gerr_set(err, GERR_TOO_LARGE, "%s: %lld bytes, over the "
		    "%zu byte cap", path, (long long)st.st_size, max);
	}
	b = xmalloc((size_t)st.st_size + 1);
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, b + got, (size_t)st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;

			free(b);
			close(fd);
			return gerr_set(err, GERR_IO, "read %s: %s", path,
			    strerror(e));
		}
		if (n == 0)
			break;		/* shrank meanwhile: take what is there */
		got += (size_t)n;
	}
	close(fd);
	b[got] = '\0';
	*buf = b;
	*len = got;
	*exists = true;
	return 0;
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

static int
genout_write_all(int fd, const char *data, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, data, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

int
genout_write(const char *path, const char *data, size_t len, bool *written,
    struct gerr *err)
{
	char *old = NULL, *tmp;
	size_t old_len;
	bool exists;
	struct stat st;
	mode_t mode = 0644;
	int fd, rc;

	*written = false;
	rc = genout_read(path, GENOUT_MAX_BYTES, &old, &old_len, &exists, NULL);
	if (rc == 0 && exists && old_len == len && memcmp(old, data, len) == 0) {
		free(old);
		return 0;
	}
	free(old);
	if (stat(path, &st) == 0)
		mode = st.st_mode & 07777;
	{
		/* Same directory (rename stays atomic), hidden name. */
		size_t dl = path_dirname_len(path), bl;
		const char *base = path_basename(path, &bl);

		tmp = xasprintf("%.*s%s.%.*s.ggen-tmp.XXXXXX", (int)dl, path,
		    dl ? "/" : "", (int)bl, base);
	}
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		rc = gerr_set(err, GERR_IO, "create temp file for %s: %s", path,
		    strerror(errno));
		free(tmp);
		return rc;
	}
	/* An injected fault sets errno and takes the real failure path. */
	if ((fault_hit(FAULT_OUTPUT_WRITE) && (errno = ENOSPC) != 0) ||
	    genout_write_all(fd, data, len) != 0 || fchmod(fd, mode) != 0 ||
	    fsync(fd) != 0) {
		rc = gerr_set(err, GERR_IO, "write %s: %s", tmp,
		    strerror(errno));
		close(fd);
		unlink(tmp);
		free(tmp);
		return rc;
	}
	if (close(fd) != 0 ||
	    (fault_hit(FAULT_OUTPUT_RENAME) && (errno = EIO) != 0) ||
	    rename(tmp, path) != 0) {
		rc = gerr_set(err, GERR_IO, "rename %s to %s: %s", tmp, path,
		    strerror(errno));
		unlink(tmp);
		free(tmp);
		return rc;
	}
	free(tmp);
	*written = true;
	return 0;
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
