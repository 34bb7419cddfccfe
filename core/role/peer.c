/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Peer table and heartbeat (RFC 5847). The timer rule, in one place:
 *
 *   DMM_TIMER_HEARTBEAT(peer) runs every `interval` while the peer has
 *   bindings and is not in state NO_HEARTBEAT. When it fires: if the last
 *   request is still unanswered, missed++; once missed exceeds
 *   missing_allowed (§3.1), the peer goes DOWN (once) and ops->down runs;
 *   then a new request (seq + 1) goes out and the timer is re-armed. A
 *   response with the outstanding seq clears missed and brings a DOWN
 *   peer UP.
 *
 * States (enum dmm_peer_state; names in fsm.c): a peer is made UNKNOWN
 * (NO_HEARTBEAT if its address is in the no-heartbeat set), goes UP when
 * heard, DOWN when the heartbeat says so, NO_HEARTBEAT when it answers a
 * heartbeat with Binding Error status 2 or heartbeat is turned off for
 * it, UNKNOWN when turned on again. Every change goes through
 * set_state(), which counts it and logs it (dmm_fsm_note(),
 * DMM_FSM_PEER); peers are never deleted. Only dmm_peers_get(create)
 * makes an entry: a received message never does (§3, issue 9 §2.12).
 */
#include <stdio.h>
#include <string.h>

#include "dmm/err.h"
#include "dmm/fmt.h"
#include "dmm/hash.h"
#include "dmm/peer.h"
#include "fsm.h"

struct dmm_peers {
	struct dmm_alloc alloc;
	struct dmm_peer *peer; /* peer[i].handle.gen == 0: free */
	uint32_t *gen;
	uint32_t capacity;
	uint32_t used; /* entries made (never deleted) */
	struct dmm_hidx idx;
	struct dmm_addr *off; /* addresses with heartbeat off, up to capacity */
	uint32_t n_off;
	struct dmm_timers *timers;
	struct dmm_peer_cfg cfg;
	struct dmm_peer_ops ops;
	struct dmm_pmip_stats *stats;
	const struct dmm_log *log;
	const char *role; /* the first part of a state line */
	struct dmm_pmip_stats dummy;
};

/*
 * The index's hash of a peer address: an unkeyed mix of its two halves.
 * It was SipHash under a fixed, public seed, which no more keeps a
 * sender from choosing colliding addresses than a mix does, at some 200
 * instructions a message; the table holds at most max_peers addresses,
 * so even all of them in one probe chain is a short walk.
 */
static uint32_t addr_hash(const struct dmm_addr *a)
{
	uint64_t hi, lo;

	memcpy(&hi, a->b, 8);
	memcpy(&lo, a->b + 8, 8);
	return (uint32_t)dmm_hash_u64(hi ^ dmm_hash_u64(lo));
}

struct dmm_peers *dmm_peers_new(const struct dmm_alloc *a, uint32_t capacity, struct dmm_timers *timers,
				const struct dmm_peer_cfg *cfg, const struct dmm_peer_ops *ops,
				struct dmm_pmip_stats *stats, const struct dmm_log *log)
{
	struct dmm_peers *ps;

	if (!a || !timers || !cfg || !ops || !ops->send || capacity == 0 || capacity > (1u << 20) ||
	    cfg->n_no_heartbeat > capacity || (cfg->n_no_heartbeat && !cfg->no_heartbeat))
		return NULL;
	ps = a->zalloc(a->ctx, sizeof(*ps));
	if (!ps)
		return NULL;
	ps->alloc = *a;
	ps->capacity = capacity;
	ps->peer = a->zalloc(a->ctx, sizeof(*ps->peer) * capacity);
	if (!ps->peer)
		goto err_peer;
	ps->gen = a->zalloc(a->ctx, sizeof(*ps->gen) * capacity);
	if (!ps->gen)
		goto err_gen;
	ps->off = a->zalloc(a->ctx, sizeof(*ps->off) * capacity);
	if (!ps->off)
		goto err_off;
	if (dmm_hidx_init(&ps->idx, a, capacity) != 0)
		goto err_idx;
	if (cfg->n_no_heartbeat)
		memcpy(ps->off, cfg->no_heartbeat, sizeof(*ps->off) * cfg->n_no_heartbeat);
	ps->n_off = cfg->n_no_heartbeat;
	ps->timers = timers;
	ps->cfg = *cfg;
	ps->cfg.no_heartbeat = NULL; /* borrowed for the call only */
	ps->ops = *ops;
	ps->stats = stats ? stats : &ps->dummy;
	ps->log = log;
	ps->role = "peers";
	return ps;

err_idx:
	a->free(a->ctx, ps->off);
err_off:
	a->free(a->ctx, ps->gen);
err_gen:
	a->free(a->ctx, ps->peer);
err_peer:
	a->free(a->ctx, ps);
	return NULL;
}

