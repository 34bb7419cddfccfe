/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Timers: ordering, replace, cancel, pop, checked against a brute-force shadow. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "dmm/err.h"
#include "dmm/timers.h"
#include "helpers.h"

static const struct dmm_alloc A = {t_zalloc, t_free, NULL};

/* xorshift64*: deterministic, so a failure replays. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rnd(void)
{
	return xorshift64s(&rng_state);
}

static struct dmm_handle H(uint32_t idx, uint32_t gen) {
	return (struct dmm_handle){.idx = idx, .gen = gen};
}

static void
test_table(void)
{
	/* Ops in order; after each, the expected next deadline. */
	static const struct {
		char op; /* s: set, c: cancel */
		unsigned kind;
		uint32_t idx, gen;
		dmm_time_t deadline;
		int ret;
		dmm_time_t next;
	} ops[] = {
		{'s', DMM_TIMER_BCE_EXPIRE, 1, 1, 50, 0, 50},
		{'s', DMM_TIMER_PBU_RETX, 1, 1, 30, 0, 30},
		{'s', DMM_TIMER_BCE_EXPIRE, 2, 1, 10, 0, 10},
		{'s', DMM_TIMER_BCE_EXPIRE, 2, 1, 70, 0, 30},		    /* replace: later */
		{'s', DMM_TIMER_BCE_EXPIRE, 1, 3, 20, 0, 20},		    /* replace, new generation */
		{'c', DMM_TIMER_BCE_EXPIRE, 1, 1, 0, DMM_ERR_NOTFOUND, 20}, /* old gen */
		{'c', DMM_TIMER_HEARTBEAT, 1, 1, 0, DMM_ERR_NOTFOUND, 20},
		{'s', DMM_TIMER_HEARTBEAT, 9, 1, 40, 0, 20},
		{'c', DMM_TIMER_BCE_EXPIRE, 1, 3, 0, 0, 30},
		{'s', DMM_TIMER_HEARTBEAT, 9, 1, DMM_TIME_NEVER, 0, 30}, /* NEVER cancels */
		{'s', 256, 9, 1, 5, DMM_ERR_INVAL, 30},
		{'s', DMM_TIMER_BUL_REFRESH, 3, 1, 70, 0, 30},
	};
	/* Then pops come out in this order (equal deadlines: setting order). */
	static const struct {
		unsigned kind;
		uint32_t idx;
		dmm_time_t at;
	} pops[] = {
		{DMM_TIMER_PBU_RETX, 1, 30},
		{DMM_TIMER_BCE_EXPIRE, 2, 70},
		{DMM_TIMER_BUL_REFRESH, 3, 70},
	};
	struct dmm_timers *t = dmm_timers_new(&A, 4);
	unsigned kind;
	struct dmm_handle h;

	CHECK(t != NULL);
	CHECK_EQ(dmm_timers_next(t), DMM_TIME_NEVER);
	CHECK_EQ(dmm_timers_pop_expired(t, 1000, &kind, &h), 0);
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		int r;

		if (ops[i].op == 's')
			r = dmm_timers_set(t, ops[i].kind, H(ops[i].idx, ops[i].gen), ops[i].deadline);
		else
			r = dmm_timers_cancel(t, ops[i].kind, H(ops[i].idx, ops[i].gen));
		CHECK_EQ(r, ops[i].ret);
		CHECK_EQ(dmm_timers_next(t), ops[i].next);
	}
	CHECK_EQ(dmm_timers_count(t), 3);
	CHECK_EQ(dmm_timers_get(t, DMM_TIMER_BCE_EXPIRE, H(2, 1)), 70);
	CHECK_EQ(dmm_timers_get(t, DMM_TIMER_BCE_EXPIRE, H(2, 2)), DMM_TIME_NEVER);
	CHECK_EQ(dmm_timers_pop_expired(t, 29, &kind, &h), 0);
	for (size_t i = 0; i < sizeof(pops) / sizeof(pops[0]); i++) {
		CHECK_EQ(dmm_timers_pop_expired(t, pops[i].at, &kind, &h), 1);
		CHECK_EQ(kind, pops[i].kind);
		CHECK_EQ(h.idx, pops[i].idx);
	}
	CHECK_EQ(dmm_timers_pop_expired(t, DMM_TIME_NEVER - 1, NULL, NULL), 0);
	CHECK_EQ(dmm_timers_count(t), 0);

	/* Full set. */
	for (uint32_t i = 0; i < 4; i++)
		CHECK_EQ(dmm_timers_set(t, 0, H(i, 1), 100 + i), 0);
	CHECK_EQ(dmm_timers_set(t, 0, H(9, 1), 1), DMM_ERR_NOMEM);
	CHECK_EQ(dmm_timers_set(t, 0, H(3, 1), 1), 0); /* replacing needs no room */
	CHECK_EQ(dmm_timers_next(t), 1);
	CHECK_EQ(dmm_timers_capacity(t), 4);
	/* A cancelled timer's room serves the next one, once. */
	CHECK_EQ(dmm_timers_cancel(t, 0, H(0, 1)), 0);
	CHECK_EQ(dmm_timers_set(t, 0, H(9, 1), 2), 0);
	CHECK_EQ(dmm_timers_set(t, 0, H(10, 1), 3), DMM_ERR_NOMEM);
	CHECK_EQ(dmm_timers_pop_expired(t, 1, &kind, &h), 1);
	CHECK(kind == 0 && h.idx == 3);
	CHECK_EQ(dmm_timers_set(t, 0, H(10, 1), 3), 0);
	CHECK_EQ(dmm_timers_count(t), 4);
	CHECK(dmm_timers_bytes(t) > 0);
	dmm_timers_free(t);
	dmm_timers_free(NULL);
	CHECK(dmm_timers_new(&A, 0) == NULL);
}

