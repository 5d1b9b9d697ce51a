/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * validate.c - make.toml findings as JSON: the result of the `validate`
 * request and of `ggenc validate --json`. Pure; owns nothing.
 * Invariant: one object per finding, in the order of the findings (files
 * grouped, sorted by position), so every producer prints the same text.
 */
#include "validate.h"

cJSON *
proto_validate_result(const char *file, const struct make_findings *f)
{
	cJSON *res = cJSON_CreateObject();

	cJSON_AddStringToObject(res, "file", file);
	cJSON_AddArrayToObject(res, "findings");
	cJSON_AddNumberToObject(res, "errors", 0);
	cJSON_AddNumberToObject(res, "warnings", 0);
	cJSON_AddNumberToObject(res, "dropped", 0);
	proto_validate_add(res, f);
	return res;
}

static void
proto_validate_count(cJSON *res, const char *name, size_t n)
{
	cJSON *item = cJSON_GetObjectItemCaseSensitive(res, name);

	cJSON_SetNumberValue(item, item->valuedouble + (double)n);
}

void
proto_validate_add(cJSON *res, const struct make_findings *f)
{
	cJSON *arr = cJSON_GetObjectItemCaseSensitive(res, "findings");

	for (size_t i = 0; i < f->len; i++) {
		const struct make_finding *mf = &f->items[i];
		cJSON *o = cJSON_CreateObject();

		cJSON_AddStringToObject(o, "rule", mf->rule->id);
		cJSON_AddStringToObject(o, "severity",
		    mf->severity == MAKE_ERROR ? "error" : "warning");
		cJSON_AddStringToObject(o, "file", mf->file);
		cJSON_AddNumberToObject(o, "line", mf->line);
		cJSON_AddNumberToObject(o, "col", mf->col);
		cJSON_AddStringToObject(o, "message", mf->message);
		cJSON_AddItemToArray(arr, o);
	}
	proto_validate_count(res, "errors", f->errors);
	proto_validate_count(res, "warnings", f->warnings);
	proto_validate_count(res, "dropped", f->dropped);
}
