/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * dmmd: the mobility daemon of one node. It loads and validates the
 * config, opens the data plane and the Mobility Header socket, creates
 * the role (LMA, MAG, MAAR or CMD) from the pure core, and runs an epoll
 * loop that feeds the role received messages, access-link events and
 * timer expiry.
 *
 * This file owns the loop. The access links (access.c) and the control
 * socket (ctl.c) are called from here and never call back: what they
 * need of the role comes from its ops table and the generic accessors of
 * dmm/role.h, and access.c asks for a new deadline through d->rearm.
 *
 * Signals: SIGTERM/SIGINT shut down cleanly (every intent, route, rule
 * and device the daemon installed is removed); SIGHUP reloads the config,
 * and a config that does not validate is refused with the reason while
 * the running one stays.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "dmm/bytes.h"
#include "dmm/err.h"
#include "dmm/fmt.h"
#include "dmm/mh.h"
#include "dmm/cmd.h"
#include "dmm/lma.h"
#include "dmm/maar.h"
#include "dmm/mag.h"
#include "dmm/peer.h"
#include "anchored.h"
#include "mcast.h"
#include "auth.h"
#include "conntrack.h"
#include "dmmd.h"
#include "lmadisc.h"
#include "ops.h"
#include "restart.h"

#define COUNTER_SYNC (1 * DMM_SECOND)
/* Intents whose counters one sync reads: a sweep of the table takes count / COUNTER_SLICE seconds. */
#define COUNTER_SLICE 4096
/*
 * Replies of one burst held until the data plane has committed its
 * changes (a burst of DMM_MHSOCK_BURST messages answers each once; a
 * reply beyond these goes out at once, before the commit).
 */
#define HOLD_MAX (4 * DMM_MHSOCK_BURST)

static dmm_time_t next_sync;
static struct dmmd_ct *sessions; /* MAAR with release-by "sessions" (daemon/conntrack.c) */

/* Where the counter sweep is: the last intent read (its id names a place in the table, fm.h). */
static struct {
	const struct dmm_fm *fm;
	struct dmm_intent at; /* id 0: at the start */
} sweep;

/* A reply produced by message msg of a burst, held until the commit. */
struct held {
	struct dmm_addr dst;
	size_t len;
	int msg; /* -1: not from a message of the burst */
	uint8_t buf[DMM_MH_MAX_LEN];
};

/* Intent id -> the message of the burst that installed it (open addressing, stamped per burst). */
struct imap_ent {
	uint32_t id, gen;
	int msg;
};

/*
 * A burst of Mobility Header messages handled as one data plane batch:
 * on between begin and commit, the message being handled, the replies
 * held, which messages had an intent refused, and the refused intents.
 */
static struct {
	bool on;
	int cur;
	struct held *held;
	unsigned nheld;
	bool refused[DMM_MHSOCK_BURST];
	struct imap_ent *map;
	uint32_t mapcap, nmap, gen;
	uint32_t *rids;
	unsigned nrids, caprids;
	dmm_time_t rx_at; /* when the messages being handled were received */
} burst = {.cur = -1};

/*
 * The core's tables, all allocated at start-up. Their pages are committed
 * here (a write per page of the zeroed block): the core hands out records
 * it never used lazily, and without this a table's pages would fault in
 * one by one under load, so dmmd's RSS would creep up for as long as any
 * record is still untouched instead of being what the configuration asks
 * for from the start.
 */
static void *z_alloc(void *ctx, size_t n)
{
	volatile char *p = calloc(1, n);

	(void)ctx;
	for (size_t i = 0; p && i < n; i += 4096)
		p[i] = 0;
	return (void *)p;
}

static void z_free(void *ctx, void *p)
{
	(void)ctx;
	free(p);
}

static void log_sink(void *ctx, enum dmm_log_level lvl, enum dmm_log_cat cat, const char *msg)
{
	struct dmmd *d = ctx;
	struct timespec ts;
	struct tm tm;
	char t[32];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(t, sizeof(t), "%H:%M:%S", &tm);
	fprintf(stderr, "%s.%03ld dmmd[%s] %s %s %s\n", t, ts.tv_nsec / 1000000,
		*d->cfg.name ? d->cfg.name : "-", dmm_log_level_name(lvl), dmm_log_cat_name(cat), msg);
}

static enum dmm_log_level level_of(const char *s)
{
	if (strcmp(s, "err") == 0)
		return DMM_LOG_ERR;
	if (strcmp(s, "warn") == 0)
		return DMM_LOG_WARN;
	if (strcmp(s, "debug") == 0)
		return DMM_LOG_DEBUG;
	return DMM_LOG_INFO;
}

/*
 * Every message leaves here: signed for a peer with an association (RFC
 * 4285 §5.1; buf has cap octets of room), at the moment it is sent so
 * that nothing changes it afterwards and its Replay Protection
 * timestamps go out in order. One that cannot be signed is not sent.
 */
static void mh_send(struct dmmd *d, const struct dmm_addr *dst, uint8_t *buf, size_t len, size_t cap,
		    dmm_time_t rx_at)
{
	int n = dmmd_auth_tx(d->auth, &d->cfg.address, dst, buf, cap, len, dmmd_auth_ntp_now());

	if (n < 0) {
		dmm_logf(&d->log, DMM_LOG_ERR, DMM_LC_MH, "MH type %u not sent: cannot sign it: %s",
			 len > 2 ? buf[2] : 0, dmm_strerror(n));
		return;
	}
	if (dmm_mhsock_send(&d->mh, dst, buf, (size_t)n) == 0)
		dmmd_obs_mh_out(d->obs, dst, buf, (size_t)n, rx_at, dmm_io_now());
}

