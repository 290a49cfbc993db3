/*
 * test_json.c - the JSON lines exporter: field names and values of one
 * IPv4 and one IPv6 record, escaping of strings from the wire, and the
 * errors of an exporter that cannot open its file.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "export/export.h"
#include "ie/ie.h"
#include "tutil.h"

static char *
write_one_reg(const struct exp_record *rec, const struct ie_reg *reg)
{
	char path[] = "/tmp/l7probe-test-json-XXXXXX";
	struct exp_conf conf = { .template = "default", .reg = reg };
	struct perr err;
	struct exporter *ex;
	char uri[64];
	static char out[16384];

	tu_temp_file(path);
	snprintf(uri, sizeof(uri), "json:%s", path);
	ex = exp_open(uri, &conf, &err);
	assert_non_null(ex);
	assert_int_equal(exp_write(ex, rec), 0);
	exp_close(ex);
	tu_read_file(path, out, sizeof(out));
	unlink(path);
	return out;
}

static char *
write_one(const struct exp_record *rec)
{
	return write_one_reg(rec, NULL);
}

static void
fill_app(struct dpi_info *app)
{
	memset(app, 0, sizeof(*app));
	snprintf(app->app_name, sizeof(app->app_name), "TLS.Instagram");
	snprintf(app->category_name, sizeof(app->category_name),
	    "SocialNetwork");
	app->master_id = 91;
	app->app_id = 211;
	snprintf(app->app_id_str, sizeof(app->app_id_str), "91.211");
	app->confidence_name = "DPI";
	app->server_name = "i.instagram.com";
	app->client_fingerprint = "";
	app->server_fingerprint = NULL;
	/* a quote, a backslash, a control byte and a high byte */
	app->user_agent = "a\"b\\c\x01\xff";
}

static void
test_ipv4_record(void **unused)
{
	struct flow *f = calloc(1, sizeof(*f));
	struct exp_record rec;
	struct dpi_info app;
	const char *line;

	(void)unused;
	f->key.ip_version = 4;
	f->key.proto = 6;
	memcpy(f->key.src, "\xc0\xa8\x00\x67", 4);	/* 192.168.0.103 */
	memcpy(f->key.dst, "\x1f\x0d\x56\x34", 4);	/* 31.13.86.52 */
	f->key.sport = 50123;
	f->key.dport = 443;
	f->key.vlan_id = 7;
	f->key.tunnel_id = 42;
	f->key.ifindex = 3;
	f->c[0].pkts = 3;
	f->c[0].bytes = 180;
	f->c[0].first_us = 1436720898354402ULL;
	f->c[0].last_us = 1436720899000999ULL;
	f->tcp_flags[0] = 0x12;
	f->c[1].pkts = 2;
	f->c[1].bytes = 3000;
	f->c[1].first_us = 1436720898300000ULL;	/* earlier: start_time */
	f->c[1].last_us = 1436720898400000ULL;
	f->tcp_flags[1] = 0x18;
	fill_app(&app);
	rec.flow = f;
	rec.reason = FLOW_END_DETECTED;
	rec.app = &app;
	line = write_one(&rec);
	assert_string_equal(line,
	    "{\"ip_src\":\"192.168.0.103\",\"src_port\":50123,"
	    "\"ip_dst\":\"31.13.86.52\",\"dst_port\":443,\"ip_protocol\":6,"
	    "\"ip_version\":4,\"vlan_id\":7,\"tunnel_id\":42,"
	    "\"ingress_interface\":3,"
	    "\"src_to_dst_pkts\":3,\"dst_to_src_pkts\":2,"
	    "\"src_to_dst_bytes\":180,\"dst_to_src_bytes\":3000,"
	    "\"start_time\":1436720898300,\"end_time\":1436720899000,"
	    "\"src_to_dst_tcp_flags\":18,\"dst_to_src_tcp_flags\":24,"
	    "\"export_reason\":2,\"flow_end_reason\":3,"
	    "\"application_name\":\"TLS.Instagram\","
	    "\"category_name\":\"SocialNetwork\",\"application_id\":\"91.211\","
	    "\"application_is_guessed\":0,\"application_confidence\":\"DPI\","
	    "\"requested_server_name\":\"i.instagram.com\","
	    "\"client_fingerprint\":\"\",\"server_fingerprint\":\"\","
	    "\"user_agent\":\"a\\\"b\\\\c\\u0001\\u00ff\"}\n");
	free(f);
}

static void
test_ipv6_icmp_record(void **unused)
{
	struct flow *f = calloc(1, sizeof(*f));
	struct exp_record rec;
	struct dpi_info app;
	const char *line;

	(void)unused;
	f->key.ip_version = 6;
	f->key.proto = 58;
	f->key.src[15] = 1;				/* ::1 */
	f->key.dst[0] = 0xfe;				/* fe80::2 */
	f->key.dst[1] = 0x80;
	f->key.dst[15] = 2;
	f->c[0].pkts = 1;
	f->c[0].bytes = 104;
	f->c[0].first_us = f->c[0].last_us = 2000;
	f->icmp_type[0] = 128;			/* echo request */
	fill_app(&app);
	rec.flow = f;
	rec.reason = FLOW_END_IDLE;
	rec.app = &app;
	line = write_one(&rec);
	assert_non_null(strstr(line, "\"ip_src\":\"::1\",\"src_port\":0,"
	    "\"ip_dst\":\"fe80::2\",\"dst_port\":0,\"ip_protocol\":58,"
	    "\"ip_version\":6,"));
	assert_non_null(strstr(line, "\"src_to_dst_pkts\":1,"
	    "\"dst_to_src_pkts\":0,\"src_to_dst_bytes\":104,"
	    "\"dst_to_src_bytes\":0,\"start_time\":2,\"end_time\":2,"));
	assert_non_null(strstr(line, "\"src_to_dst_icmp_type\":128,"
	    "\"src_to_dst_icmp_code\":0,\"dst_to_src_icmp_type\":0,"));
	assert_non_null(strstr(line, "\"export_reason\":0,"
	    "\"flow_end_reason\":1,"));
	free(f);
}

