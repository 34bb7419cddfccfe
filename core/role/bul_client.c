/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The binding update list client (bul_client.h): registration attempts,
 * retransmission, refresh and expiry of the entries of a MAG or of a
 * MAAR serving its MNs.
 *
 * THE TIMERS of an entry (a timer names its entry by handle, a stale
 * handle is ignored, timers.h). Only this file arms or cancels them; the
 * roles call the named hooks below.
 *
 *   PBU_RETX(entry)    armed whenever a PBU goes out and a PBA is awaited
 *                      (attempt->outstanding): bulc_start, bulc_retry_now.
 *                      First timeout: initial_bindack_timeout_first_reg
 *                      for the first registration of an entry when
 *                      nonzero, else initial_bindack_timeout (RFC 5213
 *                      §6.9.4 item 1). Fires: for a de-registration,
 *                      ops->dereg_lost at once (§6.9.1.4: one
 *                      INITIAL_BINDACK_TIMEOUT, no retry). Otherwise,
 *                      while fewer than max_retransmissions retries went
 *                      out, the PBU is sent again with a new sequence
 *                      number and a fresh timestamp (§6.9.4 item 4, RFC
 *                      6275 §11.8) and the timeout doubles, capped at
 *                      max_bindack_timeout (§6.9.4 item 3). After the last
 *                      retry's timeout: give up (pbu_give_ups). An entry
 *                      in REGISTERED (a refresh, a re-registration after
 *                      a peer restart) keeps its binding until
 *                      BUL_EXPIRE; any other gets ops->give_up. A
 *                      matching PBA (bulc_pba_accepted) or the end of the
 *                      attempt (bulc_stop) cancels it.
 *   BUL_REFRESH(entry) armed by bulc_registered to registered + lifetime
 *                      * (100 - refresh_margin_pct)%. Fires: a refreshing
 *                      PBU, HI 5 (§6.9.1.3), with its own PBU_RETX, when
 *                      the entry is REGISTERED, no PBA is awaited and
 *                      ops->may_refresh agrees.
 *   BUL_EXPIRE(entry)  armed by bulc_registered to registered + lifetime.
 *                      Fires, in REGISTERED: ops->expired (the binding
 *                      lapsed at the peer at the same time: no PBU).
 *
 *   bulc_timers_no_refresh cancels BUL_REFRESH, bulc_timers_detached
 *   BUL_REFRESH and BUL_EXPIRE; bulc_del and bulc_timers_cancel_all all
 *   three.
 *
 * Sequence numbers: one role-wide counter (RFC 5213 §6.9.1.1 item 6 asks
 * for one with the Timestamp option; it serves the sequence-number
 * scheme too, since it increases for every MN), started at seq0. A PBA
 * matches an entry when its sequence number is one of those sent in the
 * current attempt (the first PBU and its retransmissions, §6.9.1.2 item
 * 5).
 */
#include <string.h>

#include "dmm/err.h"
#include "dmm/fmt.h"
#include "fsm.h"
#include "bul_client.h"
#include "pmip_common.h"

int bulc_init(struct bulc *c, struct dmm_role_base *b, struct dmm_bul *bul, uint32_t n, uint16_t seq0,
	      const struct bulc_ops *ops, void *role, dmm_time_t now)
{
	const struct dmm_alloc *a = b->env.alloc;
	int err;

	memset(c, 0, sizeof(*c));
	/*
	 * The three timers of an entry (PBU_RETX, BUL_REFRESH, BUL_EXPIRE)
	 * in records of its slot, one per kind: no hash index to read or
	 * update when one is set or cancelled. The role sized the set for
	 * these (n of each) and its others.
	 */
	err = dmm_timers_make_direct_kinds(b->timers, dmm_timers_capacity(b->timers), n,
					   1u << DMM_TIMER_PBU_RETX | 1u << DMM_TIMER_BUL_REFRESH |
						   1u << DMM_TIMER_BUL_EXPIRE);
	if (err)
		return err;
	c->at = a->zalloc(a->ctx, sizeof(*c->at) * n);
	if (!c->at)
		return DMM_ERR_NOMEM;
	c->base = b;
	c->bul = bul;
	c->ops = ops;
	c->role = role;
	c->seq = seq0;
	c->rl_start = now;
	return 0;
}

void bulc_fini(struct bulc *c)
{
	const struct dmm_alloc *a = c->base ? c->base->env.alloc : NULL;

	if (a)
		a->free(a->ctx, c->at);
	c->at = NULL;
}

