/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Forwarding intents (core/fm.c, ARCHITECTURE.md rule 3): add, delete,
 * lookup and counter reports; ids that are never 0, never reused while
 * stale and always a positive int; owner handles and dmm_fm_del_owner();
 * capacity; the backend's install and remove calls and its refusals.
 */
#include "check.h"
#include "dmm/err.h"
#include "dmm/fm.h"
#include "helpers.h"

static const struct dmm_alloc A = {t_zalloc, t_free, NULL};

/* A backend that records what it was told and can refuse an install. */
struct backend {
	unsigned installs, removes;
	uint32_t last_installed, last_removed;
	int refuse; /* returned by the next install when non-zero */
};

static int be_install(void *ctx, const struct dmm_intent *in)
{
	struct backend *b = ctx;
	int r = b->refuse;

	b->refuse = 0;
	if (r)
		return r;
	b->installs++;
	b->last_installed = in->id;
	return 0;
}

static void be_remove(void *ctx, const struct dmm_intent *in)
{
	struct backend *b = ctx;

	b->removes++;
	b->last_removed = in->id;
}

static struct dmm_handle H(uint32_t idx, uint32_t gen) {
	return (struct dmm_handle){.idx = idx, .gen = gen};
}

static struct dmm_intent
intent(uint8_t action, struct dmm_handle owner, uint32_t n)
{
	struct dmm_intent in = {.match = DMM_FM_DST, .action = action, .owner = owner};

	in.prefix = prefix_n(n, 64);
	in.peer = addr_last((uint8_t)n);
	in.id = 77;	/* ignored by add */
	in.packets = 5; /* ignored */
	in.bytes = 500; /* ignored */
	return in;
}

/*
 * The prefix of an owner's home in the indexed tables here (fm.h
 * dmm_fm_home_prefix_fn): home_pfx[owner.idx % 8], or none for an owner
 * whose entry there has length 255.
 */
static struct dmm_prefix home_pfx[8];

static const struct dmm_prefix *home_prefix(const void *ctx, struct dmm_handle owner)
{
	const struct dmm_prefix *p = &home_pfx[owner.idx % 8];

	(void)ctx;
	return p->len == 255 ? NULL : p;
}

/* Every owner's home has prefix_n(n, 64). */
static void homes(uint32_t n)
{
	for (unsigned i = 0; i < 8; i++)
		home_pfx[i] = prefix_n(n, 64);
}

static struct dmm_fm *new_indexed(uint32_t capacity, uint32_t owner_slots, const struct dmm_fm_ops *ops)
{
	return dmm_fm_new_indexed(&A, capacity, owner_slots, ops, home_prefix, NULL);
}

static void test_new_args(void)
{
	static struct backend b;
	static const struct dmm_fm_ops ops = {.install = be_install, .remove = be_remove, .ctx = &b};
	static const struct dmm_fm_ops no_remove = {.install = be_install, .remove = NULL, .ctx = &b};
	static const struct {
		const struct dmm_alloc *a;
		uint32_t cap;
		const struct dmm_fm_ops *ops;
		bool ok;
	} rows[] = {
		{&A, 1, &ops, true},	{&A, 0, &ops, false}, {&A, (1u << 24) + 1, &ops, false},
		{NULL, 4, &ops, false}, {&A, 4, NULL, false}, {&A, 4, &no_remove, false},
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct dmm_fm *fm = dmm_fm_new(rows[i].a, rows[i].cap, rows[i].ops);

		CHECK_EQ(fm != NULL, rows[i].ok);
		dmm_fm_free(fm);
	}
	dmm_fm_free(NULL);
}

static void test_add_del(void)
{
	struct backend b = {0};
	struct dmm_fm_ops ops = {.install = be_install, .remove = be_remove, .ctx = &b};
	struct dmm_fm *fm = dmm_fm_new(&A, 3, &ops);
	struct dmm_intent in = intent(DMM_FM_ENCAP, H(1, 1), 1);
	const struct dmm_intent *got;
	int id1, id2, id3;

	CHECK(fm != NULL);
	id1 = dmm_fm_add(fm, &in, 1000);
	CHECK(id1 > 0);
	CHECK_EQ(b.installs, 1);
	CHECK_EQ(b.last_installed, (uint32_t)id1); /* the backend sees the new id */
	got = dmm_fm_get(fm, (uint32_t)id1);
	CHECK(got != NULL);
	CHECK_EQ(got->id, (uint32_t)id1);
	CHECK_EQ(got->packets, 0);
	CHECK_EQ(got->bytes, 0);
	CHECK_EQ(got->last_active, 1000);
	CHECK(dmm_prefix_eq(&got->prefix, &in.prefix));
	CHECK_EQ(got->action, DMM_FM_ENCAP);

	/* A refused install keeps nothing and returns the backend's error. */
	b.refuse = DMM_ERR_INVAL;
	CHECK_EQ(dmm_fm_add(fm, &in, 1000), DMM_ERR_INVAL);
	CHECK_EQ(dmm_fm_count(fm), 1);

	id2 = dmm_fm_add(fm, &in, 1000);
	id3 = dmm_fm_add(fm, &in, 1000);
	CHECK(id2 > 0 && id3 > 0 && id2 != id1 && id3 != id1 && id2 != id3);
	CHECK_EQ(dmm_fm_count(fm), 3);
	CHECK_EQ(dmm_fm_add(fm, &in, 1000), DMM_ERR_NOMEM); /* capacity 3 */
	CHECK_EQ(b.installs, 3);

	/* Delete: the backend removes it; a second delete and id 0 are NOTFOUND. */
	CHECK_EQ(dmm_fm_del(fm, (uint32_t)id2), 0);
	CHECK_EQ(b.removes, 1);
	CHECK_EQ(b.last_removed, (uint32_t)id2);
	CHECK_EQ(dmm_fm_del(fm, (uint32_t)id2), DMM_ERR_NOTFOUND);
	CHECK_EQ(dmm_fm_del(fm, 0), DMM_ERR_NOTFOUND);
	CHECK(dmm_fm_get(fm, (uint32_t)id2) == NULL);
	CHECK(dmm_fm_get(fm, 0) == NULL);
	CHECK(dmm_fm_get(fm, 0xffffffffu) == NULL);
	CHECK_EQ(dmm_fm_count(fm), 2);

	/* The slot comes back with a new id; the stale one names nothing. */
	int id4 = dmm_fm_add(fm, &in, 2000);
	CHECK(id4 > 0 && id4 != id2);
	CHECK(dmm_fm_get(fm, (uint32_t)id2) == NULL);
	CHECK_EQ(dmm_fm_report(fm, (uint32_t)id2, 1, 1, 2000), DMM_ERR_NOTFOUND);

	/* Free removes every intent through the backend. */
	dmm_fm_free(fm);
	CHECK_EQ(b.removes, 1 + 3);
}

