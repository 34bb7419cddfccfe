/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The Mobile Access Gateway of Proxy Mobile IPv6 (RFC 5213 §6) as a
 * sans-IO state machine: attach and detach events from access links,
 * PBU with retransmission (§6.9.4: InitialBindackTimeoutFirstReg /
 * INITIAL_BINDACK_TIMEOUT doubling to MAX_BINDACK_TIMEOUT, bounded
 * retries), refresh before the lifetime ends, de-registration on detach,
 * every PBA status handled, BRI answered (RFC 5846 §9.1), heartbeats with
 * the LMAs (RFC 5847) and re-registration after an LMA restart.
 */
#ifndef DMM_MAG_H
#define DMM_MAG_H

#include "dmm/bul.h"
#include "dmm/fm.h"
#include "dmm/peer.h"
#include "dmm/policy.h"
#include "dmm/role.h"
#include "dmm/stats.h"

#define DMM_MAG_FHO_MAX_NEIGHBOUR 8
#define DMM_MAG_MAX_LMA_ADDRS 8 /* addresses of one LMA name kept (RFC 6097 discovery) */

struct dmm_mag_cfg {
	struct dmm_addr addr;	     /* Proxy-CoA: the MAG's address towards the LMAs */
	struct dmm_addr default_lma; /* LMA for MNs whose profile names none */
	struct dmm_policy *policy; /* borrowed: which MNs may attach and their LMA; NULL: any, default_lma */
	uint32_t max_mns;	   /* binding update list capacity */
	uint32_t max_peers;
	uint32_t lifetime_s;			      /* lifetime asked for in PBUs, 600 s by default */
	dmm_time_t initial_bindack_timeout;	      /* INITIAL_BINDACK_TIMEOUT, 1 s (RFC 6275 §13) */
	dmm_time_t initial_bindack_timeout_first_reg; /* 1.5 s (RFC 5213 §6.9.4); 0: use the above */
	dmm_time_t max_bindack_timeout;		      /* MAX_BINDACK_TIMEOUT, 32 s */
	uint8_t max_retransmissions;		      /* retries before giving up, 5 by default */
	uint32_t refresh_margin_pct;		      /* refresh when this % of the lifetime is left, 20 */
	bool timestamp_based;			      /* put a Timestamp option in PBUs, default true */
	uint8_t att;				      /* default Access Technology Type, 3 (802.3) */
	dmm_time_t heartbeat_interval;		      /* RFC 5847: 60 s; 0 disables */
	uint8_t missing_heartbeats_allowed;	      /* 3 */
	uint32_t restart_counter;
	/* Fast handover (RFC 5949); every field 0 (the default) turns it off. */
	struct dmm_mag_fho_cfg {
		bool enabled;	 /* answer HI, and send one on dmm_mag_handover() */
		bool reactive;	 /* on detach, hold the MN's downlink for the new MAG's HI (§4.1 Fig. 3) */
		bool early_reg;	 /* a prepared NMAG registers at once, not when the MN arrives */
		dmm_time_t hold; /* forward (or hold) a moved MN's downlink this long; 0: 1 s */
		dmm_time_t hi_wait;    /* wait this long for a HAck; 0: 200 ms */
		dmm_time_t mn_wait;    /* a prepared NMAG waits this long for the MN; 0: 5 s */
		dmm_time_t order_wait; /* NMAG: the LMA's packets held this long after its PBA; 0: 5 ms */
		uint8_t n_neighbour;   /* MAGs an NMAG asks for an unknown MN's context (reactive) */
		struct dmm_addr neighbour[DMM_MAG_FHO_MAX_NEIGHBOUR];
	} fho;
	/* RFC 6463 §5.2 EnableLMARedirectFunction: Redirect-Capability in new sessions' PBUs; off by default. */
	bool redirect;
	/*
	 * LMA discovery by name (RFC 6097): default_lma is ignored and the
	 * default LMA is an address of the list dmm_mag_set_lmas() gives;
	 * with lma_moves a binding whose LMA left the list moves to the
	 * list's address at its next refresh.
	 */
	bool lma_by_name;
	bool lma_moves;
	/* Localized routing (RFC 6705 §7, scenario A12); off by default. */
	struct dmm_mag_lr_cfg {
		bool enabled;	     /* pair MNs anchored at different LMAs, ask both LMAs */
		uint16_t lifetime_s; /* asked for in LRIs; 0: infinite (0xffff, §10.1) */
		dmm_time_t lra_wait; /* LRA_WAIT_TIME, 3 s (§12) */
		uint8_t retries;     /* LRI_RETRIES, 3 (§12) */
		/*
		 * EnableMAGLocalRouting (RFC 5213 §6.10.3, §9.2): an LMA's LRI
		 * for two MNs here (scenario A11, RFC 6705 §5) is taken (LREs,
		 * LRA 0); off: LRA 128 (§5).
		 */
		bool local_routing;
		/*
		 * Scenario A11 without signalling (RFC 6705 §5, last sentences:
		 * "statically initiate LR based on EnableMAGLocalRouting"): two
		 * MNs here at the same LMA are routed here at once, no LRI (§3.1:
		 * the MAG MUST NOT send one). Needs local_routing.
		 */
		bool same_lma;
	} lr;
};

