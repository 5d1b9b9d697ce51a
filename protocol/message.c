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

/*
 * The number rule (PROTOCOL.md "Numbers"): an integer (an "id" that is a
 * number, every integer field) is written as a plain JSON integer: an
 * optional minus sign and digits, no fraction, no exponent, magnitude at
 * most 2^53. cJSON keeps only doubles, so the request's text is scanned
 * for its top-level members' number literals before the tree is read.
 */
#define MESSAGE_INT_MAX 9007199254740992.0	/* 2^53 */
#define MESSAGE_SCAN_MAX 16	/* top-level numbers remembered */

struct message_num {
	const char *key;	/* into the line: after the opening quote */
	size_t key_len;
	bool plain;		/* -?[0-9]+ */
	bool big;		/* plain, but more than 2^53 */
};

struct message_scan {
	struct message_num nums[MESSAGE_SCAN_MAX];
	size_t n;
	size_t nul_at;		/* offset of an embedded NUL, or SIZE_MAX */
};

/* Walk line's tokens: strings (their escapes: \u0000 is a NUL), and the
 * number literals of depth-1 members. Never fails: the JSON parser
 * judges the syntax afterwards. */
static void
message_scan(const char *line, size_t len, struct message_scan *sc)
{
	const char *key = NULL;
	size_t key_len = 0, i = 0, start;
	int depth = 0;

	sc->n = 0;
	sc->nul_at = SIZE_MAX;
	while (i < len) {
		char ch = line[i];

		if (ch == '\0' && sc->nul_at == SIZE_MAX)
			sc->nul_at = i;
		if (ch == '"') {
			start = ++i;
			while (i < len && line[i] != '"') {
				if (line[i] == '\0' && sc->nul_at == SIZE_MAX)
					sc->nul_at = i;
				if (line[i] == '\\' && i + 1 < len) {
					if (line[i + 1] == 'u' && i + 5 < len &&
					    strncmp(line + i + 2, "0000", 4) == 0 &&
					    sc->nul_at == SIZE_MAX)
						sc->nul_at = i;
					i++;
				}
				i++;
			}
			/* A depth-1 string followed by ':' is a key. */
			if (depth == 1) {
				size_t j = i + 1;

				while (j < len && (line[j] == ' ' ||
				    line[j] == '\t' || line[j] == '\r'))
					j++;
				if (j < len && line[j] == ':') {
					key = line + start;
					key_len = i - start;
				}
			}
			i++;
			continue;
		}
		if (ch == '{' || ch == '[')
			depth++;
		else if (ch == '}' || ch == ']')
			depth--;
		else if ((ch == '-' || (ch >= '0' && ch <= '9')) &&
		    depth == 1 && key != NULL) {
			struct message_num *m;
			size_t digits = 0, lead;

			start = i;
			if (line[i] == '-')
				i++;
			lead = i;
			while (i < len && line[i] >= '0' && line[i] <= '9') {
				i++;
				digits++;
			}
			while (i < len && lead < i && line[lead] == '0' &&
			    digits > 1) {
				lead++;
				digits--;
			}
			if (sc->n < MESSAGE_SCAN_MAX) {
				m = &sc->nums[sc->n++];
				m->key = key;
				m->key_len = key_len;
				m->plain = !(i < len && (line[i] == '.' ||
				    line[i] == 'e' || line[i] == 'E')) &&
				    i > start + (line[start] == '-');
				/* Compared as digits: a double rounds
				 * 2^53 + 1 down to 2^53. */
				m->big = m->plain && (digits > 16 ||
				    (digits == 16 && memcmp(line + lead,
				    "9007199254740992", 16) > 0));
			}
			key = NULL;
			while (i < len && ((line[i] >= '0' && line[i] <= '9') ||
			    line[i] == '.' || line[i] == 'e' || line[i] ==
			    'E' || line[i] == '+' || line[i] == '-'))
				i++;
			continue;
		} else if (ch == ',' && depth == 1) {
			key = NULL;
		}
		i++;
	}
}

/* The scan's record of the top-level member name, or NULL. */
static const struct message_num *
message_scan_find(const struct message_scan *sc, const char *name)
{
	size_t n = strlen(name);

	for (size_t i = 0; i < sc->n; i++)
		if (sc->nums[i].key_len == n &&
		    memcmp(sc->nums[i].key, name, n) == 0)
			return &sc->nums[i];
	return NULL;
}

/* An integer member written against the number rule: GERR_BAD_TYPE. */
static int
message_check_int(const struct message_scan *sc, const char *name,
    struct gerr *err)
{
	const struct message_num *m = message_scan_find(sc, name);

	if (m == NULL)
		return 0;
	if (!m->plain)
		return gerr_set(err, GERR_BAD_TYPE, "field \"%s\": expected "
		    "integer (digits only: no fraction, no exponent)", name);
	if (m->big)
		return gerr_set(err, GERR_BAD_TYPE, "field \"%s\": integer "
		    "out of range (at most 2^53 = 9007199254740992 in "
		    "magnitude)", name);
	return 0;
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
	struct message_scan scan;
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
	message_scan(line, len, &scan);
	if (!cJSON_IsObject(out->json))
		return gerr_set(err, GERR_BAD_REQUEST,
		    "request must be a JSON object, found %s",
		    proto_json_type_name(out->json));
	id = cJSON_GetObjectItemCaseSensitive(out->json, "id");
	if (cJSON_IsNumber(id) && message_check_int(&scan, "id", err) != 0)
		return GERR_BAD_TYPE;
	if (id != NULL && !message_id_valid(id))
		return gerr_set(err, GERR_BAD_TYPE,
		    "field \"id\": expected integer or string, found %s",
		    proto_json_type_name(id));
	out->id = id;
	/* cJSON strings end at a NUL: "a\u0000b" would act as "a". */
	if (scan.nul_at != SIZE_MAX)
		return gerr_set(err, GERR_BAD_REQUEST, "string with an "
		    "embedded NUL (\\u0000) at byte %zu", scan.nul_at + 1);
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
	for (size_t i = 0; i < PROTO_FIELDS_MAX &&
	    out->cmd->fields[i].name != NULL; i++)
		if (out->cmd->fields[i].type == PROTO_T_INT &&
		    cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(out->json,
		    out->cmd->fields[i].name)) && message_check_int(&scan,
		    out->cmd->fields[i].name, err) != 0) {
			out->cmd = NULL;
			return GERR_BAD_TYPE;
		}
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
		    floor(item->valuedouble) && fabs(item->valuedouble) <=
		    MESSAGE_INT_MAX) {
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
