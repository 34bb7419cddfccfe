/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * IPv6 Neighbor Discovery codec (RFC 4861 §4) for the access links of a
 * MAG / MAAR. One const table describes the options: the message types a
 * kind means something in, whether it may repeat, and its decode and
 * encode functions. One walker frames options for the message and for
 * the inside of a PvD option (RFC 8801 §3.1); the table order is the
 * canonical encode order.
 *
 * Decoding is strict and complete before anything is returned. Encoding
 * enforces the same rules, so dmm_nd_decode() accepts whatever
 * dmm_nd_encode() writes and gives it back unchanged.
 */
#include <stddef.h>
#include <string.h>

#include "dmm/bytes.h"
#include "dmm/csum.h"
#include "dmm/err.h"
#include "dmm/nd.h"

/* Bit of a message type in nd_opt_desc.msgs. */
#define M_RS (1u << 0)
#define M_RA (1u << 1)
#define M_NS (1u << 2)
#define M_NA (1u << 3)

static unsigned type_mask(uint8_t type)
{
	return type >= DMM_ND_RS && type <= DMM_ND_NA ? 1u << (type - DMM_ND_RS) : 0u;
}

/* Octets of the fixed part (Type ... last field before the options), RFC 4861 §4.1-§4.4. */
static size_t fixed_len(uint8_t type)
{
	switch (type) {
	case DMM_ND_RS:
		return 8;
	case DMM_ND_RA:
		return 16;
	case DMM_ND_NS:
	case DMM_ND_NA:
		return 24;
	default:
		return 0;
	}
}

static bool is_mcast(const struct dmm_addr *a)
{
	return a->b[0] == 0xff;
}

/* fe80::/10 */
static bool is_linklocal(const struct dmm_addr *a)
{
	return a->b[0] == 0xfe && (a->b[1] & 0xc0) == 0x80;
}

/* ff02::1:ff00:0/104, RFC 4291 §2.7.1 */
static bool is_solicited_node(const struct dmm_addr *a)
{
	static const uint8_t pfx[13] = {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0xff};

	return memcmp(a->b, pfx, sizeof(pfx)) == 0;
}

/* RIO Length for a prefix length, RFC 4191 §2.3: the shortest that carries it. */
static uint8_t rio_units(uint8_t plen)
{
	return plen == 0 ? 1 : plen <= 64 ? 2 : 3;
}

/*
 * Walk an uncompressed DNS name (RFC 1035 §3.1) at p[0..n). Returns its
 * length in octets including the root label, or DMM_ERR_ND_PVD_FQDN when
 * it uses compression or extended labels (RFC 8801 §3.1 forbids them), has
 * no root label inside n, is over 255 octets or is the root alone.
 */
static int fqdn_len(const uint8_t *p, size_t n)
{
	size_t o = 0;

	for (;;) {
		uint8_t l;

		if (o >= n)
			return DMM_ERR_ND_PVD_FQDN;
		l = p[o];
		if (l & 0xc0)
			return DMM_ERR_ND_PVD_FQDN;
		o += 1u + l;
		if (o > DMM_ND_FQDN_MAX)
			return DMM_ERR_ND_PVD_FQDN;
		if (l == 0)
			break;
	}
	return o < 2 ? DMM_ERR_ND_PVD_FQDN : (int)o;
}

/* --- the option table --- */

struct nd_dec {
	struct dmm_nd_msg *msg;
	struct dmm_nd_opts *o;
	bool nested; /* inside a PvD option */
};

struct nd_enc {
	const struct dmm_nd_msg *msg;
	const struct dmm_nd_opts *o;
	bool nested;
	uint8_t *buf;
	size_t cap, off;
};

struct nd_opt_desc {
	uint8_t type;
	uint8_t msgs; /* M_* where the option means something; elsewhere it is skipped */
	bool once;    /* a second copy is DMM_ERR_ND_OPT_DUP */
	/* p: the option from its Type octet; n: Length * 8 (>= 8). */
	int (*dec)(struct nd_dec *c, const uint8_t *p, size_t n);
	/* Write every option of this kind at e->off; advance e->off. */
	int (*enc)(struct nd_enc *e);
	/* True when the options hold one of this kind (for encode's type check). */
	bool (*present)(const struct nd_enc *e);
};

