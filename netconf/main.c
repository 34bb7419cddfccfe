/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * dmm-netconfd: options, the libyang context (yang/dmm.yang with the
 * NETCONF modules), the SSH endpoint with public-key authentication,
 * and one loop: accept sessions, serve their RPCs (rpc.c), pass dmmd's
 * events on as notifications.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nc.h"

struct ncd ncd = {.events_fd = -1};

static volatile sig_atomic_t stop;

static void on_stop(int sig)
{
	(void)sig;
	stop = 1;
}

struct opts {
	const char *addr, *hostkey, *authkeys, *user, *yang_dir, *std_dir;
	unsigned port;
};

static void usage(FILE *f)
{
	fprintf(f, "usage: dmm-netconfd -s SOCKET -k HOSTKEY -a AUTHORIZED_KEYS [options]\n"
		   "  -s, --socket PATH        dmmd's control socket\n"
		   "  -k, --host-key FILE      the SSH host key (private key, PEM or OpenSSH)\n"
		   "  -a, --authorized-keys F  public keys allowed to log in, authorized_keys format\n"
		   "  -u, --user NAME          the user name those keys log in as (default netconf)\n"
		   "  -l, --listen ADDRESS     address to listen on (default ::1)\n"
		   "  -p, --port N             TCP port (default 830, RFC 6242)\n"
		   "  -y, --yang DIR           directory of dmm.yang (default /usr/share/dmm/yang)\n"
		   "  -Y, --ietf-yang DIR      directory tree of the NETCONF modules\n"
		   "                           (default /usr/share/yuma/modules, Debian libyuma-base)\n"
		   "  -v, --verbose            log each operation and event\n");
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {{"socket", required_argument, NULL, 's'},
					   {"host-key", required_argument, NULL, 'k'},
					   {"authorized-keys", required_argument, NULL, 'a'},
					   {"user", required_argument, NULL, 'u'},
					   {"listen", required_argument, NULL, 'l'},
					   {"port", required_argument, NULL, 'p'},
					   {"yang", required_argument, NULL, 'y'},
					   {"ietf-yang", required_argument, NULL, 'Y'},
					   {"verbose", no_argument, NULL, 'v'},
					   {"help", no_argument, NULL, 'h'},
					   {NULL, 0, NULL, 0}};
	int c;

	while ((c = getopt_long(argc, argv, "s:k:a:u:l:p:y:Y:vh", lo, NULL)) != -1) {
		switch (c) {
		case 's':
			ncd.ctl_path = optarg;
			break;
		case 'k':
			o->hostkey = optarg;
			break;
		case 'a':
			o->authkeys = optarg;
			break;
		case 'u':
			o->user = optarg;
			break;
		case 'l':
			o->addr = optarg;
			break;
		case 'p':
			o->port = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'y':
			o->yang_dir = optarg;
			break;
		case 'Y':
			o->std_dir = optarg;
			break;
		case 'v':
			ncd.verbose = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (!ncd.ctl_path || !o->hostkey || !o->authkeys || !o->port || o->port > 65535) {
		usage(stderr);
		return 2;
	}
	return -1;
}

/*
 * The context: ietf-netconf (RFC 6241, writable-running), its monitoring
 * module (get-schema), notifications and nc-notifications (RFC 5277) and
 * dmm.
 */
static int build_ctx(const struct opts *o)
{
	static const char *const sub[] = {"ietf", "ietf-derived", "netconfcentral", NULL};
	static const char *nc_features[] = {"writable-running", NULL};
	char dir[1024];

	if (ly_ctx_new(o->yang_dir, 0, &ncd.ctx) != LY_SUCCESS)
		return -1;
	for (int i = 0; sub[i]; i++) {
		snprintf(dir, sizeof(dir), "%s/%s", o->std_dir, sub[i]);
		ly_ctx_set_searchdir(ncd.ctx, dir);
	}
	if (!ly_ctx_load_module(ncd.ctx, "ietf-netconf", NULL, nc_features) ||
	    !ly_ctx_load_module(ncd.ctx, "ietf-netconf-monitoring", NULL, NULL) ||
	    !ly_ctx_load_module(ncd.ctx, "notifications", NULL, NULL) ||
	    !ly_ctx_load_module(ncd.ctx, "nc-notifications", NULL, NULL) ||
	    !(ncd.dmm = ly_ctx_load_module(ncd.ctx, "dmm", NULL, NULL))) {
		fprintf(stderr,
			"dmm-netconfd: cannot load the YANG modules (dmm from %s, NETCONF's under %s)\n",
			o->yang_dir, o->std_dir);
		return -1;
	}
	return 0;
}

static int hostkey_clb(const char *name, void *user, char **path, char **data, NC_SSH_KEY_TYPE *type)
{
	(void)name;
	(void)data;
	(void)type;
	*path = strdup(user);
	return *path ? 0 : 1;
}

/* Every key of an authorized_keys file ("TYPE BASE64 [comment]" lines) for user. */
static int load_authkeys(const char *file, const char *user)
{
	FILE *f = fopen(file, "r");
	char line[8192], type[64], b64[8000];
	int n = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		NC_SSH_KEY_TYPE t = NC_SSH_KEY_UNKNOWN;

		if (sscanf(line, "%63s %7999s", type, b64) != 2 || type[0] == '#')
			continue;
		if (!strcmp(type, "ssh-rsa"))
			t = NC_SSH_KEY_RSA;
		else if (!strcmp(type, "ssh-dss"))
			t = NC_SSH_KEY_DSA;
		else if (!strncmp(type, "ecdsa-sha2-", 11))
			t = NC_SSH_KEY_ECDSA;
		if (t == NC_SSH_KEY_UNKNOWN) {
			fprintf(stderr, "dmm-netconfd: %s: key type %s not supported, skipped\n", file, type);
			continue;
		}
		if (nc_server_ssh_add_authkey(b64, t, user) == 0)
			n++;
	}
	fclose(f);
	return n;
}

static int setup_ssh(const struct opts *o)
{
	int n;

	if (nc_server_init(ncd.ctx) != 0 || nc_server_add_endpt("ssh", NC_TI_LIBSSH) != 0 ||
	    nc_server_endpt_set_address("ssh", o->addr) != 0 ||
	    nc_server_endpt_set_port("ssh", (uint16_t)o->port) != 0)
		return -1;
	nc_server_ssh_set_hostkey_clb(hostkey_clb, (void *)o->hostkey, NULL);
	if (nc_server_ssh_endpt_add_hostkey("ssh", "hostkey", -1) != 0 ||
	    nc_server_ssh_endpt_set_auth_methods("ssh", NC_SSH_AUTH_PUBLICKEY) != 0)
		return -1;
	n = load_authkeys(o->authkeys, o->user);
	if (n <= 0) {
		fprintf(stderr, "dmm-netconfd: %s: no usable public key\n", o->authkeys);
		return -1;
	}
	/* RFC 5277 §3.1 and §6: libnetconf2 2.0 leaves these two to the server. */
	if (nc_server_set_capability("urn:ietf:params:netconf:capability:notification:1.0") != 0 ||
	    nc_server_set_capability("urn:ietf:params:netconf:capability:interleave:1.0") != 0)
		return -1;
	nc_set_global_rpc_clb(ncd_rpc);
	return 0;
}

/* Drop the sessions nc_ps_poll saw end. */
static void reap(struct nc_pollsession *ps)
{
	for (uint16_t i = 0; i < nc_ps_session_count(ps);) {
		struct nc_session *s = nc_ps_get_session(ps, i);

		if (nc_session_get_status(s) == NC_STATUS_RUNNING) {
			i++;
			continue;
		}
		ncd_session_gone(s);
		nc_ps_del_session(ps, s);
		nc_session_free(s, NULL);
	}
}

static void serve(void)
{
	struct nc_pollsession *ps = nc_ps_new();
	unsigned tick = 0;

	while (ps && !stop) {
		struct nc_session *s = NULL;
		int idle = nc_ps_session_count(ps) == 0;

		if (nc_accept(idle ? 50 : 0, &s) == NC_MSG_HELLO)
			nc_ps_add_session(ps, s);
		if (!idle && nc_ps_poll(ps, 20, &s) & (NC_PSPOLL_SESSION_TERM | NC_PSPOLL_SESSION_ERROR))
			reap(ps);
		if (ncd.events_fd < 0 && tick++ % 20 == 0)
			ncd.events_fd = ncd_ctl_follow(ncd.ctl_path);
		if (ncd.events_fd >= 0)
			ncd_events_read();
	}
	if (ps) {
		nc_ps_clear(ps, 1, NULL);
		nc_ps_free(ps);
	}
}

int main(int argc, char **argv)
{
	struct opts o = {.addr = "::1",
			 .user = "netconf",
			 .port = 830,
			 .yang_dir = "/usr/share/dmm/yang",
			 .std_dir = "/usr/share/yuma/modules"};
	int rc = parse_args(argc, argv, &o);

	if (rc >= 0)
		return rc;
	signal(SIGPIPE, SIG_IGN);
	signal(SIGTERM, on_stop);
	signal(SIGINT, on_stop);
	if (build_ctx(&o) < 0 || setup_ssh(&o) < 0) {
		fprintf(stderr, "dmm-netconfd: cannot start\n");
		return 1;
	}
	fprintf(stderr, "dmm-netconfd: NETCONF over SSH on [%s]:%u for dmmd at %s\n", o.addr, o.port,
		ncd.ctl_path);
	serve();
	nc_server_destroy();
	ly_ctx_destroy(ncd.ctx);
	return 0;
}
