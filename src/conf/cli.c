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
"  -i, --interface IFACE    capture live on IFACE\n"
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
"\n"
"Classification:\n"
"      --no-dpi             do not classify flows with nDPI\n"
"      --dpi-packets N      packets per flow given to nDPI (default 20)\n"
"\n"
"Output:\n"
"  -n, --collector URI      where flow records go; may be repeated, every\n"
"                           collector gets every record:\n"
"                             json:-      JSON lines on standard output\n"
"                             json:PATH   JSON lines into the file PATH\n"
"                           default: json:-\n"
"\n"
"Other:\n"
"  -q, --quiet              do not print statistics at exit\n"
"  -v, --verbose            more messages on standard error (repeatable)\n"
"  -h, --help               print this help and exit\n"
"  -V, --version            print the version and exit\n"
"\n"
"Counters of packets read, accounted and ignored are printed on standard\n"
"error at exit. SIGINT or SIGTERM exports every flow and exits.\n"
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

static int
check_collector(const char *uri, struct perr *err)
{
	if (strncmp(uri, "json:", 5) == 0) {
		if (uri[5] == '\0')
			return perr_set(err, -EINVAL,
			    "collector '%s': missing path (use json:- for "
			    "standard output)", uri);
		return 0;
	}
	return perr_set(err, -EINVAL,
	    "collector '%s': unknown kind (supported: json:-, json:PATH)",
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
	while ((ch = getopt_long(argc, argv, ":r:i:f:s:n:qvhV", long_opts,
	    NULL)) != -1) {
		rc = 0;
		switch (ch) {
		case 'r':
			c->read_file = optarg;
			break;
		case 'i':
			c->iface = optarg;
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
			rc = parse_u32("--dpi-packets", optarg, 1, 1000000,
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
	if (c->read_file == NULL && c->iface == NULL)
		return perr_set(err, -EINVAL,
		    "no input: give -r FILE or -i IFACE (see --help)");
	if (c->read_file != NULL && c->iface != NULL)
		return perr_set(err, -EINVAL,
		    "-r and -i are exclusive: read a file or capture live");
	return 0;
}
