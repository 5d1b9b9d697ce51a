/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * frontmatter.c - split, render and parse ggen .tmpl frontmatter; apply
 * its write/inject rules to existing content; check output paths.
 *
 * Owns struct frontmatter_template (two compiled templates and the body's
 * first line) and the strings of struct frontmatter. Callers: the daemon's
 * render step, `ggenc validate`, tests. Everything here is pure: it never
 * touches the file system, runs commands or reads the environment; the
 * daemon does I/O around it. libyaml is used through its document API with
 * node and depth caps, so alias bombs and deep nesting are refused.
 */
#include "frontmatter.h"

#include <errno.h>
#include <limits.h>
#include <regex.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "path.h"
#include "xmalloc.h"

struct frontmatter_template {
	struct template *fm;	/* NULL when the file has no frontmatter */
	struct template *body;
	int fm_line;
};

void
frontmatter_init(struct frontmatter *fm)
{
	memset(fm, 0, sizeof *fm);
	fm->at_line = -1;
}

static void
frontmatter_free_list(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void
frontmatter_release(struct frontmatter *fm)
{
	free(fm->to);
	free(fm->before);
	free(fm->after);
	free(fm->skip_if);
	frontmatter_free_list(fm->sh_before, fm->n_sh_before);
	frontmatter_free_list(fm->sh_after, fm->n_sh_after);
	tvalue_unref(fm->vars);
	frontmatter_init(fm);
}

/* Length of the line at p (without its terminator) and of the terminator. */
static size_t
frontmatter_line(const char *p, const char *end, size_t *eol)
{
	const char *nl = memchr(p, '\n', (size_t)(end - p));
	size_t n = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);

	*eol = nl != NULL ? 1 : 0;
	if (n > 0 && p[n - 1] == '\r') {
		n--;
		(*eol)++;
	}
	return n;
}

int
frontmatter_compile(const char *src, size_t len, const char *name,
    struct frontmatter_template **out, struct gerr *err)
{
	return frontmatter_compile_with(src, len, name, NULL, out, err);
}

int
frontmatter_compile_with(const char *src, size_t len, const char *name,
    const struct template_loader *loader, struct frontmatter_template **out,
    struct gerr *err)
{
	struct frontmatter_template *ft = xcalloc(1, sizeof *ft);
	const char *end = src + len, *p = src, *fm_start, *body;
	size_t n, eol;
	int line = 1, rc;

	*out = NULL;
	n = frontmatter_line(p, end, &eol);
	body = src;
	if (n == 3 && memcmp(p, "---", 3) == 0 && eol > 0) {
		p += n + eol;
		line++;
		fm_start = p;
		ft->fm_line = 2;
		for (;;) {
			if (p >= end) {
				free(ft);
				return gerr_set_at(err, GERR_PARSE, name, 1, 1,
				    "frontmatter not closed: expected a `---` "
				    "line");
			}
			n = frontmatter_line(p, end, &eol);
			if (n == 3 && memcmp(p, "---", 3) == 0)
				break;
			p += n + eol;
			line++;
		}
		rc = template_compile_at(fm_start, (size_t)(p - fm_start), name,
		    2, &ft->fm, err);
		if (rc != 0) {
			free(ft);
			return rc;
		}
		body = p + n + eol;
		line++;
	} else
		line = 1;
	rc = template_compile_with(body, (size_t)(end - body), name, line,
	    loader, &ft->body, err);
	if (rc != 0) {
		frontmatter_template_free(ft);
		return rc;
	}
	*out = ft;
	return 0;
}

void
frontmatter_template_free(struct frontmatter_template *ft)
{
	if (ft == NULL)
		return;
	template_free(ft->fm);
	template_free(ft->body);
	free(ft);
}

/* ---------------------------------------------------------------- YAML */

struct frontmatter_yaml {
	yaml_document_t *doc;
	const char *name;
	int line0;		/* file line of YAML line 0 */
	size_t nodes;
	struct gerr *err;
};