static int walk_opts(struct nd_dec *c, uint8_t type, const uint8_t *buf, size_t off, size_t end);
static int write_opts(struct nd_enc *e, uint8_t type);

/* Reserve n octets at e->off, zeroed; NULL when the buffer is too small. */
static uint8_t *reserve(struct nd_enc *e, size_t n)
{
	uint8_t *p;

	if (e->cap - e->off < n)
		return NULL;
	p = e->buf + e->off;
	memset(p, 0, n);
	e->off += n;
	return p;
}

/* SLLAO / TLLAO, RFC 4861 §4.6.1: the address fills the option after Type and Length. */
static int dec_lla(struct dmm_nd_lla *l, const uint8_t *p, size_t n)
{
	if (n - 2 > DMM_ND_LLA_MAX)
		return DMM_ERR_ND_LLA_LEN;
	l->len = (uint8_t)(n - 2);
	memcpy(l->b, p + 2, n - 2);
	return 0;
}

static int enc_lla(struct nd_enc *e, uint8_t type, const struct dmm_nd_lla *l)
{
	size_t n;
	uint8_t *p;

	if (l->len == 0 || l->len > DMM_ND_LLA_MAX)
		return DMM_ERR_ND_LLA_LEN;
	n = (2u + l->len + 7u) / 8u * 8u;
	if (!(p = reserve(e, n)))
		return DMM_ERR_NOBUF;
	p[0] = type;
	p[1] = (uint8_t)(n / 8);
	memcpy(p + 2, l->b, l->len);
	return 0;
}

static int dec_sllao(struct nd_dec *c, const uint8_t *p, size_t n)
{
	c->o->has_sllao = true;
	return dec_lla(&c->o->sllao, p, n);
}

static int enc_sllao(struct nd_enc *e)
{
	return e->o->has_sllao ? enc_lla(e, DMM_ND_OPT_SLLAO, &e->o->sllao) : 0;
}

static bool has_sllao(const struct nd_enc *e)
{
	return e->o->has_sllao;
}

static int dec_tllao(struct nd_dec *c, const uint8_t *p, size_t n)
{
	c->o->has_tllao = true;
	return dec_lla(&c->o->tllao, p, n);
}

static int enc_tllao(struct nd_enc *e)
{
	return e->o->has_tllao ? enc_lla(e, DMM_ND_OPT_TLLAO, &e->o->tllao) : 0;
}

static bool has_tllao(const struct nd_enc *e)
{
	return e->o->has_tllao;
}

/* MTU, RFC 4861 §4.6.4: Length 1, 16 reserved bits, 32-bit MTU. */
static int dec_mtu(struct nd_dec *c, const uint8_t *p, size_t n)
{
	if (n != 8)
		return DMM_ERR_ND_MTU_LEN;
	c->o->has_mtu = true;
	c->o->mtu = dmm_get_u32(p + 4);
	return 0;
}

static int enc_mtu(struct nd_enc *e)
{
	uint8_t *p;

	if (!e->o->has_mtu)
		return 0;
	if (!(p = reserve(e, 8)))
		return DMM_ERR_NOBUF;
	p[0] = DMM_ND_OPT_MTU;
	p[1] = 1;
	dmm_put_u32(p + 4, e->o->mtu);
	return 0;
}

static bool has_mtu(const struct nd_enc *e)
{
	return e->o->has_mtu;
}

/* PIO, RFC 4861 §4.6.2: Length 4. */
static int check_pio(const struct dmm_nd_pio *x)
{
	if (x->prefix.len > 128)
		return DMM_ERR_ND_PREFIX_LEN;
	/* §6.3.4 (and RFC 4862 §5.5.3 c): a preferred lifetime above the valid one is invalid. */
	if (x->preferred > x->valid)
		return DMM_ERR_ND_PIO_LIFETIMES;
	return 0;
}

