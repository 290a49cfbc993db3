/*
 * opts.c - every option of the probe, defined once.
 *
 * The table below gives each option's names, value kind, range, default,
 * help text and struct conf field. cli.c parses argv with it, cfile.c the
 * configuration file (keys are the long names), conf_defaults() fills the
 * defaults from it, conf_usage() prints it, and the collector kinds table
 * checks -n URIs and writes their part of the help. To add an option: one
 * line in conf_opts[], a field in struct conf, an entry in doc/l7probe.8
 * (tests/e2e/cli_errors.sh fails until the man page has it).
 */
#include "conf/conf.h"
#include "conf/conf_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Collector kinds, by URI prefix. What follows is a path or HOST[:PORT];
 * the exporter checks the rest when it opens. */
enum chroot_use {
	CHROOT_OK,		/* opened once, before the chroot */
	CHROOT_NUMERIC,		/* reconnects: the host must be an address */
	CHROOT_NO,		/* reopened by path (SIGHUP) */
	CHROOT_NEVER,		/* resolves names at any time (Kafka) */
};

static const struct collector_kind {
	const char	*prefix;
	int		network;	/* HOST[:PORT] follows, else a path;
					 * 2: BROKER[:PORT],.../TOPIC[?...] */
	enum chroot_use	chroot;
	const char	*help;
} collector_kinds[] = {
	{ "json:", 0, CHROOT_NO, "JSON lines (- = stdout)" },
	{ "json+tcp://", 1, CHROOT_NUMERIC, "JSON lines, TCP (9996)" },
	{ "ipfix://", 1, CHROOT_OK, "IPFIX, UDP (4739)" },
	{ "ipfix+udp://", 1, CHROOT_OK, "the same" },
	{ "ipfix+tcp://", 1, CHROOT_NUMERIC, "IPFIX, TCP (4739)" },
	{ "ipfix-file:", 0, CHROOT_NO, "IPFIX file (- = stdout)" },
	{ "nfv9://", 1, CHROOT_OK, "NetFlow v9, UDP (2055)" },
	{ "kafka://", 2, CHROOT_NEVER, "Kafka (9092); then "
	  "?format=json|ipfix&KEY=VALUE... (librdkafka settings): a JSON "
	  "record or an IPFIX message per Kafka message" },
};
#define N_KINDS	(sizeof(collector_kinds) / sizeof(collector_kinds[0]))

static const struct collector_kind *
collector_kind(const char *uri)
{
	size_t i;

	for (i = 0; i < N_KINDS; i++)
		if (strncmp(uri, collector_kinds[i].prefix,
		    strlen(collector_kinds[i].prefix)) == 0)
			return &collector_kinds[i];
	return NULL;
}

static int
is_digits(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if (*s < '0' || *s > '9')
			return 0;
	return 1;
}

/* Checks HOST[:PORT] after a network collector's prefix. An IPv6 address
 * must be in brackets: "::1:4739" is both [::1]:4739 and [::1:4739]. */
static int
check_host(const char *uri, size_t plen, char *why, size_t whylen)
{
	const char *h = uri + plen, *colon, *close;
	unsigned char a6[16];
	char addr[64];
	size_t alen;

	if (*h == '\0') {
		snprintf(why, whylen, "missing HOST:PORT after '%.*s'",
		    (int)plen, uri);
		return -EINVAL;
	}
	if (*h == '[') {
		if ((close = strchr(h, ']')) == NULL || close == h + 1) {
			snprintf(why, whylen, "unclosed or empty '[' (write "
			    "an IPv6 address as [ADDR]:PORT)");
			return -EINVAL;
		}
		colon = close + 1;
	} else {
		colon = strchr(h, ':');
		if (colon != NULL && strchr(colon + 1, ':') != NULL) {
			colon = strrchr(h, ':');
			alen = (size_t)(colon - h);
			if (alen < sizeof(addr) && is_digits(colon + 1)) {
				memcpy(addr, h, alen);
				addr[alen] = '\0';
				if (inet_pton(AF_INET6, addr, a6) == 1) {
					snprintf(why, whylen, "an IPv6 address "
					    "needs brackets: use %.*s[%s]:%s",
					    (int)plen, uri, addr, colon + 1);
					return -EINVAL;
				}
			}
			snprintf(why, whylen, "an IPv6 address needs "
			    "brackets: use %.*s[%s] or %.*s[ADDR]:PORT",
			    (int)plen, uri, h, (int)plen, uri);
			return -EINVAL;
		}
		if (colon == h) {
			snprintf(why, whylen, "missing HOST before ':'");
			return -EINVAL;
		}
	}
	if (colon != NULL && *colon != '\0') {
		unsigned long port;

		if (*colon != ':' || !is_digits(colon + 1) ||
		    (port = strtoul(colon + 1, NULL, 10)) == 0 ||
		    port > 65535) {
			snprintf(why, whylen, "bad port '%s' (1 to 65535)",
			    *colon == ':' ? colon + 1 : colon);
			return -EINVAL;
		}
	}
	return 0;
}

