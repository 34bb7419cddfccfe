/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Localized routing (RFC 6705), from the RFC:
 *  - the LRI and LRA formats of §10.1 and §10.2, byte by byte, with two
 *    MN-ID options (the only message where an MN-ID comes twice);
 *  - scenario A12 end to end (§7, Figure 6) on an in-memory network of a
 *    real MAG1, MAG2, LMA1 and LMA2: MN1 anchored at LMA1 and MN2 at LMA2,
 *    both on MAG1: MAG1 sends an LRI to each LMA ([own MN, HNP] first),
 *    both answer status 0 with the tuples in order, and MAG1 routes the
 *    pair locally (a DMM_FM_LOCAL intent per direction); the LREs go when
 *    MN1 leaves (§7.1), with an LRI of lifetime 0 to both LMAs (§4), and
 *    come back when it returns;
 *  - the LMA's refusals: 128 by policy, 129 for an MN not bound at that
 *    MAG; the MAG then keeps the tunnels;
 *  - §10.1 retransmission (LRA_WAIT_TIME, LRI_RETRIES) and §4 expiry of a
 *    finite lifetime; §3.1: no LRI for two MNs at the same LMA.
 *  - scenario A11 (§5, Figure 2), LMA-initiated (§3.2): both MNs on MAG1
 *    and at LMA1: LMA1 sends MAG1 one LRI naming both (the first MN
 *    first) when the second registers there, MAG1 answers LRA 0 with the
 *    tuples and routes the pair; when an MN moves to MAG2 the LREs go at
 *    once and LMA1 ends the pair with lifetime 0 (§4, §5.1), and pairs
 *    again when it is back; a third MN pairs with both, and each pair
 *    ends alone; MAG1 answers 128 without EnableMAGLocalRouting (§5) and
 *    129 for an MN not attached there or another LMA's (§10.2), 128 for
 *    an LRI that is not two tuples (§10.1); the LMA's retransmissions
 *    and refresh (§10.1, §12, §4); the policy's prefix pairs; and the
 *    static A11 rule of §5 (no message at all).
 */
#include <stdlib.h>

#include "check.h"
#include "dmm/err.h"
#include "dmm/lma.h"
#include "dmm/mag.h"
#include "dmm/mh.h"
#include "dmm/policy.h"
#include "helpers.h"

#define RN_NODE_EXTRA                                                                                        \
	unsigned sent[32];  /* messages sent, by MH type */                                                  \
	bool drop_lra;	    /* lose every LRA this node sends */                                             \
	uint16_t last_lt;   /* lifetime of the last LRI this node sent */                                    \
	uint8_t last_first; /* 5th octet of the first MN-ID in the last LRI sent */                          \
	int last_status;    /* status of the last LRA sent */
#include "rolenet.h"

static struct dmm_policy *POL;
/* Scenario A11 knobs, read by setup(). */
static struct {
	bool initiate;	    /* LMA1: lr.initiate */
	bool mag_local;	    /* MAGs: EnableMAGLocalRouting */
	bool mag_static;    /* MAGs: same_lma */
	uint16_t lma_lt;    /* LMA1: lr.lifetime_s */
	const char *pair_a; /* LMA1: one policy pair, or NULL */
	const char *pair_b;
} A11;
static struct node *L1, *L2, *M1, *M2;
static struct dmm_mnid MN1 = {.subtype = DMM_MNID_EUI48, .len = 6, .id = {2, 0, 0, 0, 1, 1}};
static struct dmm_mnid MN2 = {.subtype = DMM_MNID_EUI48, .len = 6, .id = {2, 0, 0, 0, 2, 1}};

static bool on_send(struct node *n, const uint8_t *buf, size_t len)
{
	if (len > 2 && buf[2] < 32)
		n->sent[buf[2]]++;
	if (len > 9 && buf[2] == DMM_MH_LRA)
		n->last_status = buf[9];
	if (len > 2 && buf[2] == DMM_MH_LRI) {
		struct dmm_mh_msg m;

		if (dmm_mh_decode(&m, buf, len) > 0) {
			const struct dmm_mh_opt *o = dmm_mh_find_opt(&m, DMM_OPT_MNID, NULL);

			n->last_lt = m.u.lr.lifetime;
			n->last_first = o ? o->u.mnid.id.b[4] : 0;
		}
	}
	return !(n->drop_lra && len > 2 && buf[2] == DMM_MH_LRA);
}

/* --- codec: RFC 6705 §10.1, §10.2 --- */

