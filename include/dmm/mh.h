/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Mobility Header codec (RFC 6275 §6.1) with the PMIPv6, heartbeat,
 * revocation, fast-handover, update-notification and DMM extensions.
 *
 * Wire bytes and host structs are different types: decode fills a
 * struct dmm_mh_msg from bytes, encode writes bytes from it. Neither does
 * I/O or allocates. The decoder checks every length and the meaning of
 * every field it knows; anything malformed returns its own DMM_ERR_*.
 *
 * Messages and options are described by const tables of field
 * descriptors (struct dmm_mh_desc). The codec and the JSON rendering in
 * dmmctl walk the same tables, so a field is named in one place only.
 *
 * Strict and tolerant (interoperability with independent peers): the
 * decoder refuses what could corrupt state (lengths, prefix lengths,
 * duplicates of non-repeatable options, truncation, MN-ID subtype rules,
 * a Handoff Indicator of 0 in a request) and accepts what the RFCs put on
 * the sender only: option alignment (RFC 6275 §6.2.1), reserved values
 * such as Access Technology Type 0 (RFC 5213 §8.5), nonzero Reserved
 * fields and unassigned flag bits. What it tolerated is recorded in
 * struct dmm_mh_msg.notes (DMM_MH_NOTE_*) so a role can count it and log
 * it at debug level. The encoder always writes the sender's form:
 * aligned options, Reserved fields zero.
 *
 * Partial decode: when dmm_mh_decode() fails, *out still holds what
 * decoded before the failure (see dmm_mh_decode() and `decoded`), so a
 * role can answer a bad PBU with a PBA that echoes the MN-ID, HNPs, HI,
 * ATT, Timestamp, MN-LLID and LLA that came before the bad octets
 * (RFC 5213 §5.3.6).
 */
#ifndef DMM_MH_H
#define DMM_MH_H

#include "dmm/types.h"

/* Next Header value of the Mobility Header, and its UDP port (RFC 5844). */
#define DMM_IPPROTO_MH 135
#define DMM_MH_UDP_PORT 5436
#define DMM_MH_PAYLOAD_PROTO 59
/* Header Len is 8 bits of 8-octet units beyond the first 8 octets. */
#define DMM_MH_MAX_LEN 2048
#define DMM_MH_MAX_OPTS 32
#define DMM_MH_MAX_HA_ADDRS 16
#define DMM_MH_OPT_DATA_MAX 255

/* MH types (IANA "Mobility Header Types"). */
enum dmm_mh_type {
	DMM_MH_BRR = 0,
	DMM_MH_BU = 5,
	DMM_MH_BA = 6,
	DMM_MH_BE = 7,
	DMM_MH_HAS = 12,  /* Home Agent Switch, RFC 5142 */
	DMM_MH_HB = 13,	  /* Heartbeat, RFC 5847 */
	DMM_MH_HI = 14,	  /* Handover Initiate, RFC 5568/5949 */
	DMM_MH_HACK = 15, /* Handover Acknowledge */
	DMM_MH_BR = 16,	  /* Binding Revocation, RFC 5846 */
	DMM_MH_LRI = 17,  /* Localized Routing Initiation, RFC 6705 §10.1 */
	DMM_MH_LRA = 18,  /* Localized Routing Acknowledgment, RFC 6705 §10.2 */
	DMM_MH_UPN = 19,  /* Update Notification, RFC 7077 */
	DMM_MH_UPA = 20,  /* Update Notification Acknowledgement */
};

/* Binding Revocation types (RFC 5846 §5). */
enum { DMM_BR_BRI = 1, DMM_BR_BRA = 2 };

/* RFC 5846 §5.1: revocation triggers (per MN below 128, global from 128). */
enum {
	DMM_BRI_TRIGGER_SAME_ATT = 2,	 /* inter-MAG handover, same access type */
	DMM_BRI_TRIGGER_OTHER_ATT = 3,	 /* inter-MAG handover, other access type */
	DMM_BRI_TRIGGER_UNKNOWN = 4,	 /* inter-MAG handover, unknown */
	DMM_BRI_TRIGGER_LAST_PER_MN = 7, /* Possible Out-of-Sync BCE State */
	DMM_BRI_TRIGGER_PER_PEER = 128,	 /* Per-Peer Policy */
	DMM_BRI_TRIGGER_REALM = 129,	 /* Revoking Mobility Node Local Policy */
};

