/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Interoperability vectors: PBUs laid out the way an independent RFC 5213
 * MAG sends them (issue: it could not register at dmmd's LMA), checked
 * against the Mobility Header codec.
 *
 * The independent MAG writes its options back to back without alignment
 * padding, in the order MN-ID, HNP, HI, ATT, Timestamp, MN-LLID, with an
 * NAI MN-ID (RFC 4283 subtype 1), an ALL_ZERO HNP request, HI 1 and ATT 0
 * (reserved, RFC 5213 §8.5), and pads only the end to 8 octets. With NAI
 * lengths 1 to 20 the HNP (8n+4, RFC 5213 §8.3) and the Timestamp (8n+2,
 * §8.8) land at every offset modulo 8. The bytes below were laid out by a
 * script written from those formats, not by dmm's encoder:
 *
 *   BU: 3b HdrLen 05 00 | cksum 0000 | seq 0x1000+n | flags A|H|P (c200) |
 *       lifetime 150; then 08 (1+n) 01 NAI | 16 12 00 00 ::(16) |
 *       17 02 00 01 | 18 02 00 00 | 1b 08 00006553f100 (8000+n) |
 *       19 08 0000 02:00:00:00:01:n | Pad1/PadN to a multiple of 8
 *
 * The NAI of length n is "a" for n = 1, else the first n octets of
 * "NN@abcdefghijklmnopqr" with NN = n in two digits.
 *
 * Each vector must decode completely with the right values and exactly
 * the notes DMM_MH_NOTE_MISALIGNED | DMM_MH_NOTE_RESERVED_VALUE (RFC 6275
 * §6.2.1 puts alignment on the sender); a malformed variant fails with
 * what came before the bad option still decoded, which is what the
 * refusing PBA echoes (RFC 5213 §5.3.6, dmm_mh_pba_echo()).
 *
 * `test_interop --print-vectors` prints "name nai hex" per line for
 * tests/interop/run.sh, which sends the same bytes to a dmmd LMA.
 */
#include <stdlib.h>

#include "check.h"
#include "dmm/err.h"
#include "dmm/mh.h"
#include "helpers.h"

#define NVEC 20

static const char *const vectors[NVEC] = {
	/* NAI "a" (1): MN-ID 12, HNP 16 (8n+0), HI 36, ATT 40, TS 44 (8n+4), MN-LLID 54 */
	"3b07050000001001c200009608020161161200000000000000000000000000000000000017020001180200001b0800006553"
	"f100800119080000020000000101",
	/* NAI "02" (2): MN-ID 12, HNP 17 (8n+1), HI 37, ATT 41, TS 45 (8n+5), MN-LLID 55 */
	"3b08050000001002c20000960803013032161200000000000000000000000000000000000017020001180200001b08000065"
	"53f10080021908000002000000010201050000000000",
	/* NAI "03@" (3): MN-ID 12, HNP 18 (8n+2), HI 38, ATT 42, TS 46 (8n+6), MN-LLID 56 */
	"3b08050000001003c2000096080401303340161200000000000000000000000000000000000017020001180200001b080000"
	"6553f100800319080000020000000103010400000000",
	/* NAI "04@a" (4): MN-ID 12, HNP 19 (8n+3), HI 39, ATT 43, TS 47 (8n+7), MN-LLID 57 */
	"3b08050000001004c200009608050130344061161200000000000000000000000000000000000017020001180200001b0800"
	"006553f1008004190800000200000001040103000000",
	/* NAI "05@ab" (5): MN-ID 12, HNP 20 (8n+4), HI 40, ATT 44, TS 48 (8n+0), MN-LLID 58 */
	"3b08050000001005c20000960806013035406162161200000000000000000000000000000000000017020001180200001b08"
	"00006553f10080051908000002000000010501020000",
	/* NAI "06@abc" (6): MN-ID 12, HNP 21 (8n+5), HI 41, ATT 45, TS 49 (8n+1), MN-LLID 59 */
	"3b08050000001006c2000096080701303640616263161200000000000000000000000000000000000017020001180200001b"
	"0800006553f100800619080000020000000106010100",
	/* NAI "07@abcd" (7): MN-ID 12, HNP 22 (8n+6), HI 42, ATT 46, TS 50 (8n+2), MN-LLID 60 */
	"3b08050000001007c20000960808013037406162636416120000000000000000000000000000000000001702000118020000"
	"1b0800006553f1008007190800000200000001070100",
	/* NAI "08@abcde" (8): MN-ID 12, HNP 23 (8n+7), HI 43, ATT 47, TS 51 (8n+3), MN-LLID 61 */
	"3b08050000001008c20000960809013038406162636465161200000000000000000000000000000000000017020001180200"
	"001b0800006553f10080081908000002000000010800",
	/* NAI "09@abcdef" (9): MN-ID 12, HNP 24 (8n+0), HI 44, ATT 48, TS 52 (8n+4), MN-LLID 62 */
	"3b08050000001009c2000096080a013039406162636465661612000000000000000000000000000000000000170200011802"
	"00001b0800006553f100800919080000020000000109",
	/* NAI "10@abcdefg" (10): MN-ID 12, HNP 25 (8n+1), HI 45, ATT 49, TS 53 (8n+5), MN-LLID 63 */
	"3b0905000000100ac2000096080b013130406162636465666716120000000000000000000000000000000000001702000118"
	"0200001b0800006553f100800a1908000002000000010a01050000000000",
	/* NAI "11@abcdefgh" (11): MN-ID 12, HNP 26 (8n+2), HI 46, ATT 50, TS 54 (8n+6), MN-LLID 64 */
	"3b0905000000100bc2000096080c013131406162636465666768161200000000000000000000000000000000000017020001"
	"180200001b0800006553f100800b1908000002000000010b010400000000",
	/* NAI "12@abcdefghi" (12): MN-ID 12, HNP 27 (8n+3), HI 47, ATT 51, TS 55 (8n+7), MN-LLID 65 */
	"3b0905000000100cc2000096080d013132406162636465666768691612000000000000000000000000000000000000170200"
	"01180200001b0800006553f100800c1908000002000000010c0103000000",
	/* NAI "13@abcdefghij" (13): MN-ID 12, HNP 28 (8n+4), HI 48, ATT 52, TS 56 (8n+0), MN-LLID 66 */
	"3b0905000000100dc2000096080e013133406162636465666768696a16120000000000000000000000000000000000001702"
	"0001180200001b0800006553f100800d1908000002000000010d01020000",
	/* NAI "14@abcdefghijk" (14): MN-ID 12, HNP 29 (8n+5), HI 49, ATT 53, TS 57 (8n+1), MN-LLID 67 */
	"3b0905000000100ec2000096080f013134406162636465666768696a6b161200000000000000000000000000000000000017"
	"020001180200001b0800006553f100800e1908000002000000010e010100",
	/* NAI "15@abcdefghijkl" (15): MN-ID 12, HNP 30 (8n+6), HI 50, ATT 54, TS 58 (8n+2), MN-LLID 68 */
	"3b0905000000100fc20000960810013135406162636465666768696a6b6c1612000000000000000000000000000000000000"
	"17020001180200001b0800006553f100800f1908000002000000010f0100",
	/* NAI "16@abcdefghijklm" (16): MN-ID 12, HNP 31 (8n+7), HI 51, ATT 55, TS 59 (8n+3), MN-LLID 69 */
	"3b09050000001010c20000960811013136406162636465666768696a6b6c6d16120000000000000000000000000000000000"
	"0017020001180200001b0800006553f10080101908000002000000011000",
	/* NAI "17@abcdefghijklmn" (17): MN-ID 12, HNP 32 (8n+0), HI 52, ATT 56, TS 60 (8n+4), MN-LLID 70 */
	"3b09050000001011c20000960812013137406162636465666768696a6b6c6d6e161200000000000000000000000000000000"
	"000017020001180200001b0800006553f100801119080000020000000111",
	/* NAI "18@abcdefghijklmno" (18): MN-ID 12, HNP 33 (8n+1), HI 53, ATT 57, TS 61 (8n+5), MN-LLID 71 */
	"3b0a050000001012c20000960813013138406162636465666768696a6b6c6d6e6f1612000000000000000000000000000000"
	"00000017020001180200001b0800006553f10080121908000002000000011201050000000000",
	/* NAI "19@abcdefghijklmnop" (19): MN-ID 12, HNP 34 (8n+2), HI 54, ATT 58, TS 62 (8n+6), MN-LLID 72 */
	"3b0a050000001013c20000960814013139406162636465666768696a6b6c6d6e6f7016120000000000000000000000000000"
	"0000000017020001180200001b0800006553f100801319080000020000000113010400000000",
	/* NAI "20@abcdefghijklmnopq" (20): MN-ID 12, HNP 35 (8n+3), HI 55, ATT 59, TS 63 (8n+7), MN-LLID 73 */
	"3b0a050000001014c20000960815013230406162636465666768696a6b6c6d6e6f7071161200000000000000000000000000"
	"000000000017020001180200001b0800006553f1008014190800000200000001140103000000",
};

/* The NAI of vector n (1-based), as the layout script makes it. */
static void nai_of(unsigned n, char *out)
{
	if (n == 1) {
		strcpy(out, "a");
		return;
	}
	snprintf(out, 24, "%02u@abcdefghijklmnopqr", n);
	out[n] = 0;
}

static size_t vec_bytes(unsigned n, uint8_t *b, size_t cap)
{
	return unhex(b, cap, vectors[n - 1]);
}

/* Offset of the first option of type in the option area of b (from 12), or 0. */
static size_t find_off(const uint8_t *b, size_t len, uint8_t type)
{
	for (size_t o = 12; o + 1 < len;) {
		if (b[o] == type)
			return o;
		o += b[o] == DMM_OPT_PAD1 ? 1u : 2u + b[o + 1];
	}
	return 0;
}

/* The values vector n carries (RFC 5213 §8.1, §8.3-§8.6, §8.8). */
static bool values_ok(const struct dmm_mh_msg *m, unsigned n)
{
	const struct dmm_mh_opt *id = dmm_mh_find_opt(m, DMM_OPT_MNID, NULL),
				*hnp = dmm_mh_find_opt(m, DMM_OPT_HNP, NULL),
				*hi = dmm_mh_find_opt(m, DMM_OPT_HI, NULL),
				*att = dmm_mh_find_opt(m, DMM_OPT_ATT, NULL),
				*ts = dmm_mh_find_opt(m, DMM_OPT_TIMESTAMP, NULL),
				*ll = dmm_mh_find_opt(m, DMM_OPT_MNLLID, NULL);
	static const uint8_t mac[5] = {2, 0, 0, 0, 1};
	char nai[24];

	nai_of(n, nai);
	return m->type == DMM_MH_BU && m->u.bu.seq == 0x1000 + n &&
	       m->u.bu.flags == (DMM_BU_A | DMM_BU_H | DMM_BU_P) && m->u.bu.lifetime == 150 &&
	       m->nopts == 6 && id && id->u.mnid.subtype == DMM_MNID_NAI && id->u.mnid.id.len == n &&
	       memcmp(id->u.mnid.id.b, nai, n) == 0 && hnp && hnp->u.hnp.len == 0 &&
	       dmm_addr_is_zero(&hnp->u.hnp.addr) && hi && hi->u.hi.value == DMM_HI_NEW_IF && att &&
	       att->u.att.value == 0 && ts && ts->u.timestamp.seconds == 0x6553f100 &&
	       ts->u.timestamp.fraction == 0x8000 + n && ll && ll->u.mnllid.len == 6 &&
	       memcmp(ll->u.mnllid.b, mac, 5) == 0 && ll->u.mnllid.b[5] == n;
}

/* Every vector decodes whole, with its values and exactly the two notes. */
static void test_vectors_decode(void)
{
	struct check_loop whole = CHECK_LOOP_INIT("interop PBU decodes completely"),
			  vals = CHECK_LOOP_INIT(
				  "interop PBU carries its NAI, HNP, HI, ATT 0, Timestamp, MN-LLID"),
			  notes = CHECK_LOOP_INIT(
				  "interop PBU noted misaligned and reserved value, nothing else"),
			  align = CHECK_LOOP_INIT("some option of every vector is off its xn+y");
	static struct dmm_mh_msg m;
	uint8_t b[256];
	bool hnp_at[8] = {false};

	for (unsigned n = 1; n <= NVEC; n++) {
		size_t len = vec_bytes(n, b, sizeof(b)), hnp = find_off(b, len, DMM_OPT_HNP),
		       ts = find_off(b, len, DMM_OPT_TIMESTAMP);
		int r = dmm_mh_decode(&m, b, len);

		if (!CHECK_LOOP(whole, r == (int)len && m.decoded == DMM_MH_DEC_ALL))
			fprintf(stderr, "vector %u: %s\n", n, dmm_errname(r));
		CHECK_LOOP(vals, values_ok(&m, n));
		if (!CHECK_LOOP(notes, m.notes == (DMM_MH_NOTE_MISALIGNED | DMM_MH_NOTE_RESERVED_VALUE)))
			fprintf(stderr, "vector %u: notes 0x%x\n", n, m.notes);
		CHECK_LOOP(align, hnp % 8 != 4 || ts % 8 != 2);
		hnp_at[hnp % 8] = true;
	}
	CHECK_LOOP_END(whole);
	CHECK_LOOP_END(vals);
	CHECK_LOOP_END(notes);
	CHECK_LOOP_END(align);
	/* The HNP lands at every offset modulo 8 (the NAI of 7 puts it at 8n+6, as in the issue). */
	for (unsigned i = 0; i < 8; i++)
		CHECK(hnp_at[i]);
}

/* Re-encoded, a vector comes out in the sender's form: aligned, ATT 0 kept (echoed as received). */
static void test_vectors_reencode(void)
{
	struct check_loop l = CHECK_LOOP_INIT("interop PBU re-encodes aligned with the same values");
	static struct dmm_mh_msg m, m2;
	uint8_t b[256], out[256];

	for (unsigned n = 1; n <= NVEC; n++) {
		size_t len = vec_bytes(n, b, sizeof(b));
		int r = dmm_mh_decode(&m, b, len), k = r > 0 ? dmm_mh_encode(out, sizeof(out), &m) : -1;
		size_t hnp = k > 0 ? find_off(out, (size_t)k, DMM_OPT_HNP) : 0,
		       ts = k > 0 ? find_off(out, (size_t)k, DMM_OPT_TIMESTAMP) : 0;

		CHECK_LOOP(l, k > 0 && dmm_mh_decode(&m2, out, (size_t)k) == k && values_ok(&m2, n) &&
				      m2.notes == DMM_MH_NOTE_RESERVED_VALUE && hnp % 8 == 4 && ts % 8 == 2);
	}
	CHECK_LOOP_END(l);
}

/*
 * Strict where state could be corrupted: vector 7 (NAI "07@abcd", HNP at
 * 8n+6) broken after its good MN-ID. Each fails with its own error, and
 * out keeps the fixed part and the options before the bad one (mh.h).
 */
static void test_malformed_keeps_prefix(void)
{
	static const struct {
		const char *what;
		uint8_t type;	/* the option to break */
		uint8_t at, to; /* octet at offset 'at' from its start becomes 'to' */
		int err;
		unsigned kept; /* options decoded before it */
	} cases[] = {
		{"HNP Length 17 (RFC 5213 §8.3: 18)", DMM_OPT_HNP, 1, 17, DMM_ERR_OPT_LEN, 1},
		{"HNP prefix length 129", DMM_OPT_HNP, 3, 129, DMM_ERR_PREFIX_LEN, 1},
		{"HI Length 3 (§8.4: 2)", DMM_OPT_HI, 1, 3, DMM_ERR_OPT_LEN, 2},
		{"a second HI where the ATT was (§8.1: not repeatable)", DMM_OPT_ATT, 0, DMM_OPT_HI,
		 DMM_ERR_OPT_DUP, 3},
		{"MN-LLID Length 2 (no identifier)", DMM_OPT_MNLLID, 1, 2, DMM_ERR_OPT_LEN, 5},
		{"Timestamp running past the header", DMM_OPT_TIMESTAMP, 1, 200, DMM_ERR_OPT_TRUNCATED, 4},
	};
	static struct dmm_mh_msg m;
	uint8_t b[256];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t len = vec_bytes(7, b, sizeof(b)), off = find_off(b, len, cases[i].type);
		const struct dmm_mh_opt *id;
		int r;

		b[off + cases[i].at] = cases[i].to;
		r = dmm_mh_decode(&m, b, len);
		if (r != cases[i].err || m.nopts != cases[i].kept)
			fprintf(stderr, "%s: %s, %u options kept\n", cases[i].what, dmm_errname(r), m.nopts);
		CHECK_EQ(r, cases[i].err);
		CHECK_EQ(m.decoded, DMM_MH_DEC_FIXED);
		CHECK_EQ(m.nopts, cases[i].kept);
		CHECK_EQ(m.err_off, off);
		CHECK(m.type == DMM_MH_BU && m.u.bu.seq == 0x1007 && (m.u.bu.flags & DMM_BU_P));
		id = dmm_mh_find_opt(&m, DMM_OPT_MNID, NULL);
		CHECK(id && id->u.mnid.id.len == 7 && memcmp(id->u.mnid.id.b, "07@abcd", 7) == 0);
	}
}

