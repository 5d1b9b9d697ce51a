/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tvalue_json.h - converters between template values and cJSON trees, for
 * `--vars FILE.json`, the protocol, and tests.
 *
 * From JSON text, numbers written without a fraction or exponent that fit
 * become TVALUE_INT, others TVALUE_DOUBLE (3.0 stays a float, as in
 * serde_json); from a cJSON tree, integral values become TVALUE_INT. Object key order is kept. Any thread.
 */
#ifndef GGEN_TVALUE_JSON_H
#define GGEN_TVALUE_JSON_H

#include <stddef.h>

#include "gerr.h"
#include "tvalue.h"

struct cJSON;

/* New value from a cJSON tree (borrowed). Nesting deeper than
 * TVALUE_JSON_MAX_DEPTH gives GERR_LIMIT. */
#define TVALUE_JSON_MAX_DEPTH 128
int tvalue_from_cjson(const struct cJSON *json, struct tvalue **out,
    struct gerr *err);
/* Parse JSON text (len bytes) into a new value; GERR_PARSE with the byte
 * offset turned into line:col under the name `file`. */
int tvalue_from_json_text(const char *text, size_t len, const char *file,
    struct tvalue **out, struct gerr *err);
/* New cJSON tree (caller frees with cJSON_Delete); v borrowed. */
struct cJSON *tvalue_to_cjson(const struct tvalue *v);

#endif
