/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A buffer for BUFFER intents of the kernel and bpf data planes, for the
 * detached window only (a mobile node between its old and its new point of
 * attachment: RFC 8885 §3.5 at the anchoring MAAR, RFC 5213 §5.3.5 /
 * RFC 5949 §5 at an LMA or a previous MAG).
 *
 * The kernel cannot hold packets in a route, so a BUFFER route sends the
 * prefix to a TUN device (dmmh<N>) whose packets dmmd reads and keeps
 * here, per intent, in arrival order (a BUFFER's peer's packets first,
 * where the backend tells them apart: dmm_hold_start), within the configured bounds
 * (dmm_dp_cfg buf_packets, buf_bytes, buf_time_ms): over the packet or
 * byte bound the oldest is dropped, and a packet older than the time
 * bound is dropped rather than delivered; both counted.
 *
 * The bpf backend redirects a held prefix's packets to the device from
 * its TC program, and releases them with its map entry and route (its
 * design is in dataplane/bpf/bpf.c). Delivery in order with the kernel
 * backend (kernel.c does the routes, one step right after the other,
 * none of them left to wait in a netlink batch):
 *   1. a route for the prefix doing the new forwarding goes into the
 *      table that the rule "iif dmmh<N>" selects (the flush route);
 *   2. dmm_hold_flush(): what the device has is read, then every held
 *      packet is written back to the device, oldest first: the kernel
 *      takes it as received on dmmh<N> and forwards it by the flush
 *      route, within the write (a TUN write is processed synchronously);
 *      then the device is read until it is empty, each packet passed
 *      through the same way as it is read;
 *   3. the prefix's main route is replaced (NLM_F_REPLACE): new packets
 *      take the new forwarding directly, behind the held ones;
 *   4. dmm_hold_end(): what the kernel had routed to the device during
 *      step 3 is read and written back, then the flush route goes.
 * The only packets that may be overtaken are those the kernel routed to
 * the device during the replace of step 3 and not yet read when a newer
 * one comes: a window of one netlink request (tens of microseconds).
 * A buffered packet costs one hop more (the kernel forwards it twice);
 * should a flush route be missing, the hop limit ends the packet's loop.
 *
 * Memory: one pool of fixed-size packets, allocated at open and touched
 * only as packets are held (a bump index before the free list), so the
 * resident size grows with what is held at most, never with the flood.
 * Entries (intents buffering now) are found by id and, for a packet, by
 * the /64 of its destination (RFC 5213 §2: a home network prefix is a
 * /64), each through a hash index, so a packet costs the same however
 * many MNs are detached at once; entries of another length (rare) are
 * scanned, the longest prefix winning.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "dmm/fmt.h"
#include "dmm/hash.h"
#include "common.h"
#include "neigh.h"
#include "hold.h"

#define HOLD_PKT 2048		 /* a held packet's room: an access link's MTU and more */
#define HOLD_DEF_PACKETS 256	 /* bounds when the config gives none */
#define HOLD_DEF_BYTES 393216	 /* 384 KiB */
#define HOLD_DEF_MS 2000	 /* 2 s */
#define HOLD_POOL_MIN 1024	 /* the pool: four intents' worth, at least this */
#define HOLD_POOL_MAX (1u << 17) /* and at most this (256 MiB of address space) */
#define HOLD_READ_BURST 256	 /* packets read per poll */
#define HOLD_NONE UINT32_MAX

struct hpkt {
	uint32_t next, len;
	uint64_t t; /* arrival, ns of CLOCK_MONOTONIC */
	bool first; /* came from the entry's peer: released ahead of the others */
	uint8_t data[HOLD_PKT];
};

struct hent {
	uint32_t id;
	struct dmm_prefix p;
	struct dmm_addr peer; /* zero: none */
	bool passthru;	      /* flushed: packets read are written back at once */
	uint32_t head, tail, count;
	uint64_t bytes;
};

struct dmm_hold {
	int fd, ifindex;
	char name[IFNAMSIZ];
	struct hpkt *pool;
	uint32_t npool, used, free; /* used: the bump index; free: list of given-back packets */
	struct hent *ent;
	uint32_t nent, capent;
	struct dmm_hidx by_id, by_p64; /* entries by intent id; those of a /64 by their /64 */
	uint32_t nother;	       /* entries of another length: scanned */
	uint64_t lim_ns;
	struct dmm_dp_buf_stats st;
	uint8_t rbuf[65536];
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int tun_create(struct dmm_hold *h, char *err, size_t errlen)
{
	struct ifreq ifr;
	int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC), e;

