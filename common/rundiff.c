/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * rundiff.c - span-by-span diff of two runs.
 *
 * Owns nothing beyond one call: two open-addressing hash maps (span id ->
 * index, to walk parents; key -> index, to match), built per call and freed
 * before returning. Called by the daemon's `diff` request handler (or
 * ggenc) with spanrec arrays from daemon/history.
 *
 * Invariants: every map is at most half full, so probes terminate; a key is
 * "workspace \x1f path", \x1f never appearing in a workspace name that the
 * workspace loader accepts. Paths are built parent first with memoisation,
 * so each span's path is computed once: linear in the output size.
 */
#include "rundiff.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <xxhash.h>

#include "strbuf.h"
#include "xmalloc.h"

#define RUNDIFF_SEP '\x1f'

struct rundiff_idslot {
	uint64_t id;		/* 0 = empty: span ids are > 0 */
	size_t idx;
};

struct rundiff_keyslot {
	const char *key;	/* NULL = empty; borrowed from the key array */
	size_t idx;
	size_t dups;		/* occurrences seen so far of this base key */
};

struct rundiff_side {
	const struct spanrec *s;
	size_t n;
	char name;		/* 'A' or 'B' for messages */
	char **paths;		/* per span, NULL until built */
	char **keys;		/* per span: unique "ws\x1fpath[#k]" */
	struct rundiff_idslot *ids;
	size_t ids_mask;
	struct rundiff_keyslot *slots;
	size_t slots_mask;
	bool *matched;
};

static size_t
rundiff_capacity(size_t n)
{
	size_t cap = 16;

	while (cap < 2 * n + 2)
		cap *= 2;
	return cap;
}

static uint64_t
rundiff_mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	return x;
}

static struct rundiff_idslot *
rundiff_id_slot(struct rundiff_side *sd, uint64_t id)
{
	size_t i = (size_t)rundiff_mix(id) & sd->ids_mask;

	while (sd->ids[i].id != 0 && sd->ids[i].id != id)
		i = (i + 1) & sd->ids_mask;
	return &sd->ids[i];
}

static struct rundiff_keyslot *
rundiff_key_slot(struct rundiff_keyslot *slots, size_t mask, const char *key)
{
	size_t i = (size_t)XXH3_64bits(key, strlen(key)) & mask;

	while (slots[i].key != NULL && strcmp(slots[i].key, key) != 0)
		i = (i + 1) & mask;
	return &slots[i];
}

/* Build sd->paths[i] and those of its ancestors, iteratively. */
static int
rundiff_build_path(struct rundiff_side *sd, size_t i, size_t *stack,
    struct gerr *err)
{
	size_t depth = 0, j, k;
	struct rundiff_idslot *slot;
	struct strbuf sb = STRBUF_INIT;

	j = i;
	while (sd->paths[j] == NULL) {
		/* Deeper than the run has spans: the parents loop. */
		if (depth == sd->n)
			return gerr_set(err, GERR_INVALID,
			    "run %c: span %llu: parent chain forms a cycle",
			    sd->name, (unsigned long long)sd->s[i].id);
		stack[depth++] = j;
		if (sd->s[j].parent == 0)
			break;
		slot = rundiff_id_slot(sd, sd->s[j].parent);
		if (slot->id == 0)
			return gerr_set(err, GERR_INVALID,
			    "run %c: span %llu: parent %llu is not in the run",
			    sd->name, (unsigned long long)sd->s[j].id,
			    (unsigned long long)sd->s[j].parent);
		j = slot->idx;
	}
	while (depth-- > 0) {
		k = stack[depth];
		strbuf_reset(&sb);
		if (sd->s[k].parent != 0) {
			slot = rundiff_id_slot(sd, sd->s[k].parent);
			strbuf_addstr(&sb, sd->paths[slot->idx]);
			strbuf_addch(&sb, '/');
		}
		strbuf_addstr(&sb, sd->s[k].name != NULL ? sd->s[k].name : "");
		sd->paths[k] = xstrdup(sb.buf);
	}
	strbuf_release(&sb);
	return 0;
}

