/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * mh-load: a PMIPv6 MAG-side load generator (RFC 5213) against one LMA,
 * and a UDP echo of the same message sizes for a baseline measured the
 * same way in the same run (bench/dmmd-rate.sh, bench/scale.sh).
 *
 *   mh-load register|refresh|handoff|deregister --to LMA [options]
 *   mh-load echo-server [--port P]
 *   mh-load echo --to ADDR [--port P] [--size B] [--reply B] [--seconds S] [--window W]
 *                                     (rate, and round trip median and p99; --window 1
 *                                     gives the bare round trip beside an install latency)
 *   mh-load catch [--seconds S]       print inner destination, outer destination and
 *                                     source of each IPv6-in-IPv6 packet received
 *   mh-load probe ADDR...             one UDP datagram to each ADDR (port 9)
 *
 * Proxy Binding Updates go over UDP 5436 (RFC 5844 §4, --transport udp,
 * the default) or as a raw Mobility Header (IPv6 next header 135, the
 * kernel fills the checksum; --transport ip6). Each carries an EUI-48
 * MN-ID (RFC 8371) made from the MN's number, a Home Network Prefix
 * option, the Handoff Indicator, ATT 802.3 and a Timestamp (RFC 5213
 * §5.5: timestamp-based ordering, so one global sequence counter serves
 * to match each PBA to its PBU):
 *
 *   register    HNP ::/0 (allocate, §5.3.2), HI 1 (new interface), from
 *               MAG mag-base + (i % mags);
 *   refresh     the assigned HNP, HI 5 (no change, §6.9.1.1), from the MN's
 *               MAG, round after round for --seconds;
 *   handoff     the assigned HNP, HI 3 (between MAGs, §5.4.1 step 5) or
 *               --hi, from the new MAG mag-base + (i % mags): give a
 *               --mag-base other than the registration's;
 *   deregister  the assigned HNP, lifetime 0 (§6.9.1.2), from the MN's MAG.
 *
 * Options: --mns N (register: MNs 0..N-1), --mn-base I, --mags K,
 * --mag-base ADDR, --window W outstanding (default 32), --rate R PBUs/s
 * (default: as fast as the window allows), --seconds S (refresh: how
 * long; the others: a time limit, after which what was reached is
 * reported), --timeout T (seconds before a PBU counts as unanswered,
 * default 5), --lifetime L (default 600), --hnp-in FILE (the MNs of
 * refresh, handoff and deregister), --hnp-out FILE (each MN's MN-ID,
 * prefix and MAG after the run, for later probes and phases).
 *
 * The source addresses need not be configured: the socket is IPV6_FREEBIND
 * and each PBU names its source with IPV6_PKTINFO; the replies must reach
 * the host (a "local" route for the MAG addresses, e.g.
 * `ip -6 route add local 2001:db8:aaaa::/64 dev lo`).
 *
 * Heartbeat Requests from the LMA (RFC 5847 §3) are answered from the
 * MAG address they reached, with Restart Counter 1.
 *
 * --auth SPI:ALGORITHM:KEYFILE (hmac-sha1-96 or hmac-sha256-128, the key
 * in hex): every message to the LMA carries the RFC 4285 §5.1
 * Authentication option (type 9, subtype 1, last), over MAG | LMA | the
 * Mobility Header up to the SPI with the checksum zero; a message from the
 * LMA whose option does not verify is dropped and counted ("auth_bad").
 *
 * Every PBA is checked: the sequence number of an outstanding PBU, the
 * MN-ID of that PBU, status 0, and a prefix (register: any, stored;
 * the others: the MN's). Prints one JSON object: counts, seconds, rate
 * (answered PBUs per second), latency median and p99 in microseconds.
 * Exit status 0 when every PBU was sent, answered and accepted, 1
 * otherwise, 2 on a usage or set-up error.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "dmm/err.h"
#include "dmm/mh.h"

#define MAX_WINDOW 4096
#define NSEQ 65536
#define BATCH 64
#define MAX_SAMPLES (4u << 20)

enum mode { M_REGISTER, M_REFRESH, M_HANDOFF, M_DEREGISTER };
static const char *const mode_name[] = {"register", "refresh", "handoff", "deregister"};

/* One mobile node: its number, prefix (len 0: none yet) and current MAG. */
struct mn {
	uint32_t id;
	uint8_t plen;
	bool failed;
	struct in6_addr prefix, mag;
};

/* An outstanding PBU, indexed by its sequence number. */
struct slot {
	uint32_t mn;
	double at;
	bool busy;
};

struct run {
	enum mode mode;
	int fd;
	bool raw;
	struct sockaddr_in6 lma;
	struct mn *mn;
	uint32_t n, next, window, outstanding;
	double rate, seconds, timeout, t0;
	uint32_t lifetime, hi;
	uint16_t seq;
	struct slot slot[NSEQ];
	uint16_t fifo[NSEQ]; /* outstanding sequence numbers in send order */
	uint32_t fifo_head, fifo_tail;
	uint64_t sent, acked, accepted, rejected, mismatch, timeouts, late, undecodable, other, heartbeats;
	uint64_t status_count[256];
	uint32_t pbu_bytes, pba_bytes; /* sizes of the last PBU and PBA (the echo's sizes) */
	float *lat;		       /* microseconds */
	uint64_t nlat;
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* RFC 5213 §8.8: 48 bits of seconds, 16 bits of 1/65536 s. */
static uint64_t wall_ts(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ((uint64_t)ts.tv_sec & 0xffffffffffffull) << 16 | (uint64_t)ts.tv_nsec * 65536u / 1000000000u;
}

static const char *arg_str(int argc, char **argv, const char *name)
{
	for (int i = 2; i + 1 < argc; i++)
		if (strcmp(argv[i], name) == 0)
			return argv[i + 1];
	return NULL;
}

static double arg_num(int argc, char **argv, const char *name, double def)
{
	const char *s = arg_str(argc, argv, name);

	return s ? atof(s) : def;
}

static void usage_exit(const char *why)
{
	fprintf(stderr, "mh-load: %s\n", why);
	exit(2);
}

/* ---- RFC 4285 §5.1 authentication (--auth) ---- */

static struct {
	bool on;
	uint32_t spi;
	const EVP_MD *md;
	size_t mac_len, key_len;
	uint8_t key[32];
	uint64_t bad; /* messages from the LMA that do not verify */
} auth;

/* --auth SPI:ALGORITHM:KEYFILE */
static void auth_setup(const char *spec)
{
	char alg[32], path[256], hex[128] = "";
	unsigned long spi;
	FILE *f;
	size_t n;

	if (sscanf(spec, "%lu:%31[^:]:%255s", &spi, alg, path) != 3 || spi < 256 || spi > 0xffffffffUL)
		usage_exit("--auth is SPI:ALGORITHM:KEYFILE (SPI 256 or above)");
	if (strcmp(alg, "hmac-sha1-96") == 0)
		auth.md = EVP_sha1(), auth.mac_len = 12, auth.key_len = 16;
	else if (strcmp(alg, "hmac-sha256-128") == 0)
		auth.md = EVP_sha256(), auth.mac_len = 16, auth.key_len = 32;
	else
		usage_exit("--auth: the algorithm is hmac-sha1-96 or hmac-sha256-128");
	if (!(f = fopen(path, "r")) || !fgets(hex, sizeof(hex), f))
		usage_exit("--auth: cannot read the key file");
	fclose(f);
	n = strspn(hex, "0123456789abcdefABCDEF");
	if (n != 2 * auth.key_len)
		usage_exit("--auth: the key file does not hold a key of the algorithm's length in hex");
	for (size_t i = 0; i < auth.key_len; i++)
		sscanf(hex + 2 * i, "%2hhx", &auth.key[i]);
	auth.spi = (uint32_t)spi;
	auth.on = true;
}

/* First(mac_len, HMAC(key, A | B | mh[0..n))), the checksum taken as zero. */
static void auth_mac(const struct in6_addr *a, const struct in6_addr *b, const uint8_t *mh, size_t n,
		     uint8_t *out)
{
	uint8_t data[32 + 512], md[EVP_MAX_MD_SIZE];
	unsigned md_len = 0;

	memcpy(data, a, 16);
	memcpy(data + 16, b, 16);
	memcpy(data + 32, mh, n);
	data[32 + 4] = data[32 + 5] = 0;
	HMAC(auth.md, auth.key, (int)auth.key_len, data, 32 + n, md, &md_len);
	memcpy(out, md, auth.mac_len);
}

/* Where option 9 begins (-1: none), and the end of the last non-pad option;
 * the options of a PBU, PBA and Heartbeat begin at octet 12. */
static int auth_scan(const uint8_t *mh, size_t len, size_t *end)
{
	size_t off = 12, lim = (size_t)(mh[1] + 1) * 8 < len ? (size_t)(mh[1] + 1) * 8 : len;
	int at = -1;

	*end = off;
	while (off < lim) {
		if (mh[off] == DMM_OPT_PAD1) {
			off++;
			continue;
		}
		if (off + 2 > lim || off + 2 + mh[off + 1] > lim)
			return -1;
		if (mh[off] != DMM_OPT_PADN)
			*end = off + 2 + mh[off + 1];
		if (mh[off] == DMM_OPT_AUTH)
			at = (int)off;
		off += 2 + mh[off + 1];
	}
	return at;
}

static size_t put_pad(uint8_t *p, size_t n)
{
	if (n == 1)
		p[0] = DMM_OPT_PAD1;
	else if (n > 1) {
		p[0] = DMM_OPT_PADN;
		p[1] = (uint8_t)(n - 2);
		memset(p + 2, 0, n - 2);
	}
	return n;
}

/* Append option 9 to an encoded message from A (the requester) to B;
 * returns the new length (a multiple of 8) or DMM_ERR_NOBUF. */
static int auth_sign(uint8_t *mh, int len, size_t cap, const struct in6_addr *a, const struct in6_addr *b)
{
	size_t e, n, pad, total;

	if (len < 12)
		return DMM_ERR_NOBUF;
	auth_scan(mh, (size_t)len, &e);
	/* At 4n+1 where the message then ends with the option (RFC 4285 §5.1: last). */
	pad = (8 + (size_t)(8 - (7 + auth.mac_len) % 8) % 8 - e % 8) % 8;
	n = e + pad + 7; /* up to and including the SPI */
	total = n + auth.mac_len;
	if (total > cap)
		return DMM_ERR_NOBUF;
	e += put_pad(mh + e, pad);
	mh[e] = DMM_OPT_AUTH;
	mh[e + 1] = (uint8_t)(5 + auth.mac_len);
	mh[e + 2] = 1; /* MN-HA */
	mh[e + 3] = (uint8_t)(auth.spi >> 24), mh[e + 4] = (uint8_t)(auth.spi >> 16);
	mh[e + 5] = (uint8_t)(auth.spi >> 8), mh[e + 6] = (uint8_t)auth.spi;
	mh[1] = (uint8_t)(total / 8 - 1);
	mh[4] = mh[5] = 0;
	auth_mac(a, b, mh, n, mh + n);
	return (int)total;
}

/* Whether a message between A (the requester) and B carries option 9 last,
 * with our SPI and the right authenticator (compared in constant time). */
static bool auth_check(const uint8_t *mh, size_t len, const struct in6_addr *a, const struct in6_addr *b)
{
	uint8_t want[16];
	size_t end;
	int at;

	if (len < 12 || (at = auth_scan(mh, len, &end)) < 0 || (size_t)at + 7 + auth.mac_len != end ||
	    mh[at + 1] != 5 + auth.mac_len ||
	    ((uint32_t)mh[at + 3] << 24 | (uint32_t)mh[at + 4] << 16 | mh[at + 5] << 8 | mh[at + 6]) !=
		    auth.spi)
		return false;
	auth_mac(a, b, mh, (size_t)at + 7, want);
	return CRYPTO_memcmp(want, mh + at + 7, auth.mac_len) == 0;
}

/* A message from the LMA to the MAG address to: the LMA asked in a
 * Heartbeat Request; in the rest, the MAG asked. */
static bool auth_from_lma(const struct run *r, const uint8_t *mh, size_t len, const struct in6_addr *to)
{
	bool lma_asks = len > 7 && mh[2] == DMM_MH_HB && !(mh[7] & DMM_HB_R);

	if (!to)
		return false;
	return lma_asks ? auth_check(mh, len, &r->lma.sin6_addr, to)
			: auth_check(mh, len, to, &r->lma.sin6_addr);
}

/* ---- the MN table and the prefix file ---- */

static void mnid_bytes(uint32_t id, uint8_t b[6])
{
	b[0] = 0x02;
	b[1] = 0x10;
	b[2] = (uint8_t)(id >> 24);
	b[3] = (uint8_t)(id >> 16);
	b[4] = (uint8_t)(id >> 8);
	b[5] = (uint8_t)id;
}

static void mag_addr(const struct in6_addr *base, uint32_t k, struct in6_addr *out)
{
	uint32_t lo;

	*out = *base;
	memcpy(&lo, &out->s6_addr[12], 4);
	lo = htonl(ntohl(lo) + k);
	memcpy(&out->s6_addr[12], &lo, 4);
}

/* Lines "02:10:xx:xx:xx:xx PREFIX/LEN MAG". Returns the number of MNs read. */
static uint32_t read_hnp(const char *path, struct mn **out)
{
	FILE *f = fopen(path, "r");
	char line[256], pfx[INET6_ADDRSTRLEN + 8], mag[INET6_ADDRSTRLEN];
	uint32_t n = 0, cap = 1024;
	struct mn *v = malloc(cap * sizeof(*v));

	if (!f || !v)
		usage_exit("cannot read --hnp-in");
	while (fgets(line, sizeof(line), f)) {
		unsigned b[6], plen;
		char *slash;

		if (sscanf(line, "%x:%x:%x:%x:%x:%x %63s %45s", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5], pfx,
			   mag) != 8 ||
		    !(slash = strchr(pfx, '/')))
			continue;
		*slash = 0;
		plen = (unsigned)atoi(slash + 1);
		if (n == cap && !(v = realloc(v, (cap *= 2) * sizeof(*v))))
			usage_exit("out of memory");
		memset(&v[n], 0, sizeof(v[n]));
		v[n].id = b[2] << 24 | b[3] << 16 | b[4] << 8 | b[5];
		v[n].plen = (uint8_t)plen;
		if (inet_pton(AF_INET6, pfx, &v[n].prefix) != 1 || inet_pton(AF_INET6, mag, &v[n].mag) != 1 ||
		    plen == 0 || plen > 128)
			continue;
		n++;
	}
	fclose(f);
	*out = v;
	return n;
}

static void write_hnp(const char *path, const struct run *r)
{
	FILE *f = fopen(path, "w");

	if (!f) {
		perror("mh-load: --hnp-out");
		return;
	}
	for (uint32_t i = 0; i < r->n; i++) {
		const struct mn *m = &r->mn[i];
		char p[INET6_ADDRSTRLEN], a[INET6_ADDRSTRLEN];
		uint8_t b[6];

		if (!m->plen || m->failed)
			continue;
		mnid_bytes(m->id, b);
		inet_ntop(AF_INET6, &m->prefix, p, sizeof(p));
		inet_ntop(AF_INET6, &m->mag, a, sizeof(a));
		fprintf(f, "%02x:%02x:%02x:%02x:%02x:%02x %s/%u %s\n", b[0], b[1], b[2], b[3], b[4], b[5], p,
			m->plen, a);
	}
	fclose(f);
}

/* The MNs of this run: N new ones (register) or those of --hnp-in, moved for a handoff. */
static void setup_mns(struct run *r, int argc, char **argv)
{
	const char *in = arg_str(argc, argv, "--hnp-in"), *base = arg_str(argc, argv, "--mag-base");
	uint32_t mags = (uint32_t)arg_num(argc, argv, "--mags", 1);
	struct in6_addr b;

	if (mags < 1)
		usage_exit("bad --mags");
	if (base && inet_pton(AF_INET6, base, &b) != 1)
		usage_exit("bad --mag-base");
	if (r->mode == M_REGISTER) {
		uint32_t first = (uint32_t)arg_num(argc, argv, "--mn-base", 0);

		r->n = (uint32_t)arg_num(argc, argv, "--mns", 1000);
		if (!base || r->n < 1 || !(r->mn = calloc(r->n, sizeof(*r->mn))))
			usage_exit("register needs --mag-base and --mns >= 1");
		for (uint32_t i = 0; i < r->n; i++) {
			r->mn[i].id = first + i;
			mag_addr(&b, i % mags, &r->mn[i].mag);
		}
		return;
	}
	if (!in || (r->n = read_hnp(in, &r->mn)) == 0)
		usage_exit("refresh, handoff and deregister need --hnp-in with at least one MN");
	if (r->mode == M_HANDOFF) {
		if (!base)
			usage_exit("handoff needs --mag-base (the new MAGs)");
		for (uint32_t i = 0; i < r->n; i++)
			mag_addr(&b, i % mags, &r->mn[i].mag);
	}
}

/* ---- sockets ---- */

static void open_socket(struct run *r, int argc, char **argv)
{
	const char *to = arg_str(argc, argv, "--to"), *tr = arg_str(argc, argv, "--transport");
	int one = 1;

	r->raw = tr && strcmp(tr, "ip6") == 0;
	if (tr && !r->raw && strcmp(tr, "udp") != 0)
		usage_exit("--transport is udp or ip6");
	memset(&r->lma, 0, sizeof(r->lma));
	r->lma.sin6_family = AF_INET6;
	r->lma.sin6_port = r->raw ? 0 : htons((uint16_t)arg_num(argc, argv, "--port", DMM_MH_UDP_PORT));
	if (!to || inet_pton(AF_INET6, to, &r->lma.sin6_addr) != 1)
		usage_exit("--to needs the LMA's IPv6 address");
	r->fd = r->raw ? socket(AF_INET6, SOCK_RAW, DMM_IPPROTO_MH) : socket(AF_INET6, SOCK_DGRAM, 0);
	if (r->fd < 0) {
		perror("mh-load: socket");
		exit(2);
	}
	if (setsockopt(r->fd, IPPROTO_IPV6, IPV6_FREEBIND, &one, sizeof(one)) < 0 ||
	    setsockopt(r->fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one)) < 0) {
		perror("mh-load: IPV6_FREEBIND/IPV6_RECVPKTINFO");
		exit(2);
	}
	if (r->raw) {
		int off = 4; /* RFC 6275 §6.1.1: the MH checksum, computed by the kernel */

		setsockopt(r->fd, IPPROTO_IPV6, IPV6_CHECKSUM, &off, sizeof(off));
	}
	{
		int sz = 4 << 20;

		setsockopt(r->fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
		setsockopt(r->fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	}
}

/* Send one message to the LMA from the MAG address src (IPV6_PKTINFO). */
static void send_from(const struct run *r, const struct in6_addr *src, const uint8_t *buf, size_t len)
{
	char ctl[CMSG_SPACE(sizeof(struct in6_pktinfo))] = {0};
	struct in6_pktinfo pi = {.ipi6_addr = *src};
	struct iovec iov = {(void *)buf, len};
	struct msghdr mh = {(void *)&r->lma, sizeof(r->lma), &iov, 1, ctl, sizeof(ctl), 0};
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);

	c->cmsg_level = IPPROTO_IPV6;
	c->cmsg_type = IPV6_PKTINFO;
	c->cmsg_len = CMSG_LEN(sizeof(pi));
	memcpy(CMSG_DATA(c), &pi, sizeof(pi));
	sendmsg(r->fd, &mh, 0);
}

/*
 * RFC 5847 §3: answer a Heartbeat Request with a Response, same sequence
 * number, with a Restart Counter (1: these MAGs never restart), so that
 * an LMA with heartbeats on keeps the MAGs alive.
 */
static void answer_heartbeat(struct run *r, const struct dmm_mh_msg *req, const struct in6_addr *to)
{
	static struct dmm_mh_msg m;
	uint8_t buf[64];
	int n;

	if (!to || (req->u.hb.flags & DMM_HB_R))
		return;
	dmm_mh_init(&m, DMM_MH_HB);
	m.u.hb.flags = DMM_HB_R;
	m.u.hb.seq = req->u.hb.seq;
	dmm_mh_add_opt(&m, DMM_OPT_RESTART)->u.restart.counter = 1;
	n = dmm_mh_encode(buf, sizeof(buf), &m);
	if (n > 0 && auth.on)
		n = auth_sign(buf, n, sizeof(buf), &r->lma.sin6_addr, to); /* the LMA asked */
	if (n > 0)
		send_from(r, to, buf, (size_t)n);
	r->heartbeats++;
}

/* ---- PBU ---- */

/* RFC 5213 §6.9.1.1: the PBU of mode for MN m with sequence number seq. */
static int build_pbu(const struct run *r, const struct mn *m, uint16_t seq, uint8_t *buf, size_t cap)
{
	static struct dmm_mh_msg msg;
	struct dmm_mh_opt *o;
	uint64_t t = wall_ts();

	dmm_mh_init(&msg, DMM_MH_BU);
	msg.u.bu.seq = seq;
	msg.u.bu.flags = DMM_BU_A | DMM_BU_P;
	msg.u.bu.lifetime = r->mode == M_DEREGISTER ? 0 : dmm_lifetime_units(r->lifetime);
	o = dmm_mh_add_opt(&msg, DMM_OPT_MNID);
	o->u.mnid.subtype = DMM_MNID_EUI48;
	o->u.mnid.id.len = 6;
	mnid_bytes(m->id, o->u.mnid.id.b);
	o = dmm_mh_add_opt(&msg, DMM_OPT_HNP); /* register: ::/0, "allocate" (§5.3.2) */
	if (r->mode != M_REGISTER) {
		memcpy(o->u.hnp.addr.b, &m->prefix, 16);
		o->u.hnp.len = m->plen;
	}
	dmm_mh_add_opt(&msg, DMM_OPT_HI)->u.hi.value = (uint8_t)r->hi;
	dmm_mh_add_opt(&msg, DMM_OPT_ATT)->u.att.value = DMM_ATT_8023;
	o = dmm_mh_add_opt(&msg, DMM_OPT_TIMESTAMP);
	o->u.timestamp.seconds = t >> 16;
	o->u.timestamp.fraction = (uint16_t)t;
	return dmm_mh_encode(buf, cap, &msg);
}

/* The next free sequence number (0 is skipped: it marks nothing). */
static uint16_t take_seq(struct run *r)
{
	do
		r->seq = (uint16_t)(r->seq + 1);
	while (r->seq == 0 || r->slot[r->seq].busy);
	return r->seq;
}

/* How many PBUs may go now: the window, the rate, and (refresh) the time left. */
static uint32_t may_send(const struct run *r, double t)
{
	uint32_t k = r->window - r->outstanding;

	if (r->mode == M_REFRESH ? t - r->t0 >= r->seconds : r->next >= r->n)
		return 0;
	/* The send-order ring is full behind one old PBU: wait for its answer or its timeout. */
	if (r->fifo_tail - r->fifo_head > NSEQ - BATCH)
		return 0;
	if (r->mode != M_REFRESH && r->n - r->next < k)
		k = r->n - r->next;
	if (r->rate > 0) {
		double allowed = r->rate * (t - r->t0) + 1 - (double)r->sent;

		if (allowed < k)
			k = allowed > 0 ? (uint32_t)allowed : 0;
	}
	return k < BATCH ? k : BATCH;
}

/* Send up to BATCH PBUs in one sendmmsg. */
static void send_some(struct run *r, double t)
{
	static uint8_t buf[BATCH][256];
	static char ctl[BATCH][CMSG_SPACE(sizeof(struct in6_pktinfo))];
	static struct iovec iov[BATCH];
	static struct mmsghdr mm[BATCH];
	uint32_t k = may_send(r, t), i;
	int n;

	for (i = 0; i < k; i++) {
		uint32_t idx = r->next++ % r->n;
		uint16_t seq = take_seq(r);
		int len = build_pbu(r, &r->mn[idx], seq, buf[i], sizeof(buf[i]));

		if (len > 0 && auth.on)
			len = auth_sign(buf[i], len, sizeof(buf[i]), &r->mn[idx].mag, &r->lma.sin6_addr);
		struct cmsghdr *c;
		struct in6_pktinfo pi = {.ipi6_addr = r->mn[idx].mag};

		if (len < 0)
			usage_exit("cannot encode a PBU");
		r->pbu_bytes = (uint32_t)len;
		r->slot[seq] = (struct slot){idx, t, true};
		r->fifo[r->fifo_tail++ % NSEQ] = seq;
		iov[i] = (struct iovec){buf[i], (size_t)len};
		memset(&mm[i], 0, sizeof(mm[i]));
		mm[i].msg_hdr.msg_name = &r->lma;
		mm[i].msg_hdr.msg_namelen = sizeof(r->lma);
		mm[i].msg_hdr.msg_iov = &iov[i];
		mm[i].msg_hdr.msg_iovlen = 1;
		mm[i].msg_hdr.msg_control = ctl[i];
		mm[i].msg_hdr.msg_controllen = sizeof(ctl[i]);
		c = CMSG_FIRSTHDR(&mm[i].msg_hdr);
		c->cmsg_level = IPPROTO_IPV6;
		c->cmsg_type = IPV6_PKTINFO;
		c->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(c), &pi, sizeof(pi));
	}
	for (i = 0; i < k; i += (uint32_t)n) {
		n = sendmmsg(r->fd, mm + i, k - i, 0);
		if (n <= 0) {
			if (errno != EINTR && errno != EAGAIN && errno != ENOBUFS) {
				perror("mh-load: sendmmsg");
				exit(2);
			}
			n = 0;
			poll(NULL, 0, 1);
		}
	}
	r->sent += k;
	r->outstanding += k;
}

