/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Pictures of a run (--svg DIR): plain SVG 1.1 written here, one file per
 * picture, each a standalone document that xmllint accepts and a browser
 * opens.
 *
 *   topology[-RUN].svg  the nodes in rows by their hop distance from the
 *                       access routers, the anchors (LMAs, MAARs) in
 *                       colours, the MNs attached to each access router
 *                       as dots of the colour of their address's anchor,
 *                       and the tunnels (ENCAP intents of an anchor towards
 *                       a serving node, downlink) as curves of that
 *                       colour, at the time chosen (--svg-at, else the end)
 *   timeline[-RUN].svg  bindings per anchor and tunnels alive over time,
 *                       and each handover's interruption (detach to the
 *                       first packet delivered after it) at its time
 *   interruption.svg    the handover interruption's distribution (CDF),
 *                       one line per run (DMM and PMIPv6 with --compare)
 *   tunnels.svg         tunnels alive over time, one line per run
 *   anchors.svg         each anchor's share of the user traffic, per run
 *   stretch.svg         path stretch (delay via the anchor over the direct
 *                       path) of the streams and of old and new sessions
 *
 * Recording reads the state only (no event is added to the run), so a run
 * with --svg has the same report as one without.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "emu.h"

#define SVG_SAMPLES 400
#define SVG_MAX_TUN_NODES 1024

struct emu_svg {
	dmm_time_t at, every, next;
	bool snapped;
	dmm_time_t snap_t;
	uint32_t *anch, nanch; /* anchor nodes (LMA or MAAR roles) */
	int32_t *slot;	       /* node -> index in anch, or -1 */
	uint32_t *mns; /* node x (nanch + 1): MNs attached, by the anchor of their address (last: none) */
	uint32_t *tun; /* node x node: ENCAP intents (downlink) from an anchor to a node; NULL: too many */
	double *t, *tunnels, *bind; /* samples; bind: ns x nanch */
	uint32_t ns, cap;
};

static const char *const palette[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
				      "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#7f7f7f"};

static const char *colour(uint32_t i)
{
	return palette[i % (sizeof(palette) / sizeof(palette[0]))];
}

int emu_svg_init(struct emu *e, dmm_time_t at)
{
	struct emu_svg *s = calloc(1, sizeof(*s));
	uint32_t n = e->nnodes;

	if (!s)
		return -1;
	e->svg = s;
	s->at = at;
	s->every = e->cfg.duration / SVG_SAMPLES;
	if (s->every < DMM_MSEC)
		s->every = DMM_MSEC;
	s->anch = calloc(n, sizeof(*s->anch));
	s->slot = calloc(n, sizeof(*s->slot));
	if (!s->anch || !s->slot)
		return -1;
	for (uint32_t i = 0; i < n; i++) {
		s->slot[i] = -1;
		if (e->nodes[i].lma || e->nodes[i].maar) {
			s->slot[i] = (int32_t)s->nanch;
			s->anch[s->nanch++] = i;
		}
	}
	s->mns = calloc((size_t)n * (s->nanch + 1), sizeof(*s->mns));
	if (n <= SVG_MAX_TUN_NODES)
		s->tun = calloc((size_t)n * n, sizeof(*s->tun));
	return s->mns && (s->tun || n > SVG_MAX_TUN_NODES) ? 0 : -1;
}

void emu_svg_free(struct emu *e)
{
	struct emu_svg *s = e->svg;

	if (!s)
		return;
	free(s->anch);
	free(s->slot);
	free(s->mns);
	free(s->tun);
	free(s->t);
	free(s->tunnels);
	free(s->bind);
	free(s);
	e->svg = NULL;
}

static uint32_t bindings(const struct emu_node *n)
{
	if (n->lma)
		return dmm_bcache_count(dmm_lma_bcache(n->lma));
	if (n->maar)
		return dmm_bcache_count(dmm_maar_anchored(n->maar));
	return 0;
}

