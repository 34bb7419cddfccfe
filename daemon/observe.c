/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What dmmd learns of its bindings without asking the core for anything
 * new (core/ stays as it is): the intent table's calls to the data plane,
 * the Mobility Headers in and out, and the peer table after each turn of
 * the loop.
 *
 * Sessions. Every intent names its owner, the binding table entry it
 * serves (an LMA's or MAAR's binding cache entry, a MAG's binding update
 * list entry). An owner's first intent starts a session (event
 * binding-created), its last one gone ends it (binding-deleted, or
 * anchor-released at a MAAR, and a usage record). The counters of every
 * intent are read from the data plane just before it is removed or
 * replaced (a replaced intent counts from 0 again, dataplane.h) and added
 * to its session: uplink is what a SRC intent forwards, downlink what a
 * DST intent hands on (ENCAP or DELIVER; a MAG's DST DECAP is the same
 * downlink again and is not added). The session is an array indexed by
 * the owner handle's slot, checked by its generation: O(1), and no scan
 * of any table, per event or per scrape.
 *
 * Handover interruption. A DST intent that forwarded (ENCAP, DELIVER)
 * and is removed or replaced by one that does not (DROP, BUFFER: the
 * LMA's MinDelayBeforeBCEDelete, RFC 5213 §5.3.5) opens a gap for its
 * prefix; the next forwarding DST intent for that prefix closes it and
 * the gap's length is observed. Forwarding replaced by forwarding to
 * another serving node (make before break, §5.3.4) is observed as 0.
 *
 * Registration latency. Anchor side: a BA sent in answer to a message
 * of the burst just received (status < 128, lifetime > 0), from the
 * burst's arrival (RFC 5213 §5.3). Serving side: a BU (lifetime > 0)
 * sent, then the BA with its sequence number from that peer (§6.9.1.1).
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dmm/bcache.h"
#include "dmm/bul.h"
#include "dmm/bytes.h"
#include "dmm/err.h"
#include "dmm/fmt.h"
#include "dmm/hash.h"
#include "dmm/mh.h"
#include "dmm/peer.h"
#include "dmmd.h"
#include "ops.h"

#define GAP_MAX_AGE (60 * DMM_SECOND)	  /* an older gap is not a handover any more */
#define PENDING_MAX_AGE (30 * DMM_SECOND) /* a BU unanswered this long is forgotten */
#define MAX_TABLES 4

struct dmmd_obs *dmmd_obs_new(struct dmmd *d)
{
	struct dmmd_obs *o = calloc(1, sizeof(*o));

	if (o)
		o->d = d;
	return o;
}

void dmmd_obs_free(struct dmmd_obs *o)
{
	if (!o)
		return;
	free(o->s);
	free(o);
}

static int64_t wall_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* s as a JSON string (quotes included) into out. */
static char *json_str(const char *s, char *out, size_t cap)
{
	size_t n = 0;

	out[n++] = '"';
	for (; *s && n + 8 < cap; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\') {
			out[n++] = '\\';
			out[n++] = (char)ch;
		} else if (ch < 0x20 || ch >= 0x7f) {
			n += (size_t)snprintf(out + n, cap - n, "\\u%04x", ch);
		} else {
			out[n++] = (char)ch;
		}
	}
	out[n++] = '"';
	out[n] = '\0';
	return out;
}

/* --- the owner's table entry: MN-ID, prefixes, anchor --- */

/* What a record or an event says of a binding. */
struct who {
	char mnid[2 * DMM_MNID_STRLEN];
	char prefixes[DMM_BCE_MAX_HNP * (DMM_PREFIX_STRLEN + 3) + 3];
	char anchor[DMM_ADDR_STRLEN + 2];
	bool bcache; /* the owner is a binding cache entry (LMA, MAAR) */
};

static void who_prefixes(struct who *w, const struct dmm_prefix *p, unsigned n)
{
	char s[DMM_PREFIX_STRLEN];
	size_t k = 0;

	w->prefixes[k++] = '[';
	for (unsigned i = 0; i < n; i++)
		k += (size_t)snprintf(w->prefixes + k, sizeof(w->prefixes) - k, "%s\"%s\"", i ? "," : "",
				      dmm_prefix_str(&p[i], s));
	snprintf(w->prefixes + k, sizeof(w->prefixes) - k, "]");
}

