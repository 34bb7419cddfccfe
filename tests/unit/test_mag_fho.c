/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * RFC 5949 fast handover end to end: a real LMA and two real MAGs on an
 * in-memory network (a message bus delivering env.send after 1 ms),
 * driven through their ops tables and dmm_mag_handover(). The checks
 * follow §4.1: predictive (Figure 2: HI with the context, HAck, the
 * PMAG's tunnel, the NMAG registered and buffering before the MN
 * arrives, delivery when it does, "forwarding done"), reactive (Figure
 * 3: the PMAG buffers, the NMAG asks its neighbours, HAck with the
 * context, tunnel, then the PBU), and the fallbacks (no answer, refusal,
 * fast handover off).
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
	unsigned nreg, ndereg; /* DMM_MN_REGISTERED / DEREGISTERED events */                                 \
	uint32_t reg_link;     /* link of the last DMM_MN_REGISTERED */                                      \
	unsigned sent[32];     /* messages sent, by MH type */                                               \
	bool drop_hack;	       /* lose every HAck this node sends */
#include "rolenet.h"

static struct dmm_policy *POL;
static struct node *LMA, *M1, *M2;
static struct dmm_mnid MN = {.subtype = DMM_MNID_EUI48, .len = 6, .id = {2, 0, 0, 0, 0, 0x21}};
static const uint8_t LL[6] = {2, 0, 0, 0, 0, 0x21};

/* Count what a node sends by MH type; lose its HAcks if asked to. */
static bool on_send(struct node *n, const uint8_t *buf, size_t len)
{
	if (len > 2 && buf[2] < 32)
		n->sent[buf[2]]++;
	return !(n->drop_hack && len > 2 && buf[2] == DMM_MH_HACK);
}

static void on_event(struct node *n, const struct dmm_mn_event *ev)
{
	if (ev->type == DMM_MN_REGISTERED) {
		n->nreg++;
		n->reg_link = ev->link;
	} else if (ev->type == DMM_MN_DEREGISTERED) {
		n->ndereg++;
	}
}

/* reactive: M1 holds a leaving MN's downlink; neighbours: M2 asks M1 for an unknown MN's context. */
static bool EARLY; /* the next setup's fho.early_reg */

static void setup(bool fho, bool reactive)
{
	struct dmm_lma_cfg lc;
	struct dmm_mag_cfg mc;
	struct dmm_policy_profile prof;
	const char *addr[2] = {"2001:db8:1::1", "2001:db8:2::1"};
	struct node **slot[2] = {&M1, &M2};

	T = 1000 * DMM_SECOND;
	POL = dmm_policy_new(&ALLOC, 8, 8, 1);
	for (unsigned i = 0; i < 2; i++) {
		struct dmm_addr a = addr_of(addr[i]);

		dmm_policy_add_mag(POL, &a);
	}
	memset(&prof, 0, sizeof(prof));
	prof.may_register = true;
	dmm_policy_set_default(POL, &prof);
	dmm_lma_cfg_defaults(&lc);
	lc.addr = addr_of("2001:db8:a::1");
	lc.max_bindings = 16;
	lc.max_peers = 8;
	lc.npool = 1;
	lc.pool[0] = prefix_of("2001:db8:100::/56");
	lc.policy = POL;
	lc.heartbeat_interval = 0;
	LMA = add_node("lma", "2001:db8:a::1", &dmm_lma_ops, &lc);
	for (unsigned i = 0; i < 2; i++) {
		dmm_mag_cfg_defaults(&mc);
		mc.addr = addr_of(addr[i]);
		mc.default_lma = lc.addr;
		mc.max_mns = 16;
		mc.heartbeat_interval = 0;
		mc.fho.enabled = fho;
		mc.fho.reactive = reactive;
		mc.fho.early_reg = EARLY;
		mc.fho.neighbour[0] = addr_of(addr[1 - i]);
		mc.fho.n_neighbour = reactive ? 1 : 0;
		*slot[i] = add_node(i ? "mag2" : "mag1", addr[i], &dmm_mag_ops, &mc);
	}
}

static void teardown(void)
{
	rn_teardown();
	dmm_policy_free(POL);
	POL = NULL;
}

static const struct dmm_intent *live(const struct node *n, uint8_t match, uint8_t action,
				     const struct dmm_addr *peer)
{
	for (unsigned i = 0; i < n->nlive; i++)
		if (n->live[i].match == match && n->live[i].action == action &&
		    (!peer || dmm_addr_eq(&n->live[i].peer, peer)))
			return &n->live[i];
	return NULL;
}

