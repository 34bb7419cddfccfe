/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The PMIPv6 LMA (RFC 5213 §5): every status path of §5.3.1, the
 * Timestamp window of §5.5 at both edges, sequence numbers across the
 * wrap, new registration, lifetime extension, handoff with a BRI
 * (RFC 5846), de-registration timing, expiry, heartbeats (RFC 5847) and
 * malformed input. PBUs are built with the codec; PBAs are decoded.
 */
#include "check.h"
#include "dmm/bcache.h"
#include "dmm/err.h"
#include "dmm/fmt.h"
#include "dmm/lma.h"
#include "dmm/pool.h"
#include "helpers.h"
#include "role_harness.h"

static struct harness H;
static struct dmm_policy *POL;
static struct dmm_addr LMAA, MAG1, MAG2, MAG_BAD;
static const int64_t WALL = 1700000000LL * 1000000000LL; /* wall clock at now = 0 */
static dmm_time_t T;					 /* the test's clock */

/* A fresh LMA with a pool of 2^(64 - pool_len) /64s. */
static struct dmm_lma *setup_cfg(uint8_t pool_len, struct dmm_lma_cfg *cfg)
{
	struct dmm_policy_profile prof;

	harness_init(&H);
	H.env.wall_offset = WALL;
	dmm_policy_free(POL);
	POL = dmm_policy_new(&H.alloc, 16, 16, 7);
	dmm_policy_add_mag(POL, &MAG1);
	dmm_policy_add_mag(POL, &MAG2);
	memset(&prof, 0, sizeof(prof));
	prof.mnid.subtype = DMM_MNID_NAI; /* any NAI may register; other subtypes are unknown */
	prof.may_register = true;
	dmm_policy_set_default(POL, &prof);
	memset(&prof, 0, sizeof(prof));
	prof.mnid = nai("deny@x");
	dmm_policy_set(POL, &prof); /* known, may_register false: 152 */
	prof.mnid = nai("other@x");
	prof.may_register = true;
	prof.n_lma = 1;
	prof.lma[0] = addr_of("2001:db8:a::99"); /* served by another LMA: 153 */
	dmm_policy_set(POL, &prof);
	memset(&prof, 0, sizeof(prof));
	prof.mnid = nai("fixed@x");
	prof.may_register = true;
	prof.n_prefix = 1;
	prof.prefix[0] = prefix_of("2001:db8:99::/64");
	dmm_policy_set(POL, &prof);

	dmm_lma_cfg_defaults(cfg);
	cfg->addr = LMAA;
	cfg->max_bindings = 64;
	cfg->max_peers = 8;
	cfg->npool = 1;
	cfg->pool[0] = prefix_of("2001:db8:1::/64");
	cfg->pool[0].len = pool_len;
	cfg->policy = POL;
	cfg->heartbeat_interval = 0;
	T = 1000 * DMM_SECOND;
	return dmm_lma_new(&H.env, cfg, T);
}

static struct dmm_lma *setup(uint8_t pool_len)
{
	struct dmm_lma_cfg cfg;

	return setup_cfg(pool_len, &cfg);
}

/* The §8.8 timestamp of wall time now + WALL + delta_ns (delta may be negative). */
static void put_ts(struct dmm_mh_opt *o, dmm_time_t now, int64_t delta_ns)
{
	uint64_t w = (uint64_t)((int64_t)now + WALL + delta_ns);

	o->u.timestamp.seconds = w / DMM_SECOND;
	o->u.timestamp.fraction = (uint16_t)(((w % DMM_SECOND) << 16) / DMM_SECOND);
}

/* A well-formed PBU for mn: HNP (NULL: ALL_ZERO), HI, ATT 3, Timestamp of T, lifetime 400 s. */
static void pbu(struct dmm_mh_msg *m, const char *mn, const struct dmm_prefix *hnp, uint8_t hi, uint16_t seq)
{
	struct dmm_mh_opt *o;
	struct dmm_mnid id = nai(mn);

	dmm_mh_init(m, DMM_MH_BU);
	m->u.bu.seq = seq;
	m->u.bu.flags = DMM_BU_A | DMM_BU_H | DMM_BU_L | DMM_BU_P;
	m->u.bu.lifetime = 100;
	o = dmm_mh_add_opt(m, DMM_OPT_MNID);
	o->u.mnid.subtype = id.subtype;
	o->u.mnid.id.len = id.len;
	memcpy(o->u.mnid.id.b, id.id, id.len);
	o = dmm_mh_add_opt(m, DMM_OPT_HNP);
	if (hnp)
		o->u.hnp = *hnp;
	dmm_mh_add_opt(m, DMM_OPT_HI)->u.hi.value = hi;
	dmm_mh_add_opt(m, DMM_OPT_ATT)->u.att.value = DMM_ATT_8023;
	put_ts(dmm_mh_add_opt(m, DMM_OPT_TIMESTAMP), T, 0);
}

static void del_opt(struct dmm_mh_msg *m, uint8_t type)
{
	for (unsigned i = 0; i < m->nopts; i++)
		if (m->opts[i].type == type) {
			memmove(&m->opts[i], &m->opts[i + 1], sizeof(m->opts[0]) * (m->nopts - i - 1));
			m->nopts--;
			i--;
		}
}

static void deliver(struct dmm_lma *lma, const struct dmm_addr *from, const struct dmm_mh_msg *m)
{
	uint8_t buf[DMM_MH_MAX_LEN];
	int n = dmm_mh_encode(buf, sizeof(buf), m);

	CHECK(n > 0);
	dmm_lma_recv(lma, from, &LMAA, buf, (size_t)n, T);
}

/* Send m from `from`; return the PBA (status in ->u.ba.status) or NULL when nothing came back. */
static const struct dmm_mh_msg *xact(struct dmm_lma *lma, const struct dmm_addr *from,
				     const struct dmm_mh_msg *m)
{
	struct sent *s;

	harness_clear(&H);
	deliver(lma, from, m);
	s = harness_last(&H);
	if (!s || s->decode_err || s->msg.type != DMM_MH_BA)
		return NULL;
	CHECK(dmm_addr_eq(&s->dst, from));
	CHECK(dmm_addr_eq(&s->src, &LMAA));
	return &s->msg;
}

