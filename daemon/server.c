/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * server.c - listening socket, accept with SO_PEERCRED, struct client with
 * input framing, bounded output queue and deferred close.
 *
 * Owns: the listening fd and its ev_io, the EMFILE pause timer, the
 * ev_prepare watcher, every struct client (fd, ev_io rd/wr, soft-limit
 * timer, framing buffer, output chunks). Called by libev callbacks only;
 * ggend.c creates and frees the server, req.c writes replies.
 * Invariants:
 *  - wr is active iff output is queued and the last write hit EAGAIN;
 *  - rd is active iff the client is not closing, saw no EOF, is under
 *    the soft output limit and, while a deferred request is pending, has
 *    at most client.max_line_bytes of undispatched input;
 *  - out_bytes is the sum of the queued chunks' unsent bytes;
 *  - a client flagged CLIENT_CLOSING is freed only by server_prepare_cb;
 *  - no periodic timer: idle means no wake-ups (the soft timer runs only
 *    while a client is over the soft limit, the pause timer only after
 *    EMFILE).
 * Never blocks: every fd is non-blocking, writes use MSG_NOSIGNAL.
 */
#include "server.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <fcntl.h>

#include <ev.h>

#include "errors.h"
#include "framing.h"
#include "ggend.h"
#include "log.h"
#include "message.h"
#include "req.h"
#include "sockpath.h"
#include "xmalloc.h"

#define SERVER_READ_BYTES 65536
#define SERVER_EMFILE_PAUSE_S 1.0

#define CLIENT_SUBSCRIBER 0x1u
#define CLIENT_CLOSING 0x2u	/* freed by the next server_prepare_cb */
#define CLIENT_FLUSH 0x4u	/* ... after its output is written */
#define CLIENT_EOF 0x8u		/* the peer shut down its side */

struct server_chunk {
	struct server_chunk *next;
	char *data;		/* owned */
	size_t len;
};

struct client {
	struct server *srv;
	struct client *prev, *next;
	int fd;
	uint64_t id;
	uid_t uid;
	pid_t pid;
	unsigned flags;
	ev_io rd, wr;
	ev_timer soft_timer;	/* runs while over the soft output limit */
	struct framing in;
	struct server_chunk *out_head, *out_tail;
	size_t out_head_off;	/* bytes of out_head already sent */
	size_t out_bytes;
	struct req *pending;	/* deferred request, or NULL */
};

struct server {
	struct ggend *g;
	struct ev_loop *loop;
	int listen_fd;
	bool owns_path;
	char path[SOCKPATH_PATH_MAX];
	ev_io accept_w;
	ev_timer accept_pause;
	ev_prepare prepare;
	struct client *clients;
	size_t n_clients;
	uint64_t next_id;
	uint64_t accepted, dropped, refused;
};

static void server_client_process(struct client *c);

/* The cheap invariants of the file comment (debug builds). */
static void
server_client_check(const struct client *c)
{
	assert((c->out_head == NULL) == (c->out_bytes == 0));
	assert((c->out_head == NULL) == (c->out_tail == NULL));
	assert(!ev_is_active(&c->wr) || c->out_head != NULL);
	assert(!ev_is_active(&c->rd) || !(c->flags & CLIENT_CLOSING));
}

static void
server_client_close(struct client *c, bool flush, const char *why)
{
	if (c->flags & CLIENT_CLOSING)
		return;
	log_debug("%s: client %" PRIu64 ": %s", __func__, c->id, why);
	c->flags |= CLIENT_CLOSING;
	ev_io_stop(c->srv->loop, &c->rd);
	ev_timer_stop(c->srv->loop, &c->soft_timer);
	if (flush && c->out_head != NULL) {
		/* A peer that never reads must not keep us forever: the last
		 * words get client.obuf_soft_ms, then the client goes. */
		c->flags |= CLIENT_FLUSH;
		ev_timer_set(&c->soft_timer,
		    (double)c->srv->g->cfg.obuf_soft_ms / 1000.0, 0.0);
		ev_timer_start(c->srv->loop, &c->soft_timer);
	}
}

static void
server_client_drop(struct client *c, const char *why)
{
	log_warn("client %" PRIu64 " (pid %ld) disconnected: %s (%zu bytes "
	    "queued)", c->id, (long)c->pid, why, c->out_bytes);
	c->srv->dropped++;
	server_client_close(c, false, why);
}

/* Whether c's next request may be dispatched now. */
static bool
server_client_ready(const struct client *c)
{
	return !(c->flags & CLIENT_CLOSING) && c->pending == NULL &&
	    c->out_bytes <= c->srv->g->cfg.obuf_soft_bytes;
}