	if (fd < 0) {
		snprintf(err, errlen, "hold device: /dev/net/tun: %s", strerror(errno));
		return -1;
	}
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "dmmh%%d");
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		e = errno;
		snprintf(err, errlen, "hold device: TUNSETIFF: %s", strerror(e));
		close(fd);
		errno = e;
		return -1;
	}
	memcpy(h->name, ifr.ifr_name, IFNAMSIZ);
	h->name[IFNAMSIZ - 1] = '\0';
	h->ifindex = (int)if_nametoindex(h->name);
	h->fd = fd;
	return 0;
}

static int ent_grow(struct dmm_hold *h);
static void ent_free(struct dmm_hold *h);

/* A buffer with its bounds and pool, no device yet. NULL with err filled and errno set. */
static struct dmm_hold *hold_new(const struct dmm_dp_cfg *cfg, char *err, size_t errlen)
{
	struct dmm_hold *h = calloc(1, sizeof(*h));
	uint64_t n;

	if (!h) {
		snprintf(err, errlen, "hold device: out of memory");
		errno = ENOMEM;
		return NULL;
	}
	h->fd = -1;
	h->st.limit_packets = cfg->buf_packets ? cfg->buf_packets : HOLD_DEF_PACKETS;
	h->st.limit_bytes = cfg->buf_bytes ? cfg->buf_bytes : HOLD_DEF_BYTES;
	h->st.limit_ms = cfg->buf_time_ms ? cfg->buf_time_ms : HOLD_DEF_MS;
	h->lim_ns = (uint64_t)h->st.limit_ms * 1000000ull;
	n = 4ull * h->st.limit_packets;
	h->npool = (uint32_t)(n < HOLD_POOL_MIN ? HOLD_POOL_MIN : n > HOLD_POOL_MAX ? HOLD_POOL_MAX : n);
	h->free = HOLD_NONE;
	h->pool = malloc((size_t)h->npool * sizeof(*h->pool));
	if (!h->pool || ent_grow(h) < 0) {
		snprintf(err, errlen, "hold device: out of memory");
		ent_free(h);
		free(h->pool);
		free(h);
		errno = ENOMEM;
		return NULL;
	}
	return h;
}

struct dmm_hold *dmm_hold_open(const struct dmm_dp_cfg *cfg, char *err, size_t errlen)
{
	struct dmm_hold *h = hold_new(cfg, err, errlen);

	if (h && tun_create(h, err, errlen) < 0) {
		int e = errno;

		ent_free(h);
		free(h->pool);
		free(h);
		errno = e;
		return NULL;
	}
	return h;
}

struct dmm_hold *dmm_hold_open_fd(const struct dmm_dp_cfg *cfg, int fd, char *err, size_t errlen)
{
	struct dmm_hold *h = hold_new(cfg, err, errlen);

	if (h)
		h->fd = fd;
	return h;
}

void dmm_hold_close(struct dmm_hold *h)
{
	if (!h)
		return;
	if (h->fd >= 0)
		close(h->fd);
	free(h->pool);
	ent_free(h);
	free(h);
}

int dmm_hold_ifindex(const struct dmm_hold *h)
{
	return h->ifindex;
}

int dmm_hold_fd(const struct dmm_hold *h)
{
	return h->fd;
}

void dmm_hold_stats(const struct dmm_hold *h, struct dmm_dp_buf_stats *st)
{
	*st = h->st;
}

/* ---- the pool ---- */

static uint32_t pkt_get(struct dmm_hold *h)
{
	uint32_t b = h->free;

	if (b != HOLD_NONE) {
		h->free = h->pool[b].next;
		return b;
	}
	return h->used < h->npool ? h->used++ : HOLD_NONE;
}

static void pkt_put(struct dmm_hold *h, uint32_t b)
{
	h->pool[b].next = h->free;
	h->free = b;
}

/* Take the oldest packet off e: its index (the caller gives it back), or HOLD_NONE. */
static uint32_t ent_pop(struct dmm_hold *h, struct hent *e)
{
	uint32_t b = e->head;

	if (b == HOLD_NONE)
		return b;
	e->head = h->pool[b].next;
	if (e->head == HOLD_NONE)
		e->tail = HOLD_NONE;
	e->count--;
	e->bytes -= h->pool[b].len;
	h->st.held_packets--;
	h->st.held_bytes -= h->pool[b].len;
	return b;
}

