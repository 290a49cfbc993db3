/*
 * plugin.c - the hook list and the plugin loader (see plugin.h and the
 * public include/l7probe/plugin.h).
 *
 * Per flow, flow->ext is laid out here:
 *	0			struct flow_hdr (8 bytes): plugins started;
 *				only when the set has plugins (8 bytes a
 *				flow saved otherwise)
 *	hooks[i].off		each core hook's slot (nDPI)
 *	plugin slot		a metric: its value (8 bytes); a classifier:
 *				its state (state_size, rounded up to 8)
 * Every slot is 8-aligned; the table zeroes ext at flow creation, which
 * is the "zeroed at flow start" of the plugin interface.
 *
 * A plugin's fields are rows of the set's own IE registry instance
 * (ie_register) whose values the encoders read at ext_off: the metric
 * slot, or the classifier's state plus the field's offset.
 */
#include "plugin/plugin.h"

#include <ctype.h>
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ie/ie.h"
#include "l7probe/plugin.h"

#define PLUG_MAX	16
#define STATE_MAX	(64 * 1024)
#define ALIGN8(n)	(((n) + 7) & ~(size_t)7)

extern const struct l7_plugin plug_count_pkts_gt;
extern const struct l7_plugin plug_nth_pkt_size;
extern const struct l7_plugin plug_first_pkts;
extern const struct l7_plugin plug_pkt_stats;

/* Bundled plugins, selected by name. */
static const struct l7_plugin *const bundled[] = {
	&plug_count_pkts_gt,
	&plug_nth_pkt_size,
	&plug_first_pkts,
	&plug_pkt_stats,
};
#define N_BUNDLED	(sizeof(bundled) / sizeof(bundled[0]))

struct flow_hdr {
	uint8_t		started;	/* on_flow_init called */
	uint8_t		pad[7];
};

struct plugin {
	const struct l7_plugin	*d;
	void			*dl;		/* dlopen handle, NULL bundled */
	void			*ctx;
	int			inited;		/* init() succeeded */
	size_t			off;		/* slot in flow->ext */
	char			what[160];	/* "plugin 'x'" for messages */
};

struct plug_set {
	struct plugin		p[PLUG_MAX];
	int			n;
	struct plug_hook	*hooks;
	int			n_hooks;
	size_t			ext_size;
	struct ie_reg		*reg;		/* owned: built-in + fields */
	int			n_fields;	/* rows registered */
	plug_app_cb		app;
	void			*app_arg;
};

/* The flow view of one call, with the lazily filled application names. */
struct view {
	struct l7_flow		v;
	const struct plug_set	*ps;
	const struct flow	*f;
	int			have_app;
	char			app[64];
	char			cat[48];
};

const char *const *
plug_bundled_names(void)
{
	static const char *names[N_BUNDLED + 1];
	size_t i;

	/* Filled on first use, always with the same values. */
	for (i = 0; i < N_BUNDLED; i++)
		names[i] = bundled[i]->name;
	names[N_BUNDLED] = NULL;
	return names;
}

/* Views ------------------------------------------------------------- */

static uint64_t	load_uint(const unsigned char *p, enum l7_type t);

static void
fill_app(struct view *vw)
{
	if (vw->have_app)
		return;
	snprintf(vw->app, sizeof(vw->app), "Unknown");
	snprintf(vw->cat, sizeof(vw->cat), "Unspecified");
	if (vw->ps->app != NULL)
		vw->ps->app(vw->f, vw->ps->app_arg, vw->app, sizeof(vw->app),
		    vw->cat, sizeof(vw->cat));
	vw->have_app = 1;
}

static const char *
view_app_name(const struct l7_flow *fl)
{
	struct view *vw = (struct view *)(uintptr_t)fl->core;

	fill_app(vw);
	return vw->app;
}

static const char *
view_category_name(const struct l7_flow *fl)
{
	struct view *vw = (struct view *)(uintptr_t)fl->core;

	fill_app(vw);
	return vw->cat;
}

