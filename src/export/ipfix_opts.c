/*
 * ipfix_opts.c - the IPFIX exporter's options records (RFC 7011 3.4.2.2):
 * RFC 5610 information element type records for the enterprise elements
 * the templates use, RFC 6759 application records (id -> name,
 * description), and the exporter statistics record. exp_ipfix.c decides
 * when they go; here they are laid out and appended.
 *
 * Capture thread only, like the rest of the exporter.
 */
#include "export/ipfix_int.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "transport/transport.h"

/* Internal layouts of the options records. */
struct app_rec {
	uint32_t	domain;		/* observationDomainId (scope) */
	uint8_t		id[APP_ID_LEN];	/* applicationId */
	char		name[APP_NAME_LEN]; /* applicationName */
	char		cat[APP_DESC_LEN]; /* applicationDescription */
	uint8_t		pad[3];		/* internal only: 4-byte size */
};

struct stats_rec {
	uint64_t	init_ms;	/* systemInitTimeMilliseconds */
	uint64_t	now_ms;		/* observationTimeMilliseconds */
	uint64_t	msgs;		/* exportedMessageTotalCount */
	uint64_t	octets;		/* exportedOctetTotalCount */
	uint64_t	flows;		/* exportedFlowRecordTotalCount */
	uint64_t	pkts;		/* packetTotalCount: frames read */
	uint64_t	ignored;	/* ignoredPacketTotalCount */
	uint64_t	dropped;	/* droppedPacketTotalCount: capture */
	uint64_t	not_sent;	/* notSentFlowTotalCount: transport */
	uint32_t	domain;		/* observationDomainId (scope) */
	uint32_t	pad;		/* paddingOctets */
};

/* RFC 6759 options: the NBAR layout (id, name, description = the nDPI
 * category) with fixed-length strings, NUL-padded, since nfdump and other
 * NBAR readers take the record size from the template. The scope is the
 * observation domain, as in the NetFlow v9 export (scope System): the
 * mapping holds for the whole domain, and nfdump 1.7 sizes NBAR records
 * as scope + id + name + description, so applicationId as the scope
 * would be counted twice. */
static fbInfoElementSpec_t app_int_spec[] = {
	{ "observationDomainId",	4,		0 },
	{ "applicationId",		APP_ID_LEN,	0 },
	{ "applicationName",		APP_NAME_LEN,	0 },
	{ "applicationDescription",	APP_DESC_LEN,	0 },
	{ "paddingOctets",		3,		0 },
	FB_IESPEC_NULL
};

static fbInfoElementSpec_t app_ext_spec[] = {
	{ "observationDomainId",	4,		0 },
	{ "applicationId",		APP_ID_LEN,	0 },
	{ "applicationName",		APP_NAME_LEN,	0 },
	{ "applicationDescription",	APP_DESC_LEN,	0 },
	FB_IESPEC_NULL
};

static fbInfoElementSpec_t stats_int_spec[] = {
	{ "systemInitTimeMilliseconds",		8, 0 },
	{ "observationTimeMilliseconds",	8, 0 },
	{ "exportedMessageTotalCount",		8, 0 },
	{ "exportedOctetTotalCount",		8, 0 },
	{ "exportedFlowRecordTotalCount",	8, 0 },
	{ "packetTotalCount",			8, 0 },
	{ "ignoredPacketTotalCount",		8, 0 },
	{ "droppedPacketTotalCount",		8, 0 },
	{ "notSentFlowTotalCount",		8, 0 },
	{ "observationDomainId",		4, 0 },
	{ "paddingOctets",			4, 0 },
	FB_IESPEC_NULL
};