static void sample(struct emu *e, dmm_time_t now)
{
	struct emu_svg *s = e->svg;

	if (s->ns == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : SVG_SAMPLES + 2;
		double *t = realloc(s->t, cap * sizeof(double));

		if (t)
			s->t = t;
		double *tu = realloc(s->tunnels, cap * sizeof(double));

		if (tu)
			s->tunnels = tu;
		double *b = realloc(s->bind, cap * (s->nanch ? s->nanch : 1) * sizeof(double));

		if (b)
			s->bind = b;
		if (!t || !tu || !b)
			return;
		s->cap = (uint32_t)cap;
	}
	s->t[s->ns] = (double)now / 1e9;
	s->tunnels[s->ns] = e->encap_now;
	for (uint32_t k = 0; k < s->nanch; k++)
		s->bind[(size_t)s->ns * s->nanch + k] = bindings(&e->nodes[s->anch[k]]);
	s->ns++;
}

/* The MNs where they are, by the anchor of their address, and the tunnels. */
static void snapshot(struct emu *e, dmm_time_t now)
{
	struct emu_svg *s = e->svg;
	uint32_t n = e->nnodes;

	s->snapped = true;
	s->snap_t = now;
	for (uint32_t i = 0; i < e->nmns; i++) {
		const struct emu_mn *m = &e->mns[i];
		struct emu_node *a = m->has_prefix ? emu_anchor_of(e, &m->hnp.addr) : NULL;
		uint32_t k = a && s->slot[a->idx] >= 0 ? (uint32_t)s->slot[a->idx] : s->nanch;

		if (m->mag >= 0)
			s->mns[(size_t)m->mag * (s->nanch + 1) + k]++;
	}
	for (uint32_t i = 0; s->tun && i < n; i++) {
		const struct emu_dp *dp = &e->nodes[i].dp;

		if (e->nodes[i].dead)
			continue;
		for (uint32_t k = 0; k < dp->hwm; k++) {
			const struct emu_dp_ent *x = &dp->v[k];
			uint32_t to = x->id ? e->ia[x->peer].node : UINT32_MAX;

			if (x->action == DMM_FM_ENCAP && x->match == DMM_FM_DST && to < n)
				s->tun[(size_t)i * n + to]++;
		}
	}
}

void emu_svg_tick(struct emu *e)
{
	struct emu_svg *s = e->svg;
	dmm_time_t now = e->eng.now;

	while (s->next <= now && s->next <= e->cfg.duration) {
		sample(e, s->next);
		s->next += s->every;
	}
	if (!s->snapped && s->at != DMM_TIME_NEVER && now >= s->at)
		snapshot(e, s->at);
}

void emu_svg_finish(struct emu *e)
{
	struct emu_svg *s = e->svg;

	emu_svg_tick(e);
	if (!s->ns || s->t[s->ns - 1] < (double)e->eng.now / 1e9)
		sample(e, e->eng.now);
	if (!s->snapped)
		snapshot(e, e->eng.now);
}

/* ---- drawing ---- */

/* name with the XML specials escaped, in a static buffer (one at a time). */
static const char *esc(const char *name)
{
	static char buf[256];
	size_t o = 0;

	for (const char *c = name; *c && o + 7 < sizeof(buf); c++) {
		const char *r = *c == '&'   ? "&amp;"
				: *c == '<' ? "&lt;"
				: *c == '>' ? "&gt;"
				: *c == '"' ? "&quot;"
					    : NULL;

		if (r) {
			memcpy(buf + o, r, strlen(r));
			o += strlen(r);
		} else if ((unsigned char)*c >= 0x20) {
			buf[o++] = *c;
		}
	}
	buf[o] = 0;
	return buf;
}

static FILE *svg_open(const char *dir, const char *base, const char *label, double w, double h, FILE *log)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s%s%s.svg", dir, base, label ? "-" : "", label ? label : "");
	f = fopen(path, "w");
	if (!f) {
		fprintf(stderr, "dmm-emu: %s: %s\n", path, strerror(errno));
		return NULL;
	}
	if (log)
		fprintf(log, "dmm-emu: picture %s\n", path);
	fprintf(f,
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"%.0f\" height=\"%.0f\" "
		"viewBox=\"0 0 %.0f %.0f\" font-family=\"sans-serif\" font-size=\"12\">\n"
		"<rect x=\"0\" y=\"0\" width=\"%.0f\" height=\"%.0f\" fill=\"#ffffff\"/>\n",
		w, h, w, h, w, h);
	return f;
}

