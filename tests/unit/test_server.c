/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests for daemon/server.c + req.c with a real loop and socket:
 * deferred requests keep reply order and stream progress first; a client
 * that disconnects before its deferred reply cancels the request safely.
 * The handler table is swapped for one whose `status` defers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <cmocka.h>

#include <ev.h>

#include "ggend.h"
#include "log.h"
#include "req.h"
#include "req_entries.h"
#include "server.h"
#include "xmalloc.h"

struct server_test {
	char tmp[64];
	char *ov[2];
	struct ggend g;
	int fd;
	char buf[65536];
	size_t len;
};

/* The deferring handler's hand-off: tests are single-threaded. */
static struct req *server_test_held;
static int server_test_cancels;

static void
server_test_cancel(struct req *req, void *arg)
{
	assert_true(req_cancelled(req));
	(*(int *)arg)++;
}

static int
server_test_defer(struct req *req, struct gerr *err)
{
	(void)err;
	req_defer(req, server_test_cancel, &server_test_cancels);
	server_test_held = req;
	return 0;
}

static const struct req_entry server_test_defer_entry = {
	.proto = PROTO_CMD_STATUS, .handler = server_test_defer,
};

static const struct req_entry *const server_test_table[] = {
	&req_hello_entry, &server_test_defer_entry, &req_shutdown_entry,
};

/* Run loop turns until nothing more happens at once. */
static void
server_test_pump(struct server_test *t)
{
	int i;

	for (i = 0; i < 20; i++)
		ev_run(t->g.loop, EVRUN_NOWAIT);
}

/* Append what the daemon has sent so far to t->buf. */
static void
server_test_read(struct server_test *t)
{
	ssize_t n;

	for (;;) {
		n = recv(t->fd, t->buf + t->len, sizeof(t->buf) - 1 - t->len,
		    MSG_DONTWAIT);
		if (n <= 0)
			break;
		t->len += (size_t)n;
	}
	t->buf[t->len] = '\0';
}

static int
server_test_setup(void **state)
{
	struct server_test *t = xcalloc(1, sizeof(*t));
	struct sockaddr_un sa;
	struct gerr err;

	snprintf(t->tmp, sizeof(t->tmp), "/tmp/ggen-ut-XXXXXX");
	assert_non_null(mkdtemp(t->tmp));
	t->ov[0] = xasprintf("socket.path=%s/run/s.sock", t->tmp);
	t->ov[1] = xasprintf("state.dir=%s/state", t->tmp);
	gerr_clear(&err);
	assert_int_equal(ggend_init(&t->g, ev_default_loop(0), t->ov, 2,
	    &err), 0);
	log_set_level(LOG_LEVEL_ERROR);
	t->g.handlers = server_test_table;
	t->g.n_handlers = 3;
	assert_int_equal(ggend_start(&t->g, -1, &err), 0);
	t->fd = socket(AF_UNIX, SOCK_STREAM, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/run/s.sock", t->tmp);
	assert_int_equal(connect(t->fd, (struct sockaddr *)&sa, sizeof(sa)),
	    0);
	server_test_held = NULL;
	server_test_cancels = 0;
	*state = t;
	return 0;
}

static int
server_test_teardown(void **state)
{
	struct server_test *t = *state;
	char path[128];

	if (t->fd >= 0)
		close(t->fd);
	ggend_release(&t->g);
	snprintf(path, sizeof(path), "%s/state", t->tmp);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/run", t->tmp);
	rmdir(path);
	rmdir(t->tmp);
	free(t->ov[0]);
	free(t->ov[1]);
	free(t);
	return 0;
}

/* Send one deferred request and check the handler holds it. */
static void
server_test_defer_one(struct server_test *t)
{
	const char *req = "{\"id\":1,\"cmd\":\"status\"}\n";

	assert_int_equal(write(t->fd, req, strlen(req)), (ssize_t)strlen(req));
	server_test_pump(t);
	assert_non_null(server_test_held);
}

/* The client hangs up; the deferred request must be cancelled. */
static void
server_test_hang_up(struct server_test *t)
{
	close(t->fd);
	t->fd = -1;
	server_test_pump(t);
	assert_int_equal(server_test_cancels, 1);
	assert_true(req_cancelled(server_test_held));
}

static void
test_deferred_keeps_order(void **state)
{
	struct server_test *t = *state;
	const char *req = "{\"id\":1,\"cmd\":\"status\"}\n"
	    "{\"id\":2,\"cmd\":\"hello\",\"proto\":1}\n";
	char *p1, *p2, *p3;

	assert_int_equal(write(t->fd, req, strlen(req)), (ssize_t)strlen(req));
	server_test_pump(t);
	assert_non_null(server_test_held);
	server_test_read(t);
	/* hello waits behind the deferred status. */
	assert_int_equal(t->len, 0);

	req_progress(server_test_held, cJSON_CreateString("half"));
	server_test_pump(t);
	server_test_read(t);
	assert_string_equal(t->buf, "{\"id\":1,\"progress\":\"half\"}\n");

	req_reply_ok(server_test_held, NULL);
	server_test_held = NULL;
	server_test_pump(t);
	server_test_read(t);
	p1 = strstr(t->buf, "\"progress\"");
	p2 = strstr(t->buf, "{\"id\":1,\"ok\":true,\"result\":{}}");
	p3 = strstr(t->buf, "{\"id\":2,\"ok\":true");
	assert_non_null(p1);
	assert_non_null(p2);
	assert_non_null(p3);
	assert_true(p1 < p2 && p2 < p3);
	assert_int_equal(server_test_cancels, 0);
}

static void
test_disconnect_cancels_deferred(void **state)
{
	struct server_test *t = *state;
	struct server_stats st;

	server_test_defer_one(t);
	server_test_hang_up(t);
	server_stats(t->g.server, &st);
	assert_int_equal(st.clients, 0);
	/* Answering a cancelled request only frees it (ASan checks). */
	req_progress(server_test_held, cJSON_CreateString("late"));
	req_reply_ok(server_test_held, cJSON_CreateObject());
	server_test_held = NULL;
	server_test_pump(t);
}

static void
test_cancelled_release_without_reply(void **state)
{
	struct server_test *t = *state;

	server_test_defer_one(t);
	server_test_hang_up(t);
	req_release(server_test_held);
	server_test_held = NULL;
}

static void
test_shutdown_while_deferred(void **state)
{
	struct server_test *t = *state;

	server_test_defer_one(t);
	/* Releasing the daemon cancels what is still deferred. */
	server_free(t->g.server);
	t->g.server = NULL;
	assert_int_equal(server_test_cancels, 1);
	req_reply_ok(server_test_held, NULL);
	server_test_held = NULL;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_deferred_keeps_order,
		    server_test_setup, server_test_teardown),
		cmocka_unit_test_setup_teardown(test_disconnect_cancels_deferred,
		    server_test_setup, server_test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_cancelled_release_without_reply, server_test_setup,
		    server_test_teardown),
		cmocka_unit_test_setup_teardown(test_shutdown_while_deferred,
		    server_test_setup, server_test_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
