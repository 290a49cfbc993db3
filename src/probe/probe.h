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

#include "plugin/plugin.h"
#include "record/record.h"

struct probe;

/*
 * A record sink: called for every ended record that carries packets,
 * after the exporters, on the thread that runs the probe. <rec> and its
 * flow (with <ext_size> bytes of ext) are borrowed for the call.
 */
typedef void (*probe_sink_cb)(const struct exp_record *rec,
	    size_t ext_size, void *arg);

/* What a program embedding the probe adds to the configuration (the
 * library, src/lib/). Zeroed: the l7probe program's behaviour. */
struct probe_opts {
	probe_sink_cb		sink;		/* NULL: none */
	void			*sink_arg;
	const struct plug_user	*user;		/* plugins given as
						 * descriptors; borrowed */
	int			n_user;
	int			no_default_output; /* no collector: no
						 * JSON on stdout either */
};

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
/* The same with <opts> (borrowed; NULL = zeroed). */
struct probe *probe_new_opts(const struct conf *conf,
	    const struct probe_opts *opts, struct perr *err);
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

/*
 * The loop of probe_run() in steps, for a program that drives it (the
 * library): one batch of frames, the expiry and the flush when due,
 * nothing logged. Live, waits at most <timeout_ms> for packets (signals
 * as they are: the caller's mask). Returns 0 (call again), PROBE_EOF when
 * the file ended or every exporter is dead, or a negative errno with
 * <err> filled. Then probe_end() once: live, it drains what the kernel
 * captured; it ends every open flow (FLOW_END_FORCED) and finishes the
 * exporters, and returns what probe_run() returns, given <rc>, the
 * steps' status.
 */
#define PROBE_EOF	2
int	probe_step(struct probe *p, int timeout_ms, struct perr *err);
int	probe_end(struct probe *p, int rc, struct perr *err);
/* The counters of the IPFIX statistics record (read, ignored, dropped). */
struct exp_counters;
void	probe_get_counters(struct probe *p, struct exp_counters *c);
/* Plugin <i>'s slot in flow->ext: conf->plugins first, then
 * probe_opts.user (user[j] is plugin conf->n_plugins + j). */
size_t	probe_plugin_slot(const struct probe *p, int i);

/* The probe's IE registry (built-in rows and its plugins' fields), for
 * reading its records by field name; owned by the probe. */
struct ie_reg;
const struct ie_reg *probe_registry(const struct probe *p);

/* Prints the counters to <fp>, one group a line. */
void	probe_print_stats(struct probe *p, FILE *fp);

#endif
