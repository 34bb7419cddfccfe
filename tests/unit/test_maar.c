/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The MAAR role (RFC 8885, docs/dmm-protocol.md) driven by hand: the
 * harness (role_harness.h) records what the MAAR sends, the intents it
 * installs and the MN events it reports; the test plays the CMD and
 * answers each PBU with the PBA it chooses, and sends the PBUs a CMD
 * sends to an anchor.
 */
#include "check.h"
#include "dmm/err.h"
#include "dmm/fmt.h"
#include "dmm/maar.h"
#include "dmm/mag.h" /* DMM_MN_STATUS_NO_ANSWER */
#include "dmm/mh.h"
#include "dmm/pool.h"
#include "helpers.h"
#include "role_harness.h"

static struct harness H;
static dmm_time_t T;
static struct dmm_addr MAAR1, MAAR2, MAAR3, CMD, STRANGER;

static struct dmm_mnid MN(uint8_t n) {
	struct dmm_mnid m = {.subtype = DMM_MNID_EUI48, .len = 6, .id = {2, 0, 0, 0, 0, n}};

	return m;
}

static const uint8_t LL[6] = {2, 0, 0, 0, 0, 9};

static struct dmm_maar_cfg cfg(void)
{
	struct dmm_maar_cfg c;

	dmm_maar_cfg_defaults(&c);
	c.addr = MAAR1;
	c.cmd = CMD;
	c.pool[0] = prefix_of("2001:db8:100::/56");
	c.npool = 1;
	c.max_mns = 16;
	c.priority = 7;
	return c;
}

static struct dmm_maar *setup_cfg(const struct dmm_maar_cfg *c)
{
	harness_init(&H);
	T = 1000 * DMM_SECOND;
	MAAR1 = addr_of("2001:db8:1::1");
	MAAR2 = addr_of("2001:db8:2::1");
	MAAR3 = addr_of("2001:db8:3::1");
	CMD = addr_of("2001:db8:c::1");
	STRANGER = addr_of("2001:db8:66::1");
	{
		struct dmm_maar_cfg cc = *c;

		cc.addr = MAAR1;
		cc.cmd = CMD;
		return dmm_maar_new(&H.env, &cc, T);
	}
}

static struct dmm_maar *setup(void)
{
	MAAR1 = addr_of("2001:db8:1::1");
	CMD = addr_of("2001:db8:c::1");
	{
		struct dmm_maar_cfg c = cfg();

		return setup_cfg(&c);
	}
}

/* The last message sent, decoded; NULL if none or not of type. */
static const struct dmm_mh_msg *last(uint8_t type)
{
	struct sent *s = harness_last(&H);

	if (!s || s->decode_err || s->msg.type != type)
		return NULL;
	return &s->msg;
}

static void deliver(struct dmm_maar *m, const struct dmm_addr *src, const struct dmm_mh_msg *msg)
{
	uint8_t buf[DMM_MH_MAX_LEN];
	int n = dmm_mh_encode(buf, sizeof(buf), msg);

	CHECK(n > 0);
	if (n > 0)
		dmm_maar_recv(m, src, &MAAR1, buf, (size_t)n, T);
}

static void add_mnid(struct dmm_mh_msg *m, const struct dmm_mnid *id)
{
	struct dmm_mh_opt *o = dmm_mh_add_opt(m, DMM_OPT_MNID);

	o->u.mnid.subtype = id->subtype;
	o->u.mnid.id.len = id->len;
	memcpy(o->u.mnid.id.b, id->id, id->len);
}

/* The CMD's PBA to a PBU (echoing HI, ATT, MN-LLID), with Previous MAAR pairs. */
static void pba(struct dmm_maar *m, const struct dmm_mh_msg *pbu, uint8_t status,
		const struct dmm_prefix *hnp, unsigned nprev, const struct dmm_addr *prev_a,
		const struct dmm_prefix *prev_p)
{
	struct dmm_mh_msg r;
	const struct dmm_mh_opt *o;

	dmm_mh_init(&r, DMM_MH_BA);
	r.u.ba.status = status;
	r.u.ba.flags = DMM_BA_P | DMM_BA_D;
	r.u.ba.seq = pbu->u.bu.seq;
	r.u.ba.lifetime = status < 128 ? pbu->u.bu.lifetime : 0;
	*dmm_mh_add_opt(&r, DMM_OPT_MNID) = *dmm_mh_find_opt(pbu, DMM_OPT_MNID, NULL);
	o = dmm_mh_find_opt(pbu, DMM_OPT_HNP, NULL);
	dmm_mh_add_opt(&r, DMM_OPT_HNP)->u.hnp = hnp ? *hnp : o->u.hnp;
	for (uint8_t t = DMM_OPT_HI; t <= DMM_OPT_MNLLID; t++)
		if ((o = dmm_mh_find_opt(pbu, t, NULL)) != NULL)
			*dmm_mh_add_opt(&r, t) = *o;
	for (unsigned i = 0; i < nprev; i++) {
		struct dmm_mh_opt *pm = dmm_mh_add_opt(&r, DMM_OPT_PREV_MAAR);

		pm->u.prev_maar.maar = prev_a[i];
		pm->u.prev_maar.hnp = prev_p[i];
	}
	deliver(m, &CMD, &r);
}

/* A PBU as the CMD sends it to an anchor. */
static void cmd_pbu(struct dmm_mh_msg *u, uint16_t seq, const struct dmm_mnid *id,
		    const struct dmm_prefix *hnp, const struct dmm_addr *serving, uint32_t lifetime_s)
{
	dmm_mh_init(u, DMM_MH_BU);
	u->u.bu.seq = seq;
	u->u.bu.flags = DMM_BU_A | DMM_BU_P | DMM_BU_D;
	u->u.bu.lifetime = dmm_lifetime_units(lifetime_s);
	add_mnid(u, id);
	if (hnp)
		dmm_mh_add_opt(u, DMM_OPT_HNP)->u.hnp = *hnp;
	else
		dmm_mh_add_opt(u, DMM_OPT_HNP);
	if (serving)
		dmm_mh_add_opt(u, DMM_OPT_SERVING_MAAR)->u.serving_maar = *serving;
}

static const struct dmm_intent *find(uint8_t match, uint8_t action, const struct dmm_prefix *p)
{
	return harness_find_intent(&H, match, action, p);
}

static unsigned intents_of(const struct dmm_prefix *p)
{
	unsigned n = 0;

	for (unsigned i = 0; i < H.nlive; i++)
		if (dmm_prefix_eq(&H.live[i].prefix, p))
			n++;
	return n;
}

/* Find the live intent of the fm (not the harness copy) for counters. */
static const struct dmm_intent *fm_find(struct dmm_maar *m, uint8_t match, uint8_t action,
					const struct dmm_prefix *p)
{
	const struct dmm_fm *fm = dmm_role_fm(m);

	for (const struct dmm_intent *in = dmm_fm_next(fm, NULL); in; in = dmm_fm_next(fm, in))
		if (in->match == match && in->action == action && dmm_prefix_eq(&in->prefix, p))
			return in;
	return NULL;
}

static void advance(struct dmm_maar *m, dmm_time_t d)
{
	dmm_time_t end = T + d;

	while (dmm_role_next_deadline(m) <= end) {
		T = dmm_role_next_deadline(m);
		dmm_role_expire(m, T);
	}
	T = end;
}

/* Attach MN n at MAAR m on link 5 and return the PBU (copied into *u). */
static bool attach(struct dmm_maar *m, uint8_t n, struct dmm_mh_msg *u)
{
	struct dmm_mnid id = MN(n);
	const struct dmm_mh_msg *b;

	harness_clear(&H);
	CHECK_EQ(dmm_maar_attach(m, &id, 5, LL, 6, DMM_ATT_80211, T), 0);
	b = last(DMM_MH_BU);
	CHECK(b != NULL);
	if (!b)
		return false;
	*u = *b;
	return true;
}

static struct dmm_prefix hnp_of(const struct dmm_mh_msg *u)
{
	return dmm_mh_find_opt(u, DMM_OPT_HNP, NULL)->u.hnp;
}

static const struct dmm_prefix *hnpp(const struct dmm_mh_msg *u)
{
	return &dmm_mh_find_opt(u, DMM_OPT_HNP, NULL)->u.hnp;
}

static const struct dmm_mn_event *last_event(void)
{
	return H.nevents ? &H.events[H.nevents - 1] : NULL;
}

/* --- tests --- */

