/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Binding cache (RFC 5213 §5.1) with the RFC 8885 §3.2 list of previous
 * MAARs (the anchor list functions below).
 *
 * Everything is allocated at creation (dmm_bcache_new_sized()):
 * - the entries, 96 octets each, in an array aligned to a cache line; the
 *   free ones form a stack linked through their MN-ID octets (pop order 0,
 *   1, 2, ... so a fresh table fills from the front; a slot is live while
 *   its generation is odd);
 * - two dmm_hidx indexes, MN-ID -> slot and prefix -> slot, which keep a
 *   32-bit hash tag per slot so a probe reads an entry only on a tag match;
 * - a pool of nodes for HNPs beyond the first of an entry (the first is in
 *   the entry), kept on a free list;
 * - an arena for MN-IDs longer than DMM_BCE_MNID_INLINE octets (arena.h),
 *   so an entry does not carry 255 octets for the common short IDs (the
 *   entry keeps the block's address in its MN-ID octets);
 * - optionally, one P-MAAR list per slot (the CMD's cache only).
 */
#include <stddef.h>
#include <string.h>

#include "dmm/addrtab.h"
#include "dmm/arena.h"
#include "dmm/bcache.h"
#include "dmm/err.h"

#define LINE 64 /* entries start on a cache line */
#define FREE_NONE UINT32_MAX

#define PART 32 /* an entry is three parts, each within one cache line */

_Static_assert(sizeof(struct dmm_bcache_entry) == 3 * PART, "an entry is 96 octets");
_Static_assert(offsetof(struct dmm_bcache_entry, mnid_id) + DMM_BCE_MNID_INLINE <= PART,
	       "the key by MN-ID is in the first part of an entry");
_Static_assert(offsetof(struct dmm_bcache_entry, n_hnp) >= PART &&
		       offsetof(struct dmm_bcache_entry, more) + sizeof(uint32_t) <= 2 * PART,
	       "the key by prefix and the MAG's address are in the second part of an entry");

struct dmm_bce_more {
	uint32_t next; /* the next node's number + 1, 0: none */
	struct dmm_prefix p;
};

/*
 * The line before entry 0: what an accessor given only an entry reads
 * (entry 0 is at e - e->handle.idx).
 */
struct bce_head {
	struct dmm_anchor_list *lists; /* per slot, or NULL */
	const struct dmm_addrtab *addrs;
	const struct dmm_bce_more *more; /* the extra-HNP pool */
};

static struct bce_head *head_of(const struct dmm_bcache_entry *e0)
{
	return (struct bce_head *)(uintptr_t)((const char *)e0 - LINE);
}

static const struct bce_head *entry_head(const struct dmm_bcache_entry *e)
{
	return head_of(e - e->handle.idx);
}

struct dmm_anchor_list *dmm_bce_pmaar(const struct dmm_bcache_entry *e)
{
	const struct bce_head *h = entry_head(e);

	return h->lists ? &h->lists[e->handle.idx] : NULL;
}

const struct dmm_addr *dmm_bce_pcoa(const struct dmm_bcache_entry *e)
{
	return dmm_addrtab_get(entry_head(e)->addrs, e->pcoa_n);
}

/* Node number n + 1 of the pool of e's cache (n + 1 != 0). */
static const struct dmm_bce_more *node_of(const struct dmm_bcache_entry *e, uint32_t n1)
{
	return &entry_head(e)->more[n1 - 1];
}

struct dmm_bcache {
	struct dmm_alloc alloc;
	uint64_t seed;
	uint32_t capacity, count, more_cap;
	uint32_t free_top; /* the last entry freed (its MN-ID octets link the next), or FREE_NONE */
	uint32_t fresh;	   /* entries [fresh, capacity) were never used: free, not on the stack */
	uint32_t state_count[DMM_BCE_NSTATES];
	void *mem;		    /* the entry block as allocated */
	struct dmm_bcache_entry *e; /* mem rounded up to a cache line */
	struct dmm_hidx by_mnid, by_prefix;
	struct dmm_bce_more *more;     /* extra-HNP pool */
	uint32_t more_free;	       /* the first free node + 1, 0: none */
	uint32_t more_fresh;	       /* more[more_fresh, more_cap) never used: free, off the list */
	struct dmm_anchor_list *lists; /* per slot, or NULL */
	struct dmm_arena *arena;       /* long MN-IDs, or NULL */
	struct dmm_addrtab addrs;      /* the Proxy-CoAs the entries name */
};

int dmm_anchor_list_find(const struct dmm_anchor_list *l, const struct dmm_addr *addr,
			 const struct dmm_prefix *prefix)
{
	for (int i = 0; i < l->n; i++)
		if (dmm_addr_eq(&l->a[i].addr, addr) && dmm_prefix_eq(&l->a[i].prefix, prefix))
			return i;
	return -1;
}

static void anchor_list_remove_at(struct dmm_anchor_list *l, int i)
{
	for (; i + 1 < l->n; i++)
		l->a[i] = l->a[i + 1];
	l->n--;
}

int dmm_anchor_list_add(struct dmm_anchor_list *l, const struct dmm_addr *addr,
			const struct dmm_prefix *prefix)
{
	int i = dmm_anchor_list_find(l, addr, prefix);

	/* Newest last: a MAAR seen again moves to the end (RFC 8885 §3.2). */
	if (i >= 0)
		anchor_list_remove_at(l, i);
	else if (l->n >= DMM_BCE_MAX_PMAAR)
		return DMM_ERR_NOMEM;
	l->a[l->n].addr = *addr;
	l->a[l->n].prefix = *prefix;
	l->n++;
	return 0;
}

int dmm_anchor_list_del(struct dmm_anchor_list *l, const struct dmm_addr *addr,
			const struct dmm_prefix *prefix)
{
	int i = dmm_anchor_list_find(l, addr, prefix);

	if (i < 0)
		return DMM_ERR_NOTFOUND;
	anchor_list_remove_at(l, i);
	return 0;
}

static bool live(const struct dmm_bcache_entry *e)
{
	return e->handle.gen & 1;
}

static uint32_t mnid_hash(const struct dmm_bcache *t, const struct dmm_mnid *id)
{
	return (uint32_t)dmm_hash_mnid(t->seed, id);
}

static uint32_t entry_mnid_hash(const struct dmm_bcache *t, const struct dmm_bcache_entry *e)
{
	return (uint32_t)dmm_hash_mnid_bytes(t->seed, e->mnid_subtype, dmm_bce_mnid_bytes(e), e->mnid_len);
}

static uint32_t prefix_hash(const struct dmm_bcache *t, const struct dmm_prefix *p)
{
	return (uint32_t)dmm_hash_prefix(t->seed, p);
}

static bool sizes_ok(const struct dmm_bcache_sizes *sz)
{
	return sz->entries && sz->entries <= (1u << 30) && sz->prefixes && sz->prefixes <= (1u << 30) &&
	       sz->more_prefixes <= sz->prefixes;
}

/* The optional parts: extra-HNP pool, P-MAAR lists, arena. 0 or DMM_ERR_NOMEM. */
static int alloc_optional(struct dmm_bcache *t, const struct dmm_bcache_sizes *sz)
{
	const struct dmm_alloc *a = &t->alloc;

	t->more_cap = sz->more_prefixes;
	if (t->more_cap) {
		t->more = a->zalloc(a->ctx, (size_t)t->more_cap * sizeof(*t->more));
		if (!t->more)
			return DMM_ERR_NOMEM;
		/* No loop: unused nodes join the free list one at a time, in order (dmm_bcache_add_prefix()). */
	}
	if (sz->anchor_lists) {
		t->lists = a->zalloc(a->ctx, (size_t)t->capacity * sizeof(*t->lists));
		if (!t->lists)
			return DMM_ERR_NOMEM;
	}
	if (sz->arena_bytes) {
		t->arena = dmm_arena_new(a, sz->arena_bytes);
		if (!t->arena)
			return DMM_ERR_NOMEM;
	}
	return 0;
}

static void free_parts(struct dmm_bcache *t)
{
	const struct dmm_alloc *a = &t->alloc;

	dmm_addrtab_fini(&t->addrs, a);
	dmm_arena_free(t->arena);
	if (t->lists)
		a->free(a->ctx, t->lists);
	if (t->more)
		a->free(a->ctx, t->more);
	dmm_hidx_fini(&t->by_prefix, a);
	dmm_hidx_fini(&t->by_mnid, a);
	if (t->mem)
		a->free(a->ctx, t->mem);
}

struct dmm_bcache *dmm_bcache_new_sized(const struct dmm_alloc *a, const struct dmm_bcache_sizes *sz,
					uint64_t seed)
{
	struct dmm_bcache *t;
	uintptr_t base;

	if (!a || !a->zalloc || !a->free || !sz || !sizes_ok(sz))
		return NULL;
	t = a->zalloc(a->ctx, sizeof(*t));
	if (!t)
		return NULL;
	t->alloc = *a;
	t->seed = seed;
	t->capacity = sz->entries;
	t->mem = a->zalloc(a->ctx, (size_t)t->capacity * sizeof(*t->e) + 2 * LINE - 1);
	if (!t->mem)
		goto err;
	base = ((uintptr_t)t->mem + LINE - 1) & ~(uintptr_t)(LINE - 1);
	t->e = (struct dmm_bcache_entry *)(base + LINE);
	if (dmm_hidx_init(&t->by_mnid, a, t->capacity) || dmm_hidx_init(&t->by_prefix, a, sz->prefixes))
		goto err;
	if (alloc_optional(t, sz))
		goto err;
	if (dmm_addrtab_init(&t->addrs, a, sz->addrs ? sz->addrs : sz->entries + 1, seed | 1) != 0)
		goto err;
	*head_of(t->e) = (struct bce_head){t->lists, &t->addrs, t->more};
	/* No loop over the entries: they are taken in order when the free stack is empty (dmm_bcache_add()). */
	t->free_top = FREE_NONE;
	t->fresh = 0;
	return t;

err:
	/* One step: free_parts() skips what was not allocated (zeroed header). */
	free_parts(t);
	a->free(a->ctx, t);
	return NULL;
}

struct dmm_bcache *dmm_bcache_new(const struct dmm_alloc *a, uint32_t capacity, uint32_t prefix_capacity,
				  uint64_t seed)
{
	struct dmm_bcache_sizes sz = {
		.entries = capacity,
		.prefixes = prefix_capacity ? prefix_capacity : capacity,
		.arena_bytes = (size_t)capacity * 64 + 16 * DMM_ARENA_MAX,
		.anchor_lists = true,
	};

	sz.more_prefixes = sz.prefixes; /* any HNP may be an extra one, as before */
	return dmm_bcache_new_sized(a, &sz, seed);
}

void dmm_bcache_free(struct dmm_bcache *t)
{
	struct dmm_alloc a;

	if (!t)
		return;
	a = t->alloc;
	free_parts(t);
	a.free(a.ctx, t);
}

/* Store mnid's octets in e: inline, or in an arena block. false: no block. */
static bool mnid_store(struct dmm_bcache *t, struct dmm_bcache_entry *e, const struct dmm_mnid *mnid)
{
	uint8_t *dst = e->mnid_id;

	if (mnid->len > DMM_BCE_MNID_INLINE) {
		dst = t->arena ? dmm_arena_get(t->arena, mnid->len) : NULL;
		if (!dst)
			return false;
		memcpy(e->mnid_id, &dst, sizeof(dst));
	}
	memcpy(dst, mnid->id, mnid->len);
	e->mnid_subtype = mnid->subtype;
	e->mnid_len = mnid->len;
	return true;
}

/* Entry idx (free) goes on top of the free stack. */
static void free_push(struct dmm_bcache *t, uint32_t idx)
{
	memcpy(t->e[idx].mnid_id, &t->free_top, sizeof(t->free_top));
	t->free_top = idx;
}

struct dmm_bcache_entry *dmm_bcache_add(struct dmm_bcache *t, const struct dmm_mnid *mnid,
					struct dmm_handle *out)
{
	struct dmm_bcache_entry *e;
	uint32_t idx, gen, next_free;

	if (!mnid->len || (t->free_top == FREE_NONE && t->fresh == t->capacity))
		return NULL;
	if (t->free_top == FREE_NONE) {
		/* The next entry never used joins the free stack (zeroed: generation 0). */
		t->e[t->fresh].handle.idx = t->fresh;
		free_push(t, t->fresh++);
	}
	idx = t->free_top;
	e = &t->e[idx];
	gen = e->handle.gen + 1;
	memcpy(&next_free, e->mnid_id, sizeof(next_free));
	memset(e, 0, sizeof(*e));
	if (!mnid_store(t, e, mnid)) {
		e->handle.idx = idx;
		e->handle.gen = gen - 1; /* still free */
		memcpy(e->mnid_id, &next_free, sizeof(next_free));
		return NULL;
	}
	/* Cannot fail: the index holds up to capacity references. */
	(void)dmm_hidx_insert(&t->by_mnid, mnid_hash(t, mnid), idx);
	t->free_top = next_free;
	e->handle.idx = idx;
	e->handle.gen = gen;
	if (t->lists)
		memset(&t->lists[idx], 0, sizeof(t->lists[idx]));
	t->count++;
	t->state_count[DMM_BCE_ACTIVE]++; /* zeroed: state DMM_BCE_ACTIVE */
	if (out)
		*out = e->handle;
	return e;
}

void dmm_bcache_del(struct dmm_bcache *t, struct dmm_bcache_entry *e)
{
	uint32_t idx = e->handle.idx, m, next;

	if (!live(e))
		return;
	t->state_count[e->state]--;
	for (unsigned i = 0; i < e->n_hnp; i++)
		dmm_hidx_remove(&t->by_prefix, prefix_hash(t, dmm_bce_hnp(e, i)), idx);
	for (m = e->more; m; m = next) {
		next = t->more[m - 1].next;
		t->more[m - 1].next = t->more_free;
		t->more_free = m;
	}
	(void)dmm_bcache_set_llid(t, e, NULL, 0);
	dmm_hidx_remove(&t->by_mnid, entry_mnid_hash(t, e), idx);
	if (e->mnid_len > DMM_BCE_MNID_INLINE)
		dmm_arena_put(t->arena, (void *)(uintptr_t)dmm_bce_mnid_bytes(e), e->mnid_len);
	dmm_addrtab_drop(&t->addrs, e->pcoa_n);
	e->pcoa_n = 0;
	e->mnid_len = 0;
	e->more = 0;
	e->n_hnp = 0;
	e->handle.gen++;
	t->count--;
	free_push(t, idx);
}

struct dmm_bcache_entry *dmm_bcache_get(const struct dmm_bcache *t, struct dmm_handle h)
{
	struct dmm_bcache_entry *e;

	if (h.idx >= t->capacity)
		return NULL;
	e = &t->e[h.idx];
	return live(e) && e->handle.gen == h.gen ? e : NULL;
}

const struct dmm_mnid *dmm_bce_mnid(const struct dmm_bcache_entry *e, struct dmm_mnid *buf)
{
	buf->subtype = e->mnid_subtype;
	buf->len = e->mnid_len;
	memcpy(buf->id, dmm_bce_mnid_bytes(e), e->mnid_len);
	return buf;
}

/*
 * The n octets at a and b are equal. Reads those octets only: a library
 * memcmp() may load a whole vector past a short inline MN-ID, into the
 * next part of the entry and, for half the entries, the next cache line.
 */
static bool octets_eq(const uint8_t *a, const uint8_t *b, unsigned n)
{
	uint8_t d = 0;

	for (unsigned i = 0; i < n; i++)
		d |= a[i] ^ b[i];
	return d == 0;
}

bool dmm_bce_mnid_eq(const struct dmm_bcache_entry *e, const struct dmm_mnid *id)
{
	return e->mnid_subtype == id->subtype && e->mnid_len == id->len &&
	       octets_eq(dmm_bce_mnid_bytes(e), id->id, id->len);
}

static bool bytes_eq_entry(const struct dmm_bcache_entry *a, const struct dmm_bcache_entry *b)
{
	return a->mnid_subtype == b->mnid_subtype && a->mnid_len == b->mnid_len &&
	       octets_eq(dmm_bce_mnid_bytes(a), dmm_bce_mnid_bytes(b), a->mnid_len);
}

const struct dmm_prefix *dmm_bce_hnp(const struct dmm_bcache_entry *e, unsigned i)
{
	const struct dmm_bce_more *m;

	if (i == 0)
		return &e->hnp0;
	if (i >= e->n_hnp)
		return NULL;
	m = node_of(e, e->more);
	while (--i)
		m = node_of(e, m->next);
	return &m->p;
}

unsigned dmm_bce_hnps(const struct dmm_bcache_entry *e, struct dmm_prefix out[DMM_BCE_MAX_HNP])
{
	uint32_t m = e->more;

	if (e->n_hnp)
		out[0] = e->hnp0;
	for (unsigned i = 1; i < e->n_hnp; i++, m = node_of(e, m)->next)
		out[i] = node_of(e, m)->p;
	return e->n_hnp;
}

void dmm_bcache_prefetch(const struct dmm_bcache *t, const struct dmm_mnid *mnid,
			 const struct dmm_prefix *prefix)
{
	if (mnid)
		dmm_hidx_prefetch(&t->by_mnid, mnid_hash(t, mnid));
	if (prefix)
		dmm_hidx_prefetch(&t->by_prefix, prefix_hash(t, prefix));
}

uint32_t dmm_bcache_hash_mnid(const struct dmm_bcache *t, const struct dmm_mnid *mnid)
{
	return mnid_hash(t, mnid);
}

uint32_t dmm_bcache_hash_prefix(const struct dmm_bcache *t, const struct dmm_prefix *prefix)
{
	return prefix_hash(t, prefix);
}

void dmm_bcache_prefetch_h(const struct dmm_bcache *t, const uint32_t *mnid_h, const uint32_t *prefix_h)
{
	if (mnid_h)
		dmm_hidx_prefetch(&t->by_mnid, *mnid_h);
	if (prefix_h)
		dmm_hidx_prefetch(&t->by_prefix, *prefix_h);
}

/* The first slot x names under h, both lines of its entry on their way; DMM_HIDX_NONE when none. */
static uint32_t fetch_candidate(const struct dmm_bcache *t, const struct dmm_hidx *x, uint32_t h)
{
	uint32_t pos, ref = dmm_hidx_first(x, h, &pos);

	if (ref != DMM_HIDX_NONE) {
		__builtin_prefetch(&t->e[ref]);
		__builtin_prefetch((const char *)&t->e[ref] + sizeof(t->e[ref]) - 1);
	}
	return ref;
}

uint32_t dmm_bcache_fetch_prefix_candidate(const struct dmm_bcache *t, uint32_t prefix_h)
{
	return fetch_candidate(t, &t->by_prefix, prefix_h);
}

uint32_t dmm_bcache_fetch_mnid_candidate(const struct dmm_bcache *t, uint32_t mnid_h)
{
	return fetch_candidate(t, &t->by_mnid, mnid_h);
}

struct dmm_bcache_entry *dmm_bcache_find_mnid(const struct dmm_bcache *t, const struct dmm_mnid *mnid)
{
	return dmm_bcache_find_mnid_h(t, mnid, mnid_hash(t, mnid));
}

struct dmm_bcache_entry *dmm_bcache_find_mnid_h(const struct dmm_bcache *t, const struct dmm_mnid *mnid,
						uint32_t h)
{
	uint32_t pos, ref;

	for (ref = dmm_hidx_first(&t->by_mnid, h, &pos); ref != DMM_HIDX_NONE;
	     ref = dmm_hidx_next(&t->by_mnid, h, &pos))
		if (dmm_bce_mnid_eq(&t->e[ref], mnid))
			return &t->e[ref];
	return NULL;
}

struct dmm_bcache_entry *dmm_bcache_find_mnid_next(const struct dmm_bcache *t,
						   const struct dmm_bcache_entry *cur)
{
	return dmm_bcache_find_mnid_next_h(t, cur, entry_mnid_hash(t, cur));
}

struct dmm_bcache_entry *dmm_bcache_find_mnid_next_h(const struct dmm_bcache *t,
						     const struct dmm_bcache_entry *cur, uint32_t h)
{
	uint32_t pos, ref;
	bool after = false;

	/* Find cur in its probe chain, then the next entry with its MN-ID. */
	for (ref = dmm_hidx_first(&t->by_mnid, h, &pos); ref != DMM_HIDX_NONE;
	     ref = dmm_hidx_next(&t->by_mnid, h, &pos)) {
		if (after && bytes_eq_entry(&t->e[ref], cur))
			return &t->e[ref];
		after |= ref == cur->handle.idx;
	}
	return NULL;
}

/* Position of prefix in e's HNP list, or -1. */
static int hnp_pos(const struct dmm_bcache_entry *e, const struct dmm_prefix *prefix)
{
	uint32_t m;

	/* Only the second part of e unless the prefix is not the first HNP. */
	if (e->n_hnp == 0)
		return -1;
	if (dmm_prefix_eq(&e->hnp0, prefix))
		return 0;
	m = e->more;
	for (int i = 1; m; i++, m = node_of(e, m)->next)
		if (dmm_prefix_eq(&node_of(e, m)->p, prefix))
			return i;
	return -1;
}

struct dmm_bcache_entry *dmm_bcache_find_prefix(const struct dmm_bcache *t, const struct dmm_prefix *prefix)
{
	return dmm_bcache_find_prefix_h(t, prefix, prefix_hash(t, prefix));
}

struct dmm_bcache_entry *dmm_bcache_find_prefix_h(const struct dmm_bcache *t, const struct dmm_prefix *prefix,
						  uint32_t h)
{
	uint32_t pos, ref;

	for (ref = dmm_hidx_first(&t->by_prefix, h, &pos); ref != DMM_HIDX_NONE;
	     ref = dmm_hidx_next(&t->by_prefix, h, &pos))
		if (hnp_pos(&t->e[ref], prefix) >= 0)
			return &t->e[ref];
	return NULL;
}

int dmm_bcache_add_prefix(struct dmm_bcache *t, struct dmm_bcache_entry *e, const struct dmm_prefix *prefix)
{
	uint32_t m, *tail;
	int err;

	if (prefix->len > 128)
		return DMM_ERR_PREFIX_LEN;
	if (dmm_bcache_find_prefix(t, prefix))
		return DMM_ERR_EXISTS;
	if (!t->more_free && t->more_fresh < t->more_cap)
		t->more_free = ++t->more_fresh; /* zeroed: next 0 */
	if (e->n_hnp >= DMM_BCE_MAX_HNP || (e->n_hnp && !t->more_free))
		return DMM_ERR_NOMEM;
	err = dmm_hidx_insert(&t->by_prefix, prefix_hash(t, prefix), e->handle.idx);
	if (err)
		return err;
	if (e->n_hnp == 0) {
		e->hnp0 = *prefix;
	} else {
		m = t->more_free;
		t->more_free = t->more[m - 1].next;
		t->more[m - 1].next = 0;
		t->more[m - 1].p = *prefix;
		for (tail = &e->more; *tail; tail = &t->more[*tail - 1].next)
			;
		*tail = m;
	}
	e->n_hnp++;
	return 0;
}

int dmm_bcache_del_prefix(struct dmm_bcache *t, struct dmm_bcache_entry *e, const struct dmm_prefix *prefix)
{
	int i = hnp_pos(e, prefix);
	uint32_t *link = &e->more, m;

	if (i < 0)
		return DMM_ERR_NOTFOUND;
	dmm_hidx_remove(&t->by_prefix, prefix_hash(t, prefix), e->handle.idx);
	/* Order is kept: the second HNP moves into the entry, or the node goes. */
	if (i == 0 && e->more)
		e->hnp0 = t->more[e->more - 1].p;
	for (int k = 1; k < i; k++)
		link = &t->more[*link - 1].next;
	m = *link;
	if (m) {
		*link = t->more[m - 1].next;
		t->more[m - 1].next = t->more_free;
		t->more_free = m;
	}
	e->n_hnp--;
	return 0;
}

static const uint8_t *llid_bytes(const struct dmm_bcache_entry *e)
{
	const uint8_t *out;

	if (e->llid_len <= DMM_BCE_LLID_INLINE)
		return e->llid_b;
	memcpy(&out, e->llid_b, sizeof(out)); /* a pointer into the arena, stored unaligned */
	return out;
}

const struct dmm_llid *dmm_bce_llid(const struct dmm_bcache_entry *e, struct dmm_llid *buf)
{
	buf->len = e->llid_len;
	memcpy(buf->b, llid_bytes(e), e->llid_len);
	return buf;
}

int dmm_bcache_set_llid(struct dmm_bcache *t, struct dmm_bcache_entry *e, const uint8_t *b, unsigned len)
{
	uint8_t *dst = e->llid_b;

	if (e->llid_len > DMM_BCE_LLID_INLINE)
		dmm_arena_put(t->arena, (void *)(uintptr_t)llid_bytes(e), e->llid_len);
	e->llid_len = 0;
	if (len > DMM_LLID_MAX)
		len = DMM_LLID_MAX;
	if (len > DMM_BCE_LLID_INLINE) {
		dst = t->arena ? dmm_arena_get(t->arena, len) : NULL;
		if (!dst)
			return DMM_ERR_NOMEM;
		memcpy(e->llid_b, &dst, sizeof(dst));
	}
	if (len)
		memcpy(dst, b, len);
	e->llid_len = (uint8_t)len;
	return 0;
}

int dmm_bcache_set_pcoa(struct dmm_bcache *t, struct dmm_bcache_entry *e, const struct dmm_addr *pcoa)
{
	uint32_t n = dmm_addrtab_hold(&t->addrs, pcoa);

	if (n == DMM_ADDRTAB_FULL)
		return DMM_ERR_NOMEM;
	dmm_addrtab_drop(&t->addrs, e->pcoa_n);
	e->pcoa_n = n;
	return 0;
}

bool dmm_bcache_pcoa_room(const struct dmm_bcache *t, const struct dmm_addr *pcoa)
{
	return dmm_addrtab_room(&t->addrs, pcoa);
}

enum dmm_bce_state dmm_bcache_set_state(struct dmm_bcache *t, struct dmm_bcache_entry *e,
					enum dmm_bce_state to)
{
	enum dmm_bce_state old = e->state;

	if ((unsigned)to >= DMM_BCE_NSTATES)
		return old;
	t->state_count[old]--;
	t->state_count[to]++;
	e->state = (uint8_t)to;
	return old;
}

const char *dmm_bce_state_name(enum dmm_bce_state s)
{
	static const char *const names[DMM_BCE_NSTATES] = {
		[DMM_BCE_ACTIVE] = "ACTIVE",
		[DMM_BCE_DEREG_WAIT] = "DEREG_WAIT",
		[DMM_BCE_HANDOFF_WAIT] = "HANDOFF_WAIT",
	};

	return (unsigned)s < DMM_BCE_NSTATES ? names[s] : "?";
}

struct dmm_bcache_entry *dmm_bcache_next(const struct dmm_bcache *t, const struct dmm_bcache_entry *prev)
{
	uint32_t i = prev ? prev->handle.idx + 1 : 0;

	for (; i < t->fresh; i++)
		if (live(&t->e[i]))
			return &t->e[i];
	return NULL;
}

uint32_t dmm_bcache_count(const struct dmm_bcache *t)
{
	return t->count;
}

uint32_t dmm_bcache_count_state(const struct dmm_bcache *t, enum dmm_bce_state s)
{
	return (unsigned)s < DMM_BCE_NSTATES ? t->state_count[s] : 0;
}

uint32_t dmm_bcache_capacity(const struct dmm_bcache *t)
{
	return t->capacity;
}

uint32_t dmm_bcache_prefix_room(const struct dmm_bcache *t)
{
	const struct dmm_hidx *x = &t->by_prefix;

	return x->limit > x->count ? x->limit - x->count : 0;
}

size_t dmm_bcache_arena_used(const struct dmm_bcache *t)
{
	return t->arena ? dmm_arena_used(t->arena) : 0;
}

size_t dmm_bcache_bytes(const struct dmm_bcache *t)
{
	return sizeof(*t) + (size_t)t->capacity * sizeof(*t->e) + 2 * LINE - 1 + dmm_hidx_bytes(&t->by_mnid) +
	       dmm_hidx_bytes(&t->by_prefix) + (size_t)t->more_cap * sizeof(*t->more) +
	       (t->lists ? t->capacity * sizeof(*t->lists) : 0) + (t->arena ? dmm_arena_bytes(t->arena) : 0) +
	       dmm_addrtab_bytes(&t->addrs);
}
