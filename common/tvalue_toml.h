/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tvalue_toml.h - TOML subtree (common/toml.h) -> template value, for
 * make.toml [vars].
 *
 * Tables become maps (source key order kept), arrays arrays (arrays of
 * tables too), integers TVALUE_INT, floats TVALUE_DOUBLE (nan/inf kept),
 * bools TVALUE_BOOL, and every date/time kind its RFC 3339 text as
 * written (toml_datetime_format), a TVALUE_STRING. Any thread.
 */
#ifndef GGEN_TVALUE_TOML_H
#define GGEN_TVALUE_TOML_H

#include "tvalue.h"

struct toml_node;

/* New value (caller owns) for node (borrowed); NULL node gives an empty
 * map. Never fails: toml_parse already capped the nesting. */
struct tvalue *tvalue_from_toml(const struct toml_node *node);

#endif
