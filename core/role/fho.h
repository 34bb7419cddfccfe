/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * RFC 5949 fast handover, what the MAG (mag_fho.c) and the MAAR
 * (maar_fho.c) share: the states of a handover as one access router sees
 * it, one MN's record of it (struct fho_rec), the Handover Initiate /
 * Handover Acknowledge messages with the MN's context (§6.1, §6.2),
 * their receiving up to the role's rules (struct fho_ops), and the
 * counters (fho_counters). Below both roles: calls only the codec,
 * pmip_common.c and base.c, and the role through the fho_ops it is given.
 *
 * Not a public header.
 */
#ifndef DMM_CORE_ROLE_FHO_H
#define DMM_CORE_ROLE_FHO_H

#include "dmm/bul.h"
#include "dmm/mag.h" /* struct dmm_mag_fho_counters */
#include "dmm/mh.h"
#include "dmm/role.h" /* struct dmm_role_counter */

/* Where a handover stands at one access router (mag_fho.c and maar_fho.c have the rules). */
enum fho_state {
	FHO_NONE,
	FHO_P_HI_SENT,	/* previous: predictive HI sent, HAck awaited; delivering as before */
	FHO_P_BUFFER,	/* previous: MN gone, downlink held for the new one's HI (reactive) */
	FHO_P_FORWARD,	/* previous: downlink tunnelled to the new one until the hold ends */
	FHO_N_WAIT_MN,	/* new: context in, downlink buffered for the MN */
	FHO_N_HI_SENT,	/* new: the MN arrived unknown, HI sent to the neighbours, HAck awaited */
	FHO_N_FWD_WAIT, /* new: context in, HI {F} sent to the previous one; registration with its HAck */
	FHO_N_ORDER,	/* new: registered from here with the tunnel on; the LMA's packets held behind it */
	FHO_NSTATES
};

/*
 * One MN's fast handover at an access router (a MAG's BUL entry, a MAAR's
 * serving entry): previous = the router the MN leaves, new = the one it
 * reaches.
 */
struct fho_rec {
	uint8_t state; /* enum fho_state */
	bool gone;     /* previous: the MN left (its detach was seen, or it is at the new router) */
	bool nolink;   /* new: prepared, the MN has no access link here yet */
	bool tunnel;   /* new: the previous router's tunnel is accepted */
	bool revoked;  /* previous: the binding moved to the new router (LMA's BRI, CMD's new S-MAAR) */
	uint8_t asked; /* new, reactive: HAcks still awaited */
	uint16_t seq;  /* sequence number of our last HI */
	struct dmm_addr peer; /* the other router */
	dmm_time_t gone_at;   /* previous: when the MN left */
	dmm_time_t hi_sent;   /* our last HI */
	dmm_time_t hi_rcvd;   /* new: the HI with the context */
};

/* The name of state s for log lines. */
const char *fho_state_name(unsigned s);

/*
 * §6.1.1: m becomes an HI with sequence number seq, flags (P added: every
 * message of this protocol carries it), code and the MN-ID (MUST).
 */
void fho_hi_init(struct dmm_mh_msg *m, uint16_t seq, uint8_t flags, uint8_t code, const struct dmm_mnid *id);

/* §6.1.2: m becomes the HAck to hi: its sequence number, flags (P added), code, its MN-ID copied. */
void fho_hack_init(struct dmm_mh_msg *m, const struct dmm_mh_msg *hi, uint8_t flags, uint8_t code);

/* §6.2.1: a Context Request for the defaults, HNP and MN-LLID, and the LMA address. */
void fho_add_ctx_req(struct dmm_mh_msg *m);

/*
 * §6.2: the context of e into m: its HNPs (§6.2.4), the LMA address
 * lmaa (§6.2.2; none when NULL), the MN-LLID when valid (§4.1 step c:
 * non-zero) and the ATT.
 */
void fho_add_context(struct dmm_mh_msg *m, const struct dmm_bul_entry *e, const struct dmm_addr *lmaa);

/* Take the MN-LLID and ATT of m (an HI or HAck) into e, where e has none yet. */
void fho_take_link(struct dmm_bul_entry *e, const struct dmm_mh_msg *m);

/*
 * §6.1.1, §6.1.2: an HI or HAck of this protocol carries the P flag
 * (p_flag: DMM_HI_P or DMM_HACK_P) and an MN-ID, put into *id. False
 * otherwise: RFC 5568's HI for Mobile IPv6, not served here.
 */
bool fho_valid(const struct dmm_mh_msg *m, uint8_t p_flag, struct dmm_mnid *id);

/*
 * What the MAG and the MAAR each do on an HI or HAck (self: the role
 * instance); fho_recv() decides which.
 */
struct fho_ops {
	struct fho_rec *(*rec)(void *self, const struct dmm_bul_entry *e);
	void (*send_hack)(void *self, const struct dmm_addr *dst, const struct dmm_mh_msg *hi, uint8_t flags,
			  uint8_t code, const struct dmm_bul_entry *e);
	/* An HI: code "forwarding done" (new), with the context (new), asking for it (previous). */
	void (*fwd_done)(void *self, const struct dmm_addr *src, const struct dmm_mh_msg *m,
			 struct dmm_bul_entry *e, dmm_time_t now);
	void (*prepare)(void *self, const struct dmm_addr *src, const struct dmm_mh_msg *m,
			const struct dmm_mnid *id, struct dmm_bul_entry *e, dmm_time_t now);
	void (*give)(void *self, const struct dmm_addr *src, const struct dmm_mh_msg *m,
		     struct dmm_bul_entry *e, dmm_time_t now);
	/*
	 * A HAck, its timer disarmed: accepting or refusing the previous
	 * router's HI, with the context for the new one's reactive HI, none
	 * from any neighbour, to the new one's HI {F}.
	 */
	void (*disarm)(void *self, const struct dmm_bul_entry *e);
	void (*p_acked)(void *self, struct dmm_bul_entry *e, const struct dmm_mh_msg *m, dmm_time_t now);
	void (*p_refused)(void *self, struct dmm_bul_entry *e, dmm_time_t now);
	void (*n_acked)(void *self, const struct dmm_addr *src, struct dmm_bul_entry *e,
			const struct dmm_mh_msg *m, dmm_time_t now);
	void (*n_none)(void *self, struct dmm_bul_entry *e, dmm_time_t now);
	void (*n_forwarded)(void *self, struct dmm_bul_entry *e, dmm_time_t now);
};

/* A MAG or a MAAR as the receiving of HI and HAck sees it. */
struct fho_role {
	const struct fho_ops *ops;
	void *self;
	const struct dmm_bul *bul;	  /* the entries, by MN-ID */
	struct dmm_mag_fho_counters *cnt; /* the role's RFC 5949 counters */
	uint64_t *rx_unexpected;	  /* the role's stats */
	bool enabled;			  /* fast handover configured */
};

/*
 * §6.1.1 HI, §6.1.2 HAck (by m's type) from src: checked, matched to the
 * MN's entry (a HAck to our last HI), then taken by the role's rules.
 */
void fho_recv(const struct fho_role *r, const struct dmm_addr *src, const struct dmm_mh_msg *m,
	      dmm_time_t now);

/* The role's RFC 5949 counters c as role counters (none when fast handover is not enabled). */
size_t fho_counters(const struct dmm_mag_fho_counters *c, bool enabled, struct dmm_role_counter *out,
		    size_t max);

#endif
