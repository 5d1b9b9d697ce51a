/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * message.c - build and parse the protocol envelopes.
 *
 * Called by the daemon for every request and reply and by ggenc for every
 * line it sends or reads. Pure: no I/O, no state. Invariant: every built
 * line is one JSON object followed by exactly one '\n' and contains no other
 * '\n' (cJSON's unformatted printer escapes control bytes in strings).
 */
#include "message.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "xmalloc.h"

size_t
msg_utf8_check(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, n, k;
	uint32_t cp, min;

	while (i < len) {
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		if ((p[i] & 0xe0) == 0xc0) {
			n = 1;
			cp = p[i] & 0x1f;
			min = 0x80;
		} else if ((p[i] & 0xf0) == 0xe0) {
			n = 2;
			cp = p[i] & 0x0f;
			min = 0x800;
		} else if ((p[i] & 0xf8) == 0xf0) {
			n = 3;
			cp = p[i] & 0x07;
			min = 0x10000;
		} else
			return i;
		if (len - i <= n)
			return i;
		for (k = 1; k <= n; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return i;
			cp = (cp << 6) | (p[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return i;
		i += n + 1;
	}
	return len;
}

static bool
message_id_valid(const cJSON *id)
{
	double d;

	if (cJSON_IsString(id) || cJSON_IsNull(id))
		return true;
	if (!cJSON_IsNumber(id))
		return false;
	d = id->valuedouble;
	return d == floor(d) && fabs(d) <= 9007199254740992.0;
}

int
msg_request_parse(const char *line, size_t len, struct msg_request *out,
    struct gerr *err)
{
	const char *end = NULL;
	const cJSON *id, *cmd;
	size_t bad;

	out->json = NULL;
	out->id = NULL;
	out->cmd = NULL;
	bad = msg_utf8_check(line, len);
	if (bad < len)
		return gerr_set(err, GERR_INVALID_JSON,
		    "invalid UTF-8 at byte %zu", bad + 1);
	out->json = cJSON_ParseWithLengthOpts(line, len, &end, false);
	if (out->json == NULL) {
		bad = end != NULL && end >= line ? (size_t)(end - line) : 0;
		return gerr_set(err, GERR_INVALID_JSON,
		    "invalid JSON at byte %zu", bad + 1);
	}
	if (!cJSON_IsObject(out->json))
		return gerr_set(err, GERR_BAD_REQUEST,
		    "request must be a JSON object, found %s",
		    proto_json_type_name(out->json));
	id = cJSON_GetObjectItemCaseSensitive(out->json, "id");
	if (id != NULL && !message_id_valid(id))
		return gerr_set(err, GERR_BAD_TYPE,
		    "field \"id\": expected integer or string, found %s",
		    proto_json_type_name(id));
	out->id = id;
	cmd = cJSON_GetObjectItemCaseSensitive(out->json, "cmd");
	if (cmd == NULL)
		return gerr_set(err, GERR_MISSING_FIELD,
		    "missing field \"cmd\" (string)");
	if (!cJSON_IsString(cmd))
		return gerr_set(err, GERR_BAD_TYPE,
		    "field \"cmd\": expected string, found %s",
		    proto_json_type_name(cmd));
	out->cmd = proto_cmd_find(cmd->valuestring);
	if (out->cmd == NULL)
		return gerr_set(err, GERR_UNKNOWN_COMMAND,
		    "unknown command \"%.64s\"", cmd->valuestring);
	if (proto_cmd_validate(out->cmd, out->json, err) != 0) {
		out->cmd = NULL;
		return err != NULL ? (int)err->code : GERR_BAD_REQUEST;
	}
	return 0;
}

void
msg_request_release(struct msg_request *req)
{
	cJSON_Delete(req->json);
	req->json = NULL;
	req->id = NULL;
	req->cmd = NULL;
}

/* Print obj (consumed) as one line with its '\n'. */
static char *
message_finish(cJSON *obj)
{
	char *s, *line;

	s = cJSON_PrintUnformatted(obj);
	cJSON_Delete(obj);
	if (s == NULL)
		abort();	/* only on allocation failure, which xmalloc forbids */
	line = xasprintf("%s\n", s);
	cJSON_free(s);
	return line;
}

static cJSON *
message_envelope(const cJSON *id)
{
	cJSON *obj = cJSON_CreateObject();

	cJSON_AddItemToObject(obj, "id",
	    id != NULL ? cJSON_Duplicate(id, true) : cJSON_CreateNull());
	return obj;
}

char *
msg_request_line(long long id, const char *cmd, cJSON *fields)
{
	cJSON *obj = cJSON_CreateObject();
	cJSON *item;

	cJSON_AddNumberToObject(obj, "id", (double)id);
	cJSON_AddStringToObject(obj, "cmd", cmd);
	if (fields != NULL) {
		while ((item = fields->child) != NULL) {
			cJSON_DetachItemViaPointer(fields, item);
			cJSON_AddItemToObject(obj, item->string, item);
		}
		cJSON_Delete(fields);
	}
	return message_finish(obj);
}

char *
msg_reply_ok(const cJSON *id, cJSON *result)
{
	cJSON *obj = message_envelope(id);

	cJSON_AddTrueToObject(obj, "ok");
	cJSON_AddItemToObject(obj, "result",
	    result != NULL ? result : cJSON_CreateObject());
	return message_finish(obj);
}

char *
msg_reply_error(const cJSON *id, const struct gerr *err)
{
	const struct err_def *def;
	cJSON *obj = message_envelope(id);
	cJSON *e;

	def = err_lookup(err->code == GERR_OK ? GERR_INTERNAL : err->code);
	cJSON_AddFalseToObject(obj, "ok");
	e = cJSON_AddObjectToObject(obj, "error");
	cJSON_AddStringToObject(e, "code", def->wire);
	cJSON_AddStringToObject(e, "message",
	    err->msg[0] != '\0' ? err->msg : def->text);
	if (err->file[0] != '\0')
		cJSON_AddStringToObject(e, "file", err->file);
	if (err->line > 0) {
		cJSON_AddNumberToObject(e, "line", err->line);
		if (err->col > 0)
			cJSON_AddNumberToObject(e, "col", err->col);
	}
	return message_finish(obj);
}

char *
msg_progress(const cJSON *id, cJSON *progress)
{
	cJSON *obj = message_envelope(id);

	cJSON_AddItemToObject(obj, "progress",
	    progress != NULL ? progress : cJSON_CreateObject());
	return message_finish(obj);
}

char *
msg_event(const char *name, cJSON *data)
{
	cJSON *obj = cJSON_CreateObject();

	cJSON_AddStringToObject(obj, "event", name);
	cJSON_AddItemToObject(obj, "data",
	    data != NULL ? data : cJSON_CreateObject());
	return message_finish(obj);
}

static int
message_int_field(const cJSON *obj, const char *name)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, name);

	return cJSON_IsNumber(item) ? item->valueint : 0;
}

int
msg_reply_parse(const char *line, size_t len, struct msg_reply *out,
    struct gerr *err)
{
	const cJSON *ok, *e, *item;

	memset(out, 0, sizeof(*out));
	out->json = cJSON_ParseWithLength(line, len);
	if (out->json == NULL)
		return gerr_set(err, GERR_INVALID_JSON,
		    "daemon sent a line that is not JSON");
	if (!cJSON_IsObject(out->json))
		return gerr_set(err, GERR_BAD_REQUEST,
		    "daemon sent %s, expected an object",
		    proto_json_type_name(out->json));
	item = cJSON_GetObjectItemCaseSensitive(out->json, "event");
	if (cJSON_IsString(item)) {
		out->kind = MSG_EVENT;
		out->event = item->valuestring;
		out->body = cJSON_GetObjectItemCaseSensitive(out->json, "data");
		return 0;
	}
	out->id = cJSON_GetObjectItemCaseSensitive(out->json, "id");
	item = cJSON_GetObjectItemCaseSensitive(out->json, "progress");
	if (item != NULL) {
		out->kind = MSG_PROGRESS;
		out->body = item;
		return 0;
	}
	ok = cJSON_GetObjectItemCaseSensitive(out->json, "ok");
	if (!cJSON_IsBool(ok))
		return gerr_set(err, GERR_BAD_REQUEST,
		    "daemon reply has no boolean \"ok\"");
	out->kind = MSG_REPLY;
	out->ok = cJSON_IsTrue(ok);
	if (out->ok) {
		out->body = cJSON_GetObjectItemCaseSensitive(out->json, "result");
		return 0;
	}
	e = cJSON_GetObjectItemCaseSensitive(out->json, "error");
	item = cJSON_GetObjectItemCaseSensitive(e, "code");
	out->err_code = cJSON_IsString(item) ? item->valuestring : "internal";
	item = cJSON_GetObjectItemCaseSensitive(e, "message");
	out->err_message = cJSON_IsString(item) ? item->valuestring : "";
	item = cJSON_GetObjectItemCaseSensitive(e, "file");
	out->err_file = cJSON_IsString(item) ? item->valuestring : NULL;
	out->err_line = message_int_field(e, "line");
	out->err_col = message_int_field(e, "col");
	return 0;
}

void
msg_reply_release(struct msg_reply *msg)
{
	cJSON_Delete(msg->json);
	memset(msg, 0, sizeof(*msg));
}

void
msg_add_ms(cJSON *o, const char *name, double ms)
{
	cJSON_AddNumberToObject(o, name, round(ms * 1000.0) / 1000.0);
}

void
msg_add_rate(cJSON *o, const char *name, double rate)
{
	cJSON_AddNumberToObject(o, name, round(rate * 10000.0) / 10000.0);
}

void
msg_add_exit_code(cJSON *o, const char *name, int code)
{
	if (code < 0)
		cJSON_AddNullToObject(o, name);
	else
		cJSON_AddNumberToObject(o, name, code);
}

void
msg_add_signal(cJSON *o, const char *name, int sig)
{
	if (sig <= 0)
		cJSON_AddNullToObject(o, name);
	else
		cJSON_AddNumberToObject(o, name, sig);
}