static int
frontmatter_yerr(struct frontmatter_yaml *y, const yaml_node_t *n,
    enum gerr_code code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int
frontmatter_yerr(struct frontmatter_yaml *y, const yaml_node_t *n,
    enum gerr_code code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	gerr_vset_at(y->err, code, y->name,
	    n != NULL ? y->line0 + (int)n->start_mark.line : y->line0,
	    n != NULL ? (int)n->start_mark.column + 1 : 1, fmt, ap);
	va_end(ap);
	return code;
}

static bool
frontmatter_scalar_is(const yaml_node_t *n, const char *const *words)
{
	for (; *words != NULL; words++)
		if (strlen(*words) == n->data.scalar.length &&
		    memcmp(*words, n->data.scalar.value, n->data.scalar.length)
		    == 0)
			return true;
	return false;
}

static const char *const frontmatter_true[] = { "true", "True", "TRUE",
	"yes", "Yes", "on", NULL };
static const char *const frontmatter_false[] = { "false", "False", "FALSE",
	"no", "No", "off", NULL };
static const char *const frontmatter_null[] = { "null", "Null", "NULL", "~",
	"", NULL };

/* YAML node -> tvalue, resolving plain scalars (bool, null, int, float). */
static int
frontmatter_to_tvalue(struct frontmatter_yaml *y, yaml_node_t *n, int depth,
    struct tvalue **out)
{
	struct tvalue *v, *c;
	int rc;

	*out = NULL;
	if (++y->nodes > FRONTMATTER_MAX_NODES)
		return frontmatter_yerr(y, n, GERR_LIMIT, "more than %d YAML "
		    "nodes", FRONTMATTER_MAX_NODES);
	if (depth > FRONTMATTER_MAX_DEPTH)
		return frontmatter_yerr(y, n, GERR_LIMIT, "YAML nested deeper "
		    "than %d", FRONTMATTER_MAX_DEPTH);
	switch (n->type) {
	case YAML_SCALAR_NODE: {
		const char *s = (const char *)n->data.scalar.value;
		size_t len = n->data.scalar.length;

		if (n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE) {
			*out = tvalue_stringn(s, len);
			return 0;
		}
		if (frontmatter_scalar_is(n, frontmatter_true)) {
			*out = tvalue_bool(true);
			return 0;
		}
		if (frontmatter_scalar_is(n, frontmatter_false)) {
			*out = tvalue_bool(false);
			return 0;
		}
		if (frontmatter_scalar_is(n, frontmatter_null)) {
			*out = tvalue_null();
			return 0;
		}
		char *end;

		errno = 0;
		long long i = strtoll(s, &end, 10);

		if (len > 0 && *end == '\0' && errno == 0) {
			*out = tvalue_int(i);
			return 0;
		}
		double d = strtod(s, &end);

		if (len > 0 && *end == '\0' && strpbrk(s, "0123456789") &&
		    strpbrk(s, "xXpP") == NULL) {
			*out = tvalue_double(d);
			return 0;
		}
		*out = tvalue_stringn(s, len);
		return 0;
	}
	case YAML_SEQUENCE_NODE:
		v = tvalue_array_new();
		for (yaml_node_item_t *it = n->data.sequence.items.start;
		    it < n->data.sequence.items.top; it++) {
			rc = frontmatter_to_tvalue(y,
			    yaml_document_get_node(y->doc, *it), depth + 1, &c);
			if (rc != 0) {
				tvalue_unref(v);
				return rc;
			}
			tvalue_array_push(v, c);
		}
		*out = v;
		return 0;
	case YAML_MAPPING_NODE:
		v = tvalue_map_new();
		for (yaml_node_pair_t *p = n->data.mapping.pairs.start;
		    p < n->data.mapping.pairs.top; p++) {
			yaml_node_t *k = yaml_document_get_node(y->doc, p->key);

			if (k->type != YAML_SCALAR_NODE) {
				tvalue_unref(v);
				return frontmatter_yerr(y, k, GERR_INVALID,
				    "map keys must be strings");
			}
			rc = frontmatter_to_tvalue(y,
			    yaml_document_get_node(y->doc, p->value), depth + 1,
			    &c);
			if (rc != 0) {
				tvalue_unref(v);
				return rc;
			}
			tvalue_map_setn(v, (const char *)k->data.scalar.value,
			    k->data.scalar.length, c);
		}
		*out = v;
		return 0;
	default:
		return frontmatter_yerr(y, n, GERR_INVALID, "empty YAML node");
	}
}

static int
frontmatter_get_bool(struct frontmatter_yaml *y, yaml_node_t *n,
    const char *key, bool *out)
{
	if (n->type == YAML_SCALAR_NODE &&
	    n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE) {
		if (frontmatter_scalar_is(n, frontmatter_true)) {
			*out = true;
			return 0;
		}
		if (frontmatter_scalar_is(n, frontmatter_false)) {
			*out = false;
			return 0;
		}
	}
	return frontmatter_yerr(y, n, GERR_INVALID, "`%s` must be true or "
	    "false", key);
}

static int
frontmatter_get_string(struct frontmatter_yaml *y, yaml_node_t *n,
    const char *key, char **out)
{
	if (n->type != YAML_SCALAR_NODE)
		return frontmatter_yerr(y, n, GERR_INVALID, "`%s` must be a "
		    "string", key);
	free(*out);
	*out = xstrndup((const char *)n->data.scalar.value,
	    n->data.scalar.length);
	return 0;
}

/*
 * glibc's regcomp expands repetitions by copying the repeated subtree
 * (`a+` becomes `aa*`, `a{n}` n copies) and computes epsilon closures over
 * the result, so a duplicating repetition (`+`, `{m,n}` with n > 1) of a
 * group that itself holds a repetition, as in `((a+)+)+` or `(()+)+`,
 * costs time and memory exponential in the nesting: 60 bytes took seconds
 * or gigabytes (found by tests/fuzz/fuzz_frontmatter). Such nesting is
 * refused, as are adjacent repetition operators (undefined in POSIX ERE)
 * and patterns whose expanded size (an atom or a group is 1 + its content;
 * x+ doubles x; x{m,n} multiplies it by max(m,n) + 1; x* and x? add 1)
 * passes FRONTMATTER_REGEX_COST. `*` and `?` of anything stay allowed:
 * `(\.[0-9]+)*` is ordinary. Returns NULL or the reason (static string).
 */
#define FRONTMATTER_REGEX_COST 10000.0
#define FRONTMATTER_REGEX_DEPTH 32

struct frontmatter_regex_level {
	double sum;	/* cost of the finished items of this group */
	double last;	/* cost of the item a repetition would apply to */
	bool has_rep;	/* the group holds a repetition so far */
	bool last_rep;	/* the last item is a group holding one */
};

/* Size of the interval at p ('{'); *end set past it. 0 if not one. */
static unsigned long
frontmatter_regex_interval(const char *p, const char **end)
{
	unsigned long m, x;
	char *e;

	m = strtoul(p + 1, &e, 10);
	x = m;
	if (*e == ',')
		x = *(e + 1) == '}' ? ULONG_MAX : strtoul(e + 1, &e, 10);
	*end = *e == '}' ? e + 1 : p + 1;
	return x > m ? x : m;
}

static const char *
frontmatter_regex_cost(const char *re)
{
	struct frontmatter_regex_level lv[FRONTMATTER_REGEX_DEPTH + 1];
	struct frontmatter_regex_level *l = lv;
	const char *p = re;
	bool after_rep = false;

	memset(l, 0, sizeof(*l));
	while (*p != '\0') {
		bool rep = false;
		unsigned long times;

		switch (*p) {
		case '(':
			if (l == &lv[FRONTMATTER_REGEX_DEPTH])
				return "groups nested too deep";
			l++;
			memset(l, 0, sizeof(*l));
			p++;
			break;
		case ')':
			if (l > lv) {
				/* +1: a group is a node even when empty. */
				double inner = l->sum + l->last + 1;
				bool inner_rep = l->has_rep;

				l--;
				l->sum += l->last;
				l->last = inner;
				l->last_rep = inner_rep;
				l->has_rep |= inner_rep;
			}
			p++;
			break;
		case '|':
			l->sum += l->last;
			l->last = 0;
			l->last_rep = false;
			p++;
			break;
		case '*':
		case '?':
		case '+':
		case '{':
			if (after_rep)
				return "adjacent repetition operators are "
				    "undefined in POSIX extended expressions";
			rep = true;
			if (*p == '{')
				times = frontmatter_regex_interval(p, &p);
			else
				times = *p++ == '+' ? 2 : 1;
			if (times > 1 && l->last_rep)
				return "a group holding a repetition is "
				    "repeated again, as in (a+)+ (exponential "
				    "in the C library)";
			l->last = times > 1 ? l->last * ((double)times + 1) :
			    l->last + 1;
			l->has_rep = true;
			break;
		case '[':
			/* A bracket expression is one atom: skip to its ']'
			 * (a ']' first is literal; [:class:] may hold one). */
			p++;
			if (*p == '^')
				p++;
			if (*p == ']')
				p++;
			while (*p != '\0' && *p != ']') {
				if (*p == '[' && (p[1] == ':' || p[1] == '.' ||
				    p[1] == '=')) {
					const char *close = strchr(p + 2, p[1]);

					p = close != NULL && close[1] == ']' ?
					    close + 2 : p + 1;
				} else
					p++;
			}
			if (*p == ']')
				p++;
			l->sum += l->last;
			l->last = 1;
			l->last_rep = false;
			break;
		case '\\':
			if (p[1] != '\0')
				p++;
			/* fall through */
		default:
			l->sum += l->last;
			l->last = 1;
			l->last_rep = false;
			p++;
			break;
		}
		after_rep = rep;
		if (l->sum + l->last > FRONTMATTER_REGEX_COST)
			return "too complex (repetitions expand too far)";
	}
	return NULL;
}

static int
frontmatter_get_regex(struct frontmatter_yaml *y, yaml_node_t *n,
    const char *key, char **out)
{
	regex_t re;
	char buf[128];
	const char *why;
	int rc = frontmatter_get_string(y, n, key, out);

	if (rc != 0)
		return rc;
	if ((why = frontmatter_regex_cost(*out)) != NULL)
		return frontmatter_yerr(y, n, GERR_INVALID, "`%s`: regular "
		    "expression refused: %s", key, why);
	rc = regcomp(&re, *out, REG_EXTENDED | REG_NOSUB | REG_NEWLINE);
	if (rc != 0) {
		regerror(rc, &re, buf, sizeof buf);
		regfree(&re);
		return frontmatter_yerr(y, n, GERR_INVALID, "`%s`: bad regular "
		    "expression: %s", key, buf);
	}
	regfree(&re);
	return 0;
}

static int
frontmatter_get_commands(struct frontmatter_yaml *y, yaml_node_t *n,
    const char *key, char ***out, size_t *count)
{
	frontmatter_free_list(*out, *count);
	*out = NULL;
	*count = 0;
	if (n->type == YAML_SCALAR_NODE) {
		*out = xmalloc(sizeof **out);
		(*out)[0] = xstrndup((const char *)n->data.scalar.value,
		    n->data.scalar.length);
		*count = 1;
		return 0;
	}
	if (n->type != YAML_SEQUENCE_NODE)
		return frontmatter_yerr(y, n, GERR_INVALID, "`%s` must be a "
		    "string or a list of strings", key);
	size_t total = (size_t)(n->data.sequence.items.top -
	    n->data.sequence.items.start);

	if (total > FRONTMATTER_MAX_SH)
		return frontmatter_yerr(y, n, GERR_LIMIT, "`%s` has more than %d "
		    "commands", key, FRONTMATTER_MAX_SH);
	*out = xcalloc(total ? total : 1, sizeof **out);
	for (size_t i = 0; i < total; i++) {
		yaml_node_t *c = yaml_document_get_node(y->doc,
		    n->data.sequence.items.start[i]);

		if (c->type != YAML_SCALAR_NODE)
			return frontmatter_yerr(y, c, GERR_INVALID, "`%s` must "
			    "be a string or a list of strings", key);
		(*out)[i] = xstrndup((const char *)c->data.scalar.value,
		    c->data.scalar.length);
		(*count)++;
	}
	return 0;
}

enum frontmatter_kind { FM_BOOL, FM_STRING, FM_REGEX };

/* The simple keys: one row each (at_line, sh_* and vars are special). */
static const struct {
	const char *key;
	enum frontmatter_kind kind;
	size_t off;
} frontmatter_keys[] = {
	{ "to", FM_STRING, offsetof(struct frontmatter, to) },
	{ "force", FM_BOOL, offsetof(struct frontmatter, force) },
	{ "unless_exists", FM_BOOL, offsetof(struct frontmatter, unless_exists) },
	{ "inject", FM_BOOL, offsetof(struct frontmatter, inject) },
	{ "prepend", FM_BOOL, offsetof(struct frontmatter, prepend) },
	{ "append", FM_BOOL, offsetof(struct frontmatter, append) },
	{ "before", FM_REGEX, offsetof(struct frontmatter, before) },
	{ "after", FM_REGEX, offsetof(struct frontmatter, after) },
	{ "skip_if", FM_REGEX, offsetof(struct frontmatter, skip_if) },
};

static int
frontmatter_key(struct frontmatter_yaml *y, struct frontmatter *fm,
    const char *k, yaml_node_t *v)
{
	for (size_t i = 0; i < sizeof frontmatter_keys /
	    sizeof frontmatter_keys[0]; i++) {
		void *field = (char *)fm + frontmatter_keys[i].off;

		if (strcmp(k, frontmatter_keys[i].key) != 0)
			continue;
		switch (frontmatter_keys[i].kind) {
		case FM_BOOL:
			return frontmatter_get_bool(y, v, k, field);
		case FM_STRING:
			return frontmatter_get_string(y, v, k, field);
		case FM_REGEX:
			return frontmatter_get_regex(y, v, k, field);
		}
	}
	if (strcmp(k, "at_line") == 0) {
		char *end;
		long n;

		if (v->type != YAML_SCALAR_NODE)
			goto bad_line;
		errno = 0;
		n = strtol((const char *)v->data.scalar.value, &end, 10);
		if (v->data.scalar.length == 0 || *end != '\0' || errno != 0 ||
		    n < 0)
			goto bad_line;
		fm->at_line = n;
		return 0;
bad_line:
		return frontmatter_yerr(y, v, GERR_INVALID, "`at_line` must be "
		    "a line number >= 0");
	}
	if (strcmp(k, "sh_before") == 0)
		return frontmatter_get_commands(y, v, k, &fm->sh_before,
		    &fm->n_sh_before);
	if (strcmp(k, "sh_after") == 0)
		return frontmatter_get_commands(y, v, k, &fm->sh_after,
		    &fm->n_sh_after);
	if (strcmp(k, "vars") == 0) {
		if (v->type != YAML_MAPPING_NODE)
			return frontmatter_yerr(y, v, GERR_INVALID, "`vars` must "
			    "be a map");
		tvalue_unref(fm->vars);
		fm->vars = NULL;
		return frontmatter_to_tvalue(y, v, 0, &fm->vars);
	}
	fm->unknown_keys++;
	return 0;
}

int
frontmatter_parse(const char *yaml, size_t len, const char *name,
    int first_line, struct frontmatter *fm, struct gerr *err)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	struct frontmatter_yaml y = { .doc = &doc, .name = name,
		.line0 = first_line, .err = err };
	yaml_node_t *root;
	int rc = 0;

	frontmatter_init(fm);
	fm->line = first_line;
	if (!yaml_parser_initialize(&parser))
		return gerr_set(err, GERR_INTERNAL, "yaml_parser_initialize");
	yaml_parser_set_input_string(&parser, (const unsigned char *)yaml, len);
	if (!yaml_parser_load(&parser, &doc)) {
		const yaml_mark_t *m = &parser.problem_mark;

		rc = gerr_set_at(err, GERR_PARSE, name,
		    first_line + (int)m->line, (int)m->column + 1,
		    "bad YAML in frontmatter: %s%s%s",
		    parser.problem != NULL ? parser.problem : "syntax error",
		    parser.context != NULL ? " " : "",
		    parser.context != NULL ? parser.context : "");
		yaml_parser_delete(&parser);
		return rc;
	}
	root = yaml_document_get_root_node(&doc);
	if (root != NULL && !(root->type == YAML_SCALAR_NODE &&
	    root->data.scalar.length == 0)) {
		if (root->type != YAML_MAPPING_NODE)
			rc = frontmatter_yerr(&y, root, GERR_INVALID,
			    "frontmatter must be a map of keys");
		for (yaml_node_pair_t *p = root->data.mapping.pairs.start;
		    rc == 0 && p < root->data.mapping.pairs.top; p++) {
			yaml_node_t *k = yaml_document_get_node(&doc, p->key);
			char *key;

			if (k->type != YAML_SCALAR_NODE) {
				rc = frontmatter_yerr(&y, k, GERR_INVALID,
				    "frontmatter keys must be strings");
				break;
			}
			key = xstrndup((const char *)k->data.scalar.value,
			    k->data.scalar.length);
			rc = frontmatter_key(&y, fm, key,
			    yaml_document_get_node(&doc, p->value));
			free(key);
		}
	}
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	if (rc != 0)
		frontmatter_release(fm);
	return rc;
}

