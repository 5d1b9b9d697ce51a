/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * replay.c - runs a libFuzzer target over its corpus without libFuzzer.
 *
 * Linked with one tests/fuzz/fuzz_<name>.c into a normal executable so that
 * every build (gcc, ASan+UBSan in CI) replays the seed corpus as a test. Each
 * argument is a file or a directory of files; each file is one TAP case.
 * A crash or sanitizer report ends the process, which meson reports as a
 * failure of the test.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "xmalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay_count;

static int
replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0, n;

	if (f == NULL) {
		printf("not ok %d - %s: cannot open\n", ++replay_count, path);
		return 1;
	}
	do {
		if (len == cap) {
			cap = cap ? cap * 2 : 4096;
			buf = xrealloc(buf, cap);
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
	} while (n > 0);
	fclose(f);
	LLVMFuzzerTestOneInput(buf, len);
	free(buf);
	printf("ok %d - %s\n", ++replay_count, path);
	fflush(stdout);
	return 0;
}

static int
replay_path(const char *path)
{
	struct stat st;
	struct dirent **names;
	int n, failed = 0;

	if (stat(path, &st) != 0) {
		printf("not ok %d - %s: missing\n", ++replay_count, path);
		return 1;
	}
	if (!S_ISDIR(st.st_mode))
		return replay_file(path);
	n = scandir(path, &names, NULL, alphasort);
	if (n < 0) {
		printf("not ok %d - %s: cannot list\n", ++replay_count, path);
		return 1;
	}
	for (int i = 0; i < n; i++) {
		if (names[i]->d_name[0] != '.') {
			char *child = xasprintf("%s/%s", path, names[i]->d_name);

			failed |= replay_path(child);
			free(child);
		}
		free(names[i]);
	}
	free(names);
	return failed;
}

int
main(int argc, char **argv)
{
	int failed = 0;

	for (int i = 1; i < argc; i++)
		failed |= replay_path(argv[i]);
	if (replay_count == 0) {
		printf("not ok 1 - empty corpus\n");
		failed = 1;
	}
	printf("1..%d\n", replay_count);
	return failed;
}
