/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The PMIPv6 Local Mobility Anchor (RFC 5213 §5), sans-IO.
 *
 * Every message is decoded completely before anything changes
 * (ARCHITECTURE.md rule 5). A PBU then goes through check_pbu(), which
 * reads state but never writes it and ends in a verdict: a status code,
 * the binding it concerns, and which of the §5.3.2-§5.3.5 cases applies.
 * Only an accepted verdict reaches apply_pbu(), which changes the binding
 * cache, the pool, the intents and the timers. A refused PBU changes
 * nothing but counters.
 *
 * Timers, in one place (STYLE.md). Per binding, keyed by its handle:
 *
 *   DMM_TIMER_BCE_EXPIRE       at `expires` of an ACTIVE binding: the
 *                              lifetime ran out; delete it.
 *   DMM_TIMER_BCE_DEREG_DELAY  MinDelayBeforeBCEDelete after an accepted
 *                              de-registration (§5.3.5): delete the
 *                              binding unless a PBU revived it.
 *   LMA_TIMER_BRI_RETX         1 s after a BRI was sent (RFC 5846 §6.3),
 *                              doubled once to MAX_BRACK_TIMEOUT (2 s):
 *                              resend until 2 retransmissions are spent
 *                              or the BRA arrives.
 *
 * Per peer, DMM_TIMER_HEARTBEAT is run by core/role/peer.c (RFC 5847).
 *
 * Decisions where RFC 5213 leaves a choice, or where this code departs
 * from the letter of it, are marked "Choice:" below.
 */
#include <string.h>

#include "dmm/bytes.h"
#include "dmm/err.h"
#include "dmm/fmt.h"
#include "dmm/lma.h"
#include "dmm/mh.h"
#include "pmip_common.h"

/* Our own timer kind above the built-in ones (timers.h). */
enum { LMA_TIMER_BRI_RETX = DMM_TIMER_NKINDS_BUILTIN };

#define LMA_BRI_RETRIES 2                /* retransmissions after the first BRI */
#define LMA_BRI_DELAY DMM_SECOND         /* InitMINDelayBRIs, RFC 5846 §11 */
#define LMA_BRI_MAX_DELAY (2 * DMM_SECOND) /* MAX_BRACK_TIMEOUT */
#define LMA_INTENT_PRECEDENCE 100
#define LMA_MAX_LIFETIME_S (0xffffu * 4u) /* what the wire can carry */

/* RFC 5846 §5.1 revocation triggers used here. */
enum { BRI_TRIGGER_SAME_ATT = 2, BRI_TRIGGER_OTHER_ATT = 3, BRI_TRIGGER_UNKNOWN = 4 };

/* What the LMA keeps per binding beside the cache entry, indexed by handle.idx. */
struct lma_bx {
	struct dmm_handle peer; /* the peer this binding holds a reference on; gen 0: none */
	bool bri_pending;       /* a BRI waits for its BRA */
	uint8_t bri_sent;       /* transmissions of the pending BRI */
	uint8_t bri_trigger;
	uint16_t bri_seq;
	struct dmm_addr bri_dst; /* the previous MAG */
	struct dmm_handle bri_owner; /* the binding, for a BRA that names only the seq */
	dmm_time_t bri_delay;    /* the next retransmission interval */
};

struct dmm_lma {
	struct dmm_env env;
	struct dmm_lma_cfg cfg;
	struct dmm_pmip_stats stats;
	struct dmm_bcache *bc;
	struct dmm_pool *pool;
	struct dmm_fm *fm;
	uint32_t fm_cap;
	struct dmm_timers *timers;
	struct dmm_peers *peers;
	struct lma_bx *bx;
	struct dmm_hidx bri_idx; /* pending BRI seq -> binding slot */
	uint16_t bri_seq;
	/* Scratch space, kept out of the stack: a decoded message is ~9 KB. */
	struct dmm_mh_msg rx, tx;
	uint8_t buf[DMM_MH_MAX_LEN];
};

/* --- small helpers --- */

static const struct dmm_addr *tunnel_local(const struct dmm_lma *lma)
{
	/* RFC 7389: user-plane traffic uses the LMA-UPA when one is set. */
	return dmm_addr_is_zero(&lma->cfg.upa) ? &lma->cfg.addr : &lma->cfg.upa;
}

static bool prefix_is_zero(const struct dmm_prefix *p)
{
	return dmm_addr_is_zero(&p->addr);
}

static void mnid_from_opt(struct dmm_mnid *m, const struct dmm_mh_opt *o)
{
	m->subtype = o->u.mnid.subtype;
	m->len = o->u.mnid.id.len;
	memcpy(m->id, o->u.mnid.id.b, m->len);
}

/* The LMA's time of day in ns since 1970 (role.h: now + wall_offset). */
static uint64_t wall_ns(const struct dmm_lma *lma, dmm_time_t now)
{
	int64_t w = (int64_t)now + lma->env.wall_offset;

	return w < 0 ? 0 : (uint64_t)w;
}

/* The 64-bit Timestamp form of §8.8 (48-bit seconds, 16-bit 1/65536 s) of a time in ns. */
static uint64_t ts_from_ns(uint64_t ns)
{
	uint64_t s = ns / DMM_SECOND, frac = ((ns % DMM_SECOND) << 16) / DMM_SECOND;

	return (s & 0xffffffffffffull) << 16 | frac;
}

static void log_bce(struct dmm_lma *lma, enum dmm_log_level lvl, const struct dmm_bcache_entry *e,
		    const char *from, const char *to, const char *reason)
{
	char m[DMM_MNID_STRLEN], p[DMM_PREFIX_STRLEN], a[DMM_ADDR_STRLEN];

	if (!lma->env.log || !lma->env.log->fn || lvl > lma->env.log->max_level)
		return;
	dmm_logf(lma->env.log, lvl, DMM_LC_FSM, "mn %s prefix %s%s mag %s: %s -> %s (%s)", dmm_mnid_str(&e->mnid, m),
		 e->n_hnp ? dmm_prefix_str(&e->hnp[0], p) : "-", e->n_hnp > 1 ? " (+more)" : "",
		 dmm_addr_str(&e->pcoa, a), from, to, reason);
}

static void set_state(struct dmm_lma *lma, struct dmm_bcache_entry *e, enum dmm_bce_state to, const char *reason)
{
	enum dmm_bce_state from = dmm_bcache_set_state(lma->bc, e, to);

	log_bce(lma, DMM_LOG_INFO, e, dmm_bce_state_name(from), dmm_bce_state_name(to), reason);
}

static void send_msg(struct dmm_lma *lma, const struct dmm_addr *src, const struct dmm_addr *dst,
		     const struct dmm_mh_msg *m)
{
	int n = dmm_mh_encode(lma->buf, sizeof(lma->buf), m);

	if (n < 0) {
		dmm_logf(lma->env.log, DMM_LOG_ERR, DMM_LC_MH, "cannot encode MH type %u: %s", m->type,
			 dmm_strerror(n));
		return;
	}
	lma->stats.tx_by_type[m->type & 31]++;
	lma->env.send(lma->env.ctx, src, dst, lma->buf, (size_t)n);
}

/* --- peers and tunnels --- */

/* The binding e now uses a tunnel to addr: one reference on that peer (RFC 5847 §5.1). */
static void peer_hold(struct dmm_lma *lma, struct dmm_bcache_entry *e, dmm_time_t now)
{
	struct lma_bx *x = &lma->bx[e->handle.idx];
	struct dmm_peer *p = dmm_peers_get(lma->peers, &e->pcoa, true);
	char a[DMM_ADDR_STRLEN];

	if (!p)
		return; /* checked before acting; cannot happen */
	if (p->bindings == 0) {
		/* RFC 5213 §5.6.1: the first binding over this tunnel sets it up. */
		lma->stats.tunnels_established++;
		dmm_logf(lma->env.log, DMM_LOG_INFO, DMM_LC_DP, "tunnel to mag %s: established",
			 dmm_addr_str(&p->addr, a));
	}
	dmm_peers_ref(lma->peers, p, +1, now);
	x->peer = p->handle;
}