static int svg_close(FILE *f)
{
	fprintf(f, "</svg>\n");
	return fclose(f) ? -1 : 0;
}

/* A chart's frame: where on the page, and the data range it shows. */
struct frame {
	FILE *f;
	double x, y, w, h;
	double x0, x1, y0, y1;
};

static double fx(const struct frame *p, double v)
{
	return p->x + (p->x1 > p->x0 ? (v - p->x0) / (p->x1 - p->x0) : 0) * p->w;
}

static double fy(const struct frame *p, double v)
{
	return p->y + p->h - (p->y1 > p->y0 ? (v - p->y0) / (p->y1 - p->y0) : 0) * p->h;
}

/* A round tick step: 1, 2 or 5 times a power of ten, about range / 5. */
static double nice_step(double range)
{
	double raw = range > 0 ? range / 5 : 1, p = pow(10, floor(log10(raw))), m = raw / p;

	return (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * p;
}

/* Round the top of the y range up to a tick, at least 1. */
static void fit_y(struct frame *p, double ymax)
{
	double st;

	p->y0 = 0;
	if (ymax <= 0)
		ymax = 1;
	st = nice_step(ymax);
	p->y1 = ceil(ymax / st) * st;
}

static void ticks(const struct frame *p)
{
	double sx = nice_step(p->x1 - p->x0), sy = nice_step(p->y1 - p->y0);

	for (double v = ceil(p->y0 / sy) * sy; v <= p->y1 + sy * 1e-9; v += sy) {
		fprintf(p->f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#dddddd\"/>\n",
			p->x, fy(p, v), p->x + p->w, fy(p, v));
		fprintf(p->f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%g</text>\n", p->x - 4,
			fy(p, v) + 4, v);
	}
	for (double v = ceil(p->x0 / sx) * sx; v <= p->x1 + sx * 1e-9; v += sx)
		fprintf(p->f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%g</text>\n", fx(p, v),
			p->y + p->h + 15, v);
}

static void frame_draw(const struct frame *p, const char *title, const char *xlabel, const char *ylabel)
{
	ticks(p);
	fprintf(p->f,
		"<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" "
		"stroke=\"#333333\"/>\n",
		p->x, p->y, p->w, p->h);
	fprintf(p->f, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"14\" font-weight=\"bold\">%s</text>\n", p->x,
		p->y - 8, esc(title));
	if (xlabel)
		fprintf(p->f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>\n",
			p->x + p->w / 2, p->y + p->h + 32, esc(xlabel));
	fprintf(p->f,
		"<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" transform=\"rotate(-90 %.1f "
		"%.1f)\">%s</text>\n",
		p->x - 44, p->y + p->h / 2, p->x - 44, p->y + p->h / 2, esc(ylabel));
}

/* A line through (x[i], y[i * stride]), as steps when step (a value holds until the next). */
static void series(const struct frame *p, const double *x, const double *y, size_t n, size_t stride,
		   const char *col, bool step)
{
	if (!n)
		return;
	fprintf(p->f, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.8\" points=\"", col);
	for (size_t i = 0; i < n; i++) {
		if (step && i)
			fprintf(p->f, "%.1f,%.1f ", fx(p, x[i]), fy(p, y[(i - 1) * stride]));
		fprintf(p->f, "%.1f,%.1f ", fx(p, x[i]), fy(p, y[i * stride]));
	}
	fprintf(p->f, "\"/>\n");
}

static void legend(const struct frame *p, int i, const char *label, const char *col)
{
	double x = p->x + p->w + 12, y = p->y + 14 + 18 * i;

	fprintf(p->f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"14\" height=\"10\" fill=\"%s\"/>\n", x, y - 9,
		col);
	fprintf(p->f, "<text x=\"%.1f\" y=\"%.1f\">%s</text>\n", x + 18, y, esc(label));
}

/* ---- topology ---- */

struct layout {
	double *x, *y;
	double w, h, row_h, spacing;
	uint32_t rows;
};

/* Rows by hop distance from the nearest access router (those at the bottom), in index order. */
static int layout(struct emu *e, struct layout *l)
{
	uint32_t n = e->nnodes, *rank = calloc(n, sizeof(*rank)), *cnt = calloc(n + 1, sizeof(*cnt)), *pos,
		 widest = 1;

	l->x = calloc(n, sizeof(double));
	l->y = calloc(n, sizeof(double));
	if (!rank || !cnt || !l->x || !l->y) {
		free(rank);
		free(cnt);
		return -1;
	}
	l->rows = 1;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t best = n;

		for (uint32_t k = 0; k < e->nmags; k++) {
			uint32_t h = emu_path_delay(e, i, e->mag_list[k]) == DMM_TIME_NEVER
					     ? n
					     : emu_path_hops(e, i, e->mag_list[k]);

			if (h < best)
				best = h;
		}
		rank[i] = emu_is_access(e->nodes[i].kind) ? 0 : best >= n ? 1 : best;
		if (rank[i] + 1 > l->rows)
			l->rows = rank[i] + 1;
		if (++cnt[rank[i]] > widest)
			widest = cnt[rank[i]];
	}
	l->w = 70.0 * widest + 320;
	if (l->w < 760)
		l->w = 760;
	if (l->w > 1800)
		l->w = 1800;
	l->row_h = 110;
	l->h = 80 + l->row_h * (l->rows - 1) + 150;
	pos = calloc(n + 1, sizeof(*pos));
	for (uint32_t i = 0; pos && i < n; i++) {
		double sp = (l->w - 300) / cnt[rank[i]];

		l->x[i] = 40 + sp * (pos[rank[i]]++ + 0.5);
		l->y[i] = 70 + l->row_h * (l->rows - 1 - rank[i]);
		if (cnt[rank[i]] == widest)
			l->spacing = sp;
	}
	free(pos);
	free(rank);
	free(cnt);
	return pos ? 0 : -1;
}

