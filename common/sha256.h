/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sha256.h - incremental SHA-256 through libcrypto, with lowercase hex out.
 *
 * Used for the content addresses of the output store and the remote cache
 * (doc/remote-cache.md), where blobs must be named exactly as Bazel's
 * remote-cache protocol names them. A context belongs to one thread at a
 * time; distinct contexts may be used concurrently.
 */
#ifndef GGEN_SHA256_H
#define GGEN_SHA256_H

#include <stdbool.h>
#include <stddef.h>

/* Lowercase hex plus NUL. */
#define SHA256_HEX_SIZE 65

struct sha256 {
	void *md;		/* EVP_MD_CTX, opaque to keep OpenSSL out */
};

/* Start a digest. Aborts (fatal) when libcrypto cannot give SHA-256: a
 * broken installation, not an input error. */
void sha256_init(struct sha256 *s);
void sha256_update(struct sha256 *s, const void *p, size_t n);
/* Write the hex digest into hex and release s. */
void sha256_final_hex(struct sha256 *s, char hex[SHA256_HEX_SIZE]);
/* Release an unfinished digest; safe twice. */
void sha256_release(struct sha256 *s);

/* One shot over p[0..n). */
void sha256_hex(const void *p, size_t n, char hex[SHA256_HEX_SIZE]);

/* Whether s is exactly 64 lowercase hex digits (a valid blob name). */
bool sha256_hex_valid(const char *s);

#endif
