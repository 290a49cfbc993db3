/*
 * streamer.c - the library face of the probe (include/l7probe/l7probe.h).
 *
 * A streamer is a struct probe built with a record sink: every record the
 * probe ends (and exports, when collectors are given) is also copied here,
 * into a queue of snapshots (the flow with its ext area, the
 * classification), which l7_streamer_next() hands out one at a time. When
 * the queue is empty, next() drives the probe a step (probe_step) until a
 * record comes, the input ends (probe_end: every open flow ends) or the
 * caller's time is up.
 *
 * Options by name (l7_streamer_conf_set, l7_streamer_conf_args) are the
 * program's option table (src/conf/): they are kept in a struct conf of
 * their own and applied over the fields at open. A configuration from a
 * command line is the whole program's; l7_streamer_run() runs it as the
 * l7probe program does (src/main.c is this library's user).
 *
 * No process-wide state: each streamer's probe owns its IE registry (the
 * built-in rows shared read-only, its plugins' fields its own), so
 * streamers with different plugins live side by side.
 */
#include "l7probe/l7probe.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <arpa/inet.h>

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "conf/conf.h"
#include "dpi/dpi.h"
#include "export/export.h"
#include "ie/ie.h"
#include "log/clock.h"
#include "probe/probe.h"
#include "transport/transport.h"

#define OPTS_MAX	64		/* options of the table, at most */

/* Options given by name, behind l7_streamer_conf.opts_. */
struct l7_opts {
	struct conf	conf;		/* the defaults, then what was set */
	unsigned char	set[OPTS_MAX];	/* set by name, by table index */
	int		whole;		/* from a command line: all of it */
	char		**strs;		/* owned copies of the values */
	size_t		n_strs;
	char		get[4096];	/* l7_streamer_conf_get() text */
};


/* One record, copied out of the probe. */
struct item {
	struct l7_record	pub;
	struct flow		*flow;		/* copy, with ext */
	size_t			flow_cap;	/* bytes allocated */
	enum flow_end_reason	reason;
	struct dpi_info		app;
	char			server_name[256];
	uint8_t			scratch[16];	/* l7_record_get() values */
	char			text[1040];	/* its strings, NUL-ended */
	const struct l7_streamer *s;
};

struct l7_streamer {
	struct conf		conf;		/* its strings owned (text_) */
	struct probe		*p;
	int			live;
	int			whole;		/* the program's configuration */
	int			started;	/* next() or run() called */
	int			running;	/* in run(): no copies */
	int			ended;		/* probe_end() done */
	int			failed;		/* capture error: only END */
	const struct ie_reg	*reg;		/* the probe's: field names */
	volatile sig_atomic_t	stop;
	struct probe_signals	sigs;		/* run()'s requests */
	struct item		*q;		/* ring of records */
	size_t			q_cap, q_head, q_len;
	struct item		*cur;		/* handed out last */
	uint32_t		poll_ms;	/* live: longest step */
	uint64_t		next_id;
	uint64_t		flows;
	size_t			slot[CONF_MAX_PLUGINS]; /* plugins' ext */
	int			n_slots;
	char			err[L7_ERR_SIZE];
};

void
l7_streamer_conf_init(struct l7_streamer_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->capacity = 128000;
	c->active_timeout = 120;
	c->inactive_timeout = 120;
	c->enable_ndpi = 1;
	c->snaplen = 65535;
	c->promisc = 1;
	c->tunnels = 1;
	c->dpi_packets = 20;
	c->template = "default";
	c->pen = IE_PEN_DEFAULT_LOCAL;
	c->poll_ms = 100;
	c->threads = 1;
}

const char *
l7_version(void)
{
	return "l7probe " PACKAGE_VERSION;
}

static void
set_err(char *err, size_t size, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || size == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, size, fmt, ap);
	va_end(ap);
}