static const char *anchor_colour(const struct emu_svg *s, uint32_t node)
{
	return s->slot[node] >= 0 ? colour((uint32_t)s->slot[node]) : "#999999";
}

/* The anchors' tunnels towards serving nodes, as curves, wider with more prefixes. */
static void draw_tunnels(struct emu *e, FILE *f, const struct layout *l, uint32_t *total)
{
	struct emu_svg *s = e->svg;
	uint32_t n = e->nnodes;

	for (uint32_t a = 0; s->tun && a < n; a++)
		for (uint32_t b = 0; b < n; b++) {
			uint32_t c = s->tun[(size_t)a * n + b];
			double mx = (l->x[a] + l->x[b]) / 2, my = (l->y[a] + l->y[b]) / 2,
			       dx = l->x[b] - l->x[a], dy = l->y[b] - l->y[a], cx = mx - dy * 0.15,
			       cy = my + dx * 0.15;

			if (!c)
				continue;
			*total += c;
			fprintf(f,
				"<path d=\"M %.1f %.1f Q %.1f %.1f %.1f %.1f\" fill=\"none\" stroke=\"%s\" "
				"stroke-width=\"%.1f\" stroke-dasharray=\"6 3\" stroke-opacity=\"0.8\"/>\n",
				l->x[a], l->y[a], cx, cy, l->x[b], l->y[b], anchor_colour(s, a),
				1 + 1.5 * log2((double)c));
			fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" fill=\"%s\" font-size=\"11\">%u</text>\n",
				(mx + cx) / 2, (my + cy) / 2, anchor_colour(s, a), c);
		}
}

