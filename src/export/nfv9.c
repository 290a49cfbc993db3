/*
 * nfv9.c - NetFlow v9 (RFC 3954) message encoder: flow records in, whole
 * export packets out through a callback. No socket, no clock: see
 * nfv9_int.h for the wire layout, the time rules and the refresh.
 *
 * A packet is built in place in one mtu-sized buffer. Records are added
 * through reserve(), which opens a FlowSet when the FlowSet id changes,
 * closes (pads) the previous one, and finishes the packet first when the
 * record and the padding it may need would not fit; nfv9_new() checked
 * that every kind of record fits an empty packet, so reserve() always
 * succeeds. Field values come from the IE registry (ie_encode_fixed), as
 * for IPFIX; only the sysUpTime-relative times are computed here.
 */
#include "export/nfv9_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define FS_HDR_LEN	4	/* FlowSet id + length */
#define OPT_HDR_LEN	6	/* options template id, scope and option
				 * lengths */
#define EXP_REC_LEN	(4 + 4 + 1 + 8 + 8)	/* see put_exporter_rec */
#define APPS_CAP_MIN	64

/* One application seen, for the options table. */
struct app_row {
	uint32_t	key;		/* master_id << 16 | app_id */
	uint8_t		used;
	uint8_t		sent;		/* since the last refresh */
	char		name[64];	/* as struct dpi_info */
	char		category[48];
};

struct nfv9 {
	struct nfv9_conf	conf;		/* tmpl cleared: not kept */
	nfv9_emit_cb		emit;
	void			*arg;
	uint64_t		start_ms;

	struct tmpl		t[2];		/* [0] IPv4, [1] IPv6 */
	int			have[2];
	size_t			rec_len[2];

	/* The application table, when the template has applicationId. */
	int			want_apps;
	const struct ie_def	*app_id_ie, *app_name_ie, *app_cat_ie;
	uint16_t		app_id_len, app_name_len;
	struct app_row		*apps;		/* open addressing */
	size_t			apps_cap;	/* power of two */
	uint32_t		napps;

	/* The packet being filled; len 0 = none. */
	uint8_t			*buf;
	size_t			len;
	uint32_t		count;		/* records, all kinds */
	uint32_t		n_data;		/* flow data records */
	int			fs_open;
	uint16_t		fs_id;
	size_t			fs_start;	/* offset of its header */
	size_t			fs_min_rec;	/* shortest record in it */
	uint32_t		seq;		/* of the next packet */

	int			tmpl_sent;
	uint64_t		tmpl_us;	/* when last sent */
	uint64_t		apps_us;	/* the table rows: when last sent */
	uint32_t		msgs_since;	/* packets finished since */

	struct nfv9_stats	st;
};

static void
put_be(uint8_t *p, uint64_t v, size_t len)
{
	while (len > 0) {
		p[--len] = (uint8_t)v;
		v >>= 8;
	}
}

/* Zero padding that ends a FlowSet of <flen> bytes on a 4-byte boundary,
 * or none when it would be as long as its shortest record <min_rec>. */
static size_t
pad_len(size_t flen, size_t min_rec)
{
	size_t pad = (4 - flen % 4) % 4;

	return pad < min_rec ? pad : 0;
}

static void
fs_close(struct nfv9 *nf)
{
	size_t pad;

	if (!nf->fs_open)
		return;
	pad = pad_len(nf->len - nf->fs_start, nf->fs_min_rec);
	memset(nf->buf + nf->len, 0, pad);
	nf->len += pad;
	put_be(nf->buf + nf->fs_start + 2, nf->len - nf->fs_start, 2);
	nf->fs_open = 0;
}

/* The header's instant: the next whole second at or after <now_us>, so
 * that unix_secs * 1000 - sysUptime is exactly start_ms (nfv9_int.h). */
static void
put_header(struct nfv9 *nf, uint64_t now_us)
{
	uint64_t secs = (now_us + 999999) / 1000000;
	uint64_t up_ms = secs * 1000 >= nf->start_ms ?
	    secs * 1000 - nf->start_ms : 0;
	uint8_t *h = nf->buf;

	put_be(h, NFV9_VERSION, 2);
	put_be(h + 2, nf->count, 2);
	put_be(h + 4, up_ms & 0xffffffffu, 4);
	put_be(h + 8, secs & 0xffffffffu, 4);
	put_be(h + 12, nf->seq, 4);
	put_be(h + 16, nf->conf.source_id, 4);
}

