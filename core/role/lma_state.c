/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The bottom layer of the LMA (lma_int.h): the states of its bindings
 * (one note that counts and logs each change, fsm.h), the tunnels and
 * their heartbeat references (RFC 5213 §5.6.1, RFC 5847), the forwarding
 * intents (§5.6.2), and the deletion of a binding with all it holds.
 * Nothing here handles a message; the handlers above call in.
 */
#include <stdio.h>
#include <string.h>

#include "dmm/err.h"
#include "lma_int.h"

#define LMA_INTENT_PRECEDENCE 100

static const struct dmm_addr *tunnel_local(struct dmm_lma *lma, const struct dmm_bcache_entry *e)
{
	/* RFC 7389 §5: user-plane traffic uses the LMA-UPA when one is set and in use for e. */
	return dmm_addr_is_zero(&lma->cfg.upa) || !lma_bx_of(lma, e)->upa ? &lma->cfg.addr : &lma->cfg.upa;
}

/* --- states: every change of a binding goes through note() --- */

/* "mn M prefix P[ (+more)] mag A" into who (the object of every binding line). */
static const char *bce_who(const struct dmm_bcache_entry *e, char *who, size_t cap)
{
	char m[DMM_MNID_STRLEN], p[DMM_PREFIX_STRLEN], a[DMM_ADDR_STRLEN];

	snprintf(who, cap, "mn %s prefix %s%s mag %s", dmm_mnid_str(DMM_BCE_MNID(e), m),
		 e->n_hnp ? dmm_prefix_str(dmm_bce_hnp(e, 0), p) : "-", e->n_hnp > 1 ? " (+more)" : "",
		 dmm_addr_str(dmm_bce_pcoa(e), a));
	return who;
}

static void note(struct dmm_lma *lma, const struct dmm_bcache_entry *e, int from, int to, const char *reason)
{
	char who[DMM_MNID_STRLEN + DMM_PREFIX_STRLEN + DMM_ADDR_STRLEN + 32] = "";

	/* The line is INFO (fsm.c): the object is named only when it goes out. */
	if (dmm_role_base_log_on(&lma->base, DMM_LOG_INFO))
		bce_who(e, who, sizeof(who));
	pmip_bce_note(&lma->base.stats, lma->base.env.log, "lma", who, from, to, reason);
}

void lma_log_bce(struct dmm_lma *lma, enum dmm_log_level lvl, const struct dmm_bcache_entry *e,
		 const char *from, const char *to, const char *reason)
{
	char who[DMM_MNID_STRLEN + DMM_PREFIX_STRLEN + DMM_ADDR_STRLEN + 32];

	if (!dmm_role_base_log_on(&lma->base, lvl))
		return;
	dmm_logf(lma->base.env.log, lvl, DMM_LC_FSM, "lma: %s: %s -> %s (%s)", bce_who(e, who, sizeof(who)),
		 from, to, reason);
}

void lma_bce_created(struct dmm_lma *lma, const struct dmm_bcache_entry *e, const char *reason)
{
	note(lma, e, DMM_FSM_NONE, (int)e->state, reason);
}

void lma_set_state(struct dmm_lma *lma, struct dmm_bcache_entry *e, enum dmm_bce_state to, const char *reason)
{
	enum dmm_bce_state from = dmm_bcache_set_state(lma->bc, e, to);

	note(lma, e, (int)from, (int)to, reason);
}

void lma_send_msg(struct dmm_lma *lma, const struct dmm_addr *src, const struct dmm_addr *dst,
		  const struct dmm_mh_msg *m)
{
	dmm_role_base_send(&lma->base, lma->buf, sizeof(lma->buf), "", src, dst, m);
}

/* --- peers and tunnels --- */

void lma_peer_hold(struct dmm_lma *lma, struct dmm_bcache_entry *e, dmm_time_t now)
{
	struct lma_bx *x = lma_bx_of(lma, e);
	struct dmm_peer *p = dmm_peers_get(lma->base.peers, dmm_bce_pcoa(e), true);
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
	x->peer = p->handle.idx + 1;
	lma_lr_at_mag(lma, e, now); /* the per-MAG list (RFC 6705 §5, lma_lr.c) */
}

void lma_peer_unref(struct dmm_lma *lma, uint32_t n, dmm_time_t now)
{
	struct dmm_peer *p = n ? dmm_peers_at(lma->base.peers, n - 1) : NULL;
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
	struct lma_bx *x = lma_bx_of(lma, e);
	uint32_t n = x->peer;

	x->peer = 0;
	lma_lr_left(lma, e, now); /* its localized routing ends (RFC 6705 §4) */
	lma_peer_unref(lma, n, now);
}

bool lma_addr_set(struct dmm_lma *lma, uint32_t *n, const struct dmm_addr *a)
{
	uint32_t m = dmm_addrtab_hold(&lma->addrs, a);
	bool ok = m != DMM_ADDRTAB_FULL;

	dmm_addrtab_drop(&lma->addrs, *n);
	*n = ok ? m : 0;
	return ok;
}

/* --- forwarding intents (fm.h) --- */

