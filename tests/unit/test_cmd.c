/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The CMD of RFC 8885 (docs/dmm-protocol.md): initial registration,
 * handover in proxy and relay mode (partial and follow-up PBAs), an
 * unreachable previous MAAR, the return of an MN, a three-MAAR chain,
 * de-registration, release of an idle prefix, expiry, anchor selection
 * by load (GAP1-3), every refusal status and malformed input. PBUs are
 * built with the codec; the CMD's messages are decoded by the harness.
 */
#include "check.h"
#include "dmm/cmd.h"
#include "dmm/err.h"
#include "dmm/fmt.h"
#include "helpers.h"
#include "role_harness.h"

static struct harness H;
static struct dmm_policy *POL;
static struct dmm_cmd *C;
static struct dmm_addr CMDA, M1, M2, M3, M4, M5, MBAD;
static struct dmm_prefix P1, P2, P3, P4, PX, ZERO;
static const int64_t WALL = 1700000000LL * 1000000000LL;
static dmm_time_t T;
static uint16_t SEQ = 100;
static uint32_t MAX_PENDING; /* cfg.max_pending_updates of the next setup_mode(); 0: the default */

static void setup_mode(enum dmm_cmd_mode mode)
{
	struct dmm_policy_profile prof;
	struct dmm_cmd_cfg cfg;

	dmm_cmd_free(C);
	harness_init(&H);
	H.env.wall_offset = WALL;
	dmm_policy_free(POL);
	POL = dmm_policy_new(&H.alloc, 16, 16, 7);
	dmm_policy_add_mag(POL, &M1);
	dmm_policy_add_mag(POL, &M2);
	dmm_policy_add_mag(POL, &M3);
	dmm_policy_add_mag(POL, &M4);
	dmm_policy_add_mag(POL, &M5);
	memset(&prof, 0, sizeof(prof));
	prof.mnid.subtype = DMM_MNID_NAI;
	prof.may_register = true;
	dmm_policy_set_default(POL, &prof);
	memset(&prof, 0, sizeof(prof));
	prof.mnid = nai("deny@x");
	dmm_policy_set(POL, &prof);
	prof.mnid = nai("other@x");
	prof.may_register = true;
	prof.n_lma = 1;
	prof.lma[0] = addr_of("2001:db8:a::99");
	dmm_policy_set(POL, &prof);
	dmm_cmd_cfg_defaults(&cfg);
	cfg.addr = CMDA;
	cfg.policy = POL;
	cfg.mode = mode;
	cfg.max_mns = 32;
	cfg.max_maars = 8;
	cfg.max_pending_updates = MAX_PENDING;
	cfg.heartbeat_interval = 0;
	T = 1000 * DMM_SECOND;
	C = dmm_cmd_new(&H.env, &cfg, T);
}

/* Load Information for a PBU/PBA: sessions < 0 means none. */
static void add_load(struct dmm_mh_msg *m, int sessions, uint32_t max, uint16_t prio)
{
	struct dmm_mh_opt *o;

	if (sessions < 0)
		return;
	o = dmm_mh_add_opt(m, DMM_OPT_LOAD);
	o->u.load.priority = prio;
	o->u.load.sessions_in_use = (uint32_t)sessions;
	o->u.load.max_sessions = max;
}

static void deliver(const struct dmm_addr *from, const struct dmm_mh_msg *m)
{
	uint8_t buf[DMM_MH_MAX_LEN];
	int n = dmm_mh_encode(buf, sizeof(buf), m);

	CHECK(n > 0);
	dmm_cmd_recv(C, from, &CMDA, buf, (size_t)n, T);
}

/* Options of the PBU a MAAR sends. */
struct popt {
	bool no_d, no_mnid, no_hnp, no_ts, no_hi, no_att;
	uint8_t hi;	  /* 0: DMM_HI_NEW_IF */
	uint8_t llid_len; /* > 0: an MN-LLID of that many octets 0x5a */
	int64_t ts_delta;
	int sessions; /* -1: no Load Information */
	uint32_t max;
};

/* A PBU from maar for mn with HNP hnp (NULL: ::/0), lifetime in wire units; returns its seq. */
static uint16_t pbu_x(const struct dmm_addr *maar, const char *mn, const struct dmm_prefix *hnp,
		      uint16_t lifetime, const struct popt *po)
{
	struct dmm_mh_msg m;
	struct dmm_mh_opt *o;
	struct dmm_mnid id = nai(mn);
	uint64_t w;

	T += DMM_MSEC; /* every PBU carries a newer Timestamp */
	w = (uint64_t)((int64_t)T + WALL + po->ts_delta);
	dmm_mh_init(&m, DMM_MH_BU);
	m.u.bu.seq = ++SEQ;
	m.u.bu.flags = DMM_BU_A | DMM_BU_P | (po->no_d ? 0 : DMM_BU_D);
	m.u.bu.lifetime = lifetime;
	if (!po->no_mnid) {
		o = dmm_mh_add_opt(&m, DMM_OPT_MNID);
		o->u.mnid.subtype = id.subtype;
		o->u.mnid.id.len = id.len;
		memcpy(o->u.mnid.id.b, id.id, id.len);
	}
	if (!po->no_hnp)
		dmm_mh_add_opt(&m, DMM_OPT_HNP)->u.hnp = hnp ? *hnp : ZERO;
	if (!po->no_hi)
		dmm_mh_add_opt(&m, DMM_OPT_HI)->u.hi.value = po->hi ? po->hi : DMM_HI_NEW_IF;
	if (!po->no_att)
		dmm_mh_add_opt(&m, DMM_OPT_ATT)->u.att.value = DMM_ATT_8023;
	if (po->llid_len) {
		o = dmm_mh_add_opt(&m, DMM_OPT_MNLLID);
		o->u.mnllid.len = po->llid_len;
		memset(o->u.mnllid.b, 0x5a, po->llid_len);
	}
	if (!po->no_ts) {
		o = dmm_mh_add_opt(&m, DMM_OPT_TIMESTAMP);
		o->u.timestamp.seconds = w / DMM_SECOND;
		o->u.timestamp.fraction = (uint16_t)(((w % DMM_SECOND) << 16) / DMM_SECOND);
	}
	add_load(&m, po->sessions, po->max, 0);
	deliver(maar, &m);
	return m.u.bu.seq;
}

static uint16_t pbu(const struct dmm_addr *maar, const char *mn, const struct dmm_prefix *hnp,
		    uint16_t lifetime)
{
	struct popt po = {.sessions = -1};

	return pbu_x(maar, mn, hnp, lifetime, &po);
}

/* The last message of type sent to dst, or NULL. */
static struct sent *sent_to(const struct dmm_addr *dst, uint8_t type)
{
	for (unsigned i = H.nsent; i-- > 0;)
		if (!H.sent[i].decode_err && H.sent[i].msg.type == type && dmm_addr_eq(&H.sent[i].dst, dst))
			return &H.sent[i];
	return NULL;
}

static unsigned count_to(const struct dmm_addr *dst, uint8_t type)
{
	unsigned n = 0;

	for (unsigned i = 0; i < H.nsent; i++)
		n += !H.sent[i].decode_err && H.sent[i].msg.type == type && dmm_addr_eq(&H.sent[i].dst, dst);
	return n;
}

/* The anchor answers the CMD's PBU s with status and (for a choice) an HNP. */
static void answer(const struct sent *s, uint8_t status, const struct dmm_prefix *hnp, int sessions,
		   uint32_t max)
{
	struct dmm_mh_msg m;

	dmm_mh_init(&m, DMM_MH_BA);
	m.u.ba.status = status;
	m.u.ba.flags = DMM_BA_P | DMM_BA_D;
	m.u.ba.seq = s->msg.u.bu.seq;
	m.u.ba.lifetime = s->msg.u.bu.lifetime;
	dmm_mh_add_opt(&m, DMM_OPT_HNP)->u.hnp =
		hnp ? *hnp : dmm_mh_find_opt(&s->msg, DMM_OPT_HNP, NULL)->u.hnp;
	add_load(&m, sessions, max, 0);
	deliver(&s->dst, &m);
}

