/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Binding cache at 10^6 entries: ns per insert, per lookup by MN-ID and by
 * prefix, and bytes per entry. Each figure stands beside a baseline
 * measured in the same run (writing / reading a plain array of the same
 * entry size, in the same order), since absolute times on a shared
 * machine mean little. Prints figures; never fails on time.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench.h"

#include "dmm/bcache.h"

static void *b_zalloc(void *ctx, size_t n)
{
	(void)ctx;
	return calloc(1, n);
}

static void b_free(void *ctx, void *p)
{
	(void)ctx;
	free(p);
}

static struct dmm_mnid eui48(uint32_t n)
{
	struct dmm_mnid m = {.subtype = 5, .len = 6};

	m.id[0] = 0x02;
	m.id[2] = (uint8_t)(n >> 24);
	m.id[3] = (uint8_t)(n >> 16);
	m.id[4] = (uint8_t)(n >> 8);
	m.id[5] = (uint8_t)n;
	return m;
}

static struct dmm_prefix pfx(uint32_t n)
{
	struct dmm_prefix p = {.len = 64, .addr = {{0x20, 0x01, 0x0d, 0xb8}}};

	p.addr.b[4] = (uint8_t)(n >> 24);
	p.addr.b[5] = (uint8_t)(n >> 16);
	p.addr.b[6] = (uint8_t)(n >> 8);
	p.addr.b[7] = (uint8_t)n;
	return p;
}

/* One size: insert N entries, look them all up in a random order, beside a plain array of N. */
static int run(uint32_t N)
{
	const struct dmm_alloc a = {b_zalloc, b_free, NULL};
	struct dmm_bcache *bc = dmm_bcache_new(&a, N, 0, 0x5eed);
	struct dmm_bcache_entry *base = calloc(N, sizeof(*base));
	uint32_t *order = malloc(N * sizeof(*order));
	uint64_t rng = 88172645463325252ULL, sink = 0;
	double t0, ins, look_id, look_pfx, b_write, b_read;
	unsigned missing = 0;

	if (!bc || !base || !order) {
		fprintf(stderr, "bench_bcache: out of memory\n");
		return 1;
	}
	/* Lookups in a random order, so caches do not flatter either side. */
	for (uint32_t i = 0; i < N; i++)
		order[i] = i;
	for (uint32_t i = N - 1; i > 0; i--) {
		uint32_t j, t;

		rng ^= rng << 13;
		rng ^= rng >> 7;
		rng ^= rng << 17;
		j = (uint32_t)(rng % (i + 1));
		t = order[i];
		order[i] = order[j];
		order[j] = t;
	}

	/* Baseline write: fill a plain array with the same entries. */
	t0 = bench_now_ns();
	for (uint32_t i = 0; i < N; i++) {
		base[i].mnid = eui48(i);
		base[i].hnp[0] = pfx(i);
		base[i].n_hnp = 1;
	}
	b_write = (bench_now_ns() - t0) / N;

	t0 = bench_now_ns();
	for (uint32_t i = 0; i < N; i++) {
		struct dmm_mnid m = eui48(i);
		struct dmm_prefix p = pfx(i);
		struct dmm_bcache_entry *e = dmm_bcache_add(bc, &m, NULL);

		if (!e || dmm_bcache_add_prefix(bc, e, &p))
			missing++;
	}
	ins = (bench_now_ns() - t0) / N;

	/* Baseline read: index the plain array in the same random order. */
	t0 = bench_now_ns();
	for (uint32_t i = 0; i < N; i++)
		sink += base[order[i]].mnid.id[5];
	b_read = (bench_now_ns() - t0) / N;

	t0 = bench_now_ns();
	for (uint32_t i = 0; i < N; i++) {
		struct dmm_mnid m = eui48(order[i]);
		struct dmm_bcache_entry *e = dmm_bcache_find_mnid(bc, &m);

		if (e)
			sink += e->mnid.id[5];
		else
			missing++;
	}
	look_id = (bench_now_ns() - t0) / N;

	t0 = bench_now_ns();
	for (uint32_t i = 0; i < N; i++) {
		struct dmm_prefix p = pfx(order[i]);
		struct dmm_bcache_entry *e = dmm_bcache_find_prefix(bc, &p);

		if (e)
			sink += e->mnid.id[5];
		else
			missing++;
	}
	look_pfx = (bench_now_ns() - t0) / N;

	printf("%9u  %8.1f %6.1f %5.1f   %8.1f %6.1f %5.1f   %8.1f %5.1f   %7.1f\n", N, ins, b_write,
	       ins / b_write, look_id, b_read, look_id / b_read, look_pfx, look_pfx / b_read,
	       (double)dmm_bcache_bytes(bc) / N);
	if (missing)
		printf("  WARNING: %u inserts or lookups failed at %u entries\n", missing, N);
	dmm_bcache_free(bc);
	free(base);
	free(order);
	return missing || sink == 42 ? 1 : 0; /* sink keeps the lookups from being optimised away */
}

int main(void)
{
	int rc = 0;

	printf("bench_bcache: binding cache (entry struct %zu bytes) beside a plain array of the same size;\n"
	       "ns per operation, lookups in a random order; ratio = cache / array\n",
	       sizeof(struct dmm_bcache_entry));
	printf("%9s  %8s %6s %5s   %8s %6s %5s   %8s %5s   %7s\n", "entries", "insert", "array", "ratio",
	       "by-mnid", "array", "ratio", "by-pfx", "ratio", "B/entry");
	for (uint32_t n = 1000; n <= 1000000; n *= 10)
		rc |= run(n);
	return rc;
}
