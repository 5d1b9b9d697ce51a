/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * version.h - the product version and the wire protocol version.
 *
 * PROTO_VERSION changes only when an existing message changes meaning;
 * adding commands, fields or capabilities does not bump it.
 */
#ifndef GGEN_VERSION_H
#define GGEN_VERSION_H

#define PROTO_VERSION 1

/* The product version string ("0.1.0"); static storage. */
const char *ggen_version(void);

#endif
