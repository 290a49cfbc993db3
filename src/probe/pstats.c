/*
 * pstats.c - the probe's counters: summed over the captures and the
 * workers' tables, given to the IPFIX statistics records, logged on
 * --stats-interval and SIGUSR1, shown as a progress line while a file is
 * read on a terminal, and printed at the end with the accounting check.
 */
#include "probe/probe_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Flow table statistics, of the one table or summed over the workers;
 * <empty> (may be NULL) gets the empty records by reason. */
static void
table_stats(struct probe *p, struct flow_table_stats *fs,
    struct dpi_stats *ds, uint64_t *empty)
{
	struct dpi_stats d1;
	uint64_t e[FLOW_END_MAX];
	int i;

	if (p->wk == NULL) {
		flow_table_stats(p->ft, fs);
		dpi_stats(p->dpi, ds != NULL ? ds : &d1);
		for (i = 0; empty != NULL && i < FLOW_END_MAX; i++)
			empty[i] = p->empty[i];
		return;
	}
	wk_stats(p->wk, fs, ds != NULL ? ds : &d1, e);
	for (i = 0; empty != NULL && i < FLOW_END_MAX; i++)
		empty[i] = e[i];
}

/* Sums the counters of every capture (live ones ask the kernel), with
 * what the workers walking a file read so far. */
static void
caps_stats(struct probe *p, struct cap_stats *sum)
{
	struct cap_stats cs;
	int i;

	memset(sum, 0, sizeof(*sum));
	for (i = 0; i < p->n_caps; i++) {
		cap_stats(p->caps[i].cap, &cs);
		sum->read += cs.read;
		sum->filtered += cs.filtered;
		sum->kernel_drops += cs.kernel_drops;
		sum->if_drops += cs.if_drops;
	}
	if (p->walk == 1) {
		uint64_t r, f, g;

		wk_walk_counts(p->wk, &r, &f, &g);
		sum->read += r;
		sum->filtered += f;
	}
}

/* exp_conf.counters: what the IPFIX exporter statistics record reports. */
void
pb_counters(void *arg, struct exp_counters *c)
{
	struct probe *p = arg;
	struct cap_stats cs;
	int i;

	memset(c, 0, sizeof(*c));
	caps_stats(p, &cs);
	c->pkts_read = cs.read;
	c->pkts_ignored = cs.filtered;
	for (i = 1; i < DEC_RESULT_MAX; i++)
		c->pkts_ignored += p->dec_ignored[i];
	if (p->walk == 1) {
		uint64_t r, f, g;

		wk_walk_counts(p->wk, &r, &f, &g);
		c->pkts_ignored += g;
	}
	c->pkts_dropped = cs.kernel_drops + cs.if_drops;
}

/* One line for the operator, asked for with --stats-interval or SIGUSR1:
 * stderr in the foreground, syslog when detached (-D). */
static void
say(const char *line)
{
	log_notice("%s", line);
}

/* --stats-interval and SIGUSR1: the counters, one line, with each
 * collector's delivery (sent, queued, dropped, reconnects). */
void
pb_log_stats(struct probe *p, uint64_t now)
{
	struct flow_table_stats fs;
	struct exp_delivery d;
	struct cap_stats cs;
	struct exp_stats es;
	char line[2048];
	double rate = 0;
	int i, n;

	caps_stats(p, &cs);
	table_stats(p, &fs, NULL, NULL);
	if (p->stats_us != 0 && now > p->stats_us)
		rate = (double)(cs.read - p->stats_read) * 1e6 /
		    (double)(now - p->stats_us);
	p->stats_read = cs.read;
	p->stats_us = now;
	n = snprintf(line, sizeof(line), "stats: packets %" PRIu64
	    " (%.0f/s), kernel drops %" PRIu64 ", interface drops %" PRIu64
	    ", active flows %" PRIu32 ", records %" PRIu64 " (idle %" PRIu64
	    ", active %" PRIu64 ", end %" PRIu64 ", forced %" PRIu64
	    ", resources %" PRIu64 ", plugin %" PRIu64 ")", cs.read, rate,
	    cs.kernel_drops, cs.if_drops, fs.active_flows, p->records,
	    p->sent[FLOW_END_IDLE], p->sent[FLOW_END_ACTIVE],
	    p->sent[FLOW_END_DETECTED], p->sent[FLOW_END_FORCED],
	    p->sent[FLOW_END_RESOURCES], p->sent[FLOW_END_PLUGIN]);
	for (i = 0; i < p->n_ex && n > 0 && (size_t)n < sizeof(line); i++) {
		exp_get_stats(p->ex[i], &es);
		exp_get_delivery(p->ex[i], &d);
		n += snprintf(line + n, sizeof(line) - (size_t)n,
		    "; %s: records %" PRIu64 ", failed %" PRIu64 ", sent %"
		    PRIu64 ", queued %" PRIu64 ", dropped %" PRIu64
		    ", reconnects %" PRIu64, exp_uri(p->ex[i]), es.records,
		    es.errors, d.records_sent, d.records_queued,
		    d.records_dropped, d.reconnects);
	}
	say(line);
}