static int status_of(struct dmm_lma *lma, const struct dmm_addr *from, const struct dmm_mh_msg *m)
{
	const struct dmm_mh_msg *r = xact(lma, from, m);

	return r ? r->u.ba.status : -1;
}

/* Register mn at mag with ALL_ZERO; return its prefix. */
static struct dmm_prefix reg(struct dmm_lma *lma, const struct dmm_addr *mag, const char *mn)
{
	struct dmm_mh_msg m;
	const struct dmm_mh_msg *r;
	const struct dmm_mh_opt *o;
	struct dmm_prefix none = {0};

	T += DMM_MSEC;
	pbu(&m, mn, NULL, DMM_HI_NEW_IF, 1);
	r = xact(lma, mag, &m);
	CHECK(r != NULL);
	if (!r)
		return none;
	CHECK_EQ(r->u.ba.status, 0);
	o = dmm_mh_find_opt(r, DMM_OPT_HNP, NULL);
	CHECK(o != NULL);
	return o ? o->u.hnp : none;
}

static void t_initial_registration(void)
{
	struct dmm_lma *lma = setup(60);
	struct dmm_mh_msg m;
	const struct dmm_mh_msg *r;
	const struct dmm_mh_opt *o;
	const struct dmm_bcache_entry *e;
	struct dmm_prefix p;

	CHECK(lma != NULL);
	T += DMM_MSEC;
	pbu(&m, "mn1@x", NULL, DMM_HI_NEW_IF, 7);
	dmm_mh_add_opt(&m, DMM_OPT_MNLLID)->u.mnllid = (struct dmm_mh_bytes){6, {2, 0, 0, 0, 0, 1}};
	r = xact(lma, &MAG1, &m);
	CHECK(r != NULL);
	if (!r)
		return;
	CHECK_EQ(r->u.ba.status, 0);
	CHECK(r->u.ba.flags & DMM_BA_P);
	CHECK_EQ(r->u.ba.seq, 7);
	CHECK_EQ(r->u.ba.lifetime, 100);
	o = dmm_mh_find_opt(r, DMM_OPT_MNID, NULL);
	CHECK(o && o->u.mnid.id.len == 5 && memcmp(o->u.mnid.id.b, "mn1@x", 5) == 0);
	o = dmm_mh_find_opt(r, DMM_OPT_HNP, NULL);
	CHECK(o && o->u.hnp.len == 64);
	p = o->u.hnp;
	CHECK(dmm_pool_is_used(dmm_lma_pool(lma), &p));
	CHECK_EQ(dmm_mh_find_opt(r, DMM_OPT_HI, NULL)->u.hi.value, DMM_HI_NEW_IF);
	CHECK_EQ(dmm_mh_find_opt(r, DMM_OPT_ATT, NULL)->u.att.value, DMM_ATT_8023);
	o = dmm_mh_find_opt(r, DMM_OPT_TIMESTAMP, NULL);
	CHECK(o && o->u.timestamp.seconds == m.opts[4].u.timestamp.seconds &&
	      o->u.timestamp.fraction == m.opts[4].u.timestamp.fraction);
	CHECK(dmm_mh_find_opt(r, DMM_OPT_MNLLID, NULL) != NULL);
	CHECK(dmm_mh_find_opt(r, DMM_OPT_LLA, NULL) == NULL);
	CHECK(dmm_mh_find_opt(r, DMM_OPT_LOAD, NULL) == NULL);
	CHECK(dmm_mh_find_opt(r, DMM_OPT_LMA_UPA, NULL) == NULL);
	/* The binding, its intents, its counters. */
	e = dmm_bcache_find_prefix(dmm_lma_bcache(lma), &p);
	CHECK(e && e->state == DMM_BCE_ACTIVE && dmm_addr_eq(&e->pcoa, &MAG1));
	CHECK(e && e->expires == T + 400 * DMM_SECOND);
	CHECK_EQ(H.nlive, 2);
	{
		const struct dmm_intent *dl = harness_find_intent(&H, DMM_FM_DST, DMM_FM_ENCAP, &p);
		const struct dmm_intent *ul = harness_find_intent(&H, DMM_FM_SRC, DMM_FM_DECAP, &p);

		CHECK(dl && dmm_addr_eq(&dl->peer, &MAG1) && dmm_addr_eq(&dl->local, &LMAA));
		CHECK(ul && dmm_addr_eq(&ul->peer, &MAG1) && dmm_addr_eq(&ul->local, &LMAA));
	}
	CHECK_EQ(dmm_role_stats(lma)->initial_registrations, 1);
	CHECK_EQ(dmm_role_stats(lma)->binding_acks, 1);
	CHECK_EQ(dmm_role_stats(lma)->ba_status[0], 1);
	CHECK_EQ(dmm_role_stats(lma)->tunnels_established, 1);
	CHECK(harness_logged(&H, "mn nai:mn1@x prefix 2001:db8:1::/64 mag 2001:db8:f::1: none -> ACTIVE"));
	/* The creation is counted as a transition from none (fsm.h), and so is the new peer. */
	CHECK_EQ(dmm_role_stats(lma)->transitions.n[DMM_FSM_BCE][0][DMM_BCE_ACTIVE + 1], 1);
	CHECK_EQ(dmm_role_stats(lma)->transitions.n[DMM_FSM_PEER][0][DMM_PEER_UNKNOWN + 1], 1);
	CHECK_EQ(dmm_role_next_deadline(lma), T + 400 * DMM_SECOND);
	dmm_lma_free(lma);
	CHECK_EQ(H.nlive, 0);
}