static void draw_node(struct emu *e, FILE *f, const struct layout *l, uint32_t i)
{
	const struct emu_node *nd = &e->nodes[i];
	double x = l->x[i], y = l->y[i];
	const char *fill = e->svg->slot[i] >= 0 ? anchor_colour(e->svg, i) : "#ffffff";
	const char *stroke = nd->dead ? "#ff0000" : "#222222";
	/* Access routers in a crowded row are narrower, to stay apart. */
	double w = emu_is_access(nd->kind) && l->spacing < 40 ? (l->spacing > 6 ? l->spacing - 2 : 4) : 36;

	switch (nd->kind) {
	case EMU_CN:
		fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"13\" fill=\"#eeeeee\" stroke=\"%s\"/>\n", x,
			y, stroke);
		break;
	case EMU_ROUTER:
		fprintf(f,
			"<polygon points=\"%.1f,%.1f %.1f,%.1f %.1f,%.1f %.1f,%.1f\" fill=\"#eeeeee\" "
			"stroke=\"%s\"/>\n",
			x, y - 11, x + 11, y, x, y + 11, x - 11, y, stroke);
		break;
	default:
		fprintf(f,
			"<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"22\" rx=\"%d\" fill=\"%s\" "
			"stroke=\"%s\" stroke-width=\"%d\"/>\n",
			x - w / 2, y - 11, w, nd->kind == EMU_MAAR ? 8 : 2, fill, stroke,
			nd->kind == EMU_MAAR ? 3 : 1);
		break;
	}
	if (nd->dead)
		fprintf(f,
			"<path d=\"M %.1f %.1f L %.1f %.1f M %.1f %.1f L %.1f %.1f\" stroke=\"#ff0000\" "
			"stroke-width=\"3\"/>\n",
			x - 14, y - 14, x + 14, y + 14, x - 14, y + 14, x + 14, y - 14);
	if (l->spacing >= 34 || !emu_is_access(nd->kind))
		fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"11\">%s</text>\n",
			x, y - 16, esc(nd->name));
}

/* The MNs attached to access router i: up to 24 dots by anchor colour, and their number. */
static void draw_mns(struct emu *e, FILE *f, const struct layout *l, uint32_t i, uint32_t *total)
{
	struct emu_svg *s = e->svg;
	const uint32_t *c = &s->mns[(size_t)i * (s->nanch + 1)];
	uint32_t drawn = 0, all = 0,
		 per_row = l->spacing >= 34   ? 6
			   : l->spacing >= 12 ? 2
					      : 1,
		 room = per_row * 4;

	for (uint32_t k = 0; k <= s->nanch; k++)
		all += c[k];
	/* At most room dots, shared among the anchors in proportion (every anchor present gets one). */
	for (uint32_t k = 0; k <= s->nanch && all; k++) {
		uint32_t want = c[k] && all > room ? (uint32_t)((uint64_t)c[k] * room / all) : c[k];

		if (c[k] && want == 0)
			want = 1;
		for (uint32_t j = 0; j < want && drawn < room; j++, drawn++)
			fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%.1f\" fill=\"%s\"/>\n",
				l->x[i] - 2.5 * (per_row - 1) + 5 * (drawn % per_row),
				l->y[i] + 22 + 8 * (drawn / per_row), per_row > 1 ? 2.3 : 2.0,
				k < s->nanch ? colour(k) : "#999999");
	}
	*total += all;
	if (all && l->spacing >= 34)
		fprintf(f,
			"<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"10\">%u "
			"MN%s</text>\n",
			l->x[i], l->y[i] + 64, all, all == 1 ? "" : "s");
}

static void topo_legend(struct emu *e, FILE *f, const struct layout *l, uint32_t mns, uint32_t tun)
{
	struct emu_svg *s = e->svg;
	double x = l->w - 240, y = 70;

	fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" font-weight=\"bold\">anchors</text>\n", x, y);
	for (uint32_t k = 0; k < s->nanch && k < 16; k++)
		fprintf(f,
			"<rect x=\"%.1f\" y=\"%.1f\" width=\"14\" height=\"10\" fill=\"%s\"/><text "
			"x=\"%.1f\" "
			"y=\"%.1f\">%s</text>\n",
			x, y + 9 + 16 * k, colour(k), x + 20, y + 18 + 16 * k,
			esc(e->nodes[s->anch[k]].name));
	y += 40 + 16 * (s->nanch < 16 ? s->nanch : 16);
	fprintf(f,
		"<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\">dots: MNs, coloured by the</text>\n"
		"<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\">anchor of their address</text>\n"
		"<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\">dashed: tunnels, anchor to serving</text>\n"
		"<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\">node (number: prefixes)</text>\n",
		x, y, x, y + 14, x, y + 32, x, y + 46);
	fprintf(f,
		"<text x=\"20\" y=\"30\" font-size=\"15\" font-weight=\"bold\">%s at t = %.3f s: %u MNs "
		"attached, "
		"%u tunnelled prefixes</text>\n",
		esc(e->cfg.name), (double)s->snap_t / 1e9, mns, tun);
}

