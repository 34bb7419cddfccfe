/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Binding Revocation at the LMA (RFC 5846): after a handoff the previous
 * MAG gets a BRI for the binding, resent until its BRA arrives or the
 * retransmissions are spent (the timer rule is in lma_timers.c). A BRI
 * from a MAG revokes bindings here and is answered with a BRA (§8.2).
 */
#include <string.h>

#include "lma_int.h"

/* RFC 5846 §8.1: P flag, trigger, MN-ID and the HNPs of the binding, to the previous MAG dst. */
static void bri_send(struct dmm_lma *lma, const struct dmm_bcache_entry *e, uint16_t seq, uint8_t trigger,
		     const struct dmm_addr *dst)
{
	struct dmm_mh_msg *m = &lma->tx;

	dmm_mh_init(m, DMM_MH_BR);
	m->u.br.br_type = DMM_BR_BRI;
	m->u.br.code = trigger;
	m->u.br.seq = seq;
	m->u.br.flags = DMM_BR_P;
	pmip_add_mnid(m, DMM_BCE_MNID(e));
	for (unsigned i = 0; i < e->n_hnp; i++)
		dmm_mh_add_opt(m, DMM_OPT_HNP)->u.hnp = *dmm_bce_hnp(e, i);
	lma->base.stats.bri_sent++;
	lma_send_msg(lma, &lma->cfg.addr, dst, m);
}

/* A free BRI record for seq, in the index (its number), or UINT32_MAX when the pool is full. */
static uint32_t bri_take(struct dmm_lma *lma, uint16_t seq)
{
	uint32_t r;

	if (lma->bri_free == UINT32_MAX && lma->bri_fresh < lma->bri_cap) {
		/* The next record never used joins the free list, alone on it. */
		lma->bri[lma->bri_fresh].owner.idx = UINT32_MAX;
		lma->bri_free = lma->bri_fresh++;
	}
	r = lma->bri_free;
	if (r == UINT32_MAX || dmm_hidx_insert(&lma->bri_idx, (uint32_t)dmm_hash_u64(seq), r) != 0)
		return UINT32_MAX;
	lma->bri_free = lma->bri[r].owner.idx;
	return r;
}

/*
 * After a handoff away from prev (§5.3.4), revoke the binding at prev (RFC
 * 5846 §8.1). Choice: when the pool of pending BRIs is full (more handoffs
 * at one moment than lma.c sized it for), the BRI goes once, untracked:
 * no retransmission, and its BRA finds no BRI.
 */
void lma_bri_start(struct dmm_lma *lma, struct dmm_bcache_entry *e, const struct dmm_addr *prev,
		   uint8_t trigger, dmm_time_t now)
{
	uint16_t seq;
	uint32_t r;
	char a[DMM_ADDR_STRLEN], mn[DMM_MNID_STRLEN];

	lma_bri_stop(lma, e);
	seq = lma->bri_seq++;
	r = bri_take(lma, seq);
	if (r != UINT32_MAX) {
		lma->bri[r] = (struct lma_bri){e->handle, 0, seq, 1, trigger};
		if (!lma_addr_set(lma, &lma->bri[r].dst, prev)) {
			/* No room for its address (addr_capacity(), lma.c): untracked as when the pool is full. */
			dmm_hidx_remove(&lma->bri_idx, (uint32_t)dmm_hash_u64(seq), r);
			lma->bri[r].owner.idx = lma->bri_free;
			lma->bri_free = r;
			r = UINT32_MAX;
		}
	}
	if (dmm_role_base_log_on(&lma->base, DMM_LOG_INFO))
		dmm_logf(lma->base.env.log, DMM_LOG_INFO, DMM_LC_MH,
			 "mn %s: BRI seq %u trigger %u to previous mag %s%s",
			 dmm_mnid_str(DMM_BCE_MNID(e), mn), seq, trigger, dmm_addr_str(prev, a),
			 r == UINT32_MAX ? " (untracked: no room)" : "");
	if (r != UINT32_MAX)
		lma_bx_of(lma, e)->bri = r + 1;
	bri_send(lma, e, seq, trigger, prev);
	if (r != UINT32_MAX)
		lma_timers_bri_sent(lma, e, now);
}

