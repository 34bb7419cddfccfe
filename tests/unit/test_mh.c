/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Property tests of the Mobility Header codec: random valid messages of
 * every type with random options of every type must encode, decode to
 * the same fields and re-encode to the same bytes; the checksum must
 * verify and detect any single-bit flip; builder helpers behave.
 * Hand-worked byte vectors live in test_mh_golden.c.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "dmm/bytes.h"
#include "dmm/err.h"
#include "dmm/mh.h"
#include "helpers.h"

/* Fill the fields of d at body with random values of the right width. */
static void rnd_fields(const struct dmm_mh_desc *d, uint8_t *body, unsigned max_tail)
{
	for (unsigned i = 0; i < d->nfields; i++) {
		const struct dmm_mh_field *f = &d->fields[i];
		uint8_t *m = body + f->off;

		switch (f->kind) {
		case DMM_FK_U8:
		case DMM_FK_FLAGS8:
			*m = (uint8_t)rnd32();
			break;
		case DMM_FK_U16:
		case DMM_FK_FLAGS16: {
			uint16_t v = (uint16_t)rnd32();
			memcpy(m, &v, 2);
			break;
		}
		case DMM_FK_U32: {
			uint32_t v = rnd32();
			memcpy(m, &v, 4);
			break;
		}
		case DMM_FK_U48:
		case DMM_FK_U64: {
			uint64_t v = (uint64_t)rnd32() << 32 | rnd32();
			if (f->kind == DMM_FK_U48)
				v &= 0xffffffffffffull;
			memcpy(m, &v, 8);
			break;
		}
		case DMM_FK_ADDR:
			rnd_bytes(m, 16);
			break;
		case DMM_FK_BYTES: {
			struct dmm_mh_bytes *b = (void *)m;
			b->len = (uint8_t)(1 + rnd32() % max_tail);
			rnd_bytes(b->b, b->len);
			break;
		}
		case DMM_FK_IPADDR: {
			static const uint8_t lens[] = {0, 4, 16};
			struct dmm_mh_ipaddr *a = (void *)m;
			a->len = lens[rnd32() % 3];
			rnd_bytes(a->b, a->len);
			break;
		}
		default:
			break;
		}
	}
}

/* Make a random option valid for its type's meaning checks. */
static void fix_opt(struct dmm_mh_opt *o)
{
	switch (o->type) {
	case DMM_OPT_HNP:
		o->u.hnp.len %= 129;
		break;
	case DMM_OPT_ANCHORED_PREFIX:
		o->u.anchored_prefix.len %= 129;
		break;
	case DMM_OPT_LOCAL_PREFIX:
		o->u.local_prefix.len %= 129;
		break;
	case DMM_OPT_PREV_MAAR:
		o->u.prev_maar.hnp.len %= 129;
		break;
	case DMM_OPT_HI:
		o->u.hi.value |= 1;
		break;
	case DMM_OPT_ATT:
		o->u.att.value |= 1;
		break;
	case DMM_OPT_AUTH:
		o->u.auth.subtype = 1 + (uint8_t)(rnd32() % 2);
		break;
	case DMM_OPT_MNID: {
		static const uint8_t sub[] = {DMM_MNID_NAI,   DMM_MNID_EUI48, DMM_MNID_EUI64,
					      DMM_MNID_PTMSI, DMM_MNID_GUTI,  DMM_MNID_IPV6};
		static const uint8_t len[] = {20, 6, 8, 4, 10, 16};
		unsigned k = rnd32() % 6;
		o->u.mnid.subtype = sub[k];
		o->u.mnid.id.len = len[k];
		if (sub[k] == DMM_MNID_IPV6)
			o->u.mnid.id.b[0] = 0x20;
		break;
	}
	case DMM_OPT_CTX_REQ: /* RFC 5949 §6.2.1: whole Req-type/Req-length pairs */
		o->u.ctx_req.len &= 0xfe;
		for (unsigned k = 1; k < o->u.ctx_req.len; k += 2)
			o->u.ctx_req.b[k] = 0;
		break;
	case DMM_OPT_LMAA:
		o->u.lmaa.addr.len = rnd32() % 2 ? 16 : 4;
		o->u.lmaa.code = o->u.lmaa.addr.len == 16 ? DMM_LMAA_IPV6 : DMM_LMAA_IPV4;
		break;
	case DMM_OPT_MCAST_SUB: /* RFC 7161 §4.1.2: one MLDv2 record, no source or aux data, a group */
		o->u.mcast_sub.type = 143;
		o->u.mcast_sub.rec.len = 20;
		o->u.mcast_sub.rec.b[0] = (uint8_t)(1 + rnd32() % 6);
		o->u.mcast_sub.rec.b[1] = o->u.mcast_sub.rec.b[2] = o->u.mcast_sub.rec.b[3] = 0;
		o->u.mcast_sub.rec.b[4] = 0xff;
		break;
	case DMM_OPT_REDIRECT:
		o->u.redirect.r2lma.len = rnd32() % 2 ? 16 : 4;
		o->u.redirect.flags = o->u.redirect.r2lma.len == 16 ? DMM_REDIRECT_K : DMM_REDIRECT_N;
		break;
	default:
		break;
	}
}

