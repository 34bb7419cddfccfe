/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Binding cache of an LMA or MAAR: RFC 5213 §5.1 entries, with the
 * RFC 8885 §3.2 list of previous MAARs.
 *
 * The table is allocated once with a fixed capacity and freed whole.
 * Entries live in a preallocated array and are named across time by a
 * struct dmm_handle {idx, gen}; deleting an entry bumps the generation of
 * its slot, so an old handle resolves to NULL (ARCHITECTURE.md rule 4).
 * A pointer from dmm_bcache_get()/find is valid until that entry is
 * deleted or the table freed; keep handles, not pointers, across events.
 *
 * Lookups are O(1): by MN-ID (several entries may share one MN-ID, one per
 * interface of a multihomed MN, RFC 5213 §5.4.1) and by home network
 * prefix (exact match on address and length; a prefix belongs to at most
 * one entry). Both indexes store a 32-bit hash tag beside each slot
 * number, so a probe touches an entry only when its tag matches: a
 * lookup costs the index line and the entry's first line (plus the arena
 * block for an MN-ID longer than DMM_BCE_MNID_INLINE octets).
 * The MN-ID and the HNP list are keys: read them through the accessors
 * below, and change HNPs only through dmm_bcache_add_prefix() and
 * dmm_bcache_del_prefix().
 */
#ifndef DMM_BCACHE_H
#define DMM_BCACHE_H

#include <string.h>

#include "dmm/alloc.h"
#include "dmm/hash.h"
#include "dmm/mnid.h"
#include "dmm/types.h"

#define DMM_BCE_MAX_HNP 8   /* home network prefixes per entry */
#define DMM_BCE_MAX_PMAAR 8 /* previous MAARs per entry (RFC 8885 §3.2) */

/* An anchor of a prefix: an (LMA or MAAR address, prefix) pair. */
struct dmm_anchor {
	struct dmm_addr addr;
	struct dmm_prefix prefix;
};

/* A short list of anchors, oldest first (RFC 8885 P-MAAR list). */
struct dmm_anchor_list {
	uint8_t n;
	struct dmm_anchor a[DMM_BCE_MAX_PMAAR];
};

/*
 * Add (addr, prefix) at the end of l; an equal pair already in l is moved
 * to the end instead. Returns 0 or DMM_ERR_NOMEM when l is full.
 */
int dmm_anchor_list_add(struct dmm_anchor_list *l, const struct dmm_addr *addr,
			const struct dmm_prefix *prefix);

/* Remove the pair (addr, prefix) from l. Returns 0 or DMM_ERR_NOTFOUND. */
int dmm_anchor_list_del(struct dmm_anchor_list *l, const struct dmm_addr *addr,
			const struct dmm_prefix *prefix);

/* Index in l of the pair (addr, prefix), or -1. */
int dmm_anchor_list_find(const struct dmm_anchor_list *l, const struct dmm_addr *addr,
			 const struct dmm_prefix *prefix);

/*
 * States of an entry. RFC 5213 §5.3.5: after a de-registration the LMA
 * keeps the entry MinDelayBeforeBCEDelete (DEREG_WAIT). §5.4.1.3 step 3:
 * after a request with HI 4 from another MAG the entry waits up to
 * MaxDelayBeforeNewBCEAssign for its MAG's de-registration (HANDOFF_WAIT),
 * still serving that MAG (lma_pbu.c).
 */
enum dmm_bce_state { DMM_BCE_ACTIVE, DMM_BCE_DEREG_WAIT, DMM_BCE_HANDOFF_WAIT, DMM_BCE_NSTATES };

/*
 * MN-IDs up to this many octets live in the entry (EUI-48/64, IMSI, IPv6
 * and short NAIs); longer ones in the cache's arena, named by a pointer
 * stored in the same octets.
 */
#define DMM_BCE_MNID_INLINE 16

struct dmm_bce_more; /* a home network prefix beyond the first (bcache.c) */

/*
 * An MN-LLID of up to this many octets lives in the entry (EUI-64 and
 * shorter); a longer one in the cache's arena, named by a pointer stored
 * in the same octets.
 */
#define DMM_BCE_LLID_INLINE 8

/*
 * One binding, 96 octets, in three parts of 32 octets: from an array
 * aligned to a cache line, each part lies within one line, so a lookup
 * reads one line of the entry (plus, for an MN-ID longer than
 * DMM_BCE_MNID_INLINE octets, its arena block). The first part holds the
 * handle and the MN-ID (the key by MN-ID); the second the first HNP (the
 * key by prefix) and the number of the MAG's address, which the LMA's
 * lookup compares; the third the times. Every entry spans two lines.
 * The mnid_*, hnp0, more, pcoa_n and llid_* fields are private: read them
 * with dmm_bce_mnid*(), dmm_bce_hnp*(), dmm_bce_pcoa() and dmm_bce_llid().
 */
