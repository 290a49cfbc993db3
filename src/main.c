/*
 * main.c - l7probe: wiring only.
 *
 * configuration -> probe (capture, decode, flow table, dpi, export) -> run
 * until the input ends or SIGINT/SIGTERM -> counters -> tear down.
 * Exit status: 0 done; 1 input cut or records lost (what was read is
 * exported); 2 bad command line or a source/collector that cannot be
 * opened.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "conf/conf.h"
#include "dpi/dpi.h"
#include "export/export.h"
#include "log/log.h"
#include "probe/probe.h"
#include "transport/transport.h"

static volatile sig_atomic_t stop_requested;
static struct probe *running;

static void
on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
	probe_break(running);
}

static void
set_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: a blocking read returns at once on a stop. */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	/* A closed pipe shows up as a write error on the collector. */
	sigaction(SIGPIPE, &sa, NULL);
}

int
main(int argc, char **argv)
{
	enum conf_action action;
	struct perr err = { 0, "" };
	struct conf conf;
	struct probe *p;
	int rc;

	conf_defaults(&conf);
	if (conf_parse(&conf, argc, argv, &action, &err) != 0) {
		fprintf(stderr, "l7probe: %s\n", err.msg);
		return 2;
	}
	if (action == CONF_HELP) {
		fputs(conf_usage(), stdout);
		return 0;
	}
	if (action == CONF_VERSION) {
		printf("l7probe %s\nclassification: %s\nIPFIX: %s\n"
		    "Kafka: %s\n", PACKAGE_VERSION, dpi_backend_version(),
		    exp_ipfix_backend() != NULL ? exp_ipfix_backend() : "none",
		    tr_kafka_backend() != NULL ? tr_kafka_backend() : "none");
		return 0;
	}
	log_set_level(conf.verbose >= 2 ? LOG_LVL_DEBUG :
	    conf.verbose == 1 ? LOG_LVL_INFO : LOG_LVL_WARN);

	set_signals();
	if ((p = probe_new(&conf, &err)) == NULL) {
		fprintf(stderr, "l7probe: %s\n", err.msg);
		return 2;
	}
	running = p;
	rc = probe_run(p, &stop_requested, &err);
	running = NULL;
	if (rc != 0)
		fprintf(stderr, "l7probe: %s\n", err.msg);
	if (!conf.quiet)
		probe_print_stats(p, stderr);
	probe_free(p);
	return rc == 0 ? 0 : 1;
}
