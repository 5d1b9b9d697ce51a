/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * wire_run.c - engine and history structs to the protocol's JSON
 * (wire_run.h). Member order is the protocol's as it always was: clients
 * and tests read the same bytes as before the engine lost its JSON.
 */
#include "wire_run.h"

#include <stdlib.h>
#include <string.h>

#include "message.h"
#include "strbuf.h"

/* The members every run mention starts with ({"run",...}). */
static void
wire_run_brief_fill(cJSON *o, uint64_t id, const char *root,
    const char *const *phases, size_t n_phases, const char *workspace,
    enum engine_trigger trigger)
{
	cJSON *ph;

	cJSON_AddNumberToObject(o, "run", (double)id);
	cJSON_AddStringToObject(o, "root", root != NULL ? root : "");
	ph = cJSON_AddArrayToObject(o, "phases");
	for (size_t i = 0; i < n_phases; i++)
		cJSON_AddItemToArray(ph, cJSON_CreateString(phases[i]));
	cJSON_AddStringToObject(o, "workspace", workspace != NULL ?
	    workspace : "");
	cJSON_AddStringToObject(o, "trigger", engine_trigger_name(trigger));
}

static cJSON *
wire_run_brief(const struct engine_run_info *r)
{
	cJSON *o = cJSON_CreateObject();

	wire_run_brief_fill(o, r->id, r->root, r->phases, r->n_phases,
	    r->workspace, r->trigger);
	return o;
}

static cJSON *
wire_run_event_brief(const struct engine_event *ev)
{
	cJSON *o = cJSON_CreateObject();

	wire_run_brief_fill(o, ev->run_id, ev->root, ev->phases, ev->n_phases,
	    ev->workspace, ev->trigger);
	return o;
}

cJSON *
wire_run_object(const struct engine_run_info *r)
{
	cJSON *o = cJSON_CreateObject(), *ph;

	/* A run object: the same names as history's (PROTOCOL.md "Field
	 * conventions"): its own id is "id"; events and progress refer to
	 * it as "run". */
	cJSON_AddNumberToObject(o, "id", (double)r->id);
	cJSON_AddStringToObject(o, "root", r->root != NULL ? r->root : "");
	ph = cJSON_AddArrayToObject(o, "phases");
	for (size_t i = 0; i < r->n_phases; i++)
		cJSON_AddItemToArray(ph, cJSON_CreateString(r->phases[i]));
	cJSON_AddStringToObject(o, "phase", r->phase != NULL ? r->phase : "");
	cJSON_AddStringToObject(o, "workspace", r->workspace != NULL ?
	    r->workspace : "");
	cJSON_AddStringToObject(o, "trigger", engine_trigger_name(r->trigger));
	cJSON_AddStringToObject(o, "status", engine_status_name(r->status));
	cJSON_AddNumberToObject(o, "start_us", (double)r->start_us);
	msg_add_ms(o, "duration_ms", (double)r->dur_us / 1000.0);
	cJSON_AddNumberToObject(o, "steps", (double)r->steps);
	cJSON_AddNumberToObject(o, "steps_done", (double)r->steps_done);
	cJSON_AddNumberToObject(o, "steps_cached", (double)r->steps_cached);
	if (r->n_skipped > 0) {
		cJSON *a = cJSON_AddArrayToObject(o, "skipped");

		for (size_t i = 0; i < r->n_skipped; i++)
			cJSON_AddItemToArray(a, cJSON_CreateString(
			    r->skipped[i]));
	}
	msg_add_exit_code(o, "exit_code", r->exit_code);
	msg_add_signal(o, "signal", r->signal);
	if (r->message != NULL)
		cJSON_AddStringToObject(o, "message", r->message);
	return o;
}

