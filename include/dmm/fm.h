/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Forwarding intents: the contract between forwarding control (FM-CP, in
 * the core roles) and forwarding data (FM-DP, the data plane backends),
 * ARCHITECTURE.md rule 3, RFC 7429 §3 and GAP1-4.
 *
 * An intent has the shape of a PFCP PDR with its FAR (TS 29.244): a match
 * (destination prefix, or source prefix arriving on an access link) and an
 * action (encapsulate to a peer, decapsulate from a peer, deliver on an
 * access link, buffer, drop). The core only emits intents; a backend only
 * executes them, keeps their packet and byte counters and reports them
 * back. Every intent belongs to one binding (its owner handle): when the
 * binding goes, dmm_fm_del_owner() takes all its intents with it.
 */
#ifndef DMM_FM_H
#define DMM_FM_H

#include "dmm/alloc.h"
#include "dmm/types.h"

enum dmm_fm_match {
	DMM_FM_DST, /* packets whose destination is in prefix */
	DMM_FM_SRC, /* packets whose source is in prefix, from access link 'link' (0: any) */
};

enum dmm_fm_action {
	DMM_FM_ENCAP, /* IPv6-in-IPv6 (RFC 2473) from 'local' to 'peer' */
	DMM_FM_DECAP, /* accept tunnelled packets from 'peer' to 'local' for prefix and forward the inner packet */
	DMM_FM_DELIVER, /* send on access link 'link' */
	/*
	 * Hold packets (e.g. during a handover). A DST BUFFER with a 'peer'
	 * holds two paths: what comes decapsulated from peer took the older
	 * path and is released before what came otherwise (RFC 5949 §4.1: the
	 * PMAG's forwarded packets ahead of those the LMA sends straight to
	 * the NMAG once it switched). Backends that cannot tell the paths
	 * apart release in arrival order. With a link too, see
	 * DMM_FM_CAP_PASS.
	 */
	DMM_FM_BUFFER,
	DMM_FM_DROP, /* discard (e.g. MinDelayBeforeBCEDelete, RFC 5213 §5.3.5) */
	/*
	 * Localized routing (RFC 6705): packets to the DST prefix arriving on
	 * access link 'link' are forwarded by their destination at this node
	 * (to another access link, where a DELIVER intent names it), ahead of
	 * the SRC intents that would tunnel them to the anchor. Backends that
	 * cannot do it refuse it; the tunnels then carry the traffic as before.
	 */
	DMM_FM_LOCAL,
};

struct dmm_intent {
	uint32_t id;		  /* assigned by dmm_fm_add(); never 0 */
	uint8_t match;		  /* enum dmm_fm_match */
	uint8_t action;		  /* enum dmm_fm_action */
	uint16_t precedence;	  /* lower wins among equal matches (PDR precedence) */
	struct dmm_prefix prefix; /* the matched prefix */
	uint32_t link;		  /* access link id for DMM_FM_SRC and DMM_FM_DELIVER */
	struct dmm_addr local;	  /* tunnel end at this node */
	struct dmm_addr peer;	  /* tunnel end at the far node */
	struct dmm_handle owner;  /* the binding this intent serves */
	/* Reported by the data plane through dmm_fm_report(). */
	uint64_t packets, bytes;
	dmm_time_t last_active; /* when packets last grew; creation time before that */
};

/* What a backend does with intents. install and remove are required. */
struct dmm_fm_ops {
	/* Execute in (a copy; valid during the call). Return 0 or a negative error. */
	int (*install)(void *ctx, const struct dmm_intent *in);
	/* Stop executing intent id. */
	void (*remove)(void *ctx, const struct dmm_intent *in);
	/*
	 * Optional (NULL: remove then install): replace the forwarding of old
	 * by in, which has the same match, prefix and precedence, in one step
	 * (netlink NLM_F_REPLACE), so no packet meets a missing route. in->id
	 * is the id old had, kept. Return 0 or a negative error; after an
	 * error old is no longer executed.
	 */
	int (*replace)(void *ctx, const struct dmm_intent *old, const struct dmm_intent *in);
	unsigned caps; /* DMM_FM_CAP_*: what the backend does beyond the above */
	void *ctx;
};