/* RFC 5846 §5.2 and §8.1: BRA status values. */
enum {
	DMM_BRA_SUCCESS = 0,
	DMM_BRA_NO_BINDING = 128,
	DMM_BRA_GLOBAL_NOT_AUTHORIZED = 130,
	DMM_BRA_IDENTITY_REQUIRED = 131,
	DMM_BRA_MN_ATTACHED = 132,
	DMM_BRA_TRIGGER_NOT_SUPPORTED = 133,
	DMM_BRA_FUNCTION_NOT_SUPPORTED = 134,
};

/* BU flags (RFC 6275 §6.1.7, RFC 5213 P, RFC 8885 D). */
enum {
	DMM_BU_A = 0x8000,
	DMM_BU_H = 0x4000,
	DMM_BU_L = 0x2000,
	DMM_BU_K = 0x1000,
	DMM_BU_M = 0x0800,
	DMM_BU_R = 0x0400,
	DMM_BU_P = 0x0200,
	DMM_BU_F = 0x0100,
	DMM_BU_T = 0x0080,
	DMM_BU_B = 0x0040,
	DMM_BU_S = 0x0020,
	DMM_BU_D = 0x0010,
};

/* BA flags (RFC 6275 §6.1.8, RFC 5213 P, RFC 8885 D). */
enum {
	DMM_BA_K = 0x80,
	DMM_BA_R = 0x40,
	DMM_BA_P = 0x20,
	DMM_BA_T = 0x10,
	DMM_BA_B = 0x08,
	DMM_BA_S = 0x04,
	DMM_BA_D = 0x02,
};

enum { DMM_HB_U = 0x0002, DMM_HB_R = 0x0001 };				     /* RFC 5847 */
enum { DMM_HI_S = 0x80, DMM_HI_U = 0x40, DMM_HI_P = 0x20, DMM_HI_F = 0x10 }; /* RFC 5949 */
enum { DMM_HACK_U = 0x80, DMM_HACK_P = 0x40, DMM_HACK_F = 0x20 };
enum { DMM_BR_P = 0x8000, DMM_BR_V = 0x4000, DMM_BR_G = 0x2000 }; /* RFC 5846 */
enum { DMM_UPN_A = 0x8000, DMM_UPN_D = 0x4000 };		  /* RFC 7077 */
enum { DMM_REDIRECT_K = 0x8000, DMM_REDIRECT_N = 0x4000 };	  /* RFC 6463 */
enum { DMM_LRA_U = 0x80 };					  /* RFC 6705 §10.2 */

/* RFC 6705 §10.2: LRA status values; §10.1: Lifetime 0xffff is infinite. */
enum { DMM_LRA_SUCCESS = 0, DMM_LRA_NOT_ALLOWED = 128, DMM_LRA_MN_NOT_ATTACHED = 129 };
#define DMM_LR_LIFETIME_INFINITE 0xffff

/* BA status codes (RFC 6275 §6.1.8, RFC 4285, RFC 5213 §8.9). */
enum dmm_ba_status {
	DMM_BA_ACCEPTED = 0,
	DMM_BA_UNSPECIFIED = 128,
	DMM_BA_PROHIBITED = 129,
	DMM_BA_INSUFFICIENT_RESOURCES = 130,
	DMM_BA_HOME_REG_NOT_SUPPORTED = 131,
	DMM_BA_NOT_HOME_SUBNET = 132,
	DMM_BA_NOT_HA_FOR_MN = 133,
	DMM_BA_DAD_FAILED = 134,
	DMM_BA_SEQ_OUT_OF_WINDOW = 135,
	DMM_BA_MN_AUTH_FAILED = 144, /* RFC 4285: MIPV6-ID-MISMATCH */
	DMM_BA_MESG_ID_REQD = 145,
	DMM_BA_AUTH_FAILED = 146,
	DMM_BA_PROXY_REG_NOT_ENABLED = 152,
	DMM_BA_NOT_LMA_FOR_THIS_MN = 153,
	DMM_BA_MAG_NOT_AUTHORIZED = 154,
	DMM_BA_NOT_AUTHORIZED_FOR_HNP = 155,
	DMM_BA_TIMESTAMP_MISMATCH = 156,
	DMM_BA_TIMESTAMP_LOWER_THAN_PREV = 157,
	DMM_BA_MISSING_HNP = 158,
	DMM_BA_BCE_PBU_PREFIX_SET_MISMATCH = 159,
	DMM_BA_MISSING_MN_ID = 160,
	DMM_BA_MISSING_HI = 161,
	DMM_BA_MISSING_ATT = 162,
};

