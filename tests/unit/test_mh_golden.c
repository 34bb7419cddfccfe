/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Golden byte vectors for the Mobility Header codec.
 *
 * Every vector below was laid out by hand from the message and option
 * formats of RFC 6275 §6.1/§6.2, RFC 5213 §8, RFC 4283/8371, RFC 4285,
 * RFC 5094, RFC 5142, RFC 5846, RFC 5847, RFC 5949, RFC 6463, RFC 7077,
 * RFC 7389 and RFC 8885, not produced by our encoder. Offsets in the
 * comments count from the first octet of the Mobility Header, which is
 * where option alignment (xn+y) is measured.
 *
 * Padding rule the vectors follow: options are written in order; before
 * an option with alignment xn+y at offset o with o % x != y, insert
 * (y - o) mod x octets: one octet is Pad1 (00), more is PadN (01 n-2
 * zeros). After the last option pad to a multiple of 8 the same way.
 *
 * For each positive vector: dmm_mh_encode(fill()) == bytes,
 * dmm_mh_decode(bytes) == length and equals fill() field by field, and
 * encoding the decoded struct gives the bytes again. Decode-only vectors
 * (unknown options, non-minimal padding) carry the canonical re-encoding.
 * Negative vectors name the DMM_ERR_* the decoder must return.
 * Tolerated vectors (misaligned options, reserved values and bits, the
 * empty forms of RFC 5213 §5.3.6) are positive vectors that also name the
 * DMM_MH_NOTE_* bits the decoder must report; every other positive vector
 * decodes without a note (but for the skipped unknown options).
 *
 * Fuzz seeds: `test_mh_golden --write-seeds tests/fuzz/corpus/mh` writes
 * every vector (positive and negative) as <name>.bin and then runs the
 * checks as usual. The corpus in the tree is exactly that output.
 */
#include <stdlib.h>

#include "check.h"
#include "dmm/err.h"
#include "dmm/mh.h"
#include "helpers.h"

/* ------------------------------------------------------------------ */
/* helpers                                                             */

/* Fill exactly n octets from hex (aborts on a count mismatch). */
static void hexb(uint8_t *dst, size_t n, const char *hex)
{
	uint8_t tmp[DMM_MH_MAX_LEN];

	if (unhex(tmp, sizeof(tmp), hex) != n) {
		fprintf(stderr, "hexb: \"%s\" is not %zu octets\n", hex, n);
		abort();
	}
	memcpy(dst, tmp, n);
}

static void bytes_hex(struct dmm_mh_bytes *b, const char *hex)
{
	b->len = (uint8_t)unhex(b->b, sizeof(b->b), hex);
}

static void bytes_str(struct dmm_mh_bytes *b, const char *s)
{
	b->len = (uint8_t)strlen(s);
	memcpy(b->b, s, b->len);
}

static void ipaddr_hex(struct dmm_mh_ipaddr *a, const char *hex)
{
	a->len = (uint8_t)unhex(a->b, sizeof(a->b), hex);
}

static void msg_new(struct dmm_mh_msg *m, uint8_t type)
{
	memset(m, 0, sizeof(*m));
	m->type = type;
}

static struct dmm_mh_opt *opt_new(struct dmm_mh_msg *m, uint8_t type)
{
	struct dmm_mh_opt *o = &m->opts[m->nopts++];

	memset(o, 0, sizeof(*o));
	o->type = type;
	return o;
}

/* Addresses used by the vectors (hex, 16 octets). */
#define IP_DB8_1 "20010db8 00000000 00000000 00000001"	/* 2001:db8::1 */
#define IP_DB8_2 "20010db8 00000000 00000000 00000002"	/* 2001:db8::2 */
#define IP_LMA_1 "20010db8 ffff0000 00000000 00000001"	/* 2001:db8:ffff::1 */
#define IP_LMA_2 "20010db8 ffff0000 00000000 00000002"	/* 2001:db8:ffff::2 */
#define IP_LMA_10 "20010db8 ffff0000 00000000 00000010" /* 2001:db8:ffff::10 */
#define IP_MAG_1 "20010db8 aaaa0000 00000000 00000001"	/* 2001:db8:aaaa::1 */
#define IP_LL_1 "fe800000 00000000 00000000 00000001"	/* fe80::1 */
#define IP_LL_MAC "fe800000 00000000 02163eff fe112233" /* fe80::216:3eff:fe11:2233 */
#define PFX_HNP "20010db8 00010001 00000000 00000000"	/* 2001:db8:1:1:: */
#define PFX_ANCH "20010db8 000a0000 00000000 00000000"	/* 2001:db8:a:: */
#define PFX_LOCAL "20010db8 00100000 00000000 00000000" /* 2001:db8:10:: */
#define PFX_ZERO "00000000 00000000 00000000 00000000"	/* :: */

#define TS_SECONDS 1700000000ull /* 0x00006553f100 */

/* ------------------------------------------------------------------ */
/* field-by-field comparison                                           */

static char why[256];

#define DIFF(...)                                                                                            \
	do {                                                                                                 \
		snprintf(why, sizeof(why), __VA_ARGS__);                                                     \
		return false;                                                                                \
	} while (0)

static bool bytes_eq(const struct dmm_mh_bytes *a, const struct dmm_mh_bytes *b)
{
	return a->len == b->len && memcmp(a->b, b->b, a->len) == 0;
}

static bool ipaddr_eq(const struct dmm_mh_ipaddr *a, const struct dmm_mh_ipaddr *b)
{
	return a->len == b->len && memcmp(a->b, b->b, a->len) == 0;
}

static bool prefix_eq(const struct dmm_prefix *a, const struct dmm_prefix *b)
{
	return a->len == b->len && dmm_addr_eq(&a->addr, &b->addr);
}

static bool opt_eq(const struct dmm_mh_opt *a, const struct dmm_mh_opt *b, unsigned i)
{
	if (a->type != b->type)
		DIFF("option %u: type %u != %u", i, a->type, b->type);
	switch (a->type) {
	case DMM_OPT_BRA:
		if (a->u.bra.interval != b->u.bra.interval)
			DIFF("option %u BRA interval %u != %u", i, a->u.bra.interval, b->u.bra.interval);
		break;
	case DMM_OPT_ACOA:
		if (!dmm_addr_eq(&a->u.acoa, &b->u.acoa))
			DIFF("option %u ACoA address", i);
		break;
	case DMM_OPT_NONCE:
		if (a->u.nonce.home_idx != b->u.nonce.home_idx || a->u.nonce.coa_idx != b->u.nonce.coa_idx)
			DIFF("option %u nonce indices", i);
		break;
	case DMM_OPT_BAD:
		if (!bytes_eq(&a->u.bad, &b->u.bad))
			DIFF("option %u BAD authenticator", i);
		break;
	case DMM_OPT_MNID:
		if (a->u.mnid.subtype != b->u.mnid.subtype)
			DIFF("option %u MN-ID subtype %u != %u", i, a->u.mnid.subtype, b->u.mnid.subtype);
		if (!bytes_eq(&a->u.mnid.id, &b->u.mnid.id))
			DIFF("option %u MN-ID identifier (len %u vs %u)", i, a->u.mnid.id.len,
			     b->u.mnid.id.len);
		break;
	case DMM_OPT_AUTH:
		if (a->u.auth.subtype != b->u.auth.subtype || a->u.auth.spi != b->u.auth.spi)
			DIFF("option %u AUTH subtype/SPI", i);
		if (!bytes_eq(&a->u.auth.data, &b->u.auth.data))
			DIFF("option %u AUTH data (len %u vs %u)", i, a->u.auth.data.len, b->u.auth.data.len);
		break;
	case DMM_OPT_MESGID:
		if (a->u.mesgid.timestamp != b->u.mesgid.timestamp)
			DIFF("option %u Mesg-ID timestamp", i);
		break;
	case DMM_OPT_VSM:
		if (a->u.vsm.vendor_id != b->u.vsm.vendor_id || a->u.vsm.subtype != b->u.vsm.subtype)
			DIFF("option %u VSM vendor/subtype", i);
		if (!bytes_eq(&a->u.vsm.data, &b->u.vsm.data))
			DIFF("option %u VSM data", i);
		break;
	case DMM_OPT_HNP:
		if (!prefix_eq(&a->u.hnp, &b->u.hnp))
			DIFF("option %u HNP (plen %u vs %u)", i, a->u.hnp.len, b->u.hnp.len);
		break;
	case DMM_OPT_HI:
		if (a->u.hi.value != b->u.hi.value)
			DIFF("option %u HI %u != %u", i, a->u.hi.value, b->u.hi.value);
		break;
	case DMM_OPT_ATT:
		if (a->u.att.value != b->u.att.value)
			DIFF("option %u ATT %u != %u", i, a->u.att.value, b->u.att.value);
		break;
	case DMM_OPT_MNLLID:
		if (!bytes_eq(&a->u.mnllid, &b->u.mnllid))
			DIFF("option %u MN-LLID (len %u vs %u)", i, a->u.mnllid.len, b->u.mnllid.len);
		break;
	case DMM_OPT_LLA:
		if (!dmm_addr_eq(&a->u.lla, &b->u.lla))
			DIFF("option %u LLA", i);
		break;
	case DMM_OPT_TIMESTAMP:
		if (a->u.timestamp.seconds != b->u.timestamp.seconds ||
		    a->u.timestamp.fraction != b->u.timestamp.fraction)
			DIFF("option %u Timestamp %llu.%u vs %llu.%u", i,
			     (unsigned long long)a->u.timestamp.seconds, a->u.timestamp.fraction,
			     (unsigned long long)b->u.timestamp.seconds, b->u.timestamp.fraction);
		break;
	case DMM_OPT_RESTART:
		if (a->u.restart.counter != b->u.restart.counter)
			DIFF("option %u Restart Counter", i);
		break;
	case DMM_OPT_REDIR_CAP:
		break;
	case DMM_OPT_REDIRECT:
		if (a->u.redirect.flags != b->u.redirect.flags)
			DIFF("option %u Redirect flags %04x != %04x", i, a->u.redirect.flags,
			     b->u.redirect.flags);
		if (!ipaddr_eq(&a->u.redirect.r2lma, &b->u.redirect.r2lma))
			DIFF("option %u Redirect r2LMA (len %u vs %u)", i, a->u.redirect.r2lma.len,
			     b->u.redirect.r2lma.len);
		break;
	case DMM_OPT_LOAD:
		if (a->u.load.priority != b->u.load.priority ||
		    a->u.load.sessions_in_use != b->u.load.sessions_in_use ||
		    a->u.load.max_sessions != b->u.load.max_sessions ||
		    a->u.load.used_capacity != b->u.load.used_capacity ||
		    a->u.load.max_capacity != b->u.load.max_capacity)
			DIFF("option %u Load Information", i);
		break;
	case DMM_OPT_LMA_UPA:
		if (!ipaddr_eq(&a->u.lma_upa, &b->u.lma_upa))
			DIFF("option %u LMA UPA (len %u vs %u)", i, a->u.lma_upa.len, b->u.lma_upa.len);
		break;
	case DMM_OPT_ANCHORED_PREFIX:
		if (!prefix_eq(&a->u.anchored_prefix, &b->u.anchored_prefix))
			DIFF("option %u Anchored Prefix", i);
		break;
	case DMM_OPT_LOCAL_PREFIX:
		if (!prefix_eq(&a->u.local_prefix, &b->u.local_prefix))
			DIFF("option %u Local Prefix", i);
		break;
	case DMM_OPT_PREV_MAAR:
		if (!prefix_eq(&a->u.prev_maar.hnp, &b->u.prev_maar.hnp))
			DIFF("option %u Previous MAAR HNP", i);
		if (!dmm_addr_eq(&a->u.prev_maar.maar, &b->u.prev_maar.maar))
			DIFF("option %u Previous MAAR address", i);
		break;
	case DMM_OPT_SERVING_MAAR:
		if (!dmm_addr_eq(&a->u.serving_maar, &b->u.serving_maar))
			DIFF("option %u Serving MAAR", i);
		break;
	case DMM_OPT_DLIF_LLA:
		if (!dmm_addr_eq(&a->u.dlif_lla, &b->u.dlif_lla))
			DIFF("option %u DLIF LLA", i);
		break;
	case DMM_OPT_DLIF_LL:
		if (!bytes_eq(&a->u.dlif_ll, &b->u.dlif_ll))
			DIFF("option %u DLIF link-layer (len %u vs %u)", i, a->u.dlif_ll.len,
			     b->u.dlif_ll.len);
		break;
	default:
		DIFF("option %u: type %u has no comparison", i, a->type);
	}
	return true;
}

