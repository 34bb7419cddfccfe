/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Policy store. Profiles and MAG addresses each sit in a preallocated
 * slot array with a free stack and a dmm_hidx index (MN-ID or address →
 * slot). Slots never move, so a looked-up pointer stays valid until that
 * profile itself changes.
 */
#include "dmm/policy.h"
#include "dmm/err.h"

struct dmm_policy {
	struct dmm_alloc alloc;
	uint64_t seed;
	uint32_t capacity;
	uint32_t max_mags;
	uint32_t count;
	uint32_t nfree;
	uint32_t nmag_free;
	bool has_default;
	bool allow_any_mag;
	struct dmm_policy_profile def;
	struct dmm_policy_profile *prof;
	uint8_t *live;
	uint32_t *free_stack;
	struct dmm_hidx by_mnid;
	struct dmm_addr *mag;
	uint32_t *mag_free;
	struct dmm_hidx by_mag;
};

static inline uint32_t mnid_hash(const struct dmm_policy *pol, const struct dmm_mnid *id)
{
	return (uint32_t)dmm_hash_mnid(pol->seed, id);
}

static inline uint32_t mag_hash(const struct dmm_policy *pol, const struct dmm_addr *a)
{
	return (uint32_t)dmm_hash_addr(pol->seed, a);
}

static bool profile_ok(const struct dmm_policy_profile *p)
{
	return p->n_lma <= DMM_POLICY_MAX_LMA && p->n_prefix <= DMM_POLICY_MAX_PREFIX;
}

static uint32_t find_profile(const struct dmm_policy *pol, const struct dmm_mnid *mnid)
{
	uint32_t h, pos, r;

	if (pol->count == 0)
		return DMM_HIDX_NONE; /* only a default profile: no hash to compute */
	h = mnid_hash(pol, mnid);

	for (r = dmm_hidx_first(&pol->by_mnid, h, &pos); r != DMM_HIDX_NONE;
	     r = dmm_hidx_next(&pol->by_mnid, h, &pos))
		if (dmm_mnid_eq(&pol->prof[r].mnid, mnid))
			return r;
	return DMM_HIDX_NONE;
}

static uint32_t find_mag(const struct dmm_policy *pol, const struct dmm_addr *a)
{
	uint32_t h = mag_hash(pol, a), pos, r;

	for (r = dmm_hidx_first(&pol->by_mag, h, &pos); r != DMM_HIDX_NONE;
	     r = dmm_hidx_next(&pol->by_mag, h, &pos))
		if (dmm_addr_eq(&pol->mag[r], a))
			return r;
	return DMM_HIDX_NONE;
}

struct dmm_policy *dmm_policy_new(const struct dmm_alloc *a, uint32_t capacity, uint32_t max_mags,
				  uint64_t seed)
{
	struct dmm_policy *pol;

	if (!a || !a->zalloc || !a->free || capacity == 0 || capacity > (1u << 30) || max_mags > (1u << 20))
		return NULL;
	if (max_mags == 0)
		max_mags = 1;
	pol = a->zalloc(a->ctx, sizeof(*pol));
	if (!pol)
		goto err_pol;
	pol->alloc = *a;
	pol->seed = seed;
	pol->capacity = capacity;
	pol->max_mags = max_mags;
	pol->prof = a->zalloc(a->ctx, (size_t)capacity * sizeof(*pol->prof));
	if (!pol->prof)
		goto err_prof;
	pol->live = a->zalloc(a->ctx, capacity);
	if (!pol->live)
		goto err_live;
	pol->free_stack = a->zalloc(a->ctx, (size_t)capacity * sizeof(*pol->free_stack));
	if (!pol->free_stack)
		goto err_stack;
	if (dmm_hidx_init(&pol->by_mnid, a, capacity))
		goto err_by_mnid;
	pol->mag = a->zalloc(a->ctx, (size_t)max_mags * sizeof(*pol->mag));
	if (!pol->mag)
		goto err_mag;
	pol->mag_free = a->zalloc(a->ctx, (size_t)max_mags * sizeof(*pol->mag_free));
	if (!pol->mag_free)
		goto err_mag_free;
	if (dmm_hidx_init(&pol->by_mag, a, max_mags))
		goto err_by_mag;
	for (uint32_t i = 0; i < capacity; i++)
		pol->free_stack[i] = capacity - 1 - i;
	pol->nfree = capacity;
	for (uint32_t i = 0; i < max_mags; i++)
		pol->mag_free[i] = max_mags - 1 - i;
	pol->nmag_free = max_mags;
	return pol;

err_by_mag:
	a->free(a->ctx, pol->mag_free);
err_mag_free:
	a->free(a->ctx, pol->mag);
err_mag:
	dmm_hidx_fini(&pol->by_mnid, a);
err_by_mnid:
	a->free(a->ctx, pol->free_stack);
err_stack:
	a->free(a->ctx, pol->live);
err_live:
	a->free(a->ctx, pol->prof);
err_prof:
	a->free(a->ctx, pol);
err_pol:
	return NULL;
}

