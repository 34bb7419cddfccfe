/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Peer liveness by heartbeat (RFC 5847), through include/dmm/peer.h only:
 * a peer starts UNKNOWN and is UP on the first matching response; a
 * request unanswered when the next is due is missed; when the misses in
 * a row exceed missing_allowed it is DOWN once (§3.1); a response brings
 * it UP again; a changed restart counter means it restarted (§3.2);
 * requests are answered with our restart counter, from any source and
 * without taking a slot (§3); a Binding Error status 2 stops heartbeats
 * (§3); heartbeats run only while there are bindings (§3); heartbeat can
 * be turned off per peer address.
 *
 * Each step of the script drives the table (timer expiry comes from the
 * timer wheel, messages are decoded from the bytes ops->send got) and
 * states what must hold afterwards.
 */
#include "check.h"
#include "dmm/err.h"
#include "dmm/mh.h"
#include "dmm/peer.h"
#include "dmm/timers.h"
#include "helpers.h"

static const struct dmm_alloc A = {t_zalloc, t_free, NULL};

#define IVL (10 * DMM_SECOND)

struct world {
	struct dmm_timers *timers;
	struct dmm_peers *ps;
	struct dmm_addr self, peer;
	unsigned sent, downs, ups, restarteds;
	struct dmm_mh_msg last; /* the last message sent, decoded */
	int last_rc;		/* its decode result */
};

static void w_send(void *ctx, const struct dmm_addr *src, const struct dmm_addr *dst, const uint8_t *buf,
		   size_t len)
{
	struct world *w = ctx;

	w->sent++;
	w->last_rc = dmm_mh_decode(&w->last, buf, len);
	CHECK(dmm_addr_eq(src, &w->self) && dmm_addr_eq(dst, &w->peer));
}

static void w_down(void *ctx, struct dmm_peer *p, dmm_time_t now)
{
	(void)p;
	(void)now;
	((struct world *)ctx)->downs++;
}

static void w_up(void *ctx, struct dmm_peer *p, dmm_time_t now)
{
	(void)p;
	(void)now;
	((struct world *)ctx)->ups++;
}

static void w_restarted(void *ctx, struct dmm_peer *p, dmm_time_t now)
{
	(void)p;
	(void)now;
	((struct world *)ctx)->restarteds++;
}

enum op {
	REF,	  /* one binding more */
	UNREF,	  /* one binding less */
	FIRE,	  /* advance to the heartbeat deadline and fire it */
	RESP,	  /* a response to our last request (seq + arg2), restart counter arg (or none if -1) */
	RESP_U,	  /* an unsolicited response (U), restart counter arg */
	REQ,	  /* a request from the peer with seq arg */
	BE2,	  /* Binding Error, status 2 */
	ANNOUNCE, /* we announce our restart */
};

struct step {
	enum op op;
	long arg, arg2;
	/* afterwards */
	uint8_t state, missed;
	unsigned sent, downs, ups, restarteds; /* running totals */
	bool armed;			       /* a heartbeat timer is pending */
};

static void deliver_hb(struct world *w, uint16_t flags, uint32_t seq, long rc, dmm_time_t now)
{
	struct dmm_mh_msg m;

	dmm_mh_init(&m, DMM_MH_HB);
	m.u.hb.flags = flags;
	m.u.hb.seq = seq;
	if (rc >= 0)
		dmm_mh_add_opt(&m, DMM_OPT_RESTART)->u.restart.counter = (uint32_t)rc;
	CHECK_EQ(dmm_peers_recv(w->ps, &w->peer, &m, now), 0);
}

/* Advance to the next heartbeat deadline and fire every timer due. */
static void fire(struct world *w, dmm_time_t *now)
{
	unsigned kind;
	struct dmm_handle h;

	*now = dmm_timers_next(w->timers);
	CHECK(*now != DMM_TIME_NEVER);
	while (dmm_timers_pop_expired(w->timers, *now, &kind, &h) == 1) {
		CHECK_EQ(kind, DMM_TIMER_HEARTBEAT);
		dmm_peers_timer(w->ps, h, *now);
	}
}