int
frontmatter_render(const struct frontmatter_template *ft,
    const struct tvalue *toml_vars, const struct tvalue *request_vars,
    const struct template_render_opts *opts, struct frontmatter *fm,
    struct strbuf *body, struct tvalue **ctx_out, struct gerr *err)
{
	struct tvalue *ctx = tvalue_map_new();
	struct strbuf text = STRBUF_INIT;
	int rc = 0;

	frontmatter_init(fm);
	if (ctx_out != NULL)
		*ctx_out = NULL;
	/* The frontmatter sees [vars] and request vars; its own vars are not
	 * known before it is parsed. */
	tvalue_map_update(ctx, toml_vars);
	tvalue_map_update(ctx, request_vars);
	if (ft->fm != NULL) {
		rc = template_render(ft->fm, ctx, opts, &text, err);
		if (rc == 0)
			rc = frontmatter_parse(text.buf, text.len,
			    template_name(ft->fm), ft->fm_line, fm, err);
		strbuf_release(&text);
		if (rc != 0)
			goto out;
		if (fm->vars != NULL) {
			/* [vars] < frontmatter vars < request vars. */
			tvalue_map_update(ctx, fm->vars);
			tvalue_map_update(ctx, request_vars);
		}
	}
	rc = template_render(ft->body, ctx, opts, body, err);
out:
	if (rc == 0 && ctx_out != NULL)
		*ctx_out = tvalue_ref(ctx);
	tvalue_unref(ctx);
	return rc;
}

