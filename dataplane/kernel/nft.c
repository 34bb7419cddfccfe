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
 * Element changes and reads go as nfnetlink messages (nftmsg.c), not as
 * nft commands: libnftables fills its cache (six round trips) and parses
 * text for every command, which made it most of an intent's install
 * time. A change comes from the socket that owns the table (libnftables'
 * own, found at open()); the changes of a batch are one transaction. If
 * that socket cannot be found, element changes fall back to nft commands
 * (one command buffer per batch).
 *
 * Counters are read one element at a time: a GETSETELEM for the intent's
 * key, a hash lookup in the kernel, so a read costs the same with 10^3
 * elements as with 10^6. A dump of the set would not: the kernel walks
 * the hash again from the start for every message of a dump
 * (nft_rhash_walk skips what it has sent), O(n^2) for the whole set,
 * seconds at 10^6 during which the daemon answers nothing. Every intent
 * is counted, however many there are. The rules of their own are read
 * from nft's listing of the chains (one listing serves the reads of
 * KDP_NFT_CACHE_MS); a rule is deleted by the handle a listing shows:
 * adding it with --echo to learn the handle at once would make
 * libnftables fetch the whole ruleset first. The sets are hashes, not
 * interval sets: adding an element to an interval set makes libnftables
 * fetch every element of it first (80 ms per add at 10,000 elements).
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
#include "../common.h"
#include "../nl.h"
#include "nft.h"
#include "nftmsg.h"

#define OUTER_HDR 40 /* an IPv6 header without extension headers: encap.red with one segment */
#define KEY_MAX 128  /* an element key as nft text */
#define KEY_BYTES 32 /* an element key as the kernel holds it: at most two 16-byte fields */
#define IFNAME_BYTES 16

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
	int8_t kind;		 /* enum kind, or -1: a rule of its own */
	uint8_t len;		 /* the set's prefix length */
	uint8_t action;		 /* a rule: which chain */
	uint8_t klen;		 /* an element: bytes of key */
	uint32_t seen;		 /* a rule: the listing that last showed it (0: none) */
	uint64_t born;		 /* gen when it was added */
	uint64_t hash;		 /* of kind, len and key */
	uint64_t handle;	 /* a rule: its handle once a listing showed it, else 0 */
	uint64_t packets, bytes; /* a rule: at that listing */
	uint8_t key[KEY_BYTES];	 /* an element: its key, fields padded as in the kernel */
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
	struct dmm_nl *nl; /* NETLINK_NETFILTER, to read elements; NULL: list them as text */
	int wfd;	   /* the table owner's socket (libnftables'), or -1: element changes as text */
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
	/* Element changes queued between kdp_nft_begin() and kdp_nft_commit(): messages (wfd) or text. */
	bool batching;
	struct dmm_nl_batch wq; /* tag: the intent an add is for, or 0 */
	char *bbuf;
	size_t blen, bcap;
	struct qcmd *q;
	uint32_t nq, capq;
};

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

/* libnftables' socket, which owns the table, if it is the one new socket since before. */
static void find_owner(struct kdp_nft *n, const struct kdp_nffds *before)
{
	struct kdp_nffds after;
	int fd;

	kdp_nffds_scan(&after);
	fd = kdp_nffds_new(before, &after);
	if (fd >= 0 && kdp_nfmsg_owner_probe(fd, n->tname) == 0)
		n->wfd = fd;
}

struct kdp_nft *kdp_nft_open(uint8_t proto, char *err, size_t errlen)
{
	struct kdp_nft *n = calloc(1, sizeof(*n));
	struct kdp_nffds before;
	int ret;

