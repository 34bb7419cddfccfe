/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The user data plane's intent table (dataplane/user/table.c) at 10^3,
 * 10^4, 10^5 and 10^6 intents: ns per install, per remove, per counter
 * read (lookup by id), per classify of a packet from the TUN (longest
 * prefix match, dpu_classify), per accept of a decapsulated packet (DECAP
 * lookup by source and peer), per replace (a handoff: an intent's peer
 * changed, same id) and per refresh (remove one intent, install its
 * replacement with a new id); install-max is the longest single binding
 * install (two intents) of the fill in CPU time (page faults included,
 * preemption not): what the slowest PBU waits for when the table grows. Each figure
 * stands beside its ratio to the 10^3 figure of the same run: a table
 * that scans shows a ratio that grows with the size. The last column, a
 * random read of a plain array as large as the slot array, shows what
 * the memory hierarchy alone adds as the table outgrows the caches. The
 * same runs again with /128 host addresses, which differ only in their
 * last octets (a weak prefix hash puts them all in a few buckets). The intents are
 * those an LMA installs per binding (RFC 5213 §5.3: a bidirectional
 * tunnel per home network prefix): DST ENCAP and SRC DECAP on a /64.
 *
 * Before timing, the table's semantics are checked on a small table
 * (longest prefix, precedence, newest on a tie, DST before SRC, peer
 * match), and every timed lookup checks its result: the bench exits 1 on
 * a wrong answer. It never fails on time.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench.h"

#include "../dataplane/user/user.h"

#define CHECK(c) BENCH_CHECK("bench_user_table", c)

static struct dmm_dp *table_new(void)
{
	struct dmm_dp *dp = calloc(1, sizeof(*dp));

	CHECK(dp && dpu_table_grow(dp) == 0);
	return dp;
}

static void table_free(struct dmm_dp *dp)
{
	dpu_table_free(dp);
	free(dp);
}

static bool host_routes; /* the prefixes: /64 home network prefixes, or /128 host addresses */

/*
 * The n-th binding's prefix: 2001:db8:NNNN:NNNN::/64 (an LMA's home
 * network prefixes), or 2001:db8::NNNN:NNNN/128 (a table of host
 * addresses, which differ only in their last octets).
 */
static struct dmm_prefix hnp(uint32_t n)
{
	struct dmm_prefix p = {.len = host_routes ? 128 : 64, .addr = {{0x20, 0x01, 0x0d, 0xb8}}};
	unsigned at = host_routes ? 12 : 4;

	p.addr.b[at] = (uint8_t)(n >> 24);
	p.addr.b[at + 1] = (uint8_t)(n >> 16);
	p.addr.b[at + 2] = (uint8_t)(n >> 8);
	p.addr.b[at + 3] = (uint8_t)n;
	return p;
}

static struct dmm_addr peer_of(uint32_t n)
{
	struct dmm_addr a = {{0x20, 0x01, 0x0d, 0xb8, 0xff}};

	a.b[15] = (uint8_t)(n % 200 + 1); /* 200 MAGs */
	return a;
}

static struct dmm_intent intent(uint32_t id, uint8_t match, uint8_t action, struct dmm_prefix p,
				uint16_t prec)
{
	struct dmm_intent in = {.id = id, .match = match, .action = action, .precedence = prec, .prefix = p};

	in.peer = peer_of(id);
	return in;
}

static uint32_t add(struct dmm_dp *dp, const struct dmm_intent *in)
{
	static const char ifname[DMM_DP_IFNAMSIZ];
	int i = dpu_table_add(dp, in, 0, ifname);

	CHECK(i >= 0);
	return (uint32_t)i;
}

/* A packet from src to dst: only the IPv6 header is read. */
static void packet(uint8_t pkt[40], const struct dmm_addr *src, const struct dmm_addr *dst)
{
	memset(pkt, 0, 40);
	pkt[0] = 0x60;
	memcpy(pkt + 8, src->b, 16);
	memcpy(pkt + 24, dst->b, 16);
}