static int
check_collector(const char *uri, char *why, size_t whylen)
{
	const struct collector_kind *k;
	size_t i, n, plen;

	if ((k = collector_kind(uri)) == NULL) {
		n = (size_t)snprintf(why, whylen, "unknown kind (use");
		for (i = 0; i < N_KINDS && n < whylen; i++)
			n += (size_t)snprintf(why + n, whylen - n, "%s %s%s",
			    i == 0 ? "" : i + 1 == N_KINDS ? " or" : ",",
			    collector_kinds[i].prefix,
			    collector_kinds[i].network == 2 ?
			    "BROKER[:PORT]/TOPIC" :
			    collector_kinds[i].network ? "HOST:PORT" : "PATH");
		if (n < whylen)
			snprintf(why + n, whylen - n, ")");
		return -EINVAL;
	}
	plen = strlen(k->prefix);
	if (k->network == 2) {
		/* The brokers, topic and settings: the exporter's. */
		if (uri[plen] != '\0')
			return 0;
		snprintf(why, whylen, "missing BROKER[:PORT]/TOPIC after '%s'",
		    k->prefix);
		return -EINVAL;
	}
	if (k->network)
		return check_host(uri, plen, why, whylen);
	if (uri[plen] == '\0') {
		snprintf(why, whylen, "missing a path ('-' for standard "
		    "output) after '%s'", k->prefix);
		return -EINVAL;
	}
	return 0;
}

static const char *const level_names[] = { "err", "warn", "info", "debug" };

const char *
conf_log_level_name(int lvl)
{
	if (lvl < 0 || lvl > LOG_LVL_DEBUG)
		return "?";
	return level_names[lvl];
}

#define F(field)	offsetof(struct conf, field)
#define U32(lo, hi, d)	.kind = CONF_K_U32, .min = (lo), .max = (hi), .def = (d)
#define FLAG(v, d)	.kind = CONF_K_FLAG, .flag_val = (v), .flag_def = (d)
#define LIST(f, n, m)	.kind = CONF_K_LIST, .off = F(f), .off_n = F(n), \
			.max_n = (m)

