/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Per-intent counters of the kernel data plane, in an nftables table of
 * its own (libnftables: nft commands as text).
 *
 *   table inet dmm_<proto> { flags owner
 *     chain pre  { type filter hook prerouting priority -300 }
 *     chain transit  { type filter hook forward priority 300 }
 *     chain post { type filter hook postrouting priority 300 }
 *   }
 *
 * Every rule only counts (no verdict: the packet goes on to the next rule
 * and the chains accept); forwarding stays with the routes. One rule per
 * intent, where the packet the intent acts on can be told apart from all
 * others:
 *
 *   ENCAP    post: the outer packet, after the seg6 encap.red output:
 *            ip6 saddr local ip6 daddr peer ip6 nexthdr 41 and the inner
 *            destination (DST) or source (SRC) in the prefix, read as raw
 *            bits of the inner header (@nh,512 and @nh,384). Forwarded and
 *            locally sent packets alike; the inner packet itself passes no
 *            postrouting hook (the lwtunnel output takes it first).
 *   DECAP    pre: the outer packet before End.DT6, the same match with
 *            saddr peer and daddr local. Counting the inner packet in the
 *            forward hook instead could not tell it from a packet for the
 *            same prefix that arrived untunnelled.
 *   DELIVER  transit: oifname link, ip6 daddr (DST) or saddr (SRC) in prefix:
 *            the packets forwarded to the link, also those End.DT6 has
 *            just decapsulated; not the node's own (Neighbor Discovery
 *            probes to the mobile node would make an idle prefix look busy).
 *   DROP, BUFFER  pre: ip6 daddr (DST) or [iifname link] ip6 saddr (SRC) in
 *            prefix: packets that arrive for the blackhole route (which
 *            drops them before any later hook), also when a route of
 *            better precedence forwards them instead.
 *
 * A SRC ENCAP rule cannot also check the access link: postrouting has no
 * input interface. The routing rule does check it, so only packets from
 * that link are encapsulated to the peer.
 *
 * "flags owner" ties the table to the netlink socket of the nft context:
 * the kernel removes it when the process ends, even by kill -9. open()
 * also deletes a table of that name left by anything else.
 *
 * Counters: one "list table" per KDP_NFT_CACHE_MS serves every read
 * (dmmd reads each intent once a second). A rule is found by its comment,
 * "dmm <intent id>", and deleted by the handle that listing shows: adding
 * it with --echo to learn the handle at once would make libnftables fetch
 * the whole ruleset first: an install (route and rule) took 5 ms at 1000
 * intents and 27 ms at 4000 that way, 0.17 ms and 0.38 ms without it.
 *
 * Limit: a chain's rules are walked one by one for every packet. With
 * 1000 more intents on each gateway of tests/dp/kernel.sh the flood-ping
 * RTT MN -> CN went from 6 us to 0.18 ms (3000: 0.57 ms). Sets with a
 * counter per element (interval keys) would make the walk a lookup.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <nftables/libnftables.h>

#include "dmm/fm.h"
#include "dmm/fmt.h"
#include "nft.h"

#define OUTER_HDR 40 /* an IPv6 header without extension headers: encap.red with one segment */

struct counted {
	uint32_t id; /* the intent, from the rule's comment */
	uint64_t handle, packets, bytes;
};

