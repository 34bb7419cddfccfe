/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Binding update list of a MAG or MAAR: RFC 5213 §6.1 entries, plus the
 * DMM anchor list (the MAARs that anchor this MN's earlier prefixes,
 * RFC 8885 §3.1).
 *
 * Same scheme as the binding cache (bcache.h): fixed capacity allocated
 * once, entries named by struct dmm_handle (a stale handle resolves to
 * NULL), O(1) lookup by MN-ID (several entries may share one, e.g. one
 * per LMA) and by exact prefix. A pointer is valid until its entry is
 * deleted. MN-ID and HNPs are keys: change HNPs only through
 * dmm_bul_add_prefix()/dmm_bul_del_prefix().
 */
#ifndef DMM_BUL_H
#define DMM_BUL_H

#include "dmm/bcache.h"

#define DMM_BUL_MAX_HNP DMM_BCE_MAX_HNP

/* RFC 5213 §6.9: no PBU yet; PBU sent; PBA accepted; de-registration sent. */
enum dmm_bul_state {
	DMM_BUL_IDLE,
	DMM_BUL_WAIT_PBA,
	DMM_BUL_REGISTERED,
	DMM_BUL_DEREG_WAIT,
	DMM_BUL_NSTATES
};

struct dmm_bul_entry {
	struct dmm_handle handle;		/* read-only */
	enum dmm_bul_state state;		/* change through dmm_bul_set_state() */
	uint8_t att;				/* access technology type */
	uint8_t hi;				/* handoff indicator sent */
	uint16_t seq;				/* sequence number of the last PBU sent */
	uint32_t ifindex;			/* if-id of the access link to the MN */
	uint32_t tunnel_id;			/* tunnel-if-id towards the LMA */
	struct dmm_mnid mnid;			/* read-only key */
	struct dmm_llid llid;			/* MN link-layer identifier */
	struct dmm_addr mag_lla;		/* MAG link-local address on the access link */
	struct dmm_addr lmaa;			/* the LMA serving this MN */
	struct dmm_addr pcoa;			/* Proxy-CoA used in the PBU */
	uint8_t n_hnp;				/* read-only */
	struct dmm_prefix hnp[DMM_BUL_MAX_HNP]; /* read-only keys */
	uint64_t timestamp;			/* Timestamp option of the last PBU sent */
	dmm_time_t lifetime_req;		/* lifetime asked for */
	dmm_time_t lifetime;			/* lifetime granted by the last PBA */
	dmm_time_t attached;			/* MN attach seen (handover timing, rule 8) */
	dmm_time_t sent;			/* last PBU sent */
	dmm_time_t registered;			/* last PBA accepted */
	dmm_time_t reg_time;			/* attach -> first PBA accepted after it (rule 8) */
	dmm_time_t expires;			/* granted lifetime runs out */
	uint8_t retx;				/* retransmissions of the current PBU */
	dmm_time_t backoff;			/* current retransmission timeout (§6.9.4) */
	struct dmm_anchor_list anchors;		/* DMM: earlier anchors of this MN */
};

struct dmm_bul;

/*
 * Create a list for up to capacity entries and prefix_capacity HNPs over
 * all entries (0: same as capacity). seed keys the hashes. Memory comes
 * from a, which must outlive the list. Returns NULL on bad arguments or
 * when a fails.
 */
struct dmm_bul *dmm_bul_new(const struct dmm_alloc *a, uint32_t capacity, uint32_t prefix_capacity,
			    uint64_t seed);

/* Free bul and every entry; accepts NULL. */
void dmm_bul_free(struct dmm_bul *bul);

/*
 * Add an entry for mnid in state IDLE, other fields zero; *out gets its
 * handle when out is not NULL. Returns NULL when full or mnid->len is 0.
 */
struct dmm_bul_entry *dmm_bul_add(struct dmm_bul *bul, const struct dmm_mnid *mnid, struct dmm_handle *out);

/* Delete e; its handle goes stale. */
void dmm_bul_del(struct dmm_bul *bul, struct dmm_bul_entry *e);

/* The entry named by h, or NULL when h is stale or out of range. */
struct dmm_bul_entry *dmm_bul_get(const struct dmm_bul *bul, struct dmm_handle h);

/* The first entry for mnid, or NULL. */
struct dmm_bul_entry *dmm_bul_find_mnid(const struct dmm_bul *bul, const struct dmm_mnid *mnid);

/* The next entry after cur with the same MN-ID, or NULL. Valid while unchanged. */
struct dmm_bul_entry *dmm_bul_find_mnid_next(const struct dmm_bul *bul, const struct dmm_bul_entry *cur);

/* The entry that holds exactly prefix (address and length), or NULL. */
struct dmm_bul_entry *dmm_bul_find_prefix(const struct dmm_bul *bul, const struct dmm_prefix *prefix);

/*
 * Add prefix to e. Returns 0, DMM_ERR_PREFIX_LEN, DMM_ERR_EXISTS (held by
 * an entry) or DMM_ERR_NOMEM (e full, or prefix_capacity reached).
 */
int dmm_bul_add_prefix(struct dmm_bul *bul, struct dmm_bul_entry *e, const struct dmm_prefix *prefix);

/* Remove prefix from e. Returns 0 or DMM_ERR_NOTFOUND. Order is kept. */
int dmm_bul_del_prefix(struct dmm_bul *bul, struct dmm_bul_entry *e, const struct dmm_prefix *prefix);

/* Move e to state to and keep the per-state counts. Returns the old state. */
enum dmm_bul_state dmm_bul_set_state(struct dmm_bul *bul, struct dmm_bul_entry *e, enum dmm_bul_state to);

/* "IDLE", "WAIT_PBA", "REGISTERED", "DEREG_WAIT", or "?". */
const char *dmm_bul_state_name(enum dmm_bul_state s);

/* Iterate in slot order: NULL gives the first; the returned entry may be deleted. */
struct dmm_bul_entry *dmm_bul_next(const struct dmm_bul *bul, const struct dmm_bul_entry *prev);

/* Entries in use. */
uint32_t dmm_bul_count(const struct dmm_bul *bul);

/* Entries in state s. */
uint32_t dmm_bul_count_state(const struct dmm_bul *bul, enum dmm_bul_state s);

/* Maximum entries. */
uint32_t dmm_bul_capacity(const struct dmm_bul *bul);

/* Bytes allocated for the list. */
size_t dmm_bul_bytes(const struct dmm_bul *bul);

#endif