void bulc_configure(struct bulc *c, const struct bulc_cfg *cfg)
{
	c->cfg = *cfg;
}

const char *bulc_who(const struct bulc *c, const struct dmm_bul_entry *e, struct bulc_who *w)
{
	return c->ops->who(c->role, e, w);
}

/* --- entries and their state (fsm.h) --- */

struct dmm_bul_entry *bulc_add(struct bulc *c, const struct dmm_mnid *mnid)
{
	struct dmm_bul_entry *e = dmm_bul_add(c->bul, mnid, NULL);

	if (e) {
		memset(bulc_at(c, e), 0, sizeof(struct bulc_attempt));
		bulc_at(c, e)->first_reg = true;
	}
	return e;
}

void bulc_set_state(struct bulc *c, struct dmm_bul_entry *e, int to, const char *reason)
{
	struct bulc_attempt *at = bulc_at(c, e);
	int from = at->noted ? (int)e->state : DMM_FSM_NONE;
	struct bulc_who w;

	if (to != DMM_FSM_NONE)
		(void)dmm_bul_set_state(c->bul, e, (enum dmm_bul_state)to);
	at->noted = to != DMM_FSM_NONE;
	/* For the matrix an entry is IDLE before its creation and after its deletion; IDLE -> deleted is no change. */
	if (c->matrix && !(to == DMM_FSM_NONE && (from == DMM_FSM_NONE || from == DMM_BUL_IDLE)))
		c->matrix[from == DMM_FSM_NONE ? DMM_BUL_IDLE : from]
			 [to == DMM_FSM_NONE ? DMM_BUL_IDLE : to]++;
	dmm_fsm_note(&c->base->stats, bulc_log_on(c, DMM_LOG_INFO) ? c->base->env.log : NULL, DMM_FSM_BUL,
		     from, to, c->ops->name, bulc_log_on(c, DMM_LOG_INFO) ? bulc_who(c, e, &w) : "", reason);
}

void bulc_peer_release(struct bulc *c, struct dmm_bul_entry *e, dmm_time_t now)
{
	struct bulc_attempt *at = bulc_at(c, e);
	struct dmm_peer *p;

	if (!at->peer_ref)
		return;
	p = dmm_peers_get(c->base->peers, &e->lmaa, false);
	if (p)
		dmm_peers_ref(c->base->peers, p, -1, now);
	at->peer_ref = false;
}

void bulc_peer_hold(struct bulc *c, struct dmm_bul_entry *e, dmm_time_t now)
{
	struct bulc_attempt *at = bulc_at(c, e);
	struct dmm_peer *p;

	if (at->peer_ref)
		return;
	p = dmm_peers_get(c->base->peers, &e->lmaa, true);
	if (p) {
		dmm_peers_ref(c->base->peers, p, +1, now);
		at->peer_ref = true;
	}
}

void bulc_del(struct bulc *c, struct dmm_bul_entry *e, dmm_time_t now)
{
	bulc_timers_cancel_all(c, e);
	bulc_peer_release(c, e, now);
	memset(bulc_at(c, e), 0, sizeof(struct bulc_attempt));
	dmm_bul_del(c->bul, e);
}

/* --- timers: the named hooks (the rules are at the top of this file) --- */

static void timers_pbu_sent(struct bulc *c, const struct dmm_bul_entry *e, dmm_time_t now)
{
	dmm_timers_set(c->base->timers, DMM_TIMER_PBU_RETX, e->handle, now + e->backoff);
}

static void timers_pba_received(struct bulc *c, const struct dmm_bul_entry *e)
{
	dmm_timers_cancel(c->base->timers, DMM_TIMER_PBU_RETX, e->handle);
}

static void timers_lifetime_set(struct bulc *c, const struct dmm_bul_entry *e, dmm_time_t now)
{
	dmm_timers_set(c->base->timers, DMM_TIMER_BUL_REFRESH, e->handle,
		       now + e->lifetime / 100 * (100 - c->cfg.refresh_margin_pct));
	dmm_timers_set(c->base->timers, DMM_TIMER_BUL_EXPIRE, e->handle, e->expires);
}

void bulc_timers_no_refresh(struct bulc *c, const struct dmm_bul_entry *e)
{
	dmm_timers_cancel(c->base->timers, DMM_TIMER_BUL_REFRESH, e->handle);
}

