/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * dmmd's authentication state (daemon/auth.c) between two ends of an
 * association, without sockets: what is accepted, what is refused with
 * which reason and which answer (RFC 4285 §5, §5.1.1 and §6), the Replay
 * Protection timestamps per peer and direction, key selection by SPI,
 * and a reconfiguration (key rollover) that keeps the counters.
 */
#include "../../daemon/auth.h"
#include "check.h"
#include "dmm/bytes.h"
#include "dmm/err.h"
#include "helpers.h"

static struct dmm_addr A_LMA, A_MAG, A_OTHER;
static struct dmmd_sa_cfg sa_lma[1], sa_mag[1];
static struct dmmd_auth lma, mag;
static const uint64_t NOW = 0xe9000000ull << 32; /* an NTP time of day */
static const uint64_t SEC = 1ull << 32;

static struct dmmd_sa_key key(uint32_t spi, enum dmmd_auth_alg alg, uint8_t fill)
{
	struct dmmd_sa_key k = {.spi = spi, .alg = alg, .keylen = alg == DMMD_AUTH_HMAC_SHA1_96 ? 16 : 32};

	memset(k.key, fill, sizeof(k.key));
	return k;
}

static void setup(void)
{
	A_LMA = addr_of("2001:db8:a::1");
	A_MAG = addr_of("2001:db8:b::2");
	A_OTHER = addr_of("2001:db8:c::3");
	sa_lma[0] = (struct dmmd_sa_cfg){.peer = A_MAG, .nkeys = 1, .replay_window = 7};
	sa_lma[0].keys[0] = key(4096, DMMD_AUTH_HMAC_SHA1_96, 0x11);
	sa_mag[0] = sa_lma[0];
	sa_mag[0].peer = A_LMA;
	dmmd_auth_init(&lma, NULL);
	dmmd_auth_init(&mag, NULL);
	CHECK(dmmd_auth_configure(&lma, sa_lma, 1) == 0 && dmmd_auth_configure(&mag, sa_mag, 1) == 0);
}

/* A PBU (MN-ID, HNP, HI, ATT) with seq, encoded; with mesgid, a Replay Protection option signed in by hand. */
static int pbu(uint8_t *buf, uint16_t seq)
{
	struct dmm_mh_msg m;

	dmm_mh_init(&m, DMM_MH_BU);
	m.u.bu.seq = seq;
	m.u.bu.flags = DMM_BU_A | DMM_BU_P;
	m.u.bu.lifetime = 10;
	dmm_mh_add_opt(&m, DMM_OPT_MNID)->u.mnid.subtype = DMM_MNID_NAI;
	m.opts[0].u.mnid.id.len = 3;
	memcpy(m.opts[0].u.mnid.id.b, "mn1", 3);
	dmm_mh_add_opt(&m, DMM_OPT_HNP);
	dmm_mh_add_opt(&m, DMM_OPT_HI)->u.hi.value = DMM_HI_NEW_IF;
	dmm_mh_add_opt(&m, DMM_OPT_ATT)->u.att.value = DMM_ATT_VIRTUAL;
	return dmm_mh_encode(buf, DMM_MH_MAX_LEN, &m);
}

static int hb(uint8_t *buf, bool response)
{
	struct dmm_mh_msg m;

	dmm_mh_init(&m, DMM_MH_HB);
	m.u.hb.flags = response ? DMM_HB_R : 0;
	m.u.hb.seq = 7;
	return dmm_mh_encode(buf, DMM_MH_MAX_LEN, &m);
}

/* The MAG signs buf for the LMA with ts as the time of day; the LMA receives it. */
static bool to_lma(uint8_t *buf, int n, uint64_t ts, uint64_t lma_now, uint8_t *reply, size_t *rlen)
{
	n = dmmd_auth_tx(&mag, &A_MAG, &A_LMA, buf, DMM_MH_MAX_LEN, (size_t)n, ts);
	return n > 0 &&
	       dmmd_auth_rx(&lma, &A_MAG, &A_LMA, buf, (size_t)n, lma_now, 1, reply, DMM_MH_MAX_LEN, rlen);
}

