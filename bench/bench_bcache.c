/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Binding cache from 10^3 to 10^6 entries, sized as the LMA sizes it
 * (an eighth more HNPs than bindings, the arena sized for the MN-IDs): ns per insert,
 * per lookup by MN-ID and by prefix, and bytes per entry. Run twice: with
 * 6-octet MN-IDs (EUI-48, in the entry) and with 48-octet NAIs (in the
 * arena). Each figure stands beside a baseline measured in the same run
 * (writing / reading a plain array of the same entry size, in the same
 * order), since absolute times on a shared machine mean little. Prints
 * figures; never fails on time. An argument (1000 ... 1000000) runs one
 * size only, a second one ("eui" or "nai") one kind of MN-ID only, e.g.
 * under valgrind --tool=callgrind --cache-sim=yes --toggle-collect=lookup_mnid
 * (the cache lines a lookup misses: bench/lookup-misses.sh).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench.h"

#include "dmm/arena.h"
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

#define NAI "mn-00000000@access-network-two.operators.example"
#define NAI_LEN 48

/* MN n: an EUI-48 (6 octets) or, when nai is set, a NAI_LEN-octet NAI. */
static struct dmm_mnid mn_id(uint32_t n, bool nai)
{
	static const char hex[] = "0123456789abcdef";
	struct dmm_mnid m = {.subtype = 5, .len = 6};

	if (nai) {
		memcpy(m.id, NAI, NAI_LEN);
		for (int i = 0; i < 8; i++)
			m.id[3 + i] = (uint8_t)hex[(n >> (28 - 4 * i)) & 15];
		m.subtype = 1;
		m.len = NAI_LEN;
		return m;
	}
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

/* What the timed lookup passes read. */
struct lookups {
	const struct dmm_bcache *bc;
	const struct dmm_bcache_entry *base;
	const uint32_t *order;
	uint32_t N;
	bool nai;
	uint64_t sink;
	unsigned missing;
};

/* Baseline read: index a plain array of entries in the same random order. */
static __attribute__((noinline)) void base_read(struct lookups *L)
{
	for (uint32_t i = 0; i < L->N; i++)
		L->sink += L->base[L->order[i]].handle.gen;
}

static __attribute__((noinline)) void lookup_mnid(struct lookups *L)
{
	for (uint32_t i = 0; i < L->N; i++) {
		struct dmm_mnid m = mn_id(L->order[i], L->nai);
		const struct dmm_bcache_entry *e = dmm_bcache_find_mnid(L->bc, &m);

		if (e)
			L->sink += e->handle.gen; /* the part of the entry (bcache.h) which the lookup read */
		else
			L->missing++;
	}
}

static __attribute__((noinline)) void lookup_prefix(struct lookups *L)
{
	for (uint32_t i = 0; i < L->N; i++) {
		struct dmm_prefix p = pfx(L->order[i]);
		const struct dmm_bcache_entry *e = dmm_bcache_find_prefix(L->bc, &p);

		if (e)
			L->sink += e->n_hnp; /* the part of the entry (bcache.h) which the lookup read */
		else
			L->missing++;
	}
}

/* ns per lookup of one pass of f, the best of three (the machine is shared). */
static double best_of(void (*f)(struct lookups *), struct lookups *L)
{
	double best = 0;

	for (int r = 0; r < 3; r++) {
		double t0 = bench_now_ns(), t;

		f(L);
		t = (bench_now_ns() - t0) / L->N;
		if (r == 0 || t < best)
			best = t;
	}
	return best;
}

/* One size: insert N entries, look them all up in a random order, beside a plain array of N. */
static int run(uint32_t N, bool nai)
{
	const struct dmm_alloc a = {b_zalloc, b_free, NULL};
	/* As the LMA sizes it (lma.c), with enough arena when every MN-ID is a long NAI. */
	const uint32_t more = N / 8 > 64 ? N / 8 : N < 64 ? N : 64;
	const struct dmm_bcache_sizes sz = {
		N, N + more, more, (size_t)N * (nai ? dmm_arena_block(NAI_LEN) : 8) + 4096, false, 64};
	struct dmm_bcache *bc = dmm_bcache_new_sized(&a, &sz, 0x5eed);
	struct dmm_bcache_entry *base = calloc(N, sizeof(*base));
	uint32_t *order = malloc(N * sizeof(*order));
	uint64_t rng = 88172645463325252ULL;
	double t0, ins, look_id, look_pfx, b_write, b_read;
	unsigned missing = 0;
	struct lookups L = {bc, base, order, N, nai, 0, 0};

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
		base[i].handle.gen = i;
		base[i].hnp0 = pfx(i);
		base[i].n_hnp = 1;
	}
	b_write = (bench_now_ns() - t0) / N;

	t0 = bench_now_ns();
	for (uint32_t i = 0; i < N; i++) {
		struct dmm_mnid m = mn_id(i, nai);
		struct dmm_prefix p = pfx(i);
		struct dmm_bcache_entry *e = dmm_bcache_add(bc, &m, NULL);

		if (!e || dmm_bcache_add_prefix(bc, e, &p))
			missing++;
	}
	ins = (bench_now_ns() - t0) / N;

	b_read = best_of(base_read, &L);
	look_id = best_of(lookup_mnid, &L);
	look_pfx = best_of(lookup_prefix, &L);

	printf("%9u  %8.1f %6.1f %5.1f   %8.1f %6.1f %5.1f   %8.1f %5.1f   %7.1f\n", N, ins, b_write,
	       ins / b_write, look_id, b_read, look_id / b_read, look_pfx, look_pfx / b_read,
	       (double)dmm_bcache_bytes(bc) / N);
	if (missing)
		printf("  WARNING: %u inserts or lookups failed at %u entries\n", missing, N);
	dmm_bcache_free(bc);
	free(base);
	free(order);
	return missing || L.missing || L.sink == 42
		       ? 1
		       : 0; /* sink keeps the lookups from being optimised away */
}

int main(int argc, char **argv)
{
	uint32_t only = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 10) : 0; /* one size only */
	const char *kind = argc > 2 ? argv[2] : ""; /* "eui" or "nai": one kind only */
	int rc = 0;

	printf("bench_bcache: binding cache (entry struct %zu bytes) beside a plain array of the same size;\n"
	       "ns per operation, lookups in a random order (best of three passes); ratio = cache / array\n",
	       sizeof(struct dmm_bcache_entry));
	for (int nai = 0; nai < 2; nai++) {
		if ((nai && strcmp(kind, "eui") == 0) || (!nai && strcmp(kind, "nai") == 0))
			continue;
		printf("%s\n", nai ? "48-octet NAIs (in the arena)" : "6-octet EUI-48 MN-IDs (in the entry)");
		printf("%9s  %8s %6s %5s   %8s %6s %5s   %8s %5s   %7s\n", "entries", "insert", "array",
		       "ratio", "by-mnid", "array", "ratio", "by-pfx", "ratio", "B/entry");
		for (uint32_t n = 1000; n <= 1000000; n *= 10)
			if (!only || n == only)
				rc |= run(n, nai);
	}
	return rc;
}
