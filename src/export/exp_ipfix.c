/*
 * exp_ipfix.c - IPFIX export (RFC 7011) with libfixbuf, over UDP, TCP or
 * into an RFC 5655 file.
 *
 * Pipeline position: flow records -> [IPFIX encoder] -> transport.
 * libfixbuf encodes, our transport sends: the fbExporter is a buffer
 * exporter (fbExporterAllocBuffer) over <msg>, the fBuf runs in manual
 * mode, so every full message comes back to us as FB_ERROR_EOM; we emit
 * it (libfixbuf copies it into <msg>), hand it to the transport whole,
 * and append again into a fresh message. This file owns the info model,
 * the fBuf and, through it, the session and exporter; nobody else sees
 * them.
 *
 * Templates come from the one IE registry (src/ie): the -T definition is
 * derived per IP family (and RFC 5103 biflow with --biflow), every field
 * looked up in libfixbuf's model by (PEN, id). Template ids are fixed, so
 * they are stable across runs and reconnections of one observation
 * domain:
 *	256/257	flow records, IPv4/IPv6 (uniflow, the default)
 *	258/259	biflow records (RFC 5103), IPv4/IPv6
 *	260	RFC 5610 information element type (libfixbuf's template)
 *	261	RFC 6759 application id -> name, description (category)
 *	262	exporter statistics (RFC 7011 4.3 style, as YAF)
 * The internal (in-memory) template of a flow record has the same
 * elements at natural sizes, strings first as fbVarfield_t; libfixbuf
 * transcodes to the wire sizes (reduced-size encoding) and order.
 *
 * When templates go: UDP before the first data record and again every
 * template_refresh_s seconds and every template_refresh_pkts messages
 * (RFC 7011 8.4); TCP first on every new connection (on_connect hook),
 * ahead of the queued data; a file first, and first again in the new
 * file after a SIGHUP (exp_reopen); Kafka ("ipfix+kafka", or
 * "kafka://...?format=ipfix") before every message of flow records: each
 * flow end is one message keyed by the flow (exp_flow_key), and the
 * template messages before it carry the same key, so they land in its
 * partition first and any partition decodes from its start. Sequence
 * numbers are stamped by the transport as each message goes on the wire
 * (stamp_seq); in Kafka they count the whole export, so one partition
 * shows gaps that are the other partitions' records. With them go the RFC 5610
 * records of every enterprise element the templates use and the RFC 6759
 * records of the applications seen so far; a new application gets its
 * record just before its first flow record. Over UDP the application
 * records (one per application seen: with nDPI, hundreds, more bytes
 * than the flow records if they went every template_refresh_pkts
 * messages) go with the first templates and then every
 * template_refresh_s seconds only; a refresh by count carries the
 * templates and type records. In Kafka, where templates go before every
 * flow's message, a message carries the record of its flow's application
 * only, not the whole table. An exporter statistics
 * record goes every template_refresh_s seconds and at the end.
 *
 * Records: uniflow by default, one record per direction with packets
 * (ie.h explains the orientation); --biflow: one RFC 5103 record. Strings
 * are cut to 255 octets (one-octet length), and to 16 when a record
 * would not fit an empty message otherwise.
 *
 * Errors: a UDP send that fails, a full TCP queue and a file write that
 * fails (disk full) lose the message, counted by the transport and
 * reported by print_stats/finish; they are not write errors, the probe
 * goes on. Only a transport that can never deliver again (a closed pipe)
 * makes the exporter fail (export.h).
 *
 * The options records (RFC 5610 types, RFC 6759 applications, exporter
 * statistics) are laid out in ipfix_opts.c; what both files share is in
 * ipfix_int.h. Times (template and statistics periods) are the probe's
 * (exp_now_us), never a clock read here.
 *
 * Capture thread only. RFCs 7011, 5103, 5610, 5655, 6759.
 */
#include "export/ipfix_int.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <fixbuf/public.h>
#include <fixbuf/version.h>

#include "ie/ie.h"
#include "transport/transport.h"

/* The transport under the exporter, by scheme (enum xp_kind). */
static const char *const xp_transport[] = { "udp", "tcp", "file", "kafka" };
/* Logs a libfixbuf error once per exporter; clears it. */
int
ipfix_fb_fail(struct ipfix_priv *xp, const char *what, GError **gerr)
{
	if (!xp->warned) {
		log_err("collector '%s': %s: %s", xp->uri, what, *gerr != NULL ?
		    (*gerr)->message : "libfixbuf error");
		xp->warned = 1;
	}
	g_clear_error(gerr);
	return -EIO;
}

/* Messages ------------------------------------------------------------ */

/* The sequence number: octets 8-11 of the message header (RFC 7011 3.1). */
#define SEQ_OFF	8

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/*
 * When a record of another template does not fit, libfixbuf has already
 * opened the new set: the message would end in a set of no record, which
 * collectors flag ("No flow information"). Drops it and returns the new
 * message length.
 */
static size_t
trim_empty_set(uint8_t *msg, size_t len)
{
	size_t off = 16, setlen;

	while (off + 4 <= len) {
		setlen = (size_t)msg[off + 2] << 8 | msg[off + 3];
		if (setlen == 4 && off + 4 == len) {
			msg[2] = (uint8_t)(off >> 8);
			msg[3] = (uint8_t)off;
			return off;
		}
		if (setlen < 4)
			break;
		off += setlen;
	}
	return len;
}