static bool msg_eq(const struct dmm_mh_msg *a, const struct dmm_mh_msg *b)
{
	if (a->type != b->type)
		DIFF("MH type %u != %u", a->type, b->type);
	switch (a->type) {
	case DMM_MH_BRR:
		break;
	case DMM_MH_BU:
		if (a->u.bu.seq != b->u.bu.seq || a->u.bu.flags != b->u.bu.flags ||
		    a->u.bu.lifetime != b->u.bu.lifetime)
			DIFF("BU seq/flags/lifetime %04x/%04x/%04x vs %04x/%04x/%04x", a->u.bu.seq,
			     a->u.bu.flags, a->u.bu.lifetime, b->u.bu.seq, b->u.bu.flags, b->u.bu.lifetime);
		break;
	case DMM_MH_BA:
		if (a->u.ba.status != b->u.ba.status || a->u.ba.flags != b->u.ba.flags ||
		    a->u.ba.seq != b->u.ba.seq || a->u.ba.lifetime != b->u.ba.lifetime)
			DIFF("BA status/flags/seq/lifetime %u/%02x/%04x/%04x vs %u/%02x/%04x/%04x",
			     a->u.ba.status, a->u.ba.flags, a->u.ba.seq, a->u.ba.lifetime, b->u.ba.status,
			     b->u.ba.flags, b->u.ba.seq, b->u.ba.lifetime);
		break;
	case DMM_MH_BE:
		if (a->u.be.status != b->u.be.status || !dmm_addr_eq(&a->u.be.home_addr, &b->u.be.home_addr))
			DIFF("BE status/home address");
		break;
	case DMM_MH_HAS:
		if (a->u.has.naddrs != b->u.has.naddrs)
			DIFF("HAS naddrs %u != %u", a->u.has.naddrs, b->u.has.naddrs);
		for (unsigned i = 0; i < a->u.has.naddrs && i < DMM_MH_MAX_HA_ADDRS; i++)
			if (!dmm_addr_eq(&a->u.has.addrs[i], &b->u.has.addrs[i]))
				DIFF("HAS address %u", i);
		break;
	case DMM_MH_HB:
		if (a->u.hb.flags != b->u.hb.flags || a->u.hb.seq != b->u.hb.seq)
			DIFF("Heartbeat flags/seq %04x/%08x vs %04x/%08x", a->u.hb.flags,
			     (unsigned)a->u.hb.seq, b->u.hb.flags, (unsigned)b->u.hb.seq);
		break;
	case DMM_MH_HI:
	case DMM_MH_HACK:
		if (a->u.hi.seq != b->u.hi.seq || a->u.hi.flags != b->u.hi.flags ||
		    a->u.hi.code != b->u.hi.code)
			DIFF("HI/HAck seq/flags/code %04x/%02x/%u vs %04x/%02x/%u", a->u.hi.seq,
			     a->u.hi.flags, a->u.hi.code, b->u.hi.seq, b->u.hi.flags, b->u.hi.code);
		break;
	case DMM_MH_BR:
		if (a->u.br.br_type != b->u.br.br_type || a->u.br.code != b->u.br.code ||
		    a->u.br.seq != b->u.br.seq || a->u.br.flags != b->u.br.flags)
			DIFF("BR type/code/seq/flags %u/%u/%04x/%04x vs %u/%u/%04x/%04x", a->u.br.br_type,
			     a->u.br.code, a->u.br.seq, a->u.br.flags, b->u.br.br_type, b->u.br.code,
			     b->u.br.seq, b->u.br.flags);
		break;
	case DMM_MH_UPN:
		if (a->u.upn.seq != b->u.upn.seq || a->u.upn.reason != b->u.upn.reason ||
		    a->u.upn.flags != b->u.upn.flags)
			DIFF("UPN seq/reason/flags");
		break;
	case DMM_MH_UPA:
		if (a->u.upa.seq != b->u.upa.seq || a->u.upa.status != b->u.upa.status)
			DIFF("UPA seq/status");
		break;
	default:
		DIFF("MH type %u has no comparison", a->type);
	}
	if (a->nopts != b->nopts)
		DIFF("nopts %u != %u", a->nopts, b->nopts);
	if (a->unknown_opts != b->unknown_opts)
		DIFF("unknown_opts %u != %u", a->unknown_opts, b->unknown_opts);
	for (unsigned i = 0; i < a->nopts && i < DMM_MH_MAX_OPTS; i++)
		if (!opt_eq(&a->opts[i], &b->opts[i], i))
			return false;
	return true;
}

/* ------------------------------------------------------------------ */
/* messages (no options)                                               */

/* BRR, RFC 6275 §6.1.2: Reserved(16). */
static const char V_BRR[] =
	"3b 00 00 00 00 00 00 00"; /*  0: proto 59, HdrLen 0, type 0, rsvd, cksum 0, Reserved */
static void f_brr(struct dmm_mh_msg *m)
{
	msg_new(m, DMM_MH_BRR);
}

/* BU, RFC 6275 §6.1.7: Seq 0x1234, A|H|K, lifetime 150 (600 s). */
static const char V_BU[] = "3b 01 05 00 00 00 12 34"  /*  0: HdrLen 1, type 5 | 6: seq */
			   "d0 00 00 96 01 02 00 00"; /*  8: flags A|H|K, lifetime | 12: PadN(4) to 16 */
static void f_bu(struct dmm_mh_msg *m)
{
	msg_new(m, DMM_MH_BU);
	m->u.bu.seq = 0x1234;
	m->u.bu.flags = DMM_BU_A | DMM_BU_H | DMM_BU_K;
	m->u.bu.lifetime = 150;
}

/* BU with every defined flag, seq and lifetime at their maximum. */
static const char V_BU_ALLFLAGS[] =
	"3b 01 05 00 00 00 ff ff"  /*  0: seq 0xffff */
	"ff f0 ff ff 01 02 00 00"; /*  8: flags A..D (0xfff0), lifetime 0xffff | PadN(4) */
static void f_bu_allflags(struct dmm_mh_msg *m)
{
	msg_new(m, DMM_MH_BU);
	m->u.bu.seq = 0xffff;
	m->u.bu.flags = DMM_BU_A | DMM_BU_H | DMM_BU_L | DMM_BU_K | DMM_BU_M | DMM_BU_R | DMM_BU_P |
			DMM_BU_F | DMM_BU_T | DMM_BU_B | DMM_BU_S | DMM_BU_D;
	m->u.bu.lifetime = 0xffff;
}

/* BA, RFC 6275 §6.1.8: status 135 (sequence out of window), K, seq 0x1234, lifetime 0. */
static const char V_BA[] = "3b 01 06 00 00 00 87 80"  /*  0: type 6 | 6: status 135, flags K */
			   "12 34 00 00 01 02 00 00"; /*  8: seq, lifetime 0 | 12: PadN(4) */
static void f_ba(struct dmm_mh_msg *m)
{
	msg_new(m, DMM_MH_BA);
	m->u.ba.status = DMM_BA_SEQ_OUT_OF_WINDOW;
	m->u.ba.flags = DMM_BA_K;
	m->u.ba.seq = 0x1234;
	m->u.ba.lifetime = 0;
}

/* BA with every defined flag. */
static const char V_BA_ALLFLAGS[] = "3b 01 06 00 00 00 80 fe" /*  6: status 128, flags K R P T B S D (0xfe) */
				    "ff ff ff ff 01 02 00 00"; /*  8: seq 0xffff, lifetime 0xffff | PadN(4) */
static void f_ba_allflags(struct dmm_mh_msg *m)
{
	msg_new(m, DMM_MH_BA);
	m->u.ba.status = DMM_BA_UNSPECIFIED;
	m->u.ba.flags = DMM_BA_K | DMM_BA_R | DMM_BA_P | DMM_BA_T | DMM_BA_B | DMM_BA_S | DMM_BA_D;
	m->u.ba.seq = 0xffff;
	m->u.ba.lifetime = 0xffff;
}

/* BE, RFC 6275 §6.1.9: status 1, home address 2001:db8::1. */
static const char V_BE[] = "3b 02 07 00 00 00 01 00"  /*  0: HdrLen 2, type 7 | 6: status 1, reserved */
			   "20 01 0d b8 00 00 00 00"  /*  8: home address */
			   "00 00 00 00 00 00 00 01"; /* 16..23 */
static void f_be(struct dmm_mh_msg *m)
{
	msg_new(m, DMM_MH_BE);
	m->u.be.status = DMM_BE_UNKNOWN_HAO;
	hexb(m->u.be.home_addr.b, 16, IP_DB8_1);
}

/* Home Agent Switch, RFC 5142 §4: two addresses, no options: 8 + 32 = 40. */
static const char V_HAS[] = "3b 04 0c 00 00 00 02 00" /*  0: HdrLen 4, type 12 | 6: #addrs 2, reserved */
			    "20 01 0d b8 00 00 00 00" /*  8: 2001:db8::1 */
			    "00 00 00 00 00 00 00 01"
			    "20 01 0d b8 00 00 00 00"  /* 24: 2001:db8::2 */
			    "00 00 00 00 00 00 00 02"; /* 32..39 */
static void f_has(struct dmm_mh_msg *m)
{
	msg_new(m, DMM_MH_HAS);
	m->u.has.naddrs = 2;
	hexb(m->u.has.addrs[0].b, 16, IP_DB8_1);
	hexb(m->u.has.addrs[1].b, 16, IP_DB8_2);
}

/* Home Agent Switch with a Binding Refresh Advice (2n) after the addresses. */
static const char V_HAS_BRA[] =
	"3b 05 0c 00 00 00 02 00" /*  0: HdrLen 5 */
	"20 01 0d b8 00 00 00 00" /*  8: 2001:db8::1 */
	"00 00 00 00 00 00 00 01"
	"20 01 0d b8 00 00 00 00" /* 24: 2001:db8::2 */
	"00 00 00 00 00 00 00 02"
	"02 02 00 0f 01 02 00 00"; /* 40: BRA interval 15 (2n ok) | 44: PadN(4) to 48 */
static void f_has_bra(struct dmm_mh_msg *m)
{
	f_has(m);
	opt_new(m, DMM_OPT_BRA)->u.bra.interval = 15;
}

/* Heartbeat request, RFC 5847 §3.3: Reserved+U+R(16) = 0, seq 1. */
static const char V_HB_REQ[] = "3b 01 0d 00 00 00 00 00"  /*  0: type 13 | 6: flags 0 */
			       "00 00 00 01 01 02 00 00"; /*  8: seq 1 | 12: PadN(4) */
static void f_hb_req(struct dmm_mh_msg *m)
{
	msg_new(m, DMM_MH_HB);
	m->u.hb.seq = 1;
}

/* Heartbeat response (R) with Restart Counter 7 (4n+2). */
static const char V_HB_RESP[] =
	"3b 02 0d 00 00 00 00 01"  /*  0: HdrLen 2 | 6: flags R */
	"de ad be ef 01 00 1c 04"  /*  8: seq 0xdeadbeef | 12: PadN(2) | 14: Restart Counter (14 = 4*3+2) */
	"00 00 00 07 01 02 00 00"; /* 16: counter 7 | 20: PadN(4) to 24 */
static void f_hb_resp(struct dmm_mh_msg *m)
{
	msg_new(m, DMM_MH_HB);
	m->u.hb.flags = DMM_HB_R;
	m->u.hb.seq = 0xdeadbeef;
	opt_new(m, DMM_OPT_RESTART)->u.restart.counter = 7;
}

/* Unsolicited heartbeat response (U|R) after a restart. */
static const char V_HB_UNSOL[] = "3b 01 0d 00 00 00 00 03"  /*  6: flags U|R */
				 "00 00 00 00 01 02 00 00"; /*  8: seq 0 | PadN(4) */
static void f_hb_unsol(struct dmm_mh_msg *m)
{
	msg_new(m, DMM_MH_HB);
	m->u.hb.flags = DMM_HB_U | DMM_HB_R;
	m->u.hb.seq = 0;
}

/* HI, RFC 5949 §6.1.1: seq 0x0102, S|P, code 0. Fixed part ends at 10. */
static const char V_HI[] = "3b 01 0e 00 00 00 01 02"  /*  0: type 14 | 6: seq */
			   "a0 00 01 04 00 00 00 00"; /*  8: flags S|P, code 0 | 10: PadN(6) to 16 */
static void f_hi(struct dmm_mh_msg *m)
{
	msg_new(m, DMM_MH_HI);
	m->u.hi.seq = 0x0102;
	m->u.hi.flags = DMM_HI_S | DMM_HI_P;
	m->u.hi.code = 0;
}

/* HI carrying the MN-ID it must carry (NAI, no alignment) right at offset 10. */
static const char V_HI_MNID[] =
	"3b 03 0e 00 00 00 01 02"  /*  0: HdrLen 3 */
	"a0 00 08 10 01 6d 6e 31"  /*  8: S|P, code 0 | 10: MN-ID Len 16, NAI | 13: "mn1" */
	"40 65 78 61 6d 70 6c 65"  /* 16: "@example" */
	"2e 63 6f 6d 01 02 00 00"; /* 24: ".com" | 28: PadN(4) to 32 */
static void f_hi_mnid(struct dmm_mh_msg *m)
{
	struct dmm_mh_opt *o;

	f_hi(m);
	o = opt_new(m, DMM_OPT_MNID);
	o->u.mnid.subtype = DMM_MNID_NAI;
	bytes_str(&o->u.mnid.id, "mn1@example.com");
}

/* HAck, RFC 5949 §6.1.2: seq 0x0102, P, code 5 (context transfer OK). */
static const char V_HACK[] = "3b 01 0f 00 00 00 01 02"	/*  0: type 15 | 6: seq */
			     "40 05 01 04 00 00 00 00"; /*  8: flags P, code 5 | 10: PadN(6) */
static void f_hack(struct dmm_mh_msg *m)
{
	msg_new(m, DMM_MH_HACK);
	m->u.hi.seq = 0x0102;
	m->u.hi.flags = DMM_HACK_P;
	m->u.hi.code = 5;
}

/* BRI, RFC 5846 §6.1: type 1, trigger 1 (administrative), seq 7, P|G. */
static const char V_BRI[] = "3b 01 10 00 00 00 01 01"  /*  0: type 16 | 6: B.R. type 1, trigger 1 */
			    "00 07 a0 00 01 02 00 00"; /*  8: seq 7, flags P|G | 12: PadN(4) */
static void f_bri(struct dmm_mh_msg *m)
{
	msg_new(m, DMM_MH_BR);
	m->u.br.br_type = DMM_BR_BRI;
	m->u.br.code = 1;
	m->u.br.seq = 7;
	m->u.br.flags = DMM_BR_P | DMM_BR_G;
}