/* Binding Error status (RFC 6275 §6.1.9). */
enum { DMM_BE_UNKNOWN_HAO = 1, DMM_BE_UNKNOWN_MH_TYPE = 2 };

/* Mobility option types (IANA "Mobility Options"). */
enum dmm_mh_opt_type {
	DMM_OPT_PAD1 = 0,
	DMM_OPT_PADN = 1,
	DMM_OPT_BRA = 2,     /* Binding Refresh Advice */
	DMM_OPT_ACOA = 3,    /* Alternate Care-of Address */
	DMM_OPT_NONCE = 4,   /* Nonce Indices */
	DMM_OPT_BAD = 5,     /* Binding Authorization Data */
	DMM_OPT_MNID = 8,    /* RFC 4283, RFC 8371 */
	DMM_OPT_AUTH = 9,    /* RFC 4285 */
	DMM_OPT_MESGID = 10, /* RFC 4285 Replay Protection */
	DMM_OPT_VSM = 19,    /* Vendor-Specific, RFC 5094 */
	DMM_OPT_HNP = 22,    /* RFC 5213 §8.3 */
	DMM_OPT_HI = 23,
	DMM_OPT_ATT = 24,
	DMM_OPT_MNLLID = 25,
	DMM_OPT_LLA = 26,
	DMM_OPT_TIMESTAMP = 27,
	DMM_OPT_RESTART = 28,	 /* RFC 5847 */
	DMM_OPT_CTX_REQ = 40,	 /* Context Request, RFC 5949 §6.2.1 */
	DMM_OPT_LMAA = 41,	 /* LMA Address, RFC 5949 §6.2.2 */
	DMM_OPT_MN_LLA_IID = 42, /* MN Link-local Address Interface Identifier, RFC 5949 §6.2.3 */
	DMM_OPT_REDIR_CAP = 46,	 /* RFC 6463 */
	DMM_OPT_REDIRECT = 47,
	DMM_OPT_LOAD = 48,
	DMM_OPT_MCAST_SUB = 57,	      /* Active Multicast Subscription (IPv6), RFC 7161 §4.1 */
	DMM_OPT_LMA_UPA = 59,	      /* RFC 7389 */
	DMM_OPT_ANCHORED_PREFIX = 65, /* RFC 8885 */
	DMM_OPT_LOCAL_PREFIX = 66,
	DMM_OPT_PREV_MAAR = 67,
	DMM_OPT_SERVING_MAAR = 68,
	DMM_OPT_DLIF_LLA = 69,
	DMM_OPT_DLIF_LL = 70,
};

/* LMA Address option codes (RFC 5949 §6.2.2). */
enum { DMM_LMAA_IPV6 = 1, DMM_LMAA_IPV4 = 2 };

/* HI Code values with P set (RFC 5949 §6.1.1) and HAck Code values (§6.1.2). */
enum {
	DMM_HI_CODE_NONE = 0,
	DMM_HI_CODE_FWD_DONE = 2, /* completion of forwarding */
	DMM_HI_CODE_ALL_SENT = 3, /* all available context transferred */
};
enum {
	DMM_HACK_OK = 0,		/* handover accepted or successful */
	DMM_HACK_CTX_OK = 5,		/* context transfer accepted or successful */
	DMM_HACK_CTX_ALL = 6,		/* all available context transferred */
	DMM_HACK_NOT_ACCEPTED = 128,	/* handover not accepted, reason unspecified */
	DMM_HACK_PROHIBITED = 129,	/* administratively prohibited */
	DMM_HACK_NO_RESOURCES = 130,	/* insufficient resources */
	DMM_HACK_CTX_UNAVAILABLE = 131, /* requested context not available */
	DMM_HACK_FWD_UNAVAILABLE = 132, /* forwarding not available */
};

/* MN-ID subtypes (RFC 4283, RFC 8371). */
enum {
	DMM_MNID_NAI = 1,
	DMM_MNID_IPV6 = 2,
	DMM_MNID_IMSI = 3,
	DMM_MNID_PTMSI = 4,
	DMM_MNID_EUI48 = 5,
	DMM_MNID_EUI64 = 6,
	DMM_MNID_GUTI = 7,
	DMM_MNID_DUID = 8,
};

