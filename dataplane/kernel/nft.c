/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Per-intent counters of the kernel data plane, in an nftables table of
 * its own (libnftables: nft commands as text).
 *
 *   table inet dmm_<proto> { flags owner
 *     chain pre  { type filter hook prerouting priority -300 }
 *     chain transit  { type filter hook forward priority 300 }
 *     chain post { type filter hook postrouting priority 300 }
 *     set <kind>_<len> { ...; counter; }   one per kind and prefix length in use
 *   }
 *
 * Nothing here has a verdict: the chains only count and accept;
 * forwarding stays with the routes. An intent is one element, with a
 * counter of its own and the comment "dmm <id>", of a hash set keyed on
 * its prefix (and peer or link); one rule per set looks the packet up in
 * it, with the packet's address masked to the set's prefix length. A
 * packet therefore costs one lookup per kind and prefix length in use, not
 * one rule per intent. What each kind looks up, and where:
 *
 *   ENCAP    post, the outer packet after the seg6 encap.red output:
 *            ip6 nexthdr 41 ip6 saddr local, then ip6 daddr (the peer)
 *            . the inner destination (DST) or source (SRC), read as raw
 *            bits of the inner header (@nh,512,128 and @nh,384,128).
 *            Forwarded and locally sent packets alike; the inner packet
 *            itself passes no postrouting hook (the lwtunnel output, or
 *            for forwarded packets the lwtunnel input, takes it first).
 *   DECAP    pre, the outer packet before End.DT6: ip6 nexthdr 41 ip6
 *            daddr local, then ip6 saddr (the peer) . the inner address.
 *            Counting the inner packet in the forward hook instead could
 *            not tell it from a packet for the same prefix that arrived
 *            untunnelled.
 *   DELIVER  transit: oifname . ip6 daddr (DST) or saddr (SRC): the
 *            packets forwarded to the link, also those End.DT6 has just
 *            decapsulated; not the node's own (Neighbor Discovery probes
 *            to the mobile node would make an idle prefix look busy).
 *   DROP, BUFFER  pre: ip6 daddr (DST), ip6 saddr or iifname . ip6 saddr
 *            (SRC with an access link): packets that arrive for the
 *            blackhole route (which drops them before any later hook),
 *            also when a route of better precedence forwards them instead.
 *
 * Every intent whose packets match is counted, as with one rule each:
 * overlapping prefixes of different lengths sit in different sets, each
 * looked up. Two intents of one kind with the same key (prefix, length,
 * peer or link) cannot share an element; the later one, and an intent of
 * prefix length 0, gets a counting rule of its own (comment "dmm <id>")
 * at the end of the chain instead, walked by every packet of that hook.
 *
 * A SRC ENCAP intent cannot also check the access link: postrouting has no
 * input interface. The routing rule does check it, so only packets from
 * that link are encapsulated to the peer.
 *
 * "flags owner" ties the table to the netlink socket of the nft context:
 * the kernel removes it when the process ends, even by kill -9. open()
 * also deletes a table of that name left by anything else.
 *
 * Counters: one listing per KDP_NFT_CACHE_MS serves every read (dmmd
 * reads each intent once a second): a netlink dump of each set's
 * elements, read here (the table's owner flag only keeps other sockets
 * from changing it), and nft's listing of the chains when some intent has
 * a rule of its own. The listing writes each count into its intent's slot
 * (found by id in a hash index), so a read is one lookup. dmmd reads
 * every intent in one sweep (counter sync, dmmctl): one dump serves the
 * whole sweep, O(1) per read and no system call for most of them, where a
 * NFT_MSG_GETSETELEM per element would cost a netlink round trip per
 * intent. Elements are deleted by their key, kept here per
 * intent; a rule by the handle a listing shows: adding it with --echo to
 * learn the handle at once would make libnftables fetch the whole ruleset
 * first. The sets are hashes, not interval sets: adding an element to an
 * interval set makes libnftables fetch every element of it first (80 ms
 * per add at 10,000 elements).
 */
#include <endian.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <nftables/libnftables.h>

#include "dmm/fm.h"
#include "dmm/fmt.h"
#include "dmm/hash.h"
#include "../nl.h"
#include "nft.h"

#define OUTER_HDR 40 /* an IPv6 header without extension headers: encap.red with one segment */
#define KEY_MAX 128  /* an element key as nft text */

/* The kinds of set: one per (hook, what is looked up). */
enum kind {
	K_ENCAP_DST,
	K_ENCAP_SRC,
	K_DECAP_DST,
	K_DECAP_SRC,
	K_DELIVER_DST,
	K_DELIVER_SRC,
	K_DROP_DST,
	K_DROP_SRC,
	K_DROP_SRC_IIF,
	K_N
};