/* Drop the reference taken by peer_hold() on peer h. */
static void peer_unref(struct dmm_lma *lma, struct dmm_handle h, dmm_time_t now)
{
	struct dmm_peer *p = dmm_peers_by_handle(lma->peers, h);
	char a[DMM_ADDR_STRLEN];

	if (!p)
		return;
	dmm_peers_ref(lma->peers, p, -1, now);
	if (p->bindings == 0) {
		/* §5.6.1: the last binding over the tunnel is gone. */
		lma->stats.tunnels_released++;
		dmm_logf(lma->env.log, DMM_LOG_INFO, DMM_LC_DP, "tunnel to mag %s: released",
			 dmm_addr_str(&p->addr, a));
	}
}

static void peer_release(struct dmm_lma *lma, struct dmm_bcache_entry *e, dmm_time_t now)
{
	struct lma_bx *x = &lma->bx[e->handle.idx];
	struct dmm_handle h = x->peer;

	x->peer = (struct dmm_handle){0, 0};
	peer_unref(lma, h, now);
}

/* --- forwarding intents (fm.h) --- */

static void add_intent(struct dmm_lma *lma, const struct dmm_bcache_entry *e, uint8_t match, uint8_t action,
		       const struct dmm_prefix *p, dmm_time_t now)
{
	struct dmm_intent in;
	int r;

	memset(&in, 0, sizeof(in));
	in.match = match;
	in.action = action;
	in.precedence = LMA_INTENT_PRECEDENCE;
	in.prefix = *p;
	in.owner = e->handle;
	if (action == DMM_FM_ENCAP || action == DMM_FM_DECAP) {
		in.local = *tunnel_local(lma);
		in.peer = e->pcoa;
	}
	r = dmm_fm_add(lma->fm, &in, now);
	if (r < 0) {
		char a[DMM_PREFIX_STRLEN];

		dmm_logf(lma->env.log, DMM_LOG_ERR, DMM_LC_DP, "prefix %s: intent %s/%s not installed: %s",
			 dmm_prefix_str(p, a), dmm_fm_match_name(match), dmm_fm_action_name(action),
			 dmm_strerror(r));
	}
}

/*
 * Replace every intent of e. RFC 5213 §5.6.2: downlink packets for the
 * HNPs go into the tunnel to the MAG, uplink packets from the tunnel are
 * decapsulated. §5.3.5: during DEREG_WAIT the MN's traffic is dropped.
 */
static void set_intents(struct dmm_lma *lma, const struct dmm_bcache_entry *e, dmm_time_t now)
{
	dmm_fm_del_owner(lma->fm, e->handle);
	for (unsigned i = 0; i < e->n_hnp; i++) {
		if (e->state == DMM_BCE_ACTIVE) {
			add_intent(lma, e, DMM_FM_DST, DMM_FM_ENCAP, &e->hnp[i], now);
			add_intent(lma, e, DMM_FM_SRC, DMM_FM_DECAP, &e->hnp[i], now);
		} else {
			add_intent(lma, e, DMM_FM_DST, DMM_FM_DROP, &e->hnp[i], now);
		}
	}
}

/* --- Binding Revocation (RFC 5846) --- */

static void bri_stop(struct dmm_lma *lma, const struct dmm_bcache_entry *e)
{
	struct lma_bx *x = &lma->bx[e->handle.idx];

	if (!x->bri_pending)
		return;
	dmm_hidx_remove(&lma->bri_idx, (uint32_t)dmm_hash_u64(x->bri_seq), e->handle.idx);
	dmm_timers_cancel(lma->timers, LMA_TIMER_BRI_RETX, e->handle);
	x->bri_pending = false;
}

/* RFC 5846 §8.1: P flag, trigger, MN-ID and the HNPs of the binding, to the previous MAG. */
static void bri_send(struct dmm_lma *lma, const struct dmm_bcache_entry *e)
{
	struct lma_bx *x = &lma->bx[e->handle.idx];
	struct dmm_mh_msg *m = &lma->tx;
	struct dmm_mh_opt *o;

	dmm_mh_init(m, DMM_MH_BR);
	m->u.br.br_type = DMM_BR_BRI;
	m->u.br.code = x->bri_trigger;
	m->u.br.seq = x->bri_seq;
	m->u.br.flags = DMM_BR_P;
	o = dmm_mh_add_opt(m, DMM_OPT_MNID);
	o->u.mnid.subtype = e->mnid.subtype;
	o->u.mnid.id.len = e->mnid.len;
	memcpy(o->u.mnid.id.b, e->mnid.id, e->mnid.len);
	for (unsigned i = 0; i < e->n_hnp; i++)
		dmm_mh_add_opt(m, DMM_OPT_HNP)->u.hnp = e->hnp[i];
	x->bri_sent++;
	lma->stats.bri_sent++;
	send_msg(lma, &lma->cfg.addr, &x->bri_dst, m);
}

/* After a handoff away from prev (§5.3.4), revoke the binding at prev (RFC 5846 §8.1). */
static void bri_start(struct dmm_lma *lma, struct dmm_bcache_entry *e, const struct dmm_addr *prev,
		      uint8_t trigger, dmm_time_t now)
{
	struct lma_bx *x = &lma->bx[e->handle.idx];
	char a[DMM_ADDR_STRLEN], mn[DMM_MNID_STRLEN];

	bri_stop(lma, e);
	x->bri_seq = lma->bri_seq++;
	if (dmm_hidx_insert(&lma->bri_idx, (uint32_t)dmm_hash_u64(x->bri_seq), e->handle.idx) != 0)
		return; /* the index holds one reference per binding: cannot happen */
	x->bri_pending = true;
	x->bri_sent = 0;
	x->bri_trigger = trigger;
	x->bri_dst = *prev;
	x->bri_owner = e->handle;
	x->bri_delay = LMA_BRI_DELAY;
	dmm_logf(lma->env.log, DMM_LOG_INFO, DMM_LC_MH, "mn %s: BRI seq %u trigger %u to previous mag %s",
		 dmm_mnid_str(&e->mnid, mn), x->bri_seq, trigger, dmm_addr_str(prev, a));
	bri_send(lma, e);
	dmm_timers_set(lma->timers, LMA_TIMER_BRI_RETX, e->handle, now + x->bri_delay);
}

static void bri_timer(struct dmm_lma *lma, struct dmm_handle h, dmm_time_t now)
{
	struct dmm_bcache_entry *e = dmm_bcache_get(lma->bc, h);
	struct lma_bx *x;
	char a[DMM_ADDR_STRLEN];

	if (!e)
		return;
	x = &lma->bx[h.idx];
	if (!x->bri_pending)
		return;
	if (x->bri_sent > LMA_BRI_RETRIES) {
		/* RFC 5846 §6.3: give up; the binding here has already moved on. */
		dmm_logf(lma->env.log, DMM_LOG_WARN, DMM_LC_MH, "BRI seq %u to %s: no BRA after %u transmissions",
			 x->bri_seq, dmm_addr_str(&x->bri_dst, a), x->bri_sent);
		bri_stop(lma, e);
		return;
	}
	bri_send(lma, e);
	/* §6.3: the interval doubles up to MAX_BRACK_TIMEOUT. */
	x->bri_delay = x->bri_delay * 2 > LMA_BRI_MAX_DELAY ? LMA_BRI_MAX_DELAY : x->bri_delay * 2;
	dmm_timers_set(lma->timers, LMA_TIMER_BRI_RETX, h, now + x->bri_delay);
}

