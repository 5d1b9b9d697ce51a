/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cmd_dev.c - `ggenc dev [PHASE...] [--root DIR] [-e NAME] [--clear]
 * [--only PHASE]`: the edit loop in the foreground, backed by the daemon
 * (protocol `dev`, daemon/req_dev.c).
 *
 * Registers the root (default: the outermost directory holding a
 * make.toml from the current one up; the daemon watches it if it did
 * not), then shows
 * every run of it as it happens: a header naming the run, its phases and
 * its trigger (the changed files), each phase's output as the tools write
 * it, and a one-line result (ok or failed, duration, cached). Without
 * PHASE it follows the root's on-save phases; with PHASE the daemon also
 * runs those phases on every settled change. --clear clears the screen
 * before each run; --only PHASE shows only runs that include PHASE.
 *
 * On a terminal: colour (client/color.h) and a status line at the bottom
 * while idle (redrawn after each run and once per terminal resize at the
 * new width, erased before anything else is printed, and on Ctrl-C); the
 * daemon runs phases on a pseudo-terminal of
 * this terminal's width so compilers keep their colours. In a pipe: plain
 * lines, one per event, flushed at once, without the tools' escapes
 * (unless --color=always). --json prints every message as
 * the daemon sent it (NDJSON).
 *
 * Ctrl-C only hangs up: the daemon keeps running, the root stays watched
 * and runs in flight finish. When the daemon stops (daemon.stopping), dev
 * waits up to CMD_DEV_RECONNECT_MS for one to answer on the socket again
 * (never starting one itself, so `ggenc shutdown` still stops it): after
 * `ggenc restart` the loop goes on. Exit status: 0 when the daemon stops
 * cleanly and none comes back,
 * 1/2 for a refused request (bad phase, bad root), 3 when the connection is
 * lost. The exchange is driven here (cmd_entry.run), not by main.c, since
 * it never ends with a reply and keeps display state between messages.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "call.h"
#include "cmd.h"
#include "cmd_entries.h"
#include "color.h"
#include "commands.h"
#include "escape.h"
#include "conn.h"
#include "errors.h"
#include "genout.h"
#include "make.h"
#include "runview.h"
#include "strbuf.h"
#include "version.h"
#include "xmalloc.h"

#define CMD_DEV_HELLO_ID 1
#define CMD_DEV_ID 2
/* Runs whose output is hidden by --only, remembered at once. */
#define CMD_DEV_HIDDEN_MAX 64
/* Changed files named in a header; the rest are counted. */
#define CMD_DEV_FILES_SHOWN 3
/* Phase names offered for a mistyped --only. */
#define CMD_DEV_ONLY_NAMES 256
/* After daemon.stopping: how long to wait for a daemon to answer again
 * (`ggenc restart`, an upgrade), polling the socket every step. */
#define CMD_DEV_RECONNECT_MS 10000
#define CMD_DEV_RECONNECT_STEP_MS 50
/* Connections lost again before a new daemon took the request. */
#define CMD_DEV_RECONNECT_TRIES 20
/* cmd_dev_loop: the daemon said it stops (not an exit status). */
#define CMD_DEV_STOPPED (-1)

struct cmd_dev {
	const struct cmd_ctx *ctx;
	FILE *out;
	bool tty;			/* stdout is a terminal */
	bool color;
	bool clear;			/* --clear */
	const char *only;		/* --only PHASE, or NULL */
	char root[PATH_MAX];
	char watching[512];		/* the status line's middle part */
	char last[256];			/* "last: run 12 ok 412 ms" */
	uint64_t hidden[CMD_DEV_HIDDEN_MAX];
	size_t n_hidden;
	int running;			/* runs started, not finished */
	bool mid_line;			/* output ended mid-line */
	/* The latest run of one phase: its header names the phase, so its
	 * own "> PHASE" line would only repeat it. */
	double single_run;
	char single_phase[128];
	/* Phases of the latest run answered by a (remote) output cache:
	 * phase.finished with "cache":"restored" or "remote". */
	double restored_run;
	unsigned restored;
	bool registered;		/* "watching" came on this connection */
	bool reconnected;		/* a new connection after a stop */
	/* On a terminal SIGWINCH is blocked except while waiting for the
	 * daemon (this mask), so a resize is seen between two messages. */
	sigset_t waitmask;
};

