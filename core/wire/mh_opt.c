/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The table of mobility option descriptors (STYLE.md, after BIRD's
 * tlv_data[]): one const entry per option type with its length bounds,
 * alignment (xn+y from the start of the Mobility Header), repeatability
 * and field layout. The generic loop in mh.c does framing, padding,
 * alignment, duplicates and "authentication last"; the check functions
 * here add the meaning of each field.
 */
#include <stddef.h>
#include <string.h>

#include "dmm/err.h"
#include "dmm/mh.h"

#define OFF(m) (uint16_t)(offsetof(struct dmm_mh_opt, u.m) - offsetof(struct dmm_mh_opt, u))

/* clang-format off */
/* Field helpers: name, kind, hint, offset within the union. */
#define F(n, k, m) {n, DMM_FK_##k, DMM_FH_NONE, OFF(m), 0, NULL}
#define FH(n, k, h, m) {n, DMM_FK_##k, DMM_FH_##h, OFF(m), 0, NULL}
#define FPLEN(m, addrm) {"prefix_length", DMM_FK_U8, DMM_FH_PLEN, OFF(m), OFF(addrm), NULL}
#define FB(n, k, m, b) {n, DMM_FK_##k, DMM_FH_NONE, OFF(m), 0, b}
#define RSV(k) {NULL, DMM_FK_##k, DMM_FH_NONE, 0, 0, NULL}
#define FIELDS(a) (uint8_t)(sizeof(a) / sizeof((a)[0])), a
/* clang-format on */

static const struct dmm_mh_field f_bra[] = {F("refresh_interval", U16, bra.interval)};
static const struct dmm_mh_field f_acoa[] = {F("alternate_coa", ADDR, acoa)};
static const struct dmm_mh_field f_nonce[] = {F("home_nonce_index", U16, nonce.home_idx),
					      F("careof_nonce_index", U16, nonce.coa_idx)};
static const struct dmm_mh_field f_bad[] = {FH("authenticator", BYTES, HEX, bad)};
static const struct dmm_mh_field f_mnid[] = {F("subtype", U8, mnid.subtype),
					     FH("identifier", BYTES, MNID, mnid.id)};
static const struct dmm_mh_field f_auth[] = {F("subtype", U8, auth.subtype), F("spi", U32, auth.spi),
					     FH("authentication_data", BYTES, HEX, auth.data)};
static const struct dmm_mh_field f_mesgid[] = {F("timestamp", U64, mesgid.timestamp)};
static const struct dmm_mh_field f_vsm[] = {F("vendor_id", U32, vsm.vendor_id), F("subtype", U8, vsm.subtype),
					    FH("data", BYTES, HEX, vsm.data)};
static const struct dmm_mh_field f_hnp[] = {RSV(RSV8), FPLEN(hnp.len, hnp.addr), F("prefix", ADDR, hnp.addr)};
static const struct dmm_mh_field f_hi[] = {RSV(RSV8), F("handoff_indicator", U8, hi.value)};
static const struct dmm_mh_field f_att[] = {RSV(RSV8), F("access_technology_type", U8, att.value)};
static const struct dmm_mh_field f_mnllid[] = {RSV(RSV16), FH("link_layer_identifier", BYTES, MAC, mnllid)};
static const struct dmm_mh_field f_lla[] = {F("link_local_address", ADDR, lla)};
static const struct dmm_mh_field f_ts[] = {F("seconds", U48, timestamp.seconds),
					   F("fraction", U16, timestamp.fraction)};
static const struct dmm_mh_field f_restart[] = {F("restart_counter", U32, restart.counter)};
static const struct dmm_mh_field f_redircap[] = {RSV(RSV16)};
static const char *const redirect_bits[16] = {"K", "N"};
static const struct dmm_mh_field f_redirect[] = {FB("flags", FLAGS16, redirect.flags, redirect_bits),
						 F("r2lma", IPADDR, redirect.r2lma)};
static const struct dmm_mh_field f_load[] = {
	F("priority", U16, load.priority), F("sessions_in_use", U32, load.sessions_in_use),
	F("maximum_sessions", U32, load.max_sessions), F("used_capacity", U32, load.used_capacity),
	F("maximum_capacity", U32, load.max_capacity)};
static const struct dmm_mh_field f_lmaupa[] = {RSV(RSV16), F("lma_user_plane_address", IPADDR, lma_upa)};
static const struct dmm_mh_field f_anch[] = {RSV(RSV8), FPLEN(anchored_prefix.len, anchored_prefix.addr),
					     F("prefix", ADDR, anchored_prefix.addr)};
