/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * pidfile.h - a pidfile held with flock(2) for the daemon's life.
 *
 * The lock, not the file's existence, says a daemon runs: a pidfile left by
 * a crash is unlocked and simply reused. Startup and shutdown only.
 */
#ifndef GGEN_PIDFILE_H
#define GGEN_PIDFILE_H

#include "gerr.h"

/*
 * Open (0600, creating) and lock path, then write our pid. On success *fd
 * is the caller's (keep it open to keep the lock). GERR_ALREADY_RUNNING,
 * naming the holder's pid, when another process holds the lock; GERR_IO.
 * When the pid in the file is dead but the lock is held (a child of the
 * dead daemon between clone and exec), blocks up to 3 s for the lock, using
 * SIGALRM: startup only, loop not running.
 */
int pidfile_acquire(const char *path, int *fd, struct gerr *err);

/* Unlink path and close fd (which releases the lock). fd < 0: no-op. */
void pidfile_release(const char *path, int fd);

#endif
