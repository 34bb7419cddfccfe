/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Mobility Header messages (RFC 6275 §6.1) and the generic codec that
 * walks the descriptor tables of messages (here) and options (mh_opt.c).
 *
 * Decoding checks the header, the fixed part of the message and every
 * option for framing and meaning before it reports success. It is strict
 * where a mistake could corrupt state (lengths, prefix lengths,
 * duplicates, truncation, identifiers) and tolerant where the RFC puts
 * the rule on the sender (alignment, reserved values and bits): those
 * are accepted and recorded in msg->notes. On failure the struct keeps
 * what decoded before it, for the echo a reply needs (RFC 5213 §5.3.6).
 * Encoding enforces the sender's rules (aligned options, Reserved fields
 * zero), so whatever dmm_mh_encode() produces, dmm_mh_decode() accepts
 * and gives back unchanged; encode(decode(x)) == x for every such x.
 */
#include <stddef.h>
#include <string.h>

#include "dmm/bytes.h"
#include "dmm/csum.h"
#include "dmm/err.h"
#include "dmm/mh.h"

/* RFC 6275 §6.1.1: Payload Proto, Header Len, MH Type, Reserved, Checksum. */
#define MH_HDR 6

#define OFF(m) (uint16_t)(offsetof(struct dmm_mh_msg, u.m) - offsetof(struct dmm_mh_msg, u))
/* clang-format off */
#define F(n, k, m) {.name = n, .kind = DMM_FK_##k, .hint = DMM_FH_NONE, .off = OFF(m)}
#define FB(n, k, m, b) {.name = n, .kind = DMM_FK_##k, .hint = DMM_FH_NONE, .off = OFF(m), .bits = b}
#define RSV(k) {.kind = DMM_FK_##k, .hint = DMM_FH_NONE}
#define FIELDS(a) .nfields = (uint8_t)(sizeof(a) / sizeof((a)[0])), .fields = a
/* clang-format on */

static const char *const bu_bits[16] = {"A", "H", "L", "K", "M", "R", "P", "F", "T", "B", "S", "D"};
static const char *const ba_bits[8] = {"K", "R", "P", "T", "B", "S", "D"};
static const char *const hb_bits[16] = {[14] = "U", [15] = "R"};
static const char *const hi_bits[8] = {"S", "U", "P", "F"};
static const char *const hack_bits[8] = {"U", "P", "F"};
static const char *const br_bits[16] = {"P", "V", "G"};
static const char *const upn_bits[16] = {"A", "D"};
static const char *const lra_bits[8] = {"U"};

static const struct dmm_mh_field m_brr[] = {RSV(RSV16)};
/* RFC 6275 §6.1.7 */
static const struct dmm_mh_field m_bu[] = {F("seq", U16, bu.seq), FB("flags", FLAGS16, bu.flags, bu_bits),
					   F("lifetime", U16, bu.lifetime)};
/* RFC 6275 §6.1.8 */
static const struct dmm_mh_field m_ba[] = {F("status", U8, ba.status), FB("flags", FLAGS8, ba.flags, ba_bits),
					   F("seq", U16, ba.seq), F("lifetime", U16, ba.lifetime)};
/* RFC 6275 §6.1.9 */
static const struct dmm_mh_field m_be[] = {F("status", U8, be.status), RSV(RSV8),
					   F("home_address", ADDR, be.home_addr)};
/* RFC 5142 §4 */
static const struct dmm_mh_field m_has[] = {F("num_addresses", U8, has.naddrs),
					    RSV(RSV8),
					    {.name = "home_agent_addresses",
					     .kind = DMM_FK_ADDRS,
					     .hint = DMM_FH_NONE,
					     .off = OFF(has.addrs),
					     .aux = OFF(has.naddrs)}};
/* RFC 5847 §3.3 */
static const struct dmm_mh_field m_hb[] = {FB("flags", FLAGS16, hb.flags, hb_bits), F("seq", U32, hb.seq)};
/* RFC 5949 §6.1.1 (HI) and §6.1.2 (HAck) */
static const struct dmm_mh_field m_hi[] = {F("seq", U16, hi.seq), FB("flags", FLAGS8, hi.flags, hi_bits),
					   F("code", U8, hi.code)};
static const struct dmm_mh_field m_hack[] = {F("seq", U16, hi.seq), FB("flags", FLAGS8, hi.flags, hack_bits),
					     F("code", U8, hi.code)};
/* RFC 5846 §5.1 (BRI) and §5.2 (BRA) */
static const struct dmm_mh_field m_bri[] = {F("br_type", U8, br.br_type), F("trigger", U8, br.code),
					    F("seq", U16, br.seq), FB("flags", FLAGS16, br.flags, br_bits)};
static const struct dmm_mh_field m_bra[] = {F("br_type", U8, br.br_type), F("status", U8, br.code),
					    F("seq", U16, br.seq), FB("flags", FLAGS16, br.flags, br_bits)};
/* RFC 7077 §4.1 and §4.2 */
static const struct dmm_mh_field m_upn[] = {F("seq", U16, upn.seq), F("reason", U16, upn.reason),
					    FB("flags", FLAGS16, upn.flags, upn_bits)};
static const struct dmm_mh_field m_upa[] = {F("seq", U16, upa.seq), F("status", U8, upa.status), RSV(RSV24)};
/* RFC 6705 §10.1 (LRI) and §10.2 (LRA) */
static const struct dmm_mh_field m_lri[] = {F("seq", U16, lr.seq), RSV(RSV16),
					    F("lifetime", U16, lr.lifetime)};