static int dec_pio(struct nd_dec *c, const uint8_t *p, size_t n)
{
	struct dmm_nd_pio *x;

	if (n != 32)
		return DMM_ERR_ND_PIO_LEN;
	if (c->o->npio >= DMM_ND_MAX_PIO)
		return DMM_ERR_ND_TOO_MANY;
	x = &c->o->pio[c->o->npio];
	x->prefix.len = p[2];
	x->flags = p[3] & DMM_ND_PIO_FLAGS; /* Reserved1: ignored on receipt */
	x->valid = dmm_get_u32(p + 4);
	x->preferred = dmm_get_u32(p + 8);
	memcpy(x->prefix.addr.b, p + 16, 16); /* Reserved2 (p + 12) ignored */
	c->o->npio++;
	return check_pio(x);
}

static int enc_pio(struct nd_enc *e)
{
	if (e->o->npio > DMM_ND_MAX_PIO)
		return DMM_ERR_ND_TOO_MANY;
	for (unsigned i = 0; i < e->o->npio; i++) {
		const struct dmm_nd_pio *x = &e->o->pio[i];
		uint8_t *p;
		int err = check_pio(x);

		if (err)
			return err;
		if (!(p = reserve(e, 32)))
			return DMM_ERR_NOBUF;
		p[0] = DMM_ND_OPT_PIO;
		p[1] = 4;
		p[2] = x->prefix.len;
		p[3] = x->flags & DMM_ND_PIO_FLAGS;
		dmm_put_u32(p + 4, x->valid);
		dmm_put_u32(p + 8, x->preferred);
		memcpy(p + 16, x->prefix.addr.b, 16);
	}
	return 0;
}

static bool has_pio(const struct nd_enc *e)
{
	return e->o->npio != 0;
}

/* RIO, RFC 4191 §2.3: Length 1, 2 or 3 as the prefix length needs; Prf in bits 3-4 of octet 3. */
static int dec_rio(struct nd_dec *c, const uint8_t *p, size_t n)
{
	struct dmm_nd_rio *x;
	uint8_t plen = p[2], prf = (p[3] >> 3) & 3;

	if (plen > 128)
		return DMM_ERR_ND_PREFIX_LEN;
	if (n > 24 || n / 8 < rio_units(plen))
		return DMM_ERR_ND_RIO_LEN;
	if (prf == DMM_ND_PRF_RESERVED) { /* §2.3: the option MUST be ignored */
		c->o->skipped++;
		return 0;
	}
	if (c->o->nrio >= DMM_ND_MAX_RIO)
		return DMM_ERR_ND_TOO_MANY;
	x = &c->o->rio[c->o->nrio++];
	x->prefix.len = plen;
	x->prf = prf;
	x->lifetime = dmm_get_u32(p + 4);
	memset(&x->prefix.addr, 0, sizeof(x->prefix.addr));
	memcpy(x->prefix.addr.b, p + 8, n - 8);
	return 0;
}

static int enc_rio(struct nd_enc *e)
{
	if (e->o->nrio > DMM_ND_MAX_RIO)
		return DMM_ERR_ND_TOO_MANY;
	for (unsigned i = 0; i < e->o->nrio; i++) {
		const struct dmm_nd_rio *x = &e->o->rio[i];
		size_t n;
		uint8_t *p;

		if (x->prefix.len > 128)
			return DMM_ERR_ND_PREFIX_LEN;
		if (x->prf > 3 || x->prf == DMM_ND_PRF_RESERVED)
			return DMM_ERR_ND_RIO_PRF;
		n = (size_t)rio_units(x->prefix.len) * 8;
		if (!(p = reserve(e, n)))
			return DMM_ERR_NOBUF;
		p[0] = DMM_ND_OPT_RIO;
		p[1] = (uint8_t)(n / 8);
		p[2] = x->prefix.len;
		p[3] = (uint8_t)(x->prf << 3);
		dmm_put_u32(p + 4, x->lifetime);
		memcpy(p + 8, x->prefix.addr.b, n - 8);
	}
	return 0;
}