static void
msg_finish(struct nfv9 *nf, uint64_t now_us)
{
	if (nf->len == 0)
		return;
	fs_close(nf);
	put_header(nf, now_us);
	if (nf->emit(nf->buf, nf->len, nf->n_data, nf->arg) != 0)
		nf->st.emit_errors++;
	nf->st.msgs++;
	nf->st.data_records += nf->n_data;
	/* Counts packets sent, lost or not: the collector sees the gap. */
	nf->seq++;
	nf->msgs_since++;
	nf->len = 0;
}

/*
 * Room for one record of <rec_len> bytes in FlowSet <fs_id> of the packet
 * being filled (a new FlowSet when the id changes or <own_fs>), finishing
 * the packet first if it would not fit with its padding. Returns where to
 * write the record, zeroed.
 */
static uint8_t *
reserve(struct nfv9 *nf, uint16_t fs_id, size_t rec_len, int own_fs,
    uint64_t now_us)
{
	size_t end, flen, min_rec, prev_pad;
	int same;
	uint8_t *p;

	for (;;) {
		if (nf->len == 0) {
			nf->len = NFV9_HDR_LEN;
			nf->count = 0;
			nf->n_data = 0;
			nf->fs_open = 0;
		}
		same = nf->fs_open && nf->fs_id == fs_id && !own_fs;
		if (same) {
			end = nf->len + rec_len;
			flen = end - nf->fs_start;
			min_rec = nf->fs_min_rec < rec_len ? nf->fs_min_rec :
			    rec_len;
		} else {
			prev_pad = nf->fs_open ? pad_len(nf->len -
			    nf->fs_start, nf->fs_min_rec) : 0;
			end = nf->len + prev_pad + FS_HDR_LEN + rec_len;
			flen = FS_HDR_LEN + rec_len;
			min_rec = rec_len;
		}
		if (end + pad_len(flen, min_rec) <= nf->conf.mtu)
			break;
		/* nfv9_new() made sure a record fits an empty packet. */
		if (nf->count == 0)
			abort();
		msg_finish(nf, now_us);
	}
	if (!same) {
		fs_close(nf);
		nf->fs_open = 1;
		nf->fs_id = fs_id;
		nf->fs_start = nf->len;
		nf->fs_min_rec = rec_len;
		put_be(nf->buf + nf->len, fs_id, 2);
		nf->len += FS_HDR_LEN;
	} else if (rec_len < nf->fs_min_rec)
		nf->fs_min_rec = rec_len;
	p = nf->buf + nf->len;
	memset(p, 0, rec_len);
	nf->len += rec_len;
	nf->count++;
	return p;
}

/* Template records ---------------------------------------------------- */

static size_t
tmpl_rec_len(const struct tmpl *t)
{
	return 4 + 4 * t->n;
}

static void
put_data_tmpl(struct nfv9 *nf, int fam, uint64_t now_us)
{
	const struct tmpl *t = &nf->t[fam];
	uint8_t *p = reserve(nf, NFV9_FS_TEMPLATE, tmpl_rec_len(t), 0,
	    now_us);
	size_t i;

	put_be(p, fam == 0 ? NFV9_TID_V4 : NFV9_TID_V6, 2);
	put_be(p + 2, t->n, 2);
	for (i = 0; i < t->n; i++) {
		put_be(p + 4 + 4 * i, t->f[i].ie->v9_id, 2);
		put_be(p + 6 + 4 * i, t->f[i].len, 2);
	}
}

/* One options template, alone in its FlowSet: nfdump reads only the
 * first of a FlowSet. <f> holds (type, length) pairs, the scope first. */
