/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * CMD (RFC 8885) throughput and memory with 10^6 MNs over 16 MAARs, on
 * one core, through dmm_cmd_recv(): initial registrations (each MN with
 * a prefix anchored at its first MAAR), refreshes of random MNs, and
 * handovers (every MN to the next MAAR, proxy mode: the CMD answers the
 * new S-MAAR and tells the previous one with a PBU, whose PBA is answered
 * and timed apart). Then bytes per MN: the MN table and everything else
 * the CMD allocated, all at creation. Usage: bench_cmd [MNs] (10^6).
 * Prints figures; never fails on time.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

#include "dmm/bcache.h"
#include "dmm/cmd.h"

enum { N_MAAR = 16, RING = 8 };

static const struct dmm_alloc A = {bench_zalloc, bench_free, NULL};
static const int64_t WALL = 1700000000LL * 1000000000LL;

/* The last RING datagrams the CMD sent. */
static struct {
	struct dmm_addr dst;
	uint8_t buf[DMM_MH_MAX_LEN];
	size_t len;
} sent[RING];
static uint64_t nsent;

static void b_send(void *ctx, const struct dmm_addr *src, const struct dmm_addr *dst, const uint8_t *buf,
		   size_t len)
{
	unsigned k = (unsigned)(nsent++ % RING);

	(void)ctx, (void)src;
	sent[k].dst = *dst;
	sent[k].len = len < DMM_MH_MAX_LEN ? len : DMM_MH_MAX_LEN;
	memcpy(sent[k].buf, buf, sent[k].len);
}

static struct dmm_addr CMDA = {{0x20, 0x01, 0x0c, [15] = 1}};

static struct dmm_addr maar(unsigned m)
{
	struct dmm_addr a = {{0x20, 0x01, 0x0a, [14] = (uint8_t)(m >> 8), [15] = (uint8_t)(m + 1)}};

	return a;
}

/* The prefix MN n got at its k-th MAAR. */
static struct dmm_prefix pfx(uint32_t n, unsigned k)
{
	struct dmm_prefix p = {{{0x20, 0x01, 0x0d, (uint8_t)k, (uint8_t)(n >> 24), (uint8_t)(n >> 16),
				 (uint8_t)(n >> 8), (uint8_t)n}},
			       64};

	return p;
}

static void put_mnid(struct dmm_mh_msg *m, uint32_t n)
{
	struct dmm_mh_opt *o = dmm_mh_add_opt(m, DMM_OPT_MNID);

	bench_mnid_eui48(o, n);
}

/* A MAAR's PBU for MN n with HNP p (RFC 8885 §3.2: D set), Timestamp of now. */
static int build_pbu(uint8_t *buf, uint32_t n, uint16_t seq, const struct dmm_prefix *p, uint8_t hi,
		     dmm_time_t now)
{
	struct dmm_mh_msg m;
	struct dmm_mh_opt *o;
	uint64_t w = now + (uint64_t)WALL;

	dmm_mh_init(&m, DMM_MH_BU);
	m.u.bu.seq = seq;
	m.u.bu.flags = DMM_BU_A | DMM_BU_P | DMM_BU_D;
	m.u.bu.lifetime = 900; /* 3600 s: nothing expires during the run */
	put_mnid(&m, n);
	dmm_mh_add_opt(&m, DMM_OPT_HNP)->u.hnp = *p;
	dmm_mh_add_opt(&m, DMM_OPT_HI)->u.hi.value = hi;
	dmm_mh_add_opt(&m, DMM_OPT_ATT)->u.att.value = DMM_ATT_8023;
	o = dmm_mh_add_opt(&m, DMM_OPT_TIMESTAMP);
	o->u.timestamp.seconds = w / 1000000000u;
	o->u.timestamp.fraction = (uint16_t)(((w % 1000000000u) << 16) / 1000000000u);
	return dmm_mh_encode(buf, DMM_MH_MAX_LEN, &m);
}

