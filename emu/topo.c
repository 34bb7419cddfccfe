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
 *                "downlink_pps": 10, "uplink_pps": 2, "packet_size": 500,
 *                "quiet_fraction": 0.3, "quiet_after": "2s", "stray_after_end": "5s"},
 *     (a fraction of sessions open but silent after quiet_after; the CN sending
 *     stray packets that long after a session closed: release.c)
 *   "sample": "1s", "compare": true,
 *   "relocation": {"convergence": "200ms", "relocate_after": "2s", "reanchor_on_failure": true,
 *                  "survival_window": "5s", "compare": true}   (GAP1-1, reloc.c)
 *   "events": [{"at": "27s", "drain": "MAAR1"}]                (relocation on)
 *   "multicast": {"source": "CN1", "sample": "1s", "listeners": [10, 100, 1000]}   (mcast.c)
 *   "localized_routing": {"sample": "100ms", "compare": true}                     (lr.c)
 *   "release": {"mode": "sessions", "grace": "1s", "sample": "250ms", "compare": true} (release.c)
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
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "dmm/fmt.h"
#include "emu.h"

/* The map's key of an address: a mix of its two halves (node addresses come from the scenario), never 0. */
static uint64_t addr_key(const struct dmm_addr *a)
{
	uint64_t hi, lo;

	memcpy(&hi, a->b, sizeof(hi));
	memcpy(&lo, a->b + 8, sizeof(lo));
	return dmm_hash_u64(hi ^ dmm_hash_u64(lo)) | 1;
}

struct emu_node *emu_node_by_addr(struct emu *e, const struct dmm_addr *a)
{
	uint64_t k = addr_key(a);

