/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Error codes. Every function that can fail returns a negative DMM_ERR_*;
 * each kind of malformed input has its own code so that counters and logs
 * can tell them apart.
 */
#ifndef DMM_ERR_H
#define DMM_ERR_H

/* clang-format off */
#define DMM_ERRORS(X)                                                              \
	X(NOBUF, "output buffer too small")                                        \
	X(INVAL, "invalid argument")                                               \
	X(NOMEM, "out of preallocated space")                                      \
	X(NOTFOUND, "not found")                                                   \
	X(EXISTS, "already exists")                                                \
	X(TRUNCATED, "message shorter than its header length")                     \
	X(PAYLOAD_PROTO, "payload proto is not 59 (no next header)")              \
	X(HDR_LEN, "header length too short for the message type")                 \
	X(UNKNOWN_TYPE, "unknown mobility header type")                            \
	X(BR_TYPE, "unknown binding revocation type")                              \
	X(CHECKSUM, "mobility header checksum mismatch")                           \
	X(TOO_LONG, "message longer than a mobility header can be")               \
	X(HA_COUNT, "home agent address count does not fit the message")          \
	X(OPT_TRUNCATED, "mobility option runs past the end of the message")      \
	X(OPT_LEN, "mobility option length wrong for its type")                   \
	X(OPT_ALIGN, "mobility option misaligned")                                 \
	X(OPT_DUP, "second copy of a mobility option allowed only once")          \
	X(OPT_NOT_LAST, "authentication option is not the last option")           \
	X(OPT_TOO_MANY, "too many mobility options")                              \
	X(OPT_RESERVED, "reserved value in a mobility option")                    \
	X(PREFIX_LEN, "prefix length above 128")                                   \
	X(MNID_LEN, "MN identifier length wrong for its subtype")                 \
	X(MNID_ADDR, "MN identifier IPv6 address not a routable unicast address") \
	X(MNID_IMSI, "MN identifier IMSI is not BCD digits")                      \
	X(REDIRECT_FLAGS, "redirect option K and N flags inconsistent")           \
	X(ADDR_LEN, "address field neither IPv4 nor IPv6 sized")                   \
	X(MCAST_GROUP, "multicast subscription names no multicast address")       \
	X(ND_TRUNCATED, "ND message shorter than its fixed part")                 \
	X(ND_TYPE, "ICMPv6 type is not RS, RA, NS or NA")                         \
	X(ND_CODE, "ND message code is not 0")                                     \
	X(ND_OPT_LEN_ZERO, "ND option with length 0")                             \
	X(ND_OPT_TRUNCATED, "ND option runs past the end of the message")         \
	X(ND_OPT_DUP, "second copy of an ND option allowed only once")            \
	X(ND_TOO_MANY, "more ND options of one kind than the codec keeps")        \
	X(ND_LLA_LEN, "link-layer address option longer than the codec keeps")    \
	X(ND_MTU_LEN, "MTU option length is not 1")                               \
	X(ND_PIO_LEN, "prefix information option length is not 4")               \
	X(ND_PREFIX_LEN, "ND prefix length above 128")                            \
	X(ND_PIO_LIFETIMES, "prefix preferred lifetime exceeds valid lifetime")   \
	X(ND_RIO_LEN, "route information option length wrong for prefix length") \
	X(ND_RIO_PRF, "route preference is the reserved value 10")                \
	X(ND_RDNSS_LEN, "RDNSS option length below 3 or even")                    \
	X(ND_PVD_LEN, "PvD option too short for its name, RA header or options")  \
	X(ND_PVD_FQDN, "PvD ID is not an uncompressed DNS name")                  \
	X(ND_PVD_NESTED, "PvD option inside a PvD option")                        \
	X(ND_TARGET_MCAST, "ND target address is multicast")                      \
	X(ND_HOP_LIMIT, "ND message hop limit is not 255")                        \
	X(ND_CHECKSUM, "ICMPv6 checksum mismatch")                                 \
	X(ND_RA_SRC, "router advertisement source is not link-local")            \
	X(ND_SLLAO_UNSPEC, "source link-layer address option from ::")           \
	X(ND_NS_DST, "neighbor solicitation from :: not to solicited-node group") \
	X(ND_NA_SOLICITED, "solicited flag in NA sent to multicast")                \
	X(DATAPLANE, "the data plane refused the forwarding intent")
/* clang-format on */

enum {
	DMM_OK = 0,
#define DMM_ERR_ENUM_(n, s) DMM_ERR_##n##_IDX_,
	DMM_ERR_BASE_ = 0,
	DMM_ERRORS(DMM_ERR_ENUM_)
#undef DMM_ERR_ENUM_
};

/* Negative error codes, -1 ... -N, in the order of DMM_ERRORS. */
enum dmm_err {
#define DMM_ERR_NEG_(n, s) DMM_ERR_##n = -DMM_ERR_##n##_IDX_,
	DMM_ERRORS(DMM_ERR_NEG_)
#undef DMM_ERR_NEG_
};

/* A static, human-readable text for err (0 or a DMM_ERR_*). */
const char *dmm_strerror(int err);

/* The short name of err, e.g. "OPT_LEN"; "OK" for 0; "?" if unknown. */
const char *dmm_errname(int err);

#endif
