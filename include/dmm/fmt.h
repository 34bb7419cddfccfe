/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Text forms for logs and reports, without libc networking: IPv6
 * addresses in the RFC 5952 form, prefixes as addr/len, MN-IDs with their
 * subtype. Pure functions writing into caller buffers.
 */
#ifndef DMM_FMT_H
#define DMM_FMT_H

#include "dmm/hash.h"
#include "dmm/types.h"

#define DMM_ADDR_STRLEN 46
#define DMM_PREFIX_STRLEN 50
#define DMM_MNID_STRLEN 300

/* Write a in RFC 5952 form into buf (DMM_ADDR_STRLEN); returns buf. */
char *dmm_addr_str(const struct dmm_addr *a, char *buf);

/* Write p as "addr/len" into buf (DMM_PREFIX_STRLEN); returns buf. */
char *dmm_prefix_str(const struct dmm_prefix *p, char *buf);

/*
 * Write id as text into buf (DMM_MNID_STRLEN): "nai:user@realm",
 * "eui48:02:00:00:00:00:01", "eui64:...", "ipv6:2001:db8::1",
 * "imsi:001010123456789", or "<subtype>:<hex>". Returns buf.
 */
char *dmm_mnid_str(const struct dmm_mnid *id, char *buf);

/* Parse text of dmm_addr_str's form (any RFC 4291 text form); returns 0 or DMM_ERR_INVAL. */
int dmm_addr_parse(const char *s, struct dmm_addr *a);

/* Parse "addr/len"; returns 0 or DMM_ERR_INVAL. */
int dmm_prefix_parse(const char *s, struct dmm_prefix *p);

/* Parse the forms dmm_mnid_str writes; returns 0 or DMM_ERR_INVAL. */
int dmm_mnid_parse(const char *s, struct dmm_mnid *id);

/* Keep the first p->len bits of p->addr, zero the rest. */
void dmm_prefix_mask(struct dmm_prefix *p);

/* True when a lies inside p. */
bool dmm_prefix_contains(const struct dmm_prefix *p, const struct dmm_addr *a);

#endif
