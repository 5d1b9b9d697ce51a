/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ggend.c - the daemon's lifecycle: configuration, startup checks, signals,
 * readiness, stop and release.
 *
 * Owns struct ggend's members: the configuration, the server, the pidfile
 * fd and the signal watchers. Called by daemon/main.c (init, start, run,
 * release) and by handlers (ggend_stop). Loop thread only.
 * Startup order matters: directory check, pidfile lock, then probe/bind,
 * so two daemons racing for one socket cannot both replace it; readiness
 * (pipe and NOTIFY_SOCKET) is reported only once accept() would succeed.
 */
#include "ggend.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "engine.h"
#include "histlink.h"
#include "log.h"
#include "message.h"
#include "outcache.h"
#include "path.h"
#include "pidfile.h"
#include "ready.h"
#include "req.h"
#include "req_dev.h"
#include "req_entries.h"
#include "server.h"
#include "systemd.h"
#include "tplcache.h"
#include "watch.h"
#include "wire_watch.h"
#include "xmalloc.h"

/* Defaults, the settings file (when path is not NULL), then overrides,
 * into cfg (initialised here; released on error). Findings go to rep. */
static int
ggend_build_config(struct ggend_config *cfg, const char *path, bool explicit,
    struct config_report *rep, char *const *overrides, int n,
    struct gerr *err)
{
	bool missing = false;
	int i, rc;

	config_init(cfg);
	if (path != NULL) {
		rc = config_load_file(cfg, path, &missing, rep, err);
		if (rc != 0 && missing && !explicit) {
			/* No settings file is the usual case, not a finding. */
			config_report_release(rep);
			rep->path = xstrdup(path);
			gerr_clear(err);
		} else if (rc != 0) {
			config_release(cfg);
			return rc;
		}
	}
	for (i = 0; i < n; i++) {
		rc = config_set_assignment(cfg, overrides[i], err);
		if (rc != 0) {
			config_release(cfg);
			return rc;
		}
	}
	return 0;
}

int
ggend_init(struct ggend *g, struct ev_loop *loop, char *const *overrides,
    int n_overrides, struct gerr *err)
{
	int rc;

	memset(g, 0, sizeof(*g));
	g->loop = loop;
	g->overrides = overrides;
	g->n_overrides = n_overrides;
	g->pidfile_fd = -1;
	g->handlers = req_table;
	g->n_handlers = req_table_len;
	g->start_ms = clock_mono_ms();
	config_report_init(&g->config_report);
	rc = ggend_build_config(&g->cfg, NULL, false, &g->config_report,
	    overrides, n_overrides, err);
	if (rc != 0) {
		config_init(&g->cfg);	/* so release stays uniform */
		return rc;
	}
	log_set_level((enum log_level)g->cfg.log_level);
	return 0;
}

/* Build a new configuration; swap it in only when it had no error. */
static int
ggend_configure(struct ggend *g, bool reload)
{
	struct ggend_config cfg;
	struct config_report rep;
	struct gerr err;
	size_t i;
	int rc;

	gerr_clear(&err);
	config_report_init(&rep);
	rc = ggend_build_config(&cfg, g->config_path, g->config_explicit,
	    &rep, g->overrides, g->n_overrides, &err);
	for (i = 0; rc == 0 && i < g->n_live_sets; i++)
		if (config_set_assignment(&cfg, g->live_sets[i], &err) != 0) {
			/* Checked when set; a row cannot have changed since. */
			log_error("config: %s", err.msg);
			gerr_clear(&err);
		}
	if (rc == 0 && reload)
		config_keep_restart(&cfg, &g->cfg, &rep);
	for (i = 0; i < rep.len; i++) {
		if (strstr(rep.lines[i], ": error: ") != NULL)
			log_error("config: %s", rep.lines[i]);
		else
			log_warn("config: %s", rep.lines[i]);
	}
	if (rep.len == 0 && rc != 0) /* a bad override: no file finding */
		log_error("config: %s", err.msg);
	config_report_release(&g->config_report);
	g->config_report = rep;
	g->config_loads++;
	if (rc != 0) {
		log_error("config: %s has %zu error%s; keeping the %s "
		    "configuration", g->config_path != NULL ? g->config_path :
		    "--set", rep.errors, rep.errors == 1 ? "" : "s",
		    reload ? "current" : "default");
		return rc;
	}
	config_release(&g->cfg);
	g->cfg = cfg;
	log_set_level((enum log_level)g->cfg.log_level);
	return 0;
}

