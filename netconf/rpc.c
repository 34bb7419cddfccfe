/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The NETCONF operations (RFC 6241 §7) and notifications (RFC 5277).
 *
 * The running datastore is the config file dmmd runs from ("show node"
 * names it). get-config reads and validates it against yang/dmm.yang;
 * edit-config applies the edit to a copy, validates the copy (an error
 * names the path), writes it in place of the file and asks dmmd to
 * "reload"; when dmmd refuses the new file, the old one is put back, so
 * the running config stays either way. get adds the model's 'state'
 * from dmmd's "show" commands. Each line of dmmd's event stream becomes
 * the notification of the same name for every subscribed session.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nc.h"

static struct nc_server_reply *err_reply(NC_ERR tag, const char *path, const char *msg)
{
	struct lyd_node *e;

	if (tag == NC_ERR_DATA_EXISTS || tag == NC_ERR_DATA_MISSING)
		e = nc_err(ncd.ctx, tag);
	else
		e = nc_err(ncd.ctx, tag, NC_ERR_TYPE_APP);
	if (path && *path)
		nc_err_set_path(e, path);
	if (msg)
		nc_err_set_msg(e, msg, "en");
	return nc_server_reply_err(e);
}

/*
 * libyang's last error as an rpc-error with its path. A parser's error
 * has its path inside a sentence (Data location "/dmm:node/...", line
 * number 3.): the quoted part is the path.
 */
static struct nc_server_reply *ly_reply(NC_ERR tag, const char *what)
{
	const struct ly_err_item *le = ly_err_last(ncd.ctx);
	const char *p = le && le->path ? le->path : "/dmm:node", *q = strchr(p, '"');
	char msg[2600], path[1024];

	if (q && strchr(q + 1, '"'))
		snprintf(path, sizeof(path), "%.*s", (int)(strchr(q + 1, '"') - q - 1), q + 1);
	else
		snprintf(path, sizeof(path), "%s", p);
	snprintf(msg, sizeof(msg), "%s: %s: %s", what, path, le && le->msg ? le->msg : "invalid");
	return err_reply(tag, path, msg);
}

/* The config file dmmd runs from, as dmmd's "show node" says. */
static int config_path(char *out, size_t len, const char **err)
{
	json_t *j = ncd_ctl(ncd.ctl_path, "show node", err);
	const char *p = j ? json_string_value(json_object_get(j, "config")) : NULL;

	int rc = p && *p ? 0 : -1;

	if (rc == 0)
		snprintf(out, len, "%s", p);
	else if (j)
		*err = "dmmd does not name its config file";
	json_decref(j);
	return rc;
}

/* The running config as a validated tree (NULL tree: an empty file); -1 with a reply on error. */
static int running(char *path, size_t len, struct lyd_node **tree, struct nc_server_reply **r)
{
	const char *err = NULL;

	*tree = NULL;
	if (config_path(path, len, &err) < 0) {
		*r = err_reply(NC_ERR_OP_FAILED, NULL, err);
		return -1;
	}
	ly_err_clean(ncd.ctx, NULL);
	if (lyd_parse_data_path(ncd.ctx, path, LYD_JSON, LYD_PARSE_STRICT, LYD_VALIDATE_PRESENT, tree) !=
	    LY_SUCCESS) {
		*r = ly_reply(NC_ERR_OP_FAILED, "the running config does not validate");
		return -1;
	}
	return 0;
}

/* The reply of get or get-config: the operation's output with its anydata 'data'. */
static struct nc_server_reply *data_reply(const struct lyd_node *rpc, struct lyd_node *data)
{
	struct lyd_node *out = NULL;

	if (lyd_dup_single(rpc, NULL, 0, &out) != LY_SUCCESS ||
	    lyd_new_any(out, NULL, "data", data, 1, LYD_ANYDATA_DATATREE, 1, NULL) != LY_SUCCESS) {
		lyd_free_all(data);
		lyd_free_all(out);
		return err_reply(NC_ERR_OP_FAILED, NULL, "cannot build the reply");
	}
	return nc_server_reply_data(out, NC_WD_EXPLICIT, NC_PARAMTYPE_FREE);
}