static const struct dmm_mh_field f_local[] = {RSV(RSV8), FPLEN(local_prefix.len, local_prefix.addr),
					      F("prefix", ADDR, local_prefix.addr)};
static const struct dmm_mh_field f_pmaar[] = {RSV(RSV8), FPLEN(prev_maar.hnp.len, prev_maar.hnp.addr),
					      F("previous_maar", ADDR, prev_maar.maar),
					      F("prefix", ADDR, prev_maar.hnp.addr)};
static const struct dmm_mh_field f_smaar[] = {F("serving_maar", ADDR, serving_maar)};
static const struct dmm_mh_field f_dlifl[] = {F("dlif_link_local_address", ADDR, dlif_lla)};
static const struct dmm_mh_field f_dlifll[] = {RSV(RSV16),
					       FH("dlif_link_layer_address", BYTES, MAC, dlif_ll)};

/* --- semantic checks (after framing); obj is the struct dmm_mh_opt --- */

static int check_prefix_len(uint8_t len)
{
	return len > 128 ? DMM_ERR_PREFIX_LEN : 0;
}

static int chk_hnp(const void *obj)
{
	return check_prefix_len(((const struct dmm_mh_opt *)obj)->u.hnp.len);
}

static int chk_anch(const void *obj)
{
	return check_prefix_len(((const struct dmm_mh_opt *)obj)->u.anchored_prefix.len);
}

static int chk_local(const void *obj)
{
	return check_prefix_len(((const struct dmm_mh_opt *)obj)->u.local_prefix.len);
}

static int chk_pmaar(const void *obj)
{
	return check_prefix_len(((const struct dmm_mh_opt *)obj)->u.prev_maar.hnp.len);
}

/* RFC 5213 §8.4, §8.5: value 0 is reserved. */
static int chk_hi(const void *obj)
{
	return ((const struct dmm_mh_opt *)obj)->u.hi.value == 0 ? DMM_ERR_OPT_RESERVED : 0;
}

static int chk_att(const void *obj)
{
	return ((const struct dmm_mh_opt *)obj)->u.att.value == 0 ? DMM_ERR_OPT_RESERVED : 0;
}

/* RFC 8371 §4.2: IMSI is up to 15 BCD digits, high nibble first, 0xf pads the last. */
static int check_imsi(const struct dmm_mh_bytes *id)
{
	if (id->len > 8)
		return DMM_ERR_MNID_LEN;
	for (unsigned i = 0; i < id->len; i++) {
		uint8_t hi = id->b[i] >> 4, lo = id->b[i] & 0xf;
		bool last = i + 1 == id->len;

		if (hi > 9 || (lo > 9 && !(last && lo == 0xf)))
			return DMM_ERR_MNID_IMSI;
	}
	return 0;
}

/* RFC 8371 §4.1: a routable unicast address; not multicast, link-local or unspecified. */
static int check_mnid_ipv6(const struct dmm_mh_bytes *id)
{
	struct dmm_addr a;

	if (id->len != 16)
		return DMM_ERR_MNID_LEN;
	memcpy(a.b, id->b, 16);
	if (a.b[0] == 0xff || (a.b[0] == 0xfe && (a.b[1] & 0xc0) == 0x80) || dmm_addr_is_zero(&a))
		return DMM_ERR_MNID_ADDR;
	return 0;
}

/* RFC 4283 §3 and RFC 8371 §4: the identifier's length follows from its subtype. */
static int chk_mnid(const void *obj)
{
	const struct dmm_mh_opt *o = obj;
	const struct dmm_mh_bytes *id = &o->u.mnid.id;

	if (id->len == 0)
		return DMM_ERR_MNID_LEN;
	switch (o->u.mnid.subtype) {
	case 0:
		return DMM_ERR_OPT_RESERVED;
	case DMM_MNID_IPV6:
		return check_mnid_ipv6(id);
	case DMM_MNID_IMSI:
		return check_imsi(id);
	case DMM_MNID_PTMSI:
		return id->len == 4 ? 0 : DMM_ERR_MNID_LEN;
	case DMM_MNID_EUI48:
		return id->len == 6 ? 0 : DMM_ERR_MNID_LEN;
	case DMM_MNID_EUI64:
		return id->len == 8 ? 0 : DMM_ERR_MNID_LEN;
	case DMM_MNID_GUTI:
		return id->len == 10 ? 0 : DMM_ERR_MNID_LEN;
	case DMM_MNID_DUID:
		/* RFC 8415 §11.1: a 2-octet type and at most 128 octets. */
		return id->len >= 3 && id->len <= 130 ? 0 : DMM_ERR_MNID_LEN;
	default:
		return 0; /* NAI and unassigned subtypes are opaque octets */
	}
}