static void
put_opt_tmpl(struct nfv9 *nf, uint16_t tid, const uint16_t (*f)[2],
    size_t nscope, size_t nopt, uint64_t now_us)
{
	uint8_t *p = reserve(nf, NFV9_FS_OPTIONS,
	    OPT_HDR_LEN + 4 * (nscope + nopt), 1, now_us);
	size_t i;

	put_be(p, tid, 2);
	put_be(p + 2, 4 * nscope, 2);		/* bytes, not fields */
	put_be(p + 4, 4 * nopt, 2);
	for (i = 0; i < nscope + nopt; i++) {
		put_be(p + OPT_HDR_LEN + 4 * i, f[i][0], 2);
		put_be(p + OPT_HDR_LEN + 4 * i + 2, f[i][1], 2);
	}
}

static void
put_exporter_tmpl(struct nfv9 *nf, uint64_t now_us)
{
	static const uint16_t f[][2] = {
		{ NFV9_SCOPE_SYSTEM, 4 },
		{ NFV9_F_SAMPLING_INTERVAL, 4 },
		{ NFV9_F_SAMPLING_ALGORITHM, 1 },
		{ NFV9_F_TOTAL_PKTS_EXP, 8 },
		{ NFV9_F_TOTAL_FLOWS_EXP, 8 },
	};

	put_opt_tmpl(nf, NFV9_TID_EXPORTER, f, 1, 4, now_us);
}

static void
put_apps_tmpl(struct nfv9 *nf, uint64_t now_us)
{
	uint16_t f[4][2] = {
		{ NFV9_SCOPE_SYSTEM, 4 },
		{ NFV9_F_APP_ID, nf->app_id_len },
		{ NFV9_F_APP_NAME, nf->app_name_len },
		/* As long as the name: nfdump 1.7 checks the description
		 * with the name's length. */
		{ NFV9_F_APP_DESC, nf->app_name_len },
	};

	put_opt_tmpl(nf, NFV9_TID_APPS, (const uint16_t (*)[2])f, 1, 3,
	    now_us);
}

/* Options data ------------------------------------------------------- */

static void
put_exporter_rec(struct nfv9 *nf, uint64_t now_us)
{
	uint8_t *p = reserve(nf, NFV9_TID_EXPORTER, EXP_REC_LEN, 0, now_us);

	put_be(p, nf->conf.source_id, 4);	/* scope: this system */
	put_be(p + 4, 1, 4);			/* every packet... */
	put_be(p + 8, 1, 1);			/* ...deterministically */
	put_be(p + 9, nf->st.msgs, 8);
	put_be(p + 17, nf->st.data_records, 8);
}

static size_t
app_rec_len(const struct nfv9 *nf)
{
	return 4 + nf->app_id_len + 2 * (size_t)nf->app_name_len;
}

static void
put_app_rec(struct nfv9 *nf, struct app_row *row, uint64_t now_us)
{
	uint8_t *p = reserve(nf, NFV9_TID_APPS, app_rec_len(nf), 0, now_us);
	uint8_t id[IE_APP_ID_LEN];
	size_t n;

	put_be(p, nf->conf.source_id, 4);
	p += 4;
	/* The registry's applicationId; a shorter template field keeps its
	 * first octets, a longer one is zero-padded (reserve zeroed it). */
	ie_app_id((uint16_t)(row->key >> 16), (uint16_t)row->key, id);
	memcpy(p, id, nf->app_id_len < IE_APP_ID_LEN ? nf->app_id_len :
	    IE_APP_ID_LEN);
	p += nf->app_id_len;
	/* Strings cut to the field keep a final NUL, as collectors
	 * (nfdump) overwrite the last byte with one anyway. */
	if (nf->app_name_len > 0) {
		n = strnlen(row->name, sizeof(row->name));
		memcpy(p, row->name, n < nf->app_name_len ? n :
		    nf->app_name_len - 1u);
		p += nf->app_name_len;
		n = strnlen(row->category, sizeof(row->category));
		memcpy(p, row->category, n < nf->app_name_len ? n :
		    nf->app_name_len - 1u);
	}
	row->sent = 1;
}

/* The application table ---------------------------------------------- */

static uint32_t
app_hash(uint32_t key)
{
	key ^= key >> 16;
	key *= 0x7feb352du;
	key ^= key >> 15;
	return key;
}

static struct app_row *
app_slot(struct app_row *tab, size_t cap, uint32_t key)
{
	size_t i = app_hash(key) & (cap - 1);

	while (tab[i].used && tab[i].key != key)
		i = (i + 1) & (cap - 1);
	return &tab[i];
}