struct dmm_bcache_entry {
	/* [0, 32): the key by MN-ID. */
	struct dmm_handle handle;	      /* read-only */
	uint8_t mnid_subtype;		      /* private */
	uint8_t mnid_len;		      /* private */
	uint8_t mnid_id[DMM_BCE_MNID_INLINE]; /* private: the octets, or a pointer to them */
	uint8_t att;			      /* access technology type (§8.5) */
	uint8_t hi;			      /* handoff indicator (§8.4) */
	bool proxy;			      /* proxy registration flag (§5.1) */
	uint8_t state;			      /* enum dmm_bce_state: change through dmm_bcache_set_state() */
	uint16_t seq;			      /* sequence number of the last accepted PBU */
	/* [32, 64): the key by prefix and the MAG. */
	uint8_t n_hnp;		/* read-only: number of HNPs */
	struct dmm_prefix hnp0; /* private: the first HNP */
	uint8_t llid_len;	/* private: MN link-layer identifier (§8.6) length */
	uint8_t spare0;
	uint32_t pcoa_n;    /* private: the Proxy-CoA's number in the cache's address table */
	uint32_t handovers; /* Proxy-CoA changes on this entry */
	uint32_t more;	    /* private: HNPs 2..n_hnp, a node number + 1 (0: none) */
	/* [64, 96): the times. */
	uint64_t timestamp;		     /* last accepted Timestamp option: 48-bit s, 16-bit 1/65536 s */
	dmm_time_t expires;		     /* when the binding lapses */
	uint32_t lifetime_s;		     /* granted lifetime, seconds */
	uint8_t llid_b[DMM_BCE_LLID_INLINE]; /* private: the MN-LLID's octets, or a pointer to them */
	uint8_t spare1[4];
};

/*
 * The RFC 8885 §3.2 list of previous MAARs of e, or NULL unless the cache
 * was made with anchor_lists. Held per slot beside the entries, not in
 * them; valid while e lives.
 */
struct dmm_anchor_list *dmm_bce_pmaar(const struct dmm_bcache_entry *e);

/*
 * The Proxy-CoA of e (RFC 5213 §5.1: the MAG's address), the zero
 * address until set; valid until e's Proxy-CoA changes or e is deleted.
 * An entry keeps a 4-octet number in the cache's table of addresses
 * (addrtab.h), where each distinct address is held once.
 */
const struct dmm_addr *dmm_bce_pcoa(const struct dmm_bcache_entry *e);

/*
 * The MN-ID of e copied into buf; returns buf. DMM_BCE_MNID(e) does the
 * same into a temporary that lives until the end of the enclosing block.
 */
const struct dmm_mnid *dmm_bce_mnid(const struct dmm_bcache_entry *e, struct dmm_mnid *buf);
#define DMM_BCE_MNID(e) dmm_bce_mnid((e), &(struct dmm_mnid){0})

/* The identifier octets of e's MN-ID (length: dmm_bce_mnid_len()); valid while e lives. */
static inline const uint8_t *dmm_bce_mnid_bytes(const struct dmm_bcache_entry *e)
{
	const uint8_t *out;

	if (e->mnid_len <= DMM_BCE_MNID_INLINE)
		return e->mnid_id;
	memcpy(&out, e->mnid_id, sizeof(out)); /* a pointer into the arena, stored unaligned */
	return out;
}

/* Length in octets of e's MN-ID. */
static inline unsigned dmm_bce_mnid_len(const struct dmm_bcache_entry *e)
{
	return e->mnid_len;
}

/* True when e's MN-ID equals id (subtype and octets). */
bool dmm_bce_mnid_eq(const struct dmm_bcache_entry *e, const struct dmm_mnid *id);

/*
 * HNP number i of e (0 <= i < e->n_hnp, in the order added), or NULL.
 * i == 0 never gives NULL: with no HNP it is the zero prefix or the last
 * one removed. Valid until e's HNPs change.
 */
const struct dmm_prefix *dmm_bce_hnp(const struct dmm_bcache_entry *e, unsigned i);

/* Copy e's HNPs, in order, to out; returns e->n_hnp. */
unsigned dmm_bce_hnps(const struct dmm_bcache_entry *e, struct dmm_prefix out[DMM_BCE_MAX_HNP]);

struct dmm_bcache;

