/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The binding update list client: what every role that registers MNs
 * at a peer does alike (the MAG at its LMA, RFC 5213 §6.9; the MAAR as
 * S-MAAR at the CMD, RFC 8885 §3). It owns, per binding update list
 * entry, the state of the current registration attempt (struct
 * bulc_attempt) and, for the whole role, the sequence number counter,
 * the PBU retransmission with back-off (RFC 5213 §6.9.4, RFC 6275
 * §11.8), the refresh and the expiry timers, the heartbeat reference on
 * the peer, the one set_state of the entries (fsm.h) and the rate limit
 * of malformed-input log lines. Not a public header.
 *
 * The role keeps what differs and plugs it in through struct bulc_ops:
 * what goes into a PBU, what a missing answer or a lapsed binding does.
 * The role handles the PBA itself and calls back into the client
 * (bulc_pba_accepted, bulc_registered, bulc_retry_now ...).
 *
 * The timer rules of the entries are at the top of bul_client.c.
 */
#ifndef DMM_CORE_ROLE_BUL_CLIENT_H
#define DMM_CORE_ROLE_BUL_CLIENT_H

#include "dmm/bul.h"
#include "dmm/fmt.h"
#include "dmm/mh.h"
#include "base.h"

/* What the current PBU of an entry is for. */
enum bulc_kind { BULC_NONE, BULC_REG, BULC_REFRESH, BULC_DEREG };

/* Per binding update list entry, indexed by its slot. */
struct bulc_attempt {
	uint16_t seq_first; /* first sequence number of the current attempt */
	uint8_t kind;	    /* enum bulc_kind of the outstanding PBU */
	bool outstanding;   /* a PBA is awaited */
	bool first_reg;	    /* the entry was never granted a binding */
	bool ts_resynced;   /* one retry after 156/157 done */
	bool seq_resynced;  /* one retry after 135 done */
	bool peer_ref;	    /* holds a heartbeat reference on its peer */
	bool noted;	    /* its creation was noted (the next change is from DMM_FSM_NONE until then) */
};

/* The role's timing settings (its configuration; copied by bulc_configure). */
struct bulc_cfg {
	uint32_t lifetime_s;			      /* asked for in PBUs */
	dmm_time_t initial_bindack_timeout;	      /* RFC 6275 §13 */
	dmm_time_t initial_bindack_timeout_first_reg; /* RFC 5213 §6.9.4; 0: the above */
	dmm_time_t max_bindack_timeout;
	uint8_t max_retransmissions;
	uint32_t refresh_margin_pct;
};

/* The initialiser of a struct bulc_cfg from a role configuration c with fields of the same names. */
#define BULC_CFG_OF(c)                                                                                       \
	.lifetime_s = (c)->lifetime_s, .initial_bindack_timeout = (c)->initial_bindack_timeout,              \
	.initial_bindack_timeout_first_reg = (c)->initial_bindack_timeout_first_reg,                         \
	.max_bindack_timeout = (c)->max_bindack_timeout, .max_retransmissions = (c)->max_retransmissions,    \
	.refresh_margin_pct = (c)->refresh_margin_pct

/* The object of a log line: "MN-ID prefix P via X" (ARCHITECTURE rule 8). */
struct bulc_who {
	char s[DMM_MNID_STRLEN + DMM_PREFIX_STRLEN + DMM_ADDR_STRLEN + 24];
};

/* What the role does differently; role is bulc->role. Every hook but who and send_pbu may be NULL. */
struct bulc_ops {
	const char *name; /* "mag", "maar": the start of log lines */
	/* The object of e's log lines (ARCHITECTURE rule 8), written into w. */
	const char *(*who)(void *role, const struct dmm_bul_entry *e, struct bulc_who *w);
	/* Build and send the PBU of e: sequence number e->seq, lifetime_units (0 for a de-registration). */
	void (*send_pbu)(void *role, struct dmm_bul_entry *e, uint16_t lifetime_units, dmm_time_t now);
	/* Encode m and send it to dst (the Binding Error of bulc_decode). */
	void (*tx)(void *role, const struct dmm_addr *dst, const struct dmm_mh_msg *m);
	/* No PBA for the de-registration of e (§6.9.1.4): delete it. */
	void (*dereg_lost)(void *role, struct dmm_bul_entry *e, dmm_time_t now);
	/* No PBA after the last retry, e never granted a binding: deny service (status NO_ANSWER). */
	void (*give_up)(void *role, struct dmm_bul_entry *e, dmm_time_t now);
	/* May e refresh now? NULL: yes. */
	bool (*may_refresh)(void *role, const struct dmm_bul_entry *e);
	/* e's binding lapsed (BUL_EXPIRE): tell the MN and delete e. */
	void (*expired)(void *role, struct dmm_bul_entry *e, dmm_time_t now);
};

