/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The user data plane's intent table (dataplane/user/table.c) without a
 * TUN device: random installs and removes, through several doublings of
 * the slot array, against a shadow list searched by brute force. After
 * every step: each live id is found and each removed one is not, the free
 * list holds every free slot once, and a packet is classified (DST before
 * SRC, longest prefix, lowest precedence, newest on a tie) and a
 * decapsulated packet accepted (peer and prefix) as the shadow says.
 * Some steps replace an intent in place (a handoff: same id, same slot,
 * install order kept, counters from 0, any match, prefix or action).
 */
#include <stdlib.h>

#include "../../dataplane/user/user.h"
#include "check.h"
#include "dmm/fmt.h"
#include "helpers.h"

#define MAXI 3000

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(uint32_t n)
{
	return (uint32_t)(xorshift64s(&rng) % n);
}

struct shadow {
	struct dmm_intent in;
	uint64_t seq;
};

static struct shadow sh[MAXI];
static unsigned nsh;
static uint64_t shseq;
static uint32_t last_removed; /* the id removed last; 0: none yet */

/* Addresses from a small space, so that prefixes overlap: 2001:db8:0:X::Y. */
static struct dmm_addr some_addr(void)
{
	struct dmm_addr a = {{0x20, 0x01, 0x0d, 0xb8}};

	a.b[7] = (uint8_t)rnd(8);
	a.b[15] = (uint8_t)rnd(4);
	return a;
}

static struct dmm_addr some_peer(void)
{
	struct dmm_addr a = {{0x20, 0x01, 0x0d, 0xb8, 0xff}};

	a.b[15] = (uint8_t)(1 + rnd(3));
	return a;
}

static bool holds(const struct dmm_prefix *p, const struct dmm_addr *a)
{
	for (unsigned i = 0; i < p->len; i++) {
		unsigned bit = 0x80u >> (i % 8);

		if ((p->addr.b[i / 8] & bit) != (a->b[i / 8] & bit))
			return false;
	}
	return true;
}

/* Brute force: the id the table should answer (0: none). */
static uint32_t shadow_lookup(uint8_t match, const struct dmm_addr *a, unsigned actmask,
			      const struct dmm_addr *peer)
{
	const struct shadow *best = NULL;

	for (unsigned k = 0; k < nsh; k++) {
		const struct shadow *s = &sh[k];

		if (s->in.match != match || !(actmask & (1u << s->in.action)) || !holds(&s->in.prefix, a))
			continue;
		if (peer && !dmm_addr_eq(&s->in.peer, peer))
			continue;
		if (!best || s->in.prefix.len > best->in.prefix.len ||
		    (s->in.prefix.len == best->in.prefix.len &&
		     (s->in.precedence < best->in.precedence ||
		      (s->in.precedence == best->in.precedence && s->seq > best->seq))))
			best = s;
	}
	return best ? best->in.id : 0;
}

static uint32_t id_at(const struct dmm_dp *dp, uint32_t i)
{
	return i == NONE ? 0 : dpu_slot(dp, i)->in.id;
}

static const char eth0[DMM_DP_IFNAMSIZ] = "eth0";

static struct dmm_intent some_intent(uint32_t id)
{
	static const uint8_t lens[] = {0, 48, 56, 60, 64, 64, 64, 127, 128};
	struct dmm_intent in = {.id = id, .match = (uint8_t)rnd(2), .action = (uint8_t)rnd(5)};

	in.precedence = (uint16_t)rnd(3);
	in.prefix.addr = some_addr();
	in.prefix.len = lens[rnd(sizeof(lens))];
	in.peer = some_peer();
	if (rnd(4) == 0)
		memset(&in.peer, 0, sizeof(in.peer)); /* a BUFFER without a peer: arrival order */
	dmm_prefix_mask(&in.prefix);
	return in;
}

static void install_one(struct dmm_dp *dp, uint32_t id)
{
	struct dmm_intent in = some_intent(id);

	if (dpu_table_add(dp, &in, 1, eth0) < 0)
		return;
	sh[nsh].in = in;
	sh[nsh++].seq = ++shseq;
}

static void remove_one(struct dmm_dp *dp)
{
	unsigned k = rnd(nsh);
	uint32_t i = dpu_find_id(dp, sh[k].in.id);

	if (i != NONE)
		dpu_table_del(dp, i);
	last_removed = sh[k].in.id;
	sh[k] = sh[--nsh];
}

