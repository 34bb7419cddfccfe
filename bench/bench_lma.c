/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * LMA throughput and memory: PBU -> PBA transactions per second through
 * dmm_lma_recv() on one core, with N distinct MNs (initial registrations,
 * then refreshes of random MNs), and bytes per binding at 10^6 bindings.
 * The baseline, measured in the same run, is the codec work every
 * transaction must do anyway: decode the same PBU and encode+decode the
 * PBA. The ratio says how much the LMA's own logic costs on top. The
 * data plane calls (install, remove) made during the refreshes are
 * counted: a refresh changes no forwarding, so it should make none; a
 * handoff phase (every MN to a second MAG) shows what a change costs.
 * Prints figures; never fails on time.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench.h"

#include "dmm/bcache.h"
#include "dmm/lma.h"
#include "dmm/pool.h"
#include "dmm/timers.h"

enum { N_REG = 100000, N_REFRESH = 1000000, N_MEM = 1000000 };

static size_t allocated;

static void *b_zalloc(void *ctx, size_t n)
{
	(void)ctx;
	allocated += n;
	return calloc(1, n);
}

static void b_free(void *ctx, void *p)
{
	(void)ctx;
	free(p);
}

static size_t sent_len;
static uint8_t sent_buf[DMM_MH_MAX_LEN];
static uint64_t nsent;

static void b_send(void *ctx, const struct dmm_addr *src, const struct dmm_addr *dst, const uint8_t *buf,
		   size_t len)
{
	(void)ctx, (void)src, (void)dst;
	nsent++;
	sent_len = len;
	memcpy(sent_buf, buf, len < sizeof(sent_buf) ? len : sizeof(sent_buf));
}

static uint64_t dp_installs, dp_removes;

static int b_install(void *ctx, const struct dmm_intent *in)
{
	(void)ctx, (void)in;
	dp_installs++;
	return 0;
}

static void b_remove(void *ctx, const struct dmm_intent *in)
{
	(void)ctx, (void)in;
	dp_removes++;
}

static const struct dmm_alloc A = {b_zalloc, b_free, NULL};
static const int64_t WALL = 1700000000LL * 1000000000LL;