static struct dmm_cmd *make(uint32_t n, struct dmm_policy *pol)
{
	struct dmm_env env;
	struct dmm_cmd_cfg cfg;

	memset(&env, 0, sizeof(env));
	env.alloc = &A;
	env.send = b_send;
	env.seed = 42;
	env.wall_offset = WALL;
	dmm_cmd_cfg_defaults(&cfg);
	cfg.addr = CMDA;
	cfg.policy = pol;
	cfg.mode = DMM_CMD_PROXY;
	cfg.max_mns = n;
	cfg.max_maars = 2 * N_MAAR;
	cfg.heartbeat_interval = 0;
	cfg.timestamp_validity_window = 3600 * DMM_SECOND; /* the run's clock is virtual */
	cfg.pbu_pacing = 0;				   /* the run sends as fast as it can */
	cfg.max_update_rate = 0;
	return dmm_cmd_new(&env, &cfg, 0);
}

/* The status of the last PBA the CMD sent to a, or -1. */
static int last_pba_to(const struct dmm_addr *a)
{
	struct dmm_mh_msg m;

	for (unsigned j = 0; j < RING && j < nsent; j++) {
		unsigned k = (unsigned)((nsent - 1 - j) % RING);

		if (dmm_addr_eq(&sent[k].dst, a) && dmm_mh_decode(&m, sent[k].buf, sent[k].len) > 0 &&
		    m.type == DMM_MH_BA)
			return m.u.ba.status;
	}
	return -1;
}

/* The answer of the previous MAAR to the CMD's last PBU (its PBA into buf); its length, or 0. */
static int answer_upd(uint8_t *buf, struct dmm_addr *from)
{
	struct dmm_mh_msg u, r;

	for (unsigned j = 0; j < RING && j < nsent; j++) {
		unsigned k = (unsigned)((nsent - 1 - j) % RING);

		if (dmm_mh_decode(&u, sent[k].buf, sent[k].len) <= 0 || u.type != DMM_MH_BU)
			continue;
		dmm_mh_init(&r, DMM_MH_BA);
		r.u.ba.flags = DMM_BA_P | DMM_BA_D;
		r.u.ba.seq = u.u.bu.seq;
		r.u.ba.lifetime = u.u.bu.lifetime;
		dmm_mh_add_opt(&r, DMM_OPT_HNP)->u.hnp = dmm_mh_find_opt(&u, DMM_OPT_HNP, NULL)->u.hnp;
		*from = sent[k].dst;
		return dmm_mh_encode(buf, DMM_MH_MAX_LEN, &r);
	}
	return 0;
}

struct figures {
	uint32_t n;
	double reg, ref, ho, ans; /* ns in each phase */
	uint32_t nho;
	size_t alloc, after;
	struct dmm_cmd_memory mem;
};

static void registrations(struct dmm_cmd *c, struct figures *f, dmm_time_t *t)
{
	uint8_t buf[DMM_MH_MAX_LEN];

	for (uint32_t i = 0; i < f->n; i++) {
		struct dmm_addr s = maar(i % N_MAAR);
		struct dmm_prefix p = pfx(i, 0);
		int n = build_pbu(buf, i, 1, &p, DMM_HI_NEW_IF, *t);
		double t0 = bench_now_ns();

		dmm_cmd_recv(c, &s, &CMDA, buf, (size_t)n, *t);
		f->reg += bench_now_ns() - t0;
		BENCH_CHECK("bench_cmd", last_pba_to(&s) == 0);
		*t += 20000;
	}
}

static void refreshes(struct dmm_cmd *c, struct figures *f, dmm_time_t *t)
{
	uint8_t buf[DMM_MH_MAX_LEN];
	uint64_t rng = 88172645463325252ull;

	for (uint32_t k = 0; k < f->n; k++) {
		uint32_t i;

		rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
		i = (uint32_t)(rng % f->n);
		struct dmm_addr s = maar(i % N_MAAR);
		struct dmm_prefix p = pfx(i, 0);
		int n = build_pbu(buf, i, (uint16_t)(2 + k), &p, DMM_HI_NO_CHANGE, *t);
		double t0 = bench_now_ns();

		dmm_cmd_recv(c, &s, &CMDA, buf, (size_t)n, *t);
		f->ref += bench_now_ns() - t0;
		*t += 20000;
	}
}