/* Room for one more record; NULL when out of memory. */
static struct item *
q_push(struct l7_streamer *s)
{
	struct item *nq;
	size_t i, n;

	if (s->q_len == s->q_cap) {
		n = s->q_cap > 0 ? s->q_cap * 2 : 16;
		if ((nq = calloc(n, sizeof(*nq))) == NULL)
			return NULL;
		/* Unrolled in order; the flow buffers move along. */
		for (i = 0; i < s->q_len; i++)
			nq[i] = s->q[(s->q_head + i) % s->q_cap];
		for (i = s->q_len; i < s->q_cap; i++)
			nq[i] = s->q[(s->q_head + i) % s->q_cap];
		free(s->q);
		s->q = nq;
		s->q_cap = n;
		s->q_head = 0;
	}
	return &s->q[(s->q_head + s->q_len++) % s->q_cap];
}

static void
addr_text(const uint8_t *a, int v, char *buf, size_t size)
{
	if (inet_ntop(v == 6 ? AF_INET6 : AF_INET, a, buf, size) == NULL)
		snprintf(buf, size, "?");
}

/* probe_sink_cb: the record, copied. */
static void
on_record(const struct exp_record *rec, size_t ext_size, void *arg)
{
	struct l7_streamer *s = arg;
	const struct flow *f = rec->flow;
	struct l7_record *r;
	struct item *it;
	size_t need = sizeof(struct flow) + ext_size;
	uint64_t first, last;

	/* Running to the end: exported only, nothing to hand out. */
	if (s->running)
		return;
	if ((it = q_push(s)) == NULL)
		goto nomem;
	if (it->flow_cap < need) {
		free(it->flow);
		if ((it->flow = malloc(need)) == NULL) {
			it->flow_cap = 0;
			s->q_len--;
			goto nomem;
		}
		it->flow_cap = need;
	}
	memcpy(it->flow, f, need);
	it->reason = rec->reason;
	it->app = *rec->app;
	snprintf(it->server_name, sizeof(it->server_name), "%s",
	    rec->app->server_name != NULL ? rec->app->server_name : "");
	it->app.server_name = it->server_name;

	r = &it->pub;
	memset(r, 0, sizeof(*r));
	r->id = s->next_id++;
	r->ip_version = f->key.ip_version;
	addr_text(f->key.src, f->key.ip_version, r->ip_src, sizeof(r->ip_src));
	addr_text(f->key.dst, f->key.ip_version, r->ip_dst, sizeof(r->ip_dst));
	r->src_port = f->key.sport;
	r->dst_port = f->key.dport;
	r->ip_protocol = f->key.proto;
	r->vlan_id = f->key.vlan_id;
	r->tunnel_id = f->key.tunnel_id;
	r->src_to_dst_pkts = f->c[FLOW_DIR_FWD].pkts;
	r->src_to_dst_bytes = f->c[FLOW_DIR_FWD].bytes;
	r->dst_to_src_pkts = f->c[FLOW_DIR_REV].pkts;
	r->dst_to_src_bytes = f->c[FLOW_DIR_REV].bytes;
	r->total_pkts = r->src_to_dst_pkts + r->dst_to_src_pkts;
	r->total_bytes = r->src_to_dst_bytes + r->dst_to_src_bytes;
	r->src_to_dst_tcp_flags = f->tcp_flags[FLOW_DIR_FWD];
	r->dst_to_src_tcp_flags = f->tcp_flags[FLOW_DIR_REV];
	/* A direction without packets has no times. */
	first = f->c[FLOW_DIR_FWD].pkts == 0 ? f->c[FLOW_DIR_REV].first_us :
	    f->c[FLOW_DIR_REV].pkts == 0 ? f->c[FLOW_DIR_FWD].first_us :
	    f->c[FLOW_DIR_FWD].first_us < f->c[FLOW_DIR_REV].first_us ?
	    f->c[FLOW_DIR_FWD].first_us : f->c[FLOW_DIR_REV].first_us;
	last = f->c[FLOW_DIR_FWD].last_us > f->c[FLOW_DIR_REV].last_us ?
	    f->c[FLOW_DIR_FWD].last_us : f->c[FLOW_DIR_REV].last_us;
	r->start_time = first / 1000;
	r->end_time = last / 1000;
	r->duration = r->end_time - r->start_time;
	snprintf(r->application_name, sizeof(r->application_name), "%s",
	    it->app.app_name);
	snprintf(r->category_name, sizeof(r->category_name), "%s",
	    it->app.category_name);
	r->export_reason = (int)ie_export_reason(rec->reason);
	it->s = s;
	return;
nomem:
	/* Not silent: next() reports it once the queue is read. */
	snprintf(s->err, sizeof(s->err), "out of memory: records lost");
}