void dmm_mag_cfg_defaults(struct dmm_mag_cfg *cfg);

/*
 * Status of a DMM_MN_REFUSED event when the LMA never answered (every
 * retransmission of §6.9.4 went unanswered). No PBA carries 0 in a
 * refusal, so it cannot be mistaken for an LMA's status.
 */
#define DMM_MN_STATUS_NO_ANSWER 0

/* MAG counters that struct dmm_pmip_stats has no field for. */
struct dmm_mag_counters {
	uint64_t attach_refused_policy; /* by the profile, or blocked (§6.9.1.2 item 7) */
	uint64_t attach_refused_full;	/* binding update list full */
	uint64_t pba_echo_mismatch;	/* HI/ATT/MN-LLID differ from the PBU (§6.9.1.2 item 6) */
	uint64_t pba_d_flag;		/* PBAs with the D flag, ignored (RFC 8885 §4.2) */
	uint64_t ts_resyncs;		/* retries after status 156/157 */
	uint64_t seq_resyncs;		/* retries after status 135 */
	uint64_t intents_failed;	/* the data plane refused an intent, or the table was full */
	uint64_t rereg_after_restart;	/* PBUs sent because an LMA restarted (RFC 5847 §3.2) */
	uint64_t bindings_marked_down;	/* bindings whose LMA was declared down (RFC 5847 §3.1) */
	uint64_t redirected;		/* PBAs with the Redirect option followed (RFC 6463 §5.2) */
	uint64_t lma_next_address;	/* registrations moved on to the next address of the LMA name */
	uint64_t lma_moved;		/* bindings moved because the LMA name names another address */
	uint64_t attach_no_lma;		/* attaches refused: the LMA name has no address yet */
	uint64_t transitions[DMM_BUL_NSTATES][DMM_BUL_NSTATES]; /* BUL state changes, [from][to] */
};

struct dmm_mag;

struct dmm_mag *dmm_mag_new(const struct dmm_env *env, const struct dmm_mag_cfg *cfg, dmm_time_t now);
void dmm_mag_free(struct dmm_mag *mag);
int dmm_mag_reconfigure(struct dmm_mag *mag, const struct dmm_mag_cfg *cfg, dmm_time_t now);

/*
 * An MN attached on access link `link` (RFC 5213 §6.9.1.1: an attach
 * event such as a Router Solicitation or a link up). ll is its link-layer
 * address (MN-LLID), att the access technology. Sends the PBU at once.
 * Returns 0, DMM_ERR_NOMEM (list full) or DMM_ERR_INVAL (policy refuses).
 * A repeated attach on the same link is a no-op while registering or
 * registered (it only re-announces DMM_MN_REGISTERED).
 */
int dmm_mag_attach(struct dmm_mag *mag, const struct dmm_mnid *mnid, uint32_t link, const uint8_t *ll,
		   uint8_t ll_len, uint8_t att, dmm_time_t now);

/* The MN left link (§6.9.1.2): de-register with lifetime 0 and remove its intents. */
int dmm_mag_detach(struct dmm_mag *mag, const struct dmm_mnid *mnid, dmm_time_t now);

void dmm_mag_recv(struct dmm_mag *mag, const struct dmm_addr *src, const struct dmm_addr *dst,
		  const uint8_t *buf, size_t len, dmm_time_t now);

