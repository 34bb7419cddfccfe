/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * PMIPv6 helpers shared by the roles (pmip_common.h). One block per side
 * of the protocol.
 */
#include <string.h>

#include "dmm/bcache.h"
#include "fsm.h"
#include "pmip_common.h"

/* ===== Access side: MAG and S-MAAR ===== */

uint64_t pmip_wall_timestamp(int64_t wall_offset, dmm_time_t now)
{
	int64_t w = (int64_t)now + wall_offset;
	uint64_t ns = w > 0 ? (uint64_t)w : 0;
	uint64_t sec = ns / DMM_SECOND, frac = (ns % DMM_SECOND) * 65536u / DMM_SECOND;

	return (sec & 0xffffffffffffull) << 16 | frac;
}

void pmip_add_mnid(struct dmm_mh_msg *m, const struct dmm_mnid *id)
{
	struct dmm_mh_opt *o = dmm_mh_add_opt(m, DMM_OPT_MNID);

	if (!o)
		return;
	o->u.mnid.subtype = id->subtype;
	o->u.mnid.id.len = id->len;
	memcpy(o->u.mnid.id.b, id->id, id->len);
}

bool pmip_mnid_of(const struct dmm_mh_msg *m, struct dmm_mnid *id)
{
	const struct dmm_mh_opt *o = dmm_mh_find_opt(m, DMM_OPT_MNID, NULL);

	if (!o)
		return false;
	memset(id, 0, sizeof(*id));
	id->subtype = o->u.mnid.subtype;
	id->len = o->u.mnid.id.len;
	memcpy(id->id, o->u.mnid.id.b, id->len);
	return id->len > 0;
}

void pmip_pbu_build(struct dmm_mh_msg *m, struct dmm_bul_entry *e, uint16_t seq, uint16_t flags,
		    uint16_t lifetime_units, const struct dmm_prefix *hnp, unsigned n_hnp, bool timestamp,
		    int64_t wall_offset, dmm_time_t now)
{
	struct dmm_mh_opt *o;

	dmm_mh_init(m, DMM_MH_BU);
	m->u.bu.seq = seq;
	m->u.bu.flags = flags;
	m->u.bu.lifetime = lifetime_units;
	pmip_add_mnid(m, &e->mnid);
	/* §6.9.1.1 item 3: ALL_ZERO asks the anchor to assign; §6.9.1.3/§6.9.1.4 item 2: the known ones. */
	if (n_hnp == 0)
		dmm_mh_add_opt(m, DMM_OPT_HNP);
	for (unsigned i = 0; i < n_hnp; i++)
		dmm_mh_add_opt(m, DMM_OPT_HNP)->u.hnp = hnp[i];
	dmm_mh_add_opt(m, DMM_OPT_HI)->u.hi.value = e->hi;
	dmm_mh_add_opt(m, DMM_OPT_ATT)->u.att.value = e->att;
	/* §6.9.1.1 item 6 and §6.9.4 item 4: the latest timestamp on every transmission. */
	if (timestamp) {
		e->timestamp = pmip_wall_timestamp(wall_offset, now);
		o = dmm_mh_add_opt(m, DMM_OPT_TIMESTAMP);
		o->u.timestamp.seconds = e->timestamp >> 16;
		o->u.timestamp.fraction = (uint16_t)e->timestamp;
	}
	/* §6.9.1.1 item 7: MN-LLID only when known and not ALL_ZERO. */
	if (e->llid.len) {
		bool zero = true;

		for (unsigned i = 0; i < e->llid.len; i++)
			zero = zero && e->llid.b[i] == 0;
		if (!zero) {
			o = dmm_mh_add_opt(m, DMM_OPT_MNLLID);
			o->u.mnllid.len = e->llid.len;
			memcpy(o->u.mnllid.b, e->llid.b, e->llid.len);
		}
	}
}

dmm_time_t pmip_backoff_first(bool first_reg, dmm_time_t first_reg_timeout, dmm_time_t timeout)
{
	return first_reg && first_reg_timeout ? first_reg_timeout : timeout;
}

dmm_time_t pmip_backoff_next(dmm_time_t cur, dmm_time_t max)
{
	return cur * 2 > max ? max : cur * 2;
}

bool pmip_seq_in_attempt(uint16_t seq, uint16_t first, uint16_t last)
{
	return (uint16_t)(seq - first) <= (uint16_t)(last - first);
}

