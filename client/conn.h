/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * conn.h - ggenc's connection to ggend: connect (starting the daemon when
 * none answers), send lines, read messages.
 *
 * Autostart (protocol/PROTOCOL.md 1): on ENOENT/ECONNREFUSED, take flock on
 * "<socket>.lock", try once more (another ggenc may have just started one),
 * then start ggend --foreground --ready-fd N in its own session, stderr to
 * <state dir>/ggend.log, and block on the readiness pipe with a timeout. The
 * daemon's own error comes back on that pipe. No sleep, no retry loop.
 * Blocking I/O; ggenc's only thread.
 */
#ifndef GGEN_CONN_H
#define GGEN_CONN_H

#include <signal.h>
#include <stdbool.h>

#include "framing.h"
#include "gerr.h"
#include "message.h"

#define CONN_READY_TIMEOUT_MS 10000
/* Replies (a status with many roots, a history page) may be far longer
 * than requests; this only guards against a runaway peer. */
#define CONN_MAX_LINE ((size_t)64 << 20)

struct conn {
	int fd;
	struct framing in;
};

/*
 * Connect to path (borrowed). With autostart, start a daemon when none
 * answers. GERR_UNREACHABLE with the reason (and the daemon's startup
 * error, or GERR_TIMEOUT's text, when it failed to start).
 */
int conn_open(struct conn *c, const char *path, bool autostart,
    struct gerr *err);

/* At most this many extra ggend arguments for a daemon conn_open_args
 * starts. */
#define CONN_SPAWN_ARGS_MAX 64

/*
 * conn_open, and a daemon started here also gets spawn_args (borrowed,
 * NULL-terminated, at most CONN_SPAWN_ARGS_MAX; NULL: none) after
 * --socket: `ggenc restart` passes the old daemon's settings
 * (--set KEY=VALUE). A "--set state.dir=DIR" also moves the log there.
 */
int conn_open_args(struct conn *c, const char *path, bool autostart,
    char *const *spawn_args, struct gerr *err);

/* Write all of line (borrowed). GERR_UNREACHABLE if the daemon is gone. */
int conn_send(struct conn *c, const char *line, struct gerr *err);

/* Read the next message into msg (release it with msg_reply_release).
 * GERR_UNREACHABLE when the daemon closes first; parse errors as
 * msg_reply_parse. */
int conn_recv(struct conn *c, struct msg_reply *msg, struct gerr *err);

/* conn_recv_intr: no message, a signal handler set the flag. */
#define CONN_INTERRUPTED (-1)

/*
 * conn_recv that also returns CONN_INTERRUPTED (msg empty, *flag left
 * set) when *flag is set before a message is complete: the caller blocks
 * the flag's signal and passes in waitmask (borrowed) the mask to wait
 * with, the signal unblocked (ppoll), so a signal between the flag test
 * and the wait is never lost. Messages already buffered come first.
 * flag NULL: as conn_recv.
 */
int conn_recv_intr(struct conn *c, volatile sig_atomic_t *flag,
    const sigset_t *waitmask, struct msg_reply *msg, struct gerr *err);

void conn_close(struct conn *c);

#endif
