/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The report: handover latencies (attach -> PBA at the new MAG, attach ->
 * first downlink packet), packets lost per handover, signalling per
 * handover, bindings per anchor, path stretch through the anchor, kills
 * and their detection, and the end-of-run registration check. Every
 * figure here is a function of the scenario and the seed; wall time is
 * printed by main.c outside this report.
 */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dmm/fmt.h"
#include "dmm/mh.h"
#include "emu.h"

void emu_dist_add(struct emu_dist *d, double v)
{
	if (d->n == d->cap) {
		double *nv = emu_grow(d->v, &d->cap, sizeof(*nv), 256);

		if (!nv)
			return;
		d->v = nv;
	}
	d->v[d->n++] = v;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

struct summary {
	size_t n;
	double min, mean, median, p95, max;
};

/* Nearest-rank percentiles; values are scaled by 'scale' (ns -> ms: 1e-6). */
static struct summary summarize(struct emu_dist *d, double scale)
{
	struct summary s = {0};
	double sum = 0;

	s.n = d->n;
	if (!d->n)
		return s;
	qsort(d->v, d->n, sizeof(double), cmp_double);
	for (size_t i = 0; i < d->n; i++)
		sum += d->v[i];
	s.min = d->v[0] * scale;
	s.max = d->v[d->n - 1] * scale;
	s.mean = sum / (double)d->n * scale;
	s.median = d->v[(size_t)ceil(0.5 * (double)d->n) - 1] * scale;
	s.p95 = d->v[(size_t)ceil(0.95 * (double)d->n) - 1] * scale;
	return s;
}

/* Round to 1 ns (or 1e-6 of the unit) so that the text stays short. */
static double r6(double v)
{
	return round(v * 1e6) / 1e6;
}

static json_t *summary_json(const struct summary *s)
{
	return json_pack("{s:I,s:f,s:f,s:f,s:f,s:f}", "n", (json_int_t)s->n, "min", r6(s->min), "mean",
			 r6(s->mean), "median", r6(s->median), "p95", r6(s->p95), "max", r6(s->max));
}

static uint32_t lost_in(const struct emu_mn *m, uint32_t from, uint32_t to)
{
	uint32_t lost = 0;

	for (uint32_t id = from; id < to; id++)
		if (id / 64 >= m->dl_seen_words || !(m->dl_seen[id / 64] >> (id % 64) & 1))
			lost++;
	return lost;
}

/* The report's names of the MH types (the emulator counts PBUs and PBAs). */
static const char *const mh_names[32] = {
	[DMM_MH_BU] = "PBU",  [DMM_MH_BA] = "PBA", [DMM_MH_BE] = "BE",
	[DMM_MH_HB] = "HB",   [DMM_MH_BR] = "BR",  [DMM_MH_UPN] = "UPN",
	[DMM_MH_UPA] = "UPA", [DMM_MH_HI] = "HI",  [DMM_MH_HACK] = "HAck",
};

static void hb_params(struct emu *e, const struct emu_node *n, dmm_time_t *interval, unsigned *allowed)
{
	struct dmm_mag_cfg d;

	dmm_mag_cfg_defaults(&d);
	*interval = n->hb_interval	 ? n->hb_interval
		    : e->cfg.hb_interval ? e->cfg.hb_interval
					 : d.heartbeat_interval;
	*allowed = n->missing_allowed >= 0	 ? (unsigned)n->missing_allowed
		   : e->cfg.missing_allowed >= 0 ? (unsigned)e->cfg.missing_allowed
						 : d.missing_heartbeats_allowed;
}

static double sec(dmm_time_t t)
{
	return r6((double)t / 1e9);
}

static json_t *flow_json(const struct emu_flow_stats *f)
{
	uint64_t lost = f->lost_link + f->lost_not_attached + f->lost_no_intent + f->lost_drop +
			f->lost_buffer_full + f->lost_dead + f->lost_no_route + f->lost_no_decap;
	uint64_t in_flight = f->sent - f->delivered - lost;

	return json_pack("{s:I,s:I,s:I,s:I,s:f,s:{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}}", "sent",
			 (json_int_t)f->sent, "delivered", (json_int_t)f->delivered, "lost", (json_int_t)lost,
			 "in_flight_at_end", (json_int_t)in_flight, "mean_delay_ms",
			 f->delivered ? r6((double)f->delay_sum / (double)f->delivered / 1e6) : 0.0,
			 "lost_by_cause", "link", (json_int_t)f->lost_link, "not_attached",
			 (json_int_t)f->lost_not_attached, "no_intent", (json_int_t)f->lost_no_intent,
			 "drop_intent", (json_int_t)f->lost_drop, "buffer_full",
			 (json_int_t)f->lost_buffer_full, "dead_node", (json_int_t)f->lost_dead, "no_route",
			 (json_int_t)f->lost_no_route, "no_decap", (json_int_t)f->lost_no_decap);
}

static json_t *stretch_json(const struct emu_stretch *st)
{
	double n = st->n ? (double)st->n : 1;

	return json_pack("{s:I,s:f,s:f,s:f,s:f,s:f,s:f}", "packets", (json_int_t)st->n, "hops_via_anchor",
			 r6(st->hops_anchor / n), "hops_direct", r6(st->hops_direct / n), "hop_ratio",
			 st->hops_direct > 0 ? r6(st->hops_anchor / st->hops_direct) : 0.0,
			 "delay_via_anchor_ms", r6(st->delay_anchor / n / 1e6), "delay_direct_ms",
			 r6(st->delay_direct / n / 1e6), "delay_ratio_mean", r6(st->ratio_sum / n));
}

static json_t *sessions_json(struct emu *e)
{
	uint64_t dl_sent = 0, dl_got = 0, ul_sent = 0, ul_got = 0, active = 0, none = 0, on_old = 0;

	for (uint32_t i = 0; i < e->nsess; i++) {
		const struct emu_sess *s = &e->sess[i];

		dl_sent += s->dl_next;
		dl_got += s->dl_delivered;
		ul_sent += s->ul_next;
		ul_got += s->ul_delivered;
		active += s->active;
		none += s->dl_delivered == 0 && s->ul_delivered == 0 && (s->dl_next > 0 || s->ul_next > 0);
		on_old += s->attach_seq != e->mns[s->mn - 1].attach_seq;
	}
	return json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:f,s:o,s:o}", "started", (json_int_t)e->nsess,
			 "no_address", (json_int_t)e->sess_no_address, "active_at_end", (json_int_t)active,
			 "from_an_earlier_attachment_at_end", (json_int_t)on_old, "nothing_delivered",
			 (json_int_t)none, "downlink_sent", (json_int_t)dl_sent, "downlink_delivered",
			 (json_int_t)dl_got, "uplink_sent", (json_int_t)ul_sent, "uplink_delivered",
			 (json_int_t)ul_got, "delivered_ratio",
			 dl_sent + ul_sent ? r6((double)(dl_got + ul_got) / (double)(dl_sent + ul_sent))
					   : 0.0,
			 "stretch_new_sessions", stretch_json(&e->stretch_cls[0]), "stretch_old_sessions",
			 stretch_json(&e->stretch_cls[1]));
}