/* A random live intent gets new forwarding in place; the shadow keeps its install order. */
static bool replace_one(struct dmm_dp *dp)
{
	unsigned k = rnd(nsh);
	uint32_t i = dpu_find_id(dp, sh[k].in.id);
	struct dmm_intent in = some_intent(sh[k].in.id);

	if (rnd(2)) { /* a handoff proper: same place, new peer or action */
		in.match = sh[k].in.match;
		in.prefix = sh[k].in.prefix;
		in.precedence = sh[k].in.precedence;
	}
	if (i == NONE)
		return false;
	dpu_count(dpu_slot(dp, i), 100);
	dpu_table_replace(dp, i, &in, 2, eth0);
	sh[k].in = in;
	return dpu_find_id(dp, in.id) == i && dpu_slot(dp, i)->packets == 0 && dpu_slot(dp, i)->bytes == 0 &&
	       dpu_slot(dp, i)->ifindex == 2;
}

/* Every free slot on the free list once, and nothing else on it. */
static bool free_list_ok(const struct dmm_dp *dp)
{
	uint32_t n = 0;

	for (uint32_t i = dp->free_head; i != NONE; i = dpu_slot(dp, i)->next[DPU_BY_ID]) {
		if (i >= dp->cap || dpu_slot(dp, i)->used || ++n > dp->cap)
			return false;
	}
	return n == dp->cap - dp->nused;
}

static bool classify_ok(const struct dmm_dp *dp)
{
	const unsigned tun = 1u << DMM_FM_ENCAP | 1u << DMM_FM_BUFFER | 1u << DMM_FM_DROP;
	struct dmm_addr src = some_addr(), dst = some_addr(), peer = some_peer();
	uint8_t pkt[40] = {0x60};
	uint32_t want = shadow_lookup(DMM_FM_DST, &dst, tun, NULL);

	if (!want)
		want = shadow_lookup(DMM_FM_SRC, &src, tun, NULL);
	memcpy(pkt + 8, src.b, 16);
	memcpy(pkt + 24, dst.b, 16);
	return id_at(dp, dpu_classify(dp, pkt)) == want &&
	       id_at(dp, dpu_lookup(dp, DMM_FM_SRC, &src, 1u << DMM_FM_DECAP, &peer)) ==
		       shadow_lookup(DMM_FM_SRC, &src, 1u << DMM_FM_DECAP, &peer);
}

/* dp->nordered counts the DST BUFFER intents with a peer (fm.h), as the shadow does. */
static bool ordered_ok(const struct dmm_dp *dp)
{
	uint32_t n = 0;

	for (unsigned k = 0; k < nsh; k++)
		n += sh[k].in.match == DMM_FM_DST && sh[k].in.action == DMM_FM_BUFFER &&
		     !dmm_addr_is_zero(&sh[k].in.peer);
	return dp->nordered == n;
}

static void test_random(void)
{
	struct dmm_dp *dp = calloc(1, sizeof(*dp));
	struct check_loop ids = CHECK_LOOP_INIT("each live id found, each removed id not");
	struct check_loop fl = CHECK_LOOP_INIT("the free list holds every free slot once");
	struct check_loop cl = CHECK_LOOP_INIT("classify and accept answer as the shadow does");
	struct check_loop rp = CHECK_LOOP_INIT("a replaced intent keeps its id, slot and counters");
	struct check_loop od = CHECK_LOOP_INIT("the ordered BUFFERs are counted as the shadow has them");
	uint32_t next_id = 1;

	CHECK(dp && dpu_table_grow(dp) == 0);
	for (unsigned step = 0; step < 20000; step++) {
		/* Grow to ~2500 intents (past 256, 512, 1024, 2048 slots), then churn, then drain. */
		bool grow = step < 8000 ? rnd(4) != 0 : step < 14000 ? rnd(2) == 0 : rnd(8) == 0;

		if (nsh && rnd(5) == 0)
			CHECK_LOOP(rp, replace_one(dp));
		else if ((grow || !nsh) && nsh < MAXI)
			install_one(dp, next_id++);
		else if (nsh)
			remove_one(dp);
		CHECK_LOOP(ids, dp->nused == nsh);
		CHECK_LOOP(od, ordered_ok(dp));
		for (unsigned r = 0; r < 4 && nsh; r++) {
			const struct shadow *s = &sh[rnd(nsh)];

			CHECK_LOOP(ids, id_at(dp, dpu_find_id(dp, s->in.id)) == s->in.id);
		}
		CHECK_LOOP(ids, dpu_find_id(dp, next_id) == NONE);
		CHECK_LOOP(ids, !last_removed || dpu_find_id(dp, last_removed) == NONE);
		if (step % 50 == 0)
			CHECK_LOOP(fl, free_list_ok(dp));
		for (unsigned r = 0; r < 4; r++)
			CHECK_LOOP(cl, classify_ok(dp));
	}
	CHECK_LOOP_END(ids);
	CHECK_LOOP_END(fl);
	CHECK_LOOP_END(cl);
	CHECK_LOOP_END(rp);
	CHECK_LOOP_END(od);
	CHECK(dp->cap >= 2048);
	while (nsh)
		remove_one(dp);
	CHECK_EQ(dp->nused, 0);
	CHECK_EQ(dp->nordered, 0);
	CHECK(free_list_ok(dp));
	dpu_table_free(dp);
	free(dp);
}

