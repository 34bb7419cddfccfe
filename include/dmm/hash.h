/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Keys and hash indexes shared by the state tables (bcache, bul, policy,
 * timers).
 *
 * - dmm_hash_*(): SipHash-1-3 keyed by a seed that the caller supplies, so
 *   peers cannot pick MN-IDs or prefixes that collide on purpose.
 * - struct dmm_hidx: an open-addressing (linear probing) index from a
 *   32-bit hash to a uint32_t reference (a slot number in the owner's
 *   preallocated array). The index stores no keys: lookups return every
 *   reference whose hash matches and the owner compares the key. Deletion
 *   shifts entries back (no tombstones), so churn never slows lookups.
 *   Duplicate keys are allowed (a multimap); the owner decides. The slot
 *   count is 3/2 of the references it holds, any number (the home slot of
 *   a hash is its high part times the slot count, not its low bits under a
 *   mask): 12 octets a reference, and a probe reads 2 slots on average
 *   for a hit, 5 for a miss, one cache line mostly.
 */
#ifndef DMM_HASH_H
#define DMM_HASH_H

#include "dmm/alloc.h"
#include "dmm/mnid.h"
#include "dmm/types.h"

/* True when a and b are the same (prefix, length); bits beyond len count too. */
static inline bool dmm_prefix_eq(const struct dmm_prefix *a, const struct dmm_prefix *b)
{
	return a->len == b->len && dmm_addr_eq(&a->addr, &b->addr);
}

/*
 * SipHash-1-3 of len bytes at p, keyed by seed (any value; the caller
 * draws it at random once per table). Pure function.
 */
uint64_t dmm_hash_bytes(uint64_t seed, const void *p, size_t len);

/* Hash of an MN-ID: subtype and bytes. */
uint64_t dmm_hash_mnid(uint64_t seed, const struct dmm_mnid *id);

/* The same hash as dmm_hash_mnid() for an MN-ID held as (subtype, len bytes at id). */
uint64_t dmm_hash_mnid_bytes(uint64_t seed, uint8_t subtype, const uint8_t *id, size_t len);

/* Hash of a prefix: the 16 address bytes and the length. */
uint64_t dmm_hash_prefix(uint64_t seed, const struct dmm_prefix *p);

/* Hash of an address. */
uint64_t dmm_hash_addr(uint64_t seed, const struct dmm_addr *a);

/* A cheap unkeyed mix of a 64-bit integer, for keys peers do not choose. */
static inline uint64_t dmm_hash_u64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

/* No reference: returned by the dmm_hidx lookups when nothing matches. */
#define DMM_HIDX_NONE UINT32_MAX

struct dmm_hidx_slot {
	uint32_t ref1; /* reference + 1; 0 marks an empty slot */
	uint32_t hash;
};

struct dmm_hidx {
	struct dmm_hidx_slot *slot;
	uint32_t n;	/* slot count */
	uint32_t count; /* references stored */
	uint32_t limit; /* most references it accepts (load factor <= 2/3) */
};

/*
 * Allocate room for up to max_refs references (3/2 * max_refs slots,
 * rounded up, at least 2) from a. Returns 0, DMM_ERR_INVAL (max_refs 0 or
 * above 2^30) or DMM_ERR_NOMEM. Release with dmm_hidx_fini().
 */
int dmm_hidx_init(struct dmm_hidx *x, const struct dmm_alloc *a, uint32_t max_refs);

/* Free the slots of x from a; x may be zeroed or already finished. */
void dmm_hidx_fini(struct dmm_hidx *x, const struct dmm_alloc *a);

/* Bytes allocated by x. */
size_t dmm_hidx_bytes(const struct dmm_hidx *x);

/* Add ref under hash. Returns 0 or DMM_ERR_NOMEM when x holds limit refs. */
int dmm_hidx_insert(struct dmm_hidx *x, uint32_t hash, uint32_t ref);

/* Remove ref stored under hash. Returns 0 or DMM_ERR_NOTFOUND. */
int dmm_hidx_remove(struct dmm_hidx *x, uint32_t hash, uint32_t ref);

/* The home slot of hash in x (x->n > 0). */
static inline uint32_t dmm_hidx_home(const struct dmm_hidx *x, uint32_t hash)
{
	return (uint32_t)(((uint64_t)hash * x->n) >> 32);
}

/*
 * Walk the references stored under hash: start with dmm_hidx_first() (or
 * *pos = dmm_hidx_home()) and call dmm_hidx_next() until it returns
 * DMM_HIDX_NONE. The walk is valid while x is not changed.
 */
uint32_t dmm_hidx_next(const struct dmm_hidx *x, uint32_t hash, uint32_t *pos);

/*
 * Ask the CPU to fetch the cache line where a walk for hash starts, so
 * that a lookup issued a little later does not wait for memory (several
 * prefetches overlap, where lookups one after the other would each wait).
 */
static inline void dmm_hidx_prefetch(const struct dmm_hidx *x, uint32_t hash)
{
	if (x->slot)
		__builtin_prefetch(&x->slot[dmm_hidx_home(x, hash)]);
}

/* Start a walk for hash: *pos is set for dmm_hidx_next(); returns the first ref. */
static inline uint32_t dmm_hidx_first(const struct dmm_hidx *x, uint32_t hash, uint32_t *pos)
{
	*pos = x->n ? dmm_hidx_home(x, hash) : 0;
	return dmm_hidx_next(x, hash, pos);
}

#endif