/*
 * GAP2-1 as the MNs saw it. A release is late when it came more than
 * idle_release + idle_check + twice the largest path delay (packets in
 * flight when the last session ended) after the prefix went idle. At the
 * end, a released prefix must be free in its anchor's pool, or held by
 * another MN (handed out again); a prefix still bound to the same MN at
 * its anchor was not given back.
 */
static json_t *releases_json(struct emu *e)
{
	dmm_time_t bound = e->cfg.idle_release + e->cfg.idle_check + 2 * e->max_any_delay + DMM_MSEC,
		   worst = 0;
	uint64_t late = 0, active = 0, kept = 0, checked = 0;

	for (uint32_t i = 0; i < e->nrel; i++) {
		const struct emu_release *r = &e->rel[i];
		struct emu_node *a = r->anchor != UINT32_MAX ? &e->nodes[r->anchor] : NULL;

		if (r->active)
			active++;
		else if (r->lag > bound)
			late++;
		if (!r->active && r->lag > worst)
			worst = r->lag;
		/* Give the anchor a second (and the CMD's PBU its path) before looking. */
		if (a && a->maar && !a->dead && r->at + DMM_SECOND + 2 * e->max_any_delay < e->eng.now) {
			const struct dmm_bcache_entry *b =
				dmm_bcache_find_prefix(dmm_maar_anchored(a->maar), &r->p);
			struct dmm_mnid id;

			checked++;
			emu_mn_mnid(r->mn, &id);
			if (b && dmm_bce_mnid_eq(b, &id))
				kept++;
			else if (!b && dmm_pool_is_used(dmm_maar_pool(a->maar), &r->p))
				kept++;
		}
	}
	return json_pack("{s:I,s:I,s:I,s:f,s:f,s:I,s:I,s:f,s:f}", "count", (json_int_t)e->nrel,
			 "with_active_sessions", (json_int_t)active, "late", (json_int_t)late, "worst_lag_s",
			 sec(worst), "bound_s", sec(bound), "checked_at_anchor", (json_int_t)checked,
			 "not_returned_to_pool", (json_int_t)kept, "idle_release_s", sec(e->cfg.idle_release),
			 "idle_check_s", sec(e->cfg.idle_check));
}

/* The handovers' figures, gathered in one pass over e->ho. */
struct ho_figures {
	struct emu_dist pba, first, loss, sig, pba_dead, pba_other;
	uint64_t completed, incomplete, lost_total, sig_total;
	json_t *list; /* one row per handover */
};

static json_t *ho_row(struct emu *e, const struct emu_ho *h, uint32_t lost)
{
	json_t *row = json_pack(
		"{s:I,s:s,s:s,s:f,s:f,s:f,s:I}", "mn", (json_int_t)h->mn, "from", e->nodes[h->from].name,
		"to", e->nodes[h->to].name, "detach_s", sec(h->detach), "attach_s", sec(h->attach), "pba_ms",
		r6((double)(h->registered - h->attach) / 1e6), "signalling", (json_int_t)h->sig);

	if (h->has_rx) {
		json_object_set_new(row, "first_packet_ms",
				    json_real(r6((double)(h->first_rx - h->attach) / 1e6)));
		json_object_set_new(row, "lost", json_integer(lost));
	}
	return row;
}

static void ho_collect(struct emu *e, struct ho_figures *f, bool list_handovers)
{
	f->list = json_array();
	for (uint32_t i = 0; i < e->nho; i++) {
		struct emu_ho *h = &e->ho[i];
		struct emu_mn *m = &e->mns[h->mn - 1];
		uint32_t lost = 0;

		f->sig_total += h->sig;
		if (!h->has_attach || !h->has_reg) {
			f->incomplete++;
			continue;
		}
		f->completed++;
		emu_dist_add(&f->pba, (double)(h->registered - h->attach));
		emu_dist_add(h->involves_dead ? &f->pba_dead : &f->pba_other,
			     (double)(h->registered - h->attach));
		emu_dist_add(&f->sig, h->sig);
		if (e->cfg.ses_interval && h->has_rx)
			emu_dist_add(&f->first, (double)(h->first_rx - h->attach));
		if (m->stream && e->cfg.dl_pps > 0 && h->has_rx) {
			emu_dist_add(&f->first, (double)(h->first_rx - h->attach));
			lost = lost_in(m, h->id_detach, h->id_first_rx);
			emu_dist_add(&f->loss, lost);
			f->lost_total += lost;
		}
		if (list_handovers)
			json_array_append_new(f->list, ho_row(e, h, lost));
	}
}

/* o[key] = the summary of d, scaled (summarize() sorts d in place). */
static void set_summary(json_t *o, const char *key, struct emu_dist *d, double scale)
{
	struct summary s = summarize(d, scale);

	json_object_set_new(o, key, summary_json(&s));
}

static json_t *handovers_json(struct emu *e, struct ho_figures *f, bool list_handovers)
{
	json_t *ho = json_object();

	json_object_set_new(ho, "count", json_integer((json_int_t)e->nho));
	json_object_set_new(ho, "completed", json_integer((json_int_t)f->completed));
	json_object_set_new(ho, "incomplete", json_integer((json_int_t)f->incomplete));
	set_summary(ho, "attach_to_pba_ms", &f->pba, 1e-6);
	if (e->nkills) {
		set_summary(ho, "attach_to_pba_ms_prefix_at_dead_node", &f->pba_dead, 1e-6);
		set_summary(ho, "attach_to_pba_ms_others", &f->pba_other, 1e-6);
	}
	set_summary(ho, "attach_to_first_packet_ms", &f->first, 1e-6);
	set_summary(ho, "lost_packets", &f->loss, 1);
	json_object_set_new(ho, "lost_packets_total", json_integer((json_int_t)f->lost_total));
	set_summary(ho, "signalling_messages", &f->sig, 1);
	if (list_handovers)
		json_object_set_new(ho, "list", f->list);
	else
		json_decref(f->list);
	return ho;
}

