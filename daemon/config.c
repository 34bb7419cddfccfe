/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * dmmd config loader. The file is the JSON encoding of the config part
 * of yang/dmm.yang (container "dmm:node"). Every field is checked for
 * type and range, unknown fields are refused, and the first error is
 * reported as "<json path>: <reason>".
 */
#include <arpa/inet.h>
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
#include "dmm/err.h"
#include "dmm/fmt.h"
#include "dmm/mh.h"

struct ctx {
	char *err;
	size_t errlen;
	char path[256];
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

/* Enter a sub-object for error paths; returns the old path length. */
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

/* Refuse keys of obj not in allowed (NULL-terminated). */
static int only(struct ctx *c, json_t *obj, const char *const *allowed)
{
	const char *k;
	json_t *v;

	json_object_foreach(obj, k, v)
	{
		bool ok = false;

		for (const char *const *a = allowed; *a; a++)
			ok |= strcmp(*a, k) == 0;
		if (!ok)
			return fail(c, k, "unknown field");
	}
	return 0;
}

static int get_str(struct ctx *c, json_t *o, const char *k, char *out, size_t cap, bool required)
{
	json_t *v = json_object_get(o, k);

	if (!v)
		return required ? fail(c, k, "missing") : 0;
	if (!json_is_string(v))
		return fail(c, k, "expected a string");
	if (!*json_string_value(v))
		return fail(c, k, "empty (leave the field out for its default)");
	if (strlen(json_string_value(v)) >= cap)
		return fail(c, k, "longer than %zu characters", cap - 1);
	strcpy(out, json_string_value(v));
	return 0;
}

static int get_addr(struct ctx *c, json_t *o, const char *k, struct dmm_addr *out, bool required)
{
	char s[64] = "";

	if (get_str(c, o, k, s, sizeof(s), required) < 0)
		return -1;
	if (!*s)
		return 0;
	if (dmm_addr_parse(s, out) != 0)
		return fail(c, k, "'%s' is not an IPv6 address", s);
	return 0;
}

static int get_u32(struct ctx *c, json_t *o, const char *k, uint32_t *out, uint32_t min, uint32_t max)
{
	json_t *v = json_object_get(o, k);
	json_int_t x;

	if (!v)
		return 0;
	if (!json_is_integer(v))
		return fail(c, k, "expected an integer");
	x = json_integer_value(v);
	if (x < (json_int_t)min || x > (json_int_t)max)
		return fail(c, k, "%lld is outside %u..%u", (long long)x, min, max);
	*out = (uint32_t)x;
	return 0;
}

/* A duration in milliseconds into dmm_time_t. */
static int get_ms(struct ctx *c, json_t *o, const char *k, dmm_time_t *out, uint32_t min, uint32_t max)
{
	uint32_t ms = (uint32_t)(*out / DMM_MSEC);

	if (get_u32(c, o, k, &ms, min, max) < 0)
		return -1;
	*out = (dmm_time_t)ms * DMM_MSEC;
	return 0;
}

static int get_bool(struct ctx *c, json_t *o, const char *k, bool *out)
{
	json_t *v = json_object_get(o, k);

	if (!v)
		return 0;
	if (!json_is_boolean(v))
		return fail(c, k, "expected true or false");
	*out = json_is_true(v);
	return 0;
}

/* xx:xx:xx:xx:xx:xx, two hex digits an octet. */
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

/* A prefix in text form whose length has no leading zero (RFC 4291 §2.3). */
static int parse_prefix_strict(const char *t, struct dmm_prefix *p)
{
	const char *slash = strchr(t, '/');

	if (slash && slash[1] == '0' && slash[2])
		return -1;
	return dmm_prefix_parse(t, p) == 0 ? 0 : -1;
}

static int parse_profile(struct ctx *c, json_t *o, struct dmm_policy_profile *p, bool is_default)
{
	static const char *const node_keys[] = {"mn-id", "may-register", "lma", "prefixes", NULL};
	static const char *const default_keys[] = {"mn-id-type", "may-register", "lma", "prefixes", NULL};
	char s[300];
	json_t *a, *v;
	size_t i;

	memset(p, 0, sizeof(*p));
	p->may_register = true;
	p->n_alloc = 1;
	if (!json_is_object(o))
		return fail(c, NULL, "expected an object");
	if (only(c, o, is_default ? default_keys : node_keys) < 0 ||
	    get_bool(c, o, "may-register", &p->may_register) < 0)
		return -1;
	if (is_default) {
		*s = 0;
		if (get_str(c, o, "mn-id-type", s, sizeof(s), false) < 0)
			return -1;
		if (!*s || strcmp(s, "any") == 0)
			p->mnid.subtype = 0;
		else if (strcmp(s, "eui48") == 0)
			p->mnid.subtype = DMM_MNID_EUI48;
		else if (strcmp(s, "eui64") == 0)
			p->mnid.subtype = DMM_MNID_EUI64;
		else if (strcmp(s, "nai") == 0)
			p->mnid.subtype = DMM_MNID_NAI;
		else
			return fail(c, "mn-id-type", "'%s' is not one of any, eui48, eui64, nai", s);
	} else {
		struct dmm_mnid id;

		if (get_str(c, o, "mn-id", s, sizeof(s), true) < 0)
			return -1;
		if (dmm_mnid_parse(s, &id) != 0)
			return fail(c, "mn-id",
				    "'%s' is not an MN-ID (nai:..., eui48:..., eui64:..., imsi:...)", s);
		p->mnid = id;
	}
	if ((a = json_object_get(o, "lma")) != NULL) {
		if (!json_is_array(a) || json_array_size(a) > DMM_POLICY_MAX_LMA)
			return fail(c, "lma", "expected a list of at most %d addresses", DMM_POLICY_MAX_LMA);
		json_array_foreach(a, i, v)
		{
			if (!json_is_string(v) || dmm_addr_parse(json_string_value(v), &p->lma[i]) != 0)
				return fail(c, "lma", "entry %zu is not an IPv6 address", i);
			p->n_lma++;
		}
	}
	if ((a = json_object_get(o, "prefixes")) != NULL) {
		if (!json_is_array(a) || json_array_size(a) == 0 ||
		    json_array_size(a) > DMM_POLICY_MAX_PREFIX)
			return fail(c, "prefixes", "expected a list of 1 to %d prefixes",
				    DMM_POLICY_MAX_PREFIX);
		json_array_foreach(a, i, v)
		{
			if (!json_is_string(v) ||
			    parse_prefix_strict(json_string_value(v), &p->prefix[i]) != 0)
				return fail(c, "prefixes", "entry %zu is not a prefix (addr/len)", i);
			p->n_prefix++;
		}
		p->n_alloc = 0;
	}
	return 0;
}

static int parse_profiles(struct ctx *c, json_t *node, struct dmmd_config *cfg)
{
	json_t *a = json_object_get(node, "mobile-nodes"), *d = json_object_get(node, "default-profile"), *v;
	size_t i, n;

	if (a) {
		if (!json_is_array(a))
			return fail(c, "mobile-nodes", "expected a list");
		cfg->profiles = calloc(json_array_size(a) + 1, sizeof(*cfg->profiles));
		if (!cfg->profiles)
			return fail(c, "mobile-nodes", "out of memory");
		json_array_foreach(a, i, v)
		{
			char idx[48];

			snprintf(idx, sizeof(idx), "mobile-nodes[%zu]", i);
			n = push(c, idx);
			if (parse_profile(c, v, &cfg->profiles[i], false) < 0)
				return -1;
			pop(c, n);
			for (size_t j = 0; j < i; j++)
				if (dmm_mnid_eq(&cfg->profiles[j].mnid, &cfg->profiles[i].mnid))
					return fail(c, idx, "duplicate mn-id (also entry %zu)", j);
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
	static const char *const keys[] = {"interval", "missing-allowed", NULL};
	json_t *h = json_object_get(node, "heartbeat");
	uint32_t iv = (uint32_t)(*interval / DMM_MSEC), m = *missing;
	size_t n;

	if (!h)
		return 0;
	n = push(c, "heartbeat");
	if (!json_is_object(h))
		return fail(c, NULL, "expected an object");
	/* RFC 5847 §5: 30..3600 s; shorter intervals are allowed for labs (>= 100 ms). 0 disables. */
	if (only(c, h, keys) < 0 || get_u32(c, h, "interval", &iv, 0, 3600000) < 0 ||
	    get_u32(c, h, "missing-allowed", &m, 1, 255) < 0)
		return -1;
	if (iv && iv < 100)
		return fail(c, "interval", "%u ms is below 100 ms", iv);
	pop(c, n);
	*interval = (dmm_time_t)iv * DMM_MSEC;
	*missing = (uint8_t)m;
	return 0;
}

/* One entry of dmm:node/peers: an address and its settings. */
static int parse_peer(struct ctx *c, json_t *o, struct dmmd_peer_cfg *p)
{
	static const char *const keys[] = {"address", "heartbeat", NULL};

	p->heartbeat = true;
	if (!json_is_object(o))
		return fail(c, NULL, "expected an object");
	if (only(c, o, keys) < 0 || get_addr(c, o, "address", &p->address, true) < 0 ||
	    get_bool(c, o, "heartbeat", &p->heartbeat) < 0)
		return -1;
	if (dmm_addr_is_zero(&p->address) || p->address.b[0] == 0xff)
		return fail(c, "address", "not a unicast address");
	return 0;
}

/*
 * dmm:node/peers: settings per mobility peer. heartbeat false: never send
 * that peer Heartbeat Requests (RFC 5847 §3 makes heartbeats optional;
 * some implementations lack them and misbehave when they arrive).
 */
static int parse_peers(struct ctx *c, json_t *node, struct dmmd_config *cfg)
{
	json_t *a = json_object_get(node, "peers"), *v;
	size_t i, n;

	if (!a)
		return 0;
	if (!json_is_array(a) || json_array_size(a) > DMMD_MAX_PEERS)
		return fail(c, "peers", "expected a list of at most %d peers", DMMD_MAX_PEERS);
	json_array_foreach(a, i, v)
	{
		char idx[32];

		snprintf(idx, sizeof(idx), "peers[%zu]", i);
		n = push(c, idx);
		if (parse_peer(c, v, &cfg->peers[i]) < 0)
			return -1;
		pop(c, n);
		for (size_t j = 0; j < i; j++)
			if (dmm_addr_eq(&cfg->peers[j].address, &cfg->peers[i].address))
				return fail(c, idx, "duplicate address (also entry %zu)", j);
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
	static const char *const keys[] = {"spi", "algorithm", "key-file", NULL};
	char alg[32] = "";
	size_t i;

	if (!json_is_object(o))
		return fail(c, NULL, "expected an object");
	if (only(c, o, keys) < 0)
		return -1;
	if (!json_object_get(o, "spi"))
		return fail(c, "spi", "missing");
	/* RFC 4285 §5.1: the SPIs 0-255 are reserved. */
	if (get_u32(c, o, "spi", &k->spi, DMMD_SA_SPI_MIN, UINT32_MAX) < 0 ||
	    get_str(c, o, "algorithm", alg, sizeof(alg), true) < 0 ||
	    get_str(c, o, "key-file", k->file, sizeof(k->file), true) < 0)
		return -1;
	for (i = 0; i < sizeof(auth_algs) / sizeof(auth_algs[0]); i++)
		if (strcmp(alg, auth_algs[i].name) == 0)
			break;
	if (i == sizeof(auth_algs) / sizeof(auth_algs[0]))
		return fail(c, "algorithm", "'%s' is not one of hmac-sha1-96, hmac-sha256-128", alg);
	k->alg = auth_algs[i].alg;
	return read_key(c, k, auth_algs[i].keylen);
}

/* The keys list of an association: one or two, distinct SPIs. */
static int parse_sa_keys(struct ctx *c, json_t *o, struct dmmd_sa_cfg *sa)
{
	json_t *a = json_object_get(o, "keys"), *v;
	size_t i, n;

	if (!a || !json_is_array(a) || json_array_size(a) < 1 || json_array_size(a) > DMMD_SA_KEYS)
		return fail(c, "keys", "expected a list of 1 or 2 keys (the first signs)");
	json_array_foreach(a, i, v)
	{
		char idx[32];

		snprintf(idx, sizeof(idx), "keys[%zu]", i);
		n = push(c, idx);
		if (parse_sa_key(c, v, &sa->keys[i]) < 0)
			return -1;
		pop(c, n);
		if (i > 0 && sa->keys[0].spi == sa->keys[i].spi)
			return fail(c, idx, "spi %u is also keys[0]'s", sa->keys[i].spi);
		sa->nkeys++;
	}
	return 0;
}

static int parse_sa(struct ctx *c, json_t *o, struct dmmd_sa_cfg *sa)
{
	static const char *const keys[] = {"peer", "keys", "replay-window", NULL};

	sa->replay_window = 7; /* RFC 4285 §5.1 and §6 */
	if (!json_is_object(o))
		return fail(c, NULL, "expected an object");
	if (only(c, o, keys) < 0 || get_addr(c, o, "peer", &sa->peer, true) < 0 ||
	    get_u32(c, o, "replay-window", &sa->replay_window, 1, 3600) < 0)
		return -1;
	if (dmm_addr_is_zero(&sa->peer) || sa->peer.b[0] == 0xff)
		return fail(c, "peer", "not a unicast address");
	return parse_sa_keys(c, o, sa);
}

/* The associations list of dmm:node/security into cfg->sa. */
static int parse_sa_list(struct ctx *c, json_t *a, struct dmmd_config *cfg)
{
	json_t *v;
	size_t i;

	if (!json_is_array(a) || json_array_size(a) > DMMD_MAX_PEERS)
		return fail(c, "associations", "expected a list of at most %d associations", DMMD_MAX_PEERS);
	cfg->sa = calloc(json_array_size(a) + 1, sizeof(*cfg->sa));
	if (!cfg->sa)
		return fail(c, "associations", "out of memory");
	json_array_foreach(a, i, v)
	{
		char idx[48];
		size_t m;

		snprintf(idx, sizeof(idx), "associations[%zu]", i);
		m = push(c, idx);
		if (parse_sa(c, v, &cfg->sa[i]) < 0)
			return -1;
		pop(c, m);
		cfg->nsa++;
		for (size_t j = 0; j < i; j++)
			if (dmm_addr_eq(&cfg->sa[j].peer, &cfg->sa[i].peer))
				return fail(c, idx, "a second association with the same peer (entry %zu)", j);
	}
	return 0;
}

/* dmm:node/security: the associations, one per peer address. */
static int parse_security(struct ctx *c, json_t *node, struct dmmd_config *cfg)
{
	static const char *const keys[] = {"associations", NULL};
	json_t *sec = json_object_get(node, "security"), *a;
	size_t n;

	if (!sec)
		return 0;
	if (!json_is_object(sec))
		return fail(c, "security", "expected an object");
	n = push(c, "security");
	if (only(c, sec, keys) < 0)
		return -1;
	a = json_object_get(sec, "associations");
	if (a && parse_sa_list(c, a, cfg) < 0)
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

static int parse_pools(struct ctx *c, json_t *o, struct dmm_prefix *pool, uint8_t *npool, uint8_t plen);

static int parse_lma(struct ctx *c, json_t *o, struct dmmd_config *cfg)
{
	static const char *const keys[] = {"pools",
					   "prefix-length",
					   "max-bindings",
					   "min-delay-before-bce-delete",
					   "max-delay-before-new-bce-assign",
					   "timestamp-validity-window",
					   "timestamp-based",
					   "max-lifetime",
					   "authorized-mags",
					   "user-plane-address",
					   "revoke-on-handoff",
					   "bri-max-retries",
					   "domain-wide-lma-upa-support",
					   NULL};
	struct dmm_lma_cfg *l = &cfg->lma;
	json_t *a, *v;
	size_t i;
	uint32_t plen = l->hnp_len, maxlife = l->max_lifetime_s, maxb = l->max_bindings;
	uint32_t bri_retries = l->bri_max_retries;

	if (!json_is_object(o))
		return fail(c, NULL, "expected an object");
	if (only(c, o, keys) < 0 || get_u32(c, o, "prefix-length", &plen, 1, 128) < 0 ||
	    get_u32(c, o, "max-bindings", &maxb, 1, 10000000) < 0 ||
	    get_ms(c, o, "min-delay-before-bce-delete", &l->min_delay_before_bce_delete, 0, 3600000) < 0 ||
	    get_ms(c, o, "max-delay-before-new-bce-assign", &l->max_delay_before_new_bce_assign, 0, 3600000) <
		    0 ||
	    get_ms(c, o, "timestamp-validity-window", &l->timestamp_validity_window, 1, 3600000) < 0 ||
	    get_bool(c, o, "timestamp-based", &l->timestamp_based) < 0 ||
	    get_u32(c, o, "max-lifetime", &maxlife, 4, 262140) < 0 ||
	    get_addr(c, o, "user-plane-address", &l->upa, false) < 0 ||
	    get_bool(c, o, "revoke-on-handoff", &l->revoke_on_handoff) < 0 ||
	    get_u32(c, o, "bri-max-retries", &bri_retries, 0, 10) < 0 ||
	    get_bool(c, o, "domain-wide-lma-upa-support", &l->domain_wide_lma_upa_support) < 0)
		return -1;
	l->bri_max_retries = (uint8_t)bri_retries;
	l->hnp_len = (uint8_t)plen;
	l->max_lifetime_s = maxlife;
	l->max_bindings = maxb;
	if (parse_pools(c, o, l->pool, &l->npool, l->hnp_len) < 0)
		return -1;
	/* Absent: any MAG may register (RFC 7951 has no other encoding for "all" of a leaf-list). */
	a = json_object_get(o, "authorized-mags");
	if (!a) {
		cfg->any_mag = true;
	} else if (json_is_array(a)) {
		cfg->mags = calloc(json_array_size(a) + 1, sizeof(*cfg->mags));
		if (!cfg->mags)
			return fail(c, "authorized-mags", "out of memory");
		json_array_foreach(a, i, v)
		{
			if (!json_is_string(v) || dmm_addr_parse(json_string_value(v), &cfg->mags[i]) != 0)
				return fail(c, "authorized-mags", "entry %zu is not an IPv6 address", i);
			cfg->nmags++;
		}
	} else {
		return fail(c, "authorized-mags", "expected a list of addresses (leave it out: any MAG)");
	}
	return 0;
}

/*
 * A realm of an NAI (RFC 7542 §2.2): labels of letters, digits and
 * hyphens, not starting or ending with a hyphen, joined by single dots.
 */
static bool realm_ok(const char *r)
{
	size_t label = 0;

	for (const char *p = r;; p++) {
		if (*p == '.' || !*p) {
			if (label == 0 || p[-1] == '-')
				return false;
			if (!*p)
				return true;
			label = 0;
		} else if (isalnum((unsigned char)*p) || (*p == '-' && label > 0)) {
			label++;
		} else {
			return false;
		}
	}
}

/* How hosts are named: mn-id-form eui48 (default) or nai with nai-realm (RFC 4283, RFC 8371). */
static int parse_mnid_form(struct ctx *c, json_t *o, struct dmmd_config *cfg)
{
	char form[16] = "";

	if (get_str(c, o, "mn-id-form", form, sizeof(form), false) < 0 ||
	    get_str(c, o, "nai-realm", cfg->nai_realm, sizeof(cfg->nai_realm), false) < 0)
		return -1;
	if (!*form || strcmp(form, "eui48") == 0)
		cfg->mnid_form = DMMD_MNID_FORM_EUI48;
	else if (strcmp(form, "nai") == 0)
		cfg->mnid_form = DMMD_MNID_FORM_NAI;
	else
		return fail(c, "mn-id-form", "'%s' is not one of eui48, nai", form);
	if (*cfg->nai_realm && !realm_ok(cfg->nai_realm))
		return fail(c, "nai-realm",
			    "'%s' is not a realm (labels of letters, digits, '-', joined by '.')",
			    cfg->nai_realm);
	if (cfg->mnid_form == DMMD_MNID_FORM_NAI && !*cfg->nai_realm)
		return fail(c, "nai-realm", "missing (mn-id-form nai builds <mac>@<nai-realm>)");
	return 0;
}

/* Access-link fields shared by MAG and MAAR (RFC 5213 §6.8, RFC 4861 §6.2.1). */
static int parse_access(struct ctx *c, json_t *o, struct dmmd_config *cfg)
{
	char mac[32] = "";
	json_t *a, *v;
	size_t i;

	if (get_addr(c, o, "link-local-address", &cfg->access_lla, false) < 0 ||
	    get_str(c, o, "link-layer-address", mac, sizeof(mac), false) < 0 ||
	    get_u32(c, o, "ra-interval", &cfg->ra_interval_s, 1, 1800) < 0 ||
	    get_u32(c, o, "router-lifetime", &cfg->router_lifetime_s, 0, 9000) < 0 ||
	    get_u32(c, o, "ra-mtu", &cfg->ra_mtu, 1280, 65535) < 0 ||
	    get_bool(c, o, "attach-probe", &cfg->attach_probe) < 0)
		return -1;
	if (parse_mnid_form(c, o, cfg) < 0)
		return -1;
	if (*mac && parse_mac(mac, cfg->access_mac) != 0)
		return fail(c, "link-layer-address", "'%s' is not a MAC address (xx:xx:xx:xx:xx:xx)", mac);
	if (cfg->access_lla.b[0] != 0xfe || (cfg->access_lla.b[1] & 0xc0) != 0x80)
		return fail(c, "link-local-address", "not a link-local address (fe80::/10)");
	cfg->maar.access_lla = cfg->access_lla; /* the DLIF option's address (RFC 8885 §4.7) */
	a = json_object_get(o, "access-interfaces");
	if (!a || !json_is_array(a) || json_array_size(a) == 0 || json_array_size(a) > DMMD_MAX_ACCESS)
		return fail(c, "access-interfaces", "expected a list of 1 to %d interface name patterns",
			    DMMD_MAX_ACCESS);
	json_array_foreach(a, i, v)
	{
		if (!json_is_string(v) || strlen(json_string_value(v)) >= DMM_DP_IFNAMSIZ ||
		    !*json_string_value(v))
			return fail(c, "access-interfaces", "entry %zu is not an interface name pattern", i);
		strcpy(cfg->access[i], json_string_value(v));
		cfg->naccess++;
	}
	return 0;
}

#define ACCESS_KEYS                                                                                          \
	"access-interfaces", "link-local-address", "link-layer-address", "ra-interval", "router-lifetime",   \
		"ra-mtu", "mn-id-form", "nai-realm", "attach-probe"

/*
 * RFC 5949 fast handover of a MAG ("fast-handover"): enabled, reactive,
 * early-registration, hold, hi-wait and mn-wait in ms, neighbours (the MAGs an NMAG asks for
 * an unknown MN's context).
 */
static int parse_fho(struct ctx *c, json_t *o, struct dmm_mag_fho_cfg *f)
{
	static const char *const keys[] = {"enabled", "reactive", "early-registration", "hold",
					   "hi-wait", "mn-wait",  "neighbours",		NULL};
	json_t *a, *v;
	size_t i;

	if (!json_is_object(o))
		return fail(c, NULL, "expected an object");
	if (only(c, o, keys) < 0 || get_bool(c, o, "enabled", &f->enabled) < 0 ||
	    get_bool(c, o, "reactive", &f->reactive) < 0 ||
	    get_bool(c, o, "early-registration", &f->early_reg) < 0 ||
	    get_ms(c, o, "hold", &f->hold, 10, 60000) < 0 ||
	    get_ms(c, o, "hi-wait", &f->hi_wait, 1, 10000) < 0 ||
	    get_ms(c, o, "mn-wait", &f->mn_wait, 10, 600000) < 0)
		return -1;
	a = json_object_get(o, "neighbours");
	if (!a)
		return 0;
	if (!json_is_array(a) || json_array_size(a) > DMM_MAG_FHO_MAX_NEIGHBOUR)
		return fail(c, "neighbours", "expected a list of at most %d addresses",
			    DMM_MAG_FHO_MAX_NEIGHBOUR);
	json_array_foreach(a, i, v)
	{
		if (!json_is_string(v) || dmm_addr_parse(json_string_value(v), &f->neighbour[i]) != 0)
			return fail(c, "neighbours", "entry %zu is not an IPv6 address", i);
	}
	f->n_neighbour = (uint8_t)json_array_size(a);
	return 0;
}

static int parse_mag(struct ctx *c, json_t *o, struct dmmd_config *cfg)
{
	static const char *const keys[] = {"lma",
					   "fast-handover",
					   "lifetime",
					   "max-mobile-nodes",
					   "timestamp-based",
					   "initial-bindack-timeout",
					   "max-bindack-timeout",
					   "max-retransmissions",
					   ACCESS_KEYS,
					   NULL};
	struct dmm_mag_cfg *m = &cfg->mag;
	uint32_t life = m->lifetime_s, maxmn = m->max_mns, retx = m->max_retransmissions;

	if (!json_is_object(o))
		return fail(c, NULL, "expected an object");
	if (only(c, o, keys) < 0 || get_addr(c, o, "lma", &m->default_lma, true) < 0 ||
	    get_u32(c, o, "lifetime", &life, 4, 262140) < 0 ||
	    get_u32(c, o, "max-mobile-nodes", &maxmn, 1, 1000000) < 0 ||
	    get_bool(c, o, "timestamp-based", &m->timestamp_based) < 0 ||
	    get_ms(c, o, "initial-bindack-timeout", &m->initial_bindack_timeout, 100, 60000) < 0 ||
	    get_ms(c, o, "max-bindack-timeout", &m->max_bindack_timeout, 100, 600000) < 0 ||
	    get_u32(c, o, "max-retransmissions", &retx, 0, 32) < 0 || parse_access(c, o, cfg) < 0)
		return -1;
	if (json_object_get(o, "fast-handover")) {
		size_t n = push(c, "fast-handover");

		if (parse_fho(c, json_object_get(o, "fast-handover"), &m->fho) < 0)
			return -1;
		pop(c, n);
	}
	m->lifetime_s = life;
	m->max_mns = maxmn;
	m->max_retransmissions = (uint8_t)retx;
	if (m->max_bindack_timeout < m->initial_bindack_timeout)
		return fail(c, "max-bindack-timeout", "below initial-bindack-timeout");
	return 0;
}

/* A list of 1 to 4 prefixes, each shorter than plen, into pool[]. */
static int parse_pools(struct ctx *c, json_t *o, struct dmm_prefix *pool, uint8_t *npool, uint8_t plen)
{
	json_t *a = json_object_get(o, "pools"), *v;
	size_t i;

	if (!a || !json_is_array(a) || json_array_size(a) == 0 || json_array_size(a) > 4)
		return fail(c, "pools", "expected a list of 1 to 4 prefixes");
	json_array_foreach(a, i, v)
	{
		if (!json_is_string(v) || parse_prefix_strict(json_string_value(v), &pool[i]) != 0)
			return fail(c, "pools", "entry %zu is not a prefix (addr/len)", i);
		for (size_t j = 0; j < i; j++)
			if (dmm_prefix_eq(&pool[j], &pool[i]))
				return fail(c, "pools", "entry %zu repeats entry %zu", i, j);
		if (pool[i].len >= plen)
			return fail(c, "pools", "entry %zu (/%u) is not shorter than prefix-length /%u", i,
				    pool[i].len, plen);
		if (plen - pool[i].len > 24)
			return fail(c, "pools", "entry %zu holds more than 2^24 prefixes", i);
		(*npool)++;
	}
	return 0;
}

/* RFC 8885 MAAR: an access router anchoring its own pool. */
static int parse_maar(struct ctx *c, json_t *o, struct dmmd_config *cfg)
{
	static const char *const keys[] = {"cmd",
					   "pools",
					   "prefix-length",
					   "anchor-locally",
					   "max-mobile-nodes",
					   "max-anchored",
					   "priority",
					   "lifetime",
					   "idle-release",
					   "idle-check",
					   "detach-grace",
					   "timestamp-based",
					   "prefix-valid-lifetime",
					   "anchored-table", /* docs/dmm-protocol.md §11 */
					   "relocate-after",
					   "routed-table",
					   ACCESS_KEYS,
					   NULL};
	struct dmm_maar_cfg *m = &cfg->maar;
	uint32_t plen = m->hnp_len, maxmn = m->max_mns, life = m->lifetime_s, prio = m->priority;

	if (!json_is_object(o))
		return fail(c, NULL, "expected an object");
	if (only(c, o, keys) < 0 || get_addr(c, o, "cmd", &m->cmd, true) < 0 ||
	    get_u32(c, o, "prefix-length", &plen, 1, 128) < 0 ||
	    get_bool(c, o, "anchor-locally", &m->anchor_locally) < 0 ||
	    get_u32(c, o, "max-mobile-nodes", &maxmn, 1, 1000000) < 0 ||
	    get_u32(c, o, "max-anchored", &m->max_anchored, 0, 16777216) < 0 ||
	    get_u32(c, o, "priority", &prio, 0, 65535) < 0 ||
	    get_u32(c, o, "lifetime", &life, 4, 262140) < 0 ||
	    get_ms(c, o, "idle-release", &m->idle_release, 0, 86400000) < 0 ||
	    get_ms(c, o, "idle-check", &m->idle_check, 100, 3600000) < 0 ||
	    get_ms(c, o, "detach-grace", &m->detach_grace, 0, 3600000) < 0 ||
	    get_u32(c, o, "prefix-valid-lifetime", &m->prefix_valid_s, 0, 262140) < 0 ||
	    get_bool(c, o, "timestamp-based", &m->timestamp_based) < 0 || parse_access(c, o, cfg) < 0 ||
	    get_ms(c, o, "relocate-after", &m->relocate_after, 0, 86400000) < 0 ||
	    get_u32(c, o, "anchored-table", &cfg->anchored_table, 0, 0xfffffffeu) < 0 ||
	    get_u32(c, o, "routed-table", &cfg->routed_table, 0, 0xfffffffeu) < 0)
		return -1;
	if (cfg->routed_table && cfg->routed_table == cfg->anchored_table)
		return fail(c, "routed-table", "must differ from anchored-table");
	m->hnp_len = (uint8_t)plen;
	m->max_mns = maxmn;
	m->lifetime_s = life;
	m->priority = (uint16_t)prio;
	return parse_pools(c, o, m->pool, &m->npool, m->hnp_len);
}

/* RFC 8885 CMD: location only. */
static int parse_cmd(struct ctx *c, json_t *o, struct dmmd_config *cfg)
{
	static const char *const keys[] = {"mode",
					   "relay-timeout",
					   "max-mobile-nodes",
					   "max-maars",
					   "max-lifetime",
					   "authorized-maars",
					   "timestamp-based",
					   "min-delay-before-bce-delete",
					   "pbu-pacing-us",
					   "max-update-rate",
					   "max-pending-updates", /* RFC 8885 §3.2 */
					   "reanchor-on-failure", /* docs/dmm-protocol.md §11 */
					   NULL};
	struct dmm_cmd_cfg *m = &cfg->cmd;
	uint32_t maxmn = m->max_mns, maxm = m->max_maars, life = m->max_lifetime_s;
	uint32_t pacing_us = (uint32_t)(m->pbu_pacing / DMM_USEC);
	char mode[16] = "";
	json_t *a, *v;
	size_t i;

	if (!json_is_object(o))
		return fail(c, NULL, "expected an object");
	if (only(c, o, keys) < 0 || get_str(c, o, "mode", mode, sizeof(mode), false) < 0 ||
	    get_ms(c, o, "relay-timeout", &m->relay_timeout, 10, 60000) < 0 ||
	    get_u32(c, o, "max-mobile-nodes", &maxmn, 1, 4000000) < 0 ||
	    get_u32(c, o, "max-maars", &maxm, 1, 65536) < 0 ||
	    get_u32(c, o, "max-lifetime", &life, 4, 262140) < 0 ||
	    get_bool(c, o, "timestamp-based", &m->timestamp_based) < 0 ||
	    get_ms(c, o, "min-delay-before-bce-delete", &m->min_delay_before_bce_delete, 0, 3600000) < 0 ||
	    get_u32(c, o, "pbu-pacing-us", &pacing_us, 0, 1000000) < 0 ||
	    get_u32(c, o, "max-update-rate", &m->max_update_rate, 0, 1000000) < 0 ||
	    get_u32(c, o, "max-pending-updates", &m->max_pending_updates, 0, 1u << 23) < 0 ||
	    get_bool(c, o, "reanchor-on-failure", &m->reanchor_on_failure) < 0)
		return -1;
	m->pbu_pacing = (dmm_time_t)pacing_us * DMM_USEC;
	if (*mode && strcmp(mode, "proxy") != 0 && strcmp(mode, "relay") != 0)
		return fail(c, "mode", "'%s' is not one of proxy, relay", mode);
	m->mode = strcmp(mode, "relay") == 0 ? DMM_CMD_RELAY : DMM_CMD_PROXY;
	m->max_mns = maxmn;
	m->max_maars = maxm;
	m->max_lifetime_s = life;
	a = json_object_get(o, "authorized-maars");
	if (!a) {
		cfg->any_mag = true; /* absent: any MAAR */
		return 0;
	}
	if (!json_is_array(a))
		return fail(c, "authorized-maars", "expected a list of addresses (leave it out: any MAAR)");
	cfg->mags = calloc(json_array_size(a) + 1, sizeof(*cfg->mags));
	if (!cfg->mags)
		return fail(c, "authorized-maars", "out of memory");
	json_array_foreach(a, i, v)
	{
		if (!json_is_string(v) || dmm_addr_parse(json_string_value(v), &cfg->mags[i]) != 0)
			return fail(c, "authorized-maars", "entry %zu is not an IPv6 address", i);
		cfg->nmags++;
	}
	return 0;
}

/* --- dmm:node/monitoring (docs/operations.md) --- */

static const struct {
	const char *name;
	int facility;
} facilities[] = {
	{"daemon", LOG_DAEMON}, {"local0", LOG_LOCAL0}, {"local1", LOG_LOCAL1},
	{"local2", LOG_LOCAL2}, {"local3", LOG_LOCAL3}, {"local4", LOG_LOCAL4},
	{"local5", LOG_LOCAL5}, {"local6", LOG_LOCAL6}, {"local7", LOG_LOCAL7},
};

/* metrics: {"address": "::1", "port": 9437}; its presence turns /metrics on. */
static int parse_metrics(struct ctx *c, json_t *o, struct dmmd_monitoring_cfg *m)
{
	static const char *const keys[] = {"address", "port", NULL};
	uint32_t port = m->metrics_port;
	unsigned char buf[16];

	if (!json_is_object(o))
		return fail(c, NULL, "expected an object");
	if (only(c, o, keys) < 0 ||
	    get_str(c, o, "address", m->metrics_address, sizeof(m->metrics_address), false) < 0 ||
	    get_u32(c, o, "port", &port, 1, 65535) < 0)
		return -1;
	if (inet_pton(AF_INET6, m->metrics_address, buf) != 1 &&
	    inet_pton(AF_INET, m->metrics_address, buf) != 1)
		return fail(c, "address", "'%s' is not an IPv6 or IPv4 address", m->metrics_address);
	m->metrics_port = (uint16_t)port;
	m->metrics = true;
	return 0;
}

/* usage-records: {"file": PATH} or {"syslog-facility": NAME}, one of them. */
static int parse_usage(struct ctx *c, json_t *o, struct dmmd_monitoring_cfg *m)
{
	static const char *const keys[] = {"file", "syslog-facility", NULL};
	char f[16] = "";

	if (!json_is_object(o))
		return fail(c, NULL, "expected an object");
	if (only(c, o, keys) < 0 || get_str(c, o, "file", m->usage_file, sizeof(m->usage_file), false) < 0 ||
	    get_str(c, o, "syslog-facility", f, sizeof(f), false) < 0)
		return -1;
	if (*m->usage_file && *f)
		return fail(c, NULL, "file and syslog-facility: give one of them");
	if (!*m->usage_file && !*f)
		return fail(c, NULL, "give file or syslog-facility");
	for (size_t i = 0; *f && i < sizeof(facilities) / sizeof(facilities[0]); i++)
		if (strcmp(f, facilities[i].name) == 0)
			m->usage_syslog = facilities[i].facility;
	if (*f && m->usage_syslog < 0)
		return fail(c, "syslog-facility", "'%s' is not one of daemon, local0 .. local7", f);
	return 0;
}

static int parse_monitoring(struct ctx *c, json_t *node, struct dmmd_monitoring_cfg *m)
{
	static const char *const keys[] = {"metrics", "usage-records", NULL};
	json_t *o = json_object_get(node, "monitoring"), *v;
	size_t n;

	if (!o)
		return 0;
	n = push(c, "monitoring");
	if (!json_is_object(o))
		return fail(c, NULL, "expected an object");
	if (only(c, o, keys) < 0)
		return -1;
	if ((v = json_object_get(o, "metrics")) != NULL) {
		size_t k = push(c, "metrics");

		if (parse_metrics(c, v, m) < 0)
			return -1;
		pop(c, k);
	}
	if ((v = json_object_get(o, "usage-records")) != NULL) {
		size_t k = push(c, "usage-records");

		if (parse_usage(c, v, m) < 0)
			return -1;
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
	static const char *const keys[] = {"mode",
					   "upstream",
					   "anchor",
					   "robustness",
					   "query-interval",
					   "query-response-interval",
					   "last-listener-query-interval",
					   NULL};
	json_t *o = json_object_get(node, "multicast");
	struct dmmd_mcast_cfg *m = &cfg->mcast;
	char mode[16] = "direct";
	size_t n;

	if (!o)
		return 0;
	n = push(c, "multicast");
	if (!json_is_object(o))
		return fail(c, NULL, "expected an object");
	if (only(c, o, keys) < 0 || get_str(c, o, "mode", mode, sizeof(mode), false) < 0 ||
	    get_str(c, o, "upstream", m->upstream, sizeof(m->upstream), true) < 0 ||
	    get_u32(c, o, "robustness", &m->robustness, 1, 7) < 0 ||
	    get_ms(c, o, "query-interval", &m->query_interval, 100, 3600000) < 0 ||
	    get_ms(c, o, "query-response-interval", &m->response, 10, 3600000) < 0 ||
	    get_ms(c, o, "last-listener-query-interval", &m->last_listener, 10, 3600000) < 0)
		return -1;
	if (strcmp(mode, "direct") != 0 && strcmp(mode, "via-anchor") != 0)
		return fail(c, "mode", "'%s' is not one of direct, via-anchor", mode);
	if (get_addr(c, o, "anchor", &m->anchor, strcmp(mode, "via-anchor") == 0) < 0)
		return -1;
	if (!*m->upstream)
		return fail(c, "upstream", "empty interface name");
	if (cfg->role != DMMD_ROLE_MAG && cfg->role != DMMD_ROLE_MAAR)
		return fail(c, NULL, "only a MAG or a MAAR proxies MLD (access links)");
	if (m->response >= m->query_interval) /* RFC 3810 §9.3 */
		return fail(c, "query-response-interval", "must be shorter than query-interval");
	m->mode = strcmp(mode, "direct") == 0 ? DMMD_MCAST_DIRECT : DMMD_MCAST_VIA_ANCHOR;
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

/* The role: one of lma, mag, maar, cmd. */
static int parse_role(struct ctx *c, json_t *node, struct dmmd_config *cfg)
{
	char s[32] = "";

	if (get_str(c, node, "role", s, sizeof(s), true) < 0)
		return -1;
	for (int r = DMMD_ROLE_LMA; r <= DMMD_ROLE_CMD; r++)
		if (strcmp(s, dmmd_role_name((enum dmmd_role)r)) == 0) {
			cfg->role = (enum dmmd_role)r;
			return 0;
		}
	return fail(c, "role", "'%s' is not one of lma, mag, maar, cmd", s);
}

/*
 * The leaves of dmm:node every role has: name, transport, address, data
 * plane, paths, log level, restart counter (kept in cfg->lma until
 * parse_shared copies it to every role's config).
 */
static int parse_node(struct ctx *c, json_t *node, struct dmmd_config *cfg)
{
	char s[32] = "";

	if (get_str(c, node, "name", cfg->name, sizeof(cfg->name), false) < 0 ||
	    parse_role(c, node, cfg) < 0 || get_str(c, node, "transport", s, sizeof(s), false) < 0)
		return -1;
	if (*s && strcmp(s, "ip6") != 0 && strcmp(s, "udp") != 0)
		return fail(c, "transport", "'%s' is not one of ip6, udp", s);
	cfg->transport = strcmp(s, "udp") == 0 ? DMMD_TRANSPORT_UDP : DMMD_TRANSPORT_IP6;
	if (get_addr(c, node, "address", &cfg->address, true) < 0 ||
	    get_str(c, node, "dataplane", cfg->dataplane, sizeof(cfg->dataplane), false) < 0 ||
	    get_str(c, node, "control-socket", cfg->ctl_path, sizeof(cfg->ctl_path), false) < 0 ||
	    get_str(c, node, "log-level", cfg->log_level, sizeof(cfg->log_level), false) < 0 ||
	    get_str(c, node, "tun-name", cfg->tun_name, sizeof(cfg->tun_name), false) < 0 ||
	    get_u32(c, node, "buffer-packets", &cfg->buffer_packets, 1, 65536) < 0 ||
	    get_u32(c, node, "buffer-bytes", &cfg->buffer_bytes, 2048, 67108864) < 0 ||
	    get_u32(c, node, "buffer-time", &cfg->buffer_time_ms, 1, 60000) < 0 ||
	    get_u32(c, node, "restart-counter", &cfg->restart_counter_initial, 0, UINT32_MAX) < 0 ||
	    get_str(c, node, "state-file", cfg->state_file, sizeof(cfg->state_file), false) < 0)
		return -1;
	if (!dmm_dp_find(cfg->dataplane))
		return fail(c, "dataplane", "'%s' is not one of kernel, user, bpf", cfg->dataplane);
	if (strcmp(cfg->log_level, "err") && strcmp(cfg->log_level, "warn") &&
	    strcmp(cfg->log_level, "info") && strcmp(cfg->log_level, "debug"))
		return fail(c, "log-level", "'%s' is not one of err, warn, info, debug", cfg->log_level);
	if (dmm_addr_is_zero(&cfg->address) || cfg->address.b[0] == 0xff)
		return fail(c, "address", "not a unicast address");
	if (!*cfg->ctl_path)
		snprintf(cfg->ctl_path, sizeof(cfg->ctl_path), "/run/dmmd-%s.sock",
			 *cfg->name ? cfg->name : "node");
	/* RFC 5847 §3.2: the Restart Counter is state preserved across reboots. */
	if (!*cfg->state_file)
		snprintf(cfg->state_file, sizeof(cfg->state_file), "/var/lib/dmm/%s.state",
			 *cfg->name ? cfg->name : "node");
	if (cfg->state_file[strlen(cfg->state_file) - 1] == '/')
		return fail(c, "state-file", "'%s' names a directory, not a file", cfg->state_file);
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

/* The role's own container (and no other role's). */
static int parse_role_container(struct ctx *c, json_t *node, struct dmmd_config *cfg)
{
	static int (*const parse[])(struct ctx *, json_t *, struct dmmd_config *) = {
		[DMMD_ROLE_LMA] = parse_lma,
		[DMMD_ROLE_MAG] = parse_mag,
		[DMMD_ROLE_MAAR] = parse_maar,
		[DMMD_ROLE_CMD] = parse_cmd,
	};
	const char *own = dmmd_role_name(cfg->role);
	json_t *sub;
	size_t n;

	for (int r = DMMD_ROLE_LMA; r <= DMMD_ROLE_CMD; r++) {
		const char *name = dmmd_role_name((enum dmmd_role)r);

		if ((enum dmmd_role)r != cfg->role && json_object_get(node, name))
			return fail(c, name, "not allowed for role %s", own);
	}
	sub = json_object_get(node, own);
	if (!sub)
		return fail(c, own, "missing");
	n = push(c, own);
	if (parse[cfg->role](c, sub, cfg) < 0)
		return -1;
	pop(c, n);
	return 0;
}

int dmmd_config_parse(const char *text, struct dmmd_config *out, char *err, size_t errlen)
{
	static const char *const keys[] = {"name",
					   "role",
					   "address",
					   "transport",
					   "dataplane",
					   "control-socket",
					   "log-level",
					   "heartbeat",
					   "restart-counter",
					   "state-file",
					   "peers",
					   "tun-name",
					   "buffer-packets",
					   "buffer-bytes",
					   "buffer-time",
					   "lma",
					   "mag",
					   "maar",
					   "cmd",
					   "mobile-nodes",
					   "default-profile",
					   "security",
					   "monitoring",
					   "multicast",
					   NULL};
	struct ctx c = {err, errlen, ""};
	struct dmmd_config cfg;
	json_error_t je;
	json_t *root, *node;
	int ret = -1;

	defaults(&cfg);
	root = json_loads(text, JSON_REJECT_DUPLICATES, &je);
	if (!root) {
		snprintf(err, errlen, "line %d column %d: %s", je.line, je.column, je.text);
		return -1;
	}
	node = json_object_get(root, "dmm:node");
	if (!json_is_object(root) || !node || !json_is_object(node) || json_object_size(root) != 1) {
		fail(&c, NULL, "expected one object {\"dmm:node\": {...}}");
		goto out;
	}
	strcpy(c.path, "dmm:node");
	if (only(&c, node, keys) < 0 || parse_node(&c, node, &cfg) < 0 || parse_shared(&c, node, &cfg) < 0 ||
	    parse_role_container(&c, node, &cfg) < 0 || parse_profiles(&c, node, &cfg) < 0 ||
	    parse_security(&c, node, &cfg) < 0 || parse_monitoring(&c, node, &cfg.mon) < 0 ||
	    parse_multicast(&c, node, &cfg) < 0)
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