static void t_codec(void)
{
	/*
	 * LRI: Payload Proto 59, Header Len 5 (48 octets), type 17, Reserved,
	 * Checksum 0, Sequence 0x1234, Reserved, Lifetime 600; then MN-ID
	 * (EUI-48), PadN, HNP, MN-ID, PadN, HNP.
	 */
	struct dmm_mh_msg m, d;
	uint8_t buf[256];
	int n;

	dmm_mh_init(&m, DMM_MH_LRI);
	m.u.lr.seq = 0x1234;
	m.u.lr.lifetime = 600;
	dmm_mh_add_opt(&m, DMM_OPT_MNID)->u.mnid.subtype = DMM_MNID_EUI48;
	m.opts[0].u.mnid.id.len = 6;
	memcpy(m.opts[0].u.mnid.id.b, MN1.id, 6);
	dmm_mh_add_opt(&m, DMM_OPT_HNP)->u.hnp = prefix_of("2001:db8:1::/64");
	dmm_mh_add_opt(&m, DMM_OPT_MNID)->u.mnid.subtype = DMM_MNID_EUI48;
	m.opts[2].u.mnid.id.len = 6;
	memcpy(m.opts[2].u.mnid.id.b, MN2.id, 6);
	dmm_mh_add_opt(&m, DMM_OPT_HNP)->u.hnp = prefix_of("2001:db8:2::/64");
	n = dmm_mh_encode(buf, sizeof(buf), &m);
	CHECK(n > 12);
	CHECK(buf[0] == 59 && buf[2] == 17 && buf[1] == (uint8_t)(n / 8 - 1));
	/* §10.1: Sequence #, Reserved, Lifetime in the first 6 octets after the checksum. */
	CHECK(buf[6] == 0x12 && buf[7] == 0x34 && buf[8] == 0 && buf[9] == 0 && buf[10] == 0x02 &&
	      buf[11] == 0x58);
	CHECK_EQ(dmm_mh_decode(&d, buf, (size_t)n), n);
	CHECK(d.type == DMM_MH_LRI && d.u.lr.seq == 0x1234 && d.u.lr.lifetime == 600);
	CHECK_EQ(dmm_mh_count_opt(&d, DMM_OPT_MNID), 2);
	CHECK_EQ(dmm_mh_count_opt(&d, DMM_OPT_HNP), 2);
	/* A second MN-ID is still refused in a PBU. */
	m.type = DMM_MH_BU;
	CHECK_EQ(dmm_mh_encode(buf, sizeof(buf), &m), DMM_ERR_OPT_DUP);

	/* LRA: Sequence #, U flag (MSB of the next octet), Status, Lifetime (§10.2). */
	dmm_mh_init(&m, DMM_MH_LRA);
	m.u.lr.seq = 7;
	m.u.lr.flags = DMM_LRA_U;
	m.u.lr.status = DMM_LRA_MN_NOT_ATTACHED;
	m.u.lr.lifetime = DMM_LR_LIFETIME_INFINITE;
	n = dmm_mh_encode(buf, sizeof(buf), &m);
	CHECK_EQ(n, 16);
	CHECK(buf[2] == 18 && buf[6] == 0 && buf[7] == 7 && buf[8] == 0x80 && buf[9] == 129 &&
	      buf[10] == 0xff && buf[11] == 0xff);
	CHECK_EQ(dmm_mh_decode(&d, buf, (size_t)n), 16);
	CHECK(d.u.lr.flags == DMM_LRA_U && d.u.lr.status == 129 && d.u.lr.lifetime == 0xffff);
	CHECK(dmm_mh_msg_desc_by_name("LRI") && dmm_mh_msg_desc_by_name("LRA"));
}

/* --- scenario A12 on a network --- */

