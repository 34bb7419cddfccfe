/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * edit-config (RFC 6241 §7.2) on a data tree: the operations merge,
 * replace, create, delete and remove, given per node by the
 * ietf-netconf "operation" attribute and inherited down the tree, with
 * default-operation merge, replace or none at the top. The caller
 * works on a copy of the running tree and validates the result, so a
 * failed edit leaves nothing behind.
 */
#include <stdio.h>
#include <string.h>

#include "nc.h"

enum op { OP_NONE, OP_MERGE, OP_REPLACE, OP_CREATE, OP_DELETE, OP_REMOVE };

struct edit_err {
	NC_ERR *tag;
	char *path, *msg;
	size_t pathlen, msglen;
};

static enum op op_parse(const char *s, enum op dflt)
{
	static const char *const names[] = {"none", "merge", "replace", "create", "delete", "remove"};

	for (unsigned i = 0; s && i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(s, names[i]) == 0)
			return (enum op)i;
	return dflt;
}

/* The node's own operation attribute (metadata, or an attribute of an opaque node), else inherited. */
static enum op op_of(const struct lyd_node *n, enum op inherited)
{
	if (n->schema) {
		for (const struct lyd_meta *m = n->meta; m; m = m->next)
			if (!strcmp(m->name, "operation") &&
			    !strcmp(m->annotation->module->name, "ietf-netconf"))
				return op_parse(lyd_get_meta_value(m), inherited);
		return inherited;
	}
	for (const struct lyd_attr *a = ((const struct lyd_node_opaq *)n)->attr; a; a = a->next)
		if (!strcmp(a->name.name, "operation"))
			return op_parse(a->value, inherited);
	return inherited;
}

static const char *node_name(const struct lyd_node *n)
{
	return n->schema ? n->schema->name : ((const struct lyd_node_opaq *)n)->name.name;
}

static int fail(struct edit_err *e, NC_ERR tag, const struct lyd_node *n, const char *what)
{
	char *p = lyd_path(n, LYD_PATH_STD, NULL, 0);

	*e->tag = tag;
	snprintf(e->path, e->pathlen, "%s", p ? p : "/");
	snprintf(e->msg, e->msglen, "%s: %s", p ? p : node_name(n), what);
	free(p);
	return -1;
}

/* The sibling of first that is the same instance as edit node n (by name for an opaque n). */
static struct lyd_node *match(struct lyd_node *first, const struct lyd_node *n)
{
	struct lyd_node *m = NULL;

	if (!first)
		return NULL;
	if (n->schema) {
		lyd_find_sibling_first(first, n, &m);
		return m;
	}
	for (m = first; m; m = m->next)
		if (m->schema && !strcmp(m->schema->name, node_name(n)))
			return m;
	return NULL;
}

static int insert(struct lyd_node *tparent, struct lyd_node **tfirst, struct lyd_node *dup)
{
	if (tparent)
		return lyd_insert_child(tparent, dup) == LY_SUCCESS ? 0 : -1;
	return lyd_insert_sibling(*tfirst, dup, tfirst) == LY_SUCCESS ? 0 : -1;
}

static void unlink_free(struct lyd_node **tfirst, struct lyd_node *t)
{
	if (tfirst && *tfirst == t)
		*tfirst = t->next;
	lyd_free_tree(t);
}

static int apply_siblings(struct lyd_node *tparent, struct lyd_node **tfirst, const struct lyd_node *efirst,
			  enum op inherited, struct edit_err *e);

/* Copy edit node n (its whole subtree, or only itself and its keys) into the target. */
static int copy_in(struct lyd_node *tparent, struct lyd_node **tfirst, const struct lyd_node *n, bool deep,
		   struct lyd_node **out, struct edit_err *e)
{
	struct lyd_node *dup = NULL;

	if (lyd_dup_single(n, NULL, (deep ? LYD_DUP_RECURSIVE : 0) | LYD_DUP_NO_META, &dup) != LY_SUCCESS ||
	    insert(tparent, tfirst, dup) < 0) {
		lyd_free_tree(dup);
		return fail(e, NC_ERR_OP_FAILED, n, "cannot be added");
	}
	if (out)
		*out = dup;
	return 0;
}

