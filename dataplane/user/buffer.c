/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The packets BUFFER intents hold (user.h): one pool of DP_BUF_PACKETS
 * preallocated at open() and shared by every intent, at most
 * DP_BUF_PER_INTENT per intent, each slot's packets a chain in arrival
 * order. No allocation per packet. Workers hold packets and the daemon
 * thread releases them: the pool and the slots' chains are under bufmu.
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

static void lock(struct dmm_dp *dp)
{
	if (dp->locks)
		pthread_mutex_lock(&dp->bufmu);
}

static void unlock(struct dmm_dp *dp)
{
	if (dp->locks)
		pthread_mutex_unlock(&dp->bufmu);
}

void dpu_buf_hold(struct dmm_dp *dp, struct slot *s, const uint8_t *a, size_t alen, const uint8_t *b,
		  size_t blen)
{
	size_t len = alen + blen;
	uint32_t k;

	lock(dp);
	k = dp->pool_free;
	if (k == NONE || s->bcount >= DP_BUF_PER_INTENT || len > DP_BUF_SIZE) {
		unlock(dp);
		dpu_drop(dp, len);
		return;
	}
	dp->pool_free = dp->pool[k].next;
	dp->pool[k].next = NONE;
	dp->pool[k].len = (uint32_t)len;
	memcpy(dp->pool[k].data, a, alen);
	if (blen)
		memcpy(dp->pool[k].data + alen, b, blen);
	if (s->btail == NONE)
		s->bhead = k;
	else
		dp->pool[s->btail].next = k;
	s->btail = k;
	s->bcount++;
	unlock(dp);
	dpu_count(s, len);
}

uint32_t dpu_buf_take(struct dmm_dp *dp, uint32_t i)
{
	uint32_t b;

	lock(dp);
	b = dpu_slot(dp, i)->bhead;
	dpu_slot(dp, i)->bhead = dpu_slot(dp, i)->btail = NONE;
	dpu_slot(dp, i)->bcount = 0;
	unlock(dp);
	return b;
}

void dpu_buf_put(struct dmm_dp *dp, uint32_t b)
{
	lock(dp);
	dp->pool[b].next = dp->pool_free;
	dp->pool_free = b;
	unlock(dp);
}