/* Ctrl-C: erase the status line (the only state on the screen that is
 * ours), then die of the signal as if we had no handler.
 * cmd_dev_status_shown means "the status line may be on the screen": it
 * is set before the line is written and cleared only once its erase has
 * reached the terminal, so a signal between the two (the process can be
 * preempted right after write() on a loaded machine) still erases it. */
static volatile sig_atomic_t cmd_dev_status_shown;

static void
cmd_dev_sigint(int sig)
{
	static const char erase[] = "\r\033[K" COLOR_RESET;

	if (cmd_dev_status_shown)
		(void)!write(STDOUT_FILENO, erase, sizeof(erase) - 1);
	signal(sig, SIG_DFL);
	raise(sig);
}

/* The terminal was resized: redraw the status line once, at the new
 * width (several SIGWINCH before the loop looks make one redraw). */
static volatile sig_atomic_t cmd_dev_winch;

static void
cmd_dev_sigwinch(int sig)
{
	(void)sig;
	cmd_dev_winch = 1;
}

static void
cmd_dev_status_erase(struct cmd_dev *d)
{
	if (!cmd_dev_status_shown)
		return;
	fputs("\r\033[K", d->out);
	fflush(d->out);
	cmd_dev_status_shown = 0;
}

/* Cut s to at most cols characters, never inside a UTF-8 sequence (a
 * root under /home/josé): one column per code point, one spare column
 * left by the caller so the line never wraps. */
static void
cmd_dev_fit(char *s, int cols)
{
	int n = 0;

	for (size_t i = 0; s[i] != '\0'; i++) {
		if (((unsigned char)s[i] & 0xC0) == 0x80)
			continue;	/* a continuation byte */
		if (n++ == cols) {
			s[i] = '\0';
			return;
		}
	}
}

/* The status line, on a terminal, while no run goes on. */
static void
cmd_dev_status_draw(struct cmd_dev *d)
{
	struct winsize ws;
	char line[1024];
	int cols = 80;

	if (!d->tty || d->running > 0)
		return;
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 10)
		cols = ws.ws_col;
	snprintf(line, sizeof(line), "ggen dev: %s%s%s | Ctrl-C quits",
	    d->watching, d->last[0] != '\0' ? " | " : "", d->last);
	cmd_dev_fit(line, cols - 1);
	cmd_dev_status_shown = 1;
	fprintf(d->out, "\r\033[K%s%s%s", color_on(d->color, COLOR_DIM), line,
	    color_off(d->color));
	fflush(d->out);
}

static void
cmd_dev_now(char *buf, size_t size)
{
	time_t t = time(NULL);
	struct tm tm;

	if (localtime_r(&t, &tm) == NULL ||
	    strftime(buf, size, "%H:%M:%S", &tm) == 0)
		snprintf(buf, size, "?");
}

static bool
cmd_dev_is_hidden(const struct cmd_dev *d, double run)
{
	for (size_t i = 0; i < d->n_hidden; i++)
		if ((double)d->hidden[i] == run)
			return true;
	return false;
}

static void
cmd_dev_unhide(struct cmd_dev *d, double run)
{
	for (size_t i = 0; i < d->n_hidden; i++)
		if ((double)d->hidden[i] == run) {
			d->hidden[i] = d->hidden[--d->n_hidden];
			return;
		}
}

/* Whether --only lets the run with these phases through. */
static bool
cmd_dev_wanted(const struct cmd_dev *d, const cJSON *phases)
{
	const cJSON *p;

	if (d->only == NULL)
		return true;
	cJSON_ArrayForEach(p, phases)
		if (cJSON_IsString(p) && strcmp(p->valuestring, d->only) == 0)
			return true;
	return false;
}

static void
cmd_dev_watching(struct cmd_dev *d, const cJSON *p)
{
	const cJSON *ph, *phases = cJSON_GetObjectItemCaseSensitive(p,
	    "phases");
	bool on_save = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(p,
	    "on_save"));
	size_t n = 0;
	int len;

	snprintf(d->root, sizeof(d->root), "%s", runview_str(p, "root", "?"));
	len = snprintf(d->watching, sizeof(d->watching), "%s, %s", d->root,
	    on_save ? "on save:" : "runs on each change:");
	cJSON_ArrayForEach(ph, phases) {
		if (len > 0 && (size_t)len < sizeof(d->watching))
			len += snprintf(d->watching + len,
			    sizeof(d->watching) - (size_t)len, "%s %s",
			    n > 0 ? "," : "", cJSON_IsString(ph) ?
			    ph->valuestring : "?");
		n++;
	}
	if (n == 0 && len > 0 && (size_t)len < sizeof(d->watching))
		snprintf(d->watching + len, sizeof(d->watching) - (size_t)len,
		    " (no phase has `watch`)");
	if (!d->tty) {
		fprintf(d->out, "ggen dev: watching %s\n", d->watching);
		fflush(d->out);
	}
	cmd_dev_status_draw(d);
}

