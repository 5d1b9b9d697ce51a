/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * worker.c - the background thread of daemon/worker.h.
 *
 * Owns: the thread, the todo and done lists (one mutex, one condition),
 * the ev_async that brings done jobs back to the loop. Called by the
 * modules that own a worker (engine, histlink) on the loop thread.
 * Invariants: a job moves todo -> running -> done -> drained (its done
 * callback ran, the job record freed) exactly once; pending counts the
 * jobs not drained yet. The thread never calls done and never touches the
 * loop except through ev_async_send.
 */
#include "worker.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "fifo.h"
#include "log.h"
#include "xmalloc.h"

struct worker_job {
	struct fifo_link link;	/* in todo or done */
	worker_fn fn;
	worker_done_fn done;
	void *arg;
};

struct worker {
	struct ev_loop *loop;
	char *name;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t work;
	pthread_cond_t finished;	/* a job reached done (worker_free) */
	struct fifo todo, done;	/* of struct worker_job */
	bool stopping;
	size_t pending;			/* loop thread only */
	ev_async async;
};

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	struct worker_job *j;

	pthread_mutex_lock(&w->lock);
	for (;;) {
		while (!w->stopping && fifo_empty(&w->todo))
			pthread_cond_wait(&w->work, &w->lock);
		j = FIFO_POP(&w->todo, struct worker_job, link);
		if (j == NULL)		/* stopping, nothing left */
			break;
		pthread_mutex_unlock(&w->lock);
		j->fn(j->arg);
		pthread_mutex_lock(&w->lock);
		fifo_push(&w->done, &j->link);
		pthread_cond_signal(&w->finished);
		ev_async_send(w->loop, &w->async);
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

/* Call the done callbacks of finished jobs (loop thread). */
static void
worker_drain(struct worker *w)
{
	struct fifo done;
	struct worker_job *j;

	pthread_mutex_lock(&w->lock);
	done = fifo_take(&w->done);
	pthread_mutex_unlock(&w->lock);
	while ((j = FIFO_POP(&done, struct worker_job, link)) != NULL) {
		w->pending--;
		if (j->done != NULL)
			j->done(j->arg);
		free(j);
	}
}

static void
worker_async_cb(struct ev_loop *loop, ev_async *a, int revents)
{
	(void)loop;
	(void)revents;
	worker_drain(a->data);
}

struct worker *
worker_new(struct ev_loop *loop, const char *name)
{
	struct worker *w = xcalloc(1, sizeof(*w));
	int rc;

	w->loop = loop;
	w->name = xstrdup(name);
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->work, NULL);
	pthread_cond_init(&w->finished, NULL);
	ev_async_init(&w->async, worker_async_cb);
	w->async.data = w;
	ev_async_start(loop, &w->async);
	ev_unref(loop);
	rc = pthread_create(&w->thread, NULL, worker_main, w);
	if (rc != 0)
		fatal("worker %s: pthread_create: %s", name, strerror(rc));
	return w;
}

void
worker_submit(struct worker *w, worker_fn fn, worker_done_fn done,
    void *arg)
{
	struct worker_job *j = xcalloc(1, sizeof(*j));

	j->fn = fn;
	j->done = done;
	j->arg = arg;
	w->pending++;
	pthread_mutex_lock(&w->lock);
	fifo_push(&w->todo, &j->link);
	pthread_cond_signal(&w->work);
	pthread_mutex_unlock(&w->lock);
}

size_t
worker_pending(const struct worker *w)
{
	return w->pending;
}

void
worker_free(struct worker *w)
{
	if (w == NULL)
		return;
	/* Done callbacks may queue follow-ups: wait until none is left. */
	while (w->pending > 0) {
		pthread_mutex_lock(&w->lock);
		while (fifo_empty(&w->done))
			pthread_cond_wait(&w->finished, &w->lock);
		pthread_mutex_unlock(&w->lock);
		worker_drain(w);
	}
	pthread_mutex_lock(&w->lock);
	w->stopping = true;
	pthread_cond_broadcast(&w->work);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	ev_ref(w->loop);
	ev_async_stop(w->loop, &w->async);
	pthread_cond_destroy(&w->work);
	pthread_cond_destroy(&w->finished);
	pthread_mutex_destroy(&w->lock);
	free(w->name);
	free(w);
}
