/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * dmm-netconfd: NETCONF (RFC 6241) over SSH (RFC 6242) for one dmmd,
 * with libnetconf2 and libyang. It speaks to dmmd only through dmmd's
 * control socket (daemon/ctl.c): "show ..." for state, "show node" for
 * the config file dmmd runs from, "reload" to apply an edit, "events"
 * for the notifications (RFC 5277). dmmd itself has no SSH and no XML.
 *
 *   ncclient ... --SSH--> dmm-netconfd --control socket--> dmmd
 *
 * Files: main.c (options, SSH endpoint, the poll loop), ctl.c (the
 * control socket client), tree.c (dmmd's JSON as libyang data trees),
 * edit.c (edit-config on a data tree), rpc.c (the operations and the
 * notification stream).
 */
#ifndef DMM_NETCONFD_H
#define DMM_NETCONFD_H

#include <jansson.h>
#include <libyang/libyang.h>
#include <nc_server.h>
#include <stdbool.h>
#include <stddef.h>

/* The daemon's settings and its one libyang context (main.c owns them). */
struct ncd {
	const char *ctl_path; /* dmmd's control socket */
	struct ly_ctx *ctx;
	const struct lys_module *dmm; /* yang/dmm.yang */
	int events_fd;		      /* the "events" stream of dmmd, or -1 */
	char evbuf[8192];	      /* a partial event line */
	size_t evlen;
	struct nc_session *subs[16]; /* sessions with a subscription */
	unsigned nsubs;
	bool verbose;
};

extern struct ncd ncd;

/*
 * ctl.c: one control socket command; the reply as a jansson value (the
 * caller frees it) or NULL with *err set to a static reason.
 */
json_t *ncd_ctl(const char *ctl_path, const char *cmd, const char **err);
/* Open the event stream ("events 0"): a non-blocking fd, or -1. */
int ncd_ctl_follow(const char *ctl_path);

/*
 * tree.c: add JSON value v as the data of schema node s under parent
 * (or at the top when parent is NULL); members the model has no node
 * for, and values a node refuses, are left out.
 */
void ncd_json_put(struct lyd_node *parent, const struct lysc_node *s, json_t *v);
/* Put each member of object o under parent, whose schema is sparent. */
void ncd_json_put_members(struct lyd_node *parent, const struct lysc_node *sparent, json_t *o);
/* The model's state container, filled from dmmd's "show" commands; NULL on error (*err). */
struct lyd_node *ncd_state(const char **err);

/*
 * edit.c: apply the edit-config content edit (a data tree parsed from
 * <config>, with ietf-netconf:operation metadata) to *running, with
 * default operation defop ("merge", "replace" or "none"). On error
 * returns -1 with *tag an NC_ERR value, path and msg filled.
 */
int ncd_edit(struct lyd_node **running, const struct lyd_node *edit, const char *defop, NC_ERR *tag,
	     char *path, size_t pathlen, char *msg, size_t msglen);

/* Whether the opaque nodes of edit (values the model refuses) are all deleted or removed. */
bool ncd_edit_opaque_ok(const struct lyd_node *edit);

/* rpc.c: the callback for every RPC, and the event stream's reader. */
struct nc_server_reply *ncd_rpc(struct lyd_node *rpc, struct nc_session *session);
void ncd_events_read(void);
void ncd_session_gone(struct nc_session *s);

#endif
