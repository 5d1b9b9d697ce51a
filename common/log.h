/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * log.h - leveled, one-line-per-record logging to stderr.
 *
 * The level and the sink are process-wide (the one sanctioned global besides
 * the libinotifytools wrapper): set them in main(), change them only from the
 * loop thread. Logging itself is thread-safe (one write(2) per record).
 *
 * The macros test the level before evaluating their arguments, so a DEBUG
 * line costs a comparison when debug is off. Control bytes in the formatted
 * text are escaped (\xNN) so a hostile file name cannot forge log lines.
 * Never log file contents, environment values or secret config values.
 */
#ifndef GGEN_LOG_H
#define GGEN_LOG_H

#include <stdbool.h>

enum log_level {
	LOG_LEVEL_ERROR = 0,	/* work or data at risk */
	LOG_LEVEL_WARN,		/* degraded but running */
	LOG_LEVEL_INFO,		/* lifecycle, one line per run */
	LOG_LEVEL_DEBUG,	/* per event; prefix with __func__ */
};

extern enum log_level log_current_level;

void log_set_level(enum log_level level);
const char *log_level_name(enum log_level level);
/* Program name at the start of each record (default "ggen"); borrowed forever. */
void log_set_ident(const char *ident);
/* Prefix each record with a timestamp (off by default: journald adds one). */
void log_set_timestamps(bool on);

void log_write(enum log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#define log_at(lvl, ...) do {						\
	if ((lvl) <= log_current_level)					\
		log_write((lvl), __VA_ARGS__);				\
} while (0)
#define log_error(...) log_at(LOG_LEVEL_ERROR, __VA_ARGS__)
#define log_warn(...) log_at(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_info(...) log_at(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(...) log_at(LOG_LEVEL_DEBUG, __VA_ARGS__)

/* Log at ERROR and abort: only at startup or on a broken invariant. */
void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
