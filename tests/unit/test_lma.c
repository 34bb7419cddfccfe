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
static uint32_t MAX_BINDINGS = 64;			 /* for the next setup_cfg() */

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
	cfg->max_bindings = MAX_BINDINGS;
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
	CHECK(e && e->state == DMM_BCE_ACTIVE && dmm_addr_eq(dmm_bce_pcoa(e), &MAG1));
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
	/*
	 * 160: no MN-ID; the PBA carries the empty MN-ID option that RFC 5213
	 * §5.3.6 prescribes when the PBU had none (issue 9 §1: every PBA
	 * carries the required options, in their empty forms if need be).
	 */
	pbu(&m, "mn1@x", NULL, 1, 1);
	del_opt(&m, DMM_OPT_MNID);
	r = xact(lma, &MAG1, &m);
	CHECK(r && r->u.ba.status == DMM_BA_MISSING_MN_ID);
	{
		const struct dmm_mh_opt *id = r ? dmm_mh_find_opt(r, DMM_OPT_MNID, NULL) : NULL;

		CHECK(id && id->u.mnid.id.len == 0 && dmm_mh_find_opt(r, DMM_OPT_HNP, NULL));
	}
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
 * RFC 5847 §3.2: after an LMA restart its MAGs re-register the prefixes
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
	struct dmm_lma_cfg cfg;
	struct dmm_lma *lma = setup_cfg(60, &cfg);
	struct dmm_prefix p;
	struct dmm_mh_msg m, bra;
	const struct dmm_mh_msg *r;
	const struct dmm_bcache_entry *e;
	const struct dmm_intent *dl;
	struct sent *bri = NULL;
	uint16_t bri_seq;

	cfg.bri_max_retries = 2; /* RFC 5846 §11: configurable (the default, 1, is in t_bri_retries) */
	CHECK_EQ(dmm_lma_reconfigure(lma, &cfg, T), 0);
	p = reg(lma, &MAG1, "mn1@x");
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
	CHECK(e && dmm_addr_eq(dmm_bce_pcoa(e), &MAG2) && e->handovers == 1);
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
	cfg.domain_wide_lma_upa_support = true; /* RFC 7389 §5: the PBA carries the LMA-UPA unasked */
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
	CHECK(e && e->state == DMM_BCE_ACTIVE && dmm_addr_eq(dmm_bce_pcoa(e), &MAG2));
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

/* RFC 5847 §3.1: down when the misses exceed missing_allowed; a new restart counter deletes bindings. */
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
		 * third miss in a row exceeds MISSING_HEARTBEATS_ALLOWED (2): down (RFC 5847 §3.1). */
		CHECK_EQ(peer->state, i <= 3 ? DMM_PEER_UNKNOWN : DMM_PEER_DOWN);
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
	CHECK(e && e->state == DMM_BCE_ACTIVE && dmm_addr_eq(dmm_bce_pcoa(e), &MAG1) && e->expires == exp);
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

/* The last message of type (for DMM_MH_BR: of BR type sub) sent since the last harness_clear(), or NULL. */
static struct sent *last_of(uint8_t type, uint8_t sub)
{
	for (unsigned i = H.nsent; i-- > 0;)
		if (H.sent[i].msg.type == type && (type != DMM_MH_BR || H.sent[i].msg.u.br.br_type == sub))
			return &H.sent[i];
	return NULL;
}

static bool opt_eq(const struct dmm_mh_opt *a, const struct dmm_mh_opt *b)
{
	switch (a->type) {
	case DMM_OPT_MNID:
		return a->u.mnid.subtype == b->u.mnid.subtype && a->u.mnid.id.len == b->u.mnid.id.len &&
		       memcmp(a->u.mnid.id.b, b->u.mnid.id.b, a->u.mnid.id.len) == 0;
	case DMM_OPT_HI:
		return a->u.hi.value == b->u.hi.value;
	case DMM_OPT_ATT:
		return a->u.att.value == b->u.att.value;
	case DMM_OPT_TIMESTAMP:
		return a->u.timestamp.seconds == b->u.timestamp.seconds &&
		       a->u.timestamp.fraction == b->u.timestamp.fraction;
	case DMM_OPT_MNLLID:
		return a->u.mnllid.len == b->u.mnllid.len &&
		       memcmp(a->u.mnllid.b, b->u.mnllid.b, a->u.mnllid.len) == 0;
	case DMM_OPT_HNP:
		return dmm_prefix_eq(&a->u.hnp, &b->u.hnp);
	default:
		return false;
	}
}

/*
 * RFC 5213 §5.3.6: r carries m's MN-ID, HI, ATT, Timestamp and MN-LLID
 * (each present in m), and m's HNPs in m's order (status >= 128).
 */
static bool echoes(const struct dmm_mh_msg *r, const struct dmm_mh_msg *m)
{
	static const uint8_t types[] = {DMM_OPT_MNID, DMM_OPT_HI, DMM_OPT_ATT, DMM_OPT_TIMESTAMP,
					DMM_OPT_MNLLID};
	const struct dmm_mh_opt *a = NULL, *b = NULL;
	unsigned n;

	for (unsigned i = 0; i < sizeof(types); i++) {
		a = dmm_mh_find_opt(m, types[i], NULL);
		b = dmm_mh_find_opt(r, types[i], NULL);
		if (a && (!b || !opt_eq(a, b)))
			return false;
	}
	n = dmm_mh_count_opt(m, DMM_OPT_HNP);
	if (dmm_mh_count_opt(r, DMM_OPT_HNP) != (n ? n : 1))
		return false;
	a = b = NULL;
	while ((a = dmm_mh_find_opt(m, DMM_OPT_HNP, a)) != NULL) {
		b = dmm_mh_find_opt(r, DMM_OPT_HNP, b);
		if (!b || !opt_eq(a, b))
			return false;
	}
	return true;
}

/* Send a PBU for HI 4 from MAG2 for mn1@x (ALL_ZERO) with seq. */
static void hi4_from_mag2(struct dmm_lma *lma, uint16_t seq)
{
	struct dmm_mh_msg m;

	pbu(&m, "mn1@x", NULL, DMM_HI_UNKNOWN, seq);
	harness_clear(&H);
	deliver(lma, &MAG2, &m);
}

/* A BRA from `from` with seq and status (RFC 5846 §5.2). */
static void send_bra(struct dmm_lma *lma, const struct dmm_addr *from, uint16_t seq, uint8_t status)
{
	struct dmm_mh_msg bra;

	dmm_mh_init(&bra, DMM_MH_BR);
	bra.u.br.br_type = DMM_BR_BRA;
	bra.u.br.seq = seq;
	bra.u.br.code = status;
	bra.u.br.flags = DMM_BR_P;
	harness_clear(&H);
	deliver(lma, from, &bra);
}

/*
 * issue 9 §2.6: RFC 5213 §5.4.1.3 step 3, RFC 5846 §8.1. HI 4 from a new
 * MAG for the MN's only binding: no answer while the LMA waits (up to
 * MaxDelayBeforeNewBCEAssign) for the old MAG to let go, and a BRI with
 * trigger 4 to the old MAG. Its successful BRA counts as the
 * de-registration: the retransmitted PBU then moves the binding.
 */