/* A handoff in place: the lookup follows the new peer at once, nothing else moves. */
static void test_replace(void)
{
	struct dmm_dp *dp = calloc(1, sizeof(*dp));
	struct dmm_intent e = {.id = 7, .match = DMM_FM_DST, .action = DMM_FM_ENCAP, .prefix.len = 64};
	struct dmm_intent d = {.id = 8, .match = DMM_FM_SRC, .action = DMM_FM_DECAP, .prefix.len = 64};
	struct dmm_addr mag1 = {{0x20, 0x01, 0x0d, 0xb8, 0xff, [15] = 1}}, mag2 = mag1, host;
	uint8_t pkt[40] = {0x60};
	uint32_t i;

	CHECK(dp && dpu_table_grow(dp) == 0);
	mag2.b[15] = 2;
	dmm_addr_parse("2001:db8:1:2::", &e.prefix.addr);
	dmm_addr_parse("2001:db8:1:2::9", &host);
	d.prefix = e.prefix;
	e.peer = d.peer = mag1;
	CHECK(dpu_table_add(dp, &e, 0, eth0) >= 0);
	CHECK(dpu_table_add(dp, &d, 0, eth0) >= 0);
	i = dpu_find_id(dp, 7);
	dpu_count(dpu_slot(dp, i), 1000);
	memcpy(pkt + 24, host.b, 16);
	e.peer = mag2;
	dpu_table_replace(dp, i, &e, 0, eth0);
	CHECK_EQ(dpu_find_id(dp, 7), i);
	CHECK_EQ(dpu_classify(dp, pkt), i);
	CHECK(dmm_addr_eq(&dpu_slot(dp, i)->in.peer, &mag2));
	CHECK_EQ(dpu_slot(dp, i)->packets, 0);
	CHECK_EQ(dpu_slot(dp, i)->bytes, 0);
	CHECK_EQ(dp->nused, 2);
	/* DECAP now from the new MAG only. */
	d.peer = mag2;
	dpu_table_replace(dp, dpu_find_id(dp, 8), &d, 0, eth0);
	CHECK_EQ(dpu_lookup(dp, DMM_FM_SRC, &host, 1u << DMM_FM_DECAP, &mag1), NONE);
	CHECK_EQ(dpu_lookup(dp, DMM_FM_SRC, &host, 1u << DMM_FM_DECAP, &mag2), dpu_find_id(dp, 8));
	/* A new prefix length: the old one leaves the lengths in use, the new one joins. */
	e.prefix.len = 48;
	dmm_prefix_mask(&e.prefix);
	dpu_table_replace(dp, i, &e, 0, eth0);
	CHECK_EQ(dp->nlens[DMM_FM_DST], 1);
	CHECK_EQ(dp->lens[DMM_FM_DST][0], 48);
	CHECK_EQ(dpu_classify(dp, pkt), i);
	dpu_table_del(dp, i);
	CHECK_EQ(dp->nlens[DMM_FM_DST], 0);
	CHECK_EQ(dpu_classify(dp, pkt), NONE);
	dpu_table_free(dp);
	free(dp);
}

int main(void)
{
	test_replace();
	test_random();
	return check_report("test_user_table");
}