/* path made absolute: SIGHUP must find the file wherever we are then. */
static char *
ggend_absolute(const char *path)
{
	char *cwd, *joined, *norm;

	if (path[0] == '/' || (cwd = getcwd(NULL, 0)) == NULL)
		return xstrdup(path);
	joined = path_join(cwd, path);
	norm = path_normalize(joined);
	free(joined);
	free(cwd);
	return norm;
}

void
ggend_config_file(struct ggend *g, const char *path)
{
	free(g->config_path);
	g->config_explicit = path != NULL;
	g->config_path = path != NULL ? ggend_absolute(path) :
	    config_default_path();
	if (ggend_configure(g, false) == 0 && g->config_path != NULL)
		log_info("config: %s %s", g->config_report.loaded ? "loaded" :
		    "no settings file at", g->config_path);
}

/* The watch.* settings, for watch_new and watch_reload. */
static void
ggend_watch_settings(const struct ggend *g, struct watch_settings *s)
{
	memset(s, 0, sizeof(*s));
	s->debounce_min_ms = g->cfg.watch_debounce_min_ms;
	s->debounce_max_ms = g->cfg.watch_debounce_max_ms;
	s->poll_ms = g->cfg.watch_poll_ms;
	s->snapshot_idle_ms = g->cfg.watch_snapshot_idle_ms;
	s->max_watches = g->cfg.watch_max_watches;
	s->hash_threads = (unsigned)g->cfg.watch_hash_threads;
	s->walk_threads = (unsigned)g->cfg.watch_walk_threads;
}

int
ggend_reload(struct ggend *g)
{
	struct watch_settings ws;
	int rc = ggend_configure(g, true);

	if (rc != 0)
		return rc;
	g->reloads++;
	ggend_watch_settings(g, &ws);
	watch_reload(g->watch, &ws);
	if (g->outcache != NULL)
		outcache_configure(g->outcache, &g->cfg);
	log_info("configuration reloaded");
	return 0;
}

int
ggend_config_set(struct ggend *g, const char *key, const char *value,
    struct gerr *err)
{
	const struct config_def *def = config_find(key);
	struct ggend_config probe;
	size_t i;
	int rc;

	if (def == NULL)
		return gerr_set(err, GERR_NOT_FOUND, "unknown config key "
		    "\"%.64s\"", key);
	if (def->flags & CFG_RESTART)
		return gerr_set(err, GERR_INVALID, "%s changes only on restart: "
		    "set it in the settings file, then `ggenc restart`",
		    def->key);
	config_copy(&probe, &g->cfg);
	rc = config_set(&probe, key, value, err);
	config_release(&probe);
	if (rc != 0)
		return rc;
	for (i = 0; i < g->n_live_sets; i++)
		if (strncmp(g->live_sets[i], def->key, strlen(def->key)) == 0 &&
		    g->live_sets[i][strlen(def->key)] == '=')
			break;
	if (i == g->n_live_sets)
		g->live_sets = xreallocarray(g->live_sets, ++g->n_live_sets,
		    sizeof(*g->live_sets));
	else
		free(g->live_sets[i]);
	g->live_sets[i] = xasprintf("%s=%s", def->key, value);
	log_info("config: %s set to \"%s\"", def->key,
	    def->flags & CFG_SECRET ? "(secret)" : value);
	if ((rc = ggend_reload(g)) != 0)
		return gerr_set(err, rc, "%s was set, but reloading the settings "
		    "file failed; see `ggenc status`", def->key);
	return 0;
}

static void
ggend_signal_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct ggend *g = w->data;

	(void)loop;
	(void)revents;
	if (w->signum == SIGHUP)
		ggend_reload(g);
	else
		ggend_stop(g, w->signum == SIGTERM ? "SIGTERM" : "SIGINT");
}