/* Every refusal of §5.3.1 with its status; nothing is created. */
static void t_status_paths(void)
{
	struct dmm_lma *lma = setup(60);
	struct dmm_mh_msg m;
	const struct dmm_mh_msg *r;
	struct dmm_prefix foreign = prefix_of("2001:db8:77::/64");

	T += DMM_MSEC;
	/* BU without P: a plain MIPv6 home registration, not served: 131. */
	pbu(&m, "mn1@x", NULL, 1, 1);
	m.u.bu.flags &= (uint16_t)~DMM_BU_P;
	r = xact(lma, &MAG1, &m);
	CHECK(r && r->u.ba.status == DMM_BA_HOME_REG_NOT_SUPPORTED && !(r->u.ba.flags & DMM_BA_P));
	m.u.bu.flags &= (uint16_t)~DMM_BU_H;
	CHECK_EQ(status_of(lma, &MAG1, &m), DMM_BA_PROHIBITED);
	/* 160: no MN-ID; the PBA has no MN-ID either (zero-length is not encodable). */
	pbu(&m, "mn1@x", NULL, 1, 1);
	del_opt(&m, DMM_OPT_MNID);
	r = xact(lma, &MAG1, &m);
	CHECK(r && r->u.ba.status == DMM_BA_MISSING_MN_ID);
	CHECK(r && !dmm_mh_find_opt(r, DMM_OPT_MNID, NULL) && dmm_mh_find_opt(r, DMM_OPT_HNP, NULL));
	/* 154: MAG not authorised. */
	pbu(&m, "mn1@x", NULL, 1, 1);
	CHECK_EQ(status_of(lma, &MAG_BAD, &m), DMM_BA_MAG_NOT_AUTHORIZED);
	/* 153: no profile (EUI-48 MN-IDs have none), or a profile naming another LMA. */
	pbu(&m, "mn1@x", NULL, 1, 1);
	m.opts[0].u.mnid.subtype = DMM_MNID_EUI48;
	m.opts[0].u.mnid.id.len = 6;
	CHECK_EQ(status_of(lma, &MAG1, &m), DMM_BA_NOT_LMA_FOR_THIS_MN);
	pbu(&m, "other@x", NULL, 1, 1);
	CHECK_EQ(status_of(lma, &MAG1, &m), DMM_BA_NOT_LMA_FOR_THIS_MN);
	/* 152: known, may not register. */
	pbu(&m, "deny@x", NULL, 1, 1);
	CHECK_EQ(status_of(lma, &MAG1, &m), DMM_BA_PROXY_REG_NOT_ENABLED);
	/* 158, 161, 162. */
	pbu(&m, "mn1@x", NULL, 1, 1);
	del_opt(&m, DMM_OPT_HNP);
	r = xact(lma, &MAG1, &m);
	CHECK(r && r->u.ba.status == DMM_BA_MISSING_HNP);
	CHECK(r && dmm_mh_count_opt(r, DMM_OPT_HNP) == 1 &&
	      dmm_mh_find_opt(r, DMM_OPT_HNP, NULL)->u.hnp.len == 0);
	pbu(&m, "mn1@x", NULL, 1, 1);
	del_opt(&m, DMM_OPT_HI);
	CHECK_EQ(status_of(lma, &MAG1, &m), DMM_BA_MISSING_HI);
	pbu(&m, "mn1@x", NULL, 1, 1);
	del_opt(&m, DMM_OPT_ATT);
	CHECK_EQ(status_of(lma, &MAG1, &m), DMM_BA_MISSING_ATT);
	/* 155: a prefix never assigned to this MN; the request's HNP is echoed. */
	pbu(&m, "mn1@x", &foreign, 1, 1);
	r = xact(lma, &MAG1, &m);
	CHECK(r && r->u.ba.status == DMM_BA_NOT_AUTHORIZED_FOR_HNP);
	CHECK(r && dmm_prefix_eq(&dmm_mh_find_opt(r, DMM_OPT_HNP, NULL)->u.hnp, &foreign));
	CHECK_EQ(r ? r->u.ba.lifetime : 1, 0);
	CHECK_EQ(dmm_bcache_count(dmm_lma_bcache(lma)), 0);
	CHECK_EQ(H.nlive, 0);
	CHECK_EQ(dmm_role_stats(lma)->ba_status[DMM_BA_MISSING_HI], 1);
	CHECK_EQ(dmm_role_stats(lma)->binding_acks, 11);
	dmm_lma_free(lma);
}

/* 155 for another MN's prefix, 159 for a prefix set that differs from the binding's. */
static void t_prefix_checks(void)
{
	struct dmm_lma *lma = setup(60);
	struct dmm_prefix p1 = reg(lma, &MAG1, "mn1@x"), p2 = reg(lma, &MAG1, "mn2@x");
	struct dmm_mh_msg m;
	const struct dmm_mh_msg *r;

	T += DMM_MSEC;
	pbu(&m, "mn2@x", &p1, DMM_HI_NO_CHANGE, 2);
	CHECK_EQ(status_of(lma, &MAG1, &m), DMM_BA_NOT_AUTHORIZED_FOR_HNP);
	T += DMM_MSEC;
	pbu(&m, "mn2@x", &p2, DMM_HI_NO_CHANGE, 2);
	dmm_mh_add_opt(&m, DMM_OPT_HNP)->u.hnp = prefix_of("2001:db8:1:f::/64");
	r = xact(lma, &MAG1, &m);
	CHECK(r && r->u.ba.status == DMM_BA_BCE_PBU_PREFIX_SET_MISMATCH);
	CHECK(r && dmm_mh_count_opt(r, DMM_OPT_HNP) == 2);
	/* Bindings untouched. */
	CHECK(dmm_bcache_find_prefix(dmm_lma_bcache(lma), &p1) != NULL);
	CHECK(dmm_bcache_find_prefix(dmm_lma_bcache(lma), &p2) != NULL);
	CHECK_EQ(H.nlive, 4);
	/* A profile's fixed prefix: given for ALL_ZERO, and accepted when asked for by name. */
	{
		struct dmm_prefix fx = prefix_of("2001:db8:99::/64"), got = reg(lma, &MAG1, "fixed@x");

		CHECK(dmm_prefix_eq(&got, &fx));
	}
	dmm_lma_free(lma);
}

/*
 * RFC 5847 §5.3: after an LMA restart its MAGs re-register the prefixes
 * they hold. A free prefix of the pool is given back to a pool-profile MN;
 * one in use by another MN, or outside the pool, is still refused (155).
 */
