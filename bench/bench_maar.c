/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * MAAR (RFC 8885) throughput and memory with 10^5 prefixes anchored here,
 * on one core: MNs attach (the MAAR allocates a prefix, anchors it and
 * registers with the CMD: attach and the CMD's PBA timed together), then
 * leave (the anchor buffers), then the CMD names their next S-MAAR (a PBU
 * from the CMD: the anchor tunnels to it, RFC 8885 §3.5). Then bytes per
 * anchored prefix of what the MAAR allocated, all at creation. Usage:
 * bench_maar [prefixes] (10^5). Prints figures; never fails on time.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

#include "dmm/bcache.h"
#include "dmm/maar.h"

static const struct dmm_alloc A = {bench_zalloc, bench_free, NULL};
static const int64_t WALL = 1700000000LL * 1000000000LL;

static uint8_t sent_buf[DMM_MH_MAX_LEN];
static size_t sent_len;

static void b_send(void *ctx, const struct dmm_addr *src, const struct dmm_addr *dst, const uint8_t *buf,
		   size_t len)
{
	(void)ctx, (void)src, (void)dst;
	sent_len = len < sizeof(sent_buf) ? len : sizeof(sent_buf);
	memcpy(sent_buf, buf, sent_len);
}

static struct dmm_addr MAAR1 = {{0x20, 0x01, 0x0a, [15] = 1}}, MAAR2 = {{0x20, 0x01, 0x0a, [15] = 2}};
static struct dmm_addr CMDA = {{0x20, 0x01, 0x0c, [15] = 1}};

static struct dmm_mnid mn(uint32_t n)
{
	struct dmm_mnid id = {.subtype = DMM_MNID_EUI48, .len = 6};

	id.id[0] = 0x02;
	id.id[2] = (uint8_t)(n >> 24);
	id.id[3] = (uint8_t)(n >> 16);
	id.id[4] = (uint8_t)(n >> 8);
	id.id[5] = (uint8_t)n;
	return id;
}

static struct dmm_maar *make(uint32_t n)
{
	struct dmm_env env;
	struct dmm_maar_cfg cfg;
	unsigned bits = 0;

	memset(&env, 0, sizeof(env));
	env.alloc = &A;
	env.send = b_send;
	env.fm = (struct dmm_fm_ops){.install = bench_install, .remove = bench_remove, .ctx = NULL};
	env.seed = 42;
	env.wall_offset = WALL;
	dmm_maar_cfg_defaults(&cfg);
	cfg.addr = MAAR1;
	cfg.cmd = CMDA;
	cfg.max_mns = n;
	cfg.max_anchored = n;
	cfg.heartbeat_interval = 0;
	cfg.idle_release = 0;
	while ((1u << bits) < n)
		bits++;
	cfg.npool = 1;
	memset(&cfg.pool[0], 0, sizeof(cfg.pool[0]));
	cfg.pool[0].addr.b[0] = 0x20, cfg.pool[0].addr.b[1] = 0x01, cfg.pool[0].addr.b[2] = 0x0d;
	cfg.pool[0].len = (uint8_t)(64 - bits);
	return dmm_maar_new(&env, &cfg, 0);
}

/* The CMD's PBA (status 0) to the PBU the MAAR just sent; its length. */
static int answer_pbu(uint8_t *buf)
{
	struct dmm_mh_msg u, r;
	const struct dmm_mh_opt *o;

	BENCH_CHECK("bench_maar", dmm_mh_decode(&u, sent_buf, sent_len) > 0 && u.type == DMM_MH_BU);
	dmm_mh_init(&r, DMM_MH_BA);
	r.u.ba.flags = DMM_BA_P | DMM_BA_D;
	r.u.ba.seq = u.u.bu.seq;
	r.u.ba.lifetime = u.u.bu.lifetime;
	*dmm_mh_add_opt(&r, DMM_OPT_MNID) = *dmm_mh_find_opt(&u, DMM_OPT_MNID, NULL);
	*dmm_mh_add_opt(&r, DMM_OPT_HNP) = *dmm_mh_find_opt(&u, DMM_OPT_HNP, NULL);
	for (uint8_t t = DMM_OPT_HI; t <= DMM_OPT_MNLLID; t++)
		if ((o = dmm_mh_find_opt(&u, t, NULL)) != NULL)
			*dmm_mh_add_opt(&r, t) = *o;
	return dmm_mh_encode(buf, DMM_MH_MAX_LEN, &r);
}

/* The CMD's PBU naming MAAR2 as MN n's serving MAAR for prefix p (RFC 8885 §3.2). */
static int cmd_pbu(uint8_t *buf, uint32_t n, const struct dmm_prefix *p)
{
	struct dmm_mh_msg u;
	struct dmm_mh_opt *o;
	struct dmm_mnid id = mn(n);

	dmm_mh_init(&u, DMM_MH_BU);
	u.u.bu.seq = (uint16_t)(n + 1);
	u.u.bu.flags = DMM_BU_A | DMM_BU_P | DMM_BU_D;
	u.u.bu.lifetime = 150; /* 600 s */
	o = dmm_mh_add_opt(&u, DMM_OPT_MNID);
	o->u.mnid.subtype = id.subtype;
	o->u.mnid.id.len = id.len;
	memcpy(o->u.mnid.id.b, id.id, id.len);
	dmm_mh_add_opt(&u, DMM_OPT_HNP)->u.hnp = *p;
	dmm_mh_add_opt(&u, DMM_OPT_SERVING_MAAR)->u.serving_maar = MAAR2;
	return dmm_mh_encode(buf, DMM_MH_MAX_LEN, &u);
}

struct figures {
	uint32_t n;
	double attach, detach, away; /* ns in each phase */
	size_t alloc, after, fm;
};

static const uint8_t LL[6] = {2, 0, 0, 0, 0, 9};

/* MN i attaches and the CMD accepts; its prefix into *p. */
static void attach_one(struct dmm_maar *m, struct figures *f, uint32_t i, struct dmm_prefix *p, dmm_time_t t)
{
	struct dmm_mnid id = mn(i);
	uint8_t buf[DMM_MH_MAX_LEN];
	struct dmm_mh_msg u;
	double t0 = bench_now_ns(), t1;
	int n;

	BENCH_CHECK("bench_maar", dmm_maar_attach(m, &id, 5, LL, 6, DMM_ATT_80211, t) == 0);
	t1 = bench_now_ns();
	BENCH_CHECK("bench_maar", dmm_mh_decode(&u, sent_buf, sent_len) > 0);
	*p = dmm_mh_find_opt(&u, DMM_OPT_HNP, NULL)->u.hnp;
	n = answer_pbu(buf);
	f->attach += t1 - t0;
	t0 = bench_now_ns();
	dmm_maar_recv(m, &CMDA, &MAAR1, buf, (size_t)n, t);
	f->attach += bench_now_ns() - t0;
}

static void run(struct dmm_maar *m, struct figures *f, struct dmm_prefix *pfx)
{
	uint8_t buf[DMM_MH_MAX_LEN];
	dmm_time_t t = DMM_SECOND;
	double t0;
	int n;

	for (uint32_t i = 0; i < f->n; i++, t += 20000)
		attach_one(m, f, i, &pfx[i], t);
	BENCH_CHECK("bench_maar", dmm_bcache_count(dmm_maar_anchored(m)) == f->n);
	for (uint32_t i = 0; i < f->n; i++, t += 20000) {
		struct dmm_mnid id = mn(i);

		t0 = bench_now_ns();
		BENCH_CHECK("bench_maar", dmm_maar_detach(m, &id, t) == 0);
		f->detach += bench_now_ns() - t0;
	}
	for (uint32_t i = 0; i < f->n; i++, t += 20000) {
		struct dmm_mh_msg r;

		n = cmd_pbu(buf, i, &pfx[i]);
		t0 = bench_now_ns();
		dmm_maar_recv(m, &CMDA, &MAAR1, buf, (size_t)n, t);
		f->away += bench_now_ns() - t0;
		BENCH_CHECK("bench_maar", dmm_mh_decode(&r, sent_buf, sent_len) > 0 && r.type == DMM_MH_BA &&
						  r.u.ba.status == 0);
	}
}

int main(int argc, char **argv)
{
	struct figures f = {.n = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 10) : 100000};
	struct dmm_prefix *pfx = calloc(f.n ? f.n : 1, sizeof(*pfx));
	struct dmm_maar *m;

	BENCH_CHECK("bench_maar", pfx && f.n > 0);
	bench_allocated = 0;
	m = make(f.n);
	BENCH_CHECK("bench_maar", m != NULL);
	f.alloc = bench_allocated;
	f.fm = dmm_fm_bytes(dmm_role_fm(m));
	run(m, &f, pfx);
	f.after = bench_allocated - f.alloc;
	printf("bench_maar: %u prefixes anchored here, on one core\n", f.n);
	printf("bench_maar: attach + the CMD's PBA %.0f/s (%.0f ns), detach %.0f/s (%.0f ns), the CMD's PBU "
	       "naming the next S-MAAR %.0f/s (%.0f ns); data plane: %.2f installs, %.2f removes per "
	       "prefix\n",
	       1e9 * f.n / f.attach, f.attach / f.n, 1e9 * f.n / f.detach, f.detach / f.n, 1e9 * f.n / f.away,
	       f.away / f.n, (double)bench_installs / f.n, (double)bench_removes / f.n);
	printf("bench_maar: bytes per anchored prefix (serving and anchored tables sized alike), allocated "
	       "at "
	       "creation: anchored table %.0f, serving table %.0f, intents %.0f (%zu per intent), total "
	       "%.0f; "
	       "after creation: %zu bytes\n",
	       (double)dmm_bcache_bytes(dmm_maar_anchored(m)) / f.n,
	       (double)dmm_bul_bytes(dmm_maar_serving(m)) / f.n, (double)f.fm / f.n,
	       dmm_fm_bytes_per_intent(dmm_role_fm(m)), (double)f.alloc / f.n, f.after);
	dmm_maar_free(m);
	free(pfx);
	return 0;
}
