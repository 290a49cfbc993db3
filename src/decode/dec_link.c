/*
 * dec_link.c - frame decoder, link layer: from a libpcap link type to the
 * IP header.
 *
 * Pipeline position: capture -> [decode: link -> ip -> l4] -> flow table.
 * Holds the public entry points of decode.h (dec_frame and friends) and
 * the layer-2 decoders: Ethernet II with 802.1Q / 802.1ad / 0x9100 tags
 * (IEEE 802.1Q), MPLS label stacks (RFC 3032), PPPoE sessions (RFC 2516),
 * Linux cooked v1/v2, raw IP, BSD null/loop, PPP in HDLC-like framing
 * (RFC 1661, 1662), Cisco HDLC, NFLOG and PPI.
 *
 * Invariants: no state, no allocation; every read is checked against the
 * cursor length, which never exceeds caplen. Anything that is not IPv4 or
 * IPv6 after the link layer is DEC_NOT_IP.
 */
#include "decode/decode.h"

#include <string.h>

#include <pcap/dlt.h>

#include "decode/dec_int.h"

#ifndef DLT_LINUX_SLL
#define DLT_LINUX_SLL	113
#endif
#ifndef DLT_LINUX_SLL2
#define DLT_LINUX_SLL2	276
#endif
#ifndef DLT_IPV4
#define DLT_IPV4	228
#endif
#ifndef DLT_IPV6
#define DLT_IPV6	229
#endif
#ifndef DLT_C_HDLC
#define DLT_C_HDLC	104
#endif
#ifndef DLT_PPP_SERIAL
#define DLT_PPP_SERIAL	50
#endif
#ifndef DLT_NFLOG
#define DLT_NFLOG	239
#endif
#ifndef DLT_PPI
#define DLT_PPI		192
#endif

/*
 * Raw IP and loopback have numbers that differ between systems (DLT_RAW is
 * 12 on most, 14 on OpenBSD, where 12 is DLT_LOOP), and a file may carry
 * the LINKTYPE_ value 101 or 108 when libpcap did not map it. These are
 * tested before the switch, loop first, so duplicate values cannot clash.
 */
#define LT_RAW		101	/* LINKTYPE_RAW */
#define LT_LOOP		108	/* LINKTYPE_LOOP */

#define ETH_HLEN	14
#define ETHERTYPE_IPV4	0x0800
#define ETHERTYPE_IPV6	0x86dd
#define ETHERTYPE_VLAN	0x8100
#define ETHERTYPE_QINQ	0x88a8
#define ETHERTYPE_QINQ1	0x9100	/* pre-802.1ad QinQ, still seen */
#define ETHERTYPE_MPLS	0x8847
#define ETHERTYPE_MPLSM	0x8848	/* multicast */
#define ETHERTYPE_PPPOED 0x8863	/* discovery: never carries IP */
#define ETHERTYPE_PPPOES 0x8864

#define PPP_IPV4	0x0021
#define PPP_IPV6	0x0057
#define PPP_MPLS	0x0281	/* RFC 3032: unicast */
#define PPP_MPLSM	0x0283	/* multicast */

/* Address families in DLT_NULL / DLT_LOOP headers. */
#define BSD_AF_INET	2
#define BSD_AF_INET6_A	24	/* NetBSD, OpenBSD */
#define BSD_AF_INET6_B	28	/* FreeBSD */
#define BSD_AF_INET6_C	30	/* macOS */

#define NFLOG_AF_INET	2
#define NFLOG_AF_INET6	10
#define NFULA_PAYLOAD	9

static enum dec_result	link_frame(const struct dec_conf *, int,
			    struct cursor, struct dec_pkt *, int);

enum dec_result
dec_mpls(const struct dec_conf *conf, struct cursor c, struct dec_pkt *pkt,
    int depth)
{
	int bottom;

	do {
		if (!cur_has(&c, 4))
			return DEC_TRUNCATED;
		bottom = cur_u8(&c, 2) & 0x01;
		cur_skip(&c, 4);
	} while (!bottom);
	if (!cur_has(&c, 1))
		return DEC_TRUNCATED;
	/*
	 * MPLS does not say what is below the stack; IP is guessed from the
	 * version nibble. A pseudo-wire (control word, Ethernet) is not IP.
	 */
	switch (cur_u8(&c, 0) >> 4) {
	case 4:
		return dec_ip(conf, c, 4, pkt, depth);
	case 6:
		return dec_ip(conf, c, 6, pkt, depth);
	default:
		return DEC_NOT_IP;
	}
}

