/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The PMIPv6 Local Mobility Anchor (RFC 5213 §5), sans-IO.
 *
 * Every message is decoded completely before anything changes
 * (ARCHITECTURE.md rule 5). A PBU then goes through check_pbu(), which
 * reads state but never writes it and ends in a verdict: a status code,
 * the binding it concerns, and which of the §5.3.2-§5.3.5 cases applies.
 * Only an accepted verdict reaches apply_pbu(), which changes the binding
 * cache, the pool, the intents and the timers. A refused PBU changes
 * nothing but counters. That path is in lma_pbu.c; this file keeps the
 * life cycle, the receive dispatch, the timers, tunnels and peers, the
 * intents and revocation (lma_int.h lists what the two share).
 *
 * Timers, in one place (STYLE.md). Per binding, keyed by its handle:
 *
 *   DMM_TIMER_BCE_EXPIRE       at `expires` of an ACTIVE binding: the
 *                              lifetime ran out; delete it.
 *   DMM_TIMER_BCE_DEREG_DELAY  MinDelayBeforeBCEDelete after an accepted
 *                              de-registration (§5.3.5): delete the
 *                              binding unless a PBU revived it.
 *   LMA_TIMER_BRI_RETX         1 s after a BRI was sent (RFC 5846 §6.3),
 *                              doubled once to MAX_BRACK_TIMEOUT (2 s):
 *                              resend until 2 retransmissions are spent
 *                              or the BRA arrives.
 *
 * Per peer, DMM_TIMER_HEARTBEAT is run by core/role/peer.c (RFC 5847).
 *
 * Decisions where RFC 5213 leaves a choice, or where this code departs
 * from the letter of it, are marked "Choice:" below.
 */
#include <stddef.h>
#include <string.h>

#include "dmm/err.h"
#include "lma_int.h"

/* base.h: the peer hooks and on_timer() get the base as the LMA. */
_Static_assert(offsetof(struct dmm_lma, base) == 0, "the role base must be the first member");

/* Our own timer kind above the built-in ones (timers.h). */
enum { LMA_TIMER_BRI_RETX = DMM_TIMER_NKINDS_BUILTIN };

#define LMA_BRI_RETRIES 2		   /* retransmissions after the first BRI */
#define LMA_BRI_DELAY DMM_SECOND	   /* InitMINDelayBRIs, RFC 5846 §11 */
#define LMA_BRI_MAX_DELAY (2 * DMM_SECOND) /* MAX_BRACK_TIMEOUT */
#define LMA_INTENT_PRECEDENCE 100
#define LMA_MAX_LIFETIME_S (0xffffu * 4u) /* what the wire can carry */

/* --- small helpers --- */

static const struct dmm_addr *tunnel_local(const struct dmm_lma *lma)
{
	/* RFC 7389: user-plane traffic uses the LMA-UPA when one is set. */
	return dmm_addr_is_zero(&lma->cfg.upa) ? &lma->cfg.addr : &lma->cfg.upa;
}

void lma_log_bce(struct dmm_lma *lma, enum dmm_log_level lvl, const struct dmm_bcache_entry *e,
		 const char *from, const char *to, const char *reason)
{
	char m[DMM_MNID_STRLEN], p[DMM_PREFIX_STRLEN], a[DMM_ADDR_STRLEN];

	if (!dmm_role_base_log_on(&lma->base, lvl))
		return;
	dmm_logf(lma->base.env.log, lvl, DMM_LC_FSM, "mn %s prefix %s%s mag %s: %s -> %s (%s)",
		 dmm_mnid_str(&e->mnid, m), e->n_hnp ? dmm_prefix_str(&e->hnp[0], p) : "-",
		 e->n_hnp > 1 ? " (+more)" : "", dmm_addr_str(&e->pcoa, a), from, to, reason);
}

void lma_set_state(struct dmm_lma *lma, struct dmm_bcache_entry *e, enum dmm_bce_state to, const char *reason)
{
	enum dmm_bce_state from = dmm_bcache_set_state(lma->bc, e, to);

	lma_log_bce(lma, DMM_LOG_INFO, e, dmm_bce_state_name(from), dmm_bce_state_name(to), reason);
}