static fbInfoElementSpec_t stats_ext_spec[] = {
	{ "observationDomainId",		4, 0 },
	{ "systemInitTimeMilliseconds",		8, 0 },
	{ "observationTimeMilliseconds",	8, 0 },
	{ "exportedMessageTotalCount",		8, 0 },
	{ "exportedOctetTotalCount",		8, 0 },
	{ "exportedFlowRecordTotalCount",	8, 0 },
	{ "packetTotalCount",			8, 0 },
	{ "ignoredPacketTotalCount",		8, 0 },
	{ "droppedPacketTotalCount",		8, 0 },
	{ "notSentFlowTotalCount",		8, 0 },
	FB_IESPEC_NULL
};

/* The RFC 6759 record of <a>, appended; ipfix_append()'s result. */
static int
put_app(struct ipfix_priv *xp, const struct app_ent *a)
{
	struct app_rec r;

	memset(&r, 0, sizeof(r));
	r.domain = xp->conf->observation_domain;
	memcpy(r.name, a->name, strnlen(a->name, sizeof(a->name)));
	memcpy(r.cat, a->cat, strnlen(a->cat, sizeof(a->cat)));
	/* The registry's applicationId (ie.h IE_V_APP_ID). */
	ie_app_id((uint16_t)(a->key >> 16), (uint16_t)a->key, r.id);
	return ipfix_append(xp, TID_APP, &r, sizeof(r), 0);
}

/* The RFC 5610 record of an enterprise element, from the registry (its
 * description too, which libfixbuf's XML reader does not keep). */
static void
put_type_record(struct ipfix_priv *xp, const struct ie_def *def, int reverse)
{
	fbInfoElementOptRec_t r;
	char name[128];

	memset(&r, 0, sizeof(r));
	ie_name(def, reverse, name, sizeof(name));
	r.ie_pen = ie_pen(def, reverse, xp->pen);
	r.ie_id = ie_id(def, reverse);
	r.ie_type = (uint8_t)def->type;
	r.ie_semantic = def->semantics;
	r.ie_units = def->units;
	r.ie_name.buf = (uint8_t *)name;
	r.ie_name.len = strlen(name);
	r.ie_desc.buf = (uint8_t *)(uintptr_t)def->desc;
	r.ie_desc.len = def->desc != NULL ? strlen(def->desc) : 0;
	ipfix_append(xp, TID_IE_TYPE, &r, sizeof(r), 0);
}

void
ipfix_put_stats(struct ipfix_priv *xp)
{
	struct exp_counters c;
	struct stats_rec s;
	struct tr_stats ts;

	memset(&c, 0, sizeof(c));
	if (xp->conf->counters != NULL)
		xp->conf->counters(xp->conf->counters_arg, &c);
	tr_get_stats(xp->tr, &ts);
	memset(&s, 0, sizeof(s));
	s.init_ms = xp->conf->start_us / 1000;
	s.now_ms = exp_now_us(xp->conf) / 1000;
	/* This message is not counted in itself. */
	s.msgs = ts.msgs_sent;
	s.octets = ts.bytes_sent;
	s.flows = xp->flow_records + xp->msg_records - ts.records_dropped;
	s.pkts = c.pkts_read;
	s.ignored = c.pkts_ignored;
	s.dropped = c.pkts_dropped;
	s.not_sent = ts.records_dropped + xp->too_big;
	s.domain = xp->conf->observation_domain;
	ipfix_append(xp, TID_STATS, &s, sizeof(s), 0);
}

/* The RFC 6759 record of a new application, before its first flow;
 * with <always>, of a known one too. */
int
ipfix_note_app(struct ipfix_priv *xp, const struct dpi_info *app, int always)
{
	uint32_t key = (uint32_t)app->master_id << 16 | app->app_id;
	size_t h, mask = APP_MAX * 2 - 1;
	struct app_ent *a;
	int rc;

	for (h = (key * 2654435761u) & mask; xp->app_idx[h] != 0;
	    h = (h + 1) & mask) {
		a = &xp->apps[xp->app_idx[h] - 1];
		if (a->key != key)
			continue;
		return always ? put_app(xp, a) : 0;
	}
	if (xp->n_apps == APP_MAX) {
		xp->apps_unlisted++;
		return 0;
	}
	a = &xp->apps[xp->n_apps];
	a->key = key;
	snprintf(a->name, sizeof(a->name), "%s", app->app_name);
	snprintf(a->cat, sizeof(a->cat), "%s", app->category_name);
	/* Listed after the append: templates written by it (a new message)
	 * would carry the row already. */
	rc = put_app(xp, a);
	xp->n_apps++;
	xp->app_idx[h] = (uint16_t)xp->n_apps;
	return rc;
}

