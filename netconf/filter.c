/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Filters of get and get-config: subtree (RFC 6241 §6), walked against
 * the data by node name (containment, selection and content match
 * nodes; a selection node such as <role/> that no value fits is read as
 * an opaque node), and XPath (RFC 6241 §8.9, the :xpath capability's
 * filter, evaluated by libyang). What matches is copied with its parents
 * into the reply.
 */
#include <stdio.h>
#include <string.h>

#include "nc.h"

static const char *fname(const struct lyd_node *n)
{
	return n->schema ? n->schema->name : ((const struct lyd_node_opaq *)n)->name.name;
}

/* A content match node: a leaf with a value (RFC 6241 §6.2.5). */
static const char *match_value(const struct lyd_node *n)
{
	const char *v = NULL;

	if (n->schema && (n->schema->nodetype & LYD_NODE_TERM))
		v = lyd_get_value(n);
	else if (!n->schema && !lyd_child(n))
		v = ((const struct lyd_node_opaq *)n)->value;
	return v && *v ? v : NULL;
}

/* Copy d (its subtree) with its parents into *out. */
static int copy_out(const struct lyd_node *d, struct lyd_node **out)
{
	struct lyd_node *dup = NULL;

	if (lyd_dup_single(d, NULL, LYD_DUP_RECURSIVE | LYD_DUP_WITH_PARENTS, &dup) != LY_SUCCESS)
		return -1;
	while (dup->parent)
		dup = lyd_parent(dup);
	return lyd_merge_siblings(out, dup, LYD_MERGE_DESTRUCT) == LY_SUCCESS ? 0 : -1;
}

/* Whether every content match child of filter node f has its value among d's children. */
static bool content_matches(const struct lyd_node *d, const struct lyd_node *f)
{
	for (const struct lyd_node *c = lyd_child(f); c; c = c->next) {
		const char *v = match_value(c);
		bool found = !v;

		for (const struct lyd_node *e = lyd_child(d); v && e && !found; e = e->next)
			found = e->schema && (e->schema->nodetype & LYD_NODE_TERM) &&
				!strcmp(e->schema->name, fname(c)) && !strcmp(lyd_get_value(e), v);
		if (!found)
			return false;
	}
	return true;
}

/*
 * RFC 6241 §6.2: data siblings ds against filter siblings fs. A filter
 * node without selection children selects the whole matching subtree;
 * otherwise its content match leaves and its selections are copied.
 */
static int subtree(const struct lyd_node *ds, const struct lyd_node *fs, struct lyd_node **out)
{
	for (const struct lyd_node *d = ds; d; d = d->next)
		for (const struct lyd_node *f = fs; f; f = f->next) {
			bool sel = false;

			if (!d->schema || strcmp(d->schema->name, fname(f)) || match_value(f))
				continue;
			if (!content_matches(d, f))
				continue;
			for (const struct lyd_node *c = lyd_child(f); c; c = c->next)
				sel = sel || !match_value(c);
			if (!sel && copy_out(d, out) < 0)
				return -1;
			if (sel && subtree(lyd_child(d), lyd_child(f), out) < 0)
				return -1;
			for (const struct lyd_node *e = lyd_child(d); sel && e; e = e->next)
				for (const struct lyd_node *c = lyd_child(f); c; c = c->next)
					if (match_value(c) && e->schema &&
					    !strcmp(e->schema->name, fname(c)) && copy_out(e, out) < 0)
						return -1;
		}
	return 0;
}

/* A subtree filter's content (opaque where no value fits: <role/>) applied to data. */
static int subtree_filter(const struct lyd_node *filter, const struct lyd_node *data, struct lyd_node **out)
{
	struct lyd_node *f = NULL;
	char *xml = NULL;
	int rc = 0;

	if (lyd_any_value_str(filter, &xml) != LY_SUCCESS)
		return -1;
	if (!xml) /* an empty filter selects nothing (RFC 6241 §6.4.2) */
		return 0;
	if (lyd_parse_data_mem(ncd.ctx, xml, LYD_XML, LYD_PARSE_ONLY | LYD_PARSE_OPAQ, 0, &f) != LY_SUCCESS)
		rc = -1;
	else
		rc = subtree(data, f, out);
	lyd_free_all(f);
	free(xml);
	return rc;
}

/* An XPath filter (RFC 6241 §8.9): each result with its parents. */
static int select_into(const struct lyd_node *data, const char *xpath, struct lyd_node **out)
{
	const struct lyd_node *ctx = data;
	struct ly_set *set = NULL;
	int rc = 0;

	if (!data)
		return 0;
	/*
	 * With a config node as its context, XPath sees the config only (RFC
	 * 7950 §6.4.1): a top-level state node as the context sees it all.
	 */
	for (const struct lyd_node *t = data; t; t = t->next)
		if (t->schema && !(t->schema->flags & LYS_CONFIG_W))
			ctx = t;
	if (lyd_find_xpath(ctx, xpath, &set) != LY_SUCCESS)
		return -1;
	for (uint32_t i = 0; i < set->count && rc == 0; i++)
		rc = copy_out(set->dnodes[i], out);
	ly_set_free(set, NULL);
	return rc;
}

int ncd_filter(const struct lyd_node *rpc, struct lyd_node **data, const char **err)
{
	struct lyd_node *f = NULL, *out = NULL;
	const char *type = "subtree", *select = NULL;
	int rc;

	if (lyd_find_path(rpc, "filter", 0, &f) != LY_SUCCESS)
		return 0; /* no filter: everything */
	for (const struct lyd_meta *m = f->meta; m; m = m->next) {
		if (!strcmp(m->name, "type"))
			type = lyd_get_meta_value(m);
		else if (!strcmp(m->name, "select"))
			select = lyd_get_meta_value(m);
	}
	if (!strcmp(type, "xpath"))
		rc = select ? select_into(*data, select, &out) : -1;
	else
		rc = subtree_filter(f, *data, &out);
	if (rc < 0) {
		lyd_free_all(out);
		*err = "the filter cannot be read";
		return -1;
	}
	lyd_free_all(*data);
	*data = out;
	return 0;
}
