/*
 * test_kafka.c - the Kafka client (src/transport/tr_kafka.h) against
 * librdkafka's mock cluster on loopback: delivery and its counters, keys
 * keeping one key's messages in one partition and in order, messages
 * spread over partitions, brokers down at start then back, brokers gone
 * in the middle (the queue bound: what fits is delivered, the rest
 * counted), the drain at exit, librdkafka's threads blocking signals,
 * and refused settings; and the "kafka" transport over it: its target
 * "BROKERS/TOPIC?SETTINGS" (%XX escapes, format= left to the exporter)
 * and its counters.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "transport/tr_kafka.h"
#include "transport/transport.h"

#define PARTS		4
#define TOPIC		"flows"

struct cluster {
	rd_kafka_t		*owner;
	rd_kafka_mock_cluster_t	*mc;
	char			brokers[512];
};

static void
cluster_start(struct cluster *c)
{
	char errstr[256];
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	sigset_t all, old;

	rd_kafka_conf_set(conf, "log_level", "0", errstr, sizeof(errstr));
	/* The cluster's threads must not count among the client's below. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	c->owner = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr,
	    sizeof(errstr));
	assert_non_null(c->owner);
	c->mc = rd_kafka_mock_cluster_new(c->owner, 3);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	assert_non_null(c->mc);
	assert_int_equal(rd_kafka_mock_topic_create(c->mc, TOPIC, PARTS, 1),
	    RD_KAFKA_RESP_ERR_NO_ERROR);
	snprintf(c->brokers, sizeof(c->brokers), "%s",
	    rd_kafka_mock_cluster_bootstraps(c->mc));
}

static void
cluster_stop(struct cluster *c)
{
	rd_kafka_mock_cluster_destroy(c->mc);
	rd_kafka_destroy(c->owner);
}

/* A fresh cluster for each test that names it, stopped even when the
 * test fails: a test's state (*state) is its struct cluster. */
static int
cluster_setup(void **state)
{
	static struct cluster c;

	cluster_start(&c);
	*state = &c;
	return 0;
}

static int
cluster_teardown(void **state)
{
	cluster_stop(*state);
	return 0;
}

#define WITH_CLUSTER(test) \
	cmocka_unit_test_setup_teardown(test, cluster_setup, cluster_teardown)

static struct tr_kafka *
open_client(const struct cluster *c, uint32_t queue_msgs,
    const char *const *settings, size_t n)
{
	struct tr_kafka_conf kc = {
		.name = "kafka://test",
		.brokers = c->brokers,
		.topic = TOPIC,
		.settings = settings,
		.n_settings = n,
		.queue_msgs = queue_msgs,
	};
	struct perr err = { 0, "" };
	struct tr_kafka *k = tr_kafka_open(&kc, &err);

	if (k == NULL)
		fail_msg("%s", err.msg);
	return k;
}

struct got {
	int32_t	partition;
	int64_t	offset;
	char	key[32];
	char	value[64];
};

/* Reads the whole topic from its start: up to <want> messages into <g>;
 * returns how many (waits at most 10 s). */
static size_t
consume_all(const struct cluster *c, struct got *g, size_t want)
{
	char errstr[256];
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	rd_kafka_topic_partition_list_t *parts;
	rd_kafka_t *rk;
	size_t n = 0;
	int i;
	time_t deadline = time(NULL) + 10;

	rd_kafka_conf_set(conf, "bootstrap.servers", c->brokers, errstr,
	    sizeof(errstr));
	rd_kafka_conf_set(conf, "group.id", "test", errstr, sizeof(errstr));
	rd_kafka_conf_set(conf, "log_level", "0", errstr, sizeof(errstr));
	rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof(errstr));
	assert_non_null(rk);
	parts = rd_kafka_topic_partition_list_new(PARTS);
	for (i = 0; i < PARTS; i++)
		rd_kafka_topic_partition_list_add(parts, TOPIC, i)->offset =
		    RD_KAFKA_OFFSET_BEGINNING;
	rd_kafka_assign(rk, parts);
	rd_kafka_topic_partition_list_destroy(parts);
	while (n < want && time(NULL) < deadline) {
		rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);

		if (m == NULL)
			continue;
		if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
			g[n].partition = m->partition;
			g[n].offset = m->offset;
			snprintf(g[n].key, sizeof(g[n].key), "%.*s",
			    (int)m->key_len, m->key ? (char *)m->key : "");
			snprintf(g[n].value, sizeof(g[n].value), "%.*s",
			    (int)m->len, (char *)m->payload);
			n++;
		}
		rd_kafka_message_destroy(m);
	}
	/* One more look: nothing beyond what was expected. */
	for (i = 0; i < 5 && n == want; i++) {
		rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);

		if (m != NULL) {
			if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR)
				n++;
			rd_kafka_message_destroy(m);
		}
	}
	rd_kafka_consumer_close(rk);
	rd_kafka_destroy(rk);
	return n;
}