/* PPPoE session header (6 bytes) then the PPP protocol (2 bytes). */
static enum dec_result
pppoe_session(const struct dec_conf *conf, struct cursor c,
    struct dec_pkt *pkt, int depth)
{
	size_t plen;
	uint16_t proto;

	if (!cur_has(&c, 8))
		return DEC_TRUNCATED;
	/* The PPPoE length covers the PPP protocol and payload: it trims
	 * Ethernet padding when it is smaller than what was captured. */
	plen = cur_be16(&c, 4);
	proto = cur_be16(&c, 6);
	cur_skip(&c, 6);
	if (plen < 2)
		return DEC_MALFORMED;
	if (plen < c.len)
		c.len = plen;
	cur_skip(&c, 2);
	switch (proto) {
	case PPP_IPV4:
		return dec_ip(conf, c, 4, pkt, depth);
	case PPP_IPV6:
		return dec_ip(conf, c, 6, pkt, depth);
	default:
		return DEC_NOT_IP;
	}
}

enum dec_result
dec_ethertype(const struct dec_conf *conf, uint16_t type, struct cursor c,
    struct dec_pkt *pkt, int depth, int outer)
{
	int tagged = 0;

	/* Each tag takes 4 bytes, so the loop ends with the frame. */
	while (type == ETHERTYPE_VLAN || type == ETHERTYPE_QINQ ||
	    type == ETHERTYPE_QINQ1) {
		if (!cur_has(&c, 4))
			return DEC_TRUNCATED;
		if (outer && !tagged)
			pkt->vlan_id = cur_be16(&c, 0) & 0x0fff;
		tagged = 1;
		type = cur_be16(&c, 2);
		cur_skip(&c, 4);
	}
	switch (type) {
	case ETHERTYPE_IPV4:
		return dec_ip(conf, c, 4, pkt, depth);
	case ETHERTYPE_IPV6:
		return dec_ip(conf, c, 6, pkt, depth);
	case ETHERTYPE_MPLS:
	case ETHERTYPE_MPLSM:
		return dec_mpls(conf, c, pkt, depth);
	case ETHERTYPE_PPPOES:
		return pppoe_session(conf, c, pkt, depth);
	case ETHERTYPE_PPPOED:
		/* FALLTHROUGH */
	default:
		/* Also 802.3 lengths (< 0x0600): LLC frames, STP, ... */
		return DEC_NOT_IP;
	}
}

enum dec_result
dec_ether(const struct dec_conf *conf, struct cursor c, struct dec_pkt *pkt,
    int depth, int outer)
{
	uint16_t type;

	if (!cur_has(&c, ETH_HLEN))
		return DEC_TRUNCATED;
	type = cur_be16(&c, 12);
	cur_skip(&c, ETH_HLEN);
	return dec_ethertype(conf, type, c, pkt, depth, outer);
}

/*
 * BSD null/loop: a 4-byte address family, host order of the capturing
 * machine for DLT_NULL, network order for DLT_LOOP. Files cross
 * machines, so both orders are accepted: families are small numbers.
 */
static enum dec_result
bsd_loop(const struct dec_conf *conf, struct cursor c, struct dec_pkt *pkt)
{
	uint32_t fam;

	if (!cur_has(&c, 4))
		return DEC_TRUNCATED;
	fam = cur_le32(&c, 0);
	if (fam > 0xffff)
		fam = cur_be32(&c, 0);
	cur_skip(&c, 4);
	switch (fam) {
	case BSD_AF_INET:
		return dec_ip(conf, c, 4, pkt, 0);
	case BSD_AF_INET6_A:
	case BSD_AF_INET6_B:
	case BSD_AF_INET6_C:
		return dec_ip(conf, c, 6, pkt, 0);
	default:
		return DEC_NOT_IP;
	}
}

