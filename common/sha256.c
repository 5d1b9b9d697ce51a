/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sha256.c - SHA-256 over libcrypto's EVP API (see sha256.h).
 *
 * Owns one EVP_MD_CTX per struct sha256 between init and final/release.
 * No global state.
 */
#include "sha256.h"

#include <string.h>

#include <openssl/evp.h>

#include "log.h"

void
sha256_init(struct sha256 *s)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();

	if (md == NULL || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1)
		fatal("sha256: libcrypto cannot provide SHA-256");
	s->md = md;
}

void
sha256_update(struct sha256 *s, const void *p, size_t n)
{
	if (n > 0 && EVP_DigestUpdate(s->md, p, n) != 1)
		fatal("sha256: digest update failed");
}

void
sha256_final_hex(struct sha256 *s, char hex[SHA256_HEX_SIZE])
{
	static const char digits[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	if (EVP_DigestFinal_ex(s->md, md, &n) != 1 || n != 32)
		fatal("sha256: digest final failed");
	for (unsigned int i = 0; i < n; i++) {
		hex[2 * i] = digits[md[i] >> 4];
		hex[2 * i + 1] = digits[md[i] & 0xf];
	}
	hex[64] = '\0';
	sha256_release(s);
}

void
sha256_release(struct sha256 *s)
{
	EVP_MD_CTX_free(s->md);
	s->md = NULL;
}

void
sha256_hex(const void *p, size_t n, char hex[SHA256_HEX_SIZE])
{
	struct sha256 s;

	sha256_init(&s);
	sha256_update(&s, p, n);
	sha256_final_hex(&s, hex);
}

bool
sha256_hex_valid(const char *s)
{
	size_t i;

	for (i = 0; i < 64; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' &&
		    s[i] <= 'f')))
			return false;
	return s[64] == '\0';
}
