/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Helpers the unit tests share (header-only, all static inline):
 *
 *   t_zalloc, t_free          a calloc allocator for struct dmm_alloc
 *   unhex(out, cap, hex)      hex digits to octets, skipping anything else
 *   print_hex(what, b, n)     octets to stderr, eight a group
 *   rnd32(), rnd_bytes(p, n)  a deterministic xorshift, so a failure replays
 *   xorshift64s(&state)       xorshift64*, on the caller's state
 *   addr_of(s), prefix_of(s)  an address or prefix from its text
 *   addr_last(n)              2001:db8::n
 *   prefix_n(n, len)          2001:db8:X:Y::/len with X:Y = n
 *   mnid_str(subtype, s)      an MN-ID from a string; nai(s): an NAI
 *   eui48(n)                  the EUI-48 MN-ID 02:00:nn:nn:nn:nn
 *   seed_args(argc, argv, fn) "--write-seeds DIR": fn(DIR) writes fuzz seeds
 *   seed_mkdir(dir)           mkdir -p
 *   seed_write(dir, name, hex) the octets of hex as DIR/NAME.bin
 */
#ifndef DMM_TEST_HELPERS_H
#define DMM_TEST_HELPERS_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "dmm/alloc.h"
#include "dmm/fmt.h"
#include "dmm/hash.h"
#include "dmm/mh.h"
#include "dmm/types.h"

static inline void *t_zalloc(void *ctx, size_t n)
{
	(void)ctx;
	return calloc(1, n);
}

static inline void t_free(void *ctx, void *p)
{
	(void)ctx;
	free(p);
}

/* Parse hex digits, skipping spaces and '|'; returns the octet count. */
static inline size_t unhex(uint8_t *out, size_t cap, const char *hex)
{
	size_t n = 0;
	int hi = -1;

	for (const char *p = hex; *p; p++) {
		int v;

		if (*p >= '0' && *p <= '9')
			v = *p - '0';
		else if (*p >= 'a' && *p <= 'f')
			v = *p - 'a' + 10;
		else if (*p >= 'A' && *p <= 'F')
			v = *p - 'A' + 10;
		else
			continue;
		if (hi < 0) {
			hi = v;
			continue;
		}
		if (n >= cap) {
			fprintf(stderr, "unhex: vector longer than %zu octets\n", cap);
			abort();
		}
		out[n++] = (uint8_t)(hi << 4 | v);
		hi = -1;
	}
	if (hi >= 0) {
		fprintf(stderr, "unhex: odd number of hex digits in \"%s\"\n", hex);
		abort();
	}
	return n;
}

static inline void print_hex(const char *what, const uint8_t *b, size_t n)
{
	fprintf(stderr, "  %s (%zu):", what, n);
	for (size_t i = 0; i < n; i++)
		fprintf(stderr, "%s%02x", i % 8 ? " " : (i ? "\n      " : " "), b[i]);
	fprintf(stderr, "\n");
}

static inline uint32_t rnd32(void)
{
	static uint64_t rng = 0x9e3779b97f4a7c15ull;

	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 16);
}

static inline void rnd_bytes(uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)rnd32();
}

static inline uint64_t xorshift64s(uint64_t *state)
{
	*state ^= *state >> 12;
	*state ^= *state << 25;
	*state ^= *state >> 27;
	return *state * 0x2545f4914f6cdd1dULL;
}

static inline struct dmm_addr addr_of(const char *s)
{
	struct dmm_addr a;

	dmm_addr_parse(s, &a);
	return a;
}

static inline struct dmm_prefix prefix_of(const char *s)
{
	struct dmm_prefix p;

	dmm_prefix_parse(s, &p);
	return p;
}

static inline struct dmm_addr addr_last(uint8_t last)
{
	struct dmm_addr a = {{0x20, 0x01, 0x0d, 0xb8}};

	a.b[15] = last;
	return a;
}

static inline struct dmm_prefix prefix_n(uint32_t n, uint8_t len)
{
	struct dmm_prefix p = {.len = len, .addr = {{0x20, 0x01, 0x0d, 0xb8}}};

	p.addr.b[4] = (uint8_t)(n >> 24);
	p.addr.b[5] = (uint8_t)(n >> 16);
	p.addr.b[6] = (uint8_t)(n >> 8);
	p.addr.b[7] = (uint8_t)n;
	return p;
}

static inline struct dmm_mnid mnid_str(uint8_t subtype, const char *s)
{
	struct dmm_mnid m = {.subtype = subtype};

	m.len = (uint8_t)strlen(s);
	memcpy(m.id, s, m.len);
	return m;
}

static inline struct dmm_mnid nai(const char *s)
{
	return mnid_str(DMM_MNID_NAI, s);
}

static inline struct dmm_mnid eui48(uint32_t n)
{
	struct dmm_mnid m = {.subtype = DMM_MNID_EUI48, .len = 6};

	m.id[0] = 0x02;
	m.id[2] = (uint8_t)(n >> 24);
	m.id[3] = (uint8_t)(n >> 16);
	m.id[4] = (uint8_t)(n >> 8);
	m.id[5] = (uint8_t)n;
	return m;
}

static inline int seed_mkdir(const char *dir)
{
	char path[512];

	snprintf(path, sizeof(path), "%s", dir);
	for (char *p = path + 1;; p++) {
		char c = *p;

		if (c != '/' && c != '\0')
			continue;
		*p = '\0';
		if (mkdir(path, 0755) != 0 && errno != EEXIST) {
			perror(path);
			return -1;
		}
		*p = c;
		if (c == '\0')
			break;
	}
	return 0;
}

static inline int seed_write(const char *dir, const char *name, const char *hex)
{
	uint8_t wire[4096];
	size_t n = unhex(wire, sizeof(wire), hex);
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s.bin", dir, name);
	f = fopen(path, "wb");
	if (!f) {
		perror(path);
		return -1;
	}
	if (fwrite(wire, 1, n, f) != n) {
		perror(path);
		fclose(f);
		return -1;
	}
	return fclose(f);
}

/*
 * A test program's arguments: none, or "--write-seeds DIR", which runs
 * write_seeds(DIR) before the checks. Returns 0 to go on with the checks,
 * 2 (the exit status) on a usage or write error.
 */
static inline int seed_args(int argc, char **argv, int (*write_seeds)(const char *dir))
{
	if (argc == 3 && strcmp(argv[1], "--write-seeds") == 0) {
		if (write_seeds(argv[2]) != 0)
			return 2;
	} else if (argc != 1) {
		fprintf(stderr, "usage: %s [--write-seeds DIR]\n", argv[0]);
		return 2;
	}
	return 0;
}

#endif