/* The run as a whole: what ran, for how long, on how many nodes. */
static void header_json(struct emu *e, json_t *root)
{
	json_object_set_new(root, "scenario", json_string(e->cfg.name));
	json_object_set_new(root, "seed", json_integer((json_int_t)e->seed));
	json_object_set_new(root, "virtual_duration_s", json_real(sec(e->eng.now)));
	json_object_set_new(root, "events", json_integer((json_int_t)e->eng.processed));
	json_object_set_new(root, "run",
			    json_string(e->variant == EMU_VAR_DMM    ? "dmm"
					: e->variant == EMU_VAR_PMIP ? "pmipv6"
								     : "as-written"));
	json_object_set_new(root, "nodes", json_integer(e->nnodes));
	json_object_set_new(root, "max_role_path_delay_ms", json_real(r6((double)e->paths.max_delay / 1e6)));
	json_object_set_new(root, "max_path_delay_ms", json_real(r6((double)e->max_any_delay / 1e6)));
	json_object_set_new(root, "mns", json_integer(e->nmns));
}

static json_t *signalling_json(struct emu *e, uint64_t sig_ho_total)
{
	json_t *bytype = json_object();

	for (unsigned t = 0; t < 32; t++) {
		const char *nm = mh_names[t];
		char buf[16];

		if (!e->mh_by_type[t])
			continue;
		if (!nm) {
			snprintf(buf, sizeof(buf), "type%u", t);
			nm = buf;
		}
		json_object_set_new(bytype, nm, json_integer((json_int_t)e->mh_by_type[t]));
	}
	return json_pack("{s:I,s:I,s:o,s:I,s:I,s:I,s:I,s:I,s:I,s:f}", "messages", (json_int_t)e->mh_total,
			 "bytes", (json_int_t)e->mh_bytes, "by_type", bytype, "lost_on_links",
			 (json_int_t)e->mh_lost, "unroutable", (json_int_t)e->mh_unroutable,
			 "to_or_from_dead", (json_int_t)e->mh_to_dead, "naming_no_mn",
			 (json_int_t)e->mh_no_mnid, "before_first_move", (json_int_t)e->mh_initial,
			 "in_handovers", (json_int_t)sig_ho_total, "per_handover",
			 e->nho ? r6((double)sig_ho_total / (double)e->nho) : 0.0);
}

/* Packets counted by the intents of fm (the walk ends at the last one: the table's tail stays untouched). */
static uint64_t intent_packets(const struct dmm_fm *fm)
{
	const struct dmm_intent *in = NULL;
	uint64_t pk = 0;

	for (uint32_t left = dmm_fm_count(fm); left && (in = dmm_fm_next(fm, in)) != NULL; left--)
		pk += in->packets;
	return pk;
}

/* Packets counted by the node's data plane for its live intents (an LMA's table keeps no counters, fm.h). */
static uint64_t dp_packets(const struct emu_node *n)
{
	uint64_t pk = 0;

	for (uint32_t s = 0; s < n->dp.hwm; s++)
		if (n->dp.v[s].id)
			pk += n->dp.v[s].packets;
	return pk;
}

static json_t *lma_json(const struct emu_node *n)
{
	const struct dmm_fm *fm = dmm_role_fm(n->lma);
	const struct dmm_pmip_stats *st = dmm_role_stats(n->lma);
	json_t *j = json_pack("{s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:b}", "name", n->name, "homed",
			      (json_int_t)n->homed, "bindings_end",
			      (json_int_t)dmm_bcache_count(dmm_lma_bcache(n->lma)), "bindings_peak",
			      (json_int_t)n->bindings_peak, "pool_used",
			      (json_int_t)dmm_pool_used(dmm_lma_pool(n->lma)), "initial_registrations",
			      (json_int_t)st->initial_registrations, "handoffs", (json_int_t)st->handoffs,
			      "deregistrations", (json_int_t)st->deregistrations, "intents_end",
			      (json_int_t)dmm_fm_count(fm), "intent_packets_end", (json_int_t)dp_packets(n),
			      "dead", n->dead);

	json_object_set_new(j, "carried",
			    json_pack("{s:I,s:I}", "packets", (json_int_t)n->carried_pkts, "bytes",
				      (json_int_t)n->carried_bytes));
	return j;
}

static json_t *maar_json(const struct emu_node *n)
{
	const struct dmm_fm *fm = dmm_role_fm(n->maar);
	const struct dmm_maar_counters *mc = dmm_maar_counters(n->maar);
	const struct dmm_pmip_stats *st = dmm_role_stats(n->maar);

	return json_pack(
		"{s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:b,"
		"s:{s:I,s:I}}",
		"name", n->name, "serving_end", (json_int_t)dmm_bul_count(dmm_maar_serving(n->maar)),
		"registered_end",
		(json_int_t)dmm_bul_count_state(dmm_maar_serving(n->maar), DMM_BUL_REGISTERED),
		"anchored_end", (json_int_t)dmm_bcache_count(dmm_maar_anchored(n->maar)), "pool_used_end",
		(json_int_t)dmm_pool_used(dmm_maar_pool(n->maar)), "pool_used_peak",
		(json_int_t)n->anchored_peak, "max_anchored", (json_int_t)n->max_anchored, "local_anchors",
		(json_int_t)mc->local_anchors, "remote_anchor_asks", (json_int_t)mc->remote_anchor_asks,
		"prefixes_released", (json_int_t)mc->prefixes_released, "anchors_released",
		(json_int_t)mc->anchors_released, "tunnels_up", (json_int_t)mc->tunnels_up, "tunnels_down",
		(json_int_t)mc->tunnels_down, "pbu_retransmissions", (json_int_t)st->pbu_retransmissions,
		"intents_end", (json_int_t)dmm_fm_count(fm), "dead", n->dead, "carried", "packets",
		(json_int_t)n->carried_pkts, "bytes", (json_int_t)n->carried_bytes);
}