/*
 * The entry of owner h: a binding cache entry where the role has a cache
 * (the owners of an LMA's and a MAAR's intents), else a binding update
 * list entry (a MAG's). False when it is gone.
 */
static bool who_of(struct dmmd *d, struct dmm_handle h, struct who *w)
{
	struct dmm_role_table t[MAX_TABLES];
	size_t n = d->ro->tables(d->role, t, MAX_TABLES);
	char s[DMM_MNID_STRLEN], a[DMM_ADDR_STRLEN];

	for (size_t i = 0; i < n; i++) {
		const struct dmm_bcache_entry *e = t[i].bcache ? dmm_bcache_get(t[i].bcache, h) : NULL;
		struct dmm_prefix hnp[DMM_BCE_MAX_HNP];

		if (!e)
			continue;
		json_str(dmm_mnid_str(DMM_BCE_MNID(e), s), w->mnid, sizeof(w->mnid));
		who_prefixes(w, hnp, dmm_bce_hnps(e, hnp));
		snprintf(w->anchor, sizeof(w->anchor), "\"%s\"", dmm_addr_str(&d->cfg.address, a));
		w->bcache = true;
		return true;
	}
	for (size_t i = 0; i < n; i++) {
		const struct dmm_bul_entry *e = t[i].bul ? dmm_bul_get(t[i].bul, h) : NULL;

		if (!e)
			continue;
		json_str(dmm_mnid_str(&e->mnid, s), w->mnid, sizeof(w->mnid));
		who_prefixes(w, e->hnp, e->n_hnp);
		snprintf(w->anchor, sizeof(w->anchor), "\"%s\"", dmm_addr_str(&e->lmaa, a));
		w->bcache = false;
		return true;
	}
	return false;
}

/* The node serving the session: its downlink's tunnel peer, or this node (delivery on a link). */
static const struct dmm_addr *serving_of(const struct dmmd_obs *o, const struct dmmd_session *s)
{
	return dmm_addr_is_zero(&s->serving) ? &o->d->cfg.address : &s->serving;
}

/* --- sessions --- */

static struct dmmd_session *session(struct dmmd_obs *o, struct dmm_handle h)
{
	if (h.idx >= o->scap || o->s[h.idx].gen != h.gen)
		return NULL;
	return &o->s[h.idx];
}

/* A fresh session for h (the array doubles to take its slot); NULL on memory. */
static struct dmmd_session *session_new(struct dmmd_obs *o, struct dmm_handle h)
{
	/* An owner with flag bits (a MAAR's serving entries, 1 << 31) is no slot: cap would overflow. */
	if (h.idx >= (1u << 24))
		return NULL;
	if (h.idx >= o->scap) {
		uint32_t cap = o->scap ? o->scap : 1024;
		struct dmmd_session *ns;

		while (cap <= h.idx)
			cap *= 2;
		ns = realloc(o->s, cap * sizeof(*ns));
		if (!ns)
			return NULL;
		memset(ns + o->scap, 0, (cap - o->scap) * sizeof(*ns));
		o->s = ns;
		o->scap = cap;
	}
	memset(&o->s[h.idx], 0, sizeof(o->s[h.idx]));
	o->s[h.idx].gen = h.gen;
	o->s[h.idx].start_wall = wall_now();
	o->sessions++;
	return &o->s[h.idx];
}

static void emit(struct dmmd_obs *o, const char *type, const char *fields)
{
	if (o->d->events)
		dmmd_events_emit(o->d->events, type, fields);
	o->events++;
}

static void binding_event(struct dmmd_obs *o, const char *type, const struct who *w,
			  const struct dmmd_session *s)
{
	char f[2 * DMMD_EVENT_LEN], a[DMM_ADDR_STRLEN];

	snprintf(f, sizeof(f), "\"mn-id\":%s,\"prefixes\":%s,\"anchor\":%s,\"serving\":\"%s\",\"link\":%u",
		 w->mnid, w->prefixes, w->anchor, dmm_addr_str(serving_of(o, s), a), s->link);
	emit(o, type, f);
}