void lma_send_msg(struct dmm_lma *lma, const struct dmm_addr *src, const struct dmm_addr *dst,
		  const struct dmm_mh_msg *m)
{
	dmm_role_base_send(&lma->base, lma->buf, sizeof(lma->buf), "", src, dst, m);
}

/* --- peers and tunnels --- */

/* The binding e now uses a tunnel to addr: one reference on that peer (RFC 5847 §5.1). */
void lma_peer_hold(struct dmm_lma *lma, struct dmm_bcache_entry *e, dmm_time_t now)
{
	struct lma_bx *x = &lma->bx[e->handle.idx];
	struct dmm_peer *p = dmm_peers_get(lma->base.peers, &e->pcoa, true);
	char a[DMM_ADDR_STRLEN];

	if (!p)
		return; /* checked before acting; cannot happen */
	if (p->bindings == 0) {
		/* RFC 5213 §5.6.1: the first binding over this tunnel sets it up. */
		lma->base.stats.tunnels_established++;
		dmm_logf(lma->base.env.log, DMM_LOG_INFO, DMM_LC_DP, "tunnel to mag %s: established",
			 dmm_addr_str(&p->addr, a));
	}
	dmm_peers_ref(lma->base.peers, p, +1, now);
	x->peer = p->handle;
}

/* Drop the reference taken by lma_peer_hold() on peer h. */
void lma_peer_unref(struct dmm_lma *lma, struct dmm_handle h, dmm_time_t now)
{
	struct dmm_peer *p = dmm_peers_by_handle(lma->base.peers, h);
	char a[DMM_ADDR_STRLEN];

	if (!p)
		return;
	dmm_peers_ref(lma->base.peers, p, -1, now);
	if (p->bindings == 0) {
		/* §5.6.1: the last binding over the tunnel is gone. */
		lma->base.stats.tunnels_released++;
		dmm_logf(lma->base.env.log, DMM_LOG_INFO, DMM_LC_DP, "tunnel to mag %s: released",
			 dmm_addr_str(&p->addr, a));
	}
}

void lma_peer_release(struct dmm_lma *lma, struct dmm_bcache_entry *e, dmm_time_t now)
{
	struct lma_bx *x = &lma->bx[e->handle.idx];
	struct dmm_handle h = x->peer;

	x->peer = (struct dmm_handle){0, 0};
	lma_peer_unref(lma, h, now);
}

/* --- forwarding intents (fm.h) --- */

static void add_intent(struct dmm_lma *lma, const struct dmm_bcache_entry *e, uint8_t match, uint8_t action,
		       const struct dmm_prefix *p, dmm_time_t now)
{
	struct dmm_intent in;
	int r;

	memset(&in, 0, sizeof(in));
	in.match = match;
	in.action = action;
	in.precedence = LMA_INTENT_PRECEDENCE;
	in.prefix = *p;
	in.owner = e->handle;
	if (action == DMM_FM_ENCAP || action == DMM_FM_DECAP) {
		in.local = *tunnel_local(lma);
		in.peer = e->pcoa;
	}
	r = dmm_fm_add(lma->base.fm, &in, now);
	if (r < 0) {
		char a[DMM_PREFIX_STRLEN];

		dmm_logf(lma->base.env.log, DMM_LOG_ERR, DMM_LC_DP,
			 "prefix %s: intent %s/%s not installed: %s", dmm_prefix_str(p, a),
			 dmm_fm_match_name(match), dmm_fm_action_name(action), dmm_strerror(r));
	}
}

/*
 * Replace every intent of e. RFC 5213 §5.6.2: downlink packets for the
 * HNPs go into the tunnel to the MAG, uplink packets from the tunnel are
 * decapsulated. §5.3.5: during DEREG_WAIT the MN's traffic is dropped.
 */
void lma_set_intents(struct dmm_lma *lma, const struct dmm_bcache_entry *e, dmm_time_t now)
{
	dmm_fm_del_owner(lma->base.fm, e->handle);
	for (unsigned i = 0; i < e->n_hnp; i++) {
		if (e->state == DMM_BCE_ACTIVE) {
			add_intent(lma, e, DMM_FM_DST, DMM_FM_ENCAP, &e->hnp[i], now);
			add_intent(lma, e, DMM_FM_SRC, DMM_FM_DECAP, &e->hnp[i], now);
		} else {
			add_intent(lma, e, DMM_FM_DST, DMM_FM_DROP, &e->hnp[i], now);
		}
	}
}

