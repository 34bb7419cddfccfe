/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Which sessions need mobility (RFC 7429 GAP2-1, GAP2-3): when a serving
 * MAAR releases an old (tunnelled) prefix. A scenario with MAARs and
 *
 *   "release": {"mode": "sessions" | "idle", "grace": "1s", "sample": "250ms", "compare": true}
 *
 * runs the MAARs' GAP2-1 rule (core/role/maar.c: an old prefix whose
 * intents were not active for idle_release is released) fed in one of
 * two ways:
 *
 *   idle      the data plane's packet counters, as before: a prefix goes
 *             idle_release after its last packet, whatever the sessions;
 *             a session that stays open but quiet (a long idle TCP
 *             connection) loses its address, and stray packets after the
 *             last session keep the prefix;
 *   sessions  the MAARs' release_by_sessions (core/role/maar_sess.c):
 *             every `sample` each MAAR hears how many sessions use each
 *             old prefix tunnelled there (dmm_maar_sessions(), as dmmd
 *             does from the connection tracking), whatever the packets;
 *             idle_release is then `grace`, so the prefix goes soon after
 *             its last session closes, and never while one is open.
 *
 * Sampled every `sample` between events (none added): tunnels alive, and
 * the old prefixes held by attached MNs without any session, with how
 * long each has been without one. Sessions may go quiet (the scenario's
 * sessions "quiet_fraction" and "quiet_after") or be followed by stray
 * downlink packets ("stray_after_end"), see mn.c.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "dmm/fmt.h"
#include "emu.h"

#define NONE UINT32_MAX

struct emu_relm {
	bool sessions, compare;
	dmm_time_t grace, every, next, idle_release; /* idle_release: the scenario's */
	uint64_t samples, held, feeds;
	dmm_time_t held_max;
	double tunnels_sum;
};

static int dur(json_t *o, const char *key, dmm_time_t *out)
{
	json_t *v = json_object_get(o, key);

	if (!v)
		return 0;
	return json_is_string(v) ? emu_parse_duration(json_string_value(v), out) : -1;
}

int emu_release_load(struct emu *e, void *root, char *err, size_t errlen)
{
	json_t *o = json_object_get(root, "release");
	const char *mode;
	struct emu_relm *r;

	if (!o || e->variant != EMU_VAR_DMM)
		return 0;
	mode = json_string_value(json_object_get(o, "mode"));
	if (!json_is_object(o) || (mode && strcmp(mode, "sessions") && strcmp(mode, "idle"))) {
		snprintf(err, errlen, "release: an object; mode: sessions or idle");
		return -1;
	}
	r = calloc(1, sizeof(*r));
	if (!r) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	e->relm = r;
	r->sessions = !mode || strcmp(mode, "sessions") == 0;
	r->compare = json_is_true(json_object_get(o, "compare"));
	r->grace = DMM_SECOND;
	r->every = 250 * DMM_MSEC;
	if (dur(o, "grace", &r->grace) || dur(o, "sample", &r->every) || !r->every || !r->grace) {
		snprintf(err, errlen, "release: grace and sample: durations above 0");
		return -1;
	}
	r->next = r->every;
	r->idle_release = e->cfg.idle_release;
	emu_release_mode(e, r->sessions);
	return 0;
}

void emu_release_mode(struct emu *e, bool sessions)
{
	if (!e->relm)
		return;
	e->relm->sessions = sessions;
	/* The MAARs' idle rule, fed by the sessions: released grace after the last one closes. */
	e->cfg.idle_release = sessions ? e->relm->grace : e->relm->idle_release;
}

void emu_release_free(struct emu *e)
{
	free(e->relm);
	e->relm = NULL;
}

bool emu_release_by_sessions(const struct emu *e)
{
	return e->relm && e->relm->sessions;
}

bool emu_release_compare(const struct emu *e)
{
	return e->relm && e->relm->compare;
}

/*
 * Sessions mode: what dmmd does with the connection tracking. Each MAAR
 * hears, for each old prefix tunnelled there, how many sessions of its
 * MN use it (dmm_maar_sessions); one with a session is kept idle_release
 * (the grace) more.
 */
