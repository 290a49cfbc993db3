/*
 * probe.c - the probe built from the configuration, its data path, the
 * file loop and the steps (probe_step), and the end of a run. The live
 * loop is in live.c, the counters in pstats.c, the flow workers in
 * workers.c.
 *
 * Frames come from the capture callback, are decoded into a struct dec_pkt
 * on the stack, and given to the flow table, which calls back for each
 * packet counted in a flow (-> the hook list: nDPI, then plugins) and for
 * each record that ends (-> hooks' end: dpi give-up, plugin terminate ->
 * every exporter -> hooks' release). Nothing on this path allocates but nDPI's
 * per-flow state. With workers, a mapped file is walked by the workers
 * themselves (walk_step); anything else goes through wk_send.
 *
 * Time: packet timestamps drive expiry; when live, a clock tick at least
 * once a second also expires flows while no packets arrive, and pushes
 * buffered records out.
 *
 * Signals: main.c's handlers set flags in struct probe_signals; the loop
 * acts on them between reads (stop, reopen outputs, log the counters).
 */
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
#include <time.h>
#include <unistd.h>

#include "capture/capture.h"
#include "decode/decode.h"
#include "dpi/dpi.h"
#include "export/export.h"
#include "flow/flow.h"
#include "plugin/plugin.h"
#include "probe/probe_int.h"


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
	lc_init(&p->lc, clock_wall_us(), pb_mono_us());
	return 0;
}

/* The exporters' clock: live, the probe's (the wall clock carried on
 * at the monotonic pace across a step, as the flow table's); reading a
 * file, the wall clock, since template and statistics periods are for a
 * collector that receives in real time. */
static uint64_t
exporters_now(void *arg)
{
	struct probe *p = arg;

	return p->live ? pb_live_now(p) : clock_wall_us();
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
	xc->counters = pb_counters;
	xc->counters_arg = p;
	xc->now = exporters_now;
	xc->now_arg = p;
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
		wc.dpi_base = p->dpi;
		wc.dpi_off = p->dpi_hook.off;
		wc.ps = p->ps;
		wc.pkt_hooks = conf->dpi || conf->n_plugins > 0;
		wc.snaplen = conf->snaplen;
		wc.fixed_shards = !p->live;
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

void
pb_on_frame(const struct cap_pkt *cp, void *arg)
{
	struct probe *p = arg;
	struct dec_pkt pkt;
	enum dec_result r;
	uint64_t ts = cp->ts_us;

	if (ts > p->caps[p->cur_cap].last_ts_us)
		p->caps[p->cur_cap].last_ts_us = ts;
	/* Live, a step of the wall clock is absorbed (struct live_clock). */
	if (p->live)
		ts += (uint64_t)p->lc.shift_us;
	r = dec_frame(&p->dconf, cp->linktype, cp->data, cp->caplen,
	    cp->wirelen, &pkt);
	if (r != DEC_OK) {
		p->dec_ignored[r]++;
		return;
	}
	/* The table's time: one table sees decoded packets only. */
	if (ts > p->now_us)
		p->now_us = ts;
	pkt.ts_us = ts;
	pkt.ifindex = p->conf->merge_interfaces ? 0 : cp->ifindex;
	p->pkts_to_flows++;
	if (p->wk != NULL)
		wk_send(p->wk, &pkt, cp->data, cp->caplen, cp->stable,
		    p->now_us);
	else
		flow_table_add(p->ft, &pkt);
}

/* Pushes buffered records out; an exporter that fails is dead, and what
 * it had buffered is lost, which the exit status tells. */
void
pb_flush(struct probe *p)
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

/* Live: ends what is due at <now> (the clock); returns records ended (with
 * workers: the records they sent so far). */
size_t
pb_expire(struct probe *p, uint64_t now)
{
	if (p->wk == NULL)
		return flow_table_expire(p->ft, now);
	wk_push(p->wk, now);
	return wk_drain(p->wk);
}

/* The clock tick: live, the clock expires flows while no packet comes;
 * in both modes exporters get their timed work. */
void
pb_tick(struct probe *p, uint64_t now)
{
	if (p->live) {
		pb_expire(p, pb_live_now(p));
		pb_check_drops(p, now);
	}
	pb_flush(p);
	if (p->conf->stats_interval_s > 0 && now >= p->next_stats_us) {
		if (p->next_stats_us != 0)
			pb_log_stats(p, now);
		p->next_stats_us = now + p->conf->stats_interval_s * 1000000ull;
	}
}

/* Acts on the flags the signal handlers set (but stop). */
void
pb_on_signals(struct probe *p, struct probe_signals *sig)
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
		pb_log_stats(p, pb_mono_us());
	}
}