const struct conf_opt conf_opts[] = {
	{ "read", 'r', .kind = CONF_K_STR, .metavar = "FILE", .off = F(read_file),
	  .section = "Input",
	  .help = "read a pcap or pcapng file (\"-\" = standard input)" },
	{ "interface", 'i', LIST(ifaces, n_ifaces, CONF_MAX_IFACES),
	  .metavar = "IFACE",
	  .help = "capture live on IFACE; repeatable; \"any\" = all" },
	{ "merge-interfaces", 0, FLAG(1, 0), .off = F(merge_interfaces),
	  .help = "one flow for a 5-tuple seen on several interfaces" },
	{ "filter", 'f', .kind = CONF_K_STR, .metavar = "EXPR", .off = F(filter),
	  .help = "BPF filter (pcap-filter(7) syntax)" },
	{ "snaplen", 's', U32(64, 262144, 65535), .metavar = "N",
	  .off = F(snaplen), .help = "bytes captured per packet" },
	{ "buffer-size", 0, U32(1, 4096, 64), .metavar = "MB",
	  .off = F(buffer_size_mb),
	  .help = "kernel ring per interface, MiB" },
	{ "no-promisc", 0, FLAG(0, 1), .off = F(promisc),
	  .help = "do not put IFACE in promiscuous mode" },
	{ "no-tunnels", 0, FLAG(0, 1), .off = F(tunnels),
	  .help = "do not look inside GRE, IP-in-IP, GTP-U, VXLAN" },

	{ "active-timeout", 0, U32(1, 604800, 120), .metavar = "SEC",
	  .off = F(active_timeout_s), .section = "Flows",
	  .help = "export long flows every SEC seconds" },
	{ "idle-timeout", 0, U32(1, 604800, 120), .metavar = "SEC",
	  .off = F(idle_timeout_s),
	  .help = "end flows idle for SEC seconds" },
	{ "max-flows", 0, U32(1, 100000000, 128000), .metavar = "N",
	  .off = F(max_flows),
	  .help = "flow table capacity; when full, the least recently used "
	  "flow is exported" },
	{ "threads", 0, U32(1, 64, 0), .metavar = "N", .off = F(threads),
	  .flags = CONF_F_NO_DEFAULT,
	  .help = "flow workers (default: the number of online cores); 1 "
	  "runs everything in one thread" },

	{ "no-dpi", 0, FLAG(0, 1), .off = F(dpi), .section = "Classification",
	  .help = "do not classify flows with nDPI" },
	{ "dpi-packets", 0, U32(1, 65535, 20), .metavar = "N",
	  .off = F(dpi_packets), .help = "packets per flow given to nDPI" },
	{ "plugin", 0, LIST(plugins, n_plugins, CONF_MAX_PLUGINS),
	  .metavar = "NAME[:ARGS]",
	  .help = "a bundled plugin (count_pkts_gt, nth_pkt_size, "
	  "first_pkts, pkt_stats), or PATH.so[:ARGS]; repeatable, in order "
	  "(see doc/plugins.md)" },

	{ "collector", 'n', LIST(collectors, n_collectors, CONF_MAX_COLLECTORS),
	  .metavar = "URI", .check = check_collector, .section = "Output",
	  .help = "where flow records go; repeatable, every collector gets "
	  "every record (default json:-):" },
	{ "template", 'T', .kind = CONF_K_STR, .metavar = "NAME|FILE",
	  .off = F(template), .def_str = "default",
	  .help = "fields of IPFIX and NetFlow v9 records" },
	{ "biflow", 0, FLAG(1, 0), .off = F(biflow),
	  .help = "IPFIX: one RFC 5103 record per flow instead of one per "
	  "direction" },
	{ "observation-domain", 0, U32(0, UINT32_MAX, 0), .metavar = "N",
	  .off = F(observation_domain),
	  .help = "IPFIX domain / v9 source id" },
	{ "pen", 0, U32(1, UINT32_MAX, 32473), .metavar = "N", .off = F(pen),
	  .help = "enterprise number of l7probe's own elements; the default "
	  "is for documentation, set yours" },
	{ "mtu", 0, U32(512, 65000, 0), .metavar = "N", .off = F(mtu),
	  .flags = CONF_F_NO_DEFAULT,
	  .help = "largest UDP export message, bytes (default 1400; 8192 to "
	  "a collector on this host)" },
	{ "template-refresh", 0, U32(1, 86400, 60), .metavar = "SEC",
	  .off = F(template_refresh_s), .help = "UDP: resend templates" },
	{ "template-refresh-packets", 0, U32(1, 1000000, 20), .metavar = "N",
	  .off = F(template_refresh_pkts),
	  .help = "UDP: and every N messages" },
	{ "export-queue", 0, U32(1, 100000000, 65536), .metavar = "N",
	  .off = F(export_queue),
	  .help = "TCP: records held while the collector is away; beyond, "
	  "records are dropped and counted; Kafka: messages in librdkafka's "
	  "queue (queue.buffering.max.messages)" },
	{ "probe-id", 0, .kind = CONF_K_STR, .metavar = "ID", .off = F(probe_id),
	  .help = "\"probe_id\" of every JSON record, so the consumers of "
	  "several probes (one Kafka topic) know which saw a flow (default: "
	  "the host name)" },
	{ "kafka-flush-timeout", 0, U32(0, 600000, 5000), .metavar = "MS",
	  .off = F(kafka_flush_timeout_ms),
	  .help = "Kafka: longest wait at exit for the queue to be delivered, "
	  "milliseconds; the rest is counted as not delivered" },

	{ "config", 'C', .kind = CONF_K_CONFIG, .metavar = "FILE",
	  .off = F(config_file), .flags = CONF_F_CLI_ONLY, .section = "Service",
	  .help = "read options from FILE, one \"name = value\" a line; the "
	  "command line wins" },
	{ "daemon", 'D', FLAG(1, 0), .off = F(daemon),
	  .help = "run in the background, log to syslog; exits 0 once "
	  "capturing" },
	{ "pidfile", 0, .kind = CONF_K_STR, .metavar = "PATH", .off = F(pidfile),
	  .help = "write the process id to PATH, locked; refuse to start "
	  "while another probe holds it" },
	{ "user", 'u', .kind = CONF_K_STR, .metavar = "USER", .off = F(user),
	  .help = "after opening captures and collectors, run as USER" },
	{ "group", 0, .kind = CONF_K_STR, .metavar = "GROUP", .off = F(group),
	  .help = "with --user: run as GROUP (default: USER's group)" },
	{ "chroot", 0, .kind = CONF_K_STR, .metavar = "DIR",
	  .off = F(chroot_dir),
	  .help = "with --user: confine the probe to DIR (network collectors "
	  "only, TCP ones by address)" },
	{ "log-level", 0, .kind = CONF_K_LEVEL, .metavar = "LEVEL",
	  .off = F(log_level), .flag_def = LOG_LVL_WARN,
	  .help = "err, warn, info or debug" },
	{ "stats-interval", 0, U32(0, 86400, 0), .metavar = "SEC",
	  .off = F(stats_interval_s),
	  .help = "log a line of counters every SEC seconds (0 = never)" },

	{ "quiet", 'q', FLAG(1, 0), .off = F(quiet), .section = "Other",
	  .help = "do not print statistics at exit" },
	{ "verbose", 'v', .kind = CONF_K_COUNT, .off = F(verbose),
	  .help = "log level info, twice debug" },
	{ "help", 'h', .kind = CONF_K_ACTION, .flag_val = CONF_HELP,
	  .flags = CONF_F_CLI_ONLY, .help = "print this help and exit" },
	{ "version", 'V', .kind = CONF_K_ACTION, .flag_val = CONF_VERSION,
	  .flags = CONF_F_CLI_ONLY,
	  .help = "print the version and the libraries built in" },
};
const size_t conf_n_opts = sizeof(conf_opts) / sizeof(conf_opts[0]);