/* Drop e's oldest packet, counted as over a bound (full) or too old. */
static void drop_oldest(struct dmm_hold *h, struct hent *e, bool aged)
{
	uint32_t b = ent_pop(h, e);

	if (b == HOLD_NONE)
		return;
	if (aged)
		h->st.dropped_age++;
	else
		h->st.dropped_full++;
	pkt_put(h, b);
}

/* Hold pkt[0..len) on e, making room within the bounds by dropping the oldest first. */
static void ent_push(struct dmm_hold *h, struct hent *e, const uint8_t *pkt, size_t len, bool first,
		     uint64_t now)
{
	uint32_t b;

	while (e->head != HOLD_NONE && now - h->pool[e->head].t > h->lim_ns)
		drop_oldest(h, e, true);
	if (len > HOLD_PKT || len > h->st.limit_bytes) {
		h->st.dropped_full++;
		return;
	}
	while (e->count && (e->count >= h->st.limit_packets || e->bytes + len > h->st.limit_bytes))
		drop_oldest(h, e, false);
	b = pkt_get(h);
	if (b == HOLD_NONE && e->count) {
		drop_oldest(h, e, false); /* the pool is spent: this intent's oldest makes room */
		b = pkt_get(h);
	}
	if (b == HOLD_NONE) {
		h->st.dropped_full++;
		return;
	}
	h->pool[b] = (struct hpkt){.next = HOLD_NONE, .len = (uint32_t)len, .t = now, .first = first};
	memcpy(h->pool[b].data, pkt, len);
	*(e->tail == HOLD_NONE ? &e->head : &h->pool[e->tail].next) = b;
	e->tail = b;
	e->count++;
	e->bytes += len;
	h->st.buffered++;
	h->st.held_packets++;
	h->st.held_bytes += len;
	if (h->st.held_packets > h->st.held_peak)
		h->st.held_peak = h->st.held_packets;
}

/* ---- entries ---- */

static uint32_t id_hash(uint32_t id)
{
	return (uint32_t)dmm_hash_u64(id);
}

static uint32_t p64_hash(const struct dmm_addr *a)
{
	uint64_t w;

	memcpy(&w, a->b, 8);
	return (uint32_t)dmm_hash_u64(w);
}

/* Entry i into the indexes (they have room: as many as capent). */
static void ent_index(struct dmm_hold *h, uint32_t i)
{
	const struct hent *e = &h->ent[i];

	dmm_hidx_insert(&h->by_id, id_hash(e->id), i);
	if (e->p.len == 64)
		dmm_hidx_insert(&h->by_p64, p64_hash(&e->p.addr), i);
	else
		h->nother++;
}

static void ent_unindex(struct dmm_hold *h, uint32_t i)
{
	const struct hent *e = &h->ent[i];

	dmm_hidx_remove(&h->by_id, id_hash(e->id), i);
	if (e->p.len == 64)
		dmm_hidx_remove(&h->by_p64, p64_hash(&e->p.addr), i);
	else
		h->nother--;
}

static void ent_free(struct dmm_hold *h)
{
	dmm_hidx_fini(&h->by_id, &dmm_dp_heap);
	dmm_hidx_fini(&h->by_p64, &dmm_dp_heap);
	free(h->ent);
	h->ent = NULL;
}

/* Room for twice the entries (16 at first), the indexes made anew. 0 or -ENOMEM (nothing changed). */
static int ent_grow(struct dmm_hold *h)
{
	uint32_t cap = h->capent ? 2 * h->capent : 16;
	struct hent *n = realloc(h->ent, cap * sizeof(*n));
	struct dmm_hidx id = {0}, p64 = {0};

	if (!n)
		return -ENOMEM;
	h->ent = n;
	if (dmm_hidx_init(&id, &dmm_dp_heap, cap) < 0 || dmm_hidx_init(&p64, &dmm_dp_heap, cap) < 0) {
		dmm_hidx_fini(&id, &dmm_dp_heap);
		return -ENOMEM;
	}
	dmm_hidx_fini(&h->by_id, &dmm_dp_heap);
	dmm_hidx_fini(&h->by_p64, &dmm_dp_heap);
	h->by_id = id, h->by_p64 = p64;
	h->capent = cap;
	h->nother = 0;
	for (uint32_t i = 0; i < h->nent; i++)
		ent_index(h, i);
	return 0;
}

