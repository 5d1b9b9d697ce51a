/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * template_filters_date.c - Tera's `date` filter: format (chrono's
 * strftime, default "%Y-%m-%d") and timezone (an IANA name, read from the
 * system's zoneinfo, /usr/share/zoneinfo; Debian package tzdata).
 *
 * Inputs, as Tera: a number is a UTC timestamp (seconds); a string is
 * RFC 3339 with a `T` (its offset is kept: 23:59+05:30 prints 23:59 and %z +0530),
 * a naive "YYYY-MM-DDTHH:MM:SS" or a "YYYY-MM-DD" date, both taken as UTC
 * (timezone= does not move them, as in Tera). timezone= converts a
 * timestamp or an RFC 3339 time into that zone.
 *
 * chrono's specifiers that C's strftime lacks or spells differently are
 * expanded here: %z %:z %Z (the zone's abbreviation, or the offset for a
 * fixed offset), %f %.3f %.6f %.9f %s, and %U/%W with the week formula of
 * the chrono the corpus was recorded with ((ordinal - weekday + 7) / 7).
 * The rest goes to strftime with a struct tm of the local wall time in
 * the C locale's names (never the process locale: names are ours).
 * Past a zone's last transition the last rule stays in force.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "genout.h"
#include "gerr.h"
#include "template_filters_int.h"

#define TEMPLATE_TZ_DIR "/usr/share/zoneinfo"
#define TEMPLATE_TZ_MAX_BYTES (1u << 20)

struct template_date {
	int64_t utc;		/* seconds since the epoch */
	long nsec;
	int32_t off;		/* seconds east of UTC */
	char abbr[16];		/* %Z */
};

static int64_t
template_tz_be(const unsigned char *p, int n)
{
	uint64_t v = 0;

	for (int i = 0; i < n; i++)
		v = (v << 8) | p[i];
	if (n == 4)
		return (int32_t)(uint32_t)v;
	return (int64_t)v;
}

/* Offset and abbreviation of zone `name` at utc, from its TZif file. */
static int
template_tz_lookup(const char *name, int64_t utc, int32_t *off, char *abbr,
    size_t abbrsz, char *msg, size_t msgsz)
{
	char path[512], *buf = NULL;
	const unsigned char *p, *end;
	size_t len = 0;
	bool exists = false;
	struct gerr err = { 0 };
	int64_t cnt[6];
	int tsize = 4, type = 0;

	for (const char *c = name; *c != '\0'; c++)
		if (!((*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') ||
		    (*c >= '0' && *c <= '9') || *c == '/' || *c == '_' ||
		    *c == '-' || *c == '+') || (c[0] == '/' && c[1] == '/'))
			goto bad;
	if (name[0] == '\0' || name[0] == '/' || strstr(name, "..") != NULL)
		goto bad;
	snprintf(path, sizeof path, "%s/%s", TEMPLATE_TZ_DIR, name);
	if (genout_read(path, TEMPLATE_TZ_MAX_BYTES, &buf, &len, &exists,
	    &err) != 0 || !exists)
		goto bad;
	p = (const unsigned char *)buf;
	end = p + len;
	if (len < 44 || memcmp(p, "TZif", 4) != 0)
		goto bad;
	for (int pass = 0; pass < 2; pass++) {
		size_t body;

		if (end - p < 44 || memcmp(p, "TZif", 4) != 0)
			goto bad;
		for (int i = 0; i < 6; i++)
			cnt[i] = template_tz_be(p + 20 + 4 * i, 4);
		/* isutcnt isstdcnt leapcnt timecnt typecnt charcnt */
		body = (size_t)(cnt[3] * tsize + cnt[3] + cnt[4] * 6 + cnt[5] +
		    cnt[2] * (tsize + 4) + cnt[1] + cnt[0]);
		if (cnt[4] < 1 || (size_t)(end - p - 44) < body)
			goto bad;
		if (pass == 0 && p[4] >= '2') {
			p += 44 + body;	/* skip the 32-bit block */
			tsize = 8;
			continue;
		}
		break;
	}
	{
		const unsigned char *times = p + 44;
		const unsigned char *idx = times + cnt[3] * tsize;
		const unsigned char *types = idx + cnt[3];
		const unsigned char *chars = types + cnt[4] * 6;
		int64_t i;

		/* Before the first transition: the first non-DST type. */
		for (type = 0; type < cnt[4] && types[type * 6 + 4]; type++)
			;
		if (type == cnt[4])
			type = 0;
		for (i = 0; i < cnt[3]; i++) {
			if (template_tz_be(times + i * tsize, tsize) > utc)
				break;
			type = idx[i];
		}
		if (type >= cnt[4])
			goto bad;
		*off = (int32_t)template_tz_be(types + type * 6, 4);
		{
			unsigned ai = types[type * 6 + 5];
			size_t k = 0;

			while (ai + k < (unsigned)cnt[5] && chars[ai + k] != '\0'
			    && k + 1 < abbrsz) {
				abbr[k] = (char)chars[ai + k];
				k++;
			}
			abbr[k] = '\0';
		}
	}
	free(buf);
	return 0;
bad:
	free(buf);
	return template_filters_fail(msg, msgsz, "error parsing `%.60s` as a "
	    "timezone (an IANA name from %s)", name, TEMPLATE_TZ_DIR);
}

static bool
template_date_digits(const char *s, int n, int *out)
{
	*out = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		*out = *out * 10 + (s[i] - '0');
	}
	return true;
}

/* RFC 3339, naive date-time or date; *fixed: an offset was written. */
static bool
template_date_parse(const char *s, struct template_date *d, bool *fixed)
{
	struct tm tm = { 0 };
	int y, mo, day, h = 0, mi = 0, sec = 0, oh, om;

	*fixed = false;
	d->off = 0;
	d->nsec = 0;
	if (strlen(s) < 10 || !template_date_digits(s, 4, &y) || s[4] != '-' ||
	    !template_date_digits(s + 5, 2, &mo) || s[7] != '-' ||
	    !template_date_digits(s + 8, 2, &day))
		return false;
	s += 10;
	if (*s == 'T' || *s == 't') {
		if (strlen(s + 1) < 8 || !template_date_digits(s + 1, 2, &h) ||
		    s[3] != ':' || !template_date_digits(s + 4, 2, &mi) ||
		    s[6] != ':' || !template_date_digits(s + 7, 2, &sec))
			return false;
		s += 9;
		if (*s == '.') {
			long scale = 100000000;

			for (s++; *s >= '0' && *s <= '9'; s++, scale /= 10)
				d->nsec += (*s - '0') * scale;
		}
		if (*s == 'Z' || *s == 'z') {
			*fixed = true;
			s++;
		} else if (*s == '+' || *s == '-') {
			if (strlen(s) < 6 || !template_date_digits(s + 1, 2, &oh) ||
			    s[3] != ':' || !template_date_digits(s + 4, 2, &om))
				return false;
			d->off = (oh * 3600 + om * 60) * (*s == '-' ? -1 : 1);
			*fixed = true;
			s += 6;
		}
	}
	if (*s != '\0' || mo < 1 || mo > 12 || day < 1 || day > 31 || h > 23 ||
	    mi > 59 || sec > 60)
		return false;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = day;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	d->utc = (int64_t)timegm(&tm) - d->off;
	return true;
}

static void
template_date_offset(int32_t off, bool colon, char *buf, size_t size)
{
	int32_t a = off < 0 ? -off : off;

	snprintf(buf, size, colon ? "%c%02d:%02d" : "%c%02d%02d",
	    off < 0 ? '-' : '+', (int)(a / 3600), (int)(a % 3600 / 60));
}

/* Append piece to fmt with every '%' doubled (passes strftime as text). */
static void
template_date_lit(struct strbuf *fmt, const char *piece)
{
	for (; *piece != '\0'; piece++) {
		if (*piece == '%')
			strbuf_addch(fmt, '%');
		strbuf_addch(fmt, *piece);
	}
}

TEMPLATE_FILTERS_FN(template_filters_date)
{
	const char *f = args[0] != NULL ? args[0]->u.str.s : "%Y-%m-%d";
	struct template_date d = { 0 };
	struct strbuf fmt = STRBUF_INIT;
	char buf[256 * 64], piece[64];
	struct tm tm;
	time_t local;
	bool fixed = false;
	size_t n;
	int rc;

	if ((args[0] != NULL && args[0]->type != TVALUE_STRING) ||
	    (args[1] != NULL && args[1]->type != TVALUE_STRING))
		return template_filters_fail(msg, msgsz, "`format` and "
		    "`timezone` must be strings");
	if (strlen(f) > 256)
		return template_filters_fail(msg, msgsz, "`format` longer than "
		    "256 bytes");
	strcpy(d.abbr, "UTC");
	if (in->type == TVALUE_INT) {
		if (in->u.i < -(int64_t)1e15 || in->u.i > (int64_t)1e15)
			return template_filters_fail(msg, msgsz, "timestamp out "
			    "of range");
		d.utc = in->u.i;
	} else if (in->type == TVALUE_DOUBLE) {
		/* Years far past chrono's range are refused, not cast. */
		if (!(in->u.d > -1e15 && in->u.d < 1e15))
			return template_filters_fail(msg, msgsz, "timestamp out "
			    "of range");
		d.utc = (int64_t)in->u.d;
	} else if (in->type == TVALUE_STRING) {
		if (!template_date_parse(in->u.str.s, &d, &fixed))
			return template_filters_fail(msg, msgsz, "`%.40s` is not "
			    "a date (YYYY-MM-DD, YYYY-MM-DDTHH:MM:SS or RFC "
			    "3339)", in->u.str.s);
		if (fixed && d.off != 0)
			template_date_offset(d.off, true, d.abbr,
			    sizeof d.abbr);
	} else
		return template_filters_fail(msg, msgsz, "expected a timestamp "
		    "or a date string, found %s", tvalue_type_name(in->type));
	/* Tera converts timestamps and RFC 3339 times; naive ones stay. */
	if (args[1] != NULL && (in->type != TVALUE_STRING || fixed)) {
		rc = template_tz_lookup(args[1]->u.str.s, d.utc, &d.off, d.abbr,
		    sizeof d.abbr, msg, msgsz);
		if (rc != 0)
			return rc;
	}
	local = (time_t)(d.utc + d.off);
	if (gmtime_r(&local, &tm) == NULL)
		return template_filters_fail(msg, msgsz, "timestamp out of "
		    "range");
	for (const char *p = f; *p != '\0'; p++) {
		if (*p != '%' || p[1] == '\0') {
			strbuf_addch(&fmt, *p);
			continue;
		}
		p++;
		piece[0] = '\0';
		switch (*p) {
		case 'z':
			template_date_offset(d.off, false, piece, sizeof piece);
			break;
		case ':':
			if (p[1] == 'z') {
				p++;
				template_date_offset(d.off, true, piece,
				    sizeof piece);
			} else
				snprintf(piece, sizeof piece, "%%:");
			break;
		case 'Z':
			snprintf(piece, sizeof piece, "%s", d.abbr);
			break;
		case 'f':
			snprintf(piece, sizeof piece, "%09ld", d.nsec);
			break;
		case '.':
			if ((p[1] == '3' || p[1] == '6' || p[1] == '9') &&
			    p[2] == 'f') {
				int digits = p[1] - '0';
				long v = d.nsec;

				for (int i = digits; i < 9; i++)
					v /= 10;
				snprintf(piece, sizeof piece, ".%0*ld", digits, v);
				p += 2;
			} else if (p[1] == 'f') {
				snprintf(piece, sizeof piece, ".%09ld", d.nsec);
				p++;
			} else
				snprintf(piece, sizeof piece, "%%.");
			break;
		case 's':
			snprintf(piece, sizeof piece, "%lld", (long long)d.utc);
			break;
		case 'U':
		case 'W': {
			int wd = *p == 'U' ? tm.tm_wday : (tm.tm_wday + 6) % 7;

			snprintf(piece, sizeof piece, "%02d",
			    (tm.tm_yday + 1 - wd + 7) / 7);
			break;
		}
		default:
			strbuf_addch(&fmt, '%');
			strbuf_addch(&fmt, *p);
			continue;
		}
		if (piece[0] == '%')
			strbuf_addstr(&fmt, piece);	/* passed through */
		else
			template_date_lit(&fmt, piece);
	}
	/* Each specifier expands to at most 64 bytes and the format is at
	 * most 256: buf always has room, so 0 means an empty result. */
	buf[0] = '\0';
	n = fmt.len > 0 ? strftime(buf, sizeof buf, fmt.buf, &tm) : 0;
	strbuf_release(&fmt);
	*out = tvalue_stringn(buf, n);
	return 0;
}