/* A random multiplier for times: 1 (maxshift 0) or a power of two up to 2^maxshift. */
static uint64_t spread(unsigned maxshift)
{
	return maxshift ? 1ull << (rnd() % (maxshift + 1)) : 1;
}

/*
 * Random ops against a brute-force shadow indexed by (kind, idx). With
 * maxshift 0 the deadlines are few and close (ties are common); with a
 * larger one they spread over every level of the wheel (ticks of 2^20 ns).
 */
/*
 * Random operations against the shadow; with direct, kinds 0 and 1 of
 * slots below IDX - 50 use direct records (dmm_timers_make_direct()),
 * both kinds of a slot armed at once often, so timers spill to the
 * shared records too. With direct 2, kinds 0 and 2 of those slots have
 * a record each (dmm_timers_make_direct_kinds()).
 */
static void test_random(unsigned maxshift, int direct)
{
	enum { KINDS = 4, IDX = 300, OPS = 60000, CAP = KINDS * IDX };
	static struct {
		bool armed;
		uint32_t gen;
		dmm_time_t deadline;
		uint64_t order;
	} sh[KINDS][IDX];
	struct dmm_timers *t = dmm_timers_new(&A, direct ? 1 : CAP);
	dmm_time_t now = 0;
	uint64_t order = 0;
	unsigned bad = 0, pops = 0;

	memset(sh, 0, sizeof(sh));
	if (direct == 1)
		CHECK_EQ(dmm_timers_make_direct(t, CAP, IDX - 50, 3u), 0);
	if (direct == 2)
		CHECK_EQ(dmm_timers_make_direct_kinds(t, CAP, IDX - 50, 5u), 0);
	CHECK_EQ(dmm_timers_capacity(t), CAP);
	for (int op = 0; op < OPS; op++) {
		unsigned k = (unsigned)(rnd() % KINDS);
		uint32_t i = (uint32_t)(rnd() % IDX), gen = 1 + (uint32_t)(rnd() % 3);
		uint64_t r = rnd() % 100;

		if (r < 55) {
			/* Few distinct deadlines, so ties are common. */
			dmm_time_t d = now + rnd() % 64 * spread(maxshift);

			bad += dmm_timers_set(t, k, H(i, gen), d) != 0;
			sh[k][i].armed = true;
			sh[k][i].gen = gen;
			sh[k][i].deadline = d;
			sh[k][i].order = order++;
		} else if (r < 70) {
			int want = sh[k][i].armed && sh[k][i].gen == gen ? 0 : DMM_ERR_NOTFOUND;

			bad += dmm_timers_cancel(t, k, H(i, gen)) != want;
			if (!want)
				sh[k][i].armed = false;
		} else if (r < 75) {
			dmm_time_t want =
				sh[k][i].armed && sh[k][i].gen == gen ? sh[k][i].deadline : DMM_TIME_NEVER;

			bad += dmm_timers_get(t, k, H(i, gen)) != want;
		} else {
			unsigned kind;
			struct dmm_handle h;

			now += rnd() % 8 * spread(maxshift);
			for (;;) {
				int bk = -1, bi = -1;

				for (int a = 0; a < KINDS; a++)
					for (int b = 0; b < IDX; b++) {
						if (!sh[a][b].armed || sh[a][b].deadline > now)
							continue;
						if (bk < 0 || sh[a][b].deadline < sh[bk][bi].deadline ||
						    (sh[a][b].deadline == sh[bk][bi].deadline &&
						     sh[a][b].order < sh[bk][bi].order)) {
							bk = a;
							bi = b;
						}
					}
				if (bk < 0) {
					bad += dmm_timers_pop_expired(t, now, &kind, &h) != 0;
					break;
				}
				if (dmm_timers_pop_expired(t, now, &kind, &h) != 1 || kind != (unsigned)bk ||
				    h.idx != (uint32_t)bi || h.gen != sh[bk][bi].gen) {
					bad++;
					break;
				}
				sh[bk][bi].armed = false;
				pops++;
			}
		}
		{
			dmm_time_t min = DMM_TIME_NEVER;
			uint32_t n = 0;

			for (int a = 0; a < KINDS; a++)
				for (int b = 0; b < IDX; b++)
					if (sh[a][b].armed) {
						n++;
						if (sh[a][b].deadline < min)
							min = sh[a][b].deadline;
					}
			bad += dmm_timers_next(t) != min || dmm_timers_count(t) != n;
		}
		if (bad)
			break;
	}
	CHECK_EQ(bad, 0);
	CHECK(pops > 1000);
	dmm_timers_free(t);
}

