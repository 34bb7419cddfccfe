/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Prefix pool of an anchor (RFC 7429 AF): hands out prefixes of one
 * configured length (usually /64) carved from one or more ranges, e.g.
 * 2001:db8:1::/48 gives 65536 /64s.
 *
 * Allocation and release are O(1). Free prefixes form a FIFO ring, so a
 * released prefix is handed out again only after every other free prefix
 * (its routes and neighbour caches have time to go). A prefix is never
 * handed out twice while in use. Memory: 8 bytes per prefix, allocated at
 * creation for a fixed capacity.
 */
#ifndef DMM_POOL_H
#define DMM_POOL_H

#include "dmm/alloc.h"
#include "dmm/types.h"

#define DMM_POOL_MAX_RANGES 16
/* Most prefixes one range may hold (2^24: a /40 split into /64s). */
#define DMM_POOL_MAX_RANGE_BITS 24

struct dmm_pool;

/*
 * Create a pool of prefixes of length plen (1..128) with room for up to
 * capacity prefixes over all ranges. Memory comes from a, which must
 * outlive the pool. Returns NULL on bad arguments or when a fails.
 */
struct dmm_pool *dmm_pool_new(const struct dmm_alloc *a, uint32_t capacity, uint8_t plen);

/* Free pool; accepts NULL. */
void dmm_pool_free(struct dmm_pool *pool);

/*
 * Add the range (e.g. 2001:db8:1::/48); all its prefixes start free.
 * Returns 0, DMM_ERR_PREFIX_LEN (range length above plen, or holding more
 * than 2^DMM_POOL_MAX_RANGE_BITS prefixes), DMM_ERR_INVAL (bits set beyond
 * the range length), DMM_ERR_EXISTS (overlaps a range) or DMM_ERR_NOMEM
 * (capacity or DMM_POOL_MAX_RANGES exceeded).
 */
int dmm_pool_add_range(struct dmm_pool *pool, const struct dmm_prefix *range);

/*
 * Take a free prefix into *out. Returns 0 or DMM_ERR_NOMEM when none is
 * free.
 */
int dmm_pool_alloc(struct dmm_pool *pool, struct dmm_prefix *out);

/*
 * Give prefix back. Returns 0, DMM_ERR_NOTFOUND (not a prefix of this
 * pool) or DMM_ERR_INVAL (not in use: a double release).
 */
int dmm_pool_release(struct dmm_pool *pool, const struct dmm_prefix *prefix);

/*
 * Mark a fixed prefix (from a policy profile) as in use. Returns 0,
 * DMM_ERR_NOTFOUND (not a prefix of this pool; nothing to reserve) or
 * DMM_ERR_EXISTS (already in use).
 */
int dmm_pool_reserve(struct dmm_pool *pool, const struct dmm_prefix *prefix);

/* True when prefix is one of the pool's prefixes: right length, in a range. */
bool dmm_pool_contains(const struct dmm_pool *pool, const struct dmm_prefix *prefix);

/* True when prefix belongs to the pool and is in use. */
bool dmm_pool_is_used(const struct dmm_pool *pool, const struct dmm_prefix *prefix);

/* Prefixes in use. */
uint32_t dmm_pool_used(const struct dmm_pool *pool);

/* Prefixes in all ranges (free + in use). */
uint32_t dmm_pool_size(const struct dmm_pool *pool);

/* Bytes allocated for the pool. */
size_t dmm_pool_bytes(const struct dmm_pool *pool);

#endif
