/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ready.h - the readiness pipe between a starting ggend and whoever waits
 * for it (ggenc's autostart, ggend's own detaching parent, tests).
 *
 * The daemon writes exactly one line and closes its end: "READY\n" once it
 * accepts connections, or its startup error message. The reader treats EOF
 * without a line as "exited without a message". Blocking; any thread.
 */
#ifndef GGEN_READY_H
#define GGEN_READY_H

#include "gerr.h"

#define READY_LINE "READY\n"

/*
 * Wait on fd (borrowed) for the daemon's line, at most timeout_ms (< 0: no
 * limit). Returns 0 on "READY"; GERR_UNREACHABLE with "ggend failed to
 * start: <its message>" or a timeout message otherwise.
 */
int ready_wait(int fd, int timeout_ms, struct gerr *err);

#endif