void
l7_streamer_free(struct l7_streamer *s)
{
	size_t i;

	if (s == NULL)
		return;
	if (s->p != NULL && s->started && !s->ended)
		probe_end(s->p, 0, &(struct perr){ 0, "" });
	probe_free(s->p);
	for (i = 0; i < s->q_cap; i++)
		free(s->q[i].flow);
	free(s->q);
	conf_fini(&s->conf);
	free(s);
}

/* A source is a file when it is "-", exists as a file, or looks like a
 * path; else an interface name. */
static int
source_is_file(const char *src)
{
	struct stat st;

	if (strcmp(src, "-") == 0 || strchr(src, '/') != NULL)
		return 1;
	if (stat(src, &st) == 0)
		return !S_ISCHR(st.st_mode);
	return strstr(src, ".pcap") != NULL || strstr(src, ".cap") != NULL;
}

/* The fields of <c> into <s>->conf, with the library's settings. */
static int
conf_from_fields(struct l7_streamer *s, const struct l7_streamer_conf *c,
    const struct l7_opts *o, char *err, size_t err_size)
{
	int i, by_name = o != NULL && (o->set[conf_opt_index("read")] ||
	    o->set[conf_opt_index("interface")]);

	if (!by_name && (c->source == NULL || c->source[0] == '\0')) {
		set_err(err, err_size, "no source: give a capture file, \"-\" "
		    "or an interface name");
		return -1;
	}
	if (c->n_plugins < 0 || c->n_user_plugins < 0 ||
	    c->n_plugins + c->n_user_plugins > CONF_MAX_PLUGINS) {
		set_err(err, err_size, "too many plugins (at most %d)",
		    CONF_MAX_PLUGINS);
		return -1;
	}
	if (c->n_collectors < 0 || c->n_collectors > CONF_MAX_COLLECTORS) {
		set_err(err, err_size, "too many collectors (at most %d)",
		    CONF_MAX_COLLECTORS);
		return -1;
	}
	if (c->threads > 64) {		/* as l7probe --threads */
		set_err(err, err_size, "threads: at most 64");
		return -1;
	}
	if (c->capacity < 1 || c->active_timeout < 1 ||
	    c->inactive_timeout < 1 || c->snaplen < 64) {
		set_err(err, err_size, "capacity, active_timeout and "
		    "inactive_timeout must be at least 1, snaplen at least 64");
		return -1;
	}
	conf_defaults(&s->conf);
	if (by_name) {
		/* "read" or "interface" given by name: the source. */
	} else if (source_is_file(c->source)) {
		s->conf.read_file = c->source;
	} else {
		s->conf.ifaces[0] = c->source;
		s->conf.n_ifaces = 1;
	}
	s->conf.filter = c->bpf_filter;
	s->conf.template = c->template != NULL ? c->template : "default";
	s->conf.snaplen = c->snaplen;
	s->conf.promisc = c->promisc;
	s->conf.tunnels = c->tunnels;
	s->conf.dpi = c->enable_ndpi;
	s->conf.dpi_packets = c->dpi_packets;
	s->conf.active_timeout_s = c->active_timeout;
	s->conf.idle_timeout_s = c->inactive_timeout;
	s->conf.max_flows = c->capacity;
	s->conf.pen = c->pen;
	s->conf.biflow = c->biflow;
	/* Workers export through the thread that calls next(). */
	s->conf.threads = c->threads;
	for (i = 0; i < c->n_collectors; i++)
		s->conf.collectors[i] = c->collectors[i];
	s->conf.n_collectors = c->n_collectors;
	for (i = 0; i < c->n_plugins; i++)
		s->conf.plugins[i] = c->plugins[i];
	s->conf.n_plugins = c->n_plugins;
	if (o != NULL)
		for (i = 0; i < OPTS_MAX; i++)
			if (o->set[i])
				conf_copy_opt(&s->conf, &o->conf, i);
	/* The library prints nothing. */
	s->conf.quiet = 1;
	return 0;
}

