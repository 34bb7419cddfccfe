/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The roles' environment in the emulator: one dmm_lma, dmm_mag, dmm_maar
 * or dmm_cmd per node, created and driven through its struct dmm_role_ops
 * (MAGs and MAARs share every code path here and in mn.c), with a struct
 * dmm_env whose callbacks are ours. Sent
 * Mobility Headers travel as the encoded bytes the role produced, over
 * the shortest path with its delay, jitter and loss draws. Each role has
 * one timer: after every input its next deadline is asked again, and a
 * changed deadline takes the place in the order of events of a new event
 * (see timer_set()), with one event per role in the queue.
 */
#include <stdlib.h>
#include <string.h>

#include "dmm/fmt.h"
#include "dmm/log.h"
#include "dmm/mh.h"
#include "emu.h"

#define WALL_OFFSET ((int64_t)1700000000 * 1000000000)

static void *emu_zalloc(void *ctx, size_t n)
{
	(void)ctx;
	return emu_table(1, n);
}

static void emu_free(void *ctx, void *p)
{
	(void)ctx;
	free(p);
}

static void log_sink(void *ctx, enum dmm_log_level lvl, enum dmm_log_cat cat, const char *msg)
{
	struct emu_node *n = ctx;
	dmm_time_t now = n->emu->eng.now;

	fprintf(stderr, "%4llu.%06llu %-6s %-5s %-4s %s\n", (unsigned long long)(now / DMM_SECOND),
		(unsigned long long)(now % DMM_SECOND / 1000), n->name, dmm_log_level_name(lvl),
		dmm_log_cat_name(cat), msg);
}

/* A buffer for an MH of len bytes in flight: a kept one when it fits. */
static uint8_t *mh_buf_get(struct emu *e, size_t len)
{
	void *b = e->mh_free;

	if (len > EMU_MH_BUF)
		return malloc(len);
	if (!b)
		return malloc(EMU_MH_BUF);
	memcpy(&e->mh_free, b, sizeof(void *));
	return b;
}

static void mh_buf_put(struct emu *e, uint8_t *b, size_t len)
{
	if (!b || len > EMU_MH_BUF) {
		free(b);
		return;
	}
	memcpy(b, &e->mh_free, sizeof(void *));
	e->mh_free = b;
}

static void emu_send(void *ctx, const struct dmm_addr *src, const struct dmm_addr *dst, const uint8_t *buf,
		     size_t len)
{
	struct emu_node *n = ctx, *to;
	struct emu *e = n->emu;
	struct emu_event ev;
	dmm_time_t t;
	uint32_t mn;
	bool lost;

	e->mh_total++;
	e->mh_bytes += len;
	n->mh_sent++;
	if (len >= 3 && buf[2] < 32)
		e->mh_by_type[buf[2]]++;
	mn = emu_mn_attribute_mh(e, buf, len);
	to = emu_node_by_addr(e, dst);
	if (!to || !emu_is_role(to->kind) || len > UINT16_MAX) {
		e->mh_unroutable++;
		return;
	}
	t = emu_path_draw(e, n->idx, to->idx, &lost);
	if (t == DMM_TIME_NEVER) {
		if (lost)
			e->mh_lost++;
		else
			e->mh_unroutable++;
		return;
	}
	memset(&ev, 0, sizeof(ev));
	ev.type = EV_MH;
	ev.node = to->idx;
	ev.mn = mn; /* for emu_prefetch() only */
	ev.u.mh.buf = mh_buf_get(e, len);
	if (!ev.u.mh.buf)
		return;
	memcpy(ev.u.mh.buf, buf, len);
	ev.u.mh.len = (uint16_t)len;
	ev.u.mh.from = n->idx;
	ev.u.mh.src = *src;
	ev.u.mh.dst = *dst;
	if (emu_schedule(&e->eng, e->eng.now + t, &ev))
		mh_buf_put(e, ev.u.mh.buf, len);
}

static const struct dmm_alloc emu_alloc = {emu_zalloc, emu_free, NULL};