/*
 * A DST BUFFER naming a peer and a link (the MN is there) delivers what
 * comes decapsulated from the peer on the link at once and holds only the
 * rest (released after it, when the buffer goes). Without it a backend
 * holds all of it; a role then names no link on such a BUFFER.
 */
#define DMM_FM_CAP_PASS 1u

struct dmm_fm;

/* Whether fm's backend has capability cap (DMM_FM_CAP_*). */
bool dmm_fm_can(const struct dmm_fm *fm, unsigned cap);

/*
 * Create an intent table for up to capacity intents, executed through
 * ops (copied). Memory from a, which must outlive the table. NULL on error.
 */
struct dmm_fm *dmm_fm_new(const struct dmm_alloc *a, uint32_t capacity, const struct dmm_fm_ops *ops);

/*
 * As dmm_fm_new(), for intents of at most max_owners distinct owners at a
 * time (0, or above capacity: capacity), which sizes the owner index; an
 * add for one more owner then fails with DMM_ERR_NOMEM.
 */
struct dmm_fm *dmm_fm_new_owners(const struct dmm_alloc *a, uint32_t capacity, uint32_t max_owners,
				 const struct dmm_fm_ops *ops);

/*
 * What an indexed table (dmm_fm_new_indexed()) asks the table of its
 * owners: the prefix of the intents in owner's home (an LMA: the
 * binding's first HNP, read from its binding cache entry), or NULL for
 * none (its intents then all take records). The table keeps no copy: the
 * answer for an owner must stay the same while the table holds an intent
 * of that owner with that prefix (an LMA keeps a binding's first HNP
 * until the binding and its intents are gone). Called when an intent is
 * added or moves, and whenever one in a home is built (dmm_fm_get(), the
 * walks, the backend's calls, dmm_fm_free()).
 */
typedef const struct dmm_prefix *(*dmm_fm_home_prefix_fn)(const void *ctx, struct dmm_handle owner);

/*
 * As dmm_fm_new(), for owners that are the handles of one table of
 * owner_slots slots: each slot has a home for two intents of its
 * owner with link 0 and the prefix home_prefix(home_ctx, owner) names
 * (an LMA binding's downlink and uplink), at 16 bytes an intent;
 * capacity is the room for the others (more prefixes, a moment with one
 * more). Such a table keeps no counters (dmm_fm_counts()): the data
 * plane's own are the figures. An owner's intents are then its home's
 * first, then the others oldest first. An add for an owner whose idx is
 * owner_slots or more, or whose slot still has intents of another
 * generation, fails with DMM_ERR_NOMEM before the backend is called.
 * NULL on error (owner_slots 0 or above 2^24, no home_prefix).
 */
struct dmm_fm *dmm_fm_new_indexed(const struct dmm_alloc *a, uint32_t capacity, uint32_t owner_slots,
				  const struct dmm_fm_ops *ops, dmm_fm_home_prefix_fn home_prefix,
				  const void *home_ctx);

/* Remove every intent (through ops->remove) and free fm; accepts NULL. */
void dmm_fm_free(struct dmm_fm *fm);

/*
 * Add a copy of in (its id, counters ignored), install it and return its
 * new id (> 0), DMM_ERR_NOMEM when full, or the backend's error (the
 * intent is then not kept).
 */
int dmm_fm_add(struct dmm_fm *fm, const struct dmm_intent *in, dmm_time_t now);

/* Remove intent id. Returns 0 or DMM_ERR_NOTFOUND. */
int dmm_fm_del(struct dmm_fm *fm, uint32_t id);

/* Remove every intent of owner; returns how many went. */
unsigned dmm_fm_del_owner(struct dmm_fm *fm, struct dmm_handle owner);

