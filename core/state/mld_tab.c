/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The listener state of a multicast router's links (RFC 3810 §7), reduced
 * to what an MLD proxy forwards by (RFC 4605 §4.1: groups, not sources):
 * per (link, group) whether it has listeners, and its timers.
 *
 * Timers, all in this file:
 *   group timer   a report that wants traffic of the group (IS_EX, TO_EX,
 *                 or IS_IN / ALLOW / TO_IN with sources; a v1 Report) sets
 *                 it to MALI (§7.4, §9.4); when it runs out the link has
 *                 no listener any more (§7.5).
 *   last listener a leave (TO_IN({}), a v1 Done: §7.4.2, RFC 2710 §4)
 *                 lowers the group timer to LLQT (§7.6.3.1, §9.14) and
 *                 sends robustness Multicast Address Specific Queries,
 *                 LLQI apart (§9.8, §9.9); a report in between restores
 *                 MALI and ends the queries.
 * The table is small (one entry per link and group) and scanned; it holds
 * no state per packet.
 */
#include <string.h>

#include "dmm/err.h"
#include "dmm/mld.h"

void dmm_mld_timers_default(struct dmm_mld_timers *t)
{
	t->robustness = 2;
	t->query_interval = 125 * DMM_SECOND;
	t->response = 10 * DMM_SECOND;
	t->last_listener = 1 * DMM_SECOND;
}

dmm_time_t dmm_mld_mali(const struct dmm_mld_timers *t)
{
	return t->robustness * t->query_interval + t->response;
}

dmm_time_t dmm_mld_llqt(const struct dmm_mld_timers *t)
{
	return t->last_listener * t->robustness;
}

void dmm_mld_tab_init(struct dmm_mld_tab *tab, const struct dmm_mld_timers *t)
{
	memset(tab, 0, sizeof(*tab));
	tab->t = *t;
	if (!tab->t.robustness)
		tab->t.robustness = 1; /* §9.1: robustness must not be 0 */
}

static struct dmm_mld_entry *find(const struct dmm_mld_tab *tab, uint32_t link, const struct dmm_addr *g)
{
	for (uint32_t i = 0; i < DMM_MLD_TAB_MAX; i++)
		if (tab->e[i].link == link && memcmp(tab->e[i].group.b, g->b, 16) == 0)
			return (struct dmm_mld_entry *)&tab->e[i];
	return NULL;
}

/* RFC 4605 §4.1 (and RFC 3810 §6: no reports for ff02::1): link-local scope and below is not routed. */
static bool routable(const struct dmm_addr *g)
{
	return g->b[0] == 0xff && (g->b[1] & 0x0f) > 2;
}

static size_t emit(struct dmm_mld_change *out, size_t n, size_t cap, uint8_t what, uint32_t link,
		   const struct dmm_addr *g)
{
	if (n < cap) {
		out[n].what = what;
		out[n].link = link;
		out[n].group = *g;
		return n + 1;
	}
	return n;
}

/* A record that wants the group's traffic: §7.4.1 / §7.4.2, group timer = MALI. */
static size_t want(struct dmm_mld_tab *tab, uint32_t link, const struct dmm_addr *g, dmm_time_t now,
		   struct dmm_mld_change *out, size_t n, size_t cap)
{
	struct dmm_mld_entry *e = find(tab, link, g);

	if (!e) {
		struct dmm_addr zero = {{0}};

		e = find(tab, 0, &zero);
		if (!e) {
			tab->ignored++;
			return n;
		}
		e->link = link;
		e->group = *g;
		tab->n++;
		tab->joins++;
		n = emit(out, n, cap, DMM_MLD_JOINED, link, g);
	}
	e->expires = now + dmm_mld_mali(&tab->t);
	e->queries_left = 0;
	e->next_query = DMM_TIME_NEVER;
	return n;
}

/* A leave: §7.6.3.1, the querier sends Q(MA) and lowers the group timer to LLQT. */
static size_t leave(struct dmm_mld_tab *tab, uint32_t link, const struct dmm_addr *g, dmm_time_t now,
		    struct dmm_mld_change *out, size_t n, size_t cap)
{
	struct dmm_mld_entry *e = find(tab, link, g);
	dmm_time_t llqt = now + dmm_mld_llqt(&tab->t);

	if (!e || e->queries_left)
		return n; /* not listened to, or already being queried */
	if (e->expires > llqt)
		e->expires = llqt;
	e->queries_left = (uint8_t)(tab->t.robustness - 1);
	e->next_query = e->queries_left ? now + tab->t.last_listener : DMM_TIME_NEVER;
	return emit(out, n, cap, DMM_MLD_SEND_GSQ, link, g);
}

