/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Policy store (RFC 5213 §6.2 mobile node's policy profile, and §5.3.1
 * authorisation): per MN-ID, whether it may register, which anchors serve
 * it and which prefixes it gets; a default profile for MN-IDs not listed;
 * and the set of MAGs allowed to send PBUs (status 154 otherwise).
 *
 * Fixed capacity, allocated once; lookups by MN-ID and by MAG address are
 * O(1). Profiles are copied in; pointers returned by lookups are valid
 * until that profile is replaced or deleted, or the default is changed.
 */
#ifndef DMM_POLICY_H
#define DMM_POLICY_H

#include "dmm/alloc.h"
#include "dmm/hash.h"
#include "dmm/types.h"

#define DMM_POLICY_MAX_LMA 4
#define DMM_POLICY_MAX_PREFIX 4

struct dmm_policy_profile {
	/*
	 * The key. In the default profile only mnid.subtype is read: 0
	 * matches every MN-ID, another value only MN-IDs of that subtype
	 * (e.g. DMM_MNID_EUI48: "any EUI-48 host may register").
	 */
	struct dmm_mnid mnid;
	bool may_register;
	uint8_t n_lma; /* 0: the role's own choice (e.g. itself) */
	struct dmm_addr lma[DMM_POLICY_MAX_LMA];
	/* Fixed HNPs; with n_prefix 0 the anchor allocates n_alloc from its pool. */
	uint8_t n_prefix;
	struct dmm_prefix prefix[DMM_POLICY_MAX_PREFIX];
	uint8_t n_alloc;
};

struct dmm_policy;

/*
 * Create a store for up to capacity profiles and max_mags authorised MAG
 * addresses. seed keys the hashes. Memory comes from a, which must
 * outlive the store. Returns NULL on bad arguments or when a fails.
 */
struct dmm_policy *dmm_policy_new(const struct dmm_alloc *a, uint32_t capacity, uint32_t max_mags,
				  uint64_t seed);

/* Free pol; accepts NULL. */
void dmm_policy_free(struct dmm_policy *pol);

/*
 * Store a copy of p under p->mnid, replacing a profile with that MN-ID.
 * Returns 0, DMM_ERR_INVAL (mnid.len 0, or a count above its array) or
 * DMM_ERR_NOMEM (full).
 */
int dmm_policy_set(struct dmm_policy *pol, const struct dmm_policy_profile *p);

/* Delete the profile of mnid. Returns 0 or DMM_ERR_NOTFOUND. */
int dmm_policy_del(struct dmm_policy *pol, const struct dmm_mnid *mnid);

/*
 * Set the default profile (copied), or remove it with p NULL. Returns 0
 * or DMM_ERR_INVAL (a count above its array).
 */
int dmm_policy_set_default(struct dmm_policy *pol, const struct dmm_policy_profile *p);

/*
 * The profile for mnid: its own, else the default when one is set and its
 * subtype matches, else NULL (unknown MN: status 152/153 is the role's
 * choice). Borrowed: see the validity rule above.
 */
const struct dmm_policy_profile *dmm_policy_lookup(const struct dmm_policy *pol, const struct dmm_mnid *mnid);

/* The profile stored exactly for mnid (the default is not consulted), or NULL. */
const struct dmm_policy_profile *dmm_policy_get(const struct dmm_policy *pol, const struct dmm_mnid *mnid);

/*
 * Iterate over stored profiles (not the default): NULL gives the first;
 * NULL at the end. Valid while the store is not changed.
 */
const struct dmm_policy_profile *dmm_policy_next(const struct dmm_policy *pol,
						 const struct dmm_policy_profile *prev);

/* Profiles stored (the default not counted). */
uint32_t dmm_policy_count(const struct dmm_policy *pol);

/*
 * Authorise MAG address mag to send PBUs. Returns 0 (also when already
 * there) or DMM_ERR_NOMEM (max_mags reached).
 */
int dmm_policy_add_mag(struct dmm_policy *pol, const struct dmm_addr *mag);

/* Withdraw mag. Returns 0 or DMM_ERR_NOTFOUND. */
int dmm_policy_del_mag(struct dmm_policy *pol, const struct dmm_addr *mag);

/*
 * True when mag may send PBUs (RFC 5213 §5.3.1: otherwise status 154,
 * MAG_NOT_AUTHORIZED_FOR_PROXY_REG). With allow_any_mag set, every MAG is.
 */
bool dmm_policy_mag_allowed(const struct dmm_policy *pol, const struct dmm_addr *mag);

/* Accept PBUs from every MAG (a lab setting), or only the listed ones. */
void dmm_policy_set_allow_any_mag(struct dmm_policy *pol, bool allow);

/* Bytes allocated for the store. */
size_t dmm_policy_bytes(const struct dmm_policy *pol);

#endif
