/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The fast-handover messages of RFC 5949 (PMIPv6 HI and HAck, §6.1) with
 * the context options of §6.2: golden bytes written by hand from the
 * RFC's layouts, decoded, re-encoded and compared, and the malformed
 * forms the decoder must refuse.
 */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "dmm/err.h"
#include "dmm/mh.h"
#include "helpers.h"

static const uint8_t LMA[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01};

/*
 * Predictive HI from the PMAG (§4.1 Figure 2 step c): P set, Code 3 (all
 * context in this message), MN-ID (EUI-48), HNP (8n+4), LMAA (8n+4),
 * MN-LLID, ATT and the MN LLA-IID (8n+4).
 */
static const char V_HI_PRED[] = "3b 0b 0e 00 00 00 00 07"  /*  0: HdrLen 11 (96), HI | 6: seq 7 */
				"20 03 08 07 05 02 00 00"  /*  8: P | Code 3 | 10: MN-ID Len 7 EUI-48 */
				"00 00 01 00 16 12 00 40"  /* 16: ..:01 | 19: Pad1 | 20: HNP Len 18, /64 */
				"20 01 0d b8 00 0a 00 01"  /* 24: 2001:db8:a:1:: */
				"00 00 00 00 00 00 00 00"  /* 32 */
				"01 02 00 00 29 12 01 00"  /* 40: PadN(4) | 44: LMAA Len 18, code 1 */
				"20 01 0d b8 00 00 00 00"  /* 48: 2001:db8::1 */
				"00 00 00 00 00 00 00 01"  /* 56 */
				"19 08 00 00 02 00 00 00"  /* 64: MN-LLID Len 8, rsvd, 02:00:00:00:00:01 */
				"00 01 18 02 00 03 01 04"  /* 72: | 74: ATT 3 | 78: PadN(6) */
				"00 00 00 00 2a 0a 00 00"  /* 80: | 84: MN-LLA-IID Len 10, rsvd */
				"00 00 00 ff fe 00 00 01"; /* 88: IID ::ff:fe00:1 (ends 96) */

static const uint8_t MAC1[6] = {0x02, 0, 0, 0, 0, 0x01};

static void fill_hi_pred(struct dmm_mh_msg *m)
{
	struct dmm_mh_opt *o;

	dmm_mh_init(m, DMM_MH_HI);
	m->u.hi.seq = 7;
	m->u.hi.flags = DMM_HI_P;
	m->u.hi.code = DMM_HI_CODE_ALL_SENT;
	o = dmm_mh_add_opt(m, DMM_OPT_MNID);
	o->u.mnid.subtype = DMM_MNID_EUI48;
	o->u.mnid.id.len = 6;
	memcpy(o->u.mnid.id.b, MAC1, 6);
	o = dmm_mh_add_opt(m, DMM_OPT_HNP);
	o->u.hnp = prefix_of("2001:db8:a:1::/64");
	o = dmm_mh_add_opt(m, DMM_OPT_LMAA);
	o->u.lmaa.code = DMM_LMAA_IPV6;
	o->u.lmaa.addr.len = 16;
	memcpy(o->u.lmaa.addr.b, LMA, 16);
	o = dmm_mh_add_opt(m, DMM_OPT_MNLLID);
	o->u.mnllid.len = 6;
	memcpy(o->u.mnllid.b, MAC1, 6);
	dmm_mh_add_opt(m, DMM_OPT_ATT)->u.att.value = DMM_ATT_8023;
	dmm_mh_add_opt(m, DMM_OPT_MN_LLA_IID)->u.mn_lla_iid.iid = 0x000000fffe000001ull;
}

/*
 * Reactive HI from the NMAG (§4.1 Figure 3 step c): P and F, Code 0,
 * MN-ID and a Context Request (§6.2.1) for HNP (22), MN-LLID (25) and
 * LMAA (41), each with Req-length 0.
 */
static const char V_HI_REACT[] = "3b 03 0e 00 00 00 01 00"  /*  0: HdrLen 3 (32), HI | seq 256 */
				 "30 00 08 07 05 02 00 00"  /*  8: P F | Code 0 | 10: MN-ID */
				 "00 00 01 28 08 00 00 16"  /* 16: | 19: CR Len 8, rsvd | 23: 22/0 */
				 "00 19 00 29 00 01 01 00"; /* 24: | 25/0 | 41/0 (ends 29) | 29: PadN(3) */

