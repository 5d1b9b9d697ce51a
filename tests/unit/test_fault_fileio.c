/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fault sweep over common/fileio.c, the one atomic writer, through each
 * of its writers: a state file written directly (state_write /
 * state_rename), a template output (common/genout.c; output_write /
 * output_rename, replacing and creating), the engine's cache file
 * (daemon/engine_cache.c) and a run's changed-file list (daemon/runenv.c).
 * With the Nth hit failing, N = 1, 2, ... until a write goes through,
 * every run checks: the error is GERR_IO naming the operation (where the
 * writer returns it), the destination holds its old content (or is still
 * absent), no temp file is left; the clean run has the new content.
 * (roots.json, written by daemon/watch.c through the same call, is swept
 * by tests/integration/test_reliab_engine.py with ggend-fault.)
 * fileio.c and fault.c are compiled into this test with
 * GGEN_FAULT_INJECTION (tests/unit/meson.build).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "engine_cache.h"
#include "fault.h"
#include "fileio.h"
#include "genout.h"
#include "log.h"
#include "runenv.h"
#include "xmalloc.h"

#define FAULT_FILEIO_MAX_N 20
#define FAULT_FILEIO_STATE ((1u << FAULT_STATE_WRITE) | \
	(1u << FAULT_STATE_RENAME))
#define FAULT_FILEIO_OUTPUT ((1u << FAULT_OUTPUT_WRITE) | \
	(1u << FAULT_OUTPUT_RENAME))

/* One writer under test: write the new content of dir/name, return 0 or
 * an error code (writers that only log return -1 when they failed, as
 * seen from the file). */
struct fault_fileio_case {
	const char *name;	/* the destination's base name */
	const char *old;	/* its content before, NULL: absent */
	const char *new;	/* its content after a clean write */
	size_t new_len;		/* its length (0: strlen(new)) */
	unsigned mask;		/* the fault points it must hit */
	bool returns_err;	/* errors come back as GERR_IO + message */
	unsigned long faults;	/* hits before success (0: 2, write+rename) */
	int (*write)(const char *dir, const char *path, struct gerr *err);
};

static size_t
fault_fileio_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

static int
fault_fileio_direct(const char *dir, const char *path, struct gerr *err)
{
	(void)dir;
	return fileio_write(path, "{\"state\":2}\n", 12, 0600, 0, err);
}

static int
fault_fileio_streamed(const char *dir, const char *path, struct gerr *err)
{
	struct fileio_writer w;
	int rc;

	(void)dir;
	if ((rc = fileio_begin(&w, path, 0600, 0, err)) != 0)
		return rc;
	(void)fileio_add(&w, "{\"state\"", 8, err);
	(void)fileio_add(&w, ":2}\n", 4, err);
	return fileio_commit(&w, err);
}

static int
fault_fileio_genout(const char *dir, const char *path, struct gerr *err)
{
	bool written = false;
	int rc;

	(void)dir;
	rc = genout_write(path, "new content\n", 12, &written, err);
	assert_true(written == (rc == 0));
	return rc;
}

#define FAULT_FILEIO_KEY "0123456789abcdef0123456789abcdef"

static int
fault_fileio_cache(const char *dir, const char *path, struct gerr *err)
{
	struct engine_cache *c = engine_cache_new(dir);
	char *text = NULL;
	size_t len;
	int rc;

	(void)err;
	engine_cache_store(c, "/r", "", "build", FAULT_FILEIO_KEY);
	engine_cache_free(c);
	/* The store only logs: failed when the file lacks the new key. */
	assert_int_equal(fileio_read(path, 1 << 20, 0, &text, &len, NULL,
	    NULL), 0);
	rc = strstr(text, FAULT_FILEIO_KEY) != NULL ? 0 : -1;
	free(text);
	return rc;
}

static int
fault_fileio_runenv(const char *dir, const char *path, struct gerr *err)
{
	const char *const paths[] = { "a.c", "b/c.h" };
	struct runenv e;
	int rc;

	(void)path;
	runenv_init(&e);
	rc = runenv_set_changed(&e, paths, 2, dir, err);
	runenv_release(&e);
	return rc;
}

