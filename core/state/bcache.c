/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Binding cache (RFC 5213 §5.1, RFC 8885 §3.2).
 *
 * Layout: one array of entries allocated at creation, a stack of free
 * slot numbers, and two dmm_hidx indexes (MN-ID → slot, HNP → slot) sized
 * for a load factor of at most 0.5. A slot is live while its generation
 * is odd: adding and deleting each bump it, so handles of a deleted entry
 * never match again (until the 32-bit counter wraps, 2^31 reuses later).
 */
#include "dmm/bcache.h"
#include "dmm/err.h"

struct dmm_bcache {
	struct dmm_alloc alloc;
	uint64_t seed;
	uint32_t capacity;
	uint32_t count;
	uint32_t nfree;
	uint32_t state_count[DMM_BCE_NSTATES];
	struct dmm_bcache_entry *e;
	uint32_t *free_stack;
	struct dmm_hidx by_mnid;
	struct dmm_hidx by_prefix;
};

static inline bool live(const struct dmm_bcache_entry *e)
{
	return e->handle.gen & 1;
}

static inline uint32_t mnid_hash(const struct dmm_bcache *bc, const struct dmm_mnid *id)
{
	return (uint32_t)dmm_hash_mnid(bc->seed, id);
}

static inline uint32_t prefix_hash(const struct dmm_bcache *bc, const struct dmm_prefix *p)
{
	return (uint32_t)dmm_hash_prefix(bc->seed, p);
}

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

struct dmm_bcache *dmm_bcache_new(const struct dmm_alloc *a, uint32_t capacity, uint32_t prefix_capacity,
				  uint64_t seed)
{
	struct dmm_bcache *bc;

	if (!a || !a->zalloc || !a->free || capacity == 0 || capacity > (1u << 30))
		return NULL;
	if (prefix_capacity == 0)
		prefix_capacity = capacity;
	bc = a->zalloc(a->ctx, sizeof(*bc));
	if (!bc)
		goto err_bc;
	bc->alloc = *a;
	bc->seed = seed;
	bc->capacity = capacity;
	bc->e = a->zalloc(a->ctx, (size_t)capacity * sizeof(*bc->e));
	if (!bc->e)
		goto err_entries;
	bc->free_stack = a->zalloc(a->ctx, (size_t)capacity * sizeof(*bc->free_stack));
	if (!bc->free_stack)
		goto err_stack;
	if (dmm_hidx_init(&bc->by_mnid, a, capacity))
		goto err_mnid;
	if (dmm_hidx_init(&bc->by_prefix, a, prefix_capacity))
		goto err_prefix;
	/* Pop order 0, 1, 2, ... so a fresh table fills from the front. */
	for (uint32_t i = 0; i < capacity; i++) {
		bc->free_stack[i] = capacity - 1 - i;
		bc->e[i].handle.idx = i;
	}
	bc->nfree = capacity;
	return bc;

err_prefix:
	dmm_hidx_fini(&bc->by_mnid, a);
err_mnid:
	a->free(a->ctx, bc->free_stack);
err_stack:
	a->free(a->ctx, bc->e);
err_entries:
	a->free(a->ctx, bc);
err_bc:
	return NULL;
}

void dmm_bcache_free(struct dmm_bcache *bc)
{
	struct dmm_alloc a;

	if (!bc)
		return;
	a = bc->alloc;
	dmm_hidx_fini(&bc->by_prefix, &a);
	dmm_hidx_fini(&bc->by_mnid, &a);
	a.free(a.ctx, bc->free_stack);
	a.free(a.ctx, bc->e);
	a.free(a.ctx, bc);
}

struct dmm_bcache_entry *dmm_bcache_add(struct dmm_bcache *bc, const struct dmm_mnid *mnid,
					struct dmm_handle *out)
{
	struct dmm_bcache_entry *e;
	uint32_t idx, gen;

	if (!mnid->len || bc->nfree == 0)
		return NULL;
	idx = bc->free_stack[bc->nfree - 1];
	/* Cannot fail: the index holds up to capacity references. */
	if (dmm_hidx_insert(&bc->by_mnid, mnid_hash(bc, mnid), idx))
		return NULL;
	bc->nfree--;
	e = &bc->e[idx];
	gen = e->handle.gen + 1;
	*e = (struct dmm_bcache_entry){0};
	e->handle.idx = idx;
	e->handle.gen = gen;
	e->state = DMM_BCE_ACTIVE;
	e->mnid.subtype = mnid->subtype;
	e->mnid.len = mnid->len;
	for (unsigned i = 0; i < mnid->len; i++)
		e->mnid.id[i] = mnid->id[i];
	bc->count++;
	bc->state_count[DMM_BCE_ACTIVE]++;
	if (out)
		*out = e->handle;
	return e;
}

void dmm_bcache_del(struct dmm_bcache *bc, struct dmm_bcache_entry *e)
{
	uint32_t idx = e->handle.idx;

	if (!live(e))
		return;
	for (unsigned i = 0; i < e->n_hnp; i++)
		dmm_hidx_remove(&bc->by_prefix, prefix_hash(bc, &e->hnp[i]), idx);
	dmm_hidx_remove(&bc->by_mnid, mnid_hash(bc, &e->mnid), idx);
	bc->state_count[e->state]--;
	bc->count--;
	e->handle.gen++;
	e->n_hnp = 0;
	bc->free_stack[bc->nfree++] = idx;
}

