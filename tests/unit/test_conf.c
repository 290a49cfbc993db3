/*
 * test_conf.c - command line and configuration file parsing: defaults,
 * every option, the order of the sources, and the error sentence for each
 * kind of bad input.
 */
#define _GNU_SOURCE		/* memmem */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "conf/conf.h"
#include "conf/conf_int.h"
#include "dpi/dpi.h"
#include "flow/flow.h"

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
	const char	*args[8];
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
	/* A flag given a value: say so, not "unknown option '-'". */
	{ { "-r", "a.pcap", "--no-dpi=1" },
	  "option '--no-dpi' takes no value" },
	{ { "-r", "a.pcap", "--quiet=yes" }, "option '--quiet' takes no value" },
	/* A single-valued option twice: refused, not the last one kept. */
	{ { "-r", "a.pcap", "-r", "b.pcap" }, "option --read given twice" },
	{ { "-r", "a.pcap", "--idle-timeout", "5", "--idle-timeout", "6" },
	  "--idle-timeout given twice" },
	/* Spaces in numbers, before or after: both refused, and said. */
	{ { "-r", "a.pcap", "--idle-timeout", " 5" },
	  "--idle-timeout ' 5': not a whole number (no spaces allowed)" },
	{ { "-r", "a.pcap", "--idle-timeout", "5 " },
	  "--idle-timeout '5 ': not a whole number (no spaces allowed)" },
	{ { "-r", "a.pcap", "--mtu", "+600" }, "not a whole number" },
	{ { "-r", "a.pcap", "--mtu", "0x600" }, "not a whole number" },
	/* An IPv6 address without brackets is ambiguous. */
	{ { "-r", "a.pcap", "-n", "ipfix://::1:4739" },
	  "needs brackets: use ipfix://[::1]:4739" },
	{ { "-r", "a.pcap", "-n", "ipfix+tcp://2001:db8::7:4739" },
	  "needs brackets: use ipfix+tcp://[2001:db8::7]:4739" },
	{ { "-r", "a.pcap", "-n", "nfv9://fe80::2" },
	  "needs brackets: use nfv9://[fe80::2]" },
	{ { "-r", "a.pcap", "-n", "ipfix+tcp://[::1" }, "unclosed" },
	{ { "-r", "a.pcap", "-n", "ipfix://127.0.0.1:99999" }, "bad port" },
	{ { "-r", "a.pcap", "-n", "ipfix://127.0.0.1:" }, "bad port" },
	{ { "-r", "a.pcap", "--log-level", "loud" }, "unknown level" },
	{ { "-r", "a.pcap", "-v", "--log-level", "debug" }, "give one" },
	{ { "-r", "a.pcap", "--group", "nogroup" }, "--group 'nogroup' needs "
	  "--user" },
	{ { "-r", "a.pcap", "-u", "nobody", "--chroot", "/var/empty", "-n",
	  "json:/x.json" }, "reopened by its path" },
	{ { "-r", "a.pcap", "-u", "nobody", "--chroot", "/var/empty", "-n",
	  "ipfix+tcp://collector.example" }, "give an address" },
	{ { "-i", "eth0", "-D", "-n", "json:-" }, "no standard output" },
	{ { "-i", "eth0", "-D", "-n", "json:rel.json" }, "absolute path" },
	{ { "-i", "eth0", "--chroot", "/x", "-n", "ipfix://h" }, "needs --user" },
	{ { "-r", "-", "-D", "-n", "ipfix://h" }, "standard input" },
	{ { "-r", "a.pcap", "-C" }, "needs a value" },
	{ { "-r", "a.pcap", "-C", "/nonexistent/l7.conf" },
	  "config file '/nonexistent/l7.conf': No such file" },
};