static void t_restart_recovery(void)
{
	struct dmm_lma *lma = setup(60);
	struct dmm_prefix p1 = reg(lma, &MAG1, "mn1@x"), back = prefix_of("2001:db8:1:7::/64");
	struct dmm_prefix outside = prefix_of("2001:db8:77:1::/64");
	struct dmm_mh_msg m;

	T += DMM_MSEC;
	pbu(&m, "mn2@x", &p1, DMM_HI_NO_CHANGE, 2);
	CHECK_EQ(status_of(lma, &MAG1, &m), DMM_BA_NOT_AUTHORIZED_FOR_HNP);
	T += DMM_MSEC;
	pbu(&m, "mn2@x", &outside, DMM_HI_NO_CHANGE, 3);
	CHECK_EQ(status_of(lma, &MAG1, &m), DMM_BA_NOT_AUTHORIZED_FOR_HNP);
	T += DMM_MSEC;
	pbu(&m, "mn2@x", &back, DMM_HI_NO_CHANGE, 4);
	CHECK_EQ(status_of(lma, &MAG1, &m), DMM_BA_ACCEPTED);
	CHECK(dmm_bcache_find_prefix(dmm_lma_bcache(lma), &back) != NULL);
	CHECK(dmm_pool_is_used(dmm_lma_pool(lma), &back));
	dmm_lma_free(lma);
}

/* 130: the pool (4 /64s) runs dry; releasing one makes room. */
static void t_pool_exhausted(void)
{
	struct dmm_lma *lma = setup(62);
	struct dmm_mh_msg m;
	char mn[16];

	for (int i = 0; i < 4; i++) {
		snprintf(mn, sizeof(mn), "mn%d@x", i);
		reg(lma, &MAG1, mn);
	}
	T += DMM_MSEC;
	pbu(&m, "mn9@x", NULL, 1, 1);
	CHECK_EQ(status_of(lma, &MAG1, &m), DMM_BA_INSUFFICIENT_RESOURCES);
	CHECK_EQ(dmm_role_stats(lma)->pool_exhausted, 1);
	CHECK_EQ(dmm_bcache_count(dmm_lma_bcache(lma)), 4);
	dmm_lma_free(lma);
}

/* §5.5: |ts - clock| <= window accepted, one ns more refused (156); not newer: 157. */
static void t_timestamp_window(void)
{
	struct dmm_lma *lma = setup(60);
	dmm_time_t win = 300 * DMM_MSEC, base;
	struct dmm_mh_msg m;
	const struct dmm_mh_msg *r;
	const struct dmm_mh_opt *o;
	uint64_t ts_ns;

	/* The request's time is exact in ns (fraction 0); move our clock around it. */
	T = 2000 * DMM_SECOND;
	pbu(&m, "mn1@x", NULL, 1, 1);
	o = dmm_mh_find_opt(&m, DMM_OPT_TIMESTAMP, NULL);
	m.opts[4].u.timestamp.fraction = 0;
	ts_ns = o->u.timestamp.seconds * DMM_SECOND;
	base = (dmm_time_t)((int64_t)ts_ns - WALL); /* our clock reads exactly ts at now = base */
	/* Clock ahead of ts by window + 1 ns: too old. */
	T = base + win + 1;
	r = xact(lma, &MAG1, &m);
	CHECK(r && r->u.ba.status == DMM_BA_TIMESTAMP_MISMATCH);
	o = r ? dmm_mh_find_opt(r, DMM_OPT_TIMESTAMP, NULL) : NULL;
	CHECK(o && o->u.timestamp.seconds == (ts_ns + win + 1) / DMM_SECOND); /* our time, not theirs */
	/* Clock behind ts by window + 1 ns: from the future. */
	T = base - win - 1;
	CHECK_EQ(status_of(lma, &MAG1, &m), DMM_BA_TIMESTAMP_MISMATCH);
	/* Exactly at both edges: accepted (the first registers, the second is not newer: 157). */
	T = base + win;
	CHECK_EQ(status_of(lma, &MAG1, &m), 0);
	T = base - win;
	r = xact(lma, &MAG1, &m);
	CHECK(r && r->u.ba.status == DMM_BA_TIMESTAMP_LOWER_THAN_PREV);
	CHECK(r && dmm_mh_find_opt(r, DMM_OPT_TIMESTAMP, NULL) != NULL);
	/* window - 1 ns on a fresh MN: accepted. */
	pbu(&m, "mn2@x", NULL, 1, 1);
	m.opts[4].u.timestamp.seconds = ts_ns / DMM_SECOND;
	m.opts[4].u.timestamp.fraction = 0;
	T = base + win - 1;
	CHECK_EQ(status_of(lma, &MAG1, &m), 0);
	pbu(&m, "mn3@x", NULL, 1, 1);
	m.opts[4].u.timestamp.seconds = ts_ns / DMM_SECOND;
	m.opts[4].u.timestamp.fraction = 0;
	T = base - win + 1;
	CHECK_EQ(status_of(lma, &MAG1, &m), 0);
	CHECK_EQ(dmm_role_stats(lma)->ba_status[DMM_BA_TIMESTAMP_MISMATCH], 2);
	CHECK_EQ(dmm_role_stats(lma)->ba_status[DMM_BA_TIMESTAMP_LOWER_THAN_PREV], 1);
	CHECK_EQ(dmm_bcache_count(dmm_lma_bcache(lma)), 3);
	dmm_lma_free(lma);
}

/* §5.5 sequence numbers (no Timestamp): newer modulo 2^16, across the wrap; 135 otherwise. */
static void t_seq_wrap(void)
{
	struct dmm_lma_cfg cfg;
	struct dmm_lma *lma = setup_cfg(60, &cfg);
	struct dmm_mh_msg m;
	const struct dmm_mh_msg *r;
	struct dmm_prefix p;

	cfg.timestamp_based = false;
	CHECK_EQ(dmm_lma_reconfigure(lma, &cfg, T), 0);
	pbu(&m, "mn1@x", NULL, 1, 0xfffe);
	del_opt(&m, DMM_OPT_TIMESTAMP);
	r = xact(lma, &MAG1, &m);
	CHECK(r && r->u.ba.status == 0 && !dmm_mh_find_opt(r, DMM_OPT_TIMESTAMP, NULL));
	p = dmm_mh_find_opt(r, DMM_OPT_HNP, NULL)->u.hnp;
	pbu(&m, "mn1@x", &p, DMM_HI_NO_CHANGE, 0xffff);
	del_opt(&m, DMM_OPT_TIMESTAMP);
	CHECK_EQ(status_of(lma, &MAG1, &m), 0);
	m.u.bu.seq = 0; /* wraps: newer */
	CHECK_EQ(status_of(lma, &MAG1, &m), 0);
	m.u.bu.seq = 0; /* the same again: not newer */
	r = xact(lma, &MAG1, &m);
	CHECK(r && r->u.ba.status == DMM_BA_SEQ_OUT_OF_WINDOW && r->u.ba.seq == 0);
	m.u.bu.seq = 0xfff0; /* older */
	r = xact(lma, &MAG1, &m);
	CHECK(r && r->u.ba.status == DMM_BA_SEQ_OUT_OF_WINDOW && r->u.ba.seq == 0); /* the last accepted */
	m.u.bu.seq = 1;
	CHECK_EQ(status_of(lma, &MAG1, &m), 0);
	CHECK_EQ(dmm_role_stats(lma)->lifetime_ext_no_handoff, 3);
	dmm_lma_free(lma);
}