/* BRA, RFC 5846 §6.2: type 2, status 0, seq 7, P. */
static const char V_BRA_MSG[] = "3b 01 10 00 00 00 02 00"  /*  6: B.R. type 2, status 0 */
				"00 07 80 00 01 02 00 00"; /*  8: seq 7, flags P | 12: PadN(4) */
static void f_bra_msg(struct dmm_mh_msg *m)
{
	msg_new(m, DMM_MH_BR);
	m->u.br.br_type = DMM_BR_BRA;
	m->u.br.code = 0;
	m->u.br.seq = 7;
	m->u.br.flags = DMM_BR_P;
}

/* UPN, RFC 7077 §4.1: seq 0x42, reason 1 (FORCE-REREGISTRATION), A. */
static const char V_UPN[] = "3b 01 13 00 00 00 00 42"  /*  0: type 19 | 6: seq */
			    "00 01 80 00 01 02 00 00"; /*  8: reason 1, flags A | 12: PadN(4) */
static void f_upn(struct dmm_mh_msg *m)
{
	msg_new(m, DMM_MH_UPN);
	m->u.upn.seq = 0x42;
	m->u.upn.reason = 1;
	m->u.upn.flags = DMM_UPN_A;
}

/* UPA, RFC 7077 §4.2: seq 0x42, status 128, Reserved(24). */
static const char V_UPA[] = "3b 01 14 00 00 00 00 42"  /*  0: type 20 | 6: seq */
			    "80 00 00 00 01 02 00 00"; /*  8: status 128, reserved(24) | 12: PadN(4) */
static void f_upa(struct dmm_mh_msg *m)
{
	msg_new(m, DMM_MH_UPA);
	m->u.upa.seq = 0x42;
	m->u.upa.status = 128;
}

/* ------------------------------------------------------------------ */
/* realistic PMIPv6 exchange (RFC 5213 §5.3, §6.9)                      */

static void pbu_base(struct dmm_mh_msg *m, uint16_t seq)
{
	msg_new(m, DMM_MH_BU);
	m->u.bu.seq = seq;
	m->u.bu.flags = DMM_BU_A | DMM_BU_P;
	m->u.bu.lifetime = 300; /* 1200 s */
}

static void pba_base(struct dmm_mh_msg *m)
{
	msg_new(m, DMM_MH_BA);
	m->u.ba.status = DMM_BA_ACCEPTED;
	m->u.ba.flags = DMM_BA_P;
	m->u.ba.seq = 1;
	m->u.ba.lifetime = 300;
}

static void add_nai(struct dmm_mh_msg *m, const char *nai)
{
	struct dmm_mh_opt *o = opt_new(m, DMM_OPT_MNID);

	o->u.mnid.subtype = DMM_MNID_NAI;
	bytes_str(&o->u.mnid.id, nai);
}

static void add_prefix(struct dmm_mh_msg *m, uint8_t type, const char *hex, uint8_t plen)
{
	struct dmm_mh_opt *o = opt_new(m, type);

	/* hnp, anchored_prefix and local_prefix share the struct dmm_prefix layout */
	switch (type) {
	case DMM_OPT_HNP:
		hexb(o->u.hnp.addr.b, 16, hex);
		o->u.hnp.len = plen;
		break;
	case DMM_OPT_ANCHORED_PREFIX:
		hexb(o->u.anchored_prefix.addr.b, 16, hex);
		o->u.anchored_prefix.len = plen;
		break;
	case DMM_OPT_LOCAL_PREFIX:
		hexb(o->u.local_prefix.addr.b, 16, hex);
		o->u.local_prefix.len = plen;
		break;
	default:
		abort();
	}
}

static void add_timestamp(struct dmm_mh_msg *m, uint64_t seconds, uint16_t fraction)
{
	struct dmm_mh_opt *o = opt_new(m, DMM_OPT_TIMESTAMP);

	o->u.timestamp.seconds = seconds;
	o->u.timestamp.fraction = fraction;
}

/*
 * PBU MAG -> LMA for a new attachment: MN-ID NAI, HNP ::/0 (allocate),
 * HI 1 (new interface), ATT 4 (802.11), Timestamp 1700000000.5.
 */
static const char V_PBU_PMIP[] =
	"3b 09 05 00 00 00 00 01"  /*  0: HdrLen 9 (80 octets), type 5 | 6: seq 1 */
	"82 00 01 2c 08 10 01 6d"  /*  8: flags A|P, lifetime 300 | 12: MN-ID (none) Len 16, NAI, 'm' */
	"6e 31 40 65 78 61 6d 70"  /* 16: "n1@examp" */
	"6c 65 2e 63 6f 6d 01 04"  /* 24: "le.com" (MN-ID ends at 30) | 30: PadN(6): HNP wants 8n+4 */
	"00 00 00 00 16 12 00 00"  /* 32: PadN zeros | 36: HNP Len 18, rsvd, PLen 0 (36 = 8*4+4) */
	"00 00 00 00 00 00 00 00"  /* 40: prefix :: */
	"00 00 00 00 00 00 00 00"  /* 48: (HNP ends at 56) */
	"17 02 00 01 18 02 00 04"  /* 56: HI (none) 1 | 60: ATT (none) 4 */
	"01 00 1b 08 00 00 65 53"  /* 64: PadN(2): Timestamp wants 8n+2 | 66: Timestamp Len 8, secs */
	"f1 00 80 00 01 02 00 00"; /* 72: secs 0x00006553f100, frac 0x8000 | 76: PadN(4) to 80 */
static void f_pbu_pmip(struct dmm_mh_msg *m)
{
	pbu_base(m, 1);
	add_nai(m, "mn1@example.com");
	add_prefix(m, DMM_OPT_HNP, PFX_ZERO, 0);
	opt_new(m, DMM_OPT_HI)->u.hi.value = DMM_HI_NEW_IF;
	opt_new(m, DMM_OPT_ATT)->u.att.value = DMM_ATT_80211;
	add_timestamp(m, TS_SECONDS, 0x8000);
}

/* PBA LMA -> MAG: status 0, P, the options echoed with the assigned 2001:db8:1:1::/64. */
static const char V_PBA_PMIP[] =
	"3b 09 06 00 00 00 00 20"  /*  0: HdrLen 9, type 6 | 6: status 0, flags P */
	"00 01 01 2c 08 10 01 6d"  /*  8: seq 1, lifetime 300 | 12: MN-ID Len 16, NAI, 'm' */
	"6e 31 40 65 78 61 6d 70"  /* 16: "n1@examp" */
	"6c 65 2e 63 6f 6d 01 04"  /* 24: "le.com" | 30: PadN(6) */
	"00 00 00 00 16 12 00 40"  /* 32: | 36: HNP Len 18, rsvd, PLen 64 */
	"20 01 0d b8 00 01 00 01"  /* 40: 2001:db8:1:1:: */
	"00 00 00 00 00 00 00 00"  /* 48: */
	"17 02 00 01 18 02 00 04"  /* 56: HI 1 | 60: ATT 4 */
	"01 00 1b 08 00 00 65 53"  /* 64: PadN(2) | 66: Timestamp */
	"f1 00 80 00 01 02 00 00"; /* 72: | 76: PadN(4) to 80 */
static void f_pba_pmip(struct dmm_mh_msg *m)
{
	pba_base(m);
	add_nai(m, "mn1@example.com");
	add_prefix(m, DMM_OPT_HNP, PFX_HNP, 64);
	opt_new(m, DMM_OPT_HI)->u.hi.value = DMM_HI_NEW_IF;
	opt_new(m, DMM_OPT_ATT)->u.att.value = DMM_ATT_80211;
	add_timestamp(m, TS_SECONDS, 0x8000);
}

/* The same PBU with an EUI-48 MN-ID (RFC 8371 subtype 5) 00:16:3e:11:22:33. */
static const char V_PBU_EUI48[] =
	"3b 08 05 00 00 00 00 05"  /*  0: HdrLen 8 (72), seq 5 */
	"82 00 01 2c 08 07 05 00"  /*  8: A|P, 300 | 12: MN-ID Len 7, EUI-48, 00 */
	"16 3e 11 22 33 01 05 00"  /* 16: 16:3e:11:22:33 (ends 21) | 21: PadN(7) to 28 */
	"00 00 00 00 16 12 00 00"  /* 24: | 28: HNP (28 = 8*3+4) Len 18, PLen 0 */
	"00 00 00 00 00 00 00 00"  /* 32: :: */
	"00 00 00 00 00 00 00 00"  /* 40: (HNP ends 48) */
	"17 02 00 01 18 02 00 04"  /* 48: HI 1 | 52: ATT 4 */
	"01 00 1b 08 00 00 65 53"  /* 56: PadN(2) | 58: Timestamp */
	"f1 00 80 00 01 02 00 00"; /* 64: | 68: PadN(4) to 72 */
static void f_pbu_eui48(struct dmm_mh_msg *m)
{
	struct dmm_mh_opt *o;

	pbu_base(m, 5);
	o = opt_new(m, DMM_OPT_MNID);
	o->u.mnid.subtype = DMM_MNID_EUI48;
	bytes_hex(&o->u.mnid.id, "00163e112233");
	add_prefix(m, DMM_OPT_HNP, PFX_ZERO, 0);
	opt_new(m, DMM_OPT_HI)->u.hi.value = DMM_HI_NEW_IF;
	opt_new(m, DMM_OPT_ATT)->u.att.value = DMM_ATT_80211;
	add_timestamp(m, TS_SECONDS, 0x8000);
}

/* ------------------------------------------------------------------ */
/* one vector (at least) per option type                               */

/* Binding Refresh Advice (2n) in a BA, after a 5-octet MN-ID: Pad1. */
static const char V_OPT_BRA[] =
	"3b 02 06 00 00 00 00 00"  /*  0: HdrLen 2, type 6 | status 0, flags 0 */
	"12 34 00 96 08 03 01 61"  /*  8: seq, lifetime 150 | 12: MN-ID Len 3, NAI "a" */
	"62 00 02 02 00 25 01 00"; /* 16: "b" | 17: Pad1 | 18: BRA 0x25 | 22: PadN(2) to 24 */
static void f_opt_bra(struct dmm_mh_msg *m)
{
	msg_new(m, DMM_MH_BA);
	m->u.ba.seq = 0x1234;
	m->u.ba.lifetime = 150;
	add_nai(m, "ab");
	opt_new(m, DMM_OPT_BRA)->u.bra.interval = 0x25;
}

/* Alternate CoA (8n+6) then Nonce Indices (2n) in a BU. */
static const char V_OPT_ACOA[] =
	"3b 04 05 00 00 00 12 34"  /*  0: HdrLen 4 (40) */
	"c0 00 00 96 01 00 03 10"  /*  8: A|H, 150 | 12: PadN(2) | 14: ACoA Len 16 (14 = 8+6) */
	"20 01 0d b8 00 00 00 00"  /* 16: 2001:db8::2 */
	"00 00 00 00 00 00 00 02"  /* 24: (ACoA ends 32) */
	"04 04 00 01 00 02 01 00"; /* 32: Nonce home 1 coa 2 | 38: PadN(2) to 40 */
static void f_opt_acoa(struct dmm_mh_msg *m)
{
	struct dmm_mh_opt *o;

	msg_new(m, DMM_MH_BU);
	m->u.bu.seq = 0x1234;
	m->u.bu.flags = DMM_BU_A | DMM_BU_H;
	m->u.bu.lifetime = 150;
	hexb(opt_new(m, DMM_OPT_ACOA)->u.acoa.b, 16, IP_DB8_2);
	o = opt_new(m, DMM_OPT_NONCE);
	o->u.nonce.home_idx = 1;
	o->u.nonce.coa_idx = 2;
}

/* Nonce Indices (2n) after a 5-octet MN-ID: Pad1, and no trailing pad. */
static const char V_OPT_NONCE[] =
	"3b 02 05 00 00 00 12 34"  /*  0: HdrLen 2 */
	"c0 00 00 96 08 03 01 61"  /*  8: | 12: MN-ID "ab" */
	"62 00 04 04 00 01 00 02"; /* 16: | 17: Pad1 | 18: Nonce 1, 2 (ends at 24) */
static void f_opt_nonce(struct dmm_mh_msg *m)
{
	struct dmm_mh_opt *o;

	msg_new(m, DMM_MH_BU);
	m->u.bu.seq = 0x1234;
	m->u.bu.flags = DMM_BU_A | DMM_BU_H;
	m->u.bu.lifetime = 150;
	add_nai(m, "ab");
	o = opt_new(m, DMM_OPT_NONCE);
	o->u.nonce.home_idx = 1;
	o->u.nonce.coa_idx = 2;
}

/* Binding Authorization Data (8n+2, last) after ACoA and Nonce: the RFC 6275 §5.2.6 shape. */
static const char V_OPT_BAD[] = "3b 06 05 00 00 00 12 34"  /*  0: HdrLen 6 (56) */
				"80 00 00 96 01 00 03 10"  /*  8: A, 150 | 12: PadN(2) | 14: ACoA */
				"20 01 0d b8 00 00 00 00"  /* 16: 2001:db8::2 */
				"00 00 00 00 00 00 00 02"  /* 24: */
				"04 04 00 05 00 06 01 02"  /* 32: Nonce 5, 6 | 38: PadN(4): BAD wants 8n+2 */
				"00 00 05 0c 01 02 03 04"  /* 40: | 42: BAD Len 12 (42 = 8*5+2) */
				"05 06 07 08 09 0a 0b 0c"; /* 48: authenticator (ends 56) */
