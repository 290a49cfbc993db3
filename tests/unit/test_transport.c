/*
 * test_transport.c - the transports on loopback: target parsing, UDP to
 * a local socket, TCP to a local listener (templates first on every
 * connection, reconnect after the collector closes, the bounded queue
 * and its drop accounting, draining at exit), and files.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "transport/tr_int.h"

static void
test_parse_target(void **unused)
{
	static const struct {
		const char	*target;
		int		rc;
		const char	*host;
		uint16_t	port;
	} cases[] = {
		{ "collector.example",		0, "collector.example", 4739 },
		{ "192.0.2.7:2055",		0, "192.0.2.7", 2055 },
		{ "[2001:db8::1]:9995",		0, "2001:db8::1", 9995 },
		{ "[::1]",			0, "::1", 4739 },
		{ "::1",			0, "::1", 4739 },	/* bare v6 */
		{ "host:0",			-EINVAL, NULL, 0 },
		{ "host:65536",			-EINVAL, NULL, 0 },
		{ "host:4739x",			-EINVAL, NULL, 0 },
		{ "host:",			-EINVAL, NULL, 0 },
		{ ":4739",			-EINVAL, NULL, 0 },
		{ "[::1",			-EINVAL, NULL, 0 },
		{ "[::1]4739",			-EINVAL, NULL, 0 },
		{ "[]:4739",			-EINVAL, NULL, 0 },
	};
	char host[64];
	uint16_t port;
	struct perr err;
	size_t i;

	(void)unused;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&err, 0, sizeof(err));
		assert_int_equal(tr_parse_target("c", cases[i].target, 4739,
		    host, sizeof(host), &port, &err), cases[i].rc);
		if (cases[i].rc != 0) {
			assert_non_null(strstr(err.msg, "collector 'c'"));
			continue;
		}
		assert_string_equal(host, cases[i].host);
		assert_int_equal(port, cases[i].port);
	}
}

/* A socket of <type> bound to 127.0.0.1 on a kernel-chosen port. */
static int
local_socket(int type, uint16_t *port)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	int fd, one = 1;

	fd = socket(AF_INET, type, 0);
	assert_true(fd >= 0);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons(*port);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	*port = ntohs(sin.sin_port);
	if (type == SOCK_STREAM)
		assert_int_equal(listen(fd, 4), 0);
	return fd;
}

static struct transport *
open_tr(enum tr_kind kind, const char *target, uint32_t queue,
    tr_connect_cb cb, void *arg, struct perr *err)
{
	struct transport_conf tc;

	memset(&tc, 0, sizeof(tc));
	tc.kind = kind;
	tc.target = target;
	tc.default_port = 4739;
	tc.queue_records = queue;
	tc.name = "test-collector";
	return tr_open(&tc, cb, arg, err);
}

static void
test_udp(void **unused)
{
	struct transport *tr;
	struct tr_stats st;
	struct perr err;
	char target[32], buf[64];
	uint16_t port = 0;
	int fd;

	(void)unused;
	fd = local_socket(SOCK_DGRAM, &port);
	snprintf(target, sizeof(target), "127.0.0.1:%u", port);
	tr = open_tr(TR_UDP, target, 0, NULL, NULL, &err);
	assert_non_null(tr);
	assert_true(tr_connected(tr));
	assert_int_equal(tr_status(tr, NULL), 0);
	assert_int_equal(tr_send(tr, (const uint8_t *)"first", 5, 1), 0);
	assert_int_equal(tr_send(tr, (const uint8_t *)"second!", 7, 2), 0);
	assert_int_equal(recv(fd, buf, sizeof(buf), 0), 5);
	assert_memory_equal(buf, "first", 5);
	assert_int_equal(recv(fd, buf, sizeof(buf), 0), 7);
	assert_memory_equal(buf, "second!", 7);
	tr_get_stats(tr, &st);
	assert_int_equal(st.msgs_sent, 2);
	assert_int_equal(st.bytes_sent, 12);
	assert_int_equal(st.msgs_dropped, 0);
	tr_foreach_queued(tr, NULL, NULL);	/* UDP queues nothing */
	assert_int_equal(tr_drain(tr, 10), 0);
	tr_close(tr);
	close(fd);

	/* Nobody listening: sends do not fail the caller for good. */
	fd = local_socket(SOCK_DGRAM, &port);
	close(fd);
	tr = open_tr(TR_UDP, target, 0, NULL, NULL, &err);
	assert_non_null(tr);
	tr_send(tr, (const uint8_t *)"x", 1, 1);
	usleep(10000);
	tr_send(tr, (const uint8_t *)"y", 1, 1);
	tr_close(tr);

	tr = open_tr(TR_UDP, "no-such-host.invalid:4739", 0, NULL, NULL, &err);
	assert_null(tr);
	assert_non_null(strstr(err.msg,
	    "cannot resolve 'no-such-host.invalid'"));
	tr = open_tr(TR_UDP, "127.0.0.1:99999", 0, NULL, NULL, &err);
	assert_null(tr);
	assert_non_null(strstr(err.msg, "bad port '99999'"));
}