/*
 * What a cache holds, all allocated at creation:
 * - entries: bindings;
 * - prefixes: HNPs over all entries;
 * - more_prefixes: HNPs beyond the first of each entry (the first is in
 *   the entry); at most prefixes;
 * - arena_bytes: room for MN-IDs longer than DMM_BCE_MNID_INLINE octets,
 *   each in a block of its length rounded up to 16 octets (arena.h); 0 for
 *   none;
 * - anchor_lists: each entry gets an RFC 8885 P-MAAR list (dmm_bce_pmaar());
 * - addrs: distinct Proxy-CoAs held at once (dmm_bcache_set_pcoa()); 0:
 *   entries + 1, so that setting one never fails.
 */
struct dmm_bcache_sizes {
	uint32_t entries;
	uint32_t prefixes;
	uint32_t more_prefixes;
	size_t arena_bytes;
	bool anchor_lists;
	uint32_t addrs;
};

/*
 * Create a cache of the given sizes. seed keys the hashes (draw it at
 * random). Memory comes from a, which must outlive the cache; nothing is
 * allocated afterwards. Returns NULL on bad sizes (entries or prefixes 0,
 * or above 2^30) or when a fails.
 */
struct dmm_bcache *dmm_bcache_new_sized(const struct dmm_alloc *a, const struct dmm_bcache_sizes *sz,
					uint64_t seed);

/*
 * Create a cache for up to capacity entries and up to prefix_capacity HNPs
 * over all entries (0: same as capacity), any of which may be extra HNPs,
 * with P-MAAR lists and an arena of 64 octets per entry (plus 4 KiB) for
 * long MN-IDs. seed keys the hashes (draw it at random). Memory comes from
 * a, which must outlive the cache. Returns NULL on bad arguments or when
 * a fails.
 */
struct dmm_bcache *dmm_bcache_new(const struct dmm_alloc *a, uint32_t capacity, uint32_t prefix_capacity,
				  uint64_t seed);

/* Free bc and every entry; accepts NULL. Handles and pointers die with it. */
void dmm_bcache_free(struct dmm_bcache *bc);

/*
 * Add an entry for mnid in state ACTIVE, all other fields zero, and
 * return it (the caller fills it in); *out gets its handle when out is not
 * NULL. Returns NULL when the cache is full, mnid->len is 0, or the
 * MN-ID is long and the arena has no block for it.
 */
struct dmm_bcache_entry *dmm_bcache_add(struct dmm_bcache *bc, const struct dmm_mnid *mnid,
					struct dmm_handle *out);

/* Delete e (and its prefixes from the index); its handle goes stale. */
void dmm_bcache_del(struct dmm_bcache *bc, struct dmm_bcache_entry *e);

/* The entry named by h, or NULL when h is stale or out of range. */
struct dmm_bcache_entry *dmm_bcache_get(const struct dmm_bcache *bc, struct dmm_handle h);

/*
 * Start fetching what dmm_bcache_find_mnid(mnid) and
 * dmm_bcache_find_prefix(prefix) will read first (either may be NULL),
 * so that the two index lines come from memory at the same time. Changes
 * nothing.
 */
void dmm_bcache_prefetch(const struct dmm_bcache *bc, const struct dmm_mnid *mnid,
			 const struct dmm_prefix *prefix);

/* Start fetching the second cache line of e (the times; the line its last octet is in). */
static inline void dmm_bce_prefetch(const struct dmm_bcache_entry *e)
{
	__builtin_prefetch((const char *)e + sizeof(*e) - 1);
}

/* The first entry for mnid, or NULL. */
struct dmm_bcache_entry *dmm_bcache_find_mnid(const struct dmm_bcache *bc, const struct dmm_mnid *mnid);

/*
 * The next entry after cur with the same MN-ID (another interface of a
 * multihomed MN), or NULL. Valid while the cache is not changed.
 */
struct dmm_bcache_entry *dmm_bcache_find_mnid_next(const struct dmm_bcache *bc,
						   const struct dmm_bcache_entry *cur);

/* The entry that holds exactly prefix (address and length), or NULL. */
struct dmm_bcache_entry *dmm_bcache_find_prefix(const struct dmm_bcache *bc, const struct dmm_prefix *prefix);

/*
 * Hash once per message: the keyed hash (SipHash, hash.h) the lookups
 * compute for an MN-ID or a prefix, and the lookups that take it (h must
 * be the hash of that very key in bc). The same results as the forms
 * without _h.
 */
uint32_t dmm_bcache_hash_mnid(const struct dmm_bcache *bc, const struct dmm_mnid *mnid);
uint32_t dmm_bcache_hash_prefix(const struct dmm_bcache *bc, const struct dmm_prefix *prefix);
struct dmm_bcache_entry *dmm_bcache_find_mnid_h(const struct dmm_bcache *bc, const struct dmm_mnid *mnid,
						uint32_t h);
struct dmm_bcache_entry *dmm_bcache_find_mnid_next_h(const struct dmm_bcache *bc,
						     const struct dmm_bcache_entry *cur, uint32_t h);