static int
apps_grow(struct nfv9 *nf)
{
	size_t cap = nf->apps_cap ? nf->apps_cap * 2 : APPS_CAP_MIN;
	struct app_row *tab, *s;
	size_t i;

	if ((tab = calloc(cap, sizeof(*tab))) == NULL)
		return -ENOMEM;
	for (i = 0; i < nf->apps_cap; i++) {
		if (!nf->apps[i].used)
			continue;
		s = app_slot(tab, cap, nf->apps[i].key);
		*s = nf->apps[i];
	}
	free(nf->apps);
	nf->apps = tab;
	nf->apps_cap = cap;
	return 0;
}

/* The row of <app>, added if new; NULL when the table is full. */
static struct app_row *
app_get(struct nfv9 *nf, const struct dpi_info *app)
{
	uint32_t key = (uint32_t)app->master_id << 16 | app->app_id;
	struct app_row *row;

	if (nf->apps_cap != 0) {
		row = app_slot(nf->apps, nf->apps_cap, key);
		if (row->used)
			return row;
	}
	if (nf->napps >= NFV9_APPS_MAX)
		return NULL;
	/* Kept at most half full, so probing stays short. */
	if ((nf->napps + 1) * 2 > nf->apps_cap && apps_grow(nf) != 0)
		return NULL;
	row = app_slot(nf->apps, nf->apps_cap, key);
	row->used = 1;
	row->sent = 0;
	row->key = key;
	memcpy(row->name, app->app_name, sizeof(row->name));
	row->name[sizeof(row->name) - 1] = '\0';
	memcpy(row->category, app->category_name, sizeof(row->category));
	row->category[sizeof(row->category) - 1] = '\0';
	nf->napps++;
	return row;
}

/* Templates and refresh ----------------------------------------------- */

static int
tmpl_due(struct nfv9 *nf, uint64_t now_us)
{
	if (!nf->tmpl_sent)
		return 1;
	/* A clock stepped back restarts the period rather than stall it. */
	if (now_us < nf->tmpl_us)
		nf->tmpl_us = now_us;
	if (nf->conf.refresh_s != 0 &&
	    now_us - nf->tmpl_us >= (uint64_t)nf->conf.refresh_s * 1000000)
		return 1;
	return nf->conf.refresh_msgs != 0 &&
	    nf->msgs_since >= nf->conf.refresh_msgs;
}

/* The application table's rows (one per application seen, hundreds with
 * nDPI) go with the first templates and then every refresh_s seconds; a
 * refresh by count carries the templates alone. */
static int
app_rows_due(struct nfv9 *nf, uint64_t now_us)
{
	if (!nf->tmpl_sent || nf->conf.refresh_s == 0)
		return 1;
	if (now_us < nf->apps_us)
		nf->apps_us = now_us;
	return now_us - nf->apps_us >= (uint64_t)nf->conf.refresh_s * 1000000;
}

static void
send_templates(struct nfv9 *nf, uint64_t now_us)
{
	size_t i;
	int fam, rows = app_rows_due(nf, now_us);

	/* Records already in the packet go first, in a packet of their own:
	 * a collector that lost the templates (or started late) would drop
	 * them if they preceded the templates in one packet, and every
	 * record after the templates is then decodable. */
	msg_finish(nf, now_us);
	for (fam = 0; fam < 2; fam++)
		if (nf->have[fam])
			put_data_tmpl(nf, fam, now_us);
	put_exporter_tmpl(nf, now_us);
	if (nf->want_apps)
		put_apps_tmpl(nf, now_us);
	put_exporter_rec(nf, now_us);
	for (i = 0; rows && i < nf->apps_cap; i++)
		if (nf->apps[i].used)
			put_app_rec(nf, &nf->apps[i], now_us);
	if (rows)
		nf->apps_us = now_us;
	nf->tmpl_sent = 1;
	nf->tmpl_us = now_us;
	nf->msgs_since = 0;
	nf->st.tmpl_sends++;
}

/* Flow records ------------------------------------------------------- */

