/*
 * ie.c - the Information Element registry and record value access.
 *
 * One table, read by the IPFIX and NetFlow v9 encoders alike (see ie.h).
 * Numbers come from the IANA IPFIX registry (RFC 7012), ntop's PEN 35632
 * as nProbe documents it ("[NFv9 57590][IPFIX 35632.118][Len 2]
 * %L7_PROTO"), and our own PEN (RFC 5612's 32473 unless --pen). Every
 * enterprise row must also be in templates/l7probe-ie.xml: test_ie checks
 * both agree through libfixbuf.
 *
 * Adding an element: one row here (and in the XML if it is not IANA's),
 * plus its enum ie_val case in uint_value()/bytes_value() if it carries a
 * new value. Templates pick it up by name.
 */
#include "ie/ie.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define V4	IE_F_V4
#define V6	IE_F_V6
#define DIR	IE_F_DIRECTIONAL
#define LOCAL	IE_F_LOCAL_PEN
#define NTOP(id)	((uint16_t)(IE_NTOP_V9_BASE + (id)))

/* Length of our applicationId value (RFC 6759, see IE_V_APP_ID). */
#define APP_ID_LEN	9
#define APP_ID_ENGINE_PANA_L7_PEN 20

/* name, pen, id, type, len, semantics, units, v9_id, v9_len, flags, val,
 * desc, and for registered rows only: ext_off, max_len, owner */
