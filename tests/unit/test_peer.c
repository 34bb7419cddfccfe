/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Peer liveness by heartbeat (RFC 5847), through include/dmm/peer.h only:
 * a peer starts UNKNOWN and is UP on the first matching response; a
 * request unanswered when the next is due is missed; missing_allowed
 * misses in a row make it DOWN once (§5.2); a response brings it UP
 * again; a changed restart counter means it restarted (§5.3); requests
 * are answered with our restart counter; a Binding Error status 2 stops
 * heartbeats (§5.1); heartbeats run only while there are bindings.
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

static void run_step(struct world *w, struct dmm_peer *p, const struct step *s, dmm_time_t *now)
{
	struct dmm_mh_msg m;
	unsigned kind;
	struct dmm_handle h;

	switch (s->op) {
	case REF:
		dmm_peers_ref(w->ps, p, 1, *now);
		break;
	case UNREF:
		dmm_peers_ref(w->ps, p, -1, *now);
		break;
	case FIRE:
		*now = dmm_timers_next(w->timers);
		CHECK(*now != DMM_TIME_NEVER);
		while (dmm_timers_pop_expired(w->timers, *now, &kind, &h) == 1) {
			CHECK_EQ(kind, DMM_TIMER_HEARTBEAT);
			dmm_peers_timer(w->ps, h, *now);
		}
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
		{FIRE, 0, 0, DMM_PEER_DOWN, 3, 5, 1, 0, 0, true}, /* §5.2: the third miss: down */
		{FIRE, 0, 0, DMM_PEER_DOWN, 4, 6, 1, 0, 0, true}, /* down once, requests go on */
		{RESP, 5, 0, DMM_PEER_UP, 0, 6, 1, 1, 0, true},	  /* heard again: up */
		{FIRE, 0, 0, DMM_PEER_UP, 0, 7, 1, 1, 0, true},
		{RESP, 6, 0, DMM_PEER_UP, 0, 7, 1, 1, 1, true},	  /* §5.3: counter 5 -> 6 */
		{RESP_U, 6, 0, DMM_PEER_UP, 0, 7, 1, 1, 1, true}, /* same counter: nothing */
		{RESP_U, 9, 0, DMM_PEER_UP, 0, 7, 1, 1, 2, true}, /* unsolicited, restarted */
		{REQ, 4242, 0, DMM_PEER_UP, 0, 8, 1, 1, 2, true}, /* answered */
		{ANNOUNCE, 0, 0, DMM_PEER_UP, 0, 9, 1, 1, 2, true},
		{UNREF, 0, 0, DMM_PEER_UP, 0, 9, 1, 1, 2, false}, /* §5.1: no bindings, no heartbeat */
		{REF, 0, 0, DMM_PEER_UP, 0, 9, 1, 1, 2, true},
		{BE2, 0, 0, DMM_PEER_NO_HEARTBEAT, 0, 9, 1, 1, 2, false}, /* §5.1: not supported: stop */
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

int main(void)
{
	test_script();
	test_table();
	return check_report("test_peer");
}