/* 2*10^6 timers: set, replace a quarter, cancel a quarter, drain in order. */
static void test_scale(void)
{
	enum { N = 2000000 };
	struct dmm_timers *t = dmm_timers_new(&A, N);
	unsigned bad = 0;
	uint32_t popped = 0;
	unsigned kind;
	struct dmm_handle h;

	for (uint32_t i = 0; i < N; i++)
		bad += dmm_timers_set(t, i & 1, H(i / 2, 1), rnd() % (1000 * DMM_SECOND)) != 0;
	for (uint32_t i = 0; i < N; i += 4)
		bad += dmm_timers_set(t, i & 1, H(i / 2, 1), rnd() % (1000 * DMM_SECOND)) != 0;
	for (uint32_t i = 1; i < N; i += 4)
		bad += dmm_timers_cancel(t, i & 1, H(i / 2, 1)) != 0;
	CHECK_EQ(bad, 0);
	CHECK_EQ(dmm_timers_count(t), N - N / 4);
	for (dmm_time_t prev = 0, d; (d = dmm_timers_next(t)) != DMM_TIME_NEVER; prev = d) {
		bad += d < prev;
		bad += dmm_timers_pop_expired(t, d, &kind, &h) != 1;
		popped++;
		if (h.idx * 2 + kind >= N)
			bad++;
	}
	CHECK_EQ(popped, N - N / 4);
	CHECK_EQ(bad, 0);
	dmm_timers_free(t);
}

/*
 * Refreshes in the order of expiry (how MAGs refresh: each binding a
 * fixed time before its lifetime ends, so the earliest one first), with
 * the earliest deadline asked after each: the deadline is exact every
 * time, and the wheel's work (dmm_timers_work()) stays a few records a
 * refresh however many timers share the first bucket. A rescan of that
 * bucket at each ask would visit each of the N records about N / 2
 * times.
 */
static void test_refresh_in_order(void)
{
	enum { N = 100000 };
	const dmm_time_t life = 600 * DMM_SECOND, gap = 20 * DMM_USEC;
	struct dmm_timers *t = dmm_timers_new(&A, N);
	unsigned bad = 0;
	uint64_t w0;

	CHECK_EQ(dmm_timers_make_direct(t, N + 64, N, 1u << DMM_TIMER_BCE_EXPIRE), 0);
	for (uint32_t i = 0; i < N; i++)
		bad += dmm_timers_set(t, DMM_TIMER_BCE_EXPIRE, H(i, 1), (dmm_time_t)i * gap + life) != 0;
	bad += dmm_timers_next(t) != life;
	w0 = dmm_timers_work(t);
	/* The refresh of binding i comes 30 s later than its registration, for another lifetime. */
	for (uint32_t i = 0; i < N; i++) {
		dmm_time_t now = (dmm_time_t)i * gap + 30 * DMM_SECOND;

		bad += dmm_timers_set(t, DMM_TIMER_BCE_EXPIRE, H(i, 1), now + life) != 0;
		bad += dmm_timers_next(t) !=
		       (i + 1 < N ? (dmm_time_t)(i + 1) * gap + life : 30 * DMM_SECOND + life);
		bad += dmm_timers_pop_expired(t, now, NULL, NULL) != 0;
	}
	CHECK_EQ(bad, 0);
	CHECK_EQ(dmm_timers_count(t), N);
	CHECK(dmm_timers_work(t) - w0 <= 16ull * N);
	dmm_timers_free(t);
}

