/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The MAAR's own timers. Only this file arms or cancels them; what they
 * do when they fire is maar.c's (on_grace, on_idle). A timer names its
 * object by handle; a stale handle is ignored.
 *
 *   GRACE(serving)       armed when the MN detaches (maar_timers_detached)
 *                        to detach + detach_grace; cancelled when it
 *                        attaches again or its entry goes
 *                        (maar_timers_attached). Fires, while the MN is
 *                        away and no PBU from the CMD named its next
 *                        S-MAAR: the MAAR de-registers the MN (PBU
 *                        lifetime 0, HNP = the own prefix) and releases
 *                        its local prefix (docs/dmm-protocol.md §2.5).
 *   IDLE(MAAR)           armed to now + idle_check when a tunnel to
 *                        another MAAR comes up and idle_release (or
 *                        relocate_after, GAP1-1) is set
 *                        (maar_timers_idle_arm, no-op while armed); fires:
 *                        the GAP2-1 check of maar.c, which arms it again
 *                        while some MN attached here still has an old
 *                        prefix tunnelled from another MAAR.
 *
 * The timers of the serving entries' registrations (PBU_RETX,
 * BUL_REFRESH, BUL_EXPIRE) are the BUL client's (bul_client.c, where
 * their rules are). HEARTBEAT(peer) is core/role/peer.c's (RFC 5847),
 * with the CMD while at least one MN is registered through it.
 *
 *   ANCHOR_EXPIRE(anchored)
 *                        armed when a PBU from the CMD is accepted for an
 *                        anchored entry whose MN is not delivered here
 *                        (maar_timers_anchor_granted) to now + the
 *                        lifetime the PBU granted; cancelled when the
 *                        entry delivers to its MN here or goes
 *                        (maar_timers_anchor_held). Fires: the CMD did not
 *                        refresh it (it refreshes anchors with the MN's
 *                        registration) and never released it: the entry,
 *                        its intents and its prefix go (RFC 6275 §9.5.2,
 *                        issue 9 §2.15). RFC 8885 §3.5's first solution
 *                        stops the P-MAAR's own timer once the CMD named a
 *                        serving MAAR; the lifetime the CMD grants keeps
 *                        running, so a release the CMD gave up on does not
 *                        hold the prefix forever.
 *
 * While the MN is attached here its anchored entry has no timer: its
 * lifetime is the serving entry's (BUL_EXPIRE, GRACE release it).
 */
#include "maar_int.h"

void maar_timers_detached(struct dmm_maar *m, const struct dmm_bul_entry *e, dmm_time_t now)
{
	dmm_timers_set(m->base.timers, MAAR_TIMER_GRACE, e->handle, now + m->cfg.detach_grace);
}

void maar_timers_attached(struct dmm_maar *m, const struct dmm_bul_entry *e)
{
	dmm_timers_cancel(m->base.timers, MAAR_TIMER_GRACE, e->handle);
}

void maar_timers_idle_arm(struct dmm_maar *m, dmm_time_t now)
{
	struct dmm_handle h = {0, 1};

	if ((!m->cfg.idle_release && !m->cfg.relocate_after) || !m->cfg.idle_check)
		return;
	if (dmm_timers_get(m->base.timers, MAAR_TIMER_IDLE, h) == DMM_TIME_NEVER)
		dmm_timers_set(m->base.timers, MAAR_TIMER_IDLE, h, now + m->cfg.idle_check);
}

void maar_timers_anchor_granted(struct dmm_maar *m, const struct dmm_bcache_entry *a, dmm_time_t now)
{
	dmm_timers_set(m->base.timers, MAAR_TIMER_ANCHOR_EXPIRE, a->handle,
		       now + (dmm_time_t)a->lifetime_s * DMM_SECOND);
}

void maar_timers_anchor_held(struct dmm_maar *m, const struct dmm_bcache_entry *a)
{
	dmm_timers_cancel(m->base.timers, MAAR_TIMER_ANCHOR_EXPIRE, a->handle);
}
