/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * daemon_version.h - versions of the libraries ggend links (libev, SQLite)
 * for `ggend --version` and `status`. Pure formatting; any thread.
 */
#ifndef GGEN_DAEMON_VERSION_H
#define GGEN_DAEMON_VERSION_H

/* Format the linked libraries' versions into buf; returns buf. */
const char *daemon_version_libs(char *buf, unsigned long size);

#endif
