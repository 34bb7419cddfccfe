/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The Active Multicast Subscription option of RFC 7161 §4.1 (type 57,
 * 8n+1) and the S flags of §4.2 (BU 0x0020, BA 0x04, §9): golden bytes
 * written by hand from the RFC's layouts (an MLDv2 record, §4.1.2, and
 * the MLDv1 form, §4.1.3), decoded, re-encoded and compared; the forms
 * the decoder refuses; and the group lists the roles make of them
 * (core/role/mcast_ctx.c).
 */
#include <stdio.h>
#include <string.h>

#include "../../core/role/mcast_ctx.h"
#include "check.h"
#include "dmm/err.h"
#include "dmm/mh.h"
#include "helpers.h"

static const uint8_t G1[16] = {0xff, 0x3e, [14] = 0x12, [15] = 0x34};
static const uint8_t G2[16] = {0xff, 0x3e, [14] = 0x56, [15] = 0x78};

/* PBA, status 0, P and S, seq 7, lifetime 0x96; an MLDv2 IS_EX {} record for G1, the MLDv1 form for G2. */
static const char V_PBA[] =
	"3b 07 06 00 00 00 00 24"  /*  0: HdrLen 7 (64), BA | 6: status 0, P S */
	"00 07 00 96 01 03 00 00"  /*  8: seq 7, lifetime | 12: PadN(5) */
	"00 39 15 8f 02 00 00 00"  /* 16: | 17: type 57 Len 21, MLD 143 | record IS_EX, aux 0, 0 src */
	"ff 3e 00 00 00 00 00 00"  /* 24: ff3e::1234 */
	"00 00 00 00 00 00 12 34"  /* 32 */
	"00 39 15 83 00 00 00 00"  /* 40: Pad1 | 41: type 57 Len 21, MLD 131 | reserved */
	"ff 3e 00 00 00 00 00 00"  /* 48: ff3e::5678 */
	"00 00 00 00 00 00 56 78"; /* 56 (ends 64) */

static void fill_pba(struct dmm_mh_msg *m)
{
	struct dmm_mh_opt *o;

	dmm_mh_init(m, DMM_MH_BA);
	m->u.ba.flags = DMM_BA_P | DMM_BA_S;
	m->u.ba.seq = 7;
	m->u.ba.lifetime = 0x96;
	o = dmm_mh_add_opt(m, DMM_OPT_MCAST_SUB);
	o->u.mcast_sub.type = 143;
	o->u.mcast_sub.rec.len = 20;
	o->u.mcast_sub.rec.b[0] = 2;
	memcpy(o->u.mcast_sub.rec.b + 4, G1, 16);
	o = dmm_mh_add_opt(m, DMM_OPT_MCAST_SUB);
	o->u.mcast_sub.type = 131;
	o->u.mcast_sub.rec.len = 20;
	memcpy(o->u.mcast_sub.rec.b + 4, G2, 16);
}

static void check_golden(void)
{
	uint8_t wire[DMM_MH_MAX_LEN], out[DMM_MH_MAX_LEN];
	struct dmm_mh_msg want, got;
	size_t n = unhex(wire, sizeof(wire), V_PBA);
	int r;

	fill_pba(&want);
	CHECK(n == 64 && wire[1] == n / 8 - 1);
	r = dmm_mh_encode(out, sizeof(out), &want);
	CHECK_EQ(r, (int)n);
	if (r != (int)n || memcmp(out, wire, n) != 0) {
		print_hex("golden ", wire, n);
		if (r > 0)
			print_hex("encoded", out, (size_t)r);
	}
	CHECK_MEM(out, wire, n);
	r = dmm_mh_decode(&got, wire, n);
	CHECK_EQ(r, (int)n);
	CHECK_EQ(got.notes, 0);
	CHECK_EQ(got.nopts, 2);
	CHECK(got.u.ba.flags == (DMM_BA_P | DMM_BA_S));
	CHECK(got.opts[0].type == DMM_OPT_MCAST_SUB && got.opts[0].u.mcast_sub.type == 143 &&
	      got.opts[0].u.mcast_sub.rec.len == 20 &&
	      memcmp(got.opts[0].u.mcast_sub.rec.b + 4, G1, 16) == 0);
	CHECK(got.opts[1].u.mcast_sub.type == 131 && memcmp(got.opts[1].u.mcast_sub.rec.b + 4, G2, 16) == 0);
	r = dmm_mh_encode(out, sizeof(out), &got);
	CHECK_EQ(r, (int)n);
	CHECK_MEM(out, wire, n);
	CHECK(dmm_mh_opt_desc_by_name("MCAST-SUB") == dmm_mh_opt_desc(DMM_OPT_MCAST_SUB));
}

struct bad {
	const char *name;
	const char *hex; /* the option from offset 16 (40 octets in all) */
	int err;
};

