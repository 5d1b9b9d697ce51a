/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fileio.c - the capped whole-file reader and the atomic writer (the
 * steps and the guarantees are in fileio.h).
 *
 * Owns nothing between calls; a struct fileio_writer owns its temp file's
 * fd and name from fileio_begin until fileio_commit / fileio_abort.
 * Callers: every module that reads a small file whole (make.toml, ignore
 * files, state files, templates) or writes a state file or an output.
 * Invariant: a failed write never leaves its temp file behind and never
 * touches the destination; the fault points sit right before the real
 * operations and take their error paths.
 */
#include "fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fault.h"
#include "log.h"
#include "path.h"
#include "strbuf.h"
#include "xmalloc.h"

int
fileio_read(const char *path, size_t max, unsigned flags, char **buf,
    size_t *len, bool *missing, struct gerr *err)
{
	struct strbuf sb = STRBUF_INIT;
	struct stat st;
	int fd, oflags = O_RDONLY | O_CLOEXEC | O_NONBLOCK, e;

	*buf = NULL;
	*len = 0;
	if (missing != NULL)
		*missing = false;
	if (flags & FILEIO_NOFOLLOW)
		oflags |= O_NOFOLLOW;
	fd = open(path, oflags);
	if (fd < 0) {
		if (errno == ENOENT && missing != NULL) {
			*missing = true;
			return 0;
		}
		return gerr_set(err, errno == ENOENT ? GERR_NOT_FOUND : GERR_IO,
		    "open %s: %s", path, strerror(errno));
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		e = errno;
		close(fd);
		return gerr_set(err, GERR_IO, "read %s: %s", path,
		    S_ISDIR(st.st_mode) ? "Is a directory" :
		    !S_ISREG(st.st_mode) ? "not a regular file" : strerror(e));
	}
	if ((uint64_t)st.st_size > max) {
		close(fd);
		return gerr_set(err, GERR_TOO_LARGE, "%s: %lld bytes, over the "
		    "%zu byte cap", path, (long long)st.st_size, max);
	}
	/* Read to end of file: st_size is a hint (procfs says 0, a file
	 * may grow meanwhile); the cap is what bounds memory. */
	strbuf_grow(&sb, (size_t)st.st_size + 1);
	for (;;) {
		ssize_t n;

		if (sb.cap - sb.len < 2)
			strbuf_grow(&sb, sb.len < 8192 ? 8192 : sb.len);
		n = read(fd, sb.buf + sb.len, sb.cap - sb.len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			e = errno;
			close(fd);
			strbuf_release(&sb);
			return gerr_set(err, GERR_IO, "read %s: %s", path,
			    strerror(e));
		}
		if (n == 0)
			break;
		sb.len += (size_t)n;
		if (sb.len > max) {
			close(fd);
			strbuf_release(&sb);
			return gerr_set(err, GERR_TOO_LARGE, "%s: grew over "
			    "the %zu byte cap", path, max);
		}
	}
	close(fd);
	sb.buf[sb.len] = '\0';
	*buf = strbuf_detach(&sb, len);
	return 0;
}

static enum fault_point
fileio_fault_write(unsigned flags)
{
	return flags & FILEIO_OUTPUT ? FAULT_OUTPUT_WRITE : FAULT_STATE_WRITE;
}

static enum fault_point
fileio_fault_rename(unsigned flags)
{
	return flags & FILEIO_OUTPUT ? FAULT_OUTPUT_RENAME : FAULT_STATE_RENAME;
}

static void
fileio_release(struct fileio_writer *w)
{
	if (w->fd >= 0)
		close(w->fd);
	if (w->tmp != NULL)
		unlink(w->tmp);
	free(w->tmp);
	free(w->path);
	w->fd = -1;
	w->tmp = NULL;
	w->path = NULL;
}

int
fileio_begin(struct fileio_writer *w, const char *path, mode_t mode,
    unsigned flags, struct gerr *err)
{
	size_t dl = path_dirname_len(path), bl;
	const char *base = path_basename(path, &bl);
	struct stat st;

	memset(w, 0, sizeof(*w));
	w->fd = -1;
	w->flags = flags;
	w->mode = mode & 07777;
	if ((flags & FILEIO_KEEP_MODE) && stat(path, &st) == 0)
		w->mode = st.st_mode & 07777;
	w->path = xstrdup(path);
	/* Same directory (rename stays atomic), hidden name. */
	w->tmp = xasprintf("%.*s%s.%.*s.ggen-tmp.XXXXXX", (int)dl, path,
	    dl ? "/" : "", (int)bl, base);
	w->fd = mkostemp(w->tmp, O_CLOEXEC);
	if (w->fd < 0) {
		int rc = gerr_set(err, GERR_IO, "create temp file for %s: %s",
		    path, strerror(errno));

		free(w->tmp);
		w->tmp = NULL;
		fileio_release(w);
		return rc;
	}
	return 0;
}