/* RFC 4285 §5: subtype 1 MN-HA, 2 MN-AAA; 0 is reserved. */
static int chk_auth(const void *obj)
{
	return ((const struct dmm_mh_opt *)obj)->u.auth.subtype == 0 ? DMM_ERR_OPT_RESERVED : 0;
}

/* RFC 6463 §4.2: exactly one of K (IPv6, Len 18) and N (IPv4, Len 6). */
static int chk_redirect(const void *obj)
{
	const struct dmm_mh_opt *o = obj;
	uint16_t f = o->u.redirect.flags & (DMM_REDIRECT_K | DMM_REDIRECT_N);
	uint8_t len = o->u.redirect.r2lma.len;

	if (len != 4 && len != 16)
		return DMM_ERR_ADDR_LEN;
	if ((f == DMM_REDIRECT_K && len == 16) || (f == DMM_REDIRECT_N && len == 4))
		return 0;
	return DMM_ERR_REDIRECT_FLAGS;
}

/* RFC 7389 §4: empty (or ALL_ZERO) in a PBU, else an IPv4 or IPv6 address. */
static int chk_lmaupa(const void *obj)
{
	uint8_t len = ((const struct dmm_mh_opt *)obj)->u.lma_upa.len;

	return len == 0 || len == 4 || len == 16 ? 0 : DMM_ERR_ADDR_LEN;
}

#define R DMM_OPTF_REPEAT
#define L DMM_OPTF_LAST

/* Sorted by type. Lengths are the option's Length field (excluding Type and Length). */
static const struct dmm_mh_desc opt_descs[] = {
	{DMM_OPT_BRA, 0, "BRA", "Binding Refresh Advice (RFC 6275 §6.2.4)", 2, 2, 2, 0, 0, FIELDS(f_bra),
	 NULL},
	{DMM_OPT_ACOA, 0, "ACOA", "Alternate Care-of Address (RFC 6275 §6.2.5)", 16, 16, 8, 6, 0,
	 FIELDS(f_acoa), NULL},
	{DMM_OPT_NONCE, 0, "NONCE", "Nonce Indices (RFC 6275 §6.2.6)", 4, 4, 2, 0, 0, FIELDS(f_nonce), NULL},
	{DMM_OPT_BAD, 0, "BAD", "Binding Authorization Data (RFC 6275 §6.2.7)", 1, 255, 8, 2,
	 L | DMM_OPTF_ALIGN_SOFT, FIELDS(f_bad), NULL},
	{DMM_OPT_MNID, 0, "MN-ID", "Mobile Node Identifier (RFC 4283, RFC 8371)", 2, 255, 1, 0, 0,
	 FIELDS(f_mnid), chk_mnid},
	{DMM_OPT_AUTH, 0, "AUTH", "Authentication (RFC 4285 §5)", 6, 255, 4, 1, L, FIELDS(f_auth), chk_auth},
	{DMM_OPT_MESGID, 0, "MESG-ID", "Replay Protection (RFC 4285 §6)", 8, 8, 8, 2, 0, FIELDS(f_mesgid),
	 NULL},
	{DMM_OPT_VSM, 0, "VSM", "Vendor-Specific (RFC 5094)", 5, 255, 4, 2, R, FIELDS(f_vsm), NULL},
	{DMM_OPT_HNP, 0, "HNP", "Home Network Prefix (RFC 5213 §8.3)", 18, 18, 8, 4, R, FIELDS(f_hnp),
	 chk_hnp},
	{DMM_OPT_HI, 0, "HI", "Handoff Indicator (RFC 5213 §8.4)", 2, 2, 1, 0, 0, FIELDS(f_hi), chk_hi},
	{DMM_OPT_ATT, 0, "ATT", "Access Technology Type (RFC 5213 §8.5)", 2, 2, 1, 0, 0, FIELDS(f_att),
	 chk_att},
	{DMM_OPT_MNLLID, 0, "MN-LLID", "Mobile Node Link-layer Identifier (RFC 5213 §8.6)", 3, 255, 1, 0, 0,
	 FIELDS(f_mnllid), NULL},
	{DMM_OPT_LLA, 0, "LLA", "Link-local Address (RFC 5213 §8.7)", 16, 16, 8, 6, 0, FIELDS(f_lla), NULL},
	{DMM_OPT_TIMESTAMP, 0, "TIMESTAMP", "Timestamp (RFC 5213 §8.8)", 8, 8, 8, 2, 0, FIELDS(f_ts), NULL},
	{DMM_OPT_RESTART, 0, "RESTART-COUNTER", "Restart Counter (RFC 5847 §3.4)", 4, 4, 4, 2, 0,
	 FIELDS(f_restart), NULL},
	{DMM_OPT_REDIR_CAP, 0, "REDIRECT-CAP", "Redirect-Capability (RFC 6463 §4.1)", 2, 2, 4, 0, 0,
	 FIELDS(f_redircap), NULL},
	{DMM_OPT_REDIRECT, 0, "REDIRECT", "Redirect (RFC 6463 §4.2)", 6, 18, 4, 0, 0, FIELDS(f_redirect),
	 chk_redirect},
	{DMM_OPT_LOAD, 0, "LOAD-INFO", "Load Information (RFC 6463 §4.3)", 18, 18, 4, 0, 0, FIELDS(f_load),
	 NULL},
	{DMM_OPT_LMA_UPA, 0, "LMA-UPA", "LMA User-Plane Address (RFC 7389 §4)", 2, 18, 8, 2, R,
	 FIELDS(f_lmaupa), chk_lmaupa},
	{DMM_OPT_ANCHORED_PREFIX, 0, "ANCHORED-PREFIX", "Anchored Prefix (RFC 8885 §4.3)", 18, 18, 8, 4, R,
	 FIELDS(f_anch), chk_anch},
	{DMM_OPT_LOCAL_PREFIX, 0, "LOCAL-PREFIX", "Local Prefix (RFC 8885 §4.4)", 18, 18, 8, 4, R,
	 FIELDS(f_local), chk_local},
	{DMM_OPT_PREV_MAAR, 0, "PREVIOUS-MAAR", "Previous MAAR (RFC 8885 §4.5)", 34, 34, 8, 4, R,
	 FIELDS(f_pmaar), chk_pmaar},
	{DMM_OPT_SERVING_MAAR, 0, "SERVING-MAAR", "Serving MAAR (RFC 8885 §4.6)", 16, 16, 8, 6, 0,
	 FIELDS(f_smaar), NULL},
	{DMM_OPT_DLIF_LLA, 0, "DLIF-LLA", "DLIF Link-Local Address (RFC 8885 §4.7)", 16, 16, 8, 6, 0,
	 FIELDS(f_dlifl), NULL},
	{DMM_OPT_DLIF_LL, 0, "DLIF-LL", "DLIF Link-Layer Address (RFC 8885 §4.8)", 3, 255, 1, 0, 0,
	 FIELDS(f_dlifll), NULL},
};

