/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The address table (addrtab.h): the addresses in an array, their counts
 * beside it, a dmm_hidx from the address's hash to its slot. Free slots
 * form a list linked through their address octets; slots never used
 * join it one at a time (fresh), so init touches no page of the array.
 */
#include <string.h>

#include "dmm/addrtab.h"
#include "dmm/err.h"

#define NONE UINT32_MAX

static uint32_t addr_hash(const struct dmm_addrtab *t, const struct dmm_addr *a)
{
	uint64_t hi, lo;

	if (t->seed)
		return (uint32_t)dmm_hash_addr(t->seed, a);
	memcpy(&hi, a->b, 8);
	memcpy(&lo, a->b + 8, 8);
	return (uint32_t)dmm_hash_u64(hi ^ dmm_hash_u64(lo));
}

int dmm_addrtab_init(struct dmm_addrtab *t, const struct dmm_alloc *a, uint32_t cap, uint64_t seed)
{
	memset(t, 0, sizeof(*t));
	if (cap == 0 || cap > (1u << 30))
		return DMM_ERR_INVAL;
	t->addr = a->zalloc(a->ctx, sizeof(*t->addr) * cap);
	t->refs = a->zalloc(a->ctx, sizeof(*t->refs) * cap);
	if (!t->addr || !t->refs || dmm_hidx_init(&t->idx, a, cap) != 0) {
		dmm_addrtab_fini(t, a);
		return DMM_ERR_NOMEM;
	}
	t->cap = cap;
	t->free = NONE;
	t->seed = seed;
	return 0;
}

void dmm_addrtab_fini(struct dmm_addrtab *t, const struct dmm_alloc *a)
{
	dmm_hidx_fini(&t->idx, a);
	if (t->refs)
		a->free(a->ctx, t->refs);
	if (t->addr)
		a->free(a->ctx, t->addr);
	t->addr = NULL;
	t->refs = NULL;
	t->cap = 0;
}

size_t dmm_addrtab_bytes(const struct dmm_addrtab *t)
{
	return (sizeof(*t->addr) + sizeof(*t->refs)) * (size_t)t->cap + dmm_hidx_bytes(&t->idx);
}

/* The number of address a, 0 for the zero address, or NONE when it is not in the table. */
static uint32_t find(const struct dmm_addrtab *t, const struct dmm_addr *a)
{
	uint32_t h, pos, r;

	if (dmm_addr_is_zero(a))
		return 0;
	h = addr_hash(t, a);
	for (r = dmm_hidx_first(&t->idx, h, &pos); r != DMM_HIDX_NONE; r = dmm_hidx_next(&t->idx, h, &pos))
		if (dmm_addr_eq(&t->addr[r], a))
			return r + 1;
	return NONE;
}

/* Number m (a memo) holds a: a live slot with those octets. */
static bool memo_is(const struct dmm_addrtab *t, uint32_t m, const struct dmm_addr *a)
{
	return m && t->refs[m - 1] && dmm_addr_eq(&t->addr[m - 1], a);
}

/* a has number n: it becomes the newest memo. */
static uint32_t remember(struct dmm_addrtab *t, uint32_t n)
{
	if (t->memo[0] != n) {
		t->memo[1] = t->memo[0];
		t->memo[0] = n;
	}
	return n;
}

uint32_t dmm_addrtab_hold(struct dmm_addrtab *t, const struct dmm_addr *a)
{
	uint32_t n, r;

	if (dmm_addr_is_zero(a))
		return 0;
	for (unsigned i = 0; i < 2; i++)
		if (memo_is(t, t->memo[i], a)) {
			t->refs[t->memo[i] - 1]++;
			return t->memo[i];
		}
	n = find(t, a);
	if (n == 0)
		return 0;
	if (n != NONE) {
		t->refs[n - 1]++;
		return remember(t, n);
	}
	if (t->free == NONE && t->fresh < t->cap) {
		/* The next slot never used joins the free list: its octets link none after it. */
		r = t->fresh++;
		memcpy(t->addr[r].b, &t->free, sizeof(t->free));
		t->free = r;
	}
	r = t->free;
	if (r == NONE || dmm_hidx_insert(&t->idx, addr_hash(t, a), r) != 0)
		return DMM_ADDRTAB_FULL;
	/* A free slot's address octets hold the next free one. */
	memcpy(&t->free, t->addr[r].b, sizeof(t->free));
	t->addr[r] = *a;
	t->refs[r] = 1;
	return remember(t, r + 1);
}

bool dmm_addrtab_room(const struct dmm_addrtab *t, const struct dmm_addr *a)
{
	return t->free != NONE || t->fresh < t->cap || find(t, a) != NONE;
}

void dmm_addrtab_drop(struct dmm_addrtab *t, uint32_t n)
{
	uint32_t r = n - 1;

	if (n == 0 || --t->refs[r])
		return;
	(void)dmm_hidx_remove(&t->idx, addr_hash(t, &t->addr[r]), r);
	memset(&t->addr[r], 0, sizeof(t->addr[r]));
	memcpy(t->addr[r].b, &t->free, sizeof(t->free));
	t->free = r;
}
