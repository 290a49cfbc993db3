/*
 * l7probe_py.c - the Python module "l7probe" (doc/python.md): a Streamer
 * over the C library (include/l7probe/l7probe.h), with nfstream's names.
 *
 *	import l7probe
 *	for flow in l7probe.Streamer(source="capture.pcap"):
 *	    print(flow)
 *
 * Python callbacks (user_metrics, user_classifiers) are one classifier
 * plugin of the streamer, given to the library as a descriptor: its
 * per-flow state holds the flow's Python object (a Flow, created at the
 * flow's first packet, handed out with the record) and one uint64 per
 * metric (so metrics are fields like any plugin's: exported to collectors
 * too). Without callbacks no plugin is registered and no Python code runs
 * per packet; the GIL is released while the library reads.
 *
 * The GIL: with callbacks it stays held through l7_streamer_next() (the
 * callbacks run inside it); without, it is released. A callback that
 * raises: its exception is raised by the iteration's next step, and no
 * further callback runs.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <arpa/inet.h>
#include <stdint.h>
#include <string.h>

#include "l7probe/l7probe.h"

#define MAX_METRICS	32
#define MAX_CLASSIFIERS	32
#define METRIC_ID_BASE	16000	/* element ids of metric fields */
#define WAIT_MS		200	/* live: signal checks this often */

/* Flow ----------------------------------------------------------------- */

typedef struct {
	PyObject_HEAD
	unsigned long long id;
	int ip_version;
	PyObject *ip_src, *ip_dst;
	int src_port, dst_port, ip_protocol, vlan_id;
	unsigned long long tunnel_id;
	unsigned long long start_time, end_time, duration;
	unsigned long long src_to_dst_pkts, src_to_dst_bytes;
	unsigned long long dst_to_src_pkts, dst_to_src_bytes;
	unsigned long long total_pkts, total_bytes;
	int src_to_dst_tcp_flags, dst_to_src_tcp_flags;
	PyObject *application_name, *category_name;
	int export_reason;
	PyObject *metrics;	/* {name: value} */
	PyObject *classifiers;	/* {name: {}} */
} FlowObject;

static PyTypeObject FlowType;