static bool has_prev(const struct dmm_mh_msg *m, const struct dmm_addr *maar, const struct dmm_prefix *p)
{
	for (const struct dmm_mh_opt *o = dmm_mh_find_opt(m, DMM_OPT_PREV_MAAR, NULL); o;
	     o = dmm_mh_find_opt(m, DMM_OPT_PREV_MAAR, o))
		if (dmm_addr_eq(&o->u.prev_maar.maar, maar) && dmm_prefix_eq(&o->u.prev_maar.hnp, p))
			return true;
	return false;
}

static bool hnp_is(const struct dmm_mh_msg *m, const struct dmm_prefix *p)
{
	const struct dmm_mh_opt *o = dmm_mh_find_opt(m, DMM_OPT_HNP, NULL);

	return o && dmm_prefix_eq(&o->u.hnp, p);
}

/* A PBA to maar with status, P and D, and the seq. */
static void check_pba(const struct dmm_addr *maar, uint8_t status, uint16_t seq)
{
	struct sent *s = sent_to(maar, DMM_MH_BA);

	CHECK(s != NULL);
	if (!s)
		return;
	CHECK_EQ(s->msg.u.ba.status, status);
	CHECK_EQ(s->msg.u.ba.flags & (DMM_BA_P | DMM_BA_D), DMM_BA_P | DMM_BA_D);
	CHECK_EQ(s->msg.u.ba.seq, seq);
	CHECK(dmm_mh_find_opt(&s->msg, DMM_OPT_HNP, NULL) != NULL);
}

/* A PBU from the CMD to maar: flags A P D, HNP p, Serving MAAR serving, lifetime 0 or not. */
static struct sent *check_upd(const struct dmm_addr *maar, const struct dmm_prefix *p,
			      const struct dmm_addr *serving, bool zero_lifetime)
{
	struct sent *s = sent_to(maar, DMM_MH_BU);
	const struct dmm_mh_opt *o;

	CHECK(s != NULL);
	if (!s)
		return NULL;
	CHECK_EQ(s->msg.u.bu.flags & (DMM_BU_A | DMM_BU_P | DMM_BU_D), DMM_BU_A | DMM_BU_P | DMM_BU_D);
	CHECK(hnp_is(&s->msg, p));
	o = dmm_mh_find_opt(&s->msg, DMM_OPT_SERVING_MAAR, NULL);
	CHECK(o && dmm_addr_eq(&o->u.serving_maar, serving));
	CHECK(dmm_mh_find_opt(&s->msg, DMM_OPT_MNID, NULL) != NULL);
	CHECK(dmm_mh_find_opt(&s->msg, DMM_OPT_TIMESTAMP, NULL) != NULL);
	/* issue 9 §2.3: RFC 8885 §4.1 keeps the RFC 5213 §6.9.1.5 format: HI and ATT. */
	CHECK(dmm_mh_find_opt(&s->msg, DMM_OPT_HI, NULL) != NULL);
	CHECK(dmm_mh_find_opt(&s->msg, DMM_OPT_ATT, NULL) != NULL);
	CHECK_EQ(s->msg.u.bu.lifetime == 0, zero_lifetime);
	CHECK(dmm_addr_eq(&s->src, &CMDA));
	return s;
}

static const struct dmm_bcache_entry *mn(const char *id)
{
	struct dmm_mnid m = nai(id);

	return dmm_bcache_find_mnid(dmm_cmd_bcache(C), &m);
}

static void run_to(dmm_time_t t)
{
	while (dmm_role_next_deadline(C) <= t) {
		T = dmm_role_next_deadline(C);
		dmm_role_expire(C, T);
	}
	T = t;
}

/* --- tests --- */

static void test_initial(void)
{
	uint16_t s;
	struct sent *b;

	setup_mode(DMM_CMD_PROXY);
	CHECK(C != NULL);
	s = pbu(&M1, "a@x", &P1, 100);
	check_pba(&M1, 0, s);
	b = sent_to(&M1, DMM_MH_BA);
	CHECK(hnp_is(&b->msg, &P1));
	CHECK(dmm_mh_find_opt(&b->msg, DMM_OPT_MNID, NULL) != NULL);
	CHECK(dmm_mh_find_opt(&b->msg, DMM_OPT_PREV_MAAR, NULL) == NULL);
	CHECK(dmm_mh_find_opt(&b->msg, DMM_OPT_TIMESTAMP, NULL) != NULL);
	CHECK_EQ(b->msg.u.ba.lifetime, 100);
	CHECK(mn("a@x") && dmm_addr_eq(dmm_bce_pcoa(mn("a@x")), &M1));
	CHECK_EQ(dmm_bce_pmaar(mn("a@x"))->n, 1);
	CHECK_EQ(dmm_role_stats(C)->initial_registrations, 1);
	CHECK_EQ(H.nsent, 1);
	/* Refresh from the same MAAR: PBA at once, nothing to previous MAARs. */
	harness_clear(&H);
	s = pbu(&M1, "a@x", &P1, 100);
	check_pba(&M1, 0, s);
	CHECK_EQ(H.nsent, 1);
	CHECK_EQ(dmm_role_stats(C)->lifetime_ext_no_handoff, 1);
}

static void test_handover_proxy(void)
{
	uint16_t s;
	struct sent *b, *u;

	setup_mode(DMM_CMD_PROXY);
	pbu(&M1, "a@x", &P1, 100);
	harness_clear(&H);
	s = pbu(&M2, "a@x", &P2, 100);
	/* The S-MAAR's PBA at once, with the old pair. */
	check_pba(&M2, 0, s);
	b = sent_to(&M2, DMM_MH_BA);
	CHECK(hnp_is(&b->msg, &P2));
	CHECK(has_prev(&b->msg, &M1, &P1));
	CHECK_EQ(dmm_mh_count_opt(&b->msg, DMM_OPT_PREV_MAAR), 1);
	u = check_upd(&M1, &P1, &M2, false);
	CHECK(dmm_addr_eq(dmm_bce_pcoa(mn("a@x")), &M2));
	CHECK_EQ(dmm_bce_pmaar(mn("a@x"))->n, 2);
	CHECK(dmm_addr_eq(&dmm_bce_pmaar(mn("a@x"))->a[0].addr, &M1)); /* oldest first */
	CHECK_EQ(dmm_cmd_counters(C)->handovers, 1);
	CHECK_EQ(dmm_cmd_counters(C)->pmaar_updates, 1);
	CHECK(harness_logged(&H, "handover from"));
	/* M1 answers: no retransmission afterwards. */
	answer(u, 0, NULL, 1, 10);
	harness_clear(&H);
	run_to(T + 60 * DMM_SECOND);
	CHECK_EQ(count_to(&M1, DMM_MH_BU), 0);
	/* Load Information from the PBA reached the table. */
	for (const struct dmm_cmd_anchor *a = dmm_cmd_anchor_next(C, NULL); a; a = dmm_cmd_anchor_next(C, a))
		if (dmm_addr_eq(&a->addr, &M1)) {
			CHECK(a->load_known);
			CHECK_EQ(a->max_sessions, 10);
			CHECK_EQ(a->anchored, 1);
			CHECK_EQ(a->serving, 0);
		}
}

