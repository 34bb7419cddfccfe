/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Arena of small byte strings: size classes, free lists, splitting, exhaustion. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "dmm/arena.h"
#include "helpers.h"

static const struct dmm_alloc A = {t_zalloc, t_free, NULL};

static void *t_zalloc_limited(void *ctx, size_t n)
{
	int *left = ctx;

	if ((*left)-- <= 0)
		return NULL;
	return calloc(1, n);
}

static void test_classes(void)
{
	static const struct {
		size_t n, block;
	} rows[] = {
		{0, 0},	    {1, 16},	{16, 16},   {17, 32},	{32, 32},   {33, 48}, {100, 112},
		{129, 144}, {240, 240}, {241, 256}, {255, 256}, {256, 256}, {257, 0},
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		CHECK_EQ(dmm_arena_block(rows[i].n), rows[i].block);
}

/* 768 octets of 16-octet blocks: 48 fit, none overlaps, the 49th is refused. */
static void test_fill(void)
{
	struct dmm_arena *ar = dmm_arena_new(&A, 1000); /* rounded down to 768 */
	uint8_t *b[48];

	CHECK(ar != NULL);
	CHECK(dmm_arena_bytes(ar) >= 768);
	CHECK(dmm_arena_get(ar, 0) == NULL);
	CHECK(dmm_arena_get(ar, 257) == NULL);
	for (int i = 0; i < 48; i++) {
		b[i] = dmm_arena_get(ar, 10);
		CHECK(b[i] != NULL);
		if (b[i]) {
			CHECK(((uintptr_t)b[i] & 7) == 0);
			memset(b[i], i, 16);
		}
	}
	CHECK(dmm_arena_get(ar, 1) == NULL);
	CHECK_EQ(dmm_arena_used(ar), 768);
	for (int i = 0; i < 48; i++)
		for (int k = 0; k < 16 && b[i]; k++)
			CHECK_EQ(b[i][k], i);
	/* A freed block comes back for the next request of its class. */
	dmm_arena_put(ar, b[7], 10);
	CHECK_EQ(dmm_arena_used(ar), 752);
	CHECK(dmm_arena_get(ar, 16) == b[7]);
	CHECK(dmm_arena_get(ar, 17) == NULL); /* no 32-octet block: no merging */
	dmm_arena_free(ar);
	dmm_arena_free(NULL);
}

/* With the tail used up, a request is cut from the front of the smallest larger free block. */
static void test_split(void)
{
	struct dmm_arena *ar = dmm_arena_new(&A, 512);
	uint8_t *a, *b;

	CHECK(ar != NULL);
	a = dmm_arena_get(ar, 256);
	b = dmm_arena_get(ar, 256);
	CHECK(a && b && a != b);
	CHECK(dmm_arena_get(ar, 16) == NULL);
	dmm_arena_put(ar, a, 256);
	CHECK_EQ(dmm_arena_used(ar), 256);
	CHECK(dmm_arena_get(ar, 16) == a);	 /* leaves 240 at a + 16 */
	CHECK(dmm_arena_get(ar, 10) == a + 16);	 /* leaves 224 at a + 32 */
	CHECK(dmm_arena_get(ar, 200) == a + 32); /* a 208 block; leaves 16 at a + 240 */
	CHECK(dmm_arena_get(ar, 17) == NULL);	 /* no block of 32 or more */
	CHECK(dmm_arena_get(ar, 16) == a + 240);
	CHECK(dmm_arena_get(ar, 1) == NULL);
	CHECK_EQ(dmm_arena_used(ar), 512);
	dmm_arena_put(ar, a + 32, 200);
	CHECK(dmm_arena_get(ar, 193) == a + 32); /* the same size class again */
	dmm_arena_free(ar);
}

static void test_alloc_failure(void)
{
	for (int ok = 0; ok < 2; ok++) {
		int left = ok;
		struct dmm_alloc a = {t_zalloc_limited, t_free, &left};

		CHECK(dmm_arena_new(&a, 4096) == NULL);
	}
	CHECK(dmm_arena_new(NULL, 4096) == NULL);
	{
		struct dmm_arena *ar = dmm_arena_new(&A, 0); /* one block of DMM_ARENA_MAX */

		CHECK(ar && dmm_arena_get(ar, 256) && !dmm_arena_get(ar, 1));
		dmm_arena_free(ar);
	}
}

int main(void)
{
	test_classes();
	test_fill();
	test_split();
	test_alloc_failure();
	return check_report("test_arena");
}