static json_t *cmd_json(struct emu *e, const struct emu_node *n)
{
	const struct dmm_cmd_counters *cc = dmm_cmd_counters(n->cmd);
	const struct dmm_cmd_anchor *an = NULL;
	json_t *tab = json_array();

	while ((an = dmm_cmd_anchor_next(n->cmd, an)) != NULL) {
		struct emu_node *x = emu_node_by_addr(e, &an->addr);

		json_array_append_new(tab, json_pack("{s:s,s:s,s:I,s:I,s:I}", "maar", x ? x->name : "?",
						     "state", dmm_anchor_state_name(an->state),
						     "sessions_in_use", (json_int_t)an->sessions_in_use,
						     "max_sessions", (json_int_t)an->max_sessions, "chosen",
						     (json_int_t)an->chosen));
	}
	return json_pack("{s:s,s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:o}", "name", n->name, "mode",
			 n->cmd_mode == DMM_CMD_RELAY ? "relay" : "proxy", "mns_end",
			 (json_int_t)dmm_bcache_count(dmm_cmd_bcache(n->cmd)), "handovers",
			 (json_int_t)cc->handovers, "pmaar_updates", (json_int_t)cc->pmaar_updates,
			 "pmaar_give_ups", (json_int_t)cc->pmaar_give_ups, "partial_pbas",
			 (json_int_t)cc->partial_pbas, "releases", (json_int_t)cc->releases, "anchor_choices",
			 (json_int_t)cc->anchor_choices, "no_anchor", (json_int_t)cc->no_anchor, "dead",
			 (json_int_t)n->dead, "anchors", tab);
}

static json_t *mag_json(const struct emu_node *n)
{
	const struct dmm_fm *fm = dmm_role_fm(n->mag);
	const struct dmm_bul *bul = dmm_mag_bul(n->mag);
	const struct dmm_pmip_stats *st = dmm_role_stats(n->mag);

	return json_pack("{s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:b}", "name", n->name, "bul_end",
			 (json_int_t)dmm_bul_count(bul), "registered_end",
			 (json_int_t)dmm_bul_count_state(bul, DMM_BUL_REGISTERED), "pbu_retransmissions",
			 (json_int_t)st->pbu_retransmissions, "pbu_give_ups", (json_int_t)st->pbu_give_ups,
			 "peers_down", (json_int_t)st->peers_down, "intents_end",
			 (json_int_t)dmm_fm_count(fm), "intent_packets_end", (json_int_t)intent_packets(fm),
			 "dead", n->dead);
}

/* One entry per role instance: "anchors" (LMAs), "mags", and in a DMM run "maars" and "cmd". */
static void roles_json(struct emu *e, json_t *root)
{
	json_t *anchors = json_array(), *mags = json_array(), *maars = json_array(), *cmd = NULL;

	for (uint32_t i = 0; i < e->nnodes; i++) {
		struct emu_node *n = &e->nodes[i];

		if (n->lma)
			json_array_append_new(anchors, lma_json(n));
		else if (n->maar)
			json_array_append_new(maars, maar_json(n));
		else if (n->cmd)
			cmd = cmd_json(e, n);
		else if (n->mag)
			json_array_append_new(mags, mag_json(n));
	}
	json_object_set_new(root, "anchors", anchors);
	json_object_set_new(root, "mags", mags);
	if (e->variant == EMU_VAR_DMM) {
		json_object_set_new(root, "maars", maars);
		json_object_set_new(root, "cmd", cmd ? cmd : json_null());
	} else {
		json_decref(maars);
	}
}

/* ENCAP intents alive at each sample; NULL when out of memory. */
static json_t *tunnels_json(struct emu *e)
{
	struct emu_dist t = e->tunnels;
	struct summary ts;

	/* summarize() sorts in place: copy, the samples stay in time order. */
	t.v = malloc(sizeof(double) * (t.n ? t.n : 1));
	if (!t.v)
		return NULL;
	memcpy(t.v, e->tunnels.v, sizeof(double) * t.n);
	ts = summarize(&t, 1);
	free(t.v);
	return json_pack("{s:f,s:I,s:f,s:f}", "sample_every_s", sec(e->cfg.sample_every), "samples",
			 (json_int_t)ts.n, "mean", r6(ts.mean), "max", r6(ts.max));
}

/* Path stretch of the MNs' streams (traffic), through the anchor against the direct path. */
static json_t *stream_stretch_json(struct emu *e)
{
	double n = (double)e->stretch_n;

	return json_pack(
		"{s:I,s:f,s:f,s:f,s:f,s:f,s:f}", "packets", (json_int_t)e->stretch_n, "hops_via_anchor",
		r6(e->stretch_hops_anchor / n), "hops_direct", r6(e->stretch_hops_direct / n), "hop_ratio",
		r6(e->stretch_hops_anchor / e->stretch_hops_direct), "delay_via_anchor_ms",
		r6(e->stretch_delay_anchor / n / 1e6), "delay_direct_ms",
		r6(e->stretch_delay_direct / n / 1e6), "delay_ratio_mean", r6(e->stretch_ratio_sum / n));
}

/* The end-of-run check: attached MNs registered at both their MAG and their LMA. */
static json_t *registration_json(struct emu *e)
{
	uint32_t attached = 0, reg_both = 0, moving = 0, prefix_changes = 0, at_dead = 0;
	json_t *j;

	for (uint32_t i = 0; i < e->nmns; i++) {
		struct emu_mn *m = &e->mns[i];

		prefix_changes += m->prefix_changes;
		if (m->moving)
			moving++;
		if (m->mag < 0)
			continue;
		attached++;
		if (e->nodes[m->mag].dead)
			at_dead++;
		if (emu_mn_registered_both(e, m))
			reg_both++;
	}
	j = json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "mns", (json_int_t)e->nmns, "attached",
		      (json_int_t)attached, "moving", (json_int_t)moving, "registered_at_mag_and_lma",
		      (json_int_t)reg_both, "not_registered", (json_int_t)(attached - reg_both),
		      "prefix_changes", (json_int_t)prefix_changes, "refused_events",
		      (json_int_t)e->mn_refused_events, "attach_failures", (json_int_t)e->attach_failures,
		      "detach_failures", (json_int_t)e->detach_failures, "role_timer_stalls",
		      (json_int_t)e->role_timer_stalls);
	json_object_set_new(j, "attached_to_dead_node", json_integer(at_dead));
	return j;
}

