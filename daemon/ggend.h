/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ggend.h - struct ggend, the daemon's whole state, passed to every handler.
 *
 * There is exactly one per process, created by main() and never global: code
 * that needs the loop, the configuration or the counters gets it through a
 * pointer (req->g, server->g). Loop thread only.
 */
#ifndef GGEN_GGEND_H
#define GGEN_GGEND_H

#include <stdbool.h>
#include <stdint.h>

#include <ev.h>

#include "config.h"
#include "gerr.h"
#include "sockpath.h"

struct server;
struct engine;
struct watch;
struct tplcache;
struct histlink;
struct outcache;
struct req_entry;
struct req_dev_hub;

struct ggend {
	struct ev_loop *loop;		/* the libev default loop */
	struct ggend_config cfg;	/* the live configuration */
	char *const *overrides;		/* "key=value" from argv, borrowed */
	int n_overrides;
	struct server *server;
	struct engine *engine;		/* lifecycle runs (daemon/engine.h) */
	struct watch *watch;		/* watched roots (daemon/watch.h) */
	struct tplcache *tplcache;	/* compiled templates; made by the
					   first generate_start */
	struct histlink *histlink;	/* run history (daemon/histlink.h) */
	struct outcache *outcache;	/* shared phase results
					   (daemon/outcache.h) */
	struct req_dev_hub *devhub;	/* `dev` clients (daemon/req_dev.c);
					   NULL until the first */
	char history_path[SOCKPATH_PATH_MAX];
	const struct req_entry *const *handlers;	/* req_table, or a test's */
	size_t n_handlers;
	char socket_path[SOCKPATH_PATH_MAX];	/* the path clients use */
	char state_dir[SOCKPATH_PATH_MAX];
	int pidfile_fd;			/* flock'ed; -1 if none */
	char pidfile_path[SOCKPATH_PATH_MAX + 8];
	bool socket_adopted;		/* from LISTEN_FDS: systemd owns the path */
	uint64_t start_ms;		/* CLOCK_MONOTONIC at start */
	uint64_t requests;		/* request lines dispatched */
	uint64_t errors[GERR_CODE_COUNT];	/* error replies per code */
	uint64_t reloads;
	char *config_path;		/* owned; settings file, NULL if none */
	bool config_explicit;		/* named by --config: must exist */
	struct config_report config_report;	/* the last load's findings */
	uint64_t config_loads;		/* load attempts, good or bad */
	bool stopping;			/* the loop ends after this turn's writes */
	ev_signal sig_term, sig_int, sig_hup;
};

/*
 * Fill g with defaults and argv overrides (borrowed for the process's life)
 * and build the configuration. Returns 0 or the first bad override's error
 * (GERR_INVALID / GERR_NOT_FOUND), with the key named.
 */
int ggend_init(struct ggend *g, struct ev_loop *loop, char *const *overrides,
    int n_overrides, struct gerr *err);

/*
 * Check the socket directory, take the pidfile lock, find or bind the
 * socket (LISTEN_FDS first), install signal watchers and start serving.
 * Then writes "READY\n" on ready_fd (if >= 0, closed afterwards) and sends
 * READY=1 to $NOTIFY_SOCKET. GERR_ALREADY_RUNNING when another daemon
 * answers or holds the pidfile; GERR_PERMISSION / GERR_IO otherwise.
 */
int ggend_start(struct ggend *g, int ready_fd, struct gerr *err);

/* Ask the loop to stop after the current turn's replies are written. */
void ggend_stop(struct ggend *g, const char *why);

/*
 * Use the settings file path (borrowed; copied), or when NULL the default
 * (config_default_path(), where a missing file is not an error), and load
 * it: defaults, then the file, then argv overrides. Call after ggend_init,
 * before ggend_start. A file with errors is reported (log, `status`) and
 * not applied: defaults and overrides stay in force. Never fails.
 */
void ggend_config_file(struct ggend *g, const char *path);

/* Re-derive the configuration (SIGHUP): defaults, the settings file (if
 * any), argv overrides. Keys flagged CFG_RESTART keep their old value with
 * a warning. An invalid result never replaces the old one; its findings go
 * to the log and `status`. */
void ggend_reload(struct ggend *g);

/* Stop watchers, close clients, remove the socket (unless adopted) and the
 * pidfile, free everything. */
void ggend_release(struct ggend *g);

#endif
