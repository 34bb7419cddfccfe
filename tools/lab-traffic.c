/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * lab-traffic: traffic for the namespace lab, with verdicts a script can
 * read. IPv6 sockets only; every mode prints one JSON object on stdout.
 *
 *   tcp-sink   --port P --bytes N [--timeout S]
 *       accept one connection, check that the stream is exactly the first
 *       N bytes of the pattern below; exit 0 when it is.
 *   tcp-source --to ADDR --port P --bytes N [--rate MBPS] [--timeout S]
 *       connect and send N bytes of the pattern, paced at MBPS megabit/s
 *       (0: as fast as possible), then wait for the sink to close; exit
 *       non-zero on a reset or any other error.
 *   udp-sink   --port P --duration S
 *       receive probes for S seconds after the first one; report received,
 *       lost, duplicated, and every gap between arrivals longer than
 *       --gap MS (default 5): when it began, how long it lasted, how many
 *       probes were lost in it. Each gap is one handover's interruption.
 *       The first 64 reordered probes are listed too (when, how far behind).
 *       SIGINT or SIGTERM ends the run early, with the report.
 *   udp-source --to ADDR --port P --pps N --duration S [--size B]
 *       send N probes a second for S seconds, each with its sequence
 *       number, its send time and the total that will be sent.
 *
 *   tcp-echo   --port P [--timeout S]
 *       accept one connection and send back every byte it brings, until
 *       the peer closes.
 *   tcp-ping   --to ADDR --port P --pps N --duration S [--gap MS]
 *       connect (TCP_NODELAY) and send a 16-byte record N times a second
 *       for S seconds, reading the echoes: report records sent and echoed,
 *       the median round trip, and every stall: a time longer than --gap
 *       MS (default 5) plus one sending interval between two echoes,
 *       when it began (wall clock) and how long it lasted minus that
 *       interval (the longest is "max-stall-ms"). Exit non-zero when the
 *       connection failed or not every record came back.
 *
 *   tx-csum-off IFNAME
 *       turn transmit checksum offload off on IFNAME (ethtool -K IFNAME tx
 *       off): a veth otherwise hands over TCP/UDP packets whose checksum is
 *       still to be filled in, which a host on a real NIC never sends.
 *
 *   ctl-then SOCKET LINE -- COMMAND...
 *       send LINE to dmmd's control socket, read its reply; on an error
 *       print the reply and exit 3; otherwise print the wall-clock time
 *       (the moment the reply came) and exec COMMAND at once: the lab's
 *       layer 2 acting on the network's answer (a predictive handover's
 *       HAck: the MN moves) with no process exit or fork in between.
 *
 * The TCP pattern depends only on the byte's offset, so the sink can
 * check any byte on its own: byte i = (i * 2654435761 mod 2^32) >> 24.
 * Times in the output: "t" fields are wall-clock seconds (CLOCK_REALTIME,
 * to match daemon logs), durations come from CLOCK_MONOTONIC.
 */
#include <arpa/inet.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define PROBE_MAGIC 0x444d4d50u /* "DMMP" */
#define MAX_GAPS 4096
#define MAX_REORDERS 64 /* reordered probes listed (all are counted) */

struct opts {
	const char *to;
	unsigned port;
	uint64_t bytes;
	double rate_mbps;
	double duration;
	double timeout;
	unsigned pps;
	unsigned size;
	double gap_ms;
};

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static double wall_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint8_t pattern(uint64_t i)
{
	return (uint8_t)(((uint32_t)i * 2654435761u) >> 24);
}

static void fill_pattern(uint8_t *buf, size_t n, uint64_t off)
{
	for (size_t i = 0; i < n; i++)
		buf[i] = pattern(off + i);
}