struct kdp_nft {
	struct nft_ctx *ctx;
	char table[32];
	char cmd[1024];
	struct counted *cache; /* sorted by id */
	size_t ncache, capcache;
	uint64_t cache_ms;   /* when it was listed */
	uint64_t cache_gen;  /* gen at that listing */
	uint64_t gen;	     /* rules added so far */
	bool cache_valid;
	char lasterr[256];
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
	free(n->cache);
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

/* ENCAP counts the outer packet on its way out, DELIVER forwarded packets, the others on arrival. */
static const char *chain_of(uint8_t action)
{
	return action == DMM_FM_ENCAP ? "post" : action == DMM_FM_DELIVER ? "transit" : "pre";
}

static bool ifname_ok(const char *s)
{
	return s && s[0] && !strpbrk(s, "\"\\ \t\n");
}

int kdp_nft_add(struct kdp_nft *n, const struct kdp_nft_spec *s)
{
	char a1[DMM_ADDR_STRLEN], a2[DMM_ADDR_STRLEN], pfx[DMM_PREFIX_STRLEN], raw[160], sel[256];
	char dev[64] = "";
	const char *chain = chain_of(s->action), *dir = s->match == DMM_FM_DST ? "daddr" : "saddr";
	int ret = 0, w;

	n->lasterr[0] = '\0';
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
	if (ret < 0) {
		snprintf(n->lasterr, sizeof(n->lasterr), "nftables: no counting rule for intent %u", s->id);
		return ret;
	}
	snprintf(n->cmd, sizeof(n->cmd), "add rule %s %s%s%s counter comment \"dmm %u\"", n->table, chain, dev, sel,
		 s->id);
	ret = run(n, n->cmd, 0, "adding a counter");
	if (ret == 0)
		n->gen++;
	return ret;
}

static int cmp_counted(const void *a, const void *b)
{
	const struct counted *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

static struct counted *cached(struct kdp_nft *n, uint32_t id)
{
	struct counted key = {.id = id};

	return n->ncache ? bsearch(&key, n->cache, n->ncache, sizeof(*n->cache), cmp_counted) : NULL;
}

/* One listing of the table: every rule's intent id, handle, packets and bytes. */
static int list(struct kdp_nft *n)
{
	const char *out, *line, *c, *h, *m;
	int ret;

	snprintf(n->cmd, sizeof(n->cmd), "list table %s", n->table);
	ret = run(n, n->cmd, NFT_CTX_OUTPUT_HANDLE | NFT_CTX_OUTPUT_NUMERIC_ALL, "listing the counters");
	if (ret < 0)
		return ret;
	n->ncache = 0;
	out = nft_ctx_get_output_buffer(n->ctx);
	for (line = out; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
		const char *eol = strchr(line, '\n');
		struct counted k;

		c = strstr(line, " counter packets ");
		if (!c || (eol && c > eol))
			continue;
		m = strstr(c, " comment \"dmm ");
		h = strstr(c, "# handle ");
		if (!h || !m || (eol && (h > eol || m > eol)))
			continue;
		if (sscanf(c, " counter packets %" SCNu64 " bytes %" SCNu64, &k.packets, &k.bytes) != 2 ||
		    sscanf(m, " comment \"dmm %" SCNu32, &k.id) != 1 || sscanf(h, "# handle %" SCNu64, &k.handle) != 1)
			continue;
		if (n->ncache == n->capcache) {
			size_t cap = n->capcache ? n->capcache * 2 : 64;
			struct counted *nc = realloc(n->cache, cap * sizeof(*nc));

			if (!nc)
				return -ENOMEM;
			n->cache = nc;
			n->capcache = cap;
		}
		n->cache[n->ncache++] = k;
	}
	qsort(n->cache, n->ncache, sizeof(*n->cache), cmp_counted);
	n->cache_ms = now_ms();
	n->cache_gen = n->gen;
	n->cache_valid = true;
	return 0;
}

/*
 * Handles do not change: any listing since the rule was added will do.
 * The deleted rule's entry stays in the cache with handle 0 (the kernel
 * never gives out 0), so that an intent id used again is listed afresh.
 */
void kdp_nft_del(struct kdp_nft *n, uint32_t id, uint8_t action)
{
	struct counted *k = cached(n, id);

	if ((!k || !k->handle) && list(n) == 0)
		k = cached(n, id);
	if (!k || !k->handle)
		return;
	snprintf(n->cmd, sizeof(n->cmd), "delete rule %s %s handle %" PRIu64, n->table, chain_of(action), k->handle);
	run(n, n->cmd, 0, "deleting a counter");
	k->handle = 0;
}

int kdp_nft_read(struct kdp_nft *n, uint32_t id, uint8_t action, uint64_t *packets, uint64_t *bytes)
{
	struct counted *k;
	int ret;

	*packets = 0;
	*bytes = 0;
	if (!n->cache_valid || n->cache_gen != n->gen || now_ms() - n->cache_ms >= KDP_NFT_CACHE_MS) {
		n->cache_valid = false;
		ret = list(n);
		if (ret < 0)
			return ret;
	}
	k = cached(n, id);
	if (!k || !k->handle) {
		snprintf(n->lasterr, sizeof(n->lasterr), "nftables: the counting rule of intent %u is gone", id);
		return -ESTALE;
	}
	*packets = k->packets;
	*bytes = k->bytes;
	/* The rule saw the outer packet: take its header off again. */
	if (action == DMM_FM_ENCAP || action == DMM_FM_DECAP)
		*bytes = k->bytes >= OUTER_HDR * k->packets ? k->bytes - OUTER_HDR * k->packets : 0;
	return 0;
}
