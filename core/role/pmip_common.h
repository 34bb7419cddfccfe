/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * PMIPv6 helpers shared by the roles in core/role/ (not a public
 * header). Each block belongs to one side of the protocol; add new
 * helpers in the block of their side.
 */
#ifndef DMM_CORE_ROLE_PMIP_COMMON_H
#define DMM_CORE_ROLE_PMIP_COMMON_H

#include "dmm/bul.h"
#include "dmm/hash.h"
#include "dmm/log.h"
#include "dmm/mh.h"
#include "dmm/policy.h"
#include "dmm/role.h"
#include "dmm/stats.h"
#include "dmm/types.h"

/* ===== Access side: MAG (mag*.c) and MAAR as S-MAAR (maar*.c) ===== */

/* RFC 5213 §8.8: the Timestamp value (48-bit s, 16-bit 1/65536 s) of now + wall_offset. */
uint64_t pmip_wall_timestamp(int64_t wall_offset, dmm_time_t now);

/* Append an MN-ID option carrying id to m. */
void pmip_add_mnid(struct dmm_mh_msg *m, const struct dmm_mnid *id);

/* The MN-ID of m into *id; false when m has none (or an empty one). */
bool pmip_mnid_of(const struct dmm_mh_msg *m, struct dmm_mnid *id);

/*
 * Build the PBU of BUL entry e (RFC 5213 §6.9.1.5) into m: sequence
 * number seq, the given flags and lifetime (wire units), MN-ID, the
 * n_hnp prefixes hnp (one ALL_ZERO HNP when n_hnp is 0, §6.9.1.1 item
 * 3), HI e->hi, ATT e->att, a Timestamp when timestamp is set (stored in
 * e->timestamp, §6.9.1.1 item 6) and MN-LLID when known and not ALL_ZERO
 * (item 7). The caller may append further options.
 */
void pmip_pbu_build(struct dmm_mh_msg *m, struct dmm_bul_entry *e, uint16_t seq, uint16_t flags,
		    uint16_t lifetime_units, const struct dmm_prefix *hnp, unsigned n_hnp, bool timestamp,
		    int64_t wall_offset, dmm_time_t now);

/* The first retransmission timeout of an attempt (RFC 5213 §6.9.4 item 1). */
dmm_time_t pmip_backoff_first(bool first_reg, dmm_time_t first_reg_timeout, dmm_time_t timeout);

/* The next one: doubled, capped at max (§6.9.4 item 3, RFC 6275 §11.8). */
dmm_time_t pmip_backoff_next(dmm_time_t cur, dmm_time_t max);

/* True when seq lies in [first, last] modulo 2^16: a PBU of the current attempt. */
bool pmip_seq_in_attempt(uint16_t seq, uint16_t first, uint16_t last);

/* §6.9.1.2 item 6: the PBA's HI, ATT and MN-LLID (when present) equal what e sent. */
bool pmip_pba_echo_ok(const struct dmm_bul_entry *e, const struct dmm_mh_msg *m);

/* §5.3.6, §6.9.1.2 item 14: at least one HNP, all real (not ::/0), at most DMM_BUL_MAX_HNP. */
bool pmip_pba_hnps_ok(const struct dmm_mh_msg *m);

/* What the access side does with a refusing PBA status. */
enum pmip_status_action {
	PMIP_ST_REFUSE,	    /* deny the mobility service (§6.9.1.2 item 11) */
	PMIP_ST_BLOCK,	    /* deny, and no further PBU for this MN until reconfigured (item 7) */
	PMIP_ST_RESYNC_TS,  /* retry once with a fresh timestamp (items 8 and 9, §5.5) */
	PMIP_ST_RESYNC_SEQ, /* retry once with the PBA's sequence number + 1 (RFC 6275 §11.7.1) */
};

struct pmip_status {
	uint8_t status;
	uint8_t action; /* enum pmip_status_action */
	const char *name;
};

/* The row of a status >= 128 (an "unknown" refusing row for others). */
const struct pmip_status *pmip_status_row(uint8_t status);

/*
 * Start an MN event for BUL entry e (link, MN-ID) with no prefix; the
 * caller adds them with pmip_mn_event_add(). ev->mnid borrows e->mnid.
 */
void pmip_mn_event_init(struct dmm_mn_event *ev, uint8_t type, uint8_t status, const struct dmm_bul_entry *e,
			uint32_t lifetime_s, const struct dmm_addr *anchor);

/* Add a prefix with its lifetimes and anchor; false when the event is full. */
bool pmip_mn_event_add(struct dmm_mn_event *ev, const struct dmm_prefix *p, uint32_t valid_s,
		       uint32_t preferred_s, const struct dmm_addr *anchor_of);

/* ===== end of the access-side block ===== */

/* ===== Anchor side: LMA (lma*.c), CMD (cmd*.c) and MAAR as anchor ===== */