static void f_opt_bad(struct dmm_mh_msg *m)
{
	struct dmm_mh_opt *o;

	msg_new(m, DMM_MH_BU);
	m->u.bu.seq = 0x1234;
	m->u.bu.flags = DMM_BU_A;
	m->u.bu.lifetime = 150;
	hexb(opt_new(m, DMM_OPT_ACOA)->u.acoa.b, 16, IP_DB8_2);
	o = opt_new(m, DMM_OPT_NONCE);
	o->u.nonce.home_idx = 5;
	o->u.nonce.coa_idx = 6;
	bytes_hex(&opt_new(m, DMM_OPT_BAD)->u.bad, "0102030405060708090a0b0c");
}

/* MN-ID IPv6 (subtype 2, 16 octets) then HNP 2001:db8:1:1::/64. */
static const char V_OPT_MNID_IPV6[] =
	"3b 06 05 00 00 00 00 02"  /*  0: HdrLen 6 (56), seq 2 */
	"82 00 01 2c 08 11 02 20"  /*  8: | 12: MN-ID Len 17, IPv6, 2001:db8::1 from 15 */
	"01 0d b8 00 00 00 00 00"  /* 16: */
	"00 00 00 00 00 00 01 01"  /* 24: (MN-ID ends 31) | 31: PadN(5) */
	"03 00 00 00 16 12 00 40"  /* 32: | 36: HNP PLen 64 */
	"20 01 0d b8 00 01 00 01"  /* 40: */
	"00 00 00 00 00 00 00 00"; /* 48: (ends 56) */
static void f_opt_mnid_ipv6(struct dmm_mh_msg *m)
{
	struct dmm_mh_opt *o;

	pbu_base(m, 2);
	o = opt_new(m, DMM_OPT_MNID);
	o->u.mnid.subtype = DMM_MNID_IPV6;
	bytes_hex(&o->u.mnid.id, IP_DB8_1);
	add_prefix(m, DMM_OPT_HNP, PFX_HNP, 64);
}

/* MN-ID IMSI 123456123456789 (RFC 8371 §4.2 example), HI 3, ATT 3, trailing Pad1. */
static const char V_OPT_MNID_IMSI[] =
	"3b 03 05 00 00 00 00 03"  /*  0: HdrLen 3 (32), seq 3 */
	"82 00 01 2c 08 09 03 12"  /*  8: | 12: MN-ID Len 9, IMSI 12 */
	"34 56 12 34 56 78 9f 17"  /* 16: 34 56 12 34 56 78 9f (ends 23) | 23: HI */
	"02 00 03 18 02 00 03 00"; /* 24: HI 3 | 27: ATT 3 (ends 31) | 31: Pad1 */
static void f_opt_mnid_imsi(struct dmm_mh_msg *m)
{
	struct dmm_mh_opt *o;

	pbu_base(m, 3);
	o = opt_new(m, DMM_OPT_MNID);
	o->u.mnid.subtype = DMM_MNID_IMSI;
	bytes_hex(&o->u.mnid.id, "123456123456789f");
	opt_new(m, DMM_OPT_HI)->u.hi.value = DMM_HI_BETWEEN_MAGS;
	opt_new(m, DMM_OPT_ATT)->u.att.value = DMM_ATT_8023;
}

/* MN-ID P-TMSI (4 octets) then Timestamp (8n+2): PadN(7). */
static const char V_OPT_MNID_PTMSI[] = "3b 04 05 00 00 00 00 04"  /*  0: HdrLen 4 (40), seq 4 */
				       "82 00 01 2c 08 05 04 c0"  /*  8: | 12: MN-ID Len 5, P-TMSI c0 */
				       "01 02 03 01 05 00 00 00"  /* 16: 01 02 03 (ends 19) | 19: PadN(7) */
				       "00 00 1b 08 00 00 65 53"  /* 24: | 26: Timestamp (26 = 8*3+2) */
				       "f1 00 00 01 01 02 00 00"; /* 32: frac 1 | 36: PadN(4) to 40 */
static void f_opt_mnid_ptmsi(struct dmm_mh_msg *m)
{
	struct dmm_mh_opt *o;

	pbu_base(m, 4);
	o = opt_new(m, DMM_OPT_MNID);
	o->u.mnid.subtype = DMM_MNID_PTMSI;
	bytes_hex(&o->u.mnid.id, "c0010203");
	add_timestamp(m, TS_SECONDS, 1);
}

/* MN-ID EUI-64 then ATT: trailing PadN(5). */
static const char V_OPT_MNID_EUI64[] =
	"3b 03 05 00 00 00 00 06"  /*  0: HdrLen 3 (32), seq 6 */
	"82 00 01 2c 08 09 06 02"  /*  8: | 12: MN-ID Len 9, EUI-64 02 */
	"16 3e ff fe 11 22 33 18"  /* 16: 16 3e ff fe 11 22 33 (ends 23) | 23: ATT */
	"02 00 04 01 03 00 00 00"; /* 24: ATT 4 (ends 27) | 27: PadN(5) to 32 */
static void f_opt_mnid_eui64(struct dmm_mh_msg *m)
{
	struct dmm_mh_opt *o;

	pbu_base(m, 6);
	o = opt_new(m, DMM_OPT_MNID);
	o->u.mnid.subtype = DMM_MNID_EUI64;
	bytes_hex(&o->u.mnid.id, "02163efffe112233");
	opt_new(m, DMM_OPT_ATT)->u.att.value = DMM_ATT_80211;
}

/* MN-ID GUTI (10 octets) then HNP: PadN(3). */
static const char V_OPT_MNID_GUTI[] =
	"3b 05 05 00 00 00 00 07"  /*  0: HdrLen 5 (48), seq 7 */
	"82 00 01 2c 08 0b 07 02"  /*  8: | 12: MN-ID Len 11, GUTI 02 */
	"f8 39 80 01 01 c0 01 02"  /* 16: */
	"03 01 01 00 16 12 00 40"  /* 24: 03 (ends 25) | 25: PadN(3) | 28: HNP /64 */
	"20 01 0d b8 00 01 00 01"  /* 32: */
	"00 00 00 00 00 00 00 00"; /* 40: (ends 48) */
static void f_opt_mnid_guti(struct dmm_mh_msg *m)
{
	struct dmm_mh_opt *o;

	pbu_base(m, 7);
	o = opt_new(m, DMM_OPT_MNID);
	o->u.mnid.subtype = DMM_MNID_GUTI;
	bytes_hex(&o->u.mnid.id, "02f839800101c0010203");
	add_prefix(m, DMM_OPT_HNP, PFX_HNP, 64);
}

/* MN-ID DUID (DUID-LLT, 14 octets) then HI 5: trailing PadN(7). */
static const char V_OPT_MNID_DUID[] = "3b 04 05 00 00 00 00 08"	 /*  0: HdrLen 4 (40), seq 8 */
				      "82 00 01 2c 08 0f 08 00"	 /*  8: | 12: MN-ID Len 15, DUID 00 */
				      "01 00 01 2c 0f 3a 11 00"	 /* 16: */
				      "16 3e 11 22 33 17 02 00"	 /* 24: (ends 29) | 29: HI */
				      "05 01 05 00 00 00 00 00"; /* 32: HI 5 (ends 33) | 33: PadN(7) to 40 */
static void f_opt_mnid_duid(struct dmm_mh_msg *m)
{
	struct dmm_mh_opt *o;

	pbu_base(m, 8);
	o = opt_new(m, DMM_OPT_MNID);
	o->u.mnid.subtype = DMM_MNID_DUID;
	bytes_hex(&o->u.mnid.id, "000100012c0f3a1100163e112233");
	opt_new(m, DMM_OPT_HI)->u.hi.value = DMM_HI_NO_CHANGE;
}

/* Mesg-ID (8n+2) then AUTH (4n+1, last), RFC 4285. */
static const char V_OPT_AUTH[] =
	"3b 05 05 00 00 00 12 34"  /*  0: HdrLen 5 (48) */
	"c0 00 00 96 01 04 00 00"  /*  8: A|H, 150 | 12: PadN(6) */
	"00 00 0a 08 e9 4c 3a 80"  /* 16: | 18: Mesg-ID Len 8 (18 = 8*2+2), NTP */
	"12 34 56 78 00 09 11 01"  /* 24: (ends 28) | 28: Pad1 | 29: AUTH (29 = 4*7+1) Len 17, MN-HA */
	"00 00 01 00 a0 a1 a2 a3"  /* 32: SPI 256 | 36: authenticator */
	"a4 a5 a6 a7 a8 a9 aa ab"; /* 40: (ends 48, no trailing pad) */
static void f_opt_auth(struct dmm_mh_msg *m)
{
	struct dmm_mh_opt *o;

	msg_new(m, DMM_MH_BU);
	m->u.bu.seq = 0x1234;
	m->u.bu.flags = DMM_BU_A | DMM_BU_H;
	m->u.bu.lifetime = 150;
	opt_new(m, DMM_OPT_MESGID)->u.mesgid.timestamp = 0xe94c3a8012345678ull;
	o = opt_new(m, DMM_OPT_AUTH);
	o->u.auth.subtype = 1;
	o->u.auth.spi = 256;
	bytes_hex(&o->u.auth.data, "a0a1a2a3a4a5a6a7a8a9aaab");
}

/* Vendor-Specific (4n+2), 3GPP vendor 10415, after HI. */
static const char V_OPT_VSM[] =
	"3b 03 06 00 00 00 00 20"  /*  0: HdrLen 3 (32), PBA */
	"00 01 01 2c 17 02 00 01"  /*  8: | 12: HI 1 */
	"01 00 13 08 00 00 28 af"  /* 16: PadN(2) | 18: VSM (18 = 4*4+2) Len 8, vendor 10415 */
	"01 01 02 03 01 02 00 00"; /* 24: subtype 1, data 01 02 03 | 28: PadN(4) to 32 */
static void f_opt_vsm(struct dmm_mh_msg *m)
{
	struct dmm_mh_opt *o;

	pba_base(m);
	opt_new(m, DMM_OPT_HI)->u.hi.value = DMM_HI_NEW_IF;
	o = opt_new(m, DMM_OPT_VSM);
	o->u.vsm.vendor_id = 10415;
	o->u.vsm.subtype = 1;
	bytes_hex(&o->u.vsm.data, "010203");
}

/* MN-LLID (no alignment) after ATT, then LLA (8n+6). */
static const char V_OPT_MNLLID[] =
	"3b 05 05 00 00 00 00 05"  /*  0: HdrLen 5 (48), seq 5 */
	"82 00 01 2c 18 02 00 04"  /*  8: | 12: ATT 4 */
	"19 08 00 00 00 16 3e 11"  /* 16: MN-LLID Len 8, rsvd(16), 00:16:3e:11:22:33 */
	"22 33 01 02 00 00 1a 10"  /* 24: (ends 26) | 26: PadN(4) | 30: LLA Len 16 (30 = 8*3+6) */
	"fe 80 00 00 00 00 00 00"  /* 32: fe80::216:3eff:fe11:2233 */
	"02 16 3e ff fe 11 22 33"; /* 40: (ends 48) */
static void f_opt_mnllid(struct dmm_mh_msg *m)
{
	pbu_base(m, 5);
	opt_new(m, DMM_OPT_ATT)->u.att.value = DMM_ATT_80211;
	bytes_hex(&opt_new(m, DMM_OPT_MNLLID)->u.mnllid, "00163e112233");
	hexb(opt_new(m, DMM_OPT_LLA)->u.lla.b, 16, IP_LL_MAC);
}

/* Redirect-Capability (4n) after a 7-octet MN-ID: Pad1. */
static const char V_OPT_REDIR_CAP[] =
	"3b 02 05 00 00 00 00 06"  /*  0: HdrLen 2 (24), seq 6 */
	"82 00 01 2c 08 05 01 75"  /*  8: | 12: MN-ID Len 5, NAI "u */
	"40 65 78 00 2e 02 00 00"; /* 16: @ex" (ends 19) | 19: Pad1 | 20: Redirect-Capability (ends 24) */
static void f_opt_redir_cap(struct dmm_mh_msg *m)
{
	pbu_base(m, 6);
	add_nai(m, "u@ex");
	opt_new(m, DMM_OPT_REDIR_CAP);
}

/* Redirect (4n) with an IPv6 r2LMA (K, Len 18) after a 5-octet MN-ID: PadN(3). */
static const char V_OPT_REDIRECT6[] =
	"3b 04 06 00 00 00 00 20"  /*  0: HdrLen 4 (40), PBA */
	"00 01 01 2c 08 03 01 61"  /*  8: | 12: MN-ID "ab" */
	"62 01 01 00 2f 12 80 00"  /* 16: (ends 17) | 17: PadN(3) | 20: Redirect Len 18, K */
	"20 01 0d b8 ff ff 00 00"  /* 24: 2001:db8:ffff::2 */
	"00 00 00 00 00 00 00 02"; /* 32: (ends 40) */
static void f_opt_redirect6(struct dmm_mh_msg *m)
{
	struct dmm_mh_opt *o;

	pba_base(m);
	add_nai(m, "ab");
	o = opt_new(m, DMM_OPT_REDIRECT);
	o->u.redirect.flags = DMM_REDIRECT_K;
	ipaddr_hex(&o->u.redirect.r2lma, IP_LMA_2);
}

/* Redirect with an IPv4 r2LMA (N, Len 6) after a 6-octet MN-ID: PadN(2). */
static const char V_OPT_REDIRECT4[] =
	"3b 03 06 00 00 00 00 20"  /*  0: HdrLen 3 (32) */
	"00 01 01 2c 08 04 01 61"  /*  8: | 12: MN-ID Len 4 "abc" */
	"62 63 01 00 2f 06 40 00"  /* 16: (ends 18) | 18: PadN(2) | 20: Redirect Len 6, N */
	"c0 00 02 01 01 02 00 00"; /* 24: 192.0.2.1 (ends 28) | 28: PadN(4) */
