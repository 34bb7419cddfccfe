/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * dmmd config loader. The file is the RFC 7951 JSON encoding of the config
 * part of yang/dmm.yang (container "dmm:node"). daemon/yangcfg.c validates
 * it against the model through libyang (types, ranges, patterns, must,
 * when, list keys, unknown members) and hands back the canonical JSON with
 * every default of the model; this file only turns that into struct
 * dmmd_config. The few rules the model cannot express are checked here
 * ("Rules beyond the model", docs/yang.md) and reported the way libyang
 * reports its own: "<data path>: <reason>".
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "config.h"
#include "yangcfg.h"
#include "dmm/err.h"
#include "dmm/fmt.h"
#include "dmm/mh.h"
#include "pvd.h"

struct ctx {
	char *err;
	size_t errlen;
	char path[512];
};

static int fail(struct ctx *c, const char *field, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail(struct ctx *c, const char *field, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(c->err, c->errlen, "%s%s%s: ", c->path, field ? "/" : "", field ? field : "");

	va_start(ap, fmt);
	if (n >= 0 && (size_t)n < c->errlen)
		vsnprintf(c->err + n, c->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

/* Enter a child node for error paths ("lma", "peers[address='2001:db8::1']"); returns the old length. */
static size_t push(struct ctx *c, const char *name)
{
	size_t n = strlen(c->path);

	snprintf(c->path + n, sizeof(c->path) - n, "/%s", name);
	return n;
}

static void pop(struct ctx *c, size_t n)
{
	c->path[n] = 0;
}

/*
 * The readers below take the validated tree: the model has checked type,
 * range and length, so they only convert. A value that still does not fit
 * means the model and struct dmmd_config disagree: refused, not truncated.
 */
static int get_str(struct ctx *c, json_t *o, const char *k, char *out, size_t cap)
{
	json_t *v = json_object_get(o, k);

	if (!v)
		return 0;
	if (!json_is_string(v) || strlen(json_string_value(v)) >= cap)
		return fail(c, k, "does not fit %zu characters (model and daemon disagree)", cap - 1);
	strcpy(out, json_string_value(v));
	return 0;
}

static int get_addr(struct ctx *c, json_t *o, const char *k, struct dmm_addr *out)
{
	json_t *v = json_object_get(o, k);

	if (v && (!json_is_string(v) || dmm_addr_parse(json_string_value(v), out) != 0))
		return fail(c, k, "not an IPv6 address");
	return 0;
}

static int get_u32(struct ctx *c, json_t *o, const char *k, uint32_t *out)
{
	json_t *v = json_object_get(o, k);

	if (!v)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > UINT32_MAX)
		return fail(c, k, "not a 32-bit unsigned integer");
	*out = (uint32_t)json_integer_value(v);
	return 0;
}

/* A duration in milliseconds into dmm_time_t. */
static int get_ms(struct ctx *c, json_t *o, const char *k, dmm_time_t *out)
{
	uint32_t ms = (uint32_t)(*out / DMM_MSEC);

	if (get_u32(c, o, k, &ms) < 0)
		return -1;
	*out = (dmm_time_t)ms * DMM_MSEC;
	return 0;
}

static int get_bool(struct ctx *c, json_t *o, const char *k, bool *out)
{
	json_t *v = json_object_get(o, k);

	if (v && !json_is_boolean(v))
		return fail(c, k, "not a boolean (model and daemon disagree)");
	if (v)
		*out = json_is_true(v);
	return 0;
}

/* An enumeration leaf: the index of its value in names (NULL-terminated); absent: *out untouched. */
static int get_enum(struct ctx *c, json_t *o, const char *k, const char *const *names, int *out)
{
	const char *s = json_string_value(json_object_get(o, k));

	if (!json_object_get(o, k))
		return 0;
	for (int i = 0; s && names[i]; i++)
		if (strcmp(s, names[i]) == 0) {
			*out = i;
			return 0;
		}
	return fail(c, k, "'%s' is not a value dmmd knows (model and daemon disagree)", s ? s : "?");
}

static int parse_addr_el(const char *t, void *out)
{
	return dmm_addr_parse(t, out);
}

static int parse_prefix_el(const char *t, void *out)
{
	return dmm_prefix_parse(t, out);
}

/* The strings of a leaf-list parsed into out[cap] of elements of size sz; the count, or -1. */
static int get_list(struct ctx *c, json_t *o, const char *k, void *out, size_t cap, size_t sz,
		    int (*parse)(const char *, void *), const char *what)
{
	json_t *a = json_object_get(o, k), *v;
	size_t i;

	if (!a)
		return 0;
	if (json_array_size(a) > cap)
		return fail(c, k, "more than %zu entries (model and daemon disagree)", cap);
	json_array_foreach(a, i, v)
	{
		if (!json_is_string(v) || parse(json_string_value(v), (char *)out + i * sz) != 0)
			return fail(c, k, "entry %zu is not %s", i, what);
	}
	return (int)json_array_size(a);
}

/* The addresses of a leaf-list into out (at most cap); the count, or -1. */
static int get_addrs(struct ctx *c, json_t *o, const char *k, struct dmm_addr *out, size_t cap)
{
	return get_list(c, o, k, out, cap, sizeof(*out), parse_addr_el, "an IPv6 address");
}

/* xx:xx:xx:xx:xx:xx, two hex digits an octet (yang:mac-address). */
static int parse_mac(const char *s, uint8_t mac[6])
{
	if (strlen(s) != 17)
		return -1;
	for (int i = 0; i < 6; i++) {
		unsigned v = 0;

		for (int k = 0; k < 2; k++) {
			char ch = s[3 * i + k];

			if (!isxdigit((unsigned char)ch))
				return -1;
			v = v << 4 |
			    (unsigned)(isdigit((unsigned char)ch) ? ch - '0'
								  : (tolower((unsigned char)ch) - 'a' + 10));
		}
		if (i < 5 && s[3 * i + 2] != ':')
			return -1;
		mac[i] = (uint8_t)v;
	}
	return 0;
}

/* The prefixes of a leaf-list (inet:ipv6-prefix, host bits zero) into out; the count, or -1. */
static int get_prefixes(struct ctx *c, json_t *o, const char *k, struct dmm_prefix *out, size_t cap)
{
	return get_list(c, o, k, out, cap, sizeof(*out), parse_prefix_el, "a prefix");
}

static int parse_profile(struct ctx *c, json_t *o, struct dmm_policy_profile *p, bool is_default)
{
	static const char *const types[] = {"any", "eui48", "eui64", "nai", NULL};
	static const uint8_t subtype[] = {0, DMM_MNID_EUI48, DMM_MNID_EUI64, DMM_MNID_NAI};
	int t = 0, n;

	memset(p, 0, sizeof(*p));
	p->may_register = true;
	p->n_alloc = 1;
	if (get_bool(c, o, "may-register", &p->may_register) < 0)
		return -1;
	if (is_default) {
		if (get_enum(c, o, "mn-id-type", types, &t) < 0)
			return -1;
		p->mnid.subtype = subtype[t];
	} else {
		const char *s = json_string_value(json_object_get(o, "mn-id"));

		if (!s || dmm_mnid_parse(s, &p->mnid) != 0)
			return fail(c, "mn-id", "'%s' is not an MN-ID dmmd reads", s ? s : "");
	}
	n = get_addrs(c, o, "lma", p->lma, DMM_POLICY_MAX_LMA);
	if (n < 0)
		return -1;
	p->n_lma = (uint8_t)n;
	n = get_prefixes(c, o, "prefixes", p->prefix, DMM_POLICY_MAX_PREFIX);
	if (n < 0)
		return -1;
	p->n_prefix = (uint8_t)n;
	if (n > 0)
		p->n_alloc = 0;
	return 0;
}

/*
 * Rule beyond the model: one MN, one entry. The model's list key is the
 * MN-ID's text, and one identifier has several texts (upper or lower case
 * hex, eui48 with or without colons, "5:<hex>" for eui48, IPv6 spellings);
 * YANG has no way to say two keys are equal when their values are.
 */
static int parse_profiles(struct ctx *c, json_t *node, struct dmmd_config *cfg)
{
	json_t *a = json_object_get(node, "mobile-nodes"), *d = json_object_get(node, "default-profile"), *v;
	size_t i, n;

	if (a) {
		cfg->profiles = calloc(json_array_size(a) + 1, sizeof(*cfg->profiles));
		if (!cfg->profiles)
			return fail(c, "mobile-nodes", "out of memory");
		json_array_foreach(a, i, v)
		{
			char idx[360];

			snprintf(idx, sizeof(idx), "mobile-nodes[mn-id='%s']",
				 json_string_value(json_object_get(v, "mn-id")));
			n = push(c, idx);
			if (parse_profile(c, v, &cfg->profiles[i], false) < 0)
				return -1;
			pop(c, n);
			for (size_t j = 0; j < i; j++)
				if (dmm_mnid_eq(&cfg->profiles[j].mnid, &cfg->profiles[i].mnid))
					return fail(c, idx, "the same MN-ID as mobile-nodes[mn-id='%s']",
						    json_string_value(
							    json_object_get(json_array_get(a, j), "mn-id")));
			cfg->nprofiles++;
		}
	}
	if (d) {
		n = push(c, "default-profile");
		if (parse_profile(c, d, &cfg->default_profile, true) < 0)
			return -1;
		pop(c, n);
		cfg->has_default = true;
	}
	return 0;
}

static int parse_heartbeat(struct ctx *c, json_t *node, dmm_time_t *interval, uint8_t *missing)
{
	json_t *h = json_object_get(node, "heartbeat");
	uint32_t m = *missing;
	size_t n;

	if (!h)
		return 0;
	/* RFC 5847 §5: 30..3600 s; the model also allows 100 ms and up for labs, and 0 (off). */
	n = push(c, "heartbeat");
	if (get_ms(c, h, "interval", interval) < 0 || get_u32(c, h, "missing-allowed", &m) < 0)
		return -1;
	pop(c, n);
	*missing = (uint8_t)m; /* uint8 1..255 in the model */
	return 0;
}

/*
 * dmm:node/peers: settings per mobility peer, keyed by address. heartbeat
 * false: never send that peer Heartbeat Requests (RFC 5847 §3 makes
 * heartbeats optional; some implementations lack them and misbehave when
 * they arrive).
 */
static int parse_peers(struct ctx *c, json_t *node, struct dmmd_config *cfg)
{
	json_t *a = json_object_get(node, "peers"), *v;
	size_t i;

	if (!a)
		return 0;
	if (json_array_size(a) > DMMD_MAX_PEERS)
		return fail(c, "peers", "more than %d entries (model and daemon disagree)", DMMD_MAX_PEERS);
	json_array_foreach(a, i, v)
	{
		struct dmmd_peer_cfg *p = &cfg->peers[i];

		p->heartbeat = true;
		if (get_addr(c, v, "address", &p->address) < 0 ||
		    get_bool(c, v, "heartbeat", &p->heartbeat) < 0)
			return -1;
		cfg->npeers++;
	}
	return 0;
}

/* --- dmm:node/security: RFC 4285 mobility security associations --- */

/* RFC 4285 §5.1: HMAC-SHA1 takes a 16-octet key; HMAC-SHA256 here takes 32 (its output size). */
static const struct {
	const char *name;
	enum dmmd_auth_alg alg;
	uint8_t keylen;
} auth_algs[] = {
	{"hmac-sha1-96", DMMD_AUTH_HMAC_SHA1_96, 16},
	{"hmac-sha256-128", DMMD_AUTH_HMAC_SHA256_128, 32},
};

const char *dmmd_auth_alg_name(enum dmmd_auth_alg alg)
{
	for (size_t i = 0; i < sizeof(auth_algs) / sizeof(auth_algs[0]); i++)
		if (auth_algs[i].alg == alg)
			return auth_algs[i].name;
	return "?";
}

/* Hex digits of text (whitespace between them ignored) into out; the count, or -1 for anything else. */
static int key_unhex(const char *text, uint8_t *out, size_t cap)
{
	size_t n = 0;
	int hi = -1;

	for (const char *p = text; *p; p++) {
		int v;

		if (isspace((unsigned char)*p))
			continue;
		if (!isxdigit((unsigned char)*p))
			return -1;
		v = isdigit((unsigned char)*p) ? *p - '0' : tolower((unsigned char)*p) - 'a' + 10;
		if (hi < 0) {
			hi = v;
			continue;
		}
		if (n == cap)
			return -1;
		out[n++] = (uint8_t)(hi << 4 | v);
		hi = -1;
	}
	return hi < 0 ? (int)n : -1;
}

/* The text of key file path (at most cap - 1 octets) into text; an error message, or NULL. */
static const char *key_text(const char *path, char *text, size_t cap, char *why, size_t whylen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	struct stat st;
	ssize_t n;

	if (fd < 0)
		return strerror(errno);
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return "not a regular file";
	}
	/* The key is a secret of this node: owner-only, like an ssh private key. */
	if (st.st_mode & 077) {
		close(fd);
		snprintf(why, whylen, "mode %03o: group or others may read or write it (chmod 600)",
			 (unsigned)(st.st_mode & 0777));
		return why;
	}
	n = read(fd, text, cap - 1);
	close(fd);
	if (n < 0)
		return strerror(errno);
	if ((size_t)n == cap - 1)
		return "longer than a key in hex";
	text[n] = 0;
	return NULL;
}

/* Read k->file into k->key: hex digits only, owner-only, exactly keylen octets. */
static int read_key(struct ctx *c, struct dmmd_sa_key *k, uint8_t keylen)
{
	char text[256], why[96];
	const char *e = key_text(k->file, text, sizeof(text), why, sizeof(why));
	int n;

	if (e)
		return fail(c, "key-file", "'%s': %s", k->file, e);
	n = key_unhex(text, k->key, sizeof(k->key));
	explicit_bzero(text, sizeof(text));
	if (n < 0)
		return fail(c, "key-file", "'%s': not a key in hex digits", k->file);
	if (n != keylen) {
		explicit_bzero(k->key, sizeof(k->key));
		return fail(c, "key-file", "'%s': %d octets, %s takes %u", k->file, n,
			    dmmd_auth_alg_name(k->alg), keylen);
	}
	k->keylen = keylen;
	return 0;
}

/* One entry of an association's keys: SPI, algorithm, key file (read here). */
static int parse_sa_key(struct ctx *c, json_t *o, struct dmmd_sa_key *k)
{
	static const char *const names[] = {"hmac-sha1-96", "hmac-sha256-128", NULL};
	int a = 0;

	if (get_u32(c, o, "spi", &k->spi) < 0 || get_enum(c, o, "algorithm", names, &a) < 0 ||
	    get_str(c, o, "key-file", k->file, sizeof(k->file)) < 0)
		return -1;
	k->alg = auth_algs[a].alg;
	return read_key(c, k, auth_algs[a].keylen);
}

/* The keys list of an association: one or two (the first signs), SPIs distinct (the list key). */
static int parse_sa_keys(struct ctx *c, json_t *o, struct dmmd_sa_cfg *sa)
{
	json_t *a = json_object_get(o, "keys"), *v;
	size_t i, n;

	if (json_array_size(a) > DMMD_SA_KEYS)
		return fail(c, "keys", "more than %d entries (model and daemon disagree)", DMMD_SA_KEYS);
	json_array_foreach(a, i, v)
	{
		char idx[48];

		snprintf(idx, sizeof(idx), "keys[spi='%lld']",
			 (long long)json_integer_value(json_object_get(v, "spi")));
		n = push(c, idx);
		if (parse_sa_key(c, v, &sa->keys[i]) < 0)
			return -1;
		pop(c, n);
		sa->nkeys++;
	}
	return 0;
}

/* The associations list of dmm:node/security into cfg->sa, one per peer (the list key). */
static int parse_sa_list(struct ctx *c, json_t *a, struct dmmd_config *cfg)
{
	json_t *v;
	size_t i;

	if (json_array_size(a) > DMMD_MAX_PEERS)
		return fail(c, "associations", "more than %d entries (model and daemon disagree)",
			    DMMD_MAX_PEERS);
	cfg->sa = calloc(json_array_size(a) + 1, sizeof(*cfg->sa));
	if (!cfg->sa)
		return fail(c, "associations", "out of memory");
	json_array_foreach(a, i, v)
	{
		struct dmmd_sa_cfg *sa = &cfg->sa[i];
		char idx[96];
		size_t m;

		snprintf(idx, sizeof(idx), "associations[peer='%s']",
			 json_string_value(json_object_get(v, "peer")));
		m = push(c, idx);
		cfg->nsa++;
		if (get_addr(c, v, "peer", &sa->peer) < 0 ||
		    get_u32(c, v, "replay-window", &sa->replay_window) < 0 || parse_sa_keys(c, v, sa) < 0)
			return -1;
		pop(c, m);
	}
	return 0;
}

/* dmm:node/security: the associations, one per peer address. */
static int parse_security(struct ctx *c, json_t *node, struct dmmd_config *cfg)
{
	json_t *a = json_object_get(json_object_get(node, "security"), "associations");
	size_t n;

	if (!a)
		return 0;
	n = push(c, "security");
	if (parse_sa_list(c, a, cfg) < 0)
		return -1;
	pop(c, n);
	return 0;
}

const struct dmmd_sa_cfg *dmmd_config_sa(const struct dmmd_config *cfg, const struct dmm_addr *peer)
{
	for (uint32_t i = 0; i < cfg->nsa; i++)
		if (dmm_addr_eq(&cfg->sa[i].peer, peer))
			return &cfg->sa[i];
	return NULL;
}

/* RFC 6463 runtime LMA assignment of an LMA ("redirect": {"load": bindings, "to": r2LMA address}). */
static int parse_redirect(struct ctx *c, json_t *parent, struct dmm_lma_cfg *l)
{
	json_t *o = json_object_get(parent, "redirect");
	size_t n;

	if (!o)
		return 0;
	n = push(c, "redirect");
	if (get_u32(c, o, "load", &l->redirect_load) < 0 || get_addr(c, o, "to", &l->redirect_to) < 0)
		return -1;
	pop(c, n);
	return 0;
}

/* RFC 6705 §5 "localized-routing-initiate": lifetime (s), lra-wait (ms), lri-retries, pair {a, b}. */
static int parse_lr_initiate(struct ctx *c, json_t *parent, struct dmm_lma_lr_cfg *l)
{
	json_t *o = json_object_get(parent, "localized-routing-initiate"), *pairs, *v;
	uint32_t life = l->lifetime_s, retries = l->retries;
	size_t n, i;

	if (!o)
		return 0;
	n = push(c, "localized-routing-initiate");
	if (get_u32(c, o, "lifetime", &life) < 0 || get_ms(c, o, "lra-wait", &l->lra_wait) < 0 ||
	    get_u32(c, o, "lri-retries", &retries) < 0)
		return -1;
	l->initiate = true;
	l->lifetime_s = (uint16_t)life; /* uint16 in the model */
	l->retries = (uint8_t)retries;	/* uint8 0..10 in the model */
	pairs = json_object_get(o, "pair");
	if (json_array_size(pairs) > DMM_LMA_LR_MAX_POLICY)
		return fail(c, "pair", "more than %d entries (model and daemon disagree)",
			    DMM_LMA_LR_MAX_POLICY);
	json_array_foreach(pairs, i, v)
	{
		const char *a = json_string_value(json_object_get(v, "a"));
		const char *b = json_string_value(json_object_get(v, "b"));

		if (!a || !b || dmm_prefix_parse(a, &l->pair[i].a) != 0 ||
		    dmm_prefix_parse(b, &l->pair[i].b) != 0)
			return fail(c, "pair", "entry %zu is not two prefixes", i);
	}
	l->npairs = (uint8_t)json_array_size(pairs);
	pop(c, n);
	return 0;
}

/* The pools (1 to 4, each shorter than prefix-length by at most 24 bits: the model) and prefix-length. */
static int parse_pools(struct ctx *c, json_t *o, struct dmm_prefix *pool, uint8_t *npool, uint8_t *plen)
{
	uint32_t len = *plen;
	int n;

	if (get_u32(c, o, "prefix-length", &len) < 0)
		return -1;
	*plen = (uint8_t)len; /* uint8 1..128 in the model */
	n = get_prefixes(c, o, "pools", pool, 4);
	if (n < 0)
		return -1;
	*npool = (uint8_t)n;
	return 0;
}

/* The authorised MAGs or MAARs; absent: any (RFC 7951 has no other encoding for "all" of a leaf-list). */
static int parse_authorized(struct ctx *c, json_t *o, const char *k, struct dmmd_config *cfg)
{
	json_t *a = json_object_get(o, k);
	int n;

	if (!a) {
		cfg->any_mag = true;
		return 0;
	}
	cfg->mags = calloc(json_array_size(a) + 1, sizeof(*cfg->mags));
	if (!cfg->mags)
		return fail(c, k, "out of memory");
	n = get_addrs(c, o, k, cfg->mags, json_array_size(a));
	if (n < 0)
		return -1;
	cfg->nmags = (uint32_t)n;
	return 0;
}

static int parse_lma(struct ctx *c, json_t *o, struct dmmd_config *cfg)
{
	struct dmm_lma_cfg *l = &cfg->lma;
	uint32_t bri_retries = l->bri_max_retries;

	if (get_u32(c, o, "max-bindings", &l->max_bindings) < 0 ||
	    get_ms(c, o, "min-delay-before-bce-delete", &l->min_delay_before_bce_delete) < 0 ||
	    get_ms(c, o, "max-delay-before-new-bce-assign", &l->max_delay_before_new_bce_assign) < 0 ||
	    get_ms(c, o, "timestamp-validity-window", &l->timestamp_validity_window) < 0 ||
	    get_bool(c, o, "timestamp-based", &l->timestamp_based) < 0 ||
	    get_u32(c, o, "max-lifetime", &l->max_lifetime_s) < 0 ||
	    get_addr(c, o, "user-plane-address", &l->upa) < 0 ||
	    get_bool(c, o, "revoke-on-handoff", &l->revoke_on_handoff) < 0 ||
	    get_u32(c, o, "bri-max-retries", &bri_retries) < 0 ||
	    get_bool(c, o, "domain-wide-lma-upa-support", &l->domain_wide_lma_upa_support) < 0 ||
	    get_bool(c, o, "localized-routing", &l->localized_routing) < 0 || parse_redirect(c, o, l) < 0 ||
	    parse_lr_initiate(c, o, &l->lr) < 0 || parse_pools(c, o, l->pool, &l->npool, &l->hnp_len) < 0)
		return -1;
	l->bri_max_retries = (uint8_t)bri_retries; /* uint8 0..10 in the model */
	return parse_authorized(c, o, "authorized-mags", cfg);
}

/* How hosts are named: mn-id-form eui48 (default) or nai with nai-realm (RFC 4283, RFC 8371). */
static int parse_mnid_form(struct ctx *c, json_t *o, struct dmmd_config *cfg)
{
	static const char *const forms[] = {"eui48", "nai", NULL};
	int f = 0;

	/* The model: a realm of RFC 7542 §2.2, and mn-id-form nai needs one. */
	if (get_enum(c, o, "mn-id-form", forms, &f) < 0 ||
	    get_str(c, o, "nai-realm", cfg->nai_realm, sizeof(cfg->nai_realm)) < 0)
		return -1;
	cfg->mnid_form = f == 1 ? DMMD_MNID_FORM_NAI : DMMD_MNID_FORM_EUI48;
	return 0;
}

/* Access-link fields shared by MAG and MAAR (RFC 5213 §6.8, RFC 4861 §6.2.1). */
static int parse_access(struct ctx *c, json_t *o, struct dmmd_config *cfg)
{
	const char *mac = json_string_value(json_object_get(o, "link-layer-address"));
	json_t *a = json_object_get(o, "access-interfaces"), *v;
	size_t i;

	if (get_addr(c, o, "link-local-address", &cfg->access_lla) < 0 ||
	    get_u32(c, o, "ra-interval", &cfg->ra_interval_s) < 0 ||
	    get_u32(c, o, "router-lifetime", &cfg->router_lifetime_s) < 0 ||
	    get_u32(c, o, "ra-mtu", &cfg->ra_mtu) < 0 ||
	    get_bool(c, o, "attach-probe", &cfg->attach_probe) < 0 || parse_mnid_form(c, o, cfg) < 0 ||
	    get_str(c, o, "pvd-domain", cfg->pvd_domain, sizeof(cfg->pvd_domain)) < 0)
		return -1;
	/* Rule beyond the model: both PvD IDs made of it fit the RA's PvD option (RFC 8801 §3.1). */
	if (*cfg->pvd_domain && dmmd_pvd_domain_ok(cfg->pvd_domain) < 0)
		return fail(c, "pvd-domain",
			    "'%s' does not make a DNS name (RFC 1035 §2.3.4) of anchored.<it>",
			    cfg->pvd_domain);
	if (mac && parse_mac(mac, cfg->access_mac) != 0)
		return fail(c, "link-layer-address", "'%s' is not a MAC address (xx:xx:xx:xx:xx:xx)", mac);
	cfg->maar.access_lla = cfg->access_lla; /* the DLIF option's address (RFC 8885 §4.7) */
	if (json_array_size(a) > DMMD_MAX_ACCESS)
		return fail(c, "access-interfaces", "more than %d entries (model and daemon disagree)",
			    DMMD_MAX_ACCESS);
	json_array_foreach(a, i, v)
	{
		if (!json_is_string(v) || strlen(json_string_value(v)) >= DMM_DP_IFNAMSIZ)
			return fail(c, "access-interfaces", "entry %zu is longer than an interface name", i);
		strcpy(cfg->access[i], json_string_value(v));
		cfg->naccess++;
	}
	return 0;
}

/*
 * RFC 5949 fast handover of a MAG or MAAR ("fast-handover"): enabled, reactive,
 * early-registration, hold, hi-wait, mn-wait and order-wait (MAG) in ms, neighbours (the MAGs or MAARs a new one
 * asks for an unknown MN's context).
 */
static int parse_fho(struct ctx *c, json_t *o, struct dmm_mag_fho_cfg *f)
{
	int n;

	if (get_bool(c, o, "enabled", &f->enabled) < 0 || get_bool(c, o, "reactive", &f->reactive) < 0 ||
	    get_bool(c, o, "early-registration", &f->early_reg) < 0 || get_ms(c, o, "hold", &f->hold) < 0 ||
	    get_ms(c, o, "hi-wait", &f->hi_wait) < 0 || get_ms(c, o, "mn-wait", &f->mn_wait) < 0 ||
	    get_ms(c, o, "order-wait", &f->order_wait) < 0)
		return -1;
	n = get_addrs(c, o, "neighbours", f->neighbour, DMM_MAG_FHO_MAX_NEIGHBOUR);
	if (n < 0)
		return -1;
	f->n_neighbour = (uint8_t)n;
	return 0;
}

/*
 * RFC 6705 localized routing of a MAG ("localized-routing"): enabled, lifetime (s), lra-wait (ms),
 * lri-retries; enable-mag-local-routing and same-lma (scenario A11, §5).
 */
static int parse_lr(struct ctx *c, json_t *o, struct dmm_mag_lr_cfg *l)
{
	uint32_t life = l->lifetime_s, retries = l->retries;

	if (get_bool(c, o, "enabled", &l->enabled) < 0 || get_u32(c, o, "lifetime", &life) < 0 ||
	    get_ms(c, o, "lra-wait", &l->lra_wait) < 0 || get_u32(c, o, "lri-retries", &retries) < 0 ||
	    get_bool(c, o, "enable-mag-local-routing", &l->local_routing) < 0 ||
	    get_bool(c, o, "same-lma", &l->same_lma) < 0)
		return -1;
	l->lifetime_s = (uint16_t)life; /* uint16 in the model */
	l->retries = (uint8_t)retries;	/* uint8 0..10 in the model */
	return 0;
}

/* mag/lma-discovery (RFC 6097): the model says it is set exactly when mag/lma is not. */
static int parse_disc(struct ctx *c, json_t *o, struct dmmd_config *cfg)
{
	struct dmmd_disc_cfg *d = &cfg->disc;
	size_t n;

	d->min_ttl_s = 1;
	d->max_ttl_s = 3600;
	if (!o)
		return 0;
	n = push(c, "lma-discovery");
	if (get_str(c, o, "name", d->name, sizeof(d->name)) < 0 ||
	    get_addr(c, o, "dns-server", &d->server) < 0 || get_u32(c, o, "min-ttl", &d->min_ttl_s) < 0 ||
	    get_u32(c, o, "max-ttl", &d->max_ttl_s) < 0 ||
	    get_bool(c, o, "move-bindings", &cfg->mag.lma_moves) < 0)
		return -1;
	if (d->max_ttl_s < d->min_ttl_s)
		return fail(c, "max-ttl", "is below min-ttl");
	d->has_server = json_object_get(o, "dns-server") != NULL;
	cfg->mag.lma_by_name = d->name[0] != 0;
	pop(c, n);
	return 0;
}

/* The model: max-bindack-timeout >= initial-bindack-timeout (a must on mag). */
static int parse_mag(struct ctx *c, json_t *o, struct dmmd_config *cfg)
{
	struct dmm_mag_cfg *m = &cfg->mag;
	uint32_t retx = m->max_retransmissions;
	json_t *fho = json_object_get(o, "fast-handover");

	if (get_addr(c, o, "lma", &m->default_lma) < 0 || get_u32(c, o, "lifetime", &m->lifetime_s) < 0 ||
	    get_u32(c, o, "max-mobile-nodes", &m->max_mns) < 0 ||
	    get_bool(c, o, "timestamp-based", &m->timestamp_based) < 0 ||
	    get_bool(c, o, "redirect", &m->redirect) < 0 ||
	    get_ms(c, o, "initial-bindack-timeout", &m->initial_bindack_timeout) < 0 ||
	    get_ms(c, o, "max-bindack-timeout", &m->max_bindack_timeout) < 0 ||
	    get_u32(c, o, "max-retransmissions", &retx) < 0 || parse_access(c, o, cfg) < 0)
		return -1;
	m->max_retransmissions = (uint8_t)retx; /* uint8 0..32 in the model */
	if (parse_disc(c, json_object_get(o, "lma-discovery"), cfg) < 0)
		return -1;
	if (fho) {
		size_t n = push(c, "fast-handover");

		if (parse_fho(c, fho, &m->fho) < 0)
			return -1;
		pop(c, n);
	}
	if (json_object_get(o, "localized-routing")) {
		size_t n = push(c, "localized-routing");

		if (parse_lr(c, json_object_get(o, "localized-routing"), &m->lr) < 0)
			return -1;
		pop(c, n);
	}
	return 0;
}

/*
 * GAP2-1 (docs/dmm-protocol.md §13): "release-by" ("traffic", the
 * default, or "sessions": the kernel's connection tracking, which the bpf
 * data plane bypasses) and "prefix-policies", a list of {"prefix",
 * "policy": fixed | sessions | nomadic} (RFC 8653 §3.2's Fixed,
 * Session-Lasting and Nonpersistent addresses).
 */
static int parse_sessions(struct ctx *c, json_t *o, struct dmmd_config *cfg)
{
	static const char *const by[] = {"traffic", "sessions", NULL};
	static const char *const kinds[] = {"sessions", "fixed", "nomadic", NULL}; /* enum dmm_prefix_kind */
	struct dmm_maar_cfg *m = &cfg->maar;
	json_t *a = json_object_get(o, "prefix-policies"), *v;
	int b = 0;
	size_t i;

	/* The model: sessions is refused with the bpf data plane, which bypasses connection tracking. */
	if (get_enum(c, o, "release-by", by, &b) < 0)
		return -1;
	m->release_by_sessions = b == 1;
	m->nprefix_policy = 0;
	if (json_array_size(a) > DMM_MAAR_MAX_PREFIX_POLICY)
		return fail(c, "prefix-policies", "more than %d entries (model and daemon disagree)",
			    DMM_MAAR_MAX_PREFIX_POLICY);
	json_array_foreach(a, i, v)
	{
		struct dmm_prefix_policy *pp = &m->prefix_policy[i];
		const char *pfx = json_string_value(json_object_get(v, "prefix"));
		char idx[96];
		int k = 0;
		size_t n;

		snprintf(idx, sizeof(idx), "prefix-policies[prefix='%s']", pfx ? pfx : "");
		n = push(c, idx);
		if (!pfx || dmm_prefix_parse(pfx, &pp->range) != 0)
			return fail(c, "prefix", "not a prefix");
		if (get_enum(c, v, "policy", kinds, &k) < 0)
			return -1;
		pop(c, n);
		pp->kind = (uint8_t)k;
		m->nprefix_policy++;
	}
	return 0;
}

/* RFC 8885 MAAR: an access router anchoring its own pool. */
static int parse_maar(struct ctx *c, json_t *o, struct dmmd_config *cfg)
{
	struct dmm_maar_cfg *m = &cfg->maar;
	uint32_t prio = m->priority;

	if (get_addr(c, o, "cmd", &m->cmd) < 0 || get_bool(c, o, "anchor-locally", &m->anchor_locally) < 0 ||
	    get_u32(c, o, "max-mobile-nodes", &m->max_mns) < 0 ||
	    get_u32(c, o, "max-anchored", &m->max_anchored) < 0 || get_u32(c, o, "priority", &prio) < 0 ||
	    get_u32(c, o, "lifetime", &m->lifetime_s) < 0 ||
	    get_ms(c, o, "idle-release", &m->idle_release) < 0 ||
	    get_ms(c, o, "idle-check", &m->idle_check) < 0 ||
	    get_ms(c, o, "detach-grace", &m->detach_grace) < 0 ||
	    get_u32(c, o, "prefix-valid-lifetime", &m->prefix_valid_s) < 0 ||
	    get_bool(c, o, "timestamp-based", &m->timestamp_based) < 0 || parse_access(c, o, cfg) < 0 ||
	    get_ms(c, o, "relocate-after", &m->relocate_after) < 0 ||
	    /* docs/dmm-protocol.md §11; the model: routed-table differs from a non-zero anchored-table */
	    get_u32(c, o, "anchored-table", &cfg->anchored_table) < 0 ||
	    get_u32(c, o, "routed-table", &cfg->routed_table) < 0 || parse_sessions(c, o, cfg) < 0)
		return -1;
	m->priority = (uint16_t)prio;		   /* uint16 in the model */
	if (json_object_get(o, "fast-handover")) { /* RFC 5949 between MAARs: the MAG's container */
		size_t n = push(c, "fast-handover");

		if (parse_fho(c, json_object_get(o, "fast-handover"), &m->fho) < 0)
			return -1;
		pop(c, n);
	}
	return parse_pools(c, o, m->pool, &m->npool, &m->hnp_len);
}

/* RFC 8885 CMD: location only. */
static int parse_cmd(struct ctx *c, json_t *o, struct dmmd_config *cfg)
{
	static const char *const modes[] = {"proxy", "relay", NULL};
	struct dmm_cmd_cfg *m = &cfg->cmd;
	uint32_t pacing_us = (uint32_t)(m->pbu_pacing / DMM_USEC);
	int mode = 0;

	if (get_enum(c, o, "mode", modes, &mode) < 0 ||
	    get_ms(c, o, "relay-timeout", &m->relay_timeout) < 0 ||
	    get_u32(c, o, "max-mobile-nodes", &m->max_mns) < 0 ||
	    get_u32(c, o, "max-maars", &m->max_maars) < 0 ||
	    get_u32(c, o, "max-lifetime", &m->max_lifetime_s) < 0 ||
	    get_bool(c, o, "timestamp-based", &m->timestamp_based) < 0 ||
	    get_ms(c, o, "min-delay-before-bce-delete", &m->min_delay_before_bce_delete) < 0 ||
	    get_u32(c, o, "pbu-pacing-us", &pacing_us) < 0 ||
	    get_u32(c, o, "max-update-rate", &m->max_update_rate) < 0 ||
	    get_u32(c, o, "max-pending-updates", &m->max_pending_updates) < 0 || /* RFC 8885 §3.2 */
	    get_bool(c, o, "reanchor-on-failure", &m->reanchor_on_failure) < 0) /* docs/dmm-protocol.md §11 */
		return -1;
	m->pbu_pacing = (dmm_time_t)pacing_us * DMM_USEC;
	m->mode = mode == 1 ? DMM_CMD_RELAY : DMM_CMD_PROXY;
	return parse_authorized(c, o, "authorized-maars", cfg);
}

/* --- dmm:node/monitoring (docs/operations.md) --- */

static const char *const facility_names[] = {"daemon", "local0", "local1", "local2", "local3",
					     "local4", "local5", "local6", "local7", NULL};
static const int facilities[] = {LOG_DAEMON, LOG_LOCAL0, LOG_LOCAL1, LOG_LOCAL2, LOG_LOCAL3,
				 LOG_LOCAL4, LOG_LOCAL5, LOG_LOCAL6, LOG_LOCAL7};

/*
 * metrics (a presence container: it turns /metrics on) with address and
 * port; usage-records with file or syslog-facility (a mandatory choice).
 */
static int parse_monitoring(struct ctx *c, json_t *node, struct dmmd_monitoring_cfg *m)
{
	json_t *o = json_object_get(node, "monitoring"), *v;
	uint32_t port = m->metrics_port;
	int f = -1;
	size_t n;

	if (!o)
		return 0;
	n = push(c, "monitoring");
	if ((v = json_object_get(o, "metrics")) != NULL) {
		size_t k = push(c, "metrics");

		if (get_str(c, v, "address", m->metrics_address, sizeof(m->metrics_address)) < 0 ||
		    get_u32(c, v, "port", &port) < 0)
			return -1;
		m->metrics_port = (uint16_t)port; /* inet:port-number 1..65535 */
		m->metrics = true;
		pop(c, k);
	}
	if ((v = json_object_get(o, "usage-records")) != NULL) {
		size_t k = push(c, "usage-records");

		if (get_str(c, v, "file", m->usage_file, sizeof(m->usage_file)) < 0 ||
		    get_enum(c, v, "syslog-facility", facility_names, &f) < 0)
			return -1;
		if (f >= 0)
			m->usage_syslog = facilities[f];
		pop(c, k);
	}
	pop(c, n);
	return 0;
}

/*
 * dmm:node/multicast (daemon/mcast.c): {"mode": "direct" | "via-anchor", "upstream": IFNAME,
 * "anchor": ADDRESS (via-anchor),
 * "robustness", "query-interval", "query-response-interval",
 * "last-listener-query-interval" (ms)}; MAG and MAAR only.
 */
static int parse_multicast(struct ctx *c, json_t *node, struct dmmd_config *cfg)
{
	static const char *const modes[] = {"direct", "via-anchor", NULL};
	json_t *o = json_object_get(node, "multicast");
	struct dmmd_mcast_cfg *m = &cfg->mcast;
	int mode = 0;
	size_t n;

	if (!o)
		return 0;
	/* The model: a MAG or MAAR only, query-response-interval below query-interval (RFC 3810 §9.3), an
	 * anchor in via-anchor mode. */
	n = push(c, "multicast");
	if (get_enum(c, o, "mode", modes, &mode) < 0 ||
	    get_str(c, o, "upstream", m->upstream, sizeof(m->upstream)) < 0 ||
	    get_u32(c, o, "robustness", &m->robustness) < 0 ||
	    get_ms(c, o, "query-interval", &m->query_interval) < 0 ||
	    get_ms(c, o, "query-response-interval", &m->response) < 0 ||
	    get_ms(c, o, "last-listener-query-interval", &m->last_listener) < 0)
		return -1;
	if (get_addr(c, o, "anchor", &m->anchor) < 0)
		return -1;
	m->mode = mode == 0 ? DMMD_MCAST_DIRECT : DMMD_MCAST_VIA_ANCHOR;
	pop(c, n);
	return 0;
}

static void defaults(struct dmmd_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	dmm_lma_cfg_defaults(&cfg->lma);
	dmm_mag_cfg_defaults(&cfg->mag);
	dmm_maar_cfg_defaults(&cfg->maar);
	/* Hosts must be able to lose a released prefix soon (RFC 4862 §5.5.3 e): 60 s, renewed by RAs. */
	cfg->maar.prefix_valid_s = 60;
	dmm_cmd_cfg_defaults(&cfg->cmd);
	strcpy(cfg->dataplane, "kernel");
	strcpy(cfg->log_level, "info");
	strcpy(cfg->tun_name, "dmm0");
	/* RFC 5213 §6.8: every MAG shows the same link-local address and MAC. */
	dmm_addr_parse("fe80::1", &cfg->access_lla);
	memcpy(cfg->access_mac, "\x02\x00\x00\x00\xd3\x01", 6);
	cfg->ra_interval_s = 10;
	cfg->router_lifetime_s = 1800;
	/* RFC 2473 §7: 1500 on the access link minus the 40-octet tunnel header. */
	cfg->ra_mtu = 1460;
	cfg->attach_probe = true;
	/* A detached MN's downlink: 256 packets (250 ms at 1000/s), 384 KiB, 2 s old at most. */
	cfg->buffer_packets = 256;
	cfg->buffer_bytes = 393216;
	cfg->buffer_time_ms = 2000;
	strcpy(cfg->mon.metrics_address, "::1");
	cfg->mon.metrics_port = 9437;
	cfg->mon.usage_syslog = -1;
	cfg->mcast.robustness = 2; /* RFC 3810 §9 */
	cfg->mcast.query_interval = 125 * DMM_SECOND;
	cfg->mcast.response = 10 * DMM_SECOND;
	cfg->mcast.last_listener = 1 * DMM_SECOND;
}

/*
 * The leaves of dmm:node every role has: name, role, transport, address,
 * data plane, paths, log level, restart counter.
 */
static int parse_node(struct ctx *c, json_t *node, struct dmmd_config *cfg)
{
	static const char *const roles[] = {"lma", "mag", "maar", "cmd", NULL};
	static const char *const transports[] = {"ip6", "udp", NULL};
	int role = 0, tr = 0;

	if (get_str(c, node, "name", cfg->name, sizeof(cfg->name)) < 0 ||
	    get_enum(c, node, "role", roles, &role) < 0 ||
	    get_enum(c, node, "transport", transports, &tr) < 0 ||
	    get_addr(c, node, "address", &cfg->address) < 0 ||
	    get_str(c, node, "dataplane", cfg->dataplane, sizeof(cfg->dataplane)) < 0 ||
	    get_str(c, node, "control-socket", cfg->ctl_path, sizeof(cfg->ctl_path)) < 0 ||
	    get_str(c, node, "log-level", cfg->log_level, sizeof(cfg->log_level)) < 0 ||
	    get_str(c, node, "tun-name", cfg->tun_name, sizeof(cfg->tun_name)) < 0 ||
	    get_u32(c, node, "buffer-packets", &cfg->buffer_packets) < 0 ||
	    get_u32(c, node, "buffer-bytes", &cfg->buffer_bytes) < 0 ||
	    get_u32(c, node, "buffer-time", &cfg->buffer_time_ms) < 0 ||
	    get_u32(c, node, "restart-counter", &cfg->restart_counter_initial) < 0 ||
	    get_str(c, node, "state-file", cfg->state_file, sizeof(cfg->state_file)) < 0)
		return -1;
	cfg->role = (enum dmmd_role)role;
	cfg->transport = tr == 1 ? DMMD_TRANSPORT_UDP : DMMD_TRANSPORT_IP6;
	/* Rule beyond the model: the data plane must be built into this dmmd. */
	if (!dmm_dp_find(cfg->dataplane))
		return fail(c, "dataplane", "'%s' is not built into this dmmd", cfg->dataplane);
	/* Defaults that depend on name, which a YANG default cannot say. */
	if (!*cfg->ctl_path)
		snprintf(cfg->ctl_path, sizeof(cfg->ctl_path), "/run/dmmd-%s.sock",
			 *cfg->name ? cfg->name : "node");
	/* RFC 5847 §3.2: the Restart Counter is state preserved across reboots. */
	if (!*cfg->state_file)
		snprintf(cfg->state_file, sizeof(cfg->state_file), "/var/lib/dmm/%s.state",
			 *cfg->name ? cfg->name : "node");
	return 0;
}

/*
 * Node-wide leaves every role's config carries a copy of: heartbeat,
 * restart counter, address. Until main.c reads the state file the
 * counter is that of a first start: restart-counter + 1.
 */
static int parse_shared(struct ctx *c, json_t *node, struct dmmd_config *cfg)
{
	uint32_t rc = cfg->restart_counter_initial + 1u; /* mod 2^32 */

	if (parse_heartbeat(c, node, &cfg->lma.heartbeat_interval, &cfg->lma.missing_heartbeats_allowed) <
		    0 ||
	    parse_peers(c, node, cfg) < 0)
		return -1;
	cfg->mag.heartbeat_interval = cfg->maar.heartbeat_interval = cfg->cmd.heartbeat_interval =
		cfg->lma.heartbeat_interval;
	cfg->mag.missing_heartbeats_allowed = cfg->maar.missing_heartbeats_allowed =
		cfg->cmd.missing_heartbeats_allowed = cfg->lma.missing_heartbeats_allowed;
	cfg->lma.restart_counter = cfg->mag.restart_counter = cfg->maar.restart_counter =
		cfg->cmd.restart_counter = rc;
	cfg->lma.addr = cfg->mag.addr = cfg->maar.addr = cfg->cmd.addr = cfg->address;
	return 0;
}

/* The role's own container (the model's when and must allow no other role's, and require it). */
static int parse_role_container(struct ctx *c, json_t *node, struct dmmd_config *cfg)
{
	static int (*const parse[])(struct ctx *, json_t *, struct dmmd_config *) = {
		[DMMD_ROLE_LMA] = parse_lma,
		[DMMD_ROLE_MAG] = parse_mag,
		[DMMD_ROLE_MAAR] = parse_maar,
		[DMMD_ROLE_CMD] = parse_cmd,
	};
	const char *own = dmmd_role_name(cfg->role);
	json_t *sub = json_object_get(node, own);
	size_t n;

	if (!json_is_object(sub))
		return fail(c, own, "missing (model and daemon disagree)");
	n = push(c, own);
	if (parse[cfg->role](c, sub, cfg) < 0)
		return -1;
	pop(c, n);
	return 0;
}

/*
 * Rule beyond the model: an empty authorized-mags or authorized-maars.
 * YANG has no empty leaf-list (libyang reads [] as absent, which means
 * "any"), so [] would open the node to every gateway; it is refused.
 */
static int empty_authorized(struct ctx *c, const char *text)
{
	static const char *const lists[][2] = {{"lma", "authorized-mags"}, {"cmd", "authorized-maars"}};
	json_t *root = json_loads(text, 0, NULL), *node = json_object_get(root, "dmm:node");
	int ret = 0;

	for (size_t i = 0; i < 2 && ret == 0; i++) {
		json_t *a = json_object_get(json_object_get(node, lists[i][0]), lists[i][1]);

		if (json_is_array(a) && json_array_size(a) == 0) {
			size_t n = push(c, lists[i][0]);

			ret = fail(c, lists[i][1],
				   "an empty list would authorise nobody, and YANG reads it as "
				   "absent (any): leave it out for any");
			pop(c, n);
		}
	}
	json_decref(root);
	return ret;
}

int dmmd_config_parse(const char *text, struct dmmd_config *out, char *err, size_t errlen)
{
	struct ctx c = {err, errlen, "/dmm:node"};
	struct dmmd_config cfg;
	char *canon;
	json_t *root, *node;
	int ret = -1;

	defaults(&cfg);
	/* The model first: libyang validates, then prints every leaf with its default. */
	canon = dmmd_yang_validate(text, err, errlen);
	if (!canon)
		return -1;
	root = json_loads(canon, 0, NULL);
	free(canon);
	node = json_object_get(root, "dmm:node");
	if (!json_is_object(node)) {
		fail(&c, NULL, "libyang printed no dmm:node");
		goto out;
	}
	if (empty_authorized(&c, text) < 0 || parse_node(&c, node, &cfg) < 0 ||
	    parse_shared(&c, node, &cfg) < 0 || parse_role_container(&c, node, &cfg) < 0 ||
	    parse_profiles(&c, node, &cfg) < 0 || parse_security(&c, node, &cfg) < 0 ||
	    parse_monitoring(&c, node, &cfg.mon) < 0 || parse_multicast(&c, node, &cfg) < 0)
		goto out;
	*out = cfg;
	ret = 0;
out:
	if (ret < 0)
		dmmd_config_free(&cfg);
	json_decref(root);
	return ret;
}

struct dmm_addr dmmd_config_dp_local(const struct dmmd_config *cfg)
{
	/* An LMA may carry user traffic on an address of its own (the LMA-UPA, RFC 6463 §5.2). */
	if (cfg->role == DMMD_ROLE_LMA && !dmm_addr_is_zero(&cfg->lma.upa))
		return cfg->lma.upa;
	return cfg->address;
}

const char *dmmd_role_name(enum dmmd_role r)
{
	static const char *const n[] = {"lma", "mag", "maar", "cmd"};

	return (unsigned)r < 4 ? n[r] : "?";
}

int dmmd_config_load(const char *path, struct dmmd_config *cfg, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	char *text;
	long n;
	int ret;

	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || n > (1 << 24) || fseek(f, 0, SEEK_SET) != 0) {
		fclose(f);
		snprintf(err, errlen, "%s: cannot read (or larger than 16 MiB)", path);
		return -1;
	}
	text = calloc(1, (size_t)n + 1);
	if (!text || fread(text, 1, (size_t)n, f) != (size_t)n) {
		free(text);
		fclose(f);
		snprintf(err, errlen, "%s: read error", path);
		return -1;
	}
	fclose(f);
	ret = dmmd_config_parse(text, cfg, err, errlen);
	free(text);
	return ret;
}

