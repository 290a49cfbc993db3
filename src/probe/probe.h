/*
 * probe.h - the data path, assembled: capture -> decode -> flow table ->
 * dpi -> export, and the loop that drives it.
 *
 * main.c builds a probe from the configuration, runs it until the input
 * ends or a stop is asked for, prints its counters and frees it. The probe
 * owns every module it built. One thread.
 *
 * Accounting: every frame read is either in exactly one exported record or
 * in one "ignored" counter (filtered, not IP, truncated, malformed,
 * unsupported link). probe_print_stats() shows both sides.
 */
#ifndef L7_PROBE_H
#define L7_PROBE_H

#include <signal.h>
#include <stdio.h>

#include "conf/conf.h"
#include "log/log.h"

struct probe;

/* Builds every module <conf> asks for (borrowed; must outlive the probe).
 * Returns owned (probe_free), or NULL with <err> filled. */
struct probe *probe_new(const struct conf *conf, struct perr *err);
void	probe_free(struct probe *p);		/* NULL is fine */

/*
 * Reads packets until the file ends or *<stop> becomes non-zero, then
 * exports every flow still open (FLOW_END_FORCED). Returns 0; 1 when the
 * input was cut or broken, or some records could not be exported (the
 * flows read are exported anyway); a negative errno when live capture
 * failed. <err> says what went wrong.
 */
int	probe_run(struct probe *p, volatile sig_atomic_t *stop,
	    struct perr *err);

/* Stops a probe_run in progress; async-signal-safe. */
void	probe_break(struct probe *p);

/* Prints the counters to <fp>, one group a line. */
void	probe_print_stats(struct probe *p, FILE *fp);

#endif
