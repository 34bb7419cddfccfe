/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The Mobility Anchor and Access Router of RFC 8885, as
 * docs/dmm-protocol.md runs it.
 *
 * This file is the top layer of the role (the layers are listed in
 * maar_int.h): attach and detach, receive dispatch, timer dispatch and
 * what the MAAR's own timers do (grace, idle release), heartbeat
 * events, life cycle and the ops table.
 *
 * Two tables. The binding update list holds one serving entry per MN
 * attached here (lmaa = the CMD); next to it, struct maar_bx lists the
 * prefixes the MN gets here (its own prefix first, then the old ones with
 * the MAAR anchoring each, mirrored in the entry's hnp and anchors
 * fields). The binding cache holds one entry per prefix anchored here;
 * its pcoa is the MN's S-MAAR (our own address while the MN is here) and
 * struct maar_ax says what its intents do: deliver on the access link,
 * tunnel to the S-MAAR, or buffer while the MN is between MAARs.
 *
 * The timers and their rules: bul_client.c (PBU_RETX, BUL_REFRESH,
 * BUL_EXPIRE of the serving entries) and maar_timers.c (GRACE, IDLE,
 * and ANCHOR_EXPIRE of the anchored entries whose MN is elsewhere).
 *
 * GAP2-1, the idle rule. A counter that never moves proves nothing when
 * the data plane keeps no counters (dmm_fm_report is never called, or
 * reports zeros). So the MAAR trusts counters only once the data plane
 * has shown a packet count above zero on any of its intents (dp_counts,
 * sticky for the instance's life); before that, nothing is released. A
 * tunnelled old prefix is idle when none of its intents became active
 * (last_active, moved by dmm_fm_report when packets grow; the creation
 * time before that) within idle_release. A prefix whose intents counted
 * packets within idle_release is never released. The rule is per MAAR,
 * not per intent, so that a prefix that carried no packet at all after
 * the move is released too, which is the point of GAP2-1.
 */
#include <stddef.h>
#include <string.h>

#include "dmm/err.h"
#include "maar_int.h"

/* base.h: the peer hooks and on_timer() get the base as the MAAR. */
_Static_assert(offsetof(struct dmm_maar, base) == 0, "the role base must be the first member");

/* --- attach / detach --- */

static int attach_new(struct dmm_maar *m, const struct dmm_mnid *mnid, struct dmm_bul_entry **out,
		      dmm_time_t now)
{
	char ms[DMM_MNID_STRLEN];
	struct dmm_bul_entry *e;
	struct maar_bx *x;

	/* RFC 5213 §6.2: the MN's policy profile decides whether it may attach. */
	if (m->cfg.policy) {
		const struct dmm_policy_profile *pr = dmm_policy_lookup(m->cfg.policy, mnid);

		if (!pr || !pr->may_register) {
			if (maar_log_on(m, DMM_LOG_WARN))
				dmm_logf(m->base.env.log, DMM_LOG_WARN, DMM_LC_FSM,
					 "maar: mn %s: attach refused by policy", dmm_mnid_str(mnid, ms));
			return DMM_ERR_INVAL;
		}
	}
	e = bulc_add(&m->cl, mnid);
	if (!e) {
		if (maar_log_on(m, DMM_LOG_WARN))
			dmm_logf(m->base.env.log, DMM_LOG_WARN, DMM_LC_FSM,
				 "maar: mn %s: attach refused: serving table full", dmm_mnid_str(mnid, ms));
		return DMM_ERR_NOMEM;
	}
	x = maar_bx(m, e);
	memset(x, 0, sizeof(*x));
	e->lmaa = m->cfg.cmd;
	e->pcoa = m->cfg.addr;
	/* docs/dmm-protocol.md §2.1 (maar_serving.c). */
	maar_serving_own(m, e, now);
	*out = e;
	return 0;
}

int dmm_maar_attach(struct dmm_maar *m, const struct dmm_mnid *mnid, uint32_t link, const uint8_t *ll,
		    uint8_t ll_len, uint8_t att, dmm_time_t now)
{
	struct dmm_bul_entry *e;
	struct bulc_attempt *at;
	bool again;
	int r;

	if (!m || !mnid || mnid->len == 0 || ll_len > DMM_LLID_MAX || (ll_len && !ll))
		return DMM_ERR_INVAL;
	e = dmm_bul_find_mnid(m->bul, mnid);
	if (e && maar_fho_arrived(m, e, link, now)) /* RFC 5949: prepared by the previous MAAR */
		return 0;
	e = dmm_bul_find_mnid(m->bul, mnid); /* maar_fho_arrived() may have ended an old handover's entry */
	if (e && e->state == DMM_BUL_DEREG_WAIT) {
		/* Back after the de-registration went out: start afresh. */
		maar_serving_release(m, e, true, now, "MN attached during de-registration");
		e = NULL;
	}
	if (e && !maar_bx(m, e)->detached && e->ifindex == link &&
	    (e->state == DMM_BUL_WAIT_PBA || e->state == DMM_BUL_REGISTERED)) {
		/* A repeated attach (another RS): nothing to signal. */
		if (e->state == DMM_BUL_REGISTERED)
			maar_emit_registered(m, e, NULL, 0);
		return 0;
	}
	again = e != NULL;
	if (!e) {
		r = attach_new(m, mnid, &e, now);
		if (r < 0)
			return r;
	} else {
		/*
		 * The MN came back within detach_grace, or moved to another
		 * link of this MAAR: old tunnels are rebuilt from the PBA.
		 */
		struct maar_bx *xx = maar_bx(m, e);

		for (unsigned i = xx->nsp; i-- > 0;)
			if (!xx->sp[i].own)
				maar_sp_del(m, e, i);
		maar_timers_attached(m, e);
		bulc_timers_no_refresh(&m->cl, e);
		xx->detached = false;
	}
	at = maar_at(m, e);
	e->ifindex = link;
	e->llid.len = ll_len;
	if (ll_len)
		memcpy(e->llid.b, ll, ll_len);
	e->att = att ? att : DMM_ATT_8023;
	e->lifetime_req = (dmm_time_t)m->cfg.lifetime_s * DMM_SECOND;
	e->attached = now; /* rule 8: handover timing starts here */
	at->ts_resynced = at->seq_resynced = false;
	/* A local own prefix's intents follow the MN to this link when the PBA comes (maar_pba.c). */
	bulc_set_state(&m->cl, e, DMM_BUL_WAIT_PBA, again ? "MN attached again" : "MN attached");
	if (!again && maar_fho_ask(m, e, now)) /* RFC 5949 reactive: the context first */
		return 0;
	/*
	 * RFC 5213 §6.9.1.1 item 4: an MN new here may attach for the first
	 * time or come from another MAAR; the MAAR cannot tell (the CMD can):
	 * 4, handoff state unknown. Known here (back within detach_grace, or
	 * on another link): 5.
	 */
	bulc_start(&m->cl, e, BULC_REG, again ? DMM_HI_NO_CHANGE : DMM_HI_UNKNOWN, now);
	return 0;
}

int dmm_maar_detach(struct dmm_maar *m, const struct dmm_mnid *mnid, dmm_time_t now)
{
	struct dmm_bul_entry *e;
	struct maar_bx *x;

	if (!m || !mnid || mnid->len == 0)
		return DMM_ERR_INVAL;
	e = dmm_bul_find_mnid(m->bul, mnid);
	if (!e)
		return DMM_ERR_NOTFOUND;
	x = maar_bx(m, e);
	if (x->detached || e->state == DMM_BUL_DEREG_WAIT || e->state == DMM_BUL_IDLE || maar_fho_quiet(m, e))
		return 0;
	maar_emit(m, DMM_MN_DEREGISTERED, 0, e);
	if (maar_at(m, e)->first_reg) {
		/* Never registered: nothing at the CMD to keep; a fresh prefix goes back. */
		maar_serving_release(m, e, x->own_fresh, now, "MN detached before registration");
		return 0;
	}
	if (maar_fho_detached(m, e, now)) /* RFC 5949: held or forwarded for the new MAAR */
		return 0;
	/* docs/dmm-protocol.md §2.5 (maar_serving.c). */
	maar_serving_detached(m, e, now);
	return 0;
}

/* --- idle release (GAP2-1, docs/dmm-protocol.md §5) --- */

static bool dp_counts(struct dmm_maar *m)
{
	if (!m->dp_counts)
		for (const struct dmm_intent *in = dmm_fm_next(m->base.fm, NULL); in && !m->dp_counts;
		     in = dmm_fm_next(m->base.fm, in))
			m->dp_counts = in->packets > 0;
	return m->dp_counts;
}

/*
 * Release the n old prefixes of e at indexes idx (descending): advertise
 * them once with valid 0, remove their intents, tell the CMD in one PBU.
 */
static void release_old(struct dmm_maar *m, struct dmm_bul_entry *e, const unsigned *idx, unsigned n,
			dmm_time_t now)
{
	struct maar_bx *x = maar_bx(m, e);
	struct dmm_prefix p[DMM_BUL_MAX_HNP];
	struct bulc_who w;

	for (unsigned k = 0; k < n; k++) {
		struct dmm_addr anchor = x->sp[idx[k]].anchor;

		p[k] = x->sp[idx[k]].p;
		maar_sp_del(m, e, idx[k]);
		if (x->nrel == MAAR_MAX_RELEASED) {
			memmove(&x->rel[0], &x->rel[1], sizeof(x->rel[0]) * (MAAR_MAX_RELEASED - 1));
			x->nrel--;
		}
		x->rel[x->nrel++] = p[k];
		m->ctr.prefixes_released++;
		if (maar_log_on(m, DMM_LOG_INFO))
			dmm_logf(m->base.env.log, DMM_LOG_INFO, DMM_LC_FSM,
				 "maar: %s: idle for %llu s: released",
				 maar_who(&e->mnid, &p[k], "anchor", &anchor, &w),
				 (unsigned long long)(m->cfg.idle_release / DMM_SECOND));
	}
	maar_emit_registered(m, e, p, n);
	x->rel_retried = false;
	maar_send_release(m, e, p, n, now);
}

static void on_idle(struct dmm_maar *m, dmm_time_t now)
{
	bool any = false, counts = dp_counts(m);

	for (struct dmm_bul_entry *e = dmm_bul_next(m->bul, NULL); e; e = dmm_bul_next(m->bul, e)) {
		struct maar_bx *x = maar_bx(m, e);

		if (x->detached || e->state != DMM_BUL_REGISTERED)
			continue;
		unsigned idx[DMM_BUL_MAX_HNP], n = 0;

		for (unsigned i = x->nsp; i-- > 0;) {
			struct maar_sp *sp = &x->sp[i];
			dmm_time_t last = 0, idle;

			if (sp->own || sp->local || sp->nid == 0)
				continue;
			for (unsigned k = 0; k < sp->nid; k++) {
				const struct dmm_intent *in = dmm_fm_get(m->base.fm, sp->id[k]);

				if (in && in->last_active > last)
					last = in->last_active;
			}
			idle = last; /* fixed prefixes and the session judgement: maar_sess.c */
			if (maar_sess_judge(m, sp, counts, &idle) && m->cfg.idle_release && now >= idle &&
			    now - idle >= m->cfg.idle_release) {
				idx[n++] = i;
				continue;
			}
			any = true;
			if (counts && m->cfg.relocate_after)
				maar_reloc_policy(m, e, sp, last, now); /* GAP1-1, maar_reloc.c */
		}
		if (n)
			release_old(m, e, idx, n, now);
	}
	if (any)
		maar_timers_idle_arm(m, now);
}

/* --- receive --- */

void dmm_maar_recv(struct dmm_maar *m, const struct dmm_addr *src, const struct dmm_addr *dst,
		   const uint8_t *buf, size_t len, dmm_time_t now)
{
	char as[DMM_ADDR_STRLEN];

	/* Rule 5: decode and validate the whole message before any state changes. */
	if (bulc_decode(&m->cl, &m->rx, &m->tx, src, buf, len, now) < 0)
		return;
	dmm_role_base_rx_ok(&m->base, "maar", src, &m->rx);
	switch (m->rx.type) {
	case DMM_MH_BU:
		maar_recv_pbu(m, src, dst, now);
		break;
	case DMM_MH_BA:
		maar_recv_pba(m, src, &m->rx, now);
		break;
	case DMM_MH_HB:
	case DMM_MH_BE:
		dmm_peers_recv(m->base.peers, src, &m->rx, now);
		break;
	case DMM_MH_HI:
	case DMM_MH_HACK:
		maar_fho_recv(m, src, &m->rx, now); /* RFC 5949 §6.1 */
		break;
	default:
		m->base.stats.rx_unexpected++;
		dmm_logf(m->base.env.log, DMM_LOG_DEBUG, DMM_LC_MH, "maar: MH type %u from %s not handled",
			 m->rx.type, dmm_addr_str(src, as));
		break;
	}
}

/* --- timers --- */

/* docs/dmm-protocol.md §2.5: no S-MAAR named within detach_grace: de-register the MN. */
static void on_grace(struct dmm_maar *m, struct dmm_bul_entry *e, dmm_time_t now)
{
	struct maar_bx *x = maar_bx(m, e);

	if (!x->detached || e->state != DMM_BUL_REGISTERED)
		return;
	bulc_timers_detached(&m->cl, e);
	m->base.stats.deregistrations++;
	bulc_set_state(&m->cl, e, DMM_BUL_DEREG_WAIT, "no next S-MAAR within detach grace");
	/* §4: only the S-MAAR de-registers: lifetime 0, HNP = its own prefix; one timeout, no retry. */
	bulc_start(&m->cl, e, BULC_DEREG, DMM_HI_UNKNOWN, now);
	for (unsigned i = x->nsp; i-- > 0;) {
		struct maar_sp *sp = &x->sp[i];
		struct dmm_bcache_entry *a = sp->local ? maar_anchor_mine(m, e, &sp->p) : NULL;

		if (a && maar_ax(m, a)->mode != AM_TUNNEL)
			maar_anchor_release(m, a, now, "MN de-registered");
	}
}

/* issue 9 §2.15, RFC 6275 §9.5.2: the lifetime the CMD granted a ran out. */
static void on_anchor_expire(struct dmm_maar *m, struct dmm_bcache_entry *a, dmm_time_t now)
{
	if (maar_ax(m, a)->mode == AM_DELIVER)
		return; /* the MN is here: its serving entry decides */
	maar_anchor_release(m, a, now, "lifetime expired");
}

/* The idle check, a timer of the BUL client, GRACE or ANCHOR_EXPIRE (heartbeats are run by base.c). */
static void on_timer(struct dmm_role_base *b, unsigned kind, struct dmm_handle h, dmm_time_t now)
{
	struct dmm_maar *m = (struct dmm_maar *)b;
	struct dmm_bul_entry *e;

	if (kind == MAAR_TIMER_IDLE) {
		on_idle(m, now);
		return;
	}
	if (kind == MAAR_TIMER_FHO) {
		maar_fho_on_timer(m, h, now);
		return;
	}
	if (kind == MAAR_TIMER_ANCHOR_EXPIRE) {
		struct dmm_bcache_entry *a = dmm_bcache_get(m->bc, h);

		if (a) /* else stale: the entry went */
			on_anchor_expire(m, a, now);
		return;
	}
	if (bulc_on_timer(&m->cl, kind, h, now) || kind != MAAR_TIMER_GRACE)
		return;
	e = dmm_bul_get(m->bul, h);
	if (e) /* else stale: the entry went */
		on_grace(m, e, now);
}

/* --- heartbeat events (RFC 5847) --- */

static void peer_down(void *ctx, struct dmm_peer *p, dmm_time_t now)
{
	struct dmm_maar *m = ctx;
	char as[DMM_ADDR_STRLEN];

	(void)now;
	/* §5.2: registrations stand; they refresh (and retry) when the CMD answers again. */
	dmm_logf(m->base.env.log, DMM_LOG_WARN, DMM_LC_FSM, "maar: peer %s down", dmm_addr_str(&p->addr, as));
}

static void peer_up(void *ctx, struct dmm_peer *p, dmm_time_t now)
{
	struct dmm_maar *m = ctx;
	char as[DMM_ADDR_STRLEN];

	(void)now;
	dmm_logf(m->base.env.log, DMM_LOG_INFO, DMM_LC_FSM, "maar: peer %s up again",
		 dmm_addr_str(&p->addr, as));
}

/* §5.3: the CMD lost its state: register every MN attached here again, at once. */
static void peer_restarted(void *ctx, struct dmm_peer *p, dmm_time_t now)
{
	struct dmm_maar *m = ctx;
	char as[DMM_ADDR_STRLEN];
	unsigned n = 0;

	if (!dmm_addr_eq(&p->addr, &m->cfg.cmd))
		return;
	for (struct dmm_bul_entry *e = dmm_bul_next(m->bul, NULL); e; e = dmm_bul_next(m->bul, e)) {
		struct maar_bx *x = maar_bx(m, e);

		if (x->detached || (e->state != DMM_BUL_REGISTERED && e->state != DMM_BUL_WAIT_PBA))
			continue;
		/* §6.9.1.1 item 4: as on attach, 4 for an MN never registered here. */
		bulc_start(&m->cl, e, BULC_REG, maar_at(m, e)->first_reg ? DMM_HI_UNKNOWN : DMM_HI_NO_CHANGE,
			   now);
		n++;
	}
	dmm_logf(m->base.env.log, DMM_LOG_WARN, DMM_LC_FSM, "maar: CMD %s restarted: %u MNs registered again",
		 dmm_addr_str(&p->addr, as), n);
}

/* --- life cycle --- */

void dmm_maar_cfg_defaults(struct dmm_maar_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->hnp_len = 64;
	cfg->anchor_locally = true;
	cfg->access_lla.b[0] = 0xfe; /* fe80::1, dmmd's default shared link-local address (RFC 5213 §6.8) */
	cfg->access_lla.b[1] = 0x80;
	cfg->access_lla.b[15] = 1;
	cfg->max_mns = 1024;
	cfg->max_anchored = 0; /* the pool's size */
	cfg->lifetime_s = 600;
	cfg->initial_bindack_timeout = 1 * DMM_SECOND;		  /* RFC 6275 §13 */
	cfg->initial_bindack_timeout_first_reg = 1500 * DMM_MSEC; /* RFC 5213 §6.9.4 */
	cfg->max_bindack_timeout = 32 * DMM_SECOND;
	cfg->max_retransmissions = 5;
	cfg->refresh_margin_pct = 20;
	cfg->prefix_valid_s = 0; /* the binding lifetime; dmmd sets a short one for real hosts */
	cfg->idle_release = 0;	 /* GAP2-1 release off unless configured */
	cfg->idle_check = 1 * DMM_SECOND;
	cfg->detach_grace = 10 * DMM_SECOND;
	cfg->timestamp_based = true;
	cfg->heartbeat_interval = 60 * DMM_SECOND; /* RFC 5847 §5 */
	cfg->missing_heartbeats_allowed = 3;
	cfg->restart_counter = 1;
}

static bool cfg_ok(const struct dmm_maar_cfg *c)
{
	return c && c->max_mns > 0 && c->max_mns <= (1u << 22) && c->npool <= 4 && c->hnp_len >= 1 &&
	       c->hnp_len <= 128 && c->lifetime_s > 0 && c->lifetime_s <= 0xffffu * 4u &&
	       c->initial_bindack_timeout > 0 && c->max_bindack_timeout >= c->initial_bindack_timeout &&
	       c->max_bindack_timeout >= c->initial_bindack_timeout_first_reg &&
	       c->refresh_margin_pct < 100 && (c->idle_release == 0 || c->idle_check > 0) &&
	       c->nprefix_policy <= DMM_MAAR_MAX_PREFIX_POLICY && !dmm_addr_is_zero(&c->addr) &&
	       !dmm_addr_is_zero(&c->cmd);
}

/* Prefixes in the configured ranges (each capped as the pool caps it). */
static uint32_t pool_capacity(const struct dmm_maar_cfg *c)
{
	uint64_t n = 0;

	for (unsigned i = 0; i < c->npool; i++) {
		unsigned bits = c->pool[i].len >= c->hnp_len ? 0 : c->hnp_len - c->pool[i].len;

		n += bits > DMM_POOL_MAX_RANGE_BITS ? 1u << DMM_POOL_MAX_RANGE_BITS : 1u << bits;
	}
	return n == 0 ? 1 : n > (1u << 24) ? 1u << 24 : (uint32_t)n;
}

static struct dmm_peer_cfg peer_cfg(const struct dmm_maar_cfg *c)
{
	return dmm_role_peer_cfg(&c->addr, c->heartbeat_interval, c->missing_heartbeats_allowed,
				 c->restart_counter);
}

/*
 * The intent table, shared by every entry. Choice: what the entries use
 * at once: an anchored prefix at most two (tunnel: encap and decap; one
 * to deliver or buffer), an MN served here three per old prefix it keeps
 * (maar_serving.c), one old prefix each; then a shared overflow for MNs
 * with more old prefixes: three per eighth of the MNs plus a floor, as
 * much as six per MN on a small MAAR. When the table is full, the intent
 * is refused and logged (maar_intent_add()).
 */
static uint32_t intent_capacity(uint32_t max_mns, uint32_t anchored)
{
	uint64_t more = 3 * (uint64_t)(max_mns / 8) + 8192, most = 6 * (uint64_t)max_mns;
	uint64_t n = 2 * (uint64_t)anchored + 3 * (uint64_t)max_mns + (more < most ? more : most) + 16;

	return n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
}

struct dmm_maar *dmm_maar_new(const struct dmm_env *env, const struct dmm_maar_cfg *cfg, dmm_time_t now)
{
	const struct dmm_alloc *a;
	struct dmm_maar *m;
	struct dmm_peer_cfg pc;
	struct dmm_peer_ops po = {NULL, peer_down, peer_restarted, peer_up, NULL};
	struct dmm_role_caps caps;
	uint32_t cap;

	if (!env || !env->alloc || !env->send || !env->fm.install || !env->fm.remove || !cfg_ok(cfg))
		return NULL;
	a = env->alloc;
	m = a->zalloc(a->ctx, sizeof(*m));
	if (!m)
		return NULL;
	m->cfg = *cfg;
	cap = pool_capacity(cfg);
	m->pool = dmm_pool_new(a, cap, cfg->hnp_len);
	if (!m->pool)
		goto err_pool;
	for (unsigned i = 0; i < cfg->npool; i++)
		if (dmm_pool_add_range(m->pool, &cfg->pool[i]) != 0)
			goto err_range;
	m->max_anchored = dmm_pool_size(m->pool);
	if (cfg->max_anchored && cfg->max_anchored < m->max_anchored)
		m->max_anchored = cfg->max_anchored;
	if (m->max_anchored > (1u << 22))
		m->max_anchored = 1u << 22;
	m->bul = dmm_bul_new(a, cfg->max_mns, cfg->max_mns * 4, env->seed ^ 0x6d616172);
	if (!m->bul)
		goto err_range;
	m->bx = a->zalloc(a->ctx, sizeof(*m->bx) * cfg->max_mns);
	if (!m->bx)
		goto err_bx;
	cap = m->max_anchored ? m->max_anchored : 1;
	m->bc = dmm_bcache_new_sized(
		a, &(struct dmm_bcache_sizes){cap, cap, cap, (size_t)cap * 64 + 4096, false, 0},
		env->seed ^ 0x616e63686f72); /* no P-MAAR lists */
	if (!m->bc)
		goto err_bc;
	m->ax = a->zalloc(a->ctx, sizeof(*m->ax) * cap);
	if (!m->ax)
		goto err_ax;
	caps.timers = cfg->max_mns * 5 + cap + 64 + 8; /* cap: one ANCHOR_EXPIRE per anchored entry; FHO */
	caps.peers = 64;
	caps.intents = intent_capacity(cfg->max_mns, cap);
	caps.timer = on_timer;
	pc = peer_cfg(cfg);
	if (dmm_role_base_init(&m->base, env, &caps, &pc, &po) != 0)
		goto err_base;
	if (bulc_init(&m->cl, &m->base, m->bul, cfg->max_mns,
		      (uint16_t)dmm_hash_u64(env->seed ^ 0x6d61617200000000ull), &maar_bulc_ops, m, now) != 0)
		goto err_cl;
	bulc_configure(&m->cl, &(struct bulc_cfg){BULC_CFG_OF(cfg)});
	/* RFC 5847 §3.2: after our own restart, tell the CMD at once. */
	if (cfg->restart_counter > 1 && cfg->heartbeat_interval) {
		struct dmm_peer *p = dmm_peers_get(m->base.peers, &cfg->cmd, true);

		if (p)
			dmm_peers_announce(m->base.peers, p);
	}
	return m;

err_cl:
	dmm_role_base_fini(&m->base);
err_base:
	a->free(a->ctx, m->ax);
err_ax:
	dmm_bcache_free(m->bc);
err_bc:
	a->free(a->ctx, m->bx);
err_bx:
	dmm_bul_free(m->bul);
err_range:
	dmm_pool_free(m->pool);
err_pool:
	a->free(a->ctx, m);
	return NULL;
}

void dmm_maar_free(struct dmm_maar *m)
{
	const struct dmm_alloc *a;

	if (!m)
		return;
	a = m->base.env.alloc;
	dmm_role_base_fini(&m->base); /* removes every intent through the data plane */
	bulc_fini(&m->cl);
	a->free(a->ctx, m->ax);
	dmm_bcache_free(m->bc);
	a->free(a->ctx, m->bx);
	dmm_bul_free(m->bul);
	dmm_pool_free(m->pool);
	a->free(a->ctx, m);
}

int dmm_maar_reconfigure(struct dmm_maar *m, const struct dmm_maar_cfg *cfg, dmm_time_t now)
{
	struct dmm_peer_cfg pc;

	(void)now;
	/* Capacities, the pool and the addresses are fixed for the instance's life. */
	if (!cfg_ok(cfg) || cfg->max_mns != m->cfg.max_mns || cfg->max_anchored != m->cfg.max_anchored ||
	    cfg->npool != m->cfg.npool || cfg->hnp_len != m->cfg.hnp_len ||
	    !dmm_addr_eq(&cfg->addr, &m->cfg.addr) || !dmm_addr_eq(&cfg->cmd, &m->cfg.cmd))
		return DMM_ERR_INVAL;
	for (unsigned i = 0; i < cfg->npool; i++)
		if (!dmm_prefix_eq(&cfg->pool[i], &m->cfg.pool[i]))
			return DMM_ERR_INVAL;
	m->cfg = *cfg;
	bulc_configure(&m->cl, &(struct bulc_cfg){BULC_CFG_OF(cfg)});
	pc = peer_cfg(cfg);
	dmm_peers_reconfigure(m->base.peers, &pc);
	return 0;
}

const struct dmm_bul *dmm_maar_serving(const struct dmm_maar *m)
{
	return m->bul;
}

const struct dmm_bcache *dmm_maar_anchored(const struct dmm_maar *m)
{
	return m->bc;
}

const struct dmm_pool *dmm_maar_pool(const struct dmm_maar *m)
{
	return m->pool;
}

const struct dmm_maar_counters *dmm_maar_counters(const struct dmm_maar *m)
{
	return &m->ctr;
}

/* --- ops table --- */

DMM_ROLE_OPS_ADAPTERS(maar)
DMM_ROLE_OPS_ACCESS_ADAPTERS(maar)

static size_t ops_tables(const void *inst, struct dmm_role_table *out, size_t max)
{
	/* RFC 8885: MNs served here, then prefixes anchored here (peer = the MN's S-MAAR). */
	if (max < 2)
		return 0;
	out[0] = (struct dmm_role_table){.kind = "serving", .bul = dmm_maar_serving(inst)};
	out[1] = (struct dmm_role_table){.kind = "anchored", .bcache = dmm_maar_anchored(inst)};
	return 2;
}

static size_t ops_counters(const void *inst, struct dmm_role_counter *out, size_t max)
{
	const struct dmm_maar_counters *m = dmm_maar_counters(inst);
	const struct dmm_role_counter all[] = {
		{"local-anchors", m->local_anchors},
		{"remote-anchor-asks", m->remote_anchor_asks},
		{"prefixes-released", m->prefixes_released},
		{"anchors-released", m->anchors_released},
		{"tunnels-up", m->tunnels_up},
		{"tunnels-down", m->tunnels_down},
		{"nomadic-released", m->nomadic_released}, /* GAP2-1, maar_sess.c */
	};
	size_t n = dmm_role_counters_copy(out, max, all, sizeof(all) / sizeof(all[0]));

	return n + maar_fho_role_counters(inst, out + n, max - n); /* RFC 5949, maar_fho.c */
}

#define DP_REFUSED "data plane refused the forwarding state"

/*
 * role.h refused: a batched data plane refused an intent after its install
 * had returned 0; as if the registration had failed. A serving entry's
 * tunnel (owner with MAAR_OWNER_SERVING): the MN is refused (130, as an
 * LMA says for forwarding it cannot set up, RFC 6275 §6.1.8) and its
 * entry goes, with the prefix it anchors here. An anchored prefix: the
 * MN's entry here goes the same way when this MAAR serves it, else the
 * anchored entry alone is released (RFC 8885 §3.5).
 */
static int ops_refused(void *inst, struct dmm_handle owner, dmm_time_t now)
{
	struct dmm_maar *m = inst;
	struct dmm_handle h = {owner.idx & ~MAAR_OWNER_SERVING, owner.gen};
	struct dmm_bul_entry *e = NULL;
	struct dmm_bcache_entry *a = NULL;
	char ms[DMM_MNID_STRLEN];

	if (owner.idx & MAAR_OWNER_SERVING) {
		e = dmm_bul_get(m->bul, h);
	} else {
		a = dmm_bcache_get(m->bc, h);
		e = a && !maar_ax(m, a)->remote ? dmm_bul_find_mnid(m->bul, DMM_BCE_MNID(a)) : NULL;
		if (e && (maar_anchor_mine(m, e, dmm_bce_hnp(a, 0)) != a || maar_ax(m, a)->mode == AM_TUNNEL))
			e = NULL;
	}
	if (!e && !a)
		return DMM_ERR_NOTFOUND;
	m->base.stats.dp_refused++;
	dmm_logf(m->base.env.log, DMM_LOG_ERR, DMM_LC_DP, "maar: %s %s: " DP_REFUSED,
		 e ? "serving" : "anchored", dmm_mnid_str(e ? &e->mnid : DMM_BCE_MNID(a), ms));
	if (e)
		maar_refuse(m, e, DMM_BA_INSUFFICIENT_RESOURCES, now, DP_REFUSED);
	else
		maar_anchor_release(m, a, now, DP_REFUSED);
	return 0;
}

const struct dmm_role_ops dmm_maar_ops = {
	DMM_ROLE_OPS_COMMON("maar"), .counters = ops_counters, .refused = ops_refused,
	.attach = ops_attach,	     .detach = ops_detach,
};
