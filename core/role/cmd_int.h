/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The CMD's private structures and the functions its files share. Not a
 * public header. The layers, bottom up; a file calls only files below it
 * (no cycles):
 *   cmd_timers.c  the timer rules, as named hooks
 *   cmd_anchor.c  the table of MAARs: states, load, choice of an anchor,
 *                 heartbeat down/up
 *   cmd_upd.c     log lines, PBAs to the S-MAAR, updates (PBUs to MAARs)
 *   cmd_state.c   MN entries: creation and removal (counted, logged),
 *                 (anchor, prefix) pairs, the end of a relay transaction
 *   cmd_reloc.c   relocation of anchored prefixes (GAP1-1): operator,
 *                 drain, anchor failure, the anchors' answers
 *   cmd_pbu.c     PBU in (check, apply), PBA in, relay and anchor choice,
 *                 what the timers do when they fire
 *   cmd.c         receive and timer dispatch, MAAR restarts, life
 *                 cycle, the ops table
 */
#ifndef DMM_CORE_ROLE_CMD_INT_H
#define DMM_CORE_ROLE_CMD_INT_H

#include "base.h"
#include "dmm/cmd.h"
#include "dmm/fmt.h"
#include "dmm/mh.h"
#include "dmm/timers.h"
#include "pmip_common.h"
#include "reloc_usage.h"

/* Our own timer kinds above the built-in ones (timers.h). */
enum {
	CMD_TIMER_UPD_RETX = DMM_TIMER_NKINDS_BUILTIN, /* per update: retransmit, next candidate, or forget */
	CMD_TIMER_RELAY,			       /* per MN: relay_timeout of the relay transaction */
};

#define CMD_MAX_TRIES 8 /* anchor candidates tried for one HNP ::/0 request */

/*
 * The S-MAAR's request as far as later answers need it: what RFC 5213
 * §5.3.6 has every PBA copy (HI, ATT, MN-LLID, Timestamp, HNPs; the
 * MN-ID is passed beside it).
 */
struct cmd_req {
	struct dmm_addr smaar, dst; /* the PBU's source and destination */
	uint16_t seq;
	bool has_ts;
	bool has_hi, has_att; /* the options were there (their values may be reserved ones) */
	uint8_t hi, att;
	uint64_t ts; /* §8.8 form: 48-bit s << 16 | 1/65536 s */
	uint32_t lifetime_s;
	uint8_t n_hnp;
	struct dmm_prefix hnp[DMM_BCE_MAX_HNP];
	struct dmm_llid llid; /* len 0: no MN-LLID (or one longer than DMM_LLID_MAX, not echoed) */
	bool mcast;	      /* RFC 7161 §4.2.1.1: S, the S-MAAR takes the MN's multicast subscription */
};

/* Relay state of one (anchor, prefix) pair during a relay transaction. */
enum { RELAY_NONE, RELAY_WAITING, RELAY_ACCEPTED, RELAY_FAILED };

/* Per pair of dmm_bce_pmaar(e), same index. */
struct cmd_pair_x {
	dmm_time_t
		expires; /* when the anchor's entry lapses (last lifetime we sent it); 0: it is the S-MAAR's own */
	uint8_t relay; /* RELAY_* */
	/*
	 * §11: 1 + the anchor-table slot of the MAAR whose pool the prefix came
	 * from, once it was relocated away from it (0: never relocated); that
	 * MAAR gets the prefix back when the pair ends (cmd_pair_drop, cmd_mn_delete).
	 */
	uint16_t origin;
	struct dmm_handle upd; /* the pending update to the anchor; gen 0: none */
};

/* What the CMD keeps per MN beside the cache entry (cmd_bx_of()), indexed by handle.idx. */
struct cmd_bx {
	struct cmd_pair_x px[DMM_BCE_MAX_PMAAR];
	bool has_current;
	struct dmm_prefix current; /* the prefix the S-MAAR registered (its own, or the one chosen for it) */
	bool relay_open, relay_done; /* a relay transaction; done: its (partial) PBA went out */
	bool mcast;		     /* the S-MAAR's last PBU had S (docs/dmm-protocol.md §14) */
	uint8_t relay_waiting;
	struct cmd_req relay_req;
};

/* A PBU from the CMD to a MAAR, until its PBA comes or it is given up. */
enum { UPD_SERVING, UPD_DEREG, UPD_CHOOSE, UPD_TAKE, UPD_MOVED }; /* TAKE, MOVED: cmd_reloc.c */

