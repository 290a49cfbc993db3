/*
 * ie.h - Information Element registry and export templates.
 *
 * Pipeline position: export -> [ie] -> record (under the encoders; it
 * reads struct exp_record from record/record.h and knows no exporter). Both the
 * IPFIX exporter (libfixbuf) and the NetFlow v9 exporter read this one
 * registry; neither lists elements of its own. src/ie/ is the only reader
 * of templates/.
 *
 * Registry. A static, const table of struct ie_def, one row per element
 * we can export, IANA names spelled as IANA spells them ("octetDeltaCount")
 * and ntop's as ntop spells them ("L7_PROTO"), so grep finds both. A row
 * says what the element is on the wire (PEN, id, RFC 5610 type, natural
 * length, NetFlow v9 field type and length) and which value of a flow
 * record it carries (enum ie_val).
 *
 * Reverse elements (RFC 5103 biflow) are derived, never listed: a row with
 * IE_F_DIRECTIONAL has a reverse counterpart named "reverse" + the name
 * with its first letter capitalized ("reverseOctetDeltaCount"). Its number
 * follows RFC 5103 section 6.1, as libfixbuf does: an IANA element (PEN 0)
 * becomes PEN 29305 with the same id; an enterprise element keeps its PEN
 * and gets bit 0x4000 in its id (so enterprise ids of directional elements
 * stay below 0x4000). Use ie_pen(), ie_id(), ie_name() with reverse=1.
 *
 * Our own enterprise elements (flag IE_F_LOCAL_PEN) are numbered under a
 * PEN chosen at run time (--pen, exp_conf.pen), by default 32473, the
 * documentation PEN of RFC 5612, which every caller passes to ie_pen()
 * and ie_find_id(). Always read a PEN with ie_pen(), never def->pen. templates/l7probe-ie.xml describes every enterprise element
 * (ntop's and ours, at the default PEN) as an IANA-registry-style XML model
 * that fbInfoModelReadXMLData() loads; it is embedded in the binary
 * (ie_builtin()) and checked against this table by tests/unit/test_ie.c.
 *
 * Templates are data: text files, one element per line, by registry name,
 * with an optional length:
 *
 *	# comment                       blank lines are fine too
 *	sourceIPv4Address
 *	applicationName 32              v9 fixed length; IPFIX stays varlen
 *
 * tmpl_parse() turns one into a struct tmpl (the order is kept),
 * tmpl_derive() makes the concrete template for one IP family, uniflow or
 * biflow, IPFIX or v9. "default" and "minimal" are built in (copies of
 * templates/default.tmpl and templates/minimal.tmpl, embedded by
 * tools/embed.sh at build time).
 *
 * Records. An exporter wraps each struct exp_record into one or two
 * struct ie_rec: a uniflow record describes one direction of the flow, a
 * biflow record (RFC 5103) both. Values come from ie_get_uint(),
 * ie_get_bytes() (libfixbuf encoder) or ie_encode_fixed() (v9 encoder).
 *
 * Registry instances. The built-in rows are one static const table,
 * shared by every instance. Fields known only at run time (plugins) are
 * added to one struct ie_reg (ie_register), owned by whoever built it (a
 * probe's plugin set: plug_set_reg()), and read by what that owner built:
 * its encoders (exp_conf.reg), its templates (tmpl_load), its library
 * record accessors. Their values live in the flow's ext area (IE_V_EXT),
 * their wire numbers under the run-time PEN, in NetFlow v9 at
 * IE_EXT_V9_BASE + id. They join the "default" template of that registry.
 * Every lookup takes the instance; NULL stands for the built-in rows
 * alone. There is no process-wide registry state: probes with different
 * plugins live side by side.
 *
 * Thread safety: rows are added to an instance at setup only (ie_register,
 * one thread, before any encoder reading it is opened); afterwards the
 * instance is read-only and safe from any thread. Reading values never
 * allocates.
 *
 * RFCs: 7011/7012 (IPFIX, information model, reduced-size encoding),
 * 5103 (biflow), 5610 (type and semantics numbers), 6759 (applicationId),
 * 3954 (NetFlow v9), 5612 (documentation PEN).
 */
#ifndef L7_IE_H
#define L7_IE_H

#include <stddef.h>
#include <stdint.h>

#include "flow/flow.h"
#include "log/log.h"
#include "record/record.h"

