/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * framing.c - NDJSON line splitting with a size cap.
 *
 * Owns: one strbuf per connection. Called by the daemon's server (per read)
 * and by ggenc (per reply read), and by the framing unit test and fuzzer.
 * Invariants: buf.buf[pos .. pos + scanned) holds no '\n'; while discarding,
 * nothing before the next '\n' is kept; the buffer never holds more than
 * max_line bytes of one unfinished line once framing_next has run, so a
 * peer that never sends '\n' cannot grow it past max_line + one feed.
 * Consumed bytes are dropped lazily on the next feed so that returned lines
 * stay valid until then (the daemon parses each line in place).
 */
#include "framing.h"

#include <string.h>

void
framing_init(struct framing *f, size_t max_line)
{
	strbuf_init(&f->buf);
	f->pos = 0;
	f->scanned = 0;
	f->max_line = max_line ? max_line : FRAMING_DEFAULT_MAX_LINE;
	f->discarding = false;
}

void
framing_release(struct framing *f)
{
	strbuf_release(&f->buf);
	f->pos = f->scanned = 0;
	f->discarding = false;
}

void
framing_feed(struct framing *f, const void *data, size_t len)
{
	const char *p = data;
	const char *nl;

	if (f->pos > 0) {
		strbuf_consume(&f->buf, f->pos);
		f->pos = 0;
	}
	if (f->discarding) {
		/* Drop the rest of an over-cap line without buffering it. */
		nl = memchr(p, '\n', len);
		if (nl == NULL)
			return;
		f->discarding = false;
		len -= (size_t)(nl + 1 - p);
		p = nl + 1;
	}
	strbuf_add(&f->buf, p, len);
}

int
framing_next(struct framing *f, char **line, size_t *len, struct gerr *err)
{
	char *start, *nl;
	size_t avail, n;

	start = f->buf.buf + f->pos;
	avail = f->buf.len - f->pos;
	nl = memchr(start + f->scanned, '\n', avail - f->scanned);
	if (nl == NULL) {
		f->scanned = avail;
		if (avail <= f->max_line)
			return 0;
		/* Over the cap with no end in sight: drop and resync. */
		f->pos = f->buf.len;
		f->scanned = 0;
		f->discarding = true;
		return gerr_set(err, GERR_LINE_TOO_LONG,
		    "line longer than %zu bytes", f->max_line);
	}
	n = (size_t)(nl - start);
	f->pos += n + 1;
	f->scanned = 0;
	if (n > 0 && start[n - 1] == '\r')
		n--;
	if (n > f->max_line)
		return gerr_set(err, GERR_LINE_TOO_LONG,
		    "line longer than %zu bytes", f->max_line);
	start[n] = '\0';
	*line = start;
	*len = n;
	return 1;
}

size_t
framing_pending(const struct framing *f)
{
	return f->buf.len - f->pos;
}