static void t_initial_attach(void)
{
	struct dmm_maar *m = setup();
	struct dmm_mh_msg u;
	const struct dmm_mh_opt *o;
	struct dmm_prefix p;
	const struct dmm_mn_event *ev;
	const struct dmm_bul_entry *e;
	struct dmm_mnid id = MN(1);

	CHECK(m != NULL);
	if (!m || !attach(m, 1, &u))
		return;
	CHECK(dmm_addr_eq(&harness_last(&H)->dst, &CMD) && dmm_addr_eq(&harness_last(&H)->src, &MAAR1));
	CHECK_EQ(u.u.bu.flags, DMM_BU_A | DMM_BU_P | DMM_BU_D);
	CHECK_EQ(u.u.bu.lifetime, 150);
	o = dmm_mh_find_opt(&u, DMM_OPT_MNID, NULL);
	CHECK(o && o->u.mnid.subtype == DMM_MNID_EUI48 && o->u.mnid.id.len == 6);
	CHECK_EQ(dmm_mh_count_opt(&u, DMM_OPT_HNP), 1);
	p = hnp_of(&u);
	CHECK(p.len == 64 && dmm_pool_is_used(dmm_maar_pool(m), &p));
	CHECK_EQ(dmm_mh_find_opt(&u, DMM_OPT_HI, NULL)->u.hi.value, DMM_HI_UNKNOWN); /* issue 9 §2.8, was 1 */
	CHECK_EQ(dmm_mh_find_opt(&u, DMM_OPT_ATT, NULL)->u.att.value, DMM_ATT_80211);
	CHECK(dmm_mh_find_opt(&u, DMM_OPT_MNLLID, NULL) != NULL);
	CHECK(dmm_mh_find_opt(&u, DMM_OPT_TIMESTAMP, NULL) != NULL);
	o = dmm_mh_find_opt(&u, DMM_OPT_LOAD, NULL);
	CHECK(o && o->u.load.priority == 7 && o->u.load.sessions_in_use == 1 &&
	      o->u.load.max_sessions == 256 && o->u.load.used_capacity == 0 && o->u.load.max_capacity == 0);
	CHECK_EQ(dmm_bcache_count(dmm_maar_anchored(m)), 1);
	CHECK_EQ(dmm_maar_counters(m)->local_anchors, 1);
	CHECK_EQ(H.nlive, 0); /* nothing before the PBA */
	/* The CMD accepts: the own prefix is delivered on the link, no tunnel. */
	T += 2 * DMM_MSEC;
	pba(m, &u, 0, NULL, 0, NULL, NULL);
	CHECK_EQ(H.nlive, 1);
	CHECK(find(DMM_FM_DST, DMM_FM_DELIVER, &p) && find(DMM_FM_DST, DMM_FM_DELIVER, &p)->link == 5);
	CHECK(!find(DMM_FM_DST, DMM_FM_ENCAP, &p) && !find(DMM_FM_SRC, DMM_FM_ENCAP, &p));
	ev = last_event();
	CHECK(ev && ev->type == DMM_MN_REGISTERED && ev->nprefix == 1 && ev->link == 5);
	CHECK(ev && dmm_prefix_eq(&ev->prefix[0], &p) && ev->valid_s[0] == 600 && ev->preferred_s[0] == 600);
	CHECK(ev && dmm_addr_eq(&ev->anchor_of[0], &MAAR1));
	e = dmm_bul_find_mnid(dmm_maar_serving(m), &id);
	CHECK(e && e->state == DMM_BUL_REGISTERED && e->n_hnp == 1 && e->anchors.n == 0);
	CHECK(harness_logged(&H, "WAIT_PBA -> REGISTERED"));
	CHECK(harness_logged(&H, "deliver"));
	/* A repeated attach on the same link only re-announces. */
	harness_clear(&H);
	CHECK_EQ(dmm_maar_attach(m, &id, 5, LL, 6, DMM_ATT_80211, T), 0);
	CHECK(H.nsent == 0 && H.nevents == 1);
	/* Refresh at 80% of the lifetime: HI 5, the same prefix. */
	harness_clear(&H);
	advance(m, 481 * DMM_SECOND);
	CHECK(last(DMM_MH_BU) && hnp_of(last(DMM_MH_BU)).len == 64 &&
	      dmm_prefix_eq(&p, &(struct dmm_prefix){hnp_of(last(DMM_MH_BU)).addr, 64}));
	CHECK(last(DMM_MH_BU) &&
	      dmm_mh_find_opt(last(DMM_MH_BU), DMM_OPT_HI, NULL)->u.hi.value == DMM_HI_NO_CHANGE);
	dmm_maar_free(m);
	CHECK_EQ(H.nlive, 0);
}

/*
 * prefix_valid_s caps the advertised valid lifetime of every prefix (and the
 * own prefix's preferred one), so a released prefix leaves the host within
 * that time: RFC 4862 §5.5.3 (e) lets a host ignore a valid lifetime of 0.
 */
static void t_prefix_valid(void)
{
	struct dmm_maar_cfg c = cfg();
	struct dmm_maar *m;
	struct dmm_mh_msg u;
	const struct dmm_mn_event *ev;

	c.prefix_valid_s = 60;
	m = setup_cfg(&c);
	CHECK(m != NULL);
	if (!m || !attach(m, 1, &u))
		return;
	T += 2 * DMM_MSEC;
	pba(m, &u, 0, NULL, 0, NULL, NULL);
	ev = last_event();
	CHECK(ev && ev->type == DMM_MN_REGISTERED && ev->nprefix == 1);
	CHECK(ev && ev->valid_s[0] == 60 && ev->preferred_s[0] == 60 && ev->lifetime_s == 600);
	dmm_maar_free(m);
}

static void t_previous_maars(void)
{
	struct dmm_maar *m = setup();
	struct dmm_mh_msg u;
	struct dmm_prefix p, q[2] = {prefix_of("2001:db8:200::/64"), prefix_of("2001:db8:300::/64")};
	struct dmm_addr a[2];
	const struct dmm_mn_event *ev;
	const struct dmm_bul_entry *e;
	struct dmm_mnid id = MN(1);

	a[0] = MAAR2;
	a[1] = MAAR3;
	if (!attach(m, 1, &u))
		return;
	p = hnp_of(&u);
	pba(m, &u, 0, NULL, 2, a, q);
	CHECK_EQ(H.nlive, 7);
	CHECK(find(DMM_FM_DST, DMM_FM_DELIVER, &p) != NULL);
	for (unsigned i = 0; i < 2; i++) {
		const struct dmm_intent *up = find(DMM_FM_SRC, DMM_FM_ENCAP, &q[i]);
		const struct dmm_intent *dn = find(DMM_FM_DST, DMM_FM_DECAP, &q[i]);
		const struct dmm_intent *dl = find(DMM_FM_DST, DMM_FM_DELIVER, &q[i]);

		CHECK(up && up->link == 5 && dmm_addr_eq(&up->local, &MAAR1) &&
		      dmm_addr_eq(&up->peer, &a[i]));
		CHECK(dn && dmm_addr_eq(&dn->local, &MAAR1) && dmm_addr_eq(&dn->peer, &a[i]));
		CHECK(dl && dl->link == 5);
	}
	ev = last_event();
	CHECK(ev && ev->type == DMM_MN_REGISTERED && ev->nprefix == 3);
	if (ev && ev->nprefix == 3) {
		CHECK(dmm_prefix_eq(&ev->prefix[0], &p) && ev->preferred_s[0] == 600 &&
		      ev->valid_s[0] == 600);
		for (unsigned i = 0; i < 2; i++) {
			CHECK(dmm_prefix_eq(&ev->prefix[1 + i], &q[i]));
			CHECK_EQ(ev->preferred_s[1 + i], 0);
			CHECK_EQ(ev->valid_s[1 + i], 600);
			CHECK(dmm_addr_eq(&ev->anchor_of[1 + i], &a[i]));
		}
	}
	e = dmm_bul_find_mnid(dmm_maar_serving(m), &id);
	CHECK(e && e->n_hnp == 3 && e->anchors.n == 2);
	CHECK_EQ(dmm_maar_counters(m)->tunnels_up, 2);
	/* A relaying CMD's later PBA (same seq) adds a late P-MAAR; nothing is taken away. */
	{
		struct dmm_prefix q4 = prefix_of("2001:db8:400::/64");
		struct dmm_addr a4 = addr_of("2001:db8:4::1");

		harness_clear(&H);
		pba(m, &u, 0, NULL, 1, &a4, &q4);
		CHECK(find(DMM_FM_SRC, DMM_FM_ENCAP, &q4) && find(DMM_FM_SRC, DMM_FM_ENCAP, &q[0]));
		ev = last_event();
		CHECK(ev && ev->nprefix == 4 && ev->preferred_s[3] == 0);
		CHECK_EQ(H.nlive, 10);
	}
	/* Detach: the tunnels go, the own prefix waits in BUFFER. */
	harness_clear(&H);
	CHECK_EQ(dmm_maar_detach(m, &id, T), 0);
	CHECK_EQ(H.nlive, 1);
	CHECK(find(DMM_FM_DST, DMM_FM_BUFFER, &p) != NULL);
	CHECK(last_event() && last_event()->type == DMM_MN_DEREGISTERED);
	CHECK_EQ(dmm_maar_counters(m)->tunnels_down, 3);
	dmm_maar_free(m);
}