static void fill_hi_react(struct dmm_mh_msg *m)
{
	struct dmm_mh_opt *o;
	static const uint8_t req[] = {DMM_OPT_HNP, 0, DMM_OPT_MNLLID, 0, DMM_OPT_LMAA, 0};

	dmm_mh_init(m, DMM_MH_HI);
	m->u.hi.seq = 256;
	m->u.hi.flags = DMM_HI_P | DMM_HI_F;
	o = dmm_mh_add_opt(m, DMM_OPT_MNID);
	o->u.mnid.subtype = DMM_MNID_EUI48;
	o->u.mnid.id.len = 6;
	memcpy(o->u.mnid.id.b, MAC1, 6);
	o = dmm_mh_add_opt(m, DMM_OPT_CTX_REQ);
	o->u.ctx_req.len = sizeof(req);
	memcpy(o->u.ctx_req.b, req, sizeof(req));
}

/*
 * The PMAG's HAck to it (§4.1 Figure 3 step d, §6.1.2): U P F, Code 6
 * (all available context transferred), MN-ID copied, HNP, and the LMA's
 * IPv4 address (LMAA code 2, Length 6).
 */
static const char V_HACK[] = "3b 06 0f 00 00 00 01 00"	/*  0: HdrLen 6 (56), HAck | seq 256 */
			     "e0 06 08 07 05 02 00 00"	/*  8: U P F | Code 6 | 10: MN-ID */
			     "00 00 01 00 16 12 00 40"	/* 16: | 19: Pad1 | 20: HNP /64 */
			     "20 01 0d b8 00 0a 00 01"	/* 24 */
			     "00 00 00 00 00 00 00 00"	/* 32 */
			     "01 02 00 00 29 06 02 00"	/* 40: PadN(4) | 44: LMAA Len 6 code 2 */
			     "c0 00 02 01 01 02 00 00"; /* 48: 192.0.2.1 | PadN(4) (ends 56) */

static void fill_hack(struct dmm_mh_msg *m)
{
	struct dmm_mh_opt *o;
	static const uint8_t v4[4] = {192, 0, 2, 1};

	dmm_mh_init(m, DMM_MH_HACK);
	m->u.hi.seq = 256;
	m->u.hi.flags = DMM_HACK_U | DMM_HACK_P | DMM_HACK_F;
	m->u.hi.code = DMM_HACK_CTX_ALL;
	o = dmm_mh_add_opt(m, DMM_OPT_MNID);
	o->u.mnid.subtype = DMM_MNID_EUI48;
	o->u.mnid.id.len = 6;
	memcpy(o->u.mnid.id.b, MAC1, 6);
	dmm_mh_add_opt(m, DMM_OPT_HNP)->u.hnp = prefix_of("2001:db8:a:1::/64");
	o = dmm_mh_add_opt(m, DMM_OPT_LMAA);
	o->u.lmaa.code = DMM_LMAA_IPV4;
	o->u.lmaa.addr.len = 4;
	memcpy(o->u.lmaa.addr.b, v4, 4);
}

struct golden {
	const char *name;
	const char *hex;
	void (*fill)(struct dmm_mh_msg *m);
};

static const struct golden golden[] = {
	{"HI predictive", V_HI_PRED, fill_hi_pred},
	{"HI reactive", V_HI_REACT, fill_hi_react},
	{"HAck", V_HACK, fill_hack},
};

static void check_golden(const struct golden *g)
{
	uint8_t wire[DMM_MH_MAX_LEN], out[DMM_MH_MAX_LEN];
	struct dmm_mh_msg want, got;
	size_t n = unhex(wire, sizeof(wire), g->hex);
	int r;

	g->fill(&want);
	CHECK(n % 8 == 0 && wire[1] == n / 8 - 1);
	r = dmm_mh_encode(out, sizeof(out), &want);
	CHECK_EQ(r, (int)n);
	if (r != (int)n || memcmp(out, wire, n) != 0) {
		fprintf(stderr, "%s: encode differs from the RFC layout (r=%d)\n", g->name, r);
		print_hex("golden ", wire, n);
		if (r > 0)
			print_hex("encoded", out, (size_t)r);
	}
	CHECK_MEM(out, wire, n);
	r = dmm_mh_decode(&got, wire, n);
	CHECK_EQ(r, (int)n);
	CHECK_EQ(got.notes, 0);
	CHECK_EQ(got.nopts, want.nopts);
	CHECK(got.u.hi.seq == want.u.hi.seq && got.u.hi.flags == want.u.hi.flags &&
	      got.u.hi.code == want.u.hi.code);
	/* decode -> encode gives the same bytes */
	r = r > 0 ? dmm_mh_encode(out, sizeof(out), &got) : r;
	CHECK_EQ(r, (int)n);
	CHECK_MEM(out, wire, n);
}