static void test_report(void)
{
	struct backend b = {0};
	struct dmm_fm_ops ops = {.install = be_install, .remove = be_remove, .ctx = &b};
	struct dmm_fm *fm = dmm_fm_new(&A, 2, &ops);
	struct dmm_intent in = intent(DMM_FM_DECAP, H(2, 1), 2);
	int id = dmm_fm_add(fm, &in, 100);
	/* Absolute counters; last_active moves only when packets grew. */
	static const struct {
		uint64_t packets, bytes;
		dmm_time_t now, active;
	} rows[] = {
		{0, 0, 200, 100},   {3, 300, 300, 300},
		{3, 300, 400, 300}, {3, 360, 500, 300}, /* bytes alone are no activity */
		{9, 900, 600, 600},
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct dmm_intent *got;

		CHECK_EQ(dmm_fm_report(fm, (uint32_t)id, rows[i].packets, rows[i].bytes, rows[i].now), 0);
		got = dmm_fm_get(fm, (uint32_t)id);
		CHECK(got->packets == rows[i].packets && got->bytes == rows[i].bytes);
		CHECK_EQ(got->last_active, rows[i].active);
	}
	CHECK_EQ(dmm_fm_report(fm, (uint32_t)id + 1, 1, 1, 700), DMM_ERR_NOTFOUND);
	dmm_fm_free(fm);
}

static void test_owners(void)
{
	struct backend b = {0};
	struct dmm_fm_ops ops = {.install = be_install, .remove = be_remove, .ctx = &b};
	struct dmm_fm *fm = dmm_fm_new(&A, 8, &ops);
	/* Owner of each added intent; H(1, 2) differs from H(1, 1) only by generation. */
	static const struct {
		uint32_t idx, gen;
	} own[] = {{1, 1}, {2, 1}, {1, 1}, {1, 2}, {1, 1}, {3, 5}};
	int ids[6];
	const struct dmm_intent *in;
	unsigned n;

	for (size_t i = 0; i < 6; i++) {
		struct dmm_intent x = intent(DMM_FM_DELIVER, H(own[i].idx, own[i].gen), (uint32_t)i);

		ids[i] = dmm_fm_add(fm, &x, 0);
		CHECK(ids[i] > 0);
	}
	/* Iteration visits every intent once. */
	n = 0;
	for (in = dmm_fm_next(fm, NULL); in; in = dmm_fm_next(fm, in))
		n++;
	CHECK_EQ(n, 6);
	/* next_owned: exactly the three of H(1, 1). */
	n = 0;
	for (in = dmm_fm_next_owned(fm, H(1, 1), NULL); in; in = dmm_fm_next_owned(fm, H(1, 1), in)) {
		CHECK(in->id == (uint32_t)ids[0] || in->id == (uint32_t)ids[2] || in->id == (uint32_t)ids[4]);
		n++;
	}
	CHECK_EQ(n, 3);
	CHECK(dmm_fm_next_owned(fm, H(9, 9), NULL) == NULL);

	CHECK_EQ(dmm_fm_del_owner(fm, H(1, 1)), 3);
	CHECK_EQ(b.removes, 3);
	CHECK_EQ(dmm_fm_count(fm), 3);
	CHECK(dmm_fm_get(fm, (uint32_t)ids[0]) == NULL);
	CHECK(dmm_fm_get(fm, (uint32_t)ids[3]) != NULL); /* another generation: not the same binding */
	CHECK(dmm_fm_get(fm, (uint32_t)ids[1]) != NULL);
	CHECK_EQ(dmm_fm_del_owner(fm, H(1, 1)), 0);
	CHECK_EQ(dmm_fm_del_owner(fm, H(1, 2)), 1);
	CHECK_EQ(dmm_fm_del_owner(fm, H(3, 5)), 1);
	CHECK_EQ(dmm_fm_count(fm), 1);
	dmm_fm_free(fm);
}

/*
 * One slot reused many times at a large capacity: every id stays a
 * positive int (dmm_fm_add returns it as one), is never 0, and differs
 * from the one before. With capacity 65536 the slot part has 17 bits, so
 * an unmasked generation would reach bit 31 after 16384 reuses.
 */