static const struct {
	const char *name, *chain;
	const char *type;   /* the set's key, as "typeof" or "type" */
	bool raw;	    /* the masked address is a raw 128-bit payload (inner header) */
	const char *lookup; /* the rule, before the mask; %s: the local address */
} kinds[K_N] = {
	[K_ENCAP_DST] = {"encap_dst", "post", "typeof ip6 daddr . @nh,512,128", true,
			 "ip6 nexthdr 41 ip6 saddr %s ip6 daddr . @nh,512,128"},
	[K_ENCAP_SRC] = {"encap_src", "post", "typeof ip6 daddr . @nh,384,128", true,
			 "ip6 nexthdr 41 ip6 saddr %s ip6 daddr . @nh,384,128"},
	[K_DECAP_DST] = {"decap_dst", "pre", "typeof ip6 saddr . @nh,512,128", true,
			 "ip6 nexthdr 41 ip6 daddr %s ip6 saddr . @nh,512,128"},
	[K_DECAP_SRC] = {"decap_src", "pre", "typeof ip6 saddr . @nh,384,128", true,
			 "ip6 nexthdr 41 ip6 daddr %s ip6 saddr . @nh,384,128"},
	[K_DELIVER_DST] = {"deliver_dst", "transit", "typeof oifname . ip6 daddr", false,
			   "oifname . ip6 daddr"},
	[K_DELIVER_SRC] = {"deliver_src", "transit", "typeof oifname . ip6 saddr", false,
			   "oifname . ip6 saddr"},
	[K_DROP_DST] = {"drop_dst", "pre", "type ipv6_addr", false, "ip6 daddr"},
	[K_DROP_SRC] = {"drop_src", "pre", "type ipv6_addr", false, "ip6 saddr"},
	[K_DROP_SRC_IIF] = {"drop_srcif", "pre", "typeof iifname . ip6 saddr", false, "iifname . ip6 saddr"},
};

/* Where an intent is counted, and its counts at the last listing that showed it. */
struct slot {
	uint32_t id;
	int8_t kind;	 /* enum kind, or -1: a rule of its own */
	uint8_t len;	 /* the set's prefix length */
	uint8_t action;	 /* a rule: which chain */
	uint32_t seen;	 /* the listing that last showed it (0: none) */
	uint64_t born;	 /* gen when it was added */
	uint64_t hash;	 /* of kind, len and key */
	uint64_t handle; /* a rule: its handle once a listing showed it, else 0 */
	uint64_t packets, bytes;
	char key[KEY_MAX];
};

/* A counter as a listing shows it. */
struct counted {
	uint32_t id;			 /* the intent, from the comment */
	uint64_t handle, packets, bytes; /* handle: 0 for an element */
};

/* A queued command: the intent it adds (or 0 for a delete), where its line starts. */
struct qcmd {
	uint32_t add_id;
	size_t off;
};

struct kdp_nft {
	struct nft_ctx *ctx;
	struct dmm_nl *nl;	   /* NETLINK_NETFILTER, to dump set elements; NULL: list them as text */
	char table[32], tname[16]; /* "inet dmm_<proto>", "dmm_<proto>" */
	char cmd[1024];
	struct slot *slots; /* dense: slots[0 .. nslots-1] */
	uint32_t nslots, capslots;
	struct dmm_hidx byid;	/* id -> slot */
	struct dmm_hidx bykey;	/* hash of kind, len, key -> slot (elements only) */
	size_t nrules;		/* slots with a rule of their own */
	uint8_t made[K_N][129]; /* set kind_len and its rule exist */
	bool have_local[K_N];
	struct dmm_addr local[K_N]; /* in the rules of that kind */
	uint32_t listing;	    /* listings so far: the slots seen by the last have seen == listing */
	uint64_t cache_ms;	    /* when it was listed */
	uint64_t cache_gen;	    /* gen at that listing */
	uint64_t gen;		    /* counters added so far */
	bool cache_valid;
	char lasterr[256];
	/* Element commands queued between kdp_nft_begin() and kdp_nft_commit(). */
	bool batching;
	char *bbuf;
	size_t blen, bcap;
	struct qcmd *q;
	uint32_t nq, capq;
};

static void *z_alloc(void *ctx, size_t sz)
{
	(void)ctx;
	return calloc(1, sz);
}

static void z_free(void *ctx, void *p)
{
	(void)ctx;
	free(p);
}

static const struct dmm_alloc heap = {.zalloc = z_alloc, .free = z_free};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Keep the first line of libnftables' error text (it adds the command and a caret line). */
static void keep_error(struct kdp_nft *n, const char *what)
{
	const char *e = nft_ctx_get_error_buffer(n->ctx);
	size_t len = e ? strcspn(e, "\n") : 0;

	snprintf(n->lasterr, sizeof(n->lasterr), "nftables %s: %.*s", what, (int)len, e ? e : "");
}

/* Run cmd with output flags; the output stays in the context's buffer. 0 or -errno. */
static int run(struct kdp_nft *n, const char *cmd, unsigned flags, const char *what)
{
	nft_ctx_output_set_flags(n->ctx, flags);
	if (nft_run_cmd_from_buffer(n->ctx, cmd) != 0) {
		keep_error(n, what);
		return errno > 0 ? -errno : -EIO;
	}
	return 0;
}