static bool has_rio(const struct nd_enc *e)
{
	return e->o->nrio != 0;
}

/* RDNSS, RFC 8106 §5.1: Length 3 + 2k, k >= 0 (§5.3.1 validity). */
static int dec_rdnss(struct nd_dec *c, const uint8_t *p, size_t n)
{
	struct dmm_nd_rdnss *x;
	size_t units = n / 8, k = (units - 1) / 2;

	if (units < 3 || units % 2 == 0)
		return DMM_ERR_ND_RDNSS_LEN;
	if (k > DMM_ND_RDNSS_MAX_ADDRS || c->o->nrdnss >= DMM_ND_MAX_RDNSS)
		return DMM_ERR_ND_TOO_MANY;
	x = &c->o->rdnss[c->o->nrdnss++];
	x->lifetime = dmm_get_u32(p + 4);
	x->naddrs = (uint8_t)k;
	memcpy(x->addrs, p + 8, k * 16);
	return 0;
}

static int enc_rdnss(struct nd_enc *e)
{
	if (e->o->nrdnss > DMM_ND_MAX_RDNSS)
		return DMM_ERR_ND_TOO_MANY;
	for (unsigned i = 0; i < e->o->nrdnss; i++) {
		const struct dmm_nd_rdnss *x = &e->o->rdnss[i];
		size_t n = 8u + (size_t)x->naddrs * 16;
		uint8_t *p;

		if (x->naddrs == 0)
			return DMM_ERR_ND_RDNSS_LEN;
		if (x->naddrs > DMM_ND_RDNSS_MAX_ADDRS)
			return DMM_ERR_ND_TOO_MANY;
		if (!(p = reserve(e, n)))
			return DMM_ERR_NOBUF;
		p[0] = DMM_ND_OPT_RDNSS;
		p[1] = (uint8_t)(n / 8);
		dmm_put_u32(p + 4, x->lifetime);
		memcpy(p + 8, x->addrs, (size_t)x->naddrs * 16);
	}
	return 0;
}

static bool has_rdnss(const struct nd_enc *e)
{
	return e->o->nrdnss != 0;
}

/* The RA fields after Type, Code, Checksum (RFC 4861 §4.2); p at the Type octet. */
static void get_ra_hdr(struct dmm_nd_ra_hdr *h, const uint8_t *p)
{
	h->cur_hop_limit = p[4];
	h->flags = p[5] & DMM_ND_RA_FLAGS; /* reserved bits ignored on receipt */
	h->router_lifetime = dmm_get_u16(p + 6);
	h->reachable_time = dmm_get_u32(p + 8);
	h->retrans_timer = dmm_get_u32(p + 12);
}

static void put_ra_hdr(uint8_t *p, const struct dmm_nd_ra_hdr *h)
{
	p[0] = DMM_ND_RA;
	p[1] = 0;
	p[2] = p[3] = 0;
	p[4] = h->cur_hop_limit;
	p[5] = h->flags & DMM_ND_RA_FLAGS;
	dmm_put_u16(p + 6, h->router_lifetime);
	dmm_put_u32(p + 8, h->reachable_time);
	dmm_put_u32(p + 12, h->retrans_timer);
}

/*
 * PvD, RFC 8801 §3.1: H L R flags, 9 reserved bits, 4-bit Delay, Sequence
 * Number, the PvD ID FQDN, zero padding to 8 octets, the RA header when
 * R is set, then RA options, which the same walker decodes (no PvD in
 * a PvD, §3.2).
 */
static int dec_pvd(struct nd_dec *c, const uint8_t *p, size_t n)
{
	struct dmm_nd_pvd *v = &c->msg->pvd;
	struct nd_dec inner = {c->msg, &v->opts, true};
	size_t off;
	int l;

	if (c->nested)
		return DMM_ERR_ND_PVD_NESTED;
	v->flags = p[2] >> 5;
	v->delay = p[3] & 0x0f;
	v->seq = dmm_get_u16(p + 4);
	l = fqdn_len(p + 6, n - 6);
	if (l < 0)
		return l;
	v->fqdn.len = (uint8_t)l;
	memcpy(v->fqdn.b, p + 6, (size_t)l);
	off = (6u + (size_t)l + 7u) / 8u * 8u; /* padding: ignored on receipt */
	if (v->flags & DMM_ND_PVD_R) {
		if (n - off < 16)
			return DMM_ERR_ND_PVD_LEN;
		get_ra_hdr(&v->ra, p + off); /* §3.1: type, code and checksum ignored */
		off += 16;
	}
	c->msg->has_pvd = true;
	return walk_opts(&inner, DMM_ND_RA, p, off, n);
}

