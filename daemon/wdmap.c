/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * wdmap.c - int32 watch descriptor -> uint32 map.
 *
 * Owns its slot array. Called by filetable.c and notifier.c on the loop
 * thread. Invariants: size is a power of two, load stays at or under 70%
 * (so probes stay short and an empty slot always exists), and no deleted
 * markers exist: deletion shifts the rest of the probe run back, so a lookup
 * stops at the first empty slot.
 */
#include "wdmap.h"

#include <stdlib.h>

#include "xmalloc.h"

#define WDMAP_MIN_SIZE 16
#define WDMAP_LOAD_NUM 7
#define WDMAP_LOAD_DEN 10

static size_t
wdmap_home(const struct wdmap *m, int32_t wd)
{
	/* Kernel wds are sequential: multiplicative hashing spreads them. */
	return ((uint32_t)wd * 2654435761u) & (m->size - 1);
}

static void
wdmap_alloc(struct wdmap *m, size_t size)
{
	m->size = size;
	m->used = 0;
	m->slots = xreallocarray(NULL, size, sizeof(*m->slots));
	for (size_t i = 0; i < size; i++)
		m->slots[i].wd = -1;
}

void
wdmap_init(struct wdmap *m)
{
	wdmap_alloc(m, WDMAP_MIN_SIZE);
}

void
wdmap_release(struct wdmap *m)
{
	free(m->slots);
	m->slots = NULL;
	m->size = m->used = 0;
}

static size_t
wdmap_find(const struct wdmap *m, int32_t wd)
{
	size_t mask = m->size - 1, i = wdmap_home(m, wd);

	while (m->slots[i].wd != -1 && m->slots[i].wd != wd)
		i = (i + 1) & mask;
	return i;
}

void
wdmap_put(struct wdmap *m, int32_t wd, uint32_t val)
{
	size_t i;

	if ((m->used + 1) * WDMAP_LOAD_DEN > m->size * WDMAP_LOAD_NUM) {
		struct wdmap_slot *old = m->slots;
		size_t oldsize = m->size;

		wdmap_alloc(m, oldsize * 2);
		for (i = 0; i < oldsize; i++) {
			if (old[i].wd != -1)
				wdmap_put(m, old[i].wd, old[i].val);
		}
		free(old);
	}
	i = wdmap_find(m, wd);
	if (m->slots[i].wd == -1)
		m->used++;
	m->slots[i].wd = wd;
	m->slots[i].val = val;
}

bool
wdmap_get(const struct wdmap *m, int32_t wd, uint32_t *val)
{
	size_t i = wdmap_find(m, wd);

	if (m->slots[i].wd == -1)
		return false;
	if (val != NULL)
		*val = m->slots[i].val;
	return true;
}

bool
wdmap_del(struct wdmap *m, int32_t wd)
{
	size_t mask = m->size - 1, i = wdmap_find(m, wd);

	if (m->slots[i].wd == -1)
		return false;
	m->slots[i].wd = -1;
	m->used--;
	for (size_t j = (i + 1) & mask; m->slots[j].wd != -1;
	    j = (j + 1) & mask) {
		size_t k = wdmap_home(m, m->slots[j].wd);

		/* Move j back into the gap unless its home lies in (i, j]. */
		if ((j > i && (k <= i || k > j)) || (j < i && k <= i && k > j)) {
			m->slots[i] = m->slots[j];
			m->slots[j].wd = -1;
			i = j;
		}
	}
	return true;
}

size_t
wdmap_bytes(const struct wdmap *m)
{
	return m->size * sizeof(*m->slots);
}