static void
test_bad_input(void **unused)
{
	enum conf_action act;
	struct perr err;
	struct conf c;
	char *argv[10];
	size_t i;
	int argc;

	(void)unused;
	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		argc = 0;
		argv[argc++] = "l7probe";
		while (argc - 1 < 8 && bad_cases[i].args[argc - 1] != NULL) {
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

/* Writes <text> to a fresh file; returns its path (static buffer). */
static const char *
write_conf(const char *text)
{
	static char path[64];
	FILE *fp;
	int fd;

	snprintf(path, sizeof(path), "/tmp/l7conf.XXXXXX");
	assert_true((fd = mkstemp(path)) != -1);
	assert_non_null(fp = fdopen(fd, "w"));
	fputs(text, fp);
	fclose(fp);
	return path;
}

static int
parse_with(const char *text, char **extra, struct conf *c, struct perr *err,
    const char **path)
{
	char *argv[16] = { "l7probe", "-C", NULL };
	enum conf_action act;
	int argc = 3, i, rc;

	*path = write_conf(text);
	argv[2] = (char *)*path;
	for (i = 0; extra != NULL && extra[i] != NULL; i++)
		argv[argc++] = extra[i];
	argv[argc] = NULL;
	rc = parse(argv, argc, c, &act, err);
	unlink(*path);
	return rc;
}

/* The file gives the same configuration as the same command line. */
static void
test_file_equals_cli(void **unused)
{
	char *argv[] = { "l7probe", "-i", "eth1", "-i", "eth2",
	    "--idle-timeout", "15", "-n", "ipfix+tcp://192.0.2.7:4739",
	    "-n", "json:/var/log/f.json", "-f", "not port 22", "--no-dpi",
	    "--no-promisc", "-T", "minimal", "--log-level", "info",
	    "--pidfile", "/run/l7.pid", "-u", "nobody", NULL };
	static const char text[] =
	    "# l7probe.conf\n"
	    "\n"
	    "interface = eth1\n"
	    "   interface=eth2   \n"
	    "idle-timeout = 15\r\n"
	    "collector = ipfix+tcp://192.0.2.7:4739\n"
	    "collector = json:/var/log/f.json\n"
	    "filter = not port 22\n"
	    "no-dpi\n"
	    "no-promisc = yes\n"
	    "no-tunnels = no\n"
	    "template = minimal\n"
	    "log-level = info\n"
	    "pidfile = /run/l7.pid\n"
	    "user = nobody";		/* no final newline */
	enum conf_action act;
	struct conf a, b;
	struct perr err;
	const char *path;
	size_t i;

	(void)unused;
	assert_int_equal(parse(argv, ARGC(argv), &a, &act, &err), 0);
	if (parse_with(text, NULL, &b, &err, &path) != 0)
		fail_msg("%s", err.msg);
	/* Field by field, strings by content. */
	assert_int_equal(a.n_ifaces, b.n_ifaces);
	for (i = 0; i < (size_t)a.n_ifaces; i++)
		assert_string_equal(a.ifaces[i], b.ifaces[i]);
	assert_int_equal(a.n_collectors, b.n_collectors);
	for (i = 0; i < (size_t)a.n_collectors; i++)
		assert_string_equal(a.collectors[i], b.collectors[i]);
	assert_string_equal(a.filter, b.filter);
	assert_string_equal(a.template, b.template);
	assert_string_equal(a.pidfile, b.pidfile);
	assert_string_equal(a.user, b.user);
	assert_int_equal(a.idle_timeout_s, b.idle_timeout_s);
	assert_int_equal(a.dpi, b.dpi);
	assert_int_equal(a.promisc, b.promisc);
	assert_int_equal(a.tunnels, b.tunnels);
	assert_int_equal(a.log_level, b.log_level);
	assert_int_equal(b.idle_timeout_s, 15);
	assert_int_equal(b.dpi, 0);
	assert_int_equal(b.tunnels, 1);
	assert_string_equal(b.config_file, path);
	conf_fini(&b);
}

/* The command line wins: single values replace, lists replace lists. */
static void
test_cli_wins(void **unused)
{
	static const char text[] =
	    "interface = eth1\n"
	    "interface = eth2\n"
	    "idle-timeout = 15\n"
	    "collector = json:/a.json\n"
	    "plugin = http\n";
	char *extra[] = { "--idle-timeout", "30", "-n", "json:/b.json", NULL };
	const char *path;
	struct perr err;
	struct conf c;

	(void)unused;
	if (parse_with(text, extra, &c, &err, &path) != 0)
		fail_msg("%s", err.msg);
	assert_int_equal(c.idle_timeout_s, 30);
	assert_int_equal(c.n_collectors, 1);
	assert_string_equal(c.collectors[0], "json:/b.json");
	assert_int_equal(c.n_ifaces, 2);	/* the file's, untouched */
	assert_int_equal(c.n_plugins, 1);
	conf_fini(&c);
}

/* Each bad configuration file: its error names the file and the line. */
static const struct {
	const char	*text;
	int		line;
	const char	*says;
} bad_files[] = {
	{ "-r x.pcap\n", 1, "expected 'name = value' or 'name', got '-r x.pcap'" },
	{ "--read = x.pcap\n", 1, "write the option without its dashes ('read')" },
	{ "read = x.pcap\nfrobnicate = 1\n", 2, "unknown option 'frobnicate'" },
	{ "read = x.pcap\n\n# c\nidle-timeout = 5x\n", 4,
	  "idle-timeout '5x': not a whole number" },
	{ "read = x.pcap\nidle-timeout =\n", 2,
	  "idle-timeout '': not a whole number" },
	{ "read = x.pcap\nidle-timeout\n", 2, "'idle-timeout' needs a value" },
	{ "read = x.pcap\nno-dpi = 1\n", 2, "no-dpi '1': takes no value" },
	{ "read = x.pcap\nread = y.pcap\n", 2,
	  "read: given twice (first on line 1)" },
	{ "read = x.pcap\nconfig = other.conf\n", 2,
	  "'config' is for the command line only" },
	{ "read = x.pcap\nhelp\n", 2, "'help' is for the command line only" },
	{ "read = x.pcap\ncollector = ipfix://::1:4739\n", 2,
	  "collector 'ipfix://::1:4739': an IPv6 address needs brackets" },
	{ "read = x.pcap\nIdle-Timeout = 5\n", 2,
	  "unknown option 'Idle-Timeout'" },
	{ "read = x.pcap\nidle timeout = 5\n", 2, "expected 'name = value'" },
	{ "read = x.pcap\n= 5\n", 2, "expected 'name = value'" },
};

static void
test_bad_files(void **unused)
{
	const char *path;
	struct perr err;
	struct conf c;
	char want[128];
	size_t i;

	(void)unused;
	for (i = 0; i < sizeof(bad_files) / sizeof(bad_files[0]); i++) {
		if (parse_with(bad_files[i].text, NULL, &c, &err, &path) >= 0)
			fail_msg("file case %zu accepted", i);
		snprintf(want, sizeof(want), "%s:%d: ", path,
		    bad_files[i].line);
		if (strncmp(err.msg, want, strlen(want)) != 0 ||
		    strstr(err.msg, bad_files[i].says) == NULL)
			fail_msg("file case %zu: '%s' lacks '%s%s'", i,
			    err.msg, want, bad_files[i].says);
		conf_fini(&c);
	}
}

/* One definition of each default: the modules' own defaults agree with
 * the option table, and the help text shows the table's. */
static void
test_defaults_agree(void **unused)
{
	struct flow_table_conf fc;
	struct dpi_conf dc;
	struct conf c;
	char want[64];
	size_t i;

	(void)unused;
	conf_defaults(&c);
	flow_table_conf_defaults(&fc);
	dpi_conf_defaults(&dc);
	assert_int_equal(c.max_flows, fc.max_flows);
	assert_int_equal(c.idle_timeout_s, fc.idle_timeout_s);
	assert_int_equal(c.active_timeout_s, fc.active_timeout_s);
	assert_int_equal(c.dpi_packets, dc.max_pkts);
	assert_int_equal(c.dpi, dc.enabled);
	for (i = 0; i < conf_n_opts; i++) {
		snprintf(want, sizeof(want), "--%s", conf_opts[i].name);
		if (strstr(conf_usage(), want) == NULL)
			fail_msg("--help lacks %s", want);
	}
}

/* The man page's entry of each numeric option gives the table's default:
 * the entry is the .TP paragraph whose tag line names the option. */
static void
test_man_defaults(void **unused)
{
	const char *srcdir = getenv("srcdir");
	char path[512], tag[96], want[64], *text, *p, *q, *end, *tp;
	size_t i, len = 0, n;
	FILE *fp;

	(void)unused;
	snprintf(path, sizeof(path), "%s/doc/l7probe.8",
	    srcdir != NULL ? srcdir : ".");
	if ((fp = fopen(path, "r")) == NULL)
		fail_msg("cannot read %s", path);
	assert_non_null(text = malloc(1 << 20));
	len = fread(text, 1, (1 << 20) - 1, fp);
	fclose(fp);
	text[len] = '\0';
	/* Unescape "\-" to "-" in place. */
	for (p = q = text; *p != '\0'; p++) {
		if (p[0] == '\\' && p[1] == '-')
			p++;
		*q++ = *p;
	}
	*q = '\0';
	for (i = 0; i < conf_n_opts; i++) {
		/* A default the help does not show (--threads: the number
		 * of cores) is described in words. */
		if (conf_opts[i].kind != CONF_K_U32 ||
		    (conf_opts[i].flags & CONF_F_NO_DEFAULT))
			continue;
		snprintf(tag, sizeof(tag), "--%s ", conf_opts[i].name);
		n = strlen(tag);
		/* The tag line: ".TP" then a line holding "--name ". */
		for (tp = strstr(text, ".TP\n"); tp != NULL;
		    tp = strstr(tp + 1, ".TP\n")) {
			end = strchr(tp + 4, '\n');
			if (end != NULL && memmem(tp + 4, (size_t)(end - tp - 4),
			    tag, n) != NULL)
				break;
		}
		if (tp == NULL)
			fail_msg("doc/l7probe.8: no entry for --%s",
			    conf_opts[i].name);
		end = strstr(tp + 4, "\n.TP\n");
		q = strstr(tp + 4, "\n.S");
		if (end == NULL || (q != NULL && q < end))
			end = q;
		snprintf(want, sizeof(want), "default %lu",
		    (unsigned long)conf_opts[i].def);
		if (end == NULL || memmem(tp, (size_t)(end - tp), want,
		    strlen(want)) == NULL)
			fail_msg("doc/l7probe.8: --%s does not say '%s'",
			    conf_opts[i].name, want);
	}
	free(text);
}

/* Options one at a time by name (the library): the command line's checks
 * and messages, values as text, one option copied, strings owned. */
static void
test_set_by_name(void **unused)
{
	char *argv[] = { "l7probe", "-r", "x.pcap", "--idle-timeout", "30",
	    "--no-dpi", "-n", "json:a", "-n", "json:b", "-vv", NULL };
	char buf[256], fbuf[] = "-";
	enum conf_action act;
	struct perr err;
	struct conf c, cli, d;
	int idx;

	(void)unused;
	assert_int_equal(parse(argv, ARGC(argv), &cli, &act, &err), 0);
	conf_defaults(&c);
	assert_true(conf_set(&c, "read", "x.pcap", &err) >= 0);
	assert_true(conf_set(&c, "idle-timeout", "60", &err) >= 0);
	/* A single value replaces the one before; a list adds. */
	assert_true(conf_set(&c, "idle-timeout", "30", &err) >= 0);
	assert_true(conf_set(&c, "no-dpi", NULL, &err) >= 0);
	assert_true(conf_set(&c, "collector", "json:a", &err) >= 0);
	idx = conf_set(&c, "collector", "json:b", &err);
	assert_int_equal(idx, conf_opt_index("collector"));
	assert_true(conf_set(&c, "verbose", NULL, &err) >= 0);
	assert_true(conf_set(&c, "verbose", NULL, &err) >= 0);
	assert_int_equal(conf_validate(&c, &err), 0);
	assert_int_equal(c.idle_timeout_s, cli.idle_timeout_s);
	assert_int_equal(c.dpi, 0);
	assert_int_equal(c.n_collectors, 2);
	assert_string_equal(c.collectors[1], "json:b");
	assert_int_equal(c.verbose, cli.verbose);

	/* The command line's messages. */
	assert_true(conf_set(&c, "idle-timeout", "x", &err) < 0);
	assert_string_equal(err.msg, "--idle-timeout 'x': not a whole number");
	assert_true(conf_set(&c, "idle-timeout", "0", &err) < 0);
	assert_non_null(strstr(err.msg, "out of range (1 to 604800)"));
	assert_true(conf_set(&c, "nosuch", "1", &err) < 0);
	assert_string_equal(err.msg, "unknown option 'nosuch'");
	assert_true(conf_set(&c, "no-dpi", "1", &err) < 0);
	assert_non_null(strstr(err.msg, "takes no value"));
	assert_true(conf_set(&c, "snaplen", NULL, &err) < 0);
	assert_non_null(strstr(err.msg, "needs a value"));
	assert_true(conf_set(&c, "collector", "bogus:x", &err) < 0);
	assert_non_null(strstr(err.msg, "collector 'bogus:x'"));
	assert_true(conf_set(&c, "config", "f.conf", &err) < 0);
	assert_true(conf_set(&c, "help", NULL, &err) < 0);
	assert_int_equal(c.idle_timeout_s, 30);	/* unchanged by refusals */

	/* As text. */
	assert_int_equal(conf_get(&c, "idle-timeout", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "30");
	assert_int_equal(conf_get(&c, "no-dpi", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "0");		/* the dpi field: off */
	assert_int_equal(conf_get(&c, "collector", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "json:a\njson:b");
	assert_int_equal(conf_get(&c, "log-level", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "warn");
	assert_int_equal(conf_get(&c, "pidfile", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "");
	assert_null(conf_get_str(&c, "pidfile"));
	assert_string_equal(conf_get_str(&c, "read"), "x.pcap");
	assert_null(conf_get_str(&c, "idle-timeout"));
	assert_int_equal(conf_get(&c, "nosuch", buf, sizeof(buf)), -ENOENT);

	/* One option copied; then every string owned. */
	conf_defaults(&d);
	conf_copy_opt(&d, &c, conf_opt_index("collector"));
	conf_copy_opt(&d, &c, conf_opt_index("idle-timeout"));
	assert_int_equal(d.n_collectors, 2);
	assert_int_equal(d.idle_timeout_s, 30);
	assert_int_equal(d.active_timeout_s, 120);
	d.read_file = fbuf;
	assert_int_equal(conf_own_strings(&d, &err), 0);
	fbuf[0] = 'x';
	assert_string_equal(d.read_file, "-");
	assert_ptr_not_equal(d.collectors[0], c.collectors[0]);
	assert_string_equal(d.collectors[0], "json:a");
	assert_string_equal(d.template, "default");
	conf_fini(&d);
	conf_fini(&c);
	conf_fini(&cli);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_all_options),
		cmocka_unit_test(test_help_version),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_file_equals_cli),
		cmocka_unit_test(test_cli_wins),
		cmocka_unit_test(test_bad_files),
		cmocka_unit_test(test_defaults_agree),
		cmocka_unit_test(test_man_defaults),
		cmocka_unit_test(test_set_by_name),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