/* Sends <n> messages "k<i % keys>:<i>" keyed "k<i % keys>". */
static void
send_n(struct tr_kafka *k, int from, int n, int keys, int *queued,
    int *full)
{
	char key[16], val[32];
	int i, rc;

	for (i = from; i < from + n; i++) {
		snprintf(key, sizeof(key), "k%d", i % keys);
		snprintf(val, sizeof(val), "%s:%d", key, i);
		rc = tr_kafka_send(k, val, strlen(val), key, strlen(key), 1);
		if (rc == 0)
			(*queued)++;
		else {
			assert_int_equal(rc, -ENOBUFS);
			(*full)++;
		}
	}
}

/* Polls for <ms>: reports are served, nothing waits. */
static void
poll_for(struct tr_kafka *k, int ms)
{
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	int i;

	for (i = 0; i < ms / 10; i++) {
		tr_kafka_poll(k);
		nanosleep(&ts, NULL);
	}
}

static void
test_delivery_keys_partitions(void **state)
{
	enum { N = 400, KEYS = 40 };
	static struct got g[N + 8];
	struct cluster *c = *state;
	struct tr_kafka *k;
	struct tr_kafka_stats st;
	int32_t part_of[KEYS];
	int last_of[KEYS];
	int queued = 0, full = 0, used[PARTS] = { 0 };
	int i, n_used = 0;
	char want_key[16];
	size_t n;

	k = open_client(c, 1000, NULL, 0);
	send_n(k, 0, N, KEYS, &queued, &full);
	assert_int_equal(queued, N);
	assert_int_equal(full, 0);
	assert_int_equal(tr_kafka_drain(k, 10000), 0);
	tr_kafka_get_stats(k, &st);
	assert_int_equal(st.queued, N);
	assert_int_equal(st.delivered, N);
	assert_int_equal(st.failed, 0);
	assert_int_equal(st.dropped, 0);
	assert_int_equal(st.waiting, 0);
	tr_kafka_close(k);

	n = consume_all(c, g, N);
	assert_int_equal(n, N);		/* each once: none missing, none more */
	for (i = 0; i < KEYS; i++) {
		part_of[i] = -1;
		last_of[i] = -1;
	}
	/* Offsets grow within a partition as the consumer reads them; a
	 * key's values must grow with them: produced order kept. */
	for (i = 0; i < (int)n; i++) {
		int key, seq;

		assert_int_equal(sscanf(g[i].value, "k%d:%d", &key, &seq), 2);
		assert_true(key >= 0 && key < KEYS);
		assert_int_equal(seq % KEYS, key);
		snprintf(want_key, sizeof(want_key), "k%d", key);
		assert_string_equal(g[i].key, want_key);
		if (part_of[key] == -1)
			part_of[key] = g[i].partition;
		assert_int_equal(g[i].partition, part_of[key]);
		assert_true(seq > last_of[key]);
		last_of[key] = seq;
		if (!used[g[i].partition]++)
			n_used++;
	}
	assert_true(n_used > 1);
}

static void
test_down_at_start(void **state)
{
	enum { N = 50 };
	static struct got g[N + 8];
	struct cluster *c = *state;
	struct tr_kafka *k;
	struct tr_kafka_stats st;
	int queued = 0, full = 0;

	rd_kafka_mock_broker_set_down(c->mc, -1);
	k = open_client(c, 1000, NULL, 0);
	send_n(k, 0, N, 5, &queued, &full);
	assert_int_equal(queued, N);
	poll_for(k, 1000);
	tr_kafka_get_stats(k, &st);
	assert_int_equal(st.delivered, 0);
	assert_int_equal(st.waiting, N);
	rd_kafka_mock_broker_set_up(c->mc, -1);
	assert_int_equal(tr_kafka_drain(k, 15000), 0);
	tr_kafka_get_stats(k, &st);
	assert_int_equal(st.delivered, N);
	assert_int_equal(st.failed, 0);
	tr_kafka_close(k);
	assert_int_equal(consume_all(c, g, N), N);
}