static int write_topology(struct emu *e, const char *dir, const char *label, FILE *log)
{
	struct layout l = {0};
	uint32_t mns = 0, tun = 0;
	FILE *f;
	int rc = -1;

	if (layout(e, &l))
		goto out;
	f = svg_open(dir, "topology", label, l.w, l.h, log);
	if (!f)
		goto out;
	for (uint32_t k = 0; k < e->nlinks; k++)
		fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#bbbbbb\"/>\n",
			l.x[e->links[k].a], l.y[e->links[k].a], l.x[e->links[k].b], l.y[e->links[k].b]);
	draw_tunnels(e, f, &l, &tun);
	for (uint32_t i = 0; i < e->nnodes; i++) {
		draw_node(e, f, &l, i);
		if (emu_is_access(e->nodes[i].kind))
			draw_mns(e, f, &l, i, &mns);
	}
	topo_legend(e, f, &l, mns, tun);
	rc = svg_close(f);
out:
	free(l.x);
	free(l.y);
	return rc;
}

/* ---- timeline ---- */

static double dmax(const double *v, size_t n, size_t stride)
{
	double m = 0;

	for (size_t i = 0; i < n; i++)
		if (v[i * stride] > m)
			m = v[i * stride];
	return m;
}

/* Seconds from detach to the first packet delivered after it, of the handovers that had one. */
static size_t interruptions(struct emu *e, double **at, double **gap)
{
	size_t k = 0;

	*at = calloc(e->nho + 1, sizeof(double));
	*gap = calloc(e->nho + 1, sizeof(double));
	if (!*at || !*gap)
		return 0;
	for (uint32_t i = 0; i < e->nho; i++) {
		const struct emu_ho *h = &e->ho[i];

		if (!h->has_attach || !h->has_rx)
			continue;
		(*at)[k] = (double)h->detach / 1e9;
		(*gap)[k++] = (double)(h->first_rx - h->detach) / 1e6;
	}
	return k;
}

static void panel_bindings(struct emu *e, FILE *f, double y)
{
	struct emu_svg *s = e->svg;
	struct frame p = {f, 90, y, 620, 150, 0, (double)e->cfg.duration / 1e9, 0, 1};

	fit_y(&p, s->nanch ? dmax(s->bind, (size_t)s->ns * s->nanch, 1) : 0);
	frame_draw(&p, "bindings per anchor", NULL, "bindings");
	for (uint32_t k = 0; k < s->nanch; k++) {
		series(&p, s->t, s->bind + k, s->ns, s->nanch, colour(k), true);
		if (k < 8)
			legend(&p, (int)k, e->nodes[s->anch[k]].name, colour(k));
	}
}

static void panel_tunnels(struct emu *e, FILE *f, double y)
{
	struct emu_svg *s = e->svg;
	struct frame p = {f, 90, y, 620, 150, 0, (double)e->cfg.duration / 1e9, 0, 1};

	fit_y(&p, dmax(s->tunnels, s->ns, 1));
	frame_draw(&p, "tunnels alive (ENCAP intents)", NULL, "intents");
	series(&p, s->t, s->tunnels, s->ns, 1, "#333333", true);
}

static void panel_interruption(struct emu *e, FILE *f, double y)
{
	struct frame p = {f, 90, y, 620, 150, 0, (double)e->cfg.duration / 1e9, 0, 1};
	double *at, *gap;
	size_t k = interruptions(e, &at, &gap);

	fit_y(&p, dmax(gap, k, 1));
	frame_draw(&p, "handover interruption (detach to first packet)", "time (s)", "ms");
	for (size_t i = 0; i < k; i++)
		fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\" fill=\"#d62728\"/>\n", fx(&p, at[i]),
			fy(&p, gap[i]));
	if (!k)
		fprintf(f, "<text x=\"%.1f\" y=\"%.1f\">no handover with a packet after it</text>\n",
			p.x + 10, p.y + 20);
	free(at);
	free(gap);
}

