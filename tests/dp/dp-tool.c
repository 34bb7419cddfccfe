/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * dp-tool: drive one data plane backend by hand or from a test script.
 *
 *   dp-tool BACKEND --local ADDR [--link ID=IFNAME]... [--tun NAME]
 *           [--table-base N] [--rule-prio N] [--proto N]
 *           [--buf-packets N] [--buf-bytes N] [--buf-time MS]
 *
 * Commands on stdin, one per line; one result line per command:
 *
 *   install HINT dst|src PREFIX encap|decap|deliver|drop|buffer
 *           [peer ADDR] [link N] [prec N]
 *                       -> "ok N id=N hint=HINT" | "error N: reason"
 *   remove N            -> "ok removed N" (N: the install order number)
 *   replace N HINT dst|src PREFIX ACTION [peer ADDR] [link N] [prec N]
 *                       -> "ok replaced N hint=HINT" | "error N: reason"
 *                          (intent N forwards the new way, same id)
 *   begin               -> "ok begin": installs, replaces and removes are queued
 *   commit              -> one "refused N: reason" per intent the kernel refused,
 *                          then "ok committed R" (R refused)
 *   counters            -> "counters N packets=P bytes=B" or "counters N error=..."
 *   bufstats            -> "bufstats held=N held_bytes=B peak=N buffered=N released=N
 *                          dropped_full=N dropped_age=N ahead=N unresolved=N limits=P/B/MS
 *                          rss_kb=K"
 *                          or "bufstats error=..." (the BUFFER intents' buffer)
 *   host LINK MAC|-     -> "ok host" | "error host: reason" (the host on access
 *                          link LINK has link-layer address MAC, xx:xx:..;
 *                          -: none; dataplane.h host)
 *   fill COUNT dst|src PREFIX ACTION [peer ADDR] [link N] [prec N]
 *                       -> "ok filled COUNT in MS ms" | "error fill I: reason":
 *                          COUNT more intents (ids from 1000001 on, not
 *                          numbered, no counters line, removed by close), the
 *                          i-th one prefix PREFIX/64 with i in bits 32..63
 *                          (PREFIX no longer than /32), installed in batches
 *                          of 250 where the backend batches (load for
 *                          benchmarks: bench/dp.sh FILL)
 *   wait SECONDS        -> serve the backend (poll on fd()) that long, "ok waited"
 *   close               -> remove everything, "ok closed", exit 0
 *
 * On end of input it keeps serving the backend until SIGTERM or SIGINT,
 * then closes (which removes everything it installed). The intent ids are
 * the install order numbers: this tool plays the part of the fm table.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dmm/dataplane.h"
#include "dmm/fm.h"
#include "dmm/fmt.h"
#include "../../dataplane/kernel/kernel.h"

#define MAX_INTENTS 4096

static volatile sig_atomic_t stop;

static const struct dmm_dp_ops *ops;
static struct dmm_dp *dp;
static struct dmm_intent intents[MAX_INTENTS + 1]; /* by install order number; id 0: none */
static uint32_t ninstalled;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static const char *why(int err)
{
	static char buf[400];
	const char *extra = ops == &dmm_dp_kernel ? dmm_dp_kernel_last_error(dp) : "";

	snprintf(buf, sizeof(buf), "%s%s%s", strerror(-err), extra[0] ? ": " : "", extra);
	return buf;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Serve the backend for up to ms milliseconds (or until a signal). */
static void serve(uint64_t ms)
{
	uint64_t end = now_ms() + ms;
	int fd = ops->fd(dp);

	while (!stop) {
		uint64_t t = now_ms();
		struct pollfd p = {.fd = fd, .events = POLLIN};

		if (t >= end)
			break;
		if (poll(fd >= 0 ? &p : NULL, fd >= 0 ? 1 : 0, (int)(end - t > 200 ? 200 : end - t)) > 0)
			ops->poll(dp);
	}
}

static int parse_u32(const char *s, uint32_t *v)
{
	char *end;
	unsigned long x;

	errno = 0;
	x = strtoul(s, &end, 0);
	if (errno || *end || end == s || x > UINT32_MAX)
		return -1;
	*v = (uint32_t)x;
	return 0;
}

static int lookup(const char *s, const char *const *names, int n)
{
	for (int i = 0; i < n; i++)
		if (strcmp(s, names[i]) == 0)
			return i;
	return -1;
}

/* tok[2..] as an intent into in; 0, or -1 after printing the error of command n. */
static int parse_intent(char **tok, int ntok, uint32_t n, struct dmm_intent *in)
{
	static const char *const matches[] = {"dst", "src"};
	static const char *const actions[] = {"encap", "decap", "deliver", "buffer", "drop"};
	uint32_t v;
	int m, a;

	memset(in, 0, sizeof(*in));
	if (ntok < 5 || (m = lookup(tok[2], matches, 2)) < 0 || (a = lookup(tok[4], actions, 5)) < 0 ||
	    dmm_prefix_parse(tok[3], &in->prefix) < 0) {
		printf("error %u: usage: %s HINT dst|src PREFIX encap|decap|deliver|drop|buffer "
		       "[peer ADDR] [link N] [prec N]\n",
		       n, tok[0]);
		return -1;
	}
	in->match = (uint8_t)m;
	in->action = (uint8_t)a;
	for (int i = 5; i < ntok; i += 2) {
		if (i + 1 >= ntok) {
			printf("error %u: %s needs a value\n", n, tok[i]);
			return -1;
		}
		if (strcmp(tok[i], "peer") == 0 && dmm_addr_parse(tok[i + 1], &in->peer) == 0)
			continue;
		if (strcmp(tok[i], "link") == 0 && parse_u32(tok[i + 1], &in->link) == 0)
			continue;
		if (strcmp(tok[i], "prec") == 0 && parse_u32(tok[i + 1], &v) == 0 && v <= UINT16_MAX) {
			in->precedence = (uint16_t)v;
			continue;
		}
		printf("error %u: bad %s %s\n", n, tok[i], tok[i + 1]);
		return -1;
	}
	in->id = n;
	return 0;
}

static void cmd_install(char **tok, int ntok)
{
	struct dmm_intent in;
	uint32_t n = ninstalled + 1;
	int ret;

	if (n > MAX_INTENTS) {
		printf("error %u: too many intents\n", n);
		return;
	}
	if (parse_intent(tok, ntok, n, &in) < 0)
		return;
	ret = ops->install(dp, &in);
	if (ret < 0) {
		printf("error %u: %s\n", n, why(ret));
		return;
	}
	ninstalled = n;
	intents[n] = in;
	printf("ok %u id=%u hint=%s\n", n, in.id, tok[1]);
}

/* replace N HINT ...: tok[1] is N; the rest is parsed as an install from tok[1]. */
static void cmd_replace(char **tok, int ntok)
{
	struct dmm_intent in;
	uint32_t n;
	int ret;

	if (ntok < 2 || parse_u32(tok[1], &n) < 0 || n == 0 || n > ninstalled || !intents[n].id) {
		printf("error: replace: no such intent\n");
		return;
	}
	if (parse_intent(tok + 1, ntok - 1, n, &in) < 0)
		return;
	ret = ops->replace ? ops->replace(dp, &intents[n], &in) : -ENOTSUP;
	if (ret < 0) {
		intents[n].id = 0; /* after an error the old one is gone too */
		printf("error %u: %s\n", n, why(ret));
		return;
	}
	intents[n] = in;
	printf("ok replaced %u hint=%s\n", n, tok[2]);
}

static unsigned nrefused;

#define FILL_ID0 1000001u
#define FILL_BATCH 250u
#define FILL_TRIES 100
static uint32_t nfilled;

/* The intents of one fill batch the kernel refused for want of memory, to try again. */
struct fill_retry {
	uint32_t id[FILL_BATCH];
	unsigned n;
	int err;
};

static void fill_refused(void *ctx, uint32_t id, int err)
{
	struct fill_retry *r = ctx;

	if (err == -ENOMEM && r->n < FILL_BATCH)
		r->id[r->n++] = id;
	else if (!r->err)
		r->err = err;
}

static void fill_prefix(struct dmm_intent *in, uint32_t i)
{
	for (int b = 0; b < 4; b++)
		in->prefix.addr.b[4 + b] = (uint8_t)(i >> (24 - 8 * b));
}

/*
 * Intents first .. first+n-1 of in's kind, in one batch where the backend
 * batches. Refusals for want of memory (the kernel's per-CPU allocations
 * for routes fail while its allocator grows) are tried again after a
 * pause. 0 or -errno after printing the error.
 */
static int fill_batch(struct dmm_intent *in, uint32_t first, uint32_t n)
{
	struct fill_retry r = {.n = 0};
	int ret;

	if (ops->begin)
		ops->begin(dp);
	for (uint32_t i = 0; i < n; i++) {
		in->id = FILL_ID0 + nfilled++;
		fill_prefix(in, first + i);
		ret = ops->install(dp, in);
		if (ret < 0 && !ops->commit) {
			printf("error fill %u: %s\n", first + i, why(ret));
			return ret;
		}
	}
	for (int tries = 0; ops->commit && tries < FILL_TRIES; tries++) {
		r.n = 0;
		ret = ops->commit(dp, fill_refused, &r);
		if (ret < 0 || r.err) {
			printf("error fill: %s\n", why(ret < 0 ? ret : r.err));
			return ret < 0 ? ret : r.err;
		}
		if (!r.n)
			return 0;
		usleep(20000);
		ops->begin(dp);
		for (unsigned k = 0; k < r.n; k++) {
			in->id = r.id[k];
			fill_prefix(in, first + (r.id[k] - FILL_ID0 - (nfilled - n)));
			ops->install(dp, in);
		}
	}
	if (ops->commit) {
		printf("error fill: %s\n", strerror(ENOMEM));
		return -ENOMEM;
	}
	return 0;
}

/* fill COUNT ...: tok[1] is COUNT; tok[1..] parses as an install (tok[3] the base prefix). */
static void cmd_fill(char **tok, int ntok)
{
	struct dmm_intent in;
	uint32_t count;
	uint64_t t0 = now_ms();

	if (ntok < 2 || parse_u32(tok[1], &count) < 0 || parse_intent(tok, ntok, 0, &in) < 0 ||
	    in.prefix.len > 32) {
		printf("error fill: usage: fill COUNT dst|src PREFIX(/32 or shorter) ACTION ...\n");
		return;
	}
	in.prefix.len = 64;
	for (uint32_t i = 0; i < count; i += FILL_BATCH)
		if (fill_batch(&in, i, count - i < FILL_BATCH ? count - i : FILL_BATCH) < 0)
			return;
	printf("ok filled %u in %llu ms\n", count, (unsigned long long)(now_ms() - t0));
}

static void on_refused(void *ctx, uint32_t id, int err)
{
	(void)ctx;
	if (id && id <= ninstalled)
		intents[id].id = 0;
	nrefused++;
	printf("refused %u: %s\n", id, strerror(-err));
}

static void cmd_commit(void)
{
	int ret;

	nrefused = 0;
	ret = ops->commit ? ops->commit(dp, on_refused, NULL) : 0;
	if (ret < 0)
		printf("error commit: %s\n", why(ret));
	else
		printf("ok committed %u\n", nrefused);
}

static void cmd_remove(char **tok, int ntok)
{
	uint32_t n;

	if (ntok != 2 || parse_u32(tok[1], &n) < 0 || n == 0 || n > ninstalled || !intents[n].id) {
		printf("error: remove: no such intent\n");
		return;
	}
	ops->remove(dp, &intents[n]);
	intents[n].id = 0;
	printf("ok removed %u\n", n);
}

/* This process's resident set in KiB (VmRSS of /proc/self/status), or 0. */
static unsigned long rss_kb(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	unsigned long kb = 0;

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %lu kB", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb;
}

static void cmd_bufstats(void)
{
	struct dmm_dp_buf_stats st;
	int r = ops->buf_stats ? ops->buf_stats(dp, &st) : -ENOTSUP;

	if (r < 0) {
		printf("bufstats error=%s\n", why(r));
		return;
	}
	printf("bufstats held=%llu held_bytes=%llu peak=%llu buffered=%llu released=%llu dropped_full=%llu "
	       "dropped_age=%llu ahead=%llu unresolved=%llu limits=%u/%u/%u rss_kb=%lu\n",
	       (unsigned long long)st.held_packets, (unsigned long long)st.held_bytes,
	       (unsigned long long)st.held_peak, (unsigned long long)st.buffered,
	       (unsigned long long)st.released, (unsigned long long)st.dropped_full,
	       (unsigned long long)st.dropped_age, (unsigned long long)st.ahead,
	       (unsigned long long)st.unresolved, st.limit_packets, st.limit_bytes, st.limit_ms, rss_kb());
}

static void cmd_host(char **tok, int ntok)
{
	uint8_t mac[8];
	unsigned len = 0, v;
	int r = -EINVAL;
	char *s;

	if (ntok == 3 && strcmp(tok[2], "-") != 0)
		for (s = tok[2]; len < sizeof(mac) && sscanf(s, "%2x", &v) == 1; s += s[2] == ':' ? 3 : 2) {
			mac[len++] = (uint8_t)v;
			if (s[2] != ':')
				break;
		}
	if (ntok == 3 && (len == 6 || strcmp(tok[2], "-") == 0))
		r = ops->host ? ops->host(dp, (uint32_t)strtoul(tok[1], NULL, 10), mac, len) : -ENOTSUP;
	if (r < 0)
		printf("error host: %s\n", ntok == 3 ? why(r) : "usage: host LINK MAC|-");
	else
		printf("ok host\n");
}

static void cmd_counters(void)
{
	unsigned shown = 0;

	for (uint32_t n = 1; n <= ninstalled; n++) {
		uint64_t p, b;
		int ret;

		if (!intents[n].id)
			continue;
		shown++;
		ret = ops->counters(dp, intents[n].id, &p, &b);
		if (ret < 0)
			printf("counters %u error=%s\n", n, strerror(-ret));
		else
			printf("counters %u packets=%llu bytes=%llu\n", n, (unsigned long long)p,
			       (unsigned long long)b);
	}
	if (!shown)
		printf("counters none\n");
}

/* Run one command line; returns 1 after "close". */
static int run_line(char *line)
{
	char *tok[16];
	int ntok = 0;
	double secs;

	for (char *s = strtok(line, " \t\r\n"); s && ntok < 16; s = strtok(NULL, " \t\r\n"))
		tok[ntok++] = s;
	if (ntok == 0 || tok[0][0] == '#')
		return 0;
	if (strcmp(tok[0], "install") == 0) {
		cmd_install(tok, ntok);
	} else if (strcmp(tok[0], "remove") == 0) {
		cmd_remove(tok, ntok);
	} else if (strcmp(tok[0], "replace") == 0) {
		cmd_replace(tok, ntok);
	} else if (strcmp(tok[0], "begin") == 0) {
		if (ops->begin)
			ops->begin(dp);
		printf("ok begin\n");
	} else if (strcmp(tok[0], "commit") == 0) {
		cmd_commit();
	} else if (strcmp(tok[0], "counters") == 0) {
		cmd_counters();
	} else if (strcmp(tok[0], "bufstats") == 0) {
		cmd_bufstats();
	} else if (strcmp(tok[0], "host") == 0) {
		cmd_host(tok, ntok);
	} else if (strcmp(tok[0], "fill") == 0) {
		cmd_fill(tok, ntok);
	} else if (strcmp(tok[0], "wait") == 0 && ntok == 2 && (secs = atof(tok[1])) >= 0) {
		serve((uint64_t)(secs * 1000));
		printf("ok waited\n");
	} else if (strcmp(tok[0], "close") == 0) {
		return 1;
	} else {
		printf("error: unknown command %s\n", tok[0]);
	}
	return 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: dp-tool kernel|user|bpf --local ADDR [--link ID=IFNAME]... [--tun NAME]\n"
			"                [--table-base N] [--rule-prio N] [--proto N]\n"
			"                [--buf-packets N] [--buf-bytes N] [--buf-time MS]\n");
	exit(2);
}

static void parse_args(int argc, char **argv, struct dmm_dp_cfg *cfg)
{
	uint32_t v;

	if (argc < 2 || !(ops = dmm_dp_find(argv[1])))
		usage();
	for (int i = 2; i < argc; i++) {
		const char *opt = argv[i], *val = i + 1 < argc ? argv[++i] : NULL;

		if (!val)
			usage();
		if (strcmp(opt, "--local") == 0) {
			if (dmm_addr_parse(val, &cfg->local) < 0)
				usage();
		} else if (strcmp(opt, "--link") == 0) {
			const char *eq = strchr(val, '=');
			char id[16];

			if (!eq || eq == val || (size_t)(eq - val) >= sizeof(id) ||
			    strlen(eq + 1) >= DMM_DP_IFNAMSIZ || cfg->nlinks >= DMM_DP_MAX_LINKS)
				usage();
			memcpy(id, val, (size_t)(eq - val));
			id[eq - val] = '\0';
			if (parse_u32(id, &cfg->link[cfg->nlinks].id) < 0)
				usage();
			strcpy(cfg->link[cfg->nlinks++].ifname, eq + 1);
		} else if (strcmp(opt, "--tun") == 0) {
			if (strlen(val) >= sizeof(cfg->tun_name))
				usage();
			strcpy(cfg->tun_name, val);
		} else if (strcmp(opt, "--table-base") == 0 && parse_u32(val, &v) == 0) {
			cfg->table_base = v;
		} else if (strcmp(opt, "--rule-prio") == 0 && parse_u32(val, &v) == 0) {
			cfg->rule_prio = v;
		} else if (strcmp(opt, "--proto") == 0 && parse_u32(val, &v) == 0 && v <= 255) {
			cfg->rt_proto = (uint8_t)v;
		} else if (strcmp(opt, "--buf-packets") == 0 && parse_u32(val, &v) == 0) {
			cfg->buf_packets = v;
		} else if (strcmp(opt, "--buf-bytes") == 0 && parse_u32(val, &v) == 0) {
			cfg->buf_bytes = v;
		} else if (strcmp(opt, "--buf-time") == 0 && parse_u32(val, &v) == 0) {
			cfg->buf_time_ms = v;
		} else {
			usage();
		}
	}
	if (dmm_addr_is_zero(&cfg->local))
		usage();
}

int main(int argc, char **argv)
{
	struct dmm_dp_cfg cfg = {0};
	struct sigaction sa = {.sa_handler = on_signal};
	char buf[4096], err[256] = "";
	size_t have = 0;
	int eof = 0, closing = 0;

	parse_args(argc, argv, &cfg);
	sigaction(SIGTERM, &sa, NULL); /* no SA_RESTART: poll() returns on a signal */
	sigaction(SIGINT, &sa, NULL);
	setvbuf(stdout, NULL, _IOLBF, 0);

	dp = ops->open(&cfg, err, sizeof(err));
	if (!dp) {
		printf("error open: %s (%s)\n", err, strerror(errno));
		return 1;
	}
	printf("ok open %s\n", ops->name);

	while (!stop && !closing) {
		struct pollfd p[2] = {{.fd = eof ? -1 : 0, .events = POLLIN},
				      {.fd = ops->fd(dp), .events = POLLIN}};

		if (poll(p, 2, 200) <= 0)
			continue;
		if (p[1].revents & POLLIN)
			ops->poll(dp);
		if (!(p[0].revents & (POLLIN | POLLHUP)))
			continue;
		ssize_t n = read(0, buf + have, sizeof(buf) - 1 - have);

		if (n <= 0) {
			eof = 1;
			continue;
		}
		have += (size_t)n;
		for (char *nl; !closing && (nl = memchr(buf, '\n', have));) {
			size_t len = (size_t)(nl - buf) + 1;

			*nl = '\0';
			closing = run_line(buf);
			memmove(buf, buf + len, have - len);
			have -= len;
		}
		if (have == sizeof(buf) - 1) {
			printf("error: line too long\n");
			have = 0;
		}
	}
	ops->close(dp);
	printf("ok closed\n");
	return 0;
}