static void
test_gone_midway_bounded(void **state)
{
	enum { BOUND = 100, BEFORE = 30, DURING = 300 };
	static struct got g[BEFORE + BOUND + 8];
	struct cluster *c = *state;
	struct tr_kafka *k;
	struct tr_kafka_stats st;
	int queued = 0, full = 0;

	k = open_client(c, BOUND, NULL, 0);
	send_n(k, 0, BEFORE, 7, &queued, &full);
	for (int i = 0; i < 500; i++) {
		poll_for(k, 10);
		tr_kafka_get_stats(k, &st);
		if (st.delivered == BEFORE)
			break;
	}
	assert_int_equal(st.delivered, BEFORE);
	rd_kafka_mock_broker_set_down(c->mc, -1);
	send_n(k, BEFORE, DURING, 7, &queued, &full);
	/* The bound holds exactly BOUND messages; the rest are refused. */
	assert_int_equal(queued, BEFORE + BOUND);
	assert_int_equal(full, DURING - BOUND);
	poll_for(k, 500);
	rd_kafka_mock_broker_set_up(c->mc, -1);
	/* Dropped messages make the drain say so. */
	assert_int_equal(tr_kafka_drain(k, 15000), -EIO);
	tr_kafka_get_stats(k, &st);
	assert_int_equal(st.delivered, BEFORE + BOUND);
	assert_int_equal(st.dropped, DURING - BOUND);
	assert_int_equal(st.failed, 0);
	tr_kafka_close(k);
	assert_int_equal(consume_all(c, g, BEFORE + BOUND), BEFORE + BOUND);
}

static void
test_drain_timeout_counts(void **state)
{
	struct cluster *c = *state;
	struct tr_kafka *k;
	struct tr_kafka_stats st;
	int queued = 0, full = 0;

	rd_kafka_mock_broker_set_down(c->mc, -1);
	k = open_client(c, 1000, NULL, 0);
	send_n(k, 0, 10, 3, &queued, &full);
	assert_int_equal(tr_kafka_drain(k, 300), -EIO);
	tr_kafka_get_stats(k, &st);
	assert_int_equal(st.queued, 10);
	assert_int_equal(st.delivered, 0);
	assert_int_equal(st.failed, 10);
	assert_int_equal(st.records_failed, 10);
	assert_int_equal(st.waiting, 0);
	assert_int_equal(st.records_waiting, 0);
	tr_kafka_close(k);
}

/* The tids of this process, into <t>; returns how many. */
static int
threads(pid_t *t, int max)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL && n < max)
		if (e->d_name[0] != '.')
			t[n++] = (pid_t)atoi(e->d_name);
	closedir(d);
	return n;
}

static unsigned long long
sig_blocked(pid_t tid)
{
	char path[64], line[256];
	unsigned long long mask = 0;
	FILE *fp;

	snprintf(path, sizeof(path), "/proc/self/task/%d/status", (int)tid);
	assert_non_null(fp = fopen(path, "r"));
	while (fgets(line, sizeof(line), fp) != NULL)
		if (sscanf(line, "SigBlk: %llx", &mask) == 1)
			break;
	fclose(fp);
	return mask;
}

static void
test_threads_block_signals(void **state)
{
	const unsigned long long want = 1ull << (SIGINT - 1) |
	    1ull << (SIGTERM - 1) | 1ull << (SIGHUP - 1) |
	    1ull << (SIGUSR1 - 1) | 1ull << (SIGALRM - 1);
	pid_t before[256], after[256];
	struct cluster *c = *state;
	struct tr_kafka *k;
	int nb, na, i, j, n_new = 0;

	nb = threads(before, 256);
	k = open_client(c, 1000, NULL, 0);
	poll_for(k, 300);		/* broker threads up */
	na = threads(after, 256);
	for (i = 0; i < na; i++) {
		for (j = 0; j < nb && before[j] != after[i]; j++)
			;
		if (j < nb)
			continue;
		n_new++;
		assert_true((sig_blocked(after[i]) & want) == want);
	}
	assert_true(n_new > 0);
	/* The caller's own mask is as it was. */
	assert_int_equal(sig_blocked(getpid()) & want, 0);
	tr_kafka_close(k);
}

