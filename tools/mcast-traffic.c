/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A multicast group stream for the namespace labs (tests/lab/mcast.sh):
 *
 *   mcast-traffic send --group G --port P --pps N --duration S [--dev IF] [--hops H] [--size B]
 *       UDP datagrams to [G]:P, numbered from 0 (64-bit big endian first),
 *       N a second, out of IF; prints {"sent": n}.
 *   mcast-traffic recv --group G --port P --duration S [--dev IF]
 *       joins G on IF with IPV6_JOIN_GROUP (what any unmodified host
 *       application does) and counts for S seconds; prints
 *       {"received", "unique", "duplicates", "first", "last", "missing",
 *        "gaps": [[first missing number, how many, ms since start], ...]}.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_SEQ (1u << 20)

struct opts {
	struct in6_addr group;
	unsigned port, pps, hops, size, ifindex;
	double duration;
};

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int parse(int argc, char **argv, struct opts *o)
{
	bool group = false;

	*o = (struct opts){.hops = 16, .size = 64, .duration = 10};
	for (int i = 2; i + 1 < argc; i += 2) {
		const char *k = argv[i], *v = argv[i + 1];

		if (strcmp(k, "--group") == 0)
			group = inet_pton(AF_INET6, v, &o->group) == 1;
		else if (strcmp(k, "--port") == 0)
			o->port = (unsigned)atoi(v);
		else if (strcmp(k, "--pps") == 0)
			o->pps = (unsigned)atoi(v);
		else if (strcmp(k, "--hops") == 0)
			o->hops = (unsigned)atoi(v);
		else if (strcmp(k, "--size") == 0)
			o->size = (unsigned)atoi(v);
		else if (strcmp(k, "--duration") == 0)
			o->duration = atof(v);
		else if (strcmp(k, "--dev") == 0 && !(o->ifindex = if_nametoindex(v)))
			return fprintf(stderr, "mcast-traffic: no interface %s\n", v), -1;
	}
	if (!group || !o->port || o->port > 65535 || o->size < 8 || o->size > 1400)
		return fprintf(stderr, "mcast-traffic: needs --group ADDR --port P (size 8..1400)\n"), -1;
	return 0;
}

static int do_send(const struct opts *o)
{
	struct sockaddr_in6 to = {.sin6_family = AF_INET6, .sin6_port = htons((uint16_t)o->port)};
	int fd = socket(AF_INET6, SOCK_DGRAM, 0), hops = (int)o->hops;
	uint8_t buf[1400] = {0};
	uint64_t n = 0, total = (uint64_t)(o->duration * o->pps);
	struct timespec next;

	if (fd < 0 || !o->pps)
		return fprintf(stderr, "mcast-traffic: send needs --pps N\n"), 1;
	to.sin6_addr = o->group;
	setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &hops, sizeof(hops));
	if (o->ifindex)
		setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, &o->ifindex, sizeof(o->ifindex));
	clock_gettime(CLOCK_MONOTONIC, &next);
	for (; n < total; n++) {
		for (int b = 0; b < 8; b++)
			buf[b] = (uint8_t)(n >> (56 - 8 * b));
		if (sendto(fd, buf, o->size, 0, (struct sockaddr *)&to, sizeof(to)) < 0)
			fprintf(stderr, "mcast-traffic: send %llu: %s\n", (unsigned long long)n,
				strerror(errno));
		next.tv_nsec += 1000000000L / (long)o->pps;
		while (next.tv_nsec >= 1000000000L) {
			next.tv_nsec -= 1000000000L;
			next.tv_sec++;
		}
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
	}
	printf("{\"sent\": %llu}\n", (unsigned long long)n);
	return 0;
}

static void report(const uint8_t *seen, const double *at, uint64_t rx, uint64_t dup, int64_t first,
		   int64_t last, double t0)
{
	uint64_t unique = 0, missing = 0;
	const char *sep = "";

	printf("{\"received\": %llu, \"duplicates\": %llu, \"first\": %lld, \"last\": %lld, \"gaps\": [",
	       (unsigned long long)rx, (unsigned long long)dup, (long long)first, (long long)last);
	for (int64_t s = first; first >= 0 && s <= last; s++) {
		int64_t e = s;

		if (seen[s]) {
			unique++;
			continue;
		}
		while (e + 1 <= last && !seen[e + 1])
			e++;
		printf("%s[%lld, %lld, %.0f]", sep, (long long)s, (long long)(e - s + 1),
		       (at[s - 1] - t0) * 1e3);
		sep = ", ";
		missing += (uint64_t)(e - s + 1);
		s = e;
	}
	printf("], \"unique\": %llu, \"missing\": %llu}\n", (unsigned long long)unique,
	       (unsigned long long)missing);
}

static int do_recv(const struct opts *o)
{
	struct sockaddr_in6 me = {.sin6_family = AF_INET6, .sin6_port = htons((uint16_t)o->port)};
	struct ipv6_mreq mr = {.ipv6mr_multiaddr = o->group, .ipv6mr_interface = o->ifindex};
	int fd = socket(AF_INET6, SOCK_DGRAM, 0), one = 1;
	uint8_t *seen = calloc(MAX_SEQ, 1), buf[2048];
	double *at = calloc(MAX_SEQ, sizeof(double)), t0 = now_s(), end = t0 + o->duration;
	uint64_t rx = 0, dup = 0;
	int64_t first = -1, last = -1;

	if (fd < 0 || !seen || !at)
		return 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&me, sizeof(me)) < 0 ||
	    setsockopt(fd, IPPROTO_IPV6, IPV6_JOIN_GROUP, &mr, sizeof(mr)) < 0)
		return fprintf(stderr, "mcast-traffic: bind or join: %s\n", strerror(errno)), 1;
	fprintf(stderr, "mcast-traffic: joined\n");
	for (double t; (t = now_s()) < end;) {
		struct pollfd p = {fd, POLLIN, 0};
		ssize_t n;
		uint64_t s = 0;

		if (poll(&p, 1, (int)((end - t) * 1000) + 1) <= 0)
			continue;
		n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 8)
			continue;
		for (int b = 0; b < 8; b++)
			s = s << 8 | buf[b];
		if (s >= MAX_SEQ)
			continue;
		rx++;
		if (seen[s]++) {
			dup++;
			continue;
		}
		at[s] = now_s();
		if (first < 0 || (int64_t)s < first)
			first = (int64_t)s;
		if ((int64_t)s > last)
			last = (int64_t)s;
	}
	report(seen, at, rx, dup, first, last, t0);
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2 || parse(argc, argv, &o) < 0) {
		fprintf(stderr,
			"usage: mcast-traffic send --group G --port P --pps N --duration S [--dev IF] "
			"[--hops H] [--size B]\n"
			"       mcast-traffic recv --group G --port P --duration S [--dev IF]\n");
		return 2;
	}
	if (strcmp(argv[1], "send") == 0)
		return do_send(&o);
	if (strcmp(argv[1], "recv") == 0)
		return do_recv(&o);
	fprintf(stderr, "mcast-traffic: unknown mode %s\n", argv[1]);
	return 2;
}