static void run_step(struct world *w, struct dmm_peer *p, const struct step *s, dmm_time_t *now)
{
	struct dmm_mh_msg m;

	switch (s->op) {
	case REF:
		dmm_peers_ref(w->ps, p, 1, *now);
		break;
	case UNREF:
		dmm_peers_ref(w->ps, p, -1, *now);
		break;
	case FIRE:
		fire(w, now);
		break;
	case RESP:
		deliver_hb(w, DMM_HB_R, (uint32_t)(w->last.u.hb.seq + s->arg2), s->arg, *now);
		break;
	case RESP_U:
		deliver_hb(w, DMM_HB_R | DMM_HB_U, 0, s->arg, *now);
		break;
	case REQ:
		deliver_hb(w, 0, (uint32_t)s->arg, -1, *now);
		break;
	case BE2:
		dmm_mh_init(&m, DMM_MH_BE);
		m.u.be.status = DMM_BE_UNKNOWN_MH_TYPE;
		CHECK_EQ(dmm_peers_recv(w->ps, &w->peer, &m, *now), 0);
		break;
	case ANNOUNCE:
		dmm_peers_announce(w->ps, p);
		break;
	}
}

static void test_script(void)
{
	static const struct step steps[] = {
		/* op, arg, arg2 -> state, missed, sent, downs, ups, restarteds, armed */
		{REF, 0, 0, DMM_PEER_UNKNOWN, 0, 0, 0, 0, 0, true},
		{FIRE, 0, 0, DMM_PEER_UNKNOWN, 0, 1, 0, 0, 0, true}, /* first request */
		{RESP, 5, 0, DMM_PEER_UP, 0, 1, 0, 0, 0, true},	     /* UNKNOWN -> UP, no "up" call */
		{FIRE, 0, 0, DMM_PEER_UP, 0, 2, 0, 0, 0, true},	     /* answered: nothing missed */
		{FIRE, 0, 0, DMM_PEER_UP, 1, 3, 0, 0, 0, true},	     /* unanswered: missed 1 */
		{RESP, 5, -1, DMM_PEER_UP, 1, 3, 0, 0, 0, true},     /* a late response proves nothing */
		{FIRE, 0, 0, DMM_PEER_UP, 2, 4, 0, 0, 0, true},
		/* issue 9 §2.12: RFC 5847 §3.1, down when the misses exceed 3, not at the third. */
		{FIRE, 0, 0, DMM_PEER_UP, 3, 5, 0, 0, 0, true},
		{FIRE, 0, 0, DMM_PEER_DOWN, 4, 6, 1, 0, 0, true}, /* §3.1: the fourth miss: down */
		{FIRE, 0, 0, DMM_PEER_DOWN, 5, 7, 1, 0, 0, true}, /* down once, requests go on */
		{RESP, 5, 0, DMM_PEER_UP, 0, 7, 1, 1, 0, true},	  /* heard again: up */
		{FIRE, 0, 0, DMM_PEER_UP, 0, 8, 1, 1, 0, true},
		{RESP, 6, 0, DMM_PEER_UP, 0, 8, 1, 1, 1, true},	  /* §3.2: counter 5 -> 6 */
		{RESP_U, 6, 0, DMM_PEER_UP, 0, 8, 1, 1, 1, true}, /* same counter: nothing */
		{RESP_U, 9, 0, DMM_PEER_UP, 0, 8, 1, 1, 2, true}, /* unsolicited, restarted */
		{REQ, 4242, 0, DMM_PEER_UP, 0, 9, 1, 1, 2, true}, /* answered */
		{ANNOUNCE, 0, 0, DMM_PEER_UP, 0, 10, 1, 1, 2, true},
		{UNREF, 0, 0, DMM_PEER_UP, 0, 10, 1, 1, 2, false}, /* §3: no bindings, no heartbeat */
		{REF, 0, 0, DMM_PEER_UP, 0, 10, 1, 1, 2, true},
		{BE2, 0, 0, DMM_PEER_NO_HEARTBEAT, 0, 10, 1, 1, 2, false}, /* §3: not supported: stop */
	};
	struct world w = {0};
	struct dmm_peer_cfg cfg = {.interval = IVL, .missing_allowed = 3, .restart_counter = 7};
	struct dmm_peer_ops ops = {w_send, w_down, w_restarted, w_up, &w};
	struct dmm_peer *p;
	dmm_time_t now = 1000;

	w.self = addr_of("2001:db8:b:1::2");
	w.peer = addr_of("2001:db8:a:1::2");
	cfg.self = w.self;
	w.timers = dmm_timers_new(&A, 16);
	w.ps = dmm_peers_new(&A, 4, w.timers, &cfg, &ops, NULL, NULL);
	CHECK(w.ps != NULL);
	CHECK(dmm_peers_get(w.ps, &w.peer, false) == NULL);
	p = dmm_peers_get(w.ps, &w.peer, true);
	CHECK(p != NULL);
	CHECK_EQ(p->state, DMM_PEER_UNKNOWN);
	CHECK(dmm_peers_get(w.ps, &w.peer, true) == p);
	CHECK(dmm_peers_by_handle(w.ps, p->handle) == p);
	CHECK(dmm_peers_at(w.ps, p->handle.idx) == p);
	CHECK(dmm_peers_at(w.ps, p->handle.idx + 1) == NULL); /* free */
	CHECK(dmm_peers_at(w.ps, 4) == NULL);		      /* beyond the capacity */

	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		const struct step *s = &steps[i];
		bool armed;

		run_step(&w, p, s, &now);
		armed = dmm_timers_get(w.timers, DMM_TIMER_HEARTBEAT, p->handle) != DMM_TIME_NEVER;
		if (p->state != s->state || p->missed != s->missed || w.sent != s->sent ||
		    w.downs != s->downs || w.ups != s->ups || w.restarteds != s->restarteds ||
		    armed != s->armed)
			fprintf(stderr,
				"step %zu: state %s missed %u sent %u downs %u ups %u restarted %u armed "
				"%d\n",
				i, dmm_peer_state_name(p->state), p->missed, w.sent, w.downs, w.ups,
				w.restarteds, armed);
		CHECK_EQ(p->state, s->state);
		CHECK_EQ(p->missed, s->missed);
		CHECK_EQ(w.sent, s->sent);
		CHECK_EQ(w.downs, s->downs);
		CHECK_EQ(w.ups, s->ups);
		CHECK_EQ(w.restarteds, s->restarteds);
		CHECK_EQ(armed, s->armed);
		if (s->op == FIRE) {
			/* A request: no R, no Restart Counter (§3.4), the next interval armed. */
			CHECK_EQ(w.last_rc > 0, 1);
			CHECK_EQ(w.last.type, DMM_MH_HB);
			CHECK_EQ(w.last.u.hb.flags & (DMM_HB_R | DMM_HB_U), 0);
			CHECK(dmm_mh_find_opt(&w.last, DMM_OPT_RESTART, NULL) == NULL);
			CHECK_EQ(dmm_timers_get(w.timers, DMM_TIMER_HEARTBEAT, p->handle), now + IVL);
		}
		if (s->op == REQ || s->op == ANNOUNCE) {
			/* A response carries our restart counter; a request's seq is echoed. */
			const struct dmm_mh_opt *rc = dmm_mh_find_opt(&w.last, DMM_OPT_RESTART, NULL);

			CHECK_EQ(w.last_rc > 0, 1);
			CHECK(w.last.u.hb.flags & DMM_HB_R);
			CHECK_EQ((w.last.u.hb.flags & DMM_HB_U) != 0, s->op == ANNOUNCE);
			if (s->op == REQ)
				CHECK_EQ(w.last.u.hb.seq, s->arg);
			CHECK(rc != NULL && rc->u.restart.counter == 7);
		}
	}
	CHECK_EQ(p->restarts, 2);
	CHECK_EQ(p->downs, 1);
	CHECK_EQ(p->restart_counter, 9);
	dmm_peers_free(w.ps);
	dmm_timers_free(w.timers);
}