static uint32_t id_at(const struct dmm_dp *dp, uint32_t i)
{
	return i == NONE ? 0 : dpu_slot(dp, i)->in.id;
}

/* Longest prefix, precedence, newest on a tie, DST before SRC, peer match. */
static void semantics(void)
{
	struct dmm_dp *dp = table_new();
	struct dmm_prefix p48 = hnp(0x10000), p64 = hnp(0x10001), p0 = {.len = 0};
	struct dmm_addr in64 = p64.addr, other = hnp(0x20000).addr, peer = peer_of(5);
	uint8_t pkt[40];
	uint32_t a;

	p48.len = 48;
	in64.b[15] = 9;
	add(dp, &(struct dmm_intent){.id = 1, .match = DMM_FM_DST, .action = DMM_FM_ENCAP, .prefix = p48});
	packet(pkt, &other, &in64);
	CHECK(id_at(dp, dpu_classify(dp, pkt)) == 1);
	add(dp, &(struct dmm_intent){
			.id = 2, .match = DMM_FM_DST, .action = DMM_FM_DROP, .prefix = p64, .precedence = 5});
	CHECK(id_at(dp, dpu_classify(dp, pkt)) == 2); /* longer wins over lower precedence */
	add(dp,
	    &(struct dmm_intent){
		    .id = 3, .match = DMM_FM_DST, .action = DMM_FM_BUFFER, .prefix = p64, .precedence = 3});
	CHECK(id_at(dp, dpu_classify(dp, pkt)) == 3); /* lower precedence wins */
	add(dp,
	    &(struct dmm_intent){
		    .id = 4, .match = DMM_FM_DST, .action = DMM_FM_ENCAP, .prefix = p64, .precedence = 3});
	CHECK(id_at(dp, dpu_classify(dp, pkt)) == 4); /* newest wins a tie */
	dpu_table_del(dp, dpu_find_id(dp, 4));
	CHECK(id_at(dp, dpu_classify(dp, pkt)) == 3);
	dpu_table_del(dp, dpu_find_id(dp, 3));
	dpu_table_del(dp, dpu_find_id(dp, 2));
	CHECK(id_at(dp, dpu_classify(dp, pkt)) == 1);
	/* SRC only when no DST intent holds the destination. */
	add(dp, &(struct dmm_intent){.id = 5, .match = DMM_FM_SRC, .action = DMM_FM_ENCAP, .prefix = p0});
	packet(pkt, &in64, &other);
	CHECK(id_at(dp, dpu_classify(dp, pkt)) == 5);
	packet(pkt, &other, &in64);
	CHECK(id_at(dp, dpu_classify(dp, pkt)) == 1);
	/* DECAP: the peer must match; not a classify result. */
	add(dp, &(struct dmm_intent){
			.id = 6, .match = DMM_FM_SRC, .action = DMM_FM_DECAP, .prefix = p64, .peer = peer});
	CHECK(id_at(dp, dpu_lookup(dp, DMM_FM_SRC, &in64, 1u << DMM_FM_DECAP, &peer)) == 6);
	CHECK(dpu_lookup(dp, DMM_FM_SRC, &in64, 1u << DMM_FM_DECAP, &other) == NONE);
	a = dpu_lookup(dp, DMM_FM_SRC, &in64, 1u << DMM_FM_ENCAP, NULL);
	CHECK(id_at(dp, a) == 5);
	/* A removed id is gone; its slot is taken again. */
	dpu_table_del(dp, dpu_find_id(dp, 6));
	CHECK(dpu_find_id(dp, 6) == NONE);
	CHECK(dpu_lookup(dp, DMM_FM_SRC, &in64, 1u << DMM_FM_DECAP, &peer) == NONE);
	dpu_table_del(dp, dpu_find_id(dp, 5));
	dpu_table_del(dp, dpu_find_id(dp, 1));
	CHECK(dp->nused == 0);
	packet(pkt, &in64, &in64);
	CHECK(dpu_classify(dp, pkt) == NONE);
	table_free(dp);
}

