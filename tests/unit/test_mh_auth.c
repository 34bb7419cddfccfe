/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The RFC 4285 options on encoded messages (core/wire/mh.c):
 * dmm_mh_auth_append() places the Replay Protection option (8n+2) and
 * the MN-HA Authentication option (4n+1, last) after what a message
 * already has, updates Header Len and leaves a message the full decoder
 * accepts unchanged but for the new options; dmm_mh_auth_find() locates
 * the "MH Data" span of RFC 4285 §5.1 and refuses what would make the
 * span ambiguous (an option after it, a truncated or short option),
 * while tolerating what the decoder tolerates (misalignment).
 */
#include "check.h"
#include "dmm/bytes.h"
#include "dmm/err.h"
#include "dmm/mh.h"
#include "helpers.h"

/* A PBU with MN-ID, HNP, HI, ATT and Timestamp, encoded into buf; returns its length. */
static int pbu(uint8_t *buf, size_t cap)
{
	struct dmm_mh_msg m;
	struct dmm_mh_opt *o;

	dmm_mh_init(&m, DMM_MH_BU);
	m.u.bu.seq = 0x1234;
	m.u.bu.flags = DMM_BU_A | DMM_BU_P;
	m.u.bu.lifetime = 100;
	o = dmm_mh_add_opt(&m, DMM_OPT_MNID);
	o->u.mnid.subtype = DMM_MNID_EUI48;
	o->u.mnid.id.len = 6;
	memcpy(o->u.mnid.id.b, "\x02\x00\x00\x00\x01\x01", 6);
	o = dmm_mh_add_opt(&m, DMM_OPT_HNP);
	o->u.hnp = prefix_of("::/0");
	dmm_mh_add_opt(&m, DMM_OPT_HI)->u.hi.value = DMM_HI_NEW_IF;
	dmm_mh_add_opt(&m, DMM_OPT_ATT)->u.att.value = DMM_ATT_VIRTUAL;
	o = dmm_mh_add_opt(&m, DMM_OPT_TIMESTAMP);
	o->u.timestamp.seconds = 1700000000;
	return dmm_mh_encode(buf, cap, &m);
}

/* An encoded message of type t (a bare Heartbeat, BRI, BRA or PBA). */
static int bare(uint8_t *buf, size_t cap, uint8_t t, uint8_t br)
{
	struct dmm_mh_msg m;

	dmm_mh_init(&m, t);
	m.u.br.br_type = br;
	if (t == DMM_MH_BA)
		dmm_mh_add_opt(&m, DMM_OPT_HI)->u.hi.value = 1;
	return dmm_mh_encode(buf, cap, &m);
}

/* Everything about a freshly appended option that holds for any message. */
static bool appended_ok(const uint8_t *buf, int n, const struct dmm_mh_auth_span *sp, uint32_t spi,
			size_t alen, const uint64_t *mesgid)
{
	struct dmm_mh_auth_span f;
	struct dmm_mh_msg m;
	const struct dmm_mh_opt *a;

	if (n < 0 || n % 8 || (size_t)n != sp->mh_len || ((size_t)buf[1] + 1) * 8 != (size_t)n)
		return false;
	if (dmm_mh_decode(&m, buf, (size_t)n) != n || (m.notes & DMM_MH_NOTE_MISALIGNED))
		return false;
	a = &m.opts[m.nopts - 1];
	if (a->type != DMM_OPT_AUTH || a->u.auth.subtype != DMM_MH_AUTH_MN_HA || a->u.auth.spi != spi ||
	    a->u.auth.data.len != alen)
		return false;
	if (mesgid && (!dmm_mh_find_opt(&m, DMM_OPT_MESGID, NULL) ||
		       dmm_mh_find_opt(&m, DMM_OPT_MESGID, NULL)->u.mesgid.timestamp != *mesgid))
		return false;
	/* RFC 4285 §5: 4n+1; MH Data ends right after the SPI. */
	if (sp->opt_off % 4 != 1 || sp->data_len != sp->opt_off + 7 || sp->auth_off != sp->data_len ||
	    sp->auth_len != alen || sp->spi != spi)
		return false;
	if (dmm_mh_auth_find(buf, (size_t)n, &f) != 0 || memcmp(&f, sp, sizeof(f)) != 0)
		return false;
	return !mesgid || (sp->has_mesgid && sp->mesgid == *mesgid);
}