static void t_hi_unknown_bra_success(void)
{
	struct dmm_lma *lma = setup(60);
	struct dmm_prefix p = reg(lma, &MAG1, "mn1@x");
	const struct dmm_bcache_entry *e;
	const struct dmm_mh_msg *r;
	struct sent *bri;
	uint16_t seq;

	T += DMM_SECOND;
	hi4_from_mag2(lma, 2);
	CHECK_EQ(harness_count_type(&H, DMM_MH_BA, 0), 0);
	bri = last_of(DMM_MH_BR, DMM_BR_BRI);
	CHECK(bri && bri->msg.u.br.code == 4 && dmm_addr_eq(&bri->dst, &MAG1));
	seq = bri ? bri->msg.u.br.seq : 0;
	e = dmm_bcache_find_prefix(dmm_lma_bcache(lma), &p);
	CHECK(e && e->state == DMM_BCE_HANDOFF_WAIT && dmm_addr_eq(dmm_bce_pcoa(e), &MAG1));
	/* Traffic still goes to the old MAG while waiting. */
	CHECK(harness_find_intent(&H, DMM_FM_DST, DMM_FM_ENCAP, &p) != NULL);
	/* A retransmission inside the window still waits. */
	T += 500 * DMM_MSEC;
	hi4_from_mag2(lma, 3);
	CHECK_EQ(harness_count_type(&H, DMM_MH_BA, 0), 0);
	/* The old MAG revokes: as a de-registration (RFC 5846 §8.1, first case). */
	send_bra(lma, &MAG1, seq, 0);
	e = dmm_bcache_find_prefix(dmm_lma_bcache(lma), &p);
	CHECK(e && e->state == DMM_BCE_DEREG_WAIT);
	T += 100 * DMM_MSEC;
	hi4_from_mag2(lma, 4);
	r = last_of(DMM_MH_BA, 0) ? &last_of(DMM_MH_BA, 0)->msg : NULL;
	CHECK(r && r->u.ba.status == 0 && dmm_prefix_eq(&dmm_mh_find_opt(r, DMM_OPT_HNP, NULL)->u.hnp, &p));
	e = dmm_bcache_find_prefix(dmm_lma_bcache(lma), &p);
	CHECK(e && e->state == DMM_BCE_ACTIVE && dmm_addr_eq(dmm_bce_pcoa(e), &MAG2));
	CHECK_EQ(dmm_bcache_count(dmm_lma_bcache(lma)), 1);
	dmm_lma_free(lma);
}

/* issue 9 §2.6: RFC 5213 §5.4.1.3 step 3: no de-registration within MaxDelayBeforeNewBCEAssign: a new session. */
static void t_hi_unknown_timeout(void)
{
	struct dmm_lma *lma = setup(60);
	struct dmm_prefix p = reg(lma, &MAG1, "mn1@x");
	const struct dmm_bcache_entry *e;
	const struct dmm_mh_msg *r;
	dmm_time_t t0;

	T += DMM_SECOND;
	hi4_from_mag2(lma, 2);
	CHECK_EQ(harness_count_type(&H, DMM_MH_BA, 0), 0);
	t0 = T;
	dmm_role_expire(lma, t0 + 1500 * DMM_MSEC - 1);
	e = dmm_bcache_find_prefix(dmm_lma_bcache(lma), &p);
	CHECK(e && e->state == DMM_BCE_HANDOFF_WAIT);
	dmm_role_expire(lma, t0 + 1500 * DMM_MSEC);
	e = dmm_bcache_find_prefix(dmm_lma_bcache(lma), &p);
	CHECK(e && e->state == DMM_BCE_ACTIVE && dmm_addr_eq(dmm_bce_pcoa(e), &MAG1));
	T = t0 + 2 * DMM_SECOND;
	hi4_from_mag2(lma, 3);
	r = last_of(DMM_MH_BA, 0) ? &last_of(DMM_MH_BA, 0)->msg : NULL;
	CHECK(r && r->u.ba.status == 0 && !dmm_prefix_eq(&dmm_mh_find_opt(r, DMM_OPT_HNP, NULL)->u.hnp, &p));
	CHECK_EQ(dmm_bcache_count(dmm_lma_bcache(lma)), 2);
	e = dmm_bcache_find_prefix(dmm_lma_bcache(lma), &p);
	CHECK(e && dmm_addr_eq(dmm_bce_pcoa(e), &MAG1));
	dmm_lma_free(lma);
}

/* issue 9 §2.6: RFC 5846 §8.1, second case: BRA 132 (MN is attached) ends the wait: a new session. */
static void t_hi_unknown_attached(void)
{
	struct dmm_lma *lma = setup(60);
	struct dmm_prefix p = reg(lma, &MAG1, "mn1@x");
	const struct dmm_bcache_entry *e;
	const struct dmm_mh_msg *r;
	struct sent *bri;

	T += DMM_SECOND;
	hi4_from_mag2(lma, 2);
	bri = last_of(DMM_MH_BR, DMM_BR_BRI);
	CHECK(bri != NULL);
	send_bra(lma, &MAG1, bri ? bri->msg.u.br.seq : 0, 132);
	e = dmm_bcache_find_prefix(dmm_lma_bcache(lma), &p);
	CHECK(e && e->state == DMM_BCE_ACTIVE && dmm_addr_eq(dmm_bce_pcoa(e), &MAG1));
	T += 100 * DMM_MSEC;
	hi4_from_mag2(lma, 3);
	r = last_of(DMM_MH_BA, 0) ? &last_of(DMM_MH_BA, 0)->msg : NULL;
	CHECK(r && r->u.ba.status == 0 && !dmm_prefix_eq(&dmm_mh_find_opt(r, DMM_OPT_HNP, NULL)->u.hnp, &p));
	CHECK_EQ(dmm_bcache_count(dmm_lma_bcache(lma)), 2);
	dmm_lma_free(lma);
}

/* issue 9 §2.6: RFC 5213 §5.4.1.3 step 3: the old MAG de-registers during the wait: the binding moves. */
static void t_hi_unknown_dereg(void)
{
	struct dmm_lma *lma = setup(60);
	struct dmm_prefix p = reg(lma, &MAG1, "mn1@x");
	const struct dmm_bcache_entry *e;
	const struct dmm_mh_msg *r;
	struct dmm_mh_msg m;

	T += DMM_SECOND;
	hi4_from_mag2(lma, 2);
	T += 100 * DMM_MSEC;
	pbu(&m, "mn1@x", &p, DMM_HI_NO_CHANGE, 2);
	m.u.bu.lifetime = 0;
	CHECK_EQ(status_of(lma, &MAG1, &m), 0);
	e = dmm_bcache_find_prefix(dmm_lma_bcache(lma), &p);
	CHECK(e && e->state == DMM_BCE_DEREG_WAIT);
	T += 100 * DMM_MSEC;
	hi4_from_mag2(lma, 3);
	r = last_of(DMM_MH_BA, 0) ? &last_of(DMM_MH_BA, 0)->msg : NULL;
	CHECK(r && r->u.ba.status == 0 && dmm_prefix_eq(&dmm_mh_find_opt(r, DMM_OPT_HNP, NULL)->u.hnp, &p));
	e = dmm_bcache_find_prefix(dmm_lma_bcache(lma), &p);
	CHECK(e && e->state == DMM_BCE_ACTIVE && dmm_addr_eq(dmm_bce_pcoa(e), &MAG2));
	dmm_lma_free(lma);
}