static int
view_get(const struct l7_flow *fl, const char *field, struct l7_value *out)
{
	const struct view *vw = fl->core;
	const struct ie_def *def = ie_find(vw->ps->reg, field);
	const unsigned char *p;
	uint16_t n;

	if (def == NULL || !(def->flags & IE_F_EXT) || out == NULL)
		return -1;
	p = vw->f->ext + def->ext_off;
	memset(out, 0, sizeof(*out));
	out->type = (enum l7_type)def->type;
	switch (def->type) {
	case IE_T_UNSIGNED8:
	case IE_T_UNSIGNED16:
	case IE_T_UNSIGNED32:
	case IE_T_UNSIGNED64:
		out->u = load_uint(p, (enum l7_type)def->type);
		break;
	case IE_T_SIGNED64:
		memcpy(&out->s, p, 8);
		break;
	case IE_T_FLOAT64:
		memcpy(&out->f, p, 8);
		break;
	case IE_T_STRING:
		out->ptr = p;
		out->len = strnlen((const char *)p, def->max_len);
		break;
	case IE_T_OCTET_ARRAY:
		memcpy(&n, p, 2);
		out->ptr = p + 2;
		out->len = n < def->max_len ? n : def->max_len;
		break;
	default:
		out->ptr = p;
		out->len = def->len;
		break;
	}
	return 0;
}

static void
view_init(struct view *vw, const struct plug_set *ps, const struct flow *f)
{
	struct l7_flow *v = &vw->v;
	int d;

	vw->ps = ps;
	vw->f = f;
	vw->have_app = 0;
	v->ip_version = f->key.ip_version;
	v->proto = f->key.proto;
	v->sport = f->key.sport;
	v->dport = f->key.dport;
	v->vlan_id = f->key.vlan_id;
	v->tunnel_id = f->key.tunnel_id;
	v->ifindex = f->key.ifindex;
	memcpy(v->src, f->key.src, 16);
	memcpy(v->dst, f->key.dst, 16);
	for (d = 0; d < 2; d++) {
		v->c[d].pkts = f->c[d].pkts;
		v->c[d].bytes = f->c[d].bytes;
		v->c[d].first_us = f->c[d].first_us;
		v->c[d].last_us = f->c[d].last_us;
		v->c[d].tcp_flags = f->tcp_flags[d];
	}
	v->app_name = view_app_name;
	v->category_name = view_category_name;
	v->get = view_get;
	v->core = vw;
}

/* The packet view: the payload from the inner IP and L4 headers. */
static void
pkt_init(struct l7_pkt *pk, enum flow_dir dir, const struct dec_pkt *pkt)
{
	uint32_t l3_hdr, l4_hdr = 0, ip_total;
	const uint8_t *l3 = pkt->l3, *l4 = pkt->l4;

	memset(pk, 0, sizeof(*pk));
	pk->ts_us = pkt->ts_us;
	pk->dir = dir == FLOW_DIR_FWD ? L7_SRC_TO_DST : L7_DST_TO_SRC;
	pk->ip_len = pkt->ip_len;
	pk->sport = pkt->sport;
	pk->dport = pkt->dport;
	pk->proto = pkt->proto;
	pk->tcp_flags = pkt->tcp_flags;
	pk->icmp_type = pkt->icmp_type;
	pk->icmp_code = pkt->icmp_code;
	pk->is_later_fragment = pkt->frag == DEC_FRAG_LATER;
	if (l4 != NULL) {
		pk->l4 = l4;
		pk->l4_caplen = pkt->l4_caplen;
		if (pkt->proto == 6 && pkt->l4_caplen >= 16) {
			pk->tcp_seq = (uint32_t)l4[4] << 24 |
			    (uint32_t)l4[5] << 16 | (uint32_t)l4[6] << 8 | l4[7];
			pk->tcp_ack = (uint32_t)l4[8] << 24 |
			    (uint32_t)l4[9] << 16 | (uint32_t)l4[10] << 8 |
			    l4[11];
			pk->tcp_window = (uint16_t)(l4[14] << 8 | l4[15]);
		}
	}
	if (l3 == NULL || l4 == NULL || l4 < l3 || pkt->l3_caplen < 4)
		return;
	l3_hdr = (uint32_t)(l4 - l3);
	/* The inner header's length, which with tunnels is not ip_len. */
	if (pkt->ip_version == 4)
		ip_total = (uint32_t)l3[2] << 8 | l3[3];
	else if (pkt->l3_caplen >= 6)
		ip_total = 40 + ((uint32_t)l3[4] << 8 | l3[5]);
	else
		return;
	switch (pkt->proto) {
	case 6:
		if (pkt->l4_caplen < 13)
			return;
		l4_hdr = (uint32_t)(l4[12] >> 4) * 4;
		break;
	case 17:
	case 1:
	case 58:
		l4_hdr = 8;
		break;
	default:
		l4_hdr = 0;
		break;
	}
	if (ip_total < l3_hdr + l4_hdr)
		return;
	pk->payload_len = ip_total - l3_hdr - l4_hdr;
	if (pkt->l4_caplen > l4_hdr && pk->payload_len > 0) {
		pk->payload = l4 + l4_hdr;
		pk->payload_caplen = pkt->l4_caplen - l4_hdr;
		if (pk->payload_caplen > pk->payload_len)
			pk->payload_caplen = pk->payload_len;
	}
}

