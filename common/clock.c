/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * clock.c - clock_gettime in ms and us, and change clock tokens (contract
 * in clock.h). Owns nothing; exists so that every module converts time and
 * clocks the same way. Pure apart from reading the clocks.
 */
#include "clock.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <xxhash.h>

#define CLOCK_TOKEN_EXPECTED "expected a clock (c:<16 hex>:<8 hex>:<digits>)"

static uint64_t
clock_read_us(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

uint64_t
clock_mono_ms(void)
{
	return clock_read_us(CLOCK_MONOTONIC) / 1000;
}

uint64_t
clock_mono_us(void)
{
	return clock_read_us(CLOCK_MONOTONIC);
}

uint64_t
clock_thread_cpu_us(void)
{
	return clock_read_us(CLOCK_THREAD_CPUTIME_ID);
}

uint64_t
clock_wall_ms(void)
{
	return clock_read_us(CLOCK_REALTIME) / 1000;
}

uint64_t
clock_wall_us(void)
{
	return clock_read_us(CLOCK_REALTIME);
}

char *
clock_token_format(const struct clock_token *tok, char *buf)
{
	snprintf(buf, CLOCK_TOKEN_MAX, "c:%016llx:%08lx:%llu",
	    (unsigned long long)tok->instance, (unsigned long)tok->root,
	    (unsigned long long)tok->counter);
	return buf;
}

static int
clock_token_fail(const char *text, size_t at, struct gerr *err)
{
	return gerr_set_at(err, GERR_INVALID, "since", 1, (int)at + 1,
	    "clock \"%.64s\": %s; found \"%.16s\"", text,
	    CLOCK_TOKEN_EXPECTED, text[at] != '\0' ? text + at : "(end)");
}

/* Exactly n hex digits at text[*at], then sep. */
static int
clock_token_hex(const char *text, size_t *at, int n, char sep, uint64_t *out,
    struct gerr *err)
{
	uint64_t v = 0;

	for (int i = 0; i < n; i++) {
		char c = text[*at];
		int d;

		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else
			return clock_token_fail(text, *at, err);
		v = v << 4 | (uint64_t)d;
		(*at)++;
	}
	if (text[*at] != sep)
		return clock_token_fail(text, *at, err);
	(*at)++;
	*out = v;
	return 0;
}

/* Decimal digits from text[*at] to the end, no sign, within uint64_t. */
static int
clock_token_counter(const char *text, size_t at, uint64_t *out,
    struct gerr *err)
{
	unsigned long long v;
	char *end;

	if (text[at] < '0' || text[at] > '9')
		return clock_token_fail(text, at, err);
	errno = 0;
	v = strtoull(text + at, &end, 10);
	if (*end != '\0')
		return clock_token_fail(text, (size_t)(end - text), err);
	if (errno != 0)
		return gerr_set_at(err, GERR_INVALID, "since", 1, (int)at + 1,
		    "clock \"%.64s\": counter out of range", text);
	*out = v;
	return 0;
}

int
clock_token_parse(const char *text, struct clock_token *out,
    struct gerr *err)
{
	uint64_t inst, root;
	size_t at = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	if (text[0] >= '0' && text[0] <= '9') {
		out->legacy = true;
		return clock_token_counter(text, 0, &out->counter, err);
	}
	if (text[0] != 'c' || text[1] != ':')
		return clock_token_fail(text, text[0] == 'c' ? 1 : 0, err);
	at = 2;
	rc = clock_token_hex(text, &at, 16, ':', &inst, err);
	if (rc == 0)
		rc = clock_token_hex(text, &at, 8, ':', &root, err);
	if (rc == 0)
		rc = clock_token_counter(text, at, &out->counter, err);
	if (rc != 0)
		return rc;
	out->instance = inst;
	out->root = (uint32_t)root;
	return 0;
}

uint32_t
clock_root_id(const char *path, size_t len)
{
	uint64_t h = XXH3_64bits(path, len);
	uint32_t id = (uint32_t)(h ^ (h >> 32));

	return id != 0 ? id : 1;
}