static const struct dmm_mh_field m_lra[] = {F("seq", U16, lr.seq), FB("flags", FLAGS8, lr.flags, lra_bits),
					    F("status", U8, lr.status), F("lifetime", U16, lr.lifetime)};

static const struct dmm_mh_desc msg_descs[] = {
	{.type = DMM_MH_BRR,
	 .name = "BRR",
	 .title = "Binding Refresh Request (RFC 6275 §6.1.2)",
	 FIELDS(m_brr)},
	{.type = DMM_MH_BU,
	 .name = "BU",
	 .title = "Binding Update (RFC 6275 §6.1.7, RFC 5213 §8.1)",
	 FIELDS(m_bu)},
	{.type = DMM_MH_BA,
	 .name = "BA",
	 .title = "Binding Acknowledgement (RFC 6275 §6.1.8, RFC 5213 §8.2)",
	 FIELDS(m_ba)},
	{.type = DMM_MH_BE, .name = "BE", .title = "Binding Error (RFC 6275 §6.1.9)", FIELDS(m_be)},
	{.type = DMM_MH_HAS, .name = "HAS", .title = "Home Agent Switch (RFC 5142 §4)", FIELDS(m_has)},
	{.type = DMM_MH_HB, .name = "HB", .title = "Heartbeat (RFC 5847 §3.3)", FIELDS(m_hb)},
	{.type = DMM_MH_HI, .name = "HI", .title = "Handover Initiate (RFC 5949 §6.1.1)", FIELDS(m_hi)},
	{.type = DMM_MH_HACK,
	 .name = "HACK",
	 .title = "Handover Acknowledge (RFC 5949 §6.1.2)",
	 FIELDS(m_hack)},
	{.type = DMM_MH_BR,
	 .sub = DMM_BR_BRI,
	 .name = "BRI",
	 .title = "Binding Revocation Indication (RFC 5846 §5.1)",
	 FIELDS(m_bri)},
	{.type = DMM_MH_BR,
	 .sub = DMM_BR_BRA,
	 .name = "BRA",
	 .title = "Binding Revocation Acknowledgement (RFC 5846 §5.2)",
	 FIELDS(m_bra)},
	{.type = DMM_MH_UPN, .name = "UPN", .title = "Update Notification (RFC 7077 §4.1)", FIELDS(m_upn)},
	{.type = DMM_MH_UPA,
	 .name = "UPA",
	 .title = "Update Notification Acknowledgement (RFC 7077 §4.2)",
	 FIELDS(m_upa)},
	{.type = DMM_MH_LRI,
	 .name = "LRI",
	 .title = "Localized Routing Initiation (RFC 6705 §10.1)",
	 FIELDS(m_lri)},
	{.type = DMM_MH_LRA,
	 .name = "LRA",
	 .title = "Localized Routing Acknowledgment (RFC 6705 §10.2)",
	 FIELDS(m_lra)},
};

#define NMSG (sizeof(msg_descs) / sizeof(msg_descs[0]))

const struct dmm_mh_desc *dmm_mh_msg_desc(uint8_t type, uint8_t sub)
{
	for (size_t i = 0; i < NMSG; i++)
		if (msg_descs[i].type == type && (type != DMM_MH_BR || msg_descs[i].sub == sub))
			return &msg_descs[i];
	return NULL;
}

const struct dmm_mh_desc *dmm_mh_msg_desc_by_name(const char *name)
{
	for (size_t i = 0; i < NMSG; i++)
		if (strcmp(msg_descs[i].name, name) == 0)
			return &msg_descs[i];
	return NULL;
}

const struct dmm_mh_desc *dmm_mh_msg_descs(size_t *n)
{
	*n = NMSG;
	return msg_descs;
}

/* --- the generic field walker --- */

/* Wire size of each fixed-size field kind; 0 for the variable ones. */
static const uint8_t kind_size[] = {
	[DMM_FK_U8] = 1,    [DMM_FK_U16] = 2,	 [DMM_FK_U32] = 4,     [DMM_FK_U48] = 6,
	[DMM_FK_U64] = 8,   [DMM_FK_FLAGS8] = 1, [DMM_FK_FLAGS16] = 2, [DMM_FK_RSV8] = 1,
	[DMM_FK_RSV16] = 2, [DMM_FK_RSV24] = 3,	 [DMM_FK_ADDR] = 16,
};

/* Wire size of a fixed-size field kind; 0 for the variable ones (and for kinds that do not exist). */
static size_t fixed_size(uint8_t kind)
{
	return kind < sizeof(kind_size) ? kind_size[kind] : 0;
}

/* True when any of p[0..n) is not zero. */
static bool any_set(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return true;
	return false;
}

/*
 * True when v, a flags field of nbits, has a bit set that has no name,
 * i.e. is unassigned (the table lists MSB first). Only the bits set are
 * looked at: a few, where a mask of the unassigned ones would read all.
 */
static bool unassigned_set(const struct dmm_mh_field *f, unsigned v, unsigned nbits)
{
	if (!f->bits)
		return false; /* no names at all: nothing is known about the bits */
	for (; v; v &= v - 1)
		if (!f->bits[nbits - 1 - (unsigned)__builtin_ctz(v)])
			return true;
	return false;
}

