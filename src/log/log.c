/*
 * log.c - stderr diagnostics and struct perr.
 */
#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static enum log_level cur_level = LOG_LVL_WARN;

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

static void
vlog(enum log_level lvl, int err, const char *fmt, va_list ap)
{
	static const char *const prefix[] = {
		"error", "warning", "info", "debug"
	};

	if (!log_enabled(lvl))
		return;
	fprintf(stderr, "l7probe: %s: ", prefix[lvl]);
	vfprintf(stderr, fmt, ap);
	if (err != 0)
		fprintf(stderr, ": %s", strerror(err));
	fputc('\n', stderr);
}

void
log_msg(enum log_level lvl, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(lvl, 0, fmt, ap);
	va_end(ap);
}

void
log_warn_errno(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_LVL_WARN, err, fmt, ap);
	va_end(ap);
}