static const struct dmm_bul_entry *entry(const struct node *n)
{
	return dmm_bul_find_mnid(dmm_mag_bul(n->inst), &MN);
}

static const struct dmm_mag_fho_counters *ctr(const struct node *n)
{
	return dmm_mag_fho_counters(n->inst);
}

/* The MN at M1 on link 1, registered. */
static void start_at_m1(void)
{
	CHECK_EQ(M1->ops->attach(M1->inst, &MN, 1, LL, 6, DMM_ATT_80211, T), 0);
	run(10 * DMM_MSEC);
	CHECK(entry(M1) && entry(M1)->state == DMM_BUL_REGISTERED);
}

/* §4.1 Figure 2: the PBU when the MN arrives (step k after h); the downlink comes through the PMAG. */
static void t_predictive(void)
{
	struct dmm_prefix hnp;
	const struct dmm_intent *in;

	setup(true, false);
	start_at_m1();
	hnp = entry(M1)->hnp[0];
	/* Step b-c: the handover indication; the HI carries the context. */
	CHECK_EQ(dmm_mag_handover(M1->inst, &MN, &M2->addr, T), 0);
	CHECK_EQ(dmm_mag_handover(M1->inst, &MN, &M2->addr, T), DMM_ERR_EXISTS);
	CHECK_EQ(M1->sent[DMM_MH_HI], 1);
	run(1 * DMM_MSEC);
	/* Step d at the NMAG: prepared, tunnel accepted, downlink buffered, no PBU yet. */
	CHECK(entry(M2) && entry(M2)->n_hnp == 1 && dmm_prefix_eq(&entry(M2)->hnp[0], &hnp));
	CHECK(live(M2, DMM_FM_DST, DMM_FM_DECAP, &M1->addr) != NULL);
	CHECK(live(M2, DMM_FM_DST, DMM_FM_BUFFER, NULL) != NULL);
	CHECK(live(M2, DMM_FM_DST, DMM_FM_DELIVER, NULL) == NULL);
	CHECK(live(M2, DMM_FM_SRC, DMM_FM_ENCAP, NULL) == NULL); /* no access link to send from yet */
	CHECK_EQ(M2->sent[DMM_MH_HACK], 1);
	CHECK_EQ(M2->sent[DMM_MH_BU], 0);
	run(1 * DMM_MSEC);
	/* Step f with the HAck, before the MN moves (step g): the downlink goes into the tunnel. */
	in = live(M1, DMM_FM_DST, DMM_FM_ENCAP, &M2->addr);
	CHECK(in && dmm_prefix_eq(&in->prefix, &hnp));
	CHECK(live(M1, DMM_FM_DST, DMM_FM_DELIVER, NULL) == NULL);
	CHECK(live(M1, DMM_FM_SRC, DMM_FM_ENCAP, &LMA->addr) != NULL); /* the uplink still goes from here */
	run(5 * DMM_MSEC);
	CHECK_EQ(M2->nreg, 0);
	/* The MN leaves: the tunnel stays, no de-registration. */
	CHECK_EQ(M1->ops->detach(M1->inst, &MN, T), 0);
	CHECK(live(M1, DMM_FM_DST, DMM_FM_ENCAP, &M2->addr) != NULL);
	CHECK(live(M1, DMM_FM_DST, DMM_FM_DELIVER, NULL) == NULL);
	run(2 * DMM_MSEC);
	CHECK_EQ(M1->sent[DMM_MH_BU], 1);
	/* Step h-i, k: the MN attaches; delivery replaces the buffer, then the PBU (HI 3, the HNP). */
	CHECK_EQ(M2->ops->attach(M2->inst, &MN, 7, LL, 6, DMM_ATT_80211, T), 0);
	in = live(M2, DMM_FM_DST, DMM_FM_DELIVER, NULL);
	CHECK(in && in->link == 7 && dmm_prefix_eq(&in->prefix, &hnp));
	CHECK(live(M2, DMM_FM_DST, DMM_FM_BUFFER, NULL) == NULL);
	in = live(M2, DMM_FM_SRC, DMM_FM_ENCAP, &LMA->addr);
	CHECK(in && in->link == 7);
	CHECK_EQ(M2->sent[DMM_MH_BU], 1);
	run(5 * DMM_MSEC);
	/* Step l: registered with the same prefix, advertised on the MN's link. */
	CHECK(entry(M2)->state == DMM_BUL_REGISTERED && dmm_prefix_eq(&entry(M2)->hnp[0], &hnp));
	CHECK(M2->nreg == 1 && M2->reg_link == 7);
	CHECK_EQ(ctr(M2)->predictive, 1);
	/* The hold ends: HI Code 2, the PMAG lets the entry go, the NMAG drops its end. */
	run(1100 * DMM_MSEC);
	CHECK(entry(M1) == NULL);
	CHECK_EQ(M1->nlive, 0);
	CHECK_EQ(M1->sent[DMM_MH_BU], 1);
	CHECK(live(M2, DMM_FM_DST, DMM_FM_DECAP, &M1->addr) == NULL);
	CHECK(live(M2, DMM_FM_DST, DMM_FM_DELIVER, NULL) != NULL);
	CHECK(entry(M2)->state == DMM_BUL_REGISTERED);
	CHECK_EQ(ctr(M1)->hi_sent, 2);
	CHECK_EQ(ctr(M1)->forwarded_out, 1);
	teardown();
}