static void f_opt_redirect4(struct dmm_mh_msg *m)
{
	struct dmm_mh_opt *o;

	pba_base(m);
	add_nai(m, "abc");
	o = opt_new(m, DMM_OPT_REDIRECT);
	o->u.redirect.flags = DMM_REDIRECT_N;
	ipaddr_hex(&o->u.redirect.r2lma, "c0000201");
}

/* Load Information (4n) after a 7-octet MN-ID: Pad1. */
static const char V_OPT_LOAD[] =
	"3b 04 06 00 00 00 00 20"  /*  0: HdrLen 4 (40) */
	"00 01 01 2c 08 05 01 61"  /*  8: | 12: MN-ID Len 5 "abcd" */
	"62 63 64 00 30 12 00 01"  /* 16: (ends 19) | 19: Pad1 | 20: Load Len 18, priority 1 */
	"00 00 03 e8 00 01 86 a0"  /* 24: in use 1000, max 100000 */
	"00 00 00 32 00 00 00 64"; /* 32: used 50, max 100 (ends 40) */
static void f_opt_load(struct dmm_mh_msg *m)
{
	struct dmm_mh_opt *o;

	pba_base(m);
	add_nai(m, "abcd");
	o = opt_new(m, DMM_OPT_LOAD);
	o->u.load.priority = 1;
	o->u.load.sessions_in_use = 1000;
	o->u.load.max_sessions = 100000;
	o->u.load.used_capacity = 50;
	o->u.load.max_capacity = 100;
}

/* LMA User-Plane Address (8n+2), IPv6, after HI. */
static const char V_OPT_LMA_UPA6[] =
	"3b 04 06 00 00 00 00 20"  /*  0: HdrLen 4 (40) */
	"00 01 01 2c 17 02 00 01"  /*  8: | 12: HI 1 */
	"01 00 3b 12 00 00 20 01"  /* 16: PadN(2) | 18: LMA UPA Len 18, rsvd(16), 2001:db8:ffff::10 */
	"0d b8 ff ff 00 00 00 00"  /* 24: */
	"00 00 00 00 00 10 01 00"; /* 32: (ends 38) | 38: PadN(2) to 40 */
static void f_opt_lma_upa6(struct dmm_mh_msg *m)
{
	pba_base(m);
	opt_new(m, DMM_OPT_HI)->u.hi.value = DMM_HI_NEW_IF;
	ipaddr_hex(&opt_new(m, DMM_OPT_LMA_UPA)->u.lma_upa, IP_LMA_10);
}

/* LMA User-Plane Address, IPv4, first option, then HI. */
static const char V_OPT_LMA_UPA4[] = "3b 03 06 00 00 00 00 20"	/*  0: HdrLen 3 (32) */
				     "00 01 01 2c 01 04 00 00"	/*  8: | 12: PadN(6) */
				     "00 00 3b 06 00 00 c0 00"	/* 16: | 18: LMA UPA Len 6, 192.0.2.10 */
				     "02 0a 17 02 00 01 01 00"; /* 24: (ends 26) | 26: HI 1 | 30: PadN(2) */
static void f_opt_lma_upa4(struct dmm_mh_msg *m)
{
	pba_base(m);
	ipaddr_hex(&opt_new(m, DMM_OPT_LMA_UPA)->u.lma_upa, "c000020a");
	opt_new(m, DMM_OPT_HI)->u.hi.value = DMM_HI_NEW_IF;
}

/* LMA User-Plane Address, empty (as sent in a PBU, RFC 7389 §5), after ATT. */
static const char V_OPT_LMA_UPA0[] =
	"3b 02 05 00 00 00 00 07"  /*  0: HdrLen 2 (24), seq 7 */
	"82 00 01 2c 18 02 00 04"  /*  8: | 12: ATT 4 */
	"01 00 3b 02 00 00 01 00"; /* 16: PadN(2) | 18: LMA UPA Len 2 (ends 22) | 22: PadN(2) */
static void f_opt_lma_upa0(struct dmm_mh_msg *m)
{
	pbu_base(m, 7);
	opt_new(m, DMM_OPT_ATT)->u.att.value = DMM_ATT_80211;
	opt_new(m, DMM_OPT_LMA_UPA);
}

/* Anchored Prefix and Local Prefix (8n+4) in a D-flagged PBU (RFC 8885 §4.3, §4.4). */
static const char V_OPT_DMM_PREFIXES[] =
	"3b 07 05 00 00 00 00 08"  /*  0: HdrLen 7 (64), seq 8 */
	"82 10 01 2c 08 03 01 61"  /*  8: A|P|D | 12: MN-ID "ab" */
	"62 01 01 00 41 12 00 30"  /* 16: | 17: PadN(3) | 20: Anchored Prefix Len 18, PLen 48 */
	"20 01 0d b8 00 0a 00 00"  /* 24: 2001:db8:a:: */
	"00 00 00 00 00 00 00 00"  /* 32: (ends 40) */
	"01 02 00 00 42 12 00 30"  /* 40: PadN(4) | 44: Local Prefix Len 18, PLen 48 */
	"20 01 0d b8 00 10 00 00"  /* 48: 2001:db8:10:: */
	"00 00 00 00 00 00 00 00"; /* 56: (ends 64) */
static void f_opt_dmm_prefixes(struct dmm_mh_msg *m)
{
	pbu_base(m, 8);
	m->u.bu.flags |= DMM_BU_D;
	add_nai(m, "ab");
	add_prefix(m, DMM_OPT_ANCHORED_PREFIX, PFX_ANCH, 48);
	add_prefix(m, DMM_OPT_LOCAL_PREFIX, PFX_LOCAL, 48);
}

/* Previous MAAR (8n+4, Len 34) in a D-flagged PBA after HI 3 (RFC 8885 §4.5). */
static const char V_OPT_PREV_MAAR[] =
	"3b 06 06 00 00 00 00 22"  /*  0: HdrLen 6 (56) | flags P|D */
	"00 01 01 2c 17 02 00 03"  /*  8: | 12: HI 3 */
	"01 02 00 00 43 22 00 40"  /* 16: PadN(4) | 20: Previous MAAR Len 34, PLen 64 */
	"20 01 0d b8 ff ff 00 00"  /* 24: P-MAAR 2001:db8:ffff::1 */
	"00 00 00 00 00 00 00 01"  /* 32: */
	"20 01 0d b8 00 01 00 01"  /* 40: HNP 2001:db8:1:1:: */
	"00 00 00 00 00 00 00 00"; /* 48: (ends 56) */
static void f_opt_prev_maar(struct dmm_mh_msg *m)
{
	struct dmm_mh_opt *o;

	pba_base(m);
	m->u.ba.flags |= DMM_BA_D;
	opt_new(m, DMM_OPT_HI)->u.hi.value = DMM_HI_BETWEEN_MAGS;
	o = opt_new(m, DMM_OPT_PREV_MAAR);
	hexb(o->u.prev_maar.maar.b, 16, IP_LMA_1);
	hexb(o->u.prev_maar.hnp.addr.b, 16, PFX_HNP);
	o->u.prev_maar.hnp.len = 64;
}

/* Serving MAAR (8n+6) in a PBU CMD -> P-MAAR after a 5-octet MN-ID: PadN(5). */
static const char V_OPT_SERVING_MAAR[] =
	"3b 04 05 00 00 00 00 09"  /*  0: HdrLen 4 (40), seq 9 */
	"82 10 01 2c 08 03 01 61"  /*  8: A|P|D | 12: MN-ID "ab" */
	"62 01 03 00 00 00 44 10"  /* 16: (ends 17) | 17: PadN(5) | 22: Serving MAAR (22 = 8*2+6) */
	"20 01 0d b8 ff ff 00 00"  /* 24: 2001:db8:ffff::2 */
	"00 00 00 00 00 00 00 02"; /* 32: (ends 40) */
static void f_opt_serving_maar(struct dmm_mh_msg *m)
{
	pbu_base(m, 9);
	m->u.bu.flags |= DMM_BU_D;
	add_nai(m, "ab");
	hexb(opt_new(m, DMM_OPT_SERVING_MAAR)->u.serving_maar.b, 16, IP_LMA_2);
}

/* DLIF Link-Local Address (8n+6) then DLIF Link-Layer Address (none) in a PBA. */
static const char V_OPT_DLIF[] =
	"3b 05 06 00 00 00 00 22"  /*  0: HdrLen 5 (48) | P|D */
	"00 01 01 2c 01 00 45 10"  /*  8: | 12: PadN(2) | 14: DLIF LLA Len 16 */
	"fe 80 00 00 00 00 00 00"  /* 16: fe80::1 */
	"00 00 00 00 00 00 00 01"  /* 24: (ends 32) */
	"46 08 00 00 02 00 00 00"  /* 32: DLIF LL Len 8, rsvd(16), 02:00:00:00:00:01 */
	"00 01 01 04 00 00 00 00"; /* 40: (ends 42) | 42: PadN(6) to 48 */
static void f_opt_dlif(struct dmm_mh_msg *m)
{
	pba_base(m);
	m->u.ba.flags |= DMM_BA_D;
	hexb(opt_new(m, DMM_OPT_DLIF_LLA)->u.dlif_lla.b, 16, IP_LL_1);
	bytes_hex(&opt_new(m, DMM_OPT_DLIF_LL)->u.dlif_ll, "020000000001");
}

/* ------------------------------------------------------------------ */
/* decode-only vectors: what the decoder accepts beyond the canonical form */

static void bu_c000(struct dmm_mh_msg *m)
{
	msg_new(m, DMM_MH_BU);
	m->u.bu.seq = 0x1234;
	m->u.bu.flags = DMM_BU_A | DMM_BU_H;
	m->u.bu.lifetime = 150;
}

/* Unknown option type 200 Len 3 is skipped and counted (RFC 6275 §9.2). */
static const char V_UNKNOWN_OPT[] = "3b 02 05 00 00 00 12 34"  /*  0: HdrLen 2 */
				    "c0 00 00 96 c8 03 aa bb"  /*  8: | 12: type 200 Len 3 */
				    "cc 17 02 00 01 01 01 00"; /* 16: (ends 17) | 17: HI 1 | 21: PadN(3) */
static const char V_UNKNOWN_OPT_CANON[] = "3b 01 05 00 00 00 12 34"
					  "c0 00 00 96 17 02 00 01"; /* 12: HI 1 (ends 16) */
static void f_unknown_opt(struct dmm_mh_msg *m)
{
	bu_c000(m);
	opt_new(m, DMM_OPT_HI)->u.hi.value = DMM_HI_NEW_IF;
	m->unknown_opts = 1;
}

/* Two unknown options, one of them empty (type 201 Len 0). */
static const char V_UNKNOWN_OPT2[] =
	"3b 02 05 00 00 00 12 34"  /*  0: */
	"c0 00 00 96 c8 03 aa bb"  /*  8: | 12: type 200 Len 3 */
	"cc c9 00 17 02 00 01 00"; /* 16: | 17: type 201 Len 0 | 19: HI 1 | 23: Pad1 */
static void f_unknown_opt2(struct dmm_mh_msg *m)
{
	f_unknown_opt(m);
	m->unknown_opts = 2;
}

/* Non-minimal padding is accepted: one PadN of 12 octets. */
static const char V_PADN_LONG[] = "3b 02 05 00 00 00 12 34"  /*  0: HdrLen 2 */
				  "c0 00 00 96 01 0a 00 00"  /*  8: | 12: PadN Len 10 */
				  "00 00 00 00 00 00 00 00"; /* 16: (ends 24) */
/* ... and four Pad1. */
static const char V_PAD1_RUN[] = "3b 01 05 00 00 00 12 34"
				 "c0 00 00 96 00 00 00 00"; /* 12: Pad1 x4 */
static const char V_BU_C000_CANON[] = "3b 01 05 00 00 00 12 34"
				      "c0 00 00 96 01 02 00 00";

/* ------------------------------------------------------------------ */
/* tolerated on receipt, noted (RFC 6275 §6.2.1 and the Reserved rules) */

static void pbu_hnp_64(struct dmm_mh_msg *m)
{
	pbu_base(m, 1);
	add_prefix(m, DMM_OPT_HNP, PFX_HNP, 64);
}

/* RFC 6275 §6.2.1: alignment is the sender's rule. HNP at 8n+6 (wants 8n+4). */
static const char V_TOL_ALIGN_HNP[] = "3b 04 05 00 00 00 00 01"	 /*  0: BU seq 1 */
				      "82 00 01 2c 01 00 16 12"	 /*  8: A|P, 300 | 12: PadN(2) | 14: HNP */
				      "00 40 20 01 0d b8 00 01"	 /* 16: rsvd, PLen 64, 2001:db8:1:1:: */
				      "00 01 00 00 00 00 00 00"	 /* 24: */
				      "00 00 01 04 00 00 00 00"; /* 32: (HNP ends 34) | 34: PadN(6) */
static const char V_TOL_ALIGN_HNP_CANON[] = "3b 03 05 00 00 00 00 01"
					    "82 00 01 2c 16 12 00 40" /* 12: HNP at 8n+4 */
					    "20 01 0d b8 00 01 00 01"
					    "00 00 00 00 00 00 00 00";

/* ACoA at 8n+4 (wants 8n+6). */
static const char V_TOL_ALIGN_ACOA[] = "3b 03 05 00 00 00 12 34"  /*  0: BU seq 0x1234 */
				       "c0 00 00 96 03 10 20 01"  /*  8: A|H, 150 | 12: ACoA 2001:db8::2 */
				       "0d b8 00 00 00 00 00 00"  /* 16: */
				       "00 00 00 00 00 02 01 00"; /* 24: (ends 30) | 30: PadN(2) */