/* Anchor side: the CMD names the MN's next S-MAAR; then releases the prefix. */
static void t_anchor_side(void)
{
	struct dmm_maar *m = setup();
	struct dmm_mh_msg u, c;
	struct dmm_prefix p;
	struct dmm_mnid id = MN(1);
	const struct dmm_mh_msg *r;
	const struct dmm_mh_opt *o;
	const struct dmm_bcache_entry *a;

	if (!attach(m, 1, &u))
		return;
	p = hnp_of(&u);
	pba(m, &u, 0, NULL, 0, NULL, NULL);
	CHECK_EQ(dmm_maar_detach(m, &id, T), 0);
	CHECK(find(DMM_FM_DST, DMM_FM_BUFFER, &p) && !find(DMM_FM_DST, DMM_FM_DELIVER, &p));
	/* Refused first: from a stranger (154), without D (129), without MN-ID (160), another prefix (155). */
	harness_clear(&H);
	cmd_pbu(&c, 40, &id, &p, &MAAR2, 600);
	deliver(m, &STRANGER, &c);
	r = last(DMM_MH_BA);
	CHECK(r && r->u.ba.status == DMM_BA_MAG_NOT_AUTHORIZED && r->u.ba.seq == 40);
	CHECK(dmm_addr_eq(&harness_last(&H)->dst, &STRANGER));
	c.u.bu.flags = DMM_BU_A | DMM_BU_P;
	deliver(m, &CMD, &c);
	CHECK(last(DMM_MH_BA) && last(DMM_MH_BA)->u.ba.status == DMM_BA_PROHIBITED);
	cmd_pbu(&c, 40, &id, &p, &MAAR2, 600);
	c.opts[0] = c.opts[1];
	c.opts[1] = c.opts[2];
	c.nopts = 2;
	deliver(m, &CMD, &c);
	CHECK(last(DMM_MH_BA) && last(DMM_MH_BA)->u.ba.status == DMM_BA_MISSING_MN_ID);
	{
		struct dmm_prefix other = prefix_of("2001:db8:99::/64");
		struct dmm_mnid id2 = MN(2);

		cmd_pbu(&c, 40, &id, &other, &MAAR2, 600);
		deliver(m, &CMD, &c);
		CHECK(last(DMM_MH_BA) && last(DMM_MH_BA)->u.ba.status == DMM_BA_NOT_AUTHORIZED_FOR_HNP);
		cmd_pbu(&c, 40, &id2, &p, &MAAR2, 600);
		deliver(m, &CMD, &c);
		CHECK(last(DMM_MH_BA) && last(DMM_MH_BA)->u.ba.status == DMM_BA_NOT_AUTHORIZED_FOR_HNP);
	}
	cmd_pbu(&c, 40, &id, &p, NULL, 600);
	deliver(m, &CMD, &c);
	CHECK(last(DMM_MH_BA) && last(DMM_MH_BA)->u.ba.status == DMM_BA_UNSPECIFIED);
	/* Nothing changed on any refusal. */
	CHECK(find(DMM_FM_DST, DMM_FM_BUFFER, &p) && H.nlive == 1);
	CHECK(dmm_bul_find_mnid(dmm_maar_serving(m), &id) != NULL);
	/* The CMD: MN served at MAAR2. */
	harness_clear(&H);
	cmd_pbu(&c, 41, &id, &p, &MAAR2, 600);
	dmm_mh_add_opt(&c, DMM_OPT_TIMESTAMP)->u.timestamp.seconds = 1234;
	deliver(m, &CMD, &c);
	r = last(DMM_MH_BA);
	CHECK(r && r->u.ba.status == 0 && r->u.ba.seq == 41 && r->u.ba.flags == (DMM_BA_P | DMM_BA_D));
	CHECK(r && r->u.ba.lifetime == dmm_lifetime_units(600));
	CHECK(r && dmm_addr_eq(&harness_last(&H)->dst, &CMD));
	o = r ? dmm_mh_find_opt(r, DMM_OPT_HNP, NULL) : NULL;
	CHECK(o && dmm_prefix_eq(&o->u.hnp, &p));
	CHECK(r && dmm_mh_find_opt(r, DMM_OPT_MNID, NULL) != NULL);
	o = r ? dmm_mh_find_opt(r, DMM_OPT_LOAD, NULL) : NULL;
	CHECK(o && o->u.load.sessions_in_use == 1 && o->u.load.max_sessions == 256);
	o = r ? dmm_mh_find_opt(r, DMM_OPT_DLIF_LLA, NULL) : NULL;
	CHECK(o && o->u.dlif_lla.b[0] == 0xfe && o->u.dlif_lla.b[1] == 0x80 && o->u.dlif_lla.b[15] == 1);
	o = r ? dmm_mh_find_opt(r, DMM_OPT_TIMESTAMP, NULL) : NULL;
	CHECK(o && o->u.timestamp.seconds == 1234);
	CHECK_EQ(H.nlive, 2);
	CHECK(find(DMM_FM_DST, DMM_FM_ENCAP, &p) &&
	      dmm_addr_eq(&find(DMM_FM_DST, DMM_FM_ENCAP, &p)->peer, &MAAR2));
	CHECK(find(DMM_FM_SRC, DMM_FM_DECAP, &p) &&
	      dmm_addr_eq(&find(DMM_FM_SRC, DMM_FM_DECAP, &p)->peer, &MAAR2));
	CHECK(!find(DMM_FM_DST, DMM_FM_BUFFER, &p) && !find(DMM_FM_DST, DMM_FM_DELIVER, &p));
	a = dmm_bcache_find_prefix(dmm_maar_anchored(m), &p);
	CHECK(a && dmm_addr_eq(dmm_bce_pcoa(a), &MAAR2));
	/* The MN moved on: its serving entry here ends, and no de-registration follows. */
	CHECK(dmm_bul_find_mnid(dmm_maar_serving(m), &id) == NULL);
	harness_clear(&H);
	advance(m, 60 * DMM_SECOND);
	CHECK_EQ(harness_count_type(&H, DMM_MH_BU, 0), 0);
	CHECK(find(DMM_FM_DST, DMM_FM_ENCAP, &p) != NULL); /* within the lifetime the CMD granted */
	/* A retransmission of the same PBU changes nothing. */
	deliver(m, &CMD, &c);
	CHECK(last(DMM_MH_BA) && last(DMM_MH_BA)->u.ba.status == 0 && H.nlive == 2);
	CHECK_EQ(dmm_maar_counters(m)->tunnels_up, 1);
	/* The MN moves on to MAAR3: the tunnel follows. */
	cmd_pbu(&c, 42, &id, &p, &MAAR3, 600);
	deliver(m, &CMD, &c);
	CHECK(find(DMM_FM_DST, DMM_FM_ENCAP, &p) &&
	      dmm_addr_eq(&find(DMM_FM_DST, DMM_FM_ENCAP, &p)->peer, &MAAR3));
	CHECK_EQ(H.nlive, 2);
	/* Released (lifetime 0): entry, intents go; the prefix is back in the pool. */
	harness_clear(&H);
	cmd_pbu(&c, 43, &id, &p, &MAAR3, 0);
	deliver(m, &CMD, &c);
	CHECK(last(DMM_MH_BA) && last(DMM_MH_BA)->u.ba.status == 0);
	CHECK_EQ(H.nlive, 0);
	CHECK_EQ(dmm_bcache_count(dmm_maar_anchored(m)), 0);
	CHECK(!dmm_pool_is_used(dmm_maar_pool(m), &p));
	CHECK_EQ(dmm_pool_used(dmm_maar_pool(m)), 0);
	CHECK_EQ(dmm_maar_counters(m)->anchors_released, 1);
	CHECK(harness_logged(&H, "released by the CMD"));
	/* Again: already gone, still accepted. */
	deliver(m, &CMD, &c);
	CHECK(last(DMM_MH_BA) && last(DMM_MH_BA)->u.ba.status == 0);
	dmm_maar_free(m);
}

/* Detach without news: BUFFER, then de-registration after detach_grace. */
static void t_detach_grace(void)
{
	struct dmm_maar *m = setup();
	struct dmm_mh_msg u;
	struct dmm_prefix p;
	struct dmm_mnid id = MN(1);
	const struct dmm_mh_msg *d;

	if (!attach(m, 1, &u))
		return;
	p = hnp_of(&u);
	pba(m, &u, 0, NULL, 0, NULL, NULL);
	harness_clear(&H);
	CHECK_EQ(dmm_maar_detach(m, &id, T), 0);
	CHECK(find(DMM_FM_DST, DMM_FM_BUFFER, &p) && H.nlive == 1);
	CHECK_EQ(H.nsent, 0);
	CHECK_EQ(dmm_maar_detach(m, &id, T), 0); /* twice: no-op */
	advance(m, 10 * DMM_SECOND - DMM_MSEC);
	CHECK_EQ(H.nsent, 0);
	advance(m, DMM_MSEC);
	d = last(DMM_MH_BU);
	CHECK(d && d->u.bu.lifetime == 0 && (d->u.bu.flags & DMM_BU_D));
	CHECK(d &&
	      dmm_prefix_eq(&p, &(struct dmm_prefix){dmm_mh_find_opt(d, DMM_OPT_HNP, NULL)->u.hnp.addr, 64}));
	CHECK_EQ(H.nlive, 0);
	CHECK_EQ(dmm_pool_used(dmm_maar_pool(m)), 0);
	CHECK_EQ(dmm_bcache_count(dmm_maar_anchored(m)), 0);
	CHECK(dmm_bul_find_mnid(dmm_maar_serving(m), &id) &&
	      dmm_bul_find_mnid(dmm_maar_serving(m), &id)->state == DMM_BUL_DEREG_WAIT);
	if (d)
		pba(m, d, 0, NULL, 0, NULL, NULL);
	CHECK(dmm_bul_find_mnid(dmm_maar_serving(m), &id) == NULL);
	CHECK_EQ(dmm_role_stats(m)->deregistrations, 1);
	dmm_maar_free(m);
}

/* The MN comes back to MAAR1 after MAAR2: the same prefix, delivered again. */
static void t_return(void)
{
	struct dmm_maar *m = setup();
	struct dmm_mh_msg u, c;
	struct dmm_prefix p, q2 = prefix_of("2001:db8:200::/64");
	struct dmm_mnid id = MN(1);
	const struct dmm_mn_event *ev;

	if (!attach(m, 1, &u))
		return;
	p = hnp_of(&u);
	pba(m, &u, 0, NULL, 0, NULL, NULL);
	dmm_maar_detach(m, &id, T);
	cmd_pbu(&c, 50, &id, &p, &MAAR2, 600);
	deliver(m, &CMD, &c);
	CHECK(find(DMM_FM_DST, DMM_FM_ENCAP, &p) != NULL);
	T += DMM_SECOND;
	/* Back within the grace period of nothing: a new serving entry, the prefix this MAAR anchors. */
	if (!attach(m, 1, &u))
		return;
	CHECK(dmm_prefix_eq(&p, &(struct dmm_prefix){hnp_of(&u).addr, 64}));
	CHECK_EQ(dmm_maar_counters(m)->local_anchors, 1);
	CHECK_EQ(dmm_pool_used(dmm_maar_pool(m)), 1);
	pba(m, &u, 0, NULL, 1, &MAAR2, &q2);
	CHECK(find(DMM_FM_DST, DMM_FM_DELIVER, &p) && !find(DMM_FM_DST, DMM_FM_ENCAP, &p));
	CHECK(find(DMM_FM_SRC, DMM_FM_ENCAP, &q2) != NULL);
	ev = last_event();
	CHECK(ev && ev->nprefix == 2 && dmm_prefix_eq(&ev->prefix[0], &p) && ev->preferred_s[0] == 600 &&
	      ev->preferred_s[1] == 0);
	/* The CMD may also tell the anchor the MN is served here: it stays delivered. */
	cmd_pbu(&c, 51, &id, &p, &MAAR1, 600);
	deliver(m, &CMD, &c);
	CHECK(last(DMM_MH_BA) && last(DMM_MH_BA)->u.ba.status == 0);
	CHECK(find(DMM_FM_DST, DMM_FM_DELIVER, &p) && !find(DMM_FM_DST, DMM_FM_ENCAP, &p));
	/* Back within detach_grace (no CMD news): the same entry registers again, HI 5. */
	dmm_maar_detach(m, &id, T);
	CHECK(find(DMM_FM_DST, DMM_FM_BUFFER, &p) && !find(DMM_FM_SRC, DMM_FM_ENCAP, &q2));
	T += DMM_SECOND;
	if (!attach(m, 1, &u))
		return;
	CHECK_EQ(dmm_mh_find_opt(&u, DMM_OPT_HI, NULL)->u.hi.value, DMM_HI_NO_CHANGE);
	pba(m, &u, 0, NULL, 1, &MAAR2, &q2);
	CHECK(find(DMM_FM_DST, DMM_FM_DELIVER, &p) && !find(DMM_FM_DST, DMM_FM_BUFFER, &p));
	CHECK(find(DMM_FM_SRC, DMM_FM_ENCAP, &q2) != NULL);
	harness_clear(&H);
	advance(m, 30 * DMM_SECOND);
	CHECK_EQ(harness_count_type(&H, DMM_MH_BU, 0), 0); /* the grace timer went with the return */
	dmm_maar_free(m);
}

