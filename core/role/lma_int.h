/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Internals shared by the files of the LMA role (the layers are listed
 * below). Not a public header. The timer rules are at the top of
 * lma_timers.c.
 */
#ifndef DMM_CORE_ROLE_LMA_INT_H
#define DMM_CORE_ROLE_LMA_INT_H

#include "base.h"
#include "dmm/addrtab.h"
#include "dmm/fmt.h"
#include "dmm/lma.h"
#include "dmm/mh.h"
#include "pmip_common.h"

/* Our own timer kind above the built-in ones (timers.h); its rule is in lma_timers.c. */
enum { LMA_TIMER_BRI_RETX = DMM_TIMER_NKINDS_BUILTIN, LMA_TIMER_LR };

/*
 * RFC 6705 §5 (scenario A11), the LMA's side (lma_lr.c has the rules):
 * one pair of MNs bound here at the same MAG, asked of that MAG by LRI.
 * The records are a fixed table; the LRI's sequence number names the
 * record (its low LMA_LR_BITS), so an LRA finds its pair at once.
 */
enum lma_lr_state { LMA_LR_FREE, LMA_LR_WAIT, LMA_LR_ON, LMA_LR_REFRESH, LMA_LR_REFUSED };
#define LMA_LR_BITS 6
#define LMA_LR_MAX_PAIRS (1u << LMA_LR_BITS)

struct lma_lr_pair {
	uint8_t state;		 /* enum lma_lr_state */
	uint8_t tries;		 /* LRI retransmissions (LRI_RETRIES) */
	uint16_t seq;		 /* the last LRI */
	uint32_t gen;		 /* the pair's timer handle */
	struct dmm_handle mn[2]; /* the two bindings */
	uint32_t next[2];	 /* the next pair of binding mn[k] (record + 1; 0: none) */
	uint32_t mag;		 /* the peer (MAG) both are at: its slot + 1, as lma_bx.peer */
	dmm_time_t sent, expires;
};

/*
 * Per binding, what localized routing needs (lma->lrx, by handle.idx):
 * the links of the per-MAG list (the bindings that hold a reference on
 * one peer, head in lma->mag_head by the peer's handle.idx) and the
 * first of the binding's pairs. Numbers are record + 1, 0: none.
 */
struct lma_lrx {
	uint32_t next, prev; /* bindings at the same MAG */
	uint32_t mag;	     /* the peer slot + 1 whose list holds the binding (0: none) */
	uint32_t gen;	     /* the binding's handle.gen while listed */
	uint32_t pair;	     /* the binding's first LR pair */
};

/*
 * What the LMA keeps per binding beside the cache entry (lma_bx_of()),
 * indexed by handle.idx: 24 octets. The addresses are numbers in the
 * LMA's address table (addrtab.h: few distinct MAG addresses and
 * link-local addresses, each held once); 0 is the zero address.
 */
struct lma_bx {
	/* The peer this binding holds a reference on: its slot + 1 (peers keep their slots, peer.h), 0: none. */
	uint32_t peer;
	uint32_t bri : 30;    /* the BRI waiting for its BRA: its record + 1 (lma_bri_of()), 0: none */
	uint32_t hw_over : 1; /* the wait ended without a de-registration: hw_mag gets a new session */
	uint32_t upa : 1;     /* RFC 7389 §5: the LMA-UPA is in use for this binding */
	/* RFC 5213 §5.4.1.3 step 3: the MAG whose HI 4 request waits (HANDOFF_WAIT) or waited for this binding. */
	uint32_t hw_mag;
	uint32_t mn_lla; /* the MN's link-local address (RFC 5213 §8.7), 0 (zero) when not known */
};

_Static_assert(sizeof(struct lma_bx) == 16, "a binding's LMA record is 16 octets");

/*
 * A BRI waiting for its BRA (RFC 5846 §8.1), in a pool sized for the
 * handoffs of a moment (lma.c), not one per binding. A free record links
 * the next free one in owner.idx.
 */
struct lma_bri {
	struct dmm_handle owner; /* the binding, for a BRA that names only the seq */
	uint32_t dst;		 /* the previous MAG: a number in lma->addrs */
	uint16_t seq;
	uint8_t sent; /* transmissions */
	uint8_t trigger;
};

_Static_assert(sizeof(struct lma_bri) == 16, "a pending BRI is 16 octets");