static void recv_bra(struct dmm_lma *lma, const struct dmm_addr *src, const struct dmm_mh_msg *m)
{
	uint32_t h = (uint32_t)dmm_hash_u64(m->u.br.seq), pos, ref;
	char a[DMM_ADDR_STRLEN];

	lma->stats.bra_received++;
	for (ref = dmm_hidx_first(&lma->bri_idx, h, &pos); ref != DMM_HIDX_NONE;
	     ref = dmm_hidx_next(&lma->bri_idx, h, &pos)) {
		struct lma_bx *x = &lma->bx[ref];
		struct dmm_bcache_entry *e = dmm_bcache_get(lma->bc, x->bri_owner);

		if (!e || !x->bri_pending || x->bri_seq != m->u.br.seq || !dmm_addr_eq(&x->bri_dst, src))
			continue;
		/* RFC 5846 §6.3: the answer ends the retransmissions. */
		dmm_logf(lma->env.log, DMM_LOG_DEBUG, DMM_LC_MH, "BRA seq %u status %u from %s", m->u.br.seq,
			 m->u.br.code, dmm_addr_str(src, a));
		bri_stop(lma, e);
		return;
	}
	lma->stats.rx_unexpected++;
	dmm_logf(lma->env.log, DMM_LOG_DEBUG, DMM_LC_MH, "BRA seq %u from %s matches no BRI", m->u.br.seq,
		 dmm_addr_str(src, a));
}

/* --- binding lifecycle --- */

/* Delete e with everything it holds: intents, prefixes, peer reference, timers. */
static void bce_delete(struct dmm_lma *lma, struct dmm_bcache_entry *e, const char *reason, dmm_time_t now)
{
	log_bce(lma, DMM_LOG_INFO, e, dmm_bce_state_name(e->state), "none", reason);
	dmm_fm_del_owner(lma->fm, e->handle);
	/* §5.3.5: the prefixes may now go to other MNs (FIFO pool: after every other free one). */
	for (unsigned i = 0; i < e->n_hnp; i++)
		(void)dmm_pool_release(lma->pool, &e->hnp[i]); /* fixed prefixes outside the pool: NOTFOUND */
	if (e->state == DMM_BCE_ACTIVE)
		peer_release(lma, e, now);
	lma->bx[e->handle.idx].peer = (struct dmm_handle){0, 0};
	bri_stop(lma, e);
	dmm_timers_cancel(lma->timers, DMM_TIMER_BCE_EXPIRE, e->handle);
	dmm_timers_cancel(lma->timers, DMM_TIMER_BCE_DEREG_DELAY, e->handle);
	dmm_bcache_del(lma->bc, e);
}

/* --- PBU processing (RFC 5213 §5.3.1) --- */

enum pbu_case {
	PBU_REFUSE,    /* reply with the status, change nothing */
	PBU_IGNORE,    /* no reply at all (§5.3.5 step 1, §5.4.1.x lifetime 0 without a session) */
	PBU_NEW,       /* §5.3.2 */
	PBU_EXTEND,    /* §5.3.3 */
	PBU_HANDOFF,   /* §5.3.4 */
	PBU_DEREG,     /* §5.3.5 */
};

/* A PBU as read from the decoded message: pointers into lma->rx. */
struct pbu {
	const struct dmm_addr *src, *dst, *pcoa;
	uint16_t seq, flags, lifetime_units;
	const struct dmm_mh_opt *mnid_opt, *hi, *att, *ts, *llid, *lla;
	struct dmm_mnid mnid;
	uint8_t n_hnp;                   /* HNP options in the request */
	bool any_zero;                   /* at least one ALL_ZERO HNP */
	struct dmm_prefix hnp[DMM_MH_MAX_OPTS];
};

/* The outcome of check_pbu(). */
struct verdict {
	enum pbu_case what;
	uint8_t status;
	struct dmm_bcache_entry *e; /* the binding concerned, or NULL */
	const struct dmm_policy_profile *prof;
	uint64_t ts;                /* the request's Timestamp, §8.8 form */
	/* PBU_NEW: the prefixes to assign and which of them come from the pool. */
	uint8_t n_new;
	struct dmm_prefix newp[DMM_BCE_MAX_HNP];
	bool from_pool;
	uint32_t lifetime_s;        /* granted */
};

static void read_pbu(struct dmm_lma *lma, struct pbu *p, const struct dmm_addr *src, const struct dmm_addr *dst)
{
	const struct dmm_mh_msg *m = &lma->rx;
	const struct dmm_mh_opt *acoa = dmm_mh_find_opt(m, DMM_OPT_ACOA, NULL);

	memset(p, 0, offsetof(struct pbu, hnp));
	p->src = src;
	p->dst = dst;
	/* §5.3.1 step 13: the Alternate Care-of Address, when present, is the Proxy-CoA. */
	p->pcoa = acoa ? &acoa->u.acoa : src;
	p->seq = m->u.bu.seq;
	p->flags = m->u.bu.flags;
	p->lifetime_units = m->u.bu.lifetime;
	p->mnid_opt = dmm_mh_find_opt(m, DMM_OPT_MNID, NULL);
	if (p->mnid_opt)
		mnid_from_opt(&p->mnid, p->mnid_opt);
	p->hi = dmm_mh_find_opt(m, DMM_OPT_HI, NULL);
	p->att = dmm_mh_find_opt(m, DMM_OPT_ATT, NULL);
	p->ts = dmm_mh_find_opt(m, DMM_OPT_TIMESTAMP, NULL);
	p->llid = dmm_mh_find_opt(m, DMM_OPT_MNLLID, NULL);
	p->lla = dmm_mh_find_opt(m, DMM_OPT_LLA, NULL);
	for (const struct dmm_mh_opt *o = dmm_mh_find_opt(m, DMM_OPT_HNP, NULL); o;
	     o = dmm_mh_find_opt(m, DMM_OPT_HNP, o)) {
		p->hnp[p->n_hnp++] = o->u.hnp;
		if (prefix_is_zero(&o->u.hnp))
			p->any_zero = true;
	}
}

static bool llid_eq(const struct dmm_llid *l, const struct dmm_mh_opt *o)
{
	return l->len == o->u.mnllid.len && memcmp(l->b, o->u.mnllid.b, l->len) == 0;
}

static bool llid_zero(const struct dmm_llid *l)
{
	for (unsigned i = 0; i < l->len; i++)
		if (l->b[i])
			return false;
	return true;
}

/* True when the request's HNPs are exactly e's (§5.4.1.1 step 4: same set, same count). */
static bool prefix_set_eq(const struct pbu *p, const struct dmm_bcache_entry *e)
{
	if (p->n_hnp != e->n_hnp)
		return false;
	for (unsigned i = 0; i < p->n_hnp; i++) {
		bool found = false;

		for (unsigned j = 0; j < e->n_hnp && !found; j++)
			found = dmm_prefix_eq(&p->hnp[i], &e->hnp[j]);
		if (!found)
			return false;
	}
	return true;
}

/* How many bindings carry this MN-ID, and the first of them. */
static unsigned count_mnid(const struct dmm_lma *lma, const struct dmm_mnid *id, struct dmm_bcache_entry **first)
{
	struct dmm_bcache_entry *e = dmm_bcache_find_mnid(lma->bc, id);
	unsigned n = 0;

	*first = e;
	for (; e; e = dmm_bcache_find_mnid_next(lma->bc, e))
		n++;
	return n;
}

/* lookup_bce(): a new session was asked for with prefixes another session holds. */
#define LOOKUP_NEW_BUT_HELD 255

/*
 * §5.4.1: which existing binding (if any) the request updates. Returns
 * the entry, NULL for a new mobility session; *status is set (155 or
 * 159) when the lookup itself refuses the request.
 */
static struct dmm_bcache_entry *lookup_bce(struct dmm_lma *lma, const struct pbu *p, uint8_t *status)
{
	struct dmm_bcache_entry *e = NULL, *first;
	uint8_t hi = p->hi->u.hi.value, att = p->att->u.att.value;
	unsigned n;