/* A kill and how long each MAG that held bindings with the node took to declare it down. */
static json_t *kill_json(struct emu *e, const struct emu_kill *k)
{
	json_t *det = json_array();
	dmm_time_t worst = 0, bound = 0;
	bool all = true;

	for (uint32_t j = 0; j < k->nmags; j++) {
		struct emu_node *m = &e->nodes[k->mags[j]];
		dmm_time_t iv, b;
		unsigned allowed;
		json_t *dj;

		hb_params(e, m, &iv, &allowed);
		/*
		 * peer.c counts a miss when the next request is due and declares the
		 * peer down when the misses in a row exceed missing_allowed
		 * (RFC 5847 §3.1): at most (allowed + 2) intervals after the kill,
		 * plus the path delay.
		 */
		b = iv * (allowed + 2) + e->paths.max_delay;
		if (b > bound)
			bound = b;
		dj = json_pack("{s:s}", "mag", m->name);
		if (k->detected[j] == DMM_TIME_NEVER) {
			all = false;
			json_object_set_new(dj, "detected_after_s", json_null());
		} else {
			dmm_time_t d = k->detected[j] - k->at;

			json_object_set_new(dj, "detected_after_s", json_real(sec(d)));
			if (d > worst)
				worst = d;
			if (d > b)
				all = false;
		}
		json_array_append_new(det, dj);
	}
	return json_pack("{s:s,s:f,s:b,s:I,s:o,s:f,s:f,s:b}", "node", e->nodes[k->node].name, "at_s",
			 sec(k->at), "happened", k->done, "mags_with_bindings", (json_int_t)k->nmags,
			 "detections", det, "worst_detection_s", sec(worst), "bound_s", sec(bound),
			 "all_within_bound", k->done && k->nmags > 0 && all);
}

static json_t *build(struct emu *e, bool list_handovers)
{
	struct ho_figures f = {0};
	json_t *root = json_object(), *kills = json_array(), *t;

	ho_collect(e, &f, list_handovers);
	header_json(e, root);
	json_object_set_new(root, "handovers", handovers_json(e, &f, list_handovers));
	set_summary(root, "initial_registration_ms", &e->init_reg, 1e-6);
	json_object_set_new(root, "signalling", signalling_json(e, f.sig_total));
	roles_json(e, root);
	if (e->cfg.ses_interval)
		json_object_set_new(root, "sessions", sessions_json(e));
	json_object_set_new(root, "releases", releases_json(e));
	if ((t = tunnels_json(e)) != NULL)
		json_object_set_new(root, "tunnels_alive", t);
	json_object_set_new(root, "data",
			    json_pack("{s:f,s:f,s:o,s:o}", "downlink_pps", e->cfg.dl_pps, "uplink_pps",
				      e->cfg.ul_pps, "downlink", flow_json(&e->dl), "uplink",
				      flow_json(&e->ul)));
	if (e->stretch_n)
		json_object_set_new(root, "stretch", stream_stretch_json(e));
	json_object_set_new(root, "registration", registration_json(e));
	for (uint32_t i = 0; i < e->nkills; i++)
		json_array_append_new(kills, kill_json(e, &e->kills[i]));
	json_object_set_new(root, "kills", kills);
	if (e->reloc.model)
		json_object_set_new(root, "relocation", emu_reloc_json(e));
	if (e->mcast)
		json_object_set_new(root, "multicast", emu_mcast_json(e));
	if (e->lr)
		json_object_set_new(root, "localized_routing", emu_lr_json(e));
	if (e->relm)
		json_object_set_new(root, "release", emu_release_json(e));
	free(f.pba.v);
	free(f.pba_dead.v);
	free(f.pba_other.v);
	free(f.first.v);
	free(f.loss.v);
	free(f.sig.v);
	return root;
}

static double jd(json_t *o, const char *a, const char *b)
{
	json_t *v = json_object_get(o, a);

	if (b)
		v = json_object_get(v, b);
	return json_number_value(v);
}

/* An integer member of o, for printf's %lld. */
static long long ji(json_t *o, const char *key)
{
	return (long long)json_integer_value(json_object_get(o, key));
}

static void text_summary(FILE *out, const char *label, json_t *s, const char *unit)
{
	fprintf(out, "  %-30s n=%-7lld median %.3f%s  p95 %.3f%s  max %.3f%s  mean %.3f%s\n", label,
		ji(s, "n"), jd(s, "median", NULL), unit, jd(s, "p95", NULL), unit, jd(s, "max", NULL), unit,
		jd(s, "mean", NULL), unit);
}

/* The summaries of the text report: label, where in the report (in "handovers" or at the top), unit. */
static const struct {
	const char *label;
	bool in_ho;
	const char *key, *unit;
} text_summaries[] = {
	{"attach -> PBA at new MAG", true, "attach_to_pba_ms", " ms"},
	{"attach -> first downlink pkt", true, "attach_to_first_packet_ms", " ms"},
	{"packets lost per handover", true, "lost_packets", ""},
	{"MH messages per handover", true, "signalling_messages", ""},
	{"initial registration", false, "initial_registration_ms", " ms"},
};

static void text_head(struct emu *e, FILE *out, json_t *r)
{
	json_t *ho = json_object_get(r, "handovers"), *sg = json_object_get(r, "signalling"), *v;
	const char *key;
	size_t i = 0;

	fprintf(out, "dmm-emu: scenario %s, seed %llu, %u nodes, %u MNs, %.3f s virtual, %llu events\n",
		e->cfg.name, (unsigned long long)e->seed, e->nnodes, e->nmns,
		jd(r, "virtual_duration_s", NULL), (unsigned long long)e->eng.processed);
	fprintf(out, "handovers: %lld (%lld completed, %lld incomplete at the end)\n", ji(ho, "count"),
		ji(ho, "completed"), ji(ho, "incomplete"));
	for (size_t k = 0; k < sizeof(text_summaries) / sizeof(text_summaries[0]); k++)
		text_summary(out, text_summaries[k].label,
			     json_object_get(text_summaries[k].in_ho ? ho : r, text_summaries[k].key),
			     text_summaries[k].unit);
	fprintf(out, "signalling: %lld messages, %lld bytes (", ji(sg, "messages"), ji(sg, "bytes"));
	json_object_foreach(json_object_get(sg, "by_type"), key, v)
		fprintf(out, "%s%s %lld", i++ ? ", " : "", key, (long long)json_integer_value(v));
	fprintf(out, "); %lld lost on links; %.2f per handover\n", ji(sg, "lost_on_links"),
		jd(sg, "per_handover", NULL));
}

static void text_flow(FILE *out, const char *name, json_t *f)
{
	fprintf(out, "%s: %lld sent, %lld delivered, %lld lost, mean delay %.3f ms\n", name, ji(f, "sent"),
		ji(f, "delivered"), ji(f, "lost"), jd(f, "mean_delay_ms", NULL));
}

static void text_session_stretch(FILE *out, const char *which, json_t *s)
{
	fprintf(out, "  stretch, %s sessions: hops %.2f vs %.2f direct (x%.3f), delay x%.3f (%lld pkts)\n",
		which, jd(s, "hops_via_anchor", NULL), jd(s, "hops_direct", NULL), jd(s, "hop_ratio", NULL),
		jd(s, "delay_ratio_mean", NULL), ji(s, "packets"));
}