void lma_bri_timer(struct dmm_lma *lma, struct dmm_handle h, dmm_time_t now)
{
	struct dmm_bcache_entry *e = dmm_bcache_get(lma->bc, h);
	struct lma_bri *b;
	char a[DMM_ADDR_STRLEN];

	b = e ? lma_bri_of(lma, e) : NULL;
	if (!b)
		return;
	if (b->sent > lma->cfg.bri_max_retries) {
		uint8_t trigger = b->trigger;

		/* RFC 5846 §6.3: give up after BRIMaxRetriesNumber retransmissions (§11). */
		dmm_logf(lma->base.env.log, DMM_LOG_WARN, DMM_LC_MH,
			 "BRI seq %u to %s: no BRA after %u transmissions", b->seq,
			 dmm_addr_str(lma_addr(lma, b->dst), a), b->sent);
		lma_bri_stop(lma, e);
		/* §8.1, third case: a HI 4 request waiting for this answer gets a new session. */
		if (trigger == DMM_BRI_TRIGGER_UNKNOWN)
			lma_handoff_wait_end(lma, e, true, "no BRA from the previous mag");
		return;
	}
	b->sent++;
	bri_send(lma, e, b->seq, b->trigger, lma_addr(lma, b->dst));
	lma_timers_bri_sent(lma, e,
			    now); /* §6.3: after an interval twice the last, up to MAX_BRACK_TIMEOUT */
}

/*
 * RFC 5846 §8.1: the answer to a BRI with trigger 4 (HI 4, RFC 5213
 * §5.4.1.3 step 3) decides the waiting request. Choice: other refusals
 * leave the decision to MaxDelayBeforeNewBCEAssign (§6.2.2: local policy).
 */
static void bra_for_wait(struct dmm_lma *lma, struct dmm_bcache_entry *e, uint8_t status, dmm_time_t now)
{
	if (e->state != DMM_BCE_HANDOFF_WAIT)
		return;
	if (status < 128) {
		lma_bce_deregister(lma, e, "revoked at the previous mag", now);
	} else if (status == DMM_BRA_MN_ATTACHED) {
		lma_handoff_wait_end(lma, e, true, "previous mag: MN is attached");
	}
}

void lma_recv_bra(struct dmm_lma *lma, const struct dmm_addr *src, const struct dmm_mh_msg *m, dmm_time_t now)
{
	uint32_t h = (uint32_t)dmm_hash_u64(m->u.br.seq), pos, ref;
	char a[DMM_ADDR_STRLEN];

	lma->base.stats.bra_received++;
	for (ref = dmm_hidx_first(&lma->bri_idx, h, &pos); ref != DMM_HIDX_NONE;
	     ref = dmm_hidx_next(&lma->bri_idx, h, &pos)) {
		const struct lma_bri *b = &lma->bri[ref];
		struct dmm_bcache_entry *e = dmm_bcache_get(lma->bc, b->owner);
		uint8_t trigger = b->trigger;

		if (!e || lma_bri_of(lma, e) != b || b->seq != m->u.br.seq ||
		    !dmm_addr_eq(lma_addr(lma, b->dst), src))
			continue;
		/* RFC 5846 §6.3: the answer ends the retransmissions. */
		dmm_logf(lma->base.env.log, DMM_LOG_DEBUG, DMM_LC_MH, "BRA seq %u status %u from %s",
			 m->u.br.seq, m->u.br.code, dmm_addr_str(src, a));
		lma_bri_stop(lma, e);
		if (trigger == DMM_BRI_TRIGGER_UNKNOWN)
			bra_for_wait(lma, e, m->u.br.code, now);
		return;
	}
	lma->base.stats.rx_unexpected++;
	dmm_logf(lma->base.env.log, DMM_LOG_DEBUG, DMM_LC_MH, "BRA seq %u from %s matches no BRI",
		 m->u.br.seq, dmm_addr_str(src, a));
}

