/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The control socket: a UNIX stream socket; a client writes one command
 * line ("show bindings") and reads one JSON document until EOF. One
 * static command table (STYLE.md) maps commands to handlers; dmmctl
 * renders the replies for people or passes them through with --json.
 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "dmm/bcache.h"
#include "dmm/bul.h"
#include "dmm/cmd.h"
#include "dmm/err.h"
#include "dmm/fmt.h"
#include "auth.h"
#include "dmm/maar.h"
#include "dmm/mag.h"
#include "dmm/mh.h"
#include "dmmd.h"
#include "lmadisc.h"
#include "mcast.h"
#include "ops.h"

static json_t *j_addr(const struct dmm_addr *a)
{
	char s[DMM_ADDR_STRLEN];

	return json_string(dmm_addr_str(a, s));
}

static json_t *j_prefix(const struct dmm_prefix *p)
{
	char s[DMM_PREFIX_STRLEN];

	return json_string(dmm_prefix_str(p, s));
}

static json_t *j_mnid(const struct dmm_mnid *id)
{
	char s[DMM_MNID_STRLEN];

	return json_string(dmm_mnid_str(id, s));
}

static double secs_left(dmm_time_t t, dmm_time_t now)
{
	return t > now ? (double)(t - now) / 1e9 : 0.0;
}

static json_t *j_anchors(const struct dmm_anchor_list *l)
{
	json_t *a = json_array();

	for (unsigned i = 0; i < l->n; i++) {
		json_t *o = json_object();

		json_object_set_new(o, "anchor", j_addr(&l->a[i].addr));
		json_object_set_new(o, "prefix", j_prefix(&l->a[i].prefix));
		json_array_append_new(a, o);
	}
	return a;
}

/* The fields every binding row has, whichever table it comes from. */
static json_t *binding_row(const char *kind, const struct dmm_mnid *mnid, const struct dmm_prefix *hnp,
			   unsigned n, const struct dmm_addr *peer, const char *state, dmm_time_t expires,
			   dmm_time_t now)
{
	json_t *o = json_object(), *p = json_array();

	for (unsigned i = 0; i < n; i++)
		json_array_append_new(p, j_prefix(&hnp[i]));
	if (kind)
		json_object_set_new(o, "kind", json_string(kind));
	json_object_set_new(o, "mn-id", j_mnid(mnid));
	json_object_set_new(o, "prefixes", p);
	json_object_set_new(o, "peer", j_addr(peer));
	json_object_set_new(o, "state", json_string(state));
	json_object_set_new(o, "lifetime-left", json_real(secs_left(expires, now)));
	return o;
}

/* Binding cache entries: an LMA's bindings, a MAAR's anchored prefixes, a CMD's MNs. */
static void bcache_rows(json_t *arr, const struct dmm_bcache *bc, const char *kind, dmm_time_t now)
{
	for (const struct dmm_bcache_entry *e = dmm_bcache_next(bc, NULL); e; e = dmm_bcache_next(bc, e)) {
		struct dmm_prefix hnp[DMM_BCE_MAX_HNP];
		unsigned n = dmm_bce_hnps(e, hnp);
		json_t *o = binding_row(kind, DMM_BCE_MNID(e), hnp, n, dmm_bce_pcoa(e),
					dmm_bce_state_name(e->state), e->expires, now);

		json_object_set_new(o, "handovers", json_integer(e->handovers));
		if (dmm_bce_pmaar(e) && dmm_bce_pmaar(e)->n)
			json_object_set_new(o, "anchors", j_anchors(dmm_bce_pmaar(e)));
		json_array_append_new(arr, o);
	}
}

/* Binding update list entries: a MAG's MNs, a MAAR's serving MNs. */
static void bul_rows(json_t *arr, const struct dmm_bul *bul, const char *kind, dmm_time_t now)
{
	for (const struct dmm_bul_entry *e = dmm_bul_next(bul, NULL); e; e = dmm_bul_next(bul, e)) {
		json_t *o = binding_row(kind, &e->mnid, e->hnp, e->n_hnp, &e->lmaa,
					dmm_bul_state_name(e->state), e->expires, now);

		json_object_set_new(o, "link", json_integer(e->ifindex));
		json_object_set_new(o, "seq", json_integer(e->seq));
		if (e->anchors.n)
			json_object_set_new(o, "anchors", j_anchors(&e->anchors));
		if (e->registered >= e->attached && e->attached)
			json_object_set_new(o, "registration-ms", json_real((double)e->reg_time / 1e6));
		json_array_append_new(arr, o);
	}
}