static bool running_target(const struct lyd_node *rpc, const char *which)
{
	struct lyd_node *t = NULL;

	return lyd_find_path(rpc, which, 0, &t) == LY_SUCCESS && lyd_child(t) &&
	       !strcmp(LYD_NAME(lyd_child(t)), "running");
}

static struct nc_server_reply *op_get_config(struct lyd_node *rpc)
{
	struct nc_server_reply *r = NULL;
	struct lyd_node *tree;
	char path[4096];

	if (!running_target(rpc, "source"))
		return err_reply(NC_ERR_OP_NOT_SUPPORTED, NULL, "only the running datastore exists");
	if (running(path, sizeof(path), &tree, &r) < 0)
		return r;
	return data_reply(rpc, tree);
}

static struct nc_server_reply *op_get(struct lyd_node *rpc)
{
	struct nc_server_reply *r = NULL;
	struct lyd_node *tree, *st;
	const char *err = NULL;
	char path[4096];

	if (running(path, sizeof(path), &tree, &r) < 0)
		return r;
	st = ncd_state(&err);
	if (!st) {
		lyd_free_all(tree);
		return err_reply(NC_ERR_OP_FAILED, NULL, err);
	}
	if (lyd_insert_sibling(tree, st, &tree) != LY_SUCCESS) {
		lyd_free_all(tree);
		lyd_free_all(st);
		return err_reply(NC_ERR_OP_FAILED, NULL, "cannot build the reply");
	}
	return data_reply(rpc, tree);
}

/* Write text to path through a temporary file and a rename: dmmd never reads half a file. */
static int write_file(const char *path, const char *text)
{
	char tmp[4200];
	FILE *f;
	int ok;

	snprintf(tmp, sizeof(tmp), "%s.netconf-tmp", path);
	f = fopen(tmp, "w");
	if (!f)
		return -1;
	ok = fputs(text, f) >= 0 && fflush(f) == 0 && fsync(fileno(f)) == 0;
	if (fclose(f) != 0 || !ok || rename(tmp, path) != 0) {
		unlink(tmp);
		return -1;
	}
	return 0;
}

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "r");
	char *s = NULL;
	size_t n = 0;

	if (!f)
		return NULL;
	if (getdelim(&s, &n, '\0', f) < 0) {
		free(s);
		s = NULL;
	}
	fclose(f);
	return s;
}

/* Write the new config, ask dmmd to reload it; put the old file back when dmmd refuses. */
static struct nc_server_reply *commit(const char *path, const struct lyd_node *tree)
{
	char *old = read_file(path), *text = NULL, msg[1024];
	const char *err = NULL, *reason;
	json_t *j;

	if (!old || lyd_print_mem(&text, tree, LYD_JSON, LYD_PRINT_WITHSIBLINGS | LYD_PRINT_WD_EXPLICIT) ||
	    write_file(path, text) < 0) {
		free(old);
		free(text);
		return err_reply(NC_ERR_OP_FAILED, NULL, "cannot write dmmd's config file");
	}
	free(text);
	j = ncd_ctl(ncd.ctl_path, "reload", &err);
	if (j && json_object_get(j, "reload")) {
		json_decref(j);
		free(old);
		return nc_server_reply_ok();
	}
	reason = j ? json_string_value(json_object_get(j, "reason")) : err;
	snprintf(msg, sizeof(msg), "dmmd refused the new config, running config kept: %s",
		 reason ? reason : "no reason given");
	if (write_file(path, old) < 0)
		snprintf(msg, sizeof(msg),
			 "dmmd refused the new config and the old file could not be restored");
	json_decref(j);
	free(old);
	/* dmmd's reasons start with the path ("dmm:node: ..."). */
	return err_reply(NC_ERR_INVALID_VALUE, "/dmm:node", msg);
}