/*
 * Hands the message being built to the transport. Its sequence number is
 * not libfixbuf's: the transport stamps it (stamp_seq) when the message
 * goes on the wire, so queued messages never need renumbering and each
 * stream is gapless (RFC 7011 3.1: data records sent in this stream).
 * Returns 0, or the transport's fatal error (a closed pipe): transient
 * failures (a full queue, a refused datagram, a full disk) are counted
 * by the transport and the exporter goes on.
 */
int
ipfix_emit(struct ipfix_priv *xp)
{
	GError *gerr = NULL;
	struct tr_msg m;
	size_t len;
	uint32_t n, n_data;
	int rc;

	if (!xp->dirty)
		return 0;
	n = xp->msg_records;
	n_data = xp->msg_data;
	xp->dirty = 0;
	xp->msg_records = 0;
	xp->msg_data = 0;
	if (!fBufEmit(xp->fbuf, &gerr))
		return ipfix_fb_fail(xp, "cannot build a message", &gerr);
	len = trim_empty_set(xp->msg, fbExporterGetMsgLen(xp->fbex));
	if (len < 16)
		return 0;
	xp->msgs_since_tmpl++;
	xp->flow_records += n;
	memset(&m, 0, sizeof(m));
	m.data = xp->msg;
	m.len = len;
	m.n_records = n;
	m.n_seq = n_data;
	m.flags = xp->first ? TR_MSG_FIRST : 0;
	if (xp->kind == XP_KAFKA) {
		/* A flow's messages carry its key; the others (statistics)
		 * one key of their own, so the templates before them land in
		 * their partition too. */
		m.key = xp->key_len > 0 ? xp->key : (const uint8_t *)"options";
		m.key_len = xp->key_len > 0 ? xp->key_len : 7;
	}
	rc = tr_send(xp->tr, &m);
	if ((xp->fatal = tr_fatal(xp->tr)) != 0)
		return xp->fatal;
	if (rc == -ENOBUFS && !xp->queue_warned) {
		xp->queue_warned = 1;
		log_warn("collector '%s': export queue full (%" PRIu32
		    " records): records are dropped until the collector takes "
		    "them (--export-queue)", xp->uri, xp->conf->export_queue);
	}
	return 0;
}

static void write_templates(struct ipfix_priv *xp);

static int
templates_due(struct ipfix_priv *xp)
{
	switch (xp->kind) {
	case XP_TCP:
		return 0;		/* on every connection instead */
	case XP_FILE:
		return 0;		/* on every new file (on_connect) */
	case XP_KAFKA:
		return 1;		/* before every flow's message */
	case XP_UDP:
		break;
	}
	return !xp->tmpl_sent ||
	    xp->msgs_since_tmpl >= xp->conf->template_refresh_pkts ||
	    exp_now_us(xp->conf) >= xp->next_tmpl_us;
}

/*
 * Appends one record of template <tid> (internal and external) to the
 * message, emitting the message first when it is full. A message begun
 * here starts with the templates when they are due. <flow>: a flow
 * record (counted per message for the transport). Returns 0, -EMSGSIZE
 * when the record does not fit an empty message, -EIO on a libfixbuf
 * error, or a file write error.
 */
int
ipfix_append(struct ipfix_priv *xp, uint16_t tid, void *rec, size_t len, int flow)
{
	GError *gerr = NULL;
	int tries, rc, wrote = 0;

	for (tries = 0; tries < 3; tries++) {
		/* libfixbuf ends a message after templates (EOM at the next
		 * record): the record goes in the next one, without the
		 * templates again (in Kafka, always due). */
		if (!xp->dirty && !xp->in_tmpl && !wrote && templates_due(xp)) {
			write_templates(xp);
			wrote = 1;
		}
		if (xp->fatal)
			return xp->fatal;
		if (!fBufSetInternalTemplate(xp->fbuf, tid, &gerr) ||
		    !fBufSetExportTemplate(xp->fbuf, tid, &gerr))
			return ipfix_fb_fail(xp, "cannot select a template", &gerr);
		if (fBufAppend(xp->fbuf, rec, len, &gerr)) {
			xp->dirty = 1;
			if (flow)
				xp->msg_records++;
			xp->msg_data++;
			return 0;
		}
		if (!g_error_matches(gerr, FB_ERROR_DOMAIN, FB_ERROR_EOM))
			return ipfix_fb_fail(xp, "cannot append a record", &gerr);
		g_clear_error(&gerr);
		/* EOM on an empty message: libfixbuf opened the set and
		 * wants one more call (as in put_template). */
		if (!xp->dirty && tries > 0)
			break;
		if ((rc = ipfix_emit(xp)) != 0)
			return rc;
	}
	/* Nothing of ours in the message: drop whatever libfixbuf began. */
	if (!fBufEmit(xp->fbuf, &gerr))
		g_clear_error(&gerr);
	return -EMSGSIZE;
}