/* --- Binding Revocation (RFC 5846) --- */

static void bri_stop(struct dmm_lma *lma, const struct dmm_bcache_entry *e)
{
	struct lma_bx *x = &lma->bx[e->handle.idx];

	if (!x->bri_pending)
		return;
	dmm_hidx_remove(&lma->bri_idx, (uint32_t)dmm_hash_u64(x->bri_seq), e->handle.idx);
	dmm_timers_cancel(lma->base.timers, LMA_TIMER_BRI_RETX, e->handle);
	x->bri_pending = false;
}

/* RFC 5846 §8.1: P flag, trigger, MN-ID and the HNPs of the binding, to the previous MAG. */
static void bri_send(struct dmm_lma *lma, const struct dmm_bcache_entry *e)
{
	struct lma_bx *x = &lma->bx[e->handle.idx];
	struct dmm_mh_msg *m = &lma->tx;
	struct dmm_mh_opt *o;

	dmm_mh_init(m, DMM_MH_BR);
	m->u.br.br_type = DMM_BR_BRI;
	m->u.br.code = x->bri_trigger;
	m->u.br.seq = x->bri_seq;
	m->u.br.flags = DMM_BR_P;
	o = dmm_mh_add_opt(m, DMM_OPT_MNID);
	o->u.mnid.subtype = e->mnid.subtype;
	o->u.mnid.id.len = e->mnid.len;
	memcpy(o->u.mnid.id.b, e->mnid.id, e->mnid.len);
	for (unsigned i = 0; i < e->n_hnp; i++)
		dmm_mh_add_opt(m, DMM_OPT_HNP)->u.hnp = e->hnp[i];
	x->bri_sent++;
	lma->base.stats.bri_sent++;
	lma_send_msg(lma, &lma->cfg.addr, &x->bri_dst, m);
}

/* After a handoff away from prev (§5.3.4), revoke the binding at prev (RFC 5846 §8.1). */
void lma_bri_start(struct dmm_lma *lma, struct dmm_bcache_entry *e, const struct dmm_addr *prev,
		   uint8_t trigger, dmm_time_t now)
{
	struct lma_bx *x = &lma->bx[e->handle.idx];
	char a[DMM_ADDR_STRLEN], mn[DMM_MNID_STRLEN];

	bri_stop(lma, e);
	x->bri_seq = lma->bri_seq++;
	if (dmm_hidx_insert(&lma->bri_idx, (uint32_t)dmm_hash_u64(x->bri_seq), e->handle.idx) != 0)
		return; /* the index holds one reference per binding: cannot happen */
	x->bri_pending = true;
	x->bri_sent = 0;
	x->bri_trigger = trigger;
	x->bri_dst = *prev;
	x->bri_owner = e->handle;
	x->bri_delay = LMA_BRI_DELAY;
	dmm_logf(lma->base.env.log, DMM_LOG_INFO, DMM_LC_MH,
		 "mn %s: BRI seq %u trigger %u to previous mag %s", dmm_mnid_str(&e->mnid, mn), x->bri_seq,
		 trigger, dmm_addr_str(prev, a));
	bri_send(lma, e);
	dmm_timers_set(lma->base.timers, LMA_TIMER_BRI_RETX, e->handle, now + x->bri_delay);
}

static void bri_timer(struct dmm_lma *lma, struct dmm_handle h, dmm_time_t now)
{
	struct dmm_bcache_entry *e = dmm_bcache_get(lma->bc, h);
	struct lma_bx *x;
	char a[DMM_ADDR_STRLEN];

	if (!e)
		return;
	x = &lma->bx[h.idx];
	if (!x->bri_pending)
		return;
	if (x->bri_sent > LMA_BRI_RETRIES) {
		/* RFC 5846 §6.3: give up; the binding here has already moved on. */
		dmm_logf(lma->base.env.log, DMM_LOG_WARN, DMM_LC_MH,
			 "BRI seq %u to %s: no BRA after %u transmissions", x->bri_seq,
			 dmm_addr_str(&x->bri_dst, a), x->bri_sent);
		bri_stop(lma, e);
		return;
	}
	bri_send(lma, e);
	/* §6.3: the interval doubles up to MAX_BRACK_TIMEOUT. */
	x->bri_delay = x->bri_delay * 2 > LMA_BRI_MAX_DELAY ? LMA_BRI_MAX_DELAY : x->bri_delay * 2;
	dmm_timers_set(lma->base.timers, LMA_TIMER_BRI_RETX, h, now + x->bri_delay);
}