/*
 * Keep reading while a deferred request is pending too, so that a peer
 * that hangs up is noticed (and the request cancelled) at once, but only
 * up to one line's worth of buffered input, which keeps memory bounded.
 */
static void
server_client_update_rd(struct client *c)
{
	bool on = !(c->flags & (CLIENT_CLOSING | CLIENT_EOF)) &&
	    c->out_bytes <= c->srv->g->cfg.obuf_soft_bytes &&
	    (c->pending == NULL ||
	    framing_pending(&c->in) <= c->srv->g->cfg.max_line_bytes);

	if (on)
		ev_io_start(c->srv->loop, &c->rd);
	else
		ev_io_stop(c->srv->loop, &c->rd);
}

static void
server_client_free(struct client *c)
{
	struct server *srv = c->srv;
	struct server_chunk *ch;
	struct req *req;

	ev_io_stop(srv->loop, &c->rd);
	ev_io_stop(srv->loop, &c->wr);
	ev_timer_stop(srv->loop, &c->soft_timer);
	if (c->pending != NULL) {
		req = c->pending;
		c->pending = NULL;
		req_cancel(req);
	}
	while ((ch = c->out_head) != NULL) {
		c->out_head = ch->next;
		free(ch->data);
		free(ch);
	}
	framing_release(&c->in);
	close(c->fd);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		srv->clients = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	srv->n_clients--;
	free(c);
}

/* Write as much queued output as the socket takes. */
static void
server_client_flush(struct client *c)
{
	struct server *srv = c->srv;
	struct server_chunk *ch;
	ssize_t n;

	while ((ch = c->out_head) != NULL) {
		n = send(c->fd, ch->data + c->out_head_off,
		    ch->len - c->out_head_off, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				ev_io_start(srv->loop, &c->wr);
				return;
			}
			log_debug("%s: client %" PRIu64 ": send: %s", __func__,
			    c->id, strerror(errno));
			server_client_close(c, false, "send failed");
			ev_io_stop(srv->loop, &c->wr);
			return;
		}
		c->out_head_off += (size_t)n;
		c->out_bytes -= (size_t)n;
		if (c->out_head_off < ch->len)
			continue;
		c->out_head = ch->next;
		if (c->out_head == NULL)
			c->out_tail = NULL;
		c->out_head_off = 0;
		free(ch->data);
		free(ch);
	}
	ev_io_stop(srv->loop, &c->wr);
	server_client_check(c);
	if (ev_is_active(&c->soft_timer) && !(c->flags & CLIENT_CLOSING) &&
	    c->out_bytes <= srv->g->cfg.obuf_soft_bytes)
		ev_timer_stop(srv->loop, &c->soft_timer);
	server_client_update_rd(c);
}

void
server_client_write(struct client *c, char *line)
{
	const struct ggend_config *cfg = &c->srv->g->cfg;
	struct server_chunk *ch;

	if (c->flags & CLIENT_CLOSING && !(c->flags & CLIENT_FLUSH)) {
		free(line);
		return;
	}
	ch = xmalloc(sizeof(*ch));
	ch->next = NULL;
	ch->data = line;
	ch->len = strlen(line);
	if (c->out_tail != NULL)
		c->out_tail->next = ch;
	else
		c->out_head = ch;
	c->out_tail = ch;
	c->out_bytes += ch->len;
	server_client_check(c);
	if (c->out_bytes > cfg->obuf_hard_bytes) {
		server_client_drop(c, "output over client.obuf_hard_bytes");
		return;
	}
	if (c->out_bytes > cfg->obuf_soft_bytes &&
	    !ev_is_active(&c->soft_timer) && !(c->flags & CLIENT_CLOSING)) {
		ev_timer_set(&c->soft_timer, (double)cfg->obuf_soft_ms / 1000.0,
		    0.0);
		ev_timer_start(c->srv->loop, &c->soft_timer);
		server_client_update_rd(c);
	}
}

static void
server_soft_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct client *c = w->data;

	(void)loop;
	(void)revents;
	if (c->flags & CLIENT_CLOSING) {
		c->flags &= ~CLIENT_FLUSH;	/* freed by server_prepare_cb */
		return;
	}
	if (c->out_bytes > c->srv->g->cfg.obuf_soft_bytes)
		server_client_drop(c, "output over client.obuf_soft_bytes for "
		    "client.obuf_soft_ms");
}

static void
server_reply_error(struct client *c, const void *id, const struct gerr *err)
{
	struct ggend *g = c->srv->g;

	g->errors[(unsigned)err->code < GERR_CODE_COUNT ? err->code :
	    GERR_INTERNAL]++;
	server_client_write(c, msg_reply_error(id, err));
}

