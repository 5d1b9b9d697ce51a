/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ignore.h - git's ignore semantics for one watched root.
 *
 * A struct ignore holds the rules of every ignore source of one root; the
 * daemon keeps one per root, feeds it file contents (it never reads files
 * itself) and replaces a source when that file changes, so an edited
 * .gitignore takes effect without a restart.
 *
 * Sources, highest precedence first (the first source with a matching rule
 * decides; inside a source the LAST matching line decides, as in git):
 *   1. `.git` directories: always ignored, cannot be re-included.
 *   2. IGNORE_CONFIG: make.toml `[watch] ignore`, relative to the root.
 *   3. Per directory, deepest directory first: IGNORE_GGENIGNORE
 *      (`.ggenignore`) then IGNORE_GITIGNORE (`.gitignore`) of the same
 *      directory; their patterns are relative to that directory.
 *   4. IGNORE_EXCLUDE: `.git/info/exclude`, relative to the root.
 *   5. Built-ins, directories only, at any depth: `.hg`, `.svn`,
 *      `node_modules`, `target`, `.ggen`. Lowest, so a `!target/` in a
 *      .ggenignore re-includes a source directory that happens to be
 *      called target.
 *
 * Pattern lines follow gitignore(5): blank lines and `#` comments skip;
 * `\#` and `\!` start a literal; trailing spaces are dropped unless
 * escaped (`\ `); a final CR (CRLF files) is dropped; a UTF-8 BOM on line
 * 1 is skipped; `!` negates; a trailing `/` matches directories only; a
 * `/` at the start or in the middle anchors the pattern to the source's
 * directory, otherwise it matches the basename at any depth below it;
 * `*`, `?`, `[...]`, `**` as in common/glob.h. A path inside an ignored
 * directory is ignored whatever later rules say (git never looks inside).
 *
 * Paths are relative to the root, '/'-separated, no leading or trailing
 * '/', already normalised (see common/path.h). Not thread-safe: one
 * thread (the loop) owns a matcher; checks only read it.
 */
#ifndef GGEN_IGNORE_H
#define GGEN_IGNORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gerr.h"

/* Largest ignore file contents accepted (GERR_TOO_LARGE above). */
#define IGNORE_FILE_MAX_BYTES (1u << 20)

enum ignore_kind {
	IGNORE_CONFIG,
	IGNORE_GGENIGNORE,
	IGNORE_GITIGNORE,
	IGNORE_EXCLUDE,
	IGNORE_KIND_COUNT
};

/* Why a path was (or was not) ignored; for `ggenc` debugging output. */
struct ignore_why {
	const char *file;	/* source name, "<builtin>"; NULL if none */
	int line;		/* 1-based line in file; 0 for built-ins */
	const char *pattern;	/* the line as written, trimmed */
	const char *path;	/* the path or parent dir the rule hit */
	size_t path_len;	/* bytes of path (a prefix of the checked path) */
	bool negated;		/* the deciding rule was `!...` */
};

/*
 * Reports one bad line while a source is loaded (err has file, line, col,
 * GERR_PARSE or GERR_TOO_LARGE). err is borrowed for the call.
 */
typedef void (*ignore_warn_cb)(void *arg, const struct gerr *err);

struct ignore;

/* A matcher with only the built-in rules. Caller frees with ignore_free. */
struct ignore *ignore_new(void);
/* Free m and every source. NULL is accepted. */
void ignore_free(struct ignore *m);

/*
 * Install (or replace) the source of kind in directory dir (relative to the
 * root, "" for the root; IGNORE_CONFIG and IGNORE_EXCLUDE must use "")
 * from text[0..len) (need not be NUL-terminated; borrowed for the call).
 * name is how errors and ignore_why name the file (copied; NULL gives
 * "dir/.gitignore" and the like).
 * A bad line is skipped and reported through warn (may be NULL); the other
 * lines still take effect. Returns 0 if every line was good; otherwise the
 * FIRST problem's code with file:line:col in err:
 *   GERR_PARSE      a line is not a valid pattern (col inside the line)
 *   GERR_TOO_LARGE  len > IGNORE_FILE_MAX_BYTES (nothing installed; the
 *                   previous rules of that source are removed)
 *   GERR_INVALID    dir non-empty for CONFIG/EXCLUDE, dir not a clean
 *                   relative path (path_is_clean_relative), or bad kind
 *                   (no change)
 * Invalidates every pointer an earlier ignore_why returned.
 */
int ignore_set_file(struct ignore *m, enum ignore_kind kind, const char *dir,
    const char *name, const char *text, size_t len, ignore_warn_cb warn,
    void *warn_arg, struct gerr *err);

/*
 * Install IGNORE_CONFIG from a list of n patterns (make.toml
 * `[watch] ignore`); pattern i is reported as line i + 1 of name. Same
 * errors and rules as ignore_set_file.
 */
int ignore_set_patterns(struct ignore *m, const char *const *patterns,
    size_t n, const char *name, ignore_warn_cb warn, void *warn_arg,
    struct gerr *err);

/*
 * Remove the source of kind in dir (the file was deleted). Returns true if
 * there was one. Invalidates earlier ignore_why pointers.
 */
bool ignore_remove_file(struct ignore *m, enum ignore_kind kind,
    const char *dir);

/* Number of installed sources (built-ins not counted). */
size_t ignore_source_count(const struct ignore *m);

/*
 * A 64-bit digest of every rule in effect: each source's kind, directory
 * and rules (as written, trimmed), and the built-ins. Two matchers with
 * the same digest ignore the same paths; comments, blank lines and a
 * source's name do not count. Never 0 (0 means "unknown" to callers).
 * O(rules).
 */
uint64_t ignore_digest(const struct ignore *m);

/*
 * True if relpath[0..len) is ignored, including because a parent directory
 * is. is_dir says whether relpath itself is a directory (for `foo/`
 * rules); parents are directories by construction. why may be NULL; when
 * not, it is filled (why->file NULL if no rule matched) and its pointers are
 * borrowed until the next change to m.
 */
bool ignore_check(const struct ignore *m, const char *relpath, size_t len,
    bool is_dir, struct ignore_why *why);

/*
 * As ignore_check but assumes no parent directory of relpath is ignored:
 * the cheap test for a crawl that already pruned ignored directories.
 */
bool ignore_check_entry(const struct ignore *m, const char *relpath,
    size_t len, bool is_dir, struct ignore_why *why);

/*
 * If basename names an ignore file (".gitignore", ".ggenignore"), store its
 * kind in *kind and return true. The daemon calls this on every event to
 * know when to re-read a source; `.git/info/exclude` is matched by path,
 * not basename, so it is not recognised here.
 */
bool ignore_file_kind(const char *basename, enum ignore_kind *kind);

/*
 * True if basename (no '/') is an editor's temporary or backup file, which
 * must never trigger work on its own. The list:
 *   `*~`                 Emacs, Vim, gedit backups
 *   `.*.sw?`             Vim swap files (.swp, .swo, .swx, .swn, ...)
 *   `4913`               Vim's "can I write here" probe
 *   `.#*`                Emacs lock files
 *   `#*#`                Emacs auto-save files
 *   `*___jb_tmp___`, `*___jb_old___`  JetBrains safe-write files
 *   `.goutputstream-*`   GLib/GNOME safe-write files
 *   `*.kate-swp`         Kate swap files
 *   `.~lock.*#`          LibreOffice lock files
 * Pure; any thread.
 */
bool ignore_is_editor_temp(const char *basename);

#endif
