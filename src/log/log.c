/*
 * log.c - diagnostics to stderr and/or syslog, and struct perr.
 *
 * The destinations and the level are the only mutable state: set by
 * main.c before the loop runs, read by every module.
 */
#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

static enum log_level cur_level = LOG_LVL_WARN;
static int to_stderr = 1;
static int to_syslog;

int
perr_set(struct perr *e, int code, const char *fmt, ...)
{
	va_list ap;

	if (e == NULL)
		return code;
	e->code = code;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return code;
}

void
log_set_level(enum log_level lvl)
{
	cur_level = lvl;
}

int
log_enabled(enum log_level lvl)
{
	return lvl <= cur_level;
}

void
log_open_syslog(void)
{
	openlog("l7probe", LOG_PID | LOG_NDELAY, LOG_DAEMON);
	to_syslog = 1;
}

void
log_close_stderr(void)
{
	if (to_syslog)
		to_stderr = 0;
}

/* <prefix> NULL: a notice, no level word on stderr. */
static void
vlog(int prio, const char *prefix, int err, const char *fmt, va_list ap)
{
	char msg[1024];
	size_t n;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (err != 0) {
		n = strlen(msg);
		snprintf(msg + n, sizeof(msg) - n, ": %s", strerror(err));
	}
	if (to_syslog)
		syslog(prio, "%s", msg);
	if (to_stderr) {
		if (prefix != NULL)
			fprintf(stderr, "l7probe: %s: %s\n", prefix, msg);
		else
			fprintf(stderr, "l7probe: %s\n", msg);
	}
}

static const char *const prefix[] = { "error", "warning", "info", "debug" };
static const int prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };

void
log_msg(enum log_level lvl, const char *fmt, ...)
{
	va_list ap;

	if (!log_enabled(lvl))
		return;
	va_start(ap, fmt);
	vlog(prio[lvl], prefix[lvl], 0, fmt, ap);
	va_end(ap);
}

void
log_warn_errno(int err, const char *fmt, ...)
{
	va_list ap;

	if (!log_enabled(LOG_LVL_WARN))
		return;
	va_start(ap, fmt);
	vlog(LOG_WARNING, prefix[LOG_LVL_WARN], err, fmt, ap);
	va_end(ap);
}

void
log_notice(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_NOTICE, NULL, 0, fmt, ap);
	va_end(ap);
}