/*
 * Predictive, registration at the attach, on a data plane that passes a
 * BUFFER's peer (fm.h DMM_FM_CAP_PASS): N_ORDER holds what the LMA sends
 * straight while the PMAG's packets go on to the MN (the BUFFER names the
 * PMAG and the MN's link), until order-wait after the PBA.
 */
static void t_predictive_pass(void)
{
	const struct dmm_intent *in;

	RN.fm_caps = DMM_FM_CAP_PASS;
	setup(true, false);
	RN.fm_caps = 0;
	start_at_m1();
	CHECK_EQ(dmm_mag_handover(M1->inst, &MN, &M2->addr, T), 0);
	run(2 * DMM_MSEC);
	CHECK(live(M2, DMM_FM_DST, DMM_FM_BUFFER, &M1->addr) &&
	      live(M2, DMM_FM_DST, DMM_FM_BUFFER, NULL)->link == 0);
	CHECK_EQ(M1->ops->detach(M1->inst, &MN, T), 0);
	CHECK_EQ(M2->ops->attach(M2->inst, &MN, 7, LL, 6, DMM_ATT_80211, T), 0);
	in = live(M2, DMM_FM_DST, DMM_FM_BUFFER, &M1->addr);
	CHECK(in && in->link == 7);
	CHECK(live(M2, DMM_FM_DST, DMM_FM_DELIVER, NULL) == NULL);
	CHECK_EQ(M2->sent[DMM_MH_BU], 1);
	run(4 * DMM_MSEC); /* the PBA at 2 ms */
	CHECK(entry(M2)->state == DMM_BUL_REGISTERED);
	CHECK(live(M2, DMM_FM_DST, DMM_FM_BUFFER, &M1->addr) != NULL);
	run(4 * DMM_MSEC); /* order-wait 5 ms after it */
	in = live(M2, DMM_FM_DST, DMM_FM_DELIVER, NULL);
	CHECK(in && in->link == 7);
	CHECK(live(M2, DMM_FM_DST, DMM_FM_BUFFER, NULL) == NULL);
	teardown();
}

/* fho.early_reg: the NMAG registers before the MN arrives and buffers what the LMA sends it. */
static void t_predictive_early(void)
{
	EARLY = true;
	setup(true, false);
	EARLY = false;
	start_at_m1();
	CHECK_EQ(dmm_mag_handover(M1->inst, &MN, &M2->addr, T), 0);
	run(10 * DMM_MSEC);
	CHECK_EQ(M2->sent[DMM_MH_BU], 1);
	CHECK(entry(M2) && entry(M2)->state == DMM_BUL_REGISTERED);
	CHECK_EQ(M2->nreg, 0);					       /* no link: nothing advertised */
	CHECK(live(M2, DMM_FM_DST, DMM_FM_BUFFER, &M1->addr) != NULL); /* the PMAG's packets ahead (fm.h) */
	/* The LMA's BRI does not end the PMAG's part: it forwards to the NMAG since the HAck. */
	CHECK(entry(M1) != NULL && live(M1, DMM_FM_DST, DMM_FM_ENCAP, &M2->addr) != NULL);
	CHECK_EQ(M1->ops->detach(M1->inst, &MN, T), 0);
	CHECK(live(M1, DMM_FM_DST, DMM_FM_ENCAP, &M2->addr) != NULL);
	CHECK_EQ(M2->ops->attach(M2->inst, &MN, 7, LL, 6, DMM_ATT_80211, T), 0);
	CHECK(M2->nreg == 1 && M2->reg_link == 7);
	CHECK_EQ(M2->sent[DMM_MH_BU], 1); /* no second PBU */
	CHECK(live(M2, DMM_FM_DST, DMM_FM_DELIVER, NULL) != NULL);
	run(1100 * DMM_MSEC);
	CHECK(entry(M1) == NULL);
	teardown();
}