struct dmm_bcache_entry *dmm_bcache_get(const struct dmm_bcache *bc, struct dmm_handle h)
{
	struct dmm_bcache_entry *e;

	if (h.idx >= bc->capacity)
		return NULL;
	e = &bc->e[h.idx];
	return live(e) && e->handle.gen == h.gen ? e : NULL;
}

static struct dmm_bcache_entry *mnid_walk(const struct dmm_bcache *bc, const struct dmm_mnid *mnid,
					  uint32_t h, uint32_t *pos)
{
	uint32_t ref;

	while ((ref = dmm_hidx_next(&bc->by_mnid, h, pos)) != DMM_HIDX_NONE)
		if (dmm_mnid_eq(&bc->e[ref].mnid, mnid))
			return &bc->e[ref];
	return NULL;
}

struct dmm_bcache_entry *dmm_bcache_find_mnid(const struct dmm_bcache *bc, const struct dmm_mnid *mnid)
{
	uint32_t h = mnid_hash(bc, mnid), pos = h;

	return mnid_walk(bc, mnid, h, &pos);
}

struct dmm_bcache_entry *dmm_bcache_find_mnid_next(const struct dmm_bcache *bc,
						   const struct dmm_bcache_entry *cur)
{
	uint32_t h = mnid_hash(bc, &cur->mnid), pos = h, ref;

	/* Find cur in its probe chain, then continue after it. */
	while ((ref = dmm_hidx_next(&bc->by_mnid, h, &pos)) != DMM_HIDX_NONE)
		if (ref == cur->handle.idx)
			return mnid_walk(bc, &cur->mnid, h, &pos);
	return NULL;
}

struct dmm_bcache_entry *dmm_bcache_find_prefix(const struct dmm_bcache *bc, const struct dmm_prefix *prefix)
{
	uint32_t h = prefix_hash(bc, prefix), pos = h, ref;

	while ((ref = dmm_hidx_next(&bc->by_prefix, h, &pos)) != DMM_HIDX_NONE) {
		const struct dmm_bcache_entry *e = &bc->e[ref];

		for (unsigned i = 0; i < e->n_hnp; i++)
			if (dmm_prefix_eq(&e->hnp[i], prefix))
				return &bc->e[ref];
	}
	return NULL;
}

int dmm_bcache_add_prefix(struct dmm_bcache *bc, struct dmm_bcache_entry *e, const struct dmm_prefix *prefix)
{
	int err;

	if (prefix->len > 128)
		return DMM_ERR_PREFIX_LEN;
	if (dmm_bcache_find_prefix(bc, prefix))
		return DMM_ERR_EXISTS;
	if (e->n_hnp >= DMM_BCE_MAX_HNP)
		return DMM_ERR_NOMEM;
	err = dmm_hidx_insert(&bc->by_prefix, prefix_hash(bc, prefix), e->handle.idx);
	if (err)
		return err;
	e->hnp[e->n_hnp++] = *prefix;
	return 0;
}

int dmm_bcache_del_prefix(struct dmm_bcache *bc, struct dmm_bcache_entry *e, const struct dmm_prefix *prefix)
{
	for (unsigned i = 0; i < e->n_hnp; i++) {
		if (!dmm_prefix_eq(&e->hnp[i], prefix))
			continue;
		dmm_hidx_remove(&bc->by_prefix, prefix_hash(bc, prefix), e->handle.idx);
		for (; i + 1 < e->n_hnp; i++)
			e->hnp[i] = e->hnp[i + 1];
		e->n_hnp--;
		return 0;
	}
	return DMM_ERR_NOTFOUND;
}

enum dmm_bce_state dmm_bcache_set_state(struct dmm_bcache *bc, struct dmm_bcache_entry *e,
					enum dmm_bce_state to)
{
	enum dmm_bce_state old = e->state;

	if ((unsigned)to >= DMM_BCE_NSTATES)
		return old;
	bc->state_count[old]--;
	bc->state_count[to]++;
	e->state = to;
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

struct dmm_bcache_entry *dmm_bcache_next(const struct dmm_bcache *bc, const struct dmm_bcache_entry *prev)
{
	uint32_t i = prev ? (uint32_t)(prev - bc->e) + 1 : 0;

	for (; i < bc->capacity; i++)
		if (live(&bc->e[i]))
			return &bc->e[i];
	return NULL;
}

uint32_t dmm_bcache_count(const struct dmm_bcache *bc)
{
	return bc->count;
}

uint32_t dmm_bcache_count_state(const struct dmm_bcache *bc, enum dmm_bce_state s)
{
	return (unsigned)s < DMM_BCE_NSTATES ? bc->state_count[s] : 0;
}

uint32_t dmm_bcache_capacity(const struct dmm_bcache *bc)
{
	return bc->capacity;
}

size_t dmm_bcache_bytes(const struct dmm_bcache *bc)
{
	return sizeof(*bc) + (size_t)bc->capacity * (sizeof(*bc->e) + sizeof(*bc->free_stack)) +
	       dmm_hidx_bytes(&bc->by_mnid) + dmm_hidx_bytes(&bc->by_prefix);
}