	*status = 0;
	/* §5.4.1.1: a NON_ZERO HNP is the lookup key. */
	for (unsigned i = 0; i < p->n_hnp && !e; i++)
		if (!prefix_is_zero(&p->hnp[i]))
			e = dmm_bcache_find_prefix(lma->bc, &p->hnp[i]);
	if (e) {
		if (!dmm_mnid_eq(&e->mnid, &p->mnid)) { /* step 3 */
			*status = DMM_BA_NOT_AUTHORIZED_FOR_HNP;
			return NULL;
		}
		if (!prefix_set_eq(p, e)) { /* step 4 */
			*status = DMM_BA_BCE_PBU_PREFIX_SET_MISMATCH;
			return NULL;
		}
		/* Step 5: any one of these makes it an update of e. */
		if (p->llid && llid_eq(&e->llid, p->llid) && e->att == att)
			return e;
		if (hi == DMM_HI_BETWEEN_IFS)
			return e;
		if (!p->llid && llid_zero(&e->llid) && e->att == att && hi == DMM_HI_BETWEEN_MAGS)
			return e;
		if (dmm_addr_eq(&e->pcoa, p->pcoa) && e->att == att)
			return e;
		/*
		 * Step 6: a new session, or with lifetime 0 silently ignored.
		 * Choice: the new session's prefixes belong to e, so it could
		 * only be refused: check_pbu() answers 155 at once.
		 */
		*status = LOOKUP_NEW_BUT_HELD;
		return NULL;
	}
	if (p->n_hnp && !p->any_zero) {
		/* §5.4.1.1 step 2: NON_ZERO prefixes held by no binding: a new session (checked in §5.3.2). */
		return NULL;
	}
	n = count_mnid(lma, &p->mnid, &first);
	if (p->llid) {
		/* §5.4.1.2: MN-ID + ATT + MN-LLID. */
		for (e = first; e; e = dmm_bcache_find_mnid_next(lma->bc, e))
			if (e->att == att && llid_eq(&e->llid, p->llid))
				return e;
		if (n == 1 && (hi == DMM_HI_BETWEEN_IFS || hi == DMM_HI_UNKNOWN))
			return first; /* steps 3 and 4 (4: see the choice below) */
		return NULL;
	}
	/* §5.4.1.3: MN-ID alone, when there is exactly one binding. */
	if (n != 1)
		return NULL;
	if (hi == DMM_HI_BETWEEN_IFS || hi == DMM_HI_BETWEEN_MAGS)
		return first; /* step 2 */
	/*
	 * Choice (step 3, HI 4): the RFC waits up to MaxDelayBeforeNewBCEAssign
	 * for the old MAG's de-registration and then creates a new session
	 * with new prefixes. We do not hold PBUs: a handoff-unknown request
	 * for the MN's only binding is taken as a handoff of that binding
	 * (its prefixes stay, the old MAG gets a BRI with trigger 4,
	 * RFC 5846 §8.1); max_delay_before_new_bce_assign is unused.
	 */
	if (hi == DMM_HI_UNKNOWN)
		return first;
	/*
	 * Choice (HI 5, no change): a re-registration from the MAG that holds
	 * the binding updates it. Step 4 would start a new session, which
	 * would hand the same MN a second prefix set on the same interface.
	 */
	if (hi == DMM_HI_NO_CHANGE && dmm_addr_eq(&first->pcoa, p->pcoa))
		return first;
	return NULL;
}

static bool profile_has_prefix(const struct dmm_policy_profile *prof, const struct dmm_prefix *pf)
{
	for (unsigned i = 0; i < prof->n_prefix; i++)
		if (dmm_prefix_eq(&prof->prefix[i], pf))
			return true;
	return false;
}

/* The newest Timestamp accepted for any binding of this MN (§5.5 rule 6). */
static bool last_timestamp(const struct dmm_lma *lma, const struct dmm_mnid *id, uint64_t *ts)
{
	bool any = false;

	*ts = 0;
	for (struct dmm_bcache_entry *e = dmm_bcache_find_mnid(lma->bc, id); e;
	     e = dmm_bcache_find_mnid_next(lma->bc, e)) {
		if (e->timestamp > *ts)
			*ts = e->timestamp;
		any = true;
	}
	return any;
}

/* §5.5 rule 6, first check: within TimestampValidityWindow of our clock (pmip_common.c). */
static bool ts_in_window(const struct dmm_lma *lma, const struct dmm_mh_opt *o, dmm_time_t now)
{
	return pmip_ts_in_window(o, wall_ns(lma, now), lma->cfg.timestamp_validity_window);
}

/* §5.3.1 steps 4-13 without changing anything. */
static void check_pbu(struct dmm_lma *lma, const struct pbu *p, struct verdict *v, dmm_time_t now)
{
	const struct dmm_policy_profile *prof;
	struct dmm_bcache_entry *e;
	uint8_t st;
	bool lma_listed;

	memset(v, 0, sizeof(*v));
	v->what = PBU_REFUSE;
	/* Step 4: the MN-ID option identifies the MN. */
	if (!p->mnid_opt) {
		v->status = DMM_BA_MISSING_MN_ID;
		return;
	}
	/* Steps 5-6 (§4): the MAG must be trusted to send PBUs. */
	if (!dmm_policy_mag_allowed(lma->cfg.policy, p->pcoa)) {
		v->status = DMM_BA_MAG_NOT_AUTHORIZED;
		return;
	}
	/*
	 * Steps 7-8. Choice: no profile at all, or a profile that names other
	 * LMAs, is 153 (we are not this MN's LMA); a profile with
	 * may_register false is 152 (known, but network-based mobility is not
	 * enabled for it).
	 */
	prof = dmm_policy_lookup(lma->cfg.policy, &p->mnid);
	lma_listed = prof && prof->n_lma == 0;
	for (unsigned i = 0; prof && i < prof->n_lma && !lma_listed; i++)
		lma_listed = dmm_addr_eq(&prof->lma[i], &lma->cfg.addr);
	if (!prof || !lma_listed) {
		v->status = DMM_BA_NOT_LMA_FOR_THIS_MN;
		return;
	}
	if (!prof->may_register) {
		v->status = DMM_BA_PROXY_REG_NOT_ENABLED;
		return;
	}
	v->prof = prof;
	/* Step 9, §5.5: Timestamp when present (the seq is then ignored, rule 5), else the seq. */
	if (p->ts) {
		uint64_t last;

		v->ts = p->ts->u.timestamp.seconds << 16 | p->ts->u.timestamp.fraction;
		if (!ts_in_window(lma, p->ts, now)) {
			v->status = DMM_BA_TIMESTAMP_MISMATCH; /* rule 9 */
			return;
		}
		if (last_timestamp(lma, &p->mnid, &last) && v->ts <= last) {
			v->status = DMM_BA_TIMESTAMP_LOWER_THAN_PREV; /* rule 8: not greater than all accepted */
			return;
		}
	}
	/* Steps 10-12. */
	if (p->n_hnp == 0) {
		v->status = DMM_BA_MISSING_HNP;
		return;
	}
	if (!p->hi) {
		v->status = DMM_BA_MISSING_HI;
		return;
	}
	if (!p->att) {
		v->status = DMM_BA_MISSING_ATT;
		return;
	}
	/* Step 13: §5.4.1 lookup. */
	e = lookup_bce(lma, p, &st);
	if (st == LOOKUP_NEW_BUT_HELD) {
		if (p->lifetime_units == 0) {
			v->what = PBU_IGNORE; /* §5.4.1.1 step 6 */
			return;
		}
		st = DMM_BA_NOT_AUTHORIZED_FOR_HNP;
	}
	if (st) {
		v->status = st;
		return;
	}
	v->e = e;
	/*
	 * Step 9 for the Sequence-Number-based approach (§5.5; RFC 6275
	 * §9.5.1): without a Timestamp the seq must be newer, modulo 2^16,
	 * than the last accepted for this session. It is checked here, after
	 * the lookup, because the binding holds the last seq. Choice: a
	 * refused seq is reported with 135 (the RFC 6275 code) before the
	 * missing-option checks of later steps would have been, which only
	 * matters for a PBU that is wrong twice.
	 */
	if (!p->ts && e && !dmm_seq_lt(e->seq, p->seq)) {
		v->status = DMM_BA_SEQ_OUT_OF_WINDOW;
		return;
	}
	v->lifetime_s = dmm_lifetime_seconds(p->lifetime_units);
	if (v->lifetime_s > lma->cfg.max_lifetime_s)
		v->lifetime_s = lma->cfg.max_lifetime_s;
	if (e) {
		if (p->lifetime_units == 0) {
			/* §5.3.5 step 1: only the MAG that holds the binding may remove it. */
			v->what = dmm_addr_eq(&e->pcoa, p->pcoa) ? PBU_DEREG : PBU_IGNORE;
			v->lifetime_s = 0;
			return;
		}
		/* §5.3.1 step 13: same Proxy-CoA, no handoff; else a handoff. */
		if (!dmm_peers_get(lma->peers, p->pcoa, true)) {
			v->status = DMM_BA_INSUFFICIENT_RESOURCES; /* no room to watch another MAG */
			return;
		}
		if (dmm_fm_count(lma->fm) + 2u * e->n_hnp > lma->fm_cap) {
			v->status = DMM_BA_INSUFFICIENT_RESOURCES;
			return;
		}
		v->what = dmm_addr_eq(&e->pcoa, p->pcoa) ? PBU_EXTEND : PBU_HANDOFF;
		return;
	}
	/* New mobility session. §5.4.1.x: a lifetime-0 request without a session is ignored. */
	if (p->lifetime_units == 0) {
		v->what = PBU_IGNORE;
		return;
	}
	/* §5.3.2 step 3: NON_ZERO prefixes must be ours and this MN's. */
	if (!p->any_zero) {
		for (unsigned i = 0; i < p->n_hnp; i++) {
			/*
			 * RFC 5847 §5.3: after our restart the MAGs re-register the
			 * prefixes we had handed out. A profile that takes its prefixes
			 * from the pool may get back a pool prefix that is free.
			 */
			bool recovered = prof->n_prefix == 0 && dmm_pool_contains(lma->pool, &p->hnp[i]);

			if ((!recovered && !profile_has_prefix(prof, &p->hnp[i])) ||
			    dmm_bcache_find_prefix(lma->bc, &p->hnp[i]) || dmm_pool_is_used(lma->pool, &p->hnp[i])) {
				v->status = DMM_BA_NOT_AUTHORIZED_FOR_HNP;
				return;
			}
		}
		if (p->n_hnp > DMM_BCE_MAX_HNP) {
			v->status = DMM_BA_INSUFFICIENT_RESOURCES;
			return;
		}
		v->n_new = p->n_hnp;
		memcpy(v->newp, p->hnp, sizeof(v->newp[0]) * p->n_hnp);
	} else if (prof->n_prefix) {
		/*
		 * §5.3.2 step 1 with a per-MN policy: the profile's fixed
		 * prefixes. Choice: they serve one session at a time (a second
		 * interface asking for ALL_ZERO gets 130).
		 */
		for (unsigned i = 0; i < prof->n_prefix; i++) {
			if (dmm_bcache_find_prefix(lma->bc, &prof->prefix[i]) ||
			    dmm_pool_is_used(lma->pool, &prof->prefix[i])) {
				v->status = DMM_BA_INSUFFICIENT_RESOURCES;
				return;
			}
			v->newp[v->n_new++] = prof->prefix[i];
		}
	} else {
		/* §5.3.2 steps 1-2: from the pool; n_alloc prefixes (at least one). */
		unsigned want = prof->n_alloc ? prof->n_alloc : 1;

		if (want > DMM_BCE_MAX_HNP)
			want = DMM_BCE_MAX_HNP;
		if (dmm_pool_size(lma->pool) - dmm_pool_used(lma->pool) < want) {
			lma->stats.pool_exhausted++;
			v->status = DMM_BA_INSUFFICIENT_RESOURCES;
			return;
		}
		v->n_new = (uint8_t)want;
		v->from_pool = true;
	}
	if (dmm_bcache_count(lma->bc) >= dmm_bcache_capacity(lma->bc) || !dmm_peers_get(lma->peers, p->pcoa, true) ||
	    dmm_fm_count(lma->fm) + 2u * v->n_new > lma->fm_cap) {
		v->status = DMM_BA_INSUFFICIENT_RESOURCES;
		return;
	}
	v->what = PBU_NEW;
}