	for (uint32_t i = (uint32_t)k & e->addr_mask;; i = (i + 1) & e->addr_mask) {
		if (!e->addr_keys[i])
			return NULL;
		if (e->addr_keys[i] == k && emu_addr_eq(&e->nodes[e->addr_vals[i]].addr, a))
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

/* Not a node kind of the topology: MNs are kept apart (struct emu_mn). */
#define KIND_MN 100

static const struct {
	const char *name;
	int kind;
} node_kinds[] = {
	{"lma", EMU_LMA},   {"mag", EMU_MAG}, {"cn", EMU_CN},  {"router", EMU_ROUTER},
	{"maar", EMU_MAAR}, {"cmd", EMU_CMD}, {"mn", KIND_MN},
};

static int node_kind(const char *s)
{
	for (size_t i = 0; s && i < sizeof(node_kinds) / sizeof(node_kinds[0]); i++)
		if (!strcmp(s, node_kinds[i].name))
			return node_kinds[i].kind;
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

/* What emu_load() carries from one section of the scenario file to the next. */
struct load {
	json_t *root, *nodes, *gens;
	int variant;	      /* enum emu_variant, once the scenario's kinds are known */
	uint32_t nlma_decl;   /* nodes declared with kind "lma" */
	size_t nmn, npath;    /* MNs listed in "nodes" and their path entries */
	uint32_t *lmas, *cns; /* indexes of the anchors MNs are homed at, and of the CNs */
	uint32_t nlma, ncn;
	uint32_t rr_lma, rr_cn; /* round-robin positions of the generators */
	char *err;
	size_t errlen;
};

/* Write the reason into the caller's buffer; returns -1 for "return fail(...)". */
__attribute__((format(printf, 2, 3))) static int fail(struct load *ld, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(ld->err, ld->errlen, fmt, ap);
	va_end(ap);
	return -1;
}

static int load_mn_path(struct emu *e, struct load *ld, json_t *path, struct emu_mn *m)
{
	size_t i;
	json_t *v;

	if (!json_is_array(path) || json_array_size(path) == 0)
		return fail(ld, "mn %u: path must be a non-empty array of MAG names", m->idx);
	m->path = &e->path_store[e->npath_store];
	m->path_len = (uint32_t)json_array_size(path);
	json_array_foreach(path, i, v)
	{
		struct emu_node *n = json_is_string(v) ? emu_node_by_name(e, json_string_value(v)) : NULL;

		if (!n || !emu_is_access(n->kind))
			return fail(ld, "mn %u: path entry %zu is not a MAG or MAAR", m->idx, i);
		e->path_store[e->npath_store++] = n->idx;
	}
	return 0;
}

/* The variant: a scenario with MAARs runs as DMM unless told otherwise. */
static int load_variant(struct emu *e, struct load *ld)
{
	uint32_t ncmd = 0, nmaar = 0;
	size_t i;
	json_t *o;

	json_array_foreach(ld->nodes, i, o)
	{
		const char *k = get_string(o, "kind");

		if (k && !strcmp(k, "maar"))
			nmaar++;
		if (k && !strcmp(k, "cmd"))
			ncmd++;
		if (k && !strcmp(k, "lma"))
			ld->nlma_decl++;
	}
	if (nmaar && ncmd != 1)
		return fail(ld, "nodes: MAARs need exactly one cmd");
	e->has_dmm = nmaar > 0;
	if (!e->has_dmm)
		ld->variant = EMU_VAR_NATIVE;
	else if (ld->variant == EMU_VAR_NATIVE)
		ld->variant = EMU_VAR_DMM;
	if (ld->variant == EMU_VAR_PMIP && ld->nlma_decl > 1)
		return fail(ld, "nodes: a scenario with MAARs has at most one lma (the centralized anchor)");
	e->variant = (uint8_t)ld->variant;
	return 0;
}

/* "name", "duration", "sample", "compare". */
static int load_top(struct emu *e, struct load *ld)
{
	e->cfg.compare = json_is_true(json_object_get(ld->root, "compare"));
	if (get_duration(ld->root, "sample", &e->cfg.sample_every))
		return fail(ld, "sample: not a duration");
	if (get_string(ld->root, "name"))
		snprintf(e->cfg.name, sizeof(e->cfg.name), "%s", get_string(ld->root, "name"));
	if (get_duration(ld->root, "duration", &e->cfg.duration))
		return fail(ld, "duration: not a duration");
	return 0;
}

enum { DEF_DUR, DEF_INT, DEF_U32, DEF_U32_POS };

/*
 * The keys of "defaults" besides "link", in the order they are checked: a
 * duration, or a number taken when >= 0 (when > 0 for DEF_U32_POS).
 */
static const struct {
	const char *key;
	uint8_t type; /* DEF_* */
	size_t off;   /* of the field in struct emu_cfg */
	const char *bad;
} def_keys[] = {
	{"heartbeat_interval", DEF_DUR, offsetof(struct emu_cfg, hb_interval),
	 "defaults.heartbeat_interval: not a duration"},
	{"missing_heartbeats_allowed", DEF_INT, offsetof(struct emu_cfg, missing_allowed),
	 "defaults.missing_heartbeats_allowed: not a number"},
	{"lifetime", DEF_U32_POS, offsetof(struct emu_cfg, lifetime_s), "defaults.lifetime: not a number"},
	{"buffer", DEF_U32, offsetof(struct emu_cfg, buffer_cap), "defaults.buffer: not a number"},
	{"idle_release", DEF_DUR, offsetof(struct emu_cfg, idle_release),
	 "defaults: bad idle_release, idle_check or detach_grace"},
	{"idle_check", DEF_DUR, offsetof(struct emu_cfg, idle_check),
	 "defaults: bad idle_release, idle_check or detach_grace"},
	{"detach_grace", DEF_DUR, offsetof(struct emu_cfg, detach_grace),
	 "defaults: bad idle_release, idle_check or detach_grace"},
	{"mag_max_mns", DEF_U32_POS, offsetof(struct emu_cfg, mag_max_mns),
	 "defaults.mag_max_mns: not a number"},
	{"lma_max_bindings", DEF_U32_POS, offsetof(struct emu_cfg, lma_max_bindings),
	 "defaults.lma_max_bindings: not a number"},
};

static int load_defaults(struct emu *e, struct load *ld)
{
	json_t *o = json_object_get(ld->root, "defaults"), *l = json_object_get(o, "link");

	if (!o)
		return 0;
	if (l && (get_duration(l, "delay", &e->cfg.link_delay) ||
		  get_duration(l, "jitter", &e->cfg.link_jitter) || get_number(l, "loss", &e->cfg.link_loss)))
		return fail(ld, "defaults.link: bad delay, jitter or loss");
	for (size_t k = 0; k < sizeof(def_keys) / sizeof(def_keys[0]); k++) {
		char *f = (char *)&e->cfg + def_keys[k].off;
		double d = -1;

		if (def_keys[k].type == DEF_DUR) {
			if (get_duration(o, def_keys[k].key, (dmm_time_t *)(void *)f))
				return fail(ld, "%s", def_keys[k].bad);
			continue;
		}
		if (get_number(o, def_keys[k].key, &d))
			return fail(ld, "%s", def_keys[k].bad);
		if (def_keys[k].type == DEF_INT && d >= 0)
			*(int *)(void *)f = (int)d;
		else if ((def_keys[k].type == DEF_U32 && d >= 0) ||
			 (def_keys[k].type == DEF_U32_POS && d > 0))
			*(uint32_t *)(void *)f = (uint32_t)d;
	}
	return 0;
}

static int load_mobility(struct emu *e, struct load *ld)
{
	json_t *o = json_object_get(ld->root, "mobility"), *dw = json_object_get(o, "dwell");

	if (!o)
		return 0;
	if (dw) {
		const char *t = get_string(dw, "type");

		if (t && strcmp(t, "fixed") && strcmp(t, "exponential"))
			return fail(ld, "mobility.dwell.type: fixed or exponential");
		e->cfg.dwell_exp = t && !strcmp(t, "exponential");
		if (get_duration(dw, "mean", &e->cfg.dwell_mean) ||
		    get_duration(dw, "min", &e->cfg.dwell_min))
			return fail(ld, "mobility.dwell: bad mean or min");
	}
	if (get_duration(o, "l2_gap", &e->cfg.l2_gap) || get_duration(o, "until", &e->cfg.mobility_until) ||
	    get_duration(o, "initial_spread", &e->cfg.initial_spread))
		return fail(ld, "mobility: bad l2_gap, until or initial_spread");
	return 0;
}

static int load_traffic(struct emu *e, struct load *ld)
{
	json_t *o = json_object_get(ld->root, "traffic");
	double sz = e->cfg.pkt_size;

	if (!o)
		return 0;
	if (get_number(o, "downlink_pps", &e->cfg.dl_pps) || get_number(o, "uplink_pps", &e->cfg.ul_pps) ||
	    get_number(o, "fraction", &e->cfg.stream_fraction) || get_number(o, "packet_size", &sz))
		return fail(ld, "traffic: bad downlink_pps, uplink_pps, fraction or packet_size");
	if (sz < 40 || sz > 65535 || e->cfg.dl_pps < 0 || e->cfg.ul_pps < 0)
		return fail(ld, "traffic: out of range");
	e->cfg.pkt_size = (uint16_t)sz;
	return 0;
}

static int load_sessions(struct emu *e, struct load *ld)
{
	json_t *o = json_object_get(ld->root, "sessions");
	struct emu_cfg *c = &e->cfg;
	double sz = c->ses_pkt_size;

	if (!o)
		return 0;
	if (get_dist(json_object_get(o, "interval"), &c->ses_interval_exp, &c->ses_interval,
		     &c->ses_interval_min) ||
	    get_dist(json_object_get(o, "duration"), &c->ses_duration_exp, &c->ses_duration,
		     &c->ses_duration_min))
		return fail(ld, "sessions: bad interval or duration");
	if (get_number(o, "downlink_pps", &c->ses_dl_pps) || get_number(o, "uplink_pps", &c->ses_ul_pps) ||
	    get_number(o, "packet_size", &sz))
		return fail(ld, "sessions: bad downlink_pps, uplink_pps or packet_size");
	if (sz < 40 || sz > 65535 || c->ses_dl_pps < 0 || c->ses_ul_pps < 0 || c->ses_interval == 0)
		return fail(ld, "sessions: out of range (interval must be > 0)");
	if (get_number(o, "quiet_fraction", &c->ses_quiet_fraction) || c->ses_quiet_fraction < 0 ||
	    c->ses_quiet_fraction > 1 || get_duration(o, "quiet_after", &c->ses_quiet_after) ||
	    get_duration(o, "stray_after_end", &c->ses_stray))
		return fail(ld, "sessions: quiet_fraction 0..1, quiet_after and stray_after_end durations");
	c->ses_pkt_size = (uint16_t)sz;
	return 0;
}

/* What a node of kind "maar" adds: its capacity, priority and local anchoring (RFC 8885 §3, §3.1). */
static int load_maar(struct load *ld, json_t *o, struct emu_node *n)
{
	double d = 0;
	json_t *al = json_object_get(o, "anchor_locally");

	if (get_number(o, "max_anchored", &d) || d < 0)
		return fail(ld, "maar %s: max_anchored: a number", n->name);
	n->max_anchored = (uint32_t)d;
	d = 0;
	if (get_number(o, "priority", &d) || d < 0 || d > 65535)
		return fail(ld, "maar %s: priority: 0 to 65535", n->name);
	n->priority = (uint16_t)d;
	if (al && !json_is_boolean(al))
		return fail(ld, "maar %s: anchor_locally: true or false", n->name);
	n->anchor_locally = !al || json_is_true(al);
	return 0;
}

/* What a node of kind "cmd" adds, and what it runs as in the centralized variant. */
static int load_cmd(struct emu *e, struct load *ld, json_t *o, struct emu_node *n)
{
	const char *mode = get_string(o, "mode");

	if (mode && strcmp(mode, "proxy") && strcmp(mode, "relay"))
		return fail(ld, "cmd %s: mode: proxy or relay", n->name);
	n->cmd_mode = mode && !strcmp(mode, "relay") ? DMM_CMD_RELAY : DMM_CMD_PROXY;
	if (get_duration(o, "relay_timeout", &n->relay_timeout))
		return fail(ld, "cmd %s: relay_timeout: not a duration", n->name);
	e->cmd_idx = n->idx;
	if (ld->variant == EMU_VAR_PMIP && ld->nlma_decl == 0) {
		if (n->npool == 0)
			return fail(ld, "cmd %s: the centralized run needs its pool (or an lma node)",
				    n->name);
		n->kind = EMU_LMA;
	} else if (ld->variant == EMU_VAR_PMIP) {
		n->kind = EMU_ROUTER;
	}
	return 0;
}

/* nodes[i], of kind k (not an MN), becomes e->nodes[e->nnodes]. */
static int load_node(struct emu *e, struct load *ld, size_t i, json_t *o, int k)
{
	const char *name = get_string(o, "name"), *addr = get_string(o, "address");
	struct emu_node *n = &e->nodes[e->nnodes];
	json_t *v;

	n->emu = e;
	n->idx = e->nnodes;
	n->decl_kind = (uint8_t)k;
	n->kind = run_kind((uint8_t)k, ld->variant);
	n->cmd_node = UINT32_MAX;
	n->anchor_locally = true;
	n->default_lma = UINT32_MAX;
	n->missing_allowed = -1;
	snprintf(n->name, sizeof(n->name), "%s", name);
	if (emu_node_by_name(e, name))
		return fail(ld, "nodes[%zu]: name %s used twice", i, name);
	if (!addr || dmm_addr_parse(addr, &n->addr))
		return fail(ld, "node %s: address missing or not IPv6", name);
	if (get_duration(o, "heartbeat_interval", &n->hb_interval))
		return fail(ld, "node %s: heartbeat_interval: not a duration", name);
	v = json_object_get(o, "missing_heartbeats_allowed");
	if (json_is_integer(v))
		n->missing_allowed = (int)json_integer_value(v);
	if (load_pool(o, n) || ((k == EMU_LMA || k == EMU_MAAR) && n->npool == 0))
		return fail(ld, "%s %s: pool must be an array of 1 to 4 prefixes", get_string(o, "kind"),
			    name);
	if (k == EMU_MAAR && load_maar(ld, o, n))
		return -1;
	if (k == EMU_CMD && load_cmd(e, ld, o, n))
		return -1;
	/* Only anchors own their pools in this run. */
	if (n->kind != EMU_LMA && n->kind != EMU_MAAR)
		n->npool = 0;
	if (n->kind == EMU_LMA) {
		ld->nlma++;
		e->lma_idx = e->nnodes;
	}
	if (k == EMU_CN)
		ld->ncn++;
	e->nnodes++;
	return 0;
}

/* Nodes first (every kind but mn), then the MNs that name them; here MNs are only counted. */
static int load_nodes(struct emu *e, struct load *ld)
{
	size_t i;
	json_t *o;

	if (!json_is_array(ld->nodes))
		return fail(ld, "nodes: must be an array");
	e->nodes = calloc(json_array_size(ld->nodes) + 1, sizeof(*e->nodes));
	if (!e->nodes)
		return fail(ld, "out of memory");
	json_array_foreach(ld->nodes, i, o)
	{
		int k = node_kind(get_string(o, "kind"));
		const char *name = get_string(o, "name");

		if (k < 0)
			return fail(ld, "nodes[%zu]: kind must be lma, mag, maar, cmd, cn, router or mn", i);
		if (!name || strlen(name) >= sizeof(e->nodes[0].name))
			return fail(ld, "nodes[%zu]: name missing or too long", i);
		if (k == KIND_MN) {
			json_t *p = json_object_get(o, "path");

			ld->nmn++;
			ld->npath += json_is_array(p) ? json_array_size(p) : 0;
			continue;
		}
		if (e->nnodes >= UINT16_MAX - 1)
			return fail(ld, "too many nodes");
		if (load_node(e, ld, i, o, k))
			return -1;
	}
	return 0;
}

/* The anchors MNs are homed at, the CNs and the access routers by index; the address index. */
static int index_nodes(struct emu *e, struct load *ld)
{
	if (ld->nlma == 0 && e->cmd_idx == UINT32_MAX)
		return fail(ld, "nodes: no lma");
	ld->lmas = calloc(ld->nlma + 1, sizeof(*ld->lmas));
	ld->cns = calloc(ld->ncn + 1, sizeof(*ld->cns));
	e->mag_list = calloc(e->nnodes, sizeof(*e->mag_list));
	if (!ld->lmas || !ld->cns || !e->mag_list)
		return fail(ld, "out of memory");
	ld->nlma = ld->ncn = 0;
	for (uint32_t n = 0; n < e->nnodes; n++) {
		if (e->nodes[n].kind == EMU_LMA)
			ld->lmas[ld->nlma++] = n;
		if (e->nodes[n].kind == EMU_CN)
			ld->cns[ld->ncn++] = n;
		/* Access routers in declaration order: MAARs and the MAGs standing in for them alike. */
		if (emu_is_access(e->nodes[n].kind))
			e->mag_list[e->nmags++] = n;
	}
	if (ld->nlma == 0)
		ld->lmas[ld->nlma++] = e->cmd_idx; /* the MNs' "home" in DMM: the CMD */
	if (e->nmags == 0)
		return fail(ld, "nodes: no mag or maar");
	switch (addr_index(e)) {
	case -1:
		return fail(ld, "out of memory");
	case -2:
		return fail(ld, "nodes: an address is used twice");
	}
	return 0;
}

/* Each MAAR's CMD ("cmd", default: the only one) and each MAG's LMA ("default_lma"). */
static int load_access_anchors(struct emu *e, struct load *ld)
{
	size_t i;
	json_t *o;

	json_array_foreach(ld->nodes, i, o)
	{
		const char *dl = get_string(o, "default_lma"), *cs = get_string(o, "cmd");
		struct emu_node *n = emu_node_by_name(e, get_string(o, "name"));

		if (n && n->kind == EMU_MAAR) {
			struct emu_node *c = cs ? emu_node_by_name(e, cs) : &e->nodes[e->cmd_idx];

			if (!c || c->kind != EMU_CMD)
				return fail(ld, "maar %s: cmd %s is not a cmd", n->name, cs);
			n->cmd_node = c->idx;
			continue;
		}
		if (!n || n->kind != EMU_MAG)
			continue;
		if (n->decl_kind == EMU_MAAR || !dl) {
			n->default_lma = ld->lmas[0];
		} else {
			struct emu_node *l = emu_node_by_name(e, dl);

			if (!l || l->kind != EMU_LMA)
				return fail(ld, "mag %s: default_lma %s is not an lma", n->name, dl);
			n->default_lma = l->idx;
		}
	}
	return 0;
}

static int load_links(struct emu *e, struct load *ld)
{
	json_t *links = json_object_get(ld->root, "links"), *o;
	size_t i;

	if (!json_is_array(links))
		return fail(ld, "links: must be an array");
	e->links = calloc(json_array_size(links) + 1, sizeof(*e->links));
	if (!e->links)
		return fail(ld, "out of memory");
	json_array_foreach(links, i, o)
	{
		struct emu_link *l = &e->links[e->nlinks];
		struct emu_node *a = emu_node_by_name(e, get_string(o, "a") ? get_string(o, "a") : ""),
				*b = emu_node_by_name(e, get_string(o, "b") ? get_string(o, "b") : "");

		if (!a || !b || a == b)
			return fail(ld, "links[%zu]: a and b must name two different nodes", i);
		l->a = a->idx;
		l->b = b->idx;
		l->delay = e->cfg.link_delay;
		l->jitter = e->cfg.link_jitter;
		l->loss = e->cfg.link_loss;
		if (get_duration(o, "delay", &l->delay) || get_duration(o, "jitter", &l->jitter) ||
		    get_number(o, "loss", &l->loss) || l->loss < 0 || l->loss > 1)
			return fail(ld, "links[%zu]: bad delay, jitter or loss", i);
		e->nlinks++;
	}
	return 0;
}

/* An entry of kind "mn" in "nodes": its home, its CN, its path and its start. */
static int load_listed_mn(struct emu *e, struct load *ld, json_t *o)
{
	struct emu_mn *m = &e->mns[e->nmns];
	const char *hs = get_string(o, "home_lma"), *cs = get_string(o, "cn"), *name = get_string(o, "name");
	struct emu_node *h = hs ? emu_node_by_name(e, hs) : NULL, *cn;

	m->idx = ++e->nmns;
	if (e->has_dmm)
		h = &e->nodes[ld->lmas[0]]; /* the CMD, or the centralized LMA */
	else if (!h || h->kind != EMU_LMA)
		return fail(ld, "mn %s: home_lma must name an lma", name);
	m->home_lma = h->idx;
	cn = cs ? emu_node_by_name(e, cs) : (ld->ncn ? &e->nodes[ld->cns[0]] : NULL);
	if (!cn || cn->kind != EMU_CN)
		return fail(ld, "mn %s: cn must name a cn", name);
	m->cn = cn->idx;
	if (load_mn_path(e, ld, json_object_get(o, "path"), m))
		return -1;
	if (get_duration(o, "start", &m->start))
		return fail(ld, "mn %s: start: not a duration", name);
	return 0;
}

/* generators[i]: mn_count MNs, homed and given a CN by name or round-robin. */
static int load_generator(struct emu *e, struct load *ld, size_t i, json_t *o)
{
	size_t count = i == 0 && e->mn_override ? e->mn_override
						: (size_t)json_number_value(json_object_get(o, "mn_count"));
	const char *hs = get_string(o, "home_lma"), *cs = get_string(o, "cn");
	bool h_named = hs && strcmp(hs, "round-robin") && !e->has_dmm,
	     cn_named = cs && strcmp(cs, "round-robin");
	struct emu_node *h = h_named ? emu_node_by_name(e, hs) : NULL;
	struct emu_node *cn = cn_named ? emu_node_by_name(e, cs) : NULL;

	if (h_named && (!h || h->kind != EMU_LMA))
		return fail(ld, "generators[%zu].home_lma: round-robin or an lma", i);
	if (cn_named && (!cn || cn->kind != EMU_CN))
		return fail(ld, "generators[%zu].cn: round-robin or a cn", i);
	if (!cn && ld->ncn == 0)
		return fail(ld, "generators[%zu]: no cn in the topology", i);
	for (size_t k = 0; k < count; k++) {
		struct emu_mn *m = &e->mns[e->nmns];

		m->idx = ++e->nmns;
		m->home_lma = h ? h->idx : ld->lmas[ld->rr_lma++ % ld->nlma];
		m->cn = cn ? cn->idx : ld->cns[ld->rr_cn++ % ld->ncn];
	}
	return 0;
}

/* Mobile nodes: listed ones, then generated ones. */
static int load_mns(struct emu *e, struct load *ld)
{
	size_t i;
	json_t *o;

	ld->gens = json_object_get(ld->root, "generators");
	if (ld->gens && !json_is_array(ld->gens))
		return fail(ld, "generators: must be an array");
	json_array_foreach(ld->gens, i, o)
	{
		double c = 0;

		if (get_number(o, "mn_count", &c) || c < 0 || c > 1e7)
			return fail(ld, "generators[%zu].mn_count: 0 to 10^7", i);
		if (i == 0 && e->mn_override)
			c = e->mn_override;
		ld->nmn += (size_t)c;
	}
	if (ld->nmn == 0)
		return fail(ld, "no mobile nodes: add nodes of kind mn or a generator");
	e->mns = emu_table(ld->nmn, sizeof(*e->mns));
	e->path_store = calloc(ld->npath + 1, sizeof(*e->path_store));
	if (!e->mns || !e->path_store)
		return fail(ld, "out of memory");
	json_array_foreach(ld->nodes, i, o)
	{
		if (node_kind(get_string(o, "kind")) == KIND_MN && load_listed_mn(e, ld, o))
			return -1;
	}
	json_array_foreach(ld->gens, i, o)
	{
		if (load_generator(e, ld, i, o))
			return -1;
	}
	for (uint32_t k = 0; k < e->nmns; k++)
		e->nodes[e->mns[k].home_lma].homed++;
	return 0;
}

static int load_events(struct emu *e, struct load *ld)
{
	json_t *o = json_object_get(ld->root, "events"), *v;
	size_t i;

	if (o && !json_is_array(o))
		return fail(ld, "events: must be an array");
	e->kills = calloc(json_array_size(o) + 8, sizeof(*e->kills));
	if (!e->kills)
		return fail(ld, "out of memory");
	json_array_foreach(o, i, v)
	{
		const char *ks = get_string(v, "kill");
		struct emu_node *n = ks ? emu_node_by_name(e, ks) : NULL;
		dmm_time_t at = DMM_TIME_NEVER;

		if (!ks && get_string(v, "drain"))
			continue; /* reloc.c */

		if (!n || !emu_is_role(n->kind))
			return fail(ld, "events[%zu].kill: must name an lma, mag, maar or cmd", i);
		if (get_duration(v, "at", &at) || at == DMM_TIME_NEVER)
			return fail(ld, "events[%zu].at: a duration is needed", i);
		e->kills[e->nkills++] = (struct emu_kill){.node = n->idx, .at = at};
	}
	return 0;
}

/* The sections in the order they depend on each other; the first error stops the load. */
static int (*const load_sections[])(struct emu *, struct load *) = {
	load_variant, load_top,	   load_defaults,	load_mobility, load_traffic, load_sessions,
	load_nodes,   index_nodes, load_access_anchors, load_links,    load_mns,     load_events,
};

int emu_load(struct emu *e, const char *path, int variant, char *err, size_t errlen)
{
	json_error_t jerr;
	struct load ld = {.variant = variant, .err = err, .errlen = errlen};
	int rc = 0;

	ld.root = json_load_file(path, 0, &jerr);
	if (!ld.root) {
		snprintf(err, errlen, "%s:%d: %s", path, jerr.line, jerr.text);
		return -1;
	}
	cfg_defaults(&e->cfg);
	e->cmd_idx = e->lma_idx = UINT32_MAX;
	ld.nodes = json_object_get(ld.root, "nodes");
	if (!json_is_object(ld.root))
		rc = fail(&ld, "%s: the scenario must be a JSON object", path);
	for (size_t s = 0; !rc && s < sizeof(load_sections) / sizeof(load_sections[0]); s++)
		rc = load_sections[s](e, &ld);
	if (!rc)
		rc = emu_reloc_load(e, ld.root, 1, err, errlen);
	if (!rc)
		rc = emu_mcast_load(e, ld.root, err, errlen);
	if (!rc)
		rc = emu_lr_load(e, ld.root, err, errlen);
	if (!rc)
		rc = emu_release_load(e, ld.root, err, errlen);
	free(ld.lmas);
	free(ld.cns);
	json_decref(ld.root);
	return rc;
}

/* Adjacency as link index lists: the links of node u are adj[deg[u]] .. adj[deg[u + 1] - 1]. */
static int adjacency(struct emu *e, uint32_t **degp, uint32_t **adjp)
{
	uint32_t n = e->nnodes;
	uint32_t *deg = calloc(n + 1, sizeof(*deg)), *adj = calloc(2 * (size_t)e->nlinks + 1, sizeof(*adj));
	uint32_t *fill = calloc(n, sizeof(*fill));

	*degp = deg;
	*adjp = adj;
	if (!deg || !adj || !fill) {
		free(fill);
		return -1;
	}
	for (uint32_t l = 0; l < e->nlinks; l++) {
		deg[e->links[l].a + 1]++;
		deg[e->links[l].b + 1]++;
	}
	for (uint32_t i = 0; i < n; i++)
		deg[i + 1] += deg[i];
	for (uint32_t l = 0; l < e->nlinks; l++) {
		adj[deg[e->links[l].a] + fill[e->links[l].a]++] = l;
		adj[deg[e->links[l].b] + fill[e->links[l].b]++] = l;
	}
	free(fill);
	return 0;
}

/* Dijkstra from s: the least delay to every node, then the fewest hops; row s of the path tables. */
static void shortest_from(struct emu *e, uint32_t s, const uint32_t *deg, const uint32_t *adj, bool *done)
{
	uint32_t n = e->nnodes;
	struct emu_paths *p = &e->paths;
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

/* The largest one-way delay between two role nodes, and between any two nodes, jitter included. */
static void worst_delays(struct emu *e)
{
	struct emu_paths *p = &e->paths;
	uint32_t n = p->n;

	p->max_delay = 0;
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
}

int emu_paths_compute(struct emu *e)
{
	uint32_t n = e->nnodes, *deg = NULL, *adj = NULL;
	struct emu_paths *p = &e->paths;
	bool *done = calloc(n, sizeof(*done));
	int rc = -1;

	p->n = n;
	p->delay = malloc(sizeof(*p->delay) * n * n);
	p->hops = malloc(sizeof(*p->hops) * n * n);
	p->pred_link = malloc(sizeof(*p->pred_link) * n * n);
	if (adjacency(e, &deg, &adj) == 0 && done && p->delay && p->hops && p->pred_link) {
		for (uint32_t s = 0; s < n; s++)
			shortest_from(e, s, deg, adj, done);
		worst_delays(e);
		rc = 0;
	}
	free(done);
	free(deg);
	free(adj);
	return rc;
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
