/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The Mobile Access Gateway of Proxy Mobile IPv6 (RFC 5213 §6).
 *
 * Files: this one (life cycle, attach/detach, PBU sending, timers,
 * receive dispatch), mag_pba.c (PBA processing, status table),
 * mag_lma.c (BRI and heartbeat events), mag_int.h (shared internals).
 *
 * One binding update list entry per attached MN (RFC 5213 §6.1), in one of
 * the states of enum dmm_bul_state; next to it, in a parallel array indexed
 * by the entry's slot, what the BUL does not hold (struct mag_x: the first
 * sequence number of the current attempt, resynchronisation flags, the
 * LMA's user-plane address ...).
 *
 * THE TIMERS (all of them; a timer names its entry by handle, a stale
 * handle is ignored, timers.h):
 *
 *   PBU_RETX(entry)   armed whenever a PBU goes out and a PBA is awaited
 *                     (x->outstanding). First timeout:
 *                     initial_bindack_timeout_first_reg for the first
 *                     registration of an entry when nonzero, else
 *                     initial_bindack_timeout (RFC 5213 §6.9.4 item 1).
 *                     Fires: in DEREG_WAIT the entry is deleted at once
 *                     (§6.9.1.4: one INITIAL_BINDACK_TIMEOUT, no retry).
 *                     Otherwise, while fewer than max_retransmissions
 *                     retries went out, the PBU is sent again with a new
 *                     sequence number and a fresh timestamp (§6.9.4 item
 *                     4, RFC 6275 §11.8) and the timeout doubles, capped
 *                     at max_bindack_timeout (§6.9.4 item 3). After the
 *                     last retry's timeout: give up (pbu_give_ups). An
 *                     entry that holds a granted binding (a refresh or a
 *                     re-registration after an LMA restart) keeps it until
 *                     BUL_EXPIRE; an entry never granted one is deleted
 *                     and the MN gets DMM_MN_REFUSED with status
 *                     DMM_MN_STATUS_NO_ANSWER. A matching PBA cancels it.
 *   BUL_REFRESH(entry) armed at an accepted PBA to
 *                     registered + lifetime * (100 - refresh_margin_pct)%.
 *                     Fires: a refreshing PBU, HI 5, the known HNPs
 *                     (§6.9.1.3), with its own PBU_RETX.
 *   BUL_EXPIRE(entry) armed at an accepted PBA to registered + lifetime.
 *                     Fires: the binding lapsed; intents go, the MN gets
 *                     DMM_MN_DEREGISTERED, the entry is deleted (no PBU:
 *                     the LMA's binding lapsed at the same time).
 *   HEARTBEAT(peer)   owned by core/role/peer.c (RFC 5847 §5.1), runs
 *                     while a peer has bindings: one reference per entry
 *                     that has been granted a binding, dropped when the
 *                     entry is deleted.
 *
 * Sequence numbers: with the Timestamp option in use, §6.9.1.1 item 6 asks
 * for one MAG-wide increasing counter that only matches replies to
 * requests; the same counter also serves the sequence-number scheme,
 * since it increases for every MN. It starts at a value drawn from
 * env.seed. A PBA matches an entry when its MN-ID names the entry, it
 * comes from the entry's LMA and its sequence number is one of those sent
 * in the current attempt (the first PBU and its retransmissions,
 * §6.9.1.2 item 5); anything else is ignored and counted as unexpected.
 */
#include <stddef.h>
#include <string.h>

#include "dmm/err.h"
#include "mag_int.h"

/* base.h: the peer hooks and on_timer() get the base as the MAG. */
_Static_assert(offsetof(struct dmm_mag, base) == 0, "the role base must be the first member");

/* --- small helpers --- */

const char *mag_who(const struct dmm_bul_entry *e, struct mag_who *w)
{
	char m[DMM_MNID_STRLEN], p[DMM_PREFIX_STRLEN], a[DMM_ADDR_STRLEN];
	size_t i = 0;
	const char *parts[5];

	dmm_mnid_str(&e->mnid, m);
	if (e->n_hnp)
		dmm_prefix_str(&e->hnp[0], p);
	else
		memcpy(p, "-", 2);
	dmm_addr_str(&e->lmaa, a);
	parts[0] = m;
	parts[1] = " prefix ";
	parts[2] = p;
	parts[3] = " lma ";
	parts[4] = a;
	for (int k = 0; k < 5; k++)
		for (const char *c = parts[k]; *c && i + 1 < sizeof(w->s); c++)
			w->s[i++] = *c;
	w->s[i] = 0;
	return w->s;
}

/* The one place a BUL entry changes state: log "old -> new (reason)" and count it. */
void mag_set_state(struct dmm_mag *mag, struct dmm_bul_entry *e, enum dmm_bul_state to, const char *reason)
{
	enum dmm_bul_state from = dmm_bul_set_state(mag->bul, e, to);
	struct mag_who w;

	mag->ctr.transitions[from][to]++;
	if (mag_log_on(mag, DMM_LOG_INFO))
		dmm_logf(mag->base.env.log, DMM_LOG_INFO, DMM_LC_FSM, "mag: %s: %s -> %s (%s)",
			 mag_who(e, &w), dmm_bul_state_name(from), dmm_bul_state_name(to), reason);
}

void mag_tx(struct dmm_mag *mag, const struct dmm_addr *dst, const struct dmm_mh_msg *m)
{
	uint8_t buf[DMM_MH_MAX_LEN];

	dmm_role_base_send(&mag->base, buf, sizeof(buf), "mag: ", &mag->cfg.addr, dst, m);
}

void mag_emit(struct dmm_mag *mag, uint8_t type, uint8_t status, const struct dmm_bul_entry *e)
{
	struct dmm_mn_event ev;
	uint32_t lt = type == DMM_MN_REGISTERED ? (uint32_t)(e->lifetime / DMM_SECOND) : 0;

	if (!mag->base.env.mn_event)
		return;
	pmip_mn_event_init(&ev, type, status, e, lt, &e->lmaa);
	for (unsigned i = 0; i < e->n_hnp; i++)
		if (!pmip_mn_event_add(&ev, &e->hnp[i], lt, lt, &e->lmaa))
			break;
	mag->base.env.mn_event(mag->base.env.ctx, &ev);
}

/* --- intents (RFC 5213 §6.10.5, ARCHITECTURE rule 3) --- */

void mag_intents_del(struct dmm_mag *mag, struct dmm_bul_entry *e)
{
	struct mag_x *x = mag_xof(mag, e);

	if (!x->intents)
		return;
	dmm_fm_del_owner(mag->base.fm, e->handle);
	x->intents = false;
	mag->base.stats.tunnels_released++;
}

static void intent_add(struct dmm_mag *mag, const struct dmm_intent *in, dmm_time_t now)
{
	int r = dmm_fm_add(mag->base.fm, in, now);

	if (r < 0) {
		mag->ctr.intents_failed++;
		dmm_logf(mag->base.env.log, DMM_LOG_ERR, DMM_LC_DP, "mag: intent %s/%s refused: %s",
			 dmm_fm_match_name(in->match), dmm_fm_action_name(in->action), dmm_strerror(r));
	}
}

/*
 * Per HNP P on access link L with LMA tunnel end A (§6.9.1.2 items 12-13,
 * §6.10.5): from the MN, source P on L -> tunnel to A; from the LMA, the
 * tunnel from A carrying P is accepted; destination P -> deliver on L.
 */
void mag_intents_install(struct dmm_mag *mag, struct dmm_bul_entry *e, dmm_time_t now)
{
	struct mag_x *x = mag_xof(mag, e);
	const struct dmm_addr *peer = x->has_upa ? &x->upa : &e->lmaa;

	mag_intents_del(mag, e);
	for (unsigned i = 0; i < e->n_hnp; i++) {
		struct dmm_intent in;

		memset(&in, 0, sizeof(in));
		in.precedence = MAG_INTENT_PRECEDENCE;
		in.prefix = e->hnp[i];
		in.owner = e->handle;
		in.match = DMM_FM_SRC;
		in.link = e->ifindex;
		in.action = DMM_FM_ENCAP;
		in.local = mag->cfg.addr;
		in.peer = *peer;
		intent_add(mag, &in, now);
		in.match = DMM_FM_DST;
		in.link = 0;
		in.action = DMM_FM_DECAP;
		intent_add(mag, &in, now);
		memset(&in.local, 0, sizeof(in.local));
		memset(&in.peer, 0, sizeof(in.peer));
		in.action = DMM_FM_DELIVER;
		in.link = e->ifindex;
		intent_add(mag, &in, now);
	}
	x->intents = true;
	mag->base.stats.tunnels_established++;
}

/* --- entries --- */

void mag_timers_cancel_all(struct dmm_mag *mag, const struct dmm_bul_entry *e)
{
	dmm_timers_cancel(mag->base.timers, DMM_TIMER_PBU_RETX, e->handle);
	dmm_timers_cancel(mag->base.timers, DMM_TIMER_BUL_REFRESH, e->handle);
	dmm_timers_cancel(mag->base.timers, DMM_TIMER_BUL_EXPIRE, e->handle);
}

/* Delete e with everything it holds: intents, timers, its heartbeat reference. */
void mag_release(struct dmm_mag *mag, struct dmm_bul_entry *e, dmm_time_t now, const char *reason)
{
	struct mag_x *x = mag_xof(mag, e);

	mag_intents_del(mag, e);
	mag_timers_cancel_all(mag, e);
	if (x->peer_ref) {
		struct dmm_peer *p = dmm_peers_get(mag->base.peers, &e->lmaa, false);

		if (p)
			dmm_peers_ref(mag->base.peers, p, -1, now);
	}
	if (e->state != DMM_BUL_IDLE)
		mag_set_state(mag, e, DMM_BUL_IDLE, reason);
	memset(x, 0, sizeof(*x));
	dmm_bul_del(mag->bul, e);
}

/* RFC 5213 §6.9.1.5: build and send the PBU of e with the next sequence number. */
static void send_pbu(struct dmm_mag *mag, struct dmm_bul_entry *e, dmm_time_t now)
{
	struct mag_x *x = mag_xof(mag, e);
	struct dmm_mh_msg m;

	e->seq = mag->seq++;
	pmip_pbu_build(&m, e, e->seq, DMM_BU_A | DMM_BU_P,
		       x->kind == PBU_DEREG ? 0
					    : dmm_lifetime_units((uint32_t)(e->lifetime_req / DMM_SECOND)),
		       e->hnp, e->n_hnp, mag->cfg.timestamp_based, mag->base.env.wall_offset, now);
	e->sent = now;
	mag_tx(mag, &e->lmaa, &m);
}

/* Start a new attempt (first PBU of a registration, refresh or de-registration). */
void mag_start_attempt(struct dmm_mag *mag, struct dmm_bul_entry *e, uint8_t kind, uint8_t hi, dmm_time_t now)
{
	struct mag_x *x = mag_xof(mag, e);

	x->kind = kind;
	x->outstanding = true;
	x->seq_first = mag->seq;
	e->hi = hi;
	e->retx = 0;
	/* §6.9.4 item 1, and §6.9.1.4 for de-registration. */
	e->backoff = pmip_backoff_first(x->first_reg && kind == PBU_REG,
					mag->cfg.initial_bindack_timeout_first_reg,
					mag->cfg.initial_bindack_timeout);
	send_pbu(mag, e, now);
	dmm_timers_set(mag->base.timers, DMM_TIMER_PBU_RETX, e->handle, now + e->backoff);
}

/* A retry after 135/156/157 continues the same attempt with fresh numbers. */
void mag_retry_now(struct dmm_mag *mag, struct dmm_bul_entry *e, dmm_time_t now)
{
	struct mag_x *x = mag_xof(mag, e);

	x->seq_first = mag->seq;
	send_pbu(mag, e, now);
	dmm_timers_set(mag->base.timers, DMM_TIMER_PBU_RETX, e->handle, now + e->backoff);
}

/* --- attach / detach --- */

int dmm_mag_attach(struct dmm_mag *mag, const struct dmm_mnid *mnid, uint32_t link, const uint8_t *ll,
		   uint8_t ll_len, uint8_t att, dmm_time_t now)
{
	char ms[DMM_MNID_STRLEN];
	struct dmm_addr lma = mag->cfg.default_lma;
	struct dmm_bul_entry *e;
	struct mag_x *x;

	if (!mnid || mnid->len == 0 || ll_len > DMM_LLID_MAX || (ll_len && !ll))
		return DMM_ERR_INVAL;
	e = dmm_bul_find_mnid(mag->bul, mnid);
	if (e && mag_xof(mag, e)->blocked) {
		mag->ctr.attach_refused_policy++;
		if (mag_log_on(mag, DMM_LOG_WARN))
			dmm_logf(mag->base.env.log, DMM_LOG_WARN, DMM_LC_FSM,
				 "mag: %s: attach refused (LMA answered PROXY_REG_NOT_ENABLED, §6.9.1.2 item "
				 "7)",
				 dmm_mnid_str(mnid, ms));
		return DMM_ERR_INVAL;
	}
	if (e && e->ifindex == link && (e->state == DMM_BUL_WAIT_PBA || e->state == DMM_BUL_REGISTERED)) {
		/* A repeated attach (another RS): nothing to signal. */
		if (e->state == DMM_BUL_REGISTERED)
			mag_emit(mag, DMM_MN_REGISTERED, 0, e);
		return 0;
	}
	if (!e) {
		/* RFC 5213 §6.2: the MN's policy profile decides whether and where. */
		if (mag->cfg.policy) {
			const struct dmm_policy_profile *pr = dmm_policy_lookup(mag->cfg.policy, mnid);

			if (!pr || !pr->may_register) {
				mag->ctr.attach_refused_policy++;
				if (mag_log_on(mag, DMM_LOG_WARN))
					dmm_logf(mag->base.env.log, DMM_LOG_WARN, DMM_LC_FSM,
						 "mag: %s: attach refused by policy (%s)",
						 dmm_mnid_str(mnid, ms),
						 pr ? "may not register" : "no profile");
				return DMM_ERR_INVAL;
			}
			if (pr->n_lma)
				lma = pr->lma[0];
		}
		if (dmm_addr_is_zero(&lma)) {
			mag->ctr.attach_refused_policy++;
			dmm_logf(mag->base.env.log, DMM_LOG_WARN, DMM_LC_FSM,
				 "mag: attach refused: no LMA configured");
			return DMM_ERR_INVAL;
		}
		e = dmm_bul_add(mag->bul, mnid, NULL);
		if (!e) {
			mag->ctr.attach_refused_full++;
			if (mag_log_on(mag, DMM_LOG_WARN))
				dmm_logf(mag->base.env.log, DMM_LOG_WARN, DMM_LC_FSM,
					 "mag: %s: attach refused: binding update list full",
					 dmm_mnid_str(mnid, ms));
			return DMM_ERR_NOMEM;
		}
		x = mag_xof(mag, e);
		memset(x, 0, sizeof(*x));
		x->first_reg = true;
		e->lmaa = lma;
		e->pcoa = mag->cfg.addr;
	} else {
		/*
		 * The MN came back (another link of this MAG, or before its
		 * de-registration completed): ask for the prefixes it holds, on
		 * the new link (§6.9.1.1 item 3). The old link's routes go now.
		 */
		mag_intents_del(mag, e);
		mag_timers_cancel_all(mag, e);
	}
	x = mag_xof(mag, e);
	e->ifindex = link;
	e->llid.len = ll_len;
	if (ll_len)
		memcpy(e->llid.b, ll, ll_len);
	e->att = att ? att : mag->cfg.att;
	e->lifetime_req = (dmm_time_t)mag->cfg.lifetime_s * DMM_SECOND;
	e->attached = now; /* rule 8: handover timing starts here */
	x->ts_resynced = x->seq_resynced = false;
	/*
	 * §6.9.1.1 items 4-5: the MAG cannot tell a handover from a new
	 * attachment, so a new entry says 1 (never 3, which could break hosts
	 * with several interfaces); an entry that already holds prefixes asks
	 * to keep them with 5.
	 */
	mag_set_state(mag, e, DMM_BUL_WAIT_PBA, e->n_hnp ? "MN attached again" : "MN attached");
	mag_start_attempt(mag, e, PBU_REG, e->n_hnp ? DMM_HI_NO_CHANGE : DMM_HI_NEW_IF, now);
	return 0;
}

int dmm_mag_detach(struct dmm_mag *mag, const struct dmm_mnid *mnid, dmm_time_t now)
{
	struct dmm_bul_entry *e;

	if (!mnid || mnid->len == 0)
		return DMM_ERR_INVAL;
	e = dmm_bul_find_mnid(mag->bul, mnid);
	if (!e)
		return DMM_ERR_NOTFOUND;
	if (e->state == DMM_BUL_DEREG_WAIT || e->state == DMM_BUL_IDLE)
		return 0; /* already leaving, or a blocked marker */
	mag_intents_del(mag, e);
	dmm_timers_cancel(mag->base.timers, DMM_TIMER_BUL_REFRESH, e->handle);
	dmm_timers_cancel(mag->base.timers, DMM_TIMER_BUL_EXPIRE, e->handle);
	mag_emit(mag, DMM_MN_DEREGISTERED, 0, e);
	mag->base.stats.deregistrations++;
	if (e->n_hnp == 0) {
		/*
		 * Never granted a prefix: there is nothing to name in a
		 * de-registration (§6.9.1.4 item 2 needs the HNPs). If the LMA
		 * did create a binding, it lapses with its lifetime.
		 */
		mag_release(mag, e, now, "MN detached before registration");
		return 0;
	}
	/* §6.9.1.4: lifetime 0, the HNPs, HI 4; one timeout and no retry. */
	mag_set_state(mag, e, DMM_BUL_DEREG_WAIT, "MN detached");
	mag_start_attempt(mag, e, PBU_DEREG, DMM_HI_UNKNOWN, now);
	return 0;
}

/* --- receive --- */

static bool rl_allow(struct dmm_mag *mag, dmm_time_t now)
{
	if (now - mag->rl_start >= DMM_SECOND || now < mag->rl_start) {
		mag->rl_start = now;
		mag->rl_count = 0;
	}
	return mag->rl_count++ < MAG_RL_PER_SECOND;
}

/* RFC 6275 §9.2: an unknown MH type is answered with a Binding Error, status 2. */
static void send_be(struct dmm_mag *mag, const struct dmm_addr *dst)
{
	struct dmm_mh_msg be;

	dmm_mh_init(&be, DMM_MH_BE);
	be.u.be.status = DMM_BE_UNKNOWN_MH_TYPE;
	mag_tx(mag, dst, &be);
}

void dmm_mag_recv(struct dmm_mag *mag, const struct dmm_addr *src, const struct dmm_addr *dst,
		  const uint8_t *buf, size_t len, dmm_time_t now)
{
	struct dmm_mh_msg m;
	char as[DMM_ADDR_STRLEN];
	int n;

	(void)dst;
	/* Rule 5: decode and validate the whole message before any state changes. */
	n = dmm_mh_decode(&m, buf, len);
	if (n == DMM_ERR_UNKNOWN_TYPE) {
		mag->base.stats.rx_unknown_type++;
		if (rl_allow(mag, now))
			dmm_logf(mag->base.env.log, DMM_LOG_WARN, DMM_LC_MH,
				 "mag: unknown MH type %u from %s: BE 2", len > 2 ? buf[2] : 0,
				 dmm_addr_str(src, as));
		send_be(mag, src);
		return;
	}
	if (n < 0) {
		if (-n < DMM_STATS_MAX_ERR)
			mag->base.stats.rx_malformed[-n]++;
		if (rl_allow(mag, now))
			dmm_logf(mag->base.env.log, DMM_LOG_WARN, DMM_LC_MH, "mag: malformed MH from %s: %s",
				 dmm_addr_str(src, as), dmm_strerror(n));
		return;
	}
	if (m.type < 32)
		mag->base.stats.rx_by_type[m.type]++;
	switch (m.type) {
	case DMM_MH_BA:
		mag_recv_pba(mag, src, &m, now);
		break;
	case DMM_MH_HB:
	case DMM_MH_BE:
		dmm_peers_recv(mag->base.peers, src, &m, now);
		break;
	case DMM_MH_BR:
		if (m.u.br.br_type == DMM_BR_BRI)
			mag_recv_bri(mag, src, &m, now);
		else
			mag->base.stats.rx_unexpected++; /* a MAG sends no BRI, so expects no BRA */
		break;
	default:
		mag->base.stats.rx_unexpected++;
		break;
	}
}

/* --- timers --- */

static void on_retx(struct dmm_mag *mag, struct dmm_bul_entry *e, dmm_time_t now)
{
	struct mag_x *x = mag_xof(mag, e);
	struct mag_who w;

	if (!x->outstanding)
		return;
	if (x->kind == PBU_DEREG) {
		mag_release(mag, e, now, "no PBA for the de-registration");
		return;
	}
	if (e->retx < mag->cfg.max_retransmissions) {
		/* §6.9.4 item 3 (RFC 6275 §11.8): double up to MAX_BINDACK_TIMEOUT. */
		e->retx++;
		mag->base.stats.pbu_retransmissions++;
		e->backoff = pmip_backoff_next(e->backoff, mag->cfg.max_bindack_timeout);
		send_pbu(mag, e, now);
		dmm_timers_set(mag->base.timers, DMM_TIMER_PBU_RETX, e->handle, now + e->backoff);
		return;
	}
	mag->base.stats.pbu_give_ups++;
	x->outstanding = false;
	x->kind = PBU_NONE;
	if (mag_log_on(mag, DMM_LOG_WARN))
		dmm_logf(mag->base.env.log, DMM_LOG_WARN, DMM_LC_FSM,
			 "mag: %s: no PBA after %u retransmissions", mag_who(e, &w), e->retx);
	if (e->state == DMM_BUL_REGISTERED)
		return; /* the granted binding stands until BUL_EXPIRE */
	mag_refuse(mag, e, DMM_MN_STATUS_NO_ANSWER, false, now, "no PBA");
}

static void on_refresh(struct dmm_mag *mag, struct dmm_bul_entry *e, dmm_time_t now)
{
	if (e->state != DMM_BUL_REGISTERED || mag_xof(mag, e)->outstanding)
		return;
	e->lifetime_req = (dmm_time_t)mag->cfg.lifetime_s * DMM_SECOND;
	mag_start_attempt(mag, e, PBU_REFRESH, DMM_HI_NO_CHANGE, now); /* §6.9.1.3 */
}

static void on_expire(struct dmm_mag *mag, struct dmm_bul_entry *e, dmm_time_t now)
{
	if (e->state != DMM_BUL_REGISTERED)
		return;
	mag_emit(mag, DMM_MN_DEREGISTERED, 0, e);
	mag_release(mag, e, now, "lifetime expired");
}

/* A timer of a BUL entry (heartbeats are run by base.c). */
static void on_timer(struct dmm_role_base *b, unsigned kind, struct dmm_handle h, dmm_time_t now)
{
	struct dmm_mag *mag = (struct dmm_mag *)b;
	struct dmm_bul_entry *e = dmm_bul_get(mag->bul, h);

	if (!e)
		return; /* stale: the entry went */
	switch (kind) {
	case DMM_TIMER_PBU_RETX:
		on_retx(mag, e, now);
		break;
	case DMM_TIMER_BUL_REFRESH:
		on_refresh(mag, e, now);
		break;
	case DMM_TIMER_BUL_EXPIRE:
		on_expire(mag, e, now);
		break;
	default:
		break;
	}
}

void dmm_mag_expire(struct dmm_mag *mag, dmm_time_t now)
{
	dmm_role_base_expire(&mag->base, now, on_timer);
}

dmm_time_t dmm_mag_next_deadline(const struct dmm_mag *mag)
{
	return dmm_role_base_next_deadline(&mag->base);
}

/* --- life cycle --- */

void dmm_mag_cfg_defaults(struct dmm_mag_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->max_mns = 1024;
	cfg->max_peers = 64;
	cfg->lifetime_s = 600;
	cfg->initial_bindack_timeout = 1 * DMM_SECOND;		  /* RFC 6275 §13 */
	cfg->initial_bindack_timeout_first_reg = 1500 * DMM_MSEC; /* RFC 5213 §6.9.4 */
	cfg->max_bindack_timeout = 32 * DMM_SECOND;		  /* RFC 6275 §13 */
	cfg->max_retransmissions = 5;
	cfg->refresh_margin_pct = 20;
	cfg->timestamp_based = true; /* RFC 5213 §9 */
	cfg->att = DMM_ATT_8023;
	cfg->heartbeat_interval = 60 * DMM_SECOND; /* RFC 5847 §5 */
	cfg->missing_heartbeats_allowed = 3;
	cfg->restart_counter = 1;
}

static bool cfg_ok(const struct dmm_mag_cfg *c)
{
	return c && c->max_mns > 0 && c->max_mns <= (1u << 24) && c->max_peers > 0 && c->lifetime_s > 0 &&
	       c->lifetime_s <= 0xffffu * 4u && c->initial_bindack_timeout > 0 &&
	       c->max_bindack_timeout >= c->initial_bindack_timeout &&
	       c->max_bindack_timeout >= c->initial_bindack_timeout_first_reg &&
	       c->refresh_margin_pct < 100 && !dmm_addr_is_zero(&c->addr);
}

static struct dmm_peer_cfg peer_cfg(const struct dmm_mag_cfg *c)
{
	return dmm_role_peer_cfg(&c->addr, c->heartbeat_interval, c->missing_heartbeats_allowed,
				 c->restart_counter);
}

struct dmm_mag *dmm_mag_new(const struct dmm_env *env, const struct dmm_mag_cfg *cfg, dmm_time_t now)
{
	const struct dmm_alloc *a;
	struct dmm_mag *mag;
	struct dmm_peer_cfg pc;
	struct dmm_peer_ops po = {NULL, mag_peer_down, mag_peer_restarted, mag_peer_up, NULL};
	struct dmm_role_caps caps;

	if (!env || !env->alloc || !env->send || !env->fm.install || !env->fm.remove || !cfg_ok(cfg))
		return NULL;
	a = env->alloc;
	mag = a->zalloc(a->ctx, sizeof(*mag));
	if (!mag)
		return NULL;
	mag->cfg = *cfg;
	/* A policy store's lifetime is the caller's; only the pointer is kept. */
	mag->bul = dmm_bul_new(a, cfg->max_mns, cfg->max_mns * 2, env->seed ^ 0x6d6167);
	if (!mag->bul)
		goto err_bul;
	mag->x = a->zalloc(a->ctx, sizeof(*mag->x) * cfg->max_mns);
	if (!mag->x)
		goto err_x;
	caps.timers = cfg->max_mns * 3 + cfg->max_peers + 8;
	caps.peers = cfg->max_peers;
	/* Three intents per HNP; room for two HNPs per MN on average. */
	caps.intents = cfg->max_mns > (1u << 21) ? 1u << 24 : cfg->max_mns * 6 + 16;
	pc = peer_cfg(cfg);
	if (dmm_role_base_init(&mag->base, env, &caps, &pc, &po) != 0)
		goto err_base;
	mag->seq = (uint16_t)dmm_hash_u64(env->seed ^ 0x7365710000000000ull);
	mag->rl_start = now;
	/*
	 * RFC 5847 §5.3: after our own restart, tell the default LMA at once
	 * so it can clean up; other LMAs learn it from our next response.
	 */
	if (cfg->restart_counter > 1 && cfg->heartbeat_interval && !dmm_addr_is_zero(&cfg->default_lma)) {
		struct dmm_peer *p = dmm_peers_get(mag->base.peers, &cfg->default_lma, true);

		if (p)
			dmm_peers_announce(mag->base.peers, p);
	}
	return mag;

err_base:
	a->free(a->ctx, mag->x);
err_x:
	dmm_bul_free(mag->bul);
err_bul:
	a->free(a->ctx, mag);
	return NULL;
}

void dmm_mag_free(struct dmm_mag *mag)
{
	const struct dmm_alloc *a;

	if (!mag)
		return;
	a = mag->base.env.alloc;
	dmm_role_base_fini(&mag->base); /* removes every intent through the data plane */
	a->free(a->ctx, mag->x);
	dmm_bul_free(mag->bul);
	a->free(a->ctx, mag);
}

int dmm_mag_reconfigure(struct dmm_mag *mag, const struct dmm_mag_cfg *cfg, dmm_time_t now)
{
	struct dmm_peer_cfg pc;

	if (!cfg_ok(cfg) || cfg->max_mns != mag->cfg.max_mns || cfg->max_peers != mag->cfg.max_peers ||
	    !dmm_addr_eq(&cfg->addr, &mag->cfg.addr))
		return DMM_ERR_INVAL; /* capacities and the Proxy-CoA are fixed for the instance's life */
	mag->cfg = *cfg;
	pc = peer_cfg(cfg);
	dmm_peers_reconfigure(mag->base.peers, &pc);
	/* A new configuration is the administrative action that lifts 152 blocks (§6.9.1.2 item 7). */
	for (struct dmm_bul_entry *e = dmm_bul_next(mag->bul, NULL), *next; e; e = next) {
		next = dmm_bul_next(mag->bul, e);
		if (mag_xof(mag, e)->blocked)
			mag_release(mag, e, now, "unblocked by reconfiguration");
	}
	return 0;
}

const struct dmm_bul *dmm_mag_bul(const struct dmm_mag *mag)
{
	return mag->bul;
}

struct dmm_peers *dmm_mag_peers(struct dmm_mag *mag)
{
	return mag->base.peers;
}

const struct dmm_fm *dmm_mag_fm(const struct dmm_mag *mag)
{
	return mag->base.fm;
}

struct dmm_fm *dmm_mag_fm_mut(struct dmm_mag *mag)
{
	return mag->base.fm;
}

const struct dmm_pmip_stats *dmm_mag_stats(const struct dmm_mag *mag)
{
	return &mag->base.stats;
}

const struct dmm_mag_counters *dmm_mag_counters(const struct dmm_mag *mag)
{
	return &mag->ctr;
}

/* --- ops table --- */

static void *ops_create(const struct dmm_env *env, const void *cfg, dmm_time_t now)
{
	return dmm_mag_new(env, cfg, now);
}

static void ops_destroy(void *inst)
{
	dmm_mag_free(inst);
}

static int ops_reconfigure(void *inst, const void *cfg, dmm_time_t now)
{
	return dmm_mag_reconfigure(inst, cfg, now);
}

static void ops_recv(void *inst, const struct dmm_addr *src, const struct dmm_addr *dst, const uint8_t *buf,
		     size_t len, dmm_time_t now)
{
	dmm_mag_recv(inst, src, dst, buf, len, now);
}

static void ops_expire(void *inst, dmm_time_t now)
{
	dmm_mag_expire(inst, now);
}

static dmm_time_t ops_next_deadline(const void *inst)
{
	return dmm_mag_next_deadline(inst);
}

static int ops_attach(void *inst, const struct dmm_mnid *mnid, uint32_t link, const uint8_t *ll,
		      uint8_t ll_len, uint8_t att, dmm_time_t now)
{
	return dmm_mag_attach(inst, mnid, link, ll, ll_len, att, now);
}

static int ops_detach(void *inst, const struct dmm_mnid *mnid, dmm_time_t now)
{
	return dmm_mag_detach(inst, mnid, now);
}

static size_t ops_tables(const void *inst, struct dmm_role_table *out, size_t max)
{
	if (max < 1)
		return 0;
	out[0] = (struct dmm_role_table){.bul = dmm_mag_bul(inst)};
	return 1;
}

static size_t ops_counters(const void *inst, struct dmm_role_counter *out, size_t max)
{
	(void)inst;
	(void)out;
	(void)max;
	return 0;
}

const struct dmm_role_ops dmm_mag_ops = {
	.name = "mag",
	.create = ops_create,
	.destroy = ops_destroy,
	.reconfigure = ops_reconfigure,
	.recv = ops_recv,
	.expire = ops_expire,
	.next_deadline = ops_next_deadline,
	.attach = ops_attach,
	.detach = ops_detach,
	.tables = ops_tables,
	.counters = ops_counters,
};
