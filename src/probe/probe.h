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
	uint32_t		cap_timeout_ms;	/* live read wait, 0 = 100 */
};

/* Builds every module <conf> asks for (borrowed; must outlive the probe).
 * Returns owned (probe_free), or NULL with <err> filled. */
struct probe *probe_new(const struct conf *conf, struct perr *err);
/* The same with <opts> (borrowed; NULL = zeroed). */
struct probe *probe_new_opts(const struct conf *conf,
	    const struct probe_opts *opts, struct perr *err);
void	probe_free(struct probe *p);		/* NULL is fine */

/*
 * The loop of probe_run() in steps, for a caller that drives it: reads at
 * most <max_frames> frames (live: waits up to the capture timeout when
 * none come), expires and flushes on the clock tick. Returns 0 (call
 * again), PROBE_EOF when the input ended or every exporter is dead, or a
 * negative errno with <err> filled. Then probe_end() once.
 */
#define PROBE_EOF	1
int	probe_step(struct probe *p, int max_frames, struct perr *err);
/* Ends every open flow (FLOW_END_FORCED) and finishes the exporters;
 * returns what probe_run() returns given <rc>, the run's status so far. */
int	probe_end(struct probe *p, int rc, struct perr *err);
/* The counters of the IPFIX statistics record (read, ignored, dropped). */
struct exp_counters;
void	probe_get_counters(struct probe *p, struct exp_counters *c);
/* Plugin <i>'s slot in flow->ext: conf->plugins first, then
 * probe_opts.user (user[j] is plugin conf->n_plugins + j). */
size_t	probe_plugin_slot(const struct probe *p, int i);

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
