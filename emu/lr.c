/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Localized routing (RFC 6705) as the MAGs and LMAs run it: a scenario's
 *
 *   "localized_routing": {"sample": "100ms", "compare": true, "on": true, "a11": false}
 *
 * turns on the MAGs' scenario A12 (core/role/mag_lr.c: a registered MN is
 * paired with every MN at the same MAG anchored at another LMA, both
 * LMAs get an LRI, and with both LRAs the MAG installs DMM_FM_LOCAL
 * intents; they go when either MN leaves, RFC 6705 §7.1) and the LMAs'
 * policy (lma_lr.c), or leaves both off. With "a11": true, also scenario
 * A11 (RFC 6705 §5): the LMAs initiate for any two of their MNs at one
 * MAG (lma_lr.c, no prefix pairs) and the MAGs take those LRIs
 * (EnableMAGLocalRouting). Off by default: the LMA pairs every two MNs
 * at a MAG, not only those that talk, and those pairs share the MAG's
 * table (32) with the A12 pairs.
 *
 * MNs talk in pairs (MN 2k-1 with MN 2k, a flow each way) from the
 * address of their oldest prefix. At each sample, between events (none
 * is added), each direction is routed at the sender's MAG when it has a
 * DMM_FM_LOCAL intent for it (emu_dp_local), else up the sender's tunnel
 * to the anchor of its prefix, across to the peer's anchor and down its
 * tunnel (RFC 5213 §6.10.3). Reported: hops, delay and tunnels per packet
 * against the direct path, the share routed locally, local routes while
 * the pair is apart (never), and the MAGs' counters and LRI/LRA messages.
 * --localized-routing compare runs it off and on, on the same traces.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "emu.h"

#define NONE UINT32_MAX

/* Path figures of the pairs' packets. */
struct lr_way {
	double hops, direct_hops, delay, direct_delay, tunnels;
	uint64_t packets, local;
};

struct emu_lr {
	bool compare, on, a11;
	dmm_time_t every, next;
	struct lr_way way;
	uint64_t pair_samples, colocated, colocated_two_anchors, local_not_colocated;
	double tunnels_alive_sum;
	uint64_t tunnels_alive_n;
};

int emu_lr_load(struct emu *e, void *root, char *err, size_t errlen)
{
	json_t *o = json_object_get(root, "localized_routing"), *v;
	struct emu_lr *l;

	if (!o)
		return 0;
	if (!json_is_object(o)) {
		snprintf(err, errlen, "localized_routing: must be an object");
		return -1;
	}
	l = calloc(1, sizeof(*l));
	if (!l) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	e->lr = l;
	l->every = 100 * DMM_MSEC;
	l->compare = json_is_true(json_object_get(o, "compare"));
	l->on = !json_is_false(json_object_get(o, "on"));
	l->a11 = json_is_true(json_object_get(o, "a11"));
	v = json_object_get(o, "sample");
	if (v && (!json_is_string(v) || emu_parse_duration(json_string_value(v), &l->every) || !l->every)) {
		snprintf(err, errlen, "localized_routing.sample: a duration above 0");
		return -1;
	}
	l->next = l->every;
	return 0;
}

void emu_lr_free(struct emu *e)
{
	free(e->lr);
	e->lr = NULL;
}

bool emu_lr_compare(const struct emu *e)
{
	return e->lr && e->lr->compare;
}

bool emu_lr_on(const struct emu *e)
{
	return e->lr && e->lr->on;
}

bool emu_lr_a11(const struct emu *e)
{
	return emu_lr_on(e) && e->lr->a11;
}

void emu_lr_set(struct emu *e, bool on)
{
	if (e->lr)
		e->lr->on = on;
}

