/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The discrete-event engine: events run in (time, insertion sequence)
 * order, so events at equal times run in the order they were scheduled
 * and a run depends on the seed alone. A calendar queue holds them: the
 * bucket of about 1 ms being run is a binary heap, the next EMU_RING
 * buckets (about 275 s) are unsorted arrays filled by appending, and
 * events further ahead wait in a second heap until their bucket comes.
 * The order is exactly that of one heap over all events. Events live in
 * a slab with a free list; the queues move 24-byte entries, not events.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

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

void *emu_table(size_t n, size_t elem)
{
	void *p = calloc(n, elem);
	uintptr_t a = ((uintptr_t)p + 4095) & ~(uintptr_t)4095,
		  end = ((uintptr_t)p + n * elem) & ~(uintptr_t)4095;

	/* A kernel without MADV_POPULATE_WRITE (Linux < 5.14) refuses it: the pages then come on first touch. */
	if (p && n * elem >= EMU_TABLE_POPULATE && end > a)
		(void)madvise((void *)a, end - a, MADV_POPULATE_WRITE);
	return p;
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
	e->far_cap = 1024;
	e->far = malloc(sizeof(*e->far) * e->far_cap);
	e->ring_head = malloc(sizeof(*e->ring_head) * EMU_RING);
	e->ring_tail = malloc(sizeof(*e->ring_tail) * EMU_RING);
	e->ring_bits = calloc(EMU_RING / 64, sizeof(*e->ring_bits));
	e->chunk_cap = 1024;
	e->chunks = malloc(sizeof(*e->chunks) * e->chunk_cap);
	e->chunk_free = EMU_NONE;
	e->slab_cap = 1024;
	e->slab = malloc(sizeof(*e->slab) * e->slab_cap);
	e->free_slots = malloc(sizeof(*e->free_slots) * e->slab_cap);
	if (!e->heap || !e->far || !e->ring_head || !e->ring_tail || !e->ring_bits || !e->chunks ||
	    !e->slab || !e->free_slots) {
		emu_engine_fini(e);
		return -1;
	}
	for (uint32_t i = 0; i < e->slab_cap; i++)
		e->free_slots[i] = e->slab_cap - 1 - i;
	e->nfree = e->slab_cap;
	return 0;
}

/* Mobility Header buffers of events never run. */
static void free_mh(struct emu_engine *e, const struct emu_heap_ent *v, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		if (e->slab[v[i].slot].type == EV_MH)
			free(e->slab[v[i].slot].u.mh.buf);
}

void emu_engine_fini(struct emu_engine *e)
{
	if (e->slab) {
		free_mh(e, e->heap, e->n);
		free_mh(e, e->far, e->nfar);
	}
	for (uint32_t r = 0; e->slab && e->ring_bits && r < EMU_RING; r++)
		if (e->ring_bits[r / 64] & (1ULL << (r % 64)))
			for (uint32_t c = e->ring_head[r]; c != EMU_NONE; c = e->chunks[c].next)
				free_mh(e, e->chunks[c].v, e->chunks[c].n);
	free(e->heap);
	free(e->far);
	free(e->ring_head);
	free(e->ring_tail);
	free(e->ring_bits);
	free(e->chunks);
	free(e->slab);
	free(e->free_slots);
	memset(e, 0, sizeof(*e));
}

static bool before(const struct emu_heap_ent *a, const struct emu_heap_ent *b)
{
	return a->at < b->at || (a->at == b->at && a->seq < b->seq);
}

/* Push x onto the binary heap h of *n entries (room for *cap). */
static int heap_push(struct emu_heap_ent **h, uint32_t *n, uint32_t *cap, struct emu_heap_ent x)
{
	uint32_t i;

	if (*n == *cap) {
		struct emu_heap_ent *nh = realloc(*h, sizeof(*nh) * *cap * 2);

		if (!nh)
			return -1;
		*h = nh;
		*cap *= 2;
	}
	i = (*n)++;
	while (i > 0) {
		uint32_t p = (i - 1) / 2;

		if (!before(&x, &(*h)[p]))
			break;
		(*h)[i] = (*h)[p];
		i = p;
	}
	(*h)[i] = x;
	return 0;
}

/* Remove and return the top of the binary heap h of *n > 0 entries. */
static struct emu_heap_ent heap_pop(struct emu_heap_ent *h, uint32_t *n)
{
	struct emu_heap_ent top = h[0], last = h[--*n];
	uint32_t i = 0;

	for (;;) {
		uint32_t c = 2 * i + 1;

		if (c >= *n)
			break;
		if (c + 1 < *n && before(&h[c + 1], &h[c]))
			c++;
		if (!before(&h[c], &last))
			break;
		h[i] = h[c];
		i = c;
	}
	if (*n)
		h[i] = last;
	return top;
}

/* An empty chunk: a freed one, else a new one. */
static uint32_t chunk_new(struct emu_engine *e)
{
	uint32_t c = e->chunk_free;

	if (c != EMU_NONE) {
		e->chunk_free = e->chunks[c].next;
	} else {
		if (e->chunk_hwm == e->chunk_cap) {
			struct emu_chunk *nc = realloc(e->chunks, sizeof(*nc) * e->chunk_cap * 2);

			if (!nc)
				return EMU_NONE;
			e->chunks = nc;
			e->chunk_cap *= 2;
		}
		c = e->chunk_hwm++;
	}
	e->chunks[c].n = 0;
	e->chunks[c].next = EMU_NONE;
	return c;
}

