/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * call.h - one request/reply exchange with ggend for ggenc: connect (with
 * or without autostart), `hello` pipelined with the command, the version
 * check, the reply. Used by main.c for every daemon command and by the
 * local commands that talk to the daemon themselves (restart, status
 * --short, the completion helper).
 */
#ifndef GGEN_CALL_H
#define GGEN_CALL_H

#include <stdbool.h>
#include <sys/types.h>

#include "cmd.h"
#include "conn.h"
#include "message.h"

struct call {
	struct conn conn;
	pid_t pid;		/* the daemon's, from hello; 0 until known */
	char version[64];	/* the daemon's, from hello */
	bool hello_done;
	int next_id;		/* of the next request after hello */
};

/*
 * Connect to ctx->socket_path (autostart unless ctx->no_start or
 * !autostart) and send hello. GERR_UNREACHABLE with the reason. Always
 * call call_close.
 */
int call_open(const struct cmd_ctx *ctx, bool autostart, struct call *c,
    struct gerr *err);
/* call_open; a daemon started here gets spawn_args (see conn_open_args). */
int call_open_args(const struct cmd_ctx *ctx, bool autostart,
    char *const *spawn_args, struct call *c, struct gerr *err);

/*
 * Send cmd with fields (transferred, may be NULL), then wait for hello's
 * reply (version check: a different daemon version is warned about once
 * on stderr) and the command's reply into *reply (release it with
 * msg_reply_release). Messages before the reply go to e's on_message (e
 * may be NULL). Returns 0 when a reply arrived (ok or not: check
 * reply->ok); GERR_UNREACHABLE when the daemon went away. A failed hello
 * is returned as *reply.
 */
int call_request(const struct cmd_ctx *ctx, const struct cmd_entry *e,
    struct call *c, const char *cmd, cJSON *fields, struct msg_reply *reply,
    struct gerr *err);

void call_close(struct call *c);

/*
 * Wait until process pid has exited, at most timeout_ms (pidfd + poll, no
 * polling loop). 0 when it is gone (or never existed); GERR_TIMEOUT.
 */
int call_wait_exit(pid_t pid, int timeout_ms, struct gerr *err);

/* Print a daemon error reply on stderr (JSON with ctx->json); returns its
 * exit status from the error table. */
int call_reply_error(const struct cmd_ctx *ctx, const struct msg_reply *msg);

#endif
