/*
 * main.c - l7probe: wiring only.
 *
 * configuration -> [detach] -> [pid file] -> probe (capture, decode, flow
 * table, dpi, export: everything is opened here) -> [drop root] ->
 * [tell the waiting parent] -> run until the input ends or a stop signal
 * -> counters -> tear down.
 * Exit status: 0 done; 1 input cut or records lost (what was read is
 * exported); 2 bad command line or configuration file, or a source,
 * collector, pid file or user that cannot be opened or used.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf/conf.h"
#include "daemon/daemon.h"
#include "dpi/dpi.h"
#include "export/export.h"
#include "log/log.h"
#include "probe/probe.h"
#include "transport/transport.h"

/* Set by the handlers, acted on by probe_run between reads. */
static struct probe_signals sigs;

/*
 * Signals (see doc/l7probe.8, SIGNALS):
 *   SIGTERM, SIGINT, SIGQUIT  stop: read what the kernel already captured,
 *                             export every flow, flush, print counters
 *   SIGHUP                    reopen output files (log rotation)
 *   SIGUSR1, SIGUSR2          log the counters now
 * A second SIGINT or SIGTERM while stopping does not cut the shutdown
 * short: it is bounded already.
 */
static void
on_signal(int sig)
{
	switch (sig) {
	case SIGHUP:
		sigs.reopen = 1;
		break;
	case SIGUSR1:
	case SIGUSR2:
		sigs.stats = 1;
		break;
	default:
		sigs.stop = 1;
		break;
	}
}

static void
set_signals(void)
{
	static const int handled[] = {
		SIGINT, SIGTERM, SIGQUIT, SIGHUP, SIGUSR1, SIGUSR2,
	};
	struct sigaction sa;
	size_t i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigemptyset(&sigs.mask);
	for (i = 0; i < sizeof(handled) / sizeof(handled[0]); i++)
		sigaddset(&sigs.mask, handled[i]);
	/* The handler runs with the others blocked. A stop interrupts a
	 * blocking read (no SA_RESTART: EINTR); the other signals let a read
	 * of a pipe go on (SA_RESTART), and are acted on when it returns.
	 * The live loop's ppoll returns EINTR for every signal. */
	sa.sa_mask = sigs.mask;
	for (i = 0; i < sizeof(handled) / sizeof(handled[0]); i++) {
		sa.sa_flags = handled[i] == SIGHUP || handled[i] == SIGUSR1 ||
		    handled[i] == SIGUSR2 ? SA_RESTART : 0;
		sigaction(handled[i], &sa, NULL);
	}
	sa.sa_flags = 0;
	sa.sa_handler = SIG_IGN;
	/* A closed pipe shows up as a write error on the collector. */
	sigaction(SIGPIPE, &sa, NULL);
}

/* The counters, on stderr in the foreground, else one notice a line. */
static void
print_stats(struct probe *p, int detached)
{
	char *text = NULL, *line, *nl;
	size_t len = 0;
	FILE *fp;

	if (!detached) {
		probe_print_stats(p, stderr);
		return;
	}
	if ((fp = open_memstream(&text, &len)) == NULL)
		return;
	probe_print_stats(p, fp);
	fclose(fp);
	for (line = text; line != NULL && *line != '\0'; line = nl) {
		if ((nl = strchr(line, '\n')) != NULL)
			*nl++ = '\0';
		log_notice("%s", strncmp(line, "l7probe: ", 9) == 0 ?
		    line + 9 : line);
	}
	free(text);
}

int
main(int argc, char **argv)
{
	struct daemon_ctx dm = { -1, 0 };
	struct pidfile *pidfile = NULL;
	struct priv_ids ids;
	enum conf_action action;
	struct perr err = { 0, "" };
	struct conf conf;
	struct probe *p = NULL;
	int rc, status;

	conf_defaults(&conf);
	if (conf_parse(&conf, argc, argv, &action, &err) != 0) {
		fprintf(stderr, "l7probe: %s\n", err.msg);
		conf_fini(&conf);
		return 2;
	}
	if (action == CONF_HELP) {
		fputs(conf_usage(), stdout);
		conf_fini(&conf);
		return 0;
	}
	if (action == CONF_VERSION) {
		printf("l7probe %s\nclassification: %s\nIPFIX: %s\n"
		    "Kafka: %s\n", PACKAGE_VERSION, dpi_backend_version(),
		    exp_ipfix_backend() != NULL ? exp_ipfix_backend() : "none",
		    tr_kafka_backend() != NULL ? tr_kafka_backend() : "none");
		conf_fini(&conf);
		return 0;
	}
	log_set_level(conf.verbose >= 2 ? LOG_LVL_DEBUG :
	    conf.verbose == 1 ? LOG_LVL_INFO : (enum log_level)conf.log_level);

	/* Names to ids before anything is opened or truncated. */
	if (conf.user != NULL && priv_lookup(conf.user, conf.group,
	    conf.chroot_dir != NULL, &ids, &err) != 0) {
		fprintf(stderr, "l7probe: %s\n", err.msg);
		conf_fini(&conf);
		return 2;
	}
	if (conf.daemon) {
		if ((rc = daemon_detach(&dm, &status, &err)) < 0) {
			fprintf(stderr, "l7probe: %s\n", err.msg);
			conf_fini(&conf);
			return 2;
		}
		if (rc == 1) {		/* the parent, done waiting */
			conf_fini(&conf);
			return status;
		}
	}
	if (conf.pidfile != NULL &&
	    (pidfile = pidfile_open(conf.pidfile, &err)) == NULL)
		goto fail;
	set_signals();
	if ((p = probe_new(&conf, &err)) == NULL)
		goto fail;
	if (conf.user != NULL && priv_drop(&ids, conf.chroot_dir, &err) != 0)
		goto fail;
	daemon_ready(&dm);
	if (dm.detached)
		log_notice("running (pid %ld)", (long)getpid());

	rc = probe_run(p, &sigs, &err);
	if (rc != 0)
		log_err("%s", err.msg);
	if (!conf.quiet)
		print_stats(p, dm.detached);
	probe_free(p);
	pidfile_close(pidfile);
	conf_fini(&conf);
	return rc == 0 ? 0 : 1;
fail:
	/* Undone before the waiting parent hears of it and returns: the
	 * pid file is gone when "l7probe -D" exits. */
	probe_free(p);
	pidfile_close(pidfile);
	daemon_fail(&dm, 2, err.msg);
	conf_fini(&conf);
	return 2;
}