static void put_u64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static uint64_t get_u64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static int parse_addr(const char *s, unsigned port, struct sockaddr_in6 *sa)
{
	char host[128];
	const char *pct = strchr(s, '%');

	memset(sa, 0, sizeof(*sa));
	sa->sin6_family = AF_INET6;
	sa->sin6_port = htons((uint16_t)port);
	snprintf(host, sizeof(host), "%.*s", pct ? (int)(pct - s) : (int)strlen(s), s);
	if (inet_pton(AF_INET6, host, &sa->sin6_addr) != 1)
		return -1;
	if (pct)
		sa->sin6_scope_id = (uint32_t)atoi(pct + 1);
	return 0;
}

static int listen_on(int type, unsigned port)
{
	struct sockaddr_in6 sa = {
		.sin6_family = AF_INET6, .sin6_port = htons((uint16_t)port), .sin6_addr = IN6ADDR_ANY_INIT};
	int one = 1, fd = socket(AF_INET6, type | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || (type == SOCK_STREAM && listen(fd, 1) < 0)) {
		close(fd);
		return -1;
	}
	return fd;
}

static volatile sig_atomic_t stop_now;

static void on_stop(int sig)
{
	(void)sig;
	stop_now = 1;
}

/* Wait until fd is readable or ms pass; 1 ready, 0 timeout or a stop signal, -1 error. */
static int wait_in(int fd, int ms)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	int r;

	do
		r = poll(&p, 1, ms);
	while (r < 0 && errno == EINTR && !stop_now);
	return r < 0 && stop_now ? 0 : r;
}

static int tcp_sink(const struct opts *o)
{
	int lfd = listen_on(SOCK_STREAM, o->port), fd;
	uint8_t buf[65536];
	uint64_t got = 0, bad_at = UINT64_MAX, t0 = 0, t1;
	int resets = 0, err = 0;
	ssize_t n;

	if (lfd < 0) {
		printf("{\"ok\":false,\"error\":\"listen: %s\"}\n", strerror(errno));
		return 1;
	}
	if (wait_in(lfd, (int)(o->timeout * 1000)) <= 0) {
		printf("{\"bytes\":0,\"ok\":false,\"resets\":0,\"error\":\"no connection\"}\n");
		return 1;
	}
	fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	close(lfd);
	if (fd < 0) {
		printf("{\"bytes\":0,\"ok\":false,\"resets\":0,\"error\":\"accept: %s\"}\n", strerror(errno));
		return 1;
	}
	t0 = mono_ns();
	for (;;) {
		int r = wait_in(fd, (int)(o->timeout * 1000));

		if (r <= 0) {
			err = r == 0 ? ETIMEDOUT : errno;
			break;
		}
		n = recv(fd, buf, sizeof(buf), 0);
		if (n == 0)
			break;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			err = errno;
			if (errno == ECONNRESET)
				resets = 1;
			break;
		}
		for (ssize_t i = 0; i < n && bad_at == UINT64_MAX; i++)
			if (buf[i] != pattern(got + (uint64_t)i))
				bad_at = got + (uint64_t)i;
		got += (uint64_t)n;
	}
	t1 = mono_ns();
	close(fd);
	bool ok = !err && got == o->bytes && bad_at == UINT64_MAX;
	printf("{\"bytes\":%llu,\"expected\":%llu,\"ok\":%s,\"resets\":%d,\"first-mismatch\":%lld,"
	       "\"seconds\":%.3f",
	       (unsigned long long)got, (unsigned long long)o->bytes, ok ? "true" : "false", resets,
	       bad_at == UINT64_MAX ? -1LL : (long long)bad_at, (double)(t1 - t0) / 1e9);
	if (err)
		printf(",\"error\":\"%s\"", strerror(err));
	printf("}\n");
	return ok ? 0 : 1;
}