static void
test_bad_settings(void **unused)
{
	static const struct {
		const char	*brokers;
		const char	*topic;
		const char	*setting;
		const char	*says;
	} cases[] = {
		{ "127.0.0.1:1", "t", "no.such.thing=1", "no.such.thing" },
		{ "127.0.0.1:1", "t", "acks=sometimes", "acks" },
		{ "127.0.0.1:1", "t", "novalue", "KEY=VALUE" },
		{ "127.0.0.1:1", "t", "bootstrap.servers=x:1", "named before" },
		{ "127.0.0.1:1", "", NULL, "no topic" },
		{ "", "t", NULL, "no broker" },
		{ "a,,b", "t", NULL, "empty broker" },
		{ "a:99999", "t", NULL, "bad port" },
	};
	struct perr err;
	size_t i;

	(void)unused;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *s[1] = { cases[i].setting };
		struct tr_kafka_conf kc = {
			.name = "kafka://x",
			.brokers = cases[i].brokers,
			.topic = cases[i].topic,
			.settings = s,
			.n_settings = cases[i].setting != NULL,
		};

		memset(&err, 0, sizeof(err));
		assert_null(tr_kafka_open(&kc, &err));
		assert_int_equal(err.code, -EINVAL);
		if (strstr(err.msg, cases[i].says) == NULL ||
		    strstr(err.msg, "collector 'kafka://x'") == NULL)
			fail_msg("case %zu: '%s'", i, err.msg);
	}
}

static void
test_settings_applied(void **state)
{
	/* A user setting wins over ours: a message larger than
	 * message.max.bytes is refused at once. */
	static const char *const s[] = { "message.max.bytes=2000",
	    "compression.codec=lz4", "linger.ms=1" };
	static char big[4000];
	struct cluster *c = *state;
	struct tr_kafka *k;
	struct tr_kafka_stats st;

	k = open_client(c, 10, s, 3);
	memset(big, 'x', sizeof(big));
	assert_int_equal(tr_kafka_send(k, big, sizeof(big), "k", 1, 2),
	    -EMSGSIZE);
	assert_int_equal(tr_kafka_send(k, big, 100, "k", 1, 3), 0);
	assert_int_equal(tr_kafka_drain(k, 10000), -EIO);
	tr_kafka_get_stats(k, &st);
	assert_int_equal(st.delivered, 1);
	assert_int_equal(st.dropped, 1);
	/* Records are counted by what each message holds. */
	assert_int_equal(st.records_delivered, 3);
	assert_int_equal(st.records_dropped, 2);
	tr_kafka_close(k);
}

static struct transport *
open_transport(const char *target, uint32_t queue,
    const struct tr_hooks *hooks, struct perr *err)
{
	struct transport_conf tc;

	memset(&tc, 0, sizeof(tc));
	tc.kind = "kafka";
	tc.target = target;
	tc.queue_records = queue;
	tc.name = "kafka://t";
	return tr_open(&tc, hooks, err);
}

/* The stamp hook: counts its calls and sequence units, on this thread. */
static void
count_stamp(uint8_t *data, size_t len, uint32_t n_seq, void *arg)
{
	uint32_t *st = arg;

	(void)data, (void)len;
	st[0]++;
	st[1] += n_seq;
}

static int
send_keyed(struct transport *tr, const char *v, size_t len,
    uint32_t n_records, const char *key)
{
	struct tr_msg m;

	memset(&m, 0, sizeof(m));
	m.data = (uint8_t *)(uintptr_t)v;
	m.len = len;
	m.key = (const uint8_t *)key;
	m.key_len = strlen(key);
	m.n_records = n_records;
	m.n_seq = n_records;
	return tr_send(tr, &m);
}

