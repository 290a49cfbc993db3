/*
 * probe_int.h - shared only inside src/probe/: the probe's state and the
 * steps its loops share (probe.c: building, the data path, the file loop,
 * the end; live.c: the live loop; pstats.c: counters and reports), and
 * the flow workers (workers.c) it runs when --threads is more than 1.
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
 * Time: every packet carries the largest decoded packet time the capture
 * thread had seen (the time a single table would have), at which the
 * worker runs its table's expiry before the packet; a batch may carry a
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
#include "probe/probe.h"
#include "export/export.h"

/* Called on the capture thread for each ended record with packets; <rec>
 * is borrowed for the call. */
typedef void (*wk_emit_cb)(const struct exp_record *rec, void *arg);

struct wk_conf {
	int				n;	/* workers, 2 to 64 */
	const struct flow_table_conf	*fconf;	/* each worker's table;
						 * borrowed for wk_new() */
	const struct dpi_conf		*dpconf;
	const struct dpi		*dpi_base; /* the capture thread's,
						 * or NULL: worker 0 detects
						 * on its nDPI module, which
						 * the others read names
						 * from; must outlive the
						 * workers */
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
/* While walking: records read, filtered and ignored (decoder) so far, as
 * of worker 0's last check. */
void	wk_walk_counts(const struct wk_set *s, uint64_t *read,
	    uint64_t *filtered, uint64_t *ignored);
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

/* --- live time -------------------------------------------------------- */

/*
 * Live, packets are stamped by the kernel's wall clock, while the loop's
 * waits and periods run on CLOCK_MONOTONIC. A step of the wall clock
 * (settimeofday, a resumed virtual machine) must neither freeze expiry
 * (a step back: table time would stand still until the clock caught up)
 * nor end every flow at once (a step forward). The table's time is the
 * wall clock as long as it keeps pace with the monotonic one; a step of
 * LC_STEP_US or more is absorbed: time goes on from the anchor at the
 * monotonic pace, and packet stamps are shifted by the step, so records
 * keep one timeline. When the wall clock agrees again, the shift is 0.
 */
#define LC_STEP_US	1000000u

struct live_clock {
	uint64_t	wall0, mono0;	/* anchor: both clocks read at once */
	int64_t		shift_us;	/* added to packet stamps */
};

/* Anchors <c> at the clocks' readings <wall> and <mono> (us). */
void	lc_init(struct live_clock *c, uint64_t wall, uint64_t mono);
/* The table time for the readings <wall> and <mono>; updates the shift
 * (and the anchor while the clocks agree). */
uint64_t lc_now(struct live_clock *c, uint64_t wall, uint64_t mono);
/* CLOCK_MONOTONIC, us. */
uint64_t pb_mono_us(void);
/* The table time now (reads both clocks). */
uint64_t pb_live_now(struct probe *p);

/* --- the probe ------------------------------------------------------- */

#define TICK_US		1000000u	/* flush at least this often */
#define PRESENT_US	500000u		/* live: interfaces checked */
#define EXPIRE_US	250000u		/* live: expire this often; what it
					 * ends is flushed at once */
#define DISPATCH_MAX	512		/* frames per cap_dispatch call */
#define RING_TIMEOUT_MS	100		/* longest a packet waits in the ring */
#define DRAIN_QUIET_US	((RING_TIMEOUT_MS * 3 / 2 + 50) * 1000u)
#define DRAIN_MAX_US	2000000u	/* stop: read at most this long */
#define DROP_LOG_US	60000000u	/* drops: one warning a minute */
#define PROGRESS_US	250000u		/* file progress line period */
#define WK_TICK_US	100000u		/* file: workers learn packet time
					 * at least this often */
#define MAX_THREADS	64

struct probe_cap {
	struct capture		*cap;
	uint64_t		drops_logged;	/* kernel + if drops at the
						 * last warning */
	uint64_t		last_ts_us;	/* newest packet read */
	uint64_t		last_read_us;	/* monotonic clock when it
						 * gave frames */
	int			failed;		/* read error: no longer polled */
};

struct probe {
	const struct conf	*conf;
	char			host[256];	/* default probe id */
	struct exp_conf		xconf;
	struct probe_cap	caps[CONF_MAX_IFACES];
	int			n_caps;
	int			cur_cap;	/* being dispatched */
	int			n_caps_failed;
	uint64_t		next_present_us; /* next check that every
						 * interface is still there */
	int			live;
	struct dec_conf		dconf;
	struct flow_table	*ft;		/* one thread: the table */
	struct wk_set		*wk;		/* or the workers' shards */
	int			n_threads;
	uint64_t		now_us;		/* largest packet time read */
	uint64_t		next_wk_tick;	/* packet time of the next */
	struct dpi		*dpi;
	struct plug_hook	dpi_hook;	/* nDPI, the first hook */
	struct plug_set		*ps;		/* hooks and plugins */
	struct exporter		*ex[CONF_MAX_COLLECTORS];
	int			ex_dead[CONF_MAX_COLLECTORS];
	int			n_ex;
	int			n_dead;		/* exporters that failed */
	int			n_pipe;		/* of those: reader went away */