static int tcp_source(const struct opts *o)
{
	struct sockaddr_in6 sa;
	uint8_t buf[16384];
	uint64_t sent = 0, t0, deadline;
	int fd = -1, err = 0;

	if (!o->to || parse_addr(o->to, o->port, &sa) < 0) {
		fprintf(stderr, "lab-traffic: --to needs an IPv6 address\n");
		return 2;
	}
	/* The sink may still be starting: retry a refused connect for a while. */
	deadline = mono_ns() + (uint64_t)(o->timeout * 1e9);
	for (;;) {
		fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			break;
		err = errno;
		close(fd);
		fd = -1;
		if (mono_ns() > deadline ||
		    (err != ECONNREFUSED && err != ENETUNREACH && err != EADDRNOTAVAIL)) {
			printf("{\"bytes\":0,\"ok\":false,\"resets\":0,\"error\":\"connect: %s\"}\n",
			       strerror(err));
			return 1;
		}
		usleep(100000);
	}
	err = 0;
	t0 = mono_ns();
	while (sent < o->bytes) {
		size_t chunk = sizeof(buf);
		ssize_t n;

		if (o->rate_mbps > 0) {
			/* Pace: byte 'sent' is due at t0 + sent*8/rate. */
			uint64_t due = t0 + (uint64_t)((double)sent * 8.0 / (o->rate_mbps * 1e6) * 1e9);
			uint64_t now = mono_ns();

			if (due > now) {
				struct timespec ts = {(time_t)((due - now) / 1000000000u),
						      (long)((due - now) % 1000000000u)};

				nanosleep(&ts, NULL);
			}
			chunk = 4096;
		}
		if (chunk > o->bytes - sent)
			chunk = (size_t)(o->bytes - sent);
		fill_pattern(buf, chunk, sent);
		n = send(fd, buf, chunk, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			err = errno;
			break;
		}
		sent += (uint64_t)n;
	}
	if (!err) {
		/* Done sending: wait for the sink to read everything and close. */
		shutdown(fd, SHUT_WR);
		for (;;) {
			int r = wait_in(fd, (int)(o->timeout * 1000));
			ssize_t n;

			if (r <= 0) {
				err = r == 0 ? ETIMEDOUT : errno;
				break;
			}
			n = recv(fd, buf, sizeof(buf), 0);
			if (n == 0)
				break;
			if (n < 0 && errno != EINTR) {
				err = errno;
				break;
			}
		}
	}
	close(fd);
	printf("{\"bytes\":%llu,\"ok\":%s,\"resets\":%d,\"seconds\":%.3f", (unsigned long long)sent,
	       err ? "false" : "true", err == ECONNRESET || err == EPIPE ? 1 : 0,
	       (double)(mono_ns() - t0) / 1e9);
	if (err)
		printf(",\"error\":\"%s\"", strerror(err));
	printf("}\n");
	return err ? 1 : 0;
}

/* Probe: magic, seq, send time (CLOCK_MONOTONIC ns), total planned; 28 bytes + padding. */
static int udp_source(const struct opts *o)
{
	struct sockaddr_in6 sa;
	uint8_t buf[1500];
	uint64_t total = (uint64_t)((double)o->pps * o->duration), t0, errors = 0, sent = 0;
	size_t size = o->size < 28 ? 28 : o->size > sizeof(buf) ? sizeof(buf) : o->size;
	int fd;

	if (!o->to || parse_addr(o->to, o->port, &sa) < 0 || !o->pps) {
		fprintf(stderr, "lab-traffic: udp-source needs --to ADDR and --pps N\n");
		return 2;
	}
	fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		perror("socket");
		return 1;
	}
	memset(buf, 0, sizeof(buf));
	buf[0] = PROBE_MAGIC >> 24;
	buf[1] = (PROBE_MAGIC >> 16) & 0xff;
	buf[2] = (PROBE_MAGIC >> 8) & 0xff;
	buf[3] = PROBE_MAGIC & 0xff;
	put_u64(buf + 20, total);
	t0 = mono_ns();
	for (uint64_t seq = 0; seq < total; seq++) {
		uint64_t due = t0 + seq * 1000000000u / o->pps, now = mono_ns();

		if (due > now) {
			struct timespec ts = {(time_t)(due / 1000000000u), (long)(due % 1000000000u)};

			while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
				;
		}
		put_u64(buf + 4, seq);
		put_u64(buf + 12, mono_ns());
		/* A send error (no route or no source address mid-handover) is a lost probe, not the end. */
		if (sendto(fd, buf, size, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0)
			errors++;
		else
			sent++;
	}
	close(fd);
	printf("{\"planned\":%llu,\"sent\":%llu,\"send-errors\":%llu,\"seconds\":%.3f}\n",
	       (unsigned long long)total, (unsigned long long)sent, (unsigned long long)errors,
	       (double)(mono_ns() - t0) / 1e9);
	return 0;
}