/*
 * issue 9 §2.6: RFC 5213 §5.4.1.3 step 3, last sentence: configured not
 * to wait (MaxDelayBeforeNewBCEAssign 0), HI 4 creates a new session at
 * once; HI 1 (new interface) always does.
 */
static void t_hi_unknown_no_wait(void)
{
	struct dmm_lma_cfg cfg;
	struct dmm_lma *lma = setup_cfg(60, &cfg);
	struct dmm_prefix p;
	struct dmm_mh_msg m;
	const struct dmm_mh_msg *r;

	cfg.max_delay_before_new_bce_assign = 0;
	CHECK_EQ(dmm_lma_reconfigure(lma, &cfg, T), 0);
	p = reg(lma, &MAG1, "mn1@x");
	T += DMM_SECOND;
	hi4_from_mag2(lma, 2);
	r = last_of(DMM_MH_BA, 0) ? &last_of(DMM_MH_BA, 0)->msg : NULL;
	CHECK(r && r->u.ba.status == 0 && !dmm_prefix_eq(&dmm_mh_find_opt(r, DMM_OPT_HNP, NULL)->u.hnp, &p));
	CHECK_EQ(harness_count_type(&H, DMM_MH_BR, DMM_BR_BRI), 0);
	T += DMM_SECOND;
	pbu(&m, "mn1@x", NULL, DMM_HI_NEW_IF, 3);
	r = xact(lma, &MAG1, &m);
	CHECK(r && r->u.ba.status == 0 && !dmm_prefix_eq(&dmm_mh_find_opt(r, DMM_OPT_HNP, NULL)->u.hnp, &p));
	CHECK_EQ(dmm_bcache_count(dmm_lma_bcache(lma)), 3);
	dmm_lma_free(lma);
}

/* issue 9 §2.1: RFC 5213 §5.3.1 steps 5-6, §4: the sender is authorised, not the Alternate Care-of Address. */
static void t_acoa_not_authorised(void)
{
	struct dmm_lma *lma = setup(60);
	struct dmm_prefix p = reg(lma, &MAG1, "mn1@x");
	struct dmm_addr other = addr_of("2001:db8:f::7");
	const struct dmm_bcache_entry *e;
	const struct dmm_mh_msg *r;
	struct dmm_mh_msg m;

	/* An unauthorised sender naming an authorised MAG: 154, nothing created. */
	T += DMM_MSEC;
	pbu(&m, "mn2@x", NULL, DMM_HI_NEW_IF, 1);
	dmm_mh_add_opt(&m, DMM_OPT_ACOA)->u.acoa = MAG2;
	CHECK_EQ(status_of(lma, &MAG_BAD, &m), DMM_BA_MAG_NOT_AUTHORIZED);
	CHECK_EQ(dmm_bcache_count(dmm_lma_bcache(lma)), 1);
	/* Nor may it move another MN's binding. */
	T += DMM_MSEC;
	pbu(&m, "mn1@x", &p, DMM_HI_BETWEEN_MAGS, 2);
	dmm_mh_add_opt(&m, DMM_OPT_ACOA)->u.acoa = MAG2;
	CHECK_EQ(status_of(lma, &MAG_BAD, &m), DMM_BA_MAG_NOT_AUTHORIZED);
	e = dmm_bcache_find_prefix(dmm_lma_bcache(lma), &p);
	CHECK(e && dmm_addr_eq(dmm_bce_pcoa(e), &MAG1));
	CHECK_EQ(H.nlive, 2);
	/* An authorised sender may name another Proxy-CoA (§5.3.1 step 13); the PBA goes to the sender. */
	T += DMM_MSEC;
	pbu(&m, "mn3@x", NULL, DMM_HI_NEW_IF, 1);
	dmm_mh_add_opt(&m, DMM_OPT_ACOA)->u.acoa = other;
	r = xact(lma, &MAG1, &m);
	CHECK(r && r->u.ba.status == 0);
	e = r ? dmm_bcache_find_prefix(dmm_lma_bcache(lma), &dmm_mh_find_opt(r, DMM_OPT_HNP, NULL)->u.hnp)
	      : NULL;
	CHECK(e && dmm_addr_eq(dmm_bce_pcoa(e), &other));
	dmm_lma_free(lma);
}

/*
 * issue 9 §2.4: RFC 8885 §4.1: this LMA does not implement RFC 8885, so
 * a D-flagged PBU is not processed and gets an error: 129
 * (administratively prohibited), without the D flag, echoing the options.
 */
static void t_dmm_flag(void)
{
	struct dmm_lma *lma = setup(60);
	struct dmm_prefix p = reg(lma, &MAG1, "mn2@x");
	const struct dmm_bcache_entry *e = dmm_bcache_find_prefix(dmm_lma_bcache(lma), &p);
	dmm_time_t exp = e ? e->expires : 0;
	const struct dmm_mh_msg *r;
	struct dmm_mh_msg m;

	T += DMM_SECOND;
	pbu(&m, "mn1@x", NULL, DMM_HI_NEW_IF, 5);
	m.u.bu.flags |= DMM_BU_D;
	r = xact(lma, &MAG1, &m);
	CHECK(r && r->u.ba.status == DMM_BA_PROHIBITED && r->u.ba.seq == 5);
	CHECK(r && !(r->u.ba.flags & DMM_BA_D) && (r->u.ba.flags & DMM_BA_P));
	CHECK(r && echoes(r, &m));
	CHECK_EQ(dmm_bcache_count(dmm_lma_bcache(lma)), 1);
	/* A D-flagged refresh of an existing binding changes nothing. */
	T += DMM_SECOND;
	pbu(&m, "mn2@x", &p, DMM_HI_NO_CHANGE, 2);
	m.u.bu.flags |= DMM_BU_D;
	CHECK_EQ(status_of(lma, &MAG1, &m), DMM_BA_PROHIBITED);
	e = dmm_bcache_find_prefix(dmm_lma_bcache(lma), &p);
	CHECK(e && e->expires == exp);
	CHECK_EQ(H.nlive, 2);
	dmm_lma_free(lma);
}

/* A BRI (RFC 5846 §5.1): seq, flags, trigger, an MN-ID (NULL: none) and an HNP (NULL: none). */
static void bri_msg(struct dmm_mh_msg *m, uint16_t seq, uint16_t flags, uint8_t trigger, const char *mn,
		    const struct dmm_prefix *hnp)
{
	dmm_mh_init(m, DMM_MH_BR);
	m->u.br.br_type = DMM_BR_BRI;
	m->u.br.seq = seq;
	m->u.br.flags = flags;
	m->u.br.code = trigger;
	if (mn) {
		struct dmm_mh_opt *o = dmm_mh_add_opt(m, DMM_OPT_MNID);
		struct dmm_mnid id = nai(mn);

		o->u.mnid.subtype = id.subtype;
		o->u.mnid.id.len = id.len;
		memcpy(o->u.mnid.id.b, id.id, id.len);
	}
	if (hnp)
		dmm_mh_add_opt(m, DMM_OPT_HNP)->u.hnp = *hnp;
}