static void test_append_pbu(void)
{
	static const size_t lens[] = {12, 16, 1, 2, 3, 7, 20, 32};
	struct check_loop l = CHECK_LOOP_INIT("appended to a PBU: decodes, last, aligned, found again");
	uint64_t ts = 0xe5a1b2c3d4e5f607ull;

	for (unsigned i = 0; i < sizeof(lens) / sizeof(lens[0]); i++)
		for (int withm = 0; withm < 2; withm++) {
			uint8_t buf[256], orig[256];
			struct dmm_mh_auth_span sp;
			int n0 = pbu(buf, sizeof(buf)), n;

			memcpy(orig, buf, sizeof(buf));
			n = dmm_mh_auth_append(buf, sizeof(buf), (size_t)n0, 4096 + i, lens[i],
					       withm ? &ts : NULL, &sp);
			if (!CHECK_LOOP(l, appended_ok(buf, n, &sp, 4096 + i, lens[i], withm ? &ts : NULL)))
				fprintf(stderr, "  auth_len %zu mesgid %d: n %d\n", lens[i], withm, n);
			/* The message before the new options is as it was (fixed part and options). */
			CHECK_LOOP(l,
				   memcmp(buf + 2, orig + 2, 4) == 0 && memcmp(buf + 6, orig + 6, 38) == 0);
		}
	CHECK_LOOP_END(l);
}

/* The two algorithms' sizes end the message on 8 octets with no padding after the option. */
static void test_no_tail_padding(void)
{
	uint8_t buf[256];
	struct dmm_mh_auth_span sp;
	int n;

	n = dmm_mh_auth_append(buf, sizeof(buf), (size_t)pbu(buf, sizeof(buf)), 4096, 12, NULL, &sp);
	CHECK_EQ(sp.auth_off + sp.auth_len, n);
	n = dmm_mh_auth_append(buf, sizeof(buf), (size_t)pbu(buf, sizeof(buf)), 4097, 16, NULL, &sp);
	CHECK_EQ(sp.auth_off + sp.auth_len, n);
}

static void test_append_every_type(void)
{
	static const struct {
		uint8_t t, br;
	} types[] = {{DMM_MH_HB, 0}, {DMM_MH_BR, DMM_BR_BRI}, {DMM_MH_BR, DMM_BR_BRA}, {DMM_MH_BA, 0}};
	struct check_loop l = CHECK_LOOP_INIT("appended to HB, BRI, BRA, PBA with and without mesgid");
	uint64_t ts = 1;

	for (unsigned i = 0; i < 4; i++)
		for (int withm = 0; withm < 2; withm++) {
			uint8_t buf[128];
			struct dmm_mh_auth_span sp;
			int n = bare(buf, sizeof(buf), types[i].t, types[i].br);

			n = dmm_mh_auth_append(buf, sizeof(buf), (size_t)n, 300, 16, withm ? &ts : NULL, &sp);
			CHECK_LOOP(l, appended_ok(buf, n, &sp, 300, 16, withm ? &ts : NULL));
		}
	CHECK_LOOP_END(l);
}

