/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * udiff.c - Myers' greedy shortest edit script over lines, printed as a
 * unified diff with UDIFF_CONTEXT lines of context.
 *
 * Owns only its scratch arrays for the call. Called by ggenc render --diff.
 * The forward pass keeps, for each edit distance d, the furthest x reached
 * on diagonals -d..d (stored back to back: row d starts at d*d), which the
 * backtrack needs; that is why D is capped (D^2 ints).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "udiff.h"
#include "xmalloc.h"

struct udiff_line {
	const char *p;
	size_t len;		/* with the newline, if any */
};

enum udiff_op_kind {
	UDIFF_EQ,
	UDIFF_DEL,
	UDIFF_INS,
};

struct udiff_op {
	enum udiff_op_kind kind;
	size_t ai, bi;		/* line indexes in a and b at this op */
};

static struct udiff_line *
udiff_split(const char *s, size_t len, size_t *n)
{
	struct udiff_line *v = NULL;
	size_t cap = 0, i = 0, start = 0;

	*n = 0;
	while (start < len) {
		const char *nl = memchr(s + start, '\n', len - start);
		size_t end = nl != NULL ? (size_t)(nl - s) + 1 : len;

		if (i == cap) {
			cap = cap ? cap * 2 : 64;
			v = xreallocarray(v, cap, sizeof(*v));
		}
		v[i].p = s + start;
		v[i].len = end - start;
		i++;
		start = end;
	}
	*n = i;
	return v;
}

static int
udiff_eq(const struct udiff_line *x, const struct udiff_line *y)
{
	return x->len == y->len && memcmp(x->p, y->p, x->len) == 0;
}

/* Edit script a -> b into *ops (caller frees); GERR_TOO_LARGE past max. */
static int
udiff_script(const struct udiff_line *a, size_t n, const struct udiff_line *b,
    size_t m, size_t max, struct udiff_op **ops_out, size_t *n_ops,
    struct gerr *err)
{
	ptrdiff_t N = (ptrdiff_t)n, M = (ptrdiff_t)m, dmax, d, k, x, y;
	ptrdiff_t *v, *trace, found = -1;
	struct udiff_op *ops;
	size_t i = 0;

	dmax = N + M < (ptrdiff_t)max ? N + M : (ptrdiff_t)max;
	v = xcalloc((size_t)(2 * dmax + 3), sizeof(*v));
	trace = xcalloc((size_t)(dmax + 1) * (size_t)(dmax + 1),
	    sizeof(*trace));
	v += dmax + 1;
	for (d = 0; d <= dmax && found < 0; d++) {
		for (k = -d; k <= d; k += 2) {
			if (k == -d || (k != d && v[k - 1] < v[k + 1]))
				x = v[k + 1];
			else
				x = v[k - 1] + 1;
			y = x - k;
			while (x < N && y < M && udiff_eq(&a[x], &b[y])) {
				x++;
				y++;
			}
			v[k] = x;
			if (x >= N && y >= M)
				found = d;
		}
		memcpy(trace + d * d, v - d, (size_t)(2 * d + 1) *
		    sizeof(*v));
	}
	free(v - (dmax + 1));
	if (found < 0) {
		free(trace);
		return gerr_set(err, GERR_TOO_LARGE, "the files differ in more "
		    "than %zu lines; --diff stops there", max);
	}
	ops = xreallocarray(NULL, n + m + 1, sizeof(*ops));
	x = N;
	y = M;
	for (d = found; d > 0; d--) {
		const ptrdiff_t *pv = trace + (d - 1) * (d - 1) + (d - 1);
		ptrdiff_t pk, px, py;

		k = x - y;
		if (k == -d || (k != d && pv[k - 1] < pv[k + 1]))
			pk = k + 1;
		else
			pk = k - 1;
		px = pv[pk];
		py = px - pk;
		while (x > px && y > py) {
			x--;
			y--;
			ops[i++] = (struct udiff_op){ UDIFF_EQ, (size_t)x,
			    (size_t)y };
		}
		if (x == px)
			ops[i++] = (struct udiff_op){ UDIFF_INS, (size_t)x,
			    (size_t)py };
		else
			ops[i++] = (struct udiff_op){ UDIFF_DEL, (size_t)px,
			    (size_t)y };
		x = px;
		y = py;
	}
	while (x > 0 && y > 0) {
		x--;
		y--;
		ops[i++] = (struct udiff_op){ UDIFF_EQ, (size_t)x, (size_t)y };
	}
	free(trace);
	for (size_t j = 0; j < i / 2; j++) {
		struct udiff_op t = ops[j];

		ops[j] = ops[i - 1 - j];
		ops[i - 1 - j] = t;
	}
	*ops_out = ops;
	*n_ops = i;
	return 0;
}

