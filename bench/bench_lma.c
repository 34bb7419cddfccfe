/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * LMA throughput and memory at 10^3, 10^4, 10^5 and 10^6 bindings: PBU ->
 * PBA transactions per second through dmm_lma_recv() on one core
 * (initial registrations of N distinct MNs, refreshes of random MNs,
 * handoffs of every MN to another MAG and back), and the bytes per
 * binding of every table the LMA allocated, so that a cost that grows
 * with the size shows. The baseline, measured in the same run, is the
 * codec work every transaction must do anyway: decode the same PBU and
 * encode+decode the PBA; the ratio says what the LMA's own logic costs on
 * top. Data plane calls are counted: a refresh changes no forwarding, so
 * it should make none. Prints figures; never fails on time.
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

enum { MIN_REFRESH = 200000, MIN_HANDOFF = 100000 };

static const uint32_t SIZES[] = {1000, 10000, 100000, 1000000};

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

static const struct dmm_alloc A = {bench_zalloc, bench_free, NULL};
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
	bench_mnid_eui48(o, n);
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

static struct dmm_addr LMAA = {{0x20, 0x01, [15] = 1}};
static struct dmm_addr MAG1 = {{0x20, 0x01, 0x0f, [15] = 1}}, MAG2 = {{0x20, 0x01, 0x0f, [15] = 2}};

/* An LMA for cap bindings with a pool of at least cap /64s. */
static struct dmm_lma *make(uint32_t cap, struct dmm_policy *pol)
{
	struct dmm_env env;
	struct dmm_lma_cfg cfg;
	unsigned bits = 0;

	memset(&env, 0, sizeof(env));
	env.alloc = &A;
	env.send = b_send;
	env.fm = (struct dmm_fm_ops){.install = bench_install, .remove = bench_remove, .ctx = NULL};
	env.seed = 42;
	env.wall_offset = WALL;
	dmm_lma_cfg_defaults(&cfg);
	cfg.addr = LMAA;
	cfg.max_bindings = cap;
	cfg.max_peers = 16;
	cfg.npool = 1;
	memset(&cfg.pool[0], 0, sizeof(cfg.pool[0]));
	cfg.pool[0].addr.b[0] = 0x20, cfg.pool[0].addr.b[1] = 0x01, cfg.pool[0].addr.b[2] = 0x0d;
	while ((1u << bits) < cap)
		bits++;
	cfg.pool[0].len = (uint8_t)(64 - bits);
	cfg.policy = pol;
	cfg.heartbeat_interval = 0;
	cfg.timestamp_validity_window = 3600 * DMM_SECOND; /* the run's clock is virtual */
	return dmm_lma_new(&env, &cfg, 0);
}

/* One size's figures. */
struct run {
	uint32_t n, nref, nho;
	double reg_ns, ref_ns, base_ns, ho_ns; /* total time of each phase */
	double ref_med, base_med;	       /* median ns of one refresh, of its codec baseline */
	double ord_med, ord_ns; /* refresh in expiry order and the next-deadline ask: median, total ns */
	uint64_t ref_installs, ref_removes, ho_installs, ho_removes;
	size_t alloc, after;
	struct dmm_lma_memory mem;
};

static uint64_t rng = 88172645463325252ull;

/* Initial registrations of r->n MNs; their prefixes into pfx. */
static void registrations(struct dmm_lma *lma, struct run *r, struct dmm_prefix *pfx, dmm_time_t *t)
{
	uint8_t buf[DMM_MH_MAX_LEN];
	struct dmm_mh_msg dec;
	double t0;
	int n;

	for (uint32_t i = 0; i < r->n; i++) {
		n = build_pbu(buf, i, NULL, DMM_HI_NEW_IF, *t); /* built outside the timed part */
		t0 = bench_now_ns();
		dmm_lma_recv(lma, &MAG1, &LMAA, buf, (size_t)n, *t);
		r->reg_ns += bench_now_ns() - t0;
		BENCH_CHECK("bench_lma", dmm_mh_decode(&dec, sent_buf, sent_len) > 0 && dec.u.ba.status == 0);
		pfx[i] = dmm_mh_find_opt(&dec, DMM_OPT_HNP, NULL)->u.hnp;
		*t += 20000; /* 20 us apart: Timestamps (1/65536 s) increase */
	}
}

static int cmp_float(const void *a, const void *b)
{
	float x = *(const float *)a, y = *(const float *)b;

	return (x > y) - (x < y);
}

/* The median of n times (sorted in place). */
static double median(float *v, uint32_t n)
{
	qsort(v, n, sizeof(*v), cmp_float);
	return v[n / 2];
}

/*
 * Refreshes of random MNs (lifetime extension, same MAG), and the
 * codec-only baseline. Beside the totals, the median time of one: on a
 * machine shared with other work, a refresh during which this process
 * was descheduled adds milliseconds to a total but moves no median.
 */
