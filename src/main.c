/*
 * main.c - l7probe: a user of the library (include/l7probe/l7probe.h).
 *
 * command line -> [detach] -> [pid file] -> a streamer opened with the
 * program's configuration (capture, decode, flow table, dpi, export:
 * everything is opened there) -> [drop root] -> [tell the waiting parent]
 * -> run it to the end of the input or a stop signal -> counters -> tear
 * down. Only the service around it (detach, pid file, privileges, the
 * log's level and destination) is the program's own.
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

#include "daemon/daemon.h"
#include "l7probe/l7probe.h"
#include "log/log.h"

/* The streamer the handlers talk to, once open; before, they keep the
 * request for it. */
static struct l7_streamer *volatile running;
static volatile sig_atomic_t early_stop, early_reopen, early_stats;
static sigset_t handled_mask;

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
	struct l7_streamer *s = running;

	/* Each request only sets a flag: async-signal-safe. */
	switch (sig) {
	case SIGHUP:
		if (s != NULL)
			l7_streamer_reopen(s);
		else
			early_reopen = 1;
		break;
	case SIGUSR1:
	case SIGUSR2:
		if (s != NULL)
			l7_streamer_log_stats(s);
		else
			early_stats = 1;
		break;
	default:
		if (s != NULL)
			l7_streamer_close(s);
		else
			early_stop = 1;
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
	sigemptyset(&handled_mask);
	for (i = 0; i < sizeof(handled) / sizeof(handled[0]); i++)
		sigaddset(&handled_mask, handled[i]);
	/* The handler runs with the others blocked. A stop interrupts a
	 * blocking read (no SA_RESTART: EINTR); the other signals let a read
	 * of a pipe go on (SA_RESTART), and are acted on when it returns.
	 * The live loop's ppoll returns EINTR for every signal. */
	sa.sa_mask = handled_mask;
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
print_stats(struct l7_streamer *s, int detached)
{
	char *text = NULL, *line, *nl;
	size_t len = 0;
	FILE *fp;

	if (!detached) {
		l7_streamer_print_stats(s, stderr);
		return;
	}
	if ((fp = open_memstream(&text, &len)) == NULL)
		return;
	l7_streamer_print_stats(s, fp);
	fclose(fp);
	for (line = text; line != NULL && *line != '\0'; line = nl) {
		if ((nl = strchr(line, '\n')) != NULL)
			*nl++ = '\0';
		log_notice("%s", strncmp(line, "l7probe: ", 9) == 0 ?
		    line + 9 : line);
	}
	free(text);
}

/* A string option, NULL when unset. */
static const char *
opt_str(struct l7_streamer_conf *c, const char *name)
{
	const char *v = l7_streamer_conf_get(c, name);

	return v != NULL && v[0] != '\0' ? v : NULL;
}

static int
opt_int(struct l7_streamer_conf *c, const char *name)
{
	const char *v = l7_streamer_conf_get(c, name);

	return v != NULL ? atoi(v) : 0;
}

/* -v, -vv, --log-level. */
static enum log_level
log_level_of(struct l7_streamer_conf *c)
{
	static const struct { const char *name; enum log_level lvl; } lv[] = {
		{ "err", LOG_LVL_ERR }, { "warn", LOG_LVL_WARN },
		{ "info", LOG_LVL_INFO }, { "debug", LOG_LVL_DEBUG },
	};
	const char *name = l7_streamer_conf_get(c, "log-level");
	int verbose = opt_int(c, "verbose");
	size_t i;

	if (verbose > 0)
		return verbose >= 2 ? LOG_LVL_DEBUG : LOG_LVL_INFO;
	for (i = 0; name != NULL && i < sizeof(lv) / sizeof(lv[0]); i++)
		if (strcmp(name, lv[i].name) == 0)
			return lv[i].lvl;
	return LOG_LVL_WARN;
}

int
main(int argc, char **argv)
{
	struct daemon_ctx dm = { -1, 0 };
	struct pidfile *pidfile = NULL;
	struct priv_ids ids;
	struct perr err = { 0, "" };
	struct l7_streamer_conf conf;
	struct l7_streamer *s = NULL;
	const char *user, *chroot_dir, *pidpath;
	char info[256];
	int rc, status;

	l7_streamer_conf_init(&conf);
	switch (l7_streamer_conf_args(&conf, argc, argv, err.msg,
	    sizeof(err.msg))) {
	case L7_ARGS_RUN:
		break;
	case L7_ARGS_HELP:
		fputs(l7_usage(), stdout);
		l7_streamer_conf_fini(&conf);
		return 0;
	case L7_ARGS_VERSION:
		l7_backends(info, sizeof(info));
		printf("%s\n%s", l7_version(), info);
		l7_streamer_conf_fini(&conf);
		return 0;
	default:
		fprintf(stderr, "l7probe: %s\n", err.msg);
		l7_streamer_conf_fini(&conf);
		return 2;
	}
	log_set_level(log_level_of(&conf));
	user = opt_str(&conf, "user");
	chroot_dir = opt_str(&conf, "chroot");
	pidpath = opt_str(&conf, "pidfile");

	/* Names to ids before anything is opened or truncated. */
	if (user != NULL && priv_lookup(user, opt_str(&conf, "group"),
	    chroot_dir != NULL, &ids, &err) != 0) {
		fprintf(stderr, "l7probe: %s\n", err.msg);
		l7_streamer_conf_fini(&conf);
		return 2;
	}
	if (opt_int(&conf, "daemon")) {
		if ((rc = daemon_detach(&dm, &status, &err)) < 0) {
			fprintf(stderr, "l7probe: %s\n", err.msg);
			l7_streamer_conf_fini(&conf);
			return 2;
		}
		if (rc == 1) {		/* the parent, done waiting */
			l7_streamer_conf_fini(&conf);
			return status;
		}
	}
	if (pidpath != NULL &&
	    (pidfile = pidfile_open(pidpath, &err)) == NULL)
		goto fail;
	set_signals();
	if ((s = l7_streamer_open(&conf, err.msg, sizeof(err.msg))) == NULL)
		goto fail;
	l7_streamer_set_signals(s, &handled_mask);
	/* Requests that came while it opened. */
	running = s;
	if (early_stop)
		l7_streamer_close(s);
	if (early_reopen)
		l7_streamer_reopen(s);
	if (early_stats)
		l7_streamer_log_stats(s);
	if (user != NULL && priv_drop(&ids, chroot_dir, &err) != 0)
		goto fail;
	daemon_ready(&dm);
	if (dm.detached)
		log_notice("running (pid %ld)", (long)getpid());

	rc = l7_streamer_run(s);
	if (rc != 0)
		log_err("%s", l7_streamer_error(s));
	if (!opt_int(&conf, "quiet"))
		print_stats(s, dm.detached);
	running = NULL;
	l7_streamer_free(s);
	pidfile_close(pidfile);
	l7_streamer_conf_fini(&conf);
	return rc == 0 ? 0 : 1;
fail:
	/* Undone before the waiting parent hears of it and returns: the
	 * pid file is gone when "l7probe -D" exits. */
	running = NULL;
	l7_streamer_free(s);
	pidfile_close(pidfile);
	daemon_fail(&dm, 2, err.msg);
	l7_streamer_conf_fini(&conf);
	return 2;
}
