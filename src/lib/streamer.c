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
 * The only process-wide state is the guard of the IE registry's plugin
 * rows (see "State" in the header): a mutex and two counts.
 */
#include "l7probe/l7probe.h"

#include <errno.h>
#include <pthread.h>
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
#include "export/export.h"
#include "ie/ie.h"
#include "log/clock.h"
#include "probe/probe.h"


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
	struct conf		conf;
	char			*strs[4];	/* owned copies: source, filter,
						 * template, dup of iface */
	struct probe		*p;
	int			live;
	int			ended;		/* probe_end() done */
	int			failed;		/* capture error: only END */
	int			fields;		/* has plugin fields (guard) */
	volatile sig_atomic_t	stop;
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

/* The registry guard. */
static pthread_mutex_t guard = PTHREAD_MUTEX_INITIALIZER;
static int n_open;			/* streamers open */
static int fields_open;			/* one of them has plugin fields */

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
	r->src_to_dst_tcp_flags = f->c[FLOW_DIR_FWD].tcp_flags;
	r->dst_to_src_tcp_flags = f->c[FLOW_DIR_REV].tcp_flags;
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

static char *
dup_opt(struct l7_streamer *s, int i, const char *v)
{
	if (v == NULL)
		return NULL;
	s->strs[i] = strdup(v);
	return s->strs[i];
}

void
l7_streamer_free(struct l7_streamer *s)
{
	size_t i;

	if (s == NULL)
		return;
	if (s->p != NULL && !s->ended)
		probe_end(s->p, 0, &(struct perr){ 0, "" });
	probe_free(s->p);
	for (i = 0; i < s->q_cap; i++)
		free(s->q[i].flow);
	free(s->q);
	for (i = 0; i < sizeof(s->strs) / sizeof(s->strs[0]); i++)
		free(s->strs[i]);
	pthread_mutex_lock(&guard);
	n_open--;
	if (s->fields)
		fields_open = 0;
	pthread_mutex_unlock(&guard);
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

struct l7_streamer *
l7_streamer_open(const struct l7_streamer_conf *c, char *err, size_t err_size)
{
	struct perr pe = { 0, "" };
	struct probe_opts po;
	struct l7_streamer *s;
	struct plug_user user[CONF_MAX_PLUGINS];
	int i, plugins;

	if (c == NULL || c->source == NULL || c->source[0] == '\0') {
		set_err(err, err_size, "no source: give a capture file, \"-\" "
		    "or an interface name");
		return NULL;
	}
	if (c->n_plugins < 0 || c->n_user_plugins < 0 ||
	    c->n_plugins + c->n_user_plugins > CONF_MAX_PLUGINS) {
		set_err(err, err_size, "too many plugins (at most %d)",
		    CONF_MAX_PLUGINS);
		return NULL;
	}
	if (c->n_collectors < 0 || c->n_collectors > CONF_MAX_COLLECTORS) {
		set_err(err, err_size, "too many collectors (at most %d)",
		    CONF_MAX_COLLECTORS);
		return NULL;
	}
	if (c->threads > 64) {		/* as l7probe --threads */
		set_err(err, err_size, "threads: at most 64");
		return NULL;
	}
	if (c->capacity < 1 || c->active_timeout < 1 ||
	    c->inactive_timeout < 1 || c->snaplen < 64) {
		set_err(err, err_size, "capacity, active_timeout and "
		    "inactive_timeout must be at least 1, snaplen at least 64");
		return NULL;
	}
	plugins = c->n_plugins + c->n_user_plugins > 0;
	pthread_mutex_lock(&guard);
	if (fields_open || (plugins && n_open > 0)) {
		pthread_mutex_unlock(&guard);
		set_err(err, err_size, "another streamer is open in this "
		    "process and %s has plugins: plugin fields are "
		    "process-wide (close it first)", fields_open ? "it" :
		    "this one");
		return NULL;
	}
	n_open++;
	if (plugins)
		fields_open = 1;
	pthread_mutex_unlock(&guard);

	if ((s = calloc(1, sizeof(*s))) == NULL) {
		pthread_mutex_lock(&guard);
		n_open--;
		if (plugins)
			fields_open = 0;
		pthread_mutex_unlock(&guard);
		set_err(err, err_size, "out of memory");
		return NULL;
	}
	s->fields = plugins;
	conf_defaults(&s->conf);
	if (source_is_file(c->source)) {
		s->conf.read_file = dup_opt(s, 0, c->source);
	} else {
		s->conf.ifaces[0] = dup_opt(s, 0, c->source);
		s->conf.n_ifaces = 1;
		s->live = 1;
	}
	s->conf.filter = dup_opt(s, 1, c->bpf_filter);
	s->conf.template = dup_opt(s, 2, c->template != NULL ?
	    c->template : "default");
	if (s->strs[0] == NULL || s->conf.template == NULL ||
	    (c->bpf_filter != NULL && s->conf.filter == NULL)) {
		set_err(err, err_size, "out of memory");
		goto fail;
	}
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
	s->conf.quiet = 1;
	/* Workers export through the thread that calls next(). */
	s->conf.threads = c->threads;
	/* Collector URIs and plugin specs are read by probe_new() only. */
	for (i = 0; i < c->n_collectors; i++)
		s->conf.collectors[i] = c->collectors[i];
	s->conf.n_collectors = c->n_collectors;
	for (i = 0; i < c->n_plugins; i++)
		s->conf.plugins[i] = c->plugins[i];
	s->conf.n_plugins = c->n_plugins;
	for (i = 0; i < c->n_user_plugins; i++) {
		user[i].d = c->user_plugins[i].plugin;
		user[i].ctx = c->user_plugins[i].ctx;
	}

	memset(&po, 0, sizeof(po));
	po.sink = on_record;
	po.sink_arg = s;
	po.user = user;
	po.n_user = c->n_user_plugins;
	po.no_default_output = 1;
	s->poll_ms = c->poll_ms > 0 ? c->poll_ms : 100;
	if ((s->p = probe_new_opts(&s->conf, &po, &pe)) == NULL) {
		set_err(err, err_size, "%s", pe.msg);
		goto fail;
	}
	/* probe_new() is done with them: only copies are kept. */
	memset(s->conf.collectors, 0, sizeof(s->conf.collectors));
	memset(s->conf.plugins, 0, sizeof(s->conf.plugins));
	s->n_slots = c->n_plugins + c->n_user_plugins;
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
	    (def = ie_find_any(name, &reverse)) == NULL)
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
