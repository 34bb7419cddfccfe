/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Internals shared by the files of the MAAR role, in layers that call
 * only downwards:
 *
 *   maar.c         top: attach/detach, receive dispatch, timer dispatch
 *                  and the timers' actions (grace, idle release),
 *                  heartbeat events, life cycle, the ops table
 *   maar_pba.c     the CMD's PBAs to this MAAR as S-MAAR
 *   maar_anchor.c  PBUs from the CMD to this MAAR as anchor
 *   maar_serving.c the serving entries: their prefixes and tunnels,
 *                  release, refusal, the PBU contents (the BUL client's
 *                  hooks)
 *   maar_state.c   log names, sending, intents, MN events, and the
 *                  anchored entries (struct maar_ax) with their set_state
 *   maar_timers.c  GRACE, IDLE and ANCHOR_EXPIRE (their rules at its top)
 *   maar_sess.c    the session judgement and nomadic prefixes (GAP2-1)
 *   maar_policy.c  below maar_state.c: the per-prefix policy
 *   maar_fho.c     RFC 5949 fast handover between MAARs, beside maar.c
 *                  (which calls its hooks); calls maar_serving.c,
 *                  maar_state.c, fho.c and bul_client.c
 *   bul_client.c   below all: attempts, retransmission, refresh, expiry,
 *                  the serving entries' set_state and timers
 *
 * Not a public header.
 */
#ifndef DMM_CORE_ROLE_MAAR_INT_H
#define DMM_CORE_ROLE_MAAR_INT_H

#include "dmm/fmt.h"
#include "dmm/maar.h"
#include "dmm/mag.h" /* DMM_MN_STATUS_NO_ANSWER */
#include "dmm/mh.h"
#include "dmm/timers.h"
#include "base.h"
#include "bul_client.h"
#include "fho.h"
#include "pmip_common.h"

/* Timer kinds of our own (timers.h): per serving entry, and one for the whole MAAR. */
enum {
	MAAR_TIMER_GRACE = DMM_TIMER_NKINDS_BUILTIN,
	MAAR_TIMER_IDLE,
	MAAR_TIMER_ANCHOR_EXPIRE,
	MAAR_TIMER_FHO
};

/*
 * Intents of serving entries are owned by the entry's handle with this
 * bit set in idx, so that they never share an owner with an anchored
 * entry of the same slot (the two tables number their slots alike).
 */
#define MAAR_OWNER_SERVING 0x80000000u
#define MAAR_INTENT_PRECEDENCE 100
#define MAAR_MAX_RELEASED DMM_BUL_MAX_HNP

/* One prefix an MN attached here gets (struct maar_bx.sp). */
struct maar_sp {
	struct dmm_prefix p;
	struct dmm_addr anchor; /* the MAAR anchoring it (ours when local) */
	bool own;		/* the preferred prefix: allocated here, or chosen by the CMD (GAP1-3) */
	bool local;		/* anchored here: the anchored entry holds its intents */
	uint8_t nid;
	uint32_t id[3];		 /* the tunnel's intents when anchored elsewhere */
	dmm_time_t since;	 /* when the tunnel came up (relocate_after) */
	bool reloc_asked;	 /* the CMD was asked to relocate it here (§11) */
	dmm_time_t last_session; /* when dmmd last reported a session on it (maar_sess.c) */
	uint32_t fho_id;	 /* RFC 5949: the end of the previous MAAR's tunnel for it (maar_fho.c) */
};

/*
 * Per serving entry (MN attached here), indexed like the binding update
 * list; the registration attempt is the BUL client's (struct bulc_attempt).
 */
struct maar_bx {
	bool asked;	/* the registration asks the CMD for an anchor (HNP ::/0) */
	bool own_fresh; /* the own prefix was allocated for this registration */
	bool detached;	/* the MN left; waiting detach_grace for its next S-MAAR */
	uint8_t nsp;
	struct maar_sp sp[DMM_BUL_MAX_HNP];
	uint8_t nrel; /* old prefixes released idle, newest last: not taken back */
	struct dmm_prefix rel[MAAR_MAX_RELEASED];
	uint16_t rel_seq; /* sequence number of the last release PBU */
	bool rel_retried; /* that release was refused once and sent again */
	uint8_t nrel_new; /* the newest of rel, released by the PBA being taken (nomadic) */
	uint64_t last_ts; /* Timestamp of the last PBU sent for the MN */
	struct fho_rec fho;
};