static void setup(bool lma2_allows, uint16_t lr_lifetime, bool same_lma)
{
	struct dmm_lma_cfg lc;
	struct dmm_mag_cfg mc;
	struct dmm_policy_profile prof;
	const char *mag[2] = {"2001:db8:b:1::2", "2001:db8:b:2::2"};
	const char *lma[2] = {"2001:db8:a:1::2", "2001:db8:a:2::2"};
	struct node **ls[2] = {&L1, &L2}, **ms[2] = {&M1, &M2};

	T = 1000 * DMM_SECOND;
	memset(N, 0, sizeof(N));
	POL = dmm_policy_new(&ALLOC, 8, 8, 1);
	dmm_policy_set_allow_any_mag(POL, true);
	memset(&prof, 0, sizeof(prof));
	prof.may_register = true;
	dmm_policy_set_default(POL, &prof);
	prof.n_lma = 1;
	prof.mnid = MN1;
	prof.lma[0] = addr_of(lma[0]);
	dmm_policy_set(POL, &prof);
	prof.mnid = MN2;
	prof.lma[0] = addr_of(lma[same_lma ? 0 : 1]);
	dmm_policy_set(POL, &prof);
	for (unsigned i = 0; i < 2; i++) {
		dmm_lma_cfg_defaults(&lc);
		lc.addr = addr_of(lma[i]);
		lc.max_bindings = 16;
		lc.max_peers = 8;
		lc.npool = 1;
		lc.pool[0] = prefix_of(i ? "2001:db8:2::/48" : "2001:db8:1::/48");
		lc.policy = POL;
		lc.heartbeat_interval = 0;
		lc.localized_routing = i == 0 || lma2_allows;
		lc.lr.initiate = i == 0 && A11.initiate;
		lc.lr.lifetime_s = A11.lma_lt;
		if (A11.pair_a) {
			lc.lr.npairs = 1;
			lc.lr.pair[0].a = prefix_of(A11.pair_a);
			lc.lr.pair[0].b = prefix_of(A11.pair_b);
		}
		*ls[i] = add_node(i ? "lma2" : "lma1", lma[i], &dmm_lma_ops, &lc);
	}
	for (unsigned i = 0; i < 2; i++) {
		dmm_mag_cfg_defaults(&mc);
		mc.addr = addr_of(mag[i]);
		mc.default_lma = addr_of(lma[0]);
		mc.policy = POL;
		mc.max_mns = 16;
		mc.heartbeat_interval = 0;
		mc.lr.enabled = true;
		mc.lr.lifetime_s = lr_lifetime;
		mc.lr.local_routing = A11.mag_local;
		mc.lr.same_lma = A11.mag_static;
		*ms[i] = add_node(i ? "mag2" : "mag1", mag[i], &dmm_mag_ops, &mc);
	}
}

static void teardown(void)
{
	rn_teardown();
	dmm_policy_free(POL);
	POL = NULL;
}

/* The LOCAL intent of node n for destination prefix p arriving on link, or NULL. */
static const struct dmm_intent *lre(const struct node *n, const struct dmm_prefix *p, uint32_t link)
{
	for (unsigned i = 0; i < n->nlive; i++)
		if (n->live[i].action == DMM_FM_LOCAL && n->live[i].match == DMM_FM_DST &&
		    dmm_prefix_eq(&n->live[i].prefix, p) && n->live[i].link == link)
			return &n->live[i];
	return NULL;
}

static unsigned nlre(const struct node *n)
{
	unsigned c = 0;

	for (unsigned i = 0; i < n->nlive; i++)
		c += n->live[i].action == DMM_FM_LOCAL;
	return c;
}

static const struct dmm_bul_entry *entry(const struct node *n, const struct dmm_mnid *id)
{
	return dmm_bul_find_mnid(dmm_mag_bul(n->inst), id);
}

static const struct dmm_mag_lr_counters *ctr(const struct node *n)
{
	return dmm_mag_lr_counters(n->inst);
}

/* MN1 on MAG1 link 1 (LMA1), MN2 on MAG1 link 2 (LMA2). */
static void attach_both(void)
{
	CHECK_EQ(M1->ops->attach(M1->inst, &MN1, 1, MN1.id, 6, DMM_ATT_8023, T), 0);
	CHECK_EQ(M1->ops->attach(M1->inst, &MN2, 2, MN2.id, 6, DMM_ATT_8023, T), 0);
	run(20 * DMM_MSEC);
}