/*
 * RFC 5213 §5.5 rule 6, first check: the Timestamp option o lies within
 * window of wall_ns (our time of day in ns since 1970). "Within" includes
 * the edge; the comparison is exact (no rounding of the 1/65536 s part).
 */
bool pmip_ts_in_window(const struct dmm_mh_opt *o, uint64_t wall_ns, dmm_time_t window);

/*
 * RFC 5213 §5.3.1 steps 5-8 at an anchor (LMA or CMD) named self, for a
 * PBU about mnid from peer: 154 when the peer is not authorised; 153 when
 * the MN has no profile or its profile names other anchors; 152 when the
 * profile does not allow registration. 0 when all pass, with *prof set.
 */
uint8_t pmip_authorize(const struct dmm_policy *pol, const struct dmm_addr *self, const struct dmm_addr *peer,
		       const struct dmm_mnid *mnid, const struct dmm_policy_profile **prof);

/* Append a Timestamp option with t, in the 64-bit form of §8.8 (48-bit s << 16 | 1/65536 s). */
void pmip_add_timestamp(struct dmm_mh_msg *m, uint64_t t);

/* Our time of day in ns since 1970: now + wall_offset, 0 before 1970 (role.h). */
uint64_t pmip_wall_ns(int64_t wall_offset, dmm_time_t now);

/* The Timestamp option o in the 64-bit form of §8.8 (48-bit s << 16 | 1/65536 s). */
uint64_t pmip_ts_value(const struct dmm_mh_opt *o);

/*
 * RFC 5213 §5.3.1 step 4 and steps 5-8 at an anchor named self: 160
 * (missing MN-ID) when mnid is NULL, else pmip_authorize().
 */
uint8_t pmip_check_mn(const struct dmm_policy *pol, const struct dmm_addr *self, const struct dmm_addr *peer,
		      const struct dmm_mnid *mnid, const struct dmm_policy_profile **prof);

/*
 * RFC 5213 §5.3.1 step 9 with a Timestamp option ts (§5.5 rules 8 and 9):
 * 156 when ts lies outside window of wall_ns; 157 when has_last and ts is
 * not newer than last (§8.8 form); 0 when it passes.
 */
uint8_t pmip_check_ts(const struct dmm_mh_opt *ts, uint64_t wall_ns, dmm_time_t window, bool has_last,
		      uint64_t last);

/*
 * The one way a binding cache entry of an anchor changes state (fsm.h):
 * counts from -> to (states of enum dmm_bce_state, or DMM_FSM_NONE for
 * creation and deletion) in st and logs "role: who: OLD -> NEW (reason)"
 * at INFO in category FSM, with "none" for DMM_FSM_NONE. role, who and
 * reason are borrowed for the call; log may be NULL.
 */
void pmip_bce_note(struct dmm_pmip_stats *st, const struct dmm_log *log, const char *role, const char *who,
		   int from, int to, const char *reason);

/* A budget of log lines per second (rule 5: a bad packet costs a rate-limited log line). */
struct pmip_ratelimit {
	dmm_time_t start; /* of the current second */
	uint32_t count;	  /* lines asked for in it */
};

/* True when one more line fits the budget of per_second lines in the second of now. */
bool pmip_ratelimit_allow(struct pmip_ratelimit *rl, dmm_time_t now, uint32_t per_second);

/* ---- malformed.c ---- */

struct dmm_role_base;

/* A message that did not decode: where from, its bytes and the decoder's DMM_ERR_*. */
struct pmip_bad_rx {
	const struct dmm_addr *src, *dst;
	const uint8_t *buf;
	size_t len;
	int err;
};

/*
 * What an anchor (LMA, CMD) does with a message that did not decode
 * (ARCHITECTURE.md rule 5): count it by its DMM_ERR_* in b->stats, log a
 * line within the budget rl, answer an unknown MH type with a Binding
 * Error status 2 (RFC 6275 §9.2), built in tx and encoded into out (cap
 * bytes). Returns true when the message is a BU whose fixed part decoded
 * (with the P flag set, when p_required): the caller then answers it with
 * a PBA status 128 carrying *seq (RFC 5213 §5.3.1; its options are not
 * trusted). Everything else is counted and dropped.
 */
bool pmip_malformed(struct dmm_role_base *b, struct pmip_ratelimit *rl, struct dmm_mh_msg *tx, uint8_t *out,
		    size_t cap, const struct pmip_bad_rx *rx, bool p_required, dmm_time_t now, uint16_t *seq);

/* ===== end of the anchor-side block ===== */

/*
 * RFC 6705 §10.1: the options of a well-formed LRI (and of an LRA with
 * status 0, §10.2): two MN-IDs, each followed by one or more HNPs.
 */
bool pmip_lr_shape(const struct dmm_mh_msg *m);
/* The MN-ID an MN-ID option carries. */
void pmip_mnid_of_opt(const struct dmm_mh_opt *o, struct dmm_mnid *id);

#endif