static void
ggend_signals(struct ggend *g)
{
	ev_signal_init(&g->sig_term, ggend_signal_cb, SIGTERM);
	ev_signal_init(&g->sig_int, ggend_signal_cb, SIGINT);
	ev_signal_init(&g->sig_hup, ggend_signal_cb, SIGHUP);
	g->sig_term.data = g->sig_int.data = g->sig_hup.data = g;
	ev_signal_start(g->loop, &g->sig_term);
	ev_signal_start(g->loop, &g->sig_int);
	ev_signal_start(g->loop, &g->sig_hup);
}

static int
ggend_paths(struct ggend *g, struct gerr *err)
{
	int rc;

	if (g->cfg.socket_path[0] != '\0')
		snprintf(g->socket_path, sizeof(g->socket_path), "%s",
		    g->cfg.socket_path);
	else if ((rc = sockpath_default(g->socket_path,
	    sizeof(g->socket_path), err)) != 0)
		return rc;
	if (g->cfg.state_dir[0] != '\0')
		snprintf(g->state_dir, sizeof(g->state_dir), "%s",
		    g->cfg.state_dir);
	else if ((rc = sockpath_state_dir(g->state_dir, sizeof(g->state_dir),
	    err)) != 0)
		return rc;
	if (g->cfg.history_path[0] != '\0')
		rc = snprintf(g->history_path, sizeof(g->history_path), "%s",
		    g->cfg.history_path);
	else
		rc = snprintf(g->history_path, sizeof(g->history_path),
		    "%s/history.db", g->state_dir);
	if (rc < 0 || (size_t)rc >= sizeof(g->history_path))
		return gerr_set(err, GERR_INVALID, "history path too long: "
		    "%.64s...", g->history_path);
	return sockpath_mkdirs(g->state_dir, 0700, err);
}

/* Socket activation: serve on the inherited fd, report its path. */
static int
ggend_adopt(struct ggend *g, int fd, struct gerr *err)
{
	struct sockaddr_un sa;
	socklen_t len = sizeof(sa);
	int rc;

	memset(&sa, 0, sizeof(sa));
	if (getsockname(fd, (struct sockaddr *)&sa, &len) == 0 &&
	    sa.sun_path[0] != '\0')
		snprintf(g->socket_path, sizeof(g->socket_path), "%.*s",
		    (int)sizeof(sa.sun_path), sa.sun_path);
	rc = server_adopt(g->server, fd, err);
	if (rc == 0)
		g->socket_adopted = true;
	return rc;
}

/* watch's events, in their wire form, to the subscribers. */
static void
ggend_watch_publish(void *arg, const struct watch_event *ev)
{
	struct ggend *g = arg;
	char *line;

	if (g->server == NULL)
		return;
	line = wire_watch_event(ev);
	server_publish(g->server, line);
	free(line);
}