static double refreshes(struct dmm_lma *lma, struct run *r, const struct dmm_prefix *pfx, dmm_time_t *t)
{
	float *one = malloc(sizeof(*one) * r->nref), *base = malloc(sizeof(*base) * r->nref);
	uint8_t buf[DMM_MH_MAX_LEN];
	struct dmm_mh_msg dec;
	uint64_t ext0 = dmm_role_stats(lma)->lifetime_ext_no_handoff;
	double t0, t1, sink = 0;
	int n;

	BENCH_CHECK("bench_lma", one && base);
	bench_installs = bench_removes = 0;
	for (uint32_t k = 0; k < r->nref; k++) {
		uint32_t i;

		rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
		i = (uint32_t)(rng % r->n);
		n = build_pbu(buf, i, &pfx[i], DMM_HI_NO_CHANGE, *t);
		t0 = bench_now_ns();
		dmm_lma_recv(lma, &MAG1, &LMAA, buf, (size_t)n, *t);
		t1 = bench_now_ns();
		r->ref_ns += t1 - t0;
		one[k] = (float)(t1 - t0);
		/* Baseline: decode the PBU, encode the PBA just sent, decode it. */
		t0 = bench_now_ns();
		dmm_mh_decode(&dec, buf, (size_t)n);
		sink += dec.u.bu.seq;
		dmm_mh_decode(&dec, sent_buf, sent_len);
		n = dmm_mh_encode(buf, sizeof(buf), &dec);
		dmm_mh_decode(&dec, buf, (size_t)n);
		t1 = bench_now_ns();
		r->base_ns += t1 - t0;
		base[k] = (float)(t1 - t0);
		sink += dec.u.ba.status;
		*t += 20000;
	}
	r->ref_installs = bench_installs, r->ref_removes = bench_removes;
	BENCH_CHECK("bench_lma", dmm_role_stats(lma)->lifetime_ext_no_handoff - ext0 == r->nref);
	r->ref_med = median(one, r->nref);
	r->base_med = median(base, r->nref);
	free(one);
	free(base);
	return sink;
}

/*
 * Every MN refreshed once in the order it registered, which is the order
 * its lifetime ends (a MAG refreshes each binding some time before that),
 * each refresh followed by the next deadline, as dmmd's loop asks after
 * every message: the median of one. Each refresh moves the earliest
 * timer later, the case that made the timer wheel walk its first bucket.
 */
static void ordered(struct dmm_lma *lma, struct run *r, const struct dmm_prefix *pfx, dmm_time_t *t)
{
	float *one = malloc(sizeof(*one) * r->n);
	uint8_t buf[DMM_MH_MAX_LEN];
	dmm_time_t sink = 0;
	double t0;
	int n;

	BENCH_CHECK("bench_lma", one != NULL);
	for (uint32_t i = 0; i < r->n; i++) {
		n = build_pbu(buf, i, &pfx[i], DMM_HI_NO_CHANGE, *t);
		t0 = bench_now_ns();
		dmm_lma_recv(lma, &MAG1, &LMAA, buf, (size_t)n, *t);
		sink += dmm_role_next_deadline(lma);
		one[i] = (float)(bench_now_ns() - t0);
		r->ord_ns += one[i];
		*t += 20000;
	}
	BENCH_CHECK("bench_lma", sink != 0);
	r->ord_med = median(one, r->n);
	free(one);
}

/* Every MN moves to the other MAG (HI 2), round after round, at least MIN_HANDOFF in all. */
static void handoffs(struct dmm_lma *lma, struct run *r, const struct dmm_prefix *pfx, dmm_time_t *t)
{
	uint8_t buf[DMM_MH_MAX_LEN];
	uint64_t ho0 = dmm_role_stats(lma)->handoffs;
	double t0;
	int n;

	bench_installs = bench_removes = 0;
	r->nho = 0;
	for (unsigned round = 0; r->nho < MIN_HANDOFF || round == 0; round++) {
		const struct dmm_addr *to = round % 2 ? &MAG1 : &MAG2;

		for (uint32_t i = 0; i < r->n; i++, r->nho++) {
			n = build_pbu(buf, i, &pfx[i], DMM_HI_BETWEEN_MAGS, *t);
			t0 = bench_now_ns();
			dmm_lma_recv(lma, to, &LMAA, buf, (size_t)n, *t);
			r->ho_ns += bench_now_ns() - t0;
			*t += 20000;
		}
	}
	r->ho_installs = bench_installs, r->ho_removes = bench_removes;
	BENCH_CHECK("bench_lma", dmm_role_stats(lma)->handoffs - ho0 == r->nho);
}

static double one_size(struct run *r, struct dmm_policy *pol)
{
	struct dmm_prefix *pfx = calloc(r->n, sizeof(*pfx));
	struct dmm_lma *lma;
	dmm_time_t t = DMM_SECOND;
	double sink;

	bench_allocated = 0;
	lma = make(r->n, pol);
	BENCH_CHECK("bench_lma", lma && pfx);
	r->alloc = bench_allocated;
	dmm_lma_memory(lma, &r->mem);
	r->nref = r->n < MIN_REFRESH ? MIN_REFRESH : r->n;
	registrations(lma, r, pfx, &t);
	sink = refreshes(lma, r, pfx, &t);
	ordered(lma, r, pfx, &t);
	handoffs(lma, r, pfx, &t);
	r->after = bench_allocated - r->alloc;
	dmm_lma_free(lma);
	free(pfx);
	return sink;
}

