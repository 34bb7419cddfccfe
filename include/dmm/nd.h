/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * IPv6 Neighbor Discovery codec for access links (RFC 4861): Router
 * Solicitation, Router Advertisement, Neighbor Solicitation and Neighbor
 * Advertisement, with the options a PMIPv6 MAG / DMM MAAR sends or must
 * understand: Source/Target Link-Layer Address (RFC 4861 §4.6.1), MTU
 * (§4.6.4), Prefix Information (§4.6.2, R flag from RFC 6275 §7.2), Route
 * Information (RFC 4191 §2.3), RDNSS (RFC 8106 §5.1) and PvD (RFC 8801
 * §3.1, whose nested RA header and options are decoded too).
 *
 * Wire bytes and host structs are different types. Decode fills a struct
 * dmm_nd_msg from the ICMPv6 message (from its Type octet to the end of
 * the IPv6 payload); encode writes it back with the checksum filled. The
 * decoder is strict: every malformed case returns its own DMM_ERR_ND_*.
 * Neither does I/O or allocates; no pointer into buf is kept.
 *
 * Options are kept by kind, not in arrival order: encode writes them in
 * the canonical order SLLAO, TLLAO, MTU, PIOs, RIOs, RDNSS, PvD, so
 * encode(decode(x)) is canonical and encode(decode(encode(m))) ==
 * encode(m) for every m that encode accepts.
 */
#ifndef DMM_ND_H
#define DMM_ND_H

#include "dmm/types.h"

#define DMM_IPPROTO_ICMPV6 58
#define DMM_ND_HOP_LIMIT 255 /* RFC 4861 §6.1.1, §6.1.2, §7.1.1, §7.1.2 */

/* Storage bounds; more on the wire is DMM_ERR_ND_TOO_MANY. */
#define DMM_ND_MAX_PIO 16
#define DMM_ND_MAX_RIO 16
#define DMM_ND_MAX_RDNSS 4	 /* RDNSS options per message (or per PvD) */
#define DMM_ND_RDNSS_MAX_ADDRS 8 /* addresses per RDNSS option */
#define DMM_ND_LLA_MAX 22	 /* link-layer address octets: option Length 1 ... 3 */
#define DMM_ND_FQDN_MAX 255	 /* RFC 1035 §3.1 */

/* ICMPv6 types (RFC 4861 §4). */
enum dmm_nd_type {
	DMM_ND_RS = 133,
	DMM_ND_RA = 134,
	DMM_ND_NS = 135,
	DMM_ND_NA = 136,
};

/* ND option types (IANA "IPv6 Neighbor Discovery Option Formats"). */
enum dmm_nd_opt_type {
	DMM_ND_OPT_SLLAO = 1,
	DMM_ND_OPT_TLLAO = 2,
	DMM_ND_OPT_PIO = 3,
	DMM_ND_OPT_MTU = 5,
	DMM_ND_OPT_PVD = 21,
	DMM_ND_OPT_RIO = 24,
	DMM_ND_OPT_RDNSS = 25,
};

/* RA flags octet (RFC 4861 §4.2, RFC 3775 H, RFC 4191 §2.2 Prf, RFC 8425 P). */
enum {
	DMM_ND_RA_M = 0x80,
	DMM_ND_RA_O = 0x40,
	DMM_ND_RA_H = 0x20,
	DMM_ND_RA_PRF_MASK = 0x18,
	DMM_ND_RA_P = 0x04,
	DMM_ND_RA_FLAGS = 0xfc, /* the bits the codec keeps; the rest are reserved */
};
#define DMM_ND_RA_PRF_SHIFT 3

/* Router preference values (RFC 4191 §2.1), two-bit signed. */
enum { DMM_ND_PRF_MEDIUM = 0, DMM_ND_PRF_HIGH = 1, DMM_ND_PRF_RESERVED = 2, DMM_ND_PRF_LOW = 3 };