/* Metric values, stored at the field's natural size. */
static uint64_t
load_uint(const unsigned char *p, enum l7_type t)
{
	uint16_t u16;
	uint32_t u32;
	uint64_t u64;

	switch (t) {
	case L7_U8:	return *p;
	case L7_U16:	memcpy(&u16, p, 2); return u16;
	case L7_U32:	memcpy(&u32, p, 4); return u32;
	default:	memcpy(&u64, p, 8); return u64;
	}
}

static void
store_uint(unsigned char *p, enum l7_type t, uint64_t v)
{
	uint16_t u16 = (uint16_t)v;
	uint32_t u32 = (uint32_t)v;

	switch (t) {
	case L7_U8:	*p = (uint8_t)v; break;
	case L7_U16:	memcpy(p, &u16, 2); break;
	case L7_U32:	memcpy(p, &u32, 4); break;
	default:	memcpy(p, &v, 8); break;
	}
}

/* Hooks ------------------------------------------------------------- */

int
plug_packet(struct plug_set *ps, struct flow *f, enum flow_dir dir,
    const struct dec_pkt *pkt)
{
	struct flow_hdr *hdr = (struct flow_hdr *)(void *)f->ext;
	const struct l7_plugin *d;
	struct plugin *pl;
	struct l7_pkt pk;
	struct view vw;
	unsigned char *slot;
	int rc = FLOW_PKT_CONTINUE, i;

	for (i = 0; i < ps->n_hooks; i++)
		if (ps->hooks[i].on_packet != NULL &&
		    ps->hooks[i].on_packet(ps->hooks[i].arg, f,
		    f->ext + ps->hooks[i].off, dir, pkt) == FLOW_PKT_EXPORT)
			rc = FLOW_PKT_EXPORT;
	if (ps->n == 0)
		return rc;
	view_init(&vw, ps, f);
	pkt_init(&pk, dir, pkt);
	if (!hdr->started) {
		hdr->started = 1;
		for (i = 0; i < ps->n; i++) {
			pl = &ps->p[i];
			if (pl->d->on_flow_init != NULL)
				pl->d->on_flow_init(pl->ctx, f->ext + pl->off,
				    &vw.v);
		}
	}
	for (i = 0; i < ps->n; i++) {
		pl = &ps->p[i];
		d = pl->d;
		slot = f->ext + pl->off;
		if (d->metric != NULL)
			store_uint(slot, d->fields[0].type, d->metric(pl->ctx,
			    &pk, &vw.v, load_uint(slot, d->fields[0].type)));
		else if (d->on_flow_update != NULL &&
		    d->on_flow_update(pl->ctx, slot, &pk, &vw.v) ==
		    L7_EXPORT_NOW)
			rc = FLOW_PKT_EXPORT;
	}
	return rc;
}

void
plug_flow_end(struct plug_set *ps, struct flow *f,
    enum flow_end_reason reason)
{
	struct flow_hdr *hdr = (struct flow_hdr *)(void *)f->ext;
	struct plugin *pl;
	struct view vw;
	int i;

