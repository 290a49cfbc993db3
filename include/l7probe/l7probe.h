/*
 * l7probe/l7probe.h - the flow meter as a library: open a capture file or
 * an interface, pull finished flows one at a time.
 *
 *	struct l7_streamer_conf c;
 *	struct l7_streamer *s;
 *	const struct l7_record *r;
 *	char err[L7_ERR_SIZE];
 *
 *	l7_streamer_conf_init(&c);
 *	c.source = "capture.pcap";
 *	if ((s = l7_streamer_open(&c, err, sizeof(err))) == NULL)
 *		... err says why ...
 *	while (l7_streamer_next(s, -1, &r) == L7_FLOW)
 *		printf("%s %" PRIu64 "\n", r->application_name,
 *		    r->src_to_dst_pkts);
 *	l7_streamer_free(s);
 *
 * Build with  cc prog.c $(pkg-config --cflags --libs l7probe).
 * doc/library.md walks through it.
 *
 * It is the engine of the l7probe program (same decoding, flow table,
 * classification, plugins and exporters): a record a program pulls here
 * is the record the program exports. A streamer may also export while it
 * iterates (collectors, in the l7probe -n syntax).
 *
 * State. Everything lives in the streamer: several streamers may run in
 * one process, each on its own thread, each with its own plugins and C
 * callbacks. The field registry is per streamer too: the built-in fields
 * are shared read-only, plugin fields belong to the streamer that loaded
 * them (l7_record_get() of one streamer does not see another's).
 *
 * Output. Nothing is printed: errors come back as values, with a message.
 *
 * Threads and signals. A streamer is used by one thread at a time, except
 * l7_streamer_close(), which any thread or a signal handler may call at any
 * time (it only sets a flag): the current l7_streamer_next() sees it
 * within poll_ms (at once for a signal delivered to its thread), the next
 * one at once; it then ends every open flow (live: after reading what the
 * kernel already captured) and returns them, then L7_END.
 * l7_streamer_free() is for the thread that iterates.
 */
#ifndef L7PROBE_L7PROBE_H
#define L7PROBE_L7PROBE_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "l7probe/plugin.h"

