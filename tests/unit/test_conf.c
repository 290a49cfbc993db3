/*
 * test_conf.c - command line parsing: defaults, every option, and the
 * error sentence for each kind of bad input.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "conf/conf.h"

#define ARGC(a)	((int)(sizeof(a) / sizeof((a)[0])) - 1)

static int
parse(char **argv, int argc, struct conf *c, enum conf_action *act,
    struct perr *err)
{
	conf_defaults(c);
	memset(err, 0, sizeof(*err));
	return conf_parse(c, argc, argv, act, err);
}

static void
test_defaults(void **unused)
{
	char *argv[] = { "l7probe", "-r", "x.pcap", NULL };
	enum conf_action act;
	struct perr err;
	struct conf c;

	(void)unused;
	assert_int_equal(parse(argv, ARGC(argv), &c, &act, &err), 0);
	assert_int_equal(act, CONF_RUN);
	assert_string_equal(c.read_file, "x.pcap");
	assert_int_equal(c.n_ifaces, 0);
	assert_int_equal(c.snaplen, 65535);
	assert_int_equal(c.active_timeout_s, 120);
	assert_int_equal(c.idle_timeout_s, 120);
	assert_int_equal(c.max_flows, 128000);
	assert_int_equal(c.promisc, 1);
	assert_int_equal(c.tunnels, 1);
	assert_int_equal(c.dpi, 1);
	assert_int_equal(c.dpi_packets, 20);
	assert_int_equal(c.n_collectors, 0);
}

static void
test_all_options(void **unused)
{
	char *argv[] = { "l7probe", "-i", "eth0", "--no-promisc",
	    "-f", "tcp port 80", "-s", "1500", "--active-timeout", "60",
	    "--idle-timeout=15", "--max-flows", "1000", "--no-tunnels",
	    "--no-dpi", "--dpi-packets", "8", "-n", "json:-",
	    "--collector", "json:/tmp/x.json", "-q", "-v", "-v", NULL };
	enum conf_action act;
	struct perr err;
	struct conf c;

	(void)unused;
	assert_int_equal(parse(argv, ARGC(argv), &c, &act, &err), 0);
	assert_int_equal(c.n_ifaces, 1);
	assert_string_equal(c.ifaces[0], "eth0");
	assert_int_equal(c.promisc, 0);
	assert_string_equal(c.filter, "tcp port 80");
	assert_int_equal(c.snaplen, 1500);
	assert_int_equal(c.active_timeout_s, 60);
	assert_int_equal(c.idle_timeout_s, 15);
	assert_int_equal(c.max_flows, 1000);
	assert_int_equal(c.tunnels, 0);
	assert_int_equal(c.dpi, 0);
	assert_int_equal(c.dpi_packets, 8);
	assert_int_equal(c.n_collectors, 2);
	assert_string_equal(c.collectors[0], "json:-");
	assert_string_equal(c.collectors[1], "json:/tmp/x.json");
	assert_int_equal(c.quiet, 1);
	assert_int_equal(c.verbose, 2);
}

static void
test_help_version(void **unused)
{
	char *h[] = { "l7probe", "--help", NULL };
	char *v[] = { "l7probe", "-V", NULL };
	enum conf_action act;
	struct perr err;
	struct conf c;

	(void)unused;
	assert_int_equal(parse(h, ARGC(h), &c, &act, &err), 0);
	assert_int_equal(act, CONF_HELP);
	assert_int_equal(parse(v, ARGC(v), &c, &act, &err), 0);
	assert_int_equal(act, CONF_VERSION);
	assert_non_null(strstr(conf_usage(), "--max-flows"));
}

/* Each bad command line, and a word its error message must contain. */
static const struct bad_case {
	const char	*args[6];
	const char	*says;
} bad_cases[] = {
	{ { "-r", "a.pcap", "--max-flows", "abc" }, "not a whole number" },
	{ { "-r", "a.pcap", "--max-flows", "0" }, "out of range" },
	{ { "-r", "a.pcap", "--max-flows", "-5" }, "not a whole number" },
	{ { "-r", "a.pcap", "--idle-timeout", "99999999999999" }, "range" },
	{ { "-r", "a.pcap", "-s", "10" }, "out of range" },
	{ { "-r", "a.pcap", "--active-timeout", "" }, "not a whole number" },
	{ { "-r", "a.pcap", "--bogus" }, "unknown option '--bogus'" },
	{ { "-r", "a.pcap", "-Z" }, "unknown option '-Z'" },
	{ { "-r" }, "needs a value" },
	{ { "-r", "a.pcap", "-n", "carrier-pigeon://x" }, "unknown kind" },
	{ { "-r", "a.pcap", "-n", "json:" }, "missing a path" },
	{ { "-r", "a.pcap", "-n", "ipfix://" }, "missing HOST:PORT" },
	{ { "-r", "a.pcap", "--mtu", "100" }, "--mtu '100': out of range" },
	{ { "-r", "a.pcap", "--pen", "0" }, "--pen '0': out of range" },
	{ { "-r", "a.pcap", "-i", "eth0" }, "exclusive" },
	{ { "-q" }, "no input" },
	{ { "-r", "a.pcap", "extra" }, "unexpected argument 'extra'" },
};

static void
test_bad_input(void **unused)
{
	enum conf_action act;
	struct perr err;
	struct conf c;
	char *argv[8];
	size_t i;
	int argc;

	(void)unused;
	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		argc = 0;
		argv[argc++] = "l7probe";
		while (argc - 1 < 6 && bad_cases[i].args[argc - 1] != NULL) {
			argv[argc] = (char *)bad_cases[i].args[argc - 1];
			argc++;
		}
		argv[argc] = NULL;
		assert_true(parse(argv, argc, &c, &act, &err) < 0);
		if (strstr(err.msg, bad_cases[i].says) == NULL)
			fail_msg("case %zu: '%s' lacks '%s'", i, err.msg,
			    bad_cases[i].says);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_all_options),
		cmocka_unit_test(test_help_version),
		cmocka_unit_test(test_bad_input),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
