/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * floor_save.c - the floor of the CPU a debounced watcher spends per save:
 * the least a program can do that does ggend's job for one save, so that
 * perf/bench_watch.py can put ggend's CPU per save next to it in the same
 * run (peers floor_window and floor_close of cpu_per_save_in_place).
 *
 * Usage: floor_save [--window-ms MS | --settle-on-close] [--with-modify] DIR
 *
 * What it does, and all it does: one inotify watch on DIR (ggend's mask,
 * NOTIFIER_MASK of daemon/notifier.h: no IN_MODIFY unless --with-modify),
 * waited on with epoll. Each wake-up drains the fd with one read(2) and
 * adds the named entries to the pending batch (distinct names, at most
 * FLOOR_SAVE_MAX_NAMES; more set "more" in the line). The batch settles
 *   --window-ms MS    when MS ms pass with no event (a trailing quiet
 *                     window, epoll_wait's timeout; 0 settles each drain):
 *                     ggend's debounce at a fixed window (ggend widens its
 *                     window for a dense writer; the benchmark's saves are
 *                     paced so that it stays at watch.debounce_min_ms);
 *   --settle-on-close at the end of a drain in which no file written
 *                     (IN_MODIFY, only seen with --with-modify) is still
 *                     unclosed: no timer, so one wake-up per save; shows
 *                     what the quiet window's timer wake-up costs.
 * Settling opens each name (O_RDONLY, relative to DIR's fd), fstats it,
 * hashes a regular file to EOF with XXH3-128 (libxxhash, the dispatched
 * variant when ggend uses it) and writes one JSON line to stdout:
 *   {"files":[{"name":"main.c","hash":"<32 hex>"},
 *             {"name":"gone","removed":true},{"name":"sub","kind":"other"}],
 *    "more":false,"overflow":false}
 * The first line, once the watch is set, is {"ready":true,...}.
 *
 * What it is not: no file table (a save is not compared with anything
 * known; nothing is kept between batches), no ignore rules, no
 * subdirectories, no protocol, no clients, no history, no logging, no
 * recovery (a lost watch or a failed write exits with status 1; DIR's
 * removal is not seen: the kernel sends IN_DELETE_SELF at the directory's
 * last reference, and the fd held here is one). Names are
 * written as bytes (JSON-escaped quotes, backslashes and control bytes; not
 * checked for UTF-8). A perf/ tool only: never linked into ggend.
 *
 * Single-threaded; owns its inotify fd, epoll fd, DIR's fd and buffers
 * until exit.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <xxhash.h>
#ifdef GGEN_XXH_DISPATCH
/* As daemon/hashpool.c: libxxhash's run-time dispatched XXH3 (AVX2 when
 * the CPU has it); same digests. */
#include <xxh_x86dispatch.h>
#endif

#include "xmalloc.h"

/* ggend's directory mask (daemon/notifier.h NOTIFIER_MASK), less the
 * bits for subdirectories and unlinked-but-open files, which a one
 * directory watcher does not need. */
#define FLOOR_SAVE_MASK (IN_CREATE | IN_CLOSE_WRITE | IN_MOVED_FROM | \
	IN_MOVED_TO | IN_DELETE | IN_DELETE_SELF | IN_MOVE_SELF | IN_ATTRIB | \
	IN_ONLYDIR | IN_DONT_FOLLOW)
#define FLOOR_SAVE_MAX_NAMES 64
/* One read(2) of the inotify fd; a full buffer wakes epoll again. */
#define FLOOR_SAVE_EVBUF 65536
/* File contents are read in chunks of this size (ggend's hash buffer). */
#define FLOOR_SAVE_FILEBUF 65536
/* A JSON-escaped name is at most 6 bytes per byte, plus its object. */
#define FLOOR_SAVE_ENTRY_MAX (6 * NAME_MAX + 96)
#define FLOOR_SAVE_LINE_MAX (FLOOR_SAVE_MAX_NAMES * FLOOR_SAVE_ENTRY_MAX + 64)

struct floor_save_name {
	char name[NAME_MAX + 1];
	bool writing;		/* IN_MODIFY seen, IN_CLOSE_WRITE not yet */
};