/* Handoff Indicator values (RFC 5213 §8.4). */
enum {
	DMM_HI_NEW_IF = 1,
	DMM_HI_BETWEEN_IFS = 2,
	DMM_HI_BETWEEN_MAGS = 3,
	DMM_HI_UNKNOWN = 4,
	DMM_HI_NO_CHANGE = 5,
};

/* Access Technology Type values (RFC 5213 §8.5). */
enum { DMM_ATT_VIRTUAL = 1, DMM_ATT_PPP = 2, DMM_ATT_8023 = 3, DMM_ATT_80211 = 4, DMM_ATT_80216E = 5 };

/* A variable-length byte field. */
struct dmm_mh_bytes {
	uint8_t len;
	uint8_t b[DMM_MH_OPT_DATA_MAX];
};

/* An address field that may be empty, IPv4 (len 4) or IPv6 (len 16). */
struct dmm_mh_ipaddr {
	uint8_t len;
	uint8_t b[16];
};

/* One decoded mobility option. Pad1/PadN never appear here. */
struct dmm_mh_opt {
	uint8_t type;
	union {
		struct {
			uint16_t interval; /* 4-second units */
		} bra;
		struct dmm_addr acoa;
		struct {
			uint16_t home_idx, coa_idx;
		} nonce;
		struct dmm_mh_bytes bad; /* authenticator */
		struct {
			uint8_t subtype;
			struct dmm_mh_bytes id;
		} mnid;
		struct {
			uint8_t subtype;
			uint32_t spi;
			struct dmm_mh_bytes data;
		} auth;
		struct {
			uint64_t timestamp; /* 64-bit NTP format */
		} mesgid;
		struct {
			uint32_t vendor_id;
			uint8_t subtype;
			struct dmm_mh_bytes data;
		} vsm;
		struct dmm_prefix hnp;
		struct {
			uint8_t value;
		} hi;
		struct {
			uint8_t value;
		} att;
		struct dmm_mh_bytes mnllid;
		struct dmm_addr lla;
		struct {
			uint64_t seconds;  /* 48 bits since 1970 */
			uint16_t fraction; /* 1/65536 s */
		} timestamp;
		struct {
			uint32_t counter;
		} restart;
		struct {
			uint16_t flags;
			struct dmm_mh_ipaddr r2lma;
		} redirect;
		struct {
			uint16_t priority;
			uint32_t sessions_in_use, max_sessions;
			uint32_t used_capacity, max_capacity;
		} load;
		struct dmm_mh_ipaddr lma_upa;
		/* RFC 5949 §6.2.1: the Req-type/Req-length(/Req-option) list after Reserved. */
		struct dmm_mh_bytes ctx_req;
		struct {
			uint8_t code; /* DMM_LMAA_IPV6 or DMM_LMAA_IPV4 */
			struct dmm_mh_ipaddr addr;
		} lmaa;
		struct {
			uint64_t iid;
		} mn_lla_iid;
		struct dmm_prefix anchored_prefix;
		struct dmm_prefix local_prefix;
		struct {
			struct dmm_prefix hnp; /* hnp.len is the option's Prefix Length */
			struct dmm_addr maar;
		} prev_maar;
		struct dmm_addr serving_maar;
		struct dmm_addr dlif_lla;
		struct dmm_mh_bytes dlif_ll;
		/*
		 * RFC 7161 §4.1.2: MLD Type 143 (MLDv2) with one Multicast Address
		 * Record (RFC 3810 §5.2.4) as the Multicast Membership Context, or
		 * 131 (MLDv1, §4.1.3) with 4 reserved octets and the address.
		 */
		struct {
			uint8_t type; /* MLD Type */
			struct dmm_mh_bytes rec;
		} mcast_sub;
	} u;
};

/*
 * What the decoder tolerated (struct dmm_mh_msg.notes). Each is a
 * deviation the RFC forbids the sender but not the receiver; none
 * changes what the message means. Roles count and log them at debug
 * level; dmm_mh_note_names() names the bits for logs.
 */
