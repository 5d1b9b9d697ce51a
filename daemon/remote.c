/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * remote.c - Bazel HTTP remote-cache client over libcurl (see remote.h).
 *
 * Owns: the settings copy (URL, switches, caps, auth header lines), the
 * counters and the backoff state, all under mu; each struct remote_conn
 * owns one CURL easy handle used by one worker thread at a time.
 * Called by daemon/outcache.c: configure and stats on the loop, transfers
 * on its worker threads. Invariant: a transfer never runs on the loop and
 * never without a timeout and a byte cap; the loop only ever takes mu for
 * short copies. Never logs header values (they hold credentials).
 */
#include "remote.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>

#include "clock.h"
#include "fileio.h"
#include "log.h"
#include "sha256.h"
#include "strbuf.h"
#include "xmalloc.h"

#define REMOTE_BACKOFF_FIRST_MS 1000
#define REMOTE_SINK_BUF (1u << 20)
#define REMOTE_BACKOFF_MAX_MS (5 * 60 * 1000)

struct remote {
	pthread_mutex_t mu;
	uint64_t generation;		/* bumped by configure */
	char *url;			/* without a trailing '/' */
	bool read, write;
	uint64_t timeout_ms, max_bytes;
	char **headers;			/* "Name: value" */
	size_t n_headers;
	bool disabled;			/* bad settings (reason in last_error) */
	/* state */
	int reachable;			/* -1 unknown, 0 no, 1 yes */
	uint64_t backoff_ms, retry_at_ms;	/* mono */
	uint64_t hits, misses, uploads, uploads_skipped;
	uint64_t bytes_down, bytes_up;
	uint64_t errors, corrupt, refused, skipped;
	char last_error[GERR_MSG_MAX];
};

struct remote_conn {
	struct remote *r;
	CURL *curl;
};

/* What one transfer needs, copied out of the settings under mu. */
struct remote_call {
	char *url;
	uint64_t timeout_ms, max_bytes;
	struct curl_slist *headers;
};

struct remote *
remote_new(void)
{
	struct remote *r = xcalloc(1, sizeof(*r));

	curl_global_init(CURL_GLOBAL_DEFAULT);
	pthread_mutex_init(&r->mu, NULL);
	r->url = xstrdup("");
	r->reachable = -1;
	return r;
}

static void
remote_headers_free(struct remote *r)
{
	for (size_t i = 0; i < r->n_headers; i++)
		free(r->headers[i]);
	free(r->headers);
	r->headers = NULL;
	r->n_headers = 0;
}

void
remote_free(struct remote *r)
{
	if (r == NULL)
		return;
	remote_headers_free(r);
	free(r->url);
	pthread_mutex_destroy(&r->mu);
	free(r);
	curl_global_cleanup();
}

/* Parse the headers file text into r (under mu). */
static int
remote_parse_headers(struct remote *r, const char *path, const char *text,
    struct gerr *err)
{
	int line = 0;
	const char *p = text;

	while (*p != '\0') {
		const char *nl = strchr(p, '\n');
		size_t n = nl != NULL ? (size_t)(nl - p) : strlen(p);
		char *l = xstrndup(p, n);
		char *colon;

		line++;
		if (n > 0 && l[n - 1] == '\r')
			l[--n] = '\0';
		colon = strchr(l, ':');
		if (n == 0 || l[0] == '#') {
			free(l);
		} else if (colon == NULL || colon == l ||
		    strpbrk(l, "\r") != NULL) {
			free(l);
			return gerr_set_at(err, GERR_INVALID, path, line, 1,
			    "expected \"Name: value\"");
		} else if (r->n_headers == REMOTE_HEADERS_MAX) {
			free(l);
			return gerr_set_at(err, GERR_LIMIT, path, line, 1,
			    "more than %d headers", REMOTE_HEADERS_MAX);
		} else {
			r->headers = xreallocarray(r->headers, r->n_headers + 1,
			    sizeof(*r->headers));
			r->headers[r->n_headers++] = l;
		}
		if (nl == NULL)
			break;
		p = nl + 1;
	}
	return 0;
}

