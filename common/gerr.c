/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * gerr.c - filling and formatting struct gerr.
 *
 * Pure and allocation-free by design: error paths run when memory or file
 * descriptors may already be short, and a report must still get out.
 */
#include "gerr.h"

#include <stdio.h>
#include <string.h>

void
gerr_clear(struct gerr *err)
{
	if (err == NULL)
		return;
	err->code = GERR_OK;
	err->line = err->col = 0;
	err->file[0] = '\0';
	err->msg[0] = '\0';
}

int
gerr_vset_at(struct gerr *err, enum gerr_code code, const char *file,
    int line, int col, const char *fmt, va_list ap)
{
	if (err == NULL || err->code != GERR_OK)
		return code;
	err->code = code;
	err->line = line;
	err->col = col;
	snprintf(err->file, sizeof err->file, "%s", file != NULL ? file : "");
	vsnprintf(err->msg, sizeof err->msg, fmt, ap);
	return code;
}

int
gerr_set_at(struct gerr *err, enum gerr_code code, const char *file,
    int line, int col, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	gerr_vset_at(err, code, file, line, col, fmt, ap);
	va_end(ap);
	return code;
}

int
gerr_set(struct gerr *err, enum gerr_code code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	gerr_vset_at(err, code, NULL, 0, 0, fmt, ap);
	va_end(ap);
	return code;
}

const char *
gerr_format(const struct gerr *err, char *buf, unsigned long size)
{
	if (size == 0)
		return buf;
	if (err->file[0] != '\0' && err->line > 0 && err->col > 0)
		snprintf(buf, size, "%s:%d:%d: %s", err->file, err->line,
		    err->col, err->msg);
	else if (err->file[0] != '\0' && err->line > 0)
		snprintf(buf, size, "%s:%d: %s", err->file, err->line,
		    err->msg);
	else if (err->file[0] != '\0')
		snprintf(buf, size, "%s: %s", err->file, err->msg);
	else
		snprintf(buf, size, "%s", err->msg);
	return buf;
}