static void recv_bra(struct dmm_lma *lma, const struct dmm_addr *src, const struct dmm_mh_msg *m)
{
	uint32_t h = (uint32_t)dmm_hash_u64(m->u.br.seq), pos, ref;
	char a[DMM_ADDR_STRLEN];

	lma->base.stats.bra_received++;
	for (ref = dmm_hidx_first(&lma->bri_idx, h, &pos); ref != DMM_HIDX_NONE;
	     ref = dmm_hidx_next(&lma->bri_idx, h, &pos)) {
		struct lma_bx *x = &lma->bx[ref];
		struct dmm_bcache_entry *e = dmm_bcache_get(lma->bc, x->bri_owner);

		if (!e || !x->bri_pending || x->bri_seq != m->u.br.seq || !dmm_addr_eq(&x->bri_dst, src))
			continue;
		/* RFC 5846 §6.3: the answer ends the retransmissions. */
		dmm_logf(lma->base.env.log, DMM_LOG_DEBUG, DMM_LC_MH, "BRA seq %u status %u from %s",
			 m->u.br.seq, m->u.br.code, dmm_addr_str(src, a));
		bri_stop(lma, e);
		return;
	}
	lma->base.stats.rx_unexpected++;
	dmm_logf(lma->base.env.log, DMM_LOG_DEBUG, DMM_LC_MH, "BRA seq %u from %s matches no BRI",
		 m->u.br.seq, dmm_addr_str(src, a));
}

/* --- binding lifecycle --- */

/* Delete e with everything it holds: intents, prefixes, peer reference, timers. */
static void bce_delete(struct dmm_lma *lma, struct dmm_bcache_entry *e, const char *reason, dmm_time_t now)
{
	lma_log_bce(lma, DMM_LOG_INFO, e, dmm_bce_state_name(e->state), "none", reason);
	dmm_fm_del_owner(lma->base.fm, e->handle);
	/* §5.3.5: the prefixes may now go to other MNs (FIFO pool: after every other free one). */
	for (unsigned i = 0; i < e->n_hnp; i++)
		(void)dmm_pool_release(lma->pool, &e->hnp[i]); /* fixed prefixes outside the pool: NOTFOUND */
	if (e->state == DMM_BCE_ACTIVE)
		lma_peer_release(lma, e, now);
	lma->bx[e->handle.idx].peer = (struct dmm_handle){0, 0};
	bri_stop(lma, e);
	dmm_timers_cancel(lma->base.timers, DMM_TIMER_BCE_EXPIRE, e->handle);
	dmm_timers_cancel(lma->base.timers, DMM_TIMER_BCE_DEREG_DELAY, e->handle);
	dmm_bcache_del(lma->bc, e);
}

/* --- entry points --- */

void dmm_lma_recv(struct dmm_lma *lma, const struct dmm_addr *src, const struct dmm_addr *dst,
		  const uint8_t *buf, size_t len, dmm_time_t now)
{
	int n = dmm_mh_decode(&lma->rx, buf, len);

	if (n < 0) {
		lma_malformed(lma, src, dst, buf, len, n, now);
		return;
	}
	lma->base.stats.rx_by_type[lma->rx.type & 31]++;
	switch (lma->rx.type) {
	case DMM_MH_BU:
		lma_recv_pbu(lma, src, dst, now);
		return;
	case DMM_MH_HB:
	case DMM_MH_BE:
		/* RFC 5847: heartbeats, and a BE that may answer one. */
		dmm_peers_recv(lma->base.peers, src, &lma->rx, now);
		return;
	case DMM_MH_BR:
		if (lma->rx.u.br.br_type == DMM_BR_BRA) {
			recv_bra(lma, src, &lma->rx);
			return;
		}
		break;
	default:
		break;
	}
	lma->base.stats.rx_unexpected++;
	dmm_logf(lma->base.env.log, DMM_LOG_DEBUG, DMM_LC_MH, "MH type %u not handled by an LMA",
		 lma->rx.type);
}

