/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * outcache.c - the engine's output cache: local store + remote, on two
 * worker threads (see outcache.h).
 *
 * Owns: the store (daemon/outstore), the remote client (daemon/remote),
 * two threads (fetch: restores; save: captures and uploads), their queues,
 * the done list and the ev_async that hands results back to the loop, the
 * set of keys uploaded lately, and the output signatures (what was on
 * disk after the last save or restore of a key in a workspace).
 * Invariants: queues are bounded (OUTCACHE_FETCH_MAX, OUTCACHE_QUEUE_MAX);
 * a restore job is freed on the loop only, after its worker is done with
 * it; a cancelled job's callback never runs; the loop never does file or
 * network I/O here beyond lstat of outputs (outcache_outputs_intact).
 * Never: block the loop on a worker, or let a remote fault fail a build.
 */
#include "outcache.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>

#include "cachekey_platform.h"
#include "config.h"
#include "fifo.h"
#include "log.h"
#include "outmanifest.h"
#include "outstore.h"
#include "remote.h"
#include "runner.h"
#include "sha256.h"
#include "clock.h"
#include "xmalloc.h"

/* Keys uploaded lately, not uploaded again. */
#define OUTCACHE_UPLOADED_MAX 1024

struct outcache_sigfile {
	char *path;
	uint64_t size, ino;
	int64_t mtime_ns;
};

struct outcache_sig {
	char *ws_dir;
	char key[CACHEKEY_HEX_SIZE];	/* the phase key */
	struct outcache_sigfile *files;
	size_t n;
};

enum outcache_kind {
	OUTCACHE_JOB_RESTORE,
	OUTCACHE_JOB_SAVE,
};

struct outcache_job {
	struct outcache *oc;
	enum outcache_kind kind;
	struct fifo_link link;	/* in one of the queues */
	char key[CACHEKEY_HEX_SIZE];	/* action key, once keyed */
	char phase_key[CACHEKEY_HEX_SIZE];
	char *phase, *ws_dir, *root;
	char **plat;			/* platform input commands */
	size_t n_plat;
	bool remote;
	bool check;			/* compare outputs first */
	struct outmanifest *adopt;	/* save: store these files (a remote
					   hit), not a capture */
	/* save */
	char **outputs;
	size_t n_outputs;
	char *tail;
	size_t tail_len;
	/* restore: set on the loop, read there only */
	outcache_done_cb cb;
	void *arg;
	bool cancelled;
	/* results, written by the worker */
	enum outcache_result res;
	uint64_t bytes;
	char detail[GERR_MSG_MAX];
	struct outcache_sig *sig;	/* what is on disk now, or NULL */
};

/* One platform input: a command's output hash in one root. Loop only. */
struct outcache_plat {
	struct outcache *oc;
	char *root, *cmd;
	char sha[SHA256_HEX_SIZE];
	bool known;		/* sha holds a finished run's hash */
	bool running;
	bool reap;		/* child finished, runner_child_free due */
	uint64_t at_ms;		/* when sha was taken (mono) */
	struct sha256 h;	/* while running */
	struct child child;
};

struct outcache {
	struct ev_loop *loop;
	char *state_dir;
	struct outstore *store;		/* NULL = no local store */
	struct remote *remote;
	char platform[CACHEKEY_HEX_SIZE];
	char os[65], arch[65];
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool stopping;
	struct fifo fetchq, saveq, doneq;	/* under mu */
	char (*uploaded)[CACHEKEY_HEX_SIZE];	/* ring; under mu */
	size_t n_uploaded, uploaded_next;
	pthread_t fetch_thr, save_thr;
	bool threads;
	ev_async done_w;
	/* loop only */
	struct outcache_plat *plats[OUTCACHE_PLATFORM_MAX];
	size_t n_plats;
	struct fifo waitq;	/* jobs waiting for platform inputs */
	ev_idle plat_idle;		/* reaps children, wakes waiters */
	uint64_t platform_runs;
	struct outcache_sig *sigs;
	size_t n_sigs, sigs_next;
	uint64_t checks_intact;
	uint64_t saves_dropped, saves_done, saves_failed, restores_local,
	    restores_remote, restore_misses;
	char last_save_error[GERR_MSG_MAX];
	char why[OUTMANIFEST_PATH_MAX + 64];
};

const char *
outcache_result_name(enum outcache_result res)
{
	switch (res) {
	case OUTCACHE_MISS:
		return "miss";
	case OUTCACHE_LOCAL:
		return "restored";
	case OUTCACHE_REMOTE:
		return "remote";
	case OUTCACHE_INTACT:
		return "skipped";
	}
	return "?";
}

static void
outcache_push(struct fifo *q, struct outcache_job *j)
{
	fifo_push(q, &j->link);
}

static struct outcache_job *
outcache_pop(struct fifo *q)
{
	return FIFO_POP(q, struct outcache_job, link);
}

static void
outcache_sig_free(struct outcache_sig *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->n; i++)
		free(s->files[i].path);
	free(s->files);
	free(s->ws_dir);
	free(s);
}

