/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cachekey.c - SHA-256 cache keys for phases through libcrypto's EVP API.
 *
 * Owns, per builder, one EVP_MD_CTX and a copy of the last sorted key or
 * path (to enforce order). Called by the lifecycle engine before a phase
 * runs. Invariant: the stage only moves forward (commands, env, inputs,
 * done), so the preimage always has the documented shape; any misuse makes
 * the builder fail rather than produce a key that silently differs.
 */
#include "cachekey.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "xmalloc.h"

static int
cachekey_fail(struct cachekey *ck, int code)
{
	if (ck->failed == 0)
		ck->failed = code;
	return code;
}

static int
cachekey_update(struct cachekey *ck, const void *p, size_t n,
    struct gerr *err)
{
	if (n == 0)
		return 0;
	if (EVP_DigestUpdate(ck->md, p, n) != 1)
		return cachekey_fail(ck, gerr_set(err, GERR_INTERNAL,
		    "cachekey: SHA-256 update failed"));
	return 0;
}

int
cachekey_begin(struct cachekey *ck, const char *phase, struct gerr *err)
{
	EVP_MD_CTX *md;

	ck->md = NULL;
	ck->stage = CACHEKEY_STAGE_COMMANDS;
	ck->last = NULL;
	ck->failed = 0;
	md = EVP_MD_CTX_new();
	if (md == NULL)
		return cachekey_fail(ck, gerr_set(err, GERR_INTERNAL,
		    "cachekey: cannot allocate a digest context"));
	ck->md = md;
	if (EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
		cachekey_release(ck);
		return cachekey_fail(ck, gerr_set(err, GERR_INTERNAL,
		    "cachekey: SHA-256 unavailable"));
	}
	return cachekey_update(ck, phase, strlen(phase), err);
}

/* Move to stage, refusing to go back; returns 0 or the sticky error. */
static int
cachekey_enter(struct cachekey *ck, enum cachekey_stage stage,
    struct gerr *err)
{
	if (ck->failed != 0)
		return ck->failed;
	if (ck->md == NULL || ck->stage > stage)
		return cachekey_fail(ck, gerr_set(err, GERR_INTERNAL,
		    "cachekey: parts added out of order"));
	if (ck->stage < stage) {
		free(ck->last);
		ck->last = NULL;
		ck->stage = stage;
	}
	return 0;
}

/* Enforce strictly increasing names within a stage, remember name. */
static int
cachekey_order(struct cachekey *ck, const char *what, const char *name,
    struct gerr *err)
{
	if (ck->last != NULL && strcmp(ck->last, name) >= 0)
		return cachekey_fail(ck, gerr_set(err, GERR_INVALID,
		    "cachekey: %s \"%s\" after \"%s\": %s", what, name,
		    ck->last, strcmp(ck->last, name) == 0 ? "duplicate" :
		    "not sorted"));
	free(ck->last);
	ck->last = xstrdup(name);
	return 0;
}

int
cachekey_add_command(struct cachekey *ck, const char *cmd, struct gerr *err)
{
	int rc;

	if ((rc = cachekey_enter(ck, CACHEKEY_STAGE_COMMANDS, err)) != 0)
		return rc;
	if ((rc = cachekey_update(ck, "\n", 1, err)) != 0)
		return rc;
	return cachekey_update(ck, cmd, strlen(cmd), err);
}

/*
 * One sorted entry of stage: "\n" + name + the separator byte + value.
 * For inputs the separator is NUL, which keeps a path containing "\n"
 * distinct from any other split of the same bytes.
 */
static int
cachekey_add_sorted(struct cachekey *ck, enum cachekey_stage stage,
    const char *what, const char *name, char sep, const char *value,
    struct gerr *err)
{
	int rc;

	if ((rc = cachekey_enter(ck, stage, err)) != 0)
		return rc;
	if ((rc = cachekey_order(ck, what, name, err)) != 0)
		return rc;
	if ((rc = cachekey_update(ck, "\n", 1, err)) != 0 ||
	    (rc = cachekey_update(ck, name, strlen(name), err)) != 0 ||
	    (rc = cachekey_update(ck, &sep, 1, err)) != 0)
		return rc;
	return cachekey_update(ck, value, strlen(value), err);
}

int
cachekey_add_env(struct cachekey *ck, const char *key, const char *value,
    struct gerr *err)
{
	return cachekey_add_sorted(ck, CACHEKEY_STAGE_ENV, "env key", key, '=',
	    value, err);
}

int
cachekey_add_input(struct cachekey *ck, const char *path, const char *hash_hex,
    struct gerr *err)
{
	return cachekey_add_sorted(ck, CACHEKEY_STAGE_INPUTS, "input", path,
	    '\0', hash_hex, err);
}

int
cachekey_finish(struct cachekey *ck, char hex[CACHEKEY_HEX_SIZE],
    struct gerr *err)
{
	static const char digits[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	int rc;

	hex[0] = '\0';
	if ((rc = cachekey_enter(ck, CACHEKEY_STAGE_DONE, err)) != 0) {
		cachekey_release(ck);
		return rc;
	}
	if (EVP_DigestFinal_ex(ck->md, md, &n) != 1 || n != 32) {
		cachekey_release(ck);
		return gerr_set(err, GERR_INTERNAL,
		    "cachekey: SHA-256 final failed");
	}
	for (unsigned int i = 0; i < n; i++) {
		hex[2 * i] = digits[md[i] >> 4];
		hex[2 * i + 1] = digits[md[i] & 0xf];
	}
	hex[2 * n] = '\0';
	cachekey_release(ck);
	return 0;
}

void
cachekey_release(struct cachekey *ck)
{
	EVP_MD_CTX_free(ck->md);
	ck->md = NULL;
	free(ck->last);
	ck->last = NULL;
}

static int
cachekey_cmp_env(const void *a, const void *b)
{
	const struct cachekey_env *x = a, *y = b;

	return strcmp(x->key, y->key);
}

static int
cachekey_cmp_input(const void *a, const void *b)
{
	const struct cachekey_input *x = a, *y = b;

	return strcmp(x->path, y->path);
}

int
cachekey_compute(const char *phase, const char *const *cmds, size_t ncmds,
    const struct cachekey_env *env, size_t nenv,
    const struct cachekey_input *inputs, size_t ninputs,
    char hex[CACHEKEY_HEX_SIZE], struct gerr *err)
{
	struct cachekey ck;
	struct cachekey_env *se = NULL;
	struct cachekey_input *si = NULL;
	int rc;

	hex[0] = '\0';
	if (nenv > 0) {
		se = xmemdup(env, nenv * sizeof *env);
		qsort(se, nenv, sizeof *se, cachekey_cmp_env);
	}
	if (ninputs > 0) {
		si = xmemdup(inputs, ninputs * sizeof *inputs);
		qsort(si, ninputs, sizeof *si, cachekey_cmp_input);
	}
	rc = cachekey_begin(&ck, phase, err);
	for (size_t i = 0; rc == 0 && i < ncmds; i++)
		rc = cachekey_add_command(&ck, cmds[i], err);
	for (size_t i = 0; rc == 0 && i < nenv; i++)
		rc = cachekey_add_env(&ck, se[i].key, se[i].value, err);
	for (size_t i = 0; rc == 0 && i < ninputs; i++)
		rc = cachekey_add_input(&ck, si[i].path, si[i].hash_hex, err);
	if (rc == 0)
		rc = cachekey_finish(&ck, hex, err);
	else
		cachekey_release(&ck);
	free(se);
	free(si);
	return rc;
}