/* Deliver BRI m from `from`: the BRA's status, or -1 when none came back to `from` with m's seq. */
static int bra_status(struct dmm_lma *lma, const struct dmm_addr *from, const struct dmm_mh_msg *m)
{
	struct sent *s;

	harness_clear(&H);
	deliver(lma, from, m);
	s = last_of(DMM_MH_BR, DMM_BR_BRA);
	if (!s || !dmm_addr_eq(&s->dst, from) || !dmm_addr_eq(&s->src, &LMAA) ||
	    s->msg.u.br.seq != m->u.br.seq)
		return -1;
	/* RFC 5846 §6.1.2: P, V and G are echoed. */
	CHECK_EQ(s->msg.u.br.flags & (DMM_BR_P | DMM_BR_V | DMM_BR_G),
		 m->u.br.flags & (DMM_BR_P | DMM_BR_V | DMM_BR_G));
	return s->msg.u.br.code;
}

static int state_of(struct dmm_lma *lma, const struct dmm_prefix *p)
{
	const struct dmm_bcache_entry *e = dmm_bcache_find_prefix(dmm_lma_bcache(lma), p);

	return e ? (int)e->state : -1;
}

/* issue 9 §2.10: RFC 5846 §8.2, §6.2.1, §6.1.2: a MAG's per-MN BRI is answered with a BRA. */
static void t_bri_from_mag(void)
{
	struct dmm_lma *lma = setup(60);
	struct dmm_prefix p1 = reg(lma, &MAG1, "a@x"), p3 = reg(lma, &MAG2, "c@x");
	struct dmm_mh_msg m;

	/* MN-ID and HNP: that binding is revoked (de-registered, §5.3.5), status 0. */
	bri_msg(&m, 0x100, DMM_BR_P, 1, "a@x", &p1);
	CHECK_EQ(bra_status(lma, &MAG1, &m), 0);
	CHECK_EQ(state_of(lma, &p1), DMM_BCE_DEREG_WAIT);
	/* Another MAG's binding: 128 (Binding Does NOT Exist), nothing changes. */
	bri_msg(&m, 0x101, DMM_BR_P, 1, "c@x", &p3);
	CHECK_EQ(bra_status(lma, &MAG1, &m), 128);
	CHECK_EQ(state_of(lma, &p3), DMM_BCE_ACTIVE);
	/* A per-MN trigger with G: 134 (Revocation Function NOT Supported, §6.2.1). */
	bri_msg(&m, 0x102, DMM_BR_P | DMM_BR_G, 1, "mag1@x", NULL);
	CHECK_EQ(bra_status(lma, &MAG2, &m), 134);
	/* A global trigger without G: 134 as well; an unknown trigger: 133. */
	bri_msg(&m, 0x103, DMM_BR_P, 128, "c@x", NULL);
	CHECK_EQ(bra_status(lma, &MAG2, &m), 134);
	bri_msg(&m, 0x104, DMM_BR_P, 99, "c@x", NULL);
	CHECK_EQ(bra_status(lma, &MAG2, &m), 133);
	bri_msg(&m, 0x105, DMM_BR_P | DMM_BR_G, 200, "mag2@x", NULL);
	CHECK_EQ(bra_status(lma, &MAG2, &m), 133);
	/* V (IPv4 HoA only) is echoed; there is no IPv4 binding: 128. */
	bri_msg(&m, 0x106, DMM_BR_P | DMM_BR_V, 5, "c@x", NULL);
	CHECK_EQ(bra_status(lma, &MAG2, &m), 128);
	/* MN-ID alone: every binding of the MN at this MAG. */
	bri_msg(&m, 0x107, DMM_BR_P, 5, "c@x", NULL);
	CHECK_EQ(bra_status(lma, &MAG2, &m), 0);
	CHECK_EQ(state_of(lma, &p3), DMM_BCE_DEREG_WAIT);
	CHECK_EQ(dmm_role_stats(lma)->bri_sent, 0);
	dmm_lma_free(lma);
}

/* issue 9 §2.10: RFC 5846 §8.2 (Per-Peer Policy), §8.1 (realm): global revocation by a MAG. */
static void t_bri_global(void)
{
	struct dmm_lma *lma = setup(60);
	struct dmm_prefix pa = reg(lma, &MAG1, "a@example.com"), pb = reg(lma, &MAG1, "b@foo.example.com");
	struct dmm_prefix pc = reg(lma, &MAG2, "c@example.com"), pd = reg(lma, &MAG1, "d@x");
	struct dmm_mh_msg m;

	/* Per-Peer Policy without the MAG's identity: 130 (Global Revocation NOT Authorized). */
	bri_msg(&m, 1, DMM_BR_P | DMM_BR_G, 128, NULL, NULL);
	CHECK_EQ(bra_status(lma, &MAG1, &m), 130);
	/* From a MAG that is not authorised: 130 as well. */
	bri_msg(&m, 2, DMM_BR_P | DMM_BR_G, 128, "bad@x", NULL);
	CHECK_EQ(bra_status(lma, &MAG_BAD, &m), 130);
	/* Realm: "@example.com" at MAG1 is a@example.com only (not foo.example.com, not MAG2's). */
	bri_msg(&m, 3, DMM_BR_P | DMM_BR_G, 129, "@example.com", NULL);
	CHECK_EQ(bra_status(lma, &MAG1, &m), 0);
	CHECK_EQ(state_of(lma, &pa), DMM_BCE_DEREG_WAIT);
	CHECK_EQ(state_of(lma, &pb), DMM_BCE_ACTIVE);
	CHECK_EQ(state_of(lma, &pc), DMM_BCE_ACTIVE);
	/* Per-Peer Policy with the MAG's identity: every binding of MAG1. */
	bri_msg(&m, 4, DMM_BR_P | DMM_BR_G, 128, "mag1@x", NULL);
	CHECK_EQ(bra_status(lma, &MAG1, &m), 0);
	CHECK_EQ(state_of(lma, &pb), DMM_BCE_DEREG_WAIT);
	CHECK_EQ(state_of(lma, &pd), DMM_BCE_DEREG_WAIT);
	CHECK_EQ(state_of(lma, &pc), DMM_BCE_ACTIVE);
	dmm_lma_free(lma);
}

