/*
 * log.h - diagnostics for people, and the error carrier of setup functions.
 *
 * A leaf module: anyone may include it. Messages go to stderr (or syslog
 * once the probe runs as a daemon). Per-packet events are never logged;
 * they are counters (see stats in each module).
 */
#ifndef L7_LOG_H
#define L7_LOG_H

#include <stdarg.h>

/* Error of a setup function: a negative errno and one sentence for people. */
struct perr {
	int	code;			/* 0 = no error, else -errno */
	char	msg[512];		/* lowercase, no final period */
};

/* Fills <e> (NULL is fine) and returns <code> (a negative errno). */
int	perr_set(struct perr *e, int code, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

enum log_level {
	LOG_LVL_ERR = 0,
	LOG_LVL_WARN,
	LOG_LVL_INFO,
	LOG_LVL_DEBUG,
};

/* Messages above <lvl> are dropped. Default LOG_LVL_WARN. main.c only. */
void	log_set_level(enum log_level lvl);
int	log_enabled(enum log_level lvl);

/*
 * Destinations, main.c only. Messages go to stderr until log_open_syslog()
 * adds syslog (facility daemon, ident "l7probe", connected at once so it
 * keeps working after a chroot); log_close_stderr() then leaves syslog
 * alone (a detached daemon's stderr is /dev/null).
 */
void	log_open_syslog(void);
void	log_close_stderr(void);

void	log_msg(enum log_level lvl, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* Appends ": strerror(err)"; <err> is a positive errno. */
void	log_warn_errno(int err, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

/* Reports and counters an operator asked for (statistics at exit, on
 * SIGUSR1, every --stats-interval): shown at every level, syslog priority
 * notice. One line; stderr gets it as is, after "l7probe: ". */
void	log_notice(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2)));

#define log_err(...)	log_msg(LOG_LVL_ERR, __VA_ARGS__)
#define log_warn(...)	log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_info(...)	log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...)	do { if (log_enabled(LOG_LVL_DEBUG)) \
	log_msg(LOG_LVL_DEBUG, __VA_ARGS__); } while (0)

#endif
