/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stddef.h>
#include <string.h>

#include "dmm/err.h"
#include "keyed.h"

static uint8_t *ent(const struct keyed *k, uint32_t i)
{
	return k->e + (size_t)i * k->L->size;
}

static struct dmm_handle *handle_of(const struct keyed *k, const void *e)
{
	return (struct dmm_handle *)((uint8_t *)(uintptr_t)e + k->L->off_handle);
}

static struct dmm_mnid *mnid_of(const struct keyed *k, const void *e)
{
	return (struct dmm_mnid *)((uint8_t *)(uintptr_t)e + k->L->off_mnid);
}

static uint8_t *nhnp_of(const struct keyed *k, const void *e)
{
	return (uint8_t *)(uintptr_t)e + k->L->off_nhnp;
}

static struct dmm_prefix *hnp_of(const struct keyed *k, const void *e)
{
	return (struct dmm_prefix *)((uint8_t *)(uintptr_t)e + k->L->off_hnp);
}

/*
 * The hashes, remembered for the last key of each kind (the memo is not
 * part of the table's contents, so lookups through a const table keep
 * it too). An MN-ID of length 0 is never stored, so the zeroed memo
 * matches nothing at first.
 */
static uint32_t mnid_hash(const struct keyed *k, const struct dmm_mnid *id)
{
	struct keyed *m = (struct keyed *)(uintptr_t)k;

	if (id->len && dmm_mnid_eq(&m->memo_mnid, id))
		return m->memo_mnid_hash;
	m->memo_mnid_hash = (uint32_t)dmm_hash_mnid(k->seed, id);
	m->memo_mnid.subtype = id->subtype;
	m->memo_mnid.len = id->len;
	memcpy(m->memo_mnid.id, id->id, id->len);
	return m->memo_mnid_hash;
}

static uint32_t prefix_hash(const struct keyed *k, const struct dmm_prefix *p)
{
	struct keyed *m = (struct keyed *)(uintptr_t)k;

	if (m->memo_prefix.len && dmm_prefix_eq(&m->memo_prefix, p))
		return m->memo_prefix_hash;
	m->memo_prefix_hash = (uint32_t)dmm_hash_prefix(k->seed, p);
	m->memo_prefix = *p;
	return m->memo_prefix_hash;
}

bool keyed_live(const struct keyed *k, const void *e)
{
	return handle_of(k, e)->gen & 1;
}

int keyed_init(struct keyed *k, const struct dmm_alloc *a, uint32_t capacity, uint32_t prefix_capacity,
	       uint64_t seed, const struct keyed_layout *L)
{
	memset(k, 0, sizeof(*k));
	if (!a || !a->zalloc || !a->free || capacity == 0 || capacity > (1u << 30))
		return DMM_ERR_INVAL;
	k->alloc = *a;
	k->L = L;
	k->seed = seed;
	k->capacity = capacity;
	k->e = a->zalloc(a->ctx, (size_t)capacity * L->size);
	if (!k->e)
		goto err_entries;
	k->free_stack = a->zalloc(a->ctx, (size_t)capacity * sizeof(*k->free_stack));
	if (!k->free_stack)
		goto err_stack;
	if (dmm_hidx_init(&k->by_mnid, a, capacity))
		goto err_mnid;
	if (dmm_hidx_init(&k->by_prefix, a, prefix_capacity ? prefix_capacity : capacity))
		goto err_prefix;
	/*
	 * Slots never used are taken from the front (hwm) once the stack of
	 * freed ones is empty: a fresh table fills from the front, and
	 * nothing here writes the entries, so pages never used stay untouched.
	 */
	k->nfree = 0;
	k->hwm = 0;
	return 0;

err_prefix:
	dmm_hidx_fini(&k->by_mnid, a);
err_mnid:
	a->free(a->ctx, k->free_stack);
err_stack:
	a->free(a->ctx, k->e);
err_entries:
	return DMM_ERR_NOMEM;
}

void keyed_fini(struct keyed *k)
{
	dmm_hidx_fini(&k->by_prefix, &k->alloc);
	dmm_hidx_fini(&k->by_mnid, &k->alloc);
	k->alloc.free(k->alloc.ctx, k->free_stack);
	k->alloc.free(k->alloc.ctx, k->e);
}

/*
 * Clear entry e for an MN-ID of idlen octets: everything but the MN-ID
 * octets past idlen and the keep ranges. An entry is several cache lines
 * and most of them are counted arrays: a slot taken again (its old
 * contents long out of the cache) then costs the lines in use only.
 */
static void clear_entry(const struct keyed *k, uint8_t *e, size_t idlen)
{
	const struct keyed_layout *L = k->L;
	size_t at = L->off_mnid + offsetof(struct dmm_mnid, id) + idlen;

	memset(e, 0, at);
	at = L->off_mnid + sizeof(struct dmm_mnid);
	for (unsigned i = 0; i < KEYED_KEEP && L->keep[i].len; i++) {
		memset(e + at, 0, L->keep[i].off - at);
		at = L->keep[i].off + L->keep[i].len;
	}
	memset(e + at, 0, L->size - at);
}