static void
test_udp_v6(void **unused)
{
	struct sockaddr_in6 sin6;
	socklen_t len = sizeof(sin6);
	struct transport *tr;
	struct perr err;
	char target[48], buf[16];
	int fd;

	(void)unused;
	if ((fd = socket(AF_INET6, SOCK_DGRAM, 0)) == -1)
		skip();
	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	sin6.sin6_addr = in6addr_loopback;
	if (bind(fd, (struct sockaddr *)&sin6, sizeof(sin6)) == -1) {
		close(fd);
		skip();		/* no IPv6 loopback here */
	}
	getsockname(fd, (struct sockaddr *)&sin6, &len);
	snprintf(target, sizeof(target), "[::1]:%u", ntohs(sin6.sin6_port));
	tr = open_tr(TR_UDP, target, 0, NULL, NULL, &err);
	assert_non_null(tr);
	assert_int_equal(tr_send(tr, (const uint8_t *)"six", 3, 1), 0);
	assert_int_equal(recv(fd, buf, sizeof(buf), 0), 3);
	tr_close(tr);
	close(fd);
}

/* TCP ------------------------------------------------------------------ */

struct cb_state {
	int		calls;
	char		tmpl[16];	/* what the callback sends first */
};

static void
on_connect(struct transport *tr, void *arg)
{
	struct cb_state *cs = arg;

	cs->calls++;
	snprintf(cs->tmpl, sizeof(cs->tmpl), "T%d;", cs->calls);
	assert_int_equal(tr_send_first(tr, (const uint8_t *)cs->tmpl,
	    strlen(cs->tmpl)), 0);
}

/* Reads from <fd> until <want> bytes came or 3 s passed. */
static size_t
read_all(int fd, char *buf, size_t size, size_t want)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	size_t got = 0;
	ssize_t n;
	int i;

	for (i = 0; i < 300 && got < want; i++) {
		if (poll(&pfd, 1, 10) <= 0)
			continue;
		if ((n = recv(fd, buf + got, size - 1 - got, 0)) <= 0)
			break;
		got += (size_t)n;
	}
	buf[got] = '\0';
	return got;
}

/* Polls the transport for up to <ms> until it is connected. */
static int
wait_connected(struct transport *tr, int ms)
{
	int i;

	for (i = 0; i < ms / 20; i++) {
		tr_poll(tr, 0);
		if (tr_connected(tr))
			return 1;
		usleep(20000);
	}
	return 0;
}

