/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * RFC 8885 end to end: the real CMD and three real MAARs on an in-memory
 * network (a message bus delivering env.send between instances after 1
 * ms), driven through their ops tables. An MN attaches at MAAR1, moves
 * to MAAR2 and MAAR3; proxy and relay modes; release of an idle prefix
 * end to end; a silent previous MAAR; anchor selection (GAP1-3); the
 * MN's multicast subscription in the handover context (RFC 7161,
 * docs/dmm-protocol.md §14), proxy and relay modes.
 */
#include <stdlib.h>

#include "check.h"
#include "dmm/cmd.h"
#include "dmm/err.h"
#include "dmm/fmt.h"
#include "dmm/maar.h"
#include "dmm/mh.h"
#include "dmm/policy.h"
#include "dmm/pool.h"
#include "helpers.h"

#define RN_NODE_EXTRA                                                                                        \
	struct dmm_mn_event ev; /* the last MN event */                                                      \
	struct dmm_mnid ev_mnid;                                                                             \
	unsigned nev;                                                                                        \
	dmm_time_t ev_at;                                                                                    \
	struct dmm_mcast_groups sub[4]; /* per access link: the groups its host listens to */                \
	unsigned nput;			/* handover contexts put */                                          \
	uint32_t put_link;                                                                                   \
	dmm_time_t put_at;
#include "rolenet.h"

#define LATENCY RN_LATENCY

static struct dmm_policy *POL;

static void on_event(struct node *n, const struct dmm_mn_event *ev)
{
	n->ev = *ev;
	n->ev_mnid = *ev->mnid;
	n->ev.mnid = &n->ev_mnid;
	n->nev++;
	n->ev_at = T;
}

static struct dmm_mnid MN1 = {.subtype = DMM_MNID_EUI48, .len = 6, .id = {2, 0, 0, 0, 0, 0x11}};
static const uint8_t LL[6] = {2, 0, 0, 0, 0, 0x11};

static struct node *CMDN, *M1, *M2, *M3;

static void teardown(void)
{
	rn_teardown();
	dmm_policy_free(POL);
	POL = NULL;
}

static void setup(enum dmm_cmd_mode mode, bool m3_anchors)
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
	for (unsigned i = 0; i < 3; i++) {
		struct dmm_addr a = addr_of(addr[i]);

		dmm_policy_add_mag(POL, &a);
	}
	memset(&prof, 0, sizeof(prof));
	prof.may_register = true;
	dmm_policy_set_default(POL, &prof);
	dmm_cmd_cfg_defaults(&cc);
	cc.addr = addr_of("2001:db8:c::1");
	cc.policy = POL;
	cc.mode = mode;
	cc.max_mns = 16;
	cc.max_maars = 8;
	CMDN = add_node("cmd", "2001:db8:c::1", &dmm_cmd_ops, &cc);
	for (unsigned i = 0; i < 3; i++) {
		dmm_maar_cfg_defaults(&mc);
		mc.addr = addr_of(addr[i]);
		mc.cmd = cc.addr;
		mc.pool[0] = prefix_of(pool[i]);
		mc.npool = 1;
		mc.max_mns = 16;
		mc.idle_release = 30 * DMM_SECOND;
		mc.idle_check = DMM_SECOND;
		if (i == 2)
			mc.anchor_locally = m3_anchors;
		*slot[i] = add_node(name[i], addr[i], &dmm_maar_ops, &mc);
	}
}

static const struct dmm_intent *live(const struct node *n, uint8_t match, uint8_t action,
				     const struct dmm_prefix *p)
{
	for (unsigned i = 0; i < n->nlive; i++)
		if (n->live[i].match == match && n->live[i].action == action &&
		    dmm_prefix_eq(&n->live[i].prefix, p))
			return &n->live[i];
	return NULL;
}

static bool tunnels_to(const struct node *n, const struct dmm_prefix *p, const struct dmm_addr *to)
{
	const struct dmm_intent *e = live(n, DMM_FM_DST, DMM_FM_ENCAP, p),
				*d = live(n, DMM_FM_SRC, DMM_FM_DECAP, p);

	return e && d && dmm_addr_eq(&e->peer, to) && dmm_addr_eq(&d->peer, to);
}

static bool serves_old(const struct node *n, const struct dmm_prefix *p, const struct dmm_addr *anchor)
{
	const struct dmm_intent *e = live(n, DMM_FM_SRC, DMM_FM_ENCAP, p),
				*d = live(n, DMM_FM_DST, DMM_FM_DECAP, p);

	return e && d && live(n, DMM_FM_DST, DMM_FM_DELIVER, p) && dmm_addr_eq(&e->peer, anchor) &&
	       dmm_addr_eq(&d->peer, anchor);
}