	for (i = 0; i < ps->n_hooks; i++)
		if (ps->hooks[i].on_end != NULL)
			ps->hooks[i].on_end(ps->hooks[i].arg, f,
			    f->ext + ps->hooks[i].off, reason);
	/* A flow made only of orphaned fragments never saw a packet hook:
	 * nothing was started, nothing to terminate. */
	if (reason == FLOW_END_ACTIVE || ps->n == 0 || !hdr->started)
		return;
	view_init(&vw, ps, f);
	for (i = 0; i < ps->n; i++) {
		pl = &ps->p[i];
		if (pl->d->on_flow_terminate != NULL)
			pl->d->on_flow_terminate(pl->ctx, f->ext + pl->off,
			    &vw.v);
	}
}

void
plug_flow_release(struct plug_set *ps, struct flow *f)
{
	int i;

	for (i = 0; i < ps->n_hooks; i++)
		if (ps->hooks[i].on_release != NULL)
			ps->hooks[i].on_release(ps->hooks[i].arg, f,
			    f->ext + ps->hooks[i].off);
}

size_t
plug_set_ext_size(const struct plug_set *ps)
{
	return ps->ext_size;
}

size_t
plug_set_slot(const struct plug_set *ps, int i)
{
	return i >= 0 && i < ps->n ? ps->p[i].off : 0;
}

const struct ie_reg *
plug_set_reg(const struct plug_set *ps)
{
	return ps != NULL ? ps->reg : NULL;
}

int
plug_set_n_fields(const struct plug_set *ps)
{
	return ps->n_fields;
}

int
plug_set_count(const struct plug_set *ps)
{
	return ps->n;
}

/* Loading ----------------------------------------------------------- */

static size_t
type_size(enum l7_type t, uint16_t max_len)
{
	switch (t) {
	case L7_U8:	return 1;
	case L7_U16:	return 2;
	case L7_U32:
	case L7_IPV4:	return 4;
	case L7_U64:
	case L7_S64:
	case L7_F64:	return 8;
	case L7_IPV6:	return 16;
	case L7_STRING:	return (size_t)max_len + 1;
	case L7_BYTES:	return 2 + (size_t)max_len;
	}
	return 0;
}

static int
name_ok(const char *s)
{
	size_t n = 0;

	if (s == NULL || *s == '\0')
		return 0;
	for (; *s != '\0'; s++, n++)
		if (!isalnum((unsigned char)*s) && *s != '_')
			return 0;
	return n <= 63;
}

/* Checks the descriptor of <pl> (loaded, not initialised). */
static int
check_desc(struct plugin *pl, struct perr *err)
{
	const struct l7_plugin *d = pl->d;
	const struct l7_field *fd;
	size_t i, sz;
	int classifier = d->on_flow_init != NULL ||
	    d->on_flow_update != NULL || d->on_flow_terminate != NULL;

	if (d->api_version != L7_PLUGIN_API_VERSION)
		return perr_set(err, -EINVAL, "%s: built for plugin API "
		    "version %u, this l7probe has version %u (rebuild it "
		    "against this l7probe's l7probe/plugin.h)", pl->what,
		    d->api_version, L7_PLUGIN_API_VERSION);
	if (d->metric != NULL && classifier)
		return perr_set(err, -EINVAL, "%s: both a metric and "
		    "classifier hooks: choose one form", pl->what);
	if (d->metric == NULL && !classifier)
		return perr_set(err, -EINVAL, "%s: neither metric() nor a "
		    "classifier hook", pl->what);
	if (d->n_fields > 0 && d->fields == NULL)
		return perr_set(err, -EINVAL, "%s: n_fields %zu but no "
		    "fields", pl->what, d->n_fields);
	if (d->metric != NULL && (d->n_fields != 1 ||
	    (d->fields[0].type != L7_U8 && d->fields[0].type != L7_U16 &&
	    d->fields[0].type != L7_U32 && d->fields[0].type != L7_U64 &&
	    d->fields[0].type != L7_S64)))
		return perr_set(err, -EINVAL, "%s: a metric has exactly one "
		    "integer field (L7_U8..L7_U64, L7_S64)", pl->what);
	if (d->state_size > STATE_MAX)
		return perr_set(err, -EINVAL, "%s: state_size %zu larger "
		    "than %d", pl->what, d->state_size, STATE_MAX);
	for (i = 0; i < d->n_fields; i++) {
		fd = &d->fields[i];
		if (!name_ok(fd->name))
			return perr_set(err, -EINVAL, "%s: field %zu: bad name "
			    "'%s' (letters, digits, '_', at most 63)", pl->what,
			    i, fd->name != NULL ? fd->name : "(null)");
		if ((sz = type_size(fd->type, fd->max_len)) == 0)
			return perr_set(err, -EINVAL, "%s: field '%s': unknown "
			    "type %d", pl->what, fd->name, (int)fd->type);
		if (d->metric != NULL)
			continue;
		if (fd->offset > d->state_size ||
		    sz > d->state_size - fd->offset)
			return perr_set(err, -EINVAL, "%s: field '%s': offset "
			    "%zu + %zu bytes outside state_size %zu", pl->what,
			    fd->name, fd->offset, sz, d->state_size);
		if (sz == 8 && fd->type != L7_IPV6 && fd->offset % 8 != 0)
			return perr_set(err, -EINVAL, "%s: field '%s': offset "
			    "%zu not 8-aligned", pl->what, fd->name,
			    fd->offset);
	}
	return 0;
}