/* PBU for MN n (EUI-48 MN-ID) with the given HNP (NULL: ALL_ZERO) and Timestamp of now. */
static int build_pbu(uint8_t *buf, uint32_t n, const struct dmm_prefix *hnp, uint8_t hi, dmm_time_t now)
{
	struct dmm_mh_msg m;
	struct dmm_mh_opt *o;
	uint64_t w = now + (uint64_t)WALL;

	dmm_mh_init(&m, DMM_MH_BU);
	m.u.bu.seq = (uint16_t)n;
	m.u.bu.flags = DMM_BU_A | DMM_BU_H | DMM_BU_L | DMM_BU_P;
	m.u.bu.lifetime = 900; /* 3600 s: nothing expires during the run */
	o = dmm_mh_add_opt(&m, DMM_OPT_MNID);
	o->u.mnid.subtype = DMM_MNID_EUI48;
	o->u.mnid.id.len = 6;
	o->u.mnid.id.b[0] = 0x02;
	o->u.mnid.id.b[2] = (uint8_t)(n >> 24);
	o->u.mnid.id.b[3] = (uint8_t)(n >> 16);
	o->u.mnid.id.b[4] = (uint8_t)(n >> 8);
	o->u.mnid.id.b[5] = (uint8_t)n;
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

static struct dmm_lma *make(uint32_t cap, struct dmm_policy **pol, struct dmm_addr *lmaa)
{
	struct dmm_env env;
	struct dmm_lma_cfg cfg;
	struct dmm_policy_profile prof;

	memset(&env, 0, sizeof(env));
	env.alloc = &A;
	env.send = b_send;
	env.fm = (struct dmm_fm_ops){.install = b_install, .remove = b_remove, .ctx = NULL};
	env.seed = 42;
	env.wall_offset = WALL;
	*pol = dmm_policy_new(&A, 4, 4, 1);
	memset(&prof, 0, sizeof(prof));
	prof.may_register = true;
	dmm_policy_set_default(*pol, &prof);
	dmm_policy_set_allow_any_mag(*pol, true);
	dmm_lma_cfg_defaults(&cfg);
	memset(lmaa, 0, sizeof(*lmaa));
	lmaa->b[0] = 0x20, lmaa->b[1] = 0x01, lmaa->b[15] = 1;
	cfg.addr = *lmaa;
	cfg.max_bindings = cap;
	cfg.max_peers = 16;
	cfg.npool = 1;
	memset(&cfg.pool[0], 0, sizeof(cfg.pool[0]));
	cfg.pool[0].addr.b[0] = 0x20, cfg.pool[0].addr.b[1] = 0x01, cfg.pool[0].addr.b[2] = 0x0d;
	cfg.pool[0].len = 40; /* 2^24 /64s */
	cfg.policy = *pol;
	cfg.heartbeat_interval = 0;
	cfg.timestamp_validity_window = 3600 * DMM_SECOND; /* the run's clock is virtual */
	return dmm_lma_new(&env, &cfg, 0);
}

/* Every MN moves to a second MAG (HI 3); the time spent in dmm_lma_recv(), data plane calls counted. */
static double handoffs(struct dmm_lma *lma, const struct dmm_prefix *pfx, const struct dmm_addr *lmaa,
		       dmm_time_t *t)
{
	struct dmm_addr mag2 = {{0x20, 0x01, 0x0f, [15] = 2}};
	uint8_t buf[DMM_MH_MAX_LEN];
	double t0, sum = 0;
	int n;

	dp_installs = dp_removes = 0;
	for (uint32_t i = 0; i < N_REG; i++) {
		n = build_pbu(buf, i, &pfx[i], DMM_HI_BETWEEN_MAGS, *t);
		t0 = bench_now_ns();
		dmm_lma_recv(lma, &mag2, lmaa, buf, (size_t)n, *t);
		sum += bench_now_ns() - t0;
		*t += 20000;
	}
	if (dmm_role_stats(lma)->handoffs != N_REG)
		fprintf(stderr, "bench_lma: only %llu handoffs accepted\n",
			(unsigned long long)dmm_role_stats(lma)->handoffs);
	return sum;
}

int main(void)
{
	struct dmm_policy *pol;
	struct dmm_addr lmaa, mag = {{0x20, 0x01, 0x0f, [15] = 1}};
	struct dmm_lma *lma = make(N_REG, &pol, &lmaa);
	struct dmm_prefix *pfx = calloc(N_REG, sizeof(*pfx));
	uint8_t buf[DMM_MH_MAX_LEN];
	struct dmm_mh_msg dec;
	dmm_time_t t = DMM_SECOND;
	double t0, t_reg, t_ref, t_base, t_ho, sink = 0;
	uint64_t rng = 88172645463325252ull;
	int n;

	if (!lma || !pfx) {
		fprintf(stderr, "bench_lma: setup failed\n");
		return 1;
	}
	/* Initial registrations; the PBU is built outside the timed part. */
	t_reg = 0;
	for (uint32_t i = 0; i < N_REG; i++) {
		n = build_pbu(buf, i, NULL, DMM_HI_NEW_IF, t);
		t0 = bench_now_ns();
		dmm_lma_recv(lma, &mag, &lmaa, buf, (size_t)n, t);
		t_reg += bench_now_ns() - t0;
		if (dmm_mh_decode(&dec, sent_buf, sent_len) < 0 || dec.u.ba.status != 0) {
			fprintf(stderr, "bench_lma: registration %u refused\n", i);
			return 1;
		}
		pfx[i] = dmm_mh_find_opt(&dec, DMM_OPT_HNP, NULL)->u.hnp;
		t += 20000; /* 20 us apart: Timestamps (1/65536 s) increase */
	}
	/* Refreshes of random MNs (lifetime extension, same MAG), and the codec-only baseline. */
	t_ref = t_base = 0;
	dp_installs = dp_removes = 0;
	for (uint32_t k = 0; k < N_REFRESH; k++) {
		uint32_t i;

		rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
		i = (uint32_t)(rng % N_REG);
		n = build_pbu(buf, i, &pfx[i], DMM_HI_NO_CHANGE, t);
		t0 = bench_now_ns();
		dmm_lma_recv(lma, &mag, &lmaa, buf, (size_t)n, t);
		t_ref += bench_now_ns() - t0;
		/* Baseline: decode the PBU, encode the PBA just sent, decode it. */
		t0 = bench_now_ns();
		dmm_mh_decode(&dec, buf, (size_t)n);
		sink += dec.u.bu.seq;
		dec.type = DMM_MH_BA;
		dmm_mh_decode(&dec, sent_buf, sent_len);
		n = dmm_mh_encode(buf, sizeof(buf), &dec);
		dmm_mh_decode(&dec, buf, (size_t)n);
		t_base += bench_now_ns() - t0;
		sink += dec.u.ba.status;
		t += 20000;
	}
	printf("bench_lma: %u initial registrations: %.0f ns/PBU, %.0f PBU/s\n", N_REG, t_reg / N_REG,
	       1e9 * N_REG / t_reg);
	printf("bench_lma: %u refreshes over %u MNs: %.0f ns/PBU, %.0f PBU/s; baseline (codec only: decode "
	       "PBU, "
	       "encode+decode PBA) %.0f ns; ratio %.2f\n",
	       N_REFRESH, N_REG, t_ref / N_REFRESH, 1e9 * N_REFRESH / t_ref, t_base / N_REFRESH,
	       t_ref / t_base);
	printf("bench_lma: data plane calls during the %u refreshes: %llu installs, %llu removes\n",
	       N_REFRESH, (unsigned long long)dp_installs, (unsigned long long)dp_removes);
	if (dmm_role_stats(lma)->lifetime_ext_no_handoff != N_REFRESH)
		fprintf(stderr, "bench_lma: only %llu refreshes accepted\n",
			(unsigned long long)dmm_role_stats(lma)->lifetime_ext_no_handoff);
	t_ho = handoffs(lma, pfx, &lmaa, &t);
	printf("bench_lma: %u handoffs to another MAG: %.0f ns/PBU, %.0f PBU/s, ratio to the refresh %.2f; "
	       "data plane calls per handoff: %.2f installs, %.2f removes\n",
	       N_REG, t_ho / N_REG, 1e9 * N_REG / t_ho, (t_ho / N_REG) / (t_ref / N_REFRESH),
	       (double)dp_installs / N_REG, (double)dp_removes / N_REG);
	dmm_lma_free(lma);
	dmm_policy_free(pol);
	free(pfx);

	/* Memory at 10^6 bindings. */
	allocated = 0;
	lma = make(N_MEM, &pol, &lmaa);
	{
		size_t at_create = allocated, bc;

		for (uint32_t i = 0; i < N_MEM; i++) {
			n = build_pbu(buf, i, NULL, DMM_HI_NEW_IF, t);
			dmm_lma_recv(lma, &mag, &lmaa, buf, (size_t)n, t);
			t += 20000;
		}
		bc = dmm_bcache_bytes(dmm_lma_bcache(lma));
		printf("bench_lma: %u bindings: %u in the cache; all tables %.0f MB = %.0f bytes/binding "
		       "(binding cache %.0f, pool %.0f, the rest: intents, timers, per-binding LMA state); "
		       "allocated at creation, nothing after (%zu bytes more)\n",
		       N_MEM, dmm_bcache_count(dmm_lma_bcache(lma)), at_create / 1e6,
		       (double)at_create / N_MEM, (double)bc / N_MEM,
		       (double)dmm_pool_bytes(dmm_lma_pool(lma)) / N_MEM, allocated - at_create);
	}
	dmm_lma_free(lma);
	dmm_policy_free(pol);
	return sink < 0;
}
