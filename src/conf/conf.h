/*
 * conf.h - the probe's configuration: parsed from the command line and an
 * optional configuration file (-C), validated, and handed read-only to the
 * modules main.c builds.
 *
 * Every option is defined once, in the table of opts.c: its long and short
 * names, value kind, range, default, help text and struct conf field. That
 * table drives the command line, the configuration file (keys are the long
 * names), conf_defaults() and conf_usage(); a test checks that the man page
 * lists the same options.
 *
 * A leaf module: parsing has no side effects beyond reading the -C file (no
 * capture is opened, no socket made); modules report what they cannot open
 * when they are built.
 */
#ifndef L7_CONF_H
#define L7_CONF_H

#include <stddef.h>
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
	uint32_t	mtu;			/* bytes per UDP message; 0 = 1400,
						 * 8192 to a collector on this
						 * host (export.h) */
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

	/* Service */
	const char	*config_file;		/* -C: read before argv, NULL = none */
	int		daemon;			/* -D: detach, log to syslog */
	const char	*pidfile;		/* --pidfile, NULL = none */
	int		log_level;		/* enum log_level; default WARN,
						 * -v INFO, -vv DEBUG */
	const char	*user;			/* -u: drop root to USER, NULL = keep */
	const char	*group;			/* --group, NULL = USER's group */
	const char	*chroot_dir;		/* --chroot DIR, NULL = none */

	char		*text_;			/* owned: the -C file's text,
						 * values point into it */
};

enum conf_action {
	CONF_RUN = 0,
	CONF_HELP,			/* -h: print conf_usage(), exit 0 */
	CONF_VERSION,			/* -V */
};

/* Fills <c> with the defaults of the option table. */
void	conf_defaults(struct conf *c);

/* Frees what conf_parse() allocated (the -C file's text); <c> may have
 * been only conf_defaults()'ed. */
void	conf_fini(struct conf *c);

/*
 * Parses <argv> into <c>, after the file named by -C/--config when there
 * is one, and validates the result. Strings borrow argv or the file's text
 * (kept until conf_fini). The command line wins over the file: a
 * single-valued option given in both takes the command line's value, and a
 * repeatable option given on the command line replaces the file's list.
 * The same single-valued option twice in one source is an error.
 * Returns 0 with <*action> set, or a negative errno with <err> filled in
 * one sentence (the unknown option, the bad number and its allowed range,
 * for the file its name and line: "FILE:LINE: ...").
 */
int	conf_parse(struct conf *c, int argc, char **argv,
	    enum conf_action *action, struct perr *err);

/*
 * Sets the option of long name <name> to <value> (borrowed, must live as
 * long as <c>; NULL for options without one), with the checks and
 * messages of the command line: a single-valued option takes the new
 * value, a repeatable one adds it, a count goes up. -C, -h and -V are no
 * settings and are refused. Nothing is validated across options (see
 * conf_validate). Returns the option's index (conf_opt_index), or a
 * negative errno with <err> filled.
 */
int	conf_set(struct conf *c, const char *name, const char *value,
	    struct perr *err);
/* Index of the option of long name <name> in the table, -1 if none. */
int	conf_opt_index(const char *name);
/* Copies option <idx>'s value (a list with its count; strings are
 * shared, not copied) from <src> into <dst>. */
void	conf_copy_opt(struct conf *dst, const struct conf *src, int idx);
/* The value of option <name> as text into <buf> of <size> bytes: strings
 * as they are ("" when unset), numbers, flags and counts in decimal,
 * log levels by name, lists one value a line. Returns 0, or -ENOENT for
 * no such option. */
int	conf_get(const struct conf *c, const char *name, char *buf,
	    size_t size);
/* The value of string option <name> as stored (NULL when unset, or for
 * no such string option). */
const char *conf_get_str(const struct conf *c, const char *name);
/* Gives <c> its own copy of every string it points to, in one block
 * (freed by conf_fini with the file's text). 0 or -ENOMEM. */
int	conf_own_strings(struct conf *c, struct perr *err);
/* Checks the whole configuration once every source is in (conf_parse
 * does it): an input, exclusive options, --daemon's needs... */
int	conf_validate(const struct conf *c, struct perr *err);

/* Full help text, as printed by -h; built from the option table. */
const char *conf_usage(void);

/* The log level name ("err", "warn", "info", "debug") of <lvl>. */
const char *conf_log_level_name(int lvl);

#endif
