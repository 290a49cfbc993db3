/*
 * tr_kafka_none.c - the Kafka client in a build without librdkafka: every
 * Kafka collector is refused with a sentence saying how to get one.
 */
#include "transport/tr_kafka.h"

#include <errno.h>
#include <stddef.h>

#include "transport/tr_int.h"
#include "transport/transport.h"

const char *
tr_kafka_backend(void)
{
	return NULL;
}

struct tr_kafka *
tr_kafka_open(const struct tr_kafka_conf *conf, struct perr *err)
{
	perr_set(err, -ENOTSUP, "collector '%s': l7probe was built without "
	    "librdkafka (install librdkafka-dev and rebuild for Kafka export)",
	    conf->name);
	return NULL;
}

/* Never called: no tr_kafka can exist. */
int
tr_kafka_send(struct tr_kafka *k, const void *msg, size_t len,
    const void *key, size_t key_len, uint32_t n_records)
{
	(void)k, (void)msg, (void)len, (void)key, (void)key_len;
	(void)n_records;
	return -ENOTSUP;
}

void
tr_kafka_poll(struct tr_kafka *k)
{
	(void)k;
}

int
tr_kafka_drain(struct tr_kafka *k, uint32_t timeout_ms)
{
	(void)k, (void)timeout_ms;
	return 0;
}

void
tr_kafka_get_stats(const struct tr_kafka *k, struct tr_kafka_stats *s)
{
	(void)k;
	*s = (struct tr_kafka_stats){ 0 };
}

void
tr_kafka_close(struct tr_kafka *k)
{
	(void)k;
}

static int
kafka_open(struct transport *tr, struct perr *err)
{
	struct tr_kafka_conf kc = { .name = tr->name };

	tr_kafka_open(&kc, err);
	return err != NULL ? err->code : -ENOTSUP;
}

static int
kafka_send(struct transport *tr, const struct tr_msg *msg)
{
	(void)tr, (void)msg;
	return -ENOTSUP;
}

static void
kafka_close(struct transport *tr)
{
	(void)tr;
}

const struct tr_ops tr_kafka_ops = {
	.name = "kafka",
	.open = kafka_open,
	.send = kafka_send,
	.close = kafka_close,
};