struct l7_streamer *
l7_streamer_open(const struct l7_streamer_conf *c, char *err, size_t err_size)
{
	const struct l7_opts *o = c != NULL ? c->opts_ : NULL;
	struct perr pe = { 0, "" };
	struct probe_opts po;
	struct l7_streamer *s;
	struct plug_user user[CONF_MAX_PLUGINS];
	int i;

	if (c == NULL) {
		set_err(err, err_size, "no configuration");
		return NULL;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		set_err(err, err_size, "out of memory");
		return NULL;
	}
	if (o != NULL && o->whole) {
		/* The program's configuration, as parsed and checked. */
		s->conf = o->conf;
		s->conf.text_ = NULL;
		s->whole = 1;
	} else if (conf_from_fields(s, c, o, err, err_size) != 0) {
		goto fail;
	} else if (o != NULL && conf_validate(&s->conf, &pe) != 0) {
		set_err(err, err_size, "%s", pe.msg);
		goto fail;
	}
	if (c->n_user_plugins < 0 || s->conf.n_plugins + c->n_user_plugins >
	    CONF_MAX_PLUGINS) {
		set_err(err, err_size, "too many plugins (at most %d)",
		    CONF_MAX_PLUGINS);
		goto fail;
	}
	/* Every string the probe reads is the streamer's own from here. */
	if (conf_own_strings(&s->conf, &pe) != 0) {
		set_err(err, err_size, "%s", pe.msg);
		goto fail;
	}
	s->live = s->conf.n_ifaces > 0;
	for (i = 0; i < c->n_user_plugins; i++) {
		user[i].d = c->user_plugins[i].plugin;
		user[i].ctx = c->user_plugins[i].ctx;
	}

	memset(&po, 0, sizeof(po));
	po.sink = on_record;
	po.sink_arg = s;
	po.user = user;
	po.n_user = c->n_user_plugins;
	/* The program writes JSON to standard output without collectors;
	 * a program iterating records writes nothing unless asked. */
	po.no_default_output = !s->whole;
	s->poll_ms = c->poll_ms > 0 ? c->poll_ms : 100;
	if ((s->p = probe_new_opts(&s->conf, &po, &pe)) == NULL) {
		set_err(err, err_size, "%s", pe.msg);
		goto fail;
	}
	s->reg = probe_registry(s->p);
	s->n_slots = s->conf.n_plugins + c->n_user_plugins;
	for (i = 0; i < s->n_slots; i++)
		s->slot[i] = probe_plugin_slot(s->p, i);
	return s;
fail:
	l7_streamer_free(s);
	return NULL;
}

static struct item *
q_pop(struct l7_streamer *s)
{
	struct item *it;

	if (s->q_len == 0)
		return NULL;
	it = &s->q[s->q_head];
	s->q_head = (s->q_head + 1) % s->q_cap;
	s->q_len--;
	return it;
}

int
l7_streamer_next(struct l7_streamer *s, int timeout_ms,
    const struct l7_record **rec)
{
	struct perr pe = { 0, "" };
	uint64_t deadline = 0, now;
	int r, wait_ms;

	*rec = NULL;
	s->started = 1;
	if (s->live && timeout_ms >= 0)
		deadline = clock_wall_us() + (uint64_t)timeout_ms * 1000;
	while (s->q_len == 0 && !s->ended) {
		if (s->stop) {
			r = PROBE_EOF;
		} else {
			/* Live: in slices of poll_ms, so a close from
			 * another thread is seen within one. */
			wait_ms = (int)s->poll_ms;
			if (deadline != 0) {
				now = clock_wall_us();
				if (now >= deadline)
					wait_ms = 0;
				else if ((deadline - now) / 1000 <
				    (uint64_t)wait_ms)
					wait_ms = (int)((deadline - now) / 1000);
			}
			r = probe_step(s->p, wait_ms, &pe);
			if (r < 0) {
				snprintf(s->err, sizeof(s->err), "%s", pe.msg);
				s->failed = r;
			}
		}
		if (r != 0) {
			/* The end: every open flow ends and is queued. */
			pe.code = 0;
			pe.msg[0] = '\0';
			if (probe_end(s->p, r < 0 ? r : 0, &pe) != 0 &&
			    s->failed == 0)
				snprintf(s->err, sizeof(s->err), "%s", pe.msg);
			s->ended = 1;
			break;
		}
		if (deadline != 0 && s->q_len == 0 &&
		    clock_wall_us() >= deadline)
			return L7_TIMEOUT;
	}
	if (s->q_len == 0) {
		if (s->failed != 0) {
			r = s->failed;
			s->failed = 0;
			return r;
		}
		return L7_END;
	}
	s->cur = q_pop(s);
	/* Items move when the ring grows: point the record at its place. */
	s->cur->pub.core = s->cur;
	s->flows++;
	*rec = &s->cur->pub;
	return L7_FLOW;
}