void dmmd_config_set_restart_counter(struct dmmd_config *cfg, uint32_t counter)
{
	cfg->lma.restart_counter = cfg->mag.restart_counter = cfg->maar.restart_counter =
		cfg->cmd.restart_counter = counter;
}

uint32_t dmmd_config_restart_counter(const struct dmmd_config *cfg)
{
	return cfg->lma.restart_counter;
}

void dmmd_config_mnid_of_mac(const struct dmmd_config *cfg, const uint8_t mac[6], struct dmm_mnid *out)
{
	static const char hex[] = "0123456789abcdef";
	size_t rl = strlen(cfg->nai_realm);

	memset(out, 0, sizeof(*out));
	if (cfg->mnid_form != DMMD_MNID_FORM_NAI) {
		out->subtype = DMM_MNID_EUI48; /* RFC 8371 §4.3 */
		out->len = 6;
		memcpy(out->id, mac, 6);
		return;
	}
	/* RFC 4283 §3 subtype 1: an NAI (RFC 7542), here "02-00-00-00-01-01@realm". */
	out->subtype = DMM_MNID_NAI;
	for (int i = 0; i < 6; i++) {
		out->id[3 * i] = (uint8_t)hex[mac[i] >> 4];
		out->id[3 * i + 1] = (uint8_t)hex[mac[i] & 0xf];
		out->id[3 * i + 2] = i < 5 ? '-' : '@';
	}
	memcpy(out->id + 18, cfg->nai_realm, rl); /* rl <= DMMD_REALM_MAX: 18 + rl <= 255 */
	out->len = (uint8_t)(18 + rl);
}