static void env_send(void *ctx, const struct dmm_addr *src, const struct dmm_addr *dst, const uint8_t *buf,
		     size_t len)
{
	struct dmmd *d = ctx;
	uint8_t copy[DMM_MH_MAX_LEN];

	(void)src; /* the socket sends from the node address */
	if (len > sizeof(copy))
		return;
	if (burst.on && burst.nheld < HOLD_MAX) {
		struct held *h = &burst.held[burst.nheld++];

		h->dst = *dst;
		h->len = len;
		h->msg = burst.cur;
		memcpy(h->buf, buf, len);
		return;
	}
	memcpy(copy, buf, len);
	mh_send(d, dst, copy, len, sizeof(copy), burst.cur >= 0 ? burst.rx_at : 0);
}

static uint32_t imap_slot(uint32_t id, uint32_t cap)
{
	return (uint32_t)dmm_hash_u64(id) & (cap - 1);
}

static void imap_put_at(struct imap_ent *map, uint32_t cap, uint32_t id, uint32_t gen, int msg)
{
	uint32_t i = imap_slot(id, cap);

	while (map[i].gen == gen && map[i].id != id)
		i = (i + 1) & (cap - 1);
	map[i] = (struct imap_ent){.id = id, .gen = gen, .msg = msg};
}

/* Intent id was installed by message msg of the burst (the map doubles when half full). */
static void imap_put(uint32_t id, int msg)
{
	if ((burst.nmap + 1) * 2 > burst.mapcap) {
		uint32_t cap = burst.mapcap ? burst.mapcap * 2 : 1024;
		struct imap_ent *m = calloc(cap, sizeof(*m));

		if (!m)
			return;
		for (uint32_t i = 0; i < burst.mapcap; i++)
			if (burst.map[i].gen == burst.gen)
				imap_put_at(m, cap, burst.map[i].id, burst.gen, burst.map[i].msg);
		free(burst.map);
		burst.map = m;
		burst.mapcap = cap;
	}
	imap_put_at(burst.map, burst.mapcap, id, burst.gen, msg);
	burst.nmap++;
}

/* The message of the burst that installed intent id, or -1. */
static int imap_get(uint32_t id)
{
	if (!burst.mapcap)
		return -1;
	for (uint32_t i = imap_slot(id, burst.mapcap); burst.map[i].gen == burst.gen;
	     i = (i + 1) & (burst.mapcap - 1))
		if (burst.map[i].id == id)
			return burst.map[i].msg;
	return -1;
}

/* The backend speaks errno; the core gets one code of its own for this. */
static int dp_result(struct dmmd *d, const struct dmm_intent *in, int rc)
{
	char p[DMM_PREFIX_STRLEN];

	if (rc == 0) {
		/* In a burst the kernel may still refuse it at commit: remember whose it is. */
		if (burst.on && burst.cur >= 0)
			imap_put(in->id, burst.cur);
		return 0;
	}
	dmm_logf(&d->log, DMM_LOG_ERR, DMM_LC_DP, "%s data plane: intent %s %s %s: %s", d->dpo->name,
		 dmm_fm_match_name(in->match), dmm_prefix_str(&in->prefix, p), dmm_fm_action_name(in->action),
		 strerror(-rc));
	return DMM_ERR_DATAPLANE;
}

static int dp_install(void *ctx, const struct dmm_intent *in)
{
	struct dmmd *d = ctx;
	int rc = dp_result(d, in, d->dpo->install(d->dp, in));

	if (rc == 0)
		dmmd_obs_added(d->obs, in, dmm_io_now());
	return rc;
}

/* A handoff: the backend swaps the forwarding in one step (fm.h). */
static int dp_replace(void *ctx, const struct dmm_intent *old, const struct dmm_intent *in)
{
	struct dmmd *d = ctx;

	dmmd_obs_replacing(d->obs, old, in, dmm_io_now()); /* reads old's counters first */
	return dp_result(d, in, d->dpo->replace(d->dp, old, in));
}

static void dp_remove(void *ctx, const struct dmm_intent *in)
{
	struct dmmd *d = ctx;

	dmmd_obs_removing(d->obs, in, dmm_io_now()); /* reads its counters first */
	d->dpo->remove(d->dp, in);
}

static void env_mn_event(void *ctx, const struct dmm_mn_event *ev)
{
	struct dmmd *d = ctx;

	if (d->access)
		dmmd_access_mn_event(d->access, ev);
}

/* docs/dmm-protocol.md §14 (RFC 7161): the host's multicast subscription in the handover context. */
static void env_mcast_get(void *ctx, const struct dmm_mnid *mnid, uint32_t link, struct dmm_mcast_groups *out)
{
	struct dmmd *d = ctx;

	(void)mnid; /* one host per access link: the link's groups are its own */
	out->n = 0;
	dmmd_mcast_ctx_get(d->mcast, (int)link, out);
}