static int
remote_load_headers(struct remote *r, const char *path, struct gerr *err)
{
	struct stat sb;
	char *buf = NULL;
	size_t len = 0;
	int fd, rc;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return gerr_set(err, GERR_IO, "headers_file %s: %s", path,
		    strerror(errno));
	rc = fstat(fd, &sb);
	close(fd);
	if (rc != 0 || !S_ISREG(sb.st_mode))
		return gerr_set(err, GERR_INVALID, "headers_file %s: not a "
		    "regular file", path);
	if (sb.st_uid != geteuid())
		return gerr_set(err, GERR_PERMISSION, "headers_file %s: owned "
		    "by uid %ld, not by this user", path, (long)sb.st_uid);
	if ((sb.st_mode & 077) != 0)
		return gerr_set(err, GERR_PERMISSION, "headers_file %s: mode "
		    "%04o; must be 0600 (it holds credentials)", path,
		    (unsigned)(sb.st_mode & 07777));
	rc = fileio_read(path, REMOTE_HEADERS_MAX_BYTES, FILEIO_NOFOLLOW, &buf,
	    &len, NULL, err);
	if (rc == 0)
		rc = remote_parse_headers(r, path, buf, err);
	free(buf);
	return rc;
}

int
remote_configure(struct remote *r, const struct remote_settings *s,
    struct gerr *err)
{
	struct gerr e;
	size_t n;
	int rc = 0;

	gerr_clear(&e);
	pthread_mutex_lock(&r->mu);
	remote_headers_free(r);
	free(r->url);
	r->url = xstrdup(s->url);
	n = strlen(r->url);
	while (n > 0 && r->url[n - 1] == '/')
		r->url[--n] = '\0';
	r->read = s->read;
	r->write = s->write;
	r->timeout_ms = s->timeout_ms;
	r->max_bytes = s->max_bytes;
	r->disabled = false;
	r->generation++;
	r->backoff_ms = 0;
	r->retry_at_ms = 0;
	r->reachable = -1;
	if (n > 0 && strncmp(r->url, "http://", 7) != 0 &&
	    strncmp(r->url, "https://", 8) != 0)
		rc = gerr_set(&e, GERR_INVALID, "cache.remote.url \"%.200s\": "
		    "expected http:// or https://", r->url);
	if (rc == 0 && n > 0 && s->headers_file[0] != '\0')
		rc = remote_load_headers(r, s->headers_file, &e);
	if (rc != 0) {
		r->disabled = true;
		remote_headers_free(r);
		snprintf(r->last_error, sizeof(r->last_error), "%s", e.msg);
		log_error("remote cache disabled: %s", e.msg);
		if (err != NULL)
			*err = e;
	} else if (n > 0) {
		r->last_error[0] = '\0';
		log_info("remote cache %s (%s%s%s)", r->url,
		    r->read ? "read" : "", r->read && r->write ? ", " : "",
		    r->write ? "write" : "");
	}
	pthread_mutex_unlock(&r->mu);
	return rc;
}

static bool
remote_usable(struct remote *r, bool write)
{
	bool ok;

	pthread_mutex_lock(&r->mu);
	ok = r->url[0] != '\0' && !r->disabled && (write ? r->write :
	    r->read) && clock_mono_ms() >= r->retry_at_ms;
	pthread_mutex_unlock(&r->mu);
	return ok;
}

bool
remote_can_read(struct remote *r)
{
	return remote_usable(r, false);
}

bool
remote_can_write(struct remote *r)
{
	return remote_usable(r, true);
}

struct remote_conn *
remote_conn_new(struct remote *r)
{
	struct remote_conn *c = xcalloc(1, sizeof(*c));

	c->r = r;
	c->curl = curl_easy_init();
	if (c->curl == NULL)
		fatal("curl_easy_init failed");
	return c;
}

void
remote_conn_free(struct remote_conn *c)
{
	if (c == NULL)
		return;
	curl_easy_cleanup(c->curl);
	free(c);
}

/* Copy what a call needs; GERR_BUSY when unusable (off or backoff). */
static int
remote_call_begin(struct remote *r, bool write, const char *kind,
    const char *name, struct remote_call *call, struct gerr *err)
{
	bool ok;

	memset(call, 0, sizeof(*call));
	pthread_mutex_lock(&r->mu);
	ok = r->url[0] != '\0' && !r->disabled && (write ? r->write :
	    r->read) && clock_mono_ms() >= r->retry_at_ms;
	if (ok) {
		call->url = xasprintf("%s/%s/%s", r->url, kind, name);
		call->timeout_ms = r->timeout_ms;
		call->max_bytes = r->max_bytes;
		for (size_t i = 0; i < r->n_headers; i++)
			call->headers = curl_slist_append(call->headers,
			    r->headers[i]);
	} else if (r->url[0] != '\0' && !r->disabled) {
		r->skipped++;
	}
	pthread_mutex_unlock(&r->mu);
	if (!ok)
		return gerr_set(err, GERR_BUSY, "remote cache not in use");
	return 0;
}