#undef R
#undef L

/* Option type -> descriptor, for the decoder's hot path. */
static const struct dmm_mh_desc *const opt_by_type[256] = {
#define E(t, i) [t] = &opt_descs[i]
	E(DMM_OPT_BRA, 0),	     E(DMM_OPT_ACOA, 1),
	E(DMM_OPT_NONCE, 2),	     E(DMM_OPT_BAD, 3),
	E(DMM_OPT_MNID, 4),	     E(DMM_OPT_AUTH, 5),
	E(DMM_OPT_MESGID, 6),	     E(DMM_OPT_VSM, 7),
	E(DMM_OPT_HNP, 8),	     E(DMM_OPT_HI, 9),
	E(DMM_OPT_ATT, 10),	     E(DMM_OPT_MNLLID, 11),
	E(DMM_OPT_LLA, 12),	     E(DMM_OPT_TIMESTAMP, 13),
	E(DMM_OPT_RESTART, 14),	     E(DMM_OPT_REDIR_CAP, 15),
	E(DMM_OPT_REDIRECT, 16),     E(DMM_OPT_LOAD, 17),
	E(DMM_OPT_LMA_UPA, 18),	     E(DMM_OPT_ANCHORED_PREFIX, 19),
	E(DMM_OPT_LOCAL_PREFIX, 20), E(DMM_OPT_PREV_MAAR, 21),
	E(DMM_OPT_SERVING_MAAR, 22), E(DMM_OPT_DLIF_LLA, 23),
	E(DMM_OPT_DLIF_LL, 24),
#undef E
};

_Static_assert(sizeof(opt_descs) / sizeof(opt_descs[0]) == 25, "opt_by_type must index every descriptor");

const struct dmm_mh_desc *dmm_mh_opt_desc(uint8_t type)
{
	return opt_by_type[type];
}

const struct dmm_mh_desc *dmm_mh_opt_desc_by_name(const char *name)
{
	for (size_t i = 0; i < sizeof(opt_descs) / sizeof(opt_descs[0]); i++)
		if (strcmp(opt_descs[i].name, name) == 0)
			return &opt_descs[i];
	return NULL;
}

const struct dmm_mh_desc *dmm_mh_opt_descs(size_t *n)
{
	*n = sizeof(opt_descs) / sizeof(opt_descs[0]);
	return opt_descs;
}
