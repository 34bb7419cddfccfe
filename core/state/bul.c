/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Binding update list (RFC 5213 §6.1). The same layout as the binding
 * cache (bcache.c): an entry array, a free stack, MN-ID and prefix
 * indexes at load factor <= 0.5, odd generation = live slot.
 */
#include "dmm/bul.h"
#include "dmm/err.h"

struct dmm_bul {
	struct dmm_alloc alloc;
	uint64_t seed;
	uint32_t capacity;
	uint32_t count;
	uint32_t nfree;
	uint32_t state_count[DMM_BUL_NSTATES];
	struct dmm_bul_entry *e;
	uint32_t *free_stack;
	struct dmm_hidx by_mnid;
	struct dmm_hidx by_prefix;
};

static inline bool live(const struct dmm_bul_entry *e)
{
	return e->handle.gen & 1;
}

static inline uint32_t mnid_hash(const struct dmm_bul *bul, const struct dmm_mnid *id)
{
	return (uint32_t)dmm_hash_mnid(bul->seed, id);
}

static inline uint32_t prefix_hash(const struct dmm_bul *bul, const struct dmm_prefix *p)
{
	return (uint32_t)dmm_hash_prefix(bul->seed, p);
}

struct dmm_bul *dmm_bul_new(const struct dmm_alloc *a, uint32_t capacity, uint32_t prefix_capacity,
			    uint64_t seed)
{
	struct dmm_bul *bul;

	if (!a || !a->zalloc || !a->free || capacity == 0 || capacity > (1u << 30))
		return NULL;
	if (prefix_capacity == 0)
		prefix_capacity = capacity;
	bul = a->zalloc(a->ctx, sizeof(*bul));
	if (!bul)
		goto err_bul;
	bul->alloc = *a;
	bul->seed = seed;
	bul->capacity = capacity;
	bul->e = a->zalloc(a->ctx, (size_t)capacity * sizeof(*bul->e));
	if (!bul->e)
		goto err_entries;
	bul->free_stack = a->zalloc(a->ctx, (size_t)capacity * sizeof(*bul->free_stack));
	if (!bul->free_stack)
		goto err_stack;
	if (dmm_hidx_init(&bul->by_mnid, a, capacity))
		goto err_mnid;
	if (dmm_hidx_init(&bul->by_prefix, a, prefix_capacity))
		goto err_prefix;
	/* Pop order 0, 1, 2, ... so a fresh table fills from the front. */
	for (uint32_t i = 0; i < capacity; i++) {
		bul->free_stack[i] = capacity - 1 - i;
		bul->e[i].handle.idx = i;
	}
	bul->nfree = capacity;
	return bul;

err_prefix:
	dmm_hidx_fini(&bul->by_mnid, a);
err_mnid:
	a->free(a->ctx, bul->free_stack);
err_stack:
	a->free(a->ctx, bul->e);
err_entries:
	a->free(a->ctx, bul);
err_bul:
	return NULL;
}

void dmm_bul_free(struct dmm_bul *bul)
{
	struct dmm_alloc a;

	if (!bul)
		return;
	a = bul->alloc;
	dmm_hidx_fini(&bul->by_prefix, &a);
	dmm_hidx_fini(&bul->by_mnid, &a);
	a.free(a.ctx, bul->free_stack);
	a.free(a.ctx, bul->e);
	a.free(a.ctx, bul);
}

struct dmm_bul_entry *dmm_bul_add(struct dmm_bul *bul, const struct dmm_mnid *mnid, struct dmm_handle *out)
{
	struct dmm_bul_entry *e;
	uint32_t idx, gen;

	if (!mnid->len || bul->nfree == 0)
		return NULL;
	idx = bul->free_stack[bul->nfree - 1];
	/* Cannot fail: the index holds up to capacity references. */
	if (dmm_hidx_insert(&bul->by_mnid, mnid_hash(bul, mnid), idx))
		return NULL;
	bul->nfree--;
	e = &bul->e[idx];
	gen = e->handle.gen + 1;
	*e = (struct dmm_bul_entry){0};
	e->handle.idx = idx;
	e->handle.gen = gen;
	e->state = DMM_BUL_IDLE;
	e->mnid.subtype = mnid->subtype;
	e->mnid.len = mnid->len;
	for (unsigned i = 0; i < mnid->len; i++)
		e->mnid.id[i] = mnid->id[i];
	bul->count++;
	bul->state_count[DMM_BUL_IDLE]++;
	if (out)
		*out = e->handle;
	return e;
}

void dmm_bul_del(struct dmm_bul *bul, struct dmm_bul_entry *e)
{
	uint32_t idx = e->handle.idx;

	if (!live(e))
		return;
	for (unsigned i = 0; i < e->n_hnp; i++)
		dmm_hidx_remove(&bul->by_prefix, prefix_hash(bul, &e->hnp[i]), idx);
	dmm_hidx_remove(&bul->by_mnid, mnid_hash(bul, &e->mnid), idx);
	bul->state_count[e->state]--;
	bul->count--;
	e->handle.gen++;
	e->n_hnp = 0;
	bul->free_stack[bul->nfree++] = idx;
}

struct dmm_bul_entry *dmm_bul_get(const struct dmm_bul *bul, struct dmm_handle h)
{
	struct dmm_bul_entry *e;