/* --- the reply (RFC 5213 §5.3.6) --- */

static void add_mnid_opt(struct dmm_mh_msg *m, const struct dmm_mnid *id)
{
	struct dmm_mh_opt *o = dmm_mh_add_opt(m, DMM_OPT_MNID);

	o->u.mnid.subtype = id->subtype;
	o->u.mnid.id.len = id->len;
	memcpy(o->u.mnid.id.b, id->id, id->len);
}

static void count_ba(struct dmm_lma *lma, uint8_t status)
{
	lma->stats.binding_acks++;
	lma->stats.ba_status[status]++;
}

/*
 * Build and send the PBA for p with status; e is the binding after an
 * accepted request (NULL when refused). Choices: the codec refuses a
 * zero-length MN-ID and HI/ATT value 0 (reserved, §8.4, §8.5), so where
 * §5.3.6 asks for those "empty" forms the option is left out.
 */
static void send_pba(struct dmm_lma *lma, const struct pbu *p, uint8_t status, const struct dmm_bcache_entry *e,
		     uint32_t lifetime_s, dmm_time_t now)
{
	struct dmm_mh_msg *m = &lma->tx;
	struct dmm_mh_opt *o;

	dmm_mh_init(m, DMM_MH_BA);
	m->u.ba.status = status;
	m->u.ba.flags = DMM_BA_P;
	m->u.ba.seq = p->seq;
	if (status == DMM_BA_SEQ_OUT_OF_WINDOW && e)
		m->u.ba.seq = e->seq; /* RFC 6275 §9.5.1: the last accepted, so the MAG can resync */
	m->u.ba.lifetime = status < 128 ? dmm_lifetime_units(lifetime_s) : 0;
	if (p->mnid_opt)
		add_mnid_opt(m, &p->mnid);
	if (status < 128 && e) {
		for (unsigned i = 0; i < e->n_hnp; i++)
			dmm_mh_add_opt(m, DMM_OPT_HNP)->u.hnp = e->hnp[i];
	} else if (p->n_hnp) {
		for (unsigned i = 0; i < p->n_hnp && m->nopts < DMM_MH_MAX_OPTS - 8; i++)
			dmm_mh_add_opt(m, DMM_OPT_HNP)->u.hnp = p->hnp[i];
	} else {
		dmm_mh_add_opt(m, DMM_OPT_HNP); /* one ALL_ZERO prefix, ::/0 */
	}
	if (p->hi)
		dmm_mh_add_opt(m, DMM_OPT_HI)->u.hi.value = p->hi->u.hi.value;
	if (p->att)
		dmm_mh_add_opt(m, DMM_OPT_ATT)->u.att.value = p->att->u.att.value;
	if (status == DMM_BA_TIMESTAMP_MISMATCH || status == DMM_BA_TIMESTAMP_LOWER_THAN_PREV) {
		/* §5.5 rules 8 and 9: our own time of day. */
		uint64_t t = ts_from_ns(wall_ns(lma, now));

		o = dmm_mh_add_opt(m, DMM_OPT_TIMESTAMP);
		o->u.timestamp.seconds = t >> 16;
		o->u.timestamp.fraction = (uint16_t)t;
	} else if (p->ts) {
		/* §5.5 rule 7: the same value back. */
		o = dmm_mh_add_opt(m, DMM_OPT_TIMESTAMP);
		o->u.timestamp = p->ts->u.timestamp;
	}
	if (p->llid)
		*dmm_mh_add_opt(m, DMM_OPT_MNLLID) = *p->llid;
	if (p->lla) {
		/*
		 * §5.3.6: refused: the request's address; accepted with ALL_ZERO:
		 * the binding's. Choice: we do not generate a link-local address
		 * when the binding has none; the MAG then gets :: back.
		 */
		o = dmm_mh_add_opt(m, DMM_OPT_LLA);
		o->u.lla = status < 128 && e && dmm_addr_is_zero(&p->lla->u.lla) ? e->mn_lla : p->lla->u.lla;
	}
	if (status < 128 && !dmm_addr_is_zero(&lma->cfg.upa) && !dmm_addr_eq(&lma->cfg.upa, &lma->cfg.addr)) {
		/* RFC 7389 §4: tell the MAG where user-plane traffic goes. */
		o = dmm_mh_add_opt(m, DMM_OPT_LMA_UPA);
		o->u.lma_upa.len = 16;
		memcpy(o->u.lma_upa.b, lma->cfg.upa.b, 16);
	}
	if (lma->cfg.max_sessions_advertised) {
		/* RFC 6463 §4.3: sessions in use are our bindings. */
		o = dmm_mh_add_opt(m, DMM_OPT_LOAD);
		o->u.load.sessions_in_use = dmm_bcache_count(lma->bc);
		o->u.load.max_sessions = lma->cfg.max_sessions_advertised;
	}
	count_ba(lma, status);
	/* §5.3.6: from the PBU's destination to its source. */
	send_msg(lma, p->dst, p->src, m);
}