static void env_mcast_put(void *ctx, const struct dmm_mnid *mnid, uint32_t link,
			  const struct dmm_mcast_groups *in)
{
	struct dmmd *d = ctx;

	(void)mnid;
	dmmd_mcast_ctx_put(d->mcast, (int)link, in);
}

/* docs/dmm-protocol.md §11: the MAAR's anchored prefixes into the anchored table. */
static void env_anchored(void *ctx, const struct dmm_prefix *p, bool up, bool taken_over)
{
	struct dmmd *d = ctx;

	dmmd_anchored_event(d->anchored, p, up, taken_over);
}

/* docs/dmm-protocol.md §11.1: the usage an anchored prefix hands over on relocation, and takes over. */
static int env_usage_get(void *ctx, struct dmm_handle owner, const struct dmm_prefix *p,
			 const struct dmm_addr *to, struct dmm_usage *u)
{
	struct dmmd *d = ctx;

	(void)p;
	return dmmd_obs_usage_get(d->obs, owner, to, u);
}

static void env_usage_continue(void *ctx, struct dmm_handle owner, const struct dmm_prefix *p,
			       const struct dmm_usage *u)
{
	struct dmmd *d = ctx;

	(void)p;
	dmmd_obs_usage_continue(d->obs, owner, u);
}

/* Build a policy store from cfg. NULL on error (message in err). */
static struct dmm_policy *policy_build(const struct dmmd_config *cfg, const struct dmm_alloc *a, char *err,
				       size_t errlen)
{
	struct dmm_policy *p =
		dmm_policy_new(a, cfg->nprofiles + 16, cfg->nmags + 16, (uint64_t)dmm_io_now());

	if (!p) {
		snprintf(err, errlen, "policy store: out of memory");
		return NULL;
	}
	for (uint32_t i = 0; i < cfg->nprofiles; i++)
		if (dmm_policy_set(p, &cfg->profiles[i]) != 0)
			goto fail;
	if (cfg->has_default && dmm_policy_set_default(p, &cfg->default_profile) != 0)
		goto fail;
	for (uint32_t i = 0; i < cfg->nmags; i++)
		if (dmm_policy_add_mag(p, &cfg->mags[i]) != 0)
			goto fail;
	dmm_policy_set_allow_any_mag(p, cfg->any_mag);
	return p;
fail:
	snprintf(err, errlen, "policy store: cannot hold the configured profiles");
	dmm_policy_free(p);
	return NULL;
}

/*
 * The config -> role mapping, one row per enum dmmd_role: the role's ops
 * table and a function that hands it its own config struct with the
 * policy store filled in. Everything else about a role goes through the
 * ops table and the generic accessors of dmm/role.h.
 */
static const void *lma_cfg(struct dmmd_config *cfg, struct dmm_policy *pol)
{
	cfg->lma.policy = pol;
	return &cfg->lma;
}

static const void *mag_cfg(struct dmmd_config *cfg, struct dmm_policy *pol)
{
	cfg->mag.policy = pol;
	return &cfg->mag;
}

static const void *maar_cfg(struct dmmd_config *cfg, struct dmm_policy *pol)
{
	cfg->maar.policy = pol;
	return &cfg->maar;
}

static const void *cmd_cfg(struct dmmd_config *cfg, struct dmm_policy *pol)
{
	cfg->cmd.policy = pol;
	return &cfg->cmd;
}

static const struct {
	const struct dmm_role_ops *ops;
	const void *(*cfg)(struct dmmd_config *cfg, struct dmm_policy *pol);
} roles[] = {
	[DMMD_ROLE_LMA] = {&dmm_lma_ops, lma_cfg},
	[DMMD_ROLE_MAG] = {&dmm_mag_ops, mag_cfg},
	[DMMD_ROLE_MAAR] = {&dmm_maar_ops, maar_cfg},
	[DMMD_ROLE_CMD] = {&dmm_cmd_ops, cmd_cfg},
};

/* The role's config struct with the policy filled in. */
static const void *role_cfg(struct dmmd_config *cfg, struct dmm_policy *pol)
{
	return roles[cfg->role].cfg(cfg, pol);
}

/*
 * The counters of the next COUNTER_SLICE intents of the table, so a sync
 * costs the same however many intents there are; the sweep goes on where
 * the last one stopped (a removed intent's place stays a place in the
 * table) and starts over at the end.
 */
static void sync_counters(struct dmmd *d, dmm_time_t now)
{
	struct dmm_fm *fm = dmm_role_fm(d->role);
	const struct dmm_intent *in;
	uint64_t p, b;

	if (!fm || !dmm_fm_counts(fm)) /* the LMA's table keeps none: `show intents` reads the data plane */
		return;
	if (sweep.fm != fm) {
		sweep.fm = fm;
		sweep.at.id = 0;
	}
	for (unsigned k = 0; k < COUNTER_SLICE; k++) {
		in = dmm_fm_next(fm, sweep.at.id ? &sweep.at : NULL);
		sweep.at.id = in ? in->id : 0;
		if (!in)
			break;
		if (d->dpo->counters(d->dp, in->id, &p, &b) == 0)
			dmm_fm_report(fm, in->id, p, b, now);
	}
}

static void rearm(struct dmmd *d);

