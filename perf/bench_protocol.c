/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * bench_protocol.c - cost of the daemon's per-request protocol work:
 * framing + UTF-8 check + JSON parse + validation of pipelined requests,
 * and building an ok reply. Prints one JSON object per figure (see
 * perf/meson.build). Never run as a test.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "framing.h"
#include "message.h"
#include "strbuf.h"
#include "xmalloc.h"

#define BENCH_REQUESTS 100000
#define BENCH_REPS 7

static double
bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int
bench_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void
bench_print(const char *figure, double *v)
{
	qsort(v, BENCH_REPS, sizeof(v[0]), bench_cmp);
	printf("{\"bench\":\"protocol\",\"figure\":\"%s\",\"unit\":\"ns/request\","
	    "\"min\":%.1f,\"median\":%.1f,\"max\":%.1f,\"reps\":%d}\n", figure,
	    v[0], v[BENCH_REPS / 2], v[BENCH_REPS - 1], BENCH_REPS);
}

int
main(void)
{
	struct strbuf sb = STRBUF_INIT;
	double parse[BENCH_REPS], reply[BENCH_REPS], t0;
	struct msg_request mr;
	struct framing f;
	cJSON *id, *res;
	size_t len;
	char *line;
	int i, r, n;

	for (i = 0; i < BENCH_REQUESTS; i++)
		strbuf_addf(&sb, "{\"id\":%d,\"cmd\":\"hello\",\"proto\":1,"
		    "\"client\":\"bench\"}\n", i);
	for (r = 0; r < BENCH_REPS; r++) {
		t0 = bench_now_ns();
		framing_init(&f, 0);
		framing_feed(&f, sb.buf, sb.len);
		n = 0;
		while (framing_next(&f, &line, &len, NULL) == 1) {
			if (msg_request_parse(line, len, &mr, NULL) != 0)
				abort();
			msg_request_release(&mr);
			n++;
		}
		framing_release(&f);
		if (n != BENCH_REQUESTS)
			abort();
		parse[r] = (bench_now_ns() - t0) / BENCH_REQUESTS;

		id = cJSON_CreateNumber(1);
		t0 = bench_now_ns();
		for (i = 0; i < BENCH_REQUESTS; i++) {
			res = cJSON_CreateObject();
			cJSON_AddNumberToObject(res, "pid", 4242);
			cJSON_AddStringToObject(res, "version", "0.1.0");
			cJSON_AddNumberToObject(res, "uptime_ms", 123456);
			free(msg_reply_ok(id, res));
		}
		reply[r] = (bench_now_ns() - t0) / BENCH_REQUESTS;
		cJSON_Delete(id);
	}
	bench_print("frame_parse_validate", parse);
	bench_print("build_ok_reply", reply);
	strbuf_release(&sb);
	return 0;
}