static void print_rates(const struct run *r)
{
	printf("bench_lma: %8u  %10.0f  %10.0f  %10.0f  %6.0f  %6.0f  %6.0f  %6.0f  %5.2f\n", r->n,
	       1e9 * r->n / r->reg_ns, 1e9 * r->nref / r->ref_ns, 1e9 * r->nho / r->ho_ns, r->reg_ns / r->n,
	       r->ref_ns / r->nref, r->ho_ns / r->nho, r->base_ns / r->nref, r->ref_ns / r->base_ns);
}

static void print_bytes(const struct run *r)
{
	const struct dmm_lma_memory *m = &r->mem;
	double n = r->n;
	size_t other = r->alloc - m->bcache - m->intents - m->timers - m->pool;

	printf("bench_lma: %8u  %7.0f  %7.0f  %7.0f  %7.0f  %7.0f  %7.0f  %7.0f  %zu\n", r->n, m->bcache / n,
	       m->intents / n, m->timers / n, m->pool / n, other / n, r->alloc / n, (r->alloc - m->pool) / n,
	       r->after);
}

/* Usage: bench_lma [largest size] (default 10^6). */
int main(int argc, char **argv)
{
	enum { NMAX = sizeof(SIZES) / sizeof(SIZES[0]) };
	struct run runs[NMAX];
	unsigned NS = 0;
	struct dmm_policy *pol = dmm_policy_new(&A, 4, 4, 1);
	struct dmm_policy_profile prof;
	double sink = 0;

	BENCH_CHECK("bench_lma", pol != NULL);
	memset(&prof, 0, sizeof(prof));
	prof.may_register = true;
	dmm_policy_set_default(pol, &prof);
	dmm_policy_set_allow_any_mag(pol, true);
	memset(runs, 0, sizeof(runs));
	while (NS < NMAX && SIZES[NS] <= (argc > 1 ? strtoul(argv[1], NULL, 10) : SIZES[NMAX - 1]))
		NS++;
	BENCH_CHECK("bench_lma", NS > 0);
	for (unsigned k = 0; k < NS; k++) {
		runs[k].n = SIZES[k];
		sink += one_size(&runs[k], pol);
	}
	printf("bench_lma: PBU -> PBA on one core; refreshes of random MNs (at least %u), handoffs of every "
	       "MN "
	       "between two MAGs (at least %u)\n",
	       MIN_REFRESH, MIN_HANDOFF);
	printf("bench_lma: bindings   initial/s   refresh/s   handoff/s  ns/ini  ns/ref   ns/ho  codec   "
	       "ratio\n");
	for (unsigned k = 0; k < NS; k++)
		print_rates(&runs[k]);
	printf("bench_lma: median of one refresh (robust to other work on the machine): bindings, ns, "
	       "refresh/s, codec ns, ratio; and refresh/s at this size / at the smallest\n");
	for (unsigned k = 0; k < NS; k++)
		printf("bench_lma: %8u  %6.0f  %10.0f  %6.0f  %5.2f  %5.2f\n", runs[k].n, runs[k].ref_med,
		       1e9 / runs[k].ref_med, runs[k].base_med, runs[k].ref_med / runs[k].base_med,
		       runs[0].ref_med / runs[k].ref_med);
	printf("bench_lma: every MN refreshed in the order of expiry, each followed by the next-deadline "
	       "ask (dmmd's loop): bindings, median ns, mean ns, refresh/s (of the mean), at the smallest / "
	       "at "
	       "this size (means)\n");
	for (unsigned k = 0; k < NS; k++)
		printf("bench_lma: %8u  %6.0f  %6.0f  %10.0f  %5.2f\n", runs[k].n, runs[k].ord_med,
		       runs[k].ord_ns / runs[k].n, 1e9 * runs[k].n / runs[k].ord_ns,
		       (runs[0].ord_ns / runs[0].n) / (runs[k].ord_ns / runs[k].n));
	for (unsigned k = 0; k < NS; k++)
		printf("bench_lma: %8u bindings: data plane calls in %u refreshes: %llu installs, %llu "
		       "removes "
		       "(a refresh changes no forwarding: 0); per handoff: %.2f installs, %.2f removes\n",
		       runs[k].n, runs[k].nref, (unsigned long long)runs[k].ref_installs,
		       (unsigned long long)runs[k].ref_removes, (double)runs[k].ho_installs / runs[k].nho,
		       (double)runs[k].ho_removes / runs[k].nho);
	printf("bench_lma: bytes per binding, allocated at creation (pool: sized to the bindings, a "
	       "configuration choice; after: bytes allocated later, should be 0)\n");
	printf("bench_lma: bindings   bcache  intents   timers     pool    other    total  no-pool  after\n");
	for (unsigned k = 0; k < NS; k++)
		print_bytes(&runs[k]);
	dmm_policy_free(pol);
	return sink < 0;
}