static void on_deadline(void *ctx)
{
	struct dmmd *d = ctx;
	dmm_time_t now = dmm_io_now();

	d->ro->expire(d->role, now);
	dmmd_disc_expire(d->disc, now); /* RFC 6097: a lookup due, or the resolver's timeout */
	if (now >= next_sync) {
		sync_counters(d, now);
		dmmd_ct_poll(sessions, now); /* GAP2-1: sessions per old prefix, before the idle check */
		next_sync = now + COUNTER_SYNC;
	}
	rearm(d);
}

/* Re-arm the loop's timer for the role's next deadline (or the next counter sync). */
static void rearm(struct dmmd *d)
{
	dmm_time_t t = d->ro->next_deadline(d->role), disc = dmmd_disc_next(d->disc);
	dmm_time_t hw = dmmd_ctl_hwait(d, dmm_io_now()); /* a handover's wait: the HAck came? */

	dmmd_obs_peers(d->obs); /* the role was just driven: peers that went up or down */
	if (hw < t)
		t = hw;
	if (next_sync < t)
		t = next_sync;
	if (disc < t)
		t = disc;
	dmm_loop_set_deadline(d->loop, t, on_deadline, d);
}

/* The data plane refused intent id at commit: noted, handled once commit has returned. */
static void on_refused(void *ctx, uint32_t id, int err)
{
	struct dmmd *d = ctx;

	dmm_logf(&d->log, DMM_LOG_ERR, DMM_LC_DP, "%s data plane: intent %u refused: %s", d->dpo->name, id,
		 strerror(-err));
	if (burst.nrids == burst.caprids) {
		unsigned cap = burst.caprids ? burst.caprids * 2 : 64;
		uint32_t *r = realloc(burst.rids, cap * sizeof(*r));

		if (!r)
			return;
		burst.rids = r;
		burst.caprids = cap;
	}
	burst.rids[burst.nrids++] = id;
}

/*
 * RFC 5213 §5.3 (and §8.2 for the layout): a PBA with status 0 says the
 * forwarding is in place. One whose forwarding the kernel refused says
 * 130 (Insufficient resources) with lifetime 0 instead, as the LMA
 * answers when the data plane refuses at once (lma_pbu.c).
 */
static void pba_refused(uint8_t *buf, size_t len)
{
	if (len < 12 || buf[2] != DMM_MH_BA || buf[6] >= 128)
		return;
	buf[6] = DMM_BA_INSUFFICIENT_RESOURCES;
	dmm_put_u16(buf + 10, 0);
}

/* Start a burst: the data plane queues, the replies are held. */
static bool burst_begin(struct dmmd *d)
{
	if (!d->dpo->begin || !d->dpo->commit || !dmm_role_fm(d->role))
		return false;
	if (!burst.held) {
		burst.held = calloc(HOLD_MAX, sizeof(*burst.held));
		if (!burst.held)
			return false;
	}
	if (++burst.gen == 0) { /* stamps wrapped: forget them all */
		memset(burst.map, 0, burst.mapcap * sizeof(*burst.map));
		burst.gen = 1;
	}
	burst.nmap = 0;
	burst.nheld = 0;
	burst.nrids = 0;
	memset(burst.refused, 0, sizeof(burst.refused));
	d->dpo->begin(d->dp);
	burst.on = true;
	return true;
}

/*
 * Commit the burst's data plane changes, then tell the role about each
 * refused intent's binding (role op refused) and send the held replies,
 * a refused binding's PBA rewritten.
 */
static void burst_end(struct dmmd *d)
{
	struct dmm_fm *fm = dmm_role_fm(d->role);
	int rc;

	burst.on = false;
	burst.cur = -1;
	rc = d->dpo->commit(d->dp, on_refused, d);
	if (rc < 0)
		dmm_logf(&d->log, DMM_LOG_ERR, DMM_LC_DP, "%s data plane: batch: %s", d->dpo->name,
			 strerror(-rc));
	for (unsigned i = 0; i < burst.nrids; i++) {
		const struct dmm_intent *in = dmm_fm_get(fm, burst.rids[i]);
		int msg = imap_get(burst.rids[i]);

		if (msg >= 0)
			burst.refused[msg] = true;
		if (in && d->ro->refused)
			d->ro->refused(d->role, in->owner, dmm_io_now());
	}
	for (unsigned i = 0; i < burst.nheld; i++) {
		struct held *h = &burst.held[i];

		if (h->msg >= 0 && burst.refused[h->msg])
			pba_refused(h->buf, h->len);
		mh_send(d, &h->dst, h->buf, h->len, sizeof(h->buf), h->msg >= 0 ? burst.rx_at : 0);
	}
	burst.nheld = 0;
}

/*
 * RFC 4285: a message from a peer with an association goes to the role
 * only once verified, so a refused one changes nothing; the answer it may
 * get (a PBA 146 or 144) is already signed.
 */
static bool mh_verified(struct dmmd *d, const struct dmm_mh_rx *rx)
{
	static uint8_t reply[DMM_MH_MAX_LEN];
	size_t rlen;

	if (dmmd_auth_rx(d->auth, &rx->src, &rx->dst, rx->buf, (size_t)rx->len, dmmd_auth_ntp_now(),
			 dmm_io_now(), reply, sizeof(reply), &rlen))
		return true;
	if (rlen)
		dmm_mhsock_send(&d->mh, &rx->src, reply, rlen);
	return false;
}

