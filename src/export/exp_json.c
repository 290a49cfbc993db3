/*
 * exp_json.c - JSON lines: one object per ended flow record.
 *
 * For people and pipes ("json:-" is standard output). Field names follow
 * the nfstream Streamer example; values come from the IE registry, as for
 * IPFIX and NetFlow v9 (jkeys[] below), and every registered row (plugin
 * field) follows under its own name; times are milliseconds since the epoch;
 * export_reason means what nfstream documents (0 idle timeout, 1 active
 * timeout, 2 end of the flow: FIN/RST, end of capture, eviction, 3 forced
 * by a plugin), flow_end_reason is the IPFIX flowEndReason number (RFC
 * 7011, IANA "flowEndReason" registry). Strings from the wire (server names, user
 * agents) are escaped so every line is valid JSON whatever they hold.
 *
 * Delivery is the transport's: "json:PATH" (and "json:-") writes through
 * the file transport, "json+tcp://HOST:PORT" streams the lines over TCP
 * (the queue and reconnects of tr_tcp.c; a line cut by a broken
 * connection is sent again whole on the next). Each line is one message
 * of one record, keyed by the flow (exp_flow_key) for keyed transports.
 * "json+kafka://BROKERS/TOPIC" (what "kafka://" means by default) makes
 * each record one Kafka message, the object without its newline; a full
 * queue drops the record, counted by the transport, and the probe goes
 * on. The records counted as written are those the transport delivered
 * (print_stats); a line too long for the buffer is an error of that
 * record only. "probe_id" ends every record when the probe has one
 * (--probe-id, the host name by default).
 */
#include "export/exp_int.h"
#include "ie/ie.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "transport/transport.h"

#define JSON_TCP_PORT	9996		/* json+tcp:// without a port */
#define FINISH_MS	3000		/* TCP: wait for the queue at exit */

#define JSON_KEYS	32		/* entries of jkeys[] below */
#define LINE_BASE	8192		/* the built-in keys, with room for
					 * escaped metadata strings */

struct json_priv {
	struct transport	*tr;
	const struct exp_conf	*conf;
	int			fatal;	/* the transport's (closed pipe) */
	int			tcp;
	int			kafka;
	int			full_warned;	/* Kafka queue full logged */
	/* The keys of a record, resolved at the first write (the registry
	 * is complete before any exporter opens): jkeys[], then every
	 * registered row. */
	struct jout		*out;
	size_t			n_out;
	char			*line;	/* the line being built */
	size_t			line_size; /* its room, bytes */
};

/* One key of the output, ready to copy. */
struct jout {
	char		key[80];	/* ,"name": (no comma for the first) */
	size_t		klen;
	int		src;		/* enum jsrc */
	const struct ie_def *def[2];	/* [0] IPv4, [1] IPv6 records */
	uint8_t		reverse;
};

/* The probe's identity, after every other key. */
static const struct jout probe_key = { ",\"probe_id\":", 12, 0, { NULL,
    NULL }, 0 };

/* A line being built; overflow is remembered, never written past. */
struct line {
	char	*buf;
	size_t	size;		/* LINE_BASE + what registered rows need */
	size_t	len;
	int	overflow;
};

/* Appends the literal <s> (no formatting: the hot path avoids printf). */
static void
put_lit(struct line *l, const char *s, size_t n)
{
	if (l->overflow || n >= l->size - l->len) {
		l->overflow = 1;
		return;
	}
	memcpy(l->buf + l->len, s, n);
	l->len += n;
}