/* Every MN to the next MAAR with a new prefix there; the previous MAAR's answer timed apart. */
static void handovers(struct dmm_cmd *c, struct figures *f, dmm_time_t *t)
{
	uint8_t buf[DMM_MH_MAX_LEN];
	struct dmm_addr from;

	for (uint32_t i = 0; i < f->n; i++, f->nho++) {
		struct dmm_addr s = maar((i + 1) % N_MAAR);
		struct dmm_prefix p = pfx(i, 1);
		int n = build_pbu(buf, i, 0x8000, &p, DMM_HI_BETWEEN_MAGS, *t);
		double t0 = bench_now_ns();

		dmm_cmd_recv(c, &s, &CMDA, buf, (size_t)n, *t);
		f->ho += bench_now_ns() - t0;
		BENCH_CHECK("bench_cmd", last_pba_to(&s) == 0);
		n = answer_upd(buf, &from);
		BENCH_CHECK("bench_cmd", n > 0);
		t0 = bench_now_ns();
		dmm_cmd_recv(c, &from, &CMDA, buf, (size_t)n, *t);
		f->ans += bench_now_ns() - t0;
		*t += 20000;
	}
}

int main(int argc, char **argv)
{
	struct figures f = {.n = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 10) : 1000000};
	struct dmm_policy *pol = dmm_policy_new(&A, 4, 4, 1);
	struct dmm_policy_profile prof;
	struct dmm_cmd *c;
	dmm_time_t t = DMM_SECOND;

	BENCH_CHECK("bench_cmd", pol != NULL && f.n > 0);
	memset(&prof, 0, sizeof(prof));
	prof.may_register = true;
	dmm_policy_set_default(pol, &prof);
	dmm_policy_set_allow_any_mag(pol, true);
	bench_allocated = 0;
	c = make(f.n, pol);
	BENCH_CHECK("bench_cmd", c != NULL);
	f.alloc = bench_allocated;
	dmm_cmd_memory(c, &f.mem);
	registrations(c, &f, &t);
	refreshes(c, &f, &t);
	handovers(c, &f, &t);
	f.after = bench_allocated - f.alloc;
	/* Every previous MAAR's answer was taken: nothing unexpected, no retransmission pending. */
	BENCH_CHECK("bench_cmd",
		    dmm_role_stats(c)->rx_unexpected == 0 && dmm_role_next_deadline(c) > t + DMM_SECOND);
	BENCH_CHECK("bench_cmd", dmm_cmd_counters(c)->handovers == f.nho);
	printf("bench_cmd: %u MNs over %u MAARs, PBU -> PBA on one core (proxy mode)\n", f.n, N_MAAR);
	printf("bench_cmd: initial %.0f PBU/s (%.0f ns), refresh %.0f PBU/s (%.0f ns), handover %.0f PBU/s "
	       "(%.0f ns) + the previous MAAR's PBA %.0f ns\n",
	       1e9 * f.n / f.reg, f.reg / f.n, 1e9 * f.n / f.ref, f.ref / f.n, 1e9 * f.nho / f.ho,
	       f.ho / f.nho, f.ans / f.nho);
	printf("bench_cmd: bytes per MN, allocated at creation: MN table %.0f, pending updates %.0f, timers "
	       "%.0f, other %.0f, total %.0f; after creation: %zu bytes\n",
	       (double)f.mem.mns / f.n, (double)f.mem.updates / f.n, (double)f.mem.timers / f.n,
	       (double)(f.alloc - f.mem.mns - f.mem.updates - f.mem.timers) / f.n, (double)f.alloc / f.n,
	       f.after);
	dmm_cmd_free(c);
	dmm_policy_free(pol);
	return 0;
}
