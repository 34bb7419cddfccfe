/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * dmmd's config through libyang: the RFC 7951 JSON text is parsed into a
 * data tree of yang/dmm.yang and validated by the model (types, ranges,
 * patterns, must, when, mandatory nodes, list keys, defaults) before
 * daemon/config.c turns it into the role configuration. The module text
 * is built into dmmd: nothing is read from the source tree at run time.
 */
#ifndef DMMD_YANGCFG_H
#define DMMD_YANGCFG_H

#include <stddef.h>

/*
 * Validate text, a config file's content ({"dmm:node": {...}}), against
 * the model. Returns the validated config as canonical RFC 7951 JSON with
 * every default of the model filled in (malloc'd: the caller frees it), or
 * NULL with "<data path>: <reason>" in err, the path as libyang names the
 * node, e.g. "/dmm:node/lma/max-lifetime: Unsatisfied range - value "3"
 * is out of the allowed range.".
 */
char *dmmd_yang_validate(const char *text, char *err, size_t errlen);

/* The text of yang/dmm.yang as built into dmmd (static, NUL-terminated). */
const char *dmmd_yang_module_text(void);

#endif
