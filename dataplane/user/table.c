/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The user data plane's intent table (user.h): slots in one array, two
 * hash indexes (by match and masked prefix, by id), and per match kind
 * the prefix lengths in use, so that a lookup costs one hash probe per
 * length in use, never a walk over the intents (ARCHITECTURE.md: intent
 * tables indexed, never scanned). The array grows on install.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "user.h"

static uint32_t hash_prefix(uint8_t match, const struct dmm_addr *a, uint8_t len)
{
	uint64_t h = 0x9e3779b97f4a7c15ull ^ ((uint64_t)match << 8) ^ len;

	for (int i = 0; i < 16; i += 8) {
		uint64_t w;

		memcpy(&w, a->b + i, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdull;
		h ^= h >> 33;
	}
	return (uint32_t)h;
}

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

static void lens_rebuild(struct dmm_dp *dp, int m)
{
	dp->nlens[m] = 0;
	for (int l = 128; l >= 0; l--)
		if (dp->lencount[m][l])
			dp->lens[m][dp->nlens[m]++] = (uint8_t)l;
}

static void table_link(struct dmm_dp *dp, uint32_t i)
{
	struct slot *s = &dp->slot[i];
	uint32_t hb = hash_prefix(s->in.match, &s->in.prefix.addr, s->in.prefix.len) & (dp->nbucket - 1);
	uint32_t ib = hash_id(s->in.id) & (dp->nbucket - 1);

	s->pnext = dp->pbucket[hb];
	dp->pbucket[hb] = i;
	s->inext = dp->ibucket[ib];
	dp->ibucket[ib] = i;
}

static void table_unlink(struct dmm_dp *dp, uint32_t i)
{
	struct slot *s = &dp->slot[i];
	uint32_t hb = hash_prefix(s->in.match, &s->in.prefix.addr, s->in.prefix.len) & (dp->nbucket - 1);
	uint32_t ib = hash_id(s->in.id) & (dp->nbucket - 1);
	uint32_t *p;

	for (p = &dp->pbucket[hb]; *p != NONE; p = &dp->slot[*p].pnext)
		if (*p == i) {
			*p = s->pnext;
			break;
		}
	for (p = &dp->ibucket[ib]; *p != NONE; p = &dp->slot[*p].inext)
		if (*p == i) {
			*p = s->inext;
			break;
		}
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
	free(dp->pbucket);
	free(dp->ibucket);
	dp->pbucket = pb;
	dp->ibucket = ib;
	dp->nbucket = 2 * ncap;
	for (uint32_t b = 0; b < dp->nbucket; b++)
		pb[b] = ib[b] = NONE;
	dp->cap = ncap;
	for (uint32_t i = 0; i < dp->cap; i++)
		if (dp->slot[i].used)
			table_link(dp, i);
	return 0;
}

int dpu_table_add(struct dmm_dp *dp, const struct dmm_intent *c, int ifindex,
		  const char ifname[DMM_DP_IFNAMSIZ])
{
	uint32_t i;
	struct slot *s;
	int r;

	if (dp->nused == dp->cap && (r = dpu_table_grow(dp)) < 0)
		return r;
	for (i = dp->free_hint; dp->slot[i].used; i = (i + 1) % dp->cap)
		;
	s = &dp->slot[i];
	memset(s, 0, sizeof(*s));
	s->used = true;
	s->in = *c;
	s->in.packets = s->in.bytes = 0;
	s->ifindex = ifindex;
	memcpy(s->ifname, ifname, sizeof(s->ifname));
	s->seq = ++dp->seq;
	s->bhead = s->btail = NONE;
	table_link(dp, i);
	dp->nused++;
	if (!dp->lencount[c->match][c->prefix.len]++)
		lens_rebuild(dp, c->match);
	return (int)i;
}

void dpu_table_del(struct dmm_dp *dp, uint32_t i)
{
	struct slot *s = &dp->slot[i];

	table_unlink(dp, i);
	s->used = false;
	dp->nused--;
	if (!--dp->lencount[s->in.match][s->in.prefix.len])
		lens_rebuild(dp, s->in.match);
}

uint32_t dpu_find_id(const struct dmm_dp *dp, uint32_t id)
{
	if (!dp->nbucket)
		return NONE;
	for (uint32_t i = dp->ibucket[hash_id(id) & (dp->nbucket - 1)]; i != NONE; i = dp->slot[i].inext)
		if (dp->slot[i].in.id == id)
			return i;
	return NONE;
}

uint32_t dpu_chain(const struct dmm_dp *dp, uint8_t match, const struct dmm_prefix *p)
{
	return dp->pbucket[hash_prefix(match, &p->addr, p->len) & (dp->nbucket - 1)];
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
		for (uint32_t i = dp->pbucket[hash_prefix(match, &key, len) & (dp->nbucket - 1)]; i != NONE;
		     i = dp->slot[i].pnext) {
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