cJSON *
wire_run_overview(const struct engine_overview *st)
{
	cJSON *o = cJSON_CreateObject(), *a;

	cJSON_AddNumberToObject(o, "running", (double)st->running);
	cJSON_AddNumberToObject(o, "queued", (double)st->queued);
	cJSON_AddNumberToObject(o, "finished", (double)st->finished);
	cJSON_AddNumberToObject(o, "next_id", (double)st->next_id);
	cJSON_AddNumberToObject(o, "models_loaded", (double)st->models_loaded);
	if (st->has_last)
		cJSON_AddItemToObject(o, "last", wire_run_object(&st->last));
	a = cJSON_AddArrayToObject(o, "active");
	for (size_t i = 0; i < st->n_active; i++) {
		cJSON *b = wire_run_brief(&st->active[i]);

		cJSON_AddStringToObject(b, "status",
		    engine_status_name(st->active[i].status));
		cJSON_AddItemToArray(a, b);
	}
	a = cJSON_AddArrayToObject(o, "failed");
	for (size_t i = 0; i < st->n_failed; i++)
		cJSON_AddItemToArray(a, wire_run_brief(&st->failed[i]));
	a = cJSON_AddArrayToObject(o, "environments");
	for (size_t i = 0; i < st->n_envs; i++) {
		const struct engine_root_env *e = &st->envs[i];
		cJSON *x = cJSON_CreateObject();

		cJSON_AddStringToObject(x, "root", e->root);
		if (e->env != NULL) {
			cJSON_AddStringToObject(x, "env", e->env);
			if (e->source != NULL)
				cJSON_AddStringToObject(x, "source",
				    e->source);
		} else {
			cJSON_AddNullToObject(x, "env");
		}
		cJSON_AddItemToArray(a, x);
	}
	a = cJSON_AddArrayToObject(o, "loops_stopped");
	for (size_t i = 0; i < st->n_loops; i++) {
		cJSON *x = cJSON_CreateObject();

		cJSON_AddStringToObject(x, "root", st->loops[i].root);
		cJSON_AddStringToObject(x, "workspace",
		    st->loops[i].workspace);
		cJSON_AddStringToObject(x, "phase", st->loops[i].phase);
		cJSON_AddItemToArray(a, x);
	}
	return o;
}

/* bytes as a JSON string: invalid UTF-8 and NUL become U+FFFD. */
static cJSON *
wire_run_text(const char *bytes, size_t len)
{
	struct strbuf sb;
	cJSON *s;

	strbuf_init(&sb);
	while (len > 0) {
		size_t ok = msg_utf8_check(bytes, len);
		const char *nul = memchr(bytes, '\0', ok);

		if (nul != NULL)
			ok = (size_t)(nul - bytes);
		strbuf_add(&sb, bytes, ok);
		bytes += ok;
		len -= ok;
		if (len > 0) {
			strbuf_addstr(&sb, "\xef\xbf\xbd");
			bytes++;
			len--;
		}
	}
	s = cJSON_CreateString(sb.buf);
	strbuf_release(&sb);
	return s;
}

cJSON *
wire_run_progress(const struct engine_event *ev)
{
	const struct engine_span *sp = ev->span;
	cJSON *o;

	switch (ev->kind) {
	case ENGINE_EV_RUN_START:
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "type", "started");
		break;
	case ENGINE_EV_SPAN_START:
	case ENGINE_EV_SPAN_END:
		if (sp == NULL || sp->kind == ENGINE_SPAN_COMMAND ||
		    sp->kind == ENGINE_SPAN_RENDER)
			return NULL;
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "type", ev->kind ==
		    ENGINE_EV_SPAN_START ? "phase.started" : "phase.finished");
		cJSON_AddStringToObject(o, "phase", sp->name);
		cJSON_AddStringToObject(o, "workspace", sp->workspace);
		cJSON_AddBoolToObject(o, "hook", sp->kind == ENGINE_SPAN_HOOK);
		if (ev->kind == ENGINE_EV_SPAN_END) {
			cJSON_AddStringToObject(o, "status",
			    engine_status_name(sp->status));
			cJSON_AddNumberToObject(o, "duration_ms",
			    (double)(sp->dur_us / 1000));
			if (sp->cache != NULL)
				cJSON_AddStringToObject(o, "cache", sp->cache);
		}
		break;
	case ENGINE_EV_OUTPUT:
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "type", "output");
		cJSON_AddNumberToObject(o, "stream", ev->stream);
		if (sp != NULL && sp->workspace[0] != '\0')
			cJSON_AddStringToObject(o, "workspace", sp->workspace);
		cJSON_AddItemToObject(o, "data", wire_run_text(ev->output != NULL ?
		    ev->output : "", ev->output != NULL ? ev->output_len : 0));
		break;
	case ENGINE_EV_RUN_END:
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "type", "finished");
		cJSON_AddStringToObject(o, "status",
		    engine_status_name(ev->status));
		if (ev->message != NULL)
			cJSON_AddStringToObject(o, "message", ev->message);
		break;
	default:
		return NULL;
	}
	cJSON_AddNumberToObject(o, "run", (double)ev->run_id);
	return o;
}

