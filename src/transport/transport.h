/*
 * transport.h - how encoded export messages leave the probe: UDP, TCP, a
 * file (or standard output), and any transport added to the table.
 *
 * Pipeline position: export -> [transport].
 * Exporters build messages (a JSON line, an IPFIX message, a NetFlow v9
 * packet); transports deliver them. A transport is chosen by name
 * ("udp", "tcp", "file", "kafka") from a static table of const struct tr_ops
 * (tr_int.h); it never looks inside a message except through the hooks
 * its exporter gives it:
 *
 *  - stamp: called just before a message's first byte goes on the wire
 *    (into the socket, or into the file's buffer), each time it does: a
 *    message sent again on a new TCP connection is stamped again. The
 *    exporter writes its sequence number there, so queued messages never
 *    need renumbering and every stream the collector sees is gapless.
 *  - on_connect: a new stream begins (a TCP connection is up, a file was
 *    created or reopened): the exporter puts its templates first with
 *    TR_MSG_FIRST messages.
 *
 * Threads: one transport has one user, its exporter, on the capture
 * thread; every call and every hook runs on that thread, from inside
 * tr_open, tr_send, tr_poll, tr_drain or tr_reopen. A transport that runs
 * threads of its own (a Kafka client) must never call a hook from them.
 * No transport blocks the capture thread, except tr_drain and tr_close
 * (bounded, at exit) and name resolution on a TCP reconnect.
 *
 * Delivery accounting, the same for every transport (struct tr_stats):
 * every data record handed to tr_send ends in exactly one of records_sent,
 * records_dropped or records_unacked (queued_records while it waits);
 * records_refused is the part of records_sent that ICMP said was lost.
 */
#ifndef L7_TRANSPORT_H
#define L7_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>

#include "log/log.h"

struct transport;
struct addrinfo;

/* One message. Every pointer is borrowed for the tr_send call only: a
 * transport that keeps the message copies it (and its key). */
struct tr_msg {
	uint8_t		*data;		/* the bytes; the stamp hook may write
					 * into them during tr_send */
	size_t		len;
	const uint8_t	*key;		/* partition key (Kafka: the flow),
					 * NULL = none; transports without
					 * keys ignore it */
	size_t		key_len;
	uint32_t	n_records;	/* data records the probe counts
					 * (flow records): the unit of the
					 * drop/sent counters */
	uint32_t	n_seq;		/* what the stamp hook advances its
					 * sequence by (IPFIX: data records
					 * of any template; v9: 1) */
	uint32_t	flags;		/* TR_MSG_* */
};

/* Templates of a new stream: goes ahead of queued data on this TCP
 * connection, never dropped for a full queue, discarded when the
 * connection breaks (the next one gets new ones). */
#define TR_MSG_FIRST	0x1u

/*
 * Called with the bytes of <len> about to go on the wire (writable: the
 * transport's own copy, or the tr_msg.data of the tr_send in progress),
 * and the message's n_seq. Capture thread, from inside a tr_* call.
 */
typedef void (*tr_stamp_fn)(uint8_t *data, size_t len, uint32_t n_seq,
	    void *arg);
/* A new stream begins (TCP connected; a file created, reopened). Called
 * from tr_open, tr_send, tr_poll, tr_drain or tr_reopen, before any
 * queued message goes on it; the exporter may call tr_send (TR_MSG_FIRST)
 * from here, never tr_drain, tr_reopen or tr_close. */
typedef void (*tr_connect_fn)(struct transport *tr, void *arg);
/* Name resolution (getaddrinfo's contract); a test may replace it. */
typedef int (*tr_resolve_fn)(const char *host, const char *port,
	    const struct addrinfo *hints, struct addrinfo **res);

struct tr_hooks {
	tr_stamp_fn	stamp;		/* NULL = no sequence numbers */
	tr_connect_fn	on_connect;	/* NULL = nothing to put first */
	void		*arg;		/* for both */
};

struct transport_conf {
	const char	*kind;		/* "udp", "tcp", "file", "kafka" */
	const char	*target;	/* "HOST[:PORT]", "[v6]:PORT", or a
					 * path ("-" = stdout) for "file" */
	uint16_t	default_port;	/* when target has none */
	uint32_t	queue_records;	/* TCP: data records waiting to be
					 * written while the collector is
					 * away or slow (--export-queue);
					 * one message always fits */
	const char	*name;		/* for messages: the collector URI */
	tr_resolve_fn	resolve;	/* NULL = getaddrinfo */
};

/* 1 when <kind> names a transport of this build. */
int	tr_known(const char *kind);

/* Opens the socket or file: resolves the host, connects TCP (a failure is
 * not fatal: see tr_status()), creates the file (calling on_connect when
 * the stream is up). <hooks> is copied; NULL = none. Returns owned
 * (tr_close), or NULL with <err> naming the target and the reason. */
