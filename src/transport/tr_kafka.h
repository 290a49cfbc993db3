/*
 * tr_kafka.h - inside src/transport/ only (and tests/unit/test_kafka.c):
 * the Kafka client the Kafka transport is made of, on librdkafka.
 *
 * Pipeline position: export -> [transport: Kafka] -> brokers.
 * One producer per collector URI. Messages go into librdkafka's own queue,
 * bounded by queue.buffering.max.messages; librdkafka's threads move them
 * to the brokers and retry while a broker is away, so nothing here blocks
 * the capture thread. Delivery reports come back on the capture thread,
 * in tr_kafka_poll() and tr_kafka_drain(), and are counted there.
 *
 * librdkafka's threads start in tr_kafka_open() with every signal
 * blocked, so the probe's signals always reach the capture thread.
 *
 * Not thread-safe: every call from the capture thread.
 * Built without librdkafka (tr_kafka_none.c), tr_kafka_open() fails with
 * -ENOTSUP and a sentence saying so.
 */
#ifndef L7_TR_KAFKA_H
#define L7_TR_KAFKA_H

#include <stddef.h>
#include <stdint.h>

#include "log/log.h"

#define TR_KAFKA_PORT	9092		/* a broker without a port */

struct tr_kafka_conf {
	const char	*name;		/* for messages: the collector URI */
	const char	*brokers;	/* "HOST[:PORT][,HOST[:PORT]...]",
					 * "[v6]:PORT" too; port 9092 */
	const char	*topic;
	/* librdkafka settings "KEY=VALUE" (borrowed for the open call),
	 * applied after the defaults below, so they win. */
	const char *const *settings;
	size_t		n_settings;
	/* queue.buffering.max.messages unless a setting names it: the
	 * messages held while brokers are away or slow; 0 = librdkafka's
	 * default (100000). */
	uint32_t	queue_msgs;
};

struct tr_kafka;

/*
 * Makes the producer (no network wait: a broker down now is not an
 * error, messages wait in the queue). Defaults: client.id "l7probe",
 * enable.idempotence true (one copy of each message, in order within a
 * partition, across retries and reconnections), message.timeout.ms 0
 * (messages wait for the brokers as long as the queue has room).
 * Refuses an unknown setting, a bad value, or bootstrap.servers (the URI
 * names the brokers). Returns owned (tr_kafka_close), or NULL with <err>
 * naming the collector and the reason.
 */
struct tr_kafka *tr_kafka_open(const struct tr_kafka_conf *conf,
	    struct perr *err);

/*
 * Queues one message (<msg> and <key> borrowed: copied) holding
 * <n_records> flow records (the unit of the record counters) for the topic;
 * the partition comes from the key (librdkafka's default partitioner:
 * one key, one partition), or is spread when <key> is NULL. Never
 * blocks. Returns 0 when queued; -ENOBUFS when the queue is full (the
 * message is dropped and counted); another negative errno when librdkafka
 * refuses it (too large: -EMSGSIZE; counted as dropped too).
 */
int	tr_kafka_send(struct tr_kafka *k, const void *msg, size_t len,
	    const void *key, size_t key_len, uint32_t n_records);

/* Serves delivery reports and librdkafka's log and errors, without
 * waiting. Call at least once a second. */
void	tr_kafka_poll(struct tr_kafka *k);

/*
 * At exit: waits at most <timeout_ms> for the queue to be delivered, then
 * purges what is left, counted as failed. Returns 0 when every message
 * queued since open was delivered and none was dropped, else -EIO.
 */
int	tr_kafka_drain(struct tr_kafka *k, uint32_t timeout_ms);

/* Messages, and the records in them (the same unless a message holds
 * several): queued = delivered + failed + waiting. */
struct tr_kafka_stats {
	uint64_t	queued;		/* accepted by tr_kafka_send */
	uint64_t	delivered;	/* acknowledged by a broker */
	uint64_t	bytes_delivered; /* their values, bytes */
	uint64_t	failed;		/* delivery failed, or purged at exit */
	uint64_t	dropped;	/* refused by tr_kafka_send */
	uint64_t	waiting;	/* queued, no report yet */
	uint64_t	records_queued;
	uint64_t	records_delivered;
	uint64_t	records_failed;
	uint64_t	records_dropped;
	uint64_t	records_waiting;
};
void	tr_kafka_get_stats(const struct tr_kafka *k, struct tr_kafka_stats *s);

/* Purges what is still queued (counted as failed) and releases; NULL is
 * fine. Does not wait for the brokers: call tr_kafka_drain first. */
void	tr_kafka_close(struct tr_kafka *k);

#endif