/* §7 Figure 6, §7.1, §4. */
static void t_a12(void)
{
	struct dmm_prefix h1, h2;

	setup(true, 0, false);
	attach_both();
	CHECK(entry(M1, &MN1) && entry(M1, &MN1)->state == DMM_BUL_REGISTERED);
	CHECK(entry(M1, &MN2) && entry(M1, &MN2)->state == DMM_BUL_REGISTERED);
	h1 = entry(M1, &MN1)->hnp[0];
	h2 = entry(M1, &MN2)->hnp[0];
	/* One LRI to each LMA, each answered with status 0. */
	CHECK_EQ(M1->sent[DMM_MH_LRI], 2);
	CHECK_EQ(L1->sent[DMM_MH_LRA], 1);
	CHECK_EQ(L2->sent[DMM_MH_LRA], 1);
	CHECK_EQ(ctr(M1)->started, 1);
	CHECK_EQ(ctr(M1)->active, 1);
	/* The LREs: to MN2's HNP from MN1's link, and back. */
	CHECK(lre(M1, &h2, 1) != NULL);
	CHECK(lre(M1, &h1, 2) != NULL);
	CHECK_EQ(nlre(M1), 2);
	/* A refresh of a binding keeps them (and sends no LRI). */
	run(600 * DMM_SECOND);
	CHECK_EQ(nlre(M1), 2);
	CHECK_EQ(M1->sent[DMM_MH_LRI], 2);
	/* §7.1: MN1 leaves: the LREs go at once, both LMAs hear lifetime 0 (§4). */
	CHECK_EQ(M1->ops->detach(M1->inst, &MN1, T), 0);
	CHECK_EQ(nlre(M1), 0);
	CHECK_EQ(M1->sent[DMM_MH_LRI], 4);
	CHECK_EQ(M1->last_lt, 0);
	CHECK_EQ(ctr(M1)->active, 0);
	CHECK_EQ(ctr(M1)->ended, 1);
	run(20 * DMM_MSEC);
	/* MN1 at MAG2: nothing to localize there (§8, A22 is out of scope). */
	CHECK_EQ(M2->ops->attach(M2->inst, &MN1, 5, MN1.id, 6, DMM_ATT_8023, T), 0);
	run(20 * DMM_MSEC);
	CHECK_EQ(M2->sent[DMM_MH_LRI], 0);
	CHECK_EQ(nlre(M1), 0);
	/* Back at MAG1: localized again. */
	CHECK_EQ(M2->ops->detach(M2->inst, &MN1, T), 0);
	CHECK_EQ(M1->ops->attach(M1->inst, &MN1, 1, MN1.id, 6, DMM_ATT_8023, T), 0);
	run(20 * DMM_MSEC);
	CHECK_EQ(ctr(M1)->started, 2);
	CHECK_EQ(nlre(M1), 2);
	CHECK_EQ(M1->ops->detach(M1->inst, &MN1, T), 0);
	CHECK_EQ(M1->ops->detach(M1->inst, &MN2, T), 0);
	run(20 * DMM_MSEC);
	teardown();
}

/* §7: each LMA decides by its policy (128); §10.2: 129 for an MN not attached there. */
static void t_refused(void)
{
	setup(false, 0, false);
	attach_both();
	CHECK_EQ(L2->sent[DMM_MH_LRA], 1);
	CHECK_EQ(ctr(M1)->refused, 1);
	CHECK_EQ(ctr(M1)->started, 0);
	CHECK_EQ(nlre(M1), 0);
	/* Not asked again while both stay (a refresh sends no LRI). */
	run(600 * DMM_SECOND);
	CHECK_EQ(M1->sent[DMM_MH_LRI], 2);
	teardown();

	/* An LRI naming an MN that LMA1 binds at another MAG: 129. */
	setup(true, 0, false);
	CHECK_EQ(M2->ops->attach(M2->inst, &MN1, 1, MN1.id, 6, DMM_ATT_8023, T), 0);
	run(20 * DMM_MSEC);
	{
		struct dmm_mh_msg m;
		uint8_t buf[256];
		struct dmm_mh_opt *o;
		int n;

		dmm_mh_init(&m, DMM_MH_LRI);
		m.u.lr.seq = 9;
		m.u.lr.lifetime = 100;
		o = dmm_mh_add_opt(&m, DMM_OPT_MNID);
		o->u.mnid.subtype = DMM_MNID_EUI48;
		o->u.mnid.id.len = 6;
		memcpy(o->u.mnid.id.b, MN1.id, 6);
		dmm_mh_add_opt(&m, DMM_OPT_HNP)->u.hnp = entry(M2, &MN1)->hnp[0];
		o = dmm_mh_add_opt(&m, DMM_OPT_MNID);
		o->u.mnid.subtype = DMM_MNID_EUI48;
		o->u.mnid.id.len = 6;
		memcpy(o->u.mnid.id.b, MN2.id, 6);
		dmm_mh_add_opt(&m, DMM_OPT_HNP)->u.hnp = prefix_of("2001:db8:2::/64");
		n = dmm_mh_encode(buf, sizeof(buf), &m);
		L1->sent[DMM_MH_LRA] = 0;
		/* From MAG1, which does not serve MN1: 129 (the LRA goes to MAG1, which ignores it). */
		L1->ops->recv(L1->inst, &M1->addr, &L1->addr, buf, (size_t)n, T);
		CHECK_EQ(L1->sent[DMM_MH_LRA], 1);
		CHECK(QN > 0 && Q[QN - 1].buf[2] == DMM_MH_LRA &&
		      Q[QN - 1].buf[9] == DMM_LRA_MN_NOT_ATTACHED);
		/* From MAG2, which does: 0, the tuples echoed. */
		L1->ops->recv(L1->inst, &M2->addr, &L1->addr, buf, (size_t)n, T);
		CHECK(QN > 0 && Q[QN - 1].buf[2] == DMM_MH_LRA && Q[QN - 1].buf[9] == DMM_LRA_SUCCESS);
		{
			struct dmm_mh_msg a;

			CHECK(dmm_mh_decode(&a, Q[QN - 1].buf, Q[QN - 1].len) > 0 &&
			      dmm_mh_count_opt(&a, DMM_OPT_MNID) == 2 && a.u.lr.seq == 9 &&
			      a.u.lr.lifetime == 100);
		}
		/* One tuple only: not an LRI of §10.1, 128. */
		m.nopts = 2;
		n = dmm_mh_encode(buf, sizeof(buf), &m);
		L1->ops->recv(L1->inst, &M2->addr, &L1->addr, buf, (size_t)n, T);
		CHECK(QN > 0 && Q[QN - 1].buf[9] == DMM_LRA_NOT_ALLOWED);
	}
	run(20 * DMM_MSEC);
	CHECK_EQ(M2->ops->detach(M2->inst, &MN1, T), 0);
	run(20 * DMM_MSEC);
	teardown();
}