static void test_id_range(void)
{
	enum { CAP = 65536, REUSES = 20000 };
	struct backend b = {0};
	struct dmm_fm_ops ops = {.install = be_install, .remove = be_remove, .ctx = &b};
	struct dmm_fm *fm = dmm_fm_new(&A, CAP, &ops);
	struct dmm_intent in = intent(DMM_FM_DROP, H(1, 1), 1);
	struct check_loop pos = CHECK_LOOP_INIT("every id of a reused slot is a positive int, new each time");
	int prev = 0;

	CHECK(fm != NULL);
	for (unsigned i = 0; i < REUSES; i++) {
		int id = dmm_fm_add(fm, &in, 0);

		if (!CHECK_LOOP(pos, id > 0 && id != prev && dmm_fm_get(fm, (uint32_t)id) != NULL))
			fprintf(stderr, "reuse %u: id %d (previous %d)\n", i, id, prev);
		if (id > 0)
			dmm_fm_del(fm, (uint32_t)id);
		prev = id;
	}
	CHECK_LOOP_END(pos);
	CHECK_EQ(dmm_fm_count(fm), 0);
	dmm_fm_free(fm);
}

static void test_names(void)
{
	static const struct {
		uint8_t v;
		const char *action, *match;
	} rows[] = {
		{DMM_FM_ENCAP, "encap", "dst"},	  {DMM_FM_DECAP, "decap", "src"},
		{DMM_FM_DELIVER, "deliver", "?"}, {DMM_FM_BUFFER, "buffer", "?"},
		{DMM_FM_DROP, "drop", "?"},	  {200, "?", "?"},
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		CHECK(strcmp(dmm_fm_action_name(rows[i].v), rows[i].action) == 0);
		CHECK(strcmp(dmm_fm_match_name(rows[i].v), rows[i].match) == 0);
	}
}

/*
 * dmm_fm_ensure(): an intent already in place costs no backend call (a
 * refresh); another one in the same place (destination, precedence) is
 * replaced, removed just before its successor is installed; a DECAP from
 * another peer is added beside the old one, which
 * dmm_fm_del_owner_except() removes afterwards.
 */
static void test_ensure(void)
{
	struct backend b = {0};
	struct dmm_fm_ops ops = {.install = be_install, .remove = be_remove, .ctx = &b};
	struct dmm_fm *fm = dmm_fm_new(&A, 8, &ops);
	struct dmm_intent in = intent(DMM_FM_ENCAP, H(1, 1), 1), dc, other;
	const struct dmm_intent *got;
	uint32_t keep[2];
	int id, id2, d1, d2;

	CHECK(fm != NULL);
	id = dmm_fm_ensure(fm, &in, 1000);
	CHECK(id > 0);
	CHECK_EQ(b.installs, 1);
	/* The same forwarding again, with another id and counters in the copy: nothing. */
	for (int k = 0; k < 10; k++) {
		in.id = (uint32_t)k;
		in.packets = (uint64_t)k;
		CHECK_EQ(dmm_fm_ensure(fm, &in, 2000), id);
	}
	CHECK_EQ(b.installs, 1);
	CHECK_EQ(b.removes, 0);
	CHECK_EQ(dmm_fm_get(fm, (uint32_t)id)->last_active, 1000);
	got = dmm_fm_get(fm, (uint32_t)id);
	CHECK(got && dmm_fm_same(got, &in));
	/* Another peer: replaced in place (remove, then install). */
	in.peer = addr_last(9);
	CHECK(!dmm_fm_same(got, &in));
	id2 = dmm_fm_ensure(fm, &in, 3000);
	CHECK(id2 > 0 && id2 != id);
	CHECK_EQ(b.removes, 1);
	CHECK_EQ(b.last_removed, (uint32_t)id);
	CHECK_EQ(b.installs, 2);
	CHECK(dmm_fm_get(fm, (uint32_t)id) == NULL);
	CHECK_EQ(dmm_fm_count(fm), 1);
	/* Another action in the same place (ENCAP -> DROP): replaced too. */
	in.action = DMM_FM_DROP;
	id = dmm_fm_ensure(fm, &in, 3000);
	CHECK(id > 0 && id != id2 && dmm_fm_count(fm) == 1 && b.removes == 2);
	/* Another precedence is another place: added beside it. */
	in.precedence = 5;
	CHECK(dmm_fm_ensure(fm, &in, 3000) > 0);
	CHECK_EQ(dmm_fm_count(fm), 2);
	CHECK_EQ(b.removes, 2);
	/* DECAPs from two peers live side by side until the old one is let go. */
	dc = intent(DMM_FM_DECAP, H(2, 1), 1);
	d1 = dmm_fm_ensure(fm, &dc, 4000);
	dc.peer = addr_last(7);
	d2 = dmm_fm_ensure(fm, &dc, 4000);
	CHECK(d1 > 0 && d2 > 0 && d1 != d2);
	CHECK_EQ(b.removes, 2);
	keep[0] = (uint32_t)d2;
	CHECK_EQ(dmm_fm_del_owner_except(fm, H(2, 1), keep, 1), 1);
	CHECK_EQ(b.last_removed, (uint32_t)d1);
	CHECK(dmm_fm_get(fm, (uint32_t)d2) != NULL);
	CHECK_EQ(dmm_fm_del_owner_except(fm, H(2, 1), keep, 1), 0);
	/* The same forwarding for another owner is its own intent. */
	other = dc;
	other.owner = H(3, 1);
	CHECK(dmm_fm_ensure(fm, &other, 4000) > 0);
	CHECK_EQ(dmm_fm_count(fm), 4);
	/* A refused replacement: the error, and the replaced intent is gone too. */
	other.peer = addr_last(8);
	other.action = DMM_FM_ENCAP;
	CHECK(dmm_fm_ensure(fm, &other, 4000) > 0); /* an ENCAP beside the DECAP */
	other.peer = addr_last(6);
	b.refuse = DMM_ERR_INVAL;
	CHECK_EQ(dmm_fm_ensure(fm, &other, 4000), DMM_ERR_INVAL);
	CHECK_EQ(dmm_fm_count(fm), 4);
	/* Nothing kept: every intent of the owner goes. */
	CHECK_EQ(dmm_fm_del_owner_except(fm, H(1, 1), NULL, 0), 2);
	CHECK_EQ(dmm_fm_count(fm), 2);
	dmm_fm_free(fm);
}