static void test_relay(void)
{
	uint16_t s, sb;
	struct sent *b, *u1, *u2, *ub;

	setup_mode(DMM_CMD_RELAY);
	pbu(&M1, "a@x", &P1, 100);
	harness_clear(&H);
	s = pbu(&M2, "a@x", &P2, 100);
	CHECK(sent_to(&M2, DMM_MH_BA) == NULL); /* waits for M1 */
	u1 = check_upd(&M1, &P1, &M2, false);
	answer(u1, 0, NULL, -1, 0);
	check_pba(&M2, 0, s);
	CHECK(has_prev(&sent_to(&M2, DMM_MH_BA)->msg, &M1, &P1));
	CHECK_EQ(dmm_cmd_counters(C)->partial_pbas, 0);

	/* a: M1 -> M2 -> M3 with M2 silent; b: M4 -> M5 meanwhile. */
	pbu(&M4, "b@x", &P4, 100);
	harness_clear(&H);
	s = pbu(&M3, "a@x", &P3, 100);
	run_to(T +
	       DMM_MSEC); /* issue 9 §2.5: PBUs paced, at most max_update_rate per MAAR (RFC 8885 §3.2, §3.6) */
	u1 = check_upd(&M1, &P1, &M3, false);
	u2 = check_upd(&M2, &P2, &M3, false);
	CHECK(sent_to(&M3, DMM_MH_BA) == NULL);
	answer(u1, 0, NULL, -1, 0);
	CHECK(sent_to(&M3, DMM_MH_BA) == NULL); /* M2 still out */
	sb = pbu(&M5, "b@x", &PX, 100);
	ub = check_upd(&M4, &P4, &M5, false);
	answer(ub, 0, NULL, -1, 0);
	check_pba(&M5, 0, sb); /* not delayed by a's wait */
	/* relay_timeout: a partial PBA with M1 only. */
	harness_clear(&H);
	run_to(T + DMM_SECOND);
	check_pba(&M3, 0, s);
	b = sent_to(&M3, DMM_MH_BA);
	CHECK(has_prev(&b->msg, &M1, &P1));
	CHECK(!has_prev(&b->msg, &M2, &P2));
	CHECK_EQ(dmm_cmd_counters(C)->partial_pbas, 1);
	/* M2 answers late (its retransmission): a follow-up PBA, same seq, only M2's pair. */
	u2 = sent_to(&M2, DMM_MH_BU) ? sent_to(&M2, DMM_MH_BU) : u2;
	harness_clear(&H);
	{
		struct sent copy = *u2;

		answer(&copy, 0, NULL, -1, 0);
	}
	check_pba(&M3, 0, s);
	b = sent_to(&M3, DMM_MH_BA);
	CHECK(b && has_prev(&b->msg, &M2, &P2));
	CHECK_EQ(dmm_mh_count_opt(&b->msg, DMM_OPT_PREV_MAAR), 1);
}

static void test_unreachable_proxy(void)
{
	uint16_t s;

	setup_mode(DMM_CMD_PROXY);
	pbu(&M1, "a@x", &P1, 1000);
	harness_clear(&H);
	s = pbu(&M2, "a@x", &P2, 1000);
	check_pba(&M2, 0, s); /* not delayed */
	CHECK_EQ(count_to(&M1, DMM_MH_BU), 1);
	run_to(T + 999 * DMM_MSEC);
	CHECK_EQ(count_to(&M1, DMM_MH_BU), 1);
	run_to(T + 2 * DMM_MSEC);
	CHECK_EQ(count_to(&M1, DMM_MH_BU), 2); /* 1 s */
	run_to(T + 2 * DMM_SECOND);
	CHECK_EQ(count_to(&M1, DMM_MH_BU), 3); /* then 2 s */
	run_to(T + 4 * DMM_SECOND);
	CHECK_EQ(count_to(&M1, DMM_MH_BU), 4); /* then 4 s: 3 retransmissions */
	CHECK_EQ(dmm_cmd_counters(C)->pmaar_give_ups, 0);
	run_to(T + 8 * DMM_SECOND);
	CHECK_EQ(count_to(&M1, DMM_MH_BU), 4);
	CHECK_EQ(dmm_cmd_counters(C)->pmaar_give_ups, 1);
	CHECK(harness_logged(&H, "given up"));
	CHECK_EQ(count_to(&M2, DMM_MH_BA), 1);
	CHECK_EQ(dmm_bce_pmaar(mn("a@x"))->n, 2); /* the pair stays */
}

static void test_return(void)
{
	uint16_t s;
	struct sent *b;

	setup_mode(DMM_CMD_PROXY);
	pbu(&M1, "a@x", &P1, 100);
	pbu(&M2, "a@x", &P2, 100);
	harness_clear(&H);
	s = pbu(&M1, "a@x", &P1, 100);
	check_pba(&M1, 0, s);
	b = sent_to(&M1, DMM_MH_BA);
	CHECK(has_prev(&b->msg, &M2, &P2));
	CHECK(!has_prev(&b->msg, &M1, &P1));
	CHECK_EQ(dmm_bce_pmaar(mn("a@x"))->n, 2); /* no duplicate pair */
	CHECK(dmm_addr_eq(&dmm_bce_pmaar(mn("a@x"))->a[0].addr, &M1));
	check_upd(&M2, &P2, &M1, false);
	CHECK(sent_to(&M1, DMM_MH_BU) == NULL); /* M1 knows itself */
}

static void test_chain(void)
{
	uint16_t s;
	struct sent *b;

	setup_mode(DMM_CMD_PROXY);
	pbu(&M1, "a@x", &P1, 100);
	pbu(&M2, "a@x", &P2, 100);
	harness_clear(&H);
	s = pbu(&M3, "a@x", &P3, 100);
	run_to(T +
	       DMM_MSEC); /* issue 9 §2.5: PBUs paced, at most max_update_rate per MAAR (RFC 8885 §3.2, §3.6) */
	check_pba(&M3, 0, s);
	b = sent_to(&M3, DMM_MH_BA);
	CHECK_EQ(dmm_mh_count_opt(&b->msg, DMM_OPT_PREV_MAAR), 2);
	CHECK(has_prev(&b->msg, &M1, &P1));
	CHECK(has_prev(&b->msg, &M2, &P2));
	check_upd(&M1, &P1, &M3, false);
	check_upd(&M2, &P2, &M3, false);
	CHECK_EQ(dmm_bce_pmaar(mn("a@x"))->n, 3);
}

static void test_dereg(void)
{
	uint16_t s;

	setup_mode(DMM_CMD_PROXY);
	pbu(&M1, "a@x", &P1, 100);
	pbu(&M2, "a@x", &P2, 100);
	harness_clear(&H);
	/*
	 * Lifetime 0 from a MAAR that does not serve the MN: ignored, no PBA
	 * (issue 9 §2.9: RFC 5213 §5.3.5 step 1; the PBA 0 checked here before was wrong).
	 */
	pbu(&M1, "a@x", &P1, 0);
	CHECK(sent_to(&M1, DMM_MH_BA) == NULL);
	CHECK(mn("a@x") != NULL);
	harness_clear(&H);
	s = pbu(&M2, "a@x", &P2, 0);
	check_pba(&M2, 0, s);
	CHECK_EQ(sent_to(&M2, DMM_MH_BA)->msg.u.ba.lifetime, 0);
	/* issue 9 §2.9: RFC 5213 §5.3.5 step 2: removed after MinDelayBeforeBCEDelete, not at once. */
	run_to(T + 10 * DMM_SECOND + DMM_MSEC);
	CHECK(mn("a@x") == NULL);
	CHECK_EQ(dmm_bcache_count(dmm_cmd_bcache(C)), 0);
	check_upd(&M1, &P1, &M2, true);
	CHECK(sent_to(&M2, DMM_MH_BU) == NULL);
	CHECK_EQ(dmm_role_stats(C)->deregistrations, 1);
	for (const struct dmm_cmd_anchor *a = dmm_cmd_anchor_next(C, NULL); a;
	     a = dmm_cmd_anchor_next(C, a)) {
		CHECK_EQ(a->serving, 0);
		CHECK_EQ(a->anchored, 0);
	}
}