/* §4.1 Figure 3. */
static void t_reactive(void)
{
	struct dmm_prefix hnp;
	const struct dmm_intent *in;

	setup(true, true);
	start_at_m1();
	hnp = entry(M1)->hnp[0];
	/* The MN leaves: the PMAG holds its downlink, no de-registration. */
	CHECK_EQ(M1->ops->detach(M1->inst, &MN, T), 0);
	CHECK(live(M1, DMM_FM_DST, DMM_FM_BUFFER, NULL) != NULL);
	CHECK_EQ(M1->sent[DMM_MH_BU], 1);
	run(20 * DMM_MSEC);
	/* It appears at the NMAG: HI with a Context Request, no PBU yet. */
	CHECK_EQ(M2->ops->attach(M2->inst, &MN, 3, LL, 6, DMM_ATT_80211, T), 0);
	CHECK_EQ(M2->sent[DMM_MH_HI], 1);
	CHECK_EQ(M2->sent[DMM_MH_BU], 0);
	run(1 * DMM_MSEC);
	/* Step d at the PMAG: the context goes back (HI {U}), the buffer stays until the HI {F}. */
	CHECK_EQ(M1->sent[DMM_MH_HACK], 1);
	CHECK(live(M1, DMM_FM_DST, DMM_FM_BUFFER, NULL) != NULL);
	CHECK(live(M1, DMM_FM_DST, DMM_FM_ENCAP, &M2->addr) == NULL);
	run(1 * DMM_MSEC);
	/* At the NMAG: the PMAG's HNP, its tunnel accepted, delivered at once, then HI {F} and the PBU. */
	CHECK(entry(M2) && entry(M2)->n_hnp == 1 && dmm_prefix_eq(&entry(M2)->hnp[0], &hnp));
	CHECK(live(M2, DMM_FM_DST, DMM_FM_DECAP, &M1->addr) != NULL);
	in = live(M2, DMM_FM_DST, DMM_FM_DELIVER, NULL);
	CHECK(in && in->link == 3);
	CHECK_EQ(M2->sent[DMM_MH_HI], 2);
	CHECK_EQ(M2->sent[DMM_MH_BU], 0); /* after the HAck to HI {F}: the buffer goes first */
	run(1 * DMM_MSEC);
	/* Step e at the PMAG: the buffer into the tunnel. */
	CHECK_EQ(M1->sent[DMM_MH_HACK], 2);
	CHECK(live(M1, DMM_FM_DST, DMM_FM_ENCAP, &M2->addr) != NULL);
	CHECK(live(M1, DMM_FM_DST, DMM_FM_BUFFER, NULL) == NULL);
	run(1 * DMM_MSEC);
	CHECK_EQ(M2->sent[DMM_MH_BU], 1);
	/* Registering with the tunnel on: the downlink held, the PMAG's packets ahead (N_ORDER). */
	CHECK(live(M2, DMM_FM_DST, DMM_FM_BUFFER, &M1->addr) != NULL);
	CHECK(live(M2, DMM_FM_DST, DMM_FM_DELIVER, NULL) == NULL);
	run(5 * DMM_MSEC);
	/* The LMA kept the prefix (a handoff, not a new session). */
	CHECK(entry(M2)->state == DMM_BUL_REGISTERED && dmm_prefix_eq(&entry(M2)->hnp[0], &hnp));
	CHECK(M2->nreg == 1 && M2->reg_link == 3);
	run(5 * DMM_MSEC); /* order-wait after the PBA: delivered on the link */
	in = live(M2, DMM_FM_DST, DMM_FM_DELIVER, NULL);
	CHECK(in && in->link == 3);
	CHECK(live(M2, DMM_FM_DST, DMM_FM_BUFFER, NULL) == NULL);
	CHECK_EQ(ctr(M2)->reactive, 1);
	run(1100 * DMM_MSEC);
	CHECK(entry(M1) == NULL);
	CHECK(live(M2, DMM_FM_DST, DMM_FM_DECAP, &M1->addr) == NULL);
	teardown();
}

