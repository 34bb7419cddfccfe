/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A fixed arena of small variable-length byte strings (long MN-IDs of the
 * binding cache). All memory is taken once at creation; afterwards
 * dmm_arena_get() never allocates.
 *
 * A string takes a block of its length rounded up to a multiple of
 * DMM_ARENA_MIN octets (at most DMM_ARENA_MIN - 1 octets lost), up to
 * DMM_ARENA_MAX. Each block size has a free list. A request is served, in
 * order, from the free list of its size, from the untouched tail of the
 * arena, or from the front of the smallest larger free block (the rest
 * becomes a free block of its own size). Freed blocks are not merged
 * again: a workload that moves from short to long strings can see a full
 * arena while small blocks are free, which dmm_arena_get() reports as
 * NULL (the caller refuses the request; nothing already stored is
 * touched).
 */
#ifndef DMM_ARENA_H
#define DMM_ARENA_H

#include "dmm/alloc.h"
#include "dmm/types.h"

#define DMM_ARENA_MIN 16  /* smallest block and block size step, octets */
#define DMM_ARENA_MAX 256 /* largest block, octets */

struct dmm_arena;

/*
 * Create an arena of bytes octets (rounded down to a multiple of
 * DMM_ARENA_MAX; at least one block of DMM_ARENA_MAX). Memory comes from
 * a, which must outlive the arena. Returns NULL on bad arguments or when
 * a fails.
 */
struct dmm_arena *dmm_arena_new(const struct dmm_alloc *a, size_t bytes);

/* Free the arena and every block in it; accepts NULL. */
void dmm_arena_free(struct dmm_arena *ar);

/*
 * A block of at least n octets (1 <= n <= DMM_ARENA_MAX), 8-byte aligned
 * and of undefined content, or NULL when n is out of range or no block of
 * its class is left. Valid until dmm_arena_put() or dmm_arena_free().
 */
void *dmm_arena_get(struct dmm_arena *ar, size_t n);

/* Return block p, obtained by dmm_arena_get(ar, n) with the same n. */
void dmm_arena_put(struct dmm_arena *ar, void *p, size_t n);

/* The block size that a request of n octets takes (0 when n is out of range). */
size_t dmm_arena_block(size_t n);

/* Octets in blocks handed out and not returned. */
size_t dmm_arena_used(const struct dmm_arena *ar);

/* Octets allocated for the arena (blocks and header). */
size_t dmm_arena_bytes(const struct dmm_arena *ar);

#endif