static void
cmd_dev_run_started(struct cmd_dev *d, const cJSON *p)
{
	const cJSON *f, *files = cJSON_GetObjectItemCaseSensitive(p, "files");
	const cJSON *phases = cJSON_GetObjectItemCaseSensitive(p, "phases");
	double run = runview_num(p, "run", 0);
	double count = runview_num(p, "files_count", 0);
	const char *trigger = runview_str(p, "trigger", "?");
	const char *ws = runview_str(p, "workspace", "");
	char now[16];
	int shown = 0;

	if (!cmd_dev_wanted(d, phases)) {
		if (d->n_hidden < CMD_DEV_HIDDEN_MAX)
			d->hidden[d->n_hidden++] = (uint64_t)run;
		return;
	}
	d->running++;
	d->single_run = cJSON_GetArraySize(phases) == 1 ? run : 0;
	snprintf(d->single_phase, sizeof(d->single_phase), "%s",
	    cJSON_IsString(cJSON_GetArrayItem(phases, 0)) ?
	    cJSON_GetArrayItem(phases, 0)->valuestring : "");
	cmd_dev_status_erase(d);
	if (d->clear && d->tty)
		fputs("\033[H\033[2J\033[3J", d->out);
	cmd_dev_now(now, sizeof(now));
	fprintf(d->out, "%s[%s] run %.0f:", color_on(d->color, COLOR_BOLD),
	    now, run);
	cJSON_ArrayForEach(f, phases)
		fprintf(d->out, " %s", cJSON_IsString(f) ? f->valuestring :
		    "?");
	if (ws[0] != '\0')
		fprintf(d->out, " [%s]", ws);
	fprintf(d->out, " (%s", trigger);
	cJSON_ArrayForEach(f, files) {
		if (shown == CMD_DEV_FILES_SHOWN)
			break;
		/* Exact bytes from files_b64 when a name is not UTF-8. */
		char *name = escape_member_at(p, "files", shown);

		fprintf(d->out, "%s %s", shown == 0 ? ":" : ",", name);
		free(name);
		shown++;
	}
	if (count > shown)
		fprintf(d->out, " and %.0f more", count - shown);
	fprintf(d->out, ")%s\n", color_off(d->color));
	d->mid_line = false;
	fflush(d->out);
}

static void
cmd_dev_run_finished(struct cmd_dev *d, const cJSON *p)
{
	double run = runview_num(p, "run", 0);
	const char *status = runview_str(p, "status", "?");
	const char *msg = runview_str(p, "message", NULL);
	double cached = runview_num(p, "steps_cached", 0);
	double restored = run == d->restored_run ? d->restored : 0;
	double steps = runview_num(p, "steps", 0);
	bool good = strcmp(status, "ok") == 0 || strcmp(status, "cached") == 0;
	char now[16], extra[96] = "";

	if (cmd_dev_is_hidden(d, run)) {
		cmd_dev_unhide(d, run);
		return;
	}
	if (d->running > 0)
		d->running--;
	cmd_dev_status_erase(d);
	if (d->mid_line)
		fputc('\n', d->out);
	d->mid_line = false;
	if (cached > 0)
		snprintf(extra, sizeof(extra), ", %.0f of %.0f cached%s",
		    cached, steps, restored > 0 ? " (restored from the output "
		    "cache)" : "");
	cmd_dev_now(now, sizeof(now));
	fprintf(d->out, "%s[%s] run %.0f %s in %.0f ms%s%s\n",
	    color_on(d->color, color_status(status)), now, run, status,
	    runview_num(p, "duration_ms", 0), extra, color_off(d->color));
	if (!good && msg != NULL)
		fprintf(d->out, "%s%s%s\n", color_on(d->color, COLOR_RED), msg,
		    color_off(d->color));
	snprintf(d->last, sizeof(d->last), "last: run %.0f %s, %.0f ms", run,
	    status, runview_num(p, "duration_ms", 0));
	fflush(d->out);
	cmd_dev_status_draw(d);
}