static void test_append_refusals(void)
{
	uint8_t buf[256], before[256];
	struct dmm_mh_auth_span sp;
	uint64_t ts = 5;
	int n0 = pbu(buf, sizeof(buf)), n;

	n = dmm_mh_auth_append(buf, sizeof(buf), (size_t)n0, 4096, 12, &ts, &sp);
	CHECK(n > n0);
	memcpy(before, buf, sizeof(buf));
	CHECK_EQ(dmm_mh_auth_append(buf, sizeof(buf), (size_t)n, 4096, 12, NULL, &sp), DMM_ERR_EXISTS);
	n0 = pbu(buf, sizeof(buf));
	CHECK_EQ(dmm_mh_auth_append(buf, (size_t)n0 + 8, (size_t)n0, 4096, 12, NULL, &sp), DMM_ERR_NOBUF);
	CHECK_EQ(dmm_mh_auth_append(buf, sizeof(buf), (size_t)n0, 4096, 33, NULL, &sp), DMM_ERR_INVAL);
	CHECK_EQ(dmm_mh_auth_append(buf, sizeof(buf), (size_t)n0, 4096, 0, NULL, &sp), DMM_ERR_INVAL);
	memcpy(before, buf, sizeof(buf));
	CHECK_EQ(dmm_mh_auth_append(buf, sizeof(buf), (size_t)n0 - 1, 4096, 12, NULL, &sp),
		 DMM_ERR_TRUNCATED);
	CHECK_MEM(buf, before, sizeof(buf)); /* unchanged on error */
	/* A Replay Protection option already there: another is refused, authentication alone is not. */
	n = dmm_mh_auth_append(buf, sizeof(buf), (size_t)n0, 4096, 12, &ts, &sp);
	buf[sp.opt_off] = DMM_OPT_PADN; /* the Authentication option becomes padding */
	CHECK_EQ(dmm_mh_auth_append(buf, sizeof(buf), (size_t)n, 4096, 12, &ts, &sp), DMM_ERR_EXISTS);
	CHECK(appended_ok(buf, dmm_mh_auth_append(buf, sizeof(buf), (size_t)n, 9, 12, NULL, &sp), &sp, 9, 12,
			  &ts));
}

/* A hand-laid PBU: fixed part (12), then the given option bytes, then Header Len fixed up. */
static size_t laid(uint8_t *buf, const char *opts_hex)
{
	size_t n = unhex(buf, 256, "3b00 0500 0000 1234 8200 0019");

	n += unhex(buf + n, 256 - n, opts_hex);
	buf[1] = (uint8_t)(n / 8 - 1);
	return n;
}

