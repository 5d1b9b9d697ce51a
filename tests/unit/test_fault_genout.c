/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fault sweep over common/genout.c's write (temp file, fsync, rename):
 * with the Nth output_write / output_rename hit failing, N = 1, 2, ...
 * until a write goes through, each run checks that the error is GERR_IO
 * naming the operation, the output still holds its old content (or is
 * still absent) and no temp file is left; the clean run writes the new
 * content. Two cases: replacing an existing file and creating one.
 * genout.c and fault.c are compiled into this test with
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
#include <unistd.h>
#include <cmocka.h>

#include "fault.h"
#include "genout.h"
#include "log.h"
#include "xmalloc.h"

#define FAULT_GENOUT_MAX_N 20

static size_t
fault_genout_entries(const char *dir)
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

static void
fault_genout_sweep(const char *old)
{
	char dir[] = "/tmp/ggen-fault-genout-XXXXXX", *path;
	unsigned mask = (1u << FAULT_OUTPUT_WRITE) |
	    (1u << FAULT_OUTPUT_RENAME);
	const char *new = "new content\n";
	unsigned long n, injected_runs = 0;

	assert_non_null(mkdtemp(dir));
	path = xasprintf("%s/out.txt", dir);
	for (n = 1; n < FAULT_GENOUT_MAX_N; n++) {
		struct gerr err;
		bool written = false, exists;
		char *buf;
		size_t len;
		int rc;

		unlink(path);
		if (old != NULL) {
			FILE *f = fopen(path, "w");

			assert_non_null(f);
			fputs(old, f);
			fclose(f);
		}
		fault_arm(n, mask, false);
		gerr_clear(&err);
		rc = genout_write(path, new, strlen(new), &written, &err);
		fault_arm(0, 0, false);
		assert_int_equal(genout_read(path, 1 << 20, &buf, &len, &exists,
		    NULL), 0);
		/* Only the output itself: the temp file is gone either way. */
		assert_int_equal(fault_genout_entries(dir), exists ? 1 : 0);
		if (rc != 0) {
			injected_runs++;
			assert_int_equal(rc, GERR_IO);
			assert_false(written);
			assert_true(strstr(err.msg, "write ") == err.msg ||
			    strstr(err.msg, "rename ") == err.msg);
			if (old == NULL)
				assert_false(exists);
			else
				assert_string_equal(buf, old);
			free(buf);
			continue;
		}
		assert_true(written);
		assert_string_equal(buf, new);
		free(buf);
		break;
	}
	print_message("# %s: %lu runs, %lu with a fault injected\n",
	    old != NULL ? "replace" : "create", n, injected_runs);
	assert_int_equal(injected_runs, 2);	/* write, then rename */
	unlink(path);
	free(path);
	rmdir(dir);
}

static void
fault_genout_replace(void **state)
{
	(void)state;
	fault_genout_sweep("old content\n");
}

static void
fault_genout_create(void **state)
{
	(void)state;
	fault_genout_sweep(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(fault_genout_replace),
		cmocka_unit_test(fault_genout_create),
	};

	log_set_level(LOG_LEVEL_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