/* One packet from access router g through anchors a and b to access router h, or locally at g. */
static void add(struct emu *e, struct lr_way *w, uint32_t g, uint32_t a, uint32_t b, uint32_t h, bool local)
{
	w->packets++;
	w->direct_hops += emu_path_hops(e, g, h);
	w->direct_delay += (double)emu_path_delay(e, g, h);
	if (local) {
		w->local++;
		return;
	}
	w->hops += emu_path_hops(e, g, a) + emu_path_hops(e, a, b) + emu_path_hops(e, b, h);
	w->delay += (double)(emu_path_delay(e, g, a) + emu_path_delay(e, a, b) + emu_path_delay(e, b, h));
	w->tunnels += (g != a) + (b != h);
}

/* Does x's access router route x's packets to y's address locally (its DMM_FM_LOCAL intents)? */
static bool local_at(struct emu *e, const struct emu_mn *x, const struct emu_mn_pfx *py)
{
	return e->lr->on && emu_dp_local(e, &e->nodes[x->mag], x->idx, &py->p.addr);
}

static void pair(struct emu *e, struct emu_lr *l, const struct emu_mn *x, const struct emu_mn *y)
{
	const struct emu_mn_pfx *px = emu_mn_oldest(e, x), *py = emu_mn_oldest(e, y);
	uint32_t g, h;
	bool xy, yx;

	if (x->mag < 0 || y->mag < 0 || !x->registered || !y->registered || !px || !py)
		return;
	g = (uint32_t)x->mag;
	h = (uint32_t)y->mag;
	xy = local_at(e, x, py);
	yx = local_at(e, y, px);
	l->pair_samples++;
	if (g == h) {
		l->colocated++;
		l->colocated_two_anchors += px->anchor != py->anchor;
	} else {
		l->local_not_colocated += xy + yx; /* a stale intent: the MAG must drop it when one leaves */
		xy = yx = false;
	}
	/* Both directions: x to y through x's anchor then y's, and back. */
	add(e, &l->way, g, px->anchor, py->anchor, h, xy);
	add(e, &l->way, h, py->anchor, px->anchor, g, yx);
}

void emu_lr_tick(struct emu *e)
{
	struct emu_lr *l = e->lr;

	while (l->next <= e->eng.now && l->next < e->cfg.duration) {
		for (uint32_t i = 0; i + 1 < e->nmns; i += 2)
			pair(e, l, &e->mns[i], &e->mns[i + 1]);
		l->tunnels_alive_sum += e->encap_now;
		l->tunnels_alive_n++;
		l->next += l->every;
	}
}

static double r6(double v)
{
	return (double)(int64_t)(v * 1e6 + (v >= 0 ? 0.5 : -0.5)) / 1e6;
}

/* The MAGs' localized routing counters, summed. */
static struct dmm_mag_lr_counters mag_counters(struct emu *e)
{
	struct dmm_mag_lr_counters t;

	memset(&t, 0, sizeof(t));
	for (uint32_t i = 0; i < e->nnodes; i++)
		if (e->nodes[i].mag) {
			const struct dmm_mag_lr_counters *c = dmm_mag_lr_counters(e->nodes[i].mag);

			t.started += c->started;
			t.ended += c->ended;
			t.refused += c->refused;
			t.no_answer += c->no_answer;
			t.table_full += c->table_full;
			t.lri_taken += c->lri_taken;
		}
	return t;
}