static uint32_t mag_capacity(const struct emu *e)
{
	uint64_t avg = e->nmns / e->nmags + 1, sd = 1;
	uint64_t c = avg + avg / 2 + 64; /* uniform attachment: many standard deviations above the mean */

	if (e->cfg.mag_max_mns)
		return e->cfg.mag_max_mns;
	/* Eight standard deviations (about sqrt(avg)) where that is less: the MAGs' tables are most of the memory. */
	while (sd * sd < avg)
		sd++;
	if (avg + 8 * sd + 64 < c)
		c = avg + 8 * sd + 64;
	return (uint32_t)(c < e->nmns + 8 ? c : e->nmns + 8);
}

/* Node n's heartbeat settings (RFC 5847): its own, else the scenario's, else the role's default. */
static void hb_cfg(struct emu *e, struct emu_node *n, dmm_time_t *interval, uint8_t *allowed)
{
	if (n->hb_interval)
		*interval = n->hb_interval;
	else if (e->cfg.hb_interval)
		*interval = e->cfg.hb_interval;
	if (n->missing_allowed >= 0)
		*allowed = (uint8_t)n->missing_allowed;
	else if (e->cfg.missing_allowed >= 0)
		*allowed = (uint8_t)e->cfg.missing_allowed;
}

/* An anchor's policy (an LMA, or the CMD): every MN may register, from any MAG, and gets one /64. */
static int anchor_policy(struct emu *e, struct emu_node *n)
{
	struct dmm_policy_profile def;

	n->policy = dmm_policy_new(&emu_alloc, 4, e->nmags + 8, emu_rng_next(&e->rng));
	if (!n->policy)
		return -1;
	memset(&def, 0, sizeof(def));
	def.may_register = true;
	def.n_alloc = 1;
	if (dmm_policy_set_default(n->policy, &def))
		return -1;
	dmm_policy_set_allow_any_mag(n->policy, true);
	return 0;
}

static int create_lma(struct emu *e, struct emu_node *n)
{
	struct dmm_lma_cfg cfg;

	dmm_lma_cfg_defaults(&cfg);
	cfg.addr = n->addr;
	cfg.max_bindings = e->cfg.lma_max_bindings ? e->cfg.lma_max_bindings : n->homed + n->homed / 4 + 64;
	cfg.max_peers = e->nmags + 8;
	for (unsigned k = 0; k < n->npool; k++)
		cfg.pool[k] = n->pool[k];
	cfg.npool = n->npool;
	cfg.hnp_len = 64;
	hb_cfg(e, n, &cfg.heartbeat_interval, &cfg.missing_heartbeats_allowed);
	if (e->cfg.lifetime_s && cfg.max_lifetime_s < e->cfg.lifetime_s)
		cfg.max_lifetime_s = e->cfg.lifetime_s;
	cfg.restart_counter = 1;
	cfg.localized_routing = emu_lr_on(e); /* RFC 6705 §7: the policy allows it (lr.c) */
	cfg.lr.initiate = emu_lr_a11(e);      /* RFC 6705 §5, scenario A11: the LMA initiates (lr.c) */
	n->ops = &dmm_lma_ops;
	if (anchor_policy(e, n))
		return -1;
	cfg.policy = n->policy;
	n->inst = n->lma = n->ops->create(&n->env, &cfg, e->eng.now);
	return n->lma ? 0 : -1;
}

/* RFC 5949 (--fho): fast handover on, reactive when asked, every other MAG (MAAR) a neighbour (up to 8). */
static void fho_cfg(const struct emu *e, const struct emu_node *n, struct dmm_mag_fho_cfg *f)
{
	f->enabled = true;
	f->reactive = e->fho == EMU_FHO_REACTIVE;
	for (uint32_t k = 0; k < e->nmags && f->n_neighbour < DMM_MAG_FHO_MAX_NEIGHBOUR; k++)
		if (e->mag_list[k] != n->idx)
			f->neighbour[f->n_neighbour++] = e->nodes[e->mag_list[k]].addr;
}

