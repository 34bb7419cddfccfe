/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The kernel data plane's own bookkeeping, without a system call: its
 * intents indexed by id, the routing tables of SRC intents (the lowest
 * free number, as before, found in a few word operations), the
 * decapsulation peers indexed by address, and the count of DELIVER
 * intents of each DST prefix, indexed by prefix. Everything is sized when the
 * table grows (capacity doubles); adding or removing an intent allocates
 * nothing. Internal to dataplane/kernel (bench/bench_kernel_table.c
 * times it).
 */
#ifndef DMM_DP_KERNEL_KTABLE_H
#define DMM_DP_KERNEL_KTABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dmm/hash.h"
#include "dmm/types.h"

struct kdp_intent {
	uint32_t id;
	uint8_t match, action;
	struct dmm_prefix prefix; /* masked */
	struct dmm_addr peer;
	int ifindex;	 /* DELIVER: out link; SRC: in link (0: any) */
	int out_ifindex; /* DELIVER: the link to send on */
	uint32_t table;	 /* SRC: its own table; DST: main */
	uint32_t metric;
	int nft_err; /* 0, or why it has no counter */
};

struct kdp_peer {
	struct dmm_addr addr;
	uint32_t refs;
};

/* A DST prefix with DELIVER intents: its blackhole stays while refs > 0 (kernel.c guard_ref). */
struct kdp_guard {
	struct dmm_prefix prefix;
	uint32_t refs;
};

/* Levels of the table bitmap: 64^5 offsets, more than an intent capacity reaches. */
#define KDP_TLEVELS 5

/*
 * Table offsets in use (offset o is table table_base + 1 + o). Bit i of
 * level l+1 is set when word i of level l is full, so the lowest free
 * offset is found from the top in one step per level.
 */
struct kdp_tables {
	uint64_t *lv[KDP_TLEVELS];
	uint32_t nwords[KDP_TLEVELS];
	uint32_t cap; /* offsets 0 .. cap-1 */
};

struct kdp_itab {
	struct kdp_intent *in; /* dense: in[0 .. n-1] */
	uint32_t n, cap;
	struct dmm_hidx byid; /* id -> index in in[] */
	struct kdp_tables tables;
	struct kdp_peer *peers; /* dense, at most cap (a peer has a DECAP intent) */
	uint32_t npeers;
	struct dmm_hidx bypeer;	  /* address -> index in peers[] */
	struct kdp_guard *guards; /* dense, at most cap (one per DELIVER intent at most) */
	uint32_t nguards;
	struct dmm_hidx byguard; /* prefix -> index in guards[] */
	uint64_t seed;		 /* of the peer address and prefix hashes */
};

/* An empty table; seed keys the peer and prefix hashes. Nothing is allocated until kdp_itab_reserve(). */
void kdp_itab_init(struct kdp_itab *t, uint64_t seed);

/* Free everything t holds. */
void kdp_itab_fini(struct kdp_itab *t);

/* Room for one more intent (and peer): doubles every array and index when full. 0 or -ENOMEM. */
int kdp_itab_reserve(struct kdp_itab *t);

/* The intent with that id, or NULL. */
struct kdp_intent *kdp_itab_find(const struct kdp_itab *t, uint32_t id);

/* Store a copy of k (after kdp_itab_reserve(); k->id not present). A SRC intent marks its table used. */
struct kdp_intent *kdp_itab_add(struct kdp_itab *t, const struct kdp_intent *k, bool src_table,
				uint32_t base);

/* Forget k (a pointer from find or add), releasing its table; the last intent moves into its place. */
void kdp_itab_del(struct kdp_itab *t, struct kdp_intent *k, bool src_table, uint32_t base);

/* The lowest table number above base that no SRC intent uses (after kdp_itab_reserve()). */
uint32_t kdp_itab_table(const struct kdp_itab *t, uint32_t base);

/* The peer with that address, or NULL. */
struct kdp_peer *kdp_itab_peer(const struct kdp_itab *t, const struct dmm_addr *a);

/* A new peer with no reference (after kdp_itab_reserve(); a not present). */
struct kdp_peer *kdp_itab_peer_add(struct kdp_itab *t, const struct dmm_addr *a);

/* Forget peer p; the last peer moves into its place. */
void kdp_itab_peer_del(struct kdp_itab *t, struct kdp_peer *p);

/*
 * Add d (+1 or -1) to the count of DELIVER intents of prefix p (masked),
 * which is made at its first and forgotten at zero, and return the new
 * count: 1 after +1 means the first, 0 after -1 the last. One hash lookup.
 * +1 after kdp_itab_reserve() for the intent it counts; -1 of a prefix
 * not counted returns 0 and changes nothing.
 */
uint32_t kdp_itab_guard_ref(struct kdp_itab *t, const struct dmm_prefix *p, int d);

#endif