static uint64_t refused(enum dmmd_auth_reason r)
{
	return dmmd_auth_peer(&lma, &A_MAG)->refused[r];
}

static void test_heartbeat_replay(void)
{
	uint8_t buf[DMM_MH_MAX_LEN], reply[DMM_MH_MAX_LEN];
	size_t rlen;

	CHECK(to_lma(buf, hb(buf, false), NOW, NOW, reply, &rlen));
	/* RFC 4285 §6: the MAG's next timestamp is above the last even when its clock is not. */
	CHECK(to_lma(buf, hb(buf, false), NOW - SEC, NOW, reply, &rlen));
	/* An exact replay: refused, counted, no answer. */
	{
		uint8_t copy[DMM_MH_MAX_LEN];
		int n = dmmd_auth_tx(&mag, &A_MAG, &A_LMA, buf, sizeof(buf), (size_t)hb(buf, false), NOW);

		memcpy(copy, buf, (size_t)n);
		CHECK(dmmd_auth_rx(&lma, &A_MAG, &A_LMA, buf, (size_t)n, NOW, 1, reply, sizeof(reply),
				   &rlen));
		CHECK(!dmmd_auth_rx(&lma, &A_MAG, &A_LMA, copy, (size_t)n, NOW, 1, reply, sizeof(reply),
				    &rlen));
		CHECK_EQ(rlen, 0);
		CHECK_EQ(refused(DMMD_AUTH_REPLAY), 1);
	}
	/* Outside the window of 7 s (the MAG's clock 8 s ahead of the LMA's). */
	mag.last_tx_ts = 0;
	CHECK(!to_lma(buf, hb(buf, false), NOW + 8 * SEC, NOW, reply, &rlen));
	CHECK_EQ(refused(DMMD_AUTH_REPLAY), 2);
	/* Directions apart: a response older than the last request is fine. */
	mag.last_tx_ts = 0;
	CHECK(to_lma(buf, hb(buf, true), NOW + SEC / 2, NOW, reply, &rlen));
	/* Signed without a Replay Protection option (as a PBU is): refused as replay. */
	{
		struct dmm_mh_auth_span sp;
		int n = dmm_mh_auth_append(buf, sizeof(buf), (size_t)hb(buf, false), 4096, 12, NULL, &sp);

		dmmd_auth_mac(mag.peers[0].keys[0], &A_MAG, &A_LMA, buf, &sp, buf + sp.auth_off);
		CHECK(!dmmd_auth_rx(&lma, &A_MAG, &A_LMA, buf, (size_t)n, NOW, 1, reply, sizeof(reply),
				    &rlen));
		CHECK_EQ(refused(DMMD_AUTH_REPLAY), 3);
		CHECK_EQ(refused(DMMD_AUTH_FAIL), 0);
	}
}

/* An answer of the LMA: a signed PBA with status st for seq, echoing the MN-ID; the MAG verifies it. */
static bool pba_ok(const uint8_t *reply, size_t rlen, uint8_t st, uint16_t seq)
{
	static struct dmm_mh_msg m;
	const struct dmm_mh_opt *id;
	size_t r2;
	uint8_t copy[DMM_MH_MAX_LEN], r[DMM_MH_MAX_LEN];

	if (rlen == 0 || dmm_mh_decode(&m, reply, rlen) != (int)rlen || m.type != DMM_MH_BA ||
	    m.u.ba.status != st || m.u.ba.seq != seq || !(m.u.ba.flags & DMM_BA_P))
		return false;
	id = dmm_mh_find_opt(&m, DMM_OPT_MNID, NULL);
	if (!id || id->u.mnid.id.len != 3 || memcmp(id->u.mnid.id.b, "mn1", 3) != 0)
		return false;
	memcpy(copy, reply, rlen);
	return dmmd_auth_rx(&mag, &A_LMA, &A_MAG, copy, rlen, NOW, 1, r, sizeof(r), &r2);
}