/* ---------------------------------------------------------------- paths */

int
frontmatter_resolve_to(const char *root, const char *to, char **out,
    struct gerr *err)
{
	char *norm;

	*out = NULL;
	if (to == NULL || *to == '\0')
		return gerr_set(err, GERR_INVALID, "output path is empty");
	if (*to == '/')
		return gerr_set(err, GERR_OUTSIDE_ROOT, "output path `%s` is "
		    "absolute; it must stay inside the root", to);
	norm = path_normalize(to);
	if (strcmp(norm, "..") == 0 || strncmp(norm, "../", 3) == 0) {
		free(norm);
		return gerr_set(err, GERR_OUTSIDE_ROOT, "output path `%s` "
		    "escapes the root", to);
	}
	if (strcmp(norm, ".") == 0) {
		free(norm);
		return gerr_set(err, GERR_INVALID, "output path `%s` names the "
		    "root itself", to);
	}
	*out = path_join(root, norm);
	free(norm);
	return 0;
}

int
frontmatter_default_output(const char *entry, const char *tmpl_path,
    char **out, struct gerr *err)
{
	const char *colon = strchr(entry, ':');
	size_t baselen = 0, n;
	const char *p;

	*out = NULL;
	if (colon != NULL) {
		if (colon[1] == '\0')
			return gerr_set(err, GERR_INVALID, "templates entry `%s` "
			    "has an empty destination", entry);
		*out = xstrdup(colon + 1);
		return 0;
	}
	/* Base = the directories before the first component with a wildcard. */
	for (p = entry; *p != '\0';) {
		const char *slash = strchr(p, '/');

		n = slash != NULL ? (size_t)(slash - p) : strlen(p);
		if (memchr(p, '*', n) || memchr(p, '?', n) || memchr(p, '[', n) ||
		    slash == NULL)
			break;
		baselen = (size_t)(slash - entry) + 1;
		p = slash + 1;
	}
	if (strncmp(tmpl_path, entry, baselen) != 0 ||
	    tmpl_path[baselen] == '\0')
		return gerr_set(err, GERR_INVALID, "template `%s` is not under "
		    "`%.*s` of templates entry `%s`", tmpl_path, (int)baselen,
		    entry, entry);
	p = tmpl_path + baselen;
	n = strlen(p);
	if (n > 5 && strcmp(p + n - 5, ".tmpl") == 0)
		n -= 5;
	*out = xstrndup(p, n);
	return 0;
}

