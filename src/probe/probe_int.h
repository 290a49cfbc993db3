/*
 * probe_int.h - shared only inside src/probe/: the flow workers
 * (workers.c) that probe.c runs when --threads is more than 1.
 *
 * Threads and who owns what:
 * - The capture thread (the one that calls probe_run) reads the captures,
 *   decodes each frame, picks its worker by a keyed mix of what
 *   flow_shard_hash() covers (fixed key for files, random live) and puts
 *   the packet in that worker's current packet batch: a mapped file's
 *   frame as it is, any other frame copied into the batch (the dec_pkt's
 *   pointers are moved onto the copy). It also runs the exporters: it
 *   drains every worker's record batches and writes each record to every
 *   collector, so each collector sees one stream, numbered in one place.
 * - Each worker owns its flow table (its shard), its dpi module (nDPI
 *   state and strings) and the fragment cache inside its table. It runs
 *   the packet hooks (nDPI, plugins) and the end hooks, and copies every
 *   ended record, with its ext bytes and classification strings, into a
 *   record batch it owns until the capture thread has it.
 * - Between each worker and the capture thread: four single-producer,
 *   single-consumer rings of batch pointers (full packet batches in, empty
 *   ones back; full record batches out, empty ones back). Batches are
 *   preallocated; nothing is allocated, locked or shared per packet.
 *
 * Time: every packet carries the largest packet time the capture thread
 * had seen (the time a single table would have), and a batch may carry a
 * tick (file: packet time every 100 ms of it; live: the clock), on which
 * the worker expires what is due, so a worker with no packets still
 * learns that time went on.
 */
#ifndef L7_PROBE_INT_H
#define L7_PROBE_INT_H

#include <stddef.h>
#include <stdint.h>

#include "capture/capture.h"
#include "decode/decode.h"
#include "dpi/dpi.h"
#include "flow/flow.h"
#include "log/log.h"
#include "plugin/plugin.h"
#include "record/record.h"

/* Called on the capture thread for each ended record with packets; <rec>
 * is borrowed for the call. */
typedef void (*wk_emit_cb)(const struct exp_record *rec, void *arg);

struct wk_conf {
	int				n;	/* workers, 2 to 64 */
	const struct flow_table_conf	*fconf;	/* each worker's table;
						 * borrowed for wk_new() */
	const struct dpi_conf		*dpconf;
	size_t				dpi_off; /* dpi's slot in ext */
	struct plug_set			*ps;	/* shared, read-only: the
						 * dpi hook has no functions
						 * (workers call their own
						 * dpi), plugins run on the
						 * workers */
	int				pkt_hooks; /* dpi or plugins on */
	uint32_t			snaplen; /* largest frame copied */
	int				fixed_shards; /* 1: a flow's worker is
						 * the same on every run
						 * (files); 0: a random shard
						 * key (live) */
	wk_emit_cb			emit;
	void				*emit_arg;
};

struct wk_set;

/* Builds every worker (table, dpi) and starts their threads with every
 * signal blocked. Returns owned (wk_free), or NULL with <err> filled. */
struct wk_set *wk_new(const struct wk_conf *conf, struct perr *err);
/* Stops and joins the threads if wk_finish() did not; NULL is fine. */
void	wk_free(struct wk_set *s);

/* Capture thread: hands <pkt>, decoded from <frame> (<caplen> bytes; both
 * borrowed), to its worker, with table time <now_us>. The frame is copied
 * unless <stable> (it stays valid for the run: a mapped file). May wait
 * for the worker, draining records meanwhile. */
void	wk_send(struct wk_set *s, const struct dec_pkt *pkt,
	    const uint8_t *frame, size_t caplen, int stable, uint64_t now_us);
/* Capture thread: sends every worker its batch so far; with <tick_us>
 * not 0, the worker then expires what is due at that time (an empty batch
 * is sent for it). */
void	wk_push(struct wk_set *s, uint64_t tick_us);
/* Capture thread: writes the records the workers ended (conf->emit).
 * Returns how many. */
size_t	wk_drain(struct wk_set *s);
/*
 * Reading a mapped pcap file (capture thread, before any wk_send): every
 * worker walks the file itself with its own cursor, decodes every record
 * and keeps its shard's packets, so nothing crosses threads per packet.
 * Returns 0, or -ENOTSUP when <cap> cannot be walked (wk_send then).
 * Then, until wk_walk_poll() returns 1 (every worker stopped where the
 * capture hands over to libpcap, or at the end): wk_drain() the records;
 * wk_walk_stop() to stop early (every worker stops after the same record).
 * Then wk_walk_end() once: the capture takes the position and counts,
 * <to_flows> and <ignored> are added to, <now_us> raised to the largest
 * decoded packet time; the capture is read on as usual with wk_send().
 */
int	wk_walk_start(struct wk_set *s, struct capture *cap,
	    const struct dec_conf *dconf, int merge_ifaces);
int	wk_walk_poll(struct wk_set *s);
void	wk_walk_stop(struct wk_set *s);
/* Bytes of the file every worker passed. */
uint64_t wk_walk_offset(const struct wk_set *s);
void	wk_walk_end(struct wk_set *s, uint64_t *to_flows,
	    uint64_t ignored[DEC_RESULT_MAX], uint64_t *now_us);

/* Capture thread: every worker ends its flows (flow_table_flush with
 * <reason>, table time <now_us>), the records are drained, the threads
 * joined. */
void	wk_finish(struct wk_set *s, uint64_t now_us,
	    enum flow_end_reason reason);

/* Counters summed over the workers: exact after wk_finish(), else as of
 * the last record batch each worker sent. <empty> gets the records that
 * ended with no packet, by reason. */
void	wk_stats(const struct wk_set *s, struct flow_table_stats *fs,
	    struct dpi_stats *ds, uint64_t empty[FLOW_END_MAX]);

#endif