void dmm_policy_free(struct dmm_policy *pol)
{
	struct dmm_alloc a;

	if (!pol)
		return;
	a = pol->alloc;
	dmm_hidx_fini(&pol->by_mag, &a);
	a.free(a.ctx, pol->mag_free);
	a.free(a.ctx, pol->mag);
	dmm_hidx_fini(&pol->by_mnid, &a);
	a.free(a.ctx, pol->free_stack);
	a.free(a.ctx, pol->live);
	a.free(a.ctx, pol->prof);
	a.free(a.ctx, pol);
}

int dmm_policy_set(struct dmm_policy *pol, const struct dmm_policy_profile *p)
{
	uint32_t r;
	int err;

	if (!p->mnid.len || !profile_ok(p))
		return DMM_ERR_INVAL;
	r = find_profile(pol, &p->mnid);
	if (r == DMM_HIDX_NONE) {
		if (!pol->nfree)
			return DMM_ERR_NOMEM;
		r = pol->free_stack[pol->nfree - 1];
		err = dmm_hidx_insert(&pol->by_mnid, mnid_hash(pol, &p->mnid), r);
		if (err)
			return err;
		pol->nfree--;
		pol->live[r] = 1;
		pol->count++;
	}
	pol->prof[r] = *p;
	return 0;
}

int dmm_policy_del(struct dmm_policy *pol, const struct dmm_mnid *mnid)
{
	uint32_t r = find_profile(pol, mnid);

	if (r == DMM_HIDX_NONE)
		return DMM_ERR_NOTFOUND;
	dmm_hidx_remove(&pol->by_mnid, mnid_hash(pol, mnid), r);
	pol->live[r] = 0;
	pol->free_stack[pol->nfree++] = r;
	pol->count--;
	return 0;
}

int dmm_policy_set_default(struct dmm_policy *pol, const struct dmm_policy_profile *p)
{
	if (!p) {
		pol->has_default = false;
		return 0;
	}
	if (!profile_ok(p))
		return DMM_ERR_INVAL;
	pol->def = *p;
	pol->has_default = true;
	return 0;
}

const struct dmm_policy_profile *dmm_policy_get(const struct dmm_policy *pol, const struct dmm_mnid *mnid)
{
	uint32_t r = find_profile(pol, mnid);

	return r == DMM_HIDX_NONE ? NULL : &pol->prof[r];
}

const struct dmm_policy_profile *dmm_policy_lookup(const struct dmm_policy *pol, const struct dmm_mnid *mnid)
{
	const struct dmm_policy_profile *p = dmm_policy_get(pol, mnid);

	if (p)
		return p;
	if (pol->has_default && (!pol->def.mnid.subtype || pol->def.mnid.subtype == mnid->subtype))
		return &pol->def;
	return NULL;
}

const struct dmm_policy_profile *dmm_policy_next(const struct dmm_policy *pol,
						 const struct dmm_policy_profile *prev)
{
	uint32_t i = prev ? (uint32_t)(prev - pol->prof) + 1 : 0;

	for (; i < pol->capacity; i++)
		if (pol->live[i])
			return &pol->prof[i];
	return NULL;
}

uint32_t dmm_policy_count(const struct dmm_policy *pol)
{
	return pol->count;
}

int dmm_policy_add_mag(struct dmm_policy *pol, const struct dmm_addr *mag)
{
	uint32_t r;
	int err;

	if (find_mag(pol, mag) != DMM_HIDX_NONE)
		return 0;
	if (!pol->nmag_free)
		return DMM_ERR_NOMEM;
	r = pol->mag_free[pol->nmag_free - 1];
	err = dmm_hidx_insert(&pol->by_mag, mag_hash(pol, mag), r);
	if (err)
		return err;
	pol->nmag_free--;
	pol->mag[r] = *mag;
	return 0;
}

int dmm_policy_del_mag(struct dmm_policy *pol, const struct dmm_addr *mag)
{
	uint32_t r = find_mag(pol, mag);

	if (r == DMM_HIDX_NONE)
		return DMM_ERR_NOTFOUND;
	dmm_hidx_remove(&pol->by_mag, mag_hash(pol, mag), r);
	pol->mag_free[pol->nmag_free++] = r;
	return 0;
}

bool dmm_policy_mag_allowed(const struct dmm_policy *pol, const struct dmm_addr *mag)
{
	return pol->allow_any_mag || find_mag(pol, mag) != DMM_HIDX_NONE;
}

void dmm_policy_set_allow_any_mag(struct dmm_policy *pol, bool allow)
{
	pol->allow_any_mag = allow;
}

size_t dmm_policy_bytes(const struct dmm_policy *pol)
{
	return sizeof(*pol) +
	       (size_t)pol->capacity * (sizeof(*pol->prof) + sizeof(*pol->live) + sizeof(*pol->free_stack)) +
	       (size_t)pol->max_mags * (sizeof(*pol->mag) + sizeof(*pol->mag_free)) +
	       dmm_hidx_bytes(&pol->by_mnid) + dmm_hidx_bytes(&pol->by_mag);
}