/* §11.1: the prefix of s ended here because it moved to s->moved_to (with its usage). */
static void relocated_event(struct dmmd_obs *o, const struct who *w, const struct dmmd_session *s)
{
	char f[2 * DMMD_EVENT_LEN], a[DMM_ADDR_STRLEN], t[DMM_ADDR_STRLEN];

	snprintf(f, sizeof(f),
		 "\"mn-id\":%s,\"prefixes\":%s,\"anchor\":%s,\"to\":\"%s\",\"serving\":\"%s\","
		 "\"uplink-packets\":%" PRIu64 ",\"downlink-packets\":%" PRIu64,
		 w->mnid, w->prefixes, w->anchor, dmm_addr_str(&s->moved_to, t),
		 dmm_addr_str(serving_of(o, s), a), s->up_packets + s->prior.up_packets,
		 s->down_packets + s->prior.down_packets);
	emit(o, "anchor-relocated", f);
}

/* The last intent of s went: the usage record and the event. */
static void session_end(struct dmmd_obs *o, struct dmm_handle h, struct dmmd_session *s)
{
	struct who w;
	char serving[2 * DMM_ADDR_STRLEN + 8], a[DMM_ADDR_STRLEN];
	bool known = who_of(o->d, h, &w);

	if (!known) {
		strcpy(w.mnid, "null");
		strcpy(w.prefixes, "[]");
		strcpy(w.anchor, "null");
		w.bcache = o->d->cfg.role != DMMD_ROLE_MAG;
	}
	snprintf(serving, sizeof(serving), "[\"%s\"]", dmm_addr_str(serving_of(o, s), a));
	if (o->d->usage) {
		struct dmmd_usage_rec r = {
			.kind = o->d->cfg.role == DMMD_ROLE_MAAR ? "anchored-prefix" : "binding",
			.mnid = w.mnid,
			.prefixes = w.prefixes,
			.anchor = w.anchor,
			.serving = serving,
			.start_wall = s->start_wall,
			.end_wall = wall_now(),
			.up_packets = s->up_packets + s->prior.up_packets,
			.up_bytes = s->up_bytes + s->prior.up_bytes,
			.down_packets = s->down_packets + s->prior.down_packets,
			.down_bytes = s->down_bytes + s->prior.down_bytes,
			.reason = s->relocated ? "relocated"
				  : o->d->stop ? "shutdown"
					       : "ended",
		};

		if (dmmd_usage_write(o->d->usage, &r) == 0)
			o->usage_records++;
	}
	if (s->relocated)
		relocated_event(o, &w, s);
	else
		binding_event(o, o->d->cfg.role == DMMD_ROLE_MAAR ? "anchor-released" : "binding-deleted", &w,
			      s);
	s->gen = 0;
	o->sessions--;
}

/* --- intents --- */

enum dir { DIR_NONE, DIR_UP, DIR_DOWN };

static enum dir dir_of(const struct dmm_intent *in)
{
	if (in->match == DMM_FM_SRC && in->action != DMM_FM_DROP && in->action != DMM_FM_BUFFER)
		return DIR_UP;
	if (in->match == DMM_FM_DST && (in->action == DMM_FM_ENCAP || in->action == DMM_FM_DELIVER))
		return DIR_DOWN;
	return DIR_NONE;
}

/* A DST intent that hands packets on towards the MN. */
static bool forwards(const struct dmm_intent *in)
{
	return dir_of(in) == DIR_DOWN;
}

/* The intent's packets and bytes so far, from the data plane (else what the core was told). */
static void add_counters(struct dmmd_obs *o, struct dmmd_session *s, const struct dmm_intent *in)
{
	uint64_t p = in->packets, b = in->bytes;
	enum dir dir = dir_of(in);

	if (!s || dir == DIR_NONE)
		return;
	o->d->dpo->counters(o->d->dp, in->id, &p, &b);
	if (dir == DIR_UP) {
		s->up_packets += p;
		s->up_bytes += b;
	} else {
		s->down_packets += p;
		s->down_bytes += b;
	}
}

