/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Multicast replication for mobile listeners (RFC 7429 REQ8), modelled on
 * the run's state. Every MN listens to one group sent by the scenario's
 * source; an access router (MAG or MAAR) is an MLD proxy (RFC 4605) for
 * the listeners attached to it. Two upstream modes, both computed from
 * the same state at each sample:
 *
 *   via the anchor (RFC 6224 §4): the proxy's upstream for a listener is
 *     its tunnel to the listener's mobility anchor (the anchor of its
 *     oldest prefix: the LMA, or the MAAR that anchors it). The anchor is
 *     the multicast router: it joins the group natively from the source
 *     (one copy per shortest-path tree link) and sends each group packet
 *     once into each tunnel to an access router with listeners it
 *     anchors. An access router that has listeners from k anchors gets
 *     each packet k times (tunnel convergence, RFC 6224 §4.2 / RFC 7429
 *     REQ8); a listener at its own anchor's MAAR gets it there natively.
 *   direct: each access router with listeners joins natively; the packet
 *     goes down the source's shortest-path tree, one copy per link, so
 *     each access router gets it once, on its upstream link, and no
 *     tunnel carries it.
 *
 * One group packet is walked link by link (a copy per traversal, per
 * direction of each link); reported per mode: copies on the busiest link
 * direction and on all links, copies sent into tunnels per anchor, copies
 * received per access router, and the access routers that got duplicates.
 * Sampling reads the state between events (no event is added).
 *
 *   "multicast": {"source": "CN1", "sample": "1s", "listeners": [10, 100, 1000]}
 *
 * The listener counts are what --multicast compare runs the scenario with
 * (its first generator's mn_count replaced), one run each.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "emu.h"

#define NONE UINT32_MAX

enum { VIA, DIRECT, NMODE };

/* One mode's load of one sample. */
struct mc_load {
	uint32_t *dir;	    /* copies per link direction: 2 * link + (a == from ? 0 : 1) */
	uint32_t *sent;	    /* per node: copies it sent into tunnels */
	uint32_t *rcvd;	    /* per node: copies that reached it (access routers) */
	uint64_t tunnels;   /* copies sent into tunnels */
	uint64_t link_sum;  /* copies over every link direction */
	uint32_t busiest;   /* copies on the busiest link direction */
	uint32_t dup_nodes; /* access routers that got the packet more than once */
	uint64_t dup_copies;
	uint32_t upstream_bad; /* direct: access routers whose upstream link carried other than 1 */
};

struct mc_sum {
	double busiest, link_sum, tunnels, dup_nodes, dup_copies;
	uint32_t busiest_max;
	double *sent, *dir; /* per node, per link direction: summed over samples */
	uint64_t upstream_bad;
};

struct emu_mcast {
	uint32_t source;
	dmm_time_t every, next;
	uint32_t listeners[8], nlisteners;
	uint32_t *anchor_of; /* per MN: anchor node, or NONE when not listening now */
	uint8_t *mark;	     /* per node x node: a tunnel (anchor, access router) with listeners */
	uint8_t *tree;	     /* per link direction: on the source tree */
	struct mc_load cur[NMODE];
	struct mc_sum sum[NMODE];
	uint32_t samples;
	uint64_t listening, tunnels_with_listeners, anchor_mismatch, rcvd_mismatch;
};

static int dur(json_t *o, const char *key, dmm_time_t *out)
{
	json_t *v = json_object_get(o, key);

	if (!v)
		return 0;
	if (json_is_number(v) && json_number_value(v) > 0) {
		*out = (dmm_time_t)(json_number_value(v) * 1e9 + 0.5);
		return 0;
	}
	return json_is_string(v) ? emu_parse_duration(json_string_value(v), out) : -1;
}

static int load_listeners(struct emu_mcast *m, json_t *l, char *err, size_t errlen)
{
	json_t *v;
	size_t i;

	if (l && (!json_is_array(l) || json_array_size(l) > 8 || json_array_size(l) == 0)) {
		snprintf(err, errlen, "multicast.listeners: an array of 1 to 8 counts");
		return -1;
	}
	json_array_foreach(l, i, v)
	{
		if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 1000000) {
			snprintf(err, errlen, "multicast.listeners[%zu]: a count from 1 to 10^6", i);
			return -1;
		}
		m->listeners[m->nlisteners++] = (uint32_t)json_integer_value(v);
	}
	return 0;
}