/* Same MAG: lifetime extension, no BRI. New MAG: handoff, intents moved, BRI to the old one. */
static void t_handoff_vs_reregistration(void)
{
	struct dmm_lma *lma = setup(60);
	struct dmm_prefix p = reg(lma, &MAG1, "mn1@x");
	struct dmm_mh_msg m, bra;
	const struct dmm_mh_msg *r;
	const struct dmm_bcache_entry *e;
	const struct dmm_intent *dl;
	struct sent *bri = NULL;
	uint16_t bri_seq;

	T += 100 * DMM_SECOND;
	pbu(&m, "mn1@x", &p, DMM_HI_NO_CHANGE, 2);
	r = xact(lma, &MAG1, &m);
	CHECK(r && r->u.ba.status == 0);
	CHECK_EQ(harness_count_type(&H, DMM_MH_BR, 0), 0);
	CHECK_EQ(dmm_role_stats(lma)->lifetime_ext_no_handoff, 1);
	CHECK_EQ(dmm_role_stats(lma)->handoffs, 0);
	e = dmm_bcache_find_prefix(dmm_lma_bcache(lma), &p);
	CHECK(e && e->expires == T + 400 * DMM_SECOND);
	CHECK_EQ(dmm_role_next_deadline(lma), T + 400 * DMM_SECOND);
	/* Handoff to MAG2 with HI 3, same ATT: trigger 2. */
	T += DMM_SECOND;
	pbu(&m, "mn1@x", &p, DMM_HI_BETWEEN_MAGS, 3);
	harness_clear(&H);
	deliver(lma, &MAG2, &m);
	CHECK_EQ(harness_count_type(&H, DMM_MH_BA, 0), 1);
	CHECK_EQ(harness_count_type(&H, DMM_MH_BR, DMM_BR_BRI), 1);
	for (unsigned i = 0; i < H.nsent; i++)
		if (H.sent[i].msg.type == DMM_MH_BR)
			bri = &H.sent[i];
	CHECK(bri && dmm_addr_eq(&bri->dst, &MAG1));
	if (!bri)
		return;
	CHECK_EQ(bri->msg.u.br.code, 2);
	CHECK(bri->msg.u.br.flags & DMM_BR_P);
	CHECK(dmm_mh_find_opt(&bri->msg, DMM_OPT_MNID, NULL) != NULL);
	CHECK(dmm_prefix_eq(&dmm_mh_find_opt(&bri->msg, DMM_OPT_HNP, NULL)->u.hnp, &p));
	bri_seq = bri->msg.u.br.seq;
	e = dmm_bcache_find_prefix(dmm_lma_bcache(lma), &p);
	CHECK(e && dmm_addr_eq(&e->pcoa, &MAG2) && e->handovers == 1);
	dl = harness_find_intent(&H, DMM_FM_DST, DMM_FM_ENCAP, &p);
	CHECK(dl && dmm_addr_eq(&dl->peer, &MAG2));
	CHECK_EQ(H.nlive, 2);
	CHECK_EQ(dmm_role_stats(lma)->handoffs, 1);
	CHECK_EQ(dmm_role_stats(lma)->lifetime_ext_after_handoff, 1);
	CHECK_EQ(dmm_role_stats(lma)->tunnels_released, 1);
	CHECK_EQ(dmm_role_stats(lma)->tunnels_established, 2);
	/* No BRA: retransmitted twice (after 1 s, then 2 s), then given up. */
	harness_clear(&H);
	for (int i = 0; i < 10; i++) {
		T += DMM_SECOND;
		dmm_role_expire(lma, T);
	}
	CHECK_EQ(harness_count_type(&H, DMM_MH_BR, DMM_BR_BRI), 2);
	CHECK_EQ(dmm_role_stats(lma)->bri_sent, 3);
	for (unsigned i = 0; i < H.nsent; i++)
		CHECK_EQ(H.sent[i].msg.u.br.seq, bri_seq);
	/*
	 * Back to MAG1 over another access type (so another interface, HI 2,
	 * §5.4.1.1 step 5): trigger 3; a BRA stops the retransmission.
	 */
	T += DMM_SECOND;
	pbu(&m, "mn1@x", &p, DMM_HI_BETWEEN_IFS, 4);
	m.opts[3].u.att.value = DMM_ATT_80211;
	harness_clear(&H);
	deliver(lma, &MAG1, &m);
	CHECK_EQ(harness_count_type(&H, DMM_MH_BR, DMM_BR_BRI), 1);
	bri = H.sent[0].msg.type == DMM_MH_BR ? &H.sent[0] : &H.sent[1];
	CHECK_EQ(bri->msg.u.br.code, 3);
	CHECK(dmm_addr_eq(&bri->dst, &MAG2));
	dmm_mh_init(&bra, DMM_MH_BR);
	bra.u.br.br_type = DMM_BR_BRA;
	bra.u.br.seq = bri->msg.u.br.seq;
	bra.u.br.flags = DMM_BR_P;
	harness_clear(&H);
	deliver(lma, &MAG2, &bra);
	CHECK_EQ(dmm_role_stats(lma)->bra_received, 1);
	for (int i = 0; i < 5; i++) {
		T += DMM_SECOND;
		dmm_role_expire(lma, T);
	}
	CHECK_EQ(harness_count_type(&H, DMM_MH_BR, 0), 0);
	dmm_lma_free(lma);
}

