/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * RFC 5949 fast handover: the Handover Initiate and Handover Acknowledge
 * messages and the MN's context (§6.1, §6.2), as the MAG and the MAAR
 * build and read them (fho.h).
 */
#include <string.h>

#include "base.h"
#include "fho.h"
#include "pmip_common.h"

const char *fho_state_name(unsigned s)
{
	static const char *const n[FHO_NSTATES] = {"NONE",	"P_HI_SENT", "P_BUFFER",   "P_FORWARD",
						   "N_WAIT_MN", "N_HI_SENT", "N_FWD_WAIT", "N_ORDER"};

	return s < FHO_NSTATES ? n[s] : "?";
}

void fho_hi_init(struct dmm_mh_msg *m, uint16_t seq, uint8_t flags, uint8_t code, const struct dmm_mnid *id)
{
	dmm_mh_init(m, DMM_MH_HI);
	m->u.hi.seq = seq;
	m->u.hi.flags = (uint8_t)(flags | DMM_HI_P); /* §6.1.1: P in every message of this protocol */
	m->u.hi.code = code;
	pmip_add_mnid(m, id); /* §6.1.1: MUST */
}

void fho_hack_init(struct dmm_mh_msg *m, const struct dmm_mh_msg *hi, uint8_t flags, uint8_t code)
{
	struct dmm_mnid id;

	dmm_mh_init(m, DMM_MH_HACK);
	m->u.hi.seq = hi->u.hi.seq;
	m->u.hi.flags = (uint8_t)(flags | DMM_HACK_P);
	m->u.hi.code = code;
	if (pmip_mnid_of(hi, &id))
		pmip_add_mnid(m, &id);
}

void fho_add_ctx_req(struct dmm_mh_msg *m)
{
	static const uint8_t req[] = {DMM_OPT_HNP, 0, DMM_OPT_MNLLID, 0, DMM_OPT_LMAA, 0};
	struct dmm_mh_opt *o = dmm_mh_add_opt(m, DMM_OPT_CTX_REQ);

	if (o) {
		o->u.ctx_req.len = sizeof(req);
		memcpy(o->u.ctx_req.b, req, sizeof(req));
	}
}

void fho_add_context(struct dmm_mh_msg *m, const struct dmm_bul_entry *e, const struct dmm_addr *lmaa)
{
	struct dmm_mh_opt *o;
	bool ll_valid = false;

	for (unsigned i = 0; i < e->n_hnp; i++)
		if ((o = dmm_mh_add_opt(m, DMM_OPT_HNP)) != NULL)
			o->u.hnp = e->hnp[i];
	if (lmaa && (o = dmm_mh_add_opt(m, DMM_OPT_LMAA)) != NULL) {
		o->u.lmaa.code = DMM_LMAA_IPV6;
		o->u.lmaa.addr.len = 16;
		memcpy(o->u.lmaa.addr.b, lmaa->b, 16);
	}
	for (unsigned i = 0; i < e->llid.len; i++)
		ll_valid |= e->llid.b[i] != 0;
	/* §4.1 step c: the MN LL-ID only when valid (non-zero). */
	if (ll_valid && e->llid.len + 2u <= DMM_MH_OPT_DATA_MAX && (o = dmm_mh_add_opt(m, DMM_OPT_MNLLID))) {
		o->u.mnllid.len = e->llid.len;
		memcpy(o->u.mnllid.b, e->llid.b, e->llid.len);
	}
	if ((o = dmm_mh_add_opt(m, DMM_OPT_ATT)) != NULL)
		o->u.att.value = e->att;
}

void fho_take_link(struct dmm_bul_entry *e, const struct dmm_mh_msg *m)
{
	const struct dmm_mh_opt *o = dmm_mh_find_opt(m, DMM_OPT_MNLLID, NULL);

	if (o && o->u.mnllid.len <= DMM_LLID_MAX && !e->llid.len) {
		e->llid.len = o->u.mnllid.len;
		memcpy(e->llid.b, o->u.mnllid.b, o->u.mnllid.len);
	}
	o = dmm_mh_find_opt(m, DMM_OPT_ATT, NULL);
	if (o && o->u.att.value && !e->att)
		e->att = o->u.att.value;
}

bool fho_valid(const struct dmm_mh_msg *m, uint8_t p_flag, struct dmm_mnid *id)
{
	return (m->u.hi.flags & p_flag) && pmip_mnid_of(m, id);
}