_Static_assert(sizeof(conf_opts) / sizeof(conf_opts[0]) <= CONF_MAX_OPTS,
    "struct conf_state is too small for the option table");

const struct conf_opt *
conf_opt_by_name(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < conf_n_opts; i++)
		if (strlen(conf_opts[i].name) == len &&
		    memcmp(conf_opts[i].name, name, len) == 0)
			return &conf_opts[i];
	return NULL;
}

const struct conf_opt *
conf_opt_by_short(int ch)
{
	size_t i;

	for (i = 0; i < conf_n_opts; i++)
		if (ch != 0 && conf_opts[i].short_name == ch)
			return &conf_opts[i];
	return NULL;
}

void
conf_defaults(struct conf *c)
{
	const struct conf_opt *o;
	char *base = (char *)c;
	size_t i;

	memset(c, 0, sizeof(*c));
	for (i = 0; i < conf_n_opts; i++) {
		o = &conf_opts[i];
		switch (o->kind) {
		case CONF_K_FLAG:
		case CONF_K_LEVEL:
			*(int *)(base + o->off) = o->flag_def;
			break;
		case CONF_K_U32:
			*(uint32_t *)(base + o->off) = o->def;
			break;
		case CONF_K_STR:
			*(const char **)(base + o->off) = o->def_str;
			break;
		default:
			break;
		}
	}
}

void
conf_fini(struct conf *c)
{
	free(c->text_);
	c->text_ = NULL;
}

