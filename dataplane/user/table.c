/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The user data plane's intent table (user.h): slots in one array, a
 * free list of slots, two hash indexes (by match and masked prefix, by
 * id) with doubly linked chains, and per match kind the prefix lengths
 * in use. Install takes the free list's head, remove puts the slot back
 * and unlinks it without a walk, a lookup by id is one probe, and a
 * longest-prefix match is one probe per length in use (at most 129),
 * longest first: no operation walks over the intents (ARCHITECTURE.md:
 * intent tables indexed, never scanned), whatever their number. The
 * array doubles when the free list is empty (O(1) per install,
 * amortized).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dmm/hash.h"
#include "user.h"

/*
 * Bucket of (match, masked prefix): both halves of the address mixed in
 * full, so that prefixes differing anywhere (a /64 counter in bytes 4-7,
 * an interface identifier) spread over every bucket.
 */
static uint32_t hash_prefix(uint8_t match, const struct dmm_addr *a, uint8_t len)
{
	uint64_t w0, w1;

	memcpy(&w0, a->b, 8);
	memcpy(&w1, a->b + 8, 8);
	return (uint32_t)dmm_hash_u64(w0 ^ dmm_hash_u64(w1 ^ ((uint64_t)match << 8 | len)));
}

/*
 * Bucket of an id. Multiplying by an odd constant is a bijection on the
 * low bits, so ids that differ there never share a bucket: the fm table
 * puts its slot index in the low bits of an id (core/fm.c) and install
 * order numbers are consecutive, so live ids spread with no collision at
 * all, and a lookup reads one slot.
 */
static uint32_t hash_id(uint32_t id)
{
	return id * 0x9e3779b1u;
}

static void mask_addr(struct dmm_addr *out, const struct dmm_addr *a, uint8_t len)
{
	for (unsigned i = 0; i < 16; i++) {
		unsigned bits = len > i * 8 ? len - i * 8 : 0;

		out->b[i] = bits >= 8 ? a->b[i] : (uint8_t)(a->b[i] & (0xff00u >> bits));
	}
}

/* 129 steps, only when a prefix length comes into use or goes out of use. */
static void lens_rebuild(struct dmm_dp *dp, int m)
{
	dp->nlens[m] = 0;
	for (int l = 128; l >= 0; l--)
		if (dp->lencount[m][l])
			dp->lens[m][dp->nlens[m]++] = (uint8_t)l;
}

/* The bucket of slot i in index k. */
static uint32_t *bucket_of(struct dmm_dp *dp, int k, uint32_t i)
{
	const struct slot *s = &dp->slot[i];
	uint32_t h = k == DPU_BY_PREFIX ? hash_prefix(s->in.match, &s->in.prefix.addr, s->in.prefix.len)
					: hash_id(s->in.id);

	return &dp->bucket[k][h & (dp->nbucket - 1)];
}

/* Put slot i first on its chain of index k. */
static void chain_link(struct dmm_dp *dp, int k, uint32_t i)
{
	uint32_t *head = bucket_of(dp, k, i);
	struct slot *s = &dp->slot[i];

	s->prev[k] = NONE;
	s->next[k] = *head;
	if (*head != NONE)
		dp->slot[*head].prev[k] = i;
	*head = i;
}

/* Take slot i off its chain of index k: no walk, the chain is doubly linked. */
static void chain_unlink(struct dmm_dp *dp, int k, uint32_t i)
{
	struct slot *s = &dp->slot[i];

	if (s->prev[k] == NONE)
		*bucket_of(dp, k, i) = s->next[k];
	else
		dp->slot[s->prev[k]].next[k] = s->next[k];
	if (s->next[k] != NONE)
		dp->slot[s->next[k]].prev[k] = s->prev[k];
}

int dpu_table_grow(struct dmm_dp *dp)
{
	uint32_t ncap = dp->cap ? dp->cap * 2 : 256;
	struct slot *ns = realloc(dp->slot, ncap * sizeof(*ns));
	uint32_t *pb, *ib;

	if (!ns)
		return -ENOMEM;
	dp->slot = ns;
	memset(ns + dp->cap, 0, (ncap - dp->cap) * sizeof(*ns));
	pb = malloc(2 * ncap * sizeof(*pb));
	ib = malloc(2 * ncap * sizeof(*ib));
	if (!pb || !ib) {
		free(pb);
		free(ib);
		return -ENOMEM;
	}
	/* The new slots go on the free list, lowest first, ahead of any free slot left. */
	for (uint32_t i = dp->cap; i < ncap; i++)
		ns[i].next[DPU_BY_ID] = i + 1 < ncap ? i + 1 : (dp->cap ? dp->free_head : NONE);
	dp->free_head = dp->cap;
	free(dp->bucket[DPU_BY_PREFIX]);
	free(dp->bucket[DPU_BY_ID]);
	dp->bucket[DPU_BY_PREFIX] = pb;
	dp->bucket[DPU_BY_ID] = ib;
	dp->nbucket = 2 * ncap;
	for (uint32_t b = 0; b < dp->nbucket; b++)
		pb[b] = ib[b] = NONE;
	dp->cap = ncap;
	/* O(cap) once per doubling: O(1) per install, amortized. */
	for (uint32_t i = 0; i < dp->cap; i++)
		if (dp->slot[i].used) {
			chain_link(dp, DPU_BY_PREFIX, i);
			chain_link(dp, DPU_BY_ID, i);
		}
	return 0;
}