/* A backend with the replace op: what it was asked, in order. */
struct rbackend {
	struct backend b;
	unsigned replaces;
	uint32_t old_id, new_id;
	struct dmm_intent last_in;
	int refuse_replace;
};

static int rbe_replace(void *ctx, const struct dmm_intent *old, const struct dmm_intent *in)
{
	struct rbackend *r = ctx;
	int e = r->refuse_replace;

	r->refuse_replace = 0;
	r->replaces++;
	r->old_id = old->id;
	r->new_id = in->id;
	r->last_in = *in;
	return e;
}

/*
 * dmm_fm_ops.replace: a change in the same place is one backend call that
 * keeps the id and the owner's chain, with counters starting again; a
 * refused replacement returns the error and the intent is gone (the
 * backend no longer executes it: no remove call).
 */
static void test_replace(void)
{
	struct rbackend r = {0};
	struct dmm_fm_ops ops = {
		.install = be_install, .remove = be_remove, .replace = rbe_replace, .ctx = &r};
	struct dmm_fm *fm = dmm_fm_new(&A, 8, &ops);
	struct dmm_intent in = intent(DMM_FM_ENCAP, H(1, 1), 1), dc = intent(DMM_FM_DECAP, H(1, 1), 1);
	const struct dmm_intent *got;
	int id, d, id2;

	CHECK(fm != NULL);
	id = dmm_fm_ensure(fm, &in, 1000);
	d = dmm_fm_ensure(fm, &dc, 1000);
	CHECK(id > 0 && d > 0 && r.b.installs == 2);
	CHECK_EQ(dmm_fm_report(fm, (uint32_t)id, 10, 1000, 1500), 0);
	in.peer = addr_last(9);
	id2 = dmm_fm_ensure(fm, &in, 2000);
	CHECK_EQ(id2, id);
	CHECK_EQ(r.replaces, 1);
	CHECK(r.old_id == (uint32_t)id && r.new_id == (uint32_t)id);
	CHECK(dmm_addr_eq(&r.last_in.peer, &in.peer));
	CHECK(r.b.installs == 2 && r.b.removes == 0);
	got = dmm_fm_get(fm, (uint32_t)id);
	CHECK(got && dmm_fm_same(got, &in) && got->packets == 0 && got->bytes == 0 &&
	      got->last_active == 2000);
	/* The chain is intact: both intents of the owner, oldest first. */
	got = dmm_fm_next_owned(fm, H(1, 1), NULL);
	CHECK(got && got->id == (uint32_t)id);
	got = got ? dmm_fm_next_owned(fm, H(1, 1), got) : NULL;
	CHECK(got && got->id == (uint32_t)d);
	CHECK(got && dmm_fm_next_owned(fm, H(1, 1), got) == NULL);
	/* Unchanged: no call at all. */
	CHECK_EQ(dmm_fm_ensure(fm, &in, 3000), id);
	CHECK_EQ(r.replaces, 1);
	/* Refused: the error; the intent is gone without a remove call; the owner keeps the other one. */
	in.action = DMM_FM_DROP;
	r.refuse_replace = DMM_ERR_INVAL;
	CHECK_EQ(dmm_fm_ensure(fm, &in, 4000), DMM_ERR_INVAL);
	CHECK_EQ(r.replaces, 2);
	CHECK_EQ(r.b.removes, 0);
	CHECK(dmm_fm_get(fm, (uint32_t)id) == NULL);
	CHECK_EQ(dmm_fm_count(fm), 1);
	got = dmm_fm_next_owned(fm, H(1, 1), NULL);
	CHECK(got && got->id == (uint32_t)d && dmm_fm_next_owned(fm, H(1, 1), got) == NULL);
	CHECK_EQ(dmm_fm_del_owner(fm, H(1, 1)), 1);
	CHECK_EQ(r.b.last_removed, (uint32_t)d);
	dmm_fm_free(fm);
}

/* Whether owner's chain holds exactly ids[0..n), in that order. */
static bool chain_is(const struct dmm_fm *fm, struct dmm_handle owner, const uint32_t *ids, unsigned n)
{
	const struct dmm_intent *in = dmm_fm_next_owned(fm, owner, NULL);

	for (unsigned i = 0; i < n; i++, in = dmm_fm_next_owned(fm, owner, in))
		if (!in || in->id != ids[i])
			return false;
	return in == NULL;
}

/* As chain_is(), in any order (an indexed table: the home's intents first). */
static bool chain_has(const struct dmm_fm *fm, struct dmm_handle owner, const uint32_t *ids, unsigned n)
{
	const struct dmm_intent *in = dmm_fm_next_owned(fm, owner, NULL);
	unsigned seen = 0;

	for (; in; in = dmm_fm_next_owned(fm, owner, in), seen++) {
		bool found = false;

		for (unsigned i = 0; i < n && !found; i++)
			found = in->id == ids[i];
		if (!found)
			return false;
	}
	return seen == n;
}

/*
 * The owner chain: many intents of one owner, interleaved with another's,
 * are found oldest first; removing the head, the tail or one in the
 * middle keeps the order; dmm_fm_del_owner() removes oldest first. The
 * same with the owner index by hash and by slot (dmm_fm_new_indexed()).
 */