int emu_mcast_load(struct emu *e, void *root, char *err, size_t errlen)
{
	json_t *o = json_object_get(root, "multicast"), *src;
	struct emu_node *s;
	struct emu_mcast *m;

	if (!o)
		return 0;
	src = json_object_get(o, "source");
	s = json_is_string(src) ? emu_node_by_name(e, json_string_value(src)) : NULL;
	if (!json_is_object(o) || !s || s->kind != EMU_CN) {
		snprintf(err, errlen, "multicast: an object with a \"source\" that names a cn");
		return -1;
	}
	m = calloc(1, sizeof(*m));
	if (!m) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	e->mcast = m;
	m->source = s->idx;
	m->every = DMM_SECOND;
	if (dur(o, "sample", &m->every) || m->every == 0) {
		snprintf(err, errlen, "multicast.sample: a duration above 0");
		return -1;
	}
	m->next = m->every;
	return load_listeners(m, json_object_get(o, "listeners"), err, errlen);
}

uint32_t emu_mcast_listeners(const struct emu *e, uint32_t *out, uint32_t max)
{
	uint32_t n = 0;

	for (uint32_t i = 0; e->mcast && i < e->mcast->nlisteners && i < max; i++)
		out[n++] = e->mcast->listeners[i];
	return n;
}

static int alloc_load(struct mc_load *l, struct mc_sum *s, uint32_t nodes, uint32_t links)
{
	l->dir = calloc(2 * (size_t)links + 1, sizeof(*l->dir));
	l->sent = calloc(nodes, sizeof(*l->sent));
	l->rcvd = calloc(nodes, sizeof(*l->rcvd));
	s->sent = calloc(nodes, sizeof(*s->sent));
	s->dir = calloc(2 * (size_t)links + 1, sizeof(*s->dir));
	return l->dir && l->sent && l->rcvd && s->sent && s->dir ? 0 : -1;
}

int emu_mcast_start(struct emu *e)
{
	struct emu_mcast *m = e->mcast;

	if (!m)
		return 0;
	m->anchor_of = calloc(e->nmns + 1, sizeof(*m->anchor_of));
	m->mark = calloc((size_t)e->nnodes * e->nnodes, 1);
	m->tree = calloc(2 * (size_t)e->nlinks + 1, 1);
	if (!m->anchor_of || !m->mark || !m->tree)
		return -1;
	for (int k = 0; k < NMODE; k++)
		if (alloc_load(&m->cur[k], &m->sum[k], e->nnodes, e->nlinks))
			return -1;
	return 0;
}

void emu_mcast_free(struct emu *e)
{
	struct emu_mcast *m = e->mcast;

	if (!m)
		return;
	for (int k = 0; k < NMODE; k++) {
		free(m->cur[k].dir);
		free(m->cur[k].sent);
		free(m->cur[k].rcvd);
		free(m->sum[k].sent);
		free(m->sum[k].dir);
	}
	free(m->anchor_of);
	free(m->mark);
	free(m->tree);
	free(m);
	e->mcast = NULL;
}

/* One copy from node a to node b along the shortest path, counted on each link direction. */
static void walk(struct emu *e, struct mc_load *l, uint32_t a, uint32_t b)
{
	uint32_t cur = b, n = e->paths.n;

	while (cur != a) {
		uint32_t k = e->paths.pred_link[(size_t)a * n + cur];
		const struct emu_link *lk = &e->links[k];
		uint32_t from = lk->a == cur ? lk->b : lk->a;

		l->dir[2 * k + (lk->a == from ? 0 : 1)]++;
		cur = from;
	}
}

/* The source's native tree down to node b: each link direction once per group packet. */
static void tree(struct emu *e, struct emu_mcast *m, struct mc_load *l, uint32_t b)
{
	uint32_t cur = b, s = m->source, n = e->paths.n;

	while (cur != s) {
		uint32_t k = e->paths.pred_link[(size_t)s * n + cur];
		const struct emu_link *lk = &e->links[k];
		uint32_t from = lk->a == cur ? lk->b : lk->a, d = 2 * k + (lk->a == from ? 0 : 1);

		if (m->tree[d])
			return; /* the rest of the way up is on the tree already */
		m->tree[d] = 1;
		l->dir[d]++;
		cur = from;
	}
}

