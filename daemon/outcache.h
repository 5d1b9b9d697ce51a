/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * outcache.h - phase results shared through the local output store
 * (daemon/outstore.h) and a remote cache (daemon/remote.h), for the
 * lifecycle engine (doc/remote-cache.md).
 *
 * The engine asks two things, both asynchronous so the loop never copies
 * files or waits on the network:
 *   outcache_restore: a cached phase whose key matches no usable outputs
 *     on disk. The local store is tried, then the remote (when allowed);
 *     a hit restores the outputs atomically and the callback says
 *     OUTCACHE_LOCAL or OUTCACHE_REMOTE; anything else is OUTCACHE_MISS
 *     and the phase runs. A remote fault is a miss plus a counter.
 *   outcache_save: after a successful run, copy the outputs into the
 *     store and upload them, in the background through a bounded queue
 *     (a full queue drops the save, counted); a key already uploaded or
 *     queued is not uploaded twice.
 * The engine gives phase keys; results are filed under action keys
 * (phase key + platform part + outputs, common/cachekey_platform.h). The
 * platform part hashes OS, architecture and the output of the project's
 * `[cache] platform_inputs` commands, run in the root through
 * daemon/runner and remembered for OUTCACHE_PLATFORM_TTL_MS; a restore or
 * save waits (on the loop, not blocking it) until they are known.
 *
 * Threads: two workers (restores; saves and uploads), results handed
 * back through an ev_async. Everything public is loop-thread only.
 * Ownership: arguments are copied; a job handle is borrowed by the caller
 * until its callback runs or it is cancelled.
 */
#ifndef GGEN_OUTCACHE_H
#define GGEN_OUTCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>
#include <ev.h>

#include "cachekey.h"
#include "gerr.h"

/* Saves waiting at once; more are dropped (counted). */
#define OUTCACHE_QUEUE_MAX 64
/* Restores waiting at once; more are misses at once. */
#define OUTCACHE_FETCH_MAX 256
/* Output signatures remembered (to notice outputs changed on disk). */
#define OUTCACHE_SIGS_MAX 1024
/* How long a platform input's output is trusted before it is run again. */
#define OUTCACHE_PLATFORM_TTL_MS 60000
/* Platform input results remembered; (root, command) pairs. */
#define OUTCACHE_PLATFORM_MAX 64
/* A platform input command is killed after this long. */
#define OUTCACHE_PLATFORM_TIMEOUT_MS 30000

/* One cached phase in one workspace, as the engine knows it. Everything
 * is borrowed for the call (and copied). */
struct outcache_phase {
	const char *phase_key;		/* common/cachekey.h hex */
	const char *phase;		/* its name */
	const char *ws_dir;		/* absolute workspace directory */
	const char *const *outputs;	/* as make.toml lists them */
	size_t n_outputs;
	const char *root;		/* where platform inputs run */
	const char *const *platform_inputs;	/* commands; may be 0 */
	size_t n_platform;
	bool remote;			/* the remote may be asked / fed */
	bool check;			/* restore: outputs are in place but
					   unknown to this process: compare
					   them with the local store by
					   content first (OUTCACHE_INTACT);
					   never asks the remote */
};

struct outcache;
struct outcache_job;
struct ggend_config;

enum outcache_result {
	OUTCACHE_MISS = 0,
	OUTCACHE_LOCAL,		/* restored from the local store */
	OUTCACHE_REMOTE,	/* restored from the remote cache */
	OUTCACHE_INTACT,	/* check: the outputs on disk are right */
};

enum outcache_intact {
	OUTCACHE_INTACT_YES = 0,	/* as last written or checked */
	OUTCACHE_INTACT_NO,		/* changed since (stat) */
	OUTCACHE_INTACT_UNKNOWN,	/* not seen by this process */
};

/* "miss", "restored", "remote", "skipped". */
const char *outcache_result_name(enum outcache_result res);

/*
 * res and detail (a reason or a summary, borrowed for the call) of one
 * restore; bytes restored. Never called from inside outcache_restore.
 */
typedef void (*outcache_done_cb)(void *arg, enum outcache_result res,
    uint64_t bytes, const char *detail);

/* Store under state_dir, remote per cfg (cache.* rows). Never fails: a
 * store that cannot be made or bad remote settings are logged and shown
 * in status; results are then simply not shared. */
struct outcache *outcache_new(struct ev_loop *loop, const char *state_dir,
    const struct ggend_config *cfg);
/* Stop the workers (a transfer in progress ends at its timeout at the
 * latest): queued restores are dropped, queued saves still go to the
 * local store (not uploaded). NULL ok. */
void outcache_free(struct outcache *oc);
/* Apply changed cache.* settings (SIGHUP). */
void outcache_configure(struct outcache *oc, const struct ggend_config *cfg);

/* The action key of ph into key when its platform part is known (true);
 * false when a platform input still has to run (it is started). */
bool outcache_action_key(struct outcache *oc,
    const struct outcache_phase *ph, char key[CACHEKEY_HEX_SIZE]);

/*
 * Restore ph's outputs under its workspace (after its platform inputs are
 * known). cb runs once later on the loop unless the job is cancelled; a
 * full queue is a miss. GERR_NOT_FOUND (no store) without calling cb: the
 * caller runs the phase.
 */
int outcache_restore(struct outcache *oc, const struct outcache_phase *ph,
    outcache_done_cb cb, void *arg, struct outcache_job **out,
    struct gerr *err);
/* cb will not be called; the job is freed when its worker is done. */
void outcache_cancel(struct outcache_job *job);

/* Queue a save of the outputs of ph, which just succeeded. */
void outcache_save(struct outcache *oc, const struct outcache_phase *ph);

/*
 * Whether the outputs last saved, restored or checked for phase_key under
 * ws_dir are still as they were (lstat: size, mtime, inode): UNKNOWN when
 * this process has not seen them (after a restart: restored outputs are
 * not fsynced, so they are checked by content once, see `check`). On NO,
 * *why names the first changed path (borrowed until the next call).
 */
enum outcache_intact outcache_outputs_intact(struct outcache *oc,
    const char *ws_dir, const char *phase_key, const char **why);

/* {"store": {...}, "remote": {...}, "saves_queued", ...} (new object). */
cJSON *outcache_status_json(struct outcache *oc);

#endif
