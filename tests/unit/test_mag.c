/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The MAG role (RFC 5213 §6) driven by hand: a fake environment records
 * the datagrams it sends (decoded with dmm_mh_decode), the intents it
 * installs and the MN events it reports; the test plays the LMA and
 * answers each PBU with the PBA it chooses.
 */
#include <stdlib.h>

#include "check.h"
#include "dmm/err.h"
#include "dmm/fmt.h"
#include "dmm/lma.h"
#include "dmm/mag.h"
#include "dmm/mh.h"
#include "helpers.h"

/* --- fake environment --- */

#define MAX_SENT 512
#define MAX_EV 512

struct sent {
	struct dmm_addr src, dst;
	uint8_t buf[DMM_MH_MAX_LEN];
	size_t len;
	dmm_time_t at;
};

struct event {
	struct dmm_mn_event ev;
	struct dmm_mnid mnid;
};

struct fake {
	struct sent sent[MAX_SENT];
	unsigned nsent;
	struct event ev[MAX_EV];
	unsigned nev;
	unsigned installs, removes;
	int fail_install;
	dmm_time_t now;
	unsigned loglines;
	bool verbose;
};

static struct fake F;

static const struct dmm_alloc A = {t_zalloc, t_free, NULL};

static void f_send(void *ctx, const struct dmm_addr *src, const struct dmm_addr *dst, const uint8_t *buf,
		   size_t len)
{
	struct fake *f = ctx;
	struct sent *s;

	if (f->nsent >= MAX_SENT)
		return;
	s = &f->sent[f->nsent++];
	s->src = *src;
	s->dst = *dst;
	memcpy(s->buf, buf, len);
	s->len = len;
	s->at = f->now;
}

static void f_event(void *ctx, const struct dmm_mn_event *ev)
{
	struct fake *f = ctx;

	if (f->nev >= MAX_EV)
		return;
	f->ev[f->nev].ev = *ev;
	f->ev[f->nev].mnid = *ev->mnid;
	f->ev[f->nev].ev.mnid = &f->ev[f->nev].mnid;
	f->nev++;
}

static int f_install(void *ctx, const struct dmm_intent *in)
{
	struct fake *f = ctx;

	(void)in;
	if (f->fail_install)
		return DMM_ERR_INVAL;
	f->installs++;
	return 0;
}

static void f_remove(void *ctx, const struct dmm_intent *in)
{
	struct fake *f = ctx;

	(void)in;
	f->removes++;
}

static void f_log(void *ctx, enum dmm_log_level lvl, enum dmm_log_cat cat, const char *msg)
{
	struct fake *f = ctx;

	f->loglines++;
	if (f->verbose)
		fprintf(stderr, "[%s %s] %s\n", dmm_log_level_name(lvl), dmm_log_cat_name(cat), msg);
}

static const struct dmm_log LOG = {f_log, &F, DMM_LOG_DEBUG};

static struct dmm_addr addr(uint8_t site, uint8_t last)
{
	struct dmm_addr a = {{0x20, 0x01, 0x0d, 0xb8, 0, site}};

	a.b[15] = last;
	return a;
}

static const int64_t WALL = 1700000000LL * 1000000000LL; /* wall clock at now = 0 */
static struct dmm_addr MAG_ADDR, LMA1, LMA2;

static struct dmm_env env(void)
{
	struct dmm_env e = {
		.alloc = &A,
		.log = &LOG,
		.send = f_send,
		.mn_event = f_event,
		.ctx = &F,
		.fm = {.install = f_install, .remove = f_remove, .ctx = &F},
		.seed = 0x1234,
		.wall_offset = WALL,
	};

	return e;
}

static void reset(void)
{
	bool v = F.verbose;

	memset(&F, 0, sizeof(F));
	F.verbose = v;
	MAG_ADDR = addr(1, 1);
	LMA1 = addr(0xa, 1);
	LMA2 = addr(0xb, 1);
}

static struct dmm_mag_cfg cfg_default(void)
{
	struct dmm_mag_cfg c;

	dmm_mag_cfg_defaults(&c);
	c.addr = MAG_ADDR;
	c.default_lma = LMA1;
	c.max_mns = 256;
	c.max_peers = 8;
	return c;
}

static struct dmm_mag *mag_new(const struct dmm_mag_cfg *c)
{
	struct dmm_env e = env();

	return dmm_mag_new(&e, c, F.now);
}

static struct dmm_mnid mn(uint32_t n)
{
	struct dmm_mnid m = {.subtype = DMM_MNID_EUI48, .len = 6};

	m.id[0] = 0x02;
	m.id[3] = (uint8_t)(n >> 16);
	m.id[4] = (uint8_t)(n >> 8);
	m.id[5] = (uint8_t)n;
	return m;
}

static struct dmm_prefix hnp(uint32_t n)
{
	struct dmm_prefix p = {.addr = {{0x20, 0x01, 0x0d, 0xb8, 0x80}}, .len = 64};

	p.addr.b[5] = (uint8_t)(n >> 16);
	p.addr.b[6] = (uint8_t)(n >> 8);
	p.addr.b[7] = (uint8_t)n;
	return p;
}

/* Decode sent message i (must succeed). */
static struct dmm_mh_msg sent_msg(unsigned i)
{
	struct dmm_mh_msg m;
	int n;

	memset(&m, 0, sizeof(m));
	n = dmm_mh_decode(&m, F.sent[i].buf, F.sent[i].len);
	CHECK(n > 0);
	return m;
}

static struct dmm_mh_msg last_msg(void)
{
	CHECK(F.nsent > 0);
	return sent_msg(F.nsent ? F.nsent - 1 : 0);
}

/* Index of the last PBU sent (heartbeats may have gone out after it). */
static unsigned last_bu_idx(void)
{
	for (unsigned i = F.nsent; i-- > 0;)
		if (F.sent[i].len > 2 && F.sent[i].buf[2] == DMM_MH_BU)
			return i;
	CHECK(!"no PBU sent");
	return 0;
}

static struct dmm_mh_msg last_bu(void)
{
	return sent_msg(last_bu_idx());
}

/* Advance the clock to t, running every timer on the way, in order. */
static void run_to(struct dmm_mag *mag, dmm_time_t t)
{
	dmm_time_t d;

	while ((d = dmm_role_next_deadline(mag)) != DMM_TIME_NEVER && d <= t) {
		F.now = d;
		dmm_role_expire(mag, d);
	}
	F.now = t;
}

/* --- the hand-driven LMA --- */

/*
 * The PBA the LMA would send for PBU pbu: status, lifetime (s), the
 * prefixes given (n 0: echo the PBU's HNP options), the echoed options.
 */
static int make_pba(uint8_t *buf, size_t cap, const struct dmm_mh_msg *pbu, uint8_t status,
		    uint32_t lifetime_s, const struct dmm_prefix *p, unsigned n, const struct dmm_addr *upa)
{
	struct dmm_mh_msg m;
	const struct dmm_mh_opt *o;

	dmm_mh_init(&m, DMM_MH_BA);
	m.u.ba.status = status;
	m.u.ba.flags = DMM_BA_P;
	m.u.ba.seq = pbu->u.bu.seq;
	m.u.ba.lifetime = dmm_lifetime_units(lifetime_s);
	for (o = NULL; (o = dmm_mh_find_opt(pbu, DMM_OPT_MNID, o)) != NULL;)
		*dmm_mh_add_opt(&m, DMM_OPT_MNID) = *o;
	if (n == 0)
		for (o = NULL; (o = dmm_mh_find_opt(pbu, DMM_OPT_HNP, o)) != NULL;)
			*dmm_mh_add_opt(&m, DMM_OPT_HNP) = *o;
	for (unsigned i = 0; i < n; i++)
		dmm_mh_add_opt(&m, DMM_OPT_HNP)->u.hnp = p[i];
	static const uint8_t echo[] = {DMM_OPT_HI, DMM_OPT_ATT, DMM_OPT_TIMESTAMP, DMM_OPT_MNLLID};
	for (unsigned k = 0; k < sizeof(echo); k++)
		if ((o = dmm_mh_find_opt(pbu, echo[k], NULL)) != NULL)
			*dmm_mh_add_opt(&m, echo[k]) = *o;
	if (upa) {
		struct dmm_mh_opt *u = dmm_mh_add_opt(&m, DMM_OPT_LMA_UPA);

		u->u.lma_upa.len = 16;
		memcpy(u->u.lma_upa.b, upa->b, 16);
	}
	return dmm_mh_encode(buf, cap, &m);
}

/* Answer the last message sent (a PBU) from the LMA it went to. */
static void answer_msg(struct dmm_mag *mag, const struct dmm_mh_msg *pbu, const struct dmm_addr *lma,
		       uint8_t status, uint32_t lifetime_s, const struct dmm_prefix *p, unsigned n)
{
	uint8_t buf[DMM_MH_MAX_LEN];
	int len = make_pba(buf, sizeof(buf), pbu, status, lifetime_s, p, n, NULL);

	CHECK(len > 0);
	dmm_mag_recv(mag, lma, &MAG_ADDR, buf, (size_t)len, F.now);
}

static void answer(struct dmm_mag *mag, uint8_t status, uint32_t lifetime_s, const struct dmm_prefix *p,
		   unsigned n)
{
	unsigned i = last_bu_idx();
	struct dmm_mh_msg pbu = sent_msg(i);

	answer_msg(mag, &pbu, &F.sent[i].dst, status, lifetime_s, p, n);
}

static const uint8_t LL[6] = {0x02, 0, 0, 0, 0, 0x42};

/* Attach MN n on link and register it with prefix hnp(n); returns its entry. */
static const struct dmm_bul_entry *register_mn(struct dmm_mag *mag, uint32_t n, uint32_t link)
{
	struct dmm_mnid m = mn(n);
	struct dmm_prefix p = hnp(n);

	CHECK_EQ(dmm_mag_attach(mag, &m, link, LL, 6, 0, F.now), 0);
	answer(mag, 0, 600, &p, 1);
	return dmm_bul_find_mnid(dmm_mag_bul(mag), &m);
}

static unsigned count_ev(uint8_t type)
{
	unsigned k = 0;

	for (unsigned i = 0; i < F.nev; i++)
		k += F.ev[i].ev.type == type;
	return k;
}

static const struct dmm_mh_opt *opt(const struct dmm_mh_msg *m, uint8_t type)
{
	return dmm_mh_find_opt(m, type, NULL);
}

/* --- tests --- */