/* The table: capacity, handles, iteration, non-heartbeat messages. */
static void test_table(void)
{
	struct world w = {0};
	struct dmm_peer_cfg cfg = {.interval = IVL, .missing_allowed = 3};
	struct dmm_peer_ops ops = {w_send, NULL, NULL, NULL, &w};
	struct dmm_peer_ops no_send = {NULL, NULL, NULL, NULL, &w};
	struct dmm_mh_msg m;
	struct dmm_peer *a, *b, *it;
	unsigned n = 0;

	w.timers = dmm_timers_new(&A, 8);
	CHECK(dmm_peers_new(&A, 2, w.timers, &cfg, &no_send, NULL, NULL) == NULL);
	CHECK(dmm_peers_new(&A, 0, w.timers, &cfg, &ops, NULL, NULL) == NULL);
	CHECK(dmm_peers_new(&A, 2, NULL, &cfg, &ops, NULL, NULL) == NULL);
	w.ps = dmm_peers_new(&A, 2, w.timers, &cfg, &ops, NULL, NULL);
	a = dmm_peers_get(w.ps, &(struct dmm_addr){{0x20, 1, 0xd, 0xb8, [15] = 1}}, true);
	b = dmm_peers_get(w.ps, &(struct dmm_addr){{0x20, 1, 0xd, 0xb8, [15] = 2}}, true);
	CHECK(a != NULL && b != NULL && a != b);
	CHECK(dmm_peers_get(w.ps, &(struct dmm_addr){{0x20, 1, 0xd, 0xb8, [15] = 3}}, true) ==
	      NULL); /* full */
	for (it = dmm_peers_next(w.ps, NULL); it; it = dmm_peers_next(w.ps, it))
		n++;
	CHECK_EQ(n, 2);
	CHECK(dmm_peers_by_handle(w.ps, (struct dmm_handle){a->handle.idx, a->handle.gen + 1}) == NULL);
	/* No bindings: a fired timer of the peer sends nothing. */
	dmm_peers_timer(w.ps, a->handle, 0);
	CHECK_EQ(w.sent, 0);
	/* Only heartbeats and Binding Errors are for the peer table. */
	dmm_mh_init(&m, DMM_MH_BA);
	CHECK_EQ(dmm_peers_recv(w.ps, &a->addr, &m, 0), DMM_ERR_INVAL);
	/* Interval 0: no heartbeat at all. */
	cfg.interval = 0;
	dmm_peers_reconfigure(w.ps, &cfg);
	dmm_peers_ref(w.ps, b, 1, 0);
	CHECK_EQ(dmm_timers_next(w.timers), DMM_TIME_NEVER);
	CHECK(strcmp(dmm_peer_state_name(DMM_PEER_DOWN), "down") == 0);
	CHECK(strcmp(dmm_peer_state_name(200), "?") == 0);
	dmm_peers_free(w.ps);
	dmm_peers_free(NULL);
	dmm_timers_free(w.timers);
}