static void
cmd_dev_progress(struct cmd_dev *d, const cJSON *p)
{
	const char *type = runview_str(p, "type", "");
	double run = runview_num(p, "run", 0);

	if (strcmp(type, "watching") == 0) {
		cmd_dev_watching(d, p);
	} else if (strcmp(type, "run.started") == 0) {
		cmd_dev_run_started(d, p);
	} else if (strcmp(type, "run.finished") == 0) {
		cmd_dev_run_finished(d, p);
	} else if (cmd_dev_is_hidden(d, run)) {
		return;
	} else if (strcmp(type, "output") == 0) {
		const char *data = runview_str(p, "data", "");
		size_t len = strlen(data);

		cmd_dev_status_erase(d);
		runview_output(d->ctx, d->out, data);
		if (len > 0)
			d->mid_line = data[len - 1] != '\n';
	} else if (strcmp(type, "phase.started") == 0) {
		const char *ws = runview_str(p, "workspace", "");

		if (run == d->single_run && ws[0] == '\0' &&
		    strcmp(runview_str(p, "phase", ""), d->single_phase) == 0)
			return;
		cmd_dev_status_erase(d);
		if (d->mid_line)
			fputc('\n', d->out);
		d->mid_line = false;
		fprintf(d->out, "%s> %s%s%s%s%s\n", color_on(d->color,
		    COLOR_DIM), runview_str(p, "phase", "?"), ws[0] ? " [" : "",
		    ws, ws[0] ? "]" : "", color_off(d->color));
		fflush(d->out);
	} else if (strcmp(type, "phase.finished") == 0) {
		const char *st = runview_str(p, "status", "?");
		const char *how = runview_str(p, "cache", "");

		if (strcmp(how, "restored") == 0 || strcmp(how, "remote") == 0) {
			if (d->restored_run != run)
				d->restored = 0;
			d->restored_run = run;
			d->restored++;
			st = "restored";
		}
		/* Only what is news: the run's line says ok at the end. */
		if (strcmp(st, "ok") == 0)
			return;
		cmd_dev_status_erase(d);
		if (d->mid_line)
			fputc('\n', d->out);
		d->mid_line = false;
		fprintf(d->out, "%s< %s %s (%.0f ms)%s\n", color_on(d->color,
		    color_status(st)), runview_str(p, "phase", "?"), st,
		    runview_num(p, "duration_ms", 0), color_off(d->color));
		fflush(d->out);
	} else if (strcmp(type, "error") == 0) {
		cmd_dev_status_erase(d);
		fprintf(d->out, "%sggen dev: %s%s\n", color_on(d->color,
		    COLOR_RED), runview_str(p, "message", "?"),
		    color_off(d->color));
		fflush(d->out);
		cmd_dev_status_draw(d);
	}
}

/* Events of the subscription: only this root's invalid make.toml, its
 * phases stopped for retriggering themselves and the daemon's stop matter
 * here (runs come as progress). Returns true when
 * the loop should end (the daemon stops). */
static bool
cmd_dev_event(struct cmd_dev *d, const struct msg_reply *msg)
{
	const cJSON *b = msg->body;

	if (strcmp(msg->event, "daemon.stopping") == 0) {
		cmd_dev_status_erase(d);
		fprintf(d->out, "ggen dev: ggend stopped (%s)\n",
		    runview_str(b, "reason", "?"));
		fflush(d->out);
		return true;
	}
	/* A phase stopped for retriggering itself: else the loop would
	 * just go quiet. */
	if (strcmp(msg->event, "phase.loop") == 0 &&
	    strcmp(runview_str(b, "root", ""), d->root) == 0) {
		cmd_dev_status_erase(d);
		fprintf(d->out, "%sggen dev: %s%s\n", color_on(d->color,
		    COLOR_RED), runview_str(b, "message", "?"),
		    color_off(d->color));
		fflush(d->out);
		cmd_dev_status_draw(d);
		return false;
	}
	if (strcmp(msg->event, "model.invalid") == 0 &&
	    strcmp(runview_str(b, "root", ""), d->root) == 0) {
		cmd_dev_status_erase(d);
		/* Whether or not a last good model is kept (for the runs
		 * under way), no new run starts until the file parses. */
		fprintf(d->out, "%sggen dev: %s:%.0f:%.0f: %s (nothing runs "
		    "until it is fixed)%s\n", color_on(d->color, COLOR_RED),
		    runview_str(b, "file", "?"), runview_num(b, "line", 0),
		    runview_num(b, "col", 0), runview_str(b, "message", "?"),
		    color_off(d->color));
		fflush(d->out);
		cmd_dev_status_draw(d);
	}
	/* After the red line above, say when the file is good again. */
	if (strcmp(msg->event, "model.valid") == 0 &&
	    strcmp(runview_str(b, "root", ""), d->root) == 0) {
		cmd_dev_status_erase(d);
		fprintf(d->out, "%sggen dev: %s/make.toml is valid again; runs "
		    "resume%s\n", color_on(d->color, COLOR_GREEN), d->root,
		    color_off(d->color));
		fflush(d->out);
		cmd_dev_status_draw(d);
	}
	return false;
}