/*
 * Read fields from p[0..len) into body. Variable fields take what their
 * kind allows; the caller checks that *used == len where the whole range
 * must be consumed. Nonzero reserved bits are added to *notes. Returns 0
 * or a DMM_ERR_*.
 */
static int get_fields(const struct dmm_mh_desc *d, uint8_t *body, const uint8_t *p, size_t len, size_t *used,
		      int short_err, uint16_t *notes)
{
	size_t o = 0;

	/* Locals, not d->: a store through uint8_t * may alias the table, and d-> would be read again. */
	for (const struct dmm_mh_field *f = d->fields, *end = f + d->nfields; f < end; f++) {
		const uint8_t kind = f->kind;
		uint8_t *m = body + f->off;
		size_t sz = fixed_size(kind);

		if (sz && len - o < sz)
			return short_err;
		/*
		 * RFC 6275 §6.1 and every later format: Reserved fields and
		 * unassigned flag bits are set to 0 by the sender and ignored
		 * by the receiver; a field that breaks that is noted.
		 */
		switch (kind) {
		case DMM_FK_U8:
		case DMM_FK_FLAGS8:
			*m = p[o];
			if (kind == DMM_FK_FLAGS8 && unassigned_set(f, p[o], 8))
				*notes |= DMM_MH_NOTE_RESERVED_BITS;
			break;
		case DMM_FK_U16:
		case DMM_FK_FLAGS16: {
			uint16_t v = dmm_get_u16(p + o);
			memcpy(m, &v, sizeof(v));
			if (kind == DMM_FK_FLAGS16 && unassigned_set(f, v, 16))
				*notes |= DMM_MH_NOTE_RESERVED_BITS;
			break;
		}
		case DMM_FK_U32: {
			uint32_t v = dmm_get_u32(p + o);
			memcpy(m, &v, sizeof(v));
			break;
		}
		case DMM_FK_U48:
		case DMM_FK_U64: {
			uint64_t v = kind == DMM_FK_U48 ? dmm_get_u48(p + o) : dmm_get_u64(p + o);
			memcpy(m, &v, sizeof(v));
			break;
		}
		case DMM_FK_RSV8:
		case DMM_FK_RSV16:
		case DMM_FK_RSV24:
			/* RFC 6275 §6.1: reserved fields are ignored on receipt */
			if (any_set(p + o, sz))
				*notes |= DMM_MH_NOTE_RESERVED_BITS;
			break;
		case DMM_FK_ADDR:
			memcpy(m, p + o, 16);
			break;
		case DMM_FK_ADDRS: {
			uint8_t n = body[f->aux];

			/* RFC 5142 §4: # of Addresses addresses follow. */
			if (n > DMM_MH_MAX_HA_ADDRS || (len - o) / 16 < n)
				return DMM_ERR_HA_COUNT;
			memcpy(m, p + o, (size_t)n * 16);
			sz = (size_t)n * 16;
			break;
		}
		case DMM_FK_BYTES: {
			struct dmm_mh_bytes *b = (struct dmm_mh_bytes *)m;

			sz = len - o;
			b->len = (uint8_t)sz; /* options are at most 255 octets */
			memcpy(b->b, p + o, sz);
			break;
		}
		case DMM_FK_IPADDR: {
			struct dmm_mh_ipaddr *a = (struct dmm_mh_ipaddr *)m;

			sz = len - o;
			if (sz != 0 && sz != 4 && sz != 16)
				return DMM_ERR_ADDR_LEN;
			a->len = (uint8_t)sz;
			memcpy(a->b, p + o, sz);
			break;
		}
		default:
			return DMM_ERR_INVAL;
		}
		o += sz;
	}
	*used = o;
	return 0;
}

/* Wire size of body's fields, or a DMM_ERR_* if a variable field is out of range. */
static int fields_size(const struct dmm_mh_desc *d, const uint8_t *body)
{
	size_t n = 0;

	/* Locals, not d->: a store through uint8_t * may alias the table, and d-> would be read again. */
	for (const struct dmm_mh_field *f = d->fields, *end = f + d->nfields; f < end; f++) {
		const uint8_t kind = f->kind;
		const uint8_t *m = body + f->off;

		switch (kind) {
		case DMM_FK_ADDRS:
			if (body[f->aux] > DMM_MH_MAX_HA_ADDRS)
				return DMM_ERR_HA_COUNT;
			n += (size_t)body[f->aux] * 16;
			break;
		case DMM_FK_BYTES:
			n += ((const struct dmm_mh_bytes *)m)->len;
			break;
		case DMM_FK_IPADDR: {
			uint8_t l = ((const struct dmm_mh_ipaddr *)m)->len;

			if (l != 0 && l != 4 && l != 16)
				return DMM_ERR_ADDR_LEN;
			n += l;
			break;
		}
		default:
			n += fixed_size(kind);
		}
	}
	return (int)n;
}

/*
 * The most octets d's fields can take on the wire, whatever body holds
 * (put_fields() refuses what does not fit its field first): a BYTES field
 * 255, a list of addresses DMM_MH_MAX_HA_ADDRS * 16, any other 16 or less.
 */
#define FIELD_WIRE_MAX 256u
_Static_assert(DMM_MH_MAX_HA_ADDRS * 16 <= FIELD_WIRE_MAX && DMM_MH_OPT_DATA_MAX <= FIELD_WIRE_MAX,
	       "a field's wire size is bounded");

