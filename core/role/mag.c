/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The Mobile Access Gateway of Proxy Mobile IPv6 (RFC 5213 §6): the top
 * layer of the role (the layers are listed in mag_int.h): attach and
 * detach, receive dispatch, timer dispatch, life cycle and the ops table.
 *
 * One binding update list entry per attached MN (RFC 5213 §6.1), in one of
 * the states of enum dmm_bul_state; beside it, indexed by the entry's
 * slot, the BUL client's attempt (struct bulc_attempt: first sequence
 * number of the current attempt, resynchronisation flags ...) and what
 * only the MAG keeps (struct mag_bx: intents, the 152 block, the LMA's
 * user-plane address ...).
 *
 * The timers of the entries (PBU_RETX, BUL_REFRESH, BUL_EXPIRE) and
 * their rules are bul_client.c's; HEARTBEAT(peer) belongs to peer.c
 * (RFC 5847 §3) and runs while a peer has bindings: one reference per
 * entry that has been granted a binding, dropped when it is deleted.
 *
 * A PBA matches an entry when its MN-ID names the entry, it comes from
 * the entry's LMA and its sequence number is one of those sent in the
 * current attempt (§6.9.1.2 item 5, bulc_pba_match); anything else is
 * ignored and counted as unexpected.
 */
#include <stddef.h>
#include <string.h>

#include "dmm/err.h"
#include "mag_int.h"

/* base.h: the peer hooks and on_timer() get the base as the MAG. */
_Static_assert(offsetof(struct dmm_mag, base) == 0, "the role base must be the first member");

/* --- attach / detach --- */

/* RFC 5213 §6.2: a new entry for mnid, when its policy profile lets it register; NULL and *err if not. */
static struct dmm_bul_entry *attach_new(struct dmm_mag *mag, const struct dmm_mnid *mnid, int *err)
{
	char ms[DMM_MNID_STRLEN];
	struct dmm_addr lma = mag->cfg.default_lma;
	struct dmm_bul_entry *e;
	bool by_name = false;

	*err = DMM_ERR_INVAL;
	if (mag->cfg.policy) {
		const struct dmm_policy_profile *pr = dmm_policy_lookup(mag->cfg.policy, mnid);

		if (!pr || !pr->may_register) {
			mag->ctr.attach_refused_policy++;
			if (mag_log_on(mag, DMM_LOG_WARN))
				dmm_logf(mag->base.env.log, DMM_LOG_WARN, DMM_LC_FSM,
					 "mag: %s: attach refused by policy (%s)", dmm_mnid_str(mnid, ms),
					 pr ? "may not register" : "no profile");
			return NULL;
		}
		if (pr->n_lma)
			lma = pr->lma[0];
	}
	if (dmm_addr_is_zero(&lma) && mag->cfg.lma_by_name) {
		/* RFC 6097: the LMA name's address; none until the first answer (the MN's next RS retries). */
		by_name = mag_disc_lma(mag, &lma);
		if (!by_name) {
			dmm_logf(mag->base.env.log, DMM_LOG_WARN, DMM_LC_FSM,
				 "mag: %s: attach refused: the LMA name has no address yet",
				 dmm_mnid_str(mnid, ms));
			return NULL;
		}
	}
	if (dmm_addr_is_zero(&lma)) {
		mag->ctr.attach_refused_policy++;
		dmm_logf(mag->base.env.log, DMM_LOG_WARN, DMM_LC_FSM,
			 "mag: attach refused: no LMA configured");
		return NULL;
	}
	e = bulc_add(&mag->cl, mnid);
	if (!e) {
		mag->ctr.attach_refused_full++;
		if (mag_log_on(mag, DMM_LOG_WARN))
			dmm_logf(mag->base.env.log, DMM_LOG_WARN, DMM_LC_FSM,
				 "mag: %s: attach refused: binding update list full", dmm_mnid_str(mnid, ms));
		*err = DMM_ERR_NOMEM;
		return NULL;
	}
	memset(mag_bx(mag, e), 0, sizeof(struct mag_bx));
	mag_bx(mag, e)->by_name = by_name;
	e->lmaa = lma;
	e->pcoa = mag->cfg.addr;
	return e;
}