/* The <config> of edit-config as a data tree with its operation attributes. */
static struct nc_server_reply *edit_content(struct lyd_node *rpc, struct lyd_node **edit)
{
	struct lyd_node *cfg = NULL;
	char *xml = NULL;
	LY_ERR rc;

	*edit = NULL;
	if (lyd_find_path(rpc, "config", 0, &cfg) != LY_SUCCESS)
		return err_reply(NC_ERR_OP_NOT_SUPPORTED, NULL, "only <config> edits (no <url>)");
	if (lyd_any_value_str(cfg, &xml) != LY_SUCCESS)
		return err_reply(NC_ERR_OP_FAILED, NULL, "cannot read <config>");
	if (!xml)
		return NULL;
	ly_err_clean(ncd.ctx, NULL);
	rc = lyd_parse_data_mem(ncd.ctx, xml, LYD_XML, LYD_PARSE_ONLY | LYD_PARSE_STRICT, 0, edit);
	if (rc != LY_SUCCESS) {
		struct nc_server_reply *r = ly_reply(NC_ERR_INVALID_VALUE, "edit refused");

		/* A leaf to delete may come without a value: parse again, opaque nodes allowed. */
		if (lyd_parse_data_mem(ncd.ctx, xml, LYD_XML, LYD_PARSE_ONLY | LYD_PARSE_OPAQ, 0, edit) !=
			    LY_SUCCESS ||
		    !ncd_edit_opaque_ok(*edit)) {
			lyd_free_all(*edit);
			*edit = NULL;
			free(xml);
			return r;
		}
		nc_server_reply_free(r);
	}
	free(xml);
	return NULL;
}

static struct nc_server_reply *op_edit_config(struct lyd_node *rpc)
{
	struct nc_server_reply *r = NULL;
	struct lyd_node *tree = NULL, *edit = NULL, *dop = NULL;
	char path[4096], epath[1024], msg[1024];
	NC_ERR tag;

	if (!running_target(rpc, "target"))
		return err_reply(NC_ERR_OP_NOT_SUPPORTED, NULL, "only the running datastore exists");
	if (running(path, sizeof(path), &tree, &r) < 0)
		return r;
	if ((r = edit_content(rpc, &edit)) != NULL) {
		lyd_free_all(tree);
		return r;
	}
	lyd_find_path(rpc, "default-operation", 0, &dop);
	if (ncd_edit(&tree, edit, dop ? lyd_get_value(dop) : "merge", &tag, epath, sizeof(epath), msg,
		     sizeof(msg)) < 0) {
		r = err_reply(tag, epath, msg);
	} else {
		ly_err_clean(ncd.ctx, NULL);
		if (lyd_validate_all(&tree, ncd.ctx, LYD_VALIDATE_PRESENT, NULL) != LY_SUCCESS)
			r = ly_reply(NC_ERR_INVALID_VALUE,
				     "the edited config does not validate, running config kept");
		else
			r = commit(path, tree);
	}
	lyd_free_all(edit);
	lyd_free_all(tree);
	return r;
}

/* RFC 5277 §2.1.1: the one stream, NETCONF; no replay (startTime refused). */
static struct nc_server_reply *op_subscribe(struct lyd_node *rpc, struct nc_session *s)
{
	struct lyd_node *n = NULL;

	if (lyd_find_path(rpc, "stream", 0, &n) == LY_SUCCESS && strcmp(lyd_get_value(n), "NETCONF") != 0)
		return err_reply(NC_ERR_INVALID_VALUE, NULL, "no such stream: there is only NETCONF");
	if (lyd_find_path(rpc, "startTime", 0, &n) == LY_SUCCESS)
		return err_reply(NC_ERR_OP_NOT_SUPPORTED, NULL, "replay is not supported");
	if (lyd_find_path(rpc, "filter", 0, &n) == LY_SUCCESS)
		return err_reply(NC_ERR_OP_NOT_SUPPORTED, NULL, "filters on the stream are not supported");
	if (nc_session_get_notif_status(s))
		return err_reply(NC_ERR_IN_USE, NULL, "this session has a subscription already");
	if (ncd.nsubs == sizeof(ncd.subs) / sizeof(ncd.subs[0]))
		return err_reply(NC_ERR_RES_DENIED, NULL, "too many subscriptions");
	nc_session_inc_notif_status(s);
	ncd.subs[ncd.nsubs++] = s;
	return nc_server_reply_ok();
}