static struct dmm_prefix own_prefix(const struct node *n)
{
	struct dmm_prefix none = {{{0}}, 0};

	return n->nev && n->ev.type == DMM_MN_REGISTERED && n->ev.nprefix ? n->ev.prefix[0] : none;
}

static struct dmm_maar *maar(const struct node *n)
{
	return n->inst;
}

static const struct dmm_bcache_entry *cmd_entry(void)
{
	return dmm_bcache_find_mnid(dmm_cmd_bcache(CMDN->inst), &MN1);
}

/* The MN moves from `from` (NULL: first attach) to `to`, on link `link`. */
static void move(struct node *from, struct node *to, uint32_t link)
{
	if (from)
		CHECK_EQ(from->ops->detach(from->inst, &MN1, T), 0);
	CHECK_EQ(to->ops->attach(to->inst, &MN1, link, LL, 6, DMM_ATT_80211, T), 0);
}

/* The journey MAAR1 -> MAAR2 -> MAAR3; returns the three prefixes. */
static void journey(enum dmm_cmd_mode mode, struct dmm_prefix p[3])
{
	const struct dmm_mn_event *ev;
	const struct dmm_bcache_entry *ce;

	setup(mode, true);
	move(NULL, M1, 1);
	run(100 * DMM_MSEC);
	p[0] = own_prefix(M1);
	CHECK(M1->nev == 1 && M1->ev.nprefix == 1 && M1->ev.preferred_s[0] == 600);
	CHECK(live(M1, DMM_FM_DST, DMM_FM_DELIVER, &p[0]) && M1->nlive == 1);
	ce = cmd_entry();
	CHECK(ce && dmm_addr_eq(dmm_bce_pcoa(ce), &M1->addr) && dmm_bce_pmaar(ce)->n == 1);

	T += DMM_SECOND;
	move(M1, M2, 2);
	run(100 * DMM_MSEC);
	p[1] = own_prefix(M2);
	ev = &M2->ev;
	CHECK(ev->type == DMM_MN_REGISTERED && ev->nprefix == 2);
	CHECK(ev->preferred_s[0] == 600 && ev->preferred_s[1] == 0 && ev->valid_s[1] == 600);
	CHECK(dmm_prefix_eq(&ev->prefix[1], &p[0]) && dmm_addr_eq(&ev->anchor_of[1], &M1->addr));
	CHECK(tunnels_to(M1, &p[0], &M2->addr));
	CHECK(serves_old(M2, &p[1 - 1], &M1->addr));
	CHECK(live(M2, DMM_FM_DST, DMM_FM_DELIVER, &p[1]) != NULL);

	T += DMM_SECOND;
	move(M2, M3, 3);
	run(100 * DMM_MSEC);
	p[2] = own_prefix(M3);
	ev = &M3->ev;
	CHECK(ev->type == DMM_MN_REGISTERED && ev->nprefix == 3);
	CHECK(dmm_prefix_eq(&ev->prefix[0], &p[2]) && ev->preferred_s[0] == 600 &&
	      dmm_addr_eq(&ev->anchor_of[0], &M3->addr));
	for (unsigned i = 1; i < 3 && ev->nprefix == 3; i++) {
		bool found = false;

		for (unsigned k = 0; k < 2; k++)
			if (dmm_prefix_eq(&ev->prefix[i], &p[k])) {
				found = true;
				CHECK(dmm_addr_eq(&ev->anchor_of[i], k == 0 ? &M1->addr : &M2->addr));
			}
		CHECK(found);
		CHECK(ev->preferred_s[i] == 0 && ev->valid_s[i] == 600);
	}
	CHECK(tunnels_to(M1, &p[0], &M3->addr));
	CHECK(tunnels_to(M2, &p[1], &M3->addr));
	CHECK(serves_old(M3, &p[0], &M1->addr) && serves_old(M3, &p[1], &M2->addr));
	CHECK(live(M3, DMM_FM_DST, DMM_FM_DELIVER, &p[2]) != NULL);
	/* MAAR2 keeps only its anchor (its tunnel to MAAR1 went with the MN). */
	CHECK_EQ(M2->nlive, 2);
	CHECK(dmm_bul_count(dmm_maar_serving(maar(M1))) == 0 &&
	      dmm_bul_count(dmm_maar_serving(maar(M2))) == 0);
	ce = cmd_entry();
	CHECK(ce && dmm_addr_eq(dmm_bce_pcoa(ce), &M3->addr) && dmm_bce_pmaar(ce)->n == 3);
	/* No de-registration after detach_grace: every MAAR heard of the next S-MAAR. */
	run(20 * DMM_SECOND);
	ce = cmd_entry();
	CHECK(ce && dmm_bce_pmaar(ce)->n == 3 && dmm_pool_used(dmm_maar_pool(maar(M1))) == 1);
	CHECK(tunnels_to(M1, &p[0], &M3->addr));
}