static void test_attach_pbu(void)
{
	struct dmm_mag_cfg c;
	struct dmm_mag *mag;
	struct dmm_mnid m = mn(1);
	struct dmm_mh_msg pbu;
	const struct dmm_mh_opt *o;
	const struct dmm_bul_entry *e;

	reset();
	F.now = 5 * DMM_SECOND + 250 * DMM_MSEC;
	c = cfg_default();
	mag = mag_new(&c);
	CHECK(mag != NULL);
	CHECK_EQ(F.nsent, 0); /* restart counter 1: no announcement */
	CHECK_EQ(dmm_mag_attach(mag, &m, 7, LL, 6, DMM_ATT_80211, F.now), 0);
	CHECK_EQ(F.nsent, 1);
	CHECK(dmm_addr_eq(&F.sent[0].src, &MAG_ADDR));
	CHECK(dmm_addr_eq(&F.sent[0].dst, &LMA1));
	pbu = sent_msg(0);
	CHECK_EQ(pbu.type, DMM_MH_BU);
	CHECK_EQ(pbu.u.bu.flags, DMM_BU_A | DMM_BU_P);
	CHECK_EQ(pbu.u.bu.lifetime, 150);
	CHECK_EQ(pbu.u.bu.seq, (uint16_t)dmm_hash_u64(0x1234 ^ 0x7365710000000000ull));
	o = opt(&pbu, DMM_OPT_MNID);
	CHECK(o && o->u.mnid.subtype == DMM_MNID_EUI48 && o->u.mnid.id.len == 6);
	CHECK(o && memcmp(o->u.mnid.id.b, m.id, 6) == 0);
	CHECK_EQ(dmm_mh_count_opt(&pbu, DMM_OPT_HNP), 1);
	o = opt(&pbu, DMM_OPT_HNP);
	CHECK(o && o->u.hnp.len == 0 && dmm_addr_is_zero(&o->u.hnp.addr));
	o = opt(&pbu, DMM_OPT_HI);
	CHECK(o && o->u.hi.value == DMM_HI_UNKNOWN); /* issue 9 §2.8: RFC 5213 §6.9.1.1 item 4, was 1 */
	o = opt(&pbu, DMM_OPT_ATT);
	CHECK(o && o->u.att.value == DMM_ATT_80211);
	o = opt(&pbu, DMM_OPT_MNLLID);
	CHECK(o && o->u.mnllid.len == 6 && memcmp(o->u.mnllid.b, LL, 6) == 0);
	o = opt(&pbu, DMM_OPT_TIMESTAMP);
	CHECK(o != NULL);
	if (o) {
		CHECK_EQ(o->u.timestamp.seconds, 1700000005ull);
		CHECK_EQ(o->u.timestamp.fraction, 16384); /* 0.25 s */
	}
	e = dmm_bul_find_mnid(dmm_mag_bul(mag), &m);
	CHECK(e && e->state == DMM_BUL_WAIT_PBA && e->ifindex == 7 && e->attached == F.now);
	CHECK_EQ(dmm_role_next_deadline(mag), F.now + 1500 * DMM_MSEC);
	/* A repeated attach while waiting sends nothing. */
	CHECK_EQ(dmm_mag_attach(mag, &m, 7, LL, 6, DMM_ATT_80211, F.now), 0);
	CHECK_EQ(F.nsent, 1);
	dmm_mag_free(mag);

	/* Without timestamps: no Timestamp option; no link-layer id: no MN-LLID; ATT from cfg. */
	reset();
	c = cfg_default();
	c.timestamp_based = false;
	mag = mag_new(&c);
	CHECK_EQ(dmm_mag_attach(mag, &m, 1, NULL, 0, 0, F.now), 0);
	pbu = last_msg();
	CHECK(opt(&pbu, DMM_OPT_TIMESTAMP) == NULL);
	CHECK(opt(&pbu, DMM_OPT_MNLLID) == NULL);
	o = opt(&pbu, DMM_OPT_ATT);
	CHECK(o && o->u.att.value == DMM_ATT_8023);
	/* A second MN: the next sequence number. */
	{
		struct dmm_mnid m2 = mn(2);
		struct dmm_mh_msg p2;

		CHECK_EQ(dmm_mag_attach(mag, &m2, 1, NULL, 0, 0, F.now), 0);
		p2 = last_msg();
		CHECK_EQ(p2.u.bu.seq, (uint16_t)(pbu.u.bu.seq + 1));
	}
	CHECK_EQ(dmm_role_stats(mag)->tx_by_type[DMM_MH_BU], 2);
	CHECK_EQ(dmm_mag_attach(mag, NULL, 1, NULL, 0, 0, F.now), DMM_ERR_INVAL);
	dmm_mag_free(mag);
}

static void test_pba_accept(void)
{
	struct dmm_mag_cfg c = (reset(), cfg_default());
	struct dmm_mag *mag = mag_new(&c);
	struct dmm_mnid m = mn(1);
	struct dmm_prefix p = hnp(1);
	const struct dmm_bul_entry *e;
	const struct dmm_intent *in;
	unsigned nsrc = 0, ndecap = 0, ndeliver = 0;

	F.now = 10 * DMM_SECOND;
	CHECK_EQ(dmm_mag_attach(mag, &m, 3, LL, 6, 0, F.now), 0);
	F.now += 20 * DMM_MSEC;
	answer(mag, 0, 600, &p, 1);
	e = dmm_bul_find_mnid(dmm_mag_bul(mag), &m);
	CHECK(e && e->state == DMM_BUL_REGISTERED);
	if (!e)
		return;
	CHECK_EQ(e->n_hnp, 1);
	CHECK(dmm_prefix_eq(&e->hnp[0], &p));
	CHECK_EQ(e->lifetime, 600 * DMM_SECOND);
	CHECK_EQ(e->registered, F.now);
	CHECK_EQ(dmm_fm_count(dmm_role_fm(mag)), 3);
	CHECK_EQ(F.installs, 3);
	for (in = dmm_fm_next(dmm_role_fm(mag), NULL); in; in = dmm_fm_next(dmm_role_fm(mag), in)) {
		CHECK(dmm_prefix_eq(&in->prefix, &p));
		CHECK(in->owner.idx == e->handle.idx && in->owner.gen == e->handle.gen);
		if (in->match == DMM_FM_SRC && in->action == DMM_FM_ENCAP) {
			nsrc++;
			CHECK_EQ(in->link, 3);
			CHECK(dmm_addr_eq(&in->local, &MAG_ADDR) && dmm_addr_eq(&in->peer, &LMA1));
		} else if (in->match == DMM_FM_DST && in->action == DMM_FM_DECAP) {
			ndecap++;
			CHECK(dmm_addr_eq(&in->local, &MAG_ADDR) && dmm_addr_eq(&in->peer, &LMA1));
		} else if (in->match == DMM_FM_DST && in->action == DMM_FM_DELIVER) {
			ndeliver++;
			CHECK_EQ(in->link, 3);
		}
	}
	CHECK(nsrc == 1 && ndecap == 1 && ndeliver == 1);
	CHECK_EQ(F.nev, 1);
	CHECK_EQ(F.ev[0].ev.type, DMM_MN_REGISTERED);
	CHECK_EQ(F.ev[0].ev.link, 3);
	CHECK_EQ(F.ev[0].ev.nprefix, 1);
	CHECK(dmm_prefix_eq(&F.ev[0].ev.prefix[0], &p));
	CHECK_EQ(F.ev[0].ev.lifetime_s, 600);
	CHECK(dmm_addr_eq(&F.ev[0].ev.anchor, &LMA1));
	CHECK(dmm_mnid_eq(&F.ev[0].mnid, &m));
	CHECK_EQ(dmm_role_stats(mag)->initial_registrations, 1);
	CHECK_EQ(dmm_role_stats(mag)->ba_status[0], 1);
	CHECK_EQ(dmm_role_stats(mag)->tunnels_established, 1);
	CHECK_EQ(dmm_mag_counters(mag)->transitions[DMM_BUL_WAIT_PBA][DMM_BUL_REGISTERED], 1);
	/* Heartbeats with the LMA run now that it has a binding (RFC 5847 §3). */
	{
		struct dmm_peer *pe = dmm_peers_get(dmm_role_peers(mag), &LMA1, false);

		CHECK(pe && pe->bindings == 1);
	}
	/* The same PBA again is stale: ignored, counted. */
	{
		struct dmm_mh_msg pbu = sent_msg(0);

		answer_msg(mag, &pbu, &LMA1, 0, 600, &p, 1);
		CHECK_EQ(dmm_role_stats(mag)->rx_unexpected, 1);
		CHECK_EQ(F.nev, 1);
	}
	/* A repeated attach re-announces the prefixes and sends nothing. */
	{
		unsigned ns = F.nsent;

		CHECK_EQ(dmm_mag_attach(mag, &m, 3, LL, 6, 0, F.now), 0);
		CHECK_EQ(F.nsent, ns);
		CHECK_EQ(count_ev(DMM_MN_REGISTERED), 2);
	}
	dmm_mag_free(mag);
	CHECK_EQ(F.removes, 3); /* destroy removes every intent */

	/* With an LMA User-Plane Address (RFC 7389) the tunnel ends there. */
	reset();
	c = cfg_default();
	mag = mag_new(&c);
	CHECK_EQ(dmm_mag_attach(mag, &m, 3, LL, 6, 0, F.now), 0);
	{
		struct dmm_addr upa = addr(0xa, 0x99);
		uint8_t buf[DMM_MH_MAX_LEN];
		struct dmm_mh_msg pbu = last_msg();
		int len = make_pba(buf, sizeof(buf), &pbu, 0, 600, &p, 1, &upa);

		dmm_mag_recv(mag, &LMA1, &MAG_ADDR, buf, (size_t)len, F.now);
		for (in = dmm_fm_next(dmm_role_fm(mag), NULL); in; in = dmm_fm_next(dmm_role_fm(mag), in))
			if (in->action == DMM_FM_ENCAP || in->action == DMM_FM_DECAP)
				CHECK(dmm_addr_eq(&in->peer, &upa));
		CHECK_EQ(dmm_fm_count(dmm_role_fm(mag)), 3);
	}
	dmm_mag_free(mag);

	/* A PBA from another address than the LMA matches nothing. */
	reset();
	mag = mag_new(&c);
	CHECK_EQ(dmm_mag_attach(mag, &m, 3, LL, 6, 0, F.now), 0);
	{
		struct dmm_mh_msg pbu = last_msg();

		answer_msg(mag, &pbu, &LMA2, 0, 600, &p, 1);
		CHECK_EQ(dmm_role_stats(mag)->rx_unexpected, 1);
		CHECK_EQ(dmm_bul_find_mnid(dmm_mag_bul(mag), &m)->state, DMM_BUL_WAIT_PBA);
		/* Accepted but without an HNP: ignored, still waiting. */
		answer_msg(mag, &pbu, &LMA1, 0, 600, NULL, 0);
		CHECK_EQ(dmm_role_stats(mag)->rx_unexpected, 2);
		CHECK_EQ(dmm_bul_find_mnid(dmm_mag_bul(mag), &m)->state, DMM_BUL_WAIT_PBA);
	}
	dmm_mag_free(mag);
}