/* --- a MAG's BRI (RFC 5846 §8.2) --- */

/* §6.1.2: the BRA to the BRI's source, from its destination, with its seq and its P, V and G. */
static void bra_send(struct dmm_lma *lma, const struct dmm_addr *src, const struct dmm_addr *dst,
		     const struct dmm_mh_msg *bri, uint8_t status)
{
	struct dmm_mh_msg *m = &lma->tx;
	uint16_t seq = bri->u.br.seq, flags = bri->u.br.flags & (DMM_BR_P | DMM_BR_V | DMM_BR_G);

	dmm_mh_init(m, DMM_MH_BR);
	m->u.br.br_type = DMM_BR_BRA;
	m->u.br.code = status;
	m->u.br.seq = seq;
	m->u.br.flags = flags;
	lma->base.stats.bra_sent++;
	lma_send_msg(lma, dst, src, m);
}

/* §6.2.1, §8.2: the status for BRI m from src before any binding is looked at; 0: go on. */
static uint8_t bri_check(struct dmm_lma *lma, const struct dmm_addr *src, const struct dmm_mh_msg *m)
{
	uint8_t trig = m->u.br.code;
	bool global = m->u.br.flags & DMM_BR_G, has_mnid = dmm_mh_find_opt(m, DMM_OPT_MNID, NULL) != NULL;

	if (trig > DMM_BRI_TRIGGER_REALM ||
	    (trig > DMM_BRI_TRIGGER_LAST_PER_MN && trig < DMM_BRI_TRIGGER_PER_PEER))
		return DMM_BRA_TRIGGER_NOT_SUPPORTED; /* §6.2.1, second rule */
	if (global != (trig >= DMM_BRI_TRIGGER_PER_PEER))
		return DMM_BRA_FUNCTION_NOT_SUPPORTED; /* third rule: e.g. G with a per-MN trigger */
	/* §8.2: global revocation needs an authorised MAG that names itself in the MN-ID. */
	if (global && (!dmm_policy_mag_allowed(lma->cfg.policy, src) || !has_mnid))
		return DMM_BRA_GLOBAL_NOT_AUTHORIZED;
	/*
	 * RFC 5213 §4 (issue 9 §2.1): only an authorised MAG revokes, and
	 * only its own bindings; to anyone else there is no such binding.
	 */
	if (!dmm_policy_mag_allowed(lma->cfg.policy, src))
		return DMM_BRA_NO_BINDING;
	if (!has_mnid)
		return DMM_BRA_IDENTITY_REQUIRED; /* §5.1: the MN-ID is mandatory with P */
	return 0;
}

/* RFC 5846 §8.1: the realm of an NAI MN-ID, what follows its last '@'; NULL when it has none. */
static const uint8_t *nai_realm(const struct dmm_mnid *id, size_t *len)
{
	if (id->subtype != DMM_MNID_NAI)
		return NULL;
	for (size_t i = id->len; i-- > 0;)
		if (id->id[i] == '@') {
			*len = id->len - i - 1;
			return id->id + i + 1;
		}
	return NULL;
}

/* §8.1: the same realm, exactly ("foo.example.com" is not "example.com"), ignoring ASCII case (DNS). */
static bool realm_eq(const struct dmm_mnid *a, const struct dmm_mnid *b)
{
	size_t la = 0, lb = 0;
	const uint8_t *ra = nai_realm(a, &la), *rb = nai_realm(b, &lb);

	if (!ra || !rb || la != lb || la == 0)
		return false;
	for (size_t i = 0; i < la; i++) {
		uint8_t x = ra[i] >= 'A' && ra[i] <= 'Z' ? ra[i] | 0x20 : ra[i];
		uint8_t y = rb[i] >= 'A' && rb[i] <= 'Z' ? rb[i] | 0x20 : rb[i];

		if (x != y)
			return false;
	}
	return true;
}