struct gap {
	double t;	/* wall clock of the last arrival before the gap */
	double ms;	/* arrival gap */
	uint64_t lost;	/* sequence numbers missing across it */
	uint64_t after; /* first sequence number after it */
};

static int udp_sink(const struct opts *o)
{
	int fd = listen_on(SOCK_DGRAM, o->port);
	uint8_t buf[2048];
	uint8_t *seen = NULL;
	uint64_t total = 0, received = 0, dups = 0, reordered = 0, max_seq = 0, last_seq = 0;
	uint64_t first = 0, last = 0, deadline;
	double last_wall = 0, max_delay_ms = 0;
	struct gap *gaps = calloc(MAX_GAPS, sizeof(*gaps)), reorders[MAX_REORDERS];
	unsigned ngaps = 0, nreorders = 0;
	bool any = false;

	if (fd < 0 || !gaps) {
		printf("{\"ok\":false,\"error\":\"%s\"}\n", strerror(errno));
		return 1;
	}
	/* SIGINT/SIGTERM end the run early, with the report. */
	{
		struct sigaction sa = {.sa_handler = on_stop};

		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
	}
	/* Wait up to --timeout for the first probe, then --duration more (+1 s of slack). */
	deadline = mono_ns() + (uint64_t)((o->timeout + o->duration) * 1e9);
	for (;;) {
		uint64_t now = mono_ns();
		ssize_t n;

		if (stop_now || now >= deadline ||
		    (any && total && max_seq + 1 >= total && received >= total))
			break;
		if (wait_in(fd, (int)((deadline - now) / 1000000u) + 1) <= 0)
			continue;
		n = recv(fd, buf, sizeof(buf), 0);
		now = mono_ns();
		if (n < 28 || get_u64(buf) >> 32 != PROBE_MAGIC)
			continue;
		uint64_t seq = get_u64(buf + 4), sent_ns = get_u64(buf + 12), tot = get_u64(buf + 20);
		double wall = wall_s();

		if (!any) {
			any = true;
			total = tot;
			seen = calloc((size_t)(total ? total : 1), 1);
			if (!seen)
				return 1;
			first = now;
			deadline = now + (uint64_t)((o->duration + 1.0) * 1e9);
		} else {
			double ms = (double)(now - last) / 1e6;

			if (ms > o->gap_ms && ngaps < MAX_GAPS) {
				gaps[ngaps].t = last_wall;
				gaps[ngaps].ms = ms;
				gaps[ngaps].lost = seq > last_seq + 1 ? seq - last_seq - 1 : 0;
				gaps[ngaps].after = seq;
				ngaps++;
			}
		}
		if (seq >= total)
			continue;
		if (seen[seq]) {
			dups++;
			continue;
		}
		seen[seq] = 1;
		received++;
		if (seq < max_seq && reordered++ < MAX_REORDERS) {
			reorders[nreorders].t = wall;
			reorders[nreorders].ms = (double)(max_seq - seq);
			reorders[nreorders++].after = seq;
		}
		if (seq > max_seq)
			max_seq = seq;
		if (now > sent_ns && (double)(now - sent_ns) / 1e6 > max_delay_ms)
			max_delay_ms = (double)(now - sent_ns) / 1e6;
		last = now;
		last_seq = seq;
		last_wall = wall;
	}
	close(fd);
	/* Stopped early, probes after the last arrival may still be on their way: not counted as lost. */
	uint64_t expected = stop_now ? (any ? max_seq + 1 : 0) : total;
	printf("{\"planned\":%llu,\"received\":%llu,\"lost\":%llu,\"duplicates\":%llu,\"reordered\":%llu,"
	       "\"max-delay-ms\":%.3f,\"seconds\":%.3f,\"max-seq\":%llu,\"last-t\":%.3f,\"gap-threshold-ms\":"
	       "%.1f,"
	       "\"gaps\":[",
	       (unsigned long long)total, (unsigned long long)received,
	       (unsigned long long)(expected > received ? expected - received : 0), (unsigned long long)dups,
	       (unsigned long long)reordered, max_delay_ms, any ? (double)(last - first) / 1e9 : 0.0,
	       (unsigned long long)max_seq, last_wall, o->gap_ms);
	for (unsigned i = 0; i < ngaps; i++)
		printf("%s{\"t\":%.3f,\"ms\":%.3f,\"lost\":%llu,\"after-seq\":%llu}", i ? "," : "", gaps[i].t,
		       gaps[i].ms, (unsigned long long)gaps[i].lost, (unsigned long long)gaps[i].after);
	/* The first reordered probes: when each came and how far behind the highest number seen. */
	printf("],\"reorders\":[");
	for (unsigned i = 0; i < nreorders; i++)
		printf("%s{\"t\":%.6f,\"seq\":%llu,\"behind\":%.0f}", i ? "," : "", reorders[i].t,
		       (unsigned long long)reorders[i].after, reorders[i].ms);
	printf("]}\n");
	free(seen);
	free(gaps);
	return any ? 0 : 1;
}