static void
udiff_emit_line(struct strbuf *out, char sign, const struct udiff_line *l)
{
	strbuf_addch(out, sign);
	strbuf_add(out, l->p, l->len);
	if (l->len == 0 || l->p[l->len - 1] != '\n')
		strbuf_addstr(out, "\n\\ No newline at end of file\n");
}

/* "start,count" the way diff -u writes it (an empty range names the line
 * before it). */
static void
udiff_range(struct strbuf *out, size_t start, size_t count)
{
	if (count == 1)
		strbuf_addf(out, "%zu", start + 1);
	else
		strbuf_addf(out, "%zu,%zu", count ? start + 1 : start, count);
}

int
udiff_unified(const char *a, size_t alen, const char *a_name,
    const char *b, size_t blen, const char *b_name, size_t max_edits,
    struct strbuf *out, struct gerr *err)
{
	struct udiff_line *al, *bl;
	struct udiff_op *ops = NULL;
	size_t n, m, n_ops = 0, i, rc;

	if (max_edits == 0)
		max_edits = UDIFF_DEFAULT_MAX_EDITS;
	al = udiff_split(a != NULL ? a : "", alen, &n);
	bl = udiff_split(b, blen, &m);
	rc = (size_t)udiff_script(al, n, bl, m, max_edits, &ops, &n_ops, err);
	if (rc != 0) {
		free(al);
		free(bl);
		return (int)rc;
	}
	for (i = 0; i < n_ops && ops[i].kind == UDIFF_EQ; i++)
		;
	if (i < n_ops)
		strbuf_addf(out, "--- %s\n+++ %s\n", a_name, b_name);
	while (i < n_ops) {
		/* Hunk: from CONTEXT equal ops before the first change to
		 * CONTEXT after the last change whose gap to the next change
		 * is at most 2 * CONTEXT. */
		size_t start = i > UDIFF_CONTEXT ? i - UDIFF_CONTEXT : 0;
		size_t end = i, j, eq_run, da = 0, db = 0;

		for (j = i; j < n_ops; j++) {
			if (ops[j].kind != UDIFF_EQ) {
				end = j + 1;
				continue;
			}
			eq_run = j - end + 1;
			if (eq_run > 2 * UDIFF_CONTEXT)
				break;
		}
		end = end + UDIFF_CONTEXT < n_ops ? end + UDIFF_CONTEXT : n_ops;
		for (j = start; j < end; j++) {
			if (ops[j].kind != UDIFF_INS)
				da++;
			if (ops[j].kind != UDIFF_DEL)
				db++;
		}
		strbuf_addstr(out, "@@ -");
		udiff_range(out, ops[start].ai, da);
		strbuf_addstr(out, " +");
		udiff_range(out, ops[start].bi, db);
		strbuf_addstr(out, " @@\n");
		for (j = start; j < end; j++) {
			if (ops[j].kind == UDIFF_EQ)
				udiff_emit_line(out, ' ', &al[ops[j].ai]);
			else if (ops[j].kind == UDIFF_DEL)
				udiff_emit_line(out, '-', &al[ops[j].ai]);
			else
				udiff_emit_line(out, '+', &bl[ops[j].bi]);
		}
		for (i = end; i < n_ops && ops[i].kind == UDIFF_EQ; i++)
			;
	}
	free(ops);
	free(al);
	free(bl);
	return 0;
}