#define LMA_BRI_DELAY DMM_SECOND	   /* InitMINDelayBRIs, RFC 5846 §11 */
#define LMA_BRI_MAX_DELAY (2 * DMM_SECOND) /* MAX_BRACK_TIMEOUT */

/*
 * The interval after transmission number b->sent (RFC 5846 §6.3):
 * InitMINDelayBRIs after the first, doubled after each retransmission up
 * to MAX_BRACK_TIMEOUT. A function of sent, so not kept in the record.
 */
static inline dmm_time_t lma_bri_delay(const struct lma_bri *b)
{
	dmm_time_t d = LMA_BRI_DELAY;

	for (unsigned k = 1; k < b->sent && d < LMA_BRI_MAX_DELAY; k++)
		d *= 2;
	return d < LMA_BRI_MAX_DELAY ? d : LMA_BRI_MAX_DELAY;
}

struct dmm_lma {
	struct dmm_role_base base; /* first: env, timers, peers, intents, stats (base.h) */
	struct dmm_lma_cfg cfg;
	struct dmm_bcache *bc;
	struct dmm_pool *pool;
	uint32_t fm_cap;
	struct lma_bx *bx;
	struct lma_bri *bri;	    /* bri_cap records */
	uint32_t bri_cap, bri_free; /* the first free record, or UINT32_MAX */
	uint32_t bri_fresh;	    /* records [bri_fresh, bri_cap) were never used: free, off the list */
	struct dmm_hidx bri_idx;    /* pending BRI seq -> its record */
	struct dmm_addrtab addrs; /* the addresses lma_bx names (keyed: link-local addresses come in PBUs) */
	uint16_t bri_seq;
	struct pmip_ratelimit rl;	  /* malformed-input log lines */
	uint64_t lr_accepted, lr_refused; /* LRIs answered 0 and >= 128 (RFC 6705, lma_lr.c) */
	struct lma_lrx *lrx; /* per binding slot (RFC 6705 §5, lma_lr.c); NULL unless lr.initiate (lma.c) */
	uint32_t *mag_head;  /* per peer slot: its first binding + 1 */
	uint32_t mag_cap;    /* peer slots in mag_head */
	struct lma_lr_pair lr[LMA_LR_MAX_PAIRS];
	uint16_t lr_seq;			       /* the upper bits of LRI sequence numbers */
	uint64_t lr_started, lr_ended, lr_lri_refused; /* LMA-initiated pairs (lma_lr.c) */
	uint64_t redirected; /* PBUs answered with the Redirect option (RFC 6463, lma_redirect.c) */
	const struct dmm_addr *tx_redirect; /* send_pba(): add the Redirect option naming it */
	/* Scratch space, kept out of the stack: a decoded message is ~9 KB. */
	struct dmm_mh_msg rx, tx;
	uint8_t buf[DMM_MH_MAX_LEN];
};

static inline struct lma_bx *lma_bx_of(struct dmm_lma *lma, const struct dmm_bcache_entry *e)
{
	return &lma->bx[e->handle.idx];
}

/* The BRI of e waiting for its BRA, or NULL. */
static inline struct lma_bri *lma_bri_of(struct dmm_lma *lma, const struct dmm_bcache_entry *e)
{
	uint32_t r = lma_bx_of(lma, e)->bri;

	return r ? &lma->bri[r - 1] : NULL;
}

/*
 * The layers, bottom up; a file calls only files below it (no cycles):
 *   lma_timers.c  the timer rules, as named hooks
 *   lma_state.c   binding states, logging, peers and tunnels, intents,
 *                 deletion of a binding
 *   lma_bri.c     Binding Revocation (RFC 5846): BRI out, BRA in; a
 *                 MAG's BRI in, BRA out
 *   lma_pbu.c     PBU in, PBA out (RFC 5213 §5.3)
 *   lma.c         receive dispatch, timer dispatch, peer events, life
 *                 cycle, the ops table
 */

/* lma_timers.c: see the rules at its top. */

/* The LRI of LR pair h went out (or it is on): its timer fires at t. */
void lma_timers_lr_set(struct dmm_lma *lma, struct dmm_handle h, dmm_time_t t);
/* LR pair h ended. */
void lma_timers_lr_stop(struct dmm_lma *lma, struct dmm_handle h);