/* GAP2-1: fake counters through dmm_fm_report. */
static void t_idle_release(void)
{
	struct dmm_maar_cfg c = cfg();
	struct dmm_maar *m;
	struct dmm_mh_msg u;
	struct dmm_prefix p, q[2] = {prefix_of("2001:db8:200::/64"), prefix_of("2001:db8:300::/64")};
	struct dmm_addr a[2];
	const struct dmm_mn_event *ev;
	uint64_t pk = 0;
	bool released_ev = false;

	c.idle_release = 30 * DMM_SECOND;
	c.idle_check = DMM_SECOND;
	m = setup_cfg(&c);
	a[0] = MAAR2;
	a[1] = MAAR3;
	if (!attach(m, 1, &u))
		return;
	p = hnp_of(&u);
	pba(m, &u, 0, NULL, 2, a, q);
	/* q[0] carries traffic every 5 s for 100 s; q[1] none at all. */
	for (unsigned s = 0; s < 100; s += 5) {
		const struct dmm_intent *in = fm_find(m, DMM_FM_SRC, DMM_FM_ENCAP, &q[0]);

		harness_clear(&H);
		if (in) {
			pk += 3;
			dmm_fm_report(dmm_role_fm(m), in->id, pk, pk * 100, T);
		}
		advance(m, 5 * DMM_SECOND);
		for (unsigned i = 0; i < H.nevents; i++)
			if (H.events[i].nprefix == 3 && dmm_prefix_eq(&H.events[i].prefix[2], &q[1]) &&
			    H.events[i].valid_s[2] == 0) {
				released_ev = true;
				CHECK(T - 5 * DMM_SECOND <= 1030 * DMM_SECOND + 2 * DMM_SECOND);
				CHECK_EQ(harness_count_type(&H, DMM_MH_BU, 0), 1);
				CHECK(last(DMM_MH_BU) && last(DMM_MH_BU)->u.bu.lifetime == 0 &&
				      dmm_prefix_eq(hnpp(last(DMM_MH_BU)), &q[1]) &&
				      (last(DMM_MH_BU)->u.bu.flags & DMM_BU_D));
			}
	}
	CHECK(released_ev);
	CHECK_EQ(dmm_maar_counters(m)->prefixes_released, 1);
	CHECK_EQ(intents_of(&q[1]), 0);
	CHECK_EQ(intents_of(&q[0]), 3); /* active: never released */
	CHECK_EQ(intents_of(&p), 1);	/* the own prefix is never released */
	/* The released prefix is not taken back from a later PBA; the release is said again. */
	harness_clear(&H);
	pba(m, &u, 0, NULL, 2, a, q);
	CHECK_EQ(intents_of(&q[1]), 0);
	CHECK(last(DMM_MH_BU) && last(DMM_MH_BU)->u.bu.lifetime == 0);
	/* The CMD's answer to a release is no surprise. */
	{
		struct dmm_mh_msg rel = *last(DMM_MH_BU);
		uint64_t unexpected = dmm_role_stats(m)->rx_unexpected;

		pba(m, &rel, 0, &q[1], 0, NULL, NULL);
		CHECK_EQ(dmm_role_stats(m)->rx_unexpected, unexpected);
	}
	/* q[0] goes quiet after one last packet: released idle_release later, with one event of valid 0. */
	dmm_fm_report(dmm_role_fm(m), fm_find(m, DMM_FM_DST, DMM_FM_DECAP, &q[0])->id, 1, 100, T);
	harness_clear(&H);
	advance(m, 29 * DMM_SECOND);
	CHECK_EQ(intents_of(&q[0]), 3);
	advance(m, 7 * DMM_SECOND);
	CHECK_EQ(intents_of(&q[0]), 0);
	ev = last_event();
	CHECK(ev && ev->nprefix == 2 && dmm_prefix_eq(&ev->prefix[1], &q[0]) && ev->valid_s[1] == 0 &&
	      ev->preferred_s[1] == 0 && ev->valid_s[0] == 600);
	CHECK_EQ(dmm_maar_counters(m)->prefixes_released, 2);
	CHECK_EQ(H.nevents, 1);
	CHECK(harness_logged(&H, "released"));
	/* Nothing tunnelled any more: the idle timer stops. */
	advance(m, 10 * DMM_SECOND);
	CHECK_EQ(H.nevents, 1);
	dmm_maar_free(m);

	/* A data plane without counters: nothing is ever released. */
	m = setup_cfg(&c);
	if (!attach(m, 1, &u))
		return;
	pba(m, &u, 0, NULL, 2, a, q);
	advance(m, 500 * DMM_SECOND);
	CHECK_EQ(intents_of(&q[0]), 3);
	CHECK_EQ(intents_of(&q[1]), 3);
	CHECK_EQ(dmm_maar_counters(m)->prefixes_released, 0);
	dmm_maar_free(m);
}

/* Two old prefixes idle at once: one release PBU with both HNPs; a refused release is sent once more. */
static void t_release_batch(void)
{
	struct dmm_maar_cfg c = cfg();
	struct dmm_maar *m;
	struct dmm_mh_msg u, rel;
	struct dmm_prefix q[2] = {prefix_of("2001:db8:200::/64"), prefix_of("2001:db8:300::/64")};
	struct dmm_addr a[2];
	const struct dmm_mn_event *ev;
	const struct dmm_intent *own;

	c.idle_release = 10 * DMM_SECOND;
	m = setup_cfg(&c);
	a[0] = MAAR2;
	a[1] = MAAR3;
	if (!attach(m, 1, &u))
		return;
	pba(m, &u, 0, NULL, 2, a, q);
	own = fm_find(m, DMM_FM_DST, DMM_FM_DELIVER, hnpp(&u));
	if (own)
		dmm_fm_report(dmm_role_fm(m), own->id, 5, 500, T); /* the data plane counts */
	harness_clear(&H);
	advance(m, 11 * DMM_SECOND);
	CHECK_EQ(harness_count_type(&H, DMM_MH_BU, 0), 1);
	CHECK(last(DMM_MH_BU) && dmm_mh_count_opt(last(DMM_MH_BU), DMM_OPT_HNP) == 2 &&
	      last(DMM_MH_BU)->u.bu.lifetime == 0);
	ev = last_event();
	CHECK(ev && ev->nprefix == 3 && ev->valid_s[1] == 0 && ev->valid_s[2] == 0 && ev->valid_s[0] == 600);
	CHECK_EQ(dmm_maar_counters(m)->prefixes_released, 2);
	if (!last(DMM_MH_BU))
		return;
	rel = *last(DMM_MH_BU);
	/* Its timestamp is above the registration's, even in the same clock tick. */
	CHECK(dmm_mh_find_opt(&rel, DMM_OPT_TIMESTAMP, NULL)->u.timestamp.seconds >=
	      dmm_mh_find_opt(&u, DMM_OPT_TIMESTAMP, NULL)->u.timestamp.seconds);
	harness_clear(&H);
	pba(m, &rel, DMM_BA_TIMESTAMP_LOWER_THAN_PREV, NULL, 0, NULL, NULL);
	CHECK_EQ(harness_count_type(&H, DMM_MH_BU, 0), 1);
	CHECK(last(DMM_MH_BU) && dmm_mh_count_opt(last(DMM_MH_BU), DMM_OPT_HNP) == 2 &&
	      last(DMM_MH_BU)->u.bu.seq != rel.u.bu.seq);
	if (last(DMM_MH_BU))
		rel = *last(DMM_MH_BU);
	harness_clear(&H);
	pba(m, &rel, DMM_BA_TIMESTAMP_LOWER_THAN_PREV, NULL, 0, NULL, NULL);
	CHECK_EQ(H.nsent, 0); /* once only */
	dmm_maar_free(m);
}

/* GAP1-3 at the S-MAAR: pool full or anchoring off: HNP ::/0; the CMD's choice is preferred. */
static void t_pool_exhausted(void)
{
	struct dmm_maar_cfg c = cfg();
	struct dmm_maar *m;
	struct dmm_mh_msg u;
	struct dmm_prefix chosen = prefix_of("2001:db8:200::/64");
	const struct dmm_mn_event *ev;
	const struct dmm_mh_opt *o;

	c.max_anchored = 1;
	m = setup_cfg(&c);
	if (!attach(m, 1, &u))
		return;
	CHECK(!dmm_addr_is_zero(&hnpp(&u)->addr));
	pba(m, &u, 0, NULL, 0, NULL, NULL);
	if (!attach(m, 2, &u))
		return;
	CHECK_EQ(dmm_mh_count_opt(&u, DMM_OPT_HNP), 1);
	CHECK(dmm_addr_is_zero(&hnpp(&u)->addr) && hnp_of(&u).len == 0);
	o = dmm_mh_find_opt(&u, DMM_OPT_LOAD, NULL);
	CHECK(o && o->u.load.sessions_in_use == 1 && o->u.load.max_sessions == 1);
	CHECK_EQ(dmm_maar_counters(m)->remote_anchor_asks, 1);
	CHECK_EQ(dmm_pool_used(dmm_maar_pool(m)), 1);
	/* The CMD chose MAAR2: HNP = its prefix, a Previous MAAR option names the anchor. */
	pba(m, &u, 0, &chosen, 1, &MAAR2, &chosen);
	CHECK(find(DMM_FM_SRC, DMM_FM_ENCAP, &chosen) &&
	      dmm_addr_eq(&find(DMM_FM_SRC, DMM_FM_ENCAP, &chosen)->peer, &MAAR2));
	CHECK(find(DMM_FM_DST, DMM_FM_DECAP, &chosen) && find(DMM_FM_DST, DMM_FM_DELIVER, &chosen));
	ev = last_event();
	CHECK(ev && ev->type == DMM_MN_REGISTERED && ev->nprefix == 1 &&
	      dmm_prefix_eq(&ev->prefix[0], &chosen) && ev->preferred_s[0] == 600 &&
	      dmm_addr_eq(&ev->anchor_of[0], &MAAR2));
	/* Its refresh names the chosen prefix. */
	harness_clear(&H);
	advance(m, 481 * DMM_SECOND);
	CHECK(last(DMM_MH_BU) && dmm_prefix_eq(hnpp(last(DMM_MH_BU)), &chosen));
	/* No anchor anywhere: 130 refuses the MN. */
	if (!attach(m, 3, &u))
		return;
	pba(m, &u, DMM_BA_INSUFFICIENT_RESOURCES, NULL, 0, NULL, NULL);
	ev = last_event();
	CHECK(ev && ev->type == DMM_MN_REFUSED && ev->status == 130);
	dmm_maar_free(m);

	c = cfg();
	c.anchor_locally = false;
	m = setup_cfg(&c);
	if (!attach(m, 1, &u))
		return;
	CHECK(dmm_addr_is_zero(&hnpp(&u)->addr));
	CHECK_EQ(dmm_pool_used(dmm_maar_pool(m)), 0);
	dmm_maar_free(m);
}

