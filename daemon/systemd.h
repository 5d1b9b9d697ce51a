/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * systemd.h - the two pieces of the systemd protocol ggend speaks without
 * libsystemd: socket activation (LISTEN_FDS/LISTEN_PID, fds from 3) and
 * readiness (a "READY=1" datagram to $NOTIFY_SOCKET; a leading '@' means
 * an abstract socket name). Startup, loop thread only.
 */
#ifndef GGEN_SYSTEMD_H
#define GGEN_SYSTEMD_H

#include "gerr.h"

#define SYSTEMD_LISTEN_FDS_START 3

/*
 * If the environment passes sockets to this process, set *fd to the first
 * (the caller owns it) and unset the variables so children do not see
 * them; else *fd = -1. GERR_INVALID when LISTEN_FDS is malformed.
 */
int systemd_listen_fd(int *fd, struct gerr *err);

/* Send state (e.g. "READY=1", "STOPPING=1") to $NOTIFY_SOCKET; 0 when the
 * variable is unset. GERR_IO / GERR_TOO_LARGE. */
int systemd_notify(const char *state, struct gerr *err);

#endif