/* Exports one template. */
void
ipfix_put_template(struct ipfix_priv *xp, uint16_t tid)
{
	GError *gerr = NULL;
	int tries;

	/* EOM on an empty message is libfixbuf opening a template set (it
	 * wants one more call); on a full one, the message is done. */
	for (tries = 0; tries < 3 && !xp->fatal; tries++) {
		if (fbSessionExportTemplate(xp->session, tid, &gerr)) {
			xp->dirty = 1;
			return;
		}
		if (!g_error_matches(gerr, FB_ERROR_DOMAIN, FB_ERROR_EOM))
			break;
		g_clear_error(&gerr);
		ipfix_emit(xp);
	}
	if (xp->fatal)
		return;
	ipfix_fb_fail(xp, "cannot write templates", &gerr);
}

/* Templates, RFC 5610 type records and RFC 6759 application records. The
 * type records go before the templates that use their elements, so a
 * collector that learns elements from them (libfixbuf's automatic
 * insert) knows every field when it reads the templates. */
static void
write_templates(struct ipfix_priv *xp)
{
	uint64_t now = exp_now_us(xp->conf);
	uint64_t period = (uint64_t)xp->conf->template_refresh_s * 1000000u;
	int rows;
	size_t i;

	switch (xp->kind) {
	case XP_KAFKA:
		rows = 0;	/* each flow's own, with it */
		break;
	case XP_UDP:
		rows = !xp->tmpl_sent || now >= xp->next_apps_us;
		break;
	default:
		rows = 1;
		break;
	}
	xp->in_tmpl = 1;
	ipfix_put_types(xp);
	for (i = 0; i < 2; i++)
		if (!xp->no_family[i])
			ipfix_put_template(xp, xp->dt[i].tid);
	ipfix_put_apps(xp, rows);
	xp->in_tmpl = 0;
	xp->tmpl_sent = 1;
	xp->msgs_since_tmpl = 0;
	xp->next_tmpl_us = now + period;
	if (rows)
		xp->next_apps_us = now + period;
}

/* The transport's stamp hook: the sequence number of a message going on
 * the wire now. */
static void
stamp_seq(uint8_t *data, size_t len, uint32_t n_seq, void *arg)
{
	struct ipfix_priv *xp = arg;

	if (len >= 16)
		put32(data + SEQ_OFF, xp->wire_seq);
	xp->wire_seq += n_seq;
}

/*
 * A new stream: a TCP connection is up, a file was created or reopened.
 * Its first messages are our templates and options records, ahead of the
 * data queued while the collector was away (TR_MSG_FIRST); the transport
 * numbers every message as it goes out (stamp_seq).
 */
static void
on_connect(struct transport *tr, void *arg)
{
	struct ipfix_priv *xp = arg;

	xp->tr = tr;
	/* Normally nothing is pending here; if it is, it is data and goes
	 * behind the templates like the rest of the queue. */
	ipfix_emit(xp);
	xp->first = 1;
	write_templates(xp);
	ipfix_emit(xp);
	xp->first = 0;
}

/* Records --------------------------------------------------------------- */

static int
is_counter(const struct ie_def *def)
{
	return def->semantics == IE_S_QUANTITY ||
	    def->semantics == IE_S_TOTAL_COUNTER ||
	    def->semantics == IE_S_DELTA_COUNTER;
}

/* Writes an unsigned of <len> octets (1, 2, 4 or 8), host order. */
static void
put_host(uint8_t *out, uint64_t v, size_t len)
{
	uint8_t u8 = (uint8_t)v;
	uint16_t u16 = (uint16_t)v;
	uint32_t u32 = (uint32_t)v;

	switch (len) {
	case 1:	memcpy(out, &u8, 1); break;
	case 2:	memcpy(out, &u16, 2); break;
	case 4:	memcpy(out, &u32, 4); break;
	default: memcpy(out, &v, 8); break;
	}
}