int
ggend_start(struct ggend *g, int ready_fd, struct gerr *err)
{
	struct watch_deps wdeps = { 0 };
	struct gerr nerr;
	int fd = -1, rc;

	rc = ggend_paths(g, err);
	if (rc == 0)
		rc = systemd_listen_fd(&fd, err);
	if (rc != 0)
		return rc;
	g->server = server_new(g);
	if (fd >= 0) {
		rc = ggend_adopt(g, fd, err);
	} else {
		rc = sockpath_check_dir(g->socket_path, true, err);
		if (rc == 0) {
			snprintf(g->pidfile_path, sizeof(g->pidfile_path),
			    "%s.pid", g->socket_path);
			rc = pidfile_acquire(g->pidfile_path, &g->pidfile_fd,
			    err);
		}
		if (rc == 0)
			rc = server_listen(g->server, g->socket_path, err);
	}
	if (rc != 0)
		return rc;
	ggend_watch_settings(g, &wdeps.settings);
	wdeps.loop = g->loop;
	wdeps.state_dir = g->state_dir;
	wdeps.publish = ggend_watch_publish;
	wdeps.publish_arg = g;
	g->watch = watch_new(&wdeps, err);
	if (g->watch == NULL)
		return err != NULL && err->code != 0 ? err->code : GERR_IO;
	watch_restore(g->watch);
	g->engine = engine_new(g->loop, g->state_dir);
	engine_set_publish(g->engine, req_events_engine, g);
	engine_set_render_context(g->engine, g);
	g->outcache = outcache_new(g->loop, g->state_dir, &g->cfg);
	engine_set_outcache(g->engine, g->outcache);
	engine_set_output_caps(g->engine, (size_t)g->cfg.history_output_tail,
	    (size_t)g->cfg.history_span_output_tail);
	engine_set_queue_max(g->engine, (size_t)g->cfg.runs_queue_max);
	rc = histlink_open(g->loop, g->history_path,
	    (unsigned)g->cfg.history_keep, (size_t)g->cfg.history_output_tail,
	    (size_t)g->cfg.history_span_output_tail, &g->histlink, err);
	if (rc != 0)
		return rc;
	histlink_set_publish(g->histlink, req_events_slow, g);
	engine_set_first_run_id(g->engine, histlink_next_run_id(g->histlink));
	engine_set_done_source(g->engine, histlink_first_run_done,
	    g->histlink);
	rc = engine_add_run_listener(g->engine, histlink_on_event,
	    g->histlink, err);
	if (rc != 0)
		return rc;
	ggend_signals(g);
	log_info("ggend listening on %s (pid %ld)%s", g->socket_path,
	    (long)getpid(), g->socket_adopted ? " [socket activated]" : "");
	if (ready_fd >= 0) {
		if (write(ready_fd, READY_LINE, strlen(READY_LINE)) !=
		    (ssize_t)strlen(READY_LINE))
			log_warn("readiness pipe: %s", strerror(errno));
		close(ready_fd);
	}
	/* After watch_new: the engine takes the batches and hashes. */
	engine_watch_attach(g);
	gerr_clear(&nerr);
	if (systemd_notify("READY=1", &nerr) != 0)
		log_warn("%s", nerr.msg);
	return 0;
}

void
ggend_stop(struct ggend *g, const char *why)
{
	if (g->stopping)
		return;
	g->stopping = true;
	log_info("stopping: %s", why);
	systemd_notify("STOPPING=1", NULL);
	/* A clean stop ends runs as "cancelled" now, with their final reply
	 * to the clients following them and their history row, all written
	 * before the loop's last turn; no new run starts. */
	if (g->engine != NULL) {
		size_t n = engine_cancel_where(g->engine, NULL,
		    "daemon stopping", true);

		if (n > 0)
			log_info("stopping: cancelled %zu run%s", n,
			    n == 1 ? "" : "s");
	}
	watch_answer_waiters(g->watch);
	/* Subscribers learn this is a clean stop, not a crash: the line is
	 * flushed by the server's last prepare turn before the loop ends. */
	if (g->server != NULL) {
		cJSON *data = cJSON_CreateObject();
		char *line;

		cJSON_AddStringToObject(data, "reason", why);
		line = msg_event("daemon.stopping", data);
		server_publish(g->server, line);
		free(line);
	}
}

void
ggend_release(struct ggend *g)
{
	/* Roots first: settling a batch publishes through the server. No
	 * batch may start runs any more: the engine is going away. */
	if (g->watch != NULL)
		watch_set_batch_listener(g->watch, NULL, NULL);
	watch_free(g->watch);
	g->watch = NULL;
	/* Then the server: cancelled requests unfollow their runs. */
	server_free(g->server);
	g->server = NULL;
	engine_free(g->engine);
	g->engine = NULL;
	/* After the engine: it cancelled its restores. */
	outcache_free(g->outcache);
	g->outcache = NULL;
	/* After the engine: freeing it may still report run ends. */
	histlink_free(g->histlink);
	g->histlink = NULL;
	/* After the engine: its run listener reads the hub. */
	req_dev_hub_free(g);
	if (g->loop != NULL) {
		ev_signal_stop(g->loop, &g->sig_term);
		ev_signal_stop(g->loop, &g->sig_int);
		ev_signal_stop(g->loop, &g->sig_hup);
	}
	pidfile_release(g->pidfile_path, g->pidfile_fd);
	g->pidfile_fd = -1;
	tplcache_free(g->tplcache);
	g->tplcache = NULL;
	config_release(&g->cfg);
	config_report_release(&g->config_report);
	free(g->config_path);
	g->config_path = NULL;
	for (size_t k = 0; k < g->n_live_sets; k++)
		free(g->live_sets[k]);
	free(g->live_sets);
	g->live_sets = NULL;
	g->n_live_sets = 0;
}