struct figures {
	double install, install_max, remove, classify, accept, counter, replace, refresh, plain;
};

static volatile uint32_t sink; /* keeps the baseline's reads */

static uint32_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return (uint32_t)(*s >> 11);
}

/* Binding b's intents: id 2b+1 DST ENCAP, id 2b+2 SRC DECAP, both on hnp(b). */
static void install_binding(struct dmm_dp *dp, uint32_t b, uint32_t idbase)
{
	struct dmm_intent e = intent(idbase + 2 * b + 1, DMM_FM_DST, DMM_FM_ENCAP, hnp(b), 0);
	struct dmm_intent d = intent(idbase + 2 * b + 2, DMM_FM_SRC, DMM_FM_DECAP, hnp(b), 0);

	e.peer = d.peer = peer_of(b);
	add(dp, &e);
	add(dp, &d);
}

/* Classify, accept and counter read of random bindings, each result checked. */
static void lookups(struct dmm_dp *dp, uint32_t nb, uint32_t idbase, uint32_t ops, struct figures *f)
{
	uint64_t s = 88172645463325252ull;
	uint8_t pkt[40];
	double t;

	t = bench_now_ns();
	for (uint32_t k = 0; k < ops; k++) {
		uint32_t b = rnd(&s) % nb;
		struct dmm_addr dst = hnp(b).addr, src = {{0x20, 0x01, 0x0d, 0xb8, 0xee, 1}};

		dst.b[15] |= host_routes ? 0 : 1;
		packet(pkt, &src, &dst);
		CHECK(id_at(dp, dpu_classify(dp, pkt)) == idbase + 2 * b + 1);
	}
	f->classify = (bench_now_ns() - t) / ops;
	t = bench_now_ns();
	for (uint32_t k = 0; k < ops; k++) {
		uint32_t b = rnd(&s) % nb;
		struct dmm_addr src = hnp(b).addr, peer = peer_of(b);

		src.b[15] |= host_routes ? 0 : 1;
		CHECK(id_at(dp, dpu_lookup(dp, DMM_FM_SRC, &src, 1u << DMM_FM_DECAP, &peer)) ==
		      idbase + 2 * b + 2);
	}
	f->accept = (bench_now_ns() - t) / ops;
	t = bench_now_ns();
	for (uint32_t k = 0; k < ops; k++) {
		uint32_t id = idbase + rnd(&s) % (2 * nb) + 1;

		CHECK(id_at(dp, dpu_find_id(dp, id)) == id);
	}
	f->counter = (bench_now_ns() - t) / ops;
	/* The memory baseline: one random read of a plain array as large as the slot array. */
	t = bench_now_ns();
	for (uint32_t k = 0; k < ops; k++) {
		uint32_t i = rnd(&s) % dp->cap;

		sink += dpu_slot(dp, i)->in.id;
	}
	f->plain = (bench_now_ns() - t) / ops;
}

/*
 * Handoff: binding b's DST ENCAP intent (id 2b+1) gets a new peer, same
 * id, in its slot (what dmm_fm_ensure asks of the backend's replace).
 */
static void replace_one(struct dmm_dp *dp, uint32_t b, uint32_t round)
{
	static const char ifname[DMM_DP_IFNAMSIZ];
	struct dmm_intent e = intent(2 * b + 1, DMM_FM_DST, DMM_FM_ENCAP, hnp(b), 0);
	uint32_t i = dpu_find_id(dp, e.id);

	CHECK(i != NONE);
	e.peer = peer_of(b + round);
	dpu_table_replace(dp, i, &e, 0, ifname);
	CHECK(dpu_find_id(dp, e.id) == i && dmm_addr_eq(&dpu_slot(dp, i)->in.peer, &e.peer));
}

