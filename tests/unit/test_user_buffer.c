/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The user data plane's buffer (dataplane/user/buffer.c) without a TUN
 * device: packets held on a BUFFER slot come back in arrival order, and
 * with a peer on the BUFFER (include/dmm/fm.h; RFC 5949 §4.1: what the
 * PMAG forwards took the older path) those held as first (the packets
 * that came from the peer) come back ahead of the others, each part still in arrival order, also after the packet
 * bound dropped the oldest.
 */
#include <stdlib.h>

#include "../../dataplane/user/user.h"
#include "check.h"

static const char eth0[DMM_DP_IFNAMSIZ] = "eth0";

/* A 40-octet IPv6 header whose flow label carries n. */
static void hold(struct dmm_dp *dp, uint32_t i, unsigned n, bool first)
{
	uint8_t pkt[40] = {0x60, 0, (uint8_t)(n >> 8), (uint8_t)n};

	pkt[24] = 0x20; /* a destination, for dpu_buf_dsts */
	dpu_buf_hold(dp, dpu_slot(dp, i), pkt, sizeof(pkt), NULL, 0, first);
}

/* Take what slot i holds: the flow labels in release order into out; how many. */
static unsigned take(struct dmm_dp *dp, uint32_t i, unsigned *out, unsigned max)
{
	unsigned n = 0;

	for (uint32_t b = dpu_buf_take(dp, i); b != NONE;) {
		uint32_t next = dp->pool[b].next;

		if (n < max)
			out[n] = (unsigned)(dp->pool[b].data[2] << 8 | dp->pool[b].data[3]);
		n++;
		dpu_buf_put(dp, b);
		b = next;
	}
	return n;
}

static bool same(const unsigned *got, const unsigned *want, unsigned n)
{
	for (unsigned k = 0; k < n; k++)
		if (got[k] != want[k])
			return false;
	return true;
}

static struct dmm_dp *dp_new(uint32_t packets)
{
	struct dmm_dp *dp = calloc(1, sizeof(*dp));

	CHECK(dp && dpu_table_grow(dp) == 0);
	dp->cfg.buf_packets = packets;
	CHECK_EQ(dpu_buf_init(dp), 0);
	return dp;
}

static void dp_free(struct dmm_dp *dp)
{
	free(dp->pool);
	dpu_table_free(dp);
	free(dp);
}

static void test_order(void)
{
	struct dmm_dp *dp = dp_new(100);
	struct dmm_intent b = {.id = 1, .match = DMM_FM_DST, .action = DMM_FM_BUFFER, .prefix.len = 64};
	unsigned got[16];
	/* Arrival: the LMA's 10, the PMAG's 1, the LMA's 11, the PMAG's 2 and 3, the LMA's 12. */
	static const unsigned arrive[] = {10, 1, 11, 2, 3, 12};
	static const bool from_peer[] = {false, true, false, true, true, false};
	static const unsigned want[] = {1, 2, 3, 10, 11, 12};
	int i;

	b.prefix.addr.b[0] = 0x20;
	i = dpu_table_add(dp, &b, 0, eth0);
	CHECK(i >= 0);
	CHECK_EQ(dp->nordered, 0);
	/* Nothing held as first (no peer: tun.c marks none): arrival order. */
	for (unsigned k = 0; k < 6; k++)
		hold(dp, (uint32_t)i, arrive[k], false);
	CHECK_EQ(take(dp, (uint32_t)i, got, 16), 6);
	CHECK(same(got, arrive, 6));
	CHECK_EQ(take(dp, (uint32_t)i, got, 16), 0);
	CHECK_EQ(dp->bst.ahead, 0);

	/* With a peer: counted as ordered; the peer's first, each part in arrival order. */
	b.peer.b[0] = 0x20;
	b.peer.b[15] = 1;
	dpu_table_replace(dp, (uint32_t)i, &b, 0, eth0);
	CHECK_EQ(dp->nordered, 1);
	for (unsigned k = 0; k < 6; k++)
		hold(dp, (uint32_t)i, arrive[k], from_peer[k]);
	CHECK_EQ(dp->bst.held_packets, 6);
	CHECK_EQ(take(dp, (uint32_t)i, got, 16), 6);
	CHECK(same(got, want, 6));
	CHECK_EQ(dp->bst.held_packets, 0);
	CHECK_EQ(dp->bst.released, 12);
	CHECK_EQ(dp->bst.ahead, 3); /* 1, 2 and 3 overtook 10 (and 11) */

	/* Only the peer's, or only the others': as they came, none ahead. */
	for (unsigned k = 0; k < 3; k++)
		hold(dp, (uint32_t)i, k, true);
	CHECK_EQ(take(dp, (uint32_t)i, got, 16), 3);
	CHECK(got[0] == 0 && got[1] == 1 && got[2] == 2);
	for (unsigned k = 0; k < 3; k++)
		hold(dp, (uint32_t)i, k, false);
	CHECK_EQ(take(dp, (uint32_t)i, got, 16), 3);
	CHECK(got[0] == 0 && got[1] == 1 && got[2] == 2);
	CHECK_EQ(dp->bst.ahead, 3);

	/* Delivery replaces the buffer: no ordered slot left; removing it counts too. */
	b.action = DMM_FM_DELIVER;
	dpu_table_replace(dp, (uint32_t)i, &b, 0, eth0);
	CHECK_EQ(dp->nordered, 0);
	b.action = DMM_FM_BUFFER;
	dpu_table_replace(dp, (uint32_t)i, &b, 0, eth0);
	CHECK_EQ(dp->nordered, 1);
	dpu_table_del(dp, (uint32_t)i);
	CHECK_EQ(dp->nordered, 0);
	dp_free(dp);
}