static void on_mh(void *ctx, int fd, uint32_t ev)
{
	static uint8_t bufs[DMM_MHSOCK_BURST][4096];
	struct dmm_mh_rx rx[DMM_MHSOCK_BURST];
	struct dmmd *d = ctx;

	(void)fd;
	(void)ev;
	for (unsigned i = 0; i < DMM_MHSOCK_BURST; i++)
		rx[i] = (struct dmm_mh_rx){.buf = bufs[i], .cap = sizeof(bufs[i])};
	/*
	 * Drain the socket a burst at a time; each message goes to the role
	 * whole (rule 5: it parses fully, then acts). The data plane changes
	 * of a burst go to the kernel together, and its replies after them.
	 */
	for (int round = 0; round < 4; round++) {
		int n = dmm_mhsock_recv_burst(&d->mh, rx, DMM_MHSOCK_BURST);
		bool batched;

		if (n <= 0)
			break;
		batched = burst_begin(d);
		burst.rx_at = dmm_io_now();
		for (int i = 0; i < n; i++) {
			burst.cur = i;
			if (rx[i].len <= 0 || !mh_verified(d, &rx[i]))
				continue;
			dmmd_obs_mh_in(d->obs, &rx[i].src, rx[i].buf, (size_t)rx[i].len, burst.rx_at);
			d->ro->recv(d->role, &rx[i].src, &rx[i].dst, rx[i].buf, (size_t)rx[i].len,
				    dmm_io_now());
		}
		burst.cur = -1;
		if (batched)
			burst_end(d);
		if (n < DMM_MHSOCK_BURST)
			break;
	}
	rearm(d);
}

static void on_dp(void *ctx, int fd, uint32_t ev)
{
	struct dmmd *d = ctx;

	(void)fd;
	(void)ev;
	d->dpo->poll(d->dp);
}

/*
 * The peers whose heartbeat is off by configuration (RFC 5847 §3: an
 * implementation that breaks on heartbeats). The peer table keeps the set
 * apart from its entries, so it holds for peers that appear later too;
 * a reload replaces it as a whole.
 */
static void apply_peer_settings(struct dmmd *d)
{
	struct dmm_addr off[DMMD_MAX_PEERS];
	uint32_t n = 0;
	char a[DMM_ADDR_STRLEN];

	for (uint32_t i = 0; i < d->cfg.npeers && n < DMMD_MAX_PEERS; i++)
		if (!d->cfg.peers[i].heartbeat)
			off[n++] = d->cfg.peers[i].address;
	if (dmm_peers_set_no_heartbeat(dmm_role_peers(d->role), off, n, dmm_io_now()) != 0) {
		dmm_logf(&d->log, DMM_LOG_ERR, DMM_LC_CFG,
			 "%u peers with heartbeat off: more than the peer table holds, setting not applied",
			 n);
		return;
	}
	for (uint32_t i = 0; i < n; i++)
		dmm_logf(&d->log, DMM_LOG_INFO, DMM_LC_CFG, "peer %s: heartbeat off",
			 dmm_addr_str(&off[i], a));
}

/*
 * The usage records of the config (docs/operations.md), opened anew; the
 * old stream stays when the new one cannot be opened. A reload reopens
 * the file even when its name did not change (log rotation).
 */
static void open_usage(struct dmmd *d)
{
	const struct dmmd_monitoring_cfg *m = &d->cfg.mon;
	struct dmmd_usage *u = NULL;

	if (*m->usage_file || m->usage_syslog >= 0) {
		u = dmmd_usage_open(*m->usage_file ? m->usage_file : NULL, m->usage_syslog);
		if (!u) {
			dmm_logf(&d->log, DMM_LOG_ERR, DMM_LC_CFG, "usage records: %s: %s", m->usage_file,
				 strerror(errno));
			return;
		}
	}
	dmmd_usage_close(d->usage);
	d->usage = u;
}

static void reload(struct dmmd *d)
{
	struct dmmd_config nc;
	struct dmm_policy *np;
	char err[512];
	int rc;

	/* A load that fails leaves nc untouched: the check below must see NULLs, not stack garbage. */
	memset(&nc, 0, sizeof(nc));
	if (dmmd_config_load(d->cfg_path, &nc, err, sizeof(err)) < 0 ||
	    dmmd_config_reloadable(&d->cfg, &nc, err, sizeof(err)) < 0) {
		if (nc.profiles || nc.mags || nc.sa)
			dmmd_config_free(&nc);
		d->reloads_refused++;
		snprintf(d->reload_err, sizeof(d->reload_err), "%s", err);
		dmm_logf(&d->log, DMM_LOG_ERR, DMM_LC_CFG, "reload refused, running config kept: %s", err);
		return;
	}
	/* The Restart Counter belongs to this run (RFC 5847 §3.2): a reload keeps it. */
	dmmd_config_set_restart_counter(&nc, dmmd_config_restart_counter(&d->cfg));
	np = policy_build(&nc, &d->alloc, err, sizeof(err));
	if (!np) {
		dmmd_config_free(&nc);
		d->reloads_refused++;
		snprintf(d->reload_err, sizeof(d->reload_err), "%s", err);
		dmm_logf(&d->log, DMM_LOG_ERR, DMM_LC_CFG, "reload refused, running config kept: %s", err);
		return;
	}
	/* The new keys first (every key file was read and checked by the load). */
	if (dmmd_auth_configure(d->auth, nc.sa, nc.nsa) < 0) {
		dmm_policy_free(np);
		dmmd_config_free(&nc);
		d->reloads_refused++;
		snprintf(d->reload_err, sizeof(d->reload_err), "libcrypto");
		dmm_logf(&d->log, DMM_LOG_ERR, DMM_LC_CFG, "reload refused, running config kept: libcrypto");
		return;
	}
	rc = d->ro->reconfigure(d->role, role_cfg(&nc, np), dmm_io_now());
	if (rc < 0) {
		dmmd_auth_configure(d->auth, d->cfg.sa, d->cfg.nsa); /* back to the running keys */
		dmm_policy_free(np);
		dmmd_config_free(&nc);
		d->reloads_refused++;
		snprintf(d->reload_err, sizeof(d->reload_err), "refused by the role: %s", dmm_strerror(rc));
		dmm_logf(&d->log, DMM_LOG_ERR, DMM_LC_CFG,
			 "reload refused by the role (%s), running config kept", dmm_strerror(rc));
		return;
	}
	dmm_policy_free(d->policy);
	d->policy = np;
	{
		struct dmmd_config oc = d->cfg;

		d->cfg = nc;
		apply_peer_settings(d);
		dmmd_config_free(&oc);
	}
	if (dmmd_disc_reconfigure(d) < 0)
		dmm_logf(&d->log, DMM_LOG_ERR, DMM_LC_CFG, "lma-discovery: the resolver did not start again");
	d->log.max_level = level_of(d->cfg.log_level);
	open_usage(d);
	d->reloads_ok++;
	dmm_logf(&d->log, DMM_LOG_INFO, DMM_LC_CFG, "config reloaded from %s", d->cfg_path);
	rearm(d);
}

