/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Internals shared by the files of the LMA role: lma.c (life cycle,
 * receive dispatch, timers, tunnels and peers, intents, revocation,
 * RFC 5846) and lma_pbu.c (PBU processing and the PBA, RFC 5213 §5.3).
 * Not a public header. The timer rules are at the top of lma.c.
 */
#ifndef DMM_CORE_ROLE_LMA_INT_H
#define DMM_CORE_ROLE_LMA_INT_H

#include "base.h"
#include "dmm/fmt.h"
#include "dmm/lma.h"
#include "dmm/mh.h"
#include "pmip_common.h"

/* RFC 5846 §5.1 revocation triggers used here. */
enum { BRI_TRIGGER_SAME_ATT = 2, BRI_TRIGGER_OTHER_ATT = 3, BRI_TRIGGER_UNKNOWN = 4 };

/* What the LMA keeps per binding beside the cache entry, indexed by handle.idx. */
struct lma_bx {
	struct dmm_handle peer; /* the peer this binding holds a reference on; gen 0: none */
	bool bri_pending;	/* a BRI waits for its BRA */
	uint8_t bri_sent;	/* transmissions of the pending BRI */
	uint8_t bri_trigger;
	uint16_t bri_seq;
	struct dmm_addr bri_dst;     /* the previous MAG */
	struct dmm_handle bri_owner; /* the binding, for a BRA that names only the seq */
	dmm_time_t bri_delay;	     /* the next retransmission interval */
};

struct dmm_lma {
	struct dmm_role_base base; /* first: env, timers, peers, intents, stats (base.h) */
	struct dmm_lma_cfg cfg;
	struct dmm_bcache *bc;
	struct dmm_pool *pool;
	uint32_t fm_cap;
	struct lma_bx *bx;
	struct dmm_hidx bri_idx; /* pending BRI seq -> binding slot */
	uint16_t bri_seq;
	/* Scratch space, kept out of the stack: a decoded message is ~9 KB. */
	struct dmm_mh_msg rx, tx;
	uint8_t buf[DMM_MH_MAX_LEN];
};

/* lma.c */

/* Log a binding's transition "from -> to (reason)", naming MN-ID, prefix and MAG. */
void lma_log_bce(struct dmm_lma *lma, enum dmm_log_level lvl, const struct dmm_bcache_entry *e,
		 const char *from, const char *to, const char *reason);
/* The one place a binding changes state: logs "old -> new (reason)". */
void lma_set_state(struct dmm_lma *lma, struct dmm_bcache_entry *e, enum dmm_bce_state to,
		   const char *reason);
/* Encode m into the scratch buffer and send it from src to dst. */
void lma_send_msg(struct dmm_lma *lma, const struct dmm_addr *src, const struct dmm_addr *dst,
		  const struct dmm_mh_msg *m);
/* The binding e now uses the tunnel to e->pcoa: one heartbeat reference on that peer. */
void lma_peer_hold(struct dmm_lma *lma, struct dmm_bcache_entry *e, dmm_time_t now);
/* Drop a reference taken by lma_peer_hold() on peer h. */
void lma_peer_unref(struct dmm_lma *lma, struct dmm_handle h, dmm_time_t now);
/* Drop e's peer reference, if it holds one. */
void lma_peer_release(struct dmm_lma *lma, struct dmm_bcache_entry *e, dmm_time_t now);
/* Replace every intent of e after its state (RFC 5213 §5.6.2, §5.3.5). */
void lma_set_intents(struct dmm_lma *lma, const struct dmm_bcache_entry *e, dmm_time_t now);
/* Revoke e at the previous MAG prev (RFC 5846 §8.1), with retransmissions. */
void lma_bri_start(struct dmm_lma *lma, struct dmm_bcache_entry *e, const struct dmm_addr *prev,
		   uint8_t trigger, dmm_time_t now);

/* lma_pbu.c */

/* The PBU decoded into lma->rx, from src to dst (RFC 5213 §5.3.1). */
void lma_recv_pbu(struct dmm_lma *lma, const struct dmm_addr *src, const struct dmm_addr *dst,
		  dmm_time_t now);
/* A message that did not decode (err): counted, logged, and answered where the RFC says so. */
void lma_malformed(struct dmm_lma *lma, const struct dmm_addr *src, const struct dmm_addr *dst,
		   const uint8_t *buf, size_t len, int err, dmm_time_t now);

#endif