const struct dmm_bul *dmm_mag_bul(const struct dmm_mag *mag);
const struct dmm_mag_counters *dmm_mag_counters(const struct dmm_mag *mag);

/*
 * RFC 5949 fast handover. dmm_mag_handover() is the Handover indication
 * of §3 (an L2 trigger: the access network tells the PMAG that the MN
 * attached here is about to move to the MAG at nmag): the MAG sends a
 * predictive HI (§4.1 Figure 2 step c) with the MN's context and, once
 * acknowledged, forwards its downlink to nmag, which buffers it until the
 * MN arrives. Returns 0, DMM_ERR_NOTFOUND (no such MN), DMM_ERR_INVAL
 * (fast handover off, nmag is this MAG, or the MN is not registered here)
 * or DMM_ERR_EXISTS (a handover of this MN is under way).
 */
int dmm_mag_handover(struct dmm_mag *mag, const struct dmm_mnid *mnid, const struct dmm_addr *nmag,
		     dmm_time_t now);

/*
 * LMA discovery (RFC 6097: the MAG learns its LMA's address from a
 * DNS lookup): the addresses the last lookup of the configured LMA name
 * returned, in the answer's order (n <= DMM_MAG_MAX_LMA_ADDRS; a copy is
 * kept). The resolver is the caller's; this is an input event like a
 * reconfiguration. New MNs register at the first address, or at the one
 * a failed registration moved on to while the list stays the same; a
 * registration that goes unanswered (§6.9.4 retransmissions exhausted)
 * tries the next address before the MN is refused. Existing bindings stay
 * while their LMA is in the list; one whose LMA left it moves (with
 * lma_moves) at its next refresh: de-registration at the old address,
 * new registration at the new one. n == 0 is refused (DMM_ERR_INVAL):
 * a failed lookup keeps the last good list. The same addresses in
 * another order are the same list. Returns 1 when the list changed, 0
 * when it is the same, DMM_ERR_INVAL when the MAG has no LMA name.
 */
int dmm_mag_set_lmas(struct dmm_mag *mag, const struct dmm_addr *a, unsigned n, dmm_time_t now);
/* The current list: its length, *cur the index new registrations use. */
unsigned dmm_mag_lmas(const struct dmm_mag *mag, const struct dmm_addr **a, unsigned *cur);

/* Fast-handover counters (RFC 5949) and the phases of the last handover this MAG completed. */
struct dmm_mag_fho_counters {
	uint64_t hi_sent, hi_received, hack_sent, hack_received;
	uint64_t predictive;	/* MNs that arrived prepared (context and registration before the MN) */
	uint64_t reactive;	/* MNs whose context came from the PMAG after they arrived */
	uint64_t forwarded_out; /* MNs whose downlink this MAG forwarded to an NMAG */
	uint64_t refused;	/* HAck with Code >= 128 sent or received */
	uint64_t no_answer;	/* HI without a HAck in time */
	uint64_t hi_bad;	/* HI or HAck without P, MN-ID or a needed option */
	dmm_time_t last_ctx;	/* HI sent -> HAck received (context transfer) */
	dmm_time_t last_reg;	/* PBU sent -> PBA accepted at the NMAG */
	dmm_time_t last_attach; /* HI received -> MN attached (predictive: how far ahead) */
	dmm_time_t last_ready;	/* MN attached -> delivery on the link installed */
};

const struct dmm_mag_fho_counters *dmm_mag_fho_counters(const struct dmm_mag *mag);

/* Localized routing counters (RFC 6705). */
struct dmm_mag_lr_counters {
	uint64_t lri_sent, lra_received;
	uint64_t started;     /* pairs whose traffic is routed here */
	uint64_t ended;	      /* ... and went back to the tunnels */
	uint64_t refused;     /* an LMA refused (status >= 128) */
	uint64_t no_answer;   /* no LRA after LRI_RETRIES, or the lifetime ran out */
	uint64_t table_full;  /* a pair found no room */
	uint64_t lri_refused; /* LMA-initiated LRIs answered >= 128 */
	uint64_t lri_taken;   /* LMA-initiated LRIs answered 0 (RFC 6705 §5) */
	uint32_t active;      /* pairs routed here now */
};

const struct dmm_mag_lr_counters *dmm_mag_lr_counters(const struct dmm_mag *mag);

extern const struct dmm_role_ops dmm_mag_ops;

#endif