#define MAX_TABLES 4	/* binding tables per role (a MAAR has two) */
#define MAX_COUNTERS 32 /* role counters per role */
#define MAX_FIELDS 16	/* fields per row of a role's own table */

/* Every binding table the role shows, in its order (a MAAR: serving, then anchored). */
static json_t *show_bindings(struct dmmd *d)
{
	struct dmm_role_table t[MAX_TABLES];
	size_t n = d->ro->tables(d->role, t, MAX_TABLES);
	json_t *arr = json_array();
	dmm_time_t now = dmm_io_now();

	for (size_t i = 0; i < n; i++) {
		if (t[i].bcache)
			bcache_rows(arr, t[i].bcache, t[i].kind, now);
		else if (t[i].bul)
			bul_rows(arr, t[i].bul, t[i].kind, now);
	}
	return arr;
}

static json_t *role_field(const struct dmm_role_field *f)
{
	if (!f->known)
		return json_null();
	return f->is_str ? json_string(f->str) : json_integer((json_int_t)f->num);
}

/* GAP1-3: the MAARs as the CMD sees them, the rows of the role's "anchors" table. */
static json_t *show_anchors(struct dmmd *d)
{
	struct dmm_role_field f[MAX_FIELDS];
	const void *cursor = NULL;
	json_t *arr;
	size_t n;

	if (!d->ro->rows || !d->ro->rows_name || strcmp(d->ro->rows_name, "anchors") != 0)
		return json_pack("{s:s}", "error", "show anchors: only a cmd keeps the anchor table");
	arr = json_array();
	while ((n = d->ro->rows(d->role, &cursor, f, MAX_FIELDS)) > 0) {
		json_t *o = json_object();

		for (size_t i = 0; i < n; i++)
			json_object_set_new(o, f[i].name, role_field(&f[i]));
		json_array_append_new(arr, o);
	}
	return arr;
}

/*
 * An association's counters (RFC 4285) into o, keys prefixed with pre:
 * which key signs, verified and signed messages, refusals by reason;
 * never the key itself.
 */
static void auth_fields(json_t *o, const struct dmmd_auth_peer *p, const char *pre)
{
	char k[48];

	if (p->sa && p->sa->nkeys) {
		snprintf(k, sizeof(k), "%sspi", pre);
		json_object_set_new(o, k, json_integer(p->sa->keys[0].spi));
		snprintf(k, sizeof(k), "%salgorithm", pre);
		json_object_set_new(o, k, json_string(dmmd_auth_alg_name(p->sa->keys[0].alg)));
	}
	snprintf(k, sizeof(k), "%sverified", pre);
	json_object_set_new(o, k, json_integer((json_int_t)p->refused[DMMD_AUTH_OK]));
	snprintf(k, sizeof(k), "%ssigned", pre);
	json_object_set_new(o, k, json_integer((json_int_t)p->sent));
	for (int r = DMMD_AUTH_OK + 1; r < DMMD_AUTH_NREASONS; r++)
		json_object_set_new(o, dmmd_auth_reason_name((enum dmmd_auth_reason)r),
				    json_integer((json_int_t)p->refused[r]));
}