/* §10.1, §12: LRI again after LRA_WAIT_TIME, up to LRI_RETRIES; §4: a finite lifetime runs out. */
static void t_timers(void)
{
	setup(true, 0, false);
	L2->drop_lra = true;
	attach_both();
	CHECK_EQ(M1->sent[DMM_MH_LRI], 2);
	run(3 * DMM_SECOND + 10 * DMM_MSEC);
	CHECK_EQ(M1->sent[DMM_MH_LRI], 3); /* only to the LMA that did not answer */
	run(6 * DMM_SECOND);
	CHECK_EQ(M1->sent[DMM_MH_LRI], 5); /* LRI_RETRIES 3 */
	CHECK_EQ(ctr(M1)->no_answer, 0);
	run(3 * DMM_SECOND);
	CHECK_EQ(M1->sent[DMM_MH_LRI], 5);
	CHECK_EQ(ctr(M1)->no_answer, 1);
	CHECK_EQ(nlre(M1), 0);
	teardown();

	setup(true, 100, false);
	attach_both();
	CHECK_EQ(nlre(M1), 2);
	run(81 * DMM_SECOND); /* 80%: asked again, answered, still on */
	CHECK_EQ(M1->sent[DMM_MH_LRI], 4);
	CHECK_EQ(nlre(M1), 2);
	L1->drop_lra = true;
	run(101 * DMM_SECOND); /* the next refresh (160 s) goes unanswered: the tunnels again at 180 s */
	CHECK_EQ(nlre(M1), 0);
	CHECK_EQ(ctr(M1)->no_answer, 1);
	teardown();

	/* §3.1: both MNs at the same LMA: the MAG MUST NOT initiate. */
	setup(true, 0, true);
	attach_both();
	CHECK_EQ(M1->sent[DMM_MH_LRI], 0);
	teardown();
}

/* --- scenario A11 (§5) --- */

static struct dmm_mnid MN3 = {.subtype = DMM_MNID_EUI48, .len = 6, .id = {2, 0, 0, 0, 3, 1}};

/* The role counter name of node n. */
static uint64_t rc(const struct node *n, const char *name)
{
	struct dmm_role_counter c[32];
	size_t k = n->ops->counters(n->inst, c, 32);

	for (size_t i = 0; i < k; i++)
		if (strcmp(c[i].name, name) == 0)
			return c[i].value;
	return UINT64_MAX;
}

/* The status of the last LRA node n sent. */
static int last_lra(const struct node *n)
{
	return n->last_status;
}

/* MN1 on MAG1 link 1, then MN2 on link 2, both at LMA1. */
static void attach_seq(void)
{
	CHECK_EQ(M1->ops->attach(M1->inst, &MN1, 1, MN1.id, 6, DMM_ATT_8023, T), 0);
	run(20 * DMM_MSEC);
	CHECK_EQ(M1->ops->attach(M1->inst, &MN2, 2, MN2.id, 6, DMM_ATT_8023, T), 0);
	run(20 * DMM_MSEC);
}

static void a11_setup(bool initiate, bool mag_local)
{
	memset(&A11, 0, sizeof(A11));
	A11.initiate = initiate;
	A11.mag_local = mag_local;
}