/*
 * lma_lr.c (RFC 6705), above lma_timers.c and below lma_state.c (it calls
 * the base, the binding cache and the timer hooks only):
 * lma_lr_at_mag() when binding e took a reference on its MAG's peer
 * (lma_peer_hold()), lma_lr_left() when it drops it or moves (its pairs
 * end, §4, §5.1); lma_lr_bound() once the PBA accepting e at a MAG went
 * out: the LRIs for its pairs there (§3.2, §5).
 */
void lma_lr_at_mag(struct dmm_lma *lma, struct dmm_bcache_entry *e, dmm_time_t now);
void lma_lr_left(struct dmm_lma *lma, struct dmm_bcache_entry *e, dmm_time_t now);
void lma_lr_bound(struct dmm_lma *lma, struct dmm_bcache_entry *e, dmm_time_t now);
void lma_lr_recv_lra(struct dmm_lma *lma, const struct dmm_addr *src, const struct dmm_mh_msg *m,
		     dmm_time_t now);
void lma_lr_timer(struct dmm_lma *lma, struct dmm_handle h, dmm_time_t now);

/* A PBU for e was accepted (§5.3.2-§5.3.4): e lives until e->expires. */
void lma_timers_binding_accepted(struct dmm_lma *lma, const struct dmm_bcache_entry *e);
/* A de-registration of e was accepted (§5.3.5): no expiry, the deletion delay instead. */
void lma_timers_dereg_received(struct dmm_lma *lma, const struct dmm_bcache_entry *e, dmm_time_t now);
/* A PBU revived e during its deletion delay (§5.3.5). */
void lma_timers_dereg_ended(struct dmm_lma *lma, const struct dmm_bcache_entry *e);
/* e is being deleted: its binding timers go (the BRI's go with lma_timers_bri_stopped()). */
void lma_timers_binding_deleted(struct dmm_lma *lma, const struct dmm_bcache_entry *e);
/* The BRI of e went out: its next retransmission is due after lma_bri_delay(). */
void lma_timers_bri_sent(struct dmm_lma *lma, const struct dmm_bcache_entry *e, dmm_time_t now);
/* The BRI of e is answered or given up. */
void lma_timers_bri_stopped(struct dmm_lma *lma, const struct dmm_bcache_entry *e);
/* e entered HANDOFF_WAIT (§5.4.1.3 step 3): the wait ends after MaxDelayBeforeNewBCEAssign. */
void lma_timers_handoff_wait_started(struct dmm_lma *lma, const struct dmm_bcache_entry *e, dmm_time_t now);
/* e left HANDOFF_WAIT. */
void lma_timers_handoff_wait_ended(struct dmm_lma *lma, const struct dmm_bcache_entry *e);

/* lma_state.c */

/*
 * Make *n (a number in lma->addrs) name a instead: a is held before the
 * old address is let go. When the table is full, *n becomes 0 (not
 * known) and false is returned.
 */
bool lma_addr_set(struct dmm_lma *lma, uint32_t *n, const struct dmm_addr *a);
/* The address of number n in lma->addrs. */
static inline const struct dmm_addr *lma_addr(const struct dmm_lma *lma, uint32_t n)
{
	return dmm_addrtab_get(&lma->addrs, n);
}

/* Log a line about e that changes no state ("ACTIVE -> ACTIVE (handoff)"), naming MN-ID, prefix and MAG. */
void lma_log_bce(struct dmm_lma *lma, enum dmm_log_level lvl, const struct dmm_bcache_entry *e,
		 const char *from, const char *to, const char *reason);
/* The entry e was just added (§5.3.2): counted and logged "none -> ACTIVE (reason)". */
void lma_bce_created(struct dmm_lma *lma, const struct dmm_bcache_entry *e, const char *reason);
/* Move e to state to: counted and logged "old -> new (reason)". */
void lma_set_state(struct dmm_lma *lma, struct dmm_bcache_entry *e, enum dmm_bce_state to,
		   const char *reason);
/* Delete e with everything it holds: intents, prefixes, peer reference, BRI, timers. */
void lma_bce_delete(struct dmm_lma *lma, struct dmm_bcache_entry *e, const char *reason, dmm_time_t now);
/* Encode m into the scratch buffer and send it from src to dst. */
void lma_send_msg(struct dmm_lma *lma, const struct dmm_addr *src, const struct dmm_addr *dst,
		  const struct dmm_mh_msg *m);
