/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Mobility Header messages as JSON (jansson), for dmmctl decode/encode.
 *
 * The rendering and the parsing are generic: both walk the descriptor
 * tables of mh.h (dmm_mh_msg_desc(), dmm_mh_opt_desc()) and their field
 * lists, so a new option or message needs no code here. The only special
 * cases are the rendering hints of struct dmm_mh_field (prefix lengths
 * merged into "addr/len", hex, MAC and MN-ID identifiers).
 *
 * The format is the contract shared with the oracle tests: one object per
 * message, keys in descriptor order, decode-only keys ignored by the parser.
 */
#ifndef DMMCTL_MH_JSON_H
#define DMMCTL_MH_JSON_H

#include <jansson.h>
#include <stdio.h>

#include "dmm/mh.h"

/*
 * Append the keys of msg to obj: "type", "mh_type", "length" (len, the MH
 * octets), "checksum" (the wire field), the descriptor's fields,
 * "lifetime_seconds" where the message has a lifetime, "options" and
 * "unknown_options" when some were skipped. obj is borrowed.
 */
void mh_json_render(json_t *obj, const struct dmm_mh_msg *msg, size_t len, uint16_t checksum);

/* Append "error" (dmm_errname) and "error_text" (dmm_strerror) for err to obj. */
void mh_json_error(json_t *obj, int err);

/*
 * Fill msg from the JSON object obj (borrowed). Keys that only decode
 * prints are ignored; an unknown key or a value of the wrong type fails.
 * Returns 0, or -1 with "path: reason" (e.g. "options[2].prefix: expected
 * \"addr/len\"") in err[0..errlen).
 */
int mh_json_parse(const json_t *obj, struct dmm_mh_msg *msg, char *err, size_t errlen);

/*
 * Parse text[0..len): a single object, an array of objects, or several
 * values one after another (JSON Lines). Integers above INT64_MAX (U64
 * fields) are accepted although jansson cannot hold them. Returns a new
 * array of the message values (caller frees with json_decref) or NULL
 * with the reason in err.
 */
json_t *mh_json_load_all(const char *text, size_t len, char *err, size_t errlen);

/* Print obj compactly on one line to f, U64 values above INT64_MAX as integers. Returns 0 or -1. */
int mh_json_print(FILE *f, const json_t *obj);

/*
 * Parse hex digits from s into out[0..cap), ignoring spaces, tabs, newlines
 * and colons. Returns the number of bytes, or -1 for a non-hex character,
 * an odd number of digits or more than cap bytes.
 */
int mh_hex_parse(const char *s, uint8_t *out, size_t cap);

#endif