/*
 * --only PHASE must name a phase of the root's make.toml: a typo would
 * hide every run for good. A make.toml that does not parse is left to
 * the daemon (it says what is wrong). GERR_INVALID, with "did you mean".
 */
static int
cmd_dev_check_only(const char *root, const char *only, struct gerr *err)
{
	const char *names[CMD_DEV_ONLY_NAMES];
	struct make_project *p = NULL;
	struct strbuf hint = STRBUF_INIT;
	struct gerr perr;
	char *file = xasprintf("%s/make.toml", strcmp(root, "/") == 0 ? "" :
	    root), *buf = NULL;
	size_t len = 0, n = 0;
	bool exists = false, known = true;

	gerr_clear(&perr);
	if (genout_read(file, MAKE_FILE_MAX_BYTES, &buf, &len, &exists,
	    &perr) == 0 && exists && make_parse_buffer(buf, len, file, &p,
	    NULL, &perr) == 0) {
		known = false;
		for (size_t i = 0; i < p->phases_len; i++) {
			if (strcmp(p->phases[i].name, only) == 0)
				known = true;
			if (n < CMD_DEV_ONLY_NAMES)
				names[n++] = p->phases[i].name;
		}
		if (!known)
			cmd_suggest(only, names, n, &hint);
		if (!known)
			gerr_set(err, GERR_INVALID, "--only %.100s: no such "
			    "phase in %s%s", only, file, hint.len > 0 ?
			    hint.buf : "");
	}
	strbuf_release(&hint);
	make_project_free(p);
	free(buf);
	free(file);
	return known ? 0 : GERR_INVALID;
}

static int
cmd_dev_args(const struct cmd_ctx *ctx, int argc, char **argv,
    struct cmd_dev *d, cJSON *fields, struct gerr *err)
{
	cJSON *phases = cJSON_CreateArray();
	const char *root = cmd_opt_value(ctx, "--root"), *v;
	char abs[PATH_MAX];

	for (int i = 0; i < argc; i++)
		cJSON_AddItemToArray(phases, cJSON_CreateString(argv[i]));
	d->only = cmd_opt_value(ctx, "--only");
	if ((v = cmd_opt_value(ctx, "--env")) != NULL)
		cJSON_AddStringToObject(fields, "env", v);
	d->clear = cmd_opt_flag(ctx, "--clear");
	if (cmd_project_root(root, abs, err) != 0)
		goto fail;
	if (d->only != NULL && cmd_dev_check_only(abs, d->only, err) != 0)
		goto fail;
	cJSON_AddStringToObject(fields, "root", abs);
	if (cJSON_GetArraySize(phases) > 0)
		cJSON_AddItemToObject(fields, "phases", phases);
	else
		cJSON_Delete(phases);
	return 0;
fail:
	cJSON_Delete(phases);
	return err->code != GERR_OK ? err->code : GERR_INVALID;
}

/* Send hello and the dev request (fields transferred), pipelined. */
static int
cmd_dev_send(struct conn *conn, cJSON *fields, struct gerr *err)
{
	cJSON *hello = cJSON_CreateObject();
	char *line;
	int rc;

	cJSON_AddNumberToObject(hello, "proto", PROTO_VERSION);
	cJSON_AddStringToObject(hello, "client", "ggenc " GGEN_VERSION);
	line = msg_request_line(CMD_DEV_HELLO_ID, "hello", hello);
	rc = conn_send(conn, line, err);
	free(line);
	line = msg_request_line(CMD_DEV_ID, "dev", fields);
	if (rc == 0)
		rc = conn_send(conn, line, err);
	free(line);
	return rc;
}

