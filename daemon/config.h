/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * dmmd configuration: the RFC 7951 JSON encoding of the dmm YANG model's
 * config subtree. Loading validates everything against yang/dmm.yang
 * through libyang (yangcfg.h), then the rules YANG cannot state, before
 * anything is applied; an error names the data path and the reason.
 */
#ifndef DMMD_CONFIG_H
#define DMMD_CONFIG_H

#include "dmm/cmd.h"
#include "dmm/dataplane.h"
#include "dmm/lma.h"
#include "dmm/maar.h"
#include "dmm/mag.h"
#include "dmm/policy.h"

enum dmmd_role { DMMD_ROLE_LMA, DMMD_ROLE_MAG, DMMD_ROLE_MAAR, DMMD_ROLE_CMD };
enum dmmd_transport { DMMD_TRANSPORT_IP6, DMMD_TRANSPORT_UDP };

#define DMMD_MAX_ACCESS 16
#define DMMD_PATH_MAX 108
#define DMMD_STATE_PATH_MAX 256
#define DMMD_MAX_PEERS 64
/* Longest NAI realm: "xx-xx-xx-xx-xx-xx@" (18 octets) plus the realm fit one MN-ID (255). */
#define DMMD_REALM_MAX 237
/* The longest PvD domain: "anchored." (9 octets in DNS wire form, 10 with the root) leaves 245. */
#define DMMD_PVD_DOMAIN_MAX 244

/* How a MAG or MAAR names a host it sees on an access link by its MAC. */
enum dmmd_mnid_form {
	DMMD_MNID_FORM_EUI48, /* RFC 8371 subtype 5: the MAC itself */
	DMMD_MNID_FORM_NAI,   /* RFC 4283 subtype 1: "02-00-00-00-01-01@realm" */
};

/* RFC 4285 §5.1 MN-HA algorithms (dmm:node/security): the MAC, truncated. */
enum dmmd_auth_alg {
	DMMD_AUTH_HMAC_SHA1_96,	   /* First(96, HMAC-SHA1), key 16 octets (RFC 4285 §5.1) */
	DMMD_AUTH_HMAC_SHA256_128, /* First(128, HMAC-SHA256), key 32 octets */
};

#define DMMD_SA_KEYS 2	    /* the current key and the next one (rollover) */
#define DMMD_KEY_MAX 32	    /* octets */
#define DMMD_SA_SPI_MIN 256 /* RFC 4285 §5.1: SPIs 0-255 are reserved */

/* One key of a mobility security association. The key octets are never logged or shown. */
struct dmmd_sa_key {
	uint32_t spi;
	enum dmmd_auth_alg alg;
	uint8_t keylen;
	uint8_t key[DMMD_KEY_MAX];
	char file[DMMD_STATE_PATH_MAX]; /* where it was read from */
};

/* A mobility security association with one peer (dmm:node/security/associations). */
struct dmmd_sa_cfg {
	struct dmm_addr peer;
	uint32_t nkeys; /* 1 or 2; keys[0] signs, any verifies */
	struct dmmd_sa_key keys[DMMD_SA_KEYS];
	uint32_t replay_window; /* seconds, RFC 4285 §6 "close enough" (7) */
};

/* Per-peer settings (dmm:node/peers). */
struct dmmd_peer_cfg {
	struct dmm_addr address;
	bool heartbeat; /* false: never send this peer Heartbeat Requests (RFC 5847) */
};

/* dmm:node/monitoring (docs/operations.md): metrics over HTTP, usage records. */
struct dmmd_monitoring_cfg {
	bool metrics;			      /* metrics container present: serve /metrics */
	char metrics_address[64];	      /* IPv6 or IPv4 literal, "::1" by default */
	uint16_t metrics_port;		      /* 9437 by default */
	char usage_file[DMMD_STATE_PATH_MAX]; /* usage records appended here ("": none) */
	int usage_syslog;		      /* syslog facility (LOG_LOCAL0, ...), or -1: none */
};

/* dmm:node/multicast (daemon/mcast.c): the MLD proxy of a MAG or MAAR (RFC 6224 §4, RFC 4605). */
enum dmmd_mcast_mode { DMMD_MCAST_OFF, DMMD_MCAST_DIRECT, DMMD_MCAST_VIA_ANCHOR };

struct dmmd_mcast_cfg {
	enum dmmd_mcast_mode mode;	/* direct: subscribe natively on upstream (RFC 7429 REQ8) */
	char upstream[DMM_DP_IFNAMSIZ]; /* the interface toward the multicast network */
	struct dmm_addr anchor;		/* via-anchor: the anchor (this node's address: it is the anchor) */
	uint32_t robustness;		/* RFC 3810 §9.1 */
	dmm_time_t query_interval, response, last_listener; /* RFC 3810 §9.2, §9.3, §9.8 */
};