/* GAP1-3 at the anchor: the CMD asks this MAAR to anchor a prefix for an MN served at MAAR2. */
static void t_remote_anchoring(void)
{
	struct dmm_maar_cfg c = cfg();
	struct dmm_maar *m;
	struct dmm_mh_msg u;
	struct dmm_mnid id = MN(7), id2 = MN(8);
	const struct dmm_mh_msg *r;
	struct dmm_prefix p;

	c.max_anchored = 1;
	m = setup_cfg(&c);
	harness_clear(&H);
	cmd_pbu(&u, 60, &id, NULL, &MAAR2, 600);
	deliver(m, &CMD, &u);
	r = last(DMM_MH_BA);
	CHECK(r && r->u.ba.status == 0 && r->u.ba.seq == 60);
	if (!r)
		return;
	p = hnp_of(r);
	CHECK(p.len == 64 && dmm_pool_is_used(dmm_maar_pool(m), &p));
	CHECK(find(DMM_FM_DST, DMM_FM_ENCAP, &p) &&
	      dmm_addr_eq(&find(DMM_FM_DST, DMM_FM_ENCAP, &p)->peer, &MAAR2));
	CHECK(find(DMM_FM_SRC, DMM_FM_DECAP, &p) != NULL);
	CHECK(dmm_mh_find_opt(r, DMM_OPT_LOAD, NULL) &&
	      dmm_mh_find_opt(r, DMM_OPT_LOAD, NULL)->u.load.sessions_in_use == 1);
	/* A retransmission gets the same prefix. */
	deliver(m, &CMD, &u);
	r = last(DMM_MH_BA);
	CHECK(r && r->u.ba.status == 0 && dmm_prefix_eq(hnpp(r), &p));
	CHECK_EQ(dmm_bcache_count(dmm_maar_anchored(m)), 1);
	/* Full: 130, nothing allocated. */
	cmd_pbu(&u, 61, &id2, NULL, &MAAR2, 600);
	deliver(m, &CMD, &u);
	CHECK(last(DMM_MH_BA) && last(DMM_MH_BA)->u.ba.status == DMM_BA_INSUFFICIENT_RESOURCES);
	CHECK_EQ(dmm_pool_used(dmm_maar_pool(m)), 1);
	/* An anchor for ourselves is not the CMD's to ask. */
	cmd_pbu(&u, 62, &id2, NULL, &MAAR1, 600);
	deliver(m, &CMD, &u);
	CHECK(last(DMM_MH_BA) && last(DMM_MH_BA)->u.ba.status == DMM_BA_UNSPECIFIED);
	/* Released: back in the pool. */
	cmd_pbu(&u, 63, &id, &p, &MAAR2, 0);
	deliver(m, &CMD, &u);
	CHECK_EQ(dmm_pool_used(dmm_maar_pool(m)), 0);
	CHECK_EQ(H.nlive, 0);
	dmm_maar_free(m);
}

/*
 * issue 9 §2.8: RFC 5213 §6.9.1.1 item 4. An MN new to this MAAR may be
 * a first attachment or a handover from another MAAR (the CMD knows
 * which, the MAAR does not): HI 4, handoff state unknown. Back within
 * detach_grace the MN is known here: 5.
 */
static void t_handoff_indicator(void)
{
	static const struct {
		const char *what;
		unsigned
			step; /* 0 attach, 1 retransmission, 2 CMD restart before the PBA, 3 back after detach */
		uint8_t hi;
	} cases[] = {
		{"new MN", 0, DMM_HI_UNKNOWN},
		{"its retransmission", 1, DMM_HI_UNKNOWN},
		{"CMD restart, never registered", 2, DMM_HI_UNKNOWN},
		{"back within detach_grace", 3, DMM_HI_NO_CHANGE},
	};
	struct dmm_maar_cfg c = cfg();
	struct dmm_maar *m;
	struct dmm_mnid id = MN(1);
	struct dmm_mh_msg u;

	c.heartbeat_interval = 10 * DMM_SECOND;
	m = setup_cfg(&c);
	for (unsigned k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		const struct dmm_mh_msg *b = NULL;

		harness_clear(&H);
		switch (cases[k].step) {
		case 0:
			CHECK_EQ(dmm_maar_attach(m, &id, 5, LL, 6, DMM_ATT_80211, T), 0);
			break;
		case 1:
			advance(m, 1500 * DMM_MSEC);
			break;
		case 2: {
			/* A restart counter seen from the CMD, then a higher one: every MN registers again. */
			struct dmm_mh_msg hb;
			struct dmm_peer *pe = dmm_peers_get(dmm_role_peers(m), &CMD, true);

			CHECK(pe != NULL);
			if (!pe)
				break;
			dmm_mh_init(&hb, DMM_MH_HB);
			hb.u.hb.flags = DMM_HB_U | DMM_HB_R;
			dmm_mh_add_opt(&hb, DMM_OPT_RESTART)->u.restart.counter = 1;
			deliver(m, &CMD, &hb);
			hb.opts[0].u.restart.counter = 2;
			harness_clear(&H);
			deliver(m, &CMD, &hb);
			break;
		}
		case 3:
			b = last(DMM_MH_BU);
			if (b)
				u = *b;
			pba(m, &u, 0, NULL, 0, NULL, NULL);
			CHECK_EQ(dmm_maar_detach(m, &id, T), 0);
			T += DMM_SECOND;
			harness_clear(&H);
			CHECK_EQ(dmm_maar_attach(m, &id, 5, LL, 6, DMM_ATT_80211, T), 0);
			break;
		}
		b = last(DMM_MH_BU);
		if (cases[k].step == 2)
			b = NULL;
		for (unsigned i = 0; cases[k].step == 2 && i < H.nsent; i++)
			if (!H.sent[i].decode_err && H.sent[i].msg.type == DMM_MH_BU)
				b = &H.sent[i].msg;
		CHECK(b != NULL);
		if (!b)
			continue;
		if (!dmm_mh_find_opt(b, DMM_OPT_HI, NULL) ||
		    dmm_mh_find_opt(b, DMM_OPT_HI, NULL)->u.hi.value != cases[k].hi)
			fprintf(stderr, "handoff indicator: %s: HI %u, want %u\n", cases[k].what,
				dmm_mh_find_opt(b, DMM_OPT_HI, NULL)
					? dmm_mh_find_opt(b, DMM_OPT_HI, NULL)->u.hi.value
					: 0,
				cases[k].hi);
		CHECK(dmm_mh_find_opt(b, DMM_OPT_HI, NULL) &&
		      dmm_mh_find_opt(b, DMM_OPT_HI, NULL)->u.hi.value == cases[k].hi);
		u = *b;
	}
	dmm_maar_free(m);
}

/*
 * issue 9 §2.2: RFC 5213 §5.5 rules 5-8, RFC 6275 §9.5.1. The CMD's PBUs
 * about one anchored prefix (one mobility session) are applied in the
 * order they were sent: by Timestamp when they carry one (the sequence
 * number is then ignored), else by sequence number modulo 2^16. A late,
 * older PBU changes nothing and gets 157 (with our time of day) or 135
 * (with the last accepted sequence number); a repeat of the last accepted
 * PBU is answered 0 and changes nothing.
 */