static const struct ie_def registry[] = {
	/* Keys. */
	{ "sourceIPv4Address", 0, 8, IE_T_IPV4_ADDRESS, 4, IE_S_DEFAULT,
	  IE_U_NONE, 8, 4, V4, IE_V_SRC_ADDR,
	  "IPv4 source address", 0, 0, NULL },
	{ "destinationIPv4Address", 0, 12, IE_T_IPV4_ADDRESS, 4, IE_S_DEFAULT,
	  IE_U_NONE, 12, 4, V4, IE_V_DST_ADDR,
	  "IPv4 destination address", 0, 0, NULL },
	{ "sourceIPv6Address", 0, 27, IE_T_IPV6_ADDRESS, 16, IE_S_DEFAULT,
	  IE_U_NONE, 27, 16, V6, IE_V_SRC_ADDR,
	  "IPv6 source address", 0, 0, NULL },
	{ "destinationIPv6Address", 0, 28, IE_T_IPV6_ADDRESS, 16,
	  IE_S_DEFAULT, IE_U_NONE, 28, 16, V6, IE_V_DST_ADDR,
	  "IPv6 destination address", 0, 0, NULL },
	{ "sourceTransportPort", 0, 7, IE_T_UNSIGNED16, 2, IE_S_IDENTIFIER,
	  IE_U_NONE, 7, 2, 0, IE_V_SRC_PORT,
	  "source port (TCP, UDP, SCTP), 0 for other protocols", 0, 0, NULL },
	{ "destinationTransportPort", 0, 11, IE_T_UNSIGNED16, 2,
	  IE_S_IDENTIFIER, IE_U_NONE, 11, 2, 0, IE_V_DST_PORT,
	  "destination port (TCP, UDP, SCTP), 0 for other protocols", 0, 0, NULL },
	{ "protocolIdentifier", 0, 4, IE_T_UNSIGNED8, 1, IE_S_IDENTIFIER,
	  IE_U_NONE, 4, 1, 0, IE_V_PROTO,
	  "IP protocol number", 0, 0, NULL },
	{ "ipVersion", 0, 60, IE_T_UNSIGNED8, 1, IE_S_IDENTIFIER,
	  IE_U_NONE, 60, 1, 0, IE_V_IP_VERSION,
	  "IP version, 4 or 6", 0, 0, NULL },
	{ "icmpTypeCodeIPv4", 0, 32, IE_T_UNSIGNED16, 2, IE_S_IDENTIFIER,
	  IE_U_NONE, 32, 2, V4 | DIR, IE_V_ICMP_TYPECODE,
	  "ICMP type * 256 + code of the first ICMP packet", 0, 0, NULL },
	{ "icmpTypeCodeIPv6", 0, 139, IE_T_UNSIGNED16, 2, IE_S_IDENTIFIER,
	  IE_U_NONE, 139, 2, V6 | DIR, IE_V_ICMP_TYPECODE,
	  "ICMPv6 type * 256 + code of the first ICMPv6 packet", 0, 0, NULL },
	{ "vlanId", 0, 58, IE_T_UNSIGNED16, 2, IE_S_IDENTIFIER,
	  IE_U_NONE, 58, 2, 0, IE_V_VLAN,
	  "outer VLAN id, 0 when untagged", 0, 0, NULL },

	{ "ingressInterface", 0, 10, IE_T_UNSIGNED32, 4, IE_S_IDENTIFIER,
	  IE_U_NONE, 10, 4, 0, IE_V_IFINDEX,
	  "ifIndex of the interface the flow was captured on, 0 = unknown "
	  "or interfaces merged", 0, 0, NULL },

	/* Times and counters (per direction). */
	{ "flowStartMilliseconds", 0, 152, IE_T_DATETIME_MS, 8, IE_S_DEFAULT,
	  IE_U_MILLISECONDS, 152, 8, DIR, IE_V_START_MS,
	  "time of the first packet, ms since the epoch", 0, 0, NULL },
	{ "flowEndMilliseconds", 0, 153, IE_T_DATETIME_MS, 8, IE_S_DEFAULT,
	  IE_U_MILLISECONDS, 153, 8, DIR, IE_V_END_MS,
	  "time of the last packet, ms since the epoch", 0, 0, NULL },
	{ "flowStartSysUpTime", 0, 22, IE_T_UNSIGNED32, 4, IE_S_DEFAULT,
	  IE_U_MILLISECONDS, 22, 4, DIR, IE_V_FIRST_SWITCHED,
	  "time of the first packet, ms since exporter start "
	  "(NetFlow v9 FIRST_SWITCHED)", 0, 0, NULL },
	{ "flowEndSysUpTime", 0, 21, IE_T_UNSIGNED32, 4, IE_S_DEFAULT,
	  IE_U_MILLISECONDS, 21, 4, DIR, IE_V_LAST_SWITCHED,
	  "time of the last packet, ms since exporter start "
	  "(NetFlow v9 LAST_SWITCHED)", 0, 0, NULL },
	{ "packetDeltaCount", 0, 2, IE_T_UNSIGNED64, 8, IE_S_DELTA_COUNTER,
	  IE_U_PACKETS, 2, 8, DIR, IE_V_PKTS,
	  "packets in this record", 0, 0, NULL },
	{ "octetDeltaCount", 0, 1, IE_T_UNSIGNED64, 8, IE_S_DELTA_COUNTER,
	  IE_U_OCTETS, 1, 8, DIR, IE_V_BYTES,
	  "octets in this record: sum of IP total lengths", 0, 0, NULL },
	{ "tcpControlBits", 0, 6, IE_T_UNSIGNED16, 2, IE_S_FLAGS,
	  IE_U_NONE, 6, 1, DIR, IE_V_TCP_FLAGS,
	  "OR of the TCP flags of all packets", 0, 0, NULL },

	/* Record. */
	{ "flowEndReason", 0, 136, IE_T_UNSIGNED8, 1, IE_S_IDENTIFIER,
	  IE_U_NONE, 136, 1, 0, IE_V_END_REASON,
	  "why the record ended: 1 idle, 2 active, 3 end detected, "
	  "4 forced, 5 lack of resources", 0, 0, NULL },
	{ "biflowDirection", 0, 239, IE_T_UNSIGNED8, 1, IE_S_IDENTIFIER,
	  IE_U_NONE, 239, 1, 0, IE_V_BIFLOW_DIR,
	  "1 initiator (the source opened the flow), 2 reverseInitiator", 0, 0, NULL },

	/* Application (RFC 6759). */
	{ "applicationId", 0, 95, IE_T_OCTET_ARRAY, APP_ID_LEN,
	  IE_S_DEFAULT, IE_U_NONE, 95, APP_ID_LEN, 0, IE_V_APP_ID,
	  "engine 20 (PANA-L7-PEN), PEN 35632, selector "
	  "nDPI master id << 16 | app id", 0, 0, NULL },
	{ "applicationName", 0, 96, IE_T_STRING, IE_VARLEN, IE_S_DEFAULT,
	  IE_U_NONE, 96, 32, 0, IE_V_APP_NAME,
	  "nDPI application name, master.app (\"TLS.Instagram\")", 0, 0, NULL },
	{ "applicationCategoryName", 0, 372, IE_T_STRING, IE_VARLEN,
	  IE_S_DEFAULT, IE_U_NONE, 372, 32, 0, IE_V_APP_CATEGORY,
	  "nDPI category name (\"SocialNetwork\")", 0, 0, NULL },

	/* ntop (PEN 35632), as nProbe exports them. */
	{ "L7_PROTO", IE_PEN_NTOP, 118, IE_T_UNSIGNED16, 2, IE_S_IDENTIFIER,
	  IE_U_NONE, NTOP(118), 2, 0, IE_V_L7_PROTO,
	  "nDPI protocol id: the app id, else the master id", 0, 0, NULL },
	{ "L7_PROTO_NAME", IE_PEN_NTOP, 119, IE_T_STRING, IE_VARLEN,
	  IE_S_DEFAULT, IE_U_NONE, NTOP(119), 32, 0, IE_V_APP_NAME,
	  "nDPI protocol name, master.app (\"TLS.Instagram\")", 0, 0, NULL },
	{ "L7_PROTO_CATEGORY", IE_PEN_NTOP, 501, IE_T_STRING, IE_VARLEN,
	  IE_S_DEFAULT, IE_U_NONE, NTOP(501), 32, 0, IE_V_APP_CATEGORY,
	  "nDPI protocol category name", 0, 0, NULL },
	{ "FLOW_SERVER_NAME", IE_PEN_NTOP, 122, IE_T_STRING, IE_VARLEN,
	  IE_S_DEFAULT, IE_U_NONE, NTOP(122), 64, 0, IE_V_SERVER_NAME,
	  "server name: TLS/QUIC SNI, HTTP Host or DNS query", 0, 0, NULL },
	{ "JA3C_HASH", IE_PEN_NTOP, 489, IE_T_STRING, IE_VARLEN,
	  IE_S_DEFAULT, IE_U_NONE, NTOP(489), 32, 0, IE_V_JA3C,
	  "JA3 client hash (hex)", 0, 0, NULL },
	{ "JA3S_HASH", IE_PEN_NTOP, 490, IE_T_STRING, IE_VARLEN,
	  IE_S_DEFAULT, IE_U_NONE, NTOP(490), 32, 0, IE_V_JA3S,
	  "JA3 server hash (hex)", 0, 0, NULL },
	{ "HTTP_UA", IE_PEN_NTOP, 183, IE_T_STRING, IE_VARLEN,
	  IE_S_DEFAULT, IE_U_NONE, NTOP(183), 128, 0, IE_V_USER_AGENT,
	  "HTTP User-Agent", 0, 0, NULL },
	{ "UPSTREAM_TUNNEL_ID", IE_PEN_NTOP, 106, IE_T_UNSIGNED32, 4,
	  IE_S_IDENTIFIER, IE_U_NONE, NTOP(106), 4, 0, IE_V_TUNNEL_ID,
	  "tunnel id of the flow (GRE key, GTP TEID, VXLAN VNI), 0 = none", 0, 0, NULL },

	/* Ours (local PEN): no NetFlow v9 number, v9 has no PEN. */
	{ "ndpiProtocolIds", IE_PEN_DEFAULT_LOCAL, 1, IE_T_STRING, IE_VARLEN,
	  IE_S_DEFAULT, IE_U_NONE, 0, 16, LOCAL, IE_V_L7_PROTO_ID_STR,
	  "nDPI protocol ids, master.app (\"91.211\")", 0, 0, NULL },
	{ "ndpiCategoryId", IE_PEN_DEFAULT_LOCAL, 2, IE_T_UNSIGNED16, 2,
	  IE_S_IDENTIFIER, IE_U_NONE, 0, 2, LOCAL, IE_V_L7_CATEGORY_ID,
	  "nDPI category id, 0 = unspecified", 0, 0, NULL },
};

