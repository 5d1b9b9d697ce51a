/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * validate.h - the one JSON shape of make.toml findings, built by both
 * `ggenc validate` (local check) and ggend's `validate` request (a watched
 * root's hot findings), so both print identically.
 */
#ifndef GGEN_PROTO_VALIDATE_H
#define GGEN_PROTO_VALIDATE_H

#include <cjson/cJSON.h>

#include "make.h"

/*
 * {"file": file, "findings": [{"rule", "severity", "file", "line", "col",
 * "message"}], "errors": N, "warnings": N, "dropped": N} for findings
 * (borrowed). Returns a new object (caller frees with cJSON_Delete).
 * Any thread.
 */
cJSON *proto_validate_result(const char *file,
    const struct make_findings *findings);

/* Append findings (borrowed) to a result from proto_validate_result and
 * add their counts to its errors, warnings and dropped. */
void proto_validate_add(cJSON *result, const struct make_findings *findings);

#endif
