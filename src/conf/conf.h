/*
 * conf.h - the probe's configuration: parsed from the command line,
 * validated, and handed read-only to the modules main.c builds.
 *
 * A leaf module: parsing has no side effects (no file is opened, no socket
 * made); modules report what they cannot open when they are built.
 */
#ifndef L7_CONF_H
#define L7_CONF_H

#include <stdint.h>

#include "log/log.h"

#define CONF_MAX_COLLECTORS	16
#define CONF_MAX_IFACES		16
#define CONF_MAX_PLUGINS	16

struct conf {
	const char	*read_file;		/* -r: pcap/pcapng, "-" = stdin */
	const char	*ifaces[CONF_MAX_IFACES]; /* -i: live interfaces */
	int		n_ifaces;		/* 0 = read a file */
	int		merge_interfaces;	/* 1: one flow across ifaces */
	uint32_t	buffer_size_mb;		/* libpcap ring, MiB; default 64 */
	uint32_t	stats_interval_s;	/* counters to the log, 0 = off */
	const char	*filter;		/* -f: BPF expression, NULL = all */
	uint32_t	snaplen;		/* -s: bytes, default 65535 */
	int		promisc;		/* 1 unless --no-promisc */
	int		tunnels;		/* 1 unless --no-tunnels */
	int		dpi;			/* 1 unless --no-dpi */
	uint32_t	dpi_packets;		/* --dpi-packets, default 20 */
	uint32_t	active_timeout_s;	/* default 120 */
	uint32_t	idle_timeout_s;		/* default 120 */
	uint32_t	max_flows;		/* default 128000 */
	uint32_t	threads;		/* --threads: flow workers, 1 =
						 * all inline; 0 (default) =
						 * online cores */
	int		verbose;		/* -v count */
	int		quiet;			/* -q: no statistics at exit */
	const char	*collectors[CONF_MAX_COLLECTORS]; /* -n URIs */
	int		n_collectors;		/* 0 = "json:-" */

	/* IPFIX and NetFlow v9 export */
	const char	*template;		/* -T: name or file, "default" */
	uint32_t	observation_domain;	/* default 0 */
	uint32_t	pen;			/* our enterprise number, 32473 */
	uint32_t	mtu;			/* bytes per UDP message, 1400 */
	uint32_t	template_refresh_s;	/* UDP: resend templates, 60 */
	uint32_t	template_refresh_pkts;	/* UDP: and every N messages, 20 */
	uint32_t	export_queue;		/* TCP: records held, 65536 */
	int		biflow;			/* 1 = RFC 5103 biflow records */

	/* Plugins: --plugin NAME|PATH.so[:ARGS], in load order */
	const char	*plugins[CONF_MAX_PLUGINS];
	int		n_plugins;

	/* Kafka */
	const char	*probe_id;		/* --probe-id, NULL = host name */
	uint32_t	kafka_flush_timeout_ms;	/* wait at exit, default 5000 */
};

enum conf_action {
	CONF_RUN = 0,
	CONF_HELP,			/* -h: print conf_usage(), exit 0 */
	CONF_VERSION,			/* -V */
};

/* Fills <c> with the defaults. */
void	conf_defaults(struct conf *c);

/*
 * Parses <argv> into <c> (strings borrow argv) and validates it. Returns
 * 0 with <*action> set, or a negative errno with <err> filled in one
 * sentence (the unknown option, the bad number and its allowed range...).
 */
int	conf_parse(struct conf *c, int argc, char **argv,
	    enum conf_action *action, struct perr *err);

/* Full help text, as printed by -h. */
const char *conf_usage(void);

#endif