static int
add_spec_pair(struct ipfix_priv *xp, uint16_t tid, fbInfoElementSpec_t *in,
    fbInfoElementSpec_t *ext, uint16_t scope, struct perr *err)
{
	fbTemplate_t *ti = fbTemplateAlloc(xp->model);
	fbTemplate_t *te = fbTemplateAlloc(xp->model);
	GError *gerr = NULL;

	if (!fbTemplateAppendSpecArray(ti, in, 0, &gerr) ||
	    !fbTemplateAppendSpecArray(te, ext, 0, &gerr)) {
		perr_set(err, -EINVAL, "collector '%s': options template %u: "
		    "%s", xp->uri, tid, gerr != NULL ? gerr->message :
		    "refused");
		g_clear_error(&gerr);
		fbTemplateFreeUnused(ti);
		fbTemplateFreeUnused(te);
		return -EINVAL;
	}
	fbTemplateSetOptionsScope(te, scope);
	return ipfix_add_pair(xp, tid, ti, te, err);
}

/* Notes an enterprise element for the RFC 5610 records, once. */
void
ipfix_note_ent(struct ipfix_priv *xp, const struct ie_def *def, int reverse)
{
	uint32_t pen = ie_pen(def, reverse, xp->pen);
	size_t i;

	if (pen == 0 || pen == IE_REVERSE_PEN)
		return;
	for (i = 0; i < xp->n_ent; i++)
		if (xp->ent[i].def == def && xp->ent[i].reverse == reverse)
			return;
	if (xp->n_ent < sizeof(xp->ent) / sizeof(xp->ent[0])) {
		xp->ent[xp->n_ent].def = def;
		xp->ent[xp->n_ent++].reverse = reverse;
	}
}


int
ipfix_opts_templates(struct ipfix_priv *xp, struct perr *err)
{
	GError *gerr = NULL;
	int rc;

	/* RFC 5610: libfixbuf's type template (its internal layout is
	 * fbInfoElementOptRec_t); records for the elements we use. */
	if (fbSessionSetMetadataExportElements(xp->session, FALSE, TID_IE_TYPE,
	    &gerr) == 0) {
		perr_set(err, -EINVAL, "collector '%s': RFC 5610 template: %s",
		    xp->uri, gerr != NULL ? gerr->message : "refused");
		g_clear_error(&gerr);
		return -EINVAL;
	}
	if ((rc = add_spec_pair(xp, TID_APP, app_int_spec, app_ext_spec, 1,
	    err)) != 0 || (rc = add_spec_pair(xp, TID_STATS, stats_int_spec,
	    stats_ext_spec, 1, err)) != 0)
		return rc;
	return 0;
}

size_t
ipfix_opts_rec_max(void)
{
	return sizeof(struct stats_rec) > sizeof(struct app_rec) ?
	    sizeof(struct stats_rec) : sizeof(struct app_rec);
}

void
ipfix_put_types(struct ipfix_priv *xp)
{
	size_t i;

	ipfix_put_template(xp, TID_IE_TYPE);
	for (i = 0; i < xp->n_ent && !xp->fatal; i++)
		put_type_record(xp, xp->ent[i].def, xp->ent[i].reverse);
}

void
ipfix_put_apps(struct ipfix_priv *xp, int rows)
{
	size_t i;

	ipfix_put_template(xp, TID_APP);
	ipfix_put_template(xp, TID_STATS);
	for (i = 0; rows && i < xp->n_apps && !xp->fatal; i++)
		(void)put_app(xp, &xp->apps[i]);
}
