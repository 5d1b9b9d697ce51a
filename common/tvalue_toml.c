/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tvalue_toml.c - convert a parsed TOML subtree into template values.
 *
 * Owns nothing: reads the borrowed TOML document and builds a fresh value
 * tree. Called by the daemon's generate step and by `ggenc render` for
 * make.toml [vars]. Recursion depth is bounded by TOML_MAX_DEPTH, which
 * toml_parse enforces, so the walk cannot overflow the stack.
 */
#include "toml.h"
#include "tvalue_toml.h"

struct tvalue *
tvalue_from_toml(const struct toml_node *node)
{
	struct tvalue *v;
	char buf[64];
	size_t i, n;

	if (node == NULL)
		return tvalue_map_new();
	switch (node->type) {
	case TOML_TABLE:
		v = tvalue_map_new();
		n = toml_len(node);
		for (i = 0; i < n; i++) {
			const struct toml_node *c = toml_at(node, i);

			tvalue_map_setn(v, c->key, c->key_len,
			    tvalue_from_toml(c));
		}
		return v;
	case TOML_ARRAY:
		v = tvalue_array_new();
		n = toml_len(node);
		for (i = 0; i < n; i++)
			tvalue_array_push(v, tvalue_from_toml(toml_at(node, i)));
		return v;
	case TOML_STRING:
		return tvalue_stringn(node->u.s.ptr, node->u.s.len);
	case TOML_INTEGER:
		return tvalue_int(node->u.i);
	case TOML_FLOAT:
		return tvalue_double(node->u.f);
	case TOML_BOOL:
		return tvalue_bool(node->u.b);
	case TOML_DATETIME:
	case TOML_DATETIME_LOCAL:
	case TOML_DATE_LOCAL:
	case TOML_TIME_LOCAL:
		return tvalue_string(toml_datetime_format(node, buf,
		    sizeof(buf)));
	}
	/* Unreachable with a well-formed tree; null keeps the caller going. */
	return tvalue_null();
}