/* ---- PBA ---- */

static bool mnid_matches(const struct dmm_mh_msg *m, uint32_t id)
{
	const struct dmm_mh_opt *o = dmm_mh_find_opt(m, DMM_OPT_MNID, NULL);
	uint8_t b[6];

	mnid_bytes(id, b);
	return o && o->u.mnid.subtype == DMM_MNID_EUI48 && o->u.mnid.id.len == 6 &&
	       memcmp(o->u.mnid.id.b, b, 6) == 0;
}

/* §5.3.5/§6.9.1.2 checks for an accepted PBA: its prefix is the MN's (register: stores it). */
static bool prefix_ok(struct run *r, struct mn *m, const struct dmm_mh_msg *pba)
{
	const struct dmm_mh_opt *o = dmm_mh_find_opt(pba, DMM_OPT_HNP, NULL);

	if (!o || o->u.hnp.len == 0)
		return r->mode == M_DEREGISTER;
	if (r->mode == M_REGISTER) {
		memcpy(&m->prefix, o->u.hnp.addr.b, 16);
		m->plen = o->u.hnp.len;
		return true;
	}
	return o->u.hnp.len == m->plen && memcmp(o->u.hnp.addr.b, &m->prefix, 16) == 0;
}

static void record(struct run *r, double lat)
{
	if (r->nlat < MAX_SAMPLES)
		r->lat[r->nlat++] = (float)(lat * 1e6);
}