/* show stats' "auth": totals by reason, then {"peer address": {counters}} per association. */
static json_t *stats_auth(const struct dmmd *d)
{
	json_t *o = json_object(), *per = json_object();
	uint64_t tot[DMMD_AUTH_NREASONS] = {0};
	char a[DMM_ADDR_STRLEN];

	json_object_set_new(o, "associations", json_integer(d->auth ? d->auth->n : 0));
	for (uint32_t i = 0; d->auth && i < d->auth->n; i++) {
		json_t *p = json_object();

		for (int r = 0; r < DMMD_AUTH_NREASONS; r++)
			tot[r] += d->auth->peers[i].refused[r];
		auth_fields(p, &d->auth->peers[i], "");
		json_object_set_new(per, dmm_addr_str(&d->auth->peers[i].peer, a), p);
	}
	json_object_set_new(o, "verified", json_integer((json_int_t)tot[DMMD_AUTH_OK]));
	for (int r = DMMD_AUTH_OK + 1; r < DMMD_AUTH_NREASONS; r++)
		json_object_set_new(o, dmmd_auth_reason_name((enum dmmd_auth_reason)r),
				    json_integer((json_int_t)tot[r]));
	json_object_set_new(o, "no-association", json_integer(d->auth ? (json_int_t)d->auth->no_sa : 0));
	json_object_set_new(o, "peers", per);
	return o;
}

static json_t *show_peers(struct dmmd *d)
{
	struct dmm_peers *ps = dmm_role_peers(d->role);
	json_t *arr = json_array();
	dmm_time_t now = dmm_io_now();

	for (struct dmm_peer *p = dmm_peers_next(ps, NULL); p; p = dmm_peers_next(ps, p)) {
		const struct dmmd_auth_peer *ap;
		json_t *o = json_object();

		json_object_set_new(o, "address", j_addr(&p->addr));
		json_object_set_new(o, "state", json_string(dmm_peer_state_name(p->state)));
		json_object_set_new(o, "restart-counter",
				    p->rc_known ? json_integer(p->restart_counter) : json_null());
		json_object_set_new(o, "bindings", json_integer(p->bindings));
		json_object_set_new(o, "missed", json_integer(p->missed));
		json_object_set_new(o, "restarts", json_integer((json_int_t)p->restarts));
		json_object_set_new(o, "downs", json_integer((json_int_t)p->downs));
		json_object_set_new(o, "last-heard-ago",
				    p->last_heard ? json_real((double)(now - p->last_heard) / 1e9)
						  : json_null());
		if ((ap = d->auth ? dmmd_auth_peer(d->auth, &p->addr) : NULL) != NULL)
			auth_fields(o, ap, "auth-");
		json_array_append_new(arr, o);
	}
	return arr;
}

static json_t *show_intents(struct dmmd *d)
{
	const struct dmm_fm *fm = dmm_role_fm(d->role);
	json_t *arr = json_array();

	if (!fm)
		return arr;

	for (const struct dmm_intent *in = dmm_fm_next(fm, NULL); in; in = dmm_fm_next(fm, in)) {
		json_t *o = json_object();
		uint64_t p = in->packets, b = in->bytes;

		/* Fresh counters straight from the data plane where it keeps them. */
		d->dpo->counters(d->dp, in->id, &p, &b);
		json_object_set_new(o, "id", json_integer(in->id));
		json_object_set_new(o, "match", json_string(dmm_fm_match_name(in->match)));
		json_object_set_new(o, "prefix", j_prefix(&in->prefix));
		json_object_set_new(o, "action", json_string(dmm_fm_action_name(in->action)));
		if (in->action == DMM_FM_ENCAP || in->action == DMM_FM_DECAP) {
			json_object_set_new(o, "local", j_addr(&in->local));
			json_object_set_new(o, "peer", j_addr(&in->peer));
		}
		if (in->match == DMM_FM_SRC || in->action == DMM_FM_DELIVER)
			json_object_set_new(o, "link", json_integer(in->link));
		json_object_set_new(o, "packets", json_integer((json_int_t)p));
		json_object_set_new(o, "bytes", json_integer((json_int_t)b));
		json_array_append_new(arr, o);
	}
	return arr;
}

static void set_count(json_t *o, const char *key, uint64_t v)
{
	json_object_set_new(o, key, json_integer((json_int_t)v));
}

