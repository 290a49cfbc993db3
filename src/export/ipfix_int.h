/*
 * ipfix_int.h - what the IPFIX exporter's two files share: exp_ipfix.c
 * (messages, flow templates and records, the transport) and ipfix_opts.c
 * (the options records: RFC 5610 element types, RFC 6759 applications,
 * exporter statistics). Inside src/export/ only.
 */
#ifndef L7_IPFIX_INT_H
#define L7_IPFIX_INT_H

#include <stddef.h>
#include <stdint.h>

#include <fixbuf/public.h>

#include "export/exp_int.h"
#include "ie/ie.h"

#define TID_FLOW_V4	256
#define TID_FLOW_V6	257
#define TID_BIFLOW_V4	258
#define TID_BIFLOW_V6	259
#define TID_IE_TYPE	260
#define TID_APP		261
#define TID_STATS	262

#define IPFIX_PORT	4739
#define MSG_TCP		8192		/* message size on TCP, bytes */
#define MSG_FILE	32768		/* and in a file */
#define MSG_KAFKA	32768		/* and in a Kafka message */
#define STR_MAX		255		/* octets of a string value */
#define STR_MIN		16		/* when a record fits no message */
#define APP_MAX		1024		/* applications remembered */
#define APP_ID_LEN	9		/* RFC 6759 applicationId, see ie.h */
#define APP_NAME_LEN	64		/* struct dpi_info app_name */
#define APP_DESC_LEN	64		/* category_name; as long as the
					 * name, which nfdump 1.7 assumes */
#define FINISH_MS	3000		/* TCP: wait for the queue at exit */


/* The transport under the exporter, by scheme. */
enum xp_kind {
	XP_UDP = 0,
	XP_TCP,
	XP_FILE,
	XP_KAFKA,
};

/* One field of a flow template; <off> in the internal record. */
struct fld {
	const struct ie_def	*ie;
	uint8_t			reverse;
	uint16_t		wire_len;	/* IE_VARLEN = variable */
	uint16_t		mem_len;	/* FB_IE_VARLEN: an fbVarfield_t */
	size_t			off;
};

struct dtmpl {
	uint16_t	tid;
	struct fld	f[IE_TMPL_MAX];
	size_t		n;
	size_t		rec_len;	/* internal record, bytes */
	size_t		wire_min;	/* on the wire with strings cut to
					 * STR_MIN, bytes */
	size_t		tmpl_wire;	/* its template record, bytes */
};

struct app_ent {
	uint32_t	key;		/* master_id << 16 | app_id */
	char		name[64];
	char		cat[48];
};

struct ipfix_priv {
	enum xp_kind		kind;
	const struct exp_conf	*conf;
	uint32_t		pen;		/* of our own elements (--pen) */
	const char		*uri;
	fbInfoModel_t		*model;
	fbSession_t		*session;	/* owned until the fBuf takes it */
	fBuf_t			*fbuf;		/* owns session and exporter */
	fbExporter_t		*fbex;		/* borrowed from fbuf */
	uint8_t			*msg;		/* libfixbuf copies messages here */
	size_t			msg_size;
	struct transport	*tr;
	struct dtmpl		dt[2];		/* [0] IPv4, [1] IPv6 */
	uint8_t			*rec;		/* one internal record */
	uint8_t			scratch[IE_TMPL_MAX][16];
	struct app_ent		*apps;
	size_t			n_apps;
	uint16_t		*app_idx;	/* hash: index + 1, 0 = free */
	struct {
		const struct ie_def	*def;
		int			reverse;
	}			ent[IE_TMPL_MAX * 2];	/* for RFC 5610 */
	size_t			n_ent;

	/* The message being built. */
	int			dirty;		/* something appended */
	uint32_t		msg_records;	/* flow records in it */
	uint32_t		msg_data;	/* data records of any template */
	int			first;		/* templates of a new stream */
	uint32_t		wire_seq;	/* data records on the wire so far:
						 * the next sequence number */
	int			in_tmpl;	/* writing templates */
	int			tmpl_sent;
	uint32_t		msgs_since_tmpl;
	uint64_t		next_tmpl_us;	/* wall clock */
	uint64_t		next_apps_us;	/* UDP: application rows */
	uint64_t		next_stats_us;
	int			finished;
	int			fatal;		/* the transport's, kept (EPIPE) */
	int			warned;		/* libfixbuf error logged */
	int			queue_warned;	/* TCP queue full logged */

	uint8_t			key[EXP_FLOW_KEY_MAX]; /* Kafka: the flow */
	size_t			key_len;	/* 0 = no key */

	uint64_t		flow_records;	/* handed to the transport */
	uint64_t		too_big;	/* records that fit no message */
	uint64_t		apps_unlisted;	/* beyond APP_MAX */
	int			no_family[2];	/* template cannot carry IPv4
						 * [0] / IPv6 [1] records */
	uint64_t		skipped_family;	/* flow records skipped so */
};


/* exp_ipfix.c ----------------------------------------------------------- */

/* Logs a libfixbuf error once per exporter, clears it; -EIO. */
int	ipfix_fb_fail(struct ipfix_priv *xp, const char *what, GError **gerr);
/* Hands the message being built to the transport: 0 or its fatal error. */
int	ipfix_emit(struct ipfix_priv *xp);
/* Appends one record of template <tid> (a flow record when <flow>),
 * emitting the message first when full, templates first when due: 0,
 * -EMSGSIZE (fits no message), -EIO, or the transport's fatal error. */
int	ipfix_append(struct ipfix_priv *xp, uint16_t tid, void *rec,
	    size_t len, int flow);
/* Exports template <tid> into the message. */
void	ipfix_put_template(struct ipfix_priv *xp, uint16_t tid);
/* Adds the internal and external templates <tid> to the session; both
 * are freed on failure. 0 or -EINVAL with <err>. */
int	ipfix_add_pair(struct ipfix_priv *xp, uint16_t tid, fbTemplate_t *in,
	    fbTemplate_t *ext, struct perr *err);

/* ipfix_opts.c ---------------------------------------------------------- */

/* Adds the options templates (TID_IE_TYPE, TID_APP, TID_STATS) to the
 * session. 0 or -EINVAL with <err>. */
int	ipfix_opts_templates(struct ipfix_priv *xp, struct perr *err);
/* The largest internal options record, bytes. */
size_t	ipfix_opts_rec_max(void);
/* Notes an enterprise element a template uses, for its RFC 5610 record. */
void	ipfix_note_ent(struct ipfix_priv *xp, const struct ie_def *def,
	    int reverse);
/* The RFC 5610 template and a record for every element noted. */
void	ipfix_put_types(struct ipfix_priv *xp);
/* The RFC 6759 and statistics templates, and with <rows> the record of
 * every application seen so far. */
void	ipfix_put_apps(struct ipfix_priv *xp, int rows);
/* The RFC 6759 record of an application not seen before, before its
 * first flow record (with <always>, of a known one too); 0 or
 * ipfix_append()'s error. */
int	ipfix_note_app(struct ipfix_priv *xp, const struct dpi_info *app,
	    int always);
/* An exporter statistics record, counters of now. */
void	ipfix_put_stats(struct ipfix_priv *xp);

#endif
