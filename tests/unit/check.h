/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A minimal table-friendly test harness: each test program counts its
 * checks and ends with "name: N passed, N failed"; the exit status is
 * non-zero when any check failed. tests/run-unit.sh adds the totals.
 */
#ifndef DMM_TEST_CHECK_H
#define DMM_TEST_CHECK_H

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static unsigned check_passed, check_failed;

#define CHECK(cond)                                                                                          \
	do {                                                                                                 \
		if (cond) {                                                                                  \
			check_passed++;                                                                      \
		} else {                                                                                     \
			check_failed++;                                                                      \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);             \
		}                                                                                            \
	} while (0)

#define CHECK_EQ(a, b)                                                                                       \
	do {                                                                                                 \
		long long va_ = (long long)(a), vb_ = (long long)(b);                                        \
		if (va_ == vb_) {                                                                            \
			check_passed++;                                                                      \
		} else {                                                                                     \
			check_failed++;                                                                      \
			fprintf(stderr, "%s:%d: CHECK_EQ failed: %s == %s (%lld != %lld)\n", __FILE__,       \
				__LINE__, #a, #b, va_, vb_);                                                 \
		}                                                                                            \
	} while (0)

#define CHECK_MEM(a, b, n)                                                                                   \
	do {                                                                                                 \
		if (memcmp((a), (b), (n)) == 0) {                                                            \
			check_passed++;                                                                      \
		} else {                                                                                     \
			check_failed++;                                                                      \
			fprintf(stderr, "%s:%d: CHECK_MEM failed: %s vs %s\n", __FILE__, __LINE__, #a, #b);  \
		}                                                                                            \
	} while (0)

/* Print the summary line and return the exit status for main(). */
static inline int check_report(const char *name)
{
	printf("%s: %u passed, %u failed\n", name, check_passed, check_failed);
	return check_failed ? 1 : 0;
}

#endif