void *keyed_add(struct keyed *k, const struct dmm_mnid *mnid, struct dmm_handle *out)
{
	struct dmm_handle *h;
	uint8_t *e;
	uint32_t idx, gen;

	if (!mnid->len || (k->nfree == 0 && k->hwm == k->capacity))
		return NULL;
	idx = k->nfree ? k->free_stack[k->nfree - 1] : k->hwm;
	/* Cannot fail: the index holds up to capacity references. */
	if (dmm_hidx_insert(&k->by_mnid, mnid_hash(k, mnid), idx))
		return NULL;
	if (k->nfree)
		k->nfree--;
	else
		k->hwm++;
	e = ent(k, idx);
	gen = handle_of(k, e)->gen + 1;
	clear_entry(k, e, mnid->len);
	h = handle_of(k, e);
	h->idx = idx;
	h->gen = gen;
	mnid_of(k, e)->subtype = mnid->subtype;
	mnid_of(k, e)->len = mnid->len;
	memcpy(mnid_of(k, e)->id, mnid->id, mnid->len);
	k->count++;
	if (out)
		*out = *h;
	return e;
}

void keyed_del(struct keyed *k, void *e)
{
	uint32_t idx = handle_of(k, e)->idx;

	if (!keyed_live(k, e))
		return;
	for (unsigned i = 0; i < *nhnp_of(k, e); i++)
		dmm_hidx_remove(&k->by_prefix, prefix_hash(k, &hnp_of(k, e)[i]), idx);
	dmm_hidx_remove(&k->by_mnid, mnid_hash(k, mnid_of(k, e)), idx);
	k->count--;
	handle_of(k, e)->gen++;
	*nhnp_of(k, e) = 0;
	k->free_stack[k->nfree++] = idx;
}

void *keyed_get(const struct keyed *k, struct dmm_handle h)
{
	uint8_t *e;

	if (h.idx >= k->hwm)
		return NULL;
	e = ent(k, h.idx);
	return keyed_live(k, e) && handle_of(k, e)->gen == h.gen ? e : NULL;
}

static void *mnid_walk(const struct keyed *k, const struct dmm_mnid *mnid, uint32_t h, uint32_t *pos)
{
	uint32_t ref;

	while ((ref = dmm_hidx_next(&k->by_mnid, h, pos)) != DMM_HIDX_NONE)
		if (dmm_mnid_eq(mnid_of(k, ent(k, ref)), mnid))
			return ent(k, ref);
	return NULL;
}

void *keyed_find_mnid(const struct keyed *k, const struct dmm_mnid *mnid)
{
	uint32_t h = mnid_hash(k, mnid), pos = dmm_hidx_home(&k->by_mnid, h);

	return mnid_walk(k, mnid, h, &pos);
}

void *keyed_find_mnid_next(const struct keyed *k, const void *cur)
{
	const struct dmm_mnid *id = mnid_of(k, cur);
	uint32_t h = mnid_hash(k, id), pos = dmm_hidx_home(&k->by_mnid, h), ref;

	/* Find cur in its probe chain, then continue after it. */
	while ((ref = dmm_hidx_next(&k->by_mnid, h, &pos)) != DMM_HIDX_NONE)
		if (ref == handle_of(k, cur)->idx)
			return mnid_walk(k, id, h, &pos);
	return NULL;
}

static void *find_prefix_h(const struct keyed *k, const struct dmm_prefix *prefix, uint32_t h)
{
	uint32_t pos = dmm_hidx_home(&k->by_prefix, h), ref;

	while ((ref = dmm_hidx_next(&k->by_prefix, h, &pos)) != DMM_HIDX_NONE) {
		const uint8_t *e = ent(k, ref);

		for (unsigned i = 0; i < *nhnp_of(k, e); i++)
			if (dmm_prefix_eq(&hnp_of(k, e)[i], prefix))
				return ent(k, ref);
	}
	return NULL;
}

void *keyed_find_prefix(const struct keyed *k, const struct dmm_prefix *prefix)
{
	return find_prefix_h(k, prefix, prefix_hash(k, prefix));
}

int keyed_add_prefix(struct keyed *k, void *e, const struct dmm_prefix *prefix)
{
	uint8_t *n = nhnp_of(k, e);
	uint32_t h;
	int err;

	if (prefix->len > 128)
		return DMM_ERR_PREFIX_LEN;
	h = prefix_hash(k, prefix);
	if (find_prefix_h(k, prefix, h))
		return DMM_ERR_EXISTS;
	if (*n >= k->L->max_hnp)
		return DMM_ERR_NOMEM;
	err = dmm_hidx_insert(&k->by_prefix, h, handle_of(k, e)->idx);
	if (err)
		return err;
	hnp_of(k, e)[(*n)++] = *prefix;
	return 0;
}

int keyed_del_prefix(struct keyed *k, void *e, const struct dmm_prefix *prefix)
{
	uint8_t *n = nhnp_of(k, e);
	struct dmm_prefix *hnp = hnp_of(k, e);

	for (unsigned i = 0; i < *n; i++) {
		if (!dmm_prefix_eq(&hnp[i], prefix))
			continue;
		dmm_hidx_remove(&k->by_prefix, prefix_hash(k, prefix), handle_of(k, e)->idx);
		for (; i + 1 < *n; i++)
			hnp[i] = hnp[i + 1];
		(*n)--;
		return 0;
	}
	return DMM_ERR_NOTFOUND;
}

void *keyed_next(const struct keyed *k, const void *prev)
{
	uint32_t i = prev ? handle_of(k, prev)->idx + 1 : 0;

	for (; i < k->hwm; i++)
		if (keyed_live(k, ent(k, i)))
			return ent(k, i);
	return NULL;
}

size_t keyed_bytes(const struct keyed *k)
{
	return (size_t)k->capacity * (k->L->size + sizeof(*k->free_stack)) + dmm_hidx_bytes(&k->by_mnid) +
	       dmm_hidx_bytes(&k->by_prefix);
}