/* §5 Figure 2, §5.1, §4; §3.1: MAG1 itself sends no LRI. */
static void t_a11(void)
{
	struct dmm_prefix h1, h2, h3;

	a11_setup(true, true);
	setup(true, 0, true);
	CHECK_EQ(M1->ops->attach(M1->inst, &MN1, 1, MN1.id, 6, DMM_ATT_8023, T), 0);
	run(20 * DMM_MSEC);
	CHECK_EQ(L1->sent[DMM_MH_LRI], 0); /* one MN: nothing to pair */
	CHECK_EQ(M1->ops->attach(M1->inst, &MN2, 2, MN2.id, 6, DMM_ATT_8023, T), 0);
	run(20 * DMM_MSEC);
	h1 = entry(M1, &MN1)->hnp[0];
	h2 = entry(M1, &MN2)->hnp[0];
	CHECK_EQ(L1->sent[DMM_MH_LRI], 1);
	CHECK_EQ(L1->last_first, 1); /* [MN1-ID, MN1-HNP] first: MN1 was there first */
	CHECK_EQ(L1->last_lt, DMM_LR_LIFETIME_INFINITE);
	CHECK_EQ(M1->sent[DMM_MH_LRA], 1);
	CHECK_EQ(last_lra(M1), DMM_LRA_SUCCESS);
	CHECK_EQ(M1->sent[DMM_MH_LRI], 0);
	CHECK_EQ(ctr(M1)->lri_taken, 1);
	CHECK_EQ(ctr(M1)->active, 1);
	CHECK_EQ(rc(L1, "lr-started"), 1);
	CHECK_EQ(rc(L1, "lr-active"), 1);
	CHECK(lre(M1, &h2, 1) != NULL);
	CHECK(lre(M1, &h1, 2) != NULL);
	CHECK_EQ(nlre(M1), 2);
	/* Refreshes of both bindings: nothing new. */
	run(600 * DMM_SECOND);
	CHECK_EQ(L1->sent[DMM_MH_LRI], 1);
	CHECK_EQ(nlre(M1), 2);

	/* §5.1: MN1 moves to MAG2: MAG1 drops the LREs at once, LMA1 ends the pair with lifetime 0. */
	CHECK_EQ(M1->ops->detach(M1->inst, &MN1, T), 0);
	CHECK_EQ(nlre(M1), 0);
	CHECK_EQ(M2->ops->attach(M2->inst, &MN1, 5, MN1.id, 6, DMM_ATT_8023, T), 0);
	run(20 * DMM_MSEC);
	CHECK_EQ(L1->sent[DMM_MH_LRI], 2);
	CHECK_EQ(L1->last_lt, 0);
	CHECK_EQ(rc(L1, "lr-active"), 0);
	CHECK_EQ(rc(L1, "lr-ended"), 1);
	CHECK_EQ(nlre(M1), 0);
	CHECK_EQ(nlre(M2), 0);
	CHECK_EQ(M2->sent[DMM_MH_LRI], 0);
	/* Back at MAG1: paired again. */
	CHECK_EQ(M2->ops->detach(M2->inst, &MN1, T), 0);
	CHECK_EQ(M1->ops->attach(M1->inst, &MN1, 1, MN1.id, 6, DMM_ATT_8023, T), 0);
	run(20 * DMM_MSEC);
	CHECK_EQ(L1->sent[DMM_MH_LRI], 3);
	CHECK_EQ(L1->last_first, 2); /* MN2 was there first this time */
	CHECK_EQ(rc(L1, "lr-active"), 1);
	CHECK_EQ(nlre(M1), 2);

	/* A third MN pairs with both; MN2's de-registration ends its pairs only. */
	CHECK_EQ(M1->ops->attach(M1->inst, &MN3, 3, MN3.id, 6, DMM_ATT_8023, T), 0);
	run(20 * DMM_MSEC);
	h3 = entry(M1, &MN3)->hnp[0];
	CHECK_EQ(L1->sent[DMM_MH_LRI], 5);
	CHECK_EQ(rc(L1, "lr-active"), 3);
	CHECK_EQ(nlre(M1), 6);
	CHECK_EQ(M1->ops->detach(M1->inst, &MN2, T), 0);
	run(20 * DMM_MSEC);
	CHECK_EQ(L1->sent[DMM_MH_LRI], 7);
	CHECK_EQ(rc(L1, "lr-active"), 1);
	CHECK_EQ(nlre(M1), 2);
	CHECK(lre(M1, &h3, 1) != NULL && lre(M1, &h1, 3) != NULL);
	CHECK(lre(M1, &h2, 1) == NULL);
	CHECK_EQ(M1->ops->detach(M1->inst, &MN1, T), 0);
	CHECK_EQ(M1->ops->detach(M1->inst, &MN3, T), 0);
	run(20 * DMM_MSEC);
	CHECK_EQ(rc(L1, "lr-active"), 0);
	CHECK_EQ(nlre(M1), 0);
	teardown();
}