struct bulc {
	struct dmm_role_base *base; /* borrowed: the role's base */
	struct dmm_bul *bul;	    /* borrowed: the role's binding update list */
	struct bulc_attempt *at;    /* one per slot of bul */
	const struct bulc_ops *ops;
	void *role;
	struct bulc_cfg cfg;
	uint16_t seq; /* next sequence number */
	/* [from][to] of every change between two states, also counted here when not NULL (the MAG's). */
	uint64_t (*matrix)[DMM_BUL_NSTATES];
	dmm_time_t rl_start; /* rate limit of malformed-input log lines */
	uint32_t rl_count;
};

#define BULC_RL_PER_SECOND 10

/*
 * Set up c for bul (n slots) of the role whose base is b: the attempt
 * array from b->env.alloc, the first sequence number seq0, ops and role
 * borrowed for c's life. Returns 0 or DMM_ERR_NOMEM.
 */
int bulc_init(struct bulc *c, struct dmm_role_base *b, struct dmm_bul *bul, uint32_t n, uint16_t seq0,
	      const struct bulc_ops *ops, void *role, dmm_time_t now);

/* Free what bulc_init allocated (c itself is the caller's). */
void bulc_fini(struct bulc *c);

/* Take the timing settings of a new configuration. */
void bulc_configure(struct bulc *c, const struct bulc_cfg *cfg);

static inline struct bulc_attempt *bulc_at(const struct bulc *c, const struct dmm_bul_entry *e)
{
	return &c->at[e->handle.idx];
}

/* True when a log line at lvl would be written. */
static inline bool bulc_log_on(const struct bulc *c, enum dmm_log_level lvl)
{
	return dmm_role_base_log_on(c->base, lvl);
}

/* The object of e's log lines, in w. */
const char *bulc_who(const struct bulc *c, const struct dmm_bul_entry *e, struct bulc_who *w);

/* A new entry for mnid, its attempt cleared and first_reg set; NULL when the list is full. */
struct dmm_bul_entry *bulc_add(struct bulc *c, const struct dmm_mnid *mnid);

/*
 * The one place an entry changes state (fsm.h, DMM_FSM_BUL): to is a
 * state of enum dmm_bul_state, or DMM_FSM_NONE when the entry is about
 * to be deleted. The first change after bulc_add is from DMM_FSM_NONE.
 * Logs "name: who: OLD -> NEW (reason)" and counts it.
 */
void bulc_set_state(struct bulc *c, struct dmm_bul_entry *e, int to, const char *reason);

/* Delete e: its timers, its heartbeat reference, its attempt. The caller noted it (to DMM_FSM_NONE). */
void bulc_del(struct bulc *c, struct dmm_bul_entry *e, dmm_time_t now);

/* Drop e's heartbeat reference on its peer, if it holds one. */
void bulc_peer_release(struct bulc *c, struct dmm_bul_entry *e, dmm_time_t now);

/* First PBU of a registration, refresh or de-registration (kind), HI hi, with PBU_RETX armed. */
void bulc_start(struct bulc *c, struct dmm_bul_entry *e, uint8_t kind, uint8_t hi, dmm_time_t now);

/* Resend at once with fresh numbers, in the same attempt (after 135/156/157). */
void bulc_retry_now(struct bulc *c, struct dmm_bul_entry *e, dmm_time_t now);

/* End the attempt of e without an answer (no PBA awaited any more). */
void bulc_stop(struct bulc *c, struct dmm_bul_entry *e);

/*
 * RFC 6275 §11.7.1: after status 135 the next number is above the
 * peer's last accepted one, seq.
 */
