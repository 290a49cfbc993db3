/*
 * transport.h - how encoded export messages leave the probe: UDP, TCP or
 * a file.
 *
 * Pipeline position: export -> [transport].
 * An exporter encodes whole messages (one IPFIX or NetFlow v9 message at a
 * time) and hands each to its transport. Transports never block the
 * capture thread: UDP sends or drops (counted); TCP is non-blocking, keeps
 * a bounded queue of messages while the collector is away or slow,
 * reconnects with backoff, and tells the exporter when a new connection is
 * up so it can send its templates first; a file writes through stdio.
 */
#ifndef L7_TRANSPORT_H
#define L7_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>

#include "log/log.h"

enum tr_kind {
	TR_UDP = 0,
	TR_TCP,
	TR_FILE,
	TR_KAFKA,		/* target "BROKERS/TOPIC[?KEY=VALUE&...]" */
};

struct transport_conf {
	enum tr_kind	kind;
	const char	*target;	/* "HOST[:PORT]", "[v6]:PORT", or a
					 * path ("-" = stdout) for TR_FILE */
	uint16_t	default_port;	/* when target has none */
	uint32_t	queue_records;	/* TCP: data records held while the
					 * collector is away (--export-queue) */
	const char	*name;		/* for messages: the collector URI */
};

struct transport;

/* Called (from tr_open, tr_send, tr_poll or tr_drain) right after a TCP
 * connection comes up, before any queued message is sent on it, so the
 * exporter can queue its templates with tr_send_first(). Inside tr_send it
 * runs after <msg> was copied, so the exporter may reuse its buffer. */
typedef void (*tr_connect_cb)(struct transport *tr, void *arg);

/* Opens the socket or file: resolves the host, connects TCP (a failure is
 * not fatal: see tr_connected()), opens the file. Returns owned
 * (tr_close), or NULL with <err> naming the target and the reason. */
struct transport *tr_open(const struct transport_conf *conf,
	    tr_connect_cb on_connect, void *cb_arg, struct perr *err);
/* Flushes what it can without blocking long (TCP: at most ~2 s at exit),
 * then releases; NULL is fine. */
void	tr_close(struct transport *tr);

/*
 * Sends one whole message (<msg> borrowed) holding <n_records> data
 * records. Returns 0 when sent or queued; -ENOBUFS when the TCP queue
 * would exceed queue_records (the message is dropped, its records
 * counted); another negative errno on a failure of a UDP send or a file
 * write (counted). Never blocks. TCP: a message without data records
 * (options, statistics) is dropped, counted in msgs_dropped, while no
 * connection is up or being made: the exporter's templates and options go
 * again on the next connection anyway.
 */
int	tr_send(struct transport *tr, const uint8_t *msg, size_t len,
	    uint32_t n_records);
/* Like tr_send, with a partition key (<key> borrowed): Kafka puts all
 * messages of one key into one partition, in order; other transports
 * ignore the key. */
int	tr_send_key(struct transport *tr, const uint8_t *msg, size_t len,
	    uint32_t n_records, const void *key, size_t key_len);
/* For TCP, puts a message ahead of the queue, never dropped (templates on
 * a new connection); otherwise like tr_send with no data records. */
int	tr_send_first(struct transport *tr, const uint8_t *msg, size_t len);

/* Calls <fn> for each queued data message (TCP; none for the others), in
 * order, with its bytes borrowed and writable for the call: from a
 * tr_connect_cb, nothing of them is sent yet, so an exporter can renumber
 * the messages it queued to follow the templates it puts first. */
typedef void (*tr_msg_fn)(uint8_t *msg, size_t len, void *arg);
void	tr_foreach_queued(struct transport *tr, tr_msg_fn fn, void *arg);

/* Does the timed work: TCP reconnect with backoff, pushing the queue out,
 * noticing a collector that closed; files are flushed. Call at least once
 * a second. <now_us> is the caller's clock, for its information: the
 * backoff runs on a monotonic clock of its own, immune to clock steps. */
void	tr_poll(struct transport *tr, uint64_t now_us);

/* 1 when messages can flow now (UDP and files: always). */
int	tr_connected(const struct transport *tr);

/* 0 when messages can flow now; else a negative errno and <why> (may be
 * NULL) says why in one sentence naming the collector, e.g. "collector
 * 'ipfix+tcp://127.0.0.1:9': connect failed: Connection refused (is it
 * listening?)". For the start-up check of a TCP collector. */
int	tr_status(const struct transport *tr, struct perr *why);

/* At exit, before the counters are read: pushes queued messages out,
 * waiting at most <timeout_ms> (TCP: connects once more if needed and
 * waits for the collector to acknowledge them). What is still queued
 * then is dropped and counted. Returns 0, or -ETIMEDOUT when messages
 * were dropped. tr_close() does this itself (2 s) when nobody did. */
int	tr_drain(struct transport *tr, uint32_t timeout_ms);

struct tr_stats {
	uint64_t	msgs_sent;
	uint64_t	bytes_sent;
	uint64_t	msgs_dropped;	/* queue full, or send failed */
	uint64_t	records_dropped; /* data records in those */
	uint64_t	reconnects;
	size_t		queued_bytes;
	uint32_t	queued_records;
};
void	tr_get_stats(const struct transport *tr, struct tr_stats *s);

/* What carries Kafka ("librdkafka 2.0.2"), NULL in a build without it. */
const char *tr_kafka_backend(void);

#endif
