/*
 * capture.c - libpcap sources: offline files and live interfaces.
 *
 * Files: pcap_open_offline reads pcap and pcapng (and stdin for "-"); the
 * filter is compiled against the file's link type and applied here, so
 * every frame read is counted as either passed on or filtered.
 * Live: pcap_create/pcap_activate with a read timeout, so the caller gets
 * control back at least every timeout_ms to run its clock tick.
 */
#include "capture/capture.h"

#include <errno.h>
#include <pcap/pcap.h>
#include <stdlib.h>
#include <string.h>

struct capture {
	pcap_t			*p;
	int			live;
	int			has_filter;
	struct bpf_program	prog;
	const char		*name;		/* borrowed from conf */
	struct cap_stats	st;
	cap_pkt_cb		cb;
	void			*cb_arg;
};

void
cap_close(struct capture *cap)
{
	if (cap == NULL)
		return;
	if (cap->has_filter)
		pcap_freecode(&cap->prog);
	if (cap->p != NULL)
		pcap_close(cap->p);
	free(cap);
}

static int
set_filter(struct capture *cap, const char *expr, struct perr *err)
{
	if (expr == NULL)
		return 0;
	if (pcap_compile(cap->p, &cap->prog, expr, 1,
	    PCAP_NETMASK_UNKNOWN) == PCAP_ERROR)
		return perr_set(err, -EINVAL, "filter '%s': %s", expr,
		    pcap_geterr(cap->p));
	cap->has_filter = 1;
	if (cap->live && pcap_setfilter(cap->p, &cap->prog) == PCAP_ERROR)
		return perr_set(err, -EINVAL, "filter '%s' on %s: %s", expr,
		    cap->name, pcap_geterr(cap->p));
	return 0;
}

static int
open_live(struct capture *cap, const struct cap_conf *conf, struct perr *err)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	int rc;

	if ((cap->p = pcap_create(conf->iface, ebuf)) == NULL)
		return perr_set(err, -ENODEV, "interface '%s': %s",
		    conf->iface, ebuf);
	pcap_set_snaplen(cap->p, (int)conf->snaplen);
	pcap_set_promisc(cap->p, conf->promisc);
	pcap_set_timeout(cap->p, (int)(conf->timeout_ms ? conf->timeout_ms :
	    100));
	pcap_set_buffer_size(cap->p, 32 * 1024 * 1024);
	rc = pcap_activate(cap->p);
	switch (rc) {
	case 0:
	case PCAP_WARNING:
	case PCAP_WARNING_PROMISC_NOTSUP:
	case PCAP_WARNING_TSTAMP_TYPE_NOTSUP:
		if (rc != 0)
			log_warn("interface '%s': %s", conf->iface,
			    pcap_geterr(cap->p));
		return 0;
	case PCAP_ERROR_NO_SUCH_DEVICE:
		return perr_set(err, -ENODEV,
		    "interface '%s': no such device (see 'ip link')",
		    conf->iface);
	case PCAP_ERROR_PERM_DENIED:
	case PCAP_ERROR_PROMISC_PERM_DENIED:
		return perr_set(err, -EPERM,
		    "interface '%s': permission denied (run as root or grant "
		    "CAP_NET_RAW and CAP_NET_ADMIN)", conf->iface);
	case PCAP_ERROR_IFACE_NOT_UP:
		return perr_set(err, -ENETDOWN,
		    "interface '%s': interface is down (ip link set %s up)",
		    conf->iface, conf->iface);
	default:
		return perr_set(err, -EIO, "interface '%s': %s", conf->iface,
		    pcap_geterr(cap->p));
	}
}

struct capture *
cap_open(const struct cap_conf *conf, struct perr *err)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	struct capture *cap;

	if ((cap = calloc(1, sizeof(*cap))) == NULL) {
		perr_set(err, -ENOMEM, "capture: out of memory");
		return NULL;
	}
	if (conf->file != NULL) {
		cap->name = conf->file;
		cap->p = pcap_open_offline_with_tstamp_precision(conf->file,
		    PCAP_TSTAMP_PRECISION_MICRO, ebuf);
		if (cap->p == NULL) {
			perr_set(err, -EINVAL, "capture file '%s': %s",
			    conf->file, ebuf);
			goto fail;
		}
	} else {
		cap->name = conf->iface;
		cap->live = 1;
		if (open_live(cap, conf, err) != 0)
			goto fail;
	}
	if (set_filter(cap, conf->filter, err) != 0)
		goto fail;
	return cap;
fail:
	cap_close(cap);
	return NULL;
}

int
cap_linktype(const struct capture *cap)
{
	return pcap_datalink(cap->p);
}

const char *
cap_linktype_name(const struct capture *cap)
{
	const char *n = pcap_datalink_val_to_name(pcap_datalink(cap->p));

	return n != NULL ? n : "unknown";
}

int
cap_is_live(const struct capture *cap)
{
	return cap->live;
}

static void
on_frame(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes)
{
	struct capture *cap = (struct capture *)user;
	struct cap_pkt pkt;

	cap->st.read++;
	if (cap->has_filter && !cap->live &&
	    pcap_offline_filter(&cap->prog, h, bytes) == 0) {
		cap->st.filtered++;
		return;
	}
	pkt.ts_us = (uint64_t)h->ts.tv_sec * 1000000u +
	    (uint64_t)h->ts.tv_usec;
	pkt.caplen = h->caplen;
	pkt.wirelen = h->len;
	pkt.data = bytes;
	cap->cb(&pkt, cap->cb_arg);
}

int
cap_dispatch(struct capture *cap, int max, cap_pkt_cb cb, void *arg,
    struct perr *err)
{
	int n;

	cap->cb = cb;
	cap->cb_arg = arg;
	n = pcap_dispatch(cap->p, max, on_frame, (u_char *)cap);
	if (n >= 0) {
		if (n == 0 && !cap->live)
			return CAP_EOF;
		return 0;
	}
	if (n == PCAP_ERROR_BREAK)
		return 0;
	if (!cap->live) {
		perr_set(err, -EIO, "capture file '%s': %s after %llu packets",
		    cap->name, pcap_geterr(cap->p),
		    (unsigned long long)cap->st.read);
		return CAP_BROKEN;
	}
	return perr_set(err, -EIO, "interface '%s': %s", cap->name,
	    pcap_geterr(cap->p));
}

void
cap_breakloop(struct capture *cap)
{
	pcap_breakloop(cap->p);
}

void
cap_stats(struct capture *cap, struct cap_stats *s)
{
	struct pcap_stat ps;

	*s = cap->st;
	if (cap->live && pcap_stats(cap->p, &ps) == 0) {
		s->kernel_drops = ps.ps_drop;
		s->if_drops = ps.ps_ifdrop;
	}
}