/*
 * True when a and b forward alike: the same owner, match, action,
 * precedence, prefix, link and tunnel ends (ids and counters aside).
 */
bool dmm_fm_same(const struct dmm_intent *a, const struct dmm_intent *b);

/*
 * Make in (its id, counters ignored) one of the intents of its owner,
 * calling the backend only for a change of forwarding:
 *  - an intent of the owner that forwards like in (dmm_fm_same) stays:
 *    its id is returned and the backend is not called (a refresh);
 *  - else the owner's intent in the same place is replaced: the same
 *    match, prefix and precedence, both DECAP with the same peer or both
 *    something else (a backend keeps one route per destination and
 *    precedence). With ops.replace, in one step, keeping its id; without,
 *    it is removed just before in is installed, with no other call
 *    between;
 *  - else in is added (dmm_fm_add).
 * An owner is expected to hold at most one intent per place. Returns the
 * id (> 0), DMM_ERR_NOMEM, or the backend's error; after an error the
 * replaced intent is gone too.
 */
int dmm_fm_ensure(struct dmm_fm *fm, const struct dmm_intent *in, dmm_time_t now);

/*
 * Remove every intent of owner whose id is not among keep[0..nkeep) (the
 * ones just ensured): added before, removed after, so a change of peer
 * never leaves an instant with neither. Returns how many went.
 */
unsigned dmm_fm_del_owner_except(struct dmm_fm *fm, struct dmm_handle owner, const uint32_t *keep,
				 unsigned nkeep);

/*
 * The table keeps intents in a compact form (core/fm.c). dmm_fm_get(),
 * dmm_fm_next() and dmm_fm_next_owned() return a copy built for the
 * caller, in one of 4 views of the table used in turn: it stays valid
 * while fewer than 4 more of these calls are made on fm (a walk that
 * holds the previous intent and the next one is fine), and it does not
 * follow later changes (dmm_fm_report()). Of prev, the walks read only
 * its id: a caller may keep the id and pass an intent with that id.
 */

/* The intent with this id, or NULL. */
const struct dmm_intent *dmm_fm_get(const struct dmm_fm *fm, uint32_t id);

/* Iterate: the intent after prev (NULL: the first), or NULL at the end. */
const struct dmm_intent *dmm_fm_next(const struct dmm_fm *fm, const struct dmm_intent *prev);

/*
 * The intent of owner after prev (NULL: its first), oldest first, or
 * NULL. O(1): prev must be a live intent of owner (else NULL).
 */
const struct dmm_intent *dmm_fm_next_owned(const struct dmm_fm *fm, struct dmm_handle owner,
					   const struct dmm_intent *prev);

/*
 * The data plane reports the absolute counters of intent id; when they
 * grew, last_active becomes now. Returns 0 or DMM_ERR_NOTFOUND. A table
 * that keeps no counters (dmm_fm_counts()) only checks the id: its
 * intents read 0 packets, 0 bytes and last_active 0.
 */
int dmm_fm_report(struct dmm_fm *fm, uint32_t id, uint64_t packets, uint64_t bytes, dmm_time_t now);

/* Whether the table keeps the counters dmm_fm_report() gives it (dmm_fm_new_indexed(): no). */
bool dmm_fm_counts(const struct dmm_fm *fm);

/* How many more intents the table takes beyond its homes (dmm_fm_new_indexed()); else, in all. */
uint32_t dmm_fm_records_room(const struct dmm_fm *fm);

/* Number of intents. */
uint32_t dmm_fm_count(const struct dmm_fm *fm);

/* Bytes allocated for fm: the intent records, the owner index, the address table and the views. */
size_t dmm_fm_bytes(const struct dmm_fm *fm);

/* dmm_fm_bytes() per intent of capacity, rounded up: what one more intent of room costs. */
size_t dmm_fm_bytes_per_intent(const struct dmm_fm *fm);

const char *dmm_fm_action_name(uint8_t action);
const char *dmm_fm_match_name(uint8_t match);

#endif