static void
remote_call_end(struct remote_call *call)
{
	free(call->url);
	curl_slist_free_all(call->headers);
}

/* A success: the remote answers (a 404 counts). */
static void
remote_ok(struct remote *r)
{
	pthread_mutex_lock(&r->mu);
	if (r->reachable == 0)
		log_info("remote cache %s reachable again", r->url);
	r->reachable = 1;
	r->backoff_ms = 0;
	r->retry_at_ms = 0;
	pthread_mutex_unlock(&r->mu);
}

/* A failure: one warning per unreachable spell, a counter, backoff. */
static void
remote_fail(struct remote *r, const struct gerr *e, bool transport)
{
	pthread_mutex_lock(&r->mu);
	r->errors++;
	snprintf(r->last_error, sizeof(r->last_error), "%s", e->msg);
	if (r->reachable != 0)
		log_warn("remote cache: %s; builds go on without it, retrying "
		    "later", e->msg);
	else
		log_debug("remote_fail: %s", e->msg);
	if (transport || e->code == GERR_PERMISSION) {
		r->reachable = 0;
		r->backoff_ms = r->backoff_ms == 0 ? REMOTE_BACKOFF_FIRST_MS :
		    r->backoff_ms * 2;
		if (r->backoff_ms > REMOTE_BACKOFF_MAX_MS)
			r->backoff_ms = REMOTE_BACKOFF_MAX_MS;
		r->retry_at_ms = clock_mono_ms() + r->backoff_ms;
	}
	pthread_mutex_unlock(&r->mu);
}

static void
remote_setup(struct remote_conn *c, const struct remote_call *call,
    uint64_t size_hint)
{
	CURL *h = c->curl;
	/* Large blobs get time in proportion: 64 MiB per timeout period. */
	uint64_t total = call->timeout_ms * (1 + size_hint / (64u << 20));

	curl_easy_reset(h);
	curl_easy_setopt(h, CURLOPT_URL, call->url);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)call->timeout_ms);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)total);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, call->headers);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "ggend/" GGEN_VERSION);
	/* Fewer, larger callbacks: blobs are megabytes, not kilobytes. */
	curl_easy_setopt(h, CURLOPT_BUFFERSIZE, 512L * 1024);
}

/* Map a finished transfer to 0 / a gerr; counts and backs off. */
static int
remote_result(struct remote_conn *c, const struct remote_call *call,
    CURLcode cc, const char *what, struct gerr *err)
{
	struct gerr e;
	long status = 0;

	gerr_clear(&e);
	curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &status);
	if (cc == CURLE_WRITE_ERROR && err != NULL && err->code != GERR_OK) {
		/* Our write callback refused (size cap, disk): its error. */
		e = *err;
		remote_fail(c->r, &e, false);
		return e.code;
	}
	if (cc == CURLE_OPERATION_TIMEDOUT) {
		gerr_set(&e, GERR_TIMEOUT, "%s %s: timed out after %" PRIu64
		    " ms", what, call->url, call->timeout_ms);
		remote_fail(c->r, &e, true);
	} else if (cc != CURLE_OK) {
		gerr_set(&e, GERR_IO, "%s %s: %s", what, call->url,
		    curl_easy_strerror(cc));
		remote_fail(c->r, &e, true);
	} else if (status == 404) {
		remote_ok(c->r);
		return gerr_set(err, GERR_NOT_FOUND, "%s %s: 404", what,
		    call->url);
	} else if (status >= 200 && status < 300) {
		remote_ok(c->r);
		return 0;
	} else {
		gerr_set(&e, status == 401 || status == 403 ? GERR_PERMISSION :
		    GERR_IO, "%s %s: HTTP %ld", what, call->url, status);
		remote_fail(c->r, &e, status >= 500 || status == 401 ||
		    status == 403);
	}
	if (err != NULL) {
		gerr_clear(err);
		*err = e;
	}
	return e.code;
}

