/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The PMIPv6 Local Mobility Anchor (RFC 5213 §5), sans-IO: the top
 * layer of the role (lma_int.h lists the layers). Here: the receive
 * dispatch, what each timer does when it fires, the peer events (RFC
 * 5847), creation, reconfiguration and the ops table.
 *
 * Every message is decoded completely before anything changes
 * (ARCHITECTURE.md rule 5). A PBU then goes through check_pbu(), which
 * reads state but never writes it and ends in a verdict; only an accepted
 * verdict changes the binding cache, the pool, the intents and the timers
 * (lma_pbu.c). The timer rules are at the top of lma_timers.c.
 *
 * Decisions where RFC 5213 leaves a choice, or where this code departs
 * from the letter of it, are marked "Choice:".
 */
#include <stddef.h>
#include <string.h>

#include "dmm/err.h"
#include "lma_int.h"

/* base.h: the peer hooks and on_timer() get the base as the LMA. */
_Static_assert(offsetof(struct dmm_lma, base) == 0, "the role base must be the first member");

#define LMA_MAX_LIFETIME_S (0xffffu * 4u) /* what the wire can carry */

/* --- entry points --- */

void dmm_lma_recv(struct dmm_lma *lma, const struct dmm_addr *src, const struct dmm_addr *dst,
		  const uint8_t *buf, size_t len, dmm_time_t now)
{
	int n;

	/*
	 * A failed decode leaves the options that decoded before the bad one
	 * in rx; clear them first so none of an earlier message remains
	 * (lma_pbu_malformed() echoes them, RFC 5213 §5.3.6).
	 */
	lma->rx.type = 0;
	lma->rx.nopts = 0;
	n = dmm_mh_decode(&lma->rx, buf, len);
	if (n < 0) {
		struct pmip_bad_rx bad = {src, dst, buf, len, n};
		uint16_t seq;

		if (pmip_malformed(&lma->base, &lma->rl, &lma->tx, lma->buf, sizeof(lma->buf), &bad, true,
				   now, &seq))
			lma_pbu_malformed(lma, src, dst, seq, now);
		return;
	}
	dmm_role_base_rx_ok(&lma->base, "lma", src, &lma->rx);
	switch (lma->rx.type) {
	case DMM_MH_BU:
		lma_recv_pbu(lma, src, dst, now);
		return;
	case DMM_MH_HB:
	case DMM_MH_BE:
		/* RFC 5847: heartbeats, and a BE that may answer one. */
		dmm_peers_recv(lma->base.peers, src, &lma->rx, now);
		return;
	case DMM_MH_LRI:
		lma_recv_lri(lma, src, dst, &lma->rx); /* RFC 6705 §7 */
		return;
	case DMM_MH_LRA:
		lma_lr_recv_lra(lma, src, &lma->rx, now); /* RFC 6705 §5 */
		return;
	case DMM_MH_BR:
		if (lma->rx.u.br.br_type == DMM_BR_BRA)
			lma_recv_bra(lma, src, &lma->rx, now);
		else
			lma_recv_bri(lma, src, dst, &lma->rx, now);
		return;
	default:
		break;
	}
	lma->base.stats.rx_unexpected++;
	dmm_logf(lma->base.env.log, DMM_LOG_DEBUG, DMM_LC_MH, "MH type %u not handled by an LMA",
		 lma->rx.type);
}