static void mc_get(void *ctx, const struct dmm_mnid *mnid, uint32_t link, struct dmm_mcast_groups *out)
{
	struct node *n = ctx;

	CHECK(dmm_mnid_eq(mnid, &MN1));
	out->n = 0;
	if (link < 4)
		*out = n->sub[link];
}

static void mc_put(void *ctx, const struct dmm_mnid *mnid, uint32_t link, const struct dmm_mcast_groups *in)
{
	struct node *n = ctx;

	CHECK(dmm_mnid_eq(mnid, &MN1));
	n->nput++;
	n->put_link = link;
	n->put_at = T;
	if (link < 4)
		n->sub[link] = *in; /* as dmmd: the link listens to them from now on */
}

/*
 * RFC 7161 through RFC 8885 signalling (docs/dmm-protocol.md §14): the MN
 * listens to two groups on MAAR1's link; at MAAR2 and then MAAR3 the new
 * S-MAAR gets them for the MN's new link from its previous MAAR, through
 * the CMD, right after the registration; the MAAR the MN left long ago
 * (MAAR1 at the second move) has nothing to give.
 */
static void t_mcast_context(enum dmm_cmd_mode mode)
{
	struct dmm_addr g1 = addr_of("ff3e::1234"), g2 = addr_of("ff3e::5678");

	RN.mcast_get = mc_get;
	RN.mcast_put = mc_put;
	setup(mode, true);
	M1->sub[1] = (struct dmm_mcast_groups){.n = 2, .group = {g1, g2}};
	move(NULL, M1, 1);
	run(100 * DMM_MSEC);
	CHECK(M1->nev == 1 && M1->nput == 0); /* nobody to take it from */
	T += DMM_SECOND;
	move(M1, M2, 2);
	run(100 * DMM_MSEC);
	CHECK(M2->nev >= 1 && M2->ev.nprefix == 2);
	CHECK(M2->nput == 1 && M2->put_link == 2);
	CHECK(M2->sub[2].n == 2 && dmm_addr_eq(&M2->sub[2].group[0], &g1) &&
	      dmm_addr_eq(&M2->sub[2].group[1], &g2));
	/* At once: the PBU, the CMD, the previous MAAR and back (4 one-way trips, 1 ms each) and the relay. */
	CHECK(M2->put_at - M2->ev_at <= 4 * LATENCY);
	T += DMM_SECOND;
	M2->sub[2].n = 1; /* the MN left g2 at MAAR2 */
	move(M2, M3, 3);
	run(100 * DMM_MSEC);
	CHECK(M3->nev >= 1 && M3->ev.nprefix == 3);
	CHECK(M3->nput == 1 && M3->put_link == 3 && M3->sub[3].n == 1 &&
	      dmm_addr_eq(&M3->sub[3].group[0], &g1));
	CHECK(M1->nput == 0);
	RN.mcast_get = NULL;
	RN.mcast_put = NULL;
	teardown();
}

static void t_journey(enum dmm_cmd_mode mode)
{
	struct dmm_prefix p[3];

	journey(mode, p);
	teardown();
}

/* GAP2-1 end to end: MAAR3 releases the idle old prefix; it goes back to MAAR1's pool. */
static void t_idle_release(void)
{
	struct dmm_prefix p[3];
	struct dmm_fm *fm;
	const struct dmm_intent *in;
	const struct dmm_bcache_entry *ce;
	uint64_t pk = 0;

	journey(DMM_CMD_PROXY, p);
	fm = dmm_role_fm(maar(M3));
	/* p[1] (anchored at MAAR2) carries packets every 5 s; p[0] (MAAR1) none. */
	for (unsigned s = 0; s < 60; s += 5) {
		for (in = dmm_fm_next(fm, NULL); in; in = dmm_fm_next(fm, in))
			if (dmm_prefix_eq(&in->prefix, &p[1]) && in->action == DMM_FM_ENCAP)
				break;
		if (in) {
			pk += 10;
			dmm_fm_report(fm, in->id, pk, pk * 100, T);
		}
		run(5 * DMM_SECOND);
	}
	CHECK_EQ(dmm_maar_counters(maar(M3))->prefixes_released, 1);
	/* The release event: the own prefix, the active old one, and p[0] once more with valid 0. */
	CHECK(M3->ev.nprefix == 3 && dmm_prefix_eq(&M3->ev.prefix[1], &p[1]) && M3->ev.valid_s[1] == 600);
	CHECK(dmm_prefix_eq(&M3->ev.prefix[2], &p[0]) && M3->ev.valid_s[2] == 0 &&
	      M3->ev.preferred_s[2] == 0);
	CHECK(!live(M3, DMM_FM_SRC, DMM_FM_ENCAP, &p[0]) && serves_old(M3, &p[1], &M2->addr));
	/* Back in MAAR1's pool, its intents gone; MAAR2 untouched. */
	CHECK_EQ(dmm_pool_used(dmm_maar_pool(maar(M1))), 0);
	CHECK_EQ(M1->nlive, 0);
	CHECK_EQ(dmm_maar_counters(maar(M1))->anchors_released, 1);
	CHECK(tunnels_to(M2, &p[1], &M3->addr));
	ce = cmd_entry();
	CHECK(ce && dmm_bce_pmaar(ce)->n == 2);
	teardown();
}