static int tcp_echo(const struct opts *o)
{
	int lfd = listen_on(SOCK_STREAM, o->port), fd, one = 1;
	uint8_t buf[65536];
	uint64_t echoed = 0;
	ssize_t n;

	if (lfd < 0 || wait_in(lfd, (int)(o->timeout * 1000)) <= 0 ||
	    (fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC)) < 0) {
		printf("{\"ok\":false,\"error\":\"no connection\"}\n");
		return 1;
	}
	close(lfd);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	while ((n = recv(fd, buf, sizeof(buf), 0)) > 0 || (n < 0 && errno == EINTR))
		if (n > 0 && send(fd, buf, (size_t)n, MSG_NOSIGNAL) != n)
			break;
		else if (n > 0)
			echoed += (uint64_t)n;
	close(fd);
	printf("{\"ok\":true,\"bytes\":%llu}\n", (unsigned long long)echoed);
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

struct ping {
	uint64_t sent, echoed, last_ns, t0;
	double *rtt, last_wall, interval_ms;
	struct gap *stalls;
	unsigned nstall;
	double max_stall;
	uint8_t rbuf[16];
	size_t rlen;
};

/* Read what the echo sent back: whole 16-byte records, each a round trip; stalls between arrivals. */
static int ping_read(int fd, struct ping *p, const struct opts *o)
{
	ssize_t n = recv(fd, p->rbuf + p->rlen, sizeof(p->rbuf) - p->rlen, MSG_DONTWAIT);
	uint64_t now = mono_ns();

	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
		return -1;
	if (n < 0 || (p->rlen += (size_t)n) < sizeof(p->rbuf))
		return 0;
	p->rlen = 0;
	if (p->echoed < p->sent)
		p->rtt[p->echoed] = (double)(now - get_u64(p->rbuf + 8)) / 1e6;
	p->echoed++;
	if (p->last_ns) {
		double ms = (double)(now - p->last_ns) / 1e6 - p->interval_ms;

		if (ms > o->gap_ms && p->nstall < MAX_GAPS) {
			p->stalls[p->nstall].t = p->last_wall;
			p->stalls[p->nstall++].ms = ms;
		}
		if (ms > p->max_stall)
			p->max_stall = ms;
	}
	p->last_ns = now;
	p->last_wall = wall_s();
	return 1;
}