static const char V_TOL_ALIGN_ACOA_CANON[] = "3b 03 05 00 00 00 12 34"
					     "c0 00 00 96 01 00 03 10" /* 12: PadN(2) | 14: ACoA */
					     "20 01 0d b8 00 00 00 00"
					     "00 00 00 00 00 00 00 02";
static void f_tol_align_acoa(struct dmm_mh_msg *m)
{
	bu_c000(m);
	hexb(opt_new(m, DMM_OPT_ACOA)->u.acoa.b, 16, IP_DB8_2);
}

/* RFC 5213 §8.5: ATT 0 is reserved; independent MAGs send it. Canonical: we echo it as is. */
static const char V_TOL_ATT_ZERO[] = "3b 01 05 00 00 00 00 01"
				     "82 00 01 2c 18 02 00 00"; /* 12: ATT Len 2, rsvd, 0 */
static void f_tol_att_zero(struct dmm_mh_msg *m)
{
	pbu_base(m, 1);
	opt_new(m, DMM_OPT_ATT)->u.att.value = 0;
}

/*
 * Reserved octets set: the MH header's (3), the HNP's (14), the HI's
 * (18); and the BU's unassigned flag bits 0x000f. RFC 6275 §6.1.1,
 * RFC 5213 §8.3/§8.4: "MUST be ignored by the receiver". The Reserved
 * octets re-encode as 0; the flag bits stay in flags.
 */
static const char V_TOL_RSV[] = "3b 04 05 ff 00 00 00 01"  /*  0: Reserved 0xff */
				"82 0f 01 2c 16 12 a5 40"  /*  8: A|P + 0x000f | 12: HNP, rsvd 0xa5 */
				"20 01 0d b8 00 01 00 01"  /* 16: */
				"00 00 00 00 00 00 00 00"  /* 24: (HNP ends 32) */
				"17 02 5a 01 01 02 00 00"; /* 32: HI rsvd 0x5a, 1 | 36: PadN(4) */
static const char V_TOL_RSV_CANON[] = "3b 04 05 00 00 00 00 01"
				      "82 0f 01 2c 16 12 00 40"
				      "20 01 0d b8 00 01 00 01"
				      "00 00 00 00 00 00 00 00"
				      "17 02 00 01 01 02 00 00";
static void f_tol_rsv(struct dmm_mh_msg *m)
{
	pbu_hnp_64(m);
	m->u.bu.flags |= 0x000f;
	opt_new(m, DMM_OPT_HI)->u.hi.value = DMM_HI_NEW_IF;
}

/*
 * RFC 5213 §5.3.6: the PBA refusing a PBU that had no MN-ID, HNP, HI or
 * ATT carries the empty forms: an MN-ID with a zero-length identifier,
 * one HNP ALL_ZERO, HI 0 and ATT 0. Canonical (our encoder writes them).
 */
static const char V_PBA_EMPTY[] =
	"3b 05 06 00 00 00 80 20"  /*  0: BA | 6: status 128, P */
	"00 07 00 00 08 01 01 01"  /*  8: seq 7, lifetime 0 | 12: MN-ID Len 1, NAI | 15: PadN(3) */
	"03 00 00 00 16 12 00 00"  /* 16: | 20: HNP Len 18, PLen 0 */
	"00 00 00 00 00 00 00 00"  /* 24: :: */
	"00 00 00 00 00 00 00 00"  /* 32: (HNP ends 40) */
	"17 02 00 00 18 02 00 00"; /* 40: HI 0 | 44: ATT 0 */
static void f_pba_empty(struct dmm_mh_msg *m)
{
	pba_base(m);
	m->u.ba.status = DMM_BA_UNSPECIFIED;
	m->u.ba.seq = 7;
	m->u.ba.lifetime = 0;
	opt_new(m, DMM_OPT_MNID)->u.mnid.subtype = DMM_MNID_NAI; /* identifier length 0 */
	add_prefix(m, DMM_OPT_HNP, PFX_ZERO, 0);
	opt_new(m, DMM_OPT_HI)->u.hi.value = 0;
	opt_new(m, DMM_OPT_ATT)->u.att.value = 0;
}

/*
 * RFC 5213 §6.9.1.1 and §5.3.6: the PBU's all-zero forms the PBA copies
 * back when it refuses: HNP ALL_ZERO (::/0, "allocate"), Link-local
 * Address ALL_ZERO, and an all-zero MN-LLID. Plain values: no note.
 */
static const char V_PBU_ZERO_FORMS[] =
	"3b 08 05 00 00 00 00 02"  /*  0: BU seq 2 */
	"82 00 01 2c 16 12 00 00"  /*  8: A|P, 300 | 12: HNP ::/0 */
	"00 00 00 00 00 00 00 00"  /* 16: */
	"00 00 00 00 00 00 00 00"  /* 24: (ends 32) */
	"17 02 00 01 18 02 00 03"  /* 32: HI 1 | 36: ATT 3 (802.3) */
	"19 08 00 00 00 00 00 00"  /* 40: MN-LLID Len 8, rsvd, 00:00:00:00:00:00 */
	"00 00 01 02 00 00 1a 10"  /* 48: (ends 50) | 50: PadN(4) | 54: LLA Len 16 */
	"00 00 00 00 00 00 00 00"  /* 56: :: */
	"00 00 00 00 00 00 00 00"; /* 64: (ends 72) */
static void f_pbu_zero_forms(struct dmm_mh_msg *m)
{
	pbu_base(m, 2);
	add_prefix(m, DMM_OPT_HNP, PFX_ZERO, 0);
	opt_new(m, DMM_OPT_HI)->u.hi.value = DMM_HI_NEW_IF;
	opt_new(m, DMM_OPT_ATT)->u.att.value = DMM_ATT_8023;
	opt_new(m, DMM_OPT_MNLLID)->u.mnllid.len = 6;
	opt_new(m, DMM_OPT_LLA);
}

struct tolerated {
	const char *name;
	const char *hex;
	void (*fill)(struct dmm_mh_msg *m);
	const char *canon; /* NULL: canonical */
	uint16_t notes;	   /* DMM_MH_NOTE_* the decoder must report */
};

static const struct tolerated tolerated[] = {
	{"tol_opt_align_hnp", V_TOL_ALIGN_HNP, pbu_hnp_64, V_TOL_ALIGN_HNP_CANON, DMM_MH_NOTE_MISALIGNED},
	{"tol_opt_align_acoa", V_TOL_ALIGN_ACOA, f_tol_align_acoa, V_TOL_ALIGN_ACOA_CANON,
	 DMM_MH_NOTE_MISALIGNED},
	{"tol_att_zero", V_TOL_ATT_ZERO, f_tol_att_zero, NULL, DMM_MH_NOTE_RESERVED_VALUE},
	{"tol_reserved", V_TOL_RSV, f_tol_rsv, V_TOL_RSV_CANON, DMM_MH_NOTE_RESERVED_BITS},
	{"pba_empty_forms", V_PBA_EMPTY, f_pba_empty, NULL,
	 DMM_MH_NOTE_EMPTY_FORM | DMM_MH_NOTE_RESERVED_VALUE},
	{"pbu_zero_forms", V_PBU_ZERO_FORMS, f_pbu_zero_forms, NULL, 0},
	{"unknown_opt_noted", V_UNKNOWN_OPT, f_unknown_opt, V_UNKNOWN_OPT_CANON, DMM_MH_NOTE_UNKNOWN_OPT},
};

#define NTOLERATED (sizeof(tolerated) / sizeof(tolerated[0]))

/* ------------------------------------------------------------------ */
/* the table                                                           */

struct golden {
	const char *name;
	const char *hex;
	void (*fill)(struct dmm_mh_msg *m);
	const char *canon; /* NULL: the vector is canonical (encode must reproduce it) */
};

static const struct golden golden[] = {
	/* messages */
	{"brr", V_BRR, f_brr, NULL},
	{"bu", V_BU, f_bu, NULL},
	{"bu_allflags", V_BU_ALLFLAGS, f_bu_allflags, NULL},
	{"pbu_pmip", V_PBU_PMIP, f_pbu_pmip, NULL},
	{"pbu_eui48", V_PBU_EUI48, f_pbu_eui48, NULL},
	{"ba", V_BA, f_ba, NULL},
	{"ba_allflags", V_BA_ALLFLAGS, f_ba_allflags, NULL},
	{"pba_pmip", V_PBA_PMIP, f_pba_pmip, NULL},
	{"be", V_BE, f_be, NULL},
	{"has", V_HAS, f_has, NULL},
	{"has_bra", V_HAS_BRA, f_has_bra, NULL},
	{"hb_req", V_HB_REQ, f_hb_req, NULL},
	{"hb_resp", V_HB_RESP, f_hb_resp, NULL},
	{"hb_unsol", V_HB_UNSOL, f_hb_unsol, NULL},
	{"hi", V_HI, f_hi, NULL},
	{"hi_mnid", V_HI_MNID, f_hi_mnid, NULL},
	{"hack", V_HACK, f_hack, NULL},
	{"bri", V_BRI, f_bri, NULL},
	{"bra", V_BRA_MSG, f_bra_msg, NULL},
	{"upn", V_UPN, f_upn, NULL},
	{"upa", V_UPA, f_upa, NULL},
	/* options */
	{"opt_bra", V_OPT_BRA, f_opt_bra, NULL},
	{"opt_acoa", V_OPT_ACOA, f_opt_acoa, NULL},
	{"opt_nonce", V_OPT_NONCE, f_opt_nonce, NULL},
	{"opt_bad", V_OPT_BAD, f_opt_bad, NULL},
	{"opt_mnid_ipv6", V_OPT_MNID_IPV6, f_opt_mnid_ipv6, NULL},
	{"opt_mnid_imsi", V_OPT_MNID_IMSI, f_opt_mnid_imsi, NULL},
	{"opt_mnid_ptmsi", V_OPT_MNID_PTMSI, f_opt_mnid_ptmsi, NULL},
	{"opt_mnid_eui64", V_OPT_MNID_EUI64, f_opt_mnid_eui64, NULL},
	{"opt_mnid_guti", V_OPT_MNID_GUTI, f_opt_mnid_guti, NULL},
	{"opt_mnid_duid", V_OPT_MNID_DUID, f_opt_mnid_duid, NULL},
	{"opt_mesgid_auth", V_OPT_AUTH, f_opt_auth, NULL},
	{"opt_vsm", V_OPT_VSM, f_opt_vsm, NULL},
	{"opt_mnllid_lla", V_OPT_MNLLID, f_opt_mnllid, NULL},
	{"opt_redir_cap", V_OPT_REDIR_CAP, f_opt_redir_cap, NULL},
	{"opt_redirect6", V_OPT_REDIRECT6, f_opt_redirect6, NULL},
	{"opt_redirect4", V_OPT_REDIRECT4, f_opt_redirect4, NULL},
	{"opt_load", V_OPT_LOAD, f_opt_load, NULL},
	{"opt_lma_upa6", V_OPT_LMA_UPA6, f_opt_lma_upa6, NULL},
	{"opt_lma_upa4", V_OPT_LMA_UPA4, f_opt_lma_upa4, NULL},
	{"opt_lma_upa0", V_OPT_LMA_UPA0, f_opt_lma_upa0, NULL},
	{"opt_anchored_local_prefix", V_OPT_DMM_PREFIXES, f_opt_dmm_prefixes, NULL},
	{"opt_prev_maar", V_OPT_PREV_MAAR, f_opt_prev_maar, NULL},
	{"opt_serving_maar", V_OPT_SERVING_MAAR, f_opt_serving_maar, NULL},
	{"opt_dlif", V_OPT_DLIF, f_opt_dlif, NULL},
	/* decode-only */
	{"unknown_opt", V_UNKNOWN_OPT, f_unknown_opt, V_UNKNOWN_OPT_CANON},
	{"unknown_opt2", V_UNKNOWN_OPT2, f_unknown_opt2, V_UNKNOWN_OPT_CANON},
	{"padn_long", V_PADN_LONG, bu_c000, V_BU_C000_CANON},
	{"pad1_run", V_PAD1_RUN, bu_c000, V_BU_C000_CANON},
};

#define NGOLDEN (sizeof(golden) / sizeof(golden[0]))

/* ------------------------------------------------------------------ */
/* negative vectors                                                    */

struct bad {
	const char *name;
	const char *hex;
	int err;
};