static void
outcache_job_free(struct outcache_job *j)
{
	if (j == NULL)
		return;
	free(j->phase);
	free(j->ws_dir);
	free(j->root);
	for (size_t i = 0; i < j->n_plat; i++)
		free(j->plat[i]);
	free(j->plat);
	for (size_t i = 0; i < j->n_outputs; i++)
		free(j->outputs[i]);
	free(j->outputs);
	free(j->tail);
	outmanifest_free(j->adopt);
	outcache_sig_free(j->sig);
	free(j);
}

/* ---- worker side ------------------------------------------------------ */

/* lstat of m's files under ws_dir now (worker thread). */
static struct outcache_sig *
outcache_sig_take(const char *ws_dir, const char *phase_key,
    const struct outmanifest *m)
{
	struct outcache_sig *s = xcalloc(1, sizeof(*s));

	s->ws_dir = xstrdup(ws_dir);
	snprintf(s->key, sizeof(s->key), "%s", phase_key);
	s->files = xcalloc(m->n_files + 1, sizeof(*s->files));
	for (size_t i = 0; i < m->n_files; i++) {
		char *p = xasprintf("%s/%s", ws_dir, m->files[i].path);
		struct stat sb;

		s->files[i].path = xstrdup(m->files[i].path);
		if (lstat(p, &sb) == 0) {
			s->files[i].size = (uint64_t)sb.st_size;
			s->files[i].ino = (uint64_t)sb.st_ino;
			s->files[i].mtime_ns = (int64_t)sb.st_mtim.tv_sec *
			    1000000000 + sb.st_mtim.tv_nsec;
		}
		free(p);
	}
	s->n = m->n_files;
	return s;
}

static int
outcache_fill_remote(void *arg, const struct outmanifest_file *f,
    struct fileio_writer *w, struct gerr *err)
{
	return remote_get_blob_into(arg, f->sha256, f->size, w, err);
}

/* After a remote hit: the files just restored go into the local store in
 * the background, exactly as m names them (a save job carrying m). Worker
 * thread; takes m. */
static void
outcache_queue_adopt(struct outcache *oc, const struct outcache_job *src,
    struct outmanifest *m)
{
	struct outcache_job *j = xcalloc(1, sizeof(*j));

	j->oc = oc;
	j->kind = OUTCACHE_JOB_SAVE;
	memcpy(j->key, src->key, sizeof(j->key));
	memcpy(j->phase_key, src->phase_key, sizeof(j->phase_key));
	j->phase = xstrdup(src->phase);
	j->ws_dir = xstrdup(src->ws_dir);
	j->root = xstrdup(src->root);
	j->adopt = m;
	pthread_mutex_lock(&oc->mu);
	if (oc->saveq.n < OUTCACHE_QUEUE_MAX && !oc->stopping) {
		outcache_push(&oc->saveq, j);
		pthread_cond_broadcast(&oc->cv);
		j = NULL;
	}
	pthread_mutex_unlock(&oc->mu);
	outcache_job_free(j);
}

/* Copy the files of j->adopt from the workspace into the store, each
 * checked against its sha256 (they may have changed since), then record
 * the manifest. */
static int
outcache_adopt(struct outcache *oc, struct outcache_job *j, struct gerr *err)
{
	const struct outmanifest *m = j->adopt;
	char *buf = xmalloc(1u << 20);
	int rv = 0;

	for (size_t i = 0; rv == 0 && i < m->n_files; i++) {
		const struct outmanifest_file *f = &m->files[i];
		struct outstore_blobw *w = NULL;
		char *path;
		ssize_t n;
		int fd;

		if (outstore_has_blob(oc->store, f->sha256, f->size))
			continue;
		path = xasprintf("%s/%s", j->ws_dir, f->path);
		fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			rv = gerr_set(err, GERR_IO, "open %s: %s", path,
			    strerror(errno));
		free(path);
		if (rv == 0)
			rv = outstore_blob_begin(oc->store, f->size, &w, err);
		while (rv == 0 && (n = read(fd, buf, 1u << 20)) != 0) {
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0)
				rv = gerr_set(err, GERR_IO, "read %s: %s",
				    f->path, strerror(errno));
			else
				rv = outstore_blob_write(w, buf, (size_t)n,
				    err);
		}
		if (rv == 0) {
			rv = outstore_blob_commit(w, f->sha256, NULL, NULL,
			    err);
			w = NULL;
		}
		outstore_blob_abort(w);
		if (fd >= 0)
			close(fd);
	}
	free(buf);
	if (rv == 0)
		rv = outstore_put(oc->store, m, err);
	return rv;
}

static void
outcache_do_restore(struct outcache *oc, struct remote_conn *rc,
    struct outcache_job *j)
{
	struct outmanifest *m = NULL;
	struct gerr err;
	int rv;