void bulc_timers_detached(struct bulc *c, const struct dmm_bul_entry *e)
{
	bulc_timers_no_refresh(c, e);
	dmm_timers_cancel(c->base->timers, DMM_TIMER_BUL_EXPIRE, e->handle);
}

void bulc_timers_cancel_all(struct bulc *c, const struct dmm_bul_entry *e)
{
	dmm_timers_cancel(c->base->timers, DMM_TIMER_PBU_RETX, e->handle);
	bulc_timers_detached(c, e);
}

/* --- attempts --- */

/* RFC 5213 §6.9.1.5: the PBU of e with the next sequence number. */
static void send_pbu(struct bulc *c, struct dmm_bul_entry *e, dmm_time_t now)
{
	uint16_t lt = bulc_at(c, e)->kind == BULC_DEREG
			      ? 0
			      : dmm_lifetime_units((uint32_t)(e->lifetime_req / DMM_SECOND));

	e->seq = c->seq++;
	e->sent = now;
	c->ops->send_pbu(c->role, e, lt, now);
}

void bulc_start(struct bulc *c, struct dmm_bul_entry *e, uint8_t kind, uint8_t hi, dmm_time_t now)
{
	struct bulc_attempt *at = bulc_at(c, e);

	at->kind = kind;
	at->outstanding = true;
	at->seq_first = c->seq;
	e->hi = hi;
	e->retx = 0;
	/* §6.9.4 item 1, and §6.9.1.4 for de-registration. */
	e->backoff =
		pmip_backoff_first(at->first_reg && kind == BULC_REG,
				   c->cfg.initial_bindack_timeout_first_reg, c->cfg.initial_bindack_timeout);
	send_pbu(c, e, now);
	timers_pbu_sent(c, e, now);
}

void bulc_retry_now(struct bulc *c, struct dmm_bul_entry *e, dmm_time_t now)
{
	bulc_at(c, e)->seq_first = c->seq;
	send_pbu(c, e, now);
	timers_pbu_sent(c, e, now);
}

void bulc_stop(struct bulc *c, struct dmm_bul_entry *e)
{
	struct bulc_attempt *at = bulc_at(c, e);

	at->outstanding = false;
	at->kind = BULC_NONE;
	dmm_timers_cancel(c->base->timers, DMM_TIMER_PBU_RETX, e->handle);
}

void bulc_seq_above(struct bulc *c, uint16_t seq)
{
	if (dmm_seq_lt(c->seq, (uint16_t)(seq + 1)))
		c->seq = (uint16_t)(seq + 1);
}

/* --- PBA --- */

struct dmm_bul_entry *bulc_pba_match(struct bulc *c, const struct dmm_addr *src, const struct dmm_mh_msg *msg)
{
	struct dmm_mnid id;

	if (!pmip_mnid_of(msg, &id))
		return NULL;
	for (struct dmm_bul_entry *e = dmm_bul_find_mnid(c->bul, &id); e;
	     e = dmm_bul_find_mnid_next(c->bul, e)) {
		struct bulc_attempt *at = bulc_at(c, e);

		if (!at->outstanding || !dmm_addr_eq(&e->lmaa, src))
			continue;
		/* 135 carries the peer's last accepted number, not ours (RFC 6275 §9.5.1). */
		if (msg->u.ba.status == DMM_BA_SEQ_OUT_OF_WINDOW ||
		    pmip_seq_in_attempt(msg->u.ba.seq, at->seq_first, e->seq))
			return e;
	}
	return NULL;
}

bool bulc_pba_echo_ok(struct bulc *c, struct dmm_bul_entry *e, const struct dmm_mh_msg *msg,
		      uint64_t *echo_ctr)
{
	struct bulc_who w;

	if (!pmip_pba_echo_ok(e, msg)) {
		if (echo_ctr)
			(*echo_ctr)++;
		c->base->stats.rx_unexpected++;
		if (bulc_log_on(c, DMM_LOG_WARN))
			dmm_logf(c->base->env.log, DMM_LOG_WARN, DMM_LC_MH,
				 "%s: %s: PBA ignored: HI/ATT/MN-LLID differ from the PBU", c->ops->name,
				 bulc_who(c, e, &w));
		return false;
	}
	c->base->stats.binding_acks++;
	c->base->stats.ba_status[msg->u.ba.status]++;
	return true;
}

