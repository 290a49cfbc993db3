/*
 * tr_kafka.c - the Kafka client (tr_kafka.h), on librdkafka's producer.
 *
 * Pipeline position: export -> [transport: Kafka] -> brokers.
 * librdkafka keeps its own bounded queue and threads; this file sets it
 * up, queues messages without blocking, and counts delivery reports on
 * the capture thread. Its log lines and errors are routed to the main
 * queue (log.queue), so they too are served on the capture thread, by
 * tr_kafka_poll(), and go through log/ like every other message.
 *
 * Invariant: queued = delivered + failed + waiting, where waiting is what
 * librdkafka still holds; after tr_kafka_drain() waiting is 0.
 *
 * Below the client, the "kafka" transport of the table (tr_int.h): its
 * target is what follows "kafka://" in the collector URI, the exporter
 * gives each message its key (the flow), the stamp hook runs as a message
 * enters the queue (its bytes are librdkafka's copy after that), records
 * count as sent once a broker acknowledged them, and as dropped when the
 * queue refused them, their delivery failed or they were still queued
 * after the drain at exit.
 */
#include "transport/tr_kafka.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include <librdkafka/rdkafka.h>

#include "transport/tr_int.h"
#include "transport/transport.h"

#define BROKERS_MAX	2048		/* the rebuilt bootstrap.servers */

struct tr_kafka {
	rd_kafka_t		*rk;
	rd_kafka_topic_t	*rkt;
	char			name[TR_NAME_MAX];
	struct tr_kafka_stats	st;
	rd_kafka_resp_err_t	last_dr_err;	/* logged once per kind */
	int			brokers_down;	/* warned, not yet back */
};

const char *
tr_kafka_backend(void)
{
	static char v[64];

	snprintf(v, sizeof(v), "librdkafka %s", rd_kafka_version_str());
	return v;
}

/* Delivery report: one per message, on the thread that polls. */
static void
on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
	struct tr_kafka *k = opaque;
	/* The message's opaque is its record count. */
	uint32_t n = (uint32_t)(uintptr_t)m->_private;

	(void)rk;
	if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
		k->st.delivered++;
		k->st.records_delivered += n;
		k->st.bytes_delivered += m->len;
		if (k->brokers_down) {
			k->brokers_down = 0;
			log_warn("collector '%s': brokers reachable again, "
			    "delivering", k->name);
		}
		return;
	}
	k->st.failed++;
	k->st.records_failed += n;
	/* Purged at exit: tr_kafka_drain says how many, once. */
	if (m->err == RD_KAFKA_RESP_ERR__PURGE_QUEUE ||
	    m->err == RD_KAFKA_RESP_ERR__PURGE_INFLIGHT)
		return;
	if (m->err != k->last_dr_err) {
		k->last_dr_err = m->err;
		log_warn("collector '%s': message not delivered: %s", k->name,
		    rd_kafka_err2str(m->err));
	}
}

/* What a user can do about the error behind a fatal one. */
static const char *
fatal_hint(rd_kafka_resp_err_t e)
{
	switch (e) {
	case RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED:
		return " (the cluster does not let this client produce with "
		    "idempotence: grant it IdempotentWrite on the cluster, "
		    "or add enable.idempotence=false to the URI, at the cost "
		    "of possible duplicates when messages are sent again)";
	case RD_KAFKA_RESP_ERR__UNSUPPORTED_FEATURE:
	case RD_KAFKA_RESP_ERR_UNSUPPORTED_VERSION:
		return " (brokers older than Kafka 0.11 have no idempotent "
		    "producer: add enable.idempotence=false to the URI)";
	default:
		return "";
	}
}