/* A timer of a binding fired (heartbeats are run by base.c); the rules are in lma_timers.c. */
static void on_timer(struct dmm_role_base *b, unsigned kind, struct dmm_handle h, dmm_time_t now)
{
	struct dmm_lma *lma = (struct dmm_lma *)b;
	struct dmm_bcache_entry *e;

	switch (kind) {
	case DMM_TIMER_BCE_EXPIRE:
		e = dmm_bcache_get(lma->bc, h);
		if (e && e->state != DMM_BCE_DEREG_WAIT)
			lma_bce_delete(lma, e, "lifetime expired", now);
		break;
	case DMM_TIMER_BCE_HANDOFF_DELAY:
		/* RFC 5213 §5.4.1.3 step 3: no de-registration within MaxDelayBeforeNewBCEAssign. */
		e = dmm_bcache_get(lma->bc, h);
		if (e)
			lma_handoff_wait_end(lma, e, true,
					     "no de-registration within MaxDelayBeforeNewBCEAssign");
		break;
	case DMM_TIMER_BCE_DEREG_DELAY:
		/* §5.3.5: MinDelayBeforeBCEDelete passed without a new PBU. */
		e = dmm_bcache_get(lma->bc, h);
		if (e && e->state == DMM_BCE_DEREG_WAIT)
			lma_bce_delete(lma, e, "de-registration delay over", now);
		break;
	case LMA_TIMER_BRI_RETX:
		lma_bri_timer(lma, h, now);
		break;
	case LMA_TIMER_LR:
		lma_lr_timer(lma, h, now);
		break;
	default:
		break;
	}
}

/* --- peer events (RFC 5847) --- */

/*
 * RFC 5847 §3.1. Choice: a MAG that stops answering keeps its bindings
 * until their lifetimes run out; the path may come back, and the MAG,
 * which owns the MN's attachment, decides. Logged and counted (peer.c).
 */
static void peer_down(void *ctx, struct dmm_peer *p, dmm_time_t now)
{
	struct dmm_lma *lma = ctx;
	char a[DMM_ADDR_STRLEN];

	(void)now;
	dmm_logf(lma->base.env.log, DMM_LOG_WARN, DMM_LC_FSM,
		 "mag %s: down (%u bindings kept until their lifetime)", dmm_addr_str(&p->addr, a),
		 p->bindings);
}

static void peer_up(void *ctx, struct dmm_peer *p, dmm_time_t now)
{
	struct dmm_lma *lma = ctx;
	char a[DMM_ADDR_STRLEN];

	(void)now;
	/* The peer's own transition is logged by peer.c. */
	dmm_logf(lma->base.env.log, DMM_LOG_INFO, DMM_LC_FSM, "mag %s: reachable again (%u bindings)",
		 dmm_addr_str(&p->addr, a), p->bindings);
}

/* RFC 5847 §3.2: the MAG restarted and lost its state: its bindings here are void. */
static void peer_restarted(void *ctx, struct dmm_peer *p, dmm_time_t now)
{
	struct dmm_lma *lma = ctx;
	struct dmm_addr mag = p->addr;
	struct dmm_bcache_entry *e, *next;
	char a[DMM_ADDR_STRLEN];
	unsigned n = 0;

	for (e = dmm_bcache_next(lma->bc, NULL); e; e = next) {
		next = dmm_bcache_next(lma->bc, e);
		if (dmm_addr_eq(dmm_bce_pcoa(e), &mag)) {
			lma_bce_delete(lma, e, "mag restarted", now);
			n++;
		}
	}
	dmm_logf(lma->base.env.log, DMM_LOG_WARN, DMM_LC_FSM, "mag %s restarted: %u bindings deleted",
		 dmm_addr_str(&mag, a), n);
}

/* --- creation --- */

void dmm_lma_cfg_defaults(struct dmm_lma_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->max_bindings = 1024;
	cfg->max_peers = 64;
	cfg->hnp_len = 64;
	cfg->min_delay_before_bce_delete = 10 * DMM_SECOND;	/* RFC 5213 §9.1 (10000 ms) */
	cfg->max_delay_before_new_bce_assign = 1500 * DMM_MSEC; /* §9.1 */
	cfg->timestamp_validity_window = 300 * DMM_MSEC;	/* §9.1 */
	cfg->timestamp_based = true;				/* §9.3 */
	cfg->max_lifetime_s = LMA_MAX_LIFETIME_S;
	cfg->heartbeat_interval = 60 * DMM_SECOND; /* RFC 5847 §5 */
	cfg->missing_heartbeats_allowed = 3;
	cfg->revoke_on_handoff = true;
	cfg->bri_max_retries = 1;	   /* RFC 5846 §11 */
	cfg->lr.lra_wait = 3 * DMM_SECOND; /* RFC 6705 §12 LRA_WAIT_TIME */
	cfg->lr.retries = 3;		   /* LRI_RETRIES */
}