	uint64_t		dec_ignored[DEC_RESULT_MAX];
	uint64_t		pkts_to_flows;	/* decoded, given to the table */
	uint64_t		pkts_exported;	/* sum over ended records */
	uint64_t		bytes_exported;
	uint64_t		records;	/* ended records with packets */
	uint64_t		sent[FLOW_END_MAX];  /* records, by reason */
	uint64_t		empty[FLOW_END_MAX]; /* empty, not sent */
	uint64_t		write_failures;	/* records an exporter lost */
	uint64_t		flush_failures;	/* buffered output lost */
	int			finish_failures; /* exporters that dropped */
	int			broken;		/* the input file was cut */

	uint64_t		last_drop_log_us;
	uint64_t		next_stats_us;	/* --stats-interval */
	uint64_t		stats_read;	/* packets at the last line */
	uint64_t		stats_us;
	uint64_t		next_progress_us;
	uint64_t		progress_start_us;
	int			progress_shown;	/* a line to end on stderr */
	int			progress_tty;	/* stderr a terminal: 0 not
						 * asked yet, 1 yes, 2 no */

	struct probe_opts	opts;		/* the embedding program's */
	uint64_t		step_tick_us;	/* probe_step(): next flush */
	uint64_t		step_expire_us;	/* and next expiry */
	struct live_clock	lc;		/* live: table time */
	int			walk;		/* 0 not yet tried, 1 the
						 * workers walk the file, 2 over
						 * (or not walked) */
};

/* probe.c: the capture callback (arg: the probe); live expiry at <now>
 * (returns records ended); the clock tick; exporters flushed; the
 * signal flags acted on (but stop). */
void	pb_on_frame(const struct cap_pkt *cp, void *arg);
size_t	pb_expire(struct probe *p, uint64_t now);
void	pb_tick(struct probe *p, uint64_t now);
void	pb_flush(struct probe *p);
void	pb_on_signals(struct probe *p, struct probe_signals *sig);

/* live.c: the live loop of probe_run(); one wait-and-read (frames read,
 * or a negative errno); the drain of the rings after a stop; the drop
 * warning. */
int	pb_run_live(struct probe *p, struct probe_signals *sig,
	    struct perr *err);
long	pb_live_read(struct probe *p, uint64_t deadline_us,
	    const sigset_t *unblocked, struct perr *err);
int	pb_drain(struct probe *p, const sigset_t *unblocked, struct perr *err);
void	pb_check_drops(struct probe *p, uint64_t now);

/* pstats.c: exp_conf.counters (arg: the probe); the --stats-interval
 * line; the file progress line (<last>: erase it). */
void	pb_counters(void *arg, struct exp_counters *c);
void	pb_log_stats(struct probe *p, uint64_t now);
void	pb_progress(struct probe *p, uint64_t now, int last);

#endif