static void test_retx_schedule(void)
{
	struct dmm_mag_cfg c = (reset(), cfg_default());
	struct dmm_mag *mag = mag_new(&c);
	struct dmm_mnid m = mn(1);
	/* 1.5 s, then doubling, capped at 32 s; five retries, then one last timeout. */
	static const dmm_time_t at_ms[] = {0, 1500, 4500, 10500, 22500, 46500};
	const dmm_time_t give_up = 78500 * DMM_MSEC;
	const dmm_time_t t0 = 100 * DMM_SECOND;

	F.now = t0;
	CHECK_EQ(dmm_mag_attach(mag, &m, 1, LL, 6, 0, F.now), 0);
	for (unsigned i = 1; i < 6; i++) {
		run_to(mag, t0 + at_ms[i] * DMM_MSEC - 1);
		CHECK_EQ(F.nsent, i);
		run_to(mag, t0 + at_ms[i] * DMM_MSEC);
		CHECK_EQ(F.nsent, i + 1);
	}
	for (unsigned i = 0; i < F.nsent; i++) {
		struct dmm_mh_msg a = sent_msg(i);

		CHECK_EQ(F.sent[i].at, t0 + at_ms[i] * DMM_MSEC);
		CHECK_EQ(a.type, DMM_MH_BU);
		CHECK_EQ(a.u.bu.seq, (uint16_t)(sent_msg(0).u.bu.seq + i)); /* §6.9.4 item 4: a new number */
		CHECK_EQ(opt(&a, DMM_OPT_HI)->u.hi.value, DMM_HI_UNKNOWN);  /* issue 9 §2.8, was 1 */
		if (i) {
			struct dmm_mh_msg prev = sent_msg(i - 1);

			CHECK(opt(&a, DMM_OPT_TIMESTAMP)->u.timestamp.seconds >
			      opt(&prev, DMM_OPT_TIMESTAMP)->u.timestamp.seconds);
		}
	}
	CHECK_EQ(dmm_role_stats(mag)->pbu_retransmissions, 5);
	CHECK_EQ(dmm_role_next_deadline(mag), t0 + give_up);
	run_to(mag, t0 + give_up - 1);
	CHECK_EQ(dmm_role_stats(mag)->pbu_give_ups, 0);
	run_to(mag, t0 + give_up);
	CHECK_EQ(F.nsent, 6);
	CHECK_EQ(dmm_role_stats(mag)->pbu_give_ups, 1);
	CHECK(dmm_bul_find_mnid(dmm_mag_bul(mag), &m) == NULL);
	CHECK_EQ(F.nev, 1);
	CHECK_EQ(F.ev[0].ev.type, DMM_MN_REFUSED);
	CHECK_EQ(F.ev[0].ev.status, DMM_MN_STATUS_NO_ANSWER);
	CHECK_EQ(F.ev[0].ev.nprefix, 0);
	CHECK_EQ(dmm_role_next_deadline(mag), DMM_TIME_NEVER);
	/* A late answer to any of the PBUs is now unexpected. */
	{
		struct dmm_mh_msg pbu = sent_msg(3);
		struct dmm_prefix p = hnp(1);

		answer_msg(mag, &pbu, &LMA1, 0, 600, &p, 1);
		CHECK_EQ(dmm_role_stats(mag)->rx_unexpected, 1);
		CHECK_EQ(dmm_fm_count(dmm_role_fm(mag)), 0);
	}
	dmm_mag_free(mag);

	/* Without InitialBindackTimeoutFirstReg: 1 s, 2 s, 4 s ... capped by a smaller max. */
	reset();
	c = cfg_default();
	c.initial_bindack_timeout_first_reg = 0;
	c.max_bindack_timeout = 4 * DMM_SECOND;
	c.max_retransmissions = 4;
	mag = mag_new(&c);
	CHECK_EQ(dmm_mag_attach(mag, &m, 1, LL, 6, 0, F.now), 0);
	run_to(mag, 100 * DMM_SECOND);
	{
		static const dmm_time_t at2[] = {0, 1, 3, 7, 11};

		CHECK_EQ(F.nsent, 5);
		for (unsigned i = 0; i < 5 && i < F.nsent; i++)
			CHECK_EQ(F.sent[i].at, at2[i] * DMM_SECOND);
	}
	CHECK_EQ(dmm_role_stats(mag)->pbu_give_ups, 1);
	CHECK_EQ(F.ev[0].ev.status, DMM_MN_STATUS_NO_ANSWER);
	dmm_mag_free(mag);

	/* An answer to a retransmission, or to the first PBU after a retransmission, is accepted. */
	reset();
	c = cfg_default();
	mag = mag_new(&c);
	CHECK_EQ(dmm_mag_attach(mag, &m, 1, LL, 6, 0, F.now), 0);
	run_to(mag, 2 * DMM_SECOND);
	CHECK_EQ(F.nsent, 2);
	{
		struct dmm_mh_msg first = sent_msg(0);
		struct dmm_prefix p = hnp(1);

		answer_msg(mag, &first, &LMA1, 0, 600, &p, 1);
		CHECK_EQ(dmm_bul_find_mnid(dmm_mag_bul(mag), &m)->state, DMM_BUL_REGISTERED);
		run_to(mag, 30 * DMM_SECOND);
		CHECK_EQ(F.nsent, 2); /* no more retransmissions */
	}
	dmm_mag_free(mag);
}

/* Every refusing status: no prefix, a REFUSED event with that status, a counter. */
static void test_all_statuses(void)
{
	struct dmm_mag_cfg c = (reset(), cfg_default());
	struct dmm_mag *mag = mag_new(&c);
	struct dmm_prefix p = hnp(9);
	unsigned checked = 0;

	for (unsigned s = 128; s <= 255; s++) {
		struct dmm_mnid m = mn(s);
		unsigned ev0 = F.nev, ns;
		bool resync = s == 135 || s == 156 || s == 157;

		CHECK_EQ(dmm_mag_attach(mag, &m, 1, LL, 6, 0, F.now), 0);
		ns = F.nsent;
		answer(mag, (uint8_t)s, 600, &p, 1);
		if (resync) {
			/* One retry with fresh numbers, then the same answer refuses. */
			CHECK_EQ(F.nsent, ns + 1);
			CHECK_EQ(F.nev, ev0);
			answer(mag, (uint8_t)s, 600, &p, 1);
		}
		CHECK_EQ(F.nsent, ns + (resync ? 1 : 0));
		CHECK_EQ(F.nev, ev0 + 1);
		CHECK_EQ(F.ev[ev0].ev.type, DMM_MN_REFUSED);
		CHECK_EQ(F.ev[ev0].ev.status, s);
		CHECK_EQ(F.ev[ev0].ev.nprefix, 0);
		CHECK(dmm_mnid_eq(&F.ev[ev0].mnid, &m));
		CHECK_EQ(dmm_role_stats(mag)->ba_status[s], resync ? 2 : 1);
		CHECK(dmm_bul_find_prefix(dmm_mag_bul(mag), &p) == NULL);
		{
			const struct dmm_bul_entry *e = dmm_bul_find_mnid(dmm_mag_bul(mag), &m);

			if (s == DMM_BA_PROXY_REG_NOT_ENABLED)
				CHECK(e && e->state == DMM_BUL_IDLE && e->n_hnp == 0); /* kept as a block */
			else
				CHECK(e == NULL);
		}
		checked++;
	}
	CHECK_EQ(checked, 128);
	CHECK_EQ(count_ev(DMM_MN_REGISTERED), 0);
	CHECK_EQ(dmm_fm_count(dmm_role_fm(mag)), 0);
	CHECK_EQ(F.installs, 0);
	CHECK_EQ(dmm_bul_count(dmm_mag_bul(mag)), 1);
	CHECK_EQ(dmm_role_next_deadline(mag), DMM_TIME_NEVER);

	/* §6.9.1.2 item 7: no further PBU for the 152 MN until reconfigured. */
	{
		struct dmm_mnid m = mn(152);
		unsigned ns = F.nsent;

		CHECK_EQ(dmm_mag_attach(mag, &m, 1, LL, 6, 0, F.now), DMM_ERR_INVAL);
		CHECK_EQ(F.nsent, ns);
		CHECK_EQ(dmm_mag_counters(mag)->attach_refused_policy, 1);
		CHECK_EQ(dmm_mag_reconfigure(mag, &c, F.now), 0);
		CHECK_EQ(dmm_bul_count(dmm_mag_bul(mag)), 0);
		CHECK_EQ(dmm_mag_attach(mag, &m, 1, LL, 6, 0, F.now), 0);
		CHECK_EQ(F.nsent, ns + 1);
	}
	dmm_mag_free(mag);

	/* A refresh that is refused takes the prefix away: intents go, REFUSED lists it. */
	reset();
	mag = mag_new(&c);
	register_mn(mag, 1, 1);
	run_to(mag, 480 * DMM_SECOND);
	answer(mag, DMM_BA_NOT_LMA_FOR_THIS_MN, 0, NULL, 0);
	CHECK_EQ(dmm_fm_count(dmm_role_fm(mag)), 0);
	CHECK_EQ(F.ev[F.nev - 1].ev.type, DMM_MN_REFUSED);
	CHECK_EQ(F.ev[F.nev - 1].ev.status, DMM_BA_NOT_LMA_FOR_THIS_MN);
	CHECK_EQ(F.ev[F.nev - 1].ev.nprefix, 1);
	CHECK_EQ(dmm_bul_count(dmm_mag_bul(mag)), 0);
	{
		struct dmm_peer *pe = dmm_peers_get(dmm_role_peers(mag), &LMA1, false);

		CHECK(pe && pe->bindings == 0);
	}
	dmm_mag_free(mag);
}

static void test_resync(void)
{
	struct dmm_mag_cfg c = (reset(), cfg_default());
	struct dmm_mag *mag = mag_new(&c);
	struct dmm_prefix p = hnp(1);
	static const uint8_t ts_status[] = {DMM_BA_TIMESTAMP_MISMATCH, DMM_BA_TIMESTAMP_LOWER_THAN_PREV};

	for (unsigned k = 0; k < 2; k++) {
		struct dmm_mnid m = mn(10 + k);
		struct dmm_mh_msg a, b;

		CHECK_EQ(dmm_mag_attach(mag, &m, 1, LL, 6, 0, F.now), 0);
		a = last_msg();
		F.now += 10 * DMM_MSEC;
		answer(mag, ts_status[k], 0, NULL, 0);
		b = last_msg();
		CHECK_EQ(b.u.bu.seq, (uint16_t)(a.u.bu.seq + 1));
		CHECK(opt(&b, DMM_OPT_TIMESTAMP)->u.timestamp.fraction !=
		      opt(&a, DMM_OPT_TIMESTAMP)->u.timestamp.fraction);
		CHECK_EQ(opt(&b, DMM_OPT_HI)->u.hi.value, DMM_HI_UNKNOWN); /* issue 9 §2.8, was 1 */
		/* The answer to the old PBU no longer matches: a resync starts a new attempt. */
		answer_msg(mag, &a, &LMA1, 0, 600, &p, 1);
		CHECK_EQ(dmm_bul_find_mnid(dmm_mag_bul(mag), &m)->state, DMM_BUL_WAIT_PBA);
		answer(mag, 0, 600, &p, 1);
		CHECK_EQ(dmm_bul_find_mnid(dmm_mag_bul(mag), &m)->state, DMM_BUL_REGISTERED);
		p = hnp(2);
	}
	CHECK_EQ(dmm_mag_counters(mag)->ts_resyncs, 2);
	CHECK_EQ(count_ev(DMM_MN_REFUSED), 0);
	CHECK_EQ(count_ev(DMM_MN_REGISTERED), 2);

	/* 135: retry with the PBA's sequence number + 1 (RFC 6275 §11.7.1). */
	{
		struct dmm_mnid m = mn(20);
		struct dmm_mh_msg pbu, b;
		uint8_t buf[DMM_MH_MAX_LEN];
		int len;

		CHECK_EQ(dmm_mag_attach(mag, &m, 1, LL, 6, 0, F.now), 0);
		pbu = last_msg();
		pbu.u.bu.seq = (uint16_t)(pbu.u.bu.seq + 1000); /* the LMA's last accepted number */
		len = make_pba(buf, sizeof(buf), &pbu, DMM_BA_SEQ_OUT_OF_WINDOW, 0, NULL, 0, NULL);
		dmm_mag_recv(mag, &LMA1, &MAG_ADDR, buf, (size_t)len, F.now);
		b = last_msg();
		CHECK_EQ(b.u.bu.seq, (uint16_t)(pbu.u.bu.seq + 1));
		CHECK_EQ(dmm_mag_counters(mag)->seq_resyncs, 1);
		p = hnp(20);
		answer(mag, 0, 600, &p, 1);
		CHECK_EQ(dmm_bul_find_mnid(dmm_mag_bul(mag), &m)->state, DMM_BUL_REGISTERED);
	}
	dmm_mag_free(mag);
}