static void on_signal(void *ctx, int fd, uint32_t ev)
{
	struct dmmd *d = ctx;
	struct signalfd_siginfo si;

	(void)ev;
	while (read(fd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP)
			reload(d);
		else
			d->stop = true;
	}
}

static void usage(FILE *f)
{
	fprintf(f, "usage: dmmd -c CONFIG [--check]\n"
		   "  -c, --config FILE  node configuration (JSON encoding of the dmm YANG model)\n"
		   "  --check            validate the configuration and exit\n"
		   "signals: SIGTERM/SIGINT stop and remove everything installed; SIGHUP reloads\n");
}

/* The command line into d->cfg_path and *check_only; -1 to go on, else the exit status. */
static int parse_args(int argc, char **argv, struct dmmd *d, bool *check_only)
{
	static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
					     {"check", no_argument, NULL, 'k'},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	int c;

	while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			d->cfg_path = optarg;
			break;
		case 'k':
			*check_only = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (!d->cfg_path) {
		usage(stderr);
		return 2;
	}
	return -1;
}

/* Signals arrive on a signalfd in the loop: SIGTERM/SIGINT stop, SIGHUP reloads. */
static int open_loop(struct dmmd *d)
{
	sigset_t mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	d->sig_fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	d->loop = dmm_loop_new();
	if (d->sig_fd < 0 || !d->loop) {
		fprintf(stderr, "dmmd: %s\n", strerror(errno));
		return -1;
	}
	dmm_loop_add(d->loop, d->sig_fd, on_signal, d);
	return 0;
}

/* The data plane backend and the Mobility Header socket, both in the loop. */
static int open_io(struct dmmd *d)
{
	struct dmm_dp_cfg dpc;
	char err[512];
	int rc;

	memset(&dpc, 0, sizeof(dpc));
	dpc.local = dmmd_config_dp_local(&d->cfg);
	snprintf(dpc.tun_name, sizeof(dpc.tun_name), "%s", d->cfg.tun_name);
	dpc.buf_packets = d->cfg.buffer_packets;
	dpc.buf_bytes = d->cfg.buffer_bytes;
	dpc.buf_time_ms = d->cfg.buffer_time_ms;
	dpc.no_intents = d->cfg.role == DMMD_ROLE_CMD;
	d->dpo = dmm_dp_find(d->cfg.dataplane);
	d->dp = d->dpo->open(&dpc, err, sizeof(err));
	if (!d->dp) {
		fprintf(stderr, "dmmd: data plane %s: %s\n", d->cfg.dataplane, err);
		return -1;
	}
	if (d->dpo->fd(d->dp) >= 0)
		dmm_loop_add(d->loop, d->dpo->fd(d->dp), on_dp, d);
	rc = dmm_mhsock_open(&d->mh, d->cfg.transport == DMMD_TRANSPORT_UDP ? DMM_MH_UDP : DMM_MH_RAW_IP6,
			     &d->cfg.address);
	if (rc < 0) {
		fprintf(stderr, "dmmd: mobility header socket: %s\n", strerror(-rc));
		return -1;
	}
	dmm_loop_add(d->loop, d->mh.fd, on_mh, d);
	return 0;
}

