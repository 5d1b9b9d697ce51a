/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * worker.h - one background thread for blocking work the loop must not
 * do itself: writing engine-cache.json, cache keys of roots without a hot
 * file table (walking and hashing), history `trim` and `stats`.
 *
 * A job is a pair of callbacks on one argument: fn runs on the worker
 * thread, then done runs on the loop thread (woken through an ev_async,
 * as the hash pool does), exactly once per job, in submission order. fn
 * must touch only what the job owns (copies, its own database connection)
 * and what nobody changes meanwhile; done may submit more jobs.
 *
 * Thread: worker_new, worker_submit and worker_free on the loop thread.
 */
#ifndef GGEN_WORKER_H
#define GGEN_WORKER_H

#include <stddef.h>

#include <ev.h>

struct worker;

typedef void (*worker_fn)(void *arg);		/* worker thread */
typedef void (*worker_done_fn)(void *arg);	/* loop thread */

/* A worker on loop (borrowed for the worker's life). Its ev_async does
 * not keep the loop alive by itself. Aborts (fatal) when the thread
 * cannot be created. */
struct worker *worker_new(struct ev_loop *loop, const char *name);

/* Queue fn(arg) then done(arg). done may be NULL. arg stays the
 * caller's; it must live until done runs. Never fails, never blocks. */
void worker_submit(struct worker *w, worker_fn fn, worker_done_fn done,
    void *arg);

/* Jobs queued or running, not yet done (loop thread). */
size_t worker_pending(const struct worker *w);

/* Run every queued job (those submitted by done callbacks meanwhile
 * too) and its done callback, then stop the thread and free. Blocks.
 * NULL ok. */
void worker_free(struct worker *w);

#endif