static int enc_pvd(struct nd_enc *e)
{
	const struct dmm_nd_pvd *v = &e->msg->pvd;
	struct nd_enc inner;
	size_t start = e->off, hl;
	uint8_t *p;
	int err;

	if (e->nested || !e->msg->has_pvd)
		return 0;
	if (fqdn_len(v->fqdn.b, v->fqdn.len) != (int)v->fqdn.len)
		return DMM_ERR_ND_PVD_FQDN;
	hl = (6u + v->fqdn.len + 7u) / 8u * 8u + (v->flags & DMM_ND_PVD_R ? 16u : 0u);
	if (!(p = reserve(e, hl)))
		return DMM_ERR_NOBUF;
	p[0] = DMM_ND_OPT_PVD;
	p[2] = (uint8_t)((v->flags & 7) << 5);
	p[3] = v->delay & 0x0f;
	dmm_put_u16(p + 4, v->seq);
	memcpy(p + 6, v->fqdn.b, v->fqdn.len);
	if (v->flags & DMM_ND_PVD_R)
		put_ra_hdr(p + hl - 16, &v->ra);
	inner = *e;
	inner.o = &v->opts;
	inner.nested = true;
	if ((err = write_opts(&inner, DMM_ND_RA)) != 0)
		return err;
	e->off = inner.off;
	if (e->off - start > 255u * 8u)
		return DMM_ERR_ND_PVD_LEN;
	e->buf[start + 1] = (uint8_t)((e->off - start) / 8);
	return 0;
}

static bool has_pvd(const struct nd_enc *e)
{
	return !e->nested && e->msg->has_pvd;
}

/* In canonical encode order. */
static const struct nd_opt_desc opt_descs[] = {
	{DMM_ND_OPT_SLLAO, M_RS | M_RA | M_NS, true, dec_sllao, enc_sllao, has_sllao},
	{DMM_ND_OPT_TLLAO, M_NA, true, dec_tllao, enc_tllao, has_tllao},
	{DMM_ND_OPT_MTU, M_RA, true, dec_mtu, enc_mtu, has_mtu},
	{DMM_ND_OPT_PIO, M_RA, false, dec_pio, enc_pio, has_pio},
	{DMM_ND_OPT_RIO, M_RA, false, dec_rio, enc_rio, has_rio},
	{DMM_ND_OPT_RDNSS, M_RA, false, dec_rdnss, enc_rdnss, has_rdnss},
	{DMM_ND_OPT_PVD, M_RA, true, dec_pvd, enc_pvd, has_pvd},
};

#define NDESC (sizeof(opt_descs) / sizeof(opt_descs[0]))

static const struct nd_opt_desc *opt_desc(uint8_t type)
{
	for (size_t i = 0; i < NDESC; i++)
		if (opt_descs[i].type == type)
			return &opt_descs[i];
	return NULL;
}

/* RFC 4861 §4.6 framing and §6.1/§7.1 validity: every option has Length > 0. */
static int walk_opts(struct nd_dec *c, uint8_t type, const uint8_t *buf, size_t off, size_t end)
{
	uint8_t seen[32] = {0};

	while (off < end) {
		const struct nd_opt_desc *d;
		uint8_t t = buf[off];
		size_t n;
		int err;

		if (end - off < 2)
			return DMM_ERR_ND_OPT_TRUNCATED;
		if (buf[off + 1] == 0)
			return DMM_ERR_ND_OPT_LEN_ZERO;
		n = (size_t)buf[off + 1] * 8;
		if (n > end - off)
			return DMM_ERR_ND_OPT_TRUNCATED;
		d = opt_desc(t);
		if (!d || !(d->msgs & type_mask(type))) {
			c->o->skipped++; /* §4.6 / §6.1: ignored, processing continues */
		} else {
			if (d->once && (seen[t >> 3] & (1u << (t & 7))))
				return DMM_ERR_ND_OPT_DUP;
			if ((err = d->dec(c, buf + off, n)) != 0)
				return err;
			seen[t >> 3] |= (uint8_t)(1u << (t & 7));
		}
		off += n;
	}
	return 0;
}

