/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sockpath.h - where the socket and the state live, and the checks that make
 * them private (PROTOCOL.md 1). Shared by ggend and ggenc so both agree.
 *
 * Socket: $GGEN_SOCK, else $XDG_RUNTIME_DIR/ggen/ggend.sock, else
 * /tmp/ggen-$UID/ggend.sock. Its directory must be a real directory (not a
 * symlink) owned by the user with no group/other permission bits.
 * State: $XDG_STATE_HOME/ggen, else $HOME/.local/state/ggen.
 * All functions read the environment and the file system only; any thread.
 */
#ifndef GGEN_SOCKPATH_H
#define GGEN_SOCKPATH_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "gerr.h"

#define SOCKPATH_MAX 108	/* sizeof(sun_path) on Linux */
#define SOCKPATH_PATH_MAX 4096

/* Default socket path into buf (size >= SOCKPATH_MAX). GERR_TOO_LARGE if the
 * path does not fit in sun_path. */
int sockpath_default(char *buf, size_t size, struct gerr *err);

/* Default state directory into buf. GERR_NOT_FOUND if neither
 * $XDG_STATE_HOME nor $HOME is set, GERR_TOO_LARGE if it does not fit. */
int sockpath_state_dir(char *buf, size_t size, struct gerr *err);

/*
 * Check the directory that holds sock_path (borrowed). When create is set
 * and it is missing, create it with mode 0700 (its parent must exist).
 * GERR_PERMISSION, with the fix in the message, when it is not a directory,
 * is owned by another uid or is accessible by group/other; GERR_IO when a
 * system call fails.
 */
int sockpath_check_dir(const char *sock_path, bool create, struct gerr *err);

/* mkdir -p path with mode for the directories it creates. GERR_IO. */
int sockpath_mkdirs(const char *path, unsigned mode, struct gerr *err);

/* Fill a sockaddr_un for path. GERR_TOO_LARGE if path is too long. */
int sockpath_addr(const char *path, struct sockaddr_un *sa, socklen_t *len,
    struct gerr *err);

#endif
