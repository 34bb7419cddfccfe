/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The user data plane's intent table (user.h): slots in one array, a
 * free list of slots, two hash indexes (by match and masked prefix, by
 * id) with doubly linked chains, and per match kind the prefix lengths
 * in use. Install takes the free list's head, remove puts the slot back
 * and unlinks it without a walk, a lookup by id is one probe, and a
 * longest-prefix match is one probe per length in use (at most 129),
 * longest first: no operation walks over the intents (ARCHITECTURE.md:
 * intent tables indexed, never scanned), whatever their number. Slots
 * come in chunks, so growing adds a chunk and never copies the slots; the
 * indexes double when the slots outnumber half their buckets, and their
 * chains then move to the new buckets a few per later change (linear
 * rehashing), so that no single install pays for all the intents.
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

/*
 * A bucket holds its first slot plus one, so that 0 is an empty bucket
 * (NONE + 1 wraps to 0): a new index comes zeroed from calloc, and the
 * kernel's zero pages are touched only as chains arrive, rather than
 * filled with NONE all at once by the install that doubles it.
 */
static uint32_t head_get(const uint32_t *head)
{
	return *head - 1;
}

static void head_set(uint32_t *head, uint32_t i)
{
	*head = i + 1;
}

/* The head of hash h's chain in index k: in the old index until its bucket moved over. */
static uint32_t *head_of(const struct dmm_dp *dp, int k, uint32_t h)
{
	if (dp->old_nbucket && (h & (dp->old_nbucket - 1)) >= dp->moved)
		return &dp->old_bucket[k][h & (dp->old_nbucket - 1)];
	return &dp->bucket[k][h & (dp->nbucket - 1)];
}

/* The bucket of slot i in index k. */
static uint32_t *bucket_of(struct dmm_dp *dp, int k, uint32_t i)
{
	const struct slot *s = dpu_slot(dp, i);

	return head_of(dp, k,
		       k == DPU_BY_PREFIX ? hash_prefix(s->in.match, &s->in.prefix.addr, s->in.prefix.len)
					  : hash_id(s->in.id));
}

/* Put slot i first on its chain of index k. */
static void chain_link(struct dmm_dp *dp, int k, uint32_t i)
{
	uint32_t *head = bucket_of(dp, k, i);
	struct slot *s = dpu_slot(dp, i);

	s->prev[k] = NONE;
	s->next[k] = head_get(head);
	if (s->next[k] != NONE)
		dpu_slot(dp, s->next[k])->prev[k] = i;
	head_set(head, i);
}

/* Take slot i off its chain of index k: no walk, the chain is doubly linked. */
static void chain_unlink(struct dmm_dp *dp, int k, uint32_t i)
{
	struct slot *s = dpu_slot(dp, i);

	if (s->prev[k] == NONE)
		head_set(bucket_of(dp, k, i), s->next[k]);
	else
		dpu_slot(dp, s->prev[k])->next[k] = s->next[k];
	if (s->next[k] != NONE)
		dpu_slot(dp, s->next[k])->prev[k] = s->prev[k];
}

/* Move up to n buckets of the old index (both kinds) to the new one; the last frees it. */
static void migrate(struct dmm_dp *dp, uint32_t n)
{
	while (dp->old_nbucket && n--) {
		uint32_t b = dp->moved++; /* from now on, head_of() answers the new bucket */

		for (int k = 0; k < 2; k++)
			for (uint32_t i = head_get(&dp->old_bucket[k][b]), next; i != NONE; i = next) {
				next = dpu_slot(dp, i)->next[k];
				chain_link(dp, k, i);
			}
		if (dp->moved == dp->old_nbucket) {
			free(dp->old_bucket[DPU_BY_PREFIX]);
			free(dp->old_bucket[DPU_BY_ID]);
			dp->old_bucket[DPU_BY_PREFIX] = dp->old_bucket[DPU_BY_ID] = NULL;
			dp->old_nbucket = dp->moved = 0;
		}
	}
}

/* Twice the buckets; the present chains stay in the old index until migrate() moves them. 0 or -ENOMEM. */
static int double_index(struct dmm_dp *dp)
{
	uint32_t n = dp->nbucket ? 2 * dp->nbucket : 2 * DPU_CHUNK;
	uint32_t *pb = calloc(n, sizeof(*pb)), *ib = calloc(n, sizeof(*ib)); /* all empty (head_get) */

	if (!pb || !ib) {
		free(pb);
		free(ib);
		return -ENOMEM;
	}
	migrate(dp, UINT32_MAX); /* an earlier doubling not finished yet: finish it first */
	if (dp->nbucket) {
		dp->old_bucket[DPU_BY_PREFIX] = dp->bucket[DPU_BY_PREFIX];
		dp->old_bucket[DPU_BY_ID] = dp->bucket[DPU_BY_ID];
		dp->old_nbucket = dp->nbucket;
		dp->moved = 0;
	}
	dp->bucket[DPU_BY_PREFIX] = pb;
	dp->bucket[DPU_BY_ID] = ib;
	dp->nbucket = n;
	return 0;
}