/* The binding e now uses the tunnel to e->pcoa: one heartbeat reference on that peer. */
void lma_peer_hold(struct dmm_lma *lma, struct dmm_bcache_entry *e, dmm_time_t now);
/* Drop a reference taken by lma_peer_hold() on the peer of slot + 1 n (lma_bx.peer; 0: none). */
void lma_peer_unref(struct dmm_lma *lma, uint32_t n, dmm_time_t now);
/* Drop e's peer reference, if it holds one. */
void lma_peer_release(struct dmm_lma *lma, struct dmm_bcache_entry *e, dmm_time_t now);
/* Replace every intent of e after its state (RFC 5213 §5.6.2, §5.3.5); false when the data plane refused one. */
bool lma_set_intents(struct dmm_lma *lma, const struct dmm_bcache_entry *e, dmm_time_t now);
/*
 * §5.3.5 step 2: e is de-registered (also a revocation, RFC 5846 §8.1-
 * §8.2): DEREG_WAIT, traffic dropped, deleted after MinDelayBeforeBCEDelete.
 * Nothing when e already waits for its deletion.
 */
void lma_bce_deregister(struct dmm_lma *lma, struct dmm_bcache_entry *e, const char *reason, dmm_time_t now);
/*
 * §5.4.1.3 step 3: e leaves HANDOFF_WAIT back to ACTIVE. in_vain: no
 * de-registration came, so the waiting MAG's next request is a new
 * mobility session.
 */
void lma_handoff_wait_end(struct dmm_lma *lma, struct dmm_bcache_entry *e, bool in_vain, const char *reason);
/* End e's pending BRI, if any: out of the BRI index, its timer cancelled. */
void lma_bri_stop(struct dmm_lma *lma, const struct dmm_bcache_entry *e);

/* lma_bri.c */

/* Revoke e at the previous MAG prev (RFC 5846 §8.1), with retransmissions. */
void lma_bri_start(struct dmm_lma *lma, struct dmm_bcache_entry *e, const struct dmm_addr *prev,
		   uint8_t trigger, dmm_time_t now);
/* LMA_TIMER_BRI_RETX of binding h fired (RFC 5846 §6.3). */
void lma_bri_timer(struct dmm_lma *lma, struct dmm_handle h, dmm_time_t now);
/* A decoded BRA m from src (RFC 5846 §6.2.2, §8.1). */
void lma_recv_bra(struct dmm_lma *lma, const struct dmm_addr *src, const struct dmm_mh_msg *m,
		  dmm_time_t now);
/* A decoded BRI m from a MAG at src to dst: act on it and answer with a BRA (RFC 5846 §8.2, §6.1.2). */
void lma_recv_bri(struct dmm_lma *lma, const struct dmm_addr *src, const struct dmm_addr *dst,
		  const struct dmm_mh_msg *m, dmm_time_t now);

/* lma_pbu.c */

/* lma_lr.c: a MAG's LRI (RFC 6705 §7), answered with an LRA. */
void lma_recv_lri(struct dmm_lma *lma, const struct dmm_addr *src, const struct dmm_addr *dst,
		  const struct dmm_mh_msg *m);
/* lma_redirect.c: the r2LMA for a new session of the PBU m (RFC 6463 §5.3), or NULL: serve it here. */
const struct dmm_addr *lma_redirect_to(const struct dmm_lma *lma, const struct dmm_mh_msg *m);
/* The LMA's own counters (dmm_role_ops.counters). */
size_t lma_role_counters(const void *inst, struct dmm_role_counter *out, size_t max);
/* The PBU decoded into lma->rx, from src to dst (RFC 5213 §5.3.1). */
void lma_recv_pbu(struct dmm_lma *lma, const struct dmm_addr *src, const struct dmm_addr *dst,
		  dmm_time_t now);
/*
 * A PBU whose fixed part decoded but an option did not: PBA 128 with its
 * seq and the options left in lma->rx that decoded before the bad one
 * (pmip_malformed(); RFC 5213 §5.3.6).
 */
void lma_pbu_malformed(struct dmm_lma *lma, const struct dmm_addr *src, const struct dmm_addr *dst,
		       uint16_t seq, dmm_time_t now);

#endif