/* Traffic: the streams, their stretch, the sessions, the tunnels and the released prefixes. */
static void text_traffic(FILE *out, json_t *r)
{
	json_t *dl = json_object_get(json_object_get(r, "data"), "downlink");
	json_t *ul = json_object_get(json_object_get(r, "data"), "uplink");
	json_t *st = json_object_get(r, "stretch"), *v;

	text_flow(out, "downlink", dl);
	if (ji(ul, "sent"))
		text_flow(out, "uplink", ul);
	if (st)
		fprintf(out,
			"stretch via anchor: hops %.2f vs %.2f direct (x%.3f); delay %.3f ms vs %.3f ms "
			"(x%.3f mean)\n",
			jd(st, "hops_via_anchor", NULL), jd(st, "hops_direct", NULL),
			jd(st, "hop_ratio", NULL), jd(st, "delay_via_anchor_ms", NULL),
			jd(st, "delay_direct_ms", NULL), jd(st, "delay_ratio_mean", NULL));
	if ((v = json_object_get(r, "sessions")) != NULL) {
		fprintf(out,
			"sessions: %lld started (%lld without an address), delivered %.4f of their packets; "
			"%lld active at the end\n",
			ji(v, "started"), ji(v, "no_address"), jd(v, "delivered_ratio", NULL),
			ji(v, "active_at_end"));
		text_session_stretch(out, "new", json_object_get(v, "stretch_new_sessions"));
		text_session_stretch(out, "old", json_object_get(v, "stretch_old_sessions"));
	}
	if ((v = json_object_get(r, "tunnels_alive")) != NULL)
		fprintf(out, "tunnels alive (ENCAP intents, every %.3f s): mean %.1f, max %.0f\n",
			jd(v, "sample_every_s", NULL), jd(v, "mean", NULL), jd(v, "max", NULL));
	if ((v = json_object_get(r, "releases")) != NULL && ji(v, "count"))
		fprintf(out,
			"released prefixes: %lld (with active sessions %lld, late %lld, worst lag %.3f s, "
			"bound "
			"%.3f s, not returned %lld)\n",
			ji(v, "count"), ji(v, "with_active_sessions"), ji(v, "late"),
			jd(v, "worst_lag_s", NULL), jd(v, "bound_s", NULL), ji(v, "not_returned_to_pool"));
}

static const char *killed(json_t *v)
{
	return json_is_true(json_object_get(v, "dead")) ? " (killed)" : "";
}

/* The roles: the CMD, the MAARs, the LMAs and the MAGs (the last two lists only when short). */
static void text_roles(FILE *out, json_t *r)
{
	json_t *v, *maars = json_object_get(r, "maars"), *mags = json_object_get(r, "mags");
	size_t i;

	if ((v = json_object_get(r, "cmd")) != NULL && json_is_object(v))
		fprintf(out,
			"cmd %s (%s): %lld MNs, %lld handovers, %lld P-MAAR updates, %lld given up, %lld "
			"partial "
			"PBAs, %lld releases, %lld anchor choices\n",
			json_string_value(json_object_get(v, "name")),
			json_string_value(json_object_get(v, "mode")), ji(v, "mns_end"), ji(v, "handovers"),
			ji(v, "pmaar_updates"), ji(v, "pmaar_give_ups"), ji(v, "partial_pbas"),
			ji(v, "releases"), ji(v, "anchor_choices"));
	if (json_array_size(maars) && json_array_size(maars) <= 16) {
		fprintf(out, "maars:\n");
		json_array_foreach(maars, i, v) fprintf(
			out,
			"  %-8s serving %-5lld anchored %-5lld pool peak %-5lld/%-6lld released %-5lld "
			"carried %lld pkts%s\n",
			json_string_value(json_object_get(v, "name")), ji(v, "serving_end"),
			ji(v, "anchored_end"), ji(v, "pool_used_peak"), ji(v, "max_anchored"),
			ji(v, "anchors_released"), (long long)jd(v, "carried", "packets"), killed(v));
	}
	fprintf(out, "anchors:\n");
	json_array_foreach(json_object_get(r, "anchors"), i, v) fprintf(
		out, "  %-8s homed %-7lld bindings end %-7lld peak %-7lld handoffs %-7lld intents %lld%s\n",
		json_string_value(json_object_get(v, "name")), ji(v, "homed"), ji(v, "bindings_end"),
		ji(v, "bindings_peak"), ji(v, "handoffs"), ji(v, "intents_end"), killed(v));
	if (json_array_size(mags) <= 12) {
		fprintf(out, "mags:\n");
		json_array_foreach(mags, i, v)
			fprintf(out, "  %-8s bul %-6lld registered %-6lld retx %-5lld peers down %lld\n",
				json_string_value(json_object_get(v, "name")), ji(v, "bul_end"),
				ji(v, "registered_end"), ji(v, "pbu_retransmissions"), ji(v, "peers_down"));
	}
}

/* The end-of-run registration check and the kills. */
static void text_end(FILE *out, json_t *r)
{
	json_t *reg = json_object_get(r, "registration"), *v;
	size_t i;

	fprintf(out, "at the end: %lld of %lld attached MNs registered at MAG and LMA (%lld moving)\n",
		ji(reg, "registered_at_mag_and_lma"), ji(reg, "attached"), ji(reg, "moving"));
	json_array_foreach(json_object_get(r, "kills"), i, v) fprintf(
		out, "kill %s at %.3f s: %lld MAGs with bindings, worst detection %.3f s, bound %.3f s: %s\n",
		json_string_value(json_object_get(v, "node")), jd(v, "at_s", NULL),
		ji(v, "mags_with_bindings"), jd(v, "worst_detection_s", NULL), jd(v, "bound_s", NULL),
		json_is_true(json_object_get(v, "all_within_bound")) ? "all within" : "NOT all within");
}

/* How one handover row prints: the fixed columns, the first packet and loss (or none), the messages. */
struct ho_row_fmt {
	const char *head, *rx, *no_rx, *tail;
};

static const struct ho_row_fmt ho_text = {"  %-6lld %-6s %-6s %10.3f %10.3f %9.3f ", "%9.3f %5lld", "%9s %5s",
					  " %4lld\n"};
/* %.0s prints nothing: the CSV leaves both cells empty. */
static const struct ho_row_fmt ho_csv = {"%lld,%s,%s,%.6f,%.6f,%.6f,", "%.6f,%lld,", "%.0s%.0s,,", "%lld\n"};