/* Encode pba and decode it again into *out; the encoded length or an error. */
static int roundtrip(const struct dmm_mh_msg *pba, struct dmm_mh_msg *out)
{
	uint8_t b[512];
	int n = dmm_mh_encode(b, sizeof(b), pba);

	return n < 0 ? n : dmm_mh_decode(out, b, (size_t)n);
}

static void pba_init(struct dmm_mh_msg *pba, uint16_t seq)
{
	dmm_mh_init(pba, DMM_MH_BA);
	pba->u.ba.status = DMM_BA_UNSPECIFIED;
	pba->u.ba.flags = DMM_BA_P;
	pba->u.ba.seq = seq;
}

/*
 * RFC 5213 §5.3.6: every PBA, whatever its status, carries the MN-ID, the
 * HNPs, HI and ATT copied from the PBU, and the Timestamp and MN-LLID when
 * the PBU had them; a missing mandatory one is sent in its empty form.
 * dmm_mh_pba_echo() builds that from the PBU as far as it decoded.
 */
static void test_pba_echo(void)
{
	static struct dmm_mh_msg pbu, pba, got;
	const struct dmm_mh_opt *o;
	uint8_t b[256];
	size_t len = vec_bytes(7, b, sizeof(b));

	/* A complete PBU: the six options come back, ATT 0 included. */
	CHECK_EQ(dmm_mh_decode(&pbu, b, len), (int)len);
	pba_init(&pba, pbu.u.bu.seq);
	CHECK_EQ(dmm_mh_pba_echo(&pba, &pbu), 0);
	CHECK(roundtrip(&pba, &got) > 0);
	CHECK_EQ(got.nopts, 6);
	CHECK_EQ(got.opts[0].type, DMM_OPT_MNID);
	CHECK_EQ(got.notes, DMM_MH_NOTE_RESERVED_VALUE);
	o = dmm_mh_find_opt(&got, DMM_OPT_TIMESTAMP, NULL);
	CHECK(o && o->u.timestamp.seconds == 0x6553f100 && o->u.timestamp.fraction == 0x8007);
	o = dmm_mh_find_opt(&got, DMM_OPT_MNLLID, NULL);
	CHECK(o && o->u.mnllid.len == 6 && o->u.mnllid.b[5] == 7);

	/* Failed at the HNP: the MN-ID is echoed, HNP ::/0, HI 0 and ATT 0 are the empty forms. */
	b[find_off(b, len, DMM_OPT_HNP) + 1] = 17;
	CHECK_EQ(dmm_mh_decode(&pbu, b, len), DMM_ERR_OPT_LEN);
	pba_init(&pba, pbu.u.bu.seq);
	CHECK_EQ(dmm_mh_pba_echo(&pba, &pbu), 0);
	CHECK(roundtrip(&pba, &got) > 0);
	CHECK(got.nopts == 4 && got.u.ba.seq == 0x1007 && got.u.ba.status == DMM_BA_UNSPECIFIED);
	o = dmm_mh_find_opt(&got, DMM_OPT_MNID, NULL);
	CHECK(o && o->u.mnid.subtype == DMM_MNID_NAI && o->u.mnid.id.len == 7 &&
	      memcmp(o->u.mnid.id.b, "07@abcd", 7) == 0);
	o = dmm_mh_find_opt(&got, DMM_OPT_HNP, NULL);
	CHECK(o && o->u.hnp.len == 0 && dmm_addr_is_zero(&o->u.hnp.addr));
	CHECK(dmm_mh_find_opt(&got, DMM_OPT_HI, NULL) &&
	      dmm_mh_find_opt(&got, DMM_OPT_HI, NULL)->u.hi.value == 0);
	CHECK(dmm_mh_find_opt(&got, DMM_OPT_ATT, NULL) &&
	      dmm_mh_find_opt(&got, DMM_OPT_ATT, NULL)->u.att.value == 0);
	CHECK_EQ(got.notes, DMM_MH_NOTE_EMPTY_FORM | DMM_MH_NOTE_RESERVED_VALUE);
	CHECK(dmm_mh_find_opt(&got, DMM_OPT_TIMESTAMP, NULL) == NULL); /* not decoded: not echoed */

	/* Nothing decoded past the fixed part: every mandatory option in its empty form. */
	dmm_mh_init(&pbu, DMM_MH_BU);
	pba_init(&pba, 1);
	CHECK_EQ(dmm_mh_pba_echo(&pba, &pbu), 0);
	CHECK(roundtrip(&pba, &got) > 0);
	CHECK(got.nopts == 4 && got.opts[0].type == DMM_OPT_MNID && got.opts[0].u.mnid.id.len == 0);

	/* No room: DMM_ERR_OPT_TOO_MANY, the mandatory options first. */
	pba_init(&pba, 1);
	for (int i = 0; i < DMM_MH_MAX_OPTS - 2; i++)
		dmm_mh_add_opt(&pba, DMM_OPT_VSM)->u.vsm.data.len = 1;
	CHECK_EQ(dmm_mh_pba_echo(&pba, &pbu), DMM_ERR_OPT_TOO_MANY);
	CHECK(pba.nopts == DMM_MH_MAX_OPTS && pba.opts[DMM_MH_MAX_OPTS - 2].type == DMM_OPT_MNID);
}