/* The fields every phase event starts with: run, phase, workspace. */
static cJSON *
wire_run_span_head(const struct engine_event *ev,
    const struct engine_span *sp)
{
	cJSON *d = cJSON_CreateObject();

	cJSON_AddNumberToObject(d, "run", (double)ev->run_id);
	cJSON_AddStringToObject(d, "phase", sp->name);
	cJSON_AddStringToObject(d, "workspace", sp->workspace);
	return d;
}

char *
wire_run_event_line(const struct engine_event *ev)
{
	const struct engine_span *sp = ev->span;
	const char *name;
	cJSON *d;

	switch (ev->kind) {
	case ENGINE_EV_RUN_QUEUED:
		name = "run.queued";
		d = wire_run_event_brief(ev);
		break;
	case ENGINE_EV_RUN_START:
		name = "run.started";
		d = wire_run_event_brief(ev);
		break;
	case ENGINE_EV_SPAN_START:
		if (sp == NULL)
			return NULL;
		name = "phase.started";
		d = wire_run_span_head(ev, sp);
		if (ev->hook != NULL)
			cJSON_AddStringToObject(d, "hook", ev->hook);
		break;
	case ENGINE_EV_SPAN_END:
		if (sp == NULL)
			return NULL;
		name = "phase.finished";
		d = wire_run_span_head(ev, sp);
		cJSON_AddStringToObject(d, "status",
		    engine_status_name(sp->status));
		if (ev->cache != NULL)
			cJSON_AddStringToObject(d, "cache", ev->cache);
		msg_add_ms(d, "duration_ms", (double)ev->dur_us / 1000.0);
		cJSON_AddBoolToObject(d, "slow", sp->slow);
		break;
	case ENGINE_EV_PHASE_SKIPPED:
		if (sp == NULL)
			return NULL;
		name = "phase.finished";
		d = wire_run_span_head(ev, sp);
		cJSON_AddStringToObject(d, "status", "skipped");
		cJSON_AddStringToObject(d, "because", ev->because != NULL ?
		    ev->because : "?");
		break;
	case ENGINE_EV_PHASE_LOOP:
		name = "phase.loop";
		d = cJSON_CreateObject();
		cJSON_AddStringToObject(d, "root", ev->root);
		cJSON_AddStringToObject(d, "workspace", ev->workspace);
		cJSON_AddStringToObject(d, "phase", ev->phase);
		cJSON_AddNumberToObject(d, "rounds", ev->rounds);
		msg_add_names(d, "files", ev->trigger_files,
		    ev->n_trigger_files);
		cJSON_AddStringToObject(d, "message", ev->message != NULL ?
		    ev->message : "");
		break;
	case ENGINE_EV_RUN_END:
		name = "run.finished";
		d = wire_run_event_brief(ev);
		cJSON_AddStringToObject(d, "status",
		    engine_status_name(ev->status));
		msg_add_ms(d, "duration_ms", (double)ev->dur_us / 1000.0);
		if (ev->message != NULL)
			cJSON_AddStringToObject(d, "message", ev->message);
		msg_add_exit_code(d, "exit_code", ev->exit_code);
		msg_add_signal(d, "signal", ev->signal);
		break;
	default:
		return NULL;
	}
	/* msg_event: the one builder, so every string is valid UTF-8. */
	return msg_event(name, d);
}

static void
wire_run_strings(cJSON *o, const char *name, const char *const *s, size_t n)
{
	cJSON *a = cJSON_AddArrayToObject(o, name);

	for (size_t i = 0; i < n; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(s[i]));
}

