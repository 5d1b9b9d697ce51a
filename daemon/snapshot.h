/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * snapshot.h - one root's file table as bytes, and back (DESIGN section 10).
 *
 * A snapshot holds the root's canonical path, the change clock, the clock
 * instances it can answer for, the time it was captured, and every entry
 * (live and tombstoned: path, kind, stat tuple, hash, clocks), then an
 * XXH3-64 checksum of everything before it. Decoding checks the magic, the
 * version, every length, the root and the checksum: a snapshot that fails
 * any of them is refused whole (the caller crawls), never half-loaded.
 * No I/O here: the caller writes the chunks (atomically) and maps the file.
 * Loop thread (it reads or builds a filetable).
 */
#ifndef GGEN_SNAPSHOT_H
#define GGEN_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "filetable.h"
#include "gerr.h"

/* Clock instances a root remembers: the current one and the runs before
 * it whose clocks its table still answers exactly. */
#define SNAPSHOT_MAX_INSTANCES 16

struct snapshot_instance {
	uint64_t id;
	uint64_t max_clock;	/* its last counter the table covers */
};

struct snapshot_meta {
	int64_t saved_ns;	/* CLOCK_REALTIME when the table was captured */
	uint32_t root_id;	/* clock_root_id of the root path */
	/* [0] is the instance that saved (max_clock = the table's clock),
	 * then older ones, newest first. */
	struct snapshot_instance inst[SNAPSHOT_MAX_INSTANCES];
	size_t ninst;
	/* ignore_digest of the root's rules when it was captured; 0 =
	 * unknown (a version 2 snapshot). */
	uint64_t ignore_digest;
};

/*
 * A file whose mtime is not older than saved_ns by at least this much may
 * have been rewritten within one timestamp granule of its hash, leaving the
 * stat tuple unchanged (git's "racy clean"): it is re-hashed on load. 2 s
 * covers the coarsest common filesystem granularity (FAT) and the kernel's
 * coarse clock lag.
 */
#define SNAPSHOT_RACY_NS ((int64_t)2000000000)

/*
 * An idle save costs at most 1/SNAPSHOT_IDLE_COST of the time: the next
 * one waits the quiet period idle_ms, and at least SNAPSHOT_IDLE_COST
 * times the last save's CPU time (last_us) after it ended (last_end_ms).
 * A small table saves after idle_ms as before; a 1M-file one (about
 * 0.5 s and 110 MB a save) at most every 8 minutes or so while changes
 * keep coming. Shutdown always saves. Returns the ms to wait from now_ms
 * (monotonic); last_us 0 = never saved.
 */
#define SNAPSHOT_IDLE_COST 1000
uint64_t snapshot_idle_wait_ms(uint64_t idle_ms, uint64_t now_ms,
    uint64_t last_end_ms, uint64_t last_us);

/* Write callback: 0 or an errno. */
typedef int (*snapshot_write_cb)(void *arg, const void *buf, size_t len);

/*
 * Encode t (borrowed, not modified) of root with meta m, in chunks of at
 * most SNAPSHOT_CHUNK_BYTES handed to cb. Returns 0 or the first errno cb
 * returned (encoding stops there).
 */
#define SNAPSHOT_CHUNK_BYTES ((size_t)1 << 20)
int snapshot_encode(const struct filetable *t, const char *root,
    const struct snapshot_meta *m, snapshot_write_cb cb, void *arg);

/*
 * Decode buf (len bytes, borrowed) into a new table (*out, owned by the
 * caller) configured by cfg (may be NULL), for root (the canonical path it
 * must name). Entries whose mtime is within SNAPSHOT_RACY_NS of saved_ns,
 * or whose hash was not known, are restored to be re-hashed (*nracy counts
 * them). Errors: GERR_PARSE with the reason (truncated, bad magic,
 * version, checksum, entry), GERR_INVALID when the snapshot belongs to
 * another root. *out untouched on error.
 */
int snapshot_decode(const void *buf, size_t len, const char *root,
    const struct filetable_config *cfg, struct filetable **out,
    struct snapshot_meta *m, size_t *nracy, struct gerr *err);

#endif