/* RFC 6475 §4 names where the MIB has them. */
static void stats_mib(json_t *o, const struct dmm_pmip_stats *s)
{
	set_count(o, "pmip6InitialBindingRegistrations", s->initial_registrations);
	set_count(o, "pmip6BindingLifeTimeExtensionNoHandOff", s->lifetime_ext_no_handoff);
	set_count(o, "pmip6BindingLifeTimeExtensionAfterHandOff", s->lifetime_ext_after_handoff);
	set_count(o, "pmip6BindingDeRegistrations", s->deregistrations);
	set_count(o, "pmip6BindingBindingAcks", s->binding_acks);
	set_count(o, "pmip6MissingHandOffIndicatorOption", s->ba_status[161]);
	set_count(o, "pmip6MissingAccessTechTypeOption", s->ba_status[162]);
	set_count(o, "pmip6TimestampMismatch", s->ba_status[156]);
	set_count(o, "pmip6TimestampLowerThanPrevAccepted", s->ba_status[157]);
	set_count(o, "pmip6MagNotAuthorizedForProxyReg", s->ba_status[154]);
	set_count(o, "pmip6NotAuthorizedForHomeNetworkPrefix", s->ba_status[155]);
	set_count(o, "pmip6BcePbuPrefixSetDoNotMatch", s->ba_status[159]);
}

/* PBAs by status, malformed input by error, messages by type: only what is not zero. */
static void stats_by_kind(json_t *o, const struct dmm_pmip_stats *s)
{
	json_t *st = json_object(), *mal = json_object(), *rx = json_object(), *tx = json_object();
	char k[16];

	for (int i = 0; i < 256; i++) {
		if (!s->ba_status[i])
			continue;
		snprintf(k, sizeof(k), "%d", i);
		set_count(st, k, s->ba_status[i]);
	}
	json_object_set_new(o, "ba-status", st);
	for (int i = 1; i < DMM_STATS_MAX_ERR; i++)
		if (s->rx_malformed[i])
			set_count(mal, dmm_errname(-i), s->rx_malformed[i]);
	json_object_set_new(o, "rx-malformed", mal);
	/* What the decoder accepted although the sender broke a rule (RFC 6275 §6.2.1, RFC 5213 §8.5). */
	{
		json_t *tol = json_object();
		char name[32];

		for (unsigned i = 0; i < 8; i++)
			if (s->rx_tolerated[i])
				set_count(tol, dmm_mh_note_names((uint16_t)(1u << i), name, sizeof(name)),
					  s->rx_tolerated[i]);
		json_object_set_new(o, "rx-tolerated", tol);
	}
	for (int i = 0; i < 32; i++) {
		const struct dmm_mh_desc *md = dmm_mh_msg_desc((uint8_t)i, 1);
		const char *n = md ? (i == DMM_MH_BR ? "BR" : md->name) : NULL;

		if (!n)
			continue;
		if (s->rx_by_type[i])
			set_count(rx, n, s->rx_by_type[i]);
		if (s->tx_by_type[i])
			set_count(tx, n, s->tx_by_type[i]);
	}
	json_object_set_new(o, "rx", rx);
	json_object_set_new(o, "tx", tx);
}

/* The other counters of the role, then the daemon's own. */
static void stats_rest(json_t *o, const struct dmmd *d, const struct dmm_pmip_stats *s)
{
	set_count(o, "rx-checksum-bad", d->mh.rx_checksum_bad);
	set_count(o, "rx-unknown-type", s->rx_unknown_type);
	set_count(o, "rx-unexpected", s->rx_unexpected);
	set_count(o, "pbu-retransmissions", s->pbu_retransmissions);
	set_count(o, "pbu-give-ups", s->pbu_give_ups);
	set_count(o, "dp-refused", s->dp_refused);
	set_count(o, "handoffs", s->handoffs);
	set_count(o, "bri-sent", s->bri_sent);
	set_count(o, "bri-received", s->bri_received);
	set_count(o, "heartbeat-requests-sent", s->hb_req_sent);
	set_count(o, "heartbeat-responses-received", s->hb_resp_rcvd);
	set_count(o, "heartbeat-requests-received", s->hb_req_rcvd);
	set_count(o, "heartbeat-responses-sent", s->hb_resp_sent);
	set_count(o, "peers-down", s->peers_down);
	set_count(o, "peer-restarts", s->peer_restarts);
	set_count(o, "pmip6HomeTunnelEstablished", s->tunnels_established);
	set_count(o, "pmip6HomeTunnelReleased", s->tunnels_released);
	set_count(o, "pool-exhausted", s->pool_exhausted);
	set_count(o, "config-reloads", d->reloads_ok);
	set_count(o, "config-reloads-refused", d->reloads_refused);
	json_object_set_new(o, "uptime", json_real((double)(dmm_io_now() - d->started) / 1e9));
}

