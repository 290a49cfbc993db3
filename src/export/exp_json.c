/*
 * exp_json.c - JSON lines: one object per ended flow record.
 *
 * For people and pipes ("json:-" is standard output). Field names follow
 * the nfstream Streamer example; times are milliseconds since the epoch;
 * export_reason means what nfstream documents (0 idle timeout, 1 active
 * timeout, 2 end of the flow: FIN/RST, end of capture, eviction, 3 forced
 * by a plugin), flow_end_reason is the IPFIX flowEndReason number (RFC
 * 7011, IANA "flowEndReason" registry). Strings from the wire (server names, user
 * agents) are escaped so every line is valid JSON whatever they hold.
 */
#include "export/exp_int.h"
#include "ie/ie.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct json_priv {
	FILE	*fp;
	int	own;			/* fclose at the end */
	char	*iobuf;
};

/* A line being built; overflow is remembered, never written past. */
struct line {
	char	buf[8192];
	size_t	len;
	int	overflow;
};

/* Appends the literal <s> (no formatting: the hot path avoids printf). */
static void
put_lit(struct line *l, const char *s, size_t n)
{
	if (l->overflow || n >= sizeof(l->buf) - l->len) {
		l->overflow = 1;
		return;
	}
	memcpy(l->buf + l->len, s, n);
	l->len += n;
}

/* Appends ,"<key>":<v>. <key> is a string literal. */
#define put_num(l, key, v) \
	put_num_(l, ",\"" key "\":", sizeof(",\"" key "\":") - 1, (v))

