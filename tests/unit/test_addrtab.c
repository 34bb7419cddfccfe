/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The address table: numbers, counts, the zero address, a full table, reuse, keyed and unkeyed. */
#include <string.h>

#include "check.h"
#include "dmm/addrtab.h"
#include "dmm/err.h"
#include "helpers.h"

static const struct dmm_alloc A = {t_zalloc, t_free, NULL};

static void test_table(uint64_t seed)
{
	struct dmm_addrtab t;
	struct dmm_addr zero = {{0}}, a = addr_last(1), b = addr_last(2), c = addr_last(3);
	uint32_t na, nb, nc;

	CHECK_EQ(dmm_addrtab_init(&t, &A, 0, seed), DMM_ERR_INVAL);
	CHECK_EQ(dmm_addrtab_init(&t, &A, 2, seed), 0);
	CHECK(dmm_addrtab_bytes(&t) > 2 * sizeof(struct dmm_addr));
	CHECK_EQ(dmm_addrtab_hold(&t, &zero), 0); /* the zero address takes no room */
	CHECK(dmm_addr_is_zero(dmm_addrtab_get(&t, 0)));
	na = dmm_addrtab_hold(&t, &a);
	CHECK(na != 0 && na != DMM_ADDRTAB_FULL);
	CHECK_EQ(dmm_addrtab_hold(&t, &a), na); /* held once, counted twice */
	nb = dmm_addrtab_hold(&t, &b);
	CHECK(nb != 0 && nb != DMM_ADDRTAB_FULL && nb != na);
	CHECK_EQ(dmm_addrtab_hold(&t, &c), DMM_ADDRTAB_FULL);
	CHECK(dmm_addr_eq(dmm_addrtab_get(&t, na), &a) && dmm_addr_eq(dmm_addrtab_get(&t, nb), &b));
	dmm_addrtab_drop(&t, na);
	CHECK_EQ(dmm_addrtab_hold(&t, &c), DMM_ADDRTAB_FULL); /* a is still held once */
	dmm_addrtab_drop(&t, na);
	nc = dmm_addrtab_hold(&t, &c); /* a's slot is free again */
	CHECK(nc != DMM_ADDRTAB_FULL && dmm_addr_eq(dmm_addrtab_get(&t, nc), &c));
	CHECK(dmm_addr_eq(dmm_addrtab_get(&t, nb), &b));
	CHECK_EQ(dmm_addrtab_hold(&t, &b), nb);
	/* The last numbers held are remembered; a slot freed and taken by another address is not c's. */
	dmm_addrtab_drop(&t, nc);
	CHECK_EQ(dmm_addrtab_hold(&t, &c), nc); /* its slot again, the first free one */
	dmm_addrtab_drop(&t, nc);
	na = dmm_addrtab_hold(&t, &a);
	CHECK(na == nc && dmm_addr_eq(dmm_addrtab_get(&t, na), &a));
	CHECK_EQ(dmm_addrtab_hold(&t, &c), DMM_ADDRTAB_FULL);
	CHECK_EQ(dmm_addrtab_hold(&t, &a), na);
	CHECK_EQ(dmm_addrtab_hold(&t, &zero), 0);
	dmm_addrtab_drop(&t, 0); /* ignored */
	dmm_addrtab_fini(&t, &A);
	dmm_addrtab_fini(&t, &A); /* twice: nothing */
}

/* Many addresses in and out: every one found again by its number, the table never over-full. */
static void test_churn(void)
{
	enum { CAP = 500, N = 20000 };
	static uint32_t num[CAP * 2];
	struct dmm_addrtab t;
	unsigned bad = 0, held = 0;
	uint64_t rng = 7;

	CHECK_EQ(dmm_addrtab_init(&t, &A, CAP, 99), 0);
	memset(num, 0, sizeof(num));
	for (int i = 0; i < N; i++) {
		uint32_t k = (uint32_t)(xorshift64s(&rng) % (CAP * 2));
		struct dmm_addr a = addr_last((uint8_t)k);

		a.b[13] = (uint8_t)(k >> 8);
		if (num[k]) {
			bad += !dmm_addr_eq(dmm_addrtab_get(&t, num[k]), &a);
			dmm_addrtab_drop(&t, num[k]);
			num[k] = 0;
			held--;
		} else {
			num[k] = dmm_addrtab_hold(&t, &a);
			bad += (num[k] == DMM_ADDRTAB_FULL) != (held == CAP);
			if (num[k] == DMM_ADDRTAB_FULL)
				num[k] = 0;
			else
				held++;
		}
	}
	CHECK_EQ(bad, 0);
	dmm_addrtab_fini(&t, &A);
}

int main(void)
{
	test_table(0);
	test_table(0x1234);
	test_churn();
	return check_report("test_addrtab");
}