/* One received message from the LMA. */
static void on_pba(struct run *r, const uint8_t *buf, size_t len, const struct in6_addr *to, double t)
{
	static struct dmm_mh_msg pba;
	struct slot *s;
	struct mn *m;

	if (auth.on && !auth_from_lma(r, buf, len, to)) {
		auth.bad++;
		return;
	}
	if (dmm_mh_decode(&pba, buf, len) < 0) {
		r->undecodable++;
		return;
	}
	if (pba.type == DMM_MH_HB) {
		answer_heartbeat(r, &pba, to);
		return;
	}
	if (pba.type != DMM_MH_BA) {
		r->other++; /* e.g. a Binding Revocation Indication to the old MAG (RFC 5846) */
		return;
	}
	s = &r->slot[pba.u.ba.seq];
	if (!s->busy) {
		r->late++; /* answered after its timeout, or not ours */
		return;
	}
	m = &r->mn[s->mn];
	if (!mnid_matches(&pba, m->id) || (to && memcmp(to, &m->mag, 16) != 0)) {
		r->mismatch++; /* a PBA for someone else's sequence number */
		return;
	}
	s->busy = false;
	r->outstanding--;
	r->acked++;
	r->pba_bytes = (uint32_t)len;
	r->status_count[pba.u.ba.status]++;
	record(r, t - s->at);
	if (pba.u.ba.status != DMM_BA_ACCEPTED) {
		r->rejected++;
		m->failed = true;
	} else if (!prefix_ok(r, m, &pba)) {
		r->mismatch++;
		m->failed = true;
	} else {
		r->accepted++;
		if (r->mode == M_DEREGISTER)
			m->plen = 0;
	}
}

