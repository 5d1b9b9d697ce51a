/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * wdmap.h - a small map from an inotify watch descriptor (int32 >= 0) to a
 * uint32 value: the file table's wd -> directory and the notifier's set of
 * live watches. Open addressing, linear probing, backward-shift deletion.
 *
 * A struct wdmap is a value the caller embeds; it owns its slot array.
 * Not thread-safe: one owner thread (the loop).
 */
#ifndef GGEN_WDMAP_H
#define GGEN_WDMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct wdmap_slot {
	int32_t wd;	/* -1 = empty */
	uint32_t val;
};

struct wdmap {
	struct wdmap_slot *slots;
	size_t size;	/* power of two */
	size_t used;
};

/* Make an empty map (allocates a small slot array). */
void wdmap_init(struct wdmap *m);
/* Free the slots; the map must be re-initialised before reuse. */
void wdmap_release(struct wdmap *m);
/* Insert or replace; wd must be >= 0. */
void wdmap_put(struct wdmap *m, int32_t wd, uint32_t val);
/* Look up wd; false when absent. val may be NULL. */
bool wdmap_get(const struct wdmap *m, int32_t wd, uint32_t *val);
/* Remove wd; false when it was absent. */
bool wdmap_del(struct wdmap *m, int32_t wd);
/* Bytes the slot array takes. */
size_t wdmap_bytes(const struct wdmap *m);

#endif