struct floor_save {
	const char *dir;	/* borrowed from argv */
	int dirfd, in, ep;
	long window_ms;		/* -1: settle on close */
	struct floor_save_name names[FLOOR_SAVE_MAX_NAMES];
	int nnames;
	int writing;		/* names with writing set */
	bool pending, more, overflow;
	uint64_t deadline_ns;	/* of the quiet window, while pending */
	XXH3_state_t *xxh;
	char evbuf[FLOOR_SAVE_EVBUF]
	    __attribute__((aligned(__alignof__(struct inotify_event))));
	unsigned char filebuf[FLOOR_SAVE_FILEBUF];
	char line[FLOOR_SAVE_LINE_MAX];
	size_t len;
};

static void
floor_save_die(const char *what, const char *path)
{
	fprintf(stderr, "floor_save: %s%s%s: %s\n", what, path ? " " : "",
	    path ? path : "", strerror(errno));
	exit(1);
}

static uint64_t
floor_save_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void
floor_save_put(struct floor_save *s, const char *text)
{
	size_t n = strlen(text);

	memcpy(s->line + s->len, text, n);
	s->len += n;
}

/* JSON string of a name's bytes (NAME_MAX at most: fits by the sizes). */
static void
floor_save_put_name(struct floor_save *s, const char *name)
{
	static const char hex[] = "0123456789abcdef";

	s->line[s->len++] = '"';
	for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
		if (*p == '"' || *p == '\\') {
			s->line[s->len++] = '\\';
			s->line[s->len++] = (char)*p;
		} else if (*p < 0x20) {
			floor_save_put(s, "\\u00");
			s->line[s->len++] = hex[*p >> 4];
			s->line[s->len++] = hex[*p & 15];
		} else {
			s->line[s->len++] = (char)*p;
		}
	}
	s->line[s->len++] = '"';
}

