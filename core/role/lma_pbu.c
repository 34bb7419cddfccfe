/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * PBU processing at the LMA (RFC 5213 §5.3): read, check, apply, answer.
 *
 * read_pbu() takes what the decoded message says; check_pbu() reads the
 * state but never writes it and ends in a verdict (status, binding, which
 * of §5.3.2-§5.3.5 applies); only an accepted verdict reaches apply_pbu(),
 * which changes the binding cache, the pool, the intents and the timers
 * through the layers below (lma_state.c, lma_timers.c, lma_bri.c; see
 * lma_int.h). Malformed input that still names a PBU gets a PBA with
 * status 128 (pmip_malformed() in malformed.c, then lma_pbu_malformed()).
 *
 * Decisions where RFC 5213 leaves a choice are marked "Choice:".
 */
#include <stddef.h>
#include <string.h>

#include "dmm/err.h"
#include "lma_int.h"

/* --- small helpers --- */

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
	return pmip_wall_ns(lma->base.env.wall_offset, now);
}

/* --- PBU processing (RFC 5213 §5.3.1) --- */

enum pbu_case {
	PBU_REFUSE,  /* reply with the status, change nothing */
	PBU_IGNORE,  /* no reply at all (§5.3.5 step 1, §5.4.1.x lifetime 0 without a session) */
	PBU_NEW,     /* §5.3.2 */
	PBU_EXTEND,  /* §5.3.3 */
	PBU_HANDOFF, /* §5.3.4 */
	PBU_DEREG,   /* §5.3.5 */
	PBU_WAIT,    /* §5.4.1.3 step 3: no answer while the previous MAG is asked */
};

/* A PBU as read from the decoded message: pointers into lma->rx. */
struct pbu {
	const struct dmm_addr *src, *dst, *pcoa;
	uint16_t seq, flags, lifetime_units;
	const struct dmm_mh_opt *mnid_opt, *hi, *att, *ts, *llid, *lla;
	struct dmm_mnid mnid;
	uint8_t n_hnp;		/* HNP options in the request */
	bool any_zero;		/* at least one ALL_ZERO HNP */
	int8_t key;		/* the first NON_ZERO HNP (the lookup key, §5.4.1.1), -1 for none */
	uint32_t mnid_h, key_h; /* the binding cache's hashes of mnid and hnp[key], once per message */
	bool upa;		/* RFC 7389 §5: the MAG asked for the LMA-UPA */
	struct dmm_prefix hnp[DMM_MH_MAX_OPTS];
};

/* The outcome of check_pbu(). */
struct verdict {
	enum pbu_case what;
	uint8_t status;
	struct dmm_bcache_entry *e; /* the binding concerned, or NULL */
	const struct dmm_policy_profile *prof;
	uint64_t ts; /* the request's Timestamp, §8.8 form */
	/* PBU_NEW: the prefixes to assign and which of them come from the pool. */
	uint8_t n_new;
	struct dmm_prefix newp[DMM_BCE_MAX_HNP];
	bool from_pool;
	uint32_t lifetime_s; /* granted */
};

/* *slot takes o when it holds no option yet: the first of its type, as dmm_mh_find_opt() finds it. */
static void first_opt(const struct dmm_mh_opt **slot, const struct dmm_mh_opt *o)
{
	if (!*slot)
		*slot = o;
}

/* The request's options, in one pass over them (the first of each type; every HNP, in order). */
static void read_pbu(struct dmm_lma *lma, struct pbu *p, const struct dmm_addr *src,
		     const struct dmm_addr *dst)
{
	const struct dmm_mh_msg *m = &lma->rx;
	const struct dmm_mh_opt *acoa = NULL;

	memset(p, 0, offsetof(struct pbu, hnp));
	p->key = -1;
	p->src = src;
	p->dst = dst;
	p->seq = m->u.bu.seq;
	p->flags = m->u.bu.flags;
	p->lifetime_units = m->u.bu.lifetime;
	for (const struct dmm_mh_opt *o = m->opts, *end = o + m->nopts; o < end; o++) {
		switch (o->type) {
		case DMM_OPT_ACOA:
			first_opt(&acoa, o);
			break;
		case DMM_OPT_MNID:
			first_opt(&p->mnid_opt, o);
			break;
		case DMM_OPT_HI:
			first_opt(&p->hi, o);
			break;
		case DMM_OPT_ATT:
			first_opt(&p->att, o);
			break;
		case DMM_OPT_TIMESTAMP:
			first_opt(&p->ts, o);
			break;
		case DMM_OPT_MNLLID:
			first_opt(&p->llid, o);
			break;
		case DMM_OPT_LLA:
			first_opt(&p->lla, o);
			break;
		case DMM_OPT_LMA_UPA:
			p->upa = true;
			break;
		case DMM_OPT_HNP:
			if (prefix_is_zero(&o->u.hnp))
				p->any_zero = true;
			else if (p->key < 0)
				p->key = (int8_t)p->n_hnp;
			p->hnp[p->n_hnp++] = o->u.hnp;
			break;
		default:
			break;
		}
	}
	/* §5.3.1 step 13: the Alternate Care-of Address, when present, is the Proxy-CoA. */
	p->pcoa = acoa ? &acoa->u.acoa : src;
	if (p->mnid_opt)
		mnid_from_opt(&p->mnid, p->mnid_opt);
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
			found = dmm_prefix_eq(&p->hnp[i], dmm_bce_hnp(e, j));
		if (!found)
			return false;
	}
	return true;
}