#define IE_VARLEN		65535	/* IPFIX variable length (RFC 7011 7) */
#define IE_REVERSE_PEN		29305	/* RFC 5103 reverse PEN */
#define IE_REVERSE_BIT		0x4000	/* RFC 5103 enterprise reverse bit */
#define IE_PEN_NTOP		35632	/* ntop.org */
#define IE_PEN_DEFAULT_LOCAL	32473	/* RFC 5612 documentation PEN */
#define IE_NTOP_V9_BASE		57472	/* ntop's v9 field type = this + id */
#define IE_TMPL_MAX		128	/* fields in one template */
#define IE_EXT_MAX		256	/* rows added at start-up (ie_register) */
#define IE_EXT_NAME_MAX		63	/* longest name of such a row */
#define IE_EXT_V9_BASE		49152	/* v9 field type of a registered row:
					 * this + its id (v9 has no PEN) */

/* RFC 5610 abstract data types, with their IANA numbers. */
enum ie_type {
	IE_T_OCTET_ARRAY = 0,
	IE_T_UNSIGNED8 = 1,
	IE_T_UNSIGNED16 = 2,
	IE_T_UNSIGNED32 = 3,
	IE_T_UNSIGNED64 = 4,
	IE_T_SIGNED64 = 8,
	IE_T_FLOAT64 = 10,
	IE_T_STRING = 13,
	IE_T_DATETIME_MS = 15,		/* dateTimeMilliseconds */
	IE_T_IPV4_ADDRESS = 18,
	IE_T_IPV6_ADDRESS = 19,
};

/* RFC 5610 / IANA semantics numbers. */
enum ie_semantics {
	IE_S_DEFAULT = 0,
	IE_S_QUANTITY = 1,
	IE_S_TOTAL_COUNTER = 2,
	IE_S_DELTA_COUNTER = 3,
	IE_S_IDENTIFIER = 4,
	IE_S_FLAGS = 5,
};

/* IANA "IPFIX Information Element Units" numbers we use. */
enum ie_units {
	IE_U_NONE = 0,
	IE_U_OCTETS = 2,
	IE_U_PACKETS = 3,
	IE_U_MILLISECONDS = 6,
};

/* struct ie_def flags. */
#define IE_F_V4		0x0001	/* only in IPv4 templates */
#define IE_F_V6		0x0002	/* only in IPv6 templates */
#define IE_F_DIRECTIONAL 0x0004	/* has an RFC 5103 reverse counterpart */
#define IE_F_LOCAL_PEN	0x0008	/* PEN is the run-time one, not ->pen */
#define IE_F_EXT	0x0010	/* added by ie_register(); joins the
				 * "default" template */

/*
 * What value of a record an element carries. "The direction" below is the
 * direction a value describes: the record's dir for a uniflow record, FWD
 * for a forward element of a biflow record, REV for a reverse element.
 */
enum ie_val {
	IE_V_NONE = 0,
	IE_V_SRC_ADDR,		/* address family by IE_F_V4/IE_F_V6 */
	IE_V_DST_ADDR,
	IE_V_SRC_PORT,
	IE_V_DST_PORT,
	IE_V_PROTO,		/* IP protocol number */
	IE_V_IP_VERSION,	/* 4 or 6 */
	IE_V_ICMP_TYPECODE,	/* type * 256 + code of the direction's first
				 * ICMP packet; 0 for other protocols */
	IE_V_VLAN,		/* outer VLAN id, 0 = untagged */
	IE_V_TUNNEL_ID,		/* flow key tunnel id, 0 = none */
	IE_V_IFINDEX,		/* flow key ingress ifIndex, 0 = unknown */
	IE_V_START_MS,		/* ms since the epoch, see ie_get_uint() */
	IE_V_END_MS,
	IE_V_FIRST_SWITCHED,	/* v9 FIRST_SWITCHED: absolute ms since the
				 * epoch here; the v9 encoder subtracts its
				 * boot time to get sysUpTime-relative ms */
	IE_V_LAST_SWITCHED,
	IE_V_PKTS,
	IE_V_BYTES,		/* sum of IP total lengths */
	IE_V_TCP_FLAGS,		/* OR of the direction's TCP flags */
	IE_V_END_REASON,	/* enum flow_end_reason (IPFIX values) */
	IE_V_BIFLOW_DIR,	/* 1 initiator (FWD), 2 reverseInitiator (REV) */
	IE_V_APP_ID,		/* RFC 6759 applicationId, 9 octets:
				 *   [0]    20, classification engine PANA-L7-PEN
				 *   [1..4] 35632, ntop's PEN (nDPI ids),
				 *          network order
				 *   [5..8] selector = master_id << 16 | app_id,
				 *          network order */
	IE_V_APP_NAME,		/* "master.app" name, e.g. "TLS.Instagram" */
	IE_V_APP_CATEGORY,	/* category name, e.g. "SocialNetwork" */
	IE_V_L7_PROTO,		/* ntop L7_PROTO: nDPI app id, or the master id
				 * when the app is unknown (as nProbe) */
	IE_V_L7_PROTO_ID_STR,	/* "master.app" ids, e.g. "91.211" */
	IE_V_L7_CATEGORY_ID,	/* nDPI category id */
	IE_V_SERVER_NAME,	/* TLS/QUIC SNI, HTTP Host, DNS query */
	IE_V_JA3C,		/* JA3 client hash (hex string) */
	IE_V_JA3S,		/* JA3 server hash */
	IE_V_USER_AGENT,	/* HTTP User-Agent */
	IE_V_EXT,		/* in the flow's ext area at ext_off, in the
				 * layout of ie_register() */
};

