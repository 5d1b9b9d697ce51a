/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * req_run.h - streaming a run to a deferred request, shared by `run`
 * (daemon/req_run.c) and `logs --follow` (daemon/req_logs.c).
 */
#ifndef GGEN_REQ_RUN_H
#define GGEN_REQ_RUN_H

#include <stdint.h>

#include "engine.h"
#include "gerr.h"
#include "req.h"

/*
 * Defer req and follow run id: its output so far and then live events go
 * out as progress messages (wire_run_progress), the run's summary is the
 * reply when it ends (at once for a finished run). A client that goes away
 * stops following. GERR_RUN_NOT_FOUND is answered on req itself; returns
 * 0 in every case (the request is answered or deferred). Loop thread.
 */
int req_run_follow(struct req *req, struct engine *engine, uint64_t id);

/* Run id's object (daemon/wire_run.h wire_run; transferred), or NULL
 * when the engine does not know it. */
cJSON *req_run_object(struct engine *engine, uint64_t id);

#endif