static void
server_dispatch(struct client *c, const char *line, size_t len)
{
	struct ggend *g = c->srv->g;
	const struct req_entry *entry;
	struct msg_request mr;
	struct gerr err;
	struct req *req;

	gerr_clear(&err);
	g->requests++;
	if (msg_request_parse(line, len, &mr, &err) != 0) {
		log_debug("%s: client %" PRIu64 ": %s", __func__, c->id,
		    err.msg);
		server_reply_error(c, mr.id, &err);
		msg_request_release(&mr);
		return;
	}
	entry = req_find(g, mr.cmd->id);
	if (entry == NULL) {
		gerr_set(&err, GERR_INTERNAL, "no handler for \"%s\"",
		    mr.cmd->name);
		server_reply_error(c, mr.id, &err);
		msg_request_release(&mr);
		return;
	}
	if (g->stopping) {
		gerr_set(&err, GERR_SHUTTING_DOWN, "the daemon is stopping");
		server_reply_error(c, mr.id, &err);
		msg_request_release(&mr);
		return;
	}
	req = req_new(g, c, mr.cmd, mr.json, mr.id);
	mr.json = NULL;
	req_run(req, entry);
}

/* Dispatch complete lines while the client may take more. */
static void
server_client_process(struct client *c)
{
	struct gerr err;
	size_t len;
	char *line;
	int rc;

	while (server_client_ready(c)) {
		gerr_clear(&err);
		rc = framing_next(&c->in, &line, &len, &err);
		if (rc == 0)
			break;
		if (rc != 1) {
			log_warn("client %" PRIu64 " (pid %ld): %s; closing",
			    c->id, (long)c->pid, err.msg);
			server_reply_error(c, NULL, &err);
			server_client_close(c, true, "line too long");
			return;
		}
		if (len > 0)
			server_dispatch(c, line, len);
	}
	if ((c->flags & CLIENT_EOF) && c->pending == NULL &&
	    framing_pending(&c->in) == 0)
		server_client_close(c, true, "end of input");
	else if ((c->flags & CLIENT_EOF) && server_client_ready(c))
		/* A last line without '\n' before EOF: nothing more comes. */
		server_client_close(c, true, "end of input mid-line");
	if (!(c->flags & CLIENT_CLOSING))
		server_client_update_rd(c);
}

static void
server_rd_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct client *c = w->data;
	char buf[SERVER_READ_BYTES];
	struct pollfd pfd;
	ssize_t n;

	(void)loop;
	(void)revents;
	n = read(c->fd, buf, sizeof(buf));
	if (n < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return;
		server_client_close(c, false, strerror(errno));
		return;
	}
	if (n == 0) {
		/* POLLHUP: the peer closed both ways and reads nothing more
		 * (cancel now); else it only shut down writing and still
		 * waits for its replies. */
		pfd.fd = c->fd;
		pfd.events = POLLOUT;
		if (poll(&pfd, 1, 0) == 1 && (pfd.revents & (POLLHUP | POLLERR))) {
			server_client_close(c, false, "peer hung up");
			return;
		}
		c->flags |= CLIENT_EOF;
		ev_io_stop(c->srv->loop, &c->rd);
	} else
		framing_feed(&c->in, buf, (size_t)n);
	server_client_process(c);
}

static void
server_wr_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)loop;
	(void)revents;
	server_client_flush(w->data);
}