static int ring_add(struct emu_engine *e, uint64_t b, struct emu_heap_ent x)
{
	uint32_t r = (uint32_t)(b & (EMU_RING - 1)), c;
	uint64_t bit = 1ULL << (r % 64);

	if (!(e->ring_bits[r / 64] & bit)) {
		if ((c = chunk_new(e)) == EMU_NONE)
			return -1;
		e->ring_head[r] = e->ring_tail[r] = c;
		e->ring_bits[r / 64] |= bit;
	} else if (e->chunks[e->ring_tail[r]].n == EMU_CHUNK) {
		if ((c = chunk_new(e)) == EMU_NONE)
			return -1;
		e->chunks[e->ring_tail[r]].next = c;
		e->ring_tail[r] = c;
	}
	c = e->ring_tail[r];
	e->chunks[c].v[e->chunks[c].n++] = x;
	e->ring_count++;
	return 0;
}

/* Make room for one more event in the slab. */
static int slab_reserve(struct emu_engine *e)
{
	uint32_t ncap = e->slab_cap * 2;
	struct emu_event *ns;
	uint32_t *nf;

	if (e->nfree)
		return 0;
	ns = realloc(e->slab, sizeof(*ns) * ncap);
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
	return 0;
}

/* The bytes of an event of this type that carry something: the head, and the part of u it uses. */
static size_t ev_size(uint8_t type)
{
	if (type == EV_PKT)
		return offsetof(struct emu_event, u) + sizeof(((struct emu_event *)0)->u.pkt);
	if (type == EV_MH)
		return offsetof(struct emu_event, u) + sizeof(((struct emu_event *)0)->u.mh);
	return offsetof(struct emu_event, u);
}

int emu_schedule_seq(struct emu_engine *e, dmm_time_t at, uint64_t seq, const struct emu_event *ev)
{
	struct emu_heap_ent x;
	uint64_t b;
	int rc = 0;

	if (at < e->now)
		at = e->now;
	if (slab_reserve(e))
		return -1;
	x.at = at;
	x.seq = seq;
	x.slot = e->free_slots[e->nfree - 1];
	b = at >> EMU_BUCKET_SHIFT;
	/* now lies in the current bucket, so b >= cur. */
	if (b <= e->cur)
		rc = heap_push(&e->heap, &e->n, &e->cap, x);
	else if (b - e->cur >= EMU_RING)
		rc = heap_push(&e->far, &e->nfar, &e->far_cap, x);
	else
		rc = ring_add(e, b, x);
	if (rc)
		return -1;
	e->nfree--;
	memcpy(&e->slab[x.slot], ev, ev_size(ev->type));
	return 0;
}

int emu_schedule(struct emu_engine *e, dmm_time_t at, const struct emu_event *ev)
{
	if (emu_schedule_seq(e, at, e->seq, ev))
		return -1;
	e->seq++;
	return 0;
}

/* The first non-empty ring bucket after cur, as an absolute index (the ring holds events). */
static uint64_t ring_next(const struct emu_engine *e)
{
	uint32_t start = (uint32_t)((e->cur + 1) & (EMU_RING - 1)), r = start;

	for (uint32_t seen = 0; seen <= EMU_RING;) {
		uint64_t w = e->ring_bits[r / 64] >> (r % 64);

		if (w) {
			r += (uint32_t)__builtin_ctzll(w);
			return e->cur + 1 + ((r - start) & (EMU_RING - 1));
		}
		seen += 64 - r % 64;
		r = (r - r % 64 + 64) & (EMU_RING - 1);
	}
	return UINT64_MAX;
}

/* The current bucket is empty: move on to the next one holding events. */
static bool advance(struct emu_engine *e)
{
	uint64_t b = e->ring_count ? ring_next(e) : UINT64_MAX;
	uint32_t r;

	if (e->nfar && (e->far[0].at >> EMU_BUCKET_SHIFT) < b)
		b = e->far[0].at >> EMU_BUCKET_SHIFT;
	if (b == UINT64_MAX)
		return false;
	e->cur = b;
	r = (uint32_t)(b & (EMU_RING - 1));
	if (e->ring_bits[r / 64] & (1ULL << (r % 64))) {
		uint32_t c = e->ring_head[r], next;

		for (; c != EMU_NONE; c = next) {
			for (uint32_t i = 0; i < e->chunks[c].n; i++)
				if (heap_push(&e->heap, &e->n, &e->cap, e->chunks[c].v[i]))
					return false;
			e->ring_count -= e->chunks[c].n;
			next = e->chunks[c].next;
			e->chunks[c].next = e->chunk_free;
			e->chunk_free = c;
		}
		e->ring_bits[r / 64] &= ~(1ULL << (r % 64));
	}
	while (e->nfar && (e->far[0].at >> EMU_BUCKET_SHIFT) == b)
		if (heap_push(&e->heap, &e->n, &e->cap, heap_pop(e->far, &e->nfar)))
			return false;
	return true;
}

const struct emu_event *emu_peek(const struct emu_engine *e)
{
	return e->n ? &e->slab[e->heap[0].slot] : NULL;
}

bool emu_next(struct emu_engine *e, struct emu_event *out)
{
	struct emu_heap_ent top;

	if (e->n == 0 && !advance(e))
		return false;
	top = heap_pop(e->heap, &e->n);
	/* The next events: their loads overlap this one's run (one of heap[1], heap[2] is the one after next). */
	for (uint32_t i = 0; i < 3 && i < e->n; i++)
		__builtin_prefetch(&e->slab[e->heap[i].slot]);
	memcpy(out, &e->slab[top.slot], ev_size(e->slab[top.slot].type));
	e->free_slots[e->nfree++] = top.slot;
	e->now = top.at;
	e->processed++;
	return true;
}