/* The role instance with its environment, its access links (if it has any) and the control socket. */
static int start_role(struct dmmd *d)
{
	d->env = (struct dmm_env){.alloc = &d->alloc,
				  .log = &d->log,
				  .send = env_send,
				  .mn_event = env_mn_event,
				  .ctx = d,
				  .fm = {.install = dp_install,
					 .remove = dp_remove,
					 .replace = d->dpo->replace ? dp_replace : NULL,
					 .caps = d->dpo->fm_caps,
					 .ctx = d},
				  .seed = (uint64_t)dmm_io_now() ^ ((uint64_t)getpid() << 32),
				  .wall_offset = dmm_io_wall_offset()};
	struct dmm_addr off[DMMD_MAX_PEERS];
	uint32_t n = 0;

	for (uint32_t i = 0; i < d->cfg.npeers && n < DMMD_MAX_PEERS; i++)
		if (!d->cfg.peers[i].heartbeat)
			off[n++] = d->cfg.peers[i].address;
	d->env.no_heartbeat = off; /* from the start: not even a restart announcement (RFC 5847 §3) */
	d->env.n_no_heartbeat = n;
	if (d->cfg.role == DMMD_ROLE_MAAR && (d->cfg.anchored_table || d->cfg.routed_table)) {
		d->anchored = dmmd_anchored_open(d, DMMD_RT_PROTO);
		if (!d->anchored) {
			fprintf(stderr, "dmmd: cannot open the anchored and routed tables\n");
			return -1;
		}
		d->env.anchored = env_anchored;
	}
	if (d->cfg.role == DMMD_ROLE_MAAR && d->cfg.mcast.mode != DMMD_MCAST_OFF) { /* §14 */
		d->env.mcast_get = env_mcast_get;
		d->env.mcast_put = env_mcast_put;
	}
	if (d->cfg.role == DMMD_ROLE_MAAR) { /* §11.1: usage records stay whole across relocations */
		d->env.usage_get = env_usage_get;
		d->env.usage_continue = env_usage_continue;
	}
	d->ro = roles[d->cfg.role].ops;
	d->role = d->ro->create(&d->env, role_cfg(&d->cfg, d->policy), dmm_io_now());
	d->env.no_heartbeat = NULL;
	d->env.n_no_heartbeat = 0;
	if (!d->role) {
		fprintf(stderr, "dmmd: cannot create the %s role (config or memory)\n", d->ro->name);
		return -1;
	}
	if (d->cfg.role == DMMD_ROLE_MAAR && d->cfg.maar.release_by_sessions &&
	    !(sessions = dmmd_ct_open(d))) {
		fprintf(stderr, "dmmd: cannot read connection tracking (release-by sessions)\n");
		return -1;
	}
	/* Access-side roles (MAG, MAAR) are the ones with attach (dmm/role.h). */
	if (d->ro->attach) {
		d->access = dmmd_access_open(d);
		if (!d->access) {
			fprintf(stderr, "dmmd: cannot open the access links\n");
			return -1;
		}
	}
	/* The MLD proxy (daemon/mcast.c, RFC 6224 §4, RFC 7429 REQ8). */
	if (d->cfg.mcast.mode != DMMD_MCAST_OFF && !(d->mcast = dmmd_mcast_open(d))) {
		fprintf(stderr, "dmmd: cannot start the MLD proxy (multicast)\n");
		return -1;
	}
	/* RFC 6097: the LMA's address by DNS; MNs register once the first answer is in. */
	{
		bool err;

		d->disc = dmmd_disc_open(d, &err);
		if (err) {
			fprintf(stderr, "dmmd: cannot start the resolver for lma-discovery\n");
			return -1;
		}
	}
	if (dmmd_ctl_open(d) < 0) {
		fprintf(stderr, "dmmd: control socket %s: %s\n", d->cfg.ctl_path, strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * RFC 5847 §3.2: this start's Restart Counter, from the state file and
 * written back to it before the role exists, so no peer ever sees a
 * value that a later start could repeat.
 */
static int start_counter(struct dmmd *d)
{
	char err[512];
	uint32_t rc;

	if (dmmd_restart_counter_next(d->cfg.state_file, d->cfg.restart_counter_initial, &rc, err,
				      sizeof(err)) < 0) {
		fprintf(stderr, "dmmd: restart counter: %s (set dmm:node/state-file to a writable path)\n",
			err);
		return -1;
	}
	dmmd_config_set_restart_counter(&d->cfg, rc);
	dmm_logf(&d->log, DMM_LOG_INFO, DMM_LC_CFG, "restart counter %u (%s)", rc, d->cfg.state_file);
	return 0;
}

/* RFC 4285 associations: the keys of the config in libcrypto contexts; the warning of a node without any. */
static int start_auth(struct dmmd *d)
{
	d->auth = calloc(1, sizeof(*d->auth));
	if (!d->auth) {
		fprintf(stderr, "dmmd: out of memory\n");
		return -1;
	}
	dmmd_auth_init(d->auth, &d->log);
	if (dmmd_auth_configure(d->auth, d->cfg.sa, d->cfg.nsa) < 0) {
		fprintf(stderr, "dmmd: libcrypto cannot set up the HMAC keys\n");
		return -1;
	}
	if (!d->cfg.nsa)
		dmm_logf(&d->log, DMM_LOG_WARN, DMM_LC_CFG,
			 "signalling is unprotected (no security associations)");
	else
		dmm_logf(&d->log, DMM_LOG_INFO, DMM_LC_CFG, "%u security associations (RFC 4285)",
			 d->cfg.nsa);
	return 0;
}

/* The observer and the event stream (before the role: it may send at once), the usage records. */
static int start_ops(struct dmmd *d)
{
	d->obs = dmmd_obs_new(d);
	d->events = dmmd_events_new(d->loop);
	if (!d->obs || !d->events) {
		fprintf(stderr, "dmmd: out of memory\n");
		return -1;
	}
	open_usage(d);
	if ((*d->cfg.mon.usage_file || d->cfg.mon.usage_syslog >= 0) && !d->usage) {
		fprintf(stderr, "dmmd: usage records: %s: %s\n", d->cfg.mon.usage_file, strerror(errno));
		return -1;
	}
	return 0;
}

/* /metrics (docs/operations.md), once the role exists. */
static int start_metrics(struct dmmd *d)
{
	char err[256];

	if (!d->cfg.mon.metrics)
		return 0;
	d->metrics = dmmd_metrics_start(d, err, sizeof(err));
	if (!d->metrics) {
		fprintf(stderr, "dmmd: metrics: %s\n", err);
		return -1;
	}
	dmm_logf(&d->log, DMM_LOG_INFO, DMM_LC_CFG, "metrics on http://%s%s%s:%u/metrics",
		 strchr(d->cfg.mon.metrics_address, ':') ? "[" : "", d->cfg.mon.metrics_address,
		 strchr(d->cfg.mon.metrics_address, ':') ? "]" : "", d->cfg.mon.metrics_port);
	return 0;
}

/* Remove everything in the reverse order of its making; accepts a half-started daemon. */
static void shut_down(struct dmmd *d)
{
	dmmd_metrics_stop(d->metrics);
	d->metrics = NULL;
	d->stop = true; /* the usage records of the bindings removed now say "shutdown" */
	dmmd_ctl_close(d);
	dmmd_mcast_close(d->mcast);
	d->mcast = NULL;
	dmmd_disc_close(d->disc);
	d->disc = NULL;
	if (d->access)
		dmmd_access_close(d->access);
	if (d->role) {
		/* Removes every intent through the data plane: in batches where it has them. */
		if (d->dp && d->dpo->begin)
			d->dpo->begin(d->dp);
		d->ro->destroy(d->role);
		if (d->dp && d->dpo->commit)
			d->dpo->commit(d->dp, NULL, NULL);
	}
	dmmd_ct_close(sessions);
	sessions = NULL;
	dmmd_anchored_close(d->anchored); /* withdraws every anchored prefix */
	if (d->dp)
		d->dpo->close(d->dp); /* removes its routes, rules and devices */
	dmmd_usage_close(d->usage);
	dmmd_events_free(d->events);
	dmmd_obs_free(d->obs);
	dmm_mhsock_close(&d->mh);
	if (d->auth)
		dmmd_auth_clear(d->auth);
	free(d->auth);
	dmm_policy_free(d->policy);
	dmmd_config_free(&d->cfg);
	free(burst.held);
	free(burst.map);
	free(burst.rids);
	if (d->sig_fd >= 0)
		close(d->sig_fd);
	dmm_loop_free(d->loop);
}

int main(int argc, char **argv)
{
	static struct dmmd d;
	char err[512];
	bool check_only = false;
	int rc = parse_args(argc, argv, &d, &check_only);

	if (rc >= 0)
		return rc;
	if (dmmd_config_load(d.cfg_path, &d.cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "dmmd: config refused: %s\n", err);
		return 1;
	}
	if (check_only) {
		printf("dmmd: %s is valid\n", d.cfg_path);
		dmmd_config_free(&d.cfg);
		return 0;
	}
	d.ctl_fd = d.sig_fd = d.hwait.fd = -1;
	d.mh.fd = -1;
	d.alloc = (struct dmm_alloc){z_alloc, z_free, NULL};
	d.log = (struct dmm_log){log_sink, &d, level_of(d.cfg.log_level)};
	d.rearm = rearm;
	d.reload = reload;
	d.started = dmm_io_now();
	rc = 1;
	if (open_loop(&d) < 0)
		goto out;
	d.policy = policy_build(&d.cfg, &d.alloc, err, sizeof(err));
	if (!d.policy) {
		fprintf(stderr, "dmmd: %s\n", err);
		goto out;
	}
	if (start_counter(&d) < 0 || start_auth(&d) < 0 || start_ops(&d) < 0 || open_io(&d) < 0 ||
	    start_role(&d) < 0 || start_metrics(&d) < 0)
		goto out;
	apply_peer_settings(&d);
	/* A role without intents (the CMD keeps location only) has no data plane to speak of. */
	dmm_logf(&d.log, DMM_LOG_INFO, DMM_LC_CFG, "%s started: %s data plane, %s transport, control %s",
		 d.ro->name, dmm_role_fm(d.role) ? d.dpo->name : "no",
		 d.cfg.transport == DMMD_TRANSPORT_UDP ? "udp 5436" : "ip6 135", d.cfg.ctl_path);
	/* The commonest first-run surprise: every unlisted host refused (docs/dmmd.md, profiles). */
	if (!d.cfg.has_default)
		dmm_logf(&d.log, DMM_LOG_WARN, DMM_LC_CFG,
			 "no default-profile: only the %u hosts listed in mobile-nodes may register",
			 d.cfg.nprofiles);
	next_sync = dmm_io_now() + COUNTER_SYNC;
	rearm(&d);
	while (!d.stop)
		if (dmm_loop_run_once(d.loop, -1) < 0)
			break;
	dmm_logf(&d.log, DMM_LOG_INFO, DMM_LC_CFG, "stopping: removing everything installed");
	rc = 0;
out:
	shut_down(&d);
	return rc;
}