/*
 * Write body's fields to p: their wire size, or DMM_ERR_HA_COUNT or
 * DMM_ERR_ADDR_LEN (as fields_size()) for a variable field out of range,
 * refused before it is copied. p has room for the size, or for
 * d->nfields * FIELD_WIRE_MAX.
 */
static int put_fields(const struct dmm_mh_desc *d, const uint8_t *body, uint8_t *p)
{
	size_t o = 0;

	/* Locals, not d->: a store through uint8_t * may alias the table, and d-> would be read again. */
	for (const struct dmm_mh_field *f = d->fields, *end = f + d->nfields; f < end; f++) {
		const uint8_t kind = f->kind;
		const uint8_t *m = body + f->off;
		size_t sz = fixed_size(kind);

		switch (kind) {
		case DMM_FK_U8:
		case DMM_FK_FLAGS8:
			p[o] = *m;
			break;
		case DMM_FK_U16:
		case DMM_FK_FLAGS16: {
			uint16_t v;
			memcpy(&v, m, sizeof(v));
			dmm_put_u16(p + o, v);
			break;
		}
		case DMM_FK_U32: {
			uint32_t v;
			memcpy(&v, m, sizeof(v));
			dmm_put_u32(p + o, v);
			break;
		}
		case DMM_FK_U48:
		case DMM_FK_U64: {
			uint64_t v;
			memcpy(&v, m, sizeof(v));
			if (kind == DMM_FK_U48)
				dmm_put_u48(p + o, v);
			else
				dmm_put_u64(p + o, v);
			break;
		}
		case DMM_FK_RSV24:
			p[o + 2] = 0;
			/* fall through */
		case DMM_FK_RSV16:
			p[o + 1] = 0;
			/* fall through */
		case DMM_FK_RSV8:
			p[o] = 0;
			break;
		case DMM_FK_ADDR:
			memcpy(p + o, m, 16);
			break;
		case DMM_FK_ADDRS:
			if (body[f->aux] > DMM_MH_MAX_HA_ADDRS)
				return DMM_ERR_HA_COUNT;
			sz = (size_t)body[f->aux] * 16;
			memcpy(p + o, m, sz);
			break;
		case DMM_FK_BYTES:
			sz = ((const struct dmm_mh_bytes *)m)->len;
			memcpy(p + o, ((const struct dmm_mh_bytes *)m)->b, sz);
			break;
		case DMM_FK_IPADDR:
			sz = ((const struct dmm_mh_ipaddr *)m)->len;
			if (sz != 0 && sz != 4 && sz != 16)
				return DMM_ERR_ADDR_LEN;
			memcpy(p + o, ((const struct dmm_mh_ipaddr *)m)->b, sz);
			break;
		}
		o += sz;
	}
	return (int)o;
}

/* off % x, by a mask where x is a power of two (every alignment the RFCs give is). */
static size_t align_mod(size_t off, uint8_t x)
{
	return (x & (x - 1u)) == 0 ? off & (x - 1u) : off % x;
}

static uint8_t *msg_body(struct dmm_mh_msg *m)
{
	return (uint8_t *)&m->u;
}

static uint8_t *opt_body(struct dmm_mh_opt *o)
{
	return (uint8_t *)&o->u;
}

/*
 * Whether an option of descriptor d may come again in a message of type
 * msg_type: repeatable options, and the MN-ID in the localized routing
 * messages, which name two MNs (RFC 6705 §10.1, §10.2).
 */
static bool may_repeat(const struct dmm_mh_desc *d, uint8_t msg_type)
{
	return (d->flags & DMM_OPTF_REPEAT) ||
	       (d->type == DMM_OPT_MNID && (msg_type == DMM_MH_LRI || msg_type == DMM_MH_LRA));
}

/*
 * Zero the first n octets of o (0: all of it), the type and its union
 * member (struct dmm_mh_desc.clear), in whole stores of a constant size:
 * most options (HNP, HI, ATT, Timestamp, LLA) need 32 octets, not 268.
 */
static void clear_opt(struct dmm_mh_opt *o, size_t n)
{
	_Static_assert(sizeof(*o) >= 64, "an option is larger than the sizes cleared");
	if (n && n <= 32)
		memset(o, 0, 32);
	else if (n && n <= 64)
		memset(o, 0, 64);
	else
		memset(o, 0, sizeof(*o));
}

/* --- decode --- */

/*
 * Decode the option of type t and Length l at buf[off] into the next slot
 * of out; framing is already checked. Returns 0 or a DMM_ERR_*; the
 * option counts (out->nopts) only when everything about it is right.
 */
static int decode_opt(struct dmm_mh_msg *out, const struct dmm_mh_desc *d, const uint8_t *buf, size_t off,
		      uint8_t l, uint8_t *seen)
{
	uint8_t t = buf[off];
	struct dmm_mh_opt *o;
	size_t used;
	int err;

	if (l < d->min_len || l > d->max_len)
		return DMM_ERR_OPT_LEN;
	/* RFC 6275 §6.2.1 states alignment as the sender's rule: noted, not refused. */
	if (!(d->flags & DMM_OPTF_ALIGN_SOFT) && align_mod(off, d->align_x) != d->align_y)
		out->notes |= DMM_MH_NOTE_MISALIGNED;
	if (!may_repeat(d, out->type) && (seen[t >> 3] & (1u << (t & 7))))
		return DMM_ERR_OPT_DUP;
	if (out->nopts >= DMM_MH_MAX_OPTS)
		return DMM_ERR_OPT_TOO_MANY;
	o = &out->opts[out->nopts];
	clear_opt(o, d->clear);
	o->type = t;
	err = get_fields(d, opt_body(o), buf + off + 2, l, &used, DMM_ERR_OPT_LEN, &out->notes);
	if (err)
		return err;
	if (used != l)
		return DMM_ERR_OPT_LEN;
	if (d->check && (err = d->check(o, out->type)) < 0)
		return err;
	out->notes |= (uint16_t)err;
	seen[t >> 3] |= (uint8_t)(1u << (t & 7));
	out->nopts++;
	return 0;
}