const char *kdp_nft_error(const struct kdp_nft *n)
{
	return n->lasterr;
}

struct kdp_nft *kdp_nft_open(uint8_t proto, char *err, size_t errlen)
{
	struct kdp_nft *n = calloc(1, sizeof(*n));
	int ret;

	if (!n) {
		snprintf(err, errlen, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	snprintf(n->table, sizeof(n->table), "inet dmm_%u", proto);
	snprintf(n->tname, sizeof(n->tname), "dmm_%u", proto);
	n->ctx = nft_ctx_new(NFT_CTX_DEFAULT);
	if (!n->ctx || nft_ctx_buffer_output(n->ctx) || nft_ctx_buffer_error(n->ctx)) {
		snprintf(err, errlen, "nftables context: %s", strerror(errno ? errno : ENOMEM));
		ret = -ENOMEM;
		goto fail;
	}
	/* One transaction: make sure a table of that name exists, delete it, create ours. */
	snprintf(n->cmd, sizeof(n->cmd),
		 "add table %s\n"
		 "delete table %s\n"
		 "table %s {\n"
		 "  flags owner\n"
		 "  chain pre { type filter hook prerouting priority -300; policy accept; }\n"
		 "  chain transit { type filter hook forward priority 300; policy accept; }\n"
		 "  chain post { type filter hook postrouting priority 300; policy accept; }\n"
		 "}\n",
		 n->table, n->table, n->table);
	ret = run(n, n->cmd, 0, "creating the table");
	if (ret < 0) {
		snprintf(err, errlen, "%s", n->lasterr);
		goto fail;
	}
	/* Reading only: an owner table refuses changes from any other socket. */
	n->nl = dmm_nl_open(NETLINK_NETFILTER);
	return n;
fail:
	if (n->ctx)
		nft_ctx_free(n->ctx);
	free(n);
	errno = -ret;
	return NULL;
}

void kdp_nft_close(struct kdp_nft *n)
{
	if (!n)
		return;
	snprintf(n->cmd, sizeof(n->cmd), "delete table %s", n->table);
	run(n, n->cmd, 0, "deleting the table");
	nft_ctx_free(n->ctx);
	dmm_nl_close(n->nl);
	free(n->bbuf);
	free(n->q);
	free(n->slots);
	dmm_hidx_fini(&n->byid, &heap);
	dmm_hidx_fini(&n->bykey, &heap);
	free(n);
}

/*
 * " @nh,OFF,LEN VALUE" matching the first p->len bits of the address that
 * starts OFF bits into the network header; at most 64 bits per term.
 */
static int put_raw_prefix(char *b, size_t sz, unsigned off, const struct dmm_prefix *p)
{
	size_t used = 0;

	for (unsigned done = 0; done < p->len;) {
		unsigned len = p->len - done > 64 ? 64 : p->len - done;
		uint64_t v = 0;
		int w;

		for (unsigned i = 0; i < len; i++) {
			unsigned bit = done + i;

			v = v << 1 | ((p->addr.b[bit / 8] >> (7 - bit % 8)) & 1u);
		}
		w = snprintf(b + used, sz - used, " @nh,%u,%u 0x%" PRIx64, off + done, len, v);
		if (w < 0 || (size_t)w >= sz - used)
			return -ENAMETOOLONG;
		used += (size_t)w;
		done += len;
	}
	if (used == 0 && sz)
		b[0] = '\0';
	return 0;
}

/* a as 32 hex digits with 0x: a raw 128-bit payload value. */
static char *hex128(const struct dmm_addr *a, char *b)
{
	b[0] = '0';
	b[1] = 'x';
	for (int i = 0; i < 16; i++)
		snprintf(b + 2 + 2 * i, 3, "%02x", a->b[i]);
	return b;
}

static struct dmm_addr mask_of(unsigned len)
{
	struct dmm_addr m = {{0}};

	for (unsigned i = 0; i < len; i++)
		m.b[i / 8] |= (uint8_t)(0x80u >> (i % 8));
	return m;
}

/* ENCAP counts the outer packet on its way out, DELIVER forwarded packets, the others on arrival. */
static const char *chain_of(uint8_t action)
{
	return action == DMM_FM_ENCAP ? "post" : action == DMM_FM_DELIVER ? "transit" : "pre";
}

static bool ifname_ok(const char *s)
{
	return s && s[0] && !strpbrk(s, "\"\\ \t\n");
}

static int kind_of(const struct kdp_nft_spec *s)
{
	bool dst = s->match == DMM_FM_DST;

	switch (s->action) {
	case DMM_FM_ENCAP:
		return dst ? K_ENCAP_DST : K_ENCAP_SRC;
	case DMM_FM_DECAP:
		return dst ? K_DECAP_DST : K_DECAP_SRC;
	case DMM_FM_DELIVER:
		return dst ? K_DELIVER_DST : K_DELIVER_SRC;
	default:
		return dst ? K_DROP_DST : s->iif ? K_DROP_SRC_IIF : K_DROP_SRC;
	}
}

/* FNV-1a over kind, len and key. */
static uint64_t key_hash(int kind, unsigned len, const char *key)
{
	uint64_t h = 0xcbf29ce484222325ull;

	h = (h ^ (uint64_t)kind) * 0x100000001b3ull;
	h = (h ^ len) * 0x100000001b3ull;
	for (const char *c = key; *c; c++)
		h = (h ^ (uint8_t)*c) * 0x100000001b3ull;
	return h;
}

static uint32_t id_hash(uint32_t id)
{
	return (uint32_t)dmm_hash_u64(id);
}

static struct slot *slot_find(struct kdp_nft *n, uint32_t id)
{
	uint32_t h = id_hash(id), pos, r;

	if (!n->capslots)
		return NULL;
	for (r = dmm_hidx_first(&n->byid, h, &pos); r != DMM_HIDX_NONE; r = dmm_hidx_next(&n->byid, h, &pos))
		if (n->slots[r].id == id)
			return &n->slots[r];
	return NULL;
}

/* An element of that kind, length and key is in place: another intent cannot share it. */
static bool key_used(const struct kdp_nft *n, int kind, unsigned len, const char *key, uint64_t hash)
{
	uint32_t pos, r;

	if (!n->capslots)
		return false;
	for (r = dmm_hidx_first(&n->bykey, (uint32_t)hash, &pos); r != DMM_HIDX_NONE;
	     r = dmm_hidx_next(&n->bykey, (uint32_t)hash, &pos)) {
		const struct slot *o = &n->slots[r];

		if (o->hash == hash && o->kind == kind && o->len == len && strcmp(o->key, key) == 0)
			return true;
	}
	return false;
}

/* Index slots 0 .. nslots-1 into a fresh x of max refs: by id, or by key (elements only). */
static int reindex(struct kdp_nft *n, struct dmm_hidx *x, uint32_t max, bool by_key)
{
	struct dmm_hidx nx;

	if (dmm_hidx_init(&nx, &heap, max) != 0)
		return -ENOMEM;
	for (uint32_t i = 0; i < n->nslots; i++) {
		if (!by_key)
			dmm_hidx_insert(&nx, id_hash(n->slots[i].id), i);
		else if (n->slots[i].kind >= 0)
			dmm_hidx_insert(&nx, (uint32_t)n->slots[i].hash, i);
	}
	dmm_hidx_fini(x, &heap);
	*x = nx;
	return 0;
}

/* Room for one more slot: the array and both indexes double when full. 0 or -ENOMEM. */
static int slot_room(struct kdp_nft *n)
{
	uint32_t cap;
	struct slot *ns;

	if (n->nslots < n->capslots)
		return 0;
	cap = n->capslots ? n->capslots * 2 : 64;
	if (cap > (1u << 30))
		return -ENOMEM;
	ns = realloc(n->slots, cap * sizeof(*ns));
	if (!ns)
		return -ENOMEM;
	n->slots = ns;
	if (reindex(n, &n->byid, cap, false) < 0 || reindex(n, &n->bykey, cap, true) < 0)
		return -ENOMEM;
	n->capslots = cap;
	return 0;
}

/* After slot_room(). */
static void slot_insert(struct kdp_nft *n, const struct slot *s)
{
	uint32_t i = n->nslots++;

	n->slots[i] = *s;
	dmm_hidx_insert(&n->byid, id_hash(s->id), i);
	if (s->kind >= 0)
		dmm_hidx_insert(&n->bykey, (uint32_t)s->hash, i);
}

/* Forget sl; the last slot moves into its place. */
static void slot_remove(struct kdp_nft *n, struct slot *sl)
{
	uint32_t i = (uint32_t)(sl - n->slots), last = n->nslots - 1;
	const struct slot *l = &n->slots[last];

	dmm_hidx_remove(&n->byid, id_hash(sl->id), i);
	if (sl->kind >= 0)
		dmm_hidx_remove(&n->bykey, (uint32_t)sl->hash, i);
	if (i != last) {
		dmm_hidx_remove(&n->byid, id_hash(l->id), last);
		dmm_hidx_insert(&n->byid, id_hash(l->id), i);
		if (l->kind >= 0) {
			dmm_hidx_remove(&n->bykey, (uint32_t)l->hash, last);
			dmm_hidx_insert(&n->bykey, (uint32_t)l->hash, i);
		}
		*sl = *l;
	}
	n->nslots--;
}

/*
 * The element key of s in a set of kind k (no comment), or -errno.
 * Keys are written from the masked prefix: the lookup masks the packet's
 * address the same way.
 */
static int element_key(int k, const struct kdp_nft_spec *s, char *key, size_t sz)
{
	char a[DMM_ADDR_STRLEN], h[40];
	int w;

	switch (k) {
	case K_ENCAP_DST:
	case K_ENCAP_SRC:
	case K_DECAP_DST:
	case K_DECAP_SRC:
		w = snprintf(key, sz, "%s . %s", dmm_addr_str(&s->peer, a), hex128(&s->prefix.addr, h));
		break;
	case K_DELIVER_DST:
	case K_DELIVER_SRC:
		if (!ifname_ok(s->oif))
			return -EINVAL;
		w = snprintf(key, sz, "\"%s\" . %s", s->oif, dmm_addr_str(&s->prefix.addr, a));
		break;
	case K_DROP_SRC_IIF:
		if (!ifname_ok(s->iif))
			return -EINVAL;
		w = snprintf(key, sz, "\"%s\" . %s", s->iif, dmm_addr_str(&s->prefix.addr, a));
		break;
	default:
		w = snprintf(key, sz, "%s", dmm_addr_str(&s->prefix.addr, a));
		break;
	}
	return w < 0 || (size_t)w >= sz ? -ENAMETOOLONG : 0;
}

/* Create set kind_len and the rule looking packets up in it, once. */
static int make_set(struct kdp_nft *n, int k, unsigned len, const struct dmm_addr *local)
{
	char a[DMM_ADDR_STRLEN], m[40], look[160];
	struct dmm_addr mask = mask_of(len);
	int ret;

	if (n->made[k][len])
		return 0;
	snprintf(look, sizeof(look), kinds[k].lookup, dmm_addr_str(local, a));
	snprintf(n->cmd, sizeof(n->cmd),
		 "add set %s %s_%u { %s; counter; }\n"
		 "add rule %s %s %s & %s @%s_%u\n",
		 n->table, kinds[k].name, len, kinds[k].type, n->table, kinds[k].chain, look,
		 kinds[k].raw ? hex128(&mask, m) : dmm_addr_str(&mask, m), kinds[k].name, len);
	ret = run(n, n->cmd, 0, "adding a set");
	if (ret == 0)
		n->made[k][len] = 1;
	return ret;
}

/* The counting rule of s, for an intent its set cannot take. */
static int add_rule(struct kdp_nft *n, const struct kdp_nft_spec *s)
{
	char a1[DMM_ADDR_STRLEN], a2[DMM_ADDR_STRLEN], pfx[DMM_PREFIX_STRLEN], raw[160], sel[256];
	char dev[64] = "";
	const char *dir = s->match == DMM_FM_DST ? "daddr" : "saddr";
	int ret = 0, w;

	if (s->prefix.len)
		snprintf(sel, sizeof(sel), " ip6 %s %s", dir, dmm_prefix_str(&s->prefix, pfx));
	else
		snprintf(sel, sizeof(sel), " meta nfproto ipv6");
	switch (s->action) {
	case DMM_FM_ENCAP:
	case DMM_FM_DECAP:
		/* The inner destination is 24 bytes into the inner header, the source 8. */
		ret = put_raw_prefix(raw, sizeof(raw), (OUTER_HDR + (s->match == DMM_FM_DST ? 24 : 8)) * 8,
				     &s->prefix);
		if (ret < 0)
			break;
		if (s->action == DMM_FM_ENCAP) {
			dmm_addr_str(&s->local, a1);
			dmm_addr_str(&s->peer, a2);
		} else {
			dmm_addr_str(&s->peer, a1);
			dmm_addr_str(&s->local, a2);
		}
		w = snprintf(sel, sizeof(sel), " ip6 saddr %s ip6 daddr %s ip6 nexthdr 41%s", a1, a2, raw);
		if (w < 0 || (size_t)w >= sizeof(sel))
			ret = -ENAMETOOLONG;
		break;
	case DMM_FM_DELIVER:
		if (!ifname_ok(s->oif)) {
			ret = -EINVAL;
			break;
		}
		snprintf(dev, sizeof(dev), " oifname \"%s\"", s->oif);
		break;
	default: /* DROP, BUFFER */
		if (s->match == DMM_FM_SRC && s->iif) {
			if (!ifname_ok(s->iif)) {
				ret = -EINVAL;
				break;
			}
			snprintf(dev, sizeof(dev), " iifname \"%s\"", s->iif);
		}
		break;
	}
	if (ret < 0)
		return ret;
	snprintf(n->cmd, sizeof(n->cmd), "add rule %s %s%s%s counter comment \"dmm %u\"", n->table,
		 chain_of(s->action), dev, sel, s->id);
	return run(n, n->cmd, 0, "adding a counter");
}

/* Queue cmd (one line) for kdp_nft_commit(); add_id: the intent it adds a counter for, or 0. 0 or -ENOMEM. */
static int queue(struct kdp_nft *n, const char *cmd, uint32_t add_id)
{
	size_t len = strlen(cmd);

	if (n->nq == n->capq) {
		uint32_t cap = n->capq ? n->capq * 2 : 256;
		struct qcmd *q = realloc(n->q, cap * sizeof(*q));

		if (!q)
			return -ENOMEM;
		n->q = q;
		n->capq = cap;
	}
	if (n->blen + len + 2 > n->bcap) {
		size_t cap = n->bcap ? n->bcap * 2 : 65536;
		char *b;

		while (cap < n->blen + len + 2)
			cap *= 2;
		b = realloc(n->bbuf, cap);
		if (!b)
			return -ENOMEM;
		n->bbuf = b;
		n->bcap = cap;
	}
	n->q[n->nq++] = (struct qcmd){.add_id = add_id, .off = n->blen};
	memcpy(n->bbuf + n->blen, cmd, len);
	n->blen += len;
	n->bbuf[n->blen++] = '\n';
	n->bbuf[n->blen] = '\0';
	return 0;
}

void kdp_nft_begin(struct kdp_nft *n)
{
	n->batching = true;
	n->blen = 0;
	n->nq = 0;
}

/* The buffer was refused as a whole (nothing of it applied): run each command alone. */
static int commit_each(struct kdp_nft *n, void (*fail)(void *ctx, uint32_t id, int err), void *ctx)
{
	int first = 0;

	for (uint32_t i = 0; i < n->nq; i++) {
		char *line = n->bbuf + n->q[i].off;
		struct slot *sl;
		int ret;

		line[strcspn(line, "\n")] = '\0';
		ret = run(n, line, 0, n->q[i].add_id ? "adding a counter" : "deleting a counter");
		if (ret == 0 || !n->q[i].add_id)
			continue;
		first = first ? first : ret;
		sl = slot_find(n, n->q[i].add_id);

		if (sl && sl->kind >= 0) {
			slot_remove(n, sl);
			fail(ctx, n->q[i].add_id, ret);
		}
	}
	return first;
}

int kdp_nft_commit(struct kdp_nft *n, void (*fail)(void *ctx, uint32_t id, int err), void *ctx)
{
	int ret = 0;

	n->batching = false;
	if (n->nq && run(n, n->bbuf, 0, "adding counters") < 0)
		ret = commit_each(n, fail, ctx);
	n->blen = 0;
	n->nq = 0;
	return ret;
}

/*
 * An element of the intent's set when its key is free there, else a rule
 * of its own. An element that nftables refuses falls back to a rule too.
 */
int kdp_nft_add(struct kdp_nft *n, const struct kdp_nft_spec *s)
{
	struct slot sl = {.id = s->id, .kind = -1, .len = s->prefix.len, .action = s->action};
	int k = kind_of(s), ret;
	bool local_ok;

	n->lasterr[0] = '\0';
	if (slot_find(n, s->id))
		return -EEXIST;
	ret = slot_room(n);
	if (ret < 0) {
		snprintf(n->lasterr, sizeof(n->lasterr), "out of memory");
		return ret;
	}
	/* The tunnel kinds' rules match this node's address: one per kind. */
	local_ok =
		!kinds[k].raw || !n->have_local[k] || memcmp(&n->local[k], &s->local, sizeof(s->local)) == 0;
	if (local_ok && s->prefix.len && s->prefix.len <= 128 &&
	    element_key(k, s, sl.key, sizeof(sl.key)) == 0) {
		sl.hash = key_hash(k, sl.len, sl.key);
		if (!key_used(n, k, sl.len, sl.key, sl.hash) && make_set(n, k, sl.len, &s->local) == 0) {
			n->have_local[k] = true;
			n->local[k] = s->local;
			snprintf(n->cmd, sizeof(n->cmd), "add element %s %s_%u { %s comment \"dmm %u\" }",
				 n->table, kinds[k].name, sl.len, sl.key, s->id);
			if (n->batching ? queue(n, n->cmd, s->id) == 0
					: run(n, n->cmd, 0, "adding a counter") == 0)
				sl.kind = (int8_t)k;
		}
	}
	if (sl.kind < 0) {
		sl.key[0] = '\0';
		n->lasterr[0] = '\0';
		ret = add_rule(n, s);
		if (ret < 0) {
			if (!n->lasterr[0])
				snprintf(n->lasterr, sizeof(n->lasterr), "nftables: no counter for intent %u",
					 s->id);
			return ret;
		}
	}
	n->gen++;
	sl.born = n->gen;
	slot_insert(n, &sl);
	n->nrules += sl.kind < 0;
	return 0;
}

/* A counter of the listing under way: into its intent's slot (a rule's handle too). */
static void cache_put(struct kdp_nft *n, const struct counted *k)
{
	struct slot *sl = slot_find(n, k->id);

	if (!sl)
		return;
	sl->packets = k->packets;
	sl->bytes = k->bytes;
	sl->seen = n->listing;
	if (k->handle && sl->kind < 0)
		sl->handle = k->handle;
}

/*
 * Counters as nft prints them, of rules and elements alike:
 *   ... counter packets P bytes B comment "dmm ID"[ # handle H]
 */
static int parse_listing(struct kdp_nft *n, const char *out)
{
	static const char ctr[] = "counter packets ", cmt[] = " comment \"dmm ", hdl[] = "\" # handle ";
	const char *c;

	for (c = out ? strstr(out, ctr) : NULL; c; c = strstr(c, ctr)) {
		struct counted k = {0};
		char *e;

		c += sizeof(ctr) - 1;
		k.packets = strtoull(c, &e, 10);
		if (strncmp(e, " bytes ", 7) != 0)
			continue;
		k.bytes = strtoull(e + 7, &e, 10);
		if (strncmp(e, cmt, sizeof(cmt) - 1) != 0)
			continue;
		k.id = (uint32_t)strtoul(e + sizeof(cmt) - 1, &e, 10);
		if (strncmp(e, hdl, sizeof(hdl) - 1) == 0)
			k.handle = strtoull(e + sizeof(hdl) - 1, &e, 10);
		else if (*e != '"')
			continue;
		c = e;
		cache_put(n, &k);
	}
	return 0;
}

/* One counter expression (NFTA_EXPR_*) into k; false if it is not one. */
static bool parse_counter(const struct nlattr *expr, struct counted *k)
{
	const struct nlattr *a, *d = NULL;
	bool is_counter = false;

	mnl_attr_for_each_nested(a, expr)
	{
		if (mnl_attr_get_type(a) == NFTA_EXPR_NAME && mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0)
			is_counter = strcmp(mnl_attr_get_str(a), "counter") == 0;
		else if (mnl_attr_get_type(a) == NFTA_EXPR_DATA)
			d = a;
	}
	if (!is_counter || !d)
		return false;
	mnl_attr_for_each_nested(a, d)
	{
		if (mnl_attr_validate(a, MNL_TYPE_U64) < 0)
			continue;
		if (mnl_attr_get_type(a) == NFTA_COUNTER_PACKETS)
			k->packets = be64toh(mnl_attr_get_u64(a));
		else if (mnl_attr_get_type(a) == NFTA_COUNTER_BYTES)
			k->bytes = be64toh(mnl_attr_get_u64(a));
	}
	return true;
}

/* The intent id in an element's user data: the comment "dmm ID" (type 0 of nft's TLVs). */
static bool parse_comment(const struct nlattr *ud, uint32_t *id)
{
	const uint8_t *p = mnl_attr_get_payload(ud);
	size_t len = mnl_attr_get_payload_len(ud);

	for (size_t i = 0; i + 2 <= len && i + 2 + p[i + 1] <= len; i += 2 + p[i + 1]) {
		char txt[24];
		size_t l = p[i + 1] < sizeof(txt) - 1 ? p[i + 1] : sizeof(txt) - 1;
		char *e;

		if (p[i] != 0)
			continue;
		memcpy(txt, p + i + 2, l);
		txt[l] = '\0';
		if (strncmp(txt, "dmm ", 4) != 0)
			return false;
		*id = (uint32_t)strtoul(txt + 4, &e, 10);
		return *e == '\0' && e != txt + 4;
	}
	return false;
}

static int elems_cb(const struct nlmsghdr *nlh, void *data)
{
	struct kdp_nft *n = data;
	const struct nlattr *a, *el, *x, *y;

	mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg))
	{
		if (mnl_attr_get_type(a) != NFTA_SET_ELEM_LIST_ELEMENTS)
			continue;
		mnl_attr_for_each_nested(el, a)
		{
			struct counted k = {0};
			bool named = false, counted = false;

			mnl_attr_for_each_nested(x, el)
			{
				switch (mnl_attr_get_type(x)) {
				case NFTA_SET_ELEM_USERDATA:
					named = parse_comment(x, &k.id);
					break;
				case NFTA_SET_ELEM_EXPR:
					counted |= parse_counter(x, &k);
					break;
				case NFTA_SET_ELEM_EXPRESSIONS:
					mnl_attr_for_each_nested(y, x) counted |= parse_counter(y, &k);
					break;
				default:
					break;
				}
			}
			if (named && counted)
				cache_put(n, &k);
		}
	}
	return MNL_CB_OK;
}