/*
 * Hash the keys once (the lookups below take the hashes) and start
 * fetching the memory a PBU's handling reads; changes nothing. The
 * binding cache's two index lines for the MN-ID and the first NON_ZERO
 * HNP come at once; as soon as the HNP's line is here, the binding it
 * names (the MN-ID's when there is no HNP) comes with its record beside
 * the entry and its lifetime timer, all at once: a refresh waits for
 * memory twice, not four times one after the other.
 */
static void prefetch(const struct dmm_lma *lma, struct pbu *p)
{
	uint32_t slot = DMM_HIDX_NONE;

	if (p->mnid_opt)
		p->mnid_h = dmm_bcache_hash_mnid(lma->bc, &p->mnid);
	if (p->key >= 0)
		p->key_h = dmm_bcache_hash_prefix(lma->bc, &p->hnp[p->key]);
	dmm_bcache_prefetch_h(lma->bc, p->mnid_opt ? &p->mnid_h : NULL, p->key >= 0 ? &p->key_h : NULL);
	if (p->key >= 0)
		slot = dmm_bcache_fetch_prefix_candidate(lma->bc, p->key_h);
	else if (p->mnid_opt)
		slot = dmm_bcache_fetch_mnid_candidate(lma->bc, p->mnid_h);
	if (slot == DMM_HIDX_NONE)
		return;
	__builtin_prefetch(&lma->bx[slot]);
	dmm_timers_prefetch(lma->base.timers, DMM_TIMER_BCE_EXPIRE, slot);
}

/*
 * Binding e was found: start fetching its second line, its record beside
 * the entry and its lifetime timer, which an accepted PBU reads next.
 */
static void prefetch_binding(const struct dmm_lma *lma, const struct dmm_bcache_entry *e)
{
	dmm_bce_prefetch(e);
	__builtin_prefetch(&lma->bx[e->handle.idx]);
	dmm_timers_prefetch(lma->base.timers, DMM_TIMER_BCE_EXPIRE, e->handle.idx);
}

/* How many bindings carry the request's MN-ID, and the first of them. */
static unsigned count_mnid(const struct dmm_lma *lma, const struct pbu *p, struct dmm_bcache_entry **first)
{
	struct dmm_bcache_entry *e = dmm_bcache_find_mnid_h(lma->bc, &p->mnid, p->mnid_h);
	unsigned n = 0;

	*first = e;
	for (; e; e = dmm_bcache_find_mnid_next_h(lma->bc, e, p->mnid_h))
		n++;
	return n;
}

/* lookup_bce(): a new session was asked for with prefixes another session holds. */
#define LOOKUP_NEW_BUT_HELD 255
/* lookup_bce(): HI 4 for the MN's only binding, whose MAG is being waited for. */
#define LOOKUP_WAIT 254

/*
 * §5.4.1.2 step 4, §5.4.1.3 step 3: HI 4 (handoff state unknown) for the
 * MN's only binding e. The LMA waits up to MaxDelayBeforeNewBCEAssign
 * for e's MAG to de-register it (RFC 5846 §8.1: or to revoke it when
 * asked by a BRI); until then *status is LOOKUP_WAIT and the request gets
 * no answer. Returns e when the request updates it, NULL for a new
 * mobility session.
 */
static struct dmm_bcache_entry *hi_unknown(struct dmm_lma *lma, const struct pbu *p,
					   struct dmm_bcache_entry *e, uint8_t *status)
{
	const struct lma_bx *x = lma_bx_of(lma, e);