static void test_pbu_refusals(void)
{
	uint8_t buf[DMM_MH_MAX_LEN], reply[DMM_MH_MAX_LEN];
	struct dmm_mh_auth_span sp;
	size_t rlen;
	int n;

	/* Without the option: discarded silently (RFC 4285 §5). */
	n = pbu(buf, 10);
	CHECK(!dmmd_auth_rx(&lma, &A_MAG, &A_LMA, buf, (size_t)n, NOW, 1, reply, sizeof(reply), &rlen));
	CHECK(rlen == 0 && refused(DMMD_AUTH_MISSING) == 1);
	/* From a peer without an association: passes as before. */
	CHECK(dmmd_auth_rx(&lma, &A_OTHER, &A_LMA, buf, (size_t)n, NOW, 1, reply, sizeof(reply), &rlen));
	CHECK_EQ(lma.no_sa, 0);
	/* But signed, from a peer without an association: discarded (RFC 4285 §5.1.1), no answer. */
	n = dmm_mh_auth_append(buf, sizeof(buf), (size_t)pbu(buf, 10), 4096, 12, NULL, &sp);
	CHECK(!dmmd_auth_rx(&lma, &A_OTHER, &A_LMA, buf, (size_t)n, NOW, 1, reply, sizeof(reply), &rlen));
	CHECK(rlen == 0 && lma.no_sa == 1 && refused(DMMD_AUTH_FAIL) == 0);
	/* A signed heartbeat from that peer is not a BU: handled as before. */
	n = dmm_mh_auth_append(buf, sizeof(buf), (size_t)hb(buf, false), 4096, 12, NULL, &sp);
	CHECK(dmmd_auth_rx(&lma, &A_OTHER, &A_LMA, buf, (size_t)n, NOW, 1, reply, sizeof(reply), &rlen));
	CHECK_EQ(lma.no_sa, 1);
	/* A flipped bit: 146, answered so that the MAG can verify and match it. */
	n = dmmd_auth_tx(&mag, &A_MAG, &A_LMA, buf, sizeof(buf), (size_t)pbu(buf, 11), NOW);
	buf[n - 1] ^= 1;
	CHECK(!dmmd_auth_rx(&lma, &A_MAG, &A_LMA, buf, (size_t)n, NOW, 1, reply, sizeof(reply), &rlen));
	CHECK(pba_ok(reply, rlen, DMM_BA_AUTH_FAILED, 11));
	CHECK_EQ(refused(DMMD_AUTH_FAIL), 1);
	/* An SPI without a key: 146 too, counted apart. */
	n = dmm_mh_auth_append(buf, sizeof(buf), (size_t)pbu(buf, 12), 9999, 12, NULL, &sp);
	CHECK(!dmmd_auth_rx(&lma, &A_MAG, &A_LMA, buf, (size_t)n, NOW, 1, reply, sizeof(reply), &rlen));
	CHECK(pba_ok(reply, rlen, DMM_BA_AUTH_FAILED, 12));
	CHECK_EQ(refused(DMMD_AUTH_BAD_SPI), 1);
	/* A PBU with a Replay Protection option (an RFC 4285 peer): fresh passes, its PBA carries it back. */
	{
		uint64_t ts = NOW + 5;
		struct dmm_mh_msg m;

		n = dmm_mh_auth_append(buf, sizeof(buf), (size_t)pbu(buf, 13), 4096, 12, &ts, &sp);
		dmmd_auth_mac(mag.peers[0].keys[0], &A_MAG, &A_LMA, buf, &sp, buf + sp.auth_off);
		CHECK(dmmd_auth_rx(&lma, &A_MAG, &A_LMA, buf, (size_t)n, NOW, 1, reply, sizeof(reply),
				   &rlen));
		dmm_mh_init(&m, DMM_MH_BA);
		m.u.ba.seq = 13;
		n = dmm_mh_encode(reply, sizeof(reply), &m);
		n = dmmd_auth_tx(&lma, &A_LMA, &A_MAG, reply, sizeof(reply), (size_t)n, NOW);
		CHECK(dmm_mh_auth_find(reply, (size_t)n, &sp) == 0 && sp.has_mesgid && sp.mesgid == ts);
		/* The same again: 144 with the low 32 bits kept under the LMA's time of day (§6). */
		n = dmm_mh_auth_append(buf, sizeof(buf), (size_t)pbu(buf, 13), 4096, 12, &ts, &sp);
		dmmd_auth_mac(mag.peers[0].keys[0], &A_MAG, &A_LMA, buf, &sp, buf + sp.auth_off);
		CHECK(!dmmd_auth_rx(&lma, &A_MAG, &A_LMA, buf, (size_t)n, NOW + 3, 1, reply, sizeof(reply),
				    &rlen));
		CHECK(pba_ok(reply, rlen, DMM_BA_MN_AUTH_FAILED, 13));
		CHECK(dmm_mh_auth_find(reply, rlen, &sp) == 0 &&
		      sp.mesgid == ((NOW + 3) & ~0xffffffffull) + 5);
	}
}