	j->res = OUTCACHE_MISS;
	gerr_clear(&err);
	rv = outstore_get(oc->store, j->key, &m, &err);
	if (j->check && rv != 0) {
		/* Nothing to compare with: trust them, as before a store. */
		j->res = OUTCACHE_INTACT;
		snprintf(j->detail, sizeof(j->detail), "no stored result to "
		    "check against");
		return;
	}
	if (j->check) {
		const char *why = NULL;

		if (outstore_matches(m, j->ws_dir, &why)) {
			j->res = OUTCACHE_INTACT;
			snprintf(j->detail, sizeof(j->detail), "outputs match "
			    "the stored result");
			j->sig = outcache_sig_take(j->ws_dir, j->phase_key, m);
			outmanifest_free(m);
			return;
		}
		log_info("output store: %s: %.200s differs from the stored "
		    "result; restoring", j->phase, why != NULL ? why : "?");
	}
	if (rv == 0) {
		rv = outstore_restore(oc->store, m, j->ws_dir, &j->bytes, &err);
		if (rv == 0) {
			j->res = OUTCACHE_LOCAL;
			snprintf(j->detail, sizeof(j->detail), "%zu file%s, %"
			    PRIu64 " bytes from the local store", m->n_files,
			    m->n_files == 1 ? "" : "s", j->bytes);
			j->sig = outcache_sig_take(j->ws_dir, j->phase_key, m);
		} else {
			snprintf(j->detail, sizeof(j->detail), "local restore "
			    "failed: %.400s", err.msg);
		}
		outmanifest_free(m);
		return;
	}
	if (!j->remote || !remote_can_read(oc->remote)) {
		snprintf(j->detail, sizeof(j->detail), "not in the local "
		    "store%s", j->remote ? "" : "; remote not asked");
		return;
	}
	gerr_clear(&err);
	rv = remote_get_manifest(rc, j->key, &m, &err);
	/* Straight from the network into the outputs' temp files, each
	 * blob verified as it streams; the store gets them afterwards, off
	 * the build's path. */
	if (rv == 0)
		rv = outstore_restore_from(m, j->ws_dir, outcache_fill_remote,
		    rc, &err);
	if (rv == 0) {
		j->bytes = m->total_bytes;
		j->res = OUTCACHE_REMOTE;
		snprintf(j->detail, sizeof(j->detail), "%zu file%s, %" PRIu64
		    " bytes from the remote cache", m->n_files,
		    m->n_files == 1 ? "" : "s", j->bytes);
		j->sig = outcache_sig_take(j->ws_dir, j->phase_key, m);
		outcache_queue_adopt(oc, j, m);
		m = NULL;
	} else {
		snprintf(j->detail, sizeof(j->detail), "remote: %.400s", err.msg);
	}
	remote_count(oc->remote, rv == 0);
	outmanifest_free(m);
}

/* Whether key was uploaded lately or is now being: marks it (under mu). */
static bool
outcache_seen_upload(struct outcache *oc, const char *key)
{
	for (size_t i = 0; i < oc->n_uploaded; i++)
		if (strcmp(oc->uploaded[i], key) == 0)
			return true;
	snprintf(oc->uploaded[oc->uploaded_next], CACHEKEY_HEX_SIZE, "%s",
	    key);
	oc->uploaded_next = (oc->uploaded_next + 1) % OUTCACHE_UPLOADED_MAX;
	if (oc->n_uploaded < OUTCACHE_UPLOADED_MAX)
		oc->n_uploaded++;
	return false;
}

static void
outcache_forget_upload(struct outcache *oc, const char *key)
{
	for (size_t i = 0; i < oc->n_uploaded; i++)
		if (strcmp(oc->uploaded[i], key) == 0)
			oc->uploaded[i][0] = '\0';
}

static void
outcache_do_save(struct outcache *oc, struct remote_conn *rc,
    struct outcache_job *j)
{
	struct outmanifest *m = NULL;
	struct gerr err;
	bool seen;
	int rv;

	gerr_clear(&err);
	if (j->adopt != NULL) {
		rv = outcache_adopt(oc, j, &err);
		if (rv == 0)
			j->res = OUTCACHE_LOCAL;
		else
			snprintf(j->detail, sizeof(j->detail), "%.400s",
			    err.msg);
		return;
	}
	rv = outstore_capture(oc->store, j->key, j->phase, j->ws_dir,
	    (const char *const *)j->outputs, j->n_outputs, j->tail,
	    j->tail_len, &m, &err);
	if (rv != 0) {
		snprintf(j->detail, sizeof(j->detail), "%s", err.msg);
		return;
	}
	j->res = OUTCACHE_LOCAL;
	j->sig = outcache_sig_take(j->ws_dir, j->phase_key, m);
	if (j->remote && remote_can_write(oc->remote)) {
		pthread_mutex_lock(&oc->mu);
		seen = outcache_seen_upload(oc, j->key);
		pthread_mutex_unlock(&oc->mu);
		if (!seen) {
			gerr_clear(&err);
			if (remote_put_result(rc, m, oc->store, &err) != 0) {
				log_debug("outcache_do_save: upload %.16s...: "
				    "%s", j->key, err.msg);
				pthread_mutex_lock(&oc->mu);
				outcache_forget_upload(oc, j->key);
				pthread_mutex_unlock(&oc->mu);
			}
		}
	}
	outmanifest_free(m);
}