static int write_opts(struct nd_enc *e, uint8_t type)
{
	for (size_t i = 0; i < NDESC; i++) {
		const struct nd_opt_desc *d = &opt_descs[i];
		int err;

		if (!(d->msgs & type_mask(type))) {
			if (d->present(e))
				return DMM_ERR_INVAL; /* e.g. a PIO in an NS: a caller's mistake */
			continue;
		}
		if ((err = d->enc(e)) != 0)
			return err;
	}
	return 0;
}

/* --- decode --- */

int dmm_nd_decode(struct dmm_nd_msg *out, const uint8_t *buf, size_t len)
{
	struct nd_dec c = {out, &out->opts, false};
	size_t fl;
	int err;

	memset(out, 0, sizeof(*out));
	if (len > 0xffff) /* an IPv6 payload without jumbograms */
		return DMM_ERR_INVAL;
	if (len < 4)
		return DMM_ERR_ND_TRUNCATED;
	out->type = buf[0];
	fl = fixed_len(buf[0]);
	if (!fl)
		return DMM_ERR_ND_TYPE;
	if (buf[1] != 0) /* §6.1.1, §6.1.2, §7.1.1, §7.1.2: ICMP Code is 0 */
		return DMM_ERR_ND_CODE;
	if (len < fl)
		return DMM_ERR_ND_TRUNCATED;
	switch (out->type) {
	case DMM_ND_RA:
		get_ra_hdr(&out->u.ra, buf);
		break;
	case DMM_ND_NS:
		memcpy(out->u.ns.target.b, buf + 8, 16); /* octets 4-7 reserved, ignored */
		if (is_mcast(&out->u.ns.target))	 /* §7.1.1 */
			return DMM_ERR_ND_TARGET_MCAST;
		break;
	case DMM_ND_NA:
		out->u.na.flags = buf[4] & DMM_ND_NA_FLAGS;
		memcpy(out->u.na.target.b, buf + 8, 16);
		if (is_mcast(&out->u.na.target)) /* §7.1.2 */
			return DMM_ERR_ND_TARGET_MCAST;
		break;
	default: /* RS: 32 reserved bits, ignored */
		break;
	}
	if ((err = walk_opts(&c, out->type, buf, fl, len)) != 0)
		return err;
	return (int)len;
}

uint16_t dmm_nd_checksum(const uint8_t *buf, size_t len, const struct dmm_addr *src,
			 const struct dmm_addr *dst)
{
	/* RFC 4443 §2.3: the checksum field is octets 2-3 of the ICMPv6 message. */
	return dmm_csum_ipv6(buf, len, src, dst, DMM_IPPROTO_ICMPV6, 2);
}

