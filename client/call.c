/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * call.c - ggenc's request/reply exchange (see call.h). Owns the
 * connection for the call's life. hello and the command are pipelined:
 * one round trip. The version warning is printed at most once per process
 * (call_warned), the one piece of static state, on ggenc's only thread.
 */
#include "call.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* Without pidfd_open: how often the stopping daemon is looked at. */
#define CALL_EXIT_POLL_MS 10

#include "errors.h"
#include "version.h"
#include "xmalloc.h"

#define CALL_HELLO_ID 1
#define CALL_CMD_ID 2

static bool call_warned;

int
call_open(const struct cmd_ctx *ctx, bool autostart, struct call *c,
    struct gerr *err)
{
	return call_open_args(ctx, autostart, NULL, c, err);
}

int
call_open_args(const struct cmd_ctx *ctx, bool autostart,
    char *const *spawn_args, struct call *c, struct gerr *err)
{
	cJSON *hello;
	char *line;
	int rc;

	memset(c, 0, sizeof(*c));
	c->next_id = CALL_CMD_ID;
	if (conn_open_args(&c->conn, ctx->socket_path, autostart &&
	    !ctx->no_start, spawn_args, err) != 0)
		return err->code;
	hello = cJSON_CreateObject();
	cJSON_AddNumberToObject(hello, "proto", PROTO_VERSION);
	cJSON_AddStringToObject(hello, "client", "ggenc " GGEN_VERSION);
	line = msg_request_line(CALL_HELLO_ID, "hello", hello);
	rc = conn_send(&c->conn, line, err);
	free(line);
	/* A daemon that closed at once may still have said why: the caller
	 * reads before reporting. */
	(void)rc;
	return 0;
}

/* Wait for the reply with id want; other messages go to the hook. */
static int
call_await(const struct cmd_ctx *ctx, const struct cmd_entry *e,
    struct call *c, int want, struct msg_reply *msg, struct gerr *err)
{
	for (;;) {
		if (conn_recv(&c->conn, msg, err) != 0)
			return err->code;
		if (msg->kind == MSG_REPLY && cJSON_IsNumber(msg->id) &&
		    msg->id->valueint == want)
			return 0;
		if (msg->kind == MSG_REPLY && cJSON_IsNull(msg->id) &&
		    !msg->ok) /* an error about the connection itself */
			return 0;
		if (e != NULL && e->on_message != NULL)
			e->on_message(ctx, msg);
		msg_reply_release(msg);
	}
}

static void
call_hello(struct call *c, const cJSON *result)
{
	const cJSON *pid = cJSON_GetObjectItemCaseSensitive(result, "pid");
	const char *v = cJSON_GetStringValue(
	    cJSON_GetObjectItemCaseSensitive(result, "version"));

	if (cJSON_IsNumber(pid))
		c->pid = (pid_t)pid->valuedouble;
	snprintf(c->version, sizeof(c->version), "%s", v != NULL ? v : "?");
	if (strcmp(c->version, GGEN_VERSION) != 0 && !call_warned) {
		call_warned = true;
		fprintf(stderr, "ggenc: warning: the daemon answering is ggend "
		    "%s (pid %ld), this ggenc is %s; `ggenc restart` starts "
		    "this version (roots and state are kept)\n", c->version,
		    (long)c->pid, GGEN_VERSION);
	}
}

int
call_request(const struct cmd_ctx *ctx, const struct cmd_entry *e,
    struct call *c, const char *cmd, cJSON *fields, struct msg_reply *reply,
    struct gerr *err)
{
	struct gerr send_err;
	char *line;
	int id = c->next_id++;

	gerr_clear(&send_err);
	memset(reply, 0, sizeof(*reply));
	line = msg_request_line(id, cmd, fields);
	conn_send(&c->conn, line, &send_err);
	free(line);
	if (!c->hello_done) {
		/* Even when sending failed, the daemon may have said why it
		 * closed (busy, shutting down). */
		if (call_await(ctx, NULL, c, CALL_HELLO_ID, reply, err) != 0) {
			if (send_err.code != GERR_OK)
				*err = send_err;
			return err->code;
		}
		c->hello_done = true;
		if (!reply->ok)
			return 0;
		call_hello(c, reply->body);
		msg_reply_release(reply);
	}
	return call_await(ctx, e, c, id, reply, err);
}

void
call_close(struct call *c)
{
	conn_close(&c->conn);
}

/* Whether pid has exited: gone, or a zombie (its parent, not us, may
 * not have reaped it yet). */
static bool
call_pid_gone(pid_t pid)
{
	char path[64], buf[512];
	const char *state;
	size_t n;
	FILE *f;

	if (kill(pid, 0) != 0 && errno == ESRCH)
		return true;
	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	if ((f = fopen(path, "r")) == NULL)
		return errno == ENOENT;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* "pid (comm) S ...": comm may hold ')' and spaces; the last ')'
	 * ends it. */
	state = strrchr(buf, ')');
	return state != NULL && state[1] == ' ' &&
	    (state[2] == 'Z' || state[2] == 'X');
}

static int
call_wait_exit_poll(pid_t pid, int timeout_ms, struct gerr *err)
{
	const struct timespec step = { 0, CALL_EXIT_POLL_MS * 1000000L };

	for (int waited = 0; !call_pid_gone(pid); waited += CALL_EXIT_POLL_MS) {
		if (waited >= timeout_ms)
			return gerr_set(err, GERR_TIMEOUT, "ggend (pid %ld) "
			    "still runs %d ms after it was asked to stop",
			    (long)pid, timeout_ms);
		nanosleep(&step, NULL);
	}
	return 0;
}

int
call_wait_exit(pid_t pid, int timeout_ms, struct gerr *err)
{
	struct pollfd pfd;
	int fd, n;

	if (pid <= 0)
		return 0;
	fd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (fd < 0) {
		if (errno == ESRCH)
			return 0;
		/* No pidfd (a kernel before 5.3, or valgrind, which does not
		 * know the call): look at the process every few ms. */
		if (errno == ENOSYS)
			return call_wait_exit_poll(pid, timeout_ms, err);
		return gerr_set(err, GERR_IO, "pidfd_open %ld: %s", (long)pid,
		    strerror(errno));
	}
	pfd.fd = fd;
	pfd.events = POLLIN;
	do
		n = poll(&pfd, 1, timeout_ms);
	while (n < 0 && errno == EINTR);
	close(fd);
	if (n == 0)
		return gerr_set(err, GERR_TIMEOUT, "ggend (pid %ld) still runs "
		    "%d ms after it was asked to stop", (long)pid, timeout_ms);
	return 0;
}

int
call_reply_error(const struct cmd_ctx *ctx, const struct msg_reply *msg)
{
	const struct err_def *def = err_by_wire(msg->err_code);

	if (ctx->json) {
		const cJSON *e = cJSON_GetObjectItemCaseSensitive(msg->json,
		    "error");
		char *s = e != NULL ? msg_json_print(e) : xstrdup("{}");

		fprintf(stderr, "%s\n", s);
		free(s);
	} else if (msg->err_file != NULL && msg->err_line > 0)
		fprintf(stderr, "ggenc: %s:%d:%d: %s [%s]\n", msg->err_file,
		    msg->err_line, msg->err_col, msg->err_message,
		    msg->err_code);
	else
		fprintf(stderr, "ggenc: %s [%s]\n", msg->err_message,
		    msg->err_code);
	return def != NULL ? (int)def->exit_status : ERR_EXIT_FAILED;
}
