/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fileio.h - the one capped whole-file reader and the one atomic file
 * writer. Every state file (roots.json, engine-cache.json, ...), every
 * template output and every run's scratch file is written through
 * fileio_write (or the begin/add/commit triple for streamed content), so
 * all of them get the same durability:
 *
 *   1. a temp file ".BASE.ggen-tmp.XXXXXX" in the destination's directory
 *      (same filesystem, so the rename is atomic; hidden, and the name
 *      tells a stray one apart after a crash),
 *   2. the bytes, then fchmod to the final mode, then fsync of the file,
 *   3. rename over the destination,
 *   4. fsync of the directory, so the rename itself survives a power cut.
 *
 * A crash or an error at any step leaves the old file or the new one,
 * never a mix, and an error removes the temp file. Fault points are built
 * in (common/fault.h): FAULT_STATE_WRITE / FAULT_STATE_RENAME for state
 * files, FAULT_OUTPUT_WRITE / FAULT_OUTPUT_RENAME with FILEIO_OUTPUT; a
 * sweep over them covers every writer at once.
 *
 * Blocking I/O, any thread, no global state. Errors are GERR_IO with
 * "OPERATION PATH: strerror" (GERR_TOO_LARGE, GERR_NOT_FOUND for reads).
 */
#ifndef GGEN_FILEIO_H
#define GGEN_FILEIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "gerr.h"

enum fileio_flags {
	/* read: refuse a symlink as the last component (ELOOP). */
	FILEIO_NOFOLLOW = 1u << 0,
	/* write: a user's output: counts FAULT_OUTPUT_* instead of
	 * FAULT_STATE_* fault points. */
	FILEIO_OUTPUT = 1u << 1,
	/* write: a file that already exists keeps its permission bits
	 * (mode is then only used for a new file). */
	FILEIO_KEEP_MODE = 1u << 2,
	/* write: scratch data that is worthless after a crash (a run's
	 * changed-file list): still atomic, but no fsync of file or
	 * directory. Never for state files or outputs. */
	FILEIO_NO_SYNC = 1u << 3,
};

/*
 * Read the whole regular file at path (borrowed) into *buf (caller frees;
 * NUL-terminated, *len without the NUL). Reads until end of file, so files
 * whose st_size lies (procfs) are read whole too, capped at max bytes.
 * Never blocks on a FIFO (opened non-blocking, then refused as not a
 * regular file). A missing file (ENOENT): when missing is non-NULL it is
 * set and 0 is returned with *buf NULL, *len 0; when missing is NULL it is
 * GERR_NOT_FOUND. flags: FILEIO_NOFOLLOW.
 * Errors: GERR_IO ("open PATH: ...", "read PATH: Is a directory"),
 * GERR_TOO_LARGE ("PATH: N bytes, over the MAX byte cap").
 */
int fileio_read(const char *path, size_t max, unsigned flags, char **buf,
    size_t *len, bool *missing, struct gerr *err);

/*
 * Make path (borrowed) hold exactly data (len bytes), atomically and
 * durably (steps above). mode: permission bits of the new file (used
 * as is, not masked by the umask); flags: FILEIO_OUTPUT,
 * FILEIO_KEEP_MODE, FILEIO_NO_SYNC. Returns 0 or GERR_IO; on error the
 * destination is unchanged and no temp file is left. A failed fsync of
 * the directory after the rename is logged (WARN) and not returned: the
 * new content is already in place.
 */
int fileio_write(const char *path, const void *data, size_t len,
    mode_t mode, unsigned flags, struct gerr *err);

/*
 * The same write, streamed: fileio_begin creates the temp file,
 * fileio_add appends, fileio_commit publishes it. The struct is the
 * caller's (stack is fine); its fields are private. After a successful
 * begin, exactly one of fileio_commit / fileio_abort must follow; both
 * release everything, also on error. fileio_add after a failed add keeps
 * returning that error and commit then fails, so a caller may check only
 * the commit's result.
 */
struct fileio_writer {
	int fd;
	int rc;			/* first error of an add, or 0 */
	mode_t mode;
	unsigned flags;
	char *path;
	char *tmp;
};

int fileio_begin(struct fileio_writer *w, const char *path, mode_t mode,
    unsigned flags, struct gerr *err);
int fileio_add(struct fileio_writer *w, const void *data, size_t len,
    struct gerr *err);
/*
 * Append len bytes read from fd (at its current offset; borrowed, not
 * closed), in the kernel with copy_file_range when it can, else through a
 * buffer. *short_src is set when fd ended before len bytes (GERR_IO).
 * Same error rules as fileio_add.
 */
int fileio_add_fd(struct fileio_writer *w, int fd, uint64_t len,
    bool *short_src, struct gerr *err);
int fileio_commit(struct fileio_writer *w, struct gerr *err);
void fileio_abort(struct fileio_writer *w);

#endif