	if (h.idx >= bul->capacity)
		return NULL;
	e = &bul->e[h.idx];
	return live(e) && e->handle.gen == h.gen ? e : NULL;
}

static struct dmm_bul_entry *mnid_walk(const struct dmm_bul *bul, const struct dmm_mnid *mnid, uint32_t h,
				       uint32_t *pos)
{
	uint32_t ref;

	while ((ref = dmm_hidx_next(&bul->by_mnid, h, pos)) != DMM_HIDX_NONE)
		if (dmm_mnid_eq(&bul->e[ref].mnid, mnid))
			return &bul->e[ref];
	return NULL;
}

struct dmm_bul_entry *dmm_bul_find_mnid(const struct dmm_bul *bul, const struct dmm_mnid *mnid)
{
	uint32_t h = mnid_hash(bul, mnid), pos = h;

	return mnid_walk(bul, mnid, h, &pos);
}

struct dmm_bul_entry *dmm_bul_find_mnid_next(const struct dmm_bul *bul, const struct dmm_bul_entry *cur)
{
	uint32_t h = mnid_hash(bul, &cur->mnid), pos = h, ref;

	/* Find cur in its probe chain, then continue after it. */
	while ((ref = dmm_hidx_next(&bul->by_mnid, h, &pos)) != DMM_HIDX_NONE)
		if (ref == cur->handle.idx)
			return mnid_walk(bul, &cur->mnid, h, &pos);
	return NULL;
}

struct dmm_bul_entry *dmm_bul_find_prefix(const struct dmm_bul *bul, const struct dmm_prefix *prefix)
{
	uint32_t h = prefix_hash(bul, prefix), pos = h, ref;

	while ((ref = dmm_hidx_next(&bul->by_prefix, h, &pos)) != DMM_HIDX_NONE) {
		const struct dmm_bul_entry *e = &bul->e[ref];

		for (unsigned i = 0; i < e->n_hnp; i++)
			if (dmm_prefix_eq(&e->hnp[i], prefix))
				return &bul->e[ref];
	}
	return NULL;
}

int dmm_bul_add_prefix(struct dmm_bul *bul, struct dmm_bul_entry *e, const struct dmm_prefix *prefix)
{
	int err;

	if (prefix->len > 128)
		return DMM_ERR_PREFIX_LEN;
	if (dmm_bul_find_prefix(bul, prefix))
		return DMM_ERR_EXISTS;
	if (e->n_hnp >= DMM_BUL_MAX_HNP)
		return DMM_ERR_NOMEM;
	err = dmm_hidx_insert(&bul->by_prefix, prefix_hash(bul, prefix), e->handle.idx);
	if (err)
		return err;
	e->hnp[e->n_hnp++] = *prefix;
	return 0;
}

int dmm_bul_del_prefix(struct dmm_bul *bul, struct dmm_bul_entry *e, const struct dmm_prefix *prefix)
{
	for (unsigned i = 0; i < e->n_hnp; i++) {
		if (!dmm_prefix_eq(&e->hnp[i], prefix))
			continue;
		dmm_hidx_remove(&bul->by_prefix, prefix_hash(bul, prefix), e->handle.idx);
		for (; i + 1 < e->n_hnp; i++)
			e->hnp[i] = e->hnp[i + 1];
		e->n_hnp--;
		return 0;
	}
	return DMM_ERR_NOTFOUND;
}

enum dmm_bul_state dmm_bul_set_state(struct dmm_bul *bul, struct dmm_bul_entry *e, enum dmm_bul_state to)
{
	enum dmm_bul_state old = e->state;

	if ((unsigned)to >= DMM_BUL_NSTATES)
		return old;
	bul->state_count[old]--;
	bul->state_count[to]++;
	e->state = to;
	return old;
}

const char *dmm_bul_state_name(enum dmm_bul_state s)
{
	static const char *const names[DMM_BUL_NSTATES] = {
		[DMM_BUL_IDLE] = "IDLE",
		[DMM_BUL_WAIT_PBA] = "WAIT_PBA",
		[DMM_BUL_REGISTERED] = "REGISTERED",
		[DMM_BUL_DEREG_WAIT] = "DEREG_WAIT",
	};

	return (unsigned)s < DMM_BUL_NSTATES ? names[s] : "?";
}

struct dmm_bul_entry *dmm_bul_next(const struct dmm_bul *bul, const struct dmm_bul_entry *prev)
{
	uint32_t i = prev ? (uint32_t)(prev - bul->e) + 1 : 0;

	for (; i < bul->capacity; i++)
		if (live(&bul->e[i]))
			return &bul->e[i];
	return NULL;
}

uint32_t dmm_bul_count(const struct dmm_bul *bul)
{
	return bul->count;
}

uint32_t dmm_bul_count_state(const struct dmm_bul *bul, enum dmm_bul_state s)
{
	return (unsigned)s < DMM_BUL_NSTATES ? bul->state_count[s] : 0;
}

uint32_t dmm_bul_capacity(const struct dmm_bul *bul)
{
	return bul->capacity;
}

size_t dmm_bul_bytes(const struct dmm_bul *bul)
{
	return sizeof(*bul) + (size_t)bul->capacity * (sizeof(*bul->e) + sizeof(*bul->free_stack)) +
	       dmm_hidx_bytes(&bul->by_mnid) + dmm_hidx_bytes(&bul->by_prefix);
}
