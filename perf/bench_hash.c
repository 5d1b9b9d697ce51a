/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * bench_hash.c - file hashing throughput with XXH3-128 through the
 * daemon's own code (daemon/hashpool.c hashpool_hash_fd: its chunk size,
 * libxxhash's run-time dispatch when built with it), one thread as
 * xxhsum: open, fstat, hash, close, for every regular file of a
 * directory. Driven by bench_hash.py, which generates the files, warms
 * the page cache and times `xxhsum -H2` and `sha256sum` on the same files.
 *
 * Usage: bench_hash DIR. Prints one figure line (MB/s, see perf/bench.h)
 * with the digest of all digests in "extra", so a driver can tell that
 * every byte was read. Never run as a test.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <xxhash.h>

#include "bench.h"
#include "hashpool.h"
#include "xmalloc.h"

#define BENCH_HASH_REPS 7
#define BENCH_HASH_REPS_QUICK 3

/* Hashes one file; adds its size to *bytes and folds its digest into
 * *acc. Returns 0, or -1 with a message on stderr. */
static int
bench_hash_file(const char *path, unsigned char *buf, uint64_t *bytes,
    uint64_t *acc)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOATIME);
	struct stat st;
	XXH128_hash_t h;
	int rc;

	if (fd == -1 || fstat(fd, &st) != 0) {
		perror(path);
		return -1;
	}
	rc = hashpool_hash_fd(fd, buf, HASHPOOL_DEFAULT_CHUNK_BYTES, &h);
	close(fd);
	if (rc != 0) {
		fprintf(stderr, "%s: %s\n", path, strerror(rc));
		return -1;
	}
	*bytes += (uint64_t)st.st_size;
	*acc ^= h.low64 ^ h.high64;
	return 0;
}

int
main(int argc, char **argv)
{
	unsigned char *buf = xmalloc(HASHPOOL_DEFAULT_CHUNK_BYTES);
	struct dirent **ents;
	char extra[128];
	uint64_t bytes = 0, acc = 0;
	double *v;
	int reps, n;

	if (argc != 2) {
		fprintf(stderr, "usage: bench_hash DIR\n");
		return 2;
	}
	n = scandir(argv[1], &ents, NULL, alphasort);
	if (n < 0) {
		perror(argv[1]);
		return 1;
	}
	reps = bench_reps(BENCH_HASH_REPS, BENCH_HASH_REPS_QUICK);
	v = xcalloc((size_t)reps, sizeof *v);
	for (int r = 0; r < reps; r++) {
		uint64_t t0 = bench_now_ns();

		bytes = 0;
		acc = 0;
		for (int i = 0; i < n; i++) {
			char *p;
			int rc;

			if (ents[i]->d_type != DT_REG)
				continue;
			p = xasprintf("%s/%s", argv[1], ents[i]->d_name);
			rc = bench_hash_file(p, buf, &bytes, &acc);
			free(p);
			if (rc != 0)
				return 1;
		}
		v[r] = (double)bytes / 1e6 /
		    ((double)(bench_now_ns() - t0) / 1e9);
	}
	snprintf(extra, sizeof extra, "\"bytes\":%llu,\"xor\":\"%016llx\"",
	    (unsigned long long)bytes, (unsigned long long)acc);
	bench_emit("hash", "hash_files_xxh3_128", "MB/s", NULL, v, reps, 0,
	    extra);
	for (int i = 0; i < n; i++)
		free(ents[i]);
	free(ents);
	free(v);
	free(buf);
	return 0;
}
