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
#include <stdio.h>
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
		/* ASCII fast path, eight bytes at a time. */
		while (len - i >= 8) {
			uint64_t w;

			memcpy(&w, p + i, 8);
			if (w & 0x8080808080808080ull)
				break;
			i += 8;
		}
		if (i >= len)
			break;
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

/* 2^53: integral values below it print as exact digits. */
#define MESSAGE_INT_LIMIT 9007199254740992.0

/* Offset of the first NUL a string of line carries (a raw NUL byte
 * anywhere, or a \u0000 escape), or SIZE_MAX. Every backslash of valid
 * JSON starts an escape inside a string, so walking the backslashes from
 * the first one, two at a time, never mistakes "\\\\u0000" for a NUL. */
static size_t
message_find_nul(const char *line, size_t len)
{
	const char *raw = memchr(line, '\0', len), *end = line + len;
	const char *b = memchr(line, '\\', len);

	while (b != NULL && (raw == NULL || b < raw)) {
		if (end - b >= 6 && b[1] == 'u' && memcmp(b + 2, "0000", 4) == 0)
			return (size_t)(b - line);
		if (end - b < 3)
			break;
		b = memchr(b + 2, '\\', (size_t)(end - b - 2));
	}
	return raw != NULL ? (size_t)(raw - line) : SIZE_MAX;
}


int
msg_request_parse(const char *line, size_t len, struct msg_request *out,
    struct gerr *err)
{
	const char *end = NULL;
	const cJSON *id, *cmd;
	size_t bad, nul;

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
	if (cJSON_IsNumber(id)) {
		if (proto_int_check(id, "id", err) != 0)
			return GERR_BAD_TYPE;
	} else if (id != NULL && !cJSON_IsString(id) && !cJSON_IsNull(id)) {
		return gerr_set(err, GERR_BAD_TYPE,
		    "field \"id\": expected integer or string, found %s",
		    proto_json_type_name(id));
	}
	out->id = id;
	/* cJSON strings end at a NUL: "a\u0000b" would act as "a". */
	if ((nul = message_find_nul(line, len)) != SIZE_MAX)
		return gerr_set(err, GERR_BAD_REQUEST, "string with an "
		    "embedded NUL (\\u0000) at byte %zu", nul + 1);
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

char *
msg_utf8_lossy(const char *s, size_t len)
{
	char *out = xmalloc(len * 3 + 1), *o = out;
	size_t i = 0, ok;

	while (i < len) {
		ok = msg_utf8_check(s + i, len - i);
		memcpy(o, s + i, ok);
		o += ok;
		i += ok;
		if (i < len) {
			memcpy(o, "\xef\xbf\xbd", 3);	/* U+FFFD */
			o += 3;
			i++;
		}
	}
	*o = '\0';
	return out;
}

static char *
message_base64(const unsigned char *p, size_t len)
{
	static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"
	    "qrstuvwxyz0123456789+/";
	char *out = xmalloc((len + 2) / 3 * 4 + 1), *o = out;
	size_t i;

	for (i = 0; i + 2 < len; i += 3) {
		*o++ = tab[p[i] >> 2];
		*o++ = tab[((p[i] & 3) << 4) | (p[i + 1] >> 4)];
		*o++ = tab[((p[i + 1] & 15) << 2) | (p[i + 2] >> 6)];
		*o++ = tab[p[i + 2] & 63];
	}
	if (i < len) {
		*o++ = tab[p[i] >> 2];
		if (i + 1 < len) {
			*o++ = tab[((p[i] & 3) << 4) | (p[i + 1] >> 4)];
			*o++ = tab[(p[i + 1] & 15) << 2];
		} else {
			*o++ = tab[(p[i] & 3) << 4];
			*o++ = '=';
		}
		*o++ = '=';
	}
	*o = '\0';
	return out;
}

/*
 * Numbers (PROTOCOL.md "Numbers"): an integral value within 2^53 is
 * printed as exact digits (cJSON's printer keeps 15 significant digits,
 * so 1795309931205475 would come out as 1.79530993120548e+15).
 *
 * Every string in obj becomes valid UTF-8 (PROTOCOL.md "Text"): a member
 * "NAME" whose bytes are not (a file name can be any bytes) is sent with
 * each bad byte as U+FFFD, plus a member "NAME_b64" with the exact bytes
 * in base64; a string in an array is only repaired. Members added here
 * are skipped by the walk (their text is ASCII).
 */
void
msg_json_normalize(cJSON *obj)
{
	cJSON *item, *next;

	for (item = obj != NULL ? obj->child : NULL; item != NULL;
	    item = next) {
		next = item->next;
		if (cJSON_IsNumber(item) && item->valuedouble ==
		    floor(item->valuedouble) && fabs(item->valuedouble) <
		    MESSAGE_INT_LIMIT) {
			char digits[32];
			cJSON *exact;

			snprintf(digits, sizeof(digits), "%.0f",
			    item->valuedouble == 0 ? 0.0 : item->valuedouble);
			exact = cJSON_CreateRaw(digits);
			if (item->string != NULL)
				exact->string = xstrdup(item->string);
			cJSON_ReplaceItemViaPointer(obj, item, exact);
		} else if (cJSON_IsString(item) && item->valuestring != NULL) {
			size_t len = strlen(item->valuestring);
			char *fixed, *b64, *name;

			if (msg_utf8_check(item->valuestring, len) == len)
				continue;
			fixed = msg_utf8_lossy(item->valuestring, len);
			if (cJSON_IsObject(obj) && item->string != NULL) {
				b64 = message_base64((const unsigned char *)
				    item->valuestring, len);
				name = xasprintf("%s_b64", item->string);
				if (!cJSON_HasObjectItem(obj, name))
					cJSON_AddStringToObject(obj, name, b64);
				free(name);
				free(b64);
			}
			cJSON_SetValuestring(item, fixed);
			free(fixed);
		} else if (cJSON_IsObject(item) || cJSON_IsArray(item)) {
			msg_json_normalize(item);
		}
	}
}

char *
msg_json_print(const cJSON *obj)
{
	cJSON *copy = cJSON_Duplicate(obj, true);
	char *s, *out;

	if (copy == NULL)
		return xstrdup("null");
	msg_json_normalize(copy);
	s = cJSON_PrintUnformatted(copy);
	cJSON_Delete(copy);
	if (s == NULL)
		abort();	/* only on allocation failure, which xmalloc forbids */
	out = xstrdup(s);
	cJSON_free(s);
	return out;
}

/* Print obj (consumed) as one line with its '\n'. */
static char *
message_finish(cJSON *obj)
{
	char *s, *line;

	msg_json_normalize(obj);
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

void
msg_add_names(cJSON *o, const char *name, const char *const *names,
    size_t n)
{
	cJSON *a = cJSON_AddArrayToObject(o, name), *twin = NULL;
	char *tname, *b64;

	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(names[i]);

		cJSON_AddItemToArray(a, cJSON_CreateString(names[i]));
		if (twin == NULL && msg_utf8_check(names[i], len) != len) {
			tname = xasprintf("%s_b64", name);
			twin = cJSON_AddArrayToObject(o, tname);
			free(tname);
			for (size_t k = 0; k < i; k++)
				cJSON_AddItemToArray(twin, cJSON_CreateNull());
		}
		if (twin == NULL)
			continue;
		if (msg_utf8_check(names[i], len) == len) {
			cJSON_AddItemToArray(twin, cJSON_CreateNull());
			continue;
		}
		b64 = message_base64((const unsigned char *)names[i], len);
		cJSON_AddItemToArray(twin, cJSON_CreateString(b64));
		free(b64);
	}
}