static void test_release(void)
{
	uint16_t s;

	setup_mode(DMM_CMD_PROXY);
	pbu(&M1, "a@x", &P1, 100);
	pbu(&M2, "a@x", &P2, 100);
	pbu(&M3, "a@x", &P3, 100);
	run_to(T + 10 * DMM_MSEC); /* issue 9 §2.5: the paced PBUs of the handover go (RFC 8885 §3.2) */
	harness_clear(&H);
	s = pbu(&M3, "a@x", &P1, 0);
	check_pba(&M3, 0, s);
	CHECK(mn("a@x") != NULL);
	CHECK_EQ(dmm_bce_pmaar(mn("a@x"))->n, 2);
	CHECK(dmm_anchor_list_find(dmm_bce_pmaar(mn("a@x")), &M1, &P1) < 0);
	check_upd(&M1, &P1, &M3, true);
	CHECK(sent_to(&M2, DMM_MH_BU) == NULL);
	CHECK_EQ(dmm_cmd_counters(C)->releases, 1);
	CHECK(harness_logged(&H, "released idle"));
	/* Releasing again (already gone) is answered 0 and changes nothing. */
	harness_clear(&H);
	s = pbu(&M3, "a@x", &P1, 0);
	check_pba(&M3, 0, s);
	CHECK_EQ(dmm_bce_pmaar(mn("a@x"))->n, 2);
	CHECK_EQ(dmm_cmd_counters(C)->releases, 1);
}

static void test_expiry(void)
{
	setup_mode(DMM_CMD_PROXY);
	pbu(&M1, "a@x", &P1, 25); /* 100 s */
	pbu(&M2, "a@x", &P2, 25);
	harness_clear(&H);
	run_to(T + 99 * DMM_SECOND);
	CHECK(mn("a@x") != NULL);
	run_to(T + 2 * DMM_SECOND);
	CHECK(mn("a@x") == NULL);
	CHECK(harness_logged(&H, "lifetime expired"));
	/* The MN's creation and removal are counted as transitions from and to none (fsm.h). */
	CHECK_EQ(dmm_role_stats(C)->transitions.n[DMM_FSM_BCE][0][DMM_BCE_ACTIVE + 1], 1);
	CHECK_EQ(dmm_role_stats(C)->transitions.n[DMM_FSM_BCE][DMM_BCE_ACTIVE + 1][0], 1);
	CHECK(dmm_role_stats(C)->transitions.n[DMM_FSM_ANCHOR][0][DMM_ANCHOR_UNKNOWN + 1] >= 2);
	{
		struct sent *u = sent_to(&M1, DMM_MH_BU);

		CHECK(u && u->msg.u.bu.lifetime == 0);
	}
}

static void test_refresh_pmaar(void)
{
	setup_mode(DMM_CMD_PROXY);
	pbu(&M1, "a@x", &P1, 25);
	answer(sent_to(&M1, DMM_MH_BA), 0, NULL, -1, 0); /* stray PBA: matches nothing */
	CHECK_EQ(dmm_role_stats(C)->rx_unexpected, 1);
	pbu(&M2, "a@x", &P2, 25);
	answer(sent_to(&M1, DMM_MH_BU), 0, NULL, -1, 0);
	harness_clear(&H);
	/* Same lifetime right away: M1's entry lasts about as long: refreshed only when it would lapse first. */
	run_to(T + 50 * DMM_SECOND);
	pbu(&M2, "a@x", &P2, 25);
	check_upd(&M1, &P1, &M2, false);
	CHECK_EQ(dmm_cmd_counters(C)->pmaar_updates, 2);
}

static void test_anchor_choice(void)
{
	struct dmm_cmd_cfg cfg;
	struct popt po = {.sessions = 5, .max = 10};
	struct sent *u, *b;
	uint16_t s;

	setup_mode(DMM_CMD_PROXY);
	dmm_cmd_cfg_defaults(&cfg);
	cfg.addr = CMDA;
	cfg.policy = POL;
	cfg.max_mns = 32;
	cfg.max_maars = 8;
	cfg.heartbeat_interval = 10 * DMM_SECOND;
	cfg.missing_heartbeats_allowed = 1;
	CHECK_EQ(dmm_cmd_reconfigure(C, &cfg, T), 0);
	pbu_x(&M3, "c@x", &P3, 1000, &(struct popt){.sessions = 1, .max = 10}); /* least loaded, soon DOWN */
	run_to(T + 35 * DMM_SECOND); /* heartbeats unanswered: the second miss exceeds 1 (RFC 5847 §3.1) */
	for (const struct dmm_cmd_anchor *a = dmm_cmd_anchor_next(C, NULL); a; a = dmm_cmd_anchor_next(C, a))
		if (dmm_addr_eq(&a->addr, &M3))
			CHECK_EQ(a->state, DMM_ANCHOR_DOWN);
	pbu_x(&M1, "a@x", &P1, 1000, &po);
	pbu_x(&M2, "b@x", &P2, 1000, &(struct popt){.sessions = 10, .max = 10}); /* FULL */
	pbu_x(&M5, "e@x", &PX, 1000, &(struct popt){.sessions = 2, .max = 10});
	CHECK(!strcmp(dmm_anchor_state_name(DMM_ANCHOR_FULL), "full"));
	harness_clear(&H);
	s = pbu(&M4, "new@x", NULL, 100);
	CHECK(sent_to(&M4, DMM_MH_BA) == NULL);
	CHECK(sent_to(&M2, DMM_MH_BU) == NULL && sent_to(&M3, DMM_MH_BU) == NULL);
	u = check_upd(&M5, &ZERO, &M4, false); /* the least loaded one */
	CHECK(mn("new@x") == NULL);
	answer(u, DMM_BA_INSUFFICIENT_RESOURCES, NULL, 10, 10); /* refuses: the next one */
	run_to(T + DMM_MSEC); /* issue 9 §2.5: one pacing interval after the last PBU (RFC 8885 §3.2) */
	u = check_upd(&M1, &ZERO, &M4, false);
	CHECK(sent_to(&M4, DMM_MH_BA) == NULL);
	answer(u, 0, &P4, 6, 10);
	check_pba(&M4, 0, s);
	b = sent_to(&M4, DMM_MH_BA);
	CHECK(hnp_is(&b->msg, &P4));
	CHECK(has_prev(&b->msg, &M1, &P4));
	CHECK(mn("new@x") && dmm_addr_eq(dmm_bce_pcoa(mn("new@x")), &M4));
	CHECK_EQ(dmm_anchor_list_find(dmm_bce_pmaar(mn("new@x")), &M1, &P4), 0);
	CHECK_EQ(dmm_cmd_counters(C)->anchor_choices, 1);
	/* The S-MAAR refreshes with the chosen prefix: accepted, no new choice. */
	harness_clear(&H);
	s = pbu(&M4, "new@x", &P4, 100);
	check_pba(&M4, 0, s);
	CHECK_EQ(dmm_cmd_counters(C)->anchor_choices, 1);
	/* De-registration with the chosen prefix: the MN goes, M1 gets lifetime 0. */
	harness_clear(&H);
	s = pbu(&M4, "new@x", &P4, 0);
	check_pba(&M4, 0, s);
	run_to(T + 10 * DMM_SECOND +
	       DMM_MSEC); /* issue 9 §2.9: after MinDelayBeforeBCEDelete (RFC 5213 §5.3.5) */
	CHECK(mn("new@x") == NULL);
	check_upd(&M1, &P4, &M4, true);
}

static void test_no_anchor(void)
{
	uint16_t s;

	setup_mode(DMM_CMD_PROXY);
	pbu_x(&M2, "b@x", &P2, 100, &(struct popt){.sessions = 4, .max = 4}); /* FULL */
	harness_clear(&H);
	s = pbu(&M1, "a@x", NULL, 100);
	check_pba(&M1, DMM_BA_INSUFFICIENT_RESOURCES, s);
	CHECK_EQ(dmm_cmd_counters(C)->no_anchor, 1);
	CHECK(mn("a@x") == NULL);
	/* A silent candidate: the next is tried after initial_bindack_timeout, then none: 130. */
	pbu_x(&M3, "c@x", &P3, 100, &(struct popt){.sessions = 0, .max = 4});
	harness_clear(&H);
	s = pbu(&M1, "a@x", NULL, 100);
	CHECK(sent_to(&M3, DMM_MH_BU) != NULL);
	run_to(T + DMM_SECOND);
	check_pba(&M1, DMM_BA_INSUFFICIENT_RESOURCES, s);
	CHECK_EQ(dmm_cmd_counters(C)->no_anchor, 2);
}