/* What the data plane's BUFFER intents hold and dropped, as "buffer"; nothing for a backend without. */
static void stats_buffer(json_t *o, const struct dmmd *d)
{
	struct dmm_dp_buf_stats st;
	json_t *b;

	if (!d->dpo->buf_stats || d->dpo->buf_stats(d->dp, &st) < 0)
		return;
	b = json_object();
	set_count(b, "held-packets", st.held_packets);
	set_count(b, "held-bytes", st.held_bytes);
	set_count(b, "held-peak", st.held_peak);
	set_count(b, "buffered", st.buffered);
	set_count(b, "released", st.released);
	set_count(b, "dropped-over-bound", st.dropped_full);
	set_count(b, "dropped-too-old", st.dropped_age);
	set_count(b, "unresolved-at-release", st.unresolved);
	set_count(b, "released-ahead", st.ahead);
	set_count(b, "limit-packets", st.limit_packets);
	set_count(b, "limit-bytes", st.limit_bytes);
	set_count(b, "limit-ms", st.limit_ms);
	json_object_set_new(o, "buffer", b);
}

/* The role's own counters (a MAAR's, a CMD's) as "dmm"; nothing for a role without any. */
static void stats_role(json_t *o, const struct dmmd *d)
{
	struct dmm_role_counter c[MAX_COUNTERS];
	size_t n = d->ro->counters(d->role, c, MAX_COUNTERS);
	json_t *m;

	n += dmmd_disc_counters(d->disc, c + n, MAX_COUNTERS - n); /* RFC 6097: the resolver's */

	if (!n)
		return;
	m = json_object();
	for (size_t i = 0; i < n; i++)
		set_count(m, c[i].name, c[i].value);
	json_object_set_new(o, "dmm", m);
}

/*
 * Every state change of the role's objects (ARCHITECTURE.md rule 8) as
 * {"bul": {"WAIT_PBA->REGISTERED": 3, ...}, ...}: the machines and the
 * transitions that happened, none that did not.
 */
static json_t *stats_transitions(const struct dmm_fsm_counts *t)
{
	json_t *o = json_object();
	char k[64];

	for (int kind = 0; kind < DMM_FSM_NKINDS; kind++) {
		json_t *m = json_object();

		for (int from = DMM_FSM_NONE; from < DMM_FSM_MAX_STATES; from++)
			for (int to = DMM_FSM_NONE; to < DMM_FSM_MAX_STATES; to++) {
				uint64_t n = t->n[kind][from + 1][to + 1];
				json_t *had;

				if (!n)
					continue;
				snprintf(k, sizeof(k), "%s->%s",
					 dmm_fsm_state_name((enum dmm_fsm_kind)kind, from),
					 dmm_fsm_state_name((enum dmm_fsm_kind)kind, to));
				/* States without a name ("?") share a key: add them up. */
				had = json_object_get(m, k);
				set_count(m, k, n + (had ? (uint64_t)json_integer_value(had) : 0));
			}
		if (json_object_size(m))
			json_object_set_new(o, dmm_fsm_kind_name((enum dmm_fsm_kind)kind), m);
		else
			json_decref(m);
	}
	return o;
}

static json_t *show_stats(struct dmmd *d)
{
	const struct dmm_pmip_stats *s = dmm_role_stats(d->role);
	json_t *o = json_object();

	stats_mib(o, s);
	stats_by_kind(o, s);
	stats_rest(o, d, s);
	stats_role(o, d);
	stats_buffer(o, d);
	json_object_set_new(o, "auth", stats_auth(d));
	json_object_set_new(o, "transitions", stats_transitions(&s->transitions));
	return o;
}

