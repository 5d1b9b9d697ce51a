/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fuzz_framing.c - protocol input path: bytes in arbitrary pieces through
 * framing (small cap so over-cap paths run), each line through
 * msg_request_parse, and a reply built for it, as the daemon does.
 * The first byte picks the feed size, so splits vary with the input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "framing.h"
#include "message.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct msg_request mr;
	struct framing f;
	struct gerr err;
	size_t step, off, n, len;
	char *line, *reply;
	int rc;

	if (size == 0)
		return 0;
	step = (size_t)data[0] % 64 + 1;
	framing_init(&f, 4096);
	for (off = 1; off < size; off += n) {
		n = size - off < step ? size - off : step;
		framing_feed(&f, data + off, n);
		for (;;) {
			gerr_clear(&err);
			rc = framing_next(&f, &line, &len, &err);
			if (rc == 0)
				break;
			if (rc != 1) {
				reply = msg_reply_error(NULL, &err);
				free(reply);
				continue;
			}
			gerr_clear(&err);
			if (msg_request_parse(line, len, &mr, &err) != 0)
				reply = msg_reply_error(mr.id, &err);
			else
				reply = msg_reply_ok(mr.id, NULL);
			if (strchr(reply, '\n') != reply + strlen(reply) - 1)
				abort();
			free(reply);
			msg_request_release(&mr);
		}
	}
	framing_release(&f);
	return 0;
}