static void *
outcache_worker(struct outcache *oc, struct fifo *q)
{
	struct remote_conn *rc = remote_conn_new(oc->remote);
	struct outcache_job *j;

	pthread_mutex_lock(&oc->mu);
	for (;;) {
		while (!oc->stopping && fifo_empty(q))
			pthread_cond_wait(&oc->cv, &oc->mu);
		/* At exit restores are dropped (no run waits any more) but
		 * queued saves still reach the local store, without uploads:
		 * a restarted daemon then restores what this one built. */
		if (oc->stopping && (q == &oc->fetchq || fifo_empty(q)))
			break;
		j = outcache_pop(q);
		if (oc->stopping)
			j->remote = false;
		pthread_mutex_unlock(&oc->mu);
		if (j->kind == OUTCACHE_JOB_RESTORE)
			outcache_do_restore(oc, rc, j);
		else
			outcache_do_save(oc, rc, j);
		pthread_mutex_lock(&oc->mu);
		outcache_push(&oc->doneq, j);
		ev_async_send(oc->loop, &oc->done_w);
	}
	pthread_mutex_unlock(&oc->mu);
	remote_conn_free(rc);
	return NULL;
}

static void *
outcache_fetch_main(void *arg)
{
	struct outcache *oc = arg;

	return outcache_worker(oc, &oc->fetchq);
}

static void *
outcache_save_main(void *arg)
{
	struct outcache *oc = arg;

	return outcache_worker(oc, &oc->saveq);
}

/* ---- loop side -------------------------------------------------------- */

static void
outcache_sig_keep(struct outcache *oc, struct outcache_sig *s)
{
	for (size_t i = 0; i < oc->n_sigs; i++)
		if (strcmp(oc->sigs[i].ws_dir, s->ws_dir) == 0 &&
		    strcmp(oc->sigs[i].key, s->key) == 0) {
			struct outcache_sig old = oc->sigs[i];

			oc->sigs[i] = *s;
			free(s);
			for (size_t k = 0; k < old.n; k++)
				free(old.files[k].path);
			free(old.files);
			free(old.ws_dir);
			return;
		}
	if (oc->n_sigs < OUTCACHE_SIGS_MAX) {
		oc->sigs = xreallocarray(oc->sigs, oc->n_sigs + 1,
		    sizeof(*oc->sigs));
		oc->sigs[oc->n_sigs++] = *s;
	} else {
		struct outcache_sig *victim = &oc->sigs[oc->sigs_next];

		for (size_t k = 0; k < victim->n; k++)
			free(victim->files[k].path);
		free(victim->files);
		free(victim->ws_dir);
		*victim = *s;
		oc->sigs_next = (oc->sigs_next + 1) % OUTCACHE_SIGS_MAX;
	}
	free(s);
}

static void
outcache_done_cb_loop(struct ev_loop *loop, ev_async *w, int revents)
{
	struct outcache *oc = w->data;
	struct fifo q;
	struct outcache_job *j;

	(void)loop;
	(void)revents;
	pthread_mutex_lock(&oc->mu);
	q = fifo_take(&oc->doneq);
	pthread_mutex_unlock(&oc->mu);
	while ((j = outcache_pop(&q)) != NULL) {
		if (j->sig != NULL) {
			outcache_sig_keep(oc, j->sig);
			j->sig = NULL;
		}
		if (j->kind == OUTCACHE_JOB_SAVE) {
			if (j->res == OUTCACHE_LOCAL) {
				oc->saves_done++;
			} else {
				oc->saves_failed++;
				snprintf(oc->last_save_error,
				    sizeof(oc->last_save_error), "%.64s: %.400s",
				    j->phase, j->detail);
				log_info("output store: %s not stored: %s",
				    j->phase, j->detail);
			}
		} else {
			if (j->res == OUTCACHE_LOCAL)
				oc->restores_local++;
			else if (j->res == OUTCACHE_INTACT)
				oc->checks_intact++;
			else if (j->res == OUTCACHE_REMOTE)
				oc->restores_remote++;
			else
				oc->restore_misses++;
			if (!j->cancelled)
				j->cb(j->arg, j->res, j->bytes, j->detail);
		}
		outcache_job_free(j);
	}
}

static void outcache_plat_idle_cb(struct ev_loop *loop, ev_idle *w,
    int revents);
static void outcache_plat_free(struct outcache_plat *p);

static void
outcache_settings(const struct ggend_config *cfg, struct remote_settings *s)
{
	s->url = cfg->cache_remote_url;
	s->read = cfg->cache_remote_read;
	s->write = cfg->cache_remote_write;
	s->timeout_ms = cfg->cache_remote_timeout_ms;
	s->max_bytes = cfg->cache_remote_max_bytes;
	s->headers_file = cfg->cache_remote_headers_file;
}