static json_t *show_node(struct dmmd *d)
{
	json_t *o = json_object();

	json_object_set_new(o, "name", json_string(d->cfg.name));
	json_object_set_new(o, "role", json_string(d->ro->name));
	json_object_set_new(o, "address", j_addr(&d->cfg.address));
	json_object_set_new(o, "dataplane", json_string(d->dpo->name));
	json_object_set_new(o, "transport",
			    json_string(d->cfg.transport == DMMD_TRANSPORT_UDP ? "udp" : "ip6"));
	json_object_set_new(o, "pid", json_integer(getpid()));
	json_object_set_new(o, "config", json_string(d->cfg_path ? d->cfg_path : ""));
	/* RFC 5847 §3.2: the counter this run sends, from the state file. */
	json_object_set_new(o, "restart-counter", json_integer(dmmd_config_restart_counter(&d->cfg)));
	if (d->disc) /* RFC 6097: the LMA name, its addresses and the TTL left */
		json_object_set_new(o, "lma-discovery", dmmd_disc_json(d->disc));
	return o;
}

/* The MLD proxy (daemon/mcast.c). */
static json_t *show_multicast(struct dmmd *d)
{
	if (!d->mcast)
		return json_pack("{s:s}", "error", "show multicast: no multicast container in the config");
	return dmmd_mcast_show(d->mcast);
}

/*
 * "reload": read the config file again now, as SIGHUP does, and say
 * whether it was applied; a refused file leaves the running config
 * (dmm-netconfd's edit-config applies its edits this way).
 */
static json_t *ctl_reload(struct dmmd *d)
{
	uint64_t ok = d->reloads_ok;

	if (!d->reload)
		return json_pack("{s:s}", "error", "reload: not available");
	d->reload(d);
	if (d->reloads_ok == ok)
		return json_pack("{s:s,s:s}", "error", "reload refused, running config kept", "reason",
				 d->reload_err);
	return json_pack("{s:s,s:s}", "reload", "ok", "config", d->cfg_path);
}

static const struct {
	const char *path;
	const char *help;
	json_t *(*handler)(struct dmmd *d);
} commands[] = {
	{"show bindings", "the role's binding cache and binding update list entries", show_bindings},
	{"show peers", "mobility peers and their heartbeat state", show_peers},
	{"show intents", "forwarding intents with the data plane's counters", show_intents},
	{"show stats", "counters, named after the PMIPv6 MIB (RFC 6475)", show_stats},
	{"show anchors", "the MAARs as the CMD sees them: load, capacity, liveness (GAP1-3)", show_anchors},
	{"show node", "role, address, data plane", show_node},
	{"show multicast", "the MLD proxy: links, listeners, tunnels and their replication", show_multicast},
	{"reload", "read the config file again (as SIGHUP); the reason when it is refused", ctl_reload},
};

/* docs/dmm-protocol.md §11 (CMD): "relocate PREFIX [to NODE]". */
static json_t *act_relocate(struct dmmd *d, const char *args)
{
	char ps[64] = "", to[64] = "";
	struct dmm_prefix p;
	struct dmm_addr a = {0};
	int n = sscanf(args, "%63s to %63s", ps, to), rc;

	if (d->cfg.role != DMMD_ROLE_CMD)
		return json_pack("{s:s}", "error", "relocate: only a cmd relocates prefixes");
	if (n < 1 || dmm_prefix_parse(ps, &p) != 0)
		return json_pack("{s:s,s:s}", "error", "relocate: not a prefix", "prefix", ps);
	if (n == 2 && dmm_addr_parse(to, &a) != 0)
		return json_pack("{s:s,s:s}", "error", "relocate: --to is not an address", "to", to);
	rc = dmm_cmd_relocate(d->role, &p, &a, dmm_io_now());
	d->rearm(d);
	if (rc == DMM_ERR_INVAL)
		return json_pack(
			"{s:s}", "error",
			"relocate: the prefix is anchored at its MN's serving MAAR already, or --to is "
			"not that MAAR");
	if (rc < 0)
		return json_pack("{s:s,s:s}", "error", "relocate: not started", "reason", dmm_strerror(rc));
	return json_pack("{s:s,s:b}", "prefix", ps, "started", 1);
}