static void test_refresh(void)
{
	struct dmm_mag_cfg c = (reset(), cfg_default());
	struct dmm_mag *mag = mag_new(&c);
	struct dmm_mnid m = mn(1);
	struct dmm_prefix p = hnp(1);
	const struct dmm_bul_entry *e;
	struct dmm_mh_msg r;
	unsigned ns;

	c.heartbeat_interval = 0;
	dmm_mag_reconfigure(mag, &c, F.now);
	e = register_mn(mag, 1, 4);
	ns = F.nsent;
	/* 600 s with 20 % margin: the refresh goes at 480 s. */
	run_to(mag, 480 * DMM_SECOND - 1);
	CHECK_EQ(F.nsent, ns);
	run_to(mag, 480 * DMM_SECOND);
	CHECK_EQ(F.nsent, ns + 1);
	r = last_msg();
	CHECK_EQ(r.type, DMM_MH_BU);
	CHECK_EQ(r.u.bu.lifetime, 150);
	CHECK_EQ(opt(&r, DMM_OPT_HI)->u.hi.value, DMM_HI_NO_CHANGE);
	CHECK_EQ(dmm_mh_count_opt(&r, DMM_OPT_HNP), 1);
	CHECK(dmm_prefix_eq(&opt(&r, DMM_OPT_HNP)->u.hnp, &p));
	CHECK_EQ(e->state, DMM_BUL_REGISTERED); /* the binding stands while refreshing */
	F.now += 30 * DMM_MSEC;
	answer(mag, 0, 600, NULL, 0);
	CHECK_EQ(e->expires, F.now + 600 * DMM_SECOND);
	CHECK_EQ(dmm_role_stats(mag)->lifetime_ext_no_handoff, 1);
	CHECK_EQ(F.installs, 3); /* intents untouched by a refresh */
	CHECK_EQ(F.removes, 0);
	CHECK_EQ(count_ev(DMM_MN_REGISTERED), 2);
	/* Rule 8: attach -> first PBA (answered at once here) is kept; the refresh 480 s later does not change it. */
	CHECK_EQ(e->reg_time, 0);
	CHECK(e->registered - e->attached >= 480 * DMM_SECOND);
	/* The next refresh is unanswered: retransmissions, give-up, the binding lapses at its end. */
	{
		dmm_time_t reg = F.now;

		run_to(mag, reg + 600 * DMM_SECOND - 1);
		CHECK_EQ(dmm_role_stats(mag)->pbu_retransmissions, 5);
		CHECK_EQ(dmm_role_stats(mag)->pbu_give_ups, 1);
		CHECK_EQ(e->state, DMM_BUL_REGISTERED);
		CHECK_EQ(dmm_fm_count(dmm_role_fm(mag)), 3);
		run_to(mag, reg + 600 * DMM_SECOND);
		CHECK(dmm_bul_find_mnid(dmm_mag_bul(mag), &m) == NULL);
		CHECK_EQ(dmm_fm_count(dmm_role_fm(mag)), 0);
		CHECK_EQ(F.ev[F.nev - 1].ev.type, DMM_MN_DEREGISTERED);
		CHECK_EQ(F.ev[F.nev - 1].ev.nprefix, 1);
	}
	/* The refresh of a short lifetime: 40 s granted, refresh at 32 s. */
	e = register_mn(mag, 2, 4);
	ns = F.nsent;
	{
		dmm_time_t t = F.now;
		struct dmm_mh_msg pbu;
		struct dmm_prefix p2 = hnp(2);

		/* re-register with the LMA granting 40 s */
		pbu = sent_msg(F.nsent - 1);
		(void)pbu;
		run_to(mag, t + 480 * DMM_SECOND);
		answer(mag, 0, 40, &p2, 1);
		CHECK_EQ(e->lifetime, 40 * DMM_SECOND);
		ns = F.nsent;
		run_to(mag, F.now + 32 * DMM_SECOND - 1);
		CHECK_EQ(F.nsent, ns);
		run_to(mag, F.now + 1);
		CHECK_EQ(F.nsent, ns + 1);
	}
	dmm_mag_free(mag);
}

static void test_detach(void)
{
	struct dmm_mag_cfg c = (reset(), cfg_default());
	struct dmm_mag *mag = mag_new(&c);
	struct dmm_mnid m = mn(1);
	struct dmm_prefix p = hnp(1);
	const struct dmm_bul_entry *e;
	struct dmm_mh_msg d;
	unsigned ns;

	e = register_mn(mag, 1, 2);
	CHECK_EQ(dmm_fm_count(dmm_role_fm(mag)), 3);
	F.now = 5 * DMM_SECOND;
	ns = F.nsent;
	CHECK_EQ(dmm_mag_detach(mag, &m, F.now), 0);
	CHECK_EQ(F.nsent, ns + 1);
	d = last_msg();
	CHECK_EQ(d.type, DMM_MH_BU);
	CHECK_EQ(d.u.bu.lifetime, 0);
	CHECK_EQ(d.u.bu.flags, DMM_BU_A | DMM_BU_P);
	CHECK_EQ(opt(&d, DMM_OPT_HI)->u.hi.value, DMM_HI_UNKNOWN); /* §6.9.1.4 item 3 */
	CHECK(dmm_prefix_eq(&opt(&d, DMM_OPT_HNP)->u.hnp, &p));
	CHECK_EQ(dmm_fm_count(dmm_role_fm(mag)), 0); /* at once */
	CHECK_EQ(F.ev[F.nev - 1].ev.type, DMM_MN_DEREGISTERED);
	CHECK(dmm_prefix_eq(&F.ev[F.nev - 1].ev.prefix[0], &p));
	CHECK_EQ(e->state, DMM_BUL_DEREG_WAIT);
	CHECK_EQ(dmm_mag_detach(mag, &m, F.now), 0); /* twice: nothing more */
	CHECK_EQ(F.nsent, ns + 1);
	answer(mag, 0, 0, NULL, 0);
	CHECK(dmm_bul_find_mnid(dmm_mag_bul(mag), &m) == NULL);
	CHECK_EQ(dmm_role_stats(mag)->deregistrations, 1);
	{
		struct dmm_peer *pe = dmm_peers_get(dmm_role_peers(mag), &LMA1, false);

		CHECK(pe && pe->bindings == 0);
	}
	CHECK_EQ(dmm_mag_detach(mag, &m, F.now), DMM_ERR_NOTFOUND);

	/* No PBA: the entry goes after one INITIAL_BINDACK_TIMEOUT, without a retry. */
	e = register_mn(mag, 2, 2);
	m = mn(2);
	ns = F.nsent;
	CHECK_EQ(dmm_mag_detach(mag, &m, F.now), 0);
	run_to(mag, F.now + DMM_SECOND - 1);
	CHECK(dmm_bul_find_mnid(dmm_mag_bul(mag), &m) != NULL);
	run_to(mag, F.now + 1);
	CHECK(dmm_bul_find_mnid(dmm_mag_bul(mag), &m) == NULL);
	CHECK_EQ(F.nsent, ns + 1);
	CHECK_EQ(dmm_role_stats(mag)->pbu_retransmissions, 0);
	(void)e;

	/* Detach before any PBA: the entry just goes. */
	m = mn(3);
	CHECK_EQ(dmm_mag_attach(mag, &m, 2, LL, 6, 0, F.now), 0);
	ns = F.nsent;
	CHECK_EQ(dmm_mag_detach(mag, &m, F.now), 0);
	CHECK_EQ(F.nsent, ns);
	CHECK(dmm_bul_find_mnid(dmm_mag_bul(mag), &m) == NULL);

	/* Back before the de-registration completed: a PBU for the same prefix, HI 5, new link. */
	e = register_mn(mag, 4, 2);
	m = mn(4);
	CHECK_EQ(dmm_mag_detach(mag, &m, F.now), 0);
	CHECK_EQ(dmm_mag_attach(mag, &m, 9, LL, 6, 0, F.now), 0);
	d = last_msg();
	CHECK_EQ(d.u.bu.lifetime, 150);
	CHECK_EQ(opt(&d, DMM_OPT_HI)->u.hi.value, DMM_HI_NO_CHANGE);
	p = hnp(4);
	CHECK(dmm_prefix_eq(&opt(&d, DMM_OPT_HNP)->u.hnp, &p));
	answer(mag, 0, 600, NULL, 0);
	CHECK_EQ(e->state, DMM_BUL_REGISTERED);
	CHECK_EQ(e->ifindex, 9);
	CHECK_EQ(dmm_fm_count(dmm_role_fm(mag)), 3);
	dmm_mag_free(mag);
}

static int make_bri(uint8_t *buf, size_t cap, uint16_t seq, uint16_t flags, uint8_t trigger,
		    const struct dmm_mnid *m, const struct dmm_prefix *p)
{
	struct dmm_mh_msg b;

	dmm_mh_init(&b, DMM_MH_BR);
	b.u.br.br_type = DMM_BR_BRI;
	b.u.br.code = trigger;
	b.u.br.seq = seq;
	b.u.br.flags = flags;
	if (m) {
		struct dmm_mh_opt *o = dmm_mh_add_opt(&b, DMM_OPT_MNID);

		o->u.mnid.subtype = m->subtype;
		o->u.mnid.id.len = m->len;
		memcpy(o->u.mnid.id.b, m->id, m->len);
	}
	if (p)
		dmm_mh_add_opt(&b, DMM_OPT_HNP)->u.hnp = *p;
	return dmm_mh_encode(buf, cap, &b);
}

