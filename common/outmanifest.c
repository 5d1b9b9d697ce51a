/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * outmanifest.c - build, print, parse and validate action-result manifests
 * (see outmanifest.h and doc/remote-cache.md).
 *
 * Called by the daemon's output store and remote cache client, on their
 * worker threads. Invariant of a sealed manifest: files sorted by path,
 * every path valid and unique, no path below another, total_bytes the sum
 * of the sizes. Parsing never trusts the text: every field is typed and
 * bounded before it is used.
 */
#include "outmanifest.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "log.h"
#include "xmalloc.h"

struct outmanifest *
outmanifest_new(const char *key, const char *phase)
{
	struct outmanifest *m = xcalloc(1, sizeof(*m));

	m->key = xstrdup(key);
	m->phase = xstrdup(phase);
	return m;
}

void
outmanifest_free(struct outmanifest *m)
{
	if (m == NULL)
		return;
	for (size_t i = 0; i < m->n_files; i++)
		free(m->files[i].path);
	free(m->files);
	free(m->key);
	free(m->phase);
	free(m->output_tail);
	free(m);
}

int
outmanifest_check_path(const char *path, struct gerr *err)
{
	size_t len = strlen(path);
	const char *p = path;

	if (len == 0)
		return gerr_set(err, GERR_INVALID, "empty output path");
	if (len > OUTMANIFEST_PATH_MAX)
		return gerr_set(err, GERR_INVALID, "output path of %zu bytes "
		    "(at most %d)", len, OUTMANIFEST_PATH_MAX);
	if (path[0] == '/')
		return gerr_set(err, GERR_INVALID, "output path \"%.200s\" is "
		    "absolute", path);
	while (*p != '\0') {
		const char *slash = strchr(p, '/');
		size_t n = slash != NULL ? (size_t)(slash - p) : strlen(p);

		if (n == 0)
			return gerr_set(err, GERR_INVALID, "output path "
			    "\"%.200s\" has an empty component", path);
		if ((n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' &&
		    p[1] == '.'))
			return gerr_set(err, GERR_INVALID, "output path "
			    "\"%.200s\" contains \"%.*s\"", path, (int)n, p);
		if (slash == NULL)
			break;
		p = slash + 1;
		if (*p == '\0')
			return gerr_set(err, GERR_INVALID, "output path "
			    "\"%.200s\" ends with '/'", path);
	}
	return 0;
}

int
outmanifest_add(struct outmanifest *m, const char *path, unsigned mode,
    uint64_t size, const char *sha256, struct gerr *err)
{
	struct outmanifest_file *f;
	int rc;

	if ((rc = outmanifest_check_path(path, err)) != 0)
		return rc;
	if (mode > 0777)
		return gerr_set(err, GERR_INVALID, "output \"%.200s\": mode "
		    "%o has bits beyond 0777", path, mode);
	if (!sha256_hex_valid(sha256))
		return gerr_set(err, GERR_INVALID, "output \"%.200s\": sha256 "
		    "is not 64 lowercase hex digits", path);
	if (m->n_files == OUTMANIFEST_FILES_MAX)
		return gerr_set(err, GERR_LIMIT, "more than %d output files",
		    OUTMANIFEST_FILES_MAX);
	if (size > UINT64_MAX - m->total_bytes)
		return gerr_set(err, GERR_INVALID, "output sizes overflow");
	if (m->n_files == m->cap) {
		m->cap = m->cap ? m->cap * 2 : 16;
		m->files = xreallocarray(m->files, m->cap, sizeof(*m->files));
	}
	f = &m->files[m->n_files++];
	f->path = xstrdup(path);
	f->mode = mode;
	f->size = size;
	memcpy(f->sha256, sha256, SHA256_HEX_SIZE);
	m->total_bytes += size;
	return 0;
}

void
outmanifest_set_tail(struct outmanifest *m, const char *tail, size_t len)
{
	free(m->output_tail);
	m->output_tail = NULL;
	if (tail == NULL)
		return;
	if (len > OUTMANIFEST_TAIL_MAX) {
		tail += len - OUTMANIFEST_TAIL_MAX;
		len = OUTMANIFEST_TAIL_MAX;
	}
	m->output_tail = xstrndup(tail, len);
}

static int
outmanifest_cmp(const void *a, const void *b)
{
	const struct outmanifest_file *x = a, *y = b;

	return strcmp(x->path, y->path);
}

