/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for common/ring.c: exact cap, wraparound, huge appends, totals. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ring.h"
#include "xmalloc.h"

static void
ring_test_expect(const struct ring *r, const char *want)
{
	size_t len;
	char *s = ring_dup(r, &len);

	assert_int_equal(len, strlen(want));
	assert_string_equal(s, want);
	free(s);
}

static void
test_empty(void **state)
{
	struct ring r;
	char buf[4];

	(void)state;
	ring_init(&r, 8);
	assert_int_equal(ring_len(&r), 0);
	assert_int_equal(ring_total(&r), 0);
	assert_false(ring_dropped(&r));
	assert_int_equal(ring_copy(&r, buf, sizeof buf), 0);
	ring_test_expect(&r, "");
	ring_append(&r, NULL, 0);
	assert_int_equal(ring_total(&r), 0);
	ring_release(&r);
	ring_release(NULL);
}

static void
test_exact_cap(void **state)
{
	struct ring r;

	(void)state;
	ring_init(&r, 5);
	ring_append(&r, "ab", 2);
	ring_append(&r, "cde", 3);
	ring_test_expect(&r, "abcde");
	assert_false(ring_dropped(&r));
	ring_append(&r, "f", 1);
	ring_test_expect(&r, "bcdef");
	assert_true(ring_dropped(&r));
	assert_int_equal(ring_total(&r), 6);
	ring_release(&r);
}

static void
test_wraparound_byte_by_byte(void **state)
{
	struct ring r;
	char want[8];

	(void)state;
	ring_init(&r, 7);
	for (int i = 0; i < 1000; i++) {
		char c = (char)('a' + i % 26);

		ring_append(&r, &c, 1);
		if (i >= 6) {
			for (int j = 0; j < 7; j++)
				want[j] = (char)('a' + (i - 6 + j) % 26);
			want[7] = '\0';
			ring_test_expect(&r, want);
		}
	}
	assert_int_equal(ring_total(&r), 1000);
	assert_int_equal(ring_len(&r), 7);
	ring_release(&r);
}

static void
test_wrapping_chunks(void **state)
{
	struct ring r;

	(void)state;
	ring_init(&r, 6);
	ring_append(&r, "1234", 4);
	ring_append(&r, "5678", 4);	/* wraps: keeps 345678 */
	ring_test_expect(&r, "345678");
	ring_append(&r, "9A", 2);
	ring_test_expect(&r, "56789A");
	ring_append(&r, "BCDEF", 5);
	ring_test_expect(&r, "ABCDEF");
	assert_int_equal(ring_total(&r), 15);
	ring_release(&r);
}

static void
test_huge_append_keeps_last_cap_bytes(void **state)
{
	struct ring r;
	size_t n = 1 << 20;
	char *big = xmalloc(n);
	char out[64];

	(void)state;
	assert_non_null(big);
	for (size_t i = 0; i < n; i++)
		big[i] = (char)('a' + i % 26);
	ring_init(&r, 64);
	ring_append(&r, "xyz", 3);
	ring_append(&r, big, n);
	assert_int_equal(ring_len(&r), 64);
	assert_int_equal(ring_total(&r), n + 3);
	assert_true(ring_dropped(&r));
	assert_int_equal(ring_copy(&r, out, sizeof out), 64);
	assert_memory_equal(out, big + n - 64, 64);
	/* A partial copy keeps the newest bytes. */
	assert_int_equal(ring_copy(&r, out, 3), 3);
	assert_memory_equal(out, big + n - 3, 3);
	ring_reset(&r);
	assert_int_equal(ring_total(&r), 0);
	ring_test_expect(&r, "");
	ring_release(&r);
	free(big);
}

static void
test_zero_capacity_counts(void **state)
{
	struct ring r;

	(void)state;
	ring_init(&r, 0);
	ring_append(&r, "hello", 5);
	assert_int_equal(ring_len(&r), 0);
	assert_int_equal(ring_total(&r), 5);
	assert_true(ring_dropped(&r));
	ring_test_expect(&r, "");
	ring_release(&r);
}

static void
test_nul_bytes_kept(void **state)
{
	struct ring r;
	char out[4];

	(void)state;
	ring_init(&r, 4);
	ring_append(&r, "a\0b\0c", 5);
	assert_int_equal(ring_copy(&r, out, 4), 4);
	assert_memory_equal(out, "\0b\0c", 4);
	ring_release(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_exact_cap),
		cmocka_unit_test(test_wraparound_byte_by_byte),
		cmocka_unit_test(test_wrapping_chunks),
		cmocka_unit_test(test_huge_append_keeps_last_cap_bytes),
		cmocka_unit_test(test_zero_capacity_counts),
		cmocka_unit_test(test_nul_bytes_kept),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