static void
put_flow_rec(struct nfv9 *nf, int fam, const struct ie_rec *ir,
    uint64_t now_us)
{
	const struct tmpl *t = &nf->t[fam];
	const struct tmpl_field *f;
	uint8_t *p;
	uint64_t v;
	size_t i;

	p = reserve(nf, fam == 0 ? NFV9_TID_V4 : NFV9_TID_V6,
	    nf->rec_len[fam], 0, now_us);
	nf->n_data++;
	for (i = 0; i < t->n; i++) {
		f = &t->f[i];
		if (f->ie->val == IE_V_FIRST_SWITCHED ||
		    f->ie->val == IE_V_LAST_SWITCHED) {
			/* The registry gives ms since the epoch; v9 wants
			 * ms of sysUpTime, which wraps at 2^32. */
			v = ie_get_uint(f->ie, ir, 0) - nf->start_ms;
			put_be(p, v & 0xffffffffu, f->len);
		} else
			ie_encode_fixed(f->ie, ir, 0, p, f->len);
		p += f->len;
	}
}

int
nfv9_add(struct nfv9 *nf, const struct exp_record *rec, uint64_t now_us)
{
	const struct flow *f = rec->flow;
	int fam = f->key.ip_version == 6 ? 1 : 0;
	struct app_row *row = NULL;
	struct ie_rec ir;
	int d;

	if (f->c[FLOW_DIR_FWD].pkts == 0 && f->c[FLOW_DIR_REV].pkts == 0)
		return 0;
	/* One record the template cannot carry is not the exporter's end:
	 * skipped, counted by cause, printed with the collector's counters;
	 * -ENOTSUP is a transient error for the caller (export.h). */
	if (!nf->have[fam]) {
		nf->st.skipped_family += (f->c[FLOW_DIR_FWD].pkts != 0) +
		    (f->c[FLOW_DIR_REV].pkts != 0);
		return -ENOTSUP;
	}
	if (nf->want_apps && (row = app_get(nf, rec->app)) == NULL)
		nf->st.apps_untracked++;
	if (tmpl_due(nf, now_us))
		send_templates(nf, now_us);	/* may send the new row too */
	if (row != NULL && !row->sent)
		put_app_rec(nf, row, now_us);
	ir.rec = rec;
	ir.biflow = 0;
	for (d = FLOW_DIR_FWD; d <= FLOW_DIR_REV; d++) {
		if (f->c[d].pkts == 0)
			continue;
		ir.dir = (enum flow_dir)d;
		put_flow_rec(nf, fam, &ir, now_us);
	}
	return 0;
}

int
nfv9_flush(struct nfv9 *nf, uint64_t now_us)
{
	if (tmpl_due(nf, now_us))
		send_templates(nf, now_us);
	msg_finish(nf, now_us);
	return 0;
}

/* Setup -------------------------------------------------------------- */

static size_t
record_len(const struct tmpl *t)
{
	size_t i, n = 0;

	for (i = 0; i < t->n; i++)
		n += t->f[i].len;
	return n;
}

/* Bytes an empty packet needs for one record of <rec_len> alone in its
 * FlowSet, padding included. */
static size_t
alone_len(size_t rec_len)
{
	return NFV9_HDR_LEN + FS_HDR_LEN + rec_len +
	    pad_len(FS_HDR_LEN + rec_len, rec_len);
}

/* Lengths of the application table fields: the template's, else the
 * registry's v9 defaults. */
static void
setup_apps(struct nfv9 *nf)
{
	const struct tmpl *t = nf->have[0] ? &nf->t[0] : &nf->t[1];
	const struct ie_def *name_ie;
	size_t i;

	/* Built-in rows: no registry instance needed. */
	nf->app_id_ie = ie_find(NULL, "applicationId");
	nf->app_name_ie = ie_find(NULL, "applicationName");
	nf->app_cat_ie = ie_find(NULL, "applicationCategoryName");
	if (nf->app_id_ie == NULL || nf->app_name_ie == NULL ||
	    nf->app_cat_ie == NULL)
		return;
	nf->app_id_len = nf->app_id_ie->v9_len;
	nf->app_name_len = nf->app_name_ie->v9_len;
	name_ie = NULL;
	for (i = 0; i < t->n; i++) {
		if (t->f[i].ie == nf->app_id_ie) {
			nf->want_apps = 1;
			nf->app_id_len = t->f[i].len;
		}
		/* applicationName sets the length, else ntop's name. */
		if (t->f[i].ie == nf->app_name_ie ||
		    (name_ie == NULL && t->f[i].ie->val == IE_V_APP_NAME)) {
			name_ie = t->f[i].ie;
			nf->app_name_len = t->f[i].len;
		}
	}
}

