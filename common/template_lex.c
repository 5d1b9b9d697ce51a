/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * template_lex.c - the template lexer: source text to tokens, with Tera's
 * whitespace control ({{- -}} {%- -%} {#- -#}) applied to text tokens and
 * {% raw %} bodies kept as text. Pure; any thread.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "template_int.h"
#include "xmalloc.h"

static void
template_lex_advance(struct template_lexer *lx, size_t n)
{
	const char *end, *nl;

	if (n > (size_t)(lx->end - lx->p))
		n = (size_t)(lx->end - lx->p);
	end = lx->p + n;
	if (n < 16) {
		for (; lx->p < end; lx->p++) {
			if (*lx->p == '\n') {
				lx->line++;
				lx->col = 1;
			} else
				lx->col++;
		}
		return;
	}
	/* Whole lines at a time (text runs are long). */
	while ((nl = memchr(lx->p, '\n', (size_t)(end - lx->p))) != NULL) {
		lx->line++;
		lx->col = 1;
		lx->p = nl + 1;
	}
	lx->col += (int)(end - lx->p);
	lx->p = end;
}

static struct template_tok *
template_lex_push(struct template_lexer *lx, enum template_tok_kind kind,
    const char *s, size_t len, int line, int col)
{
	struct template_tok *t;

	if (lx->ntoks == lx->cap) {
		lx->cap = lx->cap ? lx->cap * 2 : 64;
		lx->toks = xreallocarray(lx->toks, lx->cap, sizeof *lx->toks);
	}
	t = &lx->toks[lx->ntoks++];
	t->kind = kind;
	t->op = OP_NONE;
	t->s = s;
	t->len = len;
	t->line = line;
	t->col = col;
	return t;
}

/* Drop trailing whitespace of the last token if it is text ({{- etc.). */
static void
template_lex_rstrip_prev(struct template_lexer *lx)
{
	struct template_tok *t;

	if (lx->ntoks == 0 || lx->toks[lx->ntoks - 1].kind != TOK_TEXT)
		return;
	t = &lx->toks[lx->ntoks - 1];
	while (t->len > 0 && template_is_space(t->s[t->len - 1]))
		t->len--;
}

static void
template_lex_text(struct template_lexer *lx, const char *s, size_t len,
    int line, int col)
{
	if (lx->strip_next) {
		while (len > 0 && template_is_space(*s)) {
			if (*s == '\n') {
				line++;
				col = 1;
			} else
				col++;
			s++;
			len--;
		}
		lx->strip_next = false;
	}
	template_lex_push(lx, TOK_TEXT, s, len, line, col);
}

static bool
template_starts(const struct template_lexer *lx, const char *p, const char *lit)
{
	size_t n = strlen(lit);

	return (size_t)(lx->end - p) >= n && memcmp(p, lit, n) == 0;
}

/*
 * If p (just after "{%" and an optional '-') opens `raw %}` or `endraw %}`
 * (per word), return a pointer past the closing "%}" and set *strip_after;
 * else NULL.
 */
static const char *
template_lex_match_tag(const struct template_lexer *lx, const char *p,
    const char *word, bool *strip_after)
{
	size_t n = strlen(word);

	while (p < lx->end && template_is_space(*p))
		p++;
	if ((size_t)(lx->end - p) < n || memcmp(p, word, n) != 0)
		return NULL;
	p += n;
	if (p < lx->end && !template_is_space(*p) && *p != '-' && *p != '%')
		return NULL;
	while (p < lx->end && template_is_space(*p))
		p++;
	*strip_after = false;
	if (p < lx->end && *p == '-') {
		*strip_after = true;
		p++;
	}
	if (!template_starts(lx, p, "%}"))
		return NULL;
	return p + 2;
}

static int
template_lex_error(struct template_lexer *lx, int line, int col,
    const char *msg)
{
	return gerr_set_at(lx->err, GERR_TEMPLATE, lx->name, line, col, "%s",
	    msg);
}

/* Handle `{% raw %}...{% endraw %}`; p points just past the opening
 * delimiter's optional '-'. Returns 1 if it was a raw block, 0 if not,
 * or an error code < 0 negated. */
static int
template_lex_raw(struct template_lexer *lx, const char *after_open, int line,
    int col)
{
	bool strip_in, strip_end_before, strip_after;
	const char *body, *q, *close;

	body = template_lex_match_tag(lx, after_open, "raw", &strip_in);
	if (body == NULL)
		return 0;
	for (q = body; q < lx->end; q++) {
		const char *r;

		if (!template_starts(lx, q, "{%"))
			continue;
		r = q + 2;
		strip_end_before = false;
		if (r < lx->end && *r == '-') {
			strip_end_before = true;
			r++;
		}
		close = template_lex_match_tag(lx, r, "endraw", &strip_after);
		if (close == NULL)
			continue;
		template_lex_advance(lx, (size_t)(body - lx->p));
		{
			const char *s = body;
			size_t len = (size_t)(q - body);
			int tl = lx->line, tc = lx->col;

			lx->strip_next = strip_in;
			if (strip_end_before)
				while (len > 0 && template_is_space(s[len - 1]))
					len--;
			template_lex_text(lx, s, len, tl, tc);
		}
		template_lex_advance(lx, (size_t)(close - lx->p));
		lx->strip_next = strip_after;
		return 1;
	}
	template_lex_error(lx, line, col, "unclosed `raw` block: expected "
	    "{% endraw %}");
	return -1;
}

/* Lex tokens inside a tag until its closing delimiter. */
static int
template_lex_inside(struct template_lexer *lx, enum template_tok_kind close,
    int open_line, int open_col)
{
	const char *closer = close == TOK_VCLOSE ? "}}" : "%}";
	static const struct {
		char s[3];
		enum template_op op;
	} ops[] = {
		{ "==", OP_EQ }, { "!=", OP_NE }, { "<=", OP_LE }, { ">=", OP_GE },
		{ "<", OP_LT }, { ">", OP_GT }, { "+", OP_PLUS }, { "-", OP_MINUS },
		{ "*", OP_MUL }, { "/", OP_DIV }, { "%", OP_MOD }, { "~", OP_TILDE },
		{ "|", OP_PIPE }, { "(", OP_LPAREN }, { ")", OP_RPAREN },
		{ "[", OP_LBRACK }, { "]", OP_RBRACK }, { ",", OP_COMMA },
		{ ".", OP_DOT }, { "=", OP_ASSIGN }, { "::", OP_DCOLON },
	};

	for (;;) {
		while (lx->p < lx->end && template_is_space(*lx->p))
			template_lex_advance(lx, 1);
		if (lx->p >= lx->end) {
			char msg[64];

			snprintf(msg, sizeof msg, "unclosed tag: expected `%s`",
			    closer);
			return template_lex_error(lx, open_line, open_col, msg);
		}
		const char *p = lx->p;
		int line = lx->line, col = lx->col;

		if (*p == '-' && template_starts(lx, p + 1, closer)) {
			template_lex_push(lx, close, p, 3, line, col);
			template_lex_advance(lx, 3);
			lx->strip_next = true;
			return 0;
		}
		if (template_starts(lx, p, closer)) {
			template_lex_push(lx, close, p, 2, line, col);
			template_lex_advance(lx, 2);
			return 0;
		}
		if (template_is_ident_start(*p)) {
			size_t n = 1;

			while (p + n < lx->end && (template_is_ident_start(p[n]) ||
			    template_is_digit(p[n])))
				n++;
			template_lex_push(lx, TOK_IDENT, p, n, line, col);
			template_lex_advance(lx, n);
			continue;
		}
		if (template_is_digit(*p)) {
			size_t n = 0;
			enum template_tok_kind k = TOK_INT;

			while (p + n < lx->end && template_is_digit(p[n]))
				n++;
			if (p + n + 1 < lx->end && p[n] == '.' &&
			    template_is_digit(p[n + 1])) {
				k = TOK_FLOAT;
				n++;
				while (p + n < lx->end && template_is_digit(p[n]))
					n++;
			}
			template_lex_push(lx, k, p, n, line, col);
			template_lex_advance(lx, n);
			continue;
		}
		if (*p == '"' || *p == '\'' || *p == '`') {
			const char *q = memchr(p + 1, *p, (size_t)(lx->end - p - 1));

			if (q == NULL)
				return template_lex_error(lx, line, col,
				    "unterminated string literal");
			template_lex_push(lx, TOK_STRING, p + 1,
			    (size_t)(q - p - 1), line, col);
			template_lex_advance(lx, (size_t)(q - p + 1));
			continue;
		}
		size_t i;

		/* First byte, then the second of two-byte operators. */
		for (i = 0; i < sizeof ops / sizeof ops[0]; i++)
			if (ops[i].s[0] == p[0] && (ops[i].s[1] == '\0' ||
			    (p + 1 < lx->end && p[1] == ops[i].s[1])))
				break;
		if (i == sizeof ops / sizeof ops[0]) {
			char msg[64];

			if ((unsigned char)*p >= 0x20 && (unsigned char)*p < 0x7f)
				snprintf(msg, sizeof msg,
				    "unexpected character `%c`", *p);
			else
				snprintf(msg, sizeof msg,
				    "unexpected byte 0x%02x",
				    (unsigned char)*p);
			return template_lex_error(lx, line, col, msg);
		}
		template_lex_push(lx, TOK_OP, p, strlen(ops[i].s), line,
		    col)->op = ops[i].op;
		template_lex_advance(lx, strlen(ops[i].s));
	}
}

int
template_lex(struct template_lexer *lx)
{
	int rc;

	while (lx->p < lx->end) {
		const char *q = lx->p;
		int line = lx->line, col = lx->col;

		/* Find the next delimiter. */
		while (q + 1 < lx->end && !(q[0] == '{' &&
		    (q[1] == '{' || q[1] == '%' || q[1] == '#'))) {
			const char *b = memchr(q + 1, '{',
			    (size_t)(lx->end - q - 1));

			q = b != NULL ? b : lx->end;
		}
		if (q + 1 >= lx->end)
			q = lx->end;
		if (q > lx->p) {
			template_lex_text(lx, lx->p, (size_t)(q - lx->p), line,
			    col);
			template_lex_advance(lx, (size_t)(q - lx->p));
		} else
			lx->strip_next = false;
		if (lx->p >= lx->end)
			break;
		line = lx->line;
		col = lx->col;
		char kind = lx->p[1];
		bool strip_before = lx->p + 2 < lx->end && lx->p[2] == '-';
		const char *after = lx->p + 2 + (strip_before ? 1 : 0);

		if (strip_before)
			template_lex_rstrip_prev(lx);
		if (kind == '#') {
			const char *c;

			for (c = after; c + 1 < lx->end; c++)
				if (c[0] == '#' && c[1] == '}')
					break;
			if (c + 1 >= lx->end)
				return template_lex_error(lx, line, col,
				    "unclosed comment: expected `#}`");
			lx->strip_next = c > after && c[-1] == '-';
			template_lex_advance(lx, (size_t)(c + 2 - lx->p));
			/* An empty text token: a later `{{-` strips only the
			 * text after the comment, not the text before it. */
			template_lex_push(lx, TOK_TEXT, lx->p, 0, lx->line,
			    lx->col);
			continue;
		}
		if (kind == '%') {
			rc = template_lex_raw(lx, after, line, col);
			if (rc < 0)
				return GERR_TEMPLATE;
			if (rc > 0)
				continue;
		}
		template_lex_push(lx, kind == '{' ? TOK_VOPEN : TOK_BOPEN, lx->p,
		    (size_t)(after - lx->p), line, col);
		template_lex_advance(lx, (size_t)(after - lx->p));
		rc = template_lex_inside(lx, kind == '{' ? TOK_VCLOSE :
		    TOK_BCLOSE, line, col);
		if (rc != 0)
			return rc;
	}
	template_lex_push(lx, TOK_EOF, lx->end, 0, lx->line, lx->col);
	return 0;
}