enum dmm_mh_note {
	/* An option was not at its xn+y offset (RFC 6275 §6.2.1 states
	 * alignment as a rule for the sender; options marked
	 * DMM_OPTF_ALIGN_SOFT are not noted). */
	DMM_MH_NOTE_MISALIGNED = 1 << 0,
	/* A field held a value its RFC reserves, accepted as is: Access
	 * Technology Type 0 (RFC 5213 §8.5). */
	DMM_MH_NOTE_RESERVED_VALUE = 1 << 1,
	/* A Reserved field, the MH header's Reserved octet or an unassigned
	 * flag bit was not zero ("MUST be ignored by the receiver"). Flag
	 * bits are kept in the flags field (and re-encoded); Reserved fields
	 * are dropped (and encoded as 0). */
	DMM_MH_NOTE_RESERVED_BITS = 1 << 2,
	/* A BA carried an empty form RFC 5213 §5.3.6 defines for a reply to
	 * a PBU that lacked the option: an MN-ID with a zero-length
	 * identifier, a Handoff Indicator of 0. Outside a BA these are
	 * refused (DMM_ERR_MNID_LEN, DMM_ERR_OPT_RESERVED). */
	DMM_MH_NOTE_EMPTY_FORM = 1 << 3,
	/* An option of unknown type was skipped (RFC 6275 §6.2.1); the count
	 * is in unknown_opts. */
	DMM_MH_NOTE_UNKNOWN_OPT = 1 << 4,
};

/* How far dmm_mh_decode() got (struct dmm_mh_msg.decoded); each level includes the ones before. */
enum dmm_mh_decoded {
	DMM_MH_DEC_NONE = 0,  /* nothing in the struct is valid but nopts (0) */
	DMM_MH_DEC_TYPE = 1,  /* type (and for BR, u.br.br_type) names a known message */
	DMM_MH_DEC_FIXED = 2, /* the fixed part (u) decoded; opts[0..nopts) decoded */
	DMM_MH_DEC_ALL = 3,   /* the whole message decoded (decode returned > 0) */
};

/* One decoded Mobility Header message. */
struct dmm_mh_msg {
	uint8_t type; /* enum dmm_mh_type */
	union {
		struct {
			uint16_t seq, flags;
			uint16_t lifetime; /* 4-second units */
		} bu;
		struct {
			uint8_t status, flags;
			uint16_t seq;
			uint16_t lifetime; /* 4-second units */
		} ba;
		struct {
			uint8_t status;
			struct dmm_addr home_addr;
		} be;
		struct {
			uint8_t naddrs;
			struct dmm_addr addrs[DMM_MH_MAX_HA_ADDRS];
		} has;
		struct {
			uint16_t flags;
			uint32_t seq;
		} hb;
		struct {
			uint16_t seq;
			uint8_t flags, code;
		} hi; /* also HAck */
		struct {
			uint8_t br_type;
			uint8_t code; /* BRI: revocation trigger; BRA: status */
			uint16_t seq, flags;
		} br;
		struct {
			uint16_t seq, reason, flags;
		} upn;
		struct {
			uint16_t seq;
			uint8_t status;
		} upa;
		struct {
			uint16_t seq;
			uint8_t flags;	   /* LRA: DMM_LRA_U */
			uint8_t status;	   /* LRA only */
			uint16_t lifetime; /* seconds (not 4-second units), RFC 6705 §10.1 */
		} lr;			   /* LRI and LRA */
	} u;
	uint8_t nopts;
	uint16_t unknown_opts; /* options skipped because their type is unknown */
	/* Set by dmm_mh_decode(), also when it fails; encode ignores them. */
	uint8_t decoded;  /* enum dmm_mh_decoded */
	uint8_t err_opt;  /* on failure inside an option: its type; else 0 */
	uint16_t err_off; /* on failure: offset of the option or field that failed */
	uint16_t notes;	  /* DMM_MH_NOTE_* */
	struct dmm_mh_opt opts[DMM_MH_MAX_OPTS];
};

/* --- field descriptors: shared by the codec and the JSON rendering --- */

enum dmm_mh_fkind {
	DMM_FK_U8,
	DMM_FK_U16,
	DMM_FK_U32,
	DMM_FK_U48, /* stored in uint64_t */
	DMM_FK_U64,
	DMM_FK_FLAGS8,
	DMM_FK_FLAGS16,
	DMM_FK_RSV8, /* reserved: written 0, ignored on receipt */
	DMM_FK_RSV16,
	DMM_FK_RSV24,
	DMM_FK_ADDR,   /* struct dmm_addr */
	DMM_FK_ADDRS,  /* struct dmm_addr[], count in the U8 field at aux */
	DMM_FK_BYTES,  /* struct dmm_mh_bytes, the rest of the option */
	DMM_FK_IPADDR, /* struct dmm_mh_ipaddr, the rest: 0, 4 or 16 octets */
};