int dmm_nd_decode_ip6(struct dmm_nd_msg *out, const uint8_t *buf, size_t len, const struct dmm_addr *src,
		      const struct dmm_addr *dst, uint8_t hop_limit)
{
	int n;

	/* RFC 4861 §6.1.1, §6.1.2, §7.1.1, §7.1.2: not forwarded by a router. */
	if (hop_limit != DMM_ND_HOP_LIMIT)
		return DMM_ERR_ND_HOP_LIMIT;
	if (len > 0xffff)
		return DMM_ERR_INVAL;
	if (len < 4)
		return DMM_ERR_ND_TRUNCATED;
	if (dmm_nd_checksum(buf, len, src, dst) != dmm_get_u16(buf + 2))
		return DMM_ERR_ND_CHECKSUM;
	n = dmm_nd_decode(out, buf, len);
	if (n < 0)
		return n;
	switch (out->type) {
	case DMM_ND_RA:
		if (!is_linklocal(src)) /* §6.1.2 */
			return DMM_ERR_ND_RA_SRC;
		break;
	case DMM_ND_RS:
		if (dmm_addr_is_zero(src) && out->opts.has_sllao) /* §6.1.1 */
			return DMM_ERR_ND_SLLAO_UNSPEC;
		break;
	case DMM_ND_NS:
		if (dmm_addr_is_zero(src)) { /* §7.1.1: DAD probe */
			if (!is_solicited_node(dst))
				return DMM_ERR_ND_NS_DST;
			if (out->opts.has_sllao)
				return DMM_ERR_ND_SLLAO_UNSPEC;
		}
		break;
	case DMM_ND_NA:
		if (is_mcast(dst) && (out->u.na.flags & DMM_ND_NA_S)) /* §7.1.2 */
			return DMM_ERR_ND_NA_SOLICITED;
		break;
	}
	return n;
}

/* --- encode --- */

int dmm_nd_encode(uint8_t *buf, size_t cap, const struct dmm_nd_msg *m, const struct dmm_addr *src,
		  const struct dmm_addr *dst)
{
	struct nd_enc e = {m, &m->opts, false, buf, cap, 0};
	size_t fl = fixed_len(m->type);
	uint8_t *p;
	int err;

	if (!fl || !src || !dst)
		return DMM_ERR_INVAL;
	if (!(p = reserve(&e, fl)))
		return DMM_ERR_NOBUF;
	p[0] = m->type;
	switch (m->type) {
	case DMM_ND_RA:
		put_ra_hdr(p, &m->u.ra);
		break;
	case DMM_ND_NS:
		if (is_mcast(&m->u.ns.target))
			return DMM_ERR_ND_TARGET_MCAST;
		memcpy(p + 8, m->u.ns.target.b, 16);
		break;
	case DMM_ND_NA:
		if (is_mcast(&m->u.na.target))
			return DMM_ERR_ND_TARGET_MCAST;
		p[4] = m->u.na.flags & DMM_ND_NA_FLAGS;
		memcpy(p + 8, m->u.na.target.b, 16);
		break;
	default:
		break;
	}
	if ((err = write_opts(&e, m->type)) != 0)
		return err;
	if (e.off > 0xffff)
		return DMM_ERR_INVAL;
	dmm_put_u16(buf + 2, dmm_nd_checksum(buf, e.off, src, dst));
	return (int)e.off;
}

/* --- building --- */

void dmm_nd_init(struct dmm_nd_msg *m, uint8_t type)
{
	memset(m, 0, sizeof(*m));
	m->type = type;
}

void dmm_nd_ra_init(struct dmm_nd_msg *m, uint8_t cur_hop_limit, uint16_t router_lifetime, uint8_t flags)
{
	dmm_nd_init(m, DMM_ND_RA);
	m->u.ra.cur_hop_limit = cur_hop_limit;
	m->u.ra.router_lifetime = router_lifetime;
	m->u.ra.flags = flags & DMM_ND_RA_FLAGS;
}

static int set_lla(struct dmm_nd_lla *l, bool *has, const uint8_t *lla, size_t n)
{
	if (n == 0 || n > DMM_ND_LLA_MAX)
		return DMM_ERR_INVAL;
	memset(l, 0, sizeof(*l));
	l->len = (uint8_t)n;
	memcpy(l->b, lla, n);
	*has = true;
	return 0;
}

int dmm_nd_set_sllao(struct dmm_nd_msg *m, const uint8_t *lla, size_t n)
{
	return set_lla(&m->opts.sllao, &m->opts.has_sllao, lla, n);
}

int dmm_nd_set_tllao(struct dmm_nd_msg *m, const uint8_t *lla, size_t n)
{
	return set_lla(&m->opts.tllao, &m->opts.has_tllao, lla, n);
}

