/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The kernel data plane's bookkeeping (dataplane/kernel/ktable.c) at
 * 10^3, 10^4 and 10^5 intents, without netlink: ns per install (find by
 * id, lowest free SRC table, add) while the table grows ("fill": it
 * includes every doubling and the first touch of new memory) and once it
 * has its size, per remove, per counter read (find by id), per peer
 * lookup, and per refresh (remove an intent, install its replacement),
 * each beside its ratio to the 10^3 figure of the same run: a structure
 * that scans shows a ratio that grows with the size. The last two
 * columns time the walks these replaced, on the same table: the old
 * find by id (a walk over the intents) and the old choice of a SRC
 * intent's table (each candidate number checked against every intent).
 * The intents are those an LMA installs per binding: DST ENCAP and SRC
 * DECAP, plus a SRC DELIVER with a table of its own, one peer per 16
 * bindings.
 *
 * First the table numbers are checked against a brute-force shadow
 * (the lowest number no SRC intent uses, the old rule) under random
 * installs and removes: the bench exits 1 on a difference. It never
 * fails on time.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench.h"

#include "../dataplane/kernel/ktable.h"
#include "dmm/fm.h"

#define BASE 1000u

#define CHECK(c) BENCH_CHECK("bench_kernel_table", c)

static uint64_t rng = 88172645463325252ull;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static struct dmm_addr peer_of(uint32_t i)
{
	struct dmm_addr a = {{0x20, 0x01, 0x0d, 0xb8}};

	a.b[12] = (uint8_t)(i >> 24);
	a.b[13] = (uint8_t)(i >> 16);
	a.b[14] = (uint8_t)(i >> 8);
	a.b[15] = (uint8_t)i;
	return a;
}

/* The old rule, by brute force: the lowest table above BASE no SRC intent uses. */
static uint32_t shadow_table(const struct kdp_itab *t)
{
	for (uint32_t tb = BASE + 1;; tb++) {
		bool used = false;

		for (uint32_t i = 0; i < t->n && !used; i++)
			used = t->in[i].match == DMM_FM_SRC && t->in[i].table == tb;
		if (!used)
			return tb;
	}
}

static void install(struct kdp_itab *t, uint32_t id, uint8_t match)
{
	struct kdp_intent k = {.id = id, .match = match, .action = DMM_FM_DELIVER};

	CHECK(kdp_itab_reserve(t) == 0 && !kdp_itab_find(t, id));
	if (match == DMM_FM_SRC)
		k.table = kdp_itab_table(t, BASE);
	CHECK(kdp_itab_add(t, &k, match == DMM_FM_SRC, BASE)->id == id);
}

static void uninstall(struct kdp_itab *t, uint32_t id)
{
	struct kdp_intent *k = kdp_itab_find(t, id);

	CHECK(k && k->id == id);
	kdp_itab_del(t, k, k->match == DMM_FM_SRC, BASE);
}

static void check_semantics(void)
{
	struct kdp_itab t;
	uint32_t next = 1;

	kdp_itab_init(&t, 7);
	for (int step = 0; step < 6000; step++) {
		if (t.n && rnd() % 5 < 2) {
			uninstall(&t, t.in[rnd() % t.n].id);
			continue;
		}
		CHECK(kdp_itab_reserve(&t) == 0);
		CHECK(kdp_itab_table(&t, BASE) == shadow_table(&t));
		install(&t, next++, rnd() % 3 ? DMM_FM_SRC : DMM_FM_DST);
	}
	for (uint32_t i = 0; i < t.n; i++)
		CHECK(kdp_itab_find(&t, t.in[i].id) == &t.in[i]);
	for (uint32_t i = 0; i < 300; i++) {
		struct dmm_addr a = peer_of(i);

		CHECK(kdp_itab_peer(&t, &a) == NULL);
		kdp_itab_peer_add(&t, &a)->refs = i;
	}
	for (uint32_t i = 0; i < 300; i += 2) {
		struct dmm_addr a = peer_of(i);

		kdp_itab_peer_del(&t, kdp_itab_peer(&t, &a));
	}
	for (uint32_t i = 0; i < 300; i++) {
		struct dmm_addr a = peer_of(i);
		struct kdp_peer *p = kdp_itab_peer(&t, &a);

		CHECK(i % 2 ? p && p->refs == i : !p);
	}
	kdp_itab_fini(&t);
}