/* PIO flags octet (RFC 4861 §4.6.2, RFC 6275 §7.2 R). */
enum { DMM_ND_PIO_L = 0x80, DMM_ND_PIO_A = 0x40, DMM_ND_PIO_R = 0x20, DMM_ND_PIO_FLAGS = 0xe0 };

/* NA flags, the first octet of the 32-bit field (RFC 4861 §4.4). */
enum { DMM_ND_NA_R = 0x80, DMM_ND_NA_S = 0x40, DMM_ND_NA_O = 0x20, DMM_ND_NA_FLAGS = 0xe0 };

/* PvD flags (RFC 8801 §3.1), the top three bits of the 16-bit flags+delay field. */
enum { DMM_ND_PVD_H = 0x4, DMM_ND_PVD_L = 0x2, DMM_ND_PVD_R = 0x1 };

#define DMM_ND_INFINITY 0xffffffffu /* lifetimes: RFC 4861 §4.6.2 */

/* A link-layer address as carried in an SLLAO/TLLAO: every octet after
 * Type and Length, so Ethernet (option Length 1) has len 6. Encode pads
 * with zeros to 8 octets; decode gives len = Length * 8 - 2, padding
 * included (the option does not say where the address ends). */
struct dmm_nd_lla {
	uint8_t len;
	uint8_t b[DMM_ND_LLA_MAX];
};

/* Prefix Information (RFC 4861 §4.6.2). Prefix bits beyond len are carried. */
struct dmm_nd_pio {
	struct dmm_prefix prefix;
	uint8_t flags;		   /* DMM_ND_PIO_*; reserved bits dropped on decode */
	uint32_t valid, preferred; /* seconds; preferred <= valid */
};

/* Route Information (RFC 4191 §2.3). Prefix octets the option does not
 * carry are zero after decode and not written by encode. */
struct dmm_nd_rio {
	struct dmm_prefix prefix;
	uint8_t prf; /* DMM_ND_PRF_*, never RESERVED */
	uint32_t lifetime;
};

/* Recursive DNS Server (RFC 8106 §5.1). */
struct dmm_nd_rdnss {
	uint32_t lifetime;
	uint8_t naddrs; /* 1 ... DMM_ND_RDNSS_MAX_ADDRS */
	struct dmm_addr addrs[DMM_ND_RDNSS_MAX_ADDRS];
};

/* The RA fields after Type, Code, Checksum (RFC 4861 §4.2). */
struct dmm_nd_ra_hdr {
	uint8_t cur_hop_limit;
	uint8_t flags;		  /* DMM_ND_RA_*; Prf kept as received, reserved bits dropped */
	uint16_t router_lifetime; /* seconds */
	uint32_t reachable_time;  /* milliseconds */
	uint32_t retrans_timer;	  /* milliseconds */
};

/* The options of a message, or of the inside of a PvD option. */
struct dmm_nd_opts {
	bool has_sllao, has_tllao, has_mtu;
	struct dmm_nd_lla sllao, tllao;
	uint32_t mtu;
	uint8_t npio, nrio, nrdnss;
	struct dmm_nd_pio pio[DMM_ND_MAX_PIO];
	struct dmm_nd_rio rio[DMM_ND_MAX_RIO];
	struct dmm_nd_rdnss rdnss[DMM_ND_MAX_RDNSS];
	/* Options skipped on decode: unknown types, known types that mean
	 * nothing in this message (RFC 4861 §4.6: ignored), RIOs with the
	 * reserved preference (RFC 4191 §2.3: ignored). Encode ignores it. */
	uint16_t skipped;
};

/* Provisioning Domain option (RFC 8801 §3.1). */
struct dmm_nd_pvd {
	uint8_t flags; /* DMM_ND_PVD_* */
	uint8_t delay; /* 4 bits */
	uint16_t seq;
	struct {
		uint8_t len; /* octets of the uncompressed DNS wire name, root label included */
		uint8_t b[DMM_ND_FQDN_MAX];
	} fqdn;
	struct dmm_nd_ra_hdr ra; /* meaningful when flags has DMM_ND_PVD_R */
	struct dmm_nd_opts opts; /* nested options; never another PvD */
};