bool pmip_pba_echo_ok(const struct dmm_bul_entry *e, const struct dmm_mh_msg *m)
{
	const struct dmm_mh_opt *o;

	o = dmm_mh_find_opt(m, DMM_OPT_HI, NULL);
	if (o && o->u.hi.value != e->hi)
		return false;
	o = dmm_mh_find_opt(m, DMM_OPT_ATT, NULL);
	if (o && o->u.att.value != e->att)
		return false;
	o = dmm_mh_find_opt(m, DMM_OPT_MNLLID, NULL);
	if (o && (o->u.mnllid.len != e->llid.len || memcmp(o->u.mnllid.b, e->llid.b, e->llid.len) != 0))
		return false;
	return true;
}

bool pmip_pba_hnps_ok(const struct dmm_mh_msg *m)
{
	const struct dmm_mh_opt *o = NULL;
	unsigned n = 0;

	while ((o = dmm_mh_find_opt(m, DMM_OPT_HNP, o)) != NULL) {
		if (o->u.hnp.len == 0 || o->u.hnp.len > 128 || dmm_addr_is_zero(&o->u.hnp.addr))
			return false;
		n++;
	}
	return n > 0 && n <= DMM_BUL_MAX_HNP;
}

/*
 * RFC 5213 §6.9.1.2, §8.9; RFC 6275 §6.1.8. Every status >= 128
 * registered with IANA up to 173 has a row; others are refused as
 * "unknown". 155 could be retried with ALL_ZERO (§6.9.1.2 item 10), but a
 * new attachment already asks for ALL_ZERO and a refresh that changed the
 * prefix would break the MN's sessions, so it is refused. 156 is retried
 * once at once: the access router cannot resynchronise a clock it does
 * not own (io/ does), and a fresh timestamp covers a PBU that was merely
 * delayed.
 */
static const struct pmip_status pmip_status_table[] = {
	{128, PMIP_ST_REFUSE, "REASON_UNSPECIFIED"},
	{129, PMIP_ST_REFUSE, "ADMINISTRATIVELY_PROHIBITED"},
	{130, PMIP_ST_REFUSE, "INSUFFICIENT_RESOURCES"},
	{131, PMIP_ST_REFUSE, "HOME_REGISTRATION_NOT_SUPPORTED"},
	{132, PMIP_ST_REFUSE, "NOT_HOME_SUBNET"},
	{133, PMIP_ST_REFUSE, "NOT_HOME_AGENT_FOR_THIS_MN"},
	{134, PMIP_ST_REFUSE, "DUPLICATE_ADDRESS_DETECTION_FAILED"},
	{135, PMIP_ST_RESYNC_SEQ, "SEQUENCE_NUMBER_OUT_OF_WINDOW"},
	{136, PMIP_ST_REFUSE, "EXPIRED_HOME_NONCE_INDEX"},
	{137, PMIP_ST_REFUSE, "EXPIRED_CARE_OF_NONCE_INDEX"},
	{138, PMIP_ST_REFUSE, "EXPIRED_NONCES"},
	{139, PMIP_ST_REFUSE, "REGISTRATION_TYPE_CHANGE_DISALLOWED"},
	{140, PMIP_ST_REFUSE, "MOBILE_ROUTER_OPERATION_NOT_PERMITTED"},
	{141, PMIP_ST_REFUSE, "INVALID_PREFIX"},
	{142, PMIP_ST_REFUSE, "NOT_AUTHORIZED_FOR_PREFIX"},
	{143, PMIP_ST_REFUSE, "FORWARDING_SETUP_FAILED"},
	{144, PMIP_ST_REFUSE, "MIPV6_ID_MISMATCH"},
	{145, PMIP_ST_REFUSE, "MIPV6_MESG_ID_REQD"},
	{146, PMIP_ST_REFUSE, "MIPV6_AUTH_FAIL"},
	{147, PMIP_ST_REFUSE, "PERMANENT_HOME_KEYGEN_TOKEN_UNAVAILABLE"},
	{148, PMIP_ST_REFUSE, "CGA_AND_SIGNATURE_VERIFICATION_FAILED"},
	{149, PMIP_ST_REFUSE, "PERMANENT_HOME_KEYGEN_TOKEN_EXISTS"},
	{150, PMIP_ST_REFUSE, "NON_NULL_HOME_NONCE_INDEX_EXPECTED"},
	{151, PMIP_ST_REFUSE, "SERVICE_AUTHORIZATION_FAILED"},
	{152, PMIP_ST_BLOCK, "PROXY_REG_NOT_ENABLED"},
	{153, PMIP_ST_REFUSE, "NOT_LMA_FOR_THIS_MOBILE_NODE"},
	{154, PMIP_ST_REFUSE, "MAG_NOT_AUTHORIZED_FOR_PROXY_REG"},
	{155, PMIP_ST_REFUSE, "NOT_AUTHORIZED_FOR_HOME_NETWORK_PREFIX"},
	{156, PMIP_ST_RESYNC_TS, "TIMESTAMP_MISMATCH"},
	{157, PMIP_ST_RESYNC_TS, "TIMESTAMP_LOWER_THAN_PREV_ACCEPTED"},
	{158, PMIP_ST_REFUSE, "MISSING_HOME_NETWORK_PREFIX_OPTION"},
	{159, PMIP_ST_REFUSE, "BCE_PBU_PREFIX_SET_DO_NOT_MATCH"},
	{160, PMIP_ST_REFUSE, "MISSING_MN_IDENTIFIER_OPTION"},
	{161, PMIP_ST_REFUSE, "MISSING_HANDOFF_INDICATOR_OPTION"},
	{162, PMIP_ST_REFUSE, "MISSING_ACCESS_TECH_TYPE_OPTION"},
	{163, PMIP_ST_REFUSE, "GRE_KEY_OPTION_REQUIRED"},
	{164, PMIP_ST_REFUSE, "MCOA_MALFORMED"},
	{165, PMIP_ST_REFUSE, "MCOA_NON_MCOA_BINDING_EXISTS"},
	{166, PMIP_ST_REFUSE, "MCOA_PROHIBITED"},
	{167, PMIP_ST_REFUSE, "MCOA_UNKNOWN_COA"},
	{168, PMIP_ST_REFUSE, "MCOA_BULK_REGISTRATION_PROHIBITED"},
	{169, PMIP_ST_REFUSE, "MCOA_SIMULTANEOUS_HOME_AND_FOREIGN_PROHIBITED"},
	{170, PMIP_ST_REFUSE, "NOT_AUTHORIZED_FOR_IPV4_MOBILITY_SERVICE"},
	{171, PMIP_ST_REFUSE, "NOT_AUTHORIZED_FOR_IPV4_HOME_ADDRESS"},
	{172, PMIP_ST_REFUSE, "NOT_AUTHORIZED_FOR_IPV6_MOBILITY_SERVICE"},
	{173, PMIP_ST_REFUSE, "MULTIPLE_IPV4_HOME_ADDRESS_ASSIGNMENT_NOT_SUPPORTED"},
};

