/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * dmmd's config through libyang (yangcfg.h). Each call builds a context
 * with the built-in module (ietf-inet-types and ietf-yang-types are
 * libyang's own), parses the JSON strictly (a member the model does not
 * have is an error), validates it as a <running> datastore without state
 * data, and prints it back with every default. A config is loaded at
 * start and at each reload, so the context is not kept.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libyang/libyang.h>

#include "yangcfg.h"

/* yang/dmm.yang as a NUL-terminated array (Makefile: xxd -i). */
#include "dmm_yang.h"

const char *dmmd_yang_module_text(void)
{
	return (const char *)dmm_yang_text;
}

/*
 * The node an error is about. libyang puts it in the error's path as
 * 'Data location "/dmm:node/lma", line number 1.' (or "Schema
 * location"); the quoted part is the path. Returns its length, 0 if none.
 */
static size_t err_node(const char *path, const char **start)
{
	const char *q = path ? strstr(path, "location \"") : NULL;
	const char *e;

	if (!q)
		return 0;
	q += strlen("location \"");
	e = strchr(q, '"');
	if (!e)
		return 0;
	*start = q;
	return (size_t)(e - q);
}

/* The first error of ctx as "<path>: <reason>" (a JSON syntax error: "line N: <reason>") into err. */
static void describe(const struct ly_ctx *ctx, const char *what, char *err, size_t errlen)
{
	const struct ly_err_item *e = ly_err_first(ctx);
	const char *node = NULL;
	unsigned line;
	size_t n;

	while (e && e->level != LY_LLERR)
		e = e->next;
	if (!e || !e->msg) {
		snprintf(err, errlen, "/dmm:node: %s", what);
		return;
	}
	n = err_node(e->path, &node);
	/* libyang names a duplicate list entry without its top container ("/dmm:lma/pools[...]"). */
	if (n > 5 && strncmp(node, "/dmm:", 5) == 0 && strncmp(node, "/dmm:node", 9) != 0 &&
	    strncmp(node, "/dmm:state", 10) != 0)
		snprintf(err, errlen, "/dmm:node/%.*s: %s", (int)n - 5, node + 5, e->msg);
	else if (n)
		snprintf(err, errlen, "%.*s: %s", (int)n, node, e->msg);
	else if (e->path && sscanf(e->path, "Line number %u", &line) == 1)
		snprintf(err, errlen, "line %u: %s", line, e->msg); /* JSON syntax, before any node */
	else
		snprintf(err, errlen, "/dmm:node: %s", e->msg);
}

/* A context holding the dmm module; NULL with the reason in err. */
static struct ly_ctx *model_ctx(char *err, size_t errlen)
{
	struct ly_ctx *ctx = NULL;

	if (ly_ctx_new(NULL, LY_CTX_DISABLE_SEARCHDIRS | LY_CTX_NO_YANGLIBRARY, &ctx) != LY_SUCCESS) {
		snprintf(err, errlen, "libyang: cannot create a context");
		return NULL;
	}
	if (lys_parse_mem(ctx, dmmd_yang_module_text(), LYS_IN_YANG, NULL) != LY_SUCCESS) {
		describe(ctx, "the built-in module dmm does not compile", err, errlen);
		ly_ctx_destroy(ctx);
		return NULL;
	}
	return ctx;
}

char *dmmd_yang_validate(const char *text, char *err, size_t errlen)
{
	uint32_t old = ly_log_options(LY_LOSTORE);
	struct lyd_node *tree = NULL;
	struct ly_ctx *ctx;
	char *out = NULL;

	ctx = model_ctx(err, errlen);
	if (!ctx)
		goto err_ctx;
	if (lyd_parse_data_mem(ctx, text, LYD_JSON, LYD_PARSE_STRICT | LYD_PARSE_NO_STATE,
			       LYD_VALIDATE_NO_STATE, &tree) != LY_SUCCESS) {
		describe(ctx, "not valid", err, errlen);
		goto err_parse;
	}
	if (!tree || !lyd_child(tree) || strcmp(LYD_NAME(tree), "node") != 0 || tree->next) {
		snprintf(err, errlen, "/dmm:node: expected one object {\"dmm:node\": {...}}");
		goto err_parse;
	}
	if (lyd_print_mem(&out, tree, LYD_JSON, LYD_PRINT_WD_ALL | LYD_PRINT_SHRINK) != LY_SUCCESS || !out) {
		describe(ctx, "cannot print the validated tree", err, errlen);
		out = NULL;
	}
err_parse:
	lyd_free_all(tree);
	ly_ctx_destroy(ctx);
err_ctx:
	ly_log_options(old);
	return out;
}