/* This thread's CPU time: a longest install not lengthened by the scheduler's preemption. */
static double cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* One size: n intents (n/2 bindings). */
static void run(uint32_t n, struct figures *f)
{
	struct dmm_dp *dp = table_new();
	uint32_t nb = n / 2, ops = 200000, refresh_ops = nb < 20000 ? nb : 20000;
	uint64_t s = 0x2545f4914f6cdd1dull;
	double t;

	t = bench_now_ns();
	f->install_max = 0;
	for (uint32_t b = 0; b < nb; b++) {
		double t1 = cpu_ns(), dt;

		install_binding(dp, b, 0);
		dt = cpu_ns() - t1;
		if (dt > f->install_max)
			f->install_max = dt;
	}
	f->install = (bench_now_ns() - t) / n;
	CHECK(dp->nused == n);
	lookups(dp, nb, 0, ops, f);
	/* Refresh: a binding's intents replaced (new ids, new slots), the others kept. */
	t = bench_now_ns();
	for (uint32_t k = 0; k < refresh_ops; k++) {
		uint32_t b = rnd(&s) % nb, e = dpu_find_id(dp, 2 * b + 1);

		if (e == NONE)
			continue;
		dpu_table_del(dp, e);
		dpu_table_del(dp, dpu_find_id(dp, 2 * b + 2));
		install_binding(dp, b, 0);
	}
	f->refresh = (bench_now_ns() - t) / (2.0 * refresh_ops);
	CHECK(dp->nused == n);
	t = bench_now_ns();
	for (uint32_t k = 0; k < refresh_ops; k++)
		replace_one(dp, rnd(&s) % nb, k + 1);
	f->replace = (bench_now_ns() - t) / refresh_ops;
	CHECK(dp->nused == n);
	t = bench_now_ns();
	for (uint32_t b = 0; b < nb; b++) {
		uint32_t b2 = (uint32_t)(((uint64_t)b * 2654435761u) % nb); /* scattered order */
		uint32_t e = dpu_find_id(dp, 2 * b2 + 1), d = dpu_find_id(dp, 2 * b2 + 2);

		CHECK(e != NONE && d != NONE);
		dpu_table_del(dp, e);
		dpu_table_del(dp, d);
	}
	f->remove = (bench_now_ns() - t) / n;
	CHECK(dp->nused == 0);
	table_free(dp);
}

/* One figure and its ratio to the same figure at 10^3. */
static void cell(double v, double base)
{
	printf(" %7.1f x%-5.2f", v, v / base);
}

static void table(const char *title)
{
	static const uint32_t sizes[] = {1000, 10000, 100000, 1000000};
	enum { NSIZES = sizeof(sizes) / sizeof(sizes[0]) };
	struct figures f[NSIZES], *b = &f[0];

	run(sizes[0], &f[0]); /* warm-up: the first figures of a process include its heap's page faults */
	printf("%s (ns/op; x = ratio to 10^3 in this run; plain: a random read of an array of the same "
	       "size)\n",
	       title);
	printf("%8s %14s %14s %14s %14s %14s %14s %14s %14s %14s\n", "intents", "install", "install-max",
	       "remove", "by-id", "lpm-classify", "lpm-accept", "replace", "refresh", "plain");
	for (unsigned k = 0; k < NSIZES; k++) {
		run(sizes[k], &f[k]);
		printf("%8u", sizes[k]);
		cell(f[k].install, b->install);
		cell(f[k].install_max, b->install_max);
		cell(f[k].remove, b->remove);
		cell(f[k].counter, b->counter);
		cell(f[k].classify, b->classify);
		cell(f[k].accept, b->accept);
		cell(f[k].replace, b->replace);
		cell(f[k].refresh, b->refresh);
		cell(f[k].plain, b->plain);
		printf("\n");
		fflush(stdout);
	}
}

int main(void)
{
	semantics();
	table("user data plane intent table, /64 prefixes");
	host_routes = true;
	table("user data plane intent table, /128 host addresses");
	return 0;
}