/* Whether the first n bytes of path are one of m's (sorted) files. */
static bool
outmanifest_has(const struct outmanifest *m, const char *path, size_t n)
{
	size_t lo = 0, hi = m->n_files;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const char *p = m->files[mid].path;
		int c = strncmp(p, path, n);

		if (c == 0 && p[n] != '\0')
			c = 1;
		if (c == 0)
			return true;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

int
outmanifest_seal(struct outmanifest *m, struct gerr *err)
{
	if (m->n_files > 1)
		qsort(m->files, m->n_files, sizeof(*m->files),
		    outmanifest_cmp);
	for (size_t i = 0; i < m->n_files; i++) {
		const char *cur = m->files[i].path;

		if (i > 0 && strcmp(m->files[i - 1].path, cur) == 0)
			return gerr_set(err, GERR_INVALID, "output "
			    "\"%.200s\" listed twice", cur);
		/* Each directory of cur must not be a file of m. */
		for (const char *s = strchr(cur, '/'); s != NULL;
		    s = strchr(s + 1, '/'))
			if (outmanifest_has(m, cur, (size_t)(s - cur)))
				return gerr_set(err, GERR_INVALID, "output "
				    "\"%.200s\" is below the file \"%.*s\"",
				    cur, (int)(s - cur), cur);
	}
	return 0;
}

char *
outmanifest_to_json(const struct outmanifest *m)
{
	cJSON *doc = cJSON_CreateObject(), *files;
	char mode[8];
	char *text;

	cJSON_AddNumberToObject(doc, "ggen_manifest", OUTMANIFEST_VERSION);
	cJSON_AddStringToObject(doc, "key", m->key);
	cJSON_AddStringToObject(doc, "phase", m->phase);
	cJSON_AddNumberToObject(doc, "exit_code", m->exit_code);
	files = cJSON_AddArrayToObject(doc, "files");
	for (size_t i = 0; i < m->n_files; i++) {
		const struct outmanifest_file *f = &m->files[i];
		cJSON *o = cJSON_CreateObject();

		snprintf(mode, sizeof(mode), "%04o", f->mode);
		cJSON_AddStringToObject(o, "path", f->path);
		cJSON_AddStringToObject(o, "mode", mode);
		cJSON_AddNumberToObject(o, "size", (double)f->size);
		cJSON_AddStringToObject(o, "sha256", f->sha256);
		cJSON_AddItemToArray(files, o);
	}
	if (m->output_tail != NULL)
		cJSON_AddStringToObject(doc, "output_tail", m->output_tail);
	text = cJSON_PrintUnformatted(doc);
	cJSON_Delete(doc);
	if (text == NULL)
		fatal("outmanifest: out of memory printing JSON");
	{
		/* Handed out as malloc'ed memory: callers free() it. */
		char *copy = xstrdup(text);

		cJSON_free(text);
		return copy;
	}
}

/* Sizes travel as JSON numbers: integral and below 2^53 to be exact. */
static int
outmanifest_u64(const cJSON *n, uint64_t *out)
{
	double d;

	if (!cJSON_IsNumber(n))
		return -1;
	d = n->valuedouble;
	if (!(d >= 0) || d > 9007199254740992.0 || d != (double)(uint64_t)d)
		return -1;
	*out = (uint64_t)d;
	return 0;
}

static int
outmanifest_mode(const cJSON *n, unsigned *out)
{
	const char *s;
	unsigned v = 0;

	if (!cJSON_IsString(n))
		return -1;
	s = n->valuestring;
	if (s[0] == '\0' || strlen(s) > 4)
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '7')
			return -1;
		v = v * 8 + (unsigned)(*s - '0');
	}
	if (v > 0777)
		return -1;
	*out = v;
	return 0;
}

static int
outmanifest_file_from(struct outmanifest *m, size_t i, const cJSON *o,
    struct gerr *err)
{
	const cJSON *path = cJSON_GetObjectItemCaseSensitive(o, "path");
	const cJSON *mode = cJSON_GetObjectItemCaseSensitive(o, "mode");
	const cJSON *size = cJSON_GetObjectItemCaseSensitive(o, "size");
	const cJSON *sha = cJSON_GetObjectItemCaseSensitive(o, "sha256");
	struct gerr e;
	unsigned mv;
	uint64_t sv;
	int rc;

