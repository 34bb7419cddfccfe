/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * udp-blast: a small-packet load for the data-plane benchmark
 * (bench/dp.sh). IPv6 UDP only; each mode prints one line of
 * "key=value" figures on stdout.
 *
 *   udp-blast send --to ADDR --port P [--flows N] [--seconds S] [--size B] [--batch K]
 *       N flows (source ports 40000 .. 40000+N-1, one socket each), each
 *       sendmmsg() call K datagrams of B payload bytes (default 64) on one
 *       flow, flows in turn, unpaced, for S seconds. A datagram the socket
 *       refuses (ENOBUFS, EAGAIN) is not counted as sent.
 *       Prints: sent=N seconds=S pps=R
 *   udp-blast recv --port P [--seconds S] [--idle MS]
 *       count the datagrams arriving on port P (recvmmsg, 64 per call)
 *       from the first one until S seconds later, or until none came for
 *       MS milliseconds (default 500) after the first.
 *       Prints: received=N seconds=S pps=R (the time from the first
 *       datagram to the last).
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

#define MAX_FLOWS 1024
#define MAX_BATCH 256
#define MAX_SIZE 1400
#define SPORT_BASE 40000

struct opts {
	const char *to;
	unsigned port, flows, size, batch, idle_ms;
	double seconds;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int usage(void)
{
	fprintf(stderr, "usage: udp-blast send --to ADDR --port P [--flows N] [--seconds S] [--size B] "
			"[--batch K]\n"
			"       udp-blast recv --port P [--seconds S] [--idle MS]\n");
	return 2;
}

static int parse(int argc, char **argv, struct opts *o)
{
	*o = (struct opts){.flows = 1, .size = 64, .batch = 64, .seconds = 3, .idle_ms = 500};
	for (int i = 2; i < argc; i += 2) {
		const char *k = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!v)
			return -1;
		if (!strcmp(k, "--to"))
			o->to = v;
		else if (!strcmp(k, "--port"))
			o->port = (unsigned)atoi(v);
		else if (!strcmp(k, "--flows"))
			o->flows = (unsigned)atoi(v);
		else if (!strcmp(k, "--size"))
			o->size = (unsigned)atoi(v);
		else if (!strcmp(k, "--batch"))
			o->batch = (unsigned)atoi(v);
		else if (!strcmp(k, "--idle"))
			o->idle_ms = (unsigned)atoi(v);
		else if (!strcmp(k, "--seconds"))
			o->seconds = atof(v);
		else
			return -1;
	}
	if (!o->port || o->port > 65535 || !o->flows || o->flows > MAX_FLOWS || o->size > MAX_SIZE ||
	    !o->batch || o->batch > MAX_BATCH || o->seconds <= 0)
		return -1;
	return 0;
}

/* One connected UDP socket per flow, source port SPORT_BASE + flow. 0 or -1 (message printed). */
static int open_flows(const struct opts *o, int *fd)
{
	struct sockaddr_in6 dst = {.sin6_family = AF_INET6, .sin6_port = htons((uint16_t)o->port)};

	if (inet_pton(AF_INET6, o->to, &dst.sin6_addr) != 1) {
		fprintf(stderr, "udp-blast: bad address %s\n", o->to);
		return -1;
	}
	for (unsigned f = 0; f < o->flows; f++) {
		struct sockaddr_in6 src = {.sin6_family = AF_INET6, .sin6_port = htons((uint16_t)(SPORT_BASE + f))};

		fd[f] = socket(AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK, 0);
		if (fd[f] < 0 || bind(fd[f], (struct sockaddr *)&src, sizeof(src)) < 0 ||
		    connect(fd[f], (struct sockaddr *)&dst, sizeof(dst)) < 0) {
			fprintf(stderr, "udp-blast: flow %u: %s\n", f, strerror(errno));
			return -1;
		}
	}
	return 0;
}

static int do_send(const struct opts *o)
{
	static int fd[MAX_FLOWS];
	static uint8_t payload[MAX_SIZE];
	static struct mmsghdr msg[MAX_BATCH];
	static struct iovec iov = {.iov_base = payload};
	uint64_t sent = 0;
	double t0, t;
	unsigned f = 0;

	if (open_flows(o, fd) < 0)
		return 1;
	iov.iov_len = o->size;
	for (unsigned k = 0; k < o->batch; k++) {
		msg[k].msg_hdr.msg_iov = &iov;
		msg[k].msg_hdr.msg_iovlen = 1;
	}
	t0 = now_s();
	do {
		int n = sendmmsg(fd[f], msg, o->batch, 0);

		if (n > 0)
			sent += (uint64_t)n;
		else if (errno != EAGAIN && errno != ENOBUFS && errno != ECONNREFUSED && errno != EINTR) {
			fprintf(stderr, "udp-blast: sendmmsg: %s\n", strerror(errno));
			return 1;
		}
		f = (f + 1) % o->flows;
		t = now_s();
	} while (t - t0 < o->seconds);
	printf("sent=%llu seconds=%.3f pps=%.0f\n", (unsigned long long)sent, t - t0, (double)sent / (t - t0));
	return 0;
}

static int do_recv(const struct opts *o)
{
	static uint8_t buf[MAX_BATCH][2048];
	static struct mmsghdr msg[MAX_BATCH];
	static struct iovec iov[MAX_BATCH];
	struct sockaddr_in6 sa = {.sin6_family = AF_INET6, .sin6_port = htons((uint16_t)o->port)};
	int fd = socket(AF_INET6, SOCK_DGRAM, 0), big = 32 << 20;
	uint64_t got = 0;
	double first = 0, last = 0;

	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		fprintf(stderr, "udp-blast: port %u: %s\n", o->port, strerror(errno));
		return 1;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	for (unsigned k = 0; k < MAX_BATCH; k++) {
		iov[k] = (struct iovec){.iov_base = buf[k], .iov_len = sizeof(buf[k])};
		msg[k].msg_hdr.msg_iov = &iov[k];
		msg[k].msg_hdr.msg_iovlen = 1;
	}
	printf("ready\n");
	fflush(stdout);
	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		int n;

		if (poll(&p, 1, got ? (int)o->idle_ms : 30000) <= 0)
			break;
		n = recvmmsg(fd, msg, MAX_BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			continue;
		last = now_s();
		if (!got)
			first = last;
		got += (uint64_t)n;
		if (last - first >= o->seconds)
			break;
	}
	printf("received=%llu seconds=%.3f pps=%.0f\n", (unsigned long long)got, last - first,
	       last > first ? (double)got / (last - first) : 0.0);
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o;

	if (argc < 2 || parse(argc, argv, &o) < 0)
		return usage();
	if (!strcmp(argv[1], "send") && o.to)
		return do_send(&o);
	if (!strcmp(argv[1], "recv"))
		return do_recv(&o);
	return usage();
}
