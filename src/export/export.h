/*
 * export.h - flow record exporters.
 *
 * Pipeline position: flow table -> dpi -> plugins -> [export] -> transport.
 * An exporter is chosen by the scheme of a collector URI ("json:-") from a
 * static table of const struct exp_ops. Every ended flow record goes to
 * every exporter. Exporters see the flow and its classification as
 * borrowed, read-only data for one call.
 *
 * Exporters build messages, transports deliver them (transport.h): each
 * exporter encodes records into whole messages (a JSON line, an IPFIX
 * message, a NetFlow v9 packet) and hands each to the one transport it
 * opened by name ("udp", "tcp", "file", ...), with the flow's key for
 * keyed transports; the transport calls the exporter back to stamp the
 * sequence number as the message goes on the wire, and when a new stream
 * needs the templates first. Everything runs on the capture thread.
 *
 * Errors (one record's failure is never an exporter's death):
 *  - transient: this record or message is lost, counted, and the exporter
 *    goes on: a record the template cannot carry, a line too long, a full
 *    TCP queue, a UDP datagram refused, a full disk or quota, an I/O
 *    error of one write. exp_write returns 0 for them; exp_stats and the
 *    exporter's own counters say how many; exp_finish then returns
 *    non-zero so the exit status tells.
 *  - fatal (exp_is_fatal): the output can never take anything again: a
 *    closed pipe (-EPIPE: its reader went away, as "| head" does), a
 *    descriptor that cannot be written (-EBADF), a shut-down socket
 *    (-ESHUTDOWN). exp_write and exp_flush return it, every later call
 *    too; the caller stops giving records to that exporter.
 */
#ifndef L7_EXPORT_H
#define L7_EXPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "dpi/dpi.h"
#include "flow/flow.h"
#include "log/log.h"
#include "record/record.h"	/* struct exp_record */

/* Counters of the whole probe, for exporters that report them (the IPFIX
 * exporter statistics options record). */
struct exp_counters {
	uint64_t	pkts_read;		/* frames read from the source */
	uint64_t	pkts_ignored;		/* read, but in no record */
	uint64_t	pkts_dropped;		/* live: lost before reading */
};

struct ie_reg;

/* The largest UDP message when --mtu is not given: one that fits a
 * 1500-byte Ethernet frame with room for tunnels, and for a collector on
 * this host, whose path is the loopback (65536 bytes), one that fits the
 * 9000-byte buffers some collectors read datagrams into (goflow2). */
#define EXP_MTU_DEFAULT		1400
#define EXP_MTU_LOCAL		8192

/* Settings every exporter may read; borrowed, must outlive the exporter. */
struct exp_conf {
	const char	*template;		/* -T name or file, "default" */
	uint32_t	observation_domain;	/* IPFIX domain, v9 source id */
	uint32_t	pen;			/* PEN of l7probe's elements */
	uint32_t	mtu;			/* largest UDP message, bytes;
						 * 0 = exp_udp_msg_size()'s */
	uint32_t	template_refresh_s;	/* UDP template resend period */
	uint32_t	template_refresh_pkts;	/* and every N messages */
	uint32_t	export_queue;		/* TCP: records held, >= 1 */
	int		biflow;			/* RFC 5103 records (IPFIX) */
	uint64_t	start_us;		/* probe start, v9 sysUptime 0 */
	const char	*probe_id;		/* "probe_id" of JSON records,
						 * NULL = none */
	uint32_t	kafka_flush_timeout_ms;	/* Kafka: wait at exit */
	/* The probe's time, us since the epoch, for everything an exporter
	 * times (template and statistics periods, NetFlow v9 sysUptime, the
	 * time it gives its transport's polls); called on the capture
	 * thread. NULL: the wall clock. */
	uint64_t	(*now)(void *arg);
	void		*now_arg;
	/* The IE registry of the probe's fields (plugin rows), complete
	 * before the exporter opens; NULL = the built-in rows only. */
	const struct ie_reg *reg;
	/* Fills <c> with the probe's counters; called by an exporter on the
	 * capture thread when it reports them. NULL = none to report. */
	void		(*counters)(void *arg, struct exp_counters *c);
	void		*counters_arg;
};

struct exporter;
struct exp_delivery;

struct exp_ops {
	const char	*scheme;		/* "json" */
	size_t		priv_size;		/* zeroed, owned by the core */
	/* Opens the target named by <where> (the URI after "scheme:").
	 * Called once at start, before any packet. */
	int	(*open)(struct exporter *ex, const char *where,
		    const struct exp_conf *conf, struct perr *err);
	/* Encodes and sends one record. Returns 0, a negative errno when
	 * this record could not be written (transient, counted by the
	 * caller), or a fatal one (exp_is_fatal). */
	int	(*write)(struct exporter *ex, const struct exp_record *rec);
	/* Pushes buffered output out and does timed work (template
	 * refresh, reconnects); called at least once a second of wall
	 * clock, live or reading a file, and at exit. Never blocks. */
	int	(*flush)(struct exporter *ex);
	/* Flushes and releases; accepts a half-open exporter. */
	void	(*close)(struct exporter *ex);

