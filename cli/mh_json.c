/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Generic JSON rendering and parsing of Mobility Header messages: one
 * renderer and one parser over the field descriptors of mh.h.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "dmm/err.h"
#include "mh_json.h"

/*
 * jansson integers are signed 64-bit. A U64 value above INT64_MAX (the
 * MESG-ID NTP timestamp usually is one) is carried as a string starting
 * with this marker and turned back into a bare integer by mh_json_print().
 */
#define BIG_MARK "\x01"

/* How a byte field is shown; chosen from the hint and, for MN-IDs, the subtype. */
enum form { FORM_HEX, FORM_MAC, FORM_NAI, FORM_IP6, FORM_IMSI };

/* Keys that decode prints but that are not fields; encode ignores them. */
static const char *const msg_extra[] = {
	"type",	 "mh_type", "length", "checksum",  "lifetime_seconds", "options", "unknown_options",
	"frame", "src",	    "dst",    "transport", "checksum_ok",      NULL};
static const char *const opt_extra[] = {"type", "option_type", NULL};

static int fail(char *err, size_t n, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int fail(char *err, size_t n, const char *path, const char *fmt, ...)
{
	va_list ap;
	int k = snprintf(err, n, "%s: ", path);

	va_start(ap, fmt);
	if (k >= 0 && (size_t)k < n)
		vsnprintf(err + k, n - (size_t)k, fmt, ap);
	va_end(ap);
	return -1;
}

static bool in_list(const char *const *l, const char *s)
{
	for (; *l; l++)
		if (strcmp(*l, s) == 0)
			return true;
	return false;
}

static const struct dmm_mh_field *field_by_name(const struct dmm_mh_desc *d, const char *name)
{
	for (unsigned i = 0; i < d->nfields; i++)
		if (d->fields[i].name && strcmp(d->fields[i].name, name) == 0)
			return &d->fields[i];
	return NULL;
}

/* The DMM_FH_PLEN field that carries the prefix length of the ADDR field at off. */
static const struct dmm_mh_field *plen_of(const struct dmm_mh_desc *d, uint16_t off)
{
	for (unsigned i = 0; i < d->nfields; i++)
		if (d->fields[i].hint == DMM_FH_PLEN && d->fields[i].aux == off)
			return &d->fields[i];
	return NULL;
}

static enum form bytes_form(const struct dmm_mh_desc *d, const uint8_t *body, const struct dmm_mh_field *f)
{
	const struct dmm_mh_field *sf;

	if (f->hint == DMM_FH_MAC)
		return FORM_MAC;
	if (f->hint != DMM_FH_MNID || !(sf = field_by_name(d, "subtype")))
		return FORM_HEX;
	switch (body[sf->off]) {
	case DMM_MNID_NAI:
		return FORM_NAI;
	case DMM_MNID_IPV6:
		return FORM_IP6;
	case DMM_MNID_IMSI:
		return FORM_IMSI;
	case DMM_MNID_EUI48:
	case DMM_MNID_EUI64:
		return FORM_MAC;
	default:
		return FORM_HEX;
	}
}

static uint64_t kind_max(uint8_t kind)
{
	switch (kind) {
	case DMM_FK_U8:
	case DMM_FK_FLAGS8:
		return UINT8_MAX;
	case DMM_FK_U16:
	case DMM_FK_FLAGS16:
		return UINT16_MAX;
	case DMM_FK_U32:
		return UINT32_MAX;
	case DMM_FK_U48:
		return (UINT64_C(1) << 48) - 1;
	default:
		return UINT64_MAX;
	}
}

/* Integer fields are stored in the host type of their width (mh.c put_fields). */
static uint64_t get_uint(const uint8_t *m, uint8_t kind)
{
	uint16_t v16;
	uint32_t v32;
	uint64_t v64;

	switch (kind_max(kind)) {
	case UINT8_MAX:
		return *m;
	case UINT16_MAX:
		memcpy(&v16, m, 2);
		return v16;
	case UINT32_MAX:
		memcpy(&v32, m, 4);
		return v32;
	default:
		memcpy(&v64, m, 8);
		return v64;
	}
}

static void set_uint(uint8_t *m, uint8_t kind, uint64_t v)
{
	uint16_t v16 = (uint16_t)v;
	uint32_t v32 = (uint32_t)v;

	switch (kind_max(kind)) {
	case UINT8_MAX:
		*m = (uint8_t)v;
		break;
	case UINT16_MAX:
		memcpy(m, &v16, 2);
		break;
	case UINT32_MAX:
		memcpy(m, &v32, 4);
		break;
	default:
		memcpy(m, &v, 8);
	}
}

/* ---------------------------------------------------------------- render */

static json_t *uint_json(uint64_t v)
{
	char s[24];

	if (v <= INT64_MAX)
		return json_integer((json_int_t)v);
	snprintf(s, sizeof(s), BIG_MARK "%llu", (unsigned long long)v);
	return json_string(s);
}

static json_t *addr_json(const uint8_t *b, int af, int plen)
{
	char s[INET6_ADDRSTRLEN + 16];
	size_t k;

	inet_ntop(af, b, s, sizeof(s));
	k = strlen(s);
	if (plen >= 0)
		snprintf(s + k, sizeof(s) - k, "/%d", plen);
	return json_string(s);
}

static json_t *hex_json(const uint8_t *b, size_t n, const char *sep)
{
	char s[DMM_MH_OPT_DATA_MAX * 3 + 1], *p = s;

	for (size_t i = 0; i < n; i++)
		p += sprintf(p, "%s%02x", i && sep ? sep : "", b[i]);
	*p = 0;
	return json_string(s);
}

static json_t *bytes_json(const struct dmm_mh_bytes *b, enum form form)
{
	char s[DMM_MH_OPT_DATA_MAX * 2 + 1];
	size_t k = 0;
	json_t *j;

	switch (form) {
	case FORM_NAI:
		if ((j = json_stringn((const char *)b->b, b->len)) != NULL)
			return j;
		/* Not UTF-8: show each octet as the code point of the same value. */
		for (size_t i = 0; i < b->len; i++) {
			if (b->b[i] < 0x80) {
				s[k++] = (char)b->b[i];
			} else {
				s[k++] = (char)(0xc0 | b->b[i] >> 6);
				s[k++] = (char)(0x80 | (b->b[i] & 0x3f));
			}
		}
		return json_stringn(s, k);
	case FORM_IP6:
		if (b->len == 16)
			return addr_json(b->b, AF_INET6, -1);
		break;
	case FORM_IMSI:
		/* RFC 8371 §4.2: BCD, high nibble first, 0xf pads the last octet. */
		for (size_t i = 0; i < b->len * 2u; i++) {
			unsigned d = i & 1 ? b->b[i / 2] & 0xf : b->b[i / 2] >> 4;

			if (d == 0xf && i + 1 == b->len * 2u)
				break;
			if (d > 9)
				return hex_json(b->b, b->len, NULL);
			s[k++] = (char)('0' + d);
		}
		return json_stringn(s, k);
	case FORM_MAC:
		return hex_json(b->b, b->len, ":");
	case FORM_HEX:
		break;
	}
	return hex_json(b->b, b->len, NULL);
}

static json_t *field_json(const struct dmm_mh_desc *d, const uint8_t *body, const struct dmm_mh_field *f)
{
	const uint8_t *m = body + f->off;
	const struct dmm_mh_field *pl;
	json_t *a;

	switch (f->kind) {
	case DMM_FK_FLAGS8:
	case DMM_FK_FLAGS16: {
		unsigned nb = f->kind == DMM_FK_FLAGS8 ? 8 : 16;
		uint64_t v = get_uint(m, f->kind);
		char s[8];

		a = json_array();
		for (unsigned i = 0; i < nb; i++) {
			if (!(v >> (nb - 1 - i) & 1))
				continue;
			snprintf(s, sizeof(s), "bit%u", i);
			json_array_append_new(a, json_string(f->bits && f->bits[i] ? f->bits[i] : s));
		}
		return a;
	}
	case DMM_FK_ADDR:
		pl = plen_of(d, f->off);
		return addr_json(m, AF_INET6, pl ? body[pl->off] : -1);
	case DMM_FK_ADDRS: {
		unsigned n = body[f->aux] > DMM_MH_MAX_HA_ADDRS ? DMM_MH_MAX_HA_ADDRS : body[f->aux];

		a = json_array();
		for (unsigned i = 0; i < n; i++)
			json_array_append_new(a, addr_json(m + 16 * i, AF_INET6, -1));
		return a;
	}
	case DMM_FK_BYTES:
		return bytes_json((const struct dmm_mh_bytes *)m, bytes_form(d, body, f));
	case DMM_FK_IPADDR: {
		const struct dmm_mh_ipaddr *ip = (const struct dmm_mh_ipaddr *)m;

		if (ip->len == 0)
			return json_string("");
		if (ip->len == 4 || ip->len == 16)
			return addr_json(ip->b, ip->len == 4 ? AF_INET : AF_INET6, -1);
		return hex_json(ip->b, ip->len, NULL);
	}
	default:
		return uint_json(get_uint(m, f->kind));
	}
}

static void render_fields(json_t *o, const struct dmm_mh_desc *d, const uint8_t *body)
{
	for (unsigned i = 0; i < d->nfields; i++) {
		const struct dmm_mh_field *f = &d->fields[i];

		/* Reserved fields are not shown; a prefix length shows in its "addr/len". */
		if (f->name && f->hint != DMM_FH_PLEN)
			json_object_set_new(o, f->name, field_json(d, body, f));
	}
}

void mh_json_render(json_t *o, const struct dmm_mh_msg *msg, size_t len, uint16_t checksum)
{
	const struct dmm_mh_desc *d = dmm_mh_msg_desc(msg->type, msg->u.br.br_type);
	const struct dmm_mh_field *lt;
	json_t *opts = json_array();

	json_object_set_new(o, "type", json_string(d ? d->name : "?"));
	json_object_set_new(o, "mh_type", json_integer(msg->type));
	json_object_set_new(o, "length", json_integer((json_int_t)len));
	json_object_set_new(o, "checksum", json_integer(checksum));
	if (d) {
		render_fields(o, d, (const uint8_t *)&msg->u);
		/* Lifetimes are 4-second units on the wire (RFC 6275 §6.1.7, §6.1.8). */
		if ((lt = field_by_name(d, "lifetime")) != NULL)
			json_object_set_new(
				o, "lifetime_seconds",
				json_integer(4 * (json_int_t)get_uint((const uint8_t *)&msg->u + lt->off,
								      lt->kind)));
	}
	for (unsigned i = 0; i < msg->nopts && i < DMM_MH_MAX_OPTS; i++) {
		const struct dmm_mh_opt *op = &msg->opts[i];
		const struct dmm_mh_desc *od = dmm_mh_opt_desc(op->type);
		json_t *j = json_object();

		json_object_set_new(j, "type", json_string(od ? od->name : "?"));
		json_object_set_new(j, "option_type", json_integer(op->type));
		if (od)
			render_fields(j, od, (const uint8_t *)&op->u);
		json_array_append_new(opts, j);
	}
	json_object_set_new(o, "options", opts);
	if (msg->unknown_opts)
		json_object_set_new(o, "unknown_options", json_integer(msg->unknown_opts));
}

void mh_json_error(json_t *o, int err)
{
	json_object_set_new(o, "error", json_string(dmm_errname(err)));
	json_object_set_new(o, "error_text", json_string(dmm_strerror(err)));
}

int mh_json_print(FILE *f, const json_t *obj)
{
	char *s = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER), *r, *w;
	bool in = false;
	int rc;

	if (!s)
		return -1;
	/* Unquote the BIG_MARK strings; only at the start of a string value. */
	for (r = w = s; *r;) {
		if (!in && r[0] == '"' && strncmp(r + 1, "\\u0001", 6) == 0 && isdigit((unsigned char)r[7])) {
			for (r += 7; isdigit((unsigned char)*r);)
				*w++ = *r++;
			r++; /* closing quote */
			continue;
		}
		if (in && *r == '\\') {
			*w++ = *r++;
			*w++ = *r++;
			continue;
		}
		if (*r == '"')
			in = !in;
		*w++ = *r++;
	}
	*w = 0;
	rc = fprintf(f, "%s\n", s) < 0 ? -1 : 0;
	free(s);
	return rc;
}

