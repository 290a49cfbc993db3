/*
 * l7mock.c - a Kafka cluster on loopback for the probe's tests, built on
 * librdkafka's mock cluster (rdkafka_mock.h), so the probe speaks the real
 * Kafka protocol over TCP without a broker package.
 *
 *	l7mock [-n BROKERS] [-p PARTITIONS] [-t TOPIC] [-o OUT] [-d DIR]
 *	       [-b FILE] [--down] [-e API:ERROR:COUNT]
 *
 * Starts BROKERS brokers (default 3) on free loopback ports, creates TOPIC
 * (default "flows") with PARTITIONS partitions (default 4), prints the
 * bootstrap servers on one line of standard output (and into FILE with
 * -b, written whole, for scripts to wait on), then consumes the topic from
 * its start with a consumer of its own and writes each message to OUT
 * (default standard output), one line each:
 *
 *	PARTITION OFFSET KEY VALUE
 *
 * KEY and VALUE in lowercase hex ("-" for a message without a key). With
 * -d, each message's value is also appended to DIR/PARTITION.bin, so the
 * messages of one partition can be read back as one stream.
 *
 * -e makes the brokers answer the next COUNT requests of Kafka API key API
 * (0 Produce, 22 InitProducerId...) with error code ERROR (31
 * CLUSTER_AUTHORIZATION_FAILED...), whichever client sends them.
 *
 * Signals: SIGUSR1 takes every broker down (connections closed, new ones
 * refused on the same ports), SIGUSR2 brings them back; --down starts
 * with them down. SIGTERM or SIGINT: brings the brokers up, consumes what
 * the topic still holds (up to its high watermarks, at most 10 s), prints
 * "l7mock: consumed N messages" on standard error and exits 0.
 *
 * Exit: 0, 1 on a Kafka error, 2 on a bad command line.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#define MAX_PARTS	64

struct mock {
	rd_kafka_t		*owner;		/* holds the mock cluster */
	rd_kafka_mock_cluster_t	*mc;
	rd_kafka_t		*cons;
	const char		*topic;
	int			n_parts;
	FILE			*out;
	const char		*dir;
	FILE			*bin[MAX_PARTS];
	int64_t			next[MAX_PARTS];	/* next offset expected */
	uint64_t		consumed;
};

static void
usage(void)
{
	fputs("usage: l7mock [-n BROKERS] [-p PARTITIONS] [-t TOPIC] "
	    "[-o OUT] [-d DIR] [-b FILE] [--down] [-e API:ERROR:COUNT]\n",
	    stderr);
	exit(2);
}

static int
num_arg(const char *s, int lo, int hi)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || errno != 0 || v < lo || v > hi) {
		fprintf(stderr, "l7mock: bad number '%s' (%d to %d)\n", s, lo,
		    hi);
		exit(2);
	}
	return (int)v;
}

static void
put_hex(FILE *fp, const void *p, size_t n)
{
	const unsigned char *b = p;
	size_t i;

	if (p == NULL) {
		fputc('-', fp);
		return;
	}
	for (i = 0; i < n; i++)
		fprintf(fp, "%02x", b[i]);
	if (n == 0)
		fputs("\"\"", fp);
}

static void
got(struct mock *m, const rd_kafka_message_t *msg)
{
	int32_t p = msg->partition;

	if (p < 0 || p >= m->n_parts)
		return;
	fprintf(m->out, "%" PRId32 " %" PRId64 " ", p, msg->offset);
	put_hex(m->out, msg->key, msg->key_len);
	fputc(' ', m->out);
	put_hex(m->out, msg->payload, msg->len);
	fputc('\n', m->out);
	fflush(m->out);
	if (m->dir != NULL) {
		if (m->bin[p] == NULL) {
			char path[4096];

			snprintf(path, sizeof(path), "%s/%" PRId32 ".bin",
			    m->dir, p);
			if ((m->bin[p] = fopen(path, "ab")) == NULL) {
				fprintf(stderr, "l7mock: %s: %s\n", path,
				    strerror(errno));
				exit(1);
			}
		}
		fwrite(msg->payload, 1, msg->len, m->bin[p]);
		fflush(m->bin[p]);
	}
	m->next[p] = msg->offset + 1;
	m->consumed++;
}