/* Reads decimal digits only: no sign, no spaces, no "0x". */
static int
parse_u32(const struct conf_opt *o, const char *label, const char *s,
    uint32_t *out, struct perr *err)
{
	unsigned long long v;
	const char *p;

	for (p = s; *p != '\0'; p++)
		if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
			return perr_set(err, -EINVAL, "%s '%s': not a whole "
			    "number (no spaces allowed)", label, s);
	if (!is_digits(s))
		return perr_set(err, -EINVAL, "%s '%s': not a whole number",
		    label, s);
	errno = 0;
	v = strtoull(s, NULL, 10);
	if (errno == ERANGE || v < o->min || v > o->max)
		return perr_set(err, -ERANGE, "%s '%s': out of range (%lu to "
		    "%lu)", label, s, (unsigned long)o->min,
		    (unsigned long)o->max);
	*out = (uint32_t)v;
	return 0;
}

int
conf_opt_set(struct conf *c, struct conf_state *st, const struct conf_opt *o,
    const char *value, enum conf_src src, const char *where, int line,
    struct perr *err)
{
	size_t idx = (size_t)(o - conf_opts);
	char *base = (char *)c;
	char label[96], why[384];
	int *n, lvl;

	if (src == CONF_SRC_FILE)
		snprintf(label, sizeof(label), "%s%s", where, o->name);
	else
		snprintf(label, sizeof(label), "%s--%s", where, o->name);

	switch (o->kind) {
	case CONF_K_LIST:
	case CONF_K_COUNT:
		/* Repeatable: the command line's list replaces the file's. */
		if (st->src[idx] == CONF_SRC_FILE && src == CONF_SRC_CLI) {
			n = (int *)(base + (o->kind == CONF_K_LIST ? o->off_n :
			    o->off));
			*n = 0;
		}
		break;
	case CONF_K_FLAG:
	case CONF_K_ACTION:
		break;
	default:
		if (st->src[idx] == src) {
			if (src == CONF_SRC_FILE)
				return perr_set(err, -EINVAL, "%s: given twice "
				    "(first on line %d); it takes one value",
				    label, st->line[idx]);
			return perr_set(err, -EINVAL, "option %s given twice; "
			    "it takes one value", label);
		}
		break;
	}
	st->src[idx] = (unsigned char)src;
	st->line[idx] = line;

	switch (o->kind) {
	case CONF_K_FLAG:
		*(int *)(base + o->off) = o->flag_val;
		return 0;
	case CONF_K_COUNT:
		(*(int *)(base + o->off))++;
		return 0;
	case CONF_K_U32:
		return parse_u32(o, label, value, (uint32_t *)(base + o->off),
		    err);
	case CONF_K_STR:
	case CONF_K_CONFIG:
		if (*value == '\0')
			return perr_set(err, -EINVAL, "%s: empty value", label);
		*(const char **)(base + o->off) = value;
		return 0;
	case CONF_K_LEVEL:
		for (lvl = 0; lvl <= LOG_LVL_DEBUG; lvl++)
			if (strcmp(value, level_names[lvl]) == 0) {
				*(int *)(base + o->off) = lvl;
				return 0;
			}
		return perr_set(err, -EINVAL, "%s '%s': unknown level (use "
		    "err, warn, info or debug)", label, value);
	case CONF_K_LIST:
		n = (int *)(base + o->off_n);
		if (*n == o->max_n)
			return perr_set(err, -E2BIG, "%s: too many (at most "
			    "%d)", label, o->max_n);
		if (*value == '\0')
			return perr_set(err, -EINVAL, "%s: empty value", label);
		if (o->check != NULL && o->check(value, why, sizeof(why)) != 0)
			return perr_set(err, -EINVAL, "%s '%s': %s",
			    src == CONF_SRC_FILE ? label : o->name, value, why);
		((const char **)(base + o->off))[(*n)++] = value;
		return 0;
	case CONF_K_ACTION:
		return 0;
	}
	return -EINVAL;
}

/* --- help ------------------------------------------------------------- */

#define HELP_COL	27	/* where descriptions start */
#define HELP_WIDTH	79

struct sbuf {
	char	*p;
	size_t	len, cap;
};