static void test_bri(void)
{
	struct dmm_mag_cfg c = (reset(), cfg_default());
	struct dmm_mag *mag = mag_new(&c);
	struct dmm_mnid m = mn(1);
	struct dmm_prefix p = hnp(1);
	uint8_t buf[DMM_MH_MAX_LEN];
	struct dmm_mh_msg a;
	int len;

	register_mn(mag, 1, 1);
	register_mn(mag, 2, 1);
	CHECK_EQ(dmm_fm_count(dmm_role_fm(mag)), 6);
	len = make_bri(buf, sizeof(buf), 777, DMM_BR_P, 4, &m, &p);
	dmm_mag_recv(mag, &LMA1, &MAG_ADDR, buf, (size_t)len, F.now);
	a = last_msg();
	CHECK(dmm_addr_eq(&F.sent[F.nsent - 1].dst, &LMA1));
	CHECK_EQ(a.type, DMM_MH_BR);
	CHECK_EQ(a.u.br.br_type, DMM_BR_BRA);
	CHECK_EQ(a.u.br.code, 0);
	CHECK_EQ(a.u.br.seq, 777);
	CHECK_EQ(a.u.br.flags, DMM_BR_P);
	CHECK(dmm_bul_find_mnid(dmm_mag_bul(mag), &m) == NULL);
	CHECK_EQ(dmm_fm_count(dmm_role_fm(mag)), 3);
	CHECK_EQ(F.ev[F.nev - 1].ev.type, DMM_MN_DEREGISTERED);
	CHECK(dmm_prefix_eq(&F.ev[F.nev - 1].ev.prefix[0], &p));
	/* Again: the binding is gone, BRA 128. */
	dmm_mag_recv(mag, &LMA1, &MAG_ADDR, buf, (size_t)len, F.now);
	a = last_msg();
	CHECK_EQ(a.u.br.code, 128);
	CHECK_EQ(a.u.br.seq, 777);
	/* The right MN with a prefix it does not hold, or from another LMA: 128, nothing removed. */
	m = mn(2);
	len = make_bri(buf, sizeof(buf), 778, DMM_BR_P, 1, &m, &p);
	dmm_mag_recv(mag, &LMA1, &MAG_ADDR, buf, (size_t)len, F.now);
	CHECK_EQ(last_msg().u.br.code, 128);
	p = hnp(2);
	len = make_bri(buf, sizeof(buf), 779, DMM_BR_P, 1, &m, &p);
	dmm_mag_recv(mag, &LMA2, &MAG_ADDR, buf, (size_t)len, F.now);
	CHECK_EQ(last_msg().u.br.code, 128);
	CHECK_EQ(dmm_fm_count(dmm_role_fm(mag)), 3);
	/* Global per-peer revocation (trigger 128, G, no options): every binding of that LMA. */
	len = make_bri(buf, sizeof(buf), 780, DMM_BR_P | DMM_BR_G, 128, NULL, NULL);
	dmm_mag_recv(mag, &LMA1, &MAG_ADDR, buf, (size_t)len, F.now);
	a = last_msg();
	CHECK_EQ(a.u.br.code, 0);
	CHECK_EQ(a.u.br.flags, DMM_BR_P | DMM_BR_G);
	CHECK_EQ(dmm_bul_count(dmm_mag_bul(mag)), 0);
	CHECK_EQ(dmm_fm_count(dmm_role_fm(mag)), 0);
	/* No P flag: the MAG has no MIPv6 bindings to revoke. */
	len = make_bri(buf, sizeof(buf), 781, 0, 1, &m, &p);
	dmm_mag_recv(mag, &LMA1, &MAG_ADDR, buf, (size_t)len, F.now);
	CHECK_EQ(last_msg().u.br.code, 134);
	CHECK_EQ(dmm_role_stats(mag)->bri_received, 6);
	CHECK_EQ(dmm_role_stats(mag)->bra_sent, 6);
	dmm_mag_free(mag);
}

/* A heartbeat request from the MAG is answered (or not) by the test. */
static void hb_answer(struct dmm_mag *mag, const struct dmm_addr *lma, uint32_t seq, uint32_t rc)
{
	struct dmm_mh_msg h;
	uint8_t buf[64];
	int len;

	dmm_mh_init(&h, DMM_MH_HB);
	h.u.hb.flags = DMM_HB_R;
	h.u.hb.seq = seq;
	dmm_mh_add_opt(&h, DMM_OPT_RESTART)->u.restart.counter = rc;
	len = dmm_mh_encode(buf, sizeof(buf), &h);
	CHECK(len > 0);
	dmm_mag_recv(mag, lma, &MAG_ADDR, buf, (size_t)len, F.now);
}

static unsigned count_sent(uint8_t type, const struct dmm_addr *dst, unsigned from)
{
	unsigned k = 0;

	for (unsigned i = from; i < F.nsent; i++) {
		struct dmm_mh_msg x = sent_msg(i);

		k += x.type == type && (!dst || dmm_addr_eq(&F.sent[i].dst, dst));
	}
	return k;
}

/*
 * issue 9 §2.8: RFC 5213 §6.9.1.1 items 4-5. The MAG sees an MN appear on
 * its link; whether that is a new interface or a handoff of a session held
 * elsewhere it cannot tell, so the HI is 4 (unknown), never 1. Only when
 * the MN is known here (its entry holds prefixes) does it say 5.
 */
static void test_handoff_indicator(void)
{
	static const struct {
		const char *what;
		unsigned step; /* 0 attach, 1 retransmission, 2 other link once registered, 3 LMA restart */
		uint8_t hi;
	} cases[] = {
		{"new MN on the link", 0, DMM_HI_UNKNOWN},
		{"its retransmission", 1, DMM_HI_UNKNOWN},
		{"known MN on another link", 2, DMM_HI_NO_CHANGE},
		{"LMA restart, never granted a prefix", 3, DMM_HI_UNKNOWN},
	};
	struct dmm_mag_cfg c = (reset(), cfg_default());
	struct dmm_mag *mag;
	struct dmm_mnid m = mn(1), m2 = mn(2);
	struct dmm_prefix p = hnp(1);
	struct dmm_peer *pe;

	c.heartbeat_interval = 10 * DMM_SECOND;
	mag = mag_new(&c);
	for (unsigned k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		struct dmm_mh_msg b;
		unsigned ns = F.nsent;

		switch (cases[k].step) {
		case 0:
			CHECK_EQ(dmm_mag_attach(mag, &m, 1, LL, 6, 0, F.now), 0);
			break;
		case 1:
			run_to(mag, F.now + 1500 * DMM_MSEC);
			break;
		case 2:
			answer(mag, 0, 600, &p, 1);
			CHECK_EQ(dmm_mag_attach(mag, &m, 2, LL, 6, 0, F.now), 0);
			answer(mag, 0, 600, &p, 1);
			/* MN 2 attaches and waits while the LMA restarts (case 3). */
			CHECK_EQ(dmm_mag_attach(mag, &m2, 1, LL, 6, 0, F.now), 0);
			ns = F.nsent - 2;
			break;
		case 3:
			pe = dmm_peers_get(dmm_role_peers(mag), &LMA1, false);
			CHECK(pe != NULL);
			if (!pe)
				break;
			run_to(mag, F.now + 10 * DMM_SECOND);
			hb_answer(mag, &LMA1, pe->seq, 1);
			run_to(mag, F.now + 10 * DMM_SECOND);
			ns = F.nsent;
			hb_answer(mag, &LMA1, pe->seq, 2); /* restarted: both MNs again */
			for (unsigned i = ns; i < F.nsent; i++) {
				b = sent_msg(i);
				if (b.type == DMM_MH_BU && opt(&b, DMM_OPT_HNP)->u.hnp.len == 0)
					ns = i;
			}
			break;
		}
		CHECK(F.nsent > ns);
		if (F.nsent <= ns)
			continue;
		b = sent_msg(cases[k].step >= 2 ? ns : last_bu_idx());
		CHECK_EQ(b.type, DMM_MH_BU);
		if (!opt(&b, DMM_OPT_HI) || opt(&b, DMM_OPT_HI)->u.hi.value != cases[k].hi)
			fprintf(stderr, "handoff indicator: %s: HI %u, want %u\n", cases[k].what,
				opt(&b, DMM_OPT_HI) ? opt(&b, DMM_OPT_HI)->u.hi.value : 0, cases[k].hi);
		CHECK(opt(&b, DMM_OPT_HI) && opt(&b, DMM_OPT_HI)->u.hi.value == cases[k].hi);
	}
	dmm_mag_free(mag);
}

/*
 * issue 9 §2.4: RFC 8885 §4.2. This MAG is a plain PMIPv6 MAG: a PBA with
 * the D flag (from a MAAR or a CMD) is ignored, whatever it says; the
 * attempt goes on and the PBA is counted.
 */
static void test_pba_d_flag(void)
{
	static const struct {
		const char *what;
		bool registered; /* answer a PBA for a registered MN's detach */
		uint8_t status;
	} cases[] = {
		{"accepting", false, 0},
		{"refusing", false, DMM_BA_PROHIBITED},
		{"timestamp resync", false, DMM_BA_TIMESTAMP_LOWER_THAN_PREV},
		{"de-registration", true, 0},
	};
	struct dmm_mag_cfg c = (reset(), cfg_default());
	struct dmm_mag *mag = mag_new(&c);
	struct dmm_prefix p = hnp(7);

	for (unsigned k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		struct dmm_mnid m = mn(20 + k);
		const struct dmm_bul_entry *e;
		struct dmm_mh_msg pbu, pba;
		uint8_t buf[DMM_MH_MAX_LEN];
		unsigned ns;
		int len;
		uint8_t state;

		if (cases[k].registered) {
			register_mn(mag, 20 + k, 1);
			CHECK_EQ(dmm_mag_detach(mag, &m, F.now), 0);
		} else {
			CHECK_EQ(dmm_mag_attach(mag, &m, 1, LL, 6, 0, F.now), 0);
		}
		e = dmm_bul_find_mnid(dmm_mag_bul(mag), &m);
		state = e ? e->state : 0;
		pbu = last_bu();
		len = make_pba(buf, sizeof(buf), &pbu, cases[k].status, 600, &p, 1, NULL);
		CHECK(len > 0 && dmm_mh_decode(&pba, buf, (size_t)len) > 0);
		pba.u.ba.flags |= DMM_BA_D;
		len = dmm_mh_encode(buf, sizeof(buf), &pba);
		CHECK(len > 0);
		ns = F.nsent;
		dmm_mag_recv(mag, &LMA1, &MAG_ADDR, buf, (size_t)len, F.now);
		e = dmm_bul_find_mnid(dmm_mag_bul(mag), &m);
		if (!e || e->state != state || F.nsent != ns)
			fprintf(stderr, "D-flagged PBA, %s: not ignored\n", cases[k].what);
		CHECK(e && e->state == state);
		CHECK_EQ(F.nsent, ns); /* no resync, no PBU */
		CHECK_EQ(dmm_mag_counters(mag)->pba_d_flag, k + 1);
	}
	CHECK_EQ(dmm_fm_count(dmm_role_fm(mag)), 0);
	dmm_mag_free(mag);
}

/*
 * issue 9 §2.10: RFC 5846 §6.1.2 and §9.1. The BRA echoes P, G and V.
 * With V the LMA revokes only the IPv4 proxy HoA binding, which this MAG
 * never holds (no RFC 5844): the IPv6 binding stays and the BRA says 128.
 */