/* RFC 6275 §6.2.1: options follow the fixed part up to the end of the header. */
static int decode_opts(struct dmm_mh_msg *out, const uint8_t *buf, size_t off, size_t total)
{
	uint8_t seen[32] = {0};
	bool after_last = false;

	while (off < total) {
		uint8_t t = buf[off], l;
		const struct dmm_mh_desc *d;
		int err;

		out->err_off = (uint16_t)off;
		out->err_opt = t;
		if (t == DMM_OPT_PAD1) { /* §6.2.2: a single octet, no length */
			off++;
			continue;
		}
		if (total - off < 2 || total - off - 2 < buf[off + 1])
			return DMM_ERR_OPT_TRUNCATED;
		l = buf[off + 1];
		if (t == DMM_OPT_PADN) { /* §6.2.3: content ignored on receipt */
			off += 2u + l;
			continue;
		}
		/* RFC 6275 §6.2.7, RFC 4285 §5: the authentication option comes last. */
		if (after_last)
			return DMM_ERR_OPT_NOT_LAST;
		d = dmm_mh_opt_desc(t);
		if (!d) { /* §6.2.1: unknown options are skipped */
			out->unknown_opts++;
			out->notes |= DMM_MH_NOTE_UNKNOWN_OPT;
			off += 2u + l;
			continue;
		}
		if ((err = decode_opt(out, d, buf, off, l, seen)) != 0)
			return err;
		if (d->flags & DMM_OPTF_LAST)
			after_last = true;
		off += 2u + l;
	}
	out->err_off = 0;
	out->err_opt = 0;
	return 0;
}

int dmm_mh_decode(struct dmm_mh_msg *out, const uint8_t *buf, size_t len)
{
	const struct dmm_mh_desc *d;
	size_t total, used;
	int err;

	/* Nothing is valid yet; these stay right whatever fails below. */
	out->decoded = DMM_MH_DEC_NONE;
	out->nopts = 0;
	out->unknown_opts = 0;
	out->notes = 0;
	out->err_off = 0;
	out->err_opt = 0;
	if (len < 8)
		return DMM_ERR_TRUNCATED;
	/* RFC 6275 §9.2: Payload Proto must be IPPROTO_NONE. */
	if (buf[0] != DMM_MH_PAYLOAD_PROTO)
		return DMM_ERR_PAYLOAD_PROTO;
	total = ((size_t)buf[1] + 1) * 8;
	if (total > len)
		return DMM_ERR_TRUNCATED;
	out->type = buf[2];
	d = dmm_mh_msg_desc(buf[2], buf[6]);
	if (!d)
		return buf[2] == DMM_MH_BR ? DMM_ERR_BR_TYPE : DMM_ERR_UNKNOWN_TYPE;
	out->decoded = DMM_MH_DEC_TYPE;
	if (buf[3]) /* RFC 6275 §6.1.1: Reserved, ignored by the receiver */
		out->notes |= DMM_MH_NOTE_RESERVED_BITS;
	/* §9.2: a Header Len too short for the type is an error, not a truncation. */
	out->err_off = MH_HDR;
	err = get_fields(d, msg_body(out), buf + MH_HDR, total - MH_HDR, &used, DMM_ERR_HDR_LEN, &out->notes);
	if (err)
		return err;
	out->decoded = DMM_MH_DEC_FIXED;
	err = decode_opts(out, buf, MH_HDR + used, total);
	if (err)
		return err;
	if (d->check && (err = d->check(out, out->type)) < 0)
		return err;
	out->notes |= (uint16_t)err;
	out->decoded = DMM_MH_DEC_ALL;
	return (int)total;
}

uint16_t dmm_mh_checksum(const uint8_t *buf, size_t len, const struct dmm_addr *src,
			 const struct dmm_addr *dst)
{
	/* RFC 6275 §6.1.1: the checksum field is octets 4-5 of the Mobility Header. */
	return dmm_csum_ipv6(buf, len, src, dst, DMM_IPPROTO_MH, 4);
}

int dmm_mh_decode_ip6(struct dmm_mh_msg *out, const uint8_t *buf, size_t len, const struct dmm_addr *src,
		      const struct dmm_addr *dst)
{
	size_t total;

	if (len < 8)
		return DMM_ERR_TRUNCATED;
	total = ((size_t)buf[1] + 1) * 8;
	if (total > len)
		return DMM_ERR_TRUNCATED;
	if (dmm_mh_checksum(buf, total, src, dst) != dmm_get_u16(buf + 4))
		return DMM_ERR_CHECKSUM;
	return dmm_mh_decode(out, buf, len);
}

/* --- encode --- */