/* issue 9 §2.10: RFC 5846 §6.3, §11: BRIMaxRetriesNumber defaults to 1: one retransmission, then given up. */
static void t_bri_retries(void)
{
	struct dmm_lma *lma = setup(60);
	struct dmm_prefix p = reg(lma, &MAG1, "mn1@x");
	struct dmm_mh_msg m;

	T += DMM_SECOND;
	pbu(&m, "mn1@x", &p, DMM_HI_BETWEEN_MAGS, 3);
	harness_clear(&H);
	deliver(lma, &MAG2, &m);
	CHECK_EQ(harness_count_type(&H, DMM_MH_BR, DMM_BR_BRI), 1);
	harness_clear(&H);
	for (int i = 0; i < 10; i++) {
		T += DMM_SECOND;
		dmm_role_expire(lma, T);
	}
	CHECK_EQ(harness_count_type(&H, DMM_MH_BR, DMM_BR_BRI), 1);
	CHECK_EQ(dmm_role_stats(lma)->bri_sent, 2);
	CHECK(harness_logged(&H, "no BRA after 2 transmissions"));
	dmm_lma_free(lma);
}

/*
 * RFC 5846 §6.3, §11: with BRIMaxRetriesNumber 3, the BRI goes again
 * InitMINDelayBRIs (1 s) after the first transmission, then at twice
 * the interval up to MAX_BRACK_TIMEOUT (2 s): 1, 3 and 5 s after the
 * first; given up 2 s after the last.
 */
static void t_bri_intervals(void)
{
	struct dmm_lma_cfg cfg;
	struct dmm_lma *lma = setup_cfg(60, &cfg);
	struct dmm_prefix p = reg(lma, &MAG1, "mn1@x");
	struct dmm_mh_msg m;
	dmm_time_t t0, at[4] = {0};
	unsigned n = 0;

	cfg.bri_max_retries = 3;
	CHECK_EQ(dmm_lma_reconfigure(lma, &cfg, T), 0);
	T += DMM_SECOND;
	pbu(&m, "mn1@x", &p, DMM_HI_BETWEEN_MAGS, 3);
	harness_clear(&H);
	deliver(lma, &MAG2, &m);
	CHECK_EQ(harness_count_type(&H, DMM_MH_BR, DMM_BR_BRI), 1);
	t0 = T;
	for (int i = 0; i < 100 && n < 4; i++) {
		T += 100 * DMM_MSEC;
		harness_clear(&H);
		dmm_role_expire(lma, T);
		if (harness_count_type(&H, DMM_MH_BR, DMM_BR_BRI))
			at[n++] = T - t0;
		if (harness_logged(&H, "no BRA after 4 transmissions"))
			at[n++] = T - t0;
	}
	CHECK_EQ(n, 4);
	CHECK_EQ(at[0], 1 * DMM_SECOND);
	CHECK_EQ(at[1], 3 * DMM_SECOND);
	CHECK_EQ(at[2], 5 * DMM_SECOND);
	CHECK_EQ(at[3], 7 * DMM_SECOND);
	CHECK_EQ(dmm_role_stats(lma)->bri_sent, 4);
	dmm_lma_free(lma);
}

/*
 * RFC 5846 §8.1 with more handoffs at one moment than the pool of pending
 * BRIs holds (an eighth of the bindings plus 64, lma.c): every previous
 * MAG still gets its BRI, the ones beyond the pool untracked (no
 * retransmission), so of the BRAs that come back exactly those find no
 * BRI; the others end their BRI.
 */
static void t_bri_pool(void)
{
	enum { N = 100, TRACKED = N / 8 + 64 }; /* 100 bindings: 12 + 64 = 76 BRIs tracked */
	struct dmm_lma *lma;
	struct dmm_prefix p[N];
	struct dmm_mh_msg m;
	uint16_t seq[N];
	char mn[16];
	uint64_t unexpected;

	MAX_BINDINGS = N;
	lma = setup(56);
	MAX_BINDINGS = 64;
	for (int i = 0; i < N; i++) {
		snprintf(mn, sizeof(mn), "b%d@x", i);
		p[i] = reg(lma, &MAG1, mn);
	}
	T += DMM_MSEC;
	for (int i = 0; i < N; i++) {
		snprintf(mn, sizeof(mn), "b%d@x", i);
		pbu(&m, mn, &p[i], DMM_HI_BETWEEN_MAGS, 2);
		harness_clear(&H);
		deliver(lma, &MAG2, &m);
		CHECK_EQ(harness_count_type(&H, DMM_MH_BR, DMM_BR_BRI), 1);
		seq[i] = last_of(DMM_MH_BR, DMM_BR_BRI) ? last_of(DMM_MH_BR, DMM_BR_BRI)->msg.u.br.seq : 0;
		CHECK_EQ(harness_logged(&H, "(untracked: no room)"), i >= TRACKED);
	}
	CHECK_EQ(dmm_role_stats(lma)->bri_sent, N);
	unexpected = dmm_role_stats(lma)->rx_unexpected;
	for (int i = 0; i < N; i++)
		send_bra(lma, &MAG1, seq[i], 0);
	CHECK_EQ(dmm_role_stats(lma)->rx_unexpected - unexpected, N - TRACKED);
	/* No BRI is left to retransmit. */
	harness_clear(&H);
	T += 10 * DMM_SECOND;
	dmm_role_expire(lma, T);
	CHECK_EQ(harness_count_type(&H, DMM_MH_BR, DMM_BR_BRI), 0);
	dmm_lma_free(lma);
}

/*
 * issue 9 §2.14: RFC 7389 §5 (Domain-wide-LMA-UPA-Support 0): the PBA
 * carries the LMA-UPA, and the tunnel uses it, only when the PBU carried
 * the option (zero-length or ALL_ZERO).
 */
static void t_upa_when_asked(void)
{
	struct dmm_lma_cfg cfg;
	struct dmm_lma *lma = setup_cfg(60, &cfg);
	const struct dmm_mh_msg *r;
	struct dmm_mh_msg m;
	struct dmm_prefix p;
	struct dmm_mh_opt *o;

	cfg.upa = addr_of("2001:db8:a::2");
	CHECK_EQ(dmm_lma_reconfigure(lma, &cfg, T), 0);
	p = reg(lma, &MAG1, "mn1@x");
	r = &harness_last(&H)->msg;
	CHECK(dmm_mh_find_opt(r, DMM_OPT_LMA_UPA, NULL) == NULL);
	CHECK(dmm_addr_eq(&harness_find_intent(&H, DMM_FM_DST, DMM_FM_ENCAP, &p)->local, &LMAA));
	for (unsigned len = 0; len <= 16; len += 16) {
		T += DMM_MSEC;
		pbu(&m, len ? "mn2@x" : "mn3@x", NULL, DMM_HI_NEW_IF, 1);
		o = dmm_mh_add_opt(&m, DMM_OPT_LMA_UPA);
		o->u.lma_upa.len = (uint8_t)len; /* zero-length or ALL_ZERO (RFC 7389 §4) */
		r = xact(lma, &MAG1, &m);
		CHECK(r && r->u.ba.status == 0);
		o = r ? (struct dmm_mh_opt *)dmm_mh_find_opt(r, DMM_OPT_LMA_UPA, NULL) : NULL;
		CHECK(o && o->u.lma_upa.len == 16 && memcmp(o->u.lma_upa.b, cfg.upa.b, 16) == 0);
		if (r) {
			p = dmm_mh_find_opt(r, DMM_OPT_HNP, NULL)->u.hnp;
			CHECK(dmm_addr_eq(&harness_find_intent(&H, DMM_FM_DST, DMM_FM_ENCAP, &p)->local,
					  &cfg.upa));
		}
	}
	dmm_lma_free(lma);
}