/* Every element of set name, with its counts, into the cache (a netlink dump). */
static int dump_set(struct kdp_nft *n, const char *name)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = dmm_nl_msg(buf, (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_GETSETELEM, 0);
	struct nfgenmsg *g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));

	g->nfgen_family = NFPROTO_INET;
	g->version = NFNETLINK_V0;
	g->res_id = 0;
	mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_TABLE, n->tname);
	mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_SET, name);
	return dmm_nl_dump(n->nl, nlh, elems_cb, n);
}

/*
 * Every counter's intent id and counts, and a rule's handle: the sets'
 * elements by netlink dumps (nft's text listing of 10,000 elements took
 * 0.2 s), the rules of their own, if any, from nft's listing of the chains.
 */
static int list(struct kdp_nft *n)
{
	static const char *const chains[] = {"pre", "transit", "post"};
	char name[32];
	int ret;

	/* A slot the listing does not show keeps an older number: its counter is gone. */
	if (++n->listing == 0)
		n->listing = 1;
	if (!n->nl) {
		snprintf(n->cmd, sizeof(n->cmd), "list table %s", n->table);
		ret = run(n, n->cmd, NFT_CTX_OUTPUT_HANDLE | NFT_CTX_OUTPUT_NUMERIC_ALL,
			  "listing the counters");
		if (ret == 0)
			ret = parse_listing(n, nft_ctx_get_output_buffer(n->ctx));
		if (ret < 0)
			return ret;
		goto done;
	}
	for (int k = 0; k < K_N; k++)
		for (unsigned len = 0; len <= 128; len++) {
			if (!n->made[k][len])
				continue;
			snprintf(name, sizeof(name), "%s_%u", kinds[k].name, len);
			ret = dump_set(n, name);
			if (ret < 0) {
				snprintf(n->lasterr, sizeof(n->lasterr),
					 "nftables listing the counters of set %s: %s", name, strerror(-ret));
				return ret;
			}
		}
	/* One chain per command: nft 1.0.6 fails a second "list chain" in one buffer. */
	for (size_t i = 0; n->nrules && i < sizeof(chains) / sizeof(chains[0]); i++) {
		snprintf(n->cmd, sizeof(n->cmd), "list chain %s %s", n->table, chains[i]);
		ret = run(n, n->cmd, NFT_CTX_OUTPUT_HANDLE | NFT_CTX_OUTPUT_NUMERIC_ALL,
			  "listing the counters");
		if (ret == 0)
			ret = parse_listing(n, nft_ctx_get_output_buffer(n->ctx));
		if (ret < 0)
			return ret;
	}
done:
	n->cache_ms = now_ms();
	n->cache_gen = n->gen;
	n->cache_valid = true;
	return 0;
}