/* Finds and loads the plugin of <spec> into <pl>; <args> points into
 * <buf> (the spec's copy). */
static int
load_one(struct plugin *pl, const char *spec, char *buf, size_t size,
    const char **args, struct perr *err)
{
	const void *sym;
	char *colon, *so, *end;
	size_t i;

	snprintf(buf, size, "%s", spec);
	*args = "";
	/* A path: ends in ".so" (its arguments after ".so:"), or has a '/'
	 * before the first ':'. <end> is where the path ends. */
	colon = strchr(buf, ':');
	end = NULL;
	for (so = strstr(buf, ".so"); so != NULL; so = strstr(so + 1, ".so"))
		if (so[3] == '\0' || so[3] == ':') {
			end = so + 3;
			break;
		}
	if (end == NULL && memchr(buf, '/', colon != NULL ?
	    (size_t)(colon - buf) : strlen(buf)) != NULL)
		end = colon != NULL ? colon : buf + strlen(buf);
	if (end != NULL) {
		if (*end == ':') {
			*end = '\0';
			*args = end + 1;
		}
		snprintf(pl->what, sizeof(pl->what), "plugin '%.140s'", buf);
		/* dlopen looks a name without '/' up in the library path. */
		if (strchr(buf, '/') == NULL)
			return perr_set(err, -EINVAL, "%s: give a path to the "
			    "shared object (./%s)", pl->what, buf);
		dlerror();
		if ((pl->dl = dlopen(buf, RTLD_NOW | RTLD_LOCAL)) == NULL)
			return perr_set(err, -ENOENT, "%s: cannot load: %s",
			    pl->what, dlerror());
		if ((sym = dlsym(pl->dl, L7_PLUGIN_SYMBOL)) == NULL)
			return perr_set(err, -EINVAL, "%s: no '%s' symbol (not "
			    "an l7probe plugin?)", pl->what, L7_PLUGIN_SYMBOL);
		pl->d = sym;
		return 0;
	}
	if (colon != NULL) {
		*colon = '\0';
		*args = colon + 1;
	}
	snprintf(pl->what, sizeof(pl->what), "plugin '%.140s'", buf);
	for (i = 0; i < N_BUNDLED; i++)
		if (strcmp(bundled[i]->name, buf) == 0) {
			pl->d = bundled[i];
			return 0;
		}
	return perr_set(err, -ENOENT, "%s: no such bundled plugin (bundled: "
	    "count_pkts_gt, nth_pkt_size, first_pkts, pkt_stats; a shared "
	    "object is given by its path, ending in .so)", pl->what);
}

