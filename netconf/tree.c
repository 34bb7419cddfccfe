/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * dmmd's JSON (the replies of "show ...", the event stream) as libyang
 * data of yang/dmm.yang. The model's 'state' container carries the
 * names dmmctl prints, so the walk follows the JSON and asks the schema
 * for each member: a member the model lacks is left out, and so is a
 * value the node's type refuses (dmmd's JSON is not RFC 7951 in every
 * corner: docs/yang.md lists where).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "nc.h"

/* A JSON scalar as the value string of a leaf of schema s; 0, or -1 for none. */
static int scalar(const struct lysc_node *s, json_t *v, char *out, size_t len)
{
	const struct lysc_type *t = ((const struct lysc_node_leaf *)s)->type;

	switch (json_typeof(v)) {
	case JSON_STRING:
		snprintf(out, len, "%s", json_string_value(v));
		return 0;
	case JSON_INTEGER:
		snprintf(out, len, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		return 0;
	case JSON_REAL:
		snprintf(out, len, "%.*f",
			 t->basetype == LY_TYPE_DEC64 ? ((const struct lysc_type_dec *)t)->fraction_digits
						      : 3,
			 json_real_value(v));
		return 0;
	case JSON_TRUE:
	case JSON_FALSE:
		snprintf(out, len, "%s", json_is_true(v) ? "true" : "false");
		return 0;
	default:
		return -1;
	}
}

static void put_term(struct lyd_node *parent, const struct lysc_node *s, json_t *v)
{
	char val[512];

	if (scalar(s, v, val, sizeof(val)) == 0)
		lyd_new_term(parent, parent ? NULL : s->module, s->name, val, 0, NULL);
}

/* One list entry: the keys first (lyd_new_list2's predicate), then the rest. */
static void put_entry(struct lyd_node *parent, const struct lysc_node *s, json_t *o)
{
	char pred[512] = "", val[256];
	struct lyd_node *n = NULL;
	size_t len = 0;

	if (!json_is_object(o))
		return;
	for (const struct lysc_node *k = lysc_node_child(s); k && lysc_is_key(k); k = k->next) {
		json_t *kv = json_object_get(o, k->name);

		if (!kv || scalar(k, kv, val, sizeof(val)) < 0 || strchr(val, '\''))
			return;
		len += (size_t)snprintf(pred + len, len < sizeof(pred) ? sizeof(pred) - len : 0, "[%s='%s']",
					k->name, val);
	}
	if (len >= sizeof(pred))
		return;
	if (lysc_is_key(lysc_node_child(s))) {
		if (lyd_new_list2(parent, parent ? NULL : s->module, s->name, pred, 0, &n) != LY_SUCCESS)
			return;
	} else if (lyd_new_list(parent, parent ? NULL : s->module, s->name, 0, &n) != LY_SUCCESS) {
		return;
	}
	ncd_json_put_members(n, s, o);
}

void ncd_json_put(struct lyd_node *parent, const struct lysc_node *s, json_t *v)
{
	struct lyd_node *n = NULL;
	size_t i;
	json_t *e;

	switch (s->nodetype) {
	case LYS_LEAF:
		if (!lysc_is_key(s))
			put_term(parent, s, v);
		break;
	case LYS_LEAFLIST:
		if (json_is_array(v))
			json_array_foreach(v, i, e) put_term(parent, s, e);
		break;
	case LYS_CONTAINER:
	case LYS_NOTIF:
		if (json_is_object(v) &&
		    lyd_new_inner(parent, parent ? NULL : s->module, s->name, 0, &n) == LY_SUCCESS)
			ncd_json_put_members(n, s, v);
		break;
	case LYS_LIST:
		if (json_is_array(v))
			json_array_foreach(v, i, e) put_entry(parent, s, e);
		break;
	default:
		break;
	}
}

void ncd_json_put_members(struct lyd_node *parent, const struct lysc_node *sparent, json_t *o)
{
	const char *k;
	json_t *v;

	json_object_foreach(o, k, v)
	{
		const struct lysc_node *s = lys_find_child(sparent, ncd.dmm, k, 0, 0, 0);

		if (s)
			ncd_json_put(parent, s, v);
	}
}

/* The 'state' children and the dmmd command whose reply each is. */
static const struct {
	const char *node, *cmd;
} state_cmds[] = {
	{"node", "show node"},	     {"bindings", "show bindings"}, {"peers", "show peers"},
	{"intents", "show intents"}, {"anchors", "show anchors"},   {"stats", "show stats"},
};

struct lyd_node *ncd_state(const char **err)
{
	const struct lysc_node *ss = lys_find_child(NULL, ncd.dmm, "state", 0, LYS_CONTAINER, 0);
	struct lyd_node *st = NULL;

	if (!ss || lyd_new_inner(NULL, ncd.dmm, "state", 0, &st) != LY_SUCCESS) {
		*err = "the model has no state container";
		return NULL;
	}
	for (size_t i = 0; i < sizeof(state_cmds) / sizeof(state_cmds[0]); i++) {
		const struct lysc_node *s = lys_find_child(ss, ncd.dmm, state_cmds[i].node, 0, 0, 0);
		json_t *j = ncd_ctl(ncd.ctl_path, state_cmds[i].cmd, err);

		if (!j) {
			lyd_free_all(st);
			return NULL;
		}
		/* A role without the table answers {"error": ...}: that child stays out. */
		if (s && !(json_is_object(j) && json_object_get(j, "error")))
			ncd_json_put(st, s, j);
		json_decref(j);
	}
	return st;
}