struct outcache *
outcache_new(struct ev_loop *loop, const char *state_dir,
    const struct ggend_config *cfg)
{
	struct outcache *oc = xcalloc(1, sizeof(*oc));
	struct remote_settings rs;
	struct utsname u;
	struct gerr err;

	oc->loop = loop;
	oc->state_dir = xstrdup(state_dir);
	oc->remote = remote_new();
	outcache_settings(cfg, &rs);
	remote_configure(oc->remote, &rs, NULL);
	gerr_clear(&err);
	if (cfg->cache_local_max > 0) {
		oc->store = outstore_open(state_dir, cfg->cache_local_max,
		    &err);
		if (oc->store == NULL)
			log_error("output store disabled: %s", err.msg);
	}
	if (uname(&u) == 0) {
		snprintf(oc->os, sizeof(oc->os), "%s", u.sysname);
		snprintf(oc->arch, sizeof(oc->arch), "%s", u.machine);
	} else {
		snprintf(oc->os, sizeof(oc->os), "unknown");
		snprintf(oc->arch, sizeof(oc->arch), "unknown");
	}
	cachekey_platform(oc->os, oc->arch, NULL, 0, oc->platform);
	oc->uploaded = xcalloc(OUTCACHE_UPLOADED_MAX, sizeof(*oc->uploaded));
	pthread_mutex_init(&oc->mu, NULL);
	pthread_cond_init(&oc->cv, NULL);
	ev_idle_init(&oc->plat_idle, outcache_plat_idle_cb);
	oc->plat_idle.data = oc;
	ev_async_init(&oc->done_w, outcache_done_cb_loop);
	oc->done_w.data = oc;
	ev_async_start(loop, &oc->done_w);
	/* Keep the loop's own count honest: the watcher alone must not keep
	 * ev_run alive. */
	ev_unref(loop);
	if (oc->store != NULL) {
		if (pthread_create(&oc->fetch_thr, NULL, outcache_fetch_main,
		    oc) != 0 || pthread_create(&oc->save_thr, NULL,
		    outcache_save_main, oc) != 0)
			fatal("outcache: cannot start worker threads");
		oc->threads = true;
	}
	return oc;
}

void
outcache_free(struct outcache *oc)
{
	struct outcache_job *j;

	if (oc == NULL)
		return;
	pthread_mutex_lock(&oc->mu);
	oc->stopping = true;
	pthread_cond_broadcast(&oc->cv);
	pthread_mutex_unlock(&oc->mu);
	if (oc->threads) {
		pthread_join(oc->fetch_thr, NULL);
		pthread_join(oc->save_thr, NULL);
	}
	if (oc->saveq.n > 0)
		log_info("output store: %zu queued save%s dropped at exit",
		    oc->saveq.n, oc->saveq.n == 1 ? "" : "s");
	while ((j = outcache_pop(&oc->fetchq)) != NULL)
		outcache_job_free(j);
	while ((j = outcache_pop(&oc->saveq)) != NULL)
		outcache_job_free(j);
	while ((j = outcache_pop(&oc->doneq)) != NULL) {
		/* Saves drained at exit report as they would on the loop. */
		if (j->kind == OUTCACHE_JOB_SAVE && j->res != OUTCACHE_LOCAL)
			log_info("output store: %s not stored: %s", j->phase,
			    j->detail);
		outcache_job_free(j);
	}
	while ((j = outcache_pop(&oc->waitq)) != NULL)
		outcache_job_free(j);
	ev_idle_stop(oc->loop, &oc->plat_idle);
	for (size_t i = 0; i < oc->n_plats; i++)
		outcache_plat_free(oc->plats[i]);
	ev_ref(oc->loop);
	ev_async_stop(oc->loop, &oc->done_w);
	for (size_t i = 0; i < oc->n_sigs; i++) {
		for (size_t k = 0; k < oc->sigs[i].n; k++)
			free(oc->sigs[i].files[k].path);
		free(oc->sigs[i].files);
		free(oc->sigs[i].ws_dir);
	}
	free(oc->sigs);
	free(oc->uploaded);
	pthread_cond_destroy(&oc->cv);
	pthread_mutex_destroy(&oc->mu);
	outstore_free(oc->store);
	remote_free(oc->remote);
	free(oc->state_dir);
	free(oc);
}

void
outcache_configure(struct outcache *oc, const struct ggend_config *cfg)
{
	struct remote_settings rs;

	outcache_settings(cfg, &rs);
	remote_configure(oc->remote, &rs, NULL);
	if (oc->store != NULL)
		outstore_set_max(oc->store, cfg->cache_local_max > 0 ?
		    cfg->cache_local_max : 1);
}

/* ---- platform inputs (loop) ------------------------------------------ */

static void
outcache_plat_output(struct child *c, enum runner_stream stream,
    const char *bytes, size_t len)
{
	struct outcache_plat *p = c->data;

	(void)stream;
	sha256_update(&p->h, bytes, len);
}

static void
outcache_plat_done(struct outcache_plat *p, const char *trailer)
{
	sha256_update(&p->h, trailer, strlen(trailer));
	sha256_final_hex(&p->h, p->sha);
	p->known = true;
	p->running = false;
	p->at_ms = clock_mono_ms();
	ev_idle_start(p->oc->loop, &p->oc->plat_idle);
}

static void
outcache_plat_exit(struct child *c, const struct runner_result *res)
{
	struct outcache_plat *p = c->data;
	char trailer[64];

	/* The exit status is part of what the platform looks like: a
	 * missing compiler hashes differently from any present one. */
	snprintf(trailer, sizeof(trailer), "\nexit=%d signal=%d timeout=%d",
	    res->exited ? res->exit_code : -1, res->signal,
	    res->timed_out ? 1 : 0);
	p->reap = true;
	outcache_plat_done(p, trailer);
	if (!res->exited || res->exit_code != 0)
		log_warn("cache platform input \"%s\" in %s ended %s %d; hashed "
		    "as it is", p->cmd, p->root, res->exited ? "with code" :
		    "by signal", res->exited ? res->exit_code : res->signal);
}