static struct hent *ent_find(struct dmm_hold *h, uint32_t id)
{
	uint32_t pos, i, hash = id_hash(id);

	for (i = dmm_hidx_first(&h->by_id, hash, &pos); i != DMM_HIDX_NONE;
	     i = dmm_hidx_next(&h->by_id, hash, &pos))
		if (h->ent[i].id == id)
			return &h->ent[i];
	return NULL;
}

/* The entry whose prefix holds dst, longest first; NULL if none. */
static struct hent *ent_of(struct dmm_hold *h, const struct dmm_addr *dst)
{
	struct hent *best = NULL;
	uint32_t pos, i, hash = p64_hash(dst);

	for (i = dmm_hidx_first(&h->by_p64, hash, &pos); i != DMM_HIDX_NONE;
	     i = dmm_hidx_next(&h->by_p64, hash, &pos))
		if (dmm_prefix_contains(&h->ent[i].p, dst)) {
			best = &h->ent[i];
			break;
		}
	for (i = 0; h->nother && i < h->nent; i++)
		if (h->ent[i].p.len != 64 && dmm_prefix_contains(&h->ent[i].p, dst) &&
		    (!best || h->ent[i].p.len > best->p.len))
			best = &h->ent[i];
	return best;
}

/* Entry e goes; the last one takes its place. */
static void ent_del(struct dmm_hold *h, struct hent *e)
{
	uint32_t i = (uint32_t)(e - h->ent), last = h->nent - 1;

	ent_unindex(h, i);
	if (i != last) {
		ent_unindex(h, last);
		h->ent[i] = h->ent[last];
		ent_index(h, i);
	}
	h->nent--;
}

int dmm_hold_start(struct dmm_hold *h, uint32_t id, const struct dmm_prefix *p, const struct dmm_addr *peer)
{
	static const struct dmm_addr none;
	struct hent *e = ent_find(h, id);

	if (!peer)
		peer = &none;
	if (e) {
		uint32_t i = (uint32_t)(e - h->ent);

		ent_unindex(h, i);
		e->p = *p;
		e->peer = *peer;
		e->passthru = false;
		ent_index(h, i);
		return 0;
	}
	if (h->nent == h->capent && ent_grow(h) < 0)
		return -ENOMEM;
	h->ent[h->nent] =
		(struct hent){.id = id, .p = *p, .peer = *peer, .head = HOLD_NONE, .tail = HOLD_NONE};
	ent_index(h, h->nent++);
	return 0;
}

/* ---- the device ---- */

/*
 * Write pkt back to the device. The hop limit it lost on the way in is
 * not given back: should the flush route be missing, the packet comes
 * back to the device, and the hop limit ends the loop.
 */
static bool write_back(struct dmm_hold *h, const uint8_t *pkt, size_t len)
{
	return write(h->fd, pkt, len) == (ssize_t)len;
}

/* Whether dst is link-local or multicast: the kernel's own packets on the device (MLD, RS). */
static bool link_scope(const struct dmm_addr *dst)
{
	return dst->b[0] == 0xff || (dst->b[0] == 0xfe && (dst->b[1] & 0xc0) == 0x80);
}

/*
 * One packet read from the device: held, or passed through. A packet of
 * a prefix no longer buffered passes too: the forwarding that sent it
 * here was replaced while it was on its way (a packet the eBPF program
 * redirected under the map entry it had just read, or the kernel routed
 * under the route it had just looked up), and the prefix's route now
 * forwards it. The kernel's own packets on the device are dropped.
 *
 * A packet still encapsulated (IPv6 in IPv6, RFC 2473) came through the
 * tunnel of a BUFFER's peer (the bpf backend leaves those packets
 * encapsulated, dmm.bpf.c): what is held or passed is the inner packet,
 * marked as the peer's when the outer source is the entry's peer.
 */
static void hold_one(struct dmm_hold *h, uint8_t *pkt, size_t len, uint64_t now)
{
	struct dmm_addr dst, src = {{0}};
	struct hent *e;

	if (len < 40 || (pkt[0] >> 4) != 6)
		return;
	if (pkt[6] == 41 && len >= 80 && (pkt[40] >> 4) == 6) {
		memcpy(src.b, pkt + 8, 16);
		pkt += 40, len -= 40;
	}
	memcpy(dst.b, pkt + 24, 16);
	if (link_scope(&dst))
		return;
	e = ent_of(h, &dst);
	if (!e || e->passthru) {
		if (write_back(h, pkt, len))
			h->st.released++;
		return;
	}
	ent_push(h, e, pkt, len, !dmm_addr_is_zero(&src) && dmm_addr_eq(&src, &e->peer), now);
}