/* ---- GET ----------------------------------------------------------- */

struct remote_sink {
	struct strbuf *sb;		/* manifest into memory, or */
	struct outstore_blobw *w;	/* a blob into the store, or */
	struct fileio_writer *fw;	/* a blob into an output file */
	struct sha256 h;		/* fw: its hash so far */
	char *buf;			/* fw: write-behind (one write per
					   REMOTE_SINK_BUF, not per packet) */
	size_t used;
	uint64_t got, max;
	struct gerr *err;
};

static size_t
remote_sink_write(char *p, size_t size, size_t nmemb, void *arg)
{
	struct remote_sink *k = arg;
	size_t n = size * nmemb;

	if (n > k->max - k->got) {
		gerr_set(k->err, GERR_TOO_LARGE, "remote answer over %" PRIu64
		    " bytes; refused", k->max);
		return 0;
	}
	k->got += n;
	if (k->sb != NULL) {
		strbuf_add(k->sb, p, n);
		return n;
	}
	if (k->fw != NULL) {
		sha256_update(&k->h, p, n);
		if (k->used + n > REMOTE_SINK_BUF) {
			if (k->used > 0 && fileio_add(k->fw, k->buf, k->used,
			    k->err) != 0)
				return 0;
			k->used = 0;
		}
		if (n >= REMOTE_SINK_BUF)
			return fileio_add(k->fw, p, n, k->err) == 0 ? n : 0;
		memcpy(k->buf + k->used, p, n);
		k->used += n;
		return n;
	}
	return outstore_blob_write(k->w, p, n, k->err) == 0 ? n : 0;
}

static int
remote_get(struct remote_conn *c, const struct remote_call *call,
    struct remote_sink *k, const char *what, struct gerr *err)
{
	CURLcode cc;
	int rc;

	remote_setup(c, call, k->max);
	curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, remote_sink_write);
	curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, k);
	cc = curl_easy_perform(c->curl);
	rc = remote_result(c, call, cc, what, err);
	pthread_mutex_lock(&c->r->mu);
	c->r->bytes_down += k->got;
	pthread_mutex_unlock(&c->r->mu);
	return rc;
}

int
remote_get_manifest(struct remote_conn *c, const char *key,
    struct outmanifest **out, struct gerr *err)
{
	struct remote_call call;
	struct strbuf sb = STRBUF_INIT;
	struct remote_sink k = { .sb = &sb, .err = err };
	struct gerr e;
	int rc;

	*out = NULL;
	if ((rc = remote_call_begin(c->r, false, "ac", key, &call, err)) != 0)
		return rc;
	k.max = OUTMANIFEST_TEXT_MAX;
	rc = remote_get(c, &call, &k, "GET", err);
	if (rc == 0) {
		gerr_clear(&e);
		rc = outmanifest_parse(sb.buf, sb.len, key, call.max_bytes, out,
		    &e);
		if (rc != 0) {
			pthread_mutex_lock(&c->r->mu);
			c->r->refused++;
			pthread_mutex_unlock(&c->r->mu);
			gerr_set(&e, GERR_INVALID, "refused");
			remote_fail(c->r, &e, false);
			if (err != NULL)
				*err = e;
		}
	}
	strbuf_release(&sb);
	remote_call_end(&call);
	return rc;
}

static void remote_corrupt(struct remote_conn *c, const char *url);

int
remote_get_blob(struct remote_conn *c, const char *sha, uint64_t size,
    struct outstore *store, struct gerr *err)
{
	struct remote_call call;
	struct remote_sink k = { .err = err };
	int rc;

	if ((rc = remote_call_begin(c->r, false, "cas", sha, &call, err)) != 0)
		return rc;
	if (size > call.max_bytes) {
		remote_call_end(&call);
		return gerr_set(err, GERR_TOO_LARGE, "blob %.16s... of %"
		    PRIu64 " bytes over cache.remote.max_bytes", sha, size);
	}
	k.max = size;
	rc = outstore_blob_begin(store, size, &k.w, err);
	if (rc == 0)
		rc = remote_get(c, &call, &k, "GET", err);
	if (rc == 0 && k.got != size)
		rc = gerr_set(err, GERR_IO, "GET %s: %" PRIu64 " bytes, "
		    "expected %" PRIu64, call.url, k.got, size);
	if (rc == 0) {
		rc = outstore_blob_commit(k.w, sha, NULL, NULL, err);
		k.w = NULL;
		if (rc == GERR_INVALID)
			remote_corrupt(c, call.url);
	}
	outstore_blob_abort(k.w);
	remote_call_end(&call);
	return rc;
}