/* Deadlines come out non-decreasing over a large heap. */
static void test_order(void)
{
	enum { N = 300000 };
	struct dmm_timers *t = dmm_timers_new(&A, N);
	unsigned bad = 0;
	dmm_time_t prev = 0, now;

	for (uint32_t i = 0; i < N; i++)
		bad += dmm_timers_set(t, 3, H(i, 7), 1 + rnd() % 100000) != 0;
	for (now = 0; dmm_timers_count(t); now += 50) {
		unsigned kind;
		struct dmm_handle h;

		while (dmm_timers_next(t) <= now) {
			dmm_time_t d = dmm_timers_next(t);

			bad += d < prev;
			prev = d;
			bad += dmm_timers_pop_expired(t, now, &kind, &h) != 1 || kind != 3 || h.gen != 7;
		}
		bad += dmm_timers_pop_expired(t, now, &kind, &h) != 0;
	}
	CHECK_EQ(bad, 0);
	dmm_timers_free(t);
}

/* dmm_timers_make_direct() refuses an armed set and bad sizes, and the set is unchanged then. */
static void test_direct_args(void)
{
	struct dmm_timers *t = dmm_timers_new(&A, 8);

	CHECK_EQ(dmm_timers_make_direct(t, 4, 4, 1u), DMM_ERR_INVAL);
	CHECK_EQ(dmm_timers_make_direct(t, 0, 0, 1u), DMM_ERR_INVAL);
	CHECK_EQ(dmm_timers_set(t, 0, H(1, 1), 100), 0);
	CHECK_EQ(dmm_timers_make_direct(t, 16, 8, 1u), DMM_ERR_INVAL);
	CHECK_EQ(dmm_timers_cancel(t, 0, H(1, 1)), 0);
	CHECK_EQ(dmm_timers_make_direct(t, 16, 8, 1u), 0);
	/* Kind 0 of slot 1 takes its direct record, the 8 shared ones take the rest. */
	CHECK_EQ(dmm_timers_set(t, 0, H(1, 1), 100), 0);
	for (uint32_t i = 0; i < 8; i++)
		CHECK_EQ(dmm_timers_set(t, 2, H(i, 1), 50 + i), 0);
	CHECK_EQ(dmm_timers_set(t, 2, H(9, 1), 10), DMM_ERR_NOMEM);
	CHECK_EQ(dmm_timers_set(t, 0, H(2, 1), 10), 0); /* its own record: room still */
	CHECK_EQ(dmm_timers_get(t, 0, H(1, 1)), 100);
	CHECK_EQ(dmm_timers_get(t, 0, H(1, 2)), DMM_TIME_NEVER);
	CHECK_EQ(dmm_timers_count(t), 10);
	CHECK_EQ(dmm_timers_next(t), 10);
	dmm_timers_free(t);
}

/* dmm_timers_make_direct_kinds(): the planes count in the capacity; each kind of a slot has its record. */
static void test_direct_kinds_args(void)
{
	struct dmm_timers *t = dmm_timers_new(&A, 8);

	CHECK_EQ(dmm_timers_make_direct_kinds(t, 16, 8, 0u), DMM_ERR_INVAL);
	CHECK_EQ(dmm_timers_make_direct_kinds(t, 16, 8, 3u), DMM_ERR_INVAL); /* 2 x 8 records, no room left */
	CHECK_EQ(dmm_timers_make_direct_kinds(t, 20, 8, 0x28u), 0);	     /* kinds 3 and 5 */
	/* Both kinds of every slot armed at once, and the 4 shared records for others. */
	for (uint32_t i = 0; i < 8; i++) {
		CHECK_EQ(dmm_timers_set(t, 3, H(i, 1), 100 + i), 0);
		CHECK_EQ(dmm_timers_set(t, 5, H(i, 1), 200 + i), 0);
	}
	for (uint32_t i = 0; i < 4; i++)
		CHECK_EQ(dmm_timers_set(t, 3, H(8 + i, 1), 50 + i), 0); /* beyond the slots: shared */
	CHECK_EQ(dmm_timers_set(t, 4, H(0, 1), 10), DMM_ERR_NOMEM);
	CHECK_EQ(dmm_timers_count(t), 20);
	CHECK_EQ(dmm_timers_get(t, 5, H(7, 1)), 207);
	CHECK_EQ(dmm_timers_cancel(t, 3, H(7, 1)), 0);
	CHECK_EQ(dmm_timers_get(t, 5, H(7, 1)), 207);
	CHECK_EQ(dmm_timers_get(t, 3, H(7, 1)), DMM_TIME_NEVER);
	CHECK_EQ(dmm_timers_next(t), 50);
	dmm_timers_free(t);
}

int main(void)
{
	test_table();
	test_random(0, 0);
	test_random(24, 0); /* deadlines over the first levels of the wheel */
	test_random(40, 0); /* over all of them */
	test_random(0, 1);
	test_random(24, 1);
	test_random(40, 1);
	test_random(0, 2);
	test_random(24, 2);
	test_random(40, 2);
	test_direct_args();
	test_direct_kinds_args();
	test_refresh_in_order();
	test_scale();
	test_order();
	return check_report("test_timers");
}