static void reset(struct emu *e, struct mc_load *l)
{
	memset(l->dir, 0, sizeof(*l->dir) * 2 * e->nlinks);
	memset(l->sent, 0, sizeof(*l->sent) * e->nnodes);
	memset(l->rcvd, 0, sizeof(*l->rcvd) * e->nnodes);
	l->tunnels = l->link_sum = l->dup_copies = 0;
	l->busiest = l->dup_nodes = l->upstream_bad = 0;
}

/* Via the anchors: the anchors join natively, then one copy per tunnel with listeners. */
static void via_anchor(struct emu *e, struct emu_mcast *m, struct mc_load *l)
{
	uint32_t n = e->nnodes;

	memset(m->tree, 0, 2 * (size_t)e->nlinks);
	for (uint32_t a = 0; a < n; a++) {
		bool any = false;

		for (uint32_t g = 0; g < n; g++) {
			if (!m->mark[(size_t)a * n + g])
				continue;
			any = true;
			l->rcvd[g]++;
			if (g == a)
				continue; /* its own listeners: natively, on its access links */
			walk(e, l, a, g);
			l->sent[a]++;
			l->tunnels++;
		}
		if (any)
			tree(e, m, l, a);
	}
}

/* Direct: the access routers with listeners join natively on the source's tree. */
static void direct(struct emu *e, struct emu_mcast *m, struct mc_load *l, const bool *has)
{
	memset(m->tree, 0, 2 * (size_t)e->nlinks);
	for (uint32_t g = 0; g < e->nnodes; g++)
		if (has[g]) {
			tree(e, m, l, g);
			l->rcvd[g] = 1;
		}
}

/* Totals of one mode's sample, and the upstream check of the direct mode. */
static void totals(struct emu *e, struct emu_mcast *m, struct mc_load *l, const bool *has, int mode)
{
	for (uint32_t d = 0; d < 2 * e->nlinks; d++) {
		l->link_sum += l->dir[d];
		if (l->dir[d] > l->busiest)
			l->busiest = l->dir[d];
	}
	for (uint32_t g = 0; g < e->nnodes; g++) {
		if (l->rcvd[g] > 1) {
			l->dup_nodes++;
			l->dup_copies += l->rcvd[g] - 1;
		}
		if (mode == DIRECT && has[g] && g != m->source) {
			uint32_t k = e->paths.pred_link[(size_t)m->source * e->paths.n + g];
			const struct emu_link *lk = &e->links[k];
			uint32_t d = 2 * k + (lk->b == g ? 0 : 1);

			if (l->dir[d] != 1)
				l->upstream_bad++;
		}
	}
}

static void accumulate(struct emu *e, struct mc_sum *s, const struct mc_load *l)
{
	s->busiest += l->busiest;
	if (l->busiest > s->busiest_max)
		s->busiest_max = l->busiest;
	s->link_sum += (double)l->link_sum;
	s->tunnels += (double)l->tunnels;
	s->dup_nodes += l->dup_nodes;
	s->dup_copies += (double)l->dup_copies;
	s->upstream_bad += l->upstream_bad;
	for (uint32_t i = 0; i < e->nnodes; i++)
		s->sent[i] += l->sent[i];
	for (uint32_t d = 0; d < 2 * e->nlinks; d++)
		s->dir[d] += l->dir[d];
}

/*
 * The invariants, counted independently of the walk: each anchor sends
 * as many copies as it has tunnels to access routers with listeners, and
 * each access router gets as many as its listeners have distinct anchors.
 */
static void check(struct emu *e, struct emu_mcast *m)
{
	uint32_t n = e->nnodes;

	for (uint32_t a = 0; a < n; a++) {
		uint32_t t = 0;

		for (uint32_t g = 0; g < n; g++)
			t += m->mark[(size_t)a * n + g] && g != a;
		m->tunnels_with_listeners += t;
		m->anchor_mismatch += m->cur[VIA].sent[a] != t;
	}
	for (uint32_t g = 0; g < n; g++) {
		uint32_t k = 0;

		for (uint32_t a = 0; a < n; a++)
			k += m->mark[(size_t)a * n + g];
		m->rcvd_mismatch += m->cur[VIA].rcvd[g] != k;
	}
}