static void rnd_msg(struct dmm_mh_msg *m)
{
	size_t nm, no;
	const struct dmm_mh_desc *md = dmm_mh_msg_descs(&nm), *od = dmm_mh_opt_descs(&no);
	const struct dmm_mh_desc *d = &md[rnd32() % nm];
	unsigned nopts = rnd32() % 8;
	bool last = false;

	dmm_mh_init(m, d->type);
	rnd_fields(d, (uint8_t *)&m->u, 16);
	if (d->type == DMM_MH_BR)
		m->u.br.br_type = d->sub;
	if (d->type == DMM_MH_HAS)
		m->u.has.naddrs = (uint8_t)(rnd32() % 4);
	for (unsigned i = 0; i < nopts && !last; i++) {
		const struct dmm_mh_desc *o = &od[rnd32() % no];
		struct dmm_mh_opt *op;

		if (!(o->flags & DMM_OPTF_REPEAT) && dmm_mh_find_opt(m, o->type, NULL))
			continue;
		op = dmm_mh_add_opt(m, o->type);
		rnd_fields(o, (uint8_t *)&op->u, 24);
		fix_opt(op);
		last = o->flags & DMM_OPTF_LAST;
	}
}

static void test_random_roundtrip(void)
{
	static struct dmm_mh_msg m, m2;
	uint8_t b1[DMM_MH_MAX_LEN], b2[DMM_MH_MAX_LEN];
	struct dmm_addr src = {{0x20, 0x01, 0x0d, 0xb8, [15] = 1}},
			dst = {{0x20, 0x01, 0x0d, 0xb8, [15] = 2}};
	unsigned ok = 0, bad = 0;

	for (int i = 0; i < 20000; i++) {
		int n, n2;

		rnd_msg(&m);
		n = dmm_mh_encode_ip6(b1, sizeof(b1), &m, &src, &dst);
		if (n < 0) {
			bad++;
			fprintf(stderr, "encode type %u: %s\n", m.type, dmm_errname(n));
			continue;
		}
		n2 = dmm_mh_decode_ip6(&m2, b1, (size_t)n, &src, &dst);
		if (n2 != n || m2.nopts != m.nopts) {
			bad++;
			fprintf(stderr, "decode type %u: %s\n", m.type, dmm_errname(n2));
			continue;
		}
		if (n % 8 != 0 || b1[1] != n / 8 - 1) {
			bad++;
			continue;
		}
		n2 = dmm_mh_encode_ip6(b2, sizeof(b2), &m2, &src, &dst);
		if (n2 != n || memcmp(b1, b2, (size_t)n) != 0) {
			bad++;
			continue;
		}
		ok++;
	}
	CHECK_EQ(bad, 0);
	CHECK_EQ(ok, 20000);
}

