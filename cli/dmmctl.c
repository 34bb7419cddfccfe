/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * dmmctl: the dmm command-line tool.
 *
 * Commands live in one static table {name, args, help, handler}; a name
 * may have several words ("show bindings"). Exit status: 0 success, 1 a
 * message failed to decode or encode, 2 usage or I/O error.
 */
#include <arpa/inet.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dmm/bytes.h"
#include "dmm/err.h"
#include "dmm/mh.h"
#include "mh_json.h"
#include "pcap_io.h"
#include "show.h"

#define EXIT_BAD 1
#define EXIT_USAGE 2
#define HEX_MAX 65536

struct cmd {
	const char *name; /* one or more words */
	const char *args;
	const char *help;
	int (*handler)(int argc, char **argv); /* argv[0] is the first argument after the name */
};

static int cmd_decode(int argc, char **argv);
static int cmd_encode(int argc, char **argv);
static int cmd_help(int argc, char **argv);
static int cmd_handover(int argc, char **argv);

#define SHOW(w)                                                                                              \
	static int cmd_show_##w(int argc, char **argv)                                                       \
	{                                                                                                    \
		return dmmctl_show(#w, argc, argv);                                                          \
	}
SHOW(bindings)
SHOW(peers)
SHOW(intents)
SHOW(stats)
SHOW(node)
SHOW(anchors)
SHOW(multicast)

/* CMD (docs/dmm-protocol.md §11): "relocate PREFIX [--to NODE]" and "drain NODE" as control lines. */
static int cmd_relocate(int argc, char **argv)
{
	char line[160];

	if (argc < 1 || argv[0][0] == '-') {
		fprintf(stderr, "dmmctl: relocate: PREFIX missing\n");
		return 2;
	}
	if (argc >= 3 && strcmp(argv[1], "--to") == 0) {
		snprintf(line, sizeof(line), "relocate %s to %s", argv[0], argv[2]);
		return dmmctl_request(line, argc - 3, argv + 3);
	}
	snprintf(line, sizeof(line), "relocate %s", argv[0]);
	return dmmctl_request(line, argc - 1, argv + 1);
}

static int cmd_drain(int argc, char **argv)
{
	char line[160];

	if (argc < 1 || argv[0][0] == '-') {
		fprintf(stderr, "dmmctl: drain: NODE (the MAAR's address) missing\n");
		return 2;
	}
	snprintf(line, sizeof(line), "drain %s", argv[0]);
	return dmmctl_request(line, argc - 1, argv + 1);
}

/* "reload": the daemon reads its config file again (as SIGHUP); a refusal names the path and the reason. */
static int cmd_reload(int argc, char **argv)
{
	return dmmctl_request("reload", argc, argv);
}

static const struct cmd cmds[] = {
	{"decode", "--hex HEX | --pcap FILE",
	 "decode Mobility Header messages given as hex (spaces and colons allowed)\n"
	 "or found in a pcap/pcapng file; print one JSON object per message",
	 cmd_decode},
	{"encode", "[--hex] [--src ADDR --dst ADDR] [--udp] [--pcap FILE]",
	 "read JSON messages from stdin (an object, an array or JSON Lines) and\n"
	 "print each as hex; --src/--dst fill the checksum, --pcap writes IPv6\n"
	 "packets (LINKTYPE_RAW), --udp carries the MH in UDP port 5436",
	 cmd_encode},
	{"show bindings", "[-s SOCKET] [--json]",
	 "binding cache (LMA, CMD, MAAR anchored) or binding update list (MAG,\n"
	 "MAAR serving): MN-ID, prefixes, peer, state, lifetime left, handovers",
	 cmd_show_bindings},
	{"show peers", "[-s SOCKET] [--json]", "mobility peers: heartbeat state, restart counter",
	 cmd_show_peers},
	{"show intents", "[-s SOCKET] [--json]", "forwarding intents with packet and byte counters",
	 cmd_show_intents},
	{"show stats", "[-s SOCKET] [--json]",
	 "counters named after the PMIPv6 MIB (RFC 6475),\n"
	 "role counters, every state transition",
	 cmd_show_stats},
	{"show node", "[-s SOCKET] [--json]",
	 "role, address, data plane of the daemon; a MAG with an LMA name: the\n"
	 "name, its addresses, the one in use and the TTL left (RFC 6097)",
	 cmd_show_node},
	{"show multicast", "[-s SOCKET] [--json]",
	 "MLD proxy: links, listeners, tunnels and their replication", cmd_show_multicast},
	{"show anchors", "[-s SOCKET] [--json]", "CMD: the MAARs with load, capacity and liveness (GAP1-3)",
	 cmd_show_anchors},
	{"handover", "MN-ID --to ADDRESS [--wait MS] [-s SOCKET] [--json]",
	 "MAG or MAAR: the MN attached here is about to move to the MAG (MAAR) at\n"
	 "ADDRESS (an access network's handover indication): RFC 5949 predictive\n"
	 "fast handover; --wait MS returns only when the new one's HAck came (the MN may move)",
	 cmd_handover},
	{"relocate", "PREFIX [--to NODE] [-s SOCKET] [--json]",
	 "CMD: move the anchor of PREFIX to its MN's serving MAAR (NODE, if given,\n"
	 "must be that MAAR's address), make-before-break (GAP1-1)",
	 cmd_relocate},
	{"drain", "NODE [-s SOCKET] [--json]",
	 "CMD: relocate every prefix anchored at the MAAR NODE (an address) to\n"
	 "its MN's serving MAAR, e.g. before maintenance",
	 cmd_drain},
	{"reload", "[-s SOCKET] [--json]",
	 "read the config file again, as SIGHUP; a config that does not validate\n"
	 "is refused with its path and reason, and the running config stays",
	 cmd_reload},
	{"events", "[-s SOCKET] [--json] [--replay N] [--count N]",
	 "follow the event stream: bindings created, handed off, deleted; peers\n"
	 "up and down; anchored prefixes released or relocated (--replay: the last N\n"
	 "first)",
	 dmmctl_events},
	{"help", "", "show this text (the socket defaults to $DMMCTL_SOCKET)", cmd_help},
};

#define NCMDS (sizeof(cmds) / sizeof(cmds[0]))

/*
 * dmmctl handover MN-ID --to ADDRESS [--wait MS]: the daemon's "handover
 * MN-ID to ADDRESS". --wait MS: the daemon answers only when the new MAG's
 * HAck came (RFC 5949 §4.1 step g: the handover is ready on the network
 * side, the MN may move), at once, or after MS: then 3.
 */
static int cmd_handover(int argc, char **argv)
{
	const char *sock = NULL, *mn = NULL, *to = NULL;
	bool as_json = false;
	char line[256];
	long wait_ms = -1;
	int rc;

	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--to") == 0 && i + 1 < argc)
			to = argv[++i];
		else if (strcmp(argv[i], "--wait") == 0 && i + 1 < argc)
			wait_ms = strtol(argv[++i], NULL, 10);
		else if ((strcmp(argv[i], "-s") == 0 || strcmp(argv[i], "--socket") == 0) && i + 1 < argc)
			sock = argv[++i];
		else if (strcmp(argv[i], "--json") == 0 || strcmp(argv[i], "-j") == 0)
			as_json = true;
		else if (!mn && argv[i][0] != '-')
			mn = argv[i];
		else {
			fprintf(stderr, "dmmctl: handover: unknown argument %s\n", argv[i]);
			return EXIT_USAGE;
		}
	}
	if (!mn || !to || strlen(mn) > 160 || strlen(to) > 64 ||
	    (wait_ms != -1 && (wait_ms < 1 || wait_ms > 60000))) {
		fprintf(stderr,
			"usage: dmmctl handover MN-ID --to ADDRESS [--wait MS] [-s SOCKET] [--json]\n");
		return EXIT_USAGE;
	}
	if (wait_ms > 0)
		snprintf(line, sizeof(line), "handover %s to %s wait %ld", mn, to, wait_ms);
	else
		snprintf(line, sizeof(line), "handover %s to %s", mn, to);
	rc = dmmctl_command_status(sock, line, as_json, "handover: no HAck in time");
	return rc;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: dmmctl COMMAND [ARGS]\n\n");
	for (size_t i = 0; i < NCMDS; i++) {
		const char *h = cmds[i].help;

		fprintf(f, "  dmmctl %s%s%s\n", cmds[i].name, *cmds[i].args ? " " : "", cmds[i].args);
		/* indent every line of the help text */
		while (*h) {
			size_t n = strcspn(h, "\n");

			fprintf(f, "      %.*s\n", (int)n, h);
			h += n + (h[n] == '\n');
		}
	}
}

