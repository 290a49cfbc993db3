/*
 * cli.c - command line parsing into struct conf.
 *
 * getopt_long with long names as the man page lists them. Numbers are read
 * with strtoul and an end-pointer check; each has a range, and a value
 * outside it is an error that names the option and the range.
 */
#include "conf/conf.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

enum {
	OPT_NO_PROMISC = 256,
	OPT_NO_TUNNELS,
	OPT_NO_DPI,
	OPT_DPI_PACKETS,
	OPT_ACTIVE_TIMEOUT,
	OPT_IDLE_TIMEOUT,
	OPT_MAX_FLOWS,
	OPT_THREADS,
	OPT_OBS_DOMAIN,
	OPT_PEN,
	OPT_MTU,
	OPT_TMPL_REFRESH,
	OPT_TMPL_REFRESH_PKTS,
	OPT_EXPORT_QUEUE,
	OPT_BIFLOW,
	OPT_BUFFER_SIZE,
	OPT_MERGE_IFACES,
	OPT_STATS_INTERVAL,
	OPT_PLUGIN,
	OPT_PROBE_ID,
	OPT_KAFKA_FLUSH_TIMEOUT,
};

static const struct option long_opts[] = {
	{ "read",		required_argument, NULL, 'r' },
	{ "interface",		required_argument, NULL, 'i' },
	{ "filter",		required_argument, NULL, 'f' },
	{ "snaplen",		required_argument, NULL, 's' },
	{ "collector",		required_argument, NULL, 'n' },
	{ "no-promisc",		no_argument,	   NULL, OPT_NO_PROMISC },
	{ "no-tunnels",		no_argument,	   NULL, OPT_NO_TUNNELS },
	{ "no-dpi",		no_argument,	   NULL, OPT_NO_DPI },
	{ "dpi-packets",	required_argument, NULL, OPT_DPI_PACKETS },
	{ "active-timeout",	required_argument, NULL, OPT_ACTIVE_TIMEOUT },
	{ "idle-timeout",	required_argument, NULL, OPT_IDLE_TIMEOUT },
	{ "max-flows",		required_argument, NULL, OPT_MAX_FLOWS },
	{ "threads",		required_argument, NULL, OPT_THREADS },
	{ "template",		required_argument, NULL, 'T' },
	{ "observation-domain",	required_argument, NULL, OPT_OBS_DOMAIN },
	{ "pen",		required_argument, NULL, OPT_PEN },
	{ "mtu",		required_argument, NULL, OPT_MTU },
	{ "template-refresh",	required_argument, NULL, OPT_TMPL_REFRESH },
	{ "template-refresh-packets", required_argument, NULL,
	    OPT_TMPL_REFRESH_PKTS },
	{ "export-queue",	required_argument, NULL, OPT_EXPORT_QUEUE },
	{ "biflow",		no_argument,	   NULL, OPT_BIFLOW },
	{ "buffer-size",	required_argument, NULL, OPT_BUFFER_SIZE },
	{ "merge-interfaces",	no_argument,	   NULL, OPT_MERGE_IFACES },
	{ "stats-interval",	required_argument, NULL, OPT_STATS_INTERVAL },
	{ "plugin",		required_argument, NULL, OPT_PLUGIN },
	{ "probe-id",		required_argument, NULL, OPT_PROBE_ID },
	{ "kafka-flush-timeout", required_argument, NULL,
	    OPT_KAFKA_FLUSH_TIMEOUT },
	{ "verbose",		no_argument,	   NULL, 'v' },
	{ "quiet",		no_argument,	   NULL, 'q' },
	{ "help",		no_argument,	   NULL, 'h' },
	{ "version",		no_argument,	   NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

static const char usage_text[] =
"usage: l7probe (-r FILE | -i IFACE) [options]\n"
"\n"
"Reads packets from a capture file or a live interface, tracks\n"
"bidirectional flows, classifies them and exports one record per flow.\n"
"\n"
"Input:\n"
"  -r, --read FILE          read a pcap or pcapng file (\"-\" = standard input)\n"
"  -i, --interface IFACE    capture live on IFACE; repeatable; \"any\" = all\n"
"      --buffer-size MB     kernel ring per interface, MiB (default 64)\n"
"      --merge-interfaces   one flow for a 5-tuple seen on several interfaces\n"
"  -f, --filter EXPR        BPF filter (pcap-filter(7) syntax)\n"
"  -s, --snaplen N          bytes captured per packet (default 65535)\n"
"      --no-promisc         do not put IFACE in promiscuous mode\n"
"      --no-tunnels         do not look inside GRE, IP-in-IP, GTP-U, VXLAN\n"
"\n"
"Flows:\n"
"      --active-timeout SEC export long flows every SEC seconds (default 120)\n"
"      --idle-timeout SEC   end flows idle for SEC seconds (default 120)\n"
"      --max-flows N        flow table capacity (default 128000); when full,\n"
"                           the least recently used flow is exported\n"
"      --threads N          flow workers, 1 to 64 (default: online cores);\n"
"                           1 runs everything in one thread\n"
"\n"
"Classification:\n"
"      --no-dpi             do not classify flows with nDPI\n"
"      --dpi-packets N      packets per flow given to nDPI (default 20)\n"
"      --plugin NAME[:ARGS] a bundled plugin (count_pkts_gt, nth_pkt_size,\n"
"                           first_pkts, pkt_stats), or PATH.so[:ARGS];\n"
"                           repeatable (see doc/plugins.md)\n"
"\n"
"Output:\n"
"  -n, --collector URI      where flow records go; may be repeated, every\n"
"                           collector gets every record:\n"
"                             json:-                 JSON lines on stdout\n"
"                             json:PATH              JSON lines into PATH\n"
"                             json+tcp://HOST[:PORT] JSON lines over TCP (9996)\n"
"                             ipfix://HOST[:PORT]    IPFIX over UDP (4739)\n"
"                             ipfix+udp://HOST[:PORT]  the same\n"
"                             ipfix+tcp://HOST[:PORT]  IPFIX over TCP\n"
"                             ipfix-file:PATH        IPFIX file (RFC 5655)\n"
"                             nfv9://HOST[:PORT]     NetFlow v9, UDP (2055)\n"
"                           HOST may be [IPv6]; default: json:-\n"
"  -T, --template NAME|FILE fields of IPFIX and NetFlow v9 records\n"
"                           (default \"default\")\n"
"      --biflow             IPFIX: one RFC 5103 record per flow instead of\n"
"                           one record per direction\n"
"      --observation-domain N  IPFIX domain / v9 source id (default 0)\n"
"      --pen N              enterprise number of l7probe's own elements\n"
"                           (default 32473, for documentation: set yours)\n"
"      --mtu N              largest UDP export message, bytes (default 1400)\n"
"      --template-refresh SEC   UDP: resend templates (default 60)\n"
"      --template-refresh-packets N  UDP: and every N messages (default 20)\n"
"      --export-queue N     TCP: records held while the collector is away\n"
"                           (default 65536); beyond, records are dropped\n"
"                           and counted\n"
"\n"
"Other:\n"
"      --stats-interval SEC log the counters every SEC seconds (0 = off)\n"
"  -q, --quiet              do not print statistics at exit\n"
"  -v, --verbose            more messages on standard error (repeatable)\n"
"  -h, --help               print this help and exit\n"
"  -V, --version            print the version and the libraries built in\n"
"\n"
"Counters of packets read, accounted and ignored are printed on standard\n"
"error at exit. SIGINT, SIGTERM or SIGQUIT exports every flow and exits;\n"
"SIGHUP reopens output files; SIGUSR1 logs the counters.\n"
"See l7probe(8).\n";

const char *
conf_usage(void)
{
	return usage_text;
}

void
conf_defaults(struct conf *c)
{
	memset(c, 0, sizeof(*c));
	c->snaplen = 65535;
	c->promisc = 1;
	c->tunnels = 1;
	c->dpi = 1;
	c->dpi_packets = 20;
	c->active_timeout_s = 120;
	c->idle_timeout_s = 120;
	c->max_flows = 128000;
	c->template = "default";
	c->observation_domain = 0;
	c->pen = 32473;
	c->mtu = 1400;
	c->template_refresh_s = 60;
	c->template_refresh_pkts = 20;
	c->export_queue = 65536;
	c->buffer_size_mb = 64;
	c->kafka_flush_timeout_ms = 5000;
}

/* Reads a decimal number in [min, max] for option <name>. */
static int
parse_u32(const char *name, const char *s, uint32_t min, uint32_t max,
    uint32_t *out, struct perr *err)
{
	unsigned long v;
	char *end;

	errno = 0;
	if (*s == '\0' || *s == '-' || *s == '+')
		goto bad;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0')
		goto bad;
	if (v < min || v > max)
		return perr_set(err, -ERANGE,
		    "%s '%s': out of range (%lu to %lu)", name, s,
		    (unsigned long)min, (unsigned long)max);
	*out = (uint32_t)v;
	return 0;
bad:
	return perr_set(err, -EINVAL, "%s '%s': not a whole number", name, s);
}

/* The collector kinds, by URI prefix; what follows the prefix is checked
 * by the exporter when it opens. */
static const char *const collector_kinds[] = {
	"json:", "json+tcp://", "ipfix://", "ipfix+udp://", "ipfix+tcp://", "ipfix-file:",
	"nfv9://",
};

static int
check_collector(const char *uri, struct perr *err)
{
	size_t i, n;

	for (i = 0; i < sizeof(collector_kinds) / sizeof(collector_kinds[0]);
	    i++) {
		n = strlen(collector_kinds[i]);
		if (strncmp(uri, collector_kinds[i], n) != 0)
			continue;
		if (uri[n] == '\0')
			return perr_set(err, -EINVAL,
			    "collector '%s': missing %s after '%s'", uri,
			    collector_kinds[i][n - 1] == '/' ? "HOST:PORT" :
			    "a path ('-' for standard output)",
			    collector_kinds[i]);
		return 0;
	}
	return perr_set(err, -EINVAL,
	    "collector '%s': unknown kind (use json:PATH, json+tcp://HOST:PORT, "
	    "ipfix://HOST:PORT, ipfix+tcp://HOST:PORT, ipfix-file:PATH or "
	    "nfv9://HOST:PORT)",
	    uri);
}

int
conf_parse(struct conf *c, int argc, char **argv, enum conf_action *action,
    struct perr *err)
{
	int ch, rc;
	uint32_t v;

	*action = CONF_RUN;
	optind = 0;		/* glibc: full rescan, so tests may parse twice */
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":r:i:f:s:n:T:qvhV", long_opts,
	    NULL)) != -1) {
		rc = 0;
		switch (ch) {
		case 'r':
			c->read_file = optarg;
			break;
		case 'i':
			if (c->n_ifaces == CONF_MAX_IFACES)
				return perr_set(err, -E2BIG,
				    "too many interfaces (at most %d)",
				    CONF_MAX_IFACES);
			c->ifaces[c->n_ifaces++] = optarg;
			break;
		case 'f':
			c->filter = optarg;
			break;
		case 's':
			rc = parse_u32("--snaplen", optarg, 64, 262144,
			    &c->snaplen, err);
			break;
		case 'n':
			if (c->n_collectors == CONF_MAX_COLLECTORS)
				return perr_set(err, -E2BIG,
				    "too many collectors (at most %d)",
				    CONF_MAX_COLLECTORS);
			if ((rc = check_collector(optarg, err)) == 0)
				c->collectors[c->n_collectors++] = optarg;
			break;
		case OPT_NO_PROMISC:
			c->promisc = 0;
			break;
		case OPT_NO_TUNNELS:
			c->tunnels = 0;
			break;
		case OPT_NO_DPI:
			c->dpi = 0;
			break;
		case OPT_DPI_PACKETS:
			rc = parse_u32("--dpi-packets", optarg, 1, 65535,
			    &c->dpi_packets, err);
			break;
		case OPT_ACTIVE_TIMEOUT:
			rc = parse_u32("--active-timeout", optarg, 1, 604800,
			    &c->active_timeout_s, err);
			break;
		case OPT_IDLE_TIMEOUT:
			rc = parse_u32("--idle-timeout", optarg, 1, 604800,
			    &c->idle_timeout_s, err);
			break;
		case OPT_MAX_FLOWS:
			rc = parse_u32("--max-flows", optarg, 1, 100000000,
			    &v, err);
			if (rc == 0)
				c->max_flows = v;
			break;
		case OPT_THREADS:
			rc = parse_u32("--threads", optarg, 1, 64,
			    &c->threads, err);
			break;
		case 'T':
			c->template = optarg;
			break;
		case OPT_OBS_DOMAIN:
			rc = parse_u32("--observation-domain", optarg, 0,
			    UINT32_MAX, &c->observation_domain, err);
			break;
		case OPT_PEN:
			rc = parse_u32("--pen", optarg, 1, UINT32_MAX, &c->pen,
			    err);
			break;
		case OPT_MTU:
			rc = parse_u32("--mtu", optarg, 512, 65000, &c->mtu,
			    err);
			break;
		case OPT_TMPL_REFRESH:
			rc = parse_u32("--template-refresh", optarg, 1, 86400,
			    &c->template_refresh_s, err);
			break;
		case OPT_TMPL_REFRESH_PKTS:
			rc = parse_u32("--template-refresh-packets", optarg, 1,
			    1000000, &c->template_refresh_pkts, err);
			break;
		case OPT_EXPORT_QUEUE:
			rc = parse_u32("--export-queue", optarg, 1, 100000000,
			    &c->export_queue, err);
			break;
		case OPT_BIFLOW:
			c->biflow = 1;
			break;
		case OPT_BUFFER_SIZE:
			rc = parse_u32("--buffer-size", optarg, 1, 4096,
			    &c->buffer_size_mb, err);
			break;
		case OPT_MERGE_IFACES:
			c->merge_interfaces = 1;
			break;
		case OPT_STATS_INTERVAL:
			rc = parse_u32("--stats-interval", optarg, 0, 86400,
			    &c->stats_interval_s, err);
			break;
		case OPT_PLUGIN:
			if (c->n_plugins == CONF_MAX_PLUGINS)
				return perr_set(err, -E2BIG,
				    "too many plugins (at most %d)",
				    CONF_MAX_PLUGINS);
			c->plugins[c->n_plugins++] = optarg;
			break;
		case OPT_PROBE_ID:
			c->probe_id = optarg;
			break;
		case OPT_KAFKA_FLUSH_TIMEOUT:
			rc = parse_u32("--kafka-flush-timeout", optarg, 0,
			    600000, &c->kafka_flush_timeout_ms, err);
			break;
		case 'q':
			c->quiet = 1;
			break;
		case 'v':
			c->verbose++;
			break;
		case 'h':
			*action = CONF_HELP;
			return 0;
		case 'V':
			*action = CONF_VERSION;
			return 0;
		case ':':
			return perr_set(err, -EINVAL,
			    "option '%s' needs a value (see --help)",
			    argv[optind - 1]);
		default:
			if (optopt != 0)
				return perr_set(err, -EINVAL,
				    "unknown option '-%c' (see --help)", optopt);
			return perr_set(err, -EINVAL,
			    "unknown option '%s' (see --help)",
			    argv[optind - 1]);
		}
		if (rc != 0)
			return rc;
	}
	if (optind < argc)
		return perr_set(err, -EINVAL,
		    "unexpected argument '%s' (a filter goes after -f)",
		    argv[optind]);
	if (c->read_file == NULL && c->n_ifaces == 0)
		return perr_set(err, -EINVAL,
		    "no input: give -r FILE or -i IFACE (see --help)");
	if (c->read_file != NULL && c->n_ifaces > 0)
		return perr_set(err, -EINVAL,
		    "-r and -i are exclusive: read a file or capture live");
	return 0;
}
