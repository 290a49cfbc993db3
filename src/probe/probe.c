/*
 * probe.c - the data path and its loop.
 *
 * Frames come from the capture callback, are decoded into a struct dec_pkt
 * on the stack, and given to the flow table, which calls back for each
 * packet counted in a flow (-> the hook list: nDPI, then plugins) and for
 * each record that ends (-> hooks' end: dpi give-up, plugin terminate ->
 * every exporter -> hooks' release). Nothing on this path allocates but nDPI's
 * per-flow state.
 *
 * Time: packet timestamps drive expiry; when live, a clock tick at least
 * once a second also expires flows while no packets arrive, and pushes
 * buffered records out. Live captures are non-blocking and waited on
 * together with ppoll, whose timeout is the next tick: a quiet link (or a
 * filter that matches nothing) never holds the tick back.
 *
 * Signals: main.c's handlers set flags in struct probe_signals; the loop
 * acts on them between reads (stop, reopen outputs, log the counters).
 */
#define _GNU_SOURCE	/* ppoll */
#include "probe/probe.h"
#include "log/clock.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <inttypes.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "capture/capture.h"
#include "decode/decode.h"
#include "dpi/dpi.h"
#include "export/export.h"
#include "flow/flow.h"
#include "plugin/plugin.h"
#include "probe/probe_int.h"

#define TICK_US		1000000u	/* flush at least this often */
#define EXPIRE_US	250000u		/* live: expire this often; what it
					 * ends is flushed at once */
#define DISPATCH_MAX	512		/* frames per cap_dispatch call */
#define RING_TIMEOUT_MS	100		/* longest a packet waits in the ring */
#define DRAIN_QUIET_US	((RING_TIMEOUT_MS * 3 / 2 + 50) * 1000u)
#define DRAIN_MAX_US	2000000u	/* stop: read at most this long */
#define DROP_LOG_US	60000000u	/* drops: one warning a minute */
#define PROGRESS_US	250000u		/* file progress line period */
#define WK_TICK_US	100000u		/* file: workers learn packet time
					 * at least this often */
#define MAX_THREADS	64

struct probe_cap {
	struct capture		*cap;
	uint64_t		drops_logged;	/* kernel + if drops at the
						 * last warning */
	uint64_t		last_ts_us;	/* newest packet read */
	uint64_t		last_read_us;	/* clock when it gave frames */
	int			failed;		/* read error: no longer polled */
};

struct probe {
	const struct conf	*conf;
	char			host[256];	/* default probe id */
	struct exp_conf		xconf;
	struct probe_cap	caps[CONF_MAX_IFACES];
	int			n_caps;
	int			cur_cap;	/* being dispatched */
	int			n_caps_failed;
	int			live;
	struct dec_conf		dconf;
	struct flow_table	*ft;		/* one thread: the table */
	struct wk_set		*wk;		/* or the workers' shards */
	int			n_threads;
	uint64_t		now_us;		/* largest packet time read */
	uint64_t		next_wk_tick;	/* packet time of the next */
	struct dpi		*dpi;
	struct plug_hook	dpi_hook;	/* nDPI, the first hook */
	struct plug_set		*ps;		/* hooks and plugins */
	struct exporter		*ex[CONF_MAX_COLLECTORS];
	int			ex_dead[CONF_MAX_COLLECTORS];
	int			n_ex;
	int			n_dead;		/* exporters that failed */
	int			n_pipe;		/* of those: reader went away */

	uint64_t		dec_ignored[DEC_RESULT_MAX];
	uint64_t		pkts_to_flows;	/* decoded, given to the table */
	uint64_t		pkts_exported;	/* sum over ended records */
	uint64_t		bytes_exported;
	uint64_t		records;	/* ended records with packets */
	uint64_t		sent[FLOW_END_MAX];  /* records, by reason */
	uint64_t		empty[FLOW_END_MAX]; /* empty, not sent */
	uint64_t		write_failures;	/* records an exporter lost */
	uint64_t		flush_failures;	/* buffered output lost */
	int			finish_failures; /* exporters that dropped */
	int			broken;		/* the input file was cut */

	uint64_t		last_drop_log_us;
	uint64_t		next_stats_us;	/* --stats-interval */
	uint64_t		stats_read;	/* packets at the last line */
	uint64_t		stats_us;
	uint64_t		next_progress_us;
	uint64_t		progress_start_us;
	int			progress_shown;	/* a line to end on stderr */

