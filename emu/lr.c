/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Localized routing (RFC 6705), modelled on the run's state. MNs talk in
 * pairs (MN 2k-1 with MN 2k, a constant-rate flow each way) from the
 * address of their oldest prefix, so each packet goes, without localized
 * routing, from the sender's access router up its tunnel to the anchor
 * of its prefix, across to the anchor of the peer's prefix, and down
 * that anchor's tunnel to the peer's access router (RFC 5213 §6.10.3).
 * With localized routing, two MNs attached to the same access router
 * are routed there (RFC 6705 §6.1 and §6.2 for one LMA, §6.3 and §6.4
 * for two), once the MAG is registered for both and has had the
 * Localized Routing Initiation and Acknowledgement from their anchors:
 * the later attach, plus a PBU/PBA round trip and an LRI/LRA round trip
 * to the farther anchor. When either moves away the flow falls back to
 * the tunnels at once (its registration at the new MAG is the PBU that
 * ends the localized state, RFC 6705 §6.6).
 *
 *   "localized_routing": {"sample": "100ms", "compare": true}
 *
 * Sampled every `sample` between events (none added): per pair and
 * direction, hops and delay via the anchors against the direct path,
 * tunnels crossed, with and without localized routing, from the same
 * state (the flows do not change the mobility or the bindings: one run
 * gives both). Reported: extra hops per packet, hop and delay ratios,
 * tunnels crossed per packet, the share of packets routed locally, and
 * the pair-samples where localized routing would be worse (never).
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "emu.h"

#define NONE UINT32_MAX

/* Path figures of one way of routing the pairs' packets. */
struct lr_way {
	double hops, direct_hops, delay, direct_delay, tunnels;
	uint64_t packets, local;
};