static void test_owner_chain(bool indexed)
{
	enum { N = 600 };
	static uint32_t ids[N], other[N];
	struct backend b = {0};
	struct dmm_fm_ops ops = {.install = be_install, .remove = be_remove, .ctx = &b};
	struct dmm_fm *fm = indexed ? new_indexed(2 * N, 16, &ops) : dmm_fm_new(&A, 2 * N, &ops);
	unsigned n = N;

	homes(0); /* the first intent of each owner goes home */
	CHECK(fm != NULL);
	for (unsigned i = 0; i < N; i++) {
		struct dmm_intent x = intent(DMM_FM_ENCAP, H(7, 1), i), y = intent(DMM_FM_ENCAP, H(8, 1), i);

		ids[i] = (uint32_t)dmm_fm_add(fm, &x, 0);
		other[i] = (uint32_t)dmm_fm_add(fm, &y, 0);
	}
	CHECK(chain_is(fm, H(7, 1), ids, N) && chain_is(fm, H(8, 1), other, N));
	CHECK(dmm_fm_next_owned(fm, H(7, 2), NULL) == NULL); /* another generation: another owner */
	/* An intent of another owner as prev: nothing. */
	CHECK(dmm_fm_next_owned(fm, H(7, 1), dmm_fm_get(fm, other[0])) == NULL);
	/* Head, tail, middle. */
	CHECK_EQ(dmm_fm_del(fm, ids[0]), 0);
	CHECK_EQ(dmm_fm_del(fm, ids[N - 1]), 0);
	CHECK_EQ(dmm_fm_del(fm, ids[N / 2]), 0);
	memmove(&ids[N / 2], &ids[N / 2 + 1], sizeof(ids[0]) * (N - 2 - N / 2));
	memmove(&ids[0], &ids[1], sizeof(ids[0]) * (N - 3));
	n = N - 3;
	CHECK(chain_is(fm, H(7, 1), ids, n) && chain_is(fm, H(8, 1), other, N));
	/* A new one goes to the end (indexed: a record, its prefix not the home's). */
	{
		struct dmm_intent x = intent(DMM_FM_DROP, H(7, 1), 1);

		ids[n++] = (uint32_t)dmm_fm_add(fm, &x, 0);
	}
	CHECK(indexed ? chain_has(fm, H(7, 1), ids, n) : chain_is(fm, H(7, 1), ids, n));
	b.removes = 0;
	CHECK_EQ(dmm_fm_del_owner(fm, H(7, 1)), n);
	CHECK(indexed || b.last_removed == ids[n - 1]);
	CHECK(chain_is(fm, H(7, 1), NULL, 0) && chain_is(fm, H(8, 1), other, N));
	CHECK_EQ(dmm_fm_count(fm), N);
	/* Every other one of the second owner kept. */
	for (unsigned i = 0; i < N / 2; i++)
		ids[i] = other[2 * i];
	CHECK_EQ(dmm_fm_del_owner_except(fm, H(8, 1), ids, N / 2), N / 2);
	CHECK(chain_is(fm, H(8, 1), ids, N / 2));
	dmm_fm_free(fm);
}

/*
 * dmm_fm_new_owners(): the owner index holds max_owners owners; an intent
 * of one more owner is refused (NOMEM, removed from the backend again),
 * one more intent of a known owner is not. The index is what the smaller
 * table saves, seen in dmm_fm_bytes_per_intent().
 */
static void test_max_owners(void)
{
	struct backend b = {0};
	struct dmm_fm_ops ops = {.install = be_install, .remove = be_remove, .ctx = &b};
	struct dmm_fm *fm = dmm_fm_new_owners(&A, 64, 2, &ops), *full = dmm_fm_new(&A, 64, &ops);
	struct dmm_intent x = intent(DMM_FM_ENCAP, H(1, 1), 1);

	CHECK(fm != NULL && full != NULL);
	if (!fm || !full)
		return;
	CHECK(dmm_fm_add(fm, &x, 0) > 0);
	x.owner = H(2, 1);
	CHECK(dmm_fm_add(fm, &x, 0) > 0);
	x.owner = H(3, 1);
	CHECK_EQ(dmm_fm_add(fm, &x, 0), DMM_ERR_NOMEM);
	CHECK_EQ(b.removes, 1);
	CHECK_EQ(dmm_fm_count(fm), 2);
	x.owner = H(2, 1);
	CHECK(dmm_fm_add(fm, &x, 0) > 0);
	/* An owner gone makes room for another. */
	CHECK_EQ(dmm_fm_del_owner(fm, H(1, 1)), 1);
	x.owner = H(3, 1);
	CHECK(dmm_fm_add(fm, &x, 0) > 0);
	CHECK(dmm_fm_bytes_per_intent(fm) >= sizeof(struct dmm_intent));
	CHECK(dmm_fm_bytes_per_intent(fm) < dmm_fm_bytes_per_intent(full));
	CHECK(dmm_fm_bytes(full) >= 64 * sizeof(struct dmm_intent));
	dmm_fm_free(fm);
	dmm_fm_free(full);
}

/*
 * dmm_fm_new_indexed(): owners by slot. An owner beyond the slots, or a
 * slot still held by another generation, is refused (NOMEM, before the
 * backend is called); once the old generation's intents are gone, the new
 * one takes the slot. The array costs less than a hash index.
 */