/* Cisco HDLC: address (0x0f unicast, 0x8f broadcast), control, ethertype. */
static enum dec_result
cisco_hdlc(const struct dec_conf *conf, struct cursor c, struct dec_pkt *pkt)
{
	uint16_t type;

	if (!cur_has(&c, 4))
		return DEC_TRUNCATED;
	type = cur_be16(&c, 2);
	cur_skip(&c, 4);
	return dec_ethertype(conf, type, c, pkt, 0, 1);
}

/*
 * PPP: optional 0xff 0x03 address and control (RFC 1662), then a 2-byte
 * protocol, or a 1-byte one when compressed (RFC 1661 PFC: odd first
 * byte); IPv4, IPv6 or MPLS (RFC 3032) inside. DLT_PPP_SERIAL may hold
 * Cisco HDLC frames, as libpcap allows.
 */
static enum dec_result
ppp(const struct dec_conf *conf, struct cursor c, struct dec_pkt *pkt)
{
	uint16_t proto;

	if (!cur_has(&c, 1))
		return DEC_TRUNCATED;
	if (cur_u8(&c, 0) == 0x0f || cur_u8(&c, 0) == 0x8f)
		return cisco_hdlc(conf, c, pkt);
	if (cur_u8(&c, 0) == 0xff) {
		if (!cur_has(&c, 2))
			return DEC_TRUNCATED;
		if (cur_u8(&c, 1) != 0x03)
			return DEC_MALFORMED;
		cur_skip(&c, 2);
	}
	if (!cur_has(&c, 1))
		return DEC_TRUNCATED;
	if (cur_u8(&c, 0) & 0x01) {
		proto = cur_u8(&c, 0);
		cur_skip(&c, 1);
	} else {
		if (!cur_has(&c, 2))
			return DEC_TRUNCATED;
		proto = cur_be16(&c, 0);
		cur_skip(&c, 2);
	}
	switch (proto) {
	case PPP_IPV4:
		return dec_ip(conf, c, 4, pkt, 0);
	case PPP_IPV6:
		return dec_ip(conf, c, 6, pkt, 0);
	case PPP_MPLS:
	case PPP_MPLSM:
		return dec_mpls(conf, c, pkt, 0);
	default:
		return DEC_NOT_IP;
	}
}

/*
 * NFLOG: family, version, resource id (4 bytes), then TLVs whose length
 * and type are in host order (libpcap swaps them in foreign files). The
 * length counts the 4-byte TLV header; TLVs are padded to 4 bytes.
 */
static enum dec_result
nflog(const struct dec_conf *conf, struct cursor c, struct dec_pkt *pkt)
{
	uint8_t fam;
	uint16_t tlen, ttype;
	int version;

	if (!cur_has(&c, 4))
		return DEC_TRUNCATED;
	fam = cur_u8(&c, 0);
	if (fam == NFLOG_AF_INET)
		version = 4;
	else if (fam == NFLOG_AF_INET6)
		version = 6;
	else
		return DEC_NOT_IP;
	cur_skip(&c, 4);
	for (;;) {
		if (!cur_has(&c, 4))
			return DEC_TRUNCATED;
		memcpy(&tlen, c.p, sizeof(tlen));
		memcpy(&ttype, c.p + 2, sizeof(ttype));
		if (tlen < 4)
			return DEC_MALFORMED;
		/* Netlink flag bits (nested, byte order) are not the type. */
		if ((ttype & 0x3fff) == NFULA_PAYLOAD) {
			cur_skip(&c, 4);
			if (c.len > (size_t)tlen - 4)
				c.len = (size_t)tlen - 4;
			return dec_ip(conf, c, version, pkt, 0);
		}
		if (cur_skip(&c, ((size_t)tlen + 3) & ~(size_t)3) != 0)
			return DEC_TRUNCATED;
	}
}

/*
 * PPI: version, flags, header length (LE 16), link type (LE 32) of what
 * follows the header. PPI inside PPI is refused, so this recurses once.
 */
static enum dec_result
ppi(const struct dec_conf *conf, struct cursor c, struct dec_pkt *pkt)
{
	size_t hlen;
	uint32_t dlt;

	if (!cur_has(&c, 8))
		return DEC_TRUNCATED;
	hlen = cur_le16(&c, 2);
	dlt = cur_le32(&c, 4);
	if (hlen < 8)
		return DEC_MALFORMED;
	if (dlt == DLT_PPI || dlt > INT32_MAX)
		return DEC_UNSUPPORTED_LINK;
	if (cur_skip(&c, hlen) != 0)
		return DEC_TRUNCATED;
	return link_frame(conf, (int)dlt, c, pkt, 1);
}

