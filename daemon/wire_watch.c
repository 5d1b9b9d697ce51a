/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * wire_watch.c - watch's data in its wire form (daemon/wire_watch.h).
 * Owns nothing beyond each call; loop thread only.
 */
#include "wire_watch.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "make.h"
#include "message.h"
#include "notifier.h"
#include "strbuf.h"

/* Error lines in a model.invalid event and in status. */
#define WIRE_WATCH_MODEL_ERRORS_MAX 16

static cJSON *
wire_watch_clock(const struct watch_root *r, uint64_t counter)
{
	char buf[CLOCK_TOKEN_MAX];

	return cJSON_CreateString(watch_root_clock(r, counter, buf));
}

/* The latest load's errors, GNU style, at most
 * WIRE_WATCH_MODEL_ERRORS_MAX. */
static cJSON *
wire_watch_model_errors(const struct make_findings *f)
{
	cJSON *list = cJSON_CreateArray();
	struct strbuf sb;

	strbuf_init(&sb);
	for (size_t i = 0; i < f->len && i < WIRE_WATCH_MODEL_ERRORS_MAX;
	    i++) {
		if (f->items[i].severity != MAKE_ERROR)
			continue;
		strbuf_reset(&sb);
		make_finding_format(&f->items[i], &sb);
		cJSON_AddItemToArray(list, cJSON_CreateString(sb.buf));
	}
	strbuf_release(&sb);
	return list;
}

/* {"ok","kept","parsed","state","error","errors"}: whether a good model
 * is held, how often make.toml was parsed, and the latest load's
 * errors. */
static cJSON *
wire_watch_model(const struct watch_root_info *in)
{
	static const char *const states[] = {
		[WATCH_MODEL_OK] = "ok",
		[WATCH_MODEL_INVALID] = "invalid",
		[WATCH_MODEL_ABSENT] = "absent",
	};
	cJSON *o = cJSON_CreateObject();
	const struct gerr *e = in->model_err;
	struct strbuf sb;

	cJSON_AddBoolToObject(o, "ok", in->model_ok);
	/* An older good model still held for runs under way. */
	cJSON_AddBoolToObject(o, "kept", in->model_kept);
	cJSON_AddNumberToObject(o, "parsed", (double)in->models_parsed);
	cJSON_AddStringToObject(o, "state", states[in->model_state]);
	if (in->model_state == WATCH_MODEL_OK) {
		cJSON_AddNullToObject(o, "error");
		return o;
	}
	strbuf_init(&sb);
	if (e->line > 0)
		strbuf_addf(&sb, "%s:%d:%d: ", e->file, e->line, e->col);
	strbuf_addstr(&sb, e->msg);
	cJSON_AddStringToObject(o, "error", sb.buf);
	cJSON_AddItemToObject(o, "errors",
	    wire_watch_model_errors(in->findings));
	strbuf_release(&sb);
	return o;
}

/* {"from","done","ms","walk_ms","rehashed","racy","gone"} or with "reason"
 * instead of racy/gone for a full crawl: how the root's table was built
 * at its start. */
static cJSON *
wire_watch_load(const struct watch_root_info *in)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "from", in->warm ? "snapshot" : "crawl");
	if (!in->warm)
		cJSON_AddStringToObject(o, "reason", in->load_msg);
	cJSON_AddBoolToObject(o, "done", in->load_done);
	cJSON_AddNumberToObject(o, "ms", (double)in->load_ms);
	cJSON_AddNumberToObject(o, "walk_ms", (double)in->load_walk_ms);
	cJSON_AddNumberToObject(o, "rehashed", (double)in->load_rehashed);
	if (in->warm) {
		cJSON_AddNumberToObject(o, "racy", (double)in->load_racy);
		cJSON_AddNumberToObject(o, "gone", (double)in->load_gone);
		cJSON_AddNumberToObject(o, "dirs_read",
		    (double)in->load_dirs_read);
		cJSON_AddNumberToObject(o, "dirs_from_snapshot",
		    (double)in->load_dirs_known);
	}
	return o;
}