static void
sb_printf(struct sbuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
sb_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->len >= b->cap)
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		b->len = b->len + (size_t)n < b->cap ? b->len + (size_t)n :
		    b->cap;
}

/* Writes <text> word-wrapped from column <col> (the cursor is at <at>). */
static void
sb_wrap(struct sbuf *b, size_t at, size_t col, const char *text)
{
	const char *w = text, *e;
	size_t len;

	if (at + 2 > col) {
		sb_printf(b, "\n");
		at = 0;
	}
	sb_printf(b, "%*s", (int)(col - at), "");
	at = col;
	while (*w != '\0') {
		for (e = w; *e != '\0' && *e != ' '; e++)
			;
		len = (size_t)(e - w);
		if (at > col && at + 1 + len > HELP_WIDTH) {
			sb_printf(b, "\n%*s", (int)col, "");
			at = col;
		} else if (at > col) {
			sb_printf(b, " ");
			at++;
		}
		sb_printf(b, "%.*s", (int)len, w);
		at += len;
		w = *e == ' ' ? e + 1 : e;
	}
	sb_printf(b, "\n");
}

static char usage_buf[16384];

const char *
conf_usage(void)
{
	struct sbuf b = { usage_buf, 0, sizeof(usage_buf) };
	const struct conf_opt *o;
	char left[64], text[512];
	size_t i, k;
	int n;

	if (usage_buf[0] != '\0')
		return usage_buf;
	sb_printf(&b, "usage: l7probe (-r FILE | -i IFACE) [options]\n\n"
	    "Reads packets from a capture file or live interfaces, tracks\n"
	    "bidirectional flows, classifies them and exports one record per "
	    "flow.\n");
	for (i = 0; i < conf_n_opts; i++) {
		o = &conf_opts[i];
		if (o->section != NULL)
			sb_printf(&b, "\n%s:\n", o->section);
		if (o->short_name != 0)
			n = snprintf(left, sizeof(left), "  -%c, --%s",
			    o->short_name, o->name);
		else
			n = snprintf(left, sizeof(left), "      --%s", o->name);
		if (o->metavar != NULL && n > 0 && (size_t)n < sizeof(left))
			snprintf(left + n, sizeof(left) - (size_t)n, " %s",
			    o->metavar);
		if (o->kind == CONF_K_U32 && !(o->flags & CONF_F_NO_DEFAULT))
			snprintf(text, sizeof(text), "%s (default %lu)",
			    o->help, (unsigned long)o->def);
		else if (o->kind == CONF_K_STR && o->def_str != NULL)
			snprintf(text, sizeof(text), "%s (default \"%s\")",
			    o->help, o->def_str);
		else if (o->kind == CONF_K_LEVEL)
			snprintf(text, sizeof(text), "%s (default %s)",
			    o->help, level_names[o->flag_def]);
		else
			snprintf(text, sizeof(text), "%s", o->help);
		sb_printf(&b, "%s", left);
		sb_wrap(&b, strlen(left), HELP_COL, text);
		if (o->check == check_collector)
			for (k = 0; k < N_KINDS; k++) {
				n = snprintf(left, sizeof(left), "%*s%s%s",
				    HELP_COL + 2, "", collector_kinds[k].prefix,
				    collector_kinds[k].network == 2 ?
				    "BROKER[:PORT][,...]/TOPIC" :
				    collector_kinds[k].network ?
				    "HOST[:PORT]" : "PATH");
				sb_printf(&b, "%s", left);
				sb_wrap(&b, (size_t)n, HELP_COL + 27,
				    collector_kinds[k].help);
			}
		if (o->check == check_collector)
			sb_wrap(&b, 0, HELP_COL + 2, "an IPv6 HOST is written "
			    "in brackets: ipfix://[::1]:4739");
	}
	sb_printf(&b, "\nCounters of packets read, accounted and ignored are "
	    "printed on standard\nerror at exit. SIGINT, SIGTERM or SIGQUIT "
	    "exports every flow and exits;\nSIGHUP reopens output files; "
	    "SIGUSR1 logs the counters.\nThe configuration file and examples: "
	    "see l7probe(8).\n");
	return usage_buf;
}