/* The packet bound drops the oldest of either part; what is left keeps the order. */
static void test_bound(void)
{
	struct dmm_dp *dp = dp_new(4);
	struct dmm_intent b = {.id = 1, .match = DMM_FM_DST, .action = DMM_FM_BUFFER, .prefix.len = 64};
	unsigned got[8];
	int i;

	b.peer.b[15] = 1;
	i = dpu_table_add(dp, &b, 0, eth0);
	CHECK(i >= 0);
	hold(dp, (uint32_t)i, 10, false); /* dropped: the oldest */
	hold(dp, (uint32_t)i, 1, true);	  /* dropped: the next oldest */
	hold(dp, (uint32_t)i, 11, false);
	hold(dp, (uint32_t)i, 2, true);
	hold(dp, (uint32_t)i, 12, false);
	hold(dp, (uint32_t)i, 3, true);
	CHECK_EQ(dp->bst.dropped_full, 2);
	CHECK_EQ(take(dp, (uint32_t)i, got, 8), 4);
	CHECK(got[0] == 2 && got[1] == 3 && got[2] == 11 && got[3] == 12);
	dp_free(dp);
}

/* Taking the first ones only: the others stay, in their order, counted as held. */
static void test_take_first(void)
{
	struct dmm_dp *dp = dp_new(100);
	struct dmm_intent b = {.id = 1, .match = DMM_FM_DST, .action = DMM_FM_BUFFER, .prefix.len = 64};
	unsigned got[8], n = 0;
	int i;

	b.peer.b[15] = 1;
	i = dpu_table_add(dp, &b, 0, eth0);
	CHECK(i >= 0);
	hold(dp, (uint32_t)i, 10, false);
	hold(dp, (uint32_t)i, 1, true);
	hold(dp, (uint32_t)i, 11, false);
	hold(dp, (uint32_t)i, 2, true);
	for (uint32_t k = dpu_buf_take_first(dp, (uint32_t)i); k != NONE;) {
		uint32_t next = dp->pool[k].next;

		if (n < 8)
			got[n] = (unsigned)(dp->pool[k].data[2] << 8 | dp->pool[k].data[3]);
		n++;
		dpu_buf_put(dp, k);
		k = next;
	}
	CHECK(n == 2 && got[0] == 1 && got[1] == 2);
	CHECK_EQ(dp->bst.ahead, 2); /* both left before 10, which came first */
	CHECK_EQ(dp->bst.held_packets, 2);
	CHECK_EQ(dpu_slot(dp, (uint32_t)i)->bcount, 2);
	CHECK_EQ(dpu_slot(dp, (uint32_t)i)->bbytes, 80);
	hold(dp, (uint32_t)i, 12, false); /* joins at the tail */
	CHECK_EQ(take(dp, (uint32_t)i, got, 8), 3);
	CHECK(got[0] == 10 && got[1] == 11 && got[2] == 12);
	CHECK_EQ(dpu_buf_take_first(dp, (uint32_t)i), NONE);
	dp_free(dp);
}

int main(void)
{
	test_order();
	test_bound();
	test_take_first();
	return check_report("test_user_buffer");
}