int dmm_mag_attach(struct dmm_mag *mag, const struct dmm_mnid *mnid, uint32_t link, const uint8_t *ll,
		   uint8_t ll_len, uint8_t att, dmm_time_t now)
{
	char ms[DMM_MNID_STRLEN];
	struct dmm_bul_entry *e;
	struct bulc_attempt *at;
	int err;

	if (!mnid || mnid->len == 0 || ll_len > DMM_LLID_MAX || (ll_len && !ll))
		return DMM_ERR_INVAL;
	e = dmm_bul_find_mnid(mag->bul, mnid);
	if (e && mag_bx(mag, e)->blocked) {
		mag->ctr.attach_refused_policy++;
		if (mag_log_on(mag, DMM_LOG_WARN))
			dmm_logf(mag->base.env.log, DMM_LOG_WARN, DMM_LC_FSM,
				 "mag: %s: attach refused (LMA answered PROXY_REG_NOT_ENABLED, §6.9.1.2 item "
				 "7)",
				 dmm_mnid_str(mnid, ms));
		return DMM_ERR_INVAL;
	}
	if (e && mag_fho_arrived(mag, e, link, now))
		return 0; /* RFC 5949: prepared by the PMAG's HI */
	if (e && e->ifindex == link && (e->state == DMM_BUL_WAIT_PBA || e->state == DMM_BUL_REGISTERED)) {
		/*
		 * A repeated attach (another RS): nothing to signal. Forwarding
		 * the data plane refused late (ops_refused) is tried again.
		 */
		if (e->state == DMM_BUL_REGISTERED && !mag_bx(mag, e)->intents && e->n_hnp)
			mag_intents_install(mag, e, now);
		if (e->state == DMM_BUL_REGISTERED)
			mag_emit(mag, DMM_MN_REGISTERED, 0, e);
		return 0;
	}
	if (!e) {
		e = attach_new(mag, mnid, &err);
		if (!e)
			return err;
	} else {
		/*
		 * The MN came back (another link of this MAG, or before its
		 * de-registration completed): ask for the prefixes it holds, on
		 * the new link (§6.9.1.1 item 3). The old link's routes go now.
		 */
		mag_intents_del(mag, e);
		bulc_timers_cancel_all(&mag->cl, e);
	}
	at = mag_at(mag, e);
	e->ifindex = link;
	e->llid.len = ll_len;
	if (ll_len)
		memcpy(e->llid.b, ll, ll_len);
	e->att = att ? att : mag->cfg.att;
	e->lifetime_req = (dmm_time_t)mag->cfg.lifetime_s * DMM_SECOND;
	e->attached = now; /* rule 8: handover timing starts here */
	at->ts_resynced = at->seq_resynced = false;
	/*
	 * §6.9.1.1 items 4-5: an MN new to this MAG may have attached over a
	 * new interface (1) or moved here from another MAG (3); an attach
	 * event shows neither, so a new entry says 4, handoff state unknown
	 * (never 3, which could break hosts with several interfaces, nor 1,
	 * which would ask the LMA for a second session). An entry that
	 * already holds prefixes (the MN is known here) asks to keep them
	 * with 5.
	 */
	if (!e->n_hnp && mag_fho_ask(mag, e, now))
		return 0; /* RFC 5949 §4.1 Figure 3: the context first, then the PBU */
	bulc_set_state(&mag->cl, e, DMM_BUL_WAIT_PBA, e->n_hnp ? "MN attached again" : "MN attached");
	bulc_start(&mag->cl, e, BULC_REG, e->n_hnp ? DMM_HI_NO_CHANGE : DMM_HI_UNKNOWN, now);
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
	if (mag_fho_detached(mag, e, now))
		return 0; /* RFC 5949: its downlink is held or forwarded, the NMAG registers */
	mag_deregister(mag, e, now);
	return 0;
}

/* --- receive --- */