/* The decoded context options carry what was written. */
static void check_fields(void)
{
	uint8_t wire[DMM_MH_MAX_LEN];
	struct dmm_mh_msg m;
	const struct dmm_mh_opt *o;
	size_t n = unhex(wire, sizeof(wire), V_HI_PRED);

	CHECK_EQ(dmm_mh_decode(&m, wire, n), (int)n);
	o = dmm_mh_find_opt(&m, DMM_OPT_LMAA, NULL);
	CHECK(o && o->u.lmaa.code == DMM_LMAA_IPV6 && o->u.lmaa.addr.len == 16 &&
	      memcmp(o->u.lmaa.addr.b, LMA, 16) == 0);
	o = dmm_mh_find_opt(&m, DMM_OPT_MN_LLA_IID, NULL);
	CHECK(o && o->u.mn_lla_iid.iid == 0x000000fffe000001ull);
	n = unhex(wire, sizeof(wire), V_HI_REACT);
	CHECK_EQ(dmm_mh_decode(&m, wire, n), (int)n);
	o = dmm_mh_find_opt(&m, DMM_OPT_CTX_REQ, NULL);
	CHECK(o && o->u.ctx_req.len == 6 && o->u.ctx_req.b[0] == DMM_OPT_HNP &&
	      o->u.ctx_req.b[4] == DMM_OPT_LMAA);
}

struct bad {
	const char *name;
	const char *hex;
	int err;
};

/* §6.2.1-§6.2.3 framing and meaning the decoder refuses. */
static const struct bad bad[] = {
	/* CR whose Req-length 3 runs past the option (Len 4: 22/3 and one octet) */
	{"CR list overruns", "3b 01 0e 00 00 00 00 01 20 00 28 04 00 00 16 03", DMM_ERR_OPT_LEN},
	/* CR with an odd trailing octet (Len 3) */
	{"CR half entry", "3b 01 0e 00 00 00 00 01 20 00 28 03 00 00 16 00", DMM_ERR_OPT_LEN},
	/* CR shorter than its Reserved field */
	{"CR no reserved", "3b 01 0e 00 00 00 00 01 20 00 28 01 00 01 01 00", DMM_ERR_OPT_LEN},
	/* LMAA code 1 with an IPv4 address */
	{"LMAA code 1 v4", "3b 02 0e 00 00 00 00 01 20 00 29 06 01 00 c0 00 02 01 01 04 00 00 00 00",
	 DMM_ERR_ADDR_LEN},
	/* LMAA code 0 (reserved) */
	{"LMAA code 0", "3b 02 0e 00 00 00 00 01 20 00 29 06 00 00 c0 00 02 01 01 04 00 00 00 00",
	 DMM_ERR_OPT_RESERVED},
	/* LMAA with a 5-octet address */
	{"LMAA len 7", "3b 02 0e 00 00 00 00 01 20 00 29 07 02 00 c0 00 02 01 05 01 01 00 00 00",
	 DMM_ERR_ADDR_LEN},
	/* MN LLA-IID with Length 8 instead of 10 */
	{"IID len 8", "3b 02 0e 00 00 00 00 01 20 00 2a 08 00 00 00 00 00 00 00 00 01 02 00 00",
	 DMM_ERR_OPT_LEN},
};

static void check_bad(void)
{
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint8_t wire[64];
		struct dmm_mh_msg m;
		size_t n = unhex(wire, sizeof(wire), bad[i].hex);
		int r;

		if (n % 8 != 0 || wire[1] != n / 8 - 1)
			fprintf(stderr, "%s: vector of %zu octets, Header Len %u\n", bad[i].name, n, wire[1]);
		CHECK(n % 8 == 0 && wire[1] == n / 8 - 1);
		r = dmm_mh_decode(&m, wire, n);
		if (r != bad[i].err)
			fprintf(stderr, "%s: decode returned %d (%s), want %s\n", bad[i].name, r,
				dmm_errname(r), dmm_errname(bad[i].err));
		CHECK_EQ(r, bad[i].err);
	}
}

/* The encoder refuses what the decoder refuses. */
static void check_encode_bad(void)
{
	uint8_t out[128];
	struct dmm_mh_msg m;
	struct dmm_mh_opt *o;

	dmm_mh_init(&m, DMM_MH_HI);
	o = dmm_mh_add_opt(&m, DMM_OPT_LMAA);
	o->u.lmaa.code = DMM_LMAA_IPV4;
	o->u.lmaa.addr.len = 16;
	CHECK_EQ(dmm_mh_encode(out, sizeof(out), &m), DMM_ERR_ADDR_LEN);
	dmm_mh_init(&m, DMM_MH_HI);
	o = dmm_mh_add_opt(&m, DMM_OPT_CTX_REQ);
	o->u.ctx_req.len = 1;
	CHECK_EQ(dmm_mh_encode(out, sizeof(out), &m), DMM_ERR_OPT_LEN);
	CHECK(dmm_mh_opt_desc_by_name("LMAA") == dmm_mh_opt_desc(DMM_OPT_LMAA));
}

int main(void)
{
	for (size_t i = 0; i < sizeof(golden) / sizeof(golden[0]); i++)
		check_golden(&golden[i]);
	check_fields();
	check_bad();
	check_encode_bad();
	return check_report("test_mh_fho");
}