void dmm_peers_free(struct dmm_peers *ps)
{
	if (!ps)
		return;
	dmm_hidx_fini(&ps->idx, &ps->alloc);
	ps->alloc.free(ps->alloc.ctx, ps->off);
	ps->alloc.free(ps->alloc.ctx, ps->gen);
	ps->alloc.free(ps->alloc.ctx, ps->peer);
	ps->alloc.free(ps->alloc.ctx, ps);
}

void dmm_peers_reconfigure(struct dmm_peers *ps, const struct dmm_peer_cfg *cfg)
{
	ps->cfg = *cfg;
	ps->cfg.no_heartbeat = NULL; /* the set changes only with the time: dmm_peers_set_no_heartbeat() */
	ps->cfg.n_no_heartbeat = 0;
}

void dmm_peers_set_role(struct dmm_peers *ps, const char *role)
{
	ps->role = role;
}

const char *dmm_peer_state_name(uint8_t state)
{
	return dmm_fsm_state_name(DMM_FSM_PEER, state); /* the names live in fsm.c */
}

/* Count and log "role: peer ADDR: OLD -> NEW (reason)" (from may be DMM_FSM_NONE: created). */
static void note(struct dmm_peers *ps, const struct dmm_peer *p, int from, int to, const char *reason)
{
	char a[DMM_ADDR_STRLEN], who[DMM_ADDR_STRLEN + 8] = "peer ";

	strcat(who, dmm_addr_str(&p->addr, a));
	dmm_fsm_note(ps->stats, ps->log, DMM_FSM_PEER, from, to, ps->role, who, reason);
}

/* The one place a peer changes state. */
static void set_state(struct dmm_peers *ps, struct dmm_peer *p, uint8_t to, const char *reason)
{
	uint8_t from = p->state;

	if (from == to)
		return;
	p->state = to;
	note(ps, p, from, to, reason);
}

/* The index of addr in the no-heartbeat set, or n_off. */
static uint32_t off_index(const struct dmm_peers *ps, const struct dmm_addr *addr)
{
	uint32_t i;

	for (i = 0; i < ps->n_off; i++)
		if (dmm_addr_eq(&ps->off[i], addr))
			break;
	return i;
}

/* The entry of addr, or DMM_HIDX_NONE. */
static uint32_t find(const struct dmm_peers *ps, const struct dmm_addr *addr)
{
	uint32_t h = addr_hash(addr), pos, ref;

	for (ref = dmm_hidx_first(&ps->idx, h, &pos); ref != DMM_HIDX_NONE;
	     ref = dmm_hidx_next(&ps->idx, h, &pos))
		if (dmm_addr_eq(&ps->peer[ref].addr, addr))
			return ref;
	return DMM_HIDX_NONE;
}

struct dmm_peer *dmm_peers_get(struct dmm_peers *ps, const struct dmm_addr *addr, bool create)
{
	uint32_t ref = find(ps, addr);
	struct dmm_peer *p;

	if (ref != DMM_HIDX_NONE)
		return &ps->peer[ref];
	if (!create)
		return NULL;
	for (uint32_t i = 0; i < ps->capacity; i++) {
		if (ps->peer[i].handle.gen)
			continue;
		if (dmm_hidx_insert(&ps->idx, addr_hash(addr), i) != 0)
			return NULL;
		p = &ps->peer[i];
		memset(p, 0, sizeof(*p));
		if (++ps->gen[i] == 0)
			ps->gen[i] = 1;
		p->handle = (struct dmm_handle){i, ps->gen[i]};
		p->addr = *addr;
		ps->used++;
		if (off_index(ps, addr) < ps->n_off) {
			p->hb_off = true;
			p->state = DMM_PEER_NO_HEARTBEAT;
			note(ps, p, DMM_FSM_NONE, DMM_PEER_NO_HEARTBEAT,
			     "created, heartbeat off by configuration");
		} else {
			note(ps, p, DMM_FSM_NONE, DMM_PEER_UNKNOWN, "created");
		}
		return p;
	}
	return NULL;
}

bool dmm_peers_has_room(const struct dmm_peers *ps, const struct dmm_addr *addr)
{
	return ps->used < ps->capacity || find(ps, addr) != DMM_HIDX_NONE;
}

struct dmm_peer *dmm_peers_by_handle(struct dmm_peers *ps, struct dmm_handle h)
{
	if (h.idx >= ps->capacity || h.gen == 0 || ps->peer[h.idx].handle.gen != h.gen)
		return NULL;
	return &ps->peer[h.idx];
}

struct dmm_peer *dmm_peers_at(struct dmm_peers *ps, uint32_t idx)
{
	return idx < ps->capacity && ps->peer[idx].handle.gen ? &ps->peer[idx] : NULL;
}