static int cmd_help(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	usage(stdout);
	return 0;
}

static int usage_error(const char *cmd, const char *fmt, const char *arg)
{
	fprintf(stderr, "dmmctl %s: ", cmd);
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n");
	for (size_t i = 0; i < NCMDS; i++)
		if (strcmp(cmds[i].name, cmd) == 0)
			fprintf(stderr, "usage: dmmctl %s %s\n", cmds[i].name, cmds[i].args);
	return EXIT_USAGE;
}

static int print_obj(json_t *o)
{
	int rc = mh_json_print(stdout, o);

	json_decref(o);
	return rc;
}

/* ---------------------------------------------------------------- decode */

static int decode_hex(const char *hex)
{
	static uint8_t buf[HEX_MAX];
	static struct dmm_mh_msg msg;
	int n = mh_hex_parse(hex, buf, sizeof(buf)), used;
	json_t *o = json_object();

	if (n < 0) {
		fprintf(stderr, "dmmctl decode: malformed hex\n");
		used = DMM_ERR_INVAL;
	} else {
		used = dmm_mh_decode(&msg, buf, (size_t)n);
	}
	if (used < 0)
		mh_json_error(o, used);
	else
		mh_json_render(o, &msg, (size_t)used, dmm_get_u16(buf + 4));
	print_obj(o);
	return used < 0 ? EXIT_BAD : 0;
}