/* --- whole-configuration checks --------------------------------------- */

static int
is_address(const char *host, size_t len)
{
	unsigned char a[16];
	char buf[64];

	if (len == 0 || len >= sizeof(buf))
		return 0;
	memcpy(buf, host, len);
	buf[len] = '\0';
	return inet_pton(AF_INET, buf, a) == 1 ||
	    inet_pton(AF_INET6, buf, a) == 1;
}

/* Host part of a network collector URI, for the chroot check. */
static int
host_is_address(const char *uri, size_t plen)
{
	const char *h = uri + plen, *e;

	if (*h == '[')
		return (e = strchr(h, ']')) != NULL &&
		    is_address(h + 1, (size_t)(e - h - 1));
	e = strchr(h, ':');
	return is_address(h, e != NULL ? (size_t)(e - h) : strlen(h));
}

int
conf_validate(const struct conf *c, struct perr *err)
{
	const struct collector_kind *k;
	const char *uri, *path;
	int i;

	if (c->read_file == NULL && c->n_ifaces == 0)
		return perr_set(err, -EINVAL,
		    "no input: give -r FILE or -i IFACE (see --help)");
	if (c->read_file != NULL && c->n_ifaces > 0)
		return perr_set(err, -EINVAL,
		    "-r and -i are exclusive: read a file or capture live");
	if (c->verbose > 0 && c->log_level != LOG_LVL_WARN)
		return perr_set(err, -EINVAL, "-v and --log-level %s: give one "
		    "of them", level_names[c->log_level]);
	if (c->group != NULL && c->user == NULL)
		return perr_set(err, -EINVAL, "--group '%s' needs --user",
		    c->group);
	if (c->chroot_dir != NULL && c->user == NULL)
		return perr_set(err, -EINVAL, "--chroot '%s' needs --user "
		    "(root can leave a chroot)", c->chroot_dir);
	if (c->chroot_dir != NULL && c->chroot_dir[0] != '/')
		return perr_set(err, -EINVAL, "--chroot '%s': give an absolute "
		    "path", c->chroot_dir);
	if (c->daemon && c->pidfile != NULL && c->pidfile[0] != '/')
		return perr_set(err, -EINVAL, "--pidfile '%s': give an "
		    "absolute path with --daemon (it runs in /)", c->pidfile);
	if (c->daemon && c->read_file != NULL && strcmp(c->read_file, "-") == 0)
		return perr_set(err, -EINVAL, "--daemon cannot read standard "
		    "input (-r -)");
	if (c->daemon && c->n_collectors == 0)
		return perr_set(err, -EINVAL, "--daemon needs -n: the default "
		    "collector json:- writes to standard output");
	for (i = 0; i < c->n_collectors; i++) {
		uri = c->collectors[i];
		if ((k = collector_kind(uri)) == NULL)
			continue;
		path = uri + strlen(k->prefix);
		if (c->daemon && !k->network && strcmp(path, "-") == 0)
			return perr_set(err, -EINVAL, "collector '%s': "
			    "--daemon has no standard output", uri);
		if (c->daemon && !k->network && path[0] != '/')
			return perr_set(err, -EINVAL, "collector '%s': give an "
			    "absolute path with --daemon (it runs in /)", uri);
		if (c->chroot_dir == NULL)
			continue;
		if (k->chroot == CHROOT_NO && strcmp(path, "-") != 0)
			return perr_set(err, -EINVAL, "collector '%s' and "
			    "--chroot: the file is reopened by its path on "
			    "SIGHUP, which the chroot hides; use network "
			    "collectors with --chroot", uri);
		if (k->chroot == CHROOT_NEVER)
			return perr_set(err, -EINVAL, "collector '%s' and "
			    "--chroot: librdkafka resolves the brokers' names "
			    "(those the cluster gives too) at any time, which "
			    "needs /etc inside the chroot", uri);
		if (k->chroot == CHROOT_NUMERIC &&
		    !host_is_address(uri, strlen(k->prefix)))
			return perr_set(err, -EINVAL, "collector '%s' and "
			    "--chroot: reconnecting resolves the name, which "
			    "needs /etc inside the chroot; give an address",
			    uri);
	}
	return 0;
}