static void test_indexed(void)
{
	struct backend b = {0};
	struct dmm_fm_ops ops = {.install = be_install, .remove = be_remove, .ctx = &b};
	struct dmm_fm *fm = new_indexed(64, 4, &ops), *hashed = dmm_fm_new(&A, 64, &ops);
	struct dmm_intent x = intent(DMM_FM_ENCAP, H(3, 1), 1);
	int id;

	homes(1);
	CHECK(fm != NULL && hashed != NULL && new_indexed(64, 0, &ops) == NULL);
	CHECK(dmm_fm_new_indexed(&A, 64, 4, &ops, NULL, NULL) == NULL);
	if (!fm || !hashed)
		return;
	id = dmm_fm_add(fm, &x, 0);
	CHECK(id > 0);
	x.owner = H(4, 1);
	CHECK_EQ(dmm_fm_add(fm, &x, 0), DMM_ERR_NOMEM);
	x.owner = H(3, 2);
	CHECK_EQ(dmm_fm_add(fm, &x, 0), DMM_ERR_NOMEM);
	CHECK_EQ(b.installs, 1); /* refused before the backend is called */
	CHECK_EQ(b.removes, 0);
	CHECK(dmm_fm_next_owned(fm, H(3, 2), NULL) == NULL);
	CHECK(dmm_fm_next_owned(fm, H(3, 1), NULL) != NULL);
	CHECK_EQ(dmm_fm_del(fm, (uint32_t)id), 0);
	CHECK(dmm_fm_add(fm, &x, 0) > 0);
	CHECK(dmm_fm_next_owned(fm, H(3, 1), NULL) == NULL);
	CHECK_EQ(dmm_fm_del_owner(fm, H(3, 2)), 1);
	CHECK(dmm_fm_bytes_per_intent(fm) < dmm_fm_bytes_per_intent(hashed));
	CHECK(dmm_fm_counts(hashed) && !dmm_fm_counts(fm));
	dmm_fm_free(fm);
	dmm_fm_free(hashed);
}

/*
 * The homes of an indexed table, in an LMA's handoff: downlink and uplink
 * of a prefix in the owner's home take no record; a second uplink (the
 * new MAG's, added before the old one goes) takes a record, and moves
 * into the home, id kept, when the old uplink leaves, so the records are
 * free again. An intent with another prefix or a link takes a record.
 * Ids, copies and the walk are as with records. The table keeps no
 * counters: a report of a live id is taken (0) and read back as 0, of a
 * gone one refused.
 */
static void test_home(void)
{
	struct rbackend r = {0};
	struct dmm_fm_ops ops = {
		.install = be_install, .remove = be_remove, .replace = rbe_replace, .ctx = &r};
	struct dmm_fm *fm = new_indexed(2, 8, &ops);
	struct dmm_intent dl = intent(DMM_FM_ENCAP, H(5, 3), 1), ul = intent(DMM_FM_DECAP, H(5, 3), 1);
	struct dmm_intent ul2 = ul, other = intent(DMM_FM_ENCAP, H(5, 3), 2), lnk = dl;
	const struct dmm_intent *v;
	uint32_t id_dl, id_ul, id_ul2, keep[2];
	unsigned n = 0;

	CHECK(fm != NULL);
	if (!fm)
		return;
	homes(1);
	home_pfx[6] = prefix_n(3, 64);
	ul.match = DMM_FM_SRC;
	ul2.match = DMM_FM_SRC;
	ul2.peer = addr_last(99);
	id_dl = (uint32_t)dmm_fm_ensure(fm, &dl, 10);
	id_ul = (uint32_t)dmm_fm_ensure(fm, &ul, 10);
	CHECK_EQ(dmm_fm_records_room(fm), 2); /* both in the home */
	CHECK(id_dl > 0 && id_ul > 0 && id_dl != id_ul);
	CHECK_EQ(dmm_fm_report(fm, id_ul, 7, 700, 20), 0);
	/* The handoff: the downlink replaced in place, the new uplink beside the old one, then the old one goes. */
	dl.peer = ul2.peer;
	CHECK_EQ((uint32_t)dmm_fm_ensure(fm, &dl, 30), id_dl);
	id_ul2 = (uint32_t)dmm_fm_ensure(fm, &ul2, 30);
	CHECK_EQ(dmm_fm_records_room(fm), 1);
	CHECK_EQ(dmm_fm_report(fm, id_ul2, 3, 300, 40), 0);
	CHECK(!dmm_fm_counts(fm));
	v = dmm_fm_get(fm, id_ul2); /* in a record */
	CHECK(v && v->packets == 0 && v->bytes == 0 && v->last_active == 0);
	keep[0] = id_dl, keep[1] = id_ul2;
	CHECK_EQ(dmm_fm_del_owner_except(fm, H(5, 3), keep, 2), 1);
	CHECK_EQ(r.b.last_removed, id_ul);
	CHECK_EQ(dmm_fm_records_room(fm), 2); /* the new uplink moved into the home */
	v = dmm_fm_get(fm, id_ul2);
	CHECK(v && dmm_fm_same(v, &ul2) && v->packets == 0 && v->bytes == 0 && v->last_active == 0);
	CHECK(dmm_fm_get(fm, id_ul) == NULL);
	CHECK_EQ(dmm_fm_report(fm, id_ul, 1, 1, 50), DMM_ERR_NOTFOUND);
	CHECK(dmm_fm_next_owned(fm, H(5, 4), NULL) == NULL); /* another generation */
	/* Another prefix and a link go to records; the walk sees all four once. */
	lnk.link = 9;
	lnk.precedence = 7;
	CHECK(dmm_fm_add(fm, &other, 50) > 0);
	CHECK(dmm_fm_add(fm, &lnk, 50) > 0);
	CHECK_EQ(dmm_fm_records_room(fm), 0);
	{
		struct dmm_intent more = intent(DMM_FM_DROP, H(5, 3), 3); /* a third prefix: no record left */

		CHECK_EQ(dmm_fm_add(fm, &more, 50), DMM_ERR_NOMEM);
		more.owner = H(6, 1); /* another owner's home */
		CHECK(dmm_fm_add(fm, &more, 50) > 0);
	}
	for (v = dmm_fm_next(fm, NULL); v; v = dmm_fm_next(fm, v))
		n++;
	CHECK_EQ(n, 5);
	CHECK_EQ(dmm_fm_count(fm), 5);
	CHECK_EQ(dmm_fm_del_owner(fm, H(5, 3)), 4);
	CHECK_EQ(dmm_fm_count(fm), 1);
	dmm_fm_free(fm);
}