/*
 * A mapped file with workers: the workers walk it themselves (wk_walk_*
 * in probe_int.h); this thread exports their records, ticks and watches
 * for a stop. One call does one round (drain, tick) and returns 1 while
 * the walk goes on; 0 when it is over (or was never possible): the
 * capture is then read on as usual from where the walk stopped.
 */
#define WALK_NAP_NS	1000000L	/* nothing to export: wait this long */

static int
walk_step(struct probe *p, int stop)
{
	struct timespec nap = { 0, WALK_NAP_NS };

	if (p->walk == 0) {
		p->walk = 2;
		if (stop || p->wk == NULL || wk_walk_start(p->wk, p->caps[0].cap,
		    &p->dconf, p->conf->merge_interfaces) != 0)
			return 0;
		p->walk = 1;
	}
	if (p->walk != 1)
		return 0;
	if (stop)
		wk_walk_stop(p->wk);
	if (wk_walk_poll(p->wk)) {
		(void)wk_drain(p->wk);
		wk_walk_end(p->wk, &p->pkts_to_flows, p->dec_ignored,
		    &p->now_us);
		p->walk = 2;
		return 0;
	}
	/* The workers have the cores: wait, do not spin. */
	if (wk_drain(p->wk) == 0)
		nanosleep(&nap, NULL);
	return 1;
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
	while (walk_step(p, sig->stop || p->n_dead >= p->n_ex)) {
		pb_on_signals(p, sig);
		if ((now = pb_mono_us()) >= next_tick) {
			pb_tick(p, now);
			next_tick = now + TICK_US;
		}
		pb_progress(p, now, 0);
	}
	while (!sig->stop && p->n_dead < p->n_ex) {
		r = cap_dispatch(p->caps[0].cap, batch, pb_on_frame, p, NULL,
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
		pb_on_signals(p, sig);
		if ((now = pb_mono_us()) >= next_tick) {
			pb_tick(p, now);
			next_tick = now + TICK_US;
		}
		pb_progress(p, now, 0);
	}
	return 0;
}

static int	finish(struct probe *p, int rc, struct perr *err);

int
probe_run(struct probe *p, struct probe_signals *sig, struct perr *err)
{
	int rc;

	p->stats_us = pb_mono_us();	/* the first rate: from the start */
	rc = p->live ? pb_run_live(p, sig, err) : run_file(p, sig, err);
	pb_progress(p, 0, 1);
	return finish(p, rc, err);
}

/* Steps ------------------------------------------------------------- */

int
probe_step(struct probe *p, int timeout_ms, struct perr *err)
{
	uint64_t now = pb_mono_us(), until;
	long n;
	int r, dead = p->n_ex > 0 && p->n_dead >= p->n_ex;

	if (dead && p->walk != 1)
		return PROBE_EOF;
	if (p->live) {
		if (now >= p->step_expire_us) {
			if (pb_expire(p, pb_live_now(p)) > 0)
				pb_flush(p);
			p->step_expire_us = now + EXPIRE_US;
		}
		if (now >= p->step_tick_us) {
			pb_flush(p);
			p->step_tick_us = now + TICK_US;
		}
		until = now + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0) *
		    1000u;
		if (until > p->step_expire_us)
			until = p->step_expire_us;
		if ((n = pb_live_read(p, until, NULL, err)) < 0)
			return (int)n;
		/* Live packets do not wait for a full batch. */
		if (p->wk != NULL && n > 0) {
			wk_push(p->wk, 0);
			(void)wk_drain(p->wk);
		}
		return 0;
	}
	if (walk_step(p, dead)) {
		if (now >= p->step_tick_us) {
			pb_flush(p);
			p->step_tick_us = now + TICK_US;
		}
		return 0;
	}
	if (dead)
		return PROBE_EOF;
	r = cap_dispatch(p->caps[0].cap, DISPATCH_MAX, pb_on_frame, p, NULL,
	    err);
	if (r == CAP_EOF)
		return PROBE_EOF;
	if (r == CAP_BROKEN) {
		p->broken = 1;
		return PROBE_EOF;
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
	if (now >= p->step_tick_us) {
		pb_flush(p);
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
		rc = pb_drain(p, NULL, err);
	return finish(p, rc, err);
}

void
probe_get_counters(struct probe *p, struct exp_counters *c)
{
	pb_counters(p, c);
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

	/* Stopped while the workers walk the file: each stops after the
	 * same record, so the counters still add up. */
	while (p->walk == 1 && walk_step(p, 1))
		;
	if (p->wk != NULL) {
		uint64_t now = p->now_us;

		/* Live, the tables' time is the clock's. */
		if (p->live && pb_live_now(p) > now)
			now = pb_live_now(p);
		wk_finish(p->wk, now, FLOW_END_FORCED);
	} else {
		flow_table_flush(p->ft, FLOW_END_FORCED);
	}
	pb_flush(p);
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
		perr_set(err, -EIO, "records were dropped, refused or not acknowledged "
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