static void test_status(void)
{
	uint16_t s;
	struct popt po;

	setup_mode(DMM_CMD_PROXY);
	pbu(&M1, "a@x", &P1, 100);
	harness_clear(&H);
	po = (struct popt){.no_d = true, .sessions = -1};
	s = pbu_x(&M2, "a@x", &P2, 100, &po);
	check_pba(&M2, DMM_BA_UNSPECIFIED, s);
	s = pbu(&MBAD, "a@x", &P2, 100);
	check_pba(&MBAD, DMM_BA_MAG_NOT_AUTHORIZED, s);
	po = (struct popt){.no_hnp = true, .sessions = -1};
	s = pbu_x(&M2, "a@x", &P2, 100, &po);
	check_pba(&M2, DMM_BA_MISSING_HNP, s);
	po = (struct popt){.no_mnid = true, .sessions = -1};
	s = pbu_x(&M2, "a@x", &P2, 100, &po);
	check_pba(&M2, DMM_BA_MISSING_MN_ID, s);
	po = (struct popt){.ts_delta = (int64_t)DMM_SECOND, .sessions = -1};
	s = pbu_x(&M2, "a@x", &P2, 100, &po);
	check_pba(&M2, DMM_BA_TIMESTAMP_MISMATCH, s);
	po = (struct popt){.ts_delta = -(int64_t)(200 * DMM_MSEC), .sessions = -1}; /* in the window, older */
	s = pbu_x(&M2, "a@x", &P2, 100, &po);
	check_pba(&M2, DMM_BA_TIMESTAMP_LOWER_THAN_PREV, s);
	CHECK(dmm_mh_find_opt(&sent_to(&M2, DMM_MH_BA)->msg, DMM_OPT_TIMESTAMP, NULL) != NULL);
	s = pbu(&M2, "deny@x", &P2, 100);
	check_pba(&M2, DMM_BA_PROXY_REG_NOT_ENABLED, s);
	s = pbu(&M2, "other@x", &P2, 100);
	check_pba(&M2, DMM_BA_NOT_LMA_FOR_THIS_MN, s);
	s = pbu(&M2, "z@x", &P1, 100); /* a's prefix */
	check_pba(&M2, DMM_BA_NOT_AUTHORIZED_FOR_HNP, s);
	/* Nothing changed. */
	CHECK_EQ(dmm_bcache_count(dmm_cmd_bcache(C)), 1);
	CHECK(dmm_addr_eq(dmm_bce_pcoa(mn("a@x")), &M1));
	CHECK_EQ(dmm_bce_pmaar(mn("a@x"))->n, 1);
	CHECK_EQ(count_to(&M1, DMM_MH_BU), 0);
	CHECK_EQ(dmm_cmd_counters(C)->handovers, 0);
	CHECK_EQ(dmm_role_stats(C)->ba_status[DMM_BA_UNSPECIFIED], 1);
}

static void test_malformed(void)
{
	uint8_t buf[DMM_MH_MAX_LEN];
	struct dmm_mh_msg m;
	int n;

	setup_mode(DMM_CMD_PROXY);
	pbu(&M1, "a@x", &P1, 100);
	harness_clear(&H);
	/* A PBU whose HNP option has a bad length: 128 with the seq. */
	dmm_mh_init(&m, DMM_MH_BU);
	m.u.bu.seq = 4242;
	m.u.bu.flags = DMM_BU_A | DMM_BU_P | DMM_BU_D;
	m.u.bu.lifetime = 100;
	dmm_mh_add_opt(&m, DMM_OPT_HNP)->u.hnp = P2;
	n = dmm_mh_encode(buf, sizeof(buf), &m);
	CHECK(n > 0);
	for (int i = 6; i + 1 < n; i++)
		if (buf[i] == DMM_OPT_HNP && buf[i + 1] == 18) {
			buf[i + 1] = 17;
			break;
		}
	dmm_cmd_recv(C, &M2, &CMDA, buf, (size_t)n, T);
	check_pba(&M2, DMM_BA_UNSPECIFIED, 4242);
	/* Unknown MH type: BE status 2. */
	buf[2] = 99;
	dmm_cmd_recv(C, &M2, &CMDA, buf, (size_t)n, T);
	CHECK(sent_to(&M2, DMM_MH_BE) && sent_to(&M2, DMM_MH_BE)->msg.u.be.status == DMM_BE_UNKNOWN_MH_TYPE);
	/* Truncated: counted, no answer. */
	dmm_cmd_recv(C, &M2, &CMDA, buf, 5, T);
	CHECK(dmm_role_stats(C)->rx_malformed[-DMM_ERR_UNKNOWN_TYPE] == 1);
	CHECK_EQ(H.nsent, 2);
	CHECK_EQ(dmm_bcache_count(dmm_cmd_bcache(C)), 1);
	CHECK(dmm_addr_eq(dmm_bce_pcoa(mn("a@x")), &M1));
}

static void test_restart(void)
{
	struct dmm_mh_msg m;
	struct dmm_cmd_cfg cfg;

	setup_mode(DMM_CMD_PROXY);
	dmm_cmd_cfg_defaults(&cfg);
	cfg.addr = CMDA;
	cfg.policy = POL;
	cfg.max_mns = 32;
	cfg.max_maars = 8;
	cfg.heartbeat_interval = 10 * DMM_SECOND;
	dmm_cmd_reconfigure(C, &cfg, T);
	pbu(&M1, "a@x", &P1, 1000);
	pbu(&M2, "a@x", &P2, 1000);
	pbu(&M1, "b@x", &P3, 1000);
	/* M1 answers a heartbeat with counter 1, later with 2: restarted. */
	for (uint32_t rc = 1; rc <= 2; rc++) {
		struct sent *hb;

		harness_clear(&H);
		run_to(T + 10 * DMM_SECOND);
		hb = sent_to(&M1, DMM_MH_HB);
		CHECK(hb != NULL);
		if (!hb)
			return;
		dmm_mh_init(&m, DMM_MH_HB);
		m.u.hb.flags = DMM_HB_R;
		m.u.hb.seq = hb->msg.u.hb.seq;
		dmm_mh_add_opt(&m, DMM_OPT_RESTART)->u.restart.counter = rc;
		deliver(&M1, &m);
	}
	CHECK(mn("b@x") == NULL);			      /* served by M1: removed */
	CHECK(mn("a@x") && dmm_bce_pmaar(mn("a@x"))->n == 1); /* M1's pair dropped */
	CHECK(dmm_addr_eq(&dmm_bce_pmaar(mn("a@x"))->a[0].addr, &M2));
}

/* --- issue 9: conformance --- */

/* True when the codec encodes the RFC 5213 §5.3.6 empty forms (HI 0, zero-length MN-ID) in a BA. */
static bool empty_forms_encode(void)
{
	uint8_t buf[DMM_MH_MAX_LEN];
	struct dmm_mh_msg m;

	dmm_mh_init(&m, DMM_MH_BA);
	m.u.ba.flags = DMM_BA_P;
	dmm_mh_add_opt(&m, DMM_OPT_MNID)->u.mnid.subtype = DMM_MNID_NAI;
	dmm_mh_add_opt(&m, DMM_OPT_HI);
	dmm_mh_add_opt(&m, DMM_OPT_ATT);
	return dmm_mh_encode(buf, sizeof(buf), &m) > 0;
}

/*
 * The PBA to maar (status, seq) echoes what the PBU carried: RFC 5213
 * §5.3.6 and §8.2 (issue 9 §1): MN-ID (or the zero-length one), every
 * HNP of the request (or one ::/0), HI and ATT (copied, or 0), Timestamp
 * and MN-LLID only when the PBU had them.
 */