cJSON *
wire_watch_summary(const struct watch_root *r)
{
	struct watch_root_info in;
	cJSON *o = cJSON_CreateObject();

	watch_root_info(r, &in);
	cJSON_AddStringToObject(o, "root", in.path);
	cJSON_AddBoolToObject(o, "ready", in.ready);
	cJSON_AddBoolToObject(o, "gone", in.gone);
	cJSON_AddNumberToObject(o, "files", (double)in.files);
	cJSON_AddNumberToObject(o, "dirs", (double)in.dirs);
	cJSON_AddItemToObject(o, "clock", wire_watch_clock(r, in.clock));
	cJSON_AddItemToObject(o, "model", wire_watch_model(&in));
	return o;
}

void
wire_watch_status(struct watch *w, cJSON *roots)
{
	struct watch_root_info in;
	struct watch_root *r = NULL;
	cJSON *o, *wo;

	while ((r = watch_root_next(w, r)) != NULL) {
		watch_root_info(r, &in);
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "root", in.path);
		cJSON_AddBoolToObject(o, "ready", in.ready);
		cJSON_AddBoolToObject(o, "gone", in.gone);
		cJSON_AddStringToObject(o, "fs", in.fs);
		cJSON_AddBoolToObject(o, "polled", in.polled);
		cJSON_AddNumberToObject(o, "files", (double)in.files);
		cJSON_AddNumberToObject(o, "dirs", (double)in.dirs);
		wo = cJSON_AddObjectToObject(o, "watches");
		cJSON_AddNumberToObject(wo, "root", (double)in.watched_dirs);
		cJSON_AddNumberToObject(wo, "used", (double)in.watches_used);
		cJSON_AddNumberToObject(wo, "limit", (double)in.watches_limit);
		if (in.watches_cap > 0)
			cJSON_AddNumberToObject(wo, "cap",
			    (double)in.watches_cap);
		cJSON_AddStringToObject(wo, "sysctl", NOTIFIER_SYSCTL);
		cJSON_AddStringToObject(wo, "message", in.watch_limit_msg);
		cJSON_AddNumberToObject(o, "polled_dirs",
		    (double)in.polled_dirs);
		cJSON_AddNumberToObject(o, "overflows", (double)in.overflows);
		cJSON_AddNumberToObject(o, "rescans", (double)in.rescans);
		cJSON_AddNumberToObject(o, "hash_pending",
		    (double)in.hash_pending);
		cJSON_AddNumberToObject(o, "hash_errors",
		    (double)in.hash_errors);
		cJSON_AddNumberToObject(o, "bytes_hashed",
		    (double)in.bytes_hashed);
		cJSON_AddNumberToObject(o, "window_ms", (double)in.window_ms);
		cJSON_AddNumberToObject(o, "window_min_ms",
		    (double)in.window_min_ms);
		cJSON_AddNumberToObject(o, "window_max_ms",
		    (double)in.window_max_ms);
		cJSON_AddNumberToObject(o, "batches", (double)in.batches);
		cJSON_AddNumberToObject(o, "last_settle_ms",
		    (double)in.last_settle_ms);
		cJSON_AddNumberToObject(o, "files_hashed",
		    (double)in.files_hashed);
		cJSON_AddItemToObject(o, "clock", wire_watch_clock(r,
		    in.clock));
		cJSON_AddItemToObject(o, "load", wire_watch_load(&in));
		cJSON_AddStringToObject(o, "snapshot", in.snapshot);
		cJSON_AddBoolToObject(o, "snapshot_saved", in.snapshot_saved);
		cJSON_AddItemToObject(o, "model", wire_watch_model(&in));
		cJSON_AddItemToArray(roots, o);
	}
}

/* files.changed: {"root","clock","reason","files":[{"path","kind"}]},
 * the user's changes only (the daemon's own writes are no news). */
static cJSON *
wire_watch_files_changed(const struct watch_batch *b)
{
	static const char *const kinds[] = {
		[WATCH_ADDED] = "added",
		[WATCH_MODIFIED] = "modified",
		[WATCH_REMOVED] = "removed",
	};
	cJSON *data = cJSON_CreateObject(), *files, *f;

	cJSON_AddStringToObject(data, "root", watch_root_path(b->root));
	cJSON_AddItemToObject(data, "clock", wire_watch_clock(b->root,
	    b->clock));
	cJSON_AddStringToObject(data, "reason", b->reason);
	files = cJSON_AddArrayToObject(data, "files");
	for (size_t i = 0; i < b->n; i++) {
		if (b->changes[i].writer != NULL)
			continue;	/* the daemon's own write */
		f = cJSON_CreateObject();
		cJSON_AddStringToObject(f, "path", b->changes[i].relpath);
		cJSON_AddStringToObject(f, "kind", kinds[b->changes[i].kind]);
		cJSON_AddItemToArray(files, f);
	}
	return data;
}