static void
on_error(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
	struct tr_kafka *k = opaque;
	char why[512];
	rd_kafka_resp_err_t cause;

	if (err == RD_KAFKA_RESP_ERR__FATAL) {
		/* The producer is done: queued messages fail (counted), and
		 * the next send makes the transport fatal. */
		cause = rd_kafka_fatal_error(rk, why, sizeof(why));
		log_err("collector '%s': the Kafka producer cannot go on: %s%s; "
		    "records sent to it are not delivered", k->name,
		    cause != RD_KAFKA_RESP_ERR_NO_ERROR ? why : reason,
		    fatal_hint(cause));
		return;
	}
	if (err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN) {
		if (!k->brokers_down)
			log_warn("collector '%s': no broker reachable (%s); "
			    "messages wait in the queue", k->name, reason);
		k->brokers_down = 1;
		return;
	}
	/* Connection refused and the like come again and again while a
	 * broker is away: the line above says it once. */
	if (err == RD_KAFKA_RESP_ERR__TRANSPORT ||
	    err == RD_KAFKA_RESP_ERR__RESOLVE) {
		log_info("collector '%s': %s", k->name, reason);
		return;
	}
	log_warn("collector '%s': %s: %s", k->name,
	    rd_kafka_err2name((rd_kafka_resp_err_t)err), reason);
}

static void
on_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
	struct tr_kafka *k = rd_kafka_opaque(rk);

	if (level <= LOG_ERR)
		log_info("collector '%s': librdkafka %s: %s", k->name, fac,
		    buf);
	else
		log_debug("collector '%s': librdkafka %s: %s", k->name, fac,
		    buf);
}

/* "h1,h2:9093,[::1]" -> "h1:9092,h2:9093,[::1]:9092" into <out>. */
static int
brokers_list(const char *name, const char *brokers, char *out, size_t size,
    struct perr *err)
{
	char item[TR_NAME_MAX], host[TR_NAME_MAX];
	const char *p = brokers, *comma;
	size_t len = 0, n;
	uint16_t port;
	int rc;

	out[0] = '\0';
	for (;;) {
		comma = strchr(p, ',');
		n = comma != NULL ? (size_t)(comma - p) : strlen(p);
		if (n == 0)
			return perr_set(err, -EINVAL, "collector '%s': empty "
			    "broker in '%s'", name, brokers);
		if (n >= sizeof(item))
			return perr_set(err, -EINVAL, "collector '%s': broker "
			    "name too long", name);
		memcpy(item, p, n);
		item[n] = '\0';
		if ((rc = tr_parse_target(name, item, TR_KAFKA_PORT, host,
		    sizeof(host), &port, err)) != 0)
			return rc;
		n = (size_t)snprintf(out + len, size - len,
		    strchr(host, ':') != NULL ? "%s[%s]:%u" : "%s%s:%u",
		    len > 0 ? "," : "", host, port);
		if (n >= size - len)
			return perr_set(err, -EINVAL, "collector '%s': broker "
			    "list too long", name);
		len += n;
		if (comma == NULL)
			return 0;
		p = comma + 1;
	}
}

static int
conf_set(struct tr_kafka *k, rd_kafka_conf_t *c, const char *key,
    const char *value, struct perr *err)
{
	char errstr[256];

	if (rd_kafka_conf_set(c, key, value, errstr, sizeof(errstr)) ==
	    RD_KAFKA_CONF_OK)
		return 0;
	return perr_set(err, -EINVAL, "collector '%s': setting '%s': %s",
	    k->name, key, errstr);
}

/* The user's KEY=VALUE settings, after our defaults. */
static int
user_settings(struct tr_kafka *k, rd_kafka_conf_t *c,
    const struct tr_kafka_conf *conf, struct perr *err)
{
	char key[256];
	const char *s, *eq;
	size_t i, n;
	int rc;

	for (i = 0; i < conf->n_settings; i++) {
		s = conf->settings[i];
		if ((eq = strchr(s, '=')) == NULL || eq == s)
			return perr_set(err, -EINVAL, "collector '%s': setting "
			    "'%s' is not KEY=VALUE", k->name, s);
		if ((n = (size_t)(eq - s)) >= sizeof(key))
			return perr_set(err, -EINVAL, "collector '%s': setting "
			    "name too long", k->name);
		memcpy(key, s, n);
		key[n] = '\0';
		if (strcmp(key, "bootstrap.servers") == 0 ||
		    strcmp(key, "metadata.broker.list") == 0)
			return perr_set(err, -EINVAL, "collector '%s': setting "
			    "'%s': the brokers are named before the topic "
			    "(kafka://BROKER[:PORT],.../TOPIC)", k->name, key);
		if ((rc = conf_set(k, c, key, eq + 1, err)) != 0)
			return rc;
	}
	return 0;
}