static void ping_report(struct ping *p, const char *err)
{
	bool ok = !err && (stop_now || p->echoed == p->sent);
	double med = 0;

	if (p->echoed) {
		uint64_t k = p->echoed < p->sent ? p->echoed : p->sent;

		qsort(p->rtt, (size_t)k, sizeof(double), cmp_double);
		med = p->rtt[k / 2];
	}
	printf("{\"ok\":%s,\"sent\":%llu,\"echoed\":%llu,\"rtt-ms-median\":%.3f,\"max-stall-ms\":%.3f,"
	       "\"stalls\":[",
	       ok ? "true" : "false", (unsigned long long)p->sent, (unsigned long long)p->echoed, med,
	       p->max_stall);
	for (unsigned i = 0; i < p->nstall; i++)
		printf("%s{\"t\":%.3f,\"ms\":%.3f}", i ? "," : "", p->stalls[i].t, p->stalls[i].ms);
	printf("]%s%s%s}\n", err ? ",\"error\":\"" : "", err ? err : "", err ? "\"" : "");
}

static int tcp_ping(const struct opts *o)
{
	struct sockaddr_in6 sa;
	struct ping p = {.interval_ms = 1000.0 / (o->pps ? o->pps : 1)};
	uint64_t total = (uint64_t)(o->duration * (o->pps ? o->pps : 1)),
		 step = 1000000000ull / (o->pps ? o->pps : 1);
	int fd = -1, one = 1;
	const char *err = NULL;

	if (!o->to || parse_addr(o->to, o->port, &sa) < 0) {
		fprintf(stderr, "lab-traffic: --to needs an IPv6 address\n");
		return 2;
	}
	p.rtt = calloc((size_t)total + 1, sizeof(double));
	p.stalls = calloc(MAX_GAPS, sizeof(*p.stalls));
	fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (!p.rtt || !p.stalls || fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		printf("{\"ok\":false,\"error\":\"connect: %s\"}\n", strerror(errno));
		return 1;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	/* SIGINT/SIGTERM end the run early, with the report (records still on their way are not missed). */
	{
		struct sigaction sig = {.sa_handler = on_stop};

		sigaction(SIGINT, &sig, NULL);
		sigaction(SIGTERM, &sig, NULL);
	}
	p.t0 = mono_ns();
	uint64_t stop_at = p.t0 + (uint64_t)((o->duration + o->timeout) * 1e9);

	while (!err && !stop_now && p.echoed < total && mono_ns() < stop_at) {
		uint64_t now = mono_ns(), due = p.t0 + p.sent * step;
		int wait_ms = p.sent < total && due > now ? (int)((due - now) / 1000000u)
			      : p.sent < total		  ? 0
							  : 100;

		if (wait_in(fd, wait_ms) > 0) {
			while (ping_read(fd, &p, o) > 0)
				;
			if (ping_read(fd, &p, o) < 0)
				err = "connection closed";
		}
		while (!err && p.sent < total && p.t0 + p.sent * step <= mono_ns()) {
			uint8_t rec[16];

			put_u64(rec, p.sent);
			put_u64(rec + 8, mono_ns());
			if (send(fd, rec, sizeof(rec), MSG_NOSIGNAL) != (ssize_t)sizeof(rec))
				err = "send failed";
			p.sent++;
		}
	}
	shutdown(fd, SHUT_WR);
	close(fd);
	ping_report(&p, err);
	free(p.rtt);
	free(p.stalls);
	return !err && (stop_now || p.echoed == p.sent) ? 0 : 1;
}

static int tx_csum_off(const char *ifname)
{
	struct ethtool_value ev = {.cmd = ETHTOOL_STXCSUM, .data = 0};
	struct ifreq ifr;
	int fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	ifr.ifr_data = (char *)&ev;
	if (fd < 0 || ioctl(fd, SIOCETHTOOL, &ifr) < 0) {
		fprintf(stderr, "lab-traffic: %s: tx checksum offload: %s\n", ifname, strerror(errno));
		if (fd >= 0)
			close(fd);
		return 1;
	}
	close(fd);
	return 0;
}

/* ctl-then: the reply to line from the control socket at path, then exec argv. */
static int ctl_then(const char *path, const char *line, char **argv)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char reply[4096];
	size_t len = 0;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    send(fd, line, strlen(line), MSG_NOSIGNAL) < 0 || send(fd, "\n", 1, MSG_NOSIGNAL) < 0) {
		fprintf(stderr, "lab-traffic: ctl-then: %s: %s\n", path, strerror(errno));
		return 2;
	}
	for (ssize_t n;
	     len < sizeof(reply) - 1 && (n = recv(fd, reply + len, sizeof(reply) - 1 - len, 0)) > 0;)
		len += (size_t)n;
	close(fd);
	reply[len] = 0;
	if (!len || strstr(reply, "\"error\"")) {
		fprintf(stderr, "lab-traffic: ctl-then: %s\n", len ? reply : "no reply");
		return 3;
	}
	printf("%.6f\n", wall_s());
	fflush(stdout);
	execvp(argv[0], argv);
	fprintf(stderr, "lab-traffic: ctl-then: %s: %s\n", argv[0], strerror(errno));
	return 2;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: lab-traffic tcp-sink   --port P --bytes N [--timeout S]\n"
		   "       lab-traffic tcp-source --to ADDR --port P --bytes N [--rate MBPS] [--timeout S]\n"
		   "       lab-traffic udp-sink   --port P --duration S [--gap MS] [--timeout S]\n"
		   "       lab-traffic udp-source --to ADDR --port P --pps N --duration S [--size B]\n"
		   "       lab-traffic tcp-echo   --port P [--timeout S]\n"
		   "       lab-traffic tcp-ping   --to ADDR --port P --pps N --duration S [--gap MS]\n"
		   "       lab-traffic tx-csum-off IFNAME\n"
		   "       lab-traffic ctl-then SOCKET LINE -- COMMAND...\n");
}