static void sample(struct emu *e, struct emu_mcast *m)
{
	uint32_t n = e->nnodes;
	bool *has = calloc(n, sizeof(*has));

	if (!has)
		return;
	memset(m->mark, 0, (size_t)n * n);
	for (uint32_t i = 0; i < e->nmns; i++) {
		const struct emu_mn *mn = &e->mns[i];
		uint32_t a = mn->mag >= 0 && mn->registered && !e->nodes[mn->mag].dead ? emu_mn_anchor(e, mn)
										       : NONE;

		m->anchor_of[i] = a;
		if (a == NONE)
			continue;
		m->listening++;
		m->mark[(size_t)a * n + (uint32_t)mn->mag] = 1;
		has[mn->mag] = true;
	}
	for (int k = 0; k < NMODE; k++)
		reset(e, &m->cur[k]);
	via_anchor(e, m, &m->cur[VIA]);
	direct(e, m, &m->cur[DIRECT], has);
	for (int k = 0; k < NMODE; k++) {
		totals(e, m, &m->cur[k], has, k);
		accumulate(e, &m->sum[k], &m->cur[k]);
	}
	check(e, m);
	m->samples++;
	free(has);
}

void emu_mcast_tick(struct emu *e)
{
	struct emu_mcast *m = e->mcast;

	while (m->next <= e->eng.now && m->next < e->cfg.duration) {
		sample(e, m);
		m->next += m->every;
	}
}

static double r4(double v)
{
	return (double)(int64_t)(v * 1e4 + (v >= 0 ? 0.5 : -0.5)) / 1e4;
}

static json_t *mode_json(struct emu *e, struct emu_mcast *m, int k)
{
	const struct mc_sum *s = &m->sum[k];
	double ns = m->samples ? m->samples : 1;
	json_t *an = json_array(), *lk = json_array();

	for (uint32_t i = 0; i < e->nnodes; i++)
		if (e->nodes[i].lma || e->nodes[i].maar)
			json_array_append_new(an, json_pack("{s:s,s:f}", "anchor", e->nodes[i].name,
							    "tunnel_copies_mean", r4(s->sent[i] / ns)));
	for (uint32_t d = 0; d < 2 * e->nlinks; d++) {
		const struct emu_link *l = &e->links[d / 2];
		uint32_t from = d % 2 ? l->b : l->a, to = d % 2 ? l->a : l->b;

		if (s->dir[d] > 0)
			json_array_append_new(lk, json_pack("{s:s,s:s,s:f}", "from", e->nodes[from].name,
							    "to", e->nodes[to].name, "copies_mean",
							    r4(s->dir[d] / ns)));
	}
	return json_pack("{s:f,s:I,s:f,s:f,s:f,s:f,s:I,s:o,s:o}", "busiest_link_mean", r4(s->busiest / ns),
			 "busiest_link_max", (json_int_t)s->busiest_max, "all_links_mean",
			 r4(s->link_sum / ns), "tunnel_copies_mean", r4(s->tunnels / ns),
			 "routers_with_duplicates_mean", r4(s->dup_nodes / ns), "duplicate_copies_mean",
			 r4(s->dup_copies / ns), "upstream_not_once", (json_int_t)s->upstream_bad,
			 "per_anchor", an, "per_link", lk);
}

void *emu_mcast_json(struct emu *e)
{
	struct emu_mcast *m = e->mcast;
	double ns = m->samples ? m->samples : 1;

	return json_pack("{s:s,s:I,s:f,s:f,s:f,s:I,s:I,s:o,s:o}", "source", e->nodes[m->source].name,
			 "samples", (json_int_t)m->samples, "sample_every_s", (double)m->every / 1e9,
			 "listening_mean", r4((double)m->listening / ns), "tunnels_with_listeners_mean",
			 r4((double)m->tunnels_with_listeners / ns), "anchor_copies_not_tunnels",
			 (json_int_t)m->anchor_mismatch, "router_copies_not_anchors",
			 (json_int_t)m->rcvd_mismatch, "via_anchor", mode_json(e, m, VIA), "direct",
			 mode_json(e, m, DIRECT));
}