static const struct bad bad[] = {
	/* header */
	{"bad_truncated_body", /* BU of 16 octets, 15 given */
	 "3b 01 05 00 00 00 12 34  d0 00 00 96 01 02 00", DMM_ERR_TRUNCATED},
	{"bad_truncated_short", "3b 01 05 00", DMM_ERR_TRUNCATED},
	{"bad_payload_proto", /* BRR with Payload Proto 6 */
	 "06 00 00 00 00 00 00 00", DMM_ERR_PAYLOAD_PROTO},
	{"bad_hdr_len_bu", /* BU needs 12 octets, Header Len 0 gives 8 */
	 "3b 00 05 00 00 00 12 34", DMM_ERR_HDR_LEN},
	{"bad_hdr_len_be", /* BE needs 24 octets, Header Len 1 gives 16 */
	 "3b 01 07 00 00 00 01 00  20 01 0d b8 00 00 00 00", DMM_ERR_HDR_LEN},
	{"bad_hdr_len_hi", /* HI needs 10 octets */
	 "3b 00 0e 00 00 00 01 02", DMM_ERR_HDR_LEN},
	{"bad_unknown_type", /* MH type 99 */
	 "3b 01 63 00 00 00 00 00  00 00 00 00 00 00 00 00", DMM_ERR_UNKNOWN_TYPE},
	{"bad_br_type3", "3b 01 10 00 00 00 03 00  00 07 00 00 01 02 00 00", DMM_ERR_BR_TYPE},
	{"bad_br_type0", "3b 01 10 00 00 00 00 00  00 07 00 00 01 02 00 00", DMM_ERR_BR_TYPE},
	{"bad_ha_count", /* #addrs 3 but room for 2 */
	 "3b 04 0c 00 00 00 03 00"
	 "20 01 0d b8 00 00 00 00  00 00 00 00 00 00 00 01"
	 "20 01 0d b8 00 00 00 00  00 00 00 00 00 00 00 02",
	 DMM_ERR_HA_COUNT},
	/* option framing */
	{"bad_opt_truncated", /* 12: type 200 Len 6 runs to 20 > 16 */
	 "3b 01 05 00 00 00 00 01  82 00 01 2c c8 06 00 00", DMM_ERR_OPT_TRUNCATED},
	{"bad_opt_truncated_type", /* 12: PadN(3) | 15: a lone type octet */
	 "3b 01 05 00 00 00 00 01  82 00 01 2c 01 01 00 17", DMM_ERR_OPT_TRUNCATED},
	{"bad_opt_len_hnp17", /* 12: HNP Len 17 (ends 31) | 31: Pad1 */
	 "3b 03 05 00 00 00 00 01  82 00 01 2c 16 11 00 40"
	 "20 01 0d b8 00 01 00 01  00 00 00 00 00 00 00 00",
	 DMM_ERR_OPT_LEN},
	{"bad_opt_len_hi1", /* 12: HI Len 1 | 15: Pad1 */
	 "3b 01 05 00 00 00 00 01  82 00 01 2c 17 01 04 00", DMM_ERR_OPT_LEN},
	{"bad_opt_dup_hi", /* 12: HI 1 | 16: HI 1 | 20: PadN(4) */
	 "3b 02 05 00 00 00 00 01  82 00 01 2c 17 02 00 01  17 02 00 01 01 02 00 00", DMM_ERR_OPT_DUP},
	{"bad_opt_not_last", /* 12: Pad1 | 13: AUTH (ends 32) | 32: HI | 36: PadN(4) */
	 "3b 04 05 00 00 00 12 34  c0 00 00 96 00 09 11 01"
	 "00 00 01 00 a0 a1 a2 a3  a4 a5 a6 a7 a8 a9 aa ab"
	 "17 02 00 01 01 02 00 00",
	 DMM_ERR_OPT_NOT_LAST},
	{"bad_opt_after_bad", /* 12: PadN(6) | 18: BAD Len 2 | 22: HI (RFC 6275 §6.2.7: BAD is last) */
	 "3b 03 05 00 00 00 12 34  80 00 00 96 01 04 00 00"
	 "00 00 05 02 aa bb 17 02  00 01 01 04 00 00 00 00",
	 DMM_ERR_OPT_NOT_LAST},
	/* option contents */
	{"bad_hi_zero", "3b 01 05 00 00 00 00 01  82 00 01 2c 17 02 00 00", DMM_ERR_OPT_RESERVED},
	/* RFC 5213 §5.3.6's empty forms belong in a PBA only: in a PBU they would name nobody. */
	{"bad_mnid_empty_in_bu", /* 12: MN-ID Len 1, NAI, no identifier | 15: Pad1 */
	 "3b 01 05 00 00 00 00 01  82 00 01 2c 08 01 01 00", DMM_ERR_MNID_LEN},
	{"bad_mnid_subtype0_empty", /* 12: MN-ID Len 1, subtype 0 (reserved, RFC 4283 §3), in a PBA */
	 "3b 01 06 00 00 00 80 20  00 01 00 00 08 01 00 00", DMM_ERR_OPT_RESERVED},
	{"bad_hi_zero_in_bri", /* HI 0 in a BRI is no §5.3.6 empty form: 12: HI 0 */
	 "3b 01 10 00 00 00 01 00  00 07 80 00 17 02 00 00", DMM_ERR_OPT_RESERVED},
	{"bad_prefix_len", /* 12: HNP PLen 129 */
	 "3b 03 05 00 00 00 00 01  82 00 01 2c 16 12 00 81"
	 "20 01 0d b8 00 01 00 01  00 00 00 00 00 00 00 00",
	 DMM_ERR_PREFIX_LEN},
	{"bad_mnid_eui48_len5", /* 12: MN-ID Len 6, EUI-48 of 5 octets | 20: PadN(4) */
	 "3b 02 05 00 00 00 00 01  82 00 01 2c 08 06 05 00  16 3e 11 22 01 02 00 00", DMM_ERR_MNID_LEN},
	{"bad_mnid_ptmsi_len3", /* 12: MN-ID Len 4, P-TMSI of 3 octets | 18: PadN(6) */
	 "3b 02 05 00 00 00 00 01  82 00 01 2c 08 04 04 c0  01 02 01 04 00 00 00 00", DMM_ERR_MNID_LEN},
	{"bad_mnid_ipv6_linklocal", /* 12: MN-ID IPv6 fe80::1 (ends 31) | 31: Pad1 */
	 "3b 03 05 00 00 00 00 01  82 00 01 2c 08 11 02 fe"
	 "80 00 00 00 00 00 00 00  00 00 00 00 00 00 01 00",
	 DMM_ERR_MNID_ADDR},
	{"bad_mnid_ipv6_multicast", /* ff02::1 */
	 "3b 03 05 00 00 00 00 01  82 00 01 2c 08 11 02 ff"
	 "02 00 00 00 00 00 00 00  00 00 00 00 00 00 01 00",
	 DMM_ERR_MNID_ADDR},
	{"bad_mnid_ipv6_unspecified", /* :: (RFC 8371 §4.1) */
	 "3b 03 05 00 00 00 00 01  82 00 01 2c 08 11 02 00"
	 "00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00",
	 DMM_ERR_MNID_ADDR},
	{"bad_mnid_imsi_nibble", /* 12: IMSI 12 34 5a ... (ends 23) | 23: Pad1 */
	 "3b 02 05 00 00 00 00 01  82 00 01 2c 08 09 03 12  34 5a 12 34 56 78 9f 00", DMM_ERR_MNID_IMSI},
	{"bad_mnid_imsi_inner_f", /* filler 0xf before the last digit */
	 "3b 02 05 00 00 00 00 01  82 00 01 2c 08 09 03 12  f4 56 12 34 56 78 9f 00", DMM_ERR_MNID_IMSI},
	{"bad_redirect_kn", /* 12: Redirect Len 18 with K and N */
	 "3b 03 06 00 00 00 00 20  00 01 01 2c 2f 12 c0 00"
	 "20 01 0d b8 ff ff 00 00  00 00 00 00 00 00 00 02",
	 DMM_ERR_REDIRECT_FLAGS},
	{"bad_redirect_none", /* 12: Redirect Len 6 with neither K nor N | 20: PadN(4) */
	 "3b 02 06 00 00 00 00 20  00 01 01 2c 2f 06 00 00  c0 00 02 01 01 02 00 00", DMM_ERR_REDIRECT_FLAGS},
	{"bad_lma_upa_len5", /* 12: PadN(6) | 18: LMA UPA Len 7 (5 address octets) | 27: PadN(5) */
	 "3b 03 06 00 00 00 00 20  00 01 01 2c 01 04 00 00"
	 "00 00 3b 07 00 00 c0 00  02 0a 0b 01 03 00 00 00",
	 DMM_ERR_ADDR_LEN},
};

#define NBAD (sizeof(bad) / sizeof(bad[0]))

/* ------------------------------------------------------------------ */
/* checks                                                              */

static void check_golden(const struct golden *g)
{
	uint8_t wire[DMM_MH_MAX_LEN + 16], canon[DMM_MH_MAX_LEN], out[DMM_MH_MAX_LEN];
	struct dmm_mh_msg want, got, again;
	size_t n = unhex(wire, DMM_MH_MAX_LEN, g->hex);
	size_t cn = g->canon ? unhex(canon, sizeof(canon), g->canon) : n;
	int r;

	if (!g->canon)
		memcpy(canon, wire, n);
	g->fill(&want);

	/* the vector itself is well formed: Header Len and multiple of 8 */
	CHECK(n % 8 == 0 && wire[1] == n / 8 - 1);
	CHECK(cn % 8 == 0 && canon[1] == cn / 8 - 1);

	/* encode(fill) == canonical bytes */
	if (!g->canon) {
		memset(out, 0xee, sizeof(out));
		r = dmm_mh_encode(out, sizeof(out), &want);
		CHECK_EQ(r, (int)n);
		if (r != (int)n || memcmp(out, wire, n) != 0) {
			fprintf(stderr, "%s: encode differs from the golden bytes (r=%d %s)\n", g->name, r,
				r < 0 ? dmm_errname(r) : "");
			print_hex("golden ", wire, n);
			if (r > 0)
				print_hex("encoded", out, (size_t)r);
		}
		CHECK_MEM(out, wire, n);
		/* exact-size buffer works, one octet less does not */
		CHECK_EQ(dmm_mh_encode(out, n, &want), (int)n);
		CHECK_EQ(dmm_mh_encode(out, n - 1, &want), DMM_ERR_NOBUF);
	}

	/* decode(bytes) == length, fields equal; trailing octets are not part of it */
	memset(&got, 0xa5, sizeof(got));
	r = dmm_mh_decode(&got, wire, n);
	CHECK_EQ(r, (int)n);
	if (r != (int)n)
		fprintf(stderr, "%s: decode returned %d (%s)\n", g->name, r, dmm_errname(r));
	if (r == (int)n) {
		bool eq = msg_eq(&got, &want);

		if (!eq)
			fprintf(stderr, "%s: decoded struct differs: %s\n", g->name, why);
		CHECK(eq);
	}
	memcpy(wire + n, "\x3b\x00\x00\x00\x00\x00\x00\x00\xff", 9);
	CHECK_EQ(dmm_mh_decode(&got, wire, n + 9), (int)n);

	/* every proper prefix is refused as truncated */
	{
		unsigned bad_prefix = 0;

		for (size_t k = 0; k < n; k++) {
			r = dmm_mh_decode(&got, wire, k);
			if (r != DMM_ERR_TRUNCATED && bad_prefix++ == 0)
				fprintf(stderr, "%s: decode of the first %zu octets returned %d (%s)\n",
					g->name, k, r, dmm_errname(r));
		}
		CHECK_EQ(bad_prefix, 0);
	}

	/* re-encoding the decoded struct gives the canonical bytes */
	memset(&again, 0, sizeof(again));
	if (dmm_mh_decode(&again, wire, n) == (int)n) {
		memset(out, 0xee, sizeof(out));
		r = dmm_mh_encode(out, sizeof(out), &again);
		CHECK_EQ(r, (int)cn);
		if (r != (int)cn || memcmp(out, canon, cn) != 0) {
			fprintf(stderr, "%s: re-encoding the decoded message differs\n", g->name);
			print_hex("canonical", canon, cn);
			if (r > 0)
				print_hex("re-encode", out, (size_t)r);
		}
		CHECK_MEM(out, canon, cn);
	}
}

/* A well-formed vector draws no note but "unknown option" where it has one. */
static void check_no_notes(const struct golden *g)
{
	uint8_t wire[DMM_MH_MAX_LEN];
	struct dmm_mh_msg got;
	size_t n = unhex(wire, sizeof(wire), g->hex);

	if (dmm_mh_decode(&got, wire, n) != (int)n)
		return; /* check_golden() reports it */
	if ((got.notes & ~DMM_MH_NOTE_UNKNOWN_OPT) != 0)
		fprintf(stderr, "%s: unexpected notes 0x%x\n", g->name, got.notes);
	CHECK_EQ(got.notes & ~DMM_MH_NOTE_UNKNOWN_OPT, 0);
	CHECK_EQ(!!(got.notes & DMM_MH_NOTE_UNKNOWN_OPT), got.unknown_opts > 0);
}

static void check_bad(const struct bad *b)
{
	uint8_t wire[DMM_MH_MAX_LEN];
	struct dmm_mh_msg got;
	size_t n = unhex(wire, sizeof(wire), b->hex);
	int r = dmm_mh_decode(&got, wire, n);

	if (r != b->err)
		fprintf(stderr, "%s: decode returned %d (%s), expected %s\n", b->name, r, dmm_errname(r),
			dmm_errname(b->err));
	CHECK_EQ(r, b->err);
}

/* A tolerated vector: checked as a golden one, then its notes. */
static void check_tolerated(const struct tolerated *t)
{
	const struct golden g = {t->name, t->hex, t->fill, t->canon};
	uint8_t wire[DMM_MH_MAX_LEN];
	struct dmm_mh_msg got;
	size_t n = unhex(wire, sizeof(wire), t->hex);
	int r;

	check_golden(&g);
	r = dmm_mh_decode(&got, wire, n);
	CHECK_EQ(r, (int)n);
	CHECK_EQ(got.decoded, DMM_MH_DEC_ALL);
	if (got.notes != t->notes)
		fprintf(stderr, "%s: notes 0x%x, expected 0x%x\n", t->name, got.notes, t->notes);
	CHECK_EQ(got.notes, t->notes);
}

/*
 * Checksums (RFC 6275 §6.1.1) for IPv6 transport. The values were
 * computed independently with scapy's in6_chksum(135, IPv6(src, dst), mh)
 * and by a one's-complement sum done separately.
 */
struct ck_vec {
	const char *name;
	const char *hex; /* with the checksum filled in */
	void (*fill)(struct dmm_mh_msg *m);
	const char *src, *dst;
};