#define NREG	(sizeof(registry) / sizeof(registry[0]))

static void	put_be(uint8_t *out, uint64_t v, size_t len);

/*
 * The rows of one registry instance (ie_register): a fixed array, so
 * pointers to rows stay valid for the registry's life. Written only at
 * setup, before any reader of this instance runs (see ie.h).
 */
struct ie_reg {
	struct ie_def	rows[IE_EXT_MAX];
	char		*strs[IE_EXT_MAX][3];	/* owned name, desc, owner */
	size_t		n;
};

struct ie_reg *
ie_reg_new(void)
{
	return calloc(1, sizeof(struct ie_reg));
}

void
ie_reg_free(struct ie_reg *reg)
{
	size_t i, k;

	if (reg == NULL)
		return;
	for (i = 0; i < reg->n; i++)
		for (k = 0; k < 3; k++)
			free(reg->strs[i][k]);
	free(reg);
}

size_t
ie_count(const struct ie_reg *reg)
{
	return NREG + (reg != NULL ? reg->n : 0);
}

const struct ie_def *
ie_at(const struct ie_reg *reg, size_t i)
{
	if (i < NREG)
		return &registry[i];
	return reg != NULL && i - NREG < reg->n ? &reg->rows[i - NREG] : NULL;
}

/* The registry is small (tens of rows) and looked up at setup only:
 * a linear scan is enough. */
