/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fifo.h - an intrusive first-in first-out queue: the job lists of the
 * daemon's worker threads (daemon/worker.c, daemon/hashpool.c,
 * daemon/outcache.c) are all this one queue.
 *
 * An element embeds a struct fifo_link; FIFO_ENTRY / FIFO_POP get the
 * element back from its link. Push at the tail and pop at the head are
 * O(1); nothing is allocated.
 *
 * Ownership: the queue owns no element. Whoever pushes an element hands it
 * to the queue's owner until it is popped; freeing elements is the owner's
 * job. No locking: a queue shared between threads is guarded by its
 * owner's mutex.
 *
 * Invariants: head == NULL <=> tail == NULL <=> n == 0; tail->next ==
 * NULL; following next from head reaches tail after n - 1 steps.
 */
#ifndef GGEN_FIFO_H
#define GGEN_FIFO_H

#include <stdbool.h>
#include <stddef.h>

struct fifo_link {
	struct fifo_link *next;
};

struct fifo {
	struct fifo_link *head, *tail;
	size_t n;
};

/* The element of type `type` whose member `member` is the link l. */
#define FIFO_ENTRY(l, type, member) \
	((type *)(void *)((char *)(l) - offsetof(type, member)))

/* Pop the head as a `type *` (NULL when q is empty). */
#define FIFO_POP(q, type, member) \
	((type *)fifo_pop_entry((q), offsetof(type, member)))

static inline void
fifo_push(struct fifo *q, struct fifo_link *l)
{
	l->next = NULL;
	if (q->tail != NULL)
		q->tail->next = l;
	else
		q->head = l;
	q->tail = l;
	q->n++;
}

static inline struct fifo_link *
fifo_pop(struct fifo *q)
{
	struct fifo_link *l = q->head;

	if (l == NULL)
		return NULL;
	q->head = l->next;
	if (q->head == NULL)
		q->tail = NULL;
	q->n--;
	l->next = NULL;
	return l;
}

/* fifo_pop, as the start of the element the link sits off bytes into. */
static inline void *
fifo_pop_entry(struct fifo *q, size_t off)
{
	struct fifo_link *l = fifo_pop(q);

	return l != NULL ? (void *)((char *)l - off) : NULL;
}

static inline bool
fifo_empty(const struct fifo *q)
{
	return q->head == NULL;
}

/* Move every element of q out, in order, into the returned queue; q is
 * left empty (a drain takes the done list under the lock this way). */
static inline struct fifo
fifo_take(struct fifo *q)
{
	struct fifo all = *q;

	q->head = q->tail = NULL;
	q->n = 0;
	return all;
}

/*
 * Unlink every element for which drop(arg, link) is true, keeping the
 * others in order, and hand each dropped one to drop's caller through
 * gone(arg, link) (which may free it). Returns how many were dropped.
 */
static inline size_t
fifo_remove_if(struct fifo *q, bool (*drop)(void *arg,
    const struct fifo_link *l), void (*gone)(void *arg, struct fifo_link *l),
    void *arg)
{
	struct fifo_link **pp = &q->head, *l;
	size_t n = 0;

	q->tail = NULL;
	while ((l = *pp) != NULL) {
		if (drop(arg, l)) {
			*pp = l->next;
			gone(arg, l);
			n++;
		} else {
			q->tail = l;
			pp = &l->next;
		}
	}
	q->n -= n;
	return n;
}

#endif
