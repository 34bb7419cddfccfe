/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Counters of a role instance, named after the PMIPv6 MIB (RFC 6475 §4)
 * where it has a name (the pmip6* comment on each), plus per-type message
 * counts and one counter per kind of malformed input (DMM_ERR_*).
 */
#ifndef DMM_STATS_H
#define DMM_STATS_H

#include <stdint.h>

#define DMM_STATS_MAX_ERR 64 /* index: -DMM_ERR_* */

/*
 * The state machines of a role's objects (STYLE.md: one set_state per
 * machine that logs and counts). Every change of state, creation and
 * deletion included, is counted here by dmm_fsm_note() (core/role/fsm.h).
 */
enum dmm_fsm_kind {
	DMM_FSM_BUL,	/* binding update list entries (MAG, serving MAAR): enum dmm_bul_state */
	DMM_FSM_BCE,	/* binding cache entries (LMA, CMD, anchoring MAAR): enum dmm_bce_state */
	DMM_FSM_PEER,	/* mobility peers (RFC 5847): enum dmm_peer_state */
	DMM_FSM_ANCHOR, /* the CMD's anchor table (GAP1-3): enum dmm_anchor_state */
	DMM_FSM_NKINDS
};

#define DMM_FSM_MAX_STATES 6 /* states per machine, not counting "none" */
#define DMM_FSM_NONE (-1)    /* the object does not exist: from NONE is created, to NONE deleted */

/* n[kind][from + 1][to + 1]: index 0 is DMM_FSM_NONE. */
struct dmm_fsm_counts {
	uint64_t n[DMM_FSM_NKINDS][DMM_FSM_MAX_STATES + 1][DMM_FSM_MAX_STATES + 1];
};

struct dmm_pmip_stats {
	uint64_t initial_registrations;	     /* pmip6InitialBindingRegistrations */
	uint64_t lifetime_ext_no_handoff;    /* pmip6BindingLifeTimeExtensionNoHandOff */
	uint64_t lifetime_ext_after_handoff; /* pmip6BindingLifeTimeExtensionAfterHandOff */
	uint64_t deregistrations;	     /* pmip6BindingDeRegistrations */
	uint64_t binding_acks;	 /* pmip6BindingBindingAcks (sent at the LMA, received at the MAG) */
	uint64_t ba_status[256]; /* PBAs by status: pmip6TimestampMismatch = [156], ... */
	uint64_t rx_by_type[32], tx_by_type[32];  /* Mobility Header messages by MH type */
	uint64_t rx_malformed[DMM_STATS_MAX_ERR]; /* by -DMM_ERR_* */
	uint64_t rx_checksum_bad;
	uint64_t
		rx_tolerated[8]; /* accepted with a DMM_MH_NOTE_* (bit i of notes): misaligned, reserved... */
	uint64_t rx_unknown_type;     /* answered with a BE, status 2 (RFC 6275 §9.2) */
	uint64_t rx_unexpected;	      /* well-formed, but not for this role or state */
	uint64_t pbu_retransmissions; /* MAG: §6.9.4 */
	uint64_t pbu_give_ups;	      /* MAG: no PBA after the last retry */
	uint64_t handoffs;	      /* LMA: Proxy-CoA changed (§5.3.4) */
	uint64_t bri_sent, bra_received, bri_received, bra_sent;       /* RFC 5846 */
	uint64_t hb_req_sent, hb_req_rcvd, hb_resp_sent, hb_resp_rcvd; /* RFC 5847 */
	uint64_t peers_down, peer_restarts;
	uint64_t tunnels_established, tunnels_released; /* pmip6{Mag,Lma}HomeTunnel{Established,Released} */
	uint64_t pool_exhausted;
	uint64_t
		dp_refused; /* a batched data plane refused an intent after install returned 0 (role.h refused) */
	struct dmm_fsm_counts transitions; /* every state change of the role's objects */
};

/* "bul", "bce", "peer", "anchor", or "?". */
const char *dmm_fsm_kind_name(enum dmm_fsm_kind k);

/* The name of state s (DMM_FSM_NONE: "none") of machine k, or "?". */
const char *dmm_fsm_state_name(enum dmm_fsm_kind k, int s);

#endif