static void
test_transport_target(void **state)
{
	static const struct {
		const char	*query;
		const char	*says;		/* NULL: opens */
	} cases[] = {
		{ "", NULL },
		{ "?format=ipfix", NULL },		/* the exporter's */
		{ "?format=json&&linger.ms=1&", NULL },	/* empty items */
		{ "?linger.ms=%31", NULL },		/* "1" */
		{ "?linger.ms=%3", "bad %XX escape" },
		{ "?linger.ms=%zz", "bad %XX escape" },
		{ "?linger.ms=1%00", "bad %XX escape" },
		{ "?linger.ms", "is not KEY=VALUE" },
		{ "?linger.ms=soon", "setting 'linger.ms'" },
	};
	struct cluster *c = *state;
	struct transport *tr;
	struct perr err;
	char target[1024];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(target, sizeof(target), "%s/%s%s", c->brokers, TOPIC,
		    cases[i].query);
		memset(&err, 0, sizeof(err));
		tr = open_transport(target, 10, NULL, &err);
		if (cases[i].says == NULL) {
			if (tr == NULL)
				fail_msg("'%s': %s", cases[i].query, err.msg);
			tr_close(tr);
			continue;
		}
		assert_null(tr);
		if (strstr(err.msg, cases[i].says) == NULL)
			fail_msg("'%s': '%s'", cases[i].query, err.msg);
	}
	memset(&err, 0, sizeof(err));
	assert_null(open_transport("127.0.0.1:9/bad topic", 10, NULL, &err));
	assert_non_null(strstr(err.msg, "bad topic"));
	assert_null(open_transport("127.0.0.1:9", 10, NULL, &err));
	assert_non_null(strstr(err.msg, "no topic"));
}

static void
test_transport_send_and_counters(void **state)
{
	static struct got g[16];
	static char big[4000];
	struct cluster *c = *state;
	struct transport *tr;
	struct tr_stats ts;
	struct perr err = { 0, "" };
	char target[1024];
	int i;

	/* An escaped setting reaches librdkafka decoded: 2000 bytes. */
	snprintf(target, sizeof(target), "%s/%s?message.max.bytes=%%32000",
	    c->brokers, TOPIC);
	if ((tr = open_transport(target, 100, NULL, &err)) == NULL)
		fail_msg("%s", err.msg);
	for (i = 0; i < 5; i++)
		assert_int_equal(send_keyed(tr, "k1:v", 4, 2, "k1"), 0);
	memset(big, 'x', sizeof(big));
	assert_int_equal(send_keyed(tr, big, sizeof(big), 1, "k1"),
	    -EMSGSIZE);
	assert_int_equal(tr_drain(tr, 10000), -ETIMEDOUT);	/* one lost */
	tr_get_stats(tr, &ts);
	assert_int_equal(ts.msgs_sent, 5);
	assert_int_equal(ts.bytes_sent, 20);
	assert_int_equal(ts.records_sent, 10);
	assert_int_equal(ts.msgs_dropped, 1);
	assert_int_equal(ts.records_dropped, 1);
	assert_int_equal(ts.records_unacked, 0);
	assert_int_equal(ts.queued_records, 0);
	tr_close(tr);
	assert_int_equal(consume_all(c, g, 5), 5);
	for (i = 0; i < 5; i++) {
		assert_string_equal(g[i].key, "k1");
		assert_int_equal(g[i].partition, g[0].partition);
	}
}

/* The stamp hook runs once per message handed over, with its sequence
 * units, on the caller's thread (from tr_send). */
static void
test_transport_stamp(void **state)
{
	struct cluster *c = *state;
	struct transport *tr;
	struct tr_hooks hooks;
	struct perr err = { 0, "" };
	char target[1024];
	uint32_t st[2] = { 0, 0 };
	int i;

	snprintf(target, sizeof(target), "%s/%s", c->brokers, TOPIC);
	memset(&hooks, 0, sizeof(hooks));
	hooks.stamp = count_stamp;
	hooks.arg = st;
	if ((tr = open_transport(target, 100, &hooks, &err)) == NULL)
		fail_msg("%s", err.msg);
	for (i = 0; i < 4; i++)
		assert_int_equal(send_keyed(tr, "v", 1, 3, "k"), 0);
	assert_int_equal(st[0], 4);
	assert_int_equal(st[1], 12);
	assert_int_equal(tr_drain(tr, 10000), 0);
	assert_int_equal(st[0], 4);		/* not again at delivery */
	tr_close(tr);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_settings),
		WITH_CLUSTER(test_settings_applied),
		WITH_CLUSTER(test_delivery_keys_partitions),
		WITH_CLUSTER(test_down_at_start),
		WITH_CLUSTER(test_gone_midway_bounded),
		WITH_CLUSTER(test_drain_timeout_counts),
		WITH_CLUSTER(test_threads_block_signals),
		WITH_CLUSTER(test_transport_target),
		WITH_CLUSTER(test_transport_send_and_counters),
		WITH_CLUSTER(test_transport_stamp),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