	struct probe_opts	opts;		/* the embedding program's */
	uint64_t		step_tick_us;	/* probe_step(): next flush */
	uint64_t		step_expire_us;	/* and next expiry */
};

void
probe_free(struct probe *p)
{
	int i;

	if (p == NULL)
		return;
	/* Workers first: their last records go to the exporters. */
	wk_free(p->wk);
	for (i = 0; i < p->n_ex; i++)
		exp_close(p->ex[i]);
	flow_table_free(p->ft);
	/* After the exporters: they read the plugin fields' rows. */
	plug_set_free(p->ps);
	dpi_free(p->dpi);
	for (i = 0; i < p->n_caps; i++)
		cap_close(p->caps[i].cap);
	free(p);
}

/* nDPI as a hook: its state is in the slot the hook list gave it. */
static int
dpi_hook_packet(void *arg, struct flow *f, void *slot, enum flow_dir dir,
    const struct dec_pkt *pkt)
{
	(void)slot;
	dpi_packet(arg, f, dir, pkt);
	return FLOW_PKT_CONTINUE;
}

static void
dpi_hook_end(void *arg, struct flow *f, void *slot,
    enum flow_end_reason reason)
{
	(void)slot;
	(void)reason;
	dpi_flow_end(arg, f);
}

static void
dpi_hook_release(void *arg, struct flow *f, void *slot)
{
	(void)slot;
	dpi_flow_release(arg, f);
}

/* Application names for the plugins' flow view. */
static void
dpi_app_names(const struct flow *f, void *arg, char *name, size_t name_size,
    char *cat, size_t cat_size)
{
	struct dpi_info app;

	dpi_flow_info(arg, f, &app);
	snprintf(name, name_size, "%s", app.app_name);
	snprintf(cat, cat_size, "%s", app.category_name);
}

static int
on_flow_pkt(struct flow *f, enum flow_dir dir, const struct dec_pkt *pkt,
    void *arg)
{
	struct probe *p = arg;

	return plug_packet(p->ps, f, dir, pkt);
}

/* One ended record with packets, to every exporter: on the thread that
 * runs the probe (the capture thread), from the table's end callback or
 * from the workers' record batches. */
static void
emit_record(const struct exp_record *rec, void *arg)
{
	struct probe *p = arg;
	const struct flow *f = rec->flow;
	int i, rc;

	p->records++;
	if ((unsigned)rec->reason < FLOW_END_MAX)
		p->sent[rec->reason]++;
	p->pkts_exported += f->c[FLOW_DIR_FWD].pkts + f->c[FLOW_DIR_REV].pkts;
	p->bytes_exported += f->c[FLOW_DIR_FWD].bytes +
	    f->c[FLOW_DIR_REV].bytes;
	for (i = 0; i < p->n_ex; i++) {
		if (p->ex_dead[i]) {
			p->write_failures++;
			continue;
		}
		/* Only fatal errors come back (a closed pipe): one record's
		 * failure is counted by the exporter. */
		if ((rc = exp_write(p->ex[i], rec)) != 0) {
			p->write_failures++;
			p->ex_dead[i] = 1;
			p->n_dead++;
			p->n_pipe += rc == -EPIPE;
		}
	}
	if (p->opts.sink != NULL)
		p->opts.sink(rec, plug_set_ext_size(p->ps), p->opts.sink_arg);
}

static void
on_flow_end(struct flow *f, enum flow_end_reason reason, void *arg)
{
	struct probe *p = arg;
	struct exp_record rec;
	struct dpi_info app;
	uint64_t pkts;

	pkts = f->c[FLOW_DIR_FWD].pkts + f->c[FLOW_DIR_REV].pkts;
	plug_flow_end(p->ps, f, reason);
	/* A record with no packets (a flow cut by the active timeout, then
	 * silent) carries nothing worth a line; it is counted as empty. */
	if (pkts == 0 && (unsigned)reason < FLOW_END_MAX)
		p->empty[reason]++;
	if (pkts > 0) {
		dpi_flow_info(p->dpi, f, &app);
		rec.flow = f;
		rec.reason = reason;
		rec.app = &app;
		emit_record(&rec, p);
	}
	if (reason != FLOW_END_ACTIVE)
		plug_flow_release(p->ps, f);
}

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