/* ---------------------------------------------------------------- apply */

static int
frontmatter_regex_match(const char *re_src, const char *s, size_t len,
    bool *match, struct gerr *err)
{
	regex_t re;
	char *copy;
	int rc = regcomp(&re, re_src, REG_EXTENDED | REG_NOSUB | REG_NEWLINE);

	if (rc != 0) {
		regfree(&re);
		return gerr_set(err, GERR_INVALID, "bad regular expression "
		    "`%s`", re_src);
	}
	copy = xstrndup(s, len);	/* regexec needs a NUL */
	*match = regexec(&re, copy, 0, NULL, 0) == 0;
	free(copy);
	regfree(&re);
	return 0;
}

/* Byte offset of the start of the first line matching re (or of the line
 * after it when after is set); -1 when none matches. */
static int
frontmatter_find_line(const char *re_src, const char *s, size_t len,
    bool after, ssize_t *off, struct gerr *err)
{
	regex_t re;
	size_t i = 0;
	int rc = regcomp(&re, re_src, REG_EXTENDED | REG_NOSUB);

	*off = -1;
	if (rc != 0) {
		regfree(&re);
		return gerr_set(err, GERR_INVALID, "bad regular expression "
		    "`%s`", re_src);
	}
	while (i < len) {
		const char *nl = memchr(s + i, '\n', len - i);
		size_t n = nl != NULL ? (size_t)(nl - (s + i)) : len - i;
		char *line = xstrndup(s + i, n);
		bool m = regexec(&re, line, 0, NULL, 0) == 0;

		free(line);
		if (m) {
			*off = (ssize_t)(after ? (nl != NULL ? i + n + 1 : len) :
			    i);
			break;
		}
		i += n + 1;
	}
	regfree(&re);
	return 0;
}