int dpu_table_grow(struct dmm_dp *dp)
{
	struct slot *c;

	if (dp->nchunk == dp->chunk_cap) {
		uint32_t ncap = dp->chunk_cap ? 2 * dp->chunk_cap : 16;
		struct slot **nc = realloc(dp->chunk, ncap * sizeof(*nc)); /* pointers only */

		if (!nc)
			return -ENOMEM;
		dp->chunk = nc;
		dp->chunk_cap = ncap;
	}
	if (2 * (dp->cap + DPU_CHUNK) > dp->nbucket && double_index(dp) < 0)
		return -ENOMEM;
	c = calloc(DPU_CHUNK, sizeof(*c));
	if (!c)
		return -ENOMEM;
	dp->chunk[dp->nchunk++] = c;
	/* The new slots go on the free list, lowest first, ahead of any free slot left. */
	for (uint32_t j = 0; j < DPU_CHUNK; j++)
		c[j].next[DPU_BY_ID] = j + 1 < DPU_CHUNK ? dp->cap + j + 1 : (dp->cap ? dp->free_head : NONE);
	dp->free_head = dp->cap;
	dp->cap += DPU_CHUNK;
	return 0;
}

void dpu_table_free(struct dmm_dp *dp)
{
	for (uint32_t c = 0; c < dp->nchunk; c++)
		free(dp->chunk[c]);
	free(dp->chunk);
	for (int k = 0; k < 2; k++) {
		free(dp->bucket[k]);
		free(dp->old_bucket[k]);
		dp->bucket[k] = dp->old_bucket[k] = NULL;
	}
	dp->chunk = NULL;
	dp->nchunk = dp->chunk_cap = dp->cap = dp->nused = dp->nbucket = dp->old_nbucket = dp->moved = 0;
	dp->free_head = NONE;
}

/* Whether in is a DST BUFFER with a peer (fm.h): dp->nordered counts them. */
static bool ordered(const struct dmm_intent *in)
{
	return in->match == DMM_FM_DST && in->action == DMM_FM_BUFFER && !dmm_addr_is_zero(&in->peer);
}

/* The count of ordered slots after one went from was (NULL: none) to now (NULL: none). */
static void count_ordered(struct dmm_dp *dp, const struct dmm_intent *was, const struct dmm_intent *now)
{
	uint32_t n = dp->nordered - (was && ordered(was)) + (now && ordered(now));

	__atomic_store_n(&dp->nordered, n, __ATOMIC_RELAXED);
}

int dpu_table_add(struct dmm_dp *dp, const struct dmm_intent *c, int ifindex,
		  const char ifname[DMM_DP_IFNAMSIZ])
{
	uint32_t i;
	struct slot *s;
	int r;

	if ((!dp->cap || dp->free_head == NONE) && (r = dpu_table_grow(dp)) < 0)
		return r;
	migrate(dp, DPU_MIGRATE);
	i = dp->free_head;
	s = dpu_slot(dp, i);
	dp->free_head = s->next[DPU_BY_ID];
	memset(s, 0, sizeof(*s));
	s->used = true;
	count_ordered(dp, NULL, c);
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
	struct slot *s = dpu_slot(dp, i);

	migrate(dp, DPU_MIGRATE);
	chain_unlink(dp, DPU_BY_PREFIX, i);
	chain_unlink(dp, DPU_BY_ID, i);
	count_ordered(dp, &s->in, NULL);
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
	struct slot *s = dpu_slot(dp, i);
	bool moved = !dpu_slot_is(s, c->match, &c->prefix);

	migrate(dp, DPU_MIGRATE);
	if (moved) {
		chain_unlink(dp, DPU_BY_PREFIX, i);
		if (!--dp->lencount[s->in.match][s->in.prefix.len])
			lens_rebuild(dp, s->in.match);
	}
	count_ordered(dp, &s->in, c);
	s->in = *c;
	s->in.packets = s->in.bytes = 0;
	s->packets = s->bytes = 0; /* a new forwarding counts from 0, as in the kernel backend (fm.c) */
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
	for (uint32_t i = head_get(head_of(dp, DPU_BY_ID, hash_id(id))); i != NONE;
	     i = dpu_slot(dp, i)->next[DPU_BY_ID])
		if (dpu_slot(dp, i)->in.id == id)
			return i;
	return NONE;
}

uint32_t dpu_chain(const struct dmm_dp *dp, uint8_t match, const struct dmm_prefix *p)
{
	return head_get(head_of(dp, DPU_BY_PREFIX, hash_prefix(match, &p->addr, p->len)));
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
		     i != NONE; i = dpu_slot(dp, i)->next[DPU_BY_PREFIX]) {
			const struct slot *s = dpu_slot(dp, i);

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
