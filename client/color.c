/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * color.c - ggenc's colour decision and escape stripping (see color.h).
 * Called by client/main.c (the decision, once) and by every command that
 * prints a status (runview, history, show, runs, diff, dev). Pure.
 */
#include "color.h"

#include <string.h>
#include <unistd.h>

/* color_strip's states between chunks. */
enum color_strip_state {
	COLOR_TEXT = 0,
	COLOR_ESC,		/* after ESC */
	COLOR_ESC_INT,		/* ESC and intermediates (ESC ( B) */
	COLOR_CSI,		/* after ESC [ */
	COLOR_OSC,		/* after ESC ] */
	COLOR_OSC_ESC,		/* ESC inside OSC (maybe ESC \) */
};

int
color_parse(const char *text, enum color_mode *out, struct gerr *err)
{
	if (strcmp(text, "auto") == 0)
		*out = COLOR_AUTO;
	else if (strcmp(text, "always") == 0 || strcmp(text, "yes") == 0 ||
	    strcmp(text, "force") == 0)
		*out = COLOR_ALWAYS;
	else if (strcmp(text, "never") == 0 || strcmp(text, "no") == 0 ||
	    strcmp(text, "none") == 0)
		*out = COLOR_NEVER;
	else
		return gerr_set(err, GERR_INVALID, "--color: expected auto, "
		    "always or never, found \"%.32s\"", text);
	return 0;
}

bool
color_wanted(enum color_mode mode, int fd, const char *no_color,
    const char *term)
{
	if (mode == COLOR_ALWAYS)
		return true;
	if (mode == COLOR_NEVER || (no_color != NULL && no_color[0] != '\0'))
		return false;
	if (term != NULL && strcmp(term, "dumb") == 0)
		return false;
	return isatty(fd) == 1;
}

bool
color_plain(enum color_mode mode, const char *no_color)
{
	if (mode == COLOR_ALWAYS)
		return false;
	return mode == COLOR_NEVER || (no_color != NULL && no_color[0] != '\0');
}

const char *
color_status(const char *status)
{
	static const struct {
		const char *status, *seq;
	} map[] = {
		{ "failed", COLOR_RED }, { "timeout", COLOR_RED },
		{ "cancelled", COLOR_RED }, { "interrupted", COLOR_RED },
		{ "cached", COLOR_DIM }, { "restored", COLOR_DIM },
		{ "ok", COLOR_GREEN }, { "running", COLOR_YELLOW },
		{ "queued", COLOR_YELLOW },
	};

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(map[i].status, status) == 0)
			return map[i].seq;
	return "";
}

const char *
color_on(bool on, const char *seq)
{
	return on ? seq : "";
}

const char *
color_off(bool on)
{
	return on ? COLOR_RESET : "";
}

size_t
color_strip(char *buf, size_t len, int *state)
{
	size_t o = 0;
	int st = *state;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)buf[i];

		switch (st) {
		case COLOR_TEXT:
			if (c == 0x1b)
				st = COLOR_ESC;
			else
				buf[o++] = (char)c;
			break;
		case COLOR_ESC:
			st = c == '[' ? COLOR_CSI : c == ']' ? COLOR_OSC :
			    c >= 0x20 && c <= 0x2f ? COLOR_ESC_INT : COLOR_TEXT;
			break;
		case COLOR_ESC_INT:
			if (c < 0x20 || c > 0x2f)
				st = COLOR_TEXT;
			break;
		case COLOR_CSI:
			/* Parameters and intermediates are 0x20..0x3f; the
			 * final byte 0x40..0x7e ends it. */
			if (c >= 0x40 && c <= 0x7e)
				st = COLOR_TEXT;
			break;
		case COLOR_OSC:
			if (c == 0x07)
				st = COLOR_TEXT;
			else if (c == 0x1b)
				st = COLOR_OSC_ESC;
			break;
		case COLOR_OSC_ESC:
			st = c == '\\' ? COLOR_TEXT : COLOR_OSC;
			break;
		default:
			st = COLOR_TEXT;
			break;
		}
	}
	*state = st;
	return o;
}
