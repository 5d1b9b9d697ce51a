/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fuzz_dispatch.c - libFuzzer target for the daemon's request path: the
 * input is written by one client connection to a real server (struct ggend
 * built in memory, real request table, real libev loop, a socket in a
 * private temp dir) and the daemon's replies are read until it closes.
 *
 * The daemon is built once per process (static: libFuzzer calls this
 * function millions of times) and removed at exit. Every command is
 * parsed and validated against the protocol table, but only handlers
 * without effects outside the daemon are installed (fuzz_dispatch_safe):
 * `watch /` would crawl the machine, `run` would run a make.toml found
 * anywhere. Watching itself is not started (no watch_new), so root
 * queries answer from an empty set. `shutdown` stays in the
 * table so its reply and the "stopping" path are fuzzed too; the flag is
 * reset after each input so the next one is served normally. Every reply
 * must be one JSON object per line.
 */
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <ev.h>

#include "commands.h"
#include "ggend.h"
#include "log.h"
#include "req.h"
#include "server.h"
#include "xmalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Turns without progress before we hang up: an `events` subscription
 * stays open after our EOF (it only ends with the connection), so the
 * daemon does not close first. A real loop inside the daemon is caught
 * by libFuzzer's -timeout, as the daemon runs on this thread. */
#define FUZZ_DISPATCH_MAX_IDLE 10000

struct fuzz_dispatch {
	char tmp[64];
	char sock[96];
	char *ov[3];
	const struct req_entry **handlers;
	struct ggend g;
};

/* Handlers fuzzed through the real request table (by wire name). */
static const char *const fuzz_dispatch_safe[] = {
	"hello", "status", "shutdown", "roots", "changes", "events",
	"unwatch", "config", "validate",
};

static struct fuzz_dispatch *fuzz_dispatch_state;
static bool fuzz_dispatch_atexit;

static void
fuzz_dispatch_cleanup(void)
{
	struct fuzz_dispatch *d = fuzz_dispatch_state;

	if (d == NULL)
		return;
	ggend_release(&d->g);
	unlink(d->sock);
	rmdir(d->tmp);
	for (int i = 0; i < 3; i++)
		free(d->ov[i]);
	free(d->handlers);
	free(d);
	fuzz_dispatch_state = NULL;
}

static struct fuzz_dispatch *
fuzz_dispatch_get(void)
{
	struct fuzz_dispatch *d = fuzz_dispatch_state;
	struct gerr err;

	if (d != NULL)
		return d;
	d = xcalloc(1, sizeof(*d));
	snprintf(d->tmp, sizeof(d->tmp), "/tmp/ggen-fuzz-XXXXXX");
	if (mkdtemp(d->tmp) == NULL)
		abort();
	snprintf(d->sock, sizeof(d->sock), "%s/s", d->tmp);
	/* Small caps so the over-cap paths run on fuzzer-sized inputs. */
	d->ov[0] = xasprintf("state.dir=%s", d->tmp);
	d->ov[1] = xstrdup("client.max_line_bytes=1024");
	d->ov[2] = xstrdup("log.level=error");
	gerr_clear(&err);
	if (ggend_init(&d->g, ev_default_loop(0), d->ov, 3, &err) != 0)
		abort();
	d->handlers = xcalloc(req_table_len, sizeof(*d->handlers));
	d->g.handlers = d->handlers;
	d->g.n_handlers = 0;
	for (size_t i = 0; i < req_table_len; i++)
		for (size_t j = 0; j < sizeof(fuzz_dispatch_safe) /
		    sizeof(fuzz_dispatch_safe[0]); j++)
			if (strcmp(proto_cmd_get(req_table[i]->proto)->name,
			    fuzz_dispatch_safe[j]) == 0)
				d->handlers[d->g.n_handlers++] = req_table[i];
	snprintf(d->g.socket_path, sizeof(d->g.socket_path), "%s", d->sock);
	snprintf(d->g.state_dir, sizeof(d->g.state_dir), "%s", d->tmp);
	d->g.server = server_new(&d->g);
	if (server_listen(d->g.server, d->sock, &err) != 0)
		abort();
	fuzz_dispatch_state = d;
	if (!fuzz_dispatch_atexit)
		atexit(fuzz_dispatch_cleanup);
	fuzz_dispatch_atexit = true;
	return d;
}

/* Each complete reply line must be a JSON object with "id" or "event". */
static void
fuzz_dispatch_check(const char *buf, size_t len)
{
	const char *p = buf, *nl;

	while ((nl = memchr(p, '\n', len - (size_t)(p - buf))) != NULL) {
		cJSON *j = cJSON_ParseWithLength(p, (size_t)(nl - p));

		if (j == NULL || !cJSON_IsObject(j) ||
		    (cJSON_GetObjectItemCaseSensitive(j, "id") == NULL &&
		    cJSON_GetObjectItemCaseSensitive(j, "event") == NULL))
			abort();
		cJSON_Delete(j);
		p = nl + 1;
	}
	if (p != buf + len)
		abort();	/* a reply without its newline */
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_dispatch *d = fuzz_dispatch_get();
	struct sockaddr_un sa;
	char *out = NULL;
	size_t off = 0, out_len = 0, out_cap = 0;
	int fd, idle = 0;
	bool shut = false;

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		abort();
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", d->sock);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
		abort();
	for (;;) {
		bool progress = false;
		ssize_t n;

		if (off < size) {
			n = send(fd, data + off, size - off, MSG_NOSIGNAL);
			if (n > 0) {
				off += (size_t)n;
				progress = true;
			} else if (n < 0 && errno != EAGAIN)
				break;	/* the daemon closed (line too long) */
		} else if (!shut) {
			shutdown(fd, SHUT_WR);
			shut = true;
		}
		if (d != NULL) {
			ev_run(d->g.loop, EVRUN_NOWAIT);
			if (d->g.stopping) {
				fuzz_dispatch_cleanup();  /* closes our peer */
				d = NULL;
			}
		}
		if (out_cap - out_len < 65536) {
			out_cap = out_cap ? out_cap * 2 : 65536;
			out = xrealloc(out, out_cap);
		}
		n = recv(fd, out + out_len, out_cap - out_len, 0);
		if (n == 0)
			break;
		if (n > 0) {
			out_len += (size_t)n;
			progress = true;
		} else if (errno != EAGAIN)
			break;
		if (progress)
			idle = 0;
		else if (++idle > FUZZ_DISPATCH_MAX_IDLE)
			break;	/* e.g. a subscriber: open until we hang up */
	}
	close(fd);
	/* Let the server notice the close and free the client. */
	for (int i = 0; i < 4 && d != NULL; i++)
		ev_run(d->g.loop, EVRUN_NOWAIT);
	/* A connection cut for a too-long line may end mid-line. */
	if (out_len > 0 && out[out_len - 1] == '\n')
		fuzz_dispatch_check(out, out_len);
	free(out);
	return 0;
}