/* Sums the counters of every capture (live ones ask the kernel). */
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
}

/* exp_conf.counters: what the IPFIX exporter statistics record reports. */
static void
probe_counters(void *arg, struct exp_counters *c)
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
	c->pkts_dropped = cs.kernel_drops + cs.if_drops;
}

/* The path of a collector that writes a file, NULL for the others and
 * for standard output. */
static const char *
collector_path(const char *uri)
{
	static const char *const file_schemes[] = { "json:", "ipfix-file:" };
	size_t i, n;

	for (i = 0; i < sizeof(file_schemes) / sizeof(file_schemes[0]); i++) {
		n = strlen(file_schemes[i]);
		if (strncmp(uri, file_schemes[i], n) == 0)
			return strcmp(uri + n, "-") == 0 ? NULL : uri + n;
	}
	return NULL;
}

/* Refuses a collector that would write over the capture file read. */
static int
check_outputs(const struct conf *conf, struct perr *err)
{
	struct stat in, out;
	const char *path;
	int i;

	if (conf->read_file == NULL || strcmp(conf->read_file, "-") == 0 ||
	    stat(conf->read_file, &in) != 0)
		return 0;
	for (i = 0; i < conf->n_collectors; i++) {
		if ((path = collector_path(conf->collectors[i])) == NULL ||
		    stat(path, &out) != 0)
			continue;
		if (in.st_dev == out.st_dev && in.st_ino == out.st_ino)
			return perr_set(err, -EINVAL, "collector '%s' would "
			    "overwrite the capture file '%s' being read "
			    "(choose another output path)",
			    conf->collectors[i], conf->read_file);
	}
	return 0;
}

static int
open_captures(struct probe *p, const struct conf *conf, struct perr *err)
{
	struct cap_conf cconf;
	struct capture *cap;
	int i, n = conf->read_file != NULL ? 1 : conf->n_ifaces, lt;

	memset(&cconf, 0, sizeof(cconf));
	cconf.file = conf->read_file;
	cconf.filter = conf->filter;
	cconf.snaplen = conf->snaplen;
	cconf.promisc = conf->promisc;
	cconf.buffer_mb = conf->buffer_size_mb;
	cconf.timeout_ms = RING_TIMEOUT_MS;
	/* The same frames twice would count them twice. */
	for (i = 0; conf->read_file == NULL && i < n; i++) {
		int j;

		if (n > 1 && strcmp(conf->ifaces[i], "any") == 0)
			return perr_set(err, -EINVAL, "interface 'any' already "
			    "captures every interface: give it alone");
		for (j = 0; j < i; j++)
			if (strcmp(conf->ifaces[i], conf->ifaces[j]) == 0)
				return perr_set(err, -EINVAL, "interface '%s' "
				    "given twice", conf->ifaces[i]);
	}
	for (i = 0; i < n; i++) {
		if (conf->read_file == NULL)
			cconf.iface = conf->ifaces[i];
		if ((cap = cap_open(&cconf, err)) == NULL)
			return err->code;
		p->caps[p->n_caps++].cap = cap;
		lt = cap_linktype(cap);
		if (!dec_linktype_supported(lt))
			return perr_set(err, -ENOTSUP, "%s '%s': link type %s "
			    "(%d) is not supported", cap_is_live(cap) ?
			    "interface" : "capture file", cap_name(cap),
			    cap_linktype_name(cap), lt);
	}
	p->live = conf->read_file == NULL;
	return 0;
}

struct probe *
probe_new(const struct conf *conf, struct perr *err)
{
	return probe_new_opts(conf, NULL, err);
}

struct probe *
probe_new_opts(const struct conf *conf, const struct probe_opts *opts,
    struct perr *err)
{
	struct flow_table_conf fconf;
	struct dpi_conf dpconf;
	struct plug_set_conf pconf;
	struct exp_conf *xc;
	struct probe *p;
	sigset_t all, saved;
	long cores;
	int i, n_down;

	if ((p = calloc(1, sizeof(*p))) == NULL) {
		perr_set(err, -ENOMEM, "out of memory");
		return NULL;
	}
	p->conf = conf;
	if (opts != NULL)
		p->opts = *opts;
	p->dconf.tunnels = conf->tunnels;
	p->n_threads = (int)conf->threads;
	if (p->n_threads == 0) {
		cores = sysconf(_SC_NPROCESSORS_ONLN);
		p->n_threads = cores < 1 ? 1 : cores > MAX_THREADS ?
		    MAX_THREADS : (int)cores;
	}

