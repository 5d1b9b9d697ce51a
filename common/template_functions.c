/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * template_functions.c - Tera's global functions: range, now, throw,
 * get_env, get_random. Named arguments as in Tera; rows in
 * template_filters.c's table (kind TEMPLATE_FUNCTION). What they read of
 * the world comes in struct template_fn_ctx: the environment is the
 * render's env map (never getenv), now() reads the clock unless
 * SOURCE_DATE_EPOCH is set in that map (then it is reproducible, in UTC).
 * ggen's RDF functions are named as unsupported.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gerr.h"
#include "template_filters_int.h"

static int
template_functions_int(const struct tvalue *v, int64_t dflt, int64_t *out,
    const char *name, char *msg, size_t msgsz)
{
	if (v == NULL) {
		*out = dflt;
		return 0;
	}
	if (v->type != TVALUE_INT)
		return template_filters_fail(msg, msgsz, "`%s` must be an "
		    "integer, found %s", name, tvalue_type_name(v->type));
	*out = v->u.i;
	return 0;
}

TEMPLATE_FUNCTIONS_FN(template_functions_range)
{
	int64_t end = 0, start = 0, step = 1;
	uint64_t count;
	int rc;

	rc = template_functions_int(args[0], 0, &end, "end", msg, msgsz);
	if (rc == 0)
		rc = template_functions_int(args[1], 0, &start, "start", msg,
		    msgsz);
	if (rc == 0)
		rc = template_functions_int(args[2], 1, &step, "step_by", msg,
		    msgsz);
	if (rc != 0)
		return rc;
	if (step <= 0)
		return template_filters_fail(msg, msgsz, "`step_by` must be "
		    "positive");
	if (start > end)
		return template_filters_fail(msg, msgsz, "`start` (%lld) is "
		    "greater than `end` (%lld)", (long long)start,
		    (long long)end);
	count = end > start ? ((uint64_t)end - (uint64_t)start +
	    (uint64_t)step - 1) / (uint64_t)step : 0;
	if (count > c->budget) {
		template_filters_fail(msg, msgsz, "range of %llu items is over "
		    "the iteration cap (%llu left)", (unsigned long long)count,
		    (unsigned long long)c->budget);
		return GERR_LIMIT;
	}
	*out = tvalue_array_new();
	for (uint64_t i = 0; i < count; i++)
		tvalue_array_push(*out, tvalue_int(start + (int64_t)i * step));
	return 0;
}

TEMPLATE_FUNCTIONS_FN(template_functions_now)
{
	const struct tvalue *sde = c->env != NULL ?
	    tvalue_map_get(c->env, "SOURCE_DATE_EPOCH") : NULL;
	struct timespec ts;
	bool utc = args[1] != NULL && args[1]->type == TVALUE_BOOL &&
	    args[1]->u.b;
	char buf[128], frac[32] = "", off[32] = "+00:00";
	struct tm tm;

	if ((args[0] != NULL && args[0]->type != TVALUE_BOOL) ||
	    (args[1] != NULL && args[1]->type != TVALUE_BOOL))
		return template_filters_fail(msg, msgsz, "`timestamp` and `utc` "
		    "must be booleans");
	if (sde != NULL && sde->type == TVALUE_STRING) {
		char *end;
		long long v = strtoll(sde->u.str.s, &end, 10);

		if (*end != '\0' || end == sde->u.str.s)
			return template_filters_fail(msg, msgsz,
			    "SOURCE_DATE_EPOCH `%.40s` is not an integer",
			    sde->u.str.s);
		ts.tv_sec = (time_t)v;
		ts.tv_nsec = 0;
		utc = true;
	} else
		clock_gettime(CLOCK_REALTIME, &ts);
	if (args[0] != NULL && args[0]->u.b) {
		*out = tvalue_int((int64_t)ts.tv_sec);
		return 0;
	}
	if (utc ? gmtime_r(&ts.tv_sec, &tm) == NULL :
	    localtime_r(&ts.tv_sec, &tm) == NULL)
		return template_filters_fail(msg, msgsz, "time out of range");
	if (!utc) {
		long o = tm.tm_gmtoff;

		snprintf(off, sizeof off, "%c%02ld:%02ld", o < 0 ? '-' : '+',
		    labs(o) / 3600, labs(o) % 3600 / 60);
	}
	/* chrono's to_rfc3339: 0, 3, 6 or 9 fraction digits as needed. */
	if (ts.tv_nsec % 1000000 == 0 && ts.tv_nsec != 0)
		snprintf(frac, sizeof frac, ".%03ld", ts.tv_nsec / 1000000);
	else if (ts.tv_nsec % 1000 == 0 && ts.tv_nsec != 0)
		snprintf(frac, sizeof frac, ".%06ld", ts.tv_nsec / 1000);
	else if (ts.tv_nsec != 0)
		snprintf(frac, sizeof frac, ".%09ld", ts.tv_nsec);
	snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d%s%s",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, frac, off);
	*out = tvalue_string(buf);
	return 0;
}

TEMPLATE_FUNCTIONS_FN(template_functions_throw)
{
	(void)c;
	(void)out;
	if (args[0]->type != TVALUE_STRING)
		return template_filters_fail(msg, msgsz, "`message` must be a "
		    "string");
	return template_filters_fail(msg, msgsz, "%s", args[0]->u.str.s);
}

TEMPLATE_FUNCTIONS_FN(template_functions_get_env)
{
	const struct tvalue *v;

	if (args[0]->type != TVALUE_STRING)
		return template_filters_fail(msg, msgsz, "`name` must be a "
		    "string");
	v = c->env != NULL ? tvalue_map_getn(c->env, args[0]->u.str.s,
	    args[0]->u.str.len) : NULL;
	if (v == NULL)
		v = args[1];
	if (v == NULL) {
		template_filters_fail(msg, msgsz, "environment variable `%.60s` "
		    "not found", args[0]->u.str.s);
		return GERR_UNDEFINED;
	}
	*out = tvalue_ref((struct tvalue *)v);
	return 0;
}

/* xorshift64*: get_random needs no quality beyond "varies". */
TEMPLATE_FUNCTIONS_FN(template_functions_get_random)
{
	int64_t start = 0, end = 0;
	uint64_t x;
	int rc;

	rc = template_functions_int(args[1], 0, &end, "end", msg, msgsz);
	if (rc == 0)
		rc = template_functions_int(args[0], 0, &start, "start", msg,
		    msgsz);
	if (rc != 0)
		return rc;
	if (args[1] == NULL)
		return template_filters_fail(msg, msgsz, "needs argument `end`");
	if (end <= start)
		return template_filters_fail(msg, msgsz, "`end` must be greater "
		    "than `start`");
	if (*c->rng == 0) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		*c->rng = ((uint64_t)ts.tv_sec << 30) ^ (uint64_t)ts.tv_nsec ^
		    (uint64_t)(uintptr_t)c;
		if (*c->rng == 0)
			*c->rng = 1;
	}
	x = *c->rng;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*c->rng = x;
	x *= 0x2545f4914f6cdd1dull;
	*out = tvalue_int(start + (int64_t)(x % ((uint64_t)end -
	    (uint64_t)start)));
	return 0;
}

const char *
template_functions_unsupported(const char *name, size_t len)
{
	if ((len >= 6 && memcmp(name, "sparql", 6) == 0) ||
	    (len >= 10 && memcmp(name, "schema_to_", 10) == 0))
		return "ggen's RDF/SPARQL functions are not supported by ggend's "
		    "template engine (examples/TEMPLATES.md)";
	return NULL;
}