void bulc_seq_above(struct bulc *c, uint16_t seq);

/*
 * The entry msg from src answers (§6.9.1.2 item 5): its MN-ID names the
 * entry, it comes from the entry's peer, a PBA is awaited and its
 * sequence number is one of the current attempt (any, for 135, which
 * carries the peer's number). NULL when none.
 */
struct dmm_bul_entry *bulc_pba_match(struct bulc *c, const struct dmm_addr *src,
				     const struct dmm_mh_msg *msg);

/*
 * §6.9.1.2 item 6: the PBA msg for e echoes the PBU's HI, ATT and
 * MN-LLID. When it does not, it is counted (in echo_ctr too, when not
 * NULL), logged and false returned: the caller ignores it but keeps
 * retransmitting (without IPsec a forged PBA would otherwise stop a
 * registration). When it does, it is counted by status and true returned.
 */
bool bulc_pba_echo_ok(struct bulc *c, struct dmm_bul_entry *e, const struct dmm_mh_msg *msg,
		      uint64_t *echo_ctr);

/* §5.3.6: an accepting PBA msg for e has usable HNPs; else counted, logged, false. */
bool bulc_pba_hnps_ok(struct bulc *c, const struct dmm_bul_entry *e, const struct dmm_mh_msg *msg);

/*
 * A PBA accepted e with lifetime (wire units): the attempt ends, the
 * lifetime and registration times are set (ARCHITECTURE rule 8) and
 * PBU_RETX is cancelled.
 */
void bulc_pba_accepted(struct bulc *c, struct dmm_bul_entry *e, uint16_t lifetime_units, dmm_time_t now);

/* Hold a heartbeat reference on e's peer (RFC 5847), once. */
void bulc_peer_hold(struct bulc *c, struct dmm_bul_entry *e, dmm_time_t now);

/*
 * After bulc_pba_accepted: count the registration (first, after a
 * handover, or an extension when had_binding and e is REGISTERED), move
 * e to REGISTERED with a log line (nold >= 0: the old prefixes it
 * carries, shown), and arm BUL_REFRESH and BUL_EXPIRE.
 */
void bulc_registered(struct bulc *c, struct dmm_bul_entry *e, bool had_binding, int nold, dmm_time_t now);

/*
 * A refusing PBA msg for e (RFC 5213 §6.9.1.2), logged with its status:
 * the resynchronising statuses retry once (true; ts_ctr or seq_ctr
 * counted when not NULL); every other refuses (false: the caller denies
 * service).
 */
bool bulc_pba_refused(struct bulc *c, struct dmm_bul_entry *e, const struct dmm_mh_msg *msg, uint64_t *ts_ctr,
		      uint64_t *seq_ctr, dmm_time_t now);

/* The MN left, its binding stands until it lapses or ends: no BUL_REFRESH for e. */
void bulc_timers_no_refresh(struct bulc *c, const struct dmm_bul_entry *e);

/* The MN left and its binding ends now: no BUL_REFRESH, no BUL_EXPIRE for e. */
void bulc_timers_detached(struct bulc *c, const struct dmm_bul_entry *e);

/* Cancel every timer of e. */
void bulc_timers_cancel_all(struct bulc *c, const struct dmm_bul_entry *e);

/* Run a timer of an entry; false when kind is none of the client's (PBU_RETX, BUL_REFRESH, BUL_EXPIRE). */
bool bulc_on_timer(struct bulc *c, unsigned kind, struct dmm_handle h, dmm_time_t now);

/* One more malformed-input log line allowed now? At most BULC_RL_PER_SECOND a second. */
bool bulc_rl_allow(struct bulc *c, dmm_time_t now);

/*
 * Rule 5: decode buf into msg. An unknown type is counted, logged and
 * answered with a Binding Error, status 2 (RFC 6275 §9.2), through
 * ops->tx; a malformed message is counted and logged. Returns the
 * decoder's result: negative when msg is not to be used.
 */
int bulc_decode(struct bulc *c, struct dmm_mh_msg *msg, struct dmm_mh_msg *be, const struct dmm_addr *src,
		const uint8_t *buf, size_t len, dmm_time_t now);

#endif