/*
 * issue 9 §2.17: RFC 5213 §5.3.2: a new session gets every prefix it is
 * given or is refused (130); a binding cache without room for them is
 * found before anything changes.
 */
static void t_prefix_room(void)
{
	struct dmm_lma *lma;
	struct dmm_policy_profile prof;
	const struct dmm_mh_msg *r;
	struct dmm_mh_msg m;

	MAX_BINDINGS = 3; /* room for 6 prefixes */
	lma = setup(58);
	MAX_BINDINGS = 64;
	memset(&prof, 0, sizeof(prof));
	prof.may_register = true;
	prof.n_alloc = 4;
	prof.mnid = nai("m1@x");
	dmm_policy_set(POL, &prof);
	prof.mnid = nai("m2@x");
	dmm_policy_set(POL, &prof);
	T += DMM_MSEC;
	pbu(&m, "m1@x", NULL, DMM_HI_NEW_IF, 1);
	r = xact(lma, &MAG1, &m);
	CHECK(r && r->u.ba.status == 0 && dmm_mh_count_opt(r, DMM_OPT_HNP) == 4);
	if (!r)
		return;
	/* m1 de-registers: its 4 prefixes stay (§5.3.5) with one DROP intent each, so intents have room. */
	T += DMM_MSEC;
	pbu(&m, "m1@x", &dmm_mh_find_opt(r, DMM_OPT_HNP, NULL)->u.hnp, DMM_HI_NO_CHANGE, 2);
	m.u.bu.lifetime = 0;
	for (const struct dmm_mh_opt *o =
		     dmm_mh_find_opt(r, DMM_OPT_HNP, dmm_mh_find_opt(r, DMM_OPT_HNP, NULL));
	     o; o = dmm_mh_find_opt(r, DMM_OPT_HNP, o))
		dmm_mh_add_opt(&m, DMM_OPT_HNP)->u.hnp = o->u.hnp;
	CHECK_EQ(status_of(lma, &MAG1, &m), 0);
	CHECK_EQ(H.nlive, 4);
	/* m2 wants 4 more prefixes; the binding cache holds 6: refused, nothing half-done. */
	T += DMM_MSEC;
	pbu(&m, "m2@x", NULL, DMM_HI_NEW_IF, 1);
	r = xact(lma, &MAG1, &m);
	CHECK(r && r->u.ba.status == DMM_BA_INSUFFICIENT_RESOURCES && echoes(r, &m));
	CHECK_EQ(dmm_bcache_count(dmm_lma_bcache(lma)), 1);
	CHECK_EQ(dmm_pool_used(dmm_lma_pool(lma)), 4);
	CHECK_EQ(H.nlive, 4);
	dmm_lma_free(lma);
}

/*
 * issue 9 §2.17: the data plane refused the forwarding state of an
 * accepted PBU (RFC 5213 §5.3.2 steps 5-6, §5.3.4): the PBA says 130,
 * not 0, and the binding is not kept.
 */
static void t_dataplane_refused(void)
{
	struct dmm_lma *lma = setup(60);
	struct dmm_prefix p;
	const struct dmm_mh_msg *r;
	struct dmm_mh_msg m;

	H.install_err = DMM_ERR_INVAL;
	T += DMM_MSEC;
	pbu(&m, "mn1@x", NULL, DMM_HI_NEW_IF, 1);
	r = xact(lma, &MAG1, &m);
	CHECK(r && r->u.ba.status == DMM_BA_INSUFFICIENT_RESOURCES && echoes(r, &m));
	CHECK_EQ(dmm_bcache_count(dmm_lma_bcache(lma)), 0);
	CHECK_EQ(dmm_pool_used(dmm_lma_pool(lma)), 0);
	H.install_err = 0;
	p = reg(lma, &MAG1, "mn2@x");
	H.install_err = DMM_ERR_INVAL;
	T += DMM_SECOND;
	pbu(&m, "mn2@x", &p, DMM_HI_BETWEEN_MAGS, 2);
	r = xact(lma, &MAG2, &m);
	CHECK(r && r->u.ba.status == DMM_BA_INSUFFICIENT_RESOURCES && echoes(r, &m));
	CHECK(dmm_bcache_find_prefix(dmm_lma_bcache(lma), &p) == NULL);
	CHECK_EQ(H.nlive, 0);
	dmm_lma_free(lma);
}

/*
 * issue 9 §1: RFC 5213 §5.3.6, §8.2: every refusal echoes the request's
 * MN-ID, HNPs, HI, ATT, Timestamp and MN-LLID.
 */
static void t_refusal_echo(void)
{
	struct dmm_lma *lma = setup(64); /* one /64 */
	struct dmm_prefix foreign = prefix_of("2001:db8:77::/64");
	static const struct {
		const char *mn;
		bool foreign, dflag, bad_mag;
		int status;
	} cases[] = {
		{"mn9@x", false, true, false, DMM_BA_PROHIBITED},
		{"mn8@x", false, false, false, DMM_BA_INSUFFICIENT_RESOURCES},
		{"deny@x", false, false, false, DMM_BA_PROXY_REG_NOT_ENABLED},
		{"other@x", false, false, false, DMM_BA_NOT_LMA_FOR_THIS_MN},
		{"mn8@x", false, false, true, DMM_BA_MAG_NOT_AUTHORIZED},
		{"mn8@x", true, false, false, DMM_BA_NOT_AUTHORIZED_FOR_HNP},
	};
	const struct dmm_mh_msg *r;
	struct dmm_mh_msg m;

	reg(lma, &MAG1, "mn1@x"); /* the pool is now empty */
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		T += DMM_MSEC;
		pbu(&m, cases[i].mn, cases[i].foreign ? &foreign : NULL, DMM_HI_NEW_IF, (uint16_t)(10 + i));
		dmm_mh_add_opt(&m, DMM_OPT_MNLLID)->u.mnllid = (struct dmm_mh_bytes){6, {2, 0, 0, 0, 0, 9}};
		if (cases[i].dflag)
			m.u.bu.flags |= DMM_BU_D;
		r = xact(lma, cases[i].bad_mag ? &MAG_BAD : &MAG1, &m);
		CHECK(r && r->u.ba.status == cases[i].status && r->u.ba.seq == 10 + i &&
		      r->u.ba.lifetime == 0);
		CHECK(r && echoes(r, &m));
	}
	dmm_lma_free(lma);
}

/* Offset of the first option of type in the encoded MH buf (n bytes) of a BU, or 0. */
static size_t opt_offset(const uint8_t *buf, size_t n, uint8_t type)
{
	size_t off = 12; /* the BU's fixed part ends here (RFC 6275 §6.1.7) */

	while (off + 1 < n) {
		if (buf[off] == DMM_OPT_PAD1) {
			off++;
			continue;
		}
		if (buf[off] == type)
			return off;
		off += 2u + buf[off + 1];
	}
	return 0;
}