static int
cmd_dev_loop(struct cmd_dev *d, struct conn *conn)
{
	struct msg_reply msg;
	struct gerr err;
	char *line;
	int rc;

	for (;;) {
		gerr_clear(&err);
		rc = d->tty ? conn_recv_intr(conn, &cmd_dev_winch, &d->waitmask,
		    &msg, &err) : conn_recv(conn, &msg, &err);
		if (rc == CONN_INTERRUPTED) {
			cmd_dev_winch = 0;
			/* Shown only while idle; a run in progress draws it
			 * at its end, at the width of then. */
			if (cmd_dev_status_shown)
				cmd_dev_status_draw(d);
			continue;
		}
		if (rc != 0) {
			cmd_dev_status_erase(d);
			fflush(d->out);
			/* Lost before a new daemon took us: retried quietly. */
			if (!d->reconnected)
				fprintf(stderr, "ggenc: %s\n", err.msg);
			return (int)err_lookup(err.code)->exit_status;
		}
		if (d->ctx->json) {
			line = msg_json_print(msg.json);
			fprintf(d->out, "%s\n", line);
			fflush(d->out);
			free(line);
		}
		if (msg.kind == MSG_REPLY && !msg.ok) {
			cmd_dev_status_erase(d);
			fflush(d->out);
			/* As every command: JSON on stderr under --json. */
			rc = call_reply_error(d->ctx, &msg);
			msg_reply_release(&msg);
			return rc;
		}
		if (msg.kind == MSG_REPLY && cJSON_IsNumber(msg.id) &&
		    msg.id->valueint == CMD_DEV_ID) {
			msg_reply_release(&msg);
			return 0;	/* never sent while the daemon runs */
		}
		if (msg.kind == MSG_EVENT) {
			bool stop = !d->ctx->json ? cmd_dev_event(d, &msg) :
			    strcmp(msg.event, "daemon.stopping") == 0;

			msg_reply_release(&msg);
			if (stop)
				return CMD_DEV_STOPPED;
			continue;
		}
		if (msg.kind == MSG_PROGRESS && strcmp(runview_str(msg.body,
		    "type", ""), "watching") == 0) {
			if (d->reconnected && !d->ctx->json) {
				cmd_dev_status_erase(d);
				fprintf(d->out, "ggen dev: ggend is back\n");
				fflush(d->out);
			}
			d->registered = true;
			d->reconnected = false;
		}
		if (msg.kind == MSG_PROGRESS && !d->ctx->json)
			cmd_dev_progress(d, msg.body);
		msg_reply_release(&msg);
	}
}

/* Read what the stopping daemon still sends until it hangs up. */
static void
cmd_dev_drain(struct conn *c)
{
	struct msg_reply msg;
	struct gerr err;

	for (;;) {
		gerr_clear(&err);
		if (conn_recv(c, &msg, &err) != 0)
			return;
		msg_reply_release(&msg);
	}
}

/*
 * The daemon stopped: wait for one to answer on the socket again (a
 * restart), without starting one. 0 and c open when one did; -1 (c
 * closed) when none answered within CMD_DEV_RECONNECT_MS.
 */
static int
cmd_dev_reconnect(struct cmd_dev *d, struct conn *c, bool say)
{
	const struct timespec step = { 0, CMD_DEV_RECONNECT_STEP_MS *
	    1000000L };
	struct gerr err;
	int waited;

	d->running = 0;
	d->mid_line = false;
	if (say && !d->ctx->json) {
		fprintf(d->out, "ggen dev: waiting %d s for ggend to come back "
		    "(ggenc restart)\n", CMD_DEV_RECONNECT_MS / 1000);
		fflush(d->out);
	}
	for (waited = 0; waited < CMD_DEV_RECONNECT_MS;
	    waited += CMD_DEV_RECONNECT_STEP_MS) {
		gerr_clear(&err);
		if (conn_open(c, d->ctx->socket_path, false, &err) == 0) {
			d->reconnected = true;
			return 0;
		}
		conn_close(c);
		nanosleep(&step, NULL);
	}
	if (!d->ctx->json) {
		fprintf(d->out, "ggen dev: no ggend answered; leaving\n");
		fflush(d->out);
	}
	return -1;
}