struct tr_kafka *
tr_kafka_open(const struct tr_kafka_conf *conf, struct perr *err)
{
	char brokers[BROKERS_MAX], errstr[512], qmsgs[16];
	sigset_t all, old;
	rd_kafka_conf_t *c = NULL;
	struct tr_kafka *k;

	if ((k = calloc(1, sizeof(*k))) == NULL) {
		perr_set(err, -ENOMEM, "collector '%s': out of memory",
		    conf->name);
		return NULL;
	}
	snprintf(k->name, sizeof(k->name), "%s", conf->name);
	if (conf->topic == NULL || conf->topic[0] == '\0') {
		perr_set(err, -EINVAL, "collector '%s': no topic (use "
		    "kafka://BROKER[:PORT]/TOPIC)", k->name);
		goto fail;
	}
	if (conf->brokers == NULL || conf->brokers[0] == '\0') {
		perr_set(err, -EINVAL, "collector '%s': no broker (use "
		    "kafka://BROKER[:PORT]/TOPIC)", k->name);
		goto fail;
	}
	if (brokers_list(k->name, conf->brokers, brokers, sizeof(brokers),
	    err) != 0)
		goto fail;

	c = rd_kafka_conf_new();
	rd_kafka_conf_set_opaque(c, k);
	rd_kafka_conf_set_dr_msg_cb(c, on_delivery);
	rd_kafka_conf_set_error_cb(c, on_error);
	rd_kafka_conf_set_log_cb(c, on_log);
	snprintf(qmsgs, sizeof(qmsgs), "%" PRIu32, conf->queue_msgs);
	if (conf_set(k, c, "bootstrap.servers", brokers, err) != 0 ||
	    conf_set(k, c, "client.id", "l7probe", err) != 0 ||
	    conf_set(k, c, "log.queue", "true", err) != 0 ||
	    conf_set(k, c, "enable.idempotence", "true", err) != 0 ||
	    conf_set(k, c, "message.timeout.ms", "0", err) != 0 ||
	    (conf->queue_msgs > 0 && conf_set(k, c,
	    "queue.buffering.max.messages", qmsgs, err) != 0) ||
	    user_settings(k, c, conf, err) != 0)
		goto fail;

	/* librdkafka's threads start here and keep the mask they are born
	 * with: all blocked, so SIGINT and SIGTERM reach the capture thread
	 * and break its loop. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	k->rk = rd_kafka_new(RD_KAFKA_PRODUCER, c, errstr, sizeof(errstr));
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (k->rk == NULL) {
		perr_set(err, -EINVAL, "collector '%s': %s", k->name, errstr);
		goto fail;
	}
	c = NULL;		/* rd_kafka_new took it */
	rd_kafka_set_log_queue(k->rk, NULL);
	if ((k->rkt = rd_kafka_topic_new(k->rk, conf->topic, NULL)) == NULL) {
		perr_set(err, -EINVAL, "collector '%s': topic '%s': %s",
		    k->name, conf->topic,
		    rd_kafka_err2str(rd_kafka_last_error()));
		goto fail;
	}
	return k;
fail:
	if (c != NULL)
		rd_kafka_conf_destroy(c);
	tr_kafka_close(k);
	return NULL;
}

static int
produce(struct tr_kafka *k, const void *msg, size_t len, const void *key,
    size_t key_len, uint32_t n_records)
{
	/* RD_KAFKA_MSG_F_COPY: <msg> is the exporter's buffer, reused. */
	if (rd_kafka_produce(k->rkt, RD_KAFKA_PARTITION_UA,
	    RD_KAFKA_MSG_F_COPY, (void *)(uintptr_t)msg, len, key, key_len,
	    (void *)(uintptr_t)n_records) == 0)
		return 0;
	return (int)rd_kafka_last_error();
}

int
tr_kafka_send(struct tr_kafka *k, const void *msg, size_t len,
    const void *key, size_t key_len, uint32_t n_records)
{
	int e;

	e = produce(k, msg, len, key, key_len, n_records);
	if (e == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
		/* Delivered messages leave the queue only once their report
		 * is served: serve them, then try once more. */
		rd_kafka_poll(k->rk, 0);
		e = produce(k, msg, len, key, key_len, n_records);
	}
	if (e == RD_KAFKA_RESP_ERR_NO_ERROR) {
		k->st.queued++;
		k->st.records_queued += n_records;
		return 0;
	}
	k->st.dropped++;
	k->st.records_dropped += n_records;
	switch (e) {
	case RD_KAFKA_RESP_ERR__QUEUE_FULL:
		return -ENOBUFS;
	case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE:
		return -EMSGSIZE;
	case RD_KAFKA_RESP_ERR__FATAL:
		return -EIO;
	default:
		return -EINVAL;
	}
}

