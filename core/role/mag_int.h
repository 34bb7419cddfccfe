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
#include "pmip_common.h"

/* Per BUL entry, what neither the BUL nor the client's attempt holds; indexed by the entry's slot. */
struct mag_bx {
	bool intents;  /* intents installed */
	bool blocked;  /* 152: no PBU until an administrative action (§6.9.1.2 item 7) */
	bool lma_down; /* the LMA missed its heartbeats (RFC 5847 §3.1) */
	bool has_upa;
	struct dmm_addr upa; /* LMA user-plane address (RFC 7389), when given */
};

struct dmm_mag {
	struct dmm_role_base base; /* first: env, timers, peers, intents, stats (base.h) */
	struct dmm_mag_cfg cfg;
	struct dmm_bul *bul;
	struct bulc cl; /* attempts, sequence numbers, retransmission (bul_client.h) */
	struct mag_bx *bx;
	struct dmm_mag_counters ctr;
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
/* Per HNP: uplink into the tunnel, downlink out of it, delivery on the link (§6.10.5). */
void mag_intents_install(struct dmm_mag *mag, struct dmm_bul_entry *e, dmm_time_t now);
/* Delete e with its intents, timers and heartbeat reference. */
void mag_release(struct dmm_mag *mag, struct dmm_bul_entry *e, dmm_time_t now, const char *reason);
/* Deny service to e (§6.9.1.2 item 11): REFUSED event, entry deleted, or kept IDLE as a block. */
void mag_refuse(struct dmm_mag *mag, struct dmm_bul_entry *e, uint8_t status, bool block, dmm_time_t now,
		const char *reason);

/* mag_pba.c */
void mag_recv_pba(struct dmm_mag *mag, const struct dmm_addr *src, const struct dmm_mh_msg *m,
		  dmm_time_t now);

/* mag_lma.c */
void mag_recv_bri(struct dmm_mag *mag, const struct dmm_addr *src, const struct dmm_mh_msg *m,
		  dmm_time_t now);
void mag_peer_down(void *ctx, struct dmm_peer *p, dmm_time_t now);
void mag_peer_up(void *ctx, struct dmm_peer *p, dmm_time_t now);
void mag_peer_restarted(void *ctx, struct dmm_peer *p, dmm_time_t now);

#endif