static void peer_cfg(const struct dmm_lma_cfg *cfg, struct dmm_peer_cfg *pc)
{
	*pc = dmm_role_peer_cfg(&cfg->addr, cfg->heartbeat_interval, cfg->missing_heartbeats_allowed,
				cfg->restart_counter);
}

static bool cfg_ok(const struct dmm_lma_cfg *cfg)
{
	return cfg->policy && cfg->max_bindings > 0 && cfg->max_bindings <= (1u << 24) &&
	       cfg->max_peers > 0 && cfg->npool <= 4 && cfg->lr.npairs <= DMM_LMA_LR_MAX_POLICY &&
	       cfg->hnp_len >= 1 && cfg->hnp_len <= 128 && !dmm_addr_is_zero(&cfg->addr);
}

/* Prefixes in the configured ranges (each capped as the pool caps it). */
static uint32_t pool_capacity(const struct dmm_lma_cfg *cfg)
{
	uint64_t n = 0;

	for (unsigned i = 0; i < cfg->npool; i++) {
		unsigned bits = cfg->pool[i].len >= cfg->hnp_len ? 0 : cfg->hnp_len - cfg->pool[i].len;

		n += bits > DMM_POOL_MAX_RANGE_BITS ? 1u << DMM_POOL_MAX_RANGE_BITS : 1u << bits;
	}
	return n == 0 ? 1 : n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
}

/*
 * Choice: intents for what a binding uses: two per HNP (downlink ENCAP,
 * uplink DECAP; one DROP in DEREG_WAIT), those of the first HNP in the
 * binding's home in the table (fm.h dmm_fm_new_indexed()), and a shared
 * overflow of an eighth of the bindings (the records) for bindings with
 * more HNPs and for the moment of a handoff with two uplinks
 * (lma_set_intents(): the new DECAP before the old one goes). A request
 * beyond it is refused with 130 (room_for() in lma_pbu.c). The records
 * are at most 2^24.
 */
static uint32_t intent_records(uint32_t cap)
{
	uint32_t n = cap / 8 + 64;

	return n > (1u << 24) ? (1u << 24) : n;
}

/*
 * Choice: the short timers (BRI retransmission, BCE_HANDOFF_DELAY) and
 * the pending BRIs are for the handoffs of a moment: a BRI waits for its
 * BRA (a round trip; 3 s when the old MAG is gone, at the default
 * retries, RFC 5846 §6.3), a handoff wait MaxDelayBeforeNewBCEAssign
 * (1.5 s). Room for an
 * eighth of the bindings at once (125,000 at 10^6: that many handoffs
 * within those 3 s), plus 64 for a small LMA.
 */
#define LMA_SHORT_SHARE 8

/*
 * Timers: one per binding (BCE_EXPIRE, or BCE_DEREG_DELAY in its place),
 * one per peer (heartbeat), and a shared overflow of LMA_SHORT_SHARE for
 * the short ones, which lma_timers.c arms only while every binding keeps
 * room for its lifetime timer. The binding's own timer is in the record
 * of its slot (timers.h dmm_timers_make_direct()): a refresh finds it
 * without a hash or an index line.
 */
static uint32_t timer_capacity(const struct dmm_lma_cfg *cfg)
{
	uint64_t n = (uint64_t)cfg->max_bindings + cfg->max_bindings / LMA_SHORT_SHARE + cfg->max_peers + 64;

	return n > (1u << 30) ? (1u << 30) : (uint32_t)n;
}