static void receive_some(struct run *r, double t)
{
	static uint8_t buf[BATCH][512];
	static char ctl[BATCH][CMSG_SPACE(sizeof(struct in6_pktinfo))];
	static struct iovec iov[BATCH];
	static struct mmsghdr mm[BATCH];
	int n;

	for (int i = 0; i < BATCH; i++) {
		iov[i] = (struct iovec){buf[i], sizeof(buf[i])};
		memset(&mm[i].msg_hdr, 0, sizeof(mm[i].msg_hdr));
		mm[i].msg_hdr.msg_iov = &iov[i];
		mm[i].msg_hdr.msg_iovlen = 1;
		mm[i].msg_hdr.msg_control = ctl[i];
		mm[i].msg_hdr.msg_controllen = sizeof(ctl[i]);
	}
	n = recvmmsg(r->fd, mm, BATCH, MSG_DONTWAIT, NULL);
	for (int i = 0; i < n; i++) {
		const struct in6_addr *to = NULL;

		for (struct cmsghdr *c = CMSG_FIRSTHDR(&mm[i].msg_hdr); c; c = CMSG_NXTHDR(&mm[i].msg_hdr, c))
			if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO)
				to = &((const struct in6_pktinfo *)(const void *)CMSG_DATA(c))->ipi6_addr;
		on_pba(r, buf[i], mm[i].msg_len, to, t);
	}
}