static void test_find_malformed(void)
{
	uint8_t buf[256];
	struct dmm_mh_auth_span sp;
	struct dmm_mh_msg m;
	size_t n;

	/* 4n+1 after PadN 3: an authentication option of 12 octets of data, then PadN 2 to 8n. */
	n = laid(buf, "0103000000 0911 01 00001000 000102030405060708090a0b 0102 0000");
	CHECK_EQ(n % 8, 0);
	CHECK_EQ(dmm_mh_auth_find(buf, n, &sp), 0);
	CHECK_EQ(sp.opt_off, 17);
	CHECK_EQ(sp.data_len, 24);
	CHECK_EQ(sp.spi, 4096);
	CHECK_EQ(sp.auth_len, 12);
	CHECK_EQ(dmm_mh_decode(&m, buf, n), (int)n);
	/* Misaligned (4n+2): tolerated as the decoder tolerates it (RFC 6275 §6.2.1 binds the sender). */
	n = laid(buf, "01020000 0911 01 00001000 000102030405060708090a0b 0103000000");
	CHECK_EQ(dmm_mh_auth_find(buf, n, &sp), 0);
	CHECK_EQ(sp.opt_off, 16);
	CHECK_EQ(dmm_mh_decode(&m, buf, n), (int)n);
	CHECK(m.notes & DMM_MH_NOTE_MISALIGNED);
	/* An option after it: refused by both. */
	n = laid(buf, "0103000000 0911 01 00001000 000102030405060708090a0b 1802 0001");
	CHECK_EQ(dmm_mh_auth_find(buf, n, &sp), DMM_ERR_OPT_NOT_LAST);
	CHECK_EQ(dmm_mh_decode(&m, buf, n), DMM_ERR_OPT_NOT_LAST);
	/* After a Binding Authorization Data option (also "last", RFC 6275 §6.2.7): refused by both, and by append. */
	n = laid(buf, "0100 0504 00000000 0103000000 0911 01 00001000 000102030405060708090a0b 0102 0000");
	CHECK_EQ(dmm_mh_auth_find(buf, n, &sp), DMM_ERR_OPT_NOT_LAST);
	CHECK_EQ(dmm_mh_decode(&m, buf, n), DMM_ERR_OPT_NOT_LAST);
	n = laid(buf, "0100 0504 00000000 01020000");
	CHECK_EQ(dmm_mh_auth_append(buf, sizeof(buf), n, 4096, 12, NULL, &sp), DMM_ERR_OPT_NOT_LAST);
	/* Truncated: its Length runs past Header Len. */
	n = laid(buf, "0103000000 0915 01 00001000 000102030405060708090a0b 0000");
	CHECK_EQ(dmm_mh_auth_find(buf, n, &sp), DMM_ERR_OPT_TRUNCATED);
	CHECK_EQ(dmm_mh_decode(&m, buf, n), DMM_ERR_OPT_TRUNCATED);
	/* Too short for Subtype and SPI. */
	n = laid(buf, "0103000000 0904 01 000010 00000000 00000000 00000000");
	CHECK_EQ(dmm_mh_auth_find(buf, n, &sp), DMM_ERR_OPT_LEN);
	CHECK_EQ(dmm_mh_decode(&m, buf, n), DMM_ERR_OPT_LEN);
	/* A Replay Protection option of the wrong length. */
	n = laid(buf, "0100 0a07 00000000000000 0104000000 00");
	CHECK_EQ(dmm_mh_auth_find(buf, n, &sp), DMM_ERR_OPT_LEN);
	/* No authentication option: NOTFOUND, the message and its mesgid still described. */
	n = laid(buf, "0100 0a08 0102030405060708");
	CHECK_EQ(dmm_mh_auth_find(buf, n, &sp), DMM_ERR_NOTFOUND);
	CHECK_EQ(sp.mh_len, n);
	CHECK(sp.has_mesgid && sp.mesgid == 0x0102030405060708ull);
	/* The header: Header Len beyond the buffer, an unknown type, a fixed part that does not fit. */
	n = laid(buf, "0104000000 00");
	CHECK_EQ(dmm_mh_auth_find(buf, n - 8, &sp), DMM_ERR_TRUNCATED);
	buf[2] = 99;
	CHECK_EQ(dmm_mh_auth_find(buf, n, &sp), DMM_ERR_UNKNOWN_TYPE);
	buf[2] = DMM_MH_HAS;
	buf[6] = 5; /* five Home Agent addresses in 16 octets */
	CHECK_EQ(dmm_mh_auth_find(buf, n, &sp), DMM_ERR_HA_COUNT);
	buf[0] = 0;
	CHECK_EQ(dmm_mh_auth_find(buf, n, &sp), DMM_ERR_PAYLOAD_PROTO);
}

/* Every prefix of a signed message: found whole, refused or (cut at 8n) without the option; never read past. */
static void test_truncations(void)
{
	struct check_loop l = CHECK_LOOP_INIT("every prefix of a signed PBU");
	uint8_t full[256];
	struct dmm_mh_auth_span sp;
	uint64_t ts = 7;
	int n = dmm_mh_auth_append(full, sizeof(full), (size_t)pbu(full, sizeof(full)), 4096, 16, &ts, &sp);

	for (int cut = 0; cut <= n; cut++) {
		uint8_t *b = malloc((size_t)cut + 1); /* exactly cut octets readable, for ASan */
		int rc;

		memcpy(b, full, (size_t)cut);
		rc = dmm_mh_auth_find(b, (size_t)cut, &sp);
		CHECK_LOOP(l, cut == n ? rc == 0 : rc == DMM_ERR_TRUNCATED);
		free(b);
	}
	CHECK_LOOP_END(l);
}

int main(void)
{
	test_append_pbu();
	test_no_tail_padding();
	test_append_every_type();
	test_append_refusals();
	test_find_malformed();
	test_truncations();
	return check_report("test_mh_auth");
}
