/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Binding Revocation at the LMA (RFC 5846): after a handoff the previous
 * MAG gets a BRI for the binding, resent until its BRA arrives or the
 * retransmissions are spent (the timer rule is in lma_timers.c).
 */
#include "lma_int.h"

#define LMA_BRI_RETRIES 2		   /* retransmissions after the first BRI */
#define LMA_BRI_DELAY DMM_SECOND	   /* InitMINDelayBRIs, RFC 5846 §11 */
#define LMA_BRI_MAX_DELAY (2 * DMM_SECOND) /* MAX_BRACK_TIMEOUT */

/* RFC 5846 §8.1: P flag, trigger, MN-ID and the HNPs of the binding, to the previous MAG. */
static void bri_send(struct dmm_lma *lma, const struct dmm_bcache_entry *e)
{
	struct lma_bx *x = lma_bx_of(lma, e);
	struct dmm_mh_msg *m = &lma->tx;

	dmm_mh_init(m, DMM_MH_BR);
	m->u.br.br_type = DMM_BR_BRI;
	m->u.br.code = x->bri_trigger;
	m->u.br.seq = x->bri_seq;
	m->u.br.flags = DMM_BR_P;
	pmip_add_mnid(m, &e->mnid);
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
	struct lma_bx *x = lma_bx_of(lma, e);
	char a[DMM_ADDR_STRLEN], mn[DMM_MNID_STRLEN];

	lma_bri_stop(lma, e);
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
	lma_timers_bri_sent(lma, e, now);
}

void lma_bri_timer(struct dmm_lma *lma, struct dmm_handle h, dmm_time_t now)
{
	struct dmm_bcache_entry *e = dmm_bcache_get(lma->bc, h);
	struct lma_bx *x;
	char a[DMM_ADDR_STRLEN];

	if (!e)
		return;
	x = lma_bx_of(lma, e);
	if (!x->bri_pending)
		return;
	if (x->bri_sent > LMA_BRI_RETRIES) {
		/* RFC 5846 §6.3: give up; the binding here has already moved on. */
		dmm_logf(lma->base.env.log, DMM_LOG_WARN, DMM_LC_MH,
			 "BRI seq %u to %s: no BRA after %u transmissions", x->bri_seq,
			 dmm_addr_str(&x->bri_dst, a), x->bri_sent);
		lma_bri_stop(lma, e);
		return;
	}
	bri_send(lma, e);
	/* §6.3: the interval doubles up to MAX_BRACK_TIMEOUT. */
	x->bri_delay = x->bri_delay * 2 > LMA_BRI_MAX_DELAY ? LMA_BRI_MAX_DELAY : x->bri_delay * 2;
	lma_timers_bri_sent(lma, e, now);
}

void lma_recv_bra(struct dmm_lma *lma, const struct dmm_addr *src, const struct dmm_mh_msg *m)
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
		lma_bri_stop(lma, e);
		return;
	}
	lma->base.stats.rx_unexpected++;
	dmm_logf(lma->base.env.log, DMM_LOG_DEBUG, DMM_LC_MH, "BRA seq %u from %s matches no BRI",
		 m->u.br.seq, dmm_addr_str(src, a));
}