static void test_checksum_detects_flips(void)
{
	static struct dmm_mh_msg m, out;
	uint8_t b[DMM_MH_MAX_LEN];
	struct dmm_addr src = {{0xfe, 0x80, [15] = 1}}, dst = {{0xfe, 0x80, [15] = 2}};
	int n, undetected = 0;

	dmm_mh_init(&m, DMM_MH_BU);
	m.u.bu.seq = 7;
	m.u.bu.flags = DMM_BU_A | DMM_BU_P;
	m.u.bu.lifetime = 100;
	dmm_mh_add_opt(&m, DMM_OPT_HI)->u.hi.value = 1;
	n = dmm_mh_encode_ip6(b, sizeof(b), &m, &src, &dst);
	CHECK(n > 0);
	CHECK_EQ(dmm_mh_decode_ip6(&out, b, (size_t)n, &src, &dst), n);
	for (int i = 0; i < n * 8; i++) {
		b[i / 8] ^= (uint8_t)(1u << (i % 8));
		if (dmm_mh_decode_ip6(&out, b, (size_t)n, &src, &dst) != DMM_ERR_CHECKSUM &&
		    i / 8 != 1) /* a flipped Header Len may truncate first */
			undetected++;
		b[i / 8] ^= (uint8_t)(1u << (i % 8));
	}
	CHECK_EQ(undetected, 0);
	/* The checksum covers the pseudo-header: another destination fails. */
	dst.b[15] = 3;
	CHECK_EQ(dmm_mh_decode_ip6(&out, b, (size_t)n, &src, &dst), DMM_ERR_CHECKSUM);
}

static void test_builders(void)
{
	static struct dmm_mh_msg m;
	uint8_t b[64];

	dmm_mh_init(&m, DMM_MH_BA);
	for (int i = 0; i < DMM_MH_MAX_OPTS; i++)
		CHECK(dmm_mh_add_opt(&m, DMM_OPT_HNP) != NULL);
	CHECK(dmm_mh_add_opt(&m, DMM_OPT_HNP) == NULL);
	CHECK_EQ(dmm_mh_count_opt(&m, DMM_OPT_HNP), DMM_MH_MAX_OPTS);
	CHECK(dmm_mh_find_opt(&m, DMM_OPT_HNP, &m.opts[3]) == &m.opts[4]);
	CHECK(dmm_mh_find_opt(&m, DMM_OPT_HI, NULL) == NULL);
	/* 32 HNP options need 32 * 24 octets: more than this buffer. */
	CHECK_EQ(dmm_mh_encode(b, sizeof(b), &m), DMM_ERR_NOBUF);

	/* The encoder refuses what the decoder would refuse. */
	dmm_mh_init(&m, DMM_MH_BU);
	dmm_mh_add_opt(&m, DMM_OPT_HI)->u.hi.value = 1;
	dmm_mh_add_opt(&m, DMM_OPT_HI)->u.hi.value = 2;
	CHECK_EQ(dmm_mh_encode(b, sizeof(b), &m), DMM_ERR_OPT_DUP);
	dmm_mh_init(&m, DMM_MH_BU);
	dmm_mh_add_opt(&m, DMM_OPT_HNP)->u.hnp.len = 129;
	CHECK_EQ(dmm_mh_encode(b, sizeof(b), &m), DMM_ERR_PREFIX_LEN);
	dmm_mh_init(&m, DMM_MH_BU);
	dmm_mh_add_opt(&m, DMM_OPT_AUTH)->u.auth.subtype = 1;
	m.opts[0].u.auth.data.len = 12;
	dmm_mh_add_opt(&m, DMM_OPT_HI)->u.hi.value = 1;
	CHECK_EQ(dmm_mh_encode(b, sizeof(b), &m), DMM_ERR_OPT_NOT_LAST);
	dmm_mh_init(&m, 99);
	CHECK_EQ(dmm_mh_encode(b, sizeof(b), &m), DMM_ERR_INVAL);

	CHECK_EQ(dmm_lifetime_units(600), 150);
	CHECK_EQ(dmm_lifetime_units(601), 151);
	CHECK_EQ(dmm_lifetime_units(1000000), 0xffff);
	CHECK_EQ(dmm_lifetime_seconds(150), 600);
	CHECK(dmm_seq_lt(0xffff, 0));
	CHECK(dmm_seq_lt(0, 0x7fff));
	CHECK(!dmm_seq_lt(0, 0x8000));
	CHECK(!dmm_seq_lt(5, 5));
	CHECK(!dmm_seq_lt(0, 0xffff));
}