static json_t *addr_str(const struct dmm_addr *a)
{
	char s[INET6_ADDRSTRLEN];

	return json_string(inet_ntop(AF_INET6, a->b, s, sizeof(s)));
}

static void decode_pkt(const struct mh_pkt *p, void *arg)
{
	static struct dmm_mh_msg msg;
	int *failed = arg, used = dmm_mh_decode(&msg, p->mh, p->len);
	json_t *o = json_object();

	json_object_set_new(o, "frame", json_integer(p->frame));
	if (used < 0) {
		*failed = 1;
		mh_json_error(o, used);
		print_obj(o);
		return;
	}
	json_object_set_new(o, "src", addr_str(&p->src));
	json_object_set_new(o, "dst", addr_str(&p->dst));
	json_object_set_new(o, "transport", json_string(p->udp ? "udp" : "ip6"));
	if (!p->udp)
		json_object_set_new(o, "checksum_ok",
				    json_boolean(dmm_mh_checksum(p->mh, (size_t)used, &p->csum_src,
								 &p->csum_dst) == dmm_get_u16(p->mh + 4)));
	mh_json_render(o, &msg, (size_t)used, dmm_get_u16(p->mh + 4));
	print_obj(o);
}

static int cmd_decode(int argc, char **argv)
{
	char err[512], hex[HEX_MAX * 3];
	int failed = 0;

	if (argc >= 2 && strcmp(argv[0], "--pcap") == 0 && argc == 2) {
		if (pcap_read_mh(argv[1], decode_pkt, &failed, err, sizeof(err))) {
			fprintf(stderr, "dmmctl decode: %s\n", err);
			return EXIT_USAGE;
		}
		return failed ? EXIT_BAD : 0;
	}
	if (argc >= 2 && strcmp(argv[0], "--hex") == 0) {
		/* The hex may come as one argument or as several words. */
		hex[0] = 0;
		for (int i = 1; i < argc; i++) {
			if (strlen(hex) + strlen(argv[i]) + 2 > sizeof(hex))
				return usage_error("decode", "%s", "hex too long");
			strcat(strcat(hex, " "), argv[i]);
		}
		return decode_hex(hex);
	}
	return usage_error("decode", "%s", argc ? "bad arguments" : "missing --hex or --pcap");
}

/* ---------------------------------------------------------------- encode */

struct encode_opts {
	bool hex, udp, csum;
	const char *pcap;
	struct dmm_addr src, dst;
};

static char *read_all(FILE *f, size_t *len)
{
	size_t cap = 1 << 16, n = 0, k;
	char *b = malloc(cap), *nb;

	while (b && (k = fread(b + n, 1, cap - n, f)) > 0) {
		n += k;
		if (n == cap) {
			nb = realloc(b, cap *= 2);
			if (!nb)
				free(b);
			b = nb;
		}
	}
	if (b && ferror(f)) {
		free(b);
		return NULL;
	}
	*len = n;
	return b;
}