/* What an anchored prefix's intents do. */
enum maar_anchor_mode { AM_NONE, AM_DELIVER, AM_TUNNEL, AM_BUFFER };

/* Per anchored entry, indexed like the binding cache. */
struct maar_ax {
	uint8_t mode;  /* enum maar_anchor_mode */
	bool remote;   /* anchored at the CMD's request for another S-MAAR (GAP1-3) */
	uint32_t link; /* AM_DELIVER: the MN's access link */
	bool noted;    /* its creation was noted (fsm.h) */
	bool ordered;  /* a PBU from the CMD was accepted: its seq (and timestamp) order the next */
	bool has_ts;   /* that PBU carried a Timestamp (the entry's timestamp field) */
	uint8_t nid;
	uint32_t id[2];
	/* Relocation (maar_reloc.c, docs/dmm-protocol.md §11). */
	bool taken;  /* taken over from another anchor: not from our pool */
	bool moving; /* handed over to a->pcoa: released once the network routes it there */
	bool routed; /* dmmd's routed table has a route for the prefix (dmm_maar_routed()) */
};

struct dmm_maar {
	struct dmm_role_base base; /* first: env, timers, peers, intents, stats (base.h) */
	struct dmm_maar_cfg cfg;
	struct dmm_bul *bul; /* serving entries */
	struct bulc cl;	     /* their attempts, sequence numbers, retransmission (bul_client.h) */
	struct maar_bx *bx;
	struct dmm_bcache *bc; /* anchored prefixes, one entry each */
	struct maar_ax *ax;
	struct dmm_pool *pool;
	uint32_t max_anchored; /* effective: cfg.max_anchored capped by the pool */
	bool dp_counts;	       /* the data plane has shown a packet count (GAP2-1 rule, maar.c) */
	bool taking;	       /* maar_reloc_take() is creating an anchored entry */
	struct dmm_maar_counters ctr;
	struct dmm_mag_fho_counters fho; /* RFC 5949 (maar_fho.c) */
	uint16_t fho_seq;		 /* HI sequence numbers */
	/* Scratch space, kept off the stack: a decoded message is ~9 KB. */
	struct dmm_mh_msg rx, tx;
	uint8_t buf[DMM_MH_MAX_LEN];
};

static inline bool maar_log_on(const struct dmm_maar *m, enum dmm_log_level lvl)
{
	return dmm_role_base_log_on(&m->base, lvl);
}

static inline struct maar_bx *maar_bx(const struct dmm_maar *m, const struct dmm_bul_entry *e)
{
	return &m->bx[e->handle.idx];
}

static inline struct bulc_attempt *maar_at(const struct dmm_maar *m, const struct dmm_bul_entry *e)
{
	return bulc_at(&m->cl, e);
}

static inline struct maar_ax *maar_ax(const struct dmm_maar *m, const struct dmm_bcache_entry *a)
{
	return &m->ax[a->handle.idx];
}

/*
 * RFC 5949 (the rules are at the top of maar_fho.c), read by
 * maar_serving.c: the downlink intent of an old prefix of e (*in holds
 * DELIVER on e's link) becomes a tunnel to the new MAAR while the
 * previous one forwards, or a buffer while the MN is between MAARs.
 */
static inline void maar_fho_dst(const struct dmm_maar *m, const struct dmm_bul_entry *e,
				struct dmm_intent *in)
{
	const struct fho_rec *f = &m->bx[e->handle.idx].fho;

	if (f->state == FHO_P_FORWARD) {
		in->action = DMM_FM_ENCAP;
		in->link = 0;
		in->local = m->cfg.addr;
		in->peer = f->peer;
	} else if (f->nolink || f->state == FHO_P_BUFFER || (f->state == FHO_P_HI_SENT && f->gone)) {
		in->action = DMM_FM_BUFFER;
		in->link = 0;
	}
}