static void
test_tcp_templates_and_reconnect(void **unused)
{
	struct cb_state cs = { 0, "" };
	struct transport *tr;
	struct tr_stats st;
	struct perr err;
	char target[32], buf[256];
	uint16_t port = 0;
	int lfd, cfd, i;

	(void)unused;
	lfd = local_socket(SOCK_STREAM, &port);
	snprintf(target, sizeof(target), "127.0.0.1:%u", port);
	tr = open_tr(TR_TCP, target, 100, on_connect, &cs, &err);
	assert_non_null(tr);
	assert_int_equal(cs.calls, 1);
	assert_true(tr_connected(tr));
	assert_int_equal(tr_send(tr, (const uint8_t *)"D1;", 3, 1), 0);
	assert_int_equal(tr_send(tr, (const uint8_t *)"D2;", 3, 1), 0);
	cfd = accept(lfd, NULL, NULL);
	assert_true(cfd >= 0);
	read_all(cfd, buf, sizeof(buf), 9);
	assert_string_equal(buf, "T1;D1;D2;");

	/* The collector goes away cleanly: what it read is not resent. */
	close(cfd);
	for (i = 0; i < 50 && tr_connected(tr); i++) {
		usleep(10000);
		tr_poll(tr, 0);
	}
	assert_false(tr_connected(tr));
	assert_int_equal(tr_send(tr, (const uint8_t *)"D3;", 3, 1), 0);
	/* Zero-record messages while down: the exporter resends them. */
	assert_int_equal(tr_send(tr, (const uint8_t *)"O;", 2, 0), 0);
	tr_get_stats(tr, &st);
	assert_int_equal(st.queued_records, 1);
	/* Backoff: the next attempt comes after about a second. */
	assert_true(wait_connected(tr, 3000));
	assert_int_equal(cs.calls, 2);
	cfd = accept(lfd, NULL, NULL);
	assert_true(cfd >= 0);
	read_all(cfd, buf, sizeof(buf), 6);
	assert_string_equal(buf, "T2;D3;");
	tr_get_stats(tr, &st);
	assert_int_equal(st.reconnects, 1);
	assert_int_equal(st.records_dropped, 0);
	assert_int_equal(tr_drain(tr, 1000), 0);
	tr_get_stats(tr, &st);
	assert_int_equal(st.queued_records, 0);
	tr_close(tr);
	close(cfd);
	close(lfd);
}

/* tr_foreach_queued: the queued messages, in order. */
struct seen {
	int	n;
	char	text[64];
};

static void
note_msg(uint8_t *msg, size_t len, void *arg)
{
	struct seen *sn = arg;
	size_t have = strlen(sn->text);

	sn->n++;
	if (have + len < sizeof(sn->text)) {
		memcpy(sn->text + have, msg, len);
		sn->text[have + len] = '\0';
	}
}

static void
test_tcp_queue_full_and_late_collector(void **unused)
{
	struct cb_state cs = { 0, "" };
	struct transport *tr;
	struct tr_stats st;
	struct perr err, why;
	char target[32], buf[256];
	struct seen sn = { 0, "" };
	uint16_t port = 0;
	int lfd, cfd;

	(void)unused;
	/* A port nobody listens on (yet). */
	lfd = local_socket(SOCK_DGRAM, &port);
	close(lfd);
	snprintf(target, sizeof(target), "127.0.0.1:%u", port);
	tr = open_tr(TR_TCP, target, 3, on_connect, &cs, &err);
	assert_non_null(tr);	/* not fatal: it keeps trying */
	assert_false(tr_connected(tr));
	assert_int_equal(tr_status(tr, &why), -ECONNREFUSED);
	assert_non_null(strstr(why.msg, "collector 'test-collector': connect "
	    "failed: Connection refused (is it listening?)"));
	assert_int_equal(cs.calls, 0);

	/* Three records fit the queue, the fourth is dropped, counted. */
	assert_int_equal(tr_send(tr, (const uint8_t *)"A;", 2, 2), 0);
	assert_int_equal(tr_send(tr, (const uint8_t *)"B;", 2, 1), 0);
	assert_int_equal(tr_send(tr, (const uint8_t *)"C;", 2, 1), -ENOBUFS);
	tr_foreach_queued(tr, note_msg, &sn);
	assert_int_equal(sn.n, 2);
	assert_string_equal(sn.text, "A;B;");
	tr_get_stats(tr, &st);
	assert_int_equal(st.queued_records, 3);
	assert_int_equal(st.records_dropped, 1);
	assert_int_equal(st.msgs_dropped, 1);

	/* The collector starts: the queue goes out behind the templates. */
	lfd = local_socket(SOCK_STREAM, &port);
	assert_true(wait_connected(tr, 3000));
	assert_int_equal(cs.calls, 1);
	cfd = accept(lfd, NULL, NULL);
	assert_true(cfd >= 0);
	read_all(cfd, buf, sizeof(buf), 7);
	assert_string_equal(buf, "T1;A;B;");
	assert_int_equal(tr_drain(tr, 1000), 0);
	tr_get_stats(tr, &st);
	assert_int_equal(st.queued_records, 0);
	assert_int_equal(st.records_dropped, 1);
	tr_close(tr);
	close(cfd);
	close(lfd);
}