static int create_mag(struct emu *e, struct emu_node *n)
{
	struct dmm_mag_cfg cfg;

	dmm_mag_cfg_defaults(&cfg);
	cfg.addr = n->addr;
	cfg.default_lma = e->nodes[n->default_lma].addr;
	cfg.policy = e->mag_policy;
	cfg.max_mns = mag_capacity(e);
	cfg.max_peers = 64;
	if (e->cfg.lifetime_s)
		cfg.lifetime_s = e->cfg.lifetime_s;
	hb_cfg(e, n, &cfg.heartbeat_interval, &cfg.missing_heartbeats_allowed);
	cfg.att = DMM_ATT_80211;
	cfg.restart_counter = 1;
	if (e->fho != EMU_FHO_NONE)
		fho_cfg(e, n, &cfg.fho);
	cfg.lr.enabled = emu_lr_on(e);	      /* RFC 6705 §7, scenario A12 (lr.c) */
	cfg.lr.local_routing = emu_lr_a11(e); /* §5: EnableMAGLocalRouting, takes the LMA's LRI (A11) */
	n->ops = &dmm_mag_ops;
	n->inst = n->mag = n->ops->create(&n->env, &cfg, e->eng.now);
	return n->mag ? 0 : -1;
}

static int create_maar(struct emu *e, struct emu_node *n)
{
	struct dmm_maar_cfg cfg;
	uint32_t size = 0;

	dmm_maar_cfg_defaults(&cfg);
	cfg.addr = n->addr;
	cfg.cmd = e->nodes[n->cmd_node].addr;
	cfg.policy = NULL;
	for (unsigned k = 0; k < n->npool; k++) {
		cfg.pool[k] = n->pool[k];
		size += n->pool[k].len >= 64   ? 1
			: n->pool[k].len <= 40 ? 1u << 24
					       : 1u << (64 - n->pool[k].len);
	}
	cfg.npool = n->npool;
	cfg.hnp_len = 64;
	cfg.anchor_locally = n->anchor_locally;
	cfg.max_mns = mag_capacity(e);
	/* Every MN may hold a prefix here: those attached, and those that left. */
	cfg.max_anchored = n->max_anchored ? n->max_anchored : (size < e->nmns + 64 ? size : e->nmns + 64);
	n->max_anchored = cfg.max_anchored;
	cfg.priority = n->priority;
	if (e->cfg.lifetime_s)
		cfg.lifetime_s = e->cfg.lifetime_s;
	cfg.idle_release = e->cfg.idle_release;
	cfg.idle_check = e->cfg.idle_check;
	cfg.release_by_sessions = emu_release_by_sessions(e); /* release.c feeds the sessions */
	cfg.detach_grace = e->cfg.detach_grace;
	if (e->reloc.on)
		cfg.relocate_after = e->reloc.after;
	hb_cfg(e, n, &cfg.heartbeat_interval, &cfg.missing_heartbeats_allowed);
	cfg.restart_counter = 1;
	if (e->fho != EMU_FHO_NONE)
		fho_cfg(e, n, &cfg.fho); /* RFC 5949 between MAARs (core/role/maar_fho.c) */
	n->ops = &dmm_maar_ops;
	n->inst = n->maar = n->ops->create(&n->env, &cfg, e->eng.now);
	return n->maar ? 0 : -1;
}

static int create_cmd(struct emu *e, struct emu_node *n)
{
	struct dmm_cmd_cfg cfg;

	dmm_cmd_cfg_defaults(&cfg);
	cfg.addr = n->addr;
	if (anchor_policy(e, n))
		return -1;
	cfg.policy = n->policy;
	cfg.mode = n->cmd_mode;
	if (n->relay_timeout)
		cfg.relay_timeout = n->relay_timeout;
	cfg.max_mns = e->nmns + e->nmns / 4 + 64;
	cfg.max_maars = e->nmags + 8;
	if (e->cfg.lifetime_s && cfg.max_lifetime_s < e->cfg.lifetime_s)
		cfg.max_lifetime_s = e->cfg.lifetime_s;
	hb_cfg(e, n, &cfg.heartbeat_interval, &cfg.missing_heartbeats_allowed);
	cfg.restart_counter = 1;
	cfg.reanchor_on_failure = e->reloc.on && e->reloc.on_failure;
	n->ops = &dmm_cmd_ops;
	n->inst = n->cmd = n->ops->create(&n->env, &cfg, e->eng.now);
	return n->cmd ? 0 : -1;
}

