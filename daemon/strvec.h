/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * strvec.h - a growable array of owned strings (work lists: directories to
 * crawl, files waiting for the hash pool, paths collected from a table walk).
 *
 * A struct strvec is a value the caller embeds; STRVEC_INIT makes an empty
 * one that allocates nothing. It owns v and every string in it. Not
 * thread-safe.
 */
#ifndef GGEN_STRVEC_H
#define GGEN_STRVEC_H

#include <stddef.h>

struct strvec {
	char **v;
	size_t n, cap;
};

#define STRVEC_INIT { NULL, 0, 0 }

/* Append a copy of s. */
void strvec_push(struct strvec *sv, const char *s);
/* Remove and return the last string (the caller frees it); n must be > 0. */
char *strvec_pop(struct strvec *sv);
/* Free strings v[from..n) and set n = 0, keeping the array. */
void strvec_clear_from(struct strvec *sv, size_t from);
/* Free everything and make sv empty again. */
void strvec_release(struct strvec *sv);

#endif