static void t_no_revoke(void)
{
	struct dmm_lma_cfg cfg;
	struct dmm_lma *lma = setup_cfg(60, &cfg);
	struct dmm_prefix p;
	struct dmm_mh_msg m;

	cfg.revoke_on_handoff = false;
	cfg.upa = addr_of("2001:db8:a::2");
	cfg.max_sessions_advertised = 1000;
	CHECK_EQ(dmm_lma_reconfigure(lma, &cfg, T), 0);
	p = reg(lma, &MAG1, "mn1@x");
	{
		const struct dmm_mh_msg *r = &harness_last(&H)->msg;
		const struct dmm_mh_opt *o = dmm_mh_find_opt(r, DMM_OPT_LMA_UPA, NULL);

		CHECK(o && o->u.lma_upa.len == 16 && memcmp(o->u.lma_upa.b, cfg.upa.b, 16) == 0);
		o = dmm_mh_find_opt(r, DMM_OPT_LOAD, NULL);
		CHECK(o && o->u.load.sessions_in_use == 1 && o->u.load.max_sessions == 1000);
		CHECK(dmm_addr_eq(&harness_find_intent(&H, DMM_FM_DST, DMM_FM_ENCAP, &p)->local, &cfg.upa));
	}
	T += DMM_SECOND;
	pbu(&m, "mn1@x", &p, DMM_HI_BETWEEN_MAGS, 3);
	harness_clear(&H);
	deliver(lma, &MAG2, &m);
	CHECK_EQ(harness_count_type(&H, DMM_MH_BR, 0), 0);
	CHECK_EQ(dmm_role_stats(lma)->handoffs, 1);
	dmm_lma_free(lma);
}

/* §5.3.5: accepted with lifetime 0, kept with a DROP intent exactly MinDelayBeforeBCEDelete. */
static void t_deregistration(void)
{
	struct dmm_lma *lma = setup(62);
	struct dmm_prefix p = reg(lma, &MAG1, "mn1@x");
	struct dmm_mh_msg m;
	const struct dmm_mh_msg *r;
	const struct dmm_bcache_entry *e;
	dmm_time_t t0;

	/* From another MAG: ignored, no reply (§5.3.5 step 1). */
	T += DMM_SECOND;
	pbu(&m, "mn1@x", &p, DMM_HI_NO_CHANGE, 2);
	m.u.bu.lifetime = 0;
	CHECK(xact(lma, &MAG2, &m) == NULL);
	CHECK_EQ(H.nsent, 0);
	/* From the MAG that holds it. */
	T += DMM_MSEC;
	pbu(&m, "mn1@x", &p, DMM_HI_NO_CHANGE, 3);
	m.u.bu.lifetime = 0;
	r = xact(lma, &MAG1, &m);
	CHECK(r && r->u.ba.status == 0 && r->u.ba.lifetime == 0);
	t0 = T;
	e = dmm_bcache_find_prefix(dmm_lma_bcache(lma), &p);
	CHECK(e && e->state == DMM_BCE_DEREG_WAIT);
	CHECK_EQ(H.nlive, 1);
	CHECK(harness_find_intent(&H, DMM_FM_DST, DMM_FM_DROP, &p) != NULL);
	CHECK_EQ(dmm_role_stats(lma)->deregistrations, 1);
	CHECK_EQ(dmm_role_stats(lma)->tunnels_released, 1);
	CHECK_EQ(dmm_role_next_deadline(lma), t0 + 10 * DMM_SECOND);
	dmm_role_expire(lma, t0 + 10 * DMM_SECOND - 1);
	CHECK(dmm_bcache_find_prefix(dmm_lma_bcache(lma), &p) != NULL);
	CHECK(dmm_pool_is_used(dmm_lma_pool(lma), &p));
	dmm_role_expire(lma, t0 + 10 * DMM_SECOND);
	CHECK(dmm_bcache_find_prefix(dmm_lma_bcache(lma), &p) == NULL);
	CHECK(!dmm_pool_is_used(dmm_lma_pool(lma), &p));
	CHECK_EQ(H.nlive, 0);
	CHECK(harness_logged(&H, "DEREG_WAIT -> none"));
	CHECK_EQ(dmm_role_stats(lma)->transitions.n[DMM_FSM_BCE][DMM_BCE_ACTIVE + 1][DMM_BCE_DEREG_WAIT + 1],
		 1);
	CHECK_EQ(dmm_role_stats(lma)->transitions.n[DMM_FSM_BCE][DMM_BCE_DEREG_WAIT + 1][0], 1);
	/* The prefix is reusable: 4 more MNs take the whole pool, p among them. */
	T = t0 + 11 * DMM_SECOND;
	{
		bool seen = false;
		char mn[16];

		for (int i = 0; i < 4; i++) {
			struct dmm_prefix q;

			snprintf(mn, sizeof(mn), "n%d@x", i);
			q = reg(lma, &MAG1, mn);
			seen |= dmm_prefix_eq(&q, &p);
		}
		CHECK(seen);
	}
	dmm_lma_free(lma);
}

/* A PBU from a new MAG during DEREG_WAIT is a handoff that revives the binding (no BRI). */
static void t_dereg_revive(void)
{
	struct dmm_lma *lma = setup(60);
	struct dmm_prefix p = reg(lma, &MAG1, "mn1@x");
	struct dmm_mh_msg m;
	const struct dmm_bcache_entry *e;

	T += DMM_MSEC;
	pbu(&m, "mn1@x", &p, DMM_HI_NO_CHANGE, 2);
	m.u.bu.lifetime = 0;
	CHECK_EQ(status_of(lma, &MAG1, &m), 0);
	T += DMM_SECOND;
	pbu(&m, "mn1@x", &p, DMM_HI_BETWEEN_MAGS, 3);
	harness_clear(&H);
	deliver(lma, &MAG2, &m);
	CHECK_EQ(harness_count_type(&H, DMM_MH_BR, 0), 0);
	e = dmm_bcache_find_prefix(dmm_lma_bcache(lma), &p);
	CHECK(e && e->state == DMM_BCE_ACTIVE && dmm_addr_eq(&e->pcoa, &MAG2));
	CHECK(harness_find_intent(&H, DMM_FM_DST, DMM_FM_ENCAP, &p) != NULL);
	CHECK(harness_find_intent(&H, DMM_FM_DST, DMM_FM_DROP, &p) == NULL);
	dmm_role_expire(lma, T + 20 * DMM_SECOND);
	CHECK(dmm_bcache_find_prefix(dmm_lma_bcache(lma), &p) != NULL);
	CHECK_EQ(dmm_role_stats(lma)->handoffs, 1);
	dmm_lma_free(lma);
}