/* Appends <v> in decimal. */
static void
put_digits(struct line *l, uint64_t v)
{
	char digits[20];
	size_t n = 0;

	do {
		digits[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	if (l->overflow || n >= l->size - l->len) {
		l->overflow = 1;
		return;
	}
	while (n > 0)
		l->buf[l->len++] = digits[--n];
}

/* Appends a key prepared by resolve(): ,"<name>": */
static void
put_key(struct line *l, const struct jout *k)
{
	put_lit(l, k->key, k->klen);
}

/* Appends "<key>":"<escaped s, n octets>". */
static void
put_strn(struct line *l, const struct jout *key, const uint8_t *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	put_key(l, key);
	put_lit(l, "\"", 1);
	for (i = 0; i < n && s[i] != '\0'; i++) {
		if (l->len + 7 >= l->size) {
			l->overflow = 1;
			return;
		}
		if (s[i] == '"' || s[i] == '\\') {
			l->buf[l->len++] = '\\';
			l->buf[l->len++] = (char)s[i];
		} else if (s[i] < 0x20 || s[i] >= 0x7f) {
			/* Bytes from the wire need not be UTF-8: keep them
			 * visible and the line valid. */
			memcpy(l->buf + l->len, "\\u00", 4);
			l->buf[l->len + 4] = hex[s[i] >> 4];
			l->buf[l->len + 5] = hex[s[i] & 15];
			l->len += 6;
		} else
			l->buf[l->len++] = (char)s[i];
	}
	put_lit(l, "\"", 1);
}

static void
put_cstr(struct line *l, const struct jout *key, const char *s)
{
	s = s != NULL ? s : "";
	put_strn(l, key, (const uint8_t *)s, strlen(s));
}

/*
 * Appends "<key>":<value of <def>> in its JSON form, by type: numbers as
 * JSON numbers (float64 with 17 significant digits, so it reads back
 * exactly; NaN and infinities as null), strings escaped, octet arrays as
 * hex strings, addresses as text.
 */
static void
put_value(struct line *l, const struct jout *key, const struct ie_def *def,
    const struct ie_rec *ir, int reverse)
{
	static const char hex[] = "0123456789abcdef";
	char buf[INET6_ADDRSTRLEN + 40], str[2 * 1024 + 1];
	uint8_t scratch[16];
	const uint8_t *p;
	uint64_t v;
	int64_t sv;
	double dv;
	size_t k, n;

	switch (def->type) {
	case IE_T_SIGNED64:
		v = ie_get_uint(def, ir, reverse);
		memcpy(&sv, &v, sizeof(sv));
		snprintf(buf, sizeof(buf), "%" PRId64, sv);
		put_key(l, key);
		put_lit(l, buf, strlen(buf));
		break;
	case IE_T_FLOAT64:
		v = ie_get_uint(def, ir, reverse);
		memcpy(&dv, &v, sizeof(dv));
		if (dv != dv || dv > 1.7976931348623157e308 ||
		    dv < -1.7976931348623157e308)
			snprintf(buf, sizeof(buf), "null");
		else
			snprintf(buf, sizeof(buf), "%.17g", dv);
		put_key(l, key);
		put_lit(l, buf, strlen(buf));
		break;
	case IE_T_STRING:
		n = ie_get_bytes(def, ir, reverse, &p, scratch);
		put_strn(l, key, p, n);
		break;
	case IE_T_OCTET_ARRAY:
		n = ie_get_bytes(def, ir, reverse, &p, scratch);
		for (k = 0; k < n && 2 * k + 1 < sizeof(str); k++) {
			str[2 * k] = hex[p[k] >> 4];
			str[2 * k + 1] = hex[p[k] & 15];
		}
		put_strn(l, key, (const uint8_t *)str, 2 * k);
		break;
	case IE_T_IPV4_ADDRESS:
	case IE_T_IPV6_ADDRESS:
		ie_get_bytes(def, ir, reverse, &p, scratch);
		if (inet_ntop(def->type == IE_T_IPV6_ADDRESS ? AF_INET6 :
		    AF_INET, p, buf, sizeof(buf)) == NULL)
			buf[0] = '\0';
		put_strn(l, key, (const uint8_t *)buf, strlen(buf));
		break;
	default:
		put_key(l, key);
		put_digits(l, ie_get_uint(def, ir, reverse));
		break;
	}
}

/* Where the value of a JSON key comes from. */
enum jsrc {
	J_IE,			/* registry element ie (ie6 in IPv6 records),
				 * of the forward or the reverse direction */
	J_ICMP_TYPE,		/* high octet of icmpTypeCode: ICMP only */
	J_ICMP_CODE,		/* its low octet */
	J_START,		/* first packet of both directions, ms */
	J_END,			/* last packet of both directions, ms */
	J_EXPORT_REASON,	/* nfstream's meaning (ie_export_reason) */
	J_GUESSED,		/* classification details not in the */
	J_CONFIDENCE,		/* registry */
};

/*
 * The JSON record: nfstream's key names, each value read from the IE
 * registry as the IPFIX and NetFlow v9 encoders read it (a biflow view of
 * the record: "src_to_dst" the forward elements, "dst_to_src" the reverse
 * ones), then every registered row (plugin fields) under its own name.
 */
static const struct jkey {
	const char	*key;
	enum jsrc	src;
	const char	*ie;
	const char	*ie6;		/* NULL: the same as ie */
	uint8_t		reverse;
} jkeys[JSON_KEYS] = {
	{ "ip_src", J_IE, "sourceIPv4Address", "sourceIPv6Address", 0 },
	{ "src_port", J_IE, "sourceTransportPort", NULL, 0 },
	{ "ip_dst", J_IE, "destinationIPv4Address", "destinationIPv6Address",
	  0 },
	{ "dst_port", J_IE, "destinationTransportPort", NULL, 0 },
	{ "ip_protocol", J_IE, "protocolIdentifier", NULL, 0 },
	{ "ip_version", J_IE, "ipVersion", NULL, 0 },
	{ "vlan_id", J_IE, "vlanId", NULL, 0 },
	{ "tunnel_id", J_IE, "UPSTREAM_TUNNEL_ID", NULL, 0 },
	{ "ingress_interface", J_IE, "ingressInterface", NULL, 0 },
	{ "src_to_dst_pkts", J_IE, "packetDeltaCount", NULL, 0 },
	{ "dst_to_src_pkts", J_IE, "packetDeltaCount", NULL, 1 },
	{ "src_to_dst_bytes", J_IE, "octetDeltaCount", NULL, 0 },
	{ "dst_to_src_bytes", J_IE, "octetDeltaCount", NULL, 1 },
	{ "start_time", J_START, NULL, NULL, 0 },
	{ "end_time", J_END, NULL, NULL, 0 },
	{ "src_to_dst_tcp_flags", J_IE, "tcpControlBits", NULL, 0 },
	{ "dst_to_src_tcp_flags", J_IE, "tcpControlBits", NULL, 1 },
	{ "src_to_dst_icmp_type", J_ICMP_TYPE, "icmpTypeCodeIPv4",
	  "icmpTypeCodeIPv6", 0 },
	{ "src_to_dst_icmp_code", J_ICMP_CODE, "icmpTypeCodeIPv4",
	  "icmpTypeCodeIPv6", 0 },
	{ "dst_to_src_icmp_type", J_ICMP_TYPE, "icmpTypeCodeIPv4",
	  "icmpTypeCodeIPv6", 1 },
	{ "dst_to_src_icmp_code", J_ICMP_CODE, "icmpTypeCodeIPv4",
	  "icmpTypeCodeIPv6", 1 },
	{ "export_reason", J_EXPORT_REASON, NULL, NULL, 0 },
	{ "flow_end_reason", J_IE, "flowEndReason", NULL, 0 },
	{ "application_name", J_IE, "applicationName", NULL, 0 },
	{ "category_name", J_IE, "applicationCategoryName", NULL, 0 },
	{ "application_id", J_IE, "ndpiProtocolIds", NULL, 0 },
	{ "application_is_guessed", J_GUESSED, NULL, NULL, 0 },
	{ "application_confidence", J_CONFIDENCE, NULL, NULL, 0 },
	{ "requested_server_name", J_IE, "FLOW_SERVER_NAME", NULL, 0 },
	{ "client_fingerprint", J_IE, "JA3C_HASH", NULL, 0 },
	{ "server_fingerprint", J_IE, "JA3S_HASH", NULL, 0 },
	{ "user_agent", J_IE, "HTTP_UA", NULL, 0 },
};

/* Prepares jp->out: the registry rows of jkeys[] and the registered rows,
 * each with its key text. Returns 0, -ENOENT (a row missing from the
 * registry), -ENOMEM. */
static int
resolve(struct json_priv *jp)
{
	const struct ie_reg *reg = jp->conf->reg;
	const struct ie_def *def;
	struct jout *o;
	size_t i, n = JSON_KEYS;

	/* Room for every registered value at its longest (strings escaped
	 * up to 6 octets each, octet arrays in hex), so a plugin field can
	 * never make a line overflow. */
	jp->line_size = LINE_BASE;
	for (i = 0; i < ie_count(reg); i++) {
		def = ie_at(reg, i);
		if (!(def->flags & IE_F_EXT))
			continue;
		n++;
		jp->line_size += 80 + 48 + 6 * (size_t)def->max_len;
	}
	if ((jp->out = calloc(n, sizeof(*jp->out))) == NULL ||
	    (jp->line = malloc(jp->line_size)) == NULL)
		goto nomem;
	for (i = 0; i < JSON_KEYS; i++) {
		o = &jp->out[jp->n_out++];
		o->src = jkeys[i].src;
		o->reverse = jkeys[i].reverse;
		o->klen = (size_t)snprintf(o->key, sizeof(o->key), "%s\"%s\":",
		    i == 0 ? "" : ",", jkeys[i].key);
		if (jkeys[i].ie == NULL)
			continue;
		o->def[0] = ie_find(reg, jkeys[i].ie);
		o->def[1] = jkeys[i].ie6 != NULL ? ie_find(reg, jkeys[i].ie6) :
		    o->def[0];
		if (o->def[0] == NULL || o->def[1] == NULL) {
			free(jp->out);
			free(jp->line);
			jp->out = NULL;
			jp->line = NULL;
			jp->n_out = 0;
			return -ENOENT;
		}
	}
	for (i = 0; i < ie_count(reg); i++) {
		def = ie_at(reg, i);
		if (!(def->flags & IE_F_EXT))
			continue;
		o = &jp->out[jp->n_out++];
		o->src = J_IE;
		o->def[0] = o->def[1] = def;
		/* Names are at most IE_EXT_NAME_MAX characters: it fits. */
		o->klen = (size_t)snprintf(o->key, sizeof(o->key), ",\"%s\":",
		    def->name);
	}
	return 0;
nomem:
	free(jp->out);
	free(jp->line);
	jp->out = NULL;
	jp->line = NULL;
	return -ENOMEM;
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

/* Every key of the record <rec> into <l>. */
static void
put_fields(struct line *l, const struct json_priv *jp,
    const struct exp_record *rec)
{
	const struct flow *f = rec->flow;
	const struct flow_counters *fw = &f->c[FLOW_DIR_FWD];
	const struct flow_counters *rv = &f->c[FLOW_DIR_REV];
	struct ie_rec ir = { rec, FLOW_DIR_FWD, 1 };
	int v6 = f->key.ip_version == 6;
	int icmp = f->key.proto == 1 || f->key.proto == 58;
	const struct jout *k;
	uint64_t v;
	size_t i;

	for (i = 0; i < jp->n_out; i++) {
		k = &jp->out[i];
		switch (k->src) {
		case J_IE:
			put_value(l, k, k->def[v6], &ir, k->reverse);
			break;
		case J_ICMP_TYPE:
		case J_ICMP_CODE:
			if (!icmp)
				break;
			v = ie_get_uint(k->def[v6], &ir, k->reverse);
			put_key(l, k);
			put_digits(l, k->src == J_ICMP_TYPE ? v >> 8 : v & 255);
			break;
		case J_START:
			put_key(l, k);
			put_digits(l, min_nz(fw->pkts ? fw->first_us : 0,
			    rv->pkts ? rv->first_us : 0) / 1000);
			break;
		case J_END:
			put_key(l, k);
			put_digits(l, (fw->last_us > rv->last_us ?
			    fw->last_us : rv->last_us) / 1000);
			break;
		case J_EXPORT_REASON:
			/* The meaning nfstream users know; flow_end_reason
			 * is the IPFIX code. */
			put_key(l, k);
			put_digits(l, ie_export_reason(rec->reason));
			break;
		case J_GUESSED:
			put_key(l, k);
			put_digits(l, rec->app->guessed);
			break;
		case J_CONFIDENCE:
			put_cstr(l, k, rec->app->confidence_name);
			break;
		}
	}
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
	jp->conf = conf;
	jp->tcp = strcmp(kind, "tcp") == 0;
	jp->kafka = strcmp(kind, "kafka") == 0;
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

static int
json_open_kafka(struct exporter *ex, const char *where,
    const struct exp_conf *conf, struct perr *err)
{
	if (strncmp(where, "//", 2) != 0)
		return perr_set(err, -EINVAL, "collector '%s': expected "
		    "kafka://BROKER[:PORT][,BROKER[:PORT]...]/TOPIC",
		    exp_uri(ex));
	return json_open_on(ex, "kafka", where + 2, 0, conf, err);
}

/* One line, one message; transient failures are counted by the
 * transport, only a fatal one (a closed pipe) is returned. */
static int
send_line(struct exporter *ex, struct json_priv *jp, const struct flow *f,
    uint8_t *buf, size_t len)
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
	if (tr_send(jp->tr, &m) == -ENOBUFS && jp->kafka &&
	    !jp->full_warned) {
		jp->full_warned = 1;
		log_warn("collector '%s': Kafka queue full (%" PRIu32
		    " messages): records are dropped until the brokers take "
		    "them (--export-queue)", exp_uri(ex),
		    jp->conf->export_queue);
	}
	return jp->fatal = tr_fatal(jp->tr);
}

static int
json_write(struct exporter *ex, const struct exp_record *rec)
{
	struct json_priv *jp = exp_priv(ex);
	struct line l;
	int rc;

	if (jp->out == NULL && (rc = resolve(jp)) != 0)
		return rc;
	l.buf = jp->line;
	l.size = jp->line_size;
	l.len = 0;
	l.overflow = 0;
	l.buf[l.len++] = '{';
	put_fields(&l, jp, rec);
	if (jp->conf->probe_id != NULL)
		put_strn(&l, &probe_key, (const uint8_t *)jp->conf->probe_id,
		    strlen(jp->conf->probe_id));
	put_lit(&l, "}\n", 2);
	if (l.overflow)
		return -EOVERFLOW;
	/* A Kafka message is one object: no line end. */
	return send_line(ex, jp, rec->flow, (uint8_t *)l.buf, jp->kafka ?
	    l.len - 1 : l.len);
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

	if (jp->tr == NULL)
		return 0;
	tr_drain(jp->tr, jp->kafka ? jp->conf->kafka_flush_timeout_ms :
	    FINISH_MS);
	if ((jp->fatal = tr_fatal(jp->tr)) != 0)
		return jp->fatal;
	return exp_lost_of(jp->tr);
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
	if (jp->kafka) {
		fprintf(fp, "l7probe: collector %s: records delivered %" PRIu64
		    ", bytes %" PRIu64 ", records not delivered %" PRIu64
		    ", waiting %" PRIu32 "\n", exp_uri(ex), ts.records_sent,
		    ts.bytes_sent, ts.records_dropped, ts.queued_records);
		return;
	}
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
	free(jp->out);
	free(jp->line);
	jp->out = NULL;
	jp->line = NULL;
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
JSON_OPS(exp_json_kafka_ops, "json+kafka", json_open_kafka);