struct fig {
	double fill, remove, install, read, peer, refresh, old_read, old_table;
};

/* The old intent_find(): a walk over the intents. */
static const struct kdp_intent *old_find(const struct kdp_itab *t, uint32_t id)
{
	for (uint32_t i = 0; i < t->n; i++)
		if (t->in[i].id == id)
			return &t->in[i];
	return NULL;
}

static struct fig run(uint32_t n)
{
	struct kdp_itab t;
	struct fig f;
	uint32_t npeers = n / 16 + 1, lookups = 200000;
	double t0;

	kdp_itab_init(&t, 7);
	t0 = bench_now_ns();
	for (uint32_t i = 1; i <= n; i++)
		install(&t, i, i % 2 ? DMM_FM_SRC : DMM_FM_DST);
	f.fill = (bench_now_ns() - t0) / n;
	/* The old walks, for comparison: find by id, and the table of the next SRC intent. */
	t0 = bench_now_ns();
	for (uint32_t i = 0; i < 2000; i++)
		CHECK(old_find(&t, 1 + (uint32_t)(rnd() % n)));
	f.old_read = (bench_now_ns() - t0) / 2000;
	t0 = bench_now_ns();
	CHECK(shadow_table(&t) == kdp_itab_table(&t, BASE));
	f.old_table = bench_now_ns() - t0;
	t0 = bench_now_ns();
	for (uint32_t i = 1; i <= n; i++)
		uninstall(&t, i);
	f.remove = (bench_now_ns() - t0) / n;
	/* Again, now that the arrays and indexes have their size: what one install costs. */
	t0 = bench_now_ns();
	for (uint32_t i = 1; i <= n; i++)
		install(&t, i, i % 2 ? DMM_FM_SRC : DMM_FM_DST);
	f.install = (bench_now_ns() - t0) / n;
	/* A peer has a DECAP intent: there are never more peers than intents. */
	for (uint32_t i = 0; i < npeers; i++) {
		struct dmm_addr a = peer_of(i);

		kdp_itab_peer_add(&t, &a);
	}
	t0 = bench_now_ns();
	for (uint32_t i = 0; i < lookups; i++)
		CHECK(kdp_itab_find(&t, 1 + (uint32_t)(rnd() % n)));
	f.read = (bench_now_ns() - t0) / lookups;
	t0 = bench_now_ns();
	for (uint32_t i = 0; i < lookups; i++) {
		struct dmm_addr a = peer_of((uint32_t)(rnd() % npeers));

		CHECK(kdp_itab_peer(&t, &a));
	}
	f.peer = (bench_now_ns() - t0) / lookups;
	t0 = bench_now_ns();
	for (uint32_t i = 0; i < lookups; i++) {
		struct kdp_intent *k = &t.in[rnd() % t.n];
		uint32_t id = k->id;
		uint8_t m = k->match;

		uninstall(&t, id);
		install(&t, id + n, m); /* ids stay distinct: the old one plus n */
	}
	f.refresh = (bench_now_ns() - t0) / lookups;
	kdp_itab_fini(&t);
	return f;
}

int main(void)
{
	static const uint32_t sizes[] = {1000, 10000, 100000};
	struct fig base = {0};

	check_semantics();
	printf("kernel dp bookkeeping, ns/op (ratio to 10^3); fill: the first installs, with every "
	       "doubling\n");
	printf("%8s %15s %15s %15s %15s %15s %15s | %17s %19s\n", "intents", "fill", "remove", "install",
	       "counter read", "peer lookup", "refresh", "old counter read", "old SRC table");
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		struct fig f = run(sizes[i]);

		if (i == 0)
			base = f;
		printf("%8u %8.1f (%4.2f) %8.1f (%4.2f) %8.1f (%4.2f) %8.1f (%4.2f) %8.1f (%4.2f) %8.1f "
		       "(%4.2f) | "
		       "%8.1f (%6.1f) %10.0f (%6.0f)\n",
		       sizes[i], f.fill, f.fill / base.fill, f.remove, f.remove / base.remove, f.install,
		       f.install / base.install, f.read, f.read / base.read, f.peer, f.peer / base.peer,
		       f.refresh, f.refresh / base.refresh, f.old_read, f.old_read / base.old_read,
		       f.old_table, f.old_table / base.old_table);
	}
	return 0;
}