bool bulc_pba_hnps_ok(struct bulc *c, const struct dmm_bul_entry *e, const struct dmm_mh_msg *msg)
{
	struct bulc_who w;

	if (pmip_pba_hnps_ok(msg))
		return true;
	c->base->stats.rx_unexpected++;
	if (bulc_log_on(c, DMM_LOG_WARN))
		dmm_logf(c->base->env.log, DMM_LOG_WARN, DMM_LC_MH,
			 "%s: %s: accepting PBA without a usable HNP: ignored", c->ops->name,
			 bulc_who(c, e, &w));
	return false;
}

void bulc_pba_accepted(struct bulc *c, struct dmm_bul_entry *e, uint16_t lifetime_units, dmm_time_t now)
{
	struct bulc_attempt *at = bulc_at(c, e);

	at->outstanding = false;
	at->kind = BULC_NONE;
	at->first_reg = false;
	at->ts_resynced = at->seq_resynced = false;
	e->retx = 0;
	e->lifetime = (dmm_time_t)dmm_lifetime_seconds(lifetime_units) * DMM_SECOND;
	/* ARCHITECTURE rule 8: the software measures attach -> registration itself. */
	if (e->registered < e->attached)
		e->reg_time = now - e->attached;
	e->registered = now;
	e->expires = now + e->lifetime;
	timers_pba_received(c, e);
}

void bulc_registered(struct bulc *c, struct dmm_bul_entry *e, bool had_binding, int nold, dmm_time_t now)
{
	struct dmm_pmip_stats *st = &c->base->stats;
	const struct dmm_log *log = c->base->env.log;
	unsigned lt = (unsigned)(e->lifetime / DMM_SECOND);
	struct bulc_who w;

	if (had_binding && e->state == DMM_BUL_REGISTERED) {
		st->lifetime_ext_no_handoff++;
		if (bulc_log_on(c, DMM_LOG_DEBUG))
			dmm_logf(log, DMM_LOG_DEBUG, DMM_LC_FSM, "%s: %s: lifetime extended to %u s",
				 c->ops->name, bulc_who(c, e, &w), lt);
	} else {
		if (!had_binding)
			st->initial_registrations++;
		else
			st->lifetime_ext_after_handoff++;
		bulc_set_state(c, e, DMM_BUL_REGISTERED, "PBA accepted");
		/* Rule 8: attach seen -> registration acknowledged. */
		if (bulc_log_on(c, DMM_LOG_INFO) && nold >= 0)
			dmm_logf(log, DMM_LOG_INFO, DMM_LC_FSM,
				 "%s: %s: registered %llu us after attach, lifetime %u s, %d old prefixes",
				 c->ops->name, bulc_who(c, e, &w),
				 (unsigned long long)((now - e->attached) / DMM_USEC), lt, nold);
		else if (bulc_log_on(c, DMM_LOG_INFO))
			dmm_logf(log, DMM_LOG_INFO, DMM_LC_FSM,
				 "%s: %s: registered %llu us after attach, lifetime %u s", c->ops->name,
				 bulc_who(c, e, &w), (unsigned long long)((now - e->attached) / DMM_USEC),
				 lt);
	}
	timers_lifetime_set(c, e, now);
}

bool bulc_pba_refused(struct bulc *c, struct dmm_bul_entry *e, const struct dmm_mh_msg *msg, uint64_t *ts_ctr,
		      uint64_t *seq_ctr, dmm_time_t now)
{
	struct bulc_attempt *at = bulc_at(c, e);
	const struct pmip_status *row = pmip_status_row(msg->u.ba.status);
	struct bulc_who w;

	if (bulc_log_on(c, DMM_LOG_WARN))
		dmm_logf(c->base->env.log, DMM_LOG_WARN, DMM_LC_FSM, "%s: %s: PBA status %u %s", c->ops->name,
			 bulc_who(c, e, &w), msg->u.ba.status, row->name);
	switch (row->action) {
	case PMIP_ST_RESYNC_TS:
		if (at->ts_resynced)
			return false;
		at->ts_resynced = true;
		if (ts_ctr)
			(*ts_ctr)++;
		break;
	case PMIP_ST_RESYNC_SEQ:
		if (at->seq_resynced)
			return false;
		at->seq_resynced = true;
		if (seq_ctr)
			(*seq_ctr)++;
		/* RFC 6275 §11.7.1: resend with a number above the peer's. */
		bulc_seq_above(c, msg->u.ba.seq);
		break;
	default:
		return false;
	}
	bulc_retry_now(c, e, now);
	return true;
}

/* --- timer expiry --- */