/* The binding lapses at exactly its expiry. */
static void t_expiry(void)
{
	struct dmm_lma *lma = setup(60);
	struct dmm_prefix p = reg(lma, &MAG1, "mn1@x");
	dmm_time_t exp = T + 400 * DMM_SECOND;

	dmm_role_expire(lma, exp - 1);
	CHECK(dmm_bcache_find_prefix(dmm_lma_bcache(lma), &p) != NULL);
	dmm_role_expire(lma, exp);
	CHECK(dmm_bcache_find_prefix(dmm_lma_bcache(lma), &p) == NULL);
	CHECK(!dmm_pool_is_used(dmm_lma_pool(lma), &p));
	CHECK_EQ(H.nlive, 0);
	CHECK_EQ(dmm_role_stats(lma)->tunnels_released, 1);
	CHECK_EQ(dmm_role_next_deadline(lma), DMM_TIME_NEVER);
	CHECK(harness_logged(&H, "lifetime expired"));
	dmm_lma_free(lma);
}

/* RFC 5847: down after missing_allowed + 1 unanswered intervals; a new restart counter deletes bindings. */
static void t_heartbeat(void)
{
	struct dmm_lma_cfg cfg;
	struct dmm_lma *lma = setup_cfg(60, &cfg);
	struct dmm_prefix p1, p2, p3;
	struct dmm_peer *peer;
	struct dmm_mh_msg hb;
	dmm_time_t iv = 10 * DMM_SECOND;
	struct sent *s;

	cfg.heartbeat_interval = iv;
	cfg.missing_heartbeats_allowed = 2;
	CHECK_EQ(dmm_lma_reconfigure(lma, &cfg, T), 0);
	p1 = reg(lma, &MAG1, "mn1@x");
	p2 = reg(lma, &MAG1, "mn2@x");
	p3 = reg(lma, &MAG2, "mn3@x");
	peer = dmm_peers_get(dmm_role_peers(lma), &MAG1, false);
	CHECK(peer && peer->bindings == 2);
	/* Answer MAG2 always, MAG1 never. */
	for (int i = 1; i <= 4; i++) {
		T += iv;
		harness_clear(&H);
		dmm_role_expire(lma, T);
		for (unsigned k = 0; k < H.nsent; k++) {
			s = &H.sent[k];
			if (s->msg.type != DMM_MH_HB || !dmm_addr_eq(&s->dst, &MAG2))
				continue;
			dmm_mh_init(&hb, DMM_MH_HB);
			hb.u.hb.flags = DMM_HB_R;
			hb.u.hb.seq = s->msg.u.hb.seq;
			dmm_mh_add_opt(&hb, DMM_OPT_RESTART)->u.restart.counter = 5;
			deliver(lma, &MAG2, &hb);
		}
		/* Requests go out at every interval; misses are counted at the next one, and the
		 * third unanswered request in a row (MISSING_HEARTBEATS_ALLOWED) means down. */
		CHECK_EQ(peer->state, i <= 2 ? DMM_PEER_UNKNOWN : DMM_PEER_DOWN);
	}
	CHECK_EQ(dmm_role_stats(lma)->peers_down, 1);
	/* Bindings are kept while the MAG is down. */
	CHECK(dmm_bcache_find_prefix(dmm_lma_bcache(lma), &p1) != NULL);
	/* MAG2 restarts: its next response carries another counter. */
	T += iv;
	harness_clear(&H);
	dmm_role_expire(lma, T);
	for (unsigned k = 0; k < H.nsent; k++) {
		s = &H.sent[k];
		if (s->msg.type != DMM_MH_HB || !dmm_addr_eq(&s->dst, &MAG2))
			continue;
		dmm_mh_init(&hb, DMM_MH_HB);
		hb.u.hb.flags = DMM_HB_R;
		hb.u.hb.seq = s->msg.u.hb.seq;
		dmm_mh_add_opt(&hb, DMM_OPT_RESTART)->u.restart.counter = 6;
		deliver(lma, &MAG2, &hb);
	}
	CHECK_EQ(dmm_role_stats(lma)->peer_restarts, 1);
	CHECK(dmm_bcache_find_prefix(dmm_lma_bcache(lma), &p3) == NULL);
	CHECK(dmm_bcache_find_prefix(dmm_lma_bcache(lma), &p1) != NULL);
	CHECK(dmm_bcache_find_prefix(dmm_lma_bcache(lma), &p2) != NULL);
	CHECK_EQ(H.nlive, 4);
	/* A request from a MAG is answered with our restart counter. */
	dmm_mh_init(&hb, DMM_MH_HB);
	hb.u.hb.seq = 77;
	harness_clear(&H);
	deliver(lma, &MAG1, &hb);
	s = harness_last(&H);
	CHECK(s && s->msg.type == DMM_MH_HB && (s->msg.u.hb.flags & DMM_HB_R) && s->msg.u.hb.seq == 77);
	dmm_lma_free(lma);
}