struct cmd_upd {
	struct dmm_handle h; /* gen 0: free */
	uint8_t kind;	     /* UPD_* */
	bool relay;	     /* part of the MN's relay transaction */
	bool abandoned;	     /* CHOOSE: the candidate timed out; a late prefix is given back */
	bool mcast;	     /* SERVING: S, the anchor returns the MN's subscription (§14) */
	bool queued;	     /* its next PBU waits for its slot (pacing, rate limit): the timer sends it */
	uint8_t sent;
	uint8_t hi, att; /* RFC 8885 §3.2: the S-MAAR's PBU is forwarded: its HI and ATT */
	uint16_t seq, lifetime_units;
	dmm_time_t delay;
	struct dmm_handle mn;
	struct dmm_mnid mnid;
	struct dmm_addr maar, serving;
	struct dmm_prefix prefix;
	struct dmm_addr from; /* UPD_TAKE, UPD_MOVED: the anchor the prefix leaves */
	/* UPD_TAKE carrying the old anchor's usage (§11.1, reloc_usage.h): its Data */
	bool has_usage;
	uint8_t usage[RELOC_USAGE_LEN];
	/* UPD_CHOOSE only */
	struct cmd_req req;
	uint8_t ntried;
	struct dmm_addr tried[CMD_MAX_TRIES];
};

/* One row of the table of MAARs; pub first, so a public pointer converts back. */
struct cmd_anchor {
	struct dmm_cmd_anchor pub;
	bool used;
	bool held; /* holds one heartbeat reference on its peer */
	bool down; /* heartbeat says DOWN */
	dmm_time_t last_heard;
	dmm_time_t next_pbu; /* RFC 8885 §3.6: no PBU to it before (max_update_rate) */
};

struct dmm_cmd {
	struct dmm_role_base base; /* first: env, timers, peers, stats (base.h); no intents */
	struct dmm_cmd_cfg cfg;
	struct dmm_cmd_counters ctr;
	struct dmm_bcache *bc;
	struct cmd_bx *bx; /* per MN, cmd_bx_of() */
	struct cmd_anchor *anchor;
	struct dmm_hidx anchor_idx; /* address -> anchor slot */
	struct cmd_upd *upd;
	uint32_t *upd_gen;
	uint32_t upd_cap, upd_used;
	uint32_t upd_low;	    /* no free update slot below this one */
	struct dmm_hidx upd_idx;    /* seq -> update slot */
	struct dmm_hidx choose_idx; /* MN-ID -> CHOOSE update slot */
	uint16_t seq;
	dmm_time_t next_pbu;	  /* RFC 8885 §3.2 pacing: no PBU to anyone before */
	struct pmip_ratelimit rl; /* malformed-input log lines */
	/*
	 * docs/dmm-protocol.md §14: while set, the next accepting PBA to an
	 * S-MAAR (cmd_send_pba) carries the Active Multicast Subscription
	 * options of this message (an anchor's PBA), with S; it clears it.
	 */
	const struct dmm_mh_msg *mcast_from;
	/* Scratch space, kept out of the stack: a decoded message is ~9 KB. */
	struct dmm_mh_msg rx, tx;
	uint8_t buf[DMM_MH_MAX_LEN];
};

static inline bool cmd_prefix_is_zero(const struct dmm_prefix *p)
{
	return dmm_addr_is_zero(&p->addr);
}

static inline struct cmd_bx *cmd_bx_of(struct dmm_cmd *c, const struct dmm_bcache_entry *e)
{
	return &c->bx[e->handle.idx];
}

/* cmd_timers.c: see the rules at its top. */