static void check_echo(const struct dmm_addr *maar, uint8_t status, uint16_t seq, const struct popt *po,
		       const struct dmm_prefix *hnp)
{
	struct sent *s = sent_to(maar, DMM_MH_BA);
	const struct dmm_mh_opt *o;
	bool empty = empty_forms_encode();

	check_pba(maar, status, seq);
	if (!s)
		return;
	o = dmm_mh_find_opt(&s->msg, DMM_OPT_MNID, NULL);
	if (po->no_mnid)
		CHECK(empty ? o && o->u.mnid.id.len == 0 : !o || o->u.mnid.id.len == 0);
	else
		CHECK(o && o->u.mnid.id.len > 0);
	CHECK_EQ(dmm_mh_count_opt(&s->msg, DMM_OPT_HNP), 1);
	if (status >= 128 || po->no_hnp)
		CHECK(hnp_is(&s->msg, po->no_hnp ? &ZERO : hnp));
	o = dmm_mh_find_opt(&s->msg, DMM_OPT_HI, NULL);
	if (po->no_hi)
		CHECK(empty ? o && o->u.hi.value == 0 : !o || o->u.hi.value == 0);
	else
		CHECK(o && o->u.hi.value == (po->hi ? po->hi : DMM_HI_NEW_IF));
	o = dmm_mh_find_opt(&s->msg, DMM_OPT_ATT, NULL);
	if (po->no_att)
		CHECK(empty ? o && o->u.att.value == 0 : !o || o->u.att.value == 0);
	else
		CHECK(o && o->u.att.value == DMM_ATT_8023);
	if (status != DMM_BA_TIMESTAMP_MISMATCH && status != DMM_BA_TIMESTAMP_LOWER_THAN_PREV)
		CHECK_EQ(dmm_mh_find_opt(&s->msg, DMM_OPT_TIMESTAMP, NULL) != NULL, !po->no_ts);
	o = dmm_mh_find_opt(&s->msg, DMM_OPT_MNLLID, NULL);
	CHECK_EQ(o != NULL, po->llid_len != 0);
	if (o)
		CHECK(o->u.mnllid.len == po->llid_len && o->u.mnllid.b[0] == 0x5a);
}

/* issue 9 §2.3 and §1: RFC 5213 §5.3.1 steps 11-12 (161, 162) and the §5.3.6 echo in every PBA. */
static void test_echo_statuses(void)
{
	static const struct {
		const char *mn;
		int maar; /* 1: M1, 2: M2, 9: MBAD */
		struct popt po;
		bool p1; /* HNP P1 instead of P2 */
		uint8_t status;
	} t[] = {
		{"a@x", 2, {.hi = DMM_HI_BETWEEN_MAGS, .llid_len = 6, .sessions = -1}, false, 0},
		{"a@x", 2, {.no_d = true, .llid_len = 8, .sessions = -1}, false, DMM_BA_UNSPECIFIED},
		{"a@x", 9, {.hi = DMM_HI_UNKNOWN, .sessions = -1}, false, DMM_BA_MAG_NOT_AUTHORIZED},
		{"a@x", 2, {.no_hnp = true, .sessions = -1}, false, DMM_BA_MISSING_HNP},
		{"a@x", 2, {.no_mnid = true, .sessions = -1}, false, DMM_BA_MISSING_MN_ID},
		{"a@x", 2, {.no_hi = true, .llid_len = 6, .sessions = -1}, false, DMM_BA_MISSING_HI},
		{"a@x", 2, {.no_att = true, .sessions = -1}, false, DMM_BA_MISSING_ATT},
		{"a@x",
		 2,
		 {.ts_delta = (int64_t)DMM_SECOND, .sessions = -1},
		 false,
		 DMM_BA_TIMESTAMP_MISMATCH},
		{"a@x",
		 2,
		 {.ts_delta = -(int64_t)(200 * DMM_MSEC), .sessions = -1},
		 false,
		 DMM_BA_TIMESTAMP_LOWER_THAN_PREV},
		{"deny@x", 2, {.no_ts = true, .sessions = -1}, false, DMM_BA_PROXY_REG_NOT_ENABLED},
		{"other@x", 2, {.llid_len = 16, .sessions = -1}, false, DMM_BA_NOT_LMA_FOR_THIS_MN},
		{"z@x", 2, {.hi = DMM_HI_NO_CHANGE, .sessions = -1}, true, DMM_BA_NOT_AUTHORIZED_FOR_HNP},
	};

	for (unsigned i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		const struct dmm_addr *maar = t[i].maar == 1 ? &M1 : t[i].maar == 2 ? &M2 : &MBAD;
		uint16_t s;

		setup_mode(DMM_CMD_PROXY);
		pbu(&M1, "a@x", &P1, 100);
		pbu(&M1, "a@x", &P1, 100); /* a newer Timestamp to be lower than */
		harness_clear(&H);
		s = pbu_x(maar, t[i].mn, t[i].p1 ? &P1 : &P2, 100, &t[i].po);
		check_echo(maar, t[i].status, s, &t[i].po, t[i].p1 ? &P1 : &P2);
		if (t[i].status) {
			CHECK(dmm_addr_eq(dmm_bce_pcoa(mn("a@x")), &M1)); /* nothing changed */
			CHECK_EQ(count_to(&M1, DMM_MH_BU), 0);
		}
	}
	/* 130: no MAAR can anchor. */
	{
		struct popt po = {.hi = DMM_HI_UNKNOWN, .llid_len = 6, .sessions = -1};
		uint16_t s;

		setup_mode(DMM_CMD_PROXY);
		s = pbu_x(&M1, "a@x", NULL, 100, &po);
		check_echo(&M1, DMM_BA_INSUFFICIENT_RESOURCES, s,
			   &(struct popt){.hi = DMM_HI_UNKNOWN, .llid_len = 6, .no_hnp = true}, NULL);
	}
}

/* issue 9 §2.3: RFC 8885 §3.2, §4.1: the PBU to a P-MAAR carries the S-MAAR's HI and ATT. */
static void test_upd_hi_att(void)
{
	struct popt po = {.hi = DMM_HI_BETWEEN_MAGS, .sessions = -1};
	const struct dmm_mh_opt *hi, *att;
	struct sent *u;

	setup_mode(DMM_CMD_PROXY);
	pbu(&M1, "a@x", &P1, 100);
	harness_clear(&H);
	pbu_x(&M2, "a@x", &P2, 100, &po);
	u = check_upd(&M1, &P1, &M2, false);
	hi = u ? dmm_mh_find_opt(&u->msg, DMM_OPT_HI, NULL) : NULL;
	att = u ? dmm_mh_find_opt(&u->msg, DMM_OPT_ATT, NULL) : NULL;
	CHECK(hi && hi->u.hi.value == DMM_HI_BETWEEN_MAGS);
	CHECK(att && att->u.att.value == DMM_ATT_8023);
}

/*
 * issue 9 §2.9: RFC 5213 §5.3.5 step 1: a lifetime-0 PBU from a MAAR that
 * is not the serving one is ignored (no PBA, nothing changes); step 2:
 * the entry stays MinDelayBeforeBCEDelete, and a new registration in the
 * wait keeps it.
 */
