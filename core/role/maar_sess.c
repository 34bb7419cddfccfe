/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Which sessions need mobility (RFC 7429 §5 GAP2-1, GAP2-3;
 * docs/dmm-protocol.md §13): the per-prefix policy after RFC 8653 §3.2's
 * address types, and the session-based judgement of an old prefix.
 *
 *   fixed     (Fixed IP address) always anchored: never released idle.
 *   sessions  (Session-Lasting) anchored while sessions use it: with
 *             release_by_sessions, an old prefix is idle when dmmd's
 *             report of the kernel's connection tracking has shown no
 *             session on it for idle_release since its tunnel came up
 *             (dmm_maar_sessions()); traffic counters do not count, so
 *             a long idle TCP connection keeps its prefix and stray
 *             packets keep nothing. Without it, the counter rule of
 *             maar.c's top comment.
 *   nomadic   (Nonpersistent) local only: an S-MAAR that learns it as
 *             an old prefix of an MN arriving (a Previous MAAR option of
 *             the CMD's PBA) never tunnels it; it releases it at once
 *             (the release PBU of docs/dmm-protocol.md §5, so the CMD
 *             releases it at its anchor too) and advertises it once with
 *             valid lifetime 0. Its anchor, told by the CMD to tunnel it
 *             to the new S-MAAR meanwhile, holds its packets instead
 *             (maar_sess_anchor_mode()); the release drops them.
 *
 * Calls maar_serving.c, maar_state.c and maar_policy.c only.
 */
#include <string.h>

#include "dmm/err.h"
#include "maar_int.h"

static enum dmm_prefix_kind kind(const struct dmm_maar *m, const struct dmm_prefix *p)
{
	return dmm_prefix_kind_of(m->cfg.prefix_policy, m->cfg.nprefix_policy, p);
}

bool maar_sess_judge(const struct dmm_maar *m, const struct maar_sp *sp, bool counts, dmm_time_t *last)
{
	if (kind(m, &sp->p) == DMM_PREFIX_FIXED)
		return false;
	if (!m->cfg.release_by_sessions)
		return counts;
	*last = sp->since > sp->last_session ? sp->since : sp->last_session;
	return true;
}

/* Old prefixes tunnelled here from another anchor, whose release the sessions decide. */
static bool judged_here(const struct dmm_maar *m, const struct maar_bx *x, const struct maar_sp *sp)
{
	return !x->detached && !sp->own && !sp->local && sp->nid > 0 &&
	       kind(m, &sp->p) == DMM_PREFIX_SESSIONS;
}

unsigned dmm_maar_session_prefixes(const struct dmm_maar *m, struct dmm_prefix *out, unsigned cap)
{
	unsigned n = 0;

	for (struct dmm_bul_entry *e = dmm_bul_next(m->bul, NULL); e; e = dmm_bul_next(m->bul, e)) {
		const struct maar_bx *x = maar_bx(m, e);

		for (unsigned i = 0; i < x->nsp; i++)
			if (judged_here(m, x, &x->sp[i])) {
				if (n < cap)
					out[n] = x->sp[i].p;
				n++;
			}
	}
	return n;
}

int dmm_maar_sessions(struct dmm_maar *m, const struct dmm_prefix *p, unsigned nsessions, dmm_time_t now)
{
	for (struct dmm_bul_entry *e = dmm_bul_next(m->bul, NULL); e; e = dmm_bul_next(m->bul, e)) {
		struct maar_bx *x = maar_bx(m, e);

		for (unsigned i = 0; i < x->nsp; i++)
			if (judged_here(m, x, &x->sp[i]) && dmm_prefix_eq(&x->sp[i].p, p)) {
				if (nsessions > 0)
					x->sp[i].last_session = now;
				return 0;
			}
	}
	return DMM_ERR_NOTFOUND;
}

bool maar_sess_nomadic(struct dmm_maar *m, struct dmm_bul_entry *e, const struct dmm_prefix *q,
		       const struct dmm_addr *anchor)
{
	struct maar_bx *x = maar_bx(m, e);
	struct bulc_who w;

	if (kind(m, q) != DMM_PREFIX_NOMADIC)
		return false;
	if (x->nrel == MAAR_MAX_RELEASED) {
		memmove(&x->rel[0], &x->rel[1], sizeof(x->rel[0]) * (MAAR_MAX_RELEASED - 1));
		x->nrel--;
	}
	x->rel[x->nrel++] = *q;
	if (x->nrel_new < x->nrel)
		x->nrel_new++;
	m->ctr.prefixes_released++;
	m->ctr.nomadic_released++;
	if (maar_log_on(m, DMM_LOG_INFO))
		dmm_logf(m->base.env.log, DMM_LOG_INFO, DMM_LC_FSM,
			 "maar: %s: nomadic: released, not tunnelled",
			 maar_who(&e->mnid, q, "anchor", anchor, &w));
	return true;
}

unsigned maar_sess_arrived(struct dmm_maar *m, struct dmm_bul_entry *e, dmm_time_t now)
{
	struct maar_bx *x = maar_bx(m, e);
	unsigned n = x->nrel_new;

	x->nrel_new = 0;
	if (n) {
		x->rel_retried = false;
		maar_send_release(m, e, &x->rel[x->nrel - n], n, now);
	}
	return n;
}