struct dmm_bcache_entry *dmm_bcache_find_prefix_h(const struct dmm_bcache *bc,
						  const struct dmm_prefix *prefix, uint32_t h);

/* dmm_bcache_prefetch() by hashes (either pointer NULL: no such key). */
void dmm_bcache_prefetch_h(const struct dmm_bcache *bc, const uint32_t *mnid_h, const uint32_t *prefix_h);

/*
 * The slot of the first entry the prefix (MN-ID) index names under hash
 * h, a candidate whose key is not compared yet, or DMM_HIDX_NONE; both
 * lines of its entry start coming from memory. Reads the index line
 * (prefetch it first) and changes nothing: a caller can start fetching
 * what it keeps per slot at the same time as the entry, instead of after
 * the lookup, and then look up as usual.
 */
uint32_t dmm_bcache_fetch_prefix_candidate(const struct dmm_bcache *bc, uint32_t prefix_h);
uint32_t dmm_bcache_fetch_mnid_candidate(const struct dmm_bcache *bc, uint32_t mnid_h);

/*
 * Add prefix to e's HNP list and index. Returns 0, DMM_ERR_PREFIX_LEN (len
 * above 128), DMM_ERR_EXISTS (the prefix belongs to an entry, e included)
 * or DMM_ERR_NOMEM (e has DMM_BCE_MAX_HNP, prefix_capacity reached, or
 * no room left for more_prefixes). On error e is unchanged.
 */
int dmm_bcache_add_prefix(struct dmm_bcache *bc, struct dmm_bcache_entry *e, const struct dmm_prefix *prefix);

/* Remove prefix from e. Returns 0 or DMM_ERR_NOTFOUND. Order is kept. */
int dmm_bcache_del_prefix(struct dmm_bcache *bc, struct dmm_bcache_entry *e, const struct dmm_prefix *prefix);

/* The MN-LLID of e copied into buf; returns buf. DMM_BCE_LLID(e): into a temporary of the enclosing block. */
const struct dmm_llid *dmm_bce_llid(const struct dmm_bcache_entry *e, struct dmm_llid *buf);
#define DMM_BCE_LLID(e) dmm_bce_llid((e), &(struct dmm_llid){0})

/*
 * Set e's MN-LLID to the len octets b (len <= DMM_LLID_MAX; 0: none).
 * Returns 0, or DMM_ERR_NOMEM when it is longer than DMM_BCE_LLID_INLINE
 * and the arena has no block for it: e then has none.
 */
int dmm_bcache_set_llid(struct dmm_bcache *bc, struct dmm_bcache_entry *e, const uint8_t *b, unsigned len);

/*
 * Set e's Proxy-CoA to pcoa. Returns 0, or DMM_ERR_NOMEM when the table of
 * addresses is full (see dmm_bcache_pcoa_room()); e is then unchanged.
 */
int dmm_bcache_set_pcoa(struct dmm_bcache *bc, struct dmm_bcache_entry *e, const struct dmm_addr *pcoa);

/* True when dmm_bcache_set_pcoa() of pcoa cannot fail: pcoa is held already or there is room. */
bool dmm_bcache_pcoa_room(const struct dmm_bcache *bc, const struct dmm_addr *pcoa);

/* Move e to state to and keep the per-state counts. Returns the old state. */
enum dmm_bce_state dmm_bcache_set_state(struct dmm_bcache *bc, struct dmm_bcache_entry *e,
					enum dmm_bce_state to);

/* "ACTIVE", "DEREG_WAIT", "HANDOFF_WAIT", or "?". */
const char *dmm_bce_state_name(enum dmm_bce_state s);

/*
 * Iterate: pass NULL for the first entry, then the previous result; NULL
 * at the end. Order is slot order. The entry just returned may be deleted
 * before it is passed back as prev.
 */
struct dmm_bcache_entry *dmm_bcache_next(const struct dmm_bcache *bc, const struct dmm_bcache_entry *prev);

/* Entries in use. */
uint32_t dmm_bcache_count(const struct dmm_bcache *bc);

/* Entries in state s. */
uint32_t dmm_bcache_count_state(const struct dmm_bcache *bc, enum dmm_bce_state s);

/* Maximum entries. */
uint32_t dmm_bcache_capacity(const struct dmm_bcache *bc);

/* How many more prefixes the table accepts, over all entries (its prefix capacity less those held). */
uint32_t dmm_bcache_prefix_room(const struct dmm_bcache *bc);

/* Octets of the MN-ID arena held by long MN-IDs (whole blocks). */
size_t dmm_bcache_arena_used(const struct dmm_bcache *bc);

/* Bytes allocated for the table (entries, indexes, pools, arena, header). */
size_t dmm_bcache_bytes(const struct dmm_bcache *bc);

#endif