/*
 * RFC 6705 §5: the per-MAG lists of bindings (lma_lr.c), 20 octets a
 * binding, only for an LMA that initiates localized routing (off by
 * default): without them no pair is ever made, so the lists would serve
 * nothing. Whether it does is fixed at creation (dmm_lma_reconfigure()).
 * 0 or DMM_ERR_NOMEM.
 */
static int lr_lists(struct dmm_lma *lma, const struct dmm_alloc *a)
{
	if (!lma->cfg.lr.initiate)
		return 0;
	lma->lrx = a->zalloc(a->ctx, sizeof(*lma->lrx) * lma->cfg.max_bindings);
	lma->mag_cap = lma->cfg.max_peers;
	lma->mag_head = a->zalloc(a->ctx, sizeof(*lma->mag_head) * lma->cfg.max_peers);
	return lma->lrx && lma->mag_head ? 0 : DMM_ERR_NOMEM;
}

/*
 * BRIs waiting for their BRA (RFC 5846): as many as the short timers'
 * overflow (timer_capacity()), an eighth of the bindings, plus 64; beyond
 * that a BRI goes untracked (lma_bri.c), as it would go without
 * retransmission for want of a timer.
 */
static uint32_t bri_capacity(uint32_t cap)
{
	return cap / LMA_SHORT_SHARE + 64;
}

/*
 * The addresses the bindings' records name (lma_int.h struct lma_bx): the
 * MAGs a binding waited for, and link-local addresses (RFC 5213 §8.7),
 * which are few: the MAGs', one per access link. Room for every peer,
 * and for a sixteenth of the bindings beyond that; when full, a new
 * link-local address is not kept (the PBA then names none).
 */
static uint32_t addr_capacity(const struct dmm_lma_cfg *cfg)
{
	return cfg->max_peers + cfg->max_bindings / 16 + 64;
}

/*
 * fm.h dmm_fm_home_prefix_fn: a binding's home in the intent table holds
 * the intents of its first HNP, read from its entry, not kept twice.
 * The entry keeps that HNP while it has intents: HNPs are added before
 * the first intent (lma_pbu.c) and never removed, and the intents go
 * before the entry (lma_bce_delete()).
 */
static const struct dmm_prefix *home_prefix(const void *ctx, struct dmm_handle owner)
{
	const struct dmm_bcache_entry *e = dmm_bcache_get(ctx, owner);

	return e && e->n_hnp ? dmm_bce_hnp(e, 0) : NULL;
}

struct dmm_lma *dmm_lma_new(const struct dmm_env *env, const struct dmm_lma_cfg *cfg, dmm_time_t now)
{
	const struct dmm_alloc *a = env ? env->alloc : NULL;
	struct dmm_peer_ops pops = {NULL, peer_down, peer_restarted, peer_up, NULL};
	struct dmm_peer_cfg pc;
	struct dmm_role_caps caps;
	struct dmm_lma *lma;
	struct dmm_bcache_sizes bc_sizes;
	uint32_t cap, pcap;

