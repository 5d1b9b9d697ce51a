/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ready.c - reading the readiness pipe (see ready.h). Called by ggenc's
 * autostart and by ggend's detaching parent. Owns nothing; poll() bounds
 * the wait, so there is no sleep and no retry loop.
 */
#include "ready.h"

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"

int
ready_wait(int fd, int timeout_ms, struct gerr *err)
{
	int64_t deadline = (int64_t)clock_mono_ms() + timeout_ms, left;
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	char buf[GERR_MSG_MAX];
	size_t got = 0;
	ssize_t n;
	int rc;

	while (got < sizeof(buf) - 1 && memchr(buf, '\n', got) == NULL) {
		left = timeout_ms < 0 ? -1 : deadline - (int64_t)clock_mono_ms();
		if (timeout_ms >= 0 && left <= 0)
			return gerr_set(err, GERR_UNREACHABLE,
			    "ggend did not report ready within %d ms",
			    timeout_ms);
		rc = poll(&pfd, 1, (int)left);
		if (rc < 0 && errno != EINTR)
			return gerr_set(err, GERR_UNREACHABLE, "poll: %s",
			    strerror(errno));
		if (rc <= 0)
			continue;
		n = read(fd, buf + got, sizeof(buf) - 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	buf[got] = '\0';
	if (strncmp(buf, READY_LINE, strlen(READY_LINE)) == 0)
		return 0;
	buf[strcspn(buf, "\n")] = '\0';
	return gerr_set(err, GERR_UNREACHABLE, "ggend failed to start: %s",
	    got > 0 ? buf : "it exited without a message");
}