/* Fills the internal record of <t> for <r>; strings cut at <str_max>. */
static void
fill(struct ipfix_priv *xp, const struct dtmpl *t, const struct ie_rec *r,
    size_t str_max)
{
	const struct fld *f;
	const uint8_t *p;
	fbVarfield_t vf;
	uint64_t v;
	size_t i, n;

	memset(xp->rec, 0, t->rec_len);
	for (i = 0; i < t->n; i++) {
		f = &t->f[i];
		switch (f->ie->type) {
		case IE_T_UNSIGNED8:
		case IE_T_UNSIGNED16:
		case IE_T_UNSIGNED32:
		case IE_T_UNSIGNED64:
		case IE_T_SIGNED64:
		case IE_T_FLOAT64:
		case IE_T_DATETIME_MS:
			/* signed64 and float64 come as their 64 bits, which
			 * in host order are the value libfixbuf expects. */
			v = ie_get_uint(f->ie, r, f->reverse);
			/* libfixbuf keeps the low octets of a reduced-size
			 * field; a counter saturates instead (RFC 7011 6.2). */
			if (f->wire_len < 8 && is_counter(f->ie) &&
			    v >> (f->wire_len * 8) != 0)
				v = (UINT64_C(1) << (f->wire_len * 8)) - 1;
			put_host(xp->rec + f->off, v, f->mem_len);
			break;
		case IE_T_IPV4_ADDRESS:
			/* An endian element: host order in memory. */
			if (ie_get_bytes(f->ie, r, f->reverse, &p,
			    xp->scratch[i]) == 4)
				put_host(xp->rec + f->off,
				    (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
				    (uint32_t)p[2] << 8 | p[3], 4);
			break;
		default:
			n = ie_get_bytes(f->ie, r, f->reverse, &p,
			    xp->scratch[i]);
			if (f->mem_len == FB_IE_VARLEN) {
				memset(&vf, 0, sizeof(vf));
				vf.len = n < str_max ? n : str_max;
				vf.buf = (uint8_t *)(uintptr_t)p;
				memcpy(xp->rec + f->off, &vf, sizeof(vf));
			} else
				memcpy(xp->rec + f->off, p, n < f->mem_len ?
				    n : f->mem_len);
			break;
		}
	}
}

static int
put_record(struct ipfix_priv *xp, const struct dtmpl *t,
    const struct ie_rec *r)
{
	int rc;

	fill(xp, t, r, STR_MAX);
	if ((rc = ipfix_append(xp, t->tid, xp->rec, t->rec_len, 1)) != -EMSGSIZE)
		return rc;
	fill(xp, t, r, STR_MIN);
	if ((rc = ipfix_append(xp, t->tid, xp->rec, t->rec_len, 1)) != -EMSGSIZE)
		return rc;
	if (xp->too_big++ == 0)
		log_warn("collector '%s': a record does not fit a message of "
		    "%zu bytes even with short strings; such records are "
		    "dropped (raise --mtu or shorten the template)", xp->uri,
		    xp->msg_size);
	return 0;
}

static int ipfix_write_records(struct ipfix_priv *xp,
    const struct exp_record *rec);

static int
ipfix_write(struct exporter *ex, const struct exp_record *rec)
{
	struct ipfix_priv *xp = exp_priv(ex);
	int rc;

	if (xp->fatal)
		return xp->fatal;
	if (xp->kind == XP_KAFKA) {
		/* One flow's records, one message, keyed by the flow. */
		ipfix_emit(xp);
		xp->key_len = exp_flow_key(rec->flow, xp->key,
		    sizeof(xp->key));
		rc = ipfix_write_records(xp, rec);
		ipfix_emit(xp);
		xp->key_len = 0;
		return xp->fatal ? xp->fatal : rc;
	}
	return ipfix_write_records(xp, rec);
}

static int
ipfix_write_records(struct ipfix_priv *xp, const struct exp_record *rec)
{
	const struct flow *f = rec->flow;
	const struct dtmpl *t;
	struct ie_rec r;
	int rc, d;

	if (xp->fatal)
		return xp->fatal;
	if (xp->no_family[f->key.ip_version == 6]) {
		/* A transient error (export.h): this record is lost and
		 * counted, here by cause, the exporter goes on. */
		if (xp->conf->biflow)
			xp->skipped_family++;
		else
			xp->skipped_family += (f->c[FLOW_DIR_FWD].pkts != 0) +
			    (f->c[FLOW_DIR_REV].pkts != 0);
		return -ENOTSUP;
	}
	t = &xp->dt[f->key.ip_version == 6];
	/* Kafka: each flow's message carries the record of its own
	 * application (the templates before it carry none). */
	if ((rc = ipfix_note_app(xp, rec->app, xp->kind == XP_KAFKA)) != 0 &&
	    rc != -EMSGSIZE)
		return xp->fatal;
	r.rec = rec;
	if (xp->conf->biflow) {
		r.dir = FLOW_DIR_FWD;
		r.biflow = 1;
		rc = put_record(xp, t, &r);
		return xp->fatal ? xp->fatal : 0;
	}
	r.biflow = 0;
	for (d = FLOW_DIR_FWD; d <= FLOW_DIR_REV; d++) {
		if (f->c[d].pkts == 0)
			continue;
		r.dir = (enum flow_dir)d;
		if ((rc = put_record(xp, t, &r)) != 0 && xp->fatal)
			return xp->fatal;
	}
	/* libfixbuf errors were logged once; the probe goes on. */
	return xp->fatal;
}

static int
ipfix_flush(struct exporter *ex)
{
	struct ipfix_priv *xp = exp_priv(ex);
	uint64_t now = exp_now_us(xp->conf);

	if (xp->fatal)
		return xp->fatal;
	ipfix_emit(xp);
	if (now >= xp->next_stats_us) {
		/* On UDP, templates go with it when due (append). Not while
		 * a TCP collector is away: the transport would drop it, and
		 * its sequence number would look like a lost record. */
		if (xp->kind != XP_TCP || tr_connected(xp->tr))
			ipfix_put_stats(xp);
		ipfix_emit(xp);
		xp->next_stats_us = now +
		    (uint64_t)xp->conf->template_refresh_s * 1000000u;
	}
	tr_poll(xp->tr, now);
	return xp->fatal;
}

/* Setup ---------------------------------------------------------------- */

/* The registered rows (plugin fields) into the model, under the run-time
 * PEN; libfixbuf copies the element. */
static void
add_registered(struct ipfix_priv *xp)
{
	const struct ie_def *def;
	fbInfoElement_t ie;
	uint32_t flags;
	size_t i;

	for (i = 0; i < ie_count(xp->conf->reg); i++) {
		def = ie_at(xp->conf->reg, i);
		if (!(def->flags & IE_F_EXT))
			continue;
		flags = (uint32_t)def->semantics << 8 | (uint32_t)def->units << 16;
		if (def->type != IE_T_STRING && def->type != IE_T_OCTET_ARRAY &&
		    def->type != IE_T_IPV6_ADDRESS)
			flags |= FB_IE_F_ENDIAN;
		memset(&ie, 0, sizeof(ie));
		ie.ref.name = def->name;
		ie.ent = ie_pen(def, 0, xp->pen);
		ie.num = def->id;
		ie.len = def->len == IE_VARLEN ? FB_IE_VARLEN : def->len;
		ie.flags = flags;
		ie.type = (uint8_t)def->type;
		ie.description = def->desc;
		fbInfoModelAddElement(xp->model, &ie);
	}
}

/* Loads l7probe-ie.xml, with our elements moved to the run time PEN. */
static int
load_model(struct ipfix_priv *xp, struct perr *err)
{
	static const char tag[] =
	    "<cert:enterpriseId>32473</cert:enterpriseId>";
	const char *xml = ie_builtin("l7probe-ie.xml"), *p, *q;
	GError *gerr = NULL;
	char *copy = NULL, pen_tag[64];
	size_t n = 0, len;
	gboolean ok;

	if (xml == NULL)
		return perr_set(err, -ENOENT, "collector '%s': no built-in "
		    "l7probe-ie.xml", xp->uri);
	if ((xp->model = fbInfoModelAlloc()) == NULL)
		return perr_set(err, -ENOMEM, "collector '%s': out of memory",
		    xp->uri);
	if (xp->pen != IE_PEN_DEFAULT_LOCAL) {
		snprintf(pen_tag, sizeof(pen_tag),
		    "<cert:enterpriseId>%" PRIu32 "</cert:enterpriseId>",
		    xp->pen);
		for (p = xml; (p = strstr(p, tag)) != NULL; p += sizeof(tag))
			n++;
		len = strlen(xml) + n * strlen(pen_tag) + 1;
		if ((copy = malloc(len)) == NULL)
			return perr_set(err, -ENOMEM, "collector '%s': out of "
			    "memory", xp->uri);
		copy[0] = '\0';
		for (p = xml, n = 0; (q = strstr(p, tag)) != NULL;
		    p = q + sizeof(tag) - 1) {
			memcpy(copy + n, p, (size_t)(q - p));
			n += (size_t)(q - p);
			memcpy(copy + n, pen_tag, strlen(pen_tag));
			n += strlen(pen_tag);
		}
		memcpy(copy + n, p, strlen(p) + 1);
		xml = copy;
	}
	ok = fbInfoModelReadXMLData(xp->model, xml, (gssize)strlen(xml), &gerr);
	free(copy);
	if (!ok) {
		perr_set(err, -EINVAL, "collector '%s': l7probe-ie.xml: %s",
		    xp->uri, gerr != NULL ? gerr->message : "unreadable");
		g_clear_error(&gerr);
		return -EINVAL;
	}
	add_registered(xp);
	return 0;
}

/* Adds internal and external template <tid> to the session. */
int
ipfix_add_pair(struct ipfix_priv *xp, uint16_t tid, fbTemplate_t *in,
    fbTemplate_t *ext, struct perr *err)
{
	GError *gerr = NULL;

	if (fbSessionAddTemplate(xp->session, TRUE, tid, in, &gerr) == 0) {
		fbTemplateFreeUnused(in);
		fbTemplateFreeUnused(ext);
		goto fail;
	}
	if (fbSessionAddTemplate(xp->session, FALSE, tid, ext, &gerr) == 0) {
		fbTemplateFreeUnused(ext);
		goto fail;
	}
	return 0;
fail:
	perr_set(err, -EINVAL, "collector '%s': template %u: %s", xp->uri, tid,
	    gerr != NULL ? gerr->message : "refused");
	g_clear_error(&gerr);
	return -EINVAL;
}

/* Builds the flow template of one IP family from the derived <t>. */
static int
add_flow_template(struct ipfix_priv *xp, struct dtmpl *dt, uint16_t tid,
    const struct tmpl *t, struct perr *err)
{
	fbTemplate_t *ti, *te;
	const fbInfoElement_t *mie;
	fbInfoElement_t ex;
	GError *gerr = NULL;
	char name[128];
	size_t i, k, off = 0;
	int pass;

	dt->tid = tid;
	dt->n = t->n;
	dt->wire_min = 0;
	dt->tmpl_wire = 4;		/* template record header */
	ti = fbTemplateAlloc(xp->model);
	te = fbTemplateAlloc(xp->model);
	for (i = 0; i < t->n; i++) {
		const struct tmpl_field *tf = &t->f[i];
		struct fld *f = &dt->f[i];

		f->ie = tf->ie;
		f->reverse = tf->reverse;
		f->wire_len = tf->len;
		mie = fbInfoModelGetElementByID(xp->model,
		    ie_id(tf->ie, tf->reverse),
		    ie_pen(tf->ie, tf->reverse, xp->pen));
		if (mie == NULL) {
			ie_name(tf->ie, tf->reverse, name, sizeof(name));
			perr_set(err, -EINVAL, "collector '%s': element '%s' "
			    "(%" PRIu32 "/%u) is not in libfixbuf's model nor "
			    "in l7probe-ie.xml", xp->uri, name,
			    ie_pen(tf->ie, tf->reverse, xp->pen),
			    ie_id(tf->ie, tf->reverse));
			goto fail;
		}
		ipfix_note_ent(xp, tf->ie, tf->reverse);
		f->mem_len = tf->len == IE_VARLEN ? FB_IE_VARLEN :
		    tf->ie->type == IE_T_STRING || tf->ie->type ==
		    IE_T_OCTET_ARRAY ? tf->len : tf->ie->len;
		memset(&ex, 0, sizeof(ex));
		ex.ent = ie_pen(tf->ie, tf->reverse, xp->pen);
		ex.num = ie_id(tf->ie, tf->reverse);
		ex.len = tf->len == IE_VARLEN ? FB_IE_VARLEN : tf->len;
		if (!fbTemplateAppend(te, &ex, &gerr))
			goto gfail;
		/* RFC 7011 7: a one-octet length before a short string. */
		dt->wire_min += tf->len == IE_VARLEN ? 1 + STR_MIN : tf->len;
		dt->tmpl_wire += ex.ent != 0 ? 8 : 4;
	}
	/* Internal order: variable-length fields first, so every
	 * fbVarfield_t is aligned; then the rest as listed. */
	for (pass = 0; pass < 2; pass++)
		for (k = 0; k < dt->n; k++) {
			struct fld *f = &dt->f[k];

			if ((f->mem_len == FB_IE_VARLEN) != (pass == 0))
				continue;
			f->off = off;
			off += f->mem_len == FB_IE_VARLEN ?
			    sizeof(fbVarfield_t) : f->mem_len;
			memset(&ex, 0, sizeof(ex));
			ex.ent = ie_pen(f->ie, f->reverse, xp->pen);
			ex.num = ie_id(f->ie, f->reverse);
			ex.len = f->mem_len;
			if (!fbTemplateAppend(ti, &ex, &gerr))
				goto gfail;
		}
	dt->rec_len = off;
	return ipfix_add_pair(xp, tid, ti, te, err);
gfail:
	perr_set(err, -EINVAL, "collector '%s': template %u: %s", xp->uri, tid,
	    gerr != NULL ? gerr->message : "refused");
	g_clear_error(&gerr);
fail:
	fbTemplateFreeUnused(ti);
	fbTemplateFreeUnused(te);
	return -EINVAL;
}

/* Message header, set header, then the record or template. */
#define MSG_HDR		16
#define SET_HDR		4

static int
check_fits(const struct ipfix_priv *xp, const struct dtmpl *dt, int family,
    const char *tname, struct perr *err)
{
	size_t need = MSG_HDR + SET_HDR + (dt->wire_min > dt->tmpl_wire ?
	    dt->wire_min : dt->tmpl_wire);

	if (need <= xp->msg_size)
		return 0;
	return perr_set(err, -EINVAL, "collector '%s': template '%s': an "
	    "IPv%d %s takes %zu bytes with the message and set headers "
	    "(strings cut to %d bytes), more than the message size of %zu: "
	    "shorten the fields or raise --mtu", xp->uri,
	    tname != NULL ? tname : "default", family,
	    dt->wire_min > dt->tmpl_wire ? "record" : "template", need,
	    STR_MIN, xp->msg_size);
}

/* The exporter's transport to <where>. A TCP connection or a file made
 * here calls on_connect at once: those are opened last, once the
 * exporter can write its templates. */
static int
open_transport(struct ipfix_priv *xp, const char *where, struct perr *err)
{
	struct transport_conf tc;
	struct tr_hooks hooks;

	memset(&tc, 0, sizeof(tc));
	tc.kind = xp_transport[xp->kind];
	tc.target = where;
	tc.default_port = xp->kind == XP_KAFKA ? 0 : IPFIX_PORT;
	tc.queue_records = xp->conf->export_queue;
	tc.name = xp->uri;
	hooks.stamp = stamp_seq;
	hooks.on_connect = xp->kind == XP_TCP || xp->kind == XP_FILE ?
	    on_connect : NULL;
	hooks.arg = xp;
	if ((xp->tr = tr_open(&tc, &hooks, err)) == NULL)
		return err != NULL && err->code != 0 ? err->code : -EIO;
	return 0;
}

static int
ipfix_open_kind(struct exporter *ex, const char *where,
    const struct exp_conf *conf, enum xp_kind kind, struct perr *err)
{
	struct ipfix_priv *xp = exp_priv(ex);
	struct tmpl def, t;
	struct perr e1, e2;
	size_t msg_size, rec_max = ipfix_opts_rec_max();
	int i, rc;

	xp->kind = kind;
	xp->conf = conf;
	xp->pen = conf->pen != 0 ? conf->pen : IE_PEN_DEFAULT_LOCAL;
	xp->uri = exp_uri(ex);
	/* Binary on a terminal helps nobody. */
	if (kind == XP_FILE && strcmp(where, "-") == 0 &&
	    isatty(STDOUT_FILENO))
		return perr_set(err, -EINVAL, "collector '%s': standard output "
		    "is a terminal (redirect it to a file or a pipe)", xp->uri);
	if (kind != XP_FILE) {
		if (strncmp(where, "//", 2) != 0 || where[2] == '\0')
			return perr_set(err, -EINVAL, "collector '%s': "
			    "expected //HOST[:PORT]", xp->uri);
		where += 2;
	}
	if ((rc = tmpl_load(conf->reg, conf->template != NULL ?
	    conf->template : "default", &def, err)) != 0 ||
	    (rc = load_model(xp, err)) != 0)
		return rc;
	if ((xp->session = fbSessionAlloc(xp->model)) == NULL)
		return perr_set(err, -ENOMEM, "collector '%s': out of memory",
		    xp->uri);
	/* The domain scopes external templates: set it before them. */
	fbSessionSetDomain(xp->session, conf->observation_domain);
	for (i = 0; i < 2; i++) {
		/* A family the template cannot carry: its records are
		 * skipped and counted; neither family: refused. */
		if ((rc = tmpl_derive(&def, i == 0 ? 4 : 6, conf->biflow, 0, &t,
		    i == 0 ? err : &e2)) == -ENODATA) {
			xp->no_family[i] = 1;
			continue;
		}
		if (rc != 0) {
			if (i == 1)
				*err = e2;
			return rc;
		}
		if ((rc = add_flow_template(xp, &xp->dt[i], (uint16_t)((conf->
		    biflow ? TID_BIFLOW_V4 : TID_FLOW_V4) + i), &t, err)) != 0)
			return rc;
		if (xp->dt[i].rec_len > rec_max)
			rec_max = xp->dt[i].rec_len;
	}
	if (xp->no_family[0] && xp->no_family[1]) {
		e1 = *err;
		return perr_set(err, -ENODATA, "collector '%s': %.200s; %.200s",
		    xp->uri, e1.msg, e2.msg);
	}
	if ((rc = ipfix_opts_templates(xp, err)) != 0)
		return rc;

	/* UDP: the socket first, since the message size depends on where
	 * the collector is (nothing is sent before the templates). */
	if (kind == XP_UDP && (rc = open_transport(xp, where, err)) != 0)
		return rc;
	msg_size = kind == XP_UDP ? exp_udp_msg_size(conf, xp->tr) :
	    kind == XP_TCP ? MSG_TCP : kind == XP_KAFKA ? MSG_KAFKA :
	    MSG_FILE;
	if (msg_size > 65535)
		msg_size = 65535;
	xp->msg_size = msg_size;
	/* A record that cannot fit a message even with short strings
	 * would be dropped, every one of them: refuse such a template. */
	for (i = 0; i < 2; i++)
		if (!xp->no_family[i] && (rc = check_fits(xp, &xp->dt[i],
		    i == 0 ? 4 : 6, conf->template, err)) != 0)
			return rc;
	xp->msg = malloc(msg_size);
	xp->rec = calloc(1, rec_max);
	xp->apps = calloc(APP_MAX, sizeof(*xp->apps));
	xp->app_idx = calloc(APP_MAX * 2, sizeof(*xp->app_idx));
	if (xp->msg == NULL || xp->rec == NULL || xp->apps == NULL ||
	    xp->app_idx == NULL)
		return perr_set(err, -ENOMEM, "collector '%s': out of memory",
		    xp->uri);
	xp->fbex = fbExporterAllocBuffer(xp->msg, (uint16_t)msg_size);
	xp->fbuf = fBufAllocForExport(xp->session, xp->fbex);
	xp->session = fBufGetSession(xp->fbuf);	/* now the fBuf's */
	fBufSetAutomaticMode(xp->fbuf, FALSE);

	return kind == XP_UDP ? 0 : open_transport(xp, where, err);
}

static int
ipfix_open_udp(struct exporter *ex, const char *where,
    const struct exp_conf *conf, struct perr *err)
{
	return ipfix_open_kind(ex, where, conf, XP_UDP, err);
}

static int
ipfix_open_tcp(struct exporter *ex, const char *where,
    const struct exp_conf *conf, struct perr *err)
{
	return ipfix_open_kind(ex, where, conf, XP_TCP, err);
}

static int
ipfix_open_file(struct exporter *ex, const char *where,
    const struct exp_conf *conf, struct perr *err)
{
	return ipfix_open_kind(ex, where, conf, XP_FILE, err);
}

/* "ipfix+kafka://BROKERS/TOPIC?..." (or "kafka://" with format=ipfix). */
static int
ipfix_open_kafka(struct exporter *ex, const char *where,
    const struct exp_conf *conf, struct perr *err)
{
	return ipfix_open_kind(ex, where, conf, XP_KAFKA, err);
}

static int
ipfix_status(struct exporter *ex, struct perr *why)
{
	struct ipfix_priv *xp = exp_priv(ex);

	return xp->tr != NULL ? tr_status(xp->tr, why) : 0;
}

static int
ipfix_finish(struct exporter *ex)
{
	struct ipfix_priv *xp = exp_priv(ex);

	if (xp->tr == NULL || xp->finished)
		return xp->fatal;
	xp->finished = 1;
	if (!xp->fatal) {
		ipfix_emit(xp);
		if (xp->kind != XP_TCP || tr_connected(xp->tr))
			ipfix_put_stats(xp);	/* the final counts */
		ipfix_emit(xp);
	}
	tr_drain(xp->tr, xp->kind == XP_KAFKA ?
	    xp->conf->kafka_flush_timeout_ms : FINISH_MS);
	if (xp->fatal)
		return xp->fatal;
	/* Records too big for a message, then those the transport knows
	 * lost or not acknowledged. */
	if (xp->too_big > 0)
		return -EMSGSIZE;
	return exp_lost_of(xp->tr);
}

static void
ipfix_delivery(struct exporter *ex, struct exp_delivery *d)
{
	struct ipfix_priv *xp = exp_priv(ex);

	exp_delivery_of(xp->tr, d);
}

static void
ipfix_print_stats(struct exporter *ex, FILE *fp)
{
	struct ipfix_priv *xp = exp_priv(ex);
	struct tr_stats ts;

	if (xp->tr == NULL)
		return;
	tr_get_stats(xp->tr, &ts);
	fprintf(fp, "l7probe: collector %s: ipfix records %" PRIu64
	    ", messages sent %" PRIu64 ", bytes %" PRIu64 ", messages dropped %"
	    PRIu64 ", records dropped %" PRIu64, xp->uri, xp->flow_records,
	    ts.msgs_sent, ts.bytes_sent, ts.msgs_dropped,
	    ts.records_dropped + xp->too_big);
	if (xp->kind == XP_TCP)
		fprintf(fp, ", reconnects %" PRIu64 ", queued %" PRIu32
		    ", records unacknowledged %" PRIu64, ts.reconnects,
		    ts.queued_records, ts.records_unacked);
	if (xp->kind == XP_UDP)
		fprintf(fp, ", messages refused %" PRIu64 " (records %" PRIu64
		    ")", ts.msgs_refused, ts.records_refused);
	if (xp->kind == XP_FILE && ts.reopens > 0)
		fprintf(fp, ", reopened %" PRIu64, ts.reopens);
	fprintf(fp, ", skipped (IP family not in the template) %" PRIu64,
	    xp->skipped_family);
	if (xp->kind == XP_KAFKA)
		fprintf(fp, ", waiting %" PRIu32, ts.queued_records);
	fputc('\n', fp);
}

/* SIGHUP: what is being built goes into the old file; the new one starts
 * with the templates (on_connect). */
static int
ipfix_reopen(struct exporter *ex)
{
	struct ipfix_priv *xp = exp_priv(ex);
	struct perr err = { 0, "" };
	int rc;

	if (xp->tr == NULL || xp->kind != XP_FILE || xp->fatal)
		return 0;
	ipfix_emit(xp);
	if ((rc = tr_reopen(xp->tr, &err)) != 0)
		log_err("%s (the old file is kept)", err.msg);
	return rc;
}

static void
ipfix_close(struct exporter *ex)
{
	struct ipfix_priv *xp = exp_priv(ex);

	if (xp->tr != NULL && !xp->fatal && !xp->finished)
		ipfix_emit(xp);
	tr_close(xp->tr);
	if (xp->fbuf != NULL)
		fBufFree(xp->fbuf);	/* and its session and exporter */
	else if (xp->session != NULL)
		fbSessionFree(xp->session);
	if (xp->model != NULL)
		fbInfoModelFree(xp->model);
	free(xp->msg);
	free(xp->rec);
	free(xp->apps);
	free(xp->app_idx);
}

#define IPFIX_OPS(sym, scheme_, open_)			\
const struct exp_ops sym = {					\
	.scheme = scheme_,					\
	.priv_size = sizeof(struct ipfix_priv),			\
	.open = open_,						\
	.write = ipfix_write,					\
	.flush = ipfix_flush,					\
	.close = ipfix_close,					\
	.status = ipfix_status,					\
	.finish = ipfix_finish,					\
	.reopen = ipfix_reopen,					\
	.print_stats = ipfix_print_stats,			\
	.delivery = ipfix_delivery,					\
}

IPFIX_OPS(exp_ipfix_ops, "ipfix", ipfix_open_udp);
IPFIX_OPS(exp_ipfix_udp_ops, "ipfix+udp", ipfix_open_udp);
IPFIX_OPS(exp_ipfix_tcp_ops, "ipfix+tcp", ipfix_open_tcp);
IPFIX_OPS(exp_ipfix_file_ops, "ipfix-file", ipfix_open_file);
IPFIX_OPS(exp_ipfix_kafka_ops, "ipfix+kafka", ipfix_open_kafka);

const char *
exp_ipfix_backend(void)
{
#define STR_(x)	#x
#define STR(x)	STR_(x)
	return "libfixbuf " STR(FIXBUF_VERSION_MAJOR) "."
	    STR(FIXBUF_VERSION_MINOR) "." STR(FIXBUF_VERSION_RELEASE);
#undef STR
#undef STR_
}
