/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * bench_protocol.c - cost of the daemon's per-request protocol work:
 * framing + UTF-8 check + JSON parse + validation of pipelined requests,
 * and building an ok reply. Prints one JSON object per figure (see
 * perf/bench.h). Never run as a test.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "bench.h"
#include "framing.h"
#include "message.h"
#include "strbuf.h"
#include "xmalloc.h"

/* Requests per sample (full run, quick run) and repetitions. */
#define BENCH_PROTOCOL_REQUESTS 100000
#define BENCH_PROTOCOL_REQUESTS_QUICK 10000
#define BENCH_PROTOCOL_REPS 7
#define BENCH_PROTOCOL_REPS_QUICK 3

struct bench_protocol_ctx {
	struct strbuf in;	/* n pipelined hello requests */
	size_t n;
};

static void
bench_protocol_parse(void *arg)
{
	struct bench_protocol_ctx *c = arg;
	struct msg_request mr;
	struct framing f;
	size_t len, n = 0;
	char *line;

	framing_init(&f, 0);
	framing_feed(&f, c->in.buf, c->in.len);
	while (framing_next(&f, &line, &len, NULL) == 1) {
		if (msg_request_parse(line, len, &mr, NULL) != 0)
			abort();
		msg_request_release(&mr);
		n++;
	}
	framing_release(&f);
	if (n != c->n)
		abort();
}

static void
bench_protocol_reply(void *arg)
{
	struct bench_protocol_ctx *c = arg;
	cJSON *id = cJSON_CreateNumber(1), *res;

	for (size_t i = 0; i < c->n; i++) {
		res = cJSON_CreateObject();
		cJSON_AddNumberToObject(res, "pid", 4242);
		cJSON_AddStringToObject(res, "version", "0.1.0");
		cJSON_AddNumberToObject(res, "uptime_ms", 123456);
		free(msg_reply_ok(id, res));
	}
	cJSON_Delete(id);
}

int
main(void)
{
	struct bench_protocol_ctx c = { .in = STRBUF_INIT };
	struct bench_figure f = { .bench = "protocol", .arg = &c };

	c.n = bench_quick() ? BENCH_PROTOCOL_REQUESTS_QUICK :
	    BENCH_PROTOCOL_REQUESTS;
	for (size_t i = 0; i < c.n; i++)
		strbuf_addf(&c.in, "{\"id\":%zu,\"cmd\":\"hello\",\"proto\":1,"
		    "\"client\":\"bench\"}\n", i);
	f.ops = c.n;
	f.reps = bench_reps(BENCH_PROTOCOL_REPS, BENCH_PROTOCOL_REPS_QUICK);
	f.figure = "frame_parse_validate";
	f.body = bench_protocol_parse;
	bench_figure_run(&f);
	f.figure = "build_ok_reply";
	f.body = bench_protocol_reply;
	bench_figure_run(&f);
	strbuf_release(&c.in);
	return 0;
}