static void t_cmd_order(void)
{
	static const struct {
		uint16_t seq;
		uint32_t ts;	 /* seconds of the Timestamp; 0: none */
		uint8_t serving; /* 2: MAAR2, 3: MAAR3 */
		uint32_t lifetime_s;
		uint8_t status;
		uint16_t ba_seq;
		uint8_t tunnel; /* the anchor's tunnel afterwards: 2, 3; 0: released */
	} steps[] = {
		{100, 5000, 2, 600, 0, 100, 2},
		{102, 5002, 3, 600, 0, 102, 3},
		{101, 5001, 2, 600, DMM_BA_TIMESTAMP_LOWER_THAN_PREV, 101, 3}, /* late: moved it back */
		{102, 5002, 3, 600, 0, 102, 3},				       /* the same PBU again */
		{99, 4000, 2, 0, DMM_BA_TIMESTAMP_LOWER_THAN_PREV, 99, 3},     /* a late release */
		{103, 0, 2, 600, 0, 103, 2},
		{101, 0, 3, 600, DMM_BA_SEQ_OUT_OF_WINDOW, 103, 2},
		{103, 0, 2, 600, 0, 103, 2},
		{65000, 0, 3, 600, DMM_BA_SEQ_OUT_OF_WINDOW, 103, 2}, /* below 103 modulo 2^16 */
		{50, 5004, 3, 600, 0, 50, 3},			      /* a Timestamp: the seq is ignored */
		{51, 0, 3, 0, 0, 51, 0},
	};
	struct dmm_maar *m = setup();
	struct dmm_mh_msg u, c;
	struct dmm_prefix p;
	struct dmm_mnid id = MN(1);

	if (!attach(m, 1, &u))
		return;
	p = hnp_of(&u);
	pba(m, &u, 0, NULL, 0, NULL, NULL);
	CHECK_EQ(dmm_maar_detach(m, &id, T), 0);
	for (unsigned k = 0; k < sizeof(steps) / sizeof(steps[0]); k++) {
		const struct dmm_addr *s = steps[k].serving == 2 ? &MAAR2 : &MAAR3;
		const struct dmm_intent *in;
		const struct dmm_mh_msg *r;
		const struct dmm_mh_opt *o;

		harness_clear(&H);
		cmd_pbu(&c, steps[k].seq, &id, &p, s, steps[k].lifetime_s);
		if (steps[k].ts)
			dmm_mh_add_opt(&c, DMM_OPT_TIMESTAMP)->u.timestamp.seconds = steps[k].ts;
		deliver(m, &CMD, &c);
		r = last(DMM_MH_BA);
		in = find(DMM_FM_DST, DMM_FM_ENCAP, &p);
		if (!r || r->u.ba.status != steps[k].status || r->u.ba.seq != steps[k].ba_seq)
			fprintf(stderr, "cmd order: step %u (seq %u ts %u): status %u seq %u\n", k,
				steps[k].seq, steps[k].ts, r ? r->u.ba.status : 999, r ? r->u.ba.seq : 0);
		CHECK(r && r->u.ba.status == steps[k].status && r->u.ba.seq == steps[k].ba_seq);
		if (steps[k].tunnel)
			CHECK(in && dmm_addr_eq(&in->peer, steps[k].tunnel == 2 ? &MAAR2 : &MAAR3));
		else
			CHECK(!in && dmm_bcache_count(dmm_maar_anchored(m)) == 0);
		o = r ? dmm_mh_find_opt(r, DMM_OPT_TIMESTAMP, NULL) : NULL;
		if (steps[k].status == DMM_BA_TIMESTAMP_LOWER_THAN_PREV)
			CHECK(o && o->u.timestamp.seconds != steps[k].ts); /* §5.5 rule 8: our time of day */
		else if (steps[k].ts)
			CHECK(o && o->u.timestamp.seconds == steps[k].ts); /* rule 7: echoed */
	}
	CHECK_EQ(dmm_pool_used(dmm_maar_pool(m)), 0);
	dmm_maar_free(m);
}

/*
 * issue 9 §2.15: RFC 6275 §9.5.2 (a binding is deleted when its lifetime
 * runs out), RFC 5213 §5.3.3. An anchored prefix whose MN is served
 * elsewhere lives as long as the CMD's last PBU granted; a refresh
 * extends it; when it runs out (a release the CMD gave up on) the entry,
 * its tunnel and its prefix go. While the MN is attached here its serving
 * entry decides.
 */
static void t_anchor_expiry(void)
{
	static const struct {
		const char *what;
		bool remote;	   /* anchored for another S-MAAR on request (HNP ::/0) */
		bool comes_back;   /* the MN registers here again before the lifetime ends */
		uint32_t lifetime; /* granted by the CMD (a multiple of 4 s, the wire unit) */
	} cases[] = {
		{"own prefix, MN at MAAR2", false, false, 100},
		{"requested by the CMD", true, false, 48},
		{"own prefix, MN back here", false, true, 100},
	};

	for (unsigned k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		struct dmm_maar *m = setup();
		struct dmm_mh_msg u, c;
		struct dmm_prefix p;
		struct dmm_mnid id = MN(1);
		dmm_time_t life = (dmm_time_t)cases[k].lifetime * DMM_SECOND;

		if (cases[k].remote) {
			cmd_pbu(&c, 10, &id, NULL, &MAAR2, cases[k].lifetime);
			deliver(m, &CMD, &c);
			CHECK(last(DMM_MH_BA) && last(DMM_MH_BA)->u.ba.status == 0);
			p = last(DMM_MH_BA) ? hnp_of(last(DMM_MH_BA)) : p;
		} else {
			if (!attach(m, 1, &u))
				return;
			p = hnp_of(&u);
			pba(m, &u, 0, NULL, 0, NULL, NULL);
			CHECK_EQ(dmm_maar_detach(m, &id, T), 0);
			cmd_pbu(&c, 10, &id, &p, &MAAR2, cases[k].lifetime);
			deliver(m, &CMD, &c);
		}
		CHECK(find(DMM_FM_DST, DMM_FM_ENCAP, &p) != NULL);
		/* A refresh before the end: another lifetime from now. */
		advance(m, life - DMM_SECOND);
		CHECK_EQ(dmm_bcache_count(dmm_maar_anchored(m)), 1);
		cmd_pbu(&c, 11, &id, &p, &MAAR2, cases[k].lifetime);
		deliver(m, &CMD, &c);
		advance(m, life - DMM_SECOND);
		CHECK_EQ(dmm_bcache_count(dmm_maar_anchored(m)), 1);
		if (cases[k].comes_back) {
			if (!attach(m, 1, &u))
				return;
			pba(m, &u, 0, NULL, 0, NULL, NULL);
			CHECK(find(DMM_FM_DST, DMM_FM_DELIVER, &p) != NULL);
		}
		advance(m, 2 * DMM_SECOND);
		if (cases[k].comes_back) {
			CHECK_EQ(dmm_bcache_count(dmm_maar_anchored(m)), 1);
			CHECK(find(DMM_FM_DST, DMM_FM_DELIVER, &p) != NULL);
			dmm_maar_free(m);
			continue;
		}
		if (dmm_bcache_count(dmm_maar_anchored(m)) != 0)
			fprintf(stderr, "anchor expiry: %s: still anchored after its lifetime\n",
				cases[k].what);
		CHECK_EQ(dmm_bcache_count(dmm_maar_anchored(m)), 0);
		CHECK(!dmm_pool_is_used(dmm_maar_pool(m), &p));
		CHECK_EQ(H.nlive, 0);
		CHECK_EQ(dmm_maar_counters(m)->anchors_released, 1);
		CHECK(harness_logged(&H, "lifetime expired"));
		dmm_maar_free(m);
	}
}

/*
 * issue 9 §2.13: RFC 8885 §4.7 and §3.2 step 3. The P-MAAR's PBA to the
 * CMD carries the DLIF link-local address the MN sees on the access link
 * (the shared one of RFC 5213 §6.8, not one derived from our global
 * address) and the Serving MAAR option of the PBU.
 */
static void t_dlif_serving(void)
{
	struct dmm_maar_cfg cf = cfg();
	struct dmm_maar *m;
	struct dmm_mh_msg u, c;
	struct dmm_prefix p, other = prefix_of("2001:db8:99::/64");
	struct dmm_mnid id = MN(1);
	const struct dmm_mh_msg *r;
	const struct dmm_mh_opt *o;

	cf.access_lla = addr_of("fe80::d3:1");
	m = setup_cfg(&cf);
	if (!attach(m, 1, &u))
		return;
	p = hnp_of(&u);
	pba(m, &u, 0, NULL, 0, NULL, NULL);
	CHECK_EQ(dmm_maar_detach(m, &id, T), 0);
	cmd_pbu(&c, 20, &id, &p, &MAAR2, 600);
	deliver(m, &CMD, &c);
	r = last(DMM_MH_BA);
	CHECK(r && r->u.ba.status == 0);
	o = r ? dmm_mh_find_opt(r, DMM_OPT_DLIF_LLA, NULL) : NULL;
	CHECK(o && dmm_addr_eq(&o->u.dlif_lla, &cf.access_lla));
	o = r ? dmm_mh_find_opt(r, DMM_OPT_SERVING_MAAR, NULL) : NULL;
	CHECK(o && dmm_addr_eq(&o->u.serving_maar, &MAAR2));
	/* Refused (not anchored here): the Serving MAAR option is echoed, no DLIF. */
	cmd_pbu(&c, 21, &id, &other, &MAAR3, 600);
	deliver(m, &CMD, &c);
	r = last(DMM_MH_BA);
	CHECK(r && r->u.ba.status == DMM_BA_NOT_AUTHORIZED_FOR_HNP);
	o = r ? dmm_mh_find_opt(r, DMM_OPT_SERVING_MAAR, NULL) : NULL;
	CHECK(o && dmm_addr_eq(&o->u.serving_maar, &MAAR3));
	CHECK(r && !dmm_mh_find_opt(r, DMM_OPT_DLIF_LLA, NULL));
	/* Anchored for another S-MAAR on request: both too. */
	cmd_pbu(&c, 22, &id, NULL, &MAAR3, 600);
	deliver(m, &CMD, &c);
	r = last(DMM_MH_BA);
	CHECK(r && r->u.ba.status == 0);
	o = r ? dmm_mh_find_opt(r, DMM_OPT_SERVING_MAAR, NULL) : NULL;
	CHECK(o && dmm_addr_eq(&o->u.serving_maar, &MAAR3));
	o = r ? dmm_mh_find_opt(r, DMM_OPT_DLIF_LLA, NULL) : NULL;
	CHECK(o && dmm_addr_eq(&o->u.dlif_lla, &cf.access_lla));
	dmm_maar_free(m);
}