const struct ie_def *
ie_find(const struct ie_reg *reg, const char *name)
{
	size_t i;

	if (name == NULL)
		return NULL;
	for (i = 0; i < ie_count(reg); i++)
		if (strcmp(ie_at(reg, i)->name, name) == 0)
			return ie_at(reg, i);
	return NULL;
}

const struct ie_def *
ie_find_id(const struct ie_reg *reg, uint32_t pen, uint16_t id,
    uint32_t local_pen)
{
	size_t i;

	for (i = 0; i < ie_count(reg); i++)
		if (ie_pen(ie_at(reg, i), 0, local_pen) == pen &&
		    ie_at(reg, i)->id == id)
			return ie_at(reg, i);
	return NULL;
}

static int
ext_type_ok(enum ie_type t)
{
	switch (t) {
	case IE_T_UNSIGNED8:
	case IE_T_UNSIGNED16:
	case IE_T_UNSIGNED32:
	case IE_T_UNSIGNED64:
	case IE_T_SIGNED64:
	case IE_T_FLOAT64:
	case IE_T_STRING:
	case IE_T_OCTET_ARRAY:
	case IE_T_IPV4_ADDRESS:
	case IE_T_IPV6_ADDRESS:
		return 1;
	default:
		return 0;
	}
}

static uint16_t
natural_len(enum ie_type t)
{
	switch (t) {
	case IE_T_UNSIGNED8:	return 1;
	case IE_T_UNSIGNED16:	return 2;
	case IE_T_UNSIGNED32:
	case IE_T_IPV4_ADDRESS:	return 4;
	case IE_T_IPV6_ADDRESS:	return 16;
	case IE_T_STRING:
	case IE_T_OCTET_ARRAY:	return IE_VARLEN;
	default:		return 8;
	}
}

static char *
dup_str(const char *s)
{
	size_t n = strlen(s != NULL ? s : "") + 1;
	char *d = malloc(n);

	if (d != NULL)
		memcpy(d, s != NULL ? s : "", n);
	return d;
}

