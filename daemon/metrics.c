/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * /metrics in the Prometheus text format (version 0.0.4), served by
 * libmicrohttpd from a thread of its own, so that a slow or stuck HTTP
 * client never holds up the event loop.
 *
 * The HTTP thread never reads the daemon's state. A scrape asks the loop
 * for a snapshot (an eventfd in the loop) and waits up to SNAP_WAIT for
 * it; the loop copies the numbers (the role's counters, the O(1) counts
 * of its tables, the observer's histograms and counts) into the snapshot
 * under the lock and signals; the HTTP thread copies the snapshot out
 * and renders it without the lock. Nothing walks a binding table: a
 * scrape costs the same at 10 bindings as at 10^6. A loop that does not
 * answer in time (it is busy) gets the previous snapshot served.
 *
 * Names: the counters of the PMIPv6 MIB keep their RFC 6475 §4 object
 * names in snake case with _total (promtool refuses camelCase and a
 * counter without _total): pmip6InitialBindingRegistrations is
 * pmip6_initial_binding_registrations_total, and its HELP names the MIB
 * object. The rest is dmm_*.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "dmm/bcache.h"
#include "dmm/bul.h"
#include "dmm/err.h"
#include "dmm/mh.h"
#include "dmm/peer.h"
#include "dmmd.h"
#include "lmadisc.h"
#include "ops.h"

#define SNAP_WAIT_MS 2000
#define MAX_TABLES 4
#define MAX_ROLE_COUNTERS 32

struct snap_table {
	const char *kind; /* "binding-cache", or the role's label of the table */
	bool bcache;
	uint32_t count, capacity;
	uint32_t state[6];
};

/* The numbers of one scrape, copied by the loop (plain data: no pointer into the daemon but static strings). */
struct snap {
	bool valid;
	struct dmm_pmip_stats st;
	uint64_t rx_checksum_bad, reloads_ok, reloads_refused;
	struct snap_table table[MAX_TABLES];
	unsigned ntables;
	uint32_t intents, sessions, by_action[8];
	uint64_t buffered_packets;
	struct dmmd_hist hist[DMMD_H_N];
	uint64_t events, usage_records;
	unsigned followers;
	struct dmm_role_counter rc[MAX_ROLE_COUNTERS];
	size_t nrc;
	double uptime, start_time, fill_seconds;
	const char *role, *dataplane;
	char name[64];
};

struct dmmd_metrics {
	struct dmmd *d; /* the loop's side only */
	struct MHD_Daemon *mhd;
	int efd;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	uint64_t asked, filled; /* scrapes that asked for a snapshot, and the last one answered */
	struct snap snap;	/* under mu */
	double last_fill;	/* loop side: how long the last fill took, in seconds */
	uint64_t scrapes;	/* under mu */
};

/* --- the loop's side: the snapshot --- */

static double mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void fill_tables(const struct dmmd *d, struct snap *s)
{
	struct dmm_role_table t[MAX_TABLES];
	size_t n = d->ro->tables(d->role, t, MAX_TABLES);

	s->ntables = 0;
	for (size_t i = 0; i < n; i++) {
		struct snap_table *st = &s->table[s->ntables++];

		memset(st, 0, sizeof(*st));
		st->bcache = t[i].bcache != NULL;
		st->kind = t[i].kind ? t[i].kind : st->bcache ? "binding-cache" : "binding-update-list";
		if (st->bcache) {
			st->count = dmm_bcache_count(t[i].bcache);
			st->capacity = dmm_bcache_capacity(t[i].bcache);
			for (int k = 0; k < DMM_BCE_NSTATES; k++)
				st->state[k] = dmm_bcache_count_state(t[i].bcache, (enum dmm_bce_state)k);
		} else {
			st->count = dmm_bul_count(t[i].bul);
			st->capacity = dmm_bul_capacity(t[i].bul);
			for (int k = 0; k < DMM_BUL_NSTATES; k++)
				st->state[k] = dmm_bul_count_state(t[i].bul, (enum dmm_bul_state)k);
		}
	}
}

static void fill(const struct dmmd *d, struct snap *s)
{
	const struct dmm_fm *fm = dmm_role_fm(d->role);
	const struct dmmd_obs *o = d->obs;

	s->valid = true;
	s->st = *dmm_role_stats(d->role);
	s->rx_checksum_bad = d->mh.rx_checksum_bad;
	s->reloads_ok = d->reloads_ok;
	s->reloads_refused = d->reloads_refused;
	fill_tables(d, s);
	s->intents = fm ? dmm_fm_count(fm) : 0;
	s->sessions = o->sessions;
	memcpy(s->by_action, o->by_action, sizeof(s->by_action));
	memcpy(s->hist, o->hist, sizeof(s->hist));
	/* Packets held now: those of the live BUFFER intents (a handful, during handovers). */
	s->buffered_packets = 0;
	for (unsigned i = 0; i < DMMD_OBS_BUFFERS && o->by_action[DMM_FM_BUFFER]; i++) {
		uint64_t p = 0, b = 0;

		if (o->buffers[i] && d->dpo->counters(d->dp, o->buffers[i], &p, &b) == 0)
			s->buffered_packets += p;
	}
	s->events = dmmd_events_count(d->events);
	s->followers = dmmd_events_followers(d->events);
	s->usage_records = o->usage_records;
	s->nrc = d->ro->counters(d->role, s->rc, MAX_ROLE_COUNTERS);
	s->nrc += dmmd_disc_counters(d->disc, s->rc + s->nrc, MAX_ROLE_COUNTERS - s->nrc); /* RFC 6097 */
	s->uptime = (double)(dmm_io_now() - d->started) / 1e9;
	s->start_time = (double)((int64_t)d->started + dmm_io_wall_offset()) / 1e9;
	s->role = d->ro->name;
	s->dataplane = fm ? d->dpo->name : "none";
	snprintf(s->name, sizeof(s->name), "%s", d->cfg.name);
}

/* The eventfd: scrapes are waiting for a snapshot. */
static void on_ask(void *ctx, int fd, uint32_t events)
{
	struct dmmd_metrics *m = ctx;
	static struct snap s; /* the loop's thread only */
	uint64_t n, target;
	double t0 = mono_s();

	(void)events;
	if (read(fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		return;
	pthread_mutex_lock(&m->mu);
	target = m->asked;
	pthread_mutex_unlock(&m->mu);
	fill(m->d, &s);
	s.fill_seconds = m->last_fill;
	pthread_mutex_lock(&m->mu);
	m->snap = s;
	m->filled = target;
	pthread_cond_broadcast(&m->cv);
	pthread_mutex_unlock(&m->mu);
	m->last_fill = mono_s() - t0;
}

/* --- the HTTP thread's side: rendering --- */

struct out {
	char *buf;
	size_t len, cap;
	bool oom;
};

static void outf(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void outf(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(o->buf + o->len, o->cap - o->len, fmt, ap);
		va_end(ap);
		if (n < 0)
			return;
		if ((size_t)n < o->cap - o->len)
			break;
		char *nb = realloc(o->buf, o->cap * 2 + (size_t)n);

		if (!nb) {
			o->oom = true;
			return;
		}
		o->buf = nb;
		o->cap = o->cap * 2 + (size_t)n;
	}
	o->len += (size_t)n;
}

static void head(struct out *o, const char *name, const char *type, const char *help)
{
	outf(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void metric(struct out *o, const char *name, const char *type, const char *help, double v)
{
	head(o, name, type, help);
	outf(o, "%s %.17g\n", name, v);
}

/* RFC 6475 §4 pmip6Stats / pmip6BindingRegCounters objects, in snake case. */
static const struct {
	const char *name, *mib, *help;
	size_t off;
} mib[] = {
	{"pmip6_initial_binding_registrations_total", "pmip6InitialBindingRegistrations",
	 "initial binding registrations", offsetof(struct dmm_pmip_stats, initial_registrations)},
	{"pmip6_binding_life_time_extension_no_hand_off_total", "pmip6BindingLifeTimeExtensionNoHandOff",
	 "lifetime extensions without handoff", offsetof(struct dmm_pmip_stats, lifetime_ext_no_handoff)},
	{"pmip6_binding_life_time_extension_after_hand_off_total",
	 "pmip6BindingLifeTimeExtensionAfterHandOff", "lifetime extensions after a handoff",
	 offsetof(struct dmm_pmip_stats, lifetime_ext_after_handoff)},
	{"pmip6_binding_de_registrations_total", "pmip6BindingDeRegistrations", "de-registrations",
	 offsetof(struct dmm_pmip_stats, deregistrations)},
	{"pmip6_binding_binding_acks_total", "pmip6BindingBindingAcks",
	 "PBAs (sent by an LMA, received by a MAG)", offsetof(struct dmm_pmip_stats, binding_acks)},
	{"pmip6_proxy_reg_not_enabled_total", "pmip6ProxyRegNotEnabled", "PBAs with status 152",
	 offsetof(struct dmm_pmip_stats, ba_status[152])},
	{"pmip6_not_lma_for_this_mobile_node_total", "pmip6NotLMAForThisMobileNode", "PBAs with status 153",
	 offsetof(struct dmm_pmip_stats, ba_status[153])},
	{"pmip6_mag_not_authorized_for_proxy_reg_total", "pmip6MagNotAuthorizedForProxyReg",
	 "PBAs with status 154", offsetof(struct dmm_pmip_stats, ba_status[154])},
	{"pmip6_not_authorized_for_home_network_prefix_total", "pmip6NotAuthorizedForHomeNetworkPrefix",
	 "PBAs with status 155", offsetof(struct dmm_pmip_stats, ba_status[155])},
	{"pmip6_timestamp_mismatch_total", "pmip6TimestampMismatch", "PBAs with status 156",
	 offsetof(struct dmm_pmip_stats, ba_status[156])},
	{"pmip6_timestamp_lower_than_prev_accepted_total", "pmip6TimestampLowerThanPrevAccepted",
	 "PBAs with status 157", offsetof(struct dmm_pmip_stats, ba_status[157])},
	{"pmip6_missing_home_network_prefix_option_total", "pmip6MissingHomeNetworkPrefixOption",
	 "PBAs with status 158", offsetof(struct dmm_pmip_stats, ba_status[158])},
	{"pmip6_bce_pbu_prefix_set_do_not_match_total", "pmip6BcePbuPrefixSetDoNotMatch",
	 "PBAs with status 159", offsetof(struct dmm_pmip_stats, ba_status[159])},
	{"pmip6_missing_mn_identifier_option_total", "pmip6MissingMnIdentifierOption", "PBAs with status 160",
	 offsetof(struct dmm_pmip_stats, ba_status[160])},
	{"pmip6_missing_hand_off_indicator_option_total", "pmip6MissingHandOffIndicatorOption",
	 "PBAs with status 161", offsetof(struct dmm_pmip_stats, ba_status[161])},
	{"pmip6_missing_access_tech_type_option_total", "pmip6MissingAccessTechTypeOption",
	 "PBAs with status 162", offsetof(struct dmm_pmip_stats, ba_status[162])},
};

/* The role's other counters, dmm_*_total. */
static const struct {
	const char *name, *help;
	size_t off;
} more[] = {
	{"dmm_handoffs_total", "handoffs: the Proxy-CoA of a binding changed (RFC 5213 5.3.4)",
	 offsetof(struct dmm_pmip_stats, handoffs)},
	{"dmm_pbu_retransmissions_total", "PBUs sent again (RFC 5213 6.9.4)",
	 offsetof(struct dmm_pmip_stats, pbu_retransmissions)},
	{"dmm_pbu_give_ups_total", "PBUs never answered after the last retry",
	 offsetof(struct dmm_pmip_stats, pbu_give_ups)},
	{"dmm_rx_unknown_type_total", "Mobility Headers of an unknown type (answered with a BE)",
	 offsetof(struct dmm_pmip_stats, rx_unknown_type)},
	{"dmm_rx_unexpected_total", "well-formed messages not for this role or state",
	 offsetof(struct dmm_pmip_stats, rx_unexpected)},
	{"dmm_bri_sent_total", "BRIs sent (RFC 5846)", offsetof(struct dmm_pmip_stats, bri_sent)},
	{"dmm_bri_received_total", "BRIs received (RFC 5846)", offsetof(struct dmm_pmip_stats, bri_received)},
	{"dmm_heartbeat_requests_sent_total", "Heartbeat Requests sent (RFC 5847)",
	 offsetof(struct dmm_pmip_stats, hb_req_sent)},
	{"dmm_heartbeat_requests_received_total", "Heartbeat Requests received (RFC 5847)",
	 offsetof(struct dmm_pmip_stats, hb_req_rcvd)},
	{"dmm_heartbeat_responses_sent_total", "Heartbeat Responses sent (RFC 5847)",
	 offsetof(struct dmm_pmip_stats, hb_resp_sent)},
	{"dmm_heartbeat_responses_received_total", "Heartbeat Responses received (RFC 5847)",
	 offsetof(struct dmm_pmip_stats, hb_resp_rcvd)},
	{"dmm_peers_down_total", "peers found down (RFC 5847 3.1)",
	 offsetof(struct dmm_pmip_stats, peers_down)},
	{"dmm_peer_restarts_total", "peers seen restarted (RFC 5847 3.2)",
	 offsetof(struct dmm_pmip_stats, peer_restarts)},
	{"dmm_pool_exhausted_total", "registrations refused for want of a prefix",
	 offsetof(struct dmm_pmip_stats, pool_exhausted)},
	{"dmm_dataplane_refused_total", "intents the data plane refused at commit",
	 offsetof(struct dmm_pmip_stats, dp_refused)},
};

static uint64_t at(const struct dmm_pmip_stats *st, size_t off)
{
	uint64_t v;

	memcpy(&v, (const char *)st + off, sizeof(v));
	return v;
}

static void render_mib(struct out *o, const struct snap *s)
{
	const char *t = strcmp(s->role, "mag") == 0 ? "mag" : "lma";
	char n[96], h[128];

	for (size_t i = 0; i < sizeof(mib) / sizeof(mib[0]); i++) {
		snprintf(h, sizeof(h), "RFC 6475 %s: %s", mib[i].mib, mib[i].help);
		metric(o, mib[i].name, "counter", h, (double)at(&s->st, mib[i].off));
	}
	/* pmip6LmaHomeTunnelEstablished / pmip6MagHomeTunnelEstablished, by the role. */
	snprintf(n, sizeof(n), "pmip6_%s_home_tunnel_established_total", t);
	snprintf(h, sizeof(h), "RFC 6475 pmip6%sHomeTunnelEstablished: tunnels set up",
		 strcmp(t, "mag") == 0 ? "Mag" : "Lma");
	metric(o, n, "counter", h, (double)s->st.tunnels_established);
	snprintf(n, sizeof(n), "pmip6_%s_home_tunnel_released_total", t);
	snprintf(h, sizeof(h), "RFC 6475 pmip6%sHomeTunnelReleased: tunnels released",
		 strcmp(t, "mag") == 0 ? "Mag" : "Lma");
	metric(o, n, "counter", h, (double)s->st.tunnels_released);
	for (size_t i = 0; i < sizeof(more) / sizeof(more[0]); i++)
		metric(o, more[i].name, "counter", more[i].help, (double)at(&s->st, more[i].off));
	metric(o, "dmm_rx_checksum_bad_total", "counter", "Mobility Headers with a bad checksum (dropped)",
	       (double)s->rx_checksum_bad);
}

static void render_by_kind(struct out *o, const struct snap *s)
{
	head(o, "dmm_mh_messages_total", "counter", "Mobility Header messages by direction and type");
	for (int i = 0; i < 32; i++) {
		const struct dmm_mh_desc *md = dmm_mh_msg_desc((uint8_t)i, 1);
		const char *n = md ? (i == DMM_MH_BR ? "BR" : md->name) : NULL;

		if (!n)
			continue;
		outf(o, "dmm_mh_messages_total{direction=\"rx\",type=\"%s\"} %llu\n", n,
		     (unsigned long long)s->st.rx_by_type[i]);
		outf(o, "dmm_mh_messages_total{direction=\"tx\",type=\"%s\"} %llu\n", n,
		     (unsigned long long)s->st.tx_by_type[i]);
	}
	head(o, "dmm_pba_status_total", "counter", "PBAs by status (sent by an anchor, received by a MAG)");
	for (int i = 0; i < 256; i++)
		if (s->st.ba_status[i] || i == 0)
			outf(o, "dmm_pba_status_total{status=\"%d\"} %llu\n", i,
			     (unsigned long long)s->st.ba_status[i]);
	head(o, "dmm_rx_malformed_total", "counter", "malformed messages dropped, by error");
	for (int i = 1; i < DMM_STATS_MAX_ERR; i++)
		if (s->st.rx_malformed[i])
			outf(o, "dmm_rx_malformed_total{error=\"%s\"} %llu\n", dmm_errname(-i),
			     (unsigned long long)s->st.rx_malformed[i]);
}

/* Objects of machine k in each state: created and entered minus left and deleted. */
static void fsm_states(struct out *o, const struct snap *s, enum dmm_fsm_kind k, const char *name,
		       const char *label)
{
	const struct dmm_fsm_counts *t = &s->st.transitions;

	for (int st = 0; st < DMM_FSM_MAX_STATES; st++) {
		int64_t n = 0;
		const char *sn = dmm_fsm_state_name(k, st);

		for (int x = 0; x <= DMM_FSM_MAX_STATES; x++)
			n += (int64_t)t->n[k][x][st + 1] - (int64_t)t->n[k][st + 1][x];
		if (strcmp(sn, "?") != 0)
			outf(o, "%s{%s=\"%s\"} %lld\n", name, label, sn, (long long)n);
	}
}

static void render_gauges(struct out *o, const struct snap *s)
{
	static const char *const action[] = {"encap", "decap", "deliver", "buffer", "drop"};

	head(o, "dmm_bindings", "gauge",
	     "bindings by table and state (RFC 6475 pmip6BindingCacheTable, pmip6MagBLTable)");
	for (unsigned i = 0; i < s->ntables; i++)
		for (int k = 0; k < (s->table[i].bcache ? DMM_BCE_NSTATES : DMM_BUL_NSTATES); k++)
			outf(o, "dmm_bindings{table=\"%s\",state=\"%s\"} %u\n", s->table[i].kind,
			     s->table[i].bcache ? dmm_bce_state_name((enum dmm_bce_state)k)
						: dmm_bul_state_name((enum dmm_bul_state)k),
			     s->table[i].state[k]);
	head(o, "dmm_bindings_capacity", "gauge", "bindings each table holds at most");
	for (unsigned i = 0; i < s->ntables; i++)
		outf(o, "dmm_bindings_capacity{table=\"%s\"} %u\n", s->table[i].kind, s->table[i].capacity);
	head(o, "dmm_peers", "gauge", "mobility peers by state (RFC 5847)");
	fsm_states(o, s, DMM_FSM_PEER, "dmm_peers", "state");
	if (strcmp(s->role, "cmd") == 0) {
		head(o, "dmm_anchors", "gauge", "MAARs the CMD knows, by state (RFC 7429 GAP1-3)");
		fsm_states(o, s, DMM_FSM_ANCHOR, "dmm_anchors", "state");
	}
	metric(o, "dmm_tunnels", "gauge", "tunnels in use: established minus released",
	       (double)(s->st.tunnels_established - s->st.tunnels_released));
	metric(o, "dmm_intents", "gauge", "forwarding intents in the data plane", s->intents);
	head(o, "dmm_intents_by_action", "gauge", "forwarding intents by action");
	for (int i = 0; i < 5; i++)
		outf(o, "dmm_intents_by_action{action=\"%s\"} %u\n", action[i], s->by_action[i]);
	metric(o, "dmm_sessions", "gauge", "bindings with forwarding (usage records to come)", s->sessions);
	metric(o, "dmm_buffered_packets", "gauge", "packets counted by the BUFFER intents now in place",
	       (double)s->buffered_packets);
}

static void render_hist(struct out *o, const char *name, const char *help, const char *label,
			const struct dmmd_hist *hs, const char *const *values, int n)
{
	head(o, name, "histogram", help);
	for (int k = 0; k < n; k++) {
		const struct dmmd_hist *h = &hs[k];
		uint64_t cum = 0;
		char lb[64] = "";

		if (label)
			snprintf(lb, sizeof(lb), "%s=\"%s\",", label, values[k]);
		for (int i = 0; i < DMMD_HIST_BUCKETS; i++) {
			cum += h->le[i];
			outf(o, "%s_bucket{%sle=\"%g\"} %llu\n", name, lb, dmmd_hist_bounds[i],
			     (unsigned long long)cum);
		}
		outf(o, "%s_bucket{%sle=\"+Inf\"} %llu\n", name, lb, (unsigned long long)h->count);
		lb[strlen(lb) ? strlen(lb) - 1 : 0] = '\0';
		outf(o, "%s_sum%s%s%s %.9g\n", name, *lb ? "{" : "", lb, *lb ? "}" : "", h->sum);
		outf(o, "%s_count%s%s%s %llu\n", name, *lb ? "{" : "", lb, *lb ? "}" : "",
		     (unsigned long long)h->count);
	}
}

static void render_rest(struct out *o, const struct snap *s)
{
	static const char *const side[] = {"anchor", "serving"};

	render_hist(o, "dmm_registration_latency_seconds",
		    "PBU in to PBA out (side anchor), PBU out to PBA in (side serving)", "side",
		    &s->hist[DMMD_H_REG_ANCHOR], side, 2);
	render_hist(o, "dmm_handover_interruption_seconds",
		    "downlink forwarding of a prefix lost (detach, de-registration) to forwarding again",
		    NULL, &s->hist[DMMD_H_INTERRUPT], NULL, 1);
	head(o, "dmm_role_events_total", "counter", "the role's own counters (dmmctl show stats, \"dmm\")");
	for (size_t i = 0; i < s->nrc; i++)
		outf(o, "dmm_role_events_total{event=\"%s\"} %llu\n", s->rc[i].name,
		     (unsigned long long)s->rc[i].value);
	metric(o, "dmm_events_total", "counter", "events published (dmmctl events)", (double)s->events);
	metric(o, "dmm_event_followers", "gauge", "clients following the event stream", s->followers);
	metric(o, "dmm_usage_records_total", "counter", "usage records written (RFC 7429 GAP6)",
	       (double)s->usage_records);
	head(o, "dmm_config_reloads_total", "counter", "SIGHUP reloads by result");
	outf(o, "dmm_config_reloads_total{result=\"ok\"} %llu\n", (unsigned long long)s->reloads_ok);
	outf(o, "dmm_config_reloads_total{result=\"refused\"} %llu\n",
	     (unsigned long long)s->reloads_refused);
	head(o, "dmm_node_info", "gauge", "the node: name, role, data plane");
	outf(o, "dmm_node_info{name=\"%s\",role=\"%s\",dataplane=\"%s\"} 1\n", s->name, s->role,
	     s->dataplane);
	metric(o, "dmm_start_time_seconds", "gauge", "when dmmd started, seconds since 1970", s->start_time);
	metric(o, "dmm_uptime_seconds", "gauge", "seconds since dmmd started", s->uptime);
	metric(o, "dmm_metrics_snapshot_seconds", "gauge",
	       "how long the loop took to copy the previous snapshot", s->fill_seconds);
}

/* Ask the loop for a snapshot and copy it into out; false when there is none yet. */
static bool take_snapshot(struct dmmd_metrics *m, struct snap *out)
{
	struct timespec dl;
	uint64_t one = 1, mine;
	bool ok;

	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += SNAP_WAIT_MS / 1000;
	pthread_mutex_lock(&m->mu);
	mine = ++m->asked;
	m->scrapes++;
	if (write(m->efd, &one, sizeof(one)) < 0) {
		/* The counter is full: the loop has a request to see already. */
	}
	while (m->filled < mine)
		if (pthread_cond_timedwait(&m->cv, &m->mu, &dl) == ETIMEDOUT)
			break;
	*out = m->snap;
	ok = out->valid;
	pthread_mutex_unlock(&m->mu);
	return ok;
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const char *type, char *body,
			     size_t len)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	enum MHD_Result ret;

	if (!r) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
				  const char *version, const char *upload, size_t *upload_len, void **state)
{
	struct dmmd_metrics *m = cls;
	struct snap *s;
	struct out o = {0};

	(void)version;
	(void)upload;
	(void)upload_len;
	(void)state;
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
		return reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain", strdup("GET /metrics\n"), 13);
	if (strcmp(url, "/metrics") != 0)
		return reply(c, MHD_HTTP_NOT_FOUND, "text/plain", strdup("not found: try /metrics\n"), 24);
	s = malloc(sizeof(*s));
	o.cap = 64 * 1024;
	o.buf = malloc(o.cap);
	if (!s || !o.buf || !take_snapshot(m, s)) {
		free(s);
		free(o.buf);
		return reply(c, MHD_HTTP_SERVICE_UNAVAILABLE, "text/plain", strdup("no snapshot yet\n"), 16);
	}
	render_mib(&o, s);
	render_by_kind(&o, s);
	render_gauges(&o, s);
	render_rest(&o, s);
	free(s);
	if (o.oom) {
		free(o.buf);
		return MHD_NO;
	}
	return reply(c, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", o.buf, o.len);
}

struct dmmd_metrics *dmmd_metrics_start(struct dmmd *d, char *err, size_t errlen)
{
	const struct dmmd_monitoring_cfg *cfg = &d->cfg.mon;
	struct dmmd_metrics *m = calloc(1, sizeof(*m));
	struct sockaddr_in6 s6 = {.sin6_family = AF_INET6, .sin6_port = htons(cfg->metrics_port)};
	struct sockaddr_in s4 = {.sin_family = AF_INET, .sin_port = htons(cfg->metrics_port)};
	bool v6 = inet_pton(AF_INET6, cfg->metrics_address, &s6.sin6_addr) == 1;

	if (!m) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (!v6 && inet_pton(AF_INET, cfg->metrics_address, &s4.sin_addr) != 1) {
		snprintf(err, errlen, "%s: not an address", cfg->metrics_address);
		goto err_addr;
	}
	m->d = d;
	pthread_mutex_init(&m->mu, NULL);
	pthread_cond_init(&m->cv, NULL);
	m->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (m->efd < 0 || dmm_loop_add(d->loop, m->efd, on_ask, m) < 0) {
		snprintf(err, errlen, "eventfd: %s", strerror(errno));
		goto err_efd;
	}
	m->mhd = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | (v6 ? MHD_USE_IPv6 : 0),
				  cfg->metrics_port, NULL, NULL, on_request, m, MHD_OPTION_SOCK_ADDR,
				  v6 ? (struct sockaddr *)&s6 : (struct sockaddr *)&s4,
				  MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10, MHD_OPTION_CONNECTION_LIMIT,
				  (unsigned)16, MHD_OPTION_END);
	if (!m->mhd) {
		snprintf(err, errlen, "cannot listen on [%s]:%u: %s", cfg->metrics_address, cfg->metrics_port,
			 strerror(errno));
		goto err_mhd;
	}
	return m;

err_mhd:
	dmm_loop_del(d->loop, m->efd);
err_efd:
	if (m->efd >= 0)
		close(m->efd);
	pthread_cond_destroy(&m->cv);
	pthread_mutex_destroy(&m->mu);
err_addr:
	free(m);
	return NULL;
}

void dmmd_metrics_stop(struct dmmd_metrics *m)
{
	if (!m)
		return;
	/* Wake a scrape waiting for the loop, which will not answer any more: it serves what it has. */
	pthread_mutex_lock(&m->mu);
	m->filled = UINT64_MAX;
	pthread_cond_broadcast(&m->cv);
	pthread_mutex_unlock(&m->mu);
	MHD_stop_daemon(m->mhd);
	dmm_loop_del(m->d->loop, m->efd);
	close(m->efd);
	pthread_cond_destroy(&m->cv);
	pthread_mutex_destroy(&m->mu);
	free(m);
}