const struct pmip_status *pmip_status_row(uint8_t status)
{
	static const struct pmip_status unknown = {0, PMIP_ST_REFUSE, "unknown"};
	size_t n = sizeof(pmip_status_table) / sizeof(pmip_status_table[0]);

	if (status >= 128 && (size_t)(status - 128) < n)
		return &pmip_status_table[status - 128];
	return &unknown;
}

void pmip_mn_event_init(struct dmm_mn_event *ev, uint8_t type, uint8_t status, const struct dmm_bul_entry *e,
			uint32_t lifetime_s, const struct dmm_addr *anchor)
{
	memset(ev, 0, sizeof(*ev));
	ev->type = type;
	ev->status = status;
	ev->link = e->ifindex;
	ev->mnid = &e->mnid;
	ev->lifetime_s = lifetime_s;
	if (anchor)
		ev->anchor = *anchor;
}

bool pmip_mn_event_add(struct dmm_mn_event *ev, const struct dmm_prefix *p, uint32_t valid_s,
		       uint32_t preferred_s, const struct dmm_addr *anchor_of)
{
	unsigned i = ev->nprefix;

	if (i >= DMM_MN_EVENT_MAX_PREFIX)
		return false;
	ev->prefix[i] = *p;
	ev->valid_s[i] = valid_s;
	ev->preferred_s[i] = preferred_s;
	if (anchor_of)
		ev->anchor_of[i] = *anchor_of;
	ev->nprefix++;
	return true;
}

/* ===== end of the access-side block ===== */

/* ===== Anchor side: LMA, CMD and MAAR as anchor ===== */

bool pmip_ts_in_window(const struct dmm_mh_opt *o, uint64_t wall_ns, dmm_time_t window)
{
	uint64_t secs = o->u.timestamp.seconds, w = wall_ns, win = window;
	uint64_t fns = (uint64_t)o->u.timestamp.fraction * DMM_SECOND, t;
	bool rem = (fns & 0xffff) != 0; /* the request's time is not a whole ns */

	if (secs > (UINT64_MAX - DMM_SECOND) / DMM_SECOND)
		return false;		     /* past year 2554: certainly out of the window */
	t = secs * DMM_SECOND + (fns >> 16); /* floor of the request's time in ns */
	if (w > win && t < w - win)
		return false;
	if (w + win < w) /* overflow: no upper bound */
		return true;
	return t < w + win || (t == w + win && !rem);
}