/* A timer of a binding (heartbeats are run by base.c). */
static void on_timer(struct dmm_role_base *b, unsigned kind, struct dmm_handle h, dmm_time_t now)
{
	struct dmm_lma *lma = (struct dmm_lma *)b;
	struct dmm_bcache_entry *e;

	switch (kind) {
	case DMM_TIMER_BCE_EXPIRE:
		e = dmm_bcache_get(lma->bc, h);
		if (e && e->state == DMM_BCE_ACTIVE)
			bce_delete(lma, e, "lifetime expired", now);
		break;
	case DMM_TIMER_BCE_DEREG_DELAY:
		/* §5.3.5: MinDelayBeforeBCEDelete passed without a new PBU. */
		e = dmm_bcache_get(lma->bc, h);
		if (e && e->state == DMM_BCE_DEREG_WAIT)
			bce_delete(lma, e, "de-registration delay over", now);
		break;
	case LMA_TIMER_BRI_RETX:
		bri_timer(lma, h, now);
		break;
	default:
		break;
	}
}

void dmm_lma_expire(struct dmm_lma *lma, dmm_time_t now)
{
	dmm_role_base_expire(&lma->base, now, on_timer);
}

dmm_time_t dmm_lma_next_deadline(const struct dmm_lma *lma)
{
	return dmm_role_base_next_deadline(&lma->base);
}

/* --- peer events (RFC 5847) --- */

/*
 * RFC 5847 §5.2. Choice: a MAG that stops answering keeps its bindings
 * until their lifetimes run out; the path may come back, and the MAG,
 * which owns the MN's attachment, decides. Logged and counted (peer.c).
 */
static void peer_down(void *ctx, struct dmm_peer *p, dmm_time_t now)
{
	struct dmm_lma *lma = ctx;
	char a[DMM_ADDR_STRLEN];

	(void)now;
	dmm_logf(lma->base.env.log, DMM_LOG_WARN, DMM_LC_FSM,
		 "mag %s: down (%u bindings kept until their lifetime)", dmm_addr_str(&p->addr, a),
		 p->bindings);
}

static void peer_up(void *ctx, struct dmm_peer *p, dmm_time_t now)
{
	struct dmm_lma *lma = ctx;
	char a[DMM_ADDR_STRLEN];

	(void)now;
	dmm_logf(lma->base.env.log, DMM_LOG_INFO, DMM_LC_FSM, "mag %s: down -> up",
		 dmm_addr_str(&p->addr, a));
}

/* RFC 5847 §5.3: the MAG restarted and lost its state: its bindings here are void. */
static void peer_restarted(void *ctx, struct dmm_peer *p, dmm_time_t now)
{
	struct dmm_lma *lma = ctx;
	struct dmm_addr mag = p->addr;
	struct dmm_bcache_entry *e, *next;
	char a[DMM_ADDR_STRLEN];
	unsigned n = 0;

	for (e = dmm_bcache_next(lma->bc, NULL); e; e = next) {
		next = dmm_bcache_next(lma->bc, e);
		if (dmm_addr_eq(&e->pcoa, &mag)) {
			bce_delete(lma, e, "mag restarted", now);
			n++;
		}
	}
	dmm_logf(lma->base.env.log, DMM_LOG_WARN, DMM_LC_FSM, "mag %s restarted: %u bindings deleted",
		 dmm_addr_str(&mag, a), n);
}

/* --- creation --- */

