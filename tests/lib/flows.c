/*
 * flows.c - a program using libl7probe, built by tests/e2e/lib_c.sh with
 * `pkg-config --cflags --libs l7probe` (the build tree's).
 *
 *   flows [--no-dpi] [--no-tunnels] [--threads N] [--set NAME[=VALUE]]...
 *	    -r FILE [-n json:-]
 *	the l7probe command line flowcmp.py drives: one JSON line a flow
 *	(l7probe's keys) on stdout, "l7probe: packets: read N, in records
 *	M, ignored K" on stderr. Each record's registry fields read by name
 *	must equal its struct fields (else exit 3). --set gives an l7probe
 *	option by its long name (l7_streamer_conf_set); a refused one:
 *	its message on stderr, exit 2.
 *   flows --run [--set NAME[=VALUE]]... -r FILE
 *	runs to the end (l7_streamer_run) as the program does, with its
 *	options by name, and prints the counters (l7_streamer_print_stats)
 *	on stderr; its exit status is the run's.
 *   flows --two FILE1 FILE2
 *	two streamers at once, one a thread: "FILE flows F pkts P bytes B"
 *	for each.
 *   flows --two-plugins FILE1 OUT1 FILE2 OUT2
 *	two streamers at once, one a thread, each with its own plugins:
 *	the first "count_pkts_gt:100" and a C metric "cb_bytes" (IP bytes
 *	times 2, its context), the second "nth_pkt_size:2",
 *	"count_pkts_gt:500" and the same C metric with a context of 5.
 *	Writes one JSON line a flow into OUTn (key, start_time and the
 *	plugin fields read by name). Checks in process: cb_bytes is the
 *	weight times the flow's bytes, the first streamer has no
 *	nth_pkt_size field. Exit 1 on a mismatch.
 *   flows --bad SOURCE [FILTER]
 *	the open must fail with a message: prints it, exit 0; exit 1 if it
 *	opened.
 *   flows --close FILE
 *	closes the streamer after its first flow: the open flows still come
 *	(drained), every packet read is in a record or ignored.
 *   flows --live IFACE PORT
 *	live on IFACE (lo) with "udp port PORT": next() with a 300 ms
 *	timeout returns L7_TIMEOUT while nothing comes; then sends three
 *	datagrams to 127.0.0.1:PORT, and a SIGALRM handler closes the
 *	streamer a second later: the open UDP flow comes (drained), then
 *	L7_END. Prints "live: timeout, flow PKTS packets, end".
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <l7probe/l7probe.h>

static int
check_fields(const struct l7_record *r)
{
	struct l7_value v;

	if (l7_record_get(r, "octetDeltaCount", &v) != 0 ||
	    v.u != r->src_to_dst_bytes ||
	    l7_record_get(r, "reverseOctetDeltaCount", &v) != 0 ||
	    v.u != r->dst_to_src_bytes ||
	    l7_record_get(r, "packetDeltaCount", &v) != 0 ||
	    v.u != r->src_to_dst_pkts ||
	    l7_record_get(r, "protocolIdentifier", &v) != 0 ||
	    v.u != r->ip_protocol ||
	    l7_record_get(r, "applicationName", &v) != 0 ||
	    strcmp(v.ptr, r->application_name) != 0 ||
	    l7_record_get(r, "noSuchField", &v) != -1) {
		fprintf(stderr, "flows: record %" PRIu64 ": fields by name "
		    "differ from the record's\n", r->id);
		return -1;
	}
	return 0;
}

static void
print_json(const struct l7_record *r)
{
	printf("{\"ip_src\":\"%s\",\"src_port\":%u,\"ip_dst\":\"%s\","
	    "\"dst_port\":%u,\"ip_protocol\":%u,\"ip_version\":%u,"
	    "\"vlan_id\":%u,\"tunnel_id\":%" PRIu32 ","
	    "\"src_to_dst_pkts\":%" PRIu64 ",\"dst_to_src_pkts\":%" PRIu64
	    ",\"src_to_dst_bytes\":%" PRIu64 ",\"dst_to_src_bytes\":%" PRIu64
	    ",\"start_time\":%" PRIu64 ",\"end_time\":%" PRIu64
	    ",\"export_reason\":%d,\"application_name\":\"%s\","
	    "\"category_name\":\"%s\"}\n", r->ip_src, r->src_port, r->ip_dst,
	    r->dst_port, r->ip_protocol, r->ip_version, r->vlan_id,
	    r->tunnel_id, r->src_to_dst_pkts, r->dst_to_src_pkts,
	    r->src_to_dst_bytes, r->dst_to_src_bytes, r->start_time,
	    r->end_time, r->export_reason, r->application_name,
	    r->category_name);
}

static int
run_cli(int argc, char **argv)
{
	struct l7_streamer_conf c;
	struct l7_streamer_stats st;
	struct l7_streamer *s;
	const struct l7_record *r;
	char err[L7_ERR_SIZE];
	uint64_t in_records = 0;
	int i, rc, bad = 0, run = 0;
	char *eq;

	l7_streamer_conf_init(&c);
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--set") == 0 && i + 1 < argc) {
			eq = strchr(argv[++i], '=');
			if (eq != NULL)
				*eq++ = '\0';
			if (l7_streamer_conf_set(&c, argv[i], eq, err,
			    sizeof(err)) != 0) {
				fprintf(stderr, "l7probe: %s\n", err);
				l7_streamer_conf_fini(&c);
				return 2;
			}
		} else if (strcmp(argv[i], "--run") == 0)
			run = 1;
		else if (strcmp(argv[i], "--no-dpi") == 0)
			c.enable_ndpi = 0;
		else if (strcmp(argv[i], "--no-tunnels") == 0)
			c.tunnels = 0;
		else if (strcmp(argv[i], "-r") == 0 && i + 1 < argc)
			c.source = argv[++i];
		else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc)
			c.threads = (uint32_t)atoi(argv[++i]);
		else if (strcmp(argv[i], "-n") == 0 && i + 1 < argc)
			i++;		/* json:- is what is printed */
		else {
			fprintf(stderr, "flows: bad argument '%s'\n", argv[i]);
			return 2;
		}
	}
	s = l7_streamer_open(&c, err, sizeof(err));
	l7_streamer_conf_fini(&c);	/* the streamer has its copies */
	if (s == NULL) {
		fprintf(stderr, "l7probe: %s\n", err);
		return 2;
	}
	if (run) {
		rc = l7_streamer_run(s);
		l7_streamer_print_stats(s, stderr);
		if (rc != 0)
			fprintf(stderr, "l7probe: %s\n", l7_streamer_error(s));
		l7_streamer_free(s);
		return rc == 0 ? 0 : 1;
	}
	while ((rc = l7_streamer_next(s, -1, &r)) == L7_FLOW) {
		print_json(r);
		in_records += r->total_pkts;
		if (check_fields(r) != 0)
			bad = 1;
	}
	l7_streamer_stats(s, &st);
	fprintf(stderr, "l7probe: packets: read %" PRIu64 ", in records %"
	    PRIu64 ", ignored %" PRIu64 "\n", st.pkts_read, in_records,
	    st.pkts_ignored);
	if (l7_streamer_error(s)[0] != '\0')
		fprintf(stderr, "l7probe: %s\n", l7_streamer_error(s));
	if (rc < 0)
		bad = 1;
	rc = bad ? 3 : l7_streamer_error(s)[0] != '\0' ? 1 : 0;
	l7_streamer_free(s);
	return rc;
}