/* Refusals and silence at the S-MAAR. */
static void t_refused_and_retx(void)
{
	struct dmm_maar *m = setup();
	struct dmm_mh_msg u;
	const struct dmm_mn_event *ev;
	struct dmm_mnid id = MN(1);
	dmm_time_t t0;

	if (!attach(m, 1, &u))
		return;
	pba(m, &u, DMM_BA_PROHIBITED, NULL, 0, NULL, NULL);
	ev = last_event();
	CHECK(ev && ev->type == DMM_MN_REFUSED && ev->status == DMM_BA_PROHIBITED);
	CHECK_EQ(dmm_pool_used(dmm_maar_pool(m)), 0);
	CHECK_EQ(dmm_bcache_count(dmm_maar_anchored(m)), 0);
	CHECK(dmm_bul_find_mnid(dmm_maar_serving(m), &id) == NULL);
	CHECK_EQ(H.nlive, 0);
	/* 156: retried once at once with a fresh timestamp. */
	if (!attach(m, 1, &u))
		return;
	harness_clear(&H);
	pba(m, &u, DMM_BA_TIMESTAMP_MISMATCH, NULL, 0, NULL, NULL);
	CHECK_EQ(harness_count_type(&H, DMM_MH_BU, 0), 1);
	CHECK(last(DMM_MH_BU) && last(DMM_MH_BU)->u.bu.seq != u.u.bu.seq);
	/* No answer: 1.5 s, 3, 6, 12, 24, 32 then give up. */
	harness_clear(&H);
	t0 = T;
	advance(m, 200 * DMM_SECOND);
	CHECK_EQ(harness_count_type(&H, DMM_MH_BU, 0), 5);
	CHECK(H.nsent >= 2 && T > t0);
	ev = last_event();
	CHECK(ev && ev->type == DMM_MN_REFUSED && ev->status == DMM_MN_STATUS_NO_ANSWER);
	CHECK_EQ(dmm_pool_used(dmm_maar_pool(m)), 0);
	CHECK_EQ(dmm_role_stats(m)->pbu_give_ups, 1);
	/* A PBA from anyone but the CMD, or for no PBU, is ignored. */
	if (!attach(m, 1, &u))
		return;
	{
		struct dmm_mh_msg r;

		dmm_mh_init(&r, DMM_MH_BA);
		r.u.ba.flags = DMM_BA_P | DMM_BA_D;
		r.u.ba.seq = u.u.bu.seq;
		add_mnid(&r, &id);
		dmm_mh_add_opt(&r, DMM_OPT_HNP)->u.hnp = hnp_of(&u);
		deliver(m, &STRANGER, &r);
		CHECK(dmm_bul_find_mnid(dmm_maar_serving(m), &id)->state == DMM_BUL_WAIT_PBA);
		r.u.ba.seq = (uint16_t)(u.u.bu.seq + 100);
		deliver(m, &CMD, &r);
		CHECK(dmm_bul_find_mnid(dmm_maar_serving(m), &id)->state == DMM_BUL_WAIT_PBA);
		CHECK_EQ(dmm_role_stats(m)->rx_unexpected, 2);
	}
	dmm_maar_free(m);
}

static void t_malformed(void)
{
	struct dmm_maar *m = setup();
	uint8_t junk[16] = {59, 1, 5, 0, 0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8};
	uint8_t unknown[8] = {59, 0, 30, 0, 0, 0, 0, 0};

	harness_clear(&H);
	dmm_maar_recv(m, &CMD, &MAAR1, junk, 3, T);
	dmm_maar_recv(m, &CMD, &MAAR1, junk, sizeof(junk), T);
	CHECK_EQ(H.nsent, 0);
	dmm_maar_recv(m, &CMD, &MAAR1, unknown, sizeof(unknown), T);
	CHECK(last(DMM_MH_BE) && last(DMM_MH_BE)->u.be.status == DMM_BE_UNKNOWN_MH_TYPE);
	CHECK_EQ(dmm_role_stats(m)->rx_unknown_type, 1);
	CHECK(dmm_bcache_count(dmm_maar_anchored(m)) == 0 && H.nlive == 0);
	dmm_maar_free(m);
}

/* RFC 5847: heartbeats with the CMD; a CMD restart re-registers every MN. */
static void t_cmd_restart(void)
{
	struct dmm_maar_cfg c = cfg();
	struct dmm_maar *m;
	struct dmm_mh_msg u, hb;
	const struct dmm_mh_msg *req;

	c.heartbeat_interval = 10 * DMM_SECOND;
	m = setup_cfg(&c);
	if (!attach(m, 1, &u))
		return;
	pba(m, &u, 0, NULL, 0, NULL, NULL);
	harness_clear(&H);
	advance(m, 10 * DMM_SECOND);
	req = last(DMM_MH_HB);
	CHECK(req && !(req->u.hb.flags & DMM_HB_R));
	if (!req)
		return;
	dmm_mh_init(&hb, DMM_MH_HB);
	hb.u.hb.flags = DMM_HB_R;
	hb.u.hb.seq = req->u.hb.seq;
	dmm_mh_add_opt(&hb, DMM_OPT_RESTART)->u.restart.counter = 1;
	deliver(m, &CMD, &hb);
	harness_clear(&H);
	advance(m, 10 * DMM_SECOND);
	req = last(DMM_MH_HB);
	CHECK(req != NULL);
	if (!req)
		return;
	hb.u.hb.seq = req->u.hb.seq;
	hb.opts[0].u.restart.counter = 2;
	harness_clear(&H);
	deliver(m, &CMD, &hb);
	CHECK(last(DMM_MH_BU) && dmm_prefix_eq(hnpp(last(DMM_MH_BU)), hnpp(&u)));
	dmm_maar_free(m);
}

static void t_ops(void)
{
	struct dmm_maar_cfg c = cfg();
	void *inst;
	struct dmm_mnid id = MN(1);

	CHECK(strcmp(dmm_maar_ops.name, "maar") == 0);
	CHECK(dmm_maar_ops.attach && dmm_maar_ops.detach && dmm_maar_ops.create && dmm_maar_ops.recv);
	harness_init(&H);
	c.addr = addr_of("2001:db8:1::1");
	c.cmd = addr_of("2001:db8:c::1");
	inst = dmm_maar_ops.create(&H.env, &c, 0);
	CHECK(inst != NULL);
	CHECK_EQ(dmm_maar_ops.attach(inst, &id, 1, NULL, 0, 0, 0), 0);
	CHECK_EQ(H.nsent, 1);
	CHECK_EQ(dmm_maar_ops.detach(inst, &id, 0), 0);
	c.max_mns = 1000;
	CHECK_EQ(dmm_maar_ops.reconfigure(inst, &c, 0), DMM_ERR_INVAL);
	c.max_mns = 16;
	c.priority = 3;
	CHECK_EQ(dmm_maar_ops.reconfigure(inst, &c, 0), 0);
	dmm_maar_ops.destroy(inst);
	c.cmd = (struct dmm_addr){{0}};
	CHECK(dmm_maar_ops.create(&H.env, &c, 0) == NULL);
}

/* Run until the MAAR sends a PBU (at most limit); that PBU, or NULL. */
static const struct dmm_mh_msg *next_pbu(struct dmm_maar *m, dmm_time_t limit)
{
	harness_clear(&H);
	for (dmm_time_t end = T + limit; T < end;) {
		advance(m, DMM_SECOND);
		if (last(DMM_MH_BU))
			return last(DMM_MH_BU);
	}
	return NULL;
}

/*
 * A refresh touches no data plane: the serving entry's refreshes (own
 * prefix delivered, two old prefixes tunnelled, RFC 8885 §3.1) and the
 * CMD's refreshes at the anchor (same S-MAAR, §3.2) install and remove
 * nothing. The anchor's handoff to another S-MAAR still moves the
 * tunnel: the downlink replaced in place, the new uplink accepted before
 * the old one goes.
 */
static void t_refresh_no_dataplane(void)
{
	struct dmm_maar_cfg cf = cfg();
	struct dmm_maar *m;
	struct dmm_mh_msg u, c;
	struct dmm_prefix p, q[2] = {prefix_of("2001:db8:200::/64"), prefix_of("2001:db8:300::/64")};
	struct dmm_addr a[2];
	struct dmm_mnid id = MN(1);
	unsigned ins, rem;
	int x, y;

	cf.idle_release = 0; /* the old prefixes stay for the whole test */
	m = setup_cfg(&cf);
	a[0] = MAAR2;
	a[1] = MAAR3;
	if (!attach(m, 1, &u))
		return;
	p = hnp_of(&u);
	pba(m, &u, 0, NULL, 2, a, q);
	CHECK_EQ(H.nlive, 7);
	ins = H.installs, rem = H.removes;
	for (unsigned k = 0; k < 5; k++) {
		const struct dmm_mh_msg *b = next_pbu(m, 700 * DMM_SECOND);

		CHECK(b != NULL);
		if (!b)
			break;
		u = *b;
		pba(m, &u, 0, NULL, 2, a, q);
	}
	CHECK_EQ(dmm_role_stats(m)->lifetime_ext_no_handoff, 5);
	CHECK_EQ(H.installs, ins);
	CHECK_EQ(H.removes, rem);
	CHECK_EQ(H.nlive, 7);
	/* The MN leaves; the CMD says it is served at MAAR2, then refreshes that. */
	CHECK_EQ(dmm_maar_detach(m, &id, T), 0);
	cmd_pbu(&c, 60, &id, &p, &MAAR2, 600);
	deliver(m, &CMD, &c);
	CHECK(find(DMM_FM_DST, DMM_FM_ENCAP, &p) != NULL);
	ins = H.installs, rem = H.removes;
	for (uint16_t k = 0; k < 5; k++) {
		T += 100 * DMM_SECOND;
		cmd_pbu(&c, (uint16_t)(61 + k), &id, &p, &MAAR2, 600);
		deliver(m, &CMD, &c);
		CHECK(last(DMM_MH_BA) && last(DMM_MH_BA)->u.ba.status == 0);
	}
	CHECK_EQ(H.installs, ins);
	CHECK_EQ(H.removes, rem);
	/* Handoff to MAAR3. */
	harness_calls_reset(&H);
	cmd_pbu(&c, 70, &id, &p, &MAAR3, 600);
	deliver(m, &CMD, &c);
	CHECK(find(DMM_FM_DST, DMM_FM_ENCAP, &p) &&
	      dmm_addr_eq(&find(DMM_FM_DST, DMM_FM_ENCAP, &p)->peer, &MAAR3));
	CHECK(find(DMM_FM_SRC, DMM_FM_DECAP, &p) &&
	      dmm_addr_eq(&find(DMM_FM_SRC, DMM_FM_DECAP, &p)->peer, &MAAR3));
	CHECK_EQ(intents_of(&p), 2);
	CHECK_EQ(H.installs, ins + 2);
	CHECK_EQ(H.removes, rem + 2);
	x = harness_call_index(&H, 'r', DMM_FM_DST, DMM_FM_ENCAP, &p, &MAAR2);
	y = harness_call_index(&H, 'i', DMM_FM_DST, DMM_FM_ENCAP, &p, &MAAR3);
	CHECK(x >= 0 && y == x + 1);
	x = harness_call_index(&H, 'i', DMM_FM_SRC, DMM_FM_DECAP, &p, &MAAR3);
	y = harness_call_index(&H, 'r', DMM_FM_SRC, DMM_FM_DECAP, &p, &MAAR2);
	CHECK(x >= 0 && y > x);
	CHECK_EQ(dmm_maar_counters(m)->tunnels_up, 4); /* 2 old prefixes + MAAR2 + MAAR3 */
	dmm_maar_free(m);
}