/* ---- --multicast: the table at each listener count ---- */

static const struct {
	const char *label, *mode, *key, *fmt;
} mc_rows[] = {
	{"listeners attached (mean)", NULL, "listening_mean", "%.1f"},
	{"tunnels with listeners (mean)", "via-anchor", "tunnels_with_listeners_mean", "%.1f"},
	{"via anchor: busiest link, copies (mean)", "via-anchor", "via_anchor.busiest_link_mean", "%.2f"},
	{"via anchor: busiest link, copies (max)", "via-anchor", "via_anchor.busiest_link_max", "%.0f"},
	{"via anchor: copies on all links", "via-anchor", "via_anchor.all_links_mean", "%.1f"},
	{"via anchor: copies into tunnels", "via-anchor", "via_anchor.tunnel_copies_mean", "%.1f"},
	{"via anchor: routers with duplicates", "via-anchor", "via_anchor.routers_with_duplicates_mean",
	 "%.1f"},
	{"via anchor: duplicate copies", "via-anchor", "via_anchor.duplicate_copies_mean", "%.1f"},
	{"direct: busiest link, copies (mean)", "direct", "direct.busiest_link_mean", "%.2f"},
	{"direct: busiest link, copies (max)", "direct", "direct.busiest_link_max", "%.0f"},
	{"direct: copies on all links", "direct", "direct.all_links_mean", "%.1f"},
	{"direct: copies into tunnels", "direct", "direct.tunnel_copies_mean", "%.1f"},
	{"direct: upstream links not carrying 1", "direct", "direct.upstream_not_once", "%.0f"},
};

static double jnum(json_t *o, const char *path)
{
	char buf[96], *save = NULL;

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *t = strtok_r(buf, ".", &save); t && o; t = strtok_r(NULL, ".", &save))
		o = json_object_get(o, t);
	return json_number_value(o);
}

static void mc_text(json_t **r, const uint32_t *counts, uint32_t n, const char *mode, const char *src,
		    FILE *out)
{
	fprintf(out,
		"multicast: one group from %s, every MN a listener; copies of each group packet\n"
		"(via the anchor: RFC 6224, the anchor replicates into each tunnel; direct: native, each "
		"access "
		"router once)\n",
		src);
	fprintf(out, "  %-42s", "listeners");
	for (uint32_t i = 0; i < n; i++)
		fprintf(out, " %10u", counts[i]);
	fprintf(out, "\n");
	for (size_t k = 0; k < sizeof(mc_rows) / sizeof(mc_rows[0]); k++) {
		if (mc_rows[k].mode && strcmp(mode, "compare") && strcmp(mode, mc_rows[k].mode))
			continue;
		fprintf(out, "  %-42s", mc_rows[k].label);
		for (uint32_t i = 0; i < n; i++) {
			char cell[32];

			snprintf(cell, sizeof(cell), mc_rows[k].fmt, jnum(r[i], mc_rows[k].key));
			fprintf(out, " %10s", cell);
		}
		fprintf(out, "\n");
	}
}

int emu_report_mcast(struct emu **runs, const uint32_t *counts, uint32_t n, const char *mode, FILE *out,
		     enum emu_format fmt)
{
	json_t *r[8], *arr = json_array(), *root;

	for (uint32_t i = 0; i < n && i < 8; i++) {
		r[i] = emu_mcast_json(runs[i]);
		json_array_append_new(
			arr, json_pack("{s:I,s:O}", "listeners", (json_int_t)counts[i], "multicast", r[i]));
	}
	root = json_pack("{s:s,s:I,s:s,s:o}", "scenario", runs[0]->cfg.name, "seed",
			 (json_int_t)runs[0]->seed, "mode", mode, "runs", arr);
	if (fmt == EMU_FMT_JSON) {
		emu_print_json(out, root);
	} else {
		mc_text(r, counts, n < 8 ? n : 8, mode, runs[0]->nodes[runs[0]->mcast->source].name, out);
	}
	for (uint32_t i = 0; i < n && i < 8; i++)
		json_decref(r[i]);
	json_decref(root);
	return 0;
}
