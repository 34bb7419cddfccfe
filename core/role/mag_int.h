/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Internals shared by the files of the MAG role, in layers that call
 * only downwards:
 *
 *   mag.c        top: receive dispatch, attach/detach, timer dispatch,
 *                life cycle, the ops table
 *   mag_pba.c    PBA processing (RFC 5213 §6.9.1.2)
 *   mag_lma.c    what the LMA starts: revocation (RFC 5846 §9.1) and
 *                heartbeat events (RFC 5847)
 *   mag_state.c  bottom: log names, intents, emitting events, release
 *                and refusal of an entry, the PBU contents
 *   bul_client.c below all: attempts, retransmission, refresh, expiry,
 *                the entries' set_state and their timers (the timer
 *                rules are at its top)
 *
 * Not a public header.
 */
#ifndef DMM_CORE_ROLE_MAG_INT_H
#define DMM_CORE_ROLE_MAG_INT_H

#include "dmm/fmt.h"
#include "dmm/mag.h"
#include "dmm/mh.h"
#include "dmm/timers.h"
#include "base.h"
#include "bul_client.h"
#include "fho.h"
#include "pmip_common.h"

/* The fast-handover timer of an entry (HAck wait, hold, MN wait); the localized-routing timer of a pair. */
enum { MAG_TIMER_FHO = DMM_TIMER_NKINDS_BUILTIN, MAG_TIMER_LR };

/* RFC 6705 localized routing (mag_lr.c has the rules): one pair of MNs. */
enum mag_lr_state { MAG_LR_FREE, MAG_LR_WAIT, MAG_LR_ON, MAG_LR_REFRESH, MAG_LR_REFUSED };
#define MAG_LR_MAX_PAIRS 32
#define MAG_LR_HNP 4 /* LREs per direction of a pair: the other MN's first HNPs */
#define MAG_LR_KEEP (MAG_LR_MAX_PAIRS * MAG_LR_HNP)
#define MAG_LR_PRECEDENCE 50 /* LREs: their own place beside the delivery intents (fm.h) */

/* Who set a pair up: this MAG asking two LMAs (A12, §7), an LMA's LRI (A11, §5), or the static A11 rule. */
enum mag_lr_kind { MAG_LR_ASK, MAG_LR_BY_LMA, MAG_LR_STATIC };

struct mag_lr_pair {
	uint8_t state;		     /* enum mag_lr_state */
	uint8_t kind;		     /* enum mag_lr_kind */
	uint8_t acked;		     /* bit k: the LMA of mn[k] answered status 0 */
	uint8_t tries;		     /* LRI retransmissions (LRI_RETRIES) */
	uint32_t gen;		     /* the pair's timer handle */
	struct dmm_handle mn[2];     /* the two BUL entries */
	struct dmm_addr lma[2];	     /* their LMAs */
	uint16_t seq[2];	     /* the last LRI to each */
	uint32_t lre[2][MAG_LR_HNP]; /* ids of the LREs owned by mn[k] (0: none) */
	dmm_time_t sent, expires;    /* LRIs sent; the granted lifetime ends (DMM_TIME_NEVER: infinite) */
};

struct mag_lr {
	struct mag_lr_pair pair[MAG_LR_MAX_PAIRS];
	uint16_t seq;
	struct dmm_mag_lr_counters ctr;
};

/* Per BUL entry, what neither the BUL nor the client's attempt holds; indexed by the entry's slot. */
struct mag_bx {
	struct fho_rec fho; /* RFC 5949 (mag_fho.c) */
	bool intents;	    /* intents installed */
	bool blocked;	    /* 152: no PBU until an administrative action (§6.9.1.2 item 7) */
	bool lma_down;	    /* the LMA missed its heartbeats (RFC 5847 §3.1) */
	bool has_upa;
	struct dmm_addr upa; /* LMA user-plane address (RFC 7389), when given */
	bool redir_cap;	     /* RFC 6463: the PBUs of the current attempt carry Redirect-Capability */
	bool redirected;     /* RFC 6463: at the r2LMA already: no capability again (no redirect loop) */
	bool by_name;	     /* RFC 6097: the LMA came from the LMA name's address list */
	uint8_t tried;	     /* RFC 6097: addresses of the list tried by this registration */
};

/* RFC 6097 LMA discovery (mag_disc.c): the LMA name's addresses, in the answer's order. */
struct mag_disc {
	uint8_t n, cur; /* cur: the address new registrations go to */
	struct dmm_addr a[DMM_MAG_MAX_LMA_ADDRS];
};

