/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Prefix pool. Each prefix has a global number g: range r holds the
 * numbers [base, base + count). ring[] is a FIFO of free numbers (head,
 * nfree) and pos[g] says where g sits in the ring, or USED, so release,
 * allocation and reserve (which swaps g with the ring's head) are O(1).
 */
#include "dmm/pool.h"
#include "dmm/err.h"

#define USED UINT32_MAX

struct pool_range {
	struct dmm_prefix range;
	uint32_t base;
	uint32_t count;
};

struct dmm_pool {
	struct dmm_alloc alloc;
	uint32_t capacity;
	uint32_t size; /* numbers handed to ranges */
	uint32_t head; /* ring slot of the oldest free number */
	uint32_t nfree;
	uint8_t plen;
	unsigned nranges;
	struct pool_range r[DMM_POOL_MAX_RANGES];
	uint32_t *ring;
	uint32_t *pos;
};

static inline unsigned get_bit(const struct dmm_addr *a, unsigned i)
{
	return (a->b[i / 8] >> (7 - i % 8)) & 1;
}

static inline void set_bit(struct dmm_addr *a, unsigned i, unsigned v)
{
	uint8_t m = (uint8_t)(1u << (7 - i % 8));

	a->b[i / 8] = (uint8_t)(v ? a->b[i / 8] | m : a->b[i / 8] & ~m);
}

/* True when a and b agree on their first len bits. */
static bool same_bits(const struct dmm_addr *a, const struct dmm_addr *b, unsigned len)
{
	unsigned i;

	for (i = 0; i + 8 <= len; i += 8)
		if (a->b[i / 8] != b->b[i / 8])
			return false;
	for (; i < len; i++)
		if (get_bit(a, i) != get_bit(b, i))
			return false;
	return true;
}

/* True when every bit of a from bit 'from' on is zero. */
static bool zero_from(const struct dmm_addr *a, unsigned from)
{
	for (unsigned i = from; i < 128; i++)
		if (get_bit(a, i))
			return false;
	return true;
}

/* The global number of prefix, or USED when it is not a pool prefix. */
static uint32_t number_of(const struct dmm_pool *pool, const struct dmm_prefix *p)
{
	if (p->len != pool->plen || !zero_from(&p->addr, pool->plen))
		return USED;
	for (unsigned k = 0; k < pool->nranges; k++) {
		const struct pool_range *r = &pool->r[k];
		uint32_t off = 0;

		if (!same_bits(&p->addr, &r->range.addr, r->range.len))
			continue;
		for (unsigned i = r->range.len; i < pool->plen; i++)
			off = (off << 1) | get_bit(&p->addr, i);
		return r->base + off;
	}
	return USED;
}

static void prefix_of(const struct dmm_pool *pool, uint32_t g, struct dmm_prefix *out)
{
	const struct pool_range *r = &pool->r[0];
	uint32_t off;

	for (unsigned k = 1; k < pool->nranges && g >= pool->r[k].base; k++)
		r = &pool->r[k];
	off = g - r->base;
	out->addr = r->range.addr;
	out->len = pool->plen;
	for (unsigned i = pool->plen; i-- > r->range.len; off >>= 1)
		set_bit(&out->addr, i, off & 1);
}

static void ring_push(struct dmm_pool *pool, uint32_t g)
{
	uint32_t slot = (pool->head + pool->nfree) % pool->capacity;

	pool->ring[slot] = g;
	pool->pos[g] = slot;
	pool->nfree++;
}

static uint32_t ring_pop(struct dmm_pool *pool)
{
	uint32_t g = pool->ring[pool->head];

	pool->pos[g] = USED;
	pool->head = (pool->head + 1) % pool->capacity;
	pool->nfree--;
	return g;
}

struct dmm_pool *dmm_pool_new(const struct dmm_alloc *a, uint32_t capacity, uint8_t plen)
{
	struct dmm_pool *pool;

	if (!a || !a->zalloc || !a->free || capacity == 0 || capacity > (1u << 30) || plen == 0 || plen > 128)
		return NULL;
	pool = a->zalloc(a->ctx, sizeof(*pool));
	if (!pool)
		goto err_pool;
	pool->alloc = *a;
	pool->capacity = capacity;
	pool->plen = plen;
	pool->ring = a->zalloc(a->ctx, (size_t)capacity * sizeof(*pool->ring));
	if (!pool->ring)
		goto err_ring;
	pool->pos = a->zalloc(a->ctx, (size_t)capacity * sizeof(*pool->pos));
	if (!pool->pos)
		goto err_pos;
	return pool;

err_pos:
	a->free(a->ctx, pool->ring);
err_ring:
	a->free(a->ctx, pool);
err_pool:
	return NULL;
}

void dmm_pool_free(struct dmm_pool *pool)
{
	struct dmm_alloc a;

	if (!pool)
		return;
	a = pool->alloc;
	a.free(a.ctx, pool->pos);
	a.free(a.ctx, pool->ring);
	a.free(a.ctx, pool);
}

int dmm_pool_add_range(struct dmm_pool *pool, const struct dmm_prefix *range)
{
	struct pool_range *r;
	unsigned bits;
	uint32_t count;

	if (range->len > pool->plen)
		return DMM_ERR_PREFIX_LEN;
	bits = pool->plen - range->len;
	if (bits > DMM_POOL_MAX_RANGE_BITS)
		return DMM_ERR_PREFIX_LEN;
	if (!zero_from(&range->addr, range->len))
		return DMM_ERR_INVAL;
	for (unsigned k = 0; k < pool->nranges; k++) {
		unsigned l = pool->r[k].range.len < range->len ? pool->r[k].range.len : range->len;

		if (same_bits(&pool->r[k].range.addr, &range->addr, l))
			return DMM_ERR_EXISTS;
	}
	count = 1u << bits;
	if (pool->nranges >= DMM_POOL_MAX_RANGES || count > pool->capacity - pool->size)
		return DMM_ERR_NOMEM;
	r = &pool->r[pool->nranges++];
	r->range = *range;
	r->base = pool->size;
	r->count = count;
	pool->size += count;
	for (uint32_t g = r->base; g < pool->size; g++)
		ring_push(pool, g);
	return 0;
}

int dmm_pool_alloc(struct dmm_pool *pool, struct dmm_prefix *out)
{
	if (!pool->nfree)
		return DMM_ERR_NOMEM;
	prefix_of(pool, ring_pop(pool), out);
	return 0;
}

int dmm_pool_release(struct dmm_pool *pool, const struct dmm_prefix *prefix)
{
	uint32_t g = number_of(pool, prefix);

	if (g == USED)
		return DMM_ERR_NOTFOUND;
	if (pool->pos[g] != USED)
		return DMM_ERR_INVAL;
	ring_push(pool, g);
	return 0;
}

int dmm_pool_reserve(struct dmm_pool *pool, const struct dmm_prefix *prefix)
{
	uint32_t g = number_of(pool, prefix), slot, h;

	if (g == USED)
		return DMM_ERR_NOTFOUND;
	slot = pool->pos[g];
	if (slot == USED)
		return DMM_ERR_EXISTS;
	/* Swap g with the ring's head, then pop it. */
	h = pool->ring[pool->head];
	pool->ring[slot] = h;
	pool->pos[h] = slot;
	pool->ring[pool->head] = g;
	pool->pos[g] = pool->head;
	ring_pop(pool);
	return 0;
}

bool dmm_pool_contains(const struct dmm_pool *pool, const struct dmm_prefix *prefix)
{
	return number_of(pool, prefix) != USED;
}

bool dmm_pool_is_used(const struct dmm_pool *pool, const struct dmm_prefix *prefix)
{
	uint32_t g = number_of(pool, prefix);

	return g != USED && pool->pos[g] == USED;
}

uint32_t dmm_pool_used(const struct dmm_pool *pool)
{
	return pool->size - pool->nfree;
}

uint32_t dmm_pool_size(const struct dmm_pool *pool)
{
	return pool->size;
}

size_t dmm_pool_bytes(const struct dmm_pool *pool)
{
	return sizeof(*pool) + (size_t)pool->capacity * (sizeof(*pool->ring) + sizeof(*pool->pos));
}