/*
 * issue 9 §1: RFC 5213 §5.3.6: a PBU that did not decode gets 128 with
 * every option that decoded before the bad one (here the Timestamp, last:
 * MN-ID, HNP, HI and ATT come back).
 */
static void t_malformed_echo(void)
{
	struct dmm_lma *lma = setup(60);
	struct dmm_prefix p = reg(lma, &MAG1, "mn1@x");
	uint8_t buf[DMM_MH_MAX_LEN];
	const struct dmm_mh_opt *o;
	struct dmm_mh_msg m;
	struct sent *s;
	size_t off;
	int n;

	T += DMM_SECOND;
	pbu(&m, "mn1@x", &p, DMM_HI_NO_CHANGE, 0x77);
	n = dmm_mh_encode(buf, sizeof(buf), &m);
	CHECK(n > 0);
	off = opt_offset(buf, (size_t)n, DMM_OPT_TIMESTAMP);
	CHECK(off > 0);
	if (off)
		buf[off + 1] = 7; /* the Timestamp is 8 octets (§8.8) */
	harness_clear(&H);
	dmm_lma_recv(lma, &MAG1, &LMAA, buf, (size_t)n, T);
	s = harness_last(&H);
	CHECK(s && s->msg.type == DMM_MH_BA && s->msg.u.ba.status == DMM_BA_UNSPECIFIED &&
	      s->msg.u.ba.seq == 0x77);
	del_opt(&m, DMM_OPT_TIMESTAMP);
	CHECK(s && echoes(&s->msg, &m));
	CHECK(s && !dmm_mh_find_opt(&s->msg, DMM_OPT_TIMESTAMP, NULL));
	/* The HI broken instead: MN-ID and HNP decoded before it and come back. */
	pbu(&m, "mn1@x", &p, DMM_HI_NO_CHANGE, 0x78);
	n = dmm_mh_encode(buf, sizeof(buf), &m);
	off = opt_offset(buf, (size_t)n, DMM_OPT_HI);
	CHECK(off > 0);
	if (off)
		buf[off + 1] = 1;
	harness_clear(&H);
	dmm_lma_recv(lma, &MAG1, &LMAA, buf, (size_t)n, T);
	s = harness_last(&H);
	CHECK(s && s->msg.type == DMM_MH_BA && s->msg.u.ba.status == DMM_BA_UNSPECIFIED);
	o = s ? dmm_mh_find_opt(&s->msg, DMM_OPT_MNID, NULL) : NULL;
	CHECK(o && opt_eq(o, &m.opts[0]));
	CHECK(s && dmm_mh_count_opt(&s->msg, DMM_OPT_HNP) == 1 &&
	      dmm_prefix_eq(&dmm_mh_find_opt(&s->msg, DMM_OPT_HNP, NULL)->u.hnp, &p));
	CHECK(dmm_bcache_find_prefix(dmm_lma_bcache(lma), &p)->expires < T + 400 * DMM_SECOND);
	dmm_lma_free(lma);
}

/*
 * RFC 6705 §5: the per-MAG lists of localized routing take room only in
 * an LMA made to initiate it, 20 octets a binding; one made without
 * refuses a reconfiguration that turns it on, one made with it takes
 * turning it off and on again.
 */
static void lr_lists_fixed(struct dmm_lma *lma, struct dmm_lma_cfg *cfg)
{
	struct dmm_lma_memory without, with;
	struct dmm_lma *lr;

	dmm_lma_memory(lma, &without);
	cfg->lr.initiate = true;
	CHECK_EQ(dmm_lma_reconfigure(lma, cfg, T), DMM_ERR_INVAL);
	lr = dmm_lma_new(&H.env, cfg, T);
	CHECK(lr != NULL);
	if (lr) {
		dmm_lma_memory(lr, &with);
		CHECK(with.lma >= without.lma + 20 * (size_t)cfg->max_bindings);
		cfg->lr.initiate = false;
		CHECK_EQ(dmm_lma_reconfigure(lr, cfg, T), 0);
		cfg->lr.initiate = true;
		CHECK_EQ(dmm_lma_reconfigure(lr, cfg, T), 0);
		dmm_lma_free(lr);
	}
	cfg->lr.initiate = false;
}

static void t_ops_and_config(void)
{
	struct dmm_lma_cfg cfg;
	struct dmm_lma *lma = setup_cfg(60, &cfg);
	void *inst;

	CHECK(strcmp(dmm_lma_ops.name, "lma") == 0);
	cfg.npool = 2;
	CHECK_EQ(dmm_lma_reconfigure(lma, &cfg, T), DMM_ERR_INVAL);
	cfg.npool = 1;
	lr_lists_fixed(lma, &cfg);
	dmm_lma_free(lma);
	inst = dmm_lma_ops.create(&H.env, &cfg, T);
	CHECK(inst != NULL);
	CHECK_EQ(dmm_lma_ops.next_deadline(inst), DMM_TIME_NEVER);
	dmm_lma_ops.destroy(inst);
	cfg.policy = NULL;
	CHECK(dmm_lma_new(&H.env, &cfg, T) == NULL);
	dmm_lma_free(NULL);
}

/*
 * A refresh touches no data plane (RFC 5213 §5.3.3: only the lifetime
 * changes): N lifetime extensions from the same MAG, with the same
 * prefix, call neither install nor remove. A handoff (§5.3.4) still
 * moves the forwarding: the downlink is replaced in place (removed just
 * before its successor is installed, nothing between), and the uplink
 * from the new MAG is accepted before the old one is dropped.
 */
