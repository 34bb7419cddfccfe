/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Scenario files (JSON, read with jansson) and the routing graph.
 *
 *   {"name": "...", "duration": "60s",
 *    "defaults": {"link": {"delay": "2ms", "jitter": "0", "loss": 0},
 *                 "heartbeat_interval": "5s", "missing_heartbeats_allowed": 3,
 *                 "lifetime": 600, "buffer": 256},
 *    "nodes": [{"name": "LMA1", "kind": "lma", "address": "2001:db8::1",
 *               "pool": ["2001:db8:1::/48"]},
 *              {"name": "MAG1", "kind": "mag", "address": "...", "default_lma": "LMA1"},
 *              {"name": "CN1", "kind": "cn", "address": "..."},
 *              {"name": "R", "kind": "router", "address": "..."},
 *              {"name": "MN1", "kind": "mn", "home_lma": "LMA1", "cn": "CN1",
 *               "path": ["MAG1", "MAG2", "MAG3"], "start": "0.1s"}],
 *    "links": [{"a": "LMA1", "b": "R", "delay": "5ms", "jitter": "0.1ms", "loss": 0.01}],
 *    "generators": [{"mn_count": 1000, "home_lma": "round-robin", "cn": "round-robin"}],
 *    "mobility": {"dwell": {"type": "exponential", "mean": "60s", "min": "5s"},
 *                 "l2_gap": "50ms", "until": "50s", "initial_spread": "1s"},
 *    "traffic": {"downlink_pps": 100, "uplink_pps": 0, "packet_size": 1000, "fraction": 1},
 *    "events": [{"at": "30s", "kill": "LMA2"}]}
 *
 * Distributed anchoring (RFC 8885) adds two kinds and a few settings:
 *
 *   {"name": "MAAR1", "kind": "maar", "address": "...", "pool": ["2001:db8:11::/48"],
 *    "max_anchored": 1000, "priority": 1, "anchor_locally": true, "cmd": "CMD"}
 *   {"name": "CMD", "kind": "cmd", "address": "...", "mode": "proxy" | "relay",
 *    "relay_timeout": "1s", "pool": ["2001:db8:100::/48"]}
 *   "defaults": {"idle_release": "10s", "idle_check": "1s", "detach_grace": "10s"},
 *   "sessions": {"interval": {"type": "exponential", "mean": "20s", "min": "0"},
 *                "duration": {"type": "exponential", "mean": "30s", "min": "1s"},
 *                "downlink_pps": 10, "uplink_pps": 2, "packet_size": 500},
 *   "sample": "1s", "compare": true
 *
 * MNs attach to MAARs exactly as to MAGs. A scenario with MAARs runs as
 * DMM (CMD + MAARs) or, for --compare, as centralized PMIPv6 on the same
 * topology: the CMD's position holds the LMA (a node of kind "lma" when the
 * scenario has one, used only then; else the CMD itself with its "pool"),
 * and a MAG stands where each MAAR stands. Sessions: each MN opens one
 * every interval, to a random CN, for the drawn duration; its source is
 * the prefix preferred when it starts.
 *
 * A listed MN follows its path cyclically; a generated one starts at a
 * random MAG and moves to a random other MAG. Paths between nodes are the
 * shortest by base delay (then by hops), computed once.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "dmm/fmt.h"
#include "emu.h"

#define ERR(...)                                                                                             \
	do {                                                                                                 \
		snprintf(err, errlen, __VA_ARGS__);                                                          \
		goto fail;                                                                                   \
	} while (0)

static uint64_t addr_key(const struct dmm_addr *a)
{
	return dmm_hash_bytes(0x656d75, a->b, 16) | 1;
}

struct emu_node *emu_node_by_addr(struct emu *e, const struct dmm_addr *a)
{
	uint64_t k = addr_key(a);

	for (uint32_t i = (uint32_t)k & e->addr_mask;; i = (i + 1) & e->addr_mask) {
		if (!e->addr_keys[i])
			return NULL;
		if (e->addr_keys[i] == k && dmm_addr_eq(&e->nodes[e->addr_vals[i]].addr, a))
			return &e->nodes[e->addr_vals[i]];
	}
}

struct emu_node *emu_node_by_name(struct emu *e, const char *name)
{
	for (uint32_t i = 0; i < e->nnodes; i++)
		if (!strcmp(e->nodes[i].name, name))
			return &e->nodes[i];
	return NULL;
}