static void
fault_fileio_sweep(const struct fault_fileio_case *t)
{
	char dir[] = "/tmp/ggen-fault-fileio-XXXXXX", *path;
	unsigned long n, injected_runs = 0;

	assert_non_null(mkdtemp(dir));
	path = xasprintf("%s/%s", dir, t->name);
	for (n = 1; n < FAULT_FILEIO_MAX_N; n++) {
		struct gerr err;
		bool missing;
		char *buf;
		size_t len;
		int rc;

		unlink(path);
		if (t->old != NULL)
			assert_int_equal(fileio_write(path, t->old,
			    strlen(t->old), 0644, FILEIO_NO_SYNC, NULL), 0);
		fault_arm(n, t->mask, false);
		gerr_clear(&err);
		rc = t->write(dir, path, &err);
		fault_arm(0, 0, false);
		assert_int_equal(fileio_read(path, 1 << 20, 0, &buf, &len,
		    &missing, NULL), 0);
		/* Only the destination: the temp file is gone either way. */
		assert_int_equal(fault_fileio_entries(dir), missing ? 0 : 1);
		if (rc != 0) {
			injected_runs++;
			if (t->returns_err) {
				assert_int_equal(rc, GERR_IO);
				assert_true(strstr(err.msg, "write ") ==
				    err.msg || strstr(err.msg, "rename ") ==
				    err.msg);
			}
			if (t->old == NULL)
				assert_true(missing);
			else
				assert_string_equal(buf, t->old);
			free(buf);
			continue;
		}
		assert_false(missing);
		assert_int_equal(len, t->new_len ? t->new_len :
		    strlen(t->new));
		assert_memory_equal(buf, t->new, len);
		free(buf);
		break;
	}
	print_message("# %s: %lu runs, %lu with a fault injected\n", t->name,
	    n, injected_runs);
	assert_int_equal(injected_runs, t->faults ? t->faults : 2);
	unlink(path);
	free(path);
	assert_int_equal(rmdir(dir), 0);
}

static void
fault_fileio_state(void **state)
{
	const struct fault_fileio_case t = { "state.json", "{\"state\":1}\n",
	    "{\"state\":2}\n", 0, FAULT_FILEIO_STATE, true, 0,
	    fault_fileio_direct };

	(void)state;
	fault_fileio_sweep(&t);
}

static void
fault_fileio_stream(void **state)
{
	/* Two adds: the first failing write makes the second a no-op. */
	const struct fault_fileio_case t = { "state.json", NULL,
	    "{\"state\":2}\n", 0, FAULT_FILEIO_STATE, true, 3,
	    fault_fileio_streamed };

	(void)state;
	fault_fileio_sweep(&t);
}

static void
fault_fileio_output_replace(void **state)
{
	const struct fault_fileio_case t = { "out.txt", "old content\n",
	    "new content\n", 0, FAULT_FILEIO_OUTPUT, true, 0,
	    fault_fileio_genout };

	(void)state;
	fault_fileio_sweep(&t);
}

static void
fault_fileio_output_create(void **state)
{
	const struct fault_fileio_case t = { "out.txt", NULL,
	    "new content\n", 0, FAULT_FILEIO_OUTPUT, true, 0,
	    fault_fileio_genout };

	(void)state;
	fault_fileio_sweep(&t);
}

static void
fault_fileio_engine_cache(void **state)
{
	const struct fault_fileio_case t = { "engine-cache.json", "{}",
	    "{\"/r\\t\\tbuild\":\"" FAULT_FILEIO_KEY "\"}", 0,
	    FAULT_FILEIO_STATE, false, 0, fault_fileio_cache };

	(void)state;
	fault_fileio_sweep(&t);
}

static void
fault_fileio_changed_list(void **state)
{
	const struct fault_fileio_case t = { "changed", "old\0", "a.c\0b/c.h", 10,
	    FAULT_FILEIO_STATE, true, 0, fault_fileio_runenv };

	(void)state;
	fault_fileio_sweep(&t);
}

/* An output keeps the mode it had; a state file is private. */
static void
fault_fileio_modes(void **state)
{
	char dir[] = "/tmp/ggen-fault-fileio-XXXXXX";
	char *out, *st;
	struct stat sb;

	(void)state;
	assert_non_null(mkdtemp(dir));
	out = xasprintf("%s/out.sh", dir);
	st = xasprintf("%s/state", dir);
	assert_int_equal(fileio_write(out, "a", 1, 0644, 0, NULL), 0);
	assert_int_equal(chmod(out, 0755), 0);
	assert_int_equal(fileio_write(out, "b", 1, 0644, FILEIO_KEEP_MODE |
	    FILEIO_OUTPUT, NULL), 0);
	assert_int_equal(stat(out, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0755);
	assert_int_equal(fileio_write(st, "a", 1, 0600, 0, NULL), 0);
	assert_int_equal(stat(st, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0600);
	unlink(out);
	unlink(st);
	free(out);
	free(st);
	assert_int_equal(rmdir(dir), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(fault_fileio_state),
		cmocka_unit_test(fault_fileio_stream),
		cmocka_unit_test(fault_fileio_output_replace),
		cmocka_unit_test(fault_fileio_output_create),
		cmocka_unit_test(fault_fileio_engine_cache),
		cmocka_unit_test(fault_fileio_changed_list),
		cmocka_unit_test(fault_fileio_modes),
	};

	log_set_level(LOG_LEVEL_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