void dmm_lma_cfg_defaults(struct dmm_lma_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->max_bindings = 1024;
	cfg->max_peers = 64;
	cfg->hnp_len = 64;
	cfg->min_delay_before_bce_delete = 10 * DMM_SECOND;	/* RFC 5213 §9.1 (10000 ms) */
	cfg->max_delay_before_new_bce_assign = 1500 * DMM_MSEC; /* §9.1 */
	cfg->timestamp_validity_window = 300 * DMM_MSEC;	/* §9.1 */
	cfg->timestamp_based = true;				/* §9.3 */
	cfg->max_lifetime_s = LMA_MAX_LIFETIME_S;
	cfg->heartbeat_interval = 60 * DMM_SECOND; /* RFC 5847 §5 */
	cfg->missing_heartbeats_allowed = 3;
	cfg->revoke_on_handoff = true;
}

static void peer_cfg(const struct dmm_lma_cfg *cfg, struct dmm_peer_cfg *pc)
{
	*pc = dmm_role_peer_cfg(&cfg->addr, cfg->heartbeat_interval, cfg->missing_heartbeats_allowed,
				cfg->restart_counter);
}

static bool cfg_ok(const struct dmm_lma_cfg *cfg)
{
	return cfg->policy && cfg->max_bindings > 0 && cfg->max_bindings <= (1u << 24) &&
	       cfg->max_peers > 0 && cfg->npool <= 4 && cfg->hnp_len >= 1 && cfg->hnp_len <= 128 &&
	       !dmm_addr_is_zero(&cfg->addr);
}

/* Prefixes in the configured ranges (each capped as the pool caps it). */
static uint32_t pool_capacity(const struct dmm_lma_cfg *cfg)
{
	uint64_t n = 0;

	for (unsigned i = 0; i < cfg->npool; i++) {
		unsigned bits = cfg->pool[i].len >= cfg->hnp_len ? 0 : cfg->hnp_len - cfg->pool[i].len;

		n += bits > DMM_POOL_MAX_RANGE_BITS ? 1u << DMM_POOL_MAX_RANGE_BITS : 1u << bits;
	}
	return n == 0 ? 1 : n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
}

struct dmm_lma *dmm_lma_new(const struct dmm_env *env, const struct dmm_lma_cfg *cfg, dmm_time_t now)
{
	const struct dmm_alloc *a = env ? env->alloc : NULL;
	struct dmm_peer_ops pops = {NULL, peer_down, peer_restarted, peer_up, NULL};
	struct dmm_peer_cfg pc;
	struct dmm_role_caps caps;
	struct dmm_lma *lma;
	uint32_t cap, pcap;

	(void)now;
	if (!env || !a || !env->send || !env->fm.install || !env->fm.remove || !cfg || !cfg_ok(cfg))
		return NULL;
	cap = cfg->max_bindings;
	/*
	 * Choice: room for two HNPs per binding on average, and two intents
	 * (downlink, uplink) per HNP; the fm table holds at most 2^24.
	 */
	pcap = cap * 2;
	lma = a->zalloc(a->ctx, sizeof(*lma));
	if (!lma)
		return NULL;
	lma->cfg = *cfg;
	lma->fm_cap = pcap * 2 > (1u << 24) ? (1u << 24) : pcap * 2;
	lma->bri_seq = (uint16_t)(env->seed >> 16); /* a fresh start for BRI sequence numbers */
	lma->bc = dmm_bcache_new(a, cap, pcap, env->seed);
	if (!lma->bc)
		goto err_bc;
	lma->pool = dmm_pool_new(a, pool_capacity(cfg), cfg->hnp_len);
	if (!lma->pool)
		goto err_pool;
	for (unsigned i = 0; i < cfg->npool; i++)
		if (dmm_pool_add_range(lma->pool, &cfg->pool[i]) != 0)
			goto err_range;
	/* Per binding: expiry or de-registration delay, and a BRI; per peer: a heartbeat. */
	caps.timers = 2 * cap + cfg->max_peers + 16;
	caps.peers = cfg->max_peers;
	caps.intents = lma->fm_cap;
	peer_cfg(cfg, &pc);
	if (dmm_role_base_init(&lma->base, env, &caps, &pc, &pops) != 0)
		goto err_base;
	lma->bx = a->zalloc(a->ctx, sizeof(*lma->bx) * cap);
	if (!lma->bx)
		goto err_bx;
	if (dmm_hidx_init(&lma->bri_idx, a, cap) != 0)
		goto err_idx;
	return lma;

err_idx:
	a->free(a->ctx, lma->bx);
err_bx:
	dmm_role_base_fini(&lma->base);
err_base:
err_range:
	dmm_pool_free(lma->pool);
err_pool:
	dmm_bcache_free(lma->bc);
err_bc:
	a->free(a->ctx, lma);
	return NULL;
}