/* Reading a file on a terminal: percent, packets/s, active flows. */
void
pb_progress(struct probe *p, uint64_t now, int last)
{
	struct flow_table_stats fs;
	struct cap_stats cs;
	uint64_t done, total;
	double secs;

	/* Asked once: this runs at every tick. */
	if (p->progress_tty == 0)
		p->progress_tty = isatty(STDERR_FILENO) ? 1 : 2;
	if (p->conf->quiet || p->live || p->progress_tty != 1 ||
	    cap_progress(p->caps[0].cap, &done, &total) != 0 || total == 0)
		return;
	if (p->walk == 1)
		done = wk_walk_offset(p->wk);
	if (last) {
		if (p->progress_shown)
			fputs("\r\033[K", stderr);
		return;
	}
	if (p->next_progress_us == 0) {
		p->next_progress_us = now + PROGRESS_US;
		p->progress_start_us = now;
		return;
	}
	if (now < p->next_progress_us)
		return;
	p->next_progress_us = now + PROGRESS_US;
	caps_stats(p, &cs);
	table_stats(p, &fs, NULL, NULL);
	secs = (double)(now - p->progress_start_us) / 1e6;
	fprintf(stderr, "\r\033[Kl7probe: %s: %.0f%%, %.0f packets/s, %"
	    PRIu32 " active flows", cap_name(p->caps[0].cap),
	    100.0 * (double)done / (double)total,
	    secs > 0 ? (double)cs.read / secs : 0.0, fs.active_flows);
	p->progress_shown = 1;
}

static const char *const reason_names[FLOW_END_MAX] = {
	[FLOW_END_IDLE] = "idle",
	[FLOW_END_ACTIVE] = "active",
	[FLOW_END_DETECTED] = "end",
	[FLOW_END_FORCED] = "forced",
	[FLOW_END_RESOURCES] = "resources",
	[FLOW_END_PLUGIN] = "plugin",
};

void
probe_print_stats(struct probe *p, FILE *fp)
{
	struct flow_table_stats fs;
	struct cap_stats cs;
	struct dpi_stats ds;
	uint64_t ignored = 0, n_empty = 0, empty[FLOW_END_MAX];
	int i;

	caps_stats(p, &cs);
	table_stats(p, &fs, &ds, empty);
	for (i = 1; i < DEC_RESULT_MAX; i++)
		ignored += p->dec_ignored[i];
	ignored += cs.filtered;

	fprintf(fp, "l7probe: packets: read %" PRIu64 ", in records %" PRIu64
	    ", ignored %" PRIu64 "\n", cs.read, p->pkts_exported, ignored);
	fprintf(fp, "l7probe: ignored: filtered %" PRIu64, cs.filtered);
	for (i = 1; i < DEC_RESULT_MAX; i++)
		fprintf(fp, ", %s %" PRIu64, dec_result_name(i),
		    p->dec_ignored[i]);
	fputc('\n', fp);
	/* Records sent, by reason: these add up to the total. Records that
	 * ended with no packet (cut by the active timeout, then silent) are
	 * not sent and said apart. */
	fprintf(fp, "l7probe: records: %" PRIu64 " exported (", p->records);
	for (i = 1; i < FLOW_END_MAX; i++)
		fprintf(fp, "%s%s %" PRIu64, i > 1 ? ", " : "",
		    reason_names[i] ? reason_names[i] : "?", p->sent[i]);
	fprintf(fp, "), bytes %" PRIu64 ", flows %" PRIu64 ", peak %" PRIu32
	    "\n", p->bytes_exported, fs.flows_created, fs.peak_flows);
	for (i = 1; i < FLOW_END_MAX; i++)
		n_empty += empty[i];
	if (n_empty > 0) {
		fprintf(fp, "l7probe: records: %" PRIu64 " empty, not exported "
		    "(no packet since the active-timeout record:", n_empty);
		const char *sep = " ";

		for (i = 1; i < FLOW_END_MAX; i++) {
			if (empty[i] == 0)
				continue;
			fprintf(fp, "%s%s %" PRIu64, sep, reason_names[i] ?
			    reason_names[i] : "?", empty[i]);
			sep = ", ";
		}
		fputs(")\n", fp);
	}
	fprintf(fp, "l7probe: fragments: matched %" PRIu64 ", orphaned %"
	    PRIu64 "\n", fs.frags_matched, fs.frags_orphaned);
	if (p->conf->dpi)
		fprintf(fp, "l7probe: dpi: detected %" PRIu64 ", guessed %"
		    PRIu64 ", unknown %" PRIu64 ", packets %" PRIu64 "\n",
		    ds.flows_detected, ds.flows_guessed, ds.flows_unknown,
		    ds.pkts_fed);
	for (i = 0; p->live && i < p->n_caps; i++) {
		struct cap_stats c1;

		cap_stats(p->caps[i].cap, &c1);
		fprintf(fp, "l7probe: capture %s: read %" PRIu64
		    ", kernel drops %" PRIu64 ", interface drops %" PRIu64
		    "\n", cap_name(p->caps[i].cap), c1.read, c1.kernel_drops,
		    c1.if_drops);
	}
	for (i = 0; i < p->n_ex; i++)
		exp_print_stats(p->ex[i], fp);
	/* The invariant the probe stands for: say so loudly if it broke. */
	if (p->pkts_exported != p->pkts_to_flows ||
	    p->pkts_to_flows + ignored != cs.read)
		fprintf(fp, "l7probe: error: accounting mismatch: read %"
		    PRIu64 ", to flows %" PRIu64 ", in records %" PRIu64
		    ", ignored %" PRIu64 "\n", cs.read, p->pkts_to_flows,
		    p->pkts_exported, ignored);
}