struct emu_lr {
	bool compare;
	dmm_time_t every, next;
	struct lr_way way[2]; /* [0] without, [1] with localized routing */
	uint64_t pair_samples, colocated, colocated_two_anchors, worse;
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

/* One packet from access router g through anchors a and b to access router h, or locally at g; its hops. */
static uint32_t add(struct emu *e, struct lr_way *w, uint32_t g, uint32_t a, uint32_t b, uint32_t h,
		    bool local)
{
	uint32_t hops = emu_path_hops(e, g, a) + emu_path_hops(e, a, b) + emu_path_hops(e, b, h);

	w->packets++;
	w->direct_hops += emu_path_hops(e, g, h);
	w->direct_delay += (double)emu_path_delay(e, g, h);
	if (local) {
		w->local++;
		return 0;
	}
	w->hops += hops;
	w->delay += (double)(emu_path_delay(e, g, a) + emu_path_delay(e, a, b) + emu_path_delay(e, b, h));
	w->tunnels += (g != a) + (b != h);
	return hops;
}

/* When the MAG routes the pair locally: registered for both, then LRI/LRA with the farther anchor. */
static dmm_time_t lr_from(struct emu *e, const struct emu_mn *x, const struct emu_mn *y, uint32_t g,
			  uint32_t a, uint32_t b)
{
	dmm_time_t d = emu_path_delay(e, g, a) > emu_path_delay(e, g, b) ? emu_path_delay(e, g, a)
									 : emu_path_delay(e, g, b);
	dmm_time_t at = x->attached_at > y->attached_at ? x->attached_at : y->attached_at;

	return at + 4 * d;
}

static void pair(struct emu *e, struct emu_lr *l, const struct emu_mn *x, const struct emu_mn *y)
{
	uint32_t a = emu_mn_anchor(e, x), b = emu_mn_anchor(e, y), g, h;
	bool local;

	if (x->mag < 0 || y->mag < 0 || !x->registered || !y->registered || a == NONE || b == NONE)
		return;
	g = (uint32_t)x->mag;
	h = (uint32_t)y->mag;
	l->pair_samples++;
	local = g == h && l->next >= lr_from(e, x, y, g, a, b);
	if (g == h) {
		l->colocated++;
		l->colocated_two_anchors += a != b;
	}
	/* Both directions: x to y through a then b, y to x through b then a; each packet compared. */
	l->worse += add(e, &l->way[1], g, a, b, h, local) > add(e, &l->way[0], g, a, b, h, false);
	l->worse += add(e, &l->way[1], h, b, a, g, local) > add(e, &l->way[0], h, b, a, g, false);
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

static json_t *way_json(const struct lr_way *w, const struct emu_lr *l)
{
	double n = w->packets ? (double)w->packets : 1;

	return json_pack("{s:I,s:f,s:f,s:f,s:f,s:f,s:f,s:f,s:f,s:f}", "packets", (json_int_t)w->packets,
			 "hops_per_packet", r6(w->hops / n), "direct_hops_per_packet", r6(w->direct_hops / n),
			 "extra_hops_per_packet", r6((w->hops - w->direct_hops) / n), "hop_ratio",
			 w->direct_hops > 0 ? r6(w->hops / w->direct_hops) : 0.0, "delay_ms_per_packet",
			 r6(w->delay / n / 1e6), "delay_ratio",
			 w->direct_delay > 0 ? r6(w->delay / w->direct_delay) : 0.0, "tunnels_per_packet",
			 r6(w->tunnels / n), "routed_locally_share", r6((double)w->local / n),
			 "tunnels_alive_mean",
			 l->tunnels_alive_n ? r6(l->tunnels_alive_sum / (double)l->tunnels_alive_n) : 0.0);
}

void *emu_lr_json(struct emu *e)
{
	struct emu_lr *l = e->lr;

	return json_pack("{s:f,s:I,s:I,s:I,s:I,s:I,s:o,s:o}", "sample_every_s", (double)l->every / 1e9,
			 "pairs", (json_int_t)(e->nmns / 2), "pair_samples", (json_int_t)l->pair_samples,
			 "colocated_pair_samples", (json_int_t)l->colocated, "colocated_with_two_anchors",
			 (json_int_t)l->colocated_two_anchors, "localized_worse", (json_int_t)l->worse,
			 "without", way_json(&l->way[0], l), "with", way_json(&l->way[1], l));
}

static const struct {
	const char *label, *key, *fmt;
} lr_rows[] = {
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
};

int emu_report_lr(struct emu *e, FILE *out, enum emu_format fmt)
{
	json_t *r = emu_lr_json(e), *w0 = json_object_get(r, "without"), *w1 = json_object_get(r, "with");

	if (fmt == EMU_FMT_JSON) {
		char *s = json_dumps(r, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(12));

		if (s)
			fprintf(out, "%s\n", s);
		free(s);
		json_decref(r);
		return 0;
	}
	fprintf(out,
		"localized routing (RFC 6705): %s, seed %llu, %u pairs of MNs talking, sampled every %.3f s; "
		"%.0f "
		"pair-samples, %.0f co-located (%.0f with two anchors)\n",
		e->cfg.name, (unsigned long long)e->seed, e->nmns / 2, (double)e->lr->every / 1e9,
		json_number_value(json_object_get(r, "pair_samples")),
		json_number_value(json_object_get(r, "colocated_pair_samples")),
		json_number_value(json_object_get(r, "colocated_with_two_anchors")));
	fprintf(out, "  %-40s %14s %14s\n", "", "without LR", "with LR");
	for (size_t k = 0; k < sizeof(lr_rows) / sizeof(lr_rows[0]); k++) {
		char a[32], b[32];

		snprintf(a, sizeof(a), lr_rows[k].fmt,
			 json_number_value(json_object_get(w0, lr_rows[k].key)));
		snprintf(b, sizeof(b), lr_rows[k].fmt,
			 json_number_value(json_object_get(w1, lr_rows[k].key)));
		fprintf(out, "  %-40s %14s %14s\n", lr_rows[k].label, a, b);
	}
	json_decref(r);
	return 0;
}
