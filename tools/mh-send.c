/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * mh-send: send one Mobility Header, given as hex, over a raw IPv6 socket
 * (protocol 135, RFC 6275 §6.1; the kernel fills the checksum,
 * IPV6_CHECKSUM 4) from a given source address to a destination, and print
 * the hex of the first Binding Acknowledgement that comes back with the
 * same sequence number. For interoperability tests: the bytes go out
 * exactly as given, whatever their layout.
 *
 *   mh-send [--now] [--timeout MS] [--auth SPI:ALG:KEYFILE [--mesgid now|HEX]] [--print] SRC DST HEX
 *
 * --now rewrites the content of a Timestamp option (type 27, RFC 5213
 * §8.8: 48-bit seconds since 1970 and 1/65536 fractions) with the current
 * time, so a fixed vector passes the LMA's timestamp window (§5.5).
 * --auth signs the message as dmmd does (RFC 4285 §5.1, daemon/auth.c):
 * an MN-HA Authentication option with SPI, ALG (hmac-sha1-96 or
 * hmac-sha256-128) and the key in hex in KEYFILE, over "address of the
 * requester | address of the answerer | MH Data" (SRC and DST in that
 * order for a request, the other way for an answer); --mesgid puts a
 * Replay Protection option (RFC 4285 §6) before it with the current NTP
 * time or the given 64-bit value. --print writes the message as it would
 * be sent, in hex, and exits without a socket (for golden vectors).
 * Exit 0 with the reply's hex on stdout, 1 when no reply came, 2 on usage
 * or socket errors. Needs CAP_NET_RAW (not with --print).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../daemon/auth.h"
#include "dmm/err.h"

#define MH_MAX 2048