/* One registry row. */
struct ie_def {
	const char	*name;		/* IANA / ntop / our spelling */
	uint32_t	pen;		/* 0 = IANA; see IE_F_LOCAL_PEN */
	uint16_t	id;		/* element id, < 32768 */
	enum ie_type	type;
	uint16_t	len;		/* natural length; IE_VARLEN for strings */
	uint8_t		semantics;	/* enum ie_semantics */
	uint8_t		units;		/* enum ie_units */
	uint16_t	v9_id;		/* NetFlow v9 field type, 0 = none: IANA
					 * ids below 32768 keep their number,
					 * ntop's are IE_NTOP_V9_BASE + id */
	uint16_t	v9_len;		/* default v9 length (strings: fixed,
					 * NUL-padded); else as len */
	uint16_t	flags;		/* IE_F_* */
	enum ie_val	val;
	const char	*desc;		/* one line, for doc/ and RFC 5610 */
	/* IE_V_EXT rows only. */
	size_t		ext_off;	/* value's offset in flow->ext */
	uint16_t	max_len;	/* strings, octet arrays: longest value */
	const char	*owner;		/* who registered it (messages) */
};

/* A registry instance: the built-in rows plus none added yet. Returns
 * owned (ie_reg_free), or NULL when out of memory. */
struct ie_reg;
struct ie_reg *ie_reg_new(void);
/* Frees it with every row added; rows found in it are gone too. NULL is
 * fine. */
void	ie_reg_free(struct ie_reg *reg);

/*
 * Adds a row to <reg> at setup (a plugin's field), copied with its
 * strings.
 * <def> gives name, pen (0 with IE_F_LOCAL_PEN: the run-time PEN), id,
 * type, semantics, units, desc, owner, max_len and ext_off; the rest is
 * derived: val IE_V_EXT, len (natural, IE_VARLEN for strings and octet
 * arrays), v9_id IE_EXT_V9_BASE + id, v9_len (max_len for strings and
 * octet arrays), flags |= IE_F_EXT.
 *
 * The value is read from the flow's ext area at ext_off, host order:
 * unsigned8..64, signed64, float64 at their natural size (8-aligned for
 * the 8-byte ones); string: char[max_len + 1], NUL-terminated; octetArray:
 * a uint16_t length then max_len octets; ipv4Address 4, ipv6Address 16
 * octets in network order.
 *
 * Refused with -EINVAL and <err> naming the row and its owner: a name
 * longer than IE_EXT_NAME_MAX or already in the registry (or a reverse
 * name), an id already used under
 * the same PEN (for local rows: by our own elements or another registered
 * row), an id of 0 or >= 0x4000, a type not in the list above, a string
 * or octet array without max_len (1..1024); -ENOSPC past IE_EXT_MAX rows.
 * Setup only, before any template is derived or record encoded: the
 * registry is read without locks afterwards.
 */
int	ie_register(struct ie_reg *reg, const struct ie_def *def,
	    struct perr *err);

/* Rows of <reg> (NULL: the built-in ones), 0 <= i < ie_count(): the
 * built-in table, then the registered rows in the order they were added. */
size_t	ie_count(const struct ie_reg *reg);
/* NULL when out of range. */
const struct ie_def *ie_at(const struct ie_reg *reg, size_t i);