void dmm_mag_recv(struct dmm_mag *mag, const struct dmm_addr *src, const struct dmm_addr *dst,
		  const uint8_t *buf, size_t len, dmm_time_t now)
{
	struct dmm_mh_msg m, be;

	(void)dst;
	/* Rule 5: decode and validate the whole message before any state changes. */
	if (bulc_decode(&mag->cl, &m, &be, src, buf, len, now) < 0)
		return;
	dmm_role_base_rx_ok(&mag->base, "mag", src, &m);
	switch (m.type) {
	case DMM_MH_BA:
		mag_recv_pba(mag, src, &m, now);
		break;
	case DMM_MH_HB:
	case DMM_MH_BE:
		dmm_peers_recv(mag->base.peers, src, &m, now);
		break;
	case DMM_MH_HI:
	case DMM_MH_HACK:
		mag_fho_recv(mag, src, &m, now); /* RFC 5949 §6.1 */
		break;
	case DMM_MH_LRA:
		mag_lr_recv_lra(mag, src, &m, now); /* RFC 6705 §7 */
		break;
	case DMM_MH_LRI:
		mag_lr_recv_lri(mag, src, &m, now); /* RFC 6705 §5 */
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

/*
 * RFC 6097 (the rules are at the top of mag_disc.c): e's LMA left the LMA
 * name's list; at its refresh e de-registers there (§6.9.1.4, not waited
 * for) and registers at the name's current address as a new session.
 */
static void lma_move(struct dmm_mag *mag, struct dmm_bul_entry *e, dmm_time_t now)
{
	struct dmm_addr old = e->lmaa, to;
	struct mag_bx *x = mag_bx(mag, e);
	char as[DMM_ADDR_STRLEN], bs[DMM_ADDR_STRLEN];
	struct dmm_mh_msg m;

	if (!mag_disc_lma(mag, &to))
		return;
	mag->ctr.lma_moved++;
	dmm_logf(mag->base.env.log, DMM_LOG_INFO, DMM_LC_FSM,
		 "mag: %s: the LMA name no longer names %s: registering at %s",
		 dmm_mnid_str(&e->mnid, (char[DMM_MNID_STRLEN]){0}), dmm_addr_str(&old, as),
		 dmm_addr_str(&to, bs));
	pmip_pbu_build(&m, e, mag->cl.seq++, DMM_BU_A | DMM_BU_P, 0, e->hnp, e->n_hnp,
		       mag->cfg.timestamp_based, mag->base.env.wall_offset, now);
	mag_tx(mag, &old, &m);
	mag->base.stats.deregistrations++;
	mag_intents_del(mag, e);
	mag_emit(mag, DMM_MN_DEREGISTERED, 0, e); /* the old prefixes are withdrawn on the link */
	mag_strip(mag, e, now);
	x->has_upa = x->lma_down = x->redir_cap = x->redirected = false;
	x->tried = 0;
	e->lmaa = to;
	e->lifetime_req = (dmm_time_t)mag->cfg.lifetime_s * DMM_SECOND;
	bulc_set_state(&mag->cl, e, DMM_BUL_WAIT_PBA, "LMA name moved");
	bulc_start(&mag->cl, e, BULC_REG, DMM_HI_UNKNOWN, now);
}

/* The refresh timer of h: true when the entry moved to another LMA instead (RFC 6097). */
static bool refresh_moves(struct dmm_mag *mag, struct dmm_handle h, dmm_time_t now)
{
	struct dmm_bul_entry *e = dmm_bul_get(mag->bul, h);

	if (!e || !mag_disc_stale(mag, e))
		return false;
	lma_move(mag, e, now);
	return true;
}

/* A timer of a BUL entry (heartbeats are run by base.c). */
static void on_timer(struct dmm_role_base *b, unsigned kind, struct dmm_handle h, dmm_time_t now)
{
	if (kind == MAG_TIMER_FHO)
		mag_fho_on_timer((struct dmm_mag *)b, h, now);
	else if (kind == MAG_TIMER_LR)
		mag_lr_on_timer((struct dmm_mag *)b, h, now);
	else if (kind == DMM_TIMER_BUL_REFRESH && refresh_moves((struct dmm_mag *)b, h, now))
		return; /* RFC 6097: moved to the LMA name's new address instead */
	else
		(void)bulc_on_timer(&((struct dmm_mag *)b)->cl, kind, h, now);
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
	cfg->lr.lra_wait = 3 * DMM_SECOND; /* RFC 6705 §12 LRA_WAIT_TIME */
	cfg->lr.retries = 3;		   /* LRI_RETRIES */
	cfg->lma_moves = true;		   /* RFC 6097 discovery: bindings follow the name (docs/dmmd.md) */
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
	mag->bx = a->zalloc(a->ctx, sizeof(*mag->bx) * cfg->max_mns);
	if (!mag->bx)
		goto err_bx;
	/* PBU_RETX, BUL_REFRESH, BUL_EXPIRE, FHO; one per localized-routing pair */
	caps.timers = cfg->max_mns * 4 + cfg->max_peers + 8 + MAG_LR_MAX_PAIRS;
	caps.peers = cfg->max_peers;
	/* Three intents per HNP; room for two HNPs per MN on average. */
	caps.intents = cfg->max_mns > (1u << 21) ? 1u << 24 : cfg->max_mns * 6 + 16;
	caps.timer = on_timer;
	pc = peer_cfg(cfg);
	if (dmm_role_base_init(&mag->base, env, &caps, &pc, &po) != 0)
		goto err_base;
	if (bulc_init(&mag->cl, &mag->base, mag->bul, cfg->max_mns,
		      (uint16_t)dmm_hash_u64(env->seed ^ 0x7365710000000000ull), &mag_bulc_ops, mag,
		      now) != 0)
		goto err_cl;
	bulc_configure(&mag->cl, &(struct bulc_cfg){BULC_CFG_OF(cfg)});
	mag->cl.matrix = mag->ctr.transitions;
	/*
	 * RFC 5847 §3.2: after our own restart, tell the default LMA at once
	 * so it can clean up; other LMAs learn it from our next response.
	 */
	if (cfg->restart_counter > 1 && cfg->heartbeat_interval && !dmm_addr_is_zero(&cfg->default_lma)) {
		struct dmm_peer *p = dmm_peers_get(mag->base.peers, &cfg->default_lma, true);

		if (p)
			dmm_peers_announce(mag->base.peers, p);
	}
	return mag;

err_cl:
	dmm_role_base_fini(&mag->base);
err_base:
	a->free(a->ctx, mag->bx);
err_bx:
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
	bulc_fini(&mag->cl);
	a->free(a->ctx, mag->bx);
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
	bulc_configure(&mag->cl, &(struct bulc_cfg){BULC_CFG_OF(cfg)});
	pc = peer_cfg(cfg);
	dmm_peers_reconfigure(mag->base.peers, &pc);
	/* A new configuration is the administrative action that lifts 152 blocks (§6.9.1.2 item 7). */
	for (struct dmm_bul_entry *e = dmm_bul_next(mag->bul, NULL), *next; e; e = next) {
		next = dmm_bul_next(mag->bul, e);
		if (mag_bx(mag, e)->blocked)
			mag_release(mag, e, now, "unblocked by reconfiguration");
	}
	return 0;
}

const struct dmm_bul *dmm_mag_bul(const struct dmm_mag *mag)
{
	return mag->bul;
}

const struct dmm_mag_counters *dmm_mag_counters(const struct dmm_mag *mag)
{
	return &mag->ctr;
}

/* --- ops table --- */

/* The role's own counters: fast handover's, then localized routing's. */
static size_t mag_role_counters(const void *inst, struct dmm_role_counter *out, size_t max)
{
	const struct dmm_mag_lr_counters *c = &((const struct dmm_mag *)inst)->lr.ctr;
	const struct dmm_role_counter lr[] = {
		{"lr-lri-sent", c->lri_sent},
		{"lr-lra-received", c->lra_received},
		{"lr-started", c->started},
		{"lr-ended", c->ended},
		{"lr-refused", c->refused},
		{"lr-no-answer", c->no_answer},
		{"lr-table-full", c->table_full},
		{"lr-lri-refused", c->lri_refused},
		{"lr-lri-taken", c->lri_taken},
		{"lr-active", c->active},
		{"lma-next-address", ((const struct dmm_mag *)inst)->ctr.lma_next_address},
		{"lma-moved", ((const struct dmm_mag *)inst)->ctr.lma_moved},
		{"attach-no-lma", ((const struct dmm_mag *)inst)->ctr.attach_no_lma},
	};
	size_t n = mag_fho_role_counters(inst, out, max);

	for (size_t i = 0; i < sizeof(lr) / sizeof(lr[0]) && n < max; i++)
		out[n++] = lr[i];
	return n;
}

DMM_ROLE_OPS_ADAPTERS(mag)
DMM_ROLE_OPS_ACCESS_ADAPTERS(mag)

static size_t ops_tables(const void *inst, struct dmm_role_table *out, size_t max)
{
	if (max < 1)
		return 0;
	out[0] = (struct dmm_role_table){.bul = dmm_mag_bul(inst)};
	return 1;
}

/*
 * role.h refused: a batched data plane refused an intent of the entry
 * owner names after its install had returned 0. The MN's forwarding goes
 * and its status shows the refusal (DMM_MN_REFUSED, 130 as the LMA says
 * for forwarding it cannot set up, RFC 6275 §6.1.8); the registration at
 * the LMA stays, and the intents are tried again at the MN's next attach
 * event (another RS) or the next accepted refresh (mag_pba.c).
 */
static int ops_refused(void *inst, struct dmm_handle owner, dmm_time_t now)
{
	struct dmm_mag *mag = inst;
	struct dmm_bul_entry *e = dmm_bul_get(mag->bul, owner);
	struct bulc_who w;

	(void)now;
	if (!e || !mag_bx(mag, e)->intents)
		return DMM_ERR_NOTFOUND;
	mag->base.stats.dp_refused++;
	mag->ctr.intents_failed++;
	dmm_logf(mag->base.env.log, DMM_LOG_ERR, DMM_LC_DP,
		 "mag: %s: data plane refused the forwarding state: dropped until the next RS or refresh",
		 mag_who(e, &w));
	mag_intents_del(mag, e);
	mag_emit(mag, DMM_MN_REFUSED, DMM_BA_INSUFFICIENT_RESOURCES, e);
	return 0;
}

const struct dmm_role_ops dmm_mag_ops = {
	DMM_ROLE_OPS_COMMON("mag"), .counters = mag_role_counters, .refused = ops_refused,
	.attach = ops_attach,	    .detach = ops_detach,
};