void
plug_set_free(struct plug_set *ps)
{
	int i;

	if (ps == NULL)
		return;
	for (i = 0; i < ps->n; i++) {
		if (ps->p[i].inited && ps->p[i].d->on_exit != NULL)
			ps->p[i].d->on_exit(ps->p[i].ctx);
		if (ps->p[i].dl != NULL)
			dlclose(ps->p[i].dl);
	}
	ie_reg_free(ps->reg);
	free(ps);
}

struct plug_set *
plug_set_new(const struct plug_set_conf *conf, struct perr *err)
{
	struct plug_set *ps;
	struct plugin *pl;
	const struct l7_field *fd;
	struct ie_def row;
	const char *args;
	char buf[1024], msg[256];
	size_t off, k;
	int i;

	if (conf->n_specs + conf->n_user > PLUG_MAX) {
		perr_set(err, -EINVAL, "too many plugins (at most %d)",
		    PLUG_MAX);
		return NULL;
	}
	if ((ps = calloc(1, sizeof(*ps))) == NULL) {
		perr_set(err, -ENOMEM, "plugins: out of memory");
		return NULL;
	}
	if ((ps->reg = ie_reg_new()) == NULL) {
		free(ps);
		perr_set(err, -ENOMEM, "plugins: out of memory");
		return NULL;
	}
	ps->hooks = conf->hooks;
	ps->n_hooks = conf->n_hooks;
	ps->app = conf->app;
	ps->app_arg = conf->app_arg;

	/* The header is read only when ps->n > 0 (plug_packet,
	 * plug_flow_end). */
	off = conf->n_specs + conf->n_user > 0 ? sizeof(struct flow_hdr) : 0;
	for (i = 0; i < conf->n_hooks; i++) {
		conf->hooks[i].off = off;
		off += ALIGN8(conf->hooks[i].ext_size);
	}
	for (i = 0; i < conf->n_specs + conf->n_user; i++) {
		pl = &ps->p[i];
		ps->n = i + 1;
		if (i >= conf->n_specs) {
			/* A descriptor in the program: no loading. */
			pl->d = conf->user[i - conf->n_specs].d;
			pl->ctx = conf->user[i - conf->n_specs].ctx;
			args = "";
			snprintf(pl->what, sizeof(pl->what), "plugin '%.140s'",
			    pl->d != NULL && pl->d->name != NULL ?
			    pl->d->name : "(unnamed)");
			if (pl->d == NULL) {
				perr_set(err, -EINVAL, "%s: no descriptor",
				    pl->what);
				goto fail;
			}
			if (check_desc(pl, err) != 0)
				goto fail;
		} else if (load_one(pl, conf->specs[i], buf, sizeof(buf),
		    &args, err) != 0 || check_desc(pl, err) != 0)
			goto fail;
		if (pl->d->init != NULL) {
			msg[0] = '\0';
			if (pl->d->init(args, &pl->ctx, msg, sizeof(msg)) != 0) {
				msg[sizeof(msg) - 1] = '\0';
				perr_set(err, -EINVAL, "%s: init failed: %s",
				    pl->what, msg[0] != '\0' ? msg :
				    "(no reason given)");
				goto fail;
			}
		}
		pl->inited = 1;
		pl->off = off;
		off += pl->d->metric != NULL ? 8 : ALIGN8(pl->d->state_size);
		for (k = 0; k < pl->d->n_fields; k++) {
			fd = &pl->d->fields[k];
			memset(&row, 0, sizeof(row));
			row.name = fd->name;
			row.id = fd->id;
			row.type = (enum ie_type)fd->type;
			row.semantics = IE_S_DEFAULT;
			row.units = IE_U_NONE;
			row.flags = IE_F_LOCAL_PEN;
			row.desc = fd->desc != NULL ? fd->desc : "";
			row.max_len = fd->max_len;
			row.ext_off = pl->off +
			    (pl->d->metric != NULL ? 0 : fd->offset);
			row.owner = pl->what;
			if (ie_register(ps->reg, &row, err) != 0)
				goto fail;
			ps->n_fields++;
		}
	}
	ps->ext_size = off;
	return ps;
fail:
	plug_set_free(ps);
	return NULL;
}
