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
#define F(n, k, m) {.name = n, .kind = DMM_FK_##k, .hint = DMM_FH_NONE, .off = OFF(m)}
#define FH(n, k, h, m) {.name = n, .kind = DMM_FK_##k, .hint = DMM_FH_##h, .off = OFF(m)}
#define FPLEN(m, addrm) {.name = "prefix_length", .kind = DMM_FK_U8, .hint = DMM_FH_PLEN, .off = OFF(m), .aux = OFF(addrm)}
#define FB(n, k, m, b) {.name = n, .kind = DMM_FK_##k, .hint = DMM_FH_NONE, .off = OFF(m), .bits = b}
#define RSV(k) {.kind = DMM_FK_##k, .hint = DMM_FH_NONE}
#define FIELDS(a) .nfields = (uint8_t)(sizeof(a) / sizeof((a)[0])), .fields = a
/* An option's fields and what of struct dmm_mh_opt they use: the type and the union member m. */
#define OFIELDS(a, m) FIELDS(a), .clear = (uint16_t)(offsetof(struct dmm_mh_opt, u) + sizeof(((struct dmm_mh_opt *)0)->u.m))
#define OFIELDS0(a) FIELDS(a), .clear = (uint16_t)offsetof(struct dmm_mh_opt, u)
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
/* RFC 5949 §6.2.1-6.2.3 */
static const struct dmm_mh_field f_ctxreq[] = {RSV(RSV16), FH("requests", BYTES, HEX, ctx_req)};
static const struct dmm_mh_field f_lmaa[] = {F("option_code", U8, lmaa.code), RSV(RSV8),
					     F("lma_address", IPADDR, lmaa.addr)};
static const struct dmm_mh_field f_lla_iid[] = {RSV(RSV16), F("interface_identifier", U64, mn_lla_iid.iid)};
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
static const struct dmm_mh_field f_mcsub[] = {F("mld_type", U8, mcast_sub.type),
					      FH("multicast_membership_context", BYTES, HEX, mcast_sub.rec)};

/*
 * --- semantic checks (after framing); obj is the struct dmm_mh_opt ---
 * Each returns 0, a negative DMM_ERR_* or positive DMM_MH_NOTE_* bits
 * (accepted, noted); msg_type is the MH type the option is in.
 */

static int check_prefix_len(uint8_t len)
{
	return len > 128 ? DMM_ERR_PREFIX_LEN : 0;
}

static int chk_hnp(const void *obj, uint8_t msg_type)
{
	(void)msg_type;
	return check_prefix_len(((const struct dmm_mh_opt *)obj)->u.hnp.len);
}

static int chk_anch(const void *obj, uint8_t msg_type)
{
	(void)msg_type;
	return check_prefix_len(((const struct dmm_mh_opt *)obj)->u.anchored_prefix.len);
}

static int chk_local(const void *obj, uint8_t msg_type)
{
	(void)msg_type;
	return check_prefix_len(((const struct dmm_mh_opt *)obj)->u.local_prefix.len);
}

static int chk_pmaar(const void *obj, uint8_t msg_type)
{
	(void)msg_type;
	return check_prefix_len(((const struct dmm_mh_opt *)obj)->u.prev_maar.hnp.len);
}

/*
 * RFC 5213 §8.4: HI 0 is reserved. In a request it would steer the
 * §5.4.1 handoff decision with a value that means nothing: refused. In a
 * PBA it is the form §5.3.6 prescribes when the PBU had no HI.
 */
static int chk_hi(const void *obj, uint8_t msg_type)
{
	if (((const struct dmm_mh_opt *)obj)->u.hi.value != 0)
		return 0;
	return msg_type == DMM_MH_BA ? DMM_MH_NOTE_EMPTY_FORM : DMM_ERR_OPT_RESERVED;
}

