/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cmd_init.c - `ggenc init [DIR] [--print] [--force]`: a starting
 * make.toml from what DIR holds (Cargo.toml, go.mod, package.json,
 * pyproject.toml, meson.build, CMakeLists.txt, Makefile; the first found in
 * that order decides, the others are named in a comment), with the phases
 * the toolchain has (build, test, lint, fmt), watch globs, inputs, outputs
 * and cache. Build products are declared as outputs and ignored by
 * [watch], so a rebuilt binary triggers nothing (Makefile: the default
 * target's products when they can be read, else a stated build/ guess).
 *
 * Local: no daemon. Reads only the manifest it picked (capped at
 * CMD_INIT_MAX_BYTES); writes DIR/make.toml through genout_write (temp
 * file, fsync, rename), never over an existing one without --force. The
 * text is parsed with make_parse_buffer before it is written: init never
 * writes a make.toml that `ggenc validate` would reject (a test runs
 * validate on each kind's output).
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd.h"
#include "cmd_entries.h"
#include "errors.h"
#include "genout.h"
#include "make.h"
#include "path.h"
#include "strbuf.h"
#include "toml.h"
#include "xmalloc.h"

#define CMD_INIT_MAX_BYTES (1024 * 1024)
#define CMD_INIT_NAME_MAX 64

/* What init learned about DIR. */
struct cmd_init_scan {
	const char *dir;
	char name[CMD_INIT_NAME_MAX];
	struct strbuf manifest;		/* the picked manifest's text */
};

/* One project kind: its manifest and its writer. */
struct cmd_init_kind {
	const char *file;		/* the manifest that identifies it */
	const char *id;			/* "cargo", ... (--json) */
	void (*write)(struct cmd_init_scan *s, struct strbuf *out);
};

static bool
cmd_init_exists(const struct cmd_init_scan *s, const char *rel)
{
	char *p = xasprintf("%s/%s", s->dir, rel);
	struct stat st;
	bool ok = stat(p, &st) == 0;

	free(p);
	return ok;
}

/* The manifest text into s->manifest (capped); false when unreadable. */
static bool
cmd_init_read(struct cmd_init_scan *s, const char *rel)
{
	char *p = xasprintf("%s/%s", s->dir, rel);
	char *buf = NULL;
	size_t len = 0;
	bool exists = false;
	struct gerr err;
	int rc;

	gerr_clear(&err);
	rc = genout_read(p, CMD_INIT_MAX_BYTES, &buf, &len, &exists, &err);
	free(p);
	if (rc != 0 || !exists)
		return false;
	strbuf_add(&s->manifest, buf, len);
	free(buf);
	return true;
}

/* name = a TOML bare-key-safe, quote-safe project name (letters, digits,
 * '-', '_', '.'); others become '-'. */
static void
cmd_init_set_name(struct cmd_init_scan *s, const char *name, size_t len)
{
	size_t i, n = 0;

	for (i = 0; i < len && n + 1 < sizeof(s->name); i++) {
		char c = name[i];

		s->name[n++] = (char)((c >= 'a' && c <= 'z') ||
		    (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '_' || c == '.' ? c : '-');
	}
	s->name[n] = '\0';
}

/* TOML: [table] name = "..." from the manifest, when present. */
static void
cmd_init_toml_name(struct cmd_init_scan *s, const char *table)
{
	struct toml_doc *doc = NULL;
	const struct toml_node *t, *n;
	struct gerr err;

	gerr_clear(&err);
	if (toml_parse(s->manifest.buf, s->manifest.len, "manifest", &doc,
	    &err) != 0)
		return;
	t = toml_get(toml_doc_root(doc), table);
	n = t != NULL && t->type == TOML_TABLE ? toml_get(t, "name") : NULL;
	if (n != NULL && n->type == TOML_STRING && n->u.s.len > 0)
		cmd_init_set_name(s, n->u.s.ptr, n->u.s.len);
	toml_doc_free(doc);
}

/* The text after the first occurrence of key up to a delimiter: for
 * `module x` (go.mod), `project(x` (meson, CMake). */
static void
cmd_init_word_after(struct cmd_init_scan *s, const char *key)
{
	const char *p = strstr(s->manifest.buf, key), *e;

	if (p == NULL)
		return;
	p += strlen(key);
	while (*p == ' ' || *p == '\t' || *p == '\'' || *p == '"')
		p++;
	for (e = p; *e != '\0' && !strchr(" \t\r\n'\",)", *e); e++)
		;
	if (e > p) {
		const char *slash = p;

		/* a Go module path: its last element */
		for (const char *q = p; q < e; q++)
			if (*q == '/')
				slash = q + 1;
		cmd_init_set_name(s, slash, (size_t)(e - slash));
	}
}

/* Whether a Makefile has a rule named target ("test:" at a line start). */
static bool
cmd_init_make_target(const struct cmd_init_scan *s, const char *target)
{
	size_t n = strlen(target);

	for (const char *p = s->manifest.buf; p != NULL && *p != '\0';) {
		if (strncmp(p, target, n) == 0 && p[n] == ':' && p[n + 1] != '=')
			return true;
		p = strchr(p, '\n');
		if (p != NULL)
			p++;
	}
	return false;
}

static void
cmd_init_phase(struct strbuf *out, const char *name, const char *desc,
    const char *command, const char *watch, const char *inputs,
    const char *outputs)
{
	strbuf_addf(out, "\n[lifecycle.%s]\ndescription = \"%s\"\n"
	    "command = \"%s\"\n", name, desc, command);
	strbuf_addf(out, "watch = %s\n", watch != NULL ? watch : "false");
	if (inputs != NULL) {
		strbuf_addf(out, "inputs = %s\n", inputs);
		if (outputs != NULL)
			strbuf_addf(out, "outputs = %s\n", outputs);
		strbuf_addstr(out, "cache = true\n");
	}
}

static void
cmd_init_write_cargo(struct cmd_init_scan *s, struct strbuf *out)
{
	static const char src[] = "[\"src/**/*.rs\", \"Cargo.toml\", "
	    "\"build.rs\"]";
	static const char in[] = "[\"src/**\", \"Cargo.toml\", \"Cargo.lock\", "
	    "\"build.rs\"]";

	cmd_init_toml_name(s, "package");
	strbuf_addstr(out, "\n[watch]\nignore = [\"target/**\"]\n");
	cmd_init_phase(out, "build", "cargo build (debug)", "cargo build", src,
	    in, "[\"target/debug\"]");
	cmd_init_phase(out, "test", "cargo test", "cargo test", NULL, NULL,
	    NULL);
	cmd_init_phase(out, "lint", "clippy, warnings are errors",
	    "cargo clippy --all-targets -- -D warnings", NULL, NULL, NULL);
	cmd_init_phase(out, "fmt", "rustfmt every file", "cargo fmt", NULL,
	    NULL, NULL);
}

static void
cmd_init_write_go(struct cmd_init_scan *s, struct strbuf *out)
{
	static const char src[] = "[\"**/*.go\", \"go.mod\", \"go.sum\"]";

	cmd_init_word_after(s, "module");
	strbuf_addstr(out, "\n[watch]\nignore = [\"vendor/**\"]\n");
	cmd_init_phase(out, "build", "go build", "go build ./...", src, src,
	    NULL);
	cmd_init_phase(out, "test", "go test", "go test ./...", NULL, NULL,
	    NULL);
	cmd_init_phase(out, "lint", "go vet", "go vet ./...", NULL, NULL, NULL);
	cmd_init_phase(out, "fmt", "gofmt every file", "gofmt -w .", NULL,
	    NULL, NULL);
}

/* package.json: phases for the scripts it has, run by its package
 * manager (from the lockfile); `install` always. */
static void
cmd_init_write_node(struct cmd_init_scan *s, struct strbuf *out)
{
	static const char src[] = "[\"src/**\", \"package.json\"]";
	const char *pm = cmd_init_exists(s, "pnpm-lock.yaml") ? "pnpm" :
	    cmd_init_exists(s, "yarn.lock") ? "yarn" : "npm";
	const char *lock = strcmp(pm, "pnpm") == 0 ? "pnpm-lock.yaml" :
	    strcmp(pm, "yarn") == 0 ? "yarn.lock" : "package-lock.json";
	cJSON *pkg = cJSON_ParseWithLength(s->manifest.buf, s->manifest.len);
	const cJSON *scripts = cJSON_GetObjectItemCaseSensitive(pkg,
	    "scripts");
	const char *name = cJSON_GetStringValue(
	    cJSON_GetObjectItemCaseSensitive(pkg, "name"));
	static const struct {
		const char *script, *phase, *desc;
	} map[] = {
		{ "build", "build", "the package's build script" },
		{ "test", "test", "the package's test script" },
		{ "lint", "lint", "the package's lint script" },
		{ "format", "fmt", "the package's format script" },
		{ "fmt", "fmt", "the package's fmt script" },
	};
	bool fmt_done = false;
	char cmd[128], in[160];

	if (name != NULL && name[0] != '\0')
		/* "@scope/pkg" -> "pkg" */
		cmd_init_set_name(s, strrchr(name, '/') != NULL ?
		    strrchr(name, '/') + 1 : name, strlen(strrchr(name, '/') !=
		    NULL ? strrchr(name, '/') + 1 : name));
	strbuf_addstr(out, "\n[watch]\nignore = [\"node_modules/**\", "
	    "\"dist/**\", \"build/**\", \"coverage/**\"]\n");
	snprintf(cmd, sizeof(cmd), "%s install", pm);
	snprintf(in, sizeof(in), "[\"package.json\", \"%s\"]", lock);
	cmd_init_phase(out, "install", "install the dependencies", cmd,
	    "[\"package.json\"]", in, "[\"node_modules\"]");
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		bool build = strcmp(map[i].phase, "build") == 0;

		if (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(scripts,
		    map[i].script)))
			continue;
		if (strcmp(map[i].phase, "fmt") == 0) {
			if (fmt_done)
				continue;
			fmt_done = true;
		}
		snprintf(cmd, sizeof(cmd), "%s run %s", pm, map[i].script);
		cmd_init_phase(out, map[i].phase, map[i].desc, cmd,
		    build ? src : NULL, build ? "[\"src/**\", \"package.json\"]" :
		    NULL, build && cmd_init_exists(s, "dist") ? "[\"dist\"]" :
		    NULL);
	}
	strbuf_addstr(out, "\n[hooks]\nbefore_all = [\"install\"]\n");
	cJSON_Delete(pkg);
}

static void
cmd_init_write_python(struct cmd_init_scan *s, struct strbuf *out)
{
	static const char src[] = "[\"**/*.py\", \"pyproject.toml\"]";
	bool ruff = strstr(s->manifest.buf, "[tool.ruff") != NULL;
	bool black = strstr(s->manifest.buf, "[tool.black") != NULL;

	cmd_init_toml_name(s, "project");
	strbuf_addstr(out, "\n[watch]\nignore = [\".venv/**\", \"dist/**\", "
	    "\"build/**\", \"**/__pycache__/**\"]\n");
	/* PEP 517: without [build-system] setuptools' defaults apply, so
	 * `python -m build` works either way. */
	cmd_init_phase(out, "build", "a wheel and an sdist in dist/",
	    "python3 -m build", NULL, src, "[\"dist\"]");
	cmd_init_phase(out, "test", "pytest", "python3 -m pytest -q", src,
	    NULL, NULL);
	cmd_init_phase(out, "lint", ruff ? "ruff" : "pyflakes", ruff ?
	    "ruff check ." : "python3 -m pyflakes .", NULL, NULL, NULL);
	if (ruff || black)
		cmd_init_phase(out, "fmt", ruff ? "ruff format" : "black",
		    ruff ? "ruff format ." : "black .", NULL, NULL, NULL);
}

/* C and C++ sources, wherever they are. */
#define CMD_INIT_C_GLOBS "\"**/*.c\", \"**/*.h\", \"**/*.cc\", " \
	"\"**/*.cpp\", \"**/*.hpp\""

static void
cmd_init_clang_format(struct cmd_init_scan *s, struct strbuf *out)
{
	if (cmd_init_exists(s, ".clang-format"))
		cmd_init_phase(out, "fmt", "clang-format every C/C++ file",
		    "git ls-files '*.c' '*.h' '*.cc' '*.cpp' '*.hpp' | "
		    "xargs -r clang-format -i", NULL, NULL, NULL);
}

static void
cmd_init_write_meson(struct cmd_init_scan *s, struct strbuf *out)
{
	static const char src[] = "[" CMD_INIT_C_GLOBS ", \"**/meson.build\", "
	    "\"meson_options.txt\"]";

	cmd_init_word_after(s, "project(");
	strbuf_addstr(out, "\n[watch]\nignore = [\"build/**\"]\n");
	/* The build directory is the output: a key seen before restores it
	 * from the output store instead of compiling. */
	cmd_init_phase(out, "build", "configure once, then compile",
	    "[ -f build/build.ninja ] || meson setup build; "
	    "meson compile -C build", src, src, "[\"build\"]");
	cmd_init_phase(out, "test", "meson test", "meson test -C build", NULL,
	    NULL, NULL);
	cmd_init_clang_format(s, out);
	strbuf_addstr(out, "\n[hooks]\nbefore_test = [\"build\"]\n");
}

static void
cmd_init_write_cmake(struct cmd_init_scan *s, struct strbuf *out)
{
	static const char src[] = "[" CMD_INIT_C_GLOBS ", "
	    "\"**/CMakeLists.txt\", \"**/*.cmake\"]";

	cmd_init_word_after(s, "project(");
	strbuf_addstr(out, "\n[watch]\nignore = [\"build/**\"]\n");
	cmd_init_phase(out, "build", "configure once, then build",
	    "[ -f build/CMakeCache.txt ] || cmake -S . -B build; "
	    "cmake --build build", src, src, "[\"build\"]");
	cmd_init_phase(out, "test", "ctest", "ctest --test-dir build "
	    "--output-on-failure", NULL, NULL, NULL);
	cmd_init_clang_format(s, out);
	strbuf_addstr(out, "\n[hooks]\nbefore_test = [\"build\"]\n");
}

/* Whether the Makefile names target in a .PHONY rule. */
static bool
cmd_init_make_phony(const struct cmd_init_scan *s, const char *target,
    size_t n)
{
	for (const char *p = s->manifest.buf; p != NULL && *p != '\0';) {
		if (strncmp(p, ".PHONY:", 7) == 0) {
			const char *e = strchr(p, '\n'), *w = p + 7;

			e = e != NULL ? e : p + strlen(p);
			while (w < e) {
				const char *we;

				while (w < e && (*w == ' ' || *w == '\t'))
					w++;
				for (we = w; we < e && *we != ' ' &&
				    *we != '\t' && *we != '\r'; we++)
					;
				if ((size_t)(we - w) == n &&
				    strncmp(w, target, n) == 0)
					return true;
				w = we;
			}
		}
		p = strchr(p, '\n');
		if (p != NULL)
			p++;
	}
	return false;
}

/* A word that names a plain file we can declare: no variables, patterns,
 * wildcards, quotes or dot-targets, not absolute, no "..". */
static bool
cmd_init_make_fileword(const char *w, size_t n)
{
	if (n == 0 || n >= CMD_INIT_NAME_MAX || w[0] == '.' || w[0] == '/' ||
	    w[0] == '-')
		return false;
	for (size_t i = 0; i < n; i++)
		if (strchr("$%*?[]()\"'\\=;:{}", w[i]) != NULL ||
		    (w[i] == '.' && i + 1 < n && w[i + 1] == '.'))
			return false;
	return true;
}

/* The default target's build products into out as TOML array items
 * ("a", "b") and true; false when they cannot be read. The default
 * target is the first rule's first target (not a dot-target); when it is
 * phony (.PHONY, or named all) its file prerequisites are the products. */
static bool
cmd_init_make_products(const struct cmd_init_scan *s, struct strbuf *out)
{
	const char *p, *e, *colon, *w;
	size_t k = 0;
	bool phony;

	for (p = s->manifest.buf; p != NULL && *p != '\0';
	    p = strchr(p, '\n') != NULL ? strchr(p, '\n') + 1 : NULL) {
		e = strchr(p, '\n');
		e = e != NULL ? e : p + strlen(p);
		colon = memchr(p, ':', (size_t)(e - p));
		if (*p == '\t' || *p == ' ' || *p == '#' || *p == '.' ||
		    colon == NULL || colon[1] == '=' || colon == p ||
		    memchr(p, '=', (size_t)(colon - p)) != NULL)
			continue;
		break;
	}
	if (p == NULL || *p == '\0')
		return false;
	/* the first target of the first rule */
	for (w = p; w < colon && *w != ' ' && *w != '\t'; w++)
		;
	if (!cmd_init_make_fileword(p, (size_t)(w - p)))
		return false;
	phony = ((size_t)(w - p) == 3 && strncmp(p, "all", 3) == 0) ||
	    cmd_init_make_phony(s, p, (size_t)(w - p));
	if (!phony) {
		strbuf_addf(out, "\"%.*s\"", (int)(w - p), p);
		k++;
	} else {
		for (w = colon + (colon[1] == ':' ? 2 : 1); w < e;) {
			const char *we;

			while (w < e && (*w == ' ' || *w == '\t' || *w == '\r'))
				w++;
			if (w < e && *w == '|')	/* order-only: not products */
				break;
			for (we = w; we < e && *we != ' ' && *we != '\t' &&
			    *we != '\r' && *we != ';'; we++)
				;
			if (we > w && cmd_init_make_fileword(w,
			    (size_t)(we - w)) && !cmd_init_make_phony(s, w,
			    (size_t)(we - w)))
				strbuf_addf(out, "%s\"%.*s\"", k++ ? ", " : "",
				    (int)(we - w), w);
			if (we < e && *we == ';')
				break;
			w = we;
		}
	}
	return k > 0;
}

static void
cmd_init_write_make(struct cmd_init_scan *s, struct strbuf *out)
{
	static const char src[] = "[" CMD_INIT_C_GLOBS ", \"Makefile\", "
	    "\"*.mk\"]";
	static const struct {
		const char *target, *phase;
	} map[] = {
		{ "test", "test" }, { "check", "test" }, { "lint", "lint" },
		{ "fmt", "fmt" }, { "format", "fmt" },
	};
	bool have[3] = { false, false, false };	/* test, lint, fmt */
	struct strbuf products = STRBUF_INIT, outputs = STRBUF_INIT;
	bool read = cmd_init_make_products(s, &products);
	char cmd[64], desc[64];

	if (!read) {
		strbuf_reset(&products);
		strbuf_addstr(&products, "\"build\"");
		strbuf_addstr(out, "\n# The default target's products could "
		    "not be read from the Makefile:\n# build/ is a guess; fix "
		    "[lifecycle.build] outputs and [watch] ignore.");
	}
	/* The products are ignored too: a rebuilt binary triggers nothing. */
	strbuf_addf(out, "\n[watch]\nignore = [\"*.o\", \"*.d\", %s%s]\n",
	    products.buf, read ? "" : ", \"build/**\"");
	strbuf_addf(&outputs, "[%s]", products.buf);
	cmd_init_phase(out, "build", "make's default target", "make", src,
	    src, outputs.buf);
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		size_t k = strcmp(map[i].phase, "test") == 0 ? 0 :
		    strcmp(map[i].phase, "lint") == 0 ? 1 : 2;

		if (have[k] || !cmd_init_make_target(s, map[i].target))
			continue;
		have[k] = true;
		snprintf(cmd, sizeof(cmd), "make %s", map[i].target);
		snprintf(desc, sizeof(desc), "make's %s target", map[i].target);
		cmd_init_phase(out, map[i].phase, desc, cmd, NULL, NULL, NULL);
	}
	strbuf_release(&products);
	strbuf_release(&outputs);
}

