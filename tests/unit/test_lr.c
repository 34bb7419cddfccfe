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
	uint8_t last_first; /* last octet of the first MN-ID in the last LRI sent */
#include "rolenet.h"

static struct dmm_policy *POL;
static struct node *L1, *L2, *M1, *M2;
static struct dmm_mnid MN1 = {.subtype = DMM_MNID_EUI48, .len = 6, .id = {2, 0, 0, 0, 1, 1}};
static struct dmm_mnid MN2 = {.subtype = DMM_MNID_EUI48, .len = 6, .id = {2, 0, 0, 0, 2, 1}};

static bool on_send(struct node *n, const uint8_t *buf, size_t len)
{
	if (len > 2 && buf[2] < 32)
		n->sent[buf[2]]++;
	if (len > 2 && buf[2] == DMM_MH_LRI) {
		struct dmm_mh_msg m;

		if (dmm_mh_decode(&m, buf, len) > 0) {
			const struct dmm_mh_opt *o = dmm_mh_find_opt(&m, DMM_OPT_MNID, NULL);

			n->last_lt = m.u.lr.lifetime;
			n->last_first = o ? o->u.mnid.id.b[5] : 0;
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

int main(void)
{
	RN = (struct rn_hooks){.send = on_send, .seed = 0x6705, .verbose = getenv("LR_VERBOSE")};
	t_codec();
	t_a12();
	t_refused();
	t_timers();
	return check_report("test_lr");
}