static void
consume(struct mock *m, int timeout_ms)
{
	rd_kafka_message_t *msg;

	msg = rd_kafka_consumer_poll(m->cons, timeout_ms);
	if (msg == NULL)
		return;
	if (msg->err == RD_KAFKA_RESP_ERR_NO_ERROR)
		got(m, msg);
	else if (msg->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
		fprintf(stderr, "l7mock: consumer: %s\n",
		    rd_kafka_message_errstr(msg));
	rd_kafka_message_destroy(msg);
}

static uint64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Consumes until every partition reached its high watermark. */
static void
catch_up(struct mock *m, int max_ms)
{
	uint64_t deadline = mono_ms() + (uint64_t)max_ms;
	int64_t hi[MAX_PARTS];
	int p, done;

	for (p = 0; p < m->n_parts; p++) {
		int64_t lo;

		hi[p] = -1;
		while (rd_kafka_query_watermark_offsets(m->cons, m->topic, p,
		    &lo, &hi[p], 1000) != RD_KAFKA_RESP_ERR_NO_ERROR &&
		    mono_ms() < deadline)
			;
	}
	do {
		done = 1;
		for (p = 0; p < m->n_parts; p++)
			if (m->next[p] < hi[p])
				done = 0;
		if (!done)
			consume(m, 100);
	} while (!done && mono_ms() < deadline);
	if (!done)
		fprintf(stderr, "l7mock: gave up before the end of the topic\n");
}

static rd_kafka_t *
new_client(rd_kafka_type_t type, const char *bootstraps)
{
	char errstr[512];
	rd_kafka_conf_t *c = rd_kafka_conf_new();
	rd_kafka_t *rk;

	if (bootstraps != NULL &&
	    (rd_kafka_conf_set(c, "bootstrap.servers", bootstraps, errstr,
	    sizeof(errstr)) != RD_KAFKA_CONF_OK ||
	    rd_kafka_conf_set(c, "group.id", "l7mock", errstr,
	    sizeof(errstr)) != RD_KAFKA_CONF_OK ||
	    rd_kafka_conf_set(c, "enable.auto.commit", "false", errstr,
	    sizeof(errstr)) != RD_KAFKA_CONF_OK ||
	    rd_kafka_conf_set(c, "enable.partition.eof", "false", errstr,
	    sizeof(errstr)) != RD_KAFKA_CONF_OK)) {
		fprintf(stderr, "l7mock: %s\n", errstr);
		exit(1);
	}
	/* Brokers taken down on purpose: no need to hear about it. */
	rd_kafka_conf_set(c, "log_level", "2", errstr, sizeof(errstr));
	if ((rk = rd_kafka_new(type, c, errstr, sizeof(errstr))) == NULL) {
		fprintf(stderr, "l7mock: %s\n", errstr);
		exit(1);
	}
	return rk;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "down", no_argument, NULL, 'D' },
		{ NULL, 0, NULL, 0 },
	};
	const char *out_path = NULL, *boot_file = NULL, *bootstraps;
	struct mock m;
	rd_kafka_topic_partition_list_t *parts;
	rd_kafka_resp_err_t e;
	sigset_t sigs;
	int n_brokers = 3, down = 0, c, p, sig;
	int err_api = -1, err_code = 0, err_count = 0;

	memset(&m, 0, sizeof(m));
	m.topic = "flows";
	m.n_parts = 4;
	while ((c = getopt_long(argc, argv, "n:p:t:o:d:b:e:", longopts,
	    NULL)) != -1) {
		switch (c) {
		case 'n': n_brokers = num_arg(optarg, 1, 16); break;
		case 'p': m.n_parts = num_arg(optarg, 1, MAX_PARTS); break;
		case 't': m.topic = optarg; break;
		case 'o': out_path = optarg; break;
		case 'd': m.dir = optarg; break;
		case 'b': boot_file = optarg; break;
		case 'D': down = 1; break;
		case 'e':
			if (sscanf(optarg, "%d:%d:%d", &err_api, &err_code,
			    &err_count) != 3 || err_api < 0 || err_code <= 0 ||
			    err_count <= 0) {
				fprintf(stderr, "l7mock: -e wants API:ERROR:"
				    "COUNT, got '%s'\n", optarg);
				exit(2);
			}
			break;
		default: usage();
		}
	}
	if (optind != argc)
		usage();
	m.out = stdout;
	if (out_path != NULL && (m.out = fopen(out_path, "w")) == NULL) {
		fprintf(stderr, "l7mock: %s: %s\n", out_path, strerror(errno));
		return 2;
	}

	/* Signals are taken by sigtimedwait in the main loop only: blocked
	 * here, before any librdkafka thread starts, so all inherit it. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGUSR1);
	sigaddset(&sigs, SIGUSR2);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);

	m.owner = new_client(RD_KAFKA_PRODUCER, NULL);
	if ((m.mc = rd_kafka_mock_cluster_new(m.owner, n_brokers)) == NULL) {
		fprintf(stderr, "l7mock: cannot make the mock cluster\n");
		return 1;
	}
	if ((e = rd_kafka_mock_topic_create(m.mc, m.topic, m.n_parts, 1)) !=
	    RD_KAFKA_RESP_ERR_NO_ERROR) {
		fprintf(stderr, "l7mock: topic '%s': %s\n", m.topic,
		    rd_kafka_err2str(e));
		return 1;
	}
	bootstraps = rd_kafka_mock_cluster_bootstraps(m.mc);
	for (c = 0; c < err_count; c++)
		rd_kafka_mock_push_request_errors(m.mc, (int16_t)err_api, 1,
		    (rd_kafka_resp_err_t)err_code);
	if (down)
		rd_kafka_mock_broker_set_down(m.mc, -1);

	m.cons = new_client(RD_KAFKA_CONSUMER, bootstraps);
	parts = rd_kafka_topic_partition_list_new(m.n_parts);
	for (p = 0; p < m.n_parts; p++)
		rd_kafka_topic_partition_list_add(parts, m.topic, p)->offset =
		    RD_KAFKA_OFFSET_BEGINNING;
	if ((e = rd_kafka_assign(m.cons, parts)) != RD_KAFKA_RESP_ERR_NO_ERROR) {
		fprintf(stderr, "l7mock: assign: %s\n", rd_kafka_err2str(e));
		return 1;
	}
	rd_kafka_topic_partition_list_destroy(parts);

	printf("%s\n", bootstraps);
	fflush(stdout);
	if (boot_file != NULL) {
		char tmp[4096];
		FILE *fp;

		snprintf(tmp, sizeof(tmp), "%s.tmp", boot_file);
		if ((fp = fopen(tmp, "w")) == NULL ||
		    fprintf(fp, "%s\n", bootstraps) < 0 || fclose(fp) != 0 ||
		    rename(tmp, boot_file) != 0) {
			fprintf(stderr, "l7mock: %s: %s\n", boot_file,
			    strerror(errno));
			return 1;
		}
	}

	for (;;) {
		struct timespec zero = { 0, 0 };

		consume(&m, 100);
		sig = sigtimedwait(&sigs, NULL, &zero);
		if (sig == SIGUSR1) {
			rd_kafka_mock_broker_set_down(m.mc, -1);
			fprintf(stderr, "l7mock: brokers down\n");
		} else if (sig == SIGUSR2) {
			rd_kafka_mock_broker_set_up(m.mc, -1);
			fprintf(stderr, "l7mock: brokers up\n");
		} else if (sig == SIGTERM || sig == SIGINT)
			break;
	}
	rd_kafka_mock_broker_set_up(m.mc, -1);
	catch_up(&m, 10000);
	fprintf(stderr, "l7mock: consumed %" PRIu64 " messages\n", m.consumed);
	rd_kafka_consumer_close(m.cons);
	rd_kafka_destroy(m.cons);
	rd_kafka_mock_cluster_destroy(m.mc);
	rd_kafka_destroy(m.owner);
	for (p = 0; p < m.n_parts; p++)
		if (m.bin[p] != NULL)
			fclose(m.bin[p]);
	if (m.out != stdout)
		fclose(m.out);
	return 0;
}
