/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The discrete-event engine: a binary min-heap ordered by (time,
 * insertion sequence), so events at equal times run in the order they
 * were scheduled and a run depends on the seed alone. Events live in a
 * slab with a free list; the heap moves 24-byte entries, not events.
 */
#include <stdlib.h>
#include <string.h>

#include "emu.h"

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

void emu_rng_seed(struct emu_rng *r, uint64_t seed)
{
	uint64_t x = seed;

	for (int i = 0; i < 4; i++)
		r->s[i] = splitmix64(&x);
}

static inline uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

/* xoshiro256** (Blackman and Vigna). */
uint64_t emu_rng_next(struct emu_rng *r)
{
	uint64_t *s = r->s;
	uint64_t result = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

double emu_rng_unit(struct emu_rng *r)
{
	return (double)(emu_rng_next(r) >> 11) * 0x1.0p-53;
}

uint64_t emu_rng_below(struct emu_rng *r, uint64_t n)
{
	/* Lemire's multiply-shift with rejection: no modulo bias. */
	unsigned __int128 m = (unsigned __int128)emu_rng_next(r) * n;
	uint64_t lo = (uint64_t)m;

	if (lo < n) {
		uint64_t t = -n % n;

		while (lo < t) {
			m = (unsigned __int128)emu_rng_next(r) * n;
			lo = (uint64_t)m;
		}
	}
	return (uint64_t)(m >> 64);
}

void *emu_grow(void *arr, size_t *cap, size_t elem, size_t first)
{
	size_t nc = *cap ? *cap * 2 : first;
	void *na = realloc(arr, elem * nc);

	if (na)
		*cap = nc;
	return na;
}

int emu_parse_duration(const char *s, dmm_time_t *out)
{
	char *end;
	double v, mul;

	if (!s || !*s)
		return -1;
	v = strtod(s, &end);
	if (end == s || v < 0)
		return -1;
	if (!*end || !strcmp(end, "s"))
		mul = 1e9;
	else if (!strcmp(end, "ms"))
		mul = 1e6;
	else if (!strcmp(end, "us"))
		mul = 1e3;
	else if (!strcmp(end, "ns"))
		mul = 1;
	else if (!strcmp(end, "m") || !strcmp(end, "min"))
		mul = 60e9;
	else if (!strcmp(end, "h"))
		mul = 3600e9;
	else
		return -1;
	v *= mul;
	if (v > 1.8e19)
		return -1;
	*out = (dmm_time_t)(v + 0.5);
	return 0;
}

int emu_engine_init(struct emu_engine *e)
{
	memset(e, 0, sizeof(*e));
	e->cap = 1024;
	e->heap = malloc(sizeof(*e->heap) * e->cap);
	e->slab_cap = 1024;
	e->slab = malloc(sizeof(*e->slab) * e->slab_cap);
	e->free_slots = malloc(sizeof(*e->free_slots) * e->slab_cap);
	if (!e->heap || !e->slab || !e->free_slots) {
		emu_engine_fini(e);
		return -1;
	}
	for (uint32_t i = 0; i < e->slab_cap; i++)
		e->free_slots[i] = e->slab_cap - 1 - i;
	e->nfree = e->slab_cap;
	return 0;
}

void emu_engine_fini(struct emu_engine *e)
{
	/* Mobility Header buffers of events never run. */
	for (uint32_t i = 0; i < e->n; i++) {
		struct emu_event *ev = &e->slab[e->heap[i].slot];

		if (ev->type == EV_MH)
			free(ev->u.mh.buf);
	}
	free(e->heap);
	free(e->slab);
	free(e->free_slots);
	memset(e, 0, sizeof(*e));
}

static bool before(const struct emu_heap_ent *a, const struct emu_heap_ent *b)
{
	return a->at < b->at || (a->at == b->at && a->seq < b->seq);
}

int emu_schedule(struct emu_engine *e, dmm_time_t at, const struct emu_event *ev)
{
	uint32_t slot, i;

	if (at < e->now)
		at = e->now;
	if (e->nfree == 0) {
		uint32_t ncap = e->slab_cap * 2;
		struct emu_event *ns = realloc(e->slab, sizeof(*ns) * ncap);
		uint32_t *nf;

		if (!ns)
			return -1;
		e->slab = ns;
		nf = realloc(e->free_slots, sizeof(*nf) * ncap);
		if (!nf)
			return -1;
		e->free_slots = nf;
		for (uint32_t k = ncap; k > e->slab_cap; k--)
			e->free_slots[e->nfree++] = k - 1;
		e->slab_cap = ncap;
	}
	if (e->n == e->cap) {
		struct emu_heap_ent *nh = realloc(e->heap, sizeof(*nh) * e->cap * 2);

		if (!nh)
			return -1;
		e->heap = nh;
		e->cap *= 2;
	}
	slot = e->free_slots[--e->nfree];
	e->slab[slot] = *ev;
	i = e->n++;
	struct emu_heap_ent x = {at, e->seq++, slot};
	while (i > 0) {
		uint32_t p = (i - 1) / 2;

		if (!before(&x, &e->heap[p]))
			break;
		e->heap[i] = e->heap[p];
		i = p;
	}
	e->heap[i] = x;
	return 0;
}

bool emu_next(struct emu_engine *e, struct emu_event *out)
{
	struct emu_heap_ent top, last;
	uint32_t i = 0;

	if (e->n == 0)
		return false;
	top = e->heap[0];
	last = e->heap[--e->n];
	for (;;) {
		uint32_t c = 2 * i + 1;

		if (c >= e->n)
			break;
		if (c + 1 < e->n && before(&e->heap[c + 1], &e->heap[c]))
			c++;
		if (!before(&e->heap[c], &last))
			break;
		e->heap[i] = e->heap[c];
		i = c;
	}
	if (e->n)
		e->heap[i] = last;
	*out = e->slab[top.slot];
	e->free_slots[e->nfree++] = top.slot;
	e->now = top.at;
	e->processed++;
	return true;
}
