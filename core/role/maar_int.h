/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Internals shared by the files of the MAAR role: maar.c (life cycle,
 * attach/detach, PBU sending, timers, idle release, receive dispatch),
 * maar_pba.c (the CMD's PBAs to this MAAR as S-MAAR) and maar_anchor.c
 * (the anchored prefixes: PBUs from the CMD, intents, PBAs back). Not a
 * public header. The timer rules are at the top of maar.c.
 */
#ifndef DMM_CORE_ROLE_MAAR_INT_H
#define DMM_CORE_ROLE_MAAR_INT_H

#include "dmm/fmt.h"
#include "dmm/maar.h"
#include "dmm/mag.h" /* DMM_MN_STATUS_NO_ANSWER */
#include "dmm/mh.h"
#include "dmm/timers.h"
#include "base.h"
#include "pmip_common.h"

/* Timer kinds of our own (timers.h): per serving entry, and one for the whole MAAR. */
enum { MAAR_TIMER_GRACE = DMM_TIMER_NKINDS_BUILTIN, MAAR_TIMER_IDLE };

/* What the current PBU of a serving entry is for. */
enum maar_pbu_kind { MPBU_NONE, MPBU_REG, MPBU_REFRESH, MPBU_DEREG };

/*
 * Intents of serving entries are owned by the entry's handle with this
 * bit set in idx, so that they never share an owner with an anchored
 * entry of the same slot (the two tables number their slots alike).
 */
#define MAAR_OWNER_SERVING 0x80000000u
#define MAAR_INTENT_PRECEDENCE 100
#define MAAR_RL_PER_SECOND 10
#define MAAR_MAX_RELEASED DMM_BUL_MAX_HNP

/* One prefix an MN attached here gets (struct maar_sx.sp). */
struct maar_sp {
	struct dmm_prefix p;
	struct dmm_addr anchor; /* the MAAR anchoring it (ours when local) */
	bool own;		/* the preferred prefix: allocated here, or chosen by the CMD (GAP1-3) */
	bool local;		/* anchored here: the anchored entry holds its intents */
	uint8_t nid;
	uint32_t id[3]; /* the tunnel's intents when anchored elsewhere */
};

/* Per serving entry (MN attached here), indexed like the binding update list. */
struct maar_sx {
	uint16_t seq_first; /* first sequence number of the current attempt */
	uint8_t kind;	    /* enum maar_pbu_kind of the outstanding PBU */
	bool outstanding;   /* a PBA is awaited */
	bool first_reg;	    /* never granted a registration */
	bool ts_resynced, seq_resynced;
	bool peer_ref;	/* holds a heartbeat reference on the CMD */
	bool asked;	/* the registration asks the CMD for an anchor (HNP ::/0) */
	bool own_fresh; /* the own prefix was allocated for this registration */
	bool detached;	/* the MN left; waiting detach_grace for its next S-MAAR */
	uint8_t nsp;
	struct maar_sp sp[DMM_BUL_MAX_HNP];
	uint8_t nrel; /* old prefixes released idle, newest last: not taken back */
	struct dmm_prefix rel[MAAR_MAX_RELEASED];
	uint16_t rel_seq; /* sequence number of the last release PBU */
	bool rel_retried; /* that release was refused once and sent again */
	uint64_t last_ts; /* Timestamp of the last PBU sent for the MN */
};

/* What an anchored prefix's intents do. */
enum maar_anchor_mode { AM_NONE, AM_DELIVER, AM_TUNNEL, AM_BUFFER };

/* Per anchored entry, indexed like the binding cache. */
struct maar_ax {
	uint8_t mode;  /* enum maar_anchor_mode */
	bool remote;   /* anchored at the CMD's request for another S-MAAR (GAP1-3) */
	uint32_t link; /* AM_DELIVER: the MN's access link */
	uint8_t nid;
	uint32_t id[2];
};

struct dmm_maar {
	struct dmm_role_base base; /* first: env, timers, peers, intents, stats (base.h) */
	struct dmm_maar_cfg cfg;
	struct dmm_bul *bul; /* serving entries */
	struct maar_sx *sx;
	struct dmm_bcache *bc; /* anchored prefixes, one entry each */
	struct maar_ax *ax;
	struct dmm_pool *pool;
	uint32_t max_anchored; /* effective: cfg.max_anchored capped by the pool */
	uint16_t seq;	       /* next sequence number of our PBUs */
	bool dp_counts;	       /* the data plane has shown a packet count (GAP2-1 rule, maar.c) */
	struct dmm_maar_counters ctr;
	dmm_time_t rl_start; /* rate limit of malformed-input log lines */
	uint32_t rl_count;
	/* Scratch space, kept off the stack: a decoded message is ~9 KB. */
	struct dmm_mh_msg rx, tx;
	uint8_t buf[DMM_MH_MAX_LEN];
};

static inline bool maar_log_on(const struct dmm_maar *m, enum dmm_log_level lvl)
{
	return dmm_role_base_log_on(&m->base, lvl);
}

static inline struct maar_sx *maar_sxof(struct dmm_maar *m, const struct dmm_bul_entry *e)
{
	return &m->sx[e->handle.idx];
}

static inline struct maar_ax *maar_axof(struct dmm_maar *m, const struct dmm_bcache_entry *a)
{
	return &m->ax[a->handle.idx];
}

/* "MN-ID prefix P via X": the object every log line names (ARCHITECTURE rule 8). */
struct maar_who {
	char s[DMM_MNID_STRLEN + DMM_PREFIX_STRLEN + DMM_ADDR_STRLEN + 24];
};

/* maar.c */
const char *maar_who(const struct dmm_mnid *id, const struct dmm_prefix *p, const char *via,
		     const struct dmm_addr *peer, struct maar_who *w);
const char *maar_who_e(const struct dmm_maar *m, const struct dmm_bul_entry *e, struct maar_who *w);
void maar_set_state(struct dmm_maar *m, struct dmm_bul_entry *e, enum dmm_bul_state to, const char *reason);
void maar_tx(struct dmm_maar *m, const struct dmm_addr *dst, const struct dmm_mh_msg *msg);
/* RFC 6463 §4.3 Load Information: prefixes anchored here out of max_anchored. */
void maar_add_load(struct dmm_maar *m, struct dmm_mh_msg *msg);
int maar_intent_add(struct dmm_maar *m, const struct dmm_intent *in, dmm_time_t now);
/* DMM_MN_REGISTERED with every prefix of e; the nreleased prefixes released added once with valid 0. */
void maar_emit_registered(struct dmm_maar *m, const struct dmm_bul_entry *e,
			  const struct dmm_prefix *released, unsigned nreleased);
/* DMM_MN_REFUSED or DMM_MN_DEREGISTERED: every prefix of e with lifetimes 0. */
void maar_emit(struct dmm_maar *m, uint8_t type, uint8_t status, const struct dmm_bul_entry *e);
/* The own prefix of e, or NULL. */
struct maar_sp *maar_own(struct dmm_maar *m, const struct dmm_bul_entry *e);
int maar_sp_find(struct dmm_maar *m, const struct dmm_bul_entry *e, const struct dmm_prefix *p);
/* Add prefix p of e anchored at anchor; tunnels it when anchored elsewhere. Index or -1. */
int maar_sp_add(struct dmm_maar *m, struct dmm_bul_entry *e, const struct dmm_prefix *p,
		const struct dmm_addr *anchor, bool own, dmm_time_t now);
void maar_sp_del(struct dmm_maar *m, struct dmm_bul_entry *e, unsigned i);
void maar_start_attempt(struct dmm_maar *m, struct dmm_bul_entry *e, uint8_t kind, uint8_t hi,
			dmm_time_t now);
void maar_retry_now(struct dmm_maar *m, struct dmm_bul_entry *e, dmm_time_t now);
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
void maar_idle_arm(struct dmm_maar *m, dmm_time_t now);

/* maar_pba.c */
void maar_recv_pba(struct dmm_maar *m, const struct dmm_addr *src, const struct dmm_mh_msg *msg,
		   dmm_time_t now);
void maar_refuse(struct dmm_maar *m, struct dmm_bul_entry *e, uint8_t status, dmm_time_t now,
		 const char *reason);

/* maar_anchor.c */
struct dmm_bcache_entry *maar_anchor_new(struct dmm_maar *m, const struct dmm_mnid *id,
					 const struct dmm_prefix *p, const struct dmm_addr *serving,
					 bool remote, dmm_time_t now);
/* The first anchored entry of MN id (not one anchored for another S-MAAR on request), or NULL. */
struct dmm_bcache_entry *maar_anchor_of_mn(struct dmm_maar *m, const struct dmm_mnid *id);
/* Switch a's intents: deliver on link, tunnel to serving, or buffer. */
void maar_anchor_set(struct dmm_maar *m, struct dmm_bcache_entry *a, uint8_t mode, uint32_t link,
		     const struct dmm_addr *serving, dmm_time_t now, const char *reason);
/* Remove a, its intents, and give its prefix back to the pool. */
void maar_anchor_release(struct dmm_maar *m, struct dmm_bcache_entry *a, dmm_time_t now, const char *reason);
void maar_recv_pbu(struct dmm_maar *m, const struct dmm_addr *src, const struct dmm_addr *dst,
		   dmm_time_t now);
const char *maar_anchor_mode_name(uint8_t mode);

#endif