void
tr_kafka_poll(struct tr_kafka *k)
{
	rd_kafka_poll(k->rk, 0);
}

static uint64_t
waiting(const struct tr_kafka *k)
{
	return k->st.queued - k->st.delivered - k->st.failed;
}

static uint64_t
records_waiting(const struct tr_kafka *k)
{
	return k->st.records_queued - k->st.records_delivered -
	    k->st.records_failed;
}

int
tr_kafka_drain(struct tr_kafka *k, uint32_t timeout_ms)
{
	uint64_t left;

	rd_kafka_flush(k->rk, (int)(timeout_ms > INT32_MAX ? INT32_MAX :
	    timeout_ms));
	if ((left = waiting(k)) > 0) {
		log_warn("collector '%s': %" PRIu64 " messages not delivered "
		    "within %" PRIu32 " ms, dropped", k->name, left,
		    timeout_ms);
		rd_kafka_purge(k->rk, RD_KAFKA_PURGE_F_QUEUE |
		    RD_KAFKA_PURGE_F_INFLIGHT | RD_KAFKA_PURGE_F_NON_BLOCKING);
		/* The purged messages' reports, counted as failed. */
		rd_kafka_flush(k->rk, 500);
		/* Any still unreported are lost all the same. */
		k->st.records_failed += records_waiting(k);
		k->st.failed += waiting(k);
	}
	return k->st.failed > 0 || k->st.dropped > 0 ? -EIO : 0;
}

void
tr_kafka_get_stats(const struct tr_kafka *k, struct tr_kafka_stats *s)
{
	*s = k->st;
	s->waiting = waiting(k);
	s->records_waiting = records_waiting(k);
}

void
tr_kafka_close(struct tr_kafka *k)
{
	if (k == NULL)
		return;
	if (k->rk != NULL) {
		rd_kafka_purge(k->rk, RD_KAFKA_PURGE_F_QUEUE |
		    RD_KAFKA_PURGE_F_INFLIGHT | RD_KAFKA_PURGE_F_NON_BLOCKING);
		rd_kafka_poll(k->rk, 0);
	}
	if (k->rkt != NULL)
		rd_kafka_topic_destroy(k->rkt);
	if (k->rk != NULL)
		rd_kafka_destroy(k->rk);
	free(k);
}

/* The Kafka transport --------------------------------------------------- */

#define SETTINGS_MAX	64

/*
 * tr->target is "BROKER[:PORT][,BROKER[:PORT]...]/TOPIC[?KEY=VALUE&...]"
 * (the collector URI after "kafka://"). The query's settings go to
 * librdkafka, %XX-decoded, except "format", which is the exporter's.
 */
struct kafka_priv {
	struct tr_kafka	*k;
};

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes %XX in place; returns 0, or -EINVAL on a bad escape. */
static int
url_decode(char *s)
{
	char *out = s;
	int hi, lo;

	for (; *s != '\0'; s++) {
		if (*s != '%') {
			*out++ = *s;
			continue;
		}
		if ((hi = hexval(s[1])) < 0 || (lo = hexval(s[2])) < 0 ||
		    (hi == 0 && lo == 0))
			return -EINVAL;
		*out++ = (char)(hi << 4 | lo);
		s += 2;
	}
	*out = '\0';
	return 0;
}