/* --- acting on an accepted PBU --- */

static void bce_fill(struct dmm_lma *lma, struct dmm_bcache_entry *e, const struct pbu *p, const struct verdict *v,
		     dmm_time_t now)
{
	(void)lma;
	e->proxy = true;
	e->att = p->att->u.att.value;
	e->hi = p->hi->u.hi.value;
	e->seq = p->seq;
	if (p->ts)
		e->timestamp = v->ts;
	if (p->llid) {
		uint8_t n = p->llid->u.mnllid.len > DMM_LLID_MAX ? DMM_LLID_MAX : p->llid->u.mnllid.len;

		e->llid.len = n;
		memcpy(e->llid.b, p->llid->u.mnllid.b, n);
	}
	if (p->lla && !dmm_addr_is_zero(&p->lla->u.lla))
		e->mn_lla = p->lla->u.lla;
	e->pcoa = *p->pcoa;
	e->lifetime = (dmm_time_t)v->lifetime_s * DMM_SECOND;
	e->expires = now + e->lifetime;
	e->updated = now;
}

static struct dmm_bcache_entry *apply_new(struct dmm_lma *lma, const struct pbu *p, struct verdict *v,
					  dmm_time_t now)
{
	struct dmm_bcache_entry *e = dmm_bcache_add(lma->bc, &p->mnid, NULL);

	if (!e)
		return NULL; /* checked: cannot happen */
	for (unsigned i = 0; i < v->n_new; i++) {
		struct dmm_prefix pf;

		if (v->from_pool) {
			if (dmm_pool_alloc(lma->pool, &pf) != 0)
				break; /* checked: cannot happen */
		} else {
			pf = v->newp[i];
			(void)dmm_pool_reserve(lma->pool, &pf); /* NOTFOUND for a prefix outside the pool */
		}
		if (dmm_bcache_add_prefix(lma->bc, e, &pf) != 0)
			(void)dmm_pool_release(lma->pool, &pf);
	}
	memset(&lma->bx[e->handle.idx], 0, sizeof(lma->bx[0]));
	bce_fill(lma, e, p, v, now);
	e->created = now;
	/* §5.3.2 steps 4-6: the entry, the tunnel, the routes. */
	peer_hold(lma, e, now);
	set_intents(lma, e, now);
	dmm_timers_set(lma->timers, DMM_TIMER_BCE_EXPIRE, e->handle, e->expires);
	lma->stats.initial_registrations++;
	log_bce(lma, DMM_LOG_INFO, e, "none", dmm_bce_state_name(e->state), "initial registration");
	return e;
}

static void apply_pbu(struct dmm_lma *lma, const struct pbu *p, struct verdict *v, dmm_time_t now)
{
	struct dmm_bcache_entry *e = v->e;
	struct dmm_addr prev;
	uint8_t prev_att;
	bool revived;

	switch (v->what) {
	case PBU_NEW:
		e = apply_new(lma, p, v, now);
		send_pba(lma, p, DMM_BA_ACCEPTED, e, v->lifetime_s, now);
		return;
	case PBU_DEREG:
		/* §5.3.5 step 2: accept, drop the MN's traffic, delete after MinDelayBeforeBCEDelete. */
		e->seq = p->seq;
		if (p->ts)
			e->timestamp = v->ts;
		e->updated = now;
		if (e->state != DMM_BCE_DEREG_WAIT) {
			lma->stats.deregistrations++;
			peer_release(lma, e, now);
			dmm_timers_cancel(lma->timers, DMM_TIMER_BCE_EXPIRE, e->handle);
			set_state(lma, e, DMM_BCE_DEREG_WAIT, "de-registration");
			set_intents(lma, e, now);
			dmm_timers_set(lma->timers, DMM_TIMER_BCE_DEREG_DELAY, e->handle,
				       now + lma->cfg.min_delay_before_bce_delete);
		}
		/* A repeated de-registration keeps the first deadline. */
		send_pba(lma, p, DMM_BA_ACCEPTED, e, 0, now);
		return;
	case PBU_EXTEND:
	case PBU_HANDOFF:
		prev = e->pcoa;
		prev_att = e->att;
		revived = e->state == DMM_BCE_DEREG_WAIT;
		bce_fill(lma, e, p, v, now);
		if (revived) {
			peer_hold(lma, e, now); /* released at the de-registration */
		} else if (v->what == PBU_HANDOFF) {
			struct dmm_handle old = lma->bx[e->handle.idx].peer;

			peer_hold(lma, e, now); /* the new MAG first: no needless tunnel teardown */
			peer_unref(lma, old, now);
		}
		if (revived) {
			/* §5.3.5: a PBU during the wait ends it and keeps the entry. */
			dmm_timers_cancel(lma->timers, DMM_TIMER_BCE_DEREG_DELAY, e->handle);
			set_state(lma, e, DMM_BCE_ACTIVE,
				  v->what == PBU_HANDOFF ? "handoff during de-registration wait"
							 : "re-registration during de-registration wait");
		}
		dmm_timers_set(lma->timers, DMM_TIMER_BCE_EXPIRE, e->handle, e->expires);
		if (v->what == PBU_EXTEND) {
			/* §5.3.3 */
			lma->stats.lifetime_ext_no_handoff++;
			if (revived)
				set_intents(lma, e, now);
			else
				log_bce(lma, DMM_LOG_DEBUG, e, "ACTIVE", "ACTIVE", "lifetime extension");
		} else {
			/* §5.3.4 steps 1-4: move the routes and the tunnel to the new MAG. */
			char a[DMM_ADDR_STRLEN], b[DMM_ADDR_STRLEN];

			lma->stats.lifetime_ext_after_handoff++;
			lma->stats.handoffs++;
			e->handovers++;
			set_intents(lma, e, now);
			dmm_logf(lma->env.log, DMM_LOG_INFO, DMM_LC_FSM, "handoff: mag %s -> %s (hi %u, att %u -> %u)",
				 dmm_addr_str(&prev, a), dmm_addr_str(&e->pcoa, b), e->hi, prev_att, e->att);
			if (!revived)
				log_bce(lma, DMM_LOG_INFO, e, "ACTIVE", "ACTIVE", "handoff");
			/*
			 * RFC 5846 §8.1: revoke at the previous MAG, unless it has
			 * already de-registered (then it holds nothing to revoke).
			 */
			if (lma->cfg.revoke_on_handoff && !revived)
				bri_start(lma, e, &prev,
					  e->hi == DMM_HI_UNKNOWN ? BRI_TRIGGER_UNKNOWN
					  : e->att == prev_att	  ? BRI_TRIGGER_SAME_ATT
								  : BRI_TRIGGER_OTHER_ATT,
					  now);
		}
		send_pba(lma, p, DMM_BA_ACCEPTED, e, v->lifetime_s, now);
		return;
	case PBU_IGNORE:
		dmm_logf(lma->env.log, DMM_LOG_DEBUG, DMM_LC_MH, "PBU seq %u with lifetime 0 ignored (§5.3.5, §5.4.1)",
			 p->seq);
		return;
	case PBU_REFUSE:
		break;
	}
}

static void refuse(struct dmm_lma *lma, const struct pbu *p, const struct verdict *v, dmm_time_t now)
{
	char m[DMM_MNID_STRLEN], a[DMM_ADDR_STRLEN];

	dmm_logf(lma->env.log, DMM_LOG_INFO, DMM_LC_MH, "PBU seq %u mn %s from mag %s refused: status %u", p->seq,
		 p->mnid_opt ? dmm_mnid_str(&p->mnid, m) : "-", dmm_addr_str(p->pcoa, a), v->status);
	send_pba(lma, p, v->status, v->e, 0, now);
}