static void
put_num_(struct line *l, const char *key, size_t klen, uint64_t v)
{
	char digits[20];
	size_t n = 0;

	put_lit(l, key, klen);
	do {
		digits[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	if (l->overflow || n >= sizeof(l->buf) - l->len) {
		l->overflow = 1;
		return;
	}
	while (n > 0)
		l->buf[l->len++] = digits[--n];
}

/* Appends "name":"escaped value". */
static void
put_str(struct line *l, const char *name, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p;

	put_lit(l, ",\"", 2);
	put_lit(l, name, strlen(name));
	put_lit(l, "\":\"", 3);
	for (p = (const unsigned char *)(s != NULL ? s : ""); *p; p++) {
		if (l->len + 7 >= sizeof(l->buf)) {
			l->overflow = 1;
			return;
		}
		if (*p == '"' || *p == '\\') {
			l->buf[l->len++] = '\\';
			l->buf[l->len++] = (char)*p;
		} else if (*p < 0x20 || *p >= 0x7f) {
			/* Bytes from the wire need not be UTF-8: keep them
			 * visible and the line valid. */
			memcpy(l->buf + l->len, "\\u00", 4);
			l->buf[l->len + 4] = hex[*p >> 4];
			l->buf[l->len + 5] = hex[*p & 15];
			l->len += 6;
		} else
			l->buf[l->len++] = (char)*p;
	}
	put_lit(l, "\"", 1);
}

static void
put_addr(struct line *l, const char *name, int version, const uint8_t *a)
{
	char s[INET6_ADDRSTRLEN];

	if (inet_ntop(version == 6 ? AF_INET6 : AF_INET, a, s, sizeof(s)) ==
	    NULL)
		s[0] = '\0';
	if (l->len > 1)
		put_lit(l, ",", 1);
	put_lit(l, "\"", 1);
	put_lit(l, name, strlen(name));
	put_lit(l, "\":\"", 3);
	put_lit(l, s, strlen(s));
	put_lit(l, "\"", 1);
}

/* Appends "name":<v> for numbers of the registry's 64-bit form. */
static void
put_key(struct line *l, const char *name)
{
	put_lit(l, ",\"", 2);
	put_lit(l, name, strlen(name));
	put_lit(l, "\":", 2);
}

/*
 * The registered fields (plugins), by the registry: each under its name.
 * Numbers as JSON numbers (float64 with 17 significant digits, so it reads
 * back exactly), strings escaped, octet arrays as hex strings, addresses
 * as text.
 */
static void
put_registered(struct line *l, const struct exp_record *rec)
{
	static const char hex[] = "0123456789abcdef";
	struct ie_rec ir = { rec, FLOW_DIR_FWD, 0 };
	const struct ie_def *def;
	uint8_t scratch[16];
	const uint8_t *p;
	char buf[40], str[1025];
	uint64_t v;
	int64_t sv;
	double dv;
	size_t i, k, n;

	for (i = 0; i < ie_count(); i++) {
		def = ie_at(i);
		if (!(def->flags & IE_F_EXT))
			continue;
		switch (def->type) {
		case IE_T_SIGNED64:
			v = ie_get_uint(def, &ir, 0);
			memcpy(&sv, &v, sizeof(sv));
			snprintf(buf, sizeof(buf), "%" PRId64, sv);
			put_key(l, def->name);
			put_lit(l, buf, strlen(buf));
			break;
		case IE_T_FLOAT64:
			v = ie_get_uint(def, &ir, 0);
			memcpy(&dv, &v, sizeof(dv));
			/* JSON has no NaN or infinity. */
			if (dv != dv || dv > 1.7976931348623157e308 ||
			    dv < -1.7976931348623157e308)
				snprintf(buf, sizeof(buf), "null");
			else
				snprintf(buf, sizeof(buf), "%.17g", dv);
			put_key(l, def->name);
			put_lit(l, buf, strlen(buf));
			break;
		case IE_T_STRING:
			n = ie_get_bytes(def, &ir, 0, &p, scratch);
			n = n < sizeof(str) - 1 ? n : sizeof(str) - 1;
			memcpy(str, p, n);
			str[n] = '\0';
			put_str(l, def->name, str);
			break;
		case IE_T_OCTET_ARRAY:
			n = ie_get_bytes(def, &ir, 0, &p, scratch);
			for (k = 0; k < n && 2 * k + 1 < sizeof(str); k++) {
				str[2 * k] = hex[p[k] >> 4];
				str[2 * k + 1] = hex[p[k] & 15];
			}
			str[2 * k] = '\0';
			put_str(l, def->name, str);
			break;
		case IE_T_IPV4_ADDRESS:
		case IE_T_IPV6_ADDRESS:
			ie_get_bytes(def, &ir, 0, &p, scratch);
			put_addr(l, def->name,
			    def->type == IE_T_IPV6_ADDRESS ? 6 : 4, p);
			break;
		default:
			put_key(l, def->name);
			put_num_(l, "", 0, ie_get_uint(def, &ir, 0));
			break;
		}
	}
}

static int
json_open(struct exporter *ex, const char *where,
    const struct exp_conf *conf, struct perr *err)
{
	struct json_priv *jp = exp_priv(ex);

	(void)conf;
	if (strcmp(where, "-") == 0)
		jp->fp = stdout;
	else {
		if ((jp->fp = fopen(where, "w")) == NULL) {
			int e = errno;

			return perr_set(err, -e, "collector 'json:%s': %s",
			    where, strerror(e));
		}
		jp->own = 1;
	}
	/* A big buffer for files; stdout keeps stdio's own, which must
	 * outlive this exporter. */
	if (jp->own && (jp->iobuf = malloc(1 << 16)) != NULL)
		setvbuf(jp->fp, jp->iobuf, _IOFBF, 1 << 16);
	return 0;
}

static uint64_t
min_nz(uint64_t a, uint64_t b)
{
	if (a == 0)
		return b;
	if (b == 0)
		return a;
	return a < b ? a : b;
}

static int
json_write(struct exporter *ex, const struct exp_record *rec)
{
	struct json_priv *jp = exp_priv(ex);
	const struct flow *f = rec->flow;
	const struct flow_counters *fw = &f->c[FLOW_DIR_FWD];
	const struct flow_counters *rv = &f->c[FLOW_DIR_REV];
	const struct dpi_info *app = rec->app;
	uint64_t start_us, end_us;
	struct line l;

	l.len = 0;
	l.overflow = 0;
	l.buf[l.len++] = '{';
	start_us = min_nz(fw->pkts ? fw->first_us : 0,
	    rv->pkts ? rv->first_us : 0);
	end_us = fw->last_us > rv->last_us ? fw->last_us : rv->last_us;

	put_addr(&l, "ip_src", f->key.ip_version, f->key.src);
	put_num(&l, "src_port", f->key.sport);
	put_addr(&l, "ip_dst", f->key.ip_version, f->key.dst);
	put_num(&l, "dst_port", f->key.dport);
	put_num(&l, "ip_protocol", f->key.proto);
	put_num(&l, "ip_version", f->key.ip_version);
	put_num(&l, "vlan_id", f->key.vlan_id);
	put_num(&l, "tunnel_id", f->key.tunnel_id);
	put_num(&l, "ingress_interface", f->key.ifindex);
	put_num(&l, "src_to_dst_pkts", fw->pkts);
	put_num(&l, "dst_to_src_pkts", rv->pkts);
	put_num(&l, "src_to_dst_bytes", fw->bytes);
	put_num(&l, "dst_to_src_bytes", rv->bytes);
	put_num(&l, "start_time", start_us / 1000);
	put_num(&l, "end_time", end_us / 1000);
	put_num(&l, "src_to_dst_tcp_flags", fw->tcp_flags);
	put_num(&l, "dst_to_src_tcp_flags", rv->tcp_flags);
	if (f->key.proto == 1 || f->key.proto == 58) {
		put_num(&l, "src_to_dst_icmp_type", fw->icmp_type);
		put_num(&l, "src_to_dst_icmp_code", fw->icmp_code);
		put_num(&l, "dst_to_src_icmp_type", rv->icmp_type);
		put_num(&l, "dst_to_src_icmp_code", rv->icmp_code);
	}
	/* The meaning nfstream users know; the IPFIX code beside it. */
	put_num(&l, "export_reason", ie_export_reason(rec->reason));
	put_num(&l, "flow_end_reason", ie_flow_end_reason(rec->reason));
	put_str(&l, "application_name", app->app_name);
	put_str(&l, "category_name", app->category_name);
	put_str(&l, "application_id", app->app_id_str);
	put_num(&l, "application_is_guessed", app->guessed);
	put_str(&l, "application_confidence", app->confidence_name);
	put_str(&l, "requested_server_name", app->server_name);
	put_str(&l, "client_fingerprint", app->client_fingerprint);
	put_str(&l, "server_fingerprint", app->server_fingerprint);
	put_str(&l, "user_agent", app->user_agent);
	put_registered(&l, rec);
	put_lit(&l, "}\n", 2);
	if (l.overflow)
		return -EOVERFLOW;
	errno = 0;
	if (fwrite(l.buf, 1, l.len, jp->fp) != l.len)
		return errno != 0 ? -errno : -EIO;
	return 0;
}

static int
json_flush(struct exporter *ex)
{
	struct json_priv *jp = exp_priv(ex);

	errno = 0;
	if (jp->fp != NULL && fflush(jp->fp) == EOF)
		return errno != 0 ? -errno : -EIO;
	return 0;
}

static void
json_close(struct exporter *ex)
{
	struct json_priv *jp = exp_priv(ex);

	if (jp->fp != NULL) {
		if (jp->own)
			fclose(jp->fp);
		else
			fflush(jp->fp);
	}
	free(jp->iobuf);
}

const struct exp_ops exp_json_ops = {
	.scheme = "json",
	.priv_size = sizeof(struct json_priv),
	.open = json_open,
	.write = json_write,
	.flush = json_flush,
	.close = json_close,
};