static void test_dereg_wait(void)
{
	uint16_t s;

	setup_mode(DMM_CMD_PROXY);
	pbu(&M1, "a@x", &P1, 100);
	pbu(&M2, "a@x", &P2, 100);
	answer(sent_to(&M1, DMM_MH_BU), 0, NULL, -1, 0);
	harness_clear(&H);
	pbu(&M1, "a@x", &P1, 0);
	CHECK(sent_to(&M1, DMM_MH_BA) == NULL);
	CHECK_EQ(H.nsent, 0);
	CHECK_EQ(dmm_role_stats(C)->rx_unexpected, 1);
	CHECK(mn("a@x") && dmm_addr_eq(dmm_bce_pcoa(mn("a@x")), &M2) && mn("a@x")->state == DMM_BCE_ACTIVE);
	/* The S-MAAR de-registers: PBA 0 at once, the entry waits. */
	s = pbu(&M2, "a@x", &P2, 0);
	check_pba(&M2, 0, s);
	CHECK(mn("a@x") && mn("a@x")->state == DMM_BCE_DEREG_WAIT);
	CHECK_EQ(count_to(&M1, DMM_MH_BU), 0);
	run_to(T + 10 * DMM_SECOND - DMM_MSEC);
	CHECK(mn("a@x") != NULL);
	CHECK_EQ(count_to(&M1, DMM_MH_BU), 0);
	run_to(T + 2 * DMM_MSEC);
	CHECK(mn("a@x") == NULL);
	check_upd(&M1, &P1, &M2, true);
	CHECK_EQ(dmm_role_stats(C)->deregistrations, 1);
	/* In the wait the MN shows up at M3: the entry is kept and updated; nothing is released. */
	setup_mode(DMM_CMD_PROXY);
	pbu(&M1, "a@x", &P1, 100);
	pbu(&M2, "a@x", &P2, 0);
	harness_clear(&H);
	run_to(T + 5 * DMM_SECOND);
	s = pbu(&M3, "a@x", &P3, 100);
	check_pba(&M3, 0, s);
	CHECK(has_prev(&sent_to(&M3, DMM_MH_BA)->msg, &M1, &P1));
	CHECK(mn("a@x") && mn("a@x")->state == DMM_BCE_ACTIVE && dmm_addr_eq(dmm_bce_pcoa(mn("a@x")), &M3));
	run_to(T + 20 * DMM_SECOND);
	CHECK(mn("a@x") != NULL);
	CHECK(!sent_to(&M1, DMM_MH_BU) || sent_to(&M1, DMM_MH_BU)->msg.u.bu.lifetime != 0);
}

/* issue 9 §2.11: RFC 6275 §11.8, RFC 5213 §5.5: a retransmission to a P-MAAR has a new, greater seq. */
static void test_retx_seq(void)
{
	uint16_t seqs[4];
	unsigned n = 0;

	setup_mode(DMM_CMD_PROXY);
	pbu(&M1, "a@x", &P1, 1000);
	harness_clear(&H);
	pbu(&M2, "a@x", &P2, 1000);
	for (dmm_time_t t = T; n < 4; t += DMM_SECOND / 2) {
		run_to(t);
		if (count_to(&M1, DMM_MH_BU) > n)
			seqs[n++] = sent_to(&M1, DMM_MH_BU)->msg.u.bu.seq;
	}
	for (unsigned i = 1; i < 4; i++)
		CHECK(dmm_seq_lt(seqs[i - 1], seqs[i]));
	/* The answer to the last one ends the retransmissions; a late answer to an old one matches nothing. */
	answer(sent_to(&M1, DMM_MH_BU), 0, NULL, -1, 0);
	harness_clear(&H);
	run_to(T + 60 * DMM_SECOND);
	CHECK_EQ(count_to(&M1, DMM_MH_BU), 0);
	CHECK_EQ(dmm_cmd_counters(C)->pmaar_give_ups, 0);
}

/* issue 9 §2.11: RFC 5213 §5.5 rule 5: with a Timestamp the seq is ignored (but copied to the PBA). */
static void test_ts_ignores_seq(void)
{
	struct dmm_cmd_cfg cfg;
	struct popt po = {.no_ts = true, .sessions = -1};
	uint16_t s;

	setup_mode(DMM_CMD_PROXY);
	dmm_cmd_cfg_defaults(&cfg);
	cfg.addr = CMDA;
	cfg.policy = POL;
	cfg.max_mns = 32;
	cfg.max_maars = 8;
	cfg.heartbeat_interval = 0;
	cfg.timestamp_based = false;
	CHECK_EQ(dmm_cmd_reconfigure(C, &cfg, T), 0);
	pbu(&M1, "a@x", &P1, 100);
	SEQ -= 10; /* an older seq, a newer Timestamp */
	s = pbu(&M1, "a@x", &P1, 100);
	check_pba(&M1, 0, s);
	CHECK(dmm_mh_find_opt(&sent_to(&M1, DMM_MH_BA)->msg, DMM_OPT_TIMESTAMP, NULL) != NULL);
	/* Without a Timestamp the seq counts (RFC 6275 §9.5.1). */
	SEQ -= 10;
	s = pbu_x(&M1, "a@x", &P1, 100, &po);
	check_pba(&M1, DMM_BA_SEQ_OUT_OF_WINDOW, s);
}

/*
 * issue 9 §2.5: RFC 8885 §3.2 (pacing: k PBUs out of one PBU are not a
 * burst) and §3.6 (at most max_update_rate PBUs to one MAAR in a second).
 */
static void test_pacing(void)
{
	struct dmm_cmd_cfg cfg;
	char id[8];
	unsigned n;

	setup_mode(DMM_CMD_PROXY);
	pbu(&M1, "a@x", &P1, 1000);
	pbu(&M2, "a@x", &P2, 1000);
	pbu(&M4, "a@x", &P4, 1000);
	run_to(T + 10 * DMM_MSEC);
	harness_clear(&H);
	pbu(&M3, "a@x", &P3, 1000);
	/* Three P-MAARs: one PBU goes at once, the others follow one pacing interval apart. */
	n = count_to(&M1, DMM_MH_BU) + count_to(&M2, DMM_MH_BU) + count_to(&M4, DMM_MH_BU);
	CHECK_EQ(n, 1);
	run_to(T + 10 * DMM_MSEC);
	check_upd(&M1, &P1, &M3, false);
	check_upd(&M2, &P2, &M3, false);
	check_upd(&M4, &P4, &M3, false);
	/* Per MAAR: 6 MNs anchored at M1 move at once; at most max_update_rate (3) PBUs to M1 per second. */
	setup_mode(DMM_CMD_PROXY);
	dmm_cmd_cfg_defaults(&cfg);
	cfg.addr = CMDA;
	cfg.policy = POL;
	cfg.max_mns = 32;
	cfg.max_maars = 8;
	cfg.heartbeat_interval = 0;
	cfg.max_update_rate = 3;
	CHECK_EQ(dmm_cmd_reconfigure(C, &cfg, T), 0);
	for (int i = 0; i < 6; i++) {
		struct dmm_prefix p = P1;

		p.addr.b[7] = (uint8_t)(i + 1);
		snprintf(id, sizeof(id), "m%d@x", i);
		pbu(&M1, id, &p, 1000);
	}
	harness_clear(&H);
	for (int i = 0; i < 6; i++) {
		snprintf(id, sizeof(id), "m%d@x", i);
		pbu(&M2, id, &P2, 1000); /* 1 ms apart */
		P2.addr.b[7]++;
	}
	P2.addr.b[7] = 0;
	CHECK_EQ(count_to(&M2, DMM_MH_BA), 6); /* the S-MAAR's PBAs are not held back */
	/* M1 answers each at once; record when each came: no second holds more than 3. */
	{
		dmm_time_t at[8], start = T;
		unsigned seen = 0, done = 0;

		for (dmm_time_t t = T; t < start + 3 * DMM_SECOND; t += DMM_MSEC) {
			run_to(t);
			for (unsigned i = done; i < H.nsent; i++, done++)
				if (H.sent[i].msg.type == DMM_MH_BU && dmm_addr_eq(&H.sent[i].dst, &M1) &&
				    seen < 8) {
					struct sent copy = H.sent[i];

					at[seen++] = T;
					answer(&copy, 0, NULL, -1, 0);
				}
		}
		CHECK_EQ(seen, 6);
		for (unsigned i = 3; i < seen && i < 8; i++)
			CHECK(at[i] - at[i - 3] >= DMM_SECOND - 10 * DMM_MSEC); /* seen up to 6 ms late */
	}
}

/* issue 9 §2.17: malformed input costs a rate-limited log line, each still answered (RFC 5213 §5.3.1). */
static unsigned MALFORMED_LINES;