	/* Inputs first: a missing file, a bad filter or an output that is
	 * the input must fail before any collector creates or truncates a
	 * file. */
	if (check_outputs(conf, err) != 0 ||
	    open_captures(p, conf, err) != 0)
		goto fail;

	xc = &p->xconf;
	xc->template = conf->template;
	xc->observation_domain = conf->observation_domain;
	xc->pen = conf->pen;
	xc->mtu = conf->mtu;
	xc->template_refresh_s = conf->template_refresh_s;
	xc->template_refresh_pkts = conf->template_refresh_pkts;
	xc->export_queue = conf->export_queue;
	xc->biflow = conf->biflow;
	xc->start_us = clock_wall_us();
	xc->counters = probe_counters;
	xc->counters_arg = p;
	xc->kafka_flush_timeout_ms = conf->kafka_flush_timeout_ms;
	/* Which probe saw a flow, for consumers of many probes' records. */
	xc->probe_id = conf->probe_id;
	if (xc->probe_id == NULL && gethostname(p->host, sizeof(p->host) -
	    1) == 0 && p->host[0] != '\0')
		xc->probe_id = p->host;

	/* Classification and plugins before the collectors: the plugin
	 * fields must be in the registry when templates are derived, and a
	 * bad plugin must stop the probe before any output is created. */
	dpi_conf_defaults(&dpconf);
	dpconf.enabled = conf->dpi;
	dpconf.max_pkts = conf->dpi_packets;
	if ((p->dpi = dpi_new(&dpconf, err)) == NULL)
		goto fail;
	p->dpi_hook.name = "dpi";
	p->dpi_hook.ext_size = dpi_ext_size(p->dpi);
	p->dpi_hook.arg = p->dpi;
	/* Several workers: each calls its own dpi module; the hook keeps
	 * only its slot in the ext area. */
	if (conf->dpi && p->n_threads == 1) {
		p->dpi_hook.on_packet = dpi_hook_packet;
		p->dpi_hook.on_end = dpi_hook_end;
		p->dpi_hook.on_release = dpi_hook_release;
	}
	memset(&pconf, 0, sizeof(pconf));
	pconf.specs = conf->plugins;
	pconf.n_specs = conf->n_plugins;
	pconf.user = p->opts.user;
	pconf.n_user = p->opts.n_user;
	pconf.hooks = &p->dpi_hook;
	pconf.n_hooks = 1;
	pconf.app = dpi_app_names;
	pconf.app_arg = p->dpi;
	if ((p->ps = plug_set_new(&pconf, err)) == NULL)
		goto fail;
	xc->reg = plug_set_reg(p->ps);
	dpi_set_ext_offset(p->dpi, p->dpi_hook.off);

	/* Collectors next. */
	if (conf->n_collectors == 0 && !p->opts.no_default_output) {
		if ((p->ex[0] = exp_open("json:-", xc, err)) == NULL)
			goto fail;
		p->n_ex = 1;
	}
	/* Two collectors on standard output would interleave. */
	for (i = 0, n_down = -1; i < conf->n_collectors; i++) {
		if (!exp_uri_is_stdout(conf->collectors[i]))
			continue;
		if (n_down >= 0) {
			perr_set(err, -EINVAL, "collectors '%s' and '%s' both "
			    "write to standard output: give one of them a file",
			    conf->collectors[n_down], conf->collectors[i]);
			goto fail;
		}
		n_down = i;
	}
	/* Threads a transport's library starts (librdkafka) inherit the
	 * mask: only the capture thread takes signals. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &saved);
	for (i = 0; i < conf->n_collectors; i++) {
		if ((p->ex[i] = exp_open(conf->collectors[i], xc, err)) ==
		    NULL) {
			pthread_sigmask(SIG_SETMASK, &saved, NULL);
			goto fail;
		}
		p->n_ex = i + 1;
	}
	pthread_sigmask(SIG_SETMASK, &saved, NULL);
	/* A TCP collector that refuses the connection at start: fatal when
	 * no collector works, else a warning (it keeps being tried). */
	for (i = 0, n_down = 0; i < p->n_ex; i++) {
		struct perr why = { 0, "" };

		if (exp_status(p->ex[i], &why) == 0)
			continue;
		if (n_down++ == 0)
			*err = why;
		if (p->n_ex > 1)
			log_warn("%s", why.msg);
	}
	if (n_down > 0 && n_down == p->n_ex && p->n_ex > 0)
		goto fail;