/* Rollover: the next key added, swapped, the old one removed; the counters stay. */
static void test_rollover(void)
{
	uint8_t buf[DMM_MH_MAX_LEN], reply[DMM_MH_MAX_LEN];
	uint64_t missing = refused(DMMD_AUTH_MISSING);
	size_t rlen;

	sa_lma[0].nkeys = 2;
	sa_lma[0].keys[1] = key(4097, DMMD_AUTH_HMAC_SHA256_128, 0x22);
	CHECK(dmmd_auth_configure(&lma, sa_lma, 1) == 0);
	CHECK_EQ(refused(DMMD_AUTH_MISSING), missing);
	CHECK(to_lma(buf, hb(buf, false), NOW + SEC, NOW + SEC, reply,
		     &rlen)); /* the MAG still signs with 4096 */
	sa_mag[0].nkeys = 1;
	sa_mag[0].keys[0] = key(4097, DMMD_AUTH_HMAC_SHA256_128, 0x22);
	CHECK(dmmd_auth_configure(&mag, sa_mag, 1) == 0);
	CHECK(to_lma(buf, hb(buf, false), NOW + 2 * SEC, NOW + 2 * SEC, reply, &rlen)); /* 4097 accepted */
	sa_lma[0].keys[0] = sa_lma[0].keys[1];
	sa_lma[0].nkeys = 1;
	CHECK(dmmd_auth_configure(&lma, sa_lma, 1) == 0);
	CHECK(to_lma(buf, hb(buf, false), NOW + 3 * SEC, NOW + 3 * SEC, reply, &rlen));
	/* The old key is gone: a message under it has an unknown SPI. */
	sa_mag[0].keys[0] = key(4096, DMMD_AUTH_HMAC_SHA1_96, 0x11);
	CHECK(dmmd_auth_configure(&mag, sa_mag, 1) == 0);
	CHECK(!to_lma(buf, hb(buf, false), NOW + 4 * SEC, NOW + 4 * SEC, reply, &rlen));
	CHECK_EQ(refused(DMMD_AUTH_BAD_SPI), 2);
	CHECK(refused(DMMD_AUTH_OK) >= 8);
}

int main(void)
{
	setup();
	test_heartbeat_replay();
	test_pbu_refusals();
	test_rollover();
	dmmd_auth_clear(&lma);
	dmmd_auth_clear(&mag);
	return check_report("test_auth");
}
