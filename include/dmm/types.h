/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Basic types shared by every dmm module: time, addresses, prefixes.
 *
 * Nothing here depends on libc networking headers, so core/ stays free of
 * them; io/ converts to and from struct in6_addr at the edge.
 */
#ifndef DMM_TYPES_H
#define DMM_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Nanoseconds of a monotonic clock. Never wall-clock time. */
typedef uint64_t dmm_time_t;

#define DMM_NSEC ((dmm_time_t)1)
#define DMM_USEC ((dmm_time_t)1000)
#define DMM_MSEC ((dmm_time_t)1000000)
#define DMM_SECOND ((dmm_time_t)1000000000)
#define DMM_TIME_NEVER UINT64_MAX

/* An IPv6 address in network byte order. */
struct dmm_addr {
	uint8_t b[16];
};

/* An IPv6 prefix: address bits beyond len are carried, not interpreted. */
struct dmm_prefix {
	struct dmm_addr addr;
	uint8_t len;
};

/* True when both addresses are equal (a fixed-size memcmp: two 64-bit compares, no call). */
static inline bool dmm_addr_eq(const struct dmm_addr *a, const struct dmm_addr *b)
{
	return memcmp(a->b, b->b, 16) == 0;
}

/* True for ::. */
static inline bool dmm_addr_is_zero(const struct dmm_addr *a)
{
	for (int i = 0; i < 16; i++)
		if (a->b[i])
			return false;
	return true;
}

#endif