	flow_table_conf_defaults(&fconf);
	fconf.max_flows = conf->max_flows;
	fconf.idle_timeout_s = conf->idle_timeout_s;
	fconf.active_timeout_s = conf->active_timeout_s;
	fconf.ext_size = plug_set_ext_size(p->ps);
	if (p->n_threads > 1) {
		struct wk_conf wc;

		/* Each shard gets its part of the capacity. */
		fconf.max_flows = (conf->max_flows + (uint32_t)p->n_threads -
		    1) / (uint32_t)p->n_threads;
		memset(&wc, 0, sizeof(wc));
		wc.n = p->n_threads;
		wc.fconf = &fconf;
		wc.dpconf = &dpconf;
		wc.dpi_off = p->dpi_hook.off;
		wc.ps = p->ps;
		wc.pkt_hooks = conf->dpi || conf->n_plugins > 0;
		wc.snaplen = conf->snaplen;
		wc.emit = emit_record;
		wc.emit_arg = p;
		if ((p->wk = wk_new(&wc, err)) == NULL)
			goto fail;
		return p;
	}
	if ((p->ft = flow_table_new(&fconf, on_flow_end,
	    conf->dpi || plug_set_count(p->ps) > 0 ? on_flow_pkt : NULL, p,
	    err)) == NULL)
		goto fail;
	return p;
fail:
	probe_free(p);
	return NULL;
}

static void
on_frame(const struct cap_pkt *cp, void *arg)
{
	struct probe *p = arg;
	struct dec_pkt pkt;
	enum dec_result r;

	if (cp->ts_us > p->caps[p->cur_cap].last_ts_us)
		p->caps[p->cur_cap].last_ts_us = cp->ts_us;
	if (cp->ts_us > p->now_us)
		p->now_us = cp->ts_us;
	r = dec_frame(&p->dconf, cp->linktype, cp->data, cp->caplen,
	    cp->wirelen, &pkt);
	if (r != DEC_OK) {
		p->dec_ignored[r]++;
		return;
	}
	pkt.ts_us = cp->ts_us;
	pkt.ifindex = p->conf->merge_interfaces ? 0 : cp->ifindex;
	p->pkts_to_flows++;
	if (p->wk != NULL)
		wk_send(p->wk, &pkt, cp->data, cp->caplen, p->now_us);
	else
		flow_table_add(p->ft, &pkt);
}

/* Pushes buffered records out; an exporter that fails is dead, and what
 * it had buffered is lost, which the exit status tells. */