/* True when e has no access link (prepared for an MN still to come, or left during a handover). */
static inline bool maar_fho_linkless(const struct dmm_maar *m, const struct dmm_bul_entry *e)
{
	const struct fho_rec *f = &m->bx[e->handle.idx].fho;

	return f->nolink || (f->gone && f->state != FHO_NONE);
}

/* True when e was prepared for an MN that has not arrived: no MN event, nothing delivered on a link. */
static inline bool maar_fho_quiet(const struct dmm_maar *m, const struct dmm_bul_entry *e)
{
	return m->bx[e->handle.idx].fho.nolink;
}

/* maar_timers.c */
/* The MN left: GRACE to now + detach_grace. */
void maar_timers_detached(struct dmm_maar *m, const struct dmm_bul_entry *e, dmm_time_t now);
/* The MN is back (or e goes): no GRACE. */
void maar_timers_attached(struct dmm_maar *m, const struct dmm_bul_entry *e);
/* A tunnelled old prefix exists: IDLE armed, unless it is, or idle release is off. */
void maar_timers_idle_arm(struct dmm_maar *m, dmm_time_t now);
/* The CMD granted a->lifetime to anchored entry a: ANCHOR_EXPIRE to now + a->lifetime. */
void maar_timers_anchor_granted(struct dmm_maar *m, const struct dmm_bcache_entry *a, dmm_time_t now);
/* a is delivered here (its MN's serving entry decides) or goes: no ANCHOR_EXPIRE. */
void maar_timers_anchor_held(struct dmm_maar *m, const struct dmm_bcache_entry *a);

/* maar_policy.c */
/*
 * The mode anchored prefix p gets instead of mode: a nomadic prefix is
 * held (AM_BUFFER) rather than tunnelled, until the release its S-MAAR
 * sends at once; anything else gets mode.
 */
uint8_t maar_sess_anchor_mode(const struct dmm_maar *m, const struct dmm_prefix *p, uint8_t mode);

/* maar_sess.c */
/*
 * Whether old prefix sp may be released idle, and from when it counts as
 * idle (*last: left as the counters' time unless sessions judge): never
 * for a fixed prefix; by sessions with release_by_sessions; else counts.
 */
bool maar_sess_judge(const struct dmm_maar *m, const struct maar_sp *sp, bool counts, dmm_time_t *last);
/* Old prefix q of e, anchored at anchor, is nomadic: noted released (not tunnelled), true. */
bool maar_sess_nomadic(struct dmm_maar *m, struct dmm_bul_entry *e, const struct dmm_prefix *q,
		       const struct dmm_addr *anchor);
/* The release PBU for the prefixes maar_sess_nomadic() noted since the last call; how many. */
unsigned maar_sess_arrived(struct dmm_maar *m, struct dmm_bul_entry *e, dmm_time_t now);

/* maar_state.c */
const char *maar_who(const struct dmm_mnid *id, const struct dmm_prefix *p, const char *via,
		     const struct dmm_addr *peer, struct bulc_who *w);
const char *maar_who_e(const struct dmm_maar *m, const struct dmm_bul_entry *e, struct bulc_who *w);
void maar_tx(struct dmm_maar *m, const struct dmm_addr *dst, const struct dmm_mh_msg *msg);
/* RFC 6463 §4.3 Load Information: prefixes anchored here out of max_anchored. */
void maar_add_load(struct dmm_maar *m, struct dmm_mh_msg *msg);
/* Ensure intent in (fm.h dmm_fm_ensure: no backend call when in place); its id, or a logged error. */
int maar_intent_add(struct dmm_maar *m, const struct dmm_intent *in, dmm_time_t now);
/* DMM_MN_REGISTERED with every prefix of e; the nreleased prefixes released added once with valid 0. */
void maar_emit_registered(struct dmm_maar *m, const struct dmm_bul_entry *e,
			  const struct dmm_prefix *released, unsigned nreleased);
