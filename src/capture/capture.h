/*
 * capture.h - packet sources: a pcap/pcapng file or a live interface.
 *
 * Pipeline position: [capture] -> decode -> flow table.
 * A capture hands out frames one by one, borrowed for one callback, each
 * with its own link type and ingress interface (a pcapng file may mix link
 * types; "-i any" mixes interfaces). For a file the BPF filter runs in
 * user space (pcap_offline_filter) so the probe can count what it filtered
 * out; live, the kernel filters and the kernel's drop counters are
 * reported instead. A classic pcap file that is a regular file is mapped
 * and walked in place (cap_pcap.c): its frames stay valid until
 * cap_close (cap_pkt.stable). The file must not shrink while it is read.
 *
 * Live captures are non-blocking: the caller waits on cap_fd() (poll) with
 * its own timeout, then calls cap_dispatch(), which never blocks. That is
 * what lets the probe's clock tick run whatever the link does (on Linux a
 * libpcap read timeout does not fire while no packet arrives).
 * One thread: a capture is used by the thread that opened it.
 */
#ifndef L7_CAPTURE_H
#define L7_CAPTURE_H

#include <stddef.h>
#include <stdint.h>

#include "log/log.h"

struct cap_conf {
	const char	*file;		/* pcap/pcapng path, "-" = stdin */
	const char	*iface;		/* live interface (when file is NULL);
					 * "any" = every interface */
	const char	*filter;	/* BPF expression, NULL = none */
	uint32_t	snaplen;	/* bytes per packet, live only */
	int		promisc;	/* live only */
	uint32_t	buffer_mb;	/* live: kernel ring in MiB; 0 = the
					 * libpcap default */
	uint32_t	timeout_ms;	/* live: longest a captured packet waits
					 * in the ring before it is readable
					 * (libpcap read timeout); 0 = 100 */
};

/* One frame, borrowed for the callback. */
struct cap_pkt {
	uint64_t	ts_us;		/* microseconds since the epoch */
	uint32_t	caplen;		/* bytes at data */
	uint32_t	wirelen;	/* bytes on the wire */
	int		linktype;	/* DLT_ of this frame */
	uint32_t	ifindex;	/* live: ingress ifIndex (for "any",
					 * from the cooked header; 0 when it
					 * does not say); 0 for a file */
	const uint8_t	*data;
	int		stable;		/* 1: data stays valid until
					 * cap_close (a mapped file); 0: for
					 * the callback only */
};

typedef void (*cap_pkt_cb)(const struct cap_pkt *pkt, void *arg);

struct cap_stats {
	uint64_t	read;		/* frames read from the source */
	uint64_t	filtered;	/* of those, refused by the filter */
	uint64_t	kernel_drops;	/* live: dropped before reading */
	uint64_t	if_drops;	/* live: dropped by the interface */
};

struct capture;

/* Opens the file or the interface and sets the filter; a live capture is
 * activated and non-blocking. Returns owned (cap_close), or NULL with
 * <err> naming the file or interface and why. */
struct capture *cap_open(const struct cap_conf *conf, struct perr *err);
void	cap_close(struct capture *cap);		/* NULL is fine */

/* Link type of the capture (of a pcapng file: of its first interface). */
int	cap_linktype(const struct capture *cap);
const char *cap_linktype_name(const struct capture *cap);
int	cap_is_live(const struct capture *cap);
/* The file or interface name given to cap_open (borrowed). */
const char *cap_name(const struct capture *cap);
/* Live: the descriptor to poll for POLLIN before cap_dispatch; -1 for a
 * file (always ready). */
int	cap_fd(const struct capture *cap);
/* Live, one named interface: 0 while it is there; -ENODEV with <err>
 * filled once it went away (deleted; a rename is no loss: the capture
 * follows the interface's index). The kernel reports a deleted interface to the capture's
 * socket, but libpcap may take that for an interface merely down when
 * the deletion is not complete yet, and then reports nothing: ask now
 * and then (a system call). 0 for a file or "any". */
int	cap_check_present(const struct capture *cap, struct perr *err);

enum {
	CAP_EOF = 1,		/* cap_dispatch: the file is over */
	CAP_BROKEN = 2,		/* the file ends in a cut or corrupt record */
};

/*
 * Calls <cb> for up to <max> frames that pass the filter; never blocks on
 * a live capture. *<nread> (NULL is fine) gets the frames read, filtered
 * ones included. Returns 0; CAP_EOF at the end of a file; CAP_BROKEN when
 * the file is cut or corrupt (what came before was delivered, <err> says
 * where); a negative errno with <err> filled on a live error.
 */
int	cap_dispatch(struct capture *cap, int max, cap_pkt_cb cb, void *arg,
	    size_t *nread, struct perr *err);

/* Counters; live ones ask the kernel (a system call: not per packet). */
void	cap_stats(struct capture *cap, struct cap_stats *s);

/*
 * Cursors: a mapped classic pcap file walked by several threads at once,
 * each with its own cursor, each seeing every record (the filter applied)
 * in file order. A cursor stops where the capture's own walk would hand
 * over to libpcap (an odd record, or the end of the mapping); then the
 * owner of the capture calls cap_cursor_done() with one cursor that went
 * that far, and reads on with cap_dispatch(), which goes on from there
 * (libpcap's verdict on the rest: more records, the end, or a cut file).
 * While cursors run, the capture itself is not dispatched; each cursor
 * is used by one thread.
 */
struct cap_cursor;
/* A cursor at the capture's position, or NULL when the capture is not a
 * mapped file being walked (or out of memory). Owned: cap_cursor_free. */
struct cap_cursor *cap_cursor_new(struct capture *cap);
void	cap_cursor_free(struct cap_cursor *c);	/* NULL is fine */
/* The next record: 0 with <pkt> filled (its data valid until the cursor
 * is freed; the cursor maps the file for itself) and *<filtered> 0, or 1 when the filter refused it (then <pkt> is not
 * filled); CAP_EOF where the cursor stops. */
int	cap_cursor_next(struct cap_cursor *c, struct cap_pkt *pkt,
	    int *filtered);
/* Bytes of the file the cursor passed. */
uint64_t cap_cursor_offset(const struct cap_cursor *c);
/* The capture takes the position of <c> (which stopped) and counts the
 * <read> records, <filtered> of them refused, that the cursors saw. */
void	cap_cursor_done(struct capture *cap, const struct cap_cursor *c,
	    uint64_t read, uint64_t filtered);
/* Gives back the capture's mapped pages well before <off>: the process
 * does not hold the file it read as its memory. */
void	cap_release(struct capture *cap, uint64_t off);

/* A regular file: bytes read so far and its size, for a progress line.
 * Returns 0, or -ENOTSUP (live, a pipe, stdin). */
int	cap_progress(struct capture *cap, uint64_t *done, uint64_t *total);

#endif
