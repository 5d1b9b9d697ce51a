/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * template_load.c - file-system loader for include / import / extends
 * (see template_load.h). Reads through genout_read, the project's one
 * bounded whole-file reader.
 */
#include "template_load.h"

#include <stdlib.h>
#include <string.h>

#include "genout.h"
#include "path.h"
#include "xmalloc.h"

/* Read base/name if it exists: 1 found, 0 not, < 0 error (negated). */
static int
template_fs_try(const struct template_fs_loader *fs, const char *base,
    const char *name, char **src, size_t *len, char **resolved,
    struct gerr *err)
{
	char *joined = path_join(base, name), *norm = path_normalize(joined);
	bool exists = false;
	int rc;

	free(joined);
	if (!path_is_inside(base[0] != '\0' ? base : ".", norm) &&
	    base[0] != '\0') {
		free(norm);
		return 0;
	}
	rc = genout_read(norm, fs->max_bytes > 0 ? fs->max_bytes :
	    TEMPLATE_LOAD_MAX_BYTES, src, len, &exists, err);
	if (rc != 0 || !exists) {
		free(norm);
		return rc != 0 ? -rc : 0;
	}
	*resolved = norm;
	return 1;
}

int
template_fs_load(void *ctx, const char *from, const char *name, char **src,
    size_t *len, char **resolved, struct gerr *err)
{
	const struct template_fs_loader *fs = ctx;
	char *dir;
	int rc;

	*src = NULL;
	*resolved = NULL;
	*len = 0;
	if (name[0] == '\0' || name[0] == '/')
		return gerr_set(err, GERR_INVALID, "template name \"%s\" must be "
		    "a relative path", name);
	dir = xstrndup(from, path_dirname_len(from));
	rc = template_fs_try(fs, dir, name, src, len, resolved, err);
	free(dir);
	for (size_t i = 0; rc == 0 && i < fs->ndirs; i++)
		rc = template_fs_try(fs, fs->dirs[i], name, src, len, resolved,
		    err);
	if (rc < 0)
		return -rc;
	return rc == 1 ? 0 : GERR_NOT_FOUND;
}

struct template_loader
template_fs_loader(struct template_fs_loader *fs)
{
	struct template_loader l = { .load = template_fs_load, .ctx = fs };

	return l;
}

size_t
template_load_entry_dir(const char *entry)
{
	size_t stop = strcspn(entry, "*?[{:"), cut = 0;

	for (size_t k = 0; k < stop; k++)
		if (entry[k] == '/')
			cut = k;
	return cut;
}