int
ie_register(struct ie_reg *reg, const struct ie_def *def, struct perr *err)
{
	const char *owner = def->owner != NULL ? def->owner : "?";
	const struct ie_def *old;
	struct ie_def *row;
	char **strs;
	size_t i;
	int rev;

	if (def->name == NULL || def->name[0] == '\0')
		return perr_set(err, -EINVAL, "%s: a field without a name",
		    owner);
	if (strlen(def->name) > IE_EXT_NAME_MAX)
		return perr_set(err, -EINVAL, "%s: field name '%.80s...' longer "
		    "than %d characters", owner, def->name, IE_EXT_NAME_MAX);
	if (reg == NULL)
		return perr_set(err, -EINVAL, "%s: field '%s': no registry "
		    "to add it to", owner, def->name);
	if ((old = ie_find_any(reg, def->name, &rev)) != NULL)
		return perr_set(err, -EINVAL, "%s: field '%s' clashes with "
		    "%s'%s'%s%s", owner, def->name, rev ? "the reverse of " :
		    "", old->name, old->owner != NULL ? " of " : " (built in)",
		    old->owner != NULL ? old->owner : "");
	if (def->id == 0 || def->id >= IE_REVERSE_BIT)
		return perr_set(err, -EINVAL, "%s: field '%s': element id %u "
		    "out of range (1 to %u)", owner, def->name, def->id,
		    IE_REVERSE_BIT - 1);
	if (!ext_type_ok(def->type))
		return perr_set(err, -EINVAL, "%s: field '%s': type %d not "
		    "supported", owner, def->name, (int)def->type);
	if ((def->type == IE_T_STRING || def->type == IE_T_OCTET_ARRAY) &&
	    (def->max_len == 0 || def->max_len > 1024))
		return perr_set(err, -EINVAL, "%s: field '%s': maximum length "
		    "%u out of range (1 to 1024)", owner, def->name,
		    def->max_len);
	for (i = 0; i < ie_count(reg); i++) {
		old = ie_at(reg, i);
		/* Compared under the default PEN: --pen moves every local
		 * row together, so a clash is one under any PEN. */
		if (ie_pen(old, 0, 0) == ie_pen(def, 0, 0) &&
		    old->id == def->id)
			return perr_set(err, -EINVAL, "%s: field '%s': element "
			    "id %u already used by '%s'%s%s", owner, def->name,
			    def->id, old->name, old->owner != NULL ? " of " :
			    "", old->owner != NULL ? old->owner : "");
	}
	if (reg->n == IE_EXT_MAX)
		return perr_set(err, -ENOSPC, "%s: field '%s': more than %d "
		    "plugin fields", owner, def->name, IE_EXT_MAX);
	row = &reg->rows[reg->n];
	strs = reg->strs[reg->n];
	*row = *def;
	strs[0] = dup_str(def->name);
	strs[1] = dup_str(def->desc);
	strs[2] = dup_str(owner);
	if (strs[0] == NULL || strs[1] == NULL || strs[2] == NULL) {
		for (i = 0; i < 3; i++) {
			free(strs[i]);
			strs[i] = NULL;
		}
		memset(row, 0, sizeof(*row));
		return perr_set(err, -ENOMEM, "%s: out of memory", owner);
	}
	row->name = strs[0];
	row->desc = strs[1];
	row->owner = strs[2];
	row->val = IE_V_EXT;
	if (row->flags & IE_F_LOCAL_PEN)
		row->pen = IE_PEN_DEFAULT_LOCAL;	/* as our own rows */
	row->len = natural_len(def->type);
	row->v9_id = (uint16_t)(IE_EXT_V9_BASE + def->id);
	row->v9_len = row->len == IE_VARLEN ? def->max_len : row->len;
	row->flags = (uint16_t)(def->flags | IE_F_EXT);
	if (row->type != IE_T_STRING && row->type != IE_T_OCTET_ARRAY)
		row->max_len = 0;
	reg->n++;
	return 0;
}

const struct ie_def *
ie_find_any(const struct ie_reg *reg, const char *name, int *reverse)
{
	const struct ie_def *def;
	char buf[128];
	size_t i;

	if (reverse != NULL)
		*reverse = 0;
	if ((def = ie_find(reg, name)) != NULL)
		return def;
	if (name == NULL || strncmp(name, "reverse", 7) != 0)
		return NULL;
	for (i = 0; i < ie_count(reg); i++) {
		def = ie_at(reg, i);
		if (!(def->flags & IE_F_DIRECTIONAL))
			continue;
		ie_name(def, 1, buf, sizeof(buf));
		if (strcmp(buf, name) == 0) {
			if (reverse != NULL)
				*reverse = 1;
			return def;
		}
	}
	return NULL;
}

