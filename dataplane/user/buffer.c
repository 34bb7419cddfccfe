/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The packets BUFFER intents hold (user.h): one pool of DP_BUF_PACKETS
 * preallocated at open() and shared by every intent, at most
 * DP_BUF_PER_INTENT per intent, each slot's packets a chain in arrival
 * order. No allocation per packet.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "user.h"

int dpu_buf_init(struct dmm_dp *dp)
{
	dp->pool_free = NONE;
	dp->pool = malloc(DP_BUF_PACKETS * sizeof(*dp->pool));
	if (!dp->pool)
		return -ENOMEM;
	for (uint32_t b = 0; b < DP_BUF_PACKETS; b++)
		dpu_buf_put(dp, b);
	return 0;
}

void dpu_buf_hold(struct dmm_dp *dp, struct slot *s, const uint8_t *pkt, size_t len)
{
	uint32_t b = dp->pool_free;

	if (b == NONE || s->bcount >= DP_BUF_PER_INTENT || len > DP_BUF_SIZE) {
		dpu_drop(dp, len);
		return;
	}
	dp->pool_free = dp->pool[b].next;
	dp->pool[b].next = NONE;
	dp->pool[b].len = (uint32_t)len;
	memcpy(dp->pool[b].data, pkt, len);
	if (s->btail == NONE)
		s->bhead = b;
	else
		dp->pool[s->btail].next = b;
	s->btail = b;
	s->bcount++;
	dpu_count(s, len);
}

uint32_t dpu_buf_take(struct dmm_dp *dp, uint32_t i)
{
	uint32_t b = dpu_slot(dp, i)->bhead;

	dpu_slot(dp, i)->bhead = dpu_slot(dp, i)->btail = NONE;
	dpu_slot(dp, i)->bcount = 0;
	return b;
}

void dpu_buf_put(struct dmm_dp *dp, uint32_t b)
{
	dp->pool[b].next = dp->pool_free;
	dp->pool_free = b;
}