/* True when the last message sent answers a request with seq: R, no U, our restart counter rc (§3.2, §3.3). */
static bool answered(const struct world *w, uint32_t seq, uint32_t rc)
{
	const struct dmm_mh_opt *o = dmm_mh_find_opt(&w->last, DMM_OPT_RESTART, NULL);

	return w->last_rc > 0 && w->last.type == DMM_MH_HB &&
	       (w->last.u.hb.flags & (DMM_HB_R | DMM_HB_U)) == DMM_HB_R && w->last.u.hb.seq == seq && o &&
	       o->u.restart.counter == rc;
}

static unsigned count_peers(struct dmm_peers *ps)
{
	unsigned n = 0;

	for (struct dmm_peer *it = dmm_peers_next(ps, NULL); it; it = dmm_peers_next(ps, it))
		n++;
	return n;
}

/*
 * issue 9 §2.12: RFC 5847 §3.1 says the peer is unreachable when the
 * consecutive misses exceed MISSING_HEARTBEATS_ALLOWED, and §5 calls that
 * number the most misses there may be before concluding so: with N
 * allowed, the (N + 1)th miss in a row declares the peer down, once.
 */
static void test_threshold(void)
{
	static const struct {
		uint8_t allowed, down_at; /* the miss that declares the peer down */
	} cases[] = {{0, 1}, {1, 2}, {2, 3}, {3, 4}, {5, 6}};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct world w = {0};
		struct dmm_peer_cfg cfg = {.interval = IVL, .missing_allowed = cases[i].allowed};
		struct dmm_peer_ops ops = {w_send, w_down, w_restarted, w_up, &w};
		struct dmm_peer *p;
		dmm_time_t now = 1000;
		unsigned fires = 0;

		w.self = cfg.self = addr_of("2001:db8:b:1::2");
		w.peer = addr_of("2001:db8:a:1::2");
		w.timers = dmm_timers_new(&A, 4);
		w.ps = dmm_peers_new(&A, 2, w.timers, &cfg, &ops, NULL, NULL);
		p = dmm_peers_get(w.ps, &w.peer, true);
		dmm_peers_ref(w.ps, p, 1, now);
		fire(&w, &now); /* the first request: nothing missed yet */
		while (p->state != DMM_PEER_DOWN && fires++ < 20)
			fire(&w, &now);
		if (p->missed != cases[i].down_at)
			fprintf(stderr, "allowed %u: down at miss %u, want %u\n", cases[i].allowed, p->missed,
				cases[i].down_at);
		CHECK_EQ(p->state, DMM_PEER_DOWN);
		CHECK_EQ(p->missed, cases[i].down_at);
		CHECK_EQ(w.downs, 1);
		fire(&w, &now); /* down once */
		CHECK_EQ(w.downs, 1);
		dmm_peers_free(w.ps);
		dmm_timers_free(w.timers);
	}
}