uint32_t
ie_reverse_pen(void)
{
	return IE_REVERSE_PEN;
}

uint32_t
ie_pen(const struct ie_def *def, int reverse, uint32_t local_pen)
{
	uint32_t pen = def->pen;

	if (def->flags & IE_F_LOCAL_PEN)
		pen = local_pen != 0 ? local_pen : IE_PEN_DEFAULT_LOCAL;

	/* RFC 5103 6.1: IANA elements reverse into PEN 29305; enterprise
	 * ones stay in their PEN with bit 0x4000 set in the id. */
	if (reverse && pen == 0)
		return IE_REVERSE_PEN;
	return pen;
}

uint16_t
ie_id(const struct ie_def *def, int reverse)
{
	/* Our elements always have a PEN, whichever. */
	int ent = def->pen != 0 || (def->flags & IE_F_LOCAL_PEN);

	if (reverse && ent)
		return (uint16_t)(def->id | IE_REVERSE_BIT);
	return def->id;
}

size_t
ie_name(const struct ie_def *def, int reverse, char *buf, size_t size)
{
	int n;

	if (!reverse)
		n = snprintf(buf, size, "%s", def->name);
	else
		n = snprintf(buf, size, "reverse%c%s",
		    def->name[0] >= 'a' && def->name[0] <= 'z' ?
		    def->name[0] - 'a' + 'A' : def->name[0], def->name + 1);
	return n < 0 ? 0 : (size_t)n;
}

const char *
ie_type_name(enum ie_type type)
{
	switch (type) {
	case IE_T_OCTET_ARRAY:		return "octetArray";
	case IE_T_UNSIGNED8:		return "unsigned8";
	case IE_T_UNSIGNED16:		return "unsigned16";
	case IE_T_UNSIGNED32:		return "unsigned32";
	case IE_T_UNSIGNED64:		return "unsigned64";
	case IE_T_SIGNED64:		return "signed64";
	case IE_T_FLOAT64:		return "float64";
	case IE_T_STRING:		return "string";
	case IE_T_DATETIME_MS:		return "dateTimeMilliseconds";
	case IE_T_IPV4_ADDRESS:		return "ipv4Address";
	case IE_T_IPV6_ADDRESS:		return "ipv6Address";
	}
	return "";
}

void
ie_app_id(uint16_t master_id, uint16_t app_id, uint8_t out[IE_APP_ID_LEN])
{
	out[0] = APP_ID_ENGINE_PANA_L7_PEN;
	put_be(out + 1, IE_PEN_NTOP, 4);
	put_be(out + 5, (uint32_t)master_id << 16 | app_id, 4);
}

unsigned
ie_flow_end_reason(enum flow_end_reason reason)
{
	/* A hook's "export now" is a forced end for IPFIX. */
	return reason == FLOW_END_PLUGIN ? FLOW_END_FORCED : (unsigned)reason;
}

unsigned
ie_export_reason(enum flow_end_reason reason)
{
	switch (reason) {
	case FLOW_END_IDLE:	return 0;
	case FLOW_END_ACTIVE:	return 1;
	case FLOW_END_PLUGIN:	return 3;
	default:		return 2;	/* FIN/RST, end, eviction */
	}
}

const char *
ie_builtin(const char *name)
{
	const struct ie_text *t;

	for (t = ie_builtin_texts; t->name != NULL; t++)
		if (strcmp(t->name, name) == 0)
			return t->text;
	return NULL;
}

/* Values ------------------------------------------------------------- */

/* The direction a value describes: the record's for uniflow, FWD for a
 * biflow record's forward elements; <reverse> flips it. */
static enum flow_dir
value_dir(const struct ie_rec *r, int reverse)
{
	enum flow_dir d = r->biflow ? FLOW_DIR_FWD : r->dir;

	if (reverse)
		d = d == FLOW_DIR_FWD ? FLOW_DIR_REV : FLOW_DIR_FWD;
	return d;
}

/* First/last packet time (us) of the direction the element describes
 * (RFC 5103: forward elements of a biflow record are the forward
 * direction's); 0 when it has no packet. */
