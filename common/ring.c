/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ring.c - bounded byte ring for output tails.
 *
 * Owns one fixed buffer of cap bytes. Called by the runner for every chunk a
 * child writes and by whoever reads the tail of a run. Invariants (checked
 * by ring_check in debug builds): len <= cap, head < cap when cap > 0, and
 * total >= len. Never grows: memory is bounded by the cap chosen at init.
 */
#include "ring.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"

static void
ring_check(const struct ring *r)
{
	assert(r->len <= r->cap);
	assert(r->cap == 0 || r->head < r->cap);
	assert(r->total >= r->len);
	(void)r;
}

void
ring_init(struct ring *r, size_t cap)
{
	r->buf = cap > 0 ? xmalloc(cap) : NULL;
	r->cap = cap;
	r->len = 0;
	r->head = 0;
	r->total = 0;
}

void
ring_release(struct ring *r)
{
	if (r == NULL)
		return;
	free(r->buf);
	ring_init(r, 0);
}

void
ring_reset(struct ring *r)
{
	r->len = 0;
	r->head = 0;
	r->total = 0;
}

void
ring_append(struct ring *r, const void *data, size_t len)
{
	const char *p = data;
	size_t tail, first;

	r->total += len;
	if (r->cap == 0 || len == 0)
		return;
	/* Only the last cap bytes of a big append can survive it. */
	if (len >= r->cap) {
		memcpy(r->buf, p + (len - r->cap), r->cap);
		r->head = 0;
		r->len = r->cap;
		ring_check(r);
		return;
	}
	tail = (r->head + r->len) % r->cap;
	first = r->cap - tail < len ? r->cap - tail : len;
	memcpy(r->buf + tail, p, first);
	memcpy(r->buf, p + first, len - first);
	if (r->len + len > r->cap) {
		r->head = (r->head + (r->len + len - r->cap)) % r->cap;
		r->len = r->cap;
	} else
		r->len += len;
	ring_check(r);
}

size_t
ring_len(const struct ring *r)
{
	return r->len;
}

uint64_t
ring_total(const struct ring *r)
{
	return r->total;
}

bool
ring_dropped(const struct ring *r)
{
	return r->total > r->len;
}

size_t
ring_copy(const struct ring *r, void *dst, size_t size)
{
	size_t n, start, first;
	char *out = dst;

	n = size < r->len ? size : r->len;
	if (n == 0)
		return 0;
	/* Skip the oldest bytes that do not fit so the newest ones survive. */
	start = (r->head + (r->len - n)) % r->cap;
	first = r->cap - start < n ? r->cap - start : n;
	memcpy(out, r->buf + start, first);
	memcpy(out + first, r->buf, n - first);
	return n;
}

char *
ring_dup(const struct ring *r, size_t *len)
{
	char *s = xmalloc(r->len + 1);
	size_t n = ring_copy(r, s, r->len);

	s[n] = '\0';
	if (len != NULL)
		*len = n;
	return s;
}