cJSON *
wire_run_dry_plan(const struct engine_dry_plan *p)
{
	cJSON *o = cJSON_CreateObject(), *steps, *envo;

	steps = cJSON_AddArrayToObject(o, "steps");
	for (size_t i = 0; i < p->n_steps; i++) {
		const struct engine_dry_step *st = &p->steps[i];
		cJSON *s = cJSON_CreateObject();

		cJSON_AddStringToObject(s, "phase", st->phase);
		cJSON_AddStringToObject(s, "workspace", st->workspace);
		if (st->hook != NULL)
			cJSON_AddStringToObject(s, "hook", st->hook);
		cJSON_AddStringToObject(s, "cache", st->cache);
		if (st->reason != NULL)
			cJSON_AddStringToObject(s, "reason", st->reason);
		if (st->key[0] != '\0')
			cJSON_AddStringToObject(s, "key", st->key);
		if (st->action_key[0] != '\0')
			cJSON_AddStringToObject(s, "action_key",
			    st->action_key);
		wire_run_strings(s, "commands", st->commands, st->n_commands);
		/* What make.toml adds to the daemon's environment. */
		envo = cJSON_AddObjectToObject(s, "env");
		for (size_t k = 0; k < st->n_env; k++)
			cJSON_AddStringToObject(envo, st->env_keys[k],
			    st->env_values[k]);
		if (st->requires_approval)
			cJSON_AddTrueToObject(s, "requires_approval");
		if (st->first_run_only)
			cJSON_AddTrueToObject(s, "first_run_only");
		if (st->n_after > 0)
			wire_run_strings(s, "after", st->after, st->n_after);
		cJSON_AddItemToArray(steps, s);
	}
	if (p->env != NULL) {
		cJSON_AddStringToObject(o, "env", p->env);
		if (p->env_source != NULL)
			cJSON_AddStringToObject(o, "env_source",
			    p->env_source);
	} else {
		cJSON_AddNullToObject(o, "env");
	}
	cJSON_AddStringToObject(o, "outline", p->outline != NULL ?
	    p->outline : "");
	return o;
}

cJSON *
wire_run_history(const struct history_run *r, bool with_detail)
{
	cJSON *o = cJSON_CreateObject(), *a, *s;
	const struct history_span *sp;

	cJSON_AddNumberToObject(o, "id", (double)r->id);
	cJSON_AddStringToObject(o, "root", r->root != NULL ? r->root : "");
	cJSON_AddStringToObject(o, "workspace", r->workspace != NULL ?
	    r->workspace : "");
	cJSON_AddStringToObject(o, "phase", r->phase != NULL ? r->phase : "");
	cJSON_AddStringToObject(o, "trigger", history_trigger_name(r->trigger));
	msg_add_names(o, "trigger_files",
	    (const char *const *)r->trigger_files, r->n_trigger_files);
	cJSON_AddNumberToObject(o, "start_us", (double)r->start_us);
	cJSON_AddNumberToObject(o, "end_us", (double)r->end_us);
	if (r->end_us > 0 && r->status != HISTORY_RUNNING)
		msg_add_ms(o, "duration_ms",
		    (double)(r->end_us - r->start_us) / 1000.0);
	else
		cJSON_AddNullToObject(o, "duration_ms");
	cJSON_AddStringToObject(o, "status", history_status_name(r->status));
	msg_add_exit_code(o, "exit_code", r->exit_code);
	msg_add_signal(o, "signal", r->signal);
	if (r->cache_key != NULL)
		cJSON_AddStringToObject(o, "cache_key", r->cache_key);
	else
		cJSON_AddNullToObject(o, "cache_key");
	cJSON_AddBoolToObject(o, "cache_hit", r->cache_hit);
	cJSON_AddBoolToObject(o, "slow", r->slow);
	if (!with_detail)
		return o;
	a = cJSON_AddArrayToObject(o, "spans");
	for (size_t i = 0; i < r->n_spans; i++) {
		sp = &r->spans[i];
		s = cJSON_CreateObject();
		cJSON_AddNumberToObject(s, "id", (double)sp->id);
		cJSON_AddNumberToObject(s, "parent", (double)sp->parent);
		cJSON_AddStringToObject(s, "kind",
		    history_span_kind_name(sp->kind));
		cJSON_AddStringToObject(s, "name", sp->name != NULL ?
		    sp->name : "");
		cJSON_AddStringToObject(s, "workspace", sp->workspace != NULL ?
		    sp->workspace : "");
		cJSON_AddNumberToObject(s, "start_us", (double)sp->start_us);
		cJSON_AddNumberToObject(s, "dur_us", (double)sp->dur_us);
		cJSON_AddStringToObject(s, "status",
		    history_status_name(sp->status));
		cJSON_AddBoolToObject(s, "slow", sp->slow);
		if (sp->output != NULL)
			cJSON_AddStringToObject(s, "output", sp->output);
		cJSON_AddItemToArray(a, s);
	}
	cJSON_AddStringToObject(o, "output", r->output != NULL ? r->output :
	    "");
	return o;
}

