/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * bench_status.c - `status` round trips against a running ggend from N
 * concurrent clients, each in a closed loop (send one request, wait for
 * its reply line, send the next), all driven from one poll() loop so the
 * load generator costs far less than the daemon it measures. Records the
 * latency of every request and the request rate of every repetition.
 * Driven by bench_status.py, which starts and always stops a private
 * ggend; never run alone by perf/run (it needs the socket).
 *
 * Usage: bench_status SOCK CLIENTS SECONDS_PER_REP REPS
 * Prints two figure lines (see perf/bench.h): status_roundtrip_cN (us,
 * one sample per request) and status_rate_cN (requests/s, one per rep).
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "bench.h"
#include "xmalloc.h"

#define BENCH_STATUS_MAX_CLIENTS 1024
/* Latency samples kept; later requests still count in the rate. */
#define BENCH_STATUS_MAX_SAMPLES (4u * 1024 * 1024)
#define BENCH_STATUS_BUF 65536

struct bench_status_client {
	int fd;
	uint64_t sent_ns;
	size_t have;		/* bytes of a partial reply line in buf */
	char buf[BENCH_STATUS_BUF];
};

static int
bench_status_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd == -1 || strlen(path) >= sizeof sa.sun_path) {
		fprintf(stderr, "bench_status: socket %s\n", path);
		exit(1);
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
		fprintf(stderr, "bench_status: connect %s: %s\n", path,
		    strerror(errno));
		exit(1);
	}
	return fd;
}

static void
bench_status_send(struct bench_status_client *c, uint64_t id)
{
	char req[64];
	int n = snprintf(req, sizeof req, "{\"id\":%llu,\"cmd\":\"status\"}\n",
	    (unsigned long long)id);

	c->sent_ns = bench_now_ns();
	/* A request is far below the socket buffer: one write is enough. */
	if (write(c->fd, req, (size_t)n) != n) {
		fprintf(stderr, "bench_status: write: %s\n", strerror(errno));
		exit(1);
	}
}

/* Reads what is there; returns the number of complete reply lines. */
static int
bench_status_read(struct bench_status_client *c)
{
	ssize_t n = read(c->fd, c->buf + c->have, sizeof c->buf - c->have);
	int lines = 0;
	char *nl;

	if (n <= 0) {
		fprintf(stderr, "bench_status: read: %s\n",
		    n == 0 ? "daemon closed the connection" : strerror(errno));
		exit(1);
	}
	c->have += (size_t)n;
	while ((nl = memchr(c->buf, '\n', c->have)) != NULL) {
		size_t len = (size_t)(nl - c->buf) + 1;

		if (memmem(c->buf, len, "\"ok\":true", 9) == NULL) {
			fprintf(stderr, "bench_status: error reply: %.*s",
			    (int)len, c->buf);
			exit(1);
		}
		memmove(c->buf, nl + 1, c->have - len);
		c->have -= len;
		lines++;
	}
	if (c->have == sizeof c->buf) {
		fprintf(stderr, "bench_status: reply over %d bytes\n",
		    BENCH_STATUS_BUF);
		exit(1);
	}
	return lines;
}

int
main(int argc, char **argv)
{
	struct bench_status_client *cl;
	struct pollfd *pfd;
	double *lat, *rate, secs;
	size_t nlat = 0;
	uint64_t id = 0;
	char fig[64];
	int nc, reps;

	if (argc != 5) {
		fprintf(stderr, "usage: bench_status SOCK CLIENTS "
		    "SECONDS_PER_REP REPS\n");
		return 2;
	}
	nc = atoi(argv[2]);
	secs = atof(argv[3]);
	reps = atoi(argv[4]);
	if (nc < 1 || nc > BENCH_STATUS_MAX_CLIENTS || secs <= 0 || reps < 1 ||
	    reps > BENCH_MAX_REPS) {
		fprintf(stderr, "bench_status: bad arguments\n");
		return 2;
	}
	cl = xcalloc((size_t)nc, sizeof *cl);
	pfd = xcalloc((size_t)nc, sizeof *pfd);
	lat = xcalloc(BENCH_STATUS_MAX_SAMPLES, sizeof *lat);
	rate = xcalloc((size_t)reps, sizeof *rate);
	for (int i = 0; i < nc; i++) {
		cl[i].fd = bench_status_connect(argv[1]);
		pfd[i].fd = cl[i].fd;
		pfd[i].events = POLLIN;
	}
	for (int r = 0; r < reps; r++) {
		uint64_t t0 = bench_now_ns(), end = t0 + (uint64_t)(secs * 1e9);
		uint64_t done = 0, now = t0;
		int outstanding = nc;

		for (int i = 0; i < nc; i++)
			bench_status_send(&cl[i], id++);
		/* Stop sending at the deadline; drain what is in flight so
		 * the next rep starts with idle connections. */
		while (outstanding > 0) {
			if (poll(pfd, (nfds_t)nc, -1) < 0) {
				if (errno == EINTR)
					continue;
				perror("bench_status: poll");
				return 1;
			}
			for (int i = 0; i < nc; i++) {
				if (!(pfd[i].revents & (POLLIN | POLLHUP |
				    POLLERR)))
					continue;
				if (bench_status_read(&cl[i]) == 0)
					continue;
				now = bench_now_ns();
				if (nlat < BENCH_STATUS_MAX_SAMPLES)
					lat[nlat++] = (double)(now -
					    cl[i].sent_ns) / 1e3;
				done++;
				if (now < end)
					bench_status_send(&cl[i], id++);
				else
					outstanding--;
			}
		}
		rate[r] = (double)done / ((double)(now - t0) / 1e9);
	}
	snprintf(fig, sizeof fig, "status_roundtrip_c%d", nc);
	bench_emit("status", fig, "us", NULL, lat, (int)nlat, 0, NULL);
	snprintf(fig, sizeof fig, "status_rate_c%d", nc);
	bench_emit("status", fig, "requests/s", NULL, rate, reps, 0, NULL);
	for (int i = 0; i < nc; i++)
		close(cl[i].fd);
	free(cl);
	free(pfd);
	free(lat);
	free(rate);
	return 0;
}