/* PBUs older than the timeout count as unanswered and leave the window. */
static void expire(struct run *r, double t)
{
	while (r->fifo_head != r->fifo_tail) {
		struct slot *s = &r->slot[r->fifo[r->fifo_head % NSEQ]];

		if (s->busy && t - s->at < r->timeout)
			break;
		if (s->busy) {
			s->busy = false;
			r->outstanding--;
			r->timeouts++;
			r->mn[s->mn].failed = true;
		}
		r->fifo_head++;
	}
}

static bool finished(const struct run *r, double t)
{
	if (stop)
		return true;
	if (r->mode == M_REFRESH)
		return t - r->t0 >= r->seconds && r->outstanding == 0;
	/* The time limit: stop sending, then give the last PBUs their timeout. */
	if (t - r->t0 >= r->seconds + r->timeout)
		return true;
	return (r->next >= r->n || t - r->t0 >= r->seconds) && r->outstanding == 0;
}

static void loop(struct run *r)
{
	double t;

	r->t0 = now_s();
	while (!finished(r, t = now_s())) {
		struct pollfd p = {r->fd, POLLIN, 0};
		bool limited = r->mode != M_REFRESH && t - r->t0 >= r->seconds;

		if (!limited)
			send_some(r, t);
		if (poll(&p, 1, r->rate > 0 || r->outstanding == 0 ? 1 : 50) > 0)
			receive_some(r, now_s());
		expire(r, now_s());
	}
	/* Time up: what is still outstanding was not answered in time. */
	r->timeouts += r->outstanding;
}