	(void)now;
	if (!env || !a || !env->send || !env->fm.install || !env->fm.remove || !cfg || !cfg_ok(cfg))
		return NULL;
	cap = cfg->max_bindings;
	/*
	 * Compact cache: the first HNP of a binding is in its entry; HNPs
	 * beyond the first share an overflow of an eighth of the bindings
	 * (as the intents do, intent_capacity()), or of 64 when that is more
	 * (a small LMA: as many as the bindings, up to 64).
	 * MN-IDs of up to DMM_BCE_MNID_INLINE (16) octets are in the entry,
	 * longer ones share an arena of 8 octets per binding (an eighth of
	 * the bindings may have NAIs of up to 64 octets), plus 4 KiB so that a
	 * small LMA still takes a few 255-octet NAIs (and MN-LLIDs beyond 8
	 * octets). The Proxy-CoAs: one per MAG, held once (room_for() refuses
	 * a new one when the table is full). At 10^6 bindings the arena and the
	 * extra HNPs are 11 of the cache's 133 octets a binding (bench_lma);
	 * the entry, 96, and its two indexes, 25, are the rest.
	 */
	pcap = cap + (cap / 8 > 64 ? cap / 8 : cap < 64 ? cap : 64);
	bc_sizes = (struct dmm_bcache_sizes){
		cap, pcap, pcap - cap, (size_t)cap * 8 + 4096, false, cfg->max_peers + 64};
	lma = a->zalloc(a->ctx, sizeof(*lma));
	if (!lma)
		return NULL;
	lma->cfg = *cfg;
	lma->fm_cap = 2 * cap + intent_records(cap);
	lma->bri_seq = (uint16_t)(env->seed >> 16); /* a fresh start for BRI sequence numbers */
	lma->bc = dmm_bcache_new_sized(a, &bc_sizes, env->seed);
	if (!lma->bc)
		goto err_bc;
	lma->pool = dmm_pool_new(a, pool_capacity(cfg), cfg->hnp_len);
	if (!lma->pool)
		goto err_pool;
	for (unsigned i = 0; i < cfg->npool; i++)
		if (dmm_pool_add_range(lma->pool, &cfg->pool[i]) != 0)
			goto err_range;
	caps.timers = 1; /* made direct below, a record per binding slot (timer_capacity()) */
	caps.peers = cfg->max_peers;
	caps.intents = 0; /* made below, its owner index an array by binding slot */
	caps.timer = on_timer;
	peer_cfg(cfg, &pc);
	if (dmm_role_base_init(&lma->base, env, &caps, &pc, &pops) != 0)
		goto err_base;
	if (dmm_timers_make_direct(lma->base.timers, timer_capacity(cfg), cap,
				   1u << DMM_TIMER_BCE_EXPIRE | 1u << DMM_TIMER_BCE_DEREG_DELAY) != 0)
		goto err_bx;
	lma->base.fm = dmm_fm_new_indexed(a, intent_records(cap), cap, &env->fm, home_prefix,
					  lma->bc); /* freed by dmm_role_base_fini() */
	if (!lma->base.fm)
		goto err_bx;
	dmm_peers_set_role(lma->base.peers, "lma");
	lma->bx = a->zalloc(a->ctx, sizeof(*lma->bx) * cap);
	if (!lma->bx)
		goto err_bx;
	if (lr_lists(lma, a) != 0)
		goto err_bri;
	lma->bri_cap = bri_capacity(cap);
	lma->bri = a->zalloc(a->ctx, sizeof(*lma->bri) * lma->bri_cap);
	if (!lma->bri)
		goto err_bri;
	if (dmm_hidx_init(&lma->bri_idx, a, lma->bri_cap) != 0)
		goto err_idx;
	if (dmm_addrtab_init(&lma->addrs, a, addr_capacity(cfg), env->seed | 1) != 0)
		goto err_addrs;
	lma->bri_free = UINT32_MAX; /* records are taken in order as needed (bri_fresh) */
	return lma;

err_addrs:
	dmm_hidx_fini(&lma->bri_idx, a);
err_idx:
	a->free(a->ctx, lma->bri);
err_bri:
	if (lma->lrx)
		a->free(a->ctx, lma->lrx);
	if (lma->mag_head)
		a->free(a->ctx, lma->mag_head);
	a->free(a->ctx, lma->bx);
err_bx:
	dmm_role_base_fini(&lma->base);
err_base:
err_range:
	dmm_pool_free(lma->pool);
err_pool:
	dmm_bcache_free(lma->bc);
err_bc:
	a->free(a->ctx, lma);
	return NULL;
}