static void
floor_save_write_line(struct floor_save *s)
{
	size_t off = 0;

	s->line[s->len++] = '\n';
	while (off < s->len) {
		ssize_t n = write(STDOUT_FILENO, s->line + off, s->len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			floor_save_die("write", "stdout");
		off += (size_t)n;
	}
	s->len = 0;
}

/* One name's object: its hash, or why there is none. */
static void
floor_save_put_file(struct floor_save *s, const char *name)
{
	struct stat st;
	XXH128_canonical_t c;
	int fd = openat(s->dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC);

	floor_save_put(s, "{\"name\":");
	floor_save_put_name(s, name);
	if (fd < 0) {
		/* Gone (or a symlink, or unreadable): nothing to hash. */
		floor_save_put(s, errno == ENOENT ? ",\"removed\":true}" :
		    ",\"kind\":\"other\"}");
		return;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		floor_save_put(s, ",\"kind\":\"other\"}");
		return;
	}
	XXH3_128bits_reset(s->xxh);
	for (;;) {
		ssize_t n = read(fd, s->filebuf, sizeof s->filebuf);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		XXH3_128bits_update(s->xxh, s->filebuf, (size_t)n);
	}
	close(fd);
	XXH128_canonicalFromHash(&c, XXH3_128bits_digest(s->xxh));
	floor_save_put(s, ",\"hash\":\"");
	for (size_t i = 0; i < sizeof c.digest; i++) {
		static const char hex[] = "0123456789abcdef";

		s->line[s->len++] = hex[c.digest[i] >> 4];
		s->line[s->len++] = hex[c.digest[i] & 15];
	}
	floor_save_put(s, "\"}");
}

static void
floor_save_settle(struct floor_save *s)
{
	floor_save_put(s, "{\"files\":[");
	for (int i = 0; i < s->nnames; i++) {
		if (i > 0)
			s->line[s->len++] = ',';
		floor_save_put_file(s, s->names[i].name);
	}
	floor_save_put(s, s->more ? "],\"more\":true" : "],\"more\":false");
	floor_save_put(s, s->overflow ? ",\"overflow\":true}" :
	    ",\"overflow\":false}");
	floor_save_write_line(s);
	s->nnames = s->writing = 0;
	s->pending = s->more = s->overflow = false;
}

static void
floor_save_note(struct floor_save *s, const struct inotify_event *e)
{
	struct floor_save_name *n = NULL;

	for (int i = 0; i < s->nnames && n == NULL; i++)
		if (strcmp(s->names[i].name, e->name) == 0)
			n = &s->names[i];
	if (n == NULL && s->nnames == FLOOR_SAVE_MAX_NAMES) {
		s->more = true;
		return;
	}
	if (n == NULL) {
		n = &s->names[s->nnames++];
		snprintf(n->name, sizeof n->name, "%s", e->name);
		n->writing = false;
	}
	if ((e->mask & IN_MODIFY) && !n->writing) {
		n->writing = true;
		s->writing++;
	}
	if ((e->mask & IN_CLOSE_WRITE) && n->writing) {
		n->writing = false;
		s->writing--;
	}
}

/* One read(2) of the inotify fd into the batch. */
static void
floor_save_drain(struct floor_save *s)
{
	ssize_t len = read(s->in, s->evbuf, sizeof s->evbuf);

	if (len < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (len < 0)
		floor_save_die("read", "inotify");
	for (char *p = s->evbuf; p < s->evbuf + len;) {
		const struct inotify_event *e = (const void *)p;

		p += sizeof *e + e->len;
		if (e->mask & (IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF)) {
			fprintf(stderr, "floor_save: %s: directory gone\n",
			    s->dir);
			exit(1);
		}
		if (e->mask & IN_Q_OVERFLOW)
			s->overflow = true;
		else if (e->len > 0 && e->name[0] != '\0')
			floor_save_note(s, e);
		else
			continue;
		s->pending = true;
	}
}

static int
floor_save_usage(void)
{
	fprintf(stderr, "usage: floor_save [--window-ms MS | "
	    "--settle-on-close] [--with-modify] DIR\n");
	return 2;
}

int
main(int argc, char **argv)
{
	struct floor_save *s;
	uint32_t mask = FLOOR_SAVE_MASK;
	struct epoll_event ev = { .events = EPOLLIN };
	char ready[128];
	long window_ms = 10;
	int i;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		char *end;

		if (strcmp(argv[i], "--window-ms") == 0 && i + 1 < argc) {
			errno = 0;
			window_ms = strtol(argv[++i], &end, 10);
			if (errno != 0 || *end != '\0' || end == argv[i] ||
			    window_ms < 0 || window_ms > 600000) {
				fprintf(stderr, "floor_save: --window-ms: "
				    "expected 0 to 600000, found \"%s\"\n",
				    argv[i]);
				return 2;
			}
		} else if (strcmp(argv[i], "--settle-on-close") == 0) {
			window_ms = -1;
		} else if (strcmp(argv[i], "--with-modify") == 0) {
			mask |= IN_MODIFY;
		} else {
			return floor_save_usage();
		}
	}
	if (i + 1 != argc)
		return floor_save_usage();
	s = xcalloc(1, sizeof *s);
	s->window_ms = window_ms;
	s->dir = argv[i];
	s->dirfd = open(s->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->dirfd < 0)
		floor_save_die("open", s->dir);
	s->in = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (s->in < 0)
		floor_save_die("inotify_init1", NULL);
	if (inotify_add_watch(s->in, s->dir, mask) < 0)
		floor_save_die("inotify_add_watch", s->dir);
	s->ep = epoll_create1(EPOLL_CLOEXEC);
	if (s->ep < 0 || epoll_ctl(s->ep, EPOLL_CTL_ADD, s->in, &ev) < 0)
		floor_save_die("epoll", NULL);
	s->xxh = XXH3_createState();
	if (s->xxh == NULL) {
		fprintf(stderr, "floor_save: out of memory\n");
		return 1;
	}
	snprintf(ready, sizeof ready, "{\"ready\":true,\"window_ms\":%ld,"
	    "\"modify\":%s}", s->window_ms, mask & IN_MODIFY ? "true" :
	    "false");
	floor_save_put(s, ready);
	floor_save_write_line(s);

	for (;;) {
		int timeout = -1;
		int n;

		if (s->pending && s->window_ms >= 0) {
			uint64_t now = floor_save_now_ns();

			/* Rounded up: never settle before the window. */
			timeout = now >= s->deadline_ns ? 0 :
			    (int)((s->deadline_ns - now + 999999) / 1000000);
		}
		n = epoll_wait(s->ep, &ev, 1, timeout);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			floor_save_die("epoll_wait", NULL);
		if (n == 0) {
			/* The quiet window passed with no event. */
			floor_save_settle(s);
			continue;
		}
		floor_save_drain(s);
		if (!s->pending)
			continue;
		if (s->window_ms >= 0)
			s->deadline_ns = floor_save_now_ns() +
			    (uint64_t)s->window_ms * 1000000u;
		else if (s->writing == 0)
			floor_save_settle(s);
	}
}