void dmm_lma_free(struct dmm_lma *lma)
{
	const struct dmm_alloc *a;

	if (!lma)
		return;
	a = lma->base.env.alloc;
	dmm_hidx_fini(&lma->bri_idx, a);
	a->free(a->ctx, lma->bx);
	dmm_role_base_fini(&lma->base); /* removes every intent through the backend */
	dmm_pool_free(lma->pool);
	dmm_bcache_free(lma->bc);
	a->free(a->ctx, lma);
}

int dmm_lma_reconfigure(struct dmm_lma *lma, const struct dmm_lma_cfg *cfg, dmm_time_t now)
{
	struct dmm_peer_cfg pc;

	(void)now;
	if (!cfg || !cfg_ok(cfg))
		return DMM_ERR_INVAL;
	/* Pools and capacities are fixed at creation. */
	if (cfg->max_bindings != lma->cfg.max_bindings || cfg->max_peers != lma->cfg.max_peers ||
	    cfg->npool != lma->cfg.npool || cfg->hnp_len != lma->cfg.hnp_len)
		return DMM_ERR_INVAL;
	for (unsigned i = 0; i < cfg->npool; i++)
		if (!dmm_prefix_eq(&cfg->pool[i], &lma->cfg.pool[i]))
			return DMM_ERR_INVAL;
	lma->cfg = *cfg;
	peer_cfg(cfg, &pc);
	dmm_peers_reconfigure(lma->base.peers, &pc);
	return 0;
}

const struct dmm_bcache *dmm_lma_bcache(const struct dmm_lma *lma)
{
	return lma->bc;
}

struct dmm_peers *dmm_lma_peers(struct dmm_lma *lma)
{
	return lma->base.peers;
}

const struct dmm_fm *dmm_lma_fm(const struct dmm_lma *lma)
{
	return lma->base.fm;
}

struct dmm_fm *dmm_lma_fm_mut(struct dmm_lma *lma)
{
	return lma->base.fm;
}

const struct dmm_pmip_stats *dmm_lma_stats(const struct dmm_lma *lma)
{
	return &lma->base.stats;
}

const struct dmm_pool *dmm_lma_pool(const struct dmm_lma *lma)
{
	return lma->pool;
}

/* --- the role ops table --- */

static void *ops_create(const struct dmm_env *env, const void *cfg, dmm_time_t now)
{
	return dmm_lma_new(env, cfg, now);
}

static void ops_destroy(void *inst)
{
	dmm_lma_free(inst);
}

static int ops_reconfigure(void *inst, const void *cfg, dmm_time_t now)
{
	return dmm_lma_reconfigure(inst, cfg, now);
}

static void ops_recv(void *inst, const struct dmm_addr *src, const struct dmm_addr *dst, const uint8_t *buf,
		     size_t len, dmm_time_t now)
{
	dmm_lma_recv(inst, src, dst, buf, len, now);
}

static void ops_expire(void *inst, dmm_time_t now)
{
	dmm_lma_expire(inst, now);
}

static dmm_time_t ops_next_deadline(const void *inst)
{
	return dmm_lma_next_deadline(inst);
}

static size_t ops_tables(const void *inst, struct dmm_role_table *out, size_t max)
{
	if (max < 1)
		return 0;
	out[0] = (struct dmm_role_table){.bcache = dmm_lma_bcache(inst)};
	return 1;
}

static size_t ops_counters(const void *inst, struct dmm_role_counter *out, size_t max)
{
	(void)inst;
	(void)out;
	(void)max;
	return 0;
}

const struct dmm_role_ops dmm_lma_ops = {
	.name = "lma",
	.create = ops_create,
	.destroy = ops_destroy,
	.reconfigure = ops_reconfigure,
	.recv = ops_recv,
	.expire = ops_expire,
	.next_deadline = ops_next_deadline,
	.attach = NULL, /* the LMA has no access links */
	.detach = NULL,
	.tables = ops_tables,
	.counters = ops_counters,
};
