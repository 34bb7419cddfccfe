/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * GAP1-1 in the emulator: relocation of an anchor with the routing system
 * carrying the prefixes (docs/dmm-protocol.md §11). A scenario's
 *
 *   "relocation": {"convergence": "200ms", "relocate_after": "3s",
 *                  "reanchor_on_failure": true, "survival_window": "5s",
 *                  "compare": true}
 *
 * models the routing system: a MAAR's dmm_env.anchored of a prefix it took
 * over is an announcement of rank one more than the network's route for
 * it; announcements and withdrawals take effect convergence later; the
 * network routes a prefix to its effective announcement of highest rank,
 * else to the MAAR whose pool holds it (the pool's aggregate). When that
 * route changes, each other MAAR that announced the prefix, and the one
 * the network routed it to before, sees the new route in its routed table
 * (dmm_maar_routed()) the largest path delay later, so the old anchor's
 * make-before-break release happens as in the daemon. The policies (relocate_after at the MAARs,
 * reanchor_on_failure at the CMD) are on unless --relocation off.
 *
 * Reported: tunnels crossed per delivered downlink packet of new and old
 * sessions, announcements, route changes, and the sessions at risk when
 * an anchor is killed (active on a prefix it allocated, their MN attached
 * elsewhere, lasting survival_window after the kill) that got a packet
 * sent after the kill; of them, those whose prefix the network still
 * routed to the dead anchor (not relocated before), with their
 * interruption (last packet before the kill to the first after).
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "dmm/fmt.h"
#include "emu.h"

#define NONE UINT32_MAX

static int dur(json_t *o, const char *key, dmm_time_t *out)
{
	json_t *v = json_object_get(o, key);

	if (!v)
		return 0;
	if (json_is_number(v) && json_number_value(v) >= 0) {
		*out = (dmm_time_t)(json_number_value(v) * 1e9 + 0.5);
		return 0;
	}
	return json_is_string(v) ? emu_parse_duration(json_string_value(v), out) : -1;
}

/* Events {"at": T, "drain": "MAAR"}: the CMD relocates what that MAAR anchors (dmmctl drain). */
static int load_drains(struct emu *e, json_t *ev, char *err, size_t errlen)
{
	json_t *v;
	size_t i;

	json_array_foreach(ev, i, v)
	{
		json_t *d = json_object_get(v, "drain");
		struct emu_node *n = json_is_string(d) ? emu_node_by_name(e, json_string_value(d)) : NULL;
		dmm_time_t at = DMM_TIME_NEVER;
		struct emu_event x;

		if (!d)
			continue;
		if (!n || n->kind != EMU_MAAR || e->cmd_idx == NONE || dur(v, "at", &at) ||
		    at == DMM_TIME_NEVER) {
			snprintf(err, errlen, "events[%zu].drain: must name a maar, with a time \"at\"", i);
			return -1;
		}
		memset(&x, 0, sizeof(x));
		x.type = EV_ROUTE;
		x.node = n->idx;
		x.mn = 4;
		if (emu_schedule(&e->eng, at, &x))
			return -1;
	}
	return 0;
}

int emu_reloc_load(struct emu *e, void *root, int force, char *err, size_t errlen)
{
	json_t *o = json_object_get(root, "relocation");
	struct emu_reloc *r = &e->reloc;

	memset(r, 0, sizeof(*r));
	if (!o || e->variant != EMU_VAR_DMM)
		return 0;
	if (!json_is_object(o)) {
		snprintf(err, errlen, "relocation: must be an object");
		return -1;
	}
	r->model = true;
	r->on = force != 0;
	r->convergence = 100 * DMM_MSEC;
	r->after = 3 * DMM_SECOND;
	r->window = 5 * DMM_SECOND;
	r->on_failure = !json_is_false(json_object_get(o, "reanchor_on_failure"));
	r->compare = json_is_true(json_object_get(o, "compare"));
	if (dur(o, "convergence", &r->convergence) || dur(o, "relocate_after", &r->after) ||
	    dur(o, "survival_window", &r->window)) {
		snprintf(err, errlen, "relocation: convergence, relocate_after, survival_window: durations");
		return -1;
	}
	return load_drains(e, json_object_get(root, "events"), err, errlen);
}

static bool same(const struct dmm_prefix *a, const struct dmm_prefix *b)
{
	return a->len == b->len && emu_addr_eq(&a->addr, &b->addr);
}

static struct emu_route *find(struct emu *e, const struct dmm_prefix *p, uint32_t node)
{
	for (uint32_t i = 0; i < e->reloc.nrt; i++)
		if (e->reloc.rt[i].node == node && same(&e->reloc.rt[i].p, p))
			return &e->reloc.rt[i];
	return NULL;
}

/* The effective announcement of p of highest rank, or NULL. */
static struct emu_route *best(struct emu *e, const struct dmm_prefix *p)
{
	struct emu_route *b = NULL;

	for (uint32_t i = 0; i < e->reloc.nrt; i++) {
		struct emu_route *x = &e->reloc.rt[i];

		if (x->effective && same(&x->p, p) && (!b || x->rank > b->rank))
			b = x;
	}
	return b;
}

/* Where the network routes p: its best announcement, else the pool's node. */
static uint32_t route_of(struct emu *e, const struct dmm_prefix *p)
{
	struct emu_route *b = best(e, p);
	struct emu_node *a;

	if (b)
		return b->node;
	a = emu_anchor_of(e, &p->addr);
	return a ? a->idx : NONE;
}

struct emu_node *emu_reloc_route(struct emu *e, const struct dmm_addr *a)
{
	struct emu_route *b = NULL;

	for (uint32_t i = 0; i < e->reloc.nrt; i++) {
		struct emu_route *x = &e->reloc.rt[i];

		if (x->effective && dmm_prefix_contains(&x->p, a) && (!b || x->rank > b->rank))
			b = x;
	}
	return b ? &e->nodes[b->node] : NULL;
}

bool emu_reloc_announces(const struct emu *e, const struct emu_node *n, const struct dmm_addr *a)
{
	for (uint32_t i = 0; i < e->reloc.nrt; i++)
		if (e->reloc.rt[i].node == n->idx && dmm_prefix_contains(&e->reloc.rt[i].p, a))
			return true;
	return false;
}

static void route_event(struct emu *e, const struct emu_node *n, const struct dmm_prefix *p, bool up)
{
	struct emu_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = EV_ROUTE;
	ev.node = n->idx;
	ev.mn = up;
	ev.gen = p->len;
	ev.u.pkt.dst = p->addr;
	emu_schedule(&e->eng, e->eng.now + e->reloc.convergence, &ev);
}

/* dmm_env.anchored of a MAAR: a prefix it took over is announced; its withdrawal follows. */
static void on_anchored(void *ctx, const struct dmm_prefix *p, bool up, bool taken_over)
{
	struct emu_node *n = ctx;
	struct emu *e = n->emu;
	struct emu_reloc *r = &e->reloc;
	struct emu_route *x = find(e, p, n->idx), *b;
	uint32_t rank;

	if (up && taken_over) {
		b = best(e, p);
		rank = (b ? b->rank : 1) + 1; /* before the table may move */
		if (!x) {
			struct emu_route *nv =
				r->nrt == r->rt_cap ? emu_grow(r->rt, &r->rt_cap, sizeof(*nv), 64) : r->rt;

			if (!nv)
				return;
			r->rt = nv;
			x = &r->rt[r->nrt++];
			*x = (struct emu_route){.p = *p, .node = n->idx};
		}
		x->rank = rank;
		r->announces++;
		r->taken_over++;
		route_event(e, n, p, true);
	} else if (!up && x) {
		r->withdrawals++;
		route_event(e, n, p, false);
	}
}

void emu_reloc_env(struct emu *e, struct emu_node *n)
{
	if (e->reloc.model && n->kind == EMU_MAAR)
		n->env.anchored = on_anchored;
}

/*
 * Node idx will see the network's route for p in its routed table
 * (present) or not: the router's update reaches it once the packets the
 * network sent the old way have left it, the largest path delay later
 * (packets take their whole path when they are sent).
 */
static void tell(struct emu *e, uint32_t idx, const struct dmm_prefix *p, bool present)
{
	struct emu_event ev;
	dmm_time_t lag = e->max_any_delay ? e->max_any_delay : e->paths.max_delay;

	if (idx == NONE || !e->nodes[idx].maar)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.type = EV_ROUTE;
	ev.node = idx;
	ev.mn = present ? 3 : 2;
	ev.gen = p->len;
	ev.u.pkt.dst = p->addr;
	emu_schedule(&e->eng, e->eng.now + lag, &ev);
}

static void routed(struct emu *e, const struct emu_event *ev, const struct dmm_prefix *p)
{
	struct emu_node *n = &e->nodes[ev->node];

	if (n->dead)
		return;
	dmm_maar_routed(n->maar, p, ev->mn == 3, e->eng.now);
	emu_role_after_input(e, n);
}

/* A drain event: relocation on, the CMD moves every prefix n anchors to its MN's S-MAAR. */
static void drain(struct emu *e, struct emu_node *n)
{
	struct emu_node *cmd = &e->nodes[e->cmd_idx];

	if (!e->reloc.on || !cmd->cmd || cmd->dead)
		return;
	e->reloc.drained += dmm_cmd_drain(cmd->cmd, &n->addr, e->eng.now);
	emu_role_after_input(e, cmd);
}

void emu_on_route(struct emu *e, const struct emu_event *ev)
{
	struct dmm_prefix p = {.addr = ev->u.pkt.dst, .len = (uint8_t)ev->gen};
	struct emu_route *x = find(e, &p, ev->node);
	uint32_t before = route_of(e, &p), after;
	bool announced;

	if (ev->mn == 4) {
		drain(e, &e->nodes[ev->node]);
		return;
	}
	if (ev->mn >= 2) {
		routed(e, ev, &p);
		return;
	}
	if (!x)
		return;
	if (ev->mn) {
		x->effective = true;
	} else {
		*x = e->reloc.rt[--e->reloc.nrt];
	}
	after = route_of(e, &p);
	if (after == before)
		return;
	e->reloc.route_changes++;
	/* The MAARs other than the one routed to learn the route (present while it is another's). */
	announced = best(e, &p) != NULL;
	tell(e, before, &p, announced);
	for (uint32_t i = 0; i < e->reloc.nrt; i++)
		if (same(&e->reloc.rt[i].p, &p) && e->reloc.rt[i].node != after &&
		    e->reloc.rt[i].node != before)
			tell(e, e->reloc.rt[i].node, &p, announced);
	if (!announced)
		tell(e, after, &p, false);
}

void emu_reloc_kill(struct emu *e, const struct emu_node *dead)
{
	for (uint32_t i = 0; i < e->nsess; i++) {
		struct emu_sess *s = &e->sess[i];
		const struct emu_mn *m = &e->mns[s->mn - 1];

		if (!s->active || s->anchor != dead->idx || m->mag == (int32_t)dead->idx ||
		    s->end < e->eng.now + e->reloc.window)
			continue;
		s->at_risk = true;
		s->killed_at = e->eng.now;
		e->reloc.at_risk++;
		/* The network still routes its prefix to the dead node (not relocated before the kill). */
		s->via_dead = route_of(e, &s->prefix) == dead->idx;
		e->reloc.at_risk_routed += s->via_dead;
	}
}

void emu_reloc_delivered(struct emu *e, struct emu_sess *s, const struct emu_pkt *p, int cls)
{
	struct emu_reloc *r = &e->reloc;

	r->tun_sum[cls] += p->ntun;
	r->tun_n[cls]++;
	if (s->at_risk && !s->resumed && p->sent > s->killed_at) {
		double gap = (double)(e->eng.now - (s->dl_last ? s->dl_last : s->start)) / 1e9;

		s->resumed = true;
		r->resumed++;
		if (s->via_dead) {
			r->resumed_routed++;
			r->gap_sum += gap;
			if (gap > r->gap_max)
				r->gap_max = gap;
		}
	}
	s->dl_last = e->eng.now;
}

static double per(double sum, uint64_t n)
{
	return n ? sum / (double)n : 0.0;
}

static double r4(double v)
{
	return (double)(int64_t)(v * 1e4 + (v < 0 ? -0.5 : 0.5)) / 1e4;
}

/* The figures of one run. */
json_t *emu_reloc_json(struct emu *e)
{
	const struct emu_reloc *r = &e->reloc;
	const struct emu_stretch *o = &e->stretch_cls[1], *n = &e->stretch_cls[0];
	double tmax = 0, tsum = 0;

	if (!r->model)
		return NULL;
	for (size_t i = 0; i < e->tunnels.n; i++) {
		tsum += e->tunnels.v[i];
		if (e->tunnels.v[i] > tmax)
			tmax = e->tunnels.v[i];
	}
	return json_pack(
		"{s:b,s:f,s:f,s:{s:I,s:f,s:f,s:f},s:{s:I,s:f,s:f},s:{s:f,s:f,s:I},s:{s:I,s:I,s:I,s:I,s:I,s:I}"
		","
		"s:{s:I,s:I,s:I,s:I,s:f,s:f},s:{s:I,s:I,s:I}}",
		"on", r->on, "convergence_s", r4((double)r->convergence / 1e9), "relocate_after_s",
		r4(r->on ? (double)r->after / 1e9 : 0), "old_sessions", "packets", (json_int_t)o->n,
		"extra_hops_per_packet", r4(per(o->hops_anchor - o->hops_direct, o->n)), "tunnels_per_packet",
		r4(per(r->tun_sum[1], r->tun_n[1])), "delay_ratio", r4(per(o->ratio_sum, o->n)),
		"new_sessions", "packets", (json_int_t)n->n, "extra_hops_per_packet",
		r4(per(n->hops_anchor - n->hops_direct, n->n)), "tunnels_per_packet",
		r4(per(r->tun_sum[0], r->tun_n[0])), "tunnels_alive", "mean", r4(per(tsum, e->tunnels.n)),
		"max", tmax, "end", (json_int_t)e->encap_now, "signalling", "mobility_header",
		(json_int_t)e->mh_total, "announcements", (json_int_t)r->announces, "withdrawals",
		(json_int_t)r->withdrawals, "route_changes", (json_int_t)r->route_changes, "relocations",
		(json_int_t)r->taken_over, "drained", (json_int_t)r->drained, "failure", "sessions_at_risk",
		(json_int_t)r->at_risk, "sessions_survived", (json_int_t)r->resumed, "still_routed_to_it",
		(json_int_t)r->at_risk_routed, "still_routed_survived", (json_int_t)r->resumed_routed,
		"interruption_mean_s", r4(per(r->gap_sum, r->resumed_routed)), "interruption_max_s",
		r4(r->gap_max), "downlink", "sent", (json_int_t)e->dl.sent, "delivered",
		(json_int_t)e->dl.delivered, "lost_no_intent", (json_int_t)e->dl.lost_no_intent);
}

static void line(FILE *out, const char *label, json_t *a, json_t *b, const char *path)
{
	char buf[128], *save = NULL, *tok;
	json_t *x = a, *y = b;

	snprintf(buf, sizeof(buf), "%s", path);
	for (tok = strtok_r(buf, ".", &save); tok; tok = strtok_r(NULL, ".", &save)) {
		x = json_object_get(x, tok);
		y = json_object_get(y, tok);
	}
	fprintf(out, "  %-40s %14.7g %14.7g\n", label, json_number_value(x), json_number_value(y));
}

static const struct {
	const char *label, *path;
} rows[] = {
	{"old sessions: packets delivered", "old_sessions.packets"},
	{"old sessions: extra hops per packet", "old_sessions.extra_hops_per_packet"},
	{"old sessions: tunnels per packet", "old_sessions.tunnels_per_packet"},
	{"old sessions: delay via anchor / direct", "old_sessions.delay_ratio"},
	{"new sessions: tunnels per packet", "new_sessions.tunnels_per_packet"},
	{"tunnels alive: mean", "tunnels_alive.mean"},
	{"tunnels alive: max", "tunnels_alive.max"},
	{"tunnels alive: at the end", "tunnels_alive.end"},
	{"signalling: Mobility Header messages", "signalling.mobility_header"},
	{"signalling: route announcements", "signalling.announcements"},
	{"signalling: route withdrawals", "signalling.withdrawals"},
	{"relocations", "signalling.relocations"},
	{"relocations started by a drain", "signalling.drained"},
	{"failure: sessions at risk", "failure.sessions_at_risk"},
	{"failure: sessions that survived", "failure.sessions_survived"},
	{"failure: of them, still routed to it", "failure.still_routed_to_it"},
	{"failure: of those, survived", "failure.still_routed_survived"},
	{"failure: their interruption mean (s)", "failure.interruption_mean_s"},
	{"failure: their interruption max (s)", "failure.interruption_max_s"},
	{"downlink packets delivered", "downlink.delivered"},
};

int emu_report_reloc(struct emu *a, struct emu *b, FILE *out, enum emu_format fmt)
{
	json_t *ja = emu_reloc_json(a), *jb = emu_reloc_json(b);

	if (!ja || !jb) {
		json_decref(ja);
		json_decref(jb);
		return -1;
	}
	if (fmt == EMU_FMT_JSON) {
		json_t *r = json_pack("{s:s,s:o,s:o}", "scenario", a->cfg.name, "relocation_off", ja,
				      "relocation_on", jb);

		json_dumpf(r, out, JSON_INDENT(1) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
		fputc('\n', out);
		json_decref(r);
		return 0;
	}
	fprintf(out, "%s: relocation off and on (routing convergence %.3f s, relocate after %.3f s)\n",
		a->cfg.name, (double)b->reloc.convergence / 1e9, (double)b->reloc.after / 1e9);
	fprintf(out, "  %-40s %14s %14s\n", "", "off", "on");
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		line(out, rows[i].label, ja, jb, rows[i].path);
	json_decref(ja);
	json_decref(jb);
	return 0;
}
