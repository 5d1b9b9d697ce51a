/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * statemap.c - flat JSON string maps for state files (statemap.h), with
 * cJSON. Stateless.
 */
#include "statemap.h"

#include <stdlib.h>

#include <cjson/cJSON.h>

#include "xmalloc.h"

int
statemap_parse(const char *text, size_t len, statemap_put_fn put, void *arg)
{
	cJSON *doc = cJSON_ParseWithLength(text, len);
	const cJSON *item;

	if (!cJSON_IsObject(doc)) {
		cJSON_Delete(doc);
		return -1;
	}
	cJSON_ArrayForEach(item, doc)
		if (cJSON_IsString(item) && item->string != NULL)
			put(arg, item->string, item->valuestring);
	cJSON_Delete(doc);
	return 0;
}

char *
statemap_print(const char *const *names, const char *const *values,
    size_t n)
{
	cJSON *doc = cJSON_CreateObject();
	char *text, *copy;

	for (size_t i = 0; i < n; i++)
		cJSON_AddStringToObject(doc, names[i], values[i]);
	text = cJSON_PrintUnformatted(doc);
	cJSON_Delete(doc);
	if (text == NULL)
		abort();	/* allocation failure, which xmalloc forbids */
	copy = xstrdup(text);
	cJSON_free(text);
	return copy;
}