static uint64_t
time_us(const struct ie_rec *r, int reverse, int last)
{
	const struct flow_counters *c = r->rec->flow->c;
	enum flow_dir d = value_dir(r, reverse);

	return c[d].pkts == 0 ? 0 : last ? c[d].last_us : c[d].first_us;
}

/* Where an IE_V_EXT row's value is in the record's flow. */
static const unsigned char *
ext_ptr(const struct ie_def *def, const struct ie_rec *r)
{
	return r->rec->flow->ext + def->ext_off;
}

/* A numeric IE_V_EXT value, as the bits of its 64-bit form (signed64
 * two's complement, float64 IEEE 754), so put_be() gives the wire. */
static uint64_t
ext_uint(const struct ie_def *def, const struct ie_rec *r)
{
	const unsigned char *p = ext_ptr(def, r);
	uint8_t u8;
	uint16_t u16;
	uint32_t u32;
	uint64_t u64;

	switch (def->type) {
	case IE_T_UNSIGNED8:
		memcpy(&u8, p, 1);
		return u8;
	case IE_T_UNSIGNED16:
		memcpy(&u16, p, 2);
		return u16;
	case IE_T_UNSIGNED32:
		memcpy(&u32, p, 4);
		return u32;
	default:
		memcpy(&u64, p, 8);
		return u64;
	}
}

static uint64_t
uint_value(const struct ie_def *def, const struct ie_rec *r, int reverse)
{
	const struct flow *f = r->rec->flow;
	const struct dpi_info *app = r->rec->app;
	enum flow_dir d = value_dir(r, reverse);
	const struct flow_counters *c = &f->c[d];

	switch (def->val) {
	case IE_V_SRC_PORT:
		return d == FLOW_DIR_FWD ? f->key.sport : f->key.dport;
	case IE_V_DST_PORT:
		return d == FLOW_DIR_FWD ? f->key.dport : f->key.sport;
	case IE_V_PROTO:
		return f->key.proto;
	case IE_V_IP_VERSION:
		return f->key.ip_version;
	case IE_V_ICMP_TYPECODE:
		/* 1 ICMP, 58 ICMPv6; other protocols have no type. */
		if (c->pkts == 0 || (f->key.proto != 1 && f->key.proto != 58))
			return 0;
		return (uint64_t)f->icmp_type[d] << 8 | f->icmp_code[d];
	case IE_V_VLAN:
		return f->key.vlan_id;
	case IE_V_TUNNEL_ID:
		return f->key.tunnel_id;
	case IE_V_IFINDEX:
		return f->key.ifindex;
	case IE_V_START_MS:
	case IE_V_FIRST_SWITCHED:
		return time_us(r, reverse, 0) / 1000;
	case IE_V_END_MS:
	case IE_V_LAST_SWITCHED:
		return time_us(r, reverse, 1) / 1000;
	case IE_V_PKTS:
		return c->pkts;
	case IE_V_BYTES:
		return c->bytes;
	case IE_V_TCP_FLAGS:
		return f->tcp_flags[d];
	case IE_V_END_REASON:
		return ie_flow_end_reason(r->rec->reason);
	case IE_V_BIFLOW_DIR:
		return d == FLOW_DIR_FWD ? 1 : 2;
	case IE_V_L7_PROTO:
		return app->app_id != 0 ? app->app_id : app->master_id;
	case IE_V_L7_CATEGORY_ID:
		return app->category_id;
	case IE_V_EXT:
		return ext_uint(def, r);
	default:
		return 0;
	}
}

static int
is_numeric(enum ie_type t)
{
	return t == IE_T_UNSIGNED8 || t == IE_T_UNSIGNED16 ||
	    t == IE_T_UNSIGNED32 || t == IE_T_UNSIGNED64 ||
	    t == IE_T_SIGNED64 || t == IE_T_FLOAT64 ||
	    t == IE_T_DATETIME_MS;
}

uint64_t
ie_get_uint(const struct ie_def *def, const struct ie_rec *r, int reverse)
{
	if (def == NULL || r == NULL || r->rec == NULL || !is_numeric(def->type))
		return 0;
	return uint_value(def, r, reverse);
}