/* Rendering hints for dmmctl; the codec ignores them. */
enum dmm_mh_fhint {
	DMM_FH_NONE,
	DMM_FH_PLEN, /* prefix length belonging to the next ADDR field */
	DMM_FH_MNID, /* identifier rendered according to the subtype field */
	DMM_FH_HEX,
	DMM_FH_MAC, /* link-layer address, colon-separated hex */
};

struct dmm_mh_field {
	const char *name;	 /* JSON name; NULL for reserved fields */
	uint8_t kind;		 /* enum dmm_mh_fkind */
	uint8_t hint;		 /* enum dmm_mh_fhint */
	uint16_t off;		 /* offset in the union member */
	uint16_t aux;		 /* DMM_FK_ADDRS: offset of the count */
	const char *const *bits; /* flag names, most significant bit first; NULL = unnamed */
};

enum {
	DMM_OPTF_REPEAT = 1 << 0,     /* may appear more than once */
	DMM_OPTF_LAST = 1 << 1,	      /* must be the last option */
	DMM_OPTF_ALIGN_SOFT = 1 << 2, /* aligned on encode; misalignment not even noted on decode */
};

struct dmm_mh_desc {
	uint8_t type;		  /* MH type or option type */
	uint8_t sub;		  /* for MH 16: B.R. type; else 0 */
	const char *name;	  /* short name, e.g. "BU", "HNP" */
	const char *title;	  /* RFC title */
	uint8_t min_len, max_len; /* options: Length field bounds */
	uint8_t align_x, align_y; /* options: alignment xn+y; x = 1 for none */
	uint8_t flags;		  /* DMM_OPTF_* */
	uint8_t nfields;
	/* Options: the octets of struct dmm_mh_opt from its start that the
	 * type and the fields' union member take (what dmm_mh_decode() and
	 * dmm_mh_add_opt() clear); 0 for messages. */
	uint16_t clear;
	const struct dmm_mh_field *fields;
	/* Meaning check after framing, given the whole struct dmm_mh_opt or
	 * struct dmm_mh_msg and the MH type of the message it is in (some
	 * forms are legal only in a reply, RFC 5213 §5.3.6). Returns 0, a
	 * negative DMM_ERR_* (refused by decode and encode) or a positive
	 * set of DMM_MH_NOTE_* bits (accepted by both; decode records them
	 * in notes). May be NULL. */
	int (*check)(const void *obj, uint8_t msg_type);
};

/* Descriptor of a known option type, or NULL. */
const struct dmm_mh_desc *dmm_mh_opt_desc(uint8_t type);
/* Descriptor of a known option by name ("HNP"), or NULL. */
const struct dmm_mh_desc *dmm_mh_opt_desc_by_name(const char *name);
/* Descriptor of message msg (type and, for BR, br_type), or NULL. */
const struct dmm_mh_desc *dmm_mh_msg_desc(uint8_t type, uint8_t sub);
/* Descriptor of a message by name ("BU", "BRI"), or NULL. */
const struct dmm_mh_desc *dmm_mh_msg_desc_by_name(const char *name);
/* All option / message descriptors, for iteration; *n receives the count. */
const struct dmm_mh_desc *dmm_mh_opt_descs(size_t *n);
const struct dmm_mh_desc *dmm_mh_msg_descs(size_t *n);

/* --- codec --- */

/*
 * Decode one Mobility Header from buf. Checks Payload Proto, Header Len,
 * type, the fixed part and every option; does not check the checksum.
 * Tolerated deviations are accepted and recorded in out->notes.
 * Returns the number of bytes the header occupies ((Header Len + 1) * 8)
 * or a negative DMM_ERR_*.
 *
 * On error *out keeps what decoded before the failure, so that a reply
 * can echo it (RFC 5213 §5.3.6, §8.2):
 *   out->decoded    how far decoding got (enum dmm_mh_decoded); the
 *                   header fields u.* are valid from DMM_MH_DEC_FIXED on;
 *   out->opts[0..nopts)  every option that decoded completely and passed
 *                   its checks, in wire order (find them with
 *                   dmm_mh_find_opt() as usual); the failing option and
 *                   everything after it are not there;
 *   out->err_off, out->err_opt  where it failed, for logs;
 *   out->notes, out->unknown_opts  for the part decoded.
 * Decoding stops at the first error: options after a bad one are not read.
 */