/* One decoded ND message. */
struct dmm_nd_msg {
	uint8_t type; /* enum dmm_nd_type */
	union {
		struct dmm_nd_ra_hdr ra;
		struct {
			struct dmm_addr target;
		} ns;
		struct {
			uint8_t flags; /* DMM_ND_NA_* */
			struct dmm_addr target;
		} na;
	} u; /* RS has no fields: its 32 reserved bits are written 0 */
	struct dmm_nd_opts opts;
	bool has_pvd; /* RA only */
	struct dmm_nd_pvd pvd;
};

/* --- codec --- */

/*
 * Decode one ND message, buf[0..len) being the whole ICMPv6 message.
 * Checks the type (DMM_ERR_ND_TYPE), Code 0 (ND_CODE), the fixed part
 * (ND_TRUNCATED), NS/NA targets not multicast (ND_TARGET_MCAST) and every
 * option: zero length (ND_OPT_LEN_ZERO), running past the end
 * (ND_OPT_TRUNCATED), per-type lengths (ND_LLA_LEN, ND_MTU_LEN, ND_PIO_LEN,
 * ND_RIO_LEN, ND_RDNSS_LEN, ND_PVD_LEN), meaning (ND_PREFIX_LEN,
 * ND_PIO_LIFETIMES, ND_PVD_FQDN, ND_PVD_NESTED), duplicates of single
 * options (ND_OPT_DUP) and storage bounds (ND_TOO_MANY). Does not check
 * the checksum or anything that needs the IPv6 header.
 * out: filled (zeroed first); buf: borrowed for the call only.
 * Returns len (options run to the end of the message) or a negative
 * DMM_ERR_*; on error *out is unspecified.
 */
int dmm_nd_decode(struct dmm_nd_msg *out, const uint8_t *buf, size_t len);

/*
 * Decode an ND message received from src to dst with the given IPv6 Hop
 * Limit, applying RFC 4861 §6.1 / §7.1 validity: hop limit 255
 * (ND_HOP_LIMIT), checksum (ND_CHECKSUM), then dmm_nd_decode, then the
 * address rules: RA source link-local (ND_RA_SRC); no SLLAO from :: in RS
 * or NS (ND_SLLAO_UNSPEC); NS from :: only to a solicited-node multicast
 * address (ND_NS_DST); NA to a multicast address without S (ND_NA_SOLICITED).
 * Returns len or a negative DMM_ERR_*. All pointers are borrowed.
 */
int dmm_nd_decode_ip6(struct dmm_nd_msg *out, const uint8_t *buf, size_t len, const struct dmm_addr *src,
		      const struct dmm_addr *dst, uint8_t hop_limit);

/*
 * Encode m into buf[0..cap) as an ICMPv6 message from src to dst, the
 * checksum filled (RFC 4443 §2.3). Applies the same rules as the decoder,
 * so whatever it writes dmm_nd_decode accepts: DMM_ERR_INVAL for an
 * unknown type, the ND_* code of the first rule m breaks (e.g.
 * ND_PIO_LIFETIMES, ND_RIO_PRF, ND_LLA_LEN, ND_RDNSS_LEN, ND_TOO_MANY,
 * ND_PVD_FQDN; ND_PVD_LEN, should a PvD outgrow 255 * 8 octets, cannot
 * happen within the DMM_ND_MAX_* bounds), DMM_ERR_INVAL also for an
 * option that means nothing in m->type (a PIO in an NS, a PvD outside an
 * RA), DMM_ERR_NOBUF when cap is too small (buf[cap..] is never written).
 * m->opts.skipped is ignored. Returns the bytes written. All borrowed.
 */