/*
 * issue 9 §2.12: RFC 5847 §3, a node answers every Heartbeat Request,
 * whether or not it has a binding with the sender. Answering (or
 * matching a response) must not take a peer slot: spoofed requests
 * filled the table and every new MAG got status 130. Entries are made
 * only by dmm_peers_get(create) on behalf of a binding.
 */
static void test_unknown_source(void)
{
	struct world w = {0};
	struct dmm_pmip_stats st = {0};
	struct dmm_peer_cfg cfg = {.interval = IVL, .missing_allowed = 3, .restart_counter = 11};
	struct dmm_peer_ops ops = {w_send, w_down, w_restarted, w_up, &w};
	struct dmm_addr a1 = addr_last(1), a2 = addr_last(2), a3 = addr_last(3);
	unsigned ok = 0;

	w.self = cfg.self = addr_of("2001:db8:b:1::2");
	w.timers = dmm_timers_new(&A, 4);
	w.ps = dmm_peers_new(&A, 2, w.timers, &cfg, &ops, &st, NULL);
	for (uint8_t i = 0; i < 8; i++) {
		w.peer = addr_last((uint8_t)(100 + i));
		deliver_hb(&w, 0, 1000u + i, -1, 0);
		ok += w.sent == i + 1u && answered(&w, 1000u + i, 11);
		/* Responses from strangers prove nothing and store nothing. */
		deliver_hb(&w, DMM_HB_R, 1, 5, 0);
		deliver_hb(&w, DMM_HB_R | DMM_HB_U, 0, 6, 0);
	}
	CHECK_EQ(ok, 8);
	CHECK_EQ(st.hb_req_rcvd, 8);
	CHECK_EQ(st.hb_resp_sent, 8);
	CHECK_EQ(w.restarteds, 0);
	CHECK_EQ(count_peers(w.ps), 0);
	CHECK(dmm_peers_get(w.ps, &w.peer, false) == NULL);
	/* Both slots are still there for the peers of bindings. */
	CHECK(dmm_peers_has_room(w.ps, &a1));
	CHECK_EQ(count_peers(w.ps), 0); /* asking does not allocate */
	CHECK(dmm_peers_get(w.ps, &a1, true) != NULL);
	CHECK(dmm_peers_get(w.ps, &a2, true) != NULL);
	CHECK(!dmm_peers_has_room(w.ps, &a3));
	CHECK(dmm_peers_has_room(w.ps, &a1)); /* known already */
	/* A full table still answers a request from anyone. */
	w.peer = addr_last(200);
	deliver_hb(&w, 0, 77, -1, 0);
	CHECK_EQ(w.sent, 9);
	CHECK(answered(&w, 77, 11));
	CHECK_EQ(count_peers(w.ps), 2);
	dmm_peers_free(w.ps);
	dmm_timers_free(w.timers);
}