void dpu_table_free(struct dmm_dp *dp)
{
	free(dp->slot);
	free(dp->bucket[DPU_BY_PREFIX]);
	free(dp->bucket[DPU_BY_ID]);
	dp->slot = NULL;
	dp->bucket[DPU_BY_PREFIX] = dp->bucket[DPU_BY_ID] = NULL;
	dp->cap = dp->nused = dp->nbucket = 0;
	dp->free_head = NONE;
}

int dpu_table_add(struct dmm_dp *dp, const struct dmm_intent *c, int ifindex,
		  const char ifname[DMM_DP_IFNAMSIZ])
{
	uint32_t i;
	struct slot *s;
	int r;

	if ((!dp->cap || dp->free_head == NONE) && (r = dpu_table_grow(dp)) < 0)
		return r;
	i = dp->free_head;
	s = &dp->slot[i];
	dp->free_head = s->next[DPU_BY_ID];
	memset(s, 0, sizeof(*s));
	s->used = true;
	s->in = *c;
	s->in.packets = s->in.bytes = 0;
	s->ifindex = ifindex;
	memcpy(s->ifname, ifname, sizeof(s->ifname));
	s->seq = ++dp->seq;
	s->bhead = s->btail = NONE;
	chain_link(dp, DPU_BY_PREFIX, i);
	chain_link(dp, DPU_BY_ID, i);
	dp->nused++;
	if (!dp->lencount[c->match][c->prefix.len]++)
		lens_rebuild(dp, c->match);
	return (int)i;
}

void dpu_table_del(struct dmm_dp *dp, uint32_t i)
{
	struct slot *s = &dp->slot[i];

	chain_unlink(dp, DPU_BY_PREFIX, i);
	chain_unlink(dp, DPU_BY_ID, i);
	s->used = false;
	s->next[DPU_BY_ID] = dp->free_head;
	dp->free_head = i;
	dp->nused--;
	if (!--dp->lencount[s->in.match][s->in.prefix.len])
		lens_rebuild(dp, s->in.match);
}

void dpu_table_replace(struct dmm_dp *dp, uint32_t i, const struct dmm_intent *c, int ifindex,
		       const char ifname[DMM_DP_IFNAMSIZ])
{
	struct slot *s = &dp->slot[i];
	bool moved = !dpu_slot_is(s, c->match, &c->prefix);

	if (moved) {
		chain_unlink(dp, DPU_BY_PREFIX, i);
		if (!--dp->lencount[s->in.match][s->in.prefix.len])
			lens_rebuild(dp, s->in.match);
	}
	s->in = *c;
	s->in.packets = s->in.bytes = 0;
	s->ifindex = ifindex;
	memcpy(s->ifname, ifname, sizeof(s->ifname));
	if (moved) {
		chain_link(dp, DPU_BY_PREFIX, i);
		if (!dp->lencount[c->match][c->prefix.len]++)
			lens_rebuild(dp, c->match);
	}
}

uint32_t dpu_find_id(const struct dmm_dp *dp, uint32_t id)
{
	if (!dp->nbucket)
		return NONE;
	for (uint32_t i = dp->bucket[DPU_BY_ID][hash_id(id) & (dp->nbucket - 1)]; i != NONE;
	     i = dp->slot[i].next[DPU_BY_ID])
		if (dp->slot[i].in.id == id)
			return i;
	return NONE;
}

uint32_t dpu_chain(const struct dmm_dp *dp, uint8_t match, const struct dmm_prefix *p)
{
	return dp->bucket[DPU_BY_PREFIX][hash_prefix(match, &p->addr, p->len) & (dp->nbucket - 1)];
}

bool dpu_better(const struct slot *a, const struct slot *b)
{
	if (!b)
		return true;
	if (a->in.precedence != b->in.precedence)
		return a->in.precedence < b->in.precedence;
	return a->seq > b->seq;
}

uint32_t dpu_lookup(const struct dmm_dp *dp, uint8_t match, const struct dmm_addr *addr, unsigned actmask,
		    const struct dmm_addr *peer)
{
	for (unsigned k = 0; k < dp->nlens[match]; k++) {
		uint8_t len = dp->lens[match][k];
		struct dmm_addr key;
		const struct slot *best = NULL;
		uint32_t besti = NONE;

		mask_addr(&key, addr, len);
		for (uint32_t i = dpu_chain(dp, match, &(struct dmm_prefix){.addr = key, .len = len});
		     i != NONE; i = dp->slot[i].next[DPU_BY_PREFIX]) {
			const struct slot *s = &dp->slot[i];

			if (s->in.match != match || s->in.prefix.len != len ||
			    !dmm_addr_eq(&s->in.prefix.addr, &key) || !(actmask & (1u << s->in.action)))
				continue;
			if (peer && !dmm_addr_eq(&s->in.peer, peer))
				continue;
			if (dpu_better(s, best)) {
				best = s;
				besti = i;
			}
		}
		if (besti != NONE)
			return besti;
	}
	return NONE;
}

uint32_t dpu_classify(const struct dmm_dp *dp, const uint8_t *pkt)
{
	const unsigned mask = 1u << DMM_FM_ENCAP | 1u << DMM_FM_BUFFER | 1u << DMM_FM_DROP;
	struct dmm_addr src, dst;
	uint32_t i;

	memcpy(src.b, pkt + 8, 16);
	memcpy(dst.b, pkt + 24, 16);
	i = dpu_lookup(dp, DMM_FM_DST, &dst, mask, NULL);
	if (i == NONE)
		i = dpu_lookup(dp, DMM_FM_SRC, &src, mask, NULL);
	return i;
}