	if (!cJSON_IsObject(o))
		return gerr_set(err, GERR_INVALID, "manifest: files[%zu] is "
		    "not an object", i);
	if (!cJSON_IsString(path))
		return gerr_set(err, GERR_INVALID, "manifest: files[%zu].path "
		    "missing or not a string", i);
	if (outmanifest_mode(mode, &mv) != 0)
		return gerr_set(err, GERR_INVALID, "manifest: files[%zu].mode "
		    "is not an octal string like \"0644\"", i);
	if (outmanifest_u64(size, &sv) != 0)
		return gerr_set(err, GERR_INVALID, "manifest: files[%zu].size "
		    "is not a non-negative integer", i);
	if (!cJSON_IsString(sha) || !sha256_hex_valid(sha->valuestring))
		return gerr_set(err, GERR_INVALID, "manifest: files[%zu]."
		    "sha256 is not 64 lowercase hex digits", i);
	gerr_clear(&e);
	rc = outmanifest_add(m, path->valuestring, mv, sv, sha->valuestring,
	    &e);
	if (rc != 0)
		return gerr_set(err, (enum gerr_code)rc, "manifest: files[%zu]: "
		    "%s", i, e.msg);
	return 0;
}

int
outmanifest_parse(const char *text, size_t len, const char *want_key,
    uint64_t max_total_bytes, struct outmanifest **out, struct gerr *err)
{
	const cJSON *version, *key, *phase, *code, *files, *tail, *o;
	struct outmanifest *m;
	cJSON *doc;
	size_t i = 0;
	int rc = 0;

	*out = NULL;
	if (len > OUTMANIFEST_TEXT_MAX)
		return gerr_set(err, GERR_TOO_LARGE, "manifest: %zu bytes (at "
		    "most %u)", len, OUTMANIFEST_TEXT_MAX);
	doc = cJSON_ParseWithLength(text, len);
	if (doc == NULL)
		return gerr_set(err, GERR_PARSE, "manifest: not valid JSON");
	version = cJSON_GetObjectItemCaseSensitive(doc, "ggen_manifest");
	key = cJSON_GetObjectItemCaseSensitive(doc, "key");
	phase = cJSON_GetObjectItemCaseSensitive(doc, "phase");
	code = cJSON_GetObjectItemCaseSensitive(doc, "exit_code");
	files = cJSON_GetObjectItemCaseSensitive(doc, "files");
	tail = cJSON_GetObjectItemCaseSensitive(doc, "output_tail");
	if (!cJSON_IsObject(doc))
		rc = gerr_set(err, GERR_INVALID, "manifest: not a JSON object");
	else if (!cJSON_IsNumber(version) ||
	    version->valuedouble != OUTMANIFEST_VERSION)
		rc = gerr_set(err, GERR_INVALID, "manifest: ggen_manifest is "
		    "not %d", OUTMANIFEST_VERSION);
	else if (!cJSON_IsString(key) || !sha256_hex_valid(key->valuestring))
		rc = gerr_set(err, GERR_INVALID, "manifest: key missing or "
		    "not 64 lowercase hex digits");
	else if (want_key != NULL && strcmp(key->valuestring, want_key) != 0)
		rc = gerr_set(err, GERR_INVALID, "manifest: key %.16s... is "
		    "not the key asked for (%.16s...)", key->valuestring,
		    want_key);
	else if (!cJSON_IsString(phase))
		rc = gerr_set(err, GERR_INVALID, "manifest: phase missing or "
		    "not a string");
	else if (!cJSON_IsNumber(code) || code->valuedouble < -1 ||
	    code->valuedouble > 255)
		rc = gerr_set(err, GERR_INVALID, "manifest: exit_code missing "
		    "or out of range");
	else if (!cJSON_IsArray(files))
		rc = gerr_set(err, GERR_INVALID, "manifest: files missing or "
		    "not an array");
	else if (tail != NULL && !cJSON_IsString(tail))
		rc = gerr_set(err, GERR_INVALID, "manifest: output_tail is "
		    "not a string");
	if (rc != 0) {
		cJSON_Delete(doc);
		return rc;
	}
	m = outmanifest_new(key->valuestring, phase->valuestring);
	m->exit_code = code->valueint;
	cJSON_ArrayForEach(o, files) {
		if ((rc = outmanifest_file_from(m, i++, o, err)) != 0)
			break;
	}
	if (rc == 0 && max_total_bytes > 0 && m->total_bytes > max_total_bytes)
		rc = gerr_set(err, GERR_TOO_LARGE, "manifest: outputs total "
		    "%" PRIu64 " bytes (at most %" PRIu64 ")", m->total_bytes,
		    max_total_bytes);
	if (rc == 0 && tail != NULL)
		outmanifest_set_tail(m, tail->valuestring,
		    strlen(tail->valuestring));
	cJSON_Delete(doc);
	if (rc == 0)
		rc = outmanifest_seal(m, err);
	if (rc != 0) {
		outmanifest_free(m);
		return rc;
	}
	*out = m;
	return 0;
}