static int write_timeline(struct emu *e, const char *dir, const char *label, FILE *log)
{
	FILE *f = svg_open(dir, "timeline", label, 860, 670, log);

	if (!f)
		return -1;
	fprintf(f, "<text x=\"20\" y=\"24\" font-size=\"15\" font-weight=\"bold\">%s%s%s: over time</text>\n",
		esc(e->cfg.name), label ? ", " : "", label ? label : "");
	panel_bindings(e, f, 60);
	panel_tunnels(e, f, 260);
	panel_interruption(e, f, 460);
	return svg_close(f);
}

/* ---- the runs together ---- */

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int write_cdf(struct emu **runs, const char *const *labels, int nr, const char *dir, FILE *log)
{
	FILE *f = svg_open(dir, "interruption", NULL, 860, 420, log);
	struct frame p = {f, 90, 60, 620, 300, 0, 1, 0, 1};
	double *at[8] = {0}, *gap[8] = {0}, top = 0;
	size_t k[8] = {0};

	if (!f)
		return -1;
	for (int r = 0; r < nr && r < 8; r++) {
		k[r] = interruptions(runs[r], &at[r], &gap[r]);
		qsort(gap[r], k[r], sizeof(double), cmp_d);
		if (k[r] && gap[r][k[r] - 1] > top)
			top = gap[r][k[r] - 1];
	}
	p.x1 = top > 0 ? ceil(top / nice_step(top)) * nice_step(top) : 1;
	frame_draw(&p, "handover interruption, distribution (CDF)", "detach to first packet (ms)",
		   "fraction of handovers");
	for (int r = 0; r < nr && r < 8; r++) {
		for (size_t i = 0; i < k[r]; i++)
			at[r][i] = (double)(i + 1) / (double)k[r];
		series(&p, gap[r], at[r], k[r], 1, colour((uint32_t)r), true);
		legend(&p, r, labels[r] ? labels[r] : runs[r]->cfg.name, colour((uint32_t)r));
		free(at[r]);
		free(gap[r]);
	}
	return svg_close(f);
}

static int write_tunnels(struct emu **runs, const char *const *labels, int nr, const char *dir, FILE *log)
{
	FILE *f = svg_open(dir, "tunnels", NULL, 860, 420, log);
	struct frame p = {f, 90, 60, 620, 300, 0, (double)runs[0]->cfg.duration / 1e9, 0, 1};
	double top = 0;

	if (!f)
		return -1;
	for (int r = 0; r < nr; r++)
		if (dmax(runs[r]->svg->tunnels, runs[r]->svg->ns, 1) > top)
			top = dmax(runs[r]->svg->tunnels, runs[r]->svg->ns, 1);
	fit_y(&p, top);
	frame_draw(&p, "tunnels alive (ENCAP intents)", "time (s)", "intents");
	for (int r = 0; r < nr; r++) {
		series(&p, runs[r]->svg->t, runs[r]->svg->tunnels, runs[r]->svg->ns, 1, colour((uint32_t)r),
		       true);
		legend(&p, r, labels[r] ? labels[r] : runs[r]->cfg.name, colour((uint32_t)r));
	}
	return svg_close(f);
}

/* Horizontal bars: value v[r * nb + b] of bar b in run r, with the bars' names. */
struct bars {
	const char *title, *unit;
	const char *names[64];
	double v[8 * 64];
	uint32_t nb;
};

static int write_bars(const struct bars *b, const char *base, const char *const *labels, int nr,
		      const char *dir, FILE *log)
{
	double row = 14.0 * nr + 10, h = 110 + row * b->nb, top = 0;
	FILE *f = svg_open(dir, base, NULL, 860, h, log);
	struct frame p = {f, 160, 60, 520, row * b->nb, 0, 1, 0, 1};

	if (!f)
		return -1;
	for (uint32_t i = 0; i < (uint32_t)nr * b->nb; i++)
		if (b->v[i] > top)
			top = b->v[i];
	p.x1 = top > 0 ? ceil(top / nice_step(top)) * nice_step(top) : 1;
	frame_draw(&p, b->title, b->unit, "");
	for (uint32_t k = 0; k < b->nb; k++) {
		fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n", p.x - 6,
			p.y + row * k + row / 2 + 4, esc(b->names[k]));
		for (int r = 0; r < nr; r++)
			fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"12\" fill=\"%s\"/>\n",
				p.x, p.y + row * k + 5 + 14 * r, fx(&p, b->v[r * b->nb + k]) - p.x,
				colour((uint32_t)r));
	}
	for (int r = 0; r < nr; r++)
		legend(&p, r, labels[r] ? labels[r] : "run", colour((uint32_t)r));
	return svg_close(f);
}