/* A silent previous MAAR: proxy mode answers at once; relay mode after relay_timeout at most. */
static void t_unreachable(enum dmm_cmd_mode mode)
{
	struct dmm_prefix p1, p2;
	dmm_time_t t0;

	setup(mode, true);
	move(NULL, M1, 1);
	run(100 * DMM_MSEC);
	p1 = own_prefix(M1);
	T += DMM_SECOND;
	M1->unreachable = true;
	t0 = T;
	move(M1, M2, 2);
	run(5 * DMM_SECOND);
	p2 = own_prefix(M2);
	CHECK(M2->ev.type == DMM_MN_REGISTERED && p2.len == 64);
	if (mode == DMM_CMD_PROXY) {
		/* One round trip to the CMD: the PBA does not wait for MAAR1. */
		CHECK(M2->ev_at - t0 <= 3 * LATENCY);
		CHECK(M2->nev >= 1 && M2->ev.nprefix == 2);
		CHECK(serves_old(M2, &p1, &M1->addr));
	} else {
		/* At most relay_timeout (1 s), and MAAR1's prefix is left out. */
		CHECK(M2->ev_at - t0 <= DMM_SECOND + 3 * LATENCY);
		CHECK(M2->ev.nprefix == 1 && dmm_prefix_eq(&M2->ev.prefix[0], &p2));
	}
	teardown();
}

/* GAP1-3: MAAR3 anchors nothing itself; the CMD picks an anchor for it. */
static void t_anchor_choice(void)
{
	struct dmm_prefix p;
	struct dmm_addr anchor;
	const struct dmm_bcache *b1, *b2;

	setup(DMM_CMD_PROXY, false);
	/* The CMD learns the MAARs' load from their messages: let MAAR1 and MAAR2 register once. */
	move(NULL, M1, 1);
	run(100 * DMM_MSEC);
	T += DMM_SECOND;
	move(M1, M2, 2);
	run(100 * DMM_MSEC);
	T += DMM_SECOND;
	move(M2, M3, 3);
	run(200 * DMM_MSEC);
	CHECK(M3->ev.type == DMM_MN_REGISTERED && M3->ev.nprefix == 3);
	p = M3->ev.prefix[0];
	anchor = M3->ev.anchor_of[0];
	CHECK(M3->ev.preferred_s[0] == 600);
	CHECK(dmm_addr_eq(&anchor, &M1->addr) || dmm_addr_eq(&anchor, &M2->addr));
	CHECK(serves_old(M3, &p, &anchor));
	CHECK_EQ(dmm_pool_used(dmm_maar_pool(maar(M3))), 0);
	b1 = dmm_maar_anchored(maar(M1));
	b2 = dmm_maar_anchored(maar(M2));
	CHECK_EQ(dmm_bcache_count(b1) + dmm_bcache_count(b2), 3);
	CHECK(tunnels_to(node_at(&anchor), &p, &M3->addr));
	teardown();
}

int main(int argc, char **argv)
{
	(void)argv;
	RN = (struct rn_hooks){.event = on_event, .seed = 0x1000, .verbose = argc > 1};
	t_journey(DMM_CMD_PROXY);
	t_journey(DMM_CMD_RELAY);
	t_idle_release();
	t_unreachable(DMM_CMD_PROXY);
	t_unreachable(DMM_CMD_RELAY);
	t_anchor_choice();
	t_mcast_context(DMM_CMD_PROXY);
	t_mcast_context(DMM_CMD_RELAY);
	return check_report("test_dmm");
}