/*
 * An element goes by its key. A rule by its handle, which does not
 * change: any listing since the rule was added shows it.
 */
void kdp_nft_del(struct kdp_nft *n, uint32_t id, uint8_t action)
{
	struct slot *sl = slot_find(n, id);

	(void)action;
	if (!sl)
		return;
	if (sl->kind >= 0) {
		snprintf(n->cmd, sizeof(n->cmd), "delete element %s %s_%u { %s }", n->table,
			 kinds[sl->kind].name, sl->len, sl->key);
		if (!n->batching || queue(n, n->cmd, 0) < 0)
			run(n, n->cmd, 0, "deleting a counter");
	} else {
		/* The listing puts the handle into the slot. */
		if (!sl->handle)
			list(n);
		if (sl->handle) {
			snprintf(n->cmd, sizeof(n->cmd), "delete rule %s %s handle %" PRIu64, n->table,
				 chain_of(sl->action), sl->handle);
			run(n, n->cmd, 0, "deleting a counter");
		}
	}
	n->nrules -= sl->kind < 0;
	slot_remove(n, sl);
	/* An id used again must not find this one's counts. */
	n->cache_valid = false;
}

/*
 * The listing still serves reads: younger than KDP_NFT_CACHE_MS, and with
 * many counters younger than KDP_NFT_CACHE_US_PER microseconds each, so
 * that reading them all (dmmd sweeps a slice a second) costs a dump of
 * bounded size per second. A small table is listed again as soon as a
 * counter was added; a large one shows a new counter as 0 until then.
 */
