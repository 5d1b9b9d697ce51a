/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * message.h - the envelopes of protocol/PROTOCOL.md: request, reply (ok or
 * error), progress and event, as NDJSON lines.
 *
 *   {"id":1,"cmd":"status", ...fields}
 *   {"id":1,"ok":true,"result":{...}}
 *   {"id":1,"ok":false,"error":{"code":"bad_type","message":"...",
 *                                "file":"make.toml","line":3,"col":7}}
 *   {"id":1,"progress":{...}}        zero or more, before the final reply
 *   {"event":"run.finished","data":{...}}
 *
 * Builders return a malloc'ed line ending in '\n' (the caller's to free);
 * cJSON arguments marked "transferred" are consumed even when the builder
 * cannot use them. Parsers fill a struct that owns its cJSON tree; release
 * it with the matching _release (also after a failed parse). Any thread.
 */
#ifndef GGEN_MESSAGE_H
#define GGEN_MESSAGE_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "commands.h"
#include "gerr.h"

struct msg_request {
	cJSON *json;			/* owned; NULL if the line is not JSON */
	const cJSON *id;		/* borrowed from json; NULL = reply with null */
	const struct proto_cmd *cmd;	/* NULL unless the parse succeeded */
};

/*
 * Parse one request line (line borrowed; need not be NUL-terminated).
 * Checks, in order: UTF-8 (GERR_INVALID_JSON "invalid UTF-8 at byte N"),
 * JSON (GERR_INVALID_JSON "invalid JSON at byte N"), top-level object
 * (GERR_BAD_REQUEST), "id" integer or string (GERR_BAD_TYPE), "cmd" present
 * (GERR_MISSING_FIELD) and a string (GERR_BAD_TYPE), known
 * (GERR_UNKNOWN_COMMAND), then the row's fields (proto_cmd_validate).
 * out->id is set whenever the id itself was readable, so an error reply can
 * still echo it. Always call msg_request_release(out).
 */
int msg_request_parse(const char *line, size_t len, struct msg_request *out,
    struct gerr *err);
void msg_request_release(struct msg_request *req);

/*
 * Build a request line {"id":id,"cmd":cmd,...}. fields (transferred, may be
 * NULL) is an object whose members are appended after id and cmd.
 */
char *msg_request_line(long long id, const char *cmd, cJSON *fields);

/* {"id":id,"ok":true,"result":result}; id borrowed (NULL = null); result
 * transferred (NULL = {}). */
char *msg_reply_ok(const cJSON *id, cJSON *result);

/* {"id":id,"ok":false,"error":{...}} from err (borrowed; code GERR_OK is
 * reported as internal). The message falls back to the code's generic text;
 * file/line/col appear only when set. */
char *msg_reply_error(const cJSON *id, const struct gerr *err);

/* {"id":id,"progress":progress}; progress transferred. */
char *msg_progress(const cJSON *id, cJSON *progress);

/* {"event":name,"data":data}; data transferred (NULL = {}). */
char *msg_event(const char *name, cJSON *data);

enum msg_kind {
	MSG_REPLY = 1,
	MSG_PROGRESS,
	MSG_EVENT,
};

/* A line from the daemon, as ggenc (or a test) reads it. */
struct msg_reply {
	cJSON *json;		/* owned */
	enum msg_kind kind;
	const cJSON *id;	/* borrowed from json; NULL for events */
	bool ok;		/* MSG_REPLY only */
	const cJSON *body;	/* result, progress or event data */
	const char *event;	/* MSG_EVENT: its name */
	const char *err_code;	/* MSG_REPLY && !ok */
	const char *err_message;
	const char *err_file;	/* NULL if absent */
	int err_line, err_col;	/* 0 if absent */
};

/*
 * Parse one line from the daemon. GERR_INVALID_JSON or GERR_BAD_REQUEST
 * (with the reason) when it is not a well-formed envelope. Always call
 * msg_reply_release(out).
 */
int msg_reply_parse(const char *line, size_t len, struct msg_reply *out,
    struct gerr *err);
void msg_reply_release(struct msg_reply *msg);

/*
 * Offset of the first byte that is not valid UTF-8 (overlongs, surrogates
 * and code points over U+10FFFF are invalid), or len if all of s is valid.
 */
size_t msg_utf8_check(const char *s, size_t len);

/* s with each byte that is not part of valid UTF-8 replaced by U+FFFD;
 * the caller frees. */
char *msg_utf8_lossy(const char *s, size_t len);

/*
 * Print integral numbers of obj within 2^53 as exact digits, and make
 * every string in obj (borrowed, changed in place) valid UTF-8: an
 * object member "NAME" that is not gets its bad bytes as U+FFFD and a twin
 * member "NAME_b64" with its exact bytes (base64, RFC 4648); strings in
 * arrays are only repaired. Every builder here applies it.
 */
void msg_json_normalize(cJSON *obj);

/*
 * obj (borrowed, unchanged; NULL allowed) as one line of JSON, numbers
 * and strings as msg_json_normalize makes them: what ggenc prints under
 * --json, so a value read from the wire (a double once parsed) comes out
 * as the daemon sent it (1796640019409540, not 1.79664001940954e+15).
 * "null" for NULL. The caller frees.
 */
char *msg_json_print(const cJSON *obj);
/*
 * Numbers on the wire follow one rule (PROTOCOL.md "Field conventions"):
 * durations are "*_ms" in milliseconds with at most 3 decimals (whole
 * microseconds); ratios ("*_rate") are 0..1 with at most 4 decimals; an
 * exit code or signal that does not apply is null, never -1 or 0. These
 * add a member to o (borrowed) by that rule.
 */
void msg_add_ms(cJSON *o, const char *name, double ms);
void msg_add_rate(cJSON *o, const char *name, double rate);
/* null when code < 0 (no process ran, or it was killed). */
void msg_add_exit_code(cJSON *o, const char *name, int code);
/* null when sig is 0 (not killed by a signal). */
void msg_add_signal(cJSON *o, const char *name, int sig);
/*
 * Add member name to o: an array of the n strings (borrowed; file names,
 * any bytes). When one of them is not valid UTF-8, also a twin array
 * "NAME_b64" of the same length: the exact bytes in base64 where a name is
 * not valid UTF-8, null where it is (PROTOCOL.md "Text"); the array's own
 * strings are repaired when the message is built.
 */
void msg_add_names(cJSON *o, const char *name, const char *const *names,
    size_t n);

#endif