/* DMM_MN_REFUSED or DMM_MN_DEREGISTERED: every prefix of e with lifetimes 0. */
void maar_emit(struct dmm_maar *m, uint8_t type, uint8_t status, const struct dmm_bul_entry *e);
/* A new anchored entry for prefix p of MN id, served at serving (noted as created for reason). */
struct dmm_bcache_entry *maar_anchor_new(struct dmm_maar *m, const struct dmm_mnid *id,
					 const struct dmm_prefix *p, const struct dmm_addr *serving,
					 bool remote, dmm_time_t now, const char *reason);
/* The first anchored entry of MN id (not one anchored for another S-MAAR on request), or NULL. */
struct dmm_bcache_entry *maar_anchor_of_mn(struct dmm_maar *m, const struct dmm_mnid *id);
/* Switch a's intents: deliver on link, tunnel to serving, or buffer. */
void maar_anchor_set(struct dmm_maar *m, struct dmm_bcache_entry *a, uint8_t mode, uint32_t link,
		     const struct dmm_addr *serving, dmm_time_t now, const char *reason);
/* Remove a, its intents, and give its prefix back to the pool. */
void maar_anchor_release(struct dmm_maar *m, struct dmm_bcache_entry *a, dmm_time_t now, const char *reason);
/* The anchored entry of e's local prefix p, if it is e's MN's; NULL otherwise. */
struct dmm_bcache_entry *maar_anchor_mine(struct dmm_maar *m, const struct dmm_bul_entry *e,
					  const struct dmm_prefix *p);
const char *maar_anchor_mode_name(uint8_t mode);

/* maar_serving.c */
/* What the MAAR plugs into its BUL client: PBU contents, give-up, refresh rule, expiry. */
extern const struct bulc_ops maar_bulc_ops;
/* The own prefix of e, or NULL. */
struct maar_sp *maar_own(struct dmm_maar *m, const struct dmm_bul_entry *e);
int maar_sp_find(struct dmm_maar *m, const struct dmm_bul_entry *e, const struct dmm_prefix *p);
/* Add prefix p of e anchored at anchor; tunnels it when anchored elsewhere. Index or -1. */
int maar_sp_add(struct dmm_maar *m, struct dmm_bul_entry *e, const struct dmm_prefix *p,
		const struct dmm_addr *anchor, bool own, dmm_time_t now);
void maar_sp_del(struct dmm_maar *m, struct dmm_bul_entry *e, unsigned i);
/* Install the tunnel intents of every old prefix of e anchored elsewhere again (maar_fho_dst() decides). */
void maar_sp_reinstall(struct dmm_maar *m, struct dmm_bul_entry *e, dmm_time_t now);
/*
 * The own prefix of a new serving entry e of MN mnid (docs/dmm-protocol.md
 * §2.1): the one this MAAR anchors for the MN already, else a new one from
 * the pool, else (pool full, anchoring off) the CMD is asked to choose (§6).
 */
void maar_serving_own(struct dmm_maar *m, struct dmm_bul_entry *e, dmm_time_t now);
/*
 * §2.5: the MN left e (registered): prefixes anchored here are held
 * (BUFFER) for the CMD to name its next S-MAAR, tunnels of prefixes
 * anchored elsewhere go, GRACE is armed.
 */
void maar_serving_detached(struct dmm_maar *m, struct dmm_bul_entry *e, dmm_time_t now);
/* Remove the tunnel of sp (it stays in the list). */
void maar_sp_tunnel_del(struct dmm_maar *m, struct maar_sp *sp);
/* Send a release PBU (lifetime 0, HNPs p[0..n)) for e, outside e's registration attempt (GAP2-1). */
void maar_send_release(struct dmm_maar *m, struct dmm_bul_entry *e, const struct dmm_prefix *p, unsigned n,
		       dmm_time_t now);
/*
 * Delete serving entry e with its tunnels, timers and heartbeat
 * reference. drop_local: the anchored entries of e's local prefixes go
 * too (their prefix back to the pool) unless they are tunnelled to
 * another S-MAAR; otherwise they stay as they are.
 */