struct emu_node *emu_anchor_of(struct emu *e, const struct dmm_addr *a)
{
	for (uint32_t i = 0; i < e->nnodes; i++) {
		struct emu_node *n = &e->nodes[i];

		for (unsigned k = 0; k < n->npool; k++)
			if (dmm_prefix_contains(&n->pool[k], a))
				return n;
	}
	return NULL;
}

void emu_mn_mnid(uint32_t idx, struct dmm_mnid *id)
{
	/* A locally administered EUI-48 (RFC 8371 subtype), 02:00 + the index. */
	id->subtype = DMM_MNID_EUI48;
	id->len = 6;
	id->id[0] = 0x02;
	id->id[1] = 0x00;
	id->id[2] = (uint8_t)(idx >> 24);
	id->id[3] = (uint8_t)(idx >> 16);
	id->id[4] = (uint8_t)(idx >> 8);
	id->id[5] = (uint8_t)idx;
}

uint32_t emu_mn_from_mnid(const struct dmm_mnid *id)
{
	if (id->subtype != DMM_MNID_EUI48 || id->len != 6 || id->id[0] != 0x02 || id->id[1] != 0)
		return 0;
	return (uint32_t)id->id[2] << 24 | (uint32_t)id->id[3] << 16 | (uint32_t)id->id[4] << 8 | id->id[5];
}

static int get_duration(json_t *o, const char *key, dmm_time_t *out)
{
	json_t *v = json_object_get(o, key);

	if (!v)
		return 0;
	if (json_is_number(v)) {
		double s = json_number_value(v);

		if (s < 0)
			return -1;
		*out = (dmm_time_t)(s * 1e9 + 0.5);
		return 0;
	}
	if (!json_is_string(v))
		return -1;
	return emu_parse_duration(json_string_value(v), out);
}

static int get_number(json_t *o, const char *key, double *out)
{
	json_t *v = json_object_get(o, key);

	if (!v)
		return 0;
	if (!json_is_number(v))
		return -1;
	*out = json_number_value(v);
	return 0;
}

static const char *get_string(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

static int node_kind(const char *s)
{
	if (!s)
		return -1;
	if (!strcmp(s, "lma"))
		return EMU_LMA;
	if (!strcmp(s, "mag"))
		return EMU_MAG;
	if (!strcmp(s, "cn"))
		return EMU_CN;
	if (!strcmp(s, "router"))
		return EMU_ROUTER;
	if (!strcmp(s, "maar"))
		return EMU_MAAR;
	if (!strcmp(s, "cmd"))
		return EMU_CMD;
	if (!strcmp(s, "mn"))
		return 100;
	return -1;
}

static int addr_index(struct emu *e)
{
	uint32_t size = 16;

	while (size < e->nnodes * 4)
		size <<= 1;
	e->addr_mask = size - 1;
	e->addr_keys = calloc(size, sizeof(*e->addr_keys));
	e->addr_vals = calloc(size, sizeof(*e->addr_vals));
	if (!e->addr_keys || !e->addr_vals)
		return -1;
	for (uint32_t n = 0; n < e->nnodes; n++) {
		uint64_t k = addr_key(&e->nodes[n].addr);
		uint32_t i = (uint32_t)k & e->addr_mask;

		if (emu_node_by_addr(e, &e->nodes[n].addr))
			return -2;
		while (e->addr_keys[i])
			i = (i + 1) & e->addr_mask;
		e->addr_keys[i] = k;
		e->addr_vals[i] = n;
	}
	return 0;
}

static void cfg_defaults(struct emu_cfg *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->name, sizeof(c->name), "unnamed");
	c->duration = 60 * DMM_SECOND;
	c->dwell_mean = 10 * DMM_SECOND;
	c->l2_gap = 50 * DMM_MSEC;
	c->mobility_until = DMM_TIME_NEVER;
	c->pkt_size = 1000;
	c->stream_fraction = 1.0;
	c->buffer_cap = 256;
	c->link_delay = 1 * DMM_MSEC;
	c->loss_override = -1;
	c->missing_allowed = -1;
	c->idle_release = 10 * DMM_SECOND;
	c->idle_check = 1 * DMM_SECOND;
	c->detach_grace = 10 * DMM_SECOND;
	c->ses_pkt_size = 500;
	c->sample_every = 1 * DMM_SECOND;
}