	/* De-registered already. Choice: from e's own MAG there is nobody to wait for. */
	if (e->state == DMM_BCE_DEREG_WAIT || dmm_addr_eq(dmm_bce_pcoa(e), p->pcoa))
		return e;
	/* The wait for this MAG ended without a de-registration, or the LMA is set not to wait. */
	if ((x->hw_over && dmm_addr_eq(lma_addr(lma, x->hw_mag), p->pcoa)) ||
	    lma->cfg.max_delay_before_new_bce_assign == 0)
		return NULL;
	*status = LOOKUP_WAIT;
	return e;
}

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
		if ((int)i == p->key)
			e = dmm_bcache_find_prefix_h(lma->bc, &p->hnp[i], p->key_h);
		else if (!prefix_is_zero(&p->hnp[i]))
			e = dmm_bcache_find_prefix(lma->bc, &p->hnp[i]);
	if (e) {
		prefetch_binding(lma, e);
		if (!dmm_bce_mnid_eq(e, &p->mnid)) { /* step 3 */
			*status = DMM_BA_NOT_AUTHORIZED_FOR_HNP;
			return NULL;
		}
		if (!prefix_set_eq(p, e)) { /* step 4 */
			*status = DMM_BA_BCE_PBU_PREFIX_SET_MISMATCH;
			return NULL;
		}
		/* Step 5: any one of these makes it an update of e. */
		if (p->llid && llid_eq(DMM_BCE_LLID(e), p->llid) && e->att == att)
			return e;
		if (hi == DMM_HI_BETWEEN_IFS)
			return e;
		if (!p->llid && llid_zero(DMM_BCE_LLID(e)) && e->att == att && hi == DMM_HI_BETWEEN_MAGS)
			return e;
		if (dmm_addr_eq(dmm_bce_pcoa(e), p->pcoa) && e->att == att)
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
	n = count_mnid(lma, p, &first);
	if (p->llid) {
		/* §5.4.1.2: MN-ID + ATT + MN-LLID. */
		for (e = first; e; e = dmm_bcache_find_mnid_next_h(lma->bc, e, p->mnid_h))
			if (e->att == att && llid_eq(DMM_BCE_LLID(e), p->llid))
				return e;
		if (n == 1 && hi == DMM_HI_BETWEEN_IFS)
			return first; /* step 3 */
		if (n == 1 && hi == DMM_HI_UNKNOWN)
			return hi_unknown(lma, p, first, status); /* step 4 */
		return NULL;
	}
	/* §5.4.1.3: MN-ID alone, when there is exactly one binding. */
	if (n != 1)
		return NULL;
	if (hi == DMM_HI_BETWEEN_IFS || hi == DMM_HI_BETWEEN_MAGS)
		return first; /* step 2 */
	if (hi == DMM_HI_UNKNOWN)
		return hi_unknown(lma, p, first, status); /* step 3 */
	/*
	 * Choice (HI 5, no change): a re-registration from the MAG that holds
	 * the binding updates it. Step 4 would start a new session, which
	 * would hand the same MN a second prefix set on the same interface.
	 */
	if (hi == DMM_HI_NO_CHANGE && dmm_addr_eq(dmm_bce_pcoa(first), p->pcoa))
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

/* The newest Timestamp accepted for any binding of the request's MN (§5.5 rule 6). */
static bool last_timestamp(const struct dmm_lma *lma, const struct pbu *p, uint64_t *ts)
{
	bool any = false;

	*ts = 0;
	for (struct dmm_bcache_entry *e = dmm_bcache_find_mnid_h(lma->bc, &p->mnid, p->mnid_h); e;
	     e = dmm_bcache_find_mnid_next_h(lma->bc, e, p->mnid_h)) {
		if (!any)
			prefetch_binding(lma, e);
		if (e->timestamp > *ts)
			*ts = e->timestamp;
		any = true;
	}
	return any;
}

/*
 * §5.3.1 steps 4-12: the request itself, before the binding cache is
 * searched. false with v->status set when a step refuses.
 */
static bool check_request(struct dmm_lma *lma, const struct pbu *p, struct verdict *v, dmm_time_t now)
{
	/*
	 * Steps 4-8: MN-ID; the MAG is trusted, we serve this MN, its
	 * mobility is enabled. Steps 5-6 (§4): the sender of the PBU is the
	 * one trusted, not the Alternate Care-of Address it names (issue 9 §2.1).
	 */
	v->status = pmip_check_mn(lma->cfg.policy, &lma->cfg.addr, p->src, p->mnid_opt ? &p->mnid : NULL,
				  &v->prof);
	if (v->status)
		return false;
	/* Step 9, §5.5: Timestamp when present (the seq is then ignored, rule 5), else the seq (below). */
	if (p->ts) {
		uint64_t last;
		bool any = last_timestamp(lma, p, &last);

		v->ts = pmip_ts_value(p->ts);
		v->status = pmip_check_ts(p->ts, wall_ns(lma, now), lma->cfg.timestamp_validity_window, any,
					  last);
		if (v->status)
			return false;
	}
	/* Steps 10-12. */
	if (p->n_hnp == 0)
		v->status = DMM_BA_MISSING_HNP;
	else if (!p->hi)
		v->status = DMM_BA_MISSING_HI;
	else if (!p->att)
		v->status = DMM_BA_MISSING_ATT;
	return v->status == 0;
}

/*
 * True when the tunnel to pcoa and n_hnp more prefixes' intents fit (else
 * status 130), records of them beyond the binding's home (lma.c
 * intent_records()). A check allocates nothing: the peer entry is made by
 * lma_peer_hold() when the binding is applied.
 */
static bool room_for(struct dmm_lma *lma, const struct dmm_addr *pcoa, unsigned n_hnp, unsigned records)
{
	return dmm_peers_has_room(lma->base.peers, pcoa) && dmm_bcache_pcoa_room(lma->bc, pcoa) &&
	       dmm_fm_count(lma->base.fm) + 2u * n_hnp <= lma->fm_cap &&
	       dmm_fm_records_room(lma->base.fm) >= records;
}

/* Step 13 for a request that updates binding e: §5.3.3, §5.3.4 or §5.3.5. */
static void check_update(struct dmm_lma *lma, const struct pbu *p, struct verdict *v)
{
	struct dmm_bcache_entry *e = v->e;

	if (p->lifetime_units == 0) {
		/* §5.3.5 step 1: only the MAG that holds the binding may remove it. */
		v->what = dmm_addr_eq(dmm_bce_pcoa(e), p->pcoa) ? PBU_DEREG : PBU_IGNORE;
		v->lifetime_s = 0;
		return;
	}
	/*
	 * Same Proxy-CoA: no handoff; else a handoff. Room to watch another
	 * MAG, and for the routes: a handoff holds a second uplink per HNP
	 * for a moment.
	 */
	v->what = dmm_addr_eq(dmm_bce_pcoa(e), p->pcoa) ? PBU_EXTEND : PBU_HANDOFF;
	if (!room_for(lma, p->pcoa, e->n_hnp, v->what == PBU_HANDOFF ? e->n_hnp : 0)) {
		v->what = PBU_REFUSE;
		v->status = DMM_BA_INSUFFICIENT_RESOURCES;
	}
}

/* §5.3.2 step 3: the NON_ZERO prefixes asked for must be ours, this MN's and free. */
static uint8_t check_asked_prefixes(struct dmm_lma *lma, const struct pbu *p, struct verdict *v)
{
	const struct dmm_policy_profile *prof = v->prof;

	for (unsigned i = 0; i < p->n_hnp; i++) {
		/*
		 * RFC 5847 §3.2: after our restart the MAGs re-register the
		 * prefixes we had handed out. A profile that takes its prefixes
		 * from the pool may get back a pool prefix that is free.
		 */
		bool recovered = prof->n_prefix == 0 && dmm_pool_contains(lma->pool, &p->hnp[i]);

		if ((!recovered && !profile_has_prefix(prof, &p->hnp[i])) ||
		    dmm_bcache_find_prefix(lma->bc, &p->hnp[i]) || dmm_pool_is_used(lma->pool, &p->hnp[i]))
			return DMM_BA_NOT_AUTHORIZED_FOR_HNP;
	}
	if (p->n_hnp > DMM_BCE_MAX_HNP)
		return DMM_BA_INSUFFICIENT_RESOURCES;
	v->n_new = p->n_hnp;
	memcpy(v->newp, p->hnp, sizeof(v->newp[0]) * p->n_hnp);
	return 0;
}

/* §5.3.2 steps 1-2: the prefixes to assign for ALL_ZERO, from the profile or the pool. */
static uint8_t check_assigned_prefixes(struct dmm_lma *lma, struct verdict *v)
{
	const struct dmm_policy_profile *prof = v->prof;
	unsigned want;

	if (prof->n_prefix) {
		/*
		 * With a per-MN policy: the profile's fixed prefixes. Choice:
		 * they serve one session at a time (a second interface asking
		 * for ALL_ZERO gets 130).
		 */
		for (unsigned i = 0; i < prof->n_prefix; i++) {
			if (dmm_bcache_find_prefix(lma->bc, &prof->prefix[i]) ||
			    dmm_pool_is_used(lma->pool, &prof->prefix[i]))
				return DMM_BA_INSUFFICIENT_RESOURCES;
			v->newp[v->n_new++] = prof->prefix[i];
		}
		return 0;
	}
	/* From the pool: n_alloc prefixes (at least one). */
	want = prof->n_alloc ? prof->n_alloc : 1;
	if (want > DMM_BCE_MAX_HNP)
		want = DMM_BCE_MAX_HNP;
	if (dmm_pool_size(lma->pool) - dmm_pool_used(lma->pool) < want) {
		lma->base.stats.pool_exhausted++;
		return DMM_BA_INSUFFICIENT_RESOURCES;
	}
	v->n_new = (uint8_t)want;
	v->from_pool = true;
	return 0;
}

/* Step 13 for a request that matches no binding: a new mobility session (§5.3.2). */
static void check_new(struct dmm_lma *lma, const struct pbu *p, struct verdict *v)
{
	/* §5.4.1.x: a lifetime-0 request without a session is ignored. */
	if (p->lifetime_units == 0) {
		v->what = PBU_IGNORE;
		return;
	}
	v->status = p->any_zero ? check_assigned_prefixes(lma, v) : check_asked_prefixes(lma, p, v);
	if (v->status)
		return;
	/* Room for the entry, all of its prefixes (a session gets all or none), the tunnel and the routes. */
	if (dmm_bcache_count(lma->bc) >= dmm_bcache_capacity(lma->bc) ||
	    dmm_bcache_prefix_room(lma->bc) < v->n_new ||
	    !room_for(lma, p->pcoa, v->n_new, 2u * v->n_new - 2)) {
		v->status = DMM_BA_INSUFFICIENT_RESOURCES;
		return;
	}
	v->what = PBU_NEW;
}

/* §5.3.1 steps 4-13 without changing anything. */
static void check_pbu(struct dmm_lma *lma, const struct pbu *p, struct verdict *v, dmm_time_t now)
{
	struct dmm_bcache_entry *e;
	uint8_t st;

	memset(v, 0, sizeof(*v));
	v->what = PBU_REFUSE;
	/*
	 * RFC 8885 §4.1: this LMA does not implement RFC 8885, so a PBU with
	 * the D flag (from a MAAR or a CMD) is not processed and gets an
	 * error. Choice: 129 (administratively prohibited, RFC 6275 §6.1.8),
	 * as for a BU without the P flag (plain_bu()): the service asked for
	 * is not offered here; 128 would tell the sender nothing.
	 */
	if (p->flags & DMM_BU_D) {
		v->status = DMM_BA_PROHIBITED;
		return;
	}
	if (!check_request(lma, p, v, now))
		return;
	/* Step 13: §5.4.1 lookup. */
	e = lookup_bce(lma, p, &st);
	if (st == LOOKUP_NEW_BUT_HELD || st == LOOKUP_WAIT) {
		if (p->lifetime_units == 0) {
			v->what = PBU_IGNORE; /* §5.4.1.1 step 6, §5.4.1.2 step 5, §5.4.1.3 step 4 */
			return;
		}
		if (st == LOOKUP_WAIT) {
			v->e = e;
			v->what = PBU_WAIT;
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
	if (e)
		check_update(lma, p, v);
	else
		check_new(lma, p, v);
}

/* --- the reply (RFC 5213 §5.3.6) --- */

static void count_ba(struct dmm_lma *lma, uint8_t status)
{
	lma->base.stats.binding_acks++;
	lma->base.stats.ba_status[status]++;
}

/*
 * §5.3.6, §8.2: the mandatory options, copied from the PBU as far as it
 * decoded, or in the empty forms: a zero-length MN-ID, HI 0, ATT 0, one
 * ALL_ZERO HNP.
 */
static void pba_mandatory(struct dmm_mh_msg *m, const struct pbu *p, uint8_t status,
			  const struct dmm_bcache_entry *e)
{
	if (p->mnid_opt)
		pmip_add_mnid(m, &p->mnid);
	else
		dmm_mh_add_opt(m, DMM_OPT_MNID)->u.mnid.subtype = DMM_MNID_NAI; /* zero-length identifier */
	if (status < 128 && e) {
		for (unsigned i = 0; i < e->n_hnp; i++)
			dmm_mh_add_opt(m, DMM_OPT_HNP)->u.hnp = *dmm_bce_hnp(e, i);
	} else if (p->n_hnp) {
		for (unsigned i = 0; i < p->n_hnp && m->nopts < DMM_MH_MAX_OPTS - 8; i++)
			dmm_mh_add_opt(m, DMM_OPT_HNP)->u.hnp = p->hnp[i];
	} else {
		dmm_mh_add_opt(m, DMM_OPT_HNP); /* one ALL_ZERO prefix, ::/0 */
	}
	dmm_mh_add_opt(m, DMM_OPT_HI)->u.hi.value = p->hi ? p->hi->u.hi.value : 0;
	dmm_mh_add_opt(m, DMM_OPT_ATT)->u.att.value = p->att ? p->att->u.att.value : 0;
}

/* §5.3.6 and §5.5: Timestamp, MN-LLID and Link-local Address, present only when the PBU had them. */
static void pba_optional(struct dmm_lma *lma, struct dmm_mh_msg *m, const struct pbu *p, uint8_t status,
			 const struct dmm_bcache_entry *e, dmm_time_t now)
{
	struct dmm_mh_opt *o;

	if (status == DMM_BA_TIMESTAMP_MISMATCH || status == DMM_BA_TIMESTAMP_LOWER_THAN_PREV) {
		/* §5.5 rules 8 and 9: our own time of day. */
		pmip_add_timestamp(m, pmip_wall_timestamp(lma->base.env.wall_offset, now));
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
		o->u.lla = status < 128 && e && dmm_addr_is_zero(&p->lla->u.lla)
				   ? *lma_addr(lma, lma_bx_of(lma, e)->mn_lla)
				   : p->lla->u.lla;
	}
}

/*
 * Build and send the PBA for p with status; e is the binding after an
 * accepted request (NULL when refused).
 */
static void send_pba(struct dmm_lma *lma, const struct pbu *p, uint8_t status,
		     const struct dmm_bcache_entry *e, uint32_t lifetime_s, dmm_time_t now)
{
	struct dmm_mh_msg *m = &lma->tx;
	struct dmm_mh_opt *o;

	dmm_mh_init(m, DMM_MH_BA);
	m->u.ba.status = status;
	m->u.ba.flags = DMM_BA_P; /* never D: this LMA does not implement RFC 8885 (§4.2) */
	m->u.ba.seq = p->seq;
	if (status == DMM_BA_SEQ_OUT_OF_WINDOW && e)
		m->u.ba.seq = e->seq; /* RFC 6275 §9.5.1: the last accepted, so the MAG can resync */
	m->u.ba.lifetime = status < 128 ? dmm_lifetime_units(lifetime_s) : 0;
	pba_mandatory(m, p, status, e);
	pba_optional(lma, m, p, status, e, now);
	/* RFC 7389 §5: the LMA-UPA when the MAG asked for it (or the domain supports it, e's flag). */
	if (status < 128 && e && lma_bx_of(lma, e)->upa && !dmm_addr_is_zero(&lma->cfg.upa) &&
	    !dmm_addr_eq(&lma->cfg.upa, &lma->cfg.addr)) {
		o = dmm_mh_add_opt(m, DMM_OPT_LMA_UPA);
		o->u.lma_upa.len = 16;
		memcpy(o->u.lma_upa.b, lma->cfg.upa.b, 16);
	}
	if (lma->tx_redirect) {
		/* RFC 6463 §4.2: K set, the r2LMA's IPv6 address (IPv6 transport, §5.3: the same family). */
		o = dmm_mh_add_opt(m, DMM_OPT_REDIRECT);
		o->u.redirect.flags = DMM_REDIRECT_K;
		o->u.redirect.r2lma.len = 16;
		memcpy(o->u.redirect.r2lma.b, lma->tx_redirect->b, 16);
	}
	if (lma->cfg.max_sessions_advertised) {
		/* RFC 6463 §4.3: sessions in use are our bindings. */
		o = dmm_mh_add_opt(m, DMM_OPT_LOAD);
		o->u.load.sessions_in_use = dmm_bcache_count(lma->bc);
		o->u.load.max_sessions = lma->cfg.max_sessions_advertised;
	}
	count_ba(lma, status);
	/* §5.3.6: from the PBU's destination to its source. */
	lma_send_msg(lma, p->dst, p->src, m);
}

static void refuse(struct dmm_lma *lma, const struct pbu *p, const struct verdict *v, dmm_time_t now)
{
	char m[DMM_MNID_STRLEN], a[DMM_ADDR_STRLEN];

	dmm_logf(lma->base.env.log, DMM_LOG_INFO, DMM_LC_MH,
		 "PBU seq %u mn %s from mag %s refused: status %u", p->seq,
		 p->mnid_opt ? dmm_mnid_str(&p->mnid, m) : "-", dmm_addr_str(p->pcoa, a), v->status);
	send_pba(lma, p, v->status, v->e, 0, now);
}

/*
 * The data plane refused the forwarding state of an accepted request
 * (§5.3.2 steps 5-6, §5.3.4; e is NULL when the entry is already gone):
 * the binding cannot serve, so it is deleted and the PBA says 130
 * (insufficient resources, RFC 6275 §6.1.8): the LMA lacks what it needs
 * to forward for this MN now, which a MAG may retry or take elsewhere.
 * Not 128, which says nothing, and not 0, which would be false.
 */
static void dataplane_refused(struct dmm_lma *lma, const struct pbu *p, struct dmm_bcache_entry *e,
			      dmm_time_t now)
{
	struct verdict v;

	if (e)
		lma_bce_delete(lma, e, "data plane refused the forwarding state", now);
	memset(&v, 0, sizeof(v));
	v.status = DMM_BA_INSUFFICIENT_RESOURCES;
	refuse(lma, p, &v, now);
}

/* --- acting on an accepted PBU --- */

static void bce_fill(struct dmm_lma *lma, struct dmm_bcache_entry *e, const struct pbu *p,
		     const struct verdict *v, dmm_time_t now)
{
	e->proxy = true;
	e->att = p->att->u.att.value;
	e->hi = p->hi->u.hi.value;
	e->seq = p->seq;
	if (p->ts)
		e->timestamp = v->ts;
	/* An MN-LLID beyond DMM_BCE_LLID_INLINE octets with no arena block is not kept (bcache.h). */
	if (p->llid)
		(void)dmm_bcache_set_llid(lma->bc, e, p->llid->u.mnllid.b, p->llid->u.mnllid.len);
	if (p->lla && !dmm_addr_is_zero(&p->lla->u.lla))
		(void)lma_addr_set(lma, &lma_bx_of(lma, e)->mn_lla, &p->lla->u.lla); /* full: not kept */
	(void)dmm_bcache_set_pcoa(lma->bc, e, p->pcoa); /* cannot fail: room_for() checked */
	e->lifetime_s = v->lifetime_s;
	e->expires = now + (dmm_time_t)e->lifetime_s * DMM_SECOND;
	/* RFC 7389 §5: without the option in the PBU the session does without the LMA-UPA. */
	lma_bx_of(lma, e)->upa = lma->cfg.domain_wide_lma_upa_support || p->upa;
}

/* §5.3.2 step 2: the n_new prefixes of v into the new entry e; false when one could not be had. */
static bool add_new_prefixes(struct dmm_lma *lma, struct dmm_bcache_entry *e, const struct verdict *v)
{
	for (unsigned i = 0; i < v->n_new; i++) {
		struct dmm_prefix pf;

		if (v->from_pool) {
			if (dmm_pool_alloc(lma->pool, &pf) != 0)
				return false;
		} else {
			pf = v->newp[i];
			(void)dmm_pool_reserve(lma->pool, &pf); /* NOTFOUND for a prefix outside the pool */
		}
		if (dmm_bcache_add_prefix(lma->bc, e, &pf) != 0) {
			(void)dmm_pool_release(lma->pool, &pf);
			return false;
		}
	}
	return true;
}

/* §5.3.2: the new binding, or NULL when it could not be set up completely (nothing is then kept). */
static struct dmm_bcache_entry *apply_new(struct dmm_lma *lma, const struct pbu *p, struct verdict *v,
					  dmm_time_t now)
{
	struct dmm_bcache_entry *e = dmm_bcache_add(lma->bc, &p->mnid, NULL);

	if (!e)
		return NULL; /* checked in check_new() */
	memset(lma_bx_of(lma, e), 0, sizeof(struct lma_bx));
	if (!add_new_prefixes(lma, e, v)) {
		/* Checked in check_new(); should it fail anyway, all prefixes or none (issue 9 §2.17). */
		for (unsigned i = 0; i < e->n_hnp; i++)
			(void)dmm_pool_release(lma->pool, dmm_bce_hnp(e, i));
		dmm_bcache_del(lma->bc, e);
		return NULL;
	}
	bce_fill(lma, e, p, v, now);
	/* §5.3.2 steps 4-6: the entry, the tunnel, the routes. */
	lma_peer_hold(lma, e, now);
	lma_bce_created(lma, e, "initial registration");
	if (!lma_set_intents(lma, e, now)) {
		lma_bce_delete(lma, e, "data plane refused the forwarding state", now);
		return NULL;
	}
	lma_timers_binding_accepted(lma, e);
	lma->base.stats.initial_registrations++;
	return e;
}

/* §5.3.5 step 2: accept, drop the MN's traffic, delete after MinDelayBeforeBCEDelete. */
static void apply_dereg(struct dmm_lma *lma, const struct pbu *p, struct verdict *v, dmm_time_t now)
{
	struct dmm_bcache_entry *e = v->e;

	e->seq = p->seq;
	if (p->ts)
		e->timestamp = v->ts;
	/* A repeated de-registration keeps the first deadline. */
	lma_bce_deregister(lma, e, "de-registration", now);
	send_pba(lma, p, DMM_BA_ACCEPTED, e, 0, now);
}

/*
 * §5.3.4 steps 1-4 after the binding moved from prev: routes, logs, and
 * the BRI. False when the data plane refused the new routes.
 */
static bool handoff_done(struct dmm_lma *lma, struct dmm_bcache_entry *e, const struct dmm_addr *prev,
			 uint8_t prev_att, bool revived, dmm_time_t now)
{
	char a[DMM_ADDR_STRLEN], b[DMM_ADDR_STRLEN];

	if (!lma_set_intents(lma, e, now))
		return false;
	lma->base.stats.lifetime_ext_after_handoff++;
	lma->base.stats.handoffs++;
	e->handovers++;
	if (dmm_role_base_log_on(&lma->base, DMM_LOG_INFO)) /* no formatting for a line nobody takes */
		dmm_logf(lma->base.env.log, DMM_LOG_INFO, DMM_LC_FSM,
			 "handoff: mag %s -> %s (hi %u, att %u -> %u)", dmm_addr_str(prev, a),
			 dmm_addr_str(dmm_bce_pcoa(e), b), e->hi, prev_att, e->att);
	if (!revived)
		lma_log_bce(lma, DMM_LOG_INFO, e, "ACTIVE", "ACTIVE", "handoff");
	/*
	 * RFC 5846 §8.1: revoke at the previous MAG, unless it has already
	 * de-registered (then it holds nothing to revoke).
	 */
	if (lma->cfg.revoke_on_handoff && !revived)
		lma_bri_start(lma, e, prev,
			      e->hi == DMM_HI_UNKNOWN ? DMM_BRI_TRIGGER_UNKNOWN
			      : e->att == prev_att    ? DMM_BRI_TRIGGER_SAME_ATT
						      : DMM_BRI_TRIGGER_OTHER_ATT,
			      now);
	return true;
}

/* §5.3.3 (same MAG) or §5.3.4 (another MAG), also during a de-registration wait (§5.3.5). */
static void apply_update(struct dmm_lma *lma, const struct pbu *p, struct verdict *v, dmm_time_t now)
{
	struct dmm_bcache_entry *e = v->e;
	struct dmm_addr prev = *dmm_bce_pcoa(e);
	uint8_t prev_att = e->att;
	bool revived = e->state == DMM_BCE_DEREG_WAIT, ok = true;
	bool had_upa = lma_bx_of(lma, e)->upa;

	/* §5.4.1.3 step 3: a handoff the LMA can tell (HI 2 or 3) ends a wait for the previous MAG. */
	if (v->what == PBU_HANDOFF)
		lma_handoff_wait_end(lma, e, false, "handoff");
	bce_fill(lma, e, p, v, now);
	if (revived) {
		lma_peer_hold(lma, e, now); /* released at the de-registration */
	} else if (v->what == PBU_HANDOFF) {
		uint32_t old = lma_bx_of(lma, e)->peer;

		lma_peer_hold(lma, e, now); /* the new MAG first: no needless tunnel teardown */
		lma_peer_unref(lma, old, now);
	}
	if (revived) {
		/* §5.3.5: a PBU during the wait ends it and keeps the entry. */
		lma_timers_dereg_ended(lma, e);
		lma_set_state(lma, e, DMM_BCE_ACTIVE,
			      v->what == PBU_HANDOFF ? "handoff during de-registration wait"
						     : "re-registration during de-registration wait");
	}
	lma_timers_binding_accepted(lma, e);
	if (v->what == PBU_HANDOFF) {
		ok = handoff_done(lma, e, &prev, prev_att, revived, now);
	} else {
		/* §5.3.3 */
		lma->base.stats.lifetime_ext_no_handoff++;
		if (revived)
			ok = lma_set_intents(lma, e, now);
		else
			lma_log_bce(lma, DMM_LOG_DEBUG, e, "ACTIVE", "ACTIVE", "lifetime extension");
		/*
		 * RFC 7389 §5: a refresh that starts or stops asking for the
		 * LMA-UPA moves the tunnel's end here; any other refresh leaves
		 * the data plane alone.
		 */
		if (!revived && had_upa != lma_bx_of(lma, e)->upa)
			ok = lma_set_intents(lma, e, now);
	}
	if (!ok) {
		dataplane_refused(lma, p, e, now);
		return;
	}
	send_pba(lma, p, DMM_BA_ACCEPTED, e, v->lifetime_s, now);
	if (v->what == PBU_HANDOFF || revived)
		lma_lr_bound(lma, e, now); /* RFC 6705 §5.1: LR again at the new MAG */
}

/*
 * §5.4.1.3 step 3 (§5.4.1.2 step 4): HI 4 from another MAG for the MN's
 * only binding. The binding waits in HANDOFF_WAIT, still served by its
 * MAG, for MaxDelayBeforeNewBCEAssign; RFC 5846 §8.1: its MAG is asked
 * with a BRI (trigger 4) instead of only waiting. Choice: the request is
 * not answered and not kept (the core holds no PBUs); the MAG
 * retransmits (§6.9.4, and the note on MaxDelayBeforeNewBCEAssign in
 * §9.1), and its retransmission finds the outcome: the binding, once
 * de-registered or revoked, or a new session once the wait ended in vain.
 */
static void apply_wait(struct dmm_lma *lma, const struct pbu *p, struct verdict *v, dmm_time_t now)
{
	struct dmm_bcache_entry *e = v->e;
	struct lma_bx *x = lma_bx_of(lma, e);
	char a[DMM_ADDR_STRLEN];

	if (e->state == DMM_BCE_HANDOFF_WAIT) {
		dmm_logf(lma->base.env.log, DMM_LOG_DEBUG, DMM_LC_MH,
			 "PBU seq %u from mag %s: still waiting for the previous mag (§5.4.1.3)", p->seq,
			 dmm_addr_str(p->pcoa, a));
		return;
	}
	(void)lma_addr_set(lma, &x->hw_mag, p->pcoa); /* full: the wait then ends as for an unknown MAG */
	x->hw_over = false;
	lma_timers_handoff_wait_started(lma, e, now);
	lma_set_state(lma, e, DMM_BCE_HANDOFF_WAIT, "handoff state unknown: waiting for the previous mag");
	if (lma->cfg.revoke_on_handoff)
		lma_bri_start(lma, e, dmm_bce_pcoa(e), DMM_BRI_TRIGGER_UNKNOWN, now);
}

static void apply_pbu(struct dmm_lma *lma, const struct pbu *p, struct verdict *v, dmm_time_t now)
{
	struct dmm_bcache_entry *e;

	switch (v->what) {
	case PBU_NEW:
		e = apply_new(lma, p, v, now);
		if (e) {
			send_pba(lma, p, DMM_BA_ACCEPTED, e, v->lifetime_s, now);
			lma_lr_bound(lma, e, now); /* RFC 6705 §3.2, §5 */
		} else
			dataplane_refused(lma, p, NULL, now);
		return;
	case PBU_DEREG:
		apply_dereg(lma, p, v, now);
		return;
	case PBU_EXTEND:
	case PBU_HANDOFF:
		apply_update(lma, p, v, now);
		return;
	case PBU_WAIT:
		apply_wait(lma, p, v, now);
		return;
	case PBU_IGNORE:
		dmm_logf(lma->base.env.log, DMM_LOG_DEBUG, DMM_LC_MH,
			 "PBU seq %u with lifetime 0 ignored (§5.3.5, §5.4.1)", p->seq);
		return;
	case PBU_REFUSE:
		break;
	}
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
	lma_send_msg(lma, dst, src, m);
}

void lma_recv_pbu(struct dmm_lma *lma, const struct dmm_addr *src, const struct dmm_addr *dst, dmm_time_t now)
{
	struct pbu p;
	struct verdict v;

	if (!(lma->rx.u.bu.flags & DMM_BU_P)) {
		plain_bu(lma, src, dst);
		return;
	}
	read_pbu(lma, &p, src, dst);
	prefetch(lma, &p);
	check_pbu(lma, &p, &v, now);
	if (v.what == PBU_NEW && (lma->tx_redirect = lma_redirect_to(lma, &lma->rx)) != NULL) {
		/* RFC 6463 §5.3: success, the Redirect option, no session here (lma_redirect.c). */
		lma->redirected++;
		send_pba(lma, &p, DMM_BA_ACCEPTED, NULL, 0, now);
		lma->tx_redirect = NULL;
		return;
	}
	if (v.what == PBU_REFUSE)
		refuse(lma, &p, &v, now);
	else
		apply_pbu(lma, &p, &v, now);
}

/* --- malformed input (rule 5, malformed.c) --- */

/*
 * The header and the fixed part of a PBU decoded but an option did not:
 * status 128 (reason unspecified) with its seq, so the MAG stops
 * retransmitting the same bad message. RFC 5213 §5.3.6: the PBA carries
 * the options the PBU carried as far as they decoded (each one checked
 * by the codec; dmm_lma_recv() cleared lma->rx before decoding, so none
 * is from an earlier message), the empty forms for the rest. Nothing is
 * acted on; the Proxy-CoA is the sender (an ACoA is not trusted here).
 */
void lma_pbu_malformed(struct dmm_lma *lma, const struct dmm_addr *src, const struct dmm_addr *dst,
		       uint16_t seq, dmm_time_t now)
{
	struct pbu p;
	struct verdict v;

	read_pbu(lma, &p, src, dst);
	p.pcoa = src;
	p.seq = seq;
	memset(&v, 0, sizeof(v));
	v.status = DMM_BA_UNSPECIFIED;
	refuse(lma, &p, &v, now);
}