static void ho_rows(FILE *out, json_t *ho, const struct ho_row_fmt *f)
{
	json_t *v;
	size_t i;

	json_array_foreach(json_object_get(ho, "list"), i, v)
	{
		json_t *first = json_object_get(v, "first_packet_ms");

		fprintf(out, f->head, ji(v, "mn"), json_string_value(json_object_get(v, "from")),
			json_string_value(json_object_get(v, "to")), jd(v, "detach_s", NULL),
			jd(v, "attach_s", NULL), jd(v, "pba_ms", NULL));
		if (first)
			fprintf(out, f->rx, json_number_value(first), ji(v, "lost"));
		else
			fprintf(out, f->no_rx, "-", "-");
		fprintf(out, f->tail, ji(v, "signalling"));
	}
}

static void text(struct emu *e, FILE *out, json_t *r, bool list_handovers)
{
	text_head(e, out, r);
	text_traffic(out, r);
	text_roles(out, r);
	text_end(out, r);
	if (list_handovers) {
		fprintf(out, "handover list:\n  %-6s %-6s %-6s %10s %10s %9s %9s %5s %4s\n", "mn", "from",
			"to", "detach_s", "attach_s", "pba_ms", "first_ms", "lost", "msgs");
		ho_rows(out, json_object_get(r, "handovers"), &ho_text);
	}
}

static void csv(FILE *out, json_t *r)
{
	json_t *ho = json_object_get(r, "handovers"), *v;
	size_t i;
	const char *sums[] = {"attach_to_pba_ms", "attach_to_first_packet_ms", "lost_packets",
			      "signalling_messages"};

	fprintf(out, "metric,n,min,mean,median,p95,max\n");
	for (size_t k = 0; k < sizeof(sums) / sizeof(sums[0]); k++) {
		json_t *s = json_object_get(ho, sums[k]);

		fprintf(out, "%s,%lld,%.6f,%.6f,%.6f,%.6f,%.6f\n", sums[k], ji(s, "n"), jd(s, "min", NULL),
			jd(s, "mean", NULL), jd(s, "median", NULL), jd(s, "p95", NULL), jd(s, "max", NULL));
	}
	fprintf(out, "\nanchor,bindings_end,bindings_peak,handoffs\n");
	json_array_foreach(json_object_get(r, "anchors"), i, v)
		fprintf(out, "%s,%lld,%lld,%lld\n", json_string_value(json_object_get(v, "name")),
			ji(v, "bindings_end"), ji(v, "bindings_peak"), ji(v, "handoffs"));
	fprintf(out, "\nmn,from,to,detach_s,attach_s,pba_ms,first_packet_ms,lost,signalling\n");
	ho_rows(out, ho, &ho_csv);
}

json_t *emu_report_json(struct emu *e, bool list_handovers)
{
	return build(e, list_handovers);
}

/* ---- --compare ---- */

static json_t *jget(json_t *o, const char *path)
{
	char buf[128], *save = NULL, *tok;

	snprintf(buf, sizeof(buf), "%s", path);
	for (tok = strtok_r(buf, ".", &save); tok && o; tok = strtok_r(NULL, ".", &save))
		o = json_object_get(o, tok);
	return o;
}

/* The figures compared, from one run's report. */
static json_t *cmp_metrics(struct emu *e, json_t *r)
{
	json_t *m = json_object(), *an = json_array();
	uint64_t total = 0, top = 0;

	for (uint32_t i = 0; i < e->nnodes; i++) {
		struct emu_node *n = &e->nodes[i];

		if (n->kind != EMU_LMA && n->kind != EMU_MAAR)
			continue;
		total += n->carried_pkts;
		if (n->carried_pkts > top)
			top = n->carried_pkts;
		json_array_append_new(an, json_pack("{s:s,s:I,s:I}", "name", n->name, "packets",
						    (json_int_t)n->carried_pkts, "bytes",
						    (json_int_t)n->carried_bytes));
	}
	json_object_set(m, "stretch_old_sessions", jget(r, "sessions.stretch_old_sessions"));
	json_object_set(m, "stretch_new_sessions", jget(r, "sessions.stretch_new_sessions"));
	json_object_set_new(m, "anchors", an);
	json_object_set_new(m, "busiest_anchor_share",
			    json_real(total ? r6((double)top / (double)total) : 0.0));
	json_object_set(m, "attach_to_registration_ms", jget(r, "handovers.attach_to_pba_ms"));
	json_object_set(m, "attach_to_first_packet_ongoing_ms",
			jget(r, "handovers.attach_to_first_packet_ms"));
	json_object_set(m, "signalling_per_handover", jget(r, "signalling.per_handover"));
	json_object_set(m, "signalling_messages", jget(r, "signalling.messages"));
	json_object_set(m, "tunnels_alive", jget(r, "tunnels_alive"));
	json_object_set(m, "released_prefixes", jget(r, "releases.count"));
	json_object_set(m, "handovers", jget(r, "handovers.count"));
	json_object_set(m, "sessions_started", jget(r, "sessions.started"));
	json_object_set(m, "sessions_delivered_ratio", jget(r, "sessions.delivered_ratio"));
	json_object_set(m, "registered_end", jget(r, "registration.registered_at_mag_and_lma"));
	json_object_set(m, "attached_end", jget(r, "registration.attached"));
	return m;
}

static double num(json_t *o, const char *path)
{
	return json_number_value(jget(o, path));
}

static void row(FILE *out, const char *label, const char *a, const char *b)
{
	fprintf(out, "  %-44s %-26s %s\n", label, a, b);
}

static void row_fmt(FILE *out, const char *label, json_t *d, json_t *c, const char *fmt, const char *p1,
		    const char *p2, const char *p3)
{
	char a[64], b[64];

	snprintf(a, sizeof(a), fmt, num(d, p1), p2 ? num(d, p2) : 0, p3 ? num(d, p3) : 0);
	snprintf(b, sizeof(b), fmt, num(c, p1), p2 ? num(c, p2) : 0, p3 ? num(c, p3) : 0);
	row(out, label, a, b);
}