/*
 * The home's prefix is its owner's word (dmm_fm_home_prefix_fn), not the
 * first intent's: an intent of another prefix takes a record even when
 * the home is empty, one of the owner's prefix added later goes home
 * and comes first, built with that prefix; when it goes, the other one
 * does not move in; an owner that names no prefix has its intents in
 * records. The backend gets every intent back at the end.
 */
static void test_home_prefix(void)
{
	struct backend b = {0};
	struct dmm_fm_ops ops = {.install = be_install, .remove = be_remove, .ctx = &b};
	struct dmm_fm *fm = new_indexed(4, 4, &ops);
	struct dmm_intent x = intent(DMM_FM_ENCAP, H(1, 1), 2), y = intent(DMM_FM_ENCAP, H(1, 1), 1);
	const struct dmm_intent *v;
	int idx, idy;

	CHECK(fm != NULL);
	if (!fm)
		return;
	homes(1);
	home_pfx[2].len = 255; /* owner 2 names none */
	idx = dmm_fm_add(fm, &x, 0);
	CHECK(idx > 0);
	CHECK_EQ(dmm_fm_records_room(fm), 3);
	idy = dmm_fm_add(fm, &y, 0);
	CHECK(idy > 0);
	CHECK_EQ(dmm_fm_records_room(fm), 3); /* in the home */
	v = dmm_fm_next_owned(fm, H(1, 1), NULL);
	CHECK(v && v->id == (uint32_t)idy && dmm_fm_same(v, &y));
	v = dmm_fm_next_owned(fm, H(1, 1), v);
	CHECK(v && v->id == (uint32_t)idx && dmm_fm_same(v, &x));
	CHECK_EQ(dmm_fm_del(fm, (uint32_t)idy), 0);
	CHECK_EQ(dmm_fm_records_room(fm), 3); /* x stays in its record */
	y.owner = H(2, 1);
	CHECK(dmm_fm_add(fm, &y, 0) > 0);
	CHECK_EQ(dmm_fm_records_room(fm), 2);
	v = dmm_fm_next_owned(fm, H(2, 1), NULL);
	CHECK(v && dmm_fm_same(v, &y));
	b.removes = 0;
	dmm_fm_free(fm);
	CHECK_EQ(b.removes, 2);
}

/*
 * A binding that hands off 70,000 times (more than the 2^16 generations
 * of its slot's ids): its downlink, replaced in place, keeps its id the
 * whole time, no new uplink gets that id when the generations come round
 * again, and the records are all free after each handoff.
 */
static void test_home_many_handoffs(void)
{
	struct rbackend r = {0};
	struct dmm_fm_ops ops = {
		.install = be_install, .remove = be_remove, .replace = rbe_replace, .ctx = &r};
	struct dmm_fm *fm = new_indexed(4, 4, &ops);
	struct dmm_intent dl = intent(DMM_FM_ENCAP, H(2, 1), 1), ul = intent(DMM_FM_DECAP, H(2, 1), 1);
	uint32_t id_dl, keep[2];
	unsigned bad = 0;

	homes(1);
	CHECK(fm != NULL);
	if (!fm)
		return;
	ul.match = DMM_FM_SRC;
	id_dl = (uint32_t)dmm_fm_ensure(fm, &dl, 0);
	(void)dmm_fm_ensure(fm, &ul, 0);
	for (uint32_t i = 0; i < 70000 && !bad; i++) {
		const struct dmm_intent *v;

		dl.peer = ul.peer = addr_last((uint8_t)(2 - i % 2)); /* a new MAG each time: 2, 1, 2, ... */
		keep[0] = (uint32_t)dmm_fm_ensure(fm, &dl, i);
		keep[1] = (uint32_t)dmm_fm_ensure(fm, &ul, i);
		bad += keep[0] != id_dl || keep[1] == id_dl || (int32_t)keep[1] <= 0;
		bad += dmm_fm_del_owner_except(fm, H(2, 1), keep, 2) != 1;
		v = dmm_fm_get(fm, id_dl);
		bad += !v || v->action != DMM_FM_ENCAP || dmm_fm_records_room(fm) != 4 ||
		       dmm_fm_count(fm) != 2;
	}
	CHECK_EQ(bad, 0);
	dmm_fm_free(fm);
}

/*
 * An indexed table against a hashed one, random operations of an LMA's
 * kinds (ensure, keep some, report, remove an owner) on a few owners:
 * both hold the same intents (compared by what they forward; the indexed
 * one counts nothing), whatever moved into a home.
 */