static void
test_tcp_drain_drops_at_exit(void **unused)
{
	struct transport *tr;
	struct tr_stats st;
	struct perr err;
	char target[32];
	uint16_t port = 0;
	int fd;
	struct timespec t0, t1;

	(void)unused;
	fd = local_socket(SOCK_DGRAM, &port);
	close(fd);
	snprintf(target, sizeof(target), "127.0.0.1:%u", port);
	tr = open_tr(TR_TCP, target, 10, NULL, NULL, &err);
	assert_non_null(tr);
	assert_int_equal(tr_send(tr, (const uint8_t *)"A;", 2, 4), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(tr_drain(tr, 300), -ETIMEDOUT);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	/* Bounded: it gave up after its timeout, not later. */
	assert_true((t1.tv_sec - t0.tv_sec) * 1000 +
	    (t1.tv_nsec - t0.tv_nsec) / 1000000 < 1500);
	tr_get_stats(tr, &st);
	assert_int_equal(st.records_dropped, 4);
	assert_int_equal(st.queued_records, 0);
	tr_close(tr);
}

/* A collector that never reads: sends return at once, the queue fills
 * and drops, nothing blocks. */
static void
test_tcp_slow_collector_never_blocks(void **unused)
{
	static uint8_t msg[8192];
	struct transport *tr;
	struct tr_stats st;
	struct perr err;
	char target[32];
	uint16_t port = 0;
	int lfd, i, small = 4096, dropped = 0;
	struct timespec t0, t1;

	(void)unused;
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	close(lfd);
	lfd = local_socket(SOCK_STREAM, &port);
	setsockopt(lfd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	snprintf(target, sizeof(target), "127.0.0.1:%u", port);
	tr = open_tr(TR_TCP, target, 500, NULL, NULL, &err);
	assert_non_null(tr);
	memset(msg, 'x', sizeof(msg));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < 2000; i++)
		if (tr_send(tr, msg, sizeof(msg), 1) == -ENOBUFS)
			dropped++;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_true((t1.tv_sec - t0.tv_sec) * 1000 +
	    (t1.tv_nsec - t0.tv_nsec) / 1000000 < 2000);
	assert_true(dropped > 0);
	tr_get_stats(tr, &st);
	assert_int_equal(st.records_dropped, (uint64_t)dropped);
	assert_true(st.queued_records <= 500);
	tr_close(tr);		/* drains for at most 2 s, then drops */
	close(lfd);
}

static void
test_file(void **unused)
{
	char path[] = "/tmp/l7probe-test-tr-XXXXXX";
	struct transport *tr;
	struct tr_stats st;
	struct perr err;
	char buf[64];
	FILE *fp;
	int fd;

	(void)unused;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	tr = open_tr(TR_FILE, path, 0, NULL, NULL, &err);
	assert_non_null(tr);
	assert_int_equal(tr_send(tr, (const uint8_t *)"abc", 3, 1), 0);
	assert_int_equal(tr_send_first(tr, (const uint8_t *)"de", 2), 0);
	tr_poll(tr, 0);
	tr_get_stats(tr, &st);
	assert_int_equal(st.msgs_sent, 2);
	assert_int_equal(tr_drain(tr, 0), 0);
	tr_close(tr);
	fp = fopen(path, "rb");
	assert_non_null(fp);
	assert_int_equal(fread(buf, 1, sizeof(buf), fp), 5);
	assert_memory_equal(buf, "abcde", 5);
	fclose(fp);
	unlink(path);

	tr = open_tr(TR_FILE, "/nonexistent-dir/x.ipfix", 0, NULL, NULL, &err);
	assert_null(tr);
	assert_non_null(strstr(err.msg, "cannot create '/nonexistent-dir/"
	    "x.ipfix'"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_target),
		cmocka_unit_test(test_udp),
		cmocka_unit_test(test_udp_v6),
		cmocka_unit_test(test_tcp_templates_and_reconnect),
		cmocka_unit_test(test_tcp_queue_full_and_late_collector),
		cmocka_unit_test(test_tcp_drain_drops_at_exit),
		cmocka_unit_test(test_tcp_slow_collector_never_blocks),
		cmocka_unit_test(test_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
