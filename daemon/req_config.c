/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * req_config.c - `config`: the live settings, each with its value as
 * config_format prints it and where it came from (default, file, set);
 * with "key", that one setting only; with "key" and "value", set that
 * live setting first (ggend_config_set: kept across reloads, refused for
 * restart-only rows), then reply with it.
 *
 * Reads g->cfg on the loop thread; allocates only the reply. CFG_SECRET
 * values never leave the daemon (config_format masks them).
 */
#include "config.h"
#include "ggend.h"
#include "make.h"
#include "req.h"
#include "req_entries.h"

static void
req_config_add(cJSON *arr, const struct ggend_config *cfg,
    const struct config_def *def)
{
	cJSON *o = cJSON_CreateObject();
	char buf[GERR_MSG_MAX];

	cJSON_AddStringToObject(o, "key", def->key);
	cJSON_AddStringToObject(o, "value",
	    config_format(cfg, def, buf, sizeof(buf)));
	cJSON_AddStringToObject(o, "source",
	    config_source_name(config_source_of(cfg, def)));
	cJSON_AddBoolToObject(o, "restart", (def->flags & CFG_RESTART) != 0);
	cJSON_AddItemToArray(arr, o);
}

static int
req_config(struct req *req, struct gerr *err)
{
	const struct ggend *g = req->g;
	const cJSON *key = req_field(req, "key");
	const cJSON *value = req_field(req, "value");
	const struct config_def *def = NULL;
	cJSON *result, *arr;

	if (value != NULL && !cJSON_IsString(key)) {
		gerr_set(err, GERR_MISSING_FIELD, "missing field \"key\" "
		    "(\"value\" sets the setting named by key)");
		return req_reply_error(req, err);
	}
	if (cJSON_IsString(key)) {
		def = config_find(key->valuestring);
		if (def == NULL) {
			const char *keys[CONFIG_KEYS_MAX];
			const char *alt;

			for (size_t i = 0; i < config_table_len; i++)
				keys[i] = config_table[i].key;
			alt = make_suggest_word(key->valuestring, keys,
			    config_table_len);
			gerr_set(err, GERR_NOT_FOUND,
			    "unknown config key \"%.64s\"%s%s%s",
			    key->valuestring, alt != NULL ?
			    "; did you mean \"" : "", alt != NULL ? alt : "",
			    alt != NULL ? "\"?" : "");
			return req_reply_error(req, err);
		}
		if (cJSON_IsString(value) && ggend_config_set(req->g,
		    def->key, value->valuestring, err) != 0)
			return req_reply_error(req, err);
	}
	result = cJSON_CreateObject();
	if (def != NULL && cJSON_IsString(value))
		cJSON_AddStringToObject(result, "changed", def->key);
	if (g->config_path != NULL)
		cJSON_AddStringToObject(result, "file", g->config_path);
	else
		cJSON_AddNullToObject(result, "file");
	arr = cJSON_AddArrayToObject(result, "settings");
	for (size_t i = 0; i < config_table_len; i++)
		if (def == NULL || def == &config_table[i])
			req_config_add(arr, &g->cfg, &config_table[i]);
	req_reply_ok(req, result);
	return 0;
}

const struct req_entry req_config_entry = {
	.proto = PROTO_CMD_CONFIG,
	.handler = req_config,
};
