/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What every role instance (LMA, MAG, later MAAR, CMD) gets from its
 * environment, and the one small ops table through which dmmd and
 * dmm-emu drive any role (STYLE.md, after BIRD's struct protocol).
 *
 * A role is a sans-IO state machine (ARCHITECTURE.md rule 1). Inputs:
 * received Mobility Header bytes with source, destination and `now`,
 * access-link events (MAG), timer expiry. Outputs go through struct
 * dmm_env: datagrams to send, forwarding intents (through the fm ops),
 * MN events for the access side (router advertisements), log records.
 */
#ifndef DMM_ROLE_H
#define DMM_ROLE_H

#include "dmm/alloc.h"
#include "dmm/fm.h"
#include "dmm/hash.h"
#include "dmm/log.h"
#include "dmm/types.h"

/* Access-side events a MAG reports to io/ (which sends RAs) or the emulator. */
enum dmm_mn_event_type {
	DMM_MN_REGISTERED,   /* prefixes granted: advertise them on the access link */
	DMM_MN_REFUSED,	     /* the anchor refused the MN (status in ev->status): no prefix */
	DMM_MN_DEREGISTERED, /* binding gone: withdraw the prefixes (valid lifetime 0) */
};

#define DMM_MN_EVENT_MAX_PREFIX 8

/*
 * DMM_MN_REGISTERED carries the whole set of prefixes to advertise on the
 * link, each with its own lifetimes: the prefix anchored where the MN is
 * now is preferred; prefixes anchored at previous MAARs are deprecated
 * (preferred 0, valid > 0, RFC 8885 §3.7); a prefix being released is
 * sent once more with valid 0 (GAP2-1). A MAG fills preferred = valid =
 * lifetime_s for every prefix.
 */
struct dmm_mn_event {
	uint8_t type;	/* enum dmm_mn_event_type */
	uint8_t status; /* PBA status for DMM_MN_REFUSED */
	uint32_t link;	/* access link id */
	const struct dmm_mnid *mnid;
	uint8_t nprefix;
	struct dmm_prefix prefix[DMM_MN_EVENT_MAX_PREFIX];
	uint32_t valid_s[DMM_MN_EVENT_MAX_PREFIX];	    /* PIO valid lifetime per prefix */
	uint32_t preferred_s[DMM_MN_EVENT_MAX_PREFIX];	    /* PIO preferred lifetime per prefix */
	struct dmm_addr anchor_of[DMM_MN_EVENT_MAX_PREFIX]; /* the node anchoring each prefix */
	uint32_t lifetime_s;				    /* granted lifetime in seconds */
	struct dmm_addr anchor; /* the LMA (or the MAAR anchoring the preferred prefix) */
};

/*
 * The usage of an anchored prefix carried by a relocation (docs/dmm-protocol.md
 * §11): packets and octets each way, and when the usage began.
 */
struct dmm_usage {
	uint64_t up_packets, up_bytes, down_packets, down_bytes;
	int64_t start_wall; /* ns since 1970 (wall clock) */
};

/*
 * A host's multicast subscription as the handover context carries it
 * (RFC 7161 §4.1: one Active Multicast Subscription option per group):
 * the groups its access link listens to, any source (what an MLD proxy
 * forwards by, RFC 4605 §4.1).
 */
#define DMM_MCAST_GROUPS_MAX 8
struct dmm_mcast_groups {
	uint8_t n;
	struct dmm_addr group[DMM_MCAST_GROUPS_MAX];
};

struct dmm_env {
	const struct dmm_alloc *alloc; /* tables are allocated at creation only */
	const struct dmm_log *log;     /* may be NULL */
	/*
	 * Send an encoded Mobility Header (checksum field 0) from src to dst.
	 * io/ picks the transport (raw IPv6 proto 135 lets the kernel fill the
	 * checksum, RFC 6275 §6.1.1; UDP 5436 keeps it 0, RFC 5844 §4).
	 */
	void (*send)(void *ctx, const struct dmm_addr *src, const struct dmm_addr *dst, const uint8_t *buf,
		     size_t len);
	/* Access-side events (MAG); may be NULL. */
	void (*mn_event)(void *ctx, const struct dmm_mn_event *ev);
	void *ctx;
	struct dmm_fm_ops fm; /* the data plane backend executing the intents */
	uint64_t seed;	      /* randomness from the caller: hash keys, initial sequence numbers */
	/*
	 * Wall clock = now + wall_offset, in ns since 1970. Only the Timestamp
	 * option (RFC 5213 §5.5) uses wall-clock time; io/ measures the offset,
	 * the emulator fixes it.
	 */
	int64_t wall_offset;
	/*
	 * Peers whose heartbeat is off from the start (RFC 5847 §3: a peer
	 * that breaks on heartbeats): no request, not even the restart
	 * announcement a MAG or MAAR sends when it is created. Borrowed for
	 * create only (the peer table copies it); later changes go through
	 * dmm_peers_set_no_heartbeat(). May be NULL.
	 */
	const struct dmm_addr *no_heartbeat;
	uint32_t n_no_heartbeat;
	/*
	 * MAAR only; may be NULL. Prefix p is anchored here from now on (up)
	 * or no longer (down), so that the routing system carries it
	 * (docs/dmm-protocol.md §11). taken_over: the anchoring moved here
	 * from another MAAR, whose announcement this one must win over.
	 */
	void (*anchored)(void *ctx, const struct dmm_prefix *p, bool up, bool taken_over);
	/*
	 * MAAR only; may be NULL (the relocation then carries no usage). The
	 * usage so far of anchored prefix p, whose anchored entry owner hands
	 * it over to the new anchor to (docs/dmm-protocol.md §11): the caller
	 * fills u (counters of every intent owner ever had, start of its
	 * usage) and notes that the entry ends by relocation. Returns 0, or a
	 * negative DMM_ERR_* when it knows no usage of owner.
	 */
	int (*usage_get)(void *ctx, struct dmm_handle owner, const struct dmm_prefix *p,
			 const struct dmm_addr *to, struct dmm_usage *u);
	/*
	 * MAAR only; may be NULL. Anchored entry owner, which took prefix p
	 * over, continues the usage u of the previous anchor: its counters
	 * count on from u's and its usage started at u's start. u replaces
	 * what an earlier call gave (a repeated message counts once).
	 */
	void (*usage_continue)(void *ctx, struct dmm_handle owner, const struct dmm_prefix *p,
			       const struct dmm_usage *u);
	/*
	 * MAAR only; both NULL or both set (the MAAR then sets the S flag of
	 * RFC 7161 §4.2 in its PBUs). mcast_get: the groups MN mnid listens
	 * to on access link `link` here, or listened to there until the link
	 * went away lately; fills out (n 0: none). mcast_put: the MN's
	 * subscription at its previous MAAR, which the CMD relayed: the MN,
	 * now on `link` here, listens to the groups of in from now on, as if
	 * it had reported them. Pointers borrowed for the call.
	 */
	void (*mcast_get)(void *ctx, const struct dmm_mnid *mnid, uint32_t link,
			  struct dmm_mcast_groups *out);
	void (*mcast_put)(void *ctx, const struct dmm_mnid *mnid, uint32_t link,
			  const struct dmm_mcast_groups *in);
};

struct dmm_bcache;
struct dmm_bul;
struct dmm_peers;
struct dmm_pmip_stats;

/* One table of bindings a role shows (dmmctl show bindings). */
struct dmm_role_table {
	const char *kind;		 /* label of its rows ("serving", "anchored"), or NULL */
	const struct dmm_bcache *bcache; /* exactly one of bcache and bul is set */
	const struct dmm_bul *bul;
};

/* A role's own counter beside the common ones (dmmctl show stats: "dmm"). */
struct dmm_role_counter {
	const char *name; /* static string */
	uint64_t value;
};

/* One row of a role's own table (dmmctl show anchors): name/value pairs, strings or numbers. */
struct dmm_role_field {
	const char *name; /* static string */
	bool is_str;	  /* the value is the string str, else the number num */
	char str[48];
	int64_t num;
	bool known; /* false: the value is not known (shown as null) */
};

/*
 * The ops table of a role. All entries are required. `cfg` is the role's
 * own config struct (struct dmm_lma_cfg, struct dmm_mag_cfg, ...).
 */
struct dmm_role_ops {
	const char *name; /* "lma", "mag", ... */
	/* Create an instance; NULL on bad config or memory. env is copied. */
	void *(*create)(const struct dmm_env *env, const void *cfg, dmm_time_t now);
	/* Remove every intent and free the instance; accepts NULL. */
	void (*destroy)(void *inst);
	/* Apply a validated config; returns 0 or a DMM_ERR_* and keeps the old one. */
	int (*reconfigure)(void *inst, const void *cfg, dmm_time_t now);
	/* A Mobility Header arrived from src to dst (checksum already verified by io/). */
	void (*recv)(void *inst, const struct dmm_addr *src, const struct dmm_addr *dst, const uint8_t *buf,
		     size_t len, dmm_time_t now);
	/* Run every timer due at or before now. */
	void (*expire)(void *inst, dmm_time_t now);
	/* The earliest pending deadline, or DMM_TIME_NEVER. */
	dmm_time_t (*next_deadline)(const void *inst);
	/*
	 * Access-side roles (MAG, MAAR) only, NULL for the others: an MN
	 * attached on link with link-layer address ll (RFC 5213 §6.9.1.1), or
	 * left (§6.9.1.2). Return 0 or a DMM_ERR_*.
	 */
	int (*attach)(void *inst, const struct dmm_mnid *mnid, uint32_t link, const uint8_t *ll,
		      uint8_t ll_len, uint8_t att, dmm_time_t now);
	int (*detach)(void *inst, const struct dmm_mnid *mnid, dmm_time_t now);
	/* The binding tables to show, at most max into out; returns how many. */
	size_t (*tables)(const void *inst, struct dmm_role_table *out, size_t max);
	/* The role's own counters, at most max into out; returns how many (0: none). */
	size_t (*counters)(const void *inst, struct dmm_role_counter *out, size_t max);
	/*
	 * Optional (NULL where the role has none): the rows of the role's own
	 * table (the CMD's anchors). *cursor is NULL for the first row and is
	 * advanced by each call; the row's fields go to out (at most max).
	 * Returns how many, 0 past the last row. Names are static.
	 */
	size_t (*rows)(const void *inst, const void **cursor, struct dmm_role_field *out, size_t max);
	const char *rows_name; /* what rows shows ("anchors"), or NULL */
	/*
	 * Optional (NULL where the role keeps no forwarding): the data plane
	 * refused an intent of owner after its install had returned 0 (a
	 * batched backend reports refusals when it commits, before the
	 * answers go out). The role removes the binding owner names with its
	 * intents, as if the registration had failed, and counts it. Returns 0
	 * or DMM_ERR_NOTFOUND (owner is stale).
	 */
	int (*refused)(void *inst, struct dmm_handle owner, dmm_time_t now);
};

/*
 * Every role instance starts with the same base (core/role/base.h), so
 * these work on any inst that an ops table's create returned.
 */
/* The role's counters (RFC 6475 names where there is one). */
const struct dmm_pmip_stats *dmm_role_stats(const void *inst);
/*
 * The role's peer table (RFC 5847) and intent table. Like strchr(), they
 * take a const instance and return a table the caller may change: the
 * data plane reports counters into the intents (dmm_fm_report()) and
 * tests look peers up.
 */
struct dmm_peers *dmm_role_peers(const void *inst);
/* NULL when the role has no data plane (the CMD). */
struct dmm_fm *dmm_role_fm(const void *inst);

/* Run every timer of the role due at or before now (heartbeats included), in deadline order. */
void dmm_role_expire(void *inst, dmm_time_t now);

/* The role's earliest pending deadline, or DMM_TIME_NEVER. */
dmm_time_t dmm_role_next_deadline(const void *inst);

#endif