static const struct cmd_init_kind cmd_init_kinds[] = {
	{ "Cargo.toml", "cargo", cmd_init_write_cargo },
	{ "go.mod", "go", cmd_init_write_go },
	{ "package.json", "node", cmd_init_write_node },
	{ "pyproject.toml", "python", cmd_init_write_python },
	{ "meson.build", "meson", cmd_init_write_meson },
	{ "CMakeLists.txt", "cmake", cmd_init_write_cmake },
	{ "Makefile", "make", cmd_init_write_make },
};

#define CMD_INIT_KINDS (sizeof(cmd_init_kinds) / sizeof(cmd_init_kinds[0]))

/* The make.toml text for s into out; *kind gets the kind used. */
static int
cmd_init_generate(struct cmd_init_scan *s, struct strbuf *out,
    const struct cmd_init_kind **kind, struct gerr *err)
{
	struct strbuf body = STRBUF_INIT, also = STRBUF_INIT;
	const char *base;
	size_t i;

	*kind = NULL;
	for (i = 0; i < CMD_INIT_KINDS; i++) {
		if (!cmd_init_exists(s, cmd_init_kinds[i].file))
			continue;
		if (*kind == NULL && cmd_init_read(s, cmd_init_kinds[i].file))
			*kind = &cmd_init_kinds[i];
		else
			strbuf_addf(&also, "%s%s", also.len ? ", " : "",
			    cmd_init_kinds[i].file);
	}
	if (*kind == NULL) {
		strbuf_release(&also);
		return gerr_set(err, GERR_NOT_FOUND, "%s: no Cargo.toml, go.mod, "
		    "package.json, pyproject.toml, meson.build, CMakeLists.txt "
		    "or Makefile to start from", s->dir);
	}
	base = strrchr(s->dir, '/');
	cmd_init_set_name(s, base != NULL && base[1] != '\0' ? base + 1 :
	    "project", strlen(base != NULL && base[1] != '\0' ? base + 1 :
	    "project"));
	(*kind)->write(s, &body);
	strbuf_addf(out, "# make.toml for ggen, written by `ggenc init` from "
	    "%s.\n", (*kind)->file);
	if (also.len > 0)
		strbuf_addf(out, "# Also found: %s (not used).\n", also.buf);
	strbuf_addstr(out, "# Check it with `ggenc validate`; `man make.toml` "
	    "has every key.\n\n[project]\n");
	strbuf_addf(out, "name = \"%s\"\n", s->name[0] != '\0' ? s->name :
	    "project");
	strbuf_add(out, body.buf, body.len);
	strbuf_release(&body);
	strbuf_release(&also);
	return 0;
}

