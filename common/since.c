/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * since.c - parse `--since TIME` (ages and ISO 8601 dates) to epoch
 * microseconds. Called by daemon/req_history.c, so that every client gets
 * the same rules and errors. Pure: no globals, no allocation; local dates
 * go through mktime (the process's time zone).
 * Invariant: an error always names the text and the 1-based byte column of
 * the first byte that does not fit.
 */
#include "since.h"

#include <stdbool.h>
#include <string.h>
#include <time.h>

#define SINCE_EXPECTED "expected an age (90s, 30m, 2h, 1d, 2w) or an ISO " \
	"date (2026-11-21, 2026-11-21T14:30[:05][Z])"

/* Ages larger than this (about 300 years) are a typo, not a wish. */
#define SINCE_MAX_AGE_S ((int64_t)300 * 366 * 86400)

static int
since_fail(const char *text, size_t at, struct gerr *err)
{
	return gerr_set_at(err, GERR_INVALID, "since", 1, (int)at + 1,
	    "--since \"%.64s\": %s; found \"%.16s\"", text, SINCE_EXPECTED,
	    text[at] != '\0' ? text + at : "(end)");
}

/* Read exactly n digits at text[*at] into *out, within [lo, hi]: a byte
 * that is no digit is reported where it is, a value out of range at the
 * field's first byte. */
static int
since_field(const char *text, size_t *at, int n, int lo, int hi, int *out,
    struct gerr *err)
{
	size_t start = *at;
	int v = 0, i;

	for (i = 0; i < n; i++) {
		char c = text[start + (size_t)i];

		if (c < '0' || c > '9')
			return since_fail(text, start + (size_t)i, err);
		v = v * 10 + (c - '0');
	}
	if (v < lo || v > hi)
		return since_fail(text, start, err);
	*at = start + (size_t)n;
	*out = v;
	return 0;
}

/* Expect byte c at text[*at]. */
static int
since_sep(const char *text, size_t *at, char c, struct gerr *err)
{
	if (text[*at] != c)
		return since_fail(text, *at, err);
	(*at)++;
	return 0;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (UTC, no tables). */
static int64_t
since_days_from_civil(int y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int
since_days_in_month(int y, int m)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : days[m - 1];
}

static int
since_age(const char *text, size_t at, int64_t n, int64_t now_us,
    int64_t *out_us, struct gerr *err)
{
	static const struct {
		const char *unit;
		int64_t secs;
	} units[] = {
		{ "s", 1 }, { "m", 60 }, { "min", 60 }, { "h", 3600 },
		{ "d", 86400 }, { "w", 7 * 86400 },
	};
	size_t i;

	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (strcmp(text + at, units[i].unit) == 0)
			break;
	if (i == sizeof(units) / sizeof(units[0]))
		return since_fail(text, at, err);
	if (n > SINCE_MAX_AGE_S / units[i].secs)
		return gerr_set_at(err, GERR_INVALID, "since", 1, 1,
		    "--since \"%.64s\": age too large", text);
	*out_us = now_us - n * units[i].secs * 1000000;
	return 0;
}

static int
since_date(const char *text, int64_t *out_us, struct gerr *err)
{
	int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0, rc;
	size_t at = 0;
	bool utc = false;
	struct tm tm;
	time_t t;

	rc = since_field(text, &at, 4, 1970, 9999, &y, err);
	if (rc == 0)
		rc = since_sep(text, &at, '-', err);
	if (rc == 0)
		rc = since_field(text, &at, 2, 1, 12, &mo, err);
	if (rc == 0)
		rc = since_sep(text, &at, '-', err);
	if (rc == 0)
		rc = since_field(text, &at, 2, 1, 31, &d, err);
	if (rc == 0 && d > since_days_in_month(y, mo))
		rc = since_fail(text, at - 2, err);
	if (rc == 0 && (text[at] == 'T' || text[at] == ' ')) {
		at++;
		rc = since_field(text, &at, 2, 0, 23, &h, err);
		if (rc == 0)
			rc = since_sep(text, &at, ':', err);
		if (rc == 0)
			rc = since_field(text, &at, 2, 0, 59, &mi, err);
		if (rc == 0 && text[at] == ':') {
			at++;
			rc = since_field(text, &at, 2, 0, 59, &s, err);
		}
	}
	if (rc == 0 && text[at] == 'Z') {
		utc = true;
		at++;
	}
	if (rc == 0 && text[at] != '\0')
		rc = since_fail(text, at, err);
	if (rc != 0)
		return rc;
	if (utc) {
		*out_us = ((since_days_from_civil(y, mo, d) * 86400) +
		    h * 3600 + mi * 60 + s) * 1000000;
		return 0;
	}
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = s;
	tm.tm_isdst = -1;
	t = mktime(&tm);
	if (t == (time_t)-1)
		return gerr_set_at(err, GERR_INVALID, "since", 1, 1,
		    "--since \"%.64s\": not a representable local time", text);
	*out_us = (int64_t)t * 1000000;
	return 0;
}

int
since_parse(const char *text, int64_t now_us, int64_t *out_us,
    struct gerr *err)
{
	int64_t n = 0;
	size_t at = 0;

	if (text[0] < '0' || text[0] > '9')
		return since_fail(text, 0, err);
	while (text[at] >= '0' && text[at] <= '9') {
		if (n > SINCE_MAX_AGE_S)
			return gerr_set_at(err, GERR_INVALID, "since", 1, 1,
			    "--since \"%.64s\": age too large", text);
		n = n * 10 + (text[at] - '0');
		at++;
	}
	if (text[at] == '-' && at == 4)
		return since_date(text, out_us, err);
	return since_age(text, at, n, now_us, out_us, err);
}