/* A blob whose bytes do not hash to its name: counted, backed off. */
static void
remote_corrupt(struct remote_conn *c, const char *url)
{
	struct gerr e;

	pthread_mutex_lock(&c->r->mu);
	c->r->corrupt++;
	pthread_mutex_unlock(&c->r->mu);
	gerr_clear(&e);
	gerr_set(&e, GERR_INVALID, "GET %s: content does not match its "
	    "sha256; discarded", url);
	remote_fail(c->r, &e, false);
}

int
remote_get_blob_into(struct remote_conn *c, const char *sha, uint64_t size,
    struct fileio_writer *w, struct gerr *err)
{
	struct remote_call call;
	struct remote_sink k = { .fw = w, .err = err };
	char got[SHA256_HEX_SIZE];
	int rc;

	if ((rc = remote_call_begin(c->r, false, "cas", sha, &call, err)) != 0)
		return rc;
	if (size > call.max_bytes) {
		remote_call_end(&call);
		return gerr_set(err, GERR_TOO_LARGE, "blob %.16s... of %"
		    PRIu64 " bytes over cache.remote.max_bytes", sha, size);
	}
	k.max = size;
	k.buf = xmalloc(REMOTE_SINK_BUF);
	sha256_init(&k.h);
	rc = remote_get(c, &call, &k, "GET", err);
	if (rc == 0 && k.used > 0)
		rc = fileio_add(w, k.buf, k.used, err);
	free(k.buf);
	sha256_final_hex(&k.h, got);
	if (rc == 0 && k.got != size)
		rc = gerr_set(err, GERR_IO, "GET %s: %" PRIu64 " bytes, "
		    "expected %" PRIu64, call.url, k.got, size);
	if (rc == 0 && strcmp(got, sha) != 0) {
		remote_corrupt(c, call.url);
		rc = gerr_set(err, GERR_INVALID, "blob %.16s...: content "
		    "hashes to %.16s...; discarded", sha, got);
	}
	remote_call_end(&call);
	return rc;
}

/* ---- PUT ----------------------------------------------------------- */

struct remote_source {
	const char *mem;	/* manifest text, or */
	int fd;			/* a blob file */
	size_t len, off;
};

static size_t
remote_source_read(char *p, size_t size, size_t nmemb, void *arg)
{
	struct remote_source *s = arg;
	size_t n = size * nmemb;
	ssize_t got;

	if (s->mem != NULL) {
		if (n > s->len - s->off)
			n = s->len - s->off;
		memcpy(p, s->mem + s->off, n);
		s->off += n;
		return n;
	}
	do
		got = read(s->fd, p, n);
	while (got < 0 && errno == EINTR);
	return got < 0 ? CURL_READFUNC_ABORT : (size_t)got;
}

static int
remote_put(struct remote_conn *c, const char *kind, const char *name,
    struct remote_source *src, uint64_t size, struct gerr *err)
{
	struct remote_call call;
	CURLcode cc;
	int rc;

	if ((rc = remote_call_begin(c->r, true, kind, name, &call, err)) != 0)
		return rc;
	remote_setup(c, &call, size);
	curl_easy_setopt(c->curl, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(c->curl, CURLOPT_READFUNCTION, remote_source_read);
	curl_easy_setopt(c->curl, CURLOPT_READDATA, src);
	curl_easy_setopt(c->curl, CURLOPT_INFILESIZE_LARGE, (curl_off_t)size);
	cc = curl_easy_perform(c->curl);
	rc = remote_result(c, &call, cc, "PUT", err);
	if (rc == 0) {
		pthread_mutex_lock(&c->r->mu);
		c->r->bytes_up += size;
		pthread_mutex_unlock(&c->r->mu);
	}
	remote_call_end(&call);
	return rc;
}

/* Whether the server already has blob sha (HEAD answered 200). */
static bool
remote_has(struct remote_conn *c, const char *sha)
{
	struct remote_call call;
	long status = 0;

	if (remote_call_begin(c->r, true, "cas", sha, &call, NULL) != 0)
		return false;
	remote_setup(c, &call, 0);
	curl_easy_setopt(c->curl, CURLOPT_NOBODY, 1L);
	if (curl_easy_perform(c->curl) == CURLE_OK)
		curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &status);
	remote_call_end(&call);
	return status == 200;
}