void dmm_lma_free(struct dmm_lma *lma)
{
	const struct dmm_alloc *a;

	if (!lma)
		return;
	a = lma->base.env.alloc;
	dmm_addrtab_fini(&lma->addrs, a);
	dmm_hidx_fini(&lma->bri_idx, a);
	a->free(a->ctx, lma->bri);
	if (lma->lrx)
		a->free(a->ctx, lma->lrx);
	if (lma->mag_head)
		a->free(a->ctx, lma->mag_head);
	a->free(a->ctx, lma->bx);
	dmm_role_base_fini(&lma->base); /* removes every intent through the backend */
	dmm_pool_free(lma->pool);
	dmm_bcache_free(lma->bc);
	a->free(a->ctx, lma);
}

int dmm_lma_reconfigure(struct dmm_lma *lma, const struct dmm_lma_cfg *cfg, dmm_time_t now)
{
	struct dmm_peer_cfg pc;

	(void)now;
	if (!cfg || !cfg_ok(cfg))
		return DMM_ERR_INVAL;
	/* Pools and capacities are fixed at creation, and the per-MAG lists of localized routing (lr_lists()). */
	if (cfg->max_bindings != lma->cfg.max_bindings || cfg->max_peers != lma->cfg.max_peers ||
	    cfg->npool != lma->cfg.npool || cfg->hnp_len != lma->cfg.hnp_len ||
	    (cfg->lr.initiate && !lma->lrx))
		return DMM_ERR_INVAL;
	for (unsigned i = 0; i < cfg->npool; i++)
		if (!dmm_prefix_eq(&cfg->pool[i], &lma->cfg.pool[i]))
			return DMM_ERR_INVAL;
	lma->cfg = *cfg;
	peer_cfg(cfg, &pc);
	dmm_peers_reconfigure(lma->base.peers, &pc);
	return 0;
}

const struct dmm_bcache *dmm_lma_bcache(const struct dmm_lma *lma)
{
	return lma->bc;
}

const struct dmm_pool *dmm_lma_pool(const struct dmm_lma *lma)
{
	return lma->pool;
}

void dmm_lma_memory(const struct dmm_lma *lma, struct dmm_lma_memory *out)
{
	out->bcache = dmm_bcache_bytes(lma->bc);
	out->intents = dmm_fm_bytes(lma->base.fm);
	out->timers = dmm_timers_bytes(lma->base.timers);
	out->pool = dmm_pool_bytes(lma->pool);
	out->lma = sizeof(*lma) + sizeof(*lma->bx) * lma->cfg.max_bindings +
		   (lma->lrx ? sizeof(*lma->lrx) * lma->cfg.max_bindings : 0) +
		   sizeof(*lma->mag_head) * lma->mag_cap + sizeof(*lma->bri) * lma->bri_cap +
		   dmm_hidx_bytes(&lma->bri_idx) + dmm_addrtab_bytes(&lma->addrs);
}

/* --- the role ops table --- */

DMM_ROLE_OPS_ADAPTERS(lma)

static size_t ops_tables(const void *inst, struct dmm_role_table *out, size_t max)
{
	if (max < 1)
		return 0;
	out[0] = (struct dmm_role_table){.bcache = dmm_lma_bcache(inst)};
	return 1;
}

/*
 * role.h refused: a batched data plane refused an intent of the binding
 * owner names after its install had returned 0. As when the refusal comes
 * at once (lma_pbu.c, RFC 5213 §5.3.2 steps 5-6, §5.3.4): the binding
 * cannot serve, so it goes with its intents, prefixes and timers. The
 * PBA, if not yet sent, is the data plane's to hold back.
 */
static int ops_refused(void *inst, struct dmm_handle owner, dmm_time_t now)
{
	struct dmm_lma *lma = inst;
	struct dmm_bcache_entry *e = dmm_bcache_get(lma->bc, owner);

	if (!e)
		return DMM_ERR_NOTFOUND;
	lma->base.stats.dp_refused++;
	lma_bce_delete(lma, e, "data plane refused the forwarding state", now);
	return 0;
}

const struct dmm_role_ops dmm_lma_ops = {
	DMM_ROLE_OPS_COMMON("lma"), .counters = lma_role_counters, .refused = ops_refused,
	/* no access links: no attach, no detach */
};
