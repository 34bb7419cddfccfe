/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Policy store: profiles, default profile, authorised MAGs. */
#include <stdlib.h>

#include "check.h"
#include "dmm/err.h"
#include "dmm/policy.h"
#include "helpers.h"

static const struct dmm_alloc A = {t_zalloc, t_free, NULL};

enum { NAI = 1, EUI48 = 5 };

static void test_profiles(void)
{
	struct dmm_policy *pol = dmm_policy_new(&A, 4, 2, 5);
	struct dmm_policy_profile p = {.may_register = true, .n_lma = 2, .n_alloc = 1};
	const struct dmm_policy_profile *q;
	struct dmm_mnid m;

	CHECK(pol != NULL);
	p.lma[0] = addr_last(1);
	p.lma[1] = addr_last(2);
	p.mnid = mnid_str(NAI, "alice@example.net");
	CHECK_EQ(dmm_policy_set(pol, &p), 0);
	p.mnid = mnid_str(NAI, "bob@example.net");
	p.may_register = false;
	p.n_prefix = 1;
	p.prefix[0].len = 64;
	p.prefix[0].addr = addr_last(0);
	CHECK_EQ(dmm_policy_set(pol, &p), 0);
	CHECK_EQ(dmm_policy_count(pol), 2);

	m = mnid_str(NAI, "alice@example.net");
	q = dmm_policy_lookup(pol, &m);
	CHECK(q && q->may_register && q->n_lma == 2 && q->n_prefix == 0 && q->n_alloc == 1);
	CHECK(q && dmm_addr_eq(&q->lma[1], &p.lma[1]));
	m = mnid_str(NAI, "bob@example.net");
	q = dmm_policy_lookup(pol, &m);
	CHECK(q && !q->may_register && q->n_prefix == 1);

	/* Replace keeps the count. */
	p.may_register = true;
	CHECK_EQ(dmm_policy_set(pol, &p), 0);
	CHECK_EQ(dmm_policy_count(pol), 2);
	CHECK(dmm_policy_lookup(pol, &m)->may_register);

	/* Bad profiles. */
	p.n_lma = DMM_POLICY_MAX_LMA + 1;
	CHECK_EQ(dmm_policy_set(pol, &p), DMM_ERR_INVAL);
	CHECK_EQ(dmm_policy_set_default(pol, &p), DMM_ERR_INVAL);
	p.n_lma = 0;
	p.mnid.len = 0;
	CHECK_EQ(dmm_policy_set(pol, &p), DMM_ERR_INVAL);

	/* Unknown MN without a default: NULL. Same bytes, other subtype: unknown. */
	m = mnid_str(EUI48, "\x02\x11\x22\x33\x44\x01");
	CHECK(dmm_policy_lookup(pol, &m) == NULL);
	m = mnid_str(EUI48, "alice@example.net");
	CHECK(dmm_policy_lookup(pol, &m) == NULL);

	/* Full, delete, room again. */
	p.mnid = mnid_str(NAI, "c");
	CHECK_EQ(dmm_policy_set(pol, &p), 0);
	p.mnid = mnid_str(NAI, "d");
	CHECK_EQ(dmm_policy_set(pol, &p), 0);
	p.mnid = mnid_str(NAI, "e");
	CHECK_EQ(dmm_policy_set(pol, &p), DMM_ERR_NOMEM);
	m = mnid_str(NAI, "c");
	CHECK_EQ(dmm_policy_del(pol, &m), 0);
	CHECK_EQ(dmm_policy_del(pol, &m), DMM_ERR_NOTFOUND);
	CHECK(dmm_policy_get(pol, &m) == NULL);
	CHECK_EQ(dmm_policy_set(pol, &p), 0);
	{
		int n = 0;

		for (q = dmm_policy_next(pol, NULL); q; q = dmm_policy_next(pol, q))
			n++;
		CHECK_EQ(n, 4);
	}
	dmm_policy_free(pol);
	dmm_policy_free(NULL);
	CHECK(dmm_policy_new(&A, 0, 1, 0) == NULL);
}

static void test_default(void)
{
	/* Default profile restricted to a subtype, then to any subtype. */
	static const struct {
		uint8_t def_subtype; /* 0xff: no default */
		uint8_t subtype;
		const char *id;
		int want; /* 0: NULL, 1: default, 2: own profile */
	} rows[] = {
		{0xff, EUI48, "\x02\x11\x22\x33\x44\x07", 0},
		{EUI48, EUI48, "\x02\x11\x22\x33\x44\x07", 1},
		{EUI48, NAI, "stranger@example.net", 0},
		{EUI48, NAI, "alice@example.net", 2},
		{0, NAI, "stranger@example.net", 1},
		{0, EUI48, "\x02\x11\x22\x33\x44\x07", 1},
		{0, NAI, "alice@example.net", 2},
	};
	struct dmm_policy *pol = dmm_policy_new(&A, 16, 4, 6);
	struct dmm_policy_profile own = {.may_register = true}, def = {.may_register = true};

	own.mnid = mnid_str(NAI, "alice@example.net");
	CHECK_EQ(dmm_policy_set(pol, &own), 0);
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct dmm_mnid m = mnid_str(rows[i].subtype, rows[i].id);
		const struct dmm_policy_profile *q;

		if (rows[i].def_subtype == 0xff) {
			CHECK_EQ(dmm_policy_set_default(pol, NULL), 0);
		} else {
			def.mnid.subtype = rows[i].def_subtype;
			CHECK_EQ(dmm_policy_set_default(pol, &def), 0);
		}
		q = dmm_policy_lookup(pol, &m);
		CHECK_EQ(q == NULL ? 0 : q == dmm_policy_get(pol, &own.mnid) ? 2 : 1, rows[i].want);
	}
	CHECK_EQ(dmm_policy_count(pol), 1);
	dmm_policy_free(pol);
}

static void test_mags(void)
{
	struct dmm_policy *pol = dmm_policy_new(&A, 1, 2, 7);
	struct dmm_addr m1 = addr_last(1), m2 = addr_last(2), m3 = addr_last(3);

	CHECK(!dmm_policy_mag_allowed(pol, &m1));
	CHECK_EQ(dmm_policy_add_mag(pol, &m1), 0);
	CHECK_EQ(dmm_policy_add_mag(pol, &m1), 0);
	CHECK_EQ(dmm_policy_add_mag(pol, &m2), 0);
	CHECK_EQ(dmm_policy_add_mag(pol, &m3), DMM_ERR_NOMEM);
	CHECK(dmm_policy_mag_allowed(pol, &m1));
	CHECK(dmm_policy_mag_allowed(pol, &m2));
	CHECK(!dmm_policy_mag_allowed(pol, &m3));
	CHECK_EQ(dmm_policy_del_mag(pol, &m1), 0);
	CHECK_EQ(dmm_policy_del_mag(pol, &m1), DMM_ERR_NOTFOUND);
	CHECK(!dmm_policy_mag_allowed(pol, &m1));
	CHECK_EQ(dmm_policy_add_mag(pol, &m3), 0);
	CHECK(dmm_policy_mag_allowed(pol, &m3));
	dmm_policy_set_allow_any_mag(pol, true);
	CHECK(dmm_policy_mag_allowed(pol, &m1));
	CHECK(dmm_policy_bytes(pol) > 0);
	dmm_policy_free(pol);
}

int main(void)
{
	test_profiles();
	test_default();
	test_mags();
	return check_report("test_policy");
}
