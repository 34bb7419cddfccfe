/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Internals shared by the files of the MAG role: mag.c (life cycle,
 * attach/detach, PBU sending, timers, receive dispatch), mag_pba.c (PBA
 * processing and the status table, RFC 5213 §6.9.1.2) and mag_lma.c
 * (what the LMA starts: revocation, RFC 5846 §9.1, and heartbeat events,
 * RFC 5847). Not a public header. The timer rules are at the top of mag.c.
 */
#ifndef DMM_CORE_ROLE_MAG_INT_H
#define DMM_CORE_ROLE_MAG_INT_H

#include "dmm/fmt.h"
#include "dmm/mag.h"
#include "dmm/mh.h"
#include "dmm/timers.h"
#include "base.h"
#include "pmip_common.h"

/* What the current PBU of an entry is for. */
enum mag_pbu_kind { PBU_NONE, PBU_REG, PBU_REFRESH, PBU_DEREG };

struct mag_x {
	uint16_t seq_first; /* first sequence number of the current attempt */
	uint8_t kind;	    /* enum mag_pbu_kind of the outstanding PBU */
	bool outstanding;   /* a PBA is awaited */
	bool first_reg;	    /* the entry was never granted a binding */
	bool ts_resynced;   /* one retry after 156/157 done */
	bool seq_resynced;  /* one retry after 135 done */
	bool peer_ref;	    /* holds a heartbeat reference on its LMA */
	bool intents;	    /* intents installed */
	bool blocked;	    /* 152: no PBU until an administrative action (§6.9.1.2 item 7) */
	bool lma_down;	    /* the LMA missed its heartbeats (RFC 5847 §5.2) */
	bool has_upa;
	struct dmm_addr upa; /* LMA user-plane address (RFC 7389), when given */
};

struct dmm_mag {
	struct dmm_role_base base; /* first: env, timers, peers, intents, stats (base.h) */
	struct dmm_mag_cfg cfg;
	struct dmm_bul *bul;
	struct mag_x *x;
	uint16_t seq; /* next sequence number */
	struct dmm_mag_counters ctr;
	dmm_time_t rl_start; /* rate limit of malformed-input log lines */
	uint32_t rl_count;
};

#define MAG_RL_PER_SECOND 10
#define MAG_INTENT_PRECEDENCE 100

static inline bool mag_log_on(const struct dmm_mag *mag, enum dmm_log_level lvl)
{
	return dmm_role_base_log_on(&mag->base, lvl);
}

static inline struct mag_x *mag_xof(struct dmm_mag *mag, const struct dmm_bul_entry *e)
{
	return &mag->x[e->handle.idx];
}

/* "MN-ID prefix via LMA": the object every log line names (ARCHITECTURE rule 8). */
struct mag_who {
	char s[DMM_MNID_STRLEN + DMM_PREFIX_STRLEN + DMM_ADDR_STRLEN + 16];
};

const char *mag_who(const struct dmm_bul_entry *e, struct mag_who *w);
/* The one place a BUL entry changes state: logs "old -> new (reason)" and counts it. */
void mag_set_state(struct dmm_mag *mag, struct dmm_bul_entry *e, enum dmm_bul_state to, const char *reason);
/* Encode m and send it from the MAG's address to dst. */
void mag_tx(struct dmm_mag *mag, const struct dmm_addr *dst, const struct dmm_mh_msg *m);
/* Report an access-side event for e (env.mn_event). */
void mag_emit(struct dmm_mag *mag, uint8_t type, uint8_t status, const struct dmm_bul_entry *e);
void mag_intents_del(struct dmm_mag *mag, struct dmm_bul_entry *e);
void mag_intents_install(struct dmm_mag *mag, struct dmm_bul_entry *e, dmm_time_t now);
void mag_timers_cancel_all(struct dmm_mag *mag, const struct dmm_bul_entry *e);
/* Delete e with its intents, timers and heartbeat reference. */
void mag_release(struct dmm_mag *mag, struct dmm_bul_entry *e, dmm_time_t now, const char *reason);
/* First PBU of a registration, refresh or de-registration, with PBU_RETX armed. */
void mag_start_attempt(struct dmm_mag *mag, struct dmm_bul_entry *e, uint8_t kind, uint8_t hi,
		       dmm_time_t now);
/* Resend at once with fresh numbers (after 135/156/157). */
void mag_retry_now(struct dmm_mag *mag, struct dmm_bul_entry *e, dmm_time_t now);

/* mag_pba.c */
void mag_recv_pba(struct dmm_mag *mag, const struct dmm_addr *src, const struct dmm_mh_msg *m,
		  dmm_time_t now);
/* Deny service to e (§6.9.1.2 item 11): REFUSED event, entry deleted, or kept IDLE as a block. */
void mag_refuse(struct dmm_mag *mag, struct dmm_bul_entry *e, uint8_t status, bool block, dmm_time_t now,
		const char *reason);

/* mag_lma.c */
void mag_recv_bri(struct dmm_mag *mag, const struct dmm_addr *src, const struct dmm_mh_msg *m,
		  dmm_time_t now);
void mag_peer_down(void *ctx, struct dmm_peer *p, dmm_time_t now);
void mag_peer_up(void *ctx, struct dmm_peer *p, dmm_time_t now);
void mag_peer_restarted(void *ctx, struct dmm_peer *p, dmm_time_t now);

#endif