int dmm_hold_poll(struct dmm_hold *h)
{
	uint64_t now = now_ns();
	int n = 0;

	for (; n < HOLD_READ_BURST; n++) {
		ssize_t len = read(h->fd, h->rbuf, sizeof(h->rbuf));

		if (len <= 0)
			break;
		hold_one(h, h->rbuf, (size_t)len, now);
	}
	return n;
}

/* Read everything the device has now (a burst at a time). */
static void drain(struct dmm_hold *h)
{
	while (dmm_hold_poll(h) == HOLD_READ_BURST)
		;
}

/* Write packet b of e back (past the time bound: dropped instead) and give it back to the pool. */
static void release_one(struct dmm_hold *h, uint32_t b, uint64_t now)
{
	if (now - h->pool[b].t > h->lim_ns)
		h->st.dropped_age++;
	else if (write_back(h, h->pool[b].data, h->pool[b].len))
		h->st.released++;
	else
		h->st.dropped_full++;
	pkt_put(h, b);
}

/*
 * Take e's packets from its peer out of its queue and write them back,
 * oldest first (RFC 5949 §4.1: they took the older path, through the
 * PMAG, and go ahead of what came otherwise meanwhile); those that
 * overtake an older packet are counted.
 */
static void release_peer(struct dmm_hold *h, struct hent *e, uint64_t now)
{
	uint32_t b = e->head, prev = HOLD_NONE, next;
	bool older = false;

	for (; b != HOLD_NONE; b = next) {
		struct hpkt *k = &h->pool[b];

		next = k->next;
		if (!k->first) {
			older = true, prev = b;
			continue;
		}
		*(prev == HOLD_NONE ? &e->head : &h->pool[prev].next) = next;
		if (e->tail == b)
			e->tail = prev;
		e->count--, e->bytes -= k->len;
		h->st.held_packets--, h->st.held_bytes -= k->len;
		h->st.ahead += older;
		release_one(h, b, now);
	}
}

/* Write e's packets back, its peer's first, then the others oldest first. */
static void release(struct dmm_hold *h, struct hent *e)
{
	uint64_t now = now_ns();
	uint32_t b;

	if (!dmm_addr_is_zero(&e->peer))
		release_peer(h, e, now);
	while ((b = ent_pop(h, e)) != HOLD_NONE)
		release_one(h, b, now);
}

/* Read what the queue holds, then send on id's held packets: its entry, or NULL. */
static struct hent *release_id(struct dmm_hold *h, uint32_t id)
{
	struct hent *e;

	drain(h);
	e = ent_find(h, id);
	if (e)
		release(h, e);
	return e;
}

unsigned dmm_hold_dsts(struct dmm_hold *h, uint32_t id, uint8_t (*out)[16], unsigned max)
{
	struct hent *e = ent_find(h, id);
	unsigned n = 0;

	for (uint32_t b = e ? e->head : HOLD_NONE; b != HOLD_NONE && n < max; b = h->pool[b].next)
		n = dmm_neigh_dst_add(out, n, h->pool[b].data);
	return n;
}

#define RESOLVE_DSTS 4	     /* held destinations resolved before a release onto a link */
#define RESOLVE_MAX_US 20000 /* how long the release waits for them */

void dmm_hold_resolve(struct dmm_hold *h, uint32_t id, struct dmm_nl *nl, const struct dmm_neigh_hosts *hosts,
		      int ifindex)
{
	uint8_t dst[RESOLVE_DSTS][16];
	unsigned n = dmm_hold_dsts(h, id, dst, RESOLVE_DSTS);

	if (n)
		h->st.unresolved += n - dmm_neigh_resolve(nl, hosts, ifindex, (const uint8_t(*)[16])dst, n,
							  RESOLVE_MAX_US);
}

void dmm_hold_flush(struct dmm_hold *h, uint32_t id)
{
	struct hent *e = release_id(h, id);

	if (!e)
		return;
	e->passthru = true;
	drain(h); /* what came during the release: the device empty just before the switch */
}

void dmm_hold_end(struct dmm_hold *h, uint32_t id)
{
	struct hent *e = release_id(h, id);

	if (e)
		ent_del(h, e);
}