static void test_truncations(void)
{
	static struct dmm_mh_msg m, out;
	uint8_t b[DMM_MH_MAX_LEN];
	int n, crashes = 0;

	/* Every prefix of a valid message is refused with a named error, never accepted. */
	for (int i = 0; i < 2000; i++) {
		rnd_msg(&m);
		n = dmm_mh_encode(b, sizeof(b), &m);
		if (n < 0)
			continue;
		for (int len = 0; len < n; len++)
			if (dmm_mh_decode(&out, b, (size_t)len) >= 0)
				crashes++;
	}
	CHECK_EQ(crashes, 0);
}

/* Octets of d's fixed part in m (the option area starts 6 + this into the header). */
static size_t fixed_len(const struct dmm_mh_desc *d, const struct dmm_mh_msg *m)
{
	static const uint8_t sz[] = {
		[DMM_FK_U8] = 1,    [DMM_FK_U16] = 2,	 [DMM_FK_U32] = 4,     [DMM_FK_U48] = 6,
		[DMM_FK_U64] = 8,   [DMM_FK_FLAGS8] = 1, [DMM_FK_FLAGS16] = 2, [DMM_FK_RSV8] = 1,
		[DMM_FK_RSV16] = 2, [DMM_FK_RSV24] = 3,	 [DMM_FK_ADDR] = 16};
	size_t n = 0;

	for (unsigned i = 0; i < d->nfields; i++)
		n += d->fields[i].kind == DMM_FK_ADDRS ? 16u * m->u.has.naddrs : sz[d->fields[i].kind];
	return n;
}

/* Offset of the k-th option (Pad1/PadN skipped) in the encoded b, or 0. */
static size_t opt_offset(const uint8_t *b, size_t n, size_t start, unsigned k)
{
	for (size_t o = start; o < n;) {
		if (b[o] == DMM_OPT_PAD1) {
			o++;
			continue;
		}
		if (b[o] != DMM_OPT_PADN && k-- == 0)
			return o;
		o += 2u + b[o + 1];
	}
	return 0;
}

/*
 * What decoded before an error is kept (mh.h, for the RFC 5213 §5.3.6
 * echo): a random message whose k-th option gets Length 0 (below every
 * option's minimum) fails with DMM_ERR_OPT_LEN, and the struct holds the
 * fixed part and exactly the k options before it, unchanged.
 */
static void test_partial_decode(void)
{
	static struct dmm_mh_msg m, out;
	uint8_t b[DMM_MH_MAX_LEN], b2[DMM_MH_MAX_LEN];
	struct check_loop l =
		CHECK_LOOP_INIT("a failed decode keeps the fixed part and the options before the bad one");
	unsigned tried = 0;

	for (int i = 0; i < 3000; i++) {
		const struct dmm_mh_desc *d;
		size_t off;
		unsigned k;
		int n, r;
		bool ok;

		rnd_msg(&m);
		n = dmm_mh_encode(b, sizeof(b), &m);
		if (n < 0 || m.nopts == 0)
			continue;
		d = dmm_mh_msg_desc(m.type, m.u.br.br_type);
		k = rnd32() % m.nopts;
		off = opt_offset(b, (size_t)n, 6 + fixed_len(d, &m), k);
		if (off == 0 || b[off] != m.opts[k].type)
			continue;
		tried++;
		b[off + 1] = 0;
		memset(&out, 0,
		       sizeof(out)); /* the union's bytes past the message's fields stay as they were */
		r = dmm_mh_decode(&out, b, (size_t)n);
		ok = r == DMM_ERR_OPT_LEN && out.decoded == DMM_MH_DEC_FIXED && out.type == m.type &&
		     out.nopts == k && out.err_off == off && out.err_opt == m.opts[k].type;
		/* The fixed part and the k options are the sent ones: they encode to the same bytes. */
		m.nopts = (uint8_t)k;
		n = dmm_mh_encode(b, sizeof(b), &m);
		ok = ok && n > 0 && dmm_mh_encode(b2, sizeof(b2), &out) == n && memcmp(b, b2, (size_t)n) == 0;
		if (!CHECK_LOOP(l, ok))
			fprintf(stderr, "type %u option %u (type %u at %zu): %s, nopts %u, decoded %u\n",
				m.type, k, m.opts[k].type, off, dmm_errname(r), out.nopts, out.decoded);
	}
	CHECK_LOOP_END(l);
	CHECK(tried > 1000);
	/* Before the fixed part nothing is valid but nopts. */
	memset(&out, 0xa5, sizeof(out));
	CHECK_EQ(dmm_mh_decode(&out, b, 3), DMM_ERR_TRUNCATED);
	CHECK(out.decoded == DMM_MH_DEC_NONE && out.nopts == 0 && out.notes == 0);
}

