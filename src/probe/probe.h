/*
 * probe.h - the data path, assembled: capture -> decode -> flow table ->
 * dpi -> export, and the loop that drives it.
 *
 * main.c builds a probe from the configuration, runs it until the input
 * ends or a stop is asked for, prints its counters and frees it. The probe
 * owns every module it built. With conf->threads 1 everything runs in the
 * calling thread; with more, flow workers own shards of the flow table
 * (probe_int.h) and the calling thread reads, decodes and exports.
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

/*
 * What the signal handlers ask of the loop: each handler only sets its
 * flag; probe_run acts on it between reads and clears it.
 */
struct probe_signals {
	volatile sig_atomic_t	stop;		/* drain, export, exit */
	volatile sig_atomic_t	reopen;		/* reopen output files */
	volatile sig_atomic_t	stats;		/* log the counters now */
	sigset_t		mask;		/* the signals that set them:
						 * blocked while live capture
						 * works, delivered only while
						 * it waits (no lost wake-up) */
};

/* Builds every module <conf> asks for (borrowed; must outlive the probe):
 * the captures first (file and filter checked, an output that is the
 * input refused), then the collectors, so a bad input never truncates an
 * output file. Returns owned (probe_free), or NULL with <err> filled. */
struct probe *probe_new(const struct conf *conf, struct perr *err);
void	probe_free(struct probe *p);		/* NULL is fine */

/*
 * Reads packets until the file ends or <sig>->stop is set. Live, it waits
 * on every capture at once and wakes at least once a second to expire
 * flows, flush every exporter and, every conf->stats_interval_s, log the
 * counters. On stop it first drains what the kernel already captured
 * (bounded: about 2 s at most), then exports every flow still open
 * (FLOW_END_FORCED) and pushes queued output out (bounded). Returns 0; 1
 * when the input was cut or broken, or some records could not be exported
 * (the flows read are exported anyway); a negative errno when live
 * capture failed. <err> says what went wrong.
 */
int	probe_run(struct probe *p, struct probe_signals *sig,
	    struct perr *err);

/* Prints the counters to <fp>, one group a line. */
void	probe_print_stats(struct probe *p, FILE *fp);

#endif