#define FM(name, type) \
	{ #name, type, offsetof(FlowObject, name), 0, NULL }
#define FR(name, type) \
	{ #name, type, offsetof(FlowObject, name), READONLY, NULL }
static PyMemberDef flow_members[] = {
	FR(id, T_ULONGLONG),
	FR(ip_version, T_INT),
	FR(ip_src, T_OBJECT),
	FR(src_port, T_INT),
	FR(ip_dst, T_OBJECT),
	FR(dst_port, T_INT),
	FR(ip_protocol, T_INT),
	FR(vlan_id, T_INT),
	FR(tunnel_id, T_ULONGLONG),
	FR(start_time, T_ULONGLONG),
	FR(end_time, T_ULONGLONG),
	FR(duration, T_ULONGLONG),
	FR(src_to_dst_pkts, T_ULONGLONG),
	FR(src_to_dst_bytes, T_ULONGLONG),
	FR(dst_to_src_pkts, T_ULONGLONG),
	FR(dst_to_src_bytes, T_ULONGLONG),
	FR(total_pkts, T_ULONGLONG),
	FR(total_bytes, T_ULONGLONG),
	FR(src_to_dst_tcp_flags, T_INT),
	FR(dst_to_src_tcp_flags, T_INT),
	FR(application_name, T_OBJECT),
	FR(category_name, T_OBJECT),
	FM(export_reason, T_INT),
	FR(metrics, T_OBJECT),
	FR(classifiers, T_OBJECT),
	{ NULL, 0, 0, 0, NULL }
};

/* The JSON keys, in l7probe's JSON order, then the metrics. */
static const char *const flow_keys[] = {
	"id", "ip_src", "src_port", "ip_dst", "dst_port", "ip_protocol",
	"ip_version", "vlan_id", "tunnel_id", "src_to_dst_pkts",
	"dst_to_src_pkts", "src_to_dst_bytes", "dst_to_src_bytes",
	"start_time", "end_time", "duration", "src_to_dst_tcp_flags",
	"dst_to_src_tcp_flags", "export_reason", "application_name",
	"category_name", NULL
};

static void
flow_dealloc(FlowObject *f)
{
	Py_XDECREF(f->ip_src);
	Py_XDECREF(f->ip_dst);
	Py_XDECREF(f->application_name);
	Py_XDECREF(f->category_name);
	Py_XDECREF(f->metrics);
	Py_XDECREF(f->classifiers);
	Py_TYPE(f)->tp_free((PyObject *)f);
}

static PyObject *
flow_to_dict(FlowObject *f, PyObject *noarg)
{
	PyObject *d, *v;
	int i;

	(void)noarg;
	if ((d = PyDict_New()) == NULL)
		return NULL;
	for (i = 0; flow_keys[i] != NULL; i++) {
		if ((v = PyObject_GetAttrString((PyObject *)f,
		    flow_keys[i])) == NULL ||
		    PyDict_SetItemString(d, flow_keys[i], v) != 0) {
			Py_XDECREF(v);
			Py_DECREF(d);
			return NULL;
		}
		Py_DECREF(v);
	}
	if (f->metrics != NULL && PyDict_Update(d, f->metrics) != 0) {
		Py_DECREF(d);
		return NULL;
	}
	return d;
}

/* print(flow): one JSON object, the keys of l7probe's JSON output. */
static PyObject *
flow_str(FlowObject *f)
{
	PyObject *json, *d, *s;

	if ((d = flow_to_dict(f, NULL)) == NULL)
		return NULL;
	if ((json = PyImport_ImportModule("json")) == NULL) {
		Py_DECREF(d);
		return NULL;
	}
	s = PyObject_CallMethod(json, "dumps", "O", d);
	Py_DECREF(json);
	Py_DECREF(d);
	return s;
}

static PyMethodDef flow_methods[] = {
	{ "to_dict", (PyCFunction)flow_to_dict, METH_NOARGS,
	  "The flow's attributes and metrics as a dict." },
	{ NULL, NULL, 0, NULL }
};

static PyTypeObject FlowType = {
	PyVarObject_HEAD_INIT(NULL, 0)
	.tp_name = "l7probe.Flow",
	.tp_basicsize = sizeof(FlowObject),
	.tp_dealloc = (destructor)flow_dealloc,
	.tp_str = (reprfunc)flow_str,
	.tp_repr = (reprfunc)flow_str,
	.tp_flags = Py_TPFLAGS_DEFAULT,
	.tp_doc = "A flow: nfstream's attributes, metrics, classifiers.",
	.tp_members = flow_members,
	.tp_methods = flow_methods,
};

static FlowObject *
flow_new(void)
{
	FlowObject *f = PyObject_New(FlowObject, &FlowType);

	if (f == NULL)
		return NULL;
	memset((char *)f + sizeof(PyObject), 0,
	    sizeof(*f) - sizeof(PyObject));
	f->export_reason = -1;
	if ((f->metrics = PyDict_New()) == NULL ||
	    (f->classifiers = PyDict_New()) == NULL) {
		Py_DECREF(f);
		return NULL;
	}
	return f;
}

/* Sets *<slot> to str <s> unless it already is that. */
static int
set_str(PyObject **slot, const char *s)
{
	PyObject *o;

	if (*slot != NULL && PyUnicode_CompareWithASCIIString(*slot, s) == 0)
		return 0;
	if ((o = PyUnicode_DecodeUTF8(s, strlen(s), "replace")) == NULL)
		return -1;
	Py_XSETREF(*slot, o);
	return 0;
}

static int
flow_from_record(FlowObject *f, const struct l7_record *r)
{
	f->id = r->id;
	f->ip_version = r->ip_version;
	f->src_port = r->src_port;
	f->dst_port = r->dst_port;
	f->ip_protocol = r->ip_protocol;
	f->vlan_id = r->vlan_id;
	f->tunnel_id = r->tunnel_id;
	f->start_time = r->start_time;
	f->end_time = r->end_time;
	f->duration = r->duration;
	f->src_to_dst_pkts = r->src_to_dst_pkts;
	f->src_to_dst_bytes = r->src_to_dst_bytes;
	f->dst_to_src_pkts = r->dst_to_src_pkts;
	f->dst_to_src_bytes = r->dst_to_src_bytes;
	f->total_pkts = r->total_pkts;
	f->total_bytes = r->total_bytes;
	f->src_to_dst_tcp_flags = r->src_to_dst_tcp_flags;
	f->dst_to_src_tcp_flags = r->dst_to_src_tcp_flags;
	f->export_reason = r->export_reason;
	if (set_str(&f->ip_src, r->ip_src) != 0 ||
	    set_str(&f->ip_dst, r->ip_dst) != 0 ||
	    set_str(&f->application_name, r->application_name) != 0 ||
	    set_str(&f->category_name, r->category_name) != 0)
		return -1;
	return 0;
}

/* The live flow's counters, from the plugin view (each packet). */
static void
flow_from_view(FlowObject *f, const struct l7_flow *v)
{
	const struct l7_dir_counters *a = &v->c[0], *b = &v->c[1];
	uint64_t first, last;

	f->src_to_dst_pkts = a->pkts;
	f->src_to_dst_bytes = a->bytes;
	f->dst_to_src_pkts = b->pkts;
	f->dst_to_src_bytes = b->bytes;
	f->total_pkts = a->pkts + b->pkts;
	f->total_bytes = a->bytes + b->bytes;
	f->src_to_dst_tcp_flags = a->tcp_flags;
	f->dst_to_src_tcp_flags = b->tcp_flags;
	first = a->pkts == 0 ? b->first_us : b->pkts == 0 ? a->first_us :
	    a->first_us < b->first_us ? a->first_us : b->first_us;
	last = a->last_us > b->last_us ? a->last_us : b->last_us;
	f->start_time = first / 1000;
	f->end_time = last / 1000;
	f->duration = f->end_time - f->start_time;
}

static int
flow_init_view(FlowObject *f, const struct l7_flow *v)
{
	char src[46], dst[46];
	int fam = v->ip_version == 6 ? AF_INET6 : AF_INET;

	f->ip_version = v->ip_version;
	f->ip_protocol = v->proto;
	f->src_port = v->sport;
	f->dst_port = v->dport;
	f->vlan_id = v->vlan_id;
	f->tunnel_id = v->tunnel_id;
	if (inet_ntop(fam, v->src, src, sizeof(src)) == NULL ||
	    inet_ntop(fam, v->dst, dst, sizeof(dst)) == NULL)
		snprintf(src, sizeof(src), "?"), snprintf(dst, sizeof(dst), "?");
	flow_from_view(f, v);
	if (set_str(&f->ip_src, src) != 0 || set_str(&f->ip_dst, dst) != 0 ||
	    set_str(&f->application_name, v->app_name(v)) != 0 ||
	    set_str(&f->category_name, v->category_name(v)) != 0)
		return -1;
	return 0;
}

/* PacketInformation ------------------------------------------------------ */

typedef struct {
	PyObject_HEAD
	unsigned long long timestamp;	/* ms */
	unsigned int length;		/* IP total length */
	unsigned int size;		/* the same */
	unsigned int payload_size;
	int ip_protocol, src_port, dst_port, tcp_flags, direction;
} PacketObject;

static PyMemberDef pkt_members[] = {
	{ "timestamp", T_ULONGLONG, offsetof(PacketObject, timestamp),
	  READONLY, "ms since the epoch" },
	{ "length", T_UINT, offsetof(PacketObject, length), READONLY,
	  "IP total length" },
	{ "size", T_UINT, offsetof(PacketObject, size), READONLY,
	  "IP total length" },
	{ "payload_size", T_UINT, offsetof(PacketObject, payload_size),
	  READONLY, "L4 payload octets" },
	{ "ip_protocol", T_INT, offsetof(PacketObject, ip_protocol),
	  READONLY, NULL },
	{ "src_port", T_INT, offsetof(PacketObject, src_port), READONLY,
	  NULL },
	{ "dst_port", T_INT, offsetof(PacketObject, dst_port), READONLY,
	  NULL },
	{ "tcp_flags", T_INT, offsetof(PacketObject, tcp_flags), READONLY,
	  NULL },
	{ "direction", T_INT, offsetof(PacketObject, direction), READONLY,
	  "0 source to destination, 1 back" },
	{ NULL, 0, 0, 0, NULL }
};

static PyTypeObject PacketType = {
	PyVarObject_HEAD_INIT(NULL, 0)
	.tp_name = "l7probe.PacketInformation",
	.tp_basicsize = sizeof(PacketObject),
	.tp_dealloc = (destructor)PyObject_Del,
	.tp_flags = Py_TPFLAGS_DEFAULT,
	.tp_doc = "One packet, as metrics and classifiers see it.",
	.tp_members = pkt_members,
};

static PacketObject *
packet_new(const struct l7_pkt *p)
{
	PacketObject *o = PyObject_New(PacketObject, &PacketType);

	if (o == NULL)
		return NULL;
	o->timestamp = p->ts_us / 1000;
	o->length = p->ip_len;
	o->size = p->ip_len;
	o->payload_size = p->payload_len;
	o->ip_protocol = p->proto;
	o->src_port = p->sport;
	o->dst_port = p->dport;
	o->tcp_flags = p->tcp_flags;
	o->direction = p->dir;
	return o;
}

/* Streamer --------------------------------------------------------------- */

typedef struct {
	PyObject_HEAD
	struct l7_streamer *s;
	int n_metrics, n_classifiers, n_plugins;
	PyObject *metric_names[MAX_METRICS];	/* str */
	PyObject *metric_fns[MAX_METRICS];
	PyObject *classifiers[MAX_CLASSIFIERS];
	PyObject *classifier_names[MAX_CLASSIFIERS];
	struct l7_field fields[MAX_METRICS];
	char field_names[MAX_METRICS][64];
	struct l7_plugin plugin;
	struct l7_streamer_plugin up;
	PyObject *pending;			/* exception to raise */
	PyObject *orphans;			/* list: flows whose last
						 * record had no packets, kept
						 * while a queued record may
						 * point at them */
	int broken;				/* a callback raised */
	int exited;				/* on_exit() called */
} StreamerObject;

/* The per-flow state of the Python plugin. */
struct pystate {
	FlowObject *flow;
	uint64_t metric[];			/* [n_metrics] */
};

static void
keep_error(StreamerObject *st)
{
	PyObject *t, *v, *tb;

	if (st->pending == NULL) {
		PyErr_Fetch(&t, &v, &tb);
		PyErr_NormalizeException(&t, &v, &tb);
		if (tb != NULL && v != NULL)
			PyException_SetTraceback(v, tb);
		st->pending = v != NULL ? v : t;
		if (v != NULL)
			Py_XDECREF(t);
		Py_XDECREF(tb);
	} else {
		PyErr_Clear();
	}
	st->broken = 1;
}

static void
py_on_flow_init(void *ctx, void *state, const struct l7_flow *v)
{
	StreamerObject *st = ctx;
	struct pystate *ps = state;
	FlowObject *f;
	PyObject *d, *r;
	int i;

	if (st->broken)
		return;
	if ((f = flow_new()) == NULL)
		goto fail;
	ps->flow = f;
	if (flow_init_view(f, v) != 0)
		goto fail;
	for (i = 0; i < st->n_metrics; i++) {
		if ((r = PyLong_FromLong(0)) == NULL)
			goto fail;
		if (PyDict_SetItem(f->metrics, st->metric_names[i], r) != 0) {
			Py_DECREF(r);
			goto fail;
		}
		Py_DECREF(r);
	}
	for (i = 0; i < st->n_classifiers; i++) {
		if ((d = PyDict_New()) == NULL)
			goto fail;
		if (PyDict_SetItem(f->classifiers, st->classifier_names[i],
		    d) != 0) {
			Py_DECREF(d);
			goto fail;
		}
		Py_DECREF(d);
	}
	for (i = 0; i < st->n_classifiers; i++) {
		if ((r = PyObject_CallMethod(st->classifiers[i],
		    "on_flow_init", "O", f)) == NULL)
			goto fail;
		Py_DECREF(r);
	}
	return;
fail:
	keep_error(st);
}

static int
py_on_flow_update(void *ctx, void *state, const struct l7_pkt *p,
    const struct l7_flow *v)
{
	StreamerObject *st = ctx;
	struct pystate *ps = state;
	FlowObject *f = ps->flow;
	PacketObject *pk;
	PyObject *r;
	int i;

	if (st->broken || f == NULL)
		return L7_CONTINUE;
	flow_from_view(f, v);
	if (set_str(&f->application_name, v->app_name(v)) != 0 ||
	    set_str(&f->category_name, v->category_name(v)) != 0 ||
	    (pk = packet_new(p)) == NULL)
		goto fail;
	for (i = 0; i < st->n_metrics; i++) {
		r = PyObject_CallFunction(st->metric_fns[i], "OOi", pk, f,
		    (int)p->dir);
		if (r == NULL || PyDict_SetItem(f->metrics,
		    st->metric_names[i], r) != 0) {
			Py_XDECREF(r);
			Py_DECREF(pk);
			goto fail;
		}
		/* The exported field: the value when it is a count. */
		ps->metric[i] = PyLong_Check(r) ?
		    PyLong_AsUnsignedLongLongMask(r) : 0;
		Py_DECREF(r);
	}
	for (i = 0; i < st->n_classifiers; i++) {
		if ((r = PyObject_CallMethod(st->classifiers[i],
		    "on_flow_update", "OOi", pk, f, (int)p->dir)) == NULL) {
			Py_DECREF(pk);
			goto fail;
		}
		Py_DECREF(r);
	}
	Py_DECREF(pk);
	return f->export_reason == 3 ? L7_EXPORT_NOW : L7_CONTINUE;
fail:
	keep_error(st);
	return L7_CONTINUE;
}

/* The classifiers' on_flow_terminate for <flow>; the first error is kept
 * and ends the calls. */
static void
call_terminate(StreamerObject *st, FlowObject *flow)
{
	PyObject *r;
	int i;

	for (i = 0; i < st->n_classifiers; i++) {
		if ((r = PyObject_CallMethod(st->classifiers[i],
		    "on_flow_terminate", "O", flow)) == NULL) {
			keep_error(st);
			return;
		}
		Py_DECREF(r);
	}
}

static void
py_on_flow_terminate(void *ctx, void *state, const struct l7_flow *v)
{
	StreamerObject *st = ctx;
	struct pystate *ps = state;

	if (ps->flow == NULL)
		return;
	/* Every flow that had on_flow_init gets on_flow_terminate, also
	 * when its last record has no packet (cut by the active timeout,
	 * then silent): the flow object is then as its last record with
	 * packets left it. */
	if (!st->broken && v->c[0].pkts + v->c[1].pkts == 0)
		call_terminate(st, ps->flow);
	/* A record without packets is never handed out: nobody takes the
	 * state's reference but here. */
	if (v->c[0].pkts + v->c[1].pkts == 0) {
		/* An earlier, active-timeout record of it may still be
		 * queued, pointing at it: kept until the queue is empty. */
		if ((st->orphans == NULL &&
		    (st->orphans = PyList_New(0)) == NULL) ||
		    PyList_Append(st->orphans, (PyObject *)ps->flow) != 0) {
			/* Out of memory: kept for good rather than freed
			 * under a queued record. */
			keep_error(st);
			ps->flow = NULL;
			return;
		}
		Py_CLEAR(ps->flow);
		return;
	}
	if (st->broken)
		return;
	flow_from_view(ps->flow, v);
	call_terminate(st, ps->flow);
}

static void
py_on_exit(void *ctx)
{
	StreamerObject *st = ctx;
	PyObject *r;
	int i;

	if (st->exited)
		return;
	st->exited = 1;
	for (i = 0; i < st->n_classifiers; i++) {
		if (!PyObject_HasAttrString(st->classifiers[i], "on_exit"))
			continue;
		if ((r = PyObject_CallMethod(st->classifiers[i], "on_exit",
		    NULL)) == NULL) {
			keep_error(st);
			return;
		}
		Py_DECREF(r);
	}
}

/*
 * Ends the iteration early: every record not yet handed out (the queued
 * ones, then the flows still open, ended now) gives back the reference
 * its flow's state holds to the flow object, which nobody else will take.
 * Hooks run as at any end (on_flow_terminate); the GIL is held.
 */
static void
streamer_drain(StreamerObject *st)
{
	const struct l7_record *r;
	struct pystate *ps;
	PyObject *t, *v, *tb;

	PyErr_Fetch(&t, &v, &tb);
	l7_streamer_close(st->s);
	while (l7_streamer_next(st->s, -1, &r) == L7_FLOW) {
		ps = (struct pystate *)(uintptr_t)l7_record_state(r,
		    st->n_plugins);
		/* An active-timeout part shares the reference with the
		 * flow, which goes on: its last record has it. */
		if (ps != NULL && r->export_reason != 1)
			Py_CLEAR(ps->flow);
	}
	PyErr_Clear();
	PyErr_Restore(t, v, tb);
}

static void
streamer_clear(StreamerObject *st)
{
	int i;

	if (st->s != NULL) {
		if (st->n_metrics + st->n_classifiers > 0)
			streamer_drain(st);
		/* on_exit() runs in here, with the GIL held. */
		l7_streamer_free(st->s);
		st->s = NULL;
	}
	Py_CLEAR(st->orphans);
	for (i = 0; i < st->n_metrics; i++) {
		Py_CLEAR(st->metric_names[i]);
		Py_CLEAR(st->metric_fns[i]);
	}
	for (i = 0; i < st->n_classifiers; i++) {
		Py_CLEAR(st->classifiers[i]);
		Py_CLEAR(st->classifier_names[i]);
	}
	st->n_metrics = st->n_classifiers = 0;
}

static void
streamer_dealloc(StreamerObject *st)
{
	streamer_clear(st);
	Py_CLEAR(st->pending);
	Py_TYPE(st)->tp_free((PyObject *)st);
}

/* A list of str options (collectors, plugins) into <out>. */
static int
str_list(PyObject *o, const char *what, const char **out, int max, int *n)
{
	PyObject *seq, *it;
	Py_ssize_t i, len;

	*n = 0;
	if (o == NULL || o == Py_None)
		return 0;
	if ((seq = PySequence_Fast(o, what)) == NULL)
		return -1;
	len = PySequence_Fast_GET_SIZE(seq);
	if (len > max) {
		PyErr_Format(PyExc_ValueError, "%s: at most %d", what, max);
		Py_DECREF(seq);
		return -1;
	}
	for (i = 0; i < len; i++) {
		it = PySequence_Fast_GET_ITEM(seq, i);
		/* Borrowed from the list, which the caller's kwargs keep. */
		if ((out[i] = PyUnicode_AsUTF8(it)) == NULL) {
			Py_DECREF(seq);
			return -1;
		}
	}
	*n = (int)len;
	Py_DECREF(seq);
	return 0;
}

static int
set_callbacks(StreamerObject *st, PyObject *metrics, PyObject *classifiers)
{
	PyObject *key, *val, *seq, *name;
	Py_ssize_t pos = 0, i, len;
	const char *s;
	int n;

	if (metrics != NULL && metrics != Py_None) {
		if (!PyDict_Check(metrics)) {
			PyErr_SetString(PyExc_TypeError, "user_metrics: a dict "
			    "{name: callable(packet_information, flow, "
			    "direction)}");
			return -1;
		}
		while (PyDict_Next(metrics, &pos, &key, &val)) {
			n = st->n_metrics;
			if (n == MAX_METRICS) {
				PyErr_Format(PyExc_ValueError, "user_metrics: at "
				    "most %d", MAX_METRICS);
				return -1;
			}
			if (!PyUnicode_Check(key) || !PyCallable_Check(val)) {
				PyErr_SetString(PyExc_TypeError, "user_metrics: "
				    "names are str, values callables");
				return -1;
			}
			if ((s = PyUnicode_AsUTF8(key)) == NULL)
				return -1;
			snprintf(st->field_names[n], sizeof(st->field_names[n]),
			    "%s", s);
			st->fields[n].name = st->field_names[n];
			st->fields[n].type = L7_U64;
			st->fields[n].id = METRIC_ID_BASE + n;
			st->fields[n].offset = offsetof(struct pystate,
			    metric) + 8 * (size_t)n;
			st->fields[n].desc = "user metric (Python)";
			Py_INCREF(key);
			Py_INCREF(val);
			st->metric_names[n] = key;
			st->metric_fns[n] = val;
			st->n_metrics++;
		}
	}
	if (classifiers != NULL && classifiers != Py_None) {
		if ((seq = PySequence_Fast(classifiers, "user_classifiers: a "
		    "list of classifier objects")) == NULL)
			return -1;
		len = PySequence_Fast_GET_SIZE(seq);
		for (i = 0; i < len; i++) {
			val = PySequence_Fast_GET_ITEM(seq, i);
			if (st->n_classifiers == MAX_CLASSIFIERS) {
				PyErr_Format(PyExc_ValueError, "user_classifiers:"
				    " at most %d", MAX_CLASSIFIERS);
				Py_DECREF(seq);
				return -1;
			}
			if ((name = PyObject_GetAttrString(val, "name")) ==
			    NULL || !PyUnicode_Check(name)) {
				Py_XDECREF(name);
				PyErr_Clear();
				PyErr_SetString(PyExc_TypeError, "user_classifiers:"
				    " each needs a str 'name'");
				Py_DECREF(seq);
				return -1;
			}
			Py_INCREF(val);
			st->classifiers[st->n_classifiers] = val;
			st->classifier_names[st->n_classifiers++] = name;
		}
		Py_DECREF(seq);
	}
	return 0;
}

static int
streamer_init(StreamerObject *st, PyObject *args, PyObject *kw)
{
	static char *kwlist[] = { "source", "capacity", "active_timeout",
		"inactive_timeout", "user_metrics", "user_classifiers",
		"enable_ndpi", "bpf_filter", "snaplen", "decode_tunnels",
		"n_dissections", "collectors", "plugins", "template",
		"promisc", NULL };
	struct l7_streamer_conf c;
	const char *collectors[16], *plugins[16];
	PyObject *metrics = NULL, *classifiers = NULL, *coll = NULL,
	    *plug = NULL;
	unsigned int cap, at, it, snap, dissect;
	int ndpi, tunnels, promisc;
	char err[L7_ERR_SIZE];

	streamer_clear(st);
	Py_CLEAR(st->pending);
	st->broken = st->exited = 0;
	l7_streamer_conf_init(&c);
	cap = c.capacity;
	at = c.active_timeout;
	it = c.inactive_timeout;
	snap = c.snaplen;
	dissect = c.dpi_packets;
	ndpi = c.enable_ndpi;
	tunnels = c.tunnels;
	promisc = c.promisc;
	if (!PyArg_ParseTupleAndKeywords(args, kw, "s|IIIOOpzIpIOOzp", kwlist,
	    &c.source, &cap, &at, &it, &metrics, &classifiers, &ndpi,
	    &c.bpf_filter, &snap, &tunnels, &dissect, &coll, &plug,
	    &c.template, &promisc))
		return -1;
	c.capacity = cap;
	c.active_timeout = at;
	c.inactive_timeout = it;
	c.snaplen = snap;
	c.dpi_packets = dissect;
	c.enable_ndpi = ndpi;
	c.tunnels = tunnels;
	c.promisc = promisc;
	if (c.template == NULL)
		c.template = "default";
	if (str_list(coll, "collectors", collectors, 16, &c.n_collectors) != 0 ||
	    str_list(plug, "plugins", plugins, 16, &c.n_plugins) != 0)
		return -1;
	c.collectors = collectors;
	c.plugins = plugins;
	st->n_plugins = c.n_plugins;
	if (set_callbacks(st, metrics, classifiers) != 0) {
		streamer_clear(st);
		return -1;
	}
	if (st->n_metrics + st->n_classifiers > 0) {
		memset(&st->plugin, 0, sizeof(st->plugin));
		st->plugin.api_version = L7_PLUGIN_API_VERSION;
		st->plugin.name = "python";
		st->plugin.fields = st->fields;
		st->plugin.n_fields = (size_t)st->n_metrics;
		st->plugin.state_size = sizeof(struct pystate) +
		    8 * (size_t)st->n_metrics;
		st->plugin.on_exit = py_on_exit;
		st->plugin.on_flow_init = py_on_flow_init;
		st->plugin.on_flow_update = py_on_flow_update;
		st->plugin.on_flow_terminate = py_on_flow_terminate;
		st->up.plugin = &st->plugin;
		st->up.ctx = st;
		c.user_plugins = &st->up;
		c.n_user_plugins = 1;
	}
	if ((st->s = l7_streamer_open(&c, err, sizeof(err))) == NULL) {
		streamer_clear(st);
		PyErr_SetString(PyExc_ValueError, err);
		return -1;
	}
	return 0;
}

static PyObject *
streamer_iter(PyObject *self)
{
	Py_INCREF(self);
	return self;
}

static PyObject *
raise_pending(StreamerObject *st)
{
	PyObject *e = st->pending;

	st->pending = NULL;
	PyErr_SetObject((PyObject *)Py_TYPE(e), e);
	Py_DECREF(e);
	return NULL;
}

static PyObject *
streamer_next(StreamerObject *st)
{
	const struct l7_record *r;
	const struct pystate *ps;
	FlowObject *f = NULL;
	int rc, callbacks = st->n_metrics + st->n_classifiers > 0;

	if (st->pending != NULL)
		return raise_pending(st);
	if (st->s == NULL)
		return NULL;		/* StopIteration */
	/* Every record handed out took its own reference. */
	if (st->orphans != NULL && l7_streamer_queued(st->s) == 0)
		Py_CLEAR(st->orphans);
	for (;;) {
		if (callbacks) {
			rc = l7_streamer_next(st->s, WAIT_MS, &r);
		} else {
			Py_BEGIN_ALLOW_THREADS
			rc = l7_streamer_next(st->s, WAIT_MS, &r);
			Py_END_ALLOW_THREADS
		}
		if (st->pending != NULL)
			return raise_pending(st);
		if (rc != L7_TIMEOUT)
			break;
		/* Live and quiet: Ctrl-C and friends. */
		if (PyErr_CheckSignals() != 0)
			return NULL;
	}
	if (rc == L7_END || rc < 0) {
		PyObject *msg = NULL;

		if (rc < 0)
			msg = PyUnicode_FromString(l7_streamer_error(st->s));
		streamer_clear(st);
		if (st->pending != NULL) {
			Py_XDECREF(msg);
			return raise_pending(st);
		}
		if (msg != NULL) {
			PyErr_SetObject(PyExc_OSError, msg);
			Py_DECREF(msg);
		}
		return NULL;
	}
	if (callbacks && (ps = l7_record_state(r, st->n_plugins)) != NULL &&
	    ps->flow != NULL) {
		f = ps->flow;
		/* The last record of the flow takes the state's reference;
		 * an active-timeout part shares it (the flow goes on). */
		if (r->export_reason == 1)
			Py_INCREF(f);
	}
	if (f == NULL && (f = flow_new()) == NULL)
		return NULL;
	if (flow_from_record(f, r) != 0) {
		Py_DECREF(f);
		return NULL;
	}
	return (PyObject *)f;
}

static PyObject *
streamer_close(StreamerObject *st, PyObject *noarg)
{
	(void)noarg;
	if (st->s != NULL)
		l7_streamer_close(st->s);
	Py_RETURN_NONE;
}

static PyMethodDef streamer_methods[] = {
	{ "close", (PyCFunction)streamer_close, METH_NOARGS,
	  "End the iteration: open flows are still yielded, then it stops. "
	  "Safe from another thread." },
	{ NULL, NULL, 0, NULL }
};

static PyTypeObject StreamerType = {
	PyVarObject_HEAD_INIT(NULL, 0)
	.tp_name = "l7probe.Streamer",
	.tp_basicsize = sizeof(StreamerObject),
	.tp_dealloc = (destructor)streamer_dealloc,
	.tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
	.tp_doc = "Streamer(source, capacity=128000, active_timeout=120, "
	    "inactive_timeout=120, user_metrics=None, user_classifiers=None, "
	    "enable_ndpi=True, bpf_filter=None, snaplen=65535, ...): iterate "
	    "over the flows of a capture file or an interface.",
	.tp_iter = streamer_iter,
	.tp_iternext = (iternextfunc)streamer_next,
	.tp_methods = streamer_methods,
	.tp_init = (initproc)streamer_init,
	.tp_new = PyType_GenericNew,
};

/* Module ------------------------------------------------------------------ */

/* The base class of classifiers, as nfstream's NFStreamClassifier. */
static const char classifier_src[] =
	"class Classifier:\n"
	"    \"\"\"Base of user classifiers: override the hooks you need.\"\"\"\n"
	"    def __init__(self, name):\n"
	"        self.name = name\n"
	"    def on_flow_init(self, flow):\n"
	"        pass\n"
	"    def on_flow_update(self, packet_information, flow, direction):\n"
	"        pass\n"
	"    def on_flow_terminate(self, flow):\n"
	"        pass\n"
	"    def on_exit(self):\n"
	"        pass\n";

static struct PyModuleDef l7probe_module = {
	PyModuleDef_HEAD_INIT,
	.m_name = "l7probe",
	.m_doc = "l7probe: a flow meter (nfstream's Streamer API over the "
	    "l7probe engine).",
	.m_size = -1,
};

PyMODINIT_FUNC PyInit_l7probe(void);

PyMODINIT_FUNC
PyInit_l7probe(void)
{
	PyObject *m, *g, *r, *cls;

	if (PyType_Ready(&FlowType) < 0 || PyType_Ready(&PacketType) < 0 ||
	    PyType_Ready(&StreamerType) < 0)
		return NULL;
	if ((m = PyModule_Create(&l7probe_module)) == NULL)
		return NULL;
	Py_INCREF(&StreamerType);
	Py_INCREF(&FlowType);
	Py_INCREF(&PacketType);
	if (PyModule_AddObject(m, "Streamer", (PyObject *)&StreamerType) ||
	    PyModule_AddObject(m, "Flow", (PyObject *)&FlowType) ||
	    PyModule_AddObject(m, "PacketInformation",
	    (PyObject *)&PacketType) ||
	    PyModule_AddStringConstant(m, "__version__", PACKAGE_VERSION))
		goto fail;
	g = PyModule_GetDict(m);
	if (PyDict_SetItemString(g, "__builtins__", PyEval_GetBuiltins()) != 0 ||
	    (r = PyRun_String(classifier_src, Py_file_input, g, g)) == NULL)
		goto fail;
	Py_DECREF(r);
	/* nfstream's names for the same things. */
	if ((cls = PyDict_GetItemString(g, "Classifier")) == NULL ||
	    PyDict_SetItemString(g, "NFStreamClassifier", cls) != 0 ||
	    PyDict_SetItemString(g, "NFStreamer",
	    (PyObject *)&StreamerType) != 0)
		goto fail;
	return m;
fail:
	Py_DECREF(m);
	return NULL;
}