static void test_home_random(void)
{
	enum { OWNERS = 6, OPS = 4000 };
	struct backend b1 = {0}, b2 = {0};
	struct dmm_fm_ops o1 = {.install = be_install, .remove = be_remove, .ctx = &b1};
	struct dmm_fm_ops o2 = {.install = be_install, .remove = be_remove, .ctx = &b2};
	struct dmm_fm *ix = new_indexed(64, OWNERS, &o1), *hs = dmm_fm_new(&A, 256, &o2);
	uint64_t rng = 12345;
	unsigned bad = 0;

	homes(1);
	CHECK(ix && hs);
	for (int op = 0; ix && hs && op < OPS && !bad; op++) {
		uint32_t o = (uint32_t)((rng = rng * 6364136223846793005ull + 1442695040888963407ull) >> 33) %
			     OWNERS;
		uint32_t r = (uint32_t)(rng >> 45) % 100, n = (uint32_t)(rng >> 20) % 3;
		struct dmm_intent in = intent(r % 2 ? DMM_FM_DECAP : DMM_FM_ENCAP, H(o, 1), n);
		const struct dmm_intent *a, *c;
		int i1, i2;

		in.match = r % 2 ? DMM_FM_SRC : DMM_FM_DST;
		in.peer = addr_last((uint8_t)(1 + (rng >> 40) % 3));
		if (r < 60) {
			i1 = dmm_fm_ensure(ix, &in, (dmm_time_t)op);
			i2 = dmm_fm_ensure(hs, &in, (dmm_time_t)op);
			bad += (i1 > 0) != (i2 > 0);
			if (i1 > 0 && i2 > 0)
				bad += dmm_fm_report(ix, (uint32_t)i1, (uint64_t)op, 1, 5) != 0 ||
				       dmm_fm_report(hs, (uint32_t)i2, (uint64_t)op, 1, 5) != 0;
		} else if (r < 90) {
			/* Remove the owner's first intent (by what it forwards) from both. */
			a = dmm_fm_next_owned(ix, H(o, 1), NULL);
			for (c = a ? dmm_fm_next_owned(hs, H(o, 1), NULL) : NULL; c && !dmm_fm_same(a, c);)
				c = dmm_fm_next_owned(hs, H(o, 1), c);
			bad += (a != NULL) != (c != NULL);
			if (a && c)
				bad += dmm_fm_del(hs, c->id) != 0 || dmm_fm_del(ix, a->id) != 0;
		} else {
			bad += dmm_fm_del_owner(ix, H(o, 1)) != dmm_fm_del_owner(hs, H(o, 1));
		}
		bad += dmm_fm_count(ix) != dmm_fm_count(hs);
		/* Every intent of the indexed table is in the hashed one; its counters read 0. */
		for (a = dmm_fm_next(ix, NULL); a && !bad; a = dmm_fm_next(ix, a)) {
			for (c = dmm_fm_next_owned(hs, a->owner, NULL); c && !dmm_fm_same(a, c);)
				c = dmm_fm_next_owned(hs, a->owner, c);
			bad += !c || a->packets != 0 || a->bytes != 0 || dmm_fm_get(ix, a->id) == NULL;
		}
	}
	CHECK_EQ(bad, 0);
	CHECK_EQ(b1.installs - b1.removes, b2.installs - b2.removes);
	dmm_fm_free(ix);
	dmm_fm_free(hs);
}

/*
 * The compact records (core/fm.c): tunnel ends are numbers in a table of
 * capacity + 2 addresses, each held once while an intent names it. An
 * add that would need one more address than the table holds fails with
 * DMM_ERR_NOMEM before the backend is called, and leaves nothing; an
 * address comes back when its last intent goes. The intents callers get
 * are copies in 4 views used in turn.
 */
static void test_addresses(void)
{
	struct backend b = {0};
	struct dmm_fm_ops ops = {.install = be_install, .remove = be_remove, .ctx = &b};
	struct dmm_fm *fm = dmm_fm_new(&A, 3, &ops); /* 5 addresses */
	struct dmm_intent in = intent(DMM_FM_ENCAP, H(1, 1), 1);
	const struct dmm_intent *v[5];
	int id[3];

	CHECK(fm != NULL);
	if (!fm)
		return;
	for (int i = 0; i < 2; i++) {
		in.local = addr_last((uint8_t)(100 + 2 * i));
		in.peer = addr_last((uint8_t)(101 + 2 * i));
		id[i] = dmm_fm_add(fm, &in, 1000); /* 2 new addresses each: 4 held */
		CHECK(id[i] > 0);
	}
	in.local = addr_last(110);
	in.peer = addr_last(111);
	CHECK_EQ(dmm_fm_add(fm, &in, 1000), DMM_ERR_NOMEM); /* 6 > 5 */
	CHECK_EQ(b.installs, 2);
	CHECK_EQ(dmm_fm_count(fm), 2);
	in.local = addr_last(100); /* held already: one new address */
	id[2] = dmm_fm_add(fm, &in, 1000);
	CHECK(id[2] > 0);
	v[0] = dmm_fm_get(fm, (uint32_t)id[2]);
	CHECK(v[0] && dmm_addr_eq(&v[0]->local, &in.local) && dmm_addr_eq(&v[0]->peer, &in.peer));
	/* The first intent goes: its peer (101) is free again, its local (100) is still held. */
	CHECK_EQ(dmm_fm_del(fm, (uint32_t)id[0]), 0);
	CHECK_EQ(dmm_fm_del(fm, (uint32_t)id[2]), 0);
	in.local = addr_last(120);
	in.peer = addr_last(121);
	id[0] = dmm_fm_add(fm, &in, 1000);
	CHECK(id[0] > 0);
	v[1] = dmm_fm_get(fm, (uint32_t)id[1]);
	struct dmm_addr a102 = addr_last(102);

	CHECK(v[1] && dmm_addr_eq(&v[1]->local, &a102));
	/* Four views in turn: the fifth copy lands where the first was. */
	for (int i = 0; i < 5; i++)
		v[i] = dmm_fm_get(fm, (uint32_t)id[i % 2]);
	CHECK(v[4] == v[0] && v[1] != v[0] && v[2] != v[0] && v[3] != v[0]);
	CHECK_EQ(v[4]->id, (uint32_t)id[0]);
	dmm_fm_free(fm);
}

int main(void)
{
	test_new_args();
	test_add_del();
	test_addresses();
	test_report();
	test_owners();
	test_id_range();
	test_names();
	test_ensure();
	test_replace();
	test_owner_chain(false);
	test_owner_chain(true);
	test_indexed();
	test_home();
	test_home_prefix();
	test_home_random();
	test_home_many_handoffs();
	test_max_owners();
	return check_report("test_fm");
}