int
fileio_add(struct fileio_writer *w, const void *data, size_t len,
    struct gerr *err)
{
	const char *p = data;

	if (w->rc != 0)
		return w->rc;
	/* An injected fault sets errno and takes the real failure path. */
	if (fault_hit(fileio_fault_write(w->flags))) {
		errno = ENOSPC;
		goto fail;
	}
	while (len > 0) {
		ssize_t n = write(w->fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto fail;
		p += n;
		len -= (size_t)n;
	}
	return 0;
fail:
	w->rc = gerr_set(err, GERR_IO, "write %s: %s", w->tmp,
	    strerror(errno));
	return w->rc;
}

/* fsync the directory holding path, so a rename in it is durable. */
static void
fileio_sync_dir(const char *path)
{
	size_t dl = path_dirname_len(path);
	char *dir = dl ? xasprintf("%.*s", (int)dl, path) : xstrdup(".");
	int fd;

	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fsync(fd) != 0) {
		log_warn("fsync directory %s: %s; the new %s may not survive "
		    "a power cut", dir, strerror(errno), path);
	}
	if (fd >= 0)
		close(fd);
	free(dir);
}

int
fileio_commit(struct fileio_writer *w, struct gerr *err)
{
	bool sync = !(w->flags & FILEIO_NO_SYNC);
	int rc = w->rc;

	if (rc != 0)
		goto out;
	if (fchmod(w->fd, w->mode) != 0 || (sync && fsync(w->fd) != 0)) {
		rc = gerr_set(err, GERR_IO, "write %s: %s", w->tmp,
		    strerror(errno));
		goto out;
	}
	if (close(w->fd) != 0) {
		w->fd = -1;
		rc = gerr_set(err, GERR_IO, "write %s: %s", w->tmp,
		    strerror(errno));
		goto out;
	}
	w->fd = -1;
	if (fault_hit(fileio_fault_rename(w->flags))) {
		errno = EIO;
		rc = gerr_set(err, GERR_IO, "rename %s to %s: %s", w->tmp,
		    w->path, strerror(errno));
		goto out;
	}
	if (rename(w->tmp, w->path) != 0) {
		rc = gerr_set(err, GERR_IO, "rename %s to %s: %s", w->tmp,
		    w->path, strerror(errno));
		goto out;
	}
	free(w->tmp);
	w->tmp = NULL;		/* published: nothing to unlink */
	if (sync)
		fileio_sync_dir(w->path);
out:
	fileio_release(w);
	return rc;
}

void
fileio_abort(struct fileio_writer *w)
{
	fileio_release(w);
}

int
fileio_write(const char *path, const void *data, size_t len, mode_t mode,
    unsigned flags, struct gerr *err)
{
	struct fileio_writer w;
	int rc = fileio_begin(&w, path, mode, flags, err);

	if (rc != 0)
		return rc;
	(void)fileio_add(&w, data, len, err);
	return fileio_commit(&w, err);
}

/* Buffer of fileio_add_fd's fallback copy. */
#define FILEIO_COPY_CHUNK (1u << 20)

int
fileio_add_fd(struct fileio_writer *w, int fd, uint64_t len, bool *short_src,
    struct gerr *err)
{
	char *buf = NULL;

	*short_src = false;
	if (w->rc != 0)
		return w->rc;
	if (fault_hit(fileio_fault_write(w->flags))) {
		errno = ENOSPC;
		goto fail;
	}
	/* In the kernel when it can (no copy through user space); any
	 * refusal (EXDEV, EINVAL, ENOSYS) falls back to read/write. */
	while (len > 0) {
		ssize_t n = copy_file_range(fd, NULL, w->fd, NULL,
		    len > (1u << 30) ? (size_t)1 << 30 : (size_t)len, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len -= (uint64_t)n;
	}
	if (len > 0)
		buf = xmalloc(FILEIO_COPY_CHUNK);
	while (len > 0) {
		ssize_t n = read(fd, buf, len < FILEIO_COPY_CHUNK ?
		    (size_t)len : FILEIO_COPY_CHUNK);

		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0) {
			*short_src = true;
			free(buf);
			w->rc = gerr_set(err, GERR_IO, "copy into %s: source "
			    "ended early", w->tmp);
			return w->rc;
		}
		if (n < 0) {
			free(buf);
			w->rc = gerr_set(err, GERR_IO, "read for %s: %s",
			    w->tmp, strerror(errno));
			return w->rc;
		}
		if (fileio_add(w, buf, (size_t)n, err) != 0) {
			free(buf);
			return w->rc;
		}
		len -= (uint64_t)n;
	}
	free(buf);
	return 0;
fail:
	w->rc = gerr_set(err, GERR_IO, "write %s: %s", w->tmp,
	    strerror(errno));
	return w->rc;
}
