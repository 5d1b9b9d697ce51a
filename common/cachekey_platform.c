/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cachekey_platform.c - platform part and action key (see the header for
 * the exact preimages). Called by the daemon's output cache on the loop.
 * No state.
 */
#include "cachekey_platform.h"

#include <string.h>

#include "sha256.h"

static void
cachekey_platform_str(struct sha256 *s, const char *p)
{
	sha256_update(s, p, strlen(p));
}

void
cachekey_platform(const char *os, const char *arch,
    const struct cachekey_platform_input *in, size_t n,
    char hex[CACHEKEY_HEX_SIZE])
{
	struct sha256 s;

	sha256_init(&s);
	cachekey_platform_str(&s, "ggen-platform-v1\nos=");
	cachekey_platform_str(&s, os);
	cachekey_platform_str(&s, "\narch=");
	cachekey_platform_str(&s, arch);
	for (size_t i = 0; i < n; i++) {
		cachekey_platform_str(&s, "\ninput=");
		cachekey_platform_str(&s, in[i].command);
		sha256_update(&s, "", 1);
		cachekey_platform_str(&s, in[i].output_sha256);
	}
	sha256_final_hex(&s, hex);
}

void
cachekey_action(const char *phase_key, const char *platform_hex,
    const char *const *outputs, size_t n_outputs,
    char hex[CACHEKEY_HEX_SIZE])
{
	struct sha256 s;

	sha256_init(&s);
	cachekey_platform_str(&s, "ggen-action-v1\n");
	cachekey_platform_str(&s, phase_key);
	cachekey_platform_str(&s, "\n");
	cachekey_platform_str(&s, platform_hex);
	for (size_t i = 0; i < n_outputs; i++) {
		cachekey_platform_str(&s, "\noutput=");
		cachekey_platform_str(&s, outputs[i]);
	}
	sha256_final_hex(&s, hex);
}
