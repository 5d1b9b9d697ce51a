/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * req_hash.c - `hash`: the XXH3-128 of a file's content, from its root's
 * table when known, else computed on the hash pool (a deferred reply; a
 * file outside every root is hashed the same way). The reply says which
 * ("source": "table" or "computed").
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "crawl.h"
#include "filetable.h"
#include "ggend.h"
#include "req.h"
#include "req_entries.h"
#include "watch.h"

static cJSON *
req_hash_result(const char *path, const XXH128_hash_t *h, int64_t size,
    const char *source)
{
	cJSON *o = cJSON_CreateObject();
	char hex[33];

	snprintf(hex, sizeof(hex), "%016llx%016llx",
	    (unsigned long long)h->high64, (unsigned long long)h->low64);
	cJSON_AddStringToObject(o, "path", path);
	cJSON_AddStringToObject(o, "hash", hex);
	cJSON_AddNumberToObject(o, "size", (double)size);
	cJSON_AddStringToObject(o, "source", source);
	return o;
}

static void
req_hash_done(void *arg, int error, const XXH128_hash_t *h,
    const struct filetable_stat *st)
{
	struct req *req = arg;
	const char *path = req_field(req, "path")->valuestring;
	struct gerr err;

	if (error != 0) {
		gerr_clear(&err);
		gerr_set(&err, error == ENOENT ? GERR_NOT_FOUND :
		    error == ECANCELED ? GERR_SHUTTING_DOWN : GERR_IO,
		    "hash %s: %s", path, error == EINVAL ?
		    "not a regular file" : strerror(error));
		req_reply_error(req, &err);
		return;
	}
	req_reply_ok(req, req_hash_result(path, h, st->size, "computed"));
}

static void
req_hash_cancel(struct req *req, void *arg)
{
	watch_hash_cancel(((struct ggend *)arg)->watch, req);
	req_release(req);
}

static int
req_hash(struct req *req, struct gerr *err)
{
	const char *path = req_field(req, "path")->valuestring;
	const struct filetable_entry *e;
	const char *rel;
	struct watch_root *r;
	char canon[PATH_MAX];
	struct stat st;
	int rc;

	if (realpath(path, canon) == NULL)
		return gerr_set(err, errno == ENOENT ? GERR_NOT_FOUND : GERR_IO,
		    "%s: %s", path, strerror(errno));
	if (stat(canon, &st) != 0 || !S_ISREG(st.st_mode))
		return gerr_set(err, GERR_INVALID, "%s: not a regular file",
		    path);
	/* /proc/PID/pagemap and friends: endless, not content. */
	if (crawl_path_is_pseudo(canon))
		return gerr_set(err, GERR_INVALID, "%s: on a pseudo filesystem "
		    "(proc, sys, dev, ...): not hashed", path);
	r = watch_root_find(req->g->watch, canon);
	rel = r != NULL ? watch_root_relpath(r, canon) : NULL;
	e = rel != NULL ? filetable_lookup(watch_root_table(r), rel) : NULL;
	if (e != NULL && e->kind == FILETABLE_FILE &&
	    (e->flags & FILETABLE_F_HASH_KNOWN)) {
		req_reply_ok(req, req_hash_result(path, &e->hash, e->st.size,
		    "table"));
		return 0;
	}
	rc = watch_hash_file(req->g->watch, canon, req_hash_done, req, err);
	if (rc != 0)
		return rc;
	req_defer(req, req_hash_cancel, req->g);
	return 0;
}

const struct req_entry req_hash_entry = {
	.proto = PROTO_CMD_HASH,
	.handler = req_hash,
};