int dmm_nd_encode(uint8_t *buf, size_t cap, const struct dmm_nd_msg *m, const struct dmm_addr *src,
		  const struct dmm_addr *dst);

/*
 * The ICMPv6 checksum of buf[0..len) sent from src to dst (RFC 4443 §2.3,
 * pseudo-header of RFC 8200 §8.1 with Next Header 58), computed with the
 * Checksum field (octets 2-3) taken as 0. len >= 4 is not required.
 */
uint16_t dmm_nd_checksum(const uint8_t *buf, size_t len, const struct dmm_addr *src,
			 const struct dmm_addr *dst);

/* --- building --- */

/* Reset m to an empty message of the given type (all fields 0, no options). */
void dmm_nd_init(struct dmm_nd_msg *m, uint8_t type);

/*
 * Reset m to an RA with cur_hop_limit, router_lifetime (seconds) and
 * flags (DMM_ND_RA_*), reachable and retrans 0 (unspecified), no options.
 */
void dmm_nd_ra_init(struct dmm_nd_msg *m, uint8_t cur_hop_limit, uint16_t router_lifetime, uint8_t flags);

/*
 * Set the SLLAO to the n octets at lla (6 for Ethernet). Returns 0, or
 * DMM_ERR_INVAL when n is 0 or above DMM_ND_LLA_MAX. Works for RS/RA/NS.
 */
int dmm_nd_set_sllao(struct dmm_nd_msg *m, const uint8_t *lla, size_t n);
/* The same for the TLLAO (NA). */
int dmm_nd_set_tllao(struct dmm_nd_msg *m, const uint8_t *lla, size_t n);

/* Set the MTU option. */
void dmm_nd_ra_set_mtu(struct dmm_nd_msg *m, uint32_t mtu);

/*
 * Append a PIO to opts (m->opts, or m->pvd.opts for a PvD's PIOs).
 * Returns 0, DMM_ERR_NOMEM when DMM_ND_MAX_PIO are there, DMM_ERR_ND_PREFIX_LEN
 * for a length above 128, DMM_ERR_ND_PIO_LIFETIMES when preferred > valid.
 */
int dmm_nd_ra_add_pio(struct dmm_nd_opts *opts, const struct dmm_prefix *p, uint8_t flags, uint32_t valid,
		      uint32_t preferred);

/*
 * Append a RIO. Octets beyond the prefix length's option size are
 * cleared so the decoder gives back the same prefix. Returns 0,
 * DMM_ERR_NOMEM, DMM_ERR_ND_PREFIX_LEN or DMM_ERR_ND_RIO_PRF (prf 2).
 */
int dmm_nd_ra_add_rio(struct dmm_nd_opts *opts, const struct dmm_prefix *p, uint8_t prf, uint32_t lifetime);

/*
 * Append an RDNSS option with n addresses (borrowed). Returns 0,
 * DMM_ERR_NOMEM, or DMM_ERR_INVAL when n is 0 or above DMM_ND_RDNSS_MAX_ADDRS.
 */
int dmm_nd_ra_add_rdnss(struct dmm_nd_opts *opts, uint32_t lifetime, const struct dmm_addr *addrs, size_t n);

/*
 * Give the RA a PvD option named fqdn (dotted text such as "pvd.example.org",
 * converted to DNS wire format), with flags (DMM_ND_PVD_*), delay and seq;
 * its nested options start empty (fill m->pvd.opts). Returns 0 or
 * DMM_ERR_ND_PVD_FQDN for an empty name, an empty or >63-octet label or
 * a name longer than 255 octets in wire form.
 */
int dmm_nd_ra_set_pvd(struct dmm_nd_msg *m, const char *fqdn, uint8_t flags, uint8_t delay, uint16_t seq);

/* The router preference of an RA (RFC 4191 §2.2: reserved reads as medium). */
uint8_t dmm_nd_ra_prf(const struct dmm_nd_ra_hdr *ra);

#endif
