/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * MLD codec: MLDv1 (RFC 2710 §3) and MLDv2 (RFC 3810 §5). Decoding is
 * complete before anything is returned; dmm_mld_decode() accepts what
 * dmm_mld_encode() writes and gives it back unchanged.
 */
#include <string.h>

#include "dmm/bytes.h"
#include "dmm/err.h"
#include "dmm/mld.h"

#define V1_LEN 24    /* RFC 2710 §3: every MLDv1 message */
#define V2_QUERY 28  /* RFC 3810 §5.1: fixed part of a v2 query */
#define V2_REPORT 8  /* RFC 3810 §5.2: header of a v2 report */
#define REC_FIXED 20 /* RFC 3810 §5.2.4: record type .. multicast address */

uint32_t dmm_mld_code_ms(uint16_t code)
{
	/* RFC 3810 §5.1.3: below 32768 the code is the delay; above, 1|exp(3)|mant(12). */
	if (code < 32768)
		return code;
	return (uint32_t)((code & 0x0fff) | 0x1000) << (((code >> 12) & 7) + 3);
}

uint16_t dmm_mld_ms_code(uint32_t ms)
{
	if (ms < 32768)
		return (uint16_t)ms;
	for (unsigned exp = 0; exp < 8; exp++) {
		uint32_t mant = ms >> (exp + 3);

		if (mant < 0x2000)
			return (uint16_t)(0x8000 | (exp << 12) | (mant & 0x0fff));
	}
	return 0xffff;
}

uint32_t dmm_mld_qqic_s(uint8_t qqic)
{
	/* RFC 3810 §5.1.9: below 128 the code is the interval; above, 1|exp(3)|mant(4). */
	if (qqic < 128)
		return qqic;
	return (uint32_t)((qqic & 0x0f) | 0x10) << (((qqic >> 4) & 7) + 3);
}

uint8_t dmm_mld_s_qqic(uint32_t s)
{
	if (s < 128)
		return (uint8_t)s;
	for (unsigned exp = 0; exp < 8; exp++) {
		uint32_t mant = s >> (exp + 3);

		if (mant < 0x20)
			return (uint8_t)(0x80 | (exp << 4) | (mant & 0x0f));
	}
	return 0xff;
}

/* n source addresses at p into m->src (appended). */
static int take_sources(struct dmm_mld_msg *m, const uint8_t *p, uint16_t n)
{
	if ((size_t)m->nsrc + n > DMM_MLD_MAX_SRC)
		return DMM_ERR_NOMEM;
	for (uint16_t i = 0; i < n; i++)
		memcpy(m->src[m->nsrc++].b, p + 16u * i, 16);
	return 0;
}

/* RFC 3810 §5.1 (28 octets and more) or RFC 2710 §3.6 (24 octets). */
static int decode_query(struct dmm_mld_msg *m, const uint8_t *b, size_t len)
{
	uint16_t n;

	m->max_resp_code = dmm_get_u16(b + 4);
	memcpy(m->group.b, b + 8, 16);
	if (len == V1_LEN) {
		m->version = 1;
		return (int)len;
	}
	if (len < V2_QUERY)
		return len < V1_LEN ? DMM_ERR_TRUNCATED : DMM_ERR_INVAL; /* §8.1: 25..27 octets */
	m->version = 2;
	m->s_flag = (b[24] & 0x08) != 0;
	m->qrv = b[24] & 0x07;
	m->qqic = b[25];
	n = dmm_get_u16(b + 26);
	if (len < V2_QUERY + 16u * n)
		return DMM_ERR_TRUNCATED;
	if (take_sources(m, b + V2_QUERY, n) < 0)
		return DMM_ERR_NOMEM;
	return (int)len; /* octets past the sources: ignored (§5.1.12) */
}

/* RFC 3810 §5.2: records, each with its sources and auxiliary data. */
static int decode_report(struct dmm_mld_msg *m, const uint8_t *b, size_t len)
{
	size_t off = V2_REPORT;
	uint16_t nrec;

	if (len < V2_REPORT)
		return DMM_ERR_TRUNCATED;
	m->version = 2;
	nrec = dmm_get_u16(b + 6);
	if (nrec > DMM_MLD_MAX_REC)
		return DMM_ERR_NOMEM;
	for (uint16_t i = 0; i < nrec; i++) {
		struct dmm_mld_rec *r = &m->rec[i];
		size_t need;

		if (len - off < REC_FIXED)
			return DMM_ERR_TRUNCATED;
		r->type = b[off];
		r->nsrc = dmm_get_u16(b + off + 2);
		need = REC_FIXED + 16u * r->nsrc + 4u * b[off + 1];
		if (len - off < need)
			return DMM_ERR_TRUNCATED;
		memcpy(r->group.b, b + off + 4, 16);
		r->src_off = m->nsrc;
		if (take_sources(m, b + off + REC_FIXED, r->nsrc) < 0)
			return DMM_ERR_NOMEM;
		off += need;
	}
	m->nrec = nrec;
	return (int)len;
}

