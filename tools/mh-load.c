/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * mh-load: PBU -> PBA transactions per second against one dmmd, beside a
 * UDP echo of the same message sizes measured the same way, in the same
 * run (bench/dmmd-rate.sh runs both; these machines are shared, so only
 * the ratio means much).
 *
 *   mh-load pbu  --to ADDR [--port 5436] [--mns N] [--seconds S] [--window W] [--again 1]
 *   mh-load echo-server [--port P]
 *   mh-load echo --to ADDR [--port P] [--size B] [--reply B] [--seconds S] [--window W]
 *
 * pbu sends Proxy Binding Updates over UDP (RFC 5844 §4) for N MN-IDs
 * (EUI-48), W outstanding at a time, each with a fresh Timestamp
 * (RFC 5213 §5.5), and counts the PBAs that match a PBU by sequence
 * number. The first round registers the MNs (Handoff Indicator 1); the
 * rest, and every PBU with --again 1, are re-registrations (HI 5) that
 * extend the lifetime. Prints JSON: {"sent", "acked", "accepted", "seconds", "rate"}.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "dmm/err.h"
#include "dmm/mh.h"

#define MAX_WINDOW 4096

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static uint64_t wall_ts(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ((uint64_t)ts.tv_sec & 0xffffffffffffull) << 16 | (uint64_t)ts.tv_nsec * 65536u / 1000000000u;
}

static int open_udp(const char *to, int port, struct sockaddr_in6 *sa)
{
	int fd = socket(AF_INET6, SOCK_DGRAM, 0);

	memset(sa, 0, sizeof(*sa));
	sa->sin6_family = AF_INET6;
	sa->sin6_port = htons((uint16_t)port);
	if (fd < 0 || (to && inet_pton(AF_INET6, to, &sa->sin6_addr) != 1)) {
		fprintf(stderr, "mh-load: bad address or socket: %s\n", to ? to : "");
		exit(2);
	}
	return fd;
}

static int build_pbu(uint8_t *buf, size_t cap, uint32_t mn, uint16_t seq, bool again)
{
	static struct dmm_mh_msg m;
	struct dmm_mh_opt *o;

	dmm_mh_init(&m, DMM_MH_BU);
	m.u.bu.seq = seq;
	m.u.bu.flags = DMM_BU_A | DMM_BU_P;
	m.u.bu.lifetime = dmm_lifetime_units(600);
	o = dmm_mh_add_opt(&m, DMM_OPT_MNID);
	o->u.mnid.subtype = DMM_MNID_EUI48;
	o->u.mnid.id.len = 6;
	memcpy(o->u.mnid.id.b, "\x02\x10\x00\x00\x00\x00", 6);
	o->u.mnid.id.b[3] = (uint8_t)(mn >> 16);
	o->u.mnid.id.b[4] = (uint8_t)(mn >> 8);
	o->u.mnid.id.b[5] = (uint8_t)mn;
	dmm_mh_add_opt(&m, DMM_OPT_HNP); /* ::/0, "allocate" (RFC 5213 §5.3.2) */
	/* RFC 5213 §8.4: a new attachment first, then re-registrations (no change). */
	dmm_mh_add_opt(&m, DMM_OPT_HI)->u.hi.value = again ? DMM_HI_NO_CHANGE : DMM_HI_NEW_IF;
	dmm_mh_add_opt(&m, DMM_OPT_ATT)->u.att.value = DMM_ATT_8023;
	o = dmm_mh_add_opt(&m, DMM_OPT_TIMESTAMP);
	{
		uint64_t t = wall_ts();

		o->u.timestamp.seconds = t >> 16;
		o->u.timestamp.fraction = (uint16_t)t;
	}
	return dmm_mh_encode(buf, cap, &m);
}

static int arg_int(int argc, char **argv, const char *name, int def)
{
	for (int i = 2; i + 1 < argc; i++)
		if (strcmp(argv[i], name) == 0)
			return atoi(argv[i + 1]);
	return def;
}

static const char *arg_str(int argc, char **argv, const char *name)
{
	for (int i = 2; i + 1 < argc; i++)
		if (strcmp(argv[i], name) == 0)
			return argv[i + 1];
	return NULL;
}