struct dmm_fm *emu_node_fm(struct emu_node *n)
{
	if (n->lma)
		return dmm_role_fm(n->lma);
	if (n->mag)
		return dmm_role_fm(n->mag);
	if (n->maar)
		return dmm_role_fm(n->maar);
	return NULL;
}

/* The shared MAG policy: RFC 5213 §6.2, each MN-ID names its LMA. */
static int mag_policy(struct emu *e)
{
	struct dmm_policy_profile p, def;

	if (e->variant == EMU_VAR_DMM)
		return 0; /* no MAGs */
	e->mag_policy = dmm_policy_new(&emu_alloc, e->nmns + 1, e->nmags + 8, emu_rng_next(&e->rng));
	if (!e->mag_policy)
		return -1;
	memset(&def, 0, sizeof(def));
	def.may_register = true;
	if (dmm_policy_set_default(e->mag_policy, &def))
		return -1;
	memset(&p, 0, sizeof(p));
	p.may_register = true;
	p.n_lma = 1;
	for (uint32_t i = 0; i < e->nmns; i++) {
		emu_mn_mnid(e->mns[i].idx, &p.mnid);
		p.lma[0] = e->nodes[e->mns[i].home_lma].addr;
		if (dmm_policy_set(e->mag_policy, &p))
			return -1;
	}
	return 0;
}

int emu_roles_create(struct emu *e)
{
	if (mag_policy(e))
		return -1;
	for (uint32_t i = 0; i < e->nnodes; i++) {
		struct emu_node *n = &e->nodes[i];
		uint32_t cap;
		int rc;

		if (!emu_is_role(n->kind))
			continue;
		cap = n->kind == EMU_LMA    ? 4 * (n->homed + 64)
		      : n->kind == EMU_MAAR ? 8 * (mag_capacity(e) + e->nmns + 64)
					    : 4 * mag_capacity(e);
		if (n->kind != EMU_CMD && emu_dp_init(&n->dp, cap, e->cfg.buffer_cap))
			return -1;
		n->log.fn = log_sink;
		n->log.ctx = n;
		n->log.max_level = e->verbose > 1 ? DMM_LOG_DEBUG : DMM_LOG_INFO;
		n->env.alloc = &emu_alloc;
		n->env.log = e->verbose ? &n->log : NULL;
		n->env.send = emu_send;
		n->env.mn_event = emu_on_mn_event;
		n->env.ctx = n;
		n->env.fm.install = emu_dp_install;
		n->env.fm.remove = emu_dp_remove;
		n->env.fm.ctx = n;
		n->env.seed = emu_rng_next(&e->rng);
		n->env.wall_offset = WALL_OFFSET;
		n->timer_at = DMM_TIME_NEVER;
		emu_reloc_env(e, n);
		switch (n->kind) {
		case EMU_LMA:
			rc = create_lma(e, n);
			break;
		case EMU_MAG:
			rc = create_mag(e, n);
			break;
		case EMU_MAAR:
			rc = create_maar(e, n);
			break;
		default:
			rc = create_cmd(e, n);
			break;
		}
		if (rc != 0) {
			fprintf(stderr, "dmm-emu: cannot create %s %s (config or memory)\n",
				n->ops ? n->ops->name : "role", n->name);
			return -1;
		}
		emu_role_resched(e, n);
	}
	return 0;
}