static int get_dist(json_t *o, bool *exp, dmm_time_t *mean, dmm_time_t *min)
{
	const char *t;

	if (!o)
		return 0;
	if (json_is_string(o) || json_is_number(o)) {
		json_t *w = json_pack("{s:O}", "mean", o);
		int rc = get_duration(w, "mean", mean);

		json_decref(w);
		*exp = false;
		return rc;
	}
	t = get_string(o, "type");
	if (t && strcmp(t, "fixed") && strcmp(t, "exponential"))
		return -1;
	*exp = t && !strcmp(t, "exponential");
	return get_duration(o, "mean", mean) || get_duration(o, "min", min) ? -1 : 0;
}

static int load_pool(json_t *o, struct emu_node *n)
{
	json_t *pool = json_object_get(o, "pool"), *v;
	size_t j;

	if (!pool)
		return 0;
	if (!json_is_array(pool) || json_array_size(pool) == 0 || json_array_size(pool) > 4)
		return -1;
	json_array_foreach(pool, j, v)
	{
		if (!json_is_string(v) || dmm_prefix_parse(json_string_value(v), &n->pool[j]))
			return -1;
	}
	n->npool = (uint8_t)json_array_size(pool);
	return 0;
}

/* The kind a declared node runs as in this variant. */
static uint8_t run_kind(uint8_t decl, int variant)
{
	if (variant == EMU_VAR_DMM && decl == EMU_LMA)
		return EMU_ROUTER;
	if (variant == EMU_VAR_PMIP && decl == EMU_MAAR)
		return EMU_MAG;
	return decl;
}

static int load_mn_path(struct emu *e, json_t *path, struct emu_mn *m, char *err, size_t errlen)
{
	size_t i;
	json_t *v;

	if (!json_is_array(path) || json_array_size(path) == 0)
		ERR("mn %u: path must be a non-empty array of MAG names", m->idx);
	m->path = &e->path_store[e->npath_store];
	m->path_len = (uint32_t)json_array_size(path);
	json_array_foreach(path, i, v)
	{
		struct emu_node *n = json_is_string(v) ? emu_node_by_name(e, json_string_value(v)) : NULL;

		if (!n || !emu_is_access(n->kind))
			ERR("mn %u: path entry %zu is not a MAG or MAAR", m->idx, i);
		e->path_store[e->npath_store++] = n->idx;
	}
	return 0;
fail:
	return -1;
}