/*
 * Regression: the PBA dmmd's LMA sent the independent MAG before the
 * codec tolerated ATT 0 and misaligned options (from the issue). It
 * refused with 128 and carried one zeroed HNP only: no MN-ID, HI or ATT,
 * all three mandatory in every PBA (RFC 5213 §5.3.6), so the MAG could
 * not match it and retransmitted forever.
 */
static void test_issue_pba(void)
{
	static struct dmm_mh_msg m;
	uint8_t b[64];
	size_t len = unhex(b, sizeof(b), "3b030600743b8020585e00001612000000000000000000000000000000000000");
	const struct dmm_mh_opt *hnp;

	CHECK_EQ(dmm_mh_decode(&m, b, len), (int)len);
	CHECK(m.type == DMM_MH_BA && m.u.ba.status == DMM_BA_UNSPECIFIED && m.u.ba.flags == DMM_BA_P &&
	      m.u.ba.seq == 0x585e && m.u.ba.lifetime == 0);
	CHECK_EQ(m.nopts, 1);
	hnp = dmm_mh_find_opt(&m, DMM_OPT_HNP, NULL);
	CHECK(hnp && hnp->u.hnp.len == 0 && dmm_addr_is_zero(&hnp->u.hnp.addr));
	/* What was missing. */
	CHECK_EQ(dmm_mh_count_opt(&m, DMM_OPT_MNID), 0);
	CHECK_EQ(dmm_mh_count_opt(&m, DMM_OPT_HI), 0);
	CHECK_EQ(dmm_mh_count_opt(&m, DMM_OPT_ATT), 0);
}

static void print_vectors(void)
{
	for (unsigned n = 1; n <= NVEC; n++) {
		char nai[24];

		nai_of(n, nai);
		printf("nai%02u %s %s\n", n, nai, vectors[n - 1]);
	}
}

int main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "--print-vectors") == 0) {
		print_vectors();
		return 0;
	}
	test_vectors_decode();
	test_vectors_reencode();
	test_malformed_keeps_prefix();
	test_pba_echo();
	test_issue_pba();
	return check_report("test_interop");
}
