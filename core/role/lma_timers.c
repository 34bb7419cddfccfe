/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Every timer of the LMA, in one place (STYLE.md, after WireGuard's
 * timers.c). The rest of the role calls the named hooks below, never
 * dmm_timers_set()/cancel() itself. Per binding, keyed by its handle:
 *
 *   DMM_TIMER_BCE_EXPIRE       armed at `expires` whenever a PBU is
 *                              accepted for an ACTIVE binding (§5.3.2-
 *                              §5.3.4); cancelled by a de-registration or
 *                              the deletion. Fires: the lifetime ran out,
 *                              the binding is deleted.
 *   DMM_TIMER_BCE_DEREG_DELAY  armed MinDelayBeforeBCEDelete after an
 *                              accepted de-registration (§5.3.5; a repeated
 *                              one keeps the first deadline); cancelled
 *                              when a PBU revives the binding or it is
 *                              deleted. Fires: the binding is deleted.
 *   LMA_TIMER_BRI_RETX         armed lma_bri_delay() after each BRI (RFC 5846
 *                              §6.3): 1 s (InitMINDelayBRIs), doubled up to
 *                              MAX_BRACK_TIMEOUT (2 s); cancelled by the
 *                              BRA, a new BRI or the deletion. Fires: the
 *                              BRI is resent until bri_max_retries
 *                              (BRIMaxRetriesNumber, §11: 1) retransmissions
 *                              are spent, then given up.
 *   DMM_TIMER_BCE_HANDOFF_DELAY
 *                              armed MaxDelayBeforeNewBCEAssign after a
 *                              HI 4 request from another MAG put the
 *                              binding in HANDOFF_WAIT (RFC 5213 §5.4.1.3
 *                              step 3); cancelled when the wait ends
 *                              earlier (de-registration, BRA, handoff) or
 *                              the binding is deleted. Fires: the wait
 *                              ended in vain, the waiting MAG's next
 *                              request is a new mobility session.
 *
 * Per peer, DMM_TIMER_HEARTBEAT is run by core/role/peer.c (RFC 5847).
 * What happens when a timer fires is in lma.c (on_timer()).
 */
#include "lma_int.h"

void lma_timers_binding_accepted(struct dmm_lma *lma, const struct dmm_bcache_entry *e)
{
	dmm_timers_set(lma->base.timers, DMM_TIMER_BCE_EXPIRE, e->handle, e->expires);
}

void lma_timers_dereg_received(struct dmm_lma *lma, const struct dmm_bcache_entry *e, dmm_time_t now)
{
	dmm_timers_cancel(lma->base.timers, DMM_TIMER_BCE_EXPIRE, e->handle);
	dmm_timers_cancel(lma->base.timers, DMM_TIMER_BCE_HANDOFF_DELAY, e->handle);
	dmm_timers_set(lma->base.timers, DMM_TIMER_BCE_DEREG_DELAY, e->handle,
		       now + lma->cfg.min_delay_before_bce_delete);
}

void lma_timers_dereg_ended(struct dmm_lma *lma, const struct dmm_bcache_entry *e)
{
	dmm_timers_cancel(lma->base.timers, DMM_TIMER_BCE_DEREG_DELAY, e->handle);
}

void lma_timers_binding_deleted(struct dmm_lma *lma, const struct dmm_bcache_entry *e)
{
	dmm_timers_cancel(lma->base.timers, DMM_TIMER_BCE_EXPIRE, e->handle);
	dmm_timers_cancel(lma->base.timers, DMM_TIMER_BCE_DEREG_DELAY, e->handle);
	dmm_timers_cancel(lma->base.timers, DMM_TIMER_BCE_HANDOFF_DELAY, e->handle);
}

/*
 * Whether the short timer kind of e may be armed: it is armed already (a
 * new deadline takes no room), or the shared overflow has room while every
 * binding that may still come keeps one for its lifetime timer, and every
 * peer one for its heartbeat (lma.c sizes the timers so). Else the BRI
 * goes without retransmission, the handoff wait ends with the binding's
 * next event or its lifetime.
 */
static bool short_timer_room(struct dmm_lma *lma, unsigned kind, const struct dmm_bcache_entry *e)
{
	const struct dmm_timers *t = lma->base.timers;
	uint64_t held = (uint64_t)dmm_timers_count(t) + lma->cfg.max_bindings - dmm_bcache_count(lma->bc) +
			lma->cfg.max_peers;

	return dmm_timers_get(t, kind, e->handle) != DMM_TIME_NEVER || held < dmm_timers_capacity(t);
}

void lma_timers_bri_sent(struct dmm_lma *lma, const struct dmm_bcache_entry *e, dmm_time_t now)
{
	if (short_timer_room(lma, LMA_TIMER_BRI_RETX, e))
		dmm_timers_set(lma->base.timers, LMA_TIMER_BRI_RETX, e->handle,
			       now + lma_bri_delay(lma_bri_of(lma, e)));
}

void lma_timers_bri_stopped(struct dmm_lma *lma, const struct dmm_bcache_entry *e)
{
	dmm_timers_cancel(lma->base.timers, LMA_TIMER_BRI_RETX, e->handle);
}

void lma_timers_handoff_wait_started(struct dmm_lma *lma, const struct dmm_bcache_entry *e, dmm_time_t now)
{
	if (short_timer_room(lma, DMM_TIMER_BCE_HANDOFF_DELAY, e))
		dmm_timers_set(lma->base.timers, DMM_TIMER_BCE_HANDOFF_DELAY, e->handle,
			       now + lma->cfg.max_delay_before_new_bce_assign);
}

void lma_timers_handoff_wait_ended(struct dmm_lma *lma, const struct dmm_bcache_entry *e)
{
	dmm_timers_cancel(lma->base.timers, DMM_TIMER_BCE_HANDOFF_DELAY, e->handle);
}

/*
 * LMA_TIMER_LR, per localized-routing pair (RFC 6705, lma_lr.c): armed
 * LRA_WAIT_TIME after each LRI (§10.1), or at 80% of a granted finite
 * lifetime (the refresh) and then at its end; cancelled when the pair
 * ends. Fires: lma_lr_timer().
 */
void lma_timers_lr_set(struct dmm_lma *lma, struct dmm_handle h, dmm_time_t t)
{
	dmm_timers_set(lma->base.timers, LMA_TIMER_LR, h, t);
}

void lma_timers_lr_stop(struct dmm_lma *lma, struct dmm_handle h)
{
	dmm_timers_cancel(lma->base.timers, LMA_TIMER_LR, h);
}