static void
flush_exporters(struct probe *p)
{
	int i, rc;

	for (i = 0; i < p->n_ex; i++) {
		if (p->ex_dead[i] || (rc = exp_flush(p->ex[i])) == 0)
			continue;
		p->ex_dead[i] = 1;
		p->n_dead++;
		p->n_pipe += rc == -EPIPE;
		p->flush_failures++;
	}
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
static void
log_stats(struct probe *p, uint64_t now)
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

/* Kernel and interface drops, per interface: a warning when they grew,
 * at most once a minute. */
static void
check_drops(struct probe *p, uint64_t now)
{
	struct cap_stats cs;
	uint64_t drops;
	int i;

	if (p->last_drop_log_us != 0 && now - p->last_drop_log_us <
	    DROP_LOG_US)
		return;
	for (i = 0; i < p->n_caps; i++) {
		cap_stats(p->caps[i].cap, &cs);
		drops = cs.kernel_drops + cs.if_drops;
		if (drops <= p->caps[i].drops_logged)
			continue;
		log_warn("interface '%s': %" PRIu64 " packets dropped since "
		    "the last report (kernel %" PRIu64 ", interface %" PRIu64
		    " in all; a larger --buffer-size may help)",
		    cap_name(p->caps[i].cap), drops - p->caps[i].drops_logged,
		    cs.kernel_drops, cs.if_drops);
		p->caps[i].drops_logged = drops;
		p->last_drop_log_us = now;
	}
}

/* Reading a file on a terminal: percent, packets/s, active flows. */
static void
progress(struct probe *p, uint64_t now, int last)
{
	struct flow_table_stats fs;
	struct cap_stats cs;
	uint64_t done, total;
	double secs;

	if (p->conf->quiet || p->live || !isatty(STDERR_FILENO) ||
	    cap_progress(p->caps[0].cap, &done, &total) != 0 || total == 0)
		return;
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

/* Live: ends what is due at <now> (the clock); returns records ended (with
 * workers: the records they sent so far). */
static size_t
expire(struct probe *p, uint64_t now)
{
	if (p->wk == NULL)
		return flow_table_expire(p->ft, now);
	wk_push(p->wk, now);
	return wk_drain(p->wk);
}

/* The clock tick: live, the clock expires flows while no packet comes;
 * in both modes exporters get their timed work. */
static void
tick(struct probe *p, uint64_t now)
{
	if (p->live) {
		expire(p, now);
		check_drops(p, now);
	}
	flush_exporters(p);
	if (p->conf->stats_interval_s > 0 && now >= p->next_stats_us) {
		if (p->next_stats_us != 0)
			log_stats(p, now);
		p->next_stats_us = now + p->conf->stats_interval_s * 1000000ull;
	}
}

/* Acts on the flags the signal handlers set (but stop). */
static void
on_signals(struct probe *p, struct probe_signals *sig)
{
	int i;

	if (sig->reopen) {
		sig->reopen = 0;
		/* Log rotation: output files are reopened by name.
		 * TODO(#8): reopen the log here too (log_reopen) once the
		 * log can be a file; stderr and syslog need nothing. */
		for (i = 0; i < p->n_ex; i++)
			if (!p->ex_dead[i] && exp_reopen(p->ex[i]) != 0)
				log_warn("collector '%s': cannot reopen its "
				    "file, keeps writing the old one",
				    exp_uri(p->ex[i]));
	}
	if (sig->stats) {
		sig->stats = 0;
		log_stats(p, clock_wall_us());
	}
}

/*
 * Live: waits on every capture (at most until <deadline_us>), then reads
 * what each holds without blocking. Returns frames read, or a negative
 * errno with <err> filled.
 */
static long
live_read(struct probe *p, uint64_t deadline_us, const sigset_t *unblocked,
    struct perr *err)
{
	struct pollfd pfd[CONF_MAX_IFACES];
	struct timespec ts;
	uint64_t now = clock_wall_us(), wait_us;
	size_t n, total = 0;
	int i, r;

	wait_us = deadline_us > now ? deadline_us - now : 0;
	ts.tv_sec = (time_t)(wait_us / 1000000u);
	ts.tv_nsec = (long)(wait_us % 1000000u) * 1000;
	for (i = 0; i < p->n_caps; i++) {
		/* poll skips a negative descriptor. */
		pfd[i].fd = p->caps[i].failed ? -1 : cap_fd(p->caps[i].cap);
		pfd[i].events = POLLIN;
		pfd[i].revents = 0;
	}
	/* Signals are delivered only inside ppoll: a stop that comes while
	 * packets are processed wakes the next wait at once. */
	if (ppoll(pfd, (nfds_t)p->n_caps, &ts, unblocked) == -1) {
		int e = errno;

		if (e == EINTR)
			return 0;
		return perr_set(err, -e, "poll: %s", strerror(e));
	}
	for (i = 0; i < p->n_caps; i++) {
		if (pfd[i].revents == 0)
			continue;
		/* A full ring may hold many batches: read them all, but
		 * give the other interfaces their turn. */
		p->cur_cap = i;
		do {
			r = cap_dispatch(p->caps[i].cap, DISPATCH_MAX,
			    on_frame, p, &n, err);
			if (r < 0) {
				/* An interface that went away: the others go
				 * on; when none is left, the run ends. */
				p->caps[i].failed = 1;
				if (++p->n_caps_failed == p->n_caps)
					return r;
				log_err("%s (the other interfaces go on)",
				    err->msg);
				break;
			}
			total += n;
			if (n > 0)
				p->caps[i].last_read_us = clock_wall_us();
		} while (n == DISPATCH_MAX && total < 64 * DISPATCH_MAX);
	}
	return (long)total;
}

/*
 * Stop: what the kernel captured before the stop is still in the rings,
 * some of it in blocks not yet handed over (they are after at most
 * RING_TIMEOUT_MS). A ring is drained once it gave a packet stamped after
 * the stop (it is read in order, so everything before came too) or stayed
 * empty that long; DRAIN_MAX_US at most.
 */
static int
drain(struct probe *p, const sigset_t *unblocked, struct perr *err)
{
	uint64_t start = clock_wall_us(), now, since;
	long n;
	int i;

	for (;;) {
		now = clock_wall_us();
		for (i = 0; i < p->n_caps; i++) {
			struct probe_cap *pc = &p->caps[i];

			since = pc->last_read_us > start ? pc->last_read_us :
			    start;
			if (!pc->failed && pc->last_ts_us < start &&
			    now - since < DRAIN_QUIET_US)
				break;		/* may hold more */
		}
		if (i == p->n_caps || now - start >= DRAIN_MAX_US)
			return 0;
		if ((n = live_read(p, now + 50000, unblocked, err)) < 0)
			return (int)n;
	}
}

static int
run_live(struct probe *p, struct probe_signals *sig, struct perr *err)
{
	sigset_t saved, unblocked;
	uint64_t now, next_tick = 0, next_expire = 0;
	long n;
	int rc = 0;

	/* The signals stay blocked but while the loop waits in ppoll. */
	sigprocmask(SIG_BLOCK, &sig->mask, &saved);
	unblocked = saved;
	for (int s = 1; s < NSIG; s++)
		if (sigismember(&sig->mask, s))
			sigdelset(&unblocked, s);
	while (!sig->stop && p->n_dead < p->n_ex) {
		/* Expiry runs more often than the tick: the table ends an
		 * idle flow within a second of its deadline, and a record
		 * must not wait for a whole tick more to leave. */
		if ((now = clock_wall_us()) >= next_expire) {
			if (expire(p, now) > 0)
				flush_exporters(p);
			next_expire = now + EXPIRE_US;
		}
		if (now >= next_tick) {
			tick(p, now);
			next_tick = now + TICK_US;
		}
		on_signals(p, sig);
		if (sig->stop)
			break;
		if ((n = live_read(p, next_expire < next_tick ? next_expire :
		    next_tick, &unblocked, err)) < 0) {
			rc = (int)n;
			break;
		}
		/* Live packets do not wait for a full batch. */
		if (p->wk != NULL && n > 0) {
			wk_push(p->wk, 0);
			(void)wk_drain(p->wk);
		}
	}
	if (rc == 0 && p->n_dead < p->n_ex)
		rc = drain(p, &unblocked, err);
	sigprocmask(SIG_SETMASK, &saved, NULL);
	if (rc == 0 && p->n_caps_failed > 0) {
		perr_set(err, -EIO, "%d of %d interfaces stopped capturing "
		    "during the run (see above)", p->n_caps_failed, p->n_caps);
		rc = 1;
	}
	return rc;
}

static int
run_file(struct probe *p, struct probe_signals *sig, struct perr *err)
{
	uint64_t now, next_tick = 0, done, total;
	int r, batch = DISPATCH_MAX;

	/* A pipe may trickle: a read of a batch would wait for the whole
	 * batch, holding the tick (and the exporters' flush) back. */
	if (cap_progress(p->caps[0].cap, &done, &total) != 0)
		batch = 1;
	while (!sig->stop && p->n_dead < p->n_ex) {
		r = cap_dispatch(p->caps[0].cap, batch, on_frame, p, NULL,
		    err);
		if (r == CAP_EOF)
			break;
		/* A stop signal interrupts a read of a pipe (EINTR): that is
		 * the stop asked for, not a cut file. */
		if (r != 0 && sig->stop)
			break;
		if (r == CAP_BROKEN) {
			p->broken = 1;
			return 1;
		}
		if (r < 0)
			return r;
		if (p->wk != NULL) {
			/* A worker given no packet still learns the time. */
			if (p->now_us >= p->next_wk_tick) {
				wk_push(p->wk, p->now_us);
				p->next_wk_tick = p->now_us + WK_TICK_US;
			}
			(void)wk_drain(p->wk);
		}
		on_signals(p, sig);
		if ((now = clock_wall_us()) >= next_tick) {
			tick(p, now);
			next_tick = now + TICK_US;
		}
		progress(p, now, 0);
	}
	return 0;
}

static int	finish(struct probe *p, int rc, struct perr *err);

int
probe_run(struct probe *p, struct probe_signals *sig, struct perr *err)
{
	int rc;

	p->stats_us = clock_wall_us();	/* the first rate: from the start */
	rc = p->live ? run_live(p, sig, err) : run_file(p, sig, err);
	progress(p, 0, 1);
	return finish(p, rc, err);
}

/* Steps ------------------------------------------------------------- */

int
probe_step(struct probe *p, int timeout_ms, struct perr *err)
{
	uint64_t now = clock_wall_us(), until;
	long n;
	int r;

	if (p->n_ex > 0 && p->n_dead >= p->n_ex)
		return PROBE_EOF;
	if (p->live) {
		if (now >= p->step_expire_us) {
			if (flow_table_expire(p->ft, now) > 0)
				flush_exporters(p);
			p->step_expire_us = now + EXPIRE_US;
		}
		if (now >= p->step_tick_us) {
			flush_exporters(p);
			p->step_tick_us = now + TICK_US;
		}
		until = now + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0) *
		    1000u;
		if (until > p->step_expire_us)
			until = p->step_expire_us;
		if ((n = live_read(p, until, NULL, err)) < 0)
			return (int)n;
		return 0;
	}
	r = cap_dispatch(p->caps[0].cap, DISPATCH_MAX, on_frame, p, NULL,
	    err);
	if (r == CAP_EOF)
		return PROBE_EOF;
	if (r == CAP_BROKEN) {
		p->broken = 1;
		return PROBE_EOF;
	}
	if (r < 0)
		return r;
	if (now >= p->step_tick_us) {
		flush_exporters(p);
		p->step_tick_us = now + TICK_US;
	}
	return 0;
}

int
probe_end(struct probe *p, int rc, struct perr *err)
{
	if (rc == 0 && p->broken)
		rc = 1;
	if (rc == 0 && p->live && (p->n_ex == 0 || p->n_dead < p->n_ex))
		rc = drain(p, NULL, err);
	return finish(p, rc, err);
}

void
probe_get_counters(struct probe *p, struct exp_counters *c)
{
	probe_counters(p, c);
}

const struct ie_reg *
probe_registry(const struct probe *p)
{
	return plug_set_reg(p->ps);
}

size_t
probe_plugin_slot(const struct probe *p, int i)
{
	return plug_set_slot(p->ps, i);
}

/* The end of a run: open flows exported, output finished, the status. */
static int
finish(struct probe *p, int rc, struct perr *err)
{
	int i, r;

	if (p->wk != NULL) {
		uint64_t now = p->now_us;

		/* Live, the tables' time is the clock's. */
		if (p->live && clock_wall_us() > now)
			now = clock_wall_us();
		wk_finish(p->wk, now, FLOW_END_FORCED);
	} else {
		flow_table_flush(p->ft, FLOW_END_FORCED);
	}
	flush_exporters(p);
	/* Queued output goes out now (bounded wait), so the counters and
	 * the exit status below include what could not. */
	for (i = 0; i < p->n_ex; i++) {
		r = exp_finish(p->ex[i]);
		if (r != 0 && r != -EPIPE)
			p->finish_failures++;
	}
	/* Every output was a pipe whose reader went away ("l7probe | head"):
	 * the probe ends quietly, as a Unix filter does; the counters say
	 * what was written. */
	if (p->n_dead > 0 && p->n_pipe == p->n_dead && p->n_dead == p->n_ex) {
		p->write_failures = 0;
		p->flush_failures = 0;
	}
	if (rc == 0 && p->flush_failures > 0 && p->write_failures == 0) {
		perr_set(err, -EIO, "records buffered for a collector could "
		    "not be written");
		rc = 1;
	}
	if (rc == 0 && p->finish_failures > 0 && p->write_failures == 0) {
		perr_set(err, -EIO, "records were dropped or not acknowledged "
		    "by %d collector(s) (see their counters)",
		    p->finish_failures);
		rc = 1;
	}
	if (rc == 0 && p->write_failures > 0) {
		perr_set(err, -EIO, "%" PRIu64 " records could not be written%s",
		    p->write_failures, p->n_dead == p->n_ex ?
		    " (no collector left: stopped reading)" : "");
		rc = 1;
	}
	return rc;
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