static bool cache_fresh(const struct kdp_nft *n)
{
	uint64_t age = now_ms() - n->cache_ms, life = (uint64_t)n->nslots * KDP_NFT_CACHE_US_PER / 1000;

	if (!n->cache_valid)
		return false;
	if (n->nslots < KDP_NFT_SMALL)
		return n->cache_gen == n->gen && age < KDP_NFT_CACHE_MS;
	return age < (life > KDP_NFT_CACHE_MS ? life : KDP_NFT_CACHE_MS);
}

uint32_t kdp_nft_count(const struct kdp_nft *n)
{
	return n->nslots;
}

int kdp_nft_read(struct kdp_nft *n, uint32_t id, uint8_t action, uint64_t *packets, uint64_t *bytes)
{
	struct slot *k;
	int ret;

	*packets = 0;
	*bytes = 0;
	if (!cache_fresh(n)) {
		n->cache_valid = false;
		ret = list(n);
		if (ret < 0)
			return ret;
	}
	k = slot_find(n, id);
	if (k && !k->seen && k->born > n->cache_gen)
		return 0; /* added since the listing: nothing counted yet that it could show */
	if (!k || k->seen != n->listing) {
		snprintf(n->lasterr, sizeof(n->lasterr), "nftables: the counter of intent %u is gone", id);
		return -ESTALE;
	}
	*packets = k->packets;
	*bytes = k->bytes;
	/* The outer packet was counted: take its header off again. */
	if (action == DMM_FM_ENCAP || action == DMM_FM_DECAP)
		*bytes = k->bytes >= OUTER_HDR * k->packets ? k->bytes - OUTER_HDR * k->packets : 0;
	return 0;
}
