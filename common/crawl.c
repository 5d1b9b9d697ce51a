/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * crawl.c - sliced, non-recursive walk of one directory tree.
 *
 * Owns: the root directory fd, the open DIR being read, the explicit stack
 * of directories still to read (relative paths), a scratch path buffer.
 * Called by: the daemon's watch code on the loop thread (initial crawl of a
 * root, a directory created or moved in, a rescan after IN_Q_OVERFLOW),
 * common/projtree.c (the synchronous walk of validate, render, cache keys
 * and the render step when no file table is at hand) and the benchmark. It holds no table: what it finds goes to callbacks.
 * Invariants: C stack depth is constant whatever the tree depth (the stack
 * is on the heap); a directory is reported before its entries are read;
 * nothing ignored is reported or entered; symlinks are reported, never
 * followed (O_NOFOLLOW, AT_SYMLINK_NOFOLLOW); one crawl_step handles at
 * most max_entries entries.
 * Never: chdir, follow a symlink, or stop on a directory that vanished or
 * is unreadable (reported through on_error, the crawl goes on).
 */
#include "crawl.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "strbuf.h"
#include "xmalloc.h"

/* statfs f_type values; kept here so no kernel header is needed. */
#define CRAWL_MAGIC_NFS 0x6969u
#define CRAWL_MAGIC_SMB 0x517Bu
#define CRAWL_MAGIC_CIFS 0xFF534D42u
#define CRAWL_MAGIC_SMB2 0xFE534D42u
#define CRAWL_MAGIC_FUSE 0x65735546u

struct crawl {
	int root_fd;
	char *root;
	struct crawl_config cfg;
	char **stack;
	size_t nstack, capstack;
	DIR *cur;
	char *cur_path;
	struct strbuf path;
	struct crawl_progress progress;
};

static void
crawl_push(struct crawl *c, char *relpath)
{
	if (c->nstack == c->capstack) {
		c->capstack = c->capstack ? c->capstack * 2 : 16;
		c->stack = xreallocarray(c->stack, c->capstack,
		    sizeof(*c->stack));
	}
	c->stack[c->nstack++] = relpath;
}

int
crawl_new(const char *root, const char *start, const struct crawl_config *cfg,
    struct crawl **out, struct gerr *err)
{
	struct crawl *c;
	int fd;

	fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return gerr_set(err, GERR_IO, "open %s: %s", root,
		    strerror(errno));
	c = xcalloc(1, sizeof(*c));
	c->root_fd = fd;
	c->root = xstrdup(root);
	c->cfg = *cfg;
	strbuf_init(&c->path);
	crawl_push(c, xstrdup(start));
	*out = c;
	return 0;
}

void
crawl_free(struct crawl *c)
{
	if (c == NULL)
		return;
	if (c->cur != NULL)
		closedir(c->cur);
	free(c->cur_path);
	for (size_t i = 0; i < c->nstack; i++)
		free(c->stack[i]);
	free(c->stack);
	strbuf_release(&c->path);
	close(c->root_fd);
	free(c->root);
	free(c);
}

static void
crawl_fail(struct crawl *c, const char *relpath, int error)
{
	c->progress.errors++;
	if (c->cfg.on_error != NULL)
		c->cfg.on_error(c->cfg.arg, relpath, error);
}

/* Open the next queued directory, report it, make it current. */
static void
crawl_enter(struct crawl *c)
{
	char *relpath = c->stack[--c->nstack];
	struct stat st;
	int fd;

	fd = openat(c->root_fd, relpath[0] != '\0' ? relpath : ".",
	    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		crawl_fail(c, relpath, errno);
		if (fd >= 0)
			close(fd);
		free(relpath);
		return;
	}
	/* Reported before reading: the caller watches it first. */
	c->progress.dirs++;
	c->cfg.on_entry(c->cfg.arg, relpath, CRAWL_DIR, &st);
	c->cur = fdopendir(fd);
	if (c->cur == NULL) {
		crawl_fail(c, relpath, errno);
		close(fd);
		free(relpath);
		return;
	}
	c->cur_path = relpath;
}