	if (!n) {
		snprintf(err, errlen, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	snprintf(n->table, sizeof(n->table), "inet dmm_%u", proto);
	snprintf(n->tname, sizeof(n->tname), "dmm_%u", proto);
	n->wfd = -1;
	kdp_nffds_scan(&before);
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
	find_owner(n, &before);
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
	dmm_nl_batch_free(&n->wq);
	free(n->slots);
	dmm_hidx_fini(&n->byid, &dmm_dp_heap);
	dmm_hidx_fini(&n->bykey, &dmm_dp_heap);
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
static uint64_t key_hash(int kind, unsigned len, const uint8_t *key, unsigned klen)
{
	uint64_t h = 0xcbf29ce484222325ull;

	h = (h ^ (uint64_t)kind) * 0x100000001b3ull;
	h = (h ^ len) * 0x100000001b3ull;
	for (unsigned i = 0; i < klen; i++)
		h = (h ^ key[i]) * 0x100000001b3ull;
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
static bool key_used(const struct kdp_nft *n, const struct slot *s)
{
	int kind = s->kind;
	uint64_t hash = s->hash;
	uint32_t pos, r;

	if (!n->capslots)
		return false;
	for (r = dmm_hidx_first(&n->bykey, (uint32_t)hash, &pos); r != DMM_HIDX_NONE;
	     r = dmm_hidx_next(&n->bykey, (uint32_t)hash, &pos)) {
		const struct slot *o = &n->slots[r];

		if (o->hash == hash && o->kind == kind && o->len == s->len && o->klen == s->klen &&
		    memcmp(o->key, s->key, s->klen) == 0)
			return true;
	}
	return false;
}

/* Index slots 0 .. nslots-1 into a fresh x of max refs: by id, or by key (elements only). */
static int reindex(struct kdp_nft *n, struct dmm_hidx *x, uint32_t max, bool by_key)
{
	struct dmm_hidx nx;

	if (dmm_hidx_init(&nx, &dmm_dp_heap, max) != 0)
		return -ENOMEM;
	for (uint32_t i = 0; i < n->nslots; i++) {
		if (!by_key)
			dmm_hidx_insert(&nx, id_hash(n->slots[i].id), i);
		else if (n->slots[i].kind >= 0)
			dmm_hidx_insert(&nx, (uint32_t)n->slots[i].hash, i);
	}
	dmm_hidx_fini(x, &dmm_dp_heap);
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

/* An interface name as a key field: IFNAMSIZ bytes, NUL-padded. 0 or -EINVAL. */
static int put_ifname(uint8_t *f, const char *name)
{
	if (!ifname_ok(name) || strlen(name) >= IFNAME_BYTES)
		return -EINVAL;
	memset(f, 0, IFNAME_BYTES);
	memcpy(f, name, strlen(name));
	return 0;
}

/*
 * The element key of s in a set of kind k, as the kernel holds it (each
 * field of a concatenation padded to 4 bytes: here all of 16), into
 * sl->key and sl->klen. Keys are made from the masked prefix: the lookup
 * masks the packet's address the same way. 0 or -errno.
 */
static int element_key(int k, const struct kdp_nft_spec *s, struct slot *sl)
{
	switch (k) {
	case K_ENCAP_DST:
	case K_ENCAP_SRC:
	case K_DECAP_DST:
	case K_DECAP_SRC:
		memcpy(sl->key, s->peer.b, 16);
		break;
	case K_DELIVER_DST:
	case K_DELIVER_SRC:
		if (put_ifname(sl->key, s->oif) < 0)
			return -EINVAL;
		break;
	case K_DROP_SRC_IIF:
		if (put_ifname(sl->key, s->iif) < 0)
			return -EINVAL;
		break;
	default:
		memcpy(sl->key, s->prefix.addr.b, 16);
		sl->klen = 16;
		return 0;
	}
	memcpy(sl->key + 16, s->prefix.addr.b, 16);
	sl->klen = 32;
	return 0;
}

/* The key of sl as nft text (element changes without the owner's socket). */
static void key_text(const struct slot *sl, char *out, size_t sz)
{
	char a[DMM_ADDR_STRLEN], h[40];
	struct dmm_addr x, y;

	memcpy(x.b, sl->key, 16);
	if (sl->klen == 16) {
		snprintf(out, sz, "%s", dmm_addr_str(&x, a));
		return;
	}
	memcpy(y.b, sl->key + 16, 16);
	if (kinds[sl->kind].raw)
		snprintf(out, sz, "%s . %s", dmm_addr_str(&x, a), hex128(&y, h));
	else
		snprintf(out, sz, "\"%.16s\" . %s", (const char *)sl->key, dmm_addr_str(&y, a));
}

/* The name of sl's set. */
static void set_name(const struct slot *sl, char *out, size_t sz)
{
	snprintf(out, sz, "%s_%u", kinds[sl->kind].name, sl->len);
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
	dmm_nl_batch_clear(&n->wq);
}

/* The add of intent id was refused: it has no counter (fail says so). */
static void add_refused(struct kdp_nft *n, uint32_t id, int err,
			void (*fail)(void *ctx, uint32_t id, int err), void *ctx)
{
	struct slot *sl = slot_find(n, id);

	if (sl && sl->kind >= 0) {
		slot_remove(n, sl);
		if (fail)
			fail(ctx, id, err);
	}
}

/* The buffer was refused as a whole (nothing of it applied): run each command alone. */
static int commit_each(struct kdp_nft *n, void (*fail)(void *ctx, uint32_t id, int err), void *ctx)
{
	int first = 0;

	for (uint32_t i = 0; i < n->nq; i++) {
		char *line = n->bbuf + n->q[i].off;
		int ret;

		line[strcspn(line, "\n")] = '\0';
		ret = run(n, line, 0, n->q[i].add_id ? "adding a counter" : "deleting a counter");
		if (ret == 0 || !n->q[i].add_id)
			continue;
		first = first ? first : ret;
		add_refused(n, n->q[i].add_id, ret, fail, ctx);
	}
	return first;
}

/* Bytes of element messages in one transaction at most. */
#define WQ_BYTES (64 * 1024)

/*
 * The queued element messages, as transactions of up to WQ_BYTES; a
 * refused transaction (none of it applied) again one message at a time,
 * so that only what the kernel refuses is lost. 0 or the first error.
 */
static int commit_msgs(struct kdp_nft *n, void (*fail)(void *ctx, uint32_t id, int err), void *ctx)
{
	struct dmm_nl_batch *b = &n->wq;
	int first = 0;

	for (unsigned i = 0, j; i < b->n; i = j) {
		int ret;

		/* As many as fit WQ_BYTES (the first always goes). */
		for (j = i + 1;
		     j < b->n && (j + 1 < b->n ? b->ent[j + 1].off : b->msgs.len) - b->ent[i].off <= WQ_BYTES;
		     j++)
			;
		ret = kdp_nfmsg_batch(n->wfd, b, i, j - i);
		for (unsigned k = i; ret == 1 && k < j; k++)
			if (kdp_nfmsg_batch(n->wfd, b, k, 1) == 0)
				b->ent[k].err = 0;
		for (unsigned k = i; ret != 0 && k < j; k++) {
			if (!b->ent[k].err)
				continue;
			if (!first) {
				first = b->ent[k].err;
				snprintf(n->lasterr, sizeof(n->lasterr), "nftables %s a counter: %s",
					 b->ent[k].tag ? "adding" : "deleting", strerror(-first));
			}
			if (b->ent[k].tag)
				add_refused(n, b->ent[k].tag, b->ent[k].err, fail, ctx);
		}
	}
	return first;
}

int kdp_nft_commit(struct kdp_nft *n, void (*fail)(void *ctx, uint32_t id, int err), void *ctx)
{
	int ret = 0;

	n->batching = false;
	if (n->wq.n)
		ret = commit_msgs(n, fail, ctx);
	if (n->nq && run(n, n->bbuf, 0, "adding counters") < 0)
		ret = commit_each(n, fail, ctx);
	dmm_nl_batch_clear(&n->wq);
	n->blen = 0;
	n->nq = 0;
	return ret;
}

/*
 * Add (NEWSETELEM) or delete (DELSETELEM) the element of sl: queued in a
 * batch, else at once; as a message on the owner's socket, else as an nft
 * command. 0 or -errno.
 */
static int elem_change(struct kdp_nft *n, const struct slot *sl, uint8_t cmd)
{
	char set[32], key[KEY_MAX], buf[MNL_SOCKET_BUFFER_SIZE];
	uint32_t tag = cmd == NFT_MSG_NEWSETELEM ? sl->id : 0;
	int ret;

	set_name(sl, set, sizeof(set));
	if (n->wfd >= 0) {
		struct nlmsghdr *nlh = kdp_nfmsg_elem(buf, cmd, n->tname, set, sl->key, sl->klen, sl->id);

		if (dmm_nl_batch_add(&n->wq, nlh, tag) < 0)
			return -ENOMEM;
		if (n->batching)
			return 0;
		ret = kdp_nfmsg_batch(n->wfd, &n->wq, n->wq.n - 1, 1);
		ret = ret == 1 ? n->wq.ent[n->wq.n - 1].err : ret;
		dmm_nl_batch_clear(&n->wq);
		if (ret < 0)
			snprintf(n->lasterr, sizeof(n->lasterr), "nftables %s a counter: %s",
				 tag ? "adding" : "deleting", strerror(-ret));
		return ret < 0 ? ret : 0;
	}
	key_text(sl, key, sizeof(key));
	if (cmd == NFT_MSG_NEWSETELEM)
		snprintf(n->cmd, sizeof(n->cmd), "add element %s %s { %s comment \"dmm %u\" }", n->table, set,
			 key, sl->id);
	else
		snprintf(n->cmd, sizeof(n->cmd), "delete element %s %s { %s }", n->table, set, key);
	if (n->batching && queue(n, n->cmd, tag) == 0)
		return 0;
	return run(n, n->cmd, 0, tag ? "adding a counter" : "deleting a counter");
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
	if (local_ok && s->prefix.len && s->prefix.len <= 128 && element_key(k, s, &sl) == 0) {
		sl.kind = (int8_t)k;
		sl.hash = key_hash(k, sl.len, sl.key, sl.klen);
		if (key_used(n, &sl) || make_set(n, k, sl.len, &s->local) != 0 ||
		    elem_change(n, &sl, NFT_MSG_NEWSETELEM) != 0)
			sl.kind = -1;
		else {
			n->have_local[k] = true;
			n->local[k] = s->local;
		}
	}
	if (sl.kind < 0) {
		sl.klen = 0;
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

/*
 * The counters and handles of the rules of their own, from nft's listing
 * of the chains; without a netfilter socket to read elements with, of the
 * whole table (elements too).
 */
static int list(struct kdp_nft *n)
{
	static const char *const chains[] = {"pre", "transit", "post"};
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
		elem_change(n, sl, NFT_MSG_DELSETELEM);
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

/* The listing still serves reads: younger than KDP_NFT_CACHE_MS, and no counter added since. */
static bool cache_fresh(const struct kdp_nft *n)
{
	return n->cache_valid && n->cache_gen == n->gen && now_ms() - n->cache_ms < KDP_NFT_CACHE_MS;
}

uint32_t kdp_nft_count(const struct kdp_nft *n)
{
	return n->nslots;
}

/* The counts of sl, an element, read from the kernel: one GETSETELEM. 0 or -errno. */
static int read_elem(struct kdp_nft *n, const struct slot *sl, uint64_t *packets, uint64_t *bytes)
{
	char set[32];
	int ret;

	set_name(sl, set, sizeof(set));
	ret = kdp_nfmsg_get(n->nl, n->tname, set, sl->key, sl->klen, packets, bytes);
	if (ret == -ENOENT) {
		snprintf(n->lasterr, sizeof(n->lasterr), "nftables: the counter of intent %u is gone",
			 sl->id);
		return -ESTALE;
	}
	if (ret < 0)
		snprintf(n->lasterr, sizeof(n->lasterr), "nftables reading the counter of intent %u: %s",
			 sl->id, ret == -ENODATA ? "no counter" : strerror(-ret));
	return ret;
}

/* The counts of sl, a rule of its own (or any, without a netfilter socket), from a listing. */
static int read_listed(struct kdp_nft *n, struct slot *sl, uint64_t *packets, uint64_t *bytes)
{
	uint32_t id = sl->id;
	int ret;

	if (!cache_fresh(n)) {
		n->cache_valid = false;
		ret = list(n);
		if (ret < 0)
			return ret;
		sl = slot_find(n, id);
	}
	if (sl && !sl->seen && sl->born > n->cache_gen)
		return 0; /* added since the listing: nothing counted yet that it could show */
	if (!sl || sl->seen != n->listing) {
		snprintf(n->lasterr, sizeof(n->lasterr), "nftables: the counter of intent %u is gone", id);
		return -ESTALE;
	}
	*packets = sl->packets;
	*bytes = sl->bytes;
	return 0;
}

int kdp_nft_read(struct kdp_nft *n, uint32_t id, uint8_t action, uint64_t *packets, uint64_t *bytes)
{
	struct slot *k = slot_find(n, id);
	int ret;

	*packets = 0;
	*bytes = 0;
	if (!k) {
		snprintf(n->lasterr, sizeof(n->lasterr), "nftables: the counter of intent %u is gone", id);
		return -ESTALE;
	}
	ret = k->kind >= 0 && n->nl ? read_elem(n, k, packets, bytes) : read_listed(n, k, packets, bytes);
	if (ret < 0) {
		*packets = 0;
		*bytes = 0;
		return ret;
	}
	/* The outer packet was counted: take its header off again. */
	if (action == DMM_FM_ENCAP || action == DMM_FM_DECAP)
		*bytes = *bytes >= OUTER_HDR * *packets ? *bytes - OUTER_HDR * *packets : 0;
	return 0;
}
