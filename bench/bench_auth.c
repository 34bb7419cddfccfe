/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The cost of RFC 4285 authentication on the LMA's PBU -> PBA path, on
 * one core, in one run: refreshes of random MNs among 10^4 bindings
 * through dmm_lma_recv() alone (the baseline), then with what dmmd adds
 * for a peer with an association (daemon/auth.c): verify the PBU before
 * the role sees it, sign the PBA it sends, for hmac-sha1-96 and
 * hmac-sha256-128. The MAG's side (signing the PBU, verifying the PBA)
 * is done outside the timed part. Prints transactions per second and the
 * ratio to the baseline; the real daemon also spends its system calls per
 * message, so its ratio is higher than this one. Never fails on time.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

#include "../daemon/auth.h"
#include "dmm/lma.h"

enum { NMN = 10000, NREF = 200000 };

static size_t sent_len;
static uint8_t sent_buf[DMM_MH_MAX_LEN];

static void b_send(void *ctx, const struct dmm_addr *src, const struct dmm_addr *dst, const uint8_t *buf,
		   size_t len)
{
	(void)ctx, (void)src, (void)dst;
	sent_len = len;
	memcpy(sent_buf, buf, len < sizeof(sent_buf) ? len : sizeof(sent_buf));
}

static const struct dmm_alloc A = {bench_zalloc, bench_free, NULL};
static const int64_t WALL = 1700000000LL * 1000000000LL;
static struct dmm_addr LMAA = {{0x20, 0x01, [15] = 1}}, MAG1 = {{0x20, 0x01, 0x0f, [15] = 1}};

static int build_pbu(uint8_t *buf, uint32_t n, const struct dmm_prefix *hnp, uint8_t hi, dmm_time_t now)
{
	struct dmm_mh_msg m;
	struct dmm_mh_opt *o;
	uint64_t w = now + (uint64_t)WALL;

	dmm_mh_init(&m, DMM_MH_BU);
	m.u.bu.seq = (uint16_t)n;
	m.u.bu.flags = DMM_BU_A | DMM_BU_H | DMM_BU_L | DMM_BU_P;
	m.u.bu.lifetime = 900;
	bench_mnid_eui48(dmm_mh_add_opt(&m, DMM_OPT_MNID), n);
	o = dmm_mh_add_opt(&m, DMM_OPT_HNP);
	if (hnp)
		o->u.hnp = *hnp;
	dmm_mh_add_opt(&m, DMM_OPT_HI)->u.hi.value = hi;
	dmm_mh_add_opt(&m, DMM_OPT_ATT)->u.att.value = DMM_ATT_8023;
	o = dmm_mh_add_opt(&m, DMM_OPT_TIMESTAMP);
	o->u.timestamp.seconds = w / 1000000000u;
	o->u.timestamp.fraction = (uint16_t)(((w % 1000000000u) << 16) / 1000000000u);
	return dmm_mh_encode(buf, DMM_MH_MAX_LEN, &m);
}

static struct dmm_lma *make(struct dmm_policy *pol)
{
	struct dmm_env env;
	struct dmm_lma_cfg cfg;

	memset(&env, 0, sizeof(env));
	env.alloc = &A;
	env.send = b_send;
	env.fm = (struct dmm_fm_ops){.install = bench_install, .remove = bench_remove, .ctx = NULL};
	env.seed = 42;
	env.wall_offset = WALL;
	dmm_lma_cfg_defaults(&cfg);
	cfg.addr = LMAA;
	cfg.max_bindings = NMN;
	cfg.max_peers = 16;
	cfg.npool = 1;
	memset(&cfg.pool[0], 0, sizeof(cfg.pool[0]));
	cfg.pool[0].addr.b[0] = 0x20, cfg.pool[0].addr.b[1] = 0x01, cfg.pool[0].addr.b[2] = 0x0d;
	cfg.pool[0].len = 48;
	cfg.policy = pol;
	cfg.heartbeat_interval = 0;
	cfg.timestamp_validity_window = 3600 * DMM_SECOND;
	return dmm_lma_new(&env, &cfg, 0);
}

/* The two ends of an association (LMA and MAG) with one key of alg. */
struct ends {
	struct dmmd_sa_cfg sa_lma, sa_mag;
	struct dmmd_auth lma, mag;
};

static void ends_init(struct ends *e, enum dmmd_auth_alg alg)
{
	struct dmmd_sa_key k = {.spi = 4096, .alg = alg, .keylen = alg == DMMD_AUTH_HMAC_SHA1_96 ? 16 : 32};

	memset(k.key, 0x5a, sizeof(k.key));
	e->sa_lma = (struct dmmd_sa_cfg){.peer = MAG1, .nkeys = 1, .keys = {k}, .replay_window = 7};
	e->sa_mag = (struct dmmd_sa_cfg){.peer = LMAA, .nkeys = 1, .keys = {k}, .replay_window = 7};
	dmmd_auth_init(&e->lma, NULL);
	dmmd_auth_init(&e->mag, NULL);
	BENCH_CHECK("bench_auth", dmmd_auth_configure(&e->lma, &e->sa_lma, 1) == 0 &&
					  dmmd_auth_configure(&e->mag, &e->sa_mag, 1) == 0);
}

