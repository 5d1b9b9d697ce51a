/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cachekey_platform.h - the portable, shareable key of a phase's result
 * (doc/remote-cache.md): the phase cache key of cachekey.h (which holds
 * only workspace-relative paths, so two checkouts at different paths
 * agree) combined with a platform part and the phase's declared outputs.
 *
 * Platform part: lowercase hex SHA-256 of
 *   "ggen-platform-v1\nos=" OS "\narch=" ARCH
 *   "\ninput=" COMMAND "\0" SHA256_HEX_OF_ITS_OUTPUT   per platform input,
 *                                                      in declared order
 * Action key (the name under {url}/ac/ and in the local store):
 *   "ggen-action-v1\n" PHASE_KEY "\n" PLATFORM_HEX
 *   "\noutput=" PATTERN                                per declared output,
 *                                                      in declared order
 * Outputs are part of it so two phases with the same commands and inputs
 * but different outputs never restore each other's files.
 *
 * The phase key itself is unchanged (ggen's vectors still hold). Pure; any
 * thread.
 */
#ifndef GGEN_CACHEKEY_PLATFORM_H
#define GGEN_CACHEKEY_PLATFORM_H

#include <stddef.h>

#include "cachekey.h"

/* One `[cache] platform_inputs` command and the sha256 hex of what it
 * printed (both borrowed). */
struct cachekey_platform_input {
	const char *command;
	const char *output_sha256;
};

/* The platform part into hex (CACHEKEY_HEX_SIZE bytes). os and arch as
 * uname(2) reports them (sysname lowercased by the caller or not: they are
 * hashed as given). Arrays borrowed. */
void cachekey_platform(const char *os, const char *arch,
    const struct cachekey_platform_input *in, size_t n,
    char hex[CACHEKEY_HEX_SIZE]);

/* The action key into hex from the phase key, the platform part and the
 * phase's output patterns as written (borrowed). */
void cachekey_action(const char *phase_key, const char *platform_hex,
    const char *const *outputs, size_t n_outputs,
    char hex[CACHEKEY_HEX_SIZE]);

#endif