static int encode_all(const struct encode_opts *eo, json_t *msgs)
{
	static struct dmm_mh_msg msg;
	static uint8_t buf[DMM_MH_MAX_LEN];
	struct pcap_writer *w = NULL;
	char err[512];
	json_t *v;
	size_t i;
	int rc = 0;

	if (eo->pcap && !(w = pcap_writer_open(eo->pcap, err, sizeof(err)))) {
		fprintf(stderr, "dmmctl encode: %s\n", err);
		return EXIT_USAGE;
	}
	json_array_foreach(msgs, i, v)
	{
		int n;

		if (mh_json_parse(v, &msg, err, sizeof(err))) {
			fprintf(stderr, "dmmctl encode: message %zu: %s\n", i + 1, err);
			rc = EXIT_BAD;
			break;
		}
		/* The checksum is 0 in UDP (RFC 5844 §4), else over the IPv6 pseudo-header. */
		if (eo->udp || !(eo->csum || w))
			n = dmm_mh_encode(buf, sizeof(buf), &msg);
		else
			n = dmm_mh_encode_ip6(buf, sizeof(buf), &msg, &eo->src, &eo->dst);
		if (n < 0) {
			fprintf(stderr, "dmmctl encode: message %zu: %s: %s\n", i + 1, dmm_errname(n),
				dmm_strerror(n));
			rc = EXIT_BAD;
			break;
		}
		if (w && pcap_writer_put(w, &eo->src, &eo->dst, eo->udp, buf, (size_t)n)) {
			fprintf(stderr, "dmmctl encode: %s: write failed\n", eo->pcap);
			rc = EXIT_USAGE;
			break;
		}
		if (!w || eo->hex) {
			for (int k = 0; k < n; k++)
				printf("%02x", buf[k]);
			printf("\n");
		}
	}
	if (pcap_writer_close(w) && rc == 0) {
		fprintf(stderr, "dmmctl encode: %s: write failed\n", eo->pcap);
		rc = EXIT_USAGE;
	}
	return rc;
}

static int cmd_encode(int argc, char **argv)
{
	struct encode_opts eo = {0};
	char err[512];
	json_t *msgs;
	size_t len;
	char *text;
	int rc;

	/* RFC 3849 documentation addresses. */
	inet_pton(AF_INET6, "2001:db8::1", eo.src.b);
	inet_pton(AF_INET6, "2001:db8::2", eo.dst.b);
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		bool more = i + 1 < argc;

		if (strcmp(a, "--hex") == 0) {
			eo.hex = true;
		} else if (strcmp(a, "--udp") == 0) {
			eo.udp = true;
		} else if (strcmp(a, "--pcap") == 0 && more) {
			eo.pcap = argv[++i];
		} else if ((strcmp(a, "--src") == 0 || strcmp(a, "--dst") == 0) && more) {
			if (inet_pton(AF_INET6, argv[i + 1], a[2] == 's' ? eo.src.b : eo.dst.b) != 1)
				return usage_error("encode", "not an IPv6 address: %s", argv[i + 1]);
			eo.csum = true;
			i++;
		} else {
			return usage_error("encode", "bad argument: %s", a);
		}
	}
	if (!(text = read_all(stdin, &len))) {
		fprintf(stderr, "dmmctl encode: cannot read stdin\n");
		return EXIT_USAGE;
	}
	msgs = mh_json_load_all(text, len, err, sizeof(err));
	free(text);
	if (!msgs) {
		fprintf(stderr, "dmmctl encode: %s\n", err);
		return EXIT_BAD;
	}
	rc = encode_all(&eo, msgs);
	json_decref(msgs);
	return rc;
}

/* ------------------------------------------------------------------ main */

/* The command whose words start argv, or NULL; *nwords receives their count. */
static const struct cmd *find_cmd(int argc, char **argv, int *nwords)
{
	for (size_t i = 0; i < NCMDS; i++) {
		const char *p = cmds[i].name;
		int w = 0;

		while (w < argc) {
			size_t n = strcspn(p, " ");

			if (strlen(argv[w]) != n || strncmp(argv[w], p, n) != 0)
				break;
			w++;
			p += n;
			if (!*p) {
				*nwords = w;
				return &cmds[i];
			}
			p++;
		}
	}
	return NULL;
}

int main(int argc, char **argv)
{
	const struct cmd *c;
	int nw;

	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : 0;
	}
	if (!(c = find_cmd(argc - 1, argv + 1, &nw))) {
		fprintf(stderr, "dmmctl: unknown command \"%s\"\n\n", argv[1]);
		usage(stderr);
		return EXIT_USAGE;
	}
	return c->handler(argc - 1 - nw, argv + 1 + nw);
}
