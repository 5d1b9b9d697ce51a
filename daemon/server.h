/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * server.h - the listening socket and the connected clients.
 *
 * A client is read with an incremental NDJSON reader; each complete line is
 * parsed, validated against proto_cmd_table[] and handed to its req_<name>
 * handler (daemon/req_table.c). Replies, progress messages and events go
 * through one bounded output queue per client:
 *  - over client.obuf_soft_bytes: the client's requests stop being read and
 *    dispatched until the queue drains below it; still over it after
 *    client.obuf_soft_ms: disconnected (WARN, counted in status);
 *  - over client.obuf_hard_bytes: disconnected at once.
 * Ordering: replies leave in request order. A client whose request was
 * deferred (req_defer) has no further request dispatched until that request
 * is answered; its later lines wait in its input buffer.
 * Closing only flags the client; an ev_prepare watcher writes pending output
 * and frees closed clients once per loop turn, so no client is freed under a
 * callback that still uses it. Loop thread only.
 */
#ifndef GGEN_SERVER_H
#define GGEN_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gerr.h"

struct ggend;
struct server;
struct client;
struct req;

/* A new server for g (borrowed for the server's life); not yet listening. */
struct server *server_new(struct ggend *g);

/*
 * Bind and listen on path (borrowed), mode 0600. A socket file nobody
 * answers on is stale and replaced; one that answers gives
 * GERR_ALREADY_RUNNING. The caller has checked the directory. GERR_IO.
 */
int server_listen(struct server *srv, const char *path, struct gerr *err);

/* Serve on fd (consumed, even on error), a listening socket from systemd.
 * GERR_INVALID if it is not a listening Unix stream socket. */
int server_adopt(struct server *srv, int fd, struct gerr *err);

/* Close every client (cancelling deferred requests), stop watchers, close
 * the listening socket and unlink its path if server_listen created it.
 * srv may be NULL. */
void server_free(struct server *srv);

struct server_stats {
	size_t clients;		/* connected now */
	uint64_t accepted;	/* connections accepted since start */
	uint64_t dropped;	/* disconnected for output over a limit */
	uint64_t refused;	/* wrong uid or over client.max */
	uint64_t subscribers;	/* connected clients with CLIENT_SUBSCRIBER */
};

void server_stats(const struct server *srv, struct server_stats *st);

/* Queue an event line (borrowed; copied) to every subscribed client. */
void server_publish(struct server *srv, const char *line);

/*
 * Queue line (transferred: a malloc'ed NDJSON line ending in '\n') to c and
 * apply the output limits; c may be closed by this (as a flag: the pointer
 * stays valid until the loop turn ends). Used by req.c.
 */
void server_client_write(struct client *c, char *line);

/* Mark c as subscribed to events (the future `events` request). */
void server_client_subscribe(struct client *c);

/* c's deferred request is about to go away (answered or cancelled): let
 * c's next requests be dispatched on this loop turn. Used by req.c. */
void server_client_request_done(struct client *c, struct req *req);

/* c's deferred request (req_defer). Used by req.c. */
void server_client_set_pending(struct client *c, struct req *req);

#endif
