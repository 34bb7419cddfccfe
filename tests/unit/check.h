/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A minimal table-friendly test harness: each test program counts its
 * checks and ends with "name: N passed, N failed"; the exit status is
 * non-zero when any check failed or when nothing was checked at all.
 * tests/run-unit.sh adds the totals.
 *
 * A count is a count of behaviours: a loop that asserts one property over
 * many inputs (every truncation of a message, every short buffer) is one
 * check, written with CHECK_LOOP:
 *
 *	struct check_loop l = CHECK_LOOP_INIT("every prefix decodes or fails");
 *	for (...)
 *		if (!CHECK_LOOP(l, rc < 0 || rc == cut))
 *			fprintf(stderr, "detail of this iteration\n");
 *	CHECK_LOOP_END(l);
 *
 * The loop counts once: passed when every iteration held, failed (naming
 * the first failing iteration and how many failed) otherwise, and failed
 * when it ran no iteration, since it then checked nothing.
 */
#ifndef DMM_TEST_CHECK_H
#define DMM_TEST_CHECK_H

#include <inttypes.h>
#include <stdbool.h>
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

/* One behaviour asserted over the iterations of a loop. */
struct check_loop {
	const char *what; /* the behaviour, for the failure line */
	const char *file;
	int line;
	unsigned long iters, failed, first; /* first: the first failing iteration (0-based) */
};

#define CHECK_LOOP_INIT(what)                                                                                \
	{                                                                                                    \
		(what), __FILE__, __LINE__, 0, 0, 0                                                          \
	}

/* One iteration; returns ok so that the caller can print its own detail. */
static inline bool check_loop_step(struct check_loop *l, bool ok, const char *cond, int line)
{
	if (!ok) {
		if (!l->failed) {
			l->first = l->iters;
			fprintf(stderr, "%s:%d: CHECK_LOOP failed at iteration %lu: %s\n", l->file, line,
				l->iters, cond);
		}
		l->failed++;
	}
	l->iters++;
	return ok;
}

#define CHECK_LOOP(l, cond) check_loop_step(&(l), (cond) ? true : false, #cond, __LINE__)

/* Count the loop as one check. */
static inline void check_loop_end(struct check_loop *l)
{
	if (l->iters > 0 && l->failed == 0) {
		check_passed++;
		return;
	}
	check_failed++;
	if (l->iters == 0)
		fprintf(stderr, "%s:%d: CHECK_LOOP \"%s\": no iteration ran, nothing was checked\n", l->file,
			l->line, l->what);
	else
		fprintf(stderr, "%s:%d: CHECK_LOOP \"%s\": %lu of %lu iterations failed, the first at %lu\n",
			l->file, l->line, l->what, l->failed, l->iters, l->first);
}

#define CHECK_LOOP_END(l) check_loop_end(&(l))

/*
 * Print the summary line and return the exit status for main(): 1 when a
 * check failed or when none ran (a test that checks nothing proves nothing).
 */
static inline int check_report(const char *name)
{
	printf("%s: %u passed, %u failed\n", name, check_passed, check_failed);
	if (check_passed + check_failed == 0) {
		fprintf(stderr, "%s: no check ran\n", name);
		return 1;
	}
	return check_failed ? 1 : 0;
}

#endif
