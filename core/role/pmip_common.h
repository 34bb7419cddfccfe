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
#include "dmm/mh.h"
#include "dmm/policy.h"
#include "dmm/role.h"
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

/* ===== Anchor side: LMA (lma.c), CMD (cmd.c) and MAAR as anchor ===== */

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

/* ===== end of the anchor-side block ===== */

#endif