void emu_roles_destroy(struct emu *e)
{
	for (uint32_t i = 0; i < e->nnodes; i++) {
		struct emu_node *n = &e->nodes[i];

		if (n->ops && n->inst)
			n->ops->destroy(n->inst);
		n->inst = NULL;
		n->lma = NULL;
		n->mag = NULL;
		n->maar = NULL;
		n->cmd = NULL;
		dmm_policy_free(n->policy);
		emu_dp_fini(&n->dp);
	}
	dmm_policy_free(e->mag_policy);
	e->mag_policy = NULL;
	emu_iaddr_fini(e);
	while (e->mh_free) {
		void *b = e->mh_free;

		memcpy(&e->mh_free, b, sizeof(void *));
		free(b);
	}
}

/*
 * A role's timer. Every change of its deadline makes a timer event (time
 * and sequence number, counted as processed if it comes before the stop),
 * and only the latest is live: the others would pop and do nothing. So the
 * queue holds one event per role, the earliest needed: when it pops early
 * it is put back at the live event's time and sequence number, so the
 * timer runs exactly where that event would have.
 */
static void timer_push(struct emu *e, struct emu_node *n, dmm_time_t at, uint64_t seq)
{
	struct emu_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = EV_ROLE_TIMER;
	ev.node = n->idx;
	ev.gen = ++n->timer_gen;
	n->ph_live = emu_schedule_seq(&e->eng, at, seq, &ev) == 0;
	n->ph_at = at;
	n->ph_seq = seq;
}

static void timer_set(struct emu *e, struct emu_node *n, dmm_time_t at)
{
	if (at < e->eng.now)
		at = e->eng.now;
	n->lt_at = at;
	n->lt_seq = e->eng.seq++;
	n->lt_live = true;
	if (at < e->cfg.duration || (at == e->cfg.duration && !e->stop_set))
		e->eng.processed++;
	if (!n->ph_live || at < n->ph_at || (at == n->ph_at && n->lt_seq < n->ph_seq))
		timer_push(e, n, at, n->lt_seq);
}

void emu_role_resched(struct emu *e, struct emu_node *n)
{
	dmm_time_t d;

	if (n->dead)
		return;
	d = n->inst ? n->ops->next_deadline(n->inst) : DMM_TIME_NEVER;
	if (d == n->timer_at)
		return;
	n->timer_at = d;
	n->lt_live = false;
	if (d != DMM_TIME_NEVER)
		timer_set(e, n, d);
}

void emu_role_after_input(struct emu *e, struct emu_node *n)
{
	if (n->lma) {
		uint32_t c = dmm_bcache_count(dmm_lma_bcache(n->lma));

		if (c > n->bindings_peak)
			n->bindings_peak = c;
	}
	if (n->maar) {
		uint32_t c = dmm_pool_used(dmm_maar_pool(n->maar));

		if (c > n->anchored_peak)
			n->anchored_peak = c;
	}
	if (n->mag || n->maar)
		emu_watch_kills(e, n);
	emu_role_resched(e, n);
}

void emu_on_role_timer(struct emu *e, const struct emu_event *ev)
{
	struct emu_node *n = &e->nodes[ev->node];
	dmm_time_t now = e->eng.now;

	e->eng.processed--; /* counted in timer_set() */
	if (n->dead || ev->gen != n->timer_gen)
		return;
	n->ph_live = false;
	if (!n->lt_live)
		return;
	if (n->lt_seq != n->ph_seq) {
		timer_push(e, n, n->lt_at, n->lt_seq);
		return;
	}
	n->lt_live = false;
	n->timer_at = DMM_TIME_NEVER;
	n->ops->expire(n->inst, now);
	emu_role_after_input(e, n);
	if (n->timer_at <= now && n->timer_at != DMM_TIME_NEVER) {
		/* A role that keeps asking for the past would stall virtual time. */
		e->role_timer_stalls++;
		timer_set(e, n, now + DMM_USEC);
	}
}

void emu_on_mh(struct emu *e, struct emu_event *ev)
{
	struct emu_node *n = &e->nodes[ev->node];
	dmm_time_t now = e->eng.now;

	if (n->dead || e->nodes[ev->u.mh.from].dead) {
		e->mh_to_dead++;
		mh_buf_put(e, ev->u.mh.buf, ev->u.mh.len);
		return;
	}
	n->mh_rcvd++;
	n->ops->recv(n->inst, &ev->u.mh.src, &ev->u.mh.dst, ev->u.mh.buf, ev->u.mh.len, now);
	mh_buf_put(e, ev->u.mh.buf, ev->u.mh.len);
	emu_role_after_input(e, n);
}