/* Best-effort one-line refusal on a socket we will not serve. */
static void
server_refuse(int fd, enum gerr_code code, const char *msg)
{
	struct gerr err;
	char *line;

	gerr_clear(&err);
	gerr_set(&err, code, "%s", msg);
	line = msg_reply_error(NULL, &err);
	if (send(fd, line, strlen(line), MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
		log_debug("%s: send: %s", __func__, strerror(errno));
	free(line);
	close(fd);
}

static void
server_accept_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct server *srv = w->data;
	struct ucred cred;
	socklen_t len = sizeof(cred);
	struct client *c;
	int fd;

	(void)revents;
	fd = accept4(srv->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0) {
		if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
		    errno == ENOMEM) {
			log_warn("accept: %s; pausing accepts for %.0f s",
			    strerror(errno), SERVER_EMFILE_PAUSE_S);
			ev_io_stop(loop, &srv->accept_w);
			ev_timer_set(&srv->accept_pause, SERVER_EMFILE_PAUSE_S,
			    0.0);
			ev_timer_start(loop, &srv->accept_pause);
		} else if (errno != EAGAIN && errno != EWOULDBLOCK &&
		    errno != EINTR && errno != ECONNABORTED)
			log_warn("accept: %s", strerror(errno));
		return;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) {
		log_warn("getsockopt SO_PEERCRED: %s", strerror(errno));
		srv->refused++;
		close(fd);
		return;
	}
	if (cred.uid != getuid()) {
		log_warn("refused a connection from uid %lu (pid %ld): only "
		    "uid %lu may connect", (unsigned long)cred.uid,
		    (long)cred.pid, (unsigned long)getuid());
		srv->refused++;
		close(fd);
		return;
	}
	if (srv->n_clients >= srv->g->cfg.max_clients) {
		log_warn("refused a connection from pid %ld: client.max (%"
		    PRIu64 ") reached", (long)cred.pid, srv->g->cfg.max_clients);
		srv->refused++;
		server_refuse(fd, GERR_BUSY, "too many clients (client.max)");
		return;
	}
	c = xcalloc(1, sizeof(*c));
	c->srv = srv;
	c->fd = fd;
	c->id = ++srv->next_id;
	c->uid = cred.uid;
	c->pid = cred.pid;
	framing_init(&c->in, (size_t)srv->g->cfg.max_line_bytes);
	ev_io_init(&c->rd, server_rd_cb, fd, EV_READ);
	ev_io_init(&c->wr, server_wr_cb, fd, EV_WRITE);
	ev_timer_init(&c->soft_timer, server_soft_timer_cb, 1.0, 0.0);
	c->rd.data = c->wr.data = c->soft_timer.data = c;
	c->next = srv->clients;
	if (c->next != NULL)
		c->next->prev = c;
	srv->clients = c;
	srv->n_clients++;
	srv->accepted++;
	ev_io_start(loop, &c->rd);
	log_debug("%s: client %" PRIu64 " pid %ld", __func__, c->id,
	    (long)c->pid);
}

static void
server_accept_pause_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct server *srv = w->data;

	(void)revents;
	ev_io_start(loop, &srv->accept_w);
}

/*
 * Once per loop turn, before blocking: dispatch lines of clients whose
 * deferred request finished or whose output drained, write queued output,
 * free closed clients, and end the loop when the daemon is stopping.
 */
static void
server_prepare_cb(struct ev_loop *loop, ev_prepare *w, int revents)
{
	struct server *srv = w->data;
	struct client *c, *next;

	(void)revents;
	for (c = srv->clients; c != NULL; c = c->next)
		if (server_client_ready(c) &&
		    (framing_pending(&c->in) > 0 || (c->flags & CLIENT_EOF)))
			server_client_process(c);
	for (c = srv->clients; c != NULL; c = next) {
		next = c->next;
		if (c->out_head != NULL && !ev_is_active(&c->wr) &&
		    (!(c->flags & CLIENT_CLOSING) || (c->flags & CLIENT_FLUSH)))
			server_client_flush(c);
		if ((c->flags & CLIENT_CLOSING) &&
		    (!(c->flags & CLIENT_FLUSH) || c->out_head == NULL ||
		    srv->g->stopping))
			server_client_free(c);
	}
	if (srv->g->stopping)
		ev_break(loop, EVBREAK_ALL);
}

struct server *
server_new(struct ggend *g)
{
	struct server *srv = xcalloc(1, sizeof(*srv));

	srv->g = g;
	srv->loop = g->loop;
	srv->listen_fd = -1;
	ev_prepare_init(&srv->prepare, server_prepare_cb);
	srv->prepare.data = srv;
	ev_timer_init(&srv->accept_pause, server_accept_pause_cb, 1.0, 0.0);
	srv->accept_pause.data = srv;
	return srv;
}

static void
server_start(struct server *srv, int fd)
{
	srv->listen_fd = fd;
	ev_io_init(&srv->accept_w, server_accept_cb, fd, EV_READ);
	srv->accept_w.data = srv;
	ev_io_start(srv->loop, &srv->accept_w);
	ev_prepare_start(srv->loop, &srv->prepare);
}

/* Whether a daemon answers on path: connect succeeds. */
static int
server_probe(const struct sockaddr_un *sa, socklen_t salen, const char *path,
    struct gerr *err)
{
	int fd, rc;

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return gerr_set(err, GERR_IO, "socket: %s", strerror(errno));
	rc = connect(fd, (const struct sockaddr *)sa, salen);
	close(fd);
	if (rc == 0)
		return gerr_set(err, GERR_ALREADY_RUNNING,
		    "ggend is already running on %s", path);
	if (errno == ENOENT)
		return 0;
	if (errno == ECONNREFUSED) {
		log_info("replacing stale socket %s", path);
		if (unlink(path) != 0 && errno != ENOENT)
			return gerr_set(err, GERR_IO, "unlink %s: %s", path,
			    strerror(errno));
		return 0;
	}
	return gerr_set(err, GERR_IO, "connect %s: %s", path, strerror(errno));
}