#define HDR "3b 04 06 00 00 00 00 24 00 07 00 96 01 03 00 00 "
static const struct bad bad[] = {
	{"record type 7", HDR "00 39 15 8f 07 00 00 00 ff 3e 00 00 00 00 00 00 00 00 00 00 00 00 12 34",
	 DMM_ERR_OPT_RESERVED},
	{"MLD Type 144", HDR "00 39 15 90 02 00 00 00 ff 3e 00 00 00 00 00 00 00 00 00 00 00 00 12 34",
	 DMM_ERR_OPT_RESERVED},
	{"one source announced, none there",
	 HDR "00 39 15 8f 01 00 00 01 ff 3e 00 00 00 00 00 00 00 00 00 00 00 00 12 34", DMM_ERR_OPT_LEN},
	{"aux data announced, none there",
	 HDR "00 39 15 8f 02 01 00 00 ff 3e 00 00 00 00 00 00 00 00 00 00 00 00 12 34", DMM_ERR_OPT_LEN},
	{"unicast group", HDR "00 39 15 8f 02 00 00 00 20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 01",
	 DMM_ERR_MCAST_GROUP},
	{"shorter than a record",
	 HDR "00 39 14 8f 02 00 00 00 ff 3e 00 00 00 00 00 00 00 00 00 00 00 12 34 00", DMM_ERR_OPT_LEN},
};

static void check_bad(void)
{
	uint8_t wire[64];
	struct dmm_mh_msg m;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		size_t n = unhex(wire, sizeof(wire), bad[i].hex);
		int r = dmm_mh_decode(&m, wire, n);

		CHECK(n == 40);
		if (r != bad[i].err)
			fprintf(stderr, "%s: got %d (%s)\n", bad[i].name, r, dmm_strerror(r));
		CHECK_EQ(r, bad[i].err);
	}
	/* MLDv1 reserved octets not zero: accepted, noted (RFC 2710 §3.6: ignored). */
	{
		size_t n =
			unhex(wire, sizeof(wire),
			      HDR "00 39 15 83 00 00 00 01 ff 3e 00 00 00 00 00 00 00 00 00 00 00 00 12 34");

		CHECK_EQ(dmm_mh_decode(&m, wire, n), (int)n);
		CHECK(m.notes & DMM_MH_NOTE_RESERVED_BITS);
	}
}

/* The groups of a message's options, and options from groups (core/role/mcast_ctx.c). */
static void check_groups(void)
{
	uint8_t wire[DMM_MH_MAX_LEN];
	struct dmm_mh_msg m, m2;
	struct dmm_mcast_groups g, g2;
	struct dmm_mh_opt *o;
	size_t n = unhex(wire, sizeof(wire), V_PBA);

	CHECK_EQ(dmm_mh_decode(&m, wire, n), (int)n);
	CHECK_EQ(mcast_ctx_of(&m, &g), 2);
	CHECK(g.n == 2 && memcmp(g.group[0].b, G1, 16) == 0 && memcmp(g.group[1].b, G2, 16) == 0);
	/* A leave (TO_IN {}) and BLOCK want nothing; a repeated group counts once. */
	dmm_mh_init(&m2, DMM_MH_BA);
	CHECK_EQ(mcast_ctx_add(&m2, &g), 2);
	o = dmm_mh_add_opt(&m2, DMM_OPT_MCAST_SUB);
	*o = m2.opts[0];
	o->u.mcast_sub.rec.b[0] = 3; /* TO_IN, no source */
	memset(o->u.mcast_sub.rec.b + 4 + 14, 0x99, 2);
	o = dmm_mh_add_opt(&m2, DMM_OPT_MCAST_SUB);
	*o = m2.opts[1];
	CHECK_EQ(mcast_ctx_of(&m2, &g2), 4);
	CHECK(g2.n == 2 && dmm_addr_eq(&g2.group[0], &g.group[0]) && dmm_addr_eq(&g2.group[1], &g.group[1]));
	/* What mcast_ctx_add writes is MLDv2 IS_EX {} and encodes. */
	CHECK(m2.opts[0].u.mcast_sub.type == 143 && m2.opts[0].u.mcast_sub.rec.b[0] == 2 &&
	      m2.opts[0].u.mcast_sub.rec.len == 20);
	CHECK(dmm_mh_encode(wire, sizeof(wire), &m2) > 0);
	/* The CMD relays them as they came. */
	dmm_mh_init(&m, DMM_MH_BA);
	CHECK_EQ(mcast_ctx_copy(&m, &m2), 4);
	CHECK(m.nopts == 4 && memcmp(&m.opts[2], &m2.opts[2], sizeof(m.opts[2])) == 0);
}

int main(void)
{
	check_golden();
	check_bad();
	check_groups();
	return check_report("test_mh_mcast");
}
