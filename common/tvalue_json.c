/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tvalue_json.c - cJSON <-> tvalue. Stateless; callers: daemon (request
 * vars, `--vars FILE.json`), conformance driver, tests. Never uses cJSON's
 * global error pointer (not thread-safe): the parse end comes back through
 * cJSON_ParseWithLengthOpts.
 */
#include "tvalue_json.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <string.h>

static int
tvalue_json_conv(const cJSON *j, int depth, struct tvalue **out,
    struct gerr *err)
{
	struct tvalue *v, *child;
	const cJSON *c;
	int rc;

	*out = NULL;
	if (depth > TVALUE_JSON_MAX_DEPTH)
		return gerr_set(err, GERR_LIMIT, "JSON nested deeper than %d",
		    TVALUE_JSON_MAX_DEPTH);
	if (cJSON_IsNull(j)) {
		*out = tvalue_null();
	} else if (cJSON_IsBool(j)) {
		*out = tvalue_bool(cJSON_IsTrue(j));
	} else if (cJSON_IsNumber(j)) {
		double d = j->valuedouble;

		if (d == floor(d) && fabs(d) < 9007199254740992.0)
			*out = tvalue_int((int64_t)d);
		else
			*out = tvalue_double(d);
	} else if (cJSON_IsString(j)) {
		*out = tvalue_string(j->valuestring);
	} else if (cJSON_IsArray(j) || cJSON_IsObject(j)) {
		bool obj = cJSON_IsObject(j);

		v = obj ? tvalue_map_new() : tvalue_array_new();
		for (c = j->child; c != NULL; c = c->next) {
			rc = tvalue_json_conv(c, depth + 1, &child, err);
			if (rc != 0) {
				tvalue_unref(v);
				return rc;
			}
			if (obj)
				tvalue_map_set(v, c->string, child);
			else
				tvalue_array_push(v, child);
		}
		*out = v;
	} else {
		return gerr_set(err, GERR_INVALID, "unsupported JSON node");
	}
	return 0;
}

int
tvalue_from_cjson(const struct cJSON *json, struct tvalue **out,
    struct gerr *err)
{
	return tvalue_json_conv(json, 0, out, err);
}

int
tvalue_from_json_text(const char *text, size_t len, const char *file,
    struct tvalue **out, struct gerr *err)
{
	const char *end = NULL;
	cJSON *j = cJSON_ParseWithLengthOpts(text, len, &end, 0);
	int rc, line = 1, col = 1;

	*out = NULL;
	if (j == NULL) {
		for (const char *p = text; end != NULL && p < end && p < text + len; p++) {
			if (*p == '\n') {
				line++;
				col = 1;
			} else
				col++;
		}
		return gerr_set_at(err, GERR_PARSE, file, line, col,
		    "invalid JSON");
	}
	rc = tvalue_from_cjson(j, out, err);
	cJSON_Delete(j);
	return rc;
}

cJSON *
tvalue_to_cjson(const struct tvalue *v)
{
	cJSON *j;

	if (v == NULL)
		return cJSON_CreateNull();
	switch (v->type) {
	case TVALUE_BOOL:
		return cJSON_CreateBool(v->u.b);
	case TVALUE_INT:
		return cJSON_CreateNumber((double)v->u.i);
	case TVALUE_DOUBLE:
		return cJSON_CreateNumber(v->u.d);
	case TVALUE_STRING:
		return cJSON_CreateString(v->u.str.s);
	case TVALUE_ARRAY:
		j = cJSON_CreateArray();
		for (size_t i = 0; i < v->u.arr.len; i++)
			cJSON_AddItemToArray(j, tvalue_to_cjson(v->u.arr.items[i]));
		return j;
	case TVALUE_MAP:
		j = cJSON_CreateObject();
		for (size_t i = 0; i < v->u.map.len; i++)
			cJSON_AddItemToObject(j, v->u.map.ents[i].key->u.str.s,
			    tvalue_to_cjson(v->u.map.ents[i].val));
		return j;
	case TVALUE_NULL:
		break;
	}
	return cJSON_CreateNull();
}