static int unhex(const char *s, uint8_t *out, size_t cap)
{
	size_t n = 0;
	int hi = -1;

	for (; *s; s++) {
		int v;

		if (*s >= '0' && *s <= '9')
			v = *s - '0';
		else if (*s >= 'a' && *s <= 'f')
			v = *s - 'a' + 10;
		else if (*s >= 'A' && *s <= 'F')
			v = *s - 'A' + 10;
		else if (*s == ' ' || *s == ':')
			continue;
		else
			return -1;
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

/* Walk the options after the fixed part of a BU (12 octets) and stamp every Timestamp option. */
static void stamp_now(uint8_t *b, size_t len)
{
	struct timespec ts;
	uint64_t secs;
	uint16_t frac;

	clock_gettime(CLOCK_REALTIME, &ts);
	secs = (uint64_t)ts.tv_sec;
	frac = (uint16_t)(((uint64_t)ts.tv_nsec << 16) / 1000000000u);
	for (size_t o = 12; o + 1 < len;) {
		if (b[o] == 0) { /* Pad1 */
			o++;
			continue;
		}
		if (b[o] == 27 && b[o + 1] == 8 && o + 10 <= len) {
			for (int i = 0; i < 6; i++)
				b[o + 2 + i] = (uint8_t)(secs >> (8 * (5 - i)));
			b[o + 8] = (uint8_t)(frac >> 8);
			b[o + 9] = (uint8_t)frac;
		}
		o += 2u + b[o + 1];
	}
}

static int wait_reply(int fd, const uint8_t *sent, int timeout_ms)
{
	uint8_t r[MH_MAX];
	struct pollfd p = {.fd = fd, .events = POLLIN};
	struct timespec start, now;

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		long left;
		ssize_t n;

		clock_gettime(CLOCK_MONOTONIC, &now);
		left = timeout_ms -
		       ((now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000);
		if (left <= 0 || poll(&p, 1, (int)left) <= 0)
			return 1;
		n = recv(fd, r, sizeof(r), 0);
		/* A BA (type 6) whose Sequence # (octets 8-9) is the BU's (octets 6-7). */
		if (n < 12 || r[2] != 6 || r[8] != sent[6] || r[9] != sent[7])
			continue;
		for (ssize_t i = 0; i < n; i++)
			printf("%02x", r[i]);
		printf("\n");
		return 0;
	}
}

/* --auth SPI:ALG:KEYFILE into k; 0, or -1 with a message on stderr. */
static int parse_auth(const char *arg, struct dmmd_sa_key *k)
{
	char alg[32], path[256], text[256];
	FILE *f;
	int n;

	memset(k, 0, sizeof(*k));
	if (sscanf(arg, "%u:%31[^:]:%255s", &k->spi, alg, path) != 3) {
		fprintf(stderr, "mh-send: --auth wants SPI:ALG:KEYFILE\n");
		return -1;
	}
	k->alg = strcmp(alg, "hmac-sha256-128") == 0 ? DMMD_AUTH_HMAC_SHA256_128 : DMMD_AUTH_HMAC_SHA1_96;
	if (strcmp(alg, "hmac-sha256-128") != 0 && strcmp(alg, "hmac-sha1-96") != 0) {
		fprintf(stderr, "mh-send: algorithm %s is not hmac-sha1-96 or hmac-sha256-128\n", alg);
		return -1;
	}
	f = fopen(path, "r");
	n = f ? (int)fread(text, 1, sizeof(text) - 1, f) : -1;
	if (f)
		fclose(f);
	for (int i = 0; i < n; i++)
		if (text[i] == '\n' || text[i] == '\t' || text[i] == '\r')
			text[i] = ' ';
	if (n < 0 || (text[n] = 0, n = unhex(text, k->key, sizeof(k->key))) <= 0) {
		fprintf(stderr, "mh-send: %s: not a readable key in hex\n", path);
		return -1;
	}
	k->keylen = (uint8_t)n;
	return 0;
}

/* Sign b[0, *n) from src to dst with key k (and a Replay Protection option when mesgid); 0 or -1. */
static int sign(uint8_t *b, int *n, const struct dmmd_sa_key *k, const char *mesgid,
		const struct in6_addr *src, const struct in6_addr *dst)
{
	struct dmmd_auth_key *key = dmmd_auth_key_new(k);
	const struct dmm_addr *coa, *hoa;
	struct dmm_addr s, d;
	uint64_t ts = 0;
	int rc;

	memcpy(s.b, src, 16);
	memcpy(d.b, dst, 16);
	if (mesgid)
		ts = strcmp(mesgid, "now") == 0 ? dmmd_auth_ntp_now() : strtoull(mesgid, NULL, 16);
	dmmd_auth_order(b, &s, &d, &coa, &hoa);
	rc = key ? dmmd_auth_sign(key, coa, hoa, b, MH_MAX, (size_t)*n, mesgid ? &ts : NULL) : DMM_ERR_NOMEM;
	dmmd_auth_key_free(key);
	if (rc < 0) {
		fprintf(stderr, "mh-send: cannot sign: %s\n", dmm_strerror(rc));
		return -1;
	}
	*n = rc;
	return 0;
}

int main(int argc, char **argv)
{
	struct sockaddr_in6 src = {.sin6_family = AF_INET6}, dst = {.sin6_family = AF_INET6};
	uint8_t b[MH_MAX];
	int timeout = 2000, now = 0, off = 4, fd, n, a = 1, print = 0, auth = 0;
	struct dmmd_sa_key key;
	const char *mesgid = NULL;

	for (; a < argc && argv[a][0] == '-'; a++) {
		if (strcmp(argv[a], "--now") == 0)
			now = 1;
		else if (strcmp(argv[a], "--print") == 0)
			print = 1;
		else if (strcmp(argv[a], "--auth") == 0 && a + 1 < argc) {
			if (parse_auth(argv[++a], &key) < 0)
				return 2;
			auth = 1;
		} else if (strcmp(argv[a], "--mesgid") == 0 && a + 1 < argc)
			mesgid = argv[++a];
		else if (strcmp(argv[a], "--timeout") == 0 && a + 1 < argc)
			timeout = atoi(argv[++a]);
		else
			break;
	}
	if (argc - a != 3 || inet_pton(AF_INET6, argv[a], &src.sin6_addr) != 1 ||
	    inet_pton(AF_INET6, argv[a + 1], &dst.sin6_addr) != 1 ||
	    (n = unhex(argv[a + 2], b, sizeof(b))) < 12) {
		fprintf(stderr,
			"usage: mh-send [--now] [--timeout MS] [--auth SPI:ALG:KEYFILE [--mesgid now|HEX]] "
			"[--print] SRC DST HEX (a Mobility Header of 12+ octets)\n");
		return 2;
	}
	if (now)
		stamp_now(b, (size_t)n);
	b[4] = b[5] = 0; /* the kernel computes the checksum */
	if (auth && sign(b, &n, &key, mesgid, &src.sin6_addr, &dst.sin6_addr) < 0)
		return 2;
	if (print) {
		for (int i = 0; i < n; i++)
			printf("%02x", b[i]);
		printf("\n");
		return 0;
	}
	fd = socket(AF_INET6, SOCK_RAW, 135);
	if (fd < 0 || setsockopt(fd, IPPROTO_IPV6, IPV6_CHECKSUM, &off, sizeof(off)) < 0 ||
	    bind(fd, (struct sockaddr *)&src, sizeof(src)) < 0) {
		fprintf(stderr, "mh-send: socket: %s\n", strerror(errno));
		return 2;
	}
	if (sendto(fd, b, (size_t)n, 0, (struct sockaddr *)&dst, sizeof(dst)) != n) {
		fprintf(stderr, "mh-send: sendto: %s\n", strerror(errno));
		return 2;
	}
	n = wait_reply(fd, b, timeout);
	if (n)
		fprintf(stderr, "mh-send: no BA with seq %u within %d ms\n", b[6] << 8 | b[7], timeout);
	close(fd);
	return n;
}