int main(int argc, char **argv)
{
	struct opts o = {.port = 5001, .timeout = 30, .pps = 1000, .size = 64, .duration = 10, .gap_ms = 5};
	const char *mode;

	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	mode = argv[1];
	if (strcmp(mode, "tx-csum-off") == 0)
		return argc == 3 ? tx_csum_off(argv[2]) : 2;
	if (strcmp(mode, "ctl-then") == 0)
		return argc >= 6 && strcmp(argv[4], "--") == 0 ? ctl_then(argv[2], argv[3], argv + 5) : 2;
	for (int i = 2; i < argc; i++) {
		const char *k = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!v) {
			usage(stderr);
			return 2;
		}
		if (strcmp(k, "--to") == 0)
			o.to = v;
		else if (strcmp(k, "--port") == 0)
			o.port = (unsigned)strtoul(v, NULL, 10);
		else if (strcmp(k, "--bytes") == 0)
			o.bytes = strtoull(v, NULL, 10);
		else if (strcmp(k, "--rate") == 0)
			o.rate_mbps = strtod(v, NULL);
		else if (strcmp(k, "--duration") == 0)
			o.duration = strtod(v, NULL);
		else if (strcmp(k, "--timeout") == 0)
			o.timeout = strtod(v, NULL);
		else if (strcmp(k, "--pps") == 0)
			o.pps = (unsigned)strtoul(v, NULL, 10);
		else if (strcmp(k, "--size") == 0)
			o.size = (unsigned)strtoul(v, NULL, 10);
		else if (strcmp(k, "--gap") == 0)
			o.gap_ms = strtod(v, NULL);
		else {
			usage(stderr);
			return 2;
		}
		i++;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (strcmp(mode, "tcp-sink") == 0)
		return tcp_sink(&o);
	if (strcmp(mode, "tcp-source") == 0)
		return tcp_source(&o);
	if (strcmp(mode, "udp-sink") == 0)
		return udp_sink(&o);
	if (strcmp(mode, "udp-source") == 0)
		return udp_source(&o);
	if (strcmp(mode, "tcp-echo") == 0)
		return tcp_echo(&o);
	if (strcmp(mode, "tcp-ping") == 0)
		return tcp_ping(&o);
	usage(stderr);
	return 2;
}
