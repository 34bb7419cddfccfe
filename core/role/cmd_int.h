/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The CMD's private structures, shared by cmd.c (MN table, PBU/PBA
 * processing, updates of previous MAARs, relay) and cmd_anchor.c (the
 * table of MAARs, anchor selection, heartbeat events). Not a public header.
 */
#ifndef DMM_CORE_ROLE_CMD_INT_H
#define DMM_CORE_ROLE_CMD_INT_H

#include "base.h"
#include "dmm/cmd.h"
#include "dmm/mh.h"
#include "dmm/timers.h"

/* Our own timer kinds above the built-in ones (timers.h). */
enum {
	CMD_TIMER_UPD_RETX = DMM_TIMER_NKINDS_BUILTIN, /* per update: retransmit, next candidate, or forget */
	CMD_TIMER_RELAY,			       /* per MN: relay_timeout of the relay transaction */
};

#define CMD_MAX_TRIES 8 /* anchor candidates tried for one HNP ::/0 request */

/* The S-MAAR's request as far as later answers need it. */
struct cmd_req {
	struct dmm_addr smaar, dst; /* the PBU's source and destination */
	uint16_t seq;
	bool has_ts;
	uint64_t ts; /* §8.8 form: 48-bit s << 16 | 1/65536 s */
	uint32_t lifetime_s;
	uint8_t n_hnp;
	struct dmm_prefix hnp[DMM_BCE_MAX_HNP];
};

/* Relay state of one (anchor, prefix) pair during a relay transaction. */
enum { RELAY_NONE, RELAY_WAITING, RELAY_ACCEPTED, RELAY_FAILED };

/* Per pair of e->pmaar, same index. */
struct cmd_pair_x {
	dmm_time_t
		expires; /* when the anchor's entry lapses (last lifetime we sent it); 0: it is the S-MAAR's own */
	uint8_t relay;	       /* RELAY_* */
	struct dmm_handle upd; /* the pending update to the anchor; gen 0: none */
};

/* What the CMD keeps per MN beside the cache entry, indexed by handle.idx. */
struct cmd_mx {
	struct cmd_pair_x px[DMM_BCE_MAX_PMAAR];
	bool has_current;
	struct dmm_prefix current; /* the prefix the S-MAAR registered (its own, or the one chosen for it) */
	bool relay_open, relay_done; /* a relay transaction; done: its (partial) PBA went out */
	uint8_t relay_waiting;
	struct cmd_req relay_req;
};

/* A PBU from the CMD to a MAAR, until its PBA comes or it is given up. */
enum { UPD_SERVING, UPD_DEREG, UPD_CHOOSE };

struct cmd_upd {
	struct dmm_handle h; /* gen 0: free */
	uint8_t kind;	     /* UPD_* */
	bool relay;	     /* part of the MN's relay transaction */
	bool abandoned;	     /* CHOOSE: the candidate timed out; a late prefix is given back */
	uint8_t sent;
	uint16_t seq, lifetime_units;
	dmm_time_t delay;
	struct dmm_handle mn;
	struct dmm_mnid mnid;
	struct dmm_addr maar, serving;
	struct dmm_prefix prefix;
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
};

struct dmm_cmd {
	struct dmm_role_base base; /* first: env, timers, peers, stats (base.h); no intents */
	struct dmm_cmd_cfg cfg;
	struct dmm_cmd_counters ctr;
	struct dmm_bcache *bc;
	struct cmd_mx *mx;
	struct cmd_anchor *anchor;
	struct dmm_hidx anchor_idx; /* address -> anchor slot */
	struct cmd_upd *upd;
	uint32_t *upd_gen;
	uint32_t upd_cap, upd_used;
	struct dmm_hidx upd_idx;    /* seq -> update slot */
	struct dmm_hidx choose_idx; /* MN-ID -> CHOOSE update slot */
	uint16_t seq;
	/* Scratch space, kept out of the stack: a decoded message is ~9 KB. */
	struct dmm_mh_msg rx, tx;
	uint8_t buf[DMM_MH_MAX_LEN];
};

static inline bool cmd_prefix_is_zero(const struct dmm_prefix *p)
{
	return dmm_addr_is_zero(&p->addr);
}

static inline struct cmd_mx *cmd_mx_of(struct dmm_cmd *c, const struct dmm_bcache_entry *e)
{
	return &c->mx[e->handle.idx];
}

/* cmd_upd.c: messages and updates */
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
void cmd_upd_send(struct dmm_cmd *c, struct cmd_upd *u, dmm_time_t now);
bool cmd_notify_pair(struct dmm_cmd *c, struct dmm_bcache_entry *e, unsigned i, uint32_t lifetime_s,
		     bool relay, dmm_time_t now);
void cmd_release_at(struct dmm_cmd *c, const struct dmm_mnid *mnid, const struct dmm_addr *maar,
		    const struct dmm_prefix *prefix, const struct dmm_addr *serving, dmm_time_t now);

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
void cmd_peer_restarted(void *ctx, struct dmm_peer *p, dmm_time_t now);

/* cmd.c, for cmd_anchor.c */
void cmd_mn_delete(struct dmm_cmd *c, struct dmm_bcache_entry *e, bool notify, const char *reason,
		   dmm_time_t now);
void cmd_pair_drop(struct dmm_cmd *c, struct dmm_bcache_entry *e, unsigned i, const char *reason,
		   dmm_time_t now);

#endif