static bool armed(const struct world *w, const struct dmm_peer *p)
{
	return dmm_timers_get(w->timers, DMM_TIMER_HEARTBEAT, p->handle) != DMM_TIME_NEVER;
}

/*
 * issue 9 §1 (interoperability): heartbeat off for a named peer, for an
 * implementation without RFC 5847 that breaks on its messages. Such a
 * peer shows "no-heartbeat", gets no request nor unsolicited response
 * and never goes down; its requests are still answered (RFC 5847 §3).
 * The switch holds for entries made later, and turning it on again
 * resumes heartbeats unless the peer said it lacks them (Binding Error
 * status 2: §3, never again).
 */
static void test_heartbeat_off(void)
{
	struct world w = {0};
	struct dmm_addr off[1], many[5], a2 = addr_last(2);
	struct dmm_peer_cfg cfg = {.interval = IVL, .missing_allowed = 1, .restart_counter = 3};
	struct dmm_peer_ops ops = {w_send, w_down, w_restarted, w_up, &w};
	struct dmm_peer *p, *q;
	dmm_time_t now = 1000;

	w.self = cfg.self = addr_of("2001:db8:b:1::2");
	w.peer = off[0] = addr_last(1);
	cfg.no_heartbeat = off;
	cfg.n_no_heartbeat = 1;
	w.timers = dmm_timers_new(&A, 8);
	cfg.n_no_heartbeat = 5;
	CHECK(dmm_peers_new(&A, 4, w.timers, &cfg, &ops, NULL, NULL) == NULL); /* more than capacity */
	cfg.n_no_heartbeat = 1;
	w.ps = dmm_peers_new(&A, 4, w.timers, &cfg, &ops, NULL, NULL);
	CHECK(w.ps != NULL);
	off[0] = addr_last(9); /* the list was copied */
	p = dmm_peers_get(w.ps, &w.peer, true);
	CHECK_EQ(p->state, DMM_PEER_NO_HEARTBEAT);
	CHECK(p->hb_off);
	CHECK(strcmp(dmm_peer_state_name(p->state), "no-heartbeat") == 0);
	dmm_peers_ref(w.ps, p, 1, now);
	CHECK(!armed(&w, p));
	dmm_peers_announce(w.ps, p);
	dmm_peers_timer(w.ps, p->handle, now + 100 * IVL); /* a stray expiry */
	CHECK_EQ(w.sent, 0);
	CHECK_EQ(w.downs, 0);
	deliver_hb(&w, 0, 42, -1, now);
	CHECK_EQ(w.sent, 1);
	CHECK(answered(&w, 42, 3));
	CHECK_EQ(p->state, DMM_PEER_NO_HEARTBEAT);
	/* On: heartbeats run, a miss exceeding 1 is noticed ... */
	CHECK_EQ(dmm_peers_set_heartbeat(w.ps, &w.peer, true, now), 0);
	CHECK_EQ(p->state, DMM_PEER_UNKNOWN);
	CHECK(!p->hb_off);
	CHECK_EQ(dmm_timers_get(w.timers, DMM_TIMER_HEARTBEAT, p->handle), now + IVL);
	fire(&w, &now);
	fire(&w, &now);
	CHECK_EQ(w.sent, 3);
	CHECK_EQ(p->missed, 1);
	/* ... off again: no timer, nothing outstanding, and down never comes. */
	CHECK_EQ(dmm_peers_set_heartbeat(w.ps, &w.peer, false, now), 0);
	CHECK_EQ(p->state, DMM_PEER_NO_HEARTBEAT);
	CHECK(!armed(&w, p));
	CHECK(!p->outstanding && p->missed == 0);
	dmm_peers_timer(w.ps, p->handle, now + IVL);
	CHECK_EQ(w.sent, 3);
	CHECK_EQ(w.downs, 0);
	/* For an address with no entry yet: its entry is made with heartbeat off. */
	CHECK_EQ(dmm_peers_set_heartbeat(w.ps, &a2, false, now), 0);
	q = dmm_peers_get(w.ps, &a2, true);
	CHECK(q && q->state == DMM_PEER_NO_HEARTBEAT);
	/* The whole list, as on a reload: exactly these are off. */
	many[0] = a2;
	CHECK_EQ(dmm_peers_set_no_heartbeat(w.ps, many, 1, now), 0);
	CHECK_EQ(p->state, DMM_PEER_UNKNOWN);
	CHECK(armed(&w, p)); /* it has a binding */
	CHECK_EQ(q->state, DMM_PEER_NO_HEARTBEAT);
	for (uint8_t i = 0; i < 5; i++)
		many[i] = addr_last((uint8_t)(10 + i));
	CHECK_EQ(dmm_peers_set_no_heartbeat(w.ps, many, 5, now), DMM_ERR_NOMEM);
	CHECK_EQ(q->state, DMM_PEER_NO_HEARTBEAT); /* unchanged */
	dmm_peers_reconfigure(w.ps, &(struct dmm_peer_cfg){.self = w.self, .interval = IVL});
	CHECK_EQ(q->state, DMM_PEER_NO_HEARTBEAT); /* reconfigure leaves the list alone */
	CHECK_EQ(dmm_peers_set_no_heartbeat(w.ps, NULL, 0, now), 0);
	CHECK_EQ(q->state, DMM_PEER_UNKNOWN);
	CHECK(!armed(&w, q)); /* no binding: no heartbeat (§3) */
	/* Binding Error 2 (§3): never again, whatever the switch says. */
	dmm_peers_ref(w.ps, q, 1, now);
	w.peer = q->addr;
	{
		struct dmm_mh_msg m;

		dmm_mh_init(&m, DMM_MH_BE);
		m.u.be.status = DMM_BE_UNKNOWN_MH_TYPE;
		CHECK_EQ(dmm_peers_recv(w.ps, &w.peer, &m, now), 0);
	}
	CHECK_EQ(q->state, DMM_PEER_NO_HEARTBEAT);
	CHECK_EQ(dmm_peers_set_heartbeat(w.ps, &w.peer, false, now), 0);
	CHECK_EQ(dmm_peers_set_heartbeat(w.ps, &w.peer, true, now), 0);
	CHECK_EQ(q->state, DMM_PEER_NO_HEARTBEAT);
	CHECK(!armed(&w, q));
	dmm_peers_free(w.ps);
	dmm_timers_free(w.timers);
}

int main(void)
{
	test_script();
	test_table();
	test_threshold();
	test_unknown_source();
	test_heartbeat_off();
	return check_report("test_peer");
}