/*
 * role.h refused, anchored side: the DELIVER intent of a prefix anchored
 * here for an MN served here was refused late: the MN is refused (130),
 * its serving entry and the anchor go, counted. A stale owner is NOTFOUND.
 */
static void t_ops_refused_anchor(void)
{
	struct dmm_maar *m = setup();
	struct dmm_mh_msg u;
	struct dmm_prefix p;
	const struct dmm_intent *in;
	struct dmm_handle h;
	struct dmm_mnid id = MN(1);

	if (!attach(m, 1, &u))
		return;
	p = hnp_of(&u);
	pba(m, &u, 0, NULL, 0, NULL, NULL);
	in = find(DMM_FM_DST, DMM_FM_DELIVER, &p);
	CHECK(in != NULL && dmm_maar_ops.refused != NULL);
	if (!in)
		return;
	h = in->owner;
	harness_clear(&H);
	CHECK_EQ(dmm_maar_ops.refused(m, h, T), 0);
	CHECK_EQ(H.nlive, 0);
	CHECK_EQ(dmm_fm_count(dmm_role_fm(m)), 0);
	CHECK_EQ(dmm_bcache_count(dmm_maar_anchored(m)), 0);
	CHECK(dmm_bul_find_mnid(dmm_maar_serving(m), &id) == NULL);
	CHECK(!dmm_pool_is_used(dmm_maar_pool(m), &p));
	CHECK(last_event() && last_event()->type == DMM_MN_REFUSED &&
	      last_event()->status == DMM_BA_INSUFFICIENT_RESOURCES);
	CHECK_EQ(dmm_role_stats(m)->dp_refused, 1);
	CHECK_EQ(dmm_maar_ops.refused(m, h, T), DMM_ERR_NOTFOUND);
	CHECK_EQ(dmm_role_stats(m)->dp_refused, 1);
	dmm_maar_free(m);
}

/*
 * role.h refused, serving side: the tunnel to a previous MAAR was refused
 * late: the MN's serving entry goes with all its intents, as if its
 * registration had failed.
 */
static void t_ops_refused_serving(void)
{
	struct dmm_maar *m = setup();
	struct dmm_mh_msg u;
	struct dmm_prefix q = prefix_of("2001:db8:200::/64");
	struct dmm_addr a = MAAR2;
	const struct dmm_intent *in;
	struct dmm_handle h;
	struct dmm_mnid id = MN(1);

	if (!attach(m, 1, &u))
		return;
	pba(m, &u, 0, NULL, 1, &a, &q);
	CHECK_EQ(H.nlive, 4);
	in = find(DMM_FM_SRC, DMM_FM_ENCAP, &q);
	CHECK(in != NULL);
	if (!in)
		return;
	h = in->owner;
	CHECK_EQ(dmm_maar_ops.refused(m, h, T), 0);
	CHECK_EQ(H.nlive, 0);
	CHECK(dmm_bul_find_mnid(dmm_maar_serving(m), &id) == NULL);
	CHECK_EQ(dmm_bcache_count(dmm_maar_anchored(m)), 0);
	CHECK_EQ(dmm_role_stats(m)->dp_refused, 1);
	CHECK_EQ(dmm_maar_ops.refused(m, h, T), DMM_ERR_NOTFOUND);
	dmm_maar_free(m);
}

/*
 * GAP2-1 by sessions and the per-prefix policy (maar_sess.c): a session
 * keeps an old prefix without a packet; packets without a session keep
 * nothing; fixed is never released; nomadic is never tunnelled.
 */
static struct dmm_maar_cfg sess_cfg(void)
{
	struct dmm_maar_cfg c = cfg();

	c.idle_release = 30 * DMM_SECOND;
	c.idle_check = DMM_SECOND;
	c.release_by_sessions = true;
	c.prefix_policy[0] = (struct dmm_prefix_policy){prefix_of("2001:db8:300::/48"), DMM_PREFIX_FIXED};
	c.prefix_policy[1] = (struct dmm_prefix_policy){prefix_of("2001:db8:400::/48"), DMM_PREFIX_NOMADIC};
	c.prefix_policy[2] =
		(struct dmm_prefix_policy){prefix_of("2001:db8:400:1::/64"), DMM_PREFIX_SESSIONS};
	c.nprefix_policy = 3;
	return c;
}

static void t_sessions(void)
{
	struct dmm_maar_cfg c = sess_cfg();
	struct dmm_maar *m = setup_cfg(&c);
	struct dmm_mh_msg u;
	struct dmm_prefix q[3] = {prefix_of("2001:db8:200::/64"), prefix_of("2001:db8:300::/64"),
				  prefix_of("2001:db8:400::/64")},
			  got[4], sub = prefix_of("2001:db8:400:1::/64");
	struct dmm_addr a[3] = {MAAR2, MAAR3, MAAR2};
	const struct dmm_mn_event *ev;

	CHECK_EQ(dmm_prefix_kind_of(c.prefix_policy, 3, &q[0]), DMM_PREFIX_SESSIONS);
	CHECK_EQ(dmm_prefix_kind_of(c.prefix_policy, 3, &q[1]), DMM_PREFIX_FIXED);
	CHECK_EQ(dmm_prefix_kind_of(c.prefix_policy, 3, &q[2]), DMM_PREFIX_NOMADIC);
	CHECK_EQ(dmm_prefix_kind_of(c.prefix_policy, 3, &sub), DMM_PREFIX_SESSIONS); /* longest match */
	if (!attach(m, 1, &u))
		return;
	harness_clear(&H);
	pba(m, &u, 0, NULL, 3, a, q);
	/* Nomadic: no tunnel, released to the CMD at once, shown to the MN once with valid 0. */
	CHECK_EQ(intents_of(&q[2]), 0);
	CHECK(last(DMM_MH_BU) && last(DMM_MH_BU)->u.bu.lifetime == 0 &&
	      dmm_prefix_eq(hnpp(last(DMM_MH_BU)), &q[2]));
	ev = last_event();
	CHECK(ev && ev->nprefix == 4 && dmm_prefix_eq(&ev->prefix[3], &q[2]) && ev->valid_s[3] == 0);
	CHECK_EQ(dmm_maar_counters(m)->nomadic_released, 1);
	/* Only the sessions prefix is asked about; the fixed one is not. */
	CHECK_EQ(dmm_maar_session_prefixes(m, got, 4), 1);
	CHECK(dmm_prefix_eq(&got[0], &q[0]));
	CHECK_EQ(dmm_maar_sessions(m, &q[1], 1, T), DMM_ERR_NOTFOUND);
	/* A session on q[0], reported every 5 s for 100 s, and not one packet: kept. */
	for (unsigned s = 0; s < 100; s += 5) {
		CHECK_EQ(dmm_maar_sessions(m, &q[0], 1, T), 0);
		advance(m, 5 * DMM_SECOND);
	}
	CHECK_EQ(intents_of(&q[0]), 3);
	/* The session ended after the last report (5 s ago): released idle_release after it. */
	CHECK_EQ(dmm_maar_sessions(m, &q[0], 0, T), 0);
	advance(m, 24 * DMM_SECOND);
	CHECK_EQ(intents_of(&q[0]), 3);
	advance(m, 2 * DMM_SECOND);
	CHECK_EQ(intents_of(&q[0]), 0);
	/* Fixed: never released, sessions or not (300 s: before the binding's refresh is due). */
	advance(m, 300 * DMM_SECOND);
	CHECK_EQ(intents_of(&q[1]), 3);
	CHECK_EQ(dmm_maar_counters(m)->prefixes_released, 2);
	dmm_maar_free(m);

	/* Stray packets, no session: released idle_release after the tunnel came up. */
	m = setup_cfg(&c);
	if (!attach(m, 1, &u))
		return;
	pba(m, &u, 0, NULL, 1, a, q);
	for (unsigned s = 0; s < 40; s++) {
		const struct dmm_intent *in = fm_find(m, DMM_FM_DST, DMM_FM_DECAP, &q[0]);

		if (in)
			dmm_fm_report(dmm_role_fm(m), in->id, s + 1, (s + 1) * 100, T);
		advance(m, DMM_SECOND);
	}
	CHECK_EQ(intents_of(&q[0]), 0);
	CHECK_EQ(dmm_maar_counters(m)->prefixes_released, 1);
	dmm_maar_free(m);

	/* Anchor side: the CMD names another S-MAAR for a nomadic prefix anchored here: held, not tunnelled. */
	c.prefix_policy[3] = (struct dmm_prefix_policy){prefix_of("2001:db8:100::/56"), DMM_PREFIX_NOMADIC};
	c.nprefix_policy = 4;
	m = setup_cfg(&c);
	if (!attach(m, 1, &u))
		return;
	{
		struct dmm_prefix p = hnp_of(&u);
		struct dmm_mnid id = MN(1);
		struct dmm_mh_msg cp;

		pba(m, &u, 0, NULL, 0, NULL, NULL);
		dmm_maar_detach(m, &id, T);
		cmd_pbu(&cp, 50, &id, &p, &MAAR2, 600);
		deliver(m, &CMD, &cp);
		CHECK(last(DMM_MH_BA) && last(DMM_MH_BA)->u.ba.status == 0);
		CHECK(!find(DMM_FM_DST, DMM_FM_ENCAP, &p) && find(DMM_FM_DST, DMM_FM_BUFFER, &p));
	}
	dmm_maar_free(m);
}

int main(int argc, char **argv)
{
	(void)argv;
	t_initial_attach();
	t_prefix_valid();
	t_previous_maars();
	t_anchor_side();
	t_detach_grace();
	t_return();
	t_idle_release();
	t_release_batch();
	t_pool_exhausted();
	t_remote_anchoring();
	t_handoff_indicator();
	t_cmd_order();
	t_anchor_expiry();
	t_dlif_serving();
	t_refused_and_retx();
	t_malformed();
	t_cmd_restart();
	t_ops();
	t_ops_refused_anchor();
	t_ops_refused_serving();
	t_refresh_no_dataplane();
	t_sessions();
	if (argc > 1)
		H.print_logs = true;
	return check_report("test_maar");
}