uint8_t pmip_authorize(const struct dmm_policy *pol, const struct dmm_addr *self, const struct dmm_addr *peer,
		       const struct dmm_mnid *mnid, const struct dmm_policy_profile **prof)
{
	const struct dmm_policy_profile *pf;
	bool listed;

	/* Steps 5-6 (§4): the peer must be trusted to send PBUs. */
	if (!dmm_policy_mag_allowed(pol, peer))
		return DMM_BA_MAG_NOT_AUTHORIZED;
	/*
	 * Steps 7-8. Choice: no profile at all, or a profile that names other
	 * anchors, is 153 (we do not serve this MN); a profile with
	 * may_register false is 152 (known, but mobility is not enabled for it).
	 */
	pf = dmm_policy_lookup(pol, mnid);
	listed = pf && pf->n_lma == 0;
	for (unsigned i = 0; pf && i < pf->n_lma && !listed; i++)
		listed = dmm_addr_eq(&pf->lma[i], self);
	if (!pf || !listed)
		return DMM_BA_NOT_LMA_FOR_THIS_MN;
	if (!pf->may_register)
		return DMM_BA_PROXY_REG_NOT_ENABLED;
	*prof = pf;
	return 0;
}

void pmip_add_timestamp(struct dmm_mh_msg *m, uint64_t t)
{
	struct dmm_mh_opt *o = dmm_mh_add_opt(m, DMM_OPT_TIMESTAMP);

	if (!o)
		return;
	o->u.timestamp.seconds = t >> 16;
	o->u.timestamp.fraction = (uint16_t)t;
}

uint64_t pmip_wall_ns(int64_t wall_offset, dmm_time_t now)
{
	int64_t w = (int64_t)now + wall_offset;

	return w < 0 ? 0 : (uint64_t)w;
}

uint64_t pmip_ts_value(const struct dmm_mh_opt *o)
{
	return o->u.timestamp.seconds << 16 | o->u.timestamp.fraction;
}

uint8_t pmip_check_mn(const struct dmm_policy *pol, const struct dmm_addr *self, const struct dmm_addr *peer,
		      const struct dmm_mnid *mnid, const struct dmm_policy_profile **prof)
{
	/* Step 4: the MN-ID option identifies the MN. */
	if (!mnid)
		return DMM_BA_MISSING_MN_ID;
	return pmip_authorize(pol, self, peer, mnid, prof);
}

uint8_t pmip_check_ts(const struct dmm_mh_opt *ts, uint64_t wall_ns, dmm_time_t window, bool has_last,
		      uint64_t last)
{
	if (!pmip_ts_in_window(ts, wall_ns, window))
		return DMM_BA_TIMESTAMP_MISMATCH; /* rule 9 */
	if (has_last && pmip_ts_value(ts) <= last)
		return DMM_BA_TIMESTAMP_LOWER_THAN_PREV; /* rule 8: not greater than all accepted */
	return 0;
}

void pmip_bce_note(struct dmm_pmip_stats *st, const struct dmm_log *log, const char *role, const char *who,
		   int from, int to, const char *reason)
{
	dmm_fsm_note(st, log, DMM_FSM_BCE, from, to, role, who, reason);
}

bool pmip_ratelimit_allow(struct pmip_ratelimit *rl, dmm_time_t now, uint32_t per_second)
{
	if (now - rl->start >= DMM_SECOND || now < rl->start) {
		rl->start = now;
		rl->count = 0;
	}
	return rl->count++ < per_second;
}

/* ===== end of the anchor-side block ===== */

bool pmip_lr_shape(const struct dmm_mh_msg *m)
{
	unsigned ids = 0, hnps = 0;

	for (unsigned i = 0; i < m->nopts; i++) {
		uint8_t t = m->opts[i].type;

		if (t == DMM_OPT_MNID) {
			if (ids && !hnps)
				return false;
			ids++;
			hnps = 0;
		} else if (t == DMM_OPT_HNP) {
			if (!ids)
				return false;
			hnps++;
		}
	}
	return ids == 2 && hnps > 0;
}

void pmip_mnid_of_opt(const struct dmm_mh_opt *o, struct dmm_mnid *id)
{
	memset(id, 0, sizeof(*id));
	id->subtype = o->u.mnid.subtype;
	id->len = o->u.mnid.id.len;
	memcpy(id->id, o->u.mnid.id.b, id->len);
}
