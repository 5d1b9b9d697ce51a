/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * wire_watch.h - the wire form (cJSON, protocol/PROTOCOL.md) of what
 * daemon/watch tells: a root's summary (`roots`, `watch`), its status
 * (`status`) and its events (files.changed, model.invalid, model.valid).
 *
 * Design: watch is a component that knows nothing of the protocol; it
 * exposes plain data (struct watch_root_info, typed struct watch_event)
 * and this edge module, used by the req_* handlers and by ggend's publish
 * callback, is the one place that turns it into JSON. Clock counters
 * travel as clock token strings (watch_root_clock). Loop thread only.
 */
#ifndef GGEN_WIRE_WATCH_H
#define GGEN_WIRE_WATCH_H

#include <cjson/cJSON.h>

#include "watch.h"

/* {"root","ready","gone","files","dirs","clock","model"}; the caller owns
 * the object. */
cJSON *wire_watch_summary(const struct watch_root *r);

/* Append one status object per root of w (NULL ok: none) to the array
 * roots. */
void wire_watch_status(struct watch *w, cJSON *roots);

/* The event line for ev ({"event":...,"data":...} and '\n', as
 * msg_event); the caller frees it. */
char *wire_watch_event(const struct watch_event *ev);

#endif