/* model.invalid: {"root","file","line","col","message","kept","errors"},
 * where make.toml failed, for an editor to jump to. */
static cJSON *
wire_watch_model_invalid(const struct watch_root *r)
{
	const struct gerr *e = watch_root_model_error(r);
	cJSON *data = cJSON_CreateObject();

	cJSON_AddStringToObject(data, "root", watch_root_path(r));
	cJSON_AddStringToObject(data, "file", e->file);
	cJSON_AddNumberToObject(data, "line", e->line);
	cJSON_AddNumberToObject(data, "col", e->col);
	cJSON_AddStringToObject(data, "message", e->msg);
	cJSON_AddBoolToObject(data, "kept", watch_root_model(r) != NULL);
	cJSON_AddItemToObject(data, "errors",
	    wire_watch_model_errors(watch_root_findings(r)));
	return data;
}

static bool
wire_watch_utf8(const char *s)
{
	size_t len = strlen(s);

	return msg_utf8_check(s, len) == len;
}

/*
 * The files.changed line of batch b, written straight into one buffer:
 * the same bytes msg_event prints (strbuf_add_json_str escapes as cJSON
 * does). Building a cJSON tree, normalizing, printing and copying it cost
 * half the user-space instructions of a save (callgrind, issue 15). A
 * name that is not UTF-8 takes the cJSON route, which adds the "_b64"
 * twin.
 */
static char *
wire_watch_files_changed_line(const struct watch_batch *b)
{
	static const char *const kinds[] = {
		[WATCH_ADDED] = "added",
		[WATCH_MODIFIED] = "modified",
		[WATCH_REMOVED] = "removed",
	};
	const char *root = watch_root_path(b->root);
	char clock[CLOCK_TOKEN_MAX];
	struct strbuf sb;
	bool first = true;
	size_t i;

	for (i = 0; i < b->n; i++)
		if (b->changes[i].writer == NULL &&
		    !wire_watch_utf8(b->changes[i].relpath))
			break;
	if (i < b->n || !wire_watch_utf8(root))
		return msg_event("files.changed", wire_watch_files_changed(b));
	watch_root_clock(b->root, b->clock, clock);
	strbuf_init(&sb);
	strbuf_grow(&sb, 256);
	strbuf_addstr(&sb, "{\"event\":\"files.changed\",\"data\":{\"root\":");
	strbuf_add_json_str(&sb, root, strlen(root));
	strbuf_addstr(&sb, ",\"clock\":");
	strbuf_add_json_str(&sb, clock, strlen(clock));
	strbuf_addstr(&sb, ",\"reason\":");
	strbuf_add_json_str(&sb, b->reason, strlen(b->reason));
	strbuf_addstr(&sb, ",\"files\":[");
	for (i = 0; i < b->n; i++) {
		if (b->changes[i].writer != NULL)
			continue;	/* the daemon's own write */
		strbuf_addstr(&sb, first ? "{\"path\":" : ",{\"path\":");
		first = false;
		strbuf_add_json_str(&sb, b->changes[i].relpath,
		    strlen(b->changes[i].relpath));
		strbuf_addstr(&sb, ",\"kind\":\"");
		strbuf_addstr(&sb, kinds[b->changes[i].kind]);
		strbuf_addstr(&sb, "\"}");
	}
	strbuf_addstr(&sb, "]}}\n");
	return strbuf_detach(&sb, NULL);
}

char *
wire_watch_event(const struct watch_event *ev)
{
	cJSON *data;

	switch (ev->kind) {
	case WATCH_EVENT_FILES_CHANGED:
		return wire_watch_files_changed_line(ev->batch);
	case WATCH_EVENT_MODEL_INVALID:
		return msg_event("model.invalid",
		    wire_watch_model_invalid(ev->root));
	case WATCH_EVENT_MODEL_VALID:
		break;
	}
	data = cJSON_CreateObject();
	cJSON_AddStringToObject(data, "root", watch_root_path(ev->root));
	return msg_event("model.valid", data);
}