static void count_log(void *ctx, enum dmm_log_level lvl, enum dmm_log_cat cat, const char *msg)
{
	if (strstr(msg, "malformed"))
		MALFORMED_LINES++;
	harness_log(ctx, lvl, cat, msg);
}

static void test_malformed_ratelimit(void)
{
	uint8_t buf[DMM_MH_MAX_LEN];
	struct dmm_mh_msg m;
	struct dmm_mnid id = nai("a@x");
	int n;

	setup_mode(DMM_CMD_PROXY);
	H.log.fn = count_log;
	MALFORMED_LINES = 0;
	dmm_mh_init(&m, DMM_MH_BU);
	m.u.bu.seq = 77;
	m.u.bu.flags = DMM_BU_A | DMM_BU_P | DMM_BU_D;
	m.u.bu.lifetime = 100;
	{
		struct dmm_mh_opt *o = dmm_mh_add_opt(&m, DMM_OPT_MNID);

		o->u.mnid.subtype = id.subtype;
		o->u.mnid.id.len = id.len;
		memcpy(o->u.mnid.id.b, id.id, id.len);
	}
	dmm_mh_add_opt(&m, DMM_OPT_HNP)->u.hnp = P2;
	n = dmm_mh_encode(buf, sizeof(buf), &m);
	for (int i = 6; i + 1 < n; i++)
		if (buf[i] == DMM_OPT_HNP && buf[i + 1] == 18) {
			buf[i + 1] = 17;
			break;
		}
	for (int i = 0; i < 100; i++)
		dmm_cmd_recv(C, &M2, &CMDA, buf, (size_t)n, T);
	CHECK_EQ(H.nsent_total, 100);
	CHECK(MALFORMED_LINES >= 1 && MALFORMED_LINES <= 10);
	/* The 128 echoes the MN-ID that decoded before the bad HNP (RFC 5213 §5.3.6). */
	check_pba(&M2, DMM_BA_UNSPECIFIED, 77);
	CHECK(dmm_mh_find_opt(&sent_to(&M2, DMM_MH_BA)->msg, DMM_OPT_MNID, NULL) != NULL);
	run_to(T + DMM_SECOND);
	dmm_cmd_recv(C, &M2, &CMDA, buf, (size_t)n, T);
	CHECK(MALFORMED_LINES >= 2 && MALFORMED_LINES <= 11);
	H.log.fn = harness_log;
}

static void test_ops(void)
{
	void *inst;
	struct dmm_cmd_cfg cfg;

	CHECK(!strcmp(dmm_cmd_ops.name, "cmd"));
	CHECK(dmm_cmd_ops.attach == NULL && dmm_cmd_ops.detach == NULL);
	dmm_cmd_cfg_defaults(&cfg);
	cfg.addr = CMDA;
	cfg.policy = POL;
	inst = dmm_cmd_ops.create(&H.env, &cfg, T);
	CHECK(inst != NULL);
	CHECK_EQ(dmm_cmd_ops.next_deadline(inst), DMM_TIME_NEVER);
	dmm_cmd_ops.destroy(inst);
	cfg.policy = NULL;
	CHECK(dmm_cmd_ops.create(&H.env, &cfg, T) == NULL);
	CHECK(!strcmp(dmm_anchor_state_name(DMM_ANCHOR_DOWN), "down"));
	CHECK(!strcmp(dmm_anchor_state_name(200), "?"));
}

/*
 * A full table of pending updates: a handover that needs one is refused
 * with 130 (Insufficient resources, RFC 5213 §8.9) and every binding stays
 * as it was; once an answer frees a slot, the same handover goes through.
 */
static void test_pending_full(void)
{
	struct dmm_prefix pa = prefix_of("2001:db8:6:1::/64"), pb = prefix_of("2001:db8:6:2::/64");
	struct dmm_prefix pc = prefix_of("2001:db8:6:3::/64"), pc2 = prefix_of("2001:db8:6:4::/64");
	struct sent *u;
	uint16_t s;

	MAX_PENDING = 2;
	setup_mode(DMM_CMD_PROXY);
	MAX_PENDING = 0;
	CHECK(C != NULL);
	check_pba(&M1, 0, pbu(&M1, "a@x", &P1, 100));
	check_pba(&M1, 0, pbu(&M1, "b@x", &P3, 100));
	check_pba(&M1, 0, pbu(&M1, "c@x", &pc, 100));
	/* Two handovers, their updates to M1 unanswered: the table is full. */
	check_pba(&M2, 0, pbu(&M2, "a@x", &pa, 100));
	check_pba(&M2, 0, pbu(&M2, "b@x", &pb, 100));
	CHECK_EQ(count_to(&M1, DMM_MH_BU), 2);
	u = sent_to(&M1, DMM_MH_BU);
	harness_clear(&H);
	s = pbu(&M2, "c@x", &pc2, 100);
	check_pba(&M2, DMM_BA_INSUFFICIENT_RESOURCES, s);
	CHECK_EQ(count_to(&M1, DMM_MH_BU), 0);
	/* c@x is still served by M1 with its one prefix; a@x and b@x kept both pairs. */
	CHECK(mn("c@x") && dmm_addr_eq(dmm_bce_pcoa(mn("c@x")), &M1));
	CHECK(mn("c@x") && dmm_bce_pmaar(mn("c@x"))->n == 1 &&
	      dmm_prefix_eq(&dmm_bce_pmaar(mn("c@x"))->a[0].prefix, &pc));
	CHECK(mn("a@x") && dmm_addr_eq(dmm_bce_pcoa(mn("a@x")), &M2) && dmm_bce_pmaar(mn("a@x"))->n == 2);
	CHECK(mn("b@x") && dmm_addr_eq(dmm_bce_pcoa(mn("b@x")), &M2) && dmm_bce_pmaar(mn("b@x"))->n == 2);
	CHECK_EQ(dmm_bcache_count(dmm_cmd_bcache(C)), 3);
	CHECK_EQ(dmm_cmd_counters(C)->handovers, 2);
	/* M1 answers one update: the slot is free again and the handover goes through. */
	CHECK(u != NULL);
	if (u)
		answer(u, 0, NULL, -1, 0);
	harness_clear(&H);
	s = pbu(&M2, "c@x", &pc2, 100);
	check_pba(&M2, 0, s);
	check_upd(&M1, &pc, &M2, false);
	CHECK(mn("c@x") && dmm_addr_eq(dmm_bce_pcoa(mn("c@x")), &M2) && dmm_bce_pmaar(mn("c@x"))->n == 2);
	CHECK_EQ(dmm_cmd_counters(C)->handovers, 3);
}

int main(void)
{
	CMDA = addr_of("2001:db8:c::1");
	M1 = addr_of("2001:db8:e::1");
	M2 = addr_of("2001:db8:e::2");
	M3 = addr_of("2001:db8:e::3");
	M4 = addr_of("2001:db8:e::4");
	M5 = addr_of("2001:db8:e::5");
	MBAD = addr_of("2001:db8:bad::1");
	P1 = prefix_of("2001:db8:1:1::/64");
	P2 = prefix_of("2001:db8:2:1::/64");
	P3 = prefix_of("2001:db8:3:1::/64");
	P4 = prefix_of("2001:db8:4:1::/64");
	PX = prefix_of("2001:db8:5:1::/64");
	memset(&ZERO, 0, sizeof(ZERO));
	test_initial();
	test_handover_proxy();
	test_relay();
	test_unreachable_proxy();
	test_return();
	test_chain();
	test_dereg();
	test_release();
	test_expiry();
	test_refresh_pmaar();
	test_anchor_choice();
	test_no_anchor();
	test_status();
	test_malformed();
	test_restart();
	test_echo_statuses();
	test_upd_hi_att();
	test_dereg_wait();
	test_retx_seq();
	test_ts_ignores_seq();
	test_pacing();
	test_malformed_ratelimit();
	test_ops();
	test_pending_full();
	dmm_cmd_free(C);
	dmm_policy_free(POL);
	return check_report("test_cmd");
}