static void
outcache_plat_start(struct outcache *oc, struct outcache_plat *p)
{
	struct spawn_spec spec = {
		.command = p->cmd, .cwd = p->root,
		.timeout_ms = OUTCACHE_PLATFORM_TIMEOUT_MS,
		.output_cap = 4096, .on_output = outcache_plat_output,
		.on_exit = outcache_plat_exit, .data = p,
	};
	struct gerr err;

	if (p->reap) {
		runner_child_free(&p->child);
		p->reap = false;
	}
	memset(&p->child, 0, sizeof(p->child));
	sha256_init(&p->h);
	p->running = true;
	oc->platform_runs++;
	gerr_clear(&err);
	if (runner_spawn(oc->loop, &spec, &p->child, &err) != 0) {
		char trailer[GERR_MSG_MAX + 32];

		log_warn("cache platform input \"%s\": %s", p->cmd, err.msg);
		snprintf(trailer, sizeof(trailer), "\nspawn failed: %s",
		    err.msg);
		outcache_plat_done(p, trailer);
	}
}

static void
outcache_plat_free(struct outcache_plat *p)
{
	if (p->running || p->reap)
		runner_child_free(&p->child);
	if (p->running)
		sha256_release(&p->h);
	free(p->root);
	free(p->cmd);
	free(p);
}

/* The memo entry of (root, cmd), made if need be; NULL when the memo is
 * full of running commands. */
static struct outcache_plat *
outcache_plat_get(struct outcache *oc, const char *root, const char *cmd)
{
	struct outcache_plat *p;
	size_t victim = oc->n_plats;

	for (size_t i = 0; i < oc->n_plats; i++) {
		p = oc->plats[i];
		if (strcmp(p->root, root) == 0 && strcmp(p->cmd, cmd) == 0)
			return p;
		if (!p->running && (victim == oc->n_plats ||
		    p->at_ms < oc->plats[victim]->at_ms))
			victim = i;
	}
	if (oc->n_plats == OUTCACHE_PLATFORM_MAX) {
		if (victim == oc->n_plats)
			return NULL;
		outcache_plat_free(oc->plats[victim]);
		oc->plats[victim] = oc->plats[--oc->n_plats];
	}
	p = xcalloc(1, sizeof(*p));
	p->oc = oc;
	p->root = xstrdup(root);
	p->cmd = xstrdup(cmd);
	oc->plats[oc->n_plats++] = p;
	return p;
}

/* The platform part for root's commands into hex: 1 when every output is
 * known and fresh; 0 while some run (they are started); -1 when one
 * cannot be tracked (the memo is full). */
static int
outcache_platform(struct outcache *oc, const char *root,
    char *const *cmds, size_t n, char hex[CACHEKEY_HEX_SIZE])
{
	struct cachekey_platform_input *in;
	uint64_t now = clock_mono_ms();
	int ready = 1;

	if (n == 0) {
		memcpy(hex, oc->platform, CACHEKEY_HEX_SIZE);
		return 1;
	}
	in = xcalloc(n, sizeof(*in));
	for (size_t i = 0; i < n; i++) {
		struct outcache_plat *p = outcache_plat_get(oc, root, cmds[i]);

		if (p == NULL) {
			ready = -1;
			break;
		}
		if (p->known && !p->running &&
		    now - p->at_ms < OUTCACHE_PLATFORM_TTL_MS) {
			in[i].command = p->cmd;
			in[i].output_sha256 = p->sha;
			continue;
		}
		if (!p->running)
			outcache_plat_start(oc, p);
		/* A spawn failure is known at once; anything else waits. */
		if (p->running || !p->known)
			ready = 0;
		else {
			in[i].command = p->cmd;
			in[i].output_sha256 = p->sha;
		}
	}
	if (ready == 1)
		cachekey_platform(oc->os, oc->arch, in, n, hex);
	free(in);
	return ready;
}

/* Fill j->key when the platform part is known: 1; 0 waiting; -1 never. */
static int
outcache_key_job(struct outcache *oc, struct outcache_job *j)
{
	char plat[CACHEKEY_HEX_SIZE];
	int rc = outcache_platform(oc, j->root, j->plat, j->n_plat, plat);

	if (rc == 1)
		cachekey_action(j->phase_key, plat,
		    (const char *const *)j->outputs, j->n_outputs, j->key);
	return rc;
}