static void test_bri_v_flag(void)
{
	static const struct {
		uint16_t flags;
		uint8_t trigger;
		bool with_id;
		uint8_t code;
	} cases[] = {
		{DMM_BR_P | DMM_BR_V, 1, true, 128},
		{DMM_BR_P | DMM_BR_V, 4, true, 128},
		{DMM_BR_P | DMM_BR_V | DMM_BR_G, 129, true, 128},
		{DMM_BR_P | DMM_BR_V | DMM_BR_G, 128, false, 128},
		{DMM_BR_V, 1, true, 134},
	};
	struct dmm_mag_cfg c = (reset(), cfg_default());
	struct dmm_mag *mag = mag_new(&c);
	struct dmm_mnid m = mn(1);
	struct dmm_prefix p = hnp(1);

	register_mn(mag, 1, 1);
	for (unsigned k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		uint8_t buf[DMM_MH_MAX_LEN];
		struct dmm_mh_msg a;
		int len = make_bri(buf, sizeof(buf), (uint16_t)(900 + k), cases[k].flags, cases[k].trigger,
				   cases[k].with_id ? &m : NULL, cases[k].with_id ? &p : NULL);

		dmm_mag_recv(mag, &LMA1, &MAG_ADDR, buf, (size_t)len, F.now);
		a = last_msg();
		CHECK_EQ(a.type, DMM_MH_BR);
		CHECK_EQ(a.u.br.seq, 900 + k);
		CHECK_EQ(a.u.br.flags, cases[k].flags);
		CHECK_EQ(a.u.br.code, cases[k].code);
		CHECK(dmm_bul_find_mnid(dmm_mag_bul(mag), &m) != NULL);
		CHECK_EQ(dmm_fm_count(dmm_role_fm(mag)), 3);
	}
	dmm_mag_free(mag);
}

static void test_heartbeat_loss(void)
{
	struct dmm_mag_cfg c = (reset(), cfg_default());
	struct dmm_mag *mag;
	const struct dmm_bul_entry *e;
	struct dmm_peer *pe;
	unsigned ns;

	c.lifetime_s = 3600; /* no refresh in the way */
	mag = mag_new(&c);
	e = register_mn(mag, 1, 1);
	{
		struct dmm_prefix p = hnp(1);
		struct dmm_mnid m = mn(1);

		(void)p;
		(void)m;
	}
	ns = F.nsent;
	pe = dmm_peers_get(dmm_role_peers(mag), &LMA1, false);
	CHECK(pe != NULL);
	/* Requests every 60 s; missing_allowed 3: RFC 5847 §3.1, down when the misses exceed 3:
	 * the fourth request in a row is still unanswered as the fifth is due, i.e. 5 intervals
	 * after the binding. */
	run_to(mag, 60 * DMM_SECOND * 4);
	CHECK_EQ(count_sent(DMM_MH_HB, &LMA1, ns), 4);
	CHECK_EQ(dmm_role_stats(mag)->peers_down, 0);
	CHECK_EQ(pe->state, DMM_PEER_UNKNOWN);
	run_to(mag, 60 * DMM_SECOND * 5);
	CHECK_EQ(dmm_role_stats(mag)->peers_down, 1);
	CHECK_EQ(pe->state, DMM_PEER_DOWN);
	CHECK_EQ(dmm_mag_counters(mag)->bindings_marked_down, 1);
	/* The binding is kept. */
	CHECK_EQ(e->state, DMM_BUL_REGISTERED);
	CHECK_EQ(dmm_fm_count(dmm_role_fm(mag)), 3);
	CHECK_EQ(dmm_role_stats(mag)->hb_req_sent, 5);
	/* Heard again: up. */
	hb_answer(mag, &LMA1, pe->seq, 1);
	CHECK_EQ(pe->state, DMM_PEER_UP);
	CHECK_EQ(dmm_role_stats(mag)->hb_resp_rcvd, 1);
	dmm_mag_free(mag);
}

static void test_lma_restart(void)
{
	struct dmm_mag_cfg c = (reset(), cfg_default());
	struct dmm_policy *pol = dmm_policy_new(&A, 16, 4, 7);
	struct dmm_policy_profile def = {.may_register = true};
	struct dmm_policy_profile to2 = {.may_register = true, .n_lma = 1};
	struct dmm_mag *mag;
	struct dmm_peer *pe;
	unsigned ns;

	to2.mnid = mn(3);
	to2.lma[0] = LMA2;
	CHECK_EQ(dmm_policy_set_default(pol, &def), 0);
	CHECK_EQ(dmm_policy_set(pol, &to2), 0);
	c.policy = pol;
	c.lifetime_s = 3600;
	mag = mag_new(&c);
	register_mn(mag, 1, 1);
	register_mn(mag, 2, 1);
	register_mn(mag, 3, 1); /* served by LMA2 */
	CHECK(dmm_addr_eq(&F.sent[F.nsent - 1].dst, &LMA2));
	CHECK_EQ(dmm_bul_count_state(dmm_mag_bul(mag), DMM_BUL_REGISTERED), 3);
	pe = dmm_peers_get(dmm_role_peers(mag), &LMA1, false);
	run_to(mag, 60 * DMM_SECOND);
	hb_answer(mag, &LMA1, pe->seq, 5);
	CHECK_EQ(pe->state, DMM_PEER_UP);
	run_to(mag, 120 * DMM_SECOND);
	ns = F.nsent;
	hb_answer(mag, &LMA1, pe->seq, 6); /* restarted */
	CHECK_EQ(dmm_role_stats(mag)->peer_restarts, 1);
	CHECK_EQ(count_sent(DMM_MH_BU, &LMA1, ns), 2);
	CHECK_EQ(count_sent(DMM_MH_BU, NULL, ns), 2);
	CHECK_EQ(dmm_mag_counters(mag)->rereg_after_restart, 2);
	for (unsigned i = ns; i < F.nsent; i++) {
		struct dmm_mh_msg b = sent_msg(i);

		CHECK_EQ(opt(&b, DMM_OPT_HI)->u.hi.value, DMM_HI_NO_CHANGE);
		CHECK_EQ(dmm_mh_count_opt(&b, DMM_OPT_HNP), 1);
		CHECK(opt(&b, DMM_OPT_HNP)->u.hnp.len == 64);
	}
	/* The intents stay while the LMA relearns; the answers make them registered again. */
	CHECK_EQ(dmm_fm_count(dmm_role_fm(mag)), 9);
	{
		struct dmm_mh_msg b1 = sent_msg(ns), b2 = sent_msg(ns + 1);

		answer_msg(mag, &b1, &LMA1, 0, 3600, NULL, 0);
		answer_msg(mag, &b2, &LMA1, 0, 3600, NULL, 0);
	}
	CHECK_EQ(dmm_bul_count_state(dmm_mag_bul(mag), DMM_BUL_REGISTERED), 3);
	CHECK_EQ(dmm_role_stats(mag)->pbu_retransmissions, 0);
	run_to(mag, 200 * DMM_SECOND);
	CHECK_EQ(dmm_role_stats(mag)->pbu_retransmissions, 0);
	dmm_mag_free(mag);

	/* Our own restart: an unsolicited heartbeat response to the default LMA (RFC 5847 §3.2). */
	reset();
	c = cfg_default();
	c.restart_counter = 4;
	mag = mag_new(&c);
	CHECK_EQ(F.nsent, 1);
	{
		struct dmm_mh_msg h = last_msg();

		CHECK_EQ(h.type, DMM_MH_HB);
		CHECK_EQ(h.u.hb.flags, DMM_HB_U | DMM_HB_R);
		CHECK_EQ(opt(&h, DMM_OPT_RESTART)->u.restart.counter, 4);
		CHECK(dmm_addr_eq(&F.sent[0].dst, &LMA1));
	}
	dmm_mag_free(mag);
	dmm_policy_free(pol);
}

static void test_malformed(void)
{
	struct dmm_mag_cfg c = (reset(), cfg_default());
	struct dmm_mag *mag = mag_new(&c);
	struct dmm_mnid m = mn(1);
	struct dmm_prefix p = hnp(1), other = hnp(77);
	const struct dmm_bul_entry *e;
	uint8_t buf[DMM_MH_MAX_LEN];
	struct dmm_mh_msg pbu;
	int len;

	e = register_mn(mag, 1, 1);
	run_to(mag, 480 * DMM_SECOND); /* a refresh is outstanding */
	pbu = last_bu();
	/* A PBA whose HNP option claims 17 octets: decode error, binding intact. */
	len = make_pba(buf, sizeof(buf), &pbu, 0, 600, &other, 1, NULL);
	CHECK(len > 0);
	for (int i = 8; i + 1 < len; i++)
		if (buf[i] == DMM_OPT_HNP && buf[i + 1] == 18) {
			buf[i + 1] = 17;
			break;
		}
	dmm_mag_recv(mag, &LMA1, &MAG_ADDR, buf, (size_t)len, F.now);
	CHECK_EQ(dmm_role_stats(mag)->rx_malformed[-DMM_ERR_OPT_LEN] +
			 dmm_role_stats(mag)->rx_malformed[-DMM_ERR_OPT_TRUNCATED] +
			 dmm_role_stats(mag)->rx_malformed[-DMM_ERR_OPT_ALIGN],
		 1);
	CHECK(dmm_prefix_eq(&e->hnp[0], &p));
	CHECK_EQ(e->state, DMM_BUL_REGISTERED);
	CHECK_EQ(dmm_fm_count(dmm_role_fm(mag)), 3);
	/* Truncated. */
	dmm_mag_recv(mag, &LMA1, &MAG_ADDR, buf, 7, F.now);
	CHECK_EQ(dmm_role_stats(mag)->rx_malformed[-DMM_ERR_TRUNCATED], 1);
	/* A refusing PBA with a wrong sequence number: ignored. */
	pbu.u.bu.seq = (uint16_t)(pbu.u.bu.seq + 100);
	answer_msg(mag, &pbu, &LMA1, DMM_BA_PROHIBITED, 0, NULL, 0);
	CHECK_EQ(dmm_role_stats(mag)->rx_unexpected, 1);
	CHECK_EQ(e->state, DMM_BUL_REGISTERED);
	/* Echo mismatch (§6.9.1.2 item 6): HI differs -> ignored. */
	pbu = last_bu();
	{
		struct dmm_mh_msg bad = pbu;

		for (unsigned i = 0; i < bad.nopts; i++)
			if (bad.opts[i].type == DMM_OPT_HI)
				bad.opts[i].u.hi.value = DMM_HI_NEW_IF;
		answer_msg(mag, &bad, &LMA1, DMM_BA_PROHIBITED, 0, NULL, 0);
		CHECK_EQ(dmm_mag_counters(mag)->pba_echo_mismatch, 1);
		CHECK_EQ(e->state, DMM_BUL_REGISTERED);
		CHECK_EQ(dmm_fm_count(dmm_role_fm(mag)), 3);
	}
	/* A BA without the P flag is not a PBA. */
	{
		struct dmm_mh_msg b;

		dmm_mh_init(&b, DMM_MH_BA);
		b.u.ba.seq = pbu.u.bu.seq;
		len = dmm_mh_encode(buf, sizeof(buf), &b);
		dmm_mag_recv(mag, &LMA1, &MAG_ADDR, buf, (size_t)len, F.now);
		CHECK_EQ(dmm_role_stats(mag)->rx_unexpected, 3);
	}
	/* The real answer still works. */
	answer(mag, 0, 600, &p, 1);
	CHECK_EQ(dmm_role_stats(mag)->lifetime_ext_no_handoff, 1);
	CHECK(dmm_mnid_eq(&e->mnid, &m));
	dmm_mag_free(mag);
}

