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
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"

/*
 * Which JSON numbers were written with a fraction or an exponent (3.0 is a
 * float, 3 an integer, as serde_json keeps them): one flag per number in
 * document order, which is also the order the conversion visits them.
 * NULL flags (a tree without its text): integral values become integers.
 */
struct tvalue_json_nums {
	bool *is_float;
	size_t n, next;
};

static void
tvalue_json_scan(const char *text, size_t len, struct tvalue_json_nums *nums)
{
	size_t cap = 0;
	bool in_str = false;

	for (size_t i = 0; i < len; i++) {
		char c = text[i];

		if (in_str) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_str = false;
			continue;
		}
		if (c == '"') {
			in_str = true;
			continue;
		}
		if (c != '-' && !(c >= '0' && c <= '9'))
			continue;
		bool f = false;

		while (i < len && strchr("+-0123456789.eE", text[i]) != NULL &&
		    text[i] != '\0') {
			if (text[i] == '.' || text[i] == 'e' || text[i] == 'E')
				f = true;
			i++;
		}
		i--;
		if (nums->n == cap) {
			cap = cap ? cap * 2 : 16;
			nums->is_float = xreallocarray(nums->is_float, cap,
			    sizeof *nums->is_float);
		}
		nums->is_float[nums->n++] = f;
	}
}

static int
tvalue_json_conv(const cJSON *j, int depth, struct tvalue_json_nums *nums,
    struct tvalue **out, struct gerr *err)
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
		bool f = nums != NULL && nums->next < nums->n &&
		    nums->is_float[nums->next];

		if (nums != NULL)
			nums->next++;
		if (!f && d == floor(d) && fabs(d) < 9007199254740992.0)
			*out = tvalue_int((int64_t)d);
		else
			*out = tvalue_double(d);
	} else if (cJSON_IsString(j)) {
		*out = tvalue_string(j->valuestring);
	} else if (cJSON_IsArray(j) || cJSON_IsObject(j)) {
		bool obj = cJSON_IsObject(j);

		v = obj ? tvalue_map_new() : tvalue_array_new();
		for (c = j->child; c != NULL; c = c->next) {
			rc = tvalue_json_conv(c, depth + 1, nums, &child, err);
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
	return tvalue_json_conv(json, 0, NULL, out, err);
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
	struct tvalue_json_nums nums = { 0 };

	tvalue_json_scan(text, len, &nums);
	rc = tvalue_json_conv(j, 0, &nums, out, err);
	free(nums.is_float);
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