void *emu_lr_json(struct emu *e)
{
	struct emu_lr *l = e->lr;
	const struct lr_way *w = &l->way;
	double n = w->packets ? (double)w->packets : 1;
	struct dmm_mag_lr_counters c = mag_counters(e);
	json_t *j;

	j = json_pack("{s:b,s:f,s:I,s:I,s:I,s:I,s:I}", "on", l->on, "sample_every_s", (double)l->every / 1e9,
		      "pairs", (json_int_t)(e->nmns / 2), "pair_samples", (json_int_t)l->pair_samples,
		      "colocated_pair_samples", (json_int_t)l->colocated, "colocated_with_two_anchors",
		      (json_int_t)l->colocated_two_anchors, "local_not_colocated",
		      (json_int_t)l->local_not_colocated);
	json_object_update_new(
		j,
		json_pack("{s:I,s:f,s:f,s:f,s:f,s:f,s:f,s:f,s:f,s:f}", "packets", (json_int_t)w->packets,
			  "hops_per_packet", r6(w->hops / n), "direct_hops_per_packet",
			  r6(w->direct_hops / n), "extra_hops_per_packet", r6((w->hops - w->direct_hops) / n),
			  "hop_ratio", w->direct_hops > 0 ? r6(w->hops / w->direct_hops) : 0.0,
			  "delay_ms_per_packet", r6(w->delay / n / 1e6), "delay_ratio",
			  w->direct_delay > 0 ? r6(w->delay / w->direct_delay) : 0.0, "tunnels_per_packet",
			  r6(w->tunnels / n), "routed_locally_share", r6((double)w->local / n),
			  "tunnels_alive_mean",
			  l->tunnels_alive_n ? r6(l->tunnels_alive_sum / (double)l->tunnels_alive_n) : 0.0));
	json_object_update_new(
		j, json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "lr_messages",
			     (json_int_t)(e->mh_by_type[17] + e->mh_by_type[18]), "mh_messages",
			     (json_int_t)e->mh_total, "pairs_started", (json_int_t)c.started, "pairs_ended",
			     (json_int_t)c.ended, "pairs_refused", (json_int_t)c.refused, "pairs_no_answer",
			     (json_int_t)c.no_answer, "pairs_table_full", (json_int_t)c.table_full));
	json_object_set_new(j, "pairs_lma_initiated", json_integer((json_int_t)c.lri_taken));
	return j;
}

static const struct emu_row lr_rows[] = {
	{"packets (pair-samples x 2)", "packets", "%.0f"},
	{"hops per packet", "hops_per_packet", "%.4f"},
	{"direct hops per packet", "direct_hops_per_packet", "%.4f"},
	{"extra hops per packet", "extra_hops_per_packet", "%.4f"},
	{"hops via anchors / direct", "hop_ratio", "%.4f"},
	{"delay per packet (ms)", "delay_ms_per_packet", "%.4f"},
	{"delay via anchors / direct", "delay_ratio", "%.4f"},
	{"tunnels crossed per packet", "tunnels_per_packet", "%.4f"},
	{"routed locally (share of packets)", "routed_locally_share", "%.4f"},
	{"tunnels alive (ENCAP intents, mean)", "tunnels_alive_mean", "%.2f"},
	{"pairs localized at a MAG (LRA from both)", "pairs_started", "%.0f"},
	{"pairs the MAG had no room for", "pairs_table_full", "%.0f"},
	{"LRIs of an LMA taken (A11, §5)", "pairs_lma_initiated", "%.0f"},
	{"LRI and LRA messages", "lr_messages", "%.0f"},
	{"Mobility Header messages in all", "mh_messages", "%.0f"},
};

int emu_report_lr(struct emu *a, struct emu *b, FILE *out, enum emu_format fmt)
{
	json_t *w0 = emu_lr_json(a), *w1 = emu_lr_json(b);
	json_t *r = json_pack("{s:s,s:I,s:o,s:o}", "scenario", a->cfg.name, "seed", (json_int_t)a->seed,
			      "without", w0, "with", w1);

	if (fmt == EMU_FMT_JSON) {
		emu_print_json(out, r);
		json_decref(r);
		return 0;
	}
	fprintf(out,
		"localized routing (RFC 6705 §7, the MAGs'): %s, seed %llu, %u pairs of MNs talking, sampled "
		"every "
		"%.3f s; %.0f pair-samples, %.0f co-located (%.0f with two anchors)\n",
		a->cfg.name, (unsigned long long)a->seed, a->nmns / 2, (double)a->lr->every / 1e9,
		json_number_value(json_object_get(w0, "pair_samples")),
		json_number_value(json_object_get(w0, "colocated_pair_samples")),
		json_number_value(json_object_get(w0, "colocated_with_two_anchors")));
	emu_print_rows2(out, lr_rows, sizeof(lr_rows) / sizeof(lr_rows[0]), w0, w1, 42, 14, "without LR",
			"with LR");
	json_decref(r);
	return 0;
}