static const struct ck_vec ck_vecs[] = {
	/* BU 2001:db8::1 -> 2001:db8::2 */
	{"bu_ip6",
	 "3b 01 05 00 80 25 12 34" /*  4: checksum 0x8025 */
	 "d0 00 00 96 01 02 00 00",
	 f_bu, IP_DB8_1, IP_DB8_2},
	/* PBA LMA 2001:db8:ffff::1 -> MAG 2001:db8:aaaa::1 */
	{"pba_pmip_ip6",
	 "3b 09 06 00 a7 1e 00 20" /*  4: checksum 0xa71e */
	 "00 01 01 2c 08 10 01 6d"
	 "6e 31 40 65 78 61 6d 70"
	 "6c 65 2e 63 6f 6d 01 04"
	 "00 00 00 00 16 12 00 40"
	 "20 01 0d b8 00 01 00 01"
	 "00 00 00 00 00 00 00 00"
	 "17 02 00 01 18 02 00 04"
	 "01 00 1b 08 00 00 65 53"
	 "f1 00 80 00 01 02 00 00",
	 f_pba_pmip, IP_LMA_1, IP_MAG_1},
};

static void check_ip6(const struct ck_vec *c)
{
	uint8_t wire[DMM_MH_MAX_LEN], out[DMM_MH_MAX_LEN];
	struct dmm_mh_msg want, got;
	struct dmm_addr src, dst;
	size_t n = unhex(wire, sizeof(wire), c->hex);
	uint16_t ck = (uint16_t)(wire[4] << 8 | wire[5]);
	int r;

	hexb(src.b, 16, c->src);
	hexb(dst.b, 16, c->dst);
	c->fill(&want);

	r = dmm_mh_encode_ip6(out, sizeof(out), &want, &src, &dst);
	CHECK_EQ(r, (int)n);
	if (r != (int)n || memcmp(out, wire, n) != 0) {
		fprintf(stderr, "%s: encode_ip6 differs\n", c->name);
		print_hex("golden ", wire, n);
		if (r > 0)
			print_hex("encoded", out, (size_t)r);
	}
	CHECK_MEM(out, wire, n);
	CHECK_EQ(dmm_mh_checksum(wire, n, &src, &dst), ck);
	CHECK_EQ(dmm_mh_encode_ip6(out, n - 1, &want, &src, &dst), DMM_ERR_NOBUF);

	/* the right checksum decodes to the same message */
	r = dmm_mh_decode_ip6(&got, wire, n, &src, &dst);
	CHECK_EQ(r, (int)n);
	if (r == (int)n) {
		bool eq = msg_eq(&got, &want);

		if (!eq)
			fprintf(stderr, "%s: decode_ip6 struct differs: %s\n", c->name, why);
		CHECK(eq);
	}

	/* a wrong checksum, or the right one for other addresses, is refused */
	wire[5] ^= 0x01;
	CHECK_EQ(dmm_mh_decode_ip6(&got, wire, n, &src, &dst), DMM_ERR_CHECKSUM);
	wire[5] ^= 0x01;
	CHECK_EQ(dmm_mh_decode_ip6(&got, wire, n, &dst, &src), n); /* the sum is symmetric in src/dst */
	dst.b[15] ^= 0x01;
	CHECK_EQ(dmm_mh_decode_ip6(&got, wire, n, &src, &dst), DMM_ERR_CHECKSUM);
	dst.b[15] ^= 0x01;
	/* a body change is caught */
	wire[n - 1] ^= 0x01; /* last octet of the trailing PadN */
	CHECK_EQ(dmm_mh_decode_ip6(&got, wire, n, &src, &dst), DMM_ERR_CHECKSUM);
}

static void check_encode_errors(void)
{
	struct dmm_mh_msg m;
	uint8_t out[64];
	static uint8_t big[4 * DMM_MH_MAX_LEN];

	/* NOBUF for buffers shorter than the message, down to 0 */
	f_pbu_pmip(&m);
	CHECK_EQ(dmm_mh_encode(out, 0, &m), DMM_ERR_NOBUF);
	CHECK_EQ(dmm_mh_encode(out, 7, &m), DMM_ERR_NOBUF);
	CHECK_EQ(dmm_mh_encode(out, 64, &m), DMM_ERR_NOBUF); /* needs 80 */
	f_brr(&m);
	CHECK_EQ(dmm_mh_encode(out, 7, &m), DMM_ERR_NOBUF);
	CHECK_EQ(dmm_mh_encode(out, 8, &m), 8);

	/* more than 2048 octets cannot be described by Header Len */
	pba_base(&m);
	for (int i = 0; i < 9; i++) {
		struct dmm_mh_opt *o = opt_new(&m, DMM_OPT_VSM);

		o->u.vsm.vendor_id = 10415;
		o->u.vsm.subtype = (uint8_t)i;
		o->u.vsm.data.len = 250; /* 9 * 256 + 12 > 2048 */
	}
	CHECK_EQ(dmm_mh_encode(big, sizeof(big), &m), DMM_ERR_TOO_LONG);
}

/*
 * DMM_MH_MAX_OPTS HNP options decode, one more is DMM_ERR_OPT_TOO_MANY.
 * Layout: PBU fixed part to 12, HNP at 12 (8n+4), then PadN(4) + HNP for
 * each further one, so HNP i > 0 starts at 12 + 20 + 24 * (i - 1) + 4 and
 * ends on a multiple of 8.
 */
static size_t many_hnp(uint8_t *b, unsigned count)
{
	size_t o;

	memset(b, 0, DMM_MH_MAX_LEN);
	hexb(b, 12, "3b 00 05 00 00 00 00 01  82 00 01 2c");
	o = 12;
	for (unsigned i = 0; i < count; i++) {
		if (i > 0) {
			b[o] = 0x01; /* PadN(4) */
			b[o + 1] = 0x02;
			o += 4;
		}
		hexb(b + o, 20, "16 12 00 40  20 01 0d b8 00 01 00 00  00 00 00 00 00 00 00 00");
		b[o + 11] = (uint8_t)i; /* 2001:db8:1:i::/64 */
		o += 20;
	}
	b[1] = (uint8_t)(o / 8 - 1);
	return o;
}

static void check_many_opts(void)
{
	uint8_t b[DMM_MH_MAX_LEN], out[DMM_MH_MAX_LEN];
	struct dmm_mh_msg m;
	size_t n = many_hnp(b, DMM_MH_MAX_OPTS);
	int r;

	CHECK_EQ(n, 12 + 20 + 24 * (DMM_MH_MAX_OPTS - 1)); /* each HNP ends at 8n: no trailing pad */
	r = dmm_mh_decode(&m, b, n);
	CHECK_EQ(r, (int)n);
	CHECK_EQ(m.nopts, DMM_MH_MAX_OPTS);
	if (r == (int)n) {
		CHECK_EQ(m.opts[DMM_MH_MAX_OPTS - 1].u.hnp.addr.b[7], DMM_MH_MAX_OPTS - 1);
		CHECK_EQ(dmm_mh_encode(out, sizeof(out), &m), (int)n);
		CHECK_MEM(out, b, n);
	}
	n = many_hnp(b, DMM_MH_MAX_OPTS + 1);
	CHECK_EQ(dmm_mh_decode(&m, b, n), DMM_ERR_OPT_TOO_MANY);
}

/* The option descriptor table against the RFC alignment and fixed lengths. */
static void check_opt_table(void)
{
	static const struct {
		uint8_t type, x, y, min, max, last;
	} rfc[] = {
		{DMM_OPT_BRA, 2, 0, 2, 2, 0},		    /* RFC 6275 §6.2.4 */
		{DMM_OPT_ACOA, 8, 6, 16, 16, 0},	    /* §6.2.5 */
		{DMM_OPT_NONCE, 2, 0, 4, 4, 0},		    /* §6.2.6 */
		{DMM_OPT_BAD, 8, 2, 0, 0, 1},		    /* §6.2.7, implicit, last */
		{DMM_OPT_MNID, 1, 0, 0, 0, 0},		    /* RFC 4283 §3 */
		{DMM_OPT_AUTH, 4, 1, 0, 0, 1},		    /* RFC 4285 §5 */
		{DMM_OPT_MESGID, 8, 2, 8, 8, 0},	    /* RFC 4285 §6 */
		{DMM_OPT_VSM, 4, 2, 0, 0, 0},		    /* RFC 5094 §3 */
		{DMM_OPT_HNP, 8, 4, 18, 18, 0},		    /* RFC 5213 §8.3 */
		{DMM_OPT_HI, 1, 0, 2, 2, 0},		    /* §8.4 */
		{DMM_OPT_ATT, 1, 0, 2, 2, 0},		    /* §8.5 */
		{DMM_OPT_LLA, 8, 6, 16, 16, 0},		    /* §8.7 */
		{DMM_OPT_TIMESTAMP, 8, 2, 8, 8, 0},	    /* §8.8 */
		{DMM_OPT_RESTART, 4, 2, 4, 4, 0},	    /* RFC 5847 §3.4 */
		{DMM_OPT_REDIR_CAP, 4, 0, 2, 2, 0},	    /* RFC 6463 §4.1 */
		{DMM_OPT_REDIRECT, 4, 0, 6, 18, 0},	    /* §4.2 */
		{DMM_OPT_LOAD, 4, 0, 18, 18, 0},	    /* §4.3 */
		{DMM_OPT_LMA_UPA, 8, 2, 2, 18, 0},	    /* RFC 7389 §4 */
		{DMM_OPT_ANCHORED_PREFIX, 8, 4, 18, 18, 0}, /* RFC 8885 §4.3 */
		{DMM_OPT_LOCAL_PREFIX, 8, 4, 18, 18, 0},    /* §4.4 */
		{DMM_OPT_PREV_MAAR, 8, 4, 34, 34, 0},	    /* §4.5 */
		{DMM_OPT_SERVING_MAAR, 8, 6, 16, 16, 0},    /* §4.6 */
		{DMM_OPT_DLIF_LLA, 8, 6, 16, 16, 0},	    /* §4.7 */
		{DMM_OPT_DLIF_LL, 1, 0, 0, 0, 0},	    /* §4.8 */
	};

	for (size_t i = 0; i < sizeof(rfc) / sizeof(rfc[0]); i++) {
		const struct dmm_mh_desc *d = dmm_mh_opt_desc(rfc[i].type);

		CHECK(d != NULL);
		if (!d)
			continue;
		if (d->align_x != rfc[i].x || d->align_y != rfc[i].y)
			fprintf(stderr, "option %u: alignment %un+%u, RFC says %un+%u\n", rfc[i].type,
				d->align_x, d->align_y, rfc[i].x, rfc[i].y);
		CHECK(d->align_x == rfc[i].x && d->align_y == rfc[i].y);
		if (rfc[i].max) {
			if (d->min_len != rfc[i].min || d->max_len != rfc[i].max)
				fprintf(stderr, "option %u: Len %u..%u, RFC says %u..%u\n", rfc[i].type,
					d->min_len, d->max_len, rfc[i].min, rfc[i].max);
			CHECK(d->min_len == rfc[i].min && d->max_len == rfc[i].max);
		}
		CHECK_EQ(!!(d->flags & DMM_OPTF_LAST), rfc[i].last);
	}
	CHECK(dmm_mh_opt_desc(200) == NULL);
}

static void check_seq(void)
{
	CHECK(dmm_seq_lt(0xffff, 0x0000));
	CHECK(!dmm_seq_lt(0x0000, 0xffff));
	CHECK(dmm_seq_lt(0, 0x7fff));
	CHECK(!dmm_seq_lt(0, 0x8000));
	CHECK(!dmm_seq_lt(0x8000, 0));
	CHECK(!dmm_seq_lt(5, 5));
	CHECK(dmm_seq_lt(5, 6));
	CHECK(!dmm_seq_lt(6, 5));
	CHECK(dmm_seq_lt(0xfff0, 0x0010));
	CHECK(dmm_seq_lt(0x8000, 0xffff));
	CHECK_EQ(dmm_lifetime_seconds(150), 600);
	CHECK_EQ(dmm_lifetime_units(600), 150);
	CHECK_EQ(dmm_lifetime_units(601), 151);
	CHECK_EQ(dmm_lifetime_units(0), 0);
	CHECK_EQ(dmm_lifetime_units(0xffffffffu), 0xffff);
}

/* ------------------------------------------------------------------ */

static int write_seeds(const char *dir)
{
	int rc = seed_mkdir(dir);

	if (rc != 0)
		return rc;
	for (size_t i = 0; i < NGOLDEN; i++)
		rc |= seed_write(dir, golden[i].name, golden[i].hex);
	for (size_t i = 0; i < NBAD; i++)
		rc |= seed_write(dir, bad[i].name, bad[i].hex);
	for (size_t i = 0; i < NTOLERATED; i++)
		rc |= seed_write(dir, tolerated[i].name, tolerated[i].hex);
	for (size_t i = 0; i < sizeof(ck_vecs) / sizeof(ck_vecs[0]); i++)
		rc |= seed_write(dir, ck_vecs[i].name, ck_vecs[i].hex);
	return rc;
}

int main(int argc, char **argv)
{
	if (seed_args(argc, argv, write_seeds) != 0)
		return 2;

	for (size_t i = 0; i < NGOLDEN; i++) {
		check_golden(&golden[i]);
		check_no_notes(&golden[i]);
	}
	for (size_t i = 0; i < NBAD; i++)
		check_bad(&bad[i]);
	for (size_t i = 0; i < NTOLERATED; i++)
		check_tolerated(&tolerated[i]);
	for (size_t i = 0; i < sizeof(ck_vecs) / sizeof(ck_vecs[0]); i++)
		check_ip6(&ck_vecs[i]);
	check_encode_errors();
	check_many_opts();
	check_opt_table();
	check_seq();
	return check_report("test_mh_golden");
}
