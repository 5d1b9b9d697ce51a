/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * daemon_version.c - library versions the daemon links against, for
 * `ggend --version` and `status`. Kept apart so the daemon library is never
 * empty while modules land one by one.
 */
#include <ev.h>
#include <sqlite3.h>
#include <stdio.h>

#include "daemon_version.h"

const char *
daemon_version_libs(char *buf, unsigned long size)
{
	snprintf(buf, size, "libev %d.%d, sqlite %s", ev_version_major(),
	    ev_version_minor(), sqlite3_libversion());
	return buf;
}