int dmm_mld_decode(struct dmm_mld_msg *out, const uint8_t *buf, size_t len)
{
	struct dmm_mld_msg *m = out;

	memset(m, 0, offsetof(struct dmm_mld_msg, rec));
	m->nsrc = 0;
	if (len < 4)
		return DMM_ERR_TRUNCATED;
	m->type = buf[0];
	if (buf[1] != 0)
		return DMM_ERR_INVAL;
	switch (m->type) {
	case DMM_MLD_QUERY:
		if (len < V1_LEN)
			return DMM_ERR_TRUNCATED;
		return decode_query(m, buf, len);
	case DMM_MLD_V1_REPORT:
	case DMM_MLD_V1_DONE:
		/* RFC 2710 §3: 24 octets; longer messages are accepted, the rest ignored. */
		if (len < V1_LEN)
			return DMM_ERR_TRUNCATED;
		m->version = 1;
		m->max_resp_code = dmm_get_u16(buf + 4);
		memcpy(m->group.b, buf + 8, 16);
		return (int)len;
	case DMM_MLD_V2_REPORT:
		return decode_report(m, buf, len);
	default:
		return DMM_ERR_INVAL;
	}
}

static int encode_sources(uint8_t *p, const struct dmm_mld_msg *m, uint16_t off, uint16_t n)
{
	if ((size_t)off + n > m->nsrc)
		return DMM_ERR_INVAL;
	for (uint16_t i = 0; i < n; i++)
		memcpy(p + 16u * i, m->src[off + i].b, 16);
	return 0;
}

static int encode_report(uint8_t *buf, size_t cap, const struct dmm_mld_msg *m)
{
	size_t off = V2_REPORT;

	if (m->nrec > DMM_MLD_MAX_REC)
		return DMM_ERR_INVAL;
	if (cap < V2_REPORT)
		return DMM_ERR_NOBUF;
	memset(buf, 0, V2_REPORT);
	buf[0] = DMM_MLD_V2_REPORT;
	dmm_put_u16(buf + 6, m->nrec);
	for (uint16_t i = 0; i < m->nrec; i++) {
		const struct dmm_mld_rec *r = &m->rec[i];
		size_t need = REC_FIXED + 16u * r->nsrc;

		if (cap - off < need)
			return DMM_ERR_NOBUF;
		buf[off] = r->type;
		buf[off + 1] = 0; /* no auxiliary data (§5.2.6) */
		dmm_put_u16(buf + off + 2, r->nsrc);
		memcpy(buf + off + 4, r->group.b, 16);
		if (encode_sources(buf + off + REC_FIXED, m, r->src_off, r->nsrc) < 0)
			return DMM_ERR_INVAL;
		off += need;
	}
	return (int)off;
}

int dmm_mld_encode(uint8_t *buf, size_t cap, const struct dmm_mld_msg *m)
{
	size_t len;

	if (m->type == DMM_MLD_V2_REPORT)
		return encode_report(buf, cap, m);
	if (m->type != DMM_MLD_QUERY && m->type != DMM_MLD_V1_REPORT && m->type != DMM_MLD_V1_DONE)
		return DMM_ERR_INVAL;
	len = m->type == DMM_MLD_QUERY && m->version == 2 ? V2_QUERY + 16u * m->nsrc : V1_LEN;
	if (cap < len)
		return DMM_ERR_NOBUF;
	memset(buf, 0, len < V2_QUERY ? len : V2_QUERY);
	buf[0] = m->type;
	dmm_put_u16(buf + 4, m->max_resp_code);
	memcpy(buf + 8, m->group.b, 16);
	if (len == V1_LEN)
		return (int)len;
	buf[24] = (uint8_t)((m->s_flag ? 0x08 : 0) | (m->qrv & 0x07));
	buf[25] = m->qqic;
	dmm_put_u16(buf + 26, m->nsrc);
	if (encode_sources(buf + V2_QUERY, m, 0, m->nsrc) < 0)
		return DMM_ERR_INVAL;
	return (int)len;
}