struct nc_server_reply *ncd_rpc(struct lyd_node *rpc, struct nc_session *session)
{
	const char *op = LYD_NAME(rpc);

	if (ncd.verbose)
		fprintf(stderr, "dmm-netconfd: session %u: %s\n", nc_session_get_id(session), op);
	if (!strcmp(op, "get-config"))
		return op_get_config(rpc);
	if (!strcmp(op, "get"))
		return op_get(rpc);
	if (!strcmp(op, "edit-config"))
		return op_edit_config(rpc);
	if (!strcmp(op, "create-subscription"))
		return op_subscribe(rpc, session);
	if (!strcmp(op, "lock") || !strcmp(op, "unlock")) /* one datastore, edits applied whole */
		return nc_server_reply_ok();
	return err_reply(NC_ERR_OP_NOT_SUPPORTED, NULL, "operation not supported by dmm-netconfd");
}

void ncd_session_gone(struct nc_session *s)
{
	for (unsigned i = 0; i < ncd.nsubs; i++)
		if (ncd.subs[i] == s) {
			ncd.subs[i] = ncd.subs[--ncd.nsubs];
			break;
		}
}

/* One event line of dmmd as the notification of the same name, to every subscriber. */
static void notify(const char *line)
{
	json_t *j = json_loads(line, 0, NULL);
	const char *type = json_string_value(json_object_get(j, "event"));
	const char *time = json_string_value(json_object_get(j, "time"));
	const struct lysc_node *s = type ? lys_find_child(NULL, ncd.dmm, type, 0, LYS_NOTIF, 0) : NULL;
	struct lyd_node *n = NULL;

	if (s && time && lyd_new_inner(NULL, ncd.dmm, type, 0, &n) == LY_SUCCESS) {
		ncd_json_put_members(n, s, j);
		for (unsigned i = 0; i < ncd.nsubs; i++) {
			struct nc_server_notif *nf = nc_server_notif_new(n, (char *)time, NC_PARAMTYPE_CONST);

			if (nf && nc_server_notif_send(ncd.subs[i], nf, 1000) != NC_MSG_NOTIF && ncd.verbose)
				fprintf(stderr, "dmm-netconfd: notification %s not sent\n", type);
			nc_server_notif_free(nf);
		}
		lyd_free_all(n);
	} else if (ncd.verbose) {
		fprintf(stderr, "dmm-netconfd: event without a notification: %s", line);
	}
	json_decref(j);
}

void ncd_events_read(void)
{
	for (;;) {
		ssize_t r = read(ncd.events_fd, ncd.evbuf + ncd.evlen, sizeof(ncd.evbuf) - 1 - ncd.evlen);
		char *nl;

		if (r < 0 && errno == EINTR)
			continue;
		if (r == 0 || (r < 0 && errno != EAGAIN)) { /* dmmd went away: follow again later */
			close(ncd.events_fd);
			ncd.events_fd = -1;
			ncd.evlen = 0;
			return;
		}
		if (r < 0)
			return;
		ncd.evlen += (size_t)r;
		ncd.evbuf[ncd.evlen] = 0;
		while ((nl = strchr(ncd.evbuf, '\n')) != NULL) {
			*nl = 0;
			notify(ncd.evbuf);
			ncd.evlen -= (size_t)(nl + 1 - ncd.evbuf);
			memmove(ncd.evbuf, nl + 1, ncd.evlen + 1);
		}
		if (ncd.evlen == sizeof(ncd.evbuf) - 1) /* a line longer than any event: drop it */
			ncd.evlen = 0;
	}
}