/*
 * RFC 5213 §5.3.6: a PBA refusing a PBU that lacked them carries an MN-ID
 * with a zero-length identifier, HI 0 and ATT 0. The encoder writes these
 * in a BA; in a BU the empty MN-ID and HI 0 stay refused, ATT 0 (echoed
 * from independent MAGs, §8.5) is written.
 */
static void test_empty_forms(void)
{
	static struct dmm_mh_msg m, out;
	uint8_t b[128];
	char names[96];
	int n;

	dmm_mh_init(&m, DMM_MH_BA);
	m.u.ba.status = DMM_BA_UNSPECIFIED;
	dmm_mh_add_opt(&m, DMM_OPT_MNID)->u.mnid.subtype = DMM_MNID_NAI;
	dmm_mh_add_opt(&m, DMM_OPT_HNP);
	dmm_mh_add_opt(&m, DMM_OPT_HI);
	dmm_mh_add_opt(&m, DMM_OPT_ATT);
	n = dmm_mh_encode(b, sizeof(b), &m);
	CHECK(n > 0);
	CHECK_EQ(dmm_mh_decode(&out, b, (size_t)n), n);
	CHECK_EQ(out.notes, DMM_MH_NOTE_EMPTY_FORM | DMM_MH_NOTE_RESERVED_VALUE);
	CHECK(out.nopts == 4 && out.opts[0].u.mnid.id.len == 0 && out.opts[2].u.hi.value == 0);
	m.type = DMM_MH_BU;
	CHECK_EQ(dmm_mh_encode(b, sizeof(b), &m), DMM_ERR_MNID_LEN);
	m.opts[0].u.mnid.id.len = 1;
	CHECK_EQ(dmm_mh_encode(b, sizeof(b), &m), DMM_ERR_OPT_RESERVED); /* HI 0 */
	m.opts[2].u.hi.value = DMM_HI_NEW_IF;
	CHECK(dmm_mh_encode(b, sizeof(b), &m) > 0); /* ATT 0 */
	m.opts[0].u.mnid.subtype = 0;
	CHECK_EQ(dmm_mh_encode(b, sizeof(b), &m), DMM_ERR_OPT_RESERVED);

	CHECK(strcmp(dmm_mh_note_names(0, names, sizeof(names)), "") == 0);
	CHECK(strcmp(dmm_mh_note_names(DMM_MH_NOTE_MISALIGNED | DMM_MH_NOTE_RESERVED_VALUE, names,
				       sizeof(names)),
		     "misaligned,reserved-value") == 0);
	CHECK(strcmp(dmm_mh_note_names(0x1f, names, sizeof(names)),
		     "misaligned,reserved-value,reserved-bits,empty-form,unknown-option") == 0);
	CHECK(strcmp(dmm_mh_note_names(0x1f, names, 16), "misaligned") == 0); /* whole names only */
}

/*
 * The option table is sorted by type and dmm_mh_opt_desc() finds each entry
 * by its type (and by its name); every other type has no descriptor.
 */
