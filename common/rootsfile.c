/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * rootsfile.c - encode and decode the roots file (common/rootsfile.h)
 * with cJSON. Owns nothing beyond the calls.
 */
#include "rootsfile.h"

#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "log.h"
#include "xmalloc.h"

char *
rootsfile_encode(const char *const *paths, size_t n, size_t *len)
{
	cJSON *doc = cJSON_CreateObject(), *arr;
	char *text, *out;
	size_t tlen;

	arr = cJSON_AddArrayToObject(doc, "roots");
	for (size_t i = 0; i < n; i++)
		cJSON_AddItemToArray(arr, cJSON_CreateString(paths[i]));
	text = cJSON_PrintUnformatted(doc);
	cJSON_Delete(doc);
	if (text == NULL)
		fatal("rootsfile_encode: out of memory");
	tlen = strlen(text);
	out = xmalloc(tlen + 2);
	memcpy(out, text, tlen);
	out[tlen] = '\n';
	out[tlen + 1] = '\0';
	cJSON_free(text);
	*len = tlen + 1;
	return out;
}

int
rootsfile_decode(const char *text, size_t len, char ***paths, size_t *n,
    struct gerr *err)
{
	const cJSON *arr, *item;
	cJSON *doc;
	char **out;
	size_t k = 0;

	*paths = NULL;
	*n = 0;
	doc = cJSON_ParseWithLength(text, len);
	if (doc == NULL || !cJSON_IsObject(doc)) {
		cJSON_Delete(doc);
		return gerr_set(err, GERR_PARSE, "not a JSON object");
	}
	arr = cJSON_GetObjectItemCaseSensitive(doc, "roots");
	if (!cJSON_IsArray(arr)) {
		cJSON_Delete(doc);
		return gerr_set(err, GERR_PARSE, "no \"roots\" array");
	}
	out = xcalloc((size_t)cJSON_GetArraySize(arr) + 1, sizeof(*out));
	cJSON_ArrayForEach(item, arr)
		if (cJSON_IsString(item))
			out[k++] = xstrdup(item->valuestring);
	cJSON_Delete(doc);
	*paths = out;
	*n = k;
	return 0;
}

void
rootsfile_free(char **paths)
{
	if (paths == NULL)
		return;
	for (size_t i = 0; paths[i] != NULL; i++)
		free(paths[i]);
	free(paths);
}