/* Ensure one intent of e (fm.h: no backend call when it is in place already); its id into keep. */
static bool put_intent(struct dmm_lma *lma, const struct dmm_bcache_entry *e, uint8_t match, uint8_t action,
		       const struct dmm_prefix *p, dmm_time_t now, uint32_t *keep, unsigned *nkeep)
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
		in.local = *tunnel_local(lma, e);
		in.peer = *dmm_bce_pcoa(e);
	}
	r = dmm_fm_ensure(lma->base.fm, &in, now);
	if (r < 0) {
		char a[DMM_PREFIX_STRLEN];

		dmm_logf(lma->base.env.log, DMM_LOG_ERR, DMM_LC_DP,
			 "prefix %s: intent %s/%s not installed: %s", dmm_prefix_str(p, a),
			 dmm_fm_match_name(match), dmm_fm_action_name(action), dmm_strerror(r));
		return false;
	}
	keep[(*nkeep)++] = (uint32_t)r;
	return true;
}

/*
 * RFC 5213 §5.6.2: downlink packets for the HNPs go into the tunnel to
 * the MAG, uplink packets from the tunnel are decapsulated (also in
 * HANDOFF_WAIT: the old MAG still serves the MN). §5.3.5: during
 * DEREG_WAIT the MN's traffic is dropped. Only what differs from the
 * installed intents reaches the data plane: the downlink is replaced in
 * place, the new uplink is added before the old one goes (§5.3.4: no
 * instant without forwarding), and an unchanged binding costs no call.
 */
bool lma_set_intents(struct dmm_lma *lma, const struct dmm_bcache_entry *e, dmm_time_t now)
{
	uint32_t keep[2 * DMM_BCE_MAX_HNP];
	unsigned n = 0;
	bool ok = true;

	for (unsigned i = 0; i < e->n_hnp; i++) {
		if (e->state != DMM_BCE_DEREG_WAIT) {
			ok &= put_intent(lma, e, DMM_FM_DST, DMM_FM_ENCAP, dmm_bce_hnp(e, i), now, keep, &n);
			ok &= put_intent(lma, e, DMM_FM_SRC, DMM_FM_DECAP, dmm_bce_hnp(e, i), now, keep, &n);
		} else {
			ok &= put_intent(lma, e, DMM_FM_DST, DMM_FM_DROP, dmm_bce_hnp(e, i), now, keep, &n);
		}
	}
	dmm_fm_del_owner_except(lma->base.fm, e->handle, keep, n);
	return ok;
}

void lma_bce_deregister(struct dmm_lma *lma, struct dmm_bcache_entry *e, const char *reason, dmm_time_t now)
{
	if (e->state == DMM_BCE_DEREG_WAIT)
		return; /* a repeated de-registration keeps the first deadline */
	lma->base.stats.deregistrations++;
	lma_peer_release(lma, e, now);
	lma_timers_dereg_received(lma, e, now);
	lma_set_state(lma, e, DMM_BCE_DEREG_WAIT, reason);
	/* Choice: a DROP intent the data plane refuses is logged (put_intent()); the binding goes anyway. */
	(void)lma_set_intents(lma, e, now);
}

void lma_handoff_wait_end(struct dmm_lma *lma, struct dmm_bcache_entry *e, bool in_vain, const char *reason)
{
	struct lma_bx *x = lma_bx_of(lma, e);

	if (e->state != DMM_BCE_HANDOFF_WAIT)
		return;
	x->hw_over = in_vain;
	lma_timers_handoff_wait_ended(lma, e);
	lma_set_state(lma, e, DMM_BCE_ACTIVE, reason);
}

/* --- the end of a binding --- */

void lma_bri_stop(struct dmm_lma *lma, const struct dmm_bcache_entry *e)
{
	struct lma_bx *x = lma_bx_of(lma, e);
	struct lma_bri *b = lma_bri_of(lma, e);

	if (!b)
		return;
	dmm_hidx_remove(&lma->bri_idx, (uint32_t)dmm_hash_u64(b->seq), x->bri - 1);
	lma_timers_bri_stopped(lma, e);
	(void)lma_addr_set(lma, &b->dst, &(struct dmm_addr){{0}});
	b->owner.idx = lma->bri_free;
	lma->bri_free = x->bri - 1;
	x->bri = 0;
}

void lma_bce_delete(struct dmm_lma *lma, struct dmm_bcache_entry *e, const char *reason, dmm_time_t now)
{
	note(lma, e, (int)e->state, DMM_FSM_NONE, reason);
	dmm_fm_del_owner(lma->base.fm, e->handle);
	/* §5.3.5: the prefixes may now go to other MNs (FIFO pool: after every other free one). */
	for (unsigned i = 0; i < e->n_hnp; i++)
		(void)dmm_pool_release(lma->pool,
				       dmm_bce_hnp(e, i)); /* fixed prefixes outside the pool: NOTFOUND */
	if (e->state != DMM_BCE_DEREG_WAIT)
		lma_peer_release(lma, e, now); /* ACTIVE and HANDOFF_WAIT hold a reference */
	lma_bx_of(lma, e)->peer = 0;
	(void)lma_addr_set(lma, &lma_bx_of(lma, e)->hw_mag, &(struct dmm_addr){{0}});
	(void)lma_addr_set(lma, &lma_bx_of(lma, e)->mn_lla, &(struct dmm_addr){{0}});
	lma_bri_stop(lma, e);
	lma_timers_binding_deleted(lma, e);
	dmm_bcache_del(lma->bc, e);
}
