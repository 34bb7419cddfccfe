/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What every benchmark shares: a monotonic clock in nanoseconds, and a
 * check of a result (never of a time: benchmarks print figures, tests
 * assert behaviour) that stops the program with the failed condition.
 */
#ifndef DMM_BENCH_H
#define DMM_BENCH_H

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static inline double bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

#define BENCH_CHECK(prog, c)                                                                                 \
	do {                                                                                                 \
		if (!(c)) {                                                                                  \
			fprintf(stderr, "%s: %s:%d: %s\n", prog, __FILE__, __LINE__, #c);                    \
			exit(1);                                                                             \
		}                                                                                            \
	} while (0)

#endif