static uint32_t gap_slot(const struct dmm_prefix *p)
{
	return (uint32_t)dmm_hash_u64(dmm_get_u64(p->addr.b) ^ dmm_get_u64(p->addr.b + 8) ^ p->len) &
	       (DMMD_OBS_GAPS - 1);
}

static void observe(struct dmmd_obs *o, enum dmmd_hist_id id, dmm_time_t dt)
{
	struct dmmd_hist *h = &o->hist[id];
	double s = (double)dt / 1e9;
	int i = 0;

	while (i < DMMD_HIST_BUCKETS && s > dmmd_hist_bounds[i])
		i++;
	if (i < DMMD_HIST_BUCKETS)
		h->le[i]++;
	h->count++;
	h->sum += s;
}

static void gap_open(struct dmmd_obs *o, const struct dmm_prefix *p, dmm_time_t now)
{
	struct dmmd_gap *g = &o->gap[gap_slot(p)];

	g->prefix = *p;
	g->since = now;
}

static void gap_close(struct dmmd_obs *o, const struct dmm_prefix *p, dmm_time_t now)
{
	struct dmmd_gap *g = &o->gap[gap_slot(p)];

	if (!g->since || !dmm_prefix_eq(&g->prefix, p))
		return;
	if (now - g->since <= GAP_MAX_AGE)
		observe(o, DMMD_H_INTERRUPT, now - g->since);
	g->since = 0;
}

static void buffers_note(struct dmmd_obs *o, uint32_t id, bool live)
{
	for (unsigned i = 0; i < DMMD_OBS_BUFFERS; i++)
		if (o->buffers[i] == (live ? 0 : id)) {
			o->buffers[i] = live ? id : 0;
			return;
		}
}

static void count_action(struct dmmd_obs *o, const struct dmm_intent *in, int delta)
{
	if (in->action < 8)
		o->by_action[in->action] += (uint32_t)delta;
	if (in->action == DMM_FM_BUFFER)
		buffers_note(o, in->id, delta > 0);
}

/*
 * A DST intent that forwards now: the session's serving node or link
 * changes (a handover: event) and a gap of its prefix closes.
 */
static void downlink_to(struct dmmd_obs *o, struct dmm_handle h, struct dmmd_session *s,
			const struct dmm_intent *in, dmm_time_t now)
{
	struct dmm_addr serving = in->action == DMM_FM_ENCAP ? in->peer : (struct dmm_addr){0};
	uint32_t link = in->action == DMM_FM_DELIVER ? in->link : 0;
	bool had = !dmm_addr_is_zero(&s->serving) || s->link;
	struct who w;

	gap_close(o, &in->prefix, now);
	if (dmm_addr_eq(&serving, &s->serving) && link == s->link)
		return;
	s->serving = serving;
	s->link = link;
	if (had && who_of(o->d, h, &w)) {
		s->handovers++;
		binding_event(o, "binding-handed-off", &w, s);
	}
}

void dmmd_obs_added(struct dmmd_obs *o, const struct dmm_intent *in, dmm_time_t now)
{
	struct dmmd_session *s = session(o, in->owner);
	bool fresh = !s;
	struct who w;

	if (fresh && !(s = session_new(o, in->owner)))
		return;
	s->nintents++;
	count_action(o, in, +1);
	if (forwards(in))
		downlink_to(o, in->owner, s, in, now);
	if (fresh && who_of(o->d, in->owner, &w))
		binding_event(o,
			      w.bcache && o->d->cfg.role == DMMD_ROLE_MAAR ? "anchor-created"
									   : "binding-created",
			      &w, s);
}

void dmmd_obs_replacing(struct dmmd_obs *o, const struct dmm_intent *old, const struct dmm_intent *in,
			dmm_time_t now)
{
	struct dmmd_session *s = session(o, old->owner);

	add_counters(o, s, old);
	count_action(o, old, -1);
	count_action(o, in, +1);
	if (forwards(old) && !forwards(in))
		gap_open(o, &old->prefix, now);
	if (s && forwards(old) && forwards(in) &&
	    (!dmm_addr_eq(&old->peer, &in->peer) || old->link != in->link))
		observe(o, DMMD_H_INTERRUPT, 0); /* make before break: no gap to see */
	if (s && forwards(in))
		downlink_to(o, in->owner, s, in, now);
}