int
remote_put_result(struct remote_conn *c, const struct outmanifest *m,
    struct outstore *store, struct gerr *err)
{
	char *text, *path;
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < m->n_files; i++) {
		const struct outmanifest_file *f = &m->files[i];
		struct remote_source src = { .fd = -1, .len = f->size };
		bool skip = false;

		pthread_mutex_lock(&c->r->mu);
		if (f->size > c->r->max_bytes)
			skip = true;
		pthread_mutex_unlock(&c->r->mu);
		if (skip)
			return gerr_set(err, GERR_TOO_LARGE, "output %s of %"
			    PRIu64 " bytes over cache.remote.max_bytes; not "
			    "uploaded", f->path, f->size);
		if (remote_has(c, f->sha256)) {
			pthread_mutex_lock(&c->r->mu);
			c->r->uploads_skipped++;
			pthread_mutex_unlock(&c->r->mu);
			continue;
		}
		path = xasprintf("%s/cas/%.2s/%s", outstore_dir(store),
		    f->sha256, f->sha256);
		src.fd = open(path, O_RDONLY | O_CLOEXEC);
		if (src.fd < 0)
			rc = gerr_set(err, GERR_NOT_FOUND, "open %s: %s", path,
			    strerror(errno));
		free(path);
		if (rc == 0)
			rc = remote_put(c, "cas", f->sha256, &src, f->size,
			    err);
		if (src.fd >= 0)
			close(src.fd);
	}
	if (rc != 0)
		return rc;
	text = outmanifest_to_json(m);
	{
		struct remote_source src = { .mem = text, .fd = -1,
			.len = strlen(text) };

		rc = remote_put(c, "ac", m->key, &src, src.len, err);
	}
	free(text);
	if (rc == 0) {
		pthread_mutex_lock(&c->r->mu);
		c->r->uploads++;
		pthread_mutex_unlock(&c->r->mu);
	}
	return rc;
}

void
remote_count(struct remote *r, bool hit)
{
	pthread_mutex_lock(&r->mu);
	if (hit)
		r->hits++;
	else
		r->misses++;
	pthread_mutex_unlock(&r->mu);
}

cJSON *
remote_stats_json(struct remote *r)
{
	cJSON *o = cJSON_CreateObject();
	uint64_t now = clock_mono_ms();

	pthread_mutex_lock(&r->mu);
	cJSON_AddBoolToObject(o, "enabled", r->url[0] != '\0' && !r->disabled);
	cJSON_AddStringToObject(o, "url", r->url);
	cJSON_AddBoolToObject(o, "read", r->read);
	cJSON_AddBoolToObject(o, "write", r->write);
	if (r->reachable < 0)
		cJSON_AddNullToObject(o, "reachable");
	else
		cJSON_AddBoolToObject(o, "reachable", r->reachable == 1);
	cJSON_AddNumberToObject(o, "hits", (double)r->hits);
	cJSON_AddNumberToObject(o, "misses", (double)r->misses);
	cJSON_AddNumberToObject(o, "uploads", (double)r->uploads);
	cJSON_AddNumberToObject(o, "blobs_already_there",
	    (double)r->uploads_skipped);
	cJSON_AddNumberToObject(o, "bytes_down", (double)r->bytes_down);
	cJSON_AddNumberToObject(o, "bytes_up", (double)r->bytes_up);
	cJSON_AddNumberToObject(o, "errors", (double)r->errors);
	cJSON_AddNumberToObject(o, "corrupt_blobs", (double)r->corrupt);
	cJSON_AddNumberToObject(o, "refused_manifests", (double)r->refused);
	cJSON_AddNumberToObject(o, "skipped_in_backoff", (double)r->skipped);
	cJSON_AddNumberToObject(o, "retry_in_ms", r->retry_at_ms > now ?
	    (double)(r->retry_at_ms - now) : 0);
	if (r->last_error[0] != '\0')
		cJSON_AddStringToObject(o, "last_error", r->last_error);
	else
		cJSON_AddNullToObject(o, "last_error");
	pthread_mutex_unlock(&r->mu);
	return o;
}