int emu_load(struct emu *e, const char *path, int variant, char *err, size_t errlen)
{
	json_error_t jerr;
	json_t *root = json_load_file(path, 0, &jerr), *nodes, *links, *gens, *o, *v;
	size_t i, nmn = 0, npath = 0;
	uint32_t nlma = 0, ncn = 0, rr_lma = 0, rr_cn = 0, ncmd = 0, nmaar = 0, nlma_decl = 0;
	uint32_t *lmas = NULL, *cns = NULL;

	if (!root) {
		snprintf(err, errlen, "%s:%d: %s", path, jerr.line, jerr.text);
		return -1;
	}
	cfg_defaults(&e->cfg);
	e->cmd_idx = e->lma_idx = UINT32_MAX;
	if (!json_is_object(root))
		ERR("%s: the scenario must be a JSON object", path);
	/* The variant: a scenario with MAARs runs as DMM unless told otherwise. */
	nodes = json_object_get(root, "nodes");
	json_array_foreach(nodes, i, o)
	{
		const char *k = get_string(o, "kind");

		if (k && !strcmp(k, "maar"))
			nmaar++;
		if (k && !strcmp(k, "cmd"))
			ncmd++;
		if (k && !strcmp(k, "lma"))
			nlma_decl++;
	}
	if (nmaar && ncmd != 1)
		ERR("nodes: MAARs need exactly one cmd");
	e->has_dmm = nmaar > 0;
	if (!e->has_dmm)
		variant = EMU_VAR_NATIVE;
	else if (variant == EMU_VAR_NATIVE)
		variant = EMU_VAR_DMM;
	if (variant == EMU_VAR_PMIP && nlma_decl > 1)
		ERR("nodes: a scenario with MAARs has at most one lma (the centralized anchor)");
	e->variant = (uint8_t)variant;
	e->cfg.compare = json_is_true(json_object_get(root, "compare"));
	if (get_duration(root, "sample", &e->cfg.sample_every))
		ERR("sample: not a duration");
	if (get_string(root, "name"))
		snprintf(e->cfg.name, sizeof(e->cfg.name), "%s", get_string(root, "name"));
	if (get_duration(root, "duration", &e->cfg.duration))
		ERR("duration: not a duration");

	o = json_object_get(root, "defaults");
	if (o) {
		json_t *l = json_object_get(o, "link");
		double d = -1;

		if (l && (get_duration(l, "delay", &e->cfg.link_delay) ||
			  get_duration(l, "jitter", &e->cfg.link_jitter) ||
			  get_number(l, "loss", &e->cfg.link_loss)))
			ERR("defaults.link: bad delay, jitter or loss");
		if (get_duration(o, "heartbeat_interval", &e->cfg.hb_interval))
			ERR("defaults.heartbeat_interval: not a duration");
		if (get_number(o, "missing_heartbeats_allowed", &d))
			ERR("defaults.missing_heartbeats_allowed: not a number");
		if (d >= 0)
			e->cfg.missing_allowed = (int)d;
		d = -1;
		if (get_number(o, "lifetime", &d))
			ERR("defaults.lifetime: not a number");
		if (d > 0)
			e->cfg.lifetime_s = (uint32_t)d;
		d = -1;
		if (get_number(o, "buffer", &d))
			ERR("defaults.buffer: not a number");
		if (d >= 0)
			e->cfg.buffer_cap = (uint32_t)d;
		d = -1;
		if (get_duration(o, "idle_release", &e->cfg.idle_release) ||
		    get_duration(o, "idle_check", &e->cfg.idle_check) ||
		    get_duration(o, "detach_grace", &e->cfg.detach_grace))
			ERR("defaults: bad idle_release, idle_check or detach_grace");
		if (get_number(o, "mag_max_mns", &d) || (d > 0 && (e->cfg.mag_max_mns = (uint32_t)d, 0)))
			ERR("defaults.mag_max_mns: not a number");
		d = -1;
		if (get_number(o, "lma_max_bindings", &d) ||
		    (d > 0 && (e->cfg.lma_max_bindings = (uint32_t)d, 0)))
			ERR("defaults.lma_max_bindings: not a number");
	}

	o = json_object_get(root, "mobility");
	if (o) {
		json_t *dw = json_object_get(o, "dwell");

		if (dw) {
			const char *t = get_string(dw, "type");

			if (t && strcmp(t, "fixed") && strcmp(t, "exponential"))
				ERR("mobility.dwell.type: fixed or exponential");
			e->cfg.dwell_exp = t && !strcmp(t, "exponential");
			if (get_duration(dw, "mean", &e->cfg.dwell_mean) ||
			    get_duration(dw, "min", &e->cfg.dwell_min))
				ERR("mobility.dwell: bad mean or min");
		}
		if (get_duration(o, "l2_gap", &e->cfg.l2_gap) ||
		    get_duration(o, "until", &e->cfg.mobility_until) ||
		    get_duration(o, "initial_spread", &e->cfg.initial_spread))
			ERR("mobility: bad l2_gap, until or initial_spread");
	}
	o = json_object_get(root, "traffic");
	if (o) {
		double sz = e->cfg.pkt_size;

		if (get_number(o, "downlink_pps", &e->cfg.dl_pps) ||
		    get_number(o, "uplink_pps", &e->cfg.ul_pps) ||
		    get_number(o, "fraction", &e->cfg.stream_fraction) || get_number(o, "packet_size", &sz))
			ERR("traffic: bad downlink_pps, uplink_pps, fraction or packet_size");
		if (sz < 40 || sz > 65535 || e->cfg.dl_pps < 0 || e->cfg.ul_pps < 0)
			ERR("traffic: out of range");
		e->cfg.pkt_size = (uint16_t)sz;
	}

	o = json_object_get(root, "sessions");
	if (o) {
		double sz = e->cfg.ses_pkt_size;

		if (get_dist(json_object_get(o, "interval"), &e->cfg.ses_interval_exp, &e->cfg.ses_interval,
			     &e->cfg.ses_interval_min) ||
		    get_dist(json_object_get(o, "duration"), &e->cfg.ses_duration_exp, &e->cfg.ses_duration,
			     &e->cfg.ses_duration_min))
			ERR("sessions: bad interval or duration");
		if (get_number(o, "downlink_pps", &e->cfg.ses_dl_pps) ||
		    get_number(o, "uplink_pps", &e->cfg.ses_ul_pps) || get_number(o, "packet_size", &sz))
			ERR("sessions: bad downlink_pps, uplink_pps or packet_size");
		if (sz < 40 || sz > 65535 || e->cfg.ses_dl_pps < 0 || e->cfg.ses_ul_pps < 0 ||
		    e->cfg.ses_interval == 0)
			ERR("sessions: out of range (interval must be > 0)");
		e->cfg.ses_pkt_size = (uint16_t)sz;
	}

	/* Nodes first (every kind but mn), then the MNs that name them. */
	if (!json_is_array(nodes))
		ERR("nodes: must be an array");
	e->nodes = calloc(json_array_size(nodes) + 1, sizeof(*e->nodes));
	if (!e->nodes)
		ERR("out of memory");
	json_array_foreach(nodes, i, o)
	{
		int k = node_kind(get_string(o, "kind"));
		const char *name = get_string(o, "name"), *addr = get_string(o, "address");
		struct emu_node *n;

		if (k < 0)
			ERR("nodes[%zu]: kind must be lma, mag, maar, cmd, cn, router or mn", i);
		if (!name || strlen(name) >= sizeof(n->name))
			ERR("nodes[%zu]: name missing or too long", i);
		if (k == 100) {
			json_t *p = json_object_get(o, "path");

			nmn++;
			npath += json_is_array(p) ? json_array_size(p) : 0;
			continue;
		}
		if (e->nnodes >= UINT16_MAX - 1)
			ERR("too many nodes");
		n = &e->nodes[e->nnodes];
		n->emu = e;
		n->idx = e->nnodes;
		n->decl_kind = (uint8_t)k;
		n->kind = run_kind((uint8_t)k, variant);
		n->cmd_node = UINT32_MAX;
		n->anchor_locally = true;
		n->default_lma = UINT32_MAX;
		n->missing_allowed = -1;
		snprintf(n->name, sizeof(n->name), "%s", name);
		if (emu_node_by_name(e, name))
			ERR("nodes[%zu]: name %s used twice", i, name);
		if (!addr || dmm_addr_parse(addr, &n->addr))
			ERR("node %s: address missing or not IPv6", name);
		if (get_duration(o, "heartbeat_interval", &n->hb_interval))
			ERR("node %s: heartbeat_interval: not a duration", name);
		v = json_object_get(o, "missing_heartbeats_allowed");
		if (json_is_integer(v))
			n->missing_allowed = (int)json_integer_value(v);
		if (load_pool(o, n) || ((k == EMU_LMA || k == EMU_MAAR) && n->npool == 0))
			ERR("%s %s: pool must be an array of 1 to 4 prefixes", get_string(o, "kind"), name);
		if (k == EMU_MAAR) {
			double d = 0;
			json_t *al = json_object_get(o, "anchor_locally");

			if (get_number(o, "max_anchored", &d) || d < 0)
				ERR("maar %s: max_anchored: a number", name);
			n->max_anchored = (uint32_t)d;
			d = 0;
			if (get_number(o, "priority", &d) || d < 0 || d > 65535)
				ERR("maar %s: priority: 0 to 65535", name);
			n->priority = (uint16_t)d;
			if (al && !json_is_boolean(al))
				ERR("maar %s: anchor_locally: true or false", name);
			n->anchor_locally = !al || json_is_true(al);
		}
		if (k == EMU_CMD) {
			const char *mode = get_string(o, "mode");

			if (mode && strcmp(mode, "proxy") && strcmp(mode, "relay"))
				ERR("cmd %s: mode: proxy or relay", name);
			n->cmd_mode = mode && !strcmp(mode, "relay") ? DMM_CMD_RELAY : DMM_CMD_PROXY;
			if (get_duration(o, "relay_timeout", &n->relay_timeout))
				ERR("cmd %s: relay_timeout: not a duration", name);
			e->cmd_idx = e->nnodes;
			if (variant == EMU_VAR_PMIP && nlma_decl == 0) {
				if (n->npool == 0)
					ERR("cmd %s: the centralized run needs its pool (or an lma node)",
					    name);
				n->kind = EMU_LMA;
			} else if (variant == EMU_VAR_PMIP) {
				n->kind = EMU_ROUTER;
			}
		}
		/* Only anchors own their pools in this run. */
		if (n->kind != EMU_LMA && n->kind != EMU_MAAR)
			n->npool = 0;
		if (n->kind == EMU_LMA) {
			nlma++;
			e->lma_idx = e->nnodes;
		}
		if (k == EMU_CN)
			ncn++;
		e->nnodes++;
	}
	if (nlma == 0 && e->cmd_idx == UINT32_MAX)
		ERR("nodes: no lma");
	lmas = calloc(nlma + 1, sizeof(*lmas));
	cns = calloc(ncn + 1, sizeof(*cns));
	e->mag_list = calloc(e->nnodes, sizeof(*e->mag_list));
	if (!lmas || !cns || !e->mag_list)
		ERR("out of memory");
	nlma = ncn = 0;
	for (uint32_t n = 0; n < e->nnodes; n++) {
		if (e->nodes[n].kind == EMU_LMA)
			lmas[nlma++] = n;
		if (e->nodes[n].kind == EMU_CN)
			cns[ncn++] = n;
		/* Access routers in declaration order: MAARs and the MAGs standing in for them alike. */
		if (emu_is_access(e->nodes[n].kind))
			e->mag_list[e->nmags++] = n;
	}
	if (nlma == 0)
		lmas[nlma++] = e->cmd_idx; /* the MNs' "home" in DMM: the CMD */
	if (e->nmags == 0)
		ERR("nodes: no mag or maar");
	switch (addr_index(e)) {
	case -1:
		ERR("out of memory");
	case -2:
		ERR("nodes: an address is used twice");
	}
	json_array_foreach(nodes, i, o)
	{
		const char *dl = get_string(o, "default_lma"), *cs = get_string(o, "cmd");
		struct emu_node *n = emu_node_by_name(e, get_string(o, "name"));

		if (n && n->kind == EMU_MAAR) {
			struct emu_node *c = cs ? emu_node_by_name(e, cs) : &e->nodes[e->cmd_idx];

			if (!c || c->kind != EMU_CMD)
				ERR("maar %s: cmd %s is not a cmd", n->name, cs);
			n->cmd_node = c->idx;
			continue;
		}
		if (!n || n->kind != EMU_MAG)
			continue;
		if (n->decl_kind == EMU_MAAR) {
			n->default_lma = lmas[0];
		} else if (dl) {
			struct emu_node *l = emu_node_by_name(e, dl);

			if (!l || l->kind != EMU_LMA)
				ERR("mag %s: default_lma %s is not an lma", n->name, dl);
			n->default_lma = l->idx;
		} else {
			n->default_lma = lmas[0];
		}
	}

	links = json_object_get(root, "links");
	if (!json_is_array(links))
		ERR("links: must be an array");
	e->links = calloc(json_array_size(links) + 1, sizeof(*e->links));
	if (!e->links)
		ERR("out of memory");
	json_array_foreach(links, i, o)
	{
		struct emu_link *l = &e->links[e->nlinks];
		struct emu_node *a = emu_node_by_name(e, get_string(o, "a") ? get_string(o, "a") : ""),
				*b = emu_node_by_name(e, get_string(o, "b") ? get_string(o, "b") : "");

		if (!a || !b || a == b)
			ERR("links[%zu]: a and b must name two different nodes", i);
		l->a = a->idx;
		l->b = b->idx;
		l->delay = e->cfg.link_delay;
		l->jitter = e->cfg.link_jitter;
		l->loss = e->cfg.link_loss;
		if (get_duration(o, "delay", &l->delay) || get_duration(o, "jitter", &l->jitter) ||
		    get_number(o, "loss", &l->loss) || l->loss < 0 || l->loss > 1)
			ERR("links[%zu]: bad delay, jitter or loss", i);
		e->nlinks++;
	}

	/* Mobile nodes: listed ones, then generated ones. */
	gens = json_object_get(root, "generators");
	if (gens && !json_is_array(gens))
		ERR("generators: must be an array");
	json_array_foreach(gens, i, o)
	{
		double c = 0;

		if (get_number(o, "mn_count", &c) || c < 0 || c > 1e7)
			ERR("generators[%zu].mn_count: 0 to 10^7", i);
		nmn += (size_t)c;
	}
	if (nmn == 0)
		ERR("no mobile nodes: add nodes of kind mn or a generator");
	e->mns = calloc(nmn, sizeof(*e->mns));
	e->path_store = calloc(npath + 1, sizeof(*e->path_store));
	if (!e->mns || !e->path_store)
		ERR("out of memory");
	json_array_foreach(nodes, i, o)
	{
		struct emu_mn *m;
		struct emu_node *h, *cn;
		const char *hs = get_string(o, "home_lma"), *cs = get_string(o, "cn");

		if (node_kind(get_string(o, "kind")) != 100)
			continue;
		m = &e->mns[e->nmns];
		m->idx = ++e->nmns;
		h = hs ? emu_node_by_name(e, hs) : NULL;
		if (e->has_dmm)
			h = &e->nodes[lmas[0]]; /* the CMD, or the centralized LMA */
		else if (!h || h->kind != EMU_LMA)
			ERR("mn %s: home_lma must name an lma", get_string(o, "name"));
		m->home_lma = h->idx;
		cn = cs ? emu_node_by_name(e, cs) : (ncn ? &e->nodes[cns[0]] : NULL);
		if (!cn || cn->kind != EMU_CN)
			ERR("mn %s: cn must name a cn", get_string(o, "name"));
		m->cn = cn->idx;
		if (load_mn_path(e, json_object_get(o, "path"), m, err, errlen))
			goto fail;
		if (get_duration(o, "start", &m->start))
			ERR("mn %s: start: not a duration", get_string(o, "name"));
	}
	json_array_foreach(gens, i, o)
	{
		size_t count = (size_t)json_number_value(json_object_get(o, "mn_count"));
		const char *hs = get_string(o, "home_lma"), *cs = get_string(o, "cn");
		struct emu_node *h =
			hs && strcmp(hs, "round-robin") && !e->has_dmm ? emu_node_by_name(e, hs) : NULL;
		struct emu_node *cn = cs && strcmp(cs, "round-robin") ? emu_node_by_name(e, cs) : NULL;

		if (hs && strcmp(hs, "round-robin") && !e->has_dmm && (!h || h->kind != EMU_LMA))
			ERR("generators[%zu].home_lma: round-robin or an lma", i);
		if (cs && strcmp(cs, "round-robin") && (!cn || cn->kind != EMU_CN))
			ERR("generators[%zu].cn: round-robin or a cn", i);
		if (!cn && ncn == 0)
			ERR("generators[%zu]: no cn in the topology", i);
		for (size_t k = 0; k < count; k++) {
			struct emu_mn *m = &e->mns[e->nmns];

			m->idx = ++e->nmns;
			m->home_lma = h ? h->idx : lmas[rr_lma++ % nlma];
			m->cn = cn ? cn->idx : cns[rr_cn++ % ncn];
		}
	}
	for (uint32_t k = 0; k < e->nmns; k++)
		e->nodes[e->mns[k].home_lma].homed++;

	o = json_object_get(root, "events");
	if (o && !json_is_array(o))
		ERR("events: must be an array");
	e->kills = calloc(json_array_size(o) + 8, sizeof(*e->kills));
	if (!e->kills)
		ERR("out of memory");
	json_array_foreach(o, i, v)
	{
		const char *ks = get_string(v, "kill");
		struct emu_node *n = ks ? emu_node_by_name(e, ks) : NULL;
		dmm_time_t at = DMM_TIME_NEVER;

		if (!n || !emu_is_role(n->kind))
			ERR("events[%zu].kill: must name an lma, mag, maar or cmd", i);
		if (get_duration(v, "at", &at) || at == DMM_TIME_NEVER)
			ERR("events[%zu].at: a duration is needed", i);
		e->kills[e->nkills++] = (struct emu_kill){.node = n->idx, .at = at};
	}
	free(lmas);
	free(cns);
	json_decref(root);
	return 0;
fail:
	free(lmas);
	free(cns);
	json_decref(root);
	return -1;
}