#ifdef __cplusplus
extern "C" {
#endif

#define L7_ERR_SIZE	256	/* enough for any message */

/* A plugin given by its descriptor (struct l7_plugin in l7probe/plugin.h,
 * metric or classifier form), with the context its hooks get: callbacks
 * in the program itself, no shared object. init(), if set, is called with
 * "" and may replace ctx. */
struct l7_streamer_plugin {
	const struct l7_plugin	*plugin;	/* borrowed until freed */
	void			*ctx;
};

/* Options, with nfstream's names and defaults first; set by
 * l7_streamer_conf_init(). Pointers are borrowed until l7_streamer_open()
 * returns, except plugin descriptors (until l7_streamer_free()). */
struct l7_streamer_conf {
	const char	*source;	/* capture file (pcap, pcapng), "-" for
					 * standard input, or an interface
					 * name; required */
	uint32_t	capacity;	/* flows held at once: 128000 */
	uint32_t	active_timeout;	/* s, long flows are cut: 120 */
	uint32_t	inactive_timeout; /* s, idle flows end: 120 */
	int		enable_ndpi;	/* classify with nDPI: 1 */
	const char	*bpf_filter;	/* NULL: every packet */
	uint32_t	snaplen;	/* bytes captured a packet: 65535 */

	/* l7probe's own */
	int		promisc;	/* live: promiscuous mode, 1 */
	int		tunnels;	/* decapsulate GRE, VXLAN...: 1 */
	uint32_t	dpi_packets;	/* packets nDPI sees a flow: 20 */
	const char	*const *collectors; /* l7probe -n URIs ("ipfix:udp://
					 * 127.0.0.1:4739", "json:FILE"); none:
					 * nothing exported, only pulled */
	int		n_collectors;
	const char	*template;	/* IPFIX/v9 template: "default" */
	uint32_t	pen;		/* our fields' enterprise number: 32473 */
	int		biflow;		/* IPFIX RFC 5103 biflow records: 0 */
	const char	*const *plugins; /* --plugin specs: bundled name or
					 * PATH.so, ":ARGS" */
	int		n_plugins;
	const struct l7_streamer_plugin *user_plugins; /* after plugins */
	int		n_user_plugins;
	uint32_t	poll_ms;	/* live: longest wait inside one read,
					 * so a close is seen within it: 100 */
	uint32_t	threads;	/* flow workers (l7probe --threads):
					 * 1 = all in the thread that calls
					 * next(); 0 = one a core; records are
					 * the same, in another order: 1 */
	/* The library's: options given by name (l7_streamer_conf_set,
	 * l7_streamer_conf_args), freed by l7_streamer_conf_fini(). */
	void		*opts_;
};

/* A finished flow (or an active-timeout part of a long one). Addresses
 * as text; times in ms since the epoch. Valid until the next
 * l7_streamer_next() or l7_streamer_free(). */
struct l7_record {
	uint64_t	id;		/* 0, 1, ... in the streamer */
	uint8_t		ip_version;	/* 4 or 6 */
	char		ip_src[46];	/* sender of the first packet */
	char		ip_dst[46];
	uint16_t	src_port;	/* 0 without ports */
	uint16_t	dst_port;
	uint8_t		ip_protocol;
	uint16_t	vlan_id;	/* 0 untagged */
	uint32_t	tunnel_id;	/* 0 none */
	uint64_t	start_time;	/* ms: first packet */
	uint64_t	end_time;	/* ms: last packet */
	uint64_t	duration;	/* ms: end_time - start_time */
	uint64_t	src_to_dst_pkts;
	uint64_t	src_to_dst_bytes; /* sum of IP lengths */
	uint64_t	dst_to_src_pkts;
	uint64_t	dst_to_src_bytes;
	uint64_t	total_pkts;
	uint64_t	total_bytes;
	uint8_t		src_to_dst_tcp_flags; /* OR of the flags seen */
	uint8_t		dst_to_src_tcp_flags;
	char		application_name[64]; /* nDPI's ("TLS.Google") */
	char		category_name[48];
	/* nfstream's: 0 idle, 1 active timeout, 2 end of flow (FIN, RST,
	 * end of capture, table full), 3 a plugin asked */
	int		export_reason;
	const void	*core;		/* the library's, do not touch */
};

/* l7_streamer_next() results. */
enum {
	L7_FLOW = 1,			/* *rec is a flow */
	L7_END = 0,			/* no more flows (end of file, or
					 * closed and drained) */
	L7_TIMEOUT = -11,		/* -EAGAIN: none within the timeout */
};

struct l7_streamer;

/* Fills <conf> with the defaults above. */
void	l7_streamer_conf_init(struct l7_streamer_conf *conf);

/*
 * Any option of the l7probe program by its long name, as doc/l7probe.8
 * lists it ("idle-timeout", "collector", "plugin", "threads", "no-dpi",
 * "interface", ...), with its value as on the command line (NULL for an
 * option without one), checked as the command line checks it: 0, or -1
 * with a message in <err> naming the option. A repeatable option adds a
 * value each call; another replaces the value before. The value is
 * copied. At l7_streamer_open() the options given by name are applied
 * over the fields above: they win ("read" or "interface" replace
 * source, "collector" the collectors...). Iterating a streamer stays
 * one flow table a streamer and prints nothing ("threads" and "quiet"
 * apply to l7_streamer_run() only, with l7_streamer_conf_args()).
 */
int	l7_streamer_conf_set(struct l7_streamer_conf *conf, const char *name,
	    const char *value, char *err, size_t err_size);

/* l7_streamer_conf_args() results. */
enum {
	L7_ARGS_RUN = 0,		/* a configuration to open */
	L7_ARGS_HELP = 1,		/* -h: print l7_usage() */
	L7_ARGS_VERSION = 2,		/* -V: l7_version(), l7_backends() */
};

/*
 * An l7probe command line (<argv>[0] is the program's name; -C FILE is
 * read first, the command line over it), validated as the program does:
 * L7_ARGS_*, or -1 with the message in <err>. The result is the whole
 * configuration of the program, fields above included, with its
 * defaults: no collector means JSON lines on standard output, "threads"
 * and "quiet" are as given (for l7_streamer_run()). <argv> is borrowed
 * until l7_streamer_conf_fini().
 */
int	l7_streamer_conf_args(struct l7_streamer_conf *conf, int argc,
	    char **argv, char *err, size_t err_size);

/* The value of option <name> as text: set by name, from the command line
 * or the default; strings as given ("" when unset), numbers and flags in
 * decimal ("1" set), log levels by name, lists one value a line. NULL
 * for an unknown name. Valid until <conf> changes. */
const char *l7_streamer_conf_get(struct l7_streamer_conf *conf,
	    const char *name);

/* Frees what the calls above allocated (set, args, get); the fields
 * are kept. A streamer opened from <conf> has copies: <conf> may be
 * finished once l7_streamer_open() returned. */
void	l7_streamer_conf_fini(struct l7_streamer_conf *conf);

/* The l7probe program's --help text, from the one option table. */
const char *l7_usage(void);

/* Opens the source, the collectors, the plugins. Returns owned
 * (l7_streamer_free), or NULL with a message in <err> (<err_size> bytes,
 * may be NULL): no such file or interface, bad filter, bad option... */
struct l7_streamer *l7_streamer_open(const struct l7_streamer_conf *conf,
	    char *err, size_t err_size);

/*
 * The next flow: L7_FLOW and *rec; L7_END; L7_TIMEOUT when <timeout_ms>
 * (>= 0; -1 waits for ever) passed without one (live capture: a file
 * never times out); or another negative errno, the capture failed (see
 * l7_streamer_error()), after which only L7_END follows. A file cut short
 * gives its flows, then L7_END, and l7_streamer_error() says so.
 */
int	l7_streamer_next(struct l7_streamer *s, int timeout_ms,
	    const struct l7_record **rec);

/* Records ended and waiting to be returned by l7_streamer_next(), which
 * reads no packet while there are any. 0 means every record of a flow
 * ended so far has been returned (so a program keeping something per
 * flow until its records are out may release it). */
size_t	l7_streamer_queued(const struct l7_streamer *s);

/*
 * Runs to the end instead of iterating (the l7probe program): reads until
 * the input ends or l7_streamer_close(), exports to the collectors, hands
 * no record out. Live, it waits on every interface at once, expires and
 * flushes on the clock and, every "stats-interval", logs the counters;
 * on close it first drains what the kernel captured (bounded). Returns 0;
 * 1 when the input was cut or records could not be exported; a negative
 * errno when the capture failed; l7_streamer_error() says what. Once, on
 * an open streamer that has not been iterated.
 */
int	l7_streamer_run(struct l7_streamer *s);

/* Requests to a running l7_streamer_run(), async-signal-safe (they set a
 * flag acted on between reads): reopen the output files by their names
 * (log rotation), log the counters now. */
void	l7_streamer_reopen(struct l7_streamer *s);
void	l7_streamer_log_stats(struct l7_streamer *s);

/* The signals whose handlers call the requests above (and close):
 * blocked while live capture reads, delivered only while it waits, so
 * none is missed. Before l7_streamer_run(). */
void	l7_streamer_set_signals(struct l7_streamer *s, const sigset_t *mask);

/* Writes the counters to <fp> as the program prints them at exit:
 * packets read, in records, ignored by reason, flows, per collector. */
void	l7_streamer_print_stats(struct l7_streamer *s, FILE *fp);

/* The message of the last error, "" if none. */
const char *l7_streamer_error(const struct l7_streamer *s);

/* Ends the iteration: async-signal-safe, any thread. */
void	l7_streamer_close(struct l7_streamer *s);

/* Frees; NULL is fine. Open flows are dropped (close and drain first to
 * get them). Output not yet delivered to collectors is finished. */
void	l7_streamer_free(struct l7_streamer *s);

/* Any registry field of <rec> by name, the names of the l7probe JSON
 * keys and IPFIX elements ("octetDeltaCount", "L7_PROTO_NAME",
 * "reverseOctetDeltaCount") and plugin fields: 0 and <out> (pointers
 * valid as <rec>), or -1 when no such field. Uniflow elements describe
 * the source-to-destination direction; reverse ones the other. */
int	l7_record_get(const struct l7_record *rec, const char *name,
	    struct l7_value *out);

/* The record's copy of plugin <i>'s per-flow slot (l7_streamer_conf
 * .plugins first, then .user_plugins): a classifier's state, or a
 * metric's uint64_t value. NULL when out of range. */
const void *l7_record_state(const struct l7_record *rec, int i);

/* Counters of the streamer so far. */
struct l7_streamer_stats {
	uint64_t	pkts_read;
	uint64_t	pkts_ignored;	/* filtered, not IP, malformed */
	uint64_t	pkts_dropped;	/* live: by the kernel/interface */
	uint64_t	flows;		/* records returned */
};
void	l7_streamer_stats(struct l7_streamer *s, struct l7_streamer_stats *st);

/* "l7probe 0.1.0". */
const char *l7_version(void);
/* The libraries built in, one a line: "classification: nDPI 4.6\n
 * IPFIX: libfixbuf 2.4.1\nKafka: none\n", into <buf> of <size> bytes. */
void	l7_backends(char *buf, size_t size);

#ifdef __cplusplus
}
#endif

#endif
