/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Relocation of an anchored prefix (RFC 7429 GAP1-1, docs/dmm-protocol.md
 * §11), both ends of it: the CMD (dmm_cmd_relocate, dmm_cmd_drain, the
 * new anchor's answer moving the pair, the old anchor told) and the MAAR
 * (a relocation PBU taking a prefix over: anchored entry, announcement as
 * the newer anchor, delivery on the MN's link; handing one over: tunnel
 * to the new anchor until dmm_maar_routed(), then released, announcement
 * withdrawn, the prefix kept out of the pool; the refusals).
 */
#include "check.h"
#include "dmm/cmd.h"
#include "dmm/err.h"
#include "dmm/fmt.h"
#include "dmm/maar.h"
#include "helpers.h"
#include "role_harness.h"

static struct harness H;
static struct dmm_addr CMDA, M1, M2, M3;
static struct dmm_prefix P1, P2, PX;
static const int64_t WALL = 1700000000LL * 1000000000LL;
static dmm_time_t T;
static uint16_t SEQ = 100;

static struct sent *sent_to(const struct dmm_addr *dst, uint8_t type)
{
	for (unsigned i = H.nsent; i-- > 0;)
		if (!H.sent[i].decode_err && H.sent[i].msg.type == type && dmm_addr_eq(&H.sent[i].dst, dst))
			return &H.sent[i];
	return NULL;
}

static void add_mnid(struct dmm_mh_msg *m, const char *mn)
{
	struct dmm_mnid id = nai(mn);
	struct dmm_mh_opt *o = dmm_mh_add_opt(m, DMM_OPT_MNID);

	o->u.mnid.subtype = id.subtype;
	o->u.mnid.id.len = id.len;
	memcpy(o->u.mnid.id.b, id.id, id.len);
}

static void add_ts(struct dmm_mh_msg *m)
{
	struct dmm_mh_opt *o = dmm_mh_add_opt(m, DMM_OPT_TIMESTAMP);
	uint64_t w = (uint64_t)((int64_t)T + WALL);

	o->u.timestamp.seconds = w / DMM_SECOND;
	o->u.timestamp.fraction = (uint16_t)(((w % DMM_SECOND) << 16) / DMM_SECOND);
}

static const struct dmm_mh_opt *opt(const struct sent *s, uint8_t type)
{
	return s ? dmm_mh_find_opt(&s->msg, type, NULL) : NULL;
}

/* --- the CMD --- */

static struct dmm_cmd *C;
static struct dmm_policy *POL;

static void cmd_setup(void)
{
	struct dmm_policy_profile prof;
	struct dmm_cmd_cfg cfg;

	dmm_cmd_free(C);
	dmm_policy_free(POL);
	harness_init(&H);
	H.env.wall_offset = WALL;
	POL = dmm_policy_new(&H.alloc, 16, 16, 7);
	dmm_policy_add_mag(POL, &M1);
	dmm_policy_add_mag(POL, &M2);
	dmm_policy_add_mag(POL, &M3);
	memset(&prof, 0, sizeof(prof));
	prof.mnid.subtype = DMM_MNID_NAI;
	prof.may_register = true;
	dmm_policy_set_default(POL, &prof);
	dmm_cmd_cfg_defaults(&cfg);
	cfg.addr = CMDA;
	cfg.policy = POL;
	cfg.max_mns = 8;
	cfg.max_maars = 8;
	cfg.heartbeat_interval = 0;
	T = 1000 * DMM_SECOND;
	C = dmm_cmd_new(&H.env, &cfg, T);
}

static void cmd_deliver(const struct dmm_addr *from, const struct dmm_mh_msg *m)
{
	uint8_t buf[DMM_MH_MAX_LEN];
	int n = dmm_mh_encode(buf, sizeof(buf), m);

	CHECK(n > 0);
	dmm_cmd_recv(C, from, &CMDA, buf, (size_t)n, T);
}

/* A PBU from an S-MAAR for mn, 1 ms on: the next sequence number, A, P and D, lifetime 100. */
static void pbu_of(struct dmm_mh_msg *m, const char *mn)
{
	T += DMM_MSEC;
	dmm_mh_init(m, DMM_MH_BU);
	m->u.bu.seq = ++SEQ;
	m->u.bu.flags = DMM_BU_A | DMM_BU_P | DMM_BU_D;
	m->u.bu.lifetime = 100;
	add_mnid(m, mn);
}

/* The S-MAAR maar registers mn with its prefix hnp. */
static void reg(const struct dmm_addr *maar, const char *mn, const struct dmm_prefix *hnp)
{
	struct dmm_mh_msg m;

	pbu_of(&m, mn);
	dmm_mh_add_opt(&m, DMM_OPT_HNP)->u.hnp = *hnp;
	dmm_mh_add_opt(&m, DMM_OPT_HI)->u.hi.value = DMM_HI_NEW_IF;
	dmm_mh_add_opt(&m, DMM_OPT_ATT)->u.att.value = DMM_ATT_8023;
	add_ts(&m);
	cmd_deliver(maar, &m);
}

/* A MAAR answers the CMD's PBU s with status, echoing HNP and Anchored Prefix. */
static void cmd_answer(const struct sent *s, uint8_t status)
{
	struct dmm_mh_msg m;

	T += DMM_MSEC;
	dmm_mh_init(&m, DMM_MH_BA);
	m.u.ba.status = status;
	m.u.ba.flags = DMM_BA_P | DMM_BA_D;
	m.u.ba.seq = s->msg.u.bu.seq;
	m.u.ba.lifetime = s->msg.u.bu.lifetime;
	dmm_mh_add_opt(&m, DMM_OPT_HNP)->u.hnp = opt(s, DMM_OPT_HNP)->u.hnp;
	if (opt(s, DMM_OPT_ANCHORED_PREFIX))
		*dmm_mh_add_opt(&m, DMM_OPT_ANCHORED_PREFIX) = *opt(s, DMM_OPT_ANCHORED_PREFIX);
	cmd_deliver(&s->dst, &m);
}

/* A relocation PBU from the CMD to maar: A P D, HNP = Anchored Prefix = p, Serving MAAR to. */
static struct sent *reloc_pbu_to(const struct dmm_addr *maar, const struct dmm_prefix *p,
				 const struct dmm_addr *to)
{
	struct sent *s = sent_to(maar, DMM_MH_BU);

	CHECK(s != NULL);
	if (!s)
		return NULL;
	CHECK_EQ(s->msg.u.bu.flags & (DMM_BU_A | DMM_BU_P | DMM_BU_D), DMM_BU_A | DMM_BU_P | DMM_BU_D);
	CHECK(s->msg.u.bu.lifetime > 0);
	CHECK(opt(s, DMM_OPT_HNP) && dmm_prefix_eq(&opt(s, DMM_OPT_HNP)->u.hnp, p));
	CHECK(opt(s, DMM_OPT_ANCHORED_PREFIX) &&
	      dmm_prefix_eq(&opt(s, DMM_OPT_ANCHORED_PREFIX)->u.anchored_prefix, p));
	CHECK(opt(s, DMM_OPT_SERVING_MAAR) && dmm_addr_eq(&opt(s, DMM_OPT_SERVING_MAAR)->u.serving_maar, to));
	CHECK(opt(s, DMM_OPT_MNID) != NULL);
	return s;
}

static const struct dmm_bcache_entry *mn(const char *id)
{
	struct dmm_mnid m = nai(id);

	return dmm_bcache_find_mnid(dmm_cmd_bcache(C), &m);
}

static int pair_of(const char *id, const struct dmm_prefix *p, struct dmm_addr *anchor)
{
	const struct dmm_bcache_entry *e = mn(id);

	for (unsigned i = 0; e && i < dmm_bce_pmaar(e)->n; i++)
		if (dmm_prefix_eq(&dmm_bce_pmaar(e)->a[i].prefix, p)) {
			*anchor = dmm_bce_pmaar(e)->a[i].addr;
			return (int)i;
		}
	return -1;
}

static uint32_t anchored_count(const struct dmm_addr *a)
{
	for (const struct dmm_cmd_anchor *x = dmm_cmd_anchor_next(C, NULL); x; x = dmm_cmd_anchor_next(C, x))
		if (dmm_addr_eq(&x->addr, a))
			return x->anchored;
	return 0;
}

static void test_cmd_relocate(void)
{
	struct dmm_addr a;
	struct sent *s;

	cmd_setup();
	reg(&M1, "a@x", &P1);
	reg(&M2, "a@x", &P2); /* handover: P1 stays at M1 */
	s = sent_to(&M1, DMM_MH_BU);
	CHECK(s != NULL);
	cmd_answer(s, 0);
	/* Refusals change nothing. */
	CHECK_EQ(dmm_cmd_relocate(C, &PX, NULL, T), DMM_ERR_NOTFOUND);
	CHECK_EQ(dmm_cmd_relocate(C, &P1, &M3, T), DMM_ERR_INVAL);  /* not the S-MAAR */
	CHECK_EQ(dmm_cmd_relocate(C, &P2, NULL, T), DMM_ERR_INVAL); /* anchored there already */
	harness_clear(&H);
	T += DMM_MSEC; /* past the pacing gap (RFC 8885 §3.2) */
	CHECK_EQ(dmm_cmd_relocate(C, &P1, &M2, T), 0);
	/* §11 step 1: the new anchor (the S-MAAR) is asked first; the pair has not moved yet. */
	s = reloc_pbu_to(&M2, &P1, &M2);
	CHECK(sent_to(&M1, DMM_MH_BU) == NULL);
	CHECK(pair_of("a@x", &P1, &a) == 0 && dmm_addr_eq(&a, &M1));
	/* Refused: nothing moves, the old anchor is not told. */
	cmd_answer(s, DMM_BA_INSUFFICIENT_RESOURCES);
	CHECK(pair_of("a@x", &P1, &a) == 0 && dmm_addr_eq(&a, &M1));
	CHECK(sent_to(&M1, DMM_MH_BU) == NULL);
	/* Again, accepted: step 3, the pair moves in place and the old anchor learns it. */
	harness_clear(&H);
	T += DMM_MSEC;
	CHECK_EQ(dmm_cmd_relocate(C, &P1, NULL, T), 0);
	s = reloc_pbu_to(&M2, &P1, &M2);
	cmd_answer(s, 0);
	CHECK(pair_of("a@x", &P1, &a) == 0 && dmm_addr_eq(&a, &M2));
	CHECK_EQ(anchored_count(&M1), 0);
	CHECK_EQ(anchored_count(&M2), 2);
	s = reloc_pbu_to(&M1, &P1, &M2);
	cmd_answer(s, 0);
	/* Nothing more to relocate. */
	CHECK_EQ(dmm_cmd_relocate(C, &P1, NULL, T), DMM_ERR_INVAL);
}

/*
 * docs/dmm-protocol.md §11.1: the Anchor Usage option is a Vendor-Specific
 * Mobility Option (RFC 5094 §3: Vendor ID 32473, Sub-Type 1) whose 40
 * octets of Data are the start (RFC 5213 §8.8 Timestamp format) and the
 * uplink packets, uplink octets, downlink packets and downlink octets,
 * 64 bits each. USAGE_DATA is that Data for a start of 1700000000.5 s
 * and counters 1, 2, 3, 4 (written by hand from the layout).
 */
static const uint8_t USAGE_DATA[40] = {
	0x00, 0x00, 0x65, 0x53, 0xf1, 0x00, 0x80, 0x00, /* 1700000000 s, 0x8000 / 65536 */
	0,    0,    0,	  0,	0,    0,    0,	  1,	0, 0, 0, 0, 0, 0, 0, 2,
	0,    0,    0,	  0,	0,    0,    0,	  3,	0, 0, 0, 0, 0, 0, 0, 4,
};
static const int64_t USAGE_START = 1700000000LL * 1000000000LL + 500000000LL;

static void add_usage(struct dmm_mh_msg *m)
{
	struct dmm_mh_opt *o = dmm_mh_add_opt(m, DMM_OPT_VSM);

	o->u.vsm.vendor_id = 32473;
	o->u.vsm.subtype = 1;
	o->u.vsm.data.len = sizeof(USAGE_DATA);
	memcpy(o->u.vsm.data.b, USAGE_DATA, sizeof(USAGE_DATA));
}

static bool has_usage(const struct sent *s, const uint8_t *data)
{
	const struct dmm_mh_opt *o = opt(s, DMM_OPT_VSM);

	return o && o->u.vsm.vendor_id == 32473 && o->u.vsm.subtype == 1 && o->u.vsm.data.len == 40 &&
	       memcmp(o->u.vsm.data.b, data, 40) == 0;
}

/*
 * §11.1: the old anchor's PBA carries its usage; the CMD passes it on to
 * the new anchor in a PBU like the first (Anchored Prefix, Serving MAAR),
 * and the answer moves nothing.
 */
static void test_cmd_usage(void)
{
	struct dmm_mh_msg m;
	struct dmm_addr a;
	struct sent *s;

	cmd_setup();
	reg(&M1, "a@x", &P1);
	reg(&M2, "a@x", &P2);
	cmd_answer(sent_to(&M1, DMM_MH_BU), 0);
	T += DMM_MSEC;
	CHECK_EQ(dmm_cmd_relocate(C, &P1, &M2, T), 0);
	cmd_answer(reloc_pbu_to(&M2, &P1, &M2), 0);
	/* Without a usage in the old anchor's PBA, nothing more. */
	s = reloc_pbu_to(&M1, &P1, &M2);
	harness_clear(&H);
	cmd_answer(s, 0);
	CHECK(sent_to(&M2, DMM_MH_BU) == NULL);
	/* Again (P1 back at M1 in a fresh CMD), with the usage: passed on as it came. */
	cmd_setup();
	reg(&M1, "a@x", &P1);
	reg(&M2, "a@x", &P2);
	cmd_answer(sent_to(&M1, DMM_MH_BU), 0);
	T += DMM_MSEC;
	CHECK_EQ(dmm_cmd_relocate(C, &P1, &M2, T), 0);
	cmd_answer(reloc_pbu_to(&M2, &P1, &M2), 0);
	s = reloc_pbu_to(&M1, &P1, &M2);
	CHECK(!has_usage(s, USAGE_DATA)); /* the CMD sends none of its own */
	T += DMM_MSEC;
	dmm_mh_init(&m, DMM_MH_BA);
	m.u.ba.flags = DMM_BA_P | DMM_BA_D;
	m.u.ba.seq = s->msg.u.bu.seq;
	m.u.ba.lifetime = s->msg.u.bu.lifetime;
	dmm_mh_add_opt(&m, DMM_OPT_HNP)->u.hnp = P1;
	dmm_mh_add_opt(&m, DMM_OPT_ANCHORED_PREFIX)->u.anchored_prefix = P1;
	add_usage(&m);
	harness_clear(&H);
	cmd_deliver(&M1, &m);
	T += DMM_SECOND;
	dmm_role_expire(C, T); /* past the pacing slot */
	s = reloc_pbu_to(&M2, &P1, &M2);
	CHECK(has_usage(s, USAGE_DATA));
	harness_clear(&H);
	cmd_answer(s, 0);
	CHECK(pair_of("a@x", &P1, &a) == 0 && dmm_addr_eq(&a, &M2));
	CHECK_EQ(anchored_count(&M2), 2);
	CHECK(sent_to(&M1, DMM_MH_BU) == NULL && sent_to(&M2, DMM_MH_BU) == NULL);
}

/*
 * §11: a prefix relocated away from the MAAR whose pool it came from goes
 * back there when its pair ends: the MN de-registers at its S-MAAR, which
 * anchors the prefix now, and the first anchor gets a lifetime-0 PBU.
 */
static void test_cmd_origin(void)
{
	struct dmm_mh_msg m;
	bool told = false;

	cmd_setup();
	reg(&M1, "a@x", &P1);
	reg(&M2, "a@x", &P2);
	cmd_answer(sent_to(&M1, DMM_MH_BU), 0);
	T += DMM_MSEC;
	CHECK_EQ(dmm_cmd_relocate(C, &P1, &M2, T), 0);
	cmd_answer(reloc_pbu_to(&M2, &P1, &M2), 0);
	cmd_answer(reloc_pbu_to(&M1, &P1, &M2), 0);
	harness_clear(&H);
	pbu_of(&m, "a@x");
	m.u.bu.lifetime = 0;
	dmm_mh_add_opt(&m, DMM_OPT_HNP)->u.hnp = P2;
	dmm_mh_add_opt(&m, DMM_OPT_HI)->u.hi.value = DMM_HI_NEW_IF;
	dmm_mh_add_opt(&m, DMM_OPT_ATT)->u.att.value = DMM_ATT_8023;
	add_ts(&m);
	cmd_deliver(&M2, &m);
	for (int k = 0; k < 20; k++) {
		T += DMM_SECOND;
		dmm_role_expire(C, T);
	}
	CHECK(mn("a@x") == NULL);
	for (unsigned i = 0; i < H.nsent; i++) {
		const struct sent *x = &H.sent[i];

		if (x->msg.type == DMM_MH_BU && dmm_addr_eq(&x->dst, &M1) && x->msg.u.bu.lifetime == 0 &&
		    opt(x, DMM_OPT_HNP) && dmm_prefix_eq(&opt(x, DMM_OPT_HNP)->u.hnp, &P1) &&
		    !opt(x, DMM_OPT_ANCHORED_PREFIX))
			told = true;
	}
	CHECK(told);
	dmm_cmd_free(C);
	C = NULL;
	dmm_policy_free(POL);
	POL = NULL;
}

/* The S-MAAR maar asks for the old prefix p of mn (relocate_after): PBU with Anchored Prefix. */
static void ask(const struct dmm_addr *maar, const char *mn, const struct dmm_prefix *p)
{
	struct dmm_mh_msg m;

	pbu_of(&m, mn);
	dmm_mh_add_opt(&m, DMM_OPT_HNP)->u.hnp = *p;
	dmm_mh_add_opt(&m, DMM_OPT_ANCHORED_PREFIX)->u.anchored_prefix = *p;
	cmd_deliver(maar, &m);
}

static void test_cmd_request(void)
{
	struct sent *s;

	cmd_setup();
	reg(&M1, "a@x", &P1);
	reg(&M2, "a@x", &P2);
	cmd_answer(sent_to(&M1, DMM_MH_BU), 0);
	/* Not the MN's S-MAAR, or not the MN's prefix: 155, nothing starts. */
	harness_clear(&H);
	ask(&M3, "a@x", &P1);
	s = sent_to(&M3, DMM_MH_BA);
	CHECK(s && s->msg.u.ba.status == DMM_BA_NOT_AUTHORIZED_FOR_HNP);
	ask(&M2, "b@x", &P1);
	s = sent_to(&M2, DMM_MH_BA);
	CHECK(s && s->msg.u.ba.status == DMM_BA_NOT_AUTHORIZED_FOR_HNP);
	CHECK(sent_to(&M2, DMM_MH_BU) == NULL);
	/* The S-MAAR asks: PBA 0, and the relocation PBU to it (§11 step 1). */
	harness_clear(&H);
	ask(&M2, "a@x", &P1);
	s = sent_to(&M2, DMM_MH_BA);
	CHECK(s && s->msg.u.ba.status == 0 && opt(s, DMM_OPT_HNP) &&
	      dmm_prefix_eq(&opt(s, DMM_OPT_HNP)->u.hnp, &P1));
	T += DMM_SECOND;
	dmm_role_expire(C, T); /* the relocation PBU waits for its pacing slot */
	reloc_pbu_to(&M2, &P1, &M2);
}

static void test_cmd_drain(void)
{
	struct dmm_addr a;
	struct sent *s;

	cmd_setup();
	reg(&M1, "a@x", &P1);
	reg(&M2, "a@x", &P2);
	reg(&M3, "a@x", &PX);
	harness_clear(&H);
	/* M3 serves: M1's and M2's prefixes move there; M3 itself has nothing to drain. */
	CHECK_EQ(dmm_cmd_drain(C, &M3, T), 0);
	T += DMM_MSEC;
	CHECK_EQ(dmm_cmd_drain(C, &M1, T), 1);
	s = reloc_pbu_to(&M3, &P1, &M3);
	cmd_answer(s, 0);
	CHECK(pair_of("a@x", &P1, &a) == 0 && dmm_addr_eq(&a, &M3));
	T += DMM_MSEC;
	CHECK_EQ(dmm_cmd_drain(C, &M2, T), 1);
	s = reloc_pbu_to(&M3, &P2, &M3);
	cmd_answer(s, 0);
	CHECK(pair_of("a@x", &P2, &a) == 1 && dmm_addr_eq(&a, &M3));
	CHECK_EQ(anchored_count(&M1) + anchored_count(&M2), 0);
	dmm_cmd_free(C);
	C = NULL;
	dmm_policy_free(POL);
	POL = NULL;
}

/* --- the MAAR --- */

static struct dmm_maar *M;
struct ann {
	struct dmm_prefix p;
	bool up, taken;
};
static struct ann ANN[16];
static unsigned NANN;

/* The daemon's side of §11.1 as the MAAR sees it: the usage it hands over, and the one continued. */
static struct dmm_usage GIVE, GOT;
static unsigned NGET, NCONT;
static struct dmm_addr GET_TO;

static int on_usage_get(void *ctx, struct dmm_handle owner, const struct dmm_prefix *p,
			const struct dmm_addr *to, struct dmm_usage *u)
{
	(void)ctx;
	(void)owner;
	(void)p;
	NGET++;
	GET_TO = *to;
	*u = GIVE;
	return 0;
}

static void on_usage_continue(void *ctx, struct dmm_handle owner, const struct dmm_prefix *p,
			      const struct dmm_usage *u)
{
	(void)ctx;
	(void)owner;
	(void)p;
	NCONT++;
	GOT = *u;
}

static void on_anchored(void *ctx, const struct dmm_prefix *p, bool up, bool taken)
{
	(void)ctx;
	if (NANN < 16)
		ANN[NANN++] = (struct ann){*p, up, taken};
}

/* The MAAR M2 under test: its own pool, CMD CMDA, room for 8 MNs, no heartbeats. */
static struct dmm_maar_cfg maar_cfg(void)
{
	struct dmm_maar_cfg cfg;

	dmm_maar_cfg_defaults(&cfg);
	cfg.addr = M2;
	cfg.cmd = CMDA;
	cfg.pool[0] = prefix_of("2001:db8:2::/48");
	cfg.npool = 1;
	cfg.max_mns = 8;
	cfg.heartbeat_interval = 0;
	return cfg;
}

static void maar_setup(void)
{
	struct dmm_maar_cfg cfg;

	dmm_maar_free(M);
	harness_init(&H);
	H.env.wall_offset = WALL;
	H.env.anchored = on_anchored;
	NANN = 0;
	cfg = maar_cfg();
	T = 1000 * DMM_SECOND;
	M = dmm_maar_new(&H.env, &cfg, T);
}

static void maar_deliver(const struct dmm_mh_msg *m)
{
	uint8_t buf[DMM_MH_MAX_LEN];
	int n = dmm_mh_encode(buf, sizeof(buf), m);

	CHECK(n > 0);
	dmm_maar_recv(M, &CMDA, &M2, buf, (size_t)n, T);
}

/* The CMD's relocation PBU for mn's prefix p with Serving MAAR to; lifetime 0 when zero. */
static void cmd_reloc_pbu(const char *mn, const struct dmm_prefix *p, const struct dmm_addr *to, bool zero)
{
	struct dmm_mh_msg m;

	T += DMM_MSEC;
	dmm_mh_init(&m, DMM_MH_BU);
	m.u.bu.seq = ++SEQ;
	m.u.bu.flags = DMM_BU_A | DMM_BU_P | DMM_BU_D;
	m.u.bu.lifetime = zero ? 0 : 50;
	add_mnid(&m, mn);
	dmm_mh_add_opt(&m, DMM_OPT_HNP)->u.hnp = *p;
	dmm_mh_add_opt(&m, DMM_OPT_SERVING_MAAR)->u.serving_maar = *to;
	dmm_mh_add_opt(&m, DMM_OPT_ANCHORED_PREFIX)->u.anchored_prefix = *p;
	add_ts(&m);
	maar_deliver(&m);
}

static uint8_t last_status(void)
{
	struct sent *s = sent_to(&CMDA, DMM_MH_BA);

	return s ? s->msg.u.ba.status : 255;
}

static bool anchored_here(const struct dmm_prefix *p)
{
	return dmm_bcache_find_prefix(dmm_maar_anchored(M), p) != NULL;
}

static unsigned intents_for(const struct dmm_prefix *p, uint8_t action)
{
	unsigned n = 0;

	for (unsigned i = 0; i < H.nlive; i++)
		n += dmm_prefix_eq(&H.live[i].prefix, p) && H.live[i].action == action;
	return n;
}

static void test_maar_take(void)
{
	struct sent *s;

	maar_setup();
	CHECK(M != NULL);
	/* A prefix of another MAAR's pool, MN not attached here: taken, buffered, announced as newer. */
	cmd_reloc_pbu("a@x", &P1, &M2, false);
	CHECK_EQ(last_status(), 0);
	s = sent_to(&CMDA, DMM_MH_BA);
	CHECK(opt(s, DMM_OPT_ANCHORED_PREFIX) &&
	      dmm_prefix_eq(&opt(s, DMM_OPT_ANCHORED_PREFIX)->u.anchored_prefix, &P1));
	CHECK(opt(s, DMM_OPT_HNP) && dmm_prefix_eq(&opt(s, DMM_OPT_HNP)->u.hnp, &P1));
	CHECK(anchored_here(&P1));
	CHECK_EQ(intents_for(&P1, DMM_FM_BUFFER), 1);
	CHECK_EQ(NANN, 1);
	CHECK(NANN == 1 && ANN[0].up && ANN[0].taken && dmm_prefix_eq(&ANN[0].p, &P1));
	/* The same PBU again (a retransmission): answered, nothing twice. */
	harness_clear(&H);
	cmd_reloc_pbu("a@x", &P1, &M2, false);
	CHECK_EQ(last_status(), 0);
	CHECK_EQ(NANN, 1);
	/* Refusals: lifetime 0 (128), another MN's prefix (155), handed over but not anchored here (155). */
	cmd_reloc_pbu("a@x", &P1, &M2, true);
	CHECK_EQ(last_status(), DMM_BA_UNSPECIFIED);
	cmd_reloc_pbu("b@x", &P1, &M2, false);
	CHECK_EQ(last_status(), DMM_BA_NOT_AUTHORIZED_FOR_HNP);
	cmd_reloc_pbu("a@x", &P2, &M3, false);
	CHECK_EQ(last_status(), DMM_BA_NOT_AUTHORIZED_FOR_HNP);
	CHECK(anchored_here(&P1));
}

static void test_maar_hand_over(void)
{
	struct dmm_prefix p;
	uint32_t used_before;

	maar_setup();
	cmd_reloc_pbu("a@x", &P1, &M2, false); /* P1 anchored here first */
	used_before = dmm_pool_used(dmm_maar_pool(M));
	NANN = 0;
	/* The route may come first (routing faster than signalling): noted, nothing released. */
	CHECK_EQ(dmm_maar_routed(M, &P1, true, T), 0);
	CHECK(anchored_here(&P1));
	CHECK_EQ(dmm_maar_routed(M, &P1, false, T), 0);
	/* Handed over to M3: tunnelled there, still announced, released when the network routes it there. */
	cmd_reloc_pbu("a@x", &P1, &M3, false);
	CHECK_EQ(last_status(), 0);
	CHECK(anchored_here(&P1));
	CHECK_EQ(intents_for(&P1, DMM_FM_ENCAP), 1);
	CHECK_EQ(NANN, 0);
	CHECK_EQ(dmm_maar_routed(M, &PX, true, T), 0);
	CHECK_EQ(dmm_maar_routed(M, &P1, true, T), 1);
	CHECK(!anchored_here(&P1));
	CHECK_EQ(intents_for(&P1, DMM_FM_ENCAP) + intents_for(&P1, DMM_FM_DECAP), 0);
	CHECK(NANN == 1 && !ANN[0].up && dmm_prefix_eq(&ANN[0].p, &P1));
	CHECK_EQ(dmm_pool_used(dmm_maar_pool(M)), used_before);
	/* Route before the hand-over PBU: released at once when it comes. */
	p = prefix_of("2001:db8:2:7::/64");
	cmd_reloc_pbu("c@x", &p, &M2, false);
	CHECK(anchored_here(&p));
	CHECK_EQ(dmm_maar_routed(M, &p, true, T), 0);
	cmd_reloc_pbu("c@x", &p, &M3, false);
	CHECK_EQ(last_status(), 0);
	CHECK(!anchored_here(&p));
	dmm_maar_free(M);
	M = NULL;
}

/* The CMD's PBU passing the old anchor's usage on to us (§11.1): the relocation PBU with USAGE_DATA. */
static void cmd_usage_pbu(const char *mn, const struct dmm_prefix *p)
{
	struct dmm_mh_msg m;

	T += DMM_MSEC;
	dmm_mh_init(&m, DMM_MH_BU);
	m.u.bu.seq = ++SEQ;
	m.u.bu.flags = DMM_BU_A | DMM_BU_P | DMM_BU_D;
	m.u.bu.lifetime = 50;
	add_mnid(&m, mn);
	dmm_mh_add_opt(&m, DMM_OPT_HNP)->u.hnp = *p;
	dmm_mh_add_opt(&m, DMM_OPT_SERVING_MAAR)->u.serving_maar = M2;
	dmm_mh_add_opt(&m, DMM_OPT_ANCHORED_PREFIX)->u.anchored_prefix = *p;
	add_usage(&m);
	add_ts(&m);
	maar_deliver(&m);
}

/*
 * §11.1 at the MAAR: the new anchor continues the usage the CMD passes
 * on (decoded from the option's bytes); a usage for a prefix not taken
 * over here is refused (155) and creates nothing; the old anchor's PBA
 * carries its usage (encoded as the layout says) for the anchor it hands
 * the prefix to.
 */
static void test_maar_usage(void)
{
	static const uint8_t give[40] = {
		0x00, 0x00, 0x65, 0x53, 0xf1, 0x01, 0x40, 0x00, /* 1700000001.25 s */
		0,    0,    0,	  0,	0,    0,    0,	  10,
		0,    0,    0,	  0,	0,    0,    0x03, 0xe8, /* 10 packets, 1000 octets up */
		0,    0,    0,	  0,	0,    0,    0,	  20,
		0,    0,    0,	  0,	0,    0,    0x07, 0xd0, /* 20 packets, 2000 octets down */
	};
	struct sent *s;

	maar_setup();
	dmm_maar_free(M);
	H.env.usage_get = on_usage_get;
	H.env.usage_continue = on_usage_continue;
	{
		struct dmm_maar_cfg cfg = maar_cfg();

		M = dmm_maar_new(&H.env, &cfg, T);
	}
	NGET = NCONT = 0;
	/* Nothing taken over here: refused, nothing created, nothing continued. */
	cmd_usage_pbu("a@x", &P1);
	CHECK_EQ(last_status(), DMM_BA_NOT_AUTHORIZED_FOR_HNP);
	CHECK(!anchored_here(&P1));
	CHECK_EQ(NCONT, 0);
	/* Taken over, then the old anchor's usage: continued as the bytes say. */
	cmd_reloc_pbu("a@x", &P1, &M2, false);
	CHECK_EQ(last_status(), 0);
	CHECK_EQ(NCONT, 0);
	cmd_usage_pbu("a@x", &P1);
	CHECK_EQ(last_status(), 0);
	CHECK_EQ(NCONT, 1);
	CHECK_EQ(GOT.start_wall, USAGE_START);
	CHECK(GOT.up_packets == 1 && GOT.up_bytes == 2 && GOT.down_packets == 3 && GOT.down_bytes == 4);
	CHECK(!has_usage(sent_to(&CMDA, DMM_MH_BA), USAGE_DATA)); /* the new anchor gives none back */
	/* Handed over to M3: usage_get asked for M3, its answer in the PBA. */
	GIVE = (struct dmm_usage){10, 1000, 20, 2000, 1700000001LL * 1000000000LL + 250000000LL};
	harness_clear(&H);
	cmd_reloc_pbu("a@x", &P1, &M3, false);
	CHECK_EQ(last_status(), 0);
	CHECK_EQ(NGET, 1);
	CHECK(dmm_addr_eq(&GET_TO, &M3));
	s = sent_to(&CMDA, DMM_MH_BA);
	CHECK(has_usage(s, give));
	CHECK(s && s->len > 0 && s->msg.u.ba.status == 0);
	dmm_maar_free(M);
	M = NULL;
}

/* The CMD's release (lifetime 0, no Anchored Prefix) of mn's prefix p. */
static void cmd_release_pbu(const char *mn, const struct dmm_prefix *p)
{
	struct dmm_mh_msg m;

	T += DMM_MSEC;
	dmm_mh_init(&m, DMM_MH_BU);
	m.u.bu.seq = ++SEQ;
	m.u.bu.flags = DMM_BU_A | DMM_BU_P | DMM_BU_D;
	add_mnid(&m, mn);
	dmm_mh_add_opt(&m, DMM_OPT_HNP)->u.hnp = *p;
	dmm_mh_add_opt(&m, DMM_OPT_SERVING_MAAR)->u.serving_maar = M3;
	add_ts(&m);
	maar_deliver(&m);
}

/*
 * §11: a prefix of our pool handed over stays allocated while its new
 * anchor uses it; the CMD's release of it (no entry here any more) puts
 * it back. A release of a prefix we never allocated changes nothing.
 */
static void test_maar_returned(void)
{
	struct dmm_maar_cfg cfg = maar_cfg();
	struct dmm_mnid id = nai("a@x");
	static const uint8_t ll[6] = {2, 0, 0, 0, 0, 7};
	struct dmm_prefix own;

	harness_init(&H);
	H.env.wall_offset = WALL;
	T = 1000 * DMM_SECOND;
	M = dmm_maar_new(&H.env, &cfg, T);
	CHECK_EQ(dmm_maar_attach(M, &id, 5, ll, 6, DMM_ATT_80211, T), 0);
	CHECK(opt(sent_to(&CMDA, DMM_MH_BU), DMM_OPT_HNP) != NULL);
	own = opt(sent_to(&CMDA, DMM_MH_BU), DMM_OPT_HNP)->u.hnp;
	CHECK_EQ(dmm_pool_used(dmm_maar_pool(M)), 1);
	cmd_reloc_pbu("a@x", &own, &M3, false);
	CHECK_EQ(last_status(), 0);
	CHECK_EQ(dmm_maar_routed(M, &own, true, T), 1);
	CHECK(!anchored_here(&own));
	CHECK_EQ(dmm_pool_used(dmm_maar_pool(M)), 1); /* in use at M3 */
	cmd_release_pbu("a@x", &P1);		      /* not of our pool */
	CHECK_EQ(last_status(), 0);
	CHECK_EQ(dmm_pool_used(dmm_maar_pool(M)), 1);
	cmd_release_pbu("a@x", &own);
	CHECK_EQ(last_status(), 0);
	CHECK_EQ(dmm_pool_used(dmm_maar_pool(M)), 0);
	cmd_release_pbu("a@x", &own); /* again: nothing more */
	CHECK_EQ(dmm_pool_used(dmm_maar_pool(M)), 0);
	dmm_maar_free(M);
	M = NULL;
}

/* §11 policy: an old prefix still carrying traffic relocate_after after the move is asked for, once. */
static void test_maar_policy(void)
{
	struct dmm_maar_cfg cfg;
	struct dmm_mnid id = nai("a@x");
	struct dmm_mh_msg u, r;
	const struct dmm_mh_opt *o;
	static const uint8_t ll[6] = {2, 0, 0, 0, 0, 9};
	unsigned asked = 0, asked_idle = 0;
	uint64_t pk = 0;

	harness_init(&H);
	H.env.wall_offset = WALL;
	cfg = maar_cfg();
	cfg.relocate_after = 5 * DMM_SECOND;
	cfg.idle_check = DMM_SECOND;
	T = 1000 * DMM_SECOND;
	M = dmm_maar_new(&H.env, &cfg, T);
	CHECK_EQ(dmm_maar_attach(M, &id, 5, ll, 6, DMM_ATT_80211, T), 0);
	CHECK(sent_to(&CMDA, DMM_MH_BU) != NULL);
	u = sent_to(&CMDA, DMM_MH_BU)->msg;
	/* The CMD's PBA: P1 anchored at M1 (carries traffic), P2 at M3 (idle). */
	dmm_mh_init(&r, DMM_MH_BA);
	r.u.ba.flags = DMM_BA_P | DMM_BA_D;
	r.u.ba.seq = u.u.bu.seq;
	r.u.ba.lifetime = u.u.bu.lifetime;
	for (uint8_t t = DMM_OPT_MNID; t <= DMM_OPT_TIMESTAMP; t++)
		if ((o = dmm_mh_find_opt(&u, t, NULL)) != NULL)
			*dmm_mh_add_opt(&r, t) = *o;
	o = dmm_mh_add_opt(&r, DMM_OPT_PREV_MAAR);
	((struct dmm_mh_opt *)o)->u.prev_maar.maar = M1;
	((struct dmm_mh_opt *)o)->u.prev_maar.hnp = P1;
	o = dmm_mh_add_opt(&r, DMM_OPT_PREV_MAAR);
	((struct dmm_mh_opt *)o)->u.prev_maar.maar = M3;
	((struct dmm_mh_opt *)o)->u.prev_maar.hnp = P2;
	maar_deliver(&r);
	CHECK_EQ(intents_for(&P1, DMM_FM_ENCAP), 1);
	for (unsigned sec = 0; sec < 12; sec++) {
		const struct dmm_fm *fm = dmm_role_fm(M);

		for (const struct dmm_intent *in = dmm_fm_next(fm, NULL); in; in = dmm_fm_next(fm, in))
			if (in->action == DMM_FM_ENCAP && dmm_prefix_eq(&in->prefix, &P1)) {
				pk += 100;
				dmm_fm_report(dmm_role_fm(M), in->id, pk, pk * 100, T);
				break;
			}
		harness_clear(&H);
		T += DMM_SECOND;
		dmm_role_expire(M, T);
		for (unsigned i = 0; i < H.nsent; i++) {
			const struct sent *x = &H.sent[i];
			const struct dmm_mh_opt *ap = opt(x, DMM_OPT_ANCHORED_PREFIX);

			if (x->msg.type != DMM_MH_BU || !ap)
				continue;
			CHECK(dmm_addr_eq(&x->dst, &CMDA));
			CHECK(x->msg.u.bu.lifetime > 0 && (x->msg.u.bu.flags & DMM_BU_D));
			CHECK(opt(x, DMM_OPT_HNP) &&
			      dmm_prefix_eq(&opt(x, DMM_OPT_HNP)->u.hnp, &ap->u.anchored_prefix));
			asked += dmm_prefix_eq(&ap->u.anchored_prefix, &P1);
			asked_idle += dmm_prefix_eq(&ap->u.anchored_prefix, &P2);
			CHECK(sec >= 4); /* not before relocate_after */
		}
	}
	CHECK_EQ(asked, 1);
	CHECK_EQ(asked_idle, 0);
	CHECK_EQ(intents_for(&P2, DMM_FM_ENCAP), 1); /* idle release is off: kept */
	dmm_maar_free(M);
	M = NULL;
}

int main(void)
{
	CMDA = addr_of("2001:db8:c::1");
	M1 = addr_of("2001:db8:e::1");
	M2 = addr_of("2001:db8:e::2");
	M3 = addr_of("2001:db8:e::3");
	P1 = prefix_of("2001:db8:1:1::/64");
	P2 = prefix_of("2001:db8:2:1::/64");
	PX = prefix_of("2001:db8:9:1::/64");
	test_cmd_relocate();
	test_cmd_request();
	test_cmd_drain();
	test_cmd_usage();
	test_cmd_origin();
	test_maar_take();
	test_maar_hand_over();
	test_maar_usage();
	test_maar_returned();
	test_maar_policy();
	return check_report("test_reloc");
}