/* §8.2: does BRI m (from the MAG at pcoa, naming id) cover binding e? */
static bool bri_covers(const struct dmm_bcache_entry *e, const struct dmm_mh_msg *m,
		       const struct dmm_addr *pcoa, const struct dmm_mnid *id)
{
	const struct dmm_mh_opt *o = NULL;

	/* P: proxy bindings only (all of ours are); V: IPv4 HoA bindings, which we do not have. */
	if (!dmm_addr_eq(dmm_bce_pcoa(e), pcoa) || !(m->u.br.flags & DMM_BR_P) || (m->u.br.flags & DMM_BR_V))
		return false;
	if (m->u.br.flags & DMM_BR_G)
		return m->u.br.code == DMM_BRI_TRIGGER_PER_PEER || realm_eq(DMM_BCE_MNID(e), id);
	if (!dmm_bce_mnid_eq(e, id))
		return false;
	if (!dmm_mh_find_opt(m, DMM_OPT_HNP, NULL))
		return true; /* case 1: the MN-ID alone names every binding of the MN */
	while ((o = dmm_mh_find_opt(m, DMM_OPT_HNP, o)) != NULL) /* cases 2 and 3 */
		for (unsigned i = 0; i < e->n_hnp; i++)
			if (dmm_prefix_eq(&o->u.hnp, dmm_bce_hnp(e, i)))
				return true;
	return false;
}

/* §8.2: de-register every binding BRI m from src covers; how many. */
static unsigned bri_revoke(struct dmm_lma *lma, const struct dmm_addr *src, const struct dmm_mh_msg *m,
			   dmm_time_t now)
{
	const struct dmm_mh_opt *acoa = dmm_mh_find_opt(m, DMM_OPT_ACOA, NULL);
	const struct dmm_addr *pcoa = acoa ? &acoa->u.acoa : src; /* §8.2: the ACoA names the Proxy-CoA */
	struct dmm_bcache_entry *e;
	struct dmm_mnid id;
	unsigned n = 0;

	memset(&id, 0, sizeof(id));
	(void)pmip_mnid_of(m, &id);
	for (e = dmm_bcache_next(lma->bc, NULL); e; e = dmm_bcache_next(lma->bc, e)) {
		if (!bri_covers(e, m, pcoa, &id))
			continue;
		/*
		 * Choice: a revoked binding is de-registered as by a PBU with
		 * lifetime 0 (RFC 5213 §5.3.5): it keeps its prefixes for
		 * MinDelayBeforeBCEDelete, for a handoff to another MAG.
		 */
		lma_bce_deregister(lma, e, "revoked by its mag (BRI)", now);
		n++;
	}
	return n;
}

void lma_recv_bri(struct dmm_lma *lma, const struct dmm_addr *src, const struct dmm_addr *dst,
		  const struct dmm_mh_msg *m, dmm_time_t now)
{
	uint8_t st = bri_check(lma, src, m);
	unsigned n = 0;
	char a[DMM_ADDR_STRLEN];

	lma->base.stats.bri_received++;
	if (st == 0) {
		n = bri_revoke(lma, src, m, now);
		st = n ? DMM_BRA_SUCCESS : DMM_BRA_NO_BINDING; /* §6.2.1, last rule */
	}
	dmm_logf(lma->base.env.log, DMM_LOG_INFO, DMM_LC_MH,
		 "BRI seq %u trigger %u%s from mag %s: %u bindings revoked, BRA status %u", m->u.br.seq,
		 m->u.br.code, (m->u.br.flags & DMM_BR_G) ? " (global)" : "", dmm_addr_str(src, a), n, st);
	/* §8.2 last paragraph, §6.1.2: accepted or refused, the MAG gets a BRA. */
	bra_send(lma, src, dst, m, st);
}