struct dmm_mag {
	struct dmm_role_base base; /* first: env, timers, peers, intents, stats (base.h) */
	struct dmm_mag_cfg cfg;
	struct dmm_bul *bul;
	struct bulc cl; /* attempts, sequence numbers, retransmission (bul_client.h) */
	struct mag_bx *bx;
	struct dmm_mag_counters ctr;
	struct dmm_mag_fho_counters fho; /* RFC 5949 (mag_fho.c) */
	uint16_t fho_seq;		 /* HI sequence numbers */
	struct mag_lr lr;		 /* RFC 6705 (mag_lr.c) */
	struct mag_disc disc;		 /* RFC 6097 (mag_disc.c) */
};

#define MAG_INTENT_PRECEDENCE 100

static inline bool mag_log_on(const struct dmm_mag *mag, enum dmm_log_level lvl)
{
	return dmm_role_base_log_on(&mag->base, lvl);
}

static inline struct mag_bx *mag_bx(struct dmm_mag *mag, const struct dmm_bul_entry *e)
{
	return &mag->bx[e->handle.idx];
}

static inline struct bulc_attempt *mag_at(struct dmm_mag *mag, const struct dmm_bul_entry *e)
{
	return bulc_at(&mag->cl, e);
}

/* mag_state.c */
/* "MN-ID prefix P lma A": the object every log line names (ARCHITECTURE rule 8). */
const char *mag_who(const struct dmm_bul_entry *e, struct bulc_who *w);
/* What the MAG plugs into its BUL client: PBU contents, give-up, expiry. */
extern const struct bulc_ops mag_bulc_ops;
/* Encode m and send it from the MAG's address to dst. */
void mag_tx(struct dmm_mag *mag, const struct dmm_addr *dst, const struct dmm_mh_msg *m);
/* Report an access-side event for e (env.mn_event). */
void mag_emit(struct dmm_mag *mag, uint8_t type, uint8_t status, const struct dmm_bul_entry *e);
void mag_intents_del(struct dmm_mag *mag, struct dmm_bul_entry *e);
void mag_strip(struct dmm_mag *mag, struct dmm_bul_entry *e, dmm_time_t now);
/* Per HNP: uplink into the tunnel, downlink out of it, delivery on the link (§6.10.5). */
void mag_intents_install(struct dmm_mag *mag, struct dmm_bul_entry *e, dmm_time_t now);
/* Delete e with its intents, timers and heartbeat reference. */
void mag_release(struct dmm_mag *mag, struct dmm_bul_entry *e, dmm_time_t now, const char *reason);
/* The MN left (§6.9.1.4): intents gone, DMM_MN_DEREGISTERED, the de-registration PBU (or release). */
void mag_deregister(struct dmm_mag *mag, struct dmm_bul_entry *e, dmm_time_t now);
/* Deny service to e (§6.9.1.2 item 11): REFUSED event, entry deleted, or kept IDLE as a block. */
void mag_refuse(struct dmm_mag *mag, struct dmm_bul_entry *e, uint8_t status, bool block, dmm_time_t now,
		const char *reason);

/*
 * RFC 5949 (the rules are at the top of mag_fho.c), read by mag_state.c:
 * the downlink intent for an HNP of e (*in holds DELIVER on e's link)
 * becomes a tunnel to the NMAG (§4.2, the LMA tunnel's encapsulation) or
 * a buffer (§4.1: at the PMAG or at the NMAG) while a handover is on.
 */
static inline void mag_fho_dst(const struct dmm_mag *mag, const struct dmm_bul_entry *e,
			       struct dmm_intent *in)
{
	const struct fho_rec *f = &mag->bx[e->handle.idx].fho;

	/*
	 * RFC 5949 §4.1 Figure 2: the forwarding of step f starts with the
	 * HAck, before the MN is told to move (step g), not when its leaving
	 * is seen: a link that goes down drops what is on its way onto it
	 * (the kernel's queue of a closing device), so waiting for the
	 * detach would lose those packets. The NMAG buffers them until the MN
	 * is there.
	 */
	if (f->state == FHO_P_FORWARD) {
		in->action = DMM_FM_ENCAP;
		in->link = 0;
		in->local = mag->cfg.addr;
		in->peer = f->peer;
	} else if (f->state == FHO_P_BUFFER || f->state == FHO_N_WAIT_MN || f->state == FHO_N_ORDER ||
		   (f->state == FHO_P_HI_SENT && f->gone)) {
		/* N_ORDER: the MN is here; where the backend can, the PMAG's packets pass at once (fm.h). */
		bool pass = f->state == FHO_N_ORDER && dmm_fm_can(mag->base.fm, DMM_FM_CAP_PASS);

		in->action = DMM_FM_BUFFER;
		in->link = pass ? in->link : 0;
		/*
		 * NMAG: what the PMAG forwards left the LMA before what the LMA
		 * sends here once it switched (early registration, or the
		 * registration that N_ORDER covers), but takes longer (two passes
		 * through the PMAG): released first (fm.h).
		 */
		if (f->state == FHO_N_WAIT_MN || f->state == FHO_N_ORDER)
			in->peer = f->peer;
	}
}

