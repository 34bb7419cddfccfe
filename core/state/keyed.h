/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Internal to core/state: the slot table under the binding cache and the
 * binding update list. Entries of one fixed size live in an array
 * allocated at creation, taken from the front (never written before
 * their first use) or from a stack of freed ones; two dmm_hidx
 * indexes (MN-ID -> slot, prefix -> slot) run at a load factor of at most
 * 0.5. A slot is live while its generation is odd: adding and deleting
 * each bump it, so a handle of a deleted entry never matches again
 * (ARCHITECTURE.md rule 4). The layout says where in an entry the handle,
 * the MN-ID and the prefix list are; the typed tables wrap these calls.
 */
#ifndef DMM_KEYED_H
#define DMM_KEYED_H

#include "dmm/alloc.h"
#include "dmm/hash.h"

#define KEYED_KEEP 2

struct keyed_layout {
	size_t size;	   /* sizeof the entry */
	size_t off_handle; /* struct dmm_handle */
	size_t off_mnid;   /* struct dmm_mnid */
	size_t off_nhnp;   /* uint8_t count of prefixes */
	size_t off_hnp;	   /* struct dmm_prefix[max_hnp] */
	unsigned max_hnp;
	/*
	 * The elements of counted arrays (the count elsewhere in the entry):
	 * bytes an added entry need not clear, as nothing reads past a count.
	 * Ranges after the MN-ID, in ascending order; len 0 ends the list.
	 */
	struct {
		size_t off, len;
	} keep[KEYED_KEEP];
};

struct keyed {
	struct dmm_alloc alloc;
	const struct keyed_layout *L;
	uint64_t seed;
	uint32_t capacity, count, nfree;
	uint32_t hwm; /* slots from here on were never used */
	uint8_t *e;
	uint32_t *free_stack;
	struct dmm_hidx by_mnid, by_prefix;
	/*
	 * The last MN-ID and prefix hashed, with their hashes: a message's
	 * lookups, adds and deletes name the same key one after the other,
	 * and comparing a key costs less than hashing it again.
	 */
	struct dmm_mnid memo_mnid;
	struct dmm_prefix memo_prefix;
	uint32_t memo_mnid_hash, memo_prefix_hash;
};

/* Allocate room for capacity entries and prefix_capacity prefixes (0: capacity). 0, DMM_ERR_INVAL or DMM_ERR_NOMEM. */
int keyed_init(struct keyed *k, const struct dmm_alloc *a, uint32_t capacity, uint32_t prefix_capacity,
	       uint64_t seed, const struct keyed_layout *L);
void keyed_fini(struct keyed *k);

/*
 * A zeroed entry keyed by mnid, its handle set (the MN-ID past its length
 * and the layout's keep ranges are left as they were); NULL when full or
 * mnid is empty.
 */
void *keyed_add(struct keyed *k, const struct dmm_mnid *mnid, struct dmm_handle *out);
/* Remove a live entry with its keys; a dead one is left alone. */
void keyed_del(struct keyed *k, void *e);
bool keyed_live(const struct keyed *k, const void *e);
void *keyed_get(const struct keyed *k, struct dmm_handle h);
void *keyed_find_mnid(const struct keyed *k, const struct dmm_mnid *mnid);
void *keyed_find_mnid_next(const struct keyed *k, const void *cur);
void *keyed_find_prefix(const struct keyed *k, const struct dmm_prefix *prefix);
/* 0, DMM_ERR_PREFIX_LEN, DMM_ERR_EXISTS (another entry has it), DMM_ERR_NOMEM (entry full). */
int keyed_add_prefix(struct keyed *k, void *e, const struct dmm_prefix *prefix);
/* 0 or DMM_ERR_NOTFOUND. */
int keyed_del_prefix(struct keyed *k, void *e, const struct dmm_prefix *prefix);
/* The live entry after prev (NULL: the first), or NULL. */
void *keyed_next(const struct keyed *k, const void *prev);
size_t keyed_bytes(const struct keyed *k);

#endif