static size_t record(struct dmm_mld_tab *tab, uint32_t link, const struct dmm_mld_rec *r, dmm_time_t now,
		     struct dmm_mld_change *out, size_t n, size_t cap)
{
	if (!routable(&r->group)) {
		tab->ignored++;
		return n;
	}
	switch (r->type) {
	case DMM_MLD_IS_EX:
	case DMM_MLD_TO_EX:
		return want(tab, link, &r->group, now, out, n, cap);
	case DMM_MLD_IS_IN:
	case DMM_MLD_ALLOW:
		return r->nsrc ? want(tab, link, &r->group, now, out, n, cap) : n;
	case DMM_MLD_TO_IN:
		if (r->nsrc)
			return want(tab, link, &r->group, now, out, n, cap);
		return leave(tab, link, &r->group, now, out, n, cap);
	default: /* BLOCK: sources only; unknown types are ignored (§5.2.12) */
		return n;
	}
}

int dmm_mld_report(struct dmm_mld_tab *tab, uint32_t link, const struct dmm_mld_msg *m, dmm_time_t now,
		   struct dmm_mld_change *out, size_t cap)
{
	size_t n = 0;

	if (!link)
		return DMM_ERR_INVAL;
	switch (m->type) {
	case DMM_MLD_V1_REPORT: /* RFC 2710 §4, RFC 3810 §8.3.2: as IS_EX({}) */
		if (!routable(&m->group)) {
			tab->ignored++;
			return 0;
		}
		return (int)want(tab, link, &m->group, now, out, 0, cap);
	case DMM_MLD_V1_DONE: /* RFC 3810 §8.3.2: as TO_IN({}) */
		return (int)leave(tab, link, &m->group, now, out, 0, cap);
	case DMM_MLD_V2_REPORT:
		for (uint16_t i = 0; i < m->nrec; i++)
			n = record(tab, link, &m->rec[i], now, out, n, cap);
		return (int)n;
	default:
		return DMM_ERR_INVAL;
	}
}

bool dmm_mld_listening(const struct dmm_mld_tab *tab, uint32_t link, const struct dmm_addr *group)
{
	return link && find(tab, link, group) != NULL;
}

bool dmm_mld_any_listener(const struct dmm_mld_tab *tab, const struct dmm_addr *group)
{
	for (uint32_t i = 0; i < DMM_MLD_TAB_MAX; i++)
		if (tab->e[i].link && memcmp(tab->e[i].group.b, group->b, 16) == 0)
			return true;
	return false;
}

static void drop(struct dmm_mld_tab *tab, struct dmm_mld_entry *e)
{
	memset(e, 0, sizeof(*e));
	tab->n--;
	tab->leaves++;
}

int dmm_mld_link_gone(struct dmm_mld_tab *tab, uint32_t link, struct dmm_mld_change *out, size_t cap)
{
	size_t n = 0;

	for (uint32_t i = 0; link && i < DMM_MLD_TAB_MAX; i++) {
		struct dmm_mld_entry *e = &tab->e[i];

		if (e->link != link)
			continue;
		n = emit(out, n, cap, DMM_MLD_LEFT, link, &e->group);
		drop(tab, e);
	}
	return (int)n;
}

dmm_time_t dmm_mld_next_expiry(const struct dmm_mld_tab *tab)
{
	dmm_time_t t = DMM_TIME_NEVER;

	for (uint32_t i = 0; i < DMM_MLD_TAB_MAX; i++) {
		const struct dmm_mld_entry *e = &tab->e[i];

		if (!e->link)
			continue;
		if (e->expires < t)
			t = e->expires;
		if (e->next_query < t)
			t = e->next_query;
	}
	return t;
}

int dmm_mld_expire(struct dmm_mld_tab *tab, dmm_time_t now, struct dmm_mld_change *out, size_t cap)
{
	size_t n = 0;

	for (uint32_t i = 0; i < DMM_MLD_TAB_MAX && n < cap; i++) {
		struct dmm_mld_entry *e = &tab->e[i];

		if (!e->link)
			continue;
		if (e->expires <= now) { /* §7.5: no listener left */
			n = emit(out, n, cap, DMM_MLD_LEFT, e->link, &e->group);
			drop(tab, e);
			tab->expiries++;
			continue;
		}
		if (e->next_query <= now) { /* §7.6.3.1: the next of the last listener queries */
			n = emit(out, n, cap, DMM_MLD_SEND_GSQ, e->link, &e->group);
			e->queries_left--;
			e->next_query = e->queries_left ? now + tab->t.last_listener : DMM_TIME_NEVER;
		}
	}
	return (int)n;
}