static int
rundiff_side_init(struct rundiff_side *sd, const struct spanrec *s, size_t n,
    char name, struct gerr *err)
{
	struct rundiff_idslot *slot;
	struct rundiff_keyslot *ks, *base;
	struct strbuf sb = STRBUF_INIT;
	size_t i, *stack;
	int rc = 0;

	memset(sd, 0, sizeof(*sd));
	sd->s = s;
	sd->n = n;
	sd->name = name;
	sd->paths = xcalloc(n + 1, sizeof(char *));
	sd->keys = xcalloc(n + 1, sizeof(char *));
	sd->matched = xcalloc(n + 1, sizeof(bool));
	sd->ids_mask = rundiff_capacity(n) - 1;
	sd->ids = xcalloc(sd->ids_mask + 1, sizeof(*sd->ids));
	/* Room for base keys and their "#k" variants: at most 2n entries. */
	sd->slots_mask = rundiff_capacity(2 * n) - 1;
	sd->slots = xcalloc(sd->slots_mask + 1, sizeof(*sd->slots));
	for (i = 0; i < n; i++) {
		if (s[i].id == 0)
			return gerr_set(err, GERR_INVALID,
			    "run %c: span at index %zu has id 0", name, i);
		slot = rundiff_id_slot(sd, s[i].id);
		if (slot->id != 0)
			return gerr_set(err, GERR_INVALID,
			    "run %c: span id %llu appears twice", name,
			    (unsigned long long)s[i].id);
		slot->id = s[i].id;
		slot->idx = i;
	}
	stack = xcalloc(n + 1, sizeof(size_t));
	for (i = 0; i < n && rc == 0; i++)
		rc = rundiff_build_path(sd, i, stack, err);
	free(stack);
	for (i = 0; i < n && rc == 0; i++) {
		strbuf_reset(&sb);
		strbuf_addstr(&sb, s[i].workspace != NULL ? s[i].workspace : "");
		strbuf_addch(&sb, RUNDIFF_SEP);
		strbuf_addstr(&sb, sd->paths[i]);
		base = rundiff_key_slot(sd->slots, sd->slots_mask, sb.buf);
		if (base->key != NULL) {
			/* Numbered after the base's count; a literal "#k" in
			 * a name could collide, so step on until free. */
			size_t len = sb.len;

			do {
				strbuf_truncate(&sb, len);
				strbuf_addf(&sb, "#%zu", ++base->dups + 1);
				ks = rundiff_key_slot(sd->slots,
				    sd->slots_mask, sb.buf);
			} while (ks->key != NULL);
		} else {
			ks = base;
		}
		sd->keys[i] = xstrdup(sb.buf);
		ks->key = sd->keys[i];
		ks->idx = i;
	}
	strbuf_release(&sb);
	return rc;
}

static void
rundiff_side_free(struct rundiff_side *sd)
{
	size_t i;

	for (i = 0; i < sd->n; i++) {
		free(sd->paths[i]);
		free(sd->keys[i]);
	}
	free(sd->paths);
	free(sd->keys);
	free(sd->ids);
	free(sd->slots);
	free(sd->matched);
}

static char *
rundiff_dup(const char *s)
{
	return xstrdup(s != NULL ? s : "");
}

static void
rundiff_fill(struct rundiff_entry *e, const char *key)
{
	const char *sep = strchr(key, RUNDIFF_SEP);

	e->workspace = xstrndup(key, (size_t)(sep - key));
	e->path = xstrdup(sep + 1);
}

int
rundiff_compute(const struct spanrec *a, size_t na,
    const struct spanrec *b, size_t nb, struct rundiff **out,
    struct gerr *err)
{
	struct rundiff_side sa, sb;
	struct rundiff *d;
	struct rundiff_keyslot *ks;
	size_t i;
	int rc;

	*out = NULL;
	rc = rundiff_side_init(&sa, a, na, 'A', err);
	if (rc == 0)
		rc = rundiff_side_init(&sb, b, nb, 'B', err);
	else
		memset(&sb, 0, sizeof(sb));
	if (rc != 0) {
		rundiff_side_free(&sa);
		rundiff_side_free(&sb);
		return rc;
	}
	d = xcalloc(1, sizeof(*d));
	d->entries = xcalloc(na + nb + 1, sizeof(*d->entries));
	for (i = 0; i < nb; i++) {
		struct rundiff_entry *e = &d->entries[d->n++];

		rundiff_fill(e, sb.keys[i]);
		e->kind = rundiff_dup(b[i].kind);
		e->status_b = rundiff_dup(b[i].status);
		e->dur_b_us = b[i].dur_us;
		ks = rundiff_key_slot(sa.slots, sa.slots_mask, sb.keys[i]);
		if (ks->key == NULL) {
			e->change = RUNDIFF_ADDED;
			e->dur_a_us = -1;
			d->n_added++;
			continue;
		}
		sa.matched[ks->idx] = true;
		e->status_a = rundiff_dup(a[ks->idx].status);
		e->dur_a_us = a[ks->idx].dur_us;
		e->delta_us = e->dur_b_us - e->dur_a_us;
		if (strcmp(e->status_a, e->status_b) != 0) {
			e->change = RUNDIFF_STATUS;
			d->n_status++;
		} else {
			e->change = RUNDIFF_SAME;
			d->n_same++;
		}
	}
	for (i = 0; i < na; i++) {
		struct rundiff_entry *e;

		if (sa.matched[i])
			continue;
		e = &d->entries[d->n++];
		rundiff_fill(e, sa.keys[i]);
		e->change = RUNDIFF_REMOVED;
		e->kind = rundiff_dup(a[i].kind);
		e->status_a = rundiff_dup(a[i].status);
		e->dur_a_us = a[i].dur_us;
		e->dur_b_us = -1;
		d->n_removed++;
	}
	rundiff_side_free(&sa);
	rundiff_side_free(&sb);
	*out = d;
	return 0;
}

void
rundiff_free(struct rundiff *d)
{
	size_t i;

	if (d == NULL)
		return;
	for (i = 0; i < d->n; i++) {
		free(d->entries[i].workspace);
		free(d->entries[i].path);
		free(d->entries[i].kind);
		free(d->entries[i].status_a);
		free(d->entries[i].status_b);
	}
	free(d->entries);
	free(d);
}

const char *
rundiff_change_name(enum rundiff_change c)
{
	switch (c) {
	case RUNDIFF_SAME:
		return "same";
	case RUNDIFF_STATUS:
		return "status";
	case RUNDIFF_ADDED:
		return "added";
	case RUNDIFF_REMOVED:
		return "removed";
	}
	return "unknown";
}