static int cmp_float(const void *a, const void *b)
{
	float x = *(const float *)a, y = *(const float *)b;

	return (x > y) - (x < y);
}

/* "lat_median_us":M,"lat_p99_us":P of the samples recorded (sorts them). */
static void print_latency(struct run *r)
{
	double med = 0, p99 = 0;

	if (r->nlat) {
		qsort(r->lat, r->nlat, sizeof(*r->lat), cmp_float);
		med = r->lat[r->nlat / 2];
		p99 = r->lat[(r->nlat * 99) / 100 < r->nlat ? (r->nlat * 99) / 100 : r->nlat - 1];
	}
	printf("\"lat_median_us\":%.1f,\"lat_p99_us\":%.1f", med, p99);
}

static void report(struct run *r, double secs)
{
	uint64_t unsent = r->mode == M_REFRESH || r->next >= r->n ? 0 : r->n - r->next;

	printf("{\"mode\":\"%s\",\"mns\":%u,\"sent\":%llu,\"acked\":%llu,\"accepted\":%llu,\"rejected\":%llu,"
	       "\"mismatch\":%llu,\"timeouts\":%llu,\"late\":%llu,\"undecodable\":%llu,\"other\":%llu,"
	       "\"heartbeats\":%llu,\"unsent\":%llu,",
	       mode_name[r->mode], r->n, (unsigned long long)r->sent, (unsigned long long)r->acked,
	       (unsigned long long)r->accepted, (unsigned long long)r->rejected,
	       (unsigned long long)r->mismatch, (unsigned long long)r->timeouts, (unsigned long long)r->late,
	       (unsigned long long)r->undecodable, (unsigned long long)r->other,
	       (unsigned long long)r->heartbeats, (unsigned long long)unsent);
	printf("\"statuses\":{");
	for (int s = 0, first = 1; s < 256; s++)
		if (r->status_count[s]) {
			printf("%s\"%d\":%llu", first ? "" : ",", s, (unsigned long long)r->status_count[s]);
			first = 0;
		}
	printf("}");
	if (auth.on)
		printf(",\"auth_bad\":%llu", (unsigned long long)auth.bad);
	printf(",\"seconds\":%.3f,\"rate\":%.0f,", secs, secs > 0 ? (double)r->acked / secs : 0);
	print_latency(r);
	printf(",\"pbu_bytes\":%u,\"pba_bytes\":%u}\n", r->pbu_bytes, r->pba_bytes);
	fflush(stdout);
}