/* The S-MAAR's registration of e was accepted: e lives until e->expires. */
void cmd_timers_mn_registered(struct dmm_cmd *c, const struct dmm_bcache_entry *e);
/* e is being removed. */
void cmd_timers_mn_removed(struct dmm_cmd *c, const struct dmm_bcache_entry *e);
/* e was de-registered: it goes min_delay_before_bce_delete from now unless registered again (§5.3.5). */
void cmd_timers_mn_dereg_wait(struct dmm_cmd *c, const struct dmm_bcache_entry *e, dmm_time_t now);
/* The relay transaction of e waits for the anchors' answers (§2.2). */
void cmd_timers_relay_waiting(struct dmm_cmd *c, const struct dmm_bcache_entry *e, dmm_time_t now);
/* The relay transaction of e is closed. */
void cmd_timers_relay_closed(struct dmm_cmd *c, const struct dmm_bcache_entry *e);
/* The PBU of update u went out: its answer is due within u->delay. */
void cmd_timers_upd_sent(struct dmm_cmd *c, const struct cmd_upd *u, dmm_time_t now);
/* The next PBU of u waits for its slot at `at` (pacing and rate limit, RFC 8885 §3.2, §3.6). */
void cmd_timers_upd_queued(struct dmm_cmd *c, const struct cmd_upd *u, dmm_time_t at);
/* u was abandoned: kept max_bindack_timeout for a late answer, then forgotten. */
void cmd_timers_upd_abandoned(struct dmm_cmd *c, const struct cmd_upd *u, dmm_time_t now);
/* u is freed. */
void cmd_timers_upd_freed(struct dmm_cmd *c, const struct cmd_upd *u);

/* cmd_upd.c: log lines, messages and updates */

/* "mn M prefix P maar A" (each "-" when NULL) into who, DMM_CMD_WHO_LEN bytes. */
#define DMM_CMD_WHO_LEN (DMM_MNID_STRLEN + DMM_PREFIX_STRLEN + DMM_ADDR_STRLEN + 24)
const char *cmd_who(char *who, const struct dmm_mnid *id, const struct dmm_prefix *p,
		    const struct dmm_addr *maar);
/* "mn M prefix P maar A: what" at lvl. */
void cmd_log_mn(struct dmm_cmd *c, enum dmm_log_level lvl, const struct dmm_mnid *id,
		const struct dmm_prefix *p, const struct dmm_addr *maar, const char *what);
void cmd_send_msg(struct dmm_cmd *c, const struct dmm_addr *src, const struct dmm_addr *dst,
		  const struct dmm_mh_msg *m);
void cmd_send_pba(struct dmm_cmd *c, const struct cmd_req *r, const struct dmm_mnid *mnid, uint8_t status,
		  uint32_t lifetime_s, const struct dmm_anchor_list *prev, dmm_time_t now);
void cmd_prev_all(const struct dmm_bcache_entry *e, struct dmm_anchor_list *l);
uint32_t cmd_seq_hash(uint16_t seq);
uint32_t cmd_mnid_hash(const struct dmm_cmd *c, const struct dmm_mnid *id);
struct cmd_upd *cmd_upd_get(struct dmm_cmd *c, struct dmm_handle h);
struct cmd_upd *cmd_upd_new(struct dmm_cmd *c, uint8_t kind, const struct dmm_mnid *mnid);
void cmd_upd_free(struct dmm_cmd *c, struct cmd_upd *u);
void cmd_upd_reseq(struct dmm_cmd *c, struct cmd_upd *u);
struct cmd_upd *cmd_upd_match(struct dmm_cmd *c, uint16_t seq, const struct dmm_addr *src);
struct cmd_upd *cmd_choose_pending(struct dmm_cmd *c, const struct dmm_mnid *mnid);
/*
 * Send u's PBU now, or when pacing and the rate limit of its MAAR allow
 * (RFC 8885 §3.2, §3.6): u->queued then, and the timer sends it. Either
 * way the retransmission timer runs u->delay from the transmission.
 */
void cmd_upd_send(struct dmm_cmd *c, struct cmd_upd *u, dmm_time_t now);
/* The queued PBU of u goes now (its slot came). */
void cmd_upd_send_queued(struct dmm_cmd *c, struct cmd_upd *u, dmm_time_t now);
bool cmd_notify_pair(struct dmm_cmd *c, struct dmm_bcache_entry *e, unsigned i, uint32_t lifetime_s,
		     bool relay, dmm_time_t now);
/* hi, att: what the PBU carries (RFC 8885 §3.2: those of the S-MAAR's request). */
void cmd_release_at(struct dmm_cmd *c, const struct dmm_mnid *mnid, const struct dmm_addr *maar,
		    const struct dmm_prefix *prefix, const struct dmm_addr *serving, uint8_t hi, uint8_t att,
		    dmm_time_t now);

/* cmd_anchor.c */
struct cmd_anchor *cmd_anchor_find(struct dmm_cmd *c, const struct dmm_addr *a);
bool cmd_anchor_room(struct dmm_cmd *c, const struct dmm_addr *a);
struct cmd_anchor *cmd_anchor_heard(struct dmm_cmd *c, const struct dmm_addr *a, const struct dmm_mh_msg *m,
				    dmm_time_t now);