/* An LRI as LMA1 would send it, for MN a's and MN b's tuples (HNPs ha, hb); ntuples 1 or 2. */
static int make_lri(uint8_t *buf, size_t cap, const struct dmm_mnid *a, const struct dmm_prefix *ha,
		    const struct dmm_mnid *b, const struct dmm_prefix *hb, unsigned ntuples)
{
	struct dmm_mh_msg m;
	const struct dmm_mnid *id[2] = {a, b};
	const struct dmm_prefix *h[2] = {ha, hb};

	dmm_mh_init(&m, DMM_MH_LRI);
	m.u.lr.seq = 77;
	m.u.lr.lifetime = 100;
	for (unsigned k = 0; k < ntuples; k++) {
		struct dmm_mh_opt *o = dmm_mh_add_opt(&m, DMM_OPT_MNID);

		o->u.mnid.subtype = id[k]->subtype;
		o->u.mnid.id.len = id[k]->len;
		memcpy(o->u.mnid.id.b, id[k]->id, id[k]->len);
		dmm_mh_add_opt(&m, DMM_OPT_HNP)->u.hnp = *h[k];
	}
	return dmm_mh_encode(buf, cap, &m);
}

/* §5: 128 without EnableMAGLocalRouting; §10.2: 129 for an MN not attached; §10.1: 128 for one tuple. */
static void t_a11_refused(void)
{
	struct dmm_prefix h1, h2, other = prefix_of("2001:db8:1:ff::/64");
	uint8_t buf[256];
	int n;

	a11_setup(true, false);
	setup(true, 0, true);
	attach_seq();
	CHECK_EQ(L1->sent[DMM_MH_LRI], 1);
	CHECK_EQ(last_lra(M1), DMM_LRA_NOT_ALLOWED);
	CHECK_EQ(ctr(M1)->lri_refused, 1);
	CHECK_EQ(rc(L1, "lr-lri-refused"), 1);
	CHECK_EQ(rc(L1, "lr-active"), 0);
	CHECK_EQ(nlre(M1), 0);
	run(600 * DMM_SECOND); /* not asked again while both stay */
	CHECK_EQ(L1->sent[DMM_MH_LRI], 1);
	teardown();

	a11_setup(false, true);
	setup(true, 0, true);
	attach_seq();
	CHECK_EQ(L1->sent[DMM_MH_LRI], 0); /* LMA1 does not initiate */
	h1 = entry(M1, &MN1)->hnp[0];
	h2 = entry(M1, &MN2)->hnp[0];
	/* An HNP that is not the MN's: 129. */
	n = make_lri(buf, sizeof(buf), &MN1, &h1, &MN2, &other, 2);
	M1->ops->recv(M1->inst, &L1->addr, &M1->addr, buf, (size_t)n, T);
	CHECK_EQ(last_lra(M1), DMM_LRA_MN_NOT_ATTACHED);
	/* An MN not here: 129. */
	n = make_lri(buf, sizeof(buf), &MN1, &h1, &MN3, &h2, 2);
	M1->ops->recv(M1->inst, &L1->addr, &M1->addr, buf, (size_t)n, T);
	CHECK_EQ(last_lra(M1), DMM_LRA_MN_NOT_ATTACHED);
	/* From LMA2, which anchors neither: 129. */
	n = make_lri(buf, sizeof(buf), &MN1, &h1, &MN2, &h2, 2);
	M1->ops->recv(M1->inst, &L2->addr, &M1->addr, buf, (size_t)n, T);
	CHECK_EQ(last_lra(M1), DMM_LRA_MN_NOT_ATTACHED);
	/* One tuple: 128. */
	n = make_lri(buf, sizeof(buf), &MN1, &h1, &MN2, &h2, 1);
	M1->ops->recv(M1->inst, &L1->addr, &M1->addr, buf, (size_t)n, T);
	CHECK_EQ(last_lra(M1), DMM_LRA_NOT_ALLOWED);
	CHECK_EQ(nlre(M1), 0);
	CHECK_EQ(ctr(M1)->lri_refused, 4);
	/* The right one: 0, and the LREs; lifetime 100 s: gone at its end without a new LRI (§4). */
	n = make_lri(buf, sizeof(buf), &MN1, &h1, &MN2, &h2, 2);
	M1->ops->recv(M1->inst, &L1->addr, &M1->addr, buf, (size_t)n, T);
	CHECK_EQ(last_lra(M1), DMM_LRA_SUCCESS);
	CHECK_EQ(nlre(M1), 2);
	run(99 * DMM_SECOND);
	CHECK_EQ(nlre(M1), 2);
	M1->ops->recv(M1->inst, &L1->addr, &M1->addr, buf, (size_t)n, T); /* refreshed: 100 s more */
	run(99 * DMM_SECOND);
	CHECK_EQ(nlre(M1), 2);
	run(2 * DMM_SECOND);
	CHECK_EQ(nlre(M1), 0);
	CHECK_EQ(ctr(M1)->active, 0);
	/* Lifetime 0 ends it at once (§4). */
	M1->ops->recv(M1->inst, &L1->addr, &M1->addr, buf, (size_t)n, T);
	CHECK_EQ(nlre(M1), 2);
	buf[10] = buf[11] = 0;
	buf[4] = buf[5] = 0; /* checksum: not checked by the role (io/ does) */
	M1->ops->recv(M1->inst, &L1->addr, &M1->addr, buf, (size_t)n, T);
	CHECK_EQ(last_lra(M1), DMM_LRA_SUCCESS);
	CHECK_EQ(nlre(M1), 0);
	teardown();
}