static void feed(struct emu *e, struct emu_relm *r)
{
	for (uint32_t i = 0; i < e->nmns; i++) {
		const struct emu_mn *m = &e->mns[i];
		struct emu_node *n = m->mag >= 0 ? &e->nodes[m->mag] : NULL;

		if (!n || !n->maar || n->dead)
			continue;
		for (unsigned k = 0; k < m->npfx; k++)
			if (m->pfx[k].active && m->pfx[k].anchor != n->idx &&
			    dmm_maar_sessions(n->maar, &m->pfx[k].p, m->pfx[k].active, e->eng.now) == 0)
				r->feeds++;
	}
}

/* The old prefixes attached MNs hold without a session, and how long they have been without one. */
static void measure(struct emu *e, struct emu_relm *r)
{
	for (uint32_t i = 0; i < e->nmns; i++) {
		const struct emu_mn *m = &e->mns[i];

		/* Registered here: until then the prefixes are the last attachment's (its idle clocks restart). */
		if (m->mag < 0 || !e->nodes[m->mag].maar || !m->registered || !m->reg_seen)
			continue;
		for (unsigned k = 0; k < m->npfx; k++) {
			const struct emu_mn_pfx *p = &m->pfx[k];

			if (p->anchor == NONE || p->anchor == (uint32_t)m->mag || p->active)
				continue;
			r->held++;
			if (r->next - p->idle_from > r->held_max)
				r->held_max = r->next - p->idle_from;
		}
	}
	r->tunnels_sum += e->encap_now;
	r->samples++;
}

void emu_release_tick(struct emu *e)
{
	struct emu_relm *r = e->relm;

	while (r->next <= e->eng.now && r->next < e->cfg.duration) {
		if (r->sessions)
			feed(e, r);
		measure(e, r);
		r->next += r->every;
	}
}

static double r6(double v)
{
	return (double)(int64_t)(v * 1e6 + (v >= 0 ? 0.5 : -0.5)) / 1e6;
}

void *emu_release_json(struct emu *e)
{
	struct emu_relm *r = e->relm;
	double ns = r->samples ? (double)r->samples : 1;
	/* sessions: the last feed, grace, the next idle check, the sample that sees it */
	dmm_time_t bound = r->every + r->grace + e->cfg.idle_check + r->every + 2 * e->max_any_delay;
	uint64_t with_active = 0;

	for (uint32_t i = 0; i < e->nrel; i++)
		with_active += e->rel[i].active > 0;
	return json_pack(
		"{s:s,s:f,s:f,s:I,s:f,s:f,s:f,s:I,s:I,s:I,s:f}", "mode", r->sessions ? "sessions" : "idle",
		"idle_release_s", (double)e->cfg.idle_release / 1e9, "sample_every_s", (double)r->every / 1e9,
		"samples", (json_int_t)r->samples, "held_without_sessions_mean", r6((double)r->held / ns),
		"held_without_sessions_max_s", r6((double)r->held_max / 1e9), "sessions_bound_s",
		r6((double)bound / 1e9), "released", (json_int_t)e->nrel, "released_with_open_sessions",
		(json_int_t)with_active, "session_reports", (json_int_t)r->feeds, "tunnels_alive_mean",
		r6(r->tunnels_sum / ns));
}

static const struct emu_row rel_rows[] = {
	{"prefix released this long after the last packet/session (s)", "idle_release_s", "%.3f"},
	{"tunnels alive (ENCAP intents, mean)", "tunnels_alive_mean", "%.2f"},
	{"old prefixes held without a session (mean)", "held_without_sessions_mean", "%.3f"},
	{"longest an old prefix was held without one (s)", "held_without_sessions_max_s", "%.3f"},
	{"prefixes released", "released", "%.0f"},
	{"released while a session was open", "released_with_open_sessions", "%.0f"},
};

int emu_report_release(struct emu *a, struct emu *b, FILE *out, enum emu_format fmt)
{
	json_t *ra = emu_release_json(a), *rb = emu_release_json(b);
	json_t *root = json_pack("{s:s,s:I,s:o,s:o}", "scenario", a->cfg.name, "seed", (json_int_t)a->seed,
				 "idle", ra, "sessions", rb);

	if (fmt == EMU_FMT_JSON) {
		emu_print_json(out, root);
	} else {
		fprintf(out,
			"release of old prefixes (GAP2-1): %s, seed %llu, %u MNs; idle timer against "
			"sessions\n",
			a->cfg.name, (unsigned long long)a->seed, a->nmns);
		emu_print_rows2(out, rel_rows, sizeof(rel_rows) / sizeof(rel_rows[0]), ra, rb, 56, 12,
				"idle timer", "sessions");
	}
	json_decref(root);
	return 0;
}