void dmm_nd_ra_set_mtu(struct dmm_nd_msg *m, uint32_t mtu)
{
	m->opts.has_mtu = true;
	m->opts.mtu = mtu;
}

int dmm_nd_ra_add_pio(struct dmm_nd_opts *opts, const struct dmm_prefix *p, uint8_t flags, uint32_t valid,
		      uint32_t preferred)
{
	struct dmm_nd_pio x = {*p, (uint8_t)(flags & DMM_ND_PIO_FLAGS), valid, preferred};
	int err;

	if (opts->npio >= DMM_ND_MAX_PIO)
		return DMM_ERR_NOMEM;
	if ((err = check_pio(&x)) != 0)
		return err;
	opts->pio[opts->npio++] = x;
	return 0;
}

int dmm_nd_ra_add_rio(struct dmm_nd_opts *opts, const struct dmm_prefix *p, uint8_t prf, uint32_t lifetime)
{
	struct dmm_nd_rio *x;
	size_t keep;

	if (opts->nrio >= DMM_ND_MAX_RIO)
		return DMM_ERR_NOMEM;
	if (p->len > 128)
		return DMM_ERR_ND_PREFIX_LEN;
	if (prf > 3 || prf == DMM_ND_PRF_RESERVED)
		return DMM_ERR_ND_RIO_PRF;
	x = &opts->rio[opts->nrio++];
	memset(x, 0, sizeof(*x));
	keep = ((size_t)rio_units(p->len) - 1) * 8;
	memcpy(x->prefix.addr.b, p->addr.b, keep);
	x->prefix.len = p->len;
	x->prf = prf;
	x->lifetime = lifetime;
	return 0;
}

int dmm_nd_ra_add_rdnss(struct dmm_nd_opts *opts, uint32_t lifetime, const struct dmm_addr *addrs, size_t n)
{
	struct dmm_nd_rdnss *x;

	if (opts->nrdnss >= DMM_ND_MAX_RDNSS)
		return DMM_ERR_NOMEM;
	if (n == 0 || n > DMM_ND_RDNSS_MAX_ADDRS)
		return DMM_ERR_INVAL;
	x = &opts->rdnss[opts->nrdnss++];
	memset(x, 0, sizeof(*x));
	x->lifetime = lifetime;
	x->naddrs = (uint8_t)n;
	memcpy(x->addrs, addrs, n * sizeof(*addrs));
	return 0;
}

int dmm_nd_ra_set_pvd(struct dmm_nd_msg *m, const char *fqdn, uint8_t flags, uint8_t delay, uint16_t seq)
{
	struct dmm_nd_pvd *v = &m->pvd;
	size_t n = strlen(fqdn), i = 0, o = 0;

	memset(v, 0, sizeof(*v));
	if (n && fqdn[n - 1] == '.') /* a trailing dot names the root explicitly */
		n--;
	if (n == 0)
		return DMM_ERR_ND_PVD_FQDN;
	while (i <= n) {
		size_t j = i, l;

		while (j < n && fqdn[j] != '.')
			j++;
		l = j - i;
		/* RFC 1035 §2.3.4: labels of 1 ... 63 octets, names up to 255 with the root. */
		if (l == 0 || l > 63 || o + 1 + l + 1 > DMM_ND_FQDN_MAX)
			return DMM_ERR_ND_PVD_FQDN;
		v->fqdn.b[o] = (uint8_t)l;
		memcpy(v->fqdn.b + o + 1, fqdn + i, l);
		o += 1 + l;
		i = j + 1;
	}
	v->fqdn.b[o++] = 0;
	v->fqdn.len = (uint8_t)o;
	v->flags = flags & 7;
	v->delay = delay & 0x0f;
	v->seq = seq;
	m->has_pvd = true;
	return 0;
}

uint8_t dmm_nd_ra_prf(const struct dmm_nd_ra_hdr *ra)
{
	uint8_t prf = (ra->flags & DMM_ND_RA_PRF_MASK) >> DMM_ND_RA_PRF_SHIFT;

	return prf == DMM_ND_PRF_RESERVED ? DMM_ND_PRF_MEDIUM : prf;
}