void dmmd_obs_removing(struct dmmd_obs *o, const struct dmm_intent *in, dmm_time_t now)
{
	struct dmmd_session *s = session(o, in->owner);

	count_action(o, in, -1);
	if (forwards(in))
		gap_open(o, &in->prefix, now);
	if (!s)
		return;
	add_counters(o, s, in);
	if (--s->nintents == 0)
		session_end(o, in->owner, s);
}

/* --- relocation: the usage handed over and continued (docs/dmm-protocol.md §11.1) --- */

int dmmd_obs_usage_get(struct dmmd_obs *o, struct dmm_handle owner, const struct dmm_addr *to,
		       struct dmm_usage *u)
{
	struct dmmd_session *s = session(o, owner);
	const struct dmm_fm *fm = dmm_role_fm(o->d->role);
	struct dmmd_session live = {0};

	if (!s)
		return DMM_ERR_NOTFOUND;
	/* The live intents' counters so far, read as if they were removed now (nothing changes). */
	for (const struct dmm_intent *in = fm ? dmm_fm_next_owned(fm, owner, NULL) : NULL; in;
	     in = dmm_fm_next_owned(fm, owner, in))
		add_counters(o, &live, in);
	u->up_packets = s->prior.up_packets + s->up_packets + live.up_packets;
	u->up_bytes = s->prior.up_bytes + s->up_bytes + live.up_bytes;
	u->down_packets = s->prior.down_packets + s->down_packets + live.down_packets;
	u->down_bytes = s->prior.down_bytes + s->down_bytes + live.down_bytes;
	u->start_wall = s->start_wall;
	s->relocated = true;
	s->moved_to = *to;
	return 0;
}

void dmmd_obs_usage_continue(struct dmmd_obs *o, struct dmm_handle owner, const struct dmm_usage *u)
{
	struct dmmd_session *s = session(o, owner);

	if (!s)
		return;
	s->prior = *u;
	if (u->start_wall > 0 && u->start_wall < s->start_wall)
		s->start_wall = u->start_wall;
}

/* --- Mobility Headers: registration latency --- */

static uint32_t pend_slot(const struct dmm_addr *peer, uint16_t seq)
{
	return (uint32_t)dmm_hash_u64(dmm_get_u64(peer->b + 8) ^ seq) & (DMMD_OBS_PENDING - 1);
}

void dmmd_obs_mh_in(struct dmmd_obs *o, const struct dmm_addr *src, const uint8_t *buf, size_t len,
		    dmm_time_t now)
{
	struct dmmd_pending *p;
	uint16_t seq;

	/* RFC 6275 §6.1.8, RFC 5213 §8.2: status at 6, sequence number at 8. */
	if (len < 12 || buf[2] != DMM_MH_BA)
		return;
	seq = dmm_get_u16(buf + 8);
	p = &o->pend[pend_slot(src, seq)];
	if (!p->sent || p->seq != seq || !dmm_addr_eq(&p->peer, src))
		return;
	if (buf[6] < 128 && now - p->sent <= PENDING_MAX_AGE)
		observe(o, DMMD_H_REG_SERVING, now - p->sent);
	p->sent = 0;
}

void dmmd_obs_mh_out(struct dmmd_obs *o, const struct dmm_addr *dst, const uint8_t *buf, size_t len,
		     dmm_time_t rx_at, dmm_time_t now)
{
	if (len < 12)
		return;
	/* RFC 6275 §6.1.7, RFC 5213 §8.1: sequence number at 6, lifetime at 10. */
	if (buf[2] == DMM_MH_BU && dmm_get_u16(buf + 10) > 0) {
		uint16_t seq = dmm_get_u16(buf + 6);
		struct dmmd_pending *p = &o->pend[pend_slot(dst, seq)];

		/* A retransmission (§6.9.4) keeps the first sending time. */
		if (p->sent && p->seq == seq && dmm_addr_eq(&p->peer, dst) &&
		    now - p->sent <= PENDING_MAX_AGE)
			return;
		*p = (struct dmmd_pending){.peer = *dst, .seq = seq, .sent = now};
		return;
	}
	if (buf[2] == DMM_MH_BA && rx_at && buf[6] < 128 && dmm_get_u16(buf + 10) > 0)
		observe(o, DMMD_H_REG_ANCHOR, now > rx_at ? now - rx_at : 0);
}