/*
 * A BU without the P flag asks for Mobile IPv6 service, which this LMA
 * does not give. Choice: a home registration (H set) gets 131 (home
 * registration not supported, RFC 6275 §10.3.1), anything else 129
 * (administratively prohibited). The BA carries no options and no P flag.
 */
static void plain_bu(struct dmm_lma *lma, const struct dmm_addr *src, const struct dmm_addr *dst)
{
	struct dmm_mh_msg *m = &lma->tx;
	uint8_t st = (lma->rx.u.bu.flags & DMM_BU_H) ? DMM_BA_HOME_REG_NOT_SUPPORTED : DMM_BA_PROHIBITED;
	uint16_t seq = lma->rx.u.bu.seq;

	dmm_mh_init(m, DMM_MH_BA);
	m->u.ba.status = st;
	m->u.ba.seq = seq;
	count_ba(lma, st);
	send_msg(lma, dst, src, m);
}

static void recv_pbu(struct dmm_lma *lma, const struct dmm_addr *src, const struct dmm_addr *dst, dmm_time_t now)
{
	struct pbu p;
	struct verdict v;

	if (!(lma->rx.u.bu.flags & DMM_BU_P)) {
		plain_bu(lma, src, dst);
		return;
	}
	read_pbu(lma, &p, src, dst);
	check_pbu(lma, &p, &v, now);
	if (v.what == PBU_REFUSE)
		refuse(lma, &p, &v, now);
	else
		apply_pbu(lma, &p, &v, now);
}

/* --- malformed input (rule 5) --- */

static void send_be(struct dmm_lma *lma, const struct dmm_addr *src, const struct dmm_addr *dst, uint8_t status)
{
	struct dmm_mh_msg *m = &lma->tx;

	dmm_mh_init(m, DMM_MH_BE);
	m->u.be.status = status; /* home address stays :: (no Home Address option here) */
	send_msg(lma, dst, src, m);
}

static void malformed(struct dmm_lma *lma, const struct dmm_addr *src, const struct dmm_addr *dst,
		      const uint8_t *buf, size_t len, int err, dmm_time_t now)
{
	char a[DMM_ADDR_STRLEN];

	if (-err > 0 && -err < DMM_STATS_MAX_ERR)
		lma->stats.rx_malformed[-err]++;
	dmm_logf(lma->env.log, DMM_LOG_WARN, DMM_LC_MH, "malformed MH (type %d, %zu bytes) from %s: %s",
		 len > 2 ? buf[2] : -1, len, dmm_addr_str(src, a), dmm_strerror(err));
	switch (err) {
	case DMM_ERR_UNKNOWN_TYPE:
		/* RFC 6275 §9.2: Binding Error, status 2. */
		lma->stats.rx_unknown_type++;
		send_be(lma, src, dst, DMM_BE_UNKNOWN_MH_TYPE);
		return;
	case DMM_ERR_PAYLOAD_PROTO:
	case DMM_ERR_HDR_LEN:
		/* RFC 6275 §9.2: io/ answers with an ICMPv6 Parameter Problem; counted here. */
		return;
	case DMM_ERR_TRUNCATED:
	case DMM_ERR_TOO_LONG:
	case DMM_ERR_BR_TYPE:
	case DMM_ERR_CHECKSUM:
		return;
	default:
		break;
	}
	/*
	 * The header and the fixed part decoded but an option did not: for a
	 * PBU we can still answer with the seq (status 128, reason
	 * unspecified), so the MAG stops retransmitting the same bad message.
	 * The options are not trusted: the PBA carries none of them but the
	 * mandatory ALL_ZERO HNP.
	 */
	if (len >= 12 && buf[2] == DMM_MH_BU && ((size_t)buf[1] + 1) * 8 >= 12 && (dmm_get_u16(buf + 8) & DMM_BU_P)) {
		struct pbu p;
		struct verdict v;

		memset(&p, 0, offsetof(struct pbu, hnp));
		memset(&v, 0, sizeof(v));
		p.src = p.pcoa = src;
		p.dst = dst;
		p.seq = dmm_get_u16(buf + 6);
		v.status = DMM_BA_UNSPECIFIED;
		refuse(lma, &p, &v, now);
	}
}

/* --- entry points --- */

void dmm_lma_recv(struct dmm_lma *lma, const struct dmm_addr *src, const struct dmm_addr *dst,
		  const uint8_t *buf, size_t len, dmm_time_t now)
{
	int n = dmm_mh_decode(&lma->rx, buf, len);

	if (n < 0) {
		malformed(lma, src, dst, buf, len, n, now);
		return;
	}
	lma->stats.rx_by_type[lma->rx.type & 31]++;
	switch (lma->rx.type) {
	case DMM_MH_BU:
		recv_pbu(lma, src, dst, now);
		return;
	case DMM_MH_HB:
	case DMM_MH_BE:
		/* RFC 5847: heartbeats, and a BE that may answer one. */
		dmm_peers_recv(lma->peers, src, &lma->rx, now);
		return;
	case DMM_MH_BR:
		if (lma->rx.u.br.br_type == DMM_BR_BRA) {
			recv_bra(lma, src, &lma->rx);
			return;
		}
		break;
	default:
		break;
	}
	lma->stats.rx_unexpected++;
	dmm_logf(lma->env.log, DMM_LOG_DEBUG, DMM_LC_MH, "MH type %u not handled by an LMA", lma->rx.type);
}

void dmm_lma_expire(struct dmm_lma *lma, dmm_time_t now)
{
	unsigned kind;
	struct dmm_handle h;

	while (dmm_timers_pop_expired(lma->timers, now, &kind, &h)) {
		struct dmm_bcache_entry *e;

		switch (kind) {
		case DMM_TIMER_BCE_EXPIRE:
			e = dmm_bcache_get(lma->bc, h);
			if (e && e->state == DMM_BCE_ACTIVE)
				bce_delete(lma, e, "lifetime expired", now);
			break;
		case DMM_TIMER_BCE_DEREG_DELAY:
			/* §5.3.5: MinDelayBeforeBCEDelete passed without a new PBU. */
			e = dmm_bcache_get(lma->bc, h);
			if (e && e->state == DMM_BCE_DEREG_WAIT)
				bce_delete(lma, e, "de-registration delay over", now);
			break;
		case DMM_TIMER_HEARTBEAT:
			dmm_peers_timer(lma->peers, h, now);
			break;
		case LMA_TIMER_BRI_RETX:
			bri_timer(lma, h, now);
			break;
		default:
			break;
		}
	}
}

dmm_time_t dmm_lma_next_deadline(const struct dmm_lma *lma)
{
	return dmm_timers_next(lma->timers);
}

/* --- peer events (RFC 5847) --- */

static void peer_send(void *ctx, const struct dmm_addr *src, const struct dmm_addr *dst, const uint8_t *buf,
		      size_t len)
{
	struct dmm_lma *lma = ctx;

	lma->env.send(lma->env.ctx, src, dst, buf, len);
}

/*
 * RFC 5847 §5.2. Choice: a MAG that stops answering keeps its bindings
 * until their lifetimes run out; the path may come back, and the MAG,
 * which owns the MN's attachment, decides. Logged and counted (peer.c).
 */
static void peer_down(void *ctx, struct dmm_peer *p, dmm_time_t now)
{
	struct dmm_lma *lma = ctx;
	char a[DMM_ADDR_STRLEN];

	(void)now;
	dmm_logf(lma->env.log, DMM_LOG_WARN, DMM_LC_FSM, "mag %s: down (%u bindings kept until their lifetime)",
		 dmm_addr_str(&p->addr, a), p->bindings);
}

static void peer_up(void *ctx, struct dmm_peer *p, dmm_time_t now)
{
	struct dmm_lma *lma = ctx;
	char a[DMM_ADDR_STRLEN];

	(void)now;
	dmm_logf(lma->env.log, DMM_LOG_INFO, DMM_LC_FSM, "mag %s: down -> up", dmm_addr_str(&p->addr, a));
}

