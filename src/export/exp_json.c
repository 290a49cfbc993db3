/*
 * exp_json.c - JSON lines: one object per ended flow record.
 *
 * For people and pipes ("json:-" is standard output). Field names follow
 * the nfstream Streamer example; times are milliseconds since the epoch;
 * export_reason is the IPFIX flowEndReason number (RFC 7011, IANA
 * "flowEndReason" registry). Strings from the wire (server names, user
 * agents) are escaped so every line is valid JSON whatever they hold.
 *
 * Delivery is the transport's: "json:PATH" (and "json:-") writes through
 * the file transport, "json+tcp://HOST:PORT" streams the lines over TCP
 * (the queue and reconnects of tr_tcp.c; a line cut by a broken
 * connection is sent again whole on the next). Each line is one message
 * of one record, keyed by the flow (exp_flow_key) for keyed transports.
 * The records counted as written are those the transport delivered
 * (print_stats); a line too long for the buffer is an error of that
 * record only.
 */
#include "export/exp_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <inttypes.h>

#include "transport/transport.h"

#define JSON_TCP_PORT	9996		/* json+tcp:// without a port */
#define FINISH_MS	3000		/* TCP: wait for the queue at exit */

struct json_priv {
	struct transport	*tr;
	int			fatal;	/* the transport's (closed pipe) */
	int			tcp;
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

static int
json_open_on(struct exporter *ex, const char *kind, const char *target,
    uint16_t port, const struct exp_conf *conf, struct perr *err)
{
	struct json_priv *jp = exp_priv(ex);
	struct transport_conf tc;

	memset(&tc, 0, sizeof(tc));
	tc.kind = kind;
	tc.target = target;
	tc.default_port = port;
	tc.queue_records = conf->export_queue;
	tc.name = exp_uri(ex);
	jp->tcp = strcmp(kind, "tcp") == 0;
	if ((jp->tr = tr_open(&tc, NULL, err)) == NULL)
		return err != NULL && err->code != 0 ? err->code : -EIO;
	return 0;
}

static int
json_open(struct exporter *ex, const char *where,
    const struct exp_conf *conf, struct perr *err)
{
	return json_open_on(ex, "file", where, 0, conf, err);
}

static int
json_open_tcp(struct exporter *ex, const char *where,
    const struct exp_conf *conf, struct perr *err)
{
	if (strncmp(where, "//", 2) != 0 || where[2] == '\0')
		return perr_set(err, -EINVAL, "collector '%s': expected "
		    "json+tcp://HOST[:PORT]", exp_uri(ex));
	return json_open_on(ex, "tcp", where + 2, JSON_TCP_PORT, conf, err);
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

/* One line, one message; transient failures are counted by the
 * transport, only a fatal one (a closed pipe) is returned. */
static int
send_line(struct json_priv *jp, const struct flow *f, uint8_t *buf,
    size_t len)
{
	uint8_t key[EXP_FLOW_KEY_MAX];
	struct tr_msg m;

	if (jp->fatal)
		return jp->fatal;
	memset(&m, 0, sizeof(m));
	m.data = buf;
	m.len = len;
	m.key = key;
	m.key_len = exp_flow_key(f, key, sizeof(key));
	m.n_records = 1;
	m.n_seq = 1;
	(void)tr_send(jp->tr, &m);
	return jp->fatal = tr_fatal(jp->tr);
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
	put_num(&l, "export_reason", (uint64_t)rec->reason);
	put_str(&l, "application_name", app->app_name);
	put_str(&l, "category_name", app->category_name);
	put_str(&l, "application_id", app->app_id_str);
	put_num(&l, "application_is_guessed", app->guessed);
	put_str(&l, "application_confidence", app->confidence_name);
	put_str(&l, "requested_server_name", app->server_name);
	put_str(&l, "client_fingerprint", app->client_fingerprint);
	put_str(&l, "server_fingerprint", app->server_fingerprint);
	put_str(&l, "user_agent", app->user_agent);
	put_lit(&l, "}\n", 2);
	if (l.overflow)
		return -EOVERFLOW;
	return send_line(jp, f, (uint8_t *)l.buf, l.len);
}

static int
json_flush(struct exporter *ex)
{
	struct json_priv *jp = exp_priv(ex);

	if (jp->tr == NULL)
		return 0;
	tr_poll(jp->tr, 0);
	return jp->fatal = tr_fatal(jp->tr);
}

static int
json_status(struct exporter *ex, struct perr *why)
{
	struct json_priv *jp = exp_priv(ex);

	return jp->tr != NULL ? tr_status(jp->tr, why) : 0;
}

static int
json_finish(struct exporter *ex)
{
	struct json_priv *jp = exp_priv(ex);
	struct tr_stats ts;

	if (jp->tr == NULL)
		return 0;
	tr_drain(jp->tr, FINISH_MS);
	tr_get_stats(jp->tr, &ts);
	if ((jp->fatal = tr_fatal(jp->tr)) != 0)
		return jp->fatal;
	return ts.records_dropped > 0 ? -ENOBUFS : ts.records_unacked > 0 ?
	    -ETIMEDOUT : 0;
}

static int
json_reopen(struct exporter *ex)
{
	struct json_priv *jp = exp_priv(ex);
	struct perr err = { 0, "" };
	int rc;

	if (jp->tr == NULL)
		return 0;
	if ((rc = tr_reopen(jp->tr, &err)) != 0)
		log_err("%s (the old file is kept)", err.msg);
	return rc;
}

static void
json_delivery(struct exporter *ex, struct exp_delivery *d)
{
	struct json_priv *jp = exp_priv(ex);

	exp_delivery_of(jp->tr, d);
}

static void
json_print_stats(struct exporter *ex, FILE *fp)
{
	struct json_priv *jp = exp_priv(ex);
	struct tr_stats ts;

	if (jp->tr == NULL)
		return;
	tr_get_stats(jp->tr, &ts);
	fprintf(fp, "l7probe: collector %s: records written %" PRIu64
	    ", bytes %" PRIu64 ", records dropped %" PRIu64, exp_uri(ex),
	    ts.records_sent, ts.bytes_sent, ts.records_dropped);
	if (jp->tcp)
		fprintf(fp, ", reconnects %" PRIu64 ", records "
		    "unacknowledged %" PRIu64, ts.reconnects,
		    ts.records_unacked);
	if (ts.reopens > 0)
		fprintf(fp, ", reopened %" PRIu64, ts.reopens);
	if (tr_fatal(jp->tr) == -EPIPE)
		fprintf(fp, " (the reader closed the pipe)");
	fputc('\n', fp);
}

static void
json_close(struct exporter *ex)
{
	struct json_priv *jp = exp_priv(ex);

	tr_close(jp->tr);
	jp->tr = NULL;
}

#define JSON_OPS(sym, scheme_, open_)				\
const struct exp_ops sym = {					\
	.scheme = scheme_,					\
	.priv_size = sizeof(struct json_priv),			\
	.open = open_,						\
	.write = json_write,					\
	.flush = json_flush,					\
	.close = json_close,					\
	.status = json_status,					\
	.finish = json_finish,					\
	.reopen = json_reopen,					\
	.print_stats = json_print_stats,			\
	.delivery = json_delivery,					\
}

JSON_OPS(exp_json_ops, "json", json_open);
JSON_OPS(exp_json_tcp_ops, "json+tcp", json_open_tcp);