void cmd_anchor_adjust(struct dmm_cmd *c, const struct dmm_addr *a, int dserving, int danchored,
		       dmm_time_t now);
struct cmd_anchor *cmd_anchor_best(struct dmm_cmd *c, const struct dmm_addr *exclude,
				   const struct dmm_addr *tried, unsigned ntried);
void cmd_peer_down(void *ctx, struct dmm_peer *p, dmm_time_t now);
void cmd_peer_up(void *ctx, struct dmm_peer *p, dmm_time_t now);

/* cmd_state.c */

/* A new entry for mnid served by S-MAAR s (§2.1), counted and logged "none -> ACTIVE"; NULL: no room. */
struct dmm_bcache_entry *cmd_mn_add(struct dmm_cmd *c, const struct dmm_mnid *mnid, const struct dmm_addr *s,
				    const struct dmm_prefix *p, dmm_time_t now);
/*
 * RFC 5213 §5.3.5 step 2: e was de-registered: "ACTIVE -> DEREG_WAIT",
 * removed (with notify) after min_delay_before_bce_delete unless
 * registered again; at once when that delay is 0.
 */
void cmd_mn_dereg_wait(struct dmm_cmd *c, struct dmm_bcache_entry *e, dmm_time_t now);
/* A registration accepted during the wait: "DEREG_WAIT -> ACTIVE" (§5.3.5 step 2). */
void cmd_mn_reactivate(struct dmm_cmd *c, struct dmm_bcache_entry *e);
/*
 * Remove e, counted and logged "ACTIVE -> none (reason)": its pending
 * updates go; with notify, every previous MAAR gets lifetime 0 (§4).
 */
void cmd_mn_delete(struct dmm_cmd *c, struct dmm_bcache_entry *e, bool notify, const char *reason,
		   dmm_time_t now);
/* Add the pair (a, p) to e, whose anchor's entry lasts until expires (0: the S-MAAR's own). */
int cmd_pair_add(struct dmm_cmd *c, struct dmm_bcache_entry *e, const struct dmm_addr *a,
		 const struct dmm_prefix *p, dmm_time_t expires, dmm_time_t now);
/* Remove pair i of e with its pending update (no message). */
void cmd_pair_drop(struct dmm_cmd *c, struct dmm_bcache_entry *e, unsigned i, const char *reason,
		   dmm_time_t now);
/* End e's relay transaction, if one is open. */
void cmd_relay_close(struct dmm_cmd *c, struct dmm_bcache_entry *e);

/* cmd_reloc.c */

/* The PBA (status) to relocation update u (UPD_TAKE, UPD_MOVED); frees u. */
void cmd_reloc_answer(struct dmm_cmd *c, struct cmd_upd *u, uint8_t status, dmm_time_t now);
/*
 * A PBU with an Anchored Prefix option from an S-MAAR (r, the MN mnid):
 * it asks for that old prefix of its MN (relocate_after policy); PBA,
 * and the relocation started.
 */
void cmd_reloc_request(struct dmm_cmd *c, const struct cmd_req *r, const struct dmm_mnid *mnid,
		       dmm_time_t now);
/* The peer ops' down hook: cmd_peer_down(), then re-anchoring when configured. */
void cmd_reloc_peer_down(void *ctx, struct dmm_peer *p, dmm_time_t now);

/* cmd_pbu.c */

/* The PBU decoded into c->rx, from src to dst (RFC 8885 §4.1, RFC 5213 §5.3.1). */
void cmd_recv_pbu(struct dmm_cmd *c, const struct dmm_addr *src, const struct dmm_addr *dst, dmm_time_t now);
/* The PBA decoded into c->rx, from src: the answer to one of our updates. */
void cmd_recv_pba(struct dmm_cmd *c, const struct dmm_addr *src, dmm_time_t now);
/* A BU that did not decode past its fixed part: PBA 128 with its seq (pmip_malformed()). */
void cmd_pbu_malformed(struct dmm_cmd *c, const struct dmm_addr *src, const struct dmm_addr *dst,
		       uint16_t seq, dmm_time_t now);
/* CMD_TIMER_RELAY of MN h fired. */
void cmd_relay_timer(struct dmm_cmd *c, struct dmm_handle h, dmm_time_t now);
/* CMD_TIMER_UPD_RETX of update h fired. */
void cmd_upd_timer(struct dmm_cmd *c, struct dmm_handle h, dmm_time_t now);

#endif
