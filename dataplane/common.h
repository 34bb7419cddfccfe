/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What every data plane backend shares and the core must not have: the
 * C heap behind the core's tables (dmm/alloc.h), and error text.
 * Header-only, so a test or benchmark that links one file of a backend
 * needs nothing else.
 */
#ifndef DMM_DATAPLANE_COMMON_H
#define DMM_DATAPLANE_COMMON_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "dmm/alloc.h"

static inline void *dmm_dp_zalloc(void *ctx, size_t n)
{
	(void)ctx;
	return calloc(1, n);
}

static inline void dmm_dp_free(void *ctx, void *p)
{
	(void)ctx;
	free(p);
}

/* The core's tables in a backend come from the C heap, zeroed. */
static const struct dmm_alloc dmm_dp_heap = {.zalloc = dmm_dp_zalloc, .free = dmm_dp_free};

/* Fill err[0..len) like snprintf (either may be 0/NULL: no message). */
__attribute__((format(printf, 3, 4))) static inline void dmm_dp_seterr(char *err, size_t len, const char *fmt,
								       ...)
{
	va_list ap;

	if (!err || !len)
		return;
	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
}

#endif