static int put_pad(uint8_t *buf, size_t cap, size_t off, size_t n)
{
	if (n == 0)
		return 0;
	if (cap - off < n)
		return DMM_ERR_NOBUF;
	/* RFC 6275 §6.2.2/§6.2.3: Pad1 for one octet, PadN for more. */
	if (n == 1) {
		buf[off] = DMM_OPT_PAD1;
	} else {
		buf[off] = DMM_OPT_PADN;
		buf[off + 1] = (uint8_t)(n - 2);
		memset(buf + off + 2, 0, n - 2);
	}
	return 0;
}

static int encode_opts(uint8_t *buf, size_t cap, size_t *offp, const struct dmm_mh_msg *msg)
{
	uint8_t seen[32] = {0};
	bool after_last = false;
	size_t off = *offp;

	if (msg->nopts > DMM_MH_MAX_OPTS)
		return DMM_ERR_OPT_TOO_MANY;
	for (unsigned i = 0; i < msg->nopts; i++) {
		const struct dmm_mh_opt *o = &msg->opts[i];
		const struct dmm_mh_desc *d = dmm_mh_opt_desc(o->type);
		size_t pad;
		int l, err;

		if (!d)
			return DMM_ERR_INVAL;
		if (after_last)
			return DMM_ERR_OPT_NOT_LAST;
		if (!may_repeat(d, msg->type) && (seen[o->type >> 3] & (1u << (o->type & 7))))
			return DMM_ERR_OPT_DUP;
		pad = align_mod(d->align_y + d->align_x - align_mod(off, d->align_x), d->align_x);
		/* With room for the most the fields can take, they are written and measured in one walk. */
		if (cap - off >= pad + 2u + (size_t)d->nfields * FIELD_WIRE_MAX)
			l = put_fields(d, (const uint8_t *)&o->u, buf + off + pad + 2);
		else
			l = fields_size(d, (const uint8_t *)&o->u);
		if (l < 0)
			return l;
		if (l < d->min_len || l > d->max_len)
			return DMM_ERR_OPT_LEN;
		/* Notes (positive) are accepted: the empty forms of §5.3.6 and what we echo. */
		if (d->check && (err = d->check(o, msg->type)) < 0)
			return err;
		if (cap - off < pad + 2u + (size_t)d->nfields * FIELD_WIRE_MAX) {
			if ((err = put_pad(buf, cap, off, pad)) != 0)
				return err;
			if (cap - off - pad < 2u + (size_t)l)
				return DMM_ERR_NOBUF;
			put_fields(d, (const uint8_t *)&o->u, buf + off + pad + 2);
		} else {
			put_pad(buf, cap, off, pad);
		}
		off += pad;
		buf[off] = o->type;
		buf[off + 1] = (uint8_t)l;
		off += 2u + (size_t)l;
		seen[o->type >> 3] |= (uint8_t)(1u << (o->type & 7));
		after_last = d->flags & DMM_OPTF_LAST;
	}
	*offp = off;
	return 0;
}

int dmm_mh_encode(uint8_t *buf, size_t cap, const struct dmm_mh_msg *msg)
{
	const struct dmm_mh_desc *d = dmm_mh_msg_desc(msg->type, msg->u.br.br_type);
	size_t off;
	int n, err;

	if (!d)
		return DMM_ERR_INVAL;
	n = fields_size(d, (const uint8_t *)&msg->u);
	if (n < 0)
		return n;
	if (cap < MH_HDR + (size_t)n)
		return DMM_ERR_NOBUF;
	if (d->check && (err = d->check(msg, msg->type)) < 0)
		return err;
	buf[0] = DMM_MH_PAYLOAD_PROTO;
	buf[1] = 0;
	buf[2] = msg->type;
	buf[3] = 0;
	buf[4] = buf[5] = 0;
	put_fields(d, (const uint8_t *)&msg->u, buf + MH_HDR);
	off = MH_HDR + (size_t)n;
	if ((err = encode_opts(buf, cap, &off, msg)) != 0)
		return err;
	/* §6.1.1: the header is a multiple of 8 octets long. */
	if ((err = put_pad(buf, cap, off, (8 - off % 8) % 8)) != 0)
		return err;
	off += (8 - off % 8) % 8;
	if (off > DMM_MH_MAX_LEN)
		return DMM_ERR_TOO_LONG;
	buf[1] = (uint8_t)(off / 8 - 1);
	return (int)off;
}

int dmm_mh_encode_ip6(uint8_t *buf, size_t cap, const struct dmm_mh_msg *msg, const struct dmm_addr *src,
		      const struct dmm_addr *dst)
{
	int n = dmm_mh_encode(buf, cap, msg);

	if (n < 0)
		return n;
	dmm_put_u16(buf + 4, dmm_mh_checksum(buf, (size_t)n, src, dst));
	return n;
}

/* --- building and reading --- */

void dmm_mh_init(struct dmm_mh_msg *msg, uint8_t type)
{
	memset(&msg->u, 0, sizeof(msg->u));
	msg->type = type;
	msg->nopts = 0;
	msg->unknown_opts = 0;
	msg->decoded = DMM_MH_DEC_NONE;
	msg->err_opt = 0;
	msg->err_off = 0;
	msg->notes = 0;
}

struct dmm_mh_opt *dmm_mh_add_opt(struct dmm_mh_msg *msg, uint8_t type)
{
	const struct dmm_mh_desc *d;
	struct dmm_mh_opt *o;

	if (msg->nopts >= DMM_MH_MAX_OPTS)
		return NULL;
	d = dmm_mh_opt_desc(type);
	o = &msg->opts[msg->nopts++];
	clear_opt(o, d ? d->clear : 0);
	o->type = type;
	return o;
}