void maar_serving_release(struct dmm_maar *m, struct dmm_bul_entry *e, bool drop_local, dmm_time_t now,
			  const char *reason);
/* Deny service to e: DMM_MN_REFUSED, and e released with a freshly allocated prefix. */
void maar_refuse(struct dmm_maar *m, struct dmm_bul_entry *e, uint8_t status, dmm_time_t now,
		 const char *reason);

/* maar_reloc.c: relocation of an anchored prefix (docs/dmm-protocol.md §11) */
/*
 * Take over the anchoring of prefix p of MN id (asked by the CMD by): a new
 * anchored entry (taken), delivered on the MN's link (buffered while the
 * MN is not attached), the serving entry's tunnel to the old anchor
 * reduced to its decapsulation (the old anchor forwards until the network
 * routes p here). NULL when there is no room.
 */
struct dmm_bcache_entry *maar_reloc_take(struct dmm_maar *m, const struct dmm_mnid *id,
					 const struct dmm_prefix *p, const struct dmm_addr *by,
					 dmm_time_t now);
/*
 * relocate_after (§11): the tunnelled old prefix sp of e carried traffic
 * up to last, since sp->since: ask the CMD (once) to relocate it here.
 */
void maar_reloc_policy(struct dmm_maar *m, struct dmm_bul_entry *e, struct maar_sp *sp, dmm_time_t last,
		       dmm_time_t now);
/* a is handed over to to: tunnelled there until dmm_maar_routed() sees the network route it there. */
void maar_reloc_moving(struct dmm_maar *m, struct dmm_bcache_entry *a, const struct dmm_addr *to,
		       dmm_time_t now);

/*
 * §11.1: the usage so far of a, handed over to to (env.usage_get), into u;
 * false when there is none to hand over.
 */
bool maar_reloc_usage(struct dmm_maar *m, struct dmm_bcache_entry *a, const struct dmm_addr *to,
		      struct dmm_usage *u);
/* §11.1: a, taken over, continues the old anchor's usage in Anchor Usage option o (env.usage_continue). */
void maar_reloc_continue(struct dmm_maar *m, struct dmm_bcache_entry *a, const struct dmm_mh_opt *o);

/*
 * §11: the CMD releases prefix p of MN id, which has no entry here: a
 * prefix of our pool handed over to another anchor has ended there, and
 * goes back to the pool.
 */
void maar_reloc_returned(struct dmm_maar *m, const struct dmm_mnid *id, const struct dmm_prefix *p);

/*
 * maar_fho.c: RFC 5949 fast handover between MAARs. maar.c calls these
 * hooks; each returns true when it handled the event.
 */
void maar_fho_recv(struct dmm_maar *m, const struct dmm_addr *src, const struct dmm_mh_msg *msg,
		   dmm_time_t now);
void maar_fho_on_timer(struct dmm_maar *m, struct dmm_handle h, dmm_time_t now);
/* A prepared MN (FHO_N_WAIT_MN) arrived on link: complete the handover. */
bool maar_fho_arrived(struct dmm_maar *m, struct dmm_bul_entry *e, uint32_t link, dmm_time_t now);
/* A new MN attached: ask the neighbours for its context before registering (reactive). */
bool maar_fho_ask(struct dmm_maar *m, struct dmm_bul_entry *e, dmm_time_t now);
/* The MN left: hold or forward instead of the plain detach. */
bool maar_fho_detached(struct dmm_maar *m, struct dmm_bul_entry *e, dmm_time_t now);
/* The fast-handover counters as role counters. */
size_t maar_fho_role_counters(const struct dmm_maar *m, struct dmm_role_counter *out, size_t max);

/* maar_pba.c */
void maar_recv_pba(struct dmm_maar *m, const struct dmm_addr *src, const struct dmm_mh_msg *msg,
		   dmm_time_t now);

/* maar_anchor.c */
void maar_recv_pbu(struct dmm_maar *m, const struct dmm_addr *src, const struct dmm_addr *dst,
		   dmm_time_t now);

#endif
