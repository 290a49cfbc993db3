/*
 * nfv9_int.h - the NetFlow v9 message encoder, inside src/export/ only
 * (exp_nfv9.c and tests/unit/test_nfv9.c).
 *
 * The encoder turns flow records into whole NetFlow v9 export packets
 * (RFC 3954) in a buffer and hands each finished packet to a callback; it
 * has no socket and no clock: the caller passes the time, so tests drive
 * it on buffers. exp_nfv9.c glues it to a UDP transport.
 *
 * What goes on the wire:
 *   - a 20-byte header: version 9, count (every record of the packet:
 *     templates, options templates, data and options data records),
 *     sysUptime, UNIX seconds, a sequence number counting packets from 0,
 *     and source id;
 *   - template FlowSets (id 0) with the IPv4 (NFV9_TID_V4) and IPv6
 *     (NFV9_TID_V6) data templates derived from one parsed template
 *     (tmpl_derive with v9 = 1); options templates (FlowSet id 1, one per
 *     FlowSet as collectors such as nfdump read them) and options data:
 *     the exporter's sampling (none: interval 1) and counters, and the
 *     applicationId -> name table of the applications seen so far, in the
 *     NBAR layout (APPLICATION_ID 95, APPLICATION_NAME 96,
 *     APPLICATION_DESCRIPTION 94 = the category) that nfdump and
 *     Wireshark decode. All of them go before the first data record,
 *     again every refresh_s seconds and every refresh_msgs packets, at
 *     the start of a packet, except the table's rows (hundreds with
 *     nDPI), which go again every refresh_s seconds only (with every
 *     refresh when refresh_s is 0); a new application gets its table row
 *     just before its first record;
 *   - data FlowSets: one uniflow record per direction with packets
 *     (src/dst swapped for the reverse one), every field fixed-length.
 * Every FlowSet is zero-padded to 4 bytes, except when the padding would
 * be as long as a record (RFC 3954 5.3: padding must not look like one).
 * No packet exceeds mtu bytes.
 *
 * Time. FIRST_SWITCHED/LAST_SWITCHED (flowStartSysUpTime 22,
 * flowEndSysUpTime 21) are ms since start_us (the probe's start), modulo
 * 2^32. The header's sysUptime and UNIX seconds describe one instant: the
 * next whole second at or after the send time, so that a collector's
 * "boot time = unix_secs * 1000 - sysUptime" is start_us to the ms
 * (collectors rebuild absolute times that way), and sysUptime is never
 * below a LAST_SWITCHED of its packet. UNIX seconds may thus run up to
 * one second ahead of the wall clock.
 *
 * Not thread-safe: one encoder per exporter, on the capture thread.
 */
#ifndef L7_NFV9_INT_H
#define L7_NFV9_INT_H

#include <stddef.h>
#include <stdint.h>

#include "export/export.h"
#include "ie/ie.h"
#include "log/log.h"

#define NFV9_VERSION		9
#define NFV9_HDR_LEN		20
#define NFV9_FS_TEMPLATE	0	/* template FlowSet id */
#define NFV9_FS_OPTIONS		1	/* options template FlowSet id */
#define NFV9_TID_V4		256	/* data template, IPv4 records */
#define NFV9_TID_V6		257	/* data template, IPv6 records */
#define NFV9_TID_EXPORTER	258	/* options: sampling, counters */
#define NFV9_TID_APPS		259	/* options: application table */
#define NFV9_APPS_MAX		4096	/* applications remembered */
#define NFV9_MTU_MIN		128	/* smallest mtu the encoder takes */

/* RFC 3954 field types the encoder writes itself (options records). */
#define NFV9_SCOPE_SYSTEM	1	/* options scope field type */
#define NFV9_F_TOTAL_PKTS_EXP	41	/* packets (messages) exported */
#define NFV9_F_TOTAL_FLOWS_EXP	42	/* flow records exported */
#define NFV9_F_SAMPLING_INTERVAL 34
#define NFV9_F_SAMPLING_ALGORITHM 35
#define NFV9_F_APP_DESC		94	/* APPLICATION_DESCRIPTION */
#define NFV9_F_APP_ID		95	/* APPLICATION_ID */
#define NFV9_F_APP_NAME		96	/* APPLICATION_NAME */

struct nfv9_conf {
	const struct tmpl *tmpl;	/* parsed (tmpl_load); borrowed for
					 * nfv9_new() only */
	uint32_t	source_id;	/* header source id */
	uint32_t	mtu;		/* largest packet, bytes, >=
					 * NFV9_MTU_MIN */
	uint32_t	refresh_s;	/* templates again after this many
					 * seconds; 0 = never by time */
	uint32_t	refresh_msgs;	/* and after this many packets; 0 =
					 * never by count */
	uint64_t	start_us;	/* sysUptime 0, us since the epoch */
};

/* Takes one finished packet (<msg> borrowed for the call) holding
 * <n_data> flow data records. Its return value is counted, not acted on:
 * the packet is gone either way (UDP). */
typedef int (*nfv9_emit_cb)(const uint8_t *msg, size_t len, uint32_t n_data,
	    void *arg);

struct nfv9;

/*
 * Derives the IPv4 and IPv6 templates of <conf->tmpl> and checks that a
 * record of each fits in one packet of conf->mtu. Returns owned
 * (nfv9_free), or NULL with <err> set: -EINVAL for an mtu below
 * NFV9_MTU_MIN or a record too long for it, -ENODATA when the template
 * can carry neither family, -ENOMEM.
 */
struct nfv9 *nfv9_new(const struct nfv9_conf *conf, nfv9_emit_cb emit,
	    void *arg, struct perr *err);
/* Releases without flushing (call nfv9_flush first); NULL is fine. */
void	nfv9_free(struct nfv9 *nf);

/*
 * Adds the uniflow records of <rec> (borrowed): one per direction with
 * packets; none when neither has any. <now_us> is the wall clock (us since
 * the epoch) used for the refresh and the header of any packet finished
 * here. Packets are emitted as they fill. Returns 0, or -ENOTSUP when the
 * template has no element for the record's IP version (nothing added).
 */
int	nfv9_add(struct nfv9 *nf, const struct exp_record *rec,
	    uint64_t now_us);

/* Sends templates if the refresh period has passed (even with no data,
 * so a collector started late learns them), then emits the packet being
 * filled, if any. Returns 0. */
int	nfv9_flush(struct nfv9 *nf, uint64_t now_us);

struct nfv9_stats {
	uint64_t	msgs;		/* packets emitted */
	uint64_t	data_records;	/* flow records in them */
	uint64_t	tmpl_sends;	/* times the templates went out */
	uint64_t	emit_errors;	/* emits that returned non-zero */
	uint32_t	apps;		/* applications in the table */
	uint64_t	apps_untracked;	/* records of apps beyond
					 * NFV9_APPS_MAX: no table row */
	uint64_t	skipped_family;	/* flow records of an IP version
					 * the template cannot carry */
};
void	nfv9_get_stats(const struct nfv9 *nf, struct nfv9_stats *st);

/* The derived template of <ip_version> (4 or 6), or NULL if none; for
 * tests and messages. */
const struct tmpl *nfv9_template(const struct nfv9 *nf, int ip_version);
/* Bytes of one data record of <ip_version>, 0 if none. */
size_t	nfv9_record_len(const struct nfv9 *nf, int ip_version);

#endif