int emu_paths_compute(struct emu *e)
{
	uint32_t n = e->nnodes;
	struct emu_paths *p = &e->paths;
	bool *done = calloc(n, sizeof(*done));
	/* adjacency as link index lists */
	uint32_t *deg = calloc(n + 1, sizeof(*deg)), *adj = calloc(2 * (size_t)e->nlinks + 1, sizeof(*adj));

	p->n = n;
	p->delay = malloc(sizeof(*p->delay) * n * n);
	p->hops = malloc(sizeof(*p->hops) * n * n);
	p->pred_link = malloc(sizeof(*p->pred_link) * n * n);
	if (!done || !deg || !adj || !p->delay || !p->hops || !p->pred_link) {
		free(done);
		free(deg);
		free(adj);
		return -1;
	}
	for (uint32_t l = 0; l < e->nlinks; l++) {
		deg[e->links[l].a + 1]++;
		deg[e->links[l].b + 1]++;
	}
	for (uint32_t i = 0; i < n; i++)
		deg[i + 1] += deg[i];
	{
		uint32_t *fill = calloc(n, sizeof(*fill));

		if (!fill) {
			free(done);
			free(deg);
			free(adj);
			return -1;
		}
		for (uint32_t l = 0; l < e->nlinks; l++) {
			adj[deg[e->links[l].a] + fill[e->links[l].a]++] = l;
			adj[deg[e->links[l].b] + fill[e->links[l].b]++] = l;
		}
		free(fill);
	}
	p->max_delay = 0;
	for (uint32_t s = 0; s < n; s++) {
		dmm_time_t *d = &p->delay[(size_t)s * n];
		uint16_t *h = &p->hops[(size_t)s * n];
		uint32_t *pl = &p->pred_link[(size_t)s * n];

		for (uint32_t i = 0; i < n; i++) {
			d[i] = DMM_TIME_NEVER;
			h[i] = UINT16_MAX;
			pl[i] = UINT32_MAX;
			done[i] = false;
		}
		d[s] = 0;
		h[s] = 0;
		for (;;) {
			uint32_t u = UINT32_MAX;

			for (uint32_t i = 0; i < n; i++)
				if (!done[i] && d[i] != DMM_TIME_NEVER &&
				    (u == UINT32_MAX || d[i] < d[u] || (d[i] == d[u] && h[i] < h[u])))
					u = i;
			if (u == UINT32_MAX)
				break;
			done[u] = true;
			for (uint32_t k = deg[u]; k < deg[u + 1]; k++) {
				const struct emu_link *l = &e->links[adj[k]];
				uint32_t w = l->a == u ? l->b : l->a;
				dmm_time_t nd = d[u] + l->delay;

				if (nd < d[w] || (nd == d[w] && (uint16_t)(h[u] + 1) < h[w])) {
					d[w] = nd;
					h[w] = (uint16_t)(h[u] + 1);
					pl[w] = adj[k];
				}
			}
		}
	}
	/* The largest one-way delay between two role nodes, jitter included. */
	for (uint32_t a = 0; a < n; a++) {
		for (uint32_t b = 0; b < n; b++) {
			dmm_time_t worst = 0;
			uint32_t x = b;

			if (p->delay[(size_t)a * n + b] == DMM_TIME_NEVER)
				continue;
			while (x != a) {
				const struct emu_link *l = &e->links[p->pred_link[(size_t)a * n + x]];

				worst += l->delay + l->jitter;
				x = l->a == x ? l->b : l->a;
			}
			if (worst > e->max_any_delay)
				e->max_any_delay = worst;
			if (emu_is_role(e->nodes[a].kind) && emu_is_role(e->nodes[b].kind) &&
			    worst > p->max_delay)
				p->max_delay = worst;
		}
	}
	free(done);
	free(deg);
	free(adj);
	return 0;
}

dmm_time_t emu_path_draw(struct emu *e, uint32_t a, uint32_t b, bool *lost_link)
{
	dmm_time_t t = 0;
	uint32_t x = b;
	uint32_t n = e->paths.n;

	*lost_link = false;
	if (e->paths.delay[(size_t)a * n + b] == DMM_TIME_NEVER)
		return DMM_TIME_NEVER;
	while (x != a) {
		const struct emu_link *l = &e->links[e->paths.pred_link[(size_t)a * n + x]];

		t += l->delay;
		if (l->jitter)
			t += (dmm_time_t)(emu_rng_unit(&e->rng) * (double)l->jitter);
		if (l->loss > 0 && emu_rng_unit(&e->rng) < l->loss) {
			*lost_link = true;
			return DMM_TIME_NEVER;
		}
		x = l->a == x ? l->b : l->a;
	}
	return t;
}