/* The rows of the text comparison: label, format, and up to three figures of cmp_metrics(). */
static const struct {
	const char *label, *fmt, *p1, *p2, *p3;
} cmp_rows[] = {
	{"path stretch, old sessions: hops", "%.2f vs %.2f (x%.3f)", "stretch_old_sessions.hops_via_anchor",
	 "stretch_old_sessions.hops_direct", "stretch_old_sessions.hop_ratio"},
	{"  delay via anchor vs direct, ms", "%.2f vs %.2f (x%.3f)",
	 "stretch_old_sessions.delay_via_anchor_ms", "stretch_old_sessions.delay_direct_ms",
	 "stretch_old_sessions.delay_ratio_mean"},
	{"  packets", "%.0f", "stretch_old_sessions.packets", NULL, NULL},
	{"path stretch, new sessions: hops", "%.2f vs %.2f (x%.3f)", "stretch_new_sessions.hops_via_anchor",
	 "stretch_new_sessions.hops_direct", "stretch_new_sessions.hop_ratio"},
	{"  delay via anchor vs direct, ms", "%.2f vs %.2f (x%.3f)",
	 "stretch_new_sessions.delay_via_anchor_ms", "stretch_new_sessions.delay_direct_ms",
	 "stretch_new_sessions.delay_ratio_mean"},
	{"  packets", "%.0f", "stretch_new_sessions.packets", NULL, NULL},
	{"handovers", "%.0f", "handovers", NULL, NULL},
	{"attach -> registration, ms (median/p95/max)", "%.2f / %.2f / %.2f",
	 "attach_to_registration_ms.median", "attach_to_registration_ms.p95",
	 "attach_to_registration_ms.max"},
	{"attach -> 1st pkt of ongoing session, ms", "%.2f / %.2f / %.2f",
	 "attach_to_first_packet_ongoing_ms.median", "attach_to_first_packet_ongoing_ms.p95",
	 "attach_to_first_packet_ongoing_ms.max"},
	{"signalling per handover (MH messages)", "%.2f", "signalling_per_handover", NULL, NULL},
	{"signalling messages in all", "%.0f", "signalling_messages", NULL, NULL},
	{"tunnels alive (ENCAP intents): mean / max", "%.1f / %.0f", "tunnels_alive.mean",
	 "tunnels_alive.max", NULL},
	{"released prefixes", "%.0f", "released_prefixes", NULL, NULL},
	{"sessions started / delivered ratio", "%.0f / %.4f", "sessions_started", "sessions_delivered_ratio",
	 NULL},
	{"registered at the end / attached", "%.0f / %.0f", "registered_end", "attached_end", NULL},
	{"busiest anchor's share of the traffic", "%.3f", "busiest_anchor_share", NULL, NULL},
};

/* What the anchor called name carried in the run of metrics m, as "packets, MB" in buf; false if none. */
static bool anchor_cell(json_t *m, const char *name, char *buf, size_t len)
{
	json_t *v;
	size_t i;
	bool any = false;

	json_array_foreach(json_object_get(m, "anchors"), i, v)
	{
		if (strcmp(json_string_value(json_object_get(v, "name")), name))
			continue;
		snprintf(buf, len, "%.0f, %.2f", num(v, "packets"), num(v, "bytes") / 1e6);
		any = true;
	}
	return any;
}

static void compare_text(struct emu *d, json_t *md, json_t *mc, FILE *out)
{
	fprintf(out,
		"dmm-emu --compare: scenario %s, seed %llu, %u MNs, %.0f s virtual; same topology, moves and "
		"sessions\n",
		d->cfg.name, (unsigned long long)d->seed, d->nmns, sec(d->cfg.duration));
	row(out, "", "DMM (CMD + MAARs)", "PMIPv6 (one LMA)");
	for (size_t k = 0; k < sizeof(cmp_rows) / sizeof(cmp_rows[0]); k++)
		row_fmt(out, cmp_rows[k].label, md, mc, cmp_rows[k].fmt, cmp_rows[k].p1, cmp_rows[k].p2,
			cmp_rows[k].p3);
	fprintf(out, "  traffic carried per anchor (packets, MB):\n");
	for (uint32_t k = 0; k < d->nnodes; k++) {
		char a[64] = "-", b[64] = "-", label[64];
		bool in_d = anchor_cell(md, d->nodes[k].name, a, sizeof(a));
		bool in_c = anchor_cell(mc, d->nodes[k].name, b, sizeof(b));

		if (!in_d && !in_c)
			continue;
		snprintf(label, sizeof(label), "  %s", d->nodes[k].name);
		row(out, label, a, b);
	}
}

int emu_report_compare(struct emu *d, struct emu *c, FILE *out, enum emu_format fmt)
{
	json_t *rd = build(d, false), *rc = build(c, false), *root, *md, *mc;

	if (!rd || !rc)
		return -1;
	md = cmp_metrics(d, rd);
	mc = cmp_metrics(c, rc);
	root = json_pack("{s:s,s:I,s:I,s:f,s:{s:o,s:o},s:o,s:o}", "scenario", d->cfg.name, "seed",
			 (json_int_t)d->seed, "mns", (json_int_t)d->nmns, "virtual_duration_s",
			 sec(d->cfg.duration), "compare", "dmm", md, "pmipv6", mc, "dmm", rd, "pmipv6", rc);
	if (fmt == EMU_FMT_JSON)
		emu_print_json(out, root);
	else {
		compare_text(d, md, mc, out);
	}
	json_decref(root);
	return 0;
}

void emu_print_json(FILE *out, const json_t *r)
{
	char *s = json_dumps(r, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(12));

	if (s)
		fprintf(out, "%s\n", s);
	free(s);
}

void emu_print_rows2(FILE *out, const struct emu_row *rows, size_t n, const json_t *a, const json_t *b,
		     int lw, int cw, const char *ha, const char *hb)
{
	fprintf(out, "  %-*s %*s %*s\n", lw, "", cw, ha, cw, hb);
	for (size_t k = 0; k < n; k++) {
		char x[32], y[32];

		snprintf(x, sizeof(x), rows[k].fmt, json_number_value(json_object_get(a, rows[k].key)));
		snprintf(y, sizeof(y), rows[k].fmt, json_number_value(json_object_get(b, rows[k].key)));
		fprintf(out, "  %-*s %*s %*s\n", lw, rows[k].label, cw, x, cw, y);
	}
}

int emu_report(struct emu *e, FILE *out, enum emu_format fmt, bool list_handovers)
{
	json_t *r = build(e, list_handovers || fmt == EMU_FMT_CSV);

	if (!r)
		return -1;
	switch (fmt) {
	case EMU_FMT_JSON:
		emu_print_json(out, r);
		break;
	case EMU_FMT_CSV:
		csv(out, r);
		break;
	default:
		text(e, out, r, list_handovers);
		break;
	}
	json_decref(r);
	return 0;
}