static const char *
nonnull(const char *s)
{
	return s != NULL ? s : "";
}

static void
put_be(uint8_t *out, uint64_t v, size_t len)
{
	while (len > 0) {
		out[--len] = (uint8_t)v;
		v >>= 8;
	}
}

size_t
ie_get_bytes(const struct ie_def *def, const struct ie_rec *r, int reverse,
    const uint8_t **out, uint8_t scratch[16])
{
	const struct flow *f;
	const struct dpi_info *app;
	const char *s = NULL;
	enum flow_dir d;

	*out = (const uint8_t *)"";
	if (def == NULL || r == NULL || r->rec == NULL)
		return 0;
	f = r->rec->flow;
	app = r->rec->app;
	d = value_dir(r, reverse);
	if (is_numeric(def->type)) {
		put_be(scratch, uint_value(def, r, reverse), def->len);
		*out = scratch;
		return def->len;
	}
	switch (def->val) {
	case IE_V_EXT: {
		const unsigned char *p = ext_ptr(def, r);
		uint16_t n;

		switch (def->type) {
		case IE_T_IPV4_ADDRESS:
		case IE_T_IPV6_ADDRESS:
			*out = p;
			return def->len;
		case IE_T_OCTET_ARRAY:
			memcpy(&n, p, 2);
			*out = p + 2;
			return n < def->max_len ? n : def->max_len;
		default:
			*out = p;
			return strnlen((const char *)p, def->max_len);
		}
	}
	case IE_V_SRC_ADDR:
	case IE_V_DST_ADDR:
		if (def->len != 4 && def->len != 16)
			return 0;
		*out = (def->val == IE_V_SRC_ADDR) == (d == FLOW_DIR_FWD) ?
		    f->key.src : f->key.dst;
		return def->len;
	case IE_V_APP_ID:
		ie_app_id(app->master_id, app->app_id, scratch);
		*out = scratch;
		return APP_ID_LEN;
	case IE_V_APP_NAME:		s = app->app_name; break;
	case IE_V_APP_CATEGORY:		s = app->category_name; break;
	case IE_V_L7_PROTO_ID_STR:	s = app->app_id_str; break;
	case IE_V_SERVER_NAME:		s = app->server_name; break;
	case IE_V_JA3C:			s = app->client_fingerprint; break;
	case IE_V_JA3S:			s = app->server_fingerprint; break;
	case IE_V_USER_AGENT:		s = app->user_agent; break;
	default:
		return 0;
	}
	s = nonnull(s);
	*out = (const uint8_t *)s;
	return strlen(s);
}

size_t
ie_encode_fixed(const struct ie_def *def, const struct ie_rec *r,
    int reverse, uint8_t *out, size_t len)
{
	uint8_t scratch[16];
	const uint8_t *p;
	uint64_t v;
	size_t n;

	if (def == NULL || len == 0 || len == IE_VARLEN)
		return 0;
	memset(out, 0, len);
	if (is_numeric(def->type)) {
		v = ie_get_uint(def, r, reverse);
		/* RFC 7011 6.2 wants the value to fit the reduced size. A
		 * wrapped counter would be silently wrong, a saturated one
		 * is visibly at its maximum; flags and ids keep their low
		 * bits, which is what a shorter field of them means. */
		if (len < 8 && v >> (len * 8) != 0 &&
		    (def->semantics == IE_S_QUANTITY ||
		    def->semantics == IE_S_TOTAL_COUNTER ||
		    def->semantics == IE_S_DELTA_COUNTER))
			v = (UINT64_C(1) << (len * 8)) - 1;
		put_be(out + (len > 8 ? len - 8 : 0), v, len > 8 ? 8 : len);
		return len;
	}
	n = ie_get_bytes(def, r, reverse, &p, scratch);
	if (def->type == IE_T_IPV4_ADDRESS || def->type == IE_T_IPV6_ADDRESS) {
		if (n == len)
			memcpy(out, p, n);
		return len;
	}
	memcpy(out, p, n < len ? n : len);
	return len;
}