static void test_opt_lookup(void)
{
	size_t n, found = 0;
	const struct dmm_mh_desc *od = dmm_mh_opt_descs(&n);

	CHECK(n > 0);
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			CHECK(od[i - 1].type < od[i].type);
		CHECK(dmm_mh_opt_desc(od[i].type) == &od[i]);
		CHECK(dmm_mh_opt_desc_by_name(od[i].name) == &od[i]);
	}
	for (unsigned t = 0; t < 256; t++)
		found += dmm_mh_opt_desc((uint8_t)t) != NULL;
	CHECK_EQ(found, n);
	CHECK(dmm_mh_opt_desc(DMM_OPT_PAD1) == NULL);
	CHECK(dmm_mh_opt_desc(DMM_OPT_PADN) == NULL);
}

/* The octets a field keeps in its union member (reserved fields keep none). */
static size_t field_storage(const struct dmm_mh_field *f)
{
	switch (f->kind) {
	case DMM_FK_U8:
	case DMM_FK_FLAGS8:
		return 1;
	case DMM_FK_U16:
	case DMM_FK_FLAGS16:
		return 2;
	case DMM_FK_U32:
		return 4;
	case DMM_FK_U48:
	case DMM_FK_U64:
		return 8;
	case DMM_FK_ADDR:
		return 16;
	case DMM_FK_BYTES:
		return sizeof(struct dmm_mh_bytes);
	case DMM_FK_IPADDR:
		return sizeof(struct dmm_mh_ipaddr);
	default:
		return 0;
	}
}

/*
 * Every option's clear length covers its fields, so a decoded or added
 * option reads as zero wherever its fields did not write; and what decode
 * and dmm_mh_add_opt() leave past it is not read by the encoder.
 */
static void test_opt_clear(void)
{
	struct dmm_mh_msg m, fresh;
	uint8_t a[DMM_MH_MAX_LEN], b[DMM_MH_MAX_LEN];
	unsigned bad = 0, n = 0;

	for (unsigned t = 0; t < 256; t++) {
		const struct dmm_mh_desc *d = dmm_mh_opt_desc((uint8_t)t);
		size_t need = offsetof(struct dmm_mh_opt, u);

		if (!d)
			continue;
		n++;
		for (unsigned i = 0; i < d->nfields; i++) {
			size_t end = offsetof(struct dmm_mh_opt, u) + d->fields[i].off +
				     field_storage(&d->fields[i]);

			if (field_storage(&d->fields[i]) && end > need)
				need = end;
		}
		bad += d->clear < need || d->clear > sizeof(struct dmm_mh_opt);
	}
	CHECK(n > 20);
	CHECK_EQ(bad, 0);
	/* An option slot that held a long MN-ID, reused for an HNP: the same wire as from a fresh message. */
	memset(&m, 0xa5, sizeof(m));
	dmm_mh_init(&m, DMM_MH_BU);
	CHECK(dmm_mh_add_opt(&m, DMM_OPT_HNP)->u.hnp.addr.b[15] == 0);
	m.opts[0].u.hnp.len = 64;
	m.opts[0].u.hnp.addr.b[0] = 0x20;
	memset(&fresh, 0, sizeof(fresh));
	dmm_mh_init(&fresh, DMM_MH_BU);
	dmm_mh_add_opt(&fresh, DMM_OPT_HNP)->u.hnp = m.opts[0].u.hnp;
	n = (unsigned)dmm_mh_encode(a, sizeof(a), &m);
	CHECK(n > 0 && (int)n == dmm_mh_encode(b, sizeof(b), &fresh) && memcmp(a, b, n) == 0);
	/* Decoded into the dirty slot: the option as a fresh decode gives it. */
	CHECK(dmm_mh_decode(&m, a, n) > 0 && dmm_mh_decode(&fresh, b, n) > 0);
	CHECK(memcmp(&m.opts[0].u.hnp, &fresh.opts[0].u.hnp, sizeof(m.opts[0].u.hnp)) == 0);
}

int main(void)
{
	test_opt_lookup();
	test_opt_clear();
	test_random_roundtrip();
	test_checksum_detects_flips();
	test_builders();
	test_truncations();
	test_partial_decode();
	test_empty_forms();
	return check_report("test_mh");
}