/* docs/dmm-protocol.md §11 (CMD): "drain NODE". */
static json_t *act_drain(struct dmmd *d, const char *args)
{
	char as[64] = "";
	struct dmm_addr a;
	unsigned n;

	if (d->cfg.role != DMMD_ROLE_CMD)
		return json_pack("{s:s}", "error", "drain: only a cmd drains a MAAR");
	if (sscanf(args, "%63s", as) != 1 || dmm_addr_parse(as, &a) != 0)
		return json_pack("{s:s,s:s}", "error", "drain: not an address", "node", as);
	n = dmm_cmd_drain(d->role, &a, dmm_io_now());
	d->rearm(d);
	return json_pack("{s:s,s:i}", "node", as, "relocations", (json_int_t)n);
}

/* Commands with arguments: the path, a space, the arguments. */
static const struct {
	const char *path;
	json_t *(*handler)(struct dmmd *d, const char *args);
} actions[] = {
	{"relocate", act_relocate},
	{"drain", act_drain},
};

static json_t *run_action(struct dmmd *d, const char *line)
{
	for (size_t i = 0; i < sizeof(actions) / sizeof(actions[0]); i++) {
		size_t n = strlen(actions[i].path);

		if (strncmp(line, actions[i].path, n) == 0 && line[n] == ' ')
			return actions[i].handler(d, line + n + 1);
	}
	return NULL;
}

static void on_client(void *ctx, int fd, uint32_t ev)
{
	struct dmmd *d = ctx;
	char line[256];
	int c = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
	ssize_t n;
	json_t *reply = NULL;

	(void)ev;
	if (c < 0)
		return;
	/* A short receive timeout: a silent client cannot stall the daemon. */
	{
		struct timeval tv = {0, 200000};

		setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	}
	/* Read up to the newline: a client may write the command and its newline separately. */
	n = 0;
	while ((size_t)n < sizeof(line) - 1 && !memchr(line, '\n', (size_t)n)) {
		ssize_t r = recv(c, line + n, sizeof(line) - 1 - (size_t)n, 0);

		if (r <= 0)
			break;
		n += r;
	}
	if (n <= 0) {
		close(c);
		return;
	}
	line[n] = 0;
	line[strcspn(line, "\r\n")] = 0;
	/* "events [N]": the connection stays open and follows the event stream (daemon/events.c). */
	if (strncmp(line, "events", 6) == 0 && (line[6] == '\0' || line[6] == ' ')) {
		dmmd_events_follow(d->events, c, (unsigned)strtoul(line + 6, NULL, 10));
		return;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(line, commands[i].path) == 0)
			reply = commands[i].handler(d);
	if (!reply && strncmp(line, "handover ", 9) == 0) {
		reply = dmmd_ctl_handover(d, line + 9, c);
		if (!reply)
			return; /* kept: answered at the HAck (daemon/handover.c) */
	}
	if (!reply)
		reply = run_action(d, line);
	if (!reply) {
		json_t *list = json_array();

		for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
			json_array_append_new(list, json_pack("{s:s,s:s}", "command", commands[i].path,
							      "help", commands[i].help));
		reply = json_pack("{s:s,s:o}", "error", "unknown command", "commands", list);
	}
	dmmd_ctl_reply(c, reply);
}

int dmmd_ctl_open(struct dmmd *d)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};

	if (strlen(d->cfg.ctl_path) >= sizeof(sa.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(sa.sun_path, d->cfg.ctl_path);
	d->ctl_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (d->ctl_fd < 0)
		return -1;
	unlink(sa.sun_path);
	if (bind(d->ctl_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || chmod(sa.sun_path, 0600) < 0 ||
	    listen(d->ctl_fd, 16) < 0 || dmm_loop_add(d->loop, d->ctl_fd, on_client, d) < 0) {
		int e = errno;

		close(d->ctl_fd);
		d->ctl_fd = -1;
		errno = e;
		return -1;
	}
	return 0;
}

void dmmd_ctl_close(struct dmmd *d)
{
	dmmd_ctl_hwait_close(d);
	if (d->ctl_fd < 0)
		return;
	dmm_loop_del(d->loop, d->ctl_fd);
	close(d->ctl_fd);
	unlink(d->cfg.ctl_path);
	d->ctl_fd = -1;
}