/* NREF refreshes; with e, the LMA verifies each PBU and signs each PBA. Returns the timed ns. */
static double refreshes(struct dmm_lma *lma, const struct dmm_prefix *pfx, dmm_time_t *t, struct ends *e)
{
	static uint64_t rng = 88172645463325252ull;
	uint8_t buf[DMM_MH_MAX_LEN], reply[DMM_MH_MAX_LEN];
	struct dmm_mh_msg dec;
	double ns = 0, t0;
	size_t rlen;
	int n;

	for (uint32_t k = 0; k < NREF; k++) {
		uint32_t i;

		rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
		i = (uint32_t)(rng % NMN);
		n = build_pbu(buf, i, &pfx[i], DMM_HI_NO_CHANGE, *t);
		if (e) /* the MAG signs (not timed) */
			n = dmmd_auth_tx(&e->mag, &MAG1, &LMAA, buf, sizeof(buf), (size_t)n, dmmd_auth_ntp_now());
		t0 = bench_now_ns();
		if (!e || dmmd_auth_rx(&e->lma, &MAG1, &LMAA, buf, (size_t)n, dmmd_auth_ntp_now(), *t, reply,
				       sizeof(reply), &rlen))
			dmm_lma_recv(lma, &MAG1, &LMAA, buf, (size_t)n, *t);
		if (e)
			n = dmmd_auth_tx(&e->lma, &LMAA, &MAG1, sent_buf, sizeof(sent_buf), sent_len,
					 dmmd_auth_ntp_now());
		ns += bench_now_ns() - t0;
		if (e) /* the MAG verifies (not timed) */
			BENCH_CHECK("bench_auth", n > 0 && dmmd_auth_rx(&e->mag, &LMAA, &MAG1, sent_buf, (size_t)n,
									dmmd_auth_ntp_now(), *t, reply,
									sizeof(reply), &rlen));
		BENCH_CHECK("bench_auth", dmm_mh_decode(&dec, sent_buf, e ? (size_t)n : sent_len) > 0 &&
						  dec.u.ba.status == 0);
		*t += 20000;
	}
	return ns;
}

int main(void)
{
	static struct dmm_prefix pfx[NMN];
	static struct ends e1, e2;
	struct dmm_policy *pol = dmm_policy_new(&A, 16, 16, 0);
	struct dmm_policy_profile def;
	struct dmm_lma *lma;
	struct dmm_mh_msg dec;
	uint8_t buf[DMM_MH_MAX_LEN];
	dmm_time_t t = DMM_SECOND;
	double base, sha1, sha256;

	memset(&def, 0, sizeof(def));
	def.may_register = true;
	def.n_alloc = 1;
	BENCH_CHECK("bench_auth", pol && dmm_policy_set_default(pol, &def) == 0);
	dmm_policy_set_allow_any_mag(pol, true);
	lma = make(pol);
	BENCH_CHECK("bench_auth", lma != NULL);
	for (uint32_t i = 0; i < NMN; i++) {
		int n = build_pbu(buf, i, NULL, DMM_HI_NEW_IF, t);

		dmm_lma_recv(lma, &MAG1, &LMAA, buf, (size_t)n, t);
		BENCH_CHECK("bench_auth", dmm_mh_decode(&dec, sent_buf, sent_len) > 0 && dec.u.ba.status == 0);
		pfx[i] = dmm_mh_find_opt(&dec, DMM_OPT_HNP, NULL)->u.hnp;
		t += 20000;
	}
	ends_init(&e1, DMMD_AUTH_HMAC_SHA1_96);
	ends_init(&e2, DMMD_AUTH_HMAC_SHA256_128);
	base = refreshes(lma, pfx, &t, NULL);
	sha1 = refreshes(lma, pfx, &t, &e1);
	sha256 = refreshes(lma, pfx, &t, &e2);
	printf("bench_auth: LMA PBU -> PBA refreshes among %u bindings, %u each, one core\n", NMN, NREF);
	printf("bench_auth: %-22s %10s %8s %8s\n", "", "PBU/s", "ns/PBU", "ratio");
	printf("bench_auth: %-22s %10.0f %8.0f %8.2f\n", "no authentication", NREF / base * 1e9, base / NREF, 1.0);
	printf("bench_auth: %-22s %10.0f %8.0f %8.2f\n", "hmac-sha1-96", NREF / sha1 * 1e9, sha1 / NREF, base / sha1);
	printf("bench_auth: %-22s %10.0f %8.0f %8.2f\n", "hmac-sha256-128", NREF / sha256 * 1e9, sha256 / NREF,
	       base / sha256);
	dmmd_auth_clear(&e1.lma), dmmd_auth_clear(&e1.mag), dmmd_auth_clear(&e2.lma), dmmd_auth_clear(&e2.mag);
	dmm_lma_free(lma);
	dmm_policy_free(pol);
	return 0;
}