/* merge (or none): descend into inner nodes, set leaves, add what is missing. */
static int merge_one(struct lyd_node *tparent, struct lyd_node **tfirst, struct lyd_node *t,
		     const struct lyd_node *n, enum op op, struct edit_err *e)
{
	if (n->schema->nodetype & LYD_NODE_TERM) {
		if (op == OP_NONE)
			return 0;
		if (!t)
			return copy_in(tparent, tfirst, n, false, NULL, e);
		if (n->schema->nodetype == LYS_LEAF && lyd_change_term(t, lyd_get_value(n)) == LY_EVALID)
			return fail(e, NC_ERR_INVALID_VALUE, n, "invalid value");
		return 0;
	}
	if (!t && copy_in(tparent, tfirst, n, false, &t, e) < 0)
		return -1;
	return apply_siblings(t, NULL, lyd_child_no_keys(n), op, e);
}

static int apply_one(struct lyd_node *tparent, struct lyd_node **tfirst, const struct lyd_node *n,
		     enum op inherited, struct edit_err *e)
{
	enum op op = op_of(n, inherited);
	struct lyd_node *t = match(tparent ? lyd_child(tparent) : *tfirst, n);

	if (n->schema && lysc_is_key(n->schema))
		return 0;
	switch (op) {
	case OP_DELETE:
		if (!t)
			return fail(e, NC_ERR_DATA_MISSING, n, "delete: no such node in the running config");
		unlink_free(tfirst, t);
		return 0;
	case OP_REMOVE:
		if (t)
			unlink_free(tfirst, t);
		return 0;
	default:
		break;
	}
	if (!n->schema)
		return fail(e, NC_ERR_INVALID_VALUE, n, "not a node of the model, or an invalid value");
	switch (op) {
	case OP_CREATE:
		if (t)
			return fail(e, NC_ERR_DATA_EXISTS, n, "create: the node exists");
		return copy_in(tparent, tfirst, n, true, NULL, e);
	case OP_REPLACE:
		if (t)
			unlink_free(tfirst, t);
		return copy_in(tparent, tfirst, n, true, NULL, e);
	default:
		return merge_one(tparent, tfirst, t, n, op, e);
	}
}

static int apply_siblings(struct lyd_node *tparent, struct lyd_node **tfirst, const struct lyd_node *efirst,
			  enum op inherited, struct edit_err *e)
{
	for (const struct lyd_node *n = efirst; n; n = n->next)
		if (apply_one(tparent, tfirst, n, inherited, e) < 0)
			return -1;
	return 0;
}

bool ncd_edit_opaque_ok(const struct lyd_node *edit)
{
	for (const struct lyd_node *top = edit; top; top = top->next) {
		const struct lyd_node *n;

		LYD_TREE_DFS_BEGIN(top, n)
		{
			enum op op = op_of(n, OP_MERGE);

			if (!n->schema && op != OP_DELETE && op != OP_REMOVE)
				return false;
			LYD_TREE_DFS_END(top, n);
		}
	}
	return true;
}

int ncd_edit(struct lyd_node **running, const struct lyd_node *edit, const char *defop, NC_ERR *tag,
	     char *path, size_t pathlen, char *msg, size_t msglen)
{
	struct edit_err e = {tag, path, msg, pathlen, msglen};
	enum op d = op_parse(defop, OP_MERGE);

	if (d == OP_REPLACE) { /* the whole config becomes the edit's content */
		lyd_free_all(*running);
		*running = NULL;
		for (const struct lyd_node *n = edit; n; n = n->next)
			if (op_of(n, OP_REPLACE) != OP_DELETE && op_of(n, OP_REPLACE) != OP_REMOVE &&
			    copy_in(NULL, running, n, true, NULL, &e) < 0)
				return -1;
		return 0;
	}
	return apply_siblings(NULL, running, edit, d, &e);
}
