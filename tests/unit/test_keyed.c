/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The keyed slot table under the binding cache and the binding update
 * list (core/state/keyed.c, through its internal header): handles and
 * generations (ARCHITECTURE.md rule 4), the MN-ID multimap, prefixes that
 * belong to one entry only, capacity of entries and of prefixes, and
 * random churn against a shadow model.
 */
#include <stddef.h>

#include "../../core/state/keyed.h"
#include "check.h"
#include "dmm/err.h"
#include "helpers.h"

static const struct dmm_alloc A = {t_zalloc, t_free, NULL};

/* An entry as a typed table would lay it out, with something of its own. */
struct ent {
	uint32_t payload;
	struct dmm_handle h;
	struct dmm_mnid mnid;
	uint8_t nhnp;
	struct dmm_prefix hnp[3];
};

static const struct keyed_layout L = {
	.size = sizeof(struct ent),
	.off_handle = offsetof(struct ent, h),
	.off_mnid = offsetof(struct ent, mnid),
	.off_nhnp = offsetof(struct ent, nhnp),
	.off_hnp = offsetof(struct ent, hnp),
	.max_hnp = 3,
};

static void test_basics(void)
{
	struct keyed k;
	struct dmm_mnid m1 = nai("mn1@example.com"), m2 = eui48(2), empty = {0};
	struct dmm_handle h1, h2, h1b;
	struct ent *e1, *e2, *e1b;

	CHECK_EQ(keyed_init(&k, &A, 0, 0, 1, &L), DMM_ERR_INVAL);
	CHECK_EQ(keyed_init(&k, &A, 3, 4, 0xfeed, &L), 0);
	CHECK(keyed_bytes(&k) >= 3 * sizeof(struct ent));
	CHECK(keyed_add(&k, &empty, NULL) == NULL); /* an empty MN-ID keys nothing */

	e1 = keyed_add(&k, &m1, &h1);
	CHECK(e1 != NULL);
	CHECK_EQ(h1.idx, 0); /* a fresh table fills from the front */
	CHECK(e1->h.idx == h1.idx && e1->h.gen == h1.gen);
	CHECK(keyed_live(&k, e1));
	CHECK(dmm_mnid_eq(&e1->mnid, &m1));
	CHECK_EQ(e1->nhnp, 0);
	e1->payload = 111;
	CHECK(keyed_get(&k, h1) == e1);
	CHECK(keyed_find_mnid(&k, &m1) == e1);
	CHECK(keyed_find_mnid(&k, &m2) == NULL);

	/* The same MN-ID twice: a multimap, walked with find_mnid_next. */
	e1b = keyed_add(&k, &m1, &h1b);
	CHECK(e1b != NULL && e1b != e1);
	CHECK_EQ(e1b->payload, 0); /* zeroed */
	{
		unsigned n = 0;
		bool saw1 = false, saw1b = false;

		for (struct ent *e = keyed_find_mnid(&k, &m1); e; e = keyed_find_mnid_next(&k, e)) {
			saw1 |= e == e1;
			saw1b |= e == e1b;
			n++;
		}
		CHECK(n == 2 && saw1 && saw1b);
	}
	e2 = keyed_add(&k, &m2, &h2);
	CHECK(e2 != NULL);
	CHECK(keyed_add(&k, &m2, NULL) == NULL); /* capacity 3 */
	CHECK_EQ(k.count, 3);

	keyed_fini(&k);
}

/* Three entries: e1 and e1b under one NAI, e2 under an EUI-48; room for 4 prefixes. */
static void three(struct keyed *k, struct ent **e1, struct ent **e1b, struct ent **e2, struct dmm_handle *h1)
{
	struct dmm_mnid m1 = nai("mn1@example.com"), m2 = eui48(2);

	CHECK_EQ(keyed_init(k, &A, 3, 4, 0xfeed, &L), 0);
	*e1 = keyed_add(k, &m1, h1);
	*e1b = keyed_add(k, &m1, NULL);
	*e2 = keyed_add(k, &m2, NULL);
	CHECK(*e1 != NULL && *e1b != NULL && *e2 != NULL);
}