static void
crawl_leave(struct crawl *c)
{
	closedir(c->cur);
	c->cur = NULL;
	free(c->cur_path);
	c->cur_path = NULL;
}

static void
crawl_entry(struct crawl *c, const struct dirent *de)
{
	struct stat st;
	bool is_dir, known = de->d_type != DT_UNKNOWN;

	strbuf_reset(&c->path);
	if (c->cur_path[0] != '\0') {
		strbuf_addstr(&c->path, c->cur_path);
		strbuf_addch(&c->path, '/');
	}
	strbuf_addstr(&c->path, de->d_name);

	/* Ask about ignores before stat when d_type already tells. */
	is_dir = de->d_type == DT_DIR;
	if (known && c->cfg.is_ignored != NULL &&
	    c->cfg.is_ignored(c->cfg.arg, c->path.buf, is_dir)) {
		c->progress.ignored++;
		return;
	}
	if (fstatat(dirfd(c->cur), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return;		/* gone since readdir: its event follows */
	if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode) &&
	    !S_ISLNK(st.st_mode))
		return;		/* fifos, sockets, devices: not content */
	is_dir = S_ISDIR(st.st_mode);
	if (!known && c->cfg.is_ignored != NULL &&
	    c->cfg.is_ignored(c->cfg.arg, c->path.buf, is_dir)) {
		c->progress.ignored++;
		return;
	}
	if (is_dir) {
		crawl_push(c, xstrdup(c->path.buf));
	} else {
		c->progress.files++;
		c->cfg.on_entry(c->cfg.arg, c->path.buf, CRAWL_FILE, &st);
	}
}

enum crawl_state
crawl_step(struct crawl *c, size_t max_entries)
{
	size_t n = 0;

	while (n < max_entries) {
		struct dirent *de;

		if (c->cur == NULL) {
			if (c->nstack == 0)
				return CRAWL_DONE;
			crawl_enter(c);
			n++;
			continue;
		}
		errno = 0;
		de = readdir(c->cur);
		if (de == NULL) {
			if (errno != 0)
				crawl_fail(c, c->cur_path, errno);
			crawl_leave(c);
			continue;
		}
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		crawl_entry(c, de);
		n++;
	}
	return c->cur == NULL && c->nstack == 0 ? CRAWL_DONE : CRAWL_MORE;
}

void
crawl_progress(const struct crawl *c, struct crawl_progress *out)
{
	*out = c->progress;
	out->pending_dirs = c->nstack;
}

enum crawl_fs_kind
crawl_fs_kind_from_magic(uint64_t magic)
{
	switch ((uint32_t)magic) {
	case CRAWL_MAGIC_NFS:
		return CRAWL_FS_NFS;
	case CRAWL_MAGIC_SMB:
	case CRAWL_MAGIC_CIFS:
	case CRAWL_MAGIC_SMB2:
		return CRAWL_FS_CIFS;
	case CRAWL_MAGIC_FUSE:
		return CRAWL_FS_FUSE;
	default:
		return CRAWL_FS_LOCAL;
	}
}

const char *
crawl_fs_kind_name(enum crawl_fs_kind kind)
{
	switch (kind) {
	case CRAWL_FS_NFS:
		return "nfs";
	case CRAWL_FS_CIFS:
		return "cifs";
	case CRAWL_FS_FUSE:
		return "fuse";
	case CRAWL_FS_LOCAL:
		return "local";
	}
	return "local";
}

int
crawl_fs_kind(const char *path, enum crawl_fs_kind *out, struct gerr *err)
{
	struct statfs sfs;

	if (statfs(path, &sfs) < 0)
		return gerr_set(err, GERR_IO, "statfs %s: %s", path,
		    strerror(errno));
	*out = crawl_fs_kind_from_magic((uint64_t)sfs.f_type);
	return 0;
}