/* Hand a keyed job to its worker; a full fetch queue is a miss. */
static void
outcache_dispatch(struct outcache *oc, struct outcache_job *j)
{
	bool full;

	pthread_mutex_lock(&oc->mu);
	if (j->kind == OUTCACHE_JOB_RESTORE) {
		full = oc->fetchq.n >= OUTCACHE_FETCH_MAX;
		if (!full)
			outcache_push(&oc->fetchq, j);
	} else {
		full = oc->saveq.n >= OUTCACHE_QUEUE_MAX;
		if (!full)
			outcache_push(&oc->saveq, j);
		else
			oc->saves_dropped++;
	}
	if (full) {
		/* Through the done list: the callback never runs inside
		 * the caller's own call. */
		snprintf(j->detail, sizeof(j->detail), "%s queue full",
		    j->kind == OUTCACHE_JOB_RESTORE ? "restore" : "save");
		j->res = OUTCACHE_MISS;
		outcache_push(&oc->doneq, j);
		ev_async_send(oc->loop, &oc->done_w);
	}
	pthread_cond_broadcast(&oc->cv);
	pthread_mutex_unlock(&oc->mu);
	if (full && j->kind == OUTCACHE_JOB_SAVE)
		log_warn("output store: save queue full; %s not stored",
		    j->phase);
}

/* Key and dispatch j, or park it until its platform inputs are known. */
static void
outcache_submit(struct outcache *oc, struct outcache_job *j)
{
	int rc = outcache_key_job(oc, j);

	if (rc == 1) {
		outcache_dispatch(oc, j);
		return;
	}
	if (rc == 0) {
		outcache_push(&oc->waitq, j);
		return;
	}
	snprintf(j->detail, sizeof(j->detail), "too many platform inputs "
	    "in flight");
	j->res = OUTCACHE_MISS;
	pthread_mutex_lock(&oc->mu);
	outcache_push(&oc->doneq, j);
	ev_async_send(oc->loop, &oc->done_w);
	pthread_mutex_unlock(&oc->mu);
}

/* Idle after a platform input finished: reap children, wake waiters. */
static void
outcache_plat_idle_cb(struct ev_loop *loop, ev_idle *w, int revents)
{
	struct outcache *oc = w->data;
	struct fifo q = fifo_take(&oc->waitq);
	struct outcache_job *j;

	(void)revents;
	ev_idle_stop(loop, w);
	for (size_t i = 0; i < oc->n_plats; i++)
		if (oc->plats[i]->reap && !oc->plats[i]->running) {
			runner_child_free(&oc->plats[i]->child);
			oc->plats[i]->reap = false;
		}
	while ((j = outcache_pop(&q)) != NULL) {
		if (j->cancelled) {
			outcache_job_free(j);
			continue;
		}
		outcache_submit(oc, j);
	}
}

/* ---- the engine's calls (loop) ---------------------------------------- */

static struct outcache_job *
outcache_job_new(struct outcache *oc, enum outcache_kind kind,
    const struct outcache_phase *ph)
{
	struct outcache_job *j = xcalloc(1, sizeof(*j));

	j->oc = oc;
	j->kind = kind;
	snprintf(j->phase_key, sizeof(j->phase_key), "%s", ph->phase_key);
	j->phase = xstrdup(ph->phase);
	j->ws_dir = xstrdup(ph->ws_dir);
	j->root = xstrdup(ph->root);
	j->remote = ph->remote && !ph->check;
	j->check = ph->check;
	j->outputs = xcalloc(ph->n_outputs + 1, sizeof(*j->outputs));
	for (size_t i = 0; i < ph->n_outputs; i++)
		j->outputs[i] = xstrdup(ph->outputs[i]);
	j->n_outputs = ph->n_outputs;
	j->plat = xcalloc(ph->n_platform + 1, sizeof(*j->plat));
	for (size_t i = 0; i < ph->n_platform; i++)
		j->plat[i] = xstrdup(ph->platform_inputs[i]);
	j->n_plat = ph->n_platform;
	return j;
}

bool
outcache_action_key(struct outcache *oc, const struct outcache_phase *ph,
    char key[CACHEKEY_HEX_SIZE])
{
	char plat[CACHEKEY_HEX_SIZE];

	if (outcache_platform(oc, ph->root, (char *const *)ph->platform_inputs,
	    ph->n_platform, plat) != 1)
		return false;
	cachekey_action(ph->phase_key, plat, ph->outputs, ph->n_outputs, key);
	return true;
}

int
outcache_restore(struct outcache *oc, const struct outcache_phase *ph,
    outcache_done_cb cb, void *arg, struct outcache_job **out,
    struct gerr *err)
{
	struct outcache_job *j;

	*out = NULL;
	if (oc->store == NULL)
		return gerr_set(err, GERR_NOT_FOUND, "no output store");
	j = outcache_job_new(oc, OUTCACHE_JOB_RESTORE, ph);
	j->cb = cb;
	j->arg = arg;
	*out = j;
	outcache_submit(oc, j);
	return 0;
}

void
outcache_cancel(struct outcache_job *job)
{
	if (job != NULL)
		job->cancelled = true;
}