struct dmm_peer *dmm_peers_next(struct dmm_peers *ps, struct dmm_peer *prev)
{
	uint32_t i = prev ? (uint32_t)(prev - ps->peer) + 1 : 0;

	for (; i < ps->capacity; i++)
		if (ps->peer[i].handle.gen)
			return &ps->peer[i];
	return NULL;
}

static void send_hb(struct dmm_peers *ps, const struct dmm_addr *dst, uint16_t flags, uint32_t seq,
		    bool with_rc)
{
	struct dmm_mh_msg m;
	uint8_t buf[64];
	int n;

	dmm_mh_init(&m, DMM_MH_HB);
	m.u.hb.flags = flags;
	m.u.hb.seq = seq;
	/* RFC 5847 §3.4: the Restart Counter option goes in responses only. */
	if (with_rc)
		dmm_mh_add_opt(&m, DMM_OPT_RESTART)->u.restart.counter = ps->cfg.restart_counter;
	n = dmm_mh_encode(buf, sizeof(buf), &m);
	if (n < 0)
		return;
	ps->stats->tx_by_type[DMM_MH_HB]++;
	if (flags & DMM_HB_R)
		ps->stats->hb_resp_sent++;
	else
		ps->stats->hb_req_sent++;
	ps->ops.send(ps->ops.ctx, &ps->cfg.self, dst, buf, (size_t)n);
}

static void arm(struct dmm_peers *ps, struct dmm_peer *p, dmm_time_t now)
{
	dmm_timers_set(ps->timers, DMM_TIMER_HEARTBEAT, p->handle, now + ps->cfg.interval);
}

/* Heartbeats with p stop: no timer, nothing outstanding, nothing missed. */
static void stop(struct dmm_peers *ps, struct dmm_peer *p)
{
	dmm_timers_cancel(ps->timers, DMM_TIMER_HEARTBEAT, p->handle);
	p->outstanding = false;
	p->missed = 0;
}

void dmm_peers_ref(struct dmm_peers *ps, struct dmm_peer *p, int delta, dmm_time_t now)
{
	if (delta > 0) {
		if (p->bindings++ == 0 && p->state != DMM_PEER_NO_HEARTBEAT && ps->cfg.interval)
			arm(ps, p, now);
	} else if (p->bindings > 0) {
		/* RFC 5847 §3: heartbeats only while there are bindings with the peer. */
		if (--p->bindings == 0)
			stop(ps, p);
	}
}

void dmm_peers_timer(struct dmm_peers *ps, struct dmm_handle h, dmm_time_t now)
{
	struct dmm_peer *p = dmm_peers_by_handle(ps, h);

	if (!p || p->bindings == 0 || p->state == DMM_PEER_NO_HEARTBEAT)
		return; /* stale handle or nothing to watch */
	if (p->outstanding && p->missed < 255)
		p->missed++;
	/*
	 * RFC 5847 §3.1: the peer is unreachable when the misses in a row
	 * exceed MISSING_HEARTBEATS_ALLOWED, the most there may be (§5).
	 */
	if (p->missed > ps->cfg.missing_allowed && p->state != DMM_PEER_DOWN) {
		char why[40];

		snprintf(why, sizeof(why), "%u heartbeats missed", p->missed);
		set_state(ps, p, DMM_PEER_DOWN, why);
		p->downs++;
		ps->stats->peers_down++;
		if (ps->ops.down)
			ps->ops.down(ps->ops.ctx, p, now);
		p = dmm_peers_by_handle(ps, h); /* the callback may have dropped it */
		if (!p || p->bindings == 0)
			return;
	}
	p->seq++;
	p->outstanding = true;
	send_hb(ps, &p->addr, 0, p->seq, false);
	arm(ps, p, now);
}

void dmm_peers_announce(struct dmm_peers *ps, struct dmm_peer *p)
{
	/* Heartbeat off, or not supported (RFC 5847 §3): no heartbeat message at all. */
	if (p->state == DMM_PEER_NO_HEARTBEAT)
		return;
	send_hb(ps, &p->addr, DMM_HB_U | DMM_HB_R, 0, true);
}

static void heard(struct dmm_peers *ps, struct dmm_peer *p, const char *how, dmm_time_t now)
{
	p->last_heard = now;
	p->missed = 0;
	if (p->state != DMM_PEER_UP && p->state != DMM_PEER_NO_HEARTBEAT) {
		uint8_t was = p->state;

		set_state(ps, p, DMM_PEER_UP, how);
		if (was == DMM_PEER_DOWN && ps->ops.up)
			ps->ops.up(ps->ops.ctx, p, now);
	}
}