/* ----------------------------------------------------------------- parse */

int mh_hex_parse(const char *s, uint8_t *out, size_t cap)
{
	size_t n = 0;
	int hi = -1;

	for (; *s; s++) {
		int v;

		if (strchr(" \t\r\n:", *s))
			continue;
		if (!isxdigit((unsigned char)*s))
			return -1;
		v = isdigit((unsigned char)*s) ? *s - '0' : (tolower((unsigned char)*s) - 'a' + 10);
		if (hi < 0) {
			hi = v;
			continue;
		}
		if (n >= cap)
			return -1;
		out[n++] = (uint8_t)(hi << 4 | v);
		hi = -1;
	}
	return hi < 0 ? (int)n : -1;
}

/* An unsigned integer value: a JSON integer, or (U64 only) a decimal string. */
static int parse_uint(const json_t *v, uint8_t kind, uint64_t *out)
{
	const char *s = json_string_value(v);
	char *end;

	if (json_is_integer(v) && json_integer_value(v) >= 0) {
		*out = (uint64_t)json_integer_value(v);
	} else if (s && kind == DMM_FK_U64 && isdigit((unsigned char)s[0])) {
		errno = 0;
		*out = strtoull(s, &end, 10);
		if (*end || errno)
			return -1;
	} else {
		return -1;
	}
	return *out <= kind_max(kind) ? 0 : -1;
}