/* RFC 5847 §5.3: the MAG restarted and lost its state: its bindings here are void. */
static void peer_restarted(void *ctx, struct dmm_peer *p, dmm_time_t now)
{
	struct dmm_lma *lma = ctx;
	struct dmm_addr mag = p->addr;
	struct dmm_bcache_entry *e, *next;
	char a[DMM_ADDR_STRLEN];
	unsigned n = 0;

	for (e = dmm_bcache_next(lma->bc, NULL); e; e = next) {
		next = dmm_bcache_next(lma->bc, e);
		if (dmm_addr_eq(&e->pcoa, &mag)) {
			bce_delete(lma, e, "mag restarted", now);
			n++;
		}
	}
	dmm_logf(lma->env.log, DMM_LOG_WARN, DMM_LC_FSM, "mag %s restarted: %u bindings deleted",
		 dmm_addr_str(&mag, a), n);
}

/* --- creation --- */

void dmm_lma_cfg_defaults(struct dmm_lma_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->max_bindings = 1024;
	cfg->max_peers = 64;
	cfg->hnp_len = 64;
	cfg->min_delay_before_bce_delete = 10 * DMM_SECOND;     /* RFC 5213 §9.1 (10000 ms) */
	cfg->max_delay_before_new_bce_assign = 1500 * DMM_MSEC; /* §9.1 */
	cfg->timestamp_validity_window = 300 * DMM_MSEC;        /* §9.1 */
	cfg->timestamp_based = true;                            /* §9.3 */
	cfg->max_lifetime_s = LMA_MAX_LIFETIME_S;
	cfg->heartbeat_interval = 60 * DMM_SECOND; /* RFC 5847 §5 */
	cfg->missing_heartbeats_allowed = 3;
	cfg->revoke_on_handoff = true;
}

static void peer_cfg(const struct dmm_lma_cfg *cfg, struct dmm_peer_cfg *pc)
{
	memset(pc, 0, sizeof(*pc));
	pc->self = cfg->addr;
	pc->interval = cfg->heartbeat_interval;
	pc->missing_allowed = cfg->missing_heartbeats_allowed;
	pc->restart_counter = cfg->restart_counter;
}

static bool cfg_ok(const struct dmm_lma_cfg *cfg)
{
	return cfg->policy && cfg->max_bindings > 0 && cfg->max_bindings <= (1u << 24) && cfg->max_peers > 0 &&
	       cfg->npool <= 4 && cfg->hnp_len >= 1 && cfg->hnp_len <= 128 && !dmm_addr_is_zero(&cfg->addr);
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

struct dmm_lma *dmm_lma_new(const struct dmm_env *env, const struct dmm_lma_cfg *cfg, dmm_time_t now)
{
	const struct dmm_alloc *a = env ? env->alloc : NULL;
	struct dmm_peer_ops pops = {peer_send, peer_down, peer_restarted, peer_up, NULL};
	struct dmm_peer_cfg pc;
	struct dmm_lma *lma;
	uint32_t cap, pcap;

	(void)now;
	if (!env || !a || !env->send || !env->fm.install || !env->fm.remove || !cfg || !cfg_ok(cfg))
		return NULL;
	cap = cfg->max_bindings;
	/*
	 * Choice: room for two HNPs per binding on average, and two intents
	 * (downlink, uplink) per HNP; the fm table holds at most 2^24.
	 */
	pcap = cap * 2;
	lma = a->zalloc(a->ctx, sizeof(*lma));
	if (!lma)
		return NULL;
	lma->env = *env;
	lma->cfg = *cfg;
	lma->fm_cap = pcap * 2 > (1u << 24) ? (1u << 24) : pcap * 2;
	lma->bri_seq = (uint16_t)(env->seed >> 16); /* a fresh start for BRI sequence numbers */
	lma->bc = dmm_bcache_new(a, cap, pcap, env->seed);
	if (!lma->bc)
		goto err_bc;
	lma->pool = dmm_pool_new(a, pool_capacity(cfg), cfg->hnp_len);
	if (!lma->pool)
		goto err_pool;
	for (unsigned i = 0; i < cfg->npool; i++)
		if (dmm_pool_add_range(lma->pool, &cfg->pool[i]) != 0)
			goto err_fm;
	lma->fm = dmm_fm_new(a, lma->fm_cap, &env->fm);
	if (!lma->fm)
		goto err_fm;
	/* Per binding: expiry or de-registration delay, and a BRI; per peer: a heartbeat. */
	lma->timers = dmm_timers_new(a, 2 * cap + cfg->max_peers + 16);
	if (!lma->timers)
		goto err_timers;
	pops.ctx = lma;
	peer_cfg(cfg, &pc);
	lma->peers = dmm_peers_new(a, cfg->max_peers, lma->timers, &pc, &pops, &lma->stats, env->log);
	if (!lma->peers)
		goto err_peers;
	lma->bx = a->zalloc(a->ctx, sizeof(*lma->bx) * cap);
	if (!lma->bx)
		goto err_bx;
	if (dmm_hidx_init(&lma->bri_idx, a, cap) != 0)
		goto err_idx;
	return lma;

err_idx:
	a->free(a->ctx, lma->bx);
err_bx:
	dmm_peers_free(lma->peers);
err_peers:
	dmm_timers_free(lma->timers);
err_timers:
	dmm_fm_free(lma->fm);
err_fm:
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
	a = lma->env.alloc;
	dmm_hidx_fini(&lma->bri_idx, a);
	a->free(a->ctx, lma->bx);
	dmm_peers_free(lma->peers);
	dmm_timers_free(lma->timers);
	dmm_fm_free(lma->fm); /* removes every intent through the backend */
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
	/* Pools and capacities are fixed at creation. */
	if (cfg->max_bindings != lma->cfg.max_bindings || cfg->max_peers != lma->cfg.max_peers ||
	    cfg->npool != lma->cfg.npool || cfg->hnp_len != lma->cfg.hnp_len)
		return DMM_ERR_INVAL;
	for (unsigned i = 0; i < cfg->npool; i++)
		if (!dmm_prefix_eq(&cfg->pool[i], &lma->cfg.pool[i]))
			return DMM_ERR_INVAL;
	lma->cfg = *cfg;
	peer_cfg(cfg, &pc);
	dmm_peers_reconfigure(lma->peers, &pc);
	return 0;
}

const struct dmm_bcache *dmm_lma_bcache(const struct dmm_lma *lma)
{
	return lma->bc;
}

struct dmm_peers *dmm_lma_peers(struct dmm_lma *lma)
{
	return lma->peers;
}

const struct dmm_fm *dmm_lma_fm(const struct dmm_lma *lma)
{
	return lma->fm;
}

struct dmm_fm *dmm_lma_fm_mut(struct dmm_lma *lma)
{
	return lma->fm;
}

const struct dmm_pmip_stats *dmm_lma_stats(const struct dmm_lma *lma)
{
	return &lma->stats;
}

const struct dmm_pool *dmm_lma_pool(const struct dmm_lma *lma)
{
	return lma->pool;
}

/* --- the role ops table --- */

static void *ops_create(const struct dmm_env *env, const void *cfg, dmm_time_t now)
{
	return dmm_lma_new(env, cfg, now);
}

static void ops_destroy(void *inst)
{
	dmm_lma_free(inst);
}

static int ops_reconfigure(void *inst, const void *cfg, dmm_time_t now)
{
	return dmm_lma_reconfigure(inst, cfg, now);
}

static void ops_recv(void *inst, const struct dmm_addr *src, const struct dmm_addr *dst, const uint8_t *buf,
		     size_t len, dmm_time_t now)
{
	dmm_lma_recv(inst, src, dst, buf, len, now);
}

static void ops_expire(void *inst, dmm_time_t now)
{
	dmm_lma_expire(inst, now);
}

static dmm_time_t ops_next_deadline(const void *inst)
{
	return dmm_lma_next_deadline(inst);
}

const struct dmm_role_ops dmm_lma_ops = {
	.name = "lma",
	.create = ops_create,
	.destroy = ops_destroy,
	.reconfigure = ops_reconfigure,
	.recv = ops_recv,
	.expire = ops_expire,
	.next_deadline = ops_next_deadline,
	.attach = NULL, /* the LMA has no access links */
	.detach = NULL,
};