/* Kafka's rule for topic names: 1 to 249 of [A-Za-z0-9._-]. */
static int
topic_ok(const char *t)
{
	size_t n = strlen(t);

	if (n == 0 || n > 249 || strcmp(t, ".") == 0 || strcmp(t, "..") == 0)
		return 0;
	return strspn(t, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789._-") == n;
}

static int
kafka_open(struct transport *tr, struct perr *err)
{
	struct kafka_priv *kp = (struct kafka_priv *)tr->priv;
	char buf[TR_NAME_MAX], *topic, *query, *item, *next;
	const char *settings[SETTINGS_MAX];
	struct tr_kafka_conf kc;
	size_t n = 0;

	snprintf(buf, sizeof(buf), "%s", tr->target);
	if ((topic = strchr(buf, '/')) == NULL)
		return perr_set(err, -EINVAL, "collector '%s': no topic (use "
		    "kafka://BROKER[:PORT]/TOPIC)", tr->name);
	*topic++ = '\0';
	if ((query = strchr(topic, '?')) != NULL)
		*query++ = '\0';
	if (topic[0] != '\0' && !topic_ok(topic))
		return perr_set(err, -EINVAL, "collector '%s': bad topic '%s' "
		    "(1 to 249 of letters, digits, '.', '_', '-')", tr->name,
		    topic);
	for (item = query; item != NULL; item = next) {
		if ((next = strchr(item, '&')) != NULL)
			*next++ = '\0';
		if (item[0] == '\0')
			continue;
		if (url_decode(item) != 0)
			return perr_set(err, -EINVAL, "collector '%s': bad %%XX "
			    "escape in '%s'", tr->name, item);
		if (strncmp(item, "format=", 7) == 0)
			continue;
		if (n == SETTINGS_MAX)
			return perr_set(err, -EINVAL, "collector '%s': more "
			    "than %d settings", tr->name, SETTINGS_MAX);
		settings[n++] = item;
	}
	memset(&kc, 0, sizeof(kc));
	kc.name = tr->name;
	kc.brokers = buf;
	kc.topic = topic;
	kc.settings = settings;
	kc.n_settings = n;
	kc.queue_msgs = tr->queue_records;
	if ((kp->k = tr_kafka_open(&kc, err)) == NULL)
		return err != NULL && err->code != 0 ? err->code : -EINVAL;
	return 0;
}

/* The client's counters over tr->st (which holds what tr_send refused
 * itself): one message, one Kafka message. */
static void
kafka_stats(const struct transport *tr, struct tr_stats *s)
{
	const struct kafka_priv *kp = (const struct kafka_priv *)tr->priv;
	struct tr_kafka_stats ks;

	if (kp->k == NULL)
		return;
	tr_kafka_get_stats(kp->k, &ks);
	s->msgs_sent += ks.delivered;
	s->bytes_sent += ks.bytes_delivered;
	s->records_sent += ks.records_delivered;
	s->msgs_dropped += ks.dropped + ks.failed;
	s->records_dropped += ks.records_dropped + ks.records_failed;
	s->queued_records = (uint32_t)ks.records_waiting;
	s->queued_bytes = 0;
}

/* The stamp hook runs as the message enters librdkafka's queue: past
 * that point its bytes are librdkafka's copy. A librdkafka fatal error
 * (the idempotent producer cannot go on) makes the transport fatal. */
static int
kafka_send(struct transport *tr, const struct tr_msg *msg)
{
	struct kafka_priv *kp = (struct kafka_priv *)tr->priv;
	int rc;

	tr_stamp(tr, msg->data, msg->len, msg->n_seq);
	rc = tr_kafka_send(kp->k, msg->data, msg->len, msg->key,
	    msg->key_len, msg->n_records);
	if (rc == -EIO)
		tr->fatal = -ESHUTDOWN;
	return rc;
}

static void
kafka_poll(struct transport *tr, uint64_t now_us)
{
	struct kafka_priv *kp = (struct kafka_priv *)tr->priv;

	(void)now_us;
	tr_kafka_poll(kp->k);
}

static int
kafka_drain(struct transport *tr, uint32_t timeout_ms)
{
	struct kafka_priv *kp = (struct kafka_priv *)tr->priv;

	if (kp->k == NULL)
		return 0;
	return tr_kafka_drain(kp->k, timeout_ms) != 0 ? -ETIMEDOUT : 0;
}

static void
kafka_close(struct transport *tr)
{
	struct kafka_priv *kp = (struct kafka_priv *)tr->priv;

	tr_kafka_close(kp->k);
	kp->k = NULL;
}

const struct tr_ops tr_kafka_ops = {
	.name = "kafka",
	.priv_size = sizeof(struct kafka_priv),
	.open = kafka_open,
	.send = kafka_send,
	.poll = kafka_poll,
	.drain = kafka_drain,
	.close = kafka_close,
	.stats = kafka_stats,
};