int
server_listen(struct server *srv, const char *path, struct gerr *err)
{
	struct sockaddr_un sa;
	socklen_t salen;
	mode_t old;
	int fd, rc;

	if (sockpath_addr(path, &sa, &salen, err) != 0)
		return err != NULL ? (int)err->code : GERR_TOO_LARGE;
	rc = server_probe(&sa, salen, path, err);
	if (rc != 0)
		return rc;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return gerr_set(err, GERR_IO, "socket: %s", strerror(errno));
	/* umask makes the socket 0600 from birth: no window at a wider mode. */
	old = umask(0177);
	rc = bind(fd, (const struct sockaddr *)&sa, salen);
	umask(old);
	if (rc != 0) {
		rc = gerr_set(err, errno == EADDRINUSE ? GERR_ALREADY_RUNNING :
		    GERR_IO, "bind %s: %s", path, strerror(errno));
		close(fd);
		return rc;
	}
	if (chmod(path, 0600) != 0 || listen(fd, 128) != 0) {
		rc = gerr_set(err, GERR_IO, "listen %s: %s", path,
		    strerror(errno));
		close(fd);
		unlink(path);
		return rc;
	}
	snprintf(srv->path, sizeof(srv->path), "%s", path);
	srv->owns_path = true;
	server_start(srv, fd);
	return 0;
}

int
server_adopt(struct server *srv, int fd, struct gerr *err)
{
	int type = 0, listening = 0, flags;
	socklen_t len = sizeof(type);
	struct sockaddr_un sa;
	socklen_t salen = sizeof(sa);

	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0 ||
	    type != SOCK_STREAM ||
	    (len = sizeof(listening), getsockopt(fd, SOL_SOCKET,
	    SO_ACCEPTCONN, &listening, &len)) != 0 || !listening ||
	    getsockname(fd, (struct sockaddr *)&sa, &salen) != 0 ||
	    sa.sun_family != AF_UNIX) {
		close(fd);
		return gerr_set(err, GERR_INVALID,
		    "LISTEN_FDS: fd %d is not a listening Unix stream socket",
		    fd);
	}
	flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0 ||
	    fcntl(fd, F_SETFD, FD_CLOEXEC) != 0) {
		close(fd);
		return gerr_set(err, GERR_IO, "fcntl LISTEN_FDS fd: %s",
		    strerror(errno));
	}
	srv->owns_path = false;
	server_start(srv, fd);
	return 0;
}

void
server_free(struct server *srv)
{
	if (srv == NULL)
		return;
	while (srv->clients != NULL)
		server_client_free(srv->clients);
	ev_io_stop(srv->loop, &srv->accept_w);
	ev_timer_stop(srv->loop, &srv->accept_pause);
	ev_prepare_stop(srv->loop, &srv->prepare);
	if (srv->listen_fd >= 0)
		close(srv->listen_fd);
	if (srv->owns_path && unlink(srv->path) != 0)
		log_warn("unlink %s: %s", srv->path, strerror(errno));
	free(srv);
}

void
server_stats(const struct server *srv, struct server_stats *st)
{
	const struct client *c;

	st->clients = srv->n_clients;
	st->accepted = srv->accepted;
	st->dropped = srv->dropped;
	st->refused = srv->refused;
	st->subscribers = 0;
	for (c = srv->clients; c != NULL; c = c->next)
		if (c->flags & CLIENT_SUBSCRIBER)
			st->subscribers++;
}

void
server_publish(struct server *srv, const char *line)
{
	struct client *c;

	for (c = srv->clients; c != NULL; c = c->next)
		if ((c->flags & CLIENT_SUBSCRIBER) &&
		    !(c->flags & CLIENT_CLOSING))
			server_client_write(c, xstrdup(line));
}

void
server_client_subscribe(struct client *c)
{
	c->flags |= CLIENT_SUBSCRIBER;
}

void
server_client_set_pending(struct client *c, struct req *req)
{
	c->pending = req;
	server_client_update_rd(c);
}

void
server_client_request_done(struct client *c, struct req *req)
{
	if (c->pending != req)
		return;
	c->pending = NULL;
	/* Buffered lines are dispatched by server_prepare_cb this turn. */
	if (!(c->flags & CLIENT_CLOSING))
		server_client_update_rd(c);
}