static int run_pbu(int argc, char **argv)
{
	struct sockaddr_in6 sa;
	int fd = open_udp(arg_str(argc, argv, "--to"), arg_int(argc, argv, "--port", DMM_MH_UDP_PORT), &sa);
	int mns = arg_int(argc, argv, "--mns", 1000), window = arg_int(argc, argv, "--window", 32);
	double secs = arg_int(argc, argv, "--seconds", 3), t0, t;
	static struct dmm_mh_msg pba;
	uint8_t buf[512];
	uint64_t sent = 0, acked = 0, accepted = 0, timeouts = 0;
	uint16_t seq = 1;
	static uint32_t out_mn[65536];
	static double out_at[65536];
	static bool out_busy[65536];
	uint32_t next_mn = 0, outstanding = 0;
	bool again = arg_int(argc, argv, "--again", 0) != 0;

	if (window < 1 || window > MAX_WINDOW || mns < 1) {
		fprintf(stderr, "mh-load: bad --window or --mns\n");
		return 2;
	}
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror("mh-load: connect");
		return 2;
	}
	t0 = now_s();
	while ((t = now_s()) - t0 < secs) {
		struct pollfd p = {fd, POLLIN, 0};

		while (outstanding < (uint32_t)window) {
			int n = build_pbu(buf, sizeof(buf), next_mn, seq, again || sent >= (uint64_t)mns);

			if (n < 0 || send(fd, buf, (size_t)n, 0) < 0)
				break;
			out_mn[seq] = next_mn;
			out_at[seq] = t;
			out_busy[seq] = true;
			seq = (uint16_t)(seq + 1) ? (uint16_t)(seq + 1) : 1;
			next_mn = (next_mn + 1) % (uint32_t)mns;
			outstanding++;
			sent++;
		}
		if (poll(&p, 1, 100) > 0) {
			ssize_t n;

			while ((n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0) {
				if (dmm_mh_decode(&pba, buf, (size_t)n) < 0 || pba.type != DMM_MH_BA ||
				    !out_busy[pba.u.ba.seq])
					continue;
				out_busy[pba.u.ba.seq] = false;
				outstanding--;
				acked++;
				accepted += pba.u.ba.status < 128;
			}
		}
		/* A lost message must not stall the window. */
		if (outstanding) {
			for (uint32_t s = 1; s < 65536; s++) {
				if (out_busy[s] && t - out_at[s] > 1.0) {
					out_busy[s] = false;
					outstanding--;
					timeouts++;
				}
			}
		}
	}
	t = now_s() - t0;
	printf("{\"sent\":%llu,\"acked\":%llu,\"accepted\":%llu,\"timeouts\":%llu,\"seconds\":%.3f,\"rate\":%"
	       ".0f}\n",
	       (unsigned long long)sent, (unsigned long long)acked, (unsigned long long)accepted,
	       (unsigned long long)timeouts, t, (double)acked / t);
	(void)out_mn;
	return 0;
}

static int run_echo_server(int argc, char **argv)
{
	struct sockaddr_in6 sa, from;
	int fd = open_udp(NULL, arg_int(argc, argv, "--port", 5437), &sa);
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
	int fd = open_udp(arg_str(argc, argv, "--to"), arg_int(argc, argv, "--port", 5437), &sa);
	int size = arg_int(argc, argv, "--size", 80), reply = arg_int(argc, argv, "--reply", 80);
	int window = arg_int(argc, argv, "--window", 32);
	double secs = arg_int(argc, argv, "--seconds", 3), t0, t, last = 0;
	uint8_t buf[2048] = {0};
	uint64_t sent = 0, acked = 0;
	int outstanding = 0;

	if (size < 2 || size > 2048 || reply < 2 || reply > 2048 ||
	    connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return 2;
	buf[0] = (uint8_t)(reply >> 8);
	buf[1] = (uint8_t)reply;
	t0 = now_s();
	while ((t = now_s()) - t0 < secs) {
		struct pollfd p = {fd, POLLIN, 0};

		while (outstanding < window && send(fd, buf, (size_t)size, 0) >= 0) {
			outstanding++;
			sent++;
		}
		if (poll(&p, 1, 100) > 0) {
			uint8_t r[2048];

			while (recv(fd, r, sizeof(r), MSG_DONTWAIT) > 0) {
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
	printf("{\"sent\":%llu,\"acked\":%llu,\"seconds\":%.3f,\"rate\":%.0f}\n", (unsigned long long)sent,
	       (unsigned long long)acked, t, (double)acked / t);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "pbu") == 0)
		return run_pbu(argc, argv);
	if (argc >= 2 && strcmp(argv[1], "echo-server") == 0)
		return run_echo_server(argc, argv);
	if (argc >= 2 && strcmp(argv[1], "echo") == 0)
		return run_echo(argc, argv);
	fprintf(stderr, "usage: mh-load pbu --to ADDR [--port 5436] [--mns N] [--seconds S] [--window W]\n"
			"       mh-load echo-server [--port P]\n"
			"       mh-load echo --to ADDR [--port P] [--size B] [--reply B] [--seconds S] "
			"[--window W]\n");
	return 2;
}