static void test_prefixes(void)
{
	struct keyed k;
	struct dmm_mnid m1 = nai("mn1@example.com"), m2 = eui48(2);
	struct dmm_handle h1;
	struct ent *e1, *e2, *e1b;

	three(&k, &e1, &e1b, &e2, &h1);
	/* Prefixes: one owner each, up to max_hnp per entry, up to prefix_capacity in all. */
	struct dmm_prefix p[6];
	for (unsigned i = 0; i < 6; i++)
		p[i] = prefix_n(i + 1, 64);
	static const struct {
		int which; /* 0: e1, 1: e2, 2: e1b */
		unsigned pfx;
		int ret;
	} rows[] = {
		{0, 0, 0},
		{0, 0, DMM_ERR_EXISTS}, /* again */
		{1, 0, DMM_ERR_EXISTS}, /* another entry has it */
		{0, 1, 0},
		{0, 2, 0},
		{0, 3, DMM_ERR_NOMEM}, /* max_hnp 3 */
		{1, 3, 0},
		{2, 4, DMM_ERR_NOMEM}, /* prefix_capacity 4 */
	};
	struct ent *by[] = {e1, e2, e1b};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		CHECK_EQ(keyed_add_prefix(&k, by[rows[i].which], &p[rows[i].pfx]), rows[i].ret);
	struct dmm_prefix bad = p[5];
	bad.len = 129;
	CHECK_EQ(keyed_add_prefix(&k, e2, &bad), DMM_ERR_PREFIX_LEN);
	CHECK(keyed_find_prefix(&k, &p[1]) == e1);
	CHECK(keyed_find_prefix(&k, &p[3]) == e2);
	CHECK(keyed_find_prefix(&k, &p[4]) == NULL);
	struct dmm_prefix p0_48 = p[0];
	p0_48.len = 48;
	CHECK(keyed_find_prefix(&k, &p0_48) == NULL); /* the length is part of the key */

	/* Deleting a prefix keeps the others in order. */
	CHECK_EQ(keyed_del_prefix(&k, e1, &p[1]), 0);
	CHECK_EQ(keyed_del_prefix(&k, e1, &p[1]), DMM_ERR_NOTFOUND);
	CHECK_EQ(e1->nhnp, 2);
	CHECK(dmm_prefix_eq(&e1->hnp[0], &p[0]) && dmm_prefix_eq(&e1->hnp[1], &p[2]));
	CHECK(keyed_find_prefix(&k, &p[2]) == e1);
	CHECK_EQ(keyed_add_prefix(&k, e1b, &p[4]), 0); /* room again */

	/* Deleting an entry takes its keys; its handle goes stale; the slot comes back. */
	keyed_del(&k, e1);
	CHECK(!keyed_live(&k, e1));
	CHECK(keyed_get(&k, h1) == NULL);
	CHECK(keyed_find_prefix(&k, &p[0]) == NULL);
	CHECK(keyed_find_prefix(&k, &p[2]) == NULL);
	CHECK(keyed_find_mnid(&k, &m1) == e1b);
	CHECK(keyed_find_mnid_next(&k, e1b) == NULL);
	CHECK_EQ(k.count, 2);
	keyed_del(&k, e1); /* a dead entry is left alone */
	CHECK_EQ(k.count, 2);
	{
		struct dmm_handle h1c;
		struct ent *e1c = keyed_add(&k, &m2, &h1c);

		CHECK(e1c == e1);		  /* the freed slot */
		CHECK(h1c.gen != h1.gen);	  /* with a new generation */
		CHECK(keyed_get(&k, h1) == NULL); /* the old handle still names nothing */
		CHECK(keyed_get(&k, h1c) == e1c);
		CHECK_EQ(e1c->nhnp, 0);
	}
	/* Iteration sees every live entry once. */
	{
		unsigned n = 0;

		for (struct ent *e = keyed_next(&k, NULL); e; e = keyed_next(&k, e))
			n++;
		CHECK_EQ(n, 3);
	}
	CHECK(keyed_get(&k, (struct dmm_handle){.idx = 99, .gen = 1}) == NULL);
	keyed_fini(&k);
}

/* Random adds, deletes and prefix changes against a shadow of who owns what. */
static void test_churn(void)
{
	enum { CAP = 32, NP = 64, OPS = 4000 };
	static struct ent *own[NP]; /* prefix i -> entry, or NULL */
	static struct dmm_handle live[CAP];
	unsigned nlive = 0;
	uint64_t st = 0xabcdef12345ULL;
	struct keyed k;
	struct check_loop agree = CHECK_LOOP_INIT("the table agrees with a shadow under churn");

	CHECK_EQ(keyed_init(&k, &A, CAP, 2 * CAP, 42, &L), 0);
	for (unsigned op = 0; op < OPS; op++) {
		uint64_t r = xorshift64s(&st);
		unsigned what = (unsigned)(r % 4);
		struct dmm_prefix pf = prefix_n((uint32_t)(r >> 8) % NP + 1, 64);
		unsigned pi = (unsigned)((r >> 8) % NP);

		if (what == 0 && nlive < CAP) {
			struct dmm_mnid m = eui48((uint32_t)(r >> 20) % 8); /* duplicates on purpose */

			CHECK_LOOP(agree, keyed_add(&k, &m, &live[nlive]) != NULL);
			nlive++;
		} else if (what == 1 && nlive > 0) {
			unsigned i = (unsigned)((r >> 40) % nlive);
			struct ent *e = keyed_get(&k, live[i]);

			CHECK_LOOP(agree, e != NULL);
			for (unsigned j = 0; j < NP; j++)
				if (own[j] == e)
					own[j] = NULL;
			keyed_del(&k, e);
			CHECK_LOOP(agree, keyed_get(&k, live[i]) == NULL);
			live[i] = live[--nlive];
		} else if (what == 2 && nlive > 0) {
			struct ent *e = keyed_get(&k, live[(r >> 40) % nlive]);
			int want = own[pi] ? DMM_ERR_EXISTS : e->nhnp >= 3 ? DMM_ERR_NOMEM : 0;

			CHECK_LOOP(agree, keyed_add_prefix(&k, e, &pf) == want);
			if (want == 0)
				own[pi] = e;
		} else if (what == 3 && own[pi]) {
			CHECK_LOOP(agree, keyed_del_prefix(&k, own[pi], &pf) == 0);
			own[pi] = NULL;
		}
		for (unsigned j = 0; j < NP; j++) {
			struct dmm_prefix q = prefix_n(j + 1, 64);

			if (!CHECK_LOOP(agree, keyed_find_prefix(&k, &q) == own[j]))
				fprintf(stderr, "op %u: prefix %u\n", op, j);
		}
		CHECK_LOOP(agree, k.count == nlive);
	}
	CHECK_LOOP_END(agree);
	keyed_fini(&k);
}

int main(void)
{
	test_basics();
	test_prefixes();
	test_churn();
	return check_report("test_keyed");
}