/* Each anchor node's (an LMA or a MAAR in any run) share of the user packets, per run. */
static int write_anchors(struct emu **runs, const char *const *labels, int nr, const char *dir, FILE *log)
{
	static struct bars b;
	struct emu *e = runs[0];

	memset(&b, 0, sizeof(b));
	b.title = "user traffic carried per anchor";
	b.unit = "share of the packets carried by anchors";
	for (uint32_t i = 0; i < e->nnodes && b.nb < 64; i++)
		if (e->nodes[i].kind == EMU_LMA || e->nodes[i].kind == EMU_MAAR)
			b.names[b.nb++] = e->nodes[i].name;
	for (int r = 0; r < nr && r < 8; r++) {
		double total = 0;
		uint32_t k = 0;

		for (uint32_t i = 0; i < runs[r]->nnodes; i++)
			if (runs[r]->nodes[i].kind == EMU_LMA || runs[r]->nodes[i].kind == EMU_MAAR)
				total += (double)runs[r]->nodes[i].carried_pkts;
		for (uint32_t i = 0; i < runs[r]->nnodes && k < b.nb; i++)
			if (runs[r]->nodes[i].kind == EMU_LMA || runs[r]->nodes[i].kind == EMU_MAAR)
				b.v[r * b.nb + k++] =
					total > 0 ? (double)runs[r]->nodes[i].carried_pkts / total : 0;
	}
	return write_bars(&b, "anchors", labels, nr < 8 ? nr : 8, dir, log);
}

static double ratio(double via, double direct)
{
	return direct > 0 ? via / direct : 0;
}

static int write_stretch(struct emu **runs, const char *const *labels, int nr, const char *dir, FILE *log)
{
	static struct bars b;

	memset(&b, 0, sizeof(b));
	b.title = "path stretch: delay via the anchor over the direct path";
	b.unit = "delay ratio (1: direct)";
	b.names[0] = "streams";
	b.names[1] = "new sessions";
	b.names[2] = "old sessions";
	b.nb = 3;
	for (int r = 0; r < nr && r < 8; r++) {
		struct emu *e = runs[r];

		b.v[r * 3] = ratio(e->stretch_delay_anchor, e->stretch_delay_direct);
		b.v[r * 3 + 1] = ratio(e->stretch_cls[0].delay_anchor, e->stretch_cls[0].delay_direct);
		b.v[r * 3 + 2] = ratio(e->stretch_cls[1].delay_anchor, e->stretch_cls[1].delay_direct);
	}
	return write_bars(&b, "stretch", labels, nr < 8 ? nr : 8, dir, log);
}

/* mkdir -p dir: 0, or -1 with errno. */
static int mkdirs(const char *dir)
{
	char buf[4096];
	size_t len = strlen(dir);

	if (len == 0 || len >= sizeof(buf)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(buf, dir, len + 1);
	for (char *c = buf + 1; *c; c++) {
		if (*c != '/')
			continue;
		*c = 0;
		if (mkdir(buf, 0755) && errno != EEXIST)
			return -1;
		*c = '/';
	}
	return mkdir(buf, 0755) && errno != EEXIST ? -1 : 0;
}

int emu_svg_write(const char *dir, struct emu **runs, const char *const *labels, int n, FILE *log)
{
	int rc = 0;

	if (mkdirs(dir)) {
		fprintf(stderr, "dmm-emu: --svg %s: %s\n", dir, strerror(errno));
		return -1;
	}
	for (int r = 0; r < n; r++) {
		rc |= write_topology(runs[r], dir, labels[r], log);
		rc |= write_timeline(runs[r], dir, labels[r], log);
	}
	rc |= write_cdf(runs, labels, n, dir, log);
	rc |= write_tunnels(runs, labels, n, dir, log);
	rc |= write_anchors(runs, labels, n, dir, log);
	rc |= write_stretch(runs, labels, n, dir, log);
	return rc ? -1 : 0;
}