static void
frontmatter_add_line(struct strbuf *out, const char *body, size_t len)
{
	strbuf_add(out, body, len);
	if (len == 0 || body[len - 1] != '\n')
		strbuf_addch(out, '\n');
}

int
frontmatter_apply(const struct frontmatter *fm, const char *existing,
    size_t existing_len, const char *body, size_t body_len,
    struct strbuf *out, enum frontmatter_action *action, const char **reason,
    struct gerr *err)
{
	ssize_t at = -1;
	bool match;
	int rc;

	*action = FRONTMATTER_SKIP;
	*reason = NULL;
	if (existing != NULL && fm->skip_if != NULL) {
		rc = frontmatter_regex_match(fm->skip_if, existing,
		    existing_len, &match, err);
		if (rc != 0)
			return rc;
		if (match) {
			*reason = "skip_if matched the existing file";
			return 0;
		}
	}
	if (!fm->inject) {
		if (existing != NULL && fm->unless_exists && !fm->force) {
			*reason = "unless_exists and the file exists";
			return 0;
		}
		strbuf_add(out, body, body_len);
		*action = FRONTMATTER_WRITE;
		return 0;
	}
	if (existing == NULL) {
		*reason = "inject into a file that does not exist";
		return 0;
	}
	if (fm->prepend) {
		frontmatter_add_line(out, body, body_len);
		strbuf_add(out, existing, existing_len);
	} else if (fm->append || (fm->before == NULL && fm->after == NULL &&
	    fm->at_line < 0)) {
		strbuf_add(out, existing, existing_len);
		if (existing_len > 0 && existing[existing_len - 1] != '\n')
			strbuf_addch(out, '\n');
		frontmatter_add_line(out, body, body_len);
	} else {
		if (fm->before != NULL || fm->after != NULL) {
			const char *re = fm->before != NULL ? fm->before :
			    fm->after;

			rc = frontmatter_find_line(re, existing, existing_len,
			    fm->before == NULL, &at, err);
			if (rc != 0)
				return rc;
			if (at < 0)
				return gerr_set(err, GERR_NOT_FOUND, "inject: no "
				    "line matches %s `%s`", fm->before != NULL ?
				    "before" : "after", re);
		} else {
			long line = 0;
			size_t i;

			for (i = 0; i < existing_len && line < fm->at_line; i++)
				if (existing[i] == '\n')
					line++;
			at = (ssize_t)i;
		}
		strbuf_add(out, existing, (size_t)at);
		if (at > 0 && existing[at - 1] != '\n')
			strbuf_addch(out, '\n');
		frontmatter_add_line(out, body, body_len);
		strbuf_add(out, existing + at, existing_len - (size_t)at);
	}
	*action = FRONTMATTER_WRITE;
	return 0;
}