static int
cmd_init_run(const struct cmd_ctx *ctx, int argc, char **argv)
{
	struct cmd_init_scan s = { .manifest = STRBUF_INIT };
	struct strbuf text = STRBUF_INIT;
	const struct cmd_init_kind *kind;
	struct make_project *model = NULL;
	struct gerr err;
	char *dir = NULL, *dest = NULL;
	bool written = false, print = cmd_opt_flag(ctx, "--print");
	struct stat st;
	int rc = 0;

	gerr_clear(&err);
	if (cmd_abs_path(argc > 0 ? argv[0] : ".", &dir, &err) != 0)
		goto fail;
	if (stat(dir, &st) != 0) {
		gerr_set(&err, GERR_IO, "stat %s: %s", dir, strerror(errno));
		goto fail;
	}
	if (!S_ISDIR(st.st_mode)) {
		gerr_set(&err, GERR_INVALID, "%s is not a directory", dir);
		goto fail;
	}
	s.dir = dir;
	dest = xasprintf("%s/make.toml", dir);
	if (!print && !cmd_opt_flag(ctx, "--force") &&
	    access(dest, F_OK) == 0) {
		gerr_set(&err, GERR_INVALID, "%s exists; --force replaces it, "
		    "--print shows the proposal", dest);
		goto fail;
	}
	if (cmd_init_generate(&s, &text, &kind, &err) != 0)
		goto fail;
	/* Never hand out a make.toml that does not validate. */
	if (make_parse_buffer(text.buf, text.len, dest, &model, NULL,
	    &err) != 0) {
		gerr_set(&err, GERR_INTERNAL, "init produced an invalid "
		    "make.toml (a bug): %s", err.msg);
		goto fail;
	}
	make_project_free(model);
	if (print && !ctx->json) {
		fwrite(text.buf, 1, text.len, ctx->out);
		goto out;
	}
	if (!print && genout_write(dest, text.buf, text.len, &written,
	    &err) != 0)
		goto fail;
	if (ctx->json) {
		/* --print: the proposal as "text", nothing written. */
		cJSON *j = cJSON_CreateObject();

		cJSON_AddStringToObject(j, "path", dest);
		cJSON_AddStringToObject(j, "kind", kind->id);
		cJSON_AddStringToObject(j, "from", kind->file);
		cJSON_AddBoolToObject(j, "written", written);
		if (print)
			cJSON_AddStringToObject(j, "text", text.buf);
		cmd_print_json(ctx, j);
		cJSON_Delete(j);
	} else
		fprintf(ctx->out, "wrote %s (from %s); next: ggenc validate "
		    "%s, then ggenc watch %s\n", dest, kind->file, dest,
		    argc > 0 ? argv[0] : ".");
	goto out;
fail:
	cmd_print_error(ctx, "init", &err);
	rc = err.code == GERR_INVALID ? ERR_EXIT_FAILED :
	    (int)err_lookup(err.code)->exit_status;
out:
	strbuf_release(&text);
	strbuf_release(&s.manifest);
	free(dest);
	free(dir);
	return rc;
}

static const struct cmd_opt cmd_init_opts[] = {
	{ "--print", 0, NULL, "print the proposal instead of writing it", 0 },
	{ "--force", 0, NULL, "replace an existing make.toml", 0 },
	{ NULL, 0, NULL, NULL, 0 },
};

const struct cmd_entry cmd_init_entry = {
	.name = "init", .alias = NULL, .usage = "[DIR] [--print] [--force]",
	.summary = "Write a starting make.toml from the project's build files.",
	.description = "Write DIR/make.toml (default: the current directory) "
	    "from the first of\nCargo.toml, go.mod, package.json, "
	    "pyproject.toml, meson.build, CMakeLists.txt\nor Makefile found "
	    "there: phases build, test, lint and fmt where the toolchain\n"
	    "has them, watch globs, inputs, outputs and cache. Never replaces "
	    "an existing\nmake.toml without --force. Works without a daemon.",
	.args = { .min = 0, .max = 1 }, .proto = CMD_LOCAL,
	.run = cmd_init_run, .opts = cmd_init_opts,
	.example = "ggenc init --print\nggenc init ~/src/project && ggenc "
	    "watch ~/src/project",
};