struct job {
	const char	*file;
	uint64_t	flows, pkts, bytes;
	char		err[L7_ERR_SIZE];
	int		rc;
};

static void *
run_job(void *arg)
{
	struct job *j = arg;
	struct l7_streamer_conf c;
	struct l7_streamer *s;
	const struct l7_record *r;

	l7_streamer_conf_init(&c);
	c.source = j->file;
	if ((s = l7_streamer_open(&c, j->err, sizeof(j->err))) == NULL) {
		j->rc = -1;
		return NULL;
	}
	while (l7_streamer_next(s, -1, &r) == L7_FLOW) {
		j->flows++;
		j->pkts += r->total_pkts;
		j->bytes += r->total_bytes;
	}
	l7_streamer_free(s);
	return NULL;
}

static int
run_two(const char *f1, const char *f2)
{
	struct job j[2] = { { .file = f1 }, { .file = f2 } };
	pthread_t t[2];
	int i;

	for (i = 0; i < 2; i++)
		if (pthread_create(&t[i], NULL, run_job, &j[i]) != 0)
			return 2;
	for (i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	for (i = 0; i < 2; i++) {
		if (j[i].rc != 0) {
			fprintf(stderr, "flows: %s: %s\n", j[i].file, j[i].err);
			return 1;
		}
		printf("%s flows %" PRIu64 " pkts %" PRIu64 " bytes %" PRIu64
		    "\n", j[i].file, j[i].flows, j[i].pkts, j[i].bytes);
	}
	return 0;
}

/* A metric given as a C callback: the flow's IP bytes times its context. */
static uint64_t
cb_bytes(void *ctx, const struct l7_pkt *pkt, const struct l7_flow *fl,
    uint64_t value)
{
	(void)fl;
	return value + pkt->ip_len * *(const uint64_t *)ctx;
}

static const struct l7_field cb_field = { .name = "cb_bytes",
	.type = L7_U64, .id = 700, .desc = "IP bytes times the context" };
static const struct l7_plugin cb_plugin = {
	.api_version = L7_PLUGIN_API_VERSION, .name = "cb_bytes",
	.fields = &cb_field, .n_fields = 1, .metric = cb_bytes };

struct pjob {
	const char	*file, *out;
	const char	*specs[2];
	int		n_specs;
	uint64_t	weight;
	int		nth;		/* has nth_pkt_size */
	uint64_t	flows;
	char		err[L7_ERR_SIZE];
	int		rc;
};

static uint64_t
field_u(const struct l7_record *r, const char *name, int *ok)
{
	struct l7_value v;

	if (l7_record_get(r, name, &v) != 0) {
		*ok = 0;
		return 0;
	}
	return v.u;
}

static void *
run_pjob(void *arg)
{
	struct pjob *j = arg;
	struct l7_streamer_plugin up = { &cb_plugin, &j->weight };
	struct l7_streamer_conf c;
	struct l7_streamer *s;
	const struct l7_record *r;
	struct l7_value v;
	uint64_t cb, cnt, nth = 0;
	FILE *fp;
	int ok;

	l7_streamer_conf_init(&c);
	c.source = j->file;
	c.plugins = j->specs;
	c.n_plugins = j->n_specs;
	c.user_plugins = &up;
	c.n_user_plugins = 1;
	if ((fp = fopen(j->out, "w")) == NULL) {
		snprintf(j->err, sizeof(j->err), "cannot write %s", j->out);
		j->rc = -1;
		return NULL;
	}
	if ((s = l7_streamer_open(&c, j->err, sizeof(j->err))) == NULL) {
		fclose(fp);
		j->rc = -1;
		return NULL;
	}
	while (l7_streamer_next(s, -1, &r) == L7_FLOW) {
		j->flows++;
		ok = 1;
		cb = field_u(r, "cb_bytes", &ok);
		cnt = field_u(r, "count_pkts_gt", &ok);
		if (j->nth)
			nth = field_u(r, "nth_pkt_size", &ok);
		else if (l7_record_get(r, "nth_pkt_size", &v) != -1)
			ok = 0;		/* the other streamer's field */
		if (!ok || cb != j->weight * r->total_bytes) {
			snprintf(j->err, sizeof(j->err), "record %" PRIu64
			    ": cb_bytes %" PRIu64 " for %" PRIu64 " bytes "
			    "(weight %" PRIu64 "), fields %s", r->id, cb,
			    r->total_bytes, j->weight, ok ? "ok" : "wrong");
			j->rc = 1;
			break;
		}
		fprintf(fp, "{\"ip_src\":\"%s\",\"src_port\":%u,"
		    "\"ip_dst\":\"%s\",\"dst_port\":%u,\"ip_protocol\":%u,"
		    "\"start_time\":%" PRIu64 ",\"count_pkts_gt\":%" PRIu64,
		    r->ip_src, r->src_port, r->ip_dst, r->dst_port,
		    r->ip_protocol, r->start_time, cnt);
		if (j->nth)
			fprintf(fp, ",\"nth_pkt_size\":%" PRIu64, nth);
		fprintf(fp, "}\n");
	}
	if (l7_streamer_error(s)[0] != '\0' && j->rc == 0) {
		snprintf(j->err, sizeof(j->err), "%s", l7_streamer_error(s));
		j->rc = 1;
	}
	l7_streamer_free(s);
	fclose(fp);
	return NULL;
}

static int
run_two_plugins(char **argv)
{
	struct pjob j[2] = {
		{ .file = argv[0], .out = argv[1],
		  .specs = { "count_pkts_gt:100" }, .n_specs = 1,
		  .weight = 2 },
		{ .file = argv[2], .out = argv[3],
		  .specs = { "nth_pkt_size:2", "count_pkts_gt:500" },
		  .n_specs = 2, .weight = 5, .nth = 1 },
	};
	pthread_t t[2];
	int i, rc = 0;

	for (i = 0; i < 2; i++)
		if (pthread_create(&t[i], NULL, run_pjob, &j[i]) != 0)
			return 2;
	for (i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	for (i = 0; i < 2; i++) {
		if (j[i].rc != 0) {
			fprintf(stderr, "flows: streamer %d, %s: %s\n", i + 1,
			    j[i].file, j[i].err);
			rc = 1;
		} else
			printf("streamer %d: %" PRIu64 " flows\n", i + 1,
			    j[i].flows);
	}
	return rc;
}

static int
run_bad(const char *src, const char *filter)
{
	struct l7_streamer_conf c;
	struct l7_streamer *s;
	char err[L7_ERR_SIZE] = "";

	l7_streamer_conf_init(&c);
	c.source = src;
	c.bpf_filter = filter;
	if ((s = l7_streamer_open(&c, err, sizeof(err))) != NULL) {
		printf("opened\n");
		l7_streamer_free(s);
		return 1;
	}
	printf("error: %s\n", err);
	return err[0] != '\0' ? 0 : 1;
}

static int
run_close(const char *file)
{
	struct l7_streamer_conf c;
	struct l7_streamer_stats st;
	struct l7_streamer *s;
	const struct l7_record *r;
	char err[L7_ERR_SIZE];
	uint64_t pkts = 0, flows = 0;

	l7_streamer_conf_init(&c);
	c.source = file;
	if ((s = l7_streamer_open(&c, err, sizeof(err))) == NULL) {
		fprintf(stderr, "flows: %s\n", err);
		return 2;
	}
	while (l7_streamer_next(s, -1, &r) == L7_FLOW) {
		if (flows++ == 0)
			l7_streamer_close(s);
		pkts += r->total_pkts;
	}
	l7_streamer_stats(s, &st);
	printf("closed: flows %" PRIu64 " read %" PRIu64 " in records %"
	    PRIu64 " ignored %" PRIu64 "\n", flows, st.pkts_read, pkts,
	    st.pkts_ignored);
	l7_streamer_free(s);
	return pkts + st.pkts_ignored == st.pkts_read ? 0 : 1;
}

static struct l7_streamer *live_s;

static void
on_alarm(int sig)
{
	(void)sig;
	l7_streamer_close(live_s);	/* async-signal-safe */
}

static int
run_live(const char *iface, const char *port)
{
	struct l7_streamer_conf c;
	struct sockaddr_in to;
	const struct l7_record *r;
	char err[L7_ERR_SIZE], filter[64];
	uint64_t pkts = 0;
	int fd, i, rc;

	l7_streamer_conf_init(&c);
	c.source = iface;
	snprintf(filter, sizeof(filter), "udp port %s", port);
	c.bpf_filter = filter;
	c.enable_ndpi = 0;
	if ((live_s = l7_streamer_open(&c, err, sizeof(err))) == NULL) {
		fprintf(stderr, "flows: %s\n", err);
		return 2;
	}
	rc = l7_streamer_next(live_s, 300, &r);
	if (rc != L7_TIMEOUT) {
		fprintf(stderr, "flows: live: %d, not a timeout\n", rc);
		return 1;
	}
	printf("live: timeout");
	memset(&to, 0, sizeof(to));
	to.sin_family = AF_INET;
	to.sin_port = htons((uint16_t)atoi(port));
	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_DGRAM, 0)) == -1)
		return 2;
	for (i = 0; i < 3; i++)
		sendto(fd, "l7probe", 7, 0, (struct sockaddr *)&to, sizeof(to));
	close(fd);
	signal(SIGALRM, on_alarm);
	alarm(1);
	while ((rc = l7_streamer_next(live_s, -1, &r)) == L7_FLOW) {
		fprintf(stderr, "flows: %s:%u -> %s:%u proto %u, %" PRIu64
		    "+%" PRIu64 " packets\n", r->ip_src, r->src_port, r->ip_dst,
		    r->dst_port, r->ip_protocol, r->src_to_dst_pkts,
		    r->dst_to_src_pkts);
		pkts += r->total_pkts;
	}
	printf(", flow %" PRIu64 " packets, %s\n", pkts,
	    rc == L7_END ? "end" : "error");
	l7_streamer_free(live_s);
	return rc == L7_END && pkts == 3 ? 0 : 1;
}

int
main(int argc, char **argv)
{
	if (argc >= 4 && strcmp(argv[1], "--live") == 0)
		return run_live(argv[2], argv[3]);
	if (argc >= 6 && strcmp(argv[1], "--two-plugins") == 0)
		return run_two_plugins(argv + 2);
	if (argc >= 4 && strcmp(argv[1], "--two") == 0)
		return run_two(argv[2], argv[3]);
	if (argc >= 3 && strcmp(argv[1], "--bad") == 0)
		return run_bad(argv[2], argc > 3 ? argv[3] : NULL);
	if (argc >= 3 && strcmp(argv[1], "--close") == 0)
		return run_close(argv[2]);
	return run_cli(argc, argv);
}