/* Finds a row by exact registry name, or NULL. Reverse names are not
 * rows: use tmpl_derive(), or ie_find_any() below. */
const struct ie_def *ie_find(const struct ie_reg *reg, const char *name);
/* Finds a row by (pen, id) as seen on the wire, or NULL; our elements
 * are under <local_pen> (0 = the default). A reverse (pen, id) gives NULL:
 * see ie_find_any(). */
const struct ie_def *ie_find_id(const struct ie_reg *reg, uint32_t pen,
	    uint16_t id, uint32_t local_pen);
/* Like ie_find() but also accepts a derived reverse name
 * ("reverseOctetDeltaCount"), setting *<reverse> (may be NULL). */
const struct ie_def *ie_find_any(const struct ie_reg *reg,
	    const char *name, int *reverse);

/* The RFC 5103 reverse PEN, 29305 (for IANA elements). */
uint32_t ie_reverse_pen(void);

/* Wire identity of <def>, forward (reverse=0) or its RFC 5103 reverse
 * counterpart (reverse=1, only for IE_F_DIRECTIONAL rows). <local_pen> is
 * the PEN of IE_F_LOCAL_PEN elements (--pen, exp_conf.pen); 0 means the
 * default, IE_PEN_DEFAULT_LOCAL. */
uint32_t ie_pen(const struct ie_def *def, int reverse, uint32_t local_pen);
uint16_t ie_id(const struct ie_def *def, int reverse);
/* Writes the (reverse) name into <buf> of <size> bytes, NUL-terminated,
 * cut if needed; returns the full length, as snprintf. */
size_t	ie_name(const struct ie_def *def, int reverse, char *buf,
	    size_t size);
/* "unsigned64", "string", ... (IANA spelling) for a type; "" if unknown. */
const char *ie_type_name(enum ie_type type);

/* RFC 6759 applicationId of an nDPI classification (see IE_V_APP_ID):
 * IE_APP_ID_LEN octets into <out>. For the application tables of the
 * encoders, which have no flow record at hand. */
#define IE_APP_ID_LEN	9
void	ie_app_id(uint16_t master_id, uint16_t app_id,
	    uint8_t out[IE_APP_ID_LEN]);

/* IPFIX flowEndReason (1 idle, 2 active, 3 end detected, 4 forced, 5 lack
 * of resources) of a record that ended for <reason>; FLOW_END_PLUGIN is 4,
 * forced. */
unsigned ie_flow_end_reason(enum flow_end_reason reason);
/* The JSON export_reason as nfstream documents it: 0 idle timeout, 1
 * active timeout, 2 flow termination (FIN/RST, end of capture, shutdown,
 * eviction), 3 forced by a plugin (FLOW_END_PLUGIN). */
unsigned ie_export_reason(enum flow_end_reason reason);

/*
 * One record, as an exporter sees it. <rec> is borrowed.
 *
 * Uniflow (biflow = 0): describes direction <dir> only. FLOW_DIR_FWD: src
 * and dst as in the flow key, counters c[FWD], biflowDirection 1.
 * FLOW_DIR_REV: src/dst addresses and ports swapped, counters c[REV],
 * biflowDirection 2. A direction with pkts == 0 should not be exported.
 *
 * Biflow (biflow = 1, dir ignored): forward elements describe the flow key
 * and c[FWD], times included (RFC 5103: the non-reverse elements describe
 * the forward direction), reverse elements c[REV]. A record whose forward
 * direction saw no packet (after an active timeout) has forward times 0.
 */
struct ie_rec {
	const struct exp_record	*rec;
	enum flow_dir		dir;
	int			biflow;
};

/*
 * Value of a numeric element (unsigned*, dateTimeMilliseconds) in host
 * order: counters, flags, ports, ids, times in ms since the epoch (also
 * for IE_V_FIRST_SWITCHED/IE_V_LAST_SWITCHED). <reverse> = 1 asks for the
 * RFC 5103 reverse value (biflow records only; in a uniflow record it
 * reads the opposite direction). 0 for non-numeric types, absent values
 * and directions without packets.
 */
uint64_t ie_get_uint(const struct ie_def *def, const struct ie_rec *r,
	    int reverse);

/*
 * Value of any element as bytes in its natural encoding: addresses (4 or
 * 16 octets, network order), strings (without NUL; "" with length 0 when
 * absent), octet arrays (applicationId: 9 octets), numbers (def->len
 * octets, network order). Sets *<out> (never NULL) either into the record
 * (borrowed like it) or into <scratch>; returns the length.
 */