static void on_retx(struct bulc *c, struct dmm_bul_entry *e, dmm_time_t now)
{
	struct bulc_attempt *at = bulc_at(c, e);
	struct bulc_who w;

	if (!at->outstanding)
		return;
	if (at->kind == BULC_DEREG) {
		c->ops->dereg_lost(c->role, e, now);
		return;
	}
	if (e->retx < c->cfg.max_retransmissions) {
		/* §6.9.4 item 3 (RFC 6275 §11.8): double up to MAX_BINDACK_TIMEOUT. */
		e->retx++;
		c->base->stats.pbu_retransmissions++;
		e->backoff = pmip_backoff_next(e->backoff, c->cfg.max_bindack_timeout);
		send_pbu(c, e, now);
		timers_pbu_sent(c, e, now);
		return;
	}
	c->base->stats.pbu_give_ups++;
	at->outstanding = false;
	at->kind = BULC_NONE;
	if (bulc_log_on(c, DMM_LOG_WARN))
		dmm_logf(c->base->env.log, DMM_LOG_WARN, DMM_LC_FSM,
			 "%s: %s: no PBA after %u retransmissions", c->ops->name, bulc_who(c, e, &w),
			 e->retx);
	if (e->state == DMM_BUL_REGISTERED)
		return; /* the granted binding stands until BUL_EXPIRE */
	c->ops->give_up(c->role, e, now);
}

static void on_refresh(struct bulc *c, struct dmm_bul_entry *e, dmm_time_t now)
{
	if (e->state != DMM_BUL_REGISTERED || bulc_at(c, e)->outstanding)
		return;
	if (c->ops->may_refresh && !c->ops->may_refresh(c->role, e))
		return;
	e->lifetime_req = (dmm_time_t)c->cfg.lifetime_s * DMM_SECOND;
	bulc_start(c, e, BULC_REFRESH, DMM_HI_NO_CHANGE, now); /* §6.9.1.3 */
}

bool bulc_on_timer(struct bulc *c, unsigned kind, struct dmm_handle h, dmm_time_t now)
{
	struct dmm_bul_entry *e;

	if (kind != DMM_TIMER_PBU_RETX && kind != DMM_TIMER_BUL_REFRESH && kind != DMM_TIMER_BUL_EXPIRE)
		return false;
	e = dmm_bul_get(c->bul, h);
	if (!e)
		return true; /* stale: the entry went */
	if (kind == DMM_TIMER_PBU_RETX)
		on_retx(c, e, now);
	else if (kind == DMM_TIMER_BUL_REFRESH)
		on_refresh(c, e, now);
	else if (e->state == DMM_BUL_REGISTERED)
		c->ops->expired(c->role, e, now);
	return true;
}

/* --- receive --- */

bool bulc_rl_allow(struct bulc *c, dmm_time_t now)
{
	if (now - c->rl_start >= DMM_SECOND || now < c->rl_start) {
		c->rl_start = now;
		c->rl_count = 0;
	}
	return c->rl_count++ < BULC_RL_PER_SECOND;
}

int bulc_decode(struct bulc *c, struct dmm_mh_msg *msg, struct dmm_mh_msg *be, const struct dmm_addr *src,
		const uint8_t *buf, size_t len, dmm_time_t now)
{
	struct dmm_pmip_stats *st = &c->base->stats;
	char as[DMM_ADDR_STRLEN];
	int n = dmm_mh_decode(msg, buf, len);

	if (n == DMM_ERR_UNKNOWN_TYPE) {
		st->rx_unknown_type++;
		if (bulc_rl_allow(c, now))
			dmm_logf(c->base->env.log, DMM_LOG_WARN, DMM_LC_MH,
				 "%s: unknown MH type %u from %s: BE 2", c->ops->name, len > 2 ? buf[2] : 0,
				 dmm_addr_str(src, as));
		/* RFC 6275 §9.2 */
		dmm_mh_init(be, DMM_MH_BE);
		be->u.be.status = DMM_BE_UNKNOWN_MH_TYPE;
		c->ops->tx(c->role, src, be);
	} else if (n < 0) {
		if (-n < DMM_STATS_MAX_ERR)
			st->rx_malformed[-n]++;
		if (bulc_rl_allow(c, now))
			dmm_logf(c->base->env.log, DMM_LOG_WARN, DMM_LC_MH, "%s: malformed MH from %s: %s",
				 c->ops->name, dmm_addr_str(src, as), dmm_strerror(n));
	}
	return n;
}
