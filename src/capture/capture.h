/*
 * capture.h - packet sources: a pcap/pcapng file or a live interface.
 *
 * Pipeline position: [capture] -> decode -> flow table.
 * A capture hands out frames one by one, borrowed for one callback. For a
 * file the BPF filter runs in user space (pcap_offline_filter) so the probe
 * can count what it filtered out; live, the kernel filters and the kernel's
 * drop counters are reported instead.
 */
#ifndef L7_CAPTURE_H
#define L7_CAPTURE_H

#include <stdint.h>

#include "log/log.h"

struct cap_conf {
	const char	*file;		/* pcap/pcapng path, "-" = stdin */
	const char	*iface;		/* live interface (when file is NULL) */
	const char	*filter;	/* BPF expression, NULL = none */
	uint32_t	snaplen;	/* bytes per packet, live only */
	int		promisc;	/* live only */
	uint32_t	timeout_ms;	/* live: longest wait in cap_dispatch */
};

/* One frame, borrowed for the callback. */
struct cap_pkt {
	uint64_t	ts_us;		/* microseconds since the epoch */
	uint32_t	caplen;		/* bytes at data */
	uint32_t	wirelen;	/* bytes on the wire */
	const uint8_t	*data;
};

typedef void (*cap_pkt_cb)(const struct cap_pkt *pkt, void *arg);

struct cap_stats {
	uint64_t	read;		/* frames read from the source */
	uint64_t	filtered;	/* of those, refused by the filter */
	uint64_t	kernel_drops;	/* live: dropped before reading */
	uint64_t	if_drops;	/* live: dropped by the interface */
};

struct capture;

/* Opens the file or the interface and sets the filter. Returns owned
 * (cap_close), or NULL with <err> naming the file or interface and why. */
struct capture *cap_open(const struct cap_conf *conf, struct perr *err);
void	cap_close(struct capture *cap);		/* NULL is fine */

int	cap_linktype(const struct capture *cap);
const char *cap_linktype_name(const struct capture *cap);
int	cap_is_live(const struct capture *cap);

enum {
	CAP_EOF = 1,		/* cap_dispatch: the file is over */
	CAP_BROKEN = 2,		/* the file ends in a cut or corrupt record */
};

/*
 * Calls <cb> for up to <max> frames that pass the filter. Returns 0 when
 * it read something or, live, waited timeout_ms; CAP_EOF at the end of a
 * file; CAP_BROKEN when the file is cut (what came before was delivered,
 * <err> says where); a negative errno with <err> filled on a live error.
 */
int	cap_dispatch(struct capture *cap, int max, cap_pkt_cb cb, void *arg,
	    struct perr *err);

/* Stops a cap_dispatch in progress; async-signal-safe. */
void	cap_breakloop(struct capture *cap);

void	cap_stats(struct capture *cap, struct cap_stats *s);

#endif