void
outcache_save(struct outcache *oc, const struct outcache_phase *ph)
{
	struct outcache_job *j;
	const struct fifo_link *l;
	bool dup = false;

	if (oc->store == NULL)
		return;
	/* A save of the same result still waiting covers this one. */
	pthread_mutex_lock(&oc->mu);
	for (l = oc->saveq.head; l != NULL && !dup; l = l->next) {
		j = FIFO_ENTRY(l, struct outcache_job, link);
		dup = strcmp(j->phase_key, ph->phase_key) == 0 &&
		    strcmp(j->ws_dir, ph->ws_dir) == 0;
	}
	pthread_mutex_unlock(&oc->mu);
	for (l = oc->waitq.head; l != NULL && !dup; l = l->next) {
		j = FIFO_ENTRY(l, struct outcache_job, link);
		dup = j->kind == OUTCACHE_JOB_SAVE &&
		    strcmp(j->phase_key, ph->phase_key) == 0 &&
		    strcmp(j->ws_dir, ph->ws_dir) == 0;
	}
	if (dup)
		return;
	outcache_submit(oc, outcache_job_new(oc, OUTCACHE_JOB_SAVE, ph));
}

enum outcache_intact
outcache_outputs_intact(struct outcache *oc, const char *ws_dir,
    const char *phase_key, const char **why)
{
	for (size_t i = 0; i < oc->n_sigs; i++) {
		const struct outcache_sig *s = &oc->sigs[i];

		if (strcmp(s->ws_dir, ws_dir) != 0 ||
		    strcmp(s->key, phase_key) != 0)
			continue;
		for (size_t k = 0; k < s->n; k++) {
			char *p = xasprintf("%s/%s", ws_dir, s->files[k].path);
			struct stat sb;
			bool same = lstat(p, &sb) == 0 && S_ISREG(sb.st_mode) &&
			    (uint64_t)sb.st_size == s->files[k].size &&
			    (uint64_t)sb.st_ino == s->files[k].ino &&
			    (int64_t)sb.st_mtim.tv_sec * 1000000000 +
			    sb.st_mtim.tv_nsec == s->files[k].mtime_ns;

			free(p);
			if (!same) {
				snprintf(oc->why, sizeof(oc->why), "%s",
				    s->files[k].path);
				if (why != NULL)
					*why = oc->why;
				return OUTCACHE_INTACT_NO;
			}
		}
		return OUTCACHE_INTACT_YES;
	}
	return OUTCACHE_INTACT_UNKNOWN;
}

cJSON *
outcache_status_json(struct outcache *oc)
{
	cJSON *o = cJSON_CreateObject(), *st;
	struct outstore_stats ss;

	st = cJSON_AddObjectToObject(o, "store");
	cJSON_AddBoolToObject(st, "enabled", oc->store != NULL);
	if (oc->store != NULL) {
		outstore_stats(oc->store, &ss);
		cJSON_AddStringToObject(st, "dir", outstore_dir(oc->store));
		cJSON_AddBoolToObject(st, "loaded", ss.loaded);
		cJSON_AddNumberToObject(st, "bytes", (double)ss.bytes);
		cJSON_AddNumberToObject(st, "max_bytes", (double)ss.max_bytes);
		cJSON_AddNumberToObject(st, "entries", (double)ss.entries);
		cJSON_AddNumberToObject(st, "blobs", (double)ss.blobs);
		cJSON_AddNumberToObject(st, "hits", (double)ss.hits);
		cJSON_AddNumberToObject(st, "misses", (double)ss.misses);
		cJSON_AddNumberToObject(st, "restores", (double)ss.restores);
		cJSON_AddNumberToObject(st, "restored_bytes",
		    (double)ss.restored_bytes);
		cJSON_AddNumberToObject(st, "saves", (double)ss.captures);
		cJSON_AddNumberToObject(st, "saved_bytes",
		    (double)ss.captured_bytes);
		cJSON_AddNumberToObject(st, "evictions", (double)ss.evictions);
		cJSON_AddNumberToObject(st, "errors", (double)ss.errors);
	}
	cJSON_AddItemToObject(o, "remote", remote_stats_json(oc->remote));
	pthread_mutex_lock(&oc->mu);
	cJSON_AddNumberToObject(o, "saves_queued", (double)oc->saveq.n);
	cJSON_AddNumberToObject(o, "restores_queued", (double)oc->fetchq.n);
	pthread_mutex_unlock(&oc->mu);
	cJSON_AddNumberToObject(o, "saves_done", (double)oc->saves_done);
	cJSON_AddNumberToObject(o, "saves_failed", (double)oc->saves_failed);
	cJSON_AddNumberToObject(o, "saves_dropped", (double)oc->saves_dropped);
	cJSON_AddNumberToObject(o, "restored_local",
	    (double)oc->restores_local);
	cJSON_AddNumberToObject(o, "restored_remote",
	    (double)oc->restores_remote);
	cJSON_AddNumberToObject(o, "restore_misses",
	    (double)oc->restore_misses);
	cJSON_AddNumberToObject(o, "checked_intact", (double)oc->checks_intact);
	if (oc->last_save_error[0] != '\0')
		cJSON_AddStringToObject(o, "last_save_error",
		    oc->last_save_error);
	else
		cJSON_AddNullToObject(o, "last_save_error");
	cJSON_AddStringToObject(o, "platform", oc->platform);
	cJSON_AddNumberToObject(o, "platform_input_runs",
	    (double)oc->platform_runs);
	cJSON_AddNumberToObject(o, "waiting_for_platform", (double)oc->waitq.n);
	cJSON_AddStringToObject(o, "os", oc->os);
	cJSON_AddStringToObject(o, "arch", oc->arch);
	return o;
}