static int run_pbu(enum mode mode, int argc, char **argv)
{
	static struct run r;
	const char *out = arg_str(argc, argv, "--hnp-out");
	double secs;
	bool ok;

	r.mode = mode;
	r.window = (uint32_t)arg_num(argc, argv, "--window", 32);
	r.rate = arg_num(argc, argv, "--rate", 0);
	r.seconds = arg_num(argc, argv, "--seconds", mode == M_REFRESH ? 3 : 600);
	r.timeout = arg_num(argc, argv, "--timeout", 5);
	r.lifetime = (uint32_t)arg_num(argc, argv, "--lifetime", 600);
	r.hi = (uint32_t)arg_num(argc, argv, "--hi",
				 mode == M_REGISTER  ? DMM_HI_NEW_IF
				 : mode == M_HANDOFF ? DMM_HI_BETWEEN_MAGS
						     : DMM_HI_NO_CHANGE);
	if (r.window < 1 || r.window > MAX_WINDOW || r.timeout <= 0 || r.hi < 1 || r.hi > 5)
		usage_exit("bad --window (1..4096), --timeout or --hi (1..5)");
	if (arg_str(argc, argv, "--auth"))
		auth_setup(arg_str(argc, argv, "--auth"));
	setup_mns(&r, argc, argv);
	if (mode == M_REFRESH && r.window > r.n)
		r.window = r.n; /* one PBU per MN at a time */
	open_socket(&r, argc, argv);
	if (!(r.lat = malloc(MAX_SAMPLES * sizeof(*r.lat))))
		usage_exit("out of memory");
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	loop(&r);
	secs = now_s() - r.t0;
	report(&r, secs);
	if (out)
		write_hnp(out, &r);
	ok = r.sent && r.accepted == r.sent && r.timeouts == 0 && r.mismatch == 0;
	return ok && (mode == M_REFRESH || r.next >= r.n) ? 0 : 1;
}

/* ---- the baseline: a UDP echo of the same sizes ---- */

static int open_udp(const char *to, int port, struct sockaddr_in6 *sa)
{
	int fd = socket(AF_INET6, SOCK_DGRAM, 0);

	memset(sa, 0, sizeof(*sa));
	sa->sin6_family = AF_INET6;
	sa->sin6_port = htons((uint16_t)port);
	if (fd < 0 || (to && inet_pton(AF_INET6, to, &sa->sin6_addr) != 1))
		usage_exit("bad address or socket");
	return fd;
}

static int run_echo_server(int argc, char **argv)
{
	struct sockaddr_in6 sa, from;
	int fd = open_udp(NULL, (int)arg_num(argc, argv, "--port", 5437), &sa);
	uint8_t buf[2048];

	sa.sin6_addr = in6addr_any;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror("mh-load: bind");
		return 2;
	}
	for (;;) {
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);

		if (n < 0 && errno != EINTR)
			return 1;
		/* The reply has the size the client asks for in the first two octets. */
		if (n >= 2) {
			size_t r = (size_t)buf[0] << 8 | buf[1];

			sendto(fd, buf, r <= sizeof(buf) ? r : (size_t)n, 0, (struct sockaddr *)&from, fl);
		}
	}
}

