/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * log.c - the logger: level, sink fd, record formatting.
 *
 * Owns the process-wide level and sink (see log.h for who may change them).
 * A record is formatted into a fixed stack buffer, escaped, and written with a
 * single write(2) so concurrent records from worker threads never interleave
 * within a line. Overlong records are truncated with "...", never split.
 */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define LOG_RECORD_MAX 2048

enum log_level log_current_level = LOG_LEVEL_INFO;
#define LOG_FD 2
static bool log_timestamps;
static const char *log_ident = "ggen";

static const char *const log_names[] = { "error", "warn", "info", "debug" };

void
log_set_level(enum log_level level)
{
	log_current_level = level;
}

const char *
log_level_name(enum log_level level)
{
	if ((unsigned)level >= sizeof log_names / sizeof log_names[0])
		return "?";
	return log_names[level];
}

void
log_set_ident(const char *ident)
{
	log_ident = ident;
}

void
log_set_timestamps(bool on)
{
	log_timestamps = on;
}

/* Copy src into dst escaping control bytes; returns bytes written. */
static size_t
log_escape(char *dst, size_t cap, const char *src)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;

	for (const unsigned char *s = (const unsigned char *)src; *s; s++) {
		if (*s < 0x20 || *s == 0x7f) {
			if (o + 4 >= cap)
				break;
			dst[o++] = '\\';
			dst[o++] = 'x';
			dst[o++] = hex[*s >> 4];
			dst[o++] = hex[*s & 15];
		} else {
			if (o + 1 >= cap)
				break;
			dst[o++] = (char)*s;
		}
	}
	dst[o] = '\0';
	return o;
}

static void
log_vwrite(enum log_level level, const char *fmt, va_list ap)
{
	char raw[LOG_RECORD_MAX], line[LOG_RECORD_MAX + 64];
	size_t n = 0;
	int r;

	if (log_timestamps) {
		struct timespec ts;
		struct tm tm;

		clock_gettime(CLOCK_REALTIME, &ts);
		gmtime_r(&ts.tv_sec, &tm);
		n += strftime(line, sizeof line, "%Y-%m-%dT%H:%M:%S", &tm);
		n += (size_t)snprintf(line + n, sizeof line - n, ".%03ldZ ",
		    ts.tv_nsec / 1000000);
	}
	n += (size_t)snprintf(line + n, sizeof line - n, "%s[%ld] %s: ",
	    log_ident, (long)getpid(), log_level_name(level));
	r = vsnprintf(raw, sizeof raw, fmt, ap);
	if (r >= (int)sizeof raw)
		memcpy(raw + sizeof raw - 4, "...", 4);
	n += log_escape(line + n, sizeof line - n - 1, raw);
	line[n++] = '\n';
	/* A failed log write has nowhere to be reported; ignoring it is right. */
	if (write(LOG_FD, line, n) < 0)
		return;
}

void
log_write(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(level, fmt, ap);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(LOG_LEVEL_ERROR, fmt, ap);
	va_end(ap);
	abort();
}
