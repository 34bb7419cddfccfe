/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A table of IPv6 addresses that many records name (tunnel ends, MAG
 * addresses): each address is held once, with a count of the records
 * that name it, and a record keeps its number (2 or 4 octets) instead of
 * 16 octets. Number 0 is the zero address, which takes no room; the
 * others are the table's slot + 1. Preallocated at init: holding an
 * address never allocates.
 *
 * The table is embedded in its owner's structure (zeroed before init)
 * and freed with dmm_addrtab_fini().
 */
#ifndef DMM_ADDRTAB_H
#define DMM_ADDRTAB_H

#include "dmm/alloc.h"
#include "dmm/hash.h"
#include "dmm/types.h"

#define DMM_ADDRTAB_FULL UINT32_MAX /* dmm_addrtab_hold(): no room */

struct dmm_addrtab {
	struct dmm_addr *addr;
	uint32_t *refs; /* per slot: the records that name it; 0: free */
	uint32_t cap, free, fresh;
	uint64_t seed; /* 0: an unkeyed mix of the address (trusted input), else SipHash keyed by it */
	struct dmm_hidx idx;
	/*
	 * The numbers of the last two addresses held (0: none): an intent
	 * holds its two tunnel ends one after the other, and the next intent
	 * names the same two, so comparing 16 octets saves hashing them.
	 */
	uint32_t memo[2];
};

/*
 * Room for cap distinct addresses (1 to 2^30), from a. seed keys the
 * hash: draw it at random when peers choose the addresses; 0 for
 * addresses from the configuration or trusted peers. 0, DMM_ERR_INVAL or
 * DMM_ERR_NOMEM (what was allocated is freed).
 */
int dmm_addrtab_init(struct dmm_addrtab *t, const struct dmm_alloc *a, uint32_t cap, uint64_t seed);

/* Free t's memory (to a); t may be zeroed or finished already. */
void dmm_addrtab_fini(struct dmm_addrtab *t, const struct dmm_alloc *a);

/* Bytes allocated for t. */
size_t dmm_addrtab_bytes(const struct dmm_addrtab *t);

/* One more record names a: its number (0 for the zero address), or DMM_ADDRTAB_FULL. */
uint32_t dmm_addrtab_hold(struct dmm_addrtab *t, const struct dmm_addr *a);

/* True when dmm_addrtab_hold(t, a) would not fail: a is held already, zero, or a slot is free. */
bool dmm_addrtab_room(const struct dmm_addrtab *t, const struct dmm_addr *a);

/* A record that named number n (from dmm_addrtab_hold()) no longer does; 0 is ignored. */
void dmm_addrtab_drop(struct dmm_addrtab *t, uint32_t n);

/* The address of number n (held); valid while it is held. */
static inline const struct dmm_addr *dmm_addrtab_get(const struct dmm_addrtab *t, uint32_t n)
{
	static const struct dmm_addr zero;

	return n ? &t->addr[n - 1] : &zero;
}

#endif
