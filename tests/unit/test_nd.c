/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Neighbor Discovery codec tests.
 *
 * Golden vectors: ICMPv6 bytes worked out by hand from the layouts of
 * RFC 4861 §4.1-§4.6, RFC 4191 §2.3, RFC 8106 §5.1 and RFC 8801 §3.1
 * (Figure 2's PvD header octets are reused verbatim). Each vector is
 * decoded (with its IPv6 source, destination and hop limit 255), compared
 * field by field with the message its builder makes, and the builder's
 * message must encode to exactly these bytes. The checksums in the hex were
 * computed once by scapy, independently of our code:
 *   /usr/bin/python3 -c 'from scapy.all import *;
 *     print(hex(in6_chksum(58, IPv6(src=S, dst=D), bytes.fromhex(HEX))))'
 * with the checksum octets 0000 in HEX; scapy's ICMPv6ND_RA dissector also
 * reads ra_mag back as the fields below.
 *
 * Negative vectors: one (or more) per DMM_ERR_ND_* code.
 * Property test: random valid messages -> encode -> decode -> same fields
 * -> same bytes; any single bit flip fails the checksum.
 *
 * Fuzz seeds: `test_nd --write-seeds tests/fuzz/corpus/nd` writes every
 * vector as <name>.bin and then runs the checks as usual.
 */
#include <stdlib.h>

#include "check.h"
#include "dmm/bytes.h"
#include "dmm/err.h"
#include "dmm/nd.h"
#include "helpers.h"

#define BUFSZ 4096

/* ------------------------------------------------------------------ */
/* helpers                                                             */

static struct dmm_addr addr_hex(const char *hex32)
{
	struct dmm_addr a;

	if (unhex(a.b, 16, hex32) != 16)
		abort();
	return a;
}

static struct dmm_prefix pfx_hex(const char *hex32, uint8_t len)
{
	struct dmm_prefix p = {addr_hex(hex32), len};

	return p;
}

#define LL_MAG "fe800000000000000000000000000001"
#define LL_HOST "fe80000000000000000000000000000a"
#define ALL_NODES "ff020000000000000000000000000001"
#define ALL_ROUTERS "ff020000000000000000000000000002"
#define SN_MAG "ff0200000000000000000001ff000001"  /* solicited-node of fe80::1 */
#define SN_HOST "ff0200000000000000000001ff00000a" /* solicited-node of fe80::a */
#define UNSPEC "00000000000000000000000000000000"

static const uint8_t mac_mag[6] = {0x02, 0, 0, 0, 0x0d, 0x01};
static const uint8_t mac_host[6] = {0x02, 0, 0, 0, 0x0a, 0x01};

/* Field-by-field equality; prints the first difference. */
static bool lla_eq(const struct dmm_nd_lla *a, const struct dmm_nd_lla *b)
{
	return a->len == b->len && memcmp(a->b, b->b, a->len) == 0;
}

static bool prefix_eq(const struct dmm_prefix *a, const struct dmm_prefix *b)
{
	return a->len == b->len && dmm_addr_eq(&a->addr, &b->addr);
}

static bool ra_hdr_eq(const struct dmm_nd_ra_hdr *a, const struct dmm_nd_ra_hdr *b)
{
	return a->cur_hop_limit == b->cur_hop_limit && a->flags == b->flags &&
	       a->router_lifetime == b->router_lifetime && a->reachable_time == b->reachable_time &&
	       a->retrans_timer == b->retrans_timer;
}

static const char *opts_diff(const struct dmm_nd_opts *a, const struct dmm_nd_opts *b)
{
	if (a->has_sllao != b->has_sllao || (a->has_sllao && !lla_eq(&a->sllao, &b->sllao)))
		return "sllao";
	if (a->has_tllao != b->has_tllao || (a->has_tllao && !lla_eq(&a->tllao, &b->tllao)))
		return "tllao";
	if (a->has_mtu != b->has_mtu || (a->has_mtu && a->mtu != b->mtu))
		return "mtu";
	if (a->npio != b->npio)
		return "npio";
	for (unsigned i = 0; i < a->npio; i++) {
		const struct dmm_nd_pio *x = &a->pio[i], *y = &b->pio[i];

		if (!prefix_eq(&x->prefix, &y->prefix) || x->flags != y->flags || x->valid != y->valid ||
		    x->preferred != y->preferred)
			return "pio";
	}
	if (a->nrio != b->nrio)
		return "nrio";
	for (unsigned i = 0; i < a->nrio; i++) {
		const struct dmm_nd_rio *x = &a->rio[i], *y = &b->rio[i];

		if (!prefix_eq(&x->prefix, &y->prefix) || x->prf != y->prf || x->lifetime != y->lifetime)
			return "rio";
	}
	if (a->nrdnss != b->nrdnss)
		return "nrdnss";
	for (unsigned i = 0; i < a->nrdnss; i++) {
		const struct dmm_nd_rdnss *x = &a->rdnss[i], *y = &b->rdnss[i];

		if (x->lifetime != y->lifetime || x->naddrs != y->naddrs)
			return "rdnss";
		for (unsigned j = 0; j < x->naddrs; j++)
			if (!dmm_addr_eq(&x->addrs[j], &y->addrs[j]))
				return "rdnss addr";
	}
	return NULL;
}

static const char *msg_diff(const struct dmm_nd_msg *a, const struct dmm_nd_msg *b)
{
	const char *d;

	if (a->type != b->type)
		return "type";
	switch (a->type) {
	case DMM_ND_RA:
		if (!ra_hdr_eq(&a->u.ra, &b->u.ra))
			return "ra header";
		break;
	case DMM_ND_NS:
		if (!dmm_addr_eq(&a->u.ns.target, &b->u.ns.target))
			return "ns target";
		break;
	case DMM_ND_NA:
		if (a->u.na.flags != b->u.na.flags || !dmm_addr_eq(&a->u.na.target, &b->u.na.target))
			return "na";
		break;
	}
	if ((d = opts_diff(&a->opts, &b->opts)) != NULL)
		return d;
	if (a->has_pvd != b->has_pvd)
		return "has_pvd";
	if (a->has_pvd) {
		const struct dmm_nd_pvd *x = &a->pvd, *y = &b->pvd;

		if (x->flags != y->flags || x->delay != y->delay || x->seq != y->seq)
			return "pvd header";
		if (x->fqdn.len != y->fqdn.len || memcmp(x->fqdn.b, y->fqdn.b, x->fqdn.len) != 0)
			return "pvd fqdn";
		if ((x->flags & DMM_ND_PVD_R) && !ra_hdr_eq(&x->ra, &y->ra))
			return "pvd ra";
		if ((d = opts_diff(&x->opts, &y->opts)) != NULL)
			return d;
	}
	return NULL;
}

/* ------------------------------------------------------------------ */
/* golden vectors                                                      */

static void b_rs_sllao(struct dmm_nd_msg *m)
{
	dmm_nd_init(m, DMM_ND_RS);
	dmm_nd_set_sllao(m, mac_host, 6);
}

/* The RA a MAG sends (RFC 5213 §6.7): M=0 O=0, lifetime 1800, its MAC,
 * MTU 1500, the home network prefix, a deprecated earlier prefix (the DMM
 * case: preferred 0 keeps old sessions, new ones use the new prefix) and a
 * more-specific route with high preference. */
static void b_ra_mag(struct dmm_nd_msg *m)
{
	struct dmm_prefix p1 = pfx_hex("20010db8000100010000000000000000", 64);
	struct dmm_prefix p2 = pfx_hex("20010db8000200010000000000000000", 64);
	struct dmm_prefix r = pfx_hex("20010db8010000000000000000000000", 48);

	dmm_nd_ra_init(m, 64, 1800, 0);
	dmm_nd_set_sllao(m, mac_mag, 6);
	dmm_nd_ra_set_mtu(m, 1500);
	dmm_nd_ra_add_pio(&m->opts, &p1, DMM_ND_PIO_L | DMM_ND_PIO_A, 86400, 14400);
	dmm_nd_ra_add_pio(&m->opts, &p2, DMM_ND_PIO_L | DMM_ND_PIO_A, 7200, 0);
	dmm_nd_ra_add_rio(&m->opts, &r, DMM_ND_PRF_HIGH, 1800);
}

static void b_ns(struct dmm_nd_msg *m)
{
	dmm_nd_init(m, DMM_ND_NS);
	m->u.ns.target = addr_hex(LL_MAG);
	dmm_nd_set_sllao(m, mac_host, 6);
}

static void b_na(struct dmm_nd_msg *m)
{
	dmm_nd_init(m, DMM_ND_NA);
	m->u.na.flags = DMM_ND_NA_R | DMM_ND_NA_S | DMM_ND_NA_O;
	m->u.na.target = addr_hex(LL_MAG);
	dmm_nd_set_tllao(m, mac_mag, 6);
}

static void b_ns_dad(struct dmm_nd_msg *m)
{
	dmm_nd_init(m, DMM_ND_NS);
	m->u.ns.target = addr_hex(LL_HOST);
}

/* RFC 8801 Figure 2: "example.org", H, delay 1, seq 123, a PIO and an RDNSS inside. */
static void b_ra_pvd(struct dmm_nd_msg *m)
{
	struct dmm_prefix p = pfx_hex("20010db8000300000000000000000000", 64);
	struct dmm_addr dns = addr_hex("20010db8000000000000000000000053");

	dmm_nd_ra_init(m, 64, 1800, 0);
	dmm_nd_ra_set_pvd(m, "example.org", DMM_ND_PVD_H, 1, 123);
	dmm_nd_ra_add_pio(&m->pvd.opts, &p, DMM_ND_PIO_L | DMM_ND_PIO_A, 86400, 14400);
	dmm_nd_ra_add_rdnss(&m->pvd.opts, 3600, &dns, 1);
}

/* PvD with R: an inner RA header (Prf high, lifetime 1800) and a PIO; the outer RA has lifetime 0. */
static void b_ra_pvd_r(struct dmm_nd_msg *m)
{
	struct dmm_prefix p = pfx_hex("20010db8000400000000000000000000", 64);

	dmm_nd_ra_init(m, 64, 0, 0);
	dmm_nd_ra_set_pvd(m, "a.b.", DMM_ND_PVD_R, 0, 0);
	m->pvd.ra.cur_hop_limit = 64;
	m->pvd.ra.flags = DMM_ND_PRF_HIGH << DMM_ND_RA_PRF_SHIFT;
	m->pvd.ra.router_lifetime = 1800;
	dmm_nd_ra_add_pio(&m->pvd.opts, &p, DMM_ND_PIO_L | DMM_ND_PIO_A, 86400, 14400);
}

/* Every RA flag, a default route RIO (Length 1), a host route RIO (Length 3), RDNSS with two servers. */
static void b_ra_flags_rio(struct dmm_nd_msg *m)
{
	struct dmm_prefix r0 = pfx_hex(UNSPEC, 0);
	struct dmm_prefix r1 = pfx_hex("20010db8000000000000000000000001", 128);
	struct dmm_addr dns[2] = {addr_hex("20010db8000000000000000000000053"),
				  addr_hex("20010db8000000000000000000000054")};

	dmm_nd_ra_init(m, 0, 0xffff,
		       DMM_ND_RA_M | DMM_ND_RA_O | DMM_ND_RA_H | DMM_ND_RA_PRF_MASK | DMM_ND_RA_P);
	m->u.ra.reachable_time = 30000;
	m->u.ra.retrans_timer = 1000;
	dmm_nd_ra_add_rio(&m->opts, &r0, DMM_ND_PRF_LOW, DMM_ND_INFINITY);
	dmm_nd_ra_add_rio(&m->opts, &r1, DMM_ND_PRF_MEDIUM, 600);
	dmm_nd_ra_add_rdnss(&m->opts, 3600, dns, 2);
}

struct golden {
	const char *name;
	const char *src, *dst;
	uint16_t cksum; /* from scapy */
	const char *hex;
	void (*build)(struct dmm_nd_msg *m);
};

static const struct golden golden[] = {
	{"rs_sllao", LL_HOST, ALL_ROUTERS, 0x7023,
	 "85 00 7023 00000000"
	 "01 01 02 00 00 00 0a 01", /* SLLAO, RFC 4861 §4.6.1 */
	 b_rs_sllao},
	{"ra_mag", LL_MAG, ALL_NODES, 0x133b,
	 "86 00 133b 40 00 0708 00000000 00000000" /* hop 64, M=0 O=0, lifetime 1800 */
	 "01 01 02 00 00 00 0d 01"		   /* SLLAO */
	 "05 01 0000 000005dc"			   /* MTU 1500 */
	 "03 04 40 c0 00015180 00003840 00000000"  /* PIO /64 L A valid 86400 preferred 14400 */
	 "20010db8000100010000000000000000"
	 "03 04 40 c0 00001c20 00000000 00000000" /* PIO /64 L A valid 7200 preferred 0 */
	 "20010db8000200010000000000000000"
	 "18 02 30 08 00000708 20010db801000000", /* RIO /48 Length 2, Prf 01 (high), 1800 */
	 b_ra_mag},
	{"ns", LL_HOST, SN_MAG, 0x7090,
	 "87 00 7090 00000000 fe800000000000000000000000000001"
	 "01 01 02 00 00 00 0a 01",
	 b_ns},
	{"na", LL_MAG, LL_HOST, 0x8b13,
	 "88 00 8b13 e0 000000 fe800000000000000000000000000001" /* R S O */
	 "02 01 02 00 00 00 0d 01",				 /* TLLAO */
	 b_na},
	{"ns_dad", UNSPEC, SN_HOST, 0x7c13, "87 00 7c13 00000000 fe80000000000000000000000000000a", b_ns_dad},
	{"ra_pvd", LL_MAG, ALL_NODES, 0x7f7c,
	 "86 00 7f7c 40 00 0708 00000000 00000000"
	 "15 0a 80 01 007b"			  /* PvD Length 10, H, delay 1, seq 123 */
	 "07 6578616d706c65 03 6f7267 00"	  /* example.org */
	 "00 00 00 00 00"			  /* padding to 24 */
	 "03 04 40 c0 00015180 00003840 00000000" /* nested PIO */
	 "20010db8000300000000000000000000"
	 "19 03 0000 00000e10 20010db8000000000000000000000053", /* nested RDNSS, 3600 */
	 b_ra_pvd},
	{"ra_pvd_r", LL_MAG, ALL_NODES, 0x3bd0,
	 "86 00 3bd0 40 00 0000 00000000 00000000"
	 "15 08 20 00 0000 01 61 01 62 00 0000000000" /* PvD Length 8, R, "a.b" */
	 "86 00 0000 40 08 0708 00000000 00000000"    /* inner RA header, Prf high */
	 "03 04 40 c0 00015180 00003840 00000000"
	 "20010db8000400000000000000000000",
	 b_ra_pvd_r},
	{"ra_flags_rio", LL_MAG, ALL_NODES, 0x9e75,
	 "86 00 9e75 00 fc ffff 00007530 000003e8"		 /* M O H Prf=11 P */
	 "18 01 00 18 ffffffff"					 /* RIO ::/0 Length 1, low, infinity */
	 "18 03 80 00 00000258 20010db8000000000000000000000001" /* RIO /128 Length 3 */
	 "19 05 0000 00000e10 20010db8000000000000000000000053"	 /* RDNSS, 2 servers */
	 "20010db8000000000000000000000054",
	 b_ra_flags_rio},
};

#define NGOLDEN (sizeof(golden) / sizeof(golden[0]))

static void check_golden(const struct golden *g)
{
	static struct dmm_nd_msg got, want;
	uint8_t wire[BUFSZ], enc[BUFSZ];
	size_t n = unhex(wire, sizeof(wire), g->hex);
	struct dmm_addr src = addr_hex(g->src), dst = addr_hex(g->dst);
	const char *d;
	int rc;

	CHECK_EQ(dmm_get_u16(wire + 2), g->cksum);
	CHECK_EQ(dmm_nd_checksum(wire, n, &src, &dst), g->cksum);
	rc = dmm_nd_decode_ip6(&got, wire, n, &src, &dst, 255);
	if (rc != (int)n)
		fprintf(stderr, "%s: decode_ip6 = %d (%s)\n", g->name, rc, dmm_errname(rc));
	CHECK_EQ(rc, (int)n);
	CHECK_EQ(got.opts.skipped, 0);
	g->build(&want);
	d = msg_diff(&got, &want);
	if (d)
		fprintf(stderr, "%s: decoded %s differs from the builder's\n", g->name, d);
	CHECK(d == NULL);
	rc = dmm_nd_encode(enc, sizeof(enc), &want, &src, &dst);
	CHECK_EQ(rc, (int)n);
	if (rc != (int)n || memcmp(enc, wire, n) != 0) {
		fprintf(stderr, "%s: encoding differs\n", g->name);
		print_hex("want", wire, n);
		if (rc > 0)
			print_hex("got", enc, (size_t)rc);
		CHECK(0);
	}
	/* every shorter buffer is NOBUF, never a partial write past cap */
	struct check_loop nobuf = CHECK_LOOP_INIT("every shorter buffer is NOBUF");
	for (size_t cap = 0; cap < n; cap++)
		if (!CHECK_LOOP(nobuf, dmm_nd_encode(enc, cap, &want, &src, &dst) == DMM_ERR_NOBUF))
			fprintf(stderr, "%s: cap %zu\n", g->name, cap);
	CHECK_LOOP_END(nobuf);
	/* every single-bit flip breaks the checksum (RFC 1071 detects them all) */
	for (size_t bit = 0; bit < n * 8; bit++) {
		wire[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		rc = dmm_nd_decode_ip6(&got, wire, n, &src, &dst, 255);
		wire[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		if (rc != DMM_ERR_ND_CHECKSUM) {
			fprintf(stderr, "%s: bit %zu flipped gives %s\n", g->name, bit, dmm_errname(rc));
			CHECK(0);
		}
	}
}

/* Spot checks of what the golden RA means, beyond builder equality. */
static void check_golden_meaning(void)
{
	static struct dmm_nd_msg m;
	uint8_t wire[BUFSZ];
	size_t n = unhex(wire, sizeof(wire), golden[1].hex);

	CHECK_EQ(dmm_nd_decode(&m, wire, n), (int)n);
	CHECK_EQ(m.u.ra.router_lifetime, 1800);
	CHECK_EQ(m.opts.mtu, 1500);
	CHECK_EQ(m.opts.npio, 2);
	CHECK_EQ(m.opts.pio[0].valid, 86400);
	CHECK_EQ(m.opts.pio[1].preferred, 0);
	CHECK_EQ(m.opts.rio[0].prf, DMM_ND_PRF_HIGH);
	CHECK_EQ(m.opts.rio[0].prefix.len, 48);
	CHECK_EQ(dmm_nd_ra_prf(&m.u.ra), DMM_ND_PRF_MEDIUM);
	n = unhex(wire, sizeof(wire), golden[7].hex);
	CHECK_EQ(dmm_nd_decode(&m, wire, n), (int)n);
	CHECK_EQ(dmm_nd_ra_prf(&m.u.ra), DMM_ND_PRF_LOW);
	CHECK_EQ(m.opts.rdnss[0].naddrs, 2);
	n = unhex(wire, sizeof(wire), golden[5].hex);
	CHECK_EQ(dmm_nd_decode(&m, wire, n), (int)n);
	CHECK(m.has_pvd);
	CHECK_EQ(m.pvd.fqdn.len, 13);
	CHECK_EQ(m.pvd.opts.npio, 1);
	CHECK_EQ(m.opts.npio, 0);
}

/* ------------------------------------------------------------------ */
/* negative vectors                                                    */

struct bad {
	const char *name;
	int err;
	const char *hex;
	/* For decode_ip6: addresses and hop limit; src NULL means dmm_nd_decode.
	 * The checksum octets are filled in before the call unless keep_ck. */
	const char *src, *dst;
	uint8_t hop;
	bool keep_ck;
};

#define DEC NULL, NULL, 0, false /* dmm_nd_decode, no IPv6 header */
#define RA_HDR "86 00 0000 40 00 0708 00000000 00000000"
#define PIO_BODY "00015180 00003840 00000000 20010db8000100010000000000000000"

static const struct bad bad[] = {
	{"bad_truncated_hdr", DMM_ERR_ND_TRUNCATED, "85 00 00", DEC},
	{"bad_truncated_ra", DMM_ERR_ND_TRUNCATED, "86 00 0000 40 00 0708 00000000 000000", DEC},
	{"bad_truncated_ns", DMM_ERR_ND_TRUNCATED, "87 00 0000 00000000 fe80000000000000", DEC},
	{"bad_type", DMM_ERR_ND_TYPE, "89 00 0000 00000000", DEC}, /* Redirect: not handled */
	{"bad_type_echo", DMM_ERR_ND_TYPE, "80 00 0000 00000000", DEC},
	{"bad_code", DMM_ERR_ND_CODE, "85 01 0000 00000000", DEC},
	{"bad_opt_len_zero", DMM_ERR_ND_OPT_LEN_ZERO, "85 00 0000 00000000 01 00 020000000a01", DEC},
	{"bad_opt_len_zero_unknown", DMM_ERR_ND_OPT_LEN_ZERO, RA_HDR "fe 00 000000000000", DEC},
	{"bad_opt_truncated_1", DMM_ERR_ND_OPT_TRUNCATED, "85 00 0000 00000000 01", DEC},
	{"bad_opt_truncated", DMM_ERR_ND_OPT_TRUNCATED, "85 00 0000 00000000 01 02 020000000a01", DEC},
	{"bad_opt_dup_sllao", DMM_ERR_ND_OPT_DUP, "85 00 0000 00000000 01 01 020000000a01 01 01 020000000a02",
	 DEC},
	{"bad_opt_dup_mtu", DMM_ERR_ND_OPT_DUP, RA_HDR "05 01 0000 000005dc 05 01 0000 000005dc", DEC},
	{"bad_rdnss_too_many_addrs", DMM_ERR_ND_TOO_MANY,
	 RA_HDR
	 "19 13 0000 00000e10" /* 9 addresses, Length 19 */
	 "20010db8000000000000000000000001 20010db8000000000000000000000002 20010db8000000000000000000000003"
	 "20010db8000000000000000000000004 20010db8000000000000000000000005 20010db8000000000000000000000006"
	 "20010db8000000000000000000000007 20010db8000000000000000000000008 20010db8000000000000000000000009",
	 DEC},
	{"bad_lla_len", DMM_ERR_ND_LLA_LEN,
	 "85 00 0000 00000000 01 04" /* 30 octets */
	 "0200000000000000 0000000000000000 0000000000000000 000000000000",
	 DEC},
	{"bad_mtu_len", DMM_ERR_ND_MTU_LEN, RA_HDR "05 02 0000 000005dc 0000000000000000", DEC},
	{"bad_pio_len", DMM_ERR_ND_PIO_LEN, RA_HDR "03 03 40 c0 00015180 00003840 00000000 20010db800010001",
	 DEC},
	{"bad_pio_plen", DMM_ERR_ND_PREFIX_LEN, RA_HDR "03 04 81 c0" PIO_BODY, DEC},
	{"bad_pio_lifetimes", DMM_ERR_ND_PIO_LIFETIMES,
	 RA_HDR "03 04 40 c0 00000e10 00000e11 00000000 20010db8000100010000000000000000", DEC},
	{"bad_rio_len_48", DMM_ERR_ND_RIO_LEN, RA_HDR "18 01 30 08 00000708", DEC},
	{"bad_rio_len_65", DMM_ERR_ND_RIO_LEN, RA_HDR "18 02 41 08 00000708 20010db801000000", DEC},
	{"bad_rio_len_4", DMM_ERR_ND_RIO_LEN,
	 RA_HDR "18 04 30 08 00000708 20010db8010000000000000000000000 0000000000000000", DEC},
	{"bad_rio_plen", DMM_ERR_ND_PREFIX_LEN,
	 RA_HDR "18 03 81 08 00000708 20010db8010000000000000000000000", DEC},
	{"bad_rdnss_len_2", DMM_ERR_ND_RDNSS_LEN, RA_HDR "19 02 0000 00000e10 20010db800000000", DEC},
	{"bad_rdnss_len_4", DMM_ERR_ND_RDNSS_LEN,
	 RA_HDR "19 04 0000 00000e10 20010db8000000000000000000000053 0000000000000000", DEC},
	{"bad_pvd_r_no_room", DMM_ERR_ND_PVD_LEN, RA_HDR "15 02 20 00 0000 01 61 00 00000000000000", DEC},
	{"bad_pvd_fqdn_compressed", DMM_ERR_ND_PVD_FQDN, RA_HDR "15 01 00 00 0000 c0 0c", DEC},
	{"bad_pvd_fqdn_unterminated", DMM_ERR_ND_PVD_FQDN, RA_HDR "15 02 00 00 0000 07 6578616d706c65 0303",
	 DEC},
	{"bad_pvd_fqdn_root", DMM_ERR_ND_PVD_FQDN, RA_HDR "15 01 00 00 0000 00 00", DEC},
	{"bad_pvd_nested", DMM_ERR_ND_PVD_NESTED,
	 RA_HDR "15 03 00 00 0000 01 61 00 00000000000000"
		"15 01 00 00 0000 00 00",
	 DEC},
	{"bad_pvd_nested_pio", DMM_ERR_ND_PIO_LIFETIMES, /* nested options get the same checks */
	 RA_HDR "15 06 00 00 0000 01 61 00 00000000000000"
		"03 04 40 c0 00000e10 00000e11 00000000 20010db8000100010000000000000000",
	 DEC},
	{"bad_pvd_nested_trunc", DMM_ERR_ND_OPT_TRUNCATED, /* a nested option past the PvD's end */
	 RA_HDR "15 03 00 00 0000 01 61 00 00000000000000 05 02 0000 000005dc 05 01 0000 000005dc", DEC},
	{"bad_pvd_dup", DMM_ERR_ND_OPT_DUP,
	 RA_HDR "15 02 00 00 0000 01 61 00 00000000000000 15 02 00 00 0000 01 62 00 00000000000000", DEC},
	{"bad_ns_target_mcast", DMM_ERR_ND_TARGET_MCAST,
	 "87 00 0000 00000000 ff020000000000000000000000000001", DEC},
	{"bad_na_target_mcast", DMM_ERR_ND_TARGET_MCAST,
	 "88 00 0000 00000000 ff020000000000000000000000000001", DEC},
	/* decode_ip6 rules */
	{"bad_hop_limit", DMM_ERR_ND_HOP_LIMIT, "85 00 0000 00000000", LL_HOST, ALL_ROUTERS, 254, false},
	{"bad_checksum", DMM_ERR_ND_CHECKSUM, "85 00 7023 00000000 01 01 02 00 00 00 0a 02", LL_HOST,
	 ALL_ROUTERS, 255, true},
	{"bad_ra_src", DMM_ERR_ND_RA_SRC, RA_HDR, "20010db8000000000000000000000001", ALL_NODES, 255, false},
	{"bad_rs_sllao_unspec", DMM_ERR_ND_SLLAO_UNSPEC, "85 00 0000 00000000 01 01 020000000a01", UNSPEC,
	 ALL_ROUTERS, 255, false},
	{"bad_ns_sllao_unspec", DMM_ERR_ND_SLLAO_UNSPEC,
	 "87 00 0000 00000000 fe80000000000000000000000000000a 01 01 020000000a01", UNSPEC, SN_HOST, 255,
	 false},
	{"bad_ns_dad_dst", DMM_ERR_ND_NS_DST, "87 00 0000 00000000 fe80000000000000000000000000000a", UNSPEC,
	 LL_HOST, 255, false},
	{"bad_na_solicited_mcast", DMM_ERR_ND_NA_SOLICITED,
	 "88 00 0000 40 000000 fe800000000000000000000000000001", LL_MAG, ALL_NODES, 255, false},
};

#define NBAD (sizeof(bad) / sizeof(bad[0]))

static void check_bad(const struct bad *b)
{
	static struct dmm_nd_msg m;
	uint8_t wire[BUFSZ];
	size_t n = unhex(wire, sizeof(wire), b->hex);
	int rc;

	if (b->src) {
		struct dmm_addr src = addr_hex(b->src), dst = addr_hex(b->dst);

		if (!b->keep_ck && n >= 4)
			dmm_put_u16(wire + 2, dmm_nd_checksum(wire, n, &src, &dst));
		rc = dmm_nd_decode_ip6(&m, wire, n, &src, &dst, b->hop);
	} else {
		rc = dmm_nd_decode(&m, wire, n);
	}
	if (rc != b->err)
		fprintf(stderr, "%s: got %d (%s), want %s\n", b->name, rc, dmm_errname(rc),
			dmm_errname(b->err));
	CHECK_EQ(rc, b->err);
}

/* Every DMM_ERR_ND_* a decoder can return has a negative vector. */
static void check_bad_coverage(void)
{
	static const int codes[] = {
		DMM_ERR_ND_TRUNCATED,	 DMM_ERR_ND_TYPE,	   DMM_ERR_ND_CODE,
		DMM_ERR_ND_OPT_LEN_ZERO, DMM_ERR_ND_OPT_TRUNCATED, DMM_ERR_ND_OPT_DUP,
		DMM_ERR_ND_TOO_MANY,	 DMM_ERR_ND_LLA_LEN,	   DMM_ERR_ND_MTU_LEN,
		DMM_ERR_ND_PIO_LEN,	 DMM_ERR_ND_PREFIX_LEN,	   DMM_ERR_ND_PIO_LIFETIMES,
		DMM_ERR_ND_RIO_LEN,	 DMM_ERR_ND_RDNSS_LEN,	   DMM_ERR_ND_PVD_LEN,
		DMM_ERR_ND_PVD_FQDN,	 DMM_ERR_ND_PVD_NESTED,	   DMM_ERR_ND_TARGET_MCAST,
		DMM_ERR_ND_HOP_LIMIT,	 DMM_ERR_ND_CHECKSUM,	   DMM_ERR_ND_RA_SRC,
		DMM_ERR_ND_SLLAO_UNSPEC, DMM_ERR_ND_NS_DST,	   DMM_ERR_ND_NA_SOLICITED,
	};

	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		bool found = false;

		for (size_t j = 0; j < NBAD; j++)
			found |= bad[j].err == codes[i];
		if (!found)
			fprintf(stderr, "no negative vector for %s\n", dmm_errname(codes[i]));
		CHECK(found);
	}
}

/* Things the decoder accepts and ignores (RFC 4861 §4.6, RFC 4191 §2.3). */
static void check_skipped(void)
{
	static const struct {
		const char *hex;
		unsigned skipped, npio, nrio;
	} v[] = {
		{RA_HDR "fe 01 000000000000", 1, 0, 0},			   /* unknown option */
		{RA_HDR "18 02 30 10 00000708 20010db801000000", 1, 0, 0}, /* RIO Prf 10: ignored */
		{RA_HDR "03 04 40 c0" PIO_BODY "fe 02 0000000000000000000000000000", 1, 1, 0},
		{"85 00 0000 00000000 03 04 40 c0" PIO_BODY, 1, 0, 0}, /* PIO in an RS: ignored */
		{"88 00 0000 00000000 fe800000000000000000000000000001 01 01 020000000a01", 1, 0, 0},
		{RA_HDR "18 03 30 08 00000708 20010db8010000000000000000000000", 0, 0,
		 1}, /* RIO /48 Length 3 */
		{RA_HDR "18 03 00 08 00000708 20010db8010000000000000000000000", 0, 0, 1}, /* ::/0 Length 3 */
		/* PvD whose nested option is unknown: counted inside */
		{RA_HDR "15 03 00 00 0000 01 61 00 00000000000000 fe 01 000000000000", 0, 0, 0},
	};
	static struct dmm_nd_msg m;

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		uint8_t wire[BUFSZ];
		size_t n = unhex(wire, sizeof(wire), v[i].hex);

		CHECK_EQ(dmm_nd_decode(&m, wire, n), (int)n);
		CHECK_EQ(m.opts.skipped, v[i].skipped);
		CHECK_EQ(m.opts.npio, v[i].npio);
		CHECK_EQ(m.opts.nrio, v[i].nrio);
	}
	CHECK_EQ(m.pvd.opts.skipped, 1);
	/* RIO with Length 3 for /48 keeps only the prefix bits it carries */
	{
		uint8_t wire[BUFSZ];
		size_t n = unhex(wire, sizeof(wire), v[5].hex);

		dmm_nd_decode(&m, wire, n);
		CHECK_EQ(m.opts.rio[0].prefix.addr.b[4], 0x01);
	}
	/* reserved bits are dropped: RA flags, PIO Reserved1, NA flag bits */
	{
		uint8_t wire[BUFSZ];
		size_t n = unhex(wire, sizeof(wire),
				 "86 00 0000 40 03 0708 00000000 00000000 03 04 40 df" PIO_BODY);

		CHECK_EQ(dmm_nd_decode(&m, wire, n), (int)n);
		CHECK_EQ(m.u.ra.flags, 0);
		CHECK_EQ(m.opts.pio[0].flags, DMM_ND_PIO_L | DMM_ND_PIO_A);
		/* Prf 10 in the RA header reads as medium (RFC 4191 §2.2) */
		m.u.ra.flags = 0x10;
		CHECK_EQ(dmm_nd_ra_prf(&m.u.ra), DMM_ND_PRF_MEDIUM);
	}
}

/* ------------------------------------------------------------------ */
/* builders and encode errors                                          */

static void check_builders(void)
{
	static struct dmm_nd_msg m;
	struct dmm_prefix p = pfx_hex("20010db8000100010000000000000000", 64);
	struct dmm_addr dns = addr_hex("20010db8000000000000000000000053");
	struct dmm_addr src = addr_hex(LL_MAG), dst = addr_hex(ALL_NODES);
	uint8_t buf[BUFSZ], lla[30] = {0};
	char name[300];

	dmm_nd_ra_init(&m, 64, 1800, 0);
	for (int i = 0; i < DMM_ND_MAX_PIO; i++)
		CHECK_EQ(dmm_nd_ra_add_pio(&m.opts, &p, DMM_ND_PIO_L, 10, 5), 0);
	CHECK_EQ(dmm_nd_ra_add_pio(&m.opts, &p, DMM_ND_PIO_L, 10, 5), DMM_ERR_NOMEM);
	m.opts.npio = 0;
	CHECK_EQ(dmm_nd_ra_add_pio(&m.opts, &p, DMM_ND_PIO_L, 10, 11), DMM_ERR_ND_PIO_LIFETIMES);
	p.len = 129;
	CHECK_EQ(dmm_nd_ra_add_pio(&m.opts, &p, DMM_ND_PIO_L, 10, 5), DMM_ERR_ND_PREFIX_LEN);
	CHECK_EQ(dmm_nd_ra_add_rio(&m.opts, &p, DMM_ND_PRF_HIGH, 5), DMM_ERR_ND_PREFIX_LEN);
	p.len = 64;
	CHECK_EQ(dmm_nd_ra_add_rio(&m.opts, &p, DMM_ND_PRF_RESERVED, 5), DMM_ERR_ND_RIO_PRF);
	for (int i = 0; i < DMM_ND_MAX_RIO; i++)
		CHECK_EQ(dmm_nd_ra_add_rio(&m.opts, &p, DMM_ND_PRF_LOW, 5), 0);
	CHECK_EQ(dmm_nd_ra_add_rio(&m.opts, &p, DMM_ND_PRF_LOW, 5), DMM_ERR_NOMEM);
	CHECK_EQ(dmm_nd_ra_add_rdnss(&m.opts, 1, &dns, 0), DMM_ERR_INVAL);
	CHECK_EQ(dmm_nd_ra_add_rdnss(&m.opts, 1, &dns, DMM_ND_RDNSS_MAX_ADDRS + 1), DMM_ERR_INVAL);
	for (int i = 0; i < DMM_ND_MAX_RDNSS; i++)
		CHECK_EQ(dmm_nd_ra_add_rdnss(&m.opts, 1, &dns, 1), 0);
	CHECK_EQ(dmm_nd_ra_add_rdnss(&m.opts, 1, &dns, 1), DMM_ERR_NOMEM);
	CHECK_EQ(dmm_nd_set_sllao(&m, lla, 0), DMM_ERR_INVAL);
	CHECK_EQ(dmm_nd_set_sllao(&m, lla, DMM_ND_LLA_MAX + 1), DMM_ERR_INVAL);
	CHECK_EQ(dmm_nd_set_sllao(&m, lla, DMM_ND_LLA_MAX), 0);
	CHECK(dmm_nd_encode(buf, sizeof(buf), &m, &src, &dst) > 0);

	/* names */
	CHECK_EQ(dmm_nd_ra_set_pvd(&m, "", 0, 0, 0), DMM_ERR_ND_PVD_FQDN);
	CHECK_EQ(dmm_nd_ra_set_pvd(&m, ".", 0, 0, 0), DMM_ERR_ND_PVD_FQDN);
	CHECK_EQ(dmm_nd_ra_set_pvd(&m, "a..b", 0, 0, 0), DMM_ERR_ND_PVD_FQDN);
	CHECK_EQ(dmm_nd_ra_set_pvd(&m, ".a", 0, 0, 0), DMM_ERR_ND_PVD_FQDN);
	memset(name, 'x', 64);
	name[64] = '\0';
	CHECK_EQ(dmm_nd_ra_set_pvd(&m, name, 0, 0, 0), DMM_ERR_ND_PVD_FQDN); /* 64-octet label */
	name[63] = '\0';
	CHECK_EQ(dmm_nd_ra_set_pvd(&m, name, 0, 0, 0), 0);
	CHECK_EQ(m.pvd.fqdn.len, 65);
	/* 253 text octets = 255 wire octets is the longest name */
	for (int i = 0; i < 253; i++)
		name[i] = (i % 2) ? '.' : 'a';
	name[253] = '\0';
	CHECK_EQ(dmm_nd_ra_set_pvd(&m, name, 0, 0, 0), 0);
	CHECK_EQ(m.pvd.fqdn.len, 255);
	name[253] = 'a'; /* "a.a. ... .aa": 256 wire octets */
	name[254] = '\0';
	CHECK_EQ(dmm_nd_ra_set_pvd(&m, name, 0, 0, 0), DMM_ERR_ND_PVD_FQDN);
	CHECK_EQ(dmm_nd_ra_set_pvd(&m, "pvd.example.org.", DMM_ND_PVD_H | DMM_ND_PVD_L, 3, 9), 0);
	CHECK_EQ(m.pvd.fqdn.len, 17);
	CHECK(m.has_pvd);
}

static void check_encode_errors(void)
{
	static struct dmm_nd_msg m, got;
	char name[256];
	int n;
	struct dmm_addr src = addr_hex(LL_MAG), dst = addr_hex(ALL_NODES);
	struct dmm_prefix p = pfx_hex("20010db8000100010000000000000000", 64);
	uint8_t buf[BUFSZ];

	dmm_nd_init(&m, 137);
	CHECK_EQ(dmm_nd_encode(buf, sizeof(buf), &m, &src, &dst), DMM_ERR_INVAL);
	dmm_nd_init(&m, DMM_ND_RS);
	CHECK_EQ(dmm_nd_encode(buf, sizeof(buf), &m, NULL, &dst), DMM_ERR_INVAL);
	CHECK_EQ(dmm_nd_encode(buf, sizeof(buf), &m, &src, &dst), 8);
	/* a PIO in an RS is the caller's mistake */
	dmm_nd_ra_add_pio(&m.opts, &p, 0, 1, 1);
	CHECK_EQ(dmm_nd_encode(buf, sizeof(buf), &m, &src, &dst), DMM_ERR_INVAL);
	dmm_nd_init(&m, DMM_ND_NA);
	dmm_nd_set_sllao(&m, mac_mag, 6); /* SLLAO means nothing in an NA */
	CHECK_EQ(dmm_nd_encode(buf, sizeof(buf), &m, &src, &dst), DMM_ERR_INVAL);
	dmm_nd_init(&m, DMM_ND_NS);
	m.u.ns.target = addr_hex(ALL_NODES);
	CHECK_EQ(dmm_nd_encode(buf, sizeof(buf), &m, &src, &dst), DMM_ERR_ND_TARGET_MCAST);
	dmm_nd_init(&m, DMM_ND_NA);
	m.u.na.target = addr_hex(ALL_NODES);
	CHECK_EQ(dmm_nd_encode(buf, sizeof(buf), &m, &src, &dst), DMM_ERR_ND_TARGET_MCAST);

	dmm_nd_ra_init(&m, 64, 1800, 0);
	dmm_nd_ra_add_pio(&m.opts, &p, 0, 10, 5);
	m.opts.pio[0].preferred = 11;
	CHECK_EQ(dmm_nd_encode(buf, sizeof(buf), &m, &src, &dst), DMM_ERR_ND_PIO_LIFETIMES);
	m.opts.pio[0].preferred = 5;
	m.opts.pio[0].prefix.len = 200;
	CHECK_EQ(dmm_nd_encode(buf, sizeof(buf), &m, &src, &dst), DMM_ERR_ND_PREFIX_LEN);
	m.opts.npio = DMM_ND_MAX_PIO + 1;
	CHECK_EQ(dmm_nd_encode(buf, sizeof(buf), &m, &src, &dst), DMM_ERR_ND_TOO_MANY);
	dmm_nd_ra_init(&m, 64, 1800, 0);
	dmm_nd_ra_add_rio(&m.opts, &p, DMM_ND_PRF_LOW, 5);
	m.opts.rio[0].prf = DMM_ND_PRF_RESERVED;
	CHECK_EQ(dmm_nd_encode(buf, sizeof(buf), &m, &src, &dst), DMM_ERR_ND_RIO_PRF);
	dmm_nd_ra_init(&m, 64, 1800, 0);
	m.opts.has_sllao = true; /* len 0 */
	CHECK_EQ(dmm_nd_encode(buf, sizeof(buf), &m, &src, &dst), DMM_ERR_ND_LLA_LEN);
	dmm_nd_ra_init(&m, 64, 1800, 0);
	m.opts.nrdnss = 1; /* no addresses */
	CHECK_EQ(dmm_nd_encode(buf, sizeof(buf), &m, &src, &dst), DMM_ERR_ND_RDNSS_LEN);
	/* a PvD name that is not a DNS name */
	dmm_nd_ra_init(&m, 64, 1800, 0);
	dmm_nd_ra_set_pvd(&m, "a.b", 0, 0, 0);
	m.pvd.fqdn.len = 2;
	CHECK_EQ(dmm_nd_encode(buf, sizeof(buf), &m, &src, &dst), DMM_ERR_ND_PVD_FQDN);
	/* No PvD can exceed 255 * 8 octets (DMM_ERR_ND_PVD_LEN on encode): the
	 * largest nested set the struct holds is 1,472 octets plus a 264-octet
	 * head and the RA header. Check that the largest one round-trips. */
	dmm_nd_ra_init(&m, 64, 1800, 0);
	for (int i = 0; i < 253; i++)
		name[i] = (i % 2) ? '.' : 'a';
	name[253] = '\0';
	CHECK_EQ(dmm_nd_ra_set_pvd(&m, name, DMM_ND_PVD_R, 0, 0), 0);
	m.pvd.opts.has_sllao = true;
	m.pvd.opts.sllao.len = DMM_ND_LLA_MAX;
	dmm_nd_ra_set_mtu(&m, 1280);
	m.pvd.opts.has_mtu = true;
	for (int i = 0; i < DMM_ND_MAX_PIO; i++)
		dmm_nd_ra_add_pio(&m.pvd.opts, &p, 0, 1, 1);
	p.len = 128; /* RIO Length 3 */
	for (int i = 0; i < DMM_ND_MAX_RIO; i++)
		dmm_nd_ra_add_rio(&m.pvd.opts, &p, 0, 1);
	for (int i = 0; i < DMM_ND_MAX_RDNSS; i++) {
		struct dmm_addr a[DMM_ND_RDNSS_MAX_ADDRS] = {{{0}}};

		dmm_nd_ra_add_rdnss(&m.pvd.opts, 1, a, DMM_ND_RDNSS_MAX_ADDRS);
	}
	n = dmm_nd_encode(buf, sizeof(buf), &m, &src, &dst);
	CHECK_EQ(n, 16 + 8 + 264 + 16 + 1472);
	CHECK_EQ(buf[16 + 8 + 1], (264 + 16 + 1472) / 8);
	CHECK_EQ(dmm_nd_decode(&got, buf, (size_t)n), n);
	CHECK(msg_diff(&m, &got) == NULL);
	/* PvD outside an RA */
	dmm_nd_init(&m, DMM_ND_RS);
	dmm_nd_ra_set_pvd(&m, "a.b", 0, 0, 0);
	CHECK_EQ(dmm_nd_encode(buf, sizeof(buf), &m, &src, &dst), DMM_ERR_INVAL);
}

/* ------------------------------------------------------------------ */
/* random round trips                                                  */

static struct dmm_addr rnd_unicast(void)
{
	struct dmm_addr a;

	rnd_bytes(a.b, 16);
	if (a.b[0] == 0xff)
		a.b[0] = 0x20;
	return a;
}

/* The builders accept every random option the generators below make: one check. */
static struct check_loop rnd_build = CHECK_LOOP_INIT("the builders accept every random option");

static void rnd_lla(struct dmm_nd_msg *m, bool target)
{
	static const size_t lens[] = {6, 14, 22}; /* Ethernet, EUI-64 (Length 2), Length 3 */
	uint8_t b[DMM_ND_LLA_MAX];
	size_t n = lens[rnd32() % 3];

	rnd_bytes(b, n);
	if (target)
		dmm_nd_set_tllao(m, b, n);
	else
		dmm_nd_set_sllao(m, b, n);
}

static void rnd_ra_hdr(struct dmm_nd_ra_hdr *h)
{
	h->cur_hop_limit = (uint8_t)rnd32();
	h->flags = (uint8_t)rnd32() & DMM_ND_RA_FLAGS;
	h->router_lifetime = (uint16_t)rnd32();
	h->reachable_time = rnd32();
	h->retrans_timer = rnd32();
}

static void rnd_ra_opts(struct dmm_nd_msg *m, struct dmm_nd_opts *o, bool inner)
{
	unsigned npio = rnd32() % (inner ? 5 : DMM_ND_MAX_PIO + 1);
	unsigned nrio = rnd32() % (inner ? 5 : DMM_ND_MAX_RIO + 1);
	unsigned nrdnss = rnd32() % (inner ? 2 : DMM_ND_MAX_RDNSS + 1);

	if (!inner && rnd32() % 2)
		rnd_lla(m, false);
	if (inner && rnd32() % 4 == 0) {
		o->has_sllao = true;
		o->sllao.len = 6;
		rnd_bytes(o->sllao.b, 6);
	}
	if (rnd32() % 2) {
		o->has_mtu = true;
		o->mtu = rnd32();
	}
	for (unsigned i = 0; i < npio; i++) {
		struct dmm_prefix p = {rnd_unicast(), (uint8_t)(rnd32() % 129)};
		uint32_t valid = rnd32() % 4 ? rnd32() : DMM_ND_INFINITY;
		uint32_t pref = rnd32() % 4 ? (valid ? rnd32() % valid : 0) : valid;

		CHECK_LOOP(rnd_build, dmm_nd_ra_add_pio(o, &p, (uint8_t)rnd32(), valid, pref) == 0);
	}
	for (unsigned i = 0; i < nrio; i++) {
		struct dmm_prefix p = {rnd_unicast(), (uint8_t)(rnd32() % 129)};
		uint8_t prf = (uint8_t)(rnd32() % 3);

		if (prf == DMM_ND_PRF_RESERVED)
			prf = DMM_ND_PRF_LOW;
		CHECK_LOOP(rnd_build, dmm_nd_ra_add_rio(o, &p, prf, rnd32()) == 0);
	}
	for (unsigned i = 0; i < nrdnss; i++) {
		struct dmm_addr a[DMM_ND_RDNSS_MAX_ADDRS];
		size_t n = 1 + rnd32() % DMM_ND_RDNSS_MAX_ADDRS;

		for (size_t j = 0; j < n; j++)
			a[j] = rnd_unicast();
		CHECK_LOOP(rnd_build, dmm_nd_ra_add_rdnss(o, rnd32(), a, n) == 0);
	}
}

static void rnd_msg(struct dmm_nd_msg *m)
{
	static const char *const names[] = {"example.org", "pvd.example.com.", "a", "x.y.z.w",
					    "a-rather-long-label-for-a-provisioning-domain.example.net"};

	switch (rnd32() % 4) {
	case 0:
		dmm_nd_init(m, DMM_ND_RS);
		if (rnd32() % 2)
			rnd_lla(m, false);
		break;
	case 1:
		dmm_nd_init(m, DMM_ND_RA);
		rnd_ra_hdr(&m->u.ra);
		rnd_ra_opts(m, &m->opts, false);
		if (rnd32() % 2) {
			CHECK_LOOP(rnd_build,
				   dmm_nd_ra_set_pvd(m, names[rnd32() % 5], (uint8_t)(rnd32() % 8),
						     (uint8_t)(rnd32() % 16), (uint16_t)rnd32()) == 0);
			if (m->pvd.flags & DMM_ND_PVD_R)
				rnd_ra_hdr(&m->pvd.ra);
			rnd_ra_opts(m, &m->pvd.opts, true);
		}
		break;
	case 2:
		dmm_nd_init(m, DMM_ND_NS);
		m->u.ns.target = rnd_unicast();
		if (rnd32() % 2)
			rnd_lla(m, false);
		break;
	default:
		dmm_nd_init(m, DMM_ND_NA);
		m->u.na.flags = (uint8_t)rnd32() & DMM_ND_NA_FLAGS;
		m->u.na.target = rnd_unicast();
		if (rnd32() % 2)
			rnd_lla(m, true);
		break;
	}
}

static void check_random(unsigned iters)
{
	static struct dmm_nd_msg m, got;
	static uint8_t b1[BUFSZ], b2[BUFSZ];
	unsigned ok = 0;
	struct check_loop trunc = CHECK_LOOP_INIT("every proper prefix of a message decodes or fails");

	for (unsigned it = 0; it < iters; it++) {
		struct dmm_addr src = addr_hex(LL_MAG), dst = addr_hex(ALL_NODES);
		int n1, n2, rc;
		const char *d;

		src.b[15] = (uint8_t)rnd32();
		rnd_msg(&m);
		if (m.type == DMM_ND_NA)
			dst = addr_hex(LL_HOST); /* a solicited NA is unicast (RFC 4861 §7.1.2) */
		n1 = dmm_nd_encode(b1, sizeof(b1), &m, &src, &dst);
		if (n1 < 0) {
			fprintf(stderr, "random %u: encode %s\n", it, dmm_errname(n1));
			CHECK(0);
			continue;
		}
		rc = dmm_nd_decode_ip6(&got, b1, (size_t)n1, &src, &dst, 255);
		if (rc != n1) {
			fprintf(stderr, "random %u: decode %s\n", it, dmm_errname(rc));
			CHECK(0);
			continue;
		}
		if ((d = msg_diff(&m, &got)) != NULL) {
			fprintf(stderr, "random %u: %s differs after the round trip\n", it, d);
			CHECK(0);
			continue;
		}
		n2 = dmm_nd_encode(b2, sizeof(b2), &got, &src, &dst);
		if (n2 != n1 || memcmp(b1, b2, (size_t)n1) != 0) {
			fprintf(stderr, "random %u: re-encoding differs\n", it);
			CHECK(0);
			continue;
		}
		/* every proper prefix decodes to an error or, when cut on an option
		 * boundary, to a shorter valid message; ASan watches the reads */
		for (int cut = 0; cut < n1; cut += 1 + (int)(rnd32() % 8)) {
			rc = dmm_nd_decode(&got, b1, (size_t)cut);
			if (!CHECK_LOOP(trunc, rc < 0 || rc == cut))
				fprintf(stderr, "random %u: cut %d decodes to %d\n", it, cut, rc);
		}
		ok++;
	}
	CHECK_LOOP_END(trunc);
	CHECK_LOOP_END(rnd_build);
	CHECK_EQ(ok, iters);
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
	return rc;
}

int main(int argc, char **argv)
{
	if (seed_args(argc, argv, write_seeds) != 0)
		return 2;
	for (size_t i = 0; i < NGOLDEN; i++)
		check_golden(&golden[i]);
	check_golden_meaning();
	for (size_t i = 0; i < NBAD; i++)
		check_bad(&bad[i]);
	check_bad_coverage();
	check_skipped();
	check_builders();
	check_encode_errors();
	check_random(20000);
	return check_report("test_nd");
}