struct nfv9 *
nfv9_new(const struct nfv9_conf *conf, nfv9_emit_cb emit, void *arg,
    struct perr *err)
{
	struct nfv9 *nf;
	struct perr e1, e2;
	size_t need;
	int fam, rc[2];

	if (conf->mtu < NFV9_MTU_MIN || conf->mtu > 65535) {
		perr_set(err, -EINVAL, "netflow v9: mtu %u out of range "
		    "(%d to 65535)", conf->mtu, NFV9_MTU_MIN);
		return NULL;
	}
	if ((nf = calloc(1, sizeof(*nf))) == NULL) {
		perr_set(err, -ENOMEM, "netflow v9: out of memory");
		return NULL;
	}
	nf->conf = *conf;
	nf->conf.tmpl = NULL;
	nf->emit = emit;
	nf->arg = arg;
	nf->start_ms = conf->start_us / 1000;
	for (fam = 0; fam < 2; fam++) {
		rc[fam] = tmpl_derive(conf->tmpl, fam == 0 ? 4 : 6, 0, 1,
		    &nf->t[fam], fam == 0 ? err : &e2);
		nf->have[fam] = rc[fam] == 0;
		if (nf->have[fam])
			nf->rec_len[fam] = record_len(&nf->t[fam]);
	}
	if (!nf->have[0] && !nf->have[1]) {
		/* Nothing could ever be encoded: refused at open. */
		if (err != NULL) {
			e1 = *err;
			perr_set(err, e1.code, "%.250s; %.250s", e1.msg,
			    e2.msg);
		}
		goto fail;
	}
	setup_apps(nf);
	for (fam = 0; fam < 2; fam++) {
		if (!nf->have[fam])
			continue;
		need = alone_len(nf->rec_len[fam]);
		if (need < alone_len(tmpl_rec_len(&nf->t[fam])))
			need = alone_len(tmpl_rec_len(&nf->t[fam]));
		if (need > conf->mtu) {
			perr_set(err, -EINVAL, "template '%s': a netflow v9 "
			    "IPv%d record or template takes %zu bytes with "
			    "the headers, more than the mtu of %u: shorten "
			    "the string lengths or raise --mtu",
			    conf->tmpl->name, fam == 0 ? 4 : 6, need,
			    conf->mtu);
			goto fail;
		}
	}
	if (nf->want_apps && alone_len(app_rec_len(nf)) > conf->mtu) {
		perr_set(err, -EINVAL, "template '%s': a netflow v9 "
		    "application table record takes %zu bytes with the "
		    "headers, more than the mtu of %u: shorten "
		    "applicationName or raise --mtu", conf->tmpl->name,
		    alone_len(app_rec_len(nf)), conf->mtu);
		goto fail;
	}
	if ((nf->buf = malloc(conf->mtu)) == NULL) {
		perr_set(err, -ENOMEM, "netflow v9: out of memory");
		goto fail;
	}
	return nf;
fail:
	nfv9_free(nf);
	return NULL;
}

void
nfv9_free(struct nfv9 *nf)
{
	if (nf == NULL)
		return;
	free(nf->buf);
	free(nf->apps);
	free(nf);
}

void
nfv9_get_stats(const struct nfv9 *nf, struct nfv9_stats *st)
{
	*st = nf->st;
	st->apps = nf->napps;
}

const struct tmpl *
nfv9_template(const struct nfv9 *nf, int ip_version)
{
	int fam = ip_version == 6 ? 1 : 0;

	if (ip_version != 4 && ip_version != 6)
		return NULL;
	return nf->have[fam] ? &nf->t[fam] : NULL;
}

size_t
nfv9_record_len(const struct nfv9 *nf, int ip_version)
{
	int fam = ip_version == 6 ? 1 : 0;

	if ((ip_version != 4 && ip_version != 6) || !nf->have[fam])
		return 0;
	return nf->rec_len[fam];
}
