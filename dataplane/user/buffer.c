/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The packets BUFFER intents hold (user.h): one pool preallocated at
 * open() and shared by every intent, each slot's packets a chain in
 * arrival order, bounded per intent by cfg.buf_packets, cfg.buf_bytes
 * and cfg.buf_time_ms: over a bound the slot's oldest packet is dropped
 * to make room for the new one (the newest are the ones a host resuming
 * a flow wants), and a packet past the time bound is dropped instead of
 * delivered; both are counted (dpu_buf_stats). The pool's pages are
 * touched only as packets come (a bump index before the free list), so
 * the memory a flood can take is the bound, not the pool. No allocation
 * per packet. Workers hold packets and the daemon thread releases them:
 * the pool, the slots' chains and the counters are under bufmu.
 *
 * In order at the release (user.c user_replace), with the workers locked
 * out: first what the kernel has already routed into the TUN's queues
 * (the prefix's main route still leads there) is read and classified
 * with the old table, so what belongs to the buffer joins it at its
 * tail (user.c drain_queues); only then does the flush route go in (a packet
 * a worker decapsulates and writes to the TUN would take it at once,
 * ahead of the held ones), the table switch, and the held packets leave
 * through worker 0's queue, all before a worker runs again. A packet
 * left in another queue would otherwise be read after the switch and
 * overtaken by newer ones.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../neigh.h"
#include "user.h"

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int dpu_buf_init(struct dmm_dp *dp)
{
	struct dmm_dp_buf_stats *st = &dp->bst;
	uint64_t n;

	st->limit_packets = dp->cfg.buf_packets ? dp->cfg.buf_packets : DP_BUF_PER_INTENT;
	st->limit_bytes = dp->cfg.buf_bytes ? dp->cfg.buf_bytes : DP_BUF_BYTES;
	st->limit_ms = dp->cfg.buf_time_ms ? dp->cfg.buf_time_ms : DP_BUF_MS;
	dp->buf_lim_ns = (uint64_t)st->limit_ms * 1000000ull;
	n = 4ull * st->limit_packets;
	dp->pool_n = (uint32_t)(n < DP_BUF_PACKETS    ? DP_BUF_PACKETS
				: n > DP_BUF_POOL_MAX ? DP_BUF_POOL_MAX
						      : n);
	dp->pool_free = NONE;
	dp->pool_used = 0;
	dp->pool = malloc((size_t)dp->pool_n * sizeof(*dp->pool));
	return dp->pool ? 0 : -ENOMEM;
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

/* A free pool packet, or NONE. Under bufmu. */
static uint32_t pkt_get(struct dmm_dp *dp)
{
	uint32_t k = dp->pool_free;

	if (k != NONE) {
		dp->pool_free = dp->pool[k].next;
		return k;
	}
	return dp->pool_used < dp->pool_n ? dp->pool_used++ : NONE;
}

/* Give pool packet b back. Under bufmu. */
static void pkt_put(struct dmm_dp *dp, uint32_t b)
{
	dp->pool[b].next = dp->pool_free;
	dp->pool_free = b;
}

/* Drop the oldest packet s holds, counted as too old or over a bound. Under bufmu. */
static void drop_oldest(struct dmm_dp *dp, struct slot *s, bool aged)
{
	uint32_t b = s->bhead;

	s->bhead = dp->pool[b].next;
	if (s->bhead == NONE)
		s->btail = NONE;
	s->bcount--;
	s->bbytes -= dp->pool[b].len;
	dp->bst.held_packets--;
	dp->bst.held_bytes -= dp->pool[b].len;
	if (aged)
		dp->bst.dropped_age++;
	else
		dp->bst.dropped_full++;
	pkt_put(dp, b);
}

/* A pool packet for len more octets on s, room made within the bounds; NONE if there is none. Under bufmu. */
static uint32_t make_room(struct dmm_dp *dp, struct slot *s, size_t len, uint64_t now)
{
	const struct dmm_dp_buf_stats *st = &dp->bst;
	uint32_t k;

	while (s->bcount && now - dp->pool[s->bhead].t > dp->buf_lim_ns)
		drop_oldest(dp, s, true);
	if (len > DP_BUF_SIZE || len > st->limit_bytes)
		return NONE;
	while (s->bcount && (s->bcount >= st->limit_packets || (uint64_t)s->bbytes + len > st->limit_bytes))
		drop_oldest(dp, s, false);
	k = pkt_get(dp);
	if (k == NONE && s->bcount) {
		drop_oldest(dp, s, false); /* the pool is spent: this intent's oldest makes room */
		k = pkt_get(dp);
	}
	return k;
}

void dpu_buf_hold(struct dmm_dp *dp, struct slot *s, const uint8_t *a, size_t alen, const uint8_t *b,
		  size_t blen, bool first)
{
	size_t len = alen + blen;
	uint64_t now = now_ns();
	uint32_t k;

	lock(dp);
	k = make_room(dp, s, len, now);
	if (k == NONE) {
		dp->bst.dropped_full++;
		unlock(dp);
		dpu_drop(dp, len);
		return;
	}
	dp->pool[k].next = NONE;
	dp->pool[k].len = (uint32_t)len;
	dp->pool[k].t = now;
	dp->pool[k].first = first;
	memcpy(dp->pool[k].data, a, alen);
	if (blen)
		memcpy(dp->pool[k].data + alen, b, blen);
	if (s->btail == NONE)
		s->bhead = k;
	else
		dp->pool[s->btail].next = k;
	s->btail = k;
	s->bcount++;
	s->bbytes += (uint32_t)len;
	dp->bst.buffered++;
	dp->bst.held_packets++;
	dp->bst.held_bytes += len;
	if (dp->bst.held_packets > dp->bst.held_peak)
		dp->bst.held_peak = dp->bst.held_packets;
	unlock(dp);
	dpu_count(s, len);
}

/*
 * Split the chain from b into the packets held as first (head[0]..tail[0])
 * and the others (head[1]..tail[1]), each part in its order; a first one
 * behind another is counted as ahead. The first part's octets in *bytes.
 * Returns its packets. Under bufmu.
 */
static uint32_t split(struct dmm_dp *dp, uint32_t b, uint32_t head[2], uint32_t tail[2], uint32_t *bytes)
{
	uint32_t n = 0;

	head[0] = head[1] = tail[0] = tail[1] = NONE;
	*bytes = 0;
	while (b != NONE) {
		uint32_t next = dp->pool[b].next;
		int k = !dp->pool[b].first;

		dp->bst.ahead += !k && tail[1] != NONE;
		n += !k;
		*bytes += k ? 0 : dp->pool[b].len;
		dp->pool[b].next = NONE;
		if (tail[k] == NONE)
			head[k] = b;
		else
			dp->pool[tail[k]].next = b;
		tail[k] = b;
		b = next;
	}
	return n;
}

/* The chain from b with the packets held as first ahead of the others (split()). Under bufmu. */
static uint32_t firsts_ahead(struct dmm_dp *dp, uint32_t b)
{
	uint32_t head[2], tail[2], bytes;

	split(dp, b, head, tail, &bytes);
	if (tail[0] == NONE)
		return head[1];
	dp->pool[tail[0]].next = head[1];
	return head[0];
}

uint32_t dpu_buf_take_first(struct dmm_dp *dp, uint32_t i)
{
	struct slot *s = dpu_slot(dp, i);
	uint32_t head[2], tail[2], bytes, n;

	lock(dp);
	n = split(dp, s->bhead, head, tail, &bytes);
	s->bhead = head[1];
	s->btail = tail[1];
	s->bcount -= n;
	s->bbytes -= bytes;
	dp->bst.released += n;
	dp->bst.held_packets -= n;
	dp->bst.held_bytes -= bytes;
	unlock(dp);
	return head[0];
}

uint32_t dpu_buf_take(struct dmm_dp *dp, uint32_t i)
{
	struct slot *s = dpu_slot(dp, i);
	uint64_t now = now_ns();
	uint32_t b;

	lock(dp);
	while (s->bcount && now - dp->pool[s->bhead].t > dp->buf_lim_ns)
		drop_oldest(dp, s, true);
	b = firsts_ahead(dp, s->bhead);
	dp->bst.released += s->bcount;
	dp->bst.held_packets -= s->bcount;
	dp->bst.held_bytes -= s->bbytes;
	s->bhead = s->btail = NONE;
	s->bcount = s->bbytes = 0;
	unlock(dp);
	return b;
}

unsigned dpu_buf_dsts(struct dmm_dp *dp, uint32_t i, uint8_t (*out)[16], unsigned max)
{
	struct slot *s = dpu_slot(dp, i);
	unsigned n = 0;

	lock(dp);
	for (uint32_t b = s->bhead; b != NONE && n < max; b = dp->pool[b].next)
		n = dmm_neigh_dst_add(out, n, dp->pool[b].data);
	unlock(dp);
	return n;
}

void dpu_buf_put(struct dmm_dp *dp, uint32_t b)
{
	lock(dp);
	pkt_put(dp, b);
	unlock(dp);
}

int dpu_buf_stats(struct dmm_dp *dp, struct dmm_dp_buf_stats *st)
{
	lock(dp);
	*st = dp->bst;
	unlock(dp);
	st->unresolved = dp->unresolved; /* the daemon thread's own */
	return 0;
}