static int parse_flags(const json_t *v, const struct dmm_mh_field *f, uint64_t *out, const char *path,
		       char *err, size_t n)
{
	unsigned nb = f->kind == DMM_FK_FLAGS8 ? 8 : 16;
	size_t i;
	json_t *e;

	if (json_is_integer(v))
		return parse_uint(v, f->kind, out)
			       ? fail(err, n, path, "expected flags 0..%u", (1u << nb) - 1)
			       : 0;
	if (!json_is_array(v))
		return fail(err, n, path, "expected array of flag names");
	*out = 0;
	json_array_foreach(v, i, e)
	{
		const char *s = json_string_value(e);
		unsigned b;
		char tail;

		for (b = 0; s && b < nb; b++)
			if (f->bits && f->bits[b] && strcmp(f->bits[b], s) == 0)
				break;
		if (s && b == nb && (sscanf(s, "bit%u%c", &b, &tail) != 1 || b >= nb))
			b = nb;
		if (!s || b >= nb)
			return fail(err, n, path, "unknown flag %s%s%s", s ? "\"" : "",
				    s ? s : "(not a string)", s ? "\"" : "");
		*out |= 1u << (nb - 1 - b);
	}
	return 0;
}

/* "addr" or, with want_len, "addr/len" (len 0..255; the codec checks <= 128). */
static int parse_addr(const char *s, uint8_t *b, int *len)
{
	char buf[INET6_ADDRSTRLEN + 8], *slash, *end;
	long l;

	if (!s || strlen(s) >= sizeof(buf))
		return -1;
	strcpy(buf, s);
	slash = strchr(buf, '/');
	if (!len != !slash)
		return -1;
	if (slash) {
		*slash = 0;
		l = strtol(slash + 1, &end, 10);
		if (!isdigit((unsigned char)slash[1]) || *end || l > 255)
			return -1;
		*len = (int)l;
	}
	return inet_pton(AF_INET6, buf, b) == 1 ? 0 : -1;
}