cJSON *
wire_run_history_status(const struct histlink_status *st)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "path", st->path != NULL ? st->path : "");
	cJSON_AddNumberToObject(o, "size_bytes", (double)st->size_bytes);
	cJSON_AddBoolToObject(o, "degraded", st->degraded);
	cJSON_AddStringToObject(o, "reason", st->reason != NULL ? st->reason :
	    "");
	cJSON_AddNumberToObject(o, "keep", st->keep);
	cJSON_AddBoolToObject(o, "pending", st->pending);
	cJSON_AddNumberToObject(o, "flushes", (double)st->flush.flushes);
	cJSON_AddNumberToObject(o, "transactions",
	    (double)st->flush.transactions);
	cJSON_AddNumberToObject(o, "commits", (double)st->flush.commits);
	cJSON_AddNumberToObject(o, "runs_written",
	    (double)st->flush.runs_written);
	cJSON_AddNumberToObject(o, "spans_written",
	    (double)st->flush.spans_written);
	cJSON_AddNumberToObject(o, "runs_trimmed",
	    (double)st->flush.runs_trimmed);
	cJSON_AddNumberToObject(o, "runs_dropped",
	    (double)st->flush.runs_dropped);
	cJSON_AddNumberToObject(o, "longest_flush_us",
	    (double)st->flush.longest_flush_us);
	cJSON_AddNumberToObject(o, "last_flush_us",
	    (double)st->flush.last_flush_us);
	cJSON_AddNumberToObject(o, "longest_loop_us",
	    (double)st->flush.longest_loop_us);
	cJSON_AddNumberToObject(o, "flush_errors", (double)st->flush_errors);
	cJSON_AddNumberToObject(o, "slow_phases", (double)st->slow_phases);
	return o;
}

char *
wire_run_slow_line(const struct histlink_slow *ev)
{
	cJSON *d = cJSON_CreateObject();

	cJSON_AddNumberToObject(d, "run", (double)ev->run);
	cJSON_AddStringToObject(d, "root", ev->root != NULL ? ev->root : "");
	cJSON_AddStringToObject(d, "workspace", ev->workspace != NULL ?
	    ev->workspace : "");
	cJSON_AddStringToObject(d, "phase", ev->phase != NULL ? ev->phase :
	    "");
	msg_add_ms(d, "duration_ms", (double)ev->dur_us / 1000.0);
	cJSON_AddStringToObject(d, "reason", ev->why == HISTORY_SLOW_BUDGET ?
	    "budget" : "median");
	if (ev->median_us > 0)
		cJSON_AddNumberToObject(d, "median_ms",
		    (double)ev->median_us / 1000.0);
	return msg_event("phase.slow", d);
}

int
wire_run_id(const cJSON *id, uint64_t *out, struct gerr *err)
{
	*out = 0;
	if (!cJSON_IsNumber(id) || id->valuedouble < 1)
		return gerr_set(err, GERR_INVALID, "field \"%s\": expected a "
		    "run id (1 or more), found %.0f", id != NULL &&
		    id->string != NULL ? id->string : "run",
		    cJSON_IsNumber(id) ? id->valuedouble : 0.0);
	*out = (uint64_t)id->valuedouble;
	return 0;
}