size_t
l7_streamer_queued(const struct l7_streamer *s)
{
	return s->q_len;
}

const char *
l7_streamer_error(const struct l7_streamer *s)
{
	return s->err;
}

void
l7_streamer_close(struct l7_streamer *s)
{
	/* A flag: async-signal-safe. The iterating thread sees it within
	 * poll_ms (a signal delivered to it ends its wait at once). */
	s->stop = 1;
	s->sigs.stop = 1;
}

int
l7_streamer_run(struct l7_streamer *s)
{
	struct perr pe = { 0, "" };
	int rc;

	if (s->started) {
		snprintf(s->err, sizeof(s->err), "the streamer was iterated or "
		    "run already");
		return -EINVAL;
	}
	s->started = 1;
	s->running = 1;
	rc = probe_run(s->p, &s->sigs, &pe);
	s->running = 0;
	s->ended = 1;
	if (rc != 0)
		snprintf(s->err, sizeof(s->err), "%s", pe.msg);
	return rc;
}

void
l7_streamer_reopen(struct l7_streamer *s)
{
	s->sigs.reopen = 1;
}

void
l7_streamer_log_stats(struct l7_streamer *s)
{
	s->sigs.stats = 1;
}

void
l7_streamer_set_signals(struct l7_streamer *s, const sigset_t *mask)
{
	s->sigs.mask = *mask;
}

void
l7_streamer_print_stats(struct l7_streamer *s, FILE *fp)
{
	probe_print_stats(s->p, fp);
}

/* Options by name ---------------------------------------------------- */

static struct l7_opts *
opts_of(struct l7_streamer_conf *c)
{
	struct l7_opts *o = c->opts_;

	if (o == NULL && (o = calloc(1, sizeof(*o))) != NULL) {
		conf_defaults(&o->conf);
		c->opts_ = o;
	}
	return o;
}

int
l7_streamer_conf_set(struct l7_streamer_conf *c, const char *name,
    const char *value, char *err, size_t err_size)
{
	struct perr pe = { 0, "" };
	struct l7_opts *o;
	char **n, *v = NULL;
	int idx;

	if ((o = opts_of(c)) == NULL ||
	    (value != NULL && (v = strdup(value)) == NULL) ||
	    (n = realloc(o->strs, (o->n_strs + 1) * sizeof(*n))) == NULL) {
		free(v);
		set_err(err, err_size, "out of memory");
		return -1;
	}
	o->strs = n;
	if (v != NULL)
		o->strs[o->n_strs++] = v;
	if ((idx = conf_set(&o->conf, name, v, &pe)) < 0) {
		set_err(err, err_size, "%s", pe.msg);
		return -1;
	}
	if (idx < OPTS_MAX)
		o->set[idx] = 1;
	return 0;
}

int
l7_streamer_conf_args(struct l7_streamer_conf *c, int argc, char **argv,
    char *err, size_t err_size)
{
	struct perr pe = { 0, "" };
	enum conf_action action;
	struct l7_opts *o;

	if ((o = opts_of(c)) == NULL) {
		set_err(err, err_size, "out of memory");
		return -1;
	}
	/* The command line is the whole configuration. */
	conf_fini(&o->conf);
	conf_defaults(&o->conf);
	memset(o->set, 0, sizeof(o->set));
	o->whole = 1;
	if (conf_parse(&o->conf, argc, argv, &action, &pe) != 0) {
		set_err(err, err_size, "%s", pe.msg);
		return -1;
	}
	return action == CONF_HELP ? L7_ARGS_HELP : action == CONF_VERSION ?
	    L7_ARGS_VERSION : L7_ARGS_RUN;
}