static int parse_bytes(const char *s, struct dmm_mh_bytes *b, enum form form)
{
	size_t n = s ? strlen(s) : 0;
	int k;

	if (!s)
		return -1;
	switch (form) {
	case FORM_NAI:
		if (n > DMM_MH_OPT_DATA_MAX)
			return -1;
		memcpy(b->b, s, n);
		b->len = (uint8_t)n;
		return 0;
	case FORM_IP6:
		b->len = 16;
		return inet_pton(AF_INET6, s, b->b) == 1 ? 0 : -1;
	case FORM_IMSI:
		/* RFC 8371 §4.2: at most 15 digits, high nibble first, 0xf pad. */
		if (n == 0 || n > 15 || strspn(s, "0123456789") != n)
			return -1;
		memset(b->b, 0, 8);
		for (size_t i = 0; i < n; i++)
			b->b[i / 2] |= (uint8_t)((s[i] - '0') << (i & 1 ? 0 : 4));
		if (n & 1)
			b->b[n / 2] |= 0xf;
		b->len = (uint8_t)((n + 1) / 2);
		return 0;
	case FORM_MAC:
	case FORM_HEX:
		/* MAC text is hex with colons, which the hex parser skips. */
		if ((form == FORM_HEX && strchr(s, ':')) || (k = mh_hex_parse(s, b->b, sizeof(b->b))) < 0)
			return -1;
		b->len = (uint8_t)k;
		return 0;
	}
	return -1;
}

static const char *const form_what[] = {
	[FORM_HEX] = "hex string",
	[FORM_MAC] = "colon-separated hex (\"02:00:00:00:00:01\")",
	[FORM_NAI] = "string of at most 255 octets",
	[FORM_IP6] = "IPv6 address",
	[FORM_IMSI] = "1 to 15 decimal digits",
};