static enum dec_result
link_frame(const struct dec_conf *conf, int linktype, struct cursor c,
    struct dec_pkt *pkt, int in_ppi)
{
	if (linktype == DLT_LOOP || linktype == LT_LOOP)
		return bsd_loop(conf, c, pkt);
	if (linktype == DLT_RAW || linktype == 12 || linktype == 14 ||
	    linktype == LT_RAW)
		return dec_ip(conf, c, 0, pkt, 0);

	switch (linktype) {
	case DLT_EN10MB:
		return dec_ether(conf, c, pkt, 0, 1);
	case DLT_LINUX_SLL:
		/* type, ARPHRD, address length, address (8), protocol */
		if (!cur_has(&c, 16))
			return DEC_TRUNCATED;
		return dec_ethertype(conf, cur_be16(&c, 14),
		    (struct cursor){ c.p + 16, c.len - 16 }, pkt, 0, 1);
	case DLT_LINUX_SLL2:
		/* protocol, reserved, ifindex, ARPHRD, type, addr len, addr */
		if (!cur_has(&c, 20))
			return DEC_TRUNCATED;
		return dec_ethertype(conf, cur_be16(&c, 0),
		    (struct cursor){ c.p + 20, c.len - 20 }, pkt, 0, 1);
	case DLT_IPV4:
		return dec_ip(conf, c, 4, pkt, 0);
	case DLT_IPV6:
		return dec_ip(conf, c, 6, pkt, 0);
	case DLT_NULL:
		return bsd_loop(conf, c, pkt);
	case DLT_PPP:
	case DLT_PPP_SERIAL:
		return ppp(conf, c, pkt);
	case DLT_C_HDLC:
		return cisco_hdlc(conf, c, pkt);
	case DLT_NFLOG:
		return nflog(conf, c, pkt);
	case DLT_PPI:
		if (in_ppi)
			return DEC_UNSUPPORTED_LINK;
		return ppi(conf, c, pkt);
	default:
		return DEC_UNSUPPORTED_LINK;
	}
}

enum dec_result
dec_frame(const struct dec_conf *conf, int linktype, const uint8_t *frame,
    size_t caplen, size_t wirelen, struct dec_pkt *pkt)
{
	uint64_t ts_us = pkt->ts_us;

	/* Only ts_us is kept; ifindex is set by the caller afterwards (a
	 * caller's uninitialised packet must not make flow keys). */
	memset(pkt, 0, sizeof(*pkt));
	pkt->ts_us = ts_us;
	if (frame == NULL)
		caplen = 0;
	if (wirelen < caplen)
		wirelen = caplen;
	pkt->frame = frame;
	pkt->wirelen = wirelen > UINT32_MAX ? UINT32_MAX : (uint32_t)wirelen;
	return link_frame(conf, linktype, (struct cursor){ frame, caplen },
	    pkt, 0);
}

int
dec_linktype_supported(int linktype)
{
	if (linktype == DLT_LOOP || linktype == LT_LOOP ||
	    linktype == DLT_RAW || linktype == 12 || linktype == 14 ||
	    linktype == LT_RAW)
		return 1;
	switch (linktype) {
	case DLT_EN10MB:
	case DLT_LINUX_SLL:
	case DLT_LINUX_SLL2:
	case DLT_IPV4:
	case DLT_IPV6:
	case DLT_NULL:
	case DLT_PPP:
	case DLT_PPP_SERIAL:
	case DLT_C_HDLC:
	case DLT_NFLOG:
	case DLT_PPI:
		return 1;
	default:
		return 0;
	}
}

const char *
dec_result_name(enum dec_result r)
{
	static const char *const names[DEC_RESULT_MAX] = {
		[DEC_OK] = "ok",
		[DEC_NOT_IP] = "not_ip",
		[DEC_UNSUPPORTED_LINK] = "unsupported_link",
		[DEC_TRUNCATED] = "truncated",
		[DEC_MALFORMED] = "malformed",
	};

	if ((unsigned)r >= DEC_RESULT_MAX)
		return "unknown";
	return names[r];
}