int dmm_mh_decode(struct dmm_mh_msg *out, const uint8_t *buf, size_t len);

/*
 * Decode a Mobility Header received as an IPv6 extension header between
 * src and dst: verifies the checksum (DMM_ERR_CHECKSUM), then decodes.
 */
int dmm_mh_decode_ip6(struct dmm_mh_msg *out, const uint8_t *buf, size_t len, const struct dmm_addr *src,
		      const struct dmm_addr *dst);

/*
 * Encode msg into buf with the checksum field 0, which is the form for
 * UDP transport (RFC 5844 §4). Options are written in order, each
 * preceded by Pad1/PadN to meet its alignment; the message is padded to a
 * multiple of 8. Returns bytes written, DMM_ERR_NOBUF, DMM_ERR_TOO_LONG or
 * DMM_ERR_INVAL for a message that cannot be encoded.
 */
int dmm_mh_encode(uint8_t *buf, size_t cap, const struct dmm_mh_msg *msg);

/* As dmm_mh_encode, then fill the checksum for src -> dst (RFC 6275 §6.1.1). */
int dmm_mh_encode_ip6(uint8_t *buf, size_t cap, const struct dmm_mh_msg *msg, const struct dmm_addr *src,
		      const struct dmm_addr *dst);

/* The MH checksum of buf[0..len) for src -> dst, computed with the checksum field taken as 0. */
uint16_t dmm_mh_checksum(const uint8_t *buf, size_t len, const struct dmm_addr *src,
			 const struct dmm_addr *dst);

/*
 * Names of the DMM_MH_NOTE_* bits in notes, comma-separated ("misaligned,
 * reserved-value"), into buf of cap octets (always terminated); "" for 0.
 * Returns buf.
 */
const char *dmm_mh_note_names(uint16_t notes, char *buf, size_t cap);

/* --- authentication (RFC 4285) on encoded messages --- */

/* RFC 4285 §5.1: subtype of the MN-HA Mobility Message Authentication option. */
#define DMM_MH_AUTH_MN_HA 1
/* Option Length of an Authentication option: Subtype and SPI, then the Authentication Data. */
#define DMM_MH_AUTH_FIXED 5
/* Longest Authentication Data dmm_mh_auth_append() writes (a truncated HMAC is at most this). */
#define DMM_MH_AUTH_DATA_MAX 32

/*
 * Where the authentication of an encoded message sits (RFC 4285 §5):
 * the "MH Data" it covers is buf[0, data_len) with the Checksum (octets
 * 4-5) taken as zero; a MAC reads it in place as buf[0, 4), two zero
 * octets, buf[6, data_len), so nothing is copied. All offsets are from
 * the start of the Mobility Header.
 */
struct dmm_mh_auth_span {
	size_t mh_len;	 /* the message: (Header Len + 1) * 8 */
	size_t opt_off;	 /* the Authentication option's Type octet */
	size_t data_len; /* MH Data: up to and including the Mobility SPI */
	size_t auth_off; /* the Authentication Data */
	size_t auth_len;
	uint32_t spi;
	uint8_t subtype;
	bool has_mesgid; /* a Replay Protection option (type 10, RFC 4285 §6) came before it */
	uint64_t mesgid; /* its Timestamp, 64-bit NTP format */
};

/*
 * Find the Authentication option of the encoded message buf[0, len) and
 * fill *out. Checks the framing that locating it needs: the header
 * (Payload Proto, Header Len within len, a known type whose fixed part
 * fits), every option's length within the message, and that the
 * Authentication option is the only one and, as every option that must
 * be last (DMM_OPTF_LAST), followed by padding only; what
 * the full decoder tolerates (alignment) is tolerated here too. Meaning
 * beyond that (the MAC, the SPI) is the caller's.
 * Returns 0; DMM_ERR_NOTFOUND when the message is well framed and has no
 * Authentication option (out->mh_len and out->has_mesgid/mesgid are then
 * set); or the DMM_ERR_* of dmm_mh_decode() for the framing error
 * (DMM_ERR_OPT_LEN for an option shorter than Subtype and SPI).
 */