static void t_refresh_no_dataplane(void)
{
	struct dmm_lma *lma = setup(60);
	struct dmm_mh_msg m;
	struct dmm_prefix p = reg(lma, &MAG1, "mn1@x");
	unsigned ins = H.installs, rem = H.removes;
	const struct dmm_intent *dl;
	int a, b;

	CHECK_EQ(ins, 2);
	harness_calls_reset(&H);
	for (uint16_t k = 0; k < 20; k++) {
		T += 10 * DMM_SECOND;
		pbu(&m, "mn1@x", k & 1 ? &p : NULL, k & 2 ? DMM_HI_BETWEEN_IFS : DMM_HI_NO_CHANGE,
		    (uint16_t)(2 + k));
		CHECK_EQ(status_of(lma, &MAG1, &m), 0);
	}
	CHECK_EQ(dmm_role_stats(lma)->lifetime_ext_no_handoff, 20);
	CHECK_EQ(H.installs, ins);
	CHECK_EQ(H.removes, rem);
	CHECK_EQ(H.ncalls, 0);
	/* Handoff to MAG2: the forwarding changes. */
	T += DMM_SECOND;
	pbu(&m, "mn1@x", &p, DMM_HI_BETWEEN_MAGS, 30);
	CHECK_EQ(status_of(lma, &MAG2, &m), 0);
	dl = harness_find_intent(&H, DMM_FM_DST, DMM_FM_ENCAP, &p);
	CHECK(dl && dmm_addr_eq(&dl->peer, &MAG2));
	dl = harness_find_intent(&H, DMM_FM_SRC, DMM_FM_DECAP, &p);
	CHECK(dl && dmm_addr_eq(&dl->peer, &MAG2));
	CHECK_EQ(H.nlive, 2);
	CHECK_EQ(H.installs, ins + 2);
	CHECK_EQ(H.removes, rem + 2);
	a = harness_call_index(&H, 'r', DMM_FM_DST, DMM_FM_ENCAP, &p, &MAG1);
	b = harness_call_index(&H, 'i', DMM_FM_DST, DMM_FM_ENCAP, &p, &MAG2);
	CHECK(a >= 0 && b == a + 1); /* replaced in place */
	a = harness_call_index(&H, 'i', DMM_FM_SRC, DMM_FM_DECAP, &p, &MAG2);
	b = harness_call_index(&H, 'r', DMM_FM_SRC, DMM_FM_DECAP, &p, &MAG1);
	CHECK(a >= 0 && b > a); /* the new uplink before the old one goes */
	/* Refreshes at the new MAG: nothing again. */
	ins = H.installs, rem = H.removes;
	for (uint16_t k = 0; k < 5; k++) {
		T += 10 * DMM_SECOND;
		pbu(&m, "mn1@x", &p, DMM_HI_NO_CHANGE, (uint16_t)(31 + k));
		CHECK_EQ(status_of(lma, &MAG2, &m), 0);
	}
	CHECK_EQ(H.installs, ins);
	CHECK_EQ(H.removes, rem);
	/* De-registration: DROP replaces the tunnel; a re-registration brings it back. */
	T += DMM_SECOND;
	pbu(&m, "mn1@x", &p, DMM_HI_NO_CHANGE, 40);
	m.u.bu.lifetime = 0;
	CHECK_EQ(status_of(lma, &MAG2, &m), 0);
	CHECK(harness_find_intent(&H, DMM_FM_DST, DMM_FM_DROP, &p) != NULL);
	CHECK_EQ(H.nlive, 1);
	T += DMM_SECOND;
	pbu(&m, "mn1@x", &p, DMM_HI_NO_CHANGE, 41);
	CHECK_EQ(status_of(lma, &MAG2, &m), 0);
	CHECK(harness_find_intent(&H, DMM_FM_DST, DMM_FM_ENCAP, &p) != NULL);
	CHECK(harness_find_intent(&H, DMM_FM_SRC, DMM_FM_DECAP, &p) != NULL);
	CHECK_EQ(H.nlive, 2);
	dmm_lma_free(lma);
}

/*
 * RFC 7389 §5: a refresh that stops (or starts) asking for the LMA-UPA
 * changes the tunnel's end at the LMA: that refresh changes forwarding.
 */
static void t_refresh_upa_change(void)
{
	struct dmm_lma_cfg cfg;
	struct dmm_lma *lma = setup_cfg(60, &cfg);
	struct dmm_mh_msg m;
	struct dmm_prefix p;
	const struct dmm_mh_msg *r;
	const struct dmm_intent *dl;
	unsigned ins;

	cfg.upa = addr_of("2001:db8:a::2");
	CHECK_EQ(dmm_lma_reconfigure(lma, &cfg, T), 0);
	T += DMM_MSEC;
	pbu(&m, "mn1@x", NULL, DMM_HI_NEW_IF, 1);
	dmm_mh_add_opt(&m, DMM_OPT_LMA_UPA);
	r = xact(lma, &MAG1, &m);
	CHECK(r && r->u.ba.status == 0);
	if (!r)
		return;
	p = dmm_mh_find_opt(r, DMM_OPT_HNP, NULL)->u.hnp;
	dl = harness_find_intent(&H, DMM_FM_DST, DMM_FM_ENCAP, &p);
	CHECK(dl && dmm_addr_eq(&dl->local, &cfg.upa));
	/* The same request again: nothing. */
	ins = H.installs;
	T += DMM_SECOND;
	pbu(&m, "mn1@x", &p, DMM_HI_NO_CHANGE, 2);
	dmm_mh_add_opt(&m, DMM_OPT_LMA_UPA);
	CHECK_EQ(status_of(lma, &MAG1, &m), 0);
	CHECK_EQ(H.installs, ins);
	/* Without the option: the tunnel ends at the LMA's address again. */
	T += DMM_SECOND;
	pbu(&m, "mn1@x", &p, DMM_HI_NO_CHANGE, 3);
	CHECK_EQ(status_of(lma, &MAG1, &m), 0);
	dl = harness_find_intent(&H, DMM_FM_DST, DMM_FM_ENCAP, &p);
	CHECK(dl && dmm_addr_eq(&dl->local, &LMAA));
	dl = harness_find_intent(&H, DMM_FM_SRC, DMM_FM_DECAP, &p);
	CHECK(dl && dmm_addr_eq(&dl->local, &LMAA));
	CHECK_EQ(H.nlive, 2);
	dmm_lma_free(lma);
}

/*
 * role.h refused: a batched data plane refused an intent of a binding
 * after install had returned 0: the binding goes with its intents and
 * prefix, counted; a stale owner is NOTFOUND.
 */
static void t_ops_refused(void)
{
	struct dmm_lma *lma = setup(60);
	struct dmm_prefix p = reg(lma, &MAG1, "mn1@x"), q = reg(lma, &MAG1, "mn2@x");
	const struct dmm_bcache_entry *e = dmm_bcache_find_prefix(dmm_lma_bcache(lma), &p);
	struct dmm_handle h = e ? e->handle : (struct dmm_handle){0, 0};

	CHECK(e != NULL && dmm_lma_ops.refused != NULL);
	CHECK_EQ(H.nlive, 4);
	CHECK_EQ(dmm_lma_ops.refused(lma, h, T), 0);
	CHECK(dmm_bcache_find_prefix(dmm_lma_bcache(lma), &p) == NULL);
	CHECK(!dmm_pool_is_used(dmm_lma_pool(lma), &p) && dmm_pool_is_used(dmm_lma_pool(lma), &q));
	CHECK_EQ(H.nlive, 2);
	CHECK_EQ(dmm_fm_count(dmm_role_fm(lma)), 2);
	CHECK_EQ(dmm_role_stats(lma)->dp_refused, 1);
	CHECK_EQ(dmm_lma_ops.refused(lma, h, T), DMM_ERR_NOTFOUND);
	CHECK_EQ(dmm_role_stats(lma)->dp_refused, 1);
	CHECK(dmm_lma_ops.next_deadline(lma) != DMM_TIME_NEVER); /* mn2's timers stay */
	dmm_lma_free(lma);
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
	t_hi_unknown_bra_success();
	t_hi_unknown_timeout();
	t_hi_unknown_attached();
	t_hi_unknown_dereg();
	t_hi_unknown_no_wait();
	t_acoa_not_authorised();
	t_dmm_flag();
	t_bri_from_mag();
	t_bri_global();
	t_bri_retries();
	t_bri_intervals();
	t_bri_pool();
	t_upa_when_asked();
	t_prefix_room();
	t_dataplane_refused();
	t_ops_refused();
	t_refusal_echo();
	t_malformed_echo();
	t_ops_and_config();
	t_refresh_no_dataplane();
	t_refresh_upa_change();
	dmm_policy_free(POL);
	return check_report("test_lma");
}
