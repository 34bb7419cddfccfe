/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Every timer of the CMD, in one place (STYLE.md, after WireGuard's
 * timers.c). The rest of the role calls the named hooks below, never
 * dmm_timers_set()/cancel() itself.
 *
 *   DMM_TIMER_BCE_EXPIRE (MN)   armed at `expires` whenever the S-MAAR's
 *                               registration is accepted; cancelled when
 *                               the MN is removed. Fires: the lifetime ran
 *                               out; the MN is removed as on a
 *                               de-registration (§4).
 *   DMM_TIMER_BCE_DEREG_DELAY (MN) armed min_delay_before_bce_delete
 *                               after the S-MAAR's de-registration
 *                               (RFC 5213 §5.3.5 step 2), in place of
 *                               the expiry; cancelled when a registration
 *                               is accepted in the wait or the MN is
 *                               removed. Fires: the MN is removed and
 *                               its previous MAARs get lifetime 0.
 *   CMD_TIMER_RELAY (MN)        armed relay_timeout after the PBUs of a
 *                               relay handover went to the anchors;
 *                               cancelled when the transaction closes.
 *                               Fires: the S-MAAR gets the (partial) PBA
 *                               with the answers so far.
 *   CMD_TIMER_UPD_RETX (update) armed `delay` after each PBU to a MAAR:
 *                               initial_bindack_timeout, doubled up to
 *                               max_bindack_timeout; fires: retransmit,
 *                               max_retransmissions times, then give up
 *                               (RFC 6275 §11.8). For an anchor candidate
 *                               (HNP ::/0): one try of
 *                               initial_bindack_timeout, then the next
 *                               candidate. An abandoned update (a silent
 *                               candidate, a dropped choice) is kept
 *                               max_bindack_timeout so that a late prefix
 *                               is given back, then forgotten. Cancelled
 *                               when the update is freed. The same
 *                               timer holds a PBU that waits for its
 *                               slot (u->queued; RFC 8885 §3.2 pacing,
 *                               §3.6 max_update_rate per MAAR): it fires
 *                               at the slot and the PBU goes.
 *   DMM_TIMER_HEARTBEAT (peer)  core/role/peer.c (RFC 5847).
 *
 * What happens when a timer fires: cmd.c dispatches; the expiry removes
 * the MN (cmd_state.c), the others run cmd_relay_timer() and
 * cmd_upd_timer() (cmd_pbu.c).
 */
#include "cmd_int.h"

void cmd_timers_mn_registered(struct dmm_cmd *c, const struct dmm_bcache_entry *e)
{
	dmm_timers_cancel(c->base.timers, DMM_TIMER_BCE_DEREG_DELAY, e->handle);
	dmm_timers_set(c->base.timers, DMM_TIMER_BCE_EXPIRE, e->handle, e->expires);
}

void cmd_timers_mn_removed(struct dmm_cmd *c, const struct dmm_bcache_entry *e)
{
	dmm_timers_cancel(c->base.timers, DMM_TIMER_BCE_EXPIRE, e->handle);
	dmm_timers_cancel(c->base.timers, DMM_TIMER_BCE_DEREG_DELAY, e->handle);
}

void cmd_timers_mn_dereg_wait(struct dmm_cmd *c, const struct dmm_bcache_entry *e, dmm_time_t now)
{
	dmm_timers_cancel(c->base.timers, DMM_TIMER_BCE_EXPIRE, e->handle);
	dmm_timers_set(c->base.timers, DMM_TIMER_BCE_DEREG_DELAY, e->handle,
		       now + c->cfg.min_delay_before_bce_delete);
}

void cmd_timers_relay_waiting(struct dmm_cmd *c, const struct dmm_bcache_entry *e, dmm_time_t now)
{
	dmm_timers_set(c->base.timers, CMD_TIMER_RELAY, e->handle, now + c->cfg.relay_timeout);
}

void cmd_timers_relay_closed(struct dmm_cmd *c, const struct dmm_bcache_entry *e)
{
	dmm_timers_cancel(c->base.timers, CMD_TIMER_RELAY, e->handle);
}

void cmd_timers_upd_sent(struct dmm_cmd *c, const struct cmd_upd *u, dmm_time_t now)
{
	dmm_timers_set(c->base.timers, CMD_TIMER_UPD_RETX, u->h, now + u->delay);
}

void cmd_timers_upd_queued(struct dmm_cmd *c, const struct cmd_upd *u, dmm_time_t at)
{
	dmm_timers_set(c->base.timers, CMD_TIMER_UPD_RETX, u->h, at);
}

void cmd_timers_upd_abandoned(struct dmm_cmd *c, const struct cmd_upd *u, dmm_time_t now)
{
	dmm_timers_set(c->base.timers, CMD_TIMER_UPD_RETX, u->h, now + c->cfg.max_bindack_timeout);
}

void cmd_timers_upd_freed(struct dmm_cmd *c, const struct cmd_upd *u)
{
	dmm_timers_cancel(c->base.timers, CMD_TIMER_UPD_RETX, u->h);
}
