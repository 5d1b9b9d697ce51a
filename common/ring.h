/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ring.h - a bounded byte ring that keeps the last N bytes written to it.
 *
 * Used for the output tail of a run: append any amount, memory stays at the
 * capacity fixed at init, and the ring still knows how many bytes went
 * through it in total and therefore whether some were dropped.
 *
 * Ownership: a struct ring owns its buffer; ring_init allocates it (through
 * xmalloc, never fails), ring_release frees it. Pure, no I/O, not
 * thread-safe: one owner at a time.
 */
#ifndef GGEN_RING_H
#define GGEN_RING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ring {
	char *buf;		/* cap bytes; NULL when cap == 0 */
	size_t cap;		/* bytes kept at most */
	size_t len;		/* bytes currently kept, <= cap */
	size_t head;		/* index of the oldest kept byte */
	uint64_t total;		/* bytes ever appended */
};

/* Make an empty ring keeping at most cap bytes (cap 0 keeps none but counts). */
void ring_init(struct ring *r, size_t cap);
/* Free the buffer and reset r to an empty zero-capacity ring. r may be NULL. */
void ring_release(struct ring *r);
/* Forget the contents and the total; capacity unchanged. */
void ring_reset(struct ring *r);
/*
 * Append len bytes from data (borrowed, may contain NUL; may be NULL when
 * len is 0). When the ring is full the oldest bytes are overwritten; an
 * append larger than the capacity keeps only its own last cap bytes.
 */
void ring_append(struct ring *r, const void *data, size_t len);
/* Bytes currently kept. */
size_t ring_len(const struct ring *r);
/* Bytes ever appended since init/reset. */
uint64_t ring_total(const struct ring *r);
/* True when total > kept, i.e. the tail is not the whole output. */
bool ring_dropped(const struct ring *r);
/*
 * Copy the newest min(size, ring_len) bytes, oldest first, into dst
 * (caller-owned, size bytes). Returns the number copied. No NUL is added.
 */
size_t ring_copy(const struct ring *r, void *dst, size_t size);
/*
 * The kept bytes, oldest first, in a new NUL-terminated buffer that the
 * caller free()s; *len (may be NULL) gets the byte count without the NUL.
 */
char *ring_dup(const struct ring *r, size_t *len);

#endif