static int run_echo(int argc, char **argv)
{
	struct sockaddr_in6 sa;
	int fd = open_udp(arg_str(argc, argv, "--to"), (int)arg_num(argc, argv, "--port", 5437), &sa);
	int size = (int)arg_num(argc, argv, "--size", 80), reply = (int)arg_num(argc, argv, "--reply", 80);
	int window = (int)arg_num(argc, argv, "--window", 32);
	double secs = arg_num(argc, argv, "--seconds", 3), t0, t, last = 0;
	uint8_t buf[2048] = {0};
	uint64_t sent = 0, acked = 0;
	int outstanding = 0;
	struct run *lr = calloc(1, sizeof(*lr));

	if (size < 2 + (int)sizeof(double) || size > 2048 || reply < 2 + (int)sizeof(double) ||
	    reply > 2048 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || !lr ||
	    !(lr->lat = malloc(MAX_SAMPLES * sizeof(*lr->lat))))
		return 2;
	buf[0] = (uint8_t)(reply >> 8);
	buf[1] = (uint8_t)reply;
	t0 = now_s();
	while ((t = now_s()) - t0 < secs) {
		struct pollfd p = {fd, POLLIN, 0};

		/* The send time travels in the request and comes back in the reply: the round trip of each. */
		while (outstanding < window) {
			double ts = now_s();

			memcpy(buf + 2, &ts, sizeof(ts));
			if (send(fd, buf, (size_t)size, 0) < 0)
				break;
			outstanding++;
			sent++;
		}
		if (poll(&p, 1, 100) > 0) {
			uint8_t r[2048];
			double ts, now = now_s();

			while (recv(fd, r, sizeof(r), MSG_DONTWAIT) >= 2 + (ssize_t)sizeof(ts)) {
				memcpy(&ts, r + 2, sizeof(ts));
				record(lr, now - ts);
				outstanding--;
				acked++;
				last = t;
			}
		}
		if (outstanding && t - last > 1.0) {
			outstanding = 0; /* losses: refill the window */
			last = t;
		}
	}
	t = now_s() - t0;
	printf("{\"sent\":%llu,\"acked\":%llu,\"seconds\":%.3f,\"rate\":%.0f,", (unsigned long long)sent,
	       (unsigned long long)acked, t, (double)acked / t);
	print_latency(lr);
	printf("}\n");
	return 0;
}

/* ---- forwarding probes: what a MAG receives through the tunnel ---- */

/* The outer destination of a received packet (IPV6_PKTINFO), as text. */
static void pktinfo_dst(struct msghdr *mh, char *out, size_t cap)
{
	snprintf(out, cap, "?");
	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c))
		if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO)
			inet_ntop(AF_INET6,
				  &((const struct in6_pktinfo *)(const void *)CMSG_DATA(c))->ipi6_addr, out,
				  (socklen_t)cap);
}

/*
 * What a MAG receives through the tunnel: print "INNER-DST OUTER-DST
 * OUTER-SRC" for each IPv6-in-IPv6 packet (RFC 2473) reaching this host.
 */
static int run_catch(int argc, char **argv)
{
	int fd = socket(AF_INET6, SOCK_RAW, IPPROTO_IPV6), one = 1;
	double t0 = now_s(), secs = arg_num(argc, argv, "--seconds", 10);
	uint8_t buf[2048];
	char ctl[CMSG_SPACE(sizeof(struct in6_pktinfo))];

	if (fd < 0 || setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one)) < 0) {
		perror("mh-load: raw socket (protocol 41)");
		return 2;
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	printf("ready\n");
	fflush(stdout);
	while (!stop && now_s() - t0 < secs) {
		struct pollfd p = {fd, POLLIN, 0};
		struct sockaddr_in6 from;
		struct iovec iov = {buf, sizeof(buf)};
		struct msghdr mh = {&from, sizeof(from), &iov, 1, ctl, sizeof(ctl), 0};
		char in[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN], src[INET6_ADDRSTRLEN];
		ssize_t n;

		if (poll(&p, 1, 100) <= 0)
			continue;
		n = recvmsg(fd, &mh, MSG_DONTWAIT);
		/* The payload is the inner IPv6 header: destination at octet 24. */
		if (n < 40 || buf[0] >> 4 != 6)
			continue;
		inet_ntop(AF_INET6, buf + 24, in, sizeof(in));
		inet_ntop(AF_INET6, &from.sin6_addr, src, sizeof(src));
		pktinfo_dst(&mh, dst, sizeof(dst));
		printf("%s %s %s\n", in, dst, src);
		fflush(stdout);
	}
	return 0;
}

static int run_probe(int argc, char **argv)
{
	int fd = socket(AF_INET6, SOCK_DGRAM, 0), bad = 0;

	for (int i = 2; i < argc; i++) {
		struct sockaddr_in6 sa = {.sin6_family = AF_INET6, .sin6_port = htons(9)};

		if (inet_pton(AF_INET6, argv[i], &sa.sin6_addr) != 1 ||
		    sendto(fd, "dmm-probe", 9, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
			fprintf(stderr, "mh-load: probe %s: %s\n", argv[i], strerror(errno));
			bad = 1;
		}
	}
	return fd < 0 ? 2 : bad;
}

int main(int argc, char **argv)
{
	for (int m = M_REGISTER; argc >= 2 && m <= M_DEREGISTER; m++)
		if (strcmp(argv[1], mode_name[m]) == 0)
			return run_pbu((enum mode)m, argc, argv);
	if (argc >= 2 && strcmp(argv[1], "echo-server") == 0)
		return run_echo_server(argc, argv);
	if (argc >= 2 && strcmp(argv[1], "echo") == 0)
		return run_echo(argc, argv);
	if (argc >= 2 && strcmp(argv[1], "catch") == 0)
		return run_catch(argc, argv);
	if (argc >= 2 && strcmp(argv[1], "probe") == 0)
		return run_probe(argc, argv);
	fprintf(stderr,
		"usage: mh-load register|refresh|handoff|deregister --to LMA [--transport udp|ip6] [--port "
		"P]\n"
		"         [--mns N] [--mn-base I] [--mags K] [--mag-base ADDR] [--window W] [--rate R]\n"
		"         [--seconds S] [--timeout T] [--lifetime L] [--hi V] [--hnp-in F] [--hnp-out F]\n"
		"         [--auth SPI:hmac-sha1-96|hmac-sha256-128:KEYFILE]\n"
		"       mh-load echo-server [--port P]\n"
		"       mh-load echo --to ADDR [--port P] [--size B] [--reply B] [--seconds S] [--window W]\n"
		"       mh-load catch [--seconds S]\n"
		"       mh-load probe ADDR...\n");
	return 2;
}