/* §3.2: a response's restart counter other than the stored one: the peer restarted. */
static void check_restart(struct dmm_peers *ps, struct dmm_peer *p, const struct dmm_mh_msg *m,
			  dmm_time_t now)
{
	const struct dmm_mh_opt *rc = dmm_mh_find_opt(m, DMM_OPT_RESTART, NULL);
	char a[DMM_ADDR_STRLEN];
	bool changed;

	if (!rc)
		return;
	changed = p->rc_known && p->restart_counter != rc->u.restart.counter;
	p->restart_counter = rc->u.restart.counter;
	p->rc_known = true;
	if (!changed)
		return;
	/* The peer lost its state; the role re-registers or cleans up. */
	dmm_logf(ps->log, DMM_LOG_WARN, DMM_LC_FSM, "%s: peer %s: restarted (restart counter %u)", ps->role,
		 dmm_addr_str(&p->addr, a), rc->u.restart.counter);
	p->restarts++;
	ps->stats->peer_restarts++;
	if (ps->ops.restarted)
		ps->ops.restarted(ps->ops.ctx, p, now);
}

int dmm_peers_recv(struct dmm_peers *ps, const struct dmm_addr *src, const struct dmm_mh_msg *m,
		   dmm_time_t now)
{
	/* Looking a message up never makes an entry (issue 9 §2.12): strangers cannot fill the table. */
	struct dmm_peer *p = dmm_peers_get(ps, src, false);

	if (m->type == DMM_MH_BE) {
		/* RFC 5847 §3: status 2 to a heartbeat, the peer does not support it: never again. */
		if (p && m->u.be.status == DMM_BE_UNKNOWN_MH_TYPE) {
			p->hb_unsupported = true;
			stop(ps, p);
			set_state(ps, p, DMM_PEER_NO_HEARTBEAT, "binding error 2: no heartbeat support");
		}
		return 0;
	}
	if (m->type != DMM_MH_HB)
		return DMM_ERR_INVAL;
	if (!(m->u.hb.flags & DMM_HB_R)) {
		/* §3: answer every request, binding or not, entry or not, with our restart counter. */
		ps->stats->hb_req_rcvd++;
		if (p)
			heard(ps, p, "heartbeat request", now);
		send_hb(ps, src, DMM_HB_R, m->u.hb.seq, true);
		return 0;
	}
	ps->stats->hb_resp_rcvd++;
	if (!p)
		return 0; /* no session with it: nothing to match or store (§3.2) */
	if (!(m->u.hb.flags & DMM_HB_U)) {
		if (!p->outstanding || m->u.hb.seq != p->seq)
			return 0; /* a late or foreign response proves nothing */
		p->outstanding = false;
	}
	heard(ps, p, "heartbeat response", now);
	check_restart(ps, p, m, now);
	return 0;
}

/* Heartbeat off (by configuration) or on again for entry p (RFC 5847 §3: never after Binding Error 2). */
static void apply_off(struct dmm_peers *ps, struct dmm_peer *p, bool off, dmm_time_t now)
{
	if (p->hb_off == off)
		return;
	p->hb_off = off;
	if (off) {
		stop(ps, p);
		set_state(ps, p, DMM_PEER_NO_HEARTBEAT, "heartbeat off by configuration");
		return;
	}
	if (p->hb_unsupported)
		return;
	set_state(ps, p, DMM_PEER_UNKNOWN, "heartbeat on by configuration");
	if (p->bindings > 0 && ps->cfg.interval)
		arm(ps, p, now);
}

int dmm_peers_set_heartbeat(struct dmm_peers *ps, const struct dmm_addr *addr, bool on, dmm_time_t now)
{
	struct dmm_peer *p = dmm_peers_get(ps, addr, false);
	uint32_t i = off_index(ps, addr);

	if (!on && i == ps->n_off) {
		if (ps->n_off == ps->capacity)
			return DMM_ERR_NOMEM;
		ps->off[ps->n_off++] = *addr;
	} else if (on && i < ps->n_off) {
		ps->off[i] = ps->off[--ps->n_off];
	}
	if (p)
		apply_off(ps, p, !on, now);
	return 0;
}

int dmm_peers_set_no_heartbeat(struct dmm_peers *ps, const struct dmm_addr *addrs, uint32_t n, dmm_time_t now)
{
	if (n > ps->capacity)
		return DMM_ERR_NOMEM;
	if (n && !addrs)
		return DMM_ERR_INVAL;
	if (n)
		memcpy(ps->off, addrs, sizeof(*ps->off) * n);
	ps->n_off = n;
	for (struct dmm_peer *p = dmm_peers_next(ps, NULL); p; p = dmm_peers_next(ps, p))
		apply_off(ps, p, off_index(ps, &p->addr) < n, now);
	return 0;
}