/*
 * RFC 5213 §8.5: ATT 0 is reserved, yet independent MAGs send it and
 * §5.3.6 puts it in a PBA when the PBU had no ATT. It names no access
 * technology, which nothing here depends on: accepted and noted.
 */
static int chk_att(const void *obj, uint8_t msg_type)
{
	(void)msg_type;
	return ((const struct dmm_mh_opt *)obj)->u.att.value == 0 ? DMM_MH_NOTE_RESERVED_VALUE : 0;
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

/*
 * RFC 4283 §3 and RFC 8371 §4: the identifier's length follows from its
 * subtype. A zero-length identifier names nobody: refused, except in a
 * PBA, where RFC 5213 §5.3.6 prescribes it when the PBU had no MN-ID.
 */
static int chk_mnid(const void *obj, uint8_t msg_type)
{
	const struct dmm_mh_opt *o = obj;
	const struct dmm_mh_bytes *id = &o->u.mnid.id;

	if (o->u.mnid.subtype == 0)
		return DMM_ERR_OPT_RESERVED;
	if (id->len == 0)
		return msg_type == DMM_MH_BA ? DMM_MH_NOTE_EMPTY_FORM : DMM_ERR_MNID_LEN;
	switch (o->u.mnid.subtype) {
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
static int chk_auth(const void *obj, uint8_t msg_type)
{
	(void)msg_type;
	return ((const struct dmm_mh_opt *)obj)->u.auth.subtype == 0 ? DMM_ERR_OPT_RESERVED : 0;
}

/* RFC 6463 §4.2: exactly one of K (IPv6, Len 18) and N (IPv4, Len 6). */
static int chk_redirect(const void *obj, uint8_t msg_type)
{
	const struct dmm_mh_opt *o = obj;
	uint16_t f = o->u.redirect.flags & (DMM_REDIRECT_K | DMM_REDIRECT_N);
	uint8_t len = o->u.redirect.r2lma.len;

	(void)msg_type;
	if (len != 4 && len != 16)
		return DMM_ERR_ADDR_LEN;
	if ((f == DMM_REDIRECT_K && len == 16) || (f == DMM_REDIRECT_N && len == 4))
		return 0;
	return DMM_ERR_REDIRECT_FLAGS;
}

/* RFC 7389 §4: empty (or ALL_ZERO) in a PBU, else an IPv4 or IPv6 address. */
static int chk_lmaupa(const void *obj, uint8_t msg_type)
{
	uint8_t len = ((const struct dmm_mh_opt *)obj)->u.lma_upa.len;

	(void)msg_type;
	return len == 0 || len == 4 || len == 16 ? 0 : DMM_ERR_ADDR_LEN;
}

/*
 * RFC 5949 §6.2.1: Req-type, Req-length and Req-length octets of
 * Req-option, one after the other, filling the option exactly. A list
 * that runs past its end would have the PMAG answer for options nobody
 * asked for: refused.
 */
static int chk_ctxreq(const void *obj, uint8_t msg_type)
{
	const struct dmm_mh_bytes *r = &((const struct dmm_mh_opt *)obj)->u.ctx_req;
	unsigned off = 0;

	(void)msg_type;
	while (off < r->len) {
		if (r->len - off < 2u || r->len - off - 2u < r->b[off + 1])
			return DMM_ERR_OPT_LEN;
		off += 2u + r->b[off + 1];
	}
	return 0;
}

/* RFC 5949 §6.2.2: code 1 carries an IPv6 address (Length 18), code 2 an IPv4 one (6); 0 is reserved. */
static int chk_lmaa(const void *obj, uint8_t msg_type)
{
	const struct dmm_mh_opt *o = obj;

	(void)msg_type;
	if (o->u.lmaa.code == DMM_LMAA_IPV6)
		return o->u.lmaa.addr.len == 16 ? 0 : DMM_ERR_ADDR_LEN;
	if (o->u.lmaa.code == DMM_LMAA_IPV4)
		return o->u.lmaa.addr.len == 4 ? 0 : DMM_ERR_ADDR_LEN;
	return DMM_ERR_OPT_RESERVED;
}

/*
 * RFC 7161 §4.1.2 and §4.1.3: one subscribed multicast address per
 * option. MLDv2 (143): one Multicast Address Record (RFC 3810 §5.2.4)
 * that fills the option exactly (its Number of Sources and Aux Data Len
 * say how long it is), of a record type 1-6; MLDv1 (131): 4 reserved
 * octets and the address. The receiver installs what it says on an
 * access link, so anything else is refused: another MLD Type (no format
 * known), a record longer or shorter than the option, an unassigned
 * record type, an address that is not multicast. Nonzero reserved
 * octets of the MLDv1 form are noted only (RFC 2710 §3.6: ignored).
 */
static int chk_mcsub(const void *obj, uint8_t msg_type)
{
	const struct dmm_mh_opt *o = obj;
	const struct dmm_mh_bytes *c = &o->u.mcast_sub.rec;

	(void)msg_type;
	if (c->len < 20)
		return DMM_ERR_OPT_LEN;
	if (c->b[4] != 0xff)
		return DMM_ERR_MCAST_GROUP;
	if (o->u.mcast_sub.type == 131) {
		if (c->len != 20)
			return DMM_ERR_OPT_LEN;
		return c->b[0] | c->b[1] | c->b[2] | c->b[3] ? DMM_MH_NOTE_RESERVED_BITS : 0;
	}
	if (o->u.mcast_sub.type != 143)
		return DMM_ERR_OPT_RESERVED;
	if (c->b[0] < 1 || c->b[0] > 6)
		return DMM_ERR_OPT_RESERVED;
	if ((unsigned)c->len != 20u + 16u * (((unsigned)c->b[2] << 8) | c->b[3]) + 4u * c->b[1])
		return DMM_ERR_OPT_LEN;
	return 0;
}

#define R DMM_OPTF_REPEAT
#define L DMM_OPTF_LAST

/* Sorted by type. Lengths are the option's Length field (excluding Type and Length). */
static const struct dmm_mh_desc opt_descs[] = {
	{.type = DMM_OPT_BRA,
	 .name = "BRA",
	 .title = "Binding Refresh Advice (RFC 6275 §6.2.4)",
	 .min_len = 2,
	 .max_len = 2,
	 .align_x = 2,
	 .align_y = 0,
	 OFIELDS(f_bra, bra)},
	{.type = DMM_OPT_ACOA,
	 .name = "ACOA",
	 .title = "Alternate Care-of Address (RFC 6275 §6.2.5)",
	 .min_len = 16,
	 .max_len = 16,
	 .align_x = 8,
	 .align_y = 6,
	 OFIELDS(f_acoa, acoa)},
	{.type = DMM_OPT_NONCE,
	 .name = "NONCE",
	 .title = "Nonce Indices (RFC 6275 §6.2.6)",
	 .min_len = 4,
	 .max_len = 4,
	 .align_x = 2,
	 .align_y = 0,
	 OFIELDS(f_nonce, nonce)},
	{.type = DMM_OPT_BAD,
	 .name = "BAD",
	 .title = "Binding Authorization Data (RFC 6275 §6.2.7)",
	 .min_len = 1,
	 .max_len = 255,
	 .align_x = 8,
	 .align_y = 2,
	 .flags = L | DMM_OPTF_ALIGN_SOFT,
	 OFIELDS(f_bad, bad)},
	{.type = DMM_OPT_MNID,
	 .name = "MN-ID",
	 .title = "Mobile Node Identifier (RFC 4283, RFC 8371)",
	 .min_len = 1, /* subtype only: the zero-length identifier of RFC 5213 §5.3.6 */
	 .max_len = 255,
	 .align_x = 1,
	 .align_y = 0,
	 OFIELDS(f_mnid, mnid),
	 .check = chk_mnid},
	{.type = DMM_OPT_AUTH,
	 .name = "AUTH",
	 .title = "Authentication (RFC 4285 §5)",
	 .min_len = 6,
	 .max_len = 255,
	 .align_x = 4,
	 .align_y = 1,
	 .flags = L,
	 OFIELDS(f_auth, auth),
	 .check = chk_auth},
	{.type = DMM_OPT_MESGID,
	 .name = "MESG-ID",
	 .title = "Replay Protection (RFC 4285 §6)",
	 .min_len = 8,
	 .max_len = 8,
	 .align_x = 8,
	 .align_y = 2,
	 OFIELDS(f_mesgid, mesgid)},
	{.type = DMM_OPT_VSM,
	 .name = "VSM",
	 .title = "Vendor-Specific (RFC 5094)",
	 .min_len = 5,
	 .max_len = 255,
	 .align_x = 4,
	 .align_y = 2,
	 .flags = R,
	 OFIELDS(f_vsm, vsm)},
	{.type = DMM_OPT_HNP,
	 .name = "HNP",
	 .title = "Home Network Prefix (RFC 5213 §8.3)",
	 .min_len = 18,
	 .max_len = 18,
	 .align_x = 8,
	 .align_y = 4,
	 .flags = R,
	 OFIELDS(f_hnp, hnp),
	 .check = chk_hnp},
	{.type = DMM_OPT_HI,
	 .name = "HI",
	 .title = "Handoff Indicator (RFC 5213 §8.4)",
	 .min_len = 2,
	 .max_len = 2,
	 .align_x = 1,
	 .align_y = 0,
	 OFIELDS(f_hi, hi),
	 .check = chk_hi},
	{.type = DMM_OPT_ATT,
	 .name = "ATT",
	 .title = "Access Technology Type (RFC 5213 §8.5)",
	 .min_len = 2,
	 .max_len = 2,
	 .align_x = 1,
	 .align_y = 0,
	 OFIELDS(f_att, att),
	 .check = chk_att},
	{.type = DMM_OPT_MNLLID,
	 .name = "MN-LLID",
	 .title = "Mobile Node Link-layer Identifier (RFC 5213 §8.6)",
	 .min_len = 3,
	 .max_len = 255,
	 .align_x = 1,
	 .align_y = 0,
	 OFIELDS(f_mnllid, mnllid)},
	{.type = DMM_OPT_LLA,
	 .name = "LLA",
	 .title = "Link-local Address (RFC 5213 §8.7)",
	 .min_len = 16,
	 .max_len = 16,
	 .align_x = 8,
	 .align_y = 6,
	 OFIELDS(f_lla, lla)},
	{.type = DMM_OPT_TIMESTAMP,
	 .name = "TIMESTAMP",
	 .title = "Timestamp (RFC 5213 §8.8)",
	 .min_len = 8,
	 .max_len = 8,
	 .align_x = 8,
	 .align_y = 2,
	 OFIELDS(f_ts, timestamp)},
	{.type = DMM_OPT_RESTART,
	 .name = "RESTART-COUNTER",
	 .title = "Restart Counter (RFC 5847 §3.4)",
	 .min_len = 4,
	 .max_len = 4,
	 .align_x = 4,
	 .align_y = 2,
	 OFIELDS(f_restart, restart)},
	/*
	 * RFC 5949 §6.2 states no alignment. The LMA Address and the
	 * Interface Identifier sit 4 octets into their options; 8n+4 puts
	 * them on 8 octets as the HNP option's prefix is (soft: a sender
	 * that packs them is not even noted). The Context Request list is
	 * octets.
	 */
	{.type = DMM_OPT_CTX_REQ,
	 .name = "CONTEXT-REQ",
	 .title = "Context Request (RFC 5949 §6.2.1)",
	 .min_len = 2,
	 .max_len = 255,
	 .align_x = 1,
	 .align_y = 0,
	 OFIELDS(f_ctxreq, ctx_req),
	 .check = chk_ctxreq},
	{.type = DMM_OPT_LMAA,
	 .name = "LMAA",
	 .title = "Local Mobility Anchor Address (RFC 5949 §6.2.2)",
	 .min_len = 6,
	 .max_len = 18,
	 .align_x = 8,
	 .align_y = 4,
	 .flags = DMM_OPTF_ALIGN_SOFT,
	 OFIELDS(f_lmaa, lmaa),
	 .check = chk_lmaa},
	{.type = DMM_OPT_MN_LLA_IID,
	 .name = "MN-LLA-IID",
	 .title = "MN Link-local Address Interface Identifier (RFC 5949 §6.2.3)",
	 .min_len = 10,
	 .max_len = 10,
	 .align_x = 8,
	 .align_y = 4,
	 .flags = DMM_OPTF_ALIGN_SOFT,
	 OFIELDS(f_lla_iid, mn_lla_iid)},
	{.type = DMM_OPT_REDIR_CAP,
	 .name = "REDIRECT-CAP",
	 .title = "Redirect-Capability (RFC 6463 §4.1)",
	 .min_len = 2,
	 .max_len = 2,
	 .align_x = 4,
	 .align_y = 0,
	 OFIELDS0(f_redircap)},
	{.type = DMM_OPT_REDIRECT,
	 .name = "REDIRECT",
	 .title = "Redirect (RFC 6463 §4.2)",
	 .min_len = 6,
	 .max_len = 18,
	 .align_x = 4,
	 .align_y = 0,
	 OFIELDS(f_redirect, redirect),
	 .check = chk_redirect},
	{.type = DMM_OPT_LOAD,
	 .name = "LOAD-INFO",
	 .title = "Load Information (RFC 6463 §4.3)",
	 .min_len = 18,
	 .max_len = 18,
	 .align_x = 4,
	 .align_y = 0,
	 OFIELDS(f_load, load)},
	{.type = DMM_OPT_MCAST_SUB,
	 .name = "MCAST-SUB",
	 .title = "Active Multicast Subscription (RFC 7161 §4.1)",
	 .min_len = 21,
	 .max_len = 255,
	 .align_x = 8,
	 .align_y = 1,
	 .flags = R,
	 OFIELDS(f_mcsub, mcast_sub),
	 .check = chk_mcsub},
	{.type = DMM_OPT_LMA_UPA,
	 .name = "LMA-UPA",
	 .title = "LMA User-Plane Address (RFC 7389 §4)",
	 .min_len = 2,
	 .max_len = 18,
	 .align_x = 8,
	 .align_y = 2,
	 .flags = R,
	 OFIELDS(f_lmaupa, lma_upa),
	 .check = chk_lmaupa},
	{.type = DMM_OPT_ANCHORED_PREFIX,
	 .name = "ANCHORED-PREFIX",
	 .title = "Anchored Prefix (RFC 8885 §4.3)",
	 .min_len = 18,
	 .max_len = 18,
	 .align_x = 8,
	 .align_y = 4,
	 .flags = R,
	 OFIELDS(f_anch, anchored_prefix),
	 .check = chk_anch},
	{.type = DMM_OPT_LOCAL_PREFIX,
	 .name = "LOCAL-PREFIX",
	 .title = "Local Prefix (RFC 8885 §4.4)",
	 .min_len = 18,
	 .max_len = 18,
	 .align_x = 8,
	 .align_y = 4,
	 .flags = R,
	 OFIELDS(f_local, local_prefix),
	 .check = chk_local},
	{.type = DMM_OPT_PREV_MAAR,
	 .name = "PREVIOUS-MAAR",
	 .title = "Previous MAAR (RFC 8885 §4.5)",
	 .min_len = 34,
	 .max_len = 34,
	 .align_x = 8,
	 .align_y = 4,
	 .flags = R,
	 OFIELDS(f_pmaar, prev_maar),
	 .check = chk_pmaar},
	{.type = DMM_OPT_SERVING_MAAR,
	 .name = "SERVING-MAAR",
	 .title = "Serving MAAR (RFC 8885 §4.6)",
	 .min_len = 16,
	 .max_len = 16,
	 .align_x = 8,
	 .align_y = 6,
	 OFIELDS(f_smaar, serving_maar)},
	{.type = DMM_OPT_DLIF_LLA,
	 .name = "DLIF-LLA",
	 .title = "DLIF Link-Local Address (RFC 8885 §4.7)",
	 .min_len = 16,
	 .max_len = 16,
	 .align_x = 8,
	 .align_y = 6,
	 OFIELDS(f_dlifl, dlif_lla)},
	{.type = DMM_OPT_DLIF_LL,
	 .name = "DLIF-LL",
	 .title = "DLIF Link-Layer Address (RFC 8885 §4.8)",
	 .min_len = 3,
	 .max_len = 255,
	 .align_x = 1,
	 .align_y = 0,
	 OFIELDS(f_dlifll, dlif_ll)},
};

#undef R
#undef L

/* An enum, not a macro: a column-0 line ending in ';' also ends the table for tests/structure/fnlen.sh. */
enum { NOPT = sizeof(opt_descs) / sizeof(opt_descs[0]) };

/*
 * The codec's hot path (twice per option: encode and decode): one load
 * from an index by type, 1 + the entry's position in opt_descs[] or 0 for
 * none. test_mh checks that the index finds every entry of the table, and
 * nothing else, so the two cannot drift apart unnoticed.
 */
static const uint8_t opt_index[256] = {
	[DMM_OPT_BRA] = 1,	     [DMM_OPT_ACOA] = 2,       [DMM_OPT_NONCE] = 3,
	[DMM_OPT_BAD] = 4,	     [DMM_OPT_MNID] = 5,       [DMM_OPT_AUTH] = 6,
	[DMM_OPT_MESGID] = 7,	     [DMM_OPT_VSM] = 8,	       [DMM_OPT_HNP] = 9,
	[DMM_OPT_HI] = 10,	     [DMM_OPT_ATT] = 11,       [DMM_OPT_MNLLID] = 12,
	[DMM_OPT_LLA] = 13,	     [DMM_OPT_TIMESTAMP] = 14, [DMM_OPT_RESTART] = 15,
	[DMM_OPT_CTX_REQ] = 16,	     [DMM_OPT_LMAA] = 17,      [DMM_OPT_MN_LLA_IID] = 18,
	[DMM_OPT_REDIR_CAP] = 19,    [DMM_OPT_REDIRECT] = 20,  [DMM_OPT_LOAD] = 21,
	[DMM_OPT_MCAST_SUB] = 22,    [DMM_OPT_LMA_UPA] = 23,   [DMM_OPT_ANCHORED_PREFIX] = 24,
	[DMM_OPT_LOCAL_PREFIX] = 25, [DMM_OPT_PREV_MAAR] = 26, [DMM_OPT_SERVING_MAAR] = 27,
	[DMM_OPT_DLIF_LLA] = 28,     [DMM_OPT_DLIF_LL] = 29,
};

const struct dmm_mh_desc *dmm_mh_opt_desc(uint8_t type)
{
	unsigned i = opt_index[type];

	return i ? &opt_descs[i - 1] : NULL;
}

const struct dmm_mh_desc *dmm_mh_opt_desc_by_name(const char *name)
{
	for (size_t i = 0; i < NOPT; i++)
		if (strcmp(opt_descs[i].name, name) == 0)
			return &opt_descs[i];
	return NULL;
}

const struct dmm_mh_desc *dmm_mh_opt_descs(size_t *n)
{
	*n = NOPT;
	return opt_descs;
}