void emu_on_kill(struct emu *e, const struct emu_event *ev)
{
	struct emu_kill *k = &e->kills[ev->mn];
	struct emu_node *dead = &e->nodes[k->node];

	dead->dead = true;
	dead->killed_at = e->eng.now;
	dead->timer_gen++;
	k->done = true;
	if (e->reloc.model)
		emu_reloc_kill(e, dead);
	k->mags = calloc(e->nmags, sizeof(*k->mags));
	k->detected = calloc(e->nmags, sizeof(*k->detected));
	if (!k->mags || !k->detected)
		return;
	/* The MAGs with a registered binding at the dead node heartbeat it (RFC 5847 §3). */
	for (uint32_t i = 0; i < e->nmags; i++) {
		struct emu_node *m = &e->nodes[e->mag_list[i]];
		const struct dmm_bul *bul;
		struct dmm_bul_entry *b = NULL;

		if (!m->mag || m->dead)
			continue;
		bul = dmm_mag_bul(m->mag);
		while ((b = dmm_bul_next(bul, b)) != NULL) {
			if (b->state == DMM_BUL_REGISTERED && dmm_addr_eq(&b->lmaa, &dead->addr)) {
				k->mags[k->nmags] = m->idx;
				k->detected[k->nmags] = DMM_TIME_NEVER;
				k->nmags++;
				m->peers_down_seen = dmm_role_stats(m->mag)->peers_down;
				break;
			}
		}
	}
}

void emu_watch_kills(struct emu *e, struct emu_node *n)
{
	for (uint32_t i = 0; i < e->nkills; i++) {
		struct emu_kill *k = &e->kills[i];

		if (!k->done)
			continue;
		for (uint32_t j = 0; j < k->nmags; j++) {
			struct dmm_peer *p;

			if (k->mags[j] != n->idx || k->detected[j] != DMM_TIME_NEVER)
				continue;
			p = dmm_peers_get(dmm_role_peers(n->mag), &e->nodes[k->node].addr, false);
			if ((p && p->state == DMM_PEER_DOWN) ||
			    dmm_role_stats(n->mag)->peers_down > n->peers_down_seen)
				k->detected[j] = e->eng.now;
		}
	}
}

bool emu_mn_registered_both(struct emu *e, const struct emu_mn *m)
{
	struct dmm_mnid id;
	struct emu_node *mag, *lma = &e->nodes[m->home_lma];
	const struct dmm_bul_entry *b;
	const struct dmm_bcache_entry *c;

	if (m->mag < 0)
		return false;
	mag = &e->nodes[m->mag];
	emu_mn_mnid(m->idx, &id);
	if (mag->maar) {
		/* RFC 8885: the S-MAAR holds the MN registered, the CMD names it S-MAAR. */
		struct emu_node *cmd = &e->nodes[mag->cmd_node];

		b = dmm_bul_find_mnid(dmm_maar_serving(mag->maar), &id);
		if (!b || b->state != DMM_BUL_REGISTERED || !cmd->cmd)
			return false;
		c = dmm_bcache_find_mnid(dmm_cmd_bcache(cmd->cmd), &id);
		return c && c->state == DMM_BCE_ACTIVE && dmm_addr_eq(dmm_bce_pcoa(c), &mag->addr);
	}
	if (!mag->mag)
		return false;
	b = dmm_bul_find_mnid(dmm_mag_bul(mag->mag), &id);
	if (!b || b->state != DMM_BUL_REGISTERED || !dmm_addr_eq(&b->lmaa, &lma->addr))
		return false;
	c = dmm_bcache_find_mnid(dmm_lma_bcache(lma->lma), &id);
	return c && c->state == DMM_BCE_ACTIVE && dmm_addr_eq(dmm_bce_pcoa(c), &mag->addr);
}