/* --- peers (RFC 5847) --- */

/* Every change of state of machine k so far: when it did not move, nothing needs a look. */
static uint64_t moves(const struct dmm_fsm_counts *t, enum dmm_fsm_kind k)
{
	uint64_t n = 0;

	for (int i = 0; i <= DMM_FSM_MAX_STATES; i++)
		for (int j = 0; j <= DMM_FSM_MAX_STATES; j++)
			n += t->n[k][i][j];
	return n;
}

static void peer_seen(struct dmmd_obs *o, const struct dmm_peer *p)
{
	char f[128], a[DMM_ADDR_STRLEN];
	unsigned i;

	for (i = 0; i < o->npeer && !dmm_addr_eq(&o->peer[i].addr, &p->addr); i++)
		;
	if (i == o->npeer) {
		if (o->npeer == DMMD_OBS_PEERS)
			return;
		o->npeer++;
		o->peer[i].addr = p->addr;
		o->peer[i].state = DMM_PEER_UNKNOWN;
	}
	if (o->peer[i].state == p->state)
		return;
	snprintf(f, sizeof(f), "\"peer\":\"%s\",\"state\":\"%s\",\"was\":\"%s\"", dmm_addr_str(&p->addr, a),
		 dmm_peer_state_name(p->state), dmm_peer_state_name(o->peer[i].state));
	o->peer[i].state = p->state;
	if (p->state == DMM_PEER_UP || p->state == DMM_PEER_DOWN)
		emit(o, p->state == DMM_PEER_UP ? "peer-up" : "peer-down", f);
}

/* A CMD's anchor (its address and state, the first two fields of its row) as last seen. */
static void anchor_seen(struct dmmd_obs *o, const char *addr, const char *state)
{
	char f[160];
	unsigned i;

	for (i = 0; i < o->nanchor && strcmp(o->anchor[i].addr, addr) != 0; i++)
		;
	if (i == o->nanchor) {
		if (o->nanchor == DMMD_OBS_PEERS)
			return;
		o->nanchor++;
		snprintf(o->anchor[i].addr, sizeof(o->anchor[i].addr), "%s", addr);
		strcpy(o->anchor[i].state, "unknown");
	}
	if (strcmp(o->anchor[i].state, state) == 0)
		return;
	snprintf(f, sizeof(f), "\"anchor\":\"%s\",\"state\":\"%s\",\"was\":\"%s\"", addr, state,
		 o->anchor[i].state);
	snprintf(o->anchor[i].state, sizeof(o->anchor[i].state), "%s", state);
	emit(o, "anchor-state", f);
}

/* GAP1-3: the CMD's anchors, walked only when their machine moved (a handful of MAARs). */
static void anchors(struct dmmd_obs *o)
{
	struct dmm_role_field f[16];
	const void *cursor = NULL;
	uint64_t n = moves(&dmm_role_stats(o->d->role)->transitions, DMM_FSM_ANCHOR);
	size_t k;

	if (n == o->anchor_moves || !o->d->ro->rows)
		return;
	o->anchor_moves = n;
	while ((k = o->d->ro->rows(o->d->role, &cursor, f, 16)) >= 2)
		if (f[0].is_str && f[1].is_str && strcmp(f[1].name, "state") == 0)
			anchor_seen(o, f[0].str, f[1].str);
}

void dmmd_obs_peers(struct dmmd_obs *o)
{
	uint64_t n;
	struct dmm_peers *ps;

	if (!o)
		return;
	anchors(o);
	n = moves(&dmm_role_stats(o->d->role)->transitions, DMM_FSM_PEER);
	/* Nothing changed state since the last look: nothing to scan (the usual case). */
	if (n == o->peer_moves)
		return;
	o->peer_moves = n;
	ps = dmm_role_peers(o->d->role);
	for (struct dmm_peer *p = dmm_peers_next(ps, NULL); p; p = dmm_peers_next(ps, p))
		peer_seen(o, p);
}
