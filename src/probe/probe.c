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
 * buffered records out.
 */
#include "probe/probe.h"
#include "log/clock.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "capture/capture.h"
#include "decode/decode.h"
#include "dpi/dpi.h"
#include "export/export.h"
#include "flow/flow.h"
#include "plugin/plugin.h"

#define TICK_US		1000000u	/* live: expire at least this often */
#define DISPATCH_MAX	512		/* frames per cap_dispatch call */

struct probe {
	const struct conf	*conf;
	struct exp_conf		xconf;
	struct capture		*cap;
	struct dec_conf		dconf;
	int			linktype;
	struct flow_table	*ft;
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
	uint64_t		write_failures;	/* records an exporter lost */
	uint64_t		flush_failures;	/* buffered output lost */
	int			finish_failures; /* exporters that dropped */
	int			broken;		/* the input file was cut */
};

void
probe_free(struct probe *p)
{
	int i;

	if (p == NULL)
		return;
	for (i = 0; i < p->n_ex; i++)
		exp_close(p->ex[i]);
	flow_table_free(p->ft);
	/* After the exporters: they read the plugin fields' rows. */
	plug_set_free(p->ps);
	dpi_free(p->dpi);
	cap_close(p->cap);
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

static void
on_flow_end(struct flow *f, enum flow_end_reason reason, void *arg)
{
	struct probe *p = arg;
	struct exp_record rec;
	struct dpi_info app;
	uint64_t pkts;
	int i, rc;

	pkts = f->c[FLOW_DIR_FWD].pkts + f->c[FLOW_DIR_REV].pkts;
	plug_flow_end(p->ps, f, reason);
	/* A record with no packets (a flow cut by the active timeout, then
	 * silent) carries nothing worth a line. */
	if (pkts > 0) {
		dpi_flow_info(p->dpi, f, &app);
		rec.flow = f;
		rec.reason = reason;
		rec.app = &app;
		p->records++;
		p->pkts_exported += pkts;
		p->bytes_exported += f->c[FLOW_DIR_FWD].bytes +
		    f->c[FLOW_DIR_REV].bytes;
		for (i = 0; i < p->n_ex; i++) {
			if (p->ex_dead[i]) {
				p->write_failures++;
				continue;
			}
			/* Only fatal errors come back (a closed pipe): one
			 * record's failure is counted by the exporter. */
			if ((rc = exp_write(p->ex[i], &rec)) != 0) {
				p->write_failures++;
				p->ex_dead[i] = 1;
				p->n_dead++;
				p->n_pipe += rc == -EPIPE;
			}
		}
	}
	if (reason != FLOW_END_ACTIVE)
		plug_flow_release(p->ps, f);
}

/* exp_conf.counters: what the IPFIX exporter statistics record reports. */
static void
probe_counters(void *arg, struct exp_counters *c)
{
	struct probe *p = arg;
	struct cap_stats cs;
	int i;

	memset(c, 0, sizeof(*c));
	if (p->cap == NULL)
		return;
	cap_stats(p->cap, &cs);
	c->pkts_read = cs.read;
	c->pkts_ignored = cs.filtered;
	for (i = 1; i < DEC_RESULT_MAX; i++)
		c->pkts_ignored += p->dec_ignored[i];
	c->pkts_dropped = cs.kernel_drops + cs.if_drops;
}

struct probe *
probe_new(const struct conf *conf, struct perr *err)
{
	struct flow_table_conf fconf;
	struct dpi_conf dpconf;
	struct plug_set_conf pconf;
	struct exp_conf *xc;
	struct cap_conf cconf;
	struct probe *p;
	int i, n_down;

	if ((p = calloc(1, sizeof(*p))) == NULL) {
		perr_set(err, -ENOMEM, "out of memory");
		return NULL;
	}
	p->conf = conf;
	p->dconf.tunnels = conf->tunnels;

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
	if (conf->dpi) {
		p->dpi_hook.on_packet = dpi_hook_packet;
		p->dpi_hook.on_end = dpi_hook_end;
		p->dpi_hook.on_release = dpi_hook_release;
	}
	memset(&pconf, 0, sizeof(pconf));
	pconf.specs = conf->plugins;
	pconf.n_specs = conf->n_plugins;
	pconf.hooks = &p->dpi_hook;
	pconf.n_hooks = 1;
	pconf.app = dpi_app_names;
	pconf.app_arg = p->dpi;
	if ((p->ps = plug_set_new(&pconf, err)) == NULL)
		goto fail;
	dpi_set_ext_offset(p->dpi, p->dpi_hook.off);

	/* Collectors next: a typo there should not wait for a capture. */
	if (conf->n_collectors == 0) {
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
	for (i = 0; i < conf->n_collectors; i++) {
		if ((p->ex[i] = exp_open(conf->collectors[i], xc, err)) ==
		    NULL)
			goto fail;
		p->n_ex = i + 1;
	}
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
	if (n_down > 0 && n_down == p->n_ex)
		goto fail;

	flow_table_conf_defaults(&fconf);
	fconf.max_flows = conf->max_flows;
	fconf.idle_timeout_s = conf->idle_timeout_s;
	fconf.active_timeout_s = conf->active_timeout_s;
	fconf.ext_size = plug_set_ext_size(p->ps);
	if ((p->ft = flow_table_new(&fconf, on_flow_end,
	    conf->dpi || conf->n_plugins > 0 ? on_flow_pkt : NULL, p,
	    err)) == NULL)
		goto fail;

	memset(&cconf, 0, sizeof(cconf));
	cconf.file = conf->read_file;
	cconf.iface = conf->n_ifaces > 0 ? conf->ifaces[0] : NULL;
	cconf.filter = conf->filter;
	cconf.snaplen = conf->snaplen;
	cconf.promisc = conf->promisc;
	cconf.timeout_ms = 100;
	if ((p->cap = cap_open(&cconf, err)) == NULL)
		goto fail;
	p->linktype = cap_linktype(p->cap);
	if (!dec_linktype_supported(p->linktype)) {
		perr_set(err, -ENOTSUP, "%s '%s': link type %s (%d) is not "
		    "supported", conf->read_file ? "capture file" : "interface",
		    conf->read_file ? conf->read_file : conf->ifaces[0],
		    cap_linktype_name(p->cap), p->linktype);
		goto fail;
	}
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

	r = dec_frame(&p->dconf, p->linktype, cp->data, cp->caplen, cp->wirelen,
	    &pkt);
	if (r != DEC_OK) {
		p->dec_ignored[r]++;
		return;
	}
	pkt.ts_us = cp->ts_us;
	p->pkts_to_flows++;
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

int
probe_run(struct probe *p, volatile sig_atomic_t *stop, struct perr *err)
{
	uint64_t now, next_tick = 0;
	int live = cap_is_live(p->cap);
	int rc = 0, r, i;

	while (!*stop && p->n_dead < p->n_ex) {
		r = cap_dispatch(p->cap, DISPATCH_MAX, on_frame, p, err);
		if (r == CAP_EOF)
			break;
		if (r == CAP_BROKEN) {
			p->broken = 1;
			rc = 1;
			break;
		}
		if (r < 0) {
			rc = r;
			break;
		}
		/* The tick: live, the clock expires flows while no packet
		 * comes; in both modes exporters get their timed work. */
		if ((now = clock_wall_us()) >= next_tick) {
			if (live)
				flow_table_expire(p->ft, now);
			flush_exporters(p);
			next_tick = now + TICK_US;
		}
	}
	flow_table_flush(p->ft, FLOW_END_FORCED);
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

void
probe_break(struct probe *p)
{
	if (p != NULL && p->cap != NULL)
		cap_breakloop(p->cap);
}

void
probe_print_stats(struct probe *p, FILE *fp)
{
	struct flow_table_stats fs;
	struct cap_stats cs;
	struct dpi_stats ds;
	uint64_t ignored = 0;
	int i;

	cap_stats(p->cap, &cs);
	flow_table_stats(p->ft, &fs);
	dpi_stats(p->dpi, &ds);
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
	fprintf(fp, "l7probe: records: %" PRIu64 " (idle %" PRIu64
	    ", active %" PRIu64 ", end %" PRIu64 ", forced %" PRIu64
	    ", resources %" PRIu64 ", plugin %" PRIu64 "), bytes %" PRIu64
	    ", flows %" PRIu64 ", peak %" PRIu32 "\n", p->records,
	    fs.records_ended[FLOW_END_IDLE], fs.records_ended[FLOW_END_ACTIVE],
	    fs.records_ended[FLOW_END_DETECTED],
	    fs.records_ended[FLOW_END_FORCED],
	    fs.records_ended[FLOW_END_RESOURCES],
	    fs.records_ended[FLOW_END_PLUGIN], p->bytes_exported,
	    fs.flows_created, fs.peak_flows);
	fprintf(fp, "l7probe: fragments: matched %" PRIu64 ", orphaned %"
	    PRIu64 "\n", fs.frags_matched, fs.frags_orphaned);
	if (p->conf->dpi)
		fprintf(fp, "l7probe: dpi: detected %" PRIu64 ", guessed %"
		    PRIu64 ", unknown %" PRIu64 ", packets %" PRIu64 "\n",
		    ds.flows_detected, ds.flows_guessed, ds.flows_unknown,
		    ds.pkts_fed);
	if (cap_is_live(p->cap))
		fprintf(fp, "l7probe: capture: kernel drops %" PRIu64
		    ", interface drops %" PRIu64 "\n", cs.kernel_drops,
		    cs.if_drops);
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
