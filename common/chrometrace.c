/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * chrometrace.c - Chrome trace-event JSON for one run.
 *
 * Owns nothing beyond one call: a growing output buffer and the workspace ->
 * tid table. Called by the daemon's `trace` request handler (or ggenc) with
 * spanrec arrays from daemon/history.
 *
 * Written by hand with strbuf rather than through cJSON: the output is a
 * flat list, and this keeps every allocation on xmalloc. Invariant: every
 * string from the input goes through chrometrace_str, so the output is valid
 * JSON whatever bytes names hold (invalid UTF-8 bytes become U+FFFD).
 */
#include "chrometrace.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"
#include "xmalloc.h"

/* Length of a well-formed UTF-8 sequence at s (n bytes left), 0 if none. */
static size_t
chrometrace_utf8_len(const unsigned char *s, size_t n)
{
	size_t len, i;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4;
	else
		return 0;
	if (n < len)
		return 0;
	cp = s[0] & (0x7f >> len);
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	/* Overlong, surrogate or past U+10FFFF. */
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return len;
}

static void
chrometrace_str(struct strbuf *sb, const char *s)
{
	const unsigned char *p = (const unsigned char *)(s != NULL ? s : "");
	size_t n = strlen((const char *)p), k;

	strbuf_addch(sb, '"');
	while (n > 0) {
		if (*p == '"' || *p == '\\') {
			strbuf_addch(sb, '\\');
			strbuf_addch(sb, *p);
		} else if (*p < 0x20) {
			strbuf_addf(sb, "\\u%04x", *p);
		} else if ((k = chrometrace_utf8_len(p, n)) == 0) {
			strbuf_addstr(sb, "\\ufffd");
		} else {
			strbuf_add(sb, p, k);
			p += k;
			n -= k;
			continue;
		}
		p++;
		n--;
	}
	strbuf_addch(sb, '"');
}

/* tid for a workspace: 1-based index in order of first appearance. */
static unsigned
chrometrace_tid(const char ***ws, size_t *n_ws, const char *name)
{
	size_t i;

	if (name == NULL)
		name = "";
	/* Linear: a root has a handful of workspaces, not thousands. */
	for (i = 0; i < *n_ws; i++)
		if (strcmp((*ws)[i], name) == 0)
			return (unsigned)i + 1;
	*ws = xreallocarray(*ws, *n_ws + 1, sizeof(**ws));
	(*ws)[(*n_ws)++] = name;
	return (unsigned)*n_ws;
}

static void
chrometrace_meta(struct strbuf *sb, const char *what, unsigned tid,
    const char *name)
{
	strbuf_addf(sb, ",\n{\"name\":\"%s\",\"ph\":\"M\",\"pid\":1,"
	    "\"tid\":%u,\"args\":{\"name\":", what, tid);
	chrometrace_str(sb, name);
	strbuf_addstr(sb, "}}");
}

char *
chrometrace_render(const struct chrometrace_run *run,
    const struct spanrec *spans, size_t n, size_t *len)
{
	struct strbuf sb = STRBUF_INIT, title = STRBUF_INIT;
	const char **ws = NULL;
	size_t n_ws = 0, i;
	int64_t base = run->start_us, end = run->end_us, e;
	unsigned tid;

	for (i = 0; i < n; i++) {
		if (spans[i].start_us < base)
			base = spans[i].start_us;
		e = spans[i].start_us + (spans[i].dur_us > 0 ?
		    spans[i].dur_us : 0);
		if (run->end_us == 0 && e > end)
			end = e;
	}
	if (end < run->start_us)
		end = run->start_us;
	strbuf_addstr(&sb, "{\"displayTimeUnit\":\"ms\",\"traceEvents\":[\n");
	strbuf_addf(&title, "ggen run %" PRIu64 ": %s (%s)", run->id,
	    run->phase != NULL ? run->phase : "",
	    run->root != NULL ? run->root : "");
	strbuf_addstr(&sb, "{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":1,"
	    "\"tid\":0,\"args\":{\"name\":");
	chrometrace_str(&sb, title.buf);
	strbuf_addstr(&sb, "}}");
	chrometrace_meta(&sb, "thread_name", 0, "run");
	strbuf_addstr(&sb, ",\n{\"name\":");
	chrometrace_str(&sb, run->phase);
	strbuf_addf(&sb, ",\"cat\":\"run\",\"ph\":\"X\",\"pid\":1,\"tid\":0,"
	    "\"ts\":%" PRId64 ",\"dur\":%" PRId64 ",\"args\":{\"status\":",
	    run->start_us - base, end - run->start_us);
	chrometrace_str(&sb, run->status);
	strbuf_addstr(&sb, "}}");
	for (i = 0; i < n; i++) {
		const struct spanrec *s = &spans[i];
		size_t before = n_ws;

		tid = chrometrace_tid(&ws, &n_ws, s->workspace);
		if (n_ws > before)
			chrometrace_meta(&sb, "thread_name", tid,
			    ws[tid - 1][0] != '\0' ? ws[tid - 1] : "(root)");
		strbuf_addstr(&sb, ",\n{\"name\":");
		chrometrace_str(&sb, s->name);
		strbuf_addstr(&sb, ",\"cat\":");
		chrometrace_str(&sb, s->kind);
		strbuf_addf(&sb, ",\"ph\":\"X\",\"pid\":1,\"tid\":%u,"
		    "\"ts\":%" PRId64 ",\"dur\":%" PRId64 ",\"args\":{"
		    "\"status\":", tid, s->start_us - base,
		    s->dur_us > 0 ? s->dur_us : 0);
		chrometrace_str(&sb, s->status);
		strbuf_addf(&sb, ",\"id\":%" PRIu64 ",\"parent\":%" PRIu64
		    "}}", s->id, s->parent);
	}
	strbuf_addstr(&sb, "\n],\"otherData\":{\"run\":");
	/* 64-bit ids travel as strings (protocol/PROTOCOL.md 2). */
	strbuf_addf(&sb, "\"%" PRIu64 "\",\"root\":", run->id);
	chrometrace_str(&sb, run->root);
	strbuf_addstr(&sb, ",\"workspace\":");
	chrometrace_str(&sb, run->workspace);
	strbuf_addstr(&sb, ",\"status\":");
	chrometrace_str(&sb, run->status);
	strbuf_addstr(&sb, "}}\n");
	free(ws);
	strbuf_release(&title);
	return strbuf_detach(&sb, len);
}