int dmm_mh_auth_find(const uint8_t *buf, size_t len, struct dmm_mh_auth_span *out);

/*
 * Append authentication to the encoded message buf[0, len) (cap octets
 * of room): the trailing padding is dropped, then, when mesgid is not
 * NULL, a Replay Protection option (8n+2, RFC 4285 §6) with *mesgid, then
 * an MN-HA Authentication option (4n+1, placed so that the message ends
 * on 8 octets without trailing padding where 4n+1 allows) with spi and
 * auth_len zero octets of Authentication Data for the caller's MAC; Header
 * Len is updated and the message padded to a multiple of 8. *span is
 * filled as dmm_mh_auth_find() would. Returns the new length; the errors
 * of dmm_mh_auth_find() for a message it cannot frame, DMM_ERR_EXISTS when
 * it already has an Authentication (or, with mesgid, a Replay Protection)
 * option, DMM_ERR_OPT_NOT_LAST when it ends with another option that must be
 * last (Binding Authorization Data), DMM_ERR_INVAL for auth_len 0 or above
 * DMM_MH_AUTH_DATA_MAX, or
 * DMM_ERR_NOBUF / DMM_ERR_TOO_LONG. buf is unchanged on error.
 */
int dmm_mh_auth_append(uint8_t *buf, size_t cap, size_t len, uint32_t spi, size_t auth_len,
		       const uint64_t *mesgid, struct dmm_mh_auth_span *span);

/* --- building and reading messages --- */

/* Reset msg to an empty message of the given type (notes and decode state cleared). */
void dmm_mh_init(struct dmm_mh_msg *msg, uint8_t type);

/*
 * Append an option of the given type, its union member zeroed (all of u
 * for a type without a descriptor); NULL when the message is full. The
 * octets of u past the type's member are unspecified, in a decoded
 * option as in an added one: read an option through its type's member.
 */
struct dmm_mh_opt *dmm_mh_add_opt(struct dmm_mh_msg *msg, uint8_t type);

/* The first option of type after 'after' (NULL: from the start), or NULL. */
const struct dmm_mh_opt *dmm_mh_find_opt(const struct dmm_mh_msg *msg, uint8_t type,
					 const struct dmm_mh_opt *after);

/* Number of options of the given type. */
unsigned dmm_mh_count_opt(const struct dmm_mh_msg *msg, uint8_t type);

/*
 * RFC 5213 §5.3.6 for a PBA that refuses (status >= 128): append to pba
 * the options copied from pbu, in the order of §5.3.6 Figure 6: the
 * MN-ID, every HNP, HI, ATT, Timestamp, MN-LLID and Link-local Address
 * that pbu holds. pbu may be a partial decode (dmm_mh_decode() failed at
 * DMM_MH_DEC_FIXED or later): only its opts[0..nopts) are read. For each
 * mandatory option it lacks, the empty form §5.3.6 defines: an MN-ID with
 * a zero-length identifier (subtype NAI), one HNP ALL_ZERO (::/0), HI 0,
 * ATT 0. The caller sets the fixed part (status, P flag, seq) and, for
 * status 156/157, replaces the Timestamp (§5.5). Returns 0, or
 * DMM_ERR_OPT_TOO_MANY when pba ran out of option slots (what fitted
 * stays; mandatory options come first).
 */
int dmm_mh_pba_echo(struct dmm_mh_msg *pba, const struct dmm_mh_msg *pbu);

/*
 * Sequence numbers compare modulo 2^16 (RFC 6275 §9.5.1): true when a is
 * less than b, i.e. b is 1 ... 32767 ahead of a.
 */
static inline bool dmm_seq_lt(uint16_t a, uint16_t b)
{
	uint16_t d = (uint16_t)(b - a);

	return d != 0 && d < 0x8000;
}

/* Lifetime conversion: 4-second units on the wire (RFC 6275 §6.1.7). */
static inline uint32_t dmm_lifetime_seconds(uint16_t units)
{
	return (uint32_t)units * 4u;
}

/* Seconds to wire units, rounded up and capped at 0xffff. */
static inline uint16_t dmm_lifetime_units(uint32_t seconds)
{
	uint32_t u = seconds / 4u + (seconds % 4u != 0);

	return u > 0xffffu ? 0xffff : (uint16_t)u;
}

#endif