static void test_unknown_type(void)
{
	struct dmm_mag_cfg c = (reset(), cfg_default());
	struct dmm_mag *mag = mag_new(&c);
	uint8_t buf[16] = {59, 0, 99, 0, 0, 0, 0, 0};
	struct dmm_mh_msg be;

	dmm_mag_recv(mag, &LMA2, &MAG_ADDR, buf, 8, F.now);
	CHECK_EQ(F.nsent, 1);
	be = last_msg();
	CHECK_EQ(be.type, DMM_MH_BE);
	CHECK_EQ(be.u.be.status, DMM_BE_UNKNOWN_MH_TYPE);
	CHECK(dmm_addr_eq(&F.sent[0].dst, &LMA2));
	CHECK(dmm_addr_eq(&F.sent[0].src, &MAG_ADDR));
	CHECK_EQ(dmm_role_stats(mag)->rx_unknown_type, 1);
	/* A BU is known but not for a MAG: counted, not answered. */
	{
		struct dmm_mh_msg bu;
		int len;

		dmm_mh_init(&bu, DMM_MH_BU);
		len = dmm_mh_encode(buf, sizeof(buf), &bu);
		dmm_mag_recv(mag, &LMA2, &MAG_ADDR, buf, (size_t)len, F.now);
		CHECK_EQ(F.nsent, 1);
		CHECK_EQ(dmm_role_stats(mag)->rx_unexpected, 1);
	}
	dmm_mag_free(mag);
}

static void test_policy_and_limits(void)
{
	struct dmm_mag_cfg c = (reset(), cfg_default());
	struct dmm_policy *pol = dmm_policy_new(&A, 16, 4, 7);
	struct dmm_policy_profile no = {.may_register = false};
	struct dmm_mag *mag;
	struct dmm_mnid m = mn(5), unknown = mn(6);

	no.mnid = m;
	CHECK_EQ(dmm_policy_set(pol, &no), 0);
	c.policy = pol;
	c.max_mns = 2;
	mag = mag_new(&c);
	CHECK_EQ(dmm_mag_attach(mag, &m, 1, LL, 6, 0, F.now), DMM_ERR_INVAL);
	CHECK_EQ(dmm_mag_attach(mag, &unknown, 1, LL, 6, 0, F.now),
		 DMM_ERR_INVAL); /* no profile, no default */
	CHECK_EQ(F.nsent, 0);
	CHECK_EQ(dmm_mag_counters(mag)->attach_refused_policy, 2);
	dmm_mag_free(mag);

	/* A full list. */
	c.policy = NULL;
	mag = mag_new(&c);
	for (uint32_t i = 0; i < 2; i++) {
		struct dmm_mnid k = mn(100 + i);

		CHECK_EQ(dmm_mag_attach(mag, &k, 1, LL, 6, 0, F.now), 0);
	}
	CHECK_EQ(dmm_mag_attach(mag, &m, 1, LL, 6, 0, F.now), DMM_ERR_NOMEM);
	CHECK_EQ(dmm_mag_counters(mag)->attach_refused_full, 1);
	/* Capacities cannot change at reconfiguration. */
	c.max_mns = 3;
	CHECK_EQ(dmm_mag_reconfigure(mag, &c, F.now), DMM_ERR_INVAL);
	dmm_mag_free(mag);

	/* Bad configs. */
	{
		struct dmm_env e = env();

		c = cfg_default();
		c.refresh_margin_pct = 100;
		CHECK(dmm_mag_new(&e, &c, 0) == NULL);
		c = cfg_default();
		memset(&c.addr, 0, sizeof(c.addr));
		CHECK(dmm_mag_new(&e, &c, 0) == NULL);
	}
	dmm_policy_free(pol);
}

static void test_ops(void)
{
	struct dmm_mag_cfg c = (reset(), cfg_default());
	struct dmm_env e = env();
	void *inst = dmm_mag_ops.create(&e, &c, 0);
	struct dmm_mnid m = mn(1);
	struct dmm_prefix p = hnp(1);
	uint8_t buf[DMM_MH_MAX_LEN];
	struct dmm_mh_msg pbu;
	int len;

	CHECK(inst != NULL);
	CHECK(strcmp(dmm_mag_ops.name, "mag") == 0);
	CHECK_EQ(dmm_mag_attach(inst, &m, 1, LL, 6, 0, 0), 0);
	CHECK_EQ(dmm_mag_ops.next_deadline(inst), 1500 * DMM_MSEC);
	pbu = last_msg();
	len = make_pba(buf, sizeof(buf), &pbu, 0, 600, &p, 1, NULL);
	dmm_mag_ops.recv(inst, &LMA1, &MAG_ADDR, buf, (size_t)len, 0);
	CHECK_EQ(count_ev(DMM_MN_REGISTERED), 1);
	CHECK_EQ(dmm_mag_ops.reconfigure(inst, &c, 0), 0);
	dmm_mag_ops.expire(inst, 480 * DMM_SECOND);
	CHECK_EQ(count_sent(DMM_MH_BU, &LMA1, 0), 2);
	dmm_mag_ops.destroy(inst);
	dmm_mag_ops.destroy(NULL);
	CHECK_EQ(F.removes, 3);
	/* A data plane that refuses intents: counted, the binding still registered. */
	reset();
	F.fail_install = 1;
	inst = dmm_mag_ops.create(&e, &c, 0);
	register_mn(inst, 1, 1);
	CHECK_EQ(dmm_mag_counters(inst)->intents_failed, 3);
	CHECK_EQ(dmm_bul_count_state(dmm_mag_bul(inst), DMM_BUL_REGISTERED), 1);
	dmm_mag_ops.destroy(inst);
}

/* --- against the real LMA (core/role/lma.c): two MAGs, one LMA, a queue between them --- */

#define NET_Q 256

struct net_msg {
	struct dmm_addr src, dst;
	uint8_t buf[DMM_MH_MAX_LEN];
	size_t len;
};

struct net {
	struct net_msg q[NET_Q];
	unsigned head, tail, dropped;
	bool lma_down; /* drop everything to and from the LMA */
	struct dmm_lma *lma;
	struct dmm_mag *mag[2];
	struct dmm_addr mag_addr[2];
	unsigned reg[2], dereg[2], refused[2];
	struct dmm_prefix last_prefix[2];
	dmm_time_t now;
};

static struct net N;

static void net_send(void *ctx, const struct dmm_addr *src, const struct dmm_addr *dst, const uint8_t *buf,
		     size_t len)
{
	struct net_msg *m;

	(void)ctx;
	if (N.tail - N.head >= NET_Q ||
	    (N.lma_down && (dmm_addr_eq(dst, &LMA1) || dmm_addr_eq(src, &LMA1)))) {
		N.dropped++;
		return;
	}
	m = &N.q[N.tail++ % NET_Q];
	m->src = *src;
	m->dst = *dst;
	memcpy(m->buf, buf, len);
	m->len = len;
}

static void net_event(void *ctx, const struct dmm_mn_event *ev)
{
	unsigned i = (unsigned)(uintptr_t)ctx;

	if (ev->type == DMM_MN_REGISTERED) {
		N.reg[i]++;
		N.last_prefix[i] = ev->prefix[0];
	} else if (ev->type == DMM_MN_DEREGISTERED) {
		N.dereg[i]++;
	} else {
		N.refused[i]++;
	}
}

static int net_install(void *ctx, const struct dmm_intent *in)
{
	(void)ctx;
	(void)in;
	return 0;
}

static void net_remove(void *ctx, const struct dmm_intent *in)
{
	(void)ctx;
	(void)in;
}

static struct dmm_env net_env(unsigned i)
{
	struct dmm_env e = {
		.alloc = &A,
		.log = &LOG,
		.send = net_send,
		.mn_event = net_event,
		.ctx = (void *)(uintptr_t)i,
		.fm = {.install = net_install, .remove = net_remove, .ctx = NULL},
		.seed = 77 + i,
		.wall_offset = WALL,
	};

	return e;
}

static void net_pump(void)
{
	while (N.head != N.tail) {
		struct net_msg *m = &N.q[N.head++ % NET_Q];

		if (dmm_addr_eq(&m->dst, &LMA1))
			dmm_lma_recv(N.lma, &m->src, &m->dst, m->buf, m->len, N.now);
		for (unsigned i = 0; i < 2; i++)
			if (dmm_addr_eq(&m->dst, &N.mag_addr[i]))
				dmm_mag_recv(N.mag[i], &m->src, &m->dst, m->buf, m->len, N.now);
	}
}

static void net_run_to(dmm_time_t t)
{
	for (;;) {
		dmm_time_t d = dmm_role_next_deadline(N.lma);

		for (unsigned i = 0; i < 2; i++) {
			dmm_time_t di = dmm_role_next_deadline(N.mag[i]);

			d = di < d ? di : d;
		}
		if (d == DMM_TIME_NEVER || d > t)
			break;
		N.now = d;
		dmm_role_expire(N.lma, d);
		for (unsigned i = 0; i < 2; i++)
			dmm_role_expire(N.mag[i], d);
		net_pump();
	}
	N.now = t;
}

static struct dmm_lma *net_lma(struct dmm_policy *pol, uint32_t restart_counter)
{
	struct dmm_lma_cfg lc;
	struct dmm_env e = net_env(9);

	dmm_lma_cfg_defaults(&lc);
	lc.addr = LMA1;
	lc.max_bindings = 64;
	lc.max_peers = 8;
	lc.npool = 1;
	lc.pool[0] = (struct dmm_prefix){.addr = {{0x20, 0x01, 0x0d, 0xb8, 0x80}}, .len = 48};
	lc.policy = pol;
	lc.restart_counter = restart_counter;
	return dmm_lma_new(&e, &lc, N.now);
}