static int parse_field(const struct dmm_mh_desc *d, uint8_t *body, const struct dmm_mh_field *f,
		       const json_t *obj, const json_t *v, const char *path, char *err, size_t n)
{
	uint8_t *m = body + f->off;
	const char *s = json_string_value(v);
	uint64_t u;

	switch (f->kind) {
	case DMM_FK_FLAGS8:
	case DMM_FK_FLAGS16:
		if (parse_flags(v, f, &u, path, err, n))
			return -1;
		set_uint(m, f->kind, u);
		return 0;
	case DMM_FK_ADDR: {
		const struct dmm_mh_field *pl = plen_of(d, f->off);
		int len = 0;

		if (parse_addr(s, m, pl ? &len : NULL))
			return fail(err, n, path, pl ? "expected \"addr/len\"" : "expected IPv6 address");
		if (pl)
			body[pl->off] = (uint8_t)len;
		return 0;
	}
	case DMM_FK_ADDRS: {
		const struct dmm_mh_field *cf = NULL;
		size_t i, cnt = json_array_size(v);
		json_int_t given;
		json_t *e;

		if (!json_is_array(v) || cnt > DMM_MH_MAX_HA_ADDRS)
			return fail(err, n, path, "expected array of at most %d IPv6 addresses",
				    DMM_MH_MAX_HA_ADDRS);
		json_array_foreach(v, i, e)
		{
			if (parse_addr(json_string_value(e), m + 16 * i, NULL))
				return fail(err, n, path, "element %zu: expected IPv6 address", i);
		}
		/* The count field follows the array unless it is given and differs. */
		for (unsigned k = 0; k < d->nfields; k++)
			if (d->fields[k].off == f->aux && d->fields[k].name && d->fields[k].kind == DMM_FK_U8)
				cf = &d->fields[k];
		if (cf && json_object_get(obj, cf->name) &&
		    (given = json_integer_value(json_object_get(obj, cf->name))) != (json_int_t)cnt)
			return fail(err, n, path, "%zu addresses but %s is %lld", cnt, cf->name,
				    (long long)given);
		body[f->aux] = (uint8_t)cnt;
		return 0;
	}
	case DMM_FK_BYTES: {
		enum form form = bytes_form(d, body, f);

		if (parse_bytes(s, (struct dmm_mh_bytes *)m, form))
			return fail(err, n, path, "expected %s", form_what[form]);
		return 0;
	}
	case DMM_FK_IPADDR: {
		struct dmm_mh_ipaddr *ip = (struct dmm_mh_ipaddr *)m;

		ip->len = s && !*s ? 0 : s && strchr(s, ':') ? 16 : 4;
		if (!s || (ip->len && inet_pton(ip->len == 4 ? AF_INET : AF_INET6, s, ip->b) != 1))
			return fail(err, n, path, "expected \"\", IPv4 or IPv6 address");
		return 0;
	}
	default:
		if (parse_uint(v, f->kind, &u))
			return fail(err, n, path, "expected integer 0..%llu",
				    (unsigned long long)kind_max(f->kind));
		set_uint(m, f->kind, u);
		return 0;
	}
}

/* Fields of d from obj into body; pfx is the JSON path of obj ("" or "options[2]."). */
static int parse_fields(const struct dmm_mh_desc *d, uint8_t *body, const json_t *obj, const char *pfx,
			const char *const *extra, char *err, size_t n)
{
	char path[160];
	const char *key;
	json_t *v;

	json_object_foreach((json_t *)obj, key, v)
	{
		const struct dmm_mh_field *f = field_by_name(d, key);

		if (!in_list(extra, key) && (!f || f->hint == DMM_FH_PLEN)) {
			snprintf(path, sizeof(path), "%s%s", pfx, key);
			return fail(err, n, path, "unknown key for %s", d->name);
		}
	}
	for (unsigned i = 0; i < d->nfields; i++) {
		const struct dmm_mh_field *f = &d->fields[i];

		if (!f->name || f->hint == DMM_FH_PLEN || !(v = json_object_get(obj, f->name)))
			continue; /* absent fields stay zero */
		snprintf(path, sizeof(path), "%s%s", pfx, f->name);
		if (parse_field(d, body, f, obj, v, path, err, n))
			return -1;
	}
	return 0;
}