/* export_reason means what nfstream documents; flow_end_reason is IPFIX. */
static void
test_reasons(void **unused)
{
	static const struct {
		enum flow_end_reason	reason;
		const char		*want;
	} cases[] = {
		{ FLOW_END_IDLE, "\"export_reason\":0,\"flow_end_reason\":1," },
		{ FLOW_END_ACTIVE, "\"export_reason\":1,\"flow_end_reason\":2," },
		{ FLOW_END_DETECTED,
		  "\"export_reason\":2,\"flow_end_reason\":3," },
		{ FLOW_END_FORCED, "\"export_reason\":2,\"flow_end_reason\":4," },
		{ FLOW_END_RESOURCES,
		  "\"export_reason\":2,\"flow_end_reason\":5," },
		{ FLOW_END_PLUGIN, "\"export_reason\":3,\"flow_end_reason\":4," },
	};
	struct flow *f = calloc(1, sizeof(*f));
	struct exp_record rec;
	struct dpi_info app;
	size_t i;

	(void)unused;
	f->key.ip_version = 4;
	f->key.proto = 17;
	f->c[0].pkts = 1;
	f->c[0].bytes = 60;
	f->c[0].first_us = f->c[0].last_us = 1000;
	fill_app(&app);
	rec.flow = f;
	rec.app = &app;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		rec.reason = cases[i].reason;
		assert_non_null(strstr(write_one(&rec), cases[i].want));
	}
	free(f);
}

/* Registered rows (plugin fields) follow, under their names, each type
 * in its JSON form. */
static void
test_registered_fields(void **unused)
{
	static const struct tu_row rows[] = {
		{ "p_u32", IE_T_UNSIGNED32, 0, 0 },
		{ "p_s64", IE_T_SIGNED64, 8, 0 },
		{ "p_f64", IE_T_FLOAT64, 16, 0 },
		{ "p_str", IE_T_STRING, 24, 7 },
		{ "p_bytes", IE_T_OCTET_ARRAY, 32, 3 },
		{ "p_v6", IE_T_IPV6_ADDRESS, 40, 0 },
	};
	unsigned char ext[56] = { 0 };
	struct flow *f = calloc(1, sizeof(*f) + sizeof(ext));
	struct exp_record rec;
	struct dpi_info app;
	struct ie_reg *reg;
	struct ie_def d;
	struct perr err;
	uint32_t u32 = 4000000000u;
	int64_t s64 = -42;
	double f64 = 0.1;
	uint16_t blen = 3;
	size_t i;

	(void)unused;
	assert_non_null(reg = ie_reg_new());
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		tu_row_def(&d, &rows[i], (uint16_t)(500 + i));
		assert_int_equal(ie_register(reg, &d, &err), 0);
	}
	memcpy(ext, &u32, 4);
	memcpy(ext + 8, &s64, 8);
	memcpy(ext + 16, &f64, 8);
	memcpy(ext + 24, "a\"b", 4);
	memcpy(ext + 32, &blen, 2);
	memcpy(ext + 34, "\x00\xab\xff", 3);
	ext[40] = 0x20;
	ext[41] = 0x01;
	ext[55] = 1;
	memcpy(f->ext, ext, sizeof(ext));
	f->key.ip_version = 4;
	f->key.proto = 17;
	f->c[0].pkts = 1;
	fill_app(&app);
	rec.flow = f;
	rec.reason = FLOW_END_IDLE;
	rec.app = &app;
	assert_non_null(strstr(write_one_reg(&rec, reg), "\"user_agent\":"
	    "\"a\\\"b\\\\c\\u0001\\u00ff\",\"p_u32\":4000000000,"
	    "\"p_s64\":-42,\"p_f64\":0.10000000000000001,"
	    "\"p_str\":\"a\\\"b\",\"p_bytes\":\"00abff\","
	    "\"p_v6\":\"2001::1\"}\n"));
	/* The same record through the built-in registry: no plugin key. */
	assert_null(strstr(write_one(&rec), "p_u32"));
	ie_reg_free(reg);
	free(f);
}

static void
test_open_errors(void **unused)
{
	struct exp_conf conf = { .template = "default" };
	struct perr err;

	(void)unused;
	memset(&err, 0, sizeof(err));
	assert_null(exp_open("json:/nonexistent-dir/x.json", &conf, &err));
	assert_non_null(strstr(err.msg, "/nonexistent-dir/x.json"));
	assert_non_null(strstr(err.msg, "No such file"));
	assert_null(exp_open("nosuch:x", &conf, &err));
	assert_non_null(strstr(err.msg, "unknown kind"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ipv4_record),
		cmocka_unit_test(test_ipv6_icmp_record),
		cmocka_unit_test(test_reasons),
		cmocka_unit_test(test_registered_fields),
		cmocka_unit_test(test_open_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