	/* Optional hooks (NULL = not needed). */
	/* Right after open: 0 when records can be delivered now, else a
	 * negative errno and <why> (a TCP collector that did not accept
	 * the connection; the exporter keeps trying). */
	int	(*status)(struct exporter *ex, struct perr *why);
	/* Once, after the last flush, before the counters are printed:
	 * pushes queued output out, waiting a bounded time (TCP: at most
	 * 3 s). Returns 0, or a negative errno when records are known lost
	 * (queue full, collector gone at exit, UDP datagrams not sent or
	 * refused by ICMP) or not acknowledged. */
	int	(*finish)(struct exporter *ex);
	/* On SIGHUP (log rotation): closes and reopens output files by
	 * their name, without losing a buffered record. Returns 0 or a
	 * negative errno (the exporter then keeps its old file). */
	int	(*reopen)(struct exporter *ex);
	/* Prints its own counters (messages, drops, reconnects), whole
	 * lines starting with "l7probe: collector URI: ". */
	void	(*print_stats)(struct exporter *ex, FILE *fp);
	/* Fills the delivery counters of its transport (struct tr_stats
	 * of transport.h, as plain numbers). Any time, capture thread. */
	void	(*delivery)(struct exporter *ex, struct exp_delivery *d);
};

struct exp_stats {
	uint64_t	records;		/* records accepted by exp_write */
	uint64_t	errors;			/* records that failed (transient) */
};

/* What became of the records a collector accepted, from its transport.
 * Every record accepted is in exactly one of sent, queued, dropped or
 * unacked (IPFIX uniflow: one per direction; refused is part of sent). */
struct exp_delivery {
	uint64_t	records_sent;		/* delivered (see transport.h) */
	uint64_t	records_queued;		/* waiting in the transport */
	uint64_t	records_dropped;	/* lost, counted */
	uint64_t	records_unacked;	/* TCP at exit: fate unknown */
	uint64_t	records_refused;	/* UDP: ICMP said nobody listened */
	uint64_t	msgs_sent;
	uint64_t	bytes_sent;
	uint64_t	reconnects;
};

/* Opens the exporter for <uri>. Returns owned (exp_close), or NULL with
 * <err> naming the URI and the reason. */
struct exporter *exp_open(const char *uri, const struct exp_conf *conf,
	    struct perr *err);
void	exp_close(struct exporter *ex);		/* NULL is fine */

int	exp_write(struct exporter *ex, const struct exp_record *rec);
int	exp_flush(struct exporter *ex);
/* The optional hooks above; without one: 0, 0, 0 and nothing printed. */
int	exp_status(struct exporter *ex, struct perr *why);
int	exp_finish(struct exporter *ex);
/* SIGHUP: json: and ipfix-file: write out what they hold, close their
 * file and open the same path again (a file moved away by logrotate is
 * created anew, an IPFIX file starting with its templates; a file still
 * there is continued). Nothing buffered is lost. Others: 0. */
int	exp_reopen(struct exporter *ex);
/* The exit counters of <ex>: "l7probe: collector URI: ..." lines. */
void	exp_print_stats(struct exporter *ex, FILE *fp);
/* The delivery counters of <ex> now (all 0 for an exporter without a
 * transport): for the periodic statistics line. Capture thread. */
void	exp_get_delivery(struct exporter *ex, struct exp_delivery *d);
/* 1 when <rc> (a negative errno from exp_write/exp_flush) means the
 * exporter can never deliver again; see "Errors" above. */
int	exp_is_fatal(int rc);
/* 1 when <uri> writes to standard output ("json:-", "ipfix-file:-"):
 * two such collectors would interleave into garbage; main refuses. */
int	exp_uri_is_stdout(const char *uri);
const char *exp_uri(const struct exporter *ex);
void	exp_get_stats(const struct exporter *ex, struct exp_stats *s);

/* What encodes IPFIX ("libfixbuf 2.4.1"), NULL in a build without it. */
const char *exp_ipfix_backend(void);

/* For the ops: the private area, and the URI. */
void	*exp_priv(struct exporter *ex);

/* The key of a flow's messages for keyed transports (Kafka partitions):
 * the oriented key (IP version, protocol, addresses, ports, VLAN, tunnel
 * id), in a fixed layout; the same for every record of one flow. Writes
 * at most <size> bytes of <buf> and returns the length. */
#define EXP_FLOW_KEY_MAX	48
size_t	exp_flow_key(const struct flow *f, uint8_t *buf, size_t size);

#endif