struct transport *tr_open(const struct transport_conf *conf,
	    const struct tr_hooks *hooks, struct perr *err);
/* tr_drain(2 s) when nobody did, then releases; NULL is fine. */
void	tr_close(struct transport *tr);

/*
 * Sends one whole message (see struct tr_msg for ownership). Never
 * blocks. Returns
 *   0        sent, or queued (TCP: delivery is accounted later);
 *   -ENOBUFS the queue is full: the message is dropped, counted;
 *   another negative errno: this message failed, counted (UDP send error,
 *            file write error); see tr_fatal() for whether the next one
 *            can do better.
 * A message without data records (n_records 0, options) and without
 * TR_MSG_FIRST is dropped, counted, while a TCP collector is away: the
 * exporter sends its options again on the next connection anyway.
 */
int	tr_send(struct transport *tr, const struct tr_msg *msg);

/* Timed work: TCP reconnect with backoff (resolving the name again),
 * pushing the queue out, noticing a collector that closed; UDP collects
 * the ICMP errors the kernel reported; files write their buffer out. Call
 * at least once a second. <now_us> is informational: backoff runs on a
 * monotonic clock of its own. */
void	tr_poll(struct transport *tr, uint64_t now_us);

/* 0 when messages can flow now; else a negative errno and <why> (may be
 * NULL) says why in one sentence naming the collector, e.g. "collector
 * 'ipfix+tcp://127.0.0.1:9': connect failed: Connection refused (is it
 * listening?)". */
int	tr_status(const struct transport *tr, struct perr *why);
int	tr_connected(const struct transport *tr);	/* tr_status == 0 */

/* UDP to a collector on this host (tr_addr_local: a loopback address,
 * or the host's own): the largest datagram payload its path takes, the
 * MTU of the loopback less the IP and UDP headers (65,507 or 65,488
 * bytes on Linux). 0 for a collector elsewhere, whose path MTU is not
 * known here, and for the other transports. */
size_t	tr_local_max(const struct transport *tr);

/* 0 while the transport can still deliver; a negative errno once it never
 * will (a closed pipe: -EPIPE). Transient failures (disk full, a refused
 * datagram, a full queue) are counted and never make a transport fatal. */
int	tr_fatal(const struct transport *tr);

/*
 * At exit, before the counters are read: pushes what is queued out,
 * waiting at most <timeout_ms> (TCP: connects once more if needed and
 * waits for the collector to acknowledge). Then messages never written
 * are dropped (counted); TCP messages written but not acknowledged are
 * counted as unacknowledged (the kernel keeps sending them after exit:
 * the collector may or may not get them). Returns 0 when everything was
 * delivered, -ETIMEDOUT otherwise; UDP collects the last ICMP report and
 * returns -ENOBUFS (datagrams the kernel did not send) or -ECONNREFUSED
 * (datagrams the collector's host refused) when records are known lost,
 * after a warning saying how many.
 */
int	tr_drain(struct transport *tr, uint32_t timeout_ms);

/* On SIGHUP (log rotation): files write their buffer out, close, and open
 * the same path again (created when it was moved away, continued when it
 * is still there), then on_connect runs so the new file starts with its
 * templates. Other transports: 0, nothing done. Returns 0 or a negative
 * errno with <err> set (the old file is kept then). */
int	tr_reopen(struct transport *tr, struct perr *err);

struct tr_stats {
	uint64_t	msgs_sent;	/* whole messages written to the kernel
					 * or the file (a resend counts again) */
	uint64_t	bytes_sent;	/* their bytes */
	uint64_t	records_sent;	/* data records delivered: UDP handed
					 * to the kernel, a file written, TCP
					 * acknowledged by the collector */
	uint64_t	msgs_dropped;	/* never went: queue full, send or
					 * write failed, not written at exit */
	uint64_t	records_dropped; /* data records in those */
	uint64_t	msgs_refused;	/* UDP, of msgs_sent: reported refused
					 * later by ICMP (nobody listening) */
	uint64_t	records_refused; /* estimate: records of the datagram
					 * sent just before each report (exact
					 * on loopback and a LAN) */
	uint64_t	msgs_unacked;	/* TCP at exit: written, not yet
					 * acknowledged: fate unknown */
	uint64_t	records_unacked;
	uint64_t	reconnects;	/* TCP connections after the first */
	uint64_t	reopens;	/* files reopened (tr_reopen) */
	size_t		queued_bytes;	/* now in the transport's queue */
	uint32_t	queued_records;
};
void	tr_get_stats(const struct transport *tr, struct tr_stats *s);

/* What carries Kafka ("librdkafka 2.0.2"), NULL in a build without it. */
const char *tr_kafka_backend(void);

#endif