static void test_with_lma(void)
{
	struct dmm_policy *pol = dmm_policy_new(&A, 16, 4, 3);
	struct dmm_policy_profile def = {.may_register = true};
	struct dmm_mnid m = mn(1);
	const struct dmm_bul_entry *e0, *e1;
	struct dmm_prefix p;

	reset();
	memset(&N, 0, sizeof(N));
	CHECK_EQ(dmm_policy_set_default(pol, &def), 0);
	/*
	 * MN 1 has a fixed prefix in its profile: the restarted LMA below
	 * accepts it again only then (a pool-allocated prefix is refused
	 * with 155 after the LMA lost its pool state).
	 */
	{
		struct dmm_policy_profile fixed = {.may_register = true, .n_prefix = 1};

		fixed.mnid = m;
		fixed.prefix[0] = hnp(0x77);
		CHECK_EQ(dmm_policy_set(pol, &fixed), 0);
	}
	dmm_policy_set_allow_any_mag(pol, true);
	N.lma = net_lma(pol, 1);
	CHECK(N.lma != NULL);
	if (!N.lma)
		return;
	for (unsigned i = 0; i < 2; i++) {
		struct dmm_mag_cfg c = cfg_default();
		struct dmm_env e = net_env(i);

		c.addr = N.mag_addr[i] = addr(1, (uint8_t)(1 + i));
		N.mag[i] = dmm_mag_new(&e, &c, 0);
	}
	/* Attach at MAG 0: the LMA assigns a prefix from its pool. */
	CHECK_EQ(dmm_mag_attach(N.mag[0], &m, 1, LL, 6, 0, N.now), 0);
	net_pump();
	e0 = dmm_bul_find_mnid(dmm_mag_bul(N.mag[0]), &m);
	CHECK(e0 && e0->state == DMM_BUL_REGISTERED);
	CHECK_EQ(N.reg[0], 1);
	p = N.last_prefix[0];
	{
		struct dmm_prefix want = hnp(0x77);

		CHECK(dmm_prefix_eq(&p, &want));
	}
	CHECK_EQ(dmm_bcache_count(dmm_lma_bcache(N.lma)), 1);
	CHECK_EQ(dmm_fm_count(dmm_role_fm(N.mag[0])), 3);
	/* Refreshes keep it alive well past the first lifetime, heartbeats answered. */
	net_run_to(1500 * DMM_SECOND);
	CHECK(e0->state == DMM_BUL_REGISTERED && e0->expires > 1500 * DMM_SECOND);
	CHECK(dmm_role_stats(N.mag[0])->lifetime_ext_no_handoff >= 2);
	CHECK_EQ(dmm_role_stats(N.mag[0])->pbu_retransmissions, 0);
	CHECK(dmm_role_stats(N.mag[0])->hb_resp_rcvd > 0);
	CHECK_EQ(N.reg[0], 1 + dmm_role_stats(N.mag[0])->lifetime_ext_no_handoff);
	/* Handover to MAG 1 (same MN-LLID and ATT: §5.4.1.2): same prefix, MAG 0 revoked by BRI. */
	CHECK_EQ(dmm_mag_attach(N.mag[1], &m, 4, LL, 6, 0, N.now), 0);
	net_pump();
	e1 = dmm_bul_find_mnid(dmm_mag_bul(N.mag[1]), &m);
	CHECK(e1 && e1->state == DMM_BUL_REGISTERED);
	CHECK(dmm_prefix_eq(&N.last_prefix[1], &p));
	CHECK_EQ(dmm_role_stats(N.mag[0])->bri_received, 1);
	CHECK_EQ(dmm_role_stats(N.mag[0])->bra_sent, 1);
	CHECK(dmm_bul_find_mnid(dmm_mag_bul(N.mag[0]), &m) == NULL);
	CHECK_EQ(dmm_fm_count(dmm_role_fm(N.mag[0])), 0);
	CHECK_EQ(N.dereg[0], 1);
	CHECK_EQ(dmm_role_stats(N.lma)->bra_received, 1);
	/* The LMA restarts (state lost, restart counter 2): MAG 1 registers the MN again. */
	net_run_to(N.now + 200 * DMM_SECOND); /* MAG 1 learns restart counter 1 */
	CHECK(dmm_peers_get(dmm_role_peers(N.mag[1]), &LMA1, false)->rc_known);
	dmm_lma_free(N.lma);
	N.lma = net_lma(pol, 2);
	net_pump(); /* its unsolicited heartbeat, if it sends one */
	net_run_to(N.now + 200 * DMM_SECOND);
	CHECK_EQ(dmm_role_stats(N.mag[1])->peer_restarts, 1);
	CHECK_EQ(dmm_mag_counters(N.mag[1])->rereg_after_restart, 1);
	CHECK_EQ(dmm_bcache_count(dmm_lma_bcache(N.lma)), 1);
	CHECK(e1->state == DMM_BUL_REGISTERED);
	CHECK_EQ(e1->n_hnp, 1);
	if (e1->n_hnp)
		CHECK(dmm_prefix_eq(&e1->hnp[0], &p));
	/* Detach at MAG 1: de-registration acknowledged, both sides empty. */
	CHECK_EQ(dmm_mag_detach(N.mag[1], &m, N.now), 0);
	net_pump();
	CHECK(dmm_bul_find_mnid(dmm_mag_bul(N.mag[1]), &m) == NULL);
	CHECK_EQ(dmm_fm_count(dmm_role_fm(N.mag[1])), 0);
	net_run_to(N.now + 60 * DMM_SECOND);
	CHECK_EQ(dmm_bcache_count(dmm_lma_bcache(N.lma)), 0);
	/* The LMA goes silent: a new MN is refused after the retransmissions, status NO_ANSWER. */
	N.lma_down = true;
	m = mn(2);
	CHECK_EQ(dmm_mag_attach(N.mag[1], &m, 4, LL, 6, 0, N.now), 0);
	net_run_to(N.now + 100 * DMM_SECOND);
	CHECK_EQ(N.refused[1], 1);
	CHECK_EQ(dmm_role_stats(N.mag[1])->pbu_give_ups, 1);
	for (unsigned i = 0; i < 2; i++)
		dmm_mag_free(N.mag[i]);
	dmm_lma_free(N.lma);
	dmm_policy_free(pol);
}

/*
 * A refresh touches no data plane (RFC 5213 §6.9.1.4: only the lifetime
 * changes): N refreshes answered with the same prefix install and remove
 * nothing. A PBA that moves the tunnel's end (RFC 7389 LMA-UPA) changes
 * the two tunnel intents and leaves the delivery on the link as it is.
 */
static void test_refresh_no_dataplane(void)
{
	struct dmm_mag_cfg c = (reset(), cfg_default());
	struct dmm_mag *mag;
	struct dmm_prefix p = hnp(1);
	struct dmm_addr upa = addr(0xa, 0x99);
	const struct dmm_bul_entry *e;
	const struct dmm_intent *in;

	c.heartbeat_interval = 0;
	mag = mag_new(&c);
	e = register_mn(mag, 1, 4);
	CHECK(e != NULL);
	CHECK_EQ(F.installs, 3);
	for (unsigned k = 0; k < 10; k++) {
		run_to(mag, e->expires - 120 * DMM_SECOND);
		CHECK_EQ(last_msg().type, DMM_MH_BU);
		F.now += 10 * DMM_MSEC;
		answer(mag, 0, 600, &p, 1);
		CHECK_EQ(e->state, DMM_BUL_REGISTERED);
	}
	CHECK_EQ(dmm_role_stats(mag)->lifetime_ext_no_handoff, 10);
	CHECK_EQ(F.installs, 3);
	CHECK_EQ(F.removes, 0);
	/* The LMA names a user-plane address: the tunnel moves, the delivery stays. */
	run_to(mag, e->expires - 120 * DMM_SECOND);
	F.now += 10 * DMM_MSEC;
	{
		uint8_t buf[DMM_MH_MAX_LEN];
		struct dmm_mh_msg pbu = last_msg();
		int len = make_pba(buf, sizeof(buf), &pbu, 0, 600, &p, 1, &upa);

		dmm_mag_recv(mag, &LMA1, &MAG_ADDR, buf, (size_t)len, F.now);
	}
	CHECK_EQ(F.installs, 5);
	CHECK_EQ(F.removes, 2);
	CHECK_EQ(dmm_fm_count(dmm_role_fm(mag)), 3);
	for (in = dmm_fm_next(dmm_role_fm(mag), NULL); in; in = dmm_fm_next(dmm_role_fm(mag), in))
		if (in->action == DMM_FM_ENCAP || in->action == DMM_FM_DECAP)
			CHECK(dmm_addr_eq(&in->peer, &upa));
	/* Refreshes with the same address: nothing again. */
	for (unsigned k = 0; k < 3; k++) {
		uint8_t buf[DMM_MH_MAX_LEN];
		struct dmm_mh_msg pbu;
		int len;

		run_to(mag, e->expires - 120 * DMM_SECOND);
		F.now += 10 * DMM_MSEC;
		pbu = last_msg();
		len = make_pba(buf, sizeof(buf), &pbu, 0, 600, &p, 1, &upa);
		dmm_mag_recv(mag, &LMA1, &MAG_ADDR, buf, (size_t)len, F.now);
	}
	CHECK_EQ(F.installs, 5);
	CHECK_EQ(F.removes, 2);
	dmm_mag_free(mag);
}

/*
 * role.h refused: a batched data plane refused the MN's intents after
 * install had returned 0: the forwarding goes, the MN sees a refusal
 * (130), the registration stays; another RS installs the intents again.
 * A stale owner is NOTFOUND.
 */
static void test_dp_refused(void)
{
	struct dmm_mag_cfg c;
	struct dmm_mag *mag;
	const struct dmm_bul_entry *e;
	struct dmm_handle h;
	struct dmm_mnid m = mn(1);
	unsigned removes;

	reset();
	c = cfg_default();
	mag = mag_new(&c);
	e = register_mn(mag, 1, 7);
	CHECK(e != NULL && dmm_mag_ops.refused != NULL);
	if (!e)
		return;
	h = e->handle;
	CHECK_EQ(dmm_fm_count(dmm_role_fm(mag)), 3);
	removes = F.removes;
	F.nev = 0;
	CHECK_EQ(dmm_mag_ops.refused(mag, h, F.now), 0);
	CHECK_EQ(dmm_fm_count(dmm_role_fm(mag)), 0);
	CHECK_EQ(F.removes, removes + 3);
	CHECK_EQ(dmm_role_stats(mag)->dp_refused, 1);
	CHECK(F.nev == 1 && F.ev[0].ev.type == DMM_MN_REFUSED &&
	      F.ev[0].ev.status == DMM_BA_INSUFFICIENT_RESOURCES);
	CHECK(e->state == DMM_BUL_REGISTERED);
	/* Nothing left to refuse: NOTFOUND, not counted. */
	CHECK_EQ(dmm_mag_ops.refused(mag, h, F.now), DMM_ERR_NOTFOUND);
	CHECK_EQ(dmm_role_stats(mag)->dp_refused, 1);
	/* The next RS tries again. */
	CHECK_EQ(dmm_mag_attach(mag, &m, 7, LL, 6, 0, F.now), 0);
	CHECK_EQ(dmm_fm_count(dmm_role_fm(mag)), 3);
	CHECK_EQ(count_ev(DMM_MN_REGISTERED), 1);
	/* After the entry is gone its handle is stale. */
	CHECK_EQ(dmm_mag_detach(mag, &m, F.now), 0);
	answer(mag, 0, 0, NULL, 0);
	CHECK(dmm_bul_find_mnid(dmm_mag_bul(mag), &m) == NULL);
	CHECK_EQ(dmm_mag_ops.refused(mag, h, F.now), DMM_ERR_NOTFOUND);
	dmm_mag_free(mag);
}

int main(void)
{
	F.verbose = getenv("DMM_TEST_VERBOSE") != NULL;
	test_attach_pbu();
	test_pba_accept();
	test_retx_schedule();
	test_all_statuses();
	test_resync();
	test_refresh();
	test_detach();
	test_bri();
	test_bri_v_flag();
	test_handoff_indicator();
	test_pba_d_flag();
	test_heartbeat_loss();
	test_lma_restart();
	test_malformed();
	test_unknown_type();
	test_policy_and_limits();
	test_ops();
	test_with_lma();
	test_refresh_no_dataplane();
	test_dp_refused();
	return check_report("test_mag");
}
