/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * RFC 5949 fast handover between MAARs (RFC 8885) end to end: the real
 * CMD and two real MAARs on an in-memory network (rolenet.h: env.send
 * delivered after 1 ms), driven through their ops tables and
 * dmm_maar_handover(). The checks follow RFC 5949 §4.1 on distributed
 * anchors: predictive (Figure 2: HI with the context, each prefix with
 * its anchor; HAck; the PMAAR's anchor tunnel to the NMAAR at once; the
 * NMAAR buffering every prefix until the MN arrives, then delivering and
 * registering), reactive (Figure 3: the PMAAR holds every prefix, the
 * NMAAR asks its neighbour, gets the context, accepts the tunnel, asks
 * for the forwarding, then registers), both ways between the two MAARs
 * (the NMAAR anchoring one of the MN's prefixes itself), and the
 * fallbacks (no answer, the MN staying, fast handover off at the NMAAR).
 * In no case does the PMAAR de-register the MN at the CMD.
 */
#include <stdlib.h>

#include "check.h"
#include "dmm/cmd.h"
#include "dmm/err.h"
#include "dmm/fmt.h"
#include "dmm/maar.h"
#include "dmm/mh.h"
#include "dmm/policy.h"
#include "helpers.h"

#define RN_NODE_EXTRA                                                                                        \
	unsigned nreg, ndereg; /* DMM_MN_REGISTERED / DEREGISTERED events */                                 \
	uint32_t reg_link;     /* link of the last DMM_MN_REGISTERED */                                      \
	unsigned sent[32];     /* messages sent, by MH type */                                               \
	unsigned dereg;	       /* PBUs with lifetime 0 sent */
#include "rolenet.h"

static struct dmm_policy *POL;
static struct node *CMDN, *M1, *M2, *M3;
static unsigned NMAARS = 2; /* the next setup's MAARs: 2 or 3 */
static struct dmm_mnid MN = {.subtype = DMM_MNID_EUI48, .len = 6, .id = {2, 0, 0, 0, 0, 0x31}};
static const uint8_t LL[6] = {2, 0, 0, 0, 0, 0x31};

static bool on_send(struct node *n, const uint8_t *buf, size_t len)
{
	struct dmm_mh_msg m;

	if (len > 2 && buf[2] < 32)
		n->sent[buf[2]]++;
	if (len > 2 && buf[2] == DMM_MH_BU && dmm_mh_decode(&m, buf, len) >= 0 && m.u.bu.lifetime == 0)
		n->dereg++;
	return true;
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

/* Two MAARs with fast handover (reactive: neighbours too); m2_on: MAAR2's fast handover. */
static void setup(bool reactive, bool m2_on)
{
	struct dmm_cmd_cfg cc;
	struct dmm_maar_cfg mc;
	struct dmm_policy_profile prof;
	const char *addr[3] = {"2001:db8:1::1", "2001:db8:2::1", "2001:db8:3::1"};
	const char *pool[3] = {"2001:db8:100::/56", "2001:db8:200::/56", "2001:db8:300::/56"};
	const char *name[3] = {"maar1", "maar2", "maar3"};
	struct node **slot[3] = {&M1, &M2, &M3};

	T = 1000 * DMM_SECOND;
	POL = dmm_policy_new(&ALLOC, 8, 8, 1);
	for (unsigned i = 0; i < NMAARS; i++) {
		struct dmm_addr a = addr_of(addr[i]);

		dmm_policy_add_mag(POL, &a);
	}
	memset(&prof, 0, sizeof(prof));
	prof.may_register = true;
	dmm_policy_set_default(POL, &prof);
	dmm_cmd_cfg_defaults(&cc);
	cc.addr = addr_of("2001:db8:c::1");
	cc.policy = POL;
	cc.max_mns = 16;
	cc.max_maars = 8;
	CMDN = add_node("cmd", "2001:db8:c::1", &dmm_cmd_ops, &cc);
	for (unsigned i = 0; i < NMAARS; i++) {
		dmm_maar_cfg_defaults(&mc);
		mc.addr = addr_of(addr[i]);
		mc.cmd = cc.addr;
		mc.pool[0] = prefix_of(pool[i]);
		mc.npool = 1;
		mc.max_mns = 16;
		mc.heartbeat_interval = 0;
		mc.fho.enabled = i == 0 || m2_on;
		mc.fho.reactive = reactive;
		mc.fho.hold = 300 * DMM_MSEC;
		for (unsigned k = 0; reactive && k < NMAARS; k++)
			if (k != i)
				mc.fho.neighbour[mc.fho.n_neighbour++] = addr_of(addr[k]);
		*slot[i] = add_node(name[i], addr[i], &dmm_maar_ops, &mc);
	}
}

static void teardown(void)
{
	rn_teardown();
	dmm_policy_free(POL);
	POL = NULL;
}

static const struct dmm_intent *live(const struct node *n, uint8_t match, uint8_t action,
				     const struct dmm_prefix *p, const struct dmm_addr *peer)
{
	for (unsigned i = 0; i < n->nlive; i++)
		if (n->live[i].match == match && n->live[i].action == action &&
		    dmm_prefix_eq(&n->live[i].prefix, p) && (!peer || dmm_addr_eq(&n->live[i].peer, peer)))
			return &n->live[i];
	return NULL;
}

/* n, anchor of p, tunnels it to the MAAR at to (RFC 8885 §3.2 step 2). */
static bool anchor_tunnels(const struct node *n, const struct dmm_prefix *p, const struct dmm_addr *to)
{
	return live(n, DMM_FM_DST, DMM_FM_ENCAP, p, to) && live(n, DMM_FM_SRC, DMM_FM_DECAP, p, to);
}

static const struct dmm_bul_entry *serving(const struct node *n)
{
	return dmm_bul_find_mnid(dmm_maar_serving(n->inst), &MN);
}

static const struct dmm_bcache_entry *cmd_entry(void)
{
	return dmm_bcache_find_mnid(dmm_cmd_bcache(CMDN->inst), &MN);
}

static const struct dmm_mag_fho_counters *ctr(const struct node *n)
{
	return dmm_maar_fho_counters(n->inst);
}

/* The MN at n on link, registered; its own prefix there into *p. */
static void start_at(struct node *n, uint32_t link, struct dmm_prefix *p)
{
	CHECK_EQ(n->ops->attach(n->inst, &MN, link, LL, 6, DMM_ATT_80211, T), 0);
	run(20 * DMM_MSEC);
	CHECK(serving(n) && serving(n)->state == DMM_BUL_REGISTERED);
	if (serving(n))
		*p = serving(n)->hnp[0];
}

/* The S-MAAR the CMD holds for the MN is n. */
static bool cmd_says(const struct node *n)
{
	return cmd_entry() && dmm_addr_eq(dmm_bce_pcoa(cmd_entry()), &n->addr);
}

/*
 * Predictive from `from` to `to` (link of the MN there): after the HAck
 * `to` buffers every prefix in ps[0..np), then the link moves. Checks
 * the prepared state before the move and the delivery after it.
 */
static void predictive_move(struct node *from, struct node *to, uint32_t link, const struct dmm_prefix *ps,
			    unsigned np)
{
	unsigned reg0 = to->nreg, dereg0 = from->dereg;

	CHECK_EQ(dmm_maar_handover(from->inst, &MN, &to->addr, T), 0);
	CHECK_EQ(dmm_maar_handover(from->inst, &MN, &to->addr, T), DMM_ERR_EXISTS);
	run(5 * DMM_MSEC);
	/* Steps c-f: prepared at `to`, nothing on a link there, the downlink buffered. */
	CHECK(serving(to) != NULL && serving(to)->ifindex == 0);
	CHECK_EQ(to->nreg, reg0);
	for (unsigned i = 0; i < np; i++) {
		CHECK(live(to, DMM_FM_DST, DMM_FM_BUFFER, &ps[i], NULL) != NULL);
		CHECK(!live(to, DMM_FM_SRC, DMM_FM_ENCAP, &ps[i], NULL));
		CHECK(!live(to, DMM_FM_DST, DMM_FM_DELIVER, &ps[i], NULL));
		/* `from` sends everything to `to` already, as anchor or by the temporary tunnel. */
		CHECK(live(from, DMM_FM_DST, DMM_FM_ENCAP, &ps[i], &to->addr) != NULL);
		CHECK(!live(from, DMM_FM_DST, DMM_FM_DELIVER, &ps[i], NULL));
	}
	CHECK(cmd_says(from));
	/* Step h: the MN moves. */
	CHECK_EQ(from->ops->detach(from->inst, &MN, T), 0);
	run(2 * DMM_MSEC);
	CHECK_EQ(to->ops->attach(to->inst, &MN, link, LL, 6, DMM_ATT_80211, T), 0);
	for (unsigned i = 0; i < np; i++) {
		CHECK(live(to, DMM_FM_DST, DMM_FM_DELIVER, &ps[i], NULL) != NULL);
		CHECK(!live(to, DMM_FM_DST, DMM_FM_BUFFER, &ps[i], NULL));
	}
	run(20 * DMM_MSEC);
	/* Step k: registered at the CMD, which names `to`; `from` ended its entry without a de-registration. */
	CHECK(serving(to) && serving(to)->state == DMM_BUL_REGISTERED);
	CHECK(to->nreg > reg0 && to->reg_link == link);
	CHECK(cmd_says(to));
	CHECK(serving(from) == NULL);
	CHECK_EQ(from->dereg, dereg0);
}

/* §4.1 Figure 2 between MAARs, MAAR1 -> MAAR2 -> MAAR1. */
static void t_predictive(void)
{
	struct dmm_prefix p1, p2, ps[2];

	setup(false, true);
	start_at(M1, 1, &p1);
	ps[0] = p1;
	predictive_move(M1, M2, 2, ps, 1);
	CHECK(anchor_tunnels(M1, &p1, &M2->addr));
	CHECK_EQ(ctr(M1)->forwarded_out, 1);
	CHECK_EQ(ctr(M2)->predictive, 1);
	CHECK(serving(M2) && serving(M2)->n_hnp == 2);
	p2 = serving(M2)->hnp[0];
	CHECK(!dmm_prefix_eq(&p2, &p1));
	/* The old prefix tunnelled from its anchor, with uplink on the link. */
	CHECK(live(M2, DMM_FM_SRC, DMM_FM_ENCAP, &p1, &M1->addr) != NULL);
	CHECK(live(M2, DMM_FM_DST, DMM_FM_DECAP, &p1, &M1->addr) != NULL);
	/* Back: MAAR1 anchors p1 itself, MAAR2 p2. */
	T += DMM_SECOND;
	ps[1] = p2;
	predictive_move(M2, M1, 3, ps, 2);
	CHECK(anchor_tunnels(M2, &p2, &M1->addr));
	CHECK(live(M1, DMM_FM_DST, DMM_FM_DELIVER, &p1, NULL) &&
	      !live(M1, DMM_FM_DST, DMM_FM_ENCAP, &p1, NULL));
	CHECK(live(M1, DMM_FM_SRC, DMM_FM_ENCAP, &p2, &M2->addr) != NULL);
	CHECK_EQ(ctr(M1)->predictive, 1);
	/* Forwarding done (hold): MAAR1's end of MAAR2's tunnel for p1 goes; p2's is its anchor tunnel. */
	run(400 * DMM_MSEC);
	CHECK(!live(M1, DMM_FM_DST, DMM_FM_DECAP, &p1, &M2->addr));
	CHECK(live(M1, DMM_FM_DST, DMM_FM_DECAP, &p2, &M2->addr) != NULL);
	CHECK_EQ(ctr(M1)->no_answer + ctr(M2)->no_answer, 0);
	teardown();
}

/*
 * Reactive from `from` to `to`: the link moves unannounced; `from` holds
 * every prefix in ps[0..np), `to` asks, gets the context and the
 * forwarding, then registers. own: a prefix `to` anchors itself (or NULL),
 * held there until `from`'s buffers are through, theirs released first.
 */
static void reactive_move(struct node *from, struct node *to, uint32_t link, const struct dmm_prefix *ps,
			  unsigned np, const struct dmm_prefix *own)
{
	unsigned dereg0 = from->dereg, bu0 = to->sent[DMM_MH_BU];

	CHECK_EQ(from->ops->detach(from->inst, &MN, T), 0);
	for (unsigned i = 0; i < np; i++)
		CHECK(live(from, DMM_FM_DST, DMM_FM_BUFFER, &ps[i], NULL) != NULL);
	run(2 * DMM_MSEC);
	CHECK_EQ(to->ops->attach(to->inst, &MN, link, LL, 6, DMM_ATT_80211, T), 0);
	/* Step c: HI with a Context Request, no PBU yet. */
	CHECK_EQ(to->sent[DMM_MH_BU], bu0);
	run(3 * DMM_MSEC);
	/* Steps d-e: the context came, HI {F} asked for the buffers, which now go to `to`. */
	for (unsigned i = 0; i < np; i++)
		CHECK(live(from, DMM_FM_DST, DMM_FM_ENCAP, &ps[i], &to->addr) != NULL);
	if (own)
		CHECK(live(to, DMM_FM_DST, DMM_FM_BUFFER, own, &from->addr) != NULL &&
		      !live(to, DMM_FM_DST, DMM_FM_DELIVER, own, NULL));
	run(20 * DMM_MSEC);
	CHECK(serving(to) && serving(to)->state == DMM_BUL_REGISTERED);
	for (unsigned i = 0; i < np; i++)
		CHECK(live(to, DMM_FM_DST, DMM_FM_DELIVER, &ps[i], NULL) != NULL);
	CHECK(cmd_says(to));
	CHECK(serving(from) == NULL);
	CHECK_EQ(from->dereg, dereg0);
}

/* §4.1 Figure 3 between MAARs, MAAR1 -> MAAR2 -> MAAR1. */
static void t_reactive(void)
{
	struct dmm_prefix p1, ps[2];

	setup(true, true);
	start_at(M1, 1, &p1);
	ps[0] = p1;
	reactive_move(M1, M2, 2, ps, 1, NULL);
	CHECK_EQ(ctr(M2)->reactive, 1);
	CHECK(anchor_tunnels(M1, &p1, &M2->addr));
	CHECK(serving(M2) && serving(M2)->n_hnp == 2);
	ps[1] = serving(M2) ? serving(M2)->hnp[0] : p1;
	T += DMM_SECOND;
	reactive_move(M2, M1, 3, ps, 2, &p1);
	CHECK_EQ(ctr(M1)->reactive, 1);
	CHECK(anchor_tunnels(M2, &ps[1], &M1->addr));
	CHECK(!live(M1, DMM_FM_DST, DMM_FM_ENCAP, &p1, NULL));
	teardown();
}

/* No HAck in time (hi_wait): the PMAAR goes on delivering; the MN leaving then is the plain detach. */
static void t_no_answer(void)
{
	struct dmm_prefix p1;
	struct dmm_addr nobody = addr_of("2001:db8:9::1");

	setup(false, true);
	start_at(M1, 1, &p1);
	CHECK_EQ(dmm_maar_handover(M1->inst, &MN, &nobody, T), 0);
	run(300 * DMM_MSEC);
	CHECK_EQ(ctr(M1)->no_answer, 1);
	CHECK(live(M1, DMM_FM_DST, DMM_FM_DELIVER, &p1, NULL) != NULL);
	CHECK(serving(M1) && serving(M1)->state == DMM_BUL_REGISTERED);
	CHECK_EQ(dmm_maar_handover(M1->inst, &MN, &M1->addr, T), DMM_ERR_INVAL);
	teardown();
}

/* Announced, but the MN stays (mn_wait): delivered at the PMAAR again and registered there; the NMAAR forgets it. */
static void t_mn_stays(void)
{
	struct dmm_prefix p1;

	setup(false, true);
	start_at(M1, 1, &p1);
	CHECK_EQ(dmm_maar_handover(M1->inst, &MN, &M2->addr, T), 0);
	run(10 * DMM_MSEC);
	CHECK(live(M1, DMM_FM_DST, DMM_FM_ENCAP, &p1, &M2->addr) != NULL);
	run(6 * DMM_SECOND);
	CHECK(live(M1, DMM_FM_DST, DMM_FM_DELIVER, &p1, NULL) != NULL);
	CHECK(serving(M1) && serving(M1)->state == DMM_BUL_REGISTERED);
	CHECK(serving(M2) == NULL);
	CHECK(cmd_says(M1));
	CHECK_EQ(M1->dereg, 0);
	teardown();
}

/* Fast handover off at the NMAAR: HAck 129, the PMAAR delivers as before. */
static void t_refused(void)
{
	struct dmm_prefix p1;

	setup(false, false);
	start_at(M1, 1, &p1);
	CHECK_EQ(dmm_maar_handover(M1->inst, &MN, &M2->addr, T), 0);
	run(10 * DMM_MSEC);
	CHECK_EQ(ctr(M1)->refused, 1);
	CHECK(live(M1, DMM_FM_DST, DMM_FM_DELIVER, &p1, NULL) != NULL);
	CHECK(serving(M2) == NULL);
	/* The plain handover then: MAAR1 holds p1 until the CMD names MAAR2. */
	CHECK_EQ(M1->ops->detach(M1->inst, &MN, T), 0);
	CHECK(live(M1, DMM_FM_DST, DMM_FM_BUFFER, &p1, NULL) != NULL);
	CHECK_EQ(M2->ops->attach(M2->inst, &MN, 2, LL, 6, DMM_ATT_80211, T), 0);
	run(50 * DMM_MSEC);
	CHECK(cmd_says(M2));
	CHECK(anchor_tunnels(M1, &p1, &M2->addr));
	teardown();
}

/*
 * A prefix anchored at a third MAAR: MAAR1 -> MAAR2 (plain), then MAAR2 ->
 * MAAR3 predictive: MAAR2 re-tunnels MAAR1's prefix to MAAR3 (§4.2), which
 * accepts it from MAAR2 as well as from MAAR1 until the hold after the
 * MN's arrival, and the CMD then moves MAAR1's tunnel to MAAR3.
 */
static void t_third_anchor(void)
{
	struct dmm_prefix p1, p2;

	NMAARS = 3;
	setup(false, true);
	NMAARS = 2;
	start_at(M1, 1, &p1);
	CHECK_EQ(M1->ops->detach(M1->inst, &MN, T), 0);
	CHECK_EQ(M2->ops->attach(M2->inst, &MN, 2, LL, 6, DMM_ATT_80211, T), 0);
	run(50 * DMM_MSEC);
	CHECK(cmd_says(M2) && serving(M2) && serving(M2)->n_hnp == 2);
	p2 = serving(M2) ? serving(M2)->hnp[0] : p1;
	T += DMM_SECOND;
	CHECK_EQ(dmm_maar_handover(M2->inst, &MN, &M3->addr, T), 0);
	run(5 * DMM_MSEC);
	CHECK(live(M2, DMM_FM_DST, DMM_FM_ENCAP, &p1, &M3->addr) != NULL); /* re-tunnelled */
	CHECK(live(M2, DMM_FM_DST, DMM_FM_DECAP, &p1, &M1->addr) != NULL); /* still from its anchor */
	CHECK(anchor_tunnels(M2, &p2, &M3->addr));
	CHECK(live(M3, DMM_FM_DST, DMM_FM_DECAP, &p1, &M2->addr) != NULL);
	CHECK(live(M3, DMM_FM_DST, DMM_FM_DECAP, &p1, &M1->addr) != NULL);
	CHECK(live(M3, DMM_FM_DST, DMM_FM_BUFFER, &p1, NULL) &&
	      live(M3, DMM_FM_DST, DMM_FM_BUFFER, &p2, NULL));
	CHECK_EQ(M2->ops->detach(M2->inst, &MN, T), 0);
	run(2 * DMM_MSEC);
	CHECK_EQ(M3->ops->attach(M3->inst, &MN, 3, LL, 6, DMM_ATT_80211, T), 0);
	CHECK(live(M3, DMM_FM_DST, DMM_FM_DELIVER, &p1, NULL) &&
	      live(M3, DMM_FM_DST, DMM_FM_DELIVER, &p2, NULL));
	run(50 * DMM_MSEC);
	CHECK(cmd_says(M3));
	CHECK(anchor_tunnels(M1, &p1, &M3->addr));
	CHECK(anchor_tunnels(M2, &p2, &M3->addr));
	CHECK(serving(M2) == NULL);
	CHECK_EQ(M2->dereg, 0);
	run(400 * DMM_MSEC);
	CHECK(!live(M3, DMM_FM_DST, DMM_FM_DECAP, &p1, &M2->addr)); /* the temporary tunnel's end went */
	CHECK(live(M3, DMM_FM_DST, DMM_FM_DECAP, &p1, &M1->addr) != NULL);
	teardown();
}

int main(int argc, char **argv)
{
	(void)argv;
	RN = (struct rn_hooks){.event = on_event, .send = on_send, .seed = 0x5949, .verbose = argc > 1};
	t_predictive();
	t_reactive();
	t_no_answer();
	t_mn_stays();
	t_refused();
	t_third_anchor();
	return check_report("test_maar_fho");
}
