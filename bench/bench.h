/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What every benchmark shares: a monotonic clock in nanoseconds, a
 * check of a result (never of a time: benchmarks print figures, tests
 * assert behaviour) that stops the program with the failed condition,
 * and an allocator for the core that counts and pre-faults.
 */
#ifndef DMM_BENCH_H
#define DMM_BENCH_H

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "dmm/fm.h"
#include "dmm/mh.h"

static inline double bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* Bytes bench_zalloc() handed out. */
static size_t bench_allocated;

/*
 * Every page is touched here, at creation, as a daemon that wants steady
 * latency does (mlockall): the first write to a table would otherwise
 * fault its pages in during the timed part.
 */
static inline void *bench_zalloc(void *ctx, size_t n)
{
	volatile char *p = calloc(1, n);

	(void)ctx;
	bench_allocated += n;
	for (size_t i = 0; p && i < n; i += 4096)
		p[i] = 0;
	return (void *)p;
}

static inline void bench_free(void *ctx, void *p)
{
	(void)ctx;
	free(p);
}

/* Forwarding ops that only count: the core's data plane calls, without a data plane. */
static uint64_t bench_installs, bench_removes;

static inline int bench_install(void *ctx, const struct dmm_intent *in)
{
	(void)ctx, (void)in;
	bench_installs++;
	return 0;
}

static inline void bench_remove(void *ctx, const struct dmm_intent *in)
{
	(void)ctx, (void)in;
	bench_removes++;
}

/* MN n's MN-ID option: an EUI-48, locally administered (02:00:n). */
static inline void bench_mnid_eui48(struct dmm_mh_opt *o, uint32_t n)
{
	o->u.mnid.subtype = DMM_MNID_EUI48;
	o->u.mnid.id.len = 6;
	o->u.mnid.id.b[0] = 0x02;
	o->u.mnid.id.b[2] = (uint8_t)(n >> 24);
	o->u.mnid.id.b[3] = (uint8_t)(n >> 16);
	o->u.mnid.id.b[4] = (uint8_t)(n >> 8);
	o->u.mnid.id.b[5] = (uint8_t)n;
}

#define BENCH_CHECK(prog, c)                                                                                 \
	do {                                                                                                 \
		if (!(c)) {                                                                                  \
			fprintf(stderr, "%s: %s:%d: %s\n", prog, __FILE__, __LINE__, #c);                    \
			exit(1);                                                                             \
		}                                                                                            \
	} while (0)

#endif