/* True when e has no access link yet (an NMAG prepared it for an MN still to come): no event for a link. */
static inline bool mag_fho_quiet(const struct dmm_mag *mag, const struct dmm_bul_entry *e)
{
	return mag->bx[e->handle.idx].fho.nolink;
}

/*
 * mag_lr.c: RFC 6705 localized routing, below mag_state.c (it calls only
 * the base, the BUL and the intent table). mag_lr_registered() after e's
 * intents were installed on an accepted registration; mag_lr_gone() when
 * e's intents go; mag_lr_keep() appends the ids of e's LREs to keep, so
 * that mag_intents_install() keeps them beside e's own.
 */
void mag_lr_registered(struct dmm_mag *mag, struct dmm_bul_entry *e, dmm_time_t now);
void mag_lr_gone(struct dmm_mag *mag, const struct dmm_bul_entry *e, dmm_time_t now);
void mag_lr_keep(const struct dmm_mag *mag, const struct dmm_bul_entry *e, uint32_t *keep, unsigned *n);
void mag_lr_recv_lra(struct dmm_mag *mag, const struct dmm_addr *src, const struct dmm_mh_msg *m,
		     dmm_time_t now);
void mag_lr_recv_lri(struct dmm_mag *mag, const struct dmm_addr *src, const struct dmm_mh_msg *m,
		     dmm_time_t now);
void mag_lr_on_timer(struct dmm_mag *mag, struct dmm_handle h, dmm_time_t now);

/* mag_redirect.c: a PBA with the Redirect option for e (RFC 6463 §5.2); true when it handled it. */
bool mag_redirect_pba(struct dmm_mag *mag, struct dmm_bul_entry *e, const struct dmm_mh_msg *m,
		      dmm_time_t now);

/*
 * mag_disc.c: RFC 6097 LMA discovery, below mag_state.c (it calls only
 * bul_client.c). mag_disc_lma: the LMA for a new entry without a profile
 * LMA (false: none known yet). mag_disc_give_up: a registration went
 * unanswered; true when it moved on to the next address. mag_disc_stale:
 * e's LMA left the LMA name's list and e may move now (mag.c moves it at
 * its refresh).
 */
bool mag_disc_lma(struct dmm_mag *mag, struct dmm_addr *out);
bool mag_disc_give_up(struct dmm_mag *mag, struct dmm_bul_entry *e, dmm_time_t now);
bool mag_disc_stale(struct dmm_mag *mag, struct dmm_bul_entry *e);

/* mag_pba.c */
void mag_recv_pba(struct dmm_mag *mag, const struct dmm_addr *src, const struct dmm_mh_msg *m,
		  dmm_time_t now);

/* mag_lma.c */
void mag_recv_bri(struct dmm_mag *mag, const struct dmm_addr *src, const struct dmm_mh_msg *m,
		  dmm_time_t now);
void mag_peer_down(void *ctx, struct dmm_peer *p, dmm_time_t now);
void mag_peer_up(void *ctx, struct dmm_peer *p, dmm_time_t now);
void mag_peer_restarted(void *ctx, struct dmm_peer *p, dmm_time_t now);

/*
 * mag_fho.c: RFC 5949 fast handover, beside the layers above (it calls
 * mag_state.c and bul_client.c; mag.c, mag_state.c and mag_lma.c call
 * these hooks). Each returns true when it handled the event.
 */
void mag_fho_recv(struct dmm_mag *mag, const struct dmm_addr *src, const struct dmm_mh_msg *m,
		  dmm_time_t now);
void mag_fho_on_timer(struct dmm_mag *mag, struct dmm_handle h, dmm_time_t now);
/* A prepared MN (FHO_N_WAIT_MN) arrived on link: complete the handover. */
bool mag_fho_arrived(struct dmm_mag *mag, struct dmm_bul_entry *e, uint32_t link, dmm_time_t now);
/* A new MN without prefixes attached: ask the neighbours for its context (reactive). */
bool mag_fho_ask(struct dmm_mag *mag, struct dmm_bul_entry *e, dmm_time_t now);
/* The MN left: hold or keep forwarding instead of de-registering. */
bool mag_fho_detached(struct dmm_mag *mag, struct dmm_bul_entry *e, dmm_time_t now);
/* A PBA accepted for e: in N_ORDER, the LMA's packets are released order_wait later. */
void mag_fho_registered(struct dmm_mag *mag, struct dmm_bul_entry *e, dmm_time_t now);
/* The LMA revoked e (RFC 5846): forwarding goes on until the hold ends. */
bool mag_fho_revoked(struct dmm_mag *mag, struct dmm_bul_entry *e, dmm_time_t now);
/* The fast-handover counters as role counters (dmm_role_ops.counters). */
size_t mag_fho_role_counters(const void *inst, struct dmm_role_counter *out, size_t max);

#endif