const struct dmm_mh_opt *dmm_mh_find_opt(const struct dmm_mh_msg *msg, uint8_t type,
					 const struct dmm_mh_opt *after)
{
	unsigned i = after ? (unsigned)(after - msg->opts) + 1 : 0;

	for (; i < msg->nopts; i++)
		if (msg->opts[i].type == type)
			return &msg->opts[i];
	return NULL;
}

unsigned dmm_mh_count_opt(const struct dmm_mh_msg *msg, uint8_t type)
{
	unsigned n = 0;

	for (unsigned i = 0; i < msg->nopts; i++)
		n += msg->opts[i].type == type;
	return n;
}

const char *dmm_mh_note_names(uint16_t notes, char *buf, size_t cap)
{
	static const char *const names[] = {"misaligned", "reserved-value", "reserved-bits", "empty-form",
					    "unknown-option"};
	size_t o = 0;

	if (cap == 0)
		return buf;
	buf[0] = 0;
	for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		size_t n = strlen(names[i]);

		if (!(notes & (1u << i)))
			continue;
		if (o + (o > 0) + n + 1 > cap)
			break;
		if (o > 0)
			buf[o++] = ',';
		memcpy(buf + o, names[i], n + 1);
		o += n;
	}
	return buf;
}

/* Append a copy of o to m; false when m is full. */
static bool copy_opt(struct dmm_mh_msg *m, const struct dmm_mh_opt *o)
{
	struct dmm_mh_opt *c = dmm_mh_add_opt(m, o->type);

	if (c)
		*c = *o;
	return c != NULL;
}

/* Copy every option of type from pbu, or add the empty form (zeroed, as dmm_mh_add_opt() gives it). */
static bool echo_type(struct dmm_mh_msg *pba, const struct dmm_mh_msg *pbu, uint8_t type, bool mandatory)
{
	const struct dmm_mh_opt *o = dmm_mh_find_opt(pbu, type, NULL);
	struct dmm_mh_opt *e;

	if (!o) {
		if (!mandatory)
			return true;
		if (!(e = dmm_mh_add_opt(pba, type)))
			return false;
		if (type == DMM_OPT_MNID)
			e->u.mnid.subtype = DMM_MNID_NAI; /* zero-length identifier */
		return true;
	}
	for (; o; o = dmm_mh_find_opt(pbu, type, o))
		if (!copy_opt(pba, o))
			return false;
	return true;
}

int dmm_mh_pba_echo(struct dmm_mh_msg *pba, const struct dmm_mh_msg *pbu)
{
	/* §5.3.6 Figure 6: four mandatory options, then three copied only when present. */
	static const struct {
		uint8_t type;
		bool mandatory;
	} order[] = {
		{DMM_OPT_MNID, true}, {DMM_OPT_HNP, true},	  {DMM_OPT_HI, true},
		{DMM_OPT_ATT, true},  {DMM_OPT_TIMESTAMP, false}, {DMM_OPT_MNLLID, false},
		{DMM_OPT_LLA, false},
	};

	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		if (!echo_type(pba, pbu, order[i].type, order[i].mandatory))
			return DMM_ERR_OPT_TOO_MANY;
	return 0;
}

/* --- authentication (RFC 4285) on encoded messages --- */

/* What a walk over the options of an encoded message found (offsets from its start; 0: none). */
struct opt_walk {
	size_t total;	   /* (Header Len + 1) * 8 */
	size_t end;	   /* the end of the last option that is not padding (or of the fixed part) */
	size_t auth_off;   /* the Authentication option (RFC 4285 §5) */
	size_t mesgid_off; /* the Replay Protection option (RFC 4285 §6) */
	size_t last_off;   /* an option that must be the last (DMM_OPTF_LAST: AUTH, BAD) */
};

/* RFC 6275 §6.1.1: the header and the fixed part of buf; the offset of its first option, or a DMM_ERR_*. */
static int walk_fixed(const uint8_t *buf, size_t len, size_t *total)
{
	_Alignas(8) uint8_t body[sizeof(((struct dmm_mh_msg *)0)->u)];
	const struct dmm_mh_desc *d;
	uint16_t notes = 0;
	size_t used;
	int err;

	if (len < 8)
		return DMM_ERR_TRUNCATED;
	if (buf[0] != DMM_MH_PAYLOAD_PROTO)
		return DMM_ERR_PAYLOAD_PROTO;
	*total = ((size_t)buf[1] + 1) * 8;
	if (*total > len)
		return DMM_ERR_TRUNCATED;
	d = dmm_mh_msg_desc(buf[2], buf[6]);
	if (!d)
		return buf[2] == DMM_MH_BR ? DMM_ERR_BR_TYPE : DMM_ERR_UNKNOWN_TYPE;
	err = get_fields(d, body, buf + MH_HDR, *total - MH_HDR, &used, DMM_ERR_HDR_LEN, &notes);
	return err ? err : (int)(MH_HDR + used);
}

/*
 * The framing of buf's options (RFC 6275 §6.2.1), as decode_opts() sees
 * it, without reading what is inside them but the two RFC 4285 options.
 */