size_t	ie_get_bytes(const struct ie_def *def, const struct ie_rec *r,
	    int reverse, const uint8_t **out, uint8_t scratch[16]);

/*
 * Writes exactly <len> octets of the value into <out> for a fixed-length
 * field (NetFlow v9, or IPFIX fixed fields). Integers in network order: a
 * shorter <len> than natural is RFC 7011 reduced-size encoding (counters
 * and quantities saturate at the largest value that fits, other numbers
 * keep their low octets), a longer one is left-padded with zeros. Strings
 * and octet arrays are cut to <len> or NUL-padded. Addresses need their
 * natural length (else zeros are written). Returns <len>; 0 when len is 0
 * or IE_VARLEN.
 */
size_t	ie_encode_fixed(const struct ie_def *def, const struct ie_rec *r,
	    int reverse, uint8_t *out, size_t len);

/* Templates ---------------------------------------------------------- */

struct tmpl_field {
	const struct ie_def	*ie;
	uint16_t		len;	/* parsed: 0 = not given; derived: the
					 * wire length, IE_VARLEN = variable */
	uint8_t			reverse; /* 1 = RFC 5103 reverse element */
};

struct tmpl {
	char			name[64];	/* for messages */
	struct tmpl_field	f[IE_TMPL_MAX];
	size_t			n;
};

/*
 * Parses template text <text> (NUL-terminated, borrowed) named <name>
 * (used in messages only) into <out>, elements looked up in <reg> (NULL:
 * the built-in rows only; <out> points into <reg>'s rows). Refused, with -EINVAL and <err>
 * naming the template and line ("template 'x.tmpl' line 4: unknown
 * element 'octetDeltaCont'"): unknown element, reverse names (derived
 * later), the same element twice, a length that is not 1..65534 or junk
 * after it, more than IE_TMPL_MAX elements, or no element at all.
 * Returns 0 or -EINVAL.
 */
int	tmpl_parse(const struct ie_reg *reg, const char *name,
	    const char *text, struct tmpl *out, struct perr *err);

/*
 * Loads a template: <name_or_path> with a '/' or ending in ".tmpl" is a
 * file read from disk (at most 64 KiB); anything else a built-in name
 * ("default", "minimal"). "default" ends with every row registered in
 * <reg> (ie_register: plugin fields), in registration order. Returns 0, or a negative errno with <err> set
 * (-ENOENT unknown built-in or missing file, -EINVAL parse error, ...).
 */
int	tmpl_load(const struct ie_reg *reg, const char *name_or_path,
	    struct tmpl *out, struct perr *err);

/*
 * Derives the concrete template of one kind of record from a parsed one:
 * keeps elements for <ip_version> (4 or 6; drops IE_F_V6 ones for 4 and
 * IE_F_V4 ones for 6, so a template may list both families); with
 * <biflow>, puts each IE_F_DIRECTIONAL element's reverse counterpart right
 * after it; with <v9>, drops elements with v9_id 0 and gives strings and
 * octet arrays a fixed length (the template's, else v9_len), every other
 * element its v9_len; for IPFIX (v9 = 0) strings get IE_VARLEN and other
 * elements their natural len (a template length on a number is taken as
 * reduced-size encoding and kept for both). <def> and <out> may not be
 * the same. Returns 0; -EINVAL for a bad ip_version, -ENOTSUP for v9
 * with biflow (v9 has no reverse elements), -E2BIG when the biflow
 * template would exceed IE_TMPL_MAX, -ENODATA if nothing is left or the
 * template lists addresses of the other IP family only (such records
 * cannot be encoded: encoders skip and count them).
 */
int	tmpl_derive(const struct tmpl *def, int ip_version, int biflow,
	    int v9, struct tmpl *out, struct perr *err);

/* Built-in texts ------------------------------------------------------ */

/* One embedded file of templates/ ("default.tmpl", "l7probe-ie.xml"). */
struct ie_text {
	const char	*name;
	const char	*text;		/* NUL-terminated */
};

/* Generated by tools/embed.sh into builtin.c; ends with {NULL, NULL}. */
extern const struct ie_text ie_builtin_texts[];

/* The embedded file named <name> (e.g. "default.tmpl"), or NULL. Static. */
const char *ie_builtin(const char *name);

#endif