/* §10.1, §12: LMA1's retransmissions; §4: its refresh at 80% of a finite lifetime; the policy's pairs. */
static void t_a11_timers(void)
{
	a11_setup(true, true);
	setup(true, 0, true);
	M1->drop_lra = true;
	attach_seq();
	CHECK_EQ(L1->sent[DMM_MH_LRI], 1);
	run(3 * DMM_SECOND + 10 * DMM_MSEC);
	CHECK_EQ(L1->sent[DMM_MH_LRI], 2);
	run(6 * DMM_SECOND);
	CHECK_EQ(L1->sent[DMM_MH_LRI], 4); /* LRI_RETRIES 3 */
	CHECK_EQ(nlre(M1), 2);		   /* MAG1 took them; its LRAs were lost */
	run(10 * DMM_SECOND);
	CHECK_EQ(L1->sent[DMM_MH_LRI], 5); /* given up: lifetime 0, so that MAG1 ends it too */
	CHECK_EQ(L1->last_lt, 0);
	CHECK_EQ(nlre(M1), 0);
	CHECK_EQ(rc(L1, "lr-started"), 0);
	teardown();

	a11_setup(true, true);
	A11.lma_lt = 100;
	setup(true, 0, true);
	attach_seq();
	CHECK_EQ(L1->last_lt, 100);
	CHECK_EQ(nlre(M1), 2);
	run(81 * DMM_SECOND); /* the refresh at 80 s, answered */
	CHECK_EQ(L1->sent[DMM_MH_LRI], 2);
	CHECK_EQ(rc(L1, "lr-active"), 1);
	CHECK_EQ(nlre(M1), 2);
	M1->drop_lra = true; /* the next refresh (160 s) goes unanswered: LMA1 ends it at 180 s */
	run(100 * DMM_SECOND);
	CHECK_EQ(rc(L1, "lr-active"), 0);
	CHECK_EQ(L1->last_lt, 0); /* §4: ended before the lifetime MAG1 took at 160 s */
	CHECK_EQ(nlre(M1), 0);
	teardown();

	/* Policy: a pair of prefixes that does not cover MN2: no LRI; one that does: LRI. */
	a11_setup(true, true);
	A11.pair_a = "2001:db8:1::/48";
	A11.pair_b = "2001:db8:9::/48";
	setup(true, 0, true);
	attach_seq();
	CHECK_EQ(L1->sent[DMM_MH_LRI], 0);
	teardown();
	a11_setup(true, true);
	A11.pair_a = "2001:db8:9::/48";
	A11.pair_b = "2001:db8:1::/48";
	setup(true, 0, true);
	attach_seq();
	CHECK_EQ(L1->sent[DMM_MH_LRI], 0);
	teardown();
	a11_setup(true, true);
	A11.pair_a = "2001:db8:1::/48";
	A11.pair_b = "2001:db8:1::/48";
	setup(true, 0, true);
	attach_seq();
	CHECK_EQ(L1->sent[DMM_MH_LRI], 1);
	CHECK_EQ(nlre(M1), 2);
	teardown();
}

/* §5: "can statically initiate LR based on the EnableMAGLocalRouting configuration variable": no message. */
static void t_a11_static(void)
{
	a11_setup(false, true);
	A11.mag_static = true;
	setup(true, 0, true);
	attach_seq();
	CHECK_EQ(nlre(M1), 2);
	CHECK_EQ(ctr(M1)->active, 1);
	CHECK_EQ(M1->sent[DMM_MH_LRI] + L1->sent[DMM_MH_LRI] + M1->sent[DMM_MH_LRA], 0);
	CHECK_EQ(M1->ops->detach(M1->inst, &MN1, T), 0);
	CHECK_EQ(nlre(M1), 0);
	CHECK_EQ(M1->sent[DMM_MH_LRI], 0);
	teardown();
	/* Without EnableMAGLocalRouting, same_lma does nothing. */
	a11_setup(false, false);
	A11.mag_static = true;
	setup(true, 0, true);
	attach_seq();
	CHECK_EQ(nlre(M1), 0);
	teardown();
}

int main(void)
{
	RN = (struct rn_hooks){.send = on_send, .seed = 0x6705, .verbose = getenv("LR_VERBOSE")};
	t_codec();
	t_a12();
	t_refused();
	t_timers();
	t_a11();
	t_a11_refused();
	t_a11_timers();
	t_a11_static();
	return check_report("test_lr");
}
