/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fixed arena of small byte strings: size classes in steps of
 * DMM_ARENA_MIN, one free list per class, a bump pointer over the
 * untouched tail, and splitting of larger free blocks when both are empty
 * (arena.h).
 */
#include "dmm/arena.h"

#define NCLASS (DMM_ARENA_MAX / DMM_ARENA_MIN) /* 16, 32, 48, ..., 256 */

struct blk {
	struct blk *next;
};

struct dmm_arena {
	struct dmm_alloc alloc;
	uint8_t *base;
	size_t size, top, used;
	struct blk *free[NCLASS];
};

/* Class of a request of n octets, or -1 when n is out of range. */
static int class_of(size_t n)
{
	if (n == 0 || n > DMM_ARENA_MAX)
		return -1;
	return (int)((n + DMM_ARENA_MIN - 1) / DMM_ARENA_MIN) - 1;
}

static size_t class_size(int c)
{
	return (size_t)DMM_ARENA_MIN * (size_t)(c + 1);
}

size_t dmm_arena_block(size_t n)
{
	int c = class_of(n);

	return c < 0 ? 0 : class_size(c);
}

struct dmm_arena *dmm_arena_new(const struct dmm_alloc *a, size_t bytes)
{
	struct dmm_arena *ar;

	if (!a || !a->zalloc || !a->free)
		return NULL;
	bytes -= bytes % DMM_ARENA_MAX;
	if (bytes == 0)
		bytes = DMM_ARENA_MAX;
	ar = a->zalloc(a->ctx, sizeof(*ar));
	if (!ar)
		goto err_header;
	ar->base = a->zalloc(a->ctx, bytes);
	if (!ar->base)
		goto err_base;
	ar->alloc = *a;
	ar->size = bytes;
	return ar;

err_base:
	a->free(a->ctx, ar);
err_header:
	return NULL;
}

void dmm_arena_free(struct dmm_arena *ar)
{
	if (!ar)
		return;
	ar->alloc.free(ar->alloc.ctx, ar->base);
	ar->alloc.free(ar->alloc.ctx, ar);
}

static void push(struct dmm_arena *ar, int c, void *p)
{
	struct blk *b = p;

	b->next = ar->free[c];
	ar->free[c] = b;
}

static void *pop(struct dmm_arena *ar, int c)
{
	struct blk *b = ar->free[c];

	if (b)
		ar->free[c] = b->next;
	return b;
}

/* A block of class c cut from the smallest larger free block, or NULL. */
static void *split(struct dmm_arena *ar, int c)
{
	uint8_t *p;
	int k = c + 1;

	while (k < NCLASS && !ar->free[k])
		k++;
	if (k == NCLASS)
		return NULL;
	p = pop(ar, k);
	/* Keep the front; the rest, class_size(k) - class_size(c) octets, is a free block of its own. */
	push(ar, k - c - 1, p + class_size(c));
	return p;
}

void *dmm_arena_get(struct dmm_arena *ar, size_t n)
{
	int c = class_of(n);
	void *p;

	if (c < 0)
		return NULL;
	p = pop(ar, c);
	if (!p && ar->size - ar->top >= class_size(c)) {
		p = ar->base + ar->top;
		ar->top += class_size(c);
	}
	if (!p)
		p = split(ar, c);
	if (p)
		ar->used += class_size(c);
	return p;
}

void dmm_arena_put(struct dmm_arena *ar, void *p, size_t n)
{
	int c = class_of(n);

	if (!p || c < 0)
		return;
	push(ar, c, p);
	ar->used -= class_size(c);
}

size_t dmm_arena_used(const struct dmm_arena *ar)
{
	return ar->used;
}

size_t dmm_arena_bytes(const struct dmm_arena *ar)
{
	return sizeof(*ar) + ar->size;
}