/* The fallbacks: no HAck (predictive), nobody holds the context (reactive), hold without HI. */
static void t_fallbacks(void)
{
	/* Predictive, the NMAG's HAcks lost: the PMAG delivers again after hi_wait. */
	setup(true, false);
	start_at_m1();
	M2->drop_hack = true;
	CHECK_EQ(dmm_mag_handover(M1->inst, &MN, &M2->addr, T), 0);
	run(300 * DMM_MSEC);
	CHECK_EQ(ctr(M1)->no_answer, 1);
	CHECK(live(M1, DMM_FM_DST, DMM_FM_DELIVER, NULL) != NULL);
	CHECK(live(M1, DMM_FM_DST, DMM_FM_ENCAP, NULL) == NULL);
	teardown();

	/* Predictive, the MN never leaves: forwarded from the HAck on, delivered here again after mn_wait. */
	setup(true, false);
	start_at_m1();
	CHECK_EQ(dmm_mag_handover(M1->inst, &MN, &M2->addr, T), 0);
	run(10 * DMM_MSEC);
	CHECK(live(M1, DMM_FM_DST, DMM_FM_ENCAP, &M2->addr) != NULL);
	run(5100 * DMM_MSEC);
	CHECK(live(M1, DMM_FM_DST, DMM_FM_DELIVER, NULL) != NULL);
	CHECK(live(M1, DMM_FM_DST, DMM_FM_ENCAP, NULL) == NULL);
	CHECK(entry(M1) && entry(M1)->state == DMM_BUL_REGISTERED);
	teardown();

	/* Reactive, an MN nobody knows: the neighbour answers 131 and the plain PBU follows. */
	setup(true, true);
	CHECK_EQ(M2->ops->attach(M2->inst, &MN, 3, LL, 6, DMM_ATT_80211, T), 0);
	run(10 * DMM_MSEC);
	CHECK_EQ(M1->sent[DMM_MH_HACK], 1);
	CHECK(entry(M2) && entry(M2)->state == DMM_BUL_REGISTERED);
	CHECK_EQ(M2->nreg, 1);
	teardown();

	/* Reactive PMAG, no NMAG asks: the plain de-registration when the hold ends. */
	setup(true, true);
	start_at_m1();
	CHECK_EQ(M1->ops->detach(M1->inst, &MN, T), 0);
	run(900 * DMM_MSEC);
	CHECK_EQ(M1->sent[DMM_MH_BU], 1);
	run(200 * DMM_MSEC);
	CHECK_EQ(M1->sent[DMM_MH_BU], 2);
	CHECK(entry(M1) == NULL);
	teardown();

	/* Fast handover off: HI answered 129, dmm_mag_handover() refused, plain detach. */
	setup(false, false);
	start_at_m1();
	CHECK_EQ(dmm_mag_handover(M1->inst, &MN, &M2->addr, T), DMM_ERR_INVAL);
	CHECK_EQ(M1->ops->detach(M1->inst, &MN, T), 0);
	CHECK_EQ(M1->sent[DMM_MH_BU], 2);
	run(10 * DMM_MSEC);
	teardown();
}

/* HI and HAck the MAG must not act on (§6.1: P, MN-ID). */
static void t_bad_hi(void)
{
	uint8_t buf[128];
	struct dmm_mh_msg m;
	struct dmm_addr from;
	int n;

	setup(true, false);
	from = M1->addr;
	dmm_mh_init(&m, DMM_MH_HI); /* no P, no MN-ID: RFC 5568's HI */
	m.u.hi.seq = 5;
	n = dmm_mh_encode(buf, sizeof(buf), &m);
	CHECK(n > 0);
	M2->ops->recv(M2->inst, &from, &M2->addr, buf, (size_t)n, T);
	m.u.hi.flags = DMM_HI_P; /* P but no MN-ID */
	n = dmm_mh_encode(buf, sizeof(buf), &m);
	M2->ops->recv(M2->inst, &from, &M2->addr, buf, (size_t)n, T);
	CHECK_EQ(ctr(M2)->hi_bad, 2);
	CHECK_EQ(M2->sent[DMM_MH_HACK], 0);
	/* A HAck for no HI of ours. */
	dmm_mh_init(&m, DMM_MH_HACK);
	m.u.hi.flags = DMM_HACK_P;
	dmm_mh_add_opt(&m, DMM_OPT_MNID)->u.mnid.subtype = DMM_MNID_EUI48;
	m.opts[0].u.mnid.id.len = 6;
	memcpy(m.opts[0].u.mnid.id.b, LL, 6);
	n = dmm_mh_encode(buf, sizeof(buf), &m);
	M2->ops->recv(M2->inst, &from, &M2->addr, buf, (size_t)n, T);
	CHECK(entry(M2) == NULL);
	CHECK_EQ(M2->nlive, 0);
	teardown();
}

int main(void)
{
	RN = (struct rn_hooks){
		.event = on_event, .send = on_send, .seed = 0x2000, .verbose = getenv("FHO_VERBOSE")};
	t_predictive();
	t_predictive_early();
	t_predictive_pass();
	t_reactive();
	t_fallbacks();
	t_bad_hi();
	return check_report("test_mag_fho");
}