struct dmmd_config {
	char name[64];
	enum dmmd_role role;
	enum dmmd_transport transport;
	char dataplane[16];	      /* "kernel", "user" or "bpf" */
	char ctl_path[DMMD_PATH_MAX]; /* UNIX control socket */
	char log_level[8];
	struct dmm_addr address;
	struct dmm_lma_cfg lma;	  /* role lma; policy pointer filled by the daemon */
	struct dmm_mag_cfg mag;	  /* role mag; policy pointer filled by the daemon */
	struct dmm_maar_cfg maar; /* role maar (RFC 8885) */
	struct dmm_cmd_cfg cmd;	  /* role cmd (RFC 8885) */
	/* Mobile node profiles and the default profile (policy store content). */
	uint32_t nprofiles;
	struct dmm_policy_profile *profiles; /* owned, malloc'd */
	bool has_default;
	struct dmm_policy_profile default_profile;
	bool any_mag;
	uint32_t nmags;
	struct dmm_addr *mags; /* owned: authorised MAGs (LMA) */
	/* MAG and MAAR access side (RFC 5213 §6.8: one link-local address and MAC for every MAG). */
	uint32_t naccess;
	char access[DMMD_MAX_ACCESS][DMM_DP_IFNAMSIZ]; /* interface name patterns (fnmatch) */
	struct dmm_addr access_lla;
	uint8_t access_mac[6];
	uint32_t ra_interval_s; /* unsolicited RA period per registered MN */
	uint32_t router_lifetime_s;
	uint32_t ra_mtu; /* MTU option in RAs: the tunnel's, 1460 by default */
	char tun_name[DMM_DP_IFNAMSIZ];
	bool attach_probe; /* elicit a host's first frame when an access link's carrier comes up */
	/* Downlink held per BUFFER intent (a detached MN's prefix): bounds in packets, bytes, age. */
	uint32_t buffer_packets, buffer_bytes, buffer_time_ms;
	/* MAG and MAAR: the MN-ID built from a host's MAC. */
	enum dmmd_mnid_form mnid_form;
	char nai_realm[DMMD_REALM_MAX + 1];
	/* RFC 8801: prefixes advertised in PvD options "anchored.<it>" and "local.<it>" ("": none; pvd.c). */
	char pvd_domain[DMMD_PVD_DOMAIN_MAX + 1];
	/*
	 * RFC 5847 §3.2: the Restart Counter persists in state_file. The
	 * configured restart-counter is the value before the first start
	 * (used only while state_file does not exist); main.c reads the file,
	 * adds 1 and hands the result to the role (dmmd_config_set_restart_counter).
	 */
	char state_file[DMMD_STATE_PATH_MAX];
	uint32_t restart_counter_initial;
	uint32_t npeers;
	struct dmmd_peer_cfg peers[DMMD_MAX_PEERS];
	/* RFC 4285 associations, at most one per peer (dmm:node/security). */
	uint32_t nsa;
	struct dmmd_sa_cfg *sa; /* owned, malloc'd; key octets wiped by dmmd_config_free */
	/*
	 * MAAR (docs/dmm-protocol.md §11): the kernel routing table dmmd keeps
	 * its anchored prefixes in, for the routing daemon to announce, and the
	 * one the routing daemon installs the network's routes in, which dmmd
	 * watches. 0: none.
	 */
	uint32_t anchored_table, routed_table;
	struct dmmd_monitoring_cfg mon;
	struct dmmd_mcast_cfg mcast;
	/* MAG: the LMA by DNS name (RFC 6097, daemon/lmadisc.c); name[0] == 0: by address (mag.default_lma). */
	struct dmmd_disc_cfg {
		char name[254];		/* inet:domain-name */
		bool has_server;	/* false: the resolvers of /etc/resolv.conf */
		struct dmm_addr server; /* the DNS server to ask */
		uint32_t min_ttl_s, max_ttl_s;
		uint16_t
			port; /* not in the model: 0 is 53; tests/daemon/lmadisc.sh asks a server on another */
	} disc;
};

/*
 * Parse and validate the config file at path into *cfg (which the caller
 * frees with dmmd_config_free). On error returns -1 and writes "<data
 * path>: reason" (e.g. "/dmm:node/lma/max-lifetime: ...") into err; *cfg
 * is then untouched.
 */
int dmmd_config_load(const char *path, struct dmmd_config *cfg, char *err, size_t errlen);

/* Same, from a JSON text. */
int dmmd_config_parse(const char *text, struct dmmd_config *cfg, char *err, size_t errlen);

/* The role's name as in the config ("lma", "mag", "maar", "cmd"). */
const char *dmmd_role_name(enum dmmd_role r);

/* True for the roles with access links (MAG, MAAR). */
static inline bool dmmd_role_has_access(enum dmmd_role r)
{
	return r == DMMD_ROLE_MAG || r == DMMD_ROLE_MAAR;
}

/* The data plane's local address: an LMA's user-plane address if it has one, else the node address. */
struct dmm_addr dmmd_config_dp_local(const struct dmmd_config *cfg);

/* Set the Restart Counter (RFC 5847 §3.2) every role's config carries. */
void dmmd_config_set_restart_counter(struct dmmd_config *cfg, uint32_t counter);

/* The Restart Counter the role configs carry (the running one once main.c set it). */
uint32_t dmmd_config_restart_counter(const struct dmmd_config *cfg);

/*
 * The MN-ID of the host with link-layer address mac, in the form cfg
 * asks for: EUI-48 (RFC 8371 §4.3) or an NAI (RFC 4283 §3) of the MAC
 * as six lower-case hex pairs joined by dashes, "@", the realm.
 */
void dmmd_config_mnid_of_mac(const struct dmmd_config *cfg, const uint8_t mac[6], struct dmm_mnid *out);

/* The security association with peer, or NULL. */
const struct dmmd_sa_cfg *dmmd_config_sa(const struct dmmd_config *cfg, const struct dmm_addr *peer);

/* "hmac-sha1-96", "hmac-sha256-128". */
const char *dmmd_auth_alg_name(enum dmmd_auth_alg alg);

/* Free what a loaded config owns (key octets wiped first); accepts a zeroed config. */
void dmmd_config_free(struct dmmd_config *cfg);

/*
 * Whether new can replace old in a running daemon (SIGHUP). Fields that
 * need a restart (role, address, transport, data plane, pools,
 * capacities, access interfaces) must be equal; otherwise -1 and the
 * reason in err.
 */
int dmmd_config_reloadable(const struct dmmd_config *old, const struct dmmd_config *new, char *err,
			   size_t errlen);

#endif