static int walk_opts(const uint8_t *buf, size_t len, struct opt_walk *w)
{
	int off = walk_fixed(buf, len, &w->total);
	size_t o;

	if (off < 0)
		return off;
	w->end = o = (size_t)off;
	w->auth_off = w->mesgid_off = w->last_off = 0;
	while (o < w->total) {
		uint8_t t = buf[o], l;

		if (t == DMM_OPT_PAD1) {
			o++;
			continue;
		}
		if (w->total - o < 2 || w->total - o - 2 < buf[o + 1])
			return DMM_ERR_OPT_TRUNCATED;
		l = buf[o + 1];
		if (t == DMM_OPT_PADN) {
			o += 2u + l;
			continue;
		}
		/* RFC 4285 §5.1, RFC 6275 §6.2.7: the authentication options come last. */
		if (w->last_off)
			return DMM_ERR_OPT_NOT_LAST;
		if (t == DMM_OPT_AUTH && l < DMM_MH_AUTH_FIXED)
			return DMM_ERR_OPT_LEN; /* no room for Subtype and SPI */
		if (t == DMM_OPT_MESGID && (l != 8 || w->mesgid_off))
			return l != 8 ? DMM_ERR_OPT_LEN : DMM_ERR_OPT_DUP;
		if (t == DMM_OPT_AUTH)
			w->auth_off = o;
		else if (t == DMM_OPT_MESGID)
			w->mesgid_off = o;
		if (dmm_mh_opt_desc(t) && (dmm_mh_opt_desc(t)->flags & DMM_OPTF_LAST))
			w->last_off = o;
		o += 2u + l;
		w->end = o;
	}
	return 0;
}

/* *out from the walk: the message, the Replay Protection option and the Authentication option at w->auth_off. */
static void fill_span(const uint8_t *buf, const struct opt_walk *w, struct dmm_mh_auth_span *out)
{
	size_t o = w->auth_off;

	memset(out, 0, sizeof(*out));
	out->mh_len = w->total;
	if (w->mesgid_off) {
		out->has_mesgid = true;
		out->mesgid = dmm_get_u64(buf + w->mesgid_off + 2);
	}
	if (!o)
		return;
	/* RFC 4285 §5: Type, Length, Subtype, Mobility SPI, then the Authentication Data. */
	out->opt_off = o;
	out->subtype = buf[o + 2];
	out->spi = dmm_get_u32(buf + o + 3);
	out->data_len = o + 2 + DMM_MH_AUTH_FIXED; /* "up to and including the mobility SPI" */
	out->auth_off = out->data_len;
	out->auth_len = (size_t)buf[o + 1] - DMM_MH_AUTH_FIXED;
}

int dmm_mh_auth_find(const uint8_t *buf, size_t len, struct dmm_mh_auth_span *out)
{
	struct opt_walk w;
	int err = walk_opts(buf, len, &w);

	memset(out, 0, sizeof(*out));
	if (err)
		return err;
	fill_span(buf, &w, out);
	return w.auth_off ? 0 : DMM_ERR_NOTFOUND;
}

/*
 * Where the Authentication option of olen octets goes after off: at 4n+1
 * (RFC 4285 §5), and where 4n+1 allows at an offset after which the
 * message ends on 8 octets with no padding behind the option.
 */
static size_t auth_place(size_t off, size_t olen)
{
	size_t a = off + (5 - off % 4) % 4;

	if ((a + olen) % 8 != 0 && (a + 4 + olen) % 8 == 0)
		a += 4;
	return a;
}

int dmm_mh_auth_append(uint8_t *buf, size_t cap, size_t len, uint32_t spi, size_t auth_len,
		       const uint64_t *mesgid, struct dmm_mh_auth_span *span)
{
	size_t olen = 2 + DMM_MH_AUTH_FIXED + auth_len, off, m = 0, a, end, total;
	struct opt_walk w;
	int err = walk_opts(buf, len, &w);

	if (err)
		return err;
	if (w.auth_off || (mesgid && w.mesgid_off))
		return DMM_ERR_EXISTS;
	if (w.last_off) /* a Binding Authorization Data option must stay last */
		return DMM_ERR_OPT_NOT_LAST;
	if (auth_len < 1 || auth_len > DMM_MH_AUTH_DATA_MAX)
		return DMM_ERR_INVAL; /* the decoder's bounds (AUTH: Length 6 and up) */
	off = w.end;
	if (mesgid) { /* RFC 4285 §6: 8n+2 */
		m = off + (10 - off % 8) % 8;
		off = m + 10;
	}
	a = auth_place(off, olen);
	end = a + olen;
	total = end + (8 - end % 8) % 8;
	if (total > DMM_MH_MAX_LEN)
		return DMM_ERR_TOO_LONG;
	if (total > cap)
		return DMM_ERR_NOBUF;
	if (mesgid) {
		put_pad(buf, cap, w.end, m - w.end);
		buf[m] = DMM_OPT_MESGID;
		buf[m + 1] = 8;
		dmm_put_u64(buf + m + 2, *mesgid);
	}
	put_pad(buf, cap, off, a - off);
	buf[a] = DMM_OPT_AUTH;
	buf[a + 1] = (uint8_t)(DMM_MH_AUTH_FIXED + auth_len);
	buf[a + 2] = DMM_MH_AUTH_MN_HA;
	dmm_put_u32(buf + a + 3, spi);
	memset(buf + a + 7, 0, auth_len);
	put_pad(buf, cap, end, total - end);
	buf[1] = (uint8_t)(total / 8 - 1);
	w.total = total;
	w.auth_off = a;
	w.mesgid_off = mesgid ? m : w.mesgid_off;
	fill_span(buf, &w, span);
	return (int)total;
}