const char *
l7_streamer_conf_get(struct l7_streamer_conf *c, const char *name)
{
	struct l7_opts *o;
	const char *v;

	if ((o = opts_of(c)) == NULL)
		return NULL;
	/* Strings as stored: they stay valid while <c> does. */
	if ((v = conf_get_str(&o->conf, name)) != NULL)
		return v;
	if (conf_get(&o->conf, name, o->get, sizeof(o->get)) != 0)
		return NULL;
	return o->get;
}

void
l7_streamer_conf_fini(struct l7_streamer_conf *c)
{
	struct l7_opts *o = c->opts_;
	size_t i;

	if (o == NULL)
		return;
	conf_fini(&o->conf);
	for (i = 0; i < o->n_strs; i++)
		free(o->strs[i]);
	free(o->strs);
	free(o);
	c->opts_ = NULL;
}

const char *
l7_usage(void)
{
	return conf_usage();
}

void
l7_backends(char *buf, size_t size)
{
	snprintf(buf, size, "classification: %s\nIPFIX: %s\nKafka: %s\n",
	    dpi_backend_version(), exp_ipfix_backend() != NULL ?
	    exp_ipfix_backend() : "none", tr_kafka_backend() != NULL ?
	    tr_kafka_backend() : "none");
}

void
l7_streamer_stats(struct l7_streamer *s, struct l7_streamer_stats *st)
{
	struct exp_counters c;

	probe_get_counters(s->p, &c);
	st->pkts_read = c.pkts_read;
	st->pkts_ignored = c.pkts_ignored;
	st->pkts_dropped = c.pkts_dropped;
	st->flows = s->flows;
}

static uint64_t
be_to_u64(const uint8_t *p, size_t n)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

int
l7_record_get(const struct l7_record *rec, const char *name,
    struct l7_value *out)
{
	struct item *it = (struct item *)(uintptr_t)rec->core;
	const struct ie_def *def;
	struct exp_record er;
	struct ie_rec ir;
	const uint8_t *b;
	uint64_t u;
	size_t n;
	int reverse = 0;

	if (name == NULL || out == NULL ||
	    (def = ie_find_any(it->s->reg, name, &reverse)) == NULL)
		return -1;
	er.flow = it->flow;
	er.reason = it->reason;
	er.app = &it->app;
	ir.rec = &er;
	ir.dir = FLOW_DIR_FWD;
	ir.biflow = 1;
	memset(out, 0, sizeof(*out));
	switch (def->type) {
	case IE_T_UNSIGNED8:
	case IE_T_UNSIGNED16:
	case IE_T_UNSIGNED32:
	case IE_T_UNSIGNED64:
	case IE_T_DATETIME_MS:
		out->type = def->type == IE_T_DATETIME_MS ? L7_U64 :
		    (enum l7_type)def->type;
		out->u = ie_get_uint(def, &ir, reverse);
		return 0;
	case IE_T_SIGNED64:
	case IE_T_FLOAT64:
		n = ie_get_bytes(def, &ir, reverse, &b, it->scratch);
		u = be_to_u64(b, n < 8 ? n : 8);
		out->type = (enum l7_type)def->type;
		if (def->type == IE_T_SIGNED64)
			out->s = (int64_t)u;
		else
			memcpy(&out->f, &u, sizeof(out->f));
		return 0;
	default:
		n = ie_get_bytes(def, &ir, reverse, &b, it->scratch);
		out->type = (enum l7_type)def->type;
		if (def->type == IE_T_STRING) {
			/* NUL-terminated for the caller. */
			if (n >= sizeof(it->text))
				n = sizeof(it->text) - 1;
			memcpy(it->text, b, n);
			it->text[n] = '\0';
			b = (const uint8_t *)it->text;
		}
		out->ptr = b;
		out->len = n;
		return 0;
	}
}

const void *
l7_record_state(const struct l7_record *rec, int i)
{
	struct item *it = (struct item *)(uintptr_t)rec->core;

	if (i < 0 || i >= it->s->n_slots)
		return NULL;
	return it->flow->ext + it->s->slot[i];
}