void dmmd_config_free(struct dmmd_config *cfg)
{
	if (cfg->sa)
		explicit_bzero(cfg->sa, cfg->nsa * sizeof(*cfg->sa));
	free(cfg->sa);
	cfg->sa = NULL;
	cfg->nsa = 0;
	free(cfg->profiles);
	free(cfg->mags);
	cfg->profiles = NULL;
	cfg->mags = NULL;
	cfg->nprofiles = cfg->nmags = 0;
}

int dmmd_config_reloadable(const struct dmmd_config *old, const struct dmmd_config *new, char *err,
			   size_t errlen)
{
	const char *what = NULL;

	if (old->role != new->role)
		what = "role";
	else if (!dmm_addr_eq(&old->address, &new->address))
		what = "address";
	else if (old->transport != new->transport)
		what = "transport";
	else if (strcmp(old->dataplane, new->dataplane) != 0)
		what = "dataplane";
	else if (strcmp(old->ctl_path, new->ctl_path) != 0)
		what = "control-socket";
	else if (old->buffer_packets != new->buffer_packets || old->buffer_bytes != new->buffer_bytes ||
		 old->buffer_time_ms != new->buffer_time_ms)
		what = "buffer bounds";
	else if (strcmp(old->state_file, new->state_file) != 0)
		what = "state-file";
	else if (old->maar.release_by_sessions != new->maar.release_by_sessions)
		what = "maar release-by";
	else if (old->anchored_table != new->anchored_table || old->routed_table != new->routed_table)
		what = "maar anchored-table or routed-table";
	else if (old->mon.metrics != new->mon.metrics || old->mon.metrics_port != new->mon.metrics_port ||
		 strcmp(old->mon.metrics_address, new->mon.metrics_address) != 0)
		what = "monitoring/metrics";
	else if (old->role == DMMD_ROLE_LMA &&
		 (old->lma.npool != new->lma.npool || old->lma.hnp_len != new->lma.hnp_len ||
		  memcmp(old->lma.pool, new->lma.pool, sizeof(old->lma.pool)) != 0 ||
		  old->lma.max_bindings != new->lma.max_bindings))
		what = "lma pools or capacity";
	else if (old->role == DMMD_ROLE_LMA && !old->lma.lr.initiate && new->lma.lr.initiate)
		what = "lma localized-routing-initiate from off to on"; /* its per-MAG lists are made at start */
	else if (old->role == DMMD_ROLE_MAAR &&
		 (old->maar.npool != new->maar.npool || old->maar.hnp_len != new->maar.hnp_len ||
		  memcmp(old->maar.pool, new->maar.pool, sizeof(old->maar.pool)) != 0 ||
		  !dmm_addr_eq(&old->maar.cmd, &new->maar.cmd) || old->maar.max_mns != new->maar.max_mns))
		what = "maar pools, cmd or capacity";
	else if (old->role == DMMD_ROLE_CMD &&
		 (old->cmd.max_mns != new->cmd.max_mns || old->cmd.max_maars != new->cmd.max_maars ||
		  old->cmd.max_pending_updates != new->cmd.max_pending_updates))
		what = "cmd capacities";
	else if (dmmd_role_has_access(old->role) &&
		 (old->naccess != new->naccess ||
		  memcmp(old->access, new->access, sizeof(old->access)) != 0 ||
		  !dmm_addr_eq(&old->access_lla, &new->access_lla) ||
		  memcmp(old->access_mac, new->access_mac, 6) != 0 || old->mag.max_mns != new->mag.max_mns))
		what = "access interfaces, addresses or capacity";
	else if (memcmp(&old->mcast, &new->mcast, sizeof(old->mcast)) != 0) /* both from defaults(): zeroed */
		what = "multicast";
	if (what) {
		snprintf(err, errlen, "dmm:node: changing %s needs a restart", what);
		return -1;
	}
	return 0;
}