static int
cmd_dev_run(const struct cmd_ctx *ctx, int argc, char **argv)
{
	/* Plain lines in a pipe: the tools' escapes go too. */
	struct cmd_ctx view = *ctx;
	struct cmd_dev d = { .ctx = &view, .out = ctx->out };
	struct sigaction sa = { .sa_handler = cmd_dev_sigint };
	struct winsize ws;
	struct gerr err;
	struct conn conn;
	cJSON *fields = cJSON_CreateObject();
	int rc;

	gerr_clear(&err);
	if (cmd_dev_args(ctx, argc, argv, &d, fields, &err) != 0) {
		cJSON_Delete(fields);
		fprintf(stderr, "ggenc: %s\n", err.msg);
		if (err.code == GERR_INVALID) {
			cmd_print_usage(&cmd_dev_entry, stderr);
			return ERR_EXIT_USAGE;
		}
		return (int)err_lookup(err.code)->exit_status;
	}
	d.tty = !ctx->json && isatty(STDOUT_FILENO) == 1;
	d.color = ctx->color;
	view.plain = ctx->plain || !ctx->color;
	if (d.tty) {
		cJSON_AddTrueToObject(fields, "tty");
		if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
			cJSON_AddNumberToObject(fields, "columns", ws.ws_col);
		sigemptyset(&sa.sa_mask);
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
	}
	if (conn_open(&conn, ctx->socket_path, !ctx->no_start, &err) != 0) {
		cJSON_Delete(fields);
		conn_close(&conn);
		fprintf(stderr, "ggenc: %s\n", err.msg);
		return (int)err_lookup(err.code)->exit_status;
	}
	if (d.tty) {
		/* After conn_open: a daemon it starts must not inherit the
		 * blocked signal. */
		struct sigaction wa = { .sa_handler = cmd_dev_sigwinch };
		sigset_t winch;

		sigemptyset(&wa.sa_mask);
		sigaction(SIGWINCH, &wa, NULL);
		sigemptyset(&winch);
		sigaddset(&winch, SIGWINCH);
		sigprocmask(SIG_BLOCK, &winch, &d.waitmask);
		sigdelset(&d.waitmask, SIGWINCH);
	}
	for (int retries = 0;;) {
		cJSON *again = cJSON_Duplicate(fields, 1);

		/* The daemon may refuse with a reason: read even if sending
		 * failed. */
		d.registered = false;
		(void)cmd_dev_send(&conn, fields, &err);
		rc = cmd_dev_loop(&d, &conn);
		fields = again;
		if (rc == CMD_DEV_STOPPED) {
			/* Until the old daemon hangs up: its listening socket
			 * may still take a connection until it exits. */
			cmd_dev_drain(&conn);
			retries = 0;
		} else if (!(retries > 0 && !d.registered &&
		    rc == ERR_EXIT_UNREACHABLE &&
		    retries < CMD_DEV_RECONNECT_TRIES)) {
			conn_close(&conn);
			break;
		}
		/* Stopped, or a connection lost again before the new daemon
		 * took the request (the old one, exiting): wait again. */
		conn_close(&conn);
		if (cmd_dev_reconnect(&d, &conn, retries == 0) != 0) {
			rc = 0;
			break;
		}
		retries++;
	}
	cJSON_Delete(fields);
	return rc;
}

/* `dev` never ends with an ok reply while the daemon runs; if one came,
 * there is nothing to show. */
static int
cmd_dev_render(const struct cmd_ctx *ctx, const cJSON *result)
{
	(void)ctx;
	(void)result;
	return 0;
}

static const struct cmd_opt cmd_dev_opts[] = {
	{ "--root", 0, "DIR", "the project root (default: the outermost "
	    "make.toml directory from here up)", 0 },
	{ "--env", 'e', "NAME", "the environment to run in", 0 },
	{ "--clear", 'c', NULL, "clear the screen before each run", 0 },
	{ "--only", 0, "PHASE", "show only runs that include PHASE", 0 },
	{ NULL, 0, NULL, NULL, 0 },
};

const struct cmd_entry cmd_dev_entry = {
	.name = "dev", .alias = NULL,
	.usage = "[PHASE...] [--root DIR] [-e NAME] [--clear] [--only PHASE]",
	.summary = "Follow a root's runs live in the foreground (the edit "
	    "loop); Ctrl-C leaves.",
	.args = { .min = 0, .max = 128 }, .proto = PROTO_CMD_DEV,
	.render = cmd_dev_render, .run = cmd_dev_run,
	.opts = cmd_dev_opts,
	.example = "ggenc dev\nggenc dev test --clear --only test",
};