/* Malformed input: counted, answered where the RFC says, and no binding changes. */
static void t_malformed(void)
{
	struct dmm_lma *lma = setup(60);
	struct dmm_prefix p = reg(lma, &MAG1, "mn1@x");
	struct dmm_mh_msg m;
	uint8_t buf[DMM_MH_MAX_LEN];
	int n;
	struct sent *s;
	const struct dmm_bcache_entry *e = dmm_bcache_find_prefix(dmm_lma_bcache(lma), &p);
	dmm_time_t exp = e->expires;

	/* A PBU (handoff to MAG2) whose HI option has a bad length: PBA 128 with the seq. */
	T += DMM_SECOND;
	pbu(&m, "mn1@x", &p, DMM_HI_BETWEEN_MAGS, 0x4242);
	m.u.bu.lifetime = 0;
	n = dmm_mh_encode(buf, sizeof(buf), &m);
	CHECK(n > 0);
	for (int i = 12; i < n - 1; i++)
		if (buf[i] == DMM_OPT_HI && buf[i + 1] == 2) {
			buf[i + 1] = 1; /* HI Length must be 2 */
			break;
		}
	harness_clear(&H);
	dmm_lma_recv(lma, &MAG2, &LMAA, buf, (size_t)n, T);
	s = harness_last(&H);
	CHECK(s && s->msg.type == DMM_MH_BA && s->msg.u.ba.status == DMM_BA_UNSPECIFIED &&
	      s->msg.u.ba.seq == 0x4242);
	CHECK(s && dmm_addr_eq(&s->dst, &MAG2));
	CHECK_EQ(dmm_role_stats(lma)->rx_malformed[-DMM_ERR_OPT_LEN], 1);
	e = dmm_bcache_find_prefix(dmm_lma_bcache(lma), &p);
	CHECK(e && e->state == DMM_BCE_ACTIVE && dmm_addr_eq(&e->pcoa, &MAG1) && e->expires == exp);
	CHECK_EQ(H.nlive, 2);
	/* Unknown MH type 99: Binding Error status 2, home address ::. */
	memset(buf, 0, 16);
	buf[0] = 59;
	buf[1] = 1;
	buf[2] = 99;
	harness_clear(&H);
	dmm_lma_recv(lma, &MAG1, &LMAA, buf, 16, T);
	s = harness_last(&H);
	CHECK(s && s->msg.type == DMM_MH_BE && s->msg.u.be.status == DMM_BE_UNKNOWN_MH_TYPE);
	CHECK(s && dmm_addr_is_zero(&s->msg.u.be.home_addr) && dmm_addr_eq(&s->dst, &MAG1));
	CHECK_EQ(dmm_role_stats(lma)->rx_unknown_type, 1);
	/* Bad Payload Proto: counted and dropped (no ICMPv6 Parameter Problem is sent). */
	buf[0] = 6;
	buf[2] = DMM_MH_BU;
	harness_clear(&H);
	dmm_lma_recv(lma, &MAG1, &LMAA, buf, 16, T);
	CHECK_EQ(H.nsent, 0);
	CHECK_EQ(dmm_role_stats(lma)->rx_malformed[-DMM_ERR_PAYLOAD_PROTO], 1);
	/* Truncated garbage: counted only. */
	dmm_lma_recv(lma, &MAG1, &LMAA, buf, 3, T);
	CHECK_EQ(H.nsent, 0);
	CHECK_EQ(dmm_role_stats(lma)->rx_malformed[-DMM_ERR_TRUNCATED], 1);
	CHECK(dmm_bcache_find_prefix(dmm_lma_bcache(lma), &p) != NULL);
	dmm_lma_free(lma);
}

/* HI 4 without HNP (ALL_ZERO) from a new MAG: the MN's only binding moves (a documented choice). */
static void t_hi_unknown(void)
{
	struct dmm_lma *lma = setup(60);
	struct dmm_prefix p = reg(lma, &MAG1, "mn1@x");
	struct dmm_mh_msg m;
	const struct dmm_mh_msg *r;

	T += DMM_SECOND;
	pbu(&m, "mn1@x", NULL, DMM_HI_UNKNOWN, 2);
	harness_clear(&H);
	deliver(lma, &MAG2, &m);
	r = &H.sent[H.nsent - 1].msg;
	CHECK(r->type == DMM_MH_BA && r->u.ba.status == 0);
	CHECK(dmm_prefix_eq(&dmm_mh_find_opt(r, DMM_OPT_HNP, NULL)->u.hnp, &p));
	CHECK_EQ(harness_count_type(&H, DMM_MH_BR, DMM_BR_BRI), 1);
	CHECK_EQ(H.sent[0].msg.u.br.code, 4);
	/* HI 1 (new interface) makes a second session with its own prefix. */
	T += DMM_SECOND;
	pbu(&m, "mn1@x", NULL, DMM_HI_NEW_IF, 3);
	r = xact(lma, &MAG1, &m);
	CHECK(r && r->u.ba.status == 0 && !dmm_prefix_eq(&dmm_mh_find_opt(r, DMM_OPT_HNP, NULL)->u.hnp, &p));
	CHECK_EQ(dmm_bcache_count(dmm_lma_bcache(lma)), 2);
	dmm_lma_free(lma);
}

static void t_ops_and_config(void)
{
	struct dmm_lma_cfg cfg;
	struct dmm_lma *lma = setup_cfg(60, &cfg);
	void *inst;

	CHECK(strcmp(dmm_lma_ops.name, "lma") == 0);
	cfg.npool = 2;
	CHECK_EQ(dmm_lma_reconfigure(lma, &cfg, T), DMM_ERR_INVAL);
	dmm_lma_free(lma);
	cfg.npool = 1;
	inst = dmm_lma_ops.create(&H.env, &cfg, T);
	CHECK(inst != NULL);
	CHECK_EQ(dmm_lma_ops.next_deadline(inst), DMM_TIME_NEVER);
	dmm_lma_ops.destroy(inst);
	cfg.policy = NULL;
	CHECK(dmm_lma_new(&H.env, &cfg, T) == NULL);
	dmm_lma_free(NULL);
}

int main(void)
{
	LMAA = addr_of("2001:db8:a::1");
	MAG1 = addr_of("2001:db8:f::1");
	MAG2 = addr_of("2001:db8:f::2");
	MAG_BAD = addr_of("2001:db8:f::99");
	t_initial_registration();
	t_status_paths();
	t_prefix_checks();
	t_restart_recovery();
	t_pool_exhausted();
	t_timestamp_window();
	t_seq_wrap();
	t_handoff_vs_reregistration();
	t_no_revoke();
	t_deregistration();
	t_dereg_revive();
	t_expiry();
	t_heartbeat();
	t_malformed();
	t_hi_unknown();
	t_ops_and_config();
	dmm_policy_free(POL);
	return check_report("test_lma");
}