int mh_json_parse(const json_t *obj, struct dmm_mh_msg *msg, char *err, size_t n)
{
	const char *name = json_string_value(json_object_get(obj, "type"));
	const struct dmm_mh_desc *d;
	const json_t *opts, *e;
	char pfx[32];
	size_t i;

	if (!json_is_object(obj))
		return fail(err, n, "(message)", "expected JSON object");
	if (!name)
		return fail(err, n, "type", "expected message type name");
	if (!(d = dmm_mh_msg_desc_by_name(name)))
		return fail(err, n, "type", "unknown message type \"%s\"", name);
	dmm_mh_init(msg, d->type);
	if (d->type == DMM_MH_BR)
		msg->u.br.br_type = d->sub;
	if (parse_fields(d, (uint8_t *)&msg->u, obj, "", msg_extra, err, n))
		return -1;
	if (d->type == DMM_MH_BR && msg->u.br.br_type != d->sub)
		return fail(err, n, "br_type", "must be %u for %s", d->sub, d->name);
	opts = json_object_get(obj, "options");
	if (opts && !json_is_array(opts))
		return fail(err, n, "options", "expected array of option objects");
	json_array_foreach(opts, i, e)
	{
		const char *on = json_string_value(json_object_get(e, "type"));
		const struct dmm_mh_desc *od;
		struct dmm_mh_opt *o;

		snprintf(pfx, sizeof(pfx), "options[%zu]", i);
		if (!json_is_object(e))
			return fail(err, n, pfx, "expected object");
		strcat(pfx, ".type");
		if (!on)
			return fail(err, n, pfx, "expected option type name");
		if (!(od = dmm_mh_opt_desc_by_name(on)))
			return fail(err, n, pfx, "unknown option type \"%s\"", on);
		pfx[strlen(pfx) - 4] = 0; /* "options[i]." */
		if (!(o = dmm_mh_add_opt(msg, od->type)))
			return fail(err, n, pfx, "more than %d options", DMM_MH_MAX_OPTS);
		if (parse_fields(od, (uint8_t *)&o->u, e, pfx, opt_extra, err, n))
			return -1;
	}
	return 0;
}

/*
 * Copy text, quoting bare integers above INT64_MAX so that jansson reads
 * them as strings; parse_uint() accepts those for U64 fields.
 */
static char *quote_big_ints(const char *t, size_t len, size_t *outlen)
{
	char *o = malloc(2 * len + 1), *w = o;
	bool in = false;
	size_t i = 0;

	if (!o)
		return NULL;
	while (i < len) {
		size_t j = i;

		if (in) {
			if (t[i] == '\\' && i + 1 < len)
				*w++ = t[i++];
			else if (t[i] == '"')
				in = false;
			*w++ = t[i++];
			continue;
		}
		if (t[i] == '"')
			in = true;
		if (!isdigit((unsigned char)t[i]) || (i && strchr("-+.eE", t[i - 1]))) {
			*w++ = t[i++];
			continue;
		}
		while (j < len && isdigit((unsigned char)t[j]))
			j++;
		bool big = j - i > 19 || (j - i == 19 && strncmp(t + i, "9223372036854775807", 19) > 0);
		bool plain = j == len || !strchr(".eE", t[j]);
		if (big && plain)
			*w++ = '"';
		memcpy(w, t + i, j - i);
		w += j - i;
		if (big && plain)
			*w++ = '"';
		i = j;
	}
	*outlen = (size_t)(w - o);
	return o;
}

json_t *mh_json_load_all(const char *text, size_t len, char *err, size_t n)
{
	size_t tlen, off = 0, i;
	char *t = quote_big_ints(text, len, &tlen);
	json_t *all = json_array(), *v, *e;

	if (!t || !all)
		goto err_mem;
	for (;;) {
		json_error_t je;

		while (off < tlen && isspace((unsigned char)t[off]))
			off++;
		if (off == tlen)
			break;
		v = json_loadb(t + off, tlen - off, JSON_DISABLE_EOF_CHECK | JSON_ALLOW_NUL | JSON_DECODE_ANY,
			       &je);
		if (!v) {
			snprintf(err, n, "input: %s", je.text);
			goto err;
		}
		off += (size_t)je.position;
		if (json_is_array(v)) {
			json_array_foreach(v, i, e) json_array_append(all, e);
			json_decref(v);
		} else if (json_is_object(v)) {
			json_array_append_new(all, v);
		} else {
			json_decref(v);
			snprintf(err, n, "input: expected a JSON object or an array of objects");
			goto err;
		}
	}
	free(t);
	return all;
err_mem:
	snprintf(err, n, "out of memory");
err:
	free(t);
	json_decref(all);
	return NULL;
}