static void fho_recv_hi(const struct fho_role *r, const struct dmm_addr *src, const struct dmm_mh_msg *m,
			dmm_time_t now)
{
	struct dmm_mnid id;
	struct dmm_bul_entry *e;

	r->cnt->hi_received++;
	/* §6.1.1: P marks this protocol (without it, RFC 5568's HI for MIPv6: not served); MN-ID MUST. */
	if (!fho_valid(m, DMM_HI_P, &id)) {
		r->cnt->hi_bad++;
		(*r->rx_unexpected)++;
		return;
	}
	if (!r->enabled) {
		r->ops->send_hack(r->self, src, m, 0, DMM_HACK_PROHIBITED, NULL);
		return;
	}
	e = dmm_bul_find_mnid(r->bul, &id);
	if (m->u.hi.code == DMM_HI_CODE_FWD_DONE)
		r->ops->fwd_done(r->self, src, m, e, now);
	else if (dmm_mh_find_opt(m, DMM_OPT_HNP, NULL))
		r->ops->prepare(r->self, src, m, &id, e, now);
	else
		r->ops->give(r->self, src, m, e, now);
}

/* The previous router's HI was answered (§4.1 Figure 2 step d). */
static void p_acked(const struct fho_role *r, const struct fho_rec *f, struct dmm_bul_entry *e,
		    const struct dmm_mh_msg *m, dmm_time_t now)
{
	r->ops->disarm(r->self, e);
	r->cnt->last_ctx = now - f->hi_sent;
	if (m->u.hi.code >= 128) {
		r->cnt->refused++;
		r->ops->p_refused(r->self, e, now);
		return;
	}
	r->ops->p_acked(r->self, e, m, now);
}

/* A neighbour answered the new router's reactive HI (§4.1 Figure 3 step d). */
static void n_acked(const struct fho_role *r, struct fho_rec *f, const struct dmm_addr *src,
		    struct dmm_bul_entry *e, const struct dmm_mh_msg *m, dmm_time_t now)
{
	if (m->u.hi.code >= 128 || !dmm_mh_find_opt(m, DMM_OPT_HNP, NULL)) {
		if (f->asked && --f->asked)
			return; /* others may hold the context */
		r->ops->disarm(r->self, e);
		r->ops->n_none(r->self, e, now);
		return;
	}
	r->ops->disarm(r->self, e);
	r->cnt->last_ctx = now - f->hi_sent;
	r->cnt->reactive++;
	r->ops->n_acked(r->self, src, e, m, now);
}

static void fho_recv_hack(const struct fho_role *r, const struct dmm_addr *src, const struct dmm_mh_msg *m,
			  dmm_time_t now)
{
	struct dmm_mnid id;
	struct dmm_bul_entry *e;
	struct fho_rec *f;

	r->cnt->hack_received++;
	if (!fho_valid(m, DMM_HACK_P, &id)) {
		r->cnt->hi_bad++;
		(*r->rx_unexpected)++;
		return;
	}
	e = dmm_bul_find_mnid(r->bul, &id);
	f = e ? r->ops->rec(r->self, e) : NULL;
	/* §6.1.2: the HAck answers our last HI by its sequence number. */
	if (!f || m->u.hi.seq != f->seq) {
		(*r->rx_unexpected)++;
		return;
	}
	if (f->state == FHO_P_HI_SENT && dmm_addr_eq(&f->peer, src))
		p_acked(r, f, e, m, now);
	else if (f->state == FHO_N_HI_SENT)
		n_acked(r, f, src, e, m, now);
	else if (f->state == FHO_N_FWD_WAIT && dmm_addr_eq(&f->peer, src)) {
		r->ops->disarm(r->self, e);
		r->ops->n_forwarded(r->self, e, now); /* the answer to our HI {F} (reactive): step g */
	} else
		(*r->rx_unexpected)++; /* the handover it answers is over (code 2, a late one) */
}

void fho_recv(const struct fho_role *r, const struct dmm_addr *src, const struct dmm_mh_msg *m,
	      dmm_time_t now)
{
	if (m->type == DMM_MH_HI)
		fho_recv_hi(r, src, m, now);
	else
		fho_recv_hack(r, src, m, now);
}

size_t fho_counters(const struct dmm_mag_fho_counters *c, bool enabled, struct dmm_role_counter *out,
		    size_t max)
{
	const struct dmm_role_counter all[] = {
		{"fho_hi_sent", c->hi_sent},
		{"fho_hi_received", c->hi_received},
		{"fho_hack_sent", c->hack_sent},
		{"fho_hack_received", c->hack_received},
		{"fho_predictive", c->predictive},
		{"fho_reactive", c->reactive},
		{"fho_forwarded_out", c->forwarded_out},
		{"fho_refused", c->refused},
		{"fho_no_answer", c->no_answer},
		{"fho_bad", c->hi_bad},
		{"fho_last_context_us", c->last_ctx / DMM_USEC},
		{"fho_last_registration_us", c->last_reg / DMM_USEC},
		{"fho_last_lead_us", c->last_attach / DMM_USEC},
	};

	if (!enabled)
		return 0;
	return dmm_role_counters_copy(out, max, all, sizeof(all) / sizeof(all[0]));
}
